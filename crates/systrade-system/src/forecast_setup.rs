//! Maps the system config ([`systrade_config::SystemConfig`]) onto the forecast library's types
//! ([`systrade_forecast`]): trading rules (spec §3.3), the volatility calculation (§3.2), the
//! per-instrument forecast configuration (scalars §3.4, weights / FDM / cap §3.5) and how scalars
//! are obtained — [`ForecastSetup`], what `compute-forecasts`, `size-positions` and `backtest`
//! hand to [`systrade_forecast::pipeline`].
//!
//! The mapping lives here rather than in `systrade-forecast` so that the forecast library depends
//! on no config reader (docs/adr/0004-forecast-pipeline.md). Every error names the
//! config file and the key path (`trading_rules.ewmac8.other_args.Lfast`), so a tool can fail the
//! whole run with a message the user can act on.

use std::collections::BTreeMap;
use systrade_accounts::estimation::ForecastCostEstimates;
use systrade_config::{SystemConfig, VolFunction, VolatilityCalculation};
use systrade_forecast::rawdata::VolReturns;
use systrade_forecast::scaling::ScalarEstimate;
use systrade_forecast::spec::{ArgValue, DataInput, RuleError};
use systrade_forecast::{
    CostCeiling, CrossSectionalNeeds, ForecastConfig, ForecastJob, ScalarMethod, TradingCosts,
    TradingRule, VolConfig, VolEstimator,
};
use systrade_model::{Instrument, InstrumentCode};

/// A config problem: the file, the key path and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {key}: {message}")]
pub struct ConfigProblem {
    pub source_name: String,
    pub key: String,
    pub message: String,
}

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
/// scalars (lookup order of spec §3.4), fixed FDM, cap/floor or `forecast_mapping`, weight
/// smoothing span, volatility.
///
/// # Errors
/// Per-instrument weights or FDM without this instrument, weights naming an undefined rule.
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
    let fdm = cfg
        .forecast_div_multiplier_for(instrument)
        .map_err(from_config)?;
    let mut config = rules_config(cfg, rules, vol, weights.weights.into_iter().collect(), fdm);
    // pysystemtrade's ForecastCombine._get_forecast_mapping_function: the instrument's mapping
    // replaces the cap of the combined forecast.
    config.forecast_mapping =
        cfg.forecast_mapping
            .get(instrument)
            .map(|m| systrade_forecast::ForecastMapping {
                threshold: m.threshold,
                a_param: m.a_param,
                b_param: m.b_param,
            });
    Ok(config)
}

/// The forecast configuration of the rules named by `weights` (in that order): their definitions,
/// fixed scalars and attenuation, with the FDM and the system's cap, floor and smoothing span.
fn rules_config(
    cfg: &SystemConfig,
    rules: &BTreeMap<String, TradingRule>,
    vol: VolConfig,
    weights: Vec<(String, f64)>,
    fdm: f64,
) -> ForecastConfig {
    let used: BTreeMap<String, TradingRule> = weights
        .iter()
        .filter_map(|(k, _)| Some((k.clone(), rules.get(k)?.clone())))
        .collect();
    let attenuated_rules = cfg
        .use_attenuation
        .iter()
        .filter(|r| used.contains_key(*r))
        .cloned()
        .collect();
    ForecastConfig {
        scalars: used
            .keys()
            .map(|k| (k.clone(), cfg.fixed_forecast_scalar(k)))
            .collect(),
        rules: used,
        forecast_weights: weights,
        fdm,
        forecast_cap: cfg.forecast_cap,
        forecast_floor: cfg.forecast_floor,
        forecast_mapping: None,
        weight_ewma_span: cfg.forecast_weight_ewma_span as f64,
        vol,
        attenuated_rules,
        cost_ceiling: cfg.cost_ceiling().map(|ceiling| CostCeiling {
            ceiling,
            average_absolute_forecast: cfg.average_absolute_forecast,
            estimates: ForecastCostEstimates {
                use_pooled_costs: cfg.forecast_cost_estimates.use_pooled_costs,
                use_pooled_turnover: cfg.forecast_cost_estimates.use_pooled_turnover,
            },
        }),
    }
}

/// Checks that every factor specification is one the forecast library computes
/// ([`systrade_forecast::FactorSpec::check`]).
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
                f.check().map_err(|e| {
                    let arg = match e {
                        systrade_forecast::spec::FactorError::UnknownFactor(_) => "_factor_name",
                        systrade_forecast::spec::FactorError::UnknownDemeanMethod(_) => {
                            "_demean_method"
                        }
                    };
                    problem(
                        cfg,
                        format!("trading_rules.{name}.other_args.{arg}"),
                        e.to_string(),
                    )
                })?;
            }
        }
    }
    Ok(())
}

/// The forecast side of the config for a set of instruments: every instrument's forecast
/// configuration, how scalars are obtained, the volatility calculation and the asset classes
/// (when a rule needs them).
#[derive(Debug, Clone)]
pub struct ForecastSetup {
    pub configs: BTreeMap<InstrumentCode, ForecastConfig>,
    pub scalars: ScalarMethod,
    pub vol: VolConfig,
    /// Distinct trading rules of the config (`trading_rules`).
    pub rule_count: usize,
    /// What the instruments' rules need from other instruments.
    pub needs: CrossSectionalNeeds,
    /// Asset classes, when a rule needs them ([`Self::set_asset_classes`]).
    pub asset_classes: BTreeMap<InstrumentCode, String>,
    /// Instruments the config gives no forecast weights or FDM for while giving them per
    /// instrument, with the reason. As in pysystemtrade (its `ForecastScaleCap` computes every
    /// rule of `trading_rules` for any instrument; its `ForecastCombine` raises for these), their
    /// [`Self::configs`] entry lists every rule of `trading_rules` (sorted by name, weights 0):
    /// every capped forecast is computed, and no combined forecast ([`Self::job`]).
    pub unconfigured: BTreeMap<InstrumentCode, String>,
    /// `start_date`: prices before it are not read ([`crate::load_instruments`],
    /// [`crate::class_peers`]; pysystemtrade's `simData.start_date_for_data`).
    pub start_date: Option<chrono::NaiveDate>,
    /// Trading costs per instrument, when `forecast_post_ceiling_cost_SR` needs them
    /// ([`Self::set_trading_costs`]).
    pub trading_costs: BTreeMap<InstrumentCode, TradingCosts>,
}

impl ForecastSetup {
    /// Builds every instrument's forecast config from the system config. Logs a warning when the
    /// config has no `forecast_weights`, and one naming the instruments of `codes` that
    /// per-instrument forecast weights or FDM leave out (recorded in [`Self::unconfigured`]: every
    /// rule's capped forecast, no combined forecast). Asset classes are empty: when [`Self::needs`] says so, give them with
    /// [`Self::set_asset_classes`].
    ///
    /// # Errors
    /// Config problems (unknown rule arguments, unsupported factors, weights naming undefined
    /// rules).
    pub fn new(cfg: &SystemConfig, codes: &[InstrumentCode]) -> Result<Self, ConfigProblem> {
        let rules = trading_rules(cfg)?;
        check_factors(cfg, &rules)?;
        let vol = vol_config(cfg)?;
        let mut configs = BTreeMap::new();
        let mut unconfigured = BTreeMap::new();
        for code in codes {
            let missing = [
                (!cfg.use_forecast_weight_estimates)
                    .then(|| cfg.forecast_weights_for(code).err())
                    .flatten(),
                (!cfg.use_forecast_div_mult_estimates)
                    .then(|| cfg.forecast_div_multiplier_for(code).err())
                    .flatten(),
            ]
            .into_iter()
            .flatten()
            .find(|e| e.kind == systrade_config::ConfigErrorKind::MissingInstrument);
            if let Some(e) = missing {
                unconfigured.insert(code.clone(), e.to_string());
                let every_rule = rules.keys().map(|k| (k.clone(), 0.0)).collect();
                configs.insert(
                    code.clone(),
                    rules_config(cfg, &rules, vol, every_rule, 1.0),
                );
                continue;
            }
            if cfg.use_forecast_weight_estimates {
                // pysystemtrade's get_trading_rule_list_for_estimated_weights: rule_variations
                // (the instrument's list, else the flat list) or every rule, sorted; the weights
                // here only choose the rules (they are estimated)
                let mut names: Vec<String> = match &cfg.rule_variations {
                    Some(systrade_config::RuleVariations::Shared(v)) => v.clone(),
                    Some(systrade_config::RuleVariations::PerInstrument(m)) => match m.get(code) {
                        Some(v) => v.clone(),
                        None => {
                            return Err(problem(
                                cfg,
                                "rule_variations",
                                format!(
                                    "no rule list for {code} (rule_variations is given per instrument)"
                                ),
                            ));
                        }
                    },
                    None => rules.keys().cloned().collect(),
                };
                names.sort();
                names.dedup();
                let n = names.len().max(1) as f64;
                let weights = names.into_iter().map(|r| (r, 1.0 / n)).collect();
                let fdm = if cfg.use_forecast_div_mult_estimates {
                    1.0
                } else {
                    cfg.forecast_div_multiplier_for(code)
                        .map_err(|e| ConfigProblem {
                            source_name: e.source_name.clone(),
                            key: e.key.clone().unwrap_or_default(),
                            message: e.message,
                        })?
                };
                let mut config = rules_config(cfg, &rules, vol, weights, fdm);
                config.forecast_mapping =
                    cfg.forecast_mapping
                        .get(code)
                        .map(|m| systrade_forecast::ForecastMapping {
                            threshold: m.threshold,
                            a_param: m.a_param,
                            b_param: m.b_param,
                        });
                configs.insert(code.clone(), config);
                continue;
            }
            configs.insert(code.clone(), forecast_config(cfg, &rules, vol, code)?);
        }
        if !unconfigured.is_empty() {
            let names: Vec<&str> = unconfigured.keys().map(InstrumentCode::as_str).collect();
            tracing::warn!(
                "{}: forecast weights or forecast_div_multiplier are given per instrument but not for {}; these instruments get the capped forecast of every rule and no combined forecast (as in pysystemtrade, which cannot combine them either)",
                cfg.source_name,
                names.join(", ")
            );
        }
        if cfg.forecast_weights.is_none() && !cfg.use_forecast_weight_estimates {
            tracing::warn!(
                "{}: no forecast_weights; using equal weights over all {} trading rules",
                cfg.source_name,
                rules.len()
            );
        }
        let needs = CrossSectionalNeeds::of(configs.values().flat_map(|c| c.rules.values()));
        let scalars = if cfg.use_forecast_scale_estimates {
            let e = &cfg.forecast_scalar_estimate;
            ScalarMethod::Estimated {
                estimate: ScalarEstimate {
                    window: e.window,
                    min_periods: e.min_periods,
                    backfill: e.backfill,
                    target_abs_forecast: cfg.average_absolute_forecast,
                },
                pool: e.pool_instruments,
            }
        } else {
            ScalarMethod::Fixed
        };
        Ok(Self {
            configs,
            scalars,
            vol,
            rule_count: rules.len(),
            needs,
            asset_classes: BTreeMap::new(),
            unconfigured,
            start_date: cfg.start_date,
            trading_costs: BTreeMap::new(),
        })
    }

    /// The asset classes of `instruments` (from `config/instruments.csv`), for the rules that
    /// need them; ignored when no rule does.
    pub fn set_asset_classes<'a>(&mut self, instruments: impl IntoIterator<Item = &'a Instrument>) {
        if self.needs.needs_asset_classes() {
            self.asset_classes = instruments
                .into_iter()
                .map(|i| (i.code.clone(), i.asset_class.clone()))
                .collect();
        }
    }

    /// Whether a cost ceiling (`forecast_post_ceiling_cost_SR` below 999) needs the instruments'
    /// trading costs ([`Self::set_trading_costs`]).
    pub fn needs_trading_costs(&self) -> bool {
        self.configs.values().any(|c| c.cost_ceiling.is_some())
    }

    /// The trading costs of the instruments of `statics` (cash costs, point size, rolls a year),
    /// for the rules' SR costs; ignored when no cost ceiling needs them. An instrument missing
    /// from `config/instruments.csv` gets none (it then fails by name in the pipeline).
    pub fn set_trading_costs(&mut self, statics: &crate::StaticData) {
        if !self.needs_trading_costs() {
            return;
        }
        self.trading_costs = statics
            .instruments
            .iter()
            .filter_map(|(code, i)| {
                Some((
                    code.clone(),
                    TradingCosts {
                        costs: statics.costs(code)?,
                        value_of_block_price_move: i.pointsize,
                        rolls_per_year: statics.rolls.get(code).map_or(0, |r| r.rolls_per_year()),
                    },
                ))
            })
            .collect();
    }

    /// [`Self::set_asset_classes`] and [`Self::set_trading_costs`] from the static data.
    pub fn set_static_data(&mut self, statics: &crate::StaticData) {
        self.set_asset_classes(statics.instruments.values());
        self.set_trading_costs(statics);
    }

    /// Whether an instrument's rules need multiple prices (carry).
    pub fn needs_carry(&self, code: &InstrumentCode) -> bool {
        self.configs.get(code).is_some_and(|c| {
            c.rules.values().any(|r| {
                r.data.iter().any(|d| {
                    matches!(
                        d,
                        DataInput::RawCarry
                            | DataInput::SmoothedCarry { .. }
                            | DataInput::MedianCarryForAssetClass
                    )
                })
            })
        })
    }

    /// The pipeline job of one instrument of [`Self::configs`]; for one of [`Self::unconfigured`]
    /// it says why it has no combined forecast ([`ForecastJob::no_combined`]).
    pub fn job(&self, code: &InstrumentCode) -> Option<ForecastJob> {
        let config = self.configs.get(code)?;
        Some(ForecastJob {
            code: code.clone(),
            asset_class: self.asset_classes.get(code).cloned(),
            config: config.clone(),
            no_combined: self.unconfigured.get(code).cloned(),
            costs: self.trading_costs.get(code).copied(),
        })
    }
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
        assert_eq!(f.forecast_mapping, None);
        let us10 = InstrumentCode::new("US10").unwrap();
        let e = forecast_config(&cfg, &rules, vol, &us10).unwrap_err();
        assert_eq!(e.key, "forecast_div_multiplier");
        assert!(e.message.contains("US10"), "{e}");
    }

    #[test]
    fn forecast_mapping_replaces_the_combined_cap() {
        let cfg = config(
            "trading_rules:\n  a:\n    function: breakout\n    other_args: {lookback: 20}\nforecast_mapping:\n  CORN: {threshold: 1.5, a_param: 1.25, b_param: 1.33}\nforecast_floor: -5\n",
        );
        let rules = trading_rules(&cfg).unwrap();
        let vol = vol_config(&cfg).unwrap();
        let code = |c: &str| InstrumentCode::new(c).unwrap();
        let corn = forecast_config(&cfg, &rules, vol, &code("CORN")).unwrap();
        assert_eq!(
            corn.combined_limit(),
            systrade_forecast::CombinedLimit::Mapping {
                threshold: 1.5,
                a_param: 1.25,
                b_param: 1.33,
                cap: 20.0
            }
        );
        let us10 = forecast_config(&cfg, &rules, vol, &code("US10")).unwrap();
        assert_eq!(
            us10.combined_limit(),
            systrade_forecast::CombinedLimit::Cap {
                floor: -5.0,
                cap: 20.0
            }
        );
    }

    #[test]
    fn setup_leaves_out_instruments_without_per_instrument_values() {
        let cfg = config(
            "trading_rules:\n  a:\n    function: breakout\n    other_args: {lookback: 20}\n  b:\n    function: breakout\n    other_args: {lookback: 40}\nforecast_weights: {CORN: {a: 0.5, b: 0.5}, US10: {a: 1.0}}\nforecast_div_multiplier: {CORN: 1.2}\nuse_attenuation: [a, c]\n",
        );
        let code = |c: &str| InstrumentCode::new(c).unwrap();
        let setup = ForecastSetup::new(&cfg, &[code("CORN"), code("US10"), code("GOLD")]).unwrap();
        assert_eq!(
            setup.configs.keys().collect::<Vec<_>>(),
            vec![&code("CORN"), &code("GOLD"), &code("US10")]
        );
        let why = &setup.unconfigured;
        assert!(
            why[&code("US10")].contains("forecast_div_multiplier"),
            "{why:?}"
        );
        assert!(why[&code("GOLD")].contains("forecast_weights"), "{why:?}");
        let gold = setup.job(&code("GOLD")).unwrap();
        assert!(gold.no_combined.unwrap().contains("forecast_weights"));
        // every rule, sorted, for the capped forecasts
        assert_eq!(
            gold.config.forecast_weights,
            vec![("a".to_string(), 0.0), ("b".to_string(), 0.0)]
        );
        assert_eq!(gold.config.attenuated_rules.len(), 1);
        assert!(setup.job(&code("CORN")).unwrap().no_combined.is_none());
        assert!(
            setup.job(&code("SP500")).is_none(),
            "not an instrument of the setup"
        );
        // use_attenuation keeps the instrument's weighted rules it names
        let corn = &setup.configs[&code("CORN")];
        assert_eq!(corn.attenuated_rules.iter().collect::<Vec<_>>(), vec!["a"]);
    }
}
