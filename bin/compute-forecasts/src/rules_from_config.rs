//! Maps the system config ([`systrade_config::SystemConfig`]) onto the forecast library's types
//! ([`systrade_forecast`]): trading rules (spec §3.3), the volatility calculation (§3.2) and the
//! per-instrument forecast configuration (scalars §3.4, weights / FDM / cap §3.5).
//!
//! Every error names the config file and the key path (`trading_rules.ewmac8.other_args.Lfast`), so
//! the tool can fail the whole run with a message the user can act on.

use std::collections::BTreeMap;
use systrade_config::{SystemConfig, VolFunction, VolatilityCalculation};
use systrade_forecast::rawdata::VolReturns;
use systrade_forecast::spec::{ArgValue, DataInput, RuleError};
use systrade_forecast::{ForecastConfig, TradingRule, VolConfig, VolEstimator};
use systrade_model::InstrumentCode;

/// A config problem: the file, the key path and what is wrong. Fails the whole run (exit 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub source_name: String,
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.source_name, self.key, self.message)
    }
}

impl std::error::Error for ConfigProblem {}

fn problem(
    cfg: &SystemConfig,
    key: impl Into<String>,
    message: impl Into<String>,
) -> ConfigProblem {
    ConfigProblem {
        source_name: cfg.source_name.clone(),
        key: key.into(),
        message: message.into(),
    }
}

/// `volatility_calculation` as the forecast library's [`VolConfig`].
///
/// # Errors
/// A `name_returns_attr_in_rawdata` other than `daily_returns` / `get_daily_percentage_returns`.
pub fn vol_config(cfg: &SystemConfig) -> Result<VolConfig, ConfigProblem> {
    let v: &VolatilityCalculation = &cfg.volatility_calculation;
    let estimator = match v.func {
        VolFunction::MixedVolCalc => VolEstimator::Mixed {
            days: v.days,
            min_periods: v.min_periods,
            slow_vol_years: v.slow_vol_years,
            proportion_of_slow_vol: v.proportion_of_slow_vol,
            vol_abs_min: v.vol_abs_min,
            backfill: v.backfill,
        },
        VolFunction::RobustVolCalc => VolEstimator::Robust {
            days: v.days,
            min_periods: v.min_periods,
            vol_abs_min: v.vol_abs_min,
            vol_floor: v.vol_floor,
            floor_min_quant: v.floor_min_quant,
            floor_min_periods: v.floor_min_periods,
            floor_days: v.floor_days,
            backfill: v.backfill,
        },
        VolFunction::SimpleVolCalc => VolEstimator::Simple {
            days: v.days,
            min_periods: v.min_periods,
            vol_abs_min: v.vol_abs_min,
            backfill: v.backfill,
        },
    };
    let returns = match v.name_returns_attr_in_rawdata.as_str() {
        "daily_returns" => VolReturns::DailyReturns,
        "get_daily_percentage_returns" | "daily_percentage_returns" => {
            VolReturns::DailyPercentageReturns
        }
        other => {
            return Err(problem(
                cfg,
                "volatility_calculation.name_returns_attr_in_rawdata",
                format!(
                    "unknown returns '{other}' (supported: daily_returns, get_daily_percentage_returns)"
                ),
            ));
        }
    };
    Ok(VolConfig {
        estimator,
        returns,
        multiplier: v.multiplier_to_get_daily_vol,
    })
}

fn arg_value(v: &systrade_config::ArgValue) -> ArgValue {
    match v {
        systrade_config::ArgValue::Int(i) => ArgValue::Number(*i as f64),
        systrade_config::ArgValue::Float(x) => ArgValue::Number(*x),
        systrade_config::ArgValue::Bool(b) => ArgValue::Bool(*b),
        systrade_config::ArgValue::Str(s) => ArgValue::Text(s.clone()),
    }
}

/// One `trading_rules` entry as a forecast-library [`TradingRule`]: the function the config resolved
/// (by its pysystemtrade short name, so `carry2` is `carry`), its `data` strings and `other_args`.
///
/// # Errors
/// Unknown function (e.g. the legacy `short_bias`), unknown data input, bad or unknown argument;
/// the key names the rule and, for arguments, the argument.
pub fn trading_rule(
    cfg: &SystemConfig,
    rule: &systrade_config::TradingRule,
) -> Result<TradingRule, ConfigProblem> {
    let data: Vec<String> = rule.data.iter().map(ToString::to_string).collect();
    let args: BTreeMap<String, ArgValue> = rule
        .other_args
        .iter()
        .map(|(k, v)| (k.clone(), arg_value(v)))
        .collect();
    let base = format!("trading_rules.{}", rule.name);
    TradingRule::from_pysystemtrade(rule.rule.name(), &data, &args).map_err(|e| {
        let key = match &e {
            RuleError::UnknownFunction(_) => format!("{base}.function"),
            RuleError::UnknownData(_) | RuleError::WrongDataCount { .. } => format!("{base}.data"),
            RuleError::UnknownArgument { arg, .. } | RuleError::BadArgument { arg, .. } => {
                format!("{base}.other_args.{arg}")
            }
        };
        let message = match e {
            RuleError::UnknownFunction(_) => format!(
                "rule function '{}' is not implemented by systrade (function: {})",
                rule.rule.name(),
                rule.function
            ),
            other => other.to_string(),
        };
        problem(cfg, key, message)
    })
}

/// Every rule of `trading_rules`, converted.
///
/// # Errors
/// The first rule that cannot be converted.
pub fn trading_rules(cfg: &SystemConfig) -> Result<BTreeMap<String, TradingRule>, ConfigProblem> {
    cfg.trading_rules
        .iter()
        .map(|(name, r)| Ok((name.clone(), trading_rule(cfg, r)?)))
        .collect()
}

/// The forecast configuration of one instrument: its rules (keys of its forecast weights), fixed
/// scalars (lookup order of spec §3.4), fixed FDM, cap/floor, weight smoothing span, volatility.
///
/// # Errors
/// Per-instrument weights or FDM without this instrument, weights naming an undefined rule, a
/// non-linear `forecast_mapping` for the instrument (not supported yet).
pub fn forecast_config(
    cfg: &SystemConfig,
    rules: &BTreeMap<String, TradingRule>,
    vol: VolConfig,
    instrument: &InstrumentCode,
) -> Result<ForecastConfig, ConfigProblem> {
    let from_config = |e: systrade_config::ConfigError| ConfigProblem {
        source_name: e.source_name.clone(),
        key: e.key.clone().unwrap_or_default(),
        message: e.message,
    };
    let weights = cfg.forecast_weights_for(instrument).map_err(from_config)?;
    for rule in weights.weights.keys() {
        if !rules.contains_key(rule) {
            return Err(problem(
                cfg,
                format!("forecast_weights.{rule}"),
                format!("weight for rule '{rule}', which trading_rules does not define"),
            ));
        }
    }
    if cfg.forecast_mapping.contains_key(instrument) {
        return Err(problem(
            cfg,
            format!("forecast_mapping.{instrument}"),
            "non-linear forecast mapping is not supported yet; remove it to cap the combined forecast",
        ));
    }
    let fdm = cfg
        .forecast_div_multiplier_for(instrument)
        .map_err(from_config)?;
    let used: BTreeMap<String, TradingRule> = weights
        .weights
        .keys()
        .map(|k| (k.clone(), rules[k].clone()))
        .collect();
    Ok(ForecastConfig {
        scalars: used
            .keys()
            .map(|k| (k.clone(), cfg.fixed_forecast_scalar(k)))
            .collect(),
        rules: used,
        forecast_weights: weights.weights.into_iter().collect(),
        fdm,
        forecast_cap: cfg.forecast_cap,
        forecast_floor: cfg.forecast_floor,
        weight_ewma_span: cfg.forecast_weight_ewma_span as f64,
        vol,
    })
}

/// What cross-sectional inputs (computed from all instruments) a set of rules needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CrossSectionalNeeds {
    pub normalised_price_for_asset_class: bool,
    pub median_carry_for_asset_class: bool,
    /// Distinct factor specifications of `get_demeanded_factor_value` inputs.
    pub factors: Vec<systrade_forecast::spec::FactorSpec>,
}

impl CrossSectionalNeeds {
    /// The needs of all rules used by any instrument.
    pub fn of<'a>(rules: impl IntoIterator<Item = &'a TradingRule>) -> Self {
        let mut n = Self::default();
        for r in rules {
            for d in &r.data {
                match d {
                    DataInput::NormalisedPriceForAssetClass => {
                        n.normalised_price_for_asset_class = true;
                    }
                    DataInput::MedianCarryForAssetClass => n.median_carry_for_asset_class = true,
                    DataInput::DemeanedFactorValue(f) if !n.factors.contains(f) => {
                        n.factors.push(f.clone());
                    }
                    _ => {}
                }
            }
        }
        n
    }

    /// True when asset classes (from `config/instruments.csv`) are needed.
    pub fn needs_asset_classes(&self) -> bool {
        self.normalised_price_for_asset_class
            || self.median_carry_for_asset_class
            || self
                .factors
                .iter()
                .any(|f| f.demean_method != ALL_ASSETS_DEMEAN)
    }
}

/// `_demean_method` averaging over all instruments.
pub const ALL_ASSETS_DEMEAN: &str = "historic_average_factor_value_all_assets";
/// `_demean_method` averaging over the instrument's asset class.
pub const ASSET_CLASS_DEMEAN: &str = "average_factor_value_in_asset_class_for_instrument";

/// Checks the factor specifications the tool can compute (`neg_skew` / `skew`; the two demean
/// methods).
///
/// # Errors
/// Names the first rule with an unsupported factor or demean method.
pub fn check_factors(
    cfg: &SystemConfig,
    rules: &BTreeMap<String, TradingRule>,
) -> Result<(), ConfigProblem> {
    for (name, r) in rules {
        for d in &r.data {
            if let DataInput::DemeanedFactorValue(f) = d {
                if !matches!(f.factor_name.as_str(), "neg_skew" | "skew") {
                    return Err(problem(
                        cfg,
                        format!("trading_rules.{name}.other_args._factor_name"),
                        format!(
                            "unknown factor '{}' (supported: neg_skew, skew)",
                            f.factor_name
                        ),
                    ));
                }
                if f.demean_method != ALL_ASSETS_DEMEAN && f.demean_method != ASSET_CLASS_DEMEAN {
                    return Err(problem(
                        cfg,
                        format!("trading_rules.{name}.other_args._demean_method"),
                        format!(
                            "unknown demean method '{}' (supported: {ALL_ASSETS_DEMEAN}, {ASSET_CLASS_DEMEAN})",
                            f.demean_method
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> SystemConfig {
        SystemConfig::from_yaml_str(yaml, "test.yaml").unwrap().0
    }

    #[test]
    fn maps_rules_and_names_bad_arguments() {
        let cfg = config(
            "trading_rules:\n  ewmac8:\n    function: systems.provided.rules.ewmac.ewmac\n    data: [rawdata.get_daily_prices, rawdata.daily_returns_volatility]\n    other_args: {Lfast: 8, Lslow: 32}\n  carry:\n    function: systems.provided.futures_chapter15.rules.carry2\n    data: [rawdata.raw_carry]\n    other_args: {smooth_days: 90}\n",
        );
        let rules = trading_rules(&cfg).unwrap();
        assert_eq!(
            rules["ewmac8"].function,
            systrade_forecast::RuleFunction::Ewmac {
                lfast: 8,
                lslow: 32
            }
        );
        assert_eq!(
            rules["carry"].function,
            systrade_forecast::RuleFunction::Carry { smooth_days: 90.0 }
        );
        let cfg = config(
            "trading_rules:\n  bad:\n    function: ewmac\n    data: [rawdata.get_daily_prices, rawdata.daily_returns_volatility]\n    other_args: {Lfast: -8, Lslow: 32}\n",
        );
        let e = trading_rules(&cfg).unwrap_err();
        assert_eq!(e.key, "trading_rules.bad.other_args.Lfast");
        assert!(e.to_string().starts_with("test.yaml: "), "{e}");
    }

    #[test]
    fn forecast_config_per_instrument() {
        let cfg = config(
            "trading_rules:\n  a:\n    function: breakout\n    other_args: {lookback: 20}\n    forecast_scalar: 0.7\n  b:\n    function: breakout\n    other_args: {lookback: 40}\nforecast_scalars: {b: 0.5}\nforecast_weights: {a: 0.25, b: 0.75}\nforecast_div_multiplier: {CORN: 1.2}\nforecast_cap: 15\n",
        );
        let rules = trading_rules(&cfg).unwrap();
        let vol = vol_config(&cfg).unwrap();
        let corn = InstrumentCode::new("CORN").unwrap();
        let f = forecast_config(&cfg, &rules, vol, &corn).unwrap();
        assert_eq!(
            f.forecast_weights,
            vec![("a".to_string(), 0.25), ("b".to_string(), 0.75)]
        );
        assert_eq!(f.scalars["a"], 0.7);
        assert_eq!(f.scalars["b"], 0.5);
        assert_eq!(f.fdm, 1.2);
        assert_eq!(f.forecast_cap, 15.0);
        let us10 = InstrumentCode::new("US10").unwrap();
        let e = forecast_config(&cfg, &rules, vol, &us10).unwrap_err();
        assert_eq!(e.key, "forecast_div_multiplier");
        assert!(e.message.contains("US10"), "{e}");
    }
}
