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

mod fault;
mod pending;
mod report;
mod roll;
mod roll_state;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use rayon::prelude::*;
use roll_state::RollBook;
use std::collections::BTreeMap;
use std::time::Duration;
use systrade_cli::{CommonArgs, ExitCode, FormatArg, Outcomes, Printer, Progress, Value};
use systrade_model::{InstrumentCode, MultiplePrices, RollParameters};
use systrade_roll::{AdjustMethod, PricesByContract, RollError, RollState, is_allowed};
use systrade_store::{PreparedFile, SeriesKind, Store, StoreError, Writer};

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
    /// needed prices exist, carry contract per CarryOffset (spec §2.3); one final row for the
    /// contract currently held. With --from-multiple the calendar is backed out of the stored
    /// multiple prices instead (§2.3 item 5).
    Calendar {
        /// Back the calendar out of prices/multiple/ instead of building it from contract prices.
        #[arg(long)]
        from_multiple: bool,
    },
    /// Build multiple prices (PRICE/FORWARD/CARRY) from roll calendars and contract prices (§2.4).
    Multiple,
    /// Back-adjusted prices (prices/adjusted/) from multiple prices (§2.5).
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
    /// The production roll to the next contract (§2.6) of the named instrument, or of every
    /// instrument (or those of --instruments) in roll state Roll_Adjusted: new multiple-prices row,
    /// adjusted prices re-stitched, roll state back to No_Roll. Refused while the priced contract
    /// has a position; an instrument in another state is left alone (a warning).
    ///
    /// With --auto the auto-roll rule decides per instrument (forward volume relative to priced,
    /// days to the roll date and to expiry, §4.8): roll, set another state, or leave it to a person;
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
    Args::command()
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.common.data_dir);
    match &args.command {
        Command::Calendar { from_multiple } => calendar(args, &store, *from_multiple),
        Command::Multiple => multiple(args, &store),
        Command::Adjust {
            method,
            forward_fill,
        } => adjust(args, &store, *method, *forward_fill),
        Command::Update => update(args, &store),
        Command::State { instrument, set } => state(args, &store, instrument.as_ref(), *set),
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

// ---- shared machinery ---------------------------------------------------------------------------

/// The instruments to work on: those named with `--instruments`, else every instrument with a
/// stored file of `kind`.
fn instruments(
    args: &Args,
    store: &Store,
    kind: SeriesKind,
) -> anyhow::Result<Vec<InstrumentCode>> {
    let mut list = match &args.common.instruments {
        Some(list) => list.clone(),
        None => store.list_instruments(kind)?,
    };
    // each instrument once: two tasks must never write the same file
    let mut seen = std::collections::BTreeSet::new();
    list.retain(|i| seen.insert(i.clone()));
    Ok(list)
}

/// Takes the data directory's write lock and deletes the temporary files killed writers left.
fn lock<'s>(args: &Args, store: &'s Store) -> anyhow::Result<Writer<'s>> {
    let writer = store
        .lock_for_writing(Duration::from_secs_f64(args.lock_timeout.max(0.0)))
        .map_err(|e| {
            if e.is_locked() {
                systrade_cli::locked(e)
            } else {
                anyhow::Error::from(e)
            }
        })?;
    let removed = writer.remove_stale_temp_files()?;
    if removed > 0 {
        tracing::info!("removed {removed} temporary files left by killed writers");
    }
    Ok(writer)
}

fn roll_parameters(store: &Store) -> anyhow::Result<BTreeMap<InstrumentCode, RollParameters>> {
    Ok(store
        .read_roll_parameters()
        .context("reading config/rolls.csv")?
        .into_iter()
        .map(|p| (p.instrument.clone(), p))
        .collect())
}

/// The exit code of a roll error: a data problem needs a person (exit 4: an unregistered roll, a
/// missing, bad or stale priced-contract price); anything else is a failure.
fn with_roll_exit_code(err: anyhow::Error) -> anyhow::Error {
    let data_problem = err.chain().any(|c| {
        matches!(
            c.downcast_ref::<RollError>(),
            Some(
                RollError::UnregisteredRoll { .. }
                    | RollError::BadPrice { .. }
                    | RollError::PricedContractStale { .. }
                    | RollError::PricedContractMissing(_)
            )
        )
    });
    if data_problem {
        systrade_cli::with_exit_code(err, ExitCode::DataProblem)
    } else {
        err
    }
}

/// Records one instrument's result in `outcomes` (a failure with its exit code, logged at once).
fn record<T>(outcomes: &Outcomes, i: &InstrumentCode, r: anyhow::Result<T>) -> Option<T> {
    outcomes.record(i, r.map_err(with_roll_exit_code))
}

/// Records the failure of `i` (logged at once, with its exit code).
fn failure(outcomes: &Outcomes, i: &InstrumentCode, e: anyhow::Error) {
    outcomes.failed(i, &with_roll_exit_code(e));
}

/// Runs `work` for every instrument in parallel, recording each outcome in `outcomes` as it ends
/// (its `finish` makes the exit code, [`systrade_cli::outcome`]: 3 some failed, 4 a data problem
/// among them, 1 or the shared specific code when all failed); returns the results of those that
/// succeeded.
fn for_each_instrument<T: Send>(
    args: &Args,
    outcomes: &Outcomes,
    instruments: &[InstrumentCode],
    work: impl Fn(&InstrumentCode) -> anyhow::Result<T> + Sync,
) -> Vec<(InstrumentCode, T)> {
    let progress = Progress::new(
        instruments.len() as u64,
        "instruments",
        args.common.no_progress,
    );
    let done: Vec<(InstrumentCode, T)> = instruments
        .par_iter()
        .filter_map(|i| {
            let r = record(outcomes, i, work(i));
            progress.inc(1);
            r.map(|v| (i.clone(), v))
        })
        .collect();
    progress.finish();
    done
}

/// Threads that only wait for the disk: each atomic write ends in two fsyncs, which overlap well.
const WRITE_THREADS: usize = 16;

/// Like [`for_each_instrument`] for work that ends in one file per instrument: `work` computes and
/// encodes the file on the CPU threads, and its atomic write (with its fsyncs) runs on a separate
/// pool of [`WRITE_THREADS`] so that waiting for the disk overlaps with computing the next
/// instruments. A failed write is that instrument's failure.
fn for_each_instrument_writing(
    args: &Args,
    what: &str,
    instruments: &[InstrumentCode],
    writer: &Writer<'_>,
    work: impl Fn(&InstrumentCode) -> anyhow::Result<PreparedFile> + Sync,
) -> anyhow::Result<ExitCode> {
    let io = rayon::ThreadPoolBuilder::new()
        .num_threads(WRITE_THREADS)
        .thread_name(|k| format!("write-{k}"))
        .build()?;
    let progress = Progress::new(
        instruments.len() as u64,
        "instruments",
        args.common.no_progress,
    );
    let outcomes = Outcomes::new(what);
    io.in_place_scope(|scope| {
        instruments.par_iter().for_each(|i| match work(i) {
            Ok(file) => {
                let (progress, outcomes) = (progress.clone(), &outcomes);
                let i = i.clone();
                scope.spawn(move |_| {
                    let r = writer
                        .commit(&file)
                        .map(|_| ())
                        .map_err(anyhow::Error::from);
                    record(outcomes, &i, r);
                    progress.inc(1);
                });
            }
            Err(e) => {
                record::<()>(&outcomes, i, Err(e));
                progress.inc(1);
            }
        });
    });
    progress.finish();
    Ok(outcomes.finish())
}

fn not_found_hint(e: StoreError, hint: &str) -> anyhow::Error {
    if e.is_not_found() {
        anyhow::Error::new(e).context(hint.to_string())
    } else {
        e.into()
    }
}

// ---- calendar, multiple, adjust ----------------------------------------------------------------

fn calendar(args: &Args, store: &Store, from_multiple: bool) -> anyhow::Result<ExitCode> {
    let kind = if from_multiple {
        SeriesKind::Multiple
    } else {
        SeriesKind::Contracts
    };
    let list = instruments(args, store, kind)?;
    let params = if from_multiple {
        BTreeMap::new()
    } else {
        roll_parameters(store)?
    };
    let writer = lock(args, store)?;
    for_each_instrument_writing(args, "calendar", &list, &writer, |i| {
        let cal = if from_multiple {
            let m = store
                .read_multiple_prices(i)
                .map_err(|e| not_found_hint(e, "no multiple prices"))?;
            systrade_roll::calendar_from_multiple(&m)
        } else {
            let p = params
                .get(i)
                .with_context(|| format!("no roll parameters for {i} in config/rolls.csv"))?;
            let bars = store
                .read_contract_prices(i)
                .map_err(|e| not_found_hint(e, "no contract prices"))?;
            systrade_roll::calendar_from_contract_prices(p, &PricesByContract::from_bars(&bars))?
        };
        tracing::info!("{i}: roll calendar with {} rows", cal.len());
        Ok(store.prepare_roll_calendar(i, &cal)?)
    })
}

fn multiple(args: &Args, store: &Store) -> anyhow::Result<ExitCode> {
    let list = instruments(args, store, SeriesKind::Rolls)?;
    let writer = lock(args, store)?;
    for_each_instrument_writing(args, "multiple", &list, &writer, |i| {
        let cal = store
            .read_roll_calendar(i)
            .map_err(|e| not_found_hint(e, "no roll calendar: run `roll-contracts calendar`"))?;
        let bars = store
            .read_contract_prices(i)
            .map_err(|e| not_found_hint(e, "no contract prices"))?;
        let m = systrade_roll::multiple_from_calendar(&cal, &PricesByContract::from_bars(&bars))?;
        tracing::info!("{i}: multiple prices with {} rows", m.len());
        Ok(store.prepare_multiple_prices(i, &m)?)
    })
}

fn adjust(
    args: &Args,
    store: &Store,
    method: Method,
    forward_fill: bool,
) -> anyhow::Result<ExitCode> {
    let list = instruments(args, store, SeriesKind::Multiple)?;
    let method = match method {
        Method::Panama => AdjustMethod::Panama,
        Method::Ratio => AdjustMethod::Ratio,
    };
    let writer = lock(args, store)?;
    for_each_instrument_writing(args, "adjust", &list, &writer, |i| {
        let m = store
            .read_multiple_prices(i)
            .map_err(|e| not_found_hint(e, "no multiple prices"))?;
        let adjusted = systrade_roll::without_trailing_missing(systrade_roll::adjust(
            &m,
            method,
            forward_fill,
        )?);
        tracing::debug!("{i}: adjusted prices with {} rows", adjusted.len());
        Ok(store.prepare_adjusted_prices(i, &adjusted)?)
    })
}

// ---- update -------------------------------------------------------------------------------------

fn update(args: &Args, store: &Store) -> anyhow::Result<ExitCode> {
    let mut list = instruments(args, store, SeriesKind::Multiple)?;
    let writer = lock(args, store)?;
    let outcomes = Outcomes::new("update");
    // rolls left pending by a killed `roll` first: finished or undone
    let mut db = store.open_state_for_writing()?;
    for (i, r) in pending::resolve(store, &writer, &mut db, &list)? {
        if let Err(e) = r {
            failure(&outcomes, &i, e);
            list.retain(|x| *x != i);
        }
    }
    drop(db);
    let done = for_each_instrument(args, &outcomes, &list, |i| {
        let m = store
            .read_multiple_prices(i)
            .map_err(|e| not_found_hint(e, "no multiple prices"))?;
        let bars = store
            .read_contract_prices(i)
            .map_err(|e| not_found_hint(e, "no contract prices"))?;
        let adjusted = store.read_adjusted_prices(i).map_err(|e| {
            not_found_hint(e, "no adjusted prices: run `roll-contracts adjust` first")
        })?;
        let new_rows = systrade_roll::update_multiple_no_roll(&m, &bars)?;
        let mut extended: MultiplePrices = m;
        let added = new_rows.len();
        extended.extend(new_rows);
        // also catches up adjusted prices left behind by an interrupted earlier run
        let new_adjusted = systrade_roll::update_adjusted_no_roll(&adjusted, &extended)?;
        if added == 0 && new_adjusted.is_empty() {
            tracing::info!("{i}: up to date");
            return Ok((0, 0));
        }
        let mut full = adjusted;
        full.timestamps.extend(&new_adjusted.timestamps);
        full.values.extend(&new_adjusted.values);
        // prepare (validate) both before writing either; multiple first: a failed adjusted write
        // is caught up by the next run
        let mfile = store.prepare_multiple_prices(i, &extended)?;
        let afile = store.prepare_adjusted_prices(i, &full)?;
        writer.commit(&mfile)?;
        writer.commit(&afile)?;
        tracing::info!(
            "{i}: {added} multiple-prices rows, {} adjusted values added",
            new_adjusted.len()
        );
        Ok((added, new_adjusted.len()))
    });
    let (rows, values) = done
        .iter()
        .fold((0, 0), |(a, b), (_, (x, y))| (a + x, b + y));
    tracing::info!("update: {rows} multiple-prices rows and {values} adjusted values added");
    Ok(outcomes.finish())
}

// ---- state ---------------------------------------------------------------------------------------

/// The position in the priced contract (last multiple-prices row) of `instrument`; 0 without
/// multiple prices.
fn priced_position(
    store: &Store,
    book: &RollBook,
    instrument: &InstrumentCode,
) -> anyhow::Result<i64> {
    match store.read_multiple_prices(instrument) {
        Ok(m) => Ok(m
            .last()
            .map_or(0, |r| book.position_in(instrument, r.price_contract))),
        Err(e) if e.is_not_found() => Ok(0),
        Err(e) => Err(e.into()),
    }
}

fn state(
    args: &Args,
    store: &Store,
    instrument: Option<&InstrumentCode>,
    set: Option<RollState>,
) -> anyhow::Result<ExitCode> {
    let mut db = store.open_state_for_writing()?;
    let book = RollBook::load(&db)?;
    let mut rows: Vec<(InstrumentCode, RollState)> = Vec::new();
    match (instrument, set) {
        (Some(i), Some(wanted)) => {
            if let Some(p) = db.pending_rolls()?.iter().find(|p| p.instrument == *i) {
                anyhow::bail!(
                    "{i}: the roll from {} to {} was interrupted and is still pending: run \
                     `roll-contracts roll {i}` or `roll-contracts update` to finish it first",
                    p.before.price_contract,
                    p.after.price_contract
                );
            }
            let position = priced_position(store, &book, i)?;
            let from = book.state(i);
            if !is_allowed(from, wanted, position) {
                let allowed: Vec<&str> = systrade_roll::allowed_transitions(from, position)
                    .into_iter()
                    .map(RollState::as_str)
                    .collect();
                anyhow::bail!(
                    "{i}: cannot go from {from} to {wanted} with priced position {position}; allowed: {}",
                    allowed.join(", ")
                );
            }
            db.transaction(|tx| tx.set_roll_state(i, wanted, from))
                .with_context(|| format!("setting the roll state of {i}"))?;
            tracing::info!("{i}: roll state {from} -> {wanted}");
            rows.push((i.clone(), wanted));
        }
        (Some(i), None) => rows.push((i.clone(), book.state(i))),
        (None, _) => {
            let mut all: Vec<InstrumentCode> = roll_parameters(store)?.into_keys().collect();
            for known in book.instruments() {
                if !all.contains(known) {
                    all.push(known.clone());
                }
            }
            all.sort();
            let list = match &args.common.instruments {
                Some(wanted) => wanted.clone(),
                None => all,
            };
            for i in list {
                let st = book.state(&i);
                rows.push((i, st));
            }
        }
    }
    let mut out = Printer::stdout(args.stdout.format);
    out.table(
        "roll_states",
        "Roll states",
        systrade_cli::output::columns(&["instrument", "state"]),
    )?;
    for (i, st) in rows {
        out.row(vec![Value::text(i), Value::text(st)])?;
    }
    out.finish()?;
    Ok(ExitCode::Success)
}
