//! `import-pst`: migrate a pysystemtrade data directory into a systrade data directory.

use clap::{CommandFactory, Parser};
use std::path::PathBuf;
use systrade_cli::{CommonArgs, ExitCode};

/// Import a pysystemtrade data directory (csvconfig/, adjusted_prices_csv/, multiple_prices_csv/,
/// fx_prices_csv/, roll_calendars_csv/; files .csv or .csv.gz) into the data directory.
#[derive(Debug, Parser)]
#[command(name = "import-pst", version)]
pub struct Args {
    /// The pysystemtrade data directory to read (e.g. pysystemtrade/data/futures).
    #[arg(value_name = "SOURCE_DIR")]
    pub source: PathBuf,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}

pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("import-pst is being built")
}
