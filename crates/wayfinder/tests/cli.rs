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
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--log-format", "json"])
        .env("WAYFINDER_DATABASE_URL", &db.url)
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

macro_rules! on_both_backends {
    ($($name:ident),*) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(super::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(super::Backend::Postgres).await } )* }
    };
}

on_both_backends!(first_run_setup_link_then_clean_shutdown, administering_from_the_command_line);
