//! Channels end to end: an organisation's Telegram bot and WhatsApp number
//! set up by its admin, an account linked with a one-time code, webhook calls
//! verified (forged ones refused without a trace) and deduplicated, questions
//! answered in the learner's one conversation and sent back on the channel
//! they came from — long answers split at the platform's limit with their
//! citations as footnotes, `retry_after` honoured, STOP, unlinking, and
//! WhatsApp's 24-hour window — against a fake platform at the network edge,
//! on both backends.

use crate::{
    coach::{models, world_with_guide},
    helpers::*,
};
use chrono::Utc;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use std::time::Duration;
use wayfinder_channels::ChannelSettings;
use wayfinder_channels::fake::{Failure, FakePlatform, Received};
use wayfinder_coach::Models;
use wayfinder_knowledge::{IngestLimits, KnowledgeBase};
use wayfinder_llm::fake::{FakeOpenAi, Script};

pub(crate) const BOT_TOKEN: &str = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
pub(crate) const WEBHOOK_SECRET: &str = "telegram-secret-4f1c9a";
const CHAT: i64 = 424_242;
const APP_SECRET: &str = "whatsapp-app-secret-77";
const VERIFY_TOKEN: &str = "verify-token-0b7e2d";
const NUMBER: &str = "4915112345678";
const WAIT: Duration = Duration::from_secs(30);

/// The server with its channels pointed at the fake platform.
pub(crate) async fn spawn(backend: Backend, platform: &FakePlatform, models: Models) -> TestApp {
    let settings = ServerSettings {
        channels: ChannelSettings {
            telegram_api: platform.base_url(),
            whatsapp_api: platform.base_url(),
            ..ChannelSettings::default()
        },
        ..test_settings()
    };
    TestApp::spawn_with_models(
        backend,
        settings,
        |store| KnowledgeBase::new(store, None, None, IngestLimits::default()),
        models,
    )
    .await
}

pub(crate) fn update(id: i64, text: &str) -> Value {
    json!({ "update_id": id, "message": { "message_id": id, "date": Utc::now().timestamp(),
        "chat": { "id": CHAT, "type": "private" }, "from": { "id": CHAT, "is_bot": false, "first_name": "Lena" }, "text": text } })
}

async fn post_raw(app: &TestApp, path: &str, headers: &[(&str, String)], body: &[u8]) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().post(app.url(path)).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.body(body.to_vec()).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn telegram(app: &TestApp, org: &str, secret: &str, update: &Value) -> (StatusCode, Value) {
    let headers = [("X-Telegram-Bot-Api-Secret-Token", secret.to_string())];
    post_raw(app, &format!("/api/v1/hooks/telegram/{org}"), &headers, update.to_string().as_bytes()).await
}

/// What reached `destination` with success, in order.
pub(crate) fn delivered_to(platform: &FakePlatform, destination: &str) -> Vec<Received> {
    platform.delivered().into_iter().filter(|r| r.destination == destination).collect()
}

pub(crate) async fn wait_delivered(platform: &FakePlatform, destination: &str, count: usize) -> Vec<Received> {
    let destination = destination.to_string();
    platform
        .wait_until(WAIT, |all| all.iter().filter(|r| r.delivered && r.destination == destination).count() >= count)
        .await;
    delivered_to(platform, &destination)
}

/// The person's conversations, newest first.
async fn conversations(client: &Client, org: &str) -> Vec<Value> {
    let (status, list) = client.get(&format!("/orgs/{org}/conversations")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["conversations"].as_array().cloned().unwrap_or_default()
}

async fn messages(client: &Client, conversation: &str) -> Vec<Value> {
    let (status, detail) = client.get(&format!("/conversations/{conversation}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    detail["messages"].as_array().unwrap().clone()
}

/// A part's text without its `\n(i/n)` number.
fn without_number(part: &str) -> &str {
    match part.rfind("\n(") {
        Some(at) if part.ends_with(')') => &part[..at],
        _ => part,
    }
}

async fn telegram_links_answers_splits_and_stops(backend: Backend) {
    let platform = FakePlatform::start().await;
    let llm = FakeOpenAi::start().await;
    let w = world_with_guide(spawn(backend, &platform, models(llm.base_url())).await).await;
    let (app, a, admin, learner) = (&w.app, &w.org_a, &w.admin.client, &w.learner.client);

    // Nothing is set up: no code to make, no webhook to call.
    let (status, body) = learner.post(&format!("/orgs/{a}/channel-links"), json!({ "channel": "telegram" })).await;
    assert_error((status, body), StatusCode::CONFLICT, "channel_not_configured");
    assert_error(telegram(app, a, WEBHOOK_SECRET, &update(1, "hi")).await, StatusCode::NOT_FOUND, "not_found");

    // Only admins set a bot up; its settings are checked.
    let setup =
        json!({ "bot_token": BOT_TOKEN, "webhook_secret": WEBHOOK_SECRET, "bot_username": "NorthHighCoachBot" });
    let (status, body) = learner.put(&format!("/orgs/{a}/channels/telegram"), setup.clone()).await;
    assert_error((status, body), StatusCode::FORBIDDEN, "forbidden");
    let bad = json!({ "bot_token": BOT_TOKEN, "webhook_secret": "short" });
    let (status, body) = admin.put(&format!("/orgs/{a}/channels/telegram"), bad).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("webhook_secret")));
    let (status, view) = admin.put(&format!("/orgs/{a}/channels/telegram"), setup).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["webhook_url"], format!("http://wayfinder.test/api/v1/hooks/telegram/{a}"));
    assert!(!view.to_string().contains(BOT_TOKEN) && !view.to_string().contains(WEBHOOK_SECRET), "secrets stay hidden");
    let (_, list) = admin.get(&format!("/orgs/{a}/channels")).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    // The learner makes a code; a forged call changes nothing.
    let (status, code) = learner.post(&format!("/orgs/{a}/channel-links"), json!({ "channel": "telegram" })).await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    let shown = code["code"].as_str().unwrap().to_string();
    assert_eq!(shown.len(), 9, "ABCD-EFGH: {code}");
    let compact = shown.replace('-', "");
    assert_eq!(code["open_url"], format!("https://t.me/NorthHighCoachBot?start={compact}"));
    let before = app.row_counts().await;
    let link = update(1, &format!("/start {compact}"));
    assert_error(telegram(app, a, "wrong-secret-value", &link).await, StatusCode::FORBIDDEN, "forged_webhook");
    let unsigned = post_raw(app, &format!("/api/v1/hooks/telegram/{a}"), &[], link.to_string().as_bytes()).await;
    assert_error(unsigned, StatusCode::FORBIDDEN, "forged_webhook");
    let garbage = post_raw(
        app,
        &format!("/api/v1/hooks/telegram/{a}"),
        &[("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET.into())],
        b"{\"update_id\": \"x\"",
    )
    .await;
    assert_error(garbage, StatusCode::BAD_REQUEST, "malformed_webhook");
    assert_eq!(app.row_counts().await, before, "refused calls leave no trace");

    // The bot's deep link links the chat, once however often Telegram delivers it.
    let (status, receipt) = telegram(app, a, WEBHOOK_SECRET, &link).await;
    assert_eq!((status, receipt["received"].as_u64()), (StatusCode::OK, Some(1)), "{receipt}");
    let sent = wait_delivered(&platform, &CHAT.to_string(), 1).await;
    assert!(sent[0].text.starts_with("Linked"), "{sent:?}");
    assert_eq!(sent[0].account, BOT_TOKEN, "sent with the organisation's bot");
    let (_, receipt) = telegram(app, a, WEBHOOK_SECRET, &link).await;
    assert_eq!(receipt["received"], 0, "a redelivered update is taken once");
    let (_, linked) = learner.get(&format!("/orgs/{a}/channel-accounts")).await;
    assert_eq!(linked["available"], json!(["telegram"]), "{linked}");
    let accounts = &linked["accounts"];
    assert_eq!(accounts.as_array().unwrap().len(), 1, "{accounts}");
    assert_eq!(
        (accounts[0]["channel"].as_str(), accounts[0]["external_id"].as_str()),
        (Some("telegram"), Some("424242"))
    );
    let account = accounts[0]["id"].as_str().unwrap().to_string();
    // A spent code links nothing more.
    let (_, _) = telegram(app, a, WEBHOOK_SECRET, &update(2, &format!("link {shown}"))).await;
    let sent = wait_delivered(&platform, &CHAT.to_string(), 2).await;
    assert!(sent[1].text.contains("not valid or has expired"), "{}", sent[1].text);

    // A question is answered in the learner's conversation; the long answer arrives in parts
    // within Telegram's limit, in order, with the citation as a footnote.
    let sentence = "Review your flashcards on a schedule that spaces the sessions further apart each time [1]. ";
    let long = sentence.repeat(80);
    llm.push(Script::Reply(long.clone()));
    let question = "How should I review flashcards?";
    telegram(app, a, WEBHOOK_SECRET, &update(3, question)).await;
    let expected_parts = (long.encode_utf16().count() + 200).div_ceil(4096).max(2);
    let sent = wait_delivered(&platform, &CHAT.to_string(), 2 + expected_parts).await;
    let parts: Vec<&Received> = sent[2..].iter().collect();
    let count = parts.len();
    for (i, part) in parts.iter().enumerate() {
        assert!(part.text.encode_utf16().count() <= 4096, "part {i} is {} units", part.text.encode_utf16().count());
        assert!(part.text.ends_with(&format!("({}/{count})", i + 1)), "numbered in order: {}", part.text);
    }
    let joined: String = parts.iter().map(|p| without_number(&p.text)).collect::<Vec<_>>().join(" ");
    let words = |text: &str| text.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    let (conversation_list, _) = (conversations(learner, a).await, ());
    assert_eq!(conversation_list.len(), 1, "one conversation: {conversation_list:?}");
    let conversation = conversation_list[0]["id"].as_str().unwrap().to_string();
    let stored = messages(learner, &conversation).await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert_eq!((stored[0]["content"].as_str(), stored[0]["channel"].as_str()), (Some(question), Some("telegram")));
    assert_eq!(stored[1]["channel"], "telegram");
    let answer = stored[1]["content"].as_str().unwrap();
    let title = stored[1]["citations"][0]["document_title"].as_str().unwrap();
    let footnote = format!("[1] {title}");
    assert!(joined.contains(&footnote), "the citation follows as a footnote: …{}", &joined[joined.len() - 300..]);
    let body_words = words(&joined[..joined.find(&footnote).unwrap()]);
    assert_eq!(body_words, words(answer), "the parts carry the whole answer, nothing lost or repeated");

    // The web app continues the same conversation; a question there is answered there only.
    let (status, _) = learner
        .post(&format!("/conversations/{conversation}/messages"), json!({ "content": "What is the Cornell method?" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let delivered_so_far = delivered_to(&platform, &CHAT.to_string()).len();

    // Telegram says "slow down": the next attempt waits as long as it asked.
    platform.fail_next(Failure::RateLimited { retry_after: 3 });
    telegram(app, a, WEBHOOK_SECRET, &update(4, "What is spaced repetition?")).await;
    let sent = wait_delivered(&platform, &CHAT.to_string(), delivered_so_far + 1).await;
    let requests = platform.requests();
    let refused = requests.iter().rposition(|r| !r.delivered).unwrap();
    let retried = &requests[refused + 1..].iter().find(|r| r.delivered).unwrap();
    assert_eq!(retried.text, requests[refused].text, "the same message was sent again");
    assert!(
        retried.at - requests[refused].at >= Duration::from_secs(3),
        "retry_after was honoured, not the 2 s backoff"
    );
    assert_eq!(sent.last().unwrap().text, retried.text);
    let stored = messages(learner, &conversation).await;
    assert_eq!(stored.len(), 6, "the web turn and the Telegram turn share the conversation");
    assert_eq!((stored[2]["channel"].as_str(), stored[4]["channel"].as_str()), (Some("web"), Some("telegram")));

    // STOP pauses reminders on the account and is confirmed; START turns them on again.
    let before_stop = delivered_to(&platform, &CHAT.to_string()).len();
    telegram(app, a, WEBHOOK_SECRET, &update(5, "STOP")).await;
    let sent = wait_delivered(&platform, &CHAT.to_string(), before_stop + 1).await;
    assert!(sent.last().unwrap().text.contains("no more reminders"), "{}", sent.last().unwrap().text);
    let (_, linked) = learner.get(&format!("/orgs/{a}/channel-accounts")).await;
    assert!(linked["accounts"][0]["opted_out_at"].is_string(), "{linked}");
    telegram(app, a, WEBHOOK_SECRET, &update(6, "start")).await;
    wait_delivered(&platform, &CHAT.to_string(), before_stop + 2).await;
    let (_, linked) = learner.get(&format!("/orgs/{a}/channel-accounts")).await;
    assert!(linked["accounts"][0]["opted_out_at"].is_null(), "{linked}");

    // Someone else cannot unlink it; the learner can, and the chat is then nobody's.
    let (status, body) = w.other_learner.client.delete(&format!("/orgs/{a}/channel-accounts/{account}")).await;
    assert_error((status, body), StatusCode::NOT_FOUND, "not_found");
    let (status, _) = learner.delete(&format!("/orgs/{a}/channel-accounts/{account}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let before_unlinked = delivered_to(&platform, &CHAT.to_string()).len();
    telegram(app, a, WEBHOOK_SECRET, &update(7, "Are you still there?")).await;
    let sent = wait_delivered(&platform, &CHAT.to_string(), before_unlinked + 1).await;
    assert!(sent.last().unwrap().text.contains("link this chat"), "{}", sent.last().unwrap().text);
    assert_eq!(messages(learner, &conversation).await.len(), 6, "an unlinked chat's message is not the learner's");

    // Another organisation's webhook with this bot's secret is not this bot.
    let b = &w.org_b;
    assert_error(telegram(app, b, WEBHOOK_SECRET, &update(8, "hi")).await, StatusCode::NOT_FOUND, "not_found");

    // Removed by an admin, the bot's webhook is gone and nothing is left to link.
    let (status, body) = learner.delete(&format!("/orgs/{a}/channels/telegram")).await;
    assert_error((status, body), StatusCode::FORBIDDEN, "forbidden");
    let (status, _) = admin.delete(&format!("/orgs/{a}/channels/telegram")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(telegram(app, a, WEBHOOK_SECRET, &update(9, "hi")).await, StatusCode::NOT_FOUND, "not_found");
    let (_, linked) = learner.get(&format!("/orgs/{a}/channel-accounts")).await;
    assert_eq!(linked["available"], json!([]), "{linked}");
    let (status, body) = admin.delete(&format!("/orgs/{a}/channels/telegram")).await;
    assert_error((status, body), StatusCode::CONFLICT, "channel_not_configured");
}

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn whatsapp_message(id: &str, text: &str, sent_at: chrono::DateTime<Utc>) -> Value {
    json!({ "object": "whatsapp_business_account", "entry": [{ "id": "8856996819413533", "changes": [{ "field": "messages",
        "value": { "messaging_product": "whatsapp", "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
            "contacts": [{ "profile": { "name": "Lena Ortiz" }, "wa_id": NUMBER }],
            "messages": [{ "from": NUMBER, "id": id, "timestamp": sent_at.timestamp().to_string(), "type": "text", "text": { "body": text } }] } }] }] })
}

async fn whatsapp(app: &TestApp, org: &str, body: &Value, signature: Option<String>) -> (StatusCode, Value) {
    let bytes = body.to_string().into_bytes();
    let signature = signature.unwrap_or_else(|| sign(&bytes));
    post_raw(app, &format!("/api/v1/hooks/whatsapp/{org}"), &[("X-Hub-Signature-256", signature)], &bytes).await
}

async fn whatsapp_verifies_links_answers_and_keeps_the_window(backend: Backend) {
    let platform = FakePlatform::start().await;
    let w = world_with_guide(spawn(backend, &platform, Models::none()).await).await;
    let (app, a, admin, learner) = (&w.app, &w.org_a, &w.admin.client, &w.learner.client);
    let setup = json!({ "phone_number_id": "106540352242922", "display_number": "+1 555 078 3881",
        "access_token": "EAAG-access-token-for-tests", "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN,
        "template_name": "coach_message", "template_language": "en" });
    let (status, view) = admin.put(&format!("/orgs/{a}/channels/whatsapp"), setup.clone()).await;
    assert_eq!(status, StatusCode::OK, "{view}");

    // The subscription handshake echoes the challenge only for the right token.
    let handshake = |token: &str| {
        app.url(&format!(
            "/api/v1/hooks/whatsapp/{a}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
        ))
    };
    let response = reqwest::get(handshake(VERIFY_TOKEN)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "1158201444");
    let response = reqwest::get(handshake("not-the-token")).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // A wrong signature changes nothing.
    let (_, code) = learner.post(&format!("/orgs/{a}/channel-links"), json!({ "channel": "whatsapp" })).await;
    assert!(code["instructions"].as_str().unwrap().contains("+1 555 078 3881"), "{code}");
    let link = whatsapp_message("wamid.L1", &format!("link {}", code["code"].as_str().unwrap()), Utc::now());
    let before = app.row_counts().await;
    let forged = whatsapp(app, a, &link, Some(format!("sha256={}", "0".repeat(64)))).await;
    assert_error(forged, StatusCode::FORBIDDEN, "forged_webhook");
    assert_eq!(app.row_counts().await, before);

    // Linked with the code; a redelivery is taken once.
    assert_eq!(whatsapp(app, a, &link, None).await.1["received"], 1);
    assert_eq!(whatsapp(app, a, &link, None).await.1["received"], 0);
    let sent = wait_delivered(&platform, NUMBER, 1).await;
    assert_eq!((sent[0].body["type"].as_str(), sent[0].account.as_str()), (Some("text"), "106540352242922"));
    assert!(sent[0].text.starts_with("Linked"), "{sent:?}");

    // Inside the window: the extractive answer as text, its citations as footnotes.
    whatsapp(app, a, &whatsapp_message("wamid.Q1", "How should I review flashcards?", Utc::now()), None).await;
    let sent = wait_delivered(&platform, NUMBER, 2).await;
    let conversation = conversations(learner, a).await[0]["id"].as_str().unwrap().to_string();
    let stored = messages(learner, &conversation).await;
    let answer = &stored[1];
    assert_eq!((answer["kind"].as_str(), answer["channel"].as_str()), (Some("extractive"), Some("whatsapp")));
    assert_eq!(sent[1].body["type"], "text");
    assert!(sent[1].text.starts_with(answer["content"].as_str().unwrap()), "{}", sent[1].text);
    for citation in answer["citations"].as_array().unwrap() {
        let note = format!("[{}] {}", citation["number"], citation["document_title"].as_str().unwrap());
        assert!(sent[1].text.contains(&note), "{note} in {}", sent[1].text);
    }

    // A message WhatsApp delivers 30 hours late: the window has closed, so the answer goes out
    // as the approved template carrying the text.
    let late = Utc::now() - chrono::Duration::hours(30);
    let before_late = app.row_counts().await;
    whatsapp(app, a, &whatsapp_message("wamid.Q0", "What is the Cornell method?", late), None).await;
    let sent = wait_delivered(&platform, NUMBER, 3).await;
    assert_eq!(sent[2].body["type"], "template", "{}", sent[2].body);
    assert_eq!(sent[2].body["template"]["name"], "coach_message");
    assert_eq!(sent[2].body["template"]["language"]["code"], "en");
    let stored = messages(learner, &conversation).await;
    let late_answer = stored[3]["content"].as_str().unwrap();
    assert!(late_answer.starts_with(&sent[2].text[..40.min(sent[2].text.len())]), "{late_answer} / {}", sent[2].text);
    assert!(before_late.iter().any(|(t, _)| *t == "outbox"));

    // Without a template, a message outside the window is not sent: it fails with the reason.
    let mut without = setup.clone();
    without.as_object_mut().unwrap().remove("template_name");
    without.as_object_mut().unwrap().remove("template_language");
    let (status, _) = admin.put(&format!("/orgs/{a}/channels/whatsapp"), without).await;
    assert_eq!(status, StatusCode::OK);
    whatsapp(app, a, &whatsapp_message("wamid.Q2", "How should I take notes?", late), None).await;
    let org: wayfinder_accounts_rules::OrgId = a.parse().unwrap();
    let started = std::time::Instant::now();
    let failed = loop {
        let rows = app.store.outbound_of(org, 10).await.unwrap();
        if let Some(row) = rows.iter().find(|r| r.state == wayfinder_store::OutboundState::Failed) {
            break row.clone();
        }
        assert!(started.elapsed() < WAIT, "{rows:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(failed.last_error.as_deref().unwrap_or_default().contains("24-hour window"), "{failed:?}");
    assert_eq!(delivered_to(&platform, NUMBER).len(), 3, "nothing went out");
}

/// The arm a person is in for a rule, computed here from the documented rule: the first 64
/// bits of SHA-256(rule id, 0, person id) as a fraction, held out below the share.
pub(crate) fn held_out(rule: &str, person: &str, share: f64) -> bool {
    use sha2::Digest;
    let mut hasher = Sha256::new();
    hasher.update(rule.as_bytes());
    hasher.update([0]);
    hasher.update(person.as_bytes());
    let digest = hasher.finalize();
    let position = u64::from_be_bytes(digest[..8].try_into().unwrap()) as f64 / 2f64.powi(64);
    position < share
}

/// Learners invited, signed in and linked to Telegram chats `base + i`.
pub(crate) async fn linked_learners(
    w: &World,
    platform: &FakePlatform,
    prefix: &str,
    base: i64,
    count: usize,
) -> Vec<(Client, String, i64)> {
    let (app, a, admin) = (&w.app, &w.org_a, &w.admin.client);
    let mut learners = Vec::new();
    for i in 0..count {
        let (client, id) = app.invite(admin, a, &format!("{prefix}{i}@north.example"), "learner").await;
        let chat = base + i as i64;
        link_telegram(app, platform, &client, a, chat).await;
        learners.push((client, id, chat));
    }
    learners
}

/// Links the member behind `client` to the Telegram chat `chat` with a one-time code, and
/// waits for the bot's confirmation.
pub(crate) async fn link_telegram(app: &TestApp, platform: &FakePlatform, client: &Client, org: &str, chat: i64) {
    let (_, code) = client.post(&format!("/orgs/{org}/channel-links"), json!({ "channel": "telegram" })).await;
    let mut link = update(chat * 10, &format!("link {}", code["code"].as_str().unwrap()));
    link["message"]["chat"]["id"] = json!(chat);
    let (status, _) = telegram(app, org, WEBHOOK_SECRET, &link).await;
    assert_eq!(status, StatusCode::OK);
    wait_delivered(platform, &chat.to_string(), 1).await;
}

async fn nudges_keep_quiet_hours_caps_stop_and_holdout_and_show_their_effect(backend: Backend) {
    let platform = FakePlatform::start().await;
    let w = world_with_guide(spawn(backend, &platform, Models::none()).await).await;
    let (app, a, admin) = (&w.app, &w.org_a, &w.admin.client);
    let setup = json!({ "bot_token": BOT_TOKEN, "webhook_secret": WEBHOOK_SECRET });
    assert_eq!(admin.put(&format!("/orgs/{a}/channels/telegram"), setup).await.0, StatusCode::OK);
    let learners = linked_learners(&w, &platform, "quiet", 7_000, 8).await;
    // One stops reminders, one allows a single nudge a week.
    let mut stop = update(70_001, "STOP");
    stop["message"]["chat"]["id"] = json!(learners[0].2);
    telegram(app, a, WEBHOOK_SECRET, &stop).await;
    wait_delivered(&platform, &learners[0].2.to_string(), 2).await;
    let (status, saved) = learners[1].0.put(&format!("/orgs/{a}/reach-settings"), json!({ "weekly_cap": 1 })).await;
    assert_eq!((status, saved["weekly_cap"].as_i64()), (StatusCode::OK, Some(1)), "{saved}");
    let bad = learners[1]
        .0
        .put(&format!("/orgs/{a}/reach-settings"), json!({ "quiet_start": "25:00", "quiet_end": "07:00" }))
        .await;
    assert_eq!((bad.0, bad.1["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("quiet_start")));

    // Rules are the admins'.
    let rule = json!({ "name": "Quiet for a day", "trigger": "inactive", "days": 1, "holdout_share": 0.3,
        "message": "Hi {name}, it has been {days} day since we last talked. Five minutes today?" });
    let (status, body) = learners[2].0.post(&format!("/orgs/{a}/nudge-rules"), rule.clone()).await;
    assert_error((status, body), StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = admin
        .post(
            &format!("/orgs/{a}/nudge-rules"),
            json!({ "name": "x", "trigger": "inactive", "days": 0, "message": "m" }),
        )
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("days")));
    let (status, quiet_rule) = admin.post(&format!("/orgs/{a}/nudge-rules"), rule).await;
    assert_eq!(status, StatusCode::CREATED, "{quiet_rule}");
    let rule_id = quiet_rule["id"].as_str().unwrap().to_string();

    // Evaluated a day and a half from now at 23:30 (UTC, the organisation's zone): inside the
    // quiet hours, so each nudge waits for 08:00.
    let service = app.channels();
    let org: wayfinder_accounts_rules::OrgId = a.parse().unwrap();
    let day = (Utc::now() + chrono::Duration::days(1)).date_naive();
    let late = day.and_hms_opt(23, 30, 0).unwrap().and_utc();
    let morning = day.succ_opt().unwrap().and_hms_opt(8, 0, 0).unwrap().and_utc();
    let run = service.evaluate_nudges(org, late).await.unwrap();
    // Every learner of the organisation was inactive: expected outcomes, decided here.
    let (_, members) = admin.get(&format!("/orgs/{a}/members")).await;
    let all_learners: Vec<String> = members
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "learner")
        .map(|m| m["person"]["id"].as_str().unwrap().to_string())
        .collect();
    let linked: std::collections::HashMap<&str, i64> =
        learners.iter().map(|(_, id, chat)| (id.as_str(), *chat)).collect();
    let (mut queued, mut holdout, mut opted, mut unreachable) = (Vec::new(), 0, 0, 0);
    for person in &all_learners {
        if held_out(&rule_id, person, 0.3) {
            holdout += 1;
        } else if !linked.contains_key(person.as_str()) {
            unreachable += 1;
        } else if person == &learners[0].1 {
            opted += 1;
        } else {
            queued.push(person.clone());
        }
    }
    assert!(!queued.is_empty(), "the test needs someone to nudge");
    assert_eq!(
        (run.queued, run.held_out, run.opted_out, run.no_channel, run.cap_reached),
        (queued.len(), holdout, opted, unreachable, 0)
    );
    let rows = app.store.outbound_of(org, 200).await.unwrap();
    let nudges: Vec<_> = rows.iter().filter(|r| r.idempotency_key.starts_with(&format!("nudge:{rule_id}:"))).collect();
    assert_eq!(nudges.len(), queued.len(), "held-out, stopped and unreachable learners get nothing");
    for row in &nudges {
        let person = row.person.unwrap().to_string();
        assert!(queued.contains(&person));
        assert_eq!(row.destination, linked[person.as_str()].to_string());
        assert_eq!(row.next_attempt_at, morning, "not before the quiet hours end");
        let first = all_learner_name(&members, &person);
        assert_eq!(
            row.payload["text"],
            format!("Hi {first}, it has been 1 day since we last talked. Five minutes today?")
        );
    }
    // Evaluated again, nothing new: one decision per inactivity spell.
    let again = service.evaluate_nudges(org, late + chrono::Duration::hours(1)).await.unwrap();
    assert_eq!((again.queued, again.held_out, again.opted_out, again.no_channel), (0, 0, 0, 0));

    // A second rule in the afternoon: goes at once, except to whom the cap allows no more.
    let second = json!({ "name": "Still quiet", "trigger": "inactive", "days": 1, "holdout_share": 0.0, "message": "Ready when you are, {name}." });
    let (_, second) = admin.post(&format!("/orgs/{a}/nudge-rules"), second).await;
    let afternoon = day.succ_opt().unwrap().and_hms_opt(14, 0, 0).unwrap().and_utc();
    let run = service.evaluate_nudges(org, afternoon).await.unwrap();
    let capped = usize::from(queued.contains(&learners[1].1));
    let reachable = learners.len() - 1; // all linked but the one who sent STOP
    assert_eq!((run.queued, run.cap_reached, run.opted_out), (reachable - capped, capped, 1), "{run:?}");
    let rows = app.store.outbound_of(org, 200).await.unwrap();
    let second_id = second["id"].as_str().unwrap();
    for row in rows.iter().filter(|r| r.idempotency_key.starts_with(&format!("nudge:{second_id}:"))) {
        assert_eq!(row.next_attempt_at, afternoon, "outside the quiet hours it goes at once");
    }

    // The effect of a rule, measured on learners who rated an answer down (now, in real time):
    // some come back, and the figures match what the test counts itself.
    let (status, feedback_rule) = admin
        .post(
            &format!("/orgs/{a}/nudge-rules"),
            json!({ "name": "After a thumbs-down", "trigger": "negative_feedback", "days": 1,
            "holdout_share": 0.5, "message": "Sorry that answer missed, {name}. Ask me again in your own words?" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let feedback_id = feedback_rule["id"].as_str().unwrap().to_string();
    // Enough raters that each arm has at least three (the arms come from the ids).
    let mut raters = Vec::new();
    while raters.len() < 40 {
        raters.extend(
            linked_learners(&w, &platform, &format!("rater{}-", raters.len()), 8_000 + raters.len() as i64, 1).await,
        );
        let held = raters.iter().filter(|(_, person, _)| held_out(&feedback_id, person, 0.5)).count();
        if held >= 3 && raters.len() - held >= 3 {
            break;
        }
    }
    for (client, _, _) in &raters {
        let (_, conversation) = client.post(&format!("/orgs/{a}/conversations"), json!({})).await;
        let path = format!("/conversations/{}/messages", conversation["id"].as_str().unwrap());
        let (_, turn) = client.post(&path, json!({ "content": "How should I review flashcards?" })).await;
        let answer = turn["assistant_message"]["id"].as_str().unwrap();
        let (status, _) = client.put(&format!("/messages/{answer}/feedback"), json!({ "rating": "down" })).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, run) = admin.post(&format!("/orgs/{a}/nudge-rules/evaluate"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    let mut expected = [(0usize, 0usize); 2]; // [nudged, holdout] → (people, returned)
    for (i, (client, person, _)) in raters.iter().enumerate() {
        let arm = usize::from(held_out(&feedback_id, person, 0.5));
        let returns = i % 3 != 2;
        expected[arm].0 += 1;
        if returns {
            let (_, conversation) = client.post(&format!("/orgs/{a}/conversations"), json!({})).await;
            let path = format!("/conversations/{}/messages", conversation["id"].as_str().unwrap());
            client.post(&path, json!({ "content": "What is the Cornell method?" })).await;
            expected[arm].1 += 1;
        }
    }
    assert_eq!(
        run["queued"].as_u64().unwrap() as usize + run["held_out"].as_u64().unwrap() as usize,
        raters.len(),
        "{run}"
    );
    let (status, effect) = admin.get(&format!("/orgs/{a}/nudge-rules/{feedback_id}/effect")).await;
    assert_eq!(status, StatusCode::OK, "{effect}");
    let returns = &effect["returns"];
    for (arm, name) in [(0, "nudged"), (1, "holdout")] {
        assert_eq!(returns[name]["people"].as_u64(), Some(expected[arm].0 as u64), "{effect}");
        assert_eq!(returns[name]["returned"].as_u64(), Some(expected[arm].1 as u64), "{effect}");
    }
    if expected[0].0 > 0 && expected[1].0 > 0 {
        let rate = |(n, r): (usize, usize)| r as f64 / n as f64;
        let (p1, p2) = (rate(expected[0]), rate(expected[1]));
        let se = (p1 * (1.0 - p1) / expected[0].0 as f64 + p2 * (1.0 - p2) / expected[1].0 as f64).sqrt();
        let interval = returns["interval"].as_array().unwrap();
        assert!((returns["difference"].as_f64().unwrap() - (p1 - p2)).abs() < 1e-9, "{effect}");
        // The Wald interval, within the ±1 a difference of rates can take.
        let (low, high) = ((p1 - p2 - 1.959_964 * se).max(-1.0), (p1 - p2 + 1.959_964 * se).min(1.0));
        assert!((interval[0].as_f64().unwrap() - low).abs() < 1e-6, "{effect}");
        assert!((interval[1].as_f64().unwrap() - high).abs() < 1e-6, "{effect}");
    }
    // Held-out raters were sent nothing after their link confirmation.
    for (_, person, chat) in &raters {
        if held_out(&feedback_id, person, 0.5) {
            assert_eq!(delivered_to(&platform, &chat.to_string()).len(), 1, "a held-out learner is not nudged");
        }
    }
    // Someone else's rule is not there for another organisation's admin.
    let (status, body) = w.admin_b.client.get(&format!("/orgs/{a}/nudge-rules/{feedback_id}/effect")).await;
    assert_error((status, body), StatusCode::NOT_FOUND, "not_found");
}

fn all_learner_name(members: &Value, person: &str) -> String {
    let member = members.as_array().unwrap().iter().find(|m| m["person"]["id"] == person).unwrap();
    member["person"]["display_name"].as_str().unwrap().split_whitespace().next().unwrap().to_string()
}

/// A real SMTP server (aiosmtpd, AUTH required) in its own process, recording what it accepts.
pub(crate) struct SmtpServer {
    child: std::process::Child,
    pub(crate) port: u16,
    folder: tempfile::TempDir,
}

pub(crate) const RELAY_USER: &str = "wayfinder";
pub(crate) const RELAY_PASSWORD: &str = "relay-password-81";

impl SmtpServer {
    pub(crate) fn start() -> SmtpServer {
        use std::io::BufRead;
        let path = std::env::var("WAYFINDER_TEST_AIOSMTPD_PATH")
            .expect("the e-mail tests need WAYFINDER_TEST_AIOSMTPD_PATH (scripts/test installs aiosmtpd and sets it)");
        let folder = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/smtp-test-server");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg(folder.path())
            .args([RELAY_USER, RELAY_PASSWORD])
            .env("PYTHONPATH", path)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 runs the SMTP server");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("ready ").expect("the SMTP server is ready").parse().unwrap();
        SmtpServer { child, port, folder }
    }

    /// The messages accepted so far, in order.
    pub(crate) fn messages(&self) -> Vec<Value> {
        let mut names: Vec<_> = std::fs::read_dir(self.folder.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names.iter().map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()).collect()
    }

    pub(crate) async fn wait_for(&self, what: &str, found: impl Fn(&Value) -> bool) -> Value {
        let started = std::time::Instant::now();
        loop {
            if let Some(message) = self.messages().into_iter().find(|m| found(m)) {
                return message;
            }
            assert!(started.elapsed() < WAIT, "no e-mail {what}; the server has {:#?}", self.messages());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A header's value in a raw message (unfolded).
pub(crate) fn header(data: &str, name: &str) -> Option<String> {
    let head = data.split("\r\n\r\n").next().unwrap_or(data).replace("\r\n ", " ").replace("\r\n\t", " ");
    head.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_string))
}

/// A message's body, its quoted-printable soft line breaks joined.
pub(crate) fn body(data: &str) -> String {
    let body = data.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    body.replace("=\r\n", "").replace("=3D", "=").replace("=E2=80=99", "’").replace("\r\n", "\n")
}

async fn email_invites_nudges_and_takes_replies_into_the_conversation(backend: Backend) {
    let smtp = SmtpServer::start();
    let settings = ServerSettings {
        channels: ChannelSettings {
            smtp_url: Some(format!("smtp://{RELAY_USER}:{RELAY_PASSWORD}@127.0.0.1:{}", smtp.port)),
            email_from: "North High Coach <coach@north.example>".into(),
            email_reply_domain: Some("reply.north.example".into()),
            email_inbound_secret: Some("inbound-secret-5521".into()),
            ..ChannelSettings::default()
        },
        ..test_settings()
    };
    let app = TestApp::spawn_with_models(
        backend,
        settings,
        |store| KnowledgeBase::new(store, None, None, IngestLimits::default()),
        Models::none(),
    )
    .await;
    let w = world_with_guide(app).await;
    let (app, a, admin, learner) = (&w.app, &w.org_a, &w.admin.client, &w.learner.client);

    // Invitations go out by e-mail through the relay, signed in with its credentials.
    let invitation = smtp.wait_for("inviting the learner", |m| m["rcpt_tos"] == json!(["learner@north.example"])).await;
    let data = invitation["data"].as_str().unwrap();
    assert_eq!(invitation["auth_user"], RELAY_USER, "the relay's AUTH was used");
    assert_eq!(header(data, "Subject").as_deref(), Some("Your invitation to North High School"));
    assert!(body(data).contains("http://wayfinder.test/invite/wfi_"), "{data}");
    let (status, created) =
        admin.post(&format!("/orgs/{a}/invitations"), json!({ "email": "new@north.example", "role": "learner" })).await;
    assert_eq!((status, created["emailed"].as_bool()), (StatusCode::CREATED, Some(true)), "{created}");
    let token = created["token"].as_str().unwrap().to_string();
    let sent = smtp.wait_for("to the new invitee", |m| m["rcpt_tos"] == json!(["new@north.example"])).await;
    assert!(body(sent["data"].as_str().unwrap()).contains(&format!("/invite/{token}")));

    // A learner without a messaging account is nudged by e-mail (no quiet hours for them).
    let (status, _) = learner
        .put(&format!("/orgs/{a}/reach-settings"), json!({ "quiet_start": "00:00", "quiet_end": "00:00" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let rule = json!({ "name": "Checking in", "trigger": "negative_feedback", "days": 1, "holdout_share": 0.0,
        "message": "Sorry that answer missed, {name}. Reply to this e-mail with your question in your own words." });
    assert_eq!(admin.post(&format!("/orgs/{a}/nudge-rules"), rule).await.0, StatusCode::CREATED);
    let (_, conversation) = learner.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    let conversation = conversation["id"].as_str().unwrap().to_string();
    let (_, turn) = learner
        .post(
            &format!("/conversations/{conversation}/messages"),
            json!({ "content": "How should I review flashcards?" }),
        )
        .await;
    let answer = turn["assistant_message"]["id"].as_str().unwrap();
    learner.put(&format!("/messages/{answer}/feedback"), json!({ "rating": "down" })).await;
    let (_, run) = admin.post(&format!("/orgs/{a}/nudge-rules/evaluate"), json!({})).await;
    assert!(run["queued"].as_u64().unwrap() >= 1, "{run}");
    let nudge = smtp
        .wait_for("nudging the learner", |m| {
            m["rcpt_tos"] == json!(["learner@north.example"])
                && m["data"].as_str().unwrap().contains("Subject: Checking in")
        })
        .await;
    let data = nudge["data"].as_str().unwrap();
    assert!(body(data).contains("Sorry that answer missed, learner."), "{data}");
    let reply_to = header(data, "Reply-To").expect("a reply address");
    assert!(reply_to.starts_with("reply+") && reply_to.ends_with("@reply.north.example"), "{reply_to}");

    // The learner replies; the inbound-mail service posts it to the webhook.
    let reply = |from: &str, id: &str| {
        json!({ "FromFull": { "Email": from, "Name": "Learner" }, "ToFull": [{ "Email": reply_to }],
        "Subject": "Re: Checking in", "TextBody": "What is the Cornell method?\n\nOn Thu, Coach wrote:\n> Sorry that answer missed",
        "StrippedTextReply": "", "MessageID": id, "Date": "Thu, 03 Dec 2026 10:00:00 +0000" })
    };
    let post = |secret: &str, body: Value| {
        let request =
            reqwest::Client::new().post(app.url("/api/v1/hooks/email")).basic_auth("inbound", Some(secret)).json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let before = app.row_counts().await;
    assert_error(
        post("wrong-secret", reply("learner@north.example", "m-1")).await,
        StatusCode::FORBIDDEN,
        "forged_webhook",
    );
    assert_error(
        post("inbound-secret-5521", reply("someone@else.example", "m-1")).await,
        StatusCode::FORBIDDEN,
        "forged_webhook",
    );
    assert_eq!(app.row_counts().await, before, "refused replies leave no trace");
    assert_eq!(post("inbound-secret-5521", reply("Learner@North.Example", "m-1")).await.1["received"], 1);
    assert_eq!(
        post("inbound-secret-5521", reply("learner@north.example", "m-1")).await.1["received"],
        0,
        "a redelivery is taken once"
    );

    // The question continues the learner's conversation, and the answer comes back by e-mail.
    let answered = smtp
        .wait_for("answering the reply", |m| {
            m["rcpt_tos"] == json!(["learner@north.example"])
                && m["data"].as_str().unwrap().contains("Subject: Your coach")
        })
        .await;
    let (_, detail) = learner.get(&format!("/conversations/{conversation}")).await;
    let messages = detail["messages"].as_array().unwrap();
    let question = &messages[messages.len() - 2];
    assert_eq!(
        (question["content"].as_str(), question["channel"].as_str()),
        (Some("What is the Cornell method?"), Some("email"))
    );
    let stored_answer = messages.last().unwrap();
    assert_eq!(stored_answer["channel"], "email");
    let first_words: String =
        stored_answer["content"].as_str().unwrap().split_whitespace().take(6).collect::<Vec<_>>().join(" ");
    let mailed: String = body(answered["data"].as_str().unwrap()).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(mailed.contains(&first_words), "{first_words} in {mailed}");
    assert_eq!(
        header(answered["data"].as_str().unwrap(), "Reply-To").as_deref(),
        Some(reply_to.as_str()),
        "replies keep coming back"
    );
    assert!(smtp.messages().iter().all(|m| m["auth_user"] == RELAY_USER && m["mail_from"] == "coach@north.example"));
}

wayfinder_testing::on_both_backends!(
    telegram_links_answers_splits_and_stops,
    whatsapp_verifies_links_answers_and_keeps_the_window,
    nudges_keep_quiet_hours_caps_stop_and_holdout_and_show_their_effect,
    email_invites_nudges_and_takes_replies_into_the_conversation
);
