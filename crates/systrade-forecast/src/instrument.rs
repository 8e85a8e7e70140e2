//! All forecast series of one instrument: raw data → raw forecasts per rule → scaled and capped →
//! combined (spec §3.2–3.5). Cross-sectional inputs (asset-class normalised price, median carry,
//! pooled scalars, demeaned factors) are computed by the caller from all instruments and passed in.

use crate::align::align_union;
use crate::carry::{CarryInputs, carry_inputs, raw_carry, smoothed_carry};
use crate::combine::{Combination, DEFAULT_WEIGHT_EWMA_SPAN, combine_forecasts};
use crate::rawdata::{RawData, VolConfig};
use crate::rules;
use crate::scaling::{DEFAULT_FORECAST_CAP, cap_forecast, scalar_for_forecast, scale};
use crate::spec::{DataInput, FactorSpec, RuleFunction, TradingRule};
use std::collections::BTreeMap;
use systrade_model::{AdjustedPrices, MultiplePrices};
use systrade_series::DailySeries;

/// One instrument's price inputs.
#[derive(Debug, Clone, Copy)]
pub struct InstrumentInputs<'a> {
    pub adjusted: &'a AdjustedPrices,
    /// Multiple prices (needed for carry and the percentage-vol denominator).
    pub multiple: Option<&'a MultiplePrices>,
}

/// Inputs that depend on other instruments, computed by the caller.
#[derive(Debug, Clone, Default)]
pub struct CrossSectionalInputs {
    /// `normalised_price_for_asset_class` for this instrument
    /// ([`crate::rawdata::normalised_price_for_asset_class`]).
    pub normalised_price_for_asset_class: Option<DailySeries>,
    /// `median_carry_for_asset_class` ([`crate::carry::median_carry_for_asset_class`]).
    pub median_carry_for_asset_class: Option<DailySeries>,
    /// `get_demeanded_factor_value` per factor specification.
    pub demeaned_factors: Vec<(FactorSpec, DailySeries)>,
}

/// Why a forecast cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForecastError {
    #[error("rule '{rule}' needs {input}, which is not available for this instrument")]
    MissingData { rule: String, input: String },
    #[error("forecast weights name rule '{0}', which is not defined")]
    UnknownRule(String),
}

/// Raw-data stage output of one instrument, plus carry when multiple prices are given.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentData {
    pub raw: RawData,
    pub carry: Option<CarryInputs>,
    /// `raw_carry` (on the union of the daily annualised roll and vol indices).
    pub raw_carry: Option<DailySeries>,
}

impl InstrumentData {
    pub fn compute(inputs: InstrumentInputs<'_>, vol: &VolConfig) -> Self {
        let raw = RawData::compute(inputs.adjusted, inputs.multiple, vol);
        let carry = inputs.multiple.map(carry_inputs);
        let raw_carry = carry
            .as_ref()
            .map(|c| raw_carry(&c.daily_annualised_roll(), &raw.daily_returns_volatility));
        Self {
            raw,
            carry,
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
    /// their dates.
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
        Ok(DailySeries::new(dates, values))
    }
}

/// A forecast scalar: fixed, or an estimated series (reindexed with forward fill to the forecast).
#[derive(Debug, Clone, PartialEq)]
pub enum ForecastScalar {
    Fixed(f64),
    Estimated(DailySeries),
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

/// Everything `compute-forecasts` needs from the system config for one instrument.
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
    /// `forecast_weight_ewma_span`.
    pub weight_ewma_span: f64,
    /// `volatility_calculation`.
    pub vol: VolConfig,
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
            weight_ewma_span: DEFAULT_WEIGHT_EWMA_SPAN,
            vol: VolConfig::default(),
        }
    }
}

/// All forecast series of one instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentForecasts {
    pub data: InstrumentData,
    /// One per weighted rule, in `forecast_weights` order.
    pub rules: Vec<RuleForecast>,
    pub combination: Combination,
}

impl InstrumentForecasts {
    /// Computes everything with fixed scalars from `config.scalars`.
    pub fn compute(
        inputs: InstrumentInputs<'_>,
        cross: &CrossSectionalInputs,
        config: &ForecastConfig,
    ) -> Result<Self, ForecastError> {
        let data = InstrumentData::compute(inputs, &config.vol);
        let scalars = config
            .forecast_weights
            .iter()
            .map(|(name, _)| {
                ForecastScalar::Fixed(config.scalars.get(name).copied().unwrap_or(1.0))
            })
            .collect::<Vec<_>>();
        Self::with_scalars(data, cross, config, &scalars)
    }

    /// Computes the forecasts from already computed raw data with one scalar per weighted rule
    /// (in `forecast_weights` order) — the entry point when scalars are estimated across
    /// instruments.
    pub fn with_scalars(
        data: InstrumentData,
        cross: &CrossSectionalInputs,
        config: &ForecastConfig,
        scalars: &[ForecastScalar],
    ) -> Result<Self, ForecastError> {
        assert_eq!(
            scalars.len(),
            config.forecast_weights.len(),
            "one scalar per weighted rule"
        );
        let mut rules = Vec::with_capacity(scalars.len());
        for ((name, _), scalar) in config.forecast_weights.iter().zip(scalars) {
            let rule = config
                .rules
                .get(name)
                .ok_or_else(|| ForecastError::UnknownRule(name.clone()))?;
            let raw = data.raw_forecast(name, rule, cross)?;
            rules.push(RuleForecast::new(
                name,
                raw,
                scalar,
                config.forecast_cap,
                config.forecast_floor,
            ));
        }
        let capped: Vec<&DailySeries> = rules.iter().map(|r| &r.capped).collect();
        let weights: Vec<f64> = config.forecast_weights.iter().map(|(_, w)| *w).collect();
        let combination = combine_forecasts(
            &capped,
            &weights,
            config.fdm,
            config.forecast_cap,
            config.weight_ewma_span,
        );
        Ok(Self {
            data,
            rules,
            combination,
        })
    }
}
