//! `roll-contracts roll`: the production roll (spec §2.6) as one recoverable step.
//!
//! 1. Rolls a killed run left pending are finished or undone first ([`crate::pending`]).
//! 2. Per instrument (in parallel, nothing written): the decision — an instrument in Roll_Adjusted
//!    is rolled; with `--auto` the auto-roll rule may put it there or set another state — and the
//!    new multiple and adjusted prices.
//! 3. Every roll about to be written is recorded in `pending_rolls`, durably, in one transaction.
//! 4. Per roll: multiple prices, then adjusted prices, each replaced atomically. A write error
//!    restores the originals (adjusted first) and the roll fails.
//! 5. One transaction stores the new roll states (No_Roll after a roll, `previous_state` the state
//!    rolled from) and deletes the pending records.
//!
//! A kill -9 anywhere leaves nothing changed (before 3), or a pending record that the next `roll` or
//! `update` turns into exactly the files and state of an uninterrupted roll, or undoes when no file
//! had changed yet. A finished roll leaves the instrument in No_Roll, so running `roll` again does
//! not roll it twice.

use crate::fault::pause_point;
use crate::pending::{self, Resolution};
use crate::per_instrument::{failure, instruments, lock, not_found_hint, roll_parameters};
use crate::roll_state::RollBook;
use crate::{Args, report};
use anyhow::Context;
use chrono::NaiveDate;
use rayon::prelude::*;
use std::collections::BTreeMap;
use systrade_cli::{ExitCode, Outcomes, Printer, Progress, Value};
use systrade_model::{
    ContractDate, InstrumentCode, MultipleEnd, PendingRoll, RollParameters, RollState,
};
use systrade_roll::{AutoRollConfig, AutoRollDecision, PricesByContract, RolledPrices, is_allowed};
use systrade_store::{PreparedFile, SeriesKind, Store, StoreError, Writer};

/// What `roll` did to one instrument.
enum RollOutcome {
    Rolled {
        to_contract: ContractDate,
        note: &'static str,
    },
    StateChanged {
        from: RollState,
        to: RollState,
    },
    Unchanged {
        state: RollState,
        note: String,
    },
    /// Not in Roll_Adjusted and no --auto: nothing to do (a warning).
    NotRollAdjusted(RollState),
}

/// A computed roll, about to be written.
struct Plan {
    pending: PendingRoll,
    multiple: PreparedFile,
    adjusted: PreparedFile,
    /// The files as they are, to restore after a failed write.
    original_multiple: PreparedFile,
    original_adjusted: Option<PreparedFile>,
}

/// The decision for one instrument.
enum Decision {
    Roll(Box<Plan>),
    Done(RollOutcome),
}

/// How writing one roll's files ended.
enum Written {
    Done,
    /// Failed; the originals are back: the pending record can go.
    Undone(anyhow::Error),
    /// Failed and not restored: the record stays for the next run.
    Pending(anyhow::Error),
}

/// The options of one run.
pub(crate) struct RollRequest<'a> {
    pub instrument: Option<&'a InstrumentCode>,
    pub auto: bool,
    pub forward_fill: bool,
    pub as_of: Option<NaiveDate>,
}

pub(crate) fn roll(args: &Args, store: &Store, req: &RollRequest<'_>) -> anyhow::Result<ExitCode> {
    let list = match req.instrument {
        Some(i) => vec![i.clone()],
        None => instruments(args, store, SeriesKind::Multiple)?,
    };
    let params = roll_parameters(store)?;
    let as_of = match req.as_of {
        Some(d) => d,
        None => systrade_cli::today()?,
    };
    let writer = lock(args, store)?;
    let mut db = store.open_state_for_writing()?;
    let outcomes = Outcomes::new("roll");
    let mut done: BTreeMap<InstrumentCode, RollOutcome> = BTreeMap::new();

    // 1. rolls left pending by a killed run
    let mut resolved = pending::resolve(store, &writer, &mut db, &list)?;
    let mut todo = Vec::with_capacity(list.len());
    for i in list {
        match resolved.remove(&i) {
            Some(Err(e)) => failure(&outcomes, &i, e),
            Some(Ok(Resolution::Finished(p))) => {
                done.insert(
                    i,
                    RollOutcome::Rolled {
                        to_contract: p.after.price_contract,
                        note: "finished an interrupted roll",
                    },
                );
            }
            Some(Ok(Resolution::Undone | Resolution::Forgotten)) | None => todo.push(i),
        }
    }

    // 2. decide and compute
    let book = RollBook::load(&db)?;
    let progress = Progress::new(todo.len() as u64, "instruments", args.common.no_progress);
    let decided: Vec<(InstrumentCode, anyhow::Result<Decision>)> = todo
        .par_iter()
        .map(|i| {
            let d = decide(store, &book, &params, i, req, as_of);
            progress.inc(1);
            (i.clone(), d)
        })
        .collect();
    progress.finish();
    let mut plans: Vec<(InstrumentCode, Box<Plan>)> = Vec::new();
    for (i, d) in decided {
        match d {
            Ok(Decision::Roll(plan)) => plans.push((i, plan)),
            Ok(Decision::Done(o)) => {
                done.insert(i, o);
            }
            Err(e) => failure(&outcomes, &i, e),
        }
    }

    // 3. write ahead
    if !plans.is_empty() {
        let rolls: Vec<PendingRoll> = plans.iter().map(|(_, p)| p.pending.clone()).collect();
        db.record_pending_rolls(&rolls)
            .context("recording the rolls about to be written in state.sqlite")?;
        pause_point("roll:recorded");
    }

    // 4. the files
    let written: Vec<(InstrumentCode, Box<Plan>, Written)> = plans
        .into_par_iter()
        .map(|(i, plan)| {
            let w = write_files(&writer, &plan);
            (i, plan, w)
        })
        .collect();

    // 5. roll states, pending records gone
    let mut failed: Vec<(InstrumentCode, anyhow::Error)> = Vec::new();
    let stored = db.transaction(|tx| {
        for (i, outcome) in &done {
            if let RollOutcome::StateChanged { from, to } = outcome {
                tx.set_roll_state(i, *to, *from)?;
            }
        }
        for (_, plan, w) in &written {
            if let Written::Done = w {
                tx.finish_roll(&plan.pending)?;
            } else if let Written::Undone(_) = w {
                tx.forget_pending_roll(&plan.pending.instrument)?;
            }
        }
        Ok::<_, StoreError>(())
    });
    for (i, plan, w) in written {
        match w {
            Written::Done => {
                tracing::info!(
                    "{i}: rolled {} -> {} at {}",
                    plan.pending.before.price_contract,
                    plan.pending.after.price_contract,
                    plan.pending.after.timestamp
                );
                done.insert(
                    i,
                    RollOutcome::Rolled {
                        to_contract: plan.pending.after.price_contract,
                        note: "",
                    },
                );
            }
            Written::Undone(e) => failed.push((i, e.context("rolled back"))),
            Written::Pending(e) => failed.push((
                i,
                e.context("the roll is left pending: the next `roll` or `update` finishes it"),
            )),
        }
    }
    stored.context(
        "storing the new roll states (rolls whose files were written stay pending: the next \
         `roll` or `update` finishes them)",
    )?;
    pause_point("roll:finished");
    for (i, e) in failed {
        failure(&outcomes, &i, e);
    }
    print(args, &outcomes, &done)?;
    Ok(outcomes.finish())
}

/// What to do with `i`: roll it (computed), change its state, or leave it.
fn decide(
    store: &Store,
    book: &RollBook,
    params: &BTreeMap<InstrumentCode, RollParameters>,
    i: &InstrumentCode,
    req: &RollRequest<'_>,
    as_of: NaiveDate,
) -> anyhow::Result<Decision> {
    let from = book.state(i);
    let p = params
        .get(i)
        .with_context(|| format!("no roll parameters for {i} in config/rolls.csv"))?;
    let m = store
        .read_multiple_prices(i)
        .map_err(|e| not_found_hint(e, "no multiple prices"))?;
    let last = *m.last().context("empty multiple prices")?;
    let position = book.position_in(i, last.price_contract);
    let bars = match store.read_contract_prices(i) {
        Ok(b) => Some(b),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e.into()),
    };
    let unchanged = |note: String| Ok(Decision::Done(RollOutcome::Unchanged { state: from, note }));
    // a person's Roll_Adjusted is carried out as it stands; otherwise --auto applies the rule
    if from != RollState::RollAdjusted {
        if !req.auto {
            return Ok(Decision::Done(RollOutcome::NotRollAdjusted(from)));
        }
        let facts = report::facts(p, &m, bars.as_ref(), position, as_of);
        let config = AutoRollConfig::default();
        match systrade_roll::auto_roll_decision(&facts.inputs(), &config) {
            AutoRollDecision::Set(RollState::RollAdjusted) if position == 0 => {}
            AutoRollDecision::Set(to) if to == from => return unchanged(format!("stays {from}")),
            AutoRollDecision::Set(to) if is_allowed(from, to, position) => {
                return Ok(Decision::Done(RollOutcome::StateChanged { from, to }));
            }
            AutoRollDecision::Set(to) => {
                return unchanged(format!(
                    "rule says {to}, not allowed from {from} with position {position}"
                ));
            }
            AutoRollDecision::Ask => {
                return unchanged(
                    "forward liquid, position open, roll near: needs a decision".to_string(),
                );
            }
        }
    }
    if position != 0 {
        anyhow::bail!(
            "refused: the priced contract {} still has a position of {position}",
            last.price_contract
        );
    }
    let prices = bars.as_ref().map(PricesByContract::from_bars);
    let rolled: RolledPrices =
        systrade_roll::roll_adjusted(&m, p, prices.as_ref(), req.forward_fill)?;
    let original_adjusted = match store.read_adjusted_prices(i) {
        Ok(a) => Some(store.prepare_adjusted_prices(i, &a)?),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e.into()),
    };
    let (Some(before), Some(after)) = (MultipleEnd::of(&m), MultipleEnd::of(&rolled.multiple))
    else {
        anyhow::bail!("empty multiple prices");
    };
    Ok(Decision::Roll(Box::new(Plan {
        pending: PendingRoll {
            instrument: i.clone(),
            previous_state: from,
            before,
            after,
            forward_fill: req.forward_fill,
        },
        multiple: store.prepare_multiple_prices(i, &rolled.multiple)?,
        adjusted: store.prepare_adjusted_prices(i, &rolled.adjusted)?,
        original_multiple: store.prepare_multiple_prices(i, &m)?,
        original_adjusted,
    })))
}

/// Multiple prices, then adjusted prices; on an error the originals are restored (adjusted first,
/// so that a pending record never sees old multiple prices beside new adjusted ones).
fn write_files(writer: &Writer<'_>, plan: &Plan) -> Written {
    let result = writer.commit(&plan.multiple).and_then(|_| {
        pause_point("roll:multiple-written");
        writer.commit(&plan.adjusted)
    });
    let Err(e) = result else {
        pause_point("roll:adjusted-written");
        return Written::Done;
    };
    let e = anyhow::Error::new(e).context("writing the rolled prices");
    let restored = plan
        .original_adjusted
        .as_ref()
        .map_or(Ok(()), |a| writer.commit(a).map(|_| ()))
        .and_then(|()| writer.commit(&plan.original_multiple).map(|_| ()));
    match restored {
        Ok(()) => Written::Undone(e),
        Err(r) => Written::Pending(e.context(format!("restoring the original files failed: {r}"))),
    }
}

fn print(
    args: &Args,
    outcomes: &Outcomes,
    done: &BTreeMap<InstrumentCode, RollOutcome>,
) -> anyhow::Result<()> {
    let mut out = Printer::stdout(args.stdout.format);
    out.table(
        "rolls",
        "Rolls",
        systrade_cli::output::columns(&["instrument", "rolled", "priced", "state", "note"]),
    )?;
    for (i, outcome) in done {
        let (rolled, priced, state, note) = match outcome {
            RollOutcome::Rolled {
                to_contract, note, ..
            } => {
                outcomes.ok(i);
                (
                    true,
                    Value::text(to_contract),
                    RollState::NoRoll,
                    note.to_string(),
                )
            }
            RollOutcome::StateChanged { from, to } => {
                outcomes.ok(i);
                (false, Value::Null, *to, format!("state {from} -> {to}"))
            }
            RollOutcome::Unchanged { state, note } => {
                outcomes.ok(i);
                (false, Value::Null, *state, note.clone())
            }
            RollOutcome::NotRollAdjusted(state) => {
                let note = format!(
                    "in {state} (not Roll_Adjusted): not rolled; `roll-contracts state {i} \
                     --set Roll_Adjusted` to roll it"
                );
                outcomes.skipped(i, &note);
                (false, Value::Null, *state, note)
            }
        };
        out.row(vec![
            Value::text(i),
            rolled.into(),
            priced,
            Value::text(state),
            note.into(),
        ])?;
    }
    out.finish()?;
    Ok(())
}
