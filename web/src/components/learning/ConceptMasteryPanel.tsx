// One concept's standing explained: the mastery estimate with the model's
// reasons in a sentence, when it is next due for review, and the latest
// evidence. The learner's screen adds a "Practise this concept" action.

import { useEffect, useId, useRef, type ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import "../../styles/learning.css";
import { learning, learningKeys } from "../../api/learning";
import { ErrorNote, Loading } from "../ui";
import { formatDate, formatDateTime } from "../../lib/format";
import { bandLabel, evidenceKindLabel, evidenceOutcome, masteryBand, percent } from "./mastery";

/** Evidence shown here; the coach's screen lists all of it. */
const RECENT_EVIDENCE = 5;

export function ConceptMasteryPanel({
  org,
  person,
  conceptId,
  onClose,
  action,
}: {
  org: string;
  person: string;
  conceptId: string;
  onClose: () => void;
  action?: ReactNode;
}) {
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const detail = useQuery({
    queryKey: learningKeys.conceptMastery(org, person, conceptId),
    queryFn: () => learning.conceptMastery(org, person, conceptId),
  });
  // Keyboard and screen-reader users land on the explanation they asked for.
  useEffect(() => {
    heading.current?.focus();
  }, [conceptId, detail.isSuccess]);

  const standing = detail.data?.standing;
  const evidence = detail.data?.evidence ?? [];
  const band = masteryBand(standing);
  return (
    <section className="card concept-mastery-panel" aria-labelledby={headingId}>
      <div className="concept-mastery-panel-header">
        <h3 id={headingId} ref={heading} tabIndex={-1}>
          {standing?.name ?? "Concept"}
        </h3>
        <button type="button" className="icon-button" aria-label="Close concept details" onClick={onClose}>
          ×
        </button>
      </div>
      {detail.isPending && <Loading label="Loading the explanation…" />}
      <ErrorNote error={detail.error} onRetry={() => detail.refetch()} />
      {standing && (
        <>
          <p className="concept-mastery-panel-standing">
            <span className={`mastery-swatch mastery-band-${band}`} aria-hidden="true" />
            <strong>{percent(standing.mastery)}</strong> · {bandLabel(band)}
          </p>
          <p className="concept-mastery-explanation">
            {standing.explanation.charAt(0).toUpperCase() + standing.explanation.slice(1)}.
          </p>
          <dl className="learning-facts">
            <dt>Chance of answering right now</dt>
            <dd>{percent(standing.predicted_success)}</dd>
            <dt>Evidence</dt>
            <dd>{standing.evidence_count}</dd>
            {standing.review_due && (
              <>
                <dt>Next review</dt>
                <dd>{formatDate(standing.review_due)}</dd>
              </>
            )}
          </dl>
          {action && <div className="actions start">{action}</div>}
          {evidence.length > 0 && (
            <>
              <h4>Latest evidence</h4>
              <ul className="concept-evidence-list">
                {evidence.slice(0, RECENT_EVIDENCE).map((e) => {
                  const outcome = evidenceOutcome(e);
                  return (
                    <li key={e.id}>
                      {evidenceKindLabel(e.kind)}
                      {outcome && (
                        <span className={`evidence-outcome ${outcome.right ? "evidence-right" : "evidence-wrong"}`}> · {outcome.label}</span>
                      )}
                      <span className="muted small"> · {formatDateTime(e.occurred_at)}</span>
                    </li>
                  );
                })}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}
