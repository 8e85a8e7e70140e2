//! The typed config (spec §3.0, §3.3–3.9): one struct field per pysystemtrade key, defaults of
//! pysystemtrade v1.80 `sysdata/config/defaults.yaml` (spec §3.9 table) filled in by the reader.

use crate::error::{ConfigError, ConfigErrorKind};
use std::collections::BTreeMap;
use std::fmt;
use systrade_model::InstrumentCode;

/// A whole backtest config. Build it with [`SystemConfig::from_yaml_str`] or [`SystemConfig::from_file`];
/// every field already holds pysystemtrade's default when the key was absent (or null).
#[derive(Debug, Clone, PartialEq)]
pub struct SystemConfig {
    /// File name (or other label) the config was read from; used in error messages.
    pub source_name: String,

    // ---- raw data (§3.2)
    /// `volatility_calculation`: function and keyword arguments of the daily returns volatility.
    pub volatility_calculation: VolatilityCalculation,

    // ---- trading rules (§3.3)
    /// `trading_rules`: rule variation name → definition. Empty when absent.
    pub trading_rules: BTreeMap<String, TradingRule>,

    // ---- forecast scaling and capping (§3.4)
    /// `forecast_scalars`: rule variation name → fixed scalar (second in the lookup order).
    pub forecast_scalars: BTreeMap<String, f64>,
    /// `forecast_scalar`: global fixed scalar, default 1.0 (last in the lookup order).
    pub forecast_scalar: f64,
    /// `use_forecast_scale_estimates`, default false (supported).
    pub use_forecast_scale_estimates: bool,
    /// `forecast_scalar_estimate`: parameters of the estimated scalars.
    pub forecast_scalar_estimate: ForecastScalarEstimate,
    /// `forecast_cap`, default 20.0.
    pub forecast_cap: f64,
    /// `forecast_floor`; `None` means −`forecast_cap` (see [`SystemConfig::forecast_floor`]).
    pub forecast_floor: Option<f64>,
    /// `average_absolute_forecast`, default 10.0 (target of scalar estimation, divisor in sizing).
    pub average_absolute_forecast: f64,

    // ---- forecast combination (§3.5)
    /// `forecast_weights`; `None` means equal weights over all trading rules (with a warning by the tool).
    pub forecast_weights: Option<ForecastWeights>,
    /// `forecast_weight_ewma_span`, default 125 business days.
    pub forecast_weight_ewma_span: usize,
    /// `use_forecast_weight_estimates`, default false (true: `backtest` estimates the weights; the
    /// production tools refuse it, see [`SystemConfig::check_supported_in_backtest`]).
    pub use_forecast_weight_estimates: bool,
    /// `forecast_div_multiplier`, default 1.0; a scalar or one value per instrument.
    pub forecast_div_multiplier: DivMultiplier,
    /// `use_forecast_div_mult_estimates`, default false (true: estimated by `backtest` only).
    pub use_forecast_div_mult_estimates: bool,
    /// `forecast_mapping`: instrument → non-linear mapping of the combined forecast. Empty when absent.
    pub forecast_mapping: BTreeMap<InstrumentCode, ForecastMapping>,
    /// `rule_variations` (used with estimated weights); `None` when absent.
    pub rule_variations: Option<RuleVariations>,

    // ---- position sizing (§3.6)
    /// `percentage_vol_target`, default 16.0 (percent per year).
    pub percentage_vol_target: f64,
    /// `notional_trading_capital`, default 1,000,000 in the base currency.
    pub notional_trading_capital: f64,
    /// `base_currency`, default `USD` (upper case, three letters).
    pub base_currency: String,
    /// `long_only_instruments`: negative subsystem positions of these are set to 0. Default empty
    /// (pysystemtrade's defaults.yaml lists two placeholder names, which are dropped here).
    pub long_only_instruments: Vec<InstrumentCode>,
    /// `use_attenuation` (rob_system's `volAttenForecastScaleCap`): the rules whose raw forecasts
    /// are multiplied by the instrument's vol attenuation before scaling. Default empty.
    pub use_attenuation: Vec<String>,

    // ---- portfolio (§3.7)
    /// `instruments`: the instrument list when `instrument_weights` is absent.
    pub instruments: Option<Vec<InstrumentCode>>,
    /// `instrument_weights`: fixed weights; its keys choose the instruments. `None`: equal weights (with a warning).
    pub instrument_weights: Option<BTreeMap<InstrumentCode, f64>>,
    /// `instrument_weight_ewma_span`, default 125 business days.
    pub instrument_weight_ewma_span: usize,
    /// `use_instrument_weight_estimates`, default false (true: estimated by `backtest` only).
    pub use_instrument_weight_estimates: bool,
    /// `instrument_div_multiplier` (IDM), default 1.0.
    pub instrument_div_multiplier: f64,
    /// `use_instrument_div_mult_estimates`, default false (true: estimated by `backtest` only).
    pub use_instrument_div_mult_estimates: bool,
    /// `allocate_zero_instrument_weights_to_these_instruments`, default empty.
    pub allocate_zero_instrument_weights_to_these_instruments: Vec<InstrumentCode>,
    /// `duplicate_instruments`: groups of equivalent instruments; `exclude` ones leave the instrument list.
    pub duplicate_instruments: DuplicateInstruments,
    /// `exclude_instrument_lists`: `ignore_instruments` leave the instrument list; the others are flags.
    pub exclude_instrument_lists: ExcludeInstrumentLists,
    /// `risk_overlay`; `None` when absent or empty (`risk_overlay: {}` turns it off).
    pub risk_overlay: Option<RiskOverlay>,
    /// `small_system`: the dynamic optimiser's settings (pysystemtrade's defaults when absent).
    pub small_system: SmallSystem,
    /// Which positions the strategy trades: classic buffered or dynamically optimised, from
    /// `strategy_list` (pysystemtrade's production switch; docs/adr/0007-optimised-strategy.md).
    pub strategy: Strategy,
    /// `capital_multiplier.func`, default `syscore.capital.fixed_capital`.
    pub capital_multiplier: CapitalMultiplier,
    /// `buffer_method`, default `forecast`.
    pub buffer_method: BufferMethod,
    /// `buffer_size`, default 0.10.
    pub buffer_size: f64,
    /// `buffer_trade_to_edge`, default true.
    pub buffer_trade_to_edge: bool,

    // ---- accounts (§3.8)
    /// `use_SR_costs`, default false (cash costs).
    pub use_sr_costs: bool,
    /// `vol_normalise_currency_costs`, default true.
    pub vol_normalise_currency_costs: bool,
    /// `multiply_roll_costs_by`, default 0.5.
    pub multiply_roll_costs_by: f64,

    /// `base_config`: another config file pysystemtrade would load first. Not supported yet
    /// ([`SystemConfig::check_supported`] fails when it is set).
    pub base_config: Option<String>,

    /// `start_date`: prices (adjusted, multiple) and FX rates before this date are not used
    /// (pysystemtrade's `simData.start_date_for_data`, default 1900-01-01: everything).
    pub start_date: Option<chrono::NaiveDate>,
    /// `forecast_post_ceiling_cost_SR`, default 999 (no rule is too expensive). Below 999, rules
    /// whose SR cost exceeds it leave an instrument's forecast weights, fixed or estimated
    /// (`ForecastCombine._remove_expensive_rules_from_weights`); the forecast pipeline's
    /// `CostCeiling`.
    pub forecast_post_ceiling_cost_sr: f64,
    /// `forecast_cost_estimates`: how a rule's SR cost is pooled across instruments with the same
    /// rules (read with the ceiling).
    pub forecast_cost_estimates: ForecastCostEstimates,
    /// `instrument_returns_correlation` entries that differ from pysystemtrade's defaults (which the
    /// risk overlay has built in), as `key: value`; refused when `risk_overlay` is set.
    pub instrument_returns_correlation_changes: Vec<String>,
    /// The estimation blocks (`forecast_weight_estimate`, …), defaults filled in; read when the
    /// matching `use_*_estimates` is true.
    pub estimation: crate::estimation::Estimation,
}

/// pysystemtrade's default `forecast_post_ceiling_cost_SR` (defaults.yaml): no rule is dropped.
pub const DEFAULT_FORECAST_POST_CEILING_COST_SR: f64 = 999.0;

/// `forecast_cost_estimates` (pysystemtrade's `systems/accounts/account_costs.py`; defaults.yaml:
/// costs not pooled, turnover pooled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForecastCostEstimates {
    /// `use_pooled_costs`, default false.
    pub use_pooled_costs: bool,
    /// `use_pooled_turnover`, default true.
    pub use_pooled_turnover: bool,
}

impl Default for ForecastCostEstimates {
    fn default() -> Self {
        Self {
            use_pooled_costs: false,
            use_pooled_turnover: true,
        }
    }
}

impl SystemConfig {
    /// The cost ceiling when it can drop a rule (`forecast_post_ceiling_cost_SR` below 999,
    /// pysystemtrade's default, which drops none), else `None`.
    pub fn cost_ceiling(&self) -> Option<f64> {
        (self.forecast_post_ceiling_cost_sr < DEFAULT_FORECAST_POST_CEILING_COST_SR)
            .then_some(self.forecast_post_ceiling_cost_sr)
    }
}

/// Volatility estimator of the raw data stage (spec §3.2, `sysquant/estimators/vol.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolFunction {
    /// `mixed_vol_calc` (v1.80 default): 0.7 × EW std + 0.3 × its slow EWMA, floored at `vol_abs_min`.
    MixedVolCalc,
    /// `robust_vol_calc`: EW std floored at `vol_abs_min`, then at the rolling `floor_min_quant` quantile.
    RobustVolCalc,
    /// `simple_vol_calc`: rolling standard deviation over `days`.
    SimpleVolCalc,
}

impl VolFunction {
    /// pysystemtrade's function name (last part of the dotted name).
    pub fn name(self) -> &'static str {
        match self {
            VolFunction::MixedVolCalc => "mixed_vol_calc",
            VolFunction::RobustVolCalc => "robust_vol_calc",
            VolFunction::SimpleVolCalc => "simple_vol_calc",
        }
    }
}

/// `volatility_calculation`. Like pysystemtrade, keys absent from the config take defaults.yaml's values
/// (days 35, min_periods 10, slow_vol_years 10, proportion_of_slow_vol 0.3, vol_abs_min 1e-10,
/// multiplier 1.0, returns `daily_returns`) whatever the function — so `simple_vol_calc` also gets
/// `days: 35` unless the config says otherwise — and keys defaults.yaml does not have take the
/// function's own defaults (backfill false, vol_floor true, floor_min_quant 0.05, floor_days 500,
/// floor_min_periods 100).
#[derive(Debug, Clone, PartialEq)]
pub struct VolatilityCalculation {
    pub func: VolFunction,
    /// `func` as written, e.g. `sysquant.estimators.vol.mixed_vol_calc`.
    pub func_name: String,
    /// EW span (or rolling window for `simple_vol_calc`) in business days.
    pub days: usize,
    pub min_periods: usize,
    /// Slow vol EWMA span = `slow_vol_years` × 256.
    pub slow_vol_years: f64,
    pub proportion_of_slow_vol: f64,
    pub vol_abs_min: f64,
    pub backfill: bool,
    pub multiplier_to_get_daily_vol: f64,
    /// Raw data method whose output is the "returns" input (default `daily_returns`).
    pub name_returns_attr_in_rawdata: String,
    pub vol_floor: bool,
    pub floor_min_quant: f64,
    pub floor_days: usize,
    pub floor_min_periods: usize,
}

impl Default for VolatilityCalculation {
    fn default() -> Self {
        Self {
            func: VolFunction::MixedVolCalc,
            func_name: "sysquant.estimators.vol.mixed_vol_calc".to_string(),
            days: 35,
            min_periods: 10,
            slow_vol_years: 10.0,
            proportion_of_slow_vol: 0.3,
            vol_abs_min: 1e-10,
            backfill: false,
            multiplier_to_get_daily_vol: 1.0,
            name_returns_attr_in_rawdata: "daily_returns".to_string(),
            vol_floor: true,
            floor_min_quant: 0.05,
            floor_days: 500,
            floor_min_periods: 100,
        }
    }
}

/// The built-in trading rule a `function` resolves to. Resolution uses the last part of the dotted
/// name, so `systems.provided.rules.ewmac.ewmac`, `systems.provided.futures_chapter15.rules.ewmac`,
/// `systems.provided.rob_system.rules.ewmac` and plain `ewmac` are all [`RuleFunction::Ewmac`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleFunction {
    /// `ewmac(price, vol, Lfast, Lslow)`.
    Ewmac,
    /// `ewmac_calc_vol(price, Lfast, Lslow, vol_days=35)`: vol computed from the series itself.
    EwmacCalcVol,
    /// `ewmac_forecast_with_defaults(price, Lfast=32, Lslow=128)` → ewmac_calc_vol.
    EwmacForecastWithDefaults,
    /// `ewmac_forecast_with_defaults_no_vol(price, vol, Lfast=16, Lslow=32)`.
    EwmacForecastWithDefaultsNoVol,
    /// `carry(raw_carry, smooth_days=90)`; also `carry2` of futures_chapter15.
    Carry,
    /// `relative_carry(smoothed_carry, median_carry)`.
    RelativeCarry,
    /// `breakout(price, lookback=10, smooth=None)`.
    Breakout,
    /// `accel(price, vol, Lfast=4)`.
    Accel,
    /// `mr_wings(price, vol, Lfast=4)`.
    MrWings,
    /// `relative_momentum(normalised_price, asset_class_price, horizon=250, ewma_span=None)`.
    RelativeMomentum,
    /// `cross_sectional_mean_reversion(normalised_price, asset_class_price, horizon=250, ewma_span=None)`.
    CrossSectionalMeanReversion,
    /// `factor_trading_rule(demean_factor_value, smooth=90)`.
    FactorTradingRule,
    /// `conditioned_factor_trading_rule(demean_factor_value, condition_demean_factor_value, smooth=90)`.
    ConditionedFactorTradingRule,
    /// `short_bias(price)`: constant −10 (legacy).
    ShortBias,
    /// `long_bias(price)`: constant +10 (legacy).
    LongBias,
}

impl RuleFunction {
    /// All built-in rules.
    pub const ALL: [RuleFunction; 15] = [
        RuleFunction::Ewmac,
        RuleFunction::EwmacCalcVol,
        RuleFunction::EwmacForecastWithDefaults,
        RuleFunction::EwmacForecastWithDefaultsNoVol,
        RuleFunction::Carry,
        RuleFunction::RelativeCarry,
        RuleFunction::Breakout,
        RuleFunction::Accel,
        RuleFunction::MrWings,
        RuleFunction::RelativeMomentum,
        RuleFunction::CrossSectionalMeanReversion,
        RuleFunction::FactorTradingRule,
        RuleFunction::ConditionedFactorTradingRule,
        RuleFunction::ShortBias,
        RuleFunction::LongBias,
    ];

    /// pysystemtrade's function name.
    pub fn name(self) -> &'static str {
        match self {
            RuleFunction::Ewmac => "ewmac",
            RuleFunction::EwmacCalcVol => "ewmac_calc_vol",
            RuleFunction::EwmacForecastWithDefaults => "ewmac_forecast_with_defaults",
            RuleFunction::EwmacForecastWithDefaultsNoVol => "ewmac_forecast_with_defaults_no_vol",
            RuleFunction::Carry => "carry",
            RuleFunction::RelativeCarry => "relative_carry",
            RuleFunction::Breakout => "breakout",
            RuleFunction::Accel => "accel",
            RuleFunction::MrWings => "mr_wings",
            RuleFunction::RelativeMomentum => "relative_momentum",
            RuleFunction::CrossSectionalMeanReversion => "cross_sectional_mean_reversion",
            RuleFunction::FactorTradingRule => "factor_trading_rule",
            RuleFunction::ConditionedFactorTradingRule => "conditioned_factor_trading_rule",
            RuleFunction::ShortBias => "short_bias",
            RuleFunction::LongBias => "long_bias",
        }
    }

    /// Resolves a dotted (`systems.provided.rules.ewmac.ewmac`) or short (`ewmac`) name by its last part.
    /// `carry2` (futures_chapter15) is [`RuleFunction::Carry`].
    pub fn from_function_name(function: &str) -> Option<Self> {
        let last = function.trim().rsplit('.').next().unwrap_or("");
        if last == "carry2" {
            return Some(RuleFunction::Carry);
        }
        Self::ALL.into_iter().find(|r| r.name() == last)
    }
}

impl fmt::Display for RuleFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `stage.method` data input of a rule, e.g. `rawdata.get_daily_prices` or `data.daily_prices`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DataSource {
    /// Stage name: `data`, `rawdata`, ...
    pub stage: String,
    /// Method of that stage, called with the instrument code.
    pub method: String,
}

impl DataSource {
    /// Parses `stage.method` (exactly one dot, both parts non-empty identifiers).
    pub fn parse(text: &str) -> Option<Self> {
        let (stage, method) = text.trim().split_once('.')?;
        let ident = |s: &str| {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !s.as_bytes()[0].is_ascii_digit()
        };
        (ident(stage) && ident(method)).then(|| Self {
            stage: stage.to_string(),
            method: method.to_string(),
        })
    }
}

impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.stage, self.method)
    }
}

/// A scalar value in a rule's `other_args`.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl ArgValue {
    /// The value as a number (integers converted).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ArgValue::Int(i) => Some(*i as f64),
            ArgValue::Float(x) => Some(*x),
            _ => None,
        }
    }

    /// The value as an integer (a float only when it is a whole number, e.g. `64.0`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ArgValue::Int(i) => Some(*i),
            ArgValue::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Some(*x as i64),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            ArgValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            ArgValue::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

impl fmt::Display for ArgValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgValue::Int(i) => write!(f, "{i}"),
            ArgValue::Float(x) => write!(f, "{x}"),
            ArgValue::Bool(b) => write!(f, "{b}"),
            ArgValue::Str(s) => f.write_str(s),
        }
    }
}

/// One entry of `trading_rules` (spec §3.3).
#[derive(Debug, Clone, PartialEq)]
pub struct TradingRule {
    /// The rule variation name (the key under `trading_rules`).
    pub name: String,
    /// `function` as written (dotted or short name).
    pub function: String,
    /// The built-in rule `function` resolves to.
    pub rule: RuleFunction,
    /// `data`: inputs in order; default `[data.daily_prices]`. A single string is a one-element list.
    pub data: Vec<DataSource>,
    /// `other_args`: keyword arguments. Keys starting with `_`, `__`, … belong to the 1st, 2nd, …
    /// data method ([`TradingRule::data_args`]); the others to the rule ([`TradingRule::rule_args`]).
    pub other_args: BTreeMap<String, ArgValue>,
    /// `forecast_scalar` given inside the rule (first in the scalar lookup order).
    pub forecast_scalar: Option<f64>,
}

impl TradingRule {
    /// Keyword arguments of the rule function itself (keys without a leading `_`).
    pub fn rule_args(&self) -> impl Iterator<Item = (&str, &ArgValue)> {
        self.other_args
            .iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// A keyword argument of the rule function, by name.
    pub fn arg(&self, name: &str) -> Option<&ArgValue> {
        if name.starts_with('_') {
            return None;
        }
        self.other_args.get(name)
    }

    /// Keyword arguments of the data method at `index` (0-based): keys with exactly `index + 1`
    /// leading underscores, returned without them (`_factor_name` → `factor_name` for index 0).
    pub fn data_args(&self, index: usize) -> Vec<(&str, &ArgValue)> {
        self.other_args
            .iter()
            .filter_map(|(k, v)| {
                let stripped = k.trim_start_matches('_');
                (k.len() - stripped.len() == index + 1).then_some((stripped, v))
            })
            .collect()
    }
}

/// `forecast_scalar_estimate` (spec §3.4): defaults pool_instruments true, window 250000,
/// min_periods 500, backfill true.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastScalarEstimate {
    pub pool_instruments: bool,
    pub window: usize,
    pub min_periods: usize,
    pub backfill: bool,
    /// `func` as written (default `sysquant.estimators.forecast_scalar.forecast_scalar`); informational.
    pub func: String,
}

impl Default for ForecastScalarEstimate {
    fn default() -> Self {
        Self {
            pool_instruments: true,
            window: 250_000,
            min_periods: 500,
            backfill: true,
            func: "sysquant.estimators.forecast_scalar.forecast_scalar".to_string(),
        }
    }
}

/// `forecast_weights` (spec §3.5). The shape is detected like pysystemtrade does: a mapping whose values
/// are all mappings is per instrument; a mapping of numbers is shared; a mapping with the key
/// `auto_weight_from_grouping` is pysystemtrade's auto-grouping (not supported yet).
#[derive(Debug, Clone, PartialEq)]
pub enum ForecastWeights {
    /// The same rule → weight map for every instrument.
    Shared(BTreeMap<String, f64>),
    /// instrument → (rule → weight).
    PerInstrument(BTreeMap<InstrumentCode, BTreeMap<String, f64>>),
    /// `auto_weight_from_grouping` tree; [`SystemConfig::check_supported`] rejects it.
    AutoGroup,
}

/// A fixed diversification multiplier: one value, or one per instrument.
#[derive(Debug, Clone, PartialEq)]
pub enum DivMultiplier {
    Fixed(f64),
    PerInstrument(BTreeMap<InstrumentCode, f64>),
}

/// `rule_variations` (which rules an instrument uses with estimated weights).
#[derive(Debug, Clone, PartialEq)]
pub enum RuleVariations {
    /// A flat list for all instruments.
    Shared(Vec<String>),
    /// instrument → list.
    PerInstrument(BTreeMap<InstrumentCode, Vec<String>>),
}

/// `forecast_mapping.<INSTRUMENT>` (spec §3.5, `systems/forecast_mapping.py`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastMapping {
    pub threshold: f64,
    pub a_param: f64,
    pub b_param: f64,
}

/// `buffer_method` (spec §3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferMethod {
    /// buffer = buffer_size × |vol scalar × instrument weight × IDM| (default).
    Forecast,
    /// buffer = buffer_size × |notional position|.
    Position,
    /// No buffer (0.001 contracts).
    None,
}

impl BufferMethod {
    pub fn name(self) -> &'static str {
        match self {
            BufferMethod::Forecast => "forecast",
            BufferMethod::Position => "position",
            BufferMethod::None => "none",
        }
    }
}

impl fmt::Display for BufferMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `capital_multiplier.func` (spec §3.7, `syscore/capital.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapitalMultiplier {
    /// `fixed_capital`: multiplier 1.0 (default).
    FixedCapital,
    /// `full_compounding`: cumulative product of (1 + daily % return / 100).
    FullCompounding,
    /// `half_compounding`: compounding of losses only, capped at 1.0.
    HalfCompounding,
}

impl CapitalMultiplier {
    pub fn name(self) -> &'static str {
        match self {
            CapitalMultiplier::FixedCapital => "fixed_capital",
            CapitalMultiplier::FullCompounding => "full_compounding",
            CapitalMultiplier::HalfCompounding => "half_compounding",
        }
    }
}

/// `small_system` (pysystemtrade `defaults.yaml`): settings of the dynamic optimiser.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmallSystem {
    /// `shadow_cost` (default 50): weight of trading costs against tracking error.
    pub shadow_cost: f64,
    /// `cost_multiplier` (default 1.0): multiplies the optimiser's cost per contract.
    pub cost_multiplier: f64,
    /// `tracking_error_buffer` (default 0.0125): no trade while the tracking error is below it.
    pub tracking_error_buffer: f64,
    /// `shrink_instrument_returns_correlation` (default 0.5): shrinkage toward the identity.
    pub shrink_instrument_returns_correlation: f64,
}

impl Default for SmallSystem {
    fn default() -> Self {
        Self {
            shadow_cost: 50.0,
            cost_multiplier: 1.0,
            tracking_error_buffer: 0.0125,
            shrink_instrument_returns_correlation: 0.5,
        }
    }
}

/// The positions a strategy trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Buffered positions of the classic system (pysystemtrade `runSystemClassic`,
    /// `orderGeneratorForBufferedPositions`).
    #[default]
    Classic,
    /// Dynamically optimised whole-contract positions (`run_dynamic_optimised_system`,
    /// `orderGeneratorForDynamicPositions`).
    DynamicOptimised,
}

/// `risk_overlay` (spec §3.7): each limit is a multiple of the vol target (leverage: absolute).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskOverlay {
    pub max_risk_fraction_normal_risk: f64,
    pub max_risk_fraction_stdev_risk: f64,
    pub max_risk_limit_sum_abs_risk: f64,
    pub max_risk_leverage: f64,
}

/// `duplicate_instruments`: group name → instruments. `exclude` entries leave the instrument list
/// and get a reduce-only override in production ([`SystemConfig::configured_overrides`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DuplicateInstruments {
    pub include: BTreeMap<String, Vec<InstrumentCode>>,
    pub exclude: BTreeMap<String, Vec<InstrumentCode>>,
}

impl DuplicateInstruments {
    /// All excluded instruments, flattened over groups (`get_duplicate_list_of_instruments_to_remove_from_config`).
    pub fn excluded(&self) -> Vec<InstrumentCode> {
        self.exclude.values().flatten().cloned().collect()
    }
}

/// `exclude_instrument_lists` (pysystemtrade's defaults list placeholder names only; defaults here are
/// empty). What each list does, as in pysystemtrade: [`SystemConfig::configured_overrides`] (the
/// production overrides place-orders and the optimised size-positions apply) and
/// [`SystemConfig::markets_not_trading_but_with_data`] (reduce-only in the optimised backtest).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExcludeInstrumentLists {
    /// Removed from the instrument list; a reduce-only override in production.
    pub ignore_instruments: Vec<InstrumentCode>,
    /// Kept in the instrument list (static weights unchanged, with a warning); a no-trading
    /// override in production; reduce-only in the optimised backtest.
    pub trading_restrictions: Vec<InstrumentCode>,
    /// Too expensive or illiquid: kept in the instrument list (with a warning); a reduce-only
    /// override in production; reduce-only in the optimised backtest.
    pub bad_markets: Vec<InstrumentCode>,
}

/// Forecast weights for one instrument, as [`SystemConfig::forecast_weights_for`] resolves them.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleWeights {
    /// rule variation name → weight (not normalised; as configured).
    pub weights: BTreeMap<String, f64>,
    /// True when `forecast_weights` is absent and these are equal 1/N weights over all rules
    /// (pysystemtrade warns in that case; so should the tool).
    pub equal_by_default: bool,
}

impl SystemConfig {
    /// The forecast floor: `forecast_floor` when configured, else −`forecast_cap`.
    pub fn forecast_floor(&self) -> f64 {
        self.forecast_floor.unwrap_or(-self.forecast_cap)
    }

    /// Fixed forecast scalar of a rule (spec §3.4): `trading_rules.<rule>.forecast_scalar`, else
    /// `forecast_scalars.<rule>`, else the global `forecast_scalar`.
    pub fn fixed_forecast_scalar(&self, rule: &str) -> f64 {
        self.trading_rules
            .get(rule)
            .and_then(|r| r.forecast_scalar)
            .or_else(|| self.forecast_scalars.get(rule).copied())
            .unwrap_or(self.forecast_scalar)
    }

    /// The fixed forecast weights an instrument uses (spec §3.5): the shared map, or the instrument's
    /// entry of a per-instrument map (an error if it has none, as in pysystemtrade), or equal weights
    /// over every trading rule when `forecast_weights` is absent.
    ///
    /// # Errors
    /// [`ConfigErrorKind::MissingInstrument`] for a per-instrument map without this instrument;
    /// [`ConfigErrorKind::Unsupported`] for auto-grouped weights.
    pub fn forecast_weights_for(
        &self,
        instrument: &InstrumentCode,
    ) -> Result<RuleWeights, ConfigError> {
        match &self.forecast_weights {
            None => {
                let n = self.trading_rules.len().max(1) as f64;
                Ok(RuleWeights {
                    weights: self
                        .trading_rules
                        .keys()
                        .map(|k| (k.clone(), 1.0 / n))
                        .collect(),
                    equal_by_default: true,
                })
            }
            Some(ForecastWeights::Shared(w)) => Ok(RuleWeights {
                weights: w.clone(),
                equal_by_default: false,
            }),
            Some(ForecastWeights::PerInstrument(m)) => match m.get(instrument) {
                Some(w) => Ok(RuleWeights {
                    weights: w.clone(),
                    equal_by_default: false,
                }),
                None => Err(ConfigError::new(
                    &self.source_name,
                    ConfigErrorKind::MissingInstrument,
                    Some("forecast_weights"),
                    0,
                    format!("forecast weights are given per instrument but not for {instrument}"),
                )),
            },
            Some(ForecastWeights::AutoGroup) => Err(self.auto_group_error()),
        }
    }

    /// The fixed forecast diversification multiplier of an instrument.
    ///
    /// # Errors
    /// [`ConfigErrorKind::MissingInstrument`] when it is given per instrument but not for this one.
    pub fn forecast_div_multiplier_for(
        &self,
        instrument: &InstrumentCode,
    ) -> Result<f64, ConfigError> {
        match &self.forecast_div_multiplier {
            DivMultiplier::Fixed(x) => Ok(*x),
            DivMultiplier::PerInstrument(m) => m.get(instrument).copied().ok_or_else(|| {
                ConfigError::new(
                    &self.source_name,
                    ConfigErrorKind::MissingInstrument,
                    Some("forecast_div_multiplier"),
                    0,
                    format!(
                        "the forecast diversification multiplier is given per instrument but not for {instrument}"
                    ),
                )
            }),
        }
    }

    /// Annual cash volatility target = `notional_trading_capital × percentage_vol_target / 100` (spec §3.6).
    pub fn annual_cash_vol_target(&self) -> f64 {
        self.notional_trading_capital * self.percentage_vol_target / 100.0
    }

    /// Fails with a clear message naming the key and the file if the config asks for something not
    /// implemented yet, in any stage ([`Self::check_supported_for`] with every stage). The tools
    /// that size positions call this before computing anything.
    ///
    /// # Errors
    /// [`ConfigErrorKind::Unsupported`] naming the first offending key.
    pub fn check_supported(&self) -> Result<(), ConfigError> {
        self.check_supported_for(crate::BACKTEST_STAGES)
    }

    /// [`Self::check_supported_for`] for the forecast stages only (rules to combined forecast), what
    /// `compute-forecasts` runs: the keys of the portfolio stage (estimated instrument weights,
    /// IDM) do not stop it.
    ///
    /// # Errors
    /// [`ConfigErrorKind::Unsupported`] naming the first offending key.
    pub fn check_supported_for_forecasts(&self) -> Result<(), ConfigError> {
        self.check_supported_for(crate::FORECAST_STAGES)
    }

    /// Fails with a clear message naming the key and the file when the config asks, in one of
    /// `stages`, for something systrade does not do (the refused rows of
    /// [`crate::keys::CONFIG_KEYS`]: estimated forecast weights, FDM, instrument weights or IDM,
    /// auto-grouped forecast weights, `base_config`, non-default
    /// risk-overlay correlations). A refused key of a stage not in `stages` does not stop it.
    ///
    /// # Errors
    /// [`ConfigErrorKind::Unsupported`] naming the first offending key.
    pub fn check_supported_for(&self, stages: &[crate::Stage]) -> Result<(), ConfigError> {
        self.first_refusal(stages, false)
    }

    /// [`Self::check_supported`] for `backtest`, which also implements estimation (issue 17):
    /// `use_*_estimates` do not stop it, values of the estimation blocks it does not implement do.
    ///
    /// # Errors
    /// [`ConfigErrorKind::Unsupported`] naming the first offending key.
    pub fn check_supported_in_backtest(&self) -> Result<(), ConfigError> {
        self.first_refusal(crate::BACKTEST_STAGES, true)
    }

    fn first_refusal(&self, stages: &[crate::Stage], backtest: bool) -> Result<(), ConfigError> {
        match self.refusals().into_iter().find(|r| {
            r.active && stages.contains(&r.stage) && !(backtest && r.implemented_in_backtest)
        }) {
            Some(r) => Err(ConfigError::new(
                &self.source_name,
                ConfigErrorKind::Unsupported,
                Some(&r.key),
                0,
                r.message,
            )),
            None => Ok(()),
        }
    }

    /// Every refusal the config can meet, whether it is set (`active`) and its stage; the refused
    /// rows of [`crate::keys::CONFIG_KEYS`] (the key-classification test checks they agree).
    pub fn refusals(&self) -> Vec<Refusal> {
        use crate::Stage::{Data, Forecasts, Positions};
        let r = |key: &str, stage, active, message: String| Refusal {
            key: key.to_string(),
            stage,
            active,
            message,
            implemented_in_backtest: false,
        };
        let estimated = |key: &str, stage, active, what: &str, fixed: &str| Refusal {
            key: key.to_string(),
            stage,
            active,
            message: format!(
                "{what} are estimated by backtest only; compute-forecasts and size-positions cannot use them yet: set it to false and give {fixed}"
            ),
            implemented_in_backtest: true,
        };
        let e = &self.estimation;
        let block = |key: &str, stage, on: bool, unsupported: Vec<String>| Refusal {
            key: key.to_string(),
            stage,
            active: on && !unsupported.is_empty(),
            message: format!("not implemented: {}", unsupported.join("; ")),
            implemented_in_backtest: false,
        };
        vec![
            block(
                "forecast_weight_estimate",
                Forecasts,
                self.use_forecast_weight_estimates,
                e.forecast_weight_estimate
                    .unsupported("forecast_weight_estimate", true),
            ),
            block(
                "forecast_correlation_estimate",
                Forecasts,
                self.use_forecast_div_mult_estimates,
                e.forecast_correlation_estimate
                    .unsupported("forecast_correlation_estimate", true),
            ),
            block(
                "forecast_div_mult_estimate",
                Forecasts,
                self.use_forecast_div_mult_estimates,
                e.forecast_div_mult_estimate
                    .unsupported("forecast_div_mult_estimate"),
            ),
            block(
                "instrument_weight_estimate",
                Positions,
                self.use_instrument_weight_estimates,
                e.instrument_weight_estimate
                    .unsupported("instrument_weight_estimate", false),
            ),
            block(
                "instrument_correlation_estimate",
                Positions,
                self.use_instrument_div_mult_estimates,
                e.instrument_correlation_estimate
                    .unsupported("instrument_correlation_estimate", false),
            ),
            block(
                "instrument_div_mult_estimate",
                Positions,
                self.use_instrument_div_mult_estimates,
                e.instrument_div_mult_estimate
                    .unsupported("instrument_div_mult_estimate"),
            ),
            r(
                "base_config",
                Data,
                self.base_config.is_some(),
                format!(
                    "loading another config first ('{}') is not supported; merge its keys into this file",
                    self.base_config.as_deref().unwrap_or_default()
                ),
            ),
            estimated(
                "use_forecast_weight_estimates",
                Forecasts,
                self.use_forecast_weight_estimates,
                "forecast weights",
                "fixed forecast_weights",
            ),
            estimated(
                "use_forecast_div_mult_estimates",
                Forecasts,
                self.use_forecast_div_mult_estimates,
                "forecast diversification multipliers",
                "a fixed forecast_div_multiplier",
            ),
            r(
                "forecast_post_ceiling_cost_SR",
                Forecasts,
                self.use_forecast_weight_estimates
                    && self.forecast_post_ceiling_cost_sr < DEFAULT_FORECAST_POST_CEILING_COST_SR,
                format!(
                    "dropping rules whose SR cost exceeds {} is implemented for fixed forecast weights only, not yet before estimating them (use_forecast_weight_estimates: true); remove one of the two",
                    self.forecast_post_ceiling_cost_sr
                ),
            ),
            r(
                "forecast_weights.auto_weight_from_grouping",
                Forecasts,
                self.forecast_weights == Some(ForecastWeights::AutoGroup),
                "auto-grouped forecast weights are not supported yet; give a flat or per-instrument map of weights".to_string(),
            ),
            estimated(
                "use_instrument_weight_estimates",
                Positions,
                self.use_instrument_weight_estimates,
                "instrument weights",
                "fixed instrument_weights (or none for equal weights)",
            ),
            estimated(
                "use_instrument_div_mult_estimates",
                Positions,
                self.use_instrument_div_mult_estimates,
                "instrument diversification multipliers",
                "a fixed instrument_div_multiplier",
            ),
            r(
                "instrument_returns_correlation",
                Positions,
                (self.risk_overlay.is_some() || self.strategy == Strategy::DynamicOptimised)
                    && !self.instrument_returns_correlation_changes.is_empty(),
                format!(
                    "the risk overlay's and the dynamic optimiser's correlations use pysystemtrade's default settings only; remove {}",
                    self.instrument_returns_correlation_changes.join(", ")
                ),
            ),
        ]
    }

    /// Fails when the config cannot drive a system at all: no trading rules (an empty or rule-less
    /// file), an empty `instruments` list, or `instrument_weights`/`forecast_weights` that are empty
    /// or hold no positive weight. Such a config would otherwise make every forecast file empty
    /// (issue 15). The message names the file and the key; the tools exit 4.
    ///
    /// # Errors
    /// [`ConfigErrorKind::Invalid`] naming the first offending key.
    pub fn check_usable(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| {
            Err(ConfigError::new(
                &self.source_name,
                ConfigErrorKind::Invalid,
                Some(key),
                0,
                message,
            ))
        };
        if self.trading_rules.is_empty() {
            return invalid(
                "trading_rules",
                "no trading rules are defined (is the file empty?): a system needs at least one"
                    .to_string(),
            );
        }
        if self.instruments.as_ref().is_some_and(Vec::is_empty) {
            return invalid("instruments", "the list is empty".to_string());
        }
        if let Some(w) = &self.instrument_weights
            && no_positive(w.values())
        {
            return invalid(
                "instrument_weights",
                "no instrument has a positive weight".to_string(),
            );
        }
        match &self.forecast_weights {
            Some(ForecastWeights::Shared(w)) if no_positive(w.values()) => {
                return invalid(
                    "forecast_weights",
                    "no trading rule has a positive weight".to_string(),
                );
            }
            Some(ForecastWeights::PerInstrument(m)) => {
                if m.is_empty() {
                    return invalid("forecast_weights", "no instrument has weights".to_string());
                }
                for (instrument, w) in m {
                    if no_positive(w.values()) {
                        return invalid(
                            &format!("forecast_weights.{instrument}"),
                            "no trading rule has a positive weight".to_string(),
                        );
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl SystemConfig {
    fn auto_group_error(&self) -> ConfigError {
        ConfigError::new(
            &self.source_name,
            ConfigErrorKind::Unsupported,
            Some("forecast_weights.auto_weight_from_grouping"),
            0,
            "auto-grouped forecast weights are not supported yet; give a flat or per-instrument map of weights",
        )
    }
}

/// One thing a config can ask for that systrade refuses ([`SystemConfig::refusals`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The key path named in the error.
    pub key: String,
    /// The stage whose tools refuse it.
    pub stage: crate::Stage,
    /// Whether this config sets it.
    pub active: bool,
    pub message: String,
    /// `backtest` implements it (estimation); only the production tools refuse it.
    pub implemented_in_backtest: bool,
}

/// True when none of the weights is positive (also for no weights at all).
fn no_positive<'a>(mut weights: impl Iterator<Item = &'a f64>) -> bool {
    !weights.any(|x| *x > 0.0)
}
