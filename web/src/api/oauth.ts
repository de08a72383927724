// Apps signed in through OAuth 2.1: the clients operators register (a
// confidential client's secret comes back once, at registration) and the key
// access tokens are signed with; the consent page's two requests (checking an
// authorization request, then the person's answer: both say where the browser
// goes next); and the apps signed in as the person, to sign out. The token
// endpoint itself is the apps' business, not the web app's. Types are the
// generated OpenAPI ones.

import { del, get, post, query } from "./client";
import type { components, operations } from "./schema";

type Schemas = components["schemas"];

export type OAuthClient = Schemas["OAuthClientView"];
export type OAuthClientCreate = Schemas["OAuthClientCreate"];
export type OAuthClientCreated = Schemas["OAuthClientCreated"];
export type OAuthClientKind = Schemas["OAuthClientKind"];
export type SigningKeyRotated = Schemas["SigningKeyRotated"];
export type AuthorizationPrompt = Schemas["AuthorizationPrompt"];
export type AuthorizationRedirect = Schemas["AuthorizationRedirect"];
export type AuthorizationDecision = Schemas["AuthorizationDecision"];
export type AppGrant = Schemas["AppGrantView"];

/** An authorization request as the app sent it to `/oauth/authorize` (all of it passed on untouched). */
export type AuthorizationRequest = NonNullable<operations["check_authorization"]["parameters"]["query"]>;

const REQUEST_PARAMS = [
  "response_type",
  "client_id",
  "redirect_uri",
  "code_challenge",
  "code_challenge_method",
  "scope",
  "state",
] as const satisfies readonly (keyof AuthorizationRequest)[];

/** The authorization request in a query string (other parameters are left out). */
export function authorizationRequest(search: URLSearchParams): AuthorizationRequest {
  const request: AuthorizationRequest = {};
  for (const name of REQUEST_PARAMS) {
    const value = search.get(name);
    if (value !== null) request[name] = value;
  }
  return request;
}

/** The kinds in the order the form offers them, with what each is for. */
export const CLIENT_KINDS: readonly { kind: OAuthClientKind; label: string; use: string; hint: string }[] = [
  {
    kind: "public",
    label: "Public",
    use: "desktop or phone app",
    hint: "It keeps no secret: each sign-in is proven with PKCE.",
  },
  {
    kind: "confidential",
    label: "Confidential",
    use: "integration on a server",
    hint: "It gets a secret, shown once after registering, to send with each token request.",
  },
];

export function clientKindLabel(kind: OAuthClientKind): string {
  return CLIENT_KINDS.find((k) => k.kind === kind)?.label ?? kind;
}

const enc = encodeURIComponent;

export const oauth = {
  /** Operators: the registered clients (never their secrets). */
  clients: () => get<OAuthClient[]>("/oauth/clients"),
  /** Operators: registers a client; a confidential one's `client_secret` is in the answer, this once. */
  registerClient: (input: OAuthClientCreate) => post<OAuthClientCreated>("/oauth/clients", input),
  /** Operators: removes a client; every app signed in through it is signed out. */
  removeClient: (id: string) => del(`/oauth/clients/${enc(id)}`),
  /** Operators: signs new access tokens with a new key (the previous one verifies until its tokens expire). */
  rotateSigningKey: () => post<SigningKeyRotated>("/oauth/signing-keys/rotate"),
  /**
   * Checks a request before asking the person: whom to ask about, or (`step: "redirect"`) where to send
   * the browser back with the error. An unknown client or redirect address is `400 oauth_client_invalid`.
   */
  checkAuthorization: (request: AuthorizationRequest) =>
    get<AuthorizationPrompt>(`/oauth/authorization${query(request)}`),
  /** The person's answer: where the browser goes, back to the app with a code or `access_denied`. */
  answerAuthorization: (request: AuthorizationRequest, decision: AuthorizationDecision) =>
    post<AuthorizationRedirect>("/oauth/authorization", { ...request, decision }),
  /** The apps signed in as the caller, most recently used first. */
  myApps: () => get<AppGrant[]>("/me/apps"),
  /** Signs an app out of the caller's account: its tokens stop working at once. */
  signOutApp: (grant: string) => del(`/me/apps/${enc(grant)}`),
};

export const oauthKeys = {
  clients: ["oauth-clients"] as const,
  authorization: (search: string) => ["oauth-authorization", search] as const,
  myApps: (person: string) => ["my-apps", person] as const,
};
