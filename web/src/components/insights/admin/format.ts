// How the administrators' and managers' insight screens put figures into
// words: shares as percentages, model cost (in the units the instance's
// model prices are set in; the server names no currency), token counts and
// feedback reasons. Days and counts use ../format.ts, like the learner
// dashboards.

import { FEEDBACK_REASONS } from "../../../api/types";
import { formatCount } from "../format";

const percentFormat = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 0 });
const costFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const smallCostFormat = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 2 });
const compactFormat = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** A 0..1 share as "42 %" in the reader's locale; "—" when there is none. */
export function formatShare(share: number | null | undefined): string {
  return share == null ? "—" : percentFormat.format(share);
}

/** A cost: two decimals, or two significant digits for amounts below a hundredth that are not zero. */
export function formatCost(cost: number): string {
  if (cost > 0 && cost < 0.01) return smallCostFormat.format(cost);
  return costFormat.format(cost);
}

/** Large counts on an axis: "12K". */
export function formatCompact(value: number): string {
  return compactFormat.format(value);
}

/** A figure with at most one decimal ("2.5"). */
export function formatOneDecimal(value: number): string {
  return oneDecimal.format(value);
}

/** A feedback reason's label, as the chat's feedback form names it. */
export function reasonLabel(reason: string): string {
  const known = FEEDBACK_REASONS.find((r) => r.value === reason);
  if (known) return known.label;
  const words = reason.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "Unhelpful" or "Helpful" for a rating the server sends as "down" or "up". */
export function ratingLabel(rating: string): string {
  return rating === "down" ? "Unhelpful" : "Helpful";
}

/** "1 question", "3 questions". */
export function counted(count: number, one: string, many: string): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}
