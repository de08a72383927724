//! The `wayfinder` binary: parses the command line, loads the layered
//! configuration and wires the crates together. No business rules live here.

/// mimalloc rather than the system allocator: after a large extraction (a PDF of 100,000+ pages
/// parses into hundreds of megabytes of small objects) glibc keeps the freed memory fragmented and
/// resident, while mimalloc returns freed pages to the system (figures in docs/ARCHITECTURE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `println!` that ends the process quietly when stdout is a closed pipe
/// (`wayfinder user list | head -1`) instead of panicking with a backtrace.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let result = writeln!(std::io::stdout().lock(), $($arg)*);
        $crate::output_written(result);
    }};
}

/// `print!` with the same closed-pipe handling as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        let result = write!(stdout, $($arg)*).and_then(|()| stdout.flush());
        $crate::output_written(result);
    }};
}

mod admin;
mod ask;
mod backup;
mod bench;
mod cli;
mod eval;
mod knowledge;
mod learning;
mod memory;
mod serve;

use clap::Parser;
use cli::{Cli, Command};
use wayfinder::{config, config::Config};
use wayfinder_store::{Store, StoreOptions};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    wayfinder::run_configured(&cli.global, |config| run(cli.command, config))
}

/// What a failed write to stdout means: a reader that went away (a closed pipe)
/// has all it wanted, so the process ends as a SIGPIPE'd tool would, without
/// a word; any other failure is reported on stderr.
fn output_written(result: std::io::Result<()>) {
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error: writing to standard output failed: {e}");
            std::process::exit(1);
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve::run(config, args).await,
        Command::Openapi => {
            outln!("{:#}", wayfinder_server::openapi_document());
            Ok(())
        }
        Command::SecretKey(cli::SecretKeyCommand::New) => {
            outln!("{}", wayfinder_accounts_rules::sealing::new_key_text());
            Ok(())
        }
        Command::Config => {
            out!("{}", config.to_masked_toml());
            Ok(())
        }
        Command::Bench(args) => bench::run(args.args).await,
        Command::Migrate => {
            let store = open_store(&config).await?;
            let applied = store.migrate().await?;
            outln!("{applied} migration(s) applied; the database is up to date");
            Ok(())
        }
        Command::Backup(args) => backup::backup(&config, &args).await,
        Command::Restore(args) => backup::restore(&config, &args).await,
        Command::Org(cmd) => admin::org(&open_migrated(&config).await?, cmd).await,
        Command::User(cmd) => admin::user(&open_migrated(&config).await?, cmd).await,
        Command::Token(cmd) => admin::token(&open_migrated(&config).await?, &config, cmd).await,
        Command::Collection(cmd) => {
            let kb = knowledge::knowledge_base(&config, open_migrated(&config).await?)?;
            knowledge::collection(&kb, cmd).await
        }
        Command::Ingest(args) => {
            let kb = knowledge::knowledge_base(&config, open_migrated(&config).await?)?;
            knowledge::ingest(&kb, knowledge::job_lease(&config), args).await
        }
        Command::Program(cmd) => {
            let kb = knowledge::knowledge_base(&config, open_migrated(&config).await?)?;
            learning::program(&kb, cmd).await
        }
        Command::Path(args) => {
            let kb = knowledge::knowledge_base(&config, open_migrated(&config).await?)?;
            learning::path(&kb, args).await
        }
        Command::Job(cmd) => knowledge::job(&open_migrated(&config).await?, cmd).await,
        Command::Search(args) => {
            let kb = knowledge::knowledge_base(&config, open_migrated(&config).await?)?;
            knowledge::search(&kb, args).await
        }
        Command::Ask(args) => ask::run(&config, open_migrated(&config).await?, &args).await,
        Command::Eval(cli::EvalCommand::Retrieval(args)) => eval::retrieval::run(&config, args).await,
        Command::Eval(cli::EvalCommand::Answers(args)) => eval::answers::run(&config, args).await,
        Command::Eval(cli::EvalCommand::Mastery(args)) => eval::mastery::run(&args),
        Command::Eval(cli::EvalCommand::Placement(args)) => eval::placement::run(&args),
        Command::Model(cli::ModelCommand::Fetch(args)) => knowledge::fetch_model(&config, args).await,
    }
}

/// Connects to the configured database.
pub(crate) async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let options = StoreOptions { url: config.database_url(), max_connections: config.database_max_connections };
    Store::connect(&options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", config::mask_url_password(&options.url)))
}

/// Connects and brings the schema up to date.
pub(crate) async fn open_migrated(config: &Config) -> anyhow::Result<Store> {
    let store = open_store(config).await?;
    store.migrate().await?;
    Ok(store)
}
