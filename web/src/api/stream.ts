// Sending a chat message and reading the answer as it is written: the server
// streams Server-Sent Events over the POST response, which EventSource cannot
// do, so the stream is read with fetch and parsed here. Aborting the signal
// stops the answer (the server keeps what was written, marked incomplete).
// While a coach holds the conversation the question is only stored: the
// stream ends with `held` and there is no answer.

import {
  API_BASE,
  ApiError,
  csrfHeader,
  errorFromResponse,
  networkError,
  reportUnauthenticated,
  type ErrorBody,
} from "./client";
import type { Citation, Message } from "./types";

export interface StreamHandlers {
  onUser?: (message: Message) => void;
  onSources?: (citations: Citation[]) => void;
  onDelta?: (text: string) => void;
  onDone?: (message: Message) => void;
  /** A coach holds the conversation: the question is stored and the AI does not answer. */
  onHeld?: (message: Message) => void;
}

/** One parsed event of a text/event-stream. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Splits a growing text/event-stream buffer into complete events; returns them and the unfinished rest. */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const normalised = buffer.replace(/\r\n?/g, "\n");
  const blocks = normalised.split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length) events.push({ event, data: data.join("\n") });
  }
  return { events, rest };
}

/**
 * Posts `content` to a conversation and calls the handlers as events arrive.
 * Resolves with the stored assistant message, or null when a coach holds the
 * conversation (the question is stored, unanswered); rejects with an ApiError
 * for a refused request (e.g. 429 budget_exceeded) or an `error` event.
 */
export async function sendMessage(
  conversationId: string,
  content: string,
  handlers: StreamHandlers,
  signal?: AbortSignal,
): Promise<Message | null> {
  let response: Response;
  try {
    response = await fetch(`${API_BASE}/conversations/${encodeURIComponent(conversationId)}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...csrfHeader() },
      body: JSON.stringify({ content }),
      credentials: "same-origin",
      signal,
    });
  } catch (cause) {
    throw networkError(cause);
  }
  if (!response.ok) {
    const err = await errorFromResponse(response);
    reportUnauthenticated(err);
    throw err;
  }
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("text/event-stream") || !response.body) {
    // A server that answers in one piece: {user_message, assistant_message} (null while a coach holds it).
    const body = (await response.json()) as { user_message: Message; assistant_message: Message | null };
    handlers.onUser?.(body.user_message);
    if (!body.assistant_message) {
      handlers.onHeld?.(body.user_message);
      return null;
    }
    handlers.onSources?.(body.assistant_message.citations);
    handlers.onDelta?.(body.assistant_message.content);
    handlers.onDone?.(body.assistant_message);
    return body.assistant_message;
  }

  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const parsed = parseSse(buffer);
      buffer = parsed.rest;
      for (const event of parsed.events) {
        const data = JSON.parse(event.data) as Record<string, unknown>;
        switch (event.event) {
          case "user":
            handlers.onUser?.(data.message as Message);
            break;
          case "sources":
            handlers.onSources?.(data.citations as Citation[]);
            break;
          case "delta":
            handlers.onDelta?.(String(data.text ?? ""));
            break;
          case "done": {
            const message = data.message as Message;
            handlers.onDone?.(message);
            return message;
          }
          case "held":
            handlers.onHeld?.(data.message as Message);
            return null;
          case "error": {
            const e = (data.error ?? {}) as NonNullable<ErrorBody["error"]>;
            throw new ApiError(200, e.code ?? "stream_error", e.message ?? "the answer could not be finished");
          }
          default:
            break;
        }
      }
    }
  } catch (cause) {
    if (cause instanceof ApiError) throw cause;
    throw networkError(cause);
  } finally {
    reader.releaseLock();
  }
  throw new ApiError(0, "stream_ended", "the answer stopped before it was finished");
}
