// What each kind of alert rule watches, in words, and how its threshold is
// entered and read: shares as percentages (the API takes 0–1), costs as
// amounts in the units of the configured model prices, risk as a number of
// reasons; and an alert's message as a sentence. The form, the rules list,
// the alerts list and the notifications bell use these (no charts here: the
// bell is part of every screen).

import type { AlertKind } from "../../../api/adminInsights";
import { formatCount } from "../format";
import { formatCost, formatShare } from "./format";

export interface AlertKindSpec {
  kind: AlertKind;
  /** What the rule watches, as a label. */
  label: string;
  /** When it fires, in a sentence, for the form. */
  explanation: string;
  /** The threshold field's label and hint. */
  thresholdLabel: string;
  thresholdHint: string;
  /** What the form offers first. */
  defaultThreshold: string;
  /** The form's value (a percentage for shares) as the API's threshold. */
  toThreshold: (entered: number) => number;
  /** A rule's threshold in words: "over 30 %". */
  describeThreshold: (threshold: number) => string;
  /** Why the server refused the threshold, in the form's units. */
  invalidThreshold: string;
  /** Shares only: what the minimum counts. */
  minCountOf: "questions" | "ratings" | null;
  /** An alert's measured value in words. */
  describeValue: (value: number) => string;
}

export const ALERT_KINDS: readonly AlertKindSpec[] = [
  {
    kind: "refusal_rate",
    label: "Refused questions in the last hour",
    explanation:
      "Fires when more than this percentage of the questions asked in the last hour were refused because the material did not cover them, once at least the minimum number of questions were asked.",
    thresholdLabel: "Refused share over (%)",
    thresholdHint: "A percentage above 0 and below 100.",
    defaultThreshold: "30",
    toThreshold: (entered) => entered / 100,
    describeThreshold: (t) => `over ${formatShare(t)}`,
    invalidThreshold: "Enter a percentage above 0 and below 100.",
    minCountOf: "questions",
    describeValue: (v) => `${formatShare(v)} refused`,
  },
  {
    kind: "negative_feedback_share",
    label: "Unhelpful ratings in the last hour",
    explanation:
      "Fires when more than this percentage of the answers rated in the last hour were rated unhelpful, once at least the minimum number of ratings were given.",
    thresholdLabel: "Unhelpful share over (%)",
    thresholdHint: "A percentage above 0 and below 100.",
    defaultThreshold: "30",
    toThreshold: (entered) => entered / 100,
    describeThreshold: (t) => `over ${formatShare(t)}`,
    invalidThreshold: "Enter a percentage above 0 and below 100.",
    minCountOf: "ratings",
    describeValue: (v) => `${formatShare(v)} unhelpful`,
  },
  {
    kind: "daily_cost",
    label: "The organisation's model cost today",
    explanation:
      "Fires when the organisation's model cost today goes over this amount, counted in the units the instance's model prices are set in.",
    thresholdLabel: "Cost over",
    thresholdHint: "An amount greater than 0.",
    defaultThreshold: "10",
    toThreshold: (entered) => entered,
    describeThreshold: (t) => `over ${formatCost(t)}`,
    invalidThreshold: "Enter an amount greater than 0.",
    minCountOf: null,
    describeValue: (v) => `${formatCost(v)} today`,
  },
  {
    kind: "person_daily_cost",
    label: "One person's model cost today",
    explanation:
      "Fires for each person whose model cost today goes over this amount, counted in the units the instance's model prices are set in.",
    thresholdLabel: "Cost over",
    thresholdHint: "An amount greater than 0.",
    defaultThreshold: "2",
    toThreshold: (entered) => entered,
    describeThreshold: (t) => `over ${formatCost(t)}`,
    invalidThreshold: "Enter an amount greater than 0.",
    minCountOf: null,
    describeValue: (v) => `${formatCost(v)} today`,
  },
  {
    kind: "learner_at_risk",
    label: "A learner at risk",
    explanation:
      "Fires for each learner at risk for at least this many reasons: inactive, mastery falling, repeated wrong answers, unhappy with answers, or questions left unanswered. Their coaches are told as well as the administrators.",
    thresholdLabel: "Reasons, at least",
    thresholdHint: "A whole number from 1 to 5.",
    defaultThreshold: "2",
    toThreshold: (entered) => entered,
    describeThreshold: (t) => `${formatCount(t)} or more ${t === 1 ? "reason" : "reasons"}`,
    invalidThreshold: "Enter a whole number from 1 to 5.",
    minCountOf: null,
    describeValue: (v) => `${formatCount(v)} ${v === 1 ? "reason" : "reasons"}`,
  },
];

export function alertKind(kind: AlertKind): AlertKindSpec {
  return ALERT_KINDS.find((k) => k.kind === kind) ?? ALERT_KINDS[0]!;
}

/** An alert's message (the server writes it in lower case, without a full stop) as a sentence. */
export function alertSentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
