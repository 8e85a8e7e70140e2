//! Estimated forecast weights, FDM, instrument weights and IDM in a backtest (issue 17): the
//! config's estimation blocks mapped onto the estimators' settings ([`forecast_estimation`],
//! [`instrument_estimation`]) and the forecast combination with estimated weights and/or FDM
//! ([`estimate_and_combine`], pysystemtrade `systems/forecast_combine.py`). Pure computation over
//! what [`crate::load_instruments`] and the forecast pipeline produced.

use crate::forecast_setup::ConfigProblem;
use rayon::prelude::*;
use std::collections::BTreeMap;
use systrade_accounts::costs::sr_cost_per_trade;
use systrade_accounts::curves::Curves;
use systrade_accounts::estimation::{
    DmEstimation, ForecastAccountInputs, InstrumentEstimation, WeightEstimation, forecast_account,
    forecast_sr_cost, forecast_turnover, pooled_turnover, weight_history,
};
use systrade_accounts::system::InstrumentInputs;
use systrade_config::SystemConfig;
use systrade_config::estimation::{CorrelationEstimate, DivMultEstimate, WeightEstimate};
use systrade_estimate::diversification::WeightHistory;
use systrade_estimate::optimisers::{Method, WeightingArgs};
use systrade_estimate::over_time::{
    CorrelationOverTime, CorrelationSettings, CorrelationsOverTime, EwSettings, OptimiserSettings,
    PeriodWeights, optimise_over_time,
};
use systrade_estimate::pooled_returns::PooledForecastReturns;
use systrade_estimate::returns::{PreProcessing, ReturnsWithCosts, pre_process};
use systrade_estimate::smoothing::{DailyWeights, smoothed_weights, unsmoothed_weights};
use systrade_estimate::{DataFrame, DateMethod, Interval, dm_over_time};
use systrade_forecast::combine::CombinedLimit;
use systrade_model::Timestamp;
use systrade_series::align::align_union;
use systrade_series::{DailySeries, ffill, reindex_ffill};

fn problem(cfg: &SystemConfig, key: &str, message: String) -> ConfigProblem {
    ConfigProblem {
        source_name: cfg.source_name.clone(),
        key: key.to_string(),
        message,
    }
}

fn date_method(cfg: &SystemConfig, key: &str, s: &str) -> Result<DateMethod, ConfigProblem> {
    s.parse()
        .map_err(|e: systrade_estimate::EstimateError| problem(cfg, key, e.to_string()))
}

fn interval(cfg: &SystemConfig, key: &str, s: &str) -> Result<Interval, ConfigProblem> {
    s.parse()
        .map_err(|e: systrade_estimate::EstimateError| problem(cfg, key, e.to_string()))
}

/// A weight estimate block as the generic optimiser's settings and pre-processing.
///
/// # Errors
/// An unknown method, date method or interval, naming the key.
pub fn weight_estimation(
    cfg: &SystemConfig,
    path: &str,
    w: &WeightEstimate,
    costs: systrade_config::estimation::ForecastCostEstimates,
) -> Result<WeightEstimation, ConfigProblem> {
    let method: Method = w
        .method
        .parse()
        .map_err(|e: String| problem(cfg, &format!("{path}.method"), e))?;
    let ew = |e: &systrade_config::estimation::EstimatorConfig| EwSettings {
        ew_lookback: e.ew_lookback,
        min_periods: e.min_periods,
    };
    let c = &w.correlation_estimate;
    Ok(WeightEstimation {
        optimiser: OptimiserSettings {
            method,
            args: WeightingArgs {
                equalise_sr: w.equalise_sr,
                equalise_vols: w.equalise_vols,
                ann_target_sr: w.ann_target_sr,
                shrinkage_sr: w.shrinkage_sr,
                shrinkage_corr: w.shrinkage_corr,
            },
            date_method: date_method(cfg, &format!("{path}.date_method"), &w.date_method)?,
            rollyears: w.rollyears,
            interval: interval(
                cfg,
                &format!("{path}.interval_frequency"),
                &w.interval_frequency,
            )?,
            cleaning: w.cleaning,
            correlation: CorrelationSettings {
                ew: ew(c),
                cleaning: c.cleaning,
                floor_at_zero: c.floor_at_zero,
                offdiag: c.offdiag,
                clip: c.clip,
            },
            mean: ew(&w.mean_estimate),
            vol: ew(&w.vol_estimate),
            apply_cost_weight: w.apply_cost_weight,
        },
        pre_processing: PreProcessing {
            frequency: w.frequency.clone(),
            pool_gross_returns: w.pool_gross_returns,
            use_pooled_costs: costs.use_pooled_costs,
            use_pooled_turnover: costs.use_pooled_turnover,
            equalise_gross: w.equalise_gross,
            cost_multiplier: w.cost_multiplier,
        },
    })
}

/// A correlation block and a div-mult block as the DM estimation's settings.
///
/// # Errors
/// An unknown date method or interval, naming the key.
pub fn dm_estimation(
    cfg: &SystemConfig,
    path: &str,
    c: &CorrelationEstimate,
    d: &DivMultEstimate,
) -> Result<DmEstimation, ConfigProblem> {
    Ok(DmEstimation {
        correlations: CorrelationOverTime {
            forward_fill: c.forward_fill,
            date_method: date_method(cfg, &format!("{path}.date_method"), &c.date_method)?,
            rollyears: c.rollyears,
            interval: interval(
                cfg,
                &format!("{path}.interval_frequency"),
                &c.interval_frequency,
            )?,
            correlation: CorrelationSettings {
                ew: EwSettings {
                    ew_lookback: c.estimator.ew_lookback,
                    min_periods: c.estimator.min_periods,
                },
                cleaning: c.estimator.cleaning,
                floor_at_zero: c.estimator.floor_at_zero,
                offdiag: c.estimator.offdiag,
                clip: c.estimator.clip,
            },
        },
        ewma_span: d.ewma_span,
        dm_max: d.dm_max,
    })
}

/// The portfolio-level estimation the config asks for (`use_instrument_weight_estimates`,
/// `use_instrument_div_mult_estimates`); `None` when both are fixed.
///
/// # Errors
/// Bad settings, naming the key.
pub fn instrument_estimation(
    cfg: &SystemConfig,
) -> Result<Option<InstrumentEstimation>, ConfigProblem> {
    let e = &cfg.estimation;
    if cfg.use_instrument_weight_estimates
        && !cfg
            .allocate_zero_instrument_weights_to_these_instruments
            .is_empty()
    {
        return Err(problem(
            cfg,
            "allocate_zero_instrument_weights_to_these_instruments",
            "zero weights for chosen instruments are not implemented with estimated instrument weights yet; remove the key or give fixed instrument_weights".to_string(),
        ));
    }
    let weights = if cfg.use_instrument_weight_estimates {
        Some(weight_estimation(
            cfg,
            "instrument_weight_estimate",
            &e.instrument_weight_estimate,
            systrade_config::estimation::ForecastCostEstimates {
                use_pooled_costs: false,
                use_pooled_turnover: false,
            },
        )?)
    } else {
        None
    };
    let idm = if cfg.use_instrument_div_mult_estimates {
        Some(dm_estimation(
            cfg,
            "instrument_correlation_estimate",
            &e.instrument_correlation_estimate,
            &e.instrument_div_mult_estimate,
        )?)
    } else {
        None
    };
    Ok((weights.is_some() || idm.is_some()).then_some(InstrumentEstimation { weights, idm }))
}

/// The forecast-level estimation the config asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastEstimation {
    /// `use_forecast_weight_estimates`.
    pub weights: Option<WeightEstimation>,
    /// `use_forecast_div_mult_estimates`, with `pool_instruments`.
    pub fdm: Option<(DmEstimation, bool)>,
    pub capital: f64,
    /// `percentage_vol_target / 100`.
    pub risk_target: f64,
    /// `average_absolute_forecast` (the forecast target and the turnover's normaliser).
    pub average_absolute_forecast: f64,
    /// `forecast_weight_ewma_span`.
    pub weight_ewma_span: f64,
}

/// [`ForecastEstimation`] from the config; `None` when weights and FDM are both fixed.
///
/// # Errors
/// Bad settings, naming the key.
pub fn forecast_estimation(
    cfg: &SystemConfig,
    capital: f64,
) -> Result<Option<ForecastEstimation>, ConfigProblem> {
    let e = &cfg.estimation;
    let weights = if cfg.use_forecast_weight_estimates {
        Some(weight_estimation(
            cfg,
            "forecast_weight_estimate",
            &e.forecast_weight_estimate,
            e.forecast_cost_estimates,
        )?)
    } else {
        None
    };
    let fdm = if cfg.use_forecast_div_mult_estimates {
        Some((
            dm_estimation(
                cfg,
                "forecast_correlation_estimate",
                &e.forecast_correlation_estimate,
                &e.forecast_div_mult_estimate,
            )?,
            e.forecast_correlation_estimate.pool_instruments,
        ))
    } else {
        None
    };
    if weights.is_none() && fdm.is_none() {
        return Ok(None);
    }
    Ok(Some(ForecastEstimation {
        weights,
        fdm,
        capital,
        risk_target: cfg.percentage_vol_target / 100.0,
        average_absolute_forecast: cfg.average_absolute_forecast,
        weight_ewma_span: cfg.forecast_weight_ewma_span as f64,
    }))
}

/// One instrument's capped forecasts and how to combine them.
#[derive(Debug, Clone)]
pub struct CappedForecasts {
    /// Rule names, sorted (pysystemtrade sorts the estimated rule list).
    pub rules: Vec<String>,
    /// Capped forecast per rule, in `rules` order.
    pub capped: Vec<DailySeries>,
    /// The fixed weights per rule (used when weights are not estimated).
    pub fixed_weights: Vec<f64>,
    /// The fixed FDM (used when it is not estimated).
    pub fixed_fdm: f64,
    pub limit: CombinedLimit,
}

/// One instrument's combination with estimated weights and/or FDM.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimatedCombination {
    pub combined: DailySeries,
    /// Σ weight × forecast before the FDM, on `combined`'s dates.
    pub combined_without_fdm: Vec<f64>,
    /// The FDM applied, on `combined`'s dates (forward-filled).
    pub fdm_applied: Vec<f64>,
    /// Smoothed daily weights (`get_forecast_weights`).
    pub weights: DailyWeights,
    pub fdm: DailySeries,
    /// Raw weights per fit period, when estimated.
    pub weight_periods: Option<Vec<PeriodWeights>>,
    /// Forecast correlations per fit period, when the FDM is estimated.
    pub fdm_correlations: Option<CorrelationsOverTime>,
}

/// `get_all_forecasts`: the capped forecasts on the union of their dates, forward-filled.
fn all_forecasts(f: &CappedForecasts) -> (Vec<chrono::NaiveDate>, Vec<Vec<f64>>) {
    let refs: Vec<&DailySeries> = f.capped.iter().collect();
    let (dates, cols) = align_union(&refs);
    (dates, cols.iter().map(|c| ffill(c)).collect())
}

fn timestamps(dates: &[chrono::NaiveDate]) -> Vec<Timestamp> {
    dates.iter().map(|d| Timestamp::from_date(*d)).collect()
}

/// Combines every instrument's forecasts with estimated weights and/or FDM (`inputs[i]` with
/// `forecasts[i]`), as pysystemtrade's `ForecastCombine` does with `use_forecast_weight_estimates`
/// / `use_forecast_div_mult_estimates`:
///
/// - instruments are pooled with those that have the same rules (`has_same_rules_as_code`, sorted
///   codes); each rule's forecast P&L ([`forecast_account`]) is charged the instrument's SR cost
///   (cost per trade × the rule's turnover, pooled by forecast length with
///   `use_pooled_turnover`, averaged over the pool with `use_pooled_costs`, plus holding costs);
/// - the weights per fit period ([`optimise_over_time`] on the pre-processed returns) are fitted
///   to the forecasts and smoothed (or the fixed weights are);
/// - the FDM comes from the (pooled) weekly forecast correlations and those weights (or is
///   fixed); combined = limit(Σ weight × forecast × FDM).
///
/// # Errors
/// An estimation failure, as text naming the instrument.
pub fn estimate_and_combine(
    inputs: &[InstrumentInputs],
    forecasts: &[CappedForecasts],
    est: &ForecastEstimation,
) -> Result<Vec<EstimatedCombination>, String> {
    assert_eq!(
        inputs.len(),
        forecasts.len(),
        "one forecast set per instrument"
    );
    // pools: instruments with the same rules, in code order
    let mut pools: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
    for (i, f) in forecasts.iter().enumerate() {
        pools.entry(f.rules.clone()).or_default().push(i);
    }
    for members in pools.values_mut() {
        members.sort_by(|&a, &b| inputs[a].code.cmp(&inputs[b].code));
    }
    let pool_of: Vec<&Vec<usize>> = forecasts.iter().map(|f| &pools[&f.rules]).collect();

    // estimated raw weights per instrument
    let weight_periods: Vec<Option<Vec<PeriodWeights>>> = match &est.weights {
        None => vec![None; inputs.len()],
        Some(w) => estimated_weights(inputs, forecasts, &pools, w, est)?
            .into_iter()
            .map(Some)
            .collect(),
    };
    // FDM correlations per pool (or per instrument when not pooled)
    let correlations: Vec<Option<CorrelationsOverTime>> = match &est.fdm {
        None => vec![None; inputs.len()],
        Some((dm, pool)) => {
            let frame = |i: usize| -> Result<DataFrame, String> {
                let (dates, cols) = all_forecasts(&forecasts[i]);
                DataFrame::new(timestamps(&dates), forecasts[i].rules.clone(), cols)
                    .map_err(|e| format!("{}: {e}", inputs[i].code))
            };
            let mut per_pool: BTreeMap<Vec<usize>, CorrelationsOverTime> = BTreeMap::new();
            let mut out = Vec::with_capacity(inputs.len());
            for i in 0..inputs.len() {
                let members: Vec<usize> = if *pool { pool_of[i].clone() } else { vec![i] };
                if !per_pool.contains_key(&members) {
                    let frames = members
                        .iter()
                        .map(|&k| frame(k))
                        .collect::<Result<Vec<_>, _>>()?;
                    let c = dm
                        .correlations
                        .pooled(&frames)
                        .map_err(|e| format!("{}: forecast correlations: {e}", inputs[i].code))?;
                    per_pool.insert(members.clone(), c);
                }
                out.push(Some(per_pool[&members].clone()));
            }
            out
        }
    };
    forecasts
        .par_iter()
        .zip(inputs)
        .zip(weight_periods)
        .zip(correlations)
        .map(|(((f, inp), periods), corr)| {
            combine_one(f, periods, corr, est)
                .map_err(|e| format!("{}: forecast combination: {e}", inp.code))
        })
        .collect()
}

/// The raw weights per fit period of every instrument (in `inputs` order).
fn estimated_weights(
    inputs: &[InstrumentInputs],
    forecasts: &[CappedForecasts],
    pools: &BTreeMap<Vec<String>, Vec<usize>>,
    w: &WeightEstimation,
    est: &ForecastEstimation,
) -> Result<Vec<Vec<PeriodWeights>>, String> {
    let n = inputs.len();
    let mut out: Vec<Option<Vec<PeriodWeights>>> = vec![None; n];
    for (rules, members) in pools {
        // turnovers[rule][member], forecast lengths per member
        let turnovers: Vec<Vec<f64>> = (0..rules.len())
            .map(|r| {
                members
                    .iter()
                    .map(|&i| {
                        forecast_turnover(&forecasts[i].capped[r], est.average_absolute_forecast)
                    })
                    .collect()
            })
            .collect();
        let lengths: Vec<Vec<usize>> = (0..rules.len())
            .map(|r| {
                members
                    .iter()
                    .map(|&i| forecasts[i].capped[r].len())
                    .collect()
            })
            .collect();
        let per_trade: Vec<f64> = members
            .iter()
            .map(|&i| {
                let inp = &inputs[i];
                let vol = inp.daily_returns_volatility.as_ref();
                vol.map_or(f64::NAN, |v| {
                    sr_cost_per_trade(
                        &inp.costs,
                        &inp.daily_price,
                        v,
                        inp.value_of_block_price_move,
                    )
                })
            })
            .collect();
        // the turnover each member's transaction cost uses (forecast_turnover)
        let used_turnover: Vec<Vec<f64>> = (0..rules.len())
            .map(|r| {
                if w.pre_processing.use_pooled_turnover {
                    let t = pooled_turnover(&turnovers[r], &lengths[r]);
                    vec![t; members.len()]
                } else {
                    turnovers[r].clone()
                }
            })
            .collect();
        let transaction: Vec<Vec<f64>> = (0..rules.len())
            .map(|r| {
                let own: Vec<f64> = (0..members.len())
                    .map(|m| used_turnover[r][m] * per_trade[m])
                    .collect();
                if w.pre_processing.use_pooled_costs {
                    let total: f64 = lengths[r].iter().map(|&l| l as f64).sum();
                    let avg: f64 = own
                        .iter()
                        .zip(&lengths[r])
                        .map(|(c, &l)| c * (l as f64 / total))
                        .sum();
                    vec![avg; members.len()]
                } else {
                    own
                }
            })
            .collect();
        let assets: Vec<(String, ReturnsWithCosts)> = members
            .par_iter()
            .enumerate()
            .map(|(m, &i)| {
                let inp = &inputs[i];
                let vol = inp
                    .daily_returns_volatility
                    .as_ref()
                    .ok_or_else(|| format!("{}: no daily_returns_volatility", inp.code))?;
                let holding = forecast_sr_cost(per_trade[m], 0.0, inp.rolls_per_year);
                let curves: Vec<Curves> = (0..rules.len())
                    .map(|r| {
                        forecast_account(
                            &forecasts[i].capped[r],
                            ForecastAccountInputs {
                                price: &inp.daily_price,
                                daily_returns_volatility: vol,
                                fx: &inp.fx,
                                value_per_point: inp.value_of_block_price_move,
                                capital: est.capital,
                                risk_target: est.risk_target,
                                target_abs_forecast: est.average_absolute_forecast,
                            },
                            transaction[r][m] + holding,
                        )
                    })
                    .collect();
                let gross: Vec<&DailySeries> = curves.iter().map(|c| &c.gross).collect();
                let costs: Vec<&DailySeries> = curves.iter().map(|c| &c.costs).collect();
                Ok((
                    inp.code.clone(),
                    ReturnsWithCosts::new(rules.clone(), &gross, &costs),
                ))
            })
            .collect::<Result<Vec<_>, String>>()?;
        // pooled gross returns: the moments of the pool once, then each member's costs
        // (systrade_estimate::pooled_returns); otherwise each member's own returns
        let pooled = PooledForecastReturns::new(&assets, &turnovers, &w.pre_processing)
            .map_err(|e| format!("{}: forecast returns: {e}", inputs[members[0]].code))?;
        let pooled_estimates = match &pooled {
            Some(p) => Some(
                p.estimate(&w.optimiser)
                    .map_err(|e| format!("{}: forecast weights: {e}", inputs[members[0]].code))?,
            ),
            None => None,
        };
        let fitted: Vec<Vec<PeriodWeights>> = members
            .par_iter()
            .map(|&i| {
                let code = &inputs[i].code;
                if let Some(p) = &pooled_estimates {
                    return p
                        .weights_for(code, &w.optimiser)
                        .map_err(|e| format!("{code}: forecast weights: {e}"));
                }
                let returns = pre_process(&assets, &turnovers, code, &w.pre_processing)
                    .map_err(|e| format!("{code}: forecast returns: {e}"))?;
                optimise_over_time(&returns, &w.optimiser)
                    .map_err(|e| format!("{code}: forecast weights: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        for (&i, f) in members.iter().zip(fitted) {
            out[i] = Some(f);
        }
    }
    Ok(out.into_iter().map(Option::unwrap_or_default).collect())
}

fn combine_one(
    f: &CappedForecasts,
    periods: Option<Vec<PeriodWeights>>,
    correlations: Option<CorrelationsOverTime>,
    est: &ForecastEstimation,
) -> Result<EstimatedCombination, systrade_estimate::EstimateError> {
    let (dates, cols) = all_forecasts(f);
    let index = timestamps(&dates);
    let raw = match &periods {
        Some(p) => weight_history(p, &f.rules),
        // fixed weights: one row from the first forecast date on
        None => WeightHistory {
            index: index.first().copied().into_iter().collect(),
            names: f.rules.clone(),
            rows: vec![f.fixed_weights.clone()],
        },
    };
    let unsmoothed = unsmoothed_weights(&raw, &index, &cols)?;
    let weights = smoothed_weights(&unsmoothed, est.weight_ewma_span)?;
    let fdm_on_weights: Vec<f64> = match (&correlations, &est.fdm) {
        (Some(c), Some((dm, _))) => {
            let history = WeightHistory {
                index: timestamps(&weights.dates),
                names: weights.names.clone(),
                rows: (0..weights.dates.len())
                    .map(|t| weights.columns.iter().map(|col| col[t]).collect())
                    .collect(),
            };
            dm_over_time(&c.periods, &c.matrices, &history, dm.ewma_span, dm.dm_max)?.values
        }
        _ => vec![f.fixed_fdm; weights.dates.len()],
    };
    // weights and FDM onto the forecasts' dates (ffill), Σ w × f (NaN skipped, from +0), × FDM
    let w_on: Vec<Vec<f64>> = weights
        .columns
        .iter()
        .map(|c| reindex_ffill(&weights.dates, c, &dates))
        .collect();
    let fdm_on = ffill(&reindex_ffill(&weights.dates, &fdm_on_weights, &dates));
    let without_fdm: Vec<f64> = (0..dates.len())
        .map(|t| {
            w_on.iter()
                .zip(&cols)
                .map(|(w, x)| w[t] * x[t])
                .filter(|v| !v.is_nan())
                .fold(0.0, |a, v| a + v)
        })
        .collect();
    let combined: Vec<f64> = without_fdm
        .iter()
        .zip(&fdm_on)
        .map(|(raw, fdm)| f.limit.apply(raw * fdm))
        .collect();
    Ok(EstimatedCombination {
        combined: DailySeries::new(dates.clone(), combined),
        combined_without_fdm: without_fdm,
        fdm_applied: fdm_on,
        fdm: DailySeries::new(weights.dates.clone(), fdm_on_weights),
        weights,
        weight_periods: periods,
        fdm_correlations: correlations,
    })
}

/// Every loaded instrument's capped forecasts (`rules`: the pipeline's rule forecasts,
/// [`crate::forecasts::compute_rules`]) combined with estimated weights and/or FDM
/// ([`estimate_and_combine`]); each input's combined forecast is replaced by the estimated
/// combination. The one path `backtest` and `compute-forecasts` share. Returns the combinations
/// in `inputs` order, with each instrument's code. The inputs come from [`crate::assemble`] with
/// [`pending_combined`] as their forecasts.
///
/// # Errors
/// An instrument without its forecast job or a rule's forecast, or an estimation failure, as text
/// naming the instrument.
pub fn combine_estimated(
    inputs: &mut [InstrumentInputs],
    jobs: &[systrade_forecast::ForecastJob],
    rules: &crate::forecasts::RuleForecasts,
    est: &ForecastEstimation,
) -> Result<Vec<(String, EstimatedCombination)>, String> {
    let capped: Vec<CappedForecasts> = inputs
        .iter()
        .map(|inp| {
            let job = jobs
                .iter()
                .find(|j| j.code.as_str() == inp.code)
                .ok_or_else(|| format!("{}: no forecast job", inp.code))?;
            let series = match rules.get(&job.code) {
                Some(Ok(s)) => s,
                _ => return Err(format!("{}: no rule forecasts", inp.code)),
            };
            let names: Vec<String> = job
                .config
                .forecast_weights
                .iter()
                .map(|(r, _)| r.clone())
                .collect();
            let capped = names
                .iter()
                .map(|r| {
                    series
                        .iter()
                        .find(|s| &s.rule == r)
                        .map(|s| DailySeries::new(s.dates.clone(), s.capped.clone()))
                        .ok_or_else(|| format!("{}: no forecast for rule {r}", inp.code))
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(CappedForecasts {
                rules: names,
                capped,
                fixed_weights: job
                    .config
                    .forecast_weights
                    .iter()
                    .map(|(_, w)| *w)
                    .collect(),
                fixed_fdm: job.config.fdm,
                limit: job.config.combined_limit(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let combinations = estimate_and_combine(inputs, &capped, est)?;
    Ok(inputs
        .iter_mut()
        .zip(combinations)
        .map(|(inp, c)| {
            inp.combined_forecast = c.combined.clone();
            (inp.code.clone(), c)
        })
        .collect())
}

/// The forecasts [`crate::assemble`] pairs with the prices before an estimated combination: an
/// empty series for each instrument whose rule forecasts were computed (replaced by
/// [`combine_estimated`]), the failure otherwise, and for an instrument the config gives no
/// combination (`ForecastJob::no_combined`) why it has none.
pub fn pending_combined(
    jobs: &[systrade_forecast::ForecastJob],
    rules: &crate::forecasts::RuleForecasts,
) -> crate::forecasts::Combined {
    rules
        .iter()
        .map(|(code, r)| {
            let why_not = jobs
                .iter()
                .find(|j| &j.code == code)
                .and_then(|j| j.no_combined.as_ref());
            let r = match (r, why_not) {
                (Err(e), _) => Err(e.clone()),
                (Ok(_), Some(why)) => Err(format!("no combined forecast: {why}")),
                (Ok(_), None) => Ok(DailySeries::new(Vec::new(), Vec::new())),
            };
            (code.clone(), r)
        })
        .collect()
}

impl EstimatedCombination {
    /// The combined forecast as the forecasts file holds it (raw: Σ weight × forecast before the
    /// FDM; scalar: the FDM; capped: the combined forecast), as
    /// [`systrade_forecast::instrument::forecast_series`] writes a fixed combination.
    pub fn combined_series(&self) -> systrade_model::ForecastSeries {
        systrade_model::ForecastSeries {
            rule: systrade_model::COMBINED_RULE.to_string(),
            dates: self.combined.dates.clone(),
            raw: self.combined_without_fdm.clone(),
            scalar: self.fdm_applied.clone(),
            capped: self.combined.values.clone(),
        }
    }
}

// ---- rows of the estimates files (systrade_store::estimates) -----------------------------------

use systrade_store::estimates::EstimateRow;

fn period_rows(
    rows: &mut Vec<EstimateRow>,
    estimate: &str,
    instrument: Option<&str>,
    periods: &[PeriodWeights],
) {
    for p in periods {
        for (name, w) in p.weights.entries() {
            let (instrument, rule) = match instrument {
                Some(code) => (Some(code.to_string()), Some(name.clone())),
                None => (Some(name.clone()), None),
            };
            rows.push(EstimateRow {
                estimate: estimate.to_string(),
                instrument,
                rule,
                date: p.period.period_start,
                period_end: Some(p.period.period_end),
                fit_start: (!p.period.no_data).then_some(p.period.fit_start),
                fit_end: (!p.period.no_data).then_some(p.period.fit_end),
                value: *w,
            });
        }
    }
}

fn value_row(
    estimate: &str,
    instrument: Option<&str>,
    rule: Option<&str>,
    date: chrono::NaiveDate,
    value: f64,
) -> EstimateRow {
    EstimateRow {
        estimate: estimate.to_string(),
        instrument: instrument.map(str::to_string),
        rule: rule.map(str::to_string),
        date: Timestamp::from_date(date),
        period_end: None,
        fit_start: None,
        fit_end: None,
        value,
    }
}

/// The rows of `backtest --output`'s `estimates.parquet`: raw forecast weights per instrument and
/// fit period, the FDM per instrument and day, raw instrument weights per fit period, the IDM per
/// day (`forecasts` in instrument order with their codes).
pub fn history_rows(
    forecasts: Option<&[(String, EstimatedCombination)]>,
    instruments: Option<&systrade_accounts::estimation::InstrumentEstimates>,
) -> Vec<EstimateRow> {
    let mut rows = Vec::new();
    let daily =
        |rows: &mut Vec<EstimateRow>, estimate: &str, code: Option<&str>, s: &DailySeries| {
            for (d, v) in s.dates.iter().zip(&s.values) {
                rows.push(value_row(estimate, code, None, *d, *v));
            }
        };
    for (code, c) in forecasts.unwrap_or_default() {
        if let Some(p) = &c.weight_periods {
            period_rows(&mut rows, "forecast_weight", Some(code), p);
        }
        if c.fdm_correlations.is_some() {
            daily(&mut rows, "fdm", Some(code), &c.fdm);
        }
    }
    if let Some(i) = instruments {
        if let Some(p) = &i.weight_periods {
            period_rows(&mut rows, "instrument_weight", None, p);
        }
        if let Some(idm) = &i.idm {
            daily(&mut rows, "idm", None, idm);
        }
    }
    rows
}

/// The current forecast-stage estimates (`estimates/forecasts.parquet`, written by
/// `compute-forecasts`; [`systrade_store::estimates`]): per instrument the latest fit period's raw
/// weights, the smoothed weights and the FDM applied on its combined forecast's last date.
pub fn current_forecast_rows(forecasts: &[(String, EstimatedCombination)]) -> Vec<EstimateRow> {
    let mut rows = Vec::new();
    for (code, c) in forecasts {
        let Some(&last) = c.combined.dates.last() else {
            continue;
        };
        if let Some(p) = &c.weight_periods {
            period_rows(
                &mut rows,
                "forecast_weight",
                Some(code),
                &p[p.len().saturating_sub(1)..],
            );
            // the smoothed row in force on `last` (forward-filled onto the forecast's dates)
            let k = c.weights.dates.partition_point(|d| *d <= last);
            if k > 0 {
                for (name, col) in c.weights.names.iter().zip(&c.weights.columns) {
                    rows.push(value_row(
                        "forecast_weight_applied",
                        Some(code),
                        Some(name),
                        last,
                        col[k - 1],
                    ));
                }
            }
        }
        if c.fdm_correlations.is_some() {
            let fdm = c.fdm_applied.last().copied().unwrap_or(f64::NAN);
            rows.push(value_row("fdm", Some(code), None, last, fdm));
        }
    }
    rows
}

/// The current portfolio-stage estimates (`estimates/instruments.parquet`, written by
/// `size-positions`): the latest fit period's raw instrument weights, the smoothed weights and
/// the IDM applied on the positions' last date.
pub fn current_instrument_rows(
    positions: &systrade_accounts::system::PositionsResult,
    estimates: &systrade_accounts::estimation::InstrumentEstimates,
) -> Vec<EstimateRow> {
    let mut rows = Vec::new();
    let weights = &positions.instrument_weights;
    if let Some(p) = &estimates.weight_periods {
        period_rows(
            &mut rows,
            "instrument_weight",
            None,
            &p[p.len().saturating_sub(1)..],
        );
        if let Some(&last) = weights.dates.last() {
            for (name, col) in weights.instruments.iter().zip(&weights.columns) {
                rows.push(value_row(
                    "instrument_weight_applied",
                    Some(name),
                    None,
                    last,
                    col[col.len() - 1],
                ));
            }
        }
    }
    if let Some(idm) = &estimates.idm
        && let (Some(&d), Some(&v)) = (idm.dates.last(), idm.values.last())
    {
        rows.push(value_row("idm", None, None, d, v));
    }
    rows
}
