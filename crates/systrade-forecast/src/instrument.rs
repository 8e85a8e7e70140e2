//! All forecast series of one instrument: raw data → raw forecasts per rule → scaled and capped →
//! combined (spec §3.2–3.5). Cross-sectional inputs (asset-class normalised price, median carry,
//! pooled scalars, demeaned factors) come from all instruments ([`crate::cross_section`],
//! [`crate::pipeline`]) and are passed in.

use crate::attenuation::{attenuate, vol_attenuation};
use crate::carry::{carry_inputs, raw_carry, smoothed_carry};
use crate::combine::{Combination, CombinedLimit, DEFAULT_WEIGHT_EWMA_SPAN, combine_forecasts};
use crate::cross_section::CrossSectionalInputs;
use crate::rawdata::{RawData, RobustVol, VolConfig, robust_vol_calc};
use crate::rules::{self, VolOf};
use crate::scaling::{DEFAULT_FORECAST_CAP, cap_forecast, scalar_for_forecast, scale};
use crate::spec::{DataInput, RuleFunction, TradingRule};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use systrade_model::{AdjustedPrices, COMBINED_RULE, CarryPrices, ForecastSeries};
use systrade_series::align::align_union;
use systrade_series::{DailySeries, diff};

/// One instrument's prices, what the raw-data stage reads.
#[derive(Debug, Clone, Copy)]
pub struct PriceInputs<'a> {
    pub adjusted: &'a AdjustedPrices,
    /// The carry columns of the multiple prices (needed for carry and the percentage-vol
    /// denominator).
    pub multiple: Option<&'a CarryPrices>,
}

/// Why a forecast cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForecastError {
    #[error("rule '{rule}' needs {input}, which is not available for this instrument")]
    MissingData { rule: String, input: String },
    #[error("forecast weights name rule '{0}', which is not defined")]
    UnknownRule(String),
}

/// What the trading rules of one instrument read from its own prices: the raw-data stage and,
/// with multiple prices, the raw carry.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastInputs {
    /// Shared with callers that keep the raw data beyond the forecasts (e.g. position sizing).
    pub raw: Arc<RawData>,
    /// `raw_carry` (on the union of the daily annualised roll and vol indices), from the carry
    /// inputs of the multiple prices ([`crate::carry::carry_inputs`]).
    pub raw_carry: Option<DailySeries>,
}

impl ForecastInputs {
    pub fn compute(prices: PriceInputs<'_>, vol: &VolConfig) -> Self {
        let raw = RawData::compute(prices.adjusted, prices.multiple, vol);
        let raw_carry = prices.multiple.map(|m| {
            raw_carry(
                &carry_inputs(m).daily_annualised_roll(),
                &raw.daily_returns_volatility,
            )
        });
        Self {
            raw: Arc::new(raw),
            raw_carry,
        }
    }

    /// The series a rule data input names.
    pub fn input(
        &self,
        input: &DataInput,
        cross: &CrossSectionalInputs,
        rule: &str,
    ) -> Result<DailySeries, ForecastError> {
        let missing = |what: &str| ForecastError::MissingData {
            rule: rule.into(),
            input: what.into(),
        };
        Ok(match input {
            DataInput::DailyPrices => self.raw.daily_prices.clone(),
            DataInput::DailyReturns => self.raw.daily_returns.clone(),
            DataInput::DailyReturnsVolatility => self.raw.daily_returns_volatility.clone(),
            DataInput::DailyPercentageVolatility => self.raw.daily_percentage_volatility(),
            DataInput::RawCarry => self
                .raw_carry
                .clone()
                .ok_or_else(|| missing("raw carry (multiple prices)"))?,
            DataInput::SmoothedCarry { smooth_days } => smoothed_carry(
                self.raw_carry
                    .as_ref()
                    .ok_or_else(|| missing("raw carry (multiple prices)"))?,
                *smooth_days,
            ),
            DataInput::MedianCarryForAssetClass => cross
                .median_carry_for_asset_class
                .clone()
                .ok_or_else(|| missing("median carry for asset class"))?,
            DataInput::NormalisedPrice => self.raw.cumulative_daily_vol_normalised_returns(),
            DataInput::NormalisedPriceForAssetClass => cross
                .normalised_price_for_asset_class
                .clone()
                .ok_or_else(|| missing("normalised price for asset class"))?,
            DataInput::DemeanedFactorValue(spec) => cross
                .demeaned_factors
                .iter()
                .find(|(s, _)| s == spec)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| missing(&format!("demeaned factor {}", spec.factor_name)))?,
        })
    }

    /// `rules.get_raw_forecast`: the rule applied to its data inputs, aligned on the union of
    /// their dates, with every exact zero replaced by NaN ([`zeros_to_nan`]).
    pub fn raw_forecast(
        &self,
        name: &str,
        rule: &TradingRule,
        cross: &CrossSectionalInputs,
    ) -> Result<DailySeries, ForecastError> {
        let inputs = rule
            .data
            .iter()
            .map(|d| self.input(d, cross, name))
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&DailySeries> = inputs.iter().collect();
        let (dates, cols) = align_union(&refs);
        let x = &cols[0];
        let y = || &cols[1];
        let values = match rule.function {
            RuleFunction::Ewmac { lfast, lslow } => rules::ewmac(x, y(), lfast, lslow),
            RuleFunction::EwmacCalcVol {
                lfast,
                lslow,
                vol_days,
                vol_of,
            } => rules::ewmac_calc_vol(x, lfast, lslow, vol_days, vol_of),
            RuleFunction::Carry { smooth_days } => rules::carry(x, smooth_days),
            RuleFunction::RelativeCarry => rules::relative_carry(x, y()),
            RuleFunction::Breakout { lookback, smooth } => {
                rules::breakout(x, lookback, Some(smooth))
            }
            RuleFunction::Accel { lfast } => rules::accel(x, y(), lfast),
            RuleFunction::MrWings { lfast } => rules::mr_wings(x, y(), lfast),
            RuleFunction::RelativeMomentum { horizon, ewma_span } => {
                rules::relative_momentum(x, y(), horizon, ewma_span)
            }
            RuleFunction::CrossSectionalMeanReversion { horizon, ewma_span } => {
                rules::cross_sectional_mean_reversion(x, y(), horizon, ewma_span)
            }
            RuleFunction::FactorTradingRule { smooth } => rules::factor_trading_rule(x, smooth),
            RuleFunction::ConditionedFactorTradingRule { smooth } => {
                rules::conditioned_factor_trading_rule(x, y(), smooth)
            }
        };
        Ok(zeros_to_nan(DailySeries::new(dates, values)))
    }

    /// The raw forecast of every weighted rule of `config`, in `forecast_weights` order, as the
    /// scaling stage sees it: rules in [`ForecastConfig::attenuated_rules`] multiplied by the
    /// instrument's vol attenuation ([`crate::attenuation`]; pysystemtrade's
    /// `volAttenForecastScaleCap.get_raw_forecast`), the others as the rule returns them. Rules
    /// `ewmac_calc_vol` on the same input with the same `vol_days` and vol basis (e.g.
    /// assettrend2…64 on the asset-class normalised price) share one volatility
    /// ([`Self::raw_forecast_sharing_vol`]).
    pub fn raw_forecasts(
        &self,
        config: &ForecastConfig,
        cross: &CrossSectionalInputs,
    ) -> Result<Vec<DailySeries>, ForecastError> {
        let mut vols = VolCache::default();
        let mut attenuation: Option<DailySeries> = None;
        config
            .forecast_weights
            .iter()
            .map(|(name, _)| {
                let rule = config
                    .rules
                    .get(name)
                    .ok_or_else(|| ForecastError::UnknownRule(name.clone()))?;
                let raw =
                    zeros_to_nan(self.raw_forecast_sharing_vol(name, rule, cross, &mut vols)?);
                if !config.attenuated_rules.contains(name) {
                    return Ok(raw);
                }
                let a = attenuation.get_or_insert_with(|| self.vol_attenuation());
                Ok(attenuate(&raw, a))
            })
            .collect()
    }

    /// This instrument's [`crate::attenuation::vol_attenuation`] (from its daily percentage
    /// volatility).
    pub fn vol_attenuation(&self) -> DailySeries {
        vol_attenuation(&self.raw.daily_percentage_volatility())
    }

    /// [`Self::raw_forecast`], except that a [`RuleFunction::EwmacCalcVol`] rule reuses the
    /// `robust_vol_calc` of an earlier rule with the same input, `vol_days` and vol basis:
    /// `ewmac(x, robust_vol_calc(x or diff(x), vol_days), Lfast, Lslow)`, exactly the calls
    /// [`rules::ewmac_calc_vol`] makes.
    fn raw_forecast_sharing_vol(
        &self,
        name: &str,
        rule: &TradingRule,
        cross: &CrossSectionalInputs,
        vols: &mut VolCache,
    ) -> Result<DailySeries, ForecastError> {
        let RuleFunction::EwmacCalcVol {
            lfast,
            lslow,
            vol_days,
            vol_of,
        } = rule.function
        else {
            return self.raw_forecast(name, rule, cross);
        };
        let [input] = rule.data.as_slice() else {
            return self.raw_forecast(name, rule, cross);
        };
        let key = (input.clone(), vol_days, vol_of);
        let i = match vols.0.iter().position(|(k, ..)| *k == key) {
            Some(i) => i,
            None => {
                let x = self.input(input, cross, name)?;
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
        Ok(zeros_to_nan(
            x.with_values(rules::ewmac(&x.values, vol, lfast, lslow)),
        ))
    }
}

/// What pysystemtrade's `TradingRule.call` does to every rule's output
/// (`replace_all_zeros_with_nan`, `syscore/pandas/strategy_functions.py`): each value equal to
/// zero (either sign) becomes NaN — e.g. the first value of an `ewmac` (fast and slow EWMA
/// agree), or a relative rule where the instrument is alone in its asset class.
pub fn zeros_to_nan(forecast: DailySeries) -> DailySeries {
    let mut f = forecast;
    for v in &mut f.values {
        if *v == 0.0 {
            *v = f64::NAN;
        }
    }
    f
}

/// Volatilities of `ewmac_calc_vol` rules of one instrument, by [`VolKey`], with the input they
/// were computed on.
#[derive(Default)]
struct VolCache(Vec<(VolKey, DailySeries, Vec<f64>)>);

/// Input, `vol_days` and vol basis of an `ewmac_calc_vol` volatility.
type VolKey = (DataInput, usize, VolOf);

/// A forecast scalar: fixed, or an estimated series (reindexed with forward fill to the forecast).
/// A pooled estimate is one series shared by every instrument using the rule (no copy each).
#[derive(Debug, Clone, PartialEq)]
pub enum ForecastScalar {
    Fixed(f64),
    Estimated(std::sync::Arc<DailySeries>),
}

/// One rule's forecasts for one instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleForecast {
    pub rule: String,
    pub raw: DailySeries,
    /// `get_forecast_scalar` on the forecast index.
    pub scalar: DailySeries,
    pub scaled: DailySeries,
    pub capped: DailySeries,
}

impl RuleForecast {
    /// Scales and caps a raw forecast.
    pub fn new(
        rule: &str,
        raw: DailySeries,
        scalar: &ForecastScalar,
        cap: f64,
        floor: Option<f64>,
    ) -> Self {
        let scalar = match scalar {
            ForecastScalar::Fixed(s) => raw.map(|_| *s),
            ForecastScalar::Estimated(series) => raw.with_values(scalar_for_forecast(series, &raw)),
        };
        let scaled = raw.with_values(scale(&raw.values, &scalar.values));
        let capped = raw.with_values(cap_forecast(&scaled.values, cap, floor));
        Self {
            rule: rule.into(),
            raw,
            scalar,
            scaled,
            capped,
        }
    }
}

/// Everything the forecasts of one instrument need from the system config.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastConfig {
    /// Rule definitions by name.
    pub rules: BTreeMap<String, TradingRule>,
    /// Fixed scalar per rule (missing: 1.0, pysystemtrade's global default).
    pub scalars: BTreeMap<String, f64>,
    /// The instrument's forecast weights, in a stable order; its keys choose the rules.
    pub forecast_weights: Vec<(String, f64)>,
    /// `forecast_div_multiplier`.
    pub fdm: f64,
    /// `forecast_cap`.
    pub forecast_cap: f64,
    /// `forecast_floor` (default `−cap`).
    pub forecast_floor: Option<f64>,
    /// The instrument's `forecast_mapping`: mapped instead of capped after the FDM.
    pub forecast_mapping: Option<ForecastMapping>,
    /// `forecast_weight_ewma_span`.
    pub weight_ewma_span: f64,
    /// `volatility_calculation`.
    pub vol: VolConfig,
    /// `use_attenuation`: rules whose raw forecast is multiplied by the instrument's
    /// [`crate::attenuation::vol_attenuation`] before scaling (pysystemtrade's
    /// `volAttenForecastScaleCap`).
    pub attenuated_rules: BTreeSet<String>,
    /// `forecast_post_ceiling_cost_SR` below pysystemtrade's 999: rules whose SR cost exceeds it
    /// leave the combination ([`crate::pipeline`]); `None`: every weighted rule is combined.
    pub cost_ceiling: Option<CostCeiling>,
}

/// `forecast_post_ceiling_cost_SR` and what the rules' SR costs need (pysystemtrade's
/// `ForecastCombine.cheap_trading_rules_post_processing`): a rule whose
/// [`systrade_accounts::estimation::sr_cost_of_forecast`] is above `ceiling` (or NaN) is
/// removed from the instrument's forecast weights before they are fitted, smoothed and
/// renormalised — with fixed weights too; its capped forecast is still computed. When no rule is
/// cheap enough the instrument fails, as in pysystemtrade.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostCeiling {
    /// `forecast_post_ceiling_cost_SR`, annual SR units.
    pub ceiling: f64,
    /// `average_absolute_forecast`: the divisor of a forecast's turnover.
    pub average_absolute_forecast: f64,
    /// `forecast_cost_estimates`.
    pub estimates: systrade_accounts::estimation::ForecastCostEstimates,
}

/// `forecast_mapping` of one instrument (`threshold`, `a_param`, `b_param`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastMapping {
    pub threshold: f64,
    pub a_param: f64,
    pub b_param: f64,
}

impl ForecastConfig {
    /// What limits the combined forecast: the instrument's mapping, else the cap and floor.
    pub fn combined_limit(&self) -> CombinedLimit {
        match self.forecast_mapping {
            Some(m) => CombinedLimit::Mapping {
                threshold: m.threshold,
                a_param: m.a_param,
                b_param: m.b_param,
                cap: self.forecast_cap,
            },
            None => CombinedLimit::Cap {
                floor: self.forecast_floor.unwrap_or(-self.forecast_cap),
                cap: self.forecast_cap,
            },
        }
    }

    /// The fixed scalar of every weighted rule (in `forecast_weights` order) from
    /// [`Self::scalars`]; 1.0, pysystemtrade's global default, for a rule without one.
    pub fn fixed_scalars(&self) -> Vec<ForecastScalar> {
        self.forecast_weights
            .iter()
            .map(|(name, _)| ForecastScalar::Fixed(self.scalars.get(name).copied().unwrap_or(1.0)))
            .collect()
    }
}

impl Default for ForecastConfig {
    fn default() -> Self {
        Self {
            rules: BTreeMap::new(),
            scalars: BTreeMap::new(),
            forecast_weights: Vec::new(),
            fdm: 1.0,
            forecast_cap: DEFAULT_FORECAST_CAP,
            forecast_floor: None,
            forecast_mapping: None,
            weight_ewma_span: DEFAULT_WEIGHT_EWMA_SPAN,
            vol: VolConfig::default(),
            attenuated_rules: BTreeSet::new(),
            cost_ceiling: None,
        }
    }
}

/// All forecast series of one instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentForecasts {
    pub data: ForecastInputs,
    /// One per weighted rule, in `forecast_weights` order.
    pub rules: Vec<RuleForecast>,
    pub combination: Combination,
}

impl InstrumentForecasts {
    /// Computes everything with fixed scalars from `config.scalars`.
    pub fn compute(
        prices: PriceInputs<'_>,
        cross: &CrossSectionalInputs,
        config: &ForecastConfig,
    ) -> Result<Self, ForecastError> {
        let data = ForecastInputs::compute(prices, &config.vol);
        Self::with_scalars(data, cross, config, &config.fixed_scalars())
    }

    /// Computes the forecasts from already computed raw data with one scalar per weighted rule
    /// (in `forecast_weights` order) — the entry point when scalars are estimated across
    /// instruments.
    pub fn with_scalars(
        data: ForecastInputs,
        cross: &CrossSectionalInputs,
        config: &ForecastConfig,
        scalars: &[ForecastScalar],
    ) -> Result<Self, ForecastError> {
        let raw = data.raw_forecasts(config, cross)?;
        Ok(Self::from_raw_forecasts(data, raw, config, scalars))
    }

    /// Scales, caps and combines raw forecasts already computed with
    /// [`ForecastInputs::raw_forecasts`] (one per weighted rule, in `forecast_weights` order) —
    /// for callers that needed the raw forecasts of all instruments first (pooled scalar
    /// estimates).
    pub fn from_raw_forecasts(
        data: ForecastInputs,
        raw_forecasts: Vec<DailySeries>,
        config: &ForecastConfig,
        scalars: &[ForecastScalar],
    ) -> Self {
        let (rules, combination) = scale_cap_combine(config, raw_forecasts, scalars);
        Self {
            data,
            rules,
            combination,
        }
    }
}

/// Scales and caps each raw forecast (spec §3.4): one [`RuleForecast`] per weighted rule (raw
/// forecasts and scalars in `forecast_weights` order).
///
/// # Panics
/// When there is not one raw forecast and one scalar per weighted rule.
pub fn scale_cap(
    config: &ForecastConfig,
    raw_forecasts: Vec<DailySeries>,
    scalars: &[ForecastScalar],
) -> Vec<RuleForecast> {
    let n = config.forecast_weights.len();
    assert_eq!(scalars.len(), n, "one scalar per weighted rule");
    assert_eq!(raw_forecasts.len(), n, "one raw forecast per weighted rule");
    config
        .forecast_weights
        .iter()
        .zip(raw_forecasts)
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
        .collect()
}

/// [`scale_cap`], then the combination of the capped forecasts (§3.5): one [`RuleForecast`] per
/// weighted rule and their [`Combination`].
///
/// # Panics
/// When there is not one raw forecast and one scalar per weighted rule.
pub fn scale_cap_combine(
    config: &ForecastConfig,
    raw_forecasts: Vec<DailySeries>,
    scalars: &[ForecastScalar],
) -> (Vec<RuleForecast>, Combination) {
    scale_cap_combine_cheap(config, raw_forecasts, scalars, None)
}

/// [`scale_cap_combine`] combining only the rules `cheap` marks (one flag per weighted rule, in
/// `forecast_weights` order; `None`: all) — pysystemtrade's `_remove_expensive_rules_from_weights`:
/// the others leave the forecast weights (and so the index the weights are fitted on) before
/// fitting, smoothing and renormalisation. Every rule is still scaled and capped.
///
/// # Panics
/// When there is not one raw forecast, one scalar and (when given) one flag per weighted rule, or
/// when no flag is set (pysystemtrade fails such an instrument, and so does
/// [`crate::pipeline::compute_forecasts`] before combining).
pub fn scale_cap_combine_cheap(
    config: &ForecastConfig,
    raw_forecasts: Vec<DailySeries>,
    scalars: &[ForecastScalar],
    cheap: Option<&[bool]>,
) -> (Vec<RuleForecast>, Combination) {
    let rules = scale_cap(config, raw_forecasts, scalars);
    let mut capped: Vec<&DailySeries> = rules.iter().map(|r| &r.capped).collect();
    let mut weights: Vec<f64> = config.forecast_weights.iter().map(|(_, w)| *w).collect();
    if let Some(cheap) = cheap {
        assert_eq!(cheap.len(), rules.len(), "one flag per weighted rule");
        assert!(cheap.iter().any(|c| *c), "at least one cheap rule");
        let mut keep = cheap.iter();
        capped.retain(|_| *keep.next().unwrap_or(&false));
        let mut keep = cheap.iter();
        weights.retain(|_| *keep.next().unwrap_or(&false));
    }
    let combination = combine_forecasts(
        &capped,
        &weights,
        config.fdm,
        config.combined_limit(),
        config.weight_ewma_span,
    );
    (rules, combination)
}

/// The series of the forecasts file: per rule its raw forecast, scalar and capped forecast, then
/// the combined forecast (raw: the weighted sum before the FDM; scalar: the FDM; capped: the
/// final combined forecast).
pub fn forecast_series(rules: Vec<RuleForecast>, combination: Combination) -> Vec<ForecastSeries> {
    let mut out = rule_series(rules);
    out.push(ForecastSeries {
        rule: COMBINED_RULE.to_string(),
        dates: combination.combined.dates,
        raw: combination.combined_without_fdm.values,
        scalar: combination.fdm.values,
        capped: combination.combined.values,
    });
    out
}

/// Per rule its raw forecast, scalar and capped forecast, without a combined forecast (an
/// instrument the config gives no forecast weights for: [`crate::ForecastJob::no_combined`]).
pub fn rule_series(rules: Vec<RuleForecast>) -> Vec<ForecastSeries> {
    rules
        .into_iter()
        .map(|r| ForecastSeries {
            rule: r.rule,
            dates: r.raw.dates,
            raw: r.raw.values,
            scalar: r.scalar.values,
            capped: r.capped.values,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ArgValue;
    use systrade_model::Timestamp;

    fn prices(n: usize) -> AdjustedPrices {
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let dates = systrade_series::business_days(start, start + chrono::Days::new(600));
        let ts = dates[..n]
            .iter()
            .map(|d| Timestamp::from_date(*d))
            .collect();
        let vals = (0..n)
            .map(|i| 100.0 + (i as f64 * 0.3).sin() * 5.0 + i as f64 * 0.05)
            .collect();
        AdjustedPrices::new(ts, vals)
    }

    /// (rule name, function, numeric other_args)
    type RuleRow<'a> = (&'a str, &'a str, &'a [(&'a str, f64)]);

    fn config(rules: &[RuleRow<'_>], weights: &[(&str, f64)]) -> ForecastConfig {
        ForecastConfig {
            rules: rules
                .iter()
                .map(|(name, f, args)| {
                    let args = args
                        .iter()
                        .map(|(k, v)| (k.to_string(), ArgValue::Number(*v)))
                        .collect();
                    (
                        name.to_string(),
                        TradingRule::from_pysystemtrade(f, &[], &args).unwrap(),
                    )
                })
                .collect(),
            forecast_weights: weights.iter().map(|(n, w)| (n.to_string(), *w)).collect(),
            ..ForecastConfig::default()
        }
    }

    #[test]
    fn missing_inputs_are_errors() {
        let adj = prices(50);
        let inputs = PriceInputs {
            adjusted: &adj,
            multiple: None,
        };
        let cross = CrossSectionalInputs::default();
        let c = config(&[("carry", "carry", &[])], &[("carry", 1.0)]);
        let e = InstrumentForecasts::compute(inputs, &cross, &c).unwrap_err();
        assert!(matches!(e, ForecastError::MissingData { .. }), "{e}");
        let c = config(
            &[("ewmac", "ewmac", &[("Lfast", 2.0), ("Lslow", 8.0)])],
            &[("other", 1.0)],
        );
        let e = InstrumentForecasts::compute(inputs, &cross, &c).unwrap_err();
        assert_eq!(e, ForecastError::UnknownRule("other".into()));
        let c = config(&[("mom", "relative_momentum", &[])], &[("mom", 1.0)]);
        assert!(InstrumentForecasts::compute(inputs, &cross, &c).is_err());
    }

    #[test]
    fn fixed_and_estimated_scalars() {
        let adj = prices(300);
        let inputs = PriceInputs {
            adjusted: &adj,
            multiple: None,
        };
        let cross = CrossSectionalInputs::default();
        let mut c = config(
            &[
                ("fast", "ewmac", &[("Lfast", 2.0), ("Lslow", 8.0)]),
                ("brk", "breakout", &[("lookback", 20.0)]),
            ],
            &[("fast", 0.7), ("brk", 0.3)],
        );
        c.scalars.insert("fast".into(), 4.0);
        let f = InstrumentForecasts::compute(inputs, &cross, &c).unwrap();
        let fast = &f.rules[0];
        let t = 200;
        assert_eq!(fast.scalar.values[t], 4.0);
        assert_eq!(fast.scaled.values[t], fast.raw.values[t] * 4.0);
        assert_eq!(f.rules[1].scalar.values[t], 1.0, "default scalar");
        assert!(
            fast.capped
                .values
                .iter()
                .all(|v| v.is_nan() || v.abs() <= 20.0)
        );
        // combined = Σ w·capped × FDM 1, with the smoothed weights summing to 1.
        let w = &f.combination.weights;
        assert!((w[0].values[t] + w[1].values[t] - 1.0).abs() < 1e-12);
        assert!(
            (w[0].values[t] - 0.7).abs() < 0.05,
            "smoothing pulls back towards 0.7"
        );
        let comb = f.combination.combined.values[t];
        let want =
            w[0].values[t] * fast.capped.values[t] + w[1].values[t] * f.rules[1].capped.values[t];
        assert!((comb - want).abs() < 1e-12, "{comb} vs {want}");

        // Estimated scalar from this instrument alone, fed back through from_raw_forecasts.
        let data = ForecastInputs::compute(inputs, &c.vol);
        let raws = data.raw_forecasts(&c, &cross).unwrap();
        let est = crate::scaling::estimated_forecast_scalar(
            &[&raws[0]],
            &crate::scaling::ScalarEstimate {
                min_periods: 50,
                ..Default::default()
            },
        );
        let scalars = [
            ForecastScalar::Estimated(std::sync::Arc::new(est.clone())),
            ForecastScalar::Fixed(1.0),
        ];
        let f = InstrumentForecasts::from_raw_forecasts(data, raws, &c, &scalars);
        assert_eq!(f.rules[0].scalar.values, est.values);
        // Backfilled: the first scalar equals the first estimate.
        assert!(!f.rules[0].scalar.values[0].is_nan());
    }

    #[test]
    fn shared_ewmac_calc_vol_equals_the_rule_computed_alone() {
        let adjusted = prices(420);
        let d = ForecastInputs::compute(
            PriceInputs {
                adjusted: &adjusted,
                multiple: None,
            },
            &VolConfig::default(),
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
            let shared = d
                .raw_forecast_sharing_vol("r", &rule, &cross, &mut cache)
                .unwrap();
            let alone = d.raw_forecast("r", &rule, &cross).unwrap();
            assert_eq!(shared.dates, alone.dates);
            assert!(
                shared
                    .values
                    .iter()
                    .zip(&alone.values)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
            assert!(shared.values.iter().any(|v| !v.is_nan()));
        }
        assert_eq!(cache.0.len(), 2, "one volatility per input and basis");
    }

    #[test]
    fn forecast_series_ends_with_the_combined_forecast() {
        let adj = prices(300);
        let inputs = PriceInputs {
            adjusted: &adj,
            multiple: None,
        };
        let c = config(
            &[("brk", "breakout", &[("lookback", 20.0)])],
            &[("brk", 1.0)],
        );
        let f = InstrumentForecasts::compute(inputs, &CrossSectionalInputs::default(), &c).unwrap();
        let series = forecast_series(f.rules.clone(), f.combination.clone());
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].rule, "brk");
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&series[0].capped), bits(&f.rules[0].capped.values));
        assert!(series[1].is_combined());
        assert_eq!(
            bits(&series[1].capped),
            bits(&f.combination.combined.values)
        );
        assert_eq!(bits(&series[1].scalar), bits(&f.combination.fdm.values));
    }
}
