// The chat: the conversation sidebar and the open conversation, whose answer
// streams in as it is written. Stop aborts the request; Retry sends the last
// question again. The open conversation is followed live: a coach who
// supervises the learner shows as here, typing, or having read it, and may
// join it — a banner then says the AI is paused, and the coach's replies come
// with their name until they hand the conversation back. While someone else
// follows the conversation (or a coach holds it) questions go over the live
// connection, so they see the question and the answer as they are written;
// otherwise over HTTP, where Stop cuts an answer short. The live connection
// hears that HTTP turn too: it is marked as this tab's own, so it shows once,
// from its stream (with Stop, Retry and what went wrong), and its stored
// messages join the others by seq. Turns asked elsewhere (another tab, a
// messaging channel) show live, and one that fails says why.

import { Fragment, useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../api/client";
import { coaches as coachesApi, conversations } from "../api/endpoints";
import { sendMessage } from "../api/stream";
import type { Citation, ConversationWithMessages, Feedback, Message } from "../api/types";
import { useOrgId, useSession } from "../session";
import { describeError } from "../lib/errors";
import { Empty, ErrorNote, Loading } from "../components/ui";
import { ConversationList } from "../components/chat/ConversationList";
import { MessageView } from "../components/chat/MessageView";
import { CitationDialog } from "../components/chat/CitationDialog";
import { Markdown } from "../components/chat/Markdown";
import { live, maxSeq, type OwnTurnHandle } from "../lib/live";
import {
  listNames,
  readersOf,
  typingText,
  useLiveAnnouncement,
  useLiveConversation,
} from "../lib/useLiveConversation";

interface Streaming {
  conversationId: string;
  question: string;
  /** The conversation's last seq when it was asked: what is stored after it belongs to this turn. */
  afterSeq: number;
  userMessage: Message | null;
  sources: Citation[];
  text: string;
  state: "streaming" | "failed";
  error: unknown;
}

/** A question sent over the live connection, until it is stored, answered or refused. */
interface LiveSend {
  conversationId: string;
  question: string;
  /** Frames handled before it was sent: the server's errors after it are about it. */
  mark: number;
  /** The conversation's last seq when it was sent. */
  afterSeq: number;
  clientId: string;
  /** The connection dropped before the server took it. */
  lost: boolean;
}

function titleFrom(question: string): string {
  const line = question.trim().split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

export default function Chat() {
  const { conversationId } = useParams();
  const org = useOrgId();
  const { me } = useSession();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [draft, setDraft] = useState("");
  const [streaming, setStreaming] = useState<Streaming | null>(null);
  const [lastError, setLastError] = useState<unknown>(null);
  const [citation, setCitation] = useState<Citation | null>(null);
  const [coachId, setCoachId] = useState<string>("");
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [liveSend, setLiveSend] = useState<LiveSend | null>(null);
  const [lastLiveSend, setLastLiveSend] = useState<LiveSend | null>(null);
  const abortRef = useRef<AbortController | null>(null);
  const endRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const messagesRef = useRef<HTMLDivElement>(null);

  const coaches = useQuery({ queryKey: ["coaches", org], queryFn: () => coachesApi.list(org), retry: false });
  const conversation = useQuery({
    queryKey: ["conversation", conversationId],
    queryFn: () => conversations.get(conversationId!),
    enabled: !!conversationId,
  });

  useEffect(() => {
    const def = coaches.data?.find((c) => c.is_default) ?? coaches.data?.[0];
    if (def && !coachId) setCoachId(def.id);
  }, [coaches.data, coachId]);

  useEffect(() => () => abortRef.current?.abort(), []);

  const myId = me?.person.id ?? null;
  const following = useLiveConversation(conversationId, conversation.data?.messages, messagesRef);
  const liveState = following.state;
  const messages = following.messages;
  const announcement = useLiveAnnouncement(conversationId, following, { me: myId, ownerName: "You", viewerIsOwner: true });
  const heldBy = following.connected ? liveState.heldBy : (conversation.data?.conversation.held_by ?? null);
  const holderName = heldBy ? (following.holderName ?? following.nameOf(heldBy) ?? null) : null;

  // What is on its way: an answer streamed over HTTP, or a turn or question followed live.
  const stream = streaming && streaming.conversationId === conversationId ? streaming : null;
  const turn = stream ? null : liveState.turn;
  // A question sent live shows on its own until it is stored: from the render that shows it stored
  // (not from the effect below, a frame later), or it would show twice meanwhile.
  const pendingStored = !!liveSend && messages.some((m) => m.role === "user" && m.seq > liveSend.afterSeq);
  const pending = liveSend && liveSend.conversationId === conversationId && !pendingStored ? liveSend : null;
  const sentHere = lastLiveSend && lastLiveSend.conversationId === conversationId ? lastLiveSend : null;
  const liveError = sentHere && liveState.error && liveState.error.order > sentHere.mark ? liveState.error : null;
  const pendingError = !pending
    ? null
    : liveError
      ? new ApiError(0, liveError.code, liveError.message)
      : pending.lost
        ? new ApiError(0, "network", "the live connection dropped before the question was sent")
        : null;

  // A question sent live stops waiting once it is stored or its answer has begun.
  useEffect(() => {
    if (!liveSend) return;
    const started = !!liveState.turn && liveState.turn.order > liveSend.mark;
    if (liveSend.conversationId !== conversationId || pendingStored || started) setLiveSend(null);
    else if (!liveSend.lost && !following.connected && !liveState.acked.includes(liveSend.clientId)) {
      setLiveSend({ ...liveSend, lost: true });
    }
  }, [liveSend, pendingStored, conversationId, liveState.turn, liveState.acked, following.connected]);

  // Who holds the conversation, as the live connection says, is kept with the loaded conversation.
  useEffect(() => {
    if (!conversationId || !following.connected) return;
    client.setQueryData<ConversationWithMessages>(["conversation", conversationId], (old) =>
      old && (old.conversation.held_by ?? null) !== liveState.heldBy
        ? { ...old, conversation: { ...old.conversation, held_by: liveState.heldBy } }
        : old,
    );
  }, [client, conversationId, following.connected, liveState.heldBy]);

  useEffect(() => {
    endRef.current?.scrollIntoView?.({ block: "end" });
  }, [messages.length, stream?.text, stream?.state, turn?.text, turn?.question, pending?.question]);

  const answering = !!turn && !turn.held;
  const busy = stream?.state === "streaming" || (!!pending && !pendingError && !heldBy) || answering;

  async function ask(question: string) {
    const content = question.trim();
    if (!content || busy) return;
    // Others following see the question and the answer as they are written.
    if (conversationId && following.connected && (following.othersFollowing || heldBy)) {
      const mark = live.mark();
      // Its turn shows live here too; a failure of it comes to this tab as an error.
      const own = live.ownTurn(conversationId, content, "live");
      const clientId = following.send(content);
      if (!clientId) own.done();
      else {
        const sent: LiveSend = { conversationId, question: content, mark, afterSeq: maxSeq(messages), clientId, lost: false };
        setLastError(null);
        setLiveSend(sent);
        setLastLiveSend(sent);
        return;
      }
    }
    let id = conversationId;
    const controller = new AbortController();
    abortRef.current = controller;
    let stored: Message | null = null;
    // The live connection hears this turn too; it shows from the stream instead.
    let own: OwnTurnHandle | null = id ? live.ownTurn(id, content, "http") : null;
    setLastError(null);
    setStreaming({
      conversationId: id ?? "",
      question: content,
      afterSeq: id ? maxSeq(messages) : 0,
      userMessage: null,
      sources: [],
      text: "",
      state: "streaming",
      error: null,
    });
    try {
      if (!id) {
        const created = await conversations.create(org, {
          coach_id: coachId || undefined,
          title: titleFrom(content),
        });
        id = created.id;
        own = live.ownTurn(created.id, content, "http");
        client.setQueryData<ConversationWithMessages>(["conversation", id], { conversation: created, messages: [] });
        setStreaming((s) => (s ? { ...s, conversationId: created.id } : s));
        navigate(`/chat/${id}`, { replace: true });
      }
      const target = id;
      await sendMessage(
        target,
        content,
        {
          onUser: (m) => {
            stored = m;
            own?.stored(m.id);
            setStreaming((s) => (s ? { ...s, userMessage: m } : s));
          },
          onSources: (c) => setStreaming((s) => (s ? { ...s, sources: c } : s)),
          onDelta: (t) => setStreaming((s) => (s ? { ...s, text: s.text + t } : s)),
          onDone: (assistant) => {
            client.setQueryData<ConversationWithMessages>(["conversation", target], (old) => {
              if (!old) return old;
              const add = [stored, assistant].filter(
                (m): m is Message => !!m && !old.messages.some((x) => x.id === m.id),
              );
              return { ...old, messages: [...old.messages, ...add] };
            });
          },
          // A coach holds the conversation: the question is kept for them, unanswered.
          onHeld: (question) => {
            client.setQueryData<ConversationWithMessages>(["conversation", target], (old) =>
              old && !old.messages.some((x) => x.id === question.id)
                ? { ...old, messages: [...old.messages, question] }
                : old,
            );
          },
        },
        controller.signal,
      );
      // The box was emptied when the question was sent; what is typed there now is the next one.
      setStreaming(null);
      void client.invalidateQueries({ queryKey: ["conversation", target] });
    } catch (err) {
      const stopped = err instanceof ApiError && err.code === "aborted";
      // The server keeps what was written of an interrupted answer; show
      // the stored messages once they are there, and the live draft otherwise.
      let answerStored = false;
      let answerExplains = false;
      const target = id;
      if (target) {
        // Saving the partial answer can take the server a moment after the stream ends.
        for (let attempt = 0; attempt < 4 && !answerStored; attempt++) {
          if (attempt > 0) await new Promise((r) => setTimeout(r, 300 * attempt));
          await client.invalidateQueries({ queryKey: ["conversation", target] });
          const data = client.getQueryData<ConversationWithMessages>(["conversation", target]);
          const userIndex = stored ? (data?.messages.findIndex((m) => m.id === stored!.id) ?? -1) : -1;
          const answer = userIndex >= 0 ? data?.messages[userIndex + 1] : undefined;
          answerStored = answer?.role === "assistant";
          // An answer that failed before any text holds the reason itself.
          answerExplains = answer?.kind === "error";
          if (!stored) break;
        }
      }
      if (answerStored) {
        setStreaming(null);
        if (!stopped && !answerExplains) setLastError(err);
      } else if (stopped) {
        setStreaming(null);
      } else {
        setStreaming((s) => (s ? { ...s, state: "failed", error: err } : s));
      }
    } finally {
      own?.done();
      void client.invalidateQueries({ queryKey: ["conversations", org] });
      abortRef.current = null;
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (busy || !draft.trim()) return;
    const question = draft;
    setDraft("");
    void ask(question);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      if (busy || !draft.trim()) return;
      const question = draft;
      setDraft("");
      void ask(question);
    }
  }

  const inProgress = !!stream || !!turn || !!pending;
  const lastQuestion =
    stream?.question ?? pending?.question ?? [...messages].reverse().find((m) => m.role === "user")?.content ?? null;
  const lastMessage = messages[messages.length - 1];
  const lastReply = [...messages].reverse().find((m) => m.role === "assistant");
  // Retry resends the last question: offered under the last answer, or
  // alone when a question got no stored answer (e.g. refused before it began)
  // — but not while a coach holds the conversation, nor for what was written to them.
  const canRetryLast =
    !inProgress &&
    !heldBy &&
    !!lastQuestion &&
    !!lastMessage &&
    !(lastMessage.role === "user" && lastReply?.kind === "human");

  // An answer that failed live explains itself when it was stored as an error.
  const explained =
    !!sentHere && lastMessage?.role === "assistant" && lastMessage.kind === "error" && lastMessage.seq > sentHere.afterSeq;
  const turnError = liveError && !pending && !explained ? new ApiError(0, liveError.code, liveError.message) : null;

  // "Read by Cole" under the learner's latest question that someone else has read.
  const lastMine = [...messages].reverse().find((m) => m.role === "user");
  const readers = lastMine ? readersOf(liveState.reads, lastMine.seq, myId, following.nameOf) : null;
  const readReceipt = readers
    ? readers.names.length > 0
      ? `Read by ${listNames(readers.names)}`
      : readers.unnamed > 0
        ? "Read"
        : null
    : null;
  const present = following.present;

  function setFeedback(message: Message, feedback: Feedback) {
    client.setQueryData<ConversationWithMessages>(["conversation", message.conversation_id], (old) =>
      old ? { ...old, messages: old.messages.map((m) => (m.id === message.id ? { ...m, feedback } : m)) } : old,
    );
  }

  const current = conversation.data?.conversation;
  // The stream's question and answer, once stored (the live connection may bring them before the stream ends).
  const streamQuestion = stream
    ? messages.find((m) =>
        stream.userMessage
          ? m.id === stream.userMessage.id
          : m.role === "user" && m.seq > stream.afterSeq && m.content.trim() === stream.question,
      )
    : undefined;
  const showUserEcho = !!stream && !streamQuestion;
  const streamAnswered =
    !!streamQuestion &&
    messages.some((m) => m.role === "assistant" && m.kind !== "human" && m.seq > streamQuestion.seq);
  // A turn asked elsewhere that ended without an answer, unless its stored answer says why.
  const otherFailure =
    liveState.failed && !inProgress && !turnError && lastError == null && !(lastMessage?.role === "assistant" && lastMessage.kind === "error")
      ? liveState.failed
      : null;
  const showTurnQuestion = !!turn && !!turn.question && !messages.some((m) => m.id === turn.questionId);

  return (
    <div className="chat">
      <aside className={`chat-sidebar ${sidebarOpen ? "open" : ""}`} aria-label="Conversation history">
        <button
          type="button"
          className="primary new-conversation"
          onClick={() => {
            setSidebarOpen(false);
            navigate("/chat");
            setTimeout(() => inputRef.current?.focus(), 0);
          }}
        >
          New conversation
        </button>
        <ConversationList org={org} currentId={conversationId} />
      </aside>
      <section className="chat-main" aria-label="Conversation">
        <div className="chat-header">
          <button
            type="button"
            className="sidebar-toggle"
            aria-expanded={sidebarOpen}
            onClick={() => setSidebarOpen((v) => !v)}
          >
            Conversations
          </button>
          <h1 className="chat-title">{conversationId ? (current?.title || "Conversation") : "New conversation"}</h1>
          {current?.coach_name && <span className="muted">with {current.coach_name}</span>}
          {present.length > 0 && (
            <span className="presence">
              <span className="presence-dot" aria-hidden="true" />
              {listNames(present.map((p) => p.name))} {present.length === 1 ? "is" : "are"} here
            </span>
          )}
          {!conversationId && coaches.data && coaches.data.length > 1 && (
            <label className="coach-pick">
              Coach{" "}
              <select value={coachId} onChange={(e) => setCoachId(e.target.value)}>
                {coaches.data.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>

        {heldBy && (
          <div className="held-banner">
            <p>
              <strong>{holderName ?? "Your coach"} has joined</strong> — your coach replies in person; the AI is
              paused.
            </p>
          </div>
        )}

        {/* Announce the answer's start and end, not every streamed word. */}
        <p className="visually-hidden" role="status">
          {busy ? "The coach is answering." : stream?.state === "failed" || pendingError ? "The answer failed." : ""}
        </p>
        {/* Joins, hand-backs and what a coach writes. */}
        <p className="visually-hidden" role="status">
          {announcement}
        </p>
        <div className="messages" aria-busy={busy} ref={messagesRef}>
          {conversationId && conversation.isPending && <Loading label="Loading conversation…" />}
          <ErrorNote error={conversation.error} onRetry={() => conversation.refetch()} />
          {!conversationId && !inProgress && (
            <Empty title={`Hello${me ? `, ${me.person.display_name}` : ""}. What would you like to work on?`}>
              <p>Ask a question; the coach answers from your organisation's material and shows its sources.</p>
            </Empty>
          )}
          {messages.map((m, i) => (
            <Fragment key={m.id}>
              <MessageView
                message={m}
                onCite={setCitation}
                onFeedback={setFeedback}
                onRetry={
                  canRetryLast && m.role === "assistant" && m.kind !== "human" && i === messages.length - 1
                    ? () => lastQuestion && ask(lastQuestion)
                    : undefined
                }
              />
              {m.id === lastMine?.id && readReceipt && <p className="read-receipt">{readReceipt}</p>}
            </Fragment>
          ))}
          {canRetryLast && lastMessage?.role === "user" && (
            <div className="message">
              <button type="button" onClick={() => lastQuestion && ask(lastQuestion)}>
                Retry
              </button>
            </div>
          )}
          {stream && showUserEcho && (
            <article className="message user" aria-label="You said">
              <div className="bubble">{stream.question}</div>
            </article>
          )}
          {stream && !(stream.state === "streaming" && streamAnswered) && (
            <article className="message assistant streaming" aria-label="Coach is answering">
              {(stream.text || stream.state === "streaming") && (
                <div className="bubble">
                  {stream.text ? (
                    <Markdown text={stream.text} citations={stream.sources} onCite={setCitation} />
                  ) : (
                    <span className="typing">Thinking…</span>
                  )}
                </div>
              )}
              {stream.state === "failed" && (
                <div className="error-note" role="alert">
                  <span>{describeError(stream.error)}</span>
                  <button type="button" onClick={() => ask(stream.question)}>
                    Retry
                  </button>
                </div>
              )}
            </article>
          )}
          {turn && showTurnQuestion && (
            <article className="message user" aria-label="You said">
              <div className="bubble">{turn.question}</div>
            </article>
          )}
          {turn && !turn.held && (
            <article className="message assistant streaming" aria-label="Coach is answering">
              <div className="bubble">
                {/* The sources come with the stored answer; until then its markers stay plain. */}
                {turn.text ? <Markdown text={turn.text} /> : <span className="typing">Thinking…</span>}
              </div>
            </article>
          )}
          {!stream && !turn && pending && (
            <>
              <article className="message user" aria-label="You said">
                <div className="bubble">{pending.question}</div>
              </article>
              {pendingError ? (
                <div className="message">
                  <div className="error-note" role="alert">
                    <span>{describeError(pendingError)}</span>
                    <button type="button" onClick={() => ask(pending.question)}>
                      Retry
                    </button>
                  </div>
                </div>
              ) : (
                !heldBy && (
                  <article className="message assistant streaming" aria-label="Coach is answering">
                    <div className="bubble">
                      <span className="typing">Thinking…</span>
                    </div>
                  </article>
                )
              )}
            </>
          )}
          <div ref={endRef} />
        </div>
        {following.typing.length > 0 && <p className="live-typing">{typingText(following.typing)}</p>}

        {lastError != null && !stream && (
          <div className="composer-error">
            <ErrorNote error={lastError} />
          </div>
        )}
        {turnError && (
          <div className="composer-error">
            <ErrorNote error={turnError} />
          </div>
        )}
        {otherFailure && (
          <div className="composer-error">
            <div className="error-note" role="alert">
              <span>{otherFailure.message}</span>
            </div>
          </div>
        )}
        <form className="composer" onSubmit={submit}>
          <label htmlFor="question" className="visually-hidden">
            Your question
          </label>
          <textarea
            id="question"
            ref={inputRef}
            rows={2}
            placeholder={heldBy ? `Write to ${holderName ?? "your coach"}…` : "Ask the coach…"}
            aria-describedby="question-hint"
            value={draft}
            onChange={(e) => {
              setDraft(e.target.value);
              if (e.target.value.trim()) following.typingNow();
            }}
            onKeyDown={onKeyDown}
          />
          <span id="question-hint" className="visually-hidden">
            Enter sends; Shift+Enter starts a new line.
          </span>
          {stream?.state === "streaming" ? (
            <button type="button" className="danger" onClick={() => abortRef.current?.abort()}>
              Stop
            </button>
          ) : (
            <button type="submit" className="primary" disabled={!draft.trim() || busy}>
              Send
            </button>
          )}
        </form>
      </section>
      <CitationDialog citation={citation} onClose={() => setCitation(null)} />
    </div>
  );
}
