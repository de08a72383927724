//! An OpenAI-compatible face for the coaches, so OpenAI SDKs and existing
//! chat front ends can talk to them: `GET /v1/models` lists the coaches the
//! API token's owner may use (each coach is a model, named by its id), and
//! `POST /v1/chat/completions` answers through the coach pipeline, streamed
//! or not, with the validated citations in an extra `citations` field.
//! Errors use OpenAI's shape (`{"error": {"message", "type", "code"}}`).

use crate::error::ErrorCode;
use crate::{auth::Principal, authz::OrgScope, error::ApiError, json::parse_json, state::AppState};
use axum::{
    Json,
    body::Bytes,
    extract::State,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::convert::Infallible;
use tokio::sync::mpsc;
use wayfinder_accounts_rules::policy::OrgAction;
use wayfinder_channels_rules::Channel;
use wayfinder_coach::{Citation, Coach, Thread, TurnEvent, TurnInput};
use wayfinder_coach_rules::{CoachId, Turn, TurnRole};

/// An error in OpenAI's shape, with our stable code and its status.
fn openai_error(code: ErrorCode, message: impl Into<String>) -> Response {
    let status = code.status();
    let kind = match status.as_u16() {
        401 => "authentication_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    };
    (status, Json(json!({ "error": { "message": message.into(), "type": kind, "code": code } }))).into_response()
}

fn from_api(e: ApiError) -> Response {
    openai_error(e.code, e.message)
}

/// The coaches the caller may use, across their organisations.
async fn usable_coaches(state: &AppState, principal: &Principal) -> Result<Vec<Coach>, ApiError> {
    let mut all = Vec::new();
    for (org, _) in state.store.orgs_of(principal.person.id).await? {
        all.extend(state.coaching.coaches(org.id).await?);
    }
    Ok(all)
}

/// `GET /v1/models`: each coach the caller may talk to.
pub async fn list_models(State(state): State<AppState>, principal: Result<Principal, ApiError>) -> Response {
    let principal = match principal {
        Ok(p) => p,
        Err(e) => return from_api(e),
    };
    match usable_coaches(&state, &principal).await {
        Ok(coaches) => {
            let data: Vec<Value> = coaches
                .iter()
                .map(|c| {
                    json!({ "id": c.id.to_string(), "object": "model", "created": c.created_at.timestamp(),
                            "owned_by": "wayfinder", "name": c.name })
                })
                .collect();
            Json(json!({ "object": "list", "data": data })).into_response()
        }
        Err(e) => from_api(e),
    }
}

#[derive(Deserialize)]
struct WireMessage {
    role: String,
    content: Value,
}

#[derive(Deserialize)]
struct CompletionRequest {
    model: String,
    messages: Vec<WireMessage>,
    #[serde(default)]
    stream: bool,
}

/// Text of an OpenAI message `content` (a string or a list of text parts).
fn text_of(content: &Value) -> Option<String> {
    match content {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter(|p| p["type"] == "text")
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// `POST /v1/chat/completions`: the last user message is the question, the
/// earlier ones the history; system messages are ignored (the coach has its own).
pub async fn chat_completions(
    State(state): State<AppState>,
    principal: Result<Principal, ApiError>,
    body: Bytes,
) -> Response {
    let principal = match principal {
        Ok(p) => p,
        Err(e) => return from_api(e),
    };
    let request: CompletionRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(e) => return from_api(e),
    };
    // An unknown coach and another organisation's coach look the same.
    let no_such_model = || openai_error(ErrorCode::ModelNotFound, "no such model: use an id from /v1/models");
    let Ok(coach_id) = request.model.parse::<CoachId>() else { return no_such_model() };
    let Ok(coach) = state.store.coach_anywhere(coach_id).await else { return no_such_model() };
    let Ok(scope) = OrgScope::load(&state, &principal, coach.org).await else { return no_such_model() };
    if let Err(e) = scope.require(OrgAction::UseCoach) {
        return from_api(e);
    }
    let mut turns = Vec::new();
    for m in &request.messages {
        let Some(text) = text_of(&m.content) else {
            return openai_error(ErrorCode::InvalidBody, "message content must be text");
        };
        match m.role.as_str() {
            "user" => turns.push(Turn { role: TurnRole::User, content: text }),
            "assistant" => turns.push(Turn { role: TurnRole::Assistant, content: text }),
            "system" | "developer" | "tool" => {}
            other => {
                return openai_error(ErrorCode::InvalidBody, format!("unknown message role {other:?}"));
            }
        }
    }
    let question = match turns.pop() {
        Some(Turn { role: TurnRole::User, content }) => content,
        _ => return openai_error(ErrorCode::InvalidBody, "the last message must be from the user"),
    };
    let input = TurnInput {
        org: coach.org,
        person: principal.person.id,
        coach: coach.into(),
        thread: Thread::Stateless(turns),
        question,
        channel: Channel::Web,
    };
    let events = match state.coaching.answer(input).await {
        Ok(events) => events,
        Err(e) => return from_api(e.into()),
    };
    let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
    let created = chrono::Utc::now().timestamp();
    if request.stream {
        stream_completion(events, id, created, request.model).await
    } else {
        whole_completion(events, id, created, request.model).await
    }
}

fn chunk(id: &str, created: i64, model: &str, delta: Value, finish: Option<&str>) -> Value {
    json!({ "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }] })
}

async fn stream_completion(events: mpsc::Receiver<TurnEvent>, id: String, created: i64, model: String) -> Response {
    struct Progress {
        rx: mpsc::Receiver<TurnEvent>,
        started: bool,
        finished: bool,
        streamed: String,
    }
    let progress = Progress { rx: events, started: false, finished: false, streamed: String::new() };
    let stream = futures::stream::unfold(progress, move |mut p| {
        let (id, model) = (id.clone(), model.clone());
        async move {
            if p.finished {
                return None;
            }
            let mut out: Vec<Event> = Vec::new();
            if !p.started {
                p.started = true;
                out.push(
                    Event::default()
                        .data(chunk(&id, created, &model, json!({ "role": "assistant" }), None).to_string()),
                );
            }
            loop {
                match p.rx.recv().await {
                    Some(TurnEvent::Delta(text)) => {
                        p.streamed.push_str(&text);
                        out.push(
                            Event::default()
                                .data(chunk(&id, created, &model, json!({ "content": text }), None).to_string()),
                        );
                        break;
                    }
                    Some(TurnEvent::Done(message)) => {
                        // Citation checks may have edited the text; the final chunk carries the stored answer.
                        let mut last = chunk(&id, created, &model, json!({}), Some("stop"));
                        last["citations"] = json!(message.citations);
                        last["wayfinder"] = json!({ "content": message.content, "kind": message.kind,
                                                    "confidence": message.confidence });
                        last["usage"] = json!({ "prompt_tokens": message.input_tokens,
                            "completion_tokens": message.output_tokens,
                            "total_tokens": message.input_tokens + message.output_tokens });
                        out.push(Event::default().data(last.to_string()));
                        out.push(Event::default().data("[DONE]"));
                        p.finished = true;
                        break;
                    }
                    Some(TurnEvent::Failed { failure, message, .. }) => {
                        let code = ErrorCode::from(failure);
                        out.push(Event::default().data(
                            json!({ "error": { "message": message, "type": "api_error", "code": code } }).to_string(),
                        ));
                        p.finished = true;
                        break;
                    }
                    // A stateless turn is never held.
                    Some(TurnEvent::User(_) | TurnEvent::Sources(_) | TurnEvent::Held(_)) => continue,
                    None => {
                        p.finished = true;
                        break;
                    }
                }
            }
            Some((futures::stream::iter(out.into_iter().map(Ok::<_, Infallible>)), p))
        }
    });
    use futures::StreamExt;
    Sse::new(stream.flatten()).keep_alive(KeepAlive::default()).into_response()
}

async fn whole_completion(mut events: mpsc::Receiver<TurnEvent>, id: String, created: i64, model: String) -> Response {
    while let Some(event) = events.recv().await {
        match event {
            TurnEvent::Done(message) => {
                let citations: Vec<Citation> = message.citations.clone();
                return Json(json!({
                    "id": id, "object": "chat.completion", "created": created, "model": model,
                    "choices": [{ "index": 0, "message": { "role": "assistant", "content": message.content },
                                  "finish_reason": "stop" }],
                    "usage": { "prompt_tokens": message.input_tokens, "completion_tokens": message.output_tokens,
                               "total_tokens": message.input_tokens + message.output_tokens },
                    "citations": citations,
                    "wayfinder": { "kind": message.kind, "confidence": message.confidence,
                                   "confidence_level": message.confidence_level },
                }))
                .into_response();
            }
            TurnEvent::Failed { failure, message, .. } => return openai_error(failure.into(), message),
            _ => {}
        }
    }
    openai_error(ErrorCode::Internal, "the answer ended without a result")
}
