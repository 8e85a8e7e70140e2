//! The forecast pipeline over all instruments of a system (spec §3.2–3.5), the one used by
//! `compute-forecasts`, `size-positions` and `backtest`. From each instrument's
//! [`ForecastInputs`] (its raw-data stage, computed by the caller while reading prices):
//!
//! 1. cross-sectional inputs: asset-class normalised prices, asset-class median carry, demeaned
//!    factors (per asset class / factor, parallel; [`crate::cross_section`]);
//! 2. with fixed forecast scalars and no cost ceiling, each instrument in one pass (parallel,
//!    instruments taken in order, results handed over in order as they are ready;
//!    [`crate::in_order`]): every rule's raw forecast, scaling, capping and combination
//!    ([`crate::instrument::scale_cap_combine`]; no combination for a job with
//!    [`ForecastJob::no_combined`]), handed to the caller as [`ForecastSeries`]. Only the
//!    instruments in flight are in memory;
//! 3. otherwise (estimated scalars, pooled across the instruments using a rule, or a cost
//!    ceiling, whose SR costs are pooled too) every instrument's raw forecasts first (parallel),
//!    then the scalars (parallel over rules) and the rules' costs, then the last step of 2 per
//!    instrument.
//!
//! A failure of one instrument (no prices, a rule input it lacks) is isolated: the instrument is
//! reported and left out of every pool; the others go on.

use crate::cross_section::{ClassPeer, CrossSectionalNeeds, cross_sectional_inputs};
use crate::in_order::for_each_in_order;
use crate::instrument::{
    ForecastConfig, ForecastInputs, ForecastScalar, RuleForecast, forecast_series, rule_series,
    scale_cap, scale_cap_combine_cheap,
};
use crate::scaling::{ScalarEstimate, estimated_forecast_scalar};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use systrade_accounts::costs::{InstrumentCosts, sr_cost_per_trade};
use systrade_accounts::estimation::{
    ForecastCostInput, forecast_turnover, is_cheap_enough, sr_cost_of_forecast,
};
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
    /// The instrument's trading costs, needed when its [`ForecastConfig::cost_ceiling`] is set
    /// (an instrument without them then fails, named); `None` otherwise.
    pub costs: Option<TradingCosts>,
}

/// What the SR cost per trade and the holding cost of an instrument need besides its prices
/// (pysystemtrade's `get_raw_cost_data`, `get_value_of_block_price_move`, `rolls_per_year`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradingCosts {
    pub costs: InstrumentCosts,
    /// `Pointsize`: value of a one-point price move of one contract.
    pub value_of_block_price_move: f64,
    /// Rolls a year of the hold cycle.
    pub rolls_per_year: usize,
}

/// The SR costs of one instrument's rules under `forecast_post_ceiling_cost_SR`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleCosts {
    pub code: InstrumentCode,
    pub ceiling: f64,
    /// Each weighted rule with its SR cost (NaN: a cost could not be computed).
    pub costs: Vec<(String, f64)>,
}

impl RuleCosts {
    /// The rules left out of the combination (SR cost above the ceiling, or NaN).
    pub fn dropped(&self) -> impl Iterator<Item = &(String, f64)> {
        self.costs
            .iter()
            .filter(|(_, c)| !is_cheap_enough(*c, self.ceiling))
    }

    /// No rule is cheap enough: the instrument fails ([`Self::no_cheap_rule_error`]).
    pub fn none_cheap(&self) -> bool {
        self.dropped().count() == self.costs.len()
    }

    /// The failure of an instrument none of whose rules is cheap enough (pysystemtrade raises:
    /// "No rules are cheap enough ... Raise threshold, add rules, or drop instrument").
    pub fn no_cheap_rule_error(&self) -> String {
        format!(
            "no rule is cheap enough with forecast_post_ceiling_cost_SR {} (SR costs: {}): raise the ceiling, add rules or drop the instrument",
            self.ceiling,
            list_costs(self.costs.iter())
        )
    }

    /// The warning naming the rules left out of the combination, with their SR costs; `None` when
    /// none is (or when none is cheap enough: then the instrument fails).
    pub fn dropped_warning(&self) -> Option<String> {
        let dropped = self.dropped().count();
        (dropped > 0 && !self.none_cheap()).then(|| {
            format!(
                "{dropped} rule(s) left out of the combined forecast, SR cost above forecast_post_ceiling_cost_SR {}: {}",
                self.ceiling,
                list_costs(self.dropped())
            )
        })
    }

    /// Every rule with its SR cost, `rule cost, ...`.
    pub fn all_costs(&self) -> String {
        list_costs(self.costs.iter())
    }
}

/// `rule 0.123456, rule 0.056789`.
fn list_costs<'a>(costs: impl Iterator<Item = &'a (String, f64)>) -> String {
    costs
        .map(|(r, c)| format!("{r} {c:.6}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What [`compute_forecasts`] reports besides the per-instrument results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelineReport {
    pub times: PhaseTimes,
    /// The rules' SR costs of every instrument with a cost ceiling (for a warning naming the
    /// rules dropped), in instrument order.
    pub rule_costs: Vec<RuleCosts>,
}

/// An instrument's raw forecasts (one per weighted rule) and, under a cost ceiling, its SR cost
/// per trade.
type RawAndCost = (Vec<DailySeries>, Option<f64>);

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
    /// Zero when the raw forecasts are computed in the last phase (fixed scalars, no cost
    /// ceiling).
    pub raw_forecasts: Duration,
    pub scalars: Duration,
    /// SR costs of the rules for `forecast_post_ceiling_cost_SR` (zero without a ceiling).
    pub cost_ceiling: Duration,
    /// Scaling, capping, combination and the callers' per-instrument work and sink (and the raw
    /// forecasts when [`Self::raw_forecasts`] is zero).
    pub combined_and_handed_over: Duration,
}

/// What happens to one instrument's finished series (in parallel): its result or why not.
pub type PerInstrument<'a, T> =
    dyn Fn(&ForecastJob, Vec<ForecastSeries>) -> Result<T, String> + Sync + 'a;

/// Receives each instrument's result in `jobs` order (sequentially).
pub type Sink<'a, T, E> = dyn FnMut(&ForecastJob, Result<T, String>) -> Result<(), E> + 'a;

/// Instruments taken in the last phase beyond the last one handed to `sink`
/// ([`for_each_in_order`]'s window): bounds the memory of finished series (and of what
/// `per_instrument` makes of them) while keeping every core busy.
pub const BATCH: usize = 16;

/// Computes every instrument's forecasts. `inputs[i]` is the raw-data stage of `jobs[i]`, or why
/// it has none; `peers` are the instruments of the data outside the system that asset-class
/// factor averages include ([`ClassPeer`]; empty when no rule demeans by asset class). Each instrument's finished series go to `per_instrument` (in parallel; e.g.
/// encode a file), whose result goes to `sink` in `jobs` order (sequentially; e.g. print or
/// write). `on_done` is called once per instrument as it finishes. The inputs are released as
/// soon as the raw forecasts are computed.
///
/// With a [`ForecastConfig::cost_ceiling`], the rules of an instrument whose SR cost exceeds it
/// are left out of its combination ([`cost_ceiling_filter`]) and listed in the report.
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
) -> Result<PipelineReport, E> {
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

    if matches!(scalars, ScalarMethod::Fixed)
        && jobs.iter().all(|j| j.config.cost_ceiling.is_none())
    {
        // nothing needs every instrument's raw forecasts at once: each instrument goes from
        // its inputs to the sink in one pass (its series stay in cache, its memory is reused)
        let t = Instant::now();
        let work: Vec<_> = data.into_iter().zip(cross).zip(errors).collect();
        hand_over(
            jobs,
            work,
            &|job, ((data, cross), error)| match (error, data) {
                (Some(e), _) => Err(e),
                (None, None) => Err("internal: missing forecast inputs".to_string()),
                (None, Some(data)) => data
                    .raw_forecasts(&job.config, &cross)
                    .map_err(|e| e.to_string())
                    .and_then(|raw| {
                        drop((data, cross));
                        finish(job, raw, &job.config.fixed_scalars(), None, per_instrument)
                    }),
            },
            on_done,
            sink,
        )?;
        times.combined_and_handed_over = t.elapsed();
        return Ok(PipelineReport {
            times,
            rule_costs: Vec::new(),
        });
    }

    let t = Instant::now();
    let raw: Vec<Result<RawAndCost, String>> = jobs
        .par_iter()
        .zip(&data)
        .zip(&cross)
        .map(|((job, d), cross)| match d {
            Some(d) => {
                let per_trade = cost_per_trade(job, d)?;
                d.raw_forecasts(&job.config, cross)
                    .map(|r| (r, per_trade))
                    .map_err(|e| e.to_string())
            }
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
    let (raw, per_trade): (Vec<Option<Vec<DailySeries>>>, Vec<Option<f64>>) = raw
        .into_iter()
        .map(|r| match r {
            Ok((r, c)) => (Some(r), c),
            Err(_) => (None, None),
        })
        .unzip();
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
    let (cheap, rule_costs) = cost_ceiling_filter(jobs, &raw, &scalar_sets, &per_trade);
    for (i, job) in jobs.iter().enumerate() {
        // pysystemtrade raises when no rule is cheap enough (`_cheap_trading_rules_generic`)
        if errors[i].is_none()
            && let Some(costs) = rule_costs.iter().find(|c| c.code == job.code)
            && costs.none_cheap()
        {
            errors[i] = Some(costs.no_cheap_rule_error());
        }
    }
    times.cost_ceiling = t.elapsed();

    let t = Instant::now();
    let work: Vec<_> = raw
        .into_iter()
        .zip(scalar_sets)
        .zip(errors)
        .zip(cheap)
        .collect();
    hand_over(
        jobs,
        work,
        &|job, (((raw, scalars), error), cheap)| match (error, raw, scalars) {
            (Some(e), _, _) => Err(e),
            (None, Some(raw), Some(scalars)) => {
                finish(job, raw, &scalars, cheap.as_deref(), per_instrument)
            }
            _ => Err("internal: missing raw forecasts".to_string()),
        },
        on_done,
        sink,
    )?;
    times.combined_and_handed_over = t.elapsed();
    Ok(PipelineReport { times, rule_costs })
}

/// The last phase: `work[i]` of `jobs[i]` made into its result by `finish_one` (in parallel,
/// `on_done` after each), the results handed to `sink` in `jobs` order.
fn hand_over<W: Send, T: Send, E>(
    jobs: &[ForecastJob],
    work: Vec<W>,
    finish_one: &(dyn Fn(&ForecastJob, W) -> Result<T, String> + Sync),
    on_done: &(dyn Fn() + Sync),
    sink: &mut Sink<'_, T, E>,
) -> Result<(), E> {
    for_each_in_order(
        jobs.iter().zip(work).collect(),
        BATCH,
        &|(job, w)| {
            let r = finish_one(job, w);
            on_done();
            (job, r)
        },
        &mut |(job, r)| sink(job, r),
    )
}

/// The last step of one instrument: its raw forecasts scaled and capped, and (unless the job
/// has [`ForecastJob::no_combined`]) combined with the rules `cheap` keeps, handed to
/// `per_instrument`.
fn finish<T>(
    job: &ForecastJob,
    raw: Vec<DailySeries>,
    scalars: &[ForecastScalar],
    cheap: Option<&[bool]>,
    per_instrument: &PerInstrument<'_, T>,
) -> Result<T, String> {
    if job.no_combined.is_some() {
        return per_instrument(job, rule_series(scale_cap(&job.config, raw, scalars)));
    }
    let (rules, combination) = scale_cap_combine_cheap(&job.config, raw, scalars, cheap);
    per_instrument(job, forecast_series(rules, combination))
}

/// The instrument's SR cost per trade when its config has a cost ceiling
/// ([`sr_cost_per_trade`] from its daily prices and volatility); an error when its trading costs
/// are missing.
fn cost_per_trade(job: &ForecastJob, d: &ForecastInputs) -> Result<Option<f64>, String> {
    let Some(ceiling) = &job.config.cost_ceiling else {
        return Ok(None);
    };
    if job.no_combined.is_some() {
        return Ok(None);
    }
    let c = job.costs.as_ref().ok_or_else(|| {
        format!(
            "forecast_post_ceiling_cost_SR {} needs the instrument's trading costs (config/instruments.csv, config/spreads.csv, config/rolls.csv)",
            ceiling.ceiling
        )
    })?;
    Ok(Some(sr_cost_per_trade(
        &c.costs,
        &d.raw.daily_prices,
        &d.raw.daily_returns_volatility,
        c.value_of_block_price_move,
    )))
}

/// pysystemtrade's `cheap_trading_rules_post_processing` for every job with a
/// [`ForecastConfig::cost_ceiling`]: per weighted rule whether its
/// [`sr_cost_of_forecast`] is within the ceiling (`None` for a job without a ceiling, or that
/// failed or gets no combined forecast), and every costed job's rule costs. The pool of an instrument (for
/// pooled turnover or costs) is every successful job with the same (sorted) rule list — pysystemtrade's
/// `has_same_rules_as_code` over the system's instruments; a job without a combined forecast
/// has no rule list of its own there and joins no pool.
pub fn cost_ceiling_filter(
    jobs: &[ForecastJob],
    raw: &[Option<Vec<DailySeries>>],
    scalars: &[Option<Vec<ForecastScalar>>],
    per_trade: &[Option<f64>],
) -> (Vec<Option<Vec<bool>>>, Vec<RuleCosts>) {
    let n = jobs.len();
    if jobs.iter().all(|j| j.config.cost_ceiling.is_none()) {
        return (vec![None; n], Vec::new());
    }
    // turnover and length of every rule's capped forecast, per costed job
    let inputs: Vec<Option<Vec<ForecastCostInput>>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let job = &jobs[i];
            let ceiling = job.config.cost_ceiling.as_ref()?;
            let (raw, scalars, per_trade) = (raw[i].as_ref()?, scalars[i].as_ref()?, per_trade[i]?);
            Some(
                job.config
                    .forecast_weights
                    .iter()
                    .zip(raw)
                    .zip(scalars)
                    .map(|(((name, _), r), s)| {
                        let capped = RuleForecast::new(
                            name,
                            r.clone(),
                            s,
                            job.config.forecast_cap,
                            job.config.forecast_floor,
                        )
                        .capped;
                        ForecastCostInput {
                            turnover: forecast_turnover(&capped, ceiling.average_absolute_forecast),
                            length: capped.len(),
                            sr_cost_per_trade: per_trade,
                        }
                    })
                    .collect(),
            )
        })
        .collect();
    let rule_list = |i: usize| {
        let mut names: Vec<&str> = jobs[i]
            .config
            .forecast_weights
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        names.sort_unstable();
        names
    };
    let mut pools: BTreeMap<Vec<&str>, Vec<usize>> = BTreeMap::new();
    for i in (0..n).filter(|&i| inputs[i].is_some()) {
        pools.entry(rule_list(i)).or_default().push(i);
    }
    let mut cheap = vec![None; n];
    let mut expensive = Vec::new();
    for members in pools.values() {
        for (own, &i) in members.iter().enumerate() {
            let job = &jobs[i];
            let (Some(ceiling), Some(mine)) = (&job.config.cost_ceiling, &inputs[i]) else {
                continue;
            };
            let rolls = job.costs.map_or(0, |c| c.rolls_per_year);
            let mut flags = Vec::with_capacity(mine.len());
            let mut costs = Vec::with_capacity(mine.len());
            for (name, _) in &job.config.forecast_weights {
                // the same rule of every pool member (same rule list, so it has it)
                let pool: Vec<ForecastCostInput> = members
                    .iter()
                    .filter_map(|&j| {
                        let pos = jobs[j]
                            .config
                            .forecast_weights
                            .iter()
                            .position(|(m, _)| m == name)?;
                        Some(inputs[j].as_ref()?[pos])
                    })
                    .collect();
                let cost = sr_cost_of_forecast(&pool, own, rolls, ceiling.estimates);
                flags.push(is_cheap_enough(cost, ceiling.ceiling));
                costs.push((name.clone(), cost));
            }
            expensive.push(RuleCosts {
                code: job.code.clone(),
                ceiling: ceiling.ceiling,
                costs,
            });
            cheap[i] = Some(flags);
        }
    }
    expensive.sort_by(|a, b| a.code.cmp(&b.code));
    (cheap, expensive)
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
                            ForecastScalar::Estimated(Arc::new(estimated_forecast_scalar(
                                &[f],
                                estimate,
                            )))
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
    let pooled: BTreeMap<&str, Arc<DailySeries>> = users
        .into_par_iter()
        .map(|(name, fs)| (name, Arc::new(estimated_forecast_scalar(&fs, estimate))))
        .collect();
    jobs.iter()
        .zip(raw)
        .map(|(job, r)| {
            r.as_ref()?;
            Some(
                job.config
                    .forecast_weights
                    .iter()
                    .map(|(name, _)| ForecastScalar::Estimated(Arc::clone(&pooled[name.as_str()])))
                    .collect(),
            )
        })
        .collect()
}
