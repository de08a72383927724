//! The coach end to end: extractive answers with no model, streamed answers
//! from a fake OpenAI-compatible model (citations it was not given dropped),
//! refusals, who may read a conversation, sharing, feedback, model outages
//! and budgets — on both backends.

use crate::{
    helpers::*,
    knowledge::{create_collection, study_guide, upload, wait_for_job},
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use wayfinder_coach::Models;
use wayfinder_knowledge::{IngestLimits, KnowledgeBase};
use wayfinder_llm::{
    OpenAiConfig,
    fake::{FakeOpenAi, refused_base_url},
};

/// A world whose org A has the study guide in a collection.
pub(crate) async fn world_with_guide(app: TestApp) -> World {
    let w = World::build_on(app).await;
    let coll = create_collection(&w.admin.client, &w.org_a, "Handbooks", &[]).await;
    let (status, job) =
        upload(&w.admin.client, &w.org_a, &coll, &[("study.md", study_guide().into_bytes())], None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = wait_for_job(&w.admin.client, job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    w
}

/// The coach's model: the fake at `base_url`, two quick retries.
pub(crate) fn models(base_url: String) -> Models {
    Models::openai(
        OpenAiConfig {
            base_url,
            api_key: Some("test-key".into()),
            model: "fake-model".into(),
            timeout: Duration::from_secs(5),
            max_retries: 2,
            backoff: Duration::from_millis(20),
        },
        Default::default(),
    )
}

/// The server with no embedding model and these chat models.
pub(crate) async fn spawn(backend: Backend, models: Models) -> TestApp {
    TestApp::spawn_with_models(
        backend,
        test_settings(),
        |store| KnowledgeBase::new(store, None, None, IngestLimits::default()),
        models,
    )
    .await
}

async fn start(client: &Client, org: &str) -> String {
    let (status, c) = client.post(&format!("/orgs/{org}/conversations"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c["id"].as_str().unwrap().to_string()
}

async fn ask(client: &Client, conversation: &str, question: &str) -> (StatusCode, Value) {
    client.post(&format!("/conversations/{conversation}/messages"), json!({ "content": question })).await
}

/// The chunk ids of the organisation's documents.
async fn chunk_ids(client: &Client, org: &str) -> Vec<i64> {
    let (_, docs) = client.get(&format!("/orgs/{org}/collections")).await;
    let mut ids = Vec::new();
    for coll in docs.as_array().unwrap() {
        let (_, docs) =
            client.get(&format!("/orgs/{org}/collections/{}/documents", coll["id"].as_str().unwrap())).await;
        for d in docs.as_array().unwrap() {
            let (_, chunks) = client.get(&format!("/orgs/{org}/documents/{}/chunks", d["id"].as_str().unwrap())).await;
            ids.extend(chunks.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()));
        }
    }
    ids
}

async fn extractive_answers_refusals_access_and_sharing(backend: Backend) {
    let w = world_with_guide(spawn(backend, Models::none()).await).await;
    let (a, learner) = (&w.org_a, &w.learner.client);
    let conversation = start(learner, a).await;

    let (status, turn) = ask(learner, &conversation, "How should I review flashcards?").await;
    assert_eq!(status, StatusCode::OK, "{turn}");
    let answer = &turn["assistant_message"];
    assert_eq!(answer["kind"], "extractive", "{answer}");
    assert_eq!(answer["complete"], true);
    let citations = answer["citations"].as_array().unwrap();
    assert!(!citations.is_empty(), "{answer}");
    let known = chunk_ids(&w.admin.client, a).await;
    for c in citations {
        assert!(known.contains(&c["chunk_id"].as_i64().unwrap()), "citation points to a real chunk: {c}");
        assert_eq!(c["document_title"], "Study Skills Handbook");
        let mark = format!("[{}]", c["number"]);
        assert!(answer["content"].as_str().unwrap().contains(&mark), "{answer}");
    }
    assert!(answer["content"].as_str().unwrap().to_lowercase().contains("flashcard"), "{answer}");
    // The decision to answer, with its score against the coach's (default) threshold.
    let decision = &answer["relevance"];
    assert_eq!((decision["answerable"].as_bool(), decision["signals"].as_str()), (Some(true), Some("lexical")));
    assert_eq!(decision["threshold"].as_f64(), Some(0.5));
    assert!(decision["score"].as_f64().unwrap() >= 0.5, "{decision}");

    // Nothing relevant: a plain refusal, no citations, nothing invented, and the score that says so.
    let (_, turn) = ask(learner, &conversation, "What is the capital of Peru?").await;
    let refusal = &turn["assistant_message"];
    assert_eq!(refusal["kind"], "refusal", "{turn}");
    assert!(refusal["citations"].as_array().unwrap().is_empty());
    assert_eq!(refusal["relevance"]["answerable"], false, "{refusal}");
    assert!(refusal["relevance"]["score"].as_f64().unwrap() < 0.5, "{refusal}");

    // Stored with each answer, as returned.
    let (_, detail) = learner.get(&format!("/conversations/{conversation}")).await;
    assert_eq!(detail["messages"][1]["relevance"], answer["relevance"]);
    assert_eq!(detail["messages"][3]["relevance"], refusal["relevance"]);
    assert!(detail["messages"][0]["relevance"].is_null(), "a question carries no decision");

    // The threshold is the coach's setting: raised above this answer's score, the same question is
    // refused, and the decision reports the threshold it was held against.
    let (_, coaches) = w.admin.client.get(&format!("/orgs/{a}/coaches")).await;
    let coach = coaches["coaches"][0]["id"].as_str().unwrap().to_string();
    assert!(coaches["coaches"][0]["relevance_threshold"].is_null(), "the default applies: {coaches}");
    // Part of this question is in the guide: refused at the default, with a score short of it…
    let partial = "How should I review flashcards with my roommate's cat?";
    let probe = start(learner, a).await;
    let (_, turn) = ask(learner, &probe, partial).await;
    let strict = turn["assistant_message"]["relevance"].clone();
    let score = strict["score"].as_f64().unwrap();
    assert!(turn["assistant_message"]["kind"] == "refusal" && score > 0.0 && score < 0.5, "{turn}");
    // …and answered by a coach whose threshold is below that score.
    let lenient = score / 2.0;
    let (status, changed) =
        w.admin.client.patch(&format!("/orgs/{a}/coaches/{coach}"), json!({ "relevance_threshold": lenient })).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["relevance_threshold"].as_f64(), Some(lenient));
    let (_, turn) = ask(learner, &probe, partial).await;
    assert_eq!(turn["assistant_message"]["kind"], "extractive", "{turn}");
    let decision = &turn["assistant_message"]["relevance"];
    assert!(decision["answerable"] == true, "{decision}");
    assert!((decision["threshold"].as_f64().unwrap() - lenient).abs() < 1e-6, "{decision}");
    assert_eq!(decision["score"].as_f64(), Some(score), "the same material, the same score: {decision}");
    for bad in [json!({ "relevance_threshold": 1.5 }), json!({ "relevance_threshold": "high" })] {
        let (status, body) = w.admin.client.patch(&format!("/orgs/{a}/coaches/{coach}"), bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let (_, back) =
        w.admin.client.patch(&format!("/orgs/{a}/coaches/{coach}"), json!({ "relevance_threshold": null })).await;
    assert!(back["relevance_threshold"].is_null(), "{back}");
    assert_eq!(learner.delete(&format!("/conversations/{probe}")).await.0, StatusCode::NO_CONTENT);

    // Stored in order, titled by the first question, listed for its owner.
    let (_, detail) = learner.get(&format!("/conversations/{conversation}")).await;
    let roles: Vec<&str> = detail["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "user", "assistant"]);
    assert_eq!(detail["conversation"]["title"], "How should I review flashcards?");
    let (_, list) = learner.get(&format!("/orgs/{a}/conversations")).await;
    assert_eq!(list["conversations"][0]["id"], conversation.as_str());

    // Who may read: the learner's coach and the coach's manager and admins; not another learner, not the parent.
    for reader in [&w.coach.client, &w.manager.client, &w.admin.client] {
        assert_eq!(reader.get(&format!("/conversations/{conversation}")).await.0, StatusCode::OK);
    }
    for outsider in [&w.other_learner.client, &w.parent.client, &w.admin_b.client, &w.learner_b.client] {
        assert_error(outsider.get(&format!("/conversations/{conversation}")).await, StatusCode::NOT_FOUND, "not_found");
    }
    let (_, others) = w.coach.client.get(&format!("/orgs/{a}/conversations?owner={}", w.learner.id)).await;
    assert_eq!(others["conversations"].as_array().unwrap().len(), 1, "{others}");
    assert_error(
        w.other_learner.client.get(&format!("/orgs/{a}/conversations?owner={}", w.learner.id)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Readers may not write.
    assert_error(ask(&w.coach.client, &conversation, "hello").await, StatusCode::FORBIDDEN, "forbidden");
    let message = answer["id"].as_str().unwrap();
    assert_error(
        w.coach.client.put(&format!("/messages/{message}/feedback"), json!({ "rating": "up" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // Feedback by the owner, changeable.
    let (status, f) = learner
        .put(
            &format!("/messages/{message}/feedback"),
            json!({ "rating": "down", "reasons": ["not_helpful"], "comment": "too long" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    let (_, f) = learner.put(&format!("/messages/{message}/feedback"), json!({ "rating": "up" })).await;
    assert_eq!(f["rating"], "up");
    let (_, detail) = learner.get(&format!("/conversations/{conversation}")).await;
    assert_eq!(detail["messages"][1]["feedback"]["rating"], "up");
    assert_error(
        learner.put(&format!("/messages/{message}/feedback"), json!({ "rating": "meh" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );

    // Share read-only without signing in, then revoke.
    let (status, link) = learner.post(&format!("/conversations/{conversation}/share"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let token = link["token"].as_str().unwrap();
    let anonymous = w.app.client();
    let (status, shared) = anonymous.get(&format!("/shared/{token}")).await;
    assert_eq!(status, StatusCode::OK, "{shared}");
    assert_eq!(shared["messages"].as_array().unwrap().len(), 4);
    assert_error(
        w.coach.client.post(&format!("/conversations/{conversation}/share"), json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(learner.delete(&format!("/conversations/{conversation}/share")).await.0, StatusCode::NO_CONTENT);
    assert_error(anonymous.get(&format!("/shared/{token}")).await, StatusCode::NOT_FOUND, "not_found");

    // Rename, archive, delete.
    let (_, renamed) = learner
        .patch(&format!("/conversations/{conversation}"), json!({ "title": "Flashcards", "archived": true }))
        .await;
    assert_eq!((renamed["title"].as_str(), renamed["archived"].as_bool()), (Some("Flashcards"), Some(true)));
    let (_, active) = learner.get(&format!("/orgs/{a}/conversations?archived=false")).await;
    assert!(active["conversations"].as_array().unwrap().is_empty());
    assert_eq!(learner.delete(&format!("/conversations/{conversation}")).await.0, StatusCode::NO_CONTENT);
    assert_error(learner.get(&format!("/conversations/{conversation}")).await, StatusCode::NOT_FOUND, "not_found");
}

/// Reads a server-sent event stream to its end: (event, data) pairs and how many network reads brought deltas.
async fn read_events(client: &Client, path: &str, body: Value) -> (Vec<(String, Value)>, usize) {
    let mut req = client.http.post(format!("{}{path}", client.base)).header("accept", "text/event-stream").json(&body);
    if let Some(csrf) = &client.csrf {
        req = req.header("x-csrf-token", csrf);
    }
    let mut resp = req.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (mut text, mut reads_with_delta) = (String::new(), 0);
    while let Some(bytes) = resp.chunk().await.unwrap() {
        let piece = String::from_utf8_lossy(&bytes).to_string();
        if piece.contains("event: delta") {
            reads_with_delta += 1;
        }
        text.push_str(&piece);
    }
    let events = text
        .split("\n\n")
        .filter_map(|block| {
            let event = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((event.to_string(), serde_json::from_str(data).unwrap_or(Value::Null)))
        })
        .collect();
    (events, reads_with_delta)
}

async fn streamed_answers_keep_only_valid_citations(backend: Backend) {
    let fake = FakeOpenAi::start().await;
    let w = world_with_guide(spawn(backend, models(fake.base_url())).await).await;
    let (a, learner) = (&w.org_a, &w.learner.client);
    let conversation = start(learner, a).await;
    let chunks: Vec<String> = ["Review ", "your flashcards ", "on a spacing schedule [1]. ", "Sleep matters too [7]."]
        .iter()
        .map(|s| s.to_string())
        .collect();
    fake.push(wayfinder_llm::fake::Script::ReplyChunks(chunks));
    let (events, reads) = read_events(
        learner,
        &format!("/conversations/{conversation}/messages"),
        json!({ "content": "How should I review flashcards?" }),
    )
    .await;
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names.first(), Some(&"user"), "{names:?}");
    assert_eq!(names.get(1), Some(&"sources"));
    assert_eq!(names.iter().filter(|n| **n == "delta").count(), 4, "token by token: {names:?}");
    assert!(reads >= 2, "deltas arrived over several reads, not at once");
    let (last, done) = events.last().unwrap();
    assert_eq!(last, "done");
    let message = &done["message"];
    assert_eq!(message["kind"], "generated");
    assert_eq!(message["complete"], true);
    // [7] pointed at no source the model was given: dropped from text and citations.
    let content = message["content"].as_str().unwrap();
    assert!(content.contains("[1]") && !content.contains("[7]"), "{content}");
    let numbers: Vec<i64> =
        message["citations"].as_array().unwrap().iter().map(|c| c["number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [1]);
    let given: Vec<i64> =
        events[1].1["citations"].as_array().unwrap().iter().map(|c| c["chunk_id"].as_i64().unwrap()).collect();
    assert_eq!(message["citations"][0]["chunk_id"].as_i64().unwrap(), given[0], "cites a chunk retrieved this turn");
    // The model saw numbered sources and the question.
    let seen = fake.seen();
    let prompt = serde_json::to_string(&seen.last().unwrap().messages).unwrap();
    assert!(prompt.contains("[1]") && prompt.contains("flashcards"), "{prompt}");
    // Stored as sent in the done event.
    let (_, detail) = learner.get(&format!("/conversations/{conversation}")).await;
    assert_eq!(detail["messages"][1]["content"], message["content"]);
    assert!(detail["messages"][1]["output_tokens"].as_i64().unwrap() > 0);

    // A follow-up is rewritten before retrieval: the model is asked to rewrite, then to answer.
    fake.push(wayfinder_llm::fake::Script::Reply("How often should I review flashcards?".into()));
    fake.push(wayfinder_llm::fake::Script::Reply("Every few days [1].".into()));
    let before = fake.seen().len();
    let (status, turn) = ask(learner, &conversation, "Why does that help?").await;
    assert_eq!(status, StatusCode::OK, "{turn}");
    assert_eq!(fake.seen().len(), before + 2, "one rewrite call and one answer");
    assert_eq!(turn["assistant_message"]["content"], "Every few days [1].");
    assert_eq!(turn["assistant_message"]["citations"][0]["document_title"], "Study Skills Handbook");
}

async fn outages_and_budgets(backend: Backend) {
    // Nothing listens: three attempts, then a clear message and an incomplete answer.
    let w = world_with_guide(spawn(backend, models(refused_base_url())).await).await;
    let (a, learner) = (&w.org_a, &w.learner.client);
    let conversation = start(learner, a).await;
    let (status, body) = ask(learner, &conversation, "How should I review flashcards?").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(body["error"]["code"], "model_unavailable");
    let (_, detail) = learner.get(&format!("/conversations/{conversation}")).await;
    let answer = &detail["messages"][1];
    assert_eq!((answer["complete"].as_bool(), answer["kind"].as_str()), (Some(false), Some("error")), "{answer}");
    drop(w);

    // Budgets: once today's tokens reach the person's limit, 429 and no model call.
    let fake = FakeOpenAi::start().await;
    let w = world_with_guide(spawn(backend, models(fake.base_url())).await).await;
    let (a, learner) = (&w.org_a, &w.learner.client);
    assert_error(
        learner.put(&format!("/orgs/{a}/budget"), json!({ "person_daily_tokens": 10 })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, budget) = w.admin.client.put(&format!("/orgs/{a}/budget"), json!({ "person_daily_tokens": 10 })).await;
    assert_eq!(status, StatusCode::OK, "{budget}");
    let conversation = start(learner, a).await;
    fake.push(wayfinder_llm::fake::Script::Reply("Review them often [1].".into()));
    assert_eq!(ask(learner, &conversation, "How should I review flashcards?").await.0, StatusCode::OK);
    let calls = fake.seen().len();
    let (status, body) = ask(learner, &conversation, "How should I take notes?").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "budget_exceeded");
    assert_eq!(fake.seen().len(), calls, "no model call over budget");
    // Another person still has budget.
    let other = start(&w.other_learner.client, a).await;
    fake.push(wayfinder_llm::fake::Script::Reply("Write in your own words [1].".into()));
    assert_eq!(ask(&w.other_learner.client, &other, "How should I take notes?").await.0, StatusCode::OK);
}

/// The guide's collection drafted into a program and published in org A: (program id, its title,
/// the id of its "Spaced repetition" concept).
pub(crate) async fn published_guide_program(w: &World) -> (String, String, String) {
    let (a, admin) = (&w.org_a, &w.admin.client);
    let (_, collections) = admin.get(&format!("/orgs/{a}/collections")).await;
    let collection = collections[0]["id"].as_str().or(collections["collections"][0]["id"].as_str()).unwrap();
    let (status, draft) =
        admin.post(&format!("/orgs/{a}/programs/draft"), json!({ "collection_id": collection })).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let program = draft["program"]["id"].as_str().unwrap().to_string();
    let (status, _) = admin.post(&format!("/orgs/{a}/programs/{program}/publish"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let spaced = draft["concepts"].as_array().unwrap().iter().find(|c| c["name"] == "Spaced repetition").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    (program, draft["program"]["title"].as_str().unwrap().to_string(), spaced)
}

/// The coach knows where the learner asking stands (their goals, next step and mastery of what
/// the sources teach) and tells the model; nobody else's record reaches the prompt.
async fn the_coach_knows_where_the_learner_stands(backend: Backend) {
    let fake = FakeOpenAi::start().await;
    let w = world_with_guide(spawn(backend, models(fake.base_url())).await).await;
    let (a, admin) = (&w.org_a, &w.admin.client);
    let (program, title, spaced) = published_guide_program(&w).await;
    let title = title.as_str();
    let learner = &w.learner.id;
    let (status, _) =
        admin.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner })).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = w
        .learner
        .client
        .post(&format!("/orgs/{a}/learners/{learner}/goals"), json!({ "kind": "program", "program_id": program }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // The learner's coach records a right answer on spaced repetition.
    let (status, _) = w
        .coach
        .client
        .post(
            &format!("/orgs/{a}/learners/{learner}/evidence"),
            json!({ "concept_id": spaced, "kind": "graded_answer", "correct": true }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, mastery) = w.learner.client.get(&format!("/orgs/{a}/learners/{learner}/mastery/{spaced}")).await;
    let percent = (mastery["standing"]["mastery"].as_f64().unwrap() * 100.0).round() as i64;
    let (_, next) = w.learner.client.get(&format!("/orgs/{a}/learners/{learner}/next-step")).await;

    let question = "How should I review flashcards?";
    fake.set_default_reply("Space your reviews out over growing intervals [1].");
    let conversation = start(&w.learner.client, a).await;
    let (status, turn) = ask(&w.learner.client, &conversation, question).await;
    assert_eq!(status, StatusCode::OK, "{turn}");
    let seen = fake.seen();
    let system = seen.last().unwrap().system_prompt().unwrap().to_string();
    assert!(system.contains("About the learner you are talking to"), "{system}");
    assert!(system.contains(&format!("- Their goals: {title}.")), "{system}");
    assert!(system.contains(&format!("Spaced repetition {percent}%")), "{system}");
    let step = next["next"]["concept"]["name"].as_str().unwrap_or_else(|| panic!("no next step: {next}"));
    assert!(system.contains(&format!("- Their next step: learning {step}.")), "{system}");

    // A learner enrolled in nothing, and the coach asking for themself: nothing about anyone.
    for client in [&w.other_learner.client, &w.coach.client] {
        let conversation = start(client, a).await;
        let (status, turn) = ask(client, &conversation, question).await;
        assert_eq!(status, StatusCode::OK, "{turn}");
        let system = fake.seen().last().unwrap().system_prompt().unwrap().to_string();
        assert!(!system.contains("About the learner"), "{system}");
        assert!(!system.contains(title) && !system.contains('%'), "{system}");
    }
}

/// With the organisation's prompt privacy on, the model sees placeholders for the e-mail
/// addresses, phone numbers and names of the organisation's people, the learner sees them back in
/// the answer (streamed in pieces too), and with "no learner data" no learner record is sent.
async fn prompt_privacy_keeps_people_out_of_the_model(backend: Backend) {
    let fake = FakeOpenAi::start().await;
    let w = world_with_guide(spawn(backend, models(fake.base_url())).await).await;
    let (a, admin) = (&w.org_a, &w.admin.client);
    let (priya, priya_id) = w.app.invite_named(admin, a, "priya.raman@north.example", "learner", "Priya Raman").await;
    w.app.invite_named(admin, a, "tomasz@north.example", "coach", "Tomasz Nowak").await;
    let (program, title, _) = published_guide_program(&w).await;
    let enrol = json!({ "person_id": priya_id });
    assert_eq!(admin.post(&format!("/orgs/{a}/programs/{program}/enrolments"), enrol).await.0, StatusCode::CREATED);
    let goal = json!({ "kind": "program", "program_id": program });
    let goals = format!("/orgs/{a}/learners/{priya_id}/goals");
    assert_eq!(priya.post(&goals, goal).await.0, StatusCode::CREATED);
    // The coach may answer beyond its sources (the question is mostly about people), and the
    // model answers with every placeholder it was sent, each split across two pieces.
    let (_, coaches) = admin.get(&format!("/orgs/{a}/coaches")).await;
    let coach = coaches["coaches"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = admin.patch(&format!("/orgs/{a}/coaches/{coach}"), json!({ "answer_mode": "open" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    fake.set_default_script(|seen| {
        let asked = seen.last_user_message().unwrap_or_default().to_string();
        let tokens: Vec<String> = asked
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
            .map(|t| t.trim_end_matches('.').to_string())
            .filter(|t| t.starts_with('[') && t.ends_with(']') && t.contains('_'))
            .collect();
        let mut pieces = vec!["Seen:".to_string()];
        for token in tokens {
            pieces.push(format!(" {}", &token[..4]));
            pieces.push(token[4..].to_string());
        }
        wayfinder_llm::fake::Script::ReplyChunks(pieces)
    });
    let question = "I'm Priya Raman (priya.raman@north.example, +44 7700 900123). Tomasz Nowak told me to review \
                    flashcards daily; how should I space my reviews?";
    let personal = ["Priya", "Raman", "priya.raman@north.example", "7700 900123", "Tomasz", "Nowak"];

    // Off (the default): the model sees the question as written, and the learner's record.
    let conversation = start(&priya, a).await;
    let (status, turn) = ask(&priya, &conversation, question).await;
    assert_eq!(status, StatusCode::OK, "{turn}");
    assert_eq!(turn["assistant_message"]["content"], "Seen:");
    let sent = serde_json::to_string(&fake.seen().last().unwrap().messages).unwrap();
    assert!(personal.iter().all(|p| sent.contains(p)) && sent.contains(&title), "{sent}");

    // Only admins set it; bad bodies change nothing.
    let url = format!("/orgs/{a}/prompt-privacy");
    let on = json!({ "redact_personal_data": true, "no_learner_data": true });
    assert_error(w.coach.client.put(&url, on.clone()).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(w.admin_b.client.put(&url, on.clone()).await, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = admin.put(&url, json!({ "redact_personal_data": "yes", "no_learner_data": true })).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("redact_personal_data"))
    );
    assert_eq!(admin.get(&url).await.1, json!({ "redact_personal_data": false, "no_learner_data": false }));
    let (status, saved) = admin.put(&url, on.clone()).await;
    assert_eq!((status, saved), (StatusCode::OK, on));

    // On: nothing personal reaches the model, the answer (streamed and stored) has it back.
    let conversation = start(&priya, a).await;
    let calls = fake.seen().len();
    let (events, _) =
        read_events(&priya, &format!("/conversations/{conversation}/messages"), json!({ "content": question })).await;
    let seen = fake.seen();
    assert!(seen.len() > calls);
    for request in &seen[calls..] {
        let sent = serde_json::to_string(&request.messages).unwrap();
        for p in personal {
            assert!(!sent.contains(p), "{p} reached the model: {sent}");
        }
        assert!(sent.contains("[PERSON_") && sent.contains("[EMAIL_") && sent.contains("[PHONE_"), "{sent}");
        assert!(!sent.contains("About the learner") && !sent.contains(&title), "no learner record: {sent}");
    }
    let expected = "Seen: Priya Raman priya.raman@north.example +44 7700 900123 Tomasz Nowak";
    let streamed: String =
        events.iter().filter(|(e, _)| e == "delta").map(|(_, d)| d["text"].as_str().unwrap_or_default()).collect();
    assert_eq!(streamed, expected, "{events:?}");
    let (_, done) = events.last().unwrap();
    assert_eq!(done["message"]["content"], expected);
    let (_, detail) = priya.get(&format!("/conversations/{conversation}")).await;
    assert_eq!(detail["messages"][1]["content"], expected);
}

/// Under an answer that taught a concept of the learner's programs with questions to practise,
/// the extractive coach offers "practise this"; stored with the answer, for the learner only.
async fn the_extractive_coach_offers_practice_on_what_it_taught(backend: Backend) {
    let w = world_with_guide(spawn(backend, Models::none()).await).await;
    let (a, admin) = (&w.org_a, &w.admin.client);
    let (program, _, spaced) = published_guide_program(&w).await;
    let learner = &w.learner.id;
    let (status, _) =
        admin.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner })).await;
    assert_eq!(status, StatusCode::CREATED);
    let question = "How should I review flashcards?";

    // No question to practise it with yet: nothing is offered.
    let conversation = start(&w.learner.client, a).await;
    let (_, turn) = ask(&w.learner.client, &conversation, question).await;
    assert_eq!(turn["assistant_message"]["kind"], "extractive", "{turn}");
    assert!(turn["assistant_message"]["practice"].is_null(), "{turn}");

    let body = json!({ "kind": "true_false", "statement": "Cramming beats spaced review.", "answer": false });
    let (status, _) = admin.post(&format!("/orgs/{a}/questions"), json!({ "concepts": [spaced], "body": body })).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, turn) = ask(&w.learner.client, &conversation, question).await;
    let offer = &turn["assistant_message"]["practice"];
    assert_eq!(*offer, json!({ "concept_id": spaced, "concept_name": "Spaced repetition" }), "{turn}");
    // Kept with the answer.
    let (_, detail) = w.learner.client.get(&format!("/conversations/{conversation}")).await;
    let stored = detail["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(stored["practice"], *offer, "{detail}");
    // The offer starts a practice session on that concept.
    let (status, session) = w
        .learner
        .client
        .post(
            &format!("/orgs/{a}/learners/{learner}/practice-sessions"),
            json!({ "target": { "kind": "concept", "concept_id": offer["concept_id"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");

    // Someone not enrolled in the program is offered nothing.
    let conversation = start(&w.other_learner.client, a).await;
    let (_, turn) = ask(&w.other_learner.client, &conversation, question).await;
    assert_eq!(turn["assistant_message"]["kind"], "extractive", "{turn}");
    assert!(turn["assistant_message"]["practice"].is_null(), "{turn}");
}

/// A Socratic coach checks understanding with a question from the bank under an answer that
/// taught it; the learner's reply is graded, recorded as evidence, and answered with the verdict.
async fn a_socratic_coach_checks_understanding_and_grades_the_reply(backend: Backend) {
    let w = world_with_guide(spawn(backend, Models::none()).await).await;
    let (a, admin) = (&w.org_a, &w.admin.client);
    let (program, _, spaced) = published_guide_program(&w).await;
    let learner = &w.learner.id;
    let (status, _) =
        admin.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner })).await;
    assert_eq!(status, StatusCode::CREATED);
    let body = json!({ "kind": "true_false", "statement": "Cramming beats spaced review.", "answer": false });
    let (status, _) = admin.post(&format!("/orgs/{a}/questions"), json!({ "concepts": [spaced], "body": body })).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, socrates) =
        admin.post(&format!("/orgs/{a}/coaches"), json!({ "name": "Socrates", "style": "socratic" })).await;
    assert_eq!(status, StatusCode::CREATED, "{socrates}");
    let client = &w.learner.client;
    let (status, conversation) =
        client.post(&format!("/orgs/{a}/conversations"), json!({ "coach_id": socrates["id"] })).await;
    assert_eq!(status, StatusCode::CREATED, "{conversation}");
    let conversation = conversation["id"].as_str().unwrap().to_string();
    let graded = || async {
        let (_, evidence) = client.get(&format!("/orgs/{a}/learners/{learner}/evidence")).await;
        evidence
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "graded_answer" && e["concept_id"] == spaced.as_str())
            .map(|e| e["outcome"].as_f64().unwrap())
            .collect::<Vec<f64>>()
    };

    // The answer ends with the check question, kept with it.
    let (_, turn) = ask(client, &conversation, "How should I review flashcards?").await;
    let answer = &turn["assistant_message"];
    assert_eq!(answer["kind"], "extractive", "{answer}");
    let posed = "**Check your understanding:** True or false: Cramming beats spaced review.";
    assert!(answer["content"].as_str().unwrap().ends_with(posed), "{answer}");
    assert_eq!(answer["check"]["concept_id"], spaced.as_str(), "{answer}");
    assert!(graded().await.is_empty());

    // The reply is graded and answered with the verdict alone.
    let (_, turn) = ask(client, &conversation, "False.").await;
    let verdict = &turn["assistant_message"];
    assert_eq!(verdict["kind"], "check_feedback", "{verdict}");
    assert!(verdict["content"].as_str().unwrap().starts_with("Right"), "{verdict}");
    assert_eq!(verdict["check_reply"]["correct"], true);
    assert_eq!(graded().await, [1.0]);

    // Asked again, answered wrong: the verdict gives the answer, and the evidence says so.
    let (_, turn) = ask(client, &conversation, "How should I review flashcards?").await;
    assert!(turn["assistant_message"]["check"].is_object(), "{turn}");
    let (_, turn) = ask(client, &conversation, "true").await;
    let verdict = &turn["assistant_message"];
    assert_eq!(verdict["content"], "Not quite: the answer is false. Ask me about it if you want to go over it again.");
    let mut outcomes = graded().await;
    outcomes.sort_by(f64::total_cmp);
    assert_eq!(outcomes, [0.0, 1.0]);

    // A reply that is no answer to the check is a question like any other.
    let (_, turn) = ask(client, &conversation, "How should I review flashcards?").await;
    assert!(turn["assistant_message"]["check"].is_object(), "{turn}");
    let (_, turn) = ask(client, &conversation, "What is the Cornell method of note-taking?").await;
    let answer = &turn["assistant_message"];
    assert_ne!(answer["kind"], "check_feedback", "{answer}");
    assert!(answer["check_reply"].is_null());
    assert_eq!(graded().await.len(), 2, "nothing graded");

    // A direct coach poses no check question.
    let conversation = start(client, a).await;
    let (_, turn) = ask(client, &conversation, "How should I review flashcards?").await;
    assert!(turn["assistant_message"]["check"].is_null(), "{turn}");
    assert!(!turn["assistant_message"]["content"].as_str().unwrap().contains("Check your understanding"));
}

wayfinder_testing::on_both_backends!(
    extractive_answers_refusals_access_and_sharing,
    a_socratic_coach_checks_understanding_and_grades_the_reply,
    the_extractive_coach_offers_practice_on_what_it_taught,
    the_coach_knows_where_the_learner_stands,
    prompt_privacy_keeps_people_out_of_the_model,
    streamed_answers_keep_only_valid_citations,
    outages_and_budgets
);
