// "New from template": the built-in flows (interest discovery, a mock job
// interview, a weekly reflection, a coach's intake, a program check-in), each
// saved as a flow of the organisation's own with one press, to edit from there.

import { useQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { interviewFlows, interviewKeys, purposeLabel, type FlowSpec, type InterviewFlow } from "../../api/interviews";
import { Dialog, ErrorNote, Loading } from "../ui";

export function TemplatePicker({
  org,
  open,
  onClose,
  onCreated,
}: {
  org: string;
  open: boolean;
  onClose: () => void;
  onCreated: (flow: InterviewFlow) => void;
}) {
  const client = useQueryClient();
  const templates = useQuery({
    queryKey: interviewKeys.templates(org),
    queryFn: () => interviewFlows.templates(org),
    enabled: open,
    staleTime: Infinity,
  });
  const create = useMutation({
    mutationFn: (spec: FlowSpec) => interviewFlows.create(org, spec),
    onSuccess: async (flow) => {
      client.setQueryData(interviewKeys.flow(org, flow.id), flow);
      await client.invalidateQueries({ queryKey: interviewKeys.flows(org) });
      onCreated(flow);
    },
  });

  return (
    <Dialog
      open={open}
      title="New from a template"
      className="template-dialog"
      onClose={() => {
        create.reset();
        onClose();
      }}
    >
      <p className="muted small">The template is saved as a flow of your own; change anything in it afterwards.</p>
      {templates.isPending && <Loading label="Loading templates…" />}
      <ErrorNote error={templates.error} onRetry={() => templates.refetch()} />
      <ErrorNote error={create.error} />
      {templates.data && (
        <ul className="template-list" aria-label="Templates">
          {templates.data.map((t) => (
            <li key={t.name} className="template">
              <div>
                <h3>{t.name}</h3>
                {t.description && <p className="small">{t.description}</p>}
                <p className="muted small">
                  {purposeLabel(t.purpose)} · {t.steps.length} steps · {t.summary.length} summary fields
                </p>
              </div>
              <button
                type="button"
                className="primary"
                aria-label={`Use ${t.name}`}
                disabled={create.isPending}
                onClick={() => create.mutate(t)}
              >
                {create.isPending && create.variables?.name === t.name ? "Saving…" : "Use"}
              </button>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
