// React's view of the live connection (`live.ts`): whether it is up, and one
// conversation followed live — its messages (what the screen loaded over HTTP
// plus what arrived since, one per seq), the answer being written, who is
// here and typing, who holds it and how far each person has read — with the
// frames a screen sends (write, typing, join, hand back). Read receipts go out
// by themselves while the conversation is in view: the page visible and its
// messages scrolled to the bottom.

import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type RefObject } from "react";
import type { Message } from "../api/types";
import { useSession } from "../session";
import { live, maxSeq, mergeMessages, type LiveConversationState, type LivePerson, type LiveStatus } from "./live";

/** How close to the bottom (px) still counts as having read everything. */
const BOTTOM_SLACK = 48;

export interface LiveConnection {
  status: LiveStatus;
  /** The signed-in person as the server knows them (after `hello`). */
  personId: string | null;
}

/** Keeps the tab's live connection open while the calling screen is shown. */
export function useLiveConnection(): LiveConnection {
  const personId = useSession().me?.person.id ?? null;
  useEffect(() => live.retain(personId), [personId]);
  const snapshot = useSyncExternalStore(live.onStatus, live.getStatus);
  return { status: snapshot.status, personId: snapshot.personId };
}

export interface LiveConversation {
  status: LiveStatus;
  /** Followed on an open connection: frames can be sent. */
  connected: boolean;
  state: LiveConversationState;
  /** The loaded messages and those that arrived live, one per seq, in order. */
  messages: Message[];
  /** The last seq of the messages loaded over HTTP. */
  loadedSeq: number;
  /** Other people here now, once each. */
  present: LivePerson[];
  /** Anyone else follows the conversation (another person, or the same person in another tab). */
  othersFollowing: boolean;
  /** Others typing now. */
  typing: LivePerson[];
  /** Who holds the conversation, by name when known. */
  holderName: string | null;
  /** A name for a person id, from what the conversation has shown. */
  nameOf: (personId: string) => string | undefined;
  /** Writes in the conversation; answers the client id, or null when the connection is not up. */
  send: (content: string) => string | null;
  /** Says the signed-in person is typing (throttled). */
  typingNow: () => void;
  join: () => boolean;
  handBack: () => boolean;
}

function clientId(): string {
  const random = globalThis.crypto?.randomUUID?.();
  return random ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function atBottom(element: HTMLElement | null): boolean {
  if (element) return element.scrollHeight - element.scrollTop - element.clientHeight <= BOTTOM_SLACK;
  return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - BOTTOM_SLACK;
}

const unsubscribed = () => () => {};

/**
 * Follows conversation `id` live once `base` (its messages as loaded over HTTP) is there.
 * `scrollRef` is the element the messages scroll in (the window when absent).
 */
export function useLiveConversation(
  id: string | undefined,
  base: Message[] | undefined,
  scrollRef?: RefObject<HTMLElement | null>,
): LiveConversation {
  const connection = useLiveConnection();
  const ready = !!id && base !== undefined;
  const baseSeq = maxSeq(base);
  const baseSeqRef = useRef(baseSeq);
  baseSeqRef.current = baseSeq;

  useEffect(() => {
    if (!id || !ready) return;
    return live.watch(id, baseSeqRef.current);
  }, [id, ready]);

  useEffect(() => {
    if (id && ready) live.noteSeq(id, baseSeq);
  }, [id, ready, baseSeq]);

  const subscribe = useCallback((listener: () => void) => (id ? live.onConversation(id, listener) : unsubscribed()), [id]);
  const getSnapshot = useCallback(() => live.getState(id), [id]);
  const state = useSyncExternalStore(subscribe, getSnapshot);
  const messages = useMemo(() => mergeMessages(base ?? [], state.messages), [base, state.messages]);
  const connected = connection.status === "open" && state.subscribed;

  // Read receipts: the latest seq, whenever the conversation is in view.
  const latest = maxSeq(messages);
  useEffect(() => {
    if (!id || !connected || latest === 0) return;
    const element = scrollRef?.current ?? null;
    const check = () => {
      if (document.visibilityState === "visible" && atBottom(element)) live.markRead(id, latest);
    };
    check();
    const target: HTMLElement | Window = element ?? window;
    target.addEventListener("scroll", check, { passive: true });
    document.addEventListener("visibilitychange", check);
    window.addEventListener("focus", check);
    return () => {
      target.removeEventListener("scroll", check);
      document.removeEventListener("visibilitychange", check);
      window.removeEventListener("focus", check);
    };
  }, [id, connected, latest, scrollRef]);

  const me = connection.personId;
  const present = useMemo(() => {
    const byPerson = new Map<string, LivePerson>();
    for (const p of Object.values(state.presence)) if (p.personId !== me) byPerson.set(p.personId, p);
    return [...byPerson.values()].sort((a, b) => a.name.localeCompare(b.name));
  }, [state.presence, me]);
  const typing = useMemo(() => state.typing.filter((t) => t.personId !== me), [state.typing, me]);

  const nameOf = useCallback(
    (personId: string) =>
      live.nameOf(personId) ??
      [...messages].reverse().find((m) => m.author_id === personId && m.author_name)?.author_name ??
      undefined,
    [messages],
  );
  const holderName = state.heldBy ? (state.holderName ?? nameOf(state.heldBy) ?? null) : null;

  const send = useCallback(
    (content: string) => {
      if (!id) return null;
      const client = clientId();
      return live.sendTo(id, { type: "send", conversation_id: id, content, client_id: client }) ? client : null;
    },
    [id],
  );
  const typingNow = useCallback(() => {
    if (id) live.typing(id);
  }, [id]);
  const join = useCallback(() => !!id && live.sendTo(id, { type: "join", conversation_id: id }), [id]);
  const handBack = useCallback(() => !!id && live.sendTo(id, { type: "hand_back", conversation_id: id }), [id]);

  return {
    status: connection.status,
    connected,
    state,
    messages,
    loadedSeq: baseSeq,
    present,
    othersFollowing: Object.keys(state.presence).length > 0,
    typing,
    holderName,
    nameOf,
    send,
    typingNow,
    join,
    handBack,
  };
}

/** "Cole is typing…", "Cole and Dana are typing…". */
export function typingText(people: LivePerson[]): string {
  if (people.length === 0) return "";
  return `${listNames(people.map((p) => p.name))} ${people.length === 1 ? "is" : "are"} typing…`;
}

/** "Cole", "Cole and Dana", "Cole, Dana and Eve". */
export function listNames(names: string[]): string {
  if (names.length <= 1) return names[0] ?? "";
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** Who (other than `me`) has read up to `seq`, by name; the unnamed are counted. */
export function readersOf(
  reads: Record<string, number>,
  seq: number,
  me: string | null | undefined,
  nameOf: (personId: string) => string | undefined,
): { names: string[]; unnamed: number } {
  const names: string[] = [];
  let unnamed = 0;
  for (const [person, read] of Object.entries(reads)) {
    if (person === me || read < seq) continue;
    const name = nameOf(person);
    if (name) names.push(name);
    else unnamed++;
  }
  return { names: names.sort((a, b) => a.localeCompare(b)), unnamed };
}

/**
 * What a screen reader should hear as the conversation moves (a join or hand-back, a new
 * message from someone else), as text for a polite live region.
 */
export function useLiveAnnouncement(
  id: string | undefined,
  conversation: LiveConversation,
  options: { me: string | null | undefined; ownerName: string; viewerIsOwner: boolean },
): string {
  const { state, holderName, loadedSeq } = conversation;
  const { me, ownerName, viewerIsOwner } = options;
  const [text, setText] = useState("");
  const heldBefore = useRef<string | null | undefined>(undefined);
  const seenSeq = useRef<number | null>(null);

  // Another conversation: nothing of this one's is news.
  useEffect(() => {
    heldBefore.current = undefined;
    seenSeq.current = null;
    setText("");
  }, [id]);

  useEffect(() => {
    if (!state.subscribed) {
      heldBefore.current = undefined;
      return;
    }
    const before = heldBefore.current;
    heldBefore.current = state.heldBy;
    if (before === undefined || before === state.heldBy) return;
    if (state.heldBy) {
      const who = state.heldBy === me ? "You" : (holderName ?? "A coach");
      setText(`${who} joined the conversation; the AI is paused.`);
    } else {
      setText("The conversation is back with the AI.");
    }
  }, [state.subscribed, state.heldBy, holderName, me]);

  useEffect(() => {
    if (!state.subscribed) return;
    // What was loaded with the screen is not news; what arrives after it is.
    if (seenSeq.current === null) seenSeq.current = loadedSeq;
    const latest = state.messages[state.messages.length - 1];
    const previous = seenSeq.current;
    if (!latest || latest.seq <= previous) return;
    seenSeq.current = latest.seq;
    const excerpt = latest.content.length > 140 ? `${latest.content.slice(0, 137)}…` : latest.content;
    if (latest.role === "user") {
      if (!viewerIsOwner) setText(`${ownerName}: ${excerpt}`);
    } else if (latest.kind === "human") {
      if (latest.author_id !== me) setText(`${latest.author_name ?? "Your coach"}: ${excerpt}`);
    } else {
      setText("The coach answered.");
    }
  }, [state.subscribed, state.messages, loadedSeq, me, ownerName, viewerIsOwner]);

  return text;
}
