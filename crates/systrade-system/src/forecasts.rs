//! Combined forecasts for sizing: computed in process ([`compute`], the forecast pipeline of
//! `compute-forecasts`), read from `forecasts/<INSTRUMENT>.parquet` ([`read_files`]), or read from
//! the CSV `date,instrument,rule,forecast` that `compute-forecasts --output -` writes
//! ([`read_csv`]).

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Read;
use systrade_forecast::pipeline::{ScalarMethod, compute_forecasts};
use systrade_forecast::{ClassPeer, ForecastInputs, ForecastJob, RuleCosts};
use systrade_model::{COMBINED_RULE, ForecastSeries, InstrumentCode};
use systrade_series::DailySeries;
use systrade_store::Store;

/// Per instrument: its combined forecast or why there is none.
pub type Combined = BTreeMap<InstrumentCode, Result<DailySeries, String>>;

fn combined_of(series: &[ForecastSeries]) -> Result<DailySeries, String> {
    series
        .iter()
        .find(|s| s.is_combined())
        .map(|s| DailySeries::new(s.dates.clone(), s.capped.clone()))
        .ok_or_else(|| format!("no '{COMBINED_RULE}' forecast"))
}

/// Computes every instrument's combined forecast as `compute-forecasts` does (pooled scalars and
/// cross-sectional rules over the loaded instruments), from the raw-data stage computed while
/// loading ([`crate::load_instruments`] with forecast inputs; `inputs[i]` belongs to `jobs[i]`).
/// `peers` are the data's instruments outside the system for asset-class factor averages
/// ([`crate::class_peers`]). `on_done` is called per instrument.
pub fn compute(
    jobs: &[ForecastJob],
    inputs: Vec<ForecastInputs>,
    peers: &[ClassPeer],
    scalars: ScalarMethod,
    on_done: &(dyn Fn() + Sync),
) -> Combined {
    let mut out = Combined::new();
    let times = compute_forecasts(
        jobs,
        inputs.into_iter().map(Ok).collect(),
        peers,
        scalars,
        on_done,
        &|job, series| match &job.no_combined {
            Some(why) => Err(format!("no combined forecast: {why}")),
            None => combined_of(&series),
        },
        &mut |job, r| {
            out.insert(job.code.clone(), r);
            Ok::<(), std::convert::Infallible>(())
        },
    );
    let Ok(report) = times;
    tracing::debug!("forecast phases: {:?}", report.times);
    warn_expensive_rules(&report.rule_costs);
    out
}

/// Per instrument: every rule's forecast series (raw, scalar, capped; no combined one), or why
/// there are none.
pub type RuleForecasts = BTreeMap<InstrumentCode, Result<Vec<ForecastSeries>, String>>;

/// [`compute`] stopping before the combination: every rule's capped forecast per instrument, for a
/// combination with estimated weights or FDM ([`crate::estimation::estimate_and_combine`]).
pub fn compute_rules(
    jobs: &[ForecastJob],
    inputs: Vec<ForecastInputs>,
    peers: &[ClassPeer],
    scalars: ScalarMethod,
    on_done: &(dyn Fn() + Sync),
) -> RuleForecasts {
    let mut out = RuleForecasts::new();
    let times = compute_forecasts(
        jobs,
        inputs.into_iter().map(Ok).collect(),
        peers,
        scalars,
        on_done,
        &|_job, series| Ok(series.into_iter().filter(|s| !s.is_combined()).collect()),
        &mut |job, r| {
            out.insert(job.code.clone(), r);
            Ok::<(), std::convert::Infallible>(())
        },
    );
    let Ok(report) = times;
    tracing::debug!("forecast phases: {:?}", report.times);
    out
}

/// Logs a warning per instrument naming the rules `forecast_post_ceiling_cost_SR` dropped from its
/// combination, with their SR costs, and every rule's SR cost at debug level. (An instrument with
/// no rule cheap enough fails instead, named by the pipeline.)
pub fn warn_expensive_rules(rule_costs: &[RuleCosts]) {
    for e in rule_costs {
        tracing::debug!("{}: SR costs of the rules: {}", e.code, e.all_costs());
        if let Some(w) = e.dropped_warning() {
            tracing::warn!("{}: {w}", e.code);
        }
    }
}

/// Reads the combined forecast of each instrument from `forecasts/<INSTRUMENT>.parquet`.
pub fn read_files(store: &Store, codes: &[InstrumentCode]) -> Combined {
    codes
        .par_iter()
        .map(|c| {
            // only the combined forecast's rows are decoded
            let r = match store.read_forecast(c, COMBINED_RULE) {
                Ok(Some(s)) => Ok(DailySeries::new(s.dates, s.capped)),
                Ok(None) => Err(format!("no '{COMBINED_RULE}' forecast")),
                Err(e) if e.is_not_found() => Err(format!(
                    "no forecasts file {} (run compute-forecasts first)",
                    store.dir().forecasts_file(c).display()
                )),
                Err(e) => Err(e.to_string()),
            };
            (c.clone(), r)
        })
        .collect()
}

/// A malformed forecast CSV.
#[derive(Debug, thiserror::Error)]
pub enum ForecastCsvError {
    #[error("forecast CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("forecast CSV: header must be date,instrument,rule,forecast, got {0}")]
    Header(String),
    #[error("forecast CSV line {line}: {problem}")]
    Line { line: usize, problem: String },
}

/// Reads the `combined` rows of a `date,instrument,rule,forecast` CSV (other rules are ignored; an
/// empty forecast is NaN). Rows of one instrument must be in date order.
///
/// # Errors
/// Malformed CSV (wrong header, bad date or number, dates out of order), naming the line.
pub fn read_csv(input: impl Read) -> Result<Combined, ForecastCsvError> {
    let mut reader = csv::Reader::from_reader(input);
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    if header != ["date", "instrument", "rule", "forecast"] {
        return Err(ForecastCsvError::Header(header.join(",")));
    }
    let mut out: BTreeMap<InstrumentCode, (Vec<chrono::NaiveDate>, Vec<f64>)> = BTreeMap::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec?;
        if &rec[2] != COMBINED_RULE {
            continue;
        }
        let bad = |problem: String| ForecastCsvError::Line { line, problem };
        let date = chrono::NaiveDate::parse_from_str(&rec[0], "%Y-%m-%d")
            .map_err(|e| bad(format!("bad date '{}': {e}", &rec[0])))?;
        let code = InstrumentCode::new(&rec[1]).map_err(|e| bad(e.to_string()))?;
        let v = if rec[3].is_empty() {
            f64::NAN
        } else {
            rec[3]
                .parse::<f64>()
                .map_err(|e| bad(format!("bad forecast '{}': {e}", &rec[3])))?
        };
        let (dates, values) = out.entry(code.clone()).or_default();
        if dates.last().is_some_and(|d| *d >= date) {
            return Err(bad(format!("{code} {date} is not after the previous date")));
        }
        dates.push(date);
        values.push(v);
    }
    Ok(out
        .into_iter()
        .map(|(c, (d, v))| (c, Ok(DailySeries::new(d, v))))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_keeps_combined_rows_only() {
        let text = "date,instrument,rule,forecast\n2024-01-01,X,ewmac8,3\n2024-01-01,X,combined,\n2024-01-02,X,combined,-2.5\n2024-01-02,Y,combined,1\n";
        let c = read_csv(text.as_bytes()).unwrap();
        let x = c[&InstrumentCode::new("X").unwrap()].as_ref().unwrap();
        assert_eq!(x.len(), 2);
        assert!(x.values[0].is_nan());
        assert_eq!(x.values[1], -2.5);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn csv_rejects_bad_header_and_order() {
        assert!(read_csv("a,b\n".as_bytes()).is_err());
        let text =
            "date,instrument,rule,forecast\n2024-01-02,X,combined,1\n2024-01-01,X,combined,1\n";
        let e = read_csv(text.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
    }
}
