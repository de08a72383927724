// Practice sessions in words: what a question asks, what was answered, what a
// session practises, and why one could not start.

import { ApiError } from "../../api/client";
import type { Answer, PracticePrompt, PracticeTarget } from "../../api/learning";
import { describeError } from "../../lib/errors";

/** The text a question asks, whatever its kind. */
export function promptText(prompt: PracticePrompt): string {
  switch (prompt.kind) {
    case "multiple_choice":
      return prompt.stem;
    case "true_false":
      return prompt.statement;
    case "short_answer":
      return prompt.prompt;
    case "cloze":
      return prompt.text;
  }
}

/** What the learner answered, as they would say it. */
export function answerText(prompt: PracticePrompt, answer: Answer): string {
  switch (answer.kind) {
    case "choice": {
      const options = prompt.kind === "multiple_choice" ? prompt.options : [];
      return answer.selected.map((i) => options[i] ?? `option ${i + 1}`).join("; ") || "(nothing chosen)";
    }
    case "true_false":
      return answer.value ? "True" : "False";
    case "text":
      return answer.text || "(left blank)";
  }
}

/** Names for the ids a target carries, when the screen knows them. */
export interface TargetNames {
  concept?: (id: string) => string | undefined;
  program?: (id: string) => string | undefined;
}

export function targetLabel(target: PracticeTarget, names: TargetNames = {}): string {
  switch (target.kind) {
    case "concept":
      return `Practice: ${names.concept?.(target.concept_id) ?? "one concept"}`;
    case "next_step":
      return "Next step";
    case "reviews":
      return "Reviews";
    case "placement":
      return `Placement: ${names.program?.(target.program_id) ?? "a program"}`;
  }
}

/** One key per target, to tell which of several buttons started (or failed to start) a session. */
export function targetKey(target: PracticeTarget): string {
  switch (target.kind) {
    case "concept":
      return `concept:${target.concept_id}`;
    case "placement":
      return `placement:${target.program_id}`;
    default:
      return target.kind;
  }
}

/** Why a session could not start, in words a learner can act on. */
export function describeStartError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === "no_questions") {
      return "There are no practice questions for this yet. Ask your coach to add some, or practise something else.";
    }
    // The server says what is missing (a program not enrolled in, nothing left to review…).
    if (error.code === "not_enrolled" || error.code === "invalid_field") {
      const message = error.message.replace(/^[a-z_.]+: /, "");
      return `${message.charAt(0).toUpperCase()}${message.slice(1)}.`;
    }
  }
  return describeError(error);
}
