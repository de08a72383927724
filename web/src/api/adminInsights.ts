// The insights API as administrators and managers use it: the organisation's
// overview, its knowledge gaps and outcomes, the coaches' teams, alert rules
// and the alerts they fired, changing the dashboard settings (every member
// reads them through insights.ts), and the CSV exports
// (plain links: the session cookie authenticates a GET). Types are the
// generated OpenAPI ones, so a change on the server breaks the type check.

import { API_BASE, del, get, post, put, query } from "./client";
import type { components } from "./schema";
import type { CoachProvision } from "./provisioning";

type Schemas = components["schemas"];

// The document marks nullable response fields optional; the server always sends them (see types.ts).
type Sent<T> = { [K in keyof T]-?: T[K] };

export type OrgDay = Schemas["OrgDayView"];
export type WeekActivity = Schemas["WeekActivity"];
export type ReasonCount = Schemas["ReasonCount"];
export type CoachUsage = Sent<Schemas["CoachUsage"]>;
export type OrgOverview = Omit<Sent<Schemas["OrgOverview"]>, "cost_by_coach"> & { cost_by_coach: CoachUsage[] };
export type PersonUsage = Schemas["PersonUsage"];
export type ProgramEnrolment = Schemas["ProgramEnrolment"];
export type KnowledgeGaps = Schemas["KnowledgeGaps"];
export type GapTopic = Schemas["GapTopic"];
export type GapWeek = Schemas["GapWeek"];
export type GapExample = Schemas["GapExample"];
export type QuestionOutcome = Schemas["QuestionOutcome"];
export type GroupFigure = Sent<Schemas["GroupFigure"]>;
/** The document's `interval` is a list; the server always sends two figures, low then high. */
export type Comparison = Omit<Sent<Schemas["Comparison"]>, "with_coach" | "without_coach" | "interval"> & {
  with_coach: GroupFigure;
  without_coach: GroupFigure;
  interval: [number, number] | null;
};
export type ProgramOutcome = Omit<Schemas["ProgramOutcome"], "mastery_gained" | "return_rate"> & {
  mastery_gained: Comparison;
  return_rate: Comparison;
};
export type Outcomes = Omit<Schemas["Outcomes"], "programs"> & { programs: ProgramOutcome[] };
export type CoachTeam = Omit<Sent<Schemas["CoachTeam"]>, "training"> & { training: CoachProvision | null };
export type TeamInsights = { days: number; coaches: CoachTeam[] };
export type AlertKind = Schemas["AlertKind"];
export type AlertRule = Schemas["AlertRule"];
export type AlertRuleSpec = Schemas["AlertRuleSpec"];
export type Alert = Sent<Schemas["Alert"]>;
export type InsightSettings = Schemas["InsightSettings"];
export type InsightSettingsChange = Schemas["InsightSettingsChange"];

/** The tables the server exports as CSV. */
export type ExportTable = "learners" | "team" | "activity" | "coaches" | "people" | "gaps" | "alerts" | "messages";

const enc = encodeURIComponent;
const orgPath = (org: string) => `/orgs/${enc(org)}`;

export const adminInsights = {
  overview: (org: string, days: number) => get<OrgOverview>(`${orgPath(org)}/insights/overview${query({ days })}`),
  gaps: (org: string, days: number) => get<KnowledgeGaps>(`${orgPath(org)}/insights/gaps${query({ days })}`),
  outcomes: (org: string, days: number) => get<Outcomes>(`${orgPath(org)}/insights/outcomes${query({ days })}`),
  /** Managers get the coaches they manage, admins every coach. */
  team: (org: string) => get<TeamInsights>(`${orgPath(org)}/insights/team`),
  alertRules: (org: string) => get<AlertRule[]>(`${orgPath(org)}/alert-rules`),
  addAlertRule: (org: string, spec: AlertRuleSpec) => post<AlertRule>(`${orgPath(org)}/alert-rules`, spec),
  removeAlertRule: (org: string, rule: string) => del(`${orgPath(org)}/alert-rules/${enc(rule)}`),
  alerts: (org: string) => get<Alert[]>(`${orgPath(org)}/alerts`),
  /** Evaluates every rule now; answers the alerts that fired. */
  evaluateAlerts: (org: string) => post<Alert[]>(`${orgPath(org)}/alerts/evaluate`),
  changeSettings: (org: string, change: InsightSettingsChange) =>
    put<InsightSettings>(`${orgPath(org)}/insight-settings`, change),
};

/** The address of a table's CSV download (`days` where the table covers a period). */
export function exportUrl(org: string, table: ExportTable, days?: number): string {
  return `${API_BASE}${orgPath(org)}/exports/${table}${query({ days })}`;
}

export const adminInsightsKeys = {
  overview: (org: string, days: number) => ["insights", org, "overview", days] as const,
  gaps: (org: string, days: number) => ["insights", org, "gaps", days] as const,
  outcomes: (org: string, days: number) => ["insights", org, "outcomes", days] as const,
  team: (org: string) => ["insights", org, "team"] as const,
  alertRules: (org: string) => ["insights", org, "alert-rules"] as const,
  alerts: (org: string) => ["insights", org, "alerts"] as const,
};
