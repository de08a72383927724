//! Personal data over HTTP: a learner's archive holds what was seeded about them and no
//! secrets; an admin's export holds their organisation's share; erasure leaves nothing that
//! names the person in any column of any table (found from the database's own catalogue, so a
//! new table cannot be forgotten), keeps the audit trail under a pseudonym, hands an admin's
//! uploads to another admin, and refuses what it must.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Read;

/// Every (table, column) of the database, read straight from its catalogue.
async fn schema(app: &TestApp) -> Vec<(String, String)> {
    let url = app.database_url().to_string();
    if url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let columns = sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        columns
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let columns = sqlx::query_as(
            "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c
               JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        columns
    }
}

/// Every (table, column) holding `needle` anywhere in its text, with the number of rows.
pub(crate) async fn traces(app: &TestApp, needle: &str) -> BTreeMap<String, i64> {
    let pattern = format!("%{}%", needle.to_lowercase());
    let url = app.database_url().to_string();
    let count = |table: &str, column: &str| {
        format!("SELECT COUNT(*) FROM \"{table}\" WHERE lower(CAST(\"{column}\" AS TEXT)) LIKE $1")
    };
    let mut found = BTreeMap::new();
    let columns = schema(app).await;
    if url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        for (table, column) in &columns {
            let (n,): (i64,) = sqlx::query_as(&count(table, column)).bind(&pattern).fetch_one(&pool).await.unwrap();
            found.insert(format!("{table}.{column}"), n);
        }
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        for (table, column) in &columns {
            let (n,): (i64,) = sqlx::query_as(&count(table, column)).bind(&pattern).fetch_one(&pool).await.unwrap();
            found.insert(format!("{table}.{column}"), n);
        }
        pool.close().await;
    }
    found.retain(|_, n| *n > 0);
    found
}

/// The files of a ZIP archive, by name.
fn unzip(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP archive");
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        files.insert(name, text);
    }
    files
}

fn rows(files: &BTreeMap<String, String>, table: &str) -> Vec<Value> {
    files.get(&format!("tables/{table}.json")).map(|t| serde_json::from_str(t).unwrap()).unwrap_or_default()
}

async fn a_learners_data_is_exported_and_erased_without_a_trace(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    let (admin, learner, id) = (&w.admin.client, &w.learner.client, w.learner.id.clone());
    let email = "learner@north.example";

    // What the learner leaves behind: a conversation and feedback, a program with evidence and a
    // goal, reach settings, an API token, a sequence enrolment, an audited role change.
    let (status, conversation) = learner.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{conversation}");
    let chat = conversation["id"].as_str().unwrap().to_string();
    let question = "How do I stop putting off my essay until the night before?";
    let (status, turn) = learner.post(&format!("/conversations/{chat}/messages"), json!({ "content": question })).await;
    assert_eq!(status, StatusCode::OK, "{turn}");
    let answer = turn["assistant_message"]["id"].as_str().unwrap().to_string();
    let (status, _) = learner.put(&format!("/messages/{answer}/feedback"), json!({ "rating": "down" })).await;
    assert_eq!(status, StatusCode::OK);
    let (program, ids) = crate::learning::published_program(admin, a, "Study skills").await;
    let (status, _) = admin.post(&format!("/orgs/{a}/programs/{program}/enrolments"), json!({ "person_id": id })).await;
    assert_eq!(status, StatusCode::CREATED);
    let evidence = json!({ "concept_id": ids["c01"], "kind": "graded_answer", "correct": true });
    let (status, body) = w.coach.client.post(&format!("/orgs/{a}/learners/{id}/evidence"), evidence).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let goal = json!({ "kind": "program", "program_id": program });
    let (status, body) = learner.post(&format!("/orgs/{a}/learners/{id}/goals"), goal).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = learner.put(&format!("/orgs/{a}/reach-settings"), json!({ "weekly_cap": 2 })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, token) = learner.post("/tokens", json!({ "name": "phone" })).await;
    assert_eq!(status, StatusCode::CREATED);
    let token = token["secret"].as_str().unwrap().to_string();
    let (client_id, _) = crate::oauth::register(&w.operator, "Study app", "public").await;
    let (verifier, challenge) = crate::oauth::pkce();
    let code = crate::oauth::approve(learner, &client_id, &challenge).await;
    let (status, app_tokens) = crate::oauth::exchange(&w.app, &client_id, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{app_tokens}");
    let app_token = app_tokens["access_token"].as_str().unwrap().to_string();
    let steps = json!([{ "key": "hello", "kind": "message", "text": "Hello {name}", "delay_hours": 24 }]);
    let (_, sequence) =
        admin.post(&format!("/orgs/{a}/sequences"), json!({ "name": "Week one", "steps": steps })).await;
    let enrol = format!("/orgs/{a}/sequences/{}/enrolments", sequence["id"].as_str().unwrap());
    assert_eq!(admin.post(&enrol, json!({ "person_id": id })).await.0, StatusCode::CREATED);

    // The learner's archive holds all of it, and no secret.
    let (status, headers, bytes) = learner.get_bytes("/me/export").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/zip");
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"wayfinder-data-"));
    let files = unzip(&bytes);
    assert!(files.contains_key("README.txt") && files.contains_key("summary.json"), "{:?}", files.keys());
    let people = rows(&files, "people");
    assert_eq!((people.len(), people[0]["email"].as_str()), (1, Some(email)));
    assert_eq!(people[0]["password_hash"], "(withheld)");
    let messages = rows(&files, "messages");
    assert!(messages.iter().any(|m| m["content"] == question), "{messages:?}");
    assert!(messages.iter().any(|m| m["id"] == answer.as_str()), "the coach's answer is theirs too");
    assert_eq!(rows(&files, "message_feedback")[0]["rating"], "down");
    assert_eq!(rows(&files, "evidence")[0]["concept_id"], ids["c01"].as_str());
    assert_eq!(rows(&files, "goals").len(), 1);
    assert_eq!(rows(&files, "enrolments")[0]["program_id"], program.as_str());
    assert_eq!(rows(&files, "reach_preferences")[0]["weekly_cap"], 2);
    assert_eq!(rows(&files, "sequence_enrolments").len(), 1);
    assert_eq!(rows(&files, "oauth_grants")[0]["client_id"], client_id.as_str());
    assert!(rows(&files, "oauth_authorization_codes").iter().all(|c| c["code_digest"] == "(withheld)"));
    assert_eq!(rows(&files, "memberships")[0]["role"], "learner");
    let relationships = rows(&files, "relationships");
    assert_eq!(relationships.len(), 2, "their coach's and their parent's: {relationships:?}");
    assert!(rows(&files, "api_tokens").iter().all(|t| t["secret_digest"] == "(withheld)"));
    assert!(rows(&files, "sessions").iter().all(|s| s["secret_digest"] == "(withheld)"));
    assert!(!rows(&files, "audit_events").is_empty(), "the invitation they accepted");
    let summary: Value = serde_json::from_str(&files["summary.json"]).unwrap();
    assert_eq!(summary["tables"]["messages"], messages.len());

    // Their admin exports what the organisation holds, on request; nobody else may.
    let url = format!("/orgs/{a}/members/{id}/export");
    let (status, _, bytes) = admin.get_bytes(&url).await;
    assert_eq!(status, StatusCode::OK);
    let org_files = unzip(&bytes);
    assert!(!org_files.contains_key("tables/sessions.json"), "account-level rows stay with the person");
    assert_eq!(rows(&org_files, "messages").len(), messages.len());
    assert_error(w.coach.client.get(&url).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(w.admin_b.client.get(&url).await, StatusCode::NOT_FOUND, "not_found");
    let (_, audit) = admin.get(&format!("/orgs/{a}/audit")).await;
    let exported: Vec<&Value> = audit.as_array().unwrap().iter().filter(|e| e["action"] == "member.exported").collect();
    assert_eq!((exported.len(), exported[0]["subject"].as_str()), (1, Some(id.as_str())), "{audit}");

    // Before: the person is all over the database.
    let before = traces(&w.app, &id).await;
    assert!(before.len() >= 15, "{before:?}");
    assert!(!traces(&w.app, email).await.is_empty());

    let (_, members) = admin.get(&format!("/orgs/{a}/members")).await;
    let members_before = members.as_array().unwrap().len();

    // Refused erasures change nothing.
    let counts = w.app.row_counts().await;
    let erase = format!("/orgs/{a}/members/{id}/erase");
    let wrong = json!({ "confirm": "someone@north.example" });
    assert_error(learner.post("/me/erase", wrong.clone()).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    assert_error(admin.post(&erase, wrong).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    assert_error(w.coach.client.post(&erase, json!({ "confirm": email })).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(w.admin_b.client.post(&erase, json!({ "confirm": email })).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        learner.post("/me/erase", json!({ "confirm": email, "x": 1 })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_field",
    );
    assert_eq!(w.app.row_counts().await, counts);

    // The learner erases themselves: afterwards no column of any table holds their id or e-mail.
    let (status, erased) = learner.post("/me/erase", json!({ "confirm": "Learner@North.example" })).await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert!(erased["deleted"]["messages"].as_u64() >= Some(2), "{erased}");
    assert_eq!(erased["deleted"]["people"], 1);
    assert_eq!(traces(&w.app, &id).await, BTreeMap::new());
    assert_eq!(traces(&w.app, email).await, BTreeMap::new());
    // …their session, token and password are gone…
    assert_error(learner.get("/me").await, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_error(learner.with_bearer(&token).get("/me").await, StatusCode::UNAUTHORIZED, "invalid_token");
    assert_error(learner.with_bearer(&app_token).get("/me").await, StatusCode::UNAUTHORIZED, "invalid_token");
    let counts: BTreeMap<&str, i64> = w.app.row_counts().await.into_iter().collect();
    assert_eq!(
        (counts["oauth_grants"], counts["oauth_refresh_tokens"], counts["oauth_authorization_codes"]),
        (0, 0, 0)
    );
    let mut again = w.app.client();
    assert_error(again.login(email, PASSWORD).await, StatusCode::UNAUTHORIZED, "invalid_credentials");
    // …the audit trail keeps what happened under a pseudonym…
    let pseudonym = erased["pseudonym"].as_str().unwrap();
    assert!(traces(&w.app, pseudonym).await.keys().all(|k| k.starts_with("audit_events.")), "only the audit log");
    assert!(traces(&w.app, pseudonym).await.contains_key("audit_events.subject"));
    // …and everyone else's records stand.
    let (_, members) = admin.get(&format!("/orgs/{a}/members")).await;
    let members = members.as_array().unwrap();
    assert_eq!(members.len(), members_before - 1, "{members:?}");
    assert!(members.iter().all(|m| m["person"]["id"] != id.as_str()));
    let (status, _) = w.other_learner.client.get("/me").await;
    assert_eq!(status, StatusCode::OK);
    let (_, program_view) = admin.get(&format!("/orgs/{a}/programs/{program}")).await;
    assert_eq!(program_view["program"]["title"], "Study skills");
}

async fn an_admins_uploads_pass_to_another_admin_and_the_last_admin_stays(backend: Backend) {
    let w = World::build(backend).await;
    let (a, b) = (&w.org_a, &w.org_b);
    let (helper, helper_id) = w.app.invite(&w.admin.client, a, "helper@north.example", "admin").await;
    let collection = crate::knowledge::create_collection(&helper, a, "Handbook", &[]).await;
    let file = ("rules.md", b"# House rules\n\nQuiet hours start at ten in the evening.".to_vec());
    let (_, job) = crate::knowledge::upload(&helper, a, &collection, &[file], None).await;
    let job = crate::knowledge::wait_for_job(&helper, job["id"].as_str().unwrap()).await;
    let document = job["files"][0]["document_id"].as_str().unwrap().to_string();

    // The archive carries the document's text.
    let (_, _, bytes) = helper.get_bytes("/me/export").await;
    let files = unzip(&bytes);
    assert!(files[&format!("documents/{document}.txt")].contains("Quiet hours start at ten"), "{:?}", files.keys());

    // An admin of B cannot erase A's admin; an admin erasing themselves uses their own page.
    let erase = format!("/orgs/{a}/members/{helper_id}/erase");
    assert_error(
        w.admin_b.client.post(&erase, json!({ "confirm": "helper@north.example" })).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let own = format!("/orgs/{a}/members/{}/erase", w.admin.id);
    assert_error(
        w.admin.client.post(&own, json!({ "confirm": "admin@north.example" })).await,
        StatusCode::CONFLICT,
        "conflict",
    );

    // The last admin of an organisation is not erased: B's admin, alone there once the operator
    // who created B has left it.
    let (_, operator) = w.operator.get("/me").await;
    let leave = format!("/orgs/{b}/members/{}", operator["person"]["id"].as_str().unwrap());
    assert_eq!(w.operator.delete(&leave).await.0, StatusCode::NO_CONTENT);
    let (status, me) = w.admin_b.client.get("/me").await;
    assert_eq!(status, StatusCode::OK);
    let before = w.app.row_counts().await;
    let confirm = json!({ "confirm": me["person"]["email"] });
    assert_error(w.admin_b.client.post("/me/erase", confirm).await, StatusCode::CONFLICT, "last_admin");
    assert_eq!(w.app.row_counts().await, before);

    // A member of two organisations is not erased by one of their admins.
    let (status, _) = w
        .admin_b
        .client
        .post(&format!("/orgs/{b}/invitations"), json!({ "email": "helper@north.example", "role": "learner" }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let joined = w.app.store.person_with_password("helper@north.example").await.unwrap().unwrap().0.id;
    w.app.store.add_member(b.parse().unwrap(), joined, wayfinder_accounts_rules::Role::Learner).await.unwrap();
    let refused = w.admin.client.post(&erase, json!({ "confirm": "helper@north.example" })).await;
    assert_error(refused, StatusCode::CONFLICT, "conflict");
    let (status, _) = w.admin_b.client.delete(&format!("/orgs/{b}/members/{helper_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // A's admin erases the helper: the document stays, under the admin's name.
    let (status, erased) = w.admin.client.post(&erase, json!({ "confirm": "helper@north.example" })).await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["unnamed"]["documents"], 1, "{erased}");
    assert_eq!(traces(&w.app, &helper_id).await, BTreeMap::new());
    assert_eq!(traces(&w.app, "helper@north.example").await, BTreeMap::new(), "their invitation to B included");
    let (status, doc) = w.admin.client.get(&format!("/orgs/{a}/documents/{document}")).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    let (_, found) = w.admin.client.post("/search", json!({ "org_id": a, "query": "quiet hours evening" })).await;
    assert_eq!(found["results"][0]["chunk"]["document_id"], document.as_str(), "{found}");
    let (_, audit) = w.admin.client.get(&format!("/orgs/{a}/audit")).await;
    let entry = audit.as_array().unwrap().iter().find(|e| e["action"] == "member.erased").expect("audited");
    assert_eq!(entry["subject"], erased["pseudonym"], "{entry}");
}

/// Runs `sql` with `$1` = `at` (milliseconds) and `$2` = `id` on the test database: moving a
/// record's times into the past, as the weeks passing would.
pub(crate) async fn backdate(app: &TestApp, sql: &str, id: &str, at: chrono::DateTime<chrono::Utc>) {
    let url = app.database_url().to_string();
    if url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query(sql).bind(at.timestamp_millis()).bind(id).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query(sql).bind(at.timestamp_millis()).bind(id).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

async fn ask(client: &Client, org: &str, question: &str) -> String {
    let (status, conversation) = client.post(&format!("/orgs/{org}/conversations"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{conversation}");
    let id = conversation["id"].as_str().unwrap().to_string();
    let (status, turn) = client.post(&format!("/conversations/{id}/messages"), json!({ "content": question })).await;
    assert_eq!(status, StatusCode::OK, "{turn}");
    id
}

async fn retention_deletes_exactly_what_expired(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    let admin = &w.admin.client;
    let url = format!("/orgs/{a}/retention");
    let (status, policy) = admin.get(&url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        policy,
        json!({ "conversation_days": null, "inactive_account_days": null, "keep_interview_audio": false,
            "last_applied_at": null })
    );

    // Bad policies and strangers change nothing.
    let before = w.app.row_counts().await;
    for bad in [json!({ "conversation_days": 0 }), json!({ "inactive_account_days": 40000 })] {
        let (status, body) = admin.put(&url, bad).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field")));
    }
    assert_error(admin.put(&url, json!({ "days": 3 })).await, StatusCode::UNPROCESSABLE_ENTITY, "unknown_field");
    assert_error(
        admin.put(&url, json!({ "conversation_days": "30" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    let policy = json!({ "conversation_days": 30, "inactive_account_days": 90 });
    assert_error(w.coach.client.put(&url, policy.clone()).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(w.admin_b.client.put(&url, policy.clone()).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(w.coach.client.post(&format!("{url}/apply"), json!({})).await, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(w.app.row_counts().await, before);
    let (status, saved) = admin.put(&url, policy).await;
    assert_eq!((status, saved["conversation_days"].as_i64()), (StatusCode::OK, Some(30)), "{saved}");

    // Two conversations quiet for 40 days, one from today; a member quiet for 100 days.
    let now = chrono::Utc::now();
    let old_one = ask(&w.learner.client, a, "What is spaced repetition?").await;
    let kept = ask(&w.learner.client, a, "How do I plan my week?").await;
    let old_two = ask(&w.other_learner.client, a, "Why do I forget what I read?").await;
    for conversation in [&old_one, &old_two] {
        backdate(
            &w.app,
            "UPDATE conversations SET updated_at = $1 WHERE id = $2",
            conversation,
            now - chrono::Duration::days(40),
        )
        .await;
    }
    let (_, quiet_id) = w.app.invite(admin, a, "quiet@north.example", "learner").await;
    let long_ago = now - chrono::Duration::days(100);
    for sql in [
        "UPDATE people SET created_at = $1 WHERE id = $2",
        "UPDATE memberships SET created_at = $1 WHERE person_id = $2",
        "UPDATE sessions SET last_seen_at = $1, created_at = $1 WHERE person_id = $2",
    ] {
        backdate(&w.app, sql, &quiet_id, long_ago).await;
    }

    // Applying the policy removes exactly those, and nothing more the second time.
    let (status, run) = admin.post(&format!("{url}/apply"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run, json!({ "conversations": 2, "messages": 4, "accounts": 1 }));
    for gone in [&old_one, &old_two] {
        assert_error(admin.get(&format!("/conversations/{gone}")).await, StatusCode::NOT_FOUND, "not_found");
    }
    let (status, still) = w.learner.client.get(&format!("/conversations/{kept}")).await;
    assert_eq!(status, StatusCode::OK, "{still}");
    assert_eq!(traces(&w.app, &quiet_id).await, BTreeMap::new());
    assert_eq!(traces(&w.app, "quiet@north.example").await, BTreeMap::new());
    let (status, _) = w.learner.client.get("/me").await;
    assert_eq!(status, StatusCode::OK, "active members stay");
    let (_, again) = admin.post(&format!("{url}/apply"), json!({})).await;
    assert_eq!(again, json!({ "conversations": 0, "messages": 0, "accounts": 0 }));
    let (_, audit) = admin.get(&format!("/orgs/{a}/audit")).await;
    let applied: Vec<&Value> =
        audit.as_array().unwrap().iter().filter(|e| e["action"] == "retention.applied").collect();
    assert_eq!(applied.len(), 1, "{audit}");
    assert_eq!(
        (applied[0]["detail"]["conversations"].as_u64(), applied[0]["detail"]["accounts"].as_u64()),
        (Some(2), Some(1))
    );
    let (_, policy) = admin.get(&url).await;
    assert!(policy["last_applied_at"].is_string(), "{policy}");
}

async fn a_person_sees_who_read_their_data(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    let id = &w.learner.id;
    let chat = ask(&w.learner.client, a, "How do I take notes in a lecture?").await;
    // The learner reading their own data is nobody else looking.
    assert_eq!(w.learner.client.get(&format!("/orgs/{a}/learners/{id}/mastery")).await.0, StatusCode::OK);
    let (_, seen) = w.learner.client.get("/me/data-access").await;
    assert_eq!(seen, json!([]));
    // Their coach opens the conversation and their progress, twice each; their parent the
    // progress; an admin exports their data.
    for _ in 0..2 {
        assert_eq!(w.coach.client.get(&format!("/conversations/{chat}")).await.0, StatusCode::OK);
        assert_eq!(w.coach.client.get(&format!("/orgs/{a}/learners/{id}/mastery")).await.0, StatusCode::OK);
        assert_eq!(w.coach.client.get(&format!("/orgs/{a}/learners/{id}/goals")).await.0, StatusCode::OK);
    }
    assert_eq!(w.parent.client.get(&format!("/orgs/{a}/insights/learners/{id}")).await.0, StatusCode::OK);
    assert_eq!(w.admin.client.get_bytes(&format!("/orgs/{a}/members/{id}/export")).await.0, StatusCode::OK);
    // A refused read is no read.
    assert_eq!(w.other_learner.client.get(&format!("/orgs/{a}/learners/{id}/mastery")).await.0, StatusCode::NOT_FOUND);

    let (status, seen) = w.learner.client.get("/me/data-access").await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    let mut looks: Vec<(String, String)> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["reader_name"].as_str().unwrap().to_string(), e["what"].as_str().unwrap().to_string()))
        .collect();
    looks.sort();
    let expected = [("admin", "export"), ("coach", "conversation"), ("coach", "progress"), ("parent", "progress")];
    assert_eq!(
        looks,
        expected.map(|(r, w)| (r.to_string(), w.to_string())).to_vec(),
        "once an hour per reader and kind"
    );
    let conversation = seen.as_array().unwrap().iter().find(|e| e["what"] == "conversation").unwrap();
    assert_eq!(
        (conversation["conversation_id"].as_str(), conversation["reader_id"].as_str()),
        (Some(chat.as_str()), Some(w.coach.id.as_str()))
    );
    // Nobody looked at the other learner's data; the admins see the reads in the audit log.
    let (_, none) = w.other_learner.client.get("/me/data-access").await;
    assert_eq!(none, json!([]));
    let (_, audit) = w.admin.client.get(&format!("/orgs/{a}/audit")).await;
    let reads = audit.as_array().unwrap().iter().filter(|e| e["action"] == "data.read").count();
    assert_eq!(reads, 3);
}

/// Every column of the schema that names a person is one the export reads and the erasure
/// decides about: a table added later without that decision fails here.
async fn every_person_column_is_accounted_for(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let schema = schema(&app).await;
    assert!(schema.len() > 300, "the whole schema: {}", schema.len());
    let unexported: Vec<&(String, String)> = schema
        .iter()
        .filter(|(_, c)| {
            wayfinder_store::looks_like_a_person_column(c)
                && !wayfinder_store::PERSON_REFERENCE_COLUMNS.contains(&c.as_str())
        })
        .collect();
    assert_eq!(unexported, Vec::<&(String, String)>::new());
    assert_eq!(wayfinder_store::unaccounted_person_columns(&schema), Vec::<(String, String)>::new());
    // The check sees a new column for what it is.
    let mut grown = schema.clone();
    grown.push(("bookmarks".into(), "person_id".into()));
    assert_eq!(wayfinder_store::unaccounted_person_columns(&grown), vec![("bookmarks".into(), "person_id".into())]);
}

async fn an_export_holds_every_stored_number_exactly(backend: Backend) {
    let w = World::build(backend).await;
    let (a, admin) = (&w.org_a, &w.admin.client);
    // The largest finite number and one whose shortest form needs all 17 digits to read back.
    let thresholds = [f64::MAX, 0.1 + 0.2];
    for threshold in thresholds {
        let (status, body) = admin
            .post(&format!("/orgs/{a}/alert-rules"), json!({ "kind": "daily_cost", "threshold": threshold }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, _, bytes) = w.admin.client.get_bytes("/me/export").await;
    assert_eq!(status, StatusCode::OK);
    let mut exported: Vec<f64> =
        rows(&unzip(&bytes), "alert_rules").iter().map(|r| r["threshold"].as_f64().expect("a number")).collect();
    exported.sort_by(f64::total_cmp);
    let mut expected = thresholds.to_vec();
    expected.sort_by(f64::total_cmp);
    assert_eq!(exported, expected, "bit for bit");
}

wayfinder_testing::on_both_backends!(
    every_person_column_is_accounted_for,
    an_export_holds_every_stored_number_exactly,
    a_learners_data_is_exported_and_erased_without_a_trace,
    an_admins_uploads_pass_to_another_admin_and_the_last_admin_stays,
    retention_deletes_exactly_what_expired,
    a_person_sees_who_read_their_data
);
