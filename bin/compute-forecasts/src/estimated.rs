//! `compute-forecasts` with estimated forecast weights and/or FDM (`use_forecast_weight_estimates`,
//! `use_forecast_div_mult_estimates`; issue 17). pysystemtrade's production runs its backtest
//! system every day, so the estimates come from the history in the run: every rule's capped
//! forecast first, then the estimation and combination `backtest` uses
//! ([`systrade_system::estimation::combine_estimated`], the same library path), so the combined
//! forecast of the last date applies the latest estimates and equals the backtest's on the same
//! data. `--as-of` cuts the prices before anything is estimated.
//!
//! Writes the forecast files together with `estimates/forecasts.parquet` (the current estimates:
//! [`systrade_store::estimates`]), all replaced on one commit; with `--output -` the CSV only.

use crate::{Summary, fail, stage};
use std::collections::BTreeMap;
use std::io::Write;
use systrade_cli::Progress;
use systrade_forecast::{ClassPeer, ForecastInputs, ForecastJob};
use systrade_model::{ForecastSeries, InstrumentCode};
use systrade_store::estimates::Current;
use systrade_store::{Store, Writer};
use systrade_system::estimation::{ForecastEstimation, combine_estimated, pending_combined};
use systrade_system::{ForecastSetup, InstrumentPrices};

/// What the estimated run was given.
pub(crate) struct Run<'a> {
    pub store: &'a Store,
    pub cfg: &'a systrade_config::SystemConfig,
    pub setup: &'a ForecastSetup,
    pub est: &'a ForecastEstimation,
    pub writer: Option<&'a Writer<'a>>,
    pub codes: &'a [InstrumentCode],
    pub no_progress: bool,
}

/// Computes, estimates, combines and writes; returns the instruments done with their summaries
/// (failures are added to `failures`).
pub(crate) fn run(
    r: &Run<'_>,
    mut prices: Vec<InstrumentPrices>,
    jobs: &[ForecastJob],
    inputs: Vec<ForecastInputs>,
    peers: &[ClassPeer],
    failures: &mut Vec<(InstrumentCode, String)>,
) -> anyhow::Result<Vec<(InstrumentCode, Summary)>> {
    let progress = Progress::new(jobs.len() as u64, "instruments", r.no_progress);
    let rules =
        systrade_system::forecasts::compute_rules(jobs, inputs, peers, r.setup.scalars, &|| {
            progress.inc(1)
        });
    progress.finish();
    let statics = systrade_system::StaticData::read(r.store).map_err(fail)?;
    // as backtest: an instrument whose volatility sits at the floor on some day is no part of
    // the estimation (its positions, hence its forecast P&L, would be absurd)
    let mut run_failures: Vec<(InstrumentCode, String)> = Vec::new();
    run_failures.extend(systrade_system::exclude_floored_vol(
        &mut prices,
        &r.setup.vol,
        systrade_system::FlooredVolCheck::AnyDay,
    ));
    let mut loaded = systrade_system::assemble(
        r.store,
        r.cfg,
        &statics,
        prices,
        pending_combined(jobs, &rules),
        run_failures,
    );
    if loaded.inputs.is_empty() {
        failures.extend(loaded.failures);
        return Ok(Vec::new());
    }
    tracing::info!(
        "estimating{}{} from the history of {} instruments",
        if r.est.weights.is_some() {
            " forecast weights"
        } else {
            ""
        },
        if r.est.fdm.is_some() { " and FDM" } else { "" },
        loaded.inputs.len()
    );
    let t = std::time::Instant::now();
    let combinations = combine_estimated(&mut loaded.inputs, jobs, &rules, r.est)
        .map_err(|e| fail(format!("forecast estimation: {e}")))?;
    tracing::debug!("forecast weights and FDM estimated: {:?}", t.elapsed());

    // every instrument's rule series; the combined one where there is a combination
    let mut combined: BTreeMap<&str, ForecastSeries> = combinations
        .iter()
        .map(|(code, c)| (code.as_str(), c.combined_series()))
        .collect();
    let mut series: Vec<(InstrumentCode, Vec<ForecastSeries>, bool)> = Vec::new();
    for (code, s) in rules {
        match s {
            Ok(mut s) => {
                let c = combined.remove(code.as_str());
                let has_combined = c.is_some();
                s.extend(c);
                series.push((code, s, has_combined));
            }
            Err(e) => failures.push((code, e)),
        }
    }
    failures.extend(loaded.failures);

    let mut done = Vec::new();
    match r.writer {
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            crate::csv_output::write_csv_header(&mut out)?;
            for (code, s, has_combined) in &series {
                crate::csv_output::write_csv_rows(&mut out, code, s)?;
                if *has_combined {
                    done.push((code.clone(), Summary::of(s, false)));
                }
            }
            out.flush()?;
        }
        Some(writer) => {
            let staged = writer.staged();
            let mut written = Vec::new();
            for (code, s, has_combined) in &series {
                let file = r.store.prepare_forecasts(code, s)?;
                match stage(&staged, &file) {
                    Ok(w) if *has_combined => written.push((code.clone(), Summary::of(s, w))),
                    Ok(_) => {}
                    Err(e) => failures.push((code.clone(), e)),
                }
            }
            let rows = current_rows(r.store, r.codes, &combinations)?;
            staged.stage(
                &r.store
                    .prepare_current_estimates(Current::Forecasts, &rows)?,
            )?;
            staged.commit().map_err(|e| {
                fail(format!(
                    "writing the forecast files: {e} (files not yet renamed keep their previous content)"
                ))
            })?;
            tracing::info!(
                "current estimates ({} rows) in {}",
                rows.len(),
                r.store
                    .dir()
                    .current_estimates_file(Current::Forecasts)
                    .display()
            );
            done = written;
        }
    }
    Ok(done)
}

/// This run's current estimates, with the stored rows of instruments this run was not asked for
/// (`--instruments` narrows a run; their rows stay as their last run wrote them).
fn current_rows(
    store: &Store,
    codes: &[InstrumentCode],
    combinations: &[(String, systrade_system::estimation::EstimatedCombination)],
) -> anyhow::Result<Vec<systrade_store::estimates::EstimateRow>> {
    let mut rows: Vec<_> = store
        .read_current_estimates(Current::Forecasts)
        .unwrap_or_else(|e| {
            tracing::warn!("previous current estimates not kept: {e}");
            None
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|row| {
            row.instrument
                .as_deref()
                .is_some_and(|i| !codes.iter().any(|c| c.as_str() == i))
        })
        .collect();
    rows.extend(systrade_system::estimation::current_forecast_rows(
        combinations,
    ));
    Ok(rows)
}
