// Thumbs up or down on an answer; down asks why (reasons and a comment).

import { useState, type FormEvent } from "react";
import { useMutation } from "@tanstack/react-query";
import { conversations } from "../../api/endpoints";
import { FEEDBACK_REASONS, type Feedback, type FeedbackInput, type FeedbackReason, type Message } from "../../api/types";
import { ErrorNote } from "../ui";

/** A thumb icon drawn inline (emoji fonts are not everywhere). */
function Thumb({ down }: { down?: boolean }) {
  return (
    <svg
      width="18"
      height="18"
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className={down ? "thumb-down" : undefined}
    >
      <path
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinejoin="round"
        d="M7 10v11H3V10zM7 10l4-8c1.7 0 3 1.3 3 3v4h5.5c1.2 0 2.1 1.1 1.9 2.3l-1.4 8c-.2 1-1 1.7-2 1.7H7"
      />
    </svg>
  );
}

export function FeedbackBar({ message, onSaved }: { message: Message; onSaved: (feedback: Feedback) => void }) {
  const [feedback, setFeedback] = useState<Feedback | null>(message.feedback);
  const [asking, setAsking] = useState(false);
  const [reasons, setReasons] = useState<FeedbackReason[]>(message.feedback?.reasons ?? []);
  const [comment, setComment] = useState(message.feedback?.comment ?? "");
  const save = useMutation({
    mutationFn: (body: FeedbackInput) =>
      conversations.feedback(message.id, body),
    onSuccess: (saved) => {
      setFeedback(saved);
      setAsking(false);
      onSaved(saved);
    },
  });

  function submitDown(event: FormEvent) {
    event.preventDefault();
    save.mutate({ rating: "down", reasons, comment: comment.trim() || undefined });
  }

  return (
    <div className="feedback">
      <div className="feedback-buttons" role="group" aria-label="Rate this answer">
        <button
          type="button"
          className="icon-button"
          aria-pressed={feedback?.rating === "up"}
          aria-label="Helpful"
          title="Helpful"
          disabled={save.isPending}
          onClick={() => save.mutate({ rating: "up", reasons: [] })}
        >
          <Thumb />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-pressed={feedback?.rating === "down"}
          aria-expanded={asking}
          aria-label="Not helpful"
          title="Not helpful"
          onClick={() => setAsking((v) => !v)}
        >
          <Thumb down />
        </button>
        {feedback && !asking && (
          <span className="feedback-thanks" role="status">
            Thanks for the feedback.
          </span>
        )}
      </div>
      {asking && (
        <form className="feedback-form" onSubmit={submitDown}>
          <fieldset>
            <legend>What was wrong with this answer?</legend>
            <div className="checks">
              {FEEDBACK_REASONS.map((r) => (
                <label key={r.value} className="check">
                  <input
                    type="checkbox"
                    checked={reasons.includes(r.value)}
                    onChange={(e) =>
                      setReasons((old) => (e.target.checked ? [...old, r.value] : old.filter((x) => x !== r.value)))
                    }
                  />
                  {r.label}
                </label>
              ))}
            </div>
          </fieldset>
          <div className="field">
            <label htmlFor={`comment-${message.id}`}>Comment (optional)</label>
            <textarea
              id={`comment-${message.id}`}
              rows={2}
              value={comment}
              onChange={(e) => setComment(e.target.value)}
            />
          </div>
          <ErrorNote error={save.error} />
          <div className="actions">
            <button type="button" onClick={() => setAsking(false)}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={save.isPending}>
              Send feedback
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
