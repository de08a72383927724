// One provisioned coach's result as their manager and admins follow it:
// stage, profile, intake interview (when the admin chose one: its self-rating
// and where the training starts), intake (the program's placement), score per
// domain and training progress, with the training path's steps loaded when
// opened.

import { useId, useState } from "react";
import type { CoachIntake, CoachProfile, CoachProvision } from "../../api/provisioning";
import { formatDate } from "../../lib/format";
import { DomainScoreChart } from "./DomainScoreChart";
import { IntakeInterviewFacts, intakeInterviewOf, startingPointOf } from "./intakeInterview";
import { StageBadge, stageDescription } from "./stage";
import { TrainingProgress, TrainingSteps } from "./Training";
import "../../styles/provisioning.css";

export function ProfileFacts({ profile }: { profile: CoachProfile }) {
  return (
    <dl className="provision-facts">
      <dt>Experience</dt>
      <dd>
        {profile.experience_years} year{profile.experience_years === 1 ? "" : "s"}
      </dd>
      <dt>Subjects</dt>
      <dd>
        <ul className="tags" aria-label="Subjects">
          {profile.subjects.map((s) => (
            <li key={s} className="tag">
              {s}
            </li>
          ))}
        </ul>
      </dd>
      <dt>Goals</dt>
      <dd>{profile.goals?.trim() || <span className="muted">None given</span>}</dd>
    </dl>
  );
}

function intakeStatus(intake: CoachIntake | null): string {
  if (!intake) return "Not started.";
  const answered = `${intake.answered} question${intake.answered === 1 ? "" : "s"}`;
  return intake.status === "completed"
    ? `Completed on ${formatDate(intake.completed_at)} after ${answered}.`
    : `Under way: ${answered} answered so far.`;
}

function TrainingPathDetails({ org, coach, goalId }: { org: string; coach: string; goalId: string }) {
  // Fetched only once opened: a manager's page lists every coach they follow.
  const [open, setOpen] = useState(false);
  return (
    <details className="training-details" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Training path</summary>
      {open && <TrainingSteps org={org} coach={coach} goalId={goalId} />}
    </details>
  );
}

/** The placement's status when an intake interview decides whether it is needed. */
function placementStatus(p: CoachProvision): string {
  const start = startingPointOf(intakeInterviewOf(p));
  if (start === "beginning") return "Not needed: the training starts at the beginning.";
  if (!start && !p.intake) return "After the intake interview, if its self-rating calls for it.";
  return intakeStatus(p.intake);
}

export function CoachResult({ org, provision: p }: { org: string; provision: CoachProvision }) {
  const headingId = useId();
  const coach = p.coach_id;
  const interview = intakeInterviewOf(p);
  return (
    <article className="card coach-result" id={`provision-${p.id}`} aria-labelledby={headingId}>
      <header className="coach-result-header">
        <h3 id={headingId}>{p.coach_name ?? p.email}</h3>
        <StageBadge stage={p.stage} />
      </header>
      <p className="muted small coach-result-meta">
        {p.email} · {p.program_title} · {p.manager_name ? `followed by ${p.manager_name}` : "no manager"}
      </p>
      <p>
        {stageDescription(p.stage)}
        {p.stage === "invited" && ` It expires on ${formatDate(p.invitation_expires_at)}.`}
      </p>
      {coach && (
        <div className="coach-result-body">
          <section aria-labelledby={`${headingId}-profile`}>
            <h4 id={`${headingId}-profile`}>Profile</h4>
            {p.profile ? <ProfileFacts profile={p.profile} /> : <p className="muted">Not completed yet.</p>}
          </section>
          {interview && (
            <section aria-labelledby={`${headingId}-interview`}>
              <h4 id={`${headingId}-interview`}>Intake interview</h4>
              <IntakeInterviewFacts interview={interview} />
            </section>
          )}
          <section aria-labelledby={`${headingId}-intake`}>
            <h4 id={`${headingId}-intake`}>{interview ? "Placement" : "Intake"}</h4>
            <p>{interview ? placementStatus(p) : intakeStatus(p.intake)}</p>
            {p.domain_scores.length > 0 && <DomainScoreChart scores={p.domain_scores} />}
          </section>
          <section aria-labelledby={`${headingId}-training`}>
            <h4 id={`${headingId}-training`}>Training</h4>
            {p.training ? (
              <>
                <TrainingProgress training={p.training} />
                <TrainingPathDetails org={org} coach={coach} goalId={p.training.goal_id} />
              </>
            ) : (
              <p className="muted">No training goal is set.</p>
            )}
          </section>
        </div>
      )}
    </article>
  );
}
