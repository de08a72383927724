// Two-step sign-in (an authenticator app, RFC 6238 codes): one's own second
// factor (status, adding an app and confirming it with a code, new recovery
// codes, turning it off), the two steps of signing in (a right password for an
// account with a factor answers 202 with a challenge, finished with a code or a
// recovery code), and an admin resetting a member's factor. Part of the
// sign-in page's first chunk, so it stays small. Types are the generated
// OpenAPI ones.

import { ApiError, get, post, reportUnauthenticated, type ErrorCode, type RequestOptions } from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];

export type MfaStatus = Schemas["MfaStatus"];
export type MfaEnrolment = Schemas["MfaEnrolment"];
export type MfaChallenge = Schemas["MfaChallengeView"];
export type RecoveryCodes = Schemas["RecoveryCodes"];
type LoginRequest = Schemas["LoginRequest"];
type SessionStarted = Schemas["SessionStarted"];

/** A second factor: a code from the app, or one of the recovery codes. */
export type SecondFactor = { code: string } | { recovery_code: string };

/** What the password step answers: a session, or a second step to finish. */
export type FirstStep = SessionStarted | MfaChallenge;

export function isChallenge(answer: FirstStep): answer is MfaChallenge {
  return "mfa_required" in answer && answer.mfa_required === true;
}

// A 401 for a mistyped password or code is the person's to fix, not the end of their session.
const MISTYPED: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["invalid_credentials", "invalid_mfa_code"]);

/** Sends a request that checks a password or code: only a 401 that is not about those signs the app out. */
async function checking<T>(send: (options: RequestOptions) => Promise<T>): Promise<T> {
  try {
    return await send({ quiet401: true });
  } catch (err) {
    if (err instanceof ApiError && !MISTYPED.has(err.code)) reportUnauthenticated(err);
    throw err;
  }
}

const enc = encodeURIComponent;

export const mfa = {
  /** One's second factor: whether it is on, required, being added, and the recovery codes left. */
  status: () => get<MfaStatus>("/me/mfa"),
  /** Starts adding an app: its secret. People with a password confirm it (401 `invalid_credentials`). */
  startEnrolment: (password: string | null) =>
    checking((o) => post<MfaEnrolment>("/me/mfa/totp", password === null ? {} : { password }, o)),
  /** Confirms the app with a code from it: the factor is on; answers the recovery codes (shown once). */
  confirmEnrolment: (code: string) => checking((o) => post<RecoveryCodes>("/me/mfa/totp/confirm", { code }, o)),
  /** New recovery codes (the old ones stop working), confirmed with a second factor. */
  replaceRecoveryCodes: (factor: SecondFactor) =>
    checking((o) => post<RecoveryCodes>("/me/mfa/recovery-codes", factor, o)),
  /** Turns the factor off (refused with `conflict` while it is required). */
  disable: (password: string | null, factor: SecondFactor) =>
    checking((o) => post<void>("/me/mfa/disable", password ? { password, ...factor } : factor, o)),
  /** Admins: removes a member's factor, recovery codes and remembered devices (not one's own). */
  resetMember: (org: string, person: string) => post<void>(`/orgs/${enc(org)}/members/${enc(person)}/mfa/reset`),
};

export const signIn = {
  /** The password step: a session (200), or a challenge for the second step (202). */
  start: (body: LoginRequest) => post<FirstStep>("/auth/login", body, { quiet401: true }),
  /** The second step; `remember_device` skips it on this browser for 30 days. */
  finish: (challenge: MfaChallenge, factor: SecondFactor, rememberDevice: boolean) =>
    post<SessionStarted>(
      "/auth/login/mfa",
      { challenge_token: challenge.challenge_token, ...factor, remember_device: rememberDevice },
      { quiet401: true },
    ),
};

/** Only digits count in a typed code ("123 456" is 123456). */
export function digitsOf(typed: string): string {
  return typed.replace(/\D/g, "");
}

/** A code or recovery code as the server wants it, from what was typed. */
export function secondFactor(typed: string, recovery: boolean): SecondFactor {
  return recovery ? { recovery_code: typed.trim() } : { code: digitsOf(typed) };
}

export const mfaKeys = {
  status: (person: string) => ["mfa", person] as const,
  all: ["mfa"] as const,
};
