//! A chat model seen through the organisation's privacy setting: what it is sent has personal
//! data replaced by placeholders ([`Redactor`]), and what it answers has them put back, the
//! streamed pieces included. Every call of one turn shares the placeholders.

use async_trait::async_trait;
use futures::{StreamExt, stream::BoxStream};
use std::sync::{Arc, Mutex, PoisonError};
use wayfinder_coach_rules::{Redactor, StreamRestorer};
use wayfinder_llm::{ChatError, ChatModel, ChatRequest, Completion, StreamEvent};

pub(crate) struct RedactingModel {
    inner: Arc<dyn ChatModel>,
    redactor: Arc<Mutex<Redactor>>,
}

impl RedactingModel {
    pub(crate) fn new(inner: Arc<dyn ChatModel>, redactor: Redactor) -> RedactingModel {
        RedactingModel { inner, redactor: Arc::new(Mutex::new(redactor)) }
    }

    fn redacted(&self, req: &ChatRequest) -> ChatRequest {
        let mut redactor = self.redactor.lock().unwrap_or_else(PoisonError::into_inner);
        let mut req = req.clone();
        for message in &mut req.messages {
            message.content = redactor.redact(&message.content);
        }
        req
    }

    fn restored(&self, mut done: Completion) -> Completion {
        done.content = self.redactor.lock().unwrap_or_else(PoisonError::into_inner).restore(&done.content);
        done
    }
}

#[async_trait]
impl ChatModel for RedactingModel {
    fn model_id(&self) -> &str {
        self.inner.model_id()
    }

    async fn complete(&self, req: &ChatRequest) -> Result<Completion, ChatError> {
        let done = self.inner.complete(&self.redacted(req)).await?;
        Ok(self.restored(done))
    }

    async fn stream(&self, req: &ChatRequest) -> Result<BoxStream<'static, Result<StreamEvent, ChatError>>, ChatError> {
        let inner = self.inner.stream(&self.redacted(req)).await?;
        let redactor = self.redactor.clone();
        let mut restorer = StreamRestorer::default();
        let events = inner.flat_map(move |event| {
            let redactor = redactor.lock().unwrap_or_else(PoisonError::into_inner);
            let out: Vec<Result<StreamEvent, ChatError>> = match event {
                Ok(StreamEvent::Delta(piece)) => {
                    let shown = restorer.push(&redactor, &piece);
                    if shown.is_empty() { Vec::new() } else { vec![Ok(StreamEvent::Delta(shown))] }
                }
                Ok(StreamEvent::Done(mut done)) => {
                    let rest = restorer.finish(&redactor);
                    done.content = redactor.restore(&done.content);
                    let mut out = Vec::new();
                    if !rest.is_empty() {
                        out.push(Ok(StreamEvent::Delta(rest)));
                    }
                    out.push(Ok(StreamEvent::Done(done)));
                    out
                }
                Err(ChatError::Interrupted { partial, message }) => {
                    vec![Err(ChatError::Interrupted { partial: redactor.restore(&partial), message })]
                }
                Err(other) => vec![Err(other)],
            };
            futures::stream::iter(out)
        });
        Ok(events.boxed())
    }
}
