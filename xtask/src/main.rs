//! `cargo xtask <task>`: project chores.
//!
//! - `cargo xtask man` writes `man/<tool>.1` and `man/completions/` from each tool's clap definition;
//!   `cargo xtask man --check` fails if any file there is stale (run by the test suite).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod man;

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
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}
