//! Test harness: each test gets the real server on port 0 with a fresh
//! database on the backend it asks for, and talks to it over HTTP.

use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use std::net::SocketAddr;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use wayfinder_accounts_rules::new_secret;
use wayfinder_knowledge::{IngestLimits, JobWorker, KnowledgeBase};
pub use wayfinder_server::ServerSettings;
use wayfinder_server::{AppState, WebAppSource};
use wayfinder_store::{Store, StoreOptions};

pub use wayfinder_testing::Backend;
use wayfinder_testing::TestDatabase;

pub const PASSWORD: &str = "violet-otter-sings-at-dawn";

/// A running server with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub store: Store,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    // Declared last: dropped after the store's pool is closed.
    _database: Option<TestDatabase>,
    url: String,
}

/// One server key for every server of the test run, as several instances on one database share one.
static SERVER_KEY: std::sync::LazyLock<std::sync::Arc<wayfinder_accounts_rules::sealing::Keyring>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(wayfinder_accounts_rules::sealing::Keyring::ephemeral()));

/// Settings used by tests unless a test asks otherwise.
pub fn test_settings() -> ServerSettings {
    ServerSettings {
        public_url: "http://wayfinder.test".into(),
        accounts: wayfinder_server::AccountSettings { server_key: SERVER_KEY.clone(), ..Default::default() },
        // No web app unless a test brings one, whatever this build embedded.
        web_app: WebAppSource::Folder(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/no-web-app")),
        ..ServerSettings::default()
    }
}

impl TestApp {
    /// The database this server uses, for a second process's view of it.
    pub fn database_url(&self) -> &str {
        &self.url
    }

    /// Starts the server on `backend` with default test settings.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, test_settings()).await
    }

    /// Starts the server on `backend` with `settings`.
    pub async fn spawn_with(backend: Backend, settings: ServerSettings) -> TestApp {
        Self::spawn_full(backend, settings, |store| KnowledgeBase::new(store, None, None, IngestLimits::default()))
            .await
    }

    /// Starts the server with a knowledge base built by `kb` (e.g. with an
    /// embedding model), and a job worker beside it.
    pub async fn spawn_full(
        backend: Backend,
        settings: ServerSettings,
        kb: impl FnOnce(Store) -> KnowledgeBase,
    ) -> TestApp {
        Self::spawn_with_models(backend, settings, kb, wayfinder_coach::Models::none()).await
    }

    /// Starts the server with chat models for the coach (e.g. the fake OpenAI server).
    pub async fn spawn_with_models(
        backend: Backend,
        settings: ServerSettings,
        kb: impl FnOnce(Store) -> KnowledgeBase,
        models: wayfinder_coach::Models,
    ) -> TestApp {
        let database = TestDatabase::create(backend).await;
        let url = database.url.clone();
        Self::start(Some(database), url, settings, kb, models, None).await
    }

    /// Starts the server with a speech endpoint for spoken interviews and these chat models.
    pub async fn spawn_with_speech(
        backend: Backend,
        models: wayfinder_coach::Models,
        speech: wayfinder_speech::SpeechClient,
    ) -> TestApp {
        let database = TestDatabase::create(backend).await;
        let url = database.url.clone();
        let kb = |store| KnowledgeBase::new(store, None, None, IngestLimits::default());
        Self::start(Some(database), url, test_settings(), kb, models, Some(speech)).await
    }

    /// A second instance on this one's database (several stateless instances on one PostgreSQL).
    pub async fn spawn_peer(&self) -> TestApp {
        self.spawn_peer_with(test_settings()).await
    }

    /// A second server on the same database with `settings`.
    pub async fn spawn_peer_with(&self, settings: ServerSettings) -> TestApp {
        let kb = |store| KnowledgeBase::new(store, None, None, IngestLimits::default());
        Self::start(None, self.url.clone(), settings, kb, wayfinder_coach::Models::none(), None).await
    }

    async fn start(
        database: Option<TestDatabase>,
        url: String,
        settings: ServerSettings,
        kb: impl FnOnce(Store) -> KnowledgeBase,
        models: wayfinder_coach::Models,
        speech: Option<wayfinder_speech::SpeechClient>,
    ) -> TestApp {
        let store =
            Store::connect(&StoreOptions { url: url.clone(), max_connections: 8 }).await.expect("connect store");
        store.migrate().await.expect("migrate");
        let kb = kb(store.clone()).with_org_endpoints(wayfinder_server::state::org_endpoints(&store, &settings));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = JobWorker::new(kb.clone(), chrono::Duration::seconds(5));
        let mut stop = stop_rx.clone();
        tokio::spawn(worker.run(async move {
            let _ = stop.wait_for(|s| *s).await;
        }));
        let state = AppState::new(kb, settings).with_models(models).with_speech(speech);
        tokio::spawn(state.channels.clone().run_inbound(stop_rx.clone()));
        tokio::spawn(state.channels.clone().run_outbox(stop_rx));
        let server = tokio::spawn(wayfinder_server::serve(
            listener,
            state,
            async move {
                let _ = rx.await;
                let _ = stop_tx.send(true);
            },
            std::time::Duration::from_secs(5),
        ));
        TestApp { addr, store, shutdown: Some(tx), server: Some(server), _database: database, url }
    }

    /// Absolute URL of a path such as `/api/v1/me`.
    /// The channels service over this app's database, for driving the schedulers at a chosen time.
    pub fn channels(&self) -> wayfinder_channels::Channels {
        let kb = KnowledgeBase::new(self.store.clone(), None, None, IngestLimits::default());
        AppState::new(kb, test_settings()).channels.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A new browser-like client with its own cookie jar.
    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder().cookie_store(true).build().unwrap(),
            base: format!("http://{}/api/v1", self.addr),
            csrf: None,
            bearer: None,
        }
    }

    /// Signals shutdown and waits for the server to finish in-flight requests.
    pub async fn stop(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(handle) => handle.await.expect("server task"),
            None => Ok(()),
        }
    }

    /// Row counts of every table (to prove a refused request changed nothing).
    pub async fn row_counts(&self) -> Vec<(&'static str, i64)> {
        self.store.row_counts().await.expect("row counts")
    }

    /// Creates the first operator through the setup endpoint and returns their signed-in client.
    pub async fn operator(&self) -> Client {
        let secret = new_secret("wfp");
        self.store.replace_setup_token(&secret.digest, chrono::Utc::now() + chrono::Duration::hours(1)).await.unwrap();
        let mut client = self.client();
        let (status, body) = client
            .post(
                "/setup",
                json!({ "token": secret.plaintext, "email": "operator@example.org", "display_name": "Olive Operator", "password": PASSWORD }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        client.csrf = Some(body["csrf_token"].as_str().unwrap().to_string());
        client
    }

    /// Invites `email` into `org` with `role` as `admin`, accepts as the
    /// invitee and returns the invitee's signed-in client and person id.
    pub async fn invite(&self, admin: &Client, org: &str, email: &str, role: &str) -> (Client, String) {
        self.invite_named(admin, org, email, role, email.split('@').next().unwrap()).await
    }

    /// [`TestApp::invite`], the invitee calling themselves `name`.
    pub async fn invite_named(
        &self,
        admin: &Client,
        org: &str,
        email: &str,
        role: &str,
        name: &str,
    ) -> (Client, String) {
        let (status, body) =
            admin.post(&format!("/orgs/{org}/invitations"), json!({ "email": email, "role": role })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let token = body["token"].as_str().unwrap().to_string();
        let mut client = self.client();
        let (status, body) = client
            .post("/invitations/accept", json!({ "token": token, "password": PASSWORD, "display_name": name }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        client.csrf = Some(body["csrf_token"].as_str().unwrap().to_string());
        (client, body["person"]["id"].as_str().unwrap().to_string())
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// An HTTP client acting as one person: cookie session (with CSRF token) or bearer token.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
}

impl Client {
    /// The same person talking to another server on the same database (cookies go by host, not
    /// port, so the session travels with them).
    pub fn rebased(&self, app: &TestApp) -> Client {
        Client { base: format!("http://{}/api/v1", app.addr), ..self.clone() }
    }

    /// A copy that authenticates with `token` instead of cookies.
    pub fn with_bearer(&self, token: &str) -> Client {
        Client { http: reqwest::Client::new(), base: self.base.clone(), csrf: None, bearer: Some(token.to_string()) }
    }

    /// Sends a request; returns status and JSON body (`null` when empty).
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, _, body) = self.send_full(method, path, body, HeaderMap::new()).await;
        (status, body)
    }

    /// Fetches a page outside the API (`/widget/…`) with this client's cookies and `headers`;
    /// returns status, headers and the body as text.
    pub async fn page(&self, path: &str, headers: HeaderMap) -> (StatusCode, HeaderMap, String) {
        let root = self.base.trim_end_matches("/api/v1");
        let resp = self.http.get(format!("{root}{path}")).headers(headers).send().await.expect("request sent");
        let (status, headers) = (resp.status(), resp.headers().clone());
        (status, headers, resp.text().await.unwrap_or_default())
    }

    /// Sends a request with extra headers; returns status, headers and JSON body.
    pub async fn send_full(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: HeaderMap,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.base, path)).headers(headers);
        if let Some(csrf) = &self.csrf {
            req = req.header("x-csrf-token", csrf);
        }
        if let Some(token) = &self.bearer {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let json =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, headers, json)
    }

    /// GETs a binary answer (an archive): status, headers and the bytes.
    pub async fn get_bytes(&self, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut req = self.http.get(format!("{}{}", self.base, path));
        if let Some(token) = &self.bearer {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.expect("request sent");
        let (status, headers) = (resp.status(), resp.headers().clone());
        (status, headers, resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default())
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PATCH, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, None).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PUT, path, Some(body)).await
    }

    /// Signs in with email and password, keeping the session cookie and CSRF token.
    pub async fn login(&mut self, email: &str, password: &str) -> (StatusCode, Value) {
        let (status, body) = self.post("/auth/login", json!({ "email": email, "password": password })).await;
        if status == StatusCode::OK {
            self.csrf = Some(body["csrf_token"].as_str().unwrap().to_string());
        }
        (status, body)
    }
}

/// Asserts an error response's status and code.
#[track_caller]
pub fn assert_error(actual: (StatusCode, Value), status: StatusCode, code: &str) {
    let (got_status, body) = actual;
    assert_eq!(got_status, status, "body: {body}");
    assert_eq!(body["error"]["code"], code, "body: {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "message missing: {body}");
}

/// A signed-in member: their client and person id.
pub struct Member {
    pub client: Client,
    pub id: String,
}

/// Two organisations with every role, built through the API the way an
/// operator and an admin would:
/// A: admin, manager → coach → learner ← parent, plus an unassigned learner;
/// B: admin_b and learner_b.
pub struct World {
    pub app: TestApp,
    pub operator: Client,
    pub org_a: String,
    pub org_b: String,
    pub admin: Member,
    pub manager: Member,
    pub coach: Member,
    pub learner: Member,
    pub other_learner: Member,
    pub parent: Member,
    pub admin_b: Member,
    pub learner_b: Member,
    /// Relationship ids in A: manager→coach, coach→learner, parent→learner.
    pub relationships_a: Vec<String>,
    /// A relationship in B (admin_b cannot have one; B gets a coach for it).
    pub relationship_b: String,
    /// A pending invitation in B.
    pub invitation_b: String,
}

async fn create_org(operator: &Client, slug: &str, name: &str) -> String {
    let (status, body) = operator.post("/orgs", json!({ "slug": slug, "name": name })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["organisation"]["id"].as_str().unwrap().to_string()
}

async fn relate(admin: &Client, org: &str, kind: &str, from: &str, to: &str) -> String {
    let (status, body) = admin
        .post(&format!("/orgs/{org}/relationships"), json!({ "kind": kind, "from_person": from, "to_person": to }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

impl World {
    /// Builds the world on `backend`.
    pub async fn build(backend: Backend) -> World {
        Self::build_on(TestApp::spawn(backend).await).await
    }

    /// The same world on an already started server.
    pub async fn build_on(app: TestApp) -> World {
        let operator = app.operator().await;
        let org_a = create_org(&operator, "north-high", "North High School").await;
        let org_b = create_org(&operator, "south-high", "South High School").await;

        let member = |(client, id): (Client, String)| Member { client, id };
        let admin = member(app.invite(&operator, &org_a, "admin@north.example", "admin").await);
        let manager = member(app.invite(&admin.client, &org_a, "manager@north.example", "manager").await);
        let coach = member(app.invite(&admin.client, &org_a, "coach@north.example", "coach").await);
        let learner = member(app.invite(&admin.client, &org_a, "learner@north.example", "learner").await);
        let other_learner = member(app.invite(&admin.client, &org_a, "other@north.example", "learner").await);
        let parent = member(app.invite(&admin.client, &org_a, "parent@north.example", "parent").await);
        let relationships_a = vec![
            relate(&admin.client, &org_a, "manager_coach", &manager.id, &coach.id).await,
            relate(&admin.client, &org_a, "coach_learner", &coach.id, &learner.id).await,
            relate(&admin.client, &org_a, "parent_learner", &parent.id, &learner.id).await,
        ];

        let admin_b = member(app.invite(&operator, &org_b, "admin@south.example", "admin").await);
        let learner_b = member(app.invite(&admin_b.client, &org_b, "learner@south.example", "learner").await);
        let coach_b = member(app.invite(&admin_b.client, &org_b, "coach@south.example", "coach").await);
        let relationship_b = relate(&admin_b.client, &org_b, "coach_learner", &coach_b.id, &learner_b.id).await;
        let (status, body) = admin_b
            .client
            .post(&format!("/orgs/{org_b}/invitations"), json!({ "email": "new@south.example", "role": "learner" }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let invitation_b = body["invitation"]["id"].as_str().unwrap().to_string();

        World {
            app,
            operator,
            org_a,
            org_b,
            admin,
            manager,
            coach,
            learner,
            other_learner,
            parent,
            admin_b,
            learner_b,
            relationships_a,
            relationship_b,
            invitation_b,
        }
    }
}

/// The ids in a JSON list of members.
pub fn member_ids(list: &Value) -> std::collections::BTreeSet<String> {
    list.as_array().expect("a list").iter().map(|m| m["person"]["id"].as_str().unwrap().to_string()).collect()
}
