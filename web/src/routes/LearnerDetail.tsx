// A coach's (or parent's, manager's, admin's) view of one learner: their
// programs and goals with the path to each, mastery by concept on the same map
// the learner sees, recent practice with the questions they got wrong, and the
// latest evidence; and their conversations with the coach, each opening live
// (for those who may read them), and their guided interviews. Admins and the
// learner's coaches also enrol them in a program, assign goals and send them
// interviews; the others read.

import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import "../styles/learning.css";
import { orgs } from "../api/endpoints";
import {
  learning,
  learningKeys,
  type ConceptMastery,
  type Enrolment,
  type PracticeAttempt,
  type PracticeSessionSummary,
} from "../api/learning";
import { useOrgId, useSession } from "../session";
import { Empty, ErrorNote, Field, Loading } from "../components/ui";
import { formatDate, formatDateTime } from "../lib/format";
import { AwaitingAnswers } from "../components/learning/AwaitingAnswers";
import { GoalForm } from "../components/learning/GoalForm";
import { GoalList } from "../components/learning/GoalList";
import { evidenceKindLabel, evidenceOutcome } from "../components/learning/mastery";
import { answerText, promptText, targetLabel, type TargetNames } from "../components/learning/practice";
import { ProgramMastery } from "../components/learning/ProgramMastery";
import { LearnerConversations } from "../components/chat/LearnerConversations";
import { LearnerInterviews } from "../components/interviews/LearnerInterviews";

/** Sessions listed, and how many of those with wrong answers are opened to find them. */
const RECENT_SESSIONS = 10;
const SESSIONS_SEARCHED_FOR_STRUGGLES = 5;
const RECENT_EVIDENCE = 20;

function EnrolForm({ org, person, active }: { org: string; person: string; active: Enrolment[] }) {
  const client = useQueryClient();
  const programs = useQuery({ queryKey: learningKeys.programs(org), queryFn: () => learning.programs(org) });
  const [chosen, setChosen] = useState("");
  const enrolled = new Set(active.map((e) => e.program_id));
  const open = (programs.data ?? []).filter((p) => p.status === "published" && !enrolled.has(p.id));
  const programId = open.some((p) => p.id === chosen) ? chosen : (open[0]?.id ?? "");
  const enrol = useMutation({
    mutationFn: () => learning.enrol(org, programId, person),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: learningKeys.learner(org, person) }),
        client.invalidateQueries({ queryKey: learningKeys.programs(org) }),
      ]),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    if (programId) enrol.mutate();
  }
  if (programs.isPending) return <Loading label="Loading programs…" />;
  if (programs.isError) return <ErrorNote error={programs.error} onRetry={() => programs.refetch()} />;
  if (open.length === 0) return <p className="muted small">No other published program to enrol them in.</p>;
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Enrol in a program">
      <Field label="Enrol in a program">
        {(p) => (
          <select {...p} value={programId} onChange={(e) => setChosen(e.target.value)}>
            {open.map((program) => (
              <option key={program.id} value={program.id}>
                {program.title}
              </option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" className="primary" disabled={enrol.isPending}>
        Enrol
      </button>
      <ErrorNote error={enrol.error} />
    </form>
  );
}

function Struggles({ org, sessions }: { org: string; sessions: PracticeSessionSummary[] }) {
  const searched = sessions.filter((s) => s.correct < s.answered).slice(0, SESSIONS_SEARCHED_FOR_STRUGGLES);
  const details = useQueries({
    queries: searched.map((s) => ({
      queryKey: learningKeys.session(org, s.id),
      queryFn: () => learning.practiceSession(org, s.id),
    })),
  });
  const missed: PracticeAttempt[] = details
    .flatMap((d) => d.data?.attempts ?? [])
    .filter((a) => a.grade.outcome === "needs_review" || !a.grade.correct)
    .sort((a, b) => b.answered_at.localeCompare(a.answered_at));
  const loading = details.some((d) => d.isPending);
  const failed = details.find((d) => d.isError);
  return (
    <section aria-labelledby="struggles-heading">
      <h3 id="struggles-heading">Questions they struggled with</h3>
      {loading && <Loading />}
      <ErrorNote error={failed?.error} onRetry={() => failed?.refetch()} />
      {!loading && missed.length === 0 && <p className="muted">No wrong answers in recent practice.</p>}
      {missed.length > 0 && (
        <ul className="struggle-list" aria-label="Questions they struggled with">
          {missed.map((a) => (
            <li key={`${a.question.id}-${a.answered_at}`} className="card">
              <p className="practice-attempt-question">{promptText(a.question.prompt)}</p>
              <p className="small">
                <span className="tag">{a.question.concept.name}</span> · {formatDateTime(a.answered_at)}
              </p>
              <dl className="learning-facts">
                <dt>Their answer</dt>
                <dd>
                  {answerText(a.question.prompt, a.answer)}
                  {a.grade.outcome === "needs_review" && " (waiting to be graded)"}
                </dd>
                <dt>Correct answer</dt>
                <dd>{a.feedback.correct_answer}</dd>
              </dl>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function RecentPractice({ org, person, names }: { org: string; person: string; names: TargetNames }) {
  const sessions = useQuery({
    queryKey: learningKeys.sessions(org, person),
    queryFn: () => learning.practiceSessions(org, person),
  });
  const recent = sessions.data?.slice(0, RECENT_SESSIONS) ?? [];
  return (
    <section aria-labelledby="practice-heading">
      <h2 id="practice-heading">Recent practice</h2>
      {sessions.isPending && <Loading />}
      <ErrorNote error={sessions.error} onRetry={() => sessions.refetch()} />
      {sessions.data?.length === 0 && <Empty title="No practice yet." />}
      {recent.length > 0 && (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Practised</th>
                  <th scope="col">Right</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {recent.map((s) => (
                  <tr key={s.id}>
                    <td className="muted">{formatDateTime(s.created_at)}</td>
                    <td>{targetLabel(s.target, names)}</td>
                    <td>
                      {s.correct} of {s.answered}
                    </td>
                    <td>{s.status === "completed" ? "Finished" : "In progress"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Struggles org={org} sessions={recent} />
        </>
      )}
    </section>
  );
}

function RecentEvidence({ org, person, mastery }: { org: string; person: string; mastery: ConceptMastery[] }) {
  const evidence = useQuery({ queryKey: learningKeys.evidence(org, person), queryFn: () => learning.evidence(org, person) });
  const conceptName = (id: string) => mastery.find((m) => m.concept_id === id)?.name ?? "A concept no longer taught";
  const recent = evidence.data?.slice(0, RECENT_EVIDENCE) ?? [];
  return (
    <section aria-labelledby="evidence-heading">
      <h2 id="evidence-heading">Recent evidence</h2>
      {evidence.isPending && <Loading />}
      <ErrorNote error={evidence.error} onRetry={() => evidence.refetch()} />
      {evidence.data?.length === 0 && <Empty title="No evidence yet." />}
      {recent.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Recent evidence">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Concept</th>
                <th scope="col">What</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {recent.map((e) => {
                const outcome = evidenceOutcome(e);
                return (
                  <tr key={e.id}>
                    <td className="muted">{formatDateTime(e.occurred_at)}</td>
                    <td>{conceptName(e.concept_id)}</td>
                    <td>{evidenceKindLabel(e.kind)}</td>
                    <td>
                      {outcome ? (
                        <span className={`evidence-outcome ${outcome.right ? "evidence-right" : "evidence-wrong"}`}>{outcome.label}</span>
                      ) : (
                        "—"
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export default function LearnerDetail() {
  const { personId = "" } = useParams();
  const org = useOrgId();
  const { isAdmin, role } = useSession();
  // The server lets admins and the learner's coaches change enrolments and goals; others only read.
  const canGuide = isAdmin || role === "coach";
  const members = useQuery({ queryKey: ["members", org], queryFn: () => orgs.members(org) });
  const enrolments = useQuery({
    queryKey: learningKeys.enrolments(org, personId),
    queryFn: () => learning.enrolments(org, personId),
  });
  const goals = useQuery({ queryKey: learningKeys.goals(org, personId), queryFn: () => learning.goals(org, personId) });
  const mastery = useQuery({
    queryKey: learningKeys.mastery(org, personId),
    queryFn: () => learning.mastery(org, personId),
  });

  const person = members.data?.find((m) => m.person.id === personId)?.person;
  const name = person?.display_name ?? "Learner";
  if (enrolments.isPending) return <Loading />;
  if (enrolments.isError) {
    return (
      <div className="page">
        <nav aria-label="Breadcrumb" className="breadcrumb">
          <Link to="/learners">Learners</Link>
        </nav>
        <ErrorNote error={enrolments.error} onRetry={() => enrolments.refetch()} />
      </div>
    );
  }
  const active = enrolments.data.filter((e) => e.status === "active");
  const withdrawn = enrolments.data.filter((e) => e.status === "withdrawn");
  const names: TargetNames = {
    concept: (id) => mastery.data?.find((m) => m.concept_id === id)?.name,
    program: (id) => enrolments.data.find((e) => e.program_id === id)?.program_title,
  };

  return (
    <div className="page learner-detail-page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/learners">Learners</Link> › <span aria-current="page">{name}</span>
      </nav>
      <h1>{name}</h1>
      {person && <p className="muted">{person.email}</p>}

      <section aria-labelledby="programs-heading">
        <h2 id="programs-heading">Programs</h2>
        {active.length === 0 && <p className="muted">Not enrolled in any program.</p>}
        {active.length > 0 && (
          <ul className="plain-list" aria-label="Enrolments">
            {active.map((e) => (
              <li key={e.program_id}>
                <strong>{e.program_title}</strong>
                <span className="muted small">enrolled {formatDate(e.created_at)}</span>
              </li>
            ))}
          </ul>
        )}
        {withdrawn.length > 0 && (
          <p className="muted small">Withdrawn from: {withdrawn.map((e) => e.program_title).join(", ")}.</p>
        )}
        {canGuide && <EnrolForm org={org} person={personId} active={active} />}
      </section>

      <section aria-labelledby="goals-heading">
        <h2 id="goals-heading">Goals</h2>
        {canGuide && active.length > 0 && mastery.data && (
          <div className="card">
            <h3>Assign a goal</h3>
            <GoalForm org={org} person={personId} enrolments={active} concepts={mastery.data} forSelf={false} />
          </div>
        )}
        {goals.isPending && <Loading label="Loading goals…" />}
        <ErrorNote error={goals.error} onRetry={() => goals.refetch()} />
        {goals.data && (
          <GoalList org={org} person={personId} goals={goals.data} canRemove={canGuide} emptyText="No goals yet." />
        )}
      </section>

      <LearnerConversations org={org} person={personId} name={name} />
      <LearnerInterviews org={org} person={personId} name={name} canSend={canGuide} />

      <section aria-labelledby="mastery-heading">
        <h2 id="mastery-heading">Mastery by concept</h2>
        {mastery.isPending && <Loading />}
        <ErrorNote error={mastery.error} onRetry={() => mastery.refetch()} />
        {active.length === 0 && <p className="muted">Mastery shows once they are enrolled in a program.</p>}
        {mastery.data && active.length > 0 && (
          <ProgramMastery org={org} person={personId} enrolments={active} mastery={mastery.data} />
        )}
      </section>

      {canGuide && <AwaitingAnswers org={org} person={personId} />}
      <RecentPractice org={org} person={personId} names={names} />
      <RecentEvidence org={org} person={personId} mastery={mastery.data ?? []} />
    </div>
  );
}
