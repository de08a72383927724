// Every provisioning at a glance (admins): coach, program, manager, stage and
// intake interview, each coach linking to their result below.

import type { CoachProvision } from "../../api/provisioning";
import { formatDate } from "../../lib/format";
import { StageBadge } from "./stage";
import { intakeInterviewOf, selfRatingText } from "./intakeInterview";
import { interviewStatusLabel } from "../../api/interviews";
import "../../styles/provisioning.css";

export function ProvisionTable({ provisions }: { provisions: CoachProvision[] }) {
  return (
    <div className="table-wrap">
      <table className="provision-table">
        <caption className="visually-hidden">Provisioned coaches</caption>
        <thead>
          <tr>
            <th scope="col">Coach</th>
            <th scope="col">Training program</th>
            <th scope="col">Manager</th>
            <th scope="col">Stage</th>
            <th scope="col">Provisioned</th>
            <th scope="col">Intake interview</th>
          </tr>
        </thead>
        <tbody>
          {provisions.map((p) => (
            <tr key={p.id}>
              <th scope="row">
                <a href={`#provision-${p.id}`}>{p.coach_name ?? p.email}</a>
                {p.coach_name && <span className="muted small provision-email">{p.email}</span>}
              </th>
              <td>{p.program_title}</td>
              <td>{p.manager_name ?? <span className="muted">None</span>}</td>
              <td>
                <StageBadge stage={p.stage} />
              </td>
              <td className="muted">{formatDate(p.created_at)}</td>
              <td>
                <IntakeInterviewCell provision={p} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function IntakeInterviewCell({ provision }: { provision: CoachProvision }) {
  const interview = intakeInterviewOf(provision);
  if (!interview) {
    // Before the coach accepts, an intake interview chosen is not started yet.
    return provision.stage === "invited" || provision.stage === "lapsed" ? (
      <span className="muted">Not started</span>
    ) : (
      <span className="muted">None</span>
    );
  }
  return (
    <>
      <span>{interview.flow_name}</span>
      <span className="muted small provision-email">
        {interviewStatusLabel(interview.status)}
        {interview.status === "completed" && ` · self-rating ${selfRatingText(interview.self_rating)}`}
      </span>
    </>
  );
}
