// A learner's conversation as their coach, their manager or an admin follows
// it live: the messages, the answer as the AI writes it (however the learner
// asked: the live chat, the app's HTTP stream or a messaging channel) and why
// a turn failed when it did, who is here and typing, and whether the learner
// has seen the latest. A supervising coach or an admin can join: the AI
// pauses and they write to the learner as themselves, until they hand the
// conversation back to the AI. Without the live connection the saved
// conversation is shown and refreshed every few seconds, and joining waits
// for the connection to come back.

import { useEffect, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { ApiError } from "../api/client";
import { conversations } from "../api/endpoints";
import type { Citation } from "../api/types";
import { useSession } from "../session";
import { ErrorNote, Loading } from "../components/ui";
import { MessageView } from "../components/chat/MessageView";
import { CitationDialog } from "../components/chat/CitationDialog";
import { Markdown } from "../components/chat/Markdown";
import { live } from "../lib/live";
import {
  listNames,
  typingText,
  useLiveAnnouncement,
  useLiveConnection,
  useLiveConversation,
} from "../lib/useLiveConversation";
import "../styles/live.css";

/** Without the live connection, the saved conversation is fetched again this often. */
const OFFLINE_REFRESH_MS = 10_000;
/** Within this many pixels of the bottom, new messages keep the view at the bottom. */
const STICK_SLACK = 64;

type Action =
  | { kind: "join" | "hand_back"; mark: number }
  | { kind: "reply"; mark: number; clientId: string; content: string | null };

export default function LearnerConversation() {
  const { personId = "", conversationId = "" } = useParams();
  const { me, isAdmin, role } = useSession();
  const [citation, setCitation] = useState<Citation | null>(null);
  const [draft, setDraft] = useState("");
  const [action, setAction] = useState<Action | null>(null);
  const [notSent, setNotSent] = useState<string | null>(null);
  const viewRef = useRef<HTMLDivElement>(null);
  const messagesRef = useRef<HTMLDivElement>(null);
  const endRef = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  // The view fills the window below the top bar, however many lines the bar wraps to,
  // so the messages scroll and the reply box stays in sight.
  useLayoutEffect(() => {
    const bar = document.querySelector<HTMLElement>(".topbar");
    const view = viewRef.current;
    if (!bar || !view || typeof ResizeObserver === "undefined") return;
    const fit = () => view.style.setProperty("height", `calc(100dvh - ${Math.ceil(bar.getBoundingClientRect().height)}px)`);
    fit();
    const observer = new ResizeObserver(fit);
    observer.observe(bar);
    return () => observer.disconnect();
  }, []);

  const connection = useLiveConnection();
  const conversation = useQuery({
    queryKey: ["conversation", conversationId],
    queryFn: () => conversations.get(conversationId),
    enabled: !!conversationId,
    refetchInterval: connection.status === "open" ? false : OFFLINE_REFRESH_MS,
  });
  const following = useLiveConversation(conversationId, conversation.data?.messages, messagesRef);
  const { state, messages, connected } = following;
  const myId = me?.person.id ?? null;
  const detail = conversation.data?.conversation;
  const ownerName = detail?.owner_name || "The learner";
  const heldBy = connected ? state.heldBy : (detail?.held_by ?? null);
  const heldByMe = !!heldBy && heldBy === myId;
  const holderName = heldBy ? (following.holderName ?? following.nameOf(heldBy) ?? null) : null;
  // The server lets the learner's coaches and managers, and admins, join; parents only read.
  const mayJoin = !!detail && detail.owner_id !== myId && (isAdmin || role === "coach" || role === "manager");
  const announcement = useLiveAnnouncement(conversationId, following, { me: myId, ownerName, viewerIsOwner: false });

  // What became of the last thing this screen asked of the server.
  const actionError =
    action && state.error && state.error.order > action.mark ? new ApiError(0, state.error.code, state.error.message) : null;
  const actionDone = !action
    ? true
    : action.kind === "reply"
      ? state.acked.includes(action.clientId)
      : action.kind === "join"
        ? heldByMe
        : !heldBy;
  const working = !!action && !actionDone && !actionError;

  // A reply the server refused goes back into the box.
  useEffect(() => {
    if (actionError && action?.kind === "reply" && action.content) {
      const content = action.content;
      setDraft((d) => d || content);
      setAction({ ...action, content: null });
    }
  }, [actionError, action]);

  // The connection dropped before the server confirmed: say so, and give an unsent reply back.
  useEffect(() => {
    if (connected || !action || actionDone || actionError) return;
    if (action.kind === "reply" && action.content) {
      const content = action.content;
      setDraft((d) => d || content);
    }
    setAction(null);
    setNotSent(
      action.kind === "reply"
        ? "The live connection dropped before your reply was confirmed. Check the conversation once it is back, and send it again if it is missing."
        : "The live connection dropped before the server confirmed. Check the conversation once it is back, and try again if needed.",
    );
  }, [connected, action, actionDone, actionError]);

  const turn = state.turn;
  const showTurnQuestion = !!turn && !!turn.question && !messages.some((m) => m.id === turn.questionId);
  const answering = !!turn && !turn.held;
  // A turn that ended without an answer says why (unless its stored answer does).
  const lastMessage = messages[messages.length - 1];
  const failure =
    state.failed && !turn && !(lastMessage?.role === "assistant" && lastMessage.kind === "error") ? state.failed : null;

  // Keep the newest in view, unless the reader scrolled up to read.
  useEffect(() => {
    const element = messagesRef.current;
    if (!element) return;
    const onScroll = () => {
      stick.current = element.scrollHeight - element.scrollTop - element.clientHeight <= STICK_SLACK;
    };
    element.addEventListener("scroll", onScroll, { passive: true });
    return () => element.removeEventListener("scroll", onScroll);
  }, [conversation.isSuccess]);
  useEffect(() => {
    if (stick.current) endRef.current?.scrollIntoView?.({ block: "end" });
  }, [messages.length, turn?.text, turn?.question, failure]);

  function start(kind: "join" | "hand_back") {
    setNotSent(null);
    const mark = live.mark();
    const sent = kind === "join" ? following.join() : following.handBack();
    if (sent) setAction({ kind, mark });
    else setNotSent("The live connection is down. Wait until it is back, then try again.");
  }

  function reply() {
    const content = draft.trim();
    if (!content || working) return;
    setNotSent(null);
    const mark = live.mark();
    const clientId = following.send(content);
    if (!clientId) {
      setNotSent("The live connection is down, so your reply was not sent. Wait until it is back, then send it again.");
      return;
    }
    setAction({ kind: "reply", mark, clientId, content });
    setDraft("");
    stick.current = true;
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    reply();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      reply();
    }
  }

  const ownerHere = !!detail && following.present.some((p) => p.personId === detail.owner_id);
  const othersHere = following.present.filter((p) => p.personId !== detail?.owner_id);
  const last = messages[messages.length - 1];
  const seen = !!detail && !!last && (state.reads[detail.owner_id] ?? 0) >= last.seq && last.role === "assistant";
  const status =
    connection.status === "open"
      ? connected
        ? "Live"
        : "Connecting…"
      : connection.status === "closed"
        ? "Reconnecting… showing what was saved"
        : "Connecting…";

  return (
    <div className="live-view" ref={viewRef}>
      <header className="live-view-header">
        <nav aria-label="Breadcrumb" className="breadcrumb">
          <Link to="/learners">Learners</Link> › <Link to={`/learners/${encodeURIComponent(personId)}`}>{ownerName}</Link>{" "}
          › <span aria-current="page">Conversation</span>
        </nav>
        <h1>{detail?.title || "Conversation"}</h1>
        <p className="live-view-facts">
          <span className="muted">
            {ownerName}
            {detail?.coach_name ? ` with ${detail.coach_name}` : ""}
          </span>
          <span className={`live-status ${connection.status === "closed" ? "offline" : ""}`} aria-live="polite">
            {status}
          </span>
          {connected && detail && (
            <span className={`presence ${ownerHere ? "" : "away"}`}>
              <span className="presence-dot" aria-hidden="true" />
              {ownerHere ? `${ownerName} is here` : `${ownerName} is not here now`}
            </span>
          )}
          {connected && othersHere.length > 0 && (
            <span className="presence">
              <span className="presence-dot" aria-hidden="true" />
              {listNames(othersHere.map((p) => p.name))} {othersHere.length === 1 ? "is" : "are"} also here
            </span>
          )}
        </p>
      </header>

      {heldBy && (
        <div className="held-banner">
          {heldByMe ? (
            <p>
              <strong>You have joined</strong> — the AI is paused; {ownerName} sees your replies with your name.
            </p>
          ) : (
            <p>
              <strong>{holderName ?? "A coach"} has joined</strong> — the AI is paused while they reply in person.
            </p>
          )}
        </div>
      )}

      {/* New messages, joins and hand-backs, for screen readers. */}
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
      <p className="visually-hidden" role="status">
        {answering ? "The coach is answering." : ""}
      </p>
      <div className="messages" ref={messagesRef} aria-busy={answering} aria-label="Messages" role="region">
        {conversation.isPending && <Loading label="Loading conversation…" />}
        <ErrorNote error={conversation.error} onRetry={() => conversation.refetch()} />
        {conversation.data && messages.length === 0 && !turn && <p className="muted">No messages yet.</p>}
        {messages.map((m) => (
          <MessageView key={m.id} message={m} readOnly userLabel={`${ownerName} said`} onCite={setCitation} />
        ))}
        {turn && showTurnQuestion && (
          <article className="message user" aria-label={`${ownerName} said`}>
            <div className="bubble">{turn.question}</div>
          </article>
        )}
        {turn && !turn.held && (
          <article className="message assistant streaming" aria-label="Coach is answering">
            <div className="bubble">
              {turn.text ? <Markdown text={turn.text} /> : <span className="typing">Thinking…</span>}
            </div>
          </article>
        )}
        {failure && (
          <div className="message">
            <div className="error-note" role="status">
              <span>The coach could not answer: {failure.message}</span>
            </div>
          </div>
        )}
        {seen && <p className="read-receipt">Seen by {ownerName}</p>}
        <div ref={endRef} />
      </div>
      {following.typing.length > 0 && <p className="live-typing">{typingText(following.typing)}</p>}

      <div className="live-controls">
        {notSent && (
          <div className="error-note" role="alert">
            <span>{notSent}</span>
          </div>
        )}
        <ErrorNote error={actionError} />
        {heldByMe ? (
          <form className="composer" onSubmit={submit} aria-label={`Reply to ${ownerName}`}>
            <label htmlFor="reply" className="visually-hidden">
              Your reply to {ownerName}
            </label>
            <textarea
              id="reply"
              rows={2}
              placeholder={`Write to ${ownerName}…`}
              aria-describedby="reply-hint"
              value={draft}
              onChange={(e) => {
                setDraft(e.target.value);
                if (e.target.value.trim()) following.typingNow();
              }}
              onKeyDown={onKeyDown}
            />
            <span id="reply-hint" className="visually-hidden">
              Enter sends; Shift+Enter starts a new line. {ownerName} sees your reply with your name.
            </span>
            <div className="live-reply-actions">
              <button type="submit" className="primary" disabled={!draft.trim() || !connected || working}>
                Send reply
              </button>
              <button type="button" onClick={() => start("hand_back")} disabled={!connected || working}>
                Hand back to the AI
              </button>
            </div>
          </form>
        ) : mayJoin && !heldBy ? (
          <div className="live-join">
            <p>Join to reply to {ownerName} yourself. The AI pauses until you hand the conversation back.</p>
            <button type="button" className="primary" onClick={() => start("join")} disabled={!connected || working}>
              Join conversation
            </button>
          </div>
        ) : mayJoin ? (
          <p className="muted small">Only one person joins at a time; the conversation is theirs until they hand it back.</p>
        ) : (
          <p className="muted small">You can follow this conversation; {ownerName}'s coaches and administrators can join it.</p>
        )}
      </div>
      <CitationDialog citation={citation} onClose={() => setCitation(null)} />
    </div>
  );
}
