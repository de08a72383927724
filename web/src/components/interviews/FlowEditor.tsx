// The flow editor: the flow's name, description, purpose, background and
// limits; its steps as an ordered list, each with its question, what it is
// for, when an answer is complete, the follow-ups asked while an answer falls
// short, the branches taken when the learner mentions certain words, where it
// goes next (or that it ends the interview) and the summary field it fills;
// then the summary's fields. Saving writes a new version. A refusal from the
// server is shown beside the field or step it names (a loop or an
// unreachable step at that step), which takes the focus.

import { useEffect, useId, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import {
  FIELD_KINDS,
  FLOW_LIMITS,
  PURPOSES,
  interviewFlows,
  interviewKeys,
  type FieldKind,
  type FlowPurpose,
  type FlowSpec,
  type InterviewFlow,
} from "../../api/interviews";
import { ErrorNote } from "../ui";
import { FieldError, FormField, KeyField } from "../provisioning/fields";
import { StepActions } from "../StepActions";
import {
  draftId,
  draftOf,
  keyOf,
  mentionsOf,
  newField,
  newStep,
  orderOf,
  refusalOf,
  refusedElementId,
  short,
  specOf,
  wholeNumber,
  type DraftBranch,
  type DraftField,
  type DraftStep,
  type FlowDraft,
  type FlowField,
  type Refusal,
  type SentOrder,
  type StepField,
} from "./flowDraft";
import { downloadSpec } from "./exportSpec";
import "../../styles/interviews.css";

type Change<T> = (patch: Partial<T>) => void;

function StepEditor({
  ids,
  index,
  step,
  steps,
  fields,
  refusal,
  onChange,
  onMove,
  onRemove,
  focus,
}: {
  ids: string;
  index: number;
  step: DraftStep;
  steps: DraftStep[];
  fields: DraftField[];
  refusal: Refusal | null;
  onChange: Change<DraftStep>;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
  focus: (id: string) => void;
}) {
  const number = index + 1;
  const at = (field: string) => `${ids}-${step.id}-${field}`;
  const mine = refusal && "stepId" in refusal && refusal.stepId === step.id ? refusal : null;
  const errorAt = (field: StepField) => (mine?.kind === "step" && mine.field === field ? mine.message : null);
  const wholeStep = mine?.kind === "step" && mine.field === null ? mine.message : null;
  const others = steps.filter((s) => s.id !== step.id);
  const nextInOrder = steps[index + 1];
  const label = (s: DraftStep) => (s.question.trim() ? `${s.key}: ${short(s.question)}` : s.key);

  const unknownOption = (ref: string, valid: boolean, items: readonly { id: string; key: string }[]) => {
    if (!ref || valid) return null;
    const key = keyOf(ref, items);
    return <option value={ref}>{key ? `${key} (no such step)` : "(a removed step)"}</option>;
  };

  const setBranch = (id: string, patch: Partial<DraftBranch>) =>
    onChange({ branches: step.branches.map((b) => (b.id === id ? { ...b, ...patch } : b)) });

  // What happens after this step, in words.
  const after: string[] = [];
  for (const b of step.branches) {
    const to = keyOf(b.goto, steps);
    const words = mentionsOf(b.mentions);
    if (to && words.length) after.push(`mentions of ${words.slice(0, 3).join(", ")}${words.length > 3 ? "…" : ""} go to ${to}`);
  }
  const then = step.end
    ? "otherwise the interview ends"
    : step.next
      ? `otherwise on to ${keyOf(step.next, steps) || "?"}`
      : nextInOrder
        ? `otherwise on to ${nextInOrder.key}`
        : "otherwise the interview ends (last step)";
  after.push(then);
  const summaryLine = `${after.join("; ")}.`;

  return (
    <li className="flow-step">
      <fieldset
        id={`${ids}-${step.id}`}
        tabIndex={-1}
        aria-describedby={[wholeStep ? at("error") : null, at("then")].filter(Boolean).join(" ")}
        className={wholeStep ? "flow-step-refused" : undefined}
      >
        <legend>
          Step {number}
          {step.key.trim() ? ` · ${step.key.trim()}` : ""}
        </legend>
        <p className="flow-step-then" id={at("then")}>
          {summaryLine.charAt(0).toUpperCase() + summaryLine.slice(1)}
        </p>
        {wholeStep && (
          <p className="field-error flow-step-error" id={at("error")}>
            {wholeStep}
          </p>
        )}
        <div className="flow-grid">
          <KeyField
            id={at("key")}
            hint="Names the step: letters, digits, - and _."
            error={errorAt("key")}
            value={step.key}
            onChange={(key) => onChange({ key })}
          />
          <FormField
            id={at("min_words")}
            label="Fewest words"
            hint="Shorter answers get the next follow-up (0: any answer will do)."
            error={errorAt("min_words")}
          >
            {(p) => (
              <input
                {...p}
                type="number"
                inputMode="numeric"
                min={0}
                max={FLOW_LIMITS.minWords}
                value={step.minWords}
                onChange={(e) => onChange({ minWords: e.target.value })}
              />
            )}
          </FormField>
        </div>
        <FormField id={at("question")} label="Question" error={errorAt("question")}>
          {(p) => (
            <textarea {...p} rows={2} maxLength={1000} value={step.question} onChange={(e) => onChange({ question: e.target.value })} />
          )}
        </FormField>
        <div className="flow-grid">
          <FormField id={at("purpose")} label="What it is for" hint="Follow-ups stay within it." error={errorAt("purpose")}>
            {(p) => (
              <textarea {...p} rows={2} maxLength={500} value={step.purpose} onChange={(e) => onChange({ purpose: e.target.value })} />
            )}
          </FormField>
          <FormField
            id={at("complete_when")}
            label="A complete answer"
            hint="In words, for the AI model when there is one."
            error={errorAt("complete_when")}
          >
            {(p) => (
              <textarea
                {...p}
                rows={2}
                maxLength={500}
                value={step.completeWhen}
                onChange={(e) => onChange({ completeWhen: e.target.value })}
              />
            )}
          </FormField>
        </div>

        <div className="flow-sub">
          <h3 id={at("probes-heading")}>Follow-ups</h3>
          <p className="hint">Asked in turn while an answer is shorter than the fewest words.</p>
          {step.probes.length > 0 && (
            <ol className="flow-probes" aria-labelledby={at("probes-heading")}>
              {step.probes.map((probe, p) => {
                const error = mine?.kind === "probe" && mine.probeId === probe.id ? mine.message : null;
                const id = `${ids}-${probe.id}`;
                return (
                  <li key={probe.id} className="flow-row">
                    <label htmlFor={id} className="visually-hidden">
                      Follow-up {p + 1} of step {number}
                    </label>
                    <input
                      id={id}
                      value={probe.text}
                      maxLength={500}
                      aria-invalid={error ? true : undefined}
                      aria-describedby={error ? `${id}-error` : undefined}
                      onChange={(e) =>
                        onChange({ probes: step.probes.map((x) => (x.id === probe.id ? { ...x, text: e.target.value } : x)) })
                      }
                    />
                    <button
                      type="button"
                      className="danger-text"
                      aria-label={`Remove follow-up ${p + 1} of step ${number}`}
                      onClick={() => {
                        onChange({ probes: step.probes.filter((x) => x.id !== probe.id) });
                        focus(at("add-probe"));
                      }}
                    >
                      Remove
                    </button>
                    <FieldError id={`${id}-error`} error={error} />
                  </li>
                );
              })}
            </ol>
          )}
          <button
            type="button"
            id={at("add-probe")}
            disabled={step.probes.length >= FLOW_LIMITS.probes}
            aria-label={`Add a follow-up to step ${number}`}
            onClick={() => {
              const probe = { id: draftId("probe"), text: "" };
              onChange({ probes: [...step.probes, probe] });
              focus(`${ids}-${probe.id}`);
            }}
          >
            Add follow-up
          </button>
          <FieldError error={errorAt("probes")} />
        </div>

        <div className="flow-sub">
          <h3 id={at("branches-heading")}>Branches</h3>
          <p className="hint">
            When a complete answer mentions any of the words, the interview goes to that step instead. Words of four
            letters or more also match longer ones (“draw” in “drawing”).
          </p>
          {step.branches.length > 0 && (
            <ol className="flow-branches" aria-labelledby={at("branches-heading")}>
              {step.branches.map((branch, b) => {
                const error = (field: "mentions" | "goto") =>
                  mine?.kind === "branch" && mine.branchId === branch.id && mine.field === field ? mine.message : null;
                const valid = others.some((s) => s.id === branch.goto);
                return (
                  <li key={branch.id} className="flow-branch">
                    <div className="field">
                      <label htmlFor={`${ids}-${branch.id}-mentions`}>
                        Branch {b + 1}: if the answer mentions
                      </label>
                      <input
                        id={`${ids}-${branch.id}-mentions`}
                        value={branch.mentions}
                        aria-invalid={error("mentions") ? true : undefined}
                        aria-describedby={`${ids}-${branch.id}-mentions-hint${error("mentions") ? ` ${ids}-${branch.id}-mentions-error` : ""}`}
                        onChange={(e) => setBranch(branch.id, { mentions: e.target.value })}
                      />
                      <FieldError id={`${ids}-${branch.id}-mentions-error`} error={error("mentions")} />
                      <p className="hint" id={`${ids}-${branch.id}-mentions-hint`}>
                        Words or phrases, separated by commas.
                      </p>
                    </div>
                    <div className="field">
                      <label htmlFor={`${ids}-${branch.id}-goto`}>Go to step</label>
                      <select
                        id={`${ids}-${branch.id}-goto`}
                        value={branch.goto}
                        aria-invalid={error("goto") ? true : undefined}
                        aria-describedby={error("goto") ? `${ids}-${branch.id}-goto-error` : undefined}
                        onChange={(e) => setBranch(branch.id, { goto: e.target.value })}
                      >
                        {!branch.goto && <option value="">Choose a step</option>}
                        {unknownOption(branch.goto, valid, steps)}
                        {others.map((s) => (
                          <option key={s.id} value={s.id}>
                            {label(s)}
                          </option>
                        ))}
                      </select>
                      <FieldError id={`${ids}-${branch.id}-goto-error`} error={error("goto")} />
                    </div>
                    <button
                      type="button"
                      className="danger-text"
                      aria-label={`Remove branch ${b + 1} of step ${number}`}
                      onClick={() => {
                        onChange({ branches: step.branches.filter((x) => x.id !== branch.id) });
                        focus(at("add-branch"));
                      }}
                    >
                      Remove
                    </button>
                  </li>
                );
              })}
            </ol>
          )}
          <button
            type="button"
            id={at("add-branch")}
            disabled={step.branches.length >= FLOW_LIMITS.branches || others.length === 0}
            aria-label={`Add a branch to step ${number}`}
            onClick={() => {
              const branch = { id: draftId("branch"), mentions: "", goto: "" };
              onChange({ branches: [...step.branches, branch] });
              focus(`${ids}-${branch.id}-mentions`);
            }}
          >
            Add branch
          </button>
          <FieldError error={errorAt("branches")} />
        </div>

        <div className="flow-grid">
          <div className="field">
            <label htmlFor={at("next")}>Then</label>
            <select
              id={at("next")}
              value={step.end ? "" : step.next}
              disabled={step.end}
              aria-invalid={errorAt("next") ? true : undefined}
              aria-describedby={errorAt("next") ? at("next-error") : undefined}
              onChange={(e) => onChange({ next: e.target.value })}
            >
              <option value="">
                {nextInOrder ? `The next step in order (${nextInOrder.key})` : "The end (this is the last step)"}
              </option>
              {unknownOption(step.next, others.some((s) => s.id === step.next), steps)}
              {others.map((s) => (
                <option key={s.id} value={s.id}>
                  {label(s)}
                </option>
              ))}
            </select>
            <FieldError id={at("next-error")} error={errorAt("next")} />
            <label className="check">
              <input
                type="checkbox"
                id={at("end")}
                checked={step.end}
                onChange={(e) => onChange({ end: e.target.checked, next: e.target.checked ? "" : step.next })}
              />
              Ends the interview
            </label>
            <p className="hint">When no branch is taken.</p>
          </div>
          <div className="field">
            <label htmlFor={at("field")}>Fills summary field</label>
            <select
              id={at("field")}
              value={step.field}
              aria-invalid={errorAt("field") ? true : undefined}
              aria-describedby={`${at("field-hint")}${errorAt("field") ? ` ${at("field-error")}` : ""}`}
              onChange={(e) => onChange({ field: e.target.value })}
            >
              <option value="">None</option>
              {step.field && !fields.some((f) => f.id === step.field) && (
                <option value={step.field}>{keyOf(step.field, fields) || "(a removed field)"} (no such field)</option>
              )}
              {fields.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.key || "(no key yet)"}
                </option>
              ))}
            </select>
            <FieldError id={at("field-error")} error={errorAt("field")} />
            <p className="hint" id={at("field-hint")}>
              Its answers fill this field when no AI model writes the summary.
            </p>
          </div>
        </div>

        <StepActions
          idPrefix={`${ids}-${step.id}`}
          position={index}
          count={steps.length}
          name={`step ${number}`}
          onMove={onMove}
          onRemove={onRemove}
        />
      </fieldset>
    </li>
  );
}

function FieldEditor({
  ids,
  index,
  field,
  count,
  refusal,
  onChange,
  onRemove,
}: {
  ids: string;
  index: number;
  field: DraftField;
  count: number;
  refusal: Refusal | null;
  onChange: Change<DraftField>;
  onRemove: () => void;
}) {
  const at = (name: string) => `${ids}-${field.id}-${name}`;
  const errorAt = (name: "key" | "kind" | "description") =>
    refusal?.kind === "summary" && refusal.fieldId === field.id && refusal.field === name ? refusal.message : null;
  return (
    <li className="flow-field">
      <fieldset>
        <legend>Field {index + 1}</legend>
        <div className="flow-grid">
          <KeyField
            id={at("key")}
            hint="Letters, digits, - and _."
            error={errorAt("key")}
            value={field.key}
            onChange={(key) => onChange({ key })}
          />
          <FormField id={at("kind")} label="Kind" error={errorAt("kind")}>
            {(p) => (
              <select {...p} value={field.kind} onChange={(e) => onChange({ kind: e.target.value as FieldKind })}>
                {FIELD_KINDS.map((k) => (
                  <option key={k.value} value={k.value}>
                    {k.label}
                  </option>
                ))}
              </select>
            )}
          </FormField>
        </div>
        <FormField id={at("description")} label="What it holds" error={errorAt("description")}>
          {(p) => (
            <input {...p} value={field.description} maxLength={500} onChange={(e) => onChange({ description: e.target.value })} />
          )}
        </FormField>
        <div className="flow-step-actions">
          <button
            type="button"
            id={at("remove")}
            className="danger-text"
            disabled={count === 1}
            aria-label={`Remove: field ${index + 1}`}
            onClick={onRemove}
          >
            Remove
          </button>
        </div>
      </fieldset>
    </li>
  );
}

/** Checks what the browser can: the numbers are whole numbers. */
function localRefusal(draft: FlowDraft): Refusal | null {
  if (wholeNumber(draft.maxTurns, 1, FLOW_LIMITS.maxTurns) === null) {
    return { kind: "flow", field: "limits.max_turns", message: `Enter a whole number from 1 to ${FLOW_LIMITS.maxTurns}.` };
  }
  if (wholeNumber(draft.maxMinutes, 1, FLOW_LIMITS.maxMinutes) === null) {
    return { kind: "flow", field: "limits.max_minutes", message: `Enter a whole number from 1 to ${FLOW_LIMITS.maxMinutes}.` };
  }
  for (const s of draft.steps) {
    if (wholeNumber(s.minWords, 0, FLOW_LIMITS.minWords) === null) {
      return { kind: "step", stepId: s.id, field: "min_words", message: `Enter a whole number from 0 to ${FLOW_LIMITS.minWords}.` };
    }
    const branch = s.branches.find((b) => !b.goto);
    if (branch) return { kind: "branch", stepId: s.id, branchId: branch.id, field: "goto", message: "Choose the step to go to." };
  }
  return null;
}

export function FlowEditor({
  org,
  flow,
  onSaved,
}: {
  org: string;
  /** Null for a new flow. */
  flow: InterviewFlow | null;
  onSaved: (saved: InterviewFlow, created: boolean) => void;
}) {
  const client = useQueryClient();
  const ids = useId();
  const [draft, setDraft] = useState<FlowDraft>(() => draftOf(flow));
  const [local, setLocal] = useState<Refusal | null>(null);
  const [focusId, setFocusId] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");

  const save = useMutation({
    mutationFn: ({ spec }: { spec: FlowSpec; order: SentOrder }) =>
      flow ? interviewFlows.update(org, flow.id, spec) : interviewFlows.create(org, spec),
    onSuccess: async (saved) => {
      client.setQueryData(interviewKeys.flow(org, saved.id), saved);
      await client.invalidateQueries({ queryKey: interviewKeys.flows(org) });
      setAnnouncement(flow ? `Saved as version ${saved.version}.` : "");
      onSaved(saved, !flow);
    },
  });
  const { reset } = save;

  const refusal = local ?? refusalOf(save.error, save.variables?.order);
  const generalError = save.error && !refusal ? save.error : null;
  const flowError = (field: FlowField) => (refusal?.kind === "flow" && refusal.field === field ? refusal.message : null);

  // A new refusal moves the focus to what it is about.
  useEffect(() => {
    const refused = local ?? refusalOf(save.error, save.variables?.order);
    if (refused) setFocusId(refusedElementId(ids, refused));
  }, [local, save.error, save.variables, ids]);

  useEffect(() => {
    if (!focusId) return;
    const element = document.getElementById(focusId);
    element?.focus();
    element?.scrollIntoView?.({ block: "center" });
    setFocusId(null);
  }, [focusId]);

  /** A change clears the refusal (its positions may no longer hold). */
  function update(patch: Partial<FlowDraft>) {
    setAnnouncement("");
    setLocal(null);
    reset();
    setDraft((d) => ({ ...d, ...patch }));
  }

  function changeStep(id: string, patch: Partial<DraftStep>) {
    update({ steps: draft.steps.map((s) => (s.id === id ? { ...s, ...patch } : s)) });
  }

  function moveStep(index: number, by: -1 | 1) {
    const to = index + by;
    const moving = draft.steps[index];
    const other = draft.steps[to];
    if (!moving || !other) return;
    const steps = [...draft.steps];
    steps[index] = other;
    steps[to] = moving;
    update({ steps });
    setAnnouncement(`Step ${index + 1} moved to position ${to + 1}.`);
    const edge = to === 0 ? "down" : to === steps.length - 1 ? "up" : by < 0 ? "up" : "down";
    setFocusId(`${ids}-${moving.id}-${edge}`);
  }

  function removeStep(index: number) {
    const gone = draft.steps[index];
    if (!gone) return;
    const steps = draft.steps
      .filter((s) => s.id !== gone.id)
      .map((s) => ({
        ...s,
        next: s.next === gone.id ? "" : s.next,
        branches: s.branches.map((b) => (b.goto === gone.id ? { ...b, goto: "" } : b)),
      }));
    update({ steps });
    setAnnouncement(`Step ${index + 1} removed.`);
    const neighbour = steps[index] ?? steps[index - 1];
    setFocusId(neighbour ? `${ids}-${neighbour.id}-remove` : `${ids}-add-step`);
  }

  function addStep() {
    const step = newStep(draft.steps);
    update({ steps: [...draft.steps, step] });
    setAnnouncement(`Step ${draft.steps.length + 1} added.`);
    setFocusId(`${ids}-${step.id}-question`);
  }

  function changeField(id: string, patch: Partial<DraftField>) {
    update({ fields: draft.fields.map((f) => (f.id === id ? { ...f, ...patch } : f)) });
  }

  function removeField(index: number) {
    const gone = draft.fields[index];
    if (!gone) return;
    const fields = draft.fields.filter((f) => f.id !== gone.id);
    update({ fields, steps: draft.steps.map((s) => (s.field === gone.id ? { ...s, field: "" } : s)) });
    setAnnouncement(`Field ${index + 1} removed.`);
    const neighbour = fields[index] ?? fields[index - 1];
    setFocusId(neighbour ? `${ids}-${neighbour.id}-remove` : `${ids}-add-field`);
  }

  function addField() {
    const field = newField(draft.fields);
    update({ fields: [...draft.fields, field] });
    setAnnouncement(`Field ${draft.fields.length + 1} added.`);
    setFocusId(`${ids}-${field.id}-key`);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const refused = localRefusal(draft);
    setLocal(refused);
    if (refused) return;
    setAnnouncement("");
    save.mutate({ spec: specOf(draft), order: orderOf(draft) });
  }

  return (
    <form className="card flow-form" aria-label="Interview flow" onSubmit={submit} noValidate>
      <FormField id={`${ids}-name`} label="Name" error={flowError("name")}>
        {(p) => <input {...p} value={draft.name} maxLength={120} onChange={(e) => update({ name: e.target.value })} />}
      </FormField>
      <FormField
        id={`${ids}-description`}
        label="Description (optional)"
        hint="Learners see it when they choose an interview."
        error={flowError("description")}
      >
        {(p) => (
          <textarea {...p} rows={2} maxLength={2000} value={draft.description} onChange={(e) => update({ description: e.target.value })} />
        )}
      </FormField>
      <div className="flow-grid">
        <FormField
          id={`${ids}-purpose`}
          label="Purpose"
          hint="Decides what the summary may update on the learner's profile."
          error={flowError("purpose")}
        >
          {(p) => (
            <select {...p} value={draft.purpose} onChange={(e) => update({ purpose: e.target.value as FlowPurpose })}>
              {PURPOSES.map((purpose) => (
                <option key={purpose.value} value={purpose.value}>
                  {purpose.label}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <FormField
          id={`${ids}-limits-max_turns`}
          label="Most answers"
          hint={`The interview ends after this many answers (1 to ${FLOW_LIMITS.maxTurns}).`}
          error={flowError("limits.max_turns")}
        >
          {(p) => (
            <input
              {...p}
              type="number"
              inputMode="numeric"
              min={1}
              max={FLOW_LIMITS.maxTurns}
              value={draft.maxTurns}
              onChange={(e) => update({ maxTurns: e.target.value })}
            />
          )}
        </FormField>
        <FormField
          id={`${ids}-limits-max_minutes`}
          label="Most minutes"
          hint={`Paused time does not count (1 to ${FLOW_LIMITS.maxMinutes}).`}
          error={flowError("limits.max_minutes")}
        >
          {(p) => (
            <input
              {...p}
              type="number"
              inputMode="numeric"
              min={1}
              max={FLOW_LIMITS.maxMinutes}
              value={draft.maxMinutes}
              onChange={(e) => update({ maxMinutes: e.target.value })}
            />
          )}
        </FormField>
      </div>
      <FormField
        id={`${ids}-context`}
        label="Background (optional)"
        hint="What the interviewer works from, such as the role in a mock job interview; learners see it when they start."
        error={flowError("context")}
      >
        {(p) => <textarea {...p} rows={3} maxLength={4000} value={draft.context} onChange={(e) => update({ context: e.target.value })} />}
      </FormField>

      <h2>Steps</h2>
      <p className="muted small">The interview starts with the first step. Every step must be reachable, and no path may loop back.</p>
      <ol className="flow-steps" aria-label="Steps">
        {draft.steps.map((step, index) => (
          <StepEditor
            key={step.id}
            ids={ids}
            index={index}
            step={step}
            steps={draft.steps}
            fields={draft.fields}
            refusal={refusal}
            onChange={(patch) => changeStep(step.id, patch)}
            onMove={(by) => moveStep(index, by)}
            onRemove={() => removeStep(index)}
            focus={setFocusId}
          />
        ))}
      </ol>
      <button type="button" id={`${ids}-add-step`} onClick={addStep} disabled={draft.steps.length >= FLOW_LIMITS.steps}>
        Add step
      </button>
      <FieldError error={flowError("steps")} />

      <h2>Summary</h2>
      <p className="muted small">The fields the interview's summary fills in; learners can correct them afterwards.</p>
      <ol className="flow-fields" aria-label="Summary fields">
        {draft.fields.map((field, index) => (
          <FieldEditor
            key={field.id}
            ids={ids}
            index={index}
            field={field}
            count={draft.fields.length}
            refusal={refusal}
            onChange={(patch) => changeField(field.id, patch)}
            onRemove={() => removeField(index)}
          />
        ))}
      </ol>
      <button type="button" id={`${ids}-add-field`} onClick={addField} disabled={draft.fields.length >= FLOW_LIMITS.fields}>
        Add field
      </button>
      <FieldError error={flowError("summary")} />

      <ErrorNote error={generalError} />
      {refusal && (
        <p className="visually-hidden" role="alert">
          Not saved: {refusal.message}
        </p>
      )}
      <p className="flow-announcement" role="status" aria-live="polite">
        {announcement}
      </p>
      <div className="actions">
        {flow && (
          <button type="button" onClick={() => downloadSpec(flow.spec)}>
            Export JSON
          </button>
        )}
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : flow ? "Save as a new version" : "Create flow"}
        </button>
      </div>
    </form>
  );
}
