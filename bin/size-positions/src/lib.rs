//! Placeholder while being written.
use clap::Parser;
use systrade_cli::{CommonArgs, ExitCode};

#[derive(Debug, Parser)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::Success)
}
