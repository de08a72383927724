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

/// The local date of an instant in New York.
fn ny_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&New_York).date_naive()
}

fn date(v: &Value) -> NaiveDate {
    v.as_str().unwrap().parse().unwrap()
}

async fn ask(client: &Client, conversation: &str, question: &str) -> Value {
    let (status, turn) = client.post(&format!("/conversations/{conversation}/messages"), json!({ "content": question })).await;
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
    assert_error(admin.put(&settings, json!({ "time_zone": "Mars/Olympus" })).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    assert_eq!(admin.get(&settings).await.1["time_zone"], "UTC");
    assert_error(w.coach.client.put(&settings, json!({ "time_zone": "America/New_York" })).await, StatusCode::FORBIDDEN, "forbidden");
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
    let (status, _) = admin.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner })).await;
    assert_eq!(status, StatusCode::CREATED);
    let now = Utc::now();
    let records = [(ids["c01"].clone(), true, now - Duration::days(3)), (ids["c02"].clone(), false, now - Duration::days(1)), (ids["c01"].clone(), true, now)];
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
    assert_eq!(overview["programs"], json!([{ "program_id": program, "title": "Fifteen steps", "status": "published", "enrolled": 1 }]));
    assert_eq!(overview["knowledge"]["documents"], 1);
    assert_eq!(overview["knowledge"]["collections"], 1);

    // The learner's own dashboard.
    let dashboard_url = format!("/orgs/{a}/insights/learners/{learner}");
    let (status, mine) = w.learner.client.get(&dashboard_url).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["streak"], json!({ "current": 1, "longest": 1 }));
    let activity = mine["activity"].as_array().unwrap();
    assert_eq!(activity.len(), 30);
    let last = activity.last().unwrap();
    assert_eq!((date(&last["date"]), last["questions"].as_i64()), (today, Some(3)));
    assert_eq!(last["active"], true);
    let timeline: BTreeMap<NaiveDate, f64> =
        mine["mastery_timeline"].as_array().unwrap().iter().map(|p| (date(&p["date"]), p["mastery"].as_f64().unwrap())).collect();
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
    assert_error(w.admin_b.client.get(&format!("/orgs/{a}/insights/overview")).await, StatusCode::NOT_FOUND, "not_found");
    for not_admin in [&w.coach.client, &w.manager.client, &w.parent.client, &w.learner.client] {
        assert_error(not_admin.get(&format!("/orgs/{a}/insights/overview")).await, StatusCode::FORBIDDEN, "forbidden");
    }
    assert_error(admin.get(&format!("/orgs/{a}/insights/overview?days=0")).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");

    // The coach's glance at their learners.
    let glance_url = format!("/orgs/{a}/insights/learners");
    let (status, glance) = w.coach.client.get(&glance_url).await;
    assert_eq!(status, StatusCode::OK, "{glance}");
    assert_eq!(glance["total"], 1);
    let row = &glance["learners"][0];
    assert_eq!(row["person_id"], learner.as_str());
    assert_eq!(date(&row["last_active"]), today);
    assert_eq!((row["questions_7d"].as_i64(), row["answers_7d"].as_i64(), row["wrong_7d"].as_i64()), (Some(3), Some(3), Some(1)));
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
    assert_error(w.coach.client.get(&format!("{glance_url}?coach={}", w.coach.id)).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(admin.get(&format!("{glance_url}?limit=0")).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");

    // A parent sees progress but not what the learner asked, and not their conversations,
    // until both the organisation and the learner allow it.
    let conversation = format!("/conversations/{chat}");
    let (_, as_parent) = w.parent.client.get(&glance_url).await;
    assert_eq!((as_parent["total"].as_i64(), as_parent["topics_visible"].as_bool()), (Some(1), Some(false)));
    assert_eq!(as_parent["learners"][0]["topics"], json!([]));
    assert_error(w.parent.client.get(&conversation).await, StatusCode::NOT_FOUND, "not_found");
    admin.put(&settings, json!({ "parents_may_read_conversations": true })).await;
    assert_eq!(w.parent.client.get(&glance_url).await.1["learners"][0]["topics"], json!([]));
    assert_error(w.parent.client.get(&conversation).await, StatusCode::NOT_FOUND, "not_found");
    let (status, shared) = w.learner.client.put(&format!("/orgs/{a}/conversation-sharing"), json!({ "share_with_parents": true })).await;
    assert_eq!((status, shared), (StatusCode::OK, json!({ "share_with_parents": true })));
    assert_eq!(w.parent.client.get(&glance_url).await.1["learners"][0]["topics"], row["topics"]);
    assert_eq!(w.parent.client.get(&conversation).await.0, StatusCode::OK);
    // Reading is not writing.
    assert_error(w.parent.client.post(&format!("{conversation}/messages"), json!({ "content": "hi" })).await, StatusCode::FORBIDDEN, "forbidden");
    admin.put(&settings, json!({ "parents_may_read_conversations": false })).await;
    assert_error(w.parent.client.get(&conversation).await, StatusCode::NOT_FOUND, "not_found");
}

wayfinder_testing::on_both_backends!(dashboards_follow_what_people_did);
