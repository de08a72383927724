// Sequences: programs of scheduled steps (a message, a 1–5 check-in, a
// practice or reflection prompt, a guided interview on one of the
// organisation's flows) sent to enrolled learners one after another, each
// some hours after the one before, some only when an earlier check-in's answer
// says so. Coaches and administrators write them and enrol learners; learners
// answer their open check-ins. Types are the generated OpenAPI ones.

import { del, get, post, put } from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];

// The document marks nullable response fields optional; the server always sends them (see types.ts).
type Sent<T> = { [K in keyof T]-?: T[K] };

export type StepKind = Schemas["StepKind"];

export type ConditionAnswer = Schemas["AnswerComparison"];
export type StepCondition = Schemas["StepCondition"];
/** `flow_id` is sent for interview steps only. */
export type Step = Sent<Omit<Schemas["Step"], "flow_id">> & Pick<Schemas["Step"], "flow_id">;
export type Sequence = Omit<Sent<Schemas["Sequence"]>, "steps"> & { steps: Step[] };
export type SequenceSpec = Omit<Schemas["SequenceSpec"], "steps"> & { steps: Step[] };
export type TakenStep = Sent<Schemas["TakenStep"]>;
export type SequenceEnrolment = Omit<Sent<Schemas["SequenceEnrolment"]>, "taken"> & { taken: TakenStep[] };
export type SequenceRun = Schemas["SequenceRun"];
export type OpenCheckIn = Schemas["OpenCheckIn"];

export const STEP_KINDS: readonly StepKind[] = ["message", "check_in", "practice", "reflection", "interview"];

const KIND_LABELS: Record<StepKind, string> = {
  message: "Message",
  check_in: "Check-in (1–5)",
  practice: "Practice prompt",
  reflection: "Reflection prompt",
  interview: "Guided interview",
};

/** A step kind as people read it. */
export function stepKindLabel(kind: StepKind): string {
  return KIND_LABELS[kind];
}

/**
 * A step's kind as people read it, with the name of the flow an interview step starts when known:
 * "Guided interview · Weekly reflection".
 */
export function stepLabel(kind: StepKind, flowName?: string): string {
  return kind === "interview" && flowName ? `${KIND_LABELS[kind]} · ${flowName}` : KIND_LABELS[kind];
}

export const CONDITION_ANSWERS: readonly { value: ConditionAnswer; label: string; symbol: string }[] = [
  { value: "below", label: "below", symbol: "<" },
  { value: "at_least", label: "at least", symbol: "≥" },
];

// `status` and `outcome` are documented as strings with these values.
const STATUS_LABELS: Record<string, string> = { active: "Active", completed: "Completed", stopped: "Stopped" };
const OUTCOME_LABELS: Record<string, string> = {
  sent: "Sent",
  skipped: "Skipped (condition not met)",
  no_channel: "Not sent: no linked channel",
  opted_out: "Not sent: reminders paused",
};

export function enrolmentStatusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status;
}

export function outcomeLabel(outcome: string): string {
  return OUTCOME_LABELS[outcome] ?? outcome;
}

const enc = encodeURIComponent;
const sequencePath = (org: string, id?: string) => `/orgs/${enc(org)}/sequences${id ? `/${enc(id)}` : ""}`;

export const sequences = {
  /** Coaches and administrators. */
  list: (org: string) => get<Sequence[]>(sequencePath(org)),
  get: (org: string, id: string) => get<Sequence>(sequencePath(org, id)),
  create: (org: string, spec: SequenceSpec) => post<Sequence>(sequencePath(org), spec),
  /** Replaces the sequence; enrolments keep their place. */
  update: (org: string, id: string, spec: SequenceSpec) => put<Sequence>(sequencePath(org, id), spec),
  /** Deletes the sequence with its enrolments. */
  remove: (org: string, id: string) => del(sequencePath(org, id)),
  /** Administrators: everyone enrolled; coaches: their learners. */
  enrolments: (org: string, id: string) => get<SequenceEnrolment[]>(`${sequencePath(org, id)}/enrolments`),
  /** A coach may enrol only their learners; enrolling again after a stop starts over. */
  enrol: (org: string, id: string, personId: string) =>
    post<SequenceEnrolment>(`${sequencePath(org, id)}/enrolments`, {
      person_id: personId,
    } satisfies Schemas["NewSequenceEnrolment"]),
  stop: (org: string, id: string, personId: string) => del(`${sequencePath(org, id)}/enrolments/${enc(personId)}`),
  /** Administrators: takes every step due now, across the organisation's sequences. */
  advance: (org: string) => post<SequenceRun>(`${sequencePath(org)}/advance`),
};

export const checkIns = {
  /** The caller's check-ins still waiting for an answer. */
  open: (org: string) => get<OpenCheckIn[]>(`/orgs/${enc(org)}/check-ins`),
  /** Answers one of them, 1 to 5, once. */
  answer: (org: string, id: string, answer: number) =>
    put<void>(`/orgs/${enc(org)}/check-ins/${enc(id)}/answer`, { answer } satisfies Schemas["CheckInAnswer"]),
};

export const sequenceKeys = {
  list: (org: string) => ["sequences", org] as const,
  one: (org: string, id: string) => ["sequence", org, id] as const,
  enrolments: (org: string, id: string) => ["sequence-enrolments", org, id] as const,
  checkIns: (org: string) => ["check-ins", org] as const,
};

/** "3 days", "1 day 6 hours", "5 hours". */
export function durationLabel(hours: number): string {
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  const parts: string[] = [];
  if (days) parts.push(`${days} day${days === 1 ? "" : "s"}`);
  if (rest || !days) parts.push(`${rest} hour${rest === 1 ? "" : "s"}`);
  return parts.join(" ");
}

/** Where a step falls after enrolment, from the delays up to it: "Day 3", "Day 1 + 6 h". */
export function dayLabel(hoursAfterEnrolment: number): string {
  const day = Math.floor(hoursAfterEnrolment / 24);
  const hours = hoursAfterEnrolment % 24;
  return hours ? `Day ${day} + ${hours} h` : `Day ${day}`;
}
