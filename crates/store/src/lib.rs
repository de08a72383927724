//! Storage for Wayfinder. [`Store`] is the one storage interface the rest of
//! the system uses; it runs on an embedded SQLite file (the default) or on
//! PostgreSQL with pgvector (scale-out), picked from the URL scheme. All SQL
//! lives in this crate. Where the two dialects agree a query is written once
//! and compiled for both drivers (see [`on_pool!`]); where they genuinely
//! differ (the knowledge base's writes and dense search) a small trait has
//! one implementation per backend. The search engines the knowledge base
//! ranks with live in `wayfinder-search`; this crate reads their copies from
//! the database and keeps them in step with it. Migrations are plain `.sql`
//! files per backend with matching names under `migrations/`.

mod audit;
mod backup;
mod channels;
mod chunk_records;
mod coach;
mod credentials;
mod insights;
mod insights_bulk;
mod interviews;
mod invitations;
mod jobs;
mod knowledge;
mod learning;
mod learning_bulk;
mod lexical;
mod live;
mod mfa;
mod model_endpoints;
mod nudges;
mod oauth;
mod orgs;
mod people;
mod practice;
mod privacy;
mod prompt_privacy;
mod provisioning;
mod questions;
mod rate_limits;
mod retention;
mod rows;
mod saved_copies;
mod sequences;
mod sso;
mod vectors;
mod widgets;

pub use audit::{AuditEvent, NewAuditEvent};
pub use channels::{ChannelAccount, Inbound, NewInbound, NewOutbound, Outbound, OutboundState};
pub use chunk_records::LexicalEpoch;
pub use coach::{
    BudgetRecord, CoachRecord, ConversationQuery, ConversationRecord, FeedbackRecord, MessageRecord, UsageRecord,
    start_of_day_ms,
};
pub use credentials::{ApiToken, LoginThrottle, NewSession, Session, SessionAuth, TokenAuth};
pub use insights::{
    AlertRecord, AlertRuleRecord, AskedQuestion, CoachSums, HeldCondition, LoggedQuestion, MessageExportRow,
    NotificationRecord, OperationalCounts, OrgDay, PersonCost, PersonDay, Tally, TallyScope,
};
pub use insights_bulk::{ActivityTable, BulkValue};
pub use interviews::{
    InterviewAnswer, InterviewFlowRecord, InterviewPlace, InterviewRecord, InterviewRecording, InterviewStatus,
    NewInterview, NewInterviewRecording,
};
pub use invitations::{Invitation, InvitationAcceptance, NewInvitation};
pub use jobs::{Job, JobFile, JobFileState, JobKind, JobPhase, JobState, NewJobFile};
pub use knowledge::{
    ChunkFilter, ChunkRecord, Collection, Document, DocumentWrite, NewChunk, NewCollection, NewDocument,
};
pub use learning::{
    ConceptRecord, EnrolmentRecord, EvidenceRecord, GoalRecord, LearnerConceptRecord, MasteryModelRecord, ModelInputs,
    ModelOutputs, NewProgram, Prerequisite, ProgramContent, ProgramRecord, ProgramVersion, PublishedGraph,
    WrittenEvidence,
};
pub use learning_bulk::{BulkEnrolment, BulkMember, BulkPrerequisite, BulkProgram, ConceptStanding, LearningHistory};
pub use lexical::LexicalHits;
pub use live::{LIVE_CHANNEL, LiveListener, MAX_LIVE_PAYLOAD};
pub use mfa::{MfaChallenge, MfaFactor, MfaStanding};
pub use model_endpoints::ModelEndpointRecord;
pub use nudges::{
    LearnerSpan, NewNudgeDecision, NudgeCandidate, NudgeDecisionRecord, NudgeOutcome, NudgeRuleRecord, ReachPreferences,
};
pub use oauth::{
    AccessAuth, AuthorizationCode, NewOAuthClient, NewRefreshToken, OAuthClient, OAuthGrant, RefreshTokenRecord,
    StoredSigningKey,
};
pub use orgs::{MembershipChangeError, RoleChanged};
pub use people::NewPerson;
pub use practice::{AnswerWrite, AttemptRecord, AttemptReview, AwaitingReview, PracticeSessionRecord};
pub use privacy::{
    Erasure, PERSON_REFERENCE_COLUMNS, PersonData, looks_like_a_person_column, unaccounted_person_columns,
};
pub use prompt_privacy::PromptPrivacy;
pub use provisioning::{CoachProvisionRecord, NewCoachProvision};
pub use questions::{QuestionFilter, QuestionRecord};
pub use retention::{ConversationsDeleted, RetentionPolicy};
pub use sequences::{
    DueEnrolment, OpenCheckIn, SequenceEnrolmentRecord, SequenceEnrolmentStatus, SequenceRecord, StepOutcome,
    StepTaken, TakeStep,
};
pub use sso::{IdentityProviderRecord, IdentityProviderWrite, PendingSsoLogin, SsoAccount, SsoSignedIn};
pub use vectors::{DEFER_INDEX_MIN_VECTORS, VectorLoad, defers_index};
pub use widgets::{WidgetRecord, WidgetSessionRecord};

use sqlx::{
    PgPool, SqlitePool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use std::{
    str::FromStr,
    sync::{Arc, Mutex},
    time::Duration,
};
use wayfinder_accounts_rules::OrgId;
use wayfinder_search::{Bm25Index, Copies, VectorIndex};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Everything that can go wrong in storage, in terms callers can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist (or is not visible in this scope).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the payload names the field (e.g. `email`).
    #[error("{0} already exists")]
    Duplicate(&'static str),
    /// The change conflicts with the record's state (e.g. an archived program).
    #[error("{0}")]
    Conflict(&'static str),
    /// A referenced record is missing (e.g. a relationship to a non-member).
    #[error("a referenced record does not exist")]
    MissingReference,
    /// The database URL is not one Wayfinder can use.
    #[error("unsupported database URL: expected sqlite:… or postgres://…")]
    UnsupportedUrl,
    /// A stored value could not be read back (e.g. a malformed id).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(ref db) if db.is_foreign_key_violation() => StoreError::MissingReference,
            other => StoreError::Database(other),
        }
    }
}

/// Maps a unique-constraint violation to [`StoreError::Duplicate`] naming `field`.
pub(crate) fn duplicate_as(field: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(field),
        _ => StoreError::from(e),
    }
}

/// Result alias for storage calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which database engine a [`Store`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file (WAL mode).
    Sqlite,
    /// PostgreSQL (with the pgvector extension).
    Postgres,
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever driver pool the store has.
/// The body is compiled once per driver, so one SQL text serves both when the
/// dialects agree (`$1` placeholders work on both).
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite($pool) => $body,
            $crate::Pool::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` inside a write transaction bound to `$tx` and commits it; an
/// early return (`?`) rolls back. SQLite transactions start IMMEDIATE so two
/// writers queue on the lock instead of failing when a read upgrades to a write.
/// Like [`on_pool!`], the body is compiled once per driver; statements that
/// differ by dialect are methods of a trait the driver's connection
/// implements (e.g. [`knowledge::KnowledgeWrites`]), called on `$tx`.
macro_rules! in_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::Pool::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}
/// Runs `$body` inside a read-only transaction bound to `$tx` that sees one
/// snapshot of the database, then ends it. SQLite's deferred transaction reads
/// one snapshot from its first read on; PostgreSQL's needs `REPEATABLE READ`
/// (its default gives each statement a snapshot of its own).
macro_rules! in_snapshot {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite(pool) => {
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::Pool::Postgres(pool) => {
                let mut $tx = pool.begin_with($crate::PG_READ_ONLY_SNAPSHOT).await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}
pub(crate) use {in_snapshot, in_tx, on_pool};

/// Starts a PostgreSQL transaction that reads one snapshot and writes nothing.
pub(crate) const PG_READ_ONLY_SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/// Connection settings for [`Store::connect`].
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// `sqlite://path/to/file.db` or `postgres://user:pass@host/db`.
    pub url: String,
    /// Upper bound of pooled connections.
    pub max_connections: u32,
}

/// The storage interface: a handle to a connection pool on one backend.
/// Cloning is cheap and shares the pool.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: Pool,
    /// This process's BM25 copies of the postings, per organisation.
    pub(crate) lexical: Arc<Copies<OrgId, Bm25Index>>,
    /// This process's copies of the vectors (SQLite), per organisation and model.
    pub(crate) vectors: Arc<Copies<(OrgId, String), VectorIndex>>,
    /// PostgreSQL: which (organisation, dimensions) HNSW indexes exist or are deferred.
    pub(crate) hnsw: Arc<Mutex<vectors::HnswIndexes>>,
    /// The copies this process changed and has not saved yet.
    pub(crate) unsaved: Arc<saved_copies::UnsavedCopies>,
    /// This process's copies of the organisations' time zones, which every rollup write reads.
    pub(crate) zones: Arc<insights::ZoneCache>,
    /// The chunk records recent searches returned, under the lexical epoch they were read at.
    pub(crate) chunk_records: Arc<chunk_records::ChunkRecords>,
}

/// Tables whose rows [`Store::row_counts`] reports.
pub const TABLES: &[&str] = &[
    "organisations",
    "people",
    "memberships",
    "relationships",
    "sessions",
    "api_tokens",
    "invitations",
    "login_throttle",
    "setup_tokens",
    "audit_events",
    "collections",
    "documents",
    "chunks",
    "chunk_vectors",
    "jobs",
    "job_files",
    "coaches",
    "conversations",
    "messages",
    "message_feedback",
    "model_usage",
    "coach_budgets",
    "programs",
    "concepts",
    "prerequisites",
    "enrolments",
    "evidence",
    "learner_states",
    "learner_concepts",
    "mastery_models",
    "goals",
    "learning_epochs",
    "questions",
    "question_concepts",
    "practice_sessions",
    "practice_attempts",
    "coach_provisions",
    "practice_settings",
    "channel_accounts",
    "channel_link_codes",
    "inbound_events",
    "outbox",
    "reach_preferences",
    "channel_configs",
    "conversation_reads",
    "nudge_rules",
    "nudge_decisions",
    "email_reply_addresses",
    "retention_policies",
    "prompt_privacy",
    "oauth_clients",
    "oauth_grants",
    "oauth_authorization_codes",
    "oauth_refresh_tokens",
    "oauth_signing_keys",
    "org_model_endpoints",
    "interview_flows",
    "interview_flow_versions",
    "interviews",
    "interview_answers",
    "interview_recordings",
];

impl Store {
    /// Opens a pool for `options.url`. For SQLite the file and its folder are
    /// created when missing. Does not migrate: call [`Store::migrate`].
    pub async fn connect(options: &StoreOptions) -> StoreResult<Store> {
        let url = options.url.as_str();
        if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Rows SQLite's worker thread may read ahead of the caller (50
                // by default): a whole page of postings while the lexical copy
                // builds the previous one.
                .row_buffer_size(4096);
            if let Some(dir) = connect.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
                tokio::fs::create_dir_all(dir).await.map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .min_connections(1)
                .connect_with(connect)
                .await?;
            Ok(Store::on(Pool::Sqlite(pool)))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let connect = PgConnectOptions::from_str(url)?.application_name("wayfinder");
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(connect)
                .await?;
            Ok(Store::on(Pool::Postgres(pool)))
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    fn on(pool: Pool) -> Store {
        Store {
            pool,
            lexical: Default::default(),
            vectors: Default::default(),
            unsaved: Default::default(),
            hnsw: Default::default(),
            zones: Default::default(),
            chunk_records: Default::default(),
        }
    }

    /// The PostgreSQL pool, when the store runs there.
    pub(crate) fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(pool) => Some(pool),
            Pool::Sqlite(_) => None,
        }
    }

    /// The backend this store runs on.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self.pool {
            Pool::Sqlite(_) => &SQLITE_MIGRATIONS,
            Pool::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies every pending migration (safe to run from several instances at
    /// once: PostgreSQL takes an advisory lock, SQLite a write lock).
    pub async fn migrate(&self) -> StoreResult<usize> {
        let before = self.applied_migrations().await.unwrap_or_default().len();
        on_pool!(self, pool => self.migrator().run(pool).await?);
        Ok(self.applied_migrations().await?.len() - before)
    }

    async fn applied_migrations(&self) -> StoreResult<Vec<i64>> {
        let sql = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        let versions: Vec<(i64,)> = on_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(versions.into_iter().map(|(v,)| v).collect())
    }

    /// Migrations this binary knows that the database has not applied yet.
    /// Errors when the database cannot be reached.
    pub async fn pending_migrations(&self) -> StoreResult<Vec<i64>> {
        let applied = match self.applied_migrations().await {
            Ok(applied) => applied,
            // No bookkeeping table yet: nothing is applied, but the database answered.
            Err(StoreError::Database(sqlx::Error::Database(_))) => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(self.migrator().iter().map(|m| m.version).filter(|v| !applied.contains(v)).collect())
    }

    /// Row counts of every Wayfinder table, for diagnostics and tests that
    /// prove a refused request changed nothing.
    pub async fn row_counts(&self) -> StoreResult<Vec<(&'static str, i64)>> {
        let mut counts = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            // Table names come from the constant list above, never from input.
            let sql = format!("SELECT COUNT(*) FROM {table}");
            let (n,): (i64,) = on_pool!(self, pool => sqlx::query_as(&sql).fetch_one(pool).await?);
            counts.push((*table, n));
        }
        Ok(counts)
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    /// Whether the pool was closed (the server is shutting down).
    pub fn is_closed(&self) -> bool {
        match &self.pool {
            Pool::Sqlite(pool) => pool.is_closed(),
            Pool::Postgres(pool) => pool.is_closed(),
        }
    }
}
