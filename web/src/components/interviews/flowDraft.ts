// The flow editor's working copy of a flow and the way back to the spec the
// server takes. Steps, branches, probes and summary fields carry ids that stay
// put while the form is open, and branches, `next` and a step's summary field
// point at steps and fields by those ids, so renaming a key keeps them. A
// refusal from the server names a field by its place in the spec
// (`steps[3].branches[0].goto`); `refusalOf` turns it back into the draft's ids.

import { ApiError } from "../../api/client";
import type { FieldKind, FlowPurpose, FlowSpec, FlowStep, InterviewFlow } from "../../api/interviews";

export interface DraftProbe {
  id: string;
  text: string;
}

export interface DraftBranch {
  id: string;
  /** As typed: words or phrases separated by commas. */
  mentions: string;
  /** A step's draft id, `UNKNOWN` + a key the form does not know, or "" for none chosen. */
  goto: string;
}

export interface DraftStep {
  id: string;
  key: string;
  question: string;
  purpose: string;
  completeWhen: string;
  /** As typed; checked to be a whole number on save. */
  minWords: string;
  probes: DraftProbe[];
  branches: DraftBranch[];
  /** "" for the next step in order, else as `DraftBranch.goto`. */
  next: string;
  end: boolean;
  /** "" for none, a field's draft id, or `UNKNOWN` + a key. */
  field: string;
}

export interface DraftField {
  id: string;
  key: string;
  kind: FieldKind;
  description: string;
}

export interface FlowDraft {
  name: string;
  description: string;
  purpose: FlowPurpose;
  context: string;
  maxTurns: string;
  maxMinutes: string;
  steps: DraftStep[];
  fields: DraftField[];
}

/** A reference to a key the form does not know (kept so the server can say what is wrong with it). */
export const UNKNOWN = "unknown:";

let lastId = 0;
export const draftId = (kind: string) => `${kind}${++lastId}`;

export function draftOf(flow: InterviewFlow | null): FlowDraft {
  if (!flow) {
    const field: DraftField = { id: draftId("field"), key: "notes", kind: "text", description: "" };
    return {
      name: "",
      description: "",
      purpose: "custom",
      context: "",
      maxTurns: "20",
      maxMinutes: "20",
      steps: [newStep([], field.id)],
      fields: [field],
    };
  }
  const spec = flow.spec;
  const fields: DraftField[] = spec.summary.map((f) => ({
    id: draftId("field"),
    key: f.key,
    kind: f.kind,
    description: f.description ?? "",
  }));
  const stepIds = spec.steps.map(() => draftId("step"));
  const stepRef = (key: string | null | undefined) => {
    if (!key) return "";
    const at = spec.steps.findIndex((s) => s.key === key);
    return at >= 0 ? stepIds[at]! : UNKNOWN + key;
  };
  const fieldRef = (key: string | null | undefined) => {
    if (!key) return "";
    return fields.find((f) => f.key === key)?.id ?? UNKNOWN + key;
  };
  const steps: DraftStep[] = spec.steps.map((s, i) => ({
    id: stepIds[i]!,
    key: s.key,
    question: s.question,
    purpose: s.purpose ?? "",
    completeWhen: s.complete_when ?? "",
    minWords: String(s.min_words ?? 0),
    probes: (s.probes ?? []).map((text) => ({ id: draftId("probe"), text })),
    branches: (s.branches ?? []).map((b) => ({ id: draftId("branch"), mentions: b.mentions.join(", "), goto: stepRef(b.goto) })),
    next: stepRef(s.next),
    end: s.end ?? false,
    field: fieldRef(s.field),
  }));
  return {
    name: spec.name,
    description: spec.description ?? "",
    purpose: spec.purpose,
    context: spec.context ?? "",
    maxTurns: String(spec.limits?.max_turns ?? 20),
    maxMinutes: String(spec.limits?.max_minutes ?? 20),
    steps,
    fields,
  };
}

/** `s1`, `s2`, … : the first free one from the step's position on. */
function freshKey(steps: DraftStep[], prefix: string): string {
  const used = new Set(steps.map((s) => s.key));
  let n = steps.length + 1;
  while (used.has(`${prefix}${n}`)) n += 1;
  return `${prefix}${n}`;
}

export function newStep(steps: DraftStep[], field = ""): DraftStep {
  return {
    id: draftId("step"),
    key: freshKey(steps, "s"),
    question: "",
    purpose: "",
    completeWhen: "",
    minWords: "0",
    probes: [],
    branches: [],
    next: "",
    end: false,
    field,
  };
}

export function newField(fields: DraftField[]): DraftField {
  const used = new Set(fields.map((f) => f.key));
  let n = fields.length + 1;
  while (used.has(`field${n}`)) n += 1;
  return { id: draftId("field"), key: `field${n}`, kind: "text", description: "" };
}

/** Splits "draw, play an instrument" into its words or phrases. */
export function mentionsOf(text: string): string[] {
  return [
    ...new Set(
      text
        .split(",")
        .map((m) => m.trim())
        .filter(Boolean),
    ),
  ];
}

/** A whole number from `min` to `max` as typed, or null. */
export function wholeNumber(text: string, min: number, max: number): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return n >= min && n <= max ? n : null;
}

/** The key a reference names (a step's or a field's draft id, or an unknown key), "" for none. */
export function keyOf(ref: string, items: readonly { id: string; key: string }[]): string {
  if (!ref) return "";
  const item = items.find((i) => i.id === ref);
  if (item) return item.key;
  return ref.startsWith(UNKNOWN) ? ref.slice(UNKNOWN.length) : "";
}

export function specOf(draft: FlowDraft): FlowSpec {
  const ref = (r: string) => keyOf(r, draft.steps) || null;
  const steps: FlowStep[] = draft.steps.map((s) => ({
    key: s.key.trim(),
    question: s.question.trim(),
    purpose: s.purpose.trim(),
    complete_when: s.completeWhen.trim(),
    min_words: wholeNumber(s.minWords, 0, Number.MAX_SAFE_INTEGER) ?? 0,
    probes: s.probes.map((p) => p.text.trim()),
    branches: s.branches.map((b) => ({ mentions: mentionsOf(b.mentions), goto: keyOf(b.goto, draft.steps) })),
    next: s.end ? null : ref(s.next),
    end: s.end,
    field: keyOf(s.field, draft.fields) || null,
  }));
  return {
    name: draft.name.trim(),
    description: draft.description.trim(),
    purpose: draft.purpose,
    context: draft.context.trim(),
    limits: {
      max_turns: wholeNumber(draft.maxTurns, 0, Number.MAX_SAFE_INTEGER) ?? 0,
      max_minutes: wholeNumber(draft.maxMinutes, 0, Number.MAX_SAFE_INTEGER) ?? 0,
    },
    steps,
    summary: draft.fields.map((f) => ({ key: f.key.trim(), kind: f.kind, description: f.description.trim() })),
  };
}

// ---- refusals ----

export type FlowField = "name" | "description" | "purpose" | "context" | "limits.max_turns" | "limits.max_minutes" | "steps" | "summary";
const FLOW_FIELDS: readonly string[] = [
  "name",
  "description",
  "purpose",
  "context",
  "limits.max_turns",
  "limits.max_minutes",
  "steps",
  "summary",
];
export type StepField =
  | "key"
  | "question"
  | "purpose"
  | "complete_when"
  | "min_words"
  | "probes"
  | "branches"
  | "next"
  | "end"
  | "field";
const STEP_FIELDS: readonly string[] = [
  "key",
  "question",
  "purpose",
  "complete_when",
  "min_words",
  "probes",
  "branches",
  "next",
  "end",
  "field",
];
export type SummaryFieldField = "key" | "kind" | "description";

/** Which part of the form a refusal is about, by draft ids, with what to say there. */
export type Refusal =
  | { kind: "flow"; field: FlowField; message: string }
  /** `field` null: the step as a whole (unreachable, or part of a loop). */
  | { kind: "step"; stepId: string; field: StepField | null; message: string }
  | { kind: "probe"; stepId: string; probeId: string; message: string }
  | { kind: "branch"; stepId: string; branchId: string; field: "mentions" | "goto"; message: string }
  | { kind: "summary"; fieldId: string; field: SummaryFieldField; message: string };

/** The draft ids of what was sent, in order, to read the server's positions back. */
export interface SentOrder {
  steps: { id: string; probes: string[]; branches: string[] }[];
  fields: string[];
}

export function orderOf(draft: FlowDraft): SentOrder {
  return {
    steps: draft.steps.map((s) => ({ id: s.id, probes: s.probes.map((p) => p.id), branches: s.branches.map((b) => b.id) })),
    fields: draft.fields.map((f) => f.id),
  };
}

/** The server's message as a sentence: without the field it names, keys in quotes. */
export function sentence(message: string): string {
  const text = message.replace(/^[a-z_.\d[\]]+: /i, "").replace(/`([^`]+)`/g, "“$1”");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? "" : "."}`;
}

export function refusalOf(error: unknown, order: SentOrder | undefined): Refusal | null {
  if (!(error instanceof ApiError) || !error.field || !order) return null;
  const field = error.field;
  const message = sentence(error.message);
  if (FLOW_FIELDS.includes(field)) return { kind: "flow", field: field as FlowField, message };
  const summary = /^summary\[(\d+)\]\.(key|kind|description)$/.exec(field);
  if (summary) {
    const fieldId = order.fields[Number(summary[1])];
    return fieldId ? { kind: "summary", fieldId, field: summary[2] as SummaryFieldField, message } : null;
  }
  const step = /^steps\[(\d+)\](?:\.(.+))?$/.exec(field);
  const sent = step ? order.steps[Number(step[1])] : undefined;
  if (!step || !sent) return null;
  const rest = step[2];
  if (!rest) return { kind: "step", stepId: sent.id, field: null, message };
  const probe = /^probes\[(\d+)\]$/.exec(rest);
  if (probe) {
    const probeId = sent.probes[Number(probe[1])];
    return probeId ? { kind: "probe", stepId: sent.id, probeId, message } : { kind: "step", stepId: sent.id, field: "probes", message };
  }
  const branch = /^branches\[(\d+)\]\.(mentions|goto)$/.exec(rest);
  if (branch) {
    const branchId = sent.branches[Number(branch[1])];
    return branchId
      ? { kind: "branch", stepId: sent.id, branchId, field: branch[2] as "mentions" | "goto", message }
      : { kind: "step", stepId: sent.id, field: "branches", message };
  }
  if (STEP_FIELDS.includes(rest)) return { kind: "step", stepId: sent.id, field: rest as StepField, message };
  return { kind: "step", stepId: sent.id, field: null, message };
}

/** The element a refusal moves the focus to (`ids` prefixes every id in the form). */
export function refusedElementId(ids: string, refusal: Refusal): string {
  switch (refusal.kind) {
    case "flow":
      if (refusal.field === "steps") return `${ids}-add-step`;
      if (refusal.field === "summary") return `${ids}-add-field`;
      return `${ids}-${refusal.field.replace(".", "-")}`;
    case "step": {
      if (refusal.field === null) return `${ids}-${refusal.stepId}`;
      if (refusal.field === "probes") return `${ids}-${refusal.stepId}-add-probe`;
      if (refusal.field === "branches") return `${ids}-${refusal.stepId}-add-branch`;
      return `${ids}-${refusal.stepId}-${refusal.field}`;
    }
    case "probe":
      return `${ids}-${refusal.probeId}`;
    case "branch":
      return `${ids}-${refusal.branchId}-${refusal.field}`;
    case "summary":
      return `${ids}-${refusal.fieldId}-${refusal.field}`;
  }
}

/** Short text for a select option: "key: the question…". */
export function short(text: string, length = 40): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}
