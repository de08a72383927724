// Guided interviews: flows (scripted conversations of steps that ask, probe
// short answers and branch on what the learner mentions, ending in a typed
// summary) that coaches and administrators write, import, export and send to
// learners; and the interviews learners run on them, typed or spoken, with
// their transcript and summary. Types are the generated OpenAPI ones.

import { API_BASE, del, get, post, put, query } from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];

// The document marks nullable response fields optional; the server always sends them (see types.ts).
type Sent<T> = { [K in keyof T]-?: T[K] };

export type FlowPurpose = Schemas["FlowPurpose"];
export type FieldKind = Schemas["FieldKind"];
export type EndReason = Schemas["EndReason"];
export type Branch = Schemas["Branch"];
export type FlowLimits = Schemas["FlowLimits"];
export type FlowStep = Schemas["FlowStep"];
export type SummaryField = Sent<Schemas["SummaryField"]>;
export type FlowSpec = Schemas["FlowSpec"];
export type InterviewFlow = Sent<Schemas["InterviewFlow"]>;
export type InterviewListing = Sent<Schemas["InterviewListing"]>;
export type InterviewTurn = Sent<Schemas["InterviewTurn"]>;
export type ProgramSuggestion = Sent<Schemas["ProgramSuggestion"]>;
/** A kept recording of a spoken answer (only while the organisation keeps interview audio). */
export type InterviewRecording = Schemas["InterviewRecording"];

/** Where a completed coach intake starts its learner (`beginning` for a self-rating of 2 or less, else `placement`). */
export type StartingPoint = Schemas["StartingPoint"];
/** One program the learner is enrolled in, with the first concepts of its path when they start at the beginning. */
export type ProgramStart = Schemas["ProgramStart"];
export type StartingPath = Sent<Schemas["StartingPath"]>;

/** A summary field's value: text, a list of texts, 1 to 5, yes or no, or null when the interview did not tell. */
export type SummaryValueData = string | string[] | number | boolean | null;
export type SummaryValue = Omit<Sent<Schemas["SummaryValue"]>, "value"> & { value: SummaryValueData };

/** `status` is documented as a string with these values. */
export type InterviewStatus = "active" | "paused" | "completed";

export type Interview = Omit<Sent<Schemas["Interview"]>, "summary" | "transcript" | "summary_fields" | "status"> & {
  status: InterviewStatus;
  transcript: InterviewTurn[];
  summary_fields: SummaryField[];
  summary: SummaryValue[] | null;
};

export const PURPOSES: readonly { value: FlowPurpose; label: string }[] = [
  { value: "interest_discovery", label: "Interest discovery" },
  { value: "mock_interview", label: "Mock job interview" },
  { value: "weekly_reflection", label: "Weekly reflection" },
  { value: "coach_intake", label: "Coach intake" },
  { value: "program_check_in", label: "Program check-in" },
  { value: "custom", label: "Custom" },
];

export const FIELD_KINDS: readonly { value: FieldKind; label: string }[] = [
  { value: "text", label: "Text" },
  { value: "text_list", label: "List of texts" },
  { value: "scale", label: "Scale (1 to 5)" },
  { value: "yes_no", label: "Yes or no" },
];

export function purposeLabel(purpose: FlowPurpose): string {
  return PURPOSES.find((p) => p.value === purpose)?.label ?? purpose;
}

const STATUS_LABELS: Record<string, string> = { active: "In progress", paused: "Paused", completed: "Finished" };

export function interviewStatusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status;
}

const END_LABELS: Record<EndReason, string> = {
  completed: "every question was answered",
  turn_limit: "the most answers this interview takes were given",
  time_limit: "its time ran out",
};

export function endReasonLabel(reason: EndReason): string {
  return END_LABELS[reason];
}

/** The server's limits on a flow (checked again there). */
export const FLOW_LIMITS = {
  steps: 30,
  fields: 30,
  probes: 5,
  branches: 10,
  mentions: 10,
  maxTurns: 200,
  maxMinutes: 240,
  minWords: 200,
  listItems: 20,
} as const;

const enc = encodeURIComponent;
const orgPath = (org: string) => `/orgs/${enc(org)}`;
const flowPath = (org: string, id?: string) => `${orgPath(org)}/interview-flows${id ? `/${enc(id)}` : ""}`;
const interviewPath = (org: string, id?: string) => `${orgPath(org)}/interviews${id ? `/${enc(id)}` : ""}`;

export const interviewFlows = {
  /** Coaches and administrators: the built-in flows to start from. */
  templates: (org: string) => get<FlowSpec[]>(`${orgPath(org)}/interview-templates`),
  /** Every member: the organisation's flows at their current versions. */
  list: (org: string) => get<InterviewFlow[]>(flowPath(org)),
  get: (org: string, id: string, version?: number) => get<InterviewFlow>(`${flowPath(org, id)}${query({ version })}`),
  /** Coaches and administrators: written, imported or copied from a template. */
  create: (org: string, spec: FlowSpec) => post<InterviewFlow>(flowPath(org), spec),
  /** Saves the next version; interviews under way keep theirs. */
  update: (org: string, id: string, spec: FlowSpec) => put<InterviewFlow>(flowPath(org, id), spec),
  /** Refused (409) once an interview has run on it. */
  remove: (org: string, id: string) => del(flowPath(org, id)),
};

export const interviews = {
  /** One's own and those of the learners one may read; `person` narrows to one person. */
  list: (org: string, person?: string) => get<InterviewListing[]>(`${interviewPath(org)}${query({ person_id: person })}`),
  get: (org: string, id: string) => get<Interview>(interviewPath(org, id)),
  /** For oneself, or (coaches, administrators) for a learner one guides. */
  start: (org: string, flowId: string, person?: string) =>
    post<Interview>(interviewPath(org), { flow_id: flowId, person_id: person ?? null } satisfies Schemas["NewInterviewBody"]),
  /** The learner's answer, typed or spoken and confirmed. */
  answer: (org: string, id: string, content: string) =>
    post<Interview>(`${interviewPath(org, id)}/answers`, { content } satisfies Schemas["InterviewAnswerBody"]),
  pause: (org: string, id: string) => post<Interview>(`${interviewPath(org, id)}/pause`),
  resume: (org: string, id: string) => post<Interview>(`${interviewPath(org, id)}/resume`),
  /** Published programs that speak of what the learner said (none before the interview ends). */
  suggestedPrograms: (org: string, id: string) => get<ProgramSuggestion[]>(`${interviewPath(org, id)}/suggested-programs`),
  /** The learner's corrections: field key → new value (the document types the values only as JSON). */
  correct: (org: string, id: string, fields: Record<string, SummaryValueData>) =>
    put<Interview>(`${interviewPath(org, id)}/summary`, { fields }),
  /** Where a completed coach intake starts its learner in each program they are enrolled in (409 for any other interview). */
  startingPath: (org: string, id: string) => get<StartingPath>(`${interviewPath(org, id)}/starting-path`),
  /** The kept recordings of its spoken answers, oldest first (none unless the organisation keeps interview audio). */
  recordings: (org: string, id: string) => get<InterviewRecording[]>(`${interviewPath(org, id)}/recordings`),
};

/** The interview's voice socket (recordings in, transcripts out), same origin. */
export function voiceSocketUrl(org: string, id: string): string {
  const url = new URL(`${API_BASE}${interviewPath(org, id)}/voice`, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/** The current question read aloud (`audio/wav`), when the server has a speech endpoint. */
export function questionAudioUrl(org: string, id: string): string {
  return `${API_BASE}${interviewPath(org, id)}/question-audio`;
}

/** One kept recording's audio, in the format it was recorded in (a plain GET: the session cookie authenticates it). */
export function recordingAudioUrl(org: string, id: string, recordingId: string): string {
  return `${API_BASE}${interviewPath(org, id)}/recordings/${enc(recordingId)}/audio`;
}

export const interviewKeys = {
  templates: (org: string) => ["interview-templates", org] as const,
  flows: (org: string) => ["interview-flows", org] as const,
  flow: (org: string, id: string) => ["interview-flow", org, id] as const,
  /** Every list of interviews in the organisation (to refresh them all). */
  lists: (org: string) => ["interviews", org] as const,
  list: (org: string, person?: string) => ["interviews", org, person ?? "all"] as const,
  one: (org: string, id: string) => ["interview", org, id] as const,
  suggestions: (org: string, id: string) => ["interview", org, id, "suggested-programs"] as const,
  recordings: (org: string, id: string) => ["interview", org, id, "recordings"] as const,
  startingPath: (org: string, id: string) => ["interview", org, id, "starting-path"] as const,
};

/** Only a finished coach intake says where its learner starts (the server refuses any other with a 409). */
export function hasStartingPath(interview: Pick<Interview, "purpose" | "status">): boolean {
  return interview.purpose === "coach_intake" && interview.status === "completed";
}
