// Single sign-on: an organisation's OpenID Connect identity providers (set up
// by its administrators; the client secret goes in and never comes back),
// whether its members may still use passwords, and, for the sign-in page, the
// providers a person can sign in with. Signing in itself is a full-page
// navigation to a provider's `start_url`, not a request from here. Types are
// the generated OpenAPI ones.

import { del, get, post, put, query } from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];

export type IdentityProvider = Schemas["IdentityProviderView"];
export type IdentityProviderInput = Schemas["IdentityProviderInput"];
export type IdentityProviderKind = Schemas["IdentityProviderKind"];
export type SignInSettings = Schemas["SignInSettings"];
export type SignInSettingsChange = Schemas["SignInSettingsChange"];
export type SsoChoice = Schemas["SsoChoice"];
type Role = Schemas["Role"];

/** The kinds in the order the form offers them. */
export const PROVIDER_KINDS: readonly IdentityProviderKind[] = ["google", "clever", "oidc"];

/** What the server fills in for each kind when the admin leaves it out (the server's presets). */
export const KIND_PRESETS: Record<
  IdentityProviderKind,
  { label: string; defaultIssuer: string | null; defaultRoleClaim: string | null; defaultRoleMap: Record<string, Role> }
> = {
  google: {
    label: "Google Workspace",
    defaultIssuer: "https://accounts.google.com",
    defaultRoleClaim: null,
    defaultRoleMap: {},
  },
  clever: {
    label: "Clever",
    defaultIssuer: "https://clever.com",
    defaultRoleClaim: "user_type",
    defaultRoleMap: {
      district_admin: "admin",
      school_admin: "manager",
      staff: "coach",
      student: "learner",
      teacher: "coach",
    },
  },
  oidc: {
    label: "OpenID Connect",
    defaultIssuer: null,
    defaultRoleClaim: null,
    defaultRoleMap: {},
  },
};

export function kindLabel(kind: IdentityProviderKind): string {
  return KIND_PRESETS[kind].label;
}

const enc = encodeURIComponent;
const providersPath = (org: string, id?: string) => `/orgs/${enc(org)}/identity-providers${id ? `/${enc(id)}` : ""}`;
const settingsPath = (org: string) => `/orgs/${enc(org)}/sign-in-settings`;

export const sso = {
  /** Admins: the organisation's providers, secrets left out. */
  providers: (org: string) => get<IdentityProvider[]>(providersPath(org)),
  /** Admins: adds a provider (its client secret is required). */
  createProvider: (org: string, input: IdentityProviderInput) => post<IdentityProvider>(providersPath(org), input),
  /** Admins: replaces a provider's settings; without `client_secret` the stored one is kept. */
  updateProvider: (org: string, id: string, input: IdentityProviderInput) =>
    put<IdentityProvider>(providersPath(org, id), input),
  /** Admins: removes a provider and the accounts linked through it (the people stay). */
  removeProvider: (org: string, id: string) => del(providersPath(org, id)),
  /** Admins: whether members may sign in only through the organisation's providers, and whether its admins need a second factor. */
  signInSettings: (org: string) => get<SignInSettings>(settingsPath(org)),
  /** Admins: changes what `change` names (the rest stays); SSO-only needs an enabled provider first (otherwise `conflict`). */
  setSignInSettings: (org: string, change: SignInSettingsChange) => put<SignInSettings>(settingsPath(org), change),
  /** Anyone: the enabled providers of the organisations that accept this address's domain. */
  choicesForEmail: (email: string) => get<SsoChoice[]>(`/auth/sso/providers${query({ email })}`, { quiet401: true }),
  /** Anyone: an organisation's enabled providers, by its slug (none for an unknown one). */
  choicesForOrg: (slug: string) => get<SsoChoice[]>(`/auth/sso/providers${query({ org: slug })}`, { quiet401: true }),
};

/**
 * Where the browser goes to sign in with `choice`, coming back to `returnTo` (a path of the app;
 * without one, the server returns to `/`).
 */
export function startHref(choice: SsoChoice, returnTo?: string | null): string {
  if (!returnTo) return choice.start_url;
  const url = new URL(choice.start_url, window.location.origin);
  url.searchParams.set("return_to", returnTo);
  return `${url.pathname}${url.search}`;
}

export const ssoKeys = {
  providers: (org: string) => ["identity-providers", org] as const,
  settings: (org: string) => ["sign-in-settings", org] as const,
  choicesForEmail: (email: string) => ["sso-choices", "email", email] as const,
  choicesForOrg: (slug: string) => ["sso-choices", "org", slug] as const,
};
