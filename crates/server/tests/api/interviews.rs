//! Guided interviews end to end. Without a model: a coach saves a flow from
//! the interest-discovery template (loops and unreachable steps refused,
//! naming the step), the learner runs it — a short answer is probed, a
//! mention takes a branch, a pause holds it — and it ends in a summary whose
//! fields cite the turns they came from, which the learner corrects and the
//! coach reads; flows are versioned. With the fake chat model: the model's
//! follow-up is asked, malformed output is retried then left to the rules,
//! and the summary is the model's structured output, checked against the
//! schema (a summary citing a turn that is not the learner's is refused and
//! asked for again). Permissions and other organisations' ids throughout.

use crate::{
    coach::{models, spawn},
    helpers::*,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wayfinder_llm::fake::{FakeOpenAi, Script};

fn template(templates: &Value, purpose: &str) -> Value {
    templates.as_array().unwrap().iter().find(|t| t["purpose"] == purpose).cloned().expect("the template")
}

/// The learner's answers in the transcript, as (seq, step, content).
fn learner_turns(interview: &Value) -> Vec<(i64, String, String)> {
    interview["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["role"] == "user")
        .map(|t| {
            (
                t["seq"].as_i64().unwrap(),
                t["step"].as_str().unwrap().to_string(),
                t["content"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn field<'a>(interview: &'a Value, key: &str) -> &'a Value {
    interview["summary"].as_array().unwrap().iter().find(|f| f["key"] == key).expect("the field")
}

async fn answer(client: &Client, url: &str, content: &str) -> Value {
    let (status, body) = client.post(&format!("{url}/answers"), json!({ "content": content })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn interviews_run_on_the_rules_and_end_in_a_cited_summary(backend: Backend) {
    let w = World::build(backend).await;
    let (a, coach, learner) = (&w.org_a, &w.coach.client, &w.learner.client);

    // Templates are for authors; each purpose has one.
    let templates_url = format!("/orgs/{a}/interview-templates");
    assert_error(learner.get(&templates_url).await, StatusCode::FORBIDDEN, "forbidden");
    let (status, templates) = coach.get(&templates_url).await;
    assert_eq!(status, StatusCode::OK, "{templates}");
    let purposes: Vec<&str> = templates.as_array().unwrap().iter().map(|t| t["purpose"].as_str().unwrap()).collect();
    assert_eq!(
        purposes,
        ["interest_discovery", "mock_interview", "weekly_reflection", "coach_intake", "program_check_in"]
    );
    let discovery = template(&templates, "interest_discovery");

    // Loops and unreachable steps are refused at save time, naming the step; nothing is saved.
    let flows_url = format!("/orgs/{a}/interview-flows");
    let mut looping = discovery.clone();
    looping["steps"][5]["end"] = json!(false);
    looping["steps"][5]["next"] = json!("enjoy");
    let (status, body) = coach.post(&flows_url, looping).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("steps[5]")),
        "{body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("`hopes` leads back to step `enjoy`"), "{message}");
    let mut orphan = discovery.clone();
    orphan["steps"].as_array_mut().unwrap().push(json!({ "key": "orphan", "question": "Anything else?" }));
    let (status, body) = coach.post(&flows_url, orphan).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("steps[6]")),
        "{body}"
    );
    assert!(body["error"]["message"].as_str().unwrap().contains("`orphan` can never be reached"), "{body}");
    let mut unknown = discovery.clone();
    unknown["steps"][0]["colour"] = json!("red");
    assert_error(coach.post(&flows_url, unknown).await, StatusCode::UNPROCESSABLE_ENTITY, "unknown_field");
    assert_error(learner.post(&flows_url, discovery.clone()).await, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(coach.get(&flows_url).await.1, json!([]));

    let (status, flow) = coach.post(&flows_url, discovery.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{flow}");
    assert_eq!(
        (flow["version"].as_i64(), flow["spec"].clone()),
        (Some(1), discovery.clone()),
        "the export is the import"
    );
    let flow_id = flow["id"].as_str().unwrap().to_string();
    // Every member sees the flows; another organisation sees nothing of it.
    let (status, listed) = learner.get(&flows_url).await;
    assert_eq!((status, listed.as_array().unwrap().len()), (StatusCode::OK, 1));
    assert_error(w.admin_b.client.get(&format!("{flows_url}/{flow_id}")).await, StatusCode::NOT_FOUND, "not_found");
    let b_flows = format!("/orgs/{}/interview-flows/{flow_id}", w.org_b);
    assert_error(w.admin_b.client.get(&b_flows).await, StatusCode::NOT_FOUND, "not_found");

    // The learner starts it; the first question is asked.
    let interviews_url = format!("/orgs/{a}/interviews");
    let (status, started) = learner.post(&interviews_url, json!({ "flow_id": flow_id })).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let steps = discovery["steps"].as_array().unwrap();
    let question = |i: usize| steps[i]["question"].as_str().unwrap().to_string();
    assert_eq!((started["status"].as_str(), started["step"].as_str()), (Some("active"), Some("enjoy")));
    assert_eq!(started["question"], question(0));
    assert_eq!(
        (started["person_id"].as_str(), started["flow_version"].as_i64()),
        (Some(w.learner.id.as_str()), Some(1))
    );
    let url = format!("{interviews_url}/{}", started["id"].as_str().unwrap());

    // Too short for the step (it asks six words): the first probe, then the second.
    let probed = answer(learner, &url, "Not sure really").await;
    assert_eq!((probed["step"].as_str(), probed["question"].clone()), (Some("enjoy"), steps[0]["probes"][0].clone()));
    // A mention of building takes the branch to "making".
    let branched = answer(learner, &url, "I like to build things and fix old bikes with my uncle").await;
    assert_eq!((branched["step"].as_str(), branched["question"].clone()), (Some("making"), json!(question(2))));

    // Paused, it takes no answer and keeps its place; resumed, it goes on.
    let (status, paused) = learner.post(&format!("{url}/pause"), json!({})).await;
    assert_eq!((status, paused["status"].as_str()), (StatusCode::OK, Some("paused")), "{paused}");
    assert_error(
        learner.post(&format!("{url}/answers"), json!({ "content": "A bike" })).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_error(learner.post(&format!("{url}/pause"), json!({})).await, StatusCode::CONFLICT, "conflict");
    let (status, resumed) = learner.post(&format!("{url}/resume"), json!({})).await;
    assert_eq!(
        (status, resumed["status"].as_str(), resumed["step"].as_str()),
        (StatusCode::OK, Some("active"), Some("making"))
    );

    // Only the learner answers; their coach reads; others do not see it.
    assert_error(
        coach.post(&format!("{url}/answers"), json!({ "content": "Hi" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(coach.get(&url).await.0, StatusCode::OK);
    for outsider in [&w.other_learner.client, &w.parent.client, &w.admin_b.client] {
        assert_error(outsider.get(&url).await, StatusCode::NOT_FOUND, "not_found");
        assert_error(
            outsider.post(&format!("{url}/answers"), json!({ "content": "Hi" })).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    assert_error(
        learner.post(&format!("{url}/answers"), json!({ "content": "   " })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert_error(
        learner.post(&format!("{url}/answers"), json!({ "content": 7 })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );

    answer(learner, &url, "I rebuilt a bike from parts and got the gears shifting smoothly").await;
    let at_hopes = answer(learner, &url, "Patience, and explaining things to my little brother").await;
    assert_eq!(at_hopes["step"], "hopes");
    let done = answer(learner, &url, "Drawing people really well").await;
    assert_eq!(
        (done["status"].as_str(), done["end_reason"].as_str()),
        (Some("completed"), Some("completed")),
        "{done}"
    );
    assert_eq!((done["summary_source"].as_str(), done["question"].clone()), (Some("scripted"), Value::Null));
    assert_error(
        learner.post(&format!("{url}/answers"), json!({ "content": "More" })).await,
        StatusCode::CONFLICT,
        "conflict",
    );

    // Each field holds the answers of the steps that fill it, citing exactly those turns.
    let turns = learner_turns(&done);
    let seqs_of = |steps: &[&str]| -> Vec<i64> {
        turns.iter().filter(|(_, s, _)| steps.contains(&s.as_str())).map(|t| t.0).collect()
    };
    assert_eq!(turns.len(), 5);
    // "Not sure really" fell short and was probed: the fuller answer to the same step replaces it.
    assert_eq!(
        field(&done, "interests")["value"],
        json!([
            "I like to build things",
            "fix old bikes with my uncle",
            "I rebuilt a bike from parts",
            "got the gears shifting smoothly"
        ])
    );
    assert_eq!(field(&done, "interests")["turns"], json!(seqs_of(&["enjoy", "making"])[1..]));
    assert_eq!(field(&done, "strengths")["value"], json!(["Patience", "explaining things to my little brother"]));
    assert_eq!(field(&done, "strengths")["turns"], json!(seqs_of(&["strengths"])));
    assert_eq!(
        (field(&done, "next_steps")["value"].clone(), field(&done, "next_steps")["turns"].clone()),
        (json!(["Drawing people really well"]), json!(seqs_of(&["hopes"])))
    );

    // The transcript is the interview's conversation, like any other.
    let conversation = done["conversation_id"].as_str().unwrap();
    let (status, stored) = learner.get(&format!("/conversations/{conversation}")).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["messages"].as_array().unwrap().len(), done["transcript"].as_array().unwrap().len());
    assert_eq!(stored["messages"][0]["content"], question(0));
    assert_eq!(stored["messages"][0]["kind"], "interviewer");

    // The learner corrects the summary (typed per field); nobody else may.
    let summary_url = format!("{url}/summary");
    assert_error(
        coach.put(&summary_url, json!({ "fields": { "strengths": ["patience"] } })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, body) = learner.put(&summary_url, json!({ "fields": { "strengths": "patience" } })).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("fields.strengths")),
        "{body}"
    );
    let (status, body) = learner.put(&summary_url, json!({ "fields": { "mood": ["ok"] } })).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("fields.mood")),
        "{body}"
    );
    let (status, corrected) =
        learner.put(&summary_url, json!({ "fields": { "strengths": ["Patience", "Teaching"] } })).await;
    assert_eq!(status, StatusCode::OK, "{corrected}");
    assert_eq!(
        (field(&corrected, "strengths")["value"].clone(), field(&corrected, "strengths")["corrected"].clone()),
        (json!(["Patience", "Teaching"]), json!(true))
    );
    assert_eq!(field(&corrected, "interests")["corrected"], json!(false));

    // The summary suggests the published programs that speak of what the learner said.
    for (title, description, concepts) in [
        ("Bike repair workshop", "Keep a bicycle running", ["Fixing flat tyres", "Gears and shifting"]),
        ("Public speaking", "Explaining ideas to a room", ["Teaching a short lesson", "Voice and pace"]),
        ("Watercolour painting", "Colour and light", ["Washes", "Layers"]),
    ] {
        let concepts: Vec<Value> = concepts
            .iter()
            .enumerate()
            .map(|(i, name)| json!({ "key": format!("c{i}"), "name": name, "estimated_minutes": 10 }))
            .collect();
        let document = json!({ "title": title, "description": description, "concepts": concepts });
        let (status, imported) = w.admin.client.post(&format!("/orgs/{a}/programs/import"), document).await;
        assert_eq!(status, StatusCode::CREATED, "{imported}");
        let program = imported["program"]["id"].as_str().unwrap();
        let (status, body) = w.admin.client.post(&format!("/orgs/{a}/programs/{program}/publish"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, suggested) = learner.get(&format!("{url}/suggested-programs")).await;
    assert_eq!(status, StatusCode::OK, "{suggested}");
    let shown: Vec<(&str, Value)> =
        suggested.as_array().unwrap().iter().map(|p| (p["title"].as_str().unwrap(), p["matched"].clone())).collect();
    assert_eq!(
        shown,
        vec![
            ("Bike repair workshop", json!(["bikes", "bike", "gears", "shifting"])),
            ("Public speaking", json!(["teaching"]))
        ]
    );
    assert_eq!(coach.get(&format!("{url}/suggested-programs")).await.1, suggested);
    assert_error(
        w.other_learner.client.get(&format!("{url}/suggested-programs")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // The coach sees it, corrected, and in the learner's list.
    let (_, seen) = coach.get(&url).await;
    assert_eq!(field(&seen, "strengths")["value"], json!(["Patience", "Teaching"]));
    let (status, list) = coach.get(&format!("{interviews_url}?person_id={}", w.learner.id)).await;
    assert_eq!(
        (status, list[0]["summarised"].as_bool(), list.as_array().unwrap().len()),
        (StatusCode::OK, Some(true), 1),
        "{list}"
    );
    assert_eq!(w.other_learner.client.get(&interviews_url).await.1, json!([]));

    // A new version: the finished interview keeps its own; new ones start on the new one.
    let mut changed = discovery.clone();
    changed["steps"][0]["question"] = json!("What do you do for fun?");
    let (status, v2) = coach.put(&format!("{flows_url}/{flow_id}"), changed).await;
    assert_eq!((status, v2["version"].as_i64()), (StatusCode::OK, Some(2)), "{v2}");
    let (_, v1) = learner.get(&format!("{flows_url}/{flow_id}?version=1")).await;
    assert_eq!(v1["spec"], discovery);
    assert_eq!(learner.get(&url).await.1["flow_version"], 1);
    // A coach sends one to their learner; not to a learner they do not guide.
    let (status, sent) = coach.post(&interviews_url, json!({ "flow_id": flow_id, "person_id": w.learner.id })).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!((sent["question"].as_str(), sent["flow_version"].as_i64()), (Some("What do you do for fun?"), Some(2)));
    assert_eq!(sent["started_by"], json!(w.coach.id));
    let (status, _) = coach.post(&interviews_url, json!({ "flow_id": flow_id, "person_id": w.other_learner.id })).await;
    assert!(matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{status}");
    let (status, _) =
        learner.post(&interviews_url, json!({ "flow_id": flow_id, "person_id": w.other_learner.id })).await;
    assert!(matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{status}");
    // Another organisation's flow is not found; a flow with interviews is kept.
    assert_error(
        w.learner_b.client.post(&format!("/orgs/{}/interviews", w.org_b), json!({ "flow_id": flow_id })).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(coach.delete(&format!("{flows_url}/{flow_id}")).await, StatusCode::CONFLICT, "conflict");
    let (_, unused) = coach.post(&flows_url, template(&templates, "weekly_reflection")).await;
    let unused = format!("{flows_url}/{}", unused["id"].as_str().unwrap());
    assert_error(learner.delete(&unused).await, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(coach.delete(&unused).await.0, StatusCode::NO_CONTENT);
    assert_error(coach.get(&unused).await, StatusCode::NOT_FOUND, "not_found");
}

fn judged(complete: bool, follow_up: &str) -> Script {
    Script::Reply(json!({ "complete": complete, "follow_up": follow_up }).to_string())
}

async fn with_a_model_the_interviewer_follows_up_and_writes_a_checked_summary(backend: Backend) {
    let fake = FakeOpenAi::start().await;
    let w = World::build_on(spawn(backend, models(fake.base_url())).await).await;
    let (a, coach, learner) = (&w.org_a, &w.coach.client, &w.learner.client);
    let (_, templates) = coach.get(&format!("/orgs/{a}/interview-templates")).await;
    let mut spec = template(&templates, "program_check_in");
    spec["steps"][1]["branches"] = json!([{ "mentions": ["pace"], "goto": "pace" }]);
    let (status, flow) = coach.post(&format!("/orgs/{a}/interview-flows"), spec.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{flow}");
    let (status, started) = learner.post(&format!("/orgs/{a}/interviews"), json!({ "flow_id": flow["id"] })).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let url = format!("/orgs/{a}/interviews/{}", started["id"].as_str().unwrap());

    // The model finds the answer wanting and writes the follow-up.
    fake.push(judged(false, "What makes it feel that way?"));
    let probed = answer(learner, &url, "Three").await;
    assert_eq!(
        (probed["step"].as_str(), probed["question"].as_str()),
        (Some("progress"), Some("What makes it feel that way?"))
    );
    let asked = fake.seen().last().unwrap().clone();
    assert_eq!(asked.body["response_format"]["json_schema"]["name"], "interview_judgement", "{}", asked.body);
    assert_eq!(asked.messages.last().unwrap().content, "Three");
    // Judged complete, the interview moves on.
    fake.push(judged(true, ""));
    let moved = answer(learner, &url, "The quizzes are hard but I keep up").await;
    assert_eq!(moved["step"], "unclear");
    // Malformed twice: the rules take over (a short answer gets the step's scripted probe).
    let before = fake.seen().len();
    fake.push_all([
        Script::Reply("Sure! Happy to help.".into()),
        Script::Reply(json!({ "complete": "maybe" }).to_string()),
    ]);
    let fallback = answer(learner, &url, "Loops").await;
    assert_eq!(fake.seen().len(), before + 2, "one retry");
    assert!(fake.seen().last().unwrap().messages.iter().any(|m| m.content.contains("That output was refused")));
    assert_eq!(fallback["question"], spec["steps"][1]["probes"][0]);
    // A complete answer that mentions the pace takes the branch.
    fake.push(judged(true, ""));
    let at_pace = answer(learner, &url, "Nested loops, and honestly the pace of the videos").await;
    assert_eq!(at_pace["step"], "pace");

    // The last answer: the summary is asked for; one citing a turn that is not the learner's is
    // refused and asked again; the second checks and is kept.
    let turns: Vec<i64> = learner_turns(&at_pace).iter().map(|t| t.0).collect();
    let last = at_pace["transcript"].as_array().unwrap().last().unwrap()["seq"].as_i64().unwrap() + 1;
    let interviewer_turn = turns[0] - 1;
    let summary = |progress_turns: Vec<i64>| {
        Script::Reply(
            json!({
                "progress": { "value": 3, "turns": progress_turns },
                "unclear": { "value": ["nested loops"], "turns": [turns[3]] },
                "pace_ok": { "value": false, "turns": [last] },
            })
            .to_string(),
        )
    };
    fake.push_all([judged(true, ""), summary(vec![interviewer_turn]), summary(vec![turns[0], turns[1]])]);
    let done = answer(learner, &url, "No, it is too fast for me").await;
    assert_eq!(
        (done["status"].as_str(), done["summary_source"].as_str()),
        (Some("completed"), Some("model")),
        "{done}"
    );
    let requests = fake.seen();
    let asked = &requests[requests.len() - 2];
    assert_eq!(asked.body["response_format"]["json_schema"]["name"], "interview_summary");
    assert!(
        asked.messages[1].content.contains(&format!("[seq {last}] Learner: No, it is too fast for me")),
        "{:?}",
        asked.messages
    );
    assert!(requests.last().unwrap().messages.iter().any(|m| m.content.contains("not one of the learner's turns")));
    assert_eq!(
        (field(&done, "progress")["value"].clone(), field(&done, "progress")["turns"].clone()),
        (json!(3), json!([turns[0], turns[1]]))
    );
    assert_eq!(field(&done, "unclear")["value"], json!(["nested loops"]));
    assert_eq!(
        (field(&done, "pace_ok")["value"].clone(), field(&done, "pace_ok")["turns"].clone()),
        (json!(false), json!([last]))
    );
    assert_eq!(learner_turns(&done).last().unwrap().0, last);
}

async fn a_model_that_never_writes_a_valid_summary_leaves_it_to_the_rules(backend: Backend) {
    let fake = FakeOpenAi::start().await;
    let w = World::build_on(spawn(backend, models(fake.base_url())).await).await;
    let (a, coach, learner) = (&w.org_a, &w.coach.client, &w.learner.client);
    let spec = json!({
        "name": "One question", "purpose": "custom",
        "steps": [{ "key": "sure", "question": "From 1 to 5, how sure are you?", "field": "confidence", "end": true }],
        "summary": [{ "key": "confidence", "kind": "scale", "description": "How sure, 1 to 5." }],
    });
    let (_, flow) = coach.post(&format!("/orgs/{a}/interview-flows"), spec).await;
    let (_, started) = learner.post(&format!("/orgs/{a}/interviews"), json!({ "flow_id": flow["id"] })).await;
    let url = format!("/orgs/{a}/interviews/{}", started["id"].as_str().unwrap());
    fake.push_all([judged(true, ""), Script::Reply("not json".into()), Script::Status(500, "down".into())]);
    fake.set_default_reply("still not json");
    let done = answer(learner, &url, "About a four, I think").await;
    assert_eq!(
        (done["status"].as_str(), done["summary_source"].as_str()),
        (Some("completed"), Some("scripted")),
        "{done}"
    );
    let seq = learner_turns(&done)[0].0;
    assert_eq!(
        (field(&done, "confidence")["value"].clone(), field(&done, "confidence")["turns"].clone()),
        (json!(4), json!([seq]))
    );
}

/// A coach intake sent to a learner, and one a learner takes for themself: the self-rating says
/// where each starts in the programs they are enrolled in.
async fn a_coach_intake_sets_where_the_learners_path_starts(backend: Backend) {
    let w = World::build(backend).await;
    let (a, admin, coach) = (&w.org_a, &w.admin.client, &w.coach.client);
    // A program of two chains: drawing basics → shading → portraits, and colour → mixing.
    let concept = |key: &str, requires: &[&str]| json!({ "key": key, "name": key, "requires": requires });
    let program = json!({ "title": "Drawing", "concepts": [
        concept("basics", &[]), concept("shading", &["basics"]), concept("portraits", &["shading"]),
        concept("colour", &[]), concept("mixing", &["colour"]),
    ] });
    let (status, imported) = admin.post(&format!("/orgs/{a}/programs/import"), program).await;
    assert_eq!(status, StatusCode::CREATED, "{imported}");
    let program_id = imported["program"]["id"].as_str().unwrap().to_string();
    assert_eq!(admin.post(&format!("/orgs/{a}/programs/{program_id}/publish"), json!({})).await.0, StatusCode::OK);
    for learner in [&w.learner.id, &w.other_learner.id] {
        let (status, body) =
            admin.post(&format!("/orgs/{a}/programs/{program_id}/enrolments"), json!({ "person_id": learner })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (_, templates) = coach.get(&format!("/orgs/{a}/interview-templates")).await;
    let flows = format!("/orgs/{a}/interview-flows");
    let (_, intake) = coach.post(&flows, template(&templates, "coach_intake")).await;
    let (_, discovery) = coach.post(&flows, template(&templates, "interest_discovery")).await;

    // The coach sends the intake to their learner; until it ends it says nothing of a path.
    let interviews = format!("/orgs/{a}/interviews");
    let (status, sent) = coach.post(&interviews, json!({ "flow_id": intake["id"], "person_id": w.learner.id })).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let url = format!("{interviews}/{}", sent["id"].as_str().unwrap());
    assert_error(w.learner.client.get(&format!("{url}/starting-path")).await, StatusCode::CONFLICT, "conflict");
    for reply in [
        "I want to draw portraits of my family that look like them",
        "1, I am just starting",
        "Two evenings a week",
        "Doing exercises",
        "That I have no talent",
    ] {
        answer(&w.learner.client, &url, reply).await;
    }
    // A self-rated beginner starts at the beginning: each chain's first concept.
    let (status, start) = coach.get(&format!("{url}/starting-path")).await;
    assert_eq!(status, StatusCode::OK, "{start}");
    assert_eq!((start["self_rating"].as_i64(), start["starting_point"].as_str()), (Some(1), Some("beginning")));
    let programs = start["programs"].as_array().unwrap();
    assert_eq!((programs.len(), programs[0]["program_id"].as_str()), (1, Some(program_id.as_str())), "{start}");
    let mut first: Vec<&str> =
        programs[0]["start_with"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    first.sort_unstable();
    assert_eq!(first, ["basics", "colour"]);
    // Readers of the interview only.
    assert_error(w.other_learner.client.get(&format!("{url}/starting-path")).await, StatusCode::NOT_FOUND, "not_found");
    let b_url = format!("/orgs/{}/interviews/{}/starting-path", w.org_b, sent["id"].as_str().unwrap());
    assert_error(w.admin_b.client.get(&b_url).await, StatusCode::NOT_FOUND, "not_found");

    // A learner who rates themself 4 starts where the placement finds it.
    let (_, own) = w.other_learner.client.post(&interviews, json!({ "flow_id": intake["id"] })).await;
    let own_url = format!("{interviews}/{}", own["id"].as_str().unwrap());
    for reply in ["I want to paint landscapes in oil for an exhibition", "4", "An hour a day", "Reading", "None"] {
        answer(&w.other_learner.client, &own_url, reply).await;
    }
    let (_, start) = w.other_learner.client.get(&format!("{own_url}/starting-path")).await;
    assert_eq!(
        (start["self_rating"].as_i64(), start["starting_point"].as_str()),
        (Some(4), Some("placement")),
        "{start}"
    );
    assert_eq!(start["programs"][0]["start_with"], json!([]));

    // Another kind of interview says nothing of where a path starts.
    let (_, other) = w.learner.client.post(&interviews, json!({ "flow_id": discovery["id"] })).await;
    let other_url = format!("{interviews}/{}/starting-path", other["id"].as_str().unwrap());
    assert_error(w.learner.client.get(&other_url).await, StatusCode::CONFLICT, "conflict");
}

wayfinder_testing::on_both_backends!(
    a_coach_intake_sets_where_the_learners_path_starts,
    interviews_run_on_the_rules_and_end_in_a_cited_summary,
    with_a_model_the_interviewer_follows_up_and_writes_a_checked_summary,
    a_model_that_never_writes_a_valid_summary_leaves_it_to_the_rules,
);
