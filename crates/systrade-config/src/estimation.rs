//! The estimation blocks of pysystemtrade's config (issue 17): `forecast_weight_estimate`,
//! `instrument_weight_estimate`, `forecast_correlation_estimate`,
//! `instrument_correlation_estimate`, `forecast_div_mult_estimate`, `instrument_div_mult_estimate`
//! and `forecast_cost_estimates`, with pysystemtrade 1.80's defaults (`sysdata/config/defaults.yaml`).
//! A block given in a config is merged over its defaults key by key, as pysystemtrade merges
//! nested config dicts.
//!
//! [`WeightEstimate::unsupported`] and friends list the values systrade does not implement (another
//! estimator `func`, `method: bootstrap`, `using_exponent: false`, a frequency other than `W`, a
//! `ceiling_cost_SR` that could drop rules); the tools refuse them while the estimate is used.

/// The last component of a dotted Python name (`a.b.c` → `c`).
fn short(func: &str) -> &str {
    func.rsplit('.').next().unwrap_or(func)
}

/// One exponentially weighted estimator inside a weight estimate (`correlation_estimate`,
/// `mean_estimate`, `vol_estimate`).
#[derive(Debug, Clone, PartialEq)]
pub struct EstimatorConfig {
    pub func: String,
    pub using_exponent: bool,
    pub ew_lookback: f64,
    pub min_periods: usize,
    /// Correlations only: clean the matrix of assets without data.
    pub cleaning: bool,
    /// Correlations only.
    pub floor_at_zero: bool,
    /// Correlations only: the value cleaning gives missing pairs (default 0.99).
    pub offdiag: f64,
    /// Correlations only: clip the correlations to ±clip.
    pub clip: Option<f64>,
}

impl EstimatorConfig {
    fn new(func: &str, ew_lookback: f64, min_periods: usize) -> Self {
        Self {
            func: func.to_string(),
            using_exponent: true,
            ew_lookback,
            min_periods,
            cleaning: false,
            floor_at_zero: false,
            offdiag: 0.99,
            clip: None,
        }
    }

    fn unsupported(&self, path: &str, default_func: &str, out: &mut Vec<String>) {
        if short(&self.func) != short(default_func) {
            out.push(format!(
                "{path}.func: {} (only {} is implemented)",
                self.func,
                short(default_func)
            ));
        }
        if !self.using_exponent {
            out.push(format!(
                "{path}.using_exponent: false (only the exponentially weighted estimate is implemented)"
            ));
        }
    }
}

pub const GENERIC_OPTIMISER: &str = "sysquant.optimisation.generic_optimiser.genericOptimiser";
const CORRELATION_ESTIMATOR: &str =
    "sysquant.estimators.correlation_estimator.correlationEstimator";
const MEAN_ESTIMATOR: &str = "sysquant.estimators.mean_estimator.meanEstimator";
const STDEV_ESTIMATOR: &str = "sysquant.estimators.stdev_estimator.stdevEstimator";
const POOLED_CORRELATION: &str =
    "sysquant.estimators.pooled_correlation.pooled_correlation_estimator";
const CORRELATION_OVER_TIME: &str =
    "sysquant.estimators.correlation_over_time.correlation_over_time_for_returns";
const DM_FROM_LIST: &str =
    "sysquant.estimators.diversification_multipliers.diversification_multiplier_from_list";

/// `forecast_weight_estimate` / `instrument_weight_estimate`.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightEstimate {
    pub func: String,
    /// `handcraft`, `equal_weights`, `one_period` or `shrinkage` (`bootstrap` is refused).
    pub method: String,
    pub date_method: String,
    pub rollyears: usize,
    /// The returns' frequency (`W`).
    pub frequency: String,
    /// Re-estimation interval (`12M`).
    pub interval_frequency: String,
    pub pool_gross_returns: bool,
    pub equalise_gross: bool,
    pub cost_multiplier: f64,
    pub apply_cost_weight: bool,
    /// `ceiling_cost_SR` (forecast weights: rules costing more are not fitted).
    pub ceiling_cost_sr: f64,
    pub cleaning: bool,
    pub equalise_sr: bool,
    pub equalise_vols: bool,
    pub ann_target_sr: f64,
    pub shrinkage_sr: f64,
    pub shrinkage_corr: f64,
    pub correlation_estimate: EstimatorConfig,
    pub mean_estimate: EstimatorConfig,
    pub vol_estimate: EstimatorConfig,
}

/// The default `ceiling_cost_SR` of `forecast_weight_estimate` (no rule is dropped).
pub const DEFAULT_CEILING_COST_SR: f64 = 9999.0;

impl WeightEstimate {
    /// `forecast_weight_estimate` in defaults.yaml.
    pub fn forecast_default() -> Self {
        Self {
            func: GENERIC_OPTIMISER.to_string(),
            method: "handcraft".into(),
            date_method: "expanding".into(),
            rollyears: 20,
            frequency: "W".into(),
            interval_frequency: "12M".into(),
            pool_gross_returns: true,
            equalise_gross: false,
            cost_multiplier: 2.0,
            apply_cost_weight: false,
            ceiling_cost_sr: DEFAULT_CEILING_COST_SR,
            cleaning: true,
            equalise_sr: false,
            equalise_vols: true,
            ann_target_sr: 0.5,
            shrinkage_sr: 0.9,
            shrinkage_corr: 0.5,
            correlation_estimate: EstimatorConfig::new(CORRELATION_ESTIMATOR, 50_000.0, 10),
            mean_estimate: EstimatorConfig::new(MEAN_ESTIMATOR, 50_000.0, 5),
            vol_estimate: EstimatorConfig::new(STDEV_ESTIMATOR, 50_000.0, 5),
        }
    }

    /// `instrument_weight_estimate` in defaults.yaml (`pool_gross_returns` and `ceiling_cost_SR`
    /// do not apply: the subsystems are one unpooled set of returns).
    pub fn instrument_default() -> Self {
        let mut e = Self::forecast_default();
        e.cost_multiplier = 1.0;
        e.equalise_sr = true;
        e.correlation_estimate.ew_lookback = 500_000.0;
        e.correlation_estimate.floor_at_zero = true;
        e
    }

    /// The values of this block systrade does not implement, as `key: value (why)` texts.
    pub fn unsupported(&self, path: &str, forecasts: bool) -> Vec<String> {
        let mut out = Vec::new();
        if short(&self.func) != short(GENERIC_OPTIMISER) {
            out.push(format!(
                "{path}.func: {} (only genericOptimiser is implemented)",
                self.func
            ));
        }
        match self.method.as_str() {
            "handcraft" | "equal_weights" | "one_period" | "shrinkage" => {}
            other => out.push(format!(
                "{path}.method: {other} (implemented: handcraft, equal_weights, one_period, shrinkage)"
            )),
        }
        if self.method == "handcraft" && !self.equalise_vols {
            out.push(format!(
                "{path}.equalise_vols: false (handcraft needs equalised vols, as in pysystemtrade)"
            ));
        }
        if !matches!(
            self.date_method.as_str(),
            "expanding" | "rolling" | "in_sample"
        ) {
            out.push(format!(
                "{path}.date_method: {} (expected expanding, rolling or in_sample)",
                self.date_method
            ));
        }
        if self.frequency != "W" {
            out.push(format!(
                "{path}.frequency: {} (only weekly returns, W, are implemented)",
                self.frequency
            ));
        }
        if forecasts && self.ceiling_cost_sr < DEFAULT_CEILING_COST_SR {
            out.push(format!(
                "{path}.ceiling_cost_SR: {} (dropping rules above a cost ceiling is not implemented yet; pysystemtrade's default 9999 drops none)",
                self.ceiling_cost_sr
            ));
        }
        self.correlation_estimate.unsupported(
            &format!("{path}.correlation_estimate"),
            CORRELATION_ESTIMATOR,
            &mut out,
        );
        self.mean_estimate
            .unsupported(&format!("{path}.mean_estimate"), MEAN_ESTIMATOR, &mut out);
        self.vol_estimate
            .unsupported(&format!("{path}.vol_estimate"), STDEV_ESTIMATOR, &mut out);
        out
    }
}

/// `forecast_correlation_estimate` / `instrument_correlation_estimate`: correlations over time
/// for the diversification multiplier.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationEstimate {
    pub func: String,
    /// Forecasts only: pool the instruments with the same rules.
    pub pool_instruments: bool,
    pub frequency: String,
    /// `forward_fill_data` (forecasts) / `forward_fill_price_index` (instruments).
    pub forward_fill: bool,
    pub date_method: String,
    pub rollyears: usize,
    pub interval_frequency: String,
    pub estimator: EstimatorConfig,
}

impl CorrelationEstimate {
    /// `forecast_correlation_estimate` in defaults.yaml.
    pub fn forecast_default() -> Self {
        let mut estimator = EstimatorConfig::new(POOLED_CORRELATION, 250.0, 20);
        estimator.cleaning = true;
        estimator.floor_at_zero = true;
        Self {
            func: POOLED_CORRELATION.to_string(),
            pool_instruments: true,
            frequency: "W".into(),
            forward_fill: true,
            date_method: "expanding".into(),
            rollyears: 20,
            interval_frequency: "12M".into(),
            estimator,
        }
    }

    /// `instrument_correlation_estimate` in defaults.yaml.
    pub fn instrument_default() -> Self {
        let mut e = Self::forecast_default();
        e.func = CORRELATION_OVER_TIME.to_string();
        e.estimator.func = CORRELATION_OVER_TIME.to_string();
        e.estimator.ew_lookback = 25.0;
        e
    }

    /// The values of this block systrade does not implement.
    pub fn unsupported(&self, path: &str, forecasts: bool) -> Vec<String> {
        let mut out = Vec::new();
        let expected = if forecasts {
            POOLED_CORRELATION
        } else {
            CORRELATION_OVER_TIME
        };
        if short(&self.func) != short(expected) {
            out.push(format!(
                "{path}.func: {} (only {} is implemented)",
                self.func,
                short(expected)
            ));
        }
        if !self.estimator.using_exponent {
            out.push(format!(
                "{path}.using_exponent: false (only the exponentially weighted estimate is implemented)"
            ));
        }
        if self.frequency != "W" {
            out.push(format!(
                "{path}.frequency: {} (only weekly, W, is implemented)",
                self.frequency
            ));
        }
        if !matches!(
            self.date_method.as_str(),
            "expanding" | "rolling" | "in_sample"
        ) {
            out.push(format!(
                "{path}.date_method: {} (expected expanding, rolling or in_sample)",
                self.date_method
            ));
        }
        out
    }
}

/// `forecast_div_mult_estimate` / `instrument_div_mult_estimate`.
#[derive(Debug, Clone, PartialEq)]
pub struct DivMultEstimate {
    pub func: String,
    pub ewma_span: f64,
    pub dm_max: f64,
}

impl Default for DivMultEstimate {
    fn default() -> Self {
        Self {
            func: DM_FROM_LIST.to_string(),
            ewma_span: 125.0,
            dm_max: 2.5,
        }
    }
}

impl DivMultEstimate {
    /// The values of this block systrade does not implement.
    pub fn unsupported(&self, path: &str) -> Vec<String> {
        if short(&self.func) == short(DM_FROM_LIST) {
            Vec::new()
        } else {
            vec![format!(
                "{path}.func: {} (only diversification_multiplier_from_list is implemented)",
                self.func
            )]
        }
    }
}

/// `forecast_cost_estimates`: how a rule's SR cost is pooled across instruments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForecastCostEstimates {
    pub use_pooled_costs: bool,
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

/// Every estimation block of a config.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimation {
    pub forecast_weight_estimate: WeightEstimate,
    pub instrument_weight_estimate: WeightEstimate,
    pub forecast_correlation_estimate: CorrelationEstimate,
    pub instrument_correlation_estimate: CorrelationEstimate,
    pub forecast_div_mult_estimate: DivMultEstimate,
    pub instrument_div_mult_estimate: DivMultEstimate,
    pub forecast_cost_estimates: ForecastCostEstimates,
}

impl Default for Estimation {
    fn default() -> Self {
        Self {
            forecast_weight_estimate: WeightEstimate::forecast_default(),
            instrument_weight_estimate: WeightEstimate::instrument_default(),
            forecast_correlation_estimate: CorrelationEstimate::forecast_default(),
            instrument_correlation_estimate: CorrelationEstimate::instrument_default(),
            forecast_div_mult_estimate: DivMultEstimate::default(),
            instrument_div_mult_estimate: DivMultEstimate::default(),
            forecast_cost_estimates: ForecastCostEstimates::default(),
        }
    }
}
