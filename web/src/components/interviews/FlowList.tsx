// The organisation's interview flows for their authors (coaches and
// administrators): each with what it is for, its steps, version and how many
// interviews ran on it, and Edit, Export (its spec as a JSON file), Send to a
// learner and Delete (refused once an interview ran on it: its summaries keep
// it). New flows come from a template, from an imported file or from scratch.

import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { interviewFlows, interviewKeys, purposeLabel, type InterviewFlow } from "../../api/interviews";
import { ConfirmActionDialog, Empty, ErrorNote, Loading, useConfirmedAction } from "../ui";
import { formatDate } from "../../lib/format";
import { downloadSpec } from "./exportSpec";
import { ImportFlow } from "./ImportFlow";
import { SendInterviewDialog } from "./SendInterview";
import { TemplatePicker } from "./TemplatePicker";

export function FlowList({ org }: { org: string }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const list = useQuery({ queryKey: interviewKeys.flows(org), queryFn: () => interviewFlows.list(org) });
  const [picking, setPicking] = useState(false);
  const [importing, setImporting] = useState(false);
  const [sending, setSending] = useState<InterviewFlow | null>(null);
  const [announcement, setAnnouncement] = useState("");

  const remove = useConfirmedAction({
    mutationFn: (flow: InterviewFlow) => interviewFlows.remove(org, flow.id),
    onSuccess: async (_, flow) => {
      setAnnouncement(`Deleted “${flow.spec.name}”.`);
      client.removeQueries({ queryKey: interviewKeys.flow(org, flow.id) });
      await client.invalidateQueries({ queryKey: interviewKeys.flows(org) });
    },
  });

  const opened = (flow: InterviewFlow) => navigate(`/interviews/flows/${flow.id}`, { state: { created: true } });

  return (
    <section aria-labelledby="flows-heading" className="flow-library">
      <div className="page-header">
        <h2 id="flows-heading">Flows</h2>
        <div className="actions">
          <button type="button" className="primary" onClick={() => setPicking(true)}>
            New from template
          </button>
          <button type="button" onClick={() => setImporting(true)}>
            Import JSON
          </button>
          <Link className="button" to="/interviews/flows/new">
            New flow
          </Link>
        </div>
      </div>
      <p className="muted">
        A flow is a scripted interview: questions asked in order, follow-ups when an answer is short, branches when the
        learner mentions certain words, and a summary at the end.
      </p>
      <p className="flow-announcement" role="status" aria-live="polite">
        {announcement}
      </p>
      {list.isPending && <Loading label="Loading flows…" />}
      <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      {list.data?.length === 0 && (
        <Empty title="No flows yet.">
          <p>Start from a template, import one, or write a new flow.</p>
        </Empty>
      )}
      {list.data && list.data.length > 0 && (
        <ul className="flow-list" aria-label="Flows">
          {list.data.map((flow) => (
            <li key={flow.id} className="card flow-card">
              <h3>
                <Link to={`/interviews/flows/${flow.id}`}>{flow.spec.name}</Link>
              </h3>
              {flow.spec.description && <p className="small flow-description">{flow.spec.description}</p>}
              <p className="muted small">
                {purposeLabel(flow.spec.purpose)} · {flow.spec.steps.length} step{flow.spec.steps.length === 1 ? "" : "s"} ·
                version {flow.current_version} · {flow.interviews} interview{flow.interviews === 1 ? "" : "s"} · updated{" "}
                {formatDate(flow.updated_at)}
              </p>
              <div className="flow-card-actions">
                <Link className="button" to={`/interviews/flows/${flow.id}`} aria-label={`Edit ${flow.spec.name}`}>
                  Edit
                </Link>
                <button type="button" aria-label={`Export ${flow.spec.name}`} onClick={() => downloadSpec(flow.spec)}>
                  Export
                </button>
                <button
                  type="button"
                  aria-label={`Send ${flow.spec.name} to a learner`}
                  onClick={() => {
                    setAnnouncement("");
                    setSending(flow);
                  }}
                >
                  Send to a learner
                </button>
                <button
                  type="button"
                  className="danger-text"
                  aria-label={`Delete ${flow.spec.name}`}
                  onClick={() => remove.ask(flow)}
                >
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}

      <TemplatePicker org={org} open={picking} onClose={() => setPicking(false)} onCreated={opened} />
      <ImportFlow org={org} open={importing} onClose={() => setImporting(false)} onImported={opened} />
      <SendInterviewDialog
        org={org}
        flow={sending}
        onClose={() => setSending(null)}
        onSent={(interview) => {
          setSending(null);
          setAnnouncement(`Sent “${interview.flow_name}” to ${interview.person_name}.`);
        }}
      />
      <ConfirmActionDialog
        action={remove}
        title="Delete this flow?"
        message={
          <>
            “{remove.target?.spec.name}” and all its versions are deleted. A flow that interviews have run on stays, so
            their summaries keep it.
          </>
        }
        confirmLabel="Delete flow"
      />
    </section>
  );
}
