//! Coach provisioning over HTTP: an administrator brings in a coach with a
//! training program and a manager; the coach accepts, completes a profile and
//! takes the intake; the scores per domain and the training path follow from
//! what the simulated coach knows; the manager sees the result; bad input and
//! strangers change nothing.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The training program: three domains of ten concepts, each a chain (every concept requires
/// the one before it in its domain), tagged with its domain (tags are stored in lower case).
const DOMAINS: [&str; 3] = ["Listening", "Questioning", "Feedback"];
const PER_DOMAIN: usize = 10;

fn training_program() -> Value {
    let mut concepts = Vec::new();
    for domain in DOMAINS {
        for i in 0..PER_DOMAIN {
            let requires: Vec<String> = if i > 0 { vec![format!("{domain}{}", i - 1)] } else { Vec::new() };
            concepts.push(json!({
                "key": format!("{domain}{i}"), "name": format!("{domain} {i}"), "tags": [domain],
                "estimated_minutes": 15, "requires": requires,
            }));
        }
    }
    json!({ "title": "Coach training", "concepts": concepts })
}

/// What the simulated coach knows: all of listening, the first three steps of questioning,
/// nothing of feedback.
fn knows(name: &str) -> bool {
    let (domain, step) = name.rsplit_once(' ').unwrap();
    let step: usize = step.parse().unwrap();
    match domain {
        "Listening" => true,
        "Questioning" => step < 3,
        _ => false,
    }
}

async fn a_coach_is_provisioned_profiled_placed_and_trained(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    let admin = &w.admin.client;
    let (status, detail) = admin.post(&format!("/orgs/{a}/programs/import"), training_program()).await;
    assert_eq!(status, StatusCode::CREATED, "{detail}");
    let program = detail["program"]["id"].as_str().unwrap().to_string();
    let provisions = format!("/orgs/{a}/coach-provisions");
    let body = |email: &str, manager: &str| json!({ "email": email, "program_id": program, "manager_id": manager });

    // A draft program trains nobody; nothing is written, not even the invitation.
    let before = w.app.row_counts().await;
    let refused = admin.post(&provisions, body("new.coach@north.example", &w.manager.id)).await;
    assert_eq!(refused.1["error"]["message"], "the training program is not published", "{}", refused.1);
    assert_error(refused, StatusCode::CONFLICT, "conflict");
    assert_eq!(w.app.row_counts().await, before);
    let (status, _) = admin.post(&format!("/orgs/{a}/programs/{program}/publish"), json!({})).await;
    assert_eq!(status, StatusCode::OK);

    // One cloze question per concept, answerable only by who knows it.
    let mut names: HashMap<String, String> = HashMap::new();
    for concept in detail["concepts"].as_array().unwrap() {
        let (id, name) = (concept["id"].as_str().unwrap(), concept["name"].as_str().unwrap());
        let question = json!({ "kind": "cloze", "text": format!("{name} is about _____."), "answers": [format!("{name} idea").replace(' ', "")] });
        let (status, q) =
            admin.post(&format!("/orgs/{a}/questions"), json!({ "concepts": [id], "body": question })).await;
        assert_eq!(status, StatusCode::CREATED, "{q}");
        names.insert(id.to_string(), name.to_string());
    }

    // Bad requests change nothing.
    let before = w.app.row_counts().await;
    assert_error(
        admin.post(&provisions, body("x@north.example", &w.learner.id)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert_error(
        admin.post(&provisions, body("not an address", &w.manager.id)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert_error(
        admin.post(&provisions, body("coach@north.example", &w.manager.id)).await,
        StatusCode::CONFLICT,
        "already_member",
    );
    let unknown = json!({ "email": "y@north.example", "program_id": "01890000-0000-7000-8000-000000000000" });
    assert_error(admin.post(&provisions, unknown).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        w.coach.client.post(&provisions, body("z@north.example", &w.manager.id)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        w.manager.client.post(&provisions, body("z@north.example", &w.manager.id)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(w.app.row_counts().await, before, "refused provisionings wrote nothing");

    // The administrator provisions a coach; the manager sees them invited.
    let (status, created) = admin.post(&provisions, body("New.Coach@north.example", &w.manager.id)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let provision = created["provision"]["id"].as_str().unwrap().to_string();
    let one = format!("{provisions}/{provision}");
    assert_eq!(created["provision"]["stage"], "invited");
    assert_eq!(created["provision"]["email"], "new.coach@north.example");
    assert_eq!(created["invitation"]["invitation"]["role"], "coach");
    let (_, listed) = w.manager.client.get(&provisions).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["manager_id"], w.manager.id.as_str());
    assert!(listed[0]["manager_name"].is_string(), "{listed}");

    // Accepting enrols the coach, sets the program as their goal and puts them under the manager.
    let mut coach = w.app.client();
    let (status, accepted) = coach
        .post(
            "/invitations/accept",
            json!({ "token": created["invitation"]["token"], "password": PASSWORD, "display_name": "Nia New" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    coach.csrf = Some(accepted["csrf_token"].as_str().unwrap().to_string());
    let me = accepted["person"]["id"].as_str().unwrap().to_string();
    let (_, view) = coach.get(&one).await;
    assert_eq!(view["stage"], "profile", "{view}");
    assert_eq!(view["coach_id"], me.as_str());
    assert_eq!(view["training"]["concepts"], 30);
    let (_, enrolments) = coach.get(&format!("/orgs/{a}/learners/{me}/enrolments")).await;
    assert_eq!(enrolments[0]["program_id"], program.as_str(), "{enrolments}");
    let (_, goals) = coach.get(&format!("/orgs/{a}/learners/{me}/goals")).await;
    let goals = goals.as_array().unwrap();
    assert_eq!(goals.len(), 1);
    let goal = goals[0]["id"].as_str().unwrap().to_string();
    assert_eq!(goals[0]["title"], "Coach training");
    let (_, relationships) = admin.get(&format!("/orgs/{a}/relationships")).await;
    let managed = relationships.as_array().unwrap().iter().any(|r| {
        r["kind"] == "manager_coach" && r["from_person"] == w.manager.id.as_str() && r["to_person"] == me.as_str()
    });
    assert!(managed, "{relationships}");

    // The profile: only the coach completes it, and only a valid one.
    let profile =
        json!({ "experience_years": 3, "subjects": ["Study skills", " Time  management "], "goals": "Run a cohort." });
    let before = w.app.row_counts().await;
    assert_error(admin.put(&format!("{one}/profile"), profile.clone()).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(
        w.manager.client.put(&format!("{one}/profile"), profile.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        w.learner.client.put(&format!("{one}/profile"), profile.clone()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let bad = json!({ "experience_years": 3, "subjects": [] });
    assert_error(coach.put(&format!("{one}/profile"), bad).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    let bad = json!({ "experience_years": 3, "subjects": ["a"], "mood": "fine" });
    assert_error(coach.put(&format!("{one}/profile"), bad).await, StatusCode::UNPROCESSABLE_ENTITY, "unknown_field");
    assert_eq!(w.app.row_counts().await, before);
    let (_, unchanged) = coach.get(&one).await;
    assert!(unchanged["profile"].is_null());
    let (status, view) = coach.put(&format!("{one}/profile"), profile).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["stage"], "intake");
    assert_eq!(view["profile"]["subjects"], json!(["Study skills", "Time management"]));

    // The intake is the program's placement; the coach answers what they know.
    let start = format!("/orgs/{a}/learners/{me}/practice-sessions");
    let target = json!({ "target": { "kind": "placement", "program_id": program } });
    let (status, session) = coach.post(&start, target).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let sid = session["id"].as_str().unwrap().to_string();
    let (_, midway) = w.manager.client.get(&one).await;
    assert_eq!(midway["stage"], "intake");
    assert_eq!(midway["intake"]["status"], "active");
    let mut current = session["current"].clone();
    let mut asked: Vec<String> = Vec::new();
    while !current.is_null() {
        let name = &names[current["concept"]["id"].as_str().unwrap()];
        asked.push(name.clone());
        let text = if knows(name) { format!("{name} idea").replace(' ', "") } else { "no idea".to_string() };
        let (status, outcome) = coach
            .post(
                &format!("/orgs/{a}/practice-sessions/{sid}/answers"),
                json!({ "question_id": current["id"], "answer": { "kind": "text", "text": text } }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{outcome}");
        current = outcome["session"]["current"].clone();
    }
    assert!(asked.len() <= 15, "{asked:?}");

    // The manager sees the result: a score per domain that follows what the coach knows, and a
    // training path that skips it.
    let (status, result) = w.manager.client.get(&one).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["stage"], "training", "{result}");
    assert_eq!(result["intake"]["status"], "completed");
    let scores: HashMap<&str, (f64, u64)> = result["domain_scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["concepts"], PER_DOMAIN);
            (d["domain"].as_str().unwrap(), (d["score"].as_f64().unwrap(), d["known"].as_u64().unwrap()))
        })
        .collect();
    eprintln!("intake: {} questions ({asked:?}); scores {scores:?}", asked.len());
    assert_eq!(scores.len(), 3, "{result}");
    let (listening, questioning, feedback) = (scores["listening"], scores["questioning"], scores["feedback"]);
    assert!(listening.0 >= 80.0 && listening.1 >= 8, "{listening:?}");
    assert!(feedback.0 <= 20.0 && feedback.1 <= 1, "none known, give or take the intake's error: {feedback:?}");
    assert!(listening.0 > questioning.0 && questioning.0 > feedback.0, "{scores:?}");
    assert!(questioning.1.abs_diff(3) <= 1, "three known, give or take the intake's error: {questioning:?}");
    let start_with: Vec<&str> =
        result["intake"]["start_with"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    // Where the coach's knowledge ends, give or take the intake's error of a step.
    let questioning_start = start_with.iter().any(|c| ["Questioning 2", "Questioning 3", "Questioning 4"].contains(c));
    let feedback_start = start_with.iter().any(|c| ["Feedback 0", "Feedback 1"].contains(c));
    assert!(questioning_start && feedback_start, "{start_with:?}");
    let (status, path) = w.manager.client.get(&format!("/orgs/{a}/learners/{me}/goals/{goal}/path")).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    let steps: Vec<&str> =
        path["steps"].as_array().unwrap().iter().map(|s| s["concept"]["name"].as_str().unwrap()).collect();
    // What the intake settled as known, asked or not, is demonstrated, so off the path: the path
    // is what the coach does not know, but for the intake's own errors (about one concept in
    // twenty, as `wayfinder eval placement` measures).
    let known_left: Vec<&&str> = steps.iter().filter(|s| knows(s)).collect();
    let unknown_skipped: Vec<&String> = names.values().filter(|n| !knows(n) && !steps.contains(&n.as_str())).collect();
    assert!(
        known_left.len() + unknown_skipped.len() <= 2,
        "known on the path {known_left:?}, unknown off it {unknown_skipped:?} (asked {asked:?})"
    );
    assert!(steps.contains(&"Feedback 9") && steps.contains(&"Questioning 9"), "{steps:?}");
    assert_eq!(result["training"]["remaining"].as_u64().unwrap() as usize, steps.len(), "{result}");

    // Who else sees it: the coach themself, administrators; not another coach, a learner or
    // another organisation.
    let (_, own) = coach.get(&provisions).await;
    assert_eq!(own.as_array().unwrap().len(), 1);
    let (_, all) = admin.get(&provisions).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    let (_, none) = w.learner.client.get(&provisions).await;
    assert_eq!(none, json!([]));
    let (_, none) = w.coach.client.get(&provisions).await;
    assert_eq!(none, json!([]));
    assert_error(w.coach.client.get(&one).await, StatusCode::NOT_FOUND, "not_found");
    let b = &w.org_b;
    assert_error(
        w.admin_b.client.get(&format!("/orgs/{b}/coach-provisions/{provision}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(w.admin_b.client.get(&one).await, StatusCode::NOT_FOUND, "not_found");
}

/// Answers an interview's questions in turn; the interview as the last answer left it.
async fn answer_all(client: &Client, org: &str, interview: &str, answers: &[&str]) -> Value {
    let mut last = Value::Null;
    for answer in answers {
        let (status, body) =
            client.post(&format!("/orgs/{org}/interviews/{interview}/answers"), json!({ "content": answer })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        last = body;
    }
    last
}

async fn the_intake_interview_comes_first_and_its_self_rating_decides_where_training_starts(backend: Backend) {
    let w = World::build(backend).await;
    let (a, admin) = (&w.org_a, &w.admin.client);
    let (status, detail) = admin.post(&format!("/orgs/{a}/programs/import"), training_program()).await;
    assert_eq!(status, StatusCode::CREATED, "{detail}");
    let program = detail["program"]["id"].as_str().unwrap().to_string();
    let (status, _) = admin.post(&format!("/orgs/{a}/programs/{program}/publish"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, templates) = admin.get(&format!("/orgs/{a}/interview-templates")).await;
    let template = |purpose: &str| templates.as_array().unwrap().iter().find(|t| t["purpose"] == purpose).cloned();
    let flows = format!("/orgs/{a}/interview-flows");
    let (_, intake) = admin.post(&flows, template("coach_intake").unwrap()).await;
    let intake_flow = intake["id"].as_str().unwrap().to_string();
    let (_, discovery) = admin.post(&flows, template("interest_discovery").unwrap()).await;
    let (_, foreign) =
        w.admin_b.client.post(&format!("/orgs/{}/interview-flows", w.org_b), template("coach_intake").unwrap()).await;

    // The intake flow is one of the organisation's coach-intake flows; a refusal writes nothing.
    let provisions = format!("/orgs/{a}/coach-provisions");
    let body = |email: &str, flow: &Value| json!({ "email": email, "program_id": program, "intake_flow_id": flow });
    let before = w.app.row_counts().await;
    for flow in [&discovery["id"], &foreign["id"], &json!("01890000-0000-7000-8000-000000000000")] {
        let (status, refused) = admin.post(&provisions, body("x@north.example", flow)).await;
        assert_eq!(
            (status, refused["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("intake_flow_id")),
            "{refused}"
        );
    }
    assert_eq!(w.app.row_counts().await, before);

    // Two coaches: one will say they are just starting, the other that they know a lot.
    let mut coaches = Vec::new();
    for (email, name) in [("bea@north.example", "Bea Beginner"), ("eli@north.example", "Eli Expert")] {
        let (status, created) = admin.post(&provisions, body(email, &json!(intake_flow))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["provision"]["intake_interview"], Value::Null, "not before the coach accepts");
        let one = format!("{provisions}/{}", created["provision"]["id"].as_str().unwrap());
        let mut coach = w.app.client();
        let accept = json!({ "token": created["invitation"]["token"], "password": PASSWORD, "display_name": name });
        let (status, accepted) = coach.post("/invitations/accept", accept).await;
        assert_eq!(status, StatusCode::OK, "{accepted}");
        coach.csrf = Some(accepted["csrf_token"].as_str().unwrap().to_string());
        coaches.push((coach, one, accepted["person"]["id"].as_str().unwrap().to_string()));
    }
    // The flow a provisioning runs stays.
    assert_error(admin.delete(&format!("{flows}/{intake_flow}")).await, StatusCode::CONFLICT, "conflict");

    let profile = json!({ "experience_years": 1, "subjects": ["Study skills"], "goals": "" });
    let mut interviews = Vec::new();
    for (coach, one, me) in &coaches {
        // Accepting started the interview, sent by the administrator; the coach finds it with their own.
        let (_, view) = coach.get(one).await;
        assert_eq!(
            (view["stage"].as_str(), view["intake_interview"]["status"].as_str()),
            (Some("profile"), Some("active")),
            "{view}"
        );
        assert_eq!(view["intake_interview"]["flow_id"], intake_flow.as_str());
        let interview = view["intake_interview"]["interview_id"].as_str().unwrap().to_string();
        let (status, opened) = coach.get(&format!("/orgs/{a}/interviews/{interview}")).await;
        assert_eq!(status, StatusCode::OK, "{opened}");
        assert_eq!(
            (opened["person_id"].as_str(), opened["started_by"].as_str()),
            (Some(me.as_str()), Some(w.admin.id.as_str())),
            "{opened}"
        );
        // With the profile done, the interview is what the intake waits for (and is not started twice).
        let (status, view) = coach.put(&format!("{one}/profile"), profile.clone()).await;
        assert_eq!((status, view["stage"].as_str()), (StatusCode::OK, Some("intake")), "{view}");
        let (_, own) = coach.get(&format!("/orgs/{a}/interviews")).await;
        assert_eq!(own.as_array().unwrap().len(), 1, "{own}");
        interviews.push(interview);
    }

    // The beginner rates themself 2: their training starts at the beginning, no placement needed.
    let (bea, bea_view, _) = &coaches[0];
    let done = answer_all(
        bea,
        a,
        &interviews[0],
        &[
            "I want to help new students settle into their first term",
            "2",
            "About three hours a week",
            "Doing exercises and talking it through",
            "Not having enough time with each student",
        ],
    )
    .await;
    assert_eq!(done["status"], "completed", "{done}");
    let (_, view) = w.admin.client.get(bea_view).await;
    assert_eq!(view["stage"], "training", "{view}");
    assert_eq!(view["intake"], Value::Null, "no placement");
    let started = &view["intake_interview"];
    assert_eq!(
        (started["status"].as_str(), started["self_rating"].as_i64(), started["starting_point"].as_str()),
        (Some("completed"), Some(2), Some("beginning")),
        "{started}"
    );
    // Each domain is a chain: the path starts at its first concept.
    let start_with: Vec<&str> =
        started["start_with"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    let firsts: Vec<String> = DOMAINS.iter().map(|d| format!("{d} 0")).collect();
    assert_eq!(start_with, firsts);

    // The experienced coach rates themself 4: the placement finds where they start.
    let (eli, eli_view, _) = &coaches[1];
    answer_all(
        eli,
        a,
        &interviews[1],
        &[
            "I want to run group coaching for a whole cohort of students",
            "4, I have coached for years",
            "Two hours",
            "Reading",
            "None",
        ],
    )
    .await;
    let (_, view) = eli.get(eli_view).await;
    let started = &view["intake_interview"];
    assert_eq!(
        (view["stage"].as_str(), started["self_rating"].as_i64(), started["starting_point"].as_str()),
        (Some("intake"), Some(4), Some("placement")),
        "{view}"
    );
    assert_eq!(started["start_with"], json!([]));
}

wayfinder_testing::on_both_backends!(
    a_coach_is_provisioned_profiled_placed_and_trained,
    the_intake_interview_comes_first_and_its_self_rating_decides_where_training_starts
);
