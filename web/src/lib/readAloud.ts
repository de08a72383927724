// Reading an interview's question aloud: the server's speech endpoint when it
// has one (`question-audio`, a WAV of the current question, same origin), or
// else — and when that fails — the browser's own voice (`speechSynthesis`).

import { useCallback, useEffect, useRef, useState } from "react";

export interface ReadAloud {
  /** The browser has a voice of its own. */
  browserCanSpeak: boolean;
  speaking: boolean;
  /** Reads `text`; `audioUrl` is the server's recording of it, when it has a speech endpoint. */
  read: (text: string, audioUrl: string | null) => void;
  stop: () => void;
}

const browserVoice = () => (typeof window !== "undefined" && "speechSynthesis" in window ? window.speechSynthesis : null);

export function useReadAloud(): ReadAloud {
  const [speaking, setSpeaking] = useState(false);
  const audioRef = useRef<HTMLAudioElement | null>(null);

  const stop = useCallback(() => {
    const audio = audioRef.current;
    audioRef.current = null;
    if (audio) {
      audio.onended = audio.onerror = null;
      audio.pause();
    }
    browserVoice()?.cancel();
    setSpeaking(false);
  }, []);

  const speakInBrowser = useCallback((text: string) => {
    const voice = browserVoice();
    if (!voice || typeof SpeechSynthesisUtterance === "undefined") {
      setSpeaking(false);
      return;
    }
    voice.cancel();
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.onend = utterance.onerror = () => setSpeaking(false);
    setSpeaking(true);
    voice.speak(utterance);
  }, []);

  const read = useCallback(
    (text: string, audioUrl: string | null) => {
      stop();
      if (!audioUrl) {
        speakInBrowser(text);
        return;
      }
      const audio = new Audio(audioUrl);
      audioRef.current = audio;
      audio.onended = () => setSpeaking(false);
      // The server could not read it (not set up after all, or its speech service failed).
      audio.onerror = () => {
        if (audioRef.current === audio) {
          audioRef.current = null;
          speakInBrowser(text);
        }
      };
      setSpeaking(true);
      audio.play().catch(() => {
        if (audioRef.current === audio) {
          audioRef.current = null;
          speakInBrowser(text);
        }
      });
    },
    [stop, speakInBrowser],
  );

  useEffect(() => stop, [stop]);

  return { browserCanSpeak: browserVoice() !== null, speaking, read, stop };
}
