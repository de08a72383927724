// A provisioned coach's onboarding, step by step: complete the profile, take
// the intake (the training program's placement, answered on the practice
// screen and resumable), then see the score per domain and the training path.

import { useEffect, useRef, useState, type ReactNode, type RefObject } from "react";
import { Link } from "react-router-dom";
import type { CoachProvision } from "../../api/provisioning";
import { formatDate } from "../../lib/format";
import { PracticeButton, useStartPractice } from "../learning/PracticeButton";
import { ProfileFacts } from "./CoachResult";
import { DomainScoreChart } from "./DomainScoreChart";
import { ProfileForm } from "./ProfileForm";
import { TrainingProgress, TrainingSteps } from "./Training";
import "../../styles/learning.css";
import "../../styles/provisioning.css";

type StepState = "done" | "current" | "upcoming";

const STATE_LABELS: Record<StepState, string> = { done: "Done", current: "To do", upcoming: "Not yet" };

function Step({
  number,
  title,
  state,
  stateLabel = STATE_LABELS[state],
  headingRef,
  children,
}: {
  number: number;
  title: string;
  state: StepState;
  stateLabel?: string;
  headingRef?: RefObject<HTMLHeadingElement>;
  children: ReactNode;
}) {
  return (
    <li className={`card onboarding-step step-${state}`} aria-current={state === "current" ? "step" : undefined}>
      <h2 ref={headingRef} tabIndex={-1} className="onboarding-step-heading">
        <span className="onboarding-step-number" aria-hidden="true">
          {state === "done" ? "✓" : number}
        </span>
        <span className="visually-hidden">Step {number}: </span>
        <span className="onboarding-step-title">{title}</span>
        <span className={`status onboarding-step-state${state === "done" ? " ok" : ""}`}>{stateLabel}</span>
      </h2>
      {children}
    </li>
  );
}

function IntakeStep({ org, me, provision }: { org: string; me: string; provision: CoachProvision }) {
  const start = useStartPractice(org, me);
  const intake = provision.intake;
  if (intake?.status === "completed") {
    return (
      <p>
        Done on {formatDate(intake.completed_at)}: you answered {intake.answered} question
        {intake.answered === 1 ? "" : "s"}.
      </p>
    );
  }
  if (intake) {
    return (
      <>
        <p>
          You have answered {intake.answered} question{intake.answered === 1 ? "" : "s"} so far. It picks up where
          you left off.
        </p>
        <Link className="button primary" to={`/learning/practice/${intake.session_id}`}>
          Resume the intake
        </Link>
      </>
    );
  }
  if (!provision.profile_completed_at) {
    return <p className="muted">Complete your profile first, then take the intake here.</p>;
  }
  return (
    <>
      <p>
        A short quiz on <strong>{provision.program_title}</strong> that adapts to your answers and stops once it knows
        enough. Answer what you know without guessing the rest: it finds what your training can skip.
      </p>
      <PracticeButton start={start} target={{ kind: "placement", program_id: provision.program_id }} primary>
        Start the intake
      </PracticeButton>
    </>
  );
}

function ResultsStep({ org, me, provision }: { org: string; me: string; provision: CoachProvision }) {
  const { intake, training } = provision;
  if (intake?.status !== "completed") {
    return <p className="muted">Your score per domain and your training path appear here once you finish the intake.</p>;
  }
  return (
    <>
      {provision.domain_scores.length > 0 && <DomainScoreChart scores={provision.domain_scores} />}
      {intake.start_with.length > 0 && (
        <p>
          The intake proposes you start with{" "}
          <strong>{intake.start_with.map((c) => c.name).join(", ")}</strong>.
        </p>
      )}
      <h3>Your training path</h3>
      {training ? (
        <>
          <TrainingProgress training={training} />
          <TrainingSteps org={org} coach={me} goalId={training.goal_id} />
        </>
      ) : (
        <p className="muted">No training goal is set. Ask your administrator.</p>
      )}
      <p>
        <Link className="button primary" to="/learning">
          Go to My learning
        </Link>{" "}
        <span className="muted small">to practise your next step.</span>
      </p>
    </>
  );
}

export function CoachOnboarding({ org, me, provision }: { org: string; me: string; provision: CoachProvision }) {
  const [editingProfile, setEditingProfile] = useState(!provision.profile);
  const profileHeading = useRef<HTMLHeadingElement>(null);
  const intakeHeading = useRef<HTMLHeadingElement>(null);
  // After saving the profile the form goes away: focus moves to the step to do next (a new
  // object each time, so saving twice focuses twice).
  const [focus, setFocus] = useState<{ heading: RefObject<HTMLHeadingElement> } | null>(null);
  useEffect(() => {
    focus?.heading.current?.focus();
  }, [focus]);

  const profileDone = !!provision.profile_completed_at;
  const intakeDone = provision.intake?.status === "completed";
  return (
    <>
      <p>
        You join as a coach with the training program <strong>{provision.program_title}</strong>
        {provision.manager_name && (
          <>
            ; <strong>{provision.manager_name}</strong> follows your progress
          </>
        )}
        .
      </p>
      <ol className="onboarding-steps">
        <Step number={1} title="Complete your profile" state={profileDone ? "done" : "current"} headingRef={profileHeading}>
          {editingProfile || !provision.profile ? (
            <ProfileForm
              org={org}
              provision={provision}
              onSaved={() => {
                setEditingProfile(false);
                setFocus({ heading: profileDone ? profileHeading : intakeHeading });
              }}
              onCancel={provision.profile ? () => setEditingProfile(false) : undefined}
            />
          ) : (
            <>
              <ProfileFacts profile={provision.profile} />
              <button type="button" onClick={() => setEditingProfile(true)}>
                Edit profile
              </button>
            </>
          )}
        </Step>
        <Step
          number={2}
          title="Take the intake"
          state={intakeDone ? "done" : profileDone ? "current" : "upcoming"}
          headingRef={intakeHeading}
        >
          <IntakeStep org={org} me={me} provision={provision} />
        </Step>
        <Step
          number={3}
          title="See your results"
          state={intakeDone ? "current" : "upcoming"}
          stateLabel={intakeDone ? "Ready" : undefined}
        >
          <ResultsStep org={org} me={me} provision={provision} />
        </Step>
      </ol>
    </>
  );
}
