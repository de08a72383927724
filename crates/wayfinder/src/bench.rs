//! `wayfinder bench …`, git-style: the benchmarks and their load generator
//! live in a separate program, `wayfinder-bench`, so the shipped binary does
//! not carry them. This runs it from this program's folder with the same
//! command line less the word `bench`, and exits with its exit code.

use anyhow::Context;
use std::ffi::OsString;

/// Runs `wayfinder-bench` with the global flags and `tail` (what followed the
/// subcommand), then exits as it did.
pub async fn run(tail: Vec<OsString>) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("cannot find this program's own path")?;
    let bench = exe.with_file_name(format!("wayfinder-bench{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        bench.is_file(),
        "`wayfinder bench` runs the separate program wayfinder-bench, which is not installed beside this one \
         ({} does not exist): build it with `cargo build --release -p wayfinder-bench`",
        bench.display()
    );
    let args = bench_command_line(std::env::args_os().skip(1).collect(), tail);
    let status = tokio::process::Command::new(&bench)
        .args(args)
        .status()
        .await
        .with_context(|| format!("cannot start {}", bench.display()))?;
    // Killed by a signal: no code, so the shell convention for a failure.
    std::process::exit(status.code().unwrap_or(1));
}

/// The command line for `wayfinder-bench`: the global flags, wherever they
/// stood, then `tail`. Every global flag takes a value, so the word `bench`
/// is the one token before the tail that is neither a flag nor a flag's value.
fn bench_command_line(mut raw: Vec<OsString>, tail: Vec<OsString>) -> Vec<OsString> {
    raw.truncate(raw.len().saturating_sub(tail.len()));
    let mut out = Vec::with_capacity(raw.len() + tail.len());
    let mut tokens = raw.into_iter();
    while let Some(token) = tokens.next() {
        let flag = token.to_str().map(|t| (t.starts_with("--"), t.contains('=')));
        match flag {
            Some((true, false)) => {
                out.push(token);
                out.extend(tokens.next());
            }
            Some((true, true)) => out.push(token),
            _ => {} // the subcommand word itself
        }
    }
    out.extend(tail);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_word_bench_is_dropped_and_global_flags_kept_wherever_they_stood() {
        let tail = line(&["api", "--seconds", "3"]);
        assert_eq!(
            bench_command_line(
                line(&["--log-level", "bench", "bench", "--data-dir=/d", "api", "--seconds", "3"]),
                tail
            ),
            line(&["--log-level", "bench", "--data-dir=/d", "api", "--seconds", "3"])
        );
        assert_eq!(bench_command_line(line(&["bench"]), Vec::new()), Vec::<OsString>::new());
    }
}
