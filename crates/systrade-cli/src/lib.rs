//! What every systrade binary shares: the common flags (`--data-dir`, `--instruments`, `-v/-q`,
//! `--log-format`, `--no-progress`, `--format`), logging to stderr through `tracing`, progress bars
//! that appear only on a terminal, the one output convention on stdout ([`Printer`]), per-item
//! outcomes and the exit code they make ([`Outcomes`]), and errors that carry their exit code
//! ([`failure`], [`data_problem`], [`usage`], [`unavailable`], [`locked`]).
//!
//! A binary's `main` is: parse its clap `Args` (which flatten [`CommonArgs`]), call [`init_logging`],
//! run its library function returning `anyhow::Result<ExitCode>`, and pass that to [`finish`].
//! Libraries know nothing of exit codes: a binary maps their typed errors with the constructors or
//! [`ResultExt::exit_code`].

mod args;
pub mod clock;
pub mod docs;
mod error;
mod exit;
mod logging;
pub mod outcome;
pub mod output;
mod progress;
pub mod summary;

pub use args::{
    CommonArgs, FormatArg, LogFormat, OutputFormat, parse_instrument, parse_instrument_list,
};
pub use clock::today;
pub use error::{
    ExitCodeError, ExitError, ResultExt, data_problem, exit_code_of, failure, locked, message_of,
    unavailable, usage, with_exit_code,
};
pub use exit::{EXIT_STATUS_MAN_SECTION, ExitCode, OUTPUT_MAN_SECTION, finish};
pub use logging::init_logging;
pub use outcome::{Outcome, Outcomes};
pub use output::{Column, Printer, Value};
pub use progress::Progress;
pub use summary::{SUMMARY_FILE_ENV, record_summary};
