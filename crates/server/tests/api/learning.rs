//! Learning over HTTP: a program taught from import to review, the
//! prerequisite graph's rules, bad input that changes nothing, and who may see
//! and do what (with another organisation's ids).

use crate::helpers::*;
use chrono::{DateTime, Duration, Timelike, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

/// A 15-concept program as (key, prerequisites): a DAG with two roots' worth of branches.
const PROGRAM: [(&str, &[&str]); 15] = [
    ("c01", &[]),
    ("c02", &["c01"]),
    ("c03", &["c01"]),
    ("c04", &["c02"]),
    ("c05", &["c02", "c03"]),
    ("c06", &["c04"]),
    ("c07", &["c05"]),
    ("c08", &["c06", "c07"]),
    ("c09", &["c03"]),
    ("c10", &["c09"]),
    ("c11", &["c08", "c10"]),
    ("c12", &["c11"]),
    ("c13", &["c01"]),
    ("c14", &["c13"]),
    ("c15", &["c12", "c14"]),
];

fn program_document(title: &str) -> Value {
    let concepts: Vec<Value> = PROGRAM
        .iter()
        .map(|(key, requires)| {
            json!({ "key": key, "name": format!("Concept {key}"), "estimated_minutes": 20, "requires": requires })
        })
        .collect();
    json!({ "title": title, "description": "Fifteen steps", "concepts": concepts })
}

/// `goal` and everything it transitively requires, by the fixture's own table.
fn expected_closure(goal: &str) -> BTreeSet<String> {
    let table: HashMap<&str, &[&str]> = PROGRAM.iter().copied().collect();
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([goal]);
    while let Some(k) = queue.pop_front() {
        if seen.insert(k.to_string()) {
            queue.extend(table[k].iter().copied());
        }
    }
    seen
}

/// Imports and publishes the fixture in `org`; returns (program id, key → concept id).
pub async fn published_program(admin: &Client, org: &str, title: &str) -> (String, HashMap<String, String>) {
    let (status, detail) = admin.post(&format!("/orgs/{org}/programs/import"), program_document(title)).await;
    assert_eq!(status, StatusCode::CREATED, "{detail}");
    let program = detail["program"]["id"].as_str().unwrap().to_string();
    let ids = detail["concepts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().trim_start_matches("Concept ").to_string(),
                c["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let (status, published) = admin.post(&format!("/orgs/{org}/programs/{program}/publish"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    (program, ids)
}

fn key_of(ids: &HashMap<String, String>, id: &str) -> String {
    ids.iter().find(|(_, v)| v.as_str() == id).map(|(k, _)| k.clone()).unwrap_or_else(|| id.to_string())
}

fn step_keys(ids: &HashMap<String, String>, path: &Value) -> Vec<String> {
    path["steps"].as_array().unwrap().iter().map(|s| key_of(ids, s["concept"]["id"].as_str().unwrap())).collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

async fn a_program_is_taught_from_import_to_review(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    let learner = &w.learner.id;
    let (program, ids) = published_program(&w.admin.client, a, "Data meetings").await;
    assert_eq!(ids.len(), 15);

    // The export lists every edge of the import.
    let (_, document) = w.admin.client.get(&format!("/orgs/{a}/programs/{program}/export")).await;
    let edges: usize =
        document["concepts"].as_array().unwrap().iter().map(|c| c["requires"].as_array().unwrap().len()).sum();
    assert_eq!(edges, PROGRAM.iter().map(|(_, r)| r.len()).sum::<usize>());

    // The learner's coach enrols them; the learner sets a goal.
    let (status, enrolment) =
        w.coach.client.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner })).await;
    assert_eq!(status, StatusCode::CREATED, "{enrolment}");
    assert_eq!(enrolment["status"], "active");
    let (status, goal) = w
        .learner
        .client
        .post(&format!("/orgs/{a}/learners/{learner}/goals"), json!({ "kind": "concept", "concept_id": ids["c12"] }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{goal}");
    let goal = goal["id"].as_str().unwrap().to_string();

    // The path: the goal's whole closure, each step after every prerequisite of it on the path.
    let path_url = format!("/orgs/{a}/learners/{learner}/goals/{goal}/path");
    let (status, path) = w.learner.client.get(&path_url).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    let steps = step_keys(&ids, &path);
    assert_eq!(steps.iter().cloned().collect::<BTreeSet<_>>(), expected_closure("c12"), "{path}");
    let table: HashMap<&str, &[&str]> = PROGRAM.iter().copied().collect();
    for (i, step) in steps.iter().enumerate() {
        for required in table[step.as_str()] {
            let at = steps.iter().position(|s| s == required).expect("every prerequisite is on the path");
            assert!(at < i, "{required} must come before {step}: {steps:?}");
        }
    }
    assert_eq!(steps.first().map(String::as_str), Some("c01"));
    assert_eq!(steps.last().map(String::as_str), Some("c12"));
    assert_eq!(path["total_minutes"], 20 * 12);

    // The next step is the only concept whose prerequisites are all met.
    let (_, next) = w.learner.client.get(&format!("/orgs/{a}/learners/{learner}/next-step")).await;
    assert_eq!(key_of(&ids, next["next"]["concept"]["id"].as_str().unwrap()), "c01", "{next}");

    // Graded answers two hours ago, a minute apart: mastery rises until the concept is mastered,
    // which starts its review schedule.
    let start = Utc::now() - Duration::hours(2);
    let evidence_url = format!("/orgs/{a}/learners/{learner}/evidence");
    let answer = |i: i64| {
        json!({ "concept_id": ids["c01"], "kind": "graded_answer", "correct": true,
                "occurred_at": start + Duration::minutes(i), "idempotency_key": format!("answer-{i}") })
    };
    let mut masteries = Vec::new();
    let mut card_started = None;
    for i in 0..12 {
        let (status, standing) = w.coach.client.post(&evidence_url, answer(i)).await;
        assert_eq!(status, StatusCode::CREATED, "{standing}");
        masteries.push(standing["mastery"].as_f64().unwrap());
        if !standing["review_due"].is_null() {
            card_started = Some((start + Duration::minutes(i), standing));
            break;
        }
    }
    let (card_time, standing) = card_started.unwrap_or_else(|| panic!("never mastered: {masteries:?}"));
    assert_eq!(standing["mastered"], true, "the schedule starts at mastery: {standing}");
    assert!(masteries.windows(2).all(|p| p[1] > p[0]), "each right answer raises mastery: {masteries:?}");
    assert!(standing["explanation"].as_str().unwrap().contains("right"), "{standing}");
    // The first review falls due after FSRS's first interval for a Good recall: with the
    // default FSRS weights the initial stability is w[2] ≈ 3.13 days, and at the target
    // recall 0.9 the interval equals the stability, rounded to whole days: 3 days.
    let first_due = time(&standing["review_due"]);
    assert_eq!(first_due.timestamp() - card_time.timestamp(), Duration::days(3).num_seconds(), "{standing}");
    // Two more right answers the same minute-apart way.
    let answered = masteries.len() as i64;
    for i in answered..answered + 2 {
        let (status, _) = w.coach.client.post(&evidence_url, answer(i)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let answers = answered + 2;

    // The path re-plans: c01 is skipped and the next steps are its dependents.
    let (_, path) = w.learner.client.get(&path_url).await;
    let steps = step_keys(&ids, &path);
    assert!(!steps.contains(&"c01".to_string()), "{steps:?}");
    assert_eq!(steps.len(), 11);
    let mastered: Vec<String> =
        path["mastered"].as_array().unwrap().iter().map(|m| key_of(&ids, m["id"].as_str().unwrap())).collect();
    assert_eq!(mastered, vec!["c01".to_string()]);
    assert!(["c02", "c03"].contains(&steps[0].as_str()), "{steps:?}");

    // "Due today" holds it from its due day on (time injected through `at`).
    let detail_url = format!("/orgs/{a}/learners/{learner}/mastery/{}", ids["c01"]);
    let (_, detail) = w.coach.client.get(&detail_url).await;
    let due = time(&detail["standing"]["review_due"]);
    assert!(due >= first_due, "{detail}");
    let reviews_url = format!("/orgs/{a}/learners/{learner}/reviews");
    let at = |t: DateTime<Utc>| urlencode(&t.to_rfc3339());
    let (status, early) = w.learner.client.get(&format!("{reviews_url}?at={}", at(due - Duration::days(1)))).await;
    assert_eq!(status, StatusCode::OK, "{early}");
    assert_eq!(early, json!([]));
    let (_, reviews) = w.learner.client.get(&format!("{reviews_url}?at={}", at(due + Duration::hours(1)))).await;
    assert_eq!(reviews.as_array().unwrap().len(), 1, "{reviews}");
    assert_eq!(reviews[0]["concept"]["id"], ids["c01"].as_str());
    let (_, next) = w
        .learner
        .client
        .get(&format!("/orgs/{a}/learners/{learner}/next-step?at={}", at(due + Duration::days(30))))
        .await;
    assert!(next["next"].is_object(), "{next}");

    // Mastery decays without practice: lower two months on than just after the answers.
    let (_, fresh) = w.coach.client.get(&format!("{detail_url}?at={}", at(start + Duration::minutes(answers)))).await;
    let (_, later) = w.coach.client.get(&format!("{detail_url}?at={}", at(Utc::now() + Duration::days(60)))).await;
    assert!(
        later["standing"]["mastery"].as_f64().unwrap() < fresh["standing"]["mastery"].as_f64().unwrap(),
        "forgetting: {fresh} then {later}"
    );
    assert_eq!(fresh["evidence"].as_array().unwrap().len() as i64, answers);
    assert!(fresh["contributions"].as_array().unwrap().len() > 3, "{fresh}");

    // A review answered right on its due day pushes the next review further out than the first interval.
    let review_time = Utc::now();
    let (status, reviewed) = w
        .coach
        .client
        .post(
            &evidence_url,
            json!({ "concept_id": ids["c01"], "kind": "review", "correct": true, "occurred_at": review_time }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reviewed}");
    assert!(time(&reviewed["review_due"]) - review_time > Duration::days(3), "{reviewed}");

    // Editing the published program opens a draft; learners keep seeing the published version.
    let (status, added) = w
        .admin
        .client
        .post(
            &format!("/orgs/{a}/programs/{program}/concepts"),
            json!({ "name": "Concept c16", "estimated_minutes": 10 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let (_, seen) = w.learner.client.get(&format!("/orgs/{a}/programs/{program}")).await;
    assert_eq!(seen["concepts"].as_array().unwrap().len(), 15);
    assert_eq!(seen["version"], 1);
    let (_, authored) = w.admin.client.get(&format!("/orgs/{a}/programs/{program}")).await;
    assert_eq!(authored["concepts"].as_array().unwrap().len(), 16);
    assert_eq!(authored["program"]["has_draft"], true);
    let (status, republished) = w.admin.client.post(&format!("/orgs/{a}/programs/{program}/publish"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{republished}");
    assert_eq!(republished["published_version"], 2);
    // The enrolment moved forward and what was mastered stays mastered.
    let (_, mastery) = w.learner.client.get(&format!("/orgs/{a}/learners/{learner}/mastery")).await;
    let concepts = mastery["concepts"].as_array().unwrap();
    assert_eq!(concepts.len(), 16);
    let c01 = concepts.iter().find(|c| c["concept_id"] == ids["c01"].as_str()).unwrap();
    assert_eq!(c01["evidence_count"], answers + 1);

    // Deleting a program with enrolments archives it; its learners keep their record.
    let (status, archived) = w.admin.client.delete(&format!("/orgs/{a}/programs/{program}")).await;
    assert_eq!(status, StatusCode::OK, "{archived}");
    assert_eq!(archived["status"], "archived");
    let (_, evidence) = w.learner.client.get(&format!("/orgs/{a}/learners/{learner}/evidence")).await;
    assert_eq!(evidence.as_array().unwrap().len() as i64, answers + 1);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn prerequisites_stay_acyclic_and_bad_input_changes_nothing(backend: Backend) {
    let w = World::build(backend).await;
    let (a, b) = (&w.org_a, &w.org_b);
    let admin = &w.admin.client;
    let (status, program) = admin.post(&format!("/orgs/{a}/programs"), json!({ "title": "Graphs" })).await;
    assert_eq!(status, StatusCode::CREATED, "{program}");
    let program = program["id"].as_str().unwrap().to_string();
    let mut concept = HashMap::new();
    for name in ["Alpha", "Beta", "Gamma"] {
        let (status, c) = admin.post(&format!("/orgs/{a}/programs/{program}/concepts"), json!({ "name": name })).await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        concept.insert(name, c["id"].as_str().unwrap().to_string());
    }
    let requires = |from: &str, to: &str| {
        (format!("/orgs/{a}/concepts/{}/prerequisites", concept[from]), json!({ "requires": concept[to] }))
    };
    for (from, to) in [("Alpha", "Beta"), ("Beta", "Gamma")] {
        let (url, body) = requires(from, to);
        let (status, c) = admin.post(&url, body).await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
    }
    let (_, program_b) = w.admin_b.client.post(&format!("/orgs/{b}/programs"), json!({ "title": "B" })).await;
    let (_, concept_b) = w
        .admin_b
        .client
        .post(&format!("/orgs/{b}/programs/{}/concepts", program_b["id"].as_str().unwrap()), json!({ "name": "B's" }))
        .await;
    let before = w.app.row_counts().await;

    // Gamma requires Alpha would close Gamma → Alpha → Beta → Gamma.
    let (url, body) = requires("Gamma", "Alpha");
    let (status, refused) = admin.post(&url, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "prerequisite_cycle");
    let names: Vec<&str> =
        refused["error"]["cycle"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Gamma", "Alpha", "Beta", "Gamma"]);
    assert!(refused["error"]["message"].as_str().unwrap().contains("Gamma → Alpha → Beta → Gamma"), "{refused}");
    let (url, body) = requires("Alpha", "Alpha");
    assert_error(admin.post(&url, body).await, StatusCode::UNPROCESSABLE_ENTITY, "prerequisite_cycle");

    // A concept of another organisation cannot be required; unknown concepts are unknown.
    let url = format!("/orgs/{a}/concepts/{}/prerequisites", concept["Alpha"]);
    let (status, body) = admin.post(&url, json!({ "requires": concept_b["id"] })).await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("requires")),
        "{body}"
    );
    let unknown = "0190f0f0-0000-7000-8000-000000000000";
    assert_error(
        admin
            .post(&format!("/orgs/{a}/concepts/{unknown}/prerequisites"), json!({ "requires": concept["Alpha"] }))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // An import with several bad rows is refused whole, each row named.
    let bad = json!({ "title": "Broken", "concepts": [
        { "key": "x", "name": "Ok" },
        { "key": "x", "name": "Same key" },
        { "key": "y", "name": "", "requires": ["nowhere"] },
        { "key": "z", "name": "Too long", "estimated_minutes": 0 },
    ]});
    let (status, refused) = admin.post(&format!("/orgs/{a}/programs/import"), bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "import_invalid");
    let rows: BTreeSet<(i64, String)> = refused["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_i64().unwrap(), r["field"].as_str().unwrap().to_string()))
        .collect();
    let expected: BTreeSet<(i64, String)> = [(2, "key"), (3, "name"), (3, "requires"), (4, "estimated_minutes")]
        .iter()
        .map(|(r, f)| (*r, f.to_string()))
        .collect();
    assert_eq!(rows, expected, "{refused}");
    let cyclic = json!({ "title": "Loop", "concepts": [
        { "key": "p", "name": "P", "requires": ["q"] }, { "key": "q", "name": "Q", "requires": ["p"] } ]});
    assert_error(
        admin.post(&format!("/orgs/{a}/programs/import"), cyclic).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import_invalid",
    );
    let csv =
        json!({ "title": "Sheet", "concepts_csv": "key,name\nk1,One\n", "edges_csv": "concept,requires\nk9,k1\n" });
    assert_error(
        admin.post(&format!("/orgs/{a}/programs/import/csv"), csv).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import_invalid",
    );
    assert_eq!(w.app.row_counts().await, before, "refused changes wrote nothing");

    // Evidence: not enrolled, missing outcome, out-of-range score, future time, repeated key.
    let (program_id, ids) = published_program(admin, a, "Evidence").await;
    let learner = &w.learner.id;
    let evidence = format!("/orgs/{a}/learners/{learner}/evidence");
    let answer = json!({ "concept_id": ids["c01"], "kind": "graded_answer", "correct": true, "idempotency_key": "k1" });
    assert_error(
        w.coach.client.post(&evidence, answer.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_enrolled",
    );
    let (status, _) = w
        .coach
        .client
        .post(&format!("/orgs/{a}/programs/{program_id}/enrolments"), json!({ "person_id": learner }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let before = w.app.row_counts().await;
    for (body, field) in [
        (json!({ "concept_id": ids["c01"], "kind": "graded_answer" }), "correct"),
        (json!({ "concept_id": ids["c01"], "kind": "graded_answer", "score": 1.5 }), "score"),
        (json!({ "concept_id": ids["c01"], "kind": "demonstrated", "correct": true }), "correct"),
        (
            json!({ "concept_id": ids["c01"], "kind": "graded_answer", "correct": true,
                    "occurred_at": Utc::now() + Duration::days(1) }),
            "occurred_at",
        ),
        (json!({ "concept_id": concept["Alpha"], "kind": "graded_answer", "correct": true }), "concept_id"),
    ] {
        let (status, refused) = w.coach.client.post(&evidence, body).await;
        assert_eq!(
            (status, refused["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{refused}"
        );
    }
    assert_error(
        w.coach.client.post(&evidence, json!({ "concept_id": ids["c01"], "kind": "guess" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert_eq!(w.app.row_counts().await, before, "refused evidence wrote nothing");
    let (status, _) = w.coach.client.post(&evidence, answer.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let after_first = w.app.row_counts().await;
    assert_error(w.coach.client.post(&evidence, answer).await, StatusCode::CONFLICT, "duplicate_evidence");
    assert_eq!(w.app.row_counts().await, after_first, "a repeated key wrote nothing");

    // A goal on a concept outside the learner's programs, and a free-text goal nothing matches.
    let goals = format!("/orgs/{a}/learners/{}/goals", w.other_learner.id);
    assert_error(
        w.other_learner.client.post(&goals, json!({ "kind": "concept", "concept_id": ids["c01"] })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_enrolled",
    );
    let goals = format!("/orgs/{a}/learners/{learner}/goals");
    let (status, refused) =
        w.learner.client.post(&goals, json!({ "kind": "text", "text": "zymurgy xylophones" })).await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("text")),
        "{refused}"
    );
    // A free-text goal that names concepts resolves to them.
    let (status, goal) =
        w.learner.client.post(&goals, json!({ "kind": "text", "text": "I want to master concept c07" })).await;
    assert_eq!(status, StatusCode::CREATED, "{goal}");
    let targets: HashSet<String> =
        goal["targets"].as_array().unwrap().iter().map(|t| key_of(&ids, t["id"].as_str().unwrap())).collect();
    assert!(targets.contains("c07"), "{goal}");
}

/// Who may do what with learning, per role, as docs/PERMISSIONS.md says.
async fn learning_permissions_by_role_and_organisation(backend: Backend) {
    let w = World::build(backend).await;
    let (a, b) = (&w.org_a, &w.org_b);
    let (program, ids) = published_program(&w.admin.client, a, "Matrix").await;
    let (program_b, ids_b) = published_program(&w.admin_b.client, b, "Other").await;
    let learner = &w.learner.id;
    let (status, _) =
        w.admin.client.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner })).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, goal) = w
        .learner
        .client
        .post(&format!("/orgs/{a}/learners/{learner}/goals"), json!({ "kind": "program", "program_id": program }))
        .await;
    let goal = goal["id"].as_str().unwrap().to_string();
    let c01 = &ids["c01"];
    let answer = json!({ "concept_id": c01, "kind": "graded_answer", "correct": false });
    let statement = |text: &str| json!({ "kind": "true_false", "statement": text, "answer": true });
    let (status, question) = w
        .admin
        .client
        .post(&format!("/orgs/{a}/questions"), json!({ "concepts": [c01], "body": statement("C01 comes first.") }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{question}");
    let question = question["id"].as_str().unwrap().to_string();
    let (status, question_b) = w
        .admin_b
        .client
        .post(&format!("/orgs/{b}/questions"), json!({ "concepts": [&ids_b["c01"]], "body": statement("B's.") }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{question_b}");
    let question_b = question_b["id"].as_str().unwrap().to_string();
    // A coach provisioned in each organisation (not yet accepted), and a draft program that
    // trains nobody (so the matrix's provisioning attempts are authorised but write nothing).
    let provision = |org: &str, program: &str, email: &str, manager: Option<&str>| {
        (
            format!("/orgs/{org}/coach-provisions"),
            json!({ "email": email, "program_id": program, "manager_id": manager }),
        )
    };
    let (path, body) = provision(a, &program, "recruit@north.example", Some(&w.manager.id));
    let (status, recruit) = w.admin.client.post(&path, body).await;
    assert_eq!(status, StatusCode::CREATED, "{recruit}");
    let recruit = recruit["provision"]["id"].as_str().unwrap().to_string();
    let (path, body) = provision(b, &program_b, "recruit@south.example", None);
    let (status, recruit_b) = w.admin_b.client.post(&path, body).await;
    assert_eq!(status, StatusCode::CREATED, "{recruit_b}");
    let recruit_b = recruit_b["provision"]["id"].as_str().unwrap().to_string();
    let (_, draft) = w.admin.client.post(&format!("/orgs/{a}/programs"), json!({ "title": "Unpublished" })).await;
    let draft = draft["id"].as_str().unwrap().to_string();
    let profile = json!({ "experience_years": 1, "subjects": ["Maths"] });

    // Columns: operator, admin, manager, coach, parent, learner, outsider (B's admin).
    let clients = [
        &w.operator,
        &w.admin.client,
        &w.manager.client,
        &w.coach.client,
        &w.parent.client,
        &w.learner.client,
        &w.admin_b.client,
    ];
    use Method as M;
    let rows: Vec<(Method, String, Option<Value>, [u16; 7])> = vec![
        (M::GET, format!("/orgs/{a}/programs"), None, [200, 200, 200, 200, 200, 200, 404]),
        (M::POST, format!("/orgs/{a}/programs"), Some(json!({ "title": "T" })), [201, 201, 403, 403, 403, 403, 404]),
        (M::GET, format!("/orgs/{a}/programs/{program}"), None, [200, 200, 200, 200, 200, 200, 404]),
        (M::GET, format!("/orgs/{a}/programs/{program}/export"), None, [200, 200, 200, 200, 200, 200, 404]),
        (
            M::PATCH,
            format!("/orgs/{a}/programs/{program}"),
            Some(json!({ "description": "d" })),
            [200, 200, 403, 403, 403, 403, 404],
        ),
        (M::POST, format!("/orgs/{a}/programs/{program}/publish"), None, [200, 200, 403, 403, 403, 403, 404]),
        (
            M::POST,
            format!("/orgs/{a}/programs/{program}/concepts"),
            Some(json!({ "name": "{role}" })),
            [201, 201, 403, 403, 403, 403, 404],
        ),
        (M::GET, format!("/orgs/{a}/concepts/{c01}"), None, [200, 200, 404, 404, 404, 404, 404]),
        (M::GET, format!("/orgs/{a}/programs/{program}/enrolments"), None, [200, 200, 200, 200, 200, 200, 404]),
        (M::GET, format!("/orgs/{a}/learners/{learner}/mastery"), None, [200, 200, 200, 200, 200, 200, 404]),
        (M::GET, format!("/orgs/{a}/learners/{learner}/mastery/{c01}"), None, [200, 200, 200, 200, 200, 200, 404]),
        (M::GET, format!("/orgs/{a}/learners/{learner}/evidence"), None, [200, 200, 200, 200, 200, 200, 404]),
        (M::GET, format!("/orgs/{a}/learners/{learner}/enrolments"), None, [200, 200, 200, 200, 200, 200, 404]),
        (
            M::POST,
            format!("/orgs/{a}/learners/{learner}/evidence"),
            Some(answer.clone()),
            [201, 201, 403, 201, 403, 403, 404],
        ),
        (M::GET, format!("/orgs/{a}/learners/{learner}/goals"), None, [200, 200, 200, 200, 200, 200, 404]),
        (
            M::POST,
            format!("/orgs/{a}/learners/{learner}/goals"),
            Some(json!({ "kind": "concept", "concept_id": c01 })),
            [201, 201, 403, 201, 403, 201, 404],
        ),
        (M::GET, format!("/orgs/{a}/learners/{learner}/goals/{goal}/path"), None, [200, 200, 200, 200, 200, 200, 404]),
        (M::GET, format!("/orgs/{a}/learners/{learner}/next-step"), None, [200, 200, 200, 200, 200, 200, 404]),
        (M::GET, format!("/orgs/{a}/learners/progress"), None, [200, 200, 200, 200, 200, 200, 404]),
        (M::GET, format!("/orgs/{a}/learners/{learner}/reviews"), None, [200, 200, 200, 200, 200, 200, 404]),
        // The unassigned learner is nobody's but the admins'.
        (
            M::GET,
            format!("/orgs/{a}/learners/{}/mastery", w.other_learner.id),
            None,
            [200, 200, 404, 404, 404, 404, 404],
        ),
        (
            M::POST,
            format!("/orgs/{a}/programs/{program}/enrolments"),
            Some(json!({ "person_id": w.other_learner.id })),
            [201, 201, 404, 404, 404, 404, 404],
        ),
        // The question bank holds answers: coaches and admins only.
        (M::GET, format!("/orgs/{a}/questions"), None, [200, 200, 403, 200, 403, 403, 404]),
        (
            M::POST,
            format!("/orgs/{a}/questions"),
            Some(json!({ "concepts": [c01], "body": statement("{role} says so.") })),
            [201, 201, 403, 201, 403, 403, 404],
        ),
        (M::GET, format!("/orgs/{a}/questions/{question}"), None, [200, 200, 404, 200, 404, 404, 404]),
        (
            M::PATCH,
            format!("/orgs/{a}/questions/{question}"),
            Some(json!({ "status": "approved" })),
            [200, 200, 404, 200, 404, 404, 404],
        ),
        // The fixture's concepts cite no material to make questions from.
        (
            M::POST,
            format!("/orgs/{a}/concepts/{c01}/questions/generate"),
            Some(json!({})),
            [422, 422, 403, 422, 403, 403, 404],
        ),
        // Provisioning: admins bring coaches in; the named manager follows them.
        (M::GET, format!("/orgs/{a}/coach-provisions"), None, [200, 200, 200, 200, 200, 200, 404]),
        (
            M::POST,
            format!("/orgs/{a}/coach-provisions"),
            Some(json!({ "email": "someone@north.example", "program_id": draft })),
            [409, 409, 403, 403, 403, 403, 404],
        ),
        (M::GET, format!("/orgs/{a}/coach-provisions/{recruit}"), None, [200, 200, 200, 404, 404, 404, 404]),
        // Only the coach who accepted completes the profile.
        (
            M::PUT,
            format!("/orgs/{a}/coach-provisions/{recruit}/profile"),
            Some(profile.clone()),
            [403, 403, 403, 404, 404, 404, 404],
        ),
        // The learner sees their coach, but not the coach's progress.
        (M::GET, format!("/orgs/{a}/learners/{}/mastery", w.coach.id), None, [200, 200, 200, 200, 404, 403, 404]),
    ];
    let mut failures = Vec::new();
    for (method, path, body, expect) in &rows {
        for (i, client) in clients.iter().enumerate() {
            let body = body
                .as_ref()
                .map(|b| serde_json::from_str(&b.to_string().replace("{role}", &format!("Concept by {i}"))).unwrap());
            let (status, response) = client.send(method.clone(), path, body).await;
            if status.as_u16() != expect[i] {
                failures
                    .push(format!("{method} {path} as column {i}: expected {}, got {status} {response}", expect[i]));
            }
        }
    }
    assert!(failures.is_empty(), "learning permission mismatches:\n{}", failures.join("\n"));

    // Another organisation's ids answer 404 from A's admin, and change nothing.
    let before = w.app.row_counts().await;
    let learner_b = &w.learner_b.id;
    let c01_b = &ids_b["c01"];
    let probes: Vec<(Method, String, Option<Value>)> = vec![
        (M::GET, format!("/orgs/{b}/programs"), None),
        (M::GET, format!("/orgs/{a}/programs/{program_b}"), None),
        (M::PATCH, format!("/orgs/{a}/programs/{program_b}"), Some(json!({ "title": "Mine" }))),
        (M::DELETE, format!("/orgs/{a}/programs/{program_b}"), None),
        (M::POST, format!("/orgs/{a}/programs/{program_b}/publish"), None),
        (M::DELETE, format!("/orgs/{a}/programs/{program_b}/draft"), None),
        (M::GET, format!("/orgs/{a}/programs/{program_b}/export"), None),
        (M::GET, format!("/orgs/{a}/programs/{program_b}/export/csv"), None),
        (M::PUT, format!("/orgs/{a}/programs/{program_b}/content"), Some(json!({ "title": "T", "concepts": [] }))),
        (M::POST, format!("/orgs/{a}/programs/{program_b}/concepts"), Some(json!({ "name": "Spy" }))),
        (M::GET, format!("/orgs/{a}/programs/{program_b}/enrolments"), None),
        (M::POST, format!("/orgs/{a}/programs/{program_b}/enrolments"), Some(json!({ "person_id": learner }))),
        (M::DELETE, format!("/orgs/{a}/programs/{program_b}/enrolments/{learner}"), None),
        (M::GET, format!("/orgs/{a}/concepts/{c01_b}"), None),
        (M::PATCH, format!("/orgs/{a}/concepts/{c01_b}"), Some(json!({ "name": "Mine" }))),
        (M::DELETE, format!("/orgs/{a}/concepts/{c01_b}"), None),
        (M::POST, format!("/orgs/{a}/concepts/{c01_b}/prerequisites"), Some(json!({ "requires": c01 }))),
        (M::DELETE, format!("/orgs/{a}/concepts/{c01_b}/prerequisites/{c01}"), None),
        (M::GET, format!("/orgs/{a}/learners/{learner_b}/mastery"), None),
        (M::GET, format!("/orgs/{a}/learners/{learner_b}/mastery/{c01_b}"), None),
        (M::GET, format!("/orgs/{a}/learners/{learner_b}/evidence"), None),
        (
            M::POST,
            format!("/orgs/{a}/learners/{learner_b}/evidence"),
            Some(json!({ "concept_id": c01_b, "kind": "demonstrated" })),
        ),
        (M::GET, format!("/orgs/{a}/learners/{learner_b}/enrolments"), None),
        (M::GET, format!("/orgs/{a}/learners/{learner_b}/goals"), None),
        (
            M::POST,
            format!("/orgs/{a}/learners/{learner_b}/goals"),
            Some(json!({ "kind": "concept", "concept_id": c01_b })),
        ),
        (
            M::GET,
            format!("/orgs/{a}/learners/{learner}/goals/{goal}/path?at=2020-01-01T00:00:00Z").replace(&w.org_a, b),
            None,
        ),
        (M::GET, format!("/orgs/{a}/learners/{learner_b}/next-step"), None),
        (M::GET, format!("/orgs/{a}/learners/{learner_b}/reviews"), None),
        (M::GET, format!("/orgs/{b}/learners/{learner}/mastery"), None),
        (M::GET, format!("/orgs/{b}/questions"), None),
        (M::GET, format!("/orgs/{a}/questions/{question_b}"), None),
        (M::PATCH, format!("/orgs/{a}/questions/{question_b}"), Some(json!({ "status": "retired" }))),
        (M::POST, format!("/orgs/{a}/concepts/{c01_b}/questions/generate"), Some(json!({}))),
        (M::POST, format!("/orgs/{a}/questions"), Some(json!({ "concepts": [c01_b], "body": statement("Mine.") }))),
        (M::GET, format!("/orgs/{b}/coach-provisions"), None),
        (M::GET, format!("/orgs/{a}/coach-provisions/{recruit_b}"), None),
        (M::PUT, format!("/orgs/{a}/coach-provisions/{recruit_b}/profile"), Some(profile.clone())),
        (
            M::POST,
            format!("/orgs/{a}/coach-provisions"),
            Some(json!({ "email": "spy@north.example", "program_id": program_b })),
        ),
    ];
    for (method, path, body) in probes {
        let (status, response) = w.admin.client.send(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {response}");
        assert_eq!(response["error"]["code"], "not_found", "{method} {path}");
    }
    // Evidence on B's concept for A's learner is refused as unknown, not recorded.
    let (status, _) = w
        .coach
        .client
        .post(&format!("/orgs/{a}/learners/{learner}/evidence"), json!({ "concept_id": c01_b, "kind": "demonstrated" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(w.app.row_counts().await, before, "probes changed nothing");
}

/// The shared data folder (`shared/data`, beside the repository; not part of it): named by
/// `WAYFINDER_SHARED_DATA`, or found beside this checkout or at the machine's `/work/shared/data`
/// (a clone elsewhere, as CI makes, has no sibling folder).
fn shared_data() -> std::path::PathBuf {
    let candidates: Vec<std::path::PathBuf> = std::env::var_os("WAYFINDER_SHARED_DATA")
        .map(Into::into)
        .into_iter()
        .chain([
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
            "/work/shared/data".into(),
        ])
        .collect();
    candidates.iter().find(|p| p.is_dir()).cloned().unwrap_or_else(|| {
        panic!("the shared data folder is not at any of {candidates:?}; set WAYFINDER_SHARED_DATA to it")
    })
}

/// The first `count` OpenStax "College Success" modules, read from the shared data folder, as
/// Markdown files: the module id as the file name, its title as the heading.
pub fn openstax_modules(count: usize) -> Vec<(String, String)> {
    let path = shared_data().join("openstax-college-success/modules_plaintext.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .take(count)
        .map(|line| {
            let module: Value = serde_json::from_str(line).unwrap();
            let (id, title, body) = (&module["id"], &module["title"], &module["text"]);
            (
                format!("{}.md", id.as_str().unwrap()),
                format!("# {}\n\n{}", title.as_str().unwrap(), body.as_str().unwrap()),
            )
        })
        .collect()
}

async fn a_collection_drafts_a_program_of_its_sections(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    let admin = &w.admin.client;
    let modules = openstax_modules(22);
    let collection = crate::knowledge::create_collection(admin, a, "College Success", &[]).await;
    let files: Vec<(&str, Vec<u8>)> =
        modules.iter().map(|(name, text)| (name.as_str(), text.as_bytes().to_vec())).collect();
    let (_, job) = crate::knowledge::upload(admin, a, &collection, &files, None).await;
    let job = crate::knowledge::wait_for_job(admin, job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "succeeded", "{job}");

    let before = w.app.row_counts().await;
    let (status, draft) =
        admin.post(&format!("/orgs/{a}/programs/draft"), json!({ "collection_id": collection })).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert_eq!(draft["program"]["status"], "draft");
    assert_eq!(draft["program"]["title"], "College Success");
    let concepts = draft["concepts"].as_array().unwrap();
    // Every module is long enough to be a concept of its own, named after its heading; the
    // chapters' shared "Introduction" modules are named after the topic they open.
    let titles: Vec<String> =
        modules.iter().map(|(_, text)| text.lines().next().unwrap().trim_start_matches("# ").to_string()).collect();
    assert_eq!(concepts.len(), titles.len(), "{draft}");
    for (i, (concept, title)) in concepts.iter().zip(&titles).enumerate() {
        let name = concept["name"].as_str().unwrap();
        if title == "Introduction" {
            assert_eq!(name, format!("Introduction to {}", titles[i + 1]));
        } else {
            assert_eq!(name, title.as_str());
        }
        // Its material cites the module it came from, and that document is in the collection.
        let material = concept["material"].as_array().unwrap();
        assert!(!material.is_empty(), "{concept}");
        let (status, document) =
            admin.get(&format!("/orgs/{a}/documents/{}", material[0]["document"].as_str().unwrap())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(document["source_name"], modules[i].0.as_str());
        assert!(concept["estimated_minutes"].as_i64().unwrap() >= 5);
    }
    // Edges only point back to earlier concepts, so the draft is a DAG.
    let position: HashMap<&str, usize> =
        concepts.iter().enumerate().map(|(i, c)| (c["id"].as_str().unwrap(), i)).collect();
    for (i, concept) in concepts.iter().enumerate() {
        for required in concept["prerequisites"].as_array().unwrap() {
            assert!(position[required.as_str().unwrap()] < i, "{concept}");
        }
    }
    let counts: HashMap<&str, i64> = w.app.row_counts().await.into_iter().collect();
    let before: HashMap<&str, i64> = before.into_iter().collect();
    assert_eq!(counts["programs"] - before["programs"], 1);
    assert_eq!(counts["concepts"] - before["concepts"], concepts.len() as i64);
    // Nothing is published until an admin reviews it.
    let (_, listed) = w.learner.client.get(&format!("/orgs/{a}/programs")).await;
    assert_eq!(listed["programs"], json!([]));
    let (status, published) = admin
        .post(&format!("/orgs/{a}/programs/{}/publish", draft["program"]["id"].as_str().unwrap()), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{published}");

    // Bad input: an unknown collection, another organisation's collection.
    let unknown = "0190f0f0-0000-7000-8000-000000000000";
    assert_error(
        admin.post(&format!("/orgs/{a}/programs/draft"), json!({ "collection_id": unknown })).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let collection_b = crate::knowledge::create_collection(&w.admin_b.client, &w.org_b, "B", &[]).await;
    assert_error(
        admin.post(&format!("/orgs/{a}/programs/draft"), json!({ "collection_id": collection_b })).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

/// The learner model fitted to an organisation's own answers learns which concepts are hard.
async fn the_learner_model_is_fitted_to_the_organisations_answers(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    let (program, ids) = published_program(&w.admin.client, a, "Fitting").await;
    let learners = [&w.learner.id, &w.other_learner.id];
    for learner in learners {
        let (status, _) = w
            .admin
            .client
            .post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": learner }))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, model) = w.admin.client.get(&format!("/orgs/{a}/learner-model")).await;
    assert_eq!(model["fitted"], false, "{model}");
    // c13 is always answered right, c14 right one time in five: 600 answers over two learners.
    let start = Utc::now() - Duration::days(30);
    for i in 0..300i64 {
        for (n, learner) in learners.iter().enumerate() {
            let (concept, correct) = if i % 2 == 0 { ("c13", true) } else { ("c14", i % 10 == 1) };
            let at = start + Duration::minutes(i * 2 + n as i64);
            let body =
                json!({ "concept_id": ids[concept], "kind": "graded_answer", "correct": correct, "occurred_at": at });
            let (status, body) = w.admin.client.post(&format!("/orgs/{a}/learners/{learner}/evidence"), body).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    }
    let (status, fit) = w.admin.client.post(&format!("/orgs/{a}/learner-model/fit"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{fit}");
    assert_eq!((fit["answers"].as_i64(), fit["fitted"].as_bool()), (Some(600), Some(true)), "{fit}");
    assert!(fit["log_loss"].as_f64().unwrap() < fit["initial_log_loss"].as_f64().unwrap(), "{fit}");
    let (_, model) = w.admin.client.get(&format!("/orgs/{a}/learner-model")).await;
    assert_eq!((model["fitted"].as_bool(), model["answers"].as_i64()), (Some(true), Some(600)), "{model}");
    // A newcomer with no answers is now expected to do better on c13 than on c14.
    let newcomer = &w.coach.id;
    let (status, _) = w
        .admin
        .client
        .post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": newcomer }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, mastery) = w.admin.client.get(&format!("/orgs/{a}/learners/{newcomer}/mastery")).await;
    let predicted = |key: &str| {
        mastery["concepts"].as_array().unwrap().iter().find(|c| c["concept_id"] == ids[key].as_str()).unwrap()
            ["predicted_success"]
            .as_f64()
            .unwrap()
    };
    assert!(predicted("c13") > predicted("c14") + 0.2, "{mastery}");
    // Learners and coaches may not fit or read it.
    assert_error(
        w.coach.client.post(&format!("/orgs/{a}/learner-model/fit"), json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(w.admin_b.client.get(&format!("/orgs/{a}/learner-model")).await, StatusCode::NOT_FOUND, "not_found");
}

/// A coach's answer that cites a concept's material counts as exposure to it, weaker than an answer.
async fn a_conversation_counts_as_exposure(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    let admin = &w.admin.client;
    let collection = crate::knowledge::create_collection(admin, a, "Handbook", &[]).await;
    let files = [
        ("habits.md", b"# Study habits\n\nSpaced practice means reviewing material over several days instead of cramming it the night before.".to_vec()),
        ("money.md", b"# Budgets\n\nA budget lists expected income and expenses for each month.".to_vec()),
    ];
    let (_, job) = crate::knowledge::upload(admin, a, &collection, &files, None).await;
    let job = crate::knowledge::wait_for_job(admin, job["id"].as_str().unwrap()).await;
    let document = |name: &str| {
        job["files"].as_array().unwrap().iter().find(|f| f["filename"] == name).unwrap()["document_id"].clone()
    };
    let program = json!({ "title": "Study", "concepts": [
        { "key": "spacing", "name": "Spaced practice", "material": [{ "document": document("habits.md") }] },
        { "key": "budget", "name": "Budgeting", "material": [{ "document": document("money.md") }] },
    ]});
    let (status, detail) = admin.post(&format!("/orgs/{a}/programs/import"), program).await;
    assert_eq!(status, StatusCode::CREATED, "{detail}");
    let program_id = detail["program"]["id"].as_str().unwrap();
    admin.post(&format!("/orgs/{a}/programs/{program_id}/publish"), json!({})).await;
    let learner = &w.learner.id;
    admin.post(&format!("/orgs/{a}/programs/{program_id}/enrolments"), json!({ "person_id": learner })).await;

    let (_, chat) = w.learner.client.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    let chat = chat["id"].as_str().unwrap();
    let (status, turn) = w
        .learner
        .client
        .post(
            &format!("/conversations/{chat}/messages"),
            json!({ "content": "What is spaced practice, reviewing over several days?" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{turn}");
    let cited: Vec<&Value> = turn["assistant_message"]["citations"].as_array().unwrap().iter().collect();
    assert!(cited.iter().any(|c| c["document_id"] == document("habits.md")), "{turn}");
    // The exposure is written beside the answer; wait for it.
    let mut evidence = json!([]);
    for _ in 0..100 {
        (_, evidence) = w.learner.client.get(&format!("/orgs/{a}/learners/{learner}/evidence")).await;
        if !evidence.as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let evidence = evidence.as_array().unwrap();
    assert_eq!(evidence.len(), 1, "{evidence:?}");
    assert_eq!(evidence[0]["kind"], "exposure");
    assert_eq!(evidence[0]["outcome"], Value::Null);
    let spacing = detail["concepts"].as_array().unwrap().iter().find(|c| c["name"] == "Spaced practice").unwrap();
    assert_eq!(evidence[0]["concept_id"], spacing["id"]);
    // Exposure alone never makes a concept mastered.
    let (_, mastery) = w.learner.client.get(&format!("/orgs/{a}/learners/{learner}/mastery")).await;
    assert!(mastery["concepts"].as_array().unwrap().iter().all(|c| c["mastered"] == false), "{mastery}");
}

/// The enrolled learners' ids in one page of `GET …/learners/progress`.
fn listed(page: &Value) -> Vec<String> {
    page["learners"].as_array().unwrap().iter().map(|l| l["person_id"].as_str().unwrap().to_string()).collect()
}

async fn a_coachs_overview_agrees_with_each_learners_own_views(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    let (program, ids) = published_program(&w.admin.client, a, "Overview").await;
    let learner = w.learner.id.clone();
    let other = w.other_learner.id.clone();
    for person in [&learner, &other] {
        let (status, body) = w
            .admin
            .client
            .post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": person }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Each learner has a goal; yesterday the learner mastered the first two concepts and the
    // other one practised the first only.
    let goals = [(&learner, "c08"), (&other, "c15")];
    for (person, key) in goals {
        let (status, goal) = w
            .admin
            .client
            .post(&format!("/orgs/{a}/learners/{person}/goals"), json!({ "kind": "concept", "concept_id": ids[key] }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{goal}");
    }
    let start = (Utc::now() - Duration::days(1)).with_nanosecond(0).unwrap();
    let mut latest: HashMap<String, DateTime<Utc>> = HashMap::new();
    let practice = [(&learner, "c01", 6, true), (&learner, "c02", 6, true), (&other, "c01", 3, false)];
    let mut minute = 0;
    for (person, key, answers, correct) in practice {
        for _ in 0..answers {
            minute += 1;
            let at = start + Duration::minutes(minute);
            let body =
                json!({ "concept_id": ids[key], "kind": "graded_answer", "correct": correct, "occurred_at": at });
            let (status, body) = w.admin.client.post(&format!("/orgs/{a}/learners/{person}/evidence"), body).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            latest.insert(person.clone(), at);
        }
    }

    // Who is listed: the learners the caller may read, each once, in id order.
    let url = format!("/orgs/{a}/learners/progress");
    let mut both = vec![learner.clone(), other.clone()];
    both.sort();
    let (status, page) = w.admin.client.get(&url).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!((listed(&page), page["total"].as_u64()), (both.clone(), Some(2)));
    for (client, expected) in [
        (&w.coach.client, vec![learner.clone()]),
        (&w.parent.client, vec![learner.clone()]),
        (&w.manager.client, vec![learner.clone()]),
        (&w.learner.client, vec![learner.clone()]),
        (&w.other_learner.client, vec![other.clone()]),
    ] {
        let (status, page) = client.get(&url).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(listed(&page), expected, "{page}");
    }
    let (_, second) = w.admin.client.get(&format!("{url}?limit=1&offset=1")).await;
    assert_eq!((listed(&second), second["total"].as_u64()), (vec![both[1].clone()], Some(2)));
    for bad in ["limit=0", "limit=501", "limit=many", "offset=-1", "at=yesterday", "colour=blue"] {
        let (status, body) = w.admin.client.get(&format!("{url}?{bad}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_field", "{bad}: {body}");
    }
    let (status, _) = w.admin_b.client.get(&url).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Each learner's line agrees with their own views at the same moment, and with the
    // fixture's own closure of each goal.
    let at = Utc::now().with_nanosecond(0).unwrap();
    let stamp = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, page) = w.admin.client.get(&format!("{url}?at={stamp}")).await;
    for line in page["learners"].as_array().unwrap() {
        let person = line["person_id"].as_str().unwrap();
        let (_, mastery) = w.admin.client.get(&format!("/orgs/{a}/learners/{person}/mastery?at={stamp}")).await;
        let concepts = mastery["concepts"].as_array().unwrap();
        let mastered = concepts.iter().filter(|c| c["mastered"] == true).count();
        assert_eq!(line["enrolled_concepts"].as_u64(), Some(concepts.len() as u64), "{line}");
        assert_eq!(line["mastered_concepts"].as_u64(), Some(mastered as u64), "{line} {mastery}");
        assert_eq!(time(&line["last_evidence_at"]), latest[person], "{line}");
        let (_, own_goals) = w.admin.client.get(&format!("/orgs/{a}/learners/{person}/goals")).await;
        let goal = &own_goals.as_array().unwrap()[0];
        let key = key_of(&ids, goal["targets"][0]["id"].as_str().unwrap());
        let (_, path) = w
            .admin
            .client
            .get(&format!("/orgs/{a}/learners/{person}/goals/{}/path?at={stamp}", goal["id"].as_str().unwrap()))
            .await;
        let progress = &line["goals"][0];
        assert_eq!(progress["goal_id"], goal["id"], "{line}");
        assert_eq!(progress["concepts"].as_u64(), Some(expected_closure(&key).len() as u64), "{line}");
        assert_eq!(progress["remaining"].as_u64(), Some(step_keys(&ids, &path).len() as u64), "{line} {path}");
        if *person == learner {
            // Two concepts mastered, both on the way to c08: the path is shorter by them.
            assert_eq!(mastered, 2, "{mastery}");
            assert_eq!(progress["remaining"].as_u64(), Some(expected_closure("c08").len() as u64 - 2), "{path}");
        }
    }
}

wayfinder_testing::on_both_backends!(
    a_coachs_overview_agrees_with_each_learners_own_views,
    a_conversation_counts_as_exposure,
    the_learner_model_is_fitted_to_the_organisations_answers,
    a_collection_drafts_a_program_of_its_sections,
    a_program_is_taught_from_import_to_review,
    prerequisites_stay_acyclic_and_bad_input_changes_nothing,
    learning_permissions_by_role_and_organisation,
);
