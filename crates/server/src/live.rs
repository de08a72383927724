//! Real-time chat over WebSocket (`GET /api/v1/live`): answers streamed as
//! they are written, typing, presence, delivery and read receipts, a
//! supervising coach who joins a conversation and writes as themselves (the
//! AI pausing until they hand back), and resume from the last message a
//! client saw.
//!
//! Events go through the [`LiveHub`]: on PostgreSQL every instance publishes
//! with `NOTIFY` and receives with `LISTEN`, so a learner on one instance and
//! their coach on another see the same conversation; on SQLite one process
//! passes them in memory. Each instance delivers an event to its own sockets
//! subscribed to the conversation. Stored messages travel as ids (each
//! instance reads the row once), so payloads stay small and what a client
//! sees is what the database holds; a reconnecting client asks for what
//! followed its last `seq` and gets it from the database, without gaps or
//! repeats.

use crate::{
    auth::Principal,
    authz::OrgScope,
    error::{ApiError, ErrorCode},
    routes::coach::{Access, open_conversation},
    state::AppState,
};
use axum::{
    extract::{
        State, WebSocketUpgrade,
        ws::{CloseFrame, Message as Frame, WebSocket},
    },
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use futures::{SinkExt, StreamExt};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::mpsc;
use wayfinder_accounts_rules::{PersonId, policy};
use wayfinder_channels_rules::Channel;
use wayfinder_coach::{Conversation, Message, TurnEvent};
use wayfinder_coach_rules::{ConversationId, MessageId};
use wayfinder_store::Store;

/// Frames one connection may send per second on average, and in a burst.
const FRAMES_PER_SECOND: u32 = 10;
const FRAME_BURST: u32 = 30;
/// The largest frame a client may send.
const MAX_FRAME_BYTES: usize = 16 * 1024;
/// Frames queued for a client before it counts as too slow and is disconnected (it resumes
/// from its last `seq` when it reconnects).
const OUTGOING_QUEUE: usize = 256;

/// What a client sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientFrame {
    /// Follow a conversation; messages after `after_seq` are sent first.
    Subscribe {
        conversation_id: String,
        after_seq: Option<i64>,
    },
    Unsubscribe {
        conversation_id: String,
    },
    /// Write in the conversation: the owner asks the coach; a person who joined writes as themselves.
    Send {
        conversation_id: String,
        content: String,
        client_id: Option<String>,
    },
    Typing {
        conversation_id: String,
    },
    /// The client has shown the conversation up to `seq`.
    Read {
        conversation_id: String,
        seq: i64,
    },
    /// The client has received the conversation up to `seq`.
    Received {
        conversation_id: String,
        seq: i64,
    },
    /// A supervising coach or admin takes the conversation over.
    Join {
        conversation_id: String,
    },
    /// …and hands it back to the AI.
    HandBack {
        conversation_id: String,
    },
    Ping,
}

/// An event between instances (and, through each instance, to its sockets).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BusEvent {
    /// A message was stored: receivers read it.
    Stored {
        conversation_id: ConversationId,
        message_id: MessageId,
    },
    /// The owner asked something; the answer streams as `delta`s.
    TurnStarted {
        conversation_id: ConversationId,
        message_id: MessageId,
        content: String,
    },
    Delta {
        conversation_id: ConversationId,
        text: String,
    },
    Typing {
        conversation_id: ConversationId,
        person_id: PersonId,
        name: String,
    },
    Presence {
        conversation_id: ConversationId,
        person_id: PersonId,
        name: String,
        connection: String,
        online: bool,
        /// The one connection it answers (a newcomer's question); `None`: everyone following.
        #[serde(default)]
        to: Option<String>,
    },
    /// A newcomer (`asker`, a connection) asks every instance who is there; each answers the
    /// newcomer alone, so a crowd joining costs one answer per socket, not one per pair.
    WhoIsThere {
        conversation_id: ConversationId,
        asker: String,
    },
    Received {
        conversation_id: ConversationId,
        person_id: PersonId,
        seq: i64,
    },
    Read {
        conversation_id: ConversationId,
        person_id: PersonId,
        seq: i64,
    },
    Holder {
        conversation_id: ConversationId,
        held_by: Option<PersonId>,
        name: Option<String>,
    },
    /// A turn ended without an answer; `message` says why, for the people following it.
    TurnFailed {
        conversation_id: ConversationId,
        message: String,
    },
}

impl BusEvent {
    fn conversation(&self) -> ConversationId {
        match self {
            BusEvent::Stored { conversation_id, .. }
            | BusEvent::TurnStarted { conversation_id, .. }
            | BusEvent::Delta { conversation_id, .. }
            | BusEvent::Typing { conversation_id, .. }
            | BusEvent::Presence { conversation_id, .. }
            | BusEvent::WhoIsThere { conversation_id, .. }
            | BusEvent::Received { conversation_id, .. }
            | BusEvent::Read { conversation_id, .. }
            | BusEvent::Holder { conversation_id, .. }
            | BusEvent::TurnFailed { conversation_id, .. } => *conversation_id,
        }
    }
}

/// What the server sends a client.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerFrame {
    Hello {
        person_id: PersonId,
        connection: String,
    },
    /// The conversation as the client starts following it: who holds it and how far each has read.
    Subscribed {
        conversation_id: ConversationId,
        held_by: Option<PersonId>,
        reads: Vec<ReadMark>,
    },
    Message {
        conversation_id: ConversationId,
        message: Box<Message>,
    },
    TurnStarted {
        conversation_id: ConversationId,
        message_id: MessageId,
        content: String,
    },
    Delta {
        conversation_id: ConversationId,
        text: String,
    },
    Typing {
        conversation_id: ConversationId,
        person_id: PersonId,
        name: String,
    },
    Presence {
        conversation_id: ConversationId,
        person_id: PersonId,
        name: String,
        connection: String,
        online: bool,
    },
    Received {
        conversation_id: ConversationId,
        person_id: PersonId,
        seq: i64,
    },
    Read {
        conversation_id: ConversationId,
        person_id: PersonId,
        seq: i64,
    },
    Holder {
        conversation_id: ConversationId,
        held_by: Option<PersonId>,
        name: Option<String>,
    },
    TurnFailed {
        conversation_id: ConversationId,
        message: String,
    },
    /// The server has taken what the client sent (`client_id` as given).
    Ack {
        client_id: Option<String>,
        conversation_id: ConversationId,
    },
    Error {
        code: ErrorCode,
        message: String,
        conversation_id: Option<String>,
    },
    Pong,
}

#[derive(Clone, Debug, Serialize)]
struct ReadMark {
    person_id: PersonId,
    seq: i64,
}

/// A socket as the hub knows it.
#[derive(Clone)]
struct Socket {
    person: PersonId,
    name: String,
    connection: String,
    /// Frames are shared between the sockets an event fans out to (and keep the queue's slots small).
    outgoing: mpsc::Sender<Arc<ServerFrame>>,
    /// Told when the client cannot keep up: the connection closes (1013) and the client resumes.
    too_slow: Arc<tokio::sync::Notify>,
}

/// This instance's sockets by the conversations they follow, and the way events reach every
/// instance.
#[derive(Clone)]
pub struct LiveHub {
    store: Store,
    sockets: Arc<Mutex<HashMap<ConversationId, HashMap<String, Socket>>>>,
    /// On SQLite: events stay in this process, queued for its delivery task.
    local: Option<mpsc::Sender<BusEvent>>,
    next_connection: Arc<AtomicU64>,
    instance: String,
    /// Events to publish, in the order they happened (one task sends them).
    ordered: mpsc::UnboundedSender<BusEvent>,
}

/// Events this process may hold for delivery before it skips new ones (SQLite).
const LOCAL_EVENTS: usize = 4096;

impl LiveHub {
    /// The hub over `store`; on PostgreSQL it starts listening for other instances' events.
    pub fn new(store: Store) -> LiveHub {
        let postgres = store.backend() == wayfinder_store::Backend::Postgres;
        // The queue's slots are allocated as events arrive, not up front.
        let (local, local_events) = if postgres {
            (None, None)
        } else {
            let (sender, receiver) = mpsc::channel(LOCAL_EVENTS);
            (Some(sender), Some(receiver))
        };
        let (ordered, mut to_publish) = mpsc::unbounded_channel();
        let hub = LiveHub {
            ordered,
            store,
            sockets: Arc::default(),
            local,
            next_connection: Arc::new(AtomicU64::new(1)),
            instance: uuid::Uuid::new_v4().simple().to_string()[..8].to_string(),
        };
        {
            let this = hub.clone();
            tokio::spawn(async move {
                while let Some(event) = to_publish.recv().await {
                    this.publish(event).await;
                }
            });
        }
        match local_events {
            Some(mut receiver) => {
                let this = hub.clone();
                tokio::spawn(async move {
                    while let Some(event) = receiver.recv().await {
                        this.deliver(event).await;
                    }
                });
            }
            None => {
                tokio::spawn(hub.clone().listen());
            }
        }
        hub
    }

    /// Receives every instance's events from PostgreSQL and delivers them here.
    async fn listen(self) {
        loop {
            let mut listener = match self.store.live_listener().await {
                Ok(Some(listener)) => listener,
                Ok(None) => return,
                // Shutting down: nothing more to listen for.
                Err(_) if self.store.is_closed() => return,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for live events; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
            };
            loop {
                match listener.recv().await {
                    Ok(payload) => match serde_json::from_str::<BusEvent>(&payload) {
                        Ok(event) => self.deliver(event).await,
                        Err(error) => tracing::warn!(%error, "an unreadable live event was dropped"),
                    },
                    Err(_) if self.store.is_closed() => return,
                    Err(error) => {
                        tracing::warn!(%error, "lost the live events connection; reconnecting");
                        break;
                    }
                }
            }
        }
    }

    /// Sends an event to every instance (this one included).
    async fn publish(&self, event: BusEvent) {
        match &self.local {
            Some(sender) => {
                if let Err(mpsc::error::TrySendError::Full(_)) = sender.try_send(event) {
                    tracing::warn!("a live event was skipped; clients resume from the rows");
                }
            }
            None => {
                let payload = serde_json::to_string(&event).unwrap_or_default();
                if let Err(error) = self.store.notify_live(&payload).await {
                    tracing::warn!(%error, "a live event was not sent");
                }
            }
        }
    }

    /// Delivers an event to this instance's sockets that follow its conversation.
    async fn deliver(&self, event: BusEvent) {
        let conversation = event.conversation();
        let mut sockets: Vec<Socket> = self.sockets_of(conversation);
        if let BusEvent::Presence { to: Some(to), .. } = &event {
            sockets.retain(|s| &s.connection == to);
        }
        if sockets.is_empty() {
            return;
        }
        let frame = match event {
            BusEvent::Stored { conversation_id, message_id } => match self.store.message(message_id).await {
                Ok(record) => {
                    let message = Box::new(wayfinder_coach::message_view(record));
                    ServerFrame::Message { conversation_id, message }
                }
                Err(error) => {
                    tracing::warn!(%error, "a stored message could not be read for live delivery");
                    return;
                }
            },
            BusEvent::TurnStarted { conversation_id, message_id, content } => {
                ServerFrame::TurnStarted { conversation_id, message_id, content }
            }
            BusEvent::Delta { conversation_id, text } => ServerFrame::Delta { conversation_id, text },
            BusEvent::Typing { conversation_id, person_id, name } => {
                ServerFrame::Typing { conversation_id, person_id, name }
            }
            BusEvent::Presence { conversation_id, person_id, name, connection, online, .. } => {
                ServerFrame::Presence { conversation_id, person_id, name, connection, online }
            }
            BusEvent::WhoIsThere { conversation_id, asker } => {
                // Each instance answers the newcomer alone, for its own sockets.
                for socket in sockets.into_iter().filter(|s| s.connection != asker) {
                    self.publish(BusEvent::Presence {
                        conversation_id,
                        person_id: socket.person,
                        name: socket.name,
                        connection: socket.connection,
                        online: true,
                        to: Some(asker.clone()),
                    })
                    .await;
                }
                return;
            }
            BusEvent::Received { conversation_id, person_id, seq } => {
                ServerFrame::Received { conversation_id, person_id, seq }
            }
            BusEvent::Read { conversation_id, person_id, seq } => ServerFrame::Read { conversation_id, person_id, seq },
            BusEvent::Holder { conversation_id, held_by, name } => {
                ServerFrame::Holder { conversation_id, held_by, name }
            }
            BusEvent::TurnFailed { conversation_id, message } => ServerFrame::TurnFailed { conversation_id, message },
        };
        let frame = Arc::new(frame);
        for socket in sockets {
            if let Err(mpsc::error::TrySendError::Full(_)) = socket.outgoing.try_send(frame.clone()) {
                // Too slow: it is disconnected (1013) and resumes from its last seq.
                self.remove(conversation, &socket.connection);
                socket.too_slow.notify_one();
                metrics::counter!("wayfinder_live_slow_disconnects_total").increment(1);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConversationId, HashMap<String, Socket>>> {
        self.sockets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sockets_of(&self, conversation: ConversationId) -> Vec<Socket> {
        self.lock().get(&conversation).map(|m| m.values().cloned().collect()).unwrap_or_default()
    }

    fn add(&self, conversation: ConversationId, socket: Socket) {
        self.lock().entry(conversation).or_default().insert(socket.connection.clone(), socket);
    }

    fn remove(&self, conversation: ConversationId, connection: &str) -> bool {
        let mut sockets = self.lock();
        let Some(followers) = sockets.get_mut(&conversation) else { return false };
        let removed = followers.remove(connection).is_some();
        if followers.is_empty() {
            sockets.remove(&conversation);
        }
        removed
    }

    /// Sockets connected to this instance (for the benchmark and metrics).
    pub fn followers(&self) -> usize {
        self.lock().values().map(HashMap::len).sum()
    }
}

/// Turns in stored conversations, from wherever they started (the live chat, the web app's
/// HTTP requests, a messaging channel), reach everyone following them.
impl wayfinder_coach::TurnListener for LiveHub {
    fn question(&self, conversation_id: ConversationId, question: &Message) {
        let event =
            BusEvent::TurnStarted { conversation_id, message_id: question.id, content: question.content.clone() };
        let _ = self.ordered.send(event);
    }

    fn delta(&self, conversation_id: ConversationId, text: &str) {
        let _ = self.ordered.send(BusEvent::Delta { conversation_id, text: text.to_string() });
    }

    fn stored(&self, conversation_id: ConversationId, message_id: MessageId) {
        let _ = self.ordered.send(BusEvent::Stored { conversation_id, message_id });
    }

    fn failed(&self, conversation_id: ConversationId, message: &str) {
        let _ = self.ordered.send(BusEvent::TurnFailed { conversation_id, message: message.to_string() });
    }
}

/// Refuses a WebSocket opened by a page from another site (a browser always sends `Origin`; other
/// clients, with a bearer token, need not).
pub(crate) fn same_origin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let given = origin.to_str().ok().and_then(crate::origin::of_url);
        if given.is_none() || given != crate::origin::of_url(&state.settings.public_url) {
            return Err(ApiError::new(ErrorCode::Forbidden, "this page may not open a live connection"));
        }
    }
    Ok(())
}

/// `GET /api/v1/live`: upgrades to a WebSocket for the signed-in person (session cookie, whose
/// page must come from this server, or a bearer token).
pub async fn live(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Err(refused) = same_origin(&state, &headers) {
        return refused.into_response();
    }
    // Small buffers (they grow for a large frame): an idle connection holds a few kilobytes, not
    // tungstenite's default 128 KB each way.
    upgrade
        .max_message_size(MAX_FRAME_BYTES)
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| connection(state, principal, socket))
}

/// One connection: frames from the client are handled in order; frames to it go through a
/// bounded queue written by its own task.
async fn connection(state: AppState, principal: Principal, socket: WebSocket) {
    let hub = state.live.clone();
    let number = hub.next_connection.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = socket.split();
    let (outgoing, mut queue) = mpsc::channel::<Arc<ServerFrame>>(OUTGOING_QUEUE);
    let too_slow = Arc::new(tokio::sync::Notify::new());
    let me = Socket {
        person: principal.person.id,
        name: principal.person.display_name.clone(),
        connection: format!("{}-{number}", hub.instance),
        outgoing: outgoing.clone(),
        too_slow: too_slow.clone(),
    };
    let kicked = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer_kicked = kicked.clone();
    metrics::gauge!("wayfinder_live_connections").increment(1.0);
    let writer = tokio::spawn(async move {
        while let Some(frame) = queue.recv().await {
            let text = serde_json::to_string(&*frame).unwrap_or_default();
            if sink.send(Frame::Text(text.into())).await.is_err() {
                return;
            }
        }
        let close = if writer_kicked.load(Ordering::Relaxed) {
            CloseFrame { code: 1013, reason: "too slow: reconnect and resume".into() }
        } else {
            CloseFrame { code: 1000, reason: "".into() }
        };
        let _ = sink.send(Frame::Close(Some(close))).await;
    });
    let _ =
        outgoing.send(Arc::new(ServerFrame::Hello { person_id: me.person, connection: me.connection.clone() })).await;
    let limiter: DefaultDirectRateLimiter = RateLimiter::direct(
        Quota::per_second(NonZeroU32::new(FRAMES_PER_SECOND).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(FRAME_BURST).unwrap_or(NonZeroU32::MIN)),
    );
    let mut following: HashMap<ConversationId, Conversation> = HashMap::new();
    let mut session = Session { state: &state, principal: &principal, me: &me, following: &mut following };
    loop {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            _ = too_slow.notified() => {
                kicked.store(true, Ordering::Relaxed);
                break;
            }
        };
        let Some(Ok(frame)) = frame else { break };
        let text = match frame {
            Frame::Text(text) => text.to_string(),
            Frame::Close(_) => break,
            Frame::Binary(_) => {
                session.error(ErrorCode::InvalidBody, "frames are JSON text", None).await;
                continue;
            }
            Frame::Ping(_) | Frame::Pong(_) => continue,
        };
        if limiter.check().is_err() {
            session.error(ErrorCode::RateLimited, "too many frames; slow down", None).await;
            continue;
        }
        match serde_json::from_str::<ClientFrame>(&text) {
            // Boxed: the handling (a coach turn among it) would otherwise size every idle
            // connection's future.
            Ok(frame) => Box::pin(session.handle(frame)).await,
            Err(e) => session.error(ErrorCode::InvalidBody, &format!("not a frame this server knows: {e}"), None).await,
        }
        if outgoing.is_closed() {
            break;
        }
    }
    for conversation in following.keys() {
        hub.remove(*conversation, &me.connection);
        // Boxed, like the handling above: a database notification's future is large.
        Box::pin(hub.publish(BusEvent::Presence {
            conversation_id: *conversation,
            person_id: me.person,
            name: me.name.clone(),
            connection: me.connection.clone(),
            online: false,
            to: None,
        }))
        .await;
    }
    drop(outgoing);
    drop(me);
    // The writer says goodbye (1013 to a client too slow to keep up) unless it is stuck.
    if tokio::time::timeout(std::time::Duration::from_secs(2), writer).await.is_err() {
        tracing::debug!("a live connection's writer did not finish in time");
    }
    metrics::gauge!("wayfinder_live_connections").decrement(1.0);
}

/// One connection's state while it handles frames.
struct Session<'a> {
    state: &'a AppState,
    principal: &'a Principal,
    me: &'a Socket,
    following: &'a mut HashMap<ConversationId, Conversation>,
}

impl Session<'_> {
    async fn error(&self, code: ErrorCode, message: &str, conversation: Option<String>) {
        let _ = self.me.outgoing.try_send(Arc::new(ServerFrame::Error {
            code,
            message: message.to_string(),
            conversation_id: conversation,
        }));
    }

    fn hub(&self) -> &LiveHub {
        &self.state.live
    }

    /// A conversation the client follows (subscribing checks who may read it).
    fn followed(&self, raw: &str) -> Option<(ConversationId, Conversation)> {
        let id: ConversationId = raw.parse().ok()?;
        self.following.get(&id).map(|c| (id, c.clone()))
    }

    async fn handle(&mut self, frame: ClientFrame) {
        match frame {
            ClientFrame::Ping => {
                let _ = self.me.outgoing.try_send(Arc::new(ServerFrame::Pong));
            }
            ClientFrame::Subscribe { conversation_id, after_seq } => self.subscribe(&conversation_id, after_seq).await,
            ClientFrame::Unsubscribe { conversation_id } => {
                if let Some((id, _)) = self.followed(&conversation_id) {
                    self.following.remove(&id);
                    self.hub().remove(id, &self.me.connection);
                    self.presence(id, false).await;
                }
            }
            ClientFrame::Send { conversation_id, content, client_id } => {
                let Some((id, conversation)) = self.followed(&conversation_id) else {
                    return self.not_following(conversation_id).await;
                };
                self.send(id, conversation, content, client_id).await;
            }
            ClientFrame::Typing { conversation_id } => {
                let Some((id, _)) = self.followed(&conversation_id) else {
                    return self.not_following(conversation_id).await;
                };
                let event =
                    BusEvent::Typing { conversation_id: id, person_id: self.me.person, name: self.me.name.clone() };
                self.hub().publish(event).await;
            }
            ClientFrame::Received { conversation_id, seq } => {
                let Some((id, _)) = self.followed(&conversation_id) else {
                    return self.not_following(conversation_id).await;
                };
                self.hub().publish(BusEvent::Received { conversation_id: id, person_id: self.me.person, seq }).await;
            }
            ClientFrame::Read { conversation_id, seq } => {
                let Some((id, _)) = self.followed(&conversation_id) else {
                    return self.not_following(conversation_id).await;
                };
                match self.state.store.mark_read(id, self.me.person, seq).await {
                    Ok(seq) => {
                        self.hub().publish(BusEvent::Read { conversation_id: id, person_id: self.me.person, seq }).await
                    }
                    Err(error) => tracing::warn!(%error, "a read receipt was not stored"),
                }
            }
            ClientFrame::Join { conversation_id } => self.join(&conversation_id, true).await,
            ClientFrame::HandBack { conversation_id } => self.join(&conversation_id, false).await,
        }
    }

    async fn not_following(&self, conversation: String) {
        self.error(ErrorCode::NotFound, "subscribe to the conversation first", Some(conversation)).await;
    }

    async fn presence(&self, id: ConversationId, online: bool) {
        let event = BusEvent::Presence {
            conversation_id: id,
            person_id: self.me.person,
            name: self.me.name.clone(),
            connection: self.me.connection.clone(),
            online,
            to: None,
        };
        self.hub().publish(event).await;
    }

    async fn subscribe(&mut self, raw: &str, after_seq: Option<i64>) {
        let Ok(id) = raw.parse::<ConversationId>() else {
            return self.error(ErrorCode::NotFound, "conversation not found", Some(raw.to_string())).await;
        };
        let conversation = match open_conversation(self.state, self.principal, id).await {
            Ok((conversation, _, _)) => conversation,
            Err(_) => return self.error(ErrorCode::NotFound, "conversation not found", Some(raw.to_string())).await,
        };
        // Registered before reading what was missed, so nothing stored in between is lost
        // (a message both read and delivered is the same seq; clients keep one per seq).
        self.hub().add(id, self.me.clone());
        let reads = self.state.store.reads_of(id).await.unwrap_or_default();
        let subscribed = ServerFrame::Subscribed {
            conversation_id: id,
            held_by: conversation.held_by,
            reads: reads.into_iter().map(|(person_id, seq)| ReadMark { person_id, seq }).collect(),
        };
        let _ = self.me.outgoing.send(Arc::new(subscribed)).await;
        match self.state.store.messages_after(id, after_seq.unwrap_or(0)).await {
            Ok(missed) => {
                for record in missed {
                    let message = Box::new(wayfinder_coach::message_view(record));
                    if self
                        .me
                        .outgoing
                        .send(Arc::new(ServerFrame::Message { conversation_id: id, message }))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "missed messages could not be read"),
        }
        self.following.insert(id, conversation);
        self.presence(id, true).await;
        let asker = self.me.connection.clone();
        self.hub().publish(BusEvent::WhoIsThere { conversation_id: id, asker }).await;
    }

    /// The owner asks the coach; a person who holds the conversation writes as themselves.
    async fn send(
        &mut self,
        id: ConversationId,
        conversation: Conversation,
        content: String,
        client_id: Option<String>,
    ) {
        let holder = match self.state.store.conversation(id).await {
            Ok(record) => record.held_by,
            Err(_) => return self.not_following(id.to_string()).await,
        };
        let me = self.me.person;
        if conversation.owner_id != me {
            if holder != Some(me) {
                let message = "join the conversation before writing in it";
                return self.error(ErrorCode::Forbidden, message, Some(id.to_string())).await;
            }
            match self.state.coaching.write_as(&conversation, me, &content, Channel::Web).await {
                Ok(message) => {
                    let _ = self.me.outgoing.try_send(Arc::new(ServerFrame::Ack { client_id, conversation_id: id }));
                    self.hub().publish(BusEvent::Stored { conversation_id: id, message_id: message.id }).await;
                    self.state
                        .channels
                        .forward_to_messaging(conversation.org_id, conversation.owner_id, id, &message)
                        .await;
                }
                Err(e) => {
                    let error = ApiError::from(e);
                    self.error(error.code, &error.message, Some(id.to_string())).await;
                }
            }
            return;
        }
        let events = match self.state.coaching.ask(conversation, me, content, Channel::Web).await {
            Ok(events) => events,
            Err(e) => {
                let error = ApiError::from(e);
                return self.error(error.code, &error.message, Some(id.to_string())).await;
            }
        };
        let _ = self.me.outgoing.try_send(Arc::new(ServerFrame::Ack { client_id, conversation_id: id }));
        let outgoing = self.me.outgoing.clone();
        // The answer is followed in the background, so the connection keeps reading frames.
        tokio::spawn(follow_turn(outgoing, id, events));
    }

    async fn join(&mut self, raw: &str, joining: bool) {
        let Some((id, conversation)) = self.followed(raw) else { return self.not_following(raw.to_string()).await };
        let Ok((_, scope, access)) = open_conversation(self.state, self.principal, id).await else {
            return self.not_following(raw.to_string()).await;
        };
        let supervised = supervised(self.state, &scope).await;
        if matches!(access, Access::Own)
            || !policy::may_join_conversation(&scope.actor, conversation.owner_id, &supervised)
        {
            return self
                .error(ErrorCode::Forbidden, "only a supervising coach or an admin joins", Some(raw.into()))
                .await;
        }
        let me = self.me.person;
        let changed = if joining {
            self.state.coaching.take_over(id, me).await
        } else {
            self.state.coaching.hand_back(id, me).await
        };
        match changed {
            Ok(true) => {
                let (held_by, name) = if joining { (Some(me), Some(self.me.name.clone())) } else { (None, None) };
                self.hub().publish(BusEvent::Holder { conversation_id: id, held_by, name }).await;
            }
            Ok(false) => {
                let message =
                    if joining { "someone else has joined this conversation" } else { "you have not joined it" };
                self.error(ErrorCode::Conflict, message, Some(raw.into())).await;
            }
            Err(e) => {
                let error = ApiError::from(e);
                self.error(error.code, &error.message, Some(raw.into())).await;
            }
        }
    }
}

async fn supervised(state: &AppState, scope: &OrgScope) -> std::collections::HashSet<PersonId> {
    scope.supervised(state).await.unwrap_or_default()
}

/// Follows a turn the connection started: everyone following the conversation hears it through
/// the coach's listener; the sender also gets a failure as an error.
async fn follow_turn(
    outgoing: mpsc::Sender<Arc<ServerFrame>>,
    id: ConversationId,
    mut events: mpsc::Receiver<TurnEvent>,
) {
    while let Some(event) = events.recv().await {
        if let TurnEvent::Failed { failure, message, .. } = event {
            let frame = ServerFrame::Error { code: failure.into(), message, conversation_id: Some(id.to_string()) };
            let _ = outgoing.try_send(Arc::new(frame));
        }
    }
}
