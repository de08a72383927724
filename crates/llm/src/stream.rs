//! A streamed answer: SSE chunks in, `StreamEvent`s out. Until its first piece of text (`begin`)
//! a failure is reported as a `Cut` the caller may retry, since nothing reached the user yet; from
//! then on it is an `Interrupted` item carrying the text received so far.

use std::collections::VecDeque;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::sse::SseParser;
use crate::wire::ChunkBody;
use crate::{ChatError, Completion, StreamEvent, Usage, estimate_tokens};
use wayfinder_provider_http::{describe, error_value_message};

type Event = Result<StreamEvent, ChatError>;

/// Why a stream stopped short.
#[derive(Debug)]
pub(crate) enum Cut {
    /// The connection broke.
    Broken(String),
    /// Nothing arrived for the idle timeout.
    Silent(Duration),
    /// The body ended without `[DONE]` or a finish reason.
    Ended,
    /// An event was not a chunk.
    Malformed(String),
    /// The provider sent an error event.
    Provider(String),
}

impl Cut {
    pub(crate) fn message(&self) -> String {
        match self {
            Cut::Broken(cause) => format!("the connection broke: {cause}"),
            Cut::Silent(timeout) => format!("no data for {timeout:?}"),
            Cut::Ended => "the stream ended before the answer was complete".to_owned(),
            Cut::Malformed(cause) => format!("malformed chunk ({cause})"),
            Cut::Provider(message) => format!("the provider reported an error: {message}"),
        }
    }
}

pub(crate) struct AnswerStream {
    body: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    parser: SseParser,
    /// Events decoded but not yet handed out: one network chunk may hold several.
    pending: VecDeque<Event>,
    text: String,
    model: String,
    usage: Option<Usage>,
    finish_reason: Option<String>,
    /// Set once `Done` or an error is queued; nothing follows it.
    finished: bool,
    /// Why it failed, while the failure has not been handed out.
    cut: Option<Cut>,
    /// Whether the answer reached the caller (failures are logged here only from then on).
    begun: bool,
    idle_timeout: Duration,
    /// Estimated prompt tokens, for a provider that reports no usage.
    input_estimate: u32,
    log_url: String,
}

impl AnswerStream {
    pub(crate) fn new(
        body: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
        model: String,
        input_estimate: u32,
        idle_timeout: Duration,
        log_url: String,
    ) -> Self {
        AnswerStream {
            body,
            parser: SseParser::default(),
            pending: VecDeque::new(),
            text: String::new(),
            model,
            usage: None,
            finish_reason: None,
            finished: false,
            cut: None,
            begun: false,
            idle_timeout,
            input_estimate,
            log_url,
        }
    }

    /// Reads until the first piece of text (or the end of an empty answer); a failure before
    /// that is returned rather than queued, for the caller to retry.
    pub(crate) async fn begin(&mut self) -> Result<(), Cut> {
        loop {
            match self.pending.front() {
                Some(Ok(_)) => return Ok(()),
                Some(Err(_)) => {
                    self.pending.clear();
                    return Err(self.cut.take().unwrap_or(Cut::Ended));
                }
                None => self.read_more().await,
            }
        }
    }

    /// The events; call after `begin` succeeded. Dropping the stream closes the connection.
    pub(crate) fn into_stream(mut self) -> BoxStream<'static, Event> {
        self.begun = true;
        futures::stream::unfold(self, |mut answer| async move { answer.next_event().await.map(|e| (e, answer)) })
            .boxed()
    }

    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            if self.finished {
                return None;
            }
            self.read_more().await;
        }
    }

    /// Reads the next network chunk and queues what it completes.
    async fn read_more(&mut self) {
        match tokio::time::timeout(self.idle_timeout, self.body.next()).await {
            Ok(Some(Ok(chunk))) => self.feed(&chunk),
            Ok(Some(Err(e))) => self.fail(Cut::Broken(describe(&e))),
            Ok(None) => self.end(),
            Err(_elapsed) => self.fail(Cut::Silent(self.idle_timeout)),
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        for data in self.parser.feed(chunk) {
            if self.finished {
                return;
            }
            self.on_event(&data);
        }
    }

    fn on_event(&mut self, data: &str) {
        match data.trim() {
            "[DONE]" => return self.complete(),
            "" => return, // an empty event, used by some servers as keep-alive
            _ => {}
        }
        let chunk: ChunkBody = match serde_json::from_str(data) {
            Ok(chunk) => chunk,
            Err(e) => return self.fail(Cut::Malformed(e.to_string())),
        };
        if let Some(error) = &chunk.error {
            let message = error_value_message(error).unwrap_or_else(|| error.to_string());
            return self.fail(Cut::Provider(message));
        }
        if let Some(model) = chunk.model.filter(|m| !m.is_empty()) {
            self.model = model;
        }
        if let Some(usage) = chunk.usage.as_ref().and_then(|u| u.reported()) {
            self.usage = Some(usage);
        }
        // Only one answer is asked for; other indices would come from `n > 1`.
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            if let Some(content) = choice.delta.and_then(|d| d.content).filter(|c| !c.is_empty()) {
                self.text.push_str(&content);
                self.pending.push_back(Ok(StreamEvent::Delta(content)));
            }
            if choice.finish_reason.is_some() {
                self.finish_reason = choice.finish_reason;
            }
        }
    }

    /// The body ended: complete if the answer said it was finished, else it was cut off.
    fn end(&mut self) {
        if let Some(data) = self.parser.finish() {
            self.on_event(&data);
        }
        if self.finished {
            return;
        }
        if self.finish_reason.is_some() {
            self.complete();
        } else {
            self.fail(Cut::Ended);
        }
    }

    fn complete(&mut self) {
        let usage = self.usage.unwrap_or_else(|| Usage {
            input_tokens: self.input_estimate,
            output_tokens: estimate_tokens(&self.text),
            reported: false,
        });
        let completion = Completion {
            content: std::mem::take(&mut self.text),
            model: std::mem::take(&mut self.model),
            usage,
            finish_reason: self.finish_reason.take(),
        };
        self.pending.push_back(Ok(StreamEvent::Done(completion)));
        self.finished = true;
    }

    fn fail(&mut self, cut: Cut) {
        let message = cut.message();
        if self.begun {
            tracing::warn!(url = %self.log_url, model = %self.model, received_chars = self.text.chars().count(),
                error = %message, "chat stream interrupted");
        }
        self.pending.push_back(Err(ChatError::Interrupted { partial: std::mem::take(&mut self.text), message }));
        self.cut = Some(cut);
        self.finished = true;
    }
}
