//! All forecast series of one instrument: raw data → raw forecasts per rule → scaled and capped →
//! combined (spec §3.2–3.5). Cross-sectional inputs (asset-class normalised price, median carry,
//! pooled scalars, demeaned factors) come from all instruments ([`crate::cross_section`],
//! [`crate::pipeline`]) and are passed in.

use crate::attenuation::{attenuate, vol_attenuation};
use crate::carry::{carry_inputs, raw_carry, smoothed_carry};
use crate::combine::{Combination, CombinedLimit, DEFAULT_WEIGHT_EWMA_SPAN, combine_forecasts};
use crate::cross_section::CrossSectionalInputs;
use crate::rawdata::{RawData, VolConfig};
use crate::rules::{self, VolOf};
use crate::scaling::{DEFAULT_FORECAST_CAP, cap_forecast, scalar_for_forecast, scale};
use crate::spec::{DataInput, RuleFunction, TradingRule};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use systrade_model::{AdjustedPrices, COMBINED_RULE, CarryPrices, ForecastSeries};
use systrade_series::DailySeries;
use systrade_series::align::align_union;

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
        self.raw_forecast_shared(name, rule, cross, &mut SharedInputs::default())
    }

    /// [`Self::raw_forecast`] with what earlier rules of the instrument computed: each distinct
    /// list of data inputs is aligned once, and the `ewmac` family (`ewmac`, `accel`,
    /// `mr_wings`, `ewmac_calc_vol`) shares EWMAs of one input by span, forward-filled
    /// volatilities, and `ewmac_calc_vol`'s `robust_vol_calc` by input, `vol_days` and vol
    /// basis. The same operations on the same values as each rule alone, so the same results bit
    /// for bit.
    fn raw_forecast_shared(
        &self,
        name: &str,
        rule: &TradingRule,
        cross: &CrossSectionalInputs,
        shared: &mut SharedInputs,
    ) -> Result<DailySeries, ForecastError> {
        let a = shared.aligned(&rule.data, |d| self.input(d, cross, name))?;
        let values = match rule.function {
            RuleFunction::Ewmac { lfast, lslow } => shared.ewmac(a, lfast, lslow),
            RuleFunction::Accel { lfast } => {
                rules::accel_of(&shared.ewmac(a, lfast, 4 * lfast), lfast)
            }
            RuleFunction::MrWings { lfast } => {
                rules::mr_wings_of(shared.ewmac(a, lfast, 4 * lfast))
            }
            RuleFunction::EwmacCalcVol {
                lfast,
                lslow,
                vol_days,
                vol_of,
            } => shared.ewmac_calc_vol(a, lfast, lslow, vol_days, vol_of),
            _ => {
                let cols = &shared.inputs[a].columns;
                let x = &cols[0];
                let y = || &cols[1];
                match rule.function {
                    RuleFunction::Carry { smooth_days } => rules::carry(x, smooth_days),
                    RuleFunction::RelativeCarry => rules::relative_carry(x, y()),
                    RuleFunction::Breakout { lookback, smooth } => {
                        rules::breakout(x, lookback, Some(smooth))
                    }
                    RuleFunction::RelativeMomentum { horizon, ewma_span } => {
                        rules::relative_momentum(x, y(), horizon, ewma_span)
                    }
                    RuleFunction::CrossSectionalMeanReversion { horizon, ewma_span } => {
                        rules::cross_sectional_mean_reversion(x, y(), horizon, ewma_span)
                    }
                    RuleFunction::FactorTradingRule { smooth } => {
                        rules::factor_trading_rule(x, smooth)
                    }
                    RuleFunction::ConditionedFactorTradingRule { smooth } => {
                        rules::conditioned_factor_trading_rule(x, y(), smooth)
                    }
                    RuleFunction::Ewmac { .. }
                    | RuleFunction::Accel { .. }
                    | RuleFunction::MrWings { .. }
                    | RuleFunction::EwmacCalcVol { .. } => unreachable!("handled above"),
                }
            }
        };
        let dates = shared.inputs[a].dates.clone();
        Ok(zeros_to_nan(DailySeries::new(dates, values)))
    }

    /// The raw forecast of every weighted rule of `config`, in `forecast_weights` order, as the
    /// scaling stage sees it: rules in [`ForecastConfig::attenuated_rules`] multiplied by the
    /// instrument's vol attenuation ([`crate::attenuation`]; pysystemtrade's
    /// `volAttenForecastScaleCap.get_raw_forecast`), the others as the rule returns them. Rules
    /// share their aligned inputs, EWMAs and volatilities ([`Self::raw_forecast_shared`]).
    pub fn raw_forecasts(
        &self,
        config: &ForecastConfig,
        cross: &CrossSectionalInputs,
    ) -> Result<Vec<DailySeries>, ForecastError> {
        let mut shared = SharedInputs::default();
        // the EWMAs of the ewmac family, computed side by side per input list before the rules
        // ask for them one by one (an input that fails is reported by the rule below)
        let mut spans: Vec<(usize, Vec<usize>)> = Vec::new();
        for (name, _) in &config.forecast_weights {
            let Some(rule) = config.rules.get(name) else {
                continue;
            };
            let (fast, slow) = match rule.function {
                RuleFunction::Ewmac { lfast, lslow }
                | RuleFunction::EwmacCalcVol { lfast, lslow, .. } => (lfast, lslow),
                RuleFunction::Accel { lfast } | RuleFunction::MrWings { lfast } => {
                    (lfast, 4 * lfast)
                }
                _ => continue,
            };
            let Ok(a) = shared.aligned(&rule.data, |d| self.input(d, cross, name)) else {
                continue;
            };
            match spans.iter_mut().find(|(i, _)| *i == a) {
                Some((_, list)) => list.extend([fast, slow]),
                None => spans.push((a, vec![fast, slow])),
            }
        }
        for (a, list) in spans {
            shared.prepare_ewmas(a, &list);
        }
        let mut attenuation: Option<DailySeries> = None;
        config
            .forecast_weights
            .iter()
            .map(|(name, _)| {
                let rule = config
                    .rules
                    .get(name)
                    .ok_or_else(|| ForecastError::UnknownRule(name.clone()))?;
                let raw = self.raw_forecast_shared(name, rule, cross, &mut shared)?;
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

/// What the rules of one instrument share ([`ForecastInputs::raw_forecast_shared`]).
#[derive(Default)]
struct SharedInputs {
    /// Each distinct list of data inputs, aligned on the union of its dates.
    inputs: Vec<AlignedInputs>,
    /// `ewma_span(column 0, span)` by (input list, span).
    ewmas: Vec<((usize, usize), Vec<f64>)>,
    /// The forward-filled volatility `ewmac` divides by: column 1 of an input list, or an
    /// `ewmac_calc_vol` volatility.
    vols: Vec<(VolKey, Vec<f64>)>,
}

/// A rule's data inputs aligned on the union of their dates.
struct AlignedInputs {
    data: Vec<DataInput>,
    dates: Vec<chrono::NaiveDate>,
    columns: Vec<Vec<f64>>,
}

/// Which forward-filled volatility: column 1 of an input list, or `robust_vol_calc` of its
/// column 0 (level or differences) over `vol_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VolKey {
    Column(usize),
    Robust(usize, usize, VolOf),
}

impl SharedInputs {
    /// The index of `data` aligned ([`align_union`] of the series `input` gives for each).
    fn aligned(
        &mut self,
        data: &[DataInput],
        input: impl Fn(&DataInput) -> Result<DailySeries, ForecastError>,
    ) -> Result<usize, ForecastError> {
        if let Some(i) = self.inputs.iter().position(|a| a.data == data) {
            return Ok(i);
        }
        let series = data.iter().map(input).collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&DailySeries> = series.iter().collect();
        let (dates, columns) = align_union(&refs);
        self.inputs.push(AlignedInputs {
            data: data.to_vec(),
            dates,
            columns,
        });
        Ok(self.inputs.len() - 1)
    }

    /// `ewma_span(column 0 of input list a, span, 1)`, computed once.
    fn ewma(&mut self, a: usize, span: usize) -> usize {
        if let Some(i) = self.ewmas.iter().position(|(k, _)| *k == (a, span)) {
            return i;
        }
        let e = rules::ewmac_average(&self.inputs[a].columns[0], span);
        self.ewmas.push(((a, span), e));
        self.ewmas.len() - 1
    }

    /// Computes the EWMAs of `spans` on input list `a` that are not there yet, side by side
    /// ([`systrade_series::ewm_means`]: the same values as [`rules::ewmac_average`] one by one).
    fn prepare_ewmas(&mut self, a: usize, spans: &[usize]) {
        let mut missing: Vec<usize> = Vec::new();
        for &span in spans {
            if !missing.contains(&span) && !self.ewmas.iter().any(|(k, _)| *k == (a, span)) {
                missing.push(span);
            }
        }
        let params: Vec<(systrade_series::Ewm, usize)> = missing
            .iter()
            .map(|&span| (systrade_series::Ewm::span(span as f64), 1))
            .collect();
        let values = systrade_series::ewm_means(&self.inputs[a].columns[0], &params);
        self.ewmas
            .extend(missing.into_iter().map(|span| (a, span)).zip(values));
    }

    /// The forward-filled volatility `key` of input list `a`, computed once.
    fn vol(&mut self, a: usize, key: VolKey) -> usize {
        if let Some(i) = self.vols.iter().position(|(k, _)| *k == key) {
            return i;
        }
        let cols = &self.inputs[a].columns;
        // (an ewmac rule has two inputs, as for every rule reading `y`: TradingRule checks it)
        let vol = match key {
            VolKey::Column(_) => systrade_series::ffill(&cols[1]),
            VolKey::Robust(_, vol_days, vol_of) => {
                systrade_series::ffill(&rules::ewmac_own_vol(&cols[0], vol_days, vol_of))
            }
        };
        self.vols.push((key, vol));
        self.vols.len() - 1
    }

    /// [`rules::ewmac`] on input list `a` (price, volatility).
    fn ewmac(&mut self, a: usize, lfast: usize, lslow: usize) -> Vec<f64> {
        let (f, s, v) = (
            self.ewma(a, lfast),
            self.ewma(a, lslow),
            self.vol(a, VolKey::Column(a)),
        );
        rules::ewmac_of(&self.ewmas[f].1, &self.ewmas[s].1, &self.vols[v].1)
    }

    /// [`rules::ewmac_calc_vol`] on input list `a` (one price).
    fn ewmac_calc_vol(
        &mut self,
        a: usize,
        lfast: usize,
        lslow: usize,
        vol_days: usize,
        vol_of: VolOf,
    ) -> Vec<f64> {
        let (f, s, v) = (
            self.ewma(a, lfast),
            self.ewma(a, lslow),
            self.vol(a, VolKey::Robust(a, vol_days, vol_of)),
        );
        rules::ewmac_of(&self.ewmas[f].1, &self.ewmas[s].1, &self.vols[v].1)
    }
}

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
    fn rules_sharing_inputs_equal_each_rule_computed_alone() {
        let adjusted = prices(420);
        let d = ForecastInputs::compute(
            PriceInputs {
                adjusted: &adjusted,
                multiple: None,
            },
            &VolConfig::default(),
        );
        let cross = CrossSectionalInputs::default();
        let price_vol = vec![DataInput::DailyPrices, DataInput::DailyReturnsVolatility];
        let calc_vol = |lfast, vol_of| RuleFunction::EwmacCalcVol {
            lfast,
            lslow: 4 * lfast,
            vol_days: 35,
            vol_of,
        };
        // overlapping spans (8 is ewmac2_8's slow and ewmac8_32's fast average), one input
        // list shared by ewmac, accel and mr_wings, two vol bases of ewmac_calc_vol
        let rules = [
            (
                RuleFunction::Ewmac { lfast: 2, lslow: 8 },
                price_vol.clone(),
            ),
            (
                RuleFunction::Ewmac {
                    lfast: 8,
                    lslow: 32,
                },
                price_vol.clone(),
            ),
            (RuleFunction::Accel { lfast: 8 }, price_vol.clone()),
            (RuleFunction::MrWings { lfast: 2 }, price_vol.clone()),
            (
                calc_vol(2, VolOf::PriceLevel),
                vec![DataInput::NormalisedPrice],
            ),
            (
                calc_vol(8, VolOf::PriceLevel),
                vec![DataInput::NormalisedPrice],
            ),
            (
                calc_vol(4, VolOf::PriceDifferences),
                vec![DataInput::NormalisedPrice],
            ),
            (calc_vol(2, VolOf::PriceLevel), vec![DataInput::DailyPrices]),
        ];
        let mut shared = SharedInputs::default();
        for (function, data) in rules {
            let rule = TradingRule {
                function: function.clone(),
                data: data.clone(),
            };
            let got = d
                .raw_forecast_shared("r", &rule, &cross, &mut shared)
                .unwrap();
            // the rule function alone on its own inputs
            let inputs: Vec<DailySeries> = data
                .iter()
                .map(|i| d.input(i, &cross, "r").unwrap())
                .collect();
            let (x, y) = (&inputs[0].values, inputs.get(1).map(|s| &s.values));
            assert!(inputs.iter().all(|s| s.dates == inputs[0].dates));
            let alone = match function {
                RuleFunction::Ewmac { lfast, lslow } => rules::ewmac(x, y.unwrap(), lfast, lslow),
                RuleFunction::Accel { lfast } => rules::accel(x, y.unwrap(), lfast),
                RuleFunction::MrWings { lfast } => rules::mr_wings(x, y.unwrap(), lfast),
                RuleFunction::EwmacCalcVol {
                    lfast,
                    lslow,
                    vol_days,
                    vol_of,
                } => rules::ewmac_calc_vol(x, lfast, lslow, vol_days, vol_of),
                _ => unreachable!(),
            };
            let alone = zeros_to_nan(DailySeries::new(inputs[0].dates.clone(), alone));
            assert_eq!(got.dates, alone.dates, "{function:?}");
            assert!(
                got.values
                    .iter()
                    .zip(&alone.values)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{function:?}"
            );
            assert!(got.values.iter().any(|v| !v.is_nan()), "{function:?}");
        }
        assert_eq!(shared.inputs.len(), 3, "one alignment per input list");
        // price and vol: 2, 8, 32 (accel8 and mr_wings2 reuse ewmac8_32's and ewmac2_8's);
        // normalised price: 2, 8, 32, 4, 16; daily prices alone: 2, 8
        assert_eq!(
            shared.ewmas.len(),
            3 + 5 + 2,
            "one EWMA per input list and span"
        );
        assert_eq!(
            shared.vols.len(),
            1 + 2 + 1,
            "one volatility per input list and basis"
        );
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
