// The chat: the conversation sidebar and the open conversation, whose answer
// streams in as it is written. Stop aborts the request; Retry sends the last
// question again.

import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
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

interface Streaming {
  conversationId: string;
  question: string;
  userMessage: Message | null;
  sources: Citation[];
  text: string;
  state: "streaming" | "failed";
  error: unknown;
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
  const abortRef = useRef<AbortController | null>(null);
  const endRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);

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

  const messages = conversation.data?.messages ?? [];
  const live = streaming && streaming.conversationId === conversationId ? streaming : null;

  useEffect(() => {
    endRef.current?.scrollIntoView?.({ block: "end" });
  }, [messages.length, live?.text, live?.state]);

  const busy = live?.state === "streaming";

  async function ask(question: string) {
    const content = question.trim();
    if (!content || busy) return;
    let id = conversationId;
    const controller = new AbortController();
    abortRef.current = controller;
    let stored: Message | null = null;
    setLastError(null);
    setStreaming({
      conversationId: id ?? "",
      question: content,
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
        },
        controller.signal,
      );
      setStreaming(null);
      setDraft("");
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
      void client.invalidateQueries({ queryKey: ["conversations", org] });
      abortRef.current = null;
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const question = draft;
    setDraft("");
    void ask(question);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      const question = draft;
      setDraft("");
      void ask(question);
    }
  }

  const lastQuestion =
    live?.question ?? [...messages].reverse().find((m) => m.role === "user")?.content ?? null;
  const lastMessage = messages[messages.length - 1];
  // Retry resends the last question: offered under the last answer, or
  // alone when a question got no stored answer (e.g. refused before it began).
  const canRetryLast = !live && !!lastQuestion && !!lastMessage;

  function setFeedback(message: Message, feedback: Feedback) {
    client.setQueryData<ConversationWithMessages>(["conversation", message.conversation_id], (old) =>
      old ? { ...old, messages: old.messages.map((m) => (m.id === message.id ? { ...m, feedback } : m)) } : old,
    );
  }

  const current = conversation.data?.conversation;
  const showUserEcho = live && !(live.userMessage && messages.some((m) => m.id === live.userMessage!.id));

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

        {/* Announce the answer's start and end, not every streamed word. */}
        <p className="visually-hidden" role="status">
          {busy ? "The coach is answering." : live?.state === "failed" ? "The answer failed." : ""}
        </p>
        <div className="messages" aria-busy={busy}>
          {conversationId && conversation.isPending && <Loading label="Loading conversation…" />}
          <ErrorNote error={conversation.error} onRetry={() => conversation.refetch()} />
          {!conversationId && !live && (
            <Empty title={`Hello${me ? `, ${me.person.display_name}` : ""}. What would you like to work on?`}>
              <p>Ask a question; the coach answers from your organisation's material and shows its sources.</p>
            </Empty>
          )}
          {messages.map((m, i) => (
            <MessageView
              key={m.id}
              message={m}
              onCite={setCitation}
              onFeedback={setFeedback}
              onRetry={
                canRetryLast && m.role === "assistant" && i === messages.length - 1
                  ? () => lastQuestion && ask(lastQuestion)
                  : undefined
              }
            />
          ))}
          {canRetryLast && lastMessage?.role === "user" && (
            <div className="message">
              <button type="button" onClick={() => lastQuestion && ask(lastQuestion)}>
                Retry
              </button>
            </div>
          )}
          {live && showUserEcho && (
            <article className="message user" aria-label="You said">
              <div className="bubble">{live.question}</div>
            </article>
          )}
          {live && (
            <article className="message assistant streaming" aria-label="Coach is answering">
              {(live.text || live.state === "streaming") && (
                <div className="bubble">
                  {live.text ? (
                    <Markdown text={live.text} citations={live.sources} onCite={setCitation} />
                  ) : (
                    <span className="typing">Thinking…</span>
                  )}
                </div>
              )}
              {live.state === "failed" && (
                <div className="error-note" role="alert">
                  <span>{describeError(live.error)}</span>
                  <button type="button" onClick={() => ask(live.question)}>
                    Retry
                  </button>
                </div>
              )}
            </article>
          )}
          <div ref={endRef} />
        </div>

        {lastError != null && !live && (
          <div className="composer-error">
            <ErrorNote error={lastError} />
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
            placeholder="Ask the coach…"
            aria-describedby="question-hint"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onKeyDown}
          />
          <span id="question-hint" className="visually-hidden">
            Enter sends; Shift+Enter starts a new line.
          </span>
          {busy ? (
            <button type="button" className="danger" onClick={() => abortRef.current?.abort()}>
              Stop
            </button>
          ) : (
            <button type="submit" className="primary" disabled={!draft.trim()}>
              Send
            </button>
          )}
        </form>
      </section>
      <CitationDialog citation={citation} onClose={() => setCitation(null)} />
    </div>
  );
}
