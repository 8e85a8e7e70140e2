//! Combined forecasts for sizing: computed in process (backtest), read from
//! `forecasts/<INSTRUMENT>.parquet` (compute-forecasts' files, read with its reader), or read from
//! the CSV `date,instrument,rule,forecast` that `compute-forecasts --output -` writes.

use crate::ForecastSetup;
use compute_forecasts::compute::InstrumentJob;
use compute_forecasts::compute::{compute_all, compute_from_data};
use compute_forecasts::output::{COMBINED, RuleSeries, forecasts_file, read_forecasts};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Read;
use systrade_forecast::instrument::InstrumentData;
use systrade_model::InstrumentCode;
use systrade_series::DailySeries;
use systrade_store::Store;

/// Per instrument: its combined forecast or why there is none.
pub type Combined = BTreeMap<InstrumentCode, Result<DailySeries, String>>;

fn combined_of(series: &[RuleSeries]) -> Result<DailySeries, String> {
    series
        .iter()
        .find(|s| s.rule == COMBINED)
        .map(|s| DailySeries::new(s.dates.clone(), s.capped.clone()))
        .ok_or_else(|| format!("no '{COMBINED}' forecast"))
}

/// Computes every instrument's forecasts as `compute-forecasts` does (pooled scalars and
/// cross-sectional rules over the loaded instruments). `on_done` is called per instrument.
/// The jobs' prices may be released as they are used.
pub fn compute(
    jobs: &mut [InstrumentJob],
    setup: &ForecastSetup,
    on_done: &(dyn Fn() + Sync),
) -> Combined {
    let codes: Vec<InstrumentCode> = jobs.iter().map(|j| j.code.clone()).collect();
    let mut out = Combined::new();
    let collected = compute_all(
        jobs,
        setup.scalars,
        on_done,
        &|_, series| combined_of(&series),
        &mut |job, r| {
            out.insert(job.code.clone(), r);
            Ok(())
        },
    );
    if let Err(e) = collected {
        // the sink above never fails; keep the message for every instrument if it ever does
        for code in codes {
            out.entry(code).or_insert_with(|| Err(format!("{e:#}")));
        }
    }
    out
}

/// As [`compute`], from the raw-data stage already computed while loading
/// ([`crate::load_for_forecasts`]; `data[i]` belongs to `jobs[i]`), so the jobs need no prices.
pub fn compute_from_loaded(
    jobs: &[InstrumentJob],
    data: Vec<InstrumentData>,
    setup: &ForecastSetup,
    on_done: &(dyn Fn() + Sync),
) -> Combined {
    let codes: Vec<InstrumentCode> = jobs.iter().map(|j| j.code.clone()).collect();
    let mut out = Combined::new();
    let collected = compute_from_data(
        jobs,
        data.into_iter().map(Ok).collect(),
        setup.scalars,
        on_done,
        &|_, series| combined_of(&series),
        &mut |job, r| {
            out.insert(job.code.clone(), r);
            Ok(())
        },
    );
    if let Err(e) = collected {
        for code in codes {
            out.entry(code).or_insert_with(|| Err(format!("{e:#}")));
        }
    }
    out
}

/// Reads the combined forecast of each instrument from `forecasts/<INSTRUMENT>.parquet`.
pub fn read_files(store: &Store, codes: &[InstrumentCode]) -> Combined {
    codes
        .par_iter()
        .map(|c| {
            let r = if forecasts_file(store, c).exists() {
                read_forecasts(store, c)
                    .map_err(|e| format!("{e:#}"))
                    .and_then(|s| combined_of(&s))
            } else {
                Err(format!(
                    "no forecasts file {} (run compute-forecasts first)",
                    forecasts_file(store, c).display()
                ))
            };
            (c.clone(), r)
        })
        .collect()
}

/// Reads the `combined` rows of a `date,instrument,rule,forecast` CSV (other rules are ignored; an
/// empty forecast is NaN). Rows of one instrument must be in date order.
///
/// # Errors
/// Malformed CSV (wrong header, bad date or number, dates out of order), naming the line.
pub fn read_csv(input: impl Read) -> anyhow::Result<Combined> {
    let mut reader = csv::Reader::from_reader(input);
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    anyhow::ensure!(
        header == ["date", "instrument", "rule", "forecast"],
        "forecast CSV: header must be date,instrument,rule,forecast, got {}",
        header.join(",")
    );
    let mut out: BTreeMap<InstrumentCode, (Vec<chrono::NaiveDate>, Vec<f64>)> = BTreeMap::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec?;
        if &rec[2] != COMBINED {
            continue;
        }
        let date = chrono::NaiveDate::parse_from_str(&rec[0], "%Y-%m-%d").map_err(|e| {
            anyhow::anyhow!("forecast CSV line {line}: bad date '{}': {e}", &rec[0])
        })?;
        let code = InstrumentCode::new(&rec[1])
            .map_err(|e| anyhow::anyhow!("forecast CSV line {line}: {e}"))?;
        let v = if rec[3].is_empty() {
            f64::NAN
        } else {
            rec[3].parse::<f64>().map_err(|e| {
                anyhow::anyhow!("forecast CSV line {line}: bad forecast '{}': {e}", &rec[3])
            })?
        };
        let (dates, values) = out.entry(code.clone()).or_default();
        anyhow::ensure!(
            dates.last().is_none_or(|d| *d < date),
            "forecast CSV line {line}: {code} {date} is not after the previous date"
        );
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
