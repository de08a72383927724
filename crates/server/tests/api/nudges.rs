//! Nudge triggers beyond inactivity: a review overdue, mastery falling, a goal's
//! deadline approaching — and alerts about a learner to their coach and parent,
//! through the same outbox, each on their own channel.

use crate::{
    channels::{BOT_TOKEN, WEBHOOK_SECRET, link_telegram, spawn},
    coach::world_with_guide,
    helpers::*,
    learning::published_program,
};
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashMap;
use wayfinder_channels::fake::FakePlatform;
use wayfinder_coach::Models;

async fn triggers_find_due_reviews_falling_mastery_and_goal_deadlines_and_alert_supervisors(backend: Backend) {
    let platform = FakePlatform::start().await;
    let w = world_with_guide(spawn(backend, &platform, Models::none()).await).await;
    let (app, a, admin) = (&w.app, &w.org_a, &w.admin.client);
    let setup = json!({ "bot_token": BOT_TOKEN, "webhook_secret": WEBHOOK_SECRET });
    assert_eq!(admin.put(&format!("/orgs/{a}/channels/telegram"), setup).await.0, StatusCode::OK);
    // The learner, the other learner, and the learner's coach and parent, each on a chat.
    let chats = [(&w.learner, 91_001), (&w.other_learner, 91_002), (&w.coach, 91_003), (&w.parent, 91_004)];
    for (member, chat) in chats {
        link_telegram(app, &platform, &member.client, a, chat).await;
    }
    let chat_of: HashMap<String, String> = chats.iter().map(|(m, c)| (m.id.clone(), c.to_string())).collect();
    let (program, ids) = published_program(admin, a, "Nudged steps").await;
    for learner in [&w.learner.id, &w.other_learner.id] {
        let (status, _) =
            admin.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner })).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let now = Utc::now();
    // Each evidence's reported standing: mastery per (learner, concept) over time, and review dues.
    let mut mastery: HashMap<(String, String), f64> = HashMap::new();
    let mut fell_by: HashMap<String, f64> = HashMap::new();
    let mut due: HashMap<(String, String), Option<DateTime<Utc>>> = HashMap::new();
    let mut record = async |learner: &str, concept: &str, correct: bool, at: DateTime<Utc>, key: String| {
        let (status, standing) = admin
            .post(
                &format!("/orgs/{a}/learners/{learner}/evidence"),
                json!({ "concept_id": ids[concept], "kind": "graded_answer", "correct": correct,
                        "occurred_at": at, "idempotency_key": key }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{standing}");
        let after = standing["mastery"].as_f64().unwrap();
        let before = mastery.insert((learner.to_string(), concept.to_string()), after).unwrap_or(0.0);
        if at > now - Duration::days(3) {
            *fell_by.entry(learner.to_string()).or_default() += before - after;
        }
        due.insert(
            (learner.to_string(), concept.to_string()),
            standing["review_due"].as_str().map(|d| d.parse().unwrap()),
        );
        standing
    };
    // The learner: three right answers three weeks ago, then four wrong ones today.
    for i in 0..3 {
        record(&w.learner.id, "c01", true, now - Duration::days(21) + Duration::minutes(i), format!("l-right-{i}"))
            .await;
    }
    for i in 0..4 {
        record(&w.learner.id, "c01", false, now - Duration::minutes(10 - i), format!("l-wrong-{i}")).await;
    }
    // The other learner masters c02 ten days ago (its first review fell due since), minute by minute.
    for i in 0..15 {
        let standing =
            record(&w.other_learner.id, "c02", true, now - Duration::days(10) + Duration::minutes(i), format!("o-{i}"))
                .await;
        if !standing["review_due"].is_null() {
            break;
        }
    }
    // Goals: the other learner's c03 is due in two days, their mastered c02 tomorrow, and the
    // learner's c04 in forty days.
    let goals = [(&w.other_learner.id, "c03", 2), (&w.other_learner.id, "c02", 1), (&w.learner.id, "c04", 40)];
    let today = now.date_naive();
    for (learner, concept, days) in goals {
        let body = json!({ "kind": "concept", "concept_id": ids[concept],
            "deadline": (today + Duration::days(days)).to_string() });
        let (status, goal) = admin.post(&format!("/orgs/{a}/learners/{learner}/goals"), body).await;
        assert_eq!(status, StatusCode::CREATED, "{goal}");
        assert_eq!(goal["deadline"], (today + Duration::days(days)).to_string());
    }
    // Who each rule must find, from the standings the API reported.
    let fallen: Vec<&String> = fell_by.iter().filter(|(_, fell)| **fell > 0.1).map(|(p, _)| p).collect();
    assert_eq!(fallen, vec![&w.learner.id], "the test needs the learner's mastery to fall: {fell_by:?}");
    let overdue: Vec<&String> = [&w.learner.id, &w.other_learner.id]
        .into_iter()
        .filter(|p| due.iter().any(|((q, _), d)| q == *p && d.is_some_and(|d| d <= now - Duration::days(1))))
        .collect();
    assert!(overdue.contains(&&w.other_learner.id), "the test needs an overdue review: {due:?}");
    let mastered_c02 = due[&(w.other_learner.id.clone(), "c02".to_string())].is_some();
    assert!(mastered_c02, "c02 must be mastered for its goal to be met");

    // An alert needs its own message.
    let rule = |name: &str, trigger: &str, days: i64, audience: &str, alert: Option<&str>| {
        json!({ "name": name, "trigger": trigger, "days": days, "holdout_share": 0.0, "audience": audience,
            "message": format!("{name}, {{name}}: {{days}} days."), "alert_message": alert })
    };
    let (status, body) = admin.post(&format!("/orgs/{a}/nudge-rules"), rule("x", "review_due", 1, "both", None)).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("alert_message")));
    let mut rule_ids = HashMap::new();
    for (name, trigger, days, audience, alert) in [
        ("Review", "review_due", 1, "learner", None),
        ("Falling", "mastery_falling", 3, "both", Some("{learner} is losing ground ({days} days).")),
        ("Deadline", "goal_deadline", 3, "supervisors", Some("{learner} has a goal due within {days} days.")),
    ] {
        let (status, created) =
            admin.post(&format!("/orgs/{a}/nudge-rules"), rule(name, trigger, days, audience, alert)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["audience"], audience);
        rule_ids.insert(name, created["id"].as_str().unwrap().to_string());
    }

    let service = app.channels();
    let org: wayfinder_accounts_rules::OrgId = a.parse().unwrap();
    let run = service.evaluate_nudges(org, now).await.unwrap();
    let rows = app.store.outbound_of(org, 200).await.unwrap();
    let sent = |rule: &str| -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = rows
            .iter()
            .filter(|r| r.idempotency_key.starts_with(&format!("nudge:{}:", rule_ids[rule])))
            .map(|r| (r.destination.clone(), r.payload["text"].as_str().unwrap().to_string()))
            .collect();
        found.sort();
        found
    };
    let first = async |member: &Member| {
        let (_, me) = member.client.get("/me").await;
        me["person"]["display_name"].as_str().unwrap().to_string()
    };
    let (learner_name, other_name) = (first(&w.learner).await, first(&w.other_learner).await);
    let first_name = |full: &str| full.split_whitespace().next().unwrap().to_string();

    // Reviews overdue by a day: the learners the standings say, on their own chats.
    let mut expected: Vec<(String, String)> = overdue
        .iter()
        .map(|p| {
            let name = if *p == &w.learner.id { &learner_name } else { &other_name };
            (chat_of[*p].clone(), format!("Review, {}: 1 days.", first_name(name)))
        })
        .collect();
    expected.sort();
    assert_eq!(sent("Review"), expected);
    // Falling mastery: the learner is nudged and their coach and parent alerted.
    let mut expected = vec![
        (chat_of[&w.learner.id].clone(), format!("Falling, {}: 3 days.", first_name(&learner_name))),
        (chat_of[&w.coach.id].clone(), format!("{learner_name} is losing ground (3 days).")),
        (chat_of[&w.parent.id].clone(), format!("{learner_name} is losing ground (3 days).")),
    ];
    expected.sort();
    assert_eq!(sent("Falling"), expected);
    // The goal due in two days and not yet mastered, to the other learner's supervisors only
    // (they have none): nothing queued, the decision says so.
    assert!(sent("Deadline").is_empty(), "{:?}", sent("Deadline"));
    let (_, effect) = admin.get(&format!("/orgs/{a}/nudge-rules/{}/effect", rule_ids["Deadline"])).await;
    assert_eq!(effect["decisions"]["no_channel"], 1, "{effect}");
    assert_eq!(run.alerts, 2, "{run:?}");
    // The reviews, and the falling learner (the deadline found no one to alert).
    assert_eq!(run.queued, overdue.len() + 1, "{run:?}");

    // The coach now supervises the other learner too: their goal alert goes out on the next
    // episode only — this one is decided.
    let (status, _) = admin
        .post(
            &format!("/orgs/{a}/relationships"),
            json!({ "kind": "coach_learner", "from_person": w.coach.id, "to_person": w.other_learner.id }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let again = service.evaluate_nudges(org, now + Duration::minutes(5)).await.unwrap();
    assert_eq!((again.queued, again.alerts), (0, 0), "{again:?}");
    let body =
        json!({ "kind": "concept", "concept_id": ids["c05"], "deadline": (today + Duration::days(2)).to_string() });
    let (status, _) = admin.post(&format!("/orgs/{a}/learners/{}/goals", w.other_learner.id), body).await;
    assert_eq!(status, StatusCode::CREATED);
    let third = service.evaluate_nudges(org, now + Duration::minutes(10)).await.unwrap();
    assert_eq!((third.queued, third.alerts), (1, 1), "{third:?}");
    let rows = app.store.outbound_of(org, 200).await.unwrap();
    let deadline: Vec<_> =
        rows.iter().filter(|r| r.idempotency_key.starts_with(&format!("nudge:{}:", rule_ids["Deadline"]))).collect();
    assert_eq!(deadline.len(), 1);
    assert_eq!(deadline[0].destination, chat_of[&w.coach.id]);
    assert_eq!(deadline[0].payload["text"], format!("{other_name} has a goal due within 3 days."));
}

wayfinder_testing::on_both_backends!(
    triggers_find_due_reviews_falling_mastery_and_goal_deadlines_and_alert_supervisors
);
