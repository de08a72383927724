// An interview's transcript as a chat: the interviewer's questions on one
// side, the learner's answers on the other. While the interview runs, its last
// question is marked as the one to answer now. A summary's citation points at
// a turn by its seq: that turn is highlighted, scrolled to and focused.

import { useEffect, useRef, type ReactNode } from "react";
import type { InterviewTurn } from "../../api/interviews";
import { formatTime } from "../../lib/format";

export function turnElementId(seq: number): string {
  return `interview-turn-${seq}`;
}

/** "Answer 2": the learner's answers numbered in order, by seq. */
export function answerNumbers(transcript: InterviewTurn[]): Map<number, number> {
  const numbers = new Map<number, number>();
  for (const turn of transcript) if (turn.role === "user") numbers.set(turn.seq, numbers.size + 1);
  return numbers;
}

export function Transcript({
  transcript,
  learnerName,
  currentQuestionId,
  highlighted,
  questionExtra,
}: {
  transcript: InterviewTurn[];
  /** "You" for the learner themselves, their name for others. */
  learnerName: string;
  /** While it runs: the id the current question's text gets (the answer box points at it). */
  currentQuestionId: string | null;
  /** The turn a citation points at, highlighted and focused. */
  highlighted: { seq: number; at: number } | null;
  /** Beside the current question (e.g. "Read aloud"). */
  questionExtra?: ReactNode;
}) {
  const listRef = useRef<HTMLOListElement>(null);
  const numbers = answerNumbers(transcript);
  const last = transcript[transcript.length - 1];
  const current = currentQuestionId && last?.role === "assistant" ? last.seq : null;

  useEffect(() => {
    if (!highlighted) return;
    const element = document.getElementById(turnElementId(highlighted.seq));
    element?.scrollIntoView?.({ block: "center" });
    element?.focus({ preventScroll: true });
  }, [highlighted]);

  return (
    <ol className="interview-transcript" aria-label="Transcript" ref={listRef}>
      {transcript.map((turn) => {
        const learner = turn.role === "user";
        const isCurrent = turn.seq === current;
        const who = learner ? learnerName : "Interviewer";
        const number = numbers.get(turn.seq);
        const classes = [
          "interview-turn",
          learner ? "interview-turn-learner" : "interview-turn-interviewer",
          isCurrent ? "interview-turn-current" : "",
          highlighted?.seq === turn.seq ? "interview-turn-highlighted" : "",
        ].filter(Boolean);
        return (
          <li key={turn.seq} id={turnElementId(turn.seq)} data-seq={turn.seq} tabIndex={-1} className={classes.join(" ")}>
            <p className="interview-turn-who">
              <span>{who}</span>
              {number !== undefined && <span className="interview-turn-number">answer {number}</span>}
              {isCurrent && <span className="tag">Now</span>}
              <time className="muted" dateTime={turn.created_at}>
                {formatTime(turn.created_at)}
              </time>
            </p>
            <div className="interview-bubble" id={isCurrent ? (currentQuestionId ?? undefined) : undefined}>
              {turn.content}
            </div>
            {isCurrent && questionExtra}
          </li>
        );
      })}
    </ol>
  );
}
