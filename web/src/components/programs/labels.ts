// Words for the program and question states the API names with codes.

import type {
  Defect,
  GeneratedQuestions,
  MaterialRef,
  Program,
  QuestionKind,
  QuestionOrigin,
  QuestionStatus,
} from "../../api/programs";

export const QUESTION_KINDS: readonly { value: QuestionKind; label: string }[] = [
  { value: "multiple_choice", label: "Multiple choice" },
  { value: "true_false", label: "True or false" },
  { value: "cloze", label: "Fill in the blank" },
  { value: "short_answer", label: "Short answer" },
];

export const QUESTION_STATUSES: readonly { value: QuestionStatus; label: string }[] = [
  { value: "draft", label: "Waiting for review" },
  { value: "approved", label: "Approved" },
  { value: "rejected", label: "Rejected" },
  { value: "retired", label: "Retired" },
];

export function kindLabel(kind: QuestionKind): string {
  return QUESTION_KINDS.find((k) => k.value === kind)?.label ?? kind;
}

export function questionStatusLabel(status: QuestionStatus): string {
  return QUESTION_STATUSES.find((s) => s.value === status)?.label ?? status;
}

export const ORIGIN_LABELS: Record<QuestionOrigin, string> = {
  extracted: "made from the material",
  generated: "written by the AI model",
  authored: "written by hand",
  imported: "imported",
};

/** What the automatic check against the cited passage found, in words a reviewer can act on. */
export const DEFECT_LABELS: Record<Defect, string> = {
  malformed: "The item is malformed: a blank, an option or an answer is missing or repeated.",
  answer_unsupported: "The cited passage does not support the answer.",
  distractor_supported: "The cited passage also supports a wrong option.",
  answer_in_stem: "The answer appears in the question itself.",
  false_statement_unrelated: "The false statement has nothing to do with the passage, so it gives itself away.",
};

/** "Draft · version 1, never published", "Published version 2 · unpublished changes (version 3)"… */
export function versionLabel(program: Program): string {
  if (program.status === "archived") return "Archived";
  if (program.published_version == null) return `Draft · version ${program.latest_version}, never published`;
  const published = `Published version ${program.published_version}`;
  return program.has_draft ? `${published} · unpublished changes (version ${program.latest_version})` : published;
}

/** "Handbook › Section" for a concept's material; the whole document when it names no section. */
export function materialLabel(material: MaterialRef, documentTitles: Map<string, string>): string {
  const title = documentTitles.get(material.document) ?? "A document";
  // Markdown sections often start with the document's own heading, which would say the title twice.
  const section = (material.section ?? []).filter((heading, i) => !(i === 0 && heading === title));
  return section.length ? `${title} › ${section.join(" › ")}` : `${title} (whole document)`;
}

/** "Handbook › Section" for a passage whose section label may already start with the document's title. */
export function passageLabel(documentTitle: string, section: string): string {
  const own = section === documentTitle ? "" : section.replace(`${documentTitle} › `, "");
  return own ? `${documentTitle} › ${own}` : documentTitle;
}

export function sameMaterial(a: MaterialRef, b: MaterialRef): boolean {
  return a.document === b.document && (a.section ?? []).join("\u0000") === (b.section ?? []).join("\u0000");
}

/** What a generation request made: "3 new questions wait for review. 1 was already in the bank." */
export function describeGenerated(made: GeneratedQuestions): string {
  const added = made.questions.length;
  const one = (n: number, singular: string, plural: string) => (n === 1 ? singular : plural);
  const parts = [added === 0 ? "No new questions." : `${added} new ${one(added, "question waits", "questions wait")} for review.`];
  if (made.duplicates > 0) parts.push(`${made.duplicates} ${one(made.duplicates, "was", "were")} already in the bank.`);
  if (made.failed_check > 0) {
    const failed = made.failed_check;
    parts.push(`${failed} failed the check against ${one(failed, "its passage and was", "their passages and were")} dropped.`);
  }
  if (made.malformed_items > 0) {
    parts.push(`${made.malformed_items} written by the chat model ${one(made.malformed_items, "was", "were")} malformed and dropped.`);
  }
  if (made.writer === "model" && made.malformed_replies > 0 && added === 0 && made.duplicates === 0) {
    parts.push("The chat model's replies could not be used; try again, or make them from the text.");
  }
  return parts.join(" ");
}
