// Website widgets: a coach on an organisation's own site, added with one
// script tag. Administrators choose the coach, the sites (origins) it may
// appear on, who it answers (anonymous visitors, from public collections
// only, or signed-in members) and its limits. Types are the generated
// OpenAPI ones.

import { del, get, post, put } from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Widget = Schemas["Widget"];
export type WidgetSpec = Schemas["WidgetSpec"];
export type WidgetAudience = Schemas["WidgetAudience"];

/** The server's defaults, shown in a new widget's form. */
export const DEFAULT_DAILY_ANSWERS = 200;
export const DEFAULT_ANSWERS_PER_MINUTE = 5;

const AUDIENCES: Record<WidgetAudience, { choice: string; hint: string; summary: string }> = {
  visitors: {
    choice: "Anonymous visitors",
    hint: "Anyone on the site can ask, without an account; answers come only from collections open to website visitors.",
    summary: "Visitors",
  },
  members: {
    choice: "Signed-in members",
    hint: "Visitors sign in with their Wayfinder account first and are answered as in the app.",
    summary: "Members",
  },
};

export const AUDIENCE_ORDER = Object.keys(AUDIENCES) as WidgetAudience[];

export function audienceChoice(audience: WidgetAudience): string {
  return AUDIENCES[audience].choice;
}

export function audienceHint(audience: WidgetAudience): string {
  return AUDIENCES[audience].hint;
}

export function audienceSummary(audience: WidgetAudience): string {
  return AUDIENCES[audience].summary;
}

const enc = encodeURIComponent;
const widgetPath = (org: string, id?: string) => `/orgs/${enc(org)}/widgets${id ? `/${enc(id)}` : ""}`;

export const widgets = {
  /** Administrators. */
  list: (org: string) => get<Widget[]>(widgetPath(org)),
  get: (org: string, id: string) => get<Widget>(widgetPath(org, id)),
  /** The answer carries the tag to copy into the site. */
  create: (org: string, spec: WidgetSpec) => post<Widget>(widgetPath(org), spec),
  /** Replaces the widget; the tag stays the same. */
  update: (org: string, id: string, spec: WidgetSpec) => put<Widget>(widgetPath(org, id), spec),
  /** Deletes the widget with its visitors' conversations. */
  remove: (org: string, id: string) => del(widgetPath(org, id)),
};

export const widgetKeys = {
  list: (org: string) => ["widgets", org] as const,
};
