//! `wayfinder-bench`: Wayfinder's benchmarks and load generator, kept out of
//! the shipped `wayfinder` binary. It reads the same configuration and global
//! flags as `wayfinder`; `bench api` runs the `wayfinder` binary beside it.

/// The shipped binary's allocator, so the memory figures are those of what ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod api;
mod cli;
mod coach;
mod knowledge;

use clap::Parser;
use cli::{BenchCommand, Cli};
use wayfinder::{config::Config, init_logging};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.global.config.clone(), cli.global.overrides()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime starts");
    let outcome = runtime.block_on(async {
        match cli.command {
            BenchCommand::Api(args) => api::run(&config, &args).await,
            BenchCommand::Knowledge(args) => knowledge::run(&config, &args).await,
            BenchCommand::Coach(args) => coach::run(&config, &args).await,
        }
    });
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
