// The fields of a question by kind: a multiple-choice stem with options (and
// which are correct), a true-or-false statement, a sentence with a blank and
// its accepted fillings, or a short-answer prompt with a model answer.

import { useId } from "react";
import type { QuestionBody, QuestionKind } from "../../api/programs";
import { Field } from "../ui";
import "../../styles/programs.css";

/** The blank of a fill-in-the-blank sentence or a multiple-choice stem, as the API writes it. */
export const BLANK = "_____";
const MAX_OPTIONS = 8;

export function emptyBody(kind: QuestionKind): QuestionBody {
  switch (kind) {
    case "multiple_choice":
      return { kind, stem: "", options: ["", ""], correct: [0] };
    case "true_false":
      return { kind, statement: "", answer: true };
    case "cloze":
      return { kind, text: "", answers: [] };
    case "short_answer":
      return { kind, prompt: "", reference: "" };
  }
}

/** What a learner reads first. */
export function promptOf(body: QuestionBody): string {
  switch (body.kind) {
    case "multiple_choice":
      return body.stem;
    case "true_false":
      return body.statement;
    case "cloze":
      return body.text;
    case "short_answer":
      return body.prompt;
  }
}

/** The body as it is sent: accepted fillings one per line, blank lines left out. */
export function cleanBody(body: QuestionBody): QuestionBody {
  return body.kind === "cloze" ? { ...body, answers: body.answers.map((a) => a.trim()).filter(Boolean) } : body;
}

function MultipleChoiceFields({
  value,
  onChange,
}: {
  value: Extract<QuestionBody, { kind: "multiple_choice" }>;
  onChange: (body: QuestionBody) => void;
}) {
  const setOption = (index: number, text: string) =>
    onChange({ ...value, options: value.options.map((o, i) => (i === index ? text : o)) });
  const toggleCorrect = (index: number, correct: boolean) =>
    onChange({
      ...value,
      correct: correct ? [...value.correct, index].sort((a, b) => a - b) : value.correct.filter((i) => i !== index),
    });
  const removeOption = (index: number) =>
    onChange({
      ...value,
      options: value.options.filter((_, i) => i !== index),
      // Indexes after the removed option move up by one.
      correct: value.correct.filter((i) => i !== index).map((i) => (i > index ? i - 1 : i)),
    });
  return (
    <>
      <Field label="Question" hint={`May hold one blank, written ${BLANK} (five underscores).`}>
        {(p) => <textarea {...p} rows={2} value={value.stem} onChange={(e) => onChange({ ...value, stem: e.target.value })} />}
      </Field>
      <fieldset>
        <legend>Options (tick the correct ones)</legend>
        <ol className="option-fields">
          {value.options.map((option, i) => (
            <li key={i}>
              <input
                type="checkbox"
                aria-label={`Option ${i + 1} is correct`}
                checked={value.correct.includes(i)}
                onChange={(e) => toggleCorrect(i, e.target.checked)}
              />
              <input
                aria-label={`Option ${i + 1}`}
                value={option}
                onChange={(e) => setOption(i, e.target.value)}
              />
              <button
                type="button"
                className="icon-button"
                aria-label={`Remove option ${i + 1}`}
                disabled={value.options.length <= 2}
                onClick={() => removeOption(i)}
              >
                ×
              </button>
            </li>
          ))}
        </ol>
        <button
          type="button"
          disabled={value.options.length >= MAX_OPTIONS}
          onClick={() => onChange({ ...value, options: [...value.options, ""] })}
        >
          Add option
        </button>
      </fieldset>
    </>
  );
}

function TrueFalseFields({
  value,
  onChange,
}: {
  value: Extract<QuestionBody, { kind: "true_false" }>;
  onChange: (body: QuestionBody) => void;
}) {
  const group = useId();
  return (
    <>
      <Field label="Statement">
        {(p) => (
          <textarea {...p} rows={2} value={value.statement} onChange={(e) => onChange({ ...value, statement: e.target.value })} />
        )}
      </Field>
      <fieldset>
        <legend>The statement is</legend>
        <div className="checks">
          <label className="check">
            <input type="radio" name={group} checked={value.answer} onChange={() => onChange({ ...value, answer: true })} />
            True
          </label>
          <label className="check">
            <input type="radio" name={group} checked={!value.answer} onChange={() => onChange({ ...value, answer: false })} />
            False
          </label>
        </div>
      </fieldset>
    </>
  );
}

export function QuestionBodyFields({ value, onChange }: { value: QuestionBody; onChange: (body: QuestionBody) => void }) {
  switch (value.kind) {
    case "multiple_choice":
      return <MultipleChoiceFields value={value} onChange={onChange} />;
    case "true_false":
      return <TrueFalseFields value={value} onChange={onChange} />;
    case "cloze":
      return (
        <>
          <Field label="Sentence" hint={`Write ${BLANK} (five underscores) where the blank goes.`}>
            {(p) => <textarea {...p} rows={2} value={value.text} onChange={(e) => onChange({ ...value, text: e.target.value })} />}
          </Field>
          <Field label="Accepted answers" hint="One per line.">
            {(p) => (
              <textarea
                {...p}
                rows={2}
                value={value.answers.join("\n")}
                onChange={(e) => onChange({ ...value, answers: e.target.value.split("\n") })}
              />
            )}
          </Field>
        </>
      );
    case "short_answer":
      return (
        <>
          <Field label="Question">
            {(p) => <textarea {...p} rows={2} value={value.prompt} onChange={(e) => onChange({ ...value, prompt: e.target.value })} />}
          </Field>
          <Field label="Model answer" hint="What a good answer says; learners' answers are compared with it.">
            {(p) => (
              <textarea {...p} rows={2} value={value.reference} onChange={(e) => onChange({ ...value, reference: e.target.value })} />
            )}
          </Field>
        </>
      );
  }
}
