//! Trading rule specifications: which function, with which parameters, on which data — the
//! counterpart of a pysystemtrade `trading_rules` entry (`function`, `data`, `other_args`; spec
//! §3.3). A config layer maps YAML onto [`TradingRule::from_pysystemtrade`].

use crate::rules::{VolOf, breakout_default_smooth};
use std::collections::BTreeMap;

/// A value in `other_args`.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgValue {
    Number(f64),
    Text(String),
    Bool(bool),
}

/// Why a rule specification is unusable; each names the offending function or argument.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    #[error("unknown trading rule function '{0}'")]
    UnknownFunction(String),
    #[error("unknown data source '{0}' for a trading rule")]
    UnknownData(String),
    #[error("rule function '{function}' does not take argument '{arg}'")]
    UnknownArgument { function: String, arg: String },
    #[error("argument '{arg}' of '{function}': {reason}")]
    BadArgument {
        function: String,
        arg: String,
        reason: String,
    },
    #[error("rule function '{function}' expects {expected} data input(s), got {got}")]
    WrongDataCount {
        function: String,
        expected: usize,
        got: usize,
    },
}

/// A rule function with its parameters (spec §3.3 table).
#[derive(Debug, Clone, PartialEq)]
pub enum RuleFunction {
    /// [`crate::rules::ewmac`] on (price, vol).
    Ewmac { lfast: usize, lslow: usize },
    /// [`crate::rules::ewmac_calc_vol`] on a price-like series.
    EwmacCalcVol {
        lfast: usize,
        lslow: usize,
        vol_days: usize,
        vol_of: VolOf,
    },
    /// [`crate::rules::carry`] on raw carry.
    Carry { smooth_days: f64 },
    /// [`crate::rules::relative_carry`] on (smoothed carry, asset-class median carry).
    RelativeCarry,
    /// [`crate::rules::breakout`] on a price.
    Breakout { lookback: usize, smooth: usize },
    /// [`crate::rules::accel`] on (price, vol).
    Accel { lfast: usize },
    /// [`crate::rules::mr_wings`] on (price, vol).
    MrWings { lfast: usize },
    /// [`crate::rules::relative_momentum`] on (normalised price, asset-class normalised price).
    RelativeMomentum {
        horizon: usize,
        ewma_span: Option<usize>,
    },
    /// [`crate::rules::cross_sectional_mean_reversion`] on the same inputs.
    CrossSectionalMeanReversion {
        horizon: usize,
        ewma_span: Option<usize>,
    },
    /// [`crate::rules::factor_trading_rule`] on a demeaned factor.
    FactorTradingRule { smooth: usize },
    /// [`crate::rules::conditioned_factor_trading_rule`] on (demeaned factor, condition).
    ConditionedFactorTradingRule { smooth: usize },
}

impl RuleFunction {
    /// Number of data inputs the function takes.
    pub fn data_count(&self) -> usize {
        match self {
            Self::EwmacCalcVol { .. }
            | Self::Carry { .. }
            | Self::Breakout { .. }
            | Self::FactorTradingRule { .. } => 1,
            _ => 2,
        }
    }

    /// The data a rule reads when the config gives no `data`: the inputs its shipped configs use
    /// (pysystemtrade itself defaults every rule to `data.daily_prices` alone, which fails for
    /// rules that take two inputs).
    pub fn default_data(&self) -> Vec<DataInput> {
        use DataInput::*;
        match self {
            Self::Ewmac { .. } | Self::Accel { .. } | Self::MrWings { .. } => {
                vec![DailyPrices, DailyReturnsVolatility]
            }
            Self::EwmacCalcVol { .. } | Self::Breakout { .. } => vec![DailyPrices],
            Self::Carry { .. } => vec![RawCarry],
            Self::RelativeCarry => vec![
                SmoothedCarry { smooth_days: 90.0 },
                MedianCarryForAssetClass,
            ],
            Self::RelativeMomentum { .. } | Self::CrossSectionalMeanReversion { .. } => {
                vec![NormalisedPrice, NormalisedPriceForAssetClass]
            }
            Self::FactorTradingRule { .. } => vec![DemeanedFactorValue(FactorSpec::default())],
            // No sensible default condition: a config must name both inputs (one default input
            // makes `from_pysystemtrade` report the missing one).
            Self::ConditionedFactorTradingRule { .. } => {
                vec![DemeanedFactorValue(FactorSpec::default())]
            }
        }
    }
}

/// A factor for `get_demeanded_factor_value` (`_factor_name`, `_lookback_days`, `_demean_method`).
#[derive(Debug, Clone, PartialEq)]
pub struct FactorSpec {
    pub factor_name: String,
    pub lookback_days: usize,
    pub demean_method: String,
}

/// A factor specification systrade cannot compute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactorError {
    #[error("unknown factor '{0}' (supported: skew, neg_skew, kurtosis)")]
    UnknownFactor(String),
    #[error(
        "unknown demean method '{0}' (supported: current_average_factor_values_over_all_assets, historic_average_factor_value_all_assets, average_factor_value_for_instrument, average_factor_value_in_asset_class_for_instrument)"
    )]
    UnknownDemeanMethod(String),
}

impl FactorSpec {
    /// Checks that the factor and its demean method are ones systrade computes
    /// ([`crate::factors::FACTOR_NAMES`], [`crate::factors::DemeanMethod`]).
    ///
    /// # Errors
    /// The first unsupported part.
    pub fn check(&self) -> Result<(), FactorError> {
        if !crate::factors::FACTOR_NAMES.contains(&self.factor_name.as_str()) {
            return Err(FactorError::UnknownFactor(self.factor_name.clone()));
        }
        self.method()?;
        Ok(())
    }

    /// The demean method `demean_method` names.
    ///
    /// # Errors
    /// An unknown name.
    pub fn method(&self) -> Result<crate::factors::DemeanMethod, FactorError> {
        crate::factors::DemeanMethod::from_name(&self.demean_method)
            .ok_or_else(|| FactorError::UnknownDemeanMethod(self.demean_method.clone()))
    }

    /// True when the factor is demeaned within the instrument's asset class (which then must be
    /// known).
    pub fn demeaned_by_asset_class(&self) -> bool {
        self.method() == Ok(crate::factors::DemeanMethod::AssetClass)
    }
}

/// `neg_skew(365d, historic_average_factor_value_all_assets)`: the form of debug logs.
impl std::fmt::Display for FactorSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}({}d, {})",
            self.factor_name, self.lookback_days, self.demean_method
        )
    }
}

/// pysystemtrade's defaults of `get_demeanded_factor_value`: `skew` over 365 days, demeaned by
/// the instrument's own historic average (`average_factor_value_for_instrument`).
impl Default for FactorSpec {
    fn default() -> Self {
        Self {
            factor_name: "skew".into(),
            lookback_days: 365,
            demean_method: crate::factors::DemeanMethod::OwnHistoric.name().into(),
        }
    }
}

/// A data input of a rule (pysystemtrade `data:` strings, `stage.method`).
#[derive(Debug, Clone, PartialEq)]
pub enum DataInput {
    /// `data.daily_prices`, `rawdata.get_daily_prices`.
    DailyPrices,
    /// `rawdata.daily_returns`.
    DailyReturns,
    /// `rawdata.daily_returns_volatility`.
    DailyReturnsVolatility,
    /// `rawdata.get_daily_percentage_volatility`.
    DailyPercentageVolatility,
    /// `rawdata.raw_carry`.
    RawCarry,
    /// `rawdata.smoothed_carry` (`_smooth_days`, default 90).
    SmoothedCarry { smooth_days: f64 },
    /// `rawdata.median_carry_for_asset_class`.
    MedianCarryForAssetClass,
    /// `rawdata.get_cumulative_daily_vol_normalised_returns` (own normalised price).
    NormalisedPrice,
    /// `rawdata.normalised_price_for_asset_class`.
    NormalisedPriceForAssetClass,
    /// `rawdata.get_demeanded_factor_value`.
    DemeanedFactorValue(FactorSpec),
}

impl DataInput {
    /// Parses a `data:` string; `routed` are the `_`-prefixed `other_args` routed to this input.
    fn parse(s: &str, routed: &BTreeMap<String, ArgValue>) -> Result<Self, RuleError> {
        let method = s
            .trim()
            .strip_prefix("rawdata.")
            .or_else(|| s.trim().strip_prefix("data."));
        let Some(method) = method else {
            return Err(RuleError::UnknownData(s.into()));
        };
        let num = |k: &str| match routed.get(k) {
            Some(ArgValue::Number(x)) => Some(*x),
            _ => None,
        };
        let text = |k: &str| match routed.get(k) {
            Some(ArgValue::Text(x)) => Some(x.clone()),
            _ => None,
        };
        Ok(match method {
            "daily_prices" | "get_daily_prices" => Self::DailyPrices,
            "daily_returns" => Self::DailyReturns,
            "daily_returns_volatility" => Self::DailyReturnsVolatility,
            "get_daily_percentage_volatility" => Self::DailyPercentageVolatility,
            "raw_carry" => Self::RawCarry,
            "smoothed_carry" => Self::SmoothedCarry {
                smooth_days: num("smooth_days").unwrap_or(90.0),
            },
            "median_carry_for_asset_class" => Self::MedianCarryForAssetClass,
            "get_cumulative_daily_vol_normalised_returns" => Self::NormalisedPrice,
            "normalised_price_for_asset_class" => Self::NormalisedPriceForAssetClass,
            "get_demeanded_factor_value" => {
                let d = FactorSpec::default();
                Self::DemeanedFactorValue(FactorSpec {
                    factor_name: text("factor_name").unwrap_or(d.factor_name),
                    lookback_days: num("lookback_days").map_or(d.lookback_days, |x| x as usize),
                    demean_method: text("demean_method").unwrap_or(d.demean_method),
                })
            }
            _ => return Err(RuleError::UnknownData(s.into())),
        })
    }
}

/// A complete trading rule: function, parameters, data inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct TradingRule {
    pub function: RuleFunction,
    pub data: Vec<DataInput>,
}

/// Accessor for `other_args` that records which keys were used.
struct Args<'a> {
    function: &'a str,
    args: &'a BTreeMap<String, ArgValue>,
    used: Vec<&'a str>,
}

impl<'a> Args<'a> {
    fn positive_int(&mut self, key: &'a str, default: Option<usize>) -> Result<usize, RuleError> {
        let bad = |reason: String| RuleError::BadArgument {
            function: self.function.into(),
            arg: key.into(),
            reason,
        };
        self.used.push(key);
        match self.args.get(key) {
            None => default.ok_or_else(|| bad("required".into())),
            Some(ArgValue::Number(x)) if *x >= 1.0 && x.fract() == 0.0 && *x < 1e9 => {
                Ok(*x as usize)
            }
            Some(v) => Err(bad(format!("must be a positive whole number, got {v:?}"))),
        }
    }

    fn optional_int(&mut self, key: &'a str) -> Result<Option<usize>, RuleError> {
        if self.args.get(key).is_none() {
            self.used.push(key);
            return Ok(None);
        }
        self.positive_int(key, None).map(Some)
    }

    fn non_negative(&mut self, key: &'a str, default: f64) -> Result<f64, RuleError> {
        self.used.push(key);
        match self.args.get(key) {
            None => Ok(default),
            Some(ArgValue::Number(x)) if *x >= 0.0 && x.is_finite() => Ok(*x),
            Some(v) => Err(RuleError::BadArgument {
                function: self.function.into(),
                arg: key.into(),
                reason: format!("must be a non-negative number, got {v:?}"),
            }),
        }
    }

    fn flag(&mut self, key: &'a str) -> Result<bool, RuleError> {
        self.used.push(key);
        match self.args.get(key) {
            None => Ok(false),
            Some(ArgValue::Bool(b)) => Ok(*b),
            Some(v) => Err(RuleError::BadArgument {
                function: self.function.into(),
                arg: key.into(),
                reason: format!("must be true or false, got {v:?}"),
            }),
        }
    }

    /// Errors on any rule argument (not `_`-routed) that was not used.
    fn finish(self) -> Result<(), RuleError> {
        for k in self.args.keys() {
            if !k.starts_with('_') && !self.used.contains(&k.as_str()) {
                return Err(RuleError::UnknownArgument {
                    function: self.function.into(),
                    arg: k.clone(),
                });
            }
        }
        Ok(())
    }
}

impl TradingRule {
    /// Builds a rule from a pysystemtrade `trading_rules` entry: `function` is a dotted path
    /// (`systems.provided.rules.ewmac.ewmac_forecast_with_defaults`,
    /// `systems.provided.rob_system.rules.breakout`, …) or a short name (`ewmac`, `carry`, …);
    /// `data` the `stage.method` strings (empty: the function's defaults); `other_args` the keyword
    /// arguments. Keys starting with `_` go to the data inputs (`_x` to the first, `__x` to the
    /// second, …), as in pysystemtrade.
    ///
    /// Mapping: `ewmac_forecast_with_defaults` → [`RuleFunction::EwmacCalcVol`] with Lfast 32 /
    /// Lslow 128 (vol on price level); `ewmac_forecast_with_defaults_no_vol` → `Ewmac` 16/32;
    /// `ewmac` → `Ewmac` (`Lfast`/`Lslow`, default 32/128); `ewmac_calc_vol` →
    /// `EwmacCalcVol` (`vol_days` 35); `carry` (`smooth_days` 90); `relative_carry`; `breakout`
    /// (`lookback` 10, `smooth` lookback/4); `accel` / `mr_wings` (`Lfast` 4);
    /// `relative_momentum` / `cross_sectional_mean_reversion` (`horizon` 250, `ewma_span`);
    /// `factor_trading_rule` / `conditioned_factor_trading_rule` (`smooth` 90). systrade's own
    /// extra argument `vol_on_price_differences: true` switches `ewmac_calc_vol` to the vol of
    /// price differences.
    pub fn from_pysystemtrade(
        function: &str,
        data: &[String],
        other_args: &BTreeMap<String, ArgValue>,
    ) -> Result<Self, RuleError> {
        let name = function.trim().rsplit('.').next().unwrap_or_default();
        let mut a = Args {
            function,
            args: other_args,
            used: Vec::new(),
        };
        let vol_of = |a: &mut Args<'_>| -> Result<VolOf, RuleError> {
            Ok(if a.flag("vol_on_price_differences")? {
                VolOf::PriceDifferences
            } else {
                VolOf::PriceLevel
            })
        };
        let f = match name {
            "ewmac_forecast_with_defaults" => RuleFunction::EwmacCalcVol {
                lfast: a.positive_int("Lfast", Some(32))?,
                lslow: a.positive_int("Lslow", Some(128))?,
                vol_days: 35,
                vol_of: vol_of(&mut a)?,
            },
            "ewmac_forecast_with_defaults_no_vol" => RuleFunction::Ewmac {
                lfast: a.positive_int("Lfast", Some(16))?,
                lslow: a.positive_int("Lslow", Some(32))?,
            },
            "ewmac" => RuleFunction::Ewmac {
                lfast: a.positive_int("Lfast", Some(32))?,
                lslow: a.positive_int("Lslow", Some(128))?,
            },
            "ewmac_calc_vol" => RuleFunction::EwmacCalcVol {
                lfast: a.positive_int("Lfast", Some(32))?,
                lslow: a.positive_int("Lslow", Some(128))?,
                vol_days: a.positive_int("vol_days", Some(35))?,
                vol_of: vol_of(&mut a)?,
            },
            "carry" => RuleFunction::Carry {
                smooth_days: a.non_negative("smooth_days", 90.0)?,
            },
            "relative_carry" => RuleFunction::RelativeCarry,
            "breakout" => {
                let lookback = a.positive_int("lookback", Some(10))?;
                let smooth = a.positive_int("smooth", Some(breakout_default_smooth(lookback)))?;
                if smooth >= lookback {
                    return Err(RuleError::BadArgument {
                        function: function.into(),
                        arg: "smooth".into(),
                        reason: format!("must be less than lookback {lookback}, got {smooth}"),
                    });
                }
                RuleFunction::Breakout { lookback, smooth }
            }
            "accel" => RuleFunction::Accel {
                lfast: a.positive_int("Lfast", Some(4))?,
            },
            "mr_wings" => RuleFunction::MrWings {
                lfast: a.positive_int("Lfast", Some(4))?,
            },
            "relative_momentum" => RuleFunction::RelativeMomentum {
                horizon: a.positive_int("horizon", Some(250))?,
                ewma_span: a.optional_int("ewma_span")?,
            },
            "cross_sectional_mean_reversion" => RuleFunction::CrossSectionalMeanReversion {
                horizon: a.positive_int("horizon", Some(250))?,
                ewma_span: a.optional_int("ewma_span")?,
            },
            "factor_trading_rule" => RuleFunction::FactorTradingRule {
                smooth: a.positive_int("smooth", Some(90))?,
            },
            "conditioned_factor_trading_rule" => RuleFunction::ConditionedFactorTradingRule {
                smooth: a.positive_int("smooth", Some(90))?,
            },
            _ => return Err(RuleError::UnknownFunction(function.into())),
        };
        if let RuleFunction::Ewmac { lfast, lslow }
        | RuleFunction::EwmacCalcVol { lfast, lslow, .. } = f
            && lfast >= lslow
        {
            return Err(RuleError::BadArgument {
                function: function.into(),
                arg: "Lfast".into(),
                reason: format!("must be less than Lslow {lslow}, got {lfast}"),
            });
        }
        a.finish()?;
        let given = data.len();
        let data = if data.is_empty() {
            f.default_data()
        } else {
            data.iter()
                .enumerate()
                .map(|(i, s)| DataInput::parse(s, &routed_args(other_args, i + 1)))
                .collect::<Result<Vec<_>, _>>()?
        };
        if data.len() != f.data_count() {
            return Err(RuleError::WrongDataCount {
                function: function.into(),
                expected: f.data_count(),
                got: given,
            });
        }
        Ok(Self { function: f, data })
    }
}

/// The `other_args` routed to data input `n` (1-based): keys with exactly `n` leading underscores,
/// with the underscores stripped.
fn routed_args(args: &BTreeMap<String, ArgValue>, n: usize) -> BTreeMap<String, ArgValue> {
    args.iter()
        .filter_map(|(k, v)| {
            let stripped = k.trim_start_matches('_');
            (k.len() - stripped.len() == n).then(|| (stripped.to_string(), v.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(kv: &[(&str, ArgValue)]) -> BTreeMap<String, ArgValue> {
        kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn simple_system_rule() {
        let r = TradingRule::from_pysystemtrade(
            "systems.provided.rules.ewmac.ewmac_forecast_with_defaults",
            &["data.daily_prices".into()],
            &args(&[
                ("Lfast", ArgValue::Number(8.0)),
                ("Lslow", ArgValue::Number(32.0)),
            ]),
        )
        .unwrap();
        assert_eq!(
            r.function,
            RuleFunction::EwmacCalcVol {
                lfast: 8,
                lslow: 32,
                vol_days: 35,
                vol_of: VolOf::PriceLevel
            }
        );
        assert_eq!(r.data, vec![DataInput::DailyPrices]);
        // Defaults 32/128 when no other_args.
        let r = TradingRule::from_pysystemtrade(
            "systems.provided.rules.ewmac.ewmac_forecast_with_defaults",
            &[],
            &BTreeMap::new(),
        )
        .unwrap();
        assert!(matches!(
            r.function,
            RuleFunction::EwmacCalcVol {
                lfast: 32,
                lslow: 128,
                ..
            }
        ));
    }

    #[test]
    fn short_names_and_routed_args() {
        let r = TradingRule::from_pysystemtrade(
            "carry",
            &["rawdata.raw_carry".into()],
            &args(&[("smooth_days", ArgValue::Number(30.0))]),
        )
        .unwrap();
        assert_eq!(r.function, RuleFunction::Carry { smooth_days: 30.0 });
        let r = TradingRule::from_pysystemtrade(
            "systems.provided.rob_system.rules.factor_trading_rule",
            &["rawdata.get_demeanded_factor_value".into()],
            &args(&[
                ("smooth", ArgValue::Number(45.0)),
                ("_factor_name", ArgValue::Text("neg_skew".into())),
                ("_lookback_days", ArgValue::Number(180.0)),
                (
                    "_demean_method",
                    ArgValue::Text("average_factor_value_in_asset_class_for_instrument".into()),
                ),
            ]),
        )
        .unwrap();
        assert_eq!(r.function, RuleFunction::FactorTradingRule { smooth: 45 });
        let DataInput::DemeanedFactorValue(f) = &r.data[0] else {
            panic!("{:?}", r.data)
        };
        assert_eq!(f.lookback_days, 180);
        assert_eq!(
            f.demean_method,
            "average_factor_value_in_asset_class_for_instrument"
        );
        let r = TradingRule::from_pysystemtrade(
            "systems.provided.rules.breakout.breakout",
            &[],
            &args(&[("lookback", ArgValue::Number(80.0))]),
        )
        .unwrap();
        assert_eq!(
            r.function,
            RuleFunction::Breakout {
                lookback: 80,
                smooth: 20
            }
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let e =
            TradingRule::from_pysystemtrade("systems.provided.rules.nope", &[], &BTreeMap::new())
                .unwrap_err();
        assert!(e.to_string().contains("nope"));
        let e = TradingRule::from_pysystemtrade(
            "ewmac",
            &[],
            &args(&[("Lfast", ArgValue::Number(-2.0))]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("Lfast"), "{e}");
        let e = TradingRule::from_pysystemtrade(
            "ewmac",
            &[],
            &args(&[("Lfats", ArgValue::Number(2.0))]),
        )
        .unwrap_err();
        assert!(matches!(e, RuleError::UnknownArgument { .. }), "{e}");
        let e = TradingRule::from_pysystemtrade(
            "breakout",
            &[],
            &args(&[
                ("lookback", ArgValue::Number(10.0)),
                ("smooth", ArgValue::Number(10.0)),
            ]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("smooth"), "{e}");
        let e =
            TradingRule::from_pysystemtrade("carry", &["rawdata.nothing".into()], &BTreeMap::new())
                .unwrap_err();
        assert!(matches!(e, RuleError::UnknownData(_)), "{e}");
        let e = TradingRule::from_pysystemtrade(
            "ewmac",
            &["data.daily_prices".into()],
            &BTreeMap::new(),
        )
        .unwrap_err();
        assert!(matches!(e, RuleError::WrongDataCount { .. }), "{e}");
        let e = TradingRule::from_pysystemtrade(
            "conditioned_factor_trading_rule",
            &[],
            &BTreeMap::new(),
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                RuleError::WrongDataCount {
                    expected: 2,
                    got: 0,
                    ..
                }
            ),
            "{e}"
        );
    }
}
