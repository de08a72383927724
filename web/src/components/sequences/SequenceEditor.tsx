// The sequence editor: the sequence's name, description and whether it runs,
// then its steps as an ordered list, each with its key, kind, text, delay, the
// interview flow an interview step starts and an optional condition on an
// earlier check-in. Each step shows when it falls after enrolment. A refusal
// from the server is shown beside the field it names (`steps[3].condition.step`
// at step 4's check-in), which takes the focus.

import { useEffect, useId, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery, useQueryClient, type UseQueryResult } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import { interviewFlows, interviewKeys, type InterviewFlow } from "../../api/interviews";
import {
  CONDITION_ANSWERS,
  STEP_KINDS,
  dayLabel,
  durationLabel,
  sequenceKeys,
  sequences,
  stepKindLabel,
  stepLabel,
  type ConditionAnswer,
  type Sequence,
  type SequenceSpec,
  type Step,
  type StepKind,
} from "../../api/sequences";
import { ConfirmDialog, ErrorNote } from "../ui";
import { FieldError, FormField, KeyField } from "../provisioning/fields";
import { StepActions } from "../StepActions";
import "../../styles/sequences.css";

const MAX_STEPS = 50;
const MAX_DELAY_HOURS = 8760;
const ANSWER_VALUES = [1, 2, 3, 4, 5] as const;
const FLOW_MISSING = "Choose the interview this step starts.";

/** A condition points at its check-in by the step's id in the form, so renaming a key keeps it. */
interface DraftCondition {
  stepId: string;
  answer: ConditionAnswer;
  value: number;
}

interface DraftStep {
  /** Stable while the form is open (React key, element ids); never sent. */
  id: string;
  key: string;
  kind: StepKind;
  text: string;
  /** As typed; checked to be whole hours on save. */
  delay: string;
  condition: DraftCondition | null;
  /** The flow an interview step starts. */
  flow_id: string | null;
}

let lastDraftId = 0;
const draftId = () => `step${++lastDraftId}`;
/** A condition on a key the form does not know (kept so the server can say what is wrong with it). */
const UNKNOWN = "unknown:";

function draftsOf(steps: Step[]): DraftStep[] {
  const drafts = steps.map((s) => ({
    ...s,
    id: draftId(),
    delay: String(s.delay_hours),
    condition: null,
    flow_id: s.flow_id ?? null,
  }));
  return drafts.map((d, i) => {
    const c = steps[i]?.condition;
    if (!c) return d;
    const target = drafts.find((t) => t.key === c.step);
    return { ...d, condition: { stepId: target ? target.id : UNKNOWN + c.step, answer: c.answer, value: c.value } };
  });
}

/** `s1`, `s2`, … : the first free one from the step's position on. */
function freshKey(steps: DraftStep[]): string {
  const used = new Set(steps.map((s) => s.key));
  let n = steps.length + 1;
  while (used.has(`s${n}`)) n += 1;
  return `s${n}`;
}

function newStep(steps: DraftStep[]): DraftStep {
  return {
    id: draftId(),
    key: freshKey(steps),
    kind: "message",
    text: "",
    delay: steps.length === 0 ? "0" : "24",
    condition: null,
    flow_id: null,
  };
}

function parseDelay(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const hours = Number(trimmed);
  return hours <= MAX_DELAY_HOURS ? hours : null;
}

function conditionKey(steps: DraftStep[], condition: DraftCondition): string {
  const target = steps.find((s) => s.id === condition.stepId);
  if (target) return target.key;
  return condition.stepId.startsWith(UNKNOWN) ? condition.stepId.slice(UNKNOWN.length) : "";
}

function short(text: string, length = 40): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

/** The sequence fields and step fields the server names in its refusals. */
type SequenceField = "name" | "description" | "active" | "steps";
type StepField =
  | "key"
  | "kind"
  | "text"
  | "delay_hours"
  | "flow_id"
  | "condition"
  | "condition.step"
  | "condition.answer"
  | "condition.value";
const SEQUENCE_FIELDS: readonly string[] = ["name", "description", "active", "steps"];
const STEP_FIELDS: readonly string[] = [
  "key",
  "kind",
  "text",
  "delay_hours",
  "flow_id",
  "condition",
  "condition.step",
  "condition.answer",
  "condition.value",
];

type Refusal =
  | { kind: "sequence"; field: SequenceField; message: string }
  | { kind: "step"; stepId: string; field: StepField | null; message: string };

function sentence(message: string): string {
  const text = message.replace(/^[^:]+: /, "");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? "" : "."}`;
}

/** Which field of the form a refusal is about; `order` is the steps' ids as they were sent. */
function refusalOf(error: unknown, order: readonly string[]): Refusal | null {
  if (!(error instanceof ApiError) || !error.field) return null;
  const message = sentence(error.message);
  if (SEQUENCE_FIELDS.includes(error.field)) return { kind: "sequence", field: error.field as SequenceField, message };
  const match = /^steps\[(\d+)\](?:\.(.+))?$/.exec(error.field);
  const stepId = match ? order[Number(match[1])] : undefined;
  if (!match || !stepId) return null;
  const field = match[2] && STEP_FIELDS.includes(match[2]) ? (match[2] as StepField) : null;
  return { kind: "step", stepId, field, message };
}

/** Where a refusal moves the focus. */
function refusedElementId(ids: string, refusal: Refusal): string {
  if (refusal.kind === "sequence") return refusal.field === "steps" ? `${ids}-add` : `${ids}-${refusal.field}`;
  const field = refusal.field === "condition" ? "condition.step" : (refusal.field ?? "key");
  return `${ids}-${refusal.stepId}-${field}`;
}

/** The interview flow an interview step starts, one of the organisation's. */
function FlowField({
  id,
  flows,
  value,
  error,
  onChange,
}: {
  id: string;
  flows: UseQueryResult<InterviewFlow[]>;
  value: string | null;
  error: string | null;
  onChange: (flowId: string | null) => void;
}) {
  const known = flows.data?.some((f) => f.id === value);
  const describedBy = [error ? `${id}-error` : null, flows.isError ? null : `${id}-hint`].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>Interview flow</label>
      <select
        id={id}
        value={value ?? ""}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        onChange={(e) => onChange(e.target.value || null)}
      >
        {!value && <option value="">Choose an interview flow</option>}
        {value && !known && (
          <option value={value}>{flows.isSuccess ? "(a removed interview flow)" : "The flow chosen"}</option>
        )}
        {flows.data?.map((f) => (
          <option key={f.id} value={f.id}>
            {f.spec.name}
          </option>
        ))}
      </select>
      <FieldError id={`${id}-error`} error={error} />
      {flows.isError ? (
        <ErrorNote error={flows.error} onRetry={() => flows.refetch()} />
      ) : (
        <p className="hint" id={`${id}-hint`}>
          {flows.isPending ? (
            "Loading the organisation's interview flows…"
          ) : flows.data.length === 0 ? (
            <>
              No interview flows yet: write one under <Link to="/interviews">Interviews</Link>.
            </>
          ) : (
            "When the step falls due, the learner's own interview on it starts."
          )}
        </p>
      )}
    </div>
  );
}

function StepEditor({
  ids,
  index,
  step,
  steps,
  flows,
  startsAt,
  refusal,
  delayInvalid,
  flowMissing,
  onChange,
  onMove,
  onRemove,
}: {
  ids: string;
  index: number;
  step: DraftStep;
  steps: DraftStep[];
  /** The organisation's interview flows, for an interview step to start one. */
  flows: UseQueryResult<InterviewFlow[]>;
  /** Hours after enrolment, from the delays up to and including this step. */
  startsAt: number;
  refusal: Refusal | null;
  delayInvalid: boolean;
  /** An interview step saved without its flow. */
  flowMissing: boolean;
  onChange: (change: Partial<DraftStep>) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const number = index + 1;
  const at = (field: string) => `${ids}-${step.id}-${field}`;
  const mine = refusal?.kind === "step" && refusal.stepId === step.id ? refusal : null;
  const errorAt = (field: StepField) => (mine?.field === field ? mine.message : null);
  const conditionError = mine?.field?.startsWith("condition") ? mine.message : null;
  const earlierCheckIns = steps.slice(0, index).filter((s) => s.kind === "check_in");
  const delay = parseDelay(step.delay);
  const after = index === 0 ? "enrolment" : "the step before";
  const delayHint =
    delay === null
      ? `Whole hours, 0 to ${MAX_DELAY_HOURS}, after ${after}.`
      : delay === 0
        ? `Sent right after ${after}.`
        : `Sent ${durationLabel(delay)} after ${after}.`;
  const condition = step.condition;
  const conditionTarget = condition ? conditionKey(steps, condition) : "";
  const targetIsValid = !!condition && earlierCheckIns.some((s) => s.id === condition.stepId);
  const flow = flows.data?.find((f) => f.id === step.flow_id);

  const when = [dayLabel(startsAt), stepLabel(step.kind, flow?.spec.name)];
  if (condition) {
    const symbol = CONDITION_ANSWERS.find((a) => a.value === condition.answer)?.symbol ?? "";
    when.push(`only if ${conditionTarget || "?"} ${symbol} ${condition.value}`);
  }

  function toggleCondition(on: boolean) {
    const last = earlierCheckIns[earlierCheckIns.length - 1];
    onChange({ condition: on && last ? { stepId: last.id, answer: "at_least", value: 3 } : null });
  }

  return (
    <li className="sequence-step">
      <fieldset aria-describedby={`${at("when")}`}>
        <legend>Step {number}</legend>
        <p className="sequence-step-when" id={at("when")}>
          {when.join(" · ")}
        </p>
        {mine && !mine.field && (
          <p className="field-error" role="alert">
            {mine.message}
          </p>
        )}
        <div className="sequence-step-grid">
          <KeyField
            id={at("key")}
            hint="Names the step: letters, digits, - and _."
            error={errorAt("key")}
            value={step.key}
            onChange={(key) => onChange({ key })}
          />
          <FormField id={at("kind")} label="Kind" error={errorAt("kind")}>
            {(p) => (
              <select {...p} value={step.kind} onChange={(e) => onChange({ kind: e.target.value as StepKind })}>
                {STEP_KINDS.map((k) => (
                  <option key={k} value={k}>
                    {stepKindLabel(k)}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          <FormField
            id={at("delay_hours")}
            label="Delay in hours"
            hint={delayHint}
            error={delayInvalid ? `Enter whole hours from 0 to ${MAX_DELAY_HOURS}.` : errorAt("delay_hours")}
          >
            {(p) => (
              <input
                {...p}
                type="number"
                inputMode="numeric"
                min={0}
                max={MAX_DELAY_HOURS}
                step={1}
                value={step.delay}
                onChange={(e) => onChange({ delay: e.target.value })}
              />
            )}
          </FormField>
        </div>
        {step.kind === "interview" && (
          <FlowField
            id={at("flow_id")}
            flows={flows}
            value={step.flow_id}
            error={flowMissing ? FLOW_MISSING : errorAt("flow_id")}
            onChange={(flowId) => onChange({ flow_id: flowId })}
          />
        )}
        <FormField
          id={at("text")}
          label={step.kind === "check_in" ? "Question" : "Text"}
          hint={
            step.kind === "check_in"
              ? "{name} becomes the learner's first name. They answer from 1 (low) to 5 (high)."
              : step.kind === "interview"
                ? "The message sent with the link to the interview. {name} becomes the learner's first name."
                : "{name} becomes the learner's first name."
          }
          error={errorAt("text")}
        >
          {(p) => (
            <textarea {...p} rows={2} maxLength={1000} value={step.text} onChange={(e) => onChange({ text: e.target.value })} />
          )}
        </FormField>

        <div className="sequence-condition">
          <label className="check">
            <input
              type="checkbox"
              checked={!!condition}
              disabled={!condition && earlierCheckIns.length === 0}
              aria-describedby={!condition && earlierCheckIns.length === 0 ? at("condition-hint") : undefined}
              onChange={(e) => toggleCondition(e.target.checked)}
            />
            Send only for some check-in answers
          </label>
          {!condition && earlierCheckIns.length === 0 && (
            <p className="hint" id={at("condition-hint")}>
              A condition needs a check-in step before this one.
            </p>
          )}
          {condition && (
            <div className="sequence-condition-row">
              <label htmlFor={at("condition.step")}>Only if check-in</label>
              <select
                id={at("condition.step")}
                value={condition.stepId}
                aria-invalid={errorAt("condition.step") || mine?.field === "condition" ? true : undefined}
                aria-describedby={conditionError ? at("condition-error") : undefined}
                onChange={(e) => onChange({ condition: { ...condition, stepId: e.target.value } })}
              >
                {!targetIsValid && (
                  <option value={condition.stepId}>
                    {conditionTarget ? `${conditionTarget} (not an earlier check-in)` : "(a removed step)"}
                  </option>
                )}
                {earlierCheckIns.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.text.trim() ? `${s.key}: ${short(s.text)}` : s.key}
                  </option>
                ))}
              </select>
              <span aria-hidden="true">is</span>
              <select
                id={at("condition.answer")}
                aria-label="Is"
                value={condition.answer}
                aria-invalid={errorAt("condition.answer") ? true : undefined}
                onChange={(e) => onChange({ condition: { ...condition, answer: e.target.value as ConditionAnswer } })}
              >
                {CONDITION_ANSWERS.map((a) => (
                  <option key={a.value} value={a.value}>
                    {a.label}
                  </option>
                ))}
              </select>
              <select
                id={at("condition.value")}
                aria-label="Answer"
                value={condition.value}
                aria-invalid={errorAt("condition.value") ? true : undefined}
                onChange={(e) => onChange({ condition: { ...condition, value: Number(e.target.value) } })}
              >
                {ANSWER_VALUES.map((v) => (
                  <option key={v} value={v}>
                    {v}
                  </option>
                ))}
              </select>
            </div>
          )}
          <FieldError id={at("condition-error")} error={conditionError} />
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

export function SequenceEditor({
  org,
  sequence,
  onSaved,
  onDeleted,
}: {
  org: string;
  /** Null for a new sequence. */
  sequence: Sequence | null;
  onSaved: (saved: Sequence, created: boolean) => void;
  onDeleted: () => void;
}) {
  const client = useQueryClient();
  const ids = useId();
  const [name, setName] = useState(sequence?.name ?? "");
  const [description, setDescription] = useState(sequence?.description ?? "");
  const [active, setActive] = useState(sequence?.active ?? true);
  const [steps, setSteps] = useState<DraftStep[]>(() => (sequence ? draftsOf(sequence.steps) : [newStep([])]));
  const [badDelays, setBadDelays] = useState<string[]>([]);
  const [flowless, setFlowless] = useState<string[]>([]);
  const [focusId, setFocusId] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [announcement, setAnnouncement] = useState("");
  const flows = useQuery({ queryKey: interviewKeys.flows(org), queryFn: () => interviewFlows.list(org) });

  const save = useMutation({
    mutationFn: ({ spec }: { spec: SequenceSpec; order: string[] }) =>
      sequence ? sequences.update(org, sequence.id, spec) : sequences.create(org, spec),
    onSuccess: async (saved) => {
      client.setQueryData(sequenceKeys.one(org, saved.id), saved);
      await client.invalidateQueries({ queryKey: sequenceKeys.list(org) });
      setAnnouncement(sequence ? "Sequence saved." : "");
      onSaved(saved, !sequence);
    },
  });
  const remove = useMutation({
    mutationFn: () => sequences.remove(org, sequence!.id),
    onSuccess: async () => {
      setConfirmDelete(false);
      client.removeQueries({ queryKey: sequenceKeys.one(org, sequence!.id) });
      client.setQueryData<Sequence[]>(sequenceKeys.list(org), (old) => old?.filter((s) => s.id !== sequence!.id));
      await client.invalidateQueries({ queryKey: sequenceKeys.list(org) });
      onDeleted();
    },
  });

  const refusal = refusalOf(save.error, save.variables?.order ?? []);
  const sequenceError = (field: SequenceField) =>
    refusal?.kind === "sequence" && refusal.field === field ? refusal.message : null;

  // A new refusal moves the focus to its field.
  useEffect(() => {
    const refused = refusalOf(save.error, save.variables?.order ?? []);
    if (refused) setFocusId(refusedElementId(ids, refused));
  }, [save.error, save.variables, ids]);

  useEffect(() => {
    if (!focusId) return;
    document.getElementById(focusId)?.focus();
    setFocusId(null);
  }, [focusId]);

  // A refusal stays until what it is about changes; moving, adding or removing a step changes the positions it names.
  const { reset } = save;
  function change(id: string, patch: Partial<DraftStep>) {
    setAnnouncement("");
    if (refusal?.kind === "step" && refusal.stepId === id) reset();
    setSteps((current) => current.map((s) => (s.id === id ? { ...s, ...patch } : s)));
    if (patch.delay !== undefined) setBadDelays((bad) => bad.filter((b) => b !== id));
    if (patch.flow_id !== undefined || patch.kind !== undefined) setFlowless((missing) => missing.filter((m) => m !== id));
  }

  function move(index: number, by: -1 | 1) {
    const to = index + by;
    const moving = steps[index];
    const other = steps[to];
    if (!moving || !other) return;
    const next = [...steps];
    next[index] = other;
    next[to] = moving;
    setSteps(next);
    reset();
    setAnnouncement(`Step ${index + 1} moved to position ${to + 1}.`);
    // Keep the focus on the moved step; at either end, on its other move button.
    const edge = to === 0 ? "down" : to === steps.length - 1 ? "up" : by < 0 ? "up" : "down";
    setFocusId(`${ids}-${moving.id}-${edge}`);
  }

  function removeStep(index: number) {
    const gone = steps[index];
    if (!gone) return;
    const next = steps
      .filter((s) => s.id !== gone.id)
      .map((s) => (s.condition?.stepId === gone.id ? { ...s, condition: null } : s));
    setSteps(next);
    reset();
    setAnnouncement(`Step ${index + 1} removed.`);
    const neighbour = next[index] ?? next[index - 1];
    setFocusId(neighbour ? `${ids}-${neighbour.id}-remove` : `${ids}-add`);
  }

  function addStep() {
    const step = newStep(steps);
    setSteps([...steps, step]);
    if (refusal?.kind === "sequence" && refusal.field === "steps") reset();
    setAnnouncement(`Step ${steps.length + 1} added.`);
    setFocusId(`${ids}-${step.id}-kind`);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const bad = steps.filter((s) => parseDelay(s.delay) === null).map((s) => s.id);
    const missing = steps.filter((s) => s.kind === "interview" && !s.flow_id).map((s) => s.id);
    setBadDelays(bad);
    setFlowless(missing);
    const first = steps.find((s) => bad.includes(s.id) || missing.includes(s.id));
    if (first) {
      setFocusId(`${ids}-${first.id}-${bad.includes(first.id) ? "delay_hours" : "flow_id"}`);
      return;
    }
    const spec: SequenceSpec = {
      name: name.trim(),
      description: description.trim(),
      active,
      steps: steps.map((s) => ({
        key: s.key.trim(),
        kind: s.kind,
        text: s.text.trim(),
        delay_hours: parseDelay(s.delay) ?? 0,
        condition: s.condition
          ? { step: conditionKey(steps, s.condition), answer: s.condition.answer, value: s.condition.value }
          : null,
        flow_id: s.kind === "interview" ? s.flow_id : null,
      })),
    };
    setAnnouncement("");
    save.mutate({ spec, order: steps.map((s) => s.id) });
  }

  // When each step falls, counted from enrolment (a delay being typed counts as 0 until it is a number).
  let hours = 0;
  const startsAt = steps.map((s) => (hours += parseDelay(s.delay) ?? 0));
  const generalError = save.error && !refusal ? save.error : null;

  return (
    <>
      <form className="card sequence-form" aria-label="Sequence" onSubmit={submit} noValidate>
        <FormField id={`${ids}-name`} label="Name" error={sequenceError("name")}>
          {(p) => (
            <input
              {...p}
              value={name}
              maxLength={120}
              onChange={(e) => {
                setName(e.target.value);
                if (sequenceError("name")) reset();
              }}
            />
          )}
        </FormField>
        <FormField
          id={`${ids}-description`}
          label="Description (optional)"
          hint="For coaches and administrators; learners do not see it."
          error={sequenceError("description")}
        >
          {(p) => (
            <textarea {...p} rows={2} maxLength={2000} value={description} onChange={(e) => setDescription(e.target.value)} />
          )}
        </FormField>
        <label className="check">
          <input
            id={`${ids}-active`}
            type="checkbox"
            checked={active}
            aria-describedby={`${ids}-active-hint`}
            onChange={(e) => setActive(e.target.checked)}
          />
          Active
        </label>
        <p className="hint" id={`${ids}-active-hint`}>
          While a sequence is paused, its enrolments wait and no steps are sent.
        </p>
        <FieldError error={sequenceError("active")} />

        <h2 id={`${ids}-steps-heading`}>Steps</h2>
        <p className="muted small">
          Steps go out one after another, each its delay after the one before.
          {sequence && sequence.active_enrolments > 0 ? " Enrolled learners keep their place when you save changes." : ""}
        </p>
        <ol className="sequence-steps" aria-label="Steps">
          {steps.map((step, index) => (
            <StepEditor
              key={step.id}
              ids={ids}
              index={index}
              step={step}
              steps={steps}
              flows={flows}
              startsAt={startsAt[index] ?? 0}
              refusal={refusal}
              delayInvalid={badDelays.includes(step.id)}
              flowMissing={flowless.includes(step.id)}
              onChange={(patch) => change(step.id, patch)}
              onMove={(by) => move(index, by)}
              onRemove={() => removeStep(index)}
            />
          ))}
        </ol>
        <button type="button" id={`${ids}-add`} onClick={addStep} disabled={steps.length >= MAX_STEPS}>
          Add step
        </button>
        <FieldError error={sequenceError("steps")} />

        <ErrorNote error={generalError} />
        {refusal && (
          <p className="visually-hidden" role="alert">
            Not saved: {refusal.message}
          </p>
        )}
        <p className="sequence-announcement" role="status" aria-live="polite">
          {announcement}
        </p>
        <div className="actions">
          {sequence && (
            <button type="button" className="danger-text" onClick={() => setConfirmDelete(true)}>
              Delete sequence
            </button>
          )}
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : sequence ? "Save sequence" : "Create sequence"}
          </button>
        </div>
      </form>

      {sequence && (
        <ConfirmDialog
          open={confirmDelete}
          title="Delete this sequence?"
          message={
            <>
              “{sequence.name}” is deleted with its enrolments
              {sequence.active_enrolments > 0 ? ", and the learners still in it get no more of its steps" : ""}. This
              cannot be undone.
              <ErrorNote error={remove.error} />
            </>
          }
          confirmLabel="Delete sequence"
          busy={remove.isPending}
          onCancel={() => setConfirmDelete(false)}
          onConfirm={() => remove.mutate()}
        />
      )}
    </>
  );
}
