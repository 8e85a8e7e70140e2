//! `backup` (being built).
use clap::{CommandFactory, Parser};
use systrade_cli::{CommonArgs, ExitCode};

/// Back up the data directory.
#[derive(Debug, Parser)]
#[command(name = "backup", version)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}

pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("backup is being built")
}
