//! The forecast pipeline over all instruments (spec §3.2–3.5), in three parallel phases:
//!
//! 1. per instrument (parallel): raw-data stage ([`InstrumentData`]);
//! 2. cross-sectional: asset-class normalised prices, asset-class median carry, demeaned factors
//!    (per asset class / factor, parallel), then every rule's raw forecast per instrument
//!    (parallel), then estimated forecast scalars pooled across instruments (parallel over rules);
//! 3. per instrument (parallel): scaling, capping and combination.
//!
//! A failure of one instrument (e.g. a rule input it lacks) is isolated: the instrument is reported
//! and left out of every pool; the others go on.

use crate::output::{COMBINED, RuleSeries};
use crate::rules_from_config::{ALL_ASSETS_DEMEAN, CrossSectionalNeeds};
use rayon::prelude::*;
use std::collections::BTreeMap;
use systrade_forecast::align::reindex_ffill_to;
use systrade_forecast::carry::smoothed_carry;
use systrade_forecast::combine::combine_forecasts;
use systrade_forecast::factors::{average_factor_value, demeaned_factor_value, neg_skew, skew};
use systrade_forecast::instrument::{CrossSectionalInputs, ForecastScalar, InstrumentData};
use systrade_forecast::rawdata::cross_sectional_median;
use systrade_forecast::rawdata::{RobustVol, robust_vol_calc};
use systrade_forecast::rules::{self, VolOf};
use systrade_forecast::scaling::{ScalarEstimate, estimated_forecast_scalar};
use systrade_forecast::spec::{DataInput, FactorSpec};
use systrade_forecast::{DailySeries, ForecastConfig, InstrumentInputs, RuleForecast};
use systrade_forecast::{RuleFunction, TradingRule};
use systrade_model::{AdjustedPrices, CarryPrices, InstrumentCode};
use systrade_series::{cumsum, diff, ffill};

/// One instrument's prices and configuration, ready to compute.
#[derive(Debug, Clone)]
pub struct InstrumentJob {
    pub code: InstrumentCode,
    /// `AssetClass` from `config/instruments.csv` (needed by asset-class rules only).
    pub asset_class: Option<String>,
    pub adjusted: AdjustedPrices,
    /// The carry columns of the multiple prices, when the instrument has them.
    pub multiple: Option<CarryPrices>,
    pub config: ForecastConfig,
}

/// How forecast scalars are obtained (spec §3.4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalars {
    /// `forecast_scalar` lookups ([`ForecastConfig::scalars`]).
    Fixed,
    /// `use_forecast_scale_estimates`: estimated, pooled across the instruments using a rule or
    /// per instrument.
    Estimated {
        estimate: ScalarEstimate,
        pool: bool,
    },
}

/// `x` reindexed onto `index` with forward fill, then forward-filled (the alignment of
/// [`systrade_forecast::rawdata::normalised_price_for_asset_class`] and
/// [`systrade_forecast::carry::median_carry_for_asset_class`], applied to a precomputed
/// asset-class series).
fn onto(x: &DailySeries, index: &DailySeries) -> DailySeries {
    index.with_values(ffill(&reindex_ffill_to(x, index)))
}

/// Groups instrument indices by asset class (instruments without one are left out).
fn by_class(asset_classes: &[Option<&str>]) -> BTreeMap<String, Vec<usize>> {
    let mut m: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, c) in asset_classes.iter().enumerate() {
        if let Some(c) = c {
            m.entry((*c).to_string()).or_default().push(i);
        }
    }
    m
}

/// Cross-sectional inputs of every instrument (`None` entries: instruments that failed).
fn cross_sectional(
    data: &[Option<InstrumentData>],
    asset_classes: &[Option<&str>],
    needs: &CrossSectionalNeeds,
) -> Vec<CrossSectionalInputs> {
    let n = data.len();
    let mut cross = vec![CrossSectionalInputs::default(); n];
    let classes = by_class(asset_classes);

    if needs.normalised_price_for_asset_class {
        // normalised_price_for_asset_class: cumsum of the cross-sectional median of the class's
        // vol-normalised returns, aligned (ffill) to each instrument's own normalised price.
        let returns: Vec<Option<DailySeries>> = data
            .par_iter()
            .map(|d| d.as_ref().map(|d| d.raw.daily_vol_normalised_returns()))
            .collect();
        let class_price: BTreeMap<&String, DailySeries> = classes
            .par_iter()
            .map(|(class, members)| {
                let series: Vec<&DailySeries> = members
                    .iter()
                    .filter_map(|&i| returns[i].as_ref())
                    .collect();
                let median = cross_sectional_median(&series);
                (class, median.with_values(cumsum(&median.values)))
            })
            .collect();
        let own: Vec<Option<DailySeries>> = data
            .par_iter()
            .enumerate()
            .map(|(i, d)| {
                let d = d.as_ref()?;
                let class = class_price.get(&asset_classes[i]?.to_string())?;
                Some(onto(
                    class,
                    &d.raw.cumulative_daily_vol_normalised_returns(),
                ))
            })
            .collect();
        for (c, p) in cross.iter_mut().zip(own) {
            c.normalised_price_for_asset_class = p;
        }
    }

    if needs.median_carry_for_asset_class {
        // median_carry_for_asset_class: median of raw_carry.ewm(com=90).mean() within the class,
        // aligned (ffill) to each instrument's raw carry.
        let smoothed: Vec<Option<DailySeries>> = data
            .par_iter()
            .map(|d| {
                d.as_ref()
                    .and_then(|d| d.raw_carry.as_ref())
                    .map(|rc| smoothed_carry(rc, 90.0))
            })
            .collect();
        let class_median: BTreeMap<&String, DailySeries> = classes
            .par_iter()
            .map(|(class, members)| {
                let series: Vec<&DailySeries> = members
                    .iter()
                    .filter_map(|&i| smoothed[i].as_ref())
                    .collect();
                (class, cross_sectional_median(&series))
            })
            .collect();
        for (i, c) in cross.iter_mut().enumerate() {
            let raw_carry = data[i].as_ref().and_then(|d| d.raw_carry.as_ref());
            let class = asset_classes[i].and_then(|a| class_median.get(&a.to_string()));
            if let (Some(rc), Some(m)) = (raw_carry, class) {
                c.median_carry_for_asset_class = Some(onto(m, rc));
            }
        }
    }

    for spec in &needs.factors {
        let factors: Vec<Option<DailySeries>> = data
            .par_iter()
            .map(|d| {
                let pr = d.as_ref()?.raw.daily_percentage_returns();
                let lookback = spec.lookback_days as i64;
                Some(if spec.factor_name == "skew" {
                    skew(&pr, lookback)
                } else {
                    neg_skew(&pr, lookback)
                })
            })
            .collect();
        let averages: Vec<Option<DailySeries>> = if spec.demean_method == ALL_ASSETS_DEMEAN {
            let all: Vec<&DailySeries> = factors.iter().flatten().collect();
            let avg = average_factor_value(&all);
            (0..n).map(|_| Some(avg.clone())).collect()
        } else {
            let class_avg: BTreeMap<&String, DailySeries> = classes
                .par_iter()
                .map(|(class, members)| {
                    let series: Vec<&DailySeries> = members
                        .iter()
                        .filter_map(|&i| factors[i].as_ref())
                        .collect();
                    (class, average_factor_value(&series))
                })
                .collect();
            (0..n)
                .map(|i| {
                    asset_classes[i]
                        .and_then(|a| class_avg.get(&a.to_string()))
                        .cloned()
                })
                .collect()
        };
        let demeaned: Vec<Option<DailySeries>> = factors
            .par_iter()
            .zip(&averages)
            .map(|(f, a)| Some(demeaned_factor_value(f.as_ref()?, a.as_ref()?)))
            .collect();
        for (c, d) in cross.iter_mut().zip(demeaned) {
            if let Some(d) = d {
                c.demeaned_factors.push((spec.clone(), d));
            }
        }
    }
    cross
}

/// Estimated scalars per instrument and weighted rule (in `forecast_weights` order).
fn estimated_scalars(
    jobs: &[InstrumentJob],
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

/// Volatilities `ewmac_calc_vol` rules of one instrument computed on the same input with the same
/// parameters (e.g. assettrend2…64 all on the asset-class normalised price), computed once.
#[derive(Default)]
struct VolCache(Vec<(VolKey, DailySeries, Vec<f64>)>);

/// Input, `vol_days` and vol basis of an `ewmac_calc_vol` volatility.
type VolKey = (DataInput, usize, VolOf);

/// `rules.get_raw_forecast` ([`InstrumentData::raw_forecast`]), except that an
/// [`RuleFunction::EwmacCalcVol`] rule reuses the `robust_vol_calc` of an earlier rule with the same
/// input, `vol_days` and vol basis: `ewmac(x, robust_vol_calc(x or diff(x), vol_days), Lfast,
/// Lslow)`, exactly the calls [`rules::ewmac_calc_vol`] makes.
fn raw_forecast(
    d: &InstrumentData,
    name: &str,
    rule: &TradingRule,
    cross: &CrossSectionalInputs,
    vols: &mut VolCache,
) -> Result<DailySeries, systrade_forecast::instrument::ForecastError> {
    let RuleFunction::EwmacCalcVol {
        lfast,
        lslow,
        vol_days,
        vol_of,
    } = rule.function
    else {
        return d.raw_forecast(name, rule, cross);
    };
    let [input] = rule.data.as_slice() else {
        return d.raw_forecast(name, rule, cross);
    };
    let key = (input.clone(), vol_days, vol_of);
    let i = match vols.0.iter().position(|(k, ..)| *k == key) {
        Some(i) => i,
        None => {
            let x = d.input(input, cross, name)?;
            let vol_input = match vol_of {
                VolOf::PriceLevel => x.values.clone(),
                VolOf::PriceDifferences => diff(&x.values, 1),
            };
            let vol = robust_vol_calc(&vol_input, &RobustVol::with_days(vol_days));
            vols.0.push((key, x, vol));
            vols.0.len() - 1
        }
    };
    let (_, x, vol) = &vols.0[i];
    Ok(x.with_values(rules::ewmac(&x.values, vol, lfast, lslow)))
}

/// Scales, caps and combines one instrument's raw forecasts.
fn finish(
    config: &ForecastConfig,
    raw: Vec<DailySeries>,
    scalars: &[ForecastScalar],
) -> Vec<RuleSeries> {
    let rules: Vec<RuleForecast> = config
        .forecast_weights
        .iter()
        .zip(raw)
        .zip(scalars)
        .map(|(((name, _), raw), scalar)| {
            RuleForecast::new(
                name,
                raw,
                scalar,
                config.forecast_cap,
                config.forecast_floor,
            )
        })
        .collect();
    let capped: Vec<&DailySeries> = rules.iter().map(|r| &r.capped).collect();
    let weights: Vec<f64> = config.forecast_weights.iter().map(|(_, w)| *w).collect();
    let c = combine_forecasts(
        &capped,
        &weights,
        config.fdm,
        config.forecast_cap,
        config.weight_ewma_span,
    );
    let mut out: Vec<RuleSeries> = rules
        .into_iter()
        .map(|r| RuleSeries {
            rule: r.rule,
            dates: r.raw.dates,
            raw: r.raw.values,
            scalar: r.scalar.values,
            capped: r.capped.values,
        })
        .collect();
    out.push(RuleSeries {
        rule: COMBINED.to_string(),
        dates: c.combined.dates,
        raw: c.combined_without_fdm.values,
        scalar: c.fdm.values,
        capped: c.combined.values,
    });
    out
}

/// What happens to one instrument's finished series (in parallel): its result or why not.
pub type PerInstrument<'a, T> =
    dyn Fn(&InstrumentJob, Vec<RuleSeries>) -> Result<T, String> + Sync + 'a;

/// Receives each instrument's result in order (sequentially).
pub type Sink<'a, T> = dyn FnMut(&InstrumentJob, Result<T, String>) -> anyhow::Result<()> + 'a;

/// Instruments finished per parallel batch in phase 3: bounds the memory of finished series
/// (and of CSV text) while keeping both cores busy.
const BATCH: usize = 16;

/// Computes every instrument's forecasts. Each instrument's finished series go to `per_instrument`
/// (in parallel; e.g. encode and write a file), whose result goes to `sink` in `jobs` order
/// (sequentially; e.g. print). `on_done` is called once per instrument as it finishes.
///
/// # Errors
/// The first error of `sink`.
pub fn compute_all<T: Send>(
    jobs: &mut [InstrumentJob],
    scalars: Scalars,
    on_done: &(dyn Fn() + Sync),
    per_instrument: &PerInstrument<'_, T>,
    sink: &mut Sink<'_, T>,
) -> anyhow::Result<()> {
    let t = std::time::Instant::now();
    // Phase 1: raw data per instrument; the prices are released as soon as they are used.
    let data: Vec<Result<InstrumentData, String>> = jobs
        .par_iter_mut()
        .map(|j| {
            if j.adjusted.is_empty() {
                return Err("no adjusted prices (on or before --as-of)".to_string());
            }
            let d = InstrumentData::compute(
                InstrumentInputs {
                    adjusted: &j.adjusted,
                    multiple: j.multiple.as_ref().filter(|m| !m.is_empty()),
                },
                &j.config.vol,
            );
            j.adjusted = AdjustedPrices::default();
            j.multiple = None;
            Ok(d)
        })
        .collect();
    tracing::debug!("raw data stage: {:?}", t.elapsed());
    compute_from_data(jobs, data, scalars, on_done, per_instrument, sink)
}

/// [`compute_all`] from phases 2 and 3 on: `data` is each job's raw-data stage (phase 1, in `jobs`
/// order), computed by the caller, e.g. while streaming prices so that only the daily series are
/// held for all instruments at once. The jobs' prices are not used (they may be empty).
///
/// # Errors
/// The first error of `sink`.
pub fn compute_from_data<T: Send>(
    jobs: &[InstrumentJob],
    data: Vec<Result<InstrumentData, String>>,
    scalars: Scalars,
    on_done: &(dyn Fn() + Sync),
    per_instrument: &PerInstrument<'_, T>,
    sink: &mut Sink<'_, T>,
) -> anyhow::Result<()> {
    let t = std::time::Instant::now();
    let mut errors: Vec<Option<String>> = data.iter().map(|d| d.as_ref().err().cloned()).collect();
    let data: Vec<Option<InstrumentData>> = data.into_iter().map(Result::ok).collect();

    // Phase 2: cross-sectional inputs, raw forecasts, scalars.
    let needs = CrossSectionalNeeds::of(jobs.iter().flat_map(|j| j.config.rules.values()));
    let classes: Vec<Option<&str>> = jobs.iter().map(|j| j.asset_class.as_deref()).collect();
    let cross = cross_sectional(&data, &classes, &needs);
    tracing::debug!("cross-sectional inputs: {:?}", t.elapsed());
    let raw: Vec<Result<Vec<DailySeries>, String>> = jobs
        .par_iter()
        .zip(&data)
        .zip(&cross)
        .map(|((job, d), cross)| {
            let Some(d) = d else {
                return Err(String::new());
            };
            let mut vols = VolCache::default();
            job.config
                .forecast_weights
                .iter()
                .map(|(name, _)| {
                    let rule = &job.config.rules[name];
                    raw_forecast(d, name, rule, cross, &mut vols).map_err(|e| e.to_string())
                })
                .collect()
        })
        .collect();
    drop(cross);
    drop(data);
    tracing::debug!("raw forecasts: {:?}", t.elapsed());
    for (e, r) in errors.iter_mut().zip(&raw) {
        if let (None, Err(msg)) = (&e, r) {
            *e = Some(msg.clone());
        }
    }
    let raw: Vec<Option<Vec<DailySeries>>> = raw.into_iter().map(Result::ok).collect();
    let scalar_sets: Vec<Option<Vec<ForecastScalar>>> = match scalars {
        Scalars::Fixed => jobs
            .iter()
            .map(|j| {
                Some(
                    j.config
                        .forecast_weights
                        .iter()
                        .map(|(name, _)| {
                            ForecastScalar::Fixed(
                                j.config.scalars.get(name).copied().unwrap_or(1.0),
                            )
                        })
                        .collect(),
                )
            })
            .collect(),
        Scalars::Estimated { estimate, pool } => estimated_scalars(jobs, &raw, &estimate, pool),
    };

    tracing::debug!("forecast scalars: {:?}", t.elapsed());
    // Phase 3: scale, cap, combine per instrument, in batches.
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
        let done: Vec<(&InstrumentJob, Result<T, String>)> = batch
            .into_par_iter()
            .map(|(job, raw, scalars, error)| {
                let r = match (error, raw, scalars) {
                    (None, Some(raw), Some(scalars)) => {
                        per_instrument(job, finish(&job.config, raw, &scalars))
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
    tracing::debug!("scaled, capped, combined, output: {:?}", t.elapsed());
    Ok(())
}

/// The factor specifications used, for logging.
pub fn describe_factors(specs: &[FactorSpec]) -> String {
    specs
        .iter()
        .map(|f| {
            format!(
                "{}({}d, {})",
                f.factor_name, f.lookback_days, f.demean_method
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use systrade_model::Timestamp;

    #[test]
    fn cached_ewmac_calc_vol_equals_the_library_rule() {
        let start = chrono::NaiveDate::from_ymd_opt(2020, 1, 6).unwrap();
        let days: Vec<_> = start
            .iter_days()
            .filter(|d| chrono::Datelike::weekday(d).number_from_monday() <= 5)
            .take(700)
            .collect();
        let prices: Vec<f64> = (0..days.len())
            .map(|t| 50.0 + (t as f64 / 17.0).sin() * 4.0 + (t as f64 / 3.1).cos())
            .collect();
        let adjusted = AdjustedPrices::new(
            days.iter().map(|d| Timestamp::from_date(*d)).collect(),
            prices,
        );
        let d = InstrumentData::compute(
            InstrumentInputs {
                adjusted: &adjusted,
                multiple: None,
            },
            &systrade_forecast::VolConfig::default(),
        );
        let cross = CrossSectionalInputs::default();
        let mut cache = VolCache::default();
        for (lfast, vol_of) in [
            (2, VolOf::PriceLevel),
            (8, VolOf::PriceLevel),
            (4, VolOf::PriceDifferences),
        ] {
            let rule = TradingRule {
                function: RuleFunction::EwmacCalcVol {
                    lfast,
                    lslow: 4 * lfast,
                    vol_days: 35,
                    vol_of,
                },
                data: vec![DataInput::NormalisedPrice],
            };
            let ours = raw_forecast(&d, "r", &rule, &cross, &mut cache).unwrap();
            let lib = d.raw_forecast("r", &rule, &cross).unwrap();
            assert_eq!(ours.dates, lib.dates);
            assert!(
                ours.values
                    .iter()
                    .zip(&lib.values)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
            assert!(ours.values.iter().any(|v| !v.is_nan()));
        }
        assert_eq!(cache.0.len(), 2, "one volatility per input and basis");
    }
}
