// The reviews due within the coming week, most overdue first: when each is
// due and how likely the learner is to recall the concept now.

import type { UpcomingReview } from "../../api/insights";
import { formatDateTime } from "../../lib/format";
import { percent } from "../learning/mastery";

export function UpcomingReviews({ reviews, now }: { reviews: readonly UpcomingReview[]; now: number }) {
  if (reviews.length === 0) return <p className="muted">No reviews due in the coming week.</p>;
  return (
    <ul className="plain-list upcoming-reviews" aria-label="Upcoming reviews">
      {reviews.map((r) => {
        const overdue = Date.parse(r.due) <= now;
        return (
          <li key={r.concept_id}>
            <span className="upcoming-review-name">{r.name}</span>
            <span className="small">
              <span className={overdue ? "review-overdue" : "muted"}>
                {overdue ? "Due since" : "Due"} <time dateTime={r.due}>{formatDateTime(r.due)}</time>
              </span>
              <span className="muted"> · {percent(r.retrievability)} chance of recalling it now</span>
            </span>
          </li>
        );
      })}
    </ul>
  );
}
