//! Spoken interviews end to end, with the fake speech server at the network
//! edge: a real recording made by espeak-ng goes over the interview's voice
//! socket in chunks, the fake receives a well-formed WAV of the recording's
//! length and its transcript comes back for confirmation, which is then sent
//! as the answer; silent, too short, unknown and empty recordings are refused
//! with their codes before any transcription, as are an empty transcript and a
//! service that stays down; a dropped socket is opened again on the same
//! interview; the question is read aloud; only the learner may speak. Without
//! a speech endpoint the socket says so and the question has no audio.

use crate::{coach::models, helpers::*};
use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};
use wayfinder_llm::fake::{FakeOpenAi, Script};
use wayfinder_speech::{AudioFormat, AudioLimits, SpeechClient, fake::FakeSpeech, inspect, write_wav};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const SPOKEN: &str = "I love drawing and building robots with my friends";

async fn token(client: &Client) -> String {
    let (status, created) = client.post("/tokens", json!({ "name": "voice", "expires_in_days": 1 })).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["secret"].as_str().unwrap().to_string()
}

fn voice_request(app: &TestApp, path: &str, token: &str, origin: &str) -> tungstenite::handshake::client::Request {
    let mut request = format!("ws://{}/api/v1{path}/voice", app.addr).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request.headers_mut().insert("origin", origin.parse().unwrap());
    request
}

async fn open(app: &TestApp, path: &str, token: &str) -> (Socket, Value) {
    let (mut socket, _) = tokio_tungstenite::connect_async(voice_request(app, path, token, "http://wayfinder.test"))
        .await
        .expect("the voice socket opens");
    let ready = next(&mut socket).await;
    assert_eq!(ready["type"], "ready", "{ready}");
    (socket, ready)
}

async fn next(socket: &mut Socket) -> Value {
    loop {
        match socket.next().await.expect("a frame").expect("a good frame") {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Sends a recording in `chunks` pieces, then its end; answers the server's reply.
async fn speak(socket: &mut Socket, audio: &[u8], chunks: usize) -> Value {
    for piece in audio.chunks(audio.len().div_ceil(chunks).max(1)) {
        socket.send(Message::Binary(piece.to_vec().into())).await.unwrap();
    }
    socket.send(Message::Text(json!({ "type": "end" }).to_string().into())).await.unwrap();
    next(socket).await
}

/// A recording of `SPOKEN` by espeak-ng, and its length in milliseconds read from its header
/// (byte rate at 28, data size at 40 of the canonical 44-byte header espeak-ng writes).
fn recording() -> (Vec<u8>, u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("answer.wav");
    let status = std::process::Command::new("espeak-ng")
        .args(["-w", path.to_str().unwrap(), SPOKEN])
        .status()
        .expect("espeak-ng is installed (apt-get install espeak-ng)");
    assert!(status.success());
    let bytes = std::fs::read(&path).unwrap();
    let le32 = |at: usize| u64::from(u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()));
    assert_eq!(&bytes[36..40], b"data");
    let duration_ms = le32(40) * 1000 / le32(28);
    (bytes, duration_ms)
}

async fn started(w: &World) -> String {
    let a = &w.org_a;
    let spec = json!({ "name": "Two questions", "purpose": "custom",
        "steps": [
            { "key": "likes", "question": "What do you like doing?", "field": "likes" },
            { "key": "why", "question": "Why do you like it?", "field": "why", "end": true },
        ],
        "summary": [{ "key": "likes", "kind": "text_list" }, { "key": "why", "kind": "text" }] });
    let (status, flow) = w.coach.client.post(&format!("/orgs/{a}/interview-flows"), spec).await;
    assert_eq!(status, StatusCode::CREATED, "{flow}");
    let (status, interview) =
        w.learner.client.post(&format!("/orgs/{a}/interviews"), json!({ "flow_id": flow["id"] })).await;
    assert_eq!(status, StatusCode::CREATED, "{interview}");
    format!("/orgs/{a}/interviews/{}", interview["id"].as_str().unwrap())
}

async fn a_spoken_answer_is_transcribed_confirmed_and_sent(backend: Backend) {
    let fake = FakeSpeech::start().await;
    let speech = SpeechClient::new(fake.config()).unwrap();
    let app = TestApp::spawn_with_speech(backend, wayfinder_coach::Models::none(), speech).await;
    let w = World::build_on(app).await;
    let url = started(&w).await;
    let learner_token = token(&w.learner.client).await;
    let (mut socket, ready) = open(&w.app, &url, &learner_token).await;
    assert_eq!((ready["transcription"].as_bool(), ready["speech"].as_bool()), (Some(true), Some(true)), "{ready}");

    // The recording goes in chunks; the fake gets one well-formed WAV of its length.
    let (audio, duration_ms) = recording();
    fake.push_transcript(SPOKEN);
    let heard = speak(&mut socket, &audio, 5).await;
    assert_eq!((heard["type"].as_str(), heard["text"].as_str()), (Some("transcript"), Some(SPOKEN)), "{heard}");
    assert!(heard["duration_ms"].as_u64().unwrap().abs_diff(duration_ms) <= 1, "{heard} vs {duration_ms}");
    let seen = fake.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].format, seen[0].bytes, seen[0].model.as_str()),
        (AudioFormat::Wav, audio.len(), "fake-whisper")
    );
    assert!(seen[0].duration_ms.abs_diff(duration_ms) <= 1);
    // By default the audio is not kept once transcribed.
    assert_eq!(heard["recording_id"], Value::Null);
    assert_eq!(w.learner.client.get(&format!("{url}/recordings")).await, (StatusCode::OK, json!([])));
    // Nothing is sent until the learner confirms (here, with a word fixed).
    let (_, before) = w.learner.client.get(&url).await;
    assert_eq!(before["answers"], 0);
    let confirmed = SPOKEN.replace("robots", "robot kits");
    let (status, after) = w.learner.client.post(&format!("{url}/answers"), json!({ "content": confirmed })).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(
        (after["step"].as_str(), after["transcript"][1]["content"].as_str()),
        (Some("why"), Some(confirmed.as_str()))
    );

    // Refused before any transcription, each with its code.
    let refused = |reply: &Value, code: &str| {
        assert_eq!((reply["type"].as_str(), reply["code"].as_str()), (Some("error"), Some(code)), "{reply}")
    };
    refused(&speak(&mut socket, &write_wav(&vec![0i16; 16_000], 16_000), 2).await, "audio_silent");
    let blip: Vec<i16> = (0..1_600).map(|i| if i % 20 < 10 { 8_000 } else { -8_000 }).collect();
    refused(&speak(&mut socket, &write_wav(&blip, 16_000), 1).await, "audio_too_short");
    refused(&speak(&mut socket, b"definitely not audio at all, just words", 1).await, "audio_unsupported");
    // A cancelled recording is forgotten: its end finds nothing.
    socket.send(Message::Binary(audio[..1000].to_vec().into())).await.unwrap();
    socket.send(Message::Text(json!({ "type": "cancel" }).to_string().into())).await.unwrap();
    refused(&speak(&mut socket, &[], 1).await, "audio_empty");
    assert_eq!(fake.requests().len(), 1, "none of those reached the service");
    // Heard, but no words; a service that stays down.
    fake.push_transcript("");
    refused(&speak(&mut socket, &audio, 3).await, "nothing_heard");
    for _ in 0..3 {
        fake.fail_next(503, "warming up");
    }
    refused(&speak(&mut socket, &audio, 3).await, "speech_unavailable");
    socket.send(Message::Text("{\"type\":\"shout\"}".into())).await.unwrap();
    refused(&next(&mut socket).await, "invalid_frame");

    // A dropped socket: open it again, same interview, speaking works on.
    drop(socket);
    let (mut socket, _) = open(&w.app, &url, &learner_token).await;
    fake.push_transcript("Because I can make things move");
    let heard = speak(&mut socket, &audio, 2).await;
    assert_eq!(heard["text"], "Because I can make things move", "{heard}");

    // The question read aloud: a WAV of it, from the speech endpoint.
    let (status, headers, spoken) = w.learner.client.get_bytes(&format!("{url}/question-audio")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "audio/wav");
    let limits = AudioLimits { silence_dbfs: None, ..AudioLimits::default() };
    assert_eq!(inspect(&spoken, &limits).unwrap().format, AudioFormat::Wav);
    assert_eq!(fake.spoken(), vec!["Why do you like it?".to_string()]);

    // Only the learner speaks; another site's page may not open the socket.
    let coach_token = token(&w.coach.client).await;
    let refused_with = |result: Result<_, tungstenite::Error>, status: u16| match result {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), status),
        other => panic!("expected HTTP {status}, got {:?}", other.map(|_| ())),
    };
    refused_with(
        tokio_tungstenite::connect_async(voice_request(&w.app, &url, &coach_token, "http://wayfinder.test")).await,
        403,
    );
    let other = token(&w.other_learner.client).await;
    refused_with(
        tokio_tungstenite::connect_async(voice_request(&w.app, &url, &other, "http://wayfinder.test")).await,
        404,
    );
    let b_token = token(&w.admin_b.client).await;
    refused_with(
        tokio_tungstenite::connect_async(voice_request(&w.app, &url, &b_token, "http://wayfinder.test")).await,
        404,
    );
    refused_with(
        tokio_tungstenite::connect_async(voice_request(&w.app, &url, &learner_token, "https://evil.example")).await,
        403,
    );
    assert_error(w.coach.client.get(&format!("{url}/question-audio")).await, StatusCode::FORBIDDEN, "forbidden");

    // Ended, it takes no more speech and has no question to read.
    let (status, _) =
        w.learner.client.post(&format!("{url}/answers"), json!({ "content": "Because I can make things move" })).await;
    assert_eq!(status, StatusCode::OK);
    refused(&speak(&mut socket, &audio, 1).await, "conflict");
    assert_error(w.learner.client.get(&format!("{url}/question-audio")).await, StatusCode::CONFLICT, "conflict");
}

async fn without_a_speech_endpoint_the_socket_says_so(backend: Backend) {
    let w = World::build(backend).await;
    let url = started(&w).await;
    let learner_token = token(&w.learner.client).await;
    let (mut socket, ready) = open(&w.app, &url, &learner_token).await;
    assert_eq!((ready["transcription"].as_bool(), ready["speech"].as_bool()), (Some(false), Some(false)), "{ready}");
    let (audio, _) = recording();
    let reply = speak(&mut socket, &audio, 2).await;
    assert_eq!(
        (reply["type"].as_str(), reply["code"].as_str()),
        (Some("error"), Some("speech_not_configured")),
        "{reply}"
    );
    assert_error(
        w.learner.client.get(&format!("{url}/question-audio")).await,
        StatusCode::CONFLICT,
        "speech_not_configured",
    );
}

fn judged(complete: bool, follow_up: &str) -> Script {
    Script::Reply(json!({ "complete": complete, "follow_up": follow_up }).to_string())
}

/// The interest-discovery template from start to summary with the chat model, some answers spoken
/// and some typed: the spoken mention of building takes the branch, the model's follow-up is asked,
/// and the model's summary cites the spoken and typed turns it came from; the coach reads it.
async fn interest_discovery_typed_and_spoken_with_a_model(backend: Backend) {
    let (speech, chat) = (FakeSpeech::start().await, FakeOpenAi::start().await);
    let client = SpeechClient::new(speech.config()).unwrap();
    let w = World::build_on(TestApp::spawn_with_speech(backend, models(chat.base_url()), client).await).await;
    let (a, coach, learner) = (&w.org_a, &w.coach.client, &w.learner.client);
    let (_, templates) = coach.get(&format!("/orgs/{a}/interview-templates")).await;
    let discovery =
        templates.as_array().unwrap().iter().find(|t| t["purpose"] == "interest_discovery").unwrap().clone();
    let (_, flow) = coach.post(&format!("/orgs/{a}/interview-flows"), discovery).await;
    let (status, started) = learner.post(&format!("/orgs/{a}/interviews"), json!({ "flow_id": flow["id"] })).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let url = format!("/orgs/{a}/interviews/{}", started["id"].as_str().unwrap());
    let (mut socket, _) = open(&w.app, &url, &token(learner).await).await;
    let (audio, _) = recording();
    let send = async |content: &str| {
        let (status, body) = learner.post(&format!("{url}/answers"), json!({ "content": content })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    };

    // Spoken: the transcript, confirmed as heard; the model finds it complete; "building" branches.
    speech.push_transcript(SPOKEN);
    let heard = speak(&mut socket, &audio, 4).await;
    assert_eq!(heard["text"], SPOKEN, "{heard}");
    chat.push(judged(true, ""));
    assert_eq!(send(SPOKEN).await["step"], "making");
    // Typed: the model wants more and asks its own follow-up; then it is complete.
    chat.push(judged(false, "What did the robot do once it worked?"));
    let probed = send("A robot that follows a line").await;
    assert_eq!(
        (probed["step"].as_str(), probed["question"].as_str()),
        (Some("making"), Some("What did the robot do once it worked?"))
    );
    chat.push(judged(true, ""));
    assert_eq!(send("It followed tape around the kitchen floor and beeped at corners").await["step"], "strengths");
    // Spoken again, then typed to the end.
    speech.push_transcript("People say I am patient and good at explaining");
    let heard = speak(&mut socket, &audio, 2).await;
    chat.push(judged(true, ""));
    assert_eq!(send(heard["text"].as_str().unwrap()).await["step"], "hopes");
    let (_, so_far) = learner.get(&url).await;
    let turns: Vec<i64> = so_far["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["role"] == "user")
        .map(|t| t["seq"].as_i64().unwrap())
        .collect();
    let last = turns.last().unwrap() + 2;
    let summary = json!({
        "interests": { "value": ["drawing", "building robots"], "turns": [turns[0], turns[1], turns[2]] },
        "strengths": { "value": ["patience", "explaining"], "turns": [turns[3]] },
        "next_steps": { "value": ["electronics"], "turns": [last] },
    });
    chat.push_all([judged(true, ""), Script::Reply(summary.to_string())]);
    let done = send("Electronics, so my robots can do more").await;
    assert_eq!(
        (done["status"].as_str(), done["summary_source"].as_str()),
        (Some("completed"), Some("model")),
        "{done}"
    );
    let interests = done["summary"].as_array().unwrap().iter().find(|f| f["key"] == "interests").unwrap();
    assert_eq!(
        (interests["value"].clone(), interests["turns"].clone()),
        (json!(["drawing", "building robots"]), json!(&turns[..3]))
    );
    let answers: Vec<&Value> = done["transcript"].as_array().unwrap().iter().filter(|t| t["role"] == "user").collect();
    assert_eq!(
        (answers.len(), answers[0]["content"].as_str(), answers[4]["seq"].as_i64()),
        (5, Some(SPOKEN), Some(last))
    );
    assert_eq!(speech.requests().len(), 2, "two recordings");
    assert!(speech.requests().iter().all(|r| r.format == AudioFormat::Wav));
    let (status, seen) = coach.get(&url).await;
    assert_eq!((status, seen["summary"].clone()), (StatusCode::OK, done["summary"].clone()));
}

/// How many rows `table` holds.
async fn rows_in(app: &TestApp, table: &str) -> i64 {
    app.row_counts().await.into_iter().find(|(t, _)| *t == table).map(|(_, n)| n).unwrap()
}

async fn kept_audio_is_read_back_and_goes_with_retention_and_erasure(backend: Backend) {
    let fake = FakeSpeech::start().await;
    let speech = SpeechClient::new(fake.config()).unwrap();
    let app = TestApp::spawn_with_speech(backend, wayfinder_coach::Models::none(), speech).await;
    let w = World::build_on(app).await;
    let (a, admin) = (&w.org_a, &w.admin.client);
    let retention = format!("/orgs/{a}/retention");

    // Only administrators choose to keep interview audio; a wrong type changes nothing.
    let keep = json!({ "conversation_days": null, "inactive_account_days": null, "keep_interview_audio": true });
    assert_error(w.coach.client.put(&retention, keep.clone()).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(w.admin_b.client.put(&retention, keep.clone()).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        admin.put(&retention, json!({ "keep_interview_audio": "yes" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert_eq!(admin.get(&retention).await.1["keep_interview_audio"], false);
    let (status, policy) = admin.put(&retention, keep).await;
    assert_eq!((status, policy["keep_interview_audio"].as_bool()), (StatusCode::OK, Some(true)), "{policy}");

    // Two learners speak an answer each: both recordings are kept, as they were sent.
    let url = started(&w).await;
    let (_, interview) = w.learner.client.get(&url).await;
    let (status, other) =
        w.other_learner.client.post(&format!("/orgs/{a}/interviews"), json!({ "flow_id": interview["flow_id"] })).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let other_url = format!("/orgs/{a}/interviews/{}", other["id"].as_str().unwrap());
    let (audio, duration_ms) = recording();
    let mut kept = Vec::new();
    for (client, at) in [(&w.learner.client, &url), (&w.other_learner.client, &other_url)] {
        let (mut socket, _) = open(&w.app, at, &token(client).await).await;
        fake.push_transcript(SPOKEN);
        let heard = speak(&mut socket, &audio, 4).await;
        assert_eq!(heard["type"], "transcript", "{heard}");
        kept.push(heard["recording_id"].as_str().expect("kept").to_string());
    }
    let (status, listed) = w.learner.client.get(&format!("{url}/recordings")).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (listed[0]["id"].as_str(), listed[0]["content_type"].as_str(), listed[0]["transcript"].as_str()),
        (Some(kept[0].as_str()), Some("audio/wav"), Some(SPOKEN))
    );
    assert_eq!(listed[0]["bytes"].as_u64(), Some(audio.len() as u64));
    assert!(listed[0]["duration_ms"].as_u64().unwrap().abs_diff(duration_ms) <= 1, "{listed:?}");
    let audio_url = format!("{url}/recordings/{}/audio", kept[0]);
    for reader in [&w.learner.client, &w.coach.client] {
        let (status, headers, bytes) = reader.get_bytes(&audio_url).await;
        assert_eq!(
            (status, &headers["content-type"]),
            (StatusCode::OK, &"audio/wav".parse::<reqwest::header::HeaderValue>().unwrap())
        );
        assert!(bytes == audio, "the recording comes back byte for byte");
    }
    // Those who may not read the interview see nothing of it; another interview's id finds nothing.
    for outsider in [&w.other_learner.client, &w.admin_b.client] {
        assert_error(outsider.get(&format!("{url}/recordings")).await, StatusCode::NOT_FOUND, "not_found");
        assert_eq!(outsider.get_bytes(&audio_url).await.0, StatusCode::NOT_FOUND);
    }
    let b_url = format!("/orgs/{}/interviews/{}/recordings", w.org_b, interview["id"].as_str().unwrap());
    assert_error(w.admin_b.client.get(&b_url).await, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        w.learner.client.get_bytes(&format!("{url}/recordings/{}/audio", kept[1])).await.0,
        StatusCode::NOT_FOUND
    );

    // Saving the policy without the setting leaves it; turned off, nothing more is kept.
    let (_, policy) = admin.put(&retention, json!({ "conversation_days": 30, "inactive_account_days": null })).await;
    assert_eq!(policy["keep_interview_audio"], true, "{policy}");
    let off = json!({ "conversation_days": 30, "inactive_account_days": null, "keep_interview_audio": false });
    assert_eq!(admin.put(&retention, off).await.0, StatusCode::OK);
    let (mut socket, _) = open(&w.app, &url, &token(&w.learner.client).await).await;
    fake.push_transcript(SPOKEN);
    assert_eq!(speak(&mut socket, &audio, 2).await["recording_id"], Value::Null);
    assert_eq!(rows_in(&w.app, "interview_recordings").await, 2);

    // Retention: the other learner's interview has been quiet for 40 days; its conversation goes,
    // and the recording with it.
    let quiet = chrono::Utc::now() - chrono::Duration::days(40);
    let conversation = other["conversation_id"].as_str().unwrap();
    crate::privacy::backdate(&w.app, "UPDATE conversations SET updated_at = $1 WHERE id = $2", conversation, quiet)
        .await;
    let (status, run) = admin.post(&format!("{retention}/apply"), json!({})).await;
    assert_eq!((status, run["conversations"].as_u64()), (StatusCode::OK, Some(1)), "{run}");
    assert_error(w.other_learner.client.get(&other_url).await, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(rows_in(&w.app, "interview_recordings").await, 1);

    // Erasure: the learner's recording goes with them.
    let (status, erased) = w.learner.client.post("/me/erase", json!({ "confirm": "learner@north.example" })).await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(rows_in(&w.app, "interview_recordings").await, 0);
}

wayfinder_testing::on_both_backends!(
    a_spoken_answer_is_transcribed_confirmed_and_sent,
    kept_audio_is_read_back_and_goes_with_retention_and_erasure,
    without_a_speech_endpoint_the_socket_says_so,
    interest_discovery_typed_and_spoken_with_a_model,
);
