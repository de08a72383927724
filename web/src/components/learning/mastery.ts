// How mastery and evidence are put into words, the same on every screen: a
// band's colour always comes with its name and the percentage in text.

import type { ConceptMastery, Evidence } from "../../api/learning";

/** Where a learner stands on a concept, coarsely. */
export type MasteryBand = "none" | "learning" | "nearly" | "mastered";

/** Below `mastered` (the server's threshold, 0.8), at least this much is "nearly there". */
const NEARLY = 0.5;

export const BANDS: readonly { band: MasteryBand; label: string; hint: string }[] = [
  { band: "none", label: "Not started", hint: "no evidence yet" },
  { band: "learning", label: "Learning", hint: `under ${NEARLY * 100}%` },
  { band: "nearly", label: "Nearly there", hint: `${NEARLY * 100}% or more` },
  { band: "mastered", label: "Mastered", hint: "80% or more" },
];

export function masteryBand(standing: ConceptMastery | undefined): MasteryBand {
  if (!standing || standing.evidence_count === 0) return "none";
  if (standing.mastered) return "mastered";
  return standing.mastery >= NEARLY ? "nearly" : "learning";
}

export function bandLabel(band: MasteryBand): string {
  return BANDS.find((b) => b.band === band)!.label;
}

/** A 0..1 estimate as a whole percentage. */
export function percentOf(fraction: number): number {
  return Math.round(fraction * 100);
}

export function percent(fraction: number): string {
  return `${percentOf(fraction)}%`;
}

const EVIDENCE_KINDS: Record<Evidence["kind"], string> = {
  graded_answer: "Practice answer",
  review: "Review",
  demonstrated: "Demonstrated",
  exposure: "Read in a coach answer",
};

export function evidenceKindLabel(kind: Evidence["kind"]): string {
  return EVIDENCE_KINDS[kind];
}

/** A graded piece of evidence's outcome ("Right", "Wrong", or a partial score); null when it carries none. */
export function evidenceOutcome(evidence: Evidence): { label: string; right: boolean } | null {
  if (evidence.outcome == null) return null;
  if (evidence.outcome >= 1) return { label: "Right", right: true };
  if (evidence.outcome <= 0) return { label: "Wrong", right: false };
  return { label: `${percent(evidence.outcome)} right`, right: evidence.outcome >= 0.5 };
}
