// A provisioned coach's onboarding, step by step: complete the profile, take
// the intake (the training program's placement, answered on the practice
// screen and resumable), then see the score per domain and the training path.
// When the admin chose an intake interview, it comes before the placement:
// answered on the interview screen, its self-rating decides where the
// training starts. A rating of 2 or less starts it at the beginning and the
// placement is not needed; above, the placement follows as before. The
// placement is not offered while the interview runs.

import { useEffect, useRef, useState, type ReactNode, type RefObject } from "react";
import { Link } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { interviewKeys, interviews } from "../../api/interviews";
import type { CoachProvision } from "../../api/provisioning";
import { formatDate } from "../../lib/format";
import { PracticeButton, useStartPractice } from "../learning/PracticeButton";
import { ProfileFacts } from "./CoachResult";
import { DomainScoreChart } from "./DomainScoreChart";
import {
  IntakeInterviewFacts,
  intakeInterviewOf,
  selfRatingText,
  startingPointOf,
  type IntakeInterview,
} from "./intakeInterview";
import { ProfileForm } from "./ProfileForm";
import { TrainingProgress, TrainingSteps } from "./Training";
import "../../styles/learning.css";
import "../../styles/provisioning.css";

type StepState = "done" | "current" | "upcoming" | "skipped";

const STATE_LABELS: Record<StepState, string> = {
  done: "Done",
  current: "To do",
  upcoming: "Not yet",
  skipped: "Not needed",
};

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

function InterviewStep({ org, provision, interview }: { org: string; provision: CoachProvision; interview: IntakeInterview }) {
  const completed = interview.status === "completed";
  // How far the coach got, to say "Start" or "Continue" (their own interview: they may read it).
  const detail = useQuery({
    queryKey: interviewKeys.one(org, interview.interview_id),
    queryFn: () => interviews.get(org, interview.interview_id),
    enabled: !completed && !!provision.profile_completed_at,
  });
  if (completed) {
    return (
      <>
        <IntakeInterviewFacts interview={interview} />
        <p>
          <Link to={`/interviews/${encodeURIComponent(interview.interview_id)}`}>Read your intake interview</Link>
        </p>
      </>
    );
  }
  if (!provision.profile_completed_at) {
    return (
      <p className="muted">
        Complete your profile first, then answer your intake interview, <strong>{interview.flow_name}</strong>, here.
      </p>
    );
  }
  const answers = detail.data?.answers ?? 0;
  const begun = answers > 0 || interview.status === "paused";
  return (
    <>
      <p>
        A few questions in <strong>{interview.flow_name}</strong> about your goals, your experience and how you like to
        learn, typed or spoken. Rate yourself honestly: a self-rating of 2 or less starts your training at the
        beginning, without a placement.
      </p>
      <IntakeInterviewFacts interview={interview} showFlow={false} />
      {answers > 0 && (
        <p>
          You have answered {answers} question{answers === 1 ? "" : "s"} so far. It picks up where you left off.
        </p>
      )}
      <Link className="button primary" to={`/interviews/${encodeURIComponent(interview.interview_id)}`}>
        {begun ? "Continue your intake interview" : "Start your intake interview"}
      </Link>
    </>
  );
}

/** The placement after an intake interview: not offered while it runs, nor when the training starts at the beginning. */
function PlacementStep({
  org,
  me,
  provision,
  interview,
}: {
  org: string;
  me: string;
  provision: CoachProvision;
  interview: IntakeInterview;
}) {
  const start = startingPointOf(interview);
  if (start === "beginning") {
    return (
      <p>
        Not needed: you rated yourself {selfRatingText(interview.self_rating)}, so your training starts at the
        beginning.
      </p>
    );
  }
  if (!start && !provision.intake) {
    return (
      <p className="muted">
        Once you finish your intake interview: a self-rating above 2 asks for this placement, a short quiz that finds
        what your training can skip.
      </p>
    );
  }
  return <IntakeStep org={org} me={me} provision={provision} noun="placement" />;
}

function IntakeStep({
  org,
  me,
  provision,
  noun = "intake",
}: {
  org: string;
  me: string;
  provision: CoachProvision;
  /** What the coach calls it: "the intake", or "the placement" after an intake interview. */
  noun?: "intake" | "placement";
}) {
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
          Resume the {noun}
        </Link>
      </>
    );
  }
  if (!provision.profile_completed_at) {
    return <p className="muted">Complete your profile first, then take the {noun} here.</p>;
  }
  return (
    <>
      <p>
        A short quiz on <strong>{provision.program_title}</strong> that adapts to your answers and stops once it knows
        enough. Answer what you know without guessing the rest: it finds what your training can skip.
      </p>
      <PracticeButton start={start} target={{ kind: "placement", program_id: provision.program_id }} primary>
        Start the {noun}
      </PracticeButton>
    </>
  );
}

function ResultsStep({ org, me, provision }: { org: string; me: string; provision: CoachProvision }) {
  const { intake, training } = provision;
  const interview = intakeInterviewOf(provision);
  const beginning = startingPointOf(interview) === "beginning";
  if (!beginning && intake?.status !== "completed") {
    return (
      <p className="muted">
        Your score per domain and your training path appear here once you finish the{" "}
        {interview ? (interview.status === "completed" ? "placement" : "intake interview") : "intake"}.
      </p>
    );
  }
  return (
    <>
      {interview && beginning && (
        <p className="intake-starting-point">
          Your training starts at the beginning
          {interview.start_with.length > 0 ? (
            <>
              , with <strong>{interview.start_with.map((c) => c.name).join(", ")}</strong>.
            </>
          ) : (
            "."
          )}
        </p>
      )}
      {provision.domain_scores.length > 0 && <DomainScoreChart scores={provision.domain_scores} />}
      {intake?.status === "completed" && intake.start_with.length > 0 && (
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
  // The step after the profile: the intake interview when there is one, else the intake.
  const intakeHeading = useRef<HTMLHeadingElement>(null);
  // After saving the profile the form goes away: focus moves to the step to do next (a new
  // object each time, so saving twice focuses twice).
  const [focus, setFocus] = useState<{ heading: RefObject<HTMLHeadingElement> } | null>(null);
  useEffect(() => {
    focus?.heading.current?.focus();
  }, [focus]);

  const profileDone = !!provision.profile_completed_at;
  const interview = intakeInterviewOf(provision);
  const interviewDone = interview?.status === "completed";
  const beginning = startingPointOf(interview) === "beginning";
  const intakeDone = provision.intake?.status === "completed";
  // The results are there once the placement is done, or without it when the training starts at the beginning.
  const resultsReady = intakeDone || beginning;
  const placementState: StepState = beginning
    ? "skipped"
    : intakeDone
      ? "done"
      : profileDone && (!interview || interviewDone)
        ? "current"
        : "upcoming";
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
        {interview ? (
          <>
            <Step
              number={2}
              title="Answer your intake interview"
              state={interviewDone ? "done" : profileDone ? "current" : "upcoming"}
              headingRef={intakeHeading}
            >
              <InterviewStep org={org} provision={provision} interview={interview} />
            </Step>
            <Step number={3} title="Take the placement" state={placementState}>
              <PlacementStep org={org} me={me} provision={provision} interview={interview} />
            </Step>
          </>
        ) : (
          <Step number={2} title="Take the intake" state={placementState} headingRef={intakeHeading}>
            <IntakeStep org={org} me={me} provision={provision} />
          </Step>
        )}
        <Step
          number={interview ? 4 : 3}
          title="See your results"
          state={resultsReady ? "current" : "upcoming"}
          stateLabel={resultsReady ? "Ready" : undefined}
        >
          <ResultsStep org={org} me={me} provision={provision} />
        </Step>
      </ol>
    </>
  );
}
