// Speaking an interview's answers: the interview's voice socket
// (`/api/v1/orgs/{org}/interviews/{id}/voice`, same origin, the session cookie
// signs it in) and the browser's recorder. The server says on opening whether
// it can transcribe and read aloud; a recording goes out as the recorder's
// chunks (binary frames) and `{"type":"end"}` when the learner stops, and the
// transcript (or why there is none) comes back, for the learner to confirm
// before it is sent as an answer. A dropped socket is opened again with
// backoff: the interview itself lives on the server, only a recording under
// way is lost.

import { useCallback, useEffect, useRef, useState } from "react";

/** What the server sends. */
export type VoiceServerFrame =
  | { type: "ready"; transcription: boolean; speech: boolean; max_seconds: number; max_bytes: number }
  | { type: "transcript"; text: string; duration_ms: number }
  | { type: "error"; code: string; message: string };

/** What the client sends as text (recordings go as binary frames). */
type VoiceClientFrame = { type: "end" } | { type: "cancel" };

export interface VoiceAbilities {
  transcription: boolean;
  speech: boolean;
  maxSeconds: number;
  maxBytes: number;
}

/** `connecting`: opening (or re-opening) the socket; `ready`: the server said what it can do; `waiting`: dropped, trying again soon. */
export type VoiceLink = "connecting" | "ready" | "waiting";

const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** How often the recorder hands over what it recorded. */
const TIMESLICE_MS = 250;
/** Containers the server reads, best first (Chromium writes WebM, Firefox Ogg). */
const RECORDING_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/ogg"];

/** One interview's voice socket, reopened with backoff until closed. */
class VoiceSocket {
  private socket: WebSocket | null = null;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly onFrame: (frame: VoiceServerFrame) => void,
    private readonly onLink: (link: VoiceLink, retryInMs?: number) => void,
  ) {
    this.connect();
  }

  private connect() {
    if (this.closed) return;
    this.onLink("connecting");
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => {
      if (this.socket !== socket || typeof event.data !== "string") return;
      let frame: VoiceServerFrame;
      try {
        frame = JSON.parse(event.data) as VoiceServerFrame;
      } catch {
        return;
      }
      if (frame.type === "ready") {
        this.attempts = 0;
        this.onLink("ready");
      }
      this.onFrame(frame);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.retry();
    };
  }

  private retry() {
    if (this.closed || this.timer) return;
    const wait = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempts);
    this.attempts++;
    this.onLink("waiting", wait);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, wait);
  }

  /** Comes back at once (the browser is online again, or the learner asked). */
  now() {
    if (this.closed || this.socket) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.attempts = 0;
    this.connect();
  }

  get open(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  send(data: Blob | VoiceClientFrame): boolean {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(data instanceof Blob ? data : JSON.stringify(data));
    return true;
  }

  close() {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onmessage = socket.onclose = null;
      socket.close();
    }
  }
}

/** `idle`: nothing under way; `starting`: asking for the microphone; `recording`; `transcribing`: waiting for the transcript. */
export type VoicePhase = "idle" | "starting" | "recording" | "transcribing";

export interface VoiceState {
  link: VoiceLink;
  /** When the link is `waiting`, when it tries again (ms since the epoch). */
  retryAt: number | null;
  /** What the server can do (known once it said so; kept while it reconnects). */
  abilities: VoiceAbilities | null;
  phase: VoicePhase;
  /** When the recording started (ms since the epoch). */
  startedAt: number | null;
  /** The last transcript, for the learner to confirm. */
  transcript: { text: string; durationMs: number } | null;
  /** Why the last recording gave no transcript, in words. */
  problem: string | null;
}

export interface Voice extends VoiceState {
  /** Recording is possible here: a recorder, and a server that transcribes. */
  canRecord: boolean;
  start: () => Promise<void>;
  /** Stops recording and asks for the transcript. */
  stop: () => void;
  /** Stops recording and forgets it. */
  cancel: () => void;
  /** The transcript was sent or discarded. */
  clearTranscript: () => void;
  reconnect: () => void;
}

function recordingType(): string | null {
  if (typeof MediaRecorder === "undefined") return null;
  return RECORDING_TYPES.find((t) => MediaRecorder.isTypeSupported(t)) ?? null;
}

function microphoneProblem(error: unknown): string {
  const name = error instanceof DOMException ? error.name : "";
  if (name === "NotAllowedError" || name === "SecurityError") {
    return "Wayfinder may not use your microphone. Allow it in your browser's settings, or type your answer.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return "No microphone was found. Connect one, or type your answer.";
  }
  return "The microphone could not be started. Try again, or type your answer.";
}

const INITIAL: VoiceState = {
  link: "connecting",
  retryAt: null,
  abilities: null,
  phase: "idle",
  startedAt: null,
  transcript: null,
  problem: null,
};

/**
 * The voice of interview `url` (its socket address) while `enabled`: the socket kept open, and
 * one recording at a time.
 */
export function useVoice(url: string, enabled: boolean): Voice {
  const [state, setState] = useState<VoiceState>(INITIAL);
  const socketRef = useRef<VoiceSocket | null>(null);
  const recorderRef = useRef<MediaRecorder | null>(null);
  const streamRef = useRef<MediaStream | null>(null);
  const phaseRef = useRef<VoicePhase>("idle");
  const limitTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const stopRef = useRef<() => void>(() => {});

  const set = useCallback((patch: Partial<VoiceState>) => {
    if (patch.phase) phaseRef.current = patch.phase;
    setState((s) => ({ ...s, ...patch }));
  }, []);

  /** Lets go of the microphone and the recorder, sending nothing more. */
  const release = useCallback(() => {
    if (limitTimer.current) clearTimeout(limitTimer.current);
    limitTimer.current = null;
    const recorder = recorderRef.current;
    recorderRef.current = null;
    if (recorder) {
      recorder.ondataavailable = null;
      recorder.onstop = null;
      if (recorder.state !== "inactive") recorder.stop();
    }
    for (const track of streamRef.current?.getTracks() ?? []) track.stop();
    streamRef.current = null;
  }, []);

  useEffect(() => {
    if (!enabled) return;
    const socket = new VoiceSocket(
      url,
      (frame) => {
        if (frame.type === "ready") {
          set({
            abilities: {
              transcription: frame.transcription,
              speech: frame.speech,
              maxSeconds: frame.max_seconds,
              maxBytes: frame.max_bytes,
            },
          });
        } else if (frame.type === "transcript") {
          if (phaseRef.current !== "transcribing") return;
          set({ phase: "idle", startedAt: null, transcript: { text: frame.text, durationMs: frame.duration_ms }, problem: null });
        } else if (frame.type === "error") {
          // A refusal mid-recording (too large) ends the recording too.
          if (phaseRef.current === "recording") release();
          set({ phase: "idle", startedAt: null, problem: frame.message ? sentence(frame.message) : "That recording could not be used." });
        }
      },
      (link, retryInMs) => {
        const lost = link !== "ready" && (phaseRef.current === "recording" || phaseRef.current === "transcribing");
        if (lost) release();
        setState((s) => ({
          ...s,
          link,
          retryAt: retryInMs ? Date.now() + retryInMs : null,
          ...(lost
            ? {
                phase: "idle" as const,
                startedAt: null,
                problem: "The connection to Wayfinder dropped, so that recording was lost. Record your answer again once it is back, or type it.",
              }
            : {}),
        }));
        if (lost) phaseRef.current = "idle";
      },
    );
    socketRef.current = socket;
    const online = () => socket.now();
    window.addEventListener("online", online);
    return () => {
      window.removeEventListener("online", online);
      release();
      socket.close();
      socketRef.current = null;
      phaseRef.current = "idle";
      setState(INITIAL);
    };
  }, [url, enabled, set, release]);

  const start = useCallback(async () => {
    const socket = socketRef.current;
    if (!socket || phaseRef.current !== "idle") return;
    const type = recordingType();
    if (!type || !navigator.mediaDevices?.getUserMedia) {
      set({ problem: "This browser cannot record in a way Wayfinder reads (WebM or Ogg). Type your answer instead." });
      return;
    }
    set({ phase: "starting", problem: null, transcript: null });
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      set({ phase: "idle", problem: microphoneProblem(error) });
      return;
    }
    // Cancelled while the browser asked, or the socket dropped meanwhile (read again: it changes while awaiting).
    const phase = phaseRef.current as VoicePhase;
    if (phase !== "starting" || !socket.open) {
      for (const track of stream.getTracks()) track.stop();
      if (phase === "starting") set({ phase: "idle", problem: "The connection to Wayfinder is not up yet. Try again in a moment." });
      return;
    }
    streamRef.current = stream;
    const recorder = new MediaRecorder(stream, { mimeType: type });
    recorderRef.current = recorder;
    recorder.ondataavailable = (event) => {
      if (event.data.size > 0) socket.send(event.data);
    };
    recorder.onstop = () => {
      // The last chunk came just before: the recording is complete.
      for (const track of stream.getTracks()) track.stop();
      streamRef.current = null;
      recorderRef.current = null;
      if (socket.send({ type: "end" })) set({ phase: "transcribing" });
    };
    recorder.start(TIMESLICE_MS);
    set({ phase: "recording", startedAt: Date.now() });
    const maxSeconds = state.abilities?.maxSeconds ?? 0;
    if (maxSeconds > 0) limitTimer.current = setTimeout(() => stopRef.current(), maxSeconds * 1000 - 500);
  }, [set, state.abilities]);

  const stop = useCallback(() => {
    if (limitTimer.current) clearTimeout(limitTimer.current);
    limitTimer.current = null;
    const recorder = recorderRef.current;
    if (phaseRef.current !== "recording" || !recorder) return;
    set({ phase: "transcribing" });
    recorder.stop();
  }, [set]);
  stopRef.current = stop;

  const cancel = useCallback(() => {
    const wasRecording = phaseRef.current === "recording" || phaseRef.current === "transcribing";
    release();
    if (wasRecording) socketRef.current?.send({ type: "cancel" });
    set({ phase: "idle", startedAt: null });
  }, [release, set]);

  const clearTranscript = useCallback(() => set({ transcript: null, problem: null }), [set]);
  const reconnect = useCallback(() => socketRef.current?.now(), []);

  return {
    ...state,
    canRecord: state.link === "ready" && !!state.abilities?.transcription && recordingType() !== null,
    start,
    stop,
    cancel,
    clearTranscript,
    reconnect,
  };
}

function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** "0:07" */
export function elapsedLabel(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
