//! `wayfinder-bench api` measures what one authenticated API call costs end to end: it
//! prepares a throwaway database (a temp SQLite file, or a fresh database on
//! the configured PostgreSQL server), seeds a person, an organisation and an
//! API token through the store's own code paths, starts the real server as a
//! child process (`wayfinder serve`, the `wayfinder` binary beside this one), and drives `GET /api/v1/me` over
//! keep-alive HTTP/1.1 connections. It reports throughput, latency
//! percentiles, the server's memory when idle and after load, and how the CPU
//! was split between server and load generator.
//!
//! The load generator runs inside the bench binary on purpose: one command
//! reproduces the measurement anywhere without installing `wrk` or `oha`, and
//! it shares the machine's cores with the server, which is the condition our
//! performance target is stated under (a small box running everything).

use crate::cli::BenchApiArgs;
use anyhow::{Context, bail};
use chrono::Utc;
use http_body_util::{BodyExt, Empty};
use hyper::{
    Request, StatusCode,
    body::Bytes,
    client::conn::http1::{SendRequest, handshake},
    header::{AUTHORIZATION, HOST, HeaderValue},
};
use hyper_util::rt::TokioIo;
use std::{
    net::SocketAddr,
    path::PathBuf,
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::TcpStream,
    process::{Child, Command},
};
use wayfinder::config::{Config, mask_url_password};
use wayfinder_accounts_rules::{Role, generate_password, hash_password, new_secret};
use wayfinder_store::{NewPerson, Store, StoreOptions};

/// Unmeasured load before the window opens, so connection set-up, statement
/// caches and allocator growth do not count.
const WARM_UP: Duration = Duration::from_secs(1);
/// Quiet time between readiness and the idle memory reading.
const SETTLE: Duration = Duration::from_secs(2);
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
const ME_PATH: &str = "/api/v1/me";

/// `wayfinder-bench api`: set up, measure, always clean up, then report.
pub async fn run(config: &Config, args: &BenchApiArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.connections > 0, "--connections must be at least 1");
    anyhow::ensure!(args.seconds > 0, "--seconds must be at least 1");
    let report =
        Scratch::around(&config.database_url(), async |scratch| measure_api(scratch, config, args).await).await?;
    report.print();
    if report.errors > 0 {
        bail!("{} of {} measured requests failed: the figures above are not valid", report.errors, report.requests);
    }
    Ok(())
}

async fn measure_api(scratch: &Scratch, config: &Config, args: &BenchApiArgs) -> anyhow::Result<ApiReport> {
    eprintln!("bench: seeding a person, an organisation and an API token ({})", scratch.backend);
    let token = seed(&scratch.database_url).await?;
    let server = Server::start(scratch, config.database_max_connections).await?;
    // Stop the server whatever happened, so a failed run leaves nothing behind.
    let outcome = load_server(&server, &token, args).await;
    server.stop().await;
    let (memory, load) = outcome?;
    Ok(ApiReport::new(scratch.backend, args, memory, load))
}

/// Everything measured against the running server.
async fn load_server(server: &Server, token: &str, args: &BenchApiArgs) -> anyhow::Result<(MemoryFigures, LoadResult)> {
    let bearer = bearer_header(token)?;
    probe_me(server.addr, &bearer).await?;
    tokio::time::sleep(SETTLE).await;
    let idle = read_memory(server.pid)?;
    eprintln!(
        "bench: {} connections, {} s warm-up + {} s measured against {}",
        args.connections,
        WARM_UP.as_secs(),
        args.seconds,
        server.addr
    );
    let load = generate_load(server, bearer, args).await;
    // Not fatal: if the server died under load, the request errors are the
    // finding and must still be reported.
    let after = read_memory(server.pid)
        .inspect_err(|e| eprintln!("bench: warning: no memory reading after the load: {e:#}"))
        .ok();
    Ok((MemoryFigures { idle, after }, load))
}

// ---------------------------------------------------------------------------
// Throwaway database

/// A temp folder and database that exist only for one run.
pub(crate) struct Scratch {
    dir: PathBuf,
    pub(crate) database_url: String,
    pub(crate) backend: &'static str,
    /// For PostgreSQL: the configured URL (to drop from) and the database name.
    postgres: Option<(String, String)>,
}

impl Scratch {
    /// Runs `measure` on a scratch copy of the backend `configured_url` names, then removes the
    /// copy whether or not the measurement succeeded.
    pub(crate) async fn around<T>(
        configured_url: &str,
        measure: impl AsyncFnOnce(&Scratch) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let scratch = Scratch::create(configured_url).await?;
        let outcome = measure(&scratch).await;
        scratch.remove().await;
        outcome
    }

    /// Creates the folder and, for PostgreSQL, an empty database next to the configured one.
    pub(crate) async fn create(configured_url: &str) -> anyhow::Result<Scratch> {
        let id = unique_suffix();
        let dir = std::env::temp_dir().join(format!("wayfinder-bench-{id}"));
        std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        if configured_url.starts_with("sqlite:") {
            let database_url = format!("sqlite://{}", dir.join("wayfinder.db").display());
            return Ok(Scratch { dir, database_url, backend: "sqlite", postgres: None });
        }
        if !(configured_url.starts_with("postgres:") || configured_url.starts_with("postgresql:")) {
            let _ = std::fs::remove_dir_all(&dir);
            bail!("unsupported database URL {}: expected sqlite:… or postgres://…", mask_url_password(configured_url));
        }
        let name = format!("wf_bench_{id}");
        if let Err(e) = postgres_admin(configured_url, &format!("CREATE DATABASE {name}")).await {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e.context(format!("cannot create database {name} on {}", mask_url_password(configured_url))));
        }
        let database_url = with_database(configured_url, &name);
        Ok(Scratch { dir, database_url, backend: "postgres", postgres: Some((configured_url.to_string(), name)) })
    }

    /// Drops the database and deletes the folder; failures are reported, not fatal.
    pub(crate) async fn remove(&self) {
        if let Some((admin_url, name)) = &self.postgres {
            // FORCE ends any connection the server left behind if it had to be killed.
            if let Err(e) = postgres_admin(admin_url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await {
                eprintln!("bench: warning: could not drop database {name}: {e:#}");
            }
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            eprintln!("bench: warning: could not remove {}: {e}", self.dir.display());
        }
    }
}

/// Runs one statement (CREATE/DROP DATABASE) on its own connection: these
/// cannot run inside a transaction, and a pool would be overkill.
async fn postgres_admin(url: &str, statement: &str) -> anyhow::Result<()> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(url).await?;
    conn.execute(statement).await?;
    conn.close().await?;
    Ok(())
}

/// `url` with its database (the path) replaced by `name`, query kept.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest, None),
    };
    let authority = location.split_once('/').map_or(location, |(authority, _)| authority);
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

/// Sixteen lowercase hex digits, different for every run (a valid unquoted SQL identifier part).
fn unique_suffix() -> String {
    use std::hash::BuildHasher;
    // RandomState is seeded from the OS; mixing in pid and time guards against reuse.
    let state = std::collections::hash_map::RandomState::new();
    format!("{:016x}", state.hash_one((std::process::id(), std::time::SystemTime::now())))
}

/// Migrates the throwaway database and creates the caller the benchmark acts
/// as: a learner in one organisation, with an API token. Returns the token.
async fn seed(database_url: &str) -> anyhow::Result<String> {
    let store = Store::connect(&StoreOptions { url: database_url.to_string(), max_connections: 2 })
        .await
        .with_context(|| format!("cannot open {}", mask_url_password(database_url)))?;
    let outcome = seed_learner_with_token(&store).await;
    store.close().await;
    outcome
}

pub(crate) async fn seed_learner_with_token(store: &Store) -> anyhow::Result<String> {
    store.migrate().await?;
    let person = store
        .create_person(&NewPerson {
            email: "bench@example.org".into(),
            display_name: "Bench Learner".into(),
            password_hash: Some(hash_password(&generate_password())?),
            is_operator: false,
        })
        .await?;
    let org = store.create_org("bench", "Benchmark").await?;
    store.add_member(org.id, person.id, Role::Learner).await?;
    let secret = new_secret("wft");
    store.create_token(person.id, "bench", &secret.digest, Utc::now() + chrono::Duration::days(1)).await?;
    Ok(secret.plaintext)
}

// ---------------------------------------------------------------------------
// The server under test

/// `wayfinder serve` running as a child process.
pub(crate) struct Server {
    child: Child,
    pub(crate) pid: u32,
    pub(crate) addr: SocketAddr,
}

/// The `wayfinder` binary in this binary's folder, where cargo builds both.
fn wayfinder_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find this program's own path")?;
    let server = exe.with_file_name(format!("wayfinder{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        server.is_file(),
        "bench api starts the server as `wayfinder serve`, but {} does not exist: build it with `cargo build --release -p wayfinder`",
        server.display()
    );
    Ok(server)
}

impl Server {
    /// Starts the server on a free port and waits until `/readyz` answers 200.
    async fn start(scratch: &Scratch, max_connections: u32) -> anyhow::Result<Server> {
        Self::start_with(scratch, max_connections, &[]).await
    }

    /// The same, with extra settings in the environment.
    pub(crate) async fn start_with(
        scratch: &Scratch,
        max_connections: u32,
        env: &[(&str, String)],
    ) -> anyhow::Result<Server> {
        // At --log-level warn the server does not log its address, so we pick
        // the port; another process could take it in between, which is rare.
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let mut child = Command::new(wayfinder_binary()?)
            .args(["serve", "--bind", &addr.to_string(), "--log-level", "warn", "--data-dir"])
            .arg(&scratch.dir)
            // Through the environment rather than --database-url, so a
            // PostgreSQL password does not show up in the process list.
            .env("WAYFINDER_DATABASE_URL", &scratch.database_url)
            .env("WAYFINDER_DATABASE_MAX_CONNECTIONS", max_connections.to_string())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start `wayfinder serve`")?;
        let pid = child.id().context("the server exited at once")?;
        drain_output(&mut child);
        wait_until_ready(&mut child, addr).await?;
        Ok(Server { child, pid, addr })
    }

    /// SIGTERM (the server's graceful path), then a kill if it lingers.
    pub(crate) async fn stop(mut self) {
        // `kill` rather than libc::kill: the workspace forbids unsafe code.
        let signalled = Command::new("kill").args(["-TERM", &self.pid.to_string()]).status().await;
        if !signalled.is_ok_and(|s| s.success()) {
            let _ = self.child.start_kill();
        }
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(Ok(status)) if status.success() => {}
            Ok(Ok(status)) => eprintln!("bench: warning: the server exited with {status}"),
            Ok(Err(e)) => eprintln!("bench: warning: could not wait for the server: {e}"),
            Err(_) => {
                eprintln!("bench: warning: the server ignored SIGTERM for {} s; killing it", STOP_TIMEOUT.as_secs());
                let _ = self.child.kill().await;
            }
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Keeps the pipes empty so the server never blocks on a write: stdout (the
/// first-run setup link) is discarded; stderr (warnings and errors only) is
/// shown, because a server complaining during a benchmark matters.
fn drain_output(child: &mut Child) {
    if let Some(mut stdout) = child.stdout.take() {
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut stdout, &mut tokio::io::sink()).await;
        });
    }
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("  server: {line}");
            }
        });
    }
}

async fn wait_until_ready(child: &mut Child, addr: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("the server exited during start-up ({status}); see its messages above");
        }
        if let Ok((StatusCode::OK, _)) = get_once(addr, "/readyz", None).await {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!("the server did not become ready within {} s", READY_TIMEOUT.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------
// HTTP client

type Sender = SendRequest<Empty<Bytes>>;

/// Opens one keep-alive HTTP/1.1 connection.
async fn connect(addr: SocketAddr) -> anyhow::Result<Sender> {
    let stream = TcpStream::connect(addr).await?;
    // Requests are tiny; without this Nagle can hold them back for milliseconds.
    stream.set_nodelay(true)?;
    let (sender, connection) = handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends a GET and reads the whole body (which keeps the connection reusable).
async fn get(
    sender: &mut Sender,
    addr: SocketAddr,
    path: &str,
    auth: Option<&HeaderValue>,
) -> anyhow::Result<(StatusCode, Bytes)> {
    sender.ready().await?;
    let mut request = Request::get(path).header(HOST, addr.to_string());
    if let Some(auth) = auth {
        request = request.header(AUTHORIZATION, auth.clone());
    }
    let response = sender.send_request(request.body(Empty::new())?).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

async fn get_once(addr: SocketAddr, path: &str, auth: Option<&HeaderValue>) -> anyhow::Result<(StatusCode, Bytes)> {
    get(&mut connect(addr).await?, addr, path, auth).await
}

fn bearer_header(token: &str) -> anyhow::Result<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// One call before the load, to be sure we measure real work: a 200 whose
/// body names the person, not a fast 401 or 404.
async fn probe_me(addr: SocketAddr, bearer: &HeaderValue) -> anyhow::Result<()> {
    let (status, body) = get_once(addr, ME_PATH, Some(bearer)).await?;
    let text = String::from_utf8_lossy(&body);
    anyhow::ensure!(status == StatusCode::OK, "GET {ME_PATH} answered {status}: {text}");
    let json: serde_json::Value =
        serde_json::from_slice(&body).with_context(|| format!("GET {ME_PATH} is not JSON: {text}"))?;
    anyhow::ensure!(json.get("person").is_some(), "GET {ME_PATH} has no `person` field: {text}");
    Ok(())
}

// ---------------------------------------------------------------------------
// Load

/// When each phase ends, shared by every connection.
struct Schedule {
    measure_from: Instant,
    measure_until: Instant,
}

/// What one connection saw inside the measured window.
#[derive(Default)]
struct ConnectionTally {
    /// Latency of each successful request, in microseconds.
    latencies_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

impl ConnectionTally {
    fn error(&mut self, finished: Instant, schedule: &Schedule, what: String) {
        if finished >= schedule.measure_from {
            self.errors += 1;
        }
        self.first_error.get_or_insert(what);
    }
}

/// Everything the load phase produced.
struct LoadResult {
    latencies_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
    cpu: Option<CpuSplit>,
}

/// CPU used during the measured window, in cores (CPU seconds per second).
#[derive(Clone, Copy)]
struct CpuSplit {
    server: f64,
    load_generator: f64,
}

async fn generate_load(server: &Server, bearer: HeaderValue, args: &BenchApiArgs) -> LoadResult {
    let measure_from = Instant::now() + WARM_UP;
    let schedule = Arc::new(Schedule { measure_from, measure_until: measure_from + Duration::from_secs(args.seconds) });
    let bearer = Arc::new(bearer);
    let tasks: Vec<_> = (0..args.connections)
        .map(|_| tokio::spawn(drive_connection(server.addr, bearer.clone(), schedule.clone())))
        .collect();

    // Sample CPU time at the window's edges while the connections run.
    tokio::time::sleep_until(schedule.measure_from.into()).await;
    let cpu_before = cpu_seconds(server.pid).zip(cpu_seconds(std::process::id()));
    tokio::time::sleep_until(schedule.measure_until.into()).await;
    let cpu_after = cpu_seconds(server.pid).zip(cpu_seconds(std::process::id()));
    let window = args.seconds as f64;
    let cpu = cpu_before
        .zip(cpu_after)
        .map(|((s0, g0), (s1, g1))| CpuSplit { server: (s1 - s0) / window, load_generator: (g1 - g0) / window });

    let mut result = LoadResult { latencies_us: Vec::new(), errors: 0, first_error: None, cpu };
    for task in tasks {
        match task.await {
            Ok(tally) => {
                result.latencies_us.extend(tally.latencies_us);
                result.errors += tally.errors;
                result.first_error = result.first_error.or(tally.first_error);
            }
            Err(e) => {
                result.errors += 1;
                result.first_error.get_or_insert(format!("a connection task failed: {e}"));
            }
        }
    }
    result
}

/// One client connection issuing `GET /api/v1/me` back-to-back until the
/// window closes; reconnects if the server drops it.
async fn drive_connection(addr: SocketAddr, bearer: Arc<HeaderValue>, schedule: Arc<Schedule>) -> ConnectionTally {
    let mut tally = ConnectionTally { latencies_us: Vec::with_capacity(4096), ..Default::default() };
    while Instant::now() < schedule.measure_until {
        let mut sender = match connect(addr).await {
            Ok(sender) => sender,
            Err(e) => {
                tally.error(Instant::now(), &schedule, format!("connect: {e:#}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        loop {
            let started = Instant::now();
            if started >= schedule.measure_until {
                return tally;
            }
            let outcome = get(&mut sender, addr, ME_PATH, Some(&bearer)).await;
            let finished = Instant::now();
            match outcome {
                Ok((StatusCode::OK, _)) if finished >= schedule.measure_from => {
                    let micros = finished.duration_since(started).as_micros();
                    tally.latencies_us.push(u32::try_from(micros).unwrap_or(u32::MAX));
                }
                Ok((StatusCode::OK, _)) => {}
                Ok((status, body)) => {
                    tally.error(finished, &schedule, format!("{status}: {}", String::from_utf8_lossy(&body)));
                }
                Err(e) => {
                    tally.error(finished, &schedule, format!("request: {e:#}"));
                    break;
                }
            }
        }
    }
    tally
}

// ---------------------------------------------------------------------------
// /proc readings (Linux)

/// Resident memory of a process: now and its peak so far, in kB.
#[derive(Clone, Copy)]
pub(crate) struct Memory {
    pub(crate) rss_kb: u64,
    pub(crate) peak_kb: u64,
}

struct MemoryFigures {
    idle: Memory,
    /// None when the server was gone by the end of the load.
    after: Option<Memory>,
}

pub(crate) fn read_memory(pid: u32) -> anyhow::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read the memory of process {pid} (this benchmark needs Linux /proc)"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        // A process that has exited but not been reaped has no memory lines.
        let line = status.lines().find(|l| l.starts_with(name)).with_context(|| format!("process {pid} has exited"))?;
        let kb = line.trim_start_matches(name).trim().trim_end_matches("kB").trim();
        Ok(kb.parse()?)
    };
    Ok(Memory { rss_kb: field("VmRSS:")?, peak_kb: field("VmHWM:")? })
}

/// User + system CPU time of a process so far, in seconds (None if unreadable).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; everything after its ')' is
    // space-separated, starting at field 3, so utime (14) and stime (15) are 11 and 12.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / clock_ticks_per_second())
}

/// The kernel's clock tick rate; asked once via `getconf` (no libc without unsafe).
fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

// ---------------------------------------------------------------------------
// Report

/// Latency percentiles of the successful requests, in milliseconds.
struct Latency {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    mean: f64,
}

impl Latency {
    fn of(mut micros: Vec<u32>) -> Option<Latency> {
        if micros.is_empty() {
            return None;
        }
        micros.sort_unstable();
        let ms = |us: u32| f64::from(us) / 1000.0;
        // Nearest-rank percentile: the smallest sample with at least q of all at or below it.
        let rank = |q: f64| ms(micros[((q * micros.len() as f64).ceil() as usize).clamp(1, micros.len()) - 1]);
        let mean = micros.iter().map(|&us| u64::from(us)).sum::<u64>() as f64 / micros.len() as f64 / 1000.0;
        Some(Latency { p50: rank(0.50), p90: rank(0.90), p99: rank(0.99), max: ms(micros[micros.len() - 1]), mean })
    }
}

struct ApiReport {
    backend: &'static str,
    connections: usize,
    seconds: u64,
    requests: u64,
    errors: u64,
    first_error: Option<String>,
    throughput: f64,
    latency: Option<Latency>,
    memory: MemoryFigures,
    cpu: Option<CpuSplit>,
}

impl ApiReport {
    fn new(backend: &'static str, args: &BenchApiArgs, memory: MemoryFigures, load: LoadResult) -> ApiReport {
        let ok = load.latencies_us.len() as u64;
        ApiReport {
            backend,
            connections: args.connections,
            seconds: args.seconds,
            requests: ok + load.errors,
            errors: load.errors,
            first_error: load.first_error,
            throughput: ok as f64 / args.seconds as f64,
            latency: Latency::of(load.latencies_us),
            memory,
            cpu: load.cpu,
        }
    }

    /// The human-readable lines, then one JSON line for scripts (always last).
    fn print(&self) {
        let mb = |kb: u64| kb as f64 / 1024.0;
        println!(
            "wayfinder bench api — backend {}, {} connections, {} s (after {} s warm-up), GET {ME_PATH}",
            self.backend,
            self.connections,
            self.seconds,
            WARM_UP.as_secs()
        );
        println!("  requests      {} ({} errors)", self.requests, self.errors);
        if self.errors > 0 {
            println!("  !!! {} REQUESTS FAILED — first: {}", self.errors, self.first_error.as_deref().unwrap_or("?"));
        }
        println!("  throughput    {:.1} req/s (successful)", self.throughput);
        match &self.latency {
            Some(l) => println!(
                "  latency       p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   max {:.2} ms   mean {:.2} ms",
                l.p50, l.p90, l.p99, l.max, l.mean
            ),
            None => println!("  latency       no successful requests"),
        }
        match self.memory.after {
            Some(after) => println!(
                "  server RSS    idle {:.1} MB   after load {:.1} MB   peak {:.1} MB",
                mb(self.memory.idle.rss_kb),
                mb(after.rss_kb),
                mb(after.peak_kb)
            ),
            None => {
                println!("  server RSS    idle {:.1} MB   after load n/a (server gone)", mb(self.memory.idle.rss_kb))
            }
        }
        if let Some(cpu) = self.cpu {
            let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
            println!(
                "  CPU           server {:.2} cores   load generator {:.2} cores   (of {cores})",
                cpu.server, cpu.load_generator
            );
        }
        println!("{}", self.json());
    }

    fn json(&self) -> String {
        let mb = |kb: u64| round(kb as f64 / 1024.0, 1);
        let latency = |pick: fn(&Latency) -> f64| self.latency.as_ref().map(|l| round(pick(l), 3));
        let line = JsonReport {
            bench: "api",
            backend: self.backend,
            endpoint: ME_PATH,
            connections: self.connections,
            seconds: self.seconds,
            warm_up_seconds: WARM_UP.as_secs(),
            requests: self.requests,
            errors: self.errors,
            throughput_rps: round(self.throughput, 1),
            latency_p50_ms: latency(|l| l.p50),
            latency_p90_ms: latency(|l| l.p90),
            latency_p99_ms: latency(|l| l.p99),
            latency_max_ms: latency(|l| l.max),
            latency_mean_ms: latency(|l| l.mean),
            rss_idle_mb: mb(self.memory.idle.rss_kb),
            rss_after_load_mb: self.memory.after.map(|m| mb(m.rss_kb)),
            rss_peak_mb: self.memory.after.map(|m| mb(m.peak_kb)),
            cpu_server_cores: self.cpu.map(|c| round(c.server, 2)),
            cpu_load_generator_cores: self.cpu.map(|c| round(c.load_generator, 2)),
        };
        serde_json::to_string(&line).expect("plain numbers and strings serialise")
    }
}

/// The machine-readable line; a struct so the keys keep this order.
#[derive(serde::Serialize)]
struct JsonReport {
    bench: &'static str,
    backend: &'static str,
    endpoint: &'static str,
    connections: usize,
    seconds: u64,
    warm_up_seconds: u64,
    requests: u64,
    errors: u64,
    throughput_rps: f64,
    latency_p50_ms: Option<f64>,
    latency_p90_ms: Option<f64>,
    latency_p99_ms: Option<f64>,
    latency_max_ms: Option<f64>,
    latency_mean_ms: Option<f64>,
    rss_idle_mb: f64,
    rss_after_load_mb: Option<f64>,
    rss_peak_mb: Option<f64>,
    cpu_server_cores: Option<f64>,
    cpu_load_generator_cores: Option<f64>,
}

fn round(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_in_a_postgres_url_is_replaced() {
        assert_eq!(with_database("postgres://u:p@h:5432/app", "wf_bench_1"), "postgres://u:p@h:5432/wf_bench_1");
        assert_eq!(with_database("postgres://h?sslmode=disable", "x"), "postgres://h/x?sslmode=disable");
        assert_eq!(with_database("postgresql://u@h/app?a=b", "x"), "postgresql://u@h/x?a=b");
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let l = Latency::of((1..=100).map(|ms| ms * 1000).collect()).expect("samples");
        assert_eq!((l.p50, l.p90, l.p99, l.max), (50.0, 90.0, 99.0, 100.0));
        assert!(Latency::of(Vec::new()).is_none());
    }
}
