//! Sequences of scheduled steps end to end: a coach writes one with a check-in
//! and two branches, learners are enrolled, steps go out on their channel as
//! they fall due (time injected), a check-in answered by replying "4" on
//! Telegram or through the API chooses the branch, a stopped enrolment gets
//! nothing more, and an unanswered check-in triggers a nudge.

use crate::{
    channels::{BOT_TOKEN, WEBHOOK_SECRET, link_telegram, spawn, telegram, update},
    coach::world_with_guide,
    helpers::*,
};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use wayfinder_channels::fake::FakePlatform;
use wayfinder_coach::Models;

fn step(key: &str, kind: &str, text: &str, delay_hours: i64, condition: Option<(&str, &str, i64)>) -> Value {
    json!({ "key": key, "kind": kind, "text": text, "delay_hours": delay_hours,
        "condition": condition.map(|(step, answer, value)| json!({ "step": step, "answer": answer, "value": value })) })
}

async fn sequences_send_steps_as_they_fall_due_and_branch_on_check_ins(backend: Backend) {
    let platform = FakePlatform::start().await;
    let w = world_with_guide(spawn(backend, &platform, Models::none()).await).await;
    let (app, a, admin) = (&w.app, &w.org_a, &w.admin.client);
    let setup = json!({ "bot_token": BOT_TOKEN, "webhook_secret": WEBHOOK_SECRET });
    assert_eq!(admin.put(&format!("/orgs/{a}/channels/telegram"), setup).await.0, StatusCode::OK);
    let (late, late_id) = app.invite(admin, a, "late@north.example", "learner").await;
    let people = [
        (&w.learner.client, w.learner.id.clone(), 92_001),
        (&w.other_learner.client, w.other_learner.id.clone(), 92_002),
        (&late, late_id.clone(), 92_003),
    ];
    // Quiet hours far from now, so every step goes when it falls due.
    let now = Utc::now();
    let quiet = |hours: i64| (now + Duration::hours(hours)).format("%H:%M").to_string();
    for (client, _, chat) in &people {
        link_telegram(app, &platform, client, a, *chat).await;
        let settings = json!({ "time_zone": "UTC", "quiet_start": quiet(12), "quiet_end": quiet(13) });
        assert_eq!(client.put(&format!("/orgs/{a}/reach-settings"), settings).await.0, StatusCode::OK);
    }
    let chat_of: HashMap<String, String> = people.iter().map(|(_, id, chat)| (id.clone(), chat.to_string())).collect();

    let steps = json!([
        step("hello", "message", "Welcome to the week, {name}!", 0, None),
        step("mood", "check_in", "How sure do you feel about note-taking, {name}?", 0, None),
        step("drill", "practice", "Ten minutes of practice on the Cornell method.", 1, Some(("mood", "at_least", 3))),
        step("rethink", "reflection", "What makes note-taking hard for you?", 0, Some(("mood", "below", 3))),
        step("done", "message", "That was the week. Well done, {name}.", 1, None),
    ]);
    let spec = json!({ "name": "Note-taking week", "description": "Five steps over a few hours.", "steps": steps });
    let url = format!("/orgs/{a}/sequences");
    // Learners do not write sequences; a condition must name an earlier check-in; keys are unique.
    let (status, body) = w.learner.client.post(&url, spec.clone()).await;
    assert_error((status, body), StatusCode::FORBIDDEN, "forbidden");
    let mut bad = spec.clone();
    bad["steps"][0]["condition"] = json!({ "step": "mood", "answer": "below", "value": 3 });
    let (status, body) = w.coach.client.post(&url, bad).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("steps[0].condition.step")),
        "{body}"
    );
    let mut bad = spec.clone();
    bad["steps"][4]["key"] = json!("hello");
    let (status, body) = w.coach.client.post(&url, bad).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("steps[4].key")),
        "{body}"
    );
    let (status, sequence) = w.coach.client.post(&url, spec).await;
    assert_eq!(status, StatusCode::CREATED, "{sequence}");
    let id = sequence["id"].as_str().unwrap().to_string();
    assert_eq!(sequence["steps"].as_array().unwrap().len(), 5);
    // Another organisation's admin does not see it.
    let (status, body) = w.admin_b.client.get(&format!("{url}/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // The coach enrols their learner; the other learners are the admin's to enrol.
    let enrolments = format!("{url}/{id}/enrolments");
    let (status, enrolled) = w.coach.client.post(&enrolments, json!({ "person_id": w.learner.id })).await;
    assert_eq!(status, StatusCode::CREATED, "{enrolled}");
    assert_eq!((enrolled["status"].as_str(), enrolled["next_step"].as_str()), (Some("active"), Some("hello")));
    let (status, _) = w.coach.client.post(&enrolments, json!({ "person_id": w.other_learner.id })).await;
    assert!(status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN, "{status}");
    for person in [&w.other_learner.id, &late_id] {
        let (status, body) = admin.post(&enrolments, json!({ "person_id": person })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = admin.post(&enrolments, json!({ "person_id": w.learner.id })).await;
    assert_error((status, body), StatusCode::CONFLICT, "conflict");

    // Steps fall due from here on.
    let now = Utc::now();
    let service = app.channels();
    let org: wayfinder_accounts_rules::OrgId = a.parse().unwrap();
    let names: HashMap<String, String> = {
        let (_, members) = admin.get(&format!("/orgs/{a}/members")).await;
        members
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let name = m["person"]["display_name"].as_str().unwrap();
                (m["person"]["id"].as_str().unwrap().to_string(), name.split_whitespace().next().unwrap().to_string())
            })
            .collect()
    };
    let sent = |rows: &[wayfinder_store::Outbound], key: &str| -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = rows
            .iter()
            .filter(|r| r.idempotency_key.starts_with("sequence:") && r.idempotency_key.ends_with(&format!(":{key}")))
            .map(|r| (r.destination.clone(), r.payload["text"].as_str().unwrap().to_string()))
            .collect();
        found.sort();
        found
    };

    // Now: the welcome and the check-in (no delay between them), to all three.
    let run = service.advance_sequences(org, now).await.unwrap();
    assert_eq!((run.sent, run.skipped, run.completed), (6, 0, 0), "{run:?}");
    let rows = app.store.outbound_of(org, 500).await.unwrap();
    let mut expected: Vec<(String, String)> =
        people.iter().map(|(_, id, chat)| (chat.to_string(), format!("Welcome to the week, {}!", names[id]))).collect();
    expected.sort();
    assert_eq!(sent(&rows, "hello"), expected);
    let mut expected: Vec<(String, String)> = people
        .iter()
        .map(|(_, id, chat)| {
            let question = format!("How sure do you feel about note-taking, {}?", names[id]);
            (chat.to_string(), format!("{question}\n\nReply with a number from 1 (low) to 5 (high)."))
        })
        .collect();
    expected.sort();
    assert_eq!(sent(&rows, "mood"), expected);
    assert_eq!(sent(&rows, "mood").len(), 3);
    // Nothing more is due for an hour.
    let run = service.advance_sequences(org, now + Duration::minutes(30)).await.unwrap();
    assert_eq!(run, Default::default());

    // The learner answers on Telegram; the other learner in the app; the late one not at all.
    let chat = chat_of[&w.learner.id].clone();
    platform.wait_until(WAIT, |all| all.iter().filter(|r| r.delivered && r.destination == chat).count() >= 3).await;
    let mut reply = update(9_200_177, "4");
    reply["message"]["chat"]["id"] = json!(92_001);
    assert_eq!(telegram(app, a, WEBHOOK_SECRET, &reply).await.0, StatusCode::OK);
    platform
        .wait_until(WAIT, |all| all.iter().any(|r| r.destination == chat && r.text == "Thanks, noted: 4 of 5."))
        .await;
    let (status, open) = w.other_learner.client.get(&format!("/orgs/{a}/check-ins")).await;
    assert_eq!(status, StatusCode::OK, "{open}");
    let open = open.as_array().unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    let question = format!("How sure do you feel about note-taking, {}?", names[&w.other_learner.id]);
    assert_eq!(
        (open[0]["question"].as_str(), open[0]["sequence_name"].as_str()),
        (Some(question.as_str()), Some("Note-taking week"))
    );
    let answer_url = format!("/orgs/{a}/check-ins/{}/answer", open[0]["id"].as_str().unwrap());
    let (status, body) = w.other_learner.client.put(&answer_url, json!({ "answer": 7 })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("answer")));
    let (status, body) = w.learner.client.put(&answer_url, json!({ "answer": 2 })).await;
    assert_error((status, body), StatusCode::NOT_FOUND, "not_found");
    assert_eq!(w.other_learner.client.put(&answer_url, json!({ "answer": 2 })).await.0, StatusCode::NO_CONTENT);
    let (status, body) = w.other_learner.client.put(&answer_url, json!({ "answer": 3 })).await;
    assert_error((status, body), StatusCode::CONFLICT, "conflict");
    let (_, open) = w.other_learner.client.get(&format!("/orgs/{a}/check-ins")).await;
    assert_eq!(open, json!([]));

    // An hour on: the branches. 4 → the practice prompt; 2 → the reflection; unanswered → neither.
    let later = now + Duration::minutes(61);
    let run = service.advance_sequences(org, later).await.unwrap();
    assert_eq!((run.sent, run.skipped), (2, 4), "{run:?}");
    let rows = app.store.outbound_of(org, 500).await.unwrap();
    let public_url = test_settings().public_url;
    let practice = format!("Ten minutes of practice on the Cornell method.\n\n{public_url}/learning");
    assert_eq!(sent(&rows, "drill"), vec![(chat_of[&w.learner.id].clone(), practice)]);
    assert_eq!(
        sent(&rows, "rethink"),
        vec![(chat_of[&w.other_learner.id].clone(), "What makes note-taking hard for you?".to_string())]
    );

    // The other learner is stopped (by the admin; not their coach's learner); the rest finish.
    let stop = format!("{enrolments}/{}", w.other_learner.id);
    assert_ne!(w.coach.client.delete(&stop).await.0, StatusCode::NO_CONTENT);
    assert_eq!(admin.delete(&stop).await.0, StatusCode::NO_CONTENT);
    let run = service.advance_sequences(org, later + Duration::minutes(61)).await.unwrap();
    assert_eq!((run.sent, run.completed), (2, 2), "{run:?}");
    let rows = app.store.outbound_of(org, 500).await.unwrap();
    let done: Vec<String> = sent(&rows, "done").into_iter().map(|(chat, _)| chat).collect();
    let mut expected = vec![chat_of[&w.learner.id].clone(), chat_of[&late_id].clone()];
    expected.sort();
    assert_eq!(done, expected);

    // Where each stands, as the coach (their learner only) and the admin (everyone) see it.
    let (_, coach_view) = w.coach.client.get(&enrolments).await;
    let coach_view = coach_view.as_array().unwrap();
    assert_eq!(coach_view.len(), 1);
    assert_eq!(coach_view[0]["person_id"], w.learner.id.as_str());
    let (_, all) = admin.get(&enrolments).await;
    let by_person: HashMap<&str, &Value> =
        all.as_array().unwrap().iter().map(|e| (e["person_id"].as_str().unwrap(), e)).collect();
    let outcomes = |person: &str| -> Vec<(String, String, Option<i64>)> {
        by_person[person]["taken"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (t["step_key"].as_str().unwrap().into(), t["outcome"].as_str().unwrap().into(), t["answer"].as_i64())
            })
            .collect()
    };
    let o = |key: &str, outcome: &str, answer: Option<i64>| (key.to_string(), outcome.to_string(), answer);
    assert_eq!(
        outcomes(&w.learner.id),
        vec![
            o("hello", "sent", None),
            o("mood", "sent", Some(4)),
            o("drill", "sent", None),
            o("rethink", "skipped", None),
            o("done", "sent", None)
        ]
    );
    assert_eq!(by_person[w.learner.id.as_str()]["status"], "completed");
    assert_eq!(by_person[w.learner.id.as_str()]["next_step"], Value::Null);
    assert_eq!(by_person[w.other_learner.id.as_str()]["status"], "stopped");
    assert_eq!(
        outcomes(&w.other_learner.id),
        vec![
            o("hello", "sent", None),
            o("mood", "sent", Some(2)),
            o("drill", "skipped", None),
            o("rethink", "sent", None)
        ]
    );

    // A day after the check-in, the one left unanswered triggers a nudge — to that learner only.
    let rule = json!({ "name": "Missed check-in", "trigger": "missed_check_in", "days": 1, "holdout_share": 0.0,
        "message": "{name}, a quick 1 to 5 on how note-taking goes?" });
    let (status, rule) = admin.post(&format!("/orgs/{a}/nudge-rules"), rule).await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let nudges = service.evaluate_nudges(org, now + Duration::days(2)).await.unwrap();
    assert_eq!(nudges.queued, 1, "{nudges:?}");
    let rows = app.store.outbound_of(org, 500).await.unwrap();
    let nudged: Vec<_> = rows
        .iter()
        .filter(|r| r.idempotency_key.starts_with(&format!("nudge:{}:", rule["id"].as_str().unwrap())))
        .collect();
    assert_eq!(nudged.len(), 1);
    assert_eq!(nudged[0].destination, chat_of[&late_id]);
    assert_eq!(nudged[0].payload["text"], format!("{}, a quick 1 to 5 on how note-taking goes?", names[&late_id]));

    // Deleting the sequence takes its enrolments with it.
    assert_eq!(w.coach.client.delete(&format!("{url}/{id}")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(admin.get(&enrolments).await.0, StatusCode::NOT_FOUND);
}

/// A weekly reflection as a program step: each interview step starts an interview on its flow for
/// the person when it falls due and links to it on their channel.
async fn an_interview_step_starts_the_flow_for_the_person_and_links_to_it(backend: Backend) {
    let platform = FakePlatform::start().await;
    let w = world_with_guide(spawn(backend, &platform, Models::none()).await).await;
    let (app, a, admin, coach) = (&w.app, &w.org_a, &w.admin.client, &w.coach.client);
    let setup = json!({ "bot_token": BOT_TOKEN, "webhook_secret": WEBHOOK_SECRET });
    assert_eq!(admin.put(&format!("/orgs/{a}/channels/telegram"), setup).await.0, StatusCode::OK);
    link_telegram(app, &platform, &w.learner.client, a, 93_001).await;
    let now = Utc::now();
    let quiet = |hours: i64| (now + Duration::hours(hours)).format("%H:%M").to_string();
    let settings = json!({ "time_zone": "UTC", "quiet_start": quiet(12), "quiet_end": quiet(13) });
    assert_eq!(w.learner.client.put(&format!("/orgs/{a}/reach-settings"), settings).await.0, StatusCode::OK);

    // The coach saves the weekly reflection template as a flow; another organisation has its own.
    let (_, templates) = coach.get(&format!("/orgs/{a}/interview-templates")).await;
    let reflection =
        templates.as_array().unwrap().iter().find(|t| t["purpose"] == "weekly_reflection").cloned().unwrap();
    let (status, flow) = coach.post(&format!("/orgs/{a}/interview-flows"), reflection.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{flow}");
    let flow_id = flow["id"].as_str().unwrap().to_string();
    let b = &w.org_b;
    let (status, foreign) = w.admin_b.client.post(&format!("/orgs/{b}/interview-flows"), reflection.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{foreign}");

    let interview_step = |key: &str, delay_hours: i64, flow: &str| {
        json!({ "key": key, "kind": "interview", "text": "Time for your weekly reflection, {name}.",
            "delay_hours": delay_hours, "flow_id": flow })
    };
    let url = format!("/orgs/{a}/sequences");
    let url = url.as_str();
    let refused = |steps: Value| {
        let spec = json!({ "name": "Weekly reflection", "steps": steps });
        async move { coach.post(url, spec).await }
    };
    // An interview step names a flow of the organisation; no other kind of step names one.
    for (steps, field) in [
        (json!([interview_step("week-1", 0, foreign["id"].as_str().unwrap())]), "steps[0].flow_id"),
        (json!([{ "key": "w", "kind": "interview", "text": "Reflect", "delay_hours": 0 }]), "steps[0].flow_id"),
        (
            json!([{ "key": "w", "kind": "message", "text": "Hi", "delay_hours": 0, "flow_id": flow_id }]),
            "steps[0].flow_id",
        ),
    ] {
        let (status, body) = refused(steps).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }
    let (status, _) = refused(json!([interview_step("week-1", 0, &flow_id)])).await;
    assert_eq!(status, StatusCode::CREATED);
    let weekly = json!({ "name": "Weekly reflection, twice",
        "steps": [interview_step("week-1", 0, &flow_id), interview_step("week-2", 168, &flow_id)] });
    let (status, sequence) = coach.post(url, weekly).await;
    assert_eq!(status, StatusCode::CREATED, "{sequence}");
    assert_eq!(sequence["steps"][1]["flow_id"], flow_id.as_str());
    let sequence_id = sequence["id"].as_str().unwrap();
    // A flow a sequence's step starts stays until the step changes.
    assert_error(coach.delete(&format!("/orgs/{a}/interview-flows/{flow_id}")).await, StatusCode::CONFLICT, "conflict");
    let enrol = json!({ "person_id": w.learner.id });
    assert_eq!(coach.post(&format!("{url}/{sequence_id}/enrolments"), enrol).await.0, StatusCode::CREATED);

    let (service, now) = (app.channels(), Utc::now());
    let org: wayfinder_accounts_rules::OrgId = a.parse().unwrap();
    let public_url = test_settings().public_url;
    let learner_interviews = || async { w.learner.client.get(&format!("/orgs/{a}/interviews")).await.1 };
    assert_eq!(learner_interviews().await, json!([]));

    // Now: the first reflection starts, and its link goes to the learner's Telegram chat.
    let run = service.advance_sequences(org, now).await.unwrap();
    assert_eq!((run.sent, run.skipped), (1, 0), "{run:?}");
    let started = learner_interviews().await;
    let started = started.as_array().unwrap();
    assert_eq!(started.len(), 1, "{started:?}");
    assert_eq!(
        (started[0]["flow_id"].as_str(), started[0]["status"].as_str()),
        (Some(flow_id.as_str()), Some("active"))
    );
    let interview_id = started[0]["id"].as_str().unwrap().to_string();
    let (_, members) = admin.get(&format!("/orgs/{a}/members")).await;
    let learner = members.as_array().unwrap().iter().find(|m| m["person"]["id"] == w.learner.id.as_str()).unwrap();
    let first_name = learner["person"]["display_name"].as_str().unwrap().split_whitespace().next().unwrap();
    let rows = app.store.outbound_of(org, 500).await.unwrap();
    let texts: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r.idempotency_key.starts_with("sequence:"))
        .map(|r| (r.destination.as_str(), r.payload["text"].as_str().unwrap()))
        .collect();
    let expected = format!("Time for your weekly reflection, {first_name}.\n\n{public_url}/interviews/{interview_id}");
    assert_eq!(texts, vec![("93001", expected.as_str())]);
    // The learner opens it and answers the flow's first question; the coach reads it.
    let interview_url = format!("/orgs/{a}/interviews/{interview_id}");
    let (status, opened) = w.learner.client.get(&interview_url).await;
    assert_eq!((status, opened["question"].clone()), (StatusCode::OK, reflection["steps"][0]["question"].clone()));
    let (status, answered) = w
        .learner
        .client
        .post(
            &format!("{interview_url}/answers"),
            json!({ "content": "I finished the first module and kept notes every day" }),
        )
        .await;
    assert_eq!(
        (status, answered["step"].clone()),
        (StatusCode::OK, reflection["steps"][1]["key"].clone()),
        "{answered}"
    );
    assert_eq!(coach.get(&interview_url).await.0, StatusCode::OK);

    // Nothing more until a week has passed; then the second reflection, a new interview.
    let run = service.advance_sequences(org, now + Duration::hours(167)).await.unwrap();
    assert_eq!(run, Default::default());
    let run = service.advance_sequences(org, now + Duration::hours(169)).await.unwrap();
    assert_eq!((run.sent, run.completed), (1, 1), "{run:?}");
    let after = learner_interviews().await;
    assert_eq!(after.as_array().unwrap().len(), 2, "{after}");
    let (_, enrolments) = coach.get(&format!("{url}/{sequence_id}/enrolments")).await;
    let taken: Vec<(&str, &str, &str)> = enrolments[0]["taken"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["step_key"].as_str().unwrap(), t["kind"].as_str().unwrap(), t["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(taken, vec![("week-1", "interview", "sent"), ("week-2", "interview", "sent")]);
}

const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

wayfinder_testing::on_both_backends!(
    sequences_send_steps_as_they_fall_due_and_branch_on_check_ins,
    an_interview_step_starts_the_flow_for_the_person_and_links_to_it
);
