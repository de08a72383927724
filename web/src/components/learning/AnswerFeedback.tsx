// What a learner sees right after answering: right or wrong, the correct
// answer, the explanation, and the passage the question was made from quoted
// with its source, so they can check it against the material themselves.

import { useEffect, useId, useRef } from "react";
import "../../styles/learning.css";
import type { ConceptMastery, PracticeAttempt, QuestionCitation } from "../../api/learning";
import { bandLabel, masteryBand, percent, percentOf } from "./mastery";
import { answerText, promptText } from "./practice";

function verdict(attempt: PracticeAttempt): { title: string; tone: "right" | "partly" | "wrong" | "pending" } {
  const grade = attempt.grade;
  if (grade.outcome === "needs_review") return { title: "Your coach will grade this one", tone: "pending" };
  if (grade.correct) return { title: grade.score < 1 ? "Mostly right" : "Correct", tone: "right" };
  return grade.score > 0 ? { title: "Partly right", tone: "partly" } : { title: "Not quite", tone: "wrong" };
}

/** The section's heading path without the document title it usually starts with. */
function sectionOf(citation: QuestionCitation): string {
  const prefix = `${citation.document_title} › `;
  return citation.section.startsWith(prefix) ? citation.section.slice(prefix.length) : citation.section;
}

export function CitedPassage({ citation }: { citation: QuestionCitation }) {
  const section = sectionOf(citation);
  return (
    <figure className="cited-passage">
      <blockquote>{citation.text}</blockquote>
      <figcaption>
        — <cite>{citation.document_title}</cite>
        {section && section !== citation.document_title && <>, {section}</>}
      </figcaption>
    </figure>
  );
}

export function AnswerFeedback({
  attempt,
  masteryAfter,
  focusOnShow,
}: {
  attempt: PracticeAttempt;
  /** The learner's standing on the concept right after this answer. */
  masteryAfter?: ConceptMastery | null;
  /** Move focus here when shown, so the verdict is what a screen reader reads next. */
  focusOnShow?: boolean;
}) {
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focusOnShow) heading.current?.focus();
  }, [focusOnShow]);
  const { title, tone } = verdict(attempt);
  const prompt = attempt.question.prompt;
  const { feedback } = attempt;
  return (
    <section className={`answer-feedback verdict-${tone}`} aria-labelledby={headingId}>
      <h2 id={headingId} ref={heading} tabIndex={-1}>
        <span aria-hidden="true">{tone === "right" ? "✓ " : tone === "pending" ? "… " : "✗ "}</span>
        {title}
      </h2>
      <p className="feedback-question">{promptText(prompt)}</p>
      <dl className="learning-facts">
        <dt>Your answer</dt>
        <dd>{answerText(prompt, attempt.answer)}</dd>
        {tone !== "right" && (
          <>
            <dt>Correct answer</dt>
            <dd>{feedback.correct_answer}</dd>
          </>
        )}
      </dl>
      {feedback.explanation && <p className="feedback-explanation">{feedback.explanation}</p>}
      {feedback.citations.length > 0 && (
        <div className="feedback-citations">
          <h3>From the material</h3>
          {feedback.citations.map((c) => (
            <CitedPassage key={c.chunk_id} citation={c} />
          ))}
        </div>
      )}
      {masteryAfter && (
        <p className="mastery-after" data-mastery={percentOf(masteryAfter.mastery)}>
          Your mastery of {masteryAfter.name} is now <strong>{percent(masteryAfter.mastery)}</strong> (
          {bandLabel(masteryBand(masteryAfter))}).
        </p>
      )}
    </section>
  );
}
