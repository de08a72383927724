// Starting a practice session from anywhere on a screen: one mutation per
// screen, so only one session starts at a time, and each button shows the
// error of the session it tried to start right beside it.

import type { ReactNode } from "react";
import { useNavigate } from "react-router-dom";
import { useMutation, useQueryClient, type UseMutationResult } from "@tanstack/react-query";
import { learning, learningKeys, type PracticeSession, type PracticeTarget } from "../../api/learning";
import { describeStartError, targetKey } from "./practice";

export type StartPractice = UseMutationResult<PracticeSession, unknown, PracticeTarget>;

/** Starts a session for the signed-in learner and opens it. */
export function useStartPractice(org: string, person: string): StartPractice {
  const navigate = useNavigate();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (target: PracticeTarget) => learning.startPractice(org, person, target),
    onSuccess: (session) => {
      client.setQueryData(learningKeys.session(org, session.id), session);
      void client.invalidateQueries({ queryKey: learningKeys.sessions(org, person) });
      navigate(`/learning/practice/${session.id}`);
    },
  });
}

export function PracticeButton({
  start,
  target,
  children,
  primary,
  label,
}: {
  start: StartPractice;
  target: PracticeTarget;
  children: ReactNode;
  primary?: boolean;
  /** An accessible name when the visible text alone is ambiguous (several "Placement" buttons). */
  label?: string;
}) {
  const mine = !!start.variables && targetKey(start.variables) === targetKey(target);
  return (
    <span className="practice-button">
      <button
        type="button"
        className={primary ? "primary" : undefined}
        aria-label={label}
        disabled={start.isPending}
        onClick={() => start.mutate(target)}
      >
        {mine && start.isPending ? "Starting…" : children}
      </button>
      {mine && start.isError && (
        <span className="error-note" role="alert">
          {describeStartError(start.error)}
        </span>
      )}
    </span>
  );
}
