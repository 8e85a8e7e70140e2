//! What every systrade binary shares: the common flags (`--data-dir`, `--instruments`, `-v/-q`,
//! `--log-format`, `--no-progress`), logging to stderr through `tracing`, progress bars that appear
//! only on a terminal, the typed exit codes documented in every man page, and the exit code of a run
//! over instruments from its failures ([`instruments_outcome`]).
//!
//! A binary's `main` is: parse its clap `Args` (which flatten [`CommonArgs`]), call [`init_logging`],
//! run its library function returning `anyhow::Result<ExitCode>`, and pass that to [`finish`].

mod args;
mod exit;
mod failures;
mod logging;
mod progress;

pub use args::{CommonArgs, LogFormat, OutputFormat, parse_instrument, parse_instrument_list};
pub use exit::{EXIT_STATUS_MAN_SECTION, ExitCode, ExitCodeError, finish};
pub use failures::instruments_outcome;
pub use logging::init_logging;
pub use progress::Progress;
