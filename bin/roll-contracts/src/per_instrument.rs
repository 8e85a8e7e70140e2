//! What every subcommand shares: the instruments to work on, the write lock, the roll parameters,
//! running work per instrument in parallel with its outcome recorded (and the exit code it makes), and
//! the hints added to a missing input.

use crate::Args;
use anyhow::Context;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::time::Duration;
use systrade_cli::{ExitCode, Outcomes, Progress};
use systrade_model::{InstrumentCode, RollParameters};
use systrade_roll::RollError;
use systrade_store::{PreparedFile, SeriesKind, Store, StoreError, Writer};

/// The instruments to work on: those named with `--instruments`, else every instrument with a
/// stored file of `kind`.
pub(crate) fn instruments(
    args: &Args,
    store: &Store,
    kind: SeriesKind,
) -> anyhow::Result<Vec<InstrumentCode>> {
    instruments_of(args, store, &[kind])
}

/// The instruments to work on: those named with `--instruments` ([`selected`]), else every
/// instrument with a stored file of one of `kinds`. A stage lists its own input and the earlier
/// stages' (`multiple`: roll calendars and contract prices), so that an instrument an earlier
/// stage could not build fails here by name instead of vanishing (issue 15 item 9).
pub(crate) fn instruments_of(
    args: &Args,
    store: &Store,
    kinds: &[SeriesKind],
) -> anyhow::Result<Vec<InstrumentCode>> {
    let mut list = match selected(args, store)? {
        Some(list) => list,
        None => {
            let mut all = Vec::new();
            for kind in kinds {
                all.extend(store.list_instruments(*kind)?);
            }
            all.sort();
            all
        }
    };
    // each instrument once: two tasks must never write the same file
    let mut seen = std::collections::BTreeSet::new();
    list.retain(|i| seen.insert(i.clone()));
    Ok(list)
}

/// The instruments named with `--instruments`, each of which must be known (in
/// `config/instruments.csv` or with a stored series): an unknown name is a usage error (exit 2)
/// naming it, as in every tool.
pub(crate) fn selected(args: &Args, store: &Store) -> anyhow::Result<Option<Vec<InstrumentCode>>> {
    let Some(wanted) = &args.common.instruments else {
        return Ok(None);
    };
    let mut known: Vec<InstrumentCode> = match store.read_instruments() {
        Ok(v) => v.into_iter().map(|i| i.code).collect(),
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(e).context("reading config/instruments.csv"),
    };
    for kind in [
        SeriesKind::Contracts,
        SeriesKind::Rolls,
        SeriesKind::Multiple,
        SeriesKind::Adjusted,
    ] {
        known.extend(store.list_instruments(kind)?);
    }
    if let Ok(params) = store.read_roll_parameters() {
        known.extend(params.into_iter().map(|p| p.instrument));
    }
    known.sort();
    known.dedup();
    let unknown: Vec<&str> = wanted
        .iter()
        .filter(|w| !known.contains(w))
        .map(InstrumentCode::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(systrade_cli::usage(format!(
            "unknown instrument(s) in --instruments: {}: not in config/instruments.csv and no \
             stored prices or roll calendar",
            unknown.join(", ")
        )));
    }
    Ok(Some(wanted.clone()))
}

/// Takes the data directory's write lock and deletes the temporary files killed writers left.
pub(crate) fn lock<'s>(args: &Args, store: &'s Store) -> anyhow::Result<Writer<'s>> {
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

pub(crate) fn roll_parameters(
    store: &Store,
) -> anyhow::Result<BTreeMap<InstrumentCode, RollParameters>> {
    Ok(store
        .read_roll_parameters()
        .context("reading config/rolls.csv")?
        .into_iter()
        .map(|p| (p.instrument.clone(), p))
        .collect())
}

/// The exit code of a roll error: a data problem needs a person (exit 4: an unregistered roll, a
/// missing, bad or stale priced-contract price); anything else is a failure.
pub(crate) fn with_roll_exit_code(err: anyhow::Error) -> anyhow::Error {
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
pub(crate) fn record<T>(
    outcomes: &Outcomes,
    i: &InstrumentCode,
    r: anyhow::Result<T>,
) -> Option<T> {
    outcomes.record(i, r.map_err(with_roll_exit_code))
}

/// Records the failure of `i` (logged at once, with its exit code).
pub(crate) fn failure(outcomes: &Outcomes, i: &InstrumentCode, e: anyhow::Error) {
    outcomes.failed(i, &with_roll_exit_code(e));
}

/// Runs `work` for every instrument in parallel, recording each outcome in `outcomes` as it ends
/// (its `finish` makes the exit code, [`systrade_cli::outcome`]: 3 some failed, 4 a data problem
/// among them, 1 or the shared specific code when all failed); returns the results of those that
/// succeeded.
pub(crate) fn for_each_instrument<T: Send>(
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
pub(crate) fn for_each_instrument_writing(
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

pub(crate) fn not_found_hint(e: StoreError, hint: &str) -> anyhow::Error {
    if e.is_not_found() {
        anyhow::Error::new(e).context(hint.to_string())
    } else {
        e.into()
    }
}
