// One question of the bank as a reviewer needs it: what it asks and what
// answers it, its explanation, the passage it cites and what the automatic
// check against that passage found; approve, reject, retire, correct its
// text, or make more questions for its concept.

import { useId, useState, type FormEvent } from "react";
import { useMutation } from "@tanstack/react-query";
import {
  questions as questionsApi,
  type Question,
  type QuestionBody,
  type QuestionPatch,
  type QuestionStatus,
} from "../../api/programs";
import { ErrorNote, Field } from "../ui";
import { DEFECT_LABELS, ORIGIN_LABELS, describeGenerated, kindLabel, passageLabel, questionStatusLabel } from "./labels";
import { QuestionBodyFields, cleanBody, promptOf } from "./QuestionBodyFields";
import "../../styles/programs.css";

function Answers({ body }: { body: QuestionBody }) {
  switch (body.kind) {
    case "multiple_choice":
      return (
        <ol className="question-options" type="A">
          {body.options.map((option, i) => {
            const correct = body.correct.includes(i);
            return (
              <li key={i} className={correct ? "correct" : undefined}>
                {option}
                {correct && <span className="correct-mark"> ✓ correct</span>}
              </li>
            );
          })}
        </ol>
      );
    case "true_false":
      return (
        <p className="question-answer">
          Answer: <strong>{body.answer ? "True" : "False"}</strong>
        </p>
      );
    case "cloze":
      return (
        <p className="question-answer">
          Accepted: <strong>{body.answers.join(" · ")}</strong>
        </p>
      );
    case "short_answer":
      return (
        <p className="question-answer">
          Model answer: <strong>{body.reference}</strong>
        </p>
      );
  }
}

function CheckResult({ question }: { question: Question }) {
  if (!question.checked) {
    return <p className="check-result unchecked">Not checked: the question cites no passage.</p>;
  }
  if (question.defect) {
    return <p className="check-result failed">Check failed: {DEFECT_LABELS[question.defect]}</p>;
  }
  return <p className="check-result passed">Check passed: the cited passage supports the answer.</p>;
}

function EditQuestionForm({
  question,
  busy,
  error,
  onSave,
  onCancel,
}: {
  question: Question;
  busy: boolean;
  error: unknown;
  onSave: (change: { body: QuestionBody; explanation: string }) => void;
  onCancel: () => void;
}) {
  const [body, setBody] = useState<QuestionBody>(question.body);
  const [explanation, setExplanation] = useState(question.explanation);

  function submit(event: FormEvent) {
    event.preventDefault();
    onSave({ body: cleanBody(body), explanation });
  }

  return (
    <form onSubmit={submit} aria-label="Edit question" className="question-edit">
      <QuestionBodyFields value={body} onChange={setBody} />
      <Field label="Explanation" hint="One line of feedback shown after answering.">
        {(p) => <textarea {...p} rows={2} value={explanation} onChange={(e) => setExplanation(e.target.value)} />}
      </Field>
      <ErrorNote error={error} />
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          Save question
        </button>
      </div>
    </form>
  );
}

export function QuestionCard({
  org,
  question,
  conceptNames,
  onChanged,
  onAnnounce,
}: {
  org: string;
  question: Question;
  conceptNames: Map<string, string>;
  onChanged: () => Promise<unknown>;
  onAnnounce: (message: string) => void;
}) {
  const promptId = useId();
  const [editing, setEditing] = useState(false);
  const prompt = promptOf(question.body);
  // Coaches do not see unpublished programs, so some names may be unknown.
  const knownConcepts = question.concepts.flatMap((id) => conceptNames.get(id) ?? []);
  const firstConcept = question.concepts[0];

  const review = useMutation({
    mutationFn: (change: QuestionPatch) => questionsApi.review(org, question.id, change),
    onSuccess: async (updated, change) => {
      setEditing(false);
      onAnnounce(
        change.status
          ? `“${promptOf(updated.body)}”: ${questionStatusLabel(updated.status).toLowerCase()}.`
          : `“${promptOf(updated.body)}” saved.`,
      );
      await onChanged();
    },
  });
  const regenerate = useMutation({
    mutationFn: (conceptId: string) => questionsApi.generate(org, conceptId),
    onSuccess: async (made, conceptId) => {
      const name = conceptNames.get(conceptId);
      onAnnounce(name ? `${name}: ${describeGenerated(made)}` : describeGenerated(made));
      await onChanged();
    },
  });

  const decide = (status: QuestionStatus) => review.mutate({ status });

  return (
    <li className="card question-card">
      <article aria-labelledby={editing ? undefined : promptId} aria-label={editing ? `Editing: ${prompt}` : undefined}>
        <div className="question-meta">
          <span className="tag">{kindLabel(question.body.kind)}</span>
          <span className={`status question-status-${question.status}`}>{questionStatusLabel(question.status)}</span>
          <span className="muted small">
            {[ORIGIN_LABELS[question.origin], knownConcepts.join(", ")].filter(Boolean).join(" · ")}
          </span>
        </div>
        {editing ? (
          <EditQuestionForm
            question={question}
            busy={review.isPending}
            error={review.error}
            onSave={(change) => review.mutate(change)}
            onCancel={() => setEditing(false)}
          />
        ) : (
          <>
            <p id={promptId} className="question-prompt">
              {prompt}
            </p>
            <Answers body={question.body} />
            {question.explanation && <p className="question-explanation">Explanation: {question.explanation}</p>}
          </>
        )}
        <CheckResult question={question} />
        {question.citations.map((c) => (
          <figure key={c.chunk_id} className="question-citation">
            <figcaption>Cited: {passageLabel(c.document_title, c.section)}</figcaption>
            <blockquote>{c.text}</blockquote>
          </figure>
        ))}
        {question.statistics.attempts > 0 && (
          <p className="muted small">
            {question.statistics.attempts} answer{question.statistics.attempts === 1 ? "" : "s"}
            {question.statistics.correct_rate != null &&
              ` · ${Math.round(question.statistics.correct_rate * 100)}% right`}
            {question.statistics.weak && " · a candidate to retire: it does not tell strong learners from weak ones"}
          </p>
        )}
        {!editing && (
          <div className="actions start question-actions">
            {question.status !== "approved" && (
              <button type="button" className="primary" disabled={review.isPending} onClick={() => decide("approved")}>
                Approve
              </button>
            )}
            {question.status === "draft" && (
              <button type="button" disabled={review.isPending} onClick={() => decide("rejected")}>
                Reject
              </button>
            )}
            {question.status === "approved" && (
              <button type="button" disabled={review.isPending} onClick={() => decide("retired")}>
                Retire
              </button>
            )}
            <button
              type="button"
              onClick={() => {
                review.reset();
                setEditing(true);
              }}
            >
              Edit
            </button>
            {firstConcept && (
              <button
                type="button"
                disabled={regenerate.isPending}
                onClick={() => regenerate.mutate(firstConcept)}
                aria-label={`Regenerate questions for ${conceptNames.get(firstConcept) ?? "this question's concept"}`}
              >
                {regenerate.isPending ? "Generating…" : "Regenerate"}
              </button>
            )}
          </div>
        )}
        {!editing && <ErrorNote error={review.error} />}
        <ErrorNote error={regenerate.error} />
      </article>
    </li>
  );
}
