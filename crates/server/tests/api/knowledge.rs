//! The knowledge base end to end over HTTP: collections, multipart uploads
//! that ingest in the background, per-file errors, deduplication and
//! replacement, search scoped to the organisation, deletes that leave nothing
//! behind — on both backends.

use crate::helpers::*;
use reqwest::{StatusCode, multipart};
use serde_json::{Value, json};
use std::time::Duration;
use wayfinder_store::{ChunkFilter, Store, StoreOptions};

/// A handbook whose sections are long enough to stay separate chunks.
pub fn study_guide() -> String {
    let spaced = "Reviewing flashcards over increasing intervals strengthens long-term retention far better than cramming the night before an exam. ";
    let notes =
        "The Cornell method divides the page into cues, notes and a summary so lectures become easy to review. ";
    format!(
        "# Study Skills Handbook\n\n## Spaced repetition\n\n{}\n\n## Note-taking\n\n{}\n",
        spaced.repeat(8),
        notes.repeat(8)
    )
}
const TEAMS_PAGE: &str = "<html><head><title>Collaborative Teams</title><script>var tracking = 'zyxwvut';</script></head>\
<body><nav>Home | About</nav><h1>Collaborative Teams</h1><h2>Norms</h2><p>Professional learning communities agree on \
norms before analysing common formative assessments together.</p></body></html>";

/// Uploads files as multipart; returns the status and body.
pub async fn upload(
    client: &Client,
    org: &str,
    collection: &str,
    files: &[(&str, Vec<u8>)],
    domains: Option<&str>,
) -> (StatusCode, Value) {
    let mut form = multipart::Form::new();
    for (name, bytes) in files {
        form = form.part("file", multipart::Part::bytes(bytes.clone()).file_name(name.to_string()));
    }
    if let Some(d) = domains {
        form = form.text("domains", d.to_string());
    }
    let mut req =
        client.http.post(format!("{}/orgs/{org}/collections/{collection}/documents", client.base)).multipart(form);
    if let Some(csrf) = &client.csrf {
        req = req.header("x-csrf-token", csrf);
    }
    let resp = req.send().await.expect("upload sent");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Polls a job until it ends; returns its final view.
pub async fn wait_for_job(client: &Client, job: &str) -> Value {
    for _ in 0..600 {
        let (status, body) = client.get(&format!("/jobs/{job}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["state"] == "succeeded" || body["state"] == "failed" {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {job} did not finish");
}

pub async fn create_collection(client: &Client, org: &str, name: &str, domains: &[&str]) -> String {
    let (status, body) =
        client.post(&format!("/orgs/{org}/collections"), json!({ "name": name, "domains": domains })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn file_state<'a>(job: &'a Value, name: &str) -> &'a Value {
    job["files"].as_array().unwrap().iter().find(|f| f["filename"] == name).unwrap_or_else(|| panic!("{name} in {job}"))
}

async fn search(client: &Client, org: &str, body: Value) -> (StatusCode, Value) {
    let mut body = body;
    body["org_id"] = json!(org);
    client.post("/search", body).await
}

fn titles(results: &Value) -> Vec<String> {
    results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["chunk"]["document_title"].as_str().unwrap().to_string())
        .collect()
}

async fn upload_ingest_search_and_delete(backend: Backend) {
    let w = World::build(backend).await;
    let (a, admin) = (&w.org_a, &w.admin.client);
    let coll = create_collection(admin, a, "Handbooks", &["study-skills", "collaborative-teams"]).await;

    let before = w.app.row_counts().await;
    let (status, job) = upload(
        admin,
        a,
        &coll,
        &[
            ("study.md", study_guide().into_bytes()),
            ("teams.html", TEAMS_PAGE.as_bytes().to_vec()),
            ("notes.txt", b"Quiet study spaces help concentration.".to_vec()),
            ("broken.pdf", b"%PDF-1.7\nthis is not really a pdf".to_vec()),
            ("empty.txt", Vec::new()),
            ("tool.exe", b"MZ\x90\x00".to_vec()),
        ],
        Some("study-skills"),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = wait_for_job(admin, job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    for (name, state, code) in [
        ("study.md", "ingested", None),
        ("teams.html", "ingested", None),
        ("notes.txt", "ingested", None),
        ("broken.pdf", "failed", Some("broken_document")),
        ("empty.txt", "failed", Some("empty_document")),
        ("tool.exe", "failed", Some("unsupported_type")),
    ] {
        let f = file_state(&job, name);
        assert_eq!(f["state"], state, "{name}: {f}");
        assert_eq!(f["error_code"].as_str(), code, "{name}: {f}");
        if code.is_some() {
            assert!(f["error_message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }
    let (_, docs) = admin.get(&format!("/orgs/{a}/collections/{coll}/documents")).await;
    assert_eq!(docs.as_array().unwrap().len(), 3, "only the good files became documents: {docs}");
    let study = docs.as_array().unwrap().iter().find(|d| d["source_name"] == "study.md").unwrap().clone();
    assert_eq!(study["title"], "Study Skills Handbook");
    assert_eq!(study["content_type"], "text/markdown");
    assert_eq!(study["domains"], json!(["study-skills"]));
    let (_, chunks) = admin.get(&format!("/orgs/{a}/documents/{}/chunks", study["id"].as_str().unwrap())).await;
    let sections: Vec<String> =
        chunks.as_array().unwrap().iter().map(|c| c["section"].as_str().unwrap().to_string()).collect();
    assert!(sections.iter().any(|s| s.contains("Spaced repetition")), "{sections:?}");

    // Every member may search; results cite title, section and text; no model means lexical with a notice.
    let (status, found) =
        search(&w.learner.client, a, json!({ "query": "how should I review flashcards?", "k": 3 })).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["mode"], "lexical");
    assert!(found["notice"].as_str().unwrap().contains("lexical"));
    assert_eq!(titles(&found)[0], "Study Skills Handbook");
    assert!(found["results"][0]["chunk"]["section"].as_str().unwrap().contains("Spaced repetition"));
    assert_error(
        search(&w.learner.client, a, json!({ "query": "flashcards", "mode": "dense" })).await,
        StatusCode::CONFLICT,
        "dense_unavailable",
    );
    // Script and navigation text is not indexed.
    let (_, none) = search(admin, a, json!({ "query": "zyxwvut" })).await;
    assert!(none["results"].as_array().unwrap().is_empty(), "{none}");
    // Domain filter: the HTML page was tagged study-skills too, so filter by a tag nobody has.
    let (_, filtered) =
        search(admin, a, json!({ "query": "norms formative assessments", "domains": ["collaborative-teams"] })).await;
    assert!(filtered["results"].as_array().unwrap().is_empty(), "{filtered}");
    let (_, filtered) =
        search(admin, a, json!({ "query": "norms formative assessments", "domains": ["study-skills"] })).await;
    assert_eq!(titles(&filtered)[0], "Collaborative Teams");

    // Same content again: one document. Changed content under the same name: replaced.
    let (_, again) = upload(admin, a, &coll, &[("study.md", study_guide().into_bytes())], None).await;
    let again = wait_for_job(admin, again["id"].as_str().unwrap()).await;
    assert_eq!(file_state(&again, "study.md")["state"], "unchanged");
    let changed = study_guide().replace("flashcards", "index cards");
    let (_, replaced) = upload(admin, a, &coll, &[("study.md", changed.into_bytes())], None).await;
    let replaced = wait_for_job(admin, replaced["id"].as_str().unwrap()).await;
    assert_eq!(file_state(&replaced, "study.md")["state"], "ingested");
    let (_, docs) = admin.get(&format!("/orgs/{a}/collections/{coll}/documents")).await;
    assert_eq!(docs.as_array().unwrap().len(), 3, "replaced, not added: {docs}");
    // The organisation's jobs, newest first, each with its own files, as each job reads alone.
    let (status, jobs) = admin.get(&format!("/orgs/{a}/jobs")).await;
    assert_eq!(status, StatusCode::OK, "{jobs}");
    let listed: Vec<&Value> = jobs.as_array().unwrap().iter().collect();
    assert_eq!(listed, [&replaced, &again, &job], "{jobs}");
    let filenames =
        |j: &Value| j["files"].as_array().unwrap().iter().map(|f| f["filename"].clone()).collect::<Vec<_>>();
    assert_eq!(filenames(listed[2]), ["study.md", "teams.html", "notes.txt", "broken.pdf", "empty.txt", "tool.exe"]);
    for listed in listed {
        let (_, alone) = admin.get(&format!("/jobs/{}", listed["id"].as_str().unwrap())).await;
        assert_eq!(&alone, listed);
    }
    let (_, old) = search(admin, a, json!({ "query": "flashcards" })).await;
    assert!(old["results"].as_array().unwrap().is_empty(), "the old chunks are gone: {old}");
    let (_, new) = search(admin, a, json!({ "query": "index cards" })).await;
    assert_eq!(titles(&new)[0], "Study Skills Handbook");

    // Deleting a document removes its chunks and lexical entries in one go.
    let study_id = docs.as_array().unwrap().iter().find(|d| d["source_name"] == "study.md").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A second process over the same database ranks from its own copy of the postings…
    let other = Store::connect(&StoreOptions { url: w.app.database_url().into(), max_connections: 2 }).await.unwrap();
    let org_a: wayfinder_accounts_rules::OrgId = a.parse().unwrap();
    let other_search = |query: &str| {
        let (other, terms) = (other.clone(), wayfinder_knowledge_rules::lexical_terms(query));
        async move {
            let found = other.lexical_search(org_a, &terms, &ChunkFilter::default(), 10).await.unwrap().hits;
            let chunks = other.chunks(org_a, &found.iter().map(|(c, _)| *c).collect::<Vec<_>>()).await.unwrap();
            chunks.into_iter().map(|c| c.document.to_string()).collect::<Vec<String>>()
        }
    };
    assert!(other_search("index cards").await.contains(&study_id));
    let chunks_before = w.app.store.count_chunks(a.parse().unwrap(), None).await.unwrap();
    let (status, _) = admin.delete(&format!("/orgs/{a}/documents/{study_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let chunks_after = w.app.store.count_chunks(a.parse().unwrap(), None).await.unwrap();
    assert!(chunks_after < chunks_before);
    let (_, gone) = search(admin, a, json!({ "query": "index cards cornell" })).await;
    assert!(
        gone["results"].as_array().unwrap().iter().all(|r| r["chunk"]["document_id"] != study_id.as_str()),
        "{gone}"
    );
    assert_error(admin.get(&format!("/orgs/{a}/documents/{study_id}")).await, StatusCode::NOT_FOUND, "not_found");
    // …and sees the deletion it did not make.
    assert!(!other_search("index cards").await.contains(&study_id));
    other.close().await;
    let after = w.app.row_counts().await;
    let documents = |counts: &[(&str, i64)]| counts.iter().find(|(t, _)| *t == "documents").unwrap().1;
    assert_eq!(documents(&after), documents(&before) + 2);
}

async fn knowledge_respects_roles_and_tenants(backend: Backend) {
    let w = World::build(backend).await;
    let (a, b) = (&w.org_a, &w.org_b);
    let coll = create_collection(&w.admin.client, a, "Private", &[]).await;
    let (_, job) = upload(
        &w.admin.client,
        a,
        &coll,
        &[("secret.md", b"# Secret\n\nThe quarterly plan mentions quokkas.".to_vec())],
        None,
    )
    .await;
    let job_id = job["id"].as_str().unwrap().to_string();
    wait_for_job(&w.admin.client, &job_id).await;
    let coll_b = create_collection(&w.admin_b.client, b, "Other", &[]).await;
    let (_, job_b) = upload(
        &w.admin_b.client,
        b,
        &coll_b,
        &[("other.md", b"# Other\n\nQuokkas live on Rottnest Island.".to_vec())],
        None,
    )
    .await;
    wait_for_job(&w.admin_b.client, job_b["id"].as_str().unwrap()).await;

    // Members search; only admins manage; learners cannot see jobs.
    let (status, found) = search(&w.learner.client, a, json!({ "query": "quokkas" })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(titles(&found), vec!["Secret".to_string()], "only A's chunk: {found}");
    assert_error(
        w.coach.client.post(&format!("/orgs/{a}/collections"), json!({ "name": "Mine" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, _) = upload(&w.learner.client, a, &coll, &[("x.md", b"# X\n\ntext".to_vec())], None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(w.learner.client.get(&format!("/jobs/{job_id}")).await, StatusCode::NOT_FOUND, "not_found");

    // Another organisation's search, collections, documents and jobs are out of reach.
    let (_, found_b) = search(&w.admin_b.client, b, json!({ "query": "quarterly plan quokkas" })).await;
    assert_eq!(titles(&found_b), vec!["Other".to_string()], "{found_b}");
    assert_error(search(&w.admin_b.client, a, json!({ "query": "quokkas" })).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        search(&w.admin_b.client, b, json!({ "query": "quokkas", "collections": [coll] })).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        w.admin_b.client.get(&format!("/orgs/{b}/collections/{coll}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(w.admin_b.client.get(&format!("/jobs/{job_id}")).await, StatusCode::NOT_FOUND, "not_found");
    let (status, _) = upload(&w.admin_b.client, b, &coll, &[("x.md", b"# X\n\ntext".to_vec())], None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, docs) = w.admin.client.get(&format!("/orgs/{a}/collections/{coll}/documents")).await;
    let doc = docs[0]["id"].as_str().unwrap();
    assert_error(
        w.admin_b.client.delete(&format!("/orgs/{b}/documents/{doc}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        w.admin_b.client.get(&format!("/orgs/{b}/documents/{doc}/chunks")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Bad search input.
    for (body, field) in [
        (json!({ "query": "" }), "query"),
        (json!({ "query": "x", "k": 0 }), "k"),
        (json!({ "query": "x", "k": 1000 }), "k"),
        (json!({ "query": "x", "mode": "fuzzy" }), "mode"),
        (json!({ "query": "x", "domains": ["not a tag!"] }), "domains"),
    ] {
        let (status, resp) = search(&w.admin.client, a, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
        assert_eq!(resp["error"]["field"], field, "{resp}");
    }
    // Duplicate collection names and bad chunking settings.
    assert_error(
        w.admin.client.post(&format!("/orgs/{a}/collections"), json!({ "name": "Private" })).await,
        StatusCode::CONFLICT,
        "already_exists",
    );
    assert_error(
        w.admin.client.post(&format!("/orgs/{a}/collections"), json!({ "name": "Tiny", "chunk_tokens": 10 })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
}

async fn oversized_uploads_are_refused(backend: Backend) {
    let settings = ServerSettings { max_upload_bytes: 64 * 1024, ..test_settings() };
    let app = TestApp::spawn_full(backend, settings, |store| {
        wayfinder_knowledge::KnowledgeBase::new(
            store,
            None,
            None,
            wayfinder_knowledge::IngestLimits { max_file_bytes: 1024, ..Default::default() },
        )
    })
    .await;
    let operator = app.operator().await;
    let (_, org) = operator.post("/orgs", json!({ "slug": "big-files", "name": "Big Files" })).await;
    let org = org["organisation"]["id"].as_str().unwrap().to_string();
    let coll = create_collection(&operator, &org, "Docs", &[]).await;
    // A file over the per-file limit fails alone; the rest of the batch ingests.
    let big = format!("# Big\n\n{}", "word ".repeat(400));
    let (status, job) = upload(
        &operator,
        &org,
        &coll,
        &[("big.md", big.into_bytes()), ("small.md", b"# Small\n\nfine".to_vec())],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = wait_for_job(&operator, job["id"].as_str().unwrap()).await;
    assert_eq!(file_state(&job, "big.md")["error_code"], "file_too_large");
    assert_eq!(file_state(&job, "small.md")["state"], "ingested");
    // A request over the upload limit is refused whole, and nothing is stored.
    let before = app.row_counts().await;
    let (status, body) = upload(&operator, &org, &coll, &[("huge.md", vec![b'a'; 200 * 1024])], None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(app.row_counts().await, before);
}

/// The local embedding model the suite uses (scripts/test fetches it).
fn embedding_model_dir() -> std::path::PathBuf {
    std::env::var("WAYFINDER_TEST_EMBEDDING_MODEL")
        .expect(
            "dense-search tests need WAYFINDER_TEST_EMBEDDING_MODEL; scripts/test fetches all-MiniLM-L6-v2 and sets it",
        )
        .into()
}

async fn hybrid_search_with_a_local_model(backend: Backend) {
    let model =
        std::sync::Arc::new(wayfinder_embeddings::LocalEmbedder::load(&embedding_model_dir()).expect("model loads"));
    let app = TestApp::spawn_full(backend, test_settings(), move |store| {
        wayfinder_knowledge::KnowledgeBase::new(store, Some(model), None, Default::default())
    })
    .await;
    let operator = app.operator().await;
    let (_, org) = operator.post("/orgs", json!({ "slug": "dense-school", "name": "Dense School" })).await;
    let org = org["organisation"]["id"].as_str().unwrap().to_string();
    let coll = create_collection(&operator, &org, "Guides", &[]).await;
    let (_, collection) = operator.get(&format!("/orgs/{org}/collections/{coll}")).await;
    assert_eq!(collection["embedding_model"], "local:all-MiniLM-L6-v2");
    let files = [
        ("sleep.md", "# Rest\n\nGetting eight hours of sleep before a test improves memory consolidation."),
        ("budget.md", "# Money\n\nTrack your spending with a monthly budget and an emergency fund."),
        ("reading.md", "# Reading\n\nPreview headings, ask questions, then read actively and recite."),
    ];
    let files: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, t)| (*n, t.as_bytes().to_vec())).collect();
    let (_, job) = upload(&operator, &org, &coll, &files, None).await;
    let job = wait_for_job(&operator, job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "succeeded", "{job}");

    // No word in common with the sleep guide: only meaning can find it.
    let query = json!({ "query": "how many hours should I rest the night before an exam?", "k": 3, "mode": "dense" });
    let (status, dense) = search(&operator, &org, query).await;
    assert_eq!(status, StatusCode::OK, "{dense}");
    assert_eq!(dense["mode"], "dense");
    assert_eq!(titles(&dense)[0], "Rest", "{dense}");
    let (_, hybrid) = search(&operator, &org, json!({ "query": "saving money each month", "k": 3 })).await;
    assert_eq!(hybrid["mode"], "hybrid");
    assert!(hybrid["notice"].is_null());
    assert_eq!(titles(&hybrid)[0], "Money", "{hybrid}");
    assert!(hybrid["results"][0]["dense_rank"].is_number() && hybrid["results"][0]["lexical_rank"].is_number());

    // Deleting the document removes its vectors too: dense search no longer finds it.
    let (_, docs) = operator.get(&format!("/orgs/{org}/collections/{coll}/documents")).await;
    let sleep = docs.as_array().unwrap().iter().find(|d| d["source_name"] == "sleep.md").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let vectors = |c: Vec<(&str, i64)>| c.iter().find(|(t, _)| *t == "chunk_vectors").unwrap().1;
    assert_eq!(vectors(app.row_counts().await), 3);
    operator.delete(&format!("/orgs/{org}/documents/{sleep}")).await;
    assert_eq!(vectors(app.row_counts().await), 2);
    let (_, dense) = search(&operator, &org, json!({ "query": "sleep before an exam", "k": 3, "mode": "dense" })).await;
    assert!(!titles(&dense).contains(&"Rest".to_string()), "{dense}");
}

/// Words the synthetic documents below are made of, so queries match many chunks.
const WORDS: [&str; 12] = [
    "memory", "sleep", "review", "notes", "spacing", "recall", "testing", "cards", "focus", "breaks", "goals", "habits",
];

/// A document of five chunks drawn from [`WORDS`] by `seed`, with its chunks' 16-dimension unit vectors.
fn synthetic_document(seed: usize) -> (Vec<wayfinder_store::NewChunk>, Vec<Vec<f32>>) {
    let chunks: Vec<wayfinder_store::NewChunk> = (0..5)
        .map(|i| {
            let text: Vec<&str> =
                (0..4 + (seed + i) % 9).map(|j| WORDS[(seed * 7 + i * 5 + j * j) % WORDS.len()]).collect();
            let text = text.join(" ");
            wayfinder_store::NewChunk {
                position: i as i64,
                terms: wayfinder_knowledge_rules::lexical_terms(&text),
                token_count: text.split(' ').count() as i64,
                text,
                section_path: Vec::new(),
                page_start: None,
                page_end: None,
            }
        })
        .collect();
    let vectors = (0..chunks.len()).map(|i| unit_vector(seed * 10 + i)).collect();
    (chunks, vectors)
}

fn unit_vector(seed: usize) -> Vec<f32> {
    let v: Vec<f32> = (0..16).map(|d| ((seed * 31 + d * 17) as f32 * 0.7).sin()).collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

/// A collection of synthetic chunks with `test:16` vectors in `org`.
async fn synthetic_collection(
    store: &Store,
    org: wayfinder_accounts_rules::OrgId,
) -> wayfinder_knowledge_rules::CollectionId {
    let new = wayfinder_store::NewCollection {
        org,
        name: "Synthetic".into(),
        description: String::new(),
        domains: Vec::new(),
        chunk_tokens: 200,
        chunk_overlap: 20,
        embedding_model: Some("test:16".into()),
        public: false,
    };
    store.create_collection(&new).await.unwrap().id
}

/// A plain-text document `source` of the synthetic collection, its hash from `seed`.
fn synthetic_new_document(
    org: wayfinder_accounts_rules::OrgId,
    collection: wayfinder_knowledge_rules::CollectionId,
    source: &str,
    seed: usize,
) -> wayfinder_store::NewDocument {
    wayfinder_store::NewDocument {
        org,
        collection,
        title: source.into(),
        source_name: source.into(),
        content_type: "text/plain".into(),
        content_hash: format!("hash-{seed}"),
        size_bytes: 1,
        pages: None,
        domains: Vec::new(),
        uploaded_by: None,
    }
}

/// Writes synthetic document `seed` as `source`, then its chunks' `test:16` vectors.
async fn put_synthetic(
    store: &Store,
    org: wayfinder_accounts_rules::OrgId,
    collection: wayfinder_knowledge_rules::CollectionId,
    source: &str,
    seed: usize,
) -> wayfinder_store::DocumentWrite {
    let (chunks, vectors) = synthetic_document(seed);
    let new = synthetic_new_document(org, collection, source, seed);
    let written = store.put_document(&new, &chunks).await.unwrap();
    let stored = store.document_chunks(org, written.document().id).await.unwrap();
    let vectors: Vec<_> = stored.iter().map(|c| c.id).zip(vectors).collect();
    store.put_vectors(org, collection, "test:16", &vectors).await.unwrap();
    written
}

/// A process applies its own inserts, replacements and deletions to its
/// in-memory copies in place; whatever it did, it ranks exactly (same chunks,
/// same scores) like a process that loads the copies fresh from the database.
async fn copies_changed_in_place_rank_like_fresh_ones(backend: Backend) {
    use wayfinder_store::DocumentWrite;
    let database = wayfinder_testing::TestDatabase::create(backend).await;
    let options = StoreOptions { url: database.url.clone(), max_connections: 2 };
    let connect = || Store::connect(&options);
    let store = connect().await.unwrap();
    store.migrate().await.unwrap();
    let org = store.create_org("in-place", "In Place").await.unwrap().id;
    let collection = synthetic_collection(&store, org).await;
    let put = |source: &'static str, seed: usize| {
        let store = store.clone();
        async move { put_synthetic(&store, org, collection, source, seed).await }
    };
    let queries: Vec<Vec<String>> = ["memory sleep", "review notes testing", "cards", "focus breaks goals habits"]
        .iter()
        .map(|q| wayfinder_knowledge_rules::lexical_terms(q))
        .collect();
    let rankings = |store: Store| {
        let queries = queries.clone();
        async move {
            let mut out = Vec::new();
            for (i, terms) in queries.iter().enumerate() {
                let filter = ChunkFilter::default();
                out.push(store.lexical_search(org, terms, &filter, 50).await.unwrap().hits);
                out.push(store.dense_search(org, "test:16", &unit_vector(1000 + i), &filter, 20).await.unwrap());
            }
            out
        }
    };
    for (i, source) in ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt"].into_iter().enumerate() {
        put(source, i).await;
    }
    // This process now holds both copies; every change below is its own.
    assert!(rankings(store.clone()).await.iter().all(|r| !r.is_empty()));

    assert!(matches!(put("g.txt", 6).await, DocumentWrite::Created(_)));
    let fresh = connect().await.unwrap();
    assert_eq!(rankings(store.clone()).await, rankings(fresh.clone()).await, "after an insert");
    fresh.close().await;

    assert!(matches!(put("b.txt", 60).await, DocumentWrite::Replaced(_)));
    let fresh = connect().await.unwrap();
    assert_eq!(rankings(store.clone()).await, rankings(fresh.clone()).await, "after a replacement");
    fresh.close().await;

    for source in ["a.txt", "d.txt"] {
        let document = store.list_documents(org, None).await.unwrap().into_iter().find(|d| d.source_name == source);
        store.delete_document(org, document.unwrap().id).await.unwrap();
    }
    let fresh = connect().await.unwrap();
    let (kept, reloaded) = (rankings(store.clone()).await, rankings(fresh.clone()).await);
    assert_eq!(kept, reloaded, "after deletions");
    let remaining: Vec<i64> = {
        let mut ids = Vec::new();
        for document in store.list_documents(org, None).await.unwrap() {
            ids.extend(store.document_chunks(org, document.id).await.unwrap().into_iter().map(|c| c.id.0));
        }
        ids
    };
    assert!(kept.iter().flatten().all(|(chunk, _)| remaining.contains(&chunk.0)), "no removed chunk is returned");
    fresh.close().await;
    store.close().await;
}

/// Runs one statement on the test database behind the stores' backs.
async fn execute_raw(url: &str, sql: &str, bytes: Option<Vec<u8>>) -> u64 {
    // The same steps on either driver's pool.
    macro_rules! on {
        ($pool:ty) => {{
            let pool = <$pool>::connect(url).await.unwrap();
            let query = sqlx::query(sql);
            let query = if sql.contains("$1") { query.bind(bytes) } else { query };
            let done = query.execute(&pool).await.unwrap().rows_affected();
            pool.close().await;
            done
        }};
    }
    if url.starts_with("sqlite") { on!(sqlx::SqlitePool) } else { on!(sqlx::PgPool) }
}

/// A new process reads the copies another saved, only at the epoch they were
/// saved at: a write deletes them in its own transaction, a copy overtaken by
/// another's write is not saved, and a damaged one is rebuilt from the rows.
async fn saved_copies_serve_new_processes_only_at_their_epoch(backend: Backend) {
    let database = wayfinder_testing::TestDatabase::create(backend).await;
    let url = database.url.clone();
    let options = StoreOptions { url: url.clone(), max_connections: 2 };
    let connect = || Store::connect(&options);
    let store = connect().await.unwrap();
    store.migrate().await.unwrap();
    let org = store.create_org("saved", "Saved").await.unwrap().id;
    let collection = synthetic_collection(&store, org).await;
    let put = |source: String, seed: usize| {
        let store = store.clone();
        async move { put_synthetic(&store, org, collection, &source, seed).await }
    };
    let queries: Vec<Vec<String>> = ["memory sleep", "review notes testing", "cards"]
        .iter()
        .map(|q| wayfinder_knowledge_rules::lexical_terms(q))
        .collect();
    let rankings = |store: Store| {
        let queries = queries.clone();
        async move {
            let (mut lexical, mut dense) = (Vec::new(), Vec::new());
            for (i, terms) in queries.iter().enumerate() {
                let filter = ChunkFilter::default();
                lexical.push(store.lexical_search(org, terms, &filter, 50).await.unwrap().hits);
                dense.push(store.dense_search(org, "test:16", &unit_vector(500 + i), &filter, 20).await.unwrap());
            }
            (lexical, dense)
        }
    };
    let saved_rows = || execute_raw(&url, "UPDATE saved_copies SET part = part", None);
    // Copies this process keeps: the BM25 copy, and on SQLite the vector copy too.
    let kinds = if backend == Backend::Sqlite { 2 } else { 1 };

    for seed in 0..6 {
        put(format!("{seed}.txt"), seed).await;
    }
    let first = rankings(store.clone()).await;
    assert!(first.0.iter().chain(&first.1).all(|r| !r.is_empty()), "{first:?}");
    assert_eq!(store.save_changed_copies().await.unwrap(), kinds, "each copy loaded from the rows is saved");
    assert!(saved_rows().await >= kinds as u64);

    // A write deletes the saved copies in its own transaction; the writer's copy, changed in place, is saved anew.
    put("6.txt".into(), 6).await;
    assert_eq!(saved_rows().await, 0, "no saved copy outlives a change");
    let expected = rankings(store.clone()).await;
    assert_ne!(expected, first, "the new document ranks");
    assert_eq!(store.save_changed_copies().await.unwrap(), kinds);

    // Damaged: reported and rebuilt from the rows, ranking the same.
    execute_raw(&url, "UPDATE saved_copies SET data = $1 WHERE kind = 'lexical'", Some(b"WFLX\x01\0\0\0".to_vec()))
        .await;
    let fresh = connect().await.unwrap();
    assert_eq!(rankings(fresh.clone()).await, expected, "a damaged saved copy is not trusted");
    assert_eq!(fresh.save_changed_copies().await.unwrap(), 1, "the rebuilt copy is saved in its place");
    fresh.close().await;

    // A new process ranks from the saved copies, not the rows: with the rows emptied behind
    // the stores' backs (no epoch bump), it still ranks as before…
    execute_raw(&url, "UPDATE chunk_postings SET terms = ''", None).await;
    if backend == Backend::Sqlite {
        execute_raw(&url, "UPDATE chunk_vectors SET model = 'elsewhere'", None).await;
    }
    let fresh = connect().await.unwrap();
    assert_eq!(rankings(fresh.clone()).await, expected, "read from the saved copies");
    fresh.close().await;
    // …and once they are forgotten, the rebuilt copies show the emptied rows.
    store.forget_saved_copies(org).await.unwrap();
    assert_eq!(saved_rows().await, 0);
    let fresh = connect().await.unwrap();
    let (lexical, dense) = rankings(fresh.clone()).await;
    assert!(lexical.iter().all(|r| r.is_empty()), "{lexical:?}");
    if backend == Backend::Sqlite {
        assert!(dense.iter().all(|r| r.is_empty()), "{dense:?}");
    }

    // A copy another process's write overtook is not saved.
    put("7.txt".into(), 7).await;
    assert_eq!(fresh.save_changed_copies().await.unwrap(), 0, "its copies are at an older epoch");
    assert_eq!(saved_rows().await, 0);
    fresh.close().await;
    store.close().await;
}

/// A search's chunk records are kept under the lexical epoch its ranking saw and come
/// back from memory only while the database is still there: rows changed behind the
/// store's back (which no real write does without a new epoch) show once any write,
/// this process's or another's, moves the epoch on.
async fn searches_keep_chunk_records_only_at_the_epoch_they_saw(backend: Backend) {
    let database = wayfinder_testing::TestDatabase::create(backend).await;
    let url = database.url.clone();
    let options = StoreOptions { url: url.clone(), max_connections: 2 };
    let store = Store::connect(&options).await.unwrap();
    store.migrate().await.unwrap();
    let org = store.create_org("kept", "Kept").await.unwrap().id;
    let collection = synthetic_collection(&store, org).await;
    for seed in 0..4 {
        put_synthetic(&store, org, collection, &format!("{seed}.txt"), seed).await;
    }
    let terms = wayfinder_knowledge_rules::lexical_terms("memory sleep review notes testing cards");
    let ranked = store.lexical_search(org, &terms, &ChunkFilter::default(), 50).await.unwrap();
    let ids: Vec<_> = ranked.hits.iter().map(|(id, _)| *id).collect();
    assert!(ids.len() >= 6, "{ranked:?}");
    let seen = ranked.seen.expect("a ranking sees an epoch");
    let texts = |records: Vec<wayfinder_store::ChunkRecord>| -> Vec<(i64, String)> {
        records.into_iter().map(|c| (c.id.0, c.text)).collect()
    };
    let original = texts(store.chunks(org, &ids).await.unwrap());
    assert_eq!(original.iter().map(|(id, _)| *id).collect::<Vec<_>>(), ids.iter().map(|c| c.0).collect::<Vec<_>>());

    // The first half is read and kept; the rows then change behind the store's back.
    let (half, _) = ids.split_at(ids.len() / 2);
    assert_eq!(texts(store.chunks_seen_at(org, seen, half).await.unwrap()), original[..half.len()].to_vec());
    assert!(execute_raw(&url, "UPDATE chunks SET text = 'changed ' || text", None).await as usize >= ids.len());
    // Asked in reverse order: kept records from memory, the others from the changed rows,
    // each in its place.
    let reversed: Vec<_> = ids.iter().rev().copied().collect();
    let expected: Vec<(i64, String)> = original
        .iter()
        .rev()
        .map(|(id, text)| {
            let kept = half.iter().any(|h| h.0 == *id);
            (*id, if kept { text.clone() } else { format!("changed {text}") })
        })
        .collect();
    assert_eq!(texts(store.chunks_seen_at(org, seen, &reversed).await.unwrap()), expected);
    // An unknown id is left out, as `chunks` leaves it out.
    let mut with_unknown = ids.clone();
    with_unknown.insert(1, wayfinder_knowledge_rules::ChunkId(i64::MAX));
    assert_eq!(store.chunks_seen_at(org, seen, &with_unknown).await.unwrap().len(), ids.len());

    // Another process's write moves the epoch on: the next ranking sees it, and the
    // records come from the rows as they are now.
    let other = Store::connect(&options).await.unwrap();
    put_synthetic(&other, org, collection, "other.txt", 9).await;
    other.close().await;
    let later = store.lexical_search(org, &terms, &ChunkFilter::default(), 50).await.unwrap();
    let later_seen = later.seen.unwrap();
    assert_ne!(later_seen, seen);
    let later_ids: Vec<_> = later.hits.iter().map(|(id, _)| *id).collect();
    let now = texts(store.chunks(org, &later_ids).await.unwrap());
    assert!(now.iter().all(|(_, text)| text.starts_with("changed ") || !original.iter().any(|(_, t)| t == text)));
    assert_eq!(texts(store.chunks_seen_at(org, later_seen, &later_ids).await.unwrap()), now);

    // So does this process's own write, applied to its copy in place.
    execute_raw(&url, "UPDATE chunks SET text = 'again ' || text", None).await;
    put_synthetic(&store, org, collection, "mine.txt", 10).await;
    let last = store.lexical_search(org, &terms, &ChunkFilter::default(), 50).await.unwrap();
    assert_ne!(last.seen, Some(later_seen));
    let last_ids: Vec<_> = last.hits.iter().map(|(id, _)| *id).collect();
    let rows = texts(store.chunks(org, &last_ids).await.unwrap());
    assert!(rows.iter().any(|(_, text)| text.starts_with("again ")), "{rows:?}");
    assert_eq!(texts(store.chunks_seen_at(org, last.seen.unwrap(), &last_ids).await.unwrap()), rows);
    store.close().await;
}

/// The `k` chunks closest to `query` among `vectors`, by exact inner product: what a
/// dense search should find, computed here without the store.
fn exact_nearest(vectors: &[(wayfinder_knowledge_rules::ChunkId, Vec<f32>)], query: &[f32], k: usize) -> Vec<i64> {
    let mut scored: Vec<(f32, i64)> =
        vectors.iter().map(|(id, v)| (v.iter().zip(query).map(|(a, b)| a * b).sum::<f32>(), id.0)).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(k).map(|(_, id)| id).collect()
}

/// A load that at least doubles an organisation's vectors goes in without its search
/// index on PostgreSQL, which is built once at the end; searches stay right throughout,
/// and another organisation's index is not touched. SQLite has no such index to defer.
async fn a_bulk_vector_load_defers_only_that_organisations_index(backend: Backend) {
    use wayfinder_store::VectorLoad;
    let database = wayfinder_testing::TestDatabase::create(backend).await;
    let store = Store::connect(&StoreOptions { url: database.url.clone(), max_connections: 4 }).await.unwrap();
    store.migrate().await.unwrap();
    let mut orgs = Vec::new();
    for slug in ["bulk", "bystander"] {
        let org = store.create_org(slug, slug).await.unwrap().id;
        orgs.push((org, synthetic_collection(&store, org).await));
    }
    // Chunks with their vectors, not yet written: 450 documents of five for the bulk
    // organisation (over the deferral minimum), three for the bystander.
    let mut pending: Vec<Vec<(wayfinder_knowledge_rules::ChunkId, Vec<f32>)>> = vec![Vec::new(), Vec::new()];
    for (which, documents) in [(0, 450), (1, 3)] {
        let (org, collection) = orgs[which];
        for seed in 0..documents {
            let (chunks, vectors) = synthetic_document(seed + which * 1000);
            let new = synthetic_new_document(org, collection, &format!("doc-{seed}.txt"), seed);
            let id = store.put_document(&new, &chunks).await.unwrap().document().id;
            let stored = store.document_chunks(org, id).await.unwrap();
            pending[which].extend(stored.iter().map(|c| c.id).zip(vectors));
        }
    }
    let [(bulk, bulk_collection), (bystander, bystander_collection)] = [orgs[0], orgs[1]];
    let indexes_of = |org: wayfinder_accounts_rules::OrgId| {
        let url = database.url.clone();
        async move {
            let Backend::Postgres = backend else { return 0 };
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            let sql = "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'chunk_vectors' AND indexdef LIKE '%hnsw%' || $1 || '%'";
            let (n,): (i64,) = sqlx::query_as(sql).bind(org.to_string()).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
    };
    let filter = ChunkFilter::default();
    let overlap = |found: &[(wayfinder_knowledge_rules::ChunkId, f32)], expected: &[i64]| {
        found.iter().filter(|(id, _)| expected.contains(&id.0)).count()
    };

    // The bystander's few vectors go in one by one and get their index.
    assert_eq!(store.begin_vector_load(bystander, 16, 15).await.unwrap(), VectorLoad::Incremental);
    store.put_vectors(bystander, bystander_collection, "test:16", &pending[1]).await.unwrap();
    store.finish_vector_load(bystander, 16).await.unwrap();
    let expected_indexes = i64::from(backend == Backend::Postgres);
    assert_eq!(indexes_of(bystander).await, expected_indexes);

    let incoming = pending[0].len() as i64;
    assert_eq!(incoming, 2250);
    let load = store.begin_vector_load(bulk, 16, incoming).await.unwrap();
    let expected_load = if backend == Backend::Postgres { VectorLoad::IndexDeferred } else { VectorLoad::Incremental };
    assert_eq!(load, expected_load);
    for batch in pending[0].chunks(1000) {
        store.put_vectors(bulk, bulk_collection, "test:16", batch).await.unwrap();
    }
    assert_eq!(indexes_of(bulk).await, 0, "no index for the loading organisation yet");
    assert_eq!(indexes_of(bystander).await, expected_indexes, "the bystander keeps its index");
    for i in 0..5 {
        let query = unit_vector(5000 + i);
        let found = store.dense_search(bulk, "test:16", &query, &filter, 10).await.unwrap();
        assert_eq!(overlap(&found, &exact_nearest(&pending[0], &query, 10)), 10, "exact while loading");
        let found = store.dense_search(bystander, "test:16", &query, &filter, 5).await.unwrap();
        assert_eq!(overlap(&found, &exact_nearest(&pending[1], &query, 5)), 5, "the bystander's search");
    }

    store.finish_vector_load(bulk, 16).await.unwrap();
    assert_eq!(indexes_of(bulk).await, expected_indexes, "the index is built at the end");
    let mut recalled = 0;
    for i in 0..5 {
        let query = unit_vector(6000 + i);
        let found = store.dense_search(bulk, "test:16", &query, &filter, 10).await.unwrap();
        assert!(
            found.iter().all(|(id, _)| pending[0].iter().any(|(c, _)| c == id)),
            "only the bulk organisation's chunks"
        );
        recalled += overlap(&found, &exact_nearest(&pending[0], &query, 10));
    }
    assert!(recalled >= 45, "the built index finds at least 90 % of the exact top 10s: {recalled} of 50");
    // Finishing again, or after a load that deferred nothing, leaves one index.
    store.finish_vector_load(bulk, 16).await.unwrap();
    assert_eq!(indexes_of(bulk).await, expected_indexes);
    store.close().await;
}

/// An operator's client, a new organisation and an empty collection in it.
async fn operator_with_collection(app: &TestApp, slug: &str) -> (Client, String, String) {
    let operator = app.operator().await;
    let (status, org) = operator.post("/orgs", json!({ "slug": slug, "name": slug })).await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    let org = org["organisation"]["id"].as_str().unwrap().to_string();
    let coll = create_collection(&operator, &org, "Docs", &[]).await;
    (operator, org, coll)
}

/// Counts tokens like the default estimate, but holds the ingestion worker when it meets the text
/// of a file carrying `MARKERS[k]` until the test lets it go. The worker takes files one by one and
/// chunks a file only after storing the one before, so while it is held at file k, exactly the
/// files before k have an outcome.
struct PausingCounter {
    reached: tokio::sync::mpsc::UnboundedSender<usize>,
    resume: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    seen: std::sync::Mutex<Vec<usize>>,
}

const MARKERS: [&str; 4] = ["quokka", "unused", "narwhal", "axolotl"];

impl wayfinder_knowledge_rules::TokenCounter for PausingCounter {
    fn count(&self, text: &str) -> usize {
        for (index, marker) in MARKERS.iter().enumerate() {
            let first_time = text.contains(marker) && {
                let mut seen = self.seen.lock().unwrap();
                !seen.contains(&index) && {
                    seen.push(index);
                    true
                }
            };
            if first_time {
                let _ = self.reached.send(index);
                // An error means the test ended (its sender dropped): carry on.
                let _ = self.resume.lock().unwrap().recv();
            }
        }
        wayfinder_knowledge_rules::WordPieceEstimate.count(text)
    }
}

async fn job_progress_counts_each_file_as_it_is_stored(backend: Backend) {
    let (reached_tx, mut reached) = tokio::sync::mpsc::unbounded_channel();
    let (resume, resume_rx) = std::sync::mpsc::channel();
    let counter = std::sync::Arc::new(PausingCounter {
        reached: reached_tx,
        resume: std::sync::Mutex::new(resume_rx),
        seen: std::sync::Mutex::new(Vec::new()),
    });
    let app = TestApp::spawn_full(backend, test_settings(), move |store| {
        wayfinder_knowledge::KnowledgeBase::new(store, None, Some(counter), Default::default())
    })
    .await;
    let (operator, org, coll) = operator_with_collection(&app, "progress-school").await;
    let files = [
        ("first.txt", format!("The {} hops across the campus lawn.", MARKERS[0]).into_bytes()),
        // Fails without reaching the counter: a failed file counts as done too.
        ("second.pdf", b"%PDF-1.7\nnot really a pdf".to_vec()),
        ("third.md", format!("# Sea\n\nThe {} surfaces near the ice.", MARKERS[2]).into_bytes()),
        ("fourth.txt", format!("The {} keeps its gills all its life.", MARKERS[3]).into_bytes()),
    ];
    let (status, job) = upload(&operator, &org, &coll, &files, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_str().unwrap().to_string();

    // File k is being chunked (held here), so files 0..k are stored or, the one before it,
    // being stored beside it: progress must come to k of 4 and go no further while k is held.
    for k in [0, 2, 3] {
        assert_eq!(reached.recv().await, Some(k));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let job = loop {
            let (status, job) = operator.get(&format!("/jobs/{id}")).await;
            assert_eq!(status, StatusCode::OK, "{job}");
            let with_outcome = job["files"].as_array().unwrap().iter().filter(|f| f["state"] != "pending").count();
            assert!(with_outcome <= k, "{job}");
            if with_outcome == k || std::time::Instant::now() > deadline {
                assert_eq!(with_outcome, k, "{job}");
                break job;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert_eq!((job["progress_done"].as_i64(), job["progress_total"].as_i64()), (Some(k as i64), Some(4)), "{job}");
        assert_eq!((job["state"].as_str(), job["phase"].as_str()), (Some("running"), Some("ingesting")), "{job}");
        resume.send(()).unwrap();
    }
    let job = wait_for_job(&operator, &id).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!((job["progress_done"].as_i64(), job["progress_total"].as_i64()), (Some(4), Some(4)), "{job}");
    assert_eq!(file_state(&job, "second.pdf")["error_code"], "broken_document");
}

/// A PDF whose one page (without text) sits under `depth` single-kid `/Pages` nodes, written by
/// hand: object 1 is the catalog, 2 the page, 3 its parent node and so on up to the root.
fn pdf_with_nested_page_tree(depth: usize) -> Vec<u8> {
    let mut bodies = vec![
        format!("<< /Type /Catalog /Pages {} 0 R >>", depth + 2),
        "<< /Type /Page /MediaBox [0 0 595 842] >>".to_string(),
    ];
    bodies.extend((2..depth + 2).map(|kid| format!("<< /Type /Pages /Kids [{kid} 0 R] /Count 1 >>")));
    let mut pdf = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).into_bytes());
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", bodies.len() + 1).into_bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").into_bytes());
    }
    pdf.extend(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", bodies.len() + 1).into_bytes(),
    );
    pdf
}

async fn a_pdf_with_a_page_tree_nested_too_deep_fails_as_broken(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (operator, org, coll) = operator_with_collection(&app, "deep-school").await;
    let files = [("deep.pdf", pdf_with_nested_page_tree(5_000)), ("fine.txt", b"Plain notes.".to_vec())];
    let (status, job) = upload(&operator, &org, &coll, &files, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = wait_for_job(&operator, job["id"].as_str().unwrap()).await;
    let deep = file_state(&job, "deep.pdf");
    assert_eq!(
        (deep["state"].as_str(), deep["error_code"].as_str()),
        (Some("failed"), Some("broken_document")),
        "{job}"
    );
    assert!(deep["error_message"].as_str().unwrap().contains("nested"), "{job}");
    assert_eq!(file_state(&job, "fine.txt")["state"], "ingested");
    let (_, docs) = operator.get(&format!("/orgs/{org}/collections/{coll}/documents")).await;
    let names: Vec<&str> = docs.as_array().unwrap().iter().map(|d| d["source_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["fine.txt"]);
}

/// Two job workers share one knowledge service that extracts one file at a time: while one
/// worker is held inside an extraction, the other, with a job of its own, does not start one.
async fn workers_share_the_cap_on_concurrent_extractions(backend: Backend) {
    let (reached_tx, mut reached) = tokio::sync::mpsc::unbounded_channel();
    let (resume, resume_rx) = std::sync::mpsc::channel();
    let counter = std::sync::Arc::new(PausingCounter {
        reached: reached_tx,
        resume: std::sync::Mutex::new(resume_rx),
        seen: std::sync::Mutex::new(Vec::new()),
    });
    let service = std::sync::Arc::new(std::sync::Mutex::new(None));
    let app = TestApp::spawn_full(backend, test_settings(), {
        let service = service.clone();
        move |store| {
            let kb = wayfinder_knowledge::KnowledgeBase::new(store, None, Some(counter), Default::default())
                .with_concurrent_extractions(1);
            *service.lock().unwrap() = Some(kb.clone());
            kb
        }
    })
    .await;
    // A second worker beside the server's, on the same service.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let kb = service.lock().unwrap().take().unwrap();
    let second = wayfinder_knowledge::JobWorker::new(kb, chrono::Duration::seconds(5));
    tokio::spawn(second.run(async move {
        let _ = stopped.await;
    }));
    let (operator, org, coll) = operator_with_collection(&app, "busy-school").await;

    let held = format!("The {} hops across the campus lawn.", MARKERS[0]).into_bytes();
    let (_, first) = upload(&operator, &org, &coll, &[("held.txt", held)], None).await;
    assert_eq!(reached.recv().await, Some(0), "one worker is extracting the first job's file");
    let waiting = format!("The {} keeps its gills all its life.", MARKERS[3]).into_bytes();
    let (_, second_job) = upload(&operator, &org, &coll, &[("waiting.txt", waiting)], None).await;
    let second_id = second_job["id"].as_str().unwrap();
    // The other worker claims the second job (polling for a state that must come) ...
    let mut claimed = false;
    for _ in 0..200 {
        let (_, job) = operator.get(&format!("/jobs/{second_id}")).await;
        if job["state"] == "running" {
            claimed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(claimed, "the second worker claims the second job");
    // ... but does not start extracting while the first extraction holds the only permit.
    let started = tokio::time::timeout(Duration::from_secs(1), reached.recv()).await;
    assert!(started.is_err(), "a second extraction started at the same time: {started:?}");
    resume.send(()).unwrap();
    assert_eq!(reached.recv().await, Some(3), "the waiting file is extracted once the first is done");
    resume.send(()).unwrap();
    for job in [first["id"].as_str().unwrap(), second_id] {
        assert_eq!(wait_for_job(&operator, job).await["state"], "succeeded");
    }
    let _ = stop.send(());
}

wayfinder_testing::on_both_backends!(
    upload_ingest_search_and_delete,
    knowledge_respects_roles_and_tenants,
    oversized_uploads_are_refused,
    hybrid_search_with_a_local_model,
    copies_changed_in_place_rank_like_fresh_ones,
    saved_copies_serve_new_processes_only_at_their_epoch,
    searches_keep_chunk_records_only_at_the_epoch_they_saw,
    a_bulk_vector_load_defers_only_that_organisations_index,
    job_progress_counts_each_file_as_it_is_stored,
    a_pdf_with_a_page_tree_nested_too_deep_fails_as_broken,
    workers_share_the_cap_on_concurrent_extractions,
);
