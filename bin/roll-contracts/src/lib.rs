//! `roll-contracts`: turns per-contract prices into the continuous series the system trades (spec
//! `pysystemtrade-behaviour.md` §2, §4.3 item 4, §4.8). The computations are in `systrade-roll`; this
//! crate reads and writes the data directory through `systrade-store`.
//!
//! Every subcommand works on all instruments that have its input (or those named with
//! `--instruments`), processes them in parallel, isolates failures per instrument and replaces files
//! atomically. Each instrument's outcome is logged and makes the exit code (`systrade_cli::outcome`):
//! 0 all done; 3 some instruments failed; 4 a data problem needs a person (an unregistered roll, a
//! missing or bad price in the daily update); 1 every instrument failed; 6 another process holds the
//! data directory's write lock. `state`, `roll` and `report` print a table (`--format`).
//!
//! This file is the command line and the dispatch; each subcommand is a module (`series`: calendar,
//! multiple, adjust; `update`; `state`; `roll` with `pending`; `report`) over `per_instrument`, the
//! machinery they share. Files and tables are read and written through `systrade-store` only.

mod fault;
mod pending;
mod per_instrument;
mod report;
mod roll;
mod roll_state;
mod series;
mod state;
mod update;

use chrono::NaiveDate;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use systrade_cli::{CommonArgs, ExitCode, FormatArg};
use systrade_model::InstrumentCode;
use systrade_roll::RollState;
use systrade_store::Store;

/// Build roll calendars, multiple prices and back-adjusted prices from per-contract prices, keep
/// them up to date day by day, and manage roll states.
#[derive(Debug, Parser)]
#[command(name = "roll-contracts", version)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,

    /// Seconds to wait for another process writing to the data directory before giving up (exit 6).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0, global = true)]
    pub lock_timeout: f64,

    #[command(flatten)]
    pub stdout: FormatArg,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build roll calendars (rolls/<I>.parquet) from contract prices and config/rolls.csv.
    ///
    /// Approximate roll dates from expiry and roll offsets, moved to the nearest date where the
    /// needed prices exist, carry contract per CarryOffset; one final row for the
    /// contract currently held. With --from-multiple the calendar is backed out of the stored
    /// multiple prices instead.
    Calendar {
        /// Back the calendar out of prices/multiple/ instead of building it from contract prices.
        #[arg(long)]
        from_multiple: bool,
    },
    /// Build multiple prices (PRICE/FORWARD/CARRY) from roll calendars and contract prices.
    Multiple,
    /// Back-adjusted prices (prices/adjusted/) from multiple prices.
    ///
    /// Panama (the default) reproduces pysystemtrade bit for bit; trailing rows without a price are
    /// not written.
    Adjust {
        /// panama: additive (pysystemtrade); ratio: proportional.
        #[arg(long, value_enum, default_value_t = Method::Panama)]
        method: Method,
        /// Forward-fill the multiple prices before stitching (for rolls lacking a matched price).
        #[arg(long)]
        forward_fill: bool,
    },
    /// The daily step: append new PRICE/FORWARD/CARRY rows for the current contracts and extend the
    /// adjusted prices without rewriting history.
    ///
    /// Refuses an instrument (exit 4) when a roll happened that was not registered, or when the
    /// priced contract's new price is missing or bad; nothing is written for it. A re-run adds
    /// nothing.
    Update,
    /// Show roll states, or set one (No_Roll, Passive, Force, Force_Outright, Close, Roll_Adjusted,
    /// No_Open) if the transition is allowed for the priced position.
    State {
        /// The instrument to show or set; all configured instruments when absent.
        #[arg(value_name = "INSTRUMENT")]
        instrument: Option<InstrumentCode>,
        /// The new state.
        #[arg(long, value_name = "STATE", requires = "instrument", value_parser = parse_state)]
        set: Option<RollState>,
    },
    /// The production roll to the next contract of the named instrument, or of every
    /// instrument (or those of --instruments) in roll state Roll_Adjusted: new multiple-prices row,
    /// adjusted prices re-stitched, roll state back to No_Roll. Refused while the priced contract
    /// has a position; an instrument in another state is left alone (a warning).
    ///
    /// With --auto the auto-roll rule decides per instrument (forward volume relative to priced,
    /// days to the roll date and to expiry): roll, set another state, or leave it to a person;
    /// an instrument a person put in Roll_Adjusted (`state --set Roll_Adjusted`) is rolled.
    ///
    /// Crash-safe: each roll is recorded in state.sqlite before a file changes; a roll interrupted
    /// (killed, power lost) is finished or undone by the next `roll` or `update`, and a finished
    /// roll is never repeated by running the command again.
    Roll {
        /// The instrument to roll (default: every instrument in Roll_Adjusted).
        #[arg(value_name = "INSTRUMENT")]
        instrument: Option<InstrumentCode>,
        /// Apply the auto-roll rule.
        #[arg(long)]
        auto: bool,
        /// Forward-fill the multiple prices before rolling and re-stitching.
        #[arg(long)]
        forward_fill: bool,
        /// The date the decision is made for (default: today, UTC).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<NaiveDate>,
    },
    /// Per instrument: roll state, priced/forward/carry contracts, days to roll and to expiry,
    /// forward volume relative to priced, and the auto-roll rule's suggestion.
    Report {
        /// The date the report is for (default: today, UTC).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<NaiveDate>,
    },
}

/// Back-adjustment method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    Panama,
    Ratio,
}

fn parse_state(s: &str) -> Result<RollState, String> {
    s.parse()
        .map_err(|e: systrade_roll::RollStateError| e.to_string())
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command().after_help(EXAMPLES)
}
/// Examples shown after `--help` and in the man page's EXAMPLES section.
const EXAMPLES: &str = "Examples:\n  roll-contracts calendar && roll-contracts multiple && roll-contracts adjust\n  roll-contracts update\n  roll-contracts state US10 --set Roll_Adjusted && roll-contracts roll US10\n  roll-contracts report";

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.common.data_dir);
    match &args.command {
        Command::Calendar { from_multiple } => series::calendar(args, &store, *from_multiple),
        Command::Multiple => series::multiple(args, &store),
        Command::Adjust {
            method,
            forward_fill,
        } => series::adjust(args, &store, *method, *forward_fill),
        Command::Update => update::update(args, &store),
        Command::State { instrument, set } => state::state(args, &store, instrument.as_ref(), *set),
        Command::Roll {
            instrument,
            auto,
            forward_fill,
            as_of,
        } => roll::roll(
            args,
            &store,
            &roll::RollRequest {
                instrument: instrument.as_ref(),
                auto: *auto,
                forward_fill: *forward_fill,
                as_of: *as_of,
            },
        ),
        Command::Report { as_of } => report::report(args, &store, *as_of),
    }
}
