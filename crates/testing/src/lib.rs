//! Test support shared by the integration suites: a fresh, empty database per
//! test on either backend. SQLite gets a file in a temporary folder;
//! PostgreSQL gets a new database on the server named by
//! `WAYFINDER_TEST_POSTGRES_URL` (scripts/test starts one), dropped again
//! when the test ends. `on_both_backends!` turns one scenario into a test
//! per backend.

use sqlx::{Connection, Executor, PgConnection};

/// Which storage backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named scenario `async fn name(backend: Backend)` once per backend,
/// as `sqlite::name` and `postgres::name`, on a two-thread tokio runtime (the
/// calling crate depends on tokio with its macros).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::Backend::Postgres).await } )*
        }
    };
}

/// A database that exists for the life of one test.
pub struct TestDatabase {
    /// The URL Wayfinder should use.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// Creates an empty database on `backend`. Panics with a clear message
    /// when PostgreSQL is asked for but no test server is configured.
    pub async fn create(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary folder");
                let url = format!("sqlite://{}", dir.path().join("wayfinder.db").display());
                TestDatabase { url, _dir: Some(dir), postgres: None }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("WAYFINDER_TEST_POSTGRES_URL").expect(
                    "PostgreSQL tests need WAYFINDER_TEST_POSTGRES_URL; scripts/test starts a server and sets it",
                );
                let name = format!("wf_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::connect(&admin_url).await.expect("connect to the test PostgreSQL server");
                admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create a test database");
                let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
                TestDatabase { url: format!("{base}/{name}"), _dir: None, postgres: Some((admin_url, name)) }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else { return };
        // Drop runs outside async code; a short-lived runtime on its own thread
        // removes the database (FORCE closes connections a test left open).
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                }
            });
        })
        .join();
    }
}
