// Answers the rules could not grade (a short answer between right and wrong),
// waiting for a coach: each with the question, the learner's answer and the
// reference answer, graded right or wrong with a comment the learner reads.
// The grade is evidence about the learner, like any graded answer.

import { useId, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import "../../styles/learning.css";
import { learning, learningKeys, type AwaitingAnswer } from "../../api/learning";
import { ErrorNote, Loading } from "../ui";
import { formatDateTime } from "../../lib/format";
import { answerText, promptText } from "./practice";

function GradeAnswer({ org, waiting, showLearner }: { org: string; waiting: AwaitingAnswer; showLearner: boolean }) {
  const client = useQueryClient();
  const commentId = useId();
  const [comment, setComment] = useState("");
  const grade = useMutation({
    mutationFn: (correct: boolean) =>
      learning.reviewAnswer(org, waiting.session_id, { question_id: waiting.question.id, correct, comment }),
    onSuccess: async () => {
      await Promise.all([
        client.invalidateQueries({ queryKey: learningKeys.awaitingReview(org) }),
        client.invalidateQueries({ queryKey: learningKeys.learner(org, waiting.person_id) }),
        client.invalidateQueries({ queryKey: learningKeys.session(org, waiting.session_id) }),
      ]);
    },
  });
  const question = promptText(waiting.question.prompt);
  return (
    <li className="card awaiting-answer">
      <p className="practice-attempt-question">{question}</p>
      <p className="small">
        {showLearner && (
          <>
            <Link to={`/learners/${waiting.person_id}`}>{waiting.person_name}</Link> ·{" "}
          </>
        )}
        <span className="tag">{waiting.question.concept.name}</span> · {formatDateTime(waiting.answered_at)}
      </p>
      <dl className="learning-facts">
        <dt>Their answer</dt>
        <dd>{answerText(waiting.question.prompt, waiting.answer)}</dd>
        <dt>Reference answer</dt>
        <dd>{waiting.correct_answer}</dd>
      </dl>
      <label htmlFor={commentId}>Comment for the learner (optional)</label>
      <textarea id={commentId} rows={2} maxLength={1000} value={comment} onChange={(e) => setComment(e.target.value)} />
      <div className="actions start">
        <button type="button" className="primary" disabled={grade.isPending} onClick={() => grade.mutate(true)}>
          Right
        </button>
        <button type="button" disabled={grade.isPending} onClick={() => grade.mutate(false)}>
          Wrong
        </button>
      </div>
      <ErrorNote error={grade.error} />
    </li>
  );
}

/** The answers waiting for the caller to grade: everyone's they guide, or one learner's. */
export function AwaitingAnswers({ org, person }: { org: string; person?: string }) {
  const headingId = useId();
  const waiting = useQuery({ queryKey: learningKeys.awaitingReview(org), queryFn: () => learning.awaitingReview(org) });
  const shown = (waiting.data ?? []).filter((w) => !person || w.person_id === person);
  if (waiting.isSuccess && shown.length === 0) return null;
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>Answers waiting for you</h2>
      <p className="muted small">
        These could not be graded automatically. Your grade counts towards the learner's mastery, and they see your
        comment.
      </p>
      {waiting.isPending && <Loading />}
      <ErrorNote error={waiting.error} onRetry={() => waiting.refetch()} />
      {shown.length > 0 && (
        <ul className="awaiting-answers" aria-labelledby={headingId}>
          {shown.map((w) => (
            <GradeAnswer key={`${w.session_id}-${w.question.id}`} org={org} waiting={w} showLearner={!person} />
          ))}
        </ul>
      )}
    </section>
  );
}
