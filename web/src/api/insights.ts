// The insights API as the dashboards of the people around a learner use it:
// a learner's own dashboard (which their coaches, parents, managers and admins
// read too), the learners a caller supervises at a glance, and the learner's
// consent to let their parents read their conversations. Types are the
// generated OpenAPI ones, so a change on the server breaks the type check.

import { get, put, query } from "./client";
import type { Member } from "./types";
import type { components } from "./schema";

type Schemas = components["schemas"];

export type LearnerDashboard = Schemas["LearnerDashboard"];
export type ActivityDay = Schemas["ActivityDay"];
export type MasteryPoint = Schemas["MasteryPoint"];
export type ProgramProgress = Schemas["ProgramProgress"];
export type UpcomingReview = Schemas["UpcomingReview"];
export type LearnersAtAGlance = Schemas["LearnersAtAGlance"];
export type LearnerGlance = Schemas["LearnerGlance"];
export type RiskFlag = Schemas["RiskFlag"];
export type RiskReason = Schemas["RiskReason"];
export type InsightSettings = Schemas["InsightSettings"];

/**
 * The caller's consent to their parents reading their conversations. The
 * server serves `ConversationSharing`; until the saved document carries it,
 * this is its shape (the generated type takes over once it does).
 */
export type ConversationSharing = Schemas extends { ConversationSharing: infer Generated }
  ? Generated
  : { share_with_parents: boolean };

export interface GlanceQuery {
  /** Only this coach's learners (managers and admins). */
  coach?: string | null;
  limit: number;
  offset: number;
}

const enc = encodeURIComponent;

export const insights = {
  learnerDashboard: (org: string, person: string) =>
    get<LearnerDashboard>(`/orgs/${enc(org)}/insights/learners/${enc(person)}`),
  learnersAtAGlance: (org: string, params: GlanceQuery) =>
    get<LearnersAtAGlance>(
      `/orgs/${enc(org)}/insights/learners${query({ coach: params.coach, limit: params.limit, offset: params.offset })}`,
    ),
  /** One member the caller may see (to name the learner whose dashboard this is). */
  member: (org: string, person: string) => get<Member>(`/orgs/${enc(org)}/members/${enc(person)}`),
  /** The organisation's dashboard settings (its time zone, whether parents may read conversations); every member reads them. */
  settings: (org: string) => get<InsightSettings>(`/orgs/${enc(org)}/insight-settings`),
  conversationSharing: (org: string) => get<ConversationSharing>(`/orgs/${enc(org)}/conversation-sharing`),
  setConversationSharing: (org: string, body: ConversationSharing) =>
    put<ConversationSharing>(`/orgs/${enc(org)}/conversation-sharing`, body),
};

export const insightsKeys = {
  learnerDashboard: (org: string, person: string) => ["insights", org, "learner", person] as const,
  glance: (org: string, coach: string | null, offset: number) => ["insights", org, "glance", coach, offset] as const,
  member: (org: string, person: string) => ["insights", org, "member", person] as const,
  settings: (org: string) => ["insights", org, "settings"] as const,
  conversationSharing: (org: string) => ["insights", org, "conversation-sharing"] as const,
};
