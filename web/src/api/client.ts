// The one place that talks HTTP to /api/v1: JSON in and out, the session's
// CSRF token on every change, and errors turned into `ApiError` with the
// server's stable code so screens can explain them in words.

import type { components } from "./schema";

export const API_BASE = "/api/v1";

/** The server's error codes (its registry, from the document), and the client's own for failures that never reached it. */
export type ErrorCode =
  | components["schemas"]["ErrorCode"]
  | "network"
  | "aborted"
  | "stream_ended"
  | "stream_error"
  | `http_${number}`;

/** An error body as the server sends it. */
export type ErrorBody = { error?: { code?: ErrorCode; message?: string; field?: string } };

/** An error answered by the API (or a failure to reach it). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(status: number, code: ErrorCode, message: string, field?: string, retryAfter?: number) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

/** Remembers the CSRF token of the current cookie session (from login or `GET /me`). */
export function setCsrfToken(token: string | null | undefined): void {
  csrfToken = token ?? null;
}

export function csrfHeader(): Record<string, string> {
  return csrfToken ? { "x-csrf-token": csrfToken } : {};
}

/** Called when a request finds the session gone (401), so the app can send the person to sign in. */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RequestOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Do not report a 401 to the session (e.g. the sign-in form itself). */
  quiet401?: boolean;
}

/** Turns a non-2xx response into an ApiError, reading `{"error":{code,message,field}}` when present. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let code: ErrorCode = `http_${response.status}`;
  let message = response.statusText || "the request failed";
  let field: string | undefined;
  try {
    const body = (await response.json()) as ErrorBody;
    if (body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      field = body.error.field;
    }
  } catch {
    // not JSON: keep the status line
  }
  const retry = response.headers.get("retry-after");
  return new ApiError(response.status, code, message, field, retry ? Number(retry) : undefined);
}

export function networkError(cause: unknown): ApiError {
  if (cause instanceof DOMException && cause.name === "AbortError") {
    return new ApiError(0, "aborted", "stopped");
  }
  return new ApiError(0, "network", "the server could not be reached");
}

export function reportUnauthenticated(err: ApiError, options?: RequestOptions): void {
  if (err.status === 401 && !options?.quiet401 && onUnauthenticated) onUnauthenticated();
}

/** Sends one JSON request; resolves with the parsed body (or undefined for 204). */
export async function request<T>(method: Method, path: string, body?: unknown, options?: RequestOptions): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json", ...options?.headers };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") Object.assign(headers, csrfHeader());
  let response: Response;
  try {
    response = await fetch(API_BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal: options?.signal,
    });
  } catch (cause) {
    throw networkError(cause);
  }
  if (!response.ok) {
    const err = await errorFromResponse(response);
    reportUnauthenticated(err, options);
    throw err;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string, options?: RequestOptions) => request<T>("GET", path, undefined, options);
export const post = <T>(path: string, body?: unknown, options?: RequestOptions) =>
  request<T>("POST", path, body ?? {}, options);
export const patch = <T>(path: string, body: unknown, options?: RequestOptions) =>
  request<T>("PATCH", path, body, options);
export const put = <T>(path: string, body: unknown, options?: RequestOptions) => request<T>("PUT", path, body, options);
export const del = (path: string, options?: RequestOptions) => request<void>("DELETE", path, undefined, options);

/** Builds a query string from the defined values. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
