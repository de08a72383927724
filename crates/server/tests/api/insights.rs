//! Dashboards over HTTP on both backends: what people did (questions asked
//! and how they were answered, ratings changed, evidence recorded on earlier
//! days) shows up in the administrator's overview, the learner's own
//! dashboard and the glance of those who supervise them, counted on the
//! organisation's local days. Every expected figure is derived in the test
//! from the API's answers to what it did, never from the rollups themselves.

use crate::coach::world_with_guide;
use crate::helpers::*;
use crate::learning::published_program;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::America::New_York;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use wayfinder_server::ServerSettings;

/// The local date of an instant in New York.
fn ny_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&New_York).date_naive()
}

fn date(v: &Value) -> NaiveDate {
    v.as_str().unwrap().parse().unwrap()
}

async fn ask(client: &Client, conversation: &str, question: &str) -> Value {
    let (status, turn) =
        client.post(&format!("/conversations/{conversation}/messages"), json!({ "content": question })).await;
    assert_eq!(status, StatusCode::OK, "{turn}");
    turn
}

async fn dashboards_follow_what_people_did(backend: Backend) {
    let w = world_with_guide(TestApp::spawn(backend).await).await;
    let a = &w.org_a;
    let admin = &w.admin.client;
    let learner = &w.learner.id;

    // The organisation's days are New York's; a zone that does not exist changes nothing.
    let settings = format!("/orgs/{a}/insight-settings");
    assert_error(
        admin.put(&settings, json!({ "time_zone": "Mars/Olympus" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert_eq!(admin.get(&settings).await.1["time_zone"], "UTC");
    assert_error(
        w.coach.client.put(&settings, json!({ "time_zone": "America/New_York" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, changed) = admin.put(&settings, json!({ "time_zone": "America/New_York" })).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed, json!({ "time_zone": "America/New_York", "parents_may_read_conversations": false }));

    // The learner asks three questions, the other learner one; what each answer was is read
    // from the answers themselves.
    let (_, chat) = w.learner.client.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    let chat = chat["id"].as_str().unwrap().to_string();
    let questions = [
        "How does spaced repetition with flashcards help long-term retention?",
        "Which medieval kings ruled Portugal during the fifteenth century?",
        "How does the Cornell method divide the page for notes?",
    ];
    let mut turns = Vec::new();
    for q in questions {
        turns.push(ask(&w.learner.client, &chat, q).await);
    }
    let (_, other_chat) = w.other_learner.client.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    let other_turn = ask(&w.other_learner.client, other_chat["id"].as_str().unwrap(), questions[0]).await;
    let kinds: Vec<String> = turns
        .iter()
        .chain([&other_turn])
        .map(|t| t["assistant_message"]["kind"].as_str().unwrap().to_string())
        .collect();
    let count = |kind: &str| kinds.iter().filter(|k| k.as_str() == kind).count() as i64;
    assert!(count("refusal") >= 1 && count("extractive") >= 2, "{kinds:?}");
    let learner_refused = kinds[..3].iter().filter(|k| k.as_str() == "refusal").count() as i64;
    let answered_by_learner = 3 - learner_refused;

    // Ratings: the first answer is rated down, then changed to up; the third is rated down for a
    // missing source. What stays: one helpful, one unhelpful with its reason.
    let answer = |i: usize| turns[i]["assistant_message"]["id"].as_str().unwrap().to_string();
    let feedback = |id: String| format!("/messages/{id}/feedback");
    let rate = |rating: &str, reasons: &[&str]| json!({ "rating": rating, "reasons": reasons });
    for (id, body) in [
        (answer(0), rate("down", &["inaccurate"])),
        (answer(0), rate("up", &[])),
        (answer(2), rate("down", &["missing_source"])),
    ] {
        let (status, body) = w.learner.client.put(&feedback(id), body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    // A program; the coach records answers three days ago, yesterday and now.
    let (program, ids) = published_program(admin, a, "Fifteen steps").await;
    let (status, _) =
        admin.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner })).await;
    assert_eq!(status, StatusCode::CREATED);
    let now = Utc::now();
    let records = [
        (ids["c01"].clone(), true, now - Duration::days(3)),
        (ids["c02"].clone(), false, now - Duration::days(1)),
        (ids["c01"].clone(), true, now),
    ];
    // The summed mastery at the end of each local day, from each answer's reported mastery.
    let mut latest: BTreeMap<String, f64> = BTreeMap::new();
    let mut mastery_after: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    let mut evidence_on: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for (i, (concept, correct, at)) in records.iter().enumerate() {
        let (status, recorded) = w
            .coach
            .client
            .post(
                &format!("/orgs/{a}/learners/{learner}/evidence"),
                json!({ "concept_id": concept, "kind": "graded_answer", "correct": correct, "occurred_at": at,
                        "idempotency_key": format!("answer-{i}") }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{recorded}");
        latest.insert(concept.clone(), recorded["mastery"].as_f64().unwrap());
        mastery_after.insert(ny_date(*at), latest.values().sum());
        *evidence_on.entry(ny_date(*at)).or_default() += 1;
    }
    let today = ny_date(Utc::now());

    // The administrator's overview of the last 7 days.
    let (status, overview) = admin.get(&format!("/orgs/{a}/insights/overview?days=7")).await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    assert_eq!(overview["time_zone"], "America/New_York");
    assert_eq!(date(&overview["to"]), today);
    assert_eq!(date(&overview["from"]), today - Duration::days(6));
    let totals = &overview["totals"];
    assert_eq!(totals["questions"], 4);
    assert_eq!(totals["conversations"], 2);
    assert_eq!(totals["refused"], count("refusal"));
    assert_eq!(totals["extractive"], count("extractive"));
    assert_eq!(totals["generated"], 0);
    assert_eq!((totals["helpful"].as_i64(), totals["unhelpful"].as_i64()), (Some(1), Some(1)));
    assert_eq!(overview["positive_feedback_rate"], 0.5);
    assert_eq!(overview["feedback_reasons"], json!([{ "rating": "down", "reason": "missing_source", "count": 1 }]));
    assert_eq!(totals["evidence"], 3);
    let days = overview["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    let by_date: BTreeMap<NaiveDate, &Value> = days.iter().map(|d| (date(&d["date"]), d)).collect();
    for (day, n) in &evidence_on {
        if *day >= today - Duration::days(6) {
            assert_eq!(by_date[day]["evidence"], *n, "evidence on {day}");
        }
    }
    // Active today: the two learners who asked (the coach's records of the learner are not
    // the learner's own activity, so three days ago nobody was active).
    assert_eq!(by_date[&today]["active_people"], 2);
    assert_eq!(by_date[&(today - Duration::days(3))]["active_people"], 0);
    let this_week = overview["weeks"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(this_week["active_people"], 2, "{this_week}");
    let coaches = overview["cost_by_coach"].as_array().unwrap();
    assert_eq!(coaches.iter().map(|c| c["questions"].as_i64().unwrap()).sum::<i64>(), 4, "{coaches:?}");
    assert_eq!(
        overview["programs"],
        json!([{ "program_id": program, "title": "Fifteen steps", "status": "published", "enrolled": 1 }])
    );
    assert_eq!(overview["knowledge"]["documents"], 1);
    assert_eq!(overview["knowledge"]["collections"], 1);

    // The learner's own dashboard.
    let dashboard_url = format!("/orgs/{a}/insights/learners/{learner}");
    let (status, mine) = w.learner.client.get(&dashboard_url).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let (_, member) = admin.get(&format!("/orgs/{a}/members/{learner}")).await;
    assert_eq!(mine["name"], member["person"]["display_name"], "{member}");
    assert_eq!(mine["streak"], json!({ "current": 1, "longest": 1 }));
    let activity = mine["activity"].as_array().unwrap();
    assert_eq!(activity.len(), 30);
    let last = activity.last().unwrap();
    assert_eq!((date(&last["date"]), last["questions"].as_i64()), (today, Some(3)));
    assert_eq!(last["active"], true);
    let timeline: BTreeMap<NaiveDate, f64> = mine["mastery_timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (date(&p["date"]), p["mastery"].as_f64().unwrap()))
        .collect();
    assert_eq!(timeline.len(), 90);
    let mut expected = 0.0;
    for (day, shown) in &timeline {
        if let Some(m) = mastery_after.get(day) {
            expected = *m;
        }
        assert!((shown - expected).abs() < 1e-9, "mastery on {day}: {shown} ≠ {expected}");
    }
    let programs = mine["programs"].as_array().unwrap();
    assert_eq!(programs.len(), 1);
    assert_eq!((programs[0]["title"].as_str(), programs[0]["concepts"].as_i64()), (Some("Fifteen steps"), Some(15)));

    // Who may read it: the learner's coach, parent and the coach's manager; not another learner
    // (404: they cannot see them), not another organisation.
    for reader in [&w.coach.client, &w.parent.client, &w.manager.client, admin] {
        assert_eq!(reader.get(&dashboard_url).await.0, StatusCode::OK);
    }
    assert_error(w.other_learner.client.get(&dashboard_url).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(w.admin_b.client.get(&dashboard_url).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        w.admin_b.client.get(&format!("/orgs/{a}/insights/overview")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for not_admin in [&w.coach.client, &w.manager.client, &w.parent.client, &w.learner.client] {
        assert_error(not_admin.get(&format!("/orgs/{a}/insights/overview")).await, StatusCode::FORBIDDEN, "forbidden");
    }
    assert_error(
        admin.get(&format!("/orgs/{a}/insights/overview?days=0")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );

    // The coach's glance at their learners.
    let glance_url = format!("/orgs/{a}/insights/learners");
    let (status, glance) = w.coach.client.get(&glance_url).await;
    assert_eq!(status, StatusCode::OK, "{glance}");
    assert_eq!(glance["total"], 1);
    assert_eq!(date(&glance["today"]), today);
    let row = &glance["learners"][0];
    assert_eq!(row["person_id"], learner.as_str());
    assert_eq!(date(&row["last_active"]), today);
    assert_eq!(
        (row["questions_7d"].as_i64(), row["answers_7d"].as_i64(), row["wrong_7d"].as_i64()),
        (Some(3), Some(3), Some(1))
    );
    assert!((row["mastery_change_7d"].as_f64().unwrap() - latest.values().sum::<f64>()).abs() < 1e-9, "{row}");
    let topic_questions: i64 = row["topics"].as_array().unwrap().iter().map(|t| t["questions"].as_i64().unwrap()).sum();
    assert_eq!(topic_questions, answered_by_learner, "{row}");
    assert_eq!(row["at_risk"], json!([]));
    // The manager sees the same learner; an administrator every learner.
    assert_eq!(w.manager.client.get(&glance_url).await.1["total"], 1);
    let (_, all) = admin.get(&glance_url).await;
    assert_eq!(all["total"], 2, "{all}");
    let (_, by_coach) = admin.get(&format!("{glance_url}?coach={}", w.coach.id)).await;
    assert_eq!(by_coach["total"], 1);
    assert_eq!(w.other_learner.client.get(&glance_url).await.1["total"], 0);
    assert_error(
        w.coach.client.get(&format!("{glance_url}?coach={}", w.coach.id)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(admin.get(&format!("{glance_url}?limit=0")).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");

    // A parent sees progress but not what the learner asked, and not their conversations,
    // until both the organisation and the learner allow it.
    let conversation = format!("/conversations/{chat}");
    let (_, as_parent) = w.parent.client.get(&glance_url).await;
    assert_eq!((as_parent["total"].as_i64(), as_parent["topics_visible"].as_bool()), (Some(1), Some(false)));
    assert_eq!(as_parent["learners"][0]["topics"], json!([]));
    assert_error(w.parent.client.get(&conversation).await, StatusCode::NOT_FOUND, "not_found");
    admin.put(&settings, json!({ "parents_may_read_conversations": true })).await;
    let (_, allowed) = w.parent.client.get(&glance_url).await;
    assert_eq!(
        (allowed["topics_visible"].as_bool(), allowed["learners"][0]["topics_visible"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(allowed["learners"][0]["topics"], json!([]));
    assert_error(w.parent.client.get(&conversation).await, StatusCode::NOT_FOUND, "not_found");
    let (status, shared) =
        w.learner.client.put(&format!("/orgs/{a}/conversation-sharing"), json!({ "share_with_parents": true })).await;
    assert_eq!((status, shared), (StatusCode::OK, json!({ "share_with_parents": true })));
    assert_eq!(w.parent.client.get(&glance_url).await.1["learners"][0]["topics"], row["topics"]);
    assert_eq!(w.parent.client.get(&conversation).await.0, StatusCode::OK);
    // Reading is not writing.
    assert_error(
        w.parent.client.post(&format!("{conversation}/messages"), json!({ "content": "hi" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    admin.put(&settings, json!({ "parents_may_read_conversations": false })).await;
    assert_error(w.parent.client.get(&conversation).await, StatusCode::NOT_FOUND, "not_found");
}

/// The service itself over the test's database, to evaluate alerts at chosen instants.
async fn insights_over(app: &TestApp) -> wayfinder_insights::Insights {
    let store = wayfinder_store::Store::connect(&wayfinder_store::StoreOptions {
        url: app.database_url().into(),
        max_connections: 2,
    })
    .await
    .unwrap();
    let knowledge = wayfinder_knowledge::KnowledgeBase::new(
        store.clone(),
        None,
        None,
        wayfinder_knowledge::IngestLimits::default(),
    );
    let learning = wayfinder_learning::Learning::new(store.clone(), knowledge.clone());
    wayfinder_insights::Insights::new(store, learning, knowledge)
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

async fn get_text(client: &Client, path: &str) -> (StatusCode, String, String) {
    let resp = client.http.get(format!("{}{path}", client.base)).send().await.unwrap();
    let status = resp.status();
    let kind = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, kind, resp.text().await.unwrap())
}

const VOLCANO_QUESTIONS: [&str; 3] = [
    "How do volcanoes erupt lava?",
    "Why do volcanoes erupt lava from magma chambers?",
    "What makes volcanoes erupt lava so violently?",
];
const TAX_QUESTIONS: [&str; 3] = [
    "How do I file my income tax return?",
    "When is the income tax return due?",
    "Can I file an income tax return late?",
];

async fn gaps_alerts_teams_outcomes_and_exports(backend: Backend) {
    let w = world_with_guide(TestApp::spawn(backend).await).await;
    let a = &w.org_a;
    let admin = &w.admin.client;
    let learner = &w.learner.id;
    let (_, chat) = w.learner.client.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    let chat = chat["id"].as_str().unwrap().to_string();

    // Questions on two topics the material does not cover are refused, and the report groups
    // them into two topics.
    for q in VOLCANO_QUESTIONS.iter().chain(TAX_QUESTIONS.iter()) {
        let turn = ask(&w.learner.client, &chat, q).await;
        assert_eq!(turn["assistant_message"]["kind"], "refusal", "{q}: {turn}");
    }
    let answered =
        ask(&w.learner.client, &chat, "How does spaced repetition with flashcards help long-term retention?").await;
    assert_eq!(answered["assistant_message"]["kind"], "extractive");
    let gaps_url = format!("/orgs/{a}/insights/gaps");
    let (status, gaps) = admin.get(&gaps_url).await;
    assert_eq!(status, StatusCode::OK, "{gaps}");
    assert_eq!(gaps["grouped_by"], "words");
    assert_eq!(gaps["unanswered_questions"], 6);
    let topics = gaps["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 2, "{gaps}");
    let topic_of = |gaps: &Value, word: &str| -> Value {
        gaps["topics"].as_array().unwrap().iter().find(|t| t["label"].as_str().unwrap().contains(word)).unwrap().clone()
    };
    for (word, questions) in [("volcano", VOLCANO_QUESTIONS), ("tax", TAX_QUESTIONS)] {
        let topic = topic_of(&gaps, word);
        assert_eq!((topic["unanswered"].as_i64(), topic["refused"].as_i64()), (Some(3), Some(3)), "{topic}");
        assert_eq!(topic["refusal_rate"], 1.0);
        let examples: Vec<&str> =
            topic["examples"].as_array().unwrap().iter().map(|e| e["question"].as_str().unwrap()).collect();
        for q in questions {
            assert!(examples.contains(&q), "{q} in {examples:?}");
        }
    }

    // Alerts, evaluated at chosen instants: more than 30 % of the last hour's questions refused.
    let (status, rule) = admin
        .post(&format!("/orgs/{a}/alert-rules"), json!({ "kind": "refusal_rate", "threshold": 0.3, "min_count": 3 }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let before = w.app.row_counts().await;
    assert_error(
        admin.post(&format!("/orgs/{a}/alert-rules"), json!({ "kind": "refusal_rate", "threshold": 30 })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert_error(
        admin.post(&format!("/orgs/{a}/alert-rules"), json!({ "kind": "weather", "threshold": 1 })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert_error(
        w.coach.client.post(&format!("/orgs/{a}/alert-rules"), json!({ "kind": "daily_cost", "threshold": 1 })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(w.app.row_counts().await, before);
    let service = insights_over(&w.app).await;
    let org: wayfinder_accounts_rules::OrgId = a.parse().unwrap();
    let now = Utc::now();
    let fired = service.evaluate_alerts(org, now).await.unwrap();
    assert_eq!(fired.len(), 1, "6 of 7 questions refused in the hour: {fired:?}");
    assert!(fired[0].message.contains("6 of 7"), "{}", fired[0].message);
    // The same condition a minute later fires nothing; two hours later it has cleared, and when
    // it holds again it is a new alert.
    assert!(service.evaluate_alerts(org, now + Duration::minutes(1)).await.unwrap().is_empty());
    assert!(service.evaluate_alerts(org, now + Duration::hours(2)).await.unwrap().is_empty());
    assert_eq!(service.evaluate_alerts(org, now + Duration::minutes(2)).await.unwrap().len(), 1);
    let (_, alerts) = admin.get(&format!("/orgs/{a}/alerts")).await;
    let alerts = alerts.as_array().unwrap();
    assert_eq!(alerts.len(), 2);
    assert!(alerts.iter().filter(|x| x["cleared_at"].is_null()).count() == 1, "{alerts:?}");
    // Each fired alert reached the administrator in the app, nobody else.
    let (_, notes) = admin.get(&format!("/orgs/{a}/notifications")).await;
    assert_eq!(notes.as_array().unwrap().len(), 2, "{notes}");
    assert_eq!(w.learner.client.get(&format!("/orgs/{a}/notifications")).await.1, json!([]));
    let note = notes[0]["id"].as_str().unwrap();
    assert_error(
        w.learner.client.post(&format!("/orgs/{a}/notifications/{note}/read"), json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(admin.post(&format!("/orgs/{a}/notifications/{note}/read"), json!({})).await.0, StatusCode::NO_CONTENT);
    assert!(admin.get(&format!("/orgs/{a}/notifications")).await.1[0]["read_at"].is_string());

    // A learner at risk: three wrong answers this week; their coach is told, once.
    let (program, ids) = published_program(admin, a, "Fifteen steps").await;
    for person in [learner, &w.other_learner.id] {
        admin.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": person })).await;
    }
    let mut gained = 0.0;
    let mut latest: BTreeMap<String, f64> = BTreeMap::new();
    for (i, key) in ["c01", "c02", "c03"].iter().enumerate() {
        let (status, recorded) = w.coach.client.post(
            &format!("/orgs/{a}/learners/{learner}/evidence"),
            json!({ "concept_id": ids[*key], "kind": "graded_answer", "correct": false, "idempotency_key": format!("wrong-{i}") }),
        ).await;
        assert_eq!(status, StatusCode::CREATED, "{recorded}");
        latest.insert(key.to_string(), recorded["mastery"].as_f64().unwrap());
    }
    gained += latest.values().sum::<f64>();
    admin.post(&format!("/orgs/{a}/alert-rules"), json!({ "kind": "learner_at_risk", "threshold": 1 })).await;
    let fired = service.evaluate_alerts(org, Utc::now()).await.unwrap();
    let at_risk: Vec<_> =
        fired.iter().filter(|f| f.kind == wayfinder_insights_rules::alerts::AlertKind::LearnerAtRisk).collect();
    assert_eq!(at_risk.len(), 1, "{fired:?}");
    assert_eq!(at_risk[0].person_id.as_deref(), Some(learner.as_str()));
    assert!(at_risk[0].message.contains("repeated wrong answers"), "{}", at_risk[0].message);
    let (_, coach_notes) = w.coach.client.get(&format!("/orgs/{a}/notifications")).await;
    assert_eq!(coach_notes.as_array().unwrap().len(), 1, "{coach_notes}");
    assert!(
        service
            .evaluate_alerts(org, Utc::now())
            .await
            .unwrap()
            .iter()
            .all(|f| f.kind != wayfinder_insights_rules::alerts::AlertKind::LearnerAtRisk)
    );
    // Removing a rule removes its alerts; another organisation's rule id is unknown.
    let rule_url = format!("/orgs/{a}/alert-rules/{}", rule["id"].as_str().unwrap());
    assert_error(w.admin_b.client.delete(&rule_url).await, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(admin.delete(&rule_url).await.0, StatusCode::NO_CONTENT);
    assert_eq!(admin.get(&format!("/orgs/{a}/alerts")).await.1.as_array().unwrap().len(), 1);
    assert_error(admin.delete(&rule_url).await, StatusCode::NOT_FOUND, "not_found");

    // The manager's team: their coach, with the learner's figures.
    let (status, team) = w.manager.client.get(&format!("/orgs/{a}/insights/team")).await;
    assert_eq!(status, StatusCode::OK, "{team}");
    let coaches = team["coaches"].as_array().unwrap();
    assert_eq!(coaches.len(), 1);
    assert_eq!(coaches[0]["person_id"], w.coach.id.as_str());
    assert_eq!((coaches[0]["learners"].as_i64(), coaches[0]["learners_at_risk"].as_i64()), (Some(1), Some(1)));
    assert_eq!(coaches[0]["questions"], 7);
    assert_eq!(coaches[0]["answers"], 3);
    assert!((coaches[0]["mastery_gained"].as_f64().unwrap() - gained).abs() < 1e-9);
    assert_eq!(coaches[0]["active_learner_weeks"], 1);
    for refused in [&w.coach.client, &w.learner.client, &w.parent.client] {
        assert_error(refused.get(&format!("/orgs/{a}/insights/team")).await, StatusCode::FORBIDDEN, "forbidden");
    }
    assert_eq!(admin.get(&format!("/orgs/{a}/insights/team")).await.1["coaches"].as_array().unwrap().len(), 1);

    // Outcomes: one learner used the coach, one did not — too few to compare, said so.
    let (status, outcomes) = admin.get(&format!("/orgs/{a}/insights/outcomes?days=30")).await;
    assert_eq!(status, StatusCode::OK, "{outcomes}");
    let fifteen =
        outcomes["programs"].as_array().unwrap().iter().find(|p| p["program_id"] == program.as_str()).unwrap().clone();
    assert_eq!(fifteen["learners"], 2);
    let m = &fifteen["mastery_gained"];
    assert_eq!((m["with_coach"]["learners"].as_i64(), m["without_coach"]["learners"].as_i64()), (Some(1), Some(1)));
    assert!((m["with_coach"]["value"].as_f64().unwrap() - gained).abs() < 1e-9, "{m}");
    assert_eq!(m["without_coach"]["value"], 0.0);
    assert_eq!(m["verdict"], "too_few_learners");
    assert!(m["interval"].is_null());
    assert_error(
        w.manager.client.get(&format!("/orgs/{a}/insights/outcomes")).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // Material on one topic: its questions are answered from then on, and its refusals stop.
    let coll = crate::knowledge::create_collection(admin, a, "Earth science", &[]).await;
    let text = "# Volcanoes\n\n## How volcanoes erupt\n\n".to_string()
        + &"Volcanoes erupt lava when pressure in the magma chamber forces molten rock up through vents. ".repeat(6);
    let (_, job) = crate::knowledge::upload(admin, a, &coll, &[("volcanoes.md", text.into_bytes())], None).await;
    crate::knowledge::wait_for_job(admin, job["id"].as_str().unwrap()).await;
    let added_at = Utc::now();
    let turn = ask(&w.learner.client, &chat, VOLCANO_QUESTIONS[0]).await;
    assert_eq!(turn["assistant_message"]["kind"], "extractive", "{turn}");
    let (_, gaps) = admin.get(&gaps_url).await;
    let volcano = topic_of(&gaps, "volcano");
    assert_eq!((volcano["unanswered"].as_i64(), volcano["answered"].as_i64()), (Some(3), Some(1)), "{volcano}");
    assert_eq!(volcano["refusal_rate"], 0.75);
    assert!(
        date_time(&volcano["last_unanswered"]) < added_at && date_time(&volcano["last_asked"]) >= added_at,
        "{volcano}"
    );
    let tax = topic_of(&gaps, "tax");
    assert_eq!((tax["answered"].as_i64(), tax["refusal_rate"].as_f64()), (Some(0), Some(1.0)));

    // CSV: quoted, formulas neutralised, each table behind its view's permission.
    let formula = "=HYPERLINK(\"http://evil.example\", \"click\")";
    ask(&w.learner.client, &chat, formula).await;
    let (status, kind, text) = get_text(admin, &format!("/orgs/{a}/exports/messages")).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "text/csv; charset=utf-8"));
    let rows = csv_rows(&text);
    assert_eq!(rows[0][0], "id");
    let (_, listed) = w.learner.client.get(&format!("/conversations/{chat}")).await;
    let messages = listed["messages"].as_array().unwrap();
    assert_eq!(rows.len() - 1, messages.len(), "one row per message");
    let content_column = rows[0].iter().position(|c| c == "content").unwrap();
    assert!(rows.iter().any(|r| r[content_column] == format!("'{formula}")), "the formula is neutralised");
    assert!(!rows.iter().any(|r| r[content_column] == formula));
    // Every column as the conversation itself shows the message, oldest first.
    let number = |v: &Value| match v {
        Value::Null => String::new(),
        v if v.is_i64() => v.as_i64().unwrap().to_string(),
        v => v.as_f64().unwrap().to_string(),
    };
    let expected: Vec<Vec<String>> = messages
        .iter()
        .map(|m| {
            let content = m["content"].as_str().unwrap();
            vec![
                m["id"].as_str().unwrap().to_string(),
                chat.clone(),
                learner.clone(),
                listed["conversation"]["coach_id"].as_str().unwrap_or_default().to_string(),
                m["role"].as_str().unwrap().to_string(),
                m["kind"].as_str().unwrap_or_default().to_string(),
                number(&m["confidence"]),
                number(&m["input_tokens"]),
                number(&m["output_tokens"]),
                number(&m["cost"]),
                number(&m["latency_ms"]),
                date_time(&m["created_at"]).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                if content == formula { format!("'{content}") } else { content.to_string() },
            ]
        })
        .collect();
    assert_eq!(&rows[1..], expected.as_slice());
    // The store walks the same rows page by page, whatever the page size.
    for size in [1, 4, 1_000] {
        let (mut walked, mut after) = (Vec::new(), None::<(i64, String)>);
        loop {
            let page = w
                .app
                .store
                .messages_page(a.parse().unwrap(), after.as_ref().map(|(t, id)| (*t, id.as_str())), size)
                .await
                .unwrap();
            walked.extend(page.iter().map(|m| (m.id.clone(), m.confidence, m.cost, m.content.clone())));
            after = page.last().map(|m| (m.created_at, m.id.clone()));
            if (page.len() as i64) < size {
                break;
            }
        }
        let shown: Vec<_> = messages
            .iter()
            .map(|m| {
                let id = m["id"].as_str().unwrap().to_string();
                (id, m["confidence"].as_f64(), m["cost"].as_f64().unwrap(), m["content"].as_str().unwrap().to_string())
            })
            .collect();
        assert_eq!(walked, shown, "pages of {size}");
    }
    let (status, _, learners_csv) = get_text(&w.coach.client, &format!("/orgs/{a}/exports/learners")).await;
    assert_eq!(status, StatusCode::OK);
    let learner_rows = csv_rows(&learners_csv);
    assert_eq!(learner_rows.len(), 2, "{learners_csv}");
    assert_eq!(learner_rows[1][0], learner.as_str());
    assert!(learner_rows[1][10].contains("repeated_wrong_answers"), "{learners_csv}");
    for (table, refused) in
        [("messages", &w.coach.client), ("activity", &w.manager.client), ("gaps", &w.learner.client)]
    {
        assert_error(refused.get(&format!("/orgs/{a}/exports/{table}")).await, StatusCode::FORBIDDEN, "forbidden");
    }
    assert_error(admin.get(&format!("/orgs/{a}/exports/weather")).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        w.admin_b.client.get(&format!("/orgs/{a}/exports/messages")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (_, _, activity) = get_text(admin, &format!("/orgs/{a}/exports/activity?days=7")).await;
    let activity = csv_rows(&activity);
    assert_eq!(activity.len(), 8);
    let questions: i64 = activity[1..].iter().map(|r| r[3].parse::<i64>().unwrap()).sum();
    assert_eq!(questions, 9, "seven questions, the volcano question again and the formula");
}

fn date_time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// The metric families of a scrape, parsed by a Prometheus text-format parser.
fn families(text: &str) -> prometheus_parse::Scrape {
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text format")
}

fn sample_value(s: &prometheus_parse::Sample) -> f64 {
    match s.value {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => v,
        _ => 0.0,
    }
}

async fn metrics_are_scraped_with_their_token(backend: Backend) {
    const TOKEN: &str = "metrics-scrape-token-0123456789";
    let settings = ServerSettings { metrics_token: Some(TOKEN.into()), ..test_settings() };
    let w = world_with_guide(TestApp::spawn_with(backend, settings).await).await;
    let a = &w.org_a;
    let (_, chat) = w.learner.client.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    ask(&w.learner.client, chat["id"].as_str().unwrap(), "How does spaced repetition help retention?").await;

    // /metrics sits beside the API, not under /api/v1.
    let http = reqwest::Client::new();
    let metrics_url = w.app.url("/metrics");
    let scrape_with = |token: Option<&'static str>| {
        let mut request = http.get(&metrics_url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let resp = request.send().await.unwrap();
            let status = resp.status();
            let kind = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            (status, kind, resp.text().await.unwrap())
        }
    };
    for token in [None, Some("wrong")] {
        let (status, _, body) = scrape_with(token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"]["code"], "invalid_token");
    }
    let (status, kind, text) = scrape_with(Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(kind.starts_with("text/plain"), "{kind}");
    let scrape = families(&text);
    let names: std::collections::BTreeSet<&str> = scrape.samples.iter().map(|s| s.metric.as_str()).collect();
    for name in [
        "wayfinder_http_requests_total",
        "wayfinder_http_request_duration_seconds",
        "wayfinder_http_requests_in_flight",
        "wayfinder_coach_stage_seconds",
        "wayfinder_coach_answers_total",
        "wayfinder_model_tokens_total",
        "wayfinder_model_cost_total",
        "wayfinder_ingest_chunks_total",
        "wayfinder_ingest_documents_total",
        "wayfinder_ingest_job_seconds",
        "wayfinder_ingest_jobs_queued",
        "wayfinder_sessions_active",
        "wayfinder_db_pool_connections",
    ] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    // Requests are labelled by route pattern and status; answer stages by stage; latencies are histograms.
    let route = "/api/v1/conversations/:conversation_id/messages";
    let count_of = |scrape: &prometheus_parse::Scrape| -> f64 {
        scrape
            .samples
            .iter()
            .filter(|s| {
                s.metric == "wayfinder_http_requests_total"
                    && s.labels.get("route") == Some(route)
                    && s.labels.get("status") == Some("200")
            })
            .map(sample_value)
            .sum()
    };
    let before = count_of(&scrape);
    assert!(before >= 1.0, "{text}");
    let stages: std::collections::BTreeSet<&str> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "wayfinder_coach_stage_seconds")
        .filter_map(|s| s.labels.get("stage"))
        .collect();
    for stage in ["rewrite", "retrieval", "answer", "storage", "turn"] {
        assert!(stages.contains(stage), "{stage} in {stages:?}");
    }
    assert!(scrape.samples.iter().any(|s| s.metric == "wayfinder_http_request_duration_seconds"
        && matches!(s.value, prometheus_parse::Value::Histogram(_))));
    let sessions = scrape.samples.iter().find(|s| s.metric == "wayfinder_sessions_active").map(sample_value).unwrap();
    assert!(sessions >= 7.0, "the world's members are signed in: {sessions}");
    // Another question counts.
    let (_, chat) = w.learner.client.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    ask(&w.learner.client, chat["id"].as_str().unwrap(), "What does the Cornell method divide the page into?").await;
    let (_, _, again) = scrape_with(Some(TOKEN)).await;
    assert!(count_of(&families(&again)) >= before + 1.0);

    // Without a token configured, the main listener has no /metrics.
    let plain = TestApp::spawn(backend).await;
    let resp = http.get(plain.url("/metrics")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

async fn gaps_are_grouped_by_meaning_with_an_embedding_model(backend: Backend) {
    let dir: std::path::PathBuf = std::env::var("WAYFINDER_TEST_EMBEDDING_MODEL")
        .expect("this test needs WAYFINDER_TEST_EMBEDDING_MODEL; scripts/test fetches all-MiniLM-L6-v2 and sets it")
        .into();
    let model = std::sync::Arc::new(wayfinder_embeddings::LocalEmbedder::load(&dir).expect("model loads"));
    let app = TestApp::spawn_full(backend, crate::helpers::test_settings(), move |store| {
        wayfinder_knowledge::KnowledgeBase::new(store, Some(model), None, Default::default())
    })
    .await;
    let w = world_with_guide(app).await;
    let a = &w.org_a;
    let (_, chat) = w.learner.client.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    let chat = chat["id"].as_str().unwrap().to_string();
    let visa = [
        "How do I renew my student visa?",
        "What do I need to renew a student visa?",
        "When should I apply to extend my visa as a student?",
    ];
    let lasagna = [
        "What is a good recipe for lasagna?",
        "How do I make lasagna at home?",
        "Which vegetable lasagna recipe do you recommend?",
    ];
    for q in visa.iter().chain(lasagna.iter()) {
        let turn = ask(&w.learner.client, &chat, q).await;
        assert_eq!(turn["assistant_message"]["kind"], "refusal", "{q}: {turn}");
    }
    let (status, gaps) = w.admin.client.get(&format!("/orgs/{a}/insights/gaps")).await;
    assert_eq!(status, StatusCode::OK, "{gaps}");
    assert_eq!(gaps["grouped_by"], "meaning");
    let topics: Vec<std::collections::BTreeSet<String>> = gaps["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t["examples"].as_array().unwrap().iter().map(|e| e["question"].as_str().unwrap().to_string()).collect()
        })
        .collect();
    let expected: Vec<std::collections::BTreeSet<String>> =
        [visa, lasagna].iter().map(|qs| qs.iter().map(|q| q.to_string()).collect()).collect();
    assert_eq!(topics.len(), 2, "{gaps}");
    for group in &expected {
        assert!(topics.contains(group), "{group:?} in {topics:?}");
    }
    // The embeddings were kept (8-bit, one byte per dimension), so a second report groups alike
    // without embedding again.
    let store = wayfinder_store::Store::connect(&wayfinder_store::StoreOptions {
        url: w.app.database_url().into(),
        max_connections: 1,
    })
    .await
    .unwrap();
    let logged = store.logged_questions(a.parse().unwrap(), Utc::now() - Duration::hours(1), true, 100).await.unwrap();
    assert_eq!(logged.len(), 6);
    assert!(logged.iter().all(|q| q.vector.as_ref().is_some_and(|v| v.len() == 384)), "vectors kept");
    let (_, again) = w.admin.client.get(&format!("/orgs/{a}/insights/gaps")).await;
    assert_eq!(again["topics"], gaps["topics"]);
}

wayfinder_testing::on_both_backends!(
    gaps_are_grouped_by_meaning_with_an_embedding_model,
    dashboards_follow_what_people_did,
    gaps_alerts_teams_outcomes_and_exports,
    metrics_are_scraped_with_their_token
);
