// The personal-data API: a person's archive of their own data, who else looked
// at it, and erasing their account; for an organisation's administrators, the
// same on a member's request, the organisation's retention policy, and what
// chat models may see of its people (prompt privacy). The archives are plain links (the session cookie authenticates a GET, and the
// server names the file); erasures are changes, confirmed by the e-mail
// address of the person erased. Types are the generated OpenAPI ones, so a
// change on the server breaks the type check.

import { API_BASE, get, post, put } from "../../api/client";
import type { components } from "../../api/schema";

/** What an erasure removed: rows deleted and records of others that no longer name the person, by table. */
export type Erasure = components["schemas"]["ErasureView"];
type ErasureRequest = components["schemas"]["ErasureRequest"];
/** Someone else reading the person's progress or a conversation, or an admin exporting their data. */
export type DataAccess = components["schemas"]["DataAccessView"];
export type DataAccessKind = components["schemas"]["DataAccessKind"];
/** The organisation's retention policy (null days: kept forever) and when it was last applied. */
export type Retention = components["schemas"]["RetentionView"];
export type RetentionSpec = components["schemas"]["RetentionSpec"];
/** What applying the policy removed. */
export type RetentionRun = components["schemas"]["RetentionRunView"];
/** What chat models may see of the organisation's people: personal data as placeholders, learner records or not. */
export type PromptPrivacy = components["schemas"]["PromptPrivacyView"];

const enc = encodeURIComponent;
const memberPath = (org: string, person: string) => `/orgs/${enc(org)}/members/${enc(person)}`;
const retentionPath = (org: string) => `/orgs/${enc(org)}/retention`;
const promptPrivacyPath = (org: string) => `/orgs/${enc(org)}/prompt-privacy`;

/** Query keys of the personal-data screens. */
export const privacyKeys = {
  dataAccess: () => ["data-access"] as const,
  retention: (org: string) => ["retention", org] as const,
  promptPrivacy: (org: string) => ["prompt-privacy", org] as const,
};

export const privacy = {
  /** The address of the signed-in person's archive (`application/zip`). */
  myExportUrl: () => `${API_BASE}/me/export`,
  /** The address of the archive of what `org` holds about a member (admins). */
  memberExportUrl: (org: string, person: string) => `${API_BASE}${memberPath(org, person)}/export`,
  /** Erases the signed-in person; their session ends with it. */
  eraseMe: (confirm: string) => post<Erasure>("/me/erase", { confirm } satisfies ErasureRequest),
  /** Erases a member who belongs to no other organisation (admins). */
  eraseMember: (org: string, person: string, confirm: string) =>
    post<Erasure>(`${memberPath(org, person)}/erase`, { confirm } satisfies ErasureRequest),
  /** Who else looked at the signed-in person's data, newest first (once an hour per reader and kind). */
  myDataAccess: () => get<DataAccess[]>("/me/data-access"),
  /** The organisation's retention policy (admins). */
  retention: (org: string) => get<Retention>(retentionPath(org)),
  /** Replaces the retention policy (admins); a day count out of 1–36,500 is refused as `invalid_field`. */
  setRetention: (org: string, spec: RetentionSpec) => put<Retention>(retentionPath(org), spec),
  /** Applies the policy at once (the server also does every hour); answers what it removed. */
  applyRetention: (org: string) => post<RetentionRun>(`${retentionPath(org)}/apply`, {}),
  /** What chat models may see of the organisation's people (admins). */
  promptPrivacy: (org: string) => get<PromptPrivacy>(promptPrivacyPath(org)),
  /** Replaces both prompt privacy settings (admins); the change is audited. Answers them as saved. */
  setPromptPrivacy: (org: string, settings: PromptPrivacy) => put<PromptPrivacy>(promptPrivacyPath(org), settings),
};
