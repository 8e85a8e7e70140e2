//! `roll-contracts report`: per instrument the roll state, priced/forward/carry contracts, days to
//! the desired roll date and to expiry, smoothed volumes and the auto-roll rule's suggestion
//! (spec §4.8; pysystemtrade's roll report).

use crate::roll_state::RollBook;
use crate::{Args, for_each_instrument, instruments, roll_parameters};
use anyhow::Context;
use chrono::NaiveDate;
use std::io::IsTerminal;
use systrade_cli::{ExitCode, OutputFormat};
use systrade_model::{ContractPrices, MultiplePrices, RollParameters};
use systrade_roll::{AutoRollConfig, AutoRollInputs, daily_volumes, smoothed_volume};
use systrade_store::{SeriesKind, Store};

/// What the roll decision looks at for one instrument.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Facts {
    pub priced: String,
    pub forward: String,
    pub carry: String,
    pub last_timestamp: String,
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
        priced: last.price_contract.to_string(),
        forward: last.forward_contract.to_string(),
        carry: last.carry_contract.to_string(),
        last_timestamp: last.timestamp.to_string(),
        days_to_roll: (params.desired_roll_date(last.price_contract) - as_of).num_days(),
        days_to_expiry: (params.approx_expiry(last.price_contract) - as_of).num_days(),
        priced_volume: finite(priced_volume),
        forward_volume: finite(forward_volume),
        relative_volume: finite(relative),
        position,
    }
}

#[derive(Debug, serde::Serialize)]
struct ReportRow {
    instrument: String,
    state: String,
    #[serde(flatten)]
    facts: Facts,
    suggestion: String,
}

const HEADER: [&str; 13] = [
    "instrument",
    "state",
    "priced",
    "forward",
    "carry",
    "last_timestamp",
    "days_to_roll",
    "days_to_expiry",
    "priced_volume",
    "forward_volume",
    "relative_volume",
    "position",
    "suggestion",
];

fn num(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| format!("{x:.2}"))
}

impl ReportRow {
    fn cells(&self) -> Vec<String> {
        let f = &self.facts;
        vec![
            self.instrument.clone(),
            self.state.clone(),
            f.priced.clone(),
            f.forward.clone(),
            f.carry.clone(),
            f.last_timestamp.clone(),
            f.days_to_roll.to_string(),
            f.days_to_expiry.to_string(),
            num(f.priced_volume),
            num(f.forward_volume),
            f.relative_volume
                .map_or(String::new(), |x| format!("{x:.3}")),
            f.position.to_string(),
            self.suggestion.clone(),
        ]
    }
}

pub(crate) fn report(
    args: &Args,
    store: &Store,
    format: Option<OutputFormat>,
    as_of: Option<NaiveDate>,
) -> anyhow::Result<ExitCode> {
    let list = instruments(args, store, SeriesKind::Multiple)?;
    let params = roll_parameters(store)?;
    let book = RollBook::load(&store.open_state()?)?;
    let as_of = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let config = AutoRollConfig::default();
    let (code, rows) = for_each_instrument(args, "report", &list, |i| {
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
    let rows: Vec<ReportRow> = rows.into_iter().map(|(_, r)| r).collect();
    let format = format.unwrap_or(if std::io::stdout().is_terminal() {
        OutputFormat::Table
    } else {
        OutputFormat::Csv
    });
    let text = match format {
        OutputFormat::Json => serde_json::to_string_pretty(&rows)? + "\n",
        OutputFormat::Csv => {
            let mut s = HEADER.join(",") + "\n";
            for r in &rows {
                s.push_str(&r.cells().join(","));
                s.push('\n');
            }
            s
        }
        OutputFormat::Table => {
            let cells: Vec<Vec<String>> = std::iter::once(HEADER.map(str::to_string).to_vec())
                .chain(rows.iter().map(ReportRow::cells))
                .collect();
            let widths: Vec<usize> = (0..HEADER.len())
                .map(|k| cells.iter().map(|r| r[k].len()).max().unwrap_or(0))
                .collect();
            let mut s = String::new();
            for r in &cells {
                let line: Vec<String> = r
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect();
                s.push_str(line.join("  ").trim_end());
                s.push('\n');
            }
            s
        }
    };
    crate::write_stdout(&text)?;
    Ok(code)
}
