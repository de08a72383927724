//! Practice over HTTP: questions made from a drafted OpenStax program and
//! checked here against the book's own text, the review queue, questions
//! written by hand, bad input that changes nothing, and who may see the bank.

use crate::helpers::*;
use crate::learning::{openstax_modules, published_program};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

const BLANK: &str = "_____";

/// Lower-case words joined by single spaces and padded, so phrases match whole words only.
fn words(text: &str) -> String {
    let cleaned: String = text
        .replace(['’', '‘'], "'")
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '\'' { c.to_ascii_lowercase() } else { ' ' })
        .collect();
    format!(" {} ", cleaned.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn says(source: &str, phrase: &str) -> bool {
    let phrase = words(phrase);
    phrase.trim().len() > 1 && words(source).contains(&phrase)
}

/// The sentence with its negation taken out ("is not" → "is", "cannot" → "can"), and whether
/// it had one.
fn affirmative(sentence: &str) -> (String, bool) {
    let mut negated = false;
    let mut kept = Vec::new();
    for word in words(sentence).split_whitespace() {
        match word {
            "not" => negated = !negated,
            "cannot" | "can't" => {
                negated = !negated;
                kept.push("can".to_string());
            }
            w if w.ends_with("n't") => {
                negated = !negated;
                kept.push(match w {
                    "won't" => "will".to_string(),
                    other => other.trim_end_matches("n't").to_string(),
                });
            }
            w => kept.push(w.to_string()),
        }
    }
    (kept.join(" "), negated)
}

/// Whether an item is right by the book's text: its answer is what the text says, no wrong
/// option is, the stem does not give the answer away, and a false statement contradicts one of
/// the text's sentences. Written from the item's JSON alone, independently of the server.
fn valid_by_the_book(item: &Value, book: &str) -> Result<(), String> {
    let body = &item["body"];
    let fill = |stem: &str, option: &str| stem.replacen(BLANK, option, 1);
    match body["kind"].as_str().unwrap() {
        "cloze" => {
            let text = body["text"].as_str().unwrap();
            let answer = body["answers"][0].as_str().unwrap();
            if text.matches(BLANK).count() != 1 {
                return Err("not one blank".into());
            }
            if says(text, answer) {
                return Err("answer in stem".into());
            }
            if !says(book, &fill(text, answer)) {
                return Err("answer not what the book says".into());
            }
        }
        "multiple_choice" => {
            let stem = body["stem"].as_str().unwrap();
            let options: Vec<&str> = body["options"].as_array().unwrap().iter().map(|o| o.as_str().unwrap()).collect();
            let correct: Vec<usize> =
                body["correct"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as usize).collect();
            if options.len() != 4 || correct.len() != 1 {
                return Err("not one answer among four options".into());
            }
            for (i, option) in options.iter().enumerate() {
                let filled = says(book, &fill(stem, option));
                if correct.contains(&i) && !filled {
                    return Err(format!("answer {option:?} not what the book says"));
                }
                if !correct.contains(&i) && (filled || says(book, option)) {
                    return Err(format!("distractor {option:?} is in the book"));
                }
            }
        }
        "true_false" => {
            let statement = body["statement"].as_str().unwrap();
            let stated = says(book, statement);
            if body["answer"].as_bool().unwrap() {
                if !stated {
                    return Err("true statement not in the book".into());
                }
            } else {
                if stated {
                    return Err("false statement is in the book".into());
                }
                let (claim, claim_negated) = affirmative(statement);
                let contradicted = book.split(['.', '!', '?', '\n']).any(|sentence| {
                    let (said, said_negated) = affirmative(sentence);
                    said == claim && said_negated != claim_negated
                });
                if !contradicted {
                    return Err("false statement contradicts no sentence".into());
                }
            }
        }
        other => return Err(format!("unexpected kind {other}")),
    }
    Ok(())
}

async fn questions_are_made_from_a_books_sections_and_reviewed(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    let admin = &w.admin.client;
    let modules = openstax_modules(22);
    let books: HashMap<&str, &str> = modules.iter().map(|(name, text)| (name.as_str(), text.as_str())).collect();
    let collection = crate::knowledge::create_collection(admin, a, "College Success", &[]).await;
    let files: Vec<(&str, Vec<u8>)> =
        modules.iter().map(|(name, text)| (name.as_str(), text.as_bytes().to_vec())).collect();
    let (_, job) = crate::knowledge::upload(admin, a, &collection, &files, None).await;
    let job = crate::knowledge::wait_for_job(admin, job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let (status, draft) =
        admin.post(&format!("/orgs/{a}/programs/draft"), json!({ "collection_id": collection })).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let concepts: Vec<Value> = draft["concepts"].as_array().unwrap().iter().take(20).cloned().collect();
    assert_eq!(concepts.len(), 20);

    // Twenty concepts' questions, each judged against the module its concept cites.
    let mut items: Vec<(String, Value)> = Vec::new();
    for concept in &concepts {
        let id = concept["id"].as_str().unwrap();
        let (status, made) = w
            .coach
            .client
            .post(&format!("/orgs/{a}/concepts/{id}/questions/generate"), json!({ "max_items": 8 }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        assert_eq!(made["duplicates"], 0);
        let (_, document) =
            admin.get(&format!("/orgs/{a}/documents/{}", concept["material"][0]["document"].as_str().unwrap())).await;
        let source = document["source_name"].as_str().unwrap().to_string();
        for item in made["questions"].as_array().unwrap() {
            assert_eq!(item["status"], "draft");
            assert_eq!(item["origin"], "extracted");
            assert_eq!(item["concepts"], json!([id]));
            // The cited chunk is text of this concept's module.
            let cited = item["citations"][0]["text"].as_str().unwrap();
            assert!(words(books[source.as_str()]).contains(words(cited).trim()), "{item}");
            assert_eq!((item["checked"].as_bool(), &item["defect"]), (Some(true), &Value::Null), "{item}");
            items.push((source.clone(), item.clone()));
        }
    }
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut invalid = Vec::new();
    for (source, item) in &items {
        *by_kind.entry(item["body"]["kind"].as_str().unwrap().to_string()).or_default() += 1;
        if let Err(why) = valid_by_the_book(item, books[source.as_str()]) {
            invalid.push(format!("{why}: {}", item["body"]));
        }
    }
    let valid_share = 1.0 - invalid.len() as f64 / items.len() as f64;
    eprintln!("questions for 20 concepts: {} items {by_kind:?}, {:.1} % valid", items.len(), 100.0 * valid_share);
    assert!(items.len() >= 60, "{} items", items.len());
    for kind in ["cloze", "multiple_choice", "true_false"] {
        assert!(by_kind.get(kind).copied().unwrap_or(0) > 0, "no {kind} items: {by_kind:?}");
    }
    assert!(valid_share >= 0.95, "{:.3} valid:\n{}", valid_share, invalid.join("\n"));

    // The review queue: approve one, reject one, correct one.
    let ids: Vec<&str> = items.iter().map(|(_, i)| i["id"].as_str().unwrap()).collect();
    let (status, approved) =
        admin.patch(&format!("/orgs/{a}/questions/{}", ids[0]), json!({ "status": "approved" })).await;
    assert_eq!((status, approved["status"].as_str()), (StatusCode::OK, Some("approved")), "{approved}");
    let (status, rejected) =
        w.coach.client.patch(&format!("/orgs/{a}/questions/{}", ids[1]), json!({ "status": "rejected" })).await;
    assert_eq!((status, rejected["status"].as_str()), (StatusCode::OK, Some("rejected")), "{rejected}");
    let (status, edited) =
        admin.patch(&format!("/orgs/{a}/questions/{}", ids[2]), json!({ "explanation": "  See the section.  " })).await;
    assert_eq!((status, edited["explanation"].as_str()), (StatusCode::OK, Some("See the section.")), "{edited}");
    assert_eq!(edited["body"], items[2].1["body"], "the body stays");
    let (_, queue) = admin.get(&format!("/orgs/{a}/questions?status=draft&limit=200")).await;
    assert_eq!(queue["total"].as_u64(), Some(items.len() as u64 - 2));
    let (_, approved_list) = admin.get(&format!("/orgs/{a}/questions?status=approved")).await;
    assert_eq!(approved_list["questions"].as_array().unwrap().len(), 1);
    assert_eq!(approved_list["questions"][0]["id"], ids[0]);
    let first = concepts[0]["id"].as_str().unwrap();
    let (_, of_first) = admin.get(&format!("/orgs/{a}/questions?concept_id={first}&limit=200")).await;
    let made_first = items.iter().filter(|(_, i)| i["concepts"][0] == first).count();
    assert_eq!(of_first["total"].as_u64(), Some(made_first as u64));
    let (_, page) = admin.get(&format!("/orgs/{a}/questions?limit=5&offset=5")).await;
    let page_ids: Vec<&str> = page["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap()).collect();
    assert_eq!(page_ids, ids[5..10].to_vec(), "oldest first, in pages");

    // Generating again adds nothing: the bank holds each item once, rejected ones included.
    let question_rows = |counts: Vec<(&'static str, i64)>| -> Vec<(&'static str, i64)> {
        counts.into_iter().filter(|(table, _)| table.starts_with("question")).collect()
    };
    let before = question_rows(w.app.row_counts().await);
    let (status, again) =
        admin.post(&format!("/orgs/{a}/concepts/{first}/questions/generate"), json!({ "max_items": 8 })).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["questions"], json!([]));
    assert_eq!(again["duplicates"].as_u64(), Some(made_first as u64));
    assert_eq!(question_rows(w.app.row_counts().await), before);

    // An organisation may approve generated questions that pass their check without review; its
    // admins decide, coaches see it.
    let settings = format!("/orgs/{a}/practice-settings");
    assert_eq!(w.coach.client.get(&settings).await.1, json!({ "auto_approve_generated": false }));
    assert_error(w.learner.client.get(&settings).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(w.admin_b.client.get(&settings).await, StatusCode::NOT_FOUND, "not_found");
    let before_settings = w.app.row_counts().await;
    let on = json!({ "auto_approve_generated": true });
    assert_error(w.coach.client.put(&settings, on.clone()).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(
        admin.put(&settings, json!({ "auto_approve_generated": "yes" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert_error(admin.put(&settings, json!({})).await, StatusCode::UNPROCESSABLE_ENTITY, "missing_field");
    assert_eq!(w.app.row_counts().await, before_settings, "refused settings wrote nothing");
    let (status, saved) = admin.put(&settings, on.clone()).await;
    assert_eq!((status, &saved), (StatusCode::OK, &on));
    let next = draft["concepts"][20]["id"].as_str().unwrap();
    let (status, approved_at_once) =
        admin.post(&format!("/orgs/{a}/concepts/{next}/questions/generate"), json!({ "max_items": 8 })).await;
    assert_eq!(status, StatusCode::CREATED, "{approved_at_once}");
    let made = approved_at_once["questions"].as_array().unwrap();
    assert!(!made.is_empty() && made.iter().all(|q| q["status"] == "approved"), "{approved_at_once}");
    // Editing an item into another's text is refused.
    let other_prompt = items[4].1["body"].clone();
    assert_error(
        admin.patch(&format!("/orgs/{a}/questions/{}", ids[3]), json!({ "body": other_prompt })).await,
        StatusCode::CONFLICT,
        "duplicate_question",
    );
    // Bad input changes nothing.
    let (_, program) = admin.post(&format!("/orgs/{a}/programs"), json!({ "title": "Bare" })).await;
    let (_, bare) = admin
        .post(&format!("/orgs/{a}/programs/{}/concepts", program["id"].as_str().unwrap()), json!({ "name": "Bare" }))
        .await;
    let concept_without_material = bare["id"].as_str().unwrap().to_string();
    let before = w.app.row_counts().await;
    let unknown = "0190f0f0-0000-7000-8000-000000000000";
    let bad: Vec<(Method, String, Value, StatusCode, &str)> = vec![
        (
            Method::POST,
            format!("/orgs/{a}/concepts/{first}/questions/generate"),
            json!({ "max_items": 0 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            Method::POST,
            format!("/orgs/{a}/concepts/{first}/questions/generate"),
            json!({ "max_items": "many" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            Method::POST,
            format!("/orgs/{a}/concepts/{unknown}/questions/generate"),
            json!({}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        // This server has no chat model to write them.
        (
            Method::POST,
            format!("/orgs/{a}/concepts/{first}/questions/generate"),
            json!({ "writer": "model" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            Method::POST,
            format!("/orgs/{a}/concepts/{first}/questions/generate"),
            json!({ "writer": "poet" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            Method::POST,
            format!("/orgs/{a}/concepts/{concept_without_material}/questions/generate"),
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            Method::PATCH,
            format!("/orgs/{a}/questions/{}", ids[3]),
            json!({ "status": "published" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            Method::PATCH,
            format!("/orgs/{a}/questions/{}", ids[3]),
            json!({ "body": { "kind": "cloze", "text": "No blank here.", "answers": ["x"] } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            Method::PATCH,
            format!("/orgs/{a}/questions/{unknown}"),
            json!({ "status": "approved" }),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::POST,
            format!("/orgs/{a}/questions"),
            json!({ "concepts": [first], "body": { "kind": "multiple_choice", "stem": "Pick", "options": ["a", "A"], "correct": [0] } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            Method::POST,
            format!("/orgs/{a}/questions"),
            json!({ "concepts": [first], "body": { "kind": "multiple_choice", "stem": "Pick", "options": ["a", "b"], "correct": [2] } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            Method::POST,
            format!("/orgs/{a}/questions"),
            json!({ "concepts": [], "body": { "kind": "true_false", "statement": "S", "answer": true } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            Method::POST,
            format!("/orgs/{a}/questions"),
            json!({ "concepts": [unknown], "body": { "kind": "true_false", "statement": "S", "answer": true } }),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::POST,
            format!("/orgs/{a}/questions"),
            json!({ "concepts": [first], "body": { "kind": "true_false", "statement": "S", "answer": true }, "citations": [987654321] }),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::POST,
            format!("/orgs/{a}/questions"),
            json!({ "concepts": [first], "body": { "kind": "essay", "prompt": "S" } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            Method::POST,
            format!("/orgs/{a}/questions"),
            json!({ "concepts": [first], "body": items[5].1["body"] }),
            StatusCode::CONFLICT,
            "duplicate_question",
        ),
    ];
    for (method, path, body, status, code) in bad {
        let response = admin.send(method.clone(), &path, Some(body.clone())).await;
        assert_eq!(response.0, status, "{method} {path} {body}: {}", response.1);
        assert_eq!(response.1["error"]["code"], code, "{method} {path} {body}");
    }
    assert_eq!(w.app.row_counts().await, before, "bad input changed nothing");

    // A coach writes a question citing a chunk of the book; it is approved as written and
    // checked against that chunk.
    let chunk = items[0].1["citations"][0]["chunk_id"].clone();
    let sentence = items[0].1["explanation"]
        .as_str()
        .unwrap()
        .trim_start_matches("The material says: \u{201c}")
        .trim_end_matches('\u{201d}');
    let (status, written) = w
        .coach
        .client
        .post(
            &format!("/orgs/{a}/questions"),
            json!({ "concepts": [first], "citations": [chunk], "explanation": "From the book.",
                    "body": { "kind": "true_false", "statement": sentence, "answer": true } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{written}");
    assert_eq!((written["status"].as_str(), written["origin"].as_str()), (Some("approved"), Some("authored")));
    assert_eq!((written["checked"].as_bool(), &written["defect"]), (Some(true), &Value::Null), "{written}");
    let (_, reread) = w.coach.client.get(&format!("/orgs/{a}/questions/{}", written["id"].as_str().unwrap())).await;
    assert_eq!(reread, written);
    // The same statement marked false is flagged by the check, not refused: a reviewer decides.
    let (status, flagged) = admin
        .post(
            &format!("/orgs/{a}/questions"),
            json!({ "concepts": [first], "citations": [chunk],
                    "body": { "kind": "multiple_choice", "stem": "Which is right?", "options": ["zebra crossing", "quantum flux"], "correct": [0] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{flagged}");
    assert_eq!(flagged["defect"], "answer_unsupported");

    // Who may see the bank: coaches and admins; a learner is refused, and another
    // organisation's admin sees nothing of it.
    let qid = ids[0];
    assert_error(w.learner.client.get(&format!("/orgs/{a}/questions")).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(w.learner.client.get(&format!("/orgs/{a}/questions/{qid}")).await, StatusCode::NOT_FOUND, "not_found");
    let b = &w.org_b;
    let (_, ids_b) = published_program(&w.admin_b.client, b, "Other").await;
    let c01_b = &ids_b["c01"];
    let before_b = w.app.row_counts().await;
    for (method, path, body) in [
        (Method::GET, format!("/orgs/{b}/questions/{qid}"), None),
        (Method::PATCH, format!("/orgs/{b}/questions/{qid}"), Some(json!({ "status": "retired" }))),
        (Method::GET, format!("/orgs/{a}/questions"), None),
        (Method::POST, format!("/orgs/{b}/concepts/{first}/questions/generate"), Some(json!({}))),
        (
            Method::POST,
            format!("/orgs/{b}/questions"),
            Some(json!({ "concepts": [first], "body": { "kind": "true_false", "statement": "S", "answer": true } })),
        ),
    ] {
        let (status, response) = w.admin_b.client.send(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {response}");
    }
    for (method, path, body) in [
        (Method::POST, format!("/orgs/{a}/concepts/{c01_b}/questions/generate"), Some(json!({}))),
        (
            Method::POST,
            format!("/orgs/{a}/questions"),
            Some(json!({ "concepts": [c01_b], "body": { "kind": "true_false", "statement": "S", "answer": true } })),
        ),
    ] {
        let (status, response) = admin.send(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {response}");
    }
    assert_eq!(w.app.row_counts().await, before_b, "probes changed nothing");
}

/// An answer to `body` that is right (or wrong), as the learner would send it.
fn answer_for(body: &Value, right: bool) -> Value {
    match body["kind"].as_str().unwrap() {
        "multiple_choice" => {
            let correct = body["correct"][0].as_u64().unwrap();
            let pick = if right { correct } else { (correct + 1) % body["options"].as_array().unwrap().len() as u64 };
            json!({ "kind": "choice", "selected": [pick] })
        }
        "true_false" => json!({ "kind": "true_false", "value": body["answer"].as_bool().unwrap() == right }),
        "cloze" => {
            json!({ "kind": "text", "text": if right { body["answers"][0].as_str().unwrap() } else { "nonsense" } })
        }
        "short_answer" => {
            json!({ "kind": "text", "text": if right { body["reference"].as_str().unwrap() } else { "bananas" } })
        }
        other => panic!("unexpected kind {other}"),
    }
}

async fn a_learner_practises_with_feedback_and_the_model_learns(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    let (program, ids) = published_program(&w.admin.client, a, "Practice").await;
    let learner = &w.learner.id;
    let (status, _) =
        w.admin.client.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner })).await;
    assert_eq!(status, StatusCode::CREATED);
    let (c01, c02, c03) = (&ids["c01"], &ids["c02"], &ids["c03"]);
    // The coach writes five questions on c01 (one is then rejected) and one on c02.
    let bodies = [
        json!({ "kind": "true_false", "statement": "Spacing beats cramming.", "answer": true }),
        json!({ "kind": "multiple_choice", "stem": "Which spreads study over days?", "options": ["cramming", "spacing", "rereading"], "correct": [1] }),
        json!({ "kind": "cloze", "text": "Reviewing just before forgetting is called _____ practice.", "answers": ["spaced"] }),
        json!({ "kind": "short_answer", "prompt": "Why does spacing work?", "reference": "Each review strengthens memory just before it fades." }),
        json!({ "kind": "true_false", "statement": "Rejected items are never asked.", "answer": true }),
    ];
    let mut bank: HashMap<String, Value> = HashMap::new();
    let mut written = Vec::new();
    for body in &bodies {
        let (status, q) = w
            .coach
            .client
            .post(
                &format!("/orgs/{a}/questions"),
                json!({ "concepts": [c01], "body": body, "explanation": "Chapter 2." }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{q}");
        bank.insert(q["id"].as_str().unwrap().to_string(), body.clone());
        written.push(q["id"].as_str().unwrap().to_string());
    }
    let rejected = written[4].clone();
    let (status, _) =
        w.coach.client.patch(&format!("/orgs/{a}/questions/{rejected}"), json!({ "status": "rejected" })).await;
    assert_eq!(status, StatusCode::OK);
    let (_, on_c02) = w
        .coach
        .client
        .post(
            &format!("/orgs/{a}/questions"),
            json!({ "concepts": [c02], "body": { "kind": "true_false", "statement": "C02 follows c01.", "answer": true } }),
        )
        .await;
    let on_c02 = on_c02["id"].as_str().unwrap().to_string();

    // A fresh learner's next step is the root concept.
    let start = format!("/orgs/{a}/learners/{learner}/practice-sessions");
    let (status, next) = w.learner.client.post(&start, json!({ "target": { "kind": "next_step" }, "size": 1 })).await;
    assert_eq!(status, StatusCode::CREATED, "{next}");
    assert_eq!(next["current"]["concept"]["id"], c01.as_str());

    let (status, session) =
        w.learner.client.post(&start, json!({ "target": { "kind": "concept", "concept_id": c01 }, "size": 4 })).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert_eq!((session["status"].as_str(), session["answered"].as_i64()), (Some("active"), Some(0)));
    let sid = session["id"].as_str().unwrap().to_string();
    let answers_url = format!("/orgs/{a}/practice-sessions/{sid}/answers");
    let evidence_url = format!("/orgs/{a}/learners/{learner}/evidence");
    let mut current = session["current"].clone();
    let mut asked = Vec::new();
    let mut masteries = Vec::new();
    let mut graded = 0;
    for turn in 0..4 {
        let qid = current["id"].as_str().unwrap().to_string();
        assert!(qid != rejected, "a rejected question was asked");
        assert!(!asked.contains(&qid), "{qid} asked twice");
        // The learner sees the question, never its answer.
        for hidden in ["correct", "answer", "answers", "reference"] {
            assert!(current["prompt"].get(hidden).is_none(), "{current}");
        }
        let body = &bank[&qid];
        let short = body["kind"] == "short_answer";
        // Right, then wrong, then right; a short answer gets a half-right reply a coach must grade.
        let answer =
            if short { json!({ "kind": "text", "text": "It helps memory." }) } else { answer_for(body, turn != 1) };
        let (status, outcome) = w
            .learner
            .client
            .post(&answers_url, json!({ "question_id": qid, "answer": answer, "time_taken_ms": 4200 }))
            .await;
        assert_eq!(status, StatusCode::OK, "{outcome}");
        let attempt = &outcome["attempt"];
        if short {
            assert_eq!(attempt["grade"], json!({ "outcome": "needs_review" }));
            assert_eq!(outcome["mastery"], Value::Null);
        } else {
            graded += 1;
            let right = turn != 1;
            assert_eq!(attempt["grade"]["correct"], right, "{outcome}");
            assert_eq!(attempt["grade"]["score"].as_f64(), Some(if right { 1.0 } else { 0.0 }));
            assert_eq!(outcome["mastery"]["concept_id"], c01.as_str());
            assert_eq!(outcome["mastery"]["evidence_count"].as_i64(), Some(graded));
            masteries.push((right, outcome["mastery"]["predicted_success"].as_f64().unwrap()));
        }
        assert_eq!(attempt["feedback"]["explanation"], "Chapter 2.");
        assert!(!attempt["feedback"]["correct_answer"].as_str().unwrap().is_empty());
        assert_eq!(attempt["time_taken_ms"].as_i64(), Some(4200));
        assert_eq!(outcome["session"]["answered"].as_i64(), Some(turn + 1));
        // Answering the same question again returns the first outcome and records nothing.
        let (_, before) = w.learner.client.get(&evidence_url).await;
        let (status, again) =
            w.learner.client.post(&answers_url, json!({ "question_id": qid, "answer": answer_for(body, true) })).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["attempt"]["grade"], attempt["grade"]);
        let (_, after) = w.learner.client.get(&evidence_url).await;
        assert_eq!(before, after);
        asked.push(qid);
        current = outcome["session"]["current"].clone();
    }
    // Right then wrong: the wrong answer lowers the estimate.
    assert!(masteries[1].1 < masteries[0].1, "{masteries:?}");
    let (_, done) = w.learner.client.get(&format!("/orgs/{a}/practice-sessions/{sid}")).await;
    assert_eq!((done["status"].as_str(), &done["current"]), (Some("completed"), &Value::Null), "{done}");
    assert_eq!(done["attempts"].as_array().unwrap().len(), 4);
    assert_eq!(done["correct"].as_i64(), Some(2));
    assert!(done["completed_at"].is_string());
    // Each graded answer is evidence from the session; each graded item learned from it.
    let (_, evidence) = w.learner.client.get(&evidence_url).await;
    let evidence = evidence.as_array().unwrap();
    assert_eq!(evidence.len(), 3, "{evidence:?}");
    assert!(evidence.iter().all(|e| e["kind"] == "graded_answer" && e["source"].as_str().unwrap().contains(&sid)));
    for qid in &asked {
        let (_, q) = w.coach.client.get(&format!("/orgs/{a}/questions/{qid}")).await;
        let expected = if bank[qid]["kind"] == "short_answer" { 0 } else { 1 };
        assert_eq!(q["statistics"]["attempts"].as_i64(), Some(expected), "{q}");
    }
    let (_, listed) = w.learner.client.get(&start).await;
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(listed["sessions"][0]["id"], sid.as_str());

    // Bad input changes nothing.
    let before = w.app.row_counts().await;
    let next_answers = format!("/orgs/{a}/practice-sessions/{}/answers", next["id"].as_str().unwrap());
    let next_q = next["current"]["id"].as_str().unwrap();
    let bad: Vec<(String, Value, StatusCode, &str)> = vec![
        (
            start.clone(),
            json!({ "target": { "kind": "concept", "concept_id": c01 }, "size": 0 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            start.clone(),
            json!({ "target": { "kind": "concept", "concept_id": c03 } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_questions",
        ),
        (start.clone(), json!({ "target": { "kind": "reviews" } }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (
            start.clone(),
            json!({ "target": { "kind": "everything" } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            start.clone(),
            json!({ "target": { "kind": "concept", "concept_id": "0190f0f0-0000-7000-8000-000000000000" } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            answers_url.clone(),
            json!({ "question_id": on_c02, "answer": { "kind": "true_false", "value": true } }),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            next_answers.clone(),
            json!({ "question_id": on_c02, "answer": { "kind": "true_false", "value": true } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            next_answers.clone(),
            json!({ "question_id": next_q, "answer": { "kind": "choice", "selected": [7] } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            next_answers.clone(),
            json!({ "question_id": next_q, "answer": { "kind": "text", "text": "" } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            next_answers.clone(),
            json!({ "question_id": next_q, "answer": { "kind": "true_false", "value": true }, "time_taken_ms": -1 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            format!("/orgs/{a}/practice-sessions/0190f0f0-0000-7000-8000-000000000000/answers"),
            json!({ "question_id": next_q, "answer": { "kind": "true_false", "value": true } }),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (path, body, status, code) in bad {
        let (got, response) = w.learner.client.post(&path, body.clone()).await;
        assert_eq!((got, response["error"]["code"].as_str()), (status, Some(code)), "{path} {body}: {response}");
    }
    assert_eq!(w.app.row_counts().await, before, "bad input changed nothing");

    // Who may see and do what: the learner practises; those who follow the learner read the
    // session; nobody else knows it exists.
    let session_url = format!("/orgs/{a}/practice-sessions/{sid}");
    let readers = [
        (&w.operator, 200),
        (&w.admin.client, 200),
        (&w.manager.client, 200),
        (&w.coach.client, 200),
        (&w.parent.client, 200),
        (&w.other_learner.client, 404),
        (&w.admin_b.client, 404),
    ];
    for (client, expected) in readers {
        let (status, _) = client.get(&session_url).await;
        assert_eq!(status.as_u16(), expected, "GET {session_url}");
        let (status, _) = client.get(&start).await;
        assert_eq!(status.as_u16(), expected, "GET {start}");
        // Nobody answers or starts sessions for the learner: 403 for those who may read the
        // learner's progress, 404 for the rest.
        let (status, _) = client
            .post(&next_answers, json!({ "question_id": next_q, "answer": { "kind": "true_false", "value": true } }))
            .await;
        assert_eq!(status.as_u16(), if expected == 200 { 403 } else { 404 }, "POST {next_answers}");
        let (status, _) = client.post(&start, json!({ "target": { "kind": "next_step" } })).await;
        assert_eq!(status.as_u16(), if expected == 200 { 403 } else { 404 }, "POST {start}");
    }
    // Another organisation's session id answers 404 in this one.
    let (status, _) = w.admin_b.client.get(&format!("/orgs/{}/practice-sessions/{sid}", w.org_b)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The probes changed nothing; each of the five who may read the learner's progress left one
    // note that they read it (once an hour per reader).
    let after = w.app.row_counts().await;
    let without_audit = |counts: &[(&str, i64)]| -> Vec<(String, i64)> {
        counts.iter().filter(|(t, _)| *t != "audit_events").map(|(t, n)| (t.to_string(), *n)).collect()
    };
    assert_eq!(without_audit(&after), without_audit(&before), "probes changed nothing");
    let audit = |counts: &[(&str, i64)]| counts.iter().find(|(t, _)| *t == "audit_events").map(|(_, n)| *n);
    assert_eq!(audit(&after).unwrap() - audit(&before).unwrap(), 5, "one data.read per reader");
    let (_, log) = w.admin.client.get(&format!("/orgs/{a}/audit")).await;
    let reads = log.as_array().unwrap().iter().filter(|e| e["action"] == "data.read").count();
    assert_eq!(reads, 5, "{log}");
}

/// The placement test's program: 32 concepts, each requiring the one before it and, every fourth,
/// the one four before; `k00` is the root.
fn placement_program() -> Value {
    let concepts: Vec<Value> = (0..32)
        .map(|i| {
            let mut requires: Vec<String> = Vec::new();
            if i > 0 {
                requires.push(format!("k{:02}", i - 1));
            }
            if i >= 4 && i % 4 == 0 {
                requires.push(format!("k{:02}", i - 4));
            }
            json!({ "key": format!("k{i:02}"), "name": format!("Step {i:02}"), "estimated_minutes": 10, "requires": requires })
        })
        .collect();
    json!({ "title": "Placement", "concepts": concepts })
}

async fn a_placement_finds_what_a_newcomer_knows_and_where_to_start(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    let admin = &w.admin.client;
    let (status, detail) = admin.post(&format!("/orgs/{a}/programs/import"), placement_program()).await;
    assert_eq!(status, StatusCode::CREATED, "{detail}");
    let program = detail["program"]["id"].as_str().unwrap().to_string();
    let (status, _) = admin.post(&format!("/orgs/{a}/programs/{program}/publish"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    // Concept index by id, and one cloze question on each concept (hard to guess).
    let mut index: HashMap<String, usize> = HashMap::new();
    for concept in detail["concepts"].as_array().unwrap() {
        let i: usize = concept["name"].as_str().unwrap().trim_start_matches("Step ").parse().unwrap();
        let id = concept["id"].as_str().unwrap().to_string();
        let body = json!({ "kind": "cloze", "text": format!("Step {i:02} is about _____."), "answers": [format!("topic{i}")] });
        let (status, q) = admin.post(&format!("/orgs/{a}/questions"), json!({ "concepts": [id], "body": body })).await;
        assert_eq!(status, StatusCode::CREATED, "{q}");
        index.insert(id, i);
    }
    let learner = &w.learner.id;
    let start = format!("/orgs/{a}/learners/{learner}/practice-sessions");
    let target = json!({ "target": { "kind": "placement", "program_id": program } });
    // Only enrolled learners take a program's placement.
    let refused = w.learner.client.post(&start, target.clone()).await;
    assert_eq!(refused.1["error"]["message"], "the learner is not enrolled in this program");
    assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "not_enrolled");
    let (status, _) =
        admin.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner })).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_error(
        w.learner.client.post(&start, json!({ "target": target["target"], "size": 16 })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );

    // The newcomer knows the first twelve steps and nothing after.
    const KNOWN: usize = 12;
    let (status, session) = w.learner.client.post(&start, target).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert_eq!(session["size"].as_i64(), Some(15));
    let sid = session["id"].as_str().unwrap().to_string();
    let mut current = session["current"].clone();
    let mut asked = Vec::new();
    while !current.is_null() {
        let i = index[current["concept"]["id"].as_str().unwrap()];
        asked.push(i);
        let text = if i < KNOWN { format!("topic{i}") } else { "no idea".to_string() };
        let (status, outcome) = w
            .learner
            .client
            .post(
                &format!("/orgs/{a}/practice-sessions/{sid}/answers"),
                json!({ "question_id": current["id"], "answer": { "kind": "text", "text": text } }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{outcome}");
        current = outcome["session"]["current"].clone();
    }
    assert!(asked.len() <= 15, "{asked:?}");
    let (_, done) = w.learner.client.get(&format!("/orgs/{a}/practice-sessions/{sid}")).await;
    assert_eq!(done["status"], "completed");
    let placed = done["placement"]["concepts"].as_array().unwrap();
    assert_eq!(placed.len(), 32);
    let agree = placed
        .iter()
        .filter(|c| {
            let i = index[c["concept"]["id"].as_str().unwrap()];
            (c["probability"].as_f64().unwrap() >= 0.5) == (i < KNOWN)
        })
        .count();
    eprintln!("placement: {} questions ({asked:?}), {agree} of 32 concepts agree with the truth", asked.len());
    assert!(agree >= 30, "{agree} of 32 agree: {}", done["placement"]);
    // Where to start: the first step not known, whose prerequisites are.
    assert_eq!(done["placement"]["start_with"][0]["name"], format!("Step {KNOWN:02}"));
    // What it found is now the learner's mastery: asked steps are graded answers, and every step
    // it settled as known is demonstrated.
    let (_, evidence) = w.learner.client.get(&format!("/orgs/{a}/learners/{learner}/evidence")).await;
    let evidence = evidence.as_array().unwrap();
    let graded = evidence.iter().filter(|e| e["kind"] == "graded_answer").count();
    let demonstrated: Vec<usize> = evidence
        .iter()
        .filter(|e| e["kind"] == "demonstrated")
        .map(|e| index[e["concept_id"].as_str().unwrap()])
        .collect();
    assert_eq!(graded, asked.len());
    assert!(evidence.iter().all(|e| e["source"].as_str().unwrap().contains(&sid)));
    assert!(demonstrated.iter().all(|i| *i < KNOWN), "{demonstrated:?}");
    // Known steps it asked about are settled too, not left to one right answer.
    let asked_known: Vec<usize> = asked.iter().copied().filter(|i| *i < KNOWN).collect();
    assert!(
        !asked_known.is_empty() && asked_known.iter().all(|i| demonstrated.contains(i)),
        "{asked:?} {demonstrated:?}"
    );
    let (_, mastery) = w.learner.client.get(&format!("/orgs/{a}/learners/{learner}/mastery")).await;
    let of = |i: usize| {
        mastery["concepts"].as_array().unwrap().iter().find(|c| index[c["concept_id"].as_str().unwrap()] == i).unwrap()
            ["mastery"]
            .as_f64()
            .unwrap()
    };
    assert!(of(0) > of(KNOWN + 5), "known {} vs unknown {}", of(0), of(KNOWN + 5));
}

/// The study guide's sentence about spaced repetition, as its section holds it.
const SPACED: &str = "Reviewing flashcards over increasing intervals strengthens long-term retention far better than cramming the night before an exam.";
/// The study guide's sentence about note-taking.
const CORNELL: &str =
    "The Cornell method divides the page into cues, notes and a summary so lectures become easy to review.";

/// A reply of the chat model: `{"questions": [...]}`.
fn written(items: Value) -> wayfinder_llm::fake::Script {
    wayfinder_llm::fake::Script::Reply(json!({ "questions": items }).to_string())
}

async fn questions_written_by_a_chat_model_are_checked_and_asked_again(backend: Backend) {
    use wayfinder_llm::fake::{FakeOpenAi, Script};
    let fake = FakeOpenAi::start().await;
    let w =
        crate::coach::world_with_guide(crate::coach::spawn(backend, crate::coach::models(fake.base_url())).await).await;
    let (a, admin) = (&w.org_a, &w.admin.client);
    let (_, collections) = admin.get(&format!("/orgs/{a}/collections")).await;
    let collection =
        collections[0]["id"].as_str().or(collections["collections"][0]["id"].as_str()).unwrap().to_string();
    let (status, draft) =
        admin.post(&format!("/orgs/{a}/programs/draft"), json!({ "collection_id": collection })).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let concept = |name: &str| {
        let found = draft["concepts"].as_array().unwrap().iter().find(|c| c["name"] == name);
        found.unwrap_or_else(|| panic!("no concept {name}: {draft}"))["id"].as_str().unwrap().to_string()
    };
    let (spaced, notes) = (concept("Spaced repetition"), concept("Note-taking"));
    let generate = |id: &str| format!("/orgs/{a}/concepts/{id}/questions/generate");

    // A good reply: two items that hold, one whose wrong option the passage states, one citing a
    // passage it was not given.
    let stem = SPACED.replace("long-term retention", BLANK);
    let good = json!([
        { "kind": "multiple_choice", "passage": 1, "explanation": "The guide says spacing builds retention.",
          "stem": stem, "options": ["long-term retention", "short-term focus", "exam anxiety", "reading speed"], "correct": [0] },
        { "kind": "cloze", "passage": 1, "explanation": "Cramming is what spacing beats.",
          "text": SPACED.replace("cramming", BLANK), "answers": ["cramming"] },
        { "kind": "multiple_choice", "passage": 1, "explanation": "",
          "stem": stem, "options": ["long-term retention", "cramming", "exam anxiety", "reading speed"], "correct": [0] },
        { "kind": "true_false", "passage": 4, "explanation": "", "statement": SPACED, "answer": true },
    ]);
    fake.push(written(good.clone()));
    let (status, made) = admin.post(&generate(&spaced), json!({ "max_items": 5 })).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["writer"], "model");
    assert_eq!((made["failed_check"].as_u64(), made["malformed_items"].as_u64()), (Some(1), Some(1)), "{made}");
    assert_eq!(made["malformed_replies"], 0);
    let questions = made["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 2, "{made}");
    for q in questions {
        assert_eq!((q["origin"].as_str(), q["status"].as_str()), (Some("generated"), Some("draft")), "{q}");
        assert!(q["defect"].is_null() && q["checked"] == true, "{q}");
        assert!(says(q["citations"][0]["text"].as_str().unwrap(), SPACED), "{q}");
    }
    assert_eq!(questions[0]["explanation"], "The guide says spacing builds retention.");
    // Asked as structured output, with the concept and its numbered passage.
    let seen = fake.seen();
    let request = seen.last().unwrap();
    assert_eq!(request.body["response_format"]["type"], "json_schema", "{}", request.body);
    assert_eq!(request.body["response_format"]["json_schema"]["strict"], true);
    let asked = request.last_user_message().unwrap();
    assert!(asked.contains("Concept: Spaced repetition") && asked.contains("[1] ") && says(asked, SPACED), "{asked}");

    // The same items again are duplicates: nothing is added.
    fake.push(written(good));
    let (status, again) = admin.post(&generate(&spaced), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!((again["questions"].as_array().unwrap().len(), again["duplicates"].as_u64()), (0, Some(2)), "{again}");

    // A reply that is not the JSON asked for is asked again, saying what was wrong.
    let requests_before = fake.seen().len();
    fake.push(Script::Reply("Sure! Here are three great questions about note-taking.".into()));
    fake.push(written(json!([{ "kind": "cloze", "passage": 1, "explanation": "", "text": CORNELL.replace("summary", BLANK), "answers": ["summary"] }])));
    let (status, retried) = admin.post(&generate(&notes), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{retried}");
    assert_eq!((retried["questions"].as_array().unwrap().len(), retried["malformed_replies"].as_u64()), (1, Some(1)));
    let seen = fake.seen();
    assert_eq!(seen.len(), requests_before + 2);
    let second = &seen[seen.len() - 1];
    assert!(second.messages.iter().any(|m| m.content.starts_with("Sure! Here are")), "the bad reply is shown back");
    assert!(second.last_user_message().unwrap().contains("could not be used"));

    // Three malformed replies: the items are dropped (and logged), no question is written.
    let bank = |counts: Vec<(&'static str, i64)>| -> Vec<(&'static str, i64)> {
        counts.into_iter().filter(|(table, _)| table.starts_with("question")).collect()
    };
    let before = w.app.row_counts().await;
    for _ in 0..3 {
        fake.push(Script::Reply(r#"{"questions": [{"kind": "cloze", "passage": 1"#.into()));
    }
    let (status, dropped) = admin.post(&generate(&notes), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{dropped}");
    assert_eq!((dropped["questions"].as_array().unwrap().len(), dropped["malformed_replies"].as_u64()), (0, Some(3)));
    assert_eq!(bank(w.app.row_counts().await), bank(before));

    // A model that fails (after its own retries) is a clear error, and nothing is written.
    let before = w.app.row_counts().await;
    for _ in 0..3 {
        fake.push(Script::error(500, "the model crashed"));
    }
    assert_error(admin.post(&generate(&notes), json!({})).await, StatusCode::BAD_GATEWAY, "model_server_error");
    assert_eq!(w.app.row_counts().await, before);

    // Asked to, Wayfinder makes them from the text without the model.
    let requests_before = fake.seen().len();
    let (status, extracted) = admin.post(&generate(&spaced), json!({ "writer": "text" })).await;
    assert_eq!(status, StatusCode::CREATED, "{extracted}");
    assert_eq!(extracted["writer"], "text");
    assert!(extracted["questions"].as_array().unwrap().iter().all(|q| q["origin"] == "extracted"), "{extracted}");
    assert_eq!(fake.seen().len(), requests_before, "the model was not asked");
}

/// A short answer between right and wrong waits for the learner's coach, who grades it; the grade
/// is evidence, counts in the session and the item's statistics, and the learner sees the comment.
async fn a_coach_grades_the_answers_the_rules_could_not(backend: Backend) {
    let w = World::build(backend).await;
    let (a, b) = (&w.org_a, &w.org_b);
    let admin = &w.admin.client;
    let (program, ids) = published_program(admin, a, "Memory").await;
    let c01 = &ids["c01"];
    let learner = &w.learner.id;
    let (status, _) =
        admin.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner })).await;
    assert_eq!(status, StatusCode::CREATED);
    let reference = "Spacing reviews over growing intervals strengthens memory";
    let short = json!({ "kind": "short_answer", "prompt": "Why space out your reviews?", "reference": reference });
    let (status, question) =
        admin.post(&format!("/orgs/{a}/questions"), json!({ "concepts": [c01], "body": short })).await;
    assert_eq!(status, StatusCode::CREATED, "{question}");
    let question = question["id"].as_str().unwrap().to_string();
    let statement = json!({ "kind": "true_false", "statement": "Cramming beats spacing.", "answer": false });
    let (status, other) =
        admin.post(&format!("/orgs/{a}/questions"), json!({ "concepts": [c01], "body": statement })).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let other = other["id"].as_str().unwrap().to_string();

    let (status, session) = w
        .learner
        .client
        .post(
            &format!("/orgs/{a}/learners/{learner}/practice-sessions"),
            json!({ "target": { "kind": "concept", "concept_id": c01 }, "size": 2 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let sid = session["id"].as_str().unwrap().to_string();
    let mut current = session["current"].clone();
    while !current.is_null() {
        let answer = if current["id"] == question.as_str() {
            // Two of the reference's six content words: neither clearly right nor clearly wrong.
            json!({ "kind": "text", "text": "spacing reviews helps" })
        } else {
            json!({ "kind": "true_false", "value": false })
        };
        let (status, outcome) = w
            .learner
            .client
            .post(
                &format!("/orgs/{a}/practice-sessions/{sid}/answers"),
                json!({ "question_id": current["id"], "answer": answer }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{outcome}");
        current = outcome["session"]["current"].clone();
    }
    let one = format!("/orgs/{a}/practice-sessions/{sid}");
    let (_, done) = w.learner.client.get(&one).await;
    let attempt_of = |session: &Value, id: &str| {
        session["attempts"].as_array().unwrap().iter().find(|t| t["question"]["id"] == id).unwrap().clone()
    };
    assert_eq!(attempt_of(&done, &question)["grade"]["outcome"], "needs_review", "{done}");
    assert_eq!(done["correct"], 1, "only the true/false answer counts so far");
    let graded_evidence =
        |evidence: &Value| evidence.as_array().unwrap().iter().filter(|e| e["kind"] == "graded_answer").count();
    let evidence_path = format!("/orgs/{a}/learners/{learner}/evidence");
    let (_, evidence) = w.learner.client.get(&evidence_path).await;
    assert_eq!(graded_evidence(&evidence), 1, "the waiting answer is no evidence yet: {evidence}");

    // The learner's coach and the admins see it waiting; nobody else does.
    let waiting_path = format!("/orgs/{a}/practice-reviews");
    for client in [&w.coach.client, admin] {
        let (status, waiting) = client.get(&waiting_path).await;
        assert_eq!(status, StatusCode::OK, "{waiting}");
        let waiting = waiting.as_array().unwrap();
        assert_eq!(waiting.len(), 1, "{waiting:?}");
        assert_eq!(
            (waiting[0]["session_id"].as_str(), waiting[0]["question"]["id"].as_str()),
            (Some(sid.as_str()), Some(question.as_str()))
        );
        assert_eq!(waiting[0]["correct_answer"], reference);
        assert_eq!(waiting[0]["answer"]["text"], "spacing reviews helps");
        assert_eq!(waiting[0]["person_id"], learner.as_str());
    }
    for client in [&w.learner.client, &w.parent.client, &w.manager.client] {
        assert_eq!(client.get(&waiting_path).await.1, json!([]));
    }
    assert_error(w.admin_b.client.get(&waiting_path).await, StatusCode::NOT_FOUND, "not_found");

    // Who may grade it, and bad grades: refused, nothing changes.
    let reviews = format!("{one}/reviews");
    let grade =
        json!({ "question_id": question, "correct": true, "comment": "Yes: and the growing gaps are the point." });
    let before = w.app.row_counts().await;
    assert_error(w.learner.client.post(&reviews, grade.clone()).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(w.parent.client.post(&reviews, grade.clone()).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(w.manager.client.post(&reviews, grade.clone()).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(w.other_learner.client.post(&reviews, grade.clone()).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(w.admin_b.client.post(&reviews, grade.clone()).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        w.admin_b.client.post(&format!("/orgs/{b}/practice-sessions/{sid}/reviews"), grade.clone()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let unknown = json!({ "question_id": "0190f0f0-0000-7000-8000-000000000000", "correct": true });
    assert_error(w.coach.client.post(&reviews, unknown).await, StatusCode::NOT_FOUND, "not_found");
    let graded_by_rules = json!({ "question_id": other, "correct": true });
    assert_error(w.coach.client.post(&reviews, graded_by_rules).await, StatusCode::CONFLICT, "conflict");
    let long = json!({ "question_id": question, "correct": true, "comment": "x".repeat(1001) });
    assert_error(w.coach.client.post(&reviews, long).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    assert_error(
        w.coach.client.post(&reviews, json!({ "question_id": question })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing_field",
    );
    assert_eq!(w.app.row_counts().await, before, "refused grades wrote nothing");
    let (_, stats_before) = admin.get(&format!("/orgs/{a}/questions/{question}")).await;

    // The coach grades it right.
    let (_, standing_before) = w.coach.client.get(&format!("/orgs/{a}/learners/{learner}/mastery/{c01}")).await;
    let (status, reviewed) = w.coach.client.post(&reviews, grade.clone()).await;
    assert_eq!(status, StatusCode::OK, "{reviewed}");
    let attempt = attempt_of(&reviewed, &question);
    assert_eq!(
        (attempt["grade"]["outcome"].as_str(), attempt["grade"]["correct"].as_bool()),
        (Some("graded"), Some(true))
    );
    assert_eq!(attempt["review"]["comment"], "Yes: and the growing gaps are the point.");
    assert_eq!(attempt["review"]["reviewer_id"], w.coach.id.as_str());
    assert_eq!(reviewed["correct"], 2);
    let (_, learner_view) = w.learner.client.get(&one).await;
    assert_eq!(attempt_of(&learner_view, &question)["review"]["comment"], "Yes: and the growing gaps are the point.");
    let (_, evidence) = w.learner.client.get(&evidence_path).await;
    assert_eq!(graded_evidence(&evidence), 2, "{evidence}");
    let by_coach = evidence.as_array().unwrap().iter().find(|e| e["recorded_by"] == w.coach.id.as_str()).unwrap();
    assert_eq!(
        (by_coach["kind"].as_str(), by_coach["outcome"].as_f64()),
        (Some("graded_answer"), Some(1.0)),
        "{by_coach}"
    );
    let (_, standing_after) = w.coach.client.get(&format!("/orgs/{a}/learners/{learner}/mastery/{c01}")).await;
    assert!(
        standing_after["standing"]["mastery"].as_f64() > standing_before["standing"]["mastery"].as_f64(),
        "{standing_before} → {standing_after}"
    );
    let (_, stats_after) = admin.get(&format!("/orgs/{a}/questions/{question}")).await;
    assert_eq!(
        stats_after["statistics"]["attempts"].as_i64(),
        stats_before["statistics"]["attempts"].as_i64().map(|n| n + 1),
        "{stats_after}"
    );
    assert_eq!(w.coach.client.get(&waiting_path).await.1, json!([]));
    // Graded once: a second grade (a second coach, a retry) is refused.
    let again = json!({ "question_id": question, "correct": false });
    let before = w.app.row_counts().await;
    assert_error(admin.post(&reviews, again).await, StatusCode::CONFLICT, "conflict");
    assert_eq!(w.app.row_counts().await, before);
}

/// With a chat model, short answers are graded by meaning against the reference with a rubric;
/// when the model replies out of shape or fails, the rules' grade stands.
async fn short_answers_are_graded_by_the_chat_model(backend: Backend) {
    use wayfinder_llm::fake::{FakeOpenAi, Script};
    let fake = FakeOpenAi::start().await;
    let w = World::build_on(crate::coach::spawn(backend, crate::coach::models(fake.base_url())).await).await;
    let (a, admin) = (&w.org_a, &w.admin.client);
    let (program, ids) = published_program(admin, a, "Memory").await;
    let learner = &w.learner.id;
    let (status, _) =
        admin.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner })).await;
    assert_eq!(status, StatusCode::CREATED);
    let reference = "Spacing reviews over growing intervals strengthens memory";
    // One short-answer question per concept, so each session below asks exactly it.
    let answer_on = |concept: String, text: &'static str| {
        let (client, a) = (w.learner.client.clone(), a.clone());
        let (admin, learner) = (admin.clone(), learner.clone());
        async move {
            let body = json!({ "kind": "short_answer", "prompt": format!("Why space out reviews ({concept})?"), "reference": reference });
            let (status, q) =
                admin.post(&format!("/orgs/{a}/questions"), json!({ "concepts": [concept], "body": body })).await;
            assert_eq!(status, StatusCode::CREATED, "{q}");
            let target = json!({ "target": { "kind": "concept", "concept_id": concept }, "size": 1 });
            let (status, session) =
                client.post(&format!("/orgs/{a}/learners/{learner}/practice-sessions"), target).await;
            assert_eq!(status, StatusCode::CREATED, "{session}");
            let sid = session["id"].as_str().unwrap();
            let (status, outcome) = client
                .post(
                    &format!("/orgs/{a}/practice-sessions/{sid}/answers"),
                    json!({ "question_id": q["id"], "answer": { "kind": "text", "text": text } }),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{outcome}");
            outcome["attempt"]["grade"].clone()
        }
    };

    // A paraphrase sharing almost no words with the reference: the model judges it right.
    fake.push(Script::Reply(r#"{"score": 0.9, "correct": true}"#.into()));
    let paraphrase = "Because leaving longer gaps between study sessions makes what you learn stick";
    let grade = answer_on(ids["c01"].clone(), paraphrase).await;
    assert_eq!(grade, json!({ "outcome": "graded", "score": 0.9, "correct": true }));
    let seen = fake.seen();
    let asked = seen.last().unwrap();
    assert_eq!(asked.body["response_format"]["json_schema"]["name"], "short_answer_grade", "{}", asked.body);
    let user = asked.last_user_message().unwrap();
    assert!(
        user.contains(&format!("Reference answer: {reference}")) && user.contains(&format!("<<<\n{paraphrase}\n>>>")),
        "{user}"
    );

    // Out of shape twice: the rules grade it (two of six content words: a coach reviews it).
    fake.push(Script::Reply("Looks right to me!".into()));
    fake.push(Script::Reply(r#"{"score": 0.1, "correct": true}"#.into()));
    let grade = answer_on(ids["c02"].clone(), "spacing reviews helps").await;
    assert_eq!(grade, json!({ "outcome": "needs_review" }));

    // A model that fails leaves the rules' grade too, and the answer is taken.
    for _ in 0..3 {
        fake.push(Script::error(500, "the model crashed"));
    }
    let grade = answer_on(ids["c03"].clone(), "spacing reviews over growing intervals strengthens memory").await;
    assert_eq!(grade["correct"], true, "{grade}");
}

/// A program's approved questions travel with it: imported with a document or a spreadsheet
/// (approved, all or nothing), exported with it, and carried to another organisation.
async fn a_programs_questions_travel_with_it(backend: Backend) {
    let w = World::build(backend).await;
    let (a, b) = (&w.org_a, &w.org_b);
    let admin = &w.admin.client;
    let choice = json!({ "kind": "multiple_choice", "stem": "Which helps memory most?",
        "options": ["spaced review", "rereading", "highlighting"], "correct": [0] });
    let statement =
        json!({ "kind": "true_false", "statement": "Cramming works best for the long term.", "answer": false });
    let cloze = json!({ "kind": "cloze", "text": "Spacing and _____ both strengthen recall.", "answers": ["testing"] });
    let document = |questions: Value| {
        json!({ "title": "Memory", "concepts": [
            { "key": "k1", "name": "Spacing" }, { "key": "k2", "name": "Testing", "requires": ["k1"] } ],
            "questions": questions })
    };

    // Broken rows refuse the whole import, each named; nothing is written.
    let before = w.app.row_counts().await;
    let broken = document(json!([
        { "concepts": ["k1", "nowhere"], "body": choice },
        { "concepts": ["k2"], "body": { "kind": "multiple_choice", "stem": "Which?", "options": ["a", "b"], "correct": [5] } },
        { "concepts": [], "body": statement },
    ]));
    let (status, refused) = admin.post(&format!("/orgs/{a}/programs/import"), broken).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("import_invalid")),
        "{refused}"
    );
    let rows: Vec<(i64, String)> = refused["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_i64().unwrap(), r["field"].as_str().unwrap().to_string()))
        .collect();
    assert!(rows.contains(&(1, "question.concepts".into())), "{rows:?}");
    assert!(rows.iter().any(|(row, field)| *row == 2 && field.starts_with("question.")), "{rows:?}");
    assert!(rows.contains(&(3, "question.concepts".into())), "{rows:?}");
    assert_eq!(w.app.row_counts().await, before, "a refused import wrote nothing");

    // A good document: its questions arrive approved, on the concepts their keys name.
    let questions = json!([
        { "concepts": ["k1"], "body": choice, "explanation": "Spacing beats rereading." },
        { "concepts": ["k2"], "body": statement },
        { "concepts": ["k1", "k2"], "body": cloze },
    ]);
    let (status, detail) = admin.post(&format!("/orgs/{a}/programs/import"), document(questions.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{detail}");
    let program = detail["program"]["id"].as_str().unwrap().to_string();
    let id_of = |name: &str| {
        detail["concepts"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (spacing, testing) = (id_of("Spacing"), id_of("Testing"));
    let (_, bank) = admin.get(&format!("/orgs/{a}/questions?status=approved&limit=50")).await;
    let bank = bank["questions"].as_array().unwrap().clone();
    assert_eq!(bank.len(), 3, "{bank:?}");
    assert!(bank.iter().all(|q| q["origin"] == "imported"), "{bank:?}");
    let by_body =
        |body: &Value| bank.iter().find(|q| &q["body"] == body).unwrap_or_else(|| panic!("{body} missing")).clone();
    assert_eq!(by_body(&choice)["concepts"], json!([spacing]));
    assert_eq!(by_body(&choice)["explanation"], "Spacing beats rereading.");
    assert_eq!(by_body(&statement)["concepts"], json!([testing]));
    let mut both = vec![spacing.clone(), testing.clone()];
    both.sort();
    let mut cloze_concepts: Vec<String> =
        by_body(&cloze)["concepts"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    cloze_concepts.sort();
    assert_eq!(cloze_concepts, both);

    // The export carries them, keyed by the concepts' ids.
    let (_, exported) = admin.get(&format!("/orgs/{a}/programs/{program}/export")).await;
    let carried = exported["questions"].as_array().unwrap();
    assert_eq!(carried.len(), 3, "{exported}");
    assert!(carried.iter().any(|q| q["body"] == choice && q["concepts"] == json!([spacing])), "{exported}");

    // As spreadsheets, into another organisation: the same questions, approved there.
    let (_, sheets) = admin.get(&format!("/orgs/{a}/programs/{program}/export/csv")).await;
    let questions_csv = sheets["questions_csv"].as_str().unwrap();
    assert!(questions_csv.starts_with("concepts,kind,prompt,options,answer,explanation"), "{questions_csv}");
    let import = json!({ "title": "Memory", "concepts_csv": sheets["concepts_csv"], "edges_csv": sheets["edges_csv"],
        "questions_csv": questions_csv });
    let (status, copied) = w.admin_b.client.post(&format!("/orgs/{b}/programs/import/csv"), import).await;
    assert_eq!(status, StatusCode::CREATED, "{copied}");
    let (_, bank_b) = w.admin_b.client.get(&format!("/orgs/{b}/questions?status=approved&limit=50")).await;
    let mut bodies_b: Vec<String> =
        bank_b["questions"].as_array().unwrap().iter().map(|q| q["body"].to_string()).collect();
    let mut bodies_a: Vec<String> = bank.iter().map(|q| q["body"].to_string()).collect();
    bodies_a.sort();
    bodies_b.sort();
    assert_eq!(bodies_b, bodies_a);

    // A broken questions sheet: each bad row named, nothing written.
    let before = w.app.row_counts().await;
    let bad_sheet = "concepts,kind,prompt,options,answer,explanation\n\
        k1,essay,Discuss.,,,\n\
        k1,multiple_choice,Which?,a;b,c,\n\
        k1,true_false,Sleep helps.,,maybe,\n";
    let import = json!({ "title": "Bad", "concepts_csv": "key,name\nk1,One\n", "edges_csv": "concept,requires\n",
        "questions_csv": bad_sheet });
    let (status, refused) = w.admin_b.client.post(&format!("/orgs/{b}/programs/import/csv"), import).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let rows: Vec<i64> =
        refused["error"]["rows"].as_array().unwrap().iter().map(|r| r["row"].as_i64().unwrap()).collect();
    assert_eq!(rows, [2, 3, 4], "{refused}");
    assert_eq!(w.app.row_counts().await, before);
}

/// Without a chat model but with an embedding model, short answers are graded by meaning: an
/// answer close to the reference in other words is right, one far from it wrong, and one in
/// between that its words do not settle waits for a coach.
async fn short_answers_are_graded_by_meaning_with_an_embedding_model(backend: Backend) {
    let dir = std::env::var("WAYFINDER_TEST_EMBEDDING_MODEL")
        .expect("this test needs WAYFINDER_TEST_EMBEDDING_MODEL; scripts/test fetches all-MiniLM-L6-v2 and sets it");
    let model = std::sync::Arc::new(
        wayfinder_embeddings::LocalEmbedder::load(std::path::Path::new(&dir)).expect("model loads"),
    );
    let edge = model.clone();
    let app = TestApp::spawn_full(backend, test_settings(), move |store| {
        wayfinder_knowledge::KnowledgeBase::new(store, Some(model), None, Default::default())
    })
    .await;
    let w = World::build_on(app).await;
    let (a, admin) = (&w.org_a, &w.admin.client);
    let (program, ids) = published_program(admin, a, "Memory").await;
    let learner = &w.learner.id;
    let (status, _) =
        admin.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner })).await;
    assert_eq!(status, StatusCode::CREATED);
    let reference = "Spacing reviews over growing intervals strengthens memory";
    // The cosine of two texts by the same model, computed here.
    let cosine = |x: &str, y: &str| {
        let edge = edge.clone();
        let texts = [x.to_string(), y.to_string()];
        async move {
            use wayfinder_embeddings::Embedder;
            let v = edge.embed(&texts, wayfinder_embeddings::EmbedPurpose::Query).await.unwrap();
            v[0].iter().zip(&v[1]).map(|(p, q)| f64::from(*p) * f64::from(*q)).sum::<f64>()
        }
    };
    let answers = [
        ("c01", "Reviewing at increasing intervals makes memories stronger"),
        ("c02", "Bananas are a yellow fruit"),
        ("c03", "spacing reviews helps"),
    ];
    let mut seen = Vec::new();
    for (key, text) in answers {
        let concept = &ids[key];
        let body = json!({ "kind": "short_answer", "prompt": format!("Why space out reviews ({key})?"), "reference": reference });
        let (status, q) =
            admin.post(&format!("/orgs/{a}/questions"), json!({ "concepts": [concept], "body": body })).await;
        assert_eq!(status, StatusCode::CREATED, "{q}");
        let target = json!({ "target": { "kind": "concept", "concept_id": concept }, "size": 1 });
        let (_, session) =
            w.learner.client.post(&format!("/orgs/{a}/learners/{learner}/practice-sessions"), target).await;
        let sid = session["id"].as_str().unwrap();
        let (status, outcome) = w
            .learner
            .client
            .post(
                &format!("/orgs/{a}/practice-sessions/{sid}/answers"),
                json!({ "question_id": q["id"], "answer": { "kind": "text", "text": text } }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{outcome}");
        let similarity = cosine(text, reference).await;
        seen.push((text, similarity, outcome["attempt"]["grade"].clone()));
    }
    eprintln!("graded by meaning: {seen:?}");
    let grade_of = |i: usize| &seen[i].2;
    // The paraphrase shares almost no words with the reference, yet means it.
    assert!(seen[0].1 >= 0.75, "the paraphrase is close in meaning: {seen:?}");
    assert_eq!((grade_of(0)["outcome"].as_str(), grade_of(0)["correct"].as_bool()), (Some("graded"), Some(true)));
    assert!(seen[1].1 <= 0.3, "{seen:?}");
    assert_eq!((grade_of(1)["outcome"].as_str(), grade_of(1)["correct"].as_bool()), (Some("graded"), Some(false)));
    // Half the idea in half the words: by meaning as the rule says (a coach when in between).
    let expected_third = if seen[2].1 >= 0.75 || seen[2].1 <= 0.3 { "graded" } else { "needs_review" };
    assert_eq!(grade_of(2)["outcome"], expected_third, "{seen:?}");
}

wayfinder_testing::on_both_backends!(
    questions_are_made_from_a_books_sections_and_reviewed,
    short_answers_are_graded_by_meaning_with_an_embedding_model,
    a_programs_questions_travel_with_it,
    short_answers_are_graded_by_the_chat_model,
    a_coach_grades_the_answers_the_rules_could_not,
    questions_written_by_a_chat_model_are_checked_and_asked_again,
    a_learner_practises_with_feedback_and_the_model_learns,
    a_placement_finds_what_a_newcomer_knows_and_where_to_start,
);
