// Sending an interview to a learner: a coach to one of their learners, an
// administrator to any learner. The learner finds it under Interviews, ready
// to answer. Used for one flow (choose the learner) and on a learner's page
// (choose the flow).

import { useId, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { interviewFlows, interviewKeys, interviews, type Interview, type InterviewFlow } from "../../api/interviews";
import { useSession } from "../../session";
import { Dialog, ErrorNote, Loading } from "../ui";
import { useGuidedLearners } from "./guidedLearners";

function useSend(org: string, onSent: (interview: Interview) => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ flowId, person }: { flowId: string; person: string }) => interviews.start(org, flowId, person),
    onSuccess: async (interview) => {
      await Promise.all([
        client.invalidateQueries({ queryKey: interviewKeys.lists(org) }),
        client.invalidateQueries({ queryKey: interviewKeys.flows(org) }),
      ]);
      onSent(interview);
    },
  });
}

/** A dialog that sends `flow` to a learner the caller guides. */
export function SendInterviewDialog({
  org,
  flow,
  onClose,
  onSent,
}: {
  org: string;
  /** The flow to send; the dialog is open while it is set. */
  flow: InterviewFlow | null;
  onClose: () => void;
  onSent: (interview: Interview) => void;
}) {
  const id = useId();
  const { isAdmin } = useSession();
  const { learners, error, retry } = useGuidedLearners(org);
  const [chosen, setChosen] = useState("");
  const send = useSend(org, (interview) => {
    setChosen("");
    onSent(interview);
  });
  const close = () => {
    send.reset();
    setChosen("");
    onClose();
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    if (flow && chosen) send.mutate({ flowId: flow.id, person: chosen });
  }

  return (
    <Dialog open={flow !== null} title={`Send “${flow?.spec.name ?? ""}” to a learner`} onClose={close}>
      {error ? <ErrorNote error={error} onRetry={retry} /> : null}
      {!error && !learners && <Loading label="Loading learners…" />}
      {learners && learners.length === 0 && (
        <p className="muted">{isAdmin ? "The organisation has no learners yet." : "You have no learners to send it to yet."}</p>
      )}
      {learners && learners.length > 0 && (
        <form onSubmit={submit} aria-label="Send to a learner">
          <div className="field">
            <label htmlFor={id}>Learner</label>
            <select
              id={id}
              value={chosen}
              aria-describedby={`${id}-hint`}
              onChange={(e) => {
                setChosen(e.target.value);
                send.reset();
              }}
            >
              <option value="">Choose a learner</option>
              {learners.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.display_name}
                </option>
              ))}
            </select>
            <p className="hint" id={`${id}-hint`}>
              They find it under Interviews, ready to answer, typed or spoken.
            </p>
          </div>
          <ErrorNote error={send.error} />
          <div className="actions">
            <button type="button" onClick={close}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={!chosen || send.isPending}>
              {send.isPending ? "Sending…" : "Send"}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

/** On a learner's page: choose a flow and send it to them. */
export function SendInterviewForm({ org, person, name }: { org: string; person: string; name: string }) {
  const id = useId();
  const flows = useQuery({ queryKey: interviewKeys.flows(org), queryFn: () => interviewFlows.list(org) });
  const [chosen, setChosen] = useState("");
  const [sent, setSent] = useState("");
  const send = useSend(org, (interview) => {
    setChosen("");
    setSent(`Sent “${interview.flow_name}” to ${name}.`);
  });
  if (flows.isPending) return <Loading label="Loading interview flows…" />;
  if (flows.isError) return <ErrorNote error={flows.error} onRetry={() => flows.refetch()} />;
  if (flows.data.length === 0) return <p className="muted small">No interview flows yet: write one under Interviews.</p>;

  function submit(event: FormEvent) {
    event.preventDefault();
    setSent("");
    if (chosen) send.mutate({ flowId: chosen, person });
  }

  return (
    <form className="inline-form" onSubmit={submit} aria-label="Send an interview">
      <div className="field">
        <label htmlFor={id}>Send an interview</label>
        <select
          id={id}
          value={chosen}
          onChange={(e) => {
            setChosen(e.target.value);
            send.reset();
          }}
        >
          <option value="">Choose a flow</option>
          {flows.data.map((f) => (
            <option key={f.id} value={f.id}>
              {f.spec.name}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="primary" disabled={!chosen || send.isPending}>
        {send.isPending ? "Sending…" : "Send"}
      </button>
      <ErrorNote error={send.error} />
      <p className="success interview-sent" role="status">
        {sent}
      </p>
    </form>
  );
}
