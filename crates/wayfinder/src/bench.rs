//! `wayfinder bench`: measurements, not tests. Filled in below.
use crate::{cli::BenchCommand, config::Config};

pub async fn run(_config: Config, _command: BenchCommand) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
