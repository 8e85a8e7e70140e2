//! `cargo xtask <task>`: project chores.
//!
//! - `cargo xtask man` writes `man/<tool>.1` and `man/completions/` from each tool's clap definition;
//!   `cargo xtask man --check` fails if any file there is stale (run by the test suite).
//! - `cargo xtask gen-testdata [--check]` writes (checks) the synthetic market in `testdata/`;
//!   `cargo xtask gen-universe --instruments N --years Y --out DIR` writes a large one for benchmarks.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod man;
mod synth;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "xtask", about = "systrade project chores")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Generate man pages and shell completions into man/ (or --check that they are current).
    Man {
        /// Compare instead of writing; exit 1 listing stale files.
        #[arg(long)]
        check: bool,
    },
    /// Regenerate the synthetic market in testdata/ (or --check that it is current).
    GenTestdata {
        /// Compare instead of writing; exit 1 listing stale files.
        #[arg(long)]
        check: bool,
    },
    /// Write a large synthetic universe (pysystemtrade layout) for benchmarks.
    GenUniverse {
        #[arg(long)]
        instruments: usize,
        #[arg(long)]
        years: u32,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = workspace_root();
    match cli.task {
        Task::Man { check } => {
            let stale = man::generate(&root.join("man"), check)?;
            if check && !stale.is_empty() {
                anyhow::bail!(
                    "stale generated files (run `cargo xtask man`): {}",
                    stale.join(", ")
                );
            }
        }
        Task::GenTestdata { check } => {
            let stale = synth::gen_testdata(&root.join("testdata"), check)?;
            if check && !stale.is_empty() {
                anyhow::bail!(
                    "stale testdata (run `cargo xtask gen-testdata`): {}",
                    stale.join(", ")
                );
            }
            println!("testdata: {} file(s) updated", stale.len());
        }
        Task::GenUniverse {
            instruments,
            years,
            out,
            seed,
        } => {
            let started = std::time::Instant::now();
            let s = synth::gen_universe(&out, instruments, years, seed)?;
            println!(
                "wrote {} instruments, {} contract files, {} bars, {} FX series to {} in {:.1} s",
                s.instruments,
                s.contract_files,
                s.bars,
                s.fx_series,
                out.display(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}
