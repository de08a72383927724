// A coach's training: how far along the program's goal they are, and the
// path's steps still ahead in prerequisite order (from the goal's path, which
// skips what the intake found they already know).

import { useQuery } from "@tanstack/react-query";
import { learning, learningKeys } from "../../api/learning";
import type { GoalProgress } from "../../api/provisioning";
import { ErrorNote, Loading } from "../ui";
import { percent } from "../learning/mastery";
import "../../styles/provisioning.css";

export function TrainingProgress({ training }: { training: GoalProgress }) {
  const done = training.concepts - training.remaining;
  return (
    <p className="training-progress">
      <progress value={done} max={Math.max(training.concepts, 1)} aria-label={`Progress through ${training.title}`} />
      <span>
        {training.remaining} of {training.concepts} concept{training.concepts === 1 ? "" : "s"} to go ·{" "}
        {percent(training.progress)} done
      </span>
    </p>
  );
}

export function TrainingSteps({ org, coach, goalId }: { org: string; coach: string; goalId: string }) {
  const path = useQuery({
    queryKey: learningKeys.goalPath(org, coach, goalId),
    queryFn: () => learning.goalPath(org, coach, goalId),
  });
  if (path.isPending) return <Loading label="Loading the training path…" />;
  if (path.isError) return <ErrorNote error={path.error} onRetry={() => path.refetch()} />;
  const { steps, mastered, total_minutes } = path.data;
  if (steps.length === 0) return <p>Nothing left on the path: every concept of the program is mastered.</p>;
  return (
    <>
      <ol className="training-steps" aria-label="Training path">
        {steps.map((step) => (
          <li key={step.concept.id} className="training-step">
            <span className="training-step-name">{step.concept.name}</span>
            <span className="muted small">
              {percent(step.mastery)} mastery · about {step.estimated_minutes} min
            </span>
          </li>
        ))}
      </ol>
      <p className="muted small">
        About {total_minutes} min in all.
        {mastered.length > 0 &&
          ` ${mastered.length} concept${mastered.length === 1 ? " is" : "s are"} already mastered and skipped.`}
      </p>
    </>
  );
}
