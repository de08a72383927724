// The live connection: one WebSocket per tab to `/api/v1/live` (same origin;
// the session cookie signs it in), shared by every screen that follows a
// conversation. It reconnects with backoff and, on reconnecting, asks each
// followed conversation for what came after the last message it saw; keeps
// one message per seq; acknowledges what arrived (`received`) and, when a
// screen says the conversation is in view, what was read (`read`); pings every
// 25 s. What each conversation looks like live (messages, the answer being
// written, who is typing or here, who holds it, read receipts) is kept here,
// outside React, so it survives a screen re-rendering or a second screen
// following the same conversation; `useLiveConversation` reads it.
//
// Every follower hears every turn, whichever way it was asked (this
// connection, another tab, the app's HTTP stream, a messaging channel). A
// turn this tab asked itself is marked with `ownTurn`: one it streams over
// HTTP shows from that stream, so its `turn_started`, `delta` and
// `turn_failed` are not shown a second time; one it sent over this
// connection shows live, and its failure comes to this tab as an `error`.
// Its stored messages are kept like any other (one per seq).

import { API_BASE, type ErrorCode } from "../api/client";
import type { Message } from "../api/types";

// ---- Frames ----

export interface ReadMark {
  person_id: string;
  seq: number;
}

/** What the server sends. */
export type ServerFrame =
  | { type: "hello"; person_id: string; connection: string }
  | { type: "subscribed"; conversation_id: string; held_by: string | null; reads: ReadMark[] }
  | { type: "message"; conversation_id: string; message: Message }
  | { type: "turn_started"; conversation_id: string; message_id: string; content: string }
  | { type: "delta"; conversation_id: string; text: string }
  | { type: "turn_failed"; conversation_id: string; message: string }
  | { type: "typing"; conversation_id: string; person_id: string; name: string }
  | { type: "presence"; conversation_id: string; person_id: string; name: string; connection: string; online: boolean }
  | { type: "received"; conversation_id: string; person_id: string; seq: number }
  | { type: "read"; conversation_id: string; person_id: string; seq: number }
  | { type: "holder"; conversation_id: string; held_by: string | null; name: string | null }
  | { type: "ack"; client_id: string | null; conversation_id: string }
  | { type: "error"; code: ErrorCode; message: string; conversation_id?: string | null }
  | { type: "pong" };

/** What the client sends. */
export type ClientFrame =
  | { type: "subscribe"; conversation_id: string; after_seq?: number }
  | { type: "unsubscribe"; conversation_id: string }
  | { type: "send"; conversation_id: string; content: string; client_id?: string }
  | { type: "typing"; conversation_id: string }
  | { type: "received"; conversation_id: string; seq: number }
  | { type: "read"; conversation_id: string; seq: number }
  | { type: "join"; conversation_id: string }
  | { type: "hand_back"; conversation_id: string }
  | { type: "ping" };

// ---- Timing ----

const PING_EVERY_MS = 25_000;
/** No frame at all (not even a pong) for this long: the connection is dead. */
const SILENCE_LIMIT_MS = 65_000;
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** Closed for being too slow (1013): come back at once and resume. */
const TOO_SLOW_RETRY_MS = 250;
/** A connection nobody uses any more is closed after this grace (navigating between screens keeps it). */
const IDLE_CLOSE_MS = 10_000;
/** At most one `typing` per conversation this often (the server allows ~10 frames/s in all). */
export const TYPING_THROTTLE_MS = 3_000;
/** "… is typing" shows this long after the last `typing` frame. */
const TYPING_SHOWN_MS = 6_000;
/** `received` receipts are gathered for this long and sent once, for the latest seq. */
const RECEIPT_DELAY_MS = 250;
/** An answer that has not moved for this long is no longer shown as being written. */
const TURN_STALE_MS = 90_000;
/**
 * An answer that has not moved for this long: ask what was stored since (an answer stopped
 * part-way may be stored without its end being told), and again as often while it stays still.
 */
const TURN_CHECK_MS = 10_000;
/** Catching up on a conversation (a gap in seqs) at most this often. */
const RESYNC_MIN_MS = 2_000;
/**
 * A turn this tab asked is still told apart from others' this long after the tab stopped
 * waiting on it (its last frames may still be on their way; a stopped answer sends no end).
 */
const OWN_TURN_GRACE_MS = 30_000;

// ---- State of a followed conversation ----

export type LiveStatus = "idle" | "connecting" | "open" | "closed";

export interface LivePerson {
  personId: string;
  name: string;
}

/** The owner's question and the answer as it streams. */
export interface LiveTurn {
  questionId: string | null;
  question: string;
  text: string;
  /** The conversation's last seq when it began: the answer is the next assistant message after it. */
  afterSeq: number;
  /** Asked while a person held the conversation: no AI answer follows. */
  held: boolean;
  /** The order the turn began in (compare with `LiveNote.order`). */
  order: number;
  movedAt: number;
}

export interface LiveNote {
  code: ErrorCode;
  message: string;
  /** Increases with every frame the client handles: later notes have larger numbers. */
  order: number;
}

/** A turn that ended without an answer (`turn_failed`), as the server explained it. */
export interface LiveFailure {
  message: string;
  /** The order it arrived in (compare with `LiveNote.order`). */
  order: number;
  /** The conversation's last seq when it arrived: messages after it are news. */
  afterSeq: number;
}

/**
 * How this tab asked a question of its own: over HTTP, whose stream shows the answer (the live
 * turn frames are not shown), or over the live connection (the turn shows live; its failure
 * comes as an `error`).
 */
export type OwnTurnVia = "http" | "live";

/** A question this tab asked, until its turn is over. */
export interface OwnTurnHandle {
  /** The question was stored with this id (the HTTP stream's `user` event). */
  stored(messageId: string): void;
  /** The tab no longer waits on it (the stream ended, was stopped or failed; the frame was not sent). */
  done(): void;
}

interface OwnTurn {
  question: string;
  questionId: string | null;
  questionSeq: number | null;
  via: OwnTurnVia;
  /** The tab still waits on it (its HTTP stream is open). */
  local: boolean;
  /** Its `turn_started` arrived (or its answer began): the answer being written is this one. */
  started: boolean;
  /** Its answer was stored: no more of its text follows. */
  answered: boolean;
  /** Once the tab no longer waits on it, it is forgotten after this. */
  keepUntil: number;
}

export interface LiveConversationState {
  /** The server has confirmed the subscription on the current connection. */
  subscribed: boolean;
  heldBy: string | null;
  holderName: string | null;
  /** Messages that arrived live, one per seq, in seq order. */
  messages: Message[];
  turn: LiveTurn | null;
  /** The last turn asked elsewhere that ended without an answer, until the next turn or question. */
  failed: LiveFailure | null;
  /** Others typing (never the signed-in person). */
  typing: (LivePerson & { until: number })[];
  /** Online connections by id (the signed-in person's other tabs included; this one never). */
  presence: Record<string, LivePerson>;
  /** How far each person has read (stored by the server). */
  reads: Record<string, number>;
  received: Record<string, number>;
  /** The last error the server reported about this conversation. */
  error: LiveNote | null;
  /** Client ids the server has acknowledged, newest last (a few kept). */
  acked: string[];
}

const EMPTY: LiveConversationState = Object.freeze({
  subscribed: false,
  heldBy: null,
  holderName: null,
  messages: [],
  turn: null,
  failed: null,
  typing: [],
  presence: {},
  reads: {},
  received: {},
  error: null,
  acked: [],
}) as LiveConversationState;

/** Errors that end an answer in progress (the others are about a frame, e.g. joining). */
function endsTurn(code: ErrorCode): boolean {
  return code.startsWith("model_") || code === "internal" || code === "embedding_failed" || code === "budget_exceeded";
}

/** The messages of `base` and `extra` together, one per seq, in seq order (`base`'s copy is kept when both have one). */
export function mergeMessages(base: readonly Message[], extra: readonly Message[]): Message[] {
  if (extra.length === 0) return base as Message[];
  const bySeq = new Map<number, Message>();
  const ids = new Set<string>();
  for (const m of base) {
    bySeq.set(m.seq, m);
    ids.add(m.id);
  }
  let added = false;
  for (const m of extra) {
    if (!bySeq.has(m.seq) && !ids.has(m.id)) {
      bySeq.set(m.seq, m);
      added = true;
    }
  }
  if (!added) return base as Message[];
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

export function maxSeq(messages: readonly Message[] | undefined): number {
  let max = 0;
  for (const m of messages ?? []) if (m.seq > max) max = m.seq;
  return max;
}

interface Watch {
  id: string;
  refs: number;
  /** The last seq known (seen live or loaded by the screen): resumed after on reconnecting. */
  lastSeq: number;
  state: LiveConversationState;
  receivedSent: number;
  receivedDue: number;
  receivedTimer: ReturnType<typeof setTimeout> | null;
  readSent: number;
  typingSentAt: number;
  resyncAt: number;
  turnCheckAt: number;
}

type StatusSnapshot = { status: LiveStatus; personId: string | null; connection: string | null };

/** The tab's live connection. */
export class LiveClient {
  private socket: WebSocket | null = null;
  private snapshot: StatusSnapshot = { status: "idle", personId: null, connection: null };
  private users = 0;
  private watches = new Map<string, Watch>();
  private statusListeners = new Set<() => void>();
  private conversationListeners = new Map<string, Set<() => void>>();
  private attempts = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;
  private order = 0;
  private listening = false;
  /** Whom the connection is for: a different person signing in gets a connection of their own. */
  private identity: string | null = null;
  /** Names of the people seen in any frame, for receipts that carry only an id. */
  private names = new Map<string, string>();
  /** The question this tab asked last in each conversation, while its turn may still be heard of. */
  private own = new Map<string, OwnTurn>();

  // -- the connection --

  /**
   * Keeps the connection open for `personId` (the signed-in person) while the returned function
   * has not been called. A connection still open for someone else is closed first.
   */
  retain(personId?: string | null): () => void {
    if (personId && this.identity && personId !== this.identity) {
      this.shutdown();
      this.snapshot = { ...this.snapshot, personId: null };
    }
    if (personId) this.identity = personId;
    this.users++;
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    this.listen();
    this.connect();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.users--;
      if (this.users === 0) {
        this.idleTimer = setTimeout(() => {
          this.idleTimer = null;
          if (this.users === 0) this.shutdown();
        }, IDLE_CLOSE_MS);
      }
    };
  }

  getStatus = (): StatusSnapshot => this.snapshot;

  onStatus = (listener: () => void): (() => void) => {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  };

  nameOf(personId: string): string | undefined {
    return this.names.get(personId);
  }

  private setStatus(status: LiveStatus, hello?: { personId: string; connection: string }) {
    const next: StatusSnapshot = {
      status,
      personId: hello?.personId ?? this.snapshot.personId,
      connection: hello ? hello.connection : status === "open" ? this.snapshot.connection : null,
    };
    if (
      next.status === this.snapshot.status &&
      next.personId === this.snapshot.personId &&
      next.connection === this.snapshot.connection
    ) {
      return;
    }
    this.snapshot = next;
    for (const l of this.statusListeners) l();
  }

  /** Reconnects at once when the browser comes back online. */
  private listen() {
    if (this.listening || typeof window === "undefined") return;
    this.listening = true;
    window.addEventListener("online", () => {
      if (this.users > 0 && !this.socket) {
        if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
        this.reconnectTimer = null;
        this.attempts = 0;
        this.connect();
      }
    });
  }

  private connect() {
    if (this.socket || this.users === 0 || this.reconnectTimer || typeof WebSocket === "undefined") return;
    const url = new URL(`${API_BASE}/live`, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch {
      this.scheduleReconnect(false);
      return;
    }
    this.socket = socket;
    this.setStatus("connecting");
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempts = 0;
      this.lastFrameAt = Date.now();
      this.setStatus("open");
      this.startPing();
      for (const watch of this.watches.values()) this.subscribe(watch);
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket || typeof event.data !== "string") return;
      this.lastFrameAt = Date.now();
      this.receive(event.data);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.lost(event.code === 1013);
    };
  }

  /** The connection is gone: forget what only held while it was up, and come back. */
  private lost(tooSlow: boolean) {
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close();
    }
    this.stopPing();
    for (const watch of this.watches.values()) {
      this.update(watch, { ...watch.state, subscribed: false, presence: {}, typing: [] });
    }
    this.setStatus(this.users > 0 ? "closed" : "idle");
    if (this.users > 0) this.scheduleReconnect(tooSlow);
  }

  private scheduleReconnect(soon: boolean) {
    if (this.reconnectTimer) return;
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempts);
    const delay = soon && this.attempts === 0 ? TOO_SLOW_RETRY_MS : backoff * (0.5 + Math.random() / 2);
    this.attempts++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private shutdown() {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.attempts = 0;
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.onopen = socket.onmessage = socket.onclose = null;
      socket.close(1000);
    }
    this.stopPing();
    this.setStatus("idle");
  }

  private startPing() {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastFrameAt > SILENCE_LIMIT_MS) {
        this.lost(false);
        return;
      }
      this.send({ type: "ping" });
    }, PING_EVERY_MS);
  }

  private stopPing() {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  /** Sends a frame when the connection is open; false when it is not. */
  send(frame: ClientFrame): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    try {
      socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  // -- conversations --

  /**
   * Follows a conversation (the connection stays open meanwhile); `afterSeq` is the last message
   * the caller already has. Returns the function that stops following.
   */
  watch(id: string, afterSeq: number): () => void {
    let watch = this.watches.get(id);
    if (!watch) {
      watch = {
        id,
        refs: 0,
        lastSeq: afterSeq,
        state: EMPTY,
        receivedSent: 0,
        receivedDue: 0,
        receivedTimer: null,
        readSent: 0,
        typingSentAt: 0,
        resyncAt: 0,
        turnCheckAt: 0,
      };
      this.watches.set(id, watch);
    } else {
      watch.lastSeq = Math.max(watch.lastSeq, afterSeq);
    }
    watch.refs++;
    const release = this.retain();
    if (watch.refs === 1 && this.snapshot.status === "open") this.subscribe(watch);
    const w = watch;
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      w.refs--;
      if (w.refs === 0) {
        if (w.receivedTimer) clearTimeout(w.receivedTimer);
        this.send({ type: "unsubscribe", conversation_id: id });
        this.watches.delete(id);
        // A screen still listening sees an empty state rather than a stale one.
        this.notify(id);
      }
      release();
    };
  }

  getState(id: string | undefined): LiveConversationState {
    return (id && this.watches.get(id)?.state) || EMPTY;
  }

  /** Calls `listener` whenever the conversation's live state changes (whether or not it is followed yet). */
  onConversation(id: string, listener: () => void): () => void {
    let listeners = this.conversationListeners.get(id);
    if (!listeners) {
      listeners = new Set();
      this.conversationListeners.set(id, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.conversationListeners.delete(id);
    };
  }

  private notify(id: string) {
    for (const l of this.conversationListeners.get(id) ?? []) l();
  }

  /** The caller loaded messages up to `seq` (e.g. over HTTP): resume after it. */
  noteSeq(id: string, seq: number) {
    const watch = this.watches.get(id);
    if (watch && seq > watch.lastSeq) watch.lastSeq = seq;
  }

  /** Tells the others the conversation was read up to `seq` (once per new seq). */
  markRead(id: string, seq: number) {
    const watch = this.watches.get(id);
    if (!watch || !watch.state.subscribed || seq <= watch.readSent) return;
    if (this.send({ type: "read", conversation_id: id, seq })) watch.readSent = seq;
  }

  /** Tells the others the signed-in person is typing (at most once every few seconds). */
  typing(id: string) {
    const watch = this.watches.get(id);
    if (!watch || !watch.state.subscribed) return;
    const now = Date.now();
    if (now - watch.typingSentAt < TYPING_THROTTLE_MS) return;
    if (this.send({ type: "typing", conversation_id: id })) watch.typingSentAt = now;
  }

  /** Sends a conversation frame; false when the conversation is not followed on an open connection. */
  sendTo(id: string, frame: ClientFrame): boolean {
    const watch = this.watches.get(id);
    if (!watch || !watch.state.subscribed) return false;
    return this.send(frame);
  }

  /**
   * Marks the question this tab is asking in conversation `id` (before it is sent, so that none
   * of its turn's frames come first): see `OwnTurnVia`. Replaces the tab's earlier question there.
   */
  ownTurn(id: string, question: string, via: OwnTurnVia): OwnTurnHandle {
    const turn: OwnTurn = {
      question: question.trim(),
      questionId: null,
      questionSeq: null,
      via,
      local: via === "http",
      started: false,
      answered: false,
      keepUntil: Date.now() + OWN_TURN_GRACE_MS,
    };
    this.own.set(id, turn);
    return {
      stored: (messageId) => {
        if (this.own.get(id) === turn && !turn.questionId) turn.questionId = messageId;
      },
      done: () => {
        if (this.own.get(id) !== turn) return;
        // A frame that never went out: nothing of it will be heard.
        if (turn.via === "live" && !turn.started) this.own.delete(id);
        if (!turn.local) return;
        turn.local = false;
        turn.keepUntil = Date.now() + OWN_TURN_GRACE_MS;
      },
    };
  }

  /** The tab's own question in conversation `id`, while its turn may still be heard of. */
  private ownIn(id: string, now: number): OwnTurn | null {
    const turn = this.own.get(id);
    if (!turn) return null;
    if (!turn.local && turn.keepUntil < now) {
      this.own.delete(id);
      return null;
    }
    return turn;
  }

  /** The order number the next handled frame will be after (to tell later errors from earlier ones). */
  mark(): number {
    return this.order;
  }

  private subscribe(watch: Watch) {
    this.send({
      type: "subscribe",
      conversation_id: watch.id,
      ...(watch.lastSeq > 0 ? { after_seq: watch.lastSeq } : {}),
    });
  }

  /** Asks again for what followed `after` (something was stored that this connection did not hear of). */
  private resync(watch: Watch, after: number) {
    const now = Date.now();
    if (now - watch.resyncAt < RESYNC_MIN_MS) return;
    watch.resyncAt = now;
    this.send({ type: "subscribe", conversation_id: watch.id, ...(after > 0 ? { after_seq: after } : {}) });
  }

  private update(watch: Watch, state: LiveConversationState) {
    if (state === watch.state) return;
    watch.state = state;
    this.notify(watch.id);
    this.ensureSweep();
  }

  /** Expires typing notes and answers that stopped moving. */
  private ensureSweep() {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => {
      const now = Date.now();
      let busy = false;
      for (const watch of this.watches.values()) {
        const s = watch.state;
        const typing = s.typing.filter((t) => t.until > now);
        const turn = s.turn && now - s.turn.movedAt > TURN_STALE_MS ? null : s.turn;
        if (typing.length !== s.typing.length || turn !== s.turn) this.update(watch, { ...s, typing, turn });
        if (turn && s.subscribed && now - turn.movedAt > TURN_CHECK_MS && now - watch.turnCheckAt > TURN_CHECK_MS) {
          watch.turnCheckAt = now;
          this.resync(watch, watch.lastSeq);
        }
        if (watch.state.typing.length || watch.state.turn) busy = true;
      }
      if (!busy && this.sweepTimer) {
        clearInterval(this.sweepTimer);
        this.sweepTimer = null;
      }
    }, 1_000);
  }

  private learn(personId: string | null | undefined, name: string | null | undefined) {
    if (personId && name) this.names.set(personId, name);
  }

  private receive(text: string) {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    this.order++;
    switch (frame.type) {
      case "pong":
        return;
      case "hello":
        this.setStatus("open", { personId: frame.person_id, connection: frame.connection });
        return;
      case "error": {
        const note: LiveNote = { code: frame.code, message: frame.message, order: this.order };
        const targets = frame.conversation_id
          ? [this.watches.get(frame.conversation_id)].filter((w): w is Watch => !!w)
          : [...this.watches.values()];
        for (const watch of targets) {
          const turn = watch.state.turn && endsTurn(frame.code) ? null : watch.state.turn;
          this.update(watch, { ...watch.state, error: note, turn });
        }
        return;
      }
      default:
        break;
    }
    const watch = this.watches.get(frame.conversation_id);
    if (!watch) return;
    const s = watch.state;
    const me = this.snapshot.personId;
    const now = Date.now();
    switch (frame.type) {
      case "subscribed": {
        const reads = { ...s.reads };
        for (const r of frame.reads) reads[r.person_id] = Math.max(reads[r.person_id] ?? 0, r.seq);
        const holderName = frame.held_by ? (this.names.get(frame.held_by) ?? (s.heldBy === frame.held_by ? s.holderName : null)) : null;
        this.update(watch, { ...s, subscribed: true, heldBy: frame.held_by, holderName, reads });
        return;
      }
      case "message": {
        const message: Message = { ...frame.message, feedback: frame.message.feedback ?? null };
        this.learn(message.author_id, message.author_name);
        const known = s.messages.some((m) => m.seq === message.seq || m.id === message.id);
        const previous = watch.lastSeq;
        if (message.seq > watch.lastSeq) watch.lastSeq = message.seq;
        // The stored question or answer of a turn this tab streams itself: kept, and the turn
        // shown from elsewhere (if any) is left alone.
        const own = this.ownIn(watch.id, now);
        let ours = false;
        if (own && !own.answered && (own.started || own.local)) {
          const question = own.questionId
            ? message.id === own.questionId
            : message.role === "user" && message.content.trim() === own.question;
          if (question) {
            own.started = true;
            own.questionId = message.id;
            own.questionSeq = message.seq;
            ours = own.via === "http";
          } else if (
            own.started &&
            message.role === "assistant" &&
            message.kind !== "human" &&
            message.seq > (own.questionSeq ?? 0)
          ) {
            own.answered = true;
            ours = own.via === "http";
          }
        }
        let turn = s.turn;
        if (turn && !ours) {
          if (message.id === turn.questionId && turn.held) turn = null;
          else if (message.role === "assistant" && message.seq > turn.afterSeq) turn = null;
          else if (message.id === turn.questionId) turn = { ...turn, movedAt: now };
        }
        // A new question (or a coach's reply) puts an earlier failure in the past.
        const news = !known && message.seq > (s.failed?.afterSeq ?? 0);
        const failed = s.failed && news && (message.role === "user" || message.kind === "human") ? null : s.failed;
        const messages = known ? s.messages : [...s.messages, message].sort((a, b) => a.seq - b.seq);
        // Whoever was typing has sent it (anyone still writing says so again within seconds).
        const typing = known ? s.typing : [];
        this.update(watch, { ...s, messages, turn, typing, failed });
        if (!known && message.seq > watch.receivedSent) this.acknowledge(watch, message.seq);
        // A seq skipped: something was stored that this connection did not hear of.
        if (!known && previous > 0 && message.seq > previous + 1) this.resync(watch, previous);
        return;
      }
      case "turn_started": {
        const own = this.ownIn(watch.id, now);
        const mine = own?.questionId ? own.questionId === frame.message_id : frame.content.trim() === own?.question;
        if (own && !own.started && mine) {
          own.started = true;
          own.questionId = frame.message_id;
          own.keepUntil = Math.max(own.keepUntil, now + OWN_TURN_GRACE_MS);
          // This tab streams the answer itself.
          if (own.via === "http") {
            if (s.failed) this.update(watch, { ...s, failed: null });
            return;
          }
        } else if (own && own.started && !own.local) {
          // Someone else's turn after the tab's own has ended (a stopped answer sends no end).
          this.own.delete(watch.id);
        }
        const turn: LiveTurn = {
          questionId: frame.message_id,
          question: frame.content,
          text: "",
          afterSeq: watch.lastSeq,
          held: s.heldBy != null,
          order: this.order,
          movedAt: now,
        };
        this.update(watch, { ...s, turn, failed: null });
        return;
      }
      case "delta": {
        const own = this.ownIn(watch.id, now);
        if (own && !own.answered) {
          // Its start may have come before the subscription: text while the tab waits on an
          // answer of its own, and no other is being written, is that answer.
          if (!own.started && own.local && !s.turn) own.started = true;
          if (own.started) {
            own.keepUntil = Math.max(own.keepUntil, now + OWN_TURN_GRACE_MS);
            // The answer this tab streams itself.
            if (own.via === "http") return;
          }
        }
        const turn: LiveTurn = s.turn
          ? { ...s.turn, text: s.turn.text + frame.text, movedAt: now }
          : { questionId: null, question: "", text: frame.text, afterSeq: watch.lastSeq, held: false, order: this.order, movedAt: now };
        this.update(watch, { ...s, turn });
        return;
      }
      case "turn_failed": {
        const own = this.ownIn(watch.id, now);
        if (own && (own.started || (own.local && !s.turn))) {
          // The tab's own turn: its stream (HTTP) or an `error` (live) explains it.
          this.own.delete(watch.id);
          if (own.via === "http") return;
          if (s.turn) this.update(watch, { ...s, turn: null });
          return;
        }
        const failed: LiveFailure = { message: frame.message, order: this.order, afterSeq: watch.lastSeq };
        this.update(watch, { ...s, turn: null, failed });
        return;
      }
      case "typing": {
        this.learn(frame.person_id, frame.name);
        if (frame.person_id === me) return;
        const typing = [
          ...s.typing.filter((t) => t.personId !== frame.person_id),
          { personId: frame.person_id, name: frame.name, until: now + TYPING_SHOWN_MS },
        ];
        this.update(watch, { ...s, typing });
        return;
      }
      case "presence": {
        this.learn(frame.person_id, frame.name);
        if (frame.connection === this.snapshot.connection) return;
        const presence = { ...s.presence };
        if (frame.online) presence[frame.connection] = { personId: frame.person_id, name: frame.name };
        else delete presence[frame.connection];
        const typing = frame.online ? s.typing : s.typing.filter((t) => t.personId !== frame.person_id);
        this.update(watch, { ...s, presence, typing });
        return;
      }
      case "read":
      case "received": {
        const key = frame.type === "read" ? "reads" : "received";
        const marks = s[key];
        if ((marks[frame.person_id] ?? 0) < frame.seq) {
          this.update(watch, { ...s, [key]: { ...marks, [frame.person_id]: frame.seq } });
        }
        // Someone saw a message this connection never got (e.g. sent over HTTP): catch up.
        if (frame.seq > watch.lastSeq) this.resync(watch, watch.lastSeq);
        return;
      }
      case "holder": {
        this.learn(frame.held_by, frame.name);
        this.update(watch, { ...s, heldBy: frame.held_by, holderName: frame.held_by ? frame.name : null });
        return;
      }
      case "ack": {
        if (frame.client_id) this.update(watch, { ...s, acked: [...s.acked.slice(-9), frame.client_id] });
        return;
      }
      default:
        return;
    }
  }

  /** Sends `received` for the latest seq once the burst of messages is over. */
  private acknowledge(watch: Watch, seq: number) {
    watch.receivedDue = Math.max(watch.receivedDue, seq);
    if (watch.receivedTimer) return;
    watch.receivedTimer = setTimeout(() => {
      watch.receivedTimer = null;
      const due = watch.receivedDue;
      if (due > watch.receivedSent && this.send({ type: "received", conversation_id: watch.id, seq: due })) {
        watch.receivedSent = due;
      }
    }, RECEIPT_DELAY_MS);
  }
}

/** The tab's one live connection. */
export const live = new LiveClient();
