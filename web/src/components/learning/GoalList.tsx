// A learner's goals, each with its deadline when it has one and the path to
// it drawn step by step, and a way to remove one for those who may.

import type { ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import "../../styles/learning.css";
import { learning, learningKeys, type Goal, type PathStep } from "../../api/learning";
import { Empty, ErrorNote, Loading } from "../ui";
import { formatDate } from "../../lib/format";
import { formatFullDay } from "../insights/format";
import { PathSteps } from "./PathSteps";

const GOAL_KINDS: Record<Goal["kind"], string> = {
  concept: "Concept",
  program: "Program",
  text: "Own words",
};

function GoalCard({
  org,
  person,
  goal,
  canRemove,
  stepAction,
}: {
  org: string;
  person: string;
  goal: Goal;
  canRemove: boolean;
  stepAction?: (step: PathStep) => ReactNode;
}) {
  const client = useQueryClient();
  const path = useQuery({
    queryKey: learningKeys.goalPath(org, person, goal.id),
    queryFn: () => learning.goalPath(org, person, goal.id),
  });
  const remove = useMutation({
    mutationFn: () => learning.deleteGoal(org, person, goal.id),
    onSuccess: () => client.invalidateQueries({ queryKey: learningKeys.learner(org, person) }),
  });
  return (
    <li className="card learner-goal">
      <div className="learner-goal-header">
        <div>
          <h3>{goal.title}</h3>
          <p className="muted small">
            {GOAL_KINDS[goal.kind]} goal · set {formatDate(goal.created_at)}
            {goal.deadline && (
              <>
                {" · "}
                <span className="learner-goal-deadline">
                  due <time dateTime={goal.deadline}>{formatFullDay(goal.deadline)}</time>
                </span>
              </>
            )}
            {goal.kind === "text" && goal.targets.length > 0 && ` · about ${goal.targets.map((t) => t.name).join(", ")}`}
          </p>
        </div>
        {canRemove && (
          <button
            type="button"
            className="danger-text"
            aria-label={`Remove goal ${goal.title}`}
            disabled={remove.isPending}
            onClick={() => remove.mutate()}
          >
            Remove
          </button>
        )}
      </div>
      <ErrorNote error={remove.error} />
      {path.isPending && <Loading label="Working out the path…" />}
      <ErrorNote error={path.error} onRetry={() => path.refetch()} />
      {path.data && <PathSteps path={path.data} stepAction={stepAction} />}
    </li>
  );
}

export function GoalList({
  org,
  person,
  goals,
  canRemove,
  stepAction,
  emptyText,
}: {
  org: string;
  person: string;
  goals: Goal[];
  canRemove: boolean;
  stepAction?: (step: PathStep) => ReactNode;
  emptyText: string;
}) {
  if (goals.length === 0) return <Empty title={emptyText} />;
  return (
    <ul className="learner-goals" aria-label="Goals">
      {goals.map((g) => (
        <GoalCard key={g.id} org={org} person={person} goal={g} canRemove={canRemove} stepAction={stepAction} />
      ))}
    </ul>
  );
}
