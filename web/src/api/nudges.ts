// Nudges: an organisation's rules that find learners who could use a word
// (inactive, struggling, a review or a goal coming due, a check-in left
// unanswered) and message them or their coaches and parents, each with a
// holdout that is never nudged so the rule's effect can be measured; and each
// person's reach settings (time zone, quiet hours, weekly cap, preferred
// channel). Types are the generated OpenAPI ones.

import { del, get, post, put } from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];

export type NudgeRule = Schemas["NudgeRule"];
export type NudgeRuleSpec = Schemas["NudgeRuleSpec"];
export type Trigger = Schemas["Trigger"];
export type Audience = Schemas["Audience"];
export type NudgeRun = Schemas["NudgeRun"];
export type NudgeEffect = Schemas["NudgeEffect"];
export type ArmFigure = Schemas["ArmFigure"];
export type ReachSettings = Schemas["ReachSettings"];

interface TriggerText {
  /** The trigger in a few words. */
  label: string;
  /** What the rule's days mean for it, as a phrase about the learner it finds. */
  when: (days: string) => string;
}

const TRIGGERS: Record<Trigger, TriggerText> = {
  inactive: { label: "Inactive", when: (n) => `Inactive for ${n} days` },
  negative_feedback: { label: "Rated an answer down", when: (n) => `Rated an answer down in the last ${n} days` },
  review_due: { label: "Review overdue", when: (n) => `A review overdue by ${n} days` },
  mastery_falling: { label: "Mastery falling", when: (n) => `Mastery falling over the last ${n} days` },
  goal_deadline: { label: "Goal deadline near", when: (n) => `A goal due within ${n} days` },
  missed_check_in: { label: "Check-in unanswered", when: (n) => `A check-in unanswered for ${n} days` },
};

/** The triggers in the order a form offers them. */
export const TRIGGER_ORDER = Object.keys(TRIGGERS) as Trigger[];

export function triggerLabel(trigger: Trigger): string {
  return TRIGGERS[trigger].label;
}

/** "Inactive for 7 days": what a rule looks for, with its days (or "N" while unknown). */
export function triggerWhen(trigger: Trigger, days: number | string): string {
  return TRIGGERS[trigger].when(String(days));
}

const AUDIENCES: Record<Audience, { choice: string; summary: string }> = {
  learner: { choice: "The learner", summary: "The learner" },
  supervisors: { choice: "Their coaches and parents", summary: "Coaches and parents" },
  both: { choice: "Both", summary: "Learner, coaches and parents" },
};

export const AUDIENCE_ORDER = Object.keys(AUDIENCES) as Audience[];

/** How a form offers the audience ("Both" beside the other two). */
export function audienceChoice(audience: Audience): string {
  return AUDIENCES[audience].choice;
}

/** The audience on its own, e.g. in a table cell. */
export function audienceSummary(audience: Audience): string {
  return AUDIENCES[audience].summary;
}

/** Whether the rule alerts the learner's coaches and parents (and so needs an alert message). */
export function alertsSupervisors(audience: Audience): boolean {
  return audience !== "learner";
}

/** The document's defaults for a new rule. */
export const DEFAULT_HOLDOUT_SHARE = 0.1;

const enc = encodeURIComponent;
const rulesPath = (org: string) => `/orgs/${enc(org)}/nudge-rules`;

export const nudges = {
  /** Admins: the organisation's rules. */
  rules: (org: string) => get<NudgeRule[]>(rulesPath(org)),
  create: (org: string, spec: NudgeRuleSpec) => post<NudgeRule>(rulesPath(org), spec),
  update: (org: string, rule: string, spec: NudgeRuleSpec) => put<NudgeRule>(`${rulesPath(org)}/${enc(rule)}`, spec),
  /** Deletes the rule with its decisions. */
  remove: (org: string, rule: string) => del(`${rulesPath(org)}/${enc(rule)}`),
  /** Evaluates every rule now (the server also does every five minutes); answers what it decided. */
  evaluate: (org: string) => post<NudgeRun>(`${rulesPath(org)}/evaluate`),
  /** Nudged against held out on coming back within 48 hours. */
  effect: (org: string, rule: string) => get<NudgeEffect>(`${rulesPath(org)}/${enc(rule)}/effect`),
};

export const reach = {
  /** Any member: how they want to be reached in the organisation (null fields: its defaults). */
  settings: (org: string) => get<ReachSettings>(`/orgs/${enc(org)}/reach-settings`),
  /** Replaces all of them: a field left null goes back to the default. */
  save: (org: string, settings: ReachSettings) => put<ReachSettings>(`/orgs/${enc(org)}/reach-settings`, settings),
};

export const nudgeKeys = {
  rules: (org: string) => ["nudge-rules", org] as const,
  effect: (org: string, rule: string) => ["nudge-rules", org, rule, "effect"] as const,
  reach: (org: string) => ["reach-settings", org] as const,
};
