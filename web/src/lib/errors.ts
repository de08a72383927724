// Turns API errors into sentences a person can act on. The server's messages
// are already written for people; these add context for the common cases.

import { ApiError, type ErrorCode } from "../api/client";

const BY_CODE: Partial<Record<ErrorCode, string>> = {
  network: "Wayfinder can't be reached. Check your connection and try again.",
  unauthenticated: "Please sign in to continue.",
  invalid_credentials: "That email and password don't match an account.",
  session_invalid: "Your session has ended. Please sign in again.",
  session_expired: "Your session has expired. Please sign in again.",
  csrf_failed: "Your session needs refreshing. Reload the page and try again.",
  forbidden: "You don't have permission to do that.",
  not_found: "That couldn't be found. It may have been deleted, or you may not have access to it.",
  payload_too_large: "That is too large to upload. Try a smaller file or fewer files at once.",
  unsupported_media_type: "That kind of file can't be uploaded.",
  last_admin: "An organisation must keep at least one admin. Make someone else an admin first.",
  already_member: "This person is already a member of the organisation.",
  channel_not_configured: "That messaging channel is not set up for this organisation. Ask an administrator.",
  rate_limited: "That was too many requests at once. Wait a moment and try again.",
  budget_exceeded: "The usage budget has been reached, so the coach can't answer right now. Ask an administrator.",
  internal: "Something went wrong on the server. Please try again; if it keeps happening, tell an administrator.",
  embedding_failed: "The search model could not be reached. Please try again in a moment.",
  stream_ended: "The answer was cut off before it finished.",
  model_unavailable: "The AI model could not be reached. Try again in a moment.",
  model_timeout: "The AI model took too long to answer. Try again.",
  model_rate_limited: "The AI model is busy right now. Wait a moment and try again.",
  model_server_error: "The AI model had a problem answering. Try again.",
  model_rejected: "The AI model refused the request. Tell an administrator if this keeps happening.",
  model_bad_response: "The AI model gave an answer Wayfinder could not read. Try again.",
  model_interrupted: "The AI model stopped part-way through the answer. Try again.",
};

/** Codes whose server message is the most useful thing to show as-is. */
const SERVER_MESSAGE_CODES = new Set<ErrorCode>([
  "invalid_field",
  "missing_field",
  "unknown_field",
  "weak_password",
  "role_mismatch",
  "already_exists",
  "login_locked",
]);

const FIELD_NAMES: Record<string, string> = {
  display_name: "Name",
  new_password: "New password",
  current_password: "Current password",
  expires_in_days: "Expiry",
  bot_token: "Bot token",
  bot_username: "Bot username",
  webhook_secret: "Webhook secret",
  phone_number_id: "Phone number ID",
  display_number: "Number people write to",
  access_token: "Access token",
  app_secret: "App secret",
  verify_token: "Verify token",
  template_name: "Template name",
  template_language: "Template language",
};

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A sentence for any error thrown by the API client (or anything else). */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === "login_locked") {
      return `Too many failed sign-ins. ${capitalise(error.message.replace(/^too many failed sign-ins;\s*/i, ""))}.`;
    }
    if (SERVER_MESSAGE_CODES.has(error.code)) {
      const message = error.message.replace(/^[a-z_]+: /, "");
      const field = error.field ? (FIELD_NAMES[error.field] ?? capitalise(error.field.replace(/_/g, " "))) : null;
      return field ? `${field}: ${message}.` : `${capitalise(message)}.`;
    }
    const known = BY_CODE[error.code];
    if (known) return known;
    if (error.status >= 500) return BY_CODE.internal!;
    return error.message ? `${capitalise(error.message)}.` : "Something went wrong.";
  }
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}

/** The field an error is about, when the server says. */
export function errorField(error: unknown): string | undefined {
  return error instanceof ApiError ? error.field : undefined;
}
