//! Live chat over WebSocket: a learner on one instance and their coach on
//! another (PostgreSQL `LISTEN/NOTIFY` between them; on SQLite both on the one
//! process), typing, presence, delivery and read receipts, the answer
//! streaming to the watching coach, the coach joining (the AI pauses, the
//! coach writes as themselves) and handing back, reconnection with resume and
//! no duplicates, and who may not follow or join.

use crate::{
    coach::{models, spawn, world_with_guide},
    helpers::*,
};
use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
use wayfinder_llm::fake::{FakeOpenAi, Script};

const WAIT: Duration = Duration::from_secs(20);

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A live connection, keeping every frame it received.
struct Live {
    socket: Socket,
    seen: Vec<Value>,
}

async fn token(client: &Client) -> String {
    let (status, created) = client.post("/tokens", json!({ "name": "live", "expires_in_days": 1 })).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["secret"].as_str().unwrap().to_string()
}

fn request(app: &TestApp, token: &str, origin: &str) -> tungstenite::handshake::client::Request {
    let mut request = format!("ws://{}/api/v1/live", app.addr).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request.headers_mut().insert("origin", origin.parse().unwrap());
    request
}

impl Live {
    async fn connect(app: &TestApp, token: &str) -> Live {
        let (socket, _) = tokio_tungstenite::connect_async(request(app, token, "http://wayfinder.test")).await.unwrap();
        let mut live = Live { socket, seen: Vec::new() };
        live.expect(|f| f["type"] == "hello").await;
        live
    }

    async fn send(&mut self, frame: Value) {
        self.socket.send(tungstenite::Message::Text(frame.to_string().into())).await.unwrap();
    }

    /// The next frame matching `pred` (frames before it are kept in `seen`).
    async fn expect(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no matching frame; seen {:#?}", self.seen))
                .expect("the connection stays open")
                .unwrap();
            if let tungstenite::Message::Text(text) = frame {
                let value: Value = serde_json::from_str(&text).unwrap();
                self.seen.push(value.clone());
                if pred(&value) {
                    return value;
                }
            }
        }
    }

    /// Every frame that arrives within `quiet` of the one before.
    async fn drain(&mut self, quiet: Duration) -> Vec<Value> {
        let mut frames = Vec::new();
        while let Ok(Some(Ok(tungstenite::Message::Text(text)))) = tokio::time::timeout(quiet, self.socket.next()).await
        {
            let value: Value = serde_json::from_str(&text).unwrap();
            self.seen.push(value.clone());
            frames.push(value);
        }
        frames
    }
}

fn is(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |f| f["type"] == kind
}

fn message_with_seq(seq: i64) -> impl Fn(&Value) -> bool {
    move |f| f["type"] == "message" && f["message"]["seq"] == seq
}

async fn learner_and_coach_live_across_instances(backend: Backend) {
    let llm = FakeOpenAi::start().await;
    let w = world_with_guide(spawn(backend, models(llm.base_url())).await).await;
    // On PostgreSQL the coach is on a second instance; SQLite runs one process.
    let peer = match backend {
        Backend::Postgres => Some(w.app.spawn_peer().await),
        Backend::Sqlite => None,
    };
    let coach_app = peer.as_ref().unwrap_or(&w.app);
    let (a, learner, coach) = (&w.org_a, &w.learner.client, &w.coach.client);
    let (learner_token, coach_token) = (token(learner).await, token(coach).await);
    let (status, conversation) = learner.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = conversation["id"].as_str().unwrap().to_string();

    // A page of another origin may not open a connection, nor may anyone unsigned.
    let refused = tokio_tungstenite::connect_async(request(&w.app, &learner_token, "http://evil.example")).await;
    assert!(matches!(refused, Err(tungstenite::Error::Http(ref r)) if r.status() == 403), "{refused:?}");
    let unsigned = tokio_tungstenite::connect_async(request(&w.app, "wft_not_a_token", "http://wayfinder.test")).await;
    assert!(matches!(unsigned, Err(tungstenite::Error::Http(ref r)) if r.status() == 401), "{unsigned:?}");

    let mut lena = Live::connect(&w.app, &learner_token).await;
    let mut cole = Live::connect(coach_app, &coach_token).await;
    lena.send(json!({ "type": "subscribe", "conversation_id": id })).await;
    lena.expect(is("subscribed")).await;
    cole.send(json!({ "type": "subscribe", "conversation_id": id })).await;
    let subscribed = cole.expect(is("subscribed")).await;
    assert!(subscribed["held_by"].is_null());
    // Presence both ways.
    let coach_id = w.coach.id.clone();
    let learner_id = w.learner.id.clone();
    let online = lena.expect(|f| f["type"] == "presence" && f["person_id"] == coach_id).await;
    assert_eq!(online["online"], true);
    cole.expect(|f| f["type"] == "presence" && f["person_id"] == learner_id && f["online"] == true).await;

    // Typing reaches the other instance.
    lena.send(json!({ "type": "typing", "conversation_id": id })).await;
    let typing = cole.expect(is("typing")).await;
    assert_eq!(
        (typing["person_id"].as_str(), typing["conversation_id"].as_str()),
        (Some(learner_id.as_str()), Some(id.as_str()))
    );

    // The learner asks; the server acknowledges, and the coach watches the answer stream in.
    llm.push(Script::ReplyChunks(vec!["Space ".into(), "your reviews ".into(), "out [1].".into()]));
    lena.send(json!({ "type": "send", "conversation_id": id, "content": "How should I review flashcards?", "client_id": "c-1" })).await;
    let ack = lena.expect(is("ack")).await;
    assert_eq!(ack["client_id"], "c-1");
    let started = cole.expect(is("turn_started")).await;
    assert_eq!(started["content"], "How should I review flashcards?");
    let mut streamed = String::new();
    loop {
        let frame = cole.expect(|f| f["type"] == "delta" || f["type"] == "message").await;
        if frame["type"] == "message" {
            assert_eq!((frame["message"]["seq"].as_i64(), frame["message"]["role"].as_str()), (Some(1), Some("user")));
            break;
        }
        streamed.push_str(frame["text"].as_str().unwrap());
    }
    assert_eq!(streamed, "Space your reviews out [1].", "the answer streamed as it was written");
    let answer = cole.expect(message_with_seq(2)).await;
    assert_eq!(
        (answer["message"]["kind"].as_str(), answer["message"]["content"].as_str()),
        (Some("generated"), Some("Space your reviews out [1]."))
    );
    lena.expect(message_with_seq(2)).await;

    // Delivery and read receipts.
    lena.send(json!({ "type": "received", "conversation_id": id, "seq": 2 })).await;
    let received = cole.expect(is("received")).await;
    assert_eq!((received["person_id"].as_str(), received["seq"].as_i64()), (Some(learner_id.as_str()), Some(2)));
    cole.send(json!({ "type": "read", "conversation_id": id, "seq": 2 })).await;
    let read = lena.expect(is("read")).await;
    assert_eq!((read["person_id"].as_str(), read["seq"].as_i64()), (Some(coach_id.as_str()), Some(2)));

    // Only a supervisor joins, and only after joining do they write.
    lena.send(json!({ "type": "join", "conversation_id": id })).await;
    assert_eq!(lena.expect(is("error")).await["code"], "forbidden");
    cole.send(json!({ "type": "send", "conversation_id": id, "content": "Hello!" })).await;
    assert_eq!(cole.expect(is("error")).await["code"], "forbidden");
    cole.send(json!({ "type": "join", "conversation_id": id })).await;
    let holder = lena.expect(is("holder")).await;
    assert_eq!(holder["held_by"].as_str(), Some(coach_id.as_str()));
    cole.expect(is("holder")).await;

    // While the coach holds it, the learner's question is kept and the AI stays silent.
    let model_calls = llm.attempts();
    lena.send(json!({ "type": "send", "conversation_id": id, "content": "Can you help me plan my week?", "client_id": "c-2" })).await;
    let question = cole.expect(message_with_seq(3)).await;
    assert_eq!(question["message"]["role"], "user");
    cole.send(json!({ "type": "send", "conversation_id": id, "content": "Yes, let's plan Sunday together.", "client_id": "k-1" })).await;
    let human = lena.expect(message_with_seq(4)).await;
    assert_eq!(
        (human["message"]["kind"].as_str(), human["message"]["author_id"].as_str()),
        (Some("human"), Some(coach_id.as_str()))
    );
    assert_eq!(human["message"]["author_name"], "coach", "named as they are in the organisation");
    assert_eq!(llm.attempts(), model_calls, "no model call while the coach holds the conversation");

    // The learner drops off; two messages follow; on reconnecting after seq 4 they get exactly those.
    drop(lena);
    cole.expect(|f| f["type"] == "presence" && f["person_id"] == learner_id && f["online"] == false).await;
    for (i, text) in ["First, list your deadlines.", "Then block two hours a day."].iter().enumerate() {
        cole.send(
            json!({ "type": "send", "conversation_id": id, "content": text, "client_id": format!("k-{}", i + 2) }),
        )
        .await;
        cole.expect(message_with_seq(5 + i as i64)).await;
    }
    let mut lena = Live::connect(&w.app, &learner_token).await;
    lena.send(json!({ "type": "subscribe", "conversation_id": id, "after_seq": 4 })).await;
    let frames = lena.drain(Duration::from_millis(800)).await;
    let seqs: Vec<i64> =
        frames.iter().filter(|f| f["type"] == "message").map(|f| f["message"]["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [5, 6], "what was missed, once each: {frames:#?}");
    let (_, detail) = learner.get(&format!("/conversations/{id}")).await;
    assert_eq!(detail["messages"].as_array().unwrap().len(), 6);
    assert_eq!(detail["conversation"]["held_by"].as_str(), Some(coach_id.as_str()));

    // Handed back, the AI answers again.
    cole.send(json!({ "type": "hand_back", "conversation_id": id })).await;
    assert!(lena.expect(is("holder")).await["held_by"].is_null());
    llm.push(Script::Reply("Plan on Sunday evening [1].".into()));
    llm.push(Script::Reply("Plan on Sunday evening [1].".into()));
    lena.send(json!({ "type": "send", "conversation_id": id, "content": "When should I plan?" })).await;
    let answer = lena
        .expect(|f| {
            f["type"] == "message" && f["message"]["role"] == "assistant" && f["message"]["seq"].as_i64() > Some(6)
        })
        .await;
    assert_ne!(answer["message"]["kind"], "human");

    // A question asked over HTTP (the web app without its socket) reaches the watching coach too.
    let last = answer["message"]["seq"].as_i64().unwrap();
    llm.push(Script::Reply("Spread reviews across the week [1].".into()));
    llm.push(Script::Reply("Spread reviews across the week [1].".into()));
    let (status, _) = learner
        .post(&format!("/conversations/{id}/messages"), json!({ "content": "How often should I review?" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let started = cole.expect(|f| f["type"] == "turn_started" && f["content"] == "How often should I review?").await;
    assert_eq!(started["conversation_id"].as_str(), Some(id.as_str()));
    cole.expect(message_with_seq(last + 1)).await;
    let answered = cole.expect(message_with_seq(last + 2)).await;
    assert_eq!(answered["message"]["role"], "assistant");

    // Someone who may not read the conversation cannot follow it; a parent may not join.
    let other_token = token(&w.other_learner.client).await;
    let mut other = Live::connect(&w.app, &other_token).await;
    other.send(json!({ "type": "subscribe", "conversation_id": id })).await;
    assert_eq!(other.expect(is("error")).await["code"], "not_found");
    other.send(json!({ "type": "typing", "conversation_id": id })).await;
    assert_eq!(other.expect(is("error")).await["code"], "not_found");
    other.send(json!({ "type": "no_such_frame" })).await;
    assert_eq!(other.expect(is("error")).await["code"], "invalid_body");
}

wayfinder_testing::on_both_backends!(learner_and_coach_live_across_instances);
