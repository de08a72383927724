// "Import JSON": a flow's spec, pasted or read from a file (what Export saves,
// here or on another Wayfinder), saved as a new flow. A refusal says which
// step or field is wrong.

import { useId, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import { interviewFlows, interviewKeys, type FlowSpec, type InterviewFlow } from "../../api/interviews";
import { Dialog, ErrorNote } from "../ui";
import { sentence } from "./flowDraft";

class NotASpec extends Error {}

/** The spec in pasted text: a spec itself, or a whole flow as the API shows it (its `spec`). */
function parseSpec(text: string): FlowSpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new NotASpec("That is not JSON. Paste a flow exported from Wayfinder, or choose its file.");
  }
  if (value && typeof value === "object" && "spec" in value && "id" in value) value = (value as { spec: unknown }).spec;
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new NotASpec("That JSON is not a flow: it should be an object with a name, steps and summary.");
  }
  return value as FlowSpec;
}

/** Where in the imported spec a refusal points, in words: "Step 3 (“hopes”): …". */
export function importRefusal(error: unknown, spec: FlowSpec | undefined): string | null {
  if (!(error instanceof ApiError) || !error.field) return null;
  const message = sentence(error.message);
  const step = /^steps\[(\d+)\]/.exec(error.field);
  if (step) {
    const index = Number(step[1]);
    const key = spec?.steps?.[index]?.key;
    return `Step ${index + 1}${key ? ` (“${key}”)` : ""}: ${message}`;
  }
  const field = /^summary\[(\d+)\]/.exec(error.field);
  if (field) return `Summary field ${Number(field[1]) + 1}: ${message}`;
  return `${error.field}: ${message}`;
}

export function ImportFlow({
  org,
  open,
  onClose,
  onImported,
}: {
  org: string;
  open: boolean;
  onClose: () => void;
  onImported: (flow: InterviewFlow) => void;
}) {
  const client = useQueryClient();
  const ids = useId();
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (spec: FlowSpec) => interviewFlows.create(org, spec),
    onSuccess: async (flow) => {
      client.setQueryData(interviewKeys.flow(org, flow.id), flow);
      await client.invalidateQueries({ queryKey: interviewKeys.flows(org) });
      setText("");
      onImported(flow);
    },
  });
  const refusal = importRefusal(save.error, save.variables);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.reset();
    try {
      const spec = parseSpec(text);
      setProblem(null);
      save.mutate(spec);
    } catch (e) {
      setProblem(e instanceof NotASpec ? e.message : "That could not be read.");
    }
  }

  async function pick(file: File | undefined) {
    if (!file) return;
    save.reset();
    setProblem(null);
    setText(await file.text());
  }

  const error = problem ?? refusal;
  return (
    <Dialog
      open={open}
      title="Import a flow"
      onClose={() => {
        save.reset();
        setProblem(null);
        onClose();
      }}
    >
      <form onSubmit={submit} aria-label="Import a flow" className="import-flow">
        <div className="field">
          <label htmlFor={`${ids}-file`}>Flow file</label>
          <input
            id={`${ids}-file`}
            type="file"
            accept=".json,application/json"
            aria-describedby={`${ids}-file-hint`}
            onChange={(e) => void pick(e.target.files?.[0])}
          />
          <p className="hint" id={`${ids}-file-hint`}>
            A file saved with Export, here or on another Wayfinder. Its text appears below.
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-json`}>Flow JSON</label>
          <textarea
            id={`${ids}-json`}
            rows={10}
            spellCheck={false}
            className="code-input"
            value={text}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${ids}-error` : undefined}
            onChange={(e) => {
              setText(e.target.value);
              setProblem(null);
              save.reset();
            }}
          />
          {error && (
            <p className="field-error" id={`${ids}-error`} role="alert">
              {error}
            </p>
          )}
        </div>
        {!refusal && <ErrorNote error={save.error} />}
        <div className="actions">
          <button type="submit" className="primary" disabled={!text.trim() || save.isPending}>
            {save.isPending ? "Importing…" : "Import"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
