// The intake's score per domain as a bar chart drawn in HTML and CSS: each
// bar is decoration beside its numbers in text (score out of 100, concepts
// known), so the chart reads the same to a screen reader, in forced colours
// and in print.

import { useId } from "react";
import type { DomainScore } from "../../api/provisioning";
import "../../styles/provisioning.css";

/** Domains are the program's tags, stored in lower case: shown with a capital. */
function domainName(domain: string): string {
  return domain.charAt(0).toUpperCase() + domain.slice(1);
}

export function DomainScoreChart({ scores }: { scores: DomainScore[] }) {
  const captionId = useId();
  return (
    <figure className="domain-chart" aria-labelledby={captionId}>
      <figcaption id={captionId} className="domain-chart-caption">
        Score per domain <span className="muted small">(out of 100)</span>
      </figcaption>
      <ul className="domain-chart-bars" aria-labelledby={captionId}>
        {scores.map((d) => {
          const score = Math.round(d.score);
          return (
            <li key={d.domain} className="domain-chart-row">
              <span className="domain-chart-name">{domainName(d.domain)}</span>
              <span className="domain-chart-score">
                {score}
                <span className="visually-hidden"> out of 100</span>
              </span>
              <span className="domain-chart-track" aria-hidden="true">
                <span className="domain-chart-bar" style={{ width: `${Math.min(Math.max(score, 0), 100)}%` }} />
              </span>
              <span className="domain-chart-known muted small">
                {d.known} of {d.concepts} concept{d.concepts === 1 ? "" : "s"} known
              </span>
            </li>
          );
        })}
      </ul>
    </figure>
  );
}
