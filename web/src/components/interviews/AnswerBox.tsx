// Where the learner answers the current question: typed (Send), or spoken —
// the microphone records while they speak, Stop sends the recording to be
// transcribed, and what was heard comes back in a box of its own to check and
// fix before it is sent as the answer (never without their say). Without a
// speech-to-text service the microphone is off and says why; typing always
// works.

import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import type { Interview } from "../../api/interviews";
import { ErrorNote } from "../ui";
import { elapsedLabel, type Voice } from "../../lib/voice";
import { MicIcon } from "./icons";

const MAX_ANSWER = 4000;

function useTicker(running: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [running]);
  return now;
}

function VoiceControls({ voice, disabled }: { voice: Voice; disabled: boolean }) {
  const now = useTicker(voice.phase === "recording" || voice.link === "waiting");
  const hintId = useId();
  const stopRef = useRef<HTMLButtonElement>(null);
  const micRef = useRef<HTMLButtonElement>(null);
  const wasRecording = useRef(false);

  // The focus follows the control that matters: Stop while recording, the microphone after.
  useEffect(() => {
    if (voice.phase === "recording") {
      stopRef.current?.focus();
      wasRecording.current = true;
    } else if (voice.phase === "idle" && wasRecording.current && !voice.transcript) {
      wasRecording.current = false;
      micRef.current?.focus();
    } else if (voice.phase === "idle") {
      wasRecording.current = false;
    }
  }, [voice.phase, voice.transcript]);

  const noService = voice.link === "ready" && voice.abilities && !voice.abilities.transcription;
  let hint: string | null = null;
  if (noService) hint = "Speaking needs a speech-to-text service; ask your administrator.";
  else if (voice.link === "connecting" && !voice.abilities) hint = "Getting the microphone ready…";
  else if (voice.link === "waiting") {
    const seconds = voice.retryAt ? Math.max(1, Math.ceil((voice.retryAt - now) / 1000)) : null;
    hint = `Speaking is not available right now: reconnecting${seconds ? ` in ${seconds} s` : ""}. Typing still works.`;
  } else if (voice.link === "connecting") hint = "Reconnecting…";

  if (voice.phase === "recording" || voice.phase === "starting") {
    const elapsed = voice.startedAt ? now - voice.startedAt : 0;
    const max = voice.abilities?.maxSeconds;
    return (
      <div className="voice-recording" role="group" aria-label="Recording">
        <span className="voice-dot" aria-hidden="true" />
        <span>
          {voice.phase === "starting" ? "Starting the microphone…" : "Recording"}{" "}
          <span role="timer" aria-label="Time recorded" className="voice-elapsed">
            {elapsedLabel(elapsed)}
          </span>
          {max ? <span className="muted small"> of at most {elapsedLabel(max * 1000)}</span> : null}
        </span>
        <button type="button" className="primary" ref={stopRef} onClick={voice.stop} disabled={voice.phase !== "recording"}>
          Stop
        </button>
        <button type="button" onClick={voice.cancel}>
          Cancel
        </button>
      </div>
    );
  }
  return (
    <div className="voice-controls">
      <button
        type="button"
        ref={micRef}
        className="voice-mic"
        disabled={disabled || !voice.canRecord || voice.phase === "transcribing"}
        aria-describedby={hint ? hintId : undefined}
        onClick={() => void voice.start()}
      >
        <MicIcon />
        {voice.phase === "transcribing" ? "Listening to your recording…" : "Speak your answer"}
      </button>
      {hint && (
        <p className="hint voice-hint" id={hintId}>
          {hint}
          {voice.link === "waiting" && (
            <>
              {" "}
              <button type="button" className="link-button" onClick={voice.reconnect}>
                Try now
              </button>
            </>
          )}
        </p>
      )}
    </div>
  );
}

/** What was heard, to check and fix before it goes as the answer. */
function HeardBox({
  voice,
  disabled,
  sending,
  onSend,
}: {
  voice: Voice;
  disabled: boolean;
  sending: boolean;
  onSend: (text: string) => Promise<boolean>;
}) {
  const id = useId();
  const [text, setText] = useState(voice.transcript?.text ?? "");
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <form
      className="voice-heard"
      aria-label="Check what you said"
      onSubmit={async (e) => {
        e.preventDefault();
        if (text.trim() && (await onSend(text.trim()))) voice.clearTranscript();
      }}
    >
      <div className="field">
        <label htmlFor={id}>What we heard</label>
        <textarea
          id={id}
          ref={ref}
          rows={3}
          maxLength={MAX_ANSWER}
          value={text}
          aria-describedby={`${id}-hint`}
          onChange={(e) => setText(e.target.value)}
        />
        <p className="hint" id={`${id}-hint`}>
          Check it and fix any words that are wrong; it is sent only when you press Send this answer.
        </p>
      </div>
      <div className="actions">
        <button type="button" onClick={voice.clearTranscript}>
          Discard
        </button>
        <button type="submit" className="primary" disabled={disabled || sending || !text.trim()}>
          {sending ? "Sending…" : "Send this answer"}
        </button>
      </div>
    </form>
  );
}

export function AnswerBox({
  interview,
  questionId,
  voice,
  sending,
  error,
  onAnswer,
}: {
  interview: Interview;
  /** The element holding the current question (the answer box is described by it). */
  questionId: string;
  voice: Voice;
  sending: boolean;
  error: unknown;
  /** Sends an answer; resolves whether it was taken. */
  onAnswer: (text: string) => Promise<boolean>;
}) {
  const id = useId();
  const [draft, setDraft] = useState("");
  const paused = interview.status === "paused";

  async function submit(event?: FormEvent) {
    event?.preventDefault();
    const text = draft.trim();
    if (!text || sending) return;
    if (await onAnswer(text)) setDraft("");
  }

  function keyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
  }

  return (
    <div className="interview-answer">
      <form onSubmit={submit} aria-label="Answer the question" className="interview-answer-form">
        <div className="field">
          <label htmlFor={id}>Your answer</label>
          <textarea
            id={id}
            rows={3}
            maxLength={MAX_ANSWER}
            value={draft}
            disabled={paused}
            aria-describedby={`${questionId} ${id}-hint`}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={keyDown}
          />
          <p className="hint" id={`${id}-hint`}>
            Enter sends; Shift+Enter starts a new line.
          </p>
        </div>
        <div className="interview-answer-actions">
          <VoiceControls voice={voice} disabled={paused || sending} />
          <button type="submit" className="primary" disabled={paused || sending || !draft.trim()}>
            {sending ? "Sending…" : "Send"}
          </button>
        </div>
      </form>
      {voice.problem && (
        <p className="error-note voice-problem" role="alert">
          {voice.problem}
        </p>
      )}
      {voice.phase === "transcribing" && (
        <p className="muted small" role="status">
          Working out what you said…
        </p>
      )}
      {voice.transcript && (
        <HeardBox key={voice.transcript.text} voice={voice} disabled={paused} sending={sending} onSend={onAnswer} />
      )}
      <ErrorNote error={error} />
    </div>
  );
}
