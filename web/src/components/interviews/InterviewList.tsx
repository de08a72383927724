// A list of interviews: which flow, whose (when it may be someone else's),
// where it stands and how many answers were given, each opening the interview
// (to continue it or see its summary when it is one's own, else to read it).

import { Link } from "react-router-dom";
import { interviewStatusLabel, type InterviewListing } from "../../api/interviews";
import { formatDate } from "../../lib/format";

export function InterviewList({
  label,
  items,
  linkTo,
  showPerson = false,
  own = false,
}: {
  label: string;
  items: InterviewListing[];
  linkTo: (interview: InterviewListing) => string;
  showPerson?: boolean;
  /** The caller's own: "Continue" or "See summary" rather than "Read". */
  own?: boolean;
}) {
  return (
    <ul className="plain-list interview-list" aria-label={label}>
      {items.map((i) => {
        const name = showPerson ? `${i.flow_name} — ${i.person_name}` : i.flow_name;
        const action = !own ? "Read" : i.status === "completed" ? "See summary" : "Continue";
        return (
          <li key={i.id}>
            <span className="interview-list-what">
              <strong>{name}</strong> <span className={`status interview-status-${i.status}`}>{interviewStatusLabel(i.status)}</span>
              <span className="muted small interview-list-meta">
                {i.answers} answer{i.answers === 1 ? "" : "s"} · started {formatDate(i.started_at)}
                {i.status === "completed" && i.summarised ? " · summary ready" : ""}
              </span>
            </span>
            <Link className="button" to={linkTo(i)} aria-label={`${action}: ${name}`}>
              {action}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
