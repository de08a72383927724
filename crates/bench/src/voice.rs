//! `wayfinder-bench voice`: spoken interviews under load. A `wayfinder serve`
//! child with the fake speech server (in this process) as its speech
//! endpoint; as many learners as `--interviews`, each in their own interview
//! on their own voice socket, stream a recording in chunks at the pace it was
//! spoken, then end it, `--utterances` times over, all at once. Reported: the
//! time from an utterance's end to its transcript on the learner's socket,
//! less the speech model's own time (the fake's `--model-ms` delay), and the
//! server's resident memory per active interview (every socket open with half
//! a recording sent).

use crate::api::{Scratch, Server, read_memory};
use crate::cli::BenchVoiceArgs;
use anyhow::Context;
use chrono::Utc;
use futures::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
use wayfinder::config::Config;
use wayfinder_accounts_rules::{OrgId, PersonId, Role, new_secret};
use wayfinder_interviews::Interviews;
use wayfinder_interviews_rules::templates::templates;
use wayfinder_speech::{fake::FakeSpeech, write_wav};
use wayfinder_store::{NewPerson, Store, StoreOptions};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const SAMPLE_RATE: u32 = 16_000;

pub async fn run(config: &Config, args: &BenchVoiceArgs) -> anyhow::Result<()> {
    Scratch::around(&config.database_url(), async |scratch| measure(scratch, config, args).await).await
}

/// One learner in their own interview: the voice socket's path and a bearer token.
struct Speaker {
    path: String,
    token: String,
}

async fn seed(store: &Store, count: usize) -> anyhow::Result<Vec<Speaker>> {
    store.migrate().await?;
    let org = store.create_org("bench", "Benchmark").await?;
    let interviews = Interviews::new(store.clone());
    let author = learner(store, org.id, "author@example.org").await?.0;
    let flow = interviews.create_flow(org.id, templates()[0].clone(), author).await?;
    let mut speakers = Vec::with_capacity(count);
    for i in 0..count {
        let (person, token) = learner(store, org.id, &format!("speaker{i}@example.org")).await?;
        let interview = interviews.start(org.id, flow.id, person, person).await?;
        speakers.push(Speaker { path: format!("/api/v1/orgs/{}/interviews/{}/voice", org.id, interview.id), token });
    }
    Ok(speakers)
}

async fn learner(store: &Store, org: OrgId, email: &str) -> anyhow::Result<(PersonId, String)> {
    let new = NewPerson { email: email.into(), display_name: email.into(), password_hash: None, is_operator: false };
    let person = store.create_person(&new).await?;
    store.add_member(org, person.id, Role::Learner).await?;
    let secret = new_secret("wft");
    store.create_token(person.id, "bench", &secret.digest, Utc::now() + chrono::Duration::days(1)).await?;
    Ok((person.id, secret.plaintext))
}

/// A recording of `seconds` of a voice-like tone (a 180 Hz hum with a slow swell), as a WAV.
fn recording(seconds: f64) -> Vec<u8> {
    let samples = (seconds * f64::from(SAMPLE_RATE)) as usize;
    let rate = f64::from(SAMPLE_RATE);
    let tone: Vec<i16> = (0..samples)
        .map(|i| {
            let t = i as f64 / rate;
            let swell = 0.55 + 0.45 * (2.0 * std::f64::consts::PI * 2.0 * t).sin();
            (9_000.0 * swell * (2.0 * std::f64::consts::PI * 180.0 * t).sin()) as i16
        })
        .collect();
    write_wav(&tone, SAMPLE_RATE)
}

async fn open(server: &Server, speaker: &Speaker) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{}{}", server.addr, speaker.path).into_client_request()?;
    request.headers_mut().insert("authorization", format!("Bearer {}", speaker.token).parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let ready = next_text(&mut socket).await?;
    anyhow::ensure!(ready["transcription"] == true, "the server has no speech endpoint: {ready}");
    Ok(socket)
}

async fn next_text(socket: &mut Socket) -> anyhow::Result<serde_json::Value> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(60), socket.next())
            .await
            .context("no frame within 60 s")?
            .context("the connection closed")??;
        if let tungstenite::Message::Text(text) = frame {
            return Ok(serde_json::from_str(&text)?);
        }
    }
}

fn end_frame() -> tungstenite::Message {
    tungstenite::Message::Text(serde_json::json!({ "type": "end" }).to_string().into())
}

async fn measure(scratch: &Scratch, config: &Config, args: &BenchVoiceArgs) -> anyhow::Result<()> {
    let store = Store::connect(&StoreOptions { url: scratch.database_url.clone(), max_connections: 4 }).await?;
    let speakers = seed(&store, args.interviews).await?;
    store.close().await;
    let fake = FakeSpeech::start().await;
    let model_time = Duration::from_millis(args.model_ms);
    fake.set_delay(model_time);
    fake.set_default_transcript("I like building robots and drawing comics with my friends");
    let env = [
        ("WAYFINDER_EMBEDDING_PROVIDER", "none".to_string()),
        ("WAYFINDER_SPEECH_BASE_URL", fake.base_url()),
        ("WAYFINDER_TRANSCRIPTION_MODEL", wayfinder_speech::fake::FAKE_TRANSCRIPTION_MODEL.to_string()),
    ];
    let server = Server::start_with(scratch, config.database_max_connections, &env).await?;
    let audio = recording(args.seconds);
    let chunk_bytes = (f64::from(SAMPLE_RATE) * 2.0 * args.chunk_ms as f64 / 1000.0) as usize;
    let chunks: Vec<Vec<u8>> = audio.chunks(chunk_bytes.max(1)).map(<[u8]>::to_vec).collect();
    println!(
        "voice on {}: {} interviews at once, {} utterances each of {:.1} s ({} chunks of {} ms), speech model {} ms",
        scratch.backend,
        args.interviews,
        args.utterances,
        args.seconds,
        chunks.len(),
        args.chunk_ms,
        args.model_ms
    );
    let outcome = async {
        // Memory: every interview's socket open with half a recording sent.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let before = read_memory(server.pid)?.rss_kb;
        let mut sockets = Vec::with_capacity(speakers.len());
        for speaker in &speakers {
            let mut socket = open(&server, speaker).await?;
            for chunk in &chunks[..chunks.len() / 2] {
                socket.send(tungstenite::Message::Binary(chunk.clone().into())).await?;
            }
            sockets.push(socket);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let during = read_memory(server.pid)?.rss_kb;
        println!(
            "memory            server RSS {:.1} → {:.1} MB with {} interviews mid-recording: {:.0} KB per active interview",
            before as f64 / 1024.0,
            during as f64 / 1024.0,
            speakers.len(),
            during.saturating_sub(before) as f64 / speakers.len() as f64
        );
        // Finish those recordings, then everyone speaks at once, paced as spoken.
        let mut tasks = Vec::new();
        for mut socket in sockets {
            let chunks = chunks.clone();
            let utterances = args.utterances;
            let pace = Duration::from_millis(args.chunk_ms);
            tasks.push(tokio::spawn(async move {
                let mut waits = Vec::with_capacity(utterances);
                for chunk in &chunks[chunks.len() / 2..] {
                    socket.send(tungstenite::Message::Binary(chunk.clone().into())).await?;
                }
                socket.send(end_frame()).await?;
                anyhow::ensure!(next_text(&mut socket).await?["type"] == "transcript", "the first recording failed");
                for _ in 0..utterances {
                    for chunk in &chunks {
                        socket.send(tungstenite::Message::Binary(chunk.clone().into())).await?;
                        tokio::time::sleep(pace).await;
                    }
                    let ended = Instant::now();
                    socket.send(end_frame()).await?;
                    let reply = next_text(&mut socket).await?;
                    anyhow::ensure!(reply["type"] == "transcript", "a recording failed: {reply}");
                    waits.push(ended.elapsed());
                }
                anyhow::Ok(waits)
            }));
        }
        let mut waits = Vec::new();
        for task in tasks {
            waits.extend(task.await??);
        }
        waits.sort_unstable();
        let beyond_model = |d: Duration| d.saturating_sub(model_time).as_secs_f64() * 1000.0;
        let at = |q: f64| beyond_model(waits[((waits.len() as f64 * q) as usize).min(waits.len() - 1)]);
        println!(
            "end → transcript  {} utterances: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms beyond the speech model's {} ms",
            waits.len(),
            at(0.50),
            at(0.95),
            beyond_model(*waits.last().context("no utterances")?),
            args.model_ms
        );
        println!("speech endpoint   {} transcriptions received", fake.requests().len());
        anyhow::Ok(())
    }
    .await;
    server.stop().await;
    outcome
}
