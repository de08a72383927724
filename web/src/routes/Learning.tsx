// My learning: the signed-in person's next step and due reviews, their
// programs (and those open for self-enrolment, with a placement check for
// each), their guided interviews, their goals with the path to each, and the
// mastery map of a program. Every "Practise" starts a session and opens it.

import { Link } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import "../styles/learning.css";
import { learning, learningKeys, type Enrolment, type Program } from "../api/learning";
import { useOrgId, useSession } from "../session";
import { Empty, ErrorNote, Loading } from "../components/ui";
import { formatDate } from "../lib/format";
import { GoalForm } from "../components/learning/GoalForm";
import { GoalList } from "../components/learning/GoalList";
import { percent } from "../components/learning/mastery";
import { PracticeButton, useStartPractice, type StartPractice } from "../components/learning/PracticeButton";
import { targetLabel, type TargetNames } from "../components/learning/practice";
import { ProgramMastery } from "../components/learning/ProgramMastery";
import { OpenCheckIns } from "../components/sequences/OpenCheckIns";
import { MyInterviews } from "../components/interviews/MyInterviews";

function UpNext({
  org,
  person,
  start,
  names,
}: {
  org: string;
  person: string;
  start: StartPractice;
  /** To name what unfinished sessions practise. */
  names: TargetNames;
}) {
  const next = useQuery({ queryKey: learningKeys.nextStep(org, person), queryFn: () => learning.nextStep(org, person) });
  const reviews = useQuery({ queryKey: learningKeys.reviews(org, person), queryFn: () => learning.reviews(org, person) });
  const sessions = useQuery({
    queryKey: learningKeys.sessions(org, person),
    queryFn: () => learning.practiceSessions(org, person),
  });
  const unfinished = sessions.data?.filter((s) => s.status === "active") ?? [];
  return (
    <section aria-labelledby="up-next-heading">
      <h2 id="up-next-heading">Up next</h2>
      <div className="up-next">
        {unfinished.length > 0 && (
          <div className="card">
            <h3>Unfinished practice</h3>
            <ul className="plain-list compact" aria-label="Unfinished practice">
              {unfinished.map((s) => (
                <li key={s.id}>
                  <span>
                    {targetLabel(s.target, names)}
                    <span className="muted small">
                      {" "}
                      · {s.answered} of up to {s.size} answered · started {formatDate(s.created_at)}
                    </span>
                  </span>
                  <Link to={`/learning/practice/${s.id}`}>Continue</Link>
                </li>
              ))}
            </ul>
          </div>
        )}
        <div className="card">
          <h3>Next step</h3>
          {next.isPending && <Loading />}
          <ErrorNote error={next.error} onRetry={() => next.refetch()} />
          {next.data === null && <p className="muted">Nothing left to learn or review for now. Well done!</p>}
          {next.data && (
            <>
              <p className="next-step-concept">
                {next.data.kind === "review" ? "Review" : "Learn"} <strong>{next.data.concept.name}</strong>
              </p>
              <p className="muted small">{next.data.why}</p>
              <PracticeButton start={start} target={{ kind: "next_step" }} primary>
                Practise
              </PracticeButton>
            </>
          )}
        </div>
        <div className="card">
          <h3>Reviews due today</h3>
          {reviews.isPending && <Loading />}
          <ErrorNote error={reviews.error} onRetry={() => reviews.refetch()} />
          {reviews.data?.length === 0 && <p className="muted">No reviews due today.</p>}
          {reviews.data && reviews.data.length > 0 && (
            <>
              <ul className="plain-list compact" aria-label="Due reviews">
                {reviews.data.map((r) => (
                  <li key={r.concept.id}>
                    <span>{r.concept.name}</span>
                    <span className="muted small">
                      due {formatDate(r.due)} · recall {percent(r.retrievability)}
                    </span>
                  </li>
                ))}
              </ul>
              <PracticeButton start={start} target={{ kind: "reviews" }} primary>
                Review now
              </PracticeButton>
            </>
          )}
        </div>
      </div>
    </section>
  );
}

function Programs({
  org,
  person,
  active,
  start,
}: {
  org: string;
  person: string;
  active: Enrolment[];
  start: StartPractice;
}) {
  const client = useQueryClient();
  const programs = useQuery({ queryKey: learningKeys.programs(org), queryFn: () => learning.programs(org) });
  const enrol = useMutation({
    mutationFn: (program: Program) => learning.enrol(org, program.id, person),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: learningKeys.learner(org, person) }),
        client.invalidateQueries({ queryKey: learningKeys.programs(org) }),
      ]),
  });
  const enrolled = new Set(active.map((e) => e.program_id));
  const open = (programs.data ?? []).filter(
    (p) => p.status === "published" && p.self_enrolment && !enrolled.has(p.id),
  );
  return (
    <section aria-labelledby="programs-heading">
      <h2 id="programs-heading">Programs</h2>
      {active.length === 0 && (
        <Empty title="You're not enrolled in a program yet.">
          {open.length > 0
            ? "Enrol in one below to get a path, practice and a mastery map."
            : "Your coach or an administrator can enrol you."}
        </Empty>
      )}
      {active.length > 0 && (
        <ul className="card-list" aria-label="Your programs">
          {active.map((e) => (
            <li key={e.program_id} className="card">
              <h3>{e.program_title}</h3>
              <p className="muted small">Enrolled {formatDate(e.created_at)}</p>
              <p className="small">Not sure where to start? A short placement check finds what you already know.</p>
              <PracticeButton
                start={start}
                target={{ kind: "placement", program_id: e.program_id }}
                label={`Placement for ${e.program_title}`}
              >
                Placement
              </PracticeButton>
            </li>
          ))}
        </ul>
      )}
      <ErrorNote error={programs.error} onRetry={() => programs.refetch()} />
      {open.length > 0 && (
        <>
          <h3>Open for enrolment</h3>
          <ul className="card-list" aria-label="Programs open for enrolment">
            {open.map((p) => (
              <li key={p.id} className="card">
                <h3>{p.title}</h3>
                {p.description && <p className="small">{p.description}</p>}
                <p className="muted small">
                  {p.concept_count} concept{p.concept_count === 1 ? "" : "s"}
                </p>
                <button
                  type="button"
                  className="primary"
                  aria-label={`Enrol in ${p.title}`}
                  disabled={enrol.isPending}
                  onClick={() => enrol.mutate(p)}
                >
                  Enrol
                </button>
                {enrol.variables?.id === p.id && <ErrorNote error={enrol.error} />}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

export default function Learning() {
  const org = useOrgId();
  const { me } = useSession();
  const person = me!.person.id;
  const start = useStartPractice(org, person);
  const enrolments = useQuery({
    queryKey: learningKeys.enrolments(org, person),
    queryFn: () => learning.enrolments(org, person),
  });
  const goals = useQuery({ queryKey: learningKeys.goals(org, person), queryFn: () => learning.goals(org, person) });
  const mastery = useQuery({ queryKey: learningKeys.mastery(org, person), queryFn: () => learning.mastery(org, person) });

  if (enrolments.isPending) return <Loading />;
  if (enrolments.isError) {
    return (
      <div className="page">
        <h1>My learning</h1>
        <ErrorNote error={enrolments.error} onRetry={() => enrolments.refetch()} />
      </div>
    );
  }
  const active = enrolments.data.filter((e) => e.status === "active");
  const names: TargetNames = {
    concept: (id) => mastery.data?.find((c) => c.concept_id === id)?.name,
    program: (id) => active.find((e) => e.program_id === id)?.program_title,
  };

  return (
    <div className="page learning-page">
      <h1>My learning</h1>
      <OpenCheckIns org={org} />
      {active.length > 0 && <UpNext org={org} person={person} start={start} names={names} />}
      <Programs org={org} person={person} active={active} start={start} />
      <MyInterviews org={org} person={person} compact />
      {active.length > 0 && (
        <>
          <section aria-labelledby="goals-heading">
            <h2 id="goals-heading">Goals</h2>
            {mastery.data && (
              <div className="card">
                <h3>Set a goal</h3>
                <GoalForm org={org} person={person} enrolments={active} concepts={mastery.data} forSelf />
              </div>
            )}
            {goals.isPending && <Loading label="Loading goals…" />}
            <ErrorNote error={goals.error} onRetry={() => goals.refetch()} />
            {goals.data && (
              <GoalList
                org={org}
                person={person}
                goals={goals.data}
                canRemove
                emptyText="No goals yet. Set one to get a path to it."
                stepAction={(step) => (
                  <PracticeButton
                    start={start}
                    target={{ kind: "concept", concept_id: step.concept.id }}
                    label={`Practise ${step.concept.name}`}
                  >
                    Practise
                  </PracticeButton>
                )}
              />
            )}
          </section>
          <section aria-labelledby="map-heading">
            <h2 id="map-heading">Mastery map</h2>
            {mastery.isPending && <Loading label="Loading your mastery…" />}
            <ErrorNote error={mastery.error} onRetry={() => mastery.refetch()} />
            {mastery.data && (
              <ProgramMastery
                org={org}
                person={person}
                enrolments={active}
                mastery={mastery.data}
                conceptAction={(concept) => (
                  <PracticeButton start={start} target={{ kind: "concept", concept_id: concept.id }} primary>
                    Practise this concept
                  </PracticeButton>
                )}
              />
            )}
          </section>
        </>
      )}
    </div>
  );
}
