//! `roll-contracts report`: per instrument the roll state, priced/forward/carry contracts, days to
//! the desired roll date and to expiry, smoothed volumes and the auto-roll rule's suggestion
//! (spec §4.8; pysystemtrade's roll report).

use crate::Args;
use crate::per_instrument::{for_each_instrument, instruments, roll_parameters};
use crate::roll_state::RollBook;
use anyhow::Context;
use chrono::NaiveDate;
use systrade_cli::{Column, ExitCode, Outcomes, Printer, Value};
use systrade_model::{ContractDate, ContractPrices, MultiplePrices, RollParameters, Timestamp};
use systrade_roll::{AutoRollConfig, AutoRollInputs, daily_volumes, smoothed_volume};
use systrade_store::{SeriesKind, Store};

/// What the roll decision looks at for one instrument.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub priced: ContractDate,
    pub forward: ContractDate,
    pub carry: ContractDate,
    pub last_timestamp: Timestamp,
    pub days_to_roll: i64,
    pub days_to_expiry: i64,
    pub priced_volume: Option<f64>,
    pub forward_volume: Option<f64>,
    pub relative_volume: Option<f64>,
    pub position: i64,
}

impl Facts {
    pub(crate) fn inputs(&self) -> AutoRollInputs {
        AutoRollInputs {
            relative_volume: self.relative_volume.unwrap_or(f64::NAN),
            forward_volume: self.forward_volume.unwrap_or(f64::NAN),
            days_to_roll: self.days_to_roll,
            days_to_expiry: self.days_to_expiry,
            priced_position: self.position,
        }
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Facts from the last multiple-prices row and, when present, the contract bars' volumes
/// (EWMA span 3 of the last 14 daily volumes, `smoothed_volume`).
pub(crate) fn facts(
    params: &RollParameters,
    multiple: &MultiplePrices,
    bars: Option<&ContractPrices>,
    position: i64,
    as_of: NaiveDate,
) -> Facts {
    let last = multiple
        .last()
        .expect("callers check for empty multiple prices");
    let volume = |c| bars.map_or(f64::NAN, |b| smoothed_volume(&daily_volumes(b, c)));
    let priced_volume = volume(last.price_contract);
    let forward_volume = volume(last.forward_contract);
    let relative = if priced_volume > 0.0 {
        forward_volume / priced_volume
    } else {
        f64::NAN
    };
    Facts {
        priced: last.price_contract,
        forward: last.forward_contract,
        carry: last.carry_contract,
        last_timestamp: last.timestamp,
        days_to_roll: (params.desired_roll_date(last.price_contract) - as_of).num_days(),
        days_to_expiry: (params.approx_expiry(last.price_contract) - as_of).num_days(),
        priced_volume: finite(priced_volume),
        forward_volume: finite(forward_volume),
        relative_volume: finite(relative),
        position,
    }
}

struct ReportRow {
    instrument: String,
    state: String,
    facts: Facts,
    suggestion: String,
}

fn columns() -> Vec<Column> {
    let mut c = systrade_cli::output::columns(&[
        "instrument",
        "state",
        "priced",
        "forward",
        "carry",
        "last_timestamp",
        "days_to_roll",
        "days_to_expiry",
    ]);
    c.extend([
        Column::new("priced_volume").decimals(2),
        Column::new("forward_volume").decimals(2),
        Column::new("relative_volume").decimals(3),
        Column::new("position"),
        Column::new("suggestion"),
    ]);
    c
}

impl ReportRow {
    fn values(&self) -> Vec<Value> {
        let f = &self.facts;
        vec![
            Value::text(&self.instrument),
            Value::text(&self.state),
            Value::text(f.priced),
            Value::text(f.forward),
            Value::text(f.carry),
            f.last_timestamp.into(),
            f.days_to_roll.into(),
            f.days_to_expiry.into(),
            f.priced_volume.into(),
            f.forward_volume.into(),
            f.relative_volume.into(),
            f.position.into(),
            Value::text(&self.suggestion),
        ]
    }
}

pub(crate) fn report(
    args: &Args,
    store: &Store,
    as_of: Option<NaiveDate>,
) -> anyhow::Result<ExitCode> {
    let list = instruments(args, store, SeriesKind::Multiple)?;
    let params = roll_parameters(store)?;
    let book = RollBook::load(&store.open_state()?)?;
    let as_of = match as_of {
        Some(d) => d,
        None => systrade_cli::today()?,
    };
    let config = AutoRollConfig::default();
    let outcomes = Outcomes::new("report");
    let rows = for_each_instrument(args, &outcomes, &list, |i| {
        let p = params
            .get(i)
            .with_context(|| format!("no roll parameters for {i} in config/rolls.csv"))?;
        let m = store.read_multiple_prices(i)?;
        let last = m.last().context("empty multiple prices")?;
        let position = book.position_in(i, last.price_contract);
        let bars = match store.read_contract_prices(i) {
            Ok(b) => Some(b),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e.into()),
        };
        let facts = facts(p, &m, bars.as_ref(), position, as_of);
        let suggestion = systrade_roll::auto_roll_decision(&facts.inputs(), &config).to_string();
        Ok(ReportRow {
            instrument: i.to_string(),
            state: book.state(i).to_string(),
            facts,
            suggestion,
        })
    });
    let mut out = Printer::stdout(args.stdout.format);
    out.table("roll_report", "Roll report", columns())?;
    for (_, r) in &rows {
        out.row(r.values())?;
    }
    out.finish()?;
    Ok(outcomes.finish())
}
