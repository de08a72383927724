// Who is enrolled in a sequence and where each stands: status, the step that
// comes next and when, and every step taken with its outcome (and a check-in's
// answer; an interview step's flow). Coaches enrol their own learners, administrators any learner; an
// enrolment can be stopped. Administrators can take every due step now rather
// than wait for the next five-minute pass.

import { useId, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { orgs } from "../../api/endpoints";
import { interviewFlows, interviewKeys } from "../../api/interviews";
import {
  enrolmentStatusLabel,
  outcomeLabel,
  sequenceKeys,
  sequences,
  stepLabel,
  type Sequence,
  type SequenceEnrolment,
  type SequenceRun,
  type TakenStep,
} from "../../api/sequences";
import type { Person } from "../../api/types";
import { useSession } from "../../session";
import { ConfirmActionDialog, ErrorNote, Loading, useConfirmedAction } from "../ui";
import { formatDateTime } from "../../lib/format";
import "../../styles/sequences.css";

/** The learners the caller may enrol: an administrator's are every learner, a coach's those they coach. */
function useEnrollable(org: string) {
  const { isAdmin, me } = useSession();
  const members = useQuery({ queryKey: ["members", org], queryFn: () => orgs.members(org) });
  const relationships = useQuery({
    queryKey: ["relationships", org],
    queryFn: () => orgs.relationships(org),
    enabled: !isAdmin,
  });
  if (!members.data || (!isAdmin && !relationships.data)) {
    return { learners: null, error: members.error ?? relationships.error, retry: () => members.refetch() };
  }
  const coached = isAdmin
    ? null
    : new Set(
        relationships
          .data!.filter((r) => r.kind === "coach_learner" && r.from_person === me?.person.id)
          .map((r) => r.to_person),
      );
  const learners = members.data
    .filter((m) => m.role === "learner" && (!coached || coached.has(m.person.id)))
    .map((m) => m.person)
    .sort((a, b) => a.display_name.localeCompare(b.display_name));
  return { learners, error: null, retry: () => members.refetch() };
}

function runSummary(run: SequenceRun): string {
  const taken = run.sent + run.skipped + run.no_channel + run.opted_out;
  if (taken === 0) return "Nothing was due.";
  const parts = [
    `${run.sent} sent`,
    `${run.skipped} skipped (condition not met)`,
    `${run.no_channel} not sent: no linked channel`,
    `${run.opted_out} not sent: reminders paused`,
  ];
  const completed = run.completed
    ? ` ${run.completed} enrolment${run.completed === 1 ? "" : "s"} completed.`
    : "";
  return `Took ${taken} step${taken === 1 ? "" : "s"}: ${parts.join(", ")}.${completed}`;
}

/** The steps an enrolment took; `flowName` names the interview flow of the sequence's step with that key. */
function TakenSteps({
  enrolment,
  flowName,
}: {
  enrolment: SequenceEnrolment;
  flowName: (stepKey: string) => string | undefined;
}) {
  if (enrolment.taken.length === 0) return <span className="muted">None yet</span>;
  return (
    <ol className="sequence-taken" aria-label={`Steps taken by ${enrolment.display_name}`}>
      {enrolment.taken.map((t: TakenStep) => (
        <li key={`${t.step_key}-${t.taken_at}`} title={`Taken ${formatDateTime(t.taken_at)}`}>
          <span className="sequence-taken-step">
            {t.step_key} · {stepLabel(t.kind, flowName(t.step_key))}
          </span>{" "}
          <span className={`status sequence-outcome-${t.outcome}`}>{outcomeLabel(t.outcome)}</span>
          {t.kind === "check_in" && t.outcome === "sent" && (
            <span className="sequence-answer">
              {t.answer != null ? ` answered ${t.answer} of 5` : " no answer yet"}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}

function EnrolForm({
  org,
  sequenceId,
  enrolled,
  onEnrolled,
}: {
  org: string;
  sequenceId: string;
  enrolled: Set<string>;
  onEnrolled: (enrolment: SequenceEnrolment) => void;
}) {
  const id = useId();
  const { isAdmin } = useSession();
  const { learners, error, retry } = useEnrollable(org);
  const [chosen, setChosen] = useState("");
  const enrol = useMutation({
    mutationFn: (personId: string) => sequences.enrol(org, sequenceId, personId),
    onSuccess: (enrolment) => {
      setChosen("");
      onEnrolled(enrolment);
    },
  });

  if (error) return <ErrorNote error={error} onRetry={retry} />;
  if (!learners) return <Loading label="Loading learners…" />;
  const open: Person[] = learners.filter((p) => !enrolled.has(p.id));

  function submit(event: FormEvent) {
    event.preventDefault();
    if (chosen) enrol.mutate(chosen);
  }

  if (learners.length === 0) {
    return (
      <p className="muted">
        {isAdmin ? "The organisation has no learners yet." : "You have no learners to enrol yet."}
      </p>
    );
  }
  return (
    <form className="inline-form sequence-enrol" aria-label="Enrol a learner" onSubmit={submit}>
      <div className="field">
        <label htmlFor={id}>Learner</label>
        <select
          id={id}
          value={chosen}
          onChange={(e) => {
            setChosen(e.target.value);
            enrol.reset();
          }}
          disabled={open.length === 0}
        >
          <option value="">{open.length ? "Choose a learner" : "Everyone is enrolled"}</option>
          {open.map((p) => (
            <option key={p.id} value={p.id}>
              {p.display_name}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="primary" disabled={!chosen || enrol.isPending}>
        {enrol.isPending ? "Enrolling…" : "Enrol"}
      </button>
      <ErrorNote error={enrol.error} />
    </form>
  );
}

export function SequenceEnrolments({ org, sequence }: { org: string; sequence: Sequence }) {
  const client = useQueryClient();
  const { isAdmin } = useSession();
  const headingId = useId();
  const key = sequenceKeys.enrolments(org, sequence.id);
  // Steps are taken in the background every five minutes; a glance a minute old is fresh enough.
  const list = useQuery({
    queryKey: key,
    queryFn: () => sequences.enrolments(org, sequence.id),
    refetchInterval: 60_000,
  });
  const [announcement, setAnnouncement] = useState("");
  const [run, setRun] = useState<SequenceRun | null>(null);
  const flows = useQuery({
    queryKey: interviewKeys.flows(org),
    queryFn: () => interviewFlows.list(org),
    enabled: sequence.steps.some((s) => s.kind === "interview"),
  });

  const refresh = () =>
    Promise.all([
      client.invalidateQueries({ queryKey: key }),
      client.invalidateQueries({ queryKey: sequenceKeys.one(org, sequence.id) }),
      client.invalidateQueries({ queryKey: sequenceKeys.list(org) }),
    ]);

  const stop = useConfirmedAction({
    mutationFn: (enrolment: SequenceEnrolment) => sequences.stop(org, sequence.id, enrolment.person_id),
    onSuccess: async (_, enrolment) => {
      setAnnouncement(`Stopped ${enrolment.display_name}'s enrolment.`);
      await refresh();
    },
  });
  const advance = useMutation({
    mutationFn: () => sequences.advance(org),
    onSuccess: async (result) => {
      setRun(result);
      await refresh();
    },
  });

  const stepOf = (key: string | null) => sequence.steps.find((s) => s.key === key);
  const flowName = (stepKey: string | null) => {
    const flowId = stepOf(stepKey)?.flow_id;
    return flows.data?.find((f) => f.id === flowId)?.spec.name;
  };
  const enrolled = new Set((list.data ?? []).filter((e) => e.status === "active").map((e) => e.person_id));

  return (
    <section className="card sequence-enrolments" aria-label="Enrolments">
      <div className="sequence-enrolments-header">
        <h2 id={headingId}>Enrolments</h2>
        {isAdmin && (
          <div className="sequence-advance">
            <button type="button" onClick={() => advance.mutate()} disabled={advance.isPending}>
              {advance.isPending ? "Advancing…" : "Advance now"}
            </button>
          </div>
        )}
      </div>
      <p className="muted small">
        Each learner gets the steps in order, each its delay after the one before, at a time outside their quiet hours.
        {isAdmin
          ? " Due steps are taken every five minutes; Advance now takes every due step of the organisation's sequences at once."
          : " Due steps are taken every five minutes."}
      </p>
      {!sequence.active && (
        <p className="notice">This sequence is paused: its enrolments wait until it is active again.</p>
      )}
      <ErrorNote error={advance.error} />
      {run && (
        <p className="sequence-run" role="status">
          {runSummary(run)}
        </p>
      )}

      <EnrolForm
        org={org}
        sequenceId={sequence.id}
        enrolled={enrolled}
        onEnrolled={async (enrolment) => {
          setAnnouncement(`Enrolled ${enrolment.display_name}.`);
          await refresh();
        }}
      />
      <p className="sequence-announcement" role="status" aria-live="polite">
        {announcement}
      </p>

      {list.isPending && <Loading label="Loading enrolments…" />}
      <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      {list.data?.length === 0 && <p className="muted">Nobody is enrolled yet.</p>}
      {list.data && list.data.length > 0 && (
        <div className="table-wrap">
          <table className="sequence-enrolment-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Learner</th>
                <th scope="col">Status</th>
                <th scope="col">Next step</th>
                <th scope="col">Due</th>
                <th scope="col">Steps taken</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((e) => {
                const next = stepOf(e.next_step);
                return (
                  <tr key={e.person_id}>
                    <th scope="row">{e.display_name}</th>
                    <td>
                      <span className={`status sequence-status-${e.status}`}>{enrolmentStatusLabel(e.status)}</span>
                    </td>
                    <td>
                      {e.next_step ? (
                        <>
                          {e.next_step}
                          {next && <span className="muted"> · {stepLabel(next.kind, flowName(e.next_step))}</span>}
                        </>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>
                      {e.status === "active" && e.next_due_at ? (
                        <>
                          <time dateTime={e.next_due_at}>{formatDateTime(e.next_due_at)}</time>
                          {!sequence.active && <span className="muted small"> (waiting: paused)</span>}
                        </>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>
                      <TakenSteps enrolment={e} flowName={flowName} />
                    </td>
                    <td>
                      {e.status === "active" && (
                        <button
                          type="button"
                          className="danger-text"
                          aria-label={`Stop ${e.display_name}'s enrolment`}
                          onClick={() => stop.ask(e)}
                        >
                          Stop
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      <ConfirmActionDialog
        action={stop}
        title={`Stop ${stop.target?.display_name ?? "this"}'s enrolment?`}
        message={
          <>
            No more steps of “{sequence.name}” go to {stop.target?.display_name}. Enrolling them again starts from the
            first step.
          </>
        }
        confirmLabel="Stop enrolment"
      />
    </section>
  );
}
