//! Spoken answers for guided interviews. A learner may answer a question by voice: the browser
//! records WebM or Ogg (Opus) with MediaRecorder, other clients send WAV. [`inspect`] checks such
//! a recording from its bytes alone — which container it is, how long it lasts, whether a WAV is
//! silent — before [`SpeechClient`] sends it to any OpenAI-compatible speech-to-text endpoint
//! (`POST {base_url}/audio/transcriptions`: OpenAI, faster-whisper servers, whisper.cpp's server,
//! vLLM) and, when a speech model is configured, has questions read aloud through
//! `POST {base_url}/audio/speech`. Retries, timeouts and provider messages work as for the chat
//! model (`wayfinder-provider-http`). With the `fake` feature, `fake::FakeSpeech` is a scripted
//! local server for tests at the network edge.

#![forbid(unsafe_code)]

mod audio;
mod client;
mod error;
#[cfg(feature = "fake")]
pub mod fake;

pub use audio::{AudioError, AudioFormat, AudioInfo, AudioLevel, AudioLimits, SILENCE_DBFS, inspect, write_wav};
pub use client::{
    DEFAULT_VOICE, MAX_BACKOFF, MAX_RETRY_AFTER, MAX_SPEECH_CHARS, Speech, SpeechClient, SpeechConfig, Transcript,
};
pub use error::SpeechError;
