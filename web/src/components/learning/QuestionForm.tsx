// One practice question as a form, by kind: options as a radio group (one
// correct) or checkboxes (several), true or false, a short answer, or a
// sentence with a blank. Arrow keys move between options and Enter submits,
// from any control.

import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import "../../styles/learning.css";
import type { Answer, PracticeQuestion } from "../../api/learning";

export function QuestionForm({
  question,
  busy,
  onAnswer,
}: {
  question: PracticeQuestion;
  busy: boolean;
  onAnswer: (answer: Answer, timeTakenMs: number) => void;
}) {
  const prompt = question.prompt;
  const shownAt = useRef(performance.now());
  const form = useRef<HTMLFormElement>(null);
  const promptId = useId();
  const [selected, setSelected] = useState<number[]>([]);
  const [truth, setTruth] = useState<boolean | null>(null);
  const [text, setText] = useState("");

  // The question is the page's task: start there (a new question remounts this form).
  useEffect(() => {
    form.current?.querySelector<HTMLElement>("input, textarea")?.focus();
  }, []);

  let answer: Answer | null = null;
  if (prompt.kind === "multiple_choice") answer = selected.length ? { kind: "choice", selected } : null;
  else if (prompt.kind === "true_false") answer = truth === null ? null : { kind: "true_false", value: truth };
  else answer = text.trim() ? { kind: "text", text: text.trim() } : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (answer && !busy) onAnswer(answer, Math.round(performance.now() - shownAt.current));
  }

  // Enter submits from radios, checkboxes and the short-answer box too (Shift+Enter: a new line).
  function onKeyDown(event: KeyboardEvent<HTMLFormElement>) {
    const target = event.target as HTMLElement;
    if (event.key !== "Enter" || event.shiftKey || target.tagName === "BUTTON") return;
    if (target instanceof HTMLInputElement && target.type === "text") return; // submits on its own
    event.preventDefault();
    form.current?.requestSubmit();
  }

  function toggle(index: number, several: boolean) {
    setSelected((current) =>
      several
        ? current.includes(index)
          ? current.filter((i) => i !== index)
          : [...current, index].sort((a, b) => a - b)
        : [index],
    );
  }

  return (
    <form ref={form} className="practice-question-form" onSubmit={submit} onKeyDown={onKeyDown} aria-label="Your answer">
      {prompt.kind === "multiple_choice" && (
        <fieldset className="answer-options">
          <legend className="practice-question-text">{prompt.stem}</legend>
          <p className="hint">{prompt.several ? "Choose every correct answer." : "Choose one answer."}</p>
          {prompt.options.map((option, i) => (
            <label key={i} className="answer-option">
              <input
                type={prompt.several ? "checkbox" : "radio"}
                name={`answer-${question.id}`}
                checked={selected.includes(i)}
                onChange={() => toggle(i, prompt.several)}
              />
              <span>{option}</span>
            </label>
          ))}
        </fieldset>
      )}
      {prompt.kind === "true_false" && (
        <fieldset className="answer-options">
          <legend>
            <span className="hint">True or false?</span>
            <span className="practice-question-text">{prompt.statement}</span>
          </legend>
          {[true, false].map((value) => (
            <label key={String(value)} className="answer-option">
              <input
                type="radio"
                name={`answer-${question.id}`}
                checked={truth === value}
                onChange={() => setTruth(value)}
              />
              <span>{value ? "True" : "False"}</span>
            </label>
          ))}
        </fieldset>
      )}
      {prompt.kind === "short_answer" && (
        <div className="field">
          <label htmlFor={promptId} className="practice-question-text">
            {prompt.prompt}
          </label>
          <textarea
            id={promptId}
            rows={3}
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-describedby={`${promptId}-hint`}
          />
          <p className="hint" id={`${promptId}-hint`}>
            A few words or sentences. Enter checks it; Shift+Enter starts a new line.
          </p>
        </div>
      )}
      {prompt.kind === "cloze" && (
        <div className="field">
          <p className="practice-question-text" id={`${promptId}-text`}>
            {prompt.text}
          </p>
          <label htmlFor={promptId}>Fill in the blank</label>
          <input
            id={promptId}
            type="text"
            autoComplete="off"
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-describedby={`${promptId}-text`}
          />
        </div>
      )}
      <div className="actions start">
        <button type="submit" className="primary" disabled={!answer || busy}>
          {busy ? "Checking…" : "Check answer"}
        </button>
      </div>
    </form>
  );
}
