//! The forecast pipeline over all instruments of a system (spec §3.2–3.5), the one used by
//! `compute-forecasts`, `size-positions` and `backtest`. From each instrument's
//! [`ForecastInputs`] (its raw-data stage, computed by the caller while reading prices):
//!
//! 1. cross-sectional inputs: asset-class normalised prices, asset-class median carry, demeaned
//!    factors (per asset class / factor, parallel; [`crate::cross_section`]), then every rule's
//!    raw forecast per instrument (parallel), then the forecast scalars, estimated ones pooled
//!    across the instruments using a rule (parallel over rules);
//! 2. per instrument (parallel, in batches): scaling, capping and combination
//!    ([`crate::instrument::scale_cap_combine`]; no combination for a job with
//!    [`ForecastJob::no_combined`]), handed to the caller as [`ForecastSeries`].
//!
//! A failure of one instrument (no prices, a rule input it lacks) is isolated: the instrument is
//! reported and left out of every pool; the others go on.

use crate::cross_section::{ClassPeer, CrossSectionalNeeds, cross_sectional_inputs};
use crate::instrument::{
    ForecastConfig, ForecastInputs, ForecastScalar, forecast_series, rule_series, scale_cap,
    scale_cap_combine,
};
use crate::scaling::{ScalarEstimate, estimated_forecast_scalar};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use systrade_model::{ForecastSeries, InstrumentCode};
use systrade_series::DailySeries;

/// One instrument to forecast: its code, asset class and forecast configuration.
#[derive(Debug, Clone)]
pub struct ForecastJob {
    pub code: InstrumentCode,
    /// `AssetClass` from `config/instruments.csv` (needed by asset-class rules only).
    pub asset_class: Option<String>,
    pub config: ForecastConfig,
    /// Why this instrument gets no combined forecast (e.g. the config gives forecast weights per
    /// instrument but none for it: pysystemtrade's `ForecastCombine` raises for it, while its
    /// `ForecastScaleCap` still gives every rule's capped forecast). Such a job's `config` lists
    /// every rule; its capped forecasts are computed and handed over without a combined one, and
    /// its raw data takes part in the cross-sectional inputs of the others. `None` for a normal
    /// job.
    pub no_combined: Option<String>,
}

/// How forecast scalars are obtained (spec §3.4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScalarMethod {
    /// `forecast_scalar` lookups ([`ForecastConfig::scalars`]; 1.0 for a rule without one).
    Fixed,
    /// `use_forecast_scale_estimates`: estimated, pooled across the instruments using a rule
    /// (`pool`) or per instrument.
    Estimated {
        estimate: ScalarEstimate,
        pool: bool,
    },
}

/// Wall time of each phase of [`compute_forecasts`], for debug logs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PhaseTimes {
    pub cross_sectional_inputs: Duration,
    pub raw_forecasts: Duration,
    pub scalars: Duration,
    /// Scaling, capping, combination and the callers' per-instrument work and sink.
    pub combined_and_handed_over: Duration,
}

/// What happens to one instrument's finished series (in parallel): its result or why not.
pub type PerInstrument<'a, T> =
    dyn Fn(&ForecastJob, Vec<ForecastSeries>) -> Result<T, String> + Sync + 'a;

/// Receives each instrument's result in `jobs` order (sequentially).
pub type Sink<'a, T, E> = dyn FnMut(&ForecastJob, Result<T, String>) -> Result<(), E> + 'a;

/// Instruments finished per parallel batch of the last phase: bounds the memory of finished
/// series (and of what `per_instrument` makes of them) while keeping every core busy.
const BATCH: usize = 16;

/// Computes every instrument's forecasts. `inputs[i]` is the raw-data stage of `jobs[i]`, or why
/// it has none; `peers` are the instruments of the data outside the system that asset-class
/// factor averages include ([`ClassPeer`]; empty when no rule demeans by asset class). Each instrument's finished series go to `per_instrument` (in parallel; e.g.
/// encode a file), whose result goes to `sink` in `jobs` order (sequentially; e.g. print or
/// write). `on_done` is called once per instrument as it finishes. The inputs are released as
/// soon as the raw forecasts are computed.
///
/// # Errors
/// The first error of `sink` (the instruments after it are not handed over).
///
/// # Panics
/// When `inputs` does not have one entry per job.
pub fn compute_forecasts<T: Send, E>(
    jobs: &[ForecastJob],
    inputs: Vec<Result<ForecastInputs, String>>,
    peers: &[ClassPeer],
    scalars: ScalarMethod,
    on_done: &(dyn Fn() + Sync),
    per_instrument: &PerInstrument<'_, T>,
    sink: &mut Sink<'_, T, E>,
) -> Result<PhaseTimes, E> {
    assert_eq!(jobs.len(), inputs.len(), "one input per job");
    let mut times = PhaseTimes::default();
    let t = Instant::now();
    let mut errors: Vec<Option<String>> =
        inputs.iter().map(|d| d.as_ref().err().cloned()).collect();
    let data: Vec<Option<ForecastInputs>> = inputs.into_iter().map(Result::ok).collect();

    let needs = CrossSectionalNeeds::of(jobs.iter().flat_map(|j| j.config.rules.values()));
    let classes: Vec<Option<&str>> = jobs.iter().map(|j| j.asset_class.as_deref()).collect();
    let cross = cross_sectional_inputs(&data, &classes, &needs, peers);
    times.cross_sectional_inputs = t.elapsed();

    let t = Instant::now();
    let raw: Vec<Result<Vec<DailySeries>, String>> = jobs
        .par_iter()
        .zip(&data)
        .zip(&cross)
        .map(|((job, d), cross)| match d {
            Some(d) => d
                .raw_forecasts(&job.config, cross)
                .map_err(|e| e.to_string()),
            None => Err(String::new()),
        })
        .collect();
    drop(cross);
    drop(data);
    for (e, r) in errors.iter_mut().zip(&raw) {
        if let (None, Err(msg)) = (&e, r) {
            *e = Some(msg.clone());
        }
    }
    let raw: Vec<Option<Vec<DailySeries>>> = raw.into_iter().map(Result::ok).collect();
    times.raw_forecasts = t.elapsed();

    let t = Instant::now();
    let scalar_sets: Vec<Option<Vec<ForecastScalar>>> = match scalars {
        ScalarMethod::Fixed => jobs
            .iter()
            .map(|j| Some(j.config.fixed_scalars()))
            .collect(),
        ScalarMethod::Estimated { estimate, pool } => {
            estimated_scalars(jobs, &raw, &estimate, pool)
        }
    };
    times.scalars = t.elapsed();

    let t = Instant::now();
    let mut work: Vec<_> = jobs
        .iter()
        .zip(raw)
        .zip(scalar_sets)
        .zip(errors)
        .map(|(((job, raw), scalars), error)| (job, raw, scalars, error))
        .collect();
    let mut rest = work.drain(..);
    loop {
        let batch: Vec<_> = rest.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let done: Vec<(&ForecastJob, Result<T, String>)> = batch
            .into_par_iter()
            .map(|(job, raw, scalars, error)| {
                let r = match (error, raw, scalars) {
                    (None, Some(raw), Some(scalars)) if job.no_combined.is_some() => {
                        per_instrument(job, rule_series(scale_cap(&job.config, raw, &scalars)))
                    }
                    (None, Some(raw), Some(scalars)) => {
                        let (rules, combination) = scale_cap_combine(&job.config, raw, &scalars);
                        per_instrument(job, forecast_series(rules, combination))
                    }
                    (Some(e), _, _) => Err(e),
                    _ => Err("internal: missing raw forecasts".to_string()),
                };
                on_done();
                (job, r)
            })
            .collect();
        for (job, r) in done {
            sink(job, r)?;
        }
    }
    times.combined_and_handed_over = t.elapsed();
    Ok(times)
}

/// Estimated scalars per instrument and weighted rule (in `forecast_weights` order); `None` for
/// instruments without raw forecasts.
fn estimated_scalars(
    jobs: &[ForecastJob],
    raw: &[Option<Vec<DailySeries>>],
    estimate: &ScalarEstimate,
    pool: bool,
) -> Vec<Option<Vec<ForecastScalar>>> {
    if !pool {
        return raw
            .par_iter()
            .map(|r| {
                r.as_ref().map(|fs| {
                    fs.iter()
                        .map(|f| {
                            ForecastScalar::Estimated(estimated_forecast_scalar(&[f], estimate))
                        })
                        .collect()
                })
            })
            .collect();
    }
    // Pooled: the cross-section of a rule is every (successful) instrument that uses it.
    let mut users: BTreeMap<&str, Vec<&DailySeries>> = BTreeMap::new();
    for (job, r) in jobs.iter().zip(raw) {
        let Some(r) = r else { continue };
        for ((name, _), f) in job.config.forecast_weights.iter().zip(r) {
            users.entry(name.as_str()).or_default().push(f);
        }
    }
    let pooled: BTreeMap<&str, DailySeries> = users
        .into_par_iter()
        .map(|(name, fs)| (name, estimated_forecast_scalar(&fs, estimate)))
        .collect();
    jobs.iter()
        .zip(raw)
        .map(|(job, r)| {
            r.as_ref()?;
            Some(
                job.config
                    .forecast_weights
                    .iter()
                    .map(|(name, _)| ForecastScalar::Estimated(pooled[name.as_str()].clone()))
                    .collect(),
            )
        })
        .collect()
}
