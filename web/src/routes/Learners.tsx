// The learners the caller may follow (an admin: every learner; a coach, parent
// or manager: those they supervise). First at a glance, those who need
// attention first: last active, concepts mastered, goal progress, mastery gained
// by week, the last seven days' questions and answers, why they may need
// attention and what they asked about; each name opens the learner's progress
// dashboard. Managers and admins narrow the glance to one coach's learners.
// Then each enrolled learner's goals and how far along they are, linking to
// the learner's page. Both lists come a page at a time.

import { useId } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import "../styles/learning.css";
import "../styles/dashboards.css";
import { orgs } from "../api/endpoints";
import { insights, insightsKeys } from "../api/insights";
import { learning, learningKeys, type LearnerProgress } from "../api/learning";
import type { Person } from "../api/types";
import { useOrgId, useSession } from "../session";
import { AwaitingAnswers } from "../components/learning/AwaitingAnswers";
import { Empty, ErrorNote, Loading } from "../components/ui";
import { formatDate } from "../lib/format";
import { percent } from "../components/learning/mastery";
import { GlanceTable } from "../components/insights/GlanceTable";

/** Learners per page of the goals list, and of the glance. */
const PAGE_SIZE = 24;
const GLANCE_PAGE_SIZE = 50;

function LearnerCard({ progress, person }: { progress: LearnerProgress; person: Person | undefined }) {
  const name = person?.display_name ?? "Unnamed learner";
  const share = progress.enrolled_concepts ? progress.mastered_concepts / progress.enrolled_concepts : 0;
  return (
    <li className="card followed-learner">
      <h3 className="followed-learner-name">
        <Link to={`/learners/${progress.person_id}`}>{name}</Link>
      </h3>
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

function Pager({
  label,
  offset,
  pageSize,
  total,
  onPage,
}: {
  label: string;
  offset: number;
  pageSize: number;
  total: number;
  onPage: (from: number) => void;
}) {
  if (total <= pageSize) return null;
  return (
    <nav className="learners-pager" aria-label={label}>
      <button type="button" disabled={offset === 0} onClick={() => onPage(Math.max(0, offset - pageSize))}>
        Previous
      </button>
      <span>
        {offset + 1}–{Math.min(offset + pageSize, total)} of {total}
      </span>
      <button type="button" disabled={offset + pageSize >= total} onClick={() => onPage(offset + pageSize)}>
        Next
      </button>
    </nav>
  );
}

/** The coaches a manager manages (an admin: every coach), to narrow the glance to one coach's learners. */
function useCoaches(org: string, enabled: boolean, managerId: string | null) {
  const members = useQuery({ queryKey: ["members", org], queryFn: () => orgs.members(org), enabled });
  const relationships = useQuery({
    queryKey: ["relationships", org],
    queryFn: () => orgs.relationships(org),
    enabled: enabled && managerId !== null,
  });
  if (!members.data) return { coaches: [] as Person[], error: members.error };
  const managed = managerId
    ? new Set(
        (relationships.data ?? [])
          .filter((r) => r.kind === "manager_coach" && r.from_person === managerId)
          .map((r) => r.to_person),
      )
    : null;
  const coaches = members.data
    .filter((m) => m.role === "coach" && (!managed || managed.has(m.person.id)))
    .map((m) => m.person)
    .sort((a, b) => a.display_name.localeCompare(b.display_name));
  return { coaches, error: members.error ?? relationships.error };
}

function CoachFilter({
  coaches,
  value,
  onChange,
}: {
  coaches: Person[];
  value: string | null;
  onChange: (coach: string | null) => void;
}) {
  const id = useId();
  return (
    <div className="field compact glance-filter">
      <label htmlFor={id}>Coach</label>
      <select id={id} value={value ?? ""} onChange={(e) => onChange(e.target.value || null)}>
        <option value="">All coaches</option>
        {coaches.map((c) => (
          <option key={c.id} value={c.id}>
            {c.display_name}
          </option>
        ))}
      </select>
    </div>
  );
}

export default function Learners() {
  const org = useOrgId();
  const { isAdmin, role, me } = useSession();
  const [params, setParams] = useSearchParams();
  const number = (key: string) => Math.max(0, Number(params.get(key)) || 0);
  const glanceFrom = number("from");
  const goalsFrom = number("goals_from");
  // Admins and managers may narrow the glance to one coach's learners.
  const canFilter = isAdmin || role === "manager";
  const coach = canFilter ? params.get("coach") || null : null;

  /** Changes some of the page's parameters, keeping the others. */
  const update = (changes: Record<string, string | null>) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      for (const [key, value] of Object.entries(changes)) {
        if (value === null || value === "" || value === "0") next.delete(key);
        else next.set(key, value);
      }
      return next;
    });

  const glance = useQuery({
    queryKey: insightsKeys.glance(org, coach, glanceFrom),
    queryFn: () => insights.learnersAtAGlance(org, { coach, limit: GLANCE_PAGE_SIZE, offset: glanceFrom }),
    placeholderData: keepPreviousData,
    refetchOnMount: "always",
  });
  const progress = useQuery({
    queryKey: learningKeys.progress(org, goalsFrom),
    queryFn: () => learning.progress(org, { limit: PAGE_SIZE, offset: goalsFrom }),
    placeholderData: keepPreviousData,
  });
  // The progress list carries ids only; names come from the members the caller may see.
  const members = useQuery({ queryKey: ["members", org], queryFn: () => orgs.members(org) });
  const people = new Map(members.data?.map((m) => [m.person.id, m.person]));
  const coaches = useCoaches(org, canFilter, role === "manager" && !isAdmin ? (me?.person.id ?? null) : null);

  // Admins and coaches grade the answers the rules could not.
  const canGrade = isAdmin || role === "coach";

  const learners = glance.data?.learners ?? [];
  const showTopics = !!glance.data && (glance.data.topics_visible || learners.some((l) => l.topics.length > 0));
  const nobody = glance.data?.total === 0 && progress.data?.total === 0 && !coach;

  return (
    <div className="page learners-page">
      <h1>Learners</h1>
      <p className="muted">The learners you follow, how they are doing and who needs your attention.</p>
      {canGrade && <AwaitingAnswers org={org} />}
      {nobody ? (
        <Empty title="No learners to follow yet.">
          Learners appear here once you follow them (as their coach, parent or manager) or, for administrators, once
          they join.
        </Empty>
      ) : (
        <>
          <section aria-labelledby="glance-heading">
            <div className="glance-header">
              <h2 id="glance-heading">At a glance</h2>
              {canFilter && (
                <CoachFilter coaches={coaches.coaches} value={coach} onChange={(c) => update({ coach: c, from: null })} />
              )}
            </div>
            <p className="muted small">
              Those who need attention come first. A name opens their progress; Details, their goals, practice and
              evidence. Mastery is counted in points: 100 for a concept fully known.
            </p>
            {glance.isPending && <Loading />}
            <ErrorNote error={glance.error ?? coaches.error} onRetry={() => glance.refetch()} />
            {glance.data && learners.length === 0 && (
              <Empty title={coach ? "This coach has no learners you follow." : "No learners to follow yet."} />
            )}
            {learners.length > 0 && (
              <>
                <GlanceTable learners={learners} showTopics={showTopics} />
                <Pager
                  label="Pages of learners at a glance"
                  offset={glanceFrom}
                  pageSize={GLANCE_PAGE_SIZE}
                  total={glance.data?.total ?? 0}
                  onPage={(from) => update({ from: String(from) })}
                />
              </>
            )}
          </section>

          <section aria-labelledby="goals-heading">
            <h2 id="goals-heading">Goals and mastery</h2>
            {progress.isPending && <Loading />}
            <ErrorNote error={progress.error ?? members.error} onRetry={() => progress.refetch()} />
            {progress.data && progress.data.learners.length === 0 && (
              <p className="muted">Goals show here once a learner you follow is enrolled in a program.</p>
            )}
            {progress.data && progress.data.learners.length > 0 && (
              <>
                <ul className="followed-learners" aria-label="Learners">
                  {progress.data.learners.map((p) => (
                    <LearnerCard key={p.person_id} progress={p} person={people.get(p.person_id)} />
                  ))}
                </ul>
                <Pager
                  label="Pages of goals"
                  offset={goalsFrom}
                  pageSize={PAGE_SIZE}
                  total={progress.data.total}
                  onPage={(from) => update({ goals_from: String(from) })}
                />
              </>
            )}
          </section>
        </>
      )}
    </div>
  );
}
