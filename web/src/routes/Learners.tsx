// The learners the caller may follow (an admin: everyone enrolled; a coach,
// parent or manager: those they supervise), a page at a time, each with how
// much of their programs they have mastered and how far along each goal they
// are, linking to the learner's own page.

import { Link, useSearchParams } from "react-router-dom";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import "../styles/learning.css";
import { orgs } from "../api/endpoints";
import { learning, learningKeys, type LearnerProgress } from "../api/learning";
import type { Person } from "../api/types";
import { useOrgId, useSession } from "../session";
import { AwaitingAnswers } from "../components/learning/AwaitingAnswers";
import { Empty, ErrorNote, Loading } from "../components/ui";
import { formatDate } from "../lib/format";
import { percent } from "../components/learning/mastery";

const PAGE_SIZE = 24;

function LearnerCard({ progress, person }: { progress: LearnerProgress; person: Person | undefined }) {
  const name = person?.display_name ?? "Unnamed learner";
  const share = progress.enrolled_concepts ? progress.mastered_concepts / progress.enrolled_concepts : 0;
  return (
    <li className="card followed-learner">
      <h2 className="followed-learner-name">
        <Link to={`/learners/${progress.person_id}`}>{name}</Link>
      </h2>
      {person && <p className="muted small followed-learner-email">{person.email}</p>}
      <p className="followed-learner-mastered">
        <progress value={progress.mastered_concepts} max={Math.max(progress.enrolled_concepts, 1)} aria-label={`${name}: concepts mastered`} />
        <span>
          {progress.mastered_concepts} of {progress.enrolled_concepts} concepts mastered ({percent(share)})
        </span>
      </p>
      {progress.goals.length > 0 ? (
        <ul className="followed-learner-goals" aria-label={`${name}'s goals`}>
          {progress.goals.map((g) => (
            <li key={g.goal_id}>
              <span className="followed-learner-goal">{g.title}</span>
              <span className="muted small">
                {percent(g.progress)} · {g.remaining} of {g.concepts} to go
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">No goals yet.</p>
      )}
      <p className="muted small">
        Last activity: {progress.last_evidence_at ? formatDate(progress.last_evidence_at) : "none yet"}
      </p>
    </li>
  );
}

export default function Learners() {
  const org = useOrgId();
  const [params, setParams] = useSearchParams();
  const offset = Math.max(0, Number(params.get("from")) || 0);
  const progress = useQuery({
    queryKey: learningKeys.progress(org, offset),
    queryFn: () => learning.progress(org, { limit: PAGE_SIZE, offset }),
    placeholderData: keepPreviousData,
  });
  // The progress list carries ids only; names come from the members the caller may see.
  const members = useQuery({ queryKey: ["members", org], queryFn: () => orgs.members(org) });
  const people = new Map(members.data?.map((m) => [m.person.id, m.person]));

  // Admins and coaches grade the answers the rules could not.
  const { isAdmin, role } = useSession();
  const canGrade = isAdmin || role === "coach";

  const goTo = (from: number) => setParams(from > 0 ? { from: String(from) } : {});
  const total = progress.data?.total ?? 0;

  return (
    <div className="page">
      <h1>Learners</h1>
      <p className="muted">The learners you follow and how far they are.</p>
      {canGrade && <AwaitingAnswers org={org} />}
      {progress.isPending && <Loading />}
      <ErrorNote error={progress.error ?? members.error} onRetry={() => progress.refetch()} />
      {progress.data && progress.data.learners.length === 0 && (
        <Empty title="No learners to follow yet.">
          Learners appear here once they are enrolled in a program and you follow them (as their coach, parent or
          manager).
        </Empty>
      )}
      {progress.data && progress.data.learners.length > 0 && (
        <>
          <ul className="followed-learners" aria-label="Learners">
            {progress.data.learners.map((p) => (
              <LearnerCard key={p.person_id} progress={p} person={people.get(p.person_id)} />
            ))}
          </ul>
          {total > PAGE_SIZE && (
            <nav className="learners-pager" aria-label="Pages">
              <button type="button" disabled={offset === 0} onClick={() => goTo(Math.max(0, offset - PAGE_SIZE))}>
                Previous
              </button>
              <span>
                {offset + 1}–{Math.min(offset + PAGE_SIZE, total)} of {total}
              </span>
              <button type="button" disabled={offset + PAGE_SIZE >= total} onClick={() => goTo(offset + PAGE_SIZE)}>
                Next
              </button>
            </nav>
          )}
        </>
      )}
    </div>
  );
}
