//! The `wayfinder` binary as an operator uses it: first-run setup printed by
//! `serve`, administrative commands, the effective configuration, and a clean
//! exit on SIGTERM — on both storage backends.

use serde_json::{Value, json};
use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use wayfinder_testing::{Backend, TestDatabase};

const BIN: &str = env!("CARGO_BIN_EXE_wayfinder");
const PASSWORD: &str = "violet-otter-sings-at-dawn";
/// The server key of servers the tests start, unless a test gives another.
const TEST_SERVER_KEY: &str = "5f1e3c0a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f";

/// Runs a command against `db`; returns stdout, panicking with stderr on failure.
fn wayfinder(db: &TestDatabase, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(BIN)
        .args(args)
        .env("WAYFINDER_DATABASE_URL", &db.url)
        .env("WAYFINDER_LOG_LEVEL", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wayfinder runs");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "wayfinder {args:?} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// A `wayfinder serve` child on a free port, with its setup link if it printed one.
struct Server {
    child: Child,
    base: String,
    setup_link: Option<String>,
}

fn serve(db: &TestDatabase) -> Server {
    serve_with(db, &[])
}

fn serve_with(db: &TestDatabase, env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--log-format", "json"])
        .env("WAYFINDER_DATABASE_URL", &db.url)
        .env("WAYFINDER_SECRET_KEY", TEST_SERVER_KEY)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    // The address is in the structured "listening" log line on stderr.
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Ok(event) = serde_json::from_str::<Value>(&line)
                && event["message"] == "Wayfinder is listening"
            {
                let _ = addr_tx.send(event["addr"].as_str().unwrap().to_string());
            }
        }
    });
    let addr = addr_rx.recv_timeout(Duration::from_secs(30)).expect("serve logs its address");
    // Setup is offered right after the listener is bound; read stdout until the link or a short timeout.
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (link_tx, link_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if let Some(at) = line.find("http://") {
                let _ = link_tx.send(line[at..].trim().to_string());
            }
        }
    });
    let setup_link = link_rx.recv_timeout(Duration::from_secs(2)).ok();
    Server { child, base: format!("http://{addr}"), setup_link }
}

impl Server {
    /// Sends SIGTERM and returns how the process ended and how long it took.
    fn terminate(mut self) -> (std::process::ExitStatus, Duration) {
        let started = Instant::now();
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, started.elapsed());
            }
            assert!(started.elapsed() < Duration::from_secs(15), "serve did not exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

async fn first_run_setup_link_then_clean_shutdown(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let server = serve(&db);
    let link = server.setup_link.clone().expect("first run prints a setup link");
    let token = link.split("token=").nth(1).expect("the link carries the token");
    assert!(link.contains("/setup?token=wfp_"), "{link}");

    let http = reqwest::Client::new();
    let ready = http.get(format!("{}/readyz", server.base)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert!(link.starts_with(&server.base), "the link uses the address actually bound: {link}");
    let page = http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let created = http
        .post(format!("{}/api/v1/setup", server.base))
        .json(&json!({ "token": token, "email": "ops@example.org", "display_name": "Ops", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text().await);

    let (status, took) = server.terminate();
    assert!(status.success(), "SIGTERM ends serve with success, got {status}");
    assert!(took < Duration::from_secs(10));

    // With an operator in place, the next start offers no setup link.
    let server = serve(&db);
    assert!(server.setup_link.is_none(), "no setup link once an operator exists");
    server.terminate();
}

async fn administering_from_the_command_line(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let out = wayfinder(&db, &["migrate"], None);
    assert!(out.contains("up to date"), "{out}");
    wayfinder(&db, &["org", "create", "--slug", "east-high", "--name", "East High"], None);
    assert!(wayfinder(&db, &["org", "list"], None).contains("east-high\tEast High"));
    let out = wayfinder(
        &db,
        &[
            "user",
            "create",
            "--email",
            "Coach@East.example",
            "--name",
            "Casey Coach",
            "--org",
            "east-high",
            "--role",
            "coach",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(out.contains("member of east-high as coach") && !out.contains("password (shown once)"), "{out}");
    // A weak password on stdin is refused and nothing is created.
    let weak = Command::new(BIN)
        .args(["user", "create", "--email", "weak@east.example", "--name", "Weak", "--password-stdin"])
        .env("WAYFINDER_DATABASE_URL", &db.url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    weak.stdin.as_ref().unwrap().write_all(b"password123\n").unwrap();
    let weak = weak.wait_with_output().unwrap();
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("too easy to guess"));
    assert!(!wayfinder(&db, &["user", "list"], None).contains("weak@east.example"));

    let generated = wayfinder(&db, &["user", "create", "--email", "lee@east.example", "--name", "Lee Learner"], None);
    assert!(generated.contains("password (shown once): "), "{generated}");
    wayfinder(
        &db,
        &["user", "set-role", "--email", "lee@east.example", "--org", "east-high", "--role", "learner"],
        None,
    );
    let members = wayfinder(&db, &["user", "list", "--org", "east-high"], None);
    assert!(
        members.contains("coach@east.example\tcoach") && members.contains("lee@east.example\tlearner"),
        "{members}"
    );
    // The operator's tool keeps the API's rule: the last admin cannot be demoted.
    let set_role = |role: &str| {
        Command::new(BIN)
            .args(["user", "set-role", "--email", "lee@east.example", "--org", "east-high", "--role", role])
            .env("WAYFINDER_DATABASE_URL", &db.url)
            .env("WAYFINDER_LOG_LEVEL", "warn")
            .output()
            .unwrap()
    };
    assert!(set_role("admin").status.success());
    let refused = set_role("learner");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("last admin"), "{refused:?}");
    assert!(wayfinder(&db, &["user", "list", "--org", "east-high"], None).contains("lee@east.example\tadmin"));

    // A token made on the command line works against the server until revoked.
    let secret = wayfinder(
        &db,
        &["token", "create", "--email", "coach@east.example", "--name", "cli", "--expires-days", "7"],
        None,
    );
    let secret = secret.trim();
    assert!(secret.starts_with("wft_"), "{secret}");
    let server = serve(&db);
    let http = reqwest::Client::new();
    let me: Value =
        http.get(format!("{}/api/v1/me", server.base)).bearer_auth(secret).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["person"]["email"], "coach@east.example");
    assert_eq!(me["memberships"][0]["role"], "coach");
    let tokens: Value = http
        .get(format!("{}/api/v1/tokens", server.base))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = tokens[0]["id"].as_str().unwrap();
    wayfinder(&db, &["token", "revoke", "--id", id], None);
    let after = http.get(format!("{}/api/v1/me", server.base)).bearer_auth(secret).send().await.unwrap();
    assert_eq!(after.status(), 401);

    // Resetting a password ends the person's sessions at once.
    let login = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({ "email": "coach@east.example", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let me = http.get(format!("{}/api/v1/me", server.base)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let reset = wayfinder(&db, &["user", "reset-password", "--email", "coach@east.example"], None);
    assert!(reset.contains("new password (shown once): "), "{reset}");
    let me = http.get(format!("{}/api/v1/me", server.base)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(me.status(), 401);
    server.terminate();
}

/// `wayfinder user create … | head -1`: the reader leaves before the output is written;
/// the command still does its work and ends quietly instead of panicking on the pipe.
async fn output_to_a_closed_pipe_ends_quietly(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    wayfinder(&db, &["migrate"], None);
    let mut child = Command::new(BIN)
        .args(["user", "create", "--email", "pipe@east.example", "--name", "Pat Pipe"])
        .env("WAYFINDER_DATABASE_URL", &db.url)
        .env("WAYFINDER_LOG_LEVEL", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
    assert!(wayfinder(&db, &["user", "list"], None).contains("pipe@east.example"), "the user was still created");
}

#[test]
fn config_shows_layers_and_masks_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("wayfinder.toml"), "bind = \"127.0.0.1:9000\"\nlog_level = \"debug\"\n").unwrap();
    let out = Command::new(BIN)
        .arg("config")
        .current_dir(dir)
        .env("WAYFINDER_DATABASE_URL", "postgres://wf:hunter2-secret@db.internal:5432/wayfinder")
        .env("WAYFINDER_LOG_LEVEL", "warn")
        .env("WAYFINDER_UNRELATED_VARIABLE", "ignored")
        .args(["--log-level", "error"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("bind = \"127.0.0.1:9000\""), "file applies: {shown}");
    assert!(shown.contains("log_level = \"error\""), "flag beats env beats file: {shown}");
    assert!(shown.contains("postgres://wf:****@db.internal:5432/wayfinder"), "{shown}");
    assert!(!shown.contains("hunter2"), "the password never appears: {shown}");

    // With nothing set, state lives in ./wayfinder-data and the server listens on 127.0.0.1:8080.
    let out = Command::new(BIN)
        .arg("config")
        .current_dir(tempfile::tempdir().unwrap().path())
        .env_remove("WAYFINDER_DATABASE_URL")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("bind = \"127.0.0.1:8080\"") && shown.contains("sqlite://wayfinder-data/wayfinder.db"),
        "{shown}"
    );

    let bad =
        Command::new(BIN).arg("config").current_dir(dir).env("WAYFINDER_BIND", "not an address").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid configuration"));
}

/// Deterministic prose: `words` words from a small vocabulary, in sentences.
/// `wayfinder bench …` runs `wayfinder-bench` from its own folder, git-style: the arguments go
/// through unchanged (less the word `bench`), the exit code comes back, and without the program
/// the error says how to build it. A copy of the binary in an empty folder, beside a stand-in
/// script, shows each.
#[test]
fn bench_runs_the_sibling_program_or_says_how_to_build_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("wayfinder");
    std::fs::copy(BIN, &bin).unwrap();
    let run = |args: &[&str]| {
        Command::new(&bin).args(args).current_dir(dir.path()).env("WAYFINDER_LOG_LEVEL", "warn").output().unwrap()
    };

    let out = run(&["bench", "api", "--seconds", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cargo build --release -p wayfinder-bench"), "{stderr}");
    assert!(stderr.contains(&dir.path().join("wayfinder-bench").display().to_string()), "{stderr}");

    let script = dir.path().join("wayfinder-bench");
    std::fs::write(&script, "#!/bin/sh\nfor arg in \"$@\"; do echo \"[$arg]\"; done\nexit 3\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(&["--log-level", "warn", "bench", "--data-dir", "d", "coach", "--turns", "5", "--help"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "[--log-level]\n[warn]\n[--data-dir]\n[d]\n[coach]\n[--turns]\n[5]\n[--help]\n"
    );
}

fn prose(seed: usize, words: usize) -> String {
    const VOCAB: [&str; 24] = [
        "learners",
        "review",
        "notes",
        "weekly",
        "practice",
        "questions",
        "coach",
        "goals",
        "reading",
        "memory",
        "attention",
        "schedule",
        "feedback",
        "mastery",
        "concepts",
        "summary",
        "examples",
        "habits",
        "focus",
        "sleep",
        "planning",
        "reflection",
        "teams",
        "assessment",
    ];
    let mut out = String::with_capacity(words * 8);
    for i in 0..words {
        out.push_str(VOCAB[(i * 7 + seed * 13 + i / 5) % VOCAB.len()]);
        out.push_str(if i % 12 == 11 { ". " } else { " " });
    }
    out
}

async fn ingestion_resumes_after_kill_9(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    wayfinder(&db, &["org", "create", "--slug", "resume", "--name", "Resume"], None);
    wayfinder(
        &db,
        &["user", "create", "--email", "ops@example.org", "--name", "Ops", "--org", "resume", "--role", "admin"],
        None,
    );
    let token =
        wayfinder(&db, &["token", "create", "--email", "ops@example.org", "--name", "test"], None).trim().to_string();
    // Ten files of ~500 small chunks each: ~5,000 chunks.
    let files: Vec<(String, String)> =
        (0..10).map(|i| (format!("part-{i}.md"), format!("# Part {i}\n\n{}", prose(i, 19_000)))).collect();

    let mut server = serve_with(&db, &[("WAYFINDER_JOB_LEASE_SECONDS", "2"), ("WAYFINDER_EMBEDDING_PROVIDER", "none")]);
    let http = reqwest::Client::new();
    let api = |path: &str| format!("{}/api/v1{path}", server.base);
    let orgs: Value = http.get(api("/orgs")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let org = orgs[0]["organisation"]["id"].as_str().unwrap().to_string();
    let mut collections = Vec::new();
    for name in ["interrupted", "control"] {
        let created: Value = http
            .post(api(&format!("/orgs/{org}/collections")))
            .bearer_auth(&token)
            .json(&json!({ "name": name, "chunk_tokens": 50, "chunk_overlap": 5 }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        collections.push(created["id"].as_str().unwrap().to_string());
    }
    let form = || {
        files.iter().fold(reqwest::multipart::Form::new(), |form, (name, text)| {
            form.part("file", reqwest::multipart::Part::bytes(text.clone().into_bytes()).file_name(name.clone()))
        })
    };
    let upload = |collection: &str| {
        http.post(api(&format!("/orgs/{org}/collections/{collection}/documents")))
            .bearer_auth(&token)
            .multipart(form())
            .send()
    };
    let job: Value = upload(&collections[0]).await.unwrap().json().await.unwrap();
    let job_id = job["id"].as_str().unwrap().to_string();

    // Kill the server hard once some, but not all, files are in.
    let started = Instant::now();
    loop {
        let job: Value =
            http.get(api(&format!("/jobs/{job_id}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let done = job["files"].as_array().unwrap().iter().filter(|f| f["state"] != "pending").count();
        if done >= 1 {
            assert!(done < files.len(), "the job finished before it could be interrupted; make the files bigger");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "ingestion did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Command::new("kill").args(["-KILL", &server.child.id().to_string()]).status().unwrap();
    let _ = server.child.wait();

    // Restarted, the server takes the job over once the dead worker's lease runs out.
    server = serve_with(&db, &[("WAYFINDER_JOB_LEASE_SECONDS", "2"), ("WAYFINDER_EMBEDDING_PROVIDER", "none")]);
    let api = |path: &str| format!("{}/api/v1{path}", server.base);
    let wait = |job: String| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            let started = Instant::now();
            loop {
                let view: Value = http
                    .get(api(&format!("/jobs/{job}")))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if view["state"] == "succeeded" || view["state"] == "failed" {
                    return view;
                }
                assert!(started.elapsed() < Duration::from_secs(300), "job {job} did not finish: {view}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    let resumed = wait(job_id.clone()).await;
    assert_eq!(resumed["state"], "succeeded", "{resumed}");
    let control_job: Value = http
        .post(api(&format!("/orgs/{org}/collections/{}/documents", collections[1])))
        .bearer_auth(&token)
        .multipart(form())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let control = wait(control_job["id"].as_str().unwrap().to_string()).await;
    assert_eq!(control["state"], "succeeded");

    // Exactly the chunks an uninterrupted run makes: no duplicate, nothing orphaned.
    let chunks_of =
        |job: &Value| job["files"].as_array().unwrap().iter().map(|f| f["chunk_count"].as_i64().unwrap()).sum::<i64>();
    let expected = chunks_of(&control);
    assert!(expected >= 4_000, "the test needs a large ingestion, got {expected} chunks");
    assert_eq!(chunks_of(&resumed), expected);
    let store =
        wayfinder_store::Store::connect(&wayfinder_store::StoreOptions { url: db.url.clone(), max_connections: 2 })
            .await
            .unwrap();
    let org_id: wayfinder_accounts_rules::OrgId = org.parse().unwrap();
    for collection in &collections {
        let id = collection.parse().unwrap();
        assert_eq!(store.count_chunks(org_id, Some(id)).await.unwrap(), expected, "chunks stored in {collection}");
        let documents = store.list_documents(org_id, Some(id)).await.unwrap();
        assert_eq!(documents.len(), files.len());
        assert_eq!(documents.iter().map(|d| d.chunk_count).sum::<i64>(), expected);
    }
    server.terminate();
}

/// `eval answers` on a three-document fixture: five answerable questions (the last one
/// deliberately expects the wrong document, so "answered" and "cited as expected" differ) and two
/// off-topic ones, lexically and, when the test model is there, with it.
/// Runs `wayfinder` against `db` with extra environment; returns (success, stdout, stderr).
fn wayfinder_env(db: &TestDatabase, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("WAYFINDER_DATABASE_URL", &db.url)
        .env("WAYFINDER_LOG_LEVEL", "warn")
        .env("WAYFINDER_EMBEDDING_PROVIDER", "none")
        .envs(env.iter().copied())
        .output()
        .expect("wayfinder runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

async fn backup_and_restore_round_trip(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    // pg_dump and pg_restore as new as the test server, from its installation.
    let tools = std::env::var("WAYFINDER_TEST_PG_BIN").unwrap_or_default();
    let env: Vec<(&str, &str)> = match backend {
        Backend::Postgres => vec![("WAYFINDER_POSTGRES_TOOLS_DIR", tools.as_str())],
        Backend::Sqlite => vec![],
    };
    wayfinder(&db, &["org", "create", "--slug", "kept", "--name", "Kept"], None);
    for (email, role) in [("ada@kept.example", "admin"), ("lee@kept.example", "learner")] {
        wayfinder(&db, &["user", "create", "--email", email, "--name", email, "--org", "kept", "--role", role], None);
    }
    wayfinder(&db, &["token", "create", "--email", "ada@kept.example", "--name", "ops"], None);
    wayfinder(&db, &["collection", "create", "--org", "kept", "--name", "Handbook"], None);
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("rules.md");
    std::fs::write(&file, "# House rules\n\nQuiet hours begin at ten in the evening and last until seven.").unwrap();
    let (ok, _, err) =
        wayfinder_env(&db, &["ingest", file.to_str().unwrap(), "--org", "kept", "--collection", "Handbook"], &env);
    assert!(ok, "{err}");

    // The backup folder: a manifest with every table's count, and the database file.
    let out_dir = folder.path().join("backup");
    let (ok, out, err) = wayfinder_env(&db, &["backup", "--out", out_dir.to_str().unwrap()], &env);
    assert!(ok, "{err}");
    assert!(out.contains("backed up"), "{out}");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("manifest.json")).unwrap()).unwrap();
    let tables = manifest["tables"].as_object().unwrap();
    assert!(tables.len() > 60, "every table: {}", tables.len());
    assert_eq!((tables["organisations"].as_i64(), tables["people"].as_i64()), (Some(1), Some(2)));
    assert_eq!((tables["documents"].as_i64(), tables["api_tokens"].as_i64()), (Some(1), Some(1)));
    assert!(tables["chunks"].as_i64() >= Some(1));
    // A second backup into the same folder is refused.
    let (ok, _, err) = wayfinder_env(&db, &["backup", "--out", out_dir.to_str().unwrap()], &env);
    assert!(!ok && err.contains("already holds a backup"), "{err}");

    // Restored into a new database: the same people, organisations and searchable text.
    let fresh = TestDatabase::create(backend).await;
    let (ok, out, err) = wayfinder_env(&fresh, &["restore", "--from", out_dir.to_str().unwrap()], &env);
    assert!(ok, "{err}");
    assert!(out.contains("every table's count matches"), "{out}");
    assert_eq!(wayfinder(&fresh, &["user", "list"], None), wayfinder(&db, &["user", "list"], None));
    assert_eq!(wayfinder(&fresh, &["org", "list"], None), wayfinder(&db, &["org", "list"], None));
    let (ok, found, err) =
        wayfinder_env(&fresh, &["search", "when do quiet hours begin", "--org", "kept", "--mode", "lexical"], &env);
    assert!(ok && found.contains("Quiet hours begin at ten"), "{found}{err}");
    // Into a database that is not empty, a restore is refused and changes nothing.
    let (ok, _, err) = wayfinder_env(&db, &["restore", "--from", out_dir.to_str().unwrap()], &env);
    assert!(!ok && err.contains("not empty"), "{err}");
    assert_eq!(wayfinder(&db, &["org", "list"], None).lines().count(), 1);
}

async fn eval_answers_counts_what_the_coach_did(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/answers");
    let (documents, questions) = (format!("{data}/fixture"), format!("{data}/fixture-questions.jsonl"));
    let mut modes = vec![vec!["--mode", "lexical"]];
    let model = std::env::var("WAYFINDER_TEST_EMBEDDING_MODEL").ok();
    if let Some(dir) = &model {
        modes.push(vec!["--mode", "hybrid", "--embedding-model", dir.as_str()]);
    }
    for mode in modes {
        let mut args = vec!["eval", "answers", "--documents", documents.as_str(), "--questions", questions.as_str()];
        args.extend(&mode);
        let out = wayfinder(&db, &args, None);
        assert!(out.contains("3 documents"), "{out}");
        assert!(
            out.contains(
                "answerable questions: 5; answered: 5 (100.0 %); answered citing an expected document: 4 (80.0 %)"
            ),
            "{mode:?}:\n{out}"
        );
        assert!(out.contains("off-topic questions: 2; refused: 2 (100.0 %)"), "{mode:?}:\n{out}");
        assert!(out.contains("turn latency: p50"), "{out}");
    }
    // A throwaway organisation each time: nothing is left behind.
    let orgs = wayfinder(&db, &["org", "list"], None);
    assert!(!orgs.contains("eval-"), "{orgs}");

    // A question expecting a file the folder does not hold is an error, before anything is loaded.
    let bad = std::env::temp_dir().join(format!("wayfinder-bad-questions-{}.jsonl", std::process::id()));
    std::fs::write(&bad, "{\"question\": \"Where?\", \"expect\": [\"missing.md\"]}\n").unwrap();
    let out = Command::new(BIN)
        .args(["eval", "answers", "--documents", documents.as_str(), "--questions", bad.to_str().unwrap()])
        .env("WAYFINDER_DATABASE_URL", &db.url)
        .output()
        .unwrap();
    std::fs::remove_file(&bad).unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"missing.md\", which is not in"), "{out:?}");
}

/// `kill -9` while the outbox worker is sending 1,000 messages to ten Telegram chats: the
/// fake Bot API holds its answers after 300, so the server dies with sends in flight, claims
/// not yet attempted and most messages queued. After a restart every message reaches the
/// platform exactly once: unsent claims are taken again when their lease runs out, and the
/// sends that were in flight (Telegram takes no idempotency key) are settled as uncertain
/// rather than sent twice.
async fn outbox_delivers_exactly_once_after_kill_9(backend: Backend) {
    use wayfinder_channels::fake::FakePlatform;
    use wayfinder_channels_rules::Channel;
    let db = TestDatabase::create(backend).await;
    wayfinder(&db, &["org", "create", "--slug", "outbox", "--name", "Outbox"], None);
    let store =
        wayfinder_store::Store::connect(&wayfinder_store::StoreOptions { url: db.url.clone(), max_connections: 2 })
            .await
            .unwrap();
    let org = store.list_orgs().await.unwrap()[0].id;
    let setup =
        json!({ "bot_token": "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "webhook_secret": "telegram-secret-4f1c9a" });
    store.put_channel_config(org, Channel::Telegram, &setup).await.unwrap();
    const MESSAGES: usize = 1_000;
    for i in 0..MESSAGES {
        let new = wayfinder_store::NewOutbound {
            org,
            person: None,
            channel: Channel::Telegram,
            destination: format!("{}", 1_000 + i % 10),
            payload: json!({ "text": format!("message {i:04}") }),
            idempotency_key: format!("crash:{i}"),
            send_at: chrono::Utc::now(),
        };
        store.enqueue_outbound(&new).await.unwrap();
    }
    let platform = FakePlatform::start().await;
    platform.hold_after(300);
    let env = [
        ("WAYFINDER_TELEGRAM_API_URL", platform.base_url()),
        ("WAYFINDER_OUTBOX_LEASE_SECONDS", "3".to_string()),
        ("WAYFINDER_TELEGRAM_MESSAGES_PER_SECOND", "10000".to_string()),
        ("WAYFINDER_EMBEDDING_PROVIDER", "none".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut server = serve_with(&db, &env);
    platform.wait_until(Duration::from_secs(60), |requests| requests.len() > 300).await;
    // Every sender that has begun an attempt is waiting on the platform once the count of held
    // requests stops changing.
    let held_now = || platform.requests().iter().filter(|r| !r.delivered).count();
    let mut held_before = held_now();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let held = held_now();
        if held == held_before {
            break;
        }
        held_before = held;
    }
    let held = platform.requests();
    Command::new("kill").args(["-KILL", &server.child.id().to_string()]).status().unwrap();
    let _ = server.child.wait();
    let in_flight = held.iter().filter(|r| !r.delivered).count();
    assert!(in_flight >= 1, "the server died with sends in flight");

    // The platform answers again; the restarted server sends the rest.
    platform.release();
    server = serve_with(&db, &env);
    let texts = |requests: &[wayfinder_channels::fake::Received]| {
        requests.iter().map(|r| r.text.clone()).collect::<std::collections::BTreeSet<_>>()
    };
    platform.wait_until(Duration::from_secs(120), |requests| texts(requests).len() == MESSAGES).await;
    // Until the interrupted sends are settled, nothing more may arrive.
    let started = Instant::now();
    let rows = loop {
        let rows = store.outbound_of(org, 2 * MESSAGES as i64).await.unwrap();
        if rows.iter().all(|r| {
            r.state != wayfinder_store::OutboundState::Sending && r.state != wayfinder_store::OutboundState::Queued
        }) {
            break rows;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "messages were left unsettled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let requests = platform.requests();
    assert_eq!(requests.len(), MESSAGES, "each message reached the platform exactly once");
    assert_eq!(texts(&requests).len(), MESSAGES);
    for chat in 0..10 {
        let destination = format!("{}", 1_000 + chat);
        let to_chat: Vec<&str> =
            requests.iter().filter(|r| r.destination == destination).map(|r| r.text.as_str()).collect();
        assert_eq!(to_chat.len(), MESSAGES / 10, "chat {destination}");
    }
    let uncertain = rows.iter().filter(|r| r.state == wayfinder_store::OutboundState::Uncertain).count();
    let sent = rows.iter().filter(|r| r.state == wayfinder_store::OutboundState::Sent).count();
    assert_eq!(uncertain, in_flight, "the sends in flight at the kill are the uncertain ones");
    assert_eq!(sent + uncertain, MESSAGES, "{rows:#?}");
    server.terminate();
}

async fn jwks_kids(server: &Server) -> Vec<String> {
    let jwks: Value =
        reqwest::get(format!("{}/.well-known/jwks.json", server.base)).await.unwrap().json().await.unwrap();
    jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_string()).collect()
}

async fn the_server_key_seals_signing_keys_and_can_be_replaced(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let (first, second) = (wayfinder(&db, &["secret-key", "new"], None), wayfinder(&db, &["secret-key", "new"], None));
    let (first, second) = (first.trim(), second.trim());
    assert!(first.len() == 64 && first.bytes().all(|b| b.is_ascii_hexdigit()) && first != second, "{first} {second}");

    // The first signing key is made, sealed with the first server key.
    let server = serve_with(&db, &[("WAYFINDER_SECRET_KEY", first)]);
    let kids = jwks_kids(&server).await;
    assert_eq!(kids.len(), 1);
    server.terminate();

    // An instance with another key refuses to start, and says why.
    let (ok, _, err) = wayfinder_env(&db, &["serve", "--bind", "127.0.0.1:0"], &[("WAYFINDER_SECRET_KEY", second)]);
    assert!(!ok, "serve started with the wrong server key");
    assert!(err.contains("sealed with server key") && err.contains("previous_secret_keys"), "{err}");
    let (ok, _, err) =
        wayfinder_env(&db, &["serve", "--bind", "127.0.0.1:0"], &[("WAYFINDER_SECRET_KEY", "not-a-key")]);
    assert!(!ok && err.contains("secret_key"), "{err}");

    // Given the old key as a previous one, it starts and seals the signing key again with the new
    // key; from then on the new key alone suffices, and the same key still signs.
    let env = [("WAYFINDER_SECRET_KEY", second), ("WAYFINDER_PREVIOUS_SECRET_KEYS", first)];
    let server = serve_with(&db, &env);
    assert_eq!(jwks_kids(&server).await, kids);
    server.terminate();
    let server = serve_with(&db, &[("WAYFINDER_SECRET_KEY", second)]);
    assert_eq!(jwks_kids(&server).await, kids);
    server.terminate();
    let (ok, _, err) = wayfinder_env(&db, &["serve", "--bind", "127.0.0.1:0"], &[("WAYFINDER_SECRET_KEY", first)]);
    assert!(!ok && err.contains("sealed with server key"), "the old key no longer opens it: {err}");
}

/// Without a configured key, the first start writes one into the data folder, readable by its owner only.
#[test]
fn a_first_start_writes_the_server_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wayfinder.db");
    let url = format!("sqlite://{}", db.display());
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("WAYFINDER_DATA_DIR", dir.path())
        .env("WAYFINDER_DATABASE_URL", &url)
        .env("WAYFINDER_LOG_LEVEL", "warn")
        .env("WAYFINDER_EMBEDDING_PROVIDER", "none")
        .env_remove("WAYFINDER_SECRET_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let file = dir.path().join("secret.key");
    let started = Instant::now();
    let written = |f: &std::path::Path| std::fs::metadata(f).is_ok_and(|m| m.len() >= 64);
    while !written(&file) && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    let key = std::fs::read_to_string(&file).expect("the key file is written");
    assert!(key.trim().len() == 64 && key.trim().bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
}

wayfinder_testing::on_both_backends!(
    the_server_key_seals_signing_keys_and_can_be_replaced,
    backup_and_restore_round_trip,
    eval_answers_counts_what_the_coach_did,
    first_run_setup_link_then_clean_shutdown,
    administering_from_the_command_line,
    output_to_a_closed_pipe_ends_quietly,
    ingestion_resumes_after_kill_9,
    outbox_delivers_exactly_once_after_kill_9
);
