// One message of a conversation. Assistant messages say what kind of answer
// they are (generated, extractive without a model, refusal, error), carry
// their sources and take feedback. A message a coach wrote in person (kind
// `human`, while they held the conversation) shows who wrote it and looks
// unlike the AI's answers.

import type { Citation, Feedback, Message } from "../../api/types";
import { pages } from "../../lib/format";
import { Markdown } from "./Markdown";
import { FeedbackBar } from "./Feedback";
import { useOrgId, useSession } from "../../session";
import { PracticeButton, useStartPractice } from "../learning/PracticeButton";
import "../../styles/live.css";

export function SourceList({ citations, onCite }: { citations: Citation[]; onCite: (c: Citation) => void }) {
  if (citations.length === 0) return null;
  return (
    <details className="sources">
      <summary>
        {citations.length} {citations.length === 1 ? "source" : "sources"}
      </summary>
      <ol>
        {citations.map((c) => {
          const where = [c.section !== c.document_title ? c.section : null, pages(c.page_start, c.page_end)].filter(
            Boolean,
          );
          return (
            <li key={c.number} value={c.number}>
              <button type="button" className="link-button" onClick={() => onCite(c)}>
                {c.document_title}
              </button>
              {where.length > 0 && <span className="muted"> — {where.join(", ")}</span>}
            </li>
          );
        })}
      </ol>
    </details>
  );
}

function KindLabel({ message }: { message: Message }) {
  switch (message.kind) {
    case "extractive":
      return (
        <p className="kind-label extractive">
          <strong>Quoted answer</strong> — put together from your organisation's documents without an AI model.
        </p>
      );
    case "check_feedback":
      return (
        <p className="kind-label check-feedback">
          <strong>Your answer, checked</strong> — it counts towards your mastery of the concept.
        </p>
      );
    case "refusal":
      return (
        <p className="kind-label refusal">
          <strong>No answer</strong> — the coach could not answer this from the material it has.
        </p>
      );
    case "error":
      return (
        <p className="kind-label error" role="alert">
          <strong>Something went wrong</strong> — the coach could not finish this answer.
        </p>
      );
    default:
      return null;
  }
}

/** "Practise this": the concept the answer taught, practised from its questions. */
function PracticeOffer({ offer }: { offer: NonNullable<Message["practice"]> }) {
  const org = useOrgId();
  const { me } = useSession();
  const start = useStartPractice(org, me!.person.id);
  return (
    <div className="practice-offer">
      <PracticeButton start={start} target={{ kind: "concept", concept_id: offer.concept_id }}>
        Practise {offer.concept_name}
      </PracticeButton>
    </div>
  );
}

/** What a coach (or admin) wrote in person, with their name. */
function HumanMessage({ message }: { message: Message }) {
  const { me } = useSession();
  const mine = !!me && message.author_id === me.person.id;
  const name = message.author_name || "Your coach";
  return (
    <article className="message human" aria-label={mine ? "You wrote" : `${name} wrote`}>
      <p className="human-author">
        <span className="human-name">{mine ? "You" : name}</span>
        <span className="human-tag">wrote in person</span>
      </p>
      <div className="bubble">{message.content}</div>
    </article>
  );
}

export function MessageView({
  message,
  readOnly,
  userLabel = "You said",
  onCite,
  onFeedback,
  onRetry,
}: {
  message: Message;
  readOnly?: boolean;
  /** How a question is announced: "You said" to its writer, "Lena said" to others. */
  userLabel?: string;
  onCite: (c: Citation) => void;
  onFeedback?: (message: Message, feedback: Feedback) => void;
  onRetry?: () => void;
}) {
  if (message.role === "user") {
    return (
      <article className="message user" aria-label={userLabel}>
        <div className="bubble">{message.content}</div>
      </article>
    );
  }
  if (message.kind === "human") return <HumanMessage message={message} />;
  return (
    <article className={`message assistant kind-${message.kind ?? "generated"}`} aria-label="Coach answered">
      <KindLabel message={message} />
      <div className="bubble">
        <Markdown text={message.content} citations={message.citations} onCite={onCite} />
        {!message.complete && message.kind !== "error" && (
          <p className="muted stopped">This answer stopped before it finished.</p>
        )}
      </div>
      <div className="message-meta">
        {message.confidence_level && (
          <span className={`confidence confidence-${message.confidence_level}`}>
            Confidence: {message.confidence_level}
          </span>
        )}
        <SourceList citations={message.citations} onCite={onCite} />
      </div>
      {!readOnly && (
        <div className="message-actions">
          {message.kind !== "error" && message.complete && (
            <FeedbackBar message={message} onSaved={(f) => onFeedback?.(message, f)} />
          )}
          {message.practice && <PracticeOffer offer={message.practice} />}
          {onRetry && (
            <button type="button" onClick={onRetry}>
              Retry
            </button>
          )}
        </div>
      )}
    </article>
  );
}
