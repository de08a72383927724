// A provisioned coach's intake interview (a coach-intake flow the admin chose):
// which flow, where it stands and, once answered, the coach's self-rating and
// where their training starts: at the beginning (a rating of 2 or less, no
// placement needed) or where the program's placement finds it. The same words
// on the Team screen and in the coach's onboarding.

import { interviewStatusLabel, type InterviewStatus } from "../../api/interviews";
import type { CoachProvision } from "../../api/provisioning";
import type { components } from "../../api/schema";
import { formatDate } from "../../lib/format";
import "./intake.css";

type Schemas = components["schemas"];

/** As the server sends it: every field present (null when unknown), `status` one of the interview's. */
export type IntakeInterview = Omit<{ [K in keyof Schemas["IntakeInterview"]]-?: Schemas["IntakeInterview"][K] }, "status"> & {
  status: InterviewStatus;
};
export type StartingPoint = Schemas["StartingPoint"];

/** The provisioning's intake interview, or null (no intake flow, or the coach has not accepted yet). */
export function intakeInterviewOf(provision: CoachProvision): IntakeInterview | null {
  return (provision.intake_interview as IntakeInterview | null | undefined) ?? null;
}

/** Where the training starts, once the interview is answered; null before. */
export function startingPointOf(interview: IntakeInterview | null): StartingPoint | null {
  if (interview?.status !== "completed") return null;
  return interview.starting_point ?? "placement";
}

/** "Starts at the beginning: Attending, Open questions." or "Starts where the placement finds it." */
export function startingPointSentence(interview: IntakeInterview): string {
  if (startingPointOf(interview) === "beginning") {
    const names = interview.start_with.map((c) => c.name);
    return names.length > 0 ? `Starts at the beginning: ${names.join(", ")}.` : "Starts at the beginning.";
  }
  return "Starts where the placement finds it.";
}

export function selfRatingText(rating: number | null): string {
  return rating == null ? "Not given" : `${rating} of 5`;
}

/** The interview's facts: flow, status and, once answered, the self-rating and where the training starts. */
export function IntakeInterviewFacts({ interview, showFlow = true }: { interview: IntakeInterview; showFlow?: boolean }) {
  const completed = interview.status === "completed";
  return (
    <dl className="provision-facts intake-interview-facts">
      {showFlow && (
        <>
          <dt>Interview</dt>
          <dd>{interview.flow_name}</dd>
        </>
      )}
      <dt>Status</dt>
      <dd>
        <span className={`status intake-status intake-status-${interview.status}`}>
          {interviewStatusLabel(interview.status)}
        </span>
        {completed && interview.completed_at && <> on {formatDate(interview.completed_at)}</>}
      </dd>
      {completed && (
        <>
          <dt>Self-rating</dt>
          <dd>{selfRatingText(interview.self_rating)}</dd>
          <dt>Training</dt>
          <dd>{startingPointSentence(interview)}</dd>
        </>
      )}
    </dl>
  );
}
