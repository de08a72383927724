// The path to a goal as a sequence of steps: what is already mastered (and so
// skipped), then each concept still to learn in prerequisite order with its
// mastery, why it is on the path and where to read about it.

import type { ReactNode } from "react";
import "../../styles/learning.css";
import type { LearningPath, PathStep } from "../../api/learning";
import { percent } from "./mastery";

function stepReason(step: PathStep): string {
  if (step.reason === "goal" || step.needed_by.length === 0) return "Part of the goal";
  return `Needed for ${step.needed_by.map((c) => c.name).join(", ")}`;
}

export function PathSteps({
  path,
  stepAction,
}: {
  path: LearningPath;
  /** Something to do about a step (the learner's "Practise"). */
  stepAction?: (step: PathStep) => ReactNode;
}) {
  const done = path.mastered.length;
  const total = done + path.steps.length;
  return (
    <div className="learning-path">
      <p className="learning-path-progress">
        <progress value={done} max={Math.max(total, 1)} aria-label={`Progress towards ${path.goal.title}`} />
        <span>
          {done} of {total} concept{total === 1 ? "" : "s"} mastered
          {path.steps.length > 0 && ` · about ${path.total_minutes} min to go`}
        </span>
      </p>
      {total === 0 ? (
        <p className="muted">Nothing on this path: its concepts are no longer in a published program.</p>
      ) : (
        <ol className="learning-path-steps">
          {path.mastered.map((concept) => (
            <li key={concept.id} className="learning-path-step done">
              <span className="path-step-marker" aria-hidden="true">
                ✓
              </span>
              <div className="path-step-body">
                <span className="path-step-name">{concept.name}</span>
                <span className="status ok">Mastered</span>
              </div>
            </li>
          ))}
          {path.steps.map((step, i) => (
            <li key={step.concept.id} className="learning-path-step">
              <span className="path-step-marker" aria-hidden="true">
                {done + i + 1}
              </span>
              <div className="path-step-body">
                <span className="path-step-name">{step.concept.name}</span>
                <span className="status">
                  {percent(step.mastery)} mastery<span className="visually-hidden">, not mastered yet</span>
                </span>
                <p className="muted small path-step-why">
                  {stepReason(step)} · about {step.estimated_minutes} min
                  {step.material.length > 0 &&
                    ` · read ${step.material
                      .map((m) => (m.section?.length ? `${m.document_title} › ${m.section.at(-1)}` : m.document_title))
                      .join("; ")}`}
                </p>
                {stepAction?.(step)}
              </div>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
