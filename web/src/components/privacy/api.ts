// The personal-data API: a person's archive of their own data and erasing
// their account, and the same for an organisation's administrators acting on a
// member's request. The archives are plain links (the session cookie
// authenticates a GET, and the server names the file); erasures are changes,
// confirmed by the e-mail address of the person erased. Types are the
// generated OpenAPI ones, so a change on the server breaks the type check.

import { API_BASE, post } from "../../api/client";
import type { components } from "../../api/schema";

/** What an erasure removed: rows deleted and records of others that no longer name the person, by table. */
export type Erasure = components["schemas"]["ErasureView"];
type ErasureRequest = components["schemas"]["ErasureRequest"];

const enc = encodeURIComponent;
const memberPath = (org: string, person: string) => `/orgs/${enc(org)}/members/${enc(person)}`;

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
};
