// A practice or placement session: the waiting question, immediate feedback
// with the cited passage after each answer, then the next question, and a
// summary at the end (for a placement, where to start). The session lives on
// the server, so reloading or coming back later resumes it.

import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import "../styles/learning.css";
import { ApiError } from "../api/client";
import {
  learning,
  learningKeys,
  type Answer,
  type AnswerOutcome,
  type PlacementResult,
  type PracticeAttempt,
  type PracticeSession,
} from "../api/learning";
import { useOrgId } from "../session";
import { ErrorNote, Loading } from "../components/ui";
import { AnswerFeedback, CitedPassage } from "../components/learning/AnswerFeedback";
import { QuestionForm } from "../components/learning/QuestionForm";
import { percent } from "../components/learning/mastery";
import { answerText, promptText, targetLabel } from "../components/learning/practice";

function sessionTitle(session: PracticeSession, programTitle: string | undefined): string {
  const concepts = [session.current, ...session.attempts.map((a) => a.question)].flatMap((q) => (q ? [q.concept] : []));
  return targetLabel(session.target, {
    concept: (id) => concepts.find((c) => c.id === id)?.name,
    program: () => programTitle,
  });
}

function AttemptSummary({ attempt }: { attempt: PracticeAttempt }) {
  const prompt = attempt.question.prompt;
  const grade = attempt.grade;
  const verdict =
    grade.outcome === "needs_review" ? "Waiting for your coach" : grade.correct ? "Right" : grade.score > 0 ? "Partly right" : "Wrong";
  const tone = grade.outcome === "needs_review" ? "pending" : grade.correct ? "right" : "wrong";
  return (
    <li className={`practice-attempt verdict-${tone}`}>
      <p className="practice-attempt-question">{promptText(prompt)}</p>
      <p className="small">
        <span className="practice-attempt-verdict">{verdict}</span> · your answer: {answerText(prompt, attempt.answer)}
        {tone !== "right" && <> · correct answer: {attempt.feedback.correct_answer}</>}
      </p>
      {attempt.review && (
        <p className="practice-review small">
          Graded by your coach{attempt.review.comment ? <>: “{attempt.review.comment}”</> : "."}
        </p>
      )}
      {(attempt.feedback.explanation || attempt.feedback.citations.length > 0) && (
        <details>
          <summary>Explanation and source</summary>
          {attempt.feedback.explanation && <p>{attempt.feedback.explanation}</p>}
          {attempt.feedback.citations.map((c) => (
            <CitedPassage key={c.chunk_id} citation={c} />
          ))}
        </details>
      )}
    </li>
  );
}

function PlacementSummary({ placement }: { placement: PlacementResult }) {
  const found = (known: boolean | null | undefined) => (known === true ? "Known" : known === false ? "Not yet" : "Unsure");
  return (
    <section aria-labelledby="placement-heading" className="card">
      <h2 id="placement-heading">Where to start</h2>
      {placement.start_with.length > 0 ? (
        <>
          <p>Start with:</p>
          <ol className="placement-start-with">
            {placement.start_with.map((c) => (
              <li key={c.id}>{c.name}</li>
            ))}
          </ol>
        </>
      ) : (
        <p>You seem to know this whole program already. Practise to keep it fresh.</p>
      )}
      <p className="muted small">
        What you already know counts towards your mastery, so your paths and next step start from there.
      </p>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">What the placement found, by concept</caption>
          <thead>
            <tr>
              <th scope="col">Concept</th>
              <th scope="col">Found</th>
              <th scope="col">Chance you know it</th>
            </tr>
          </thead>
          <tbody>
            {placement.concepts.map((c) => (
              <tr key={c.concept.id}>
                <th scope="row">{c.concept.name}</th>
                <td>{found(c.known)}</td>
                <td>{percent(c.probability)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Summary({ session }: { session: PracticeSession }) {
  const waiting = session.attempts.filter((a) => a.grade.outcome === "needs_review").length;
  return (
    <>
      <section aria-labelledby="results-heading" className="card">
        <h2 id="results-heading">Results</h2>
        <p className="session-score" role="status">
          You answered <strong>{session.correct}</strong> of <strong>{session.answered}</strong> question
          {session.answered === 1 ? "" : "s"} right.
          {waiting > 0 && ` ${waiting} ${waiting === 1 ? "answer waits" : "answers wait"} for your coach to grade.`}
        </p>
      </section>
      {session.placement && <PlacementSummary placement={session.placement} />}
      {session.attempts.length > 0 && (
        <section aria-labelledby="answers-heading">
          <h2 id="answers-heading">Your answers</h2>
          <ol className="practice-attempts">
            {session.attempts.map((a) => (
              <AttemptSummary key={a.question.id} attempt={a} />
            ))}
          </ol>
        </section>
      )}
    </>
  );
}

export default function Practice() {
  const { sessionId = "" } = useParams();
  const org = useOrgId();
  const client = useQueryClient();
  const sessionKey = learningKeys.session(org, sessionId);
  const session = useQuery({ queryKey: sessionKey, queryFn: () => learning.practiceSession(org, sessionId) });
  const placementProgram = session.data?.target.kind === "placement" ? session.data.target.program_id : "";
  const program = useQuery({
    queryKey: learningKeys.program(org, placementProgram),
    queryFn: () => learning.program(org, placementProgram),
    enabled: !!placementProgram,
  });
  // The outcome of the answer just given, shown until the learner moves on.
  const [outcome, setOutcome] = useState<AnswerOutcome | null>(null);
  const answer = useMutation({
    mutationFn: ({ questionId, given, timeTakenMs }: { questionId: string; given: Answer; timeTakenMs: number }) =>
      learning.answer(org, sessionId, { question_id: questionId, answer: given, time_taken_ms: timeTakenMs }),
    onSuccess: (result) => {
      setOutcome(result);
      client.setQueryData(sessionKey, result.session);
      // Mastery, paths, next step and reviews all moved with this answer.
      void client.invalidateQueries({ queryKey: learningKeys.learner(org, result.session.person_id) });
    },
    onError: (error) => {
      // Answered elsewhere or already complete: show the session as it now stands.
      if (error instanceof ApiError && (error.status === 409 || error.status === 422)) {
        void client.invalidateQueries({ queryKey: sessionKey });
      }
    },
  });

  if (session.isPending) return <Loading />;
  if (session.isError) {
    return (
      <div className="page narrow">
        <h1>Practice</h1>
        <ErrorNote error={session.error} onRetry={() => session.refetch()} />
        <Link to="/learning">Back to My learning</Link>
      </div>
    );
  }
  const s = session.data;
  const title = sessionTitle(s, program.data?.program.title);
  const placing = s.target.kind === "placement";
  const current = outcome ? null : s.current;

  return (
    <div className="page narrow practice-page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/learning">My learning</Link> › <span aria-current="page">{title}</span>
      </nav>
      <h1>{title}</h1>
      {s.status === "active" && (
        <p className="session-progress">
          <progress value={s.answered} max={s.size} aria-label="Questions answered" />
          <span>
            {s.answered} answered ·{" "}
            {placing ? `stops once it knows enough (at most ${s.size})` : `up to ${s.size} questions`}
          </span>
        </p>
      )}

      {outcome && (
        <>
          <AnswerFeedback attempt={outcome.attempt} masteryAfter={outcome.mastery} focusOnShow />
          <div className="actions start">
            <button
              type="button"
              className="primary"
              onClick={() => {
                answer.reset();
                setOutcome(null);
              }}
            >
              {s.current ? "Next question" : "See your results"}
            </button>
          </div>
        </>
      )}

      {current && (
        <section aria-labelledby="question-heading" className="card practice-question-card">
          <h2 id="question-heading">
            Question {s.answered + 1}
            <span className="muted small practice-question-concept"> · {current.concept.name}</span>
          </h2>
          <QuestionForm
            key={current.id}
            question={current}
            busy={answer.isPending}
            onAnswer={(given, timeTakenMs) => answer.mutate({ questionId: current.id, given, timeTakenMs })}
          />
          <ErrorNote error={answer.error} />
        </section>
      )}

      {!outcome && s.status === "completed" && <Summary session={s} />}

      <p className="practice-leave">
        <Link to="/learning">
          {s.status === "completed" ? "Back to My learning" : "Leave for now (you can come back to it)"}
        </Link>
      </p>
    </div>
  );
}
