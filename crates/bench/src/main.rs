//! `wayfinder-bench`: Wayfinder's benchmarks and load generator, kept out of
//! the shipped `wayfinder` binary. It reads the same configuration and global
//! flags as `wayfinder`; `bench api` runs the `wayfinder` binary beside it.

/// The shipped binary's allocator, so the memory figures are those of what ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod analytics;
mod api;
mod cli;
mod coach;
mod embed;
mod ingest;
mod knowledge;
mod learning;
mod realtime;
mod voice;

use clap::Parser;
use cli::{BenchCommand, Cli};

fn main() -> std::process::ExitCode {
    let mut cli = Cli::parse();
    // `learning` serves the application in this process: its request log (info) would bury the
    // figures, so it logs warnings only unless --log-level says otherwise.
    if matches!(cli.command, BenchCommand::Learning(_) | BenchCommand::Analytics(_)) {
        cli.global.log_level.get_or_insert_with(|| "warn".into());
    }
    wayfinder::run_configured(&cli.global, |config| async move {
        match cli.command {
            BenchCommand::Api(args) => api::run(&config, &args).await,
            BenchCommand::Knowledge(args) => knowledge::run(&config, &args).await,
            BenchCommand::Coach(args) => coach::run(&config, &args).await,
            BenchCommand::Embed(args) => embed::run(&args).await,
            BenchCommand::Ingest(args) => ingest::run(&config, &args).await,
            BenchCommand::Learning(args) => learning::run(&config, &args).await,
            BenchCommand::Analytics(args) => analytics::run(&config, &args).await,
            BenchCommand::Realtime(args) => realtime::run(&config, &args).await,
            BenchCommand::Voice(args) => voice::run(&config, &args).await,
        }
    })
}
