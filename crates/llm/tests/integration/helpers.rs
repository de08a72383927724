use std::time::{Duration, Instant};

use futures::StreamExt;
use wayfinder_llm::fake::FakeOpenAi;
use wayfinder_llm::{
    ChatError, ChatMessage, ChatModel, ChatRequest, Completion, OpenAiChat, OpenAiConfig, StreamEvent,
};

/// A client for the fake, with `adjust` applied to its default test configuration.
pub fn client(fake: &FakeOpenAi, adjust: impl FnOnce(&mut OpenAiConfig)) -> OpenAiChat {
    let mut config = fake.config();
    adjust(&mut config);
    OpenAiChat::new(config).expect("a valid configuration")
}

/// A small conversation: 5 words of system prompt, 4 of question.
pub fn question() -> ChatRequest {
    ChatRequest::new(vec![ChatMessage::system("You are a patient coach."), ChatMessage::user("What is a monad?")])
}

/// What a stream produced: each delta with when it arrived, then how it ended.
pub struct Streamed {
    pub deltas: Vec<(String, Instant)>,
    pub end: Result<Completion, ChatError>,
    /// Items after `Done` or the error (must be none).
    pub trailing: usize,
}

impl Streamed {
    pub fn text(&self) -> String {
        self.deltas.iter().map(|(d, _)| d.as_str()).collect()
    }

    pub fn delta_texts(&self) -> Vec<&str> {
        self.deltas.iter().map(|(d, _)| d.as_str()).collect()
    }
}

/// Opens a stream and reads it to the end.
pub async fn stream_all(model: &impl ChatModel, req: &ChatRequest) -> Result<Streamed, ChatError> {
    let mut stream = model.stream(req).await?;
    let mut deltas = Vec::new();
    let end = loop {
        // A broken idle timeout must fail the test, not hang it.
        let next = tokio::time::timeout(Duration::from_secs(20), stream.next()).await.expect("the stream hung");
        match next {
            Some(Ok(StreamEvent::Delta(delta))) => deltas.push((delta, Instant::now())),
            Some(Ok(StreamEvent::Done(completion))) => break Ok(completion),
            Some(Err(error)) => break Err(error),
            None => panic!("the stream ended without Done or an error"),
        }
    };
    let trailing = tokio::time::timeout(Duration::from_secs(5), stream.count()).await.expect("the stream ends");
    Ok(Streamed { deltas, end, trailing })
}
