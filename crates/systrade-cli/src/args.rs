//! Flags shared by every tool.

use clap::{Args, ValueEnum};
use std::path::PathBuf;
use systrade_model::{InstrumentCode, InstrumentCodeError};

/// Common flags, flattened into every tool's arguments.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...).
    #[arg(
        long,
        env = "SYSTRADE_DATA",
        default_value = "./data",
        value_name = "DIR",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured.
    #[arg(long, value_name = "A,B,...", value_delimiter = ',', value_parser = parse_instrument, global = true)]
    pub instruments: Option<Vec<InstrumentCode>>,

    /// More log output on stderr (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit,
    /// e.g. `--generate bash > /etc/bash_completion.d/TOOL`.
    #[arg(long, value_enum, value_name = "KIND", global = true)]
    pub generate: Option<crate::docs::Generate>,

    /// Less log output on stderr (-q warnings and errors only, -qq errors only).
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "verbose")]
    pub quiet: u8,

    /// Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, value_name = "FORMAT", global = true)]
    pub log_format: LogFormat,

    /// Never draw progress bars (they are drawn only when stderr is a terminal anyway).
    #[arg(long, global = true)]
    pub no_progress: bool,
}

impl CommonArgs {
    /// Keeps only the instruments asked for with `--instruments`, in the order given by `all`.
    /// Errors (exit 2, usage) name any requested instrument that `all` does not contain.
    pub fn select_instruments(
        &self,
        all: &[InstrumentCode],
    ) -> anyhow::Result<Vec<InstrumentCode>> {
        match &self.instruments {
            None => Ok(all.to_vec()),
            Some(wanted) => {
                let unknown: Vec<&str> = wanted
                    .iter()
                    .filter(|w| !all.contains(w))
                    .map(InstrumentCode::as_str)
                    .collect();
                if !unknown.is_empty() {
                    return Err(crate::error::usage(format!(
                        "unknown instrument(s) in --instruments: {}",
                        unknown.join(", ")
                    )));
                }
                Ok(all.iter().filter(|c| wanted.contains(c)).cloned().collect())
            }
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Output format of what a tool prints on stdout (the convention of `systrade_cli::output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns (or readable text) for people.
    #[value(alias = "text")]
    Table,
    /// A header line, then one line per row.
    Csv,
    /// JSON Lines: one object per row (a summary is one object).
    Json,
}

/// `--format`, flattened into every tool that prints on stdout.
#[derive(Debug, Clone, Args)]
pub struct FormatArg {
    /// Output on stdout: table (aligned columns for people), csv (a header line, then one line per
    /// row) or json (one JSON object per line; a summary is one object).
    #[arg(
        long,
        value_enum,
        default_value_t = OutputFormat::Table,
        value_name = "FORMAT",
        global = true
    )]
    pub format: OutputFormat,
}

/// Parses one instrument code, ignoring surrounding spaces (clap value parser of `--instruments`,
/// whose values clap splits at commas).
pub fn parse_instrument(s: &str) -> Result<InstrumentCode, InstrumentCodeError> {
    InstrumentCode::new(s.trim())
}

/// Parses `A,B,C` into instrument codes.
pub fn parse_instrument_list(s: &str) -> Result<Vec<InstrumentCode>, InstrumentCodeError> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(InstrumentCode::new)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instrument_list_parses_and_rejects() {
        let v = parse_instrument_list("SP500, US10").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].as_str(), "US10");
        assert!(parse_instrument_list("SP500,../etc").is_err());
    }
}
