//! `wayfinder-bench realtime`: what the proactive engine costs. Idle live
//! connections against a `wayfinder serve` child (server memory per
//! connection); an event from a socket on one instance to a socket on another
//! (through PostgreSQL `LISTEN/NOTIFY`; on SQLite both sockets on the one
//! instance); the outbox sending to a local fake Bot API; and the nudge
//! scheduler deciding about 100,000 inactive learners.

use crate::api::{Scratch, Server, read_memory, seed_learner_with_token};
use crate::cli::BenchRealtimeArgs;
use anyhow::Context;
use chrono::Utc;
use futures::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
use wayfinder::config::Config;
use wayfinder_accounts_rules::{PersonId, Role};
use wayfinder_channels::fake::FakePlatform;
use wayfinder_channels_rules::{Channel, nudge::Trigger};
use wayfinder_store::{BulkMember, LearningHistory, NewOutbound, NudgeRuleRecord, Store, StoreOptions};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn run(config: &Config, args: &BenchRealtimeArgs) -> anyhow::Result<()> {
    // Ten thousand sockets on each side need the descriptors.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    Scratch::around(&config.database_url(), async |scratch| measure(scratch, config, args).await).await
}

async fn measure(scratch: &Scratch, config: &Config, args: &BenchRealtimeArgs) -> anyhow::Result<()> {
    let store = Store::connect(&StoreOptions { url: scratch.database_url.clone(), max_connections: 4 }).await?;
    let token = seed_learner_with_token(&store).await?;
    let org = store.list_orgs().await?[0].id;
    let person = store.person_with_password("bench@example.org").await?.context("the seeded learner")?.0.id;
    let conversation = store.create_conversation(org, person, None, "Live").await?.id;
    let platform = FakePlatform::start().await;
    let bot = serde_json::json!({ "bot_token": "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "webhook_secret": "bench-secret-0123456" });
    store.put_channel_config(org, Channel::Telegram, &bot).await?;
    let env = [
        ("WAYFINDER_TELEGRAM_API_URL", platform.base_url()),
        ("WAYFINDER_TELEGRAM_MESSAGES_PER_SECOND", "1000000".to_string()),
        ("WAYFINDER_EMBEDDING_PROVIDER", "none".to_string()),
    ];
    let a = Server::start_with(scratch, config.database_max_connections, &env).await?;
    let b = match scratch.backend {
        "postgres" => Some(Server::start_with(scratch, config.database_max_connections, &env).await?),
        _ => None,
    };
    println!(
        "realtime on {} ({} instance{})",
        scratch.backend,
        if b.is_some() { 2 } else { 1 },
        if b.is_some() { "s" } else { "" }
    );
    let outcome = async {
        idle_connections(&a, &token, args.connections).await?;
        fan_out(&a, b.as_ref().unwrap_or(&a), &token, conversation, args.events).await?;
        outbox(&store, &platform, org, args.messages).await?;
        anyhow::Ok(())
    }
    .await;
    a.stop().await;
    if let Some(b) = b {
        b.stop().await;
    }
    outcome?;
    scheduler(&store, org, args.people).await?;
    store.close().await;
    Ok(())
}

async fn connect(server: &Server, token: &str) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{}/api/v1/live", server.addr).into_client_request()?;
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    next_text(&mut socket).await?; // hello
    Ok(socket)
}

async fn next_text(socket: &mut Socket) -> anyhow::Result<serde_json::Value> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .context("no frame within 30 s")?
            .context("the connection closed")??;
        if let tungstenite::Message::Text(text) = frame {
            return Ok(serde_json::from_str(&text)?);
        }
    }
}

/// Server memory per idle connection: resident memory before and after opening them.
async fn idle_connections(server: &Server, token: &str, count: usize) -> anyhow::Result<()> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = read_memory(server.pid)?.rss_kb;
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(count);
    for _ in 0..count {
        sockets.push(connect(server, token).await?);
    }
    let opened = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = read_memory(server.pid)?.rss_kb;
    let per = (after.saturating_sub(before)) as f64 * 1024.0 / count as f64;
    println!(
        "idle connections  {count} open in {:.1} s; server RSS {:.1} → {:.1} MB: {:.1} KB per connection",
        opened.as_secs_f64(),
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        per / 1024.0
    );
    drop(sockets);
    Ok(())
}

/// Latency of one event from a socket on `from` to a socket on `to`, sent one at a time.
async fn fan_out(
    from: &Server,
    to: &Server,
    token: &str,
    conversation: wayfinder_coach_rules::ConversationId,
    events: usize,
) -> anyhow::Result<()> {
    let subscribe = serde_json::json!({ "type": "subscribe", "conversation_id": conversation }).to_string();
    let mut receiver = connect(to, token).await?;
    receiver.send(tungstenite::Message::Text(subscribe.clone().into())).await?;
    // Senders take turns, each well under a connection's rate limit; each reads what it is sent
    // (every event reaches every follower), as a client does, so none falls behind.
    let mut senders = Vec::new();
    let mut drains = Vec::new();
    for _ in 0..40 {
        let mut sender = connect(from, token).await?;
        sender.send(tungstenite::Message::Text(subscribe.clone().into())).await?;
        let (sink, mut stream) = sender.split();
        drains.push(tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} }));
        senders.push(sink);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Drop what the subscriptions sent (presence, subscribed).
    while tokio::time::timeout(Duration::from_millis(300), receiver.next()).await.is_ok() {}
    let typing = serde_json::json!({ "type": "typing", "conversation_id": conversation }).to_string();
    let mut latencies = Vec::with_capacity(events);
    for i in 0..events {
        let sender = &mut senders[i % 40];
        let sent = Instant::now();
        sender.send(tungstenite::Message::Text(typing.clone().into())).await?;
        loop {
            let frame = next_text(&mut receiver).await?;
            if frame["type"] == "typing" {
                break;
            }
        }
        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
        if i % 40 == 39 {
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
    for drain in drains {
        drain.abort();
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    let path = if std::ptr::eq(from, to) { "one instance" } else { "instance to instance through PostgreSQL" };
    println!("fan-out ({path})  {events} events: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms", at(0.5), at(0.95), at(1.0));
    Ok(())
}

/// Messages per second from the outbox to a local fake Bot API.
async fn outbox(
    store: &Store,
    platform: &FakePlatform,
    org: wayfinder_accounts_rules::OrgId,
    count: usize,
) -> anyhow::Result<()> {
    let started = Instant::now();
    for i in 0..count {
        let new = NewOutbound {
            org,
            person: None,
            channel: Channel::Telegram,
            destination: format!("{}", 10_000 + i % 500),
            payload: serde_json::json!({ "text": format!("message {i}") }),
            idempotency_key: format!("bench:{i}"),
            send_at: Utc::now(),
        };
        store.enqueue_outbound(&new).await?;
    }
    let queued = started.elapsed();
    let requests = platform.wait_until(Duration::from_secs(600), |requests| requests.len() >= count).await;
    // From the first send to the last (the worker notices rows written by another process on its
    // next poll, within a second, which is not sending time).
    let took = (requests[count - 1].at - requests[0].at).as_secs_f64().max(1e-9);
    println!(
        "outbox            {count} messages queued in {:.1} s, sent to the fake in {took:.2} s: {:.0} messages/s",
        queued.as_secs_f64(),
        count as f64 / took
    );
    Ok(())
}

/// The nudge scheduler over `people` inactive learners (decided in-process over the store).
async fn scheduler(store: &Store, org: wayfinder_accounts_rules::OrgId, people: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    for chunk in (0..people).collect::<Vec<_>>().chunks(5_000) {
        let members = chunk
            .iter()
            .map(|i| BulkMember {
                id: PersonId::new(),
                email: format!("learner{i}@bench.example"),
                display_name: format!("Learner {i}"),
                role: Role::Learner,
            })
            .collect();
        store.bulk_load_learning(org, &LearningHistory { members, ..LearningHistory::default() }).await?;
    }
    println!("scheduler         {people} learners loaded in {:.1} s", started.elapsed().as_secs_f64());
    let now = Utc::now();
    let rule = NudgeRuleRecord {
        id: wayfinder_channels_rules::NudgeRuleId::new(),
        org,
        name: "Quiet for a day".into(),
        trigger: Trigger::Inactive,
        days: 1,
        message: "Hi {name}, five minutes today?".into(),
        audience: wayfinder_channels_rules::nudge::Audience::Learner,
        alert_message: None,
        holdout_share: 0.1,
        active: true,
        created_at: now,
        updated_at: now,
    };
    store.create_nudge_rule(&rule).await?;
    let kb = wayfinder_knowledge::KnowledgeBase::new(store.clone(), None, None, Default::default());
    let channels = wayfinder_server::AppState::new(kb, wayfinder_server::ServerSettings::default()).channels.clone();
    let started = Instant::now();
    let run = channels.evaluate_nudges(org, now + chrono::Duration::days(2)).await?;
    let took = started.elapsed().as_secs_f64();
    println!(
        "scheduler         evaluated {people} learners in {took:.2} s ({:.0} per second): {} held out, {} without a channel, {} queued",
        people as f64 / took,
        run.held_out,
        run.no_channel,
        run.queued
    );
    Ok(())
}
