//! Walks the YAML tree into a [`SystemConfig`], filling pysystemtrade v1.80 defaults, checking types and
//! ranges, and collecting warnings for keys it does not know.
//!
//! Like pysystemtrade's `fill_config_dict_with_defaults`, a key whose value is null counts as absent.

use crate::error::{ConfigError, ConfigErrorKind, Warning};
use crate::estimation::{
    CorrelationEstimate, DivMultEstimate, Estimation, EstimatorConfig, WeightEstimate,
};
use crate::keys::{CONFIG_KEYS, classify};
use crate::types::*;
use crate::yaml::{Node, Value};
use std::collections::BTreeMap;
use systrade_model::InstrumentCode;

type Entries = [(String, Node)];

pub(crate) struct Reader<'a> {
    source: &'a str,
    pub(crate) warnings: Vec<Warning>,
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// The value of `key` in a mapping, `None` when absent or null.
fn get<'n>(entries: &'n Entries, key: &str) -> Option<&'n Node> {
    entries
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

impl<'a> Reader<'a> {
    pub(crate) fn new(source: &'a str) -> Self {
        Self {
            source,
            warnings: Vec::new(),
        }
    }

    fn error(
        &self,
        kind: ConfigErrorKind,
        key: &str,
        node: &Node,
        msg: impl Into<String>,
    ) -> ConfigError {
        ConfigError::new(self.source, kind, Some(key), node.line, msg)
    }

    fn invalid(&self, key: &str, node: &Node, msg: impl Into<String>) -> ConfigError {
        self.error(ConfigErrorKind::Invalid, key, node, msg)
    }

    fn expected(&self, key: &str, node: &Node, what: &str) -> ConfigError {
        self.invalid(
            key,
            node,
            format!("expected {what}, found {}", node.value.describe()),
        )
    }

    fn warn(&mut self, key: &str, line: u64, msg: impl Into<String>) {
        self.warnings.push(Warning {
            source_name: self.source.to_string(),
            key: key.to_string(),
            line: (line > 0).then_some(line),
            message: msg.into(),
        });
    }

    /// Warns about every key of `entries` not in `known`.
    fn check_keys(&mut self, path: &str, entries: &Entries, known: &[&str]) {
        for (k, v) in entries {
            if !known.contains(&k.as_str()) {
                let msg = format!("unknown key, ignored (known here: {})", known.join(", "));
                self.warn(&join(path, k), v.line, msg);
            }
        }
    }

    // ---- typed accessors -------------------------------------------------------------------

    fn number(&self, key: &str, node: &Node) -> Result<f64, ConfigError> {
        let x = match &node.value {
            Value::Int(i) => *i as f64,
            Value::Float(x) => *x,
            _ => return Err(self.expected(key, node, "a number")),
        };
        if x.is_finite() {
            Ok(x)
        } else {
            Err(self.invalid(key, node, format!("expected a finite number, found {x}")))
        }
    }

    fn positive(&self, key: &str, node: &Node) -> Result<f64, ConfigError> {
        let x = self.number(key, node)?;
        if x > 0.0 {
            Ok(x)
        } else {
            Err(self.invalid(key, node, format!("must be greater than 0, found {x}")))
        }
    }

    fn non_negative(&self, key: &str, node: &Node) -> Result<f64, ConfigError> {
        let x = self.number(key, node)?;
        if x >= 0.0 {
            Ok(x)
        } else {
            Err(self.invalid(key, node, format!("must not be negative, found {x}")))
        }
    }

    fn fraction(&self, key: &str, node: &Node) -> Result<f64, ConfigError> {
        let x = self.number(key, node)?;
        if (0.0..=1.0).contains(&x) {
            Ok(x)
        } else {
            Err(self.invalid(key, node, format!("must be between 0 and 1, found {x}")))
        }
    }

    /// A whole number ≥ `min` (a float such as `125.0` is accepted when whole).
    fn count(&self, key: &str, node: &Node, min: usize) -> Result<usize, ConfigError> {
        let n = match &node.value {
            Value::Int(i) => *i,
            Value::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => *x as i64,
            _ => return Err(self.expected(key, node, "a whole number")),
        };
        match usize::try_from(n) {
            Ok(u) if u >= min => Ok(u),
            _ => Err(self.invalid(
                key,
                node,
                format!("must be a whole number of at least {min}, found {n}"),
            )),
        }
    }

    /// A boolean; also PyYAML's YAML 1.1 spellings (`yes`/`no`/`on`/`off`, any case) given as text.
    fn boolean(&self, key: &str, node: &Node) -> Result<bool, ConfigError> {
        match &node.value {
            Value::Bool(b) => Ok(*b),
            Value::Str(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "on" => Ok(true),
                "false" | "no" | "n" | "off" => Ok(false),
                _ => Err(self.expected(key, node, "true or false")),
            },
            _ => Err(self.expected(key, node, "true or false")),
        }
    }

    fn text(&self, key: &str, node: &Node) -> Result<String, ConfigError> {
        match &node.value {
            Value::Str(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            _ => Err(self.expected(key, node, "a non-empty text")),
        }
    }

    fn map<'n>(&self, key: &str, node: &'n Node) -> Result<&'n Entries, ConfigError> {
        match &node.value {
            Value::Map(m) => Ok(m),
            Value::Null => Ok(&[]),
            _ => Err(self.expected(key, node, "a mapping of keys to values")),
        }
    }

    fn instrument(
        &self,
        key: &str,
        node: &Node,
        code: &str,
    ) -> Result<InstrumentCode, ConfigError> {
        InstrumentCode::new(code.trim()).map_err(|e| self.invalid(key, node, e.to_string()))
    }

    /// Items of a list; a single scalar is a one-item list; null is empty.
    fn items(node: &Node) -> Vec<&Node> {
        match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Null => Vec::new(),
            _ => vec![node],
        }
    }

    fn text_list(&self, key: &str, node: &Node) -> Result<Vec<String>, ConfigError> {
        Self::items(node)
            .into_iter()
            .enumerate()
            .map(|(i, item)| self.text(&format!("{key}[{i}]"), item))
            .collect()
    }

    fn instrument_list(&self, key: &str, node: &Node) -> Result<Vec<InstrumentCode>, ConfigError> {
        Self::items(node)
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let k = format!("{key}[{i}]");
                let code = self.text(&k, item)?;
                self.instrument(&k, item, &code)
            })
            .collect()
    }

    // ---- the whole document ----------------------------------------------------------------

    pub(crate) fn read(&mut self, root: &Node) -> Result<SystemConfig, ConfigError> {
        let top = match &root.value {
            Value::Map(m) => m.as_slice(),
            Value::Null => &[],
            _ => {
                return Err(ConfigError::new(
                    self.source,
                    ConfigErrorKind::Invalid,
                    None,
                    root.line,
                    format!(
                        "the config must be a mapping of keys to values, found {}",
                        root.value.describe()
                    ),
                ));
            }
        };
        for (k, v) in top {
            if classify(k).is_none() {
                let near = suggestion(k);
                self.warn(k, v.line, format!("unknown key, ignored{near}"));
            }
        }

        let mut c = SystemConfig {
            source_name: self.source.to_string(),
            volatility_calculation: VolatilityCalculation::default(),
            trading_rules: BTreeMap::new(),
            forecast_scalars: BTreeMap::new(),
            forecast_scalar: 1.0,
            use_forecast_scale_estimates: false,
            forecast_scalar_estimate: ForecastScalarEstimate::default(),
            forecast_cap: 20.0,
            forecast_floor: None,
            average_absolute_forecast: 10.0,
            forecast_weights: None,
            forecast_weight_ewma_span: 125,
            use_forecast_weight_estimates: false,
            forecast_div_multiplier: DivMultiplier::Fixed(1.0),
            use_forecast_div_mult_estimates: false,
            forecast_mapping: BTreeMap::new(),
            rule_variations: None,
            percentage_vol_target: 16.0,
            notional_trading_capital: 1_000_000.0,
            base_currency: "USD".to_string(),
            long_only_instruments: Vec::new(),
            use_attenuation: Vec::new(),
            instruments: None,
            instrument_weights: None,
            instrument_weight_ewma_span: 125,
            use_instrument_weight_estimates: false,
            instrument_div_multiplier: 1.0,
            use_instrument_div_mult_estimates: false,
            allocate_zero_instrument_weights_to_these_instruments: Vec::new(),
            duplicate_instruments: DuplicateInstruments::default(),
            exclude_instrument_lists: ExcludeInstrumentLists::default(),
            risk_overlay: None,
            small_system: SmallSystem::default(),
            strategy: Strategy::Classic,
            capital_multiplier: CapitalMultiplier::FixedCapital,
            buffer_method: BufferMethod::Forecast,
            buffer_size: 0.1,
            buffer_trade_to_edge: true,
            use_sr_costs: false,
            vol_normalise_currency_costs: true,
            multiply_roll_costs_by: 0.5,
            base_config: None,
            start_date: None,
            forecast_post_ceiling_cost_sr: DEFAULT_FORECAST_POST_CEILING_COST_SR,
            forecast_cost_estimates: ForecastCostEstimates::default(),
            instrument_returns_correlation_changes: Vec::new(),
            estimation: Estimation::default(),
        };

        // Scalars first, in the order of the spec's sections.
        if let Some(n) = get(top, "volatility_calculation") {
            c.volatility_calculation = self.volatility_calculation(n)?;
        }
        if let Some(n) = get(top, "trading_rules") {
            c.trading_rules = self.trading_rules(n)?;
        }
        let rules: Vec<String> = c.trading_rules.keys().cloned().collect();

        if let Some(n) = get(top, "forecast_scalars") {
            for (rule, v) in self.map("forecast_scalars", n)? {
                let key = join("forecast_scalars", rule);
                let x = self.positive(&key, v)?;
                if !rules.contains(rule) {
                    self.warn(
                        &key,
                        v.line,
                        format!("no trading rule '{rule}' in trading_rules; scalar unused"),
                    );
                }
                c.forecast_scalars.insert(rule.clone(), x);
            }
        }
        if let Some(n) = get(top, "forecast_scalar") {
            c.forecast_scalar = self.positive("forecast_scalar", n)?;
        }
        if let Some(n) = get(top, "use_forecast_scale_estimates") {
            c.use_forecast_scale_estimates = self.boolean("use_forecast_scale_estimates", n)?;
        }
        if let Some(n) = get(top, "forecast_scalar_estimate") {
            c.forecast_scalar_estimate = self.forecast_scalar_estimate(n)?;
        }
        if let Some(n) = get(top, "forecast_cap") {
            c.forecast_cap = self.positive("forecast_cap", n)?;
        }
        if let Some(n) = get(top, "forecast_floor") {
            let floor = self.number("forecast_floor", n)?;
            if floor >= c.forecast_cap {
                return Err(self.invalid(
                    "forecast_floor",
                    n,
                    format!(
                        "must be below forecast_cap ({}), found {floor}",
                        c.forecast_cap
                    ),
                ));
            }
            c.forecast_floor = Some(floor);
        }
        if let Some(n) = get(top, "average_absolute_forecast") {
            c.average_absolute_forecast = self.positive("average_absolute_forecast", n)?;
        }

        if let Some(n) = get(top, "forecast_weights") {
            c.forecast_weights = Some(self.forecast_weights(n, &rules)?);
        }
        if let Some(n) = get(top, "forecast_weight_ewma_span") {
            c.forecast_weight_ewma_span = self.count("forecast_weight_ewma_span", n, 1)?;
        }
        if let Some(n) = get(top, "use_forecast_weight_estimates") {
            c.use_forecast_weight_estimates = self.boolean("use_forecast_weight_estimates", n)?;
        }
        if let Some(n) = get(top, "forecast_div_multiplier") {
            c.forecast_div_multiplier = self.div_multiplier("forecast_div_multiplier", n)?;
        }
        if let Some(n) = get(top, "use_forecast_div_mult_estimates") {
            c.use_forecast_div_mult_estimates =
                self.boolean("use_forecast_div_mult_estimates", n)?;
        }
        if let Some(n) = get(top, "forecast_mapping") {
            c.forecast_mapping = self.forecast_mapping(n)?;
        }
        if let Some(n) = get(top, "rule_variations") {
            c.rule_variations = Some(self.rule_variations(n, &rules)?);
        }

        if let Some(n) = get(top, "percentage_vol_target") {
            c.percentage_vol_target = self.positive("percentage_vol_target", n)?;
        }
        if let Some(n) = get(top, "notional_trading_capital") {
            c.notional_trading_capital = self.positive("notional_trading_capital", n)?;
        }
        if let Some(n) = get(top, "base_currency") {
            let ccy = self.text("base_currency", n)?;
            if ccy.len() != 3 || !ccy.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(self.invalid(
                    "base_currency",
                    n,
                    format!("expected a three-letter currency code such as USD, found '{ccy}'"),
                ));
            }
            c.base_currency = ccy.to_ascii_uppercase();
        }
        if let Some(n) = get(top, "long_only_instruments") {
            c.long_only_instruments = self.instrument_list("long_only_instruments", n)?;
        }
        if let Some(n) = get(top, "use_attenuation") {
            c.use_attenuation = self.text_list("use_attenuation", n)?;
        }

        if let Some(n) = get(top, "instruments") {
            c.instruments = Some(self.instrument_list("instruments", n)?);
        }
        if let Some(n) = get(top, "instrument_weights") {
            c.instrument_weights = Some(self.instrument_weights(n)?);
        }
        if let Some(n) = get(top, "instrument_weight_ewma_span") {
            c.instrument_weight_ewma_span = self.count("instrument_weight_ewma_span", n, 1)?;
        }
        if let Some(n) = get(top, "use_instrument_weight_estimates") {
            c.use_instrument_weight_estimates =
                self.boolean("use_instrument_weight_estimates", n)?;
        }
        if let Some(n) = get(top, "instrument_div_multiplier") {
            c.instrument_div_multiplier = self.positive("instrument_div_multiplier", n)?;
        }
        if let Some(n) = get(top, "use_instrument_div_mult_estimates") {
            c.use_instrument_div_mult_estimates =
                self.boolean("use_instrument_div_mult_estimates", n)?;
        }
        if let Some(n) = get(top, "allocate_zero_instrument_weights_to_these_instruments") {
            c.allocate_zero_instrument_weights_to_these_instruments =
                self.instrument_list("allocate_zero_instrument_weights_to_these_instruments", n)?;
        }
        if let Some(n) = get(top, "duplicate_instruments") {
            c.duplicate_instruments = self.duplicate_instruments(n)?;
        }
        if let Some(n) = get(top, "exclude_instrument_lists") {
            c.exclude_instrument_lists = self.exclude_instrument_lists(n)?;
        }
        if let Some(n) = get(top, "risk_overlay") {
            c.risk_overlay = self.risk_overlay(n)?;
        }
        if let Some(n) = get(top, "small_system") {
            c.small_system = self.small_system(n)?;
        }
        if let Some(n) = get(top, "strategy_list") {
            c.strategy = strategy_of(n);
        }
        if let Some(n) = get(top, "capital_multiplier") {
            c.capital_multiplier = self.capital_multiplier(n)?;
        }
        if let Some(n) = get(top, "buffer_method") {
            c.buffer_method = match &n.value {
                Value::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                    "forecast" => BufferMethod::Forecast,
                    "position" => BufferMethod::Position,
                    "none" => BufferMethod::None,
                    other => {
                        return Err(self.invalid(
                            "buffer_method",
                            n,
                            format!("expected forecast, position or none, found '{other}'"),
                        ));
                    }
                },
                _ => return Err(self.expected("buffer_method", n, "forecast, position or none")),
            };
        }
        if let Some(n) = get(top, "buffer_size") {
            c.buffer_size = self.non_negative("buffer_size", n)?;
        }
        if let Some(n) = get(top, "buffer_trade_to_edge") {
            c.buffer_trade_to_edge = self.boolean("buffer_trade_to_edge", n)?;
        }
        if let Some(n) = get(top, "use_SR_costs") {
            c.use_sr_costs = self.boolean("use_SR_costs", n)?;
        }
        if let Some(n) = get(top, "vol_normalise_currency_costs") {
            c.vol_normalise_currency_costs = self.boolean("vol_normalise_currency_costs", n)?;
        }
        if let Some(n) = get(top, "multiply_roll_costs_by") {
            c.multiply_roll_costs_by = self.non_negative("multiply_roll_costs_by", n)?;
        }
        if let Some(n) = get(top, "base_config") {
            c.base_config = Some(self.text("base_config", n)?);
        }
        if let Some(n) = get(top, "start_date") {
            c.start_date = Some(self.start_date(n)?);
        }
        if let Some(n) = get(top, "forecast_post_ceiling_cost_SR") {
            c.forecast_post_ceiling_cost_sr = self.positive("forecast_post_ceiling_cost_SR", n)?;
        }
        if let Some(n) = get(top, "forecast_cost_estimates") {
            c.forecast_cost_estimates = self.forecast_cost_estimates(n)?;
        }
        if let Some(n) = get(top, "instrument_returns_correlation") {
            c.instrument_returns_correlation_changes = self.instrument_returns_correlation(n)?;
        }
        self.estimation(top, &mut c.estimation)?;
        Ok(c)
    }

    // ---- estimation blocks (issue 17) --------------------------------------------------------

    /// Every estimation block present in `top`, merged over its defaults.
    fn estimation(&mut self, top: &Entries, e: &mut Estimation) -> Result<(), ConfigError> {
        if let Some(n) = get(top, "forecast_weight_estimate") {
            e.forecast_weight_estimate = self.weight_estimate(
                "forecast_weight_estimate",
                n,
                WeightEstimate::forecast_default(),
            )?;
        }
        if let Some(n) = get(top, "instrument_weight_estimate") {
            e.instrument_weight_estimate = self.weight_estimate(
                "instrument_weight_estimate",
                n,
                WeightEstimate::instrument_default(),
            )?;
        }
        if let Some(n) = get(top, "forecast_correlation_estimate") {
            e.forecast_correlation_estimate = self.correlation_estimate(
                "forecast_correlation_estimate",
                n,
                CorrelationEstimate::forecast_default(),
            )?;
        }
        if let Some(n) = get(top, "instrument_correlation_estimate") {
            e.instrument_correlation_estimate = self.correlation_estimate(
                "instrument_correlation_estimate",
                n,
                CorrelationEstimate::instrument_default(),
            )?;
        }
        if let Some(n) = get(top, "forecast_div_mult_estimate") {
            e.forecast_div_mult_estimate =
                self.div_mult_estimate("forecast_div_mult_estimate", n)?;
        }
        if let Some(n) = get(top, "instrument_div_mult_estimate") {
            e.instrument_div_mult_estimate =
                self.div_mult_estimate("instrument_div_mult_estimate", n)?;
        }
        if let Some(n) = get(top, "forecast_cost_estimates") {
            const P: &str = "forecast_cost_estimates";
            let m = self.map(P, n)?;
            self.check_keys(P, m, &["use_pooled_costs", "use_pooled_turnover"]);
            if let Some(v) = get(m, "use_pooled_costs") {
                e.forecast_cost_estimates.use_pooled_costs =
                    self.boolean(&join(P, "use_pooled_costs"), v)?;
            }
            if let Some(v) = get(m, "use_pooled_turnover") {
                e.forecast_cost_estimates.use_pooled_turnover =
                    self.boolean(&join(P, "use_pooled_turnover"), v)?;
            }
        }
        Ok(())
    }

    fn weight_estimate(
        &mut self,
        path: &str,
        node: &Node,
        mut e: WeightEstimate,
    ) -> Result<WeightEstimate, ConfigError> {
        let m = self.map(path, node)?;
        self.check_keys(
            path,
            m,
            &[
                "func",
                "method",
                "date_method",
                "rollyears",
                "frequency",
                "interval_frequency",
                "pool_gross_returns",
                "equalise_gross",
                "cost_multiplier",
                "apply_cost_weight",
                "ceiling_cost_SR",
                "cleaning",
                "equalise_SR",
                "equalise_vols",
                "ann_target_SR",
                "shrinkage_SR",
                "shrinkage_corr",
                "correlation_estimate",
                "mean_estimate",
                "vol_estimate",
                // read only by method bootstrap, which is refused
                "monte_runs",
                "bootstrap_length",
                "shrinkage_mean",
            ],
        );
        let key = |k: &str| join(path, k);
        for (k, v) in m {
            match k.as_str() {
                "func" => e.func = self.text(&key(k), v)?,
                "method" => e.method = self.text(&key(k), v)?,
                "date_method" => e.date_method = self.text(&key(k), v)?,
                "rollyears" => e.rollyears = self.count(&key(k), v, 1)?,
                "frequency" => e.frequency = self.text(&key(k), v)?,
                "interval_frequency" => e.interval_frequency = self.text(&key(k), v)?,
                "pool_gross_returns" => e.pool_gross_returns = self.boolean(&key(k), v)?,
                "equalise_gross" => e.equalise_gross = self.boolean(&key(k), v)?,
                "cost_multiplier" => e.cost_multiplier = self.non_negative(&key(k), v)?,
                "apply_cost_weight" => e.apply_cost_weight = self.boolean(&key(k), v)?,
                "ceiling_cost_SR" => e.ceiling_cost_sr = self.number(&key(k), v)?,
                "cleaning" => e.cleaning = self.boolean(&key(k), v)?,
                "equalise_SR" => e.equalise_sr = self.boolean(&key(k), v)?,
                "equalise_vols" => e.equalise_vols = self.boolean(&key(k), v)?,
                "ann_target_SR" => e.ann_target_sr = self.number(&key(k), v)?,
                "shrinkage_SR" => e.shrinkage_sr = self.fraction(&key(k), v)?,
                "shrinkage_corr" => e.shrinkage_corr = self.fraction(&key(k), v)?,
                "correlation_estimate" => {
                    e.correlation_estimate =
                        self.estimator(&key(k), v, e.correlation_estimate.clone())?;
                }
                "mean_estimate" => {
                    e.mean_estimate = self.estimator(&key(k), v, e.mean_estimate.clone())?;
                }
                "vol_estimate" => {
                    e.vol_estimate = self.estimator(&key(k), v, e.vol_estimate.clone())?;
                }
                _ => {}
            }
        }
        Ok(e)
    }

    /// An estimator's settings; `func` and the exponential/correlation keys.
    fn estimator(
        &mut self,
        path: &str,
        node: &Node,
        mut e: EstimatorConfig,
    ) -> Result<EstimatorConfig, ConfigError> {
        let m = self.map(path, node)?;
        self.check_keys(
            path,
            m,
            &[
                "func",
                "using_exponent",
                "ew_lookback",
                "min_periods",
                "cleaning",
                "floor_at_zero",
                "offdiag",
                "clip",
            ],
        );
        self.estimator_entries(path, m, &mut e)?;
        Ok(e)
    }

    fn estimator_entries(
        &mut self,
        path: &str,
        m: &Entries,
        e: &mut EstimatorConfig,
    ) -> Result<(), ConfigError> {
        let key = |k: &str| join(path, k);
        for (k, v) in m {
            match k.as_str() {
                "func" => e.func = self.text(&key(k), v)?,
                "using_exponent" => e.using_exponent = self.boolean(&key(k), v)?,
                "ew_lookback" => e.ew_lookback = self.positive(&key(k), v)?,
                "min_periods" => e.min_periods = self.count(&key(k), v, 0)?,
                "cleaning" => e.cleaning = self.boolean(&key(k), v)?,
                "floor_at_zero" => e.floor_at_zero = self.boolean(&key(k), v)?,
                "offdiag" => e.offdiag = self.number(&key(k), v)?,
                "clip" => e.clip = Some(self.positive(&key(k), v)?),
                _ => {}
            }
        }
        Ok(())
    }

    fn correlation_estimate(
        &mut self,
        path: &str,
        node: &Node,
        mut e: CorrelationEstimate,
    ) -> Result<CorrelationEstimate, ConfigError> {
        let m = self.map(path, node)?;
        self.check_keys(
            path,
            m,
            &[
                "func",
                "pool_instruments",
                "frequency",
                "forward_fill_data",
                "forward_fill_price_index",
                "date_method",
                "rollyears",
                "interval_frequency",
                "using_exponent",
                "ew_lookback",
                "min_periods",
                "cleaning",
                "floor_at_zero",
                "offdiag",
                "clip",
            ],
        );
        let key = |k: &str| join(path, k);
        for (k, v) in m {
            match k.as_str() {
                "func" => e.func = self.text(&key(k), v)?,
                "pool_instruments" => e.pool_instruments = self.boolean(&key(k), v)?,
                "frequency" => e.frequency = self.text(&key(k), v)?,
                "forward_fill_data" | "forward_fill_price_index" => {
                    e.forward_fill = self.boolean(&key(k), v)?;
                }
                "date_method" => e.date_method = self.text(&key(k), v)?,
                "rollyears" => e.rollyears = self.count(&key(k), v, 1)?,
                "interval_frequency" => e.interval_frequency = self.text(&key(k), v)?,
                _ => {}
            }
        }
        let mut est = e.estimator.clone();
        self.estimator_entries(path, m, &mut est)?;
        est.func = e.func.clone();
        e.estimator = est;
        Ok(e)
    }

    fn div_mult_estimate(
        &mut self,
        path: &str,
        node: &Node,
    ) -> Result<DivMultEstimate, ConfigError> {
        let m = self.map(path, node)?;
        self.check_keys(path, m, &["func", "ewma_span", "dm_max"]);
        let mut e = DivMultEstimate::default();
        if let Some(v) = get(m, "func") {
            e.func = self.text(&join(path, "func"), v)?;
        }
        if let Some(v) = get(m, "ewma_span") {
            e.ewma_span = self.count(&join(path, "ewma_span"), v, 1)? as f64;
        }
        if let Some(v) = get(m, "dm_max") {
            e.dm_max = self.positive(&join(path, "dm_max"), v)?;
        }
        Ok(e)
    }

    // ---- sections ---------------------------------------------------------------------------

    /// `start_date`: `YYYY-MM-DD` (a YAML date or text), as pysystemtrade's `_resolve_start_date`
    /// accepts it (a date, or text in that pattern).
    fn start_date(&self, node: &Node) -> Result<chrono::NaiveDate, ConfigError> {
        let text = match &node.value {
            Value::Str(s) => s.trim().to_string(),
            _ => return Err(self.expected("start_date", node, "a date such as 2000-01-19")),
        };
        chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
            self.invalid(
                "start_date",
                node,
                format!("'{text}' does not conform to the pattern 2000-01-19 (YYYY-MM-DD)"),
            )
        })
    }

    /// `instrument_returns_correlation`: the entries whose values differ from pysystemtrade's
    /// defaults (the risk overlay has the defaults built in), as `key: value` texts.
    fn instrument_returns_correlation(&mut self, node: &Node) -> Result<Vec<String>, ConfigError> {
        const P: &str = "instrument_returns_correlation";
        let m = self.map(P, node)?;
        let known: Vec<&str> = INSTRUMENT_RETURNS_CORRELATION_DEFAULTS
            .iter()
            .map(|(k, _)| *k)
            .collect();
        self.check_keys(P, m, &known);
        let mut changes = Vec::new();
        for (key, default) in &INSTRUMENT_RETURNS_CORRELATION_DEFAULTS {
            let Some(v) = get(m, key) else { continue };
            let same = match (&v.value, default) {
                (Value::Str(s), Default::Text(d)) => {
                    s.trim() == *d || s.trim().rsplit('.').next() == d.rsplit('.').next()
                }
                (Value::Bool(b), Default::Bool(d)) => b == d,
                (Value::Str(_), Default::Bool(d)) => {
                    self.boolean(&join(P, key), v).is_ok_and(|b| b == *d)
                }
                (Value::Int(i), Default::Number(d)) => (*i as f64) == *d,
                (Value::Float(x), Default::Number(d)) => x == d,
                _ => false,
            };
            if !same {
                changes.push(format!("{key}: {}", v.value.describe()));
            }
        }
        Ok(changes)
    }

    fn volatility_calculation(
        &mut self,
        node: &Node,
    ) -> Result<VolatilityCalculation, ConfigError> {
        const P: &str = "volatility_calculation";
        let m = self.map(P, node)?;
        self.check_keys(
            P,
            m,
            &[
                "func",
                "days",
                "min_periods",
                "slow_vol_years",
                "proportion_of_slow_vol",
                "vol_abs_min",
                "backfill",
                "multiplier_to_get_daily_vol",
                "name_returns_attr_in_rawdata",
                "vol_floor",
                "floor_min_quant",
                "floor_days",
                "floor_min_periods",
            ],
        );
        let mut v = VolatilityCalculation::default();
        if let Some(n) = get(m, "func") {
            let key = join(P, "func");
            let name = self.text(&key, n)?;
            v.func = match name.rsplit('.').next().unwrap_or("") {
                "mixed_vol_calc" => VolFunction::MixedVolCalc,
                "robust_vol_calc" => VolFunction::RobustVolCalc,
                "simple_vol_calc" => VolFunction::SimpleVolCalc,
                _ => {
                    return Err(self.invalid(
                        &key,
                        n,
                        format!("unknown volatility function '{name}' (known: mixed_vol_calc, robust_vol_calc, simple_vol_calc)"),
                    ));
                }
            };
            v.func_name = name;
        }
        if let Some(n) = get(m, "days") {
            v.days = self.count(&join(P, "days"), n, 1)?;
        }
        if let Some(n) = get(m, "min_periods") {
            v.min_periods = self.count(&join(P, "min_periods"), n, 0)?;
        }
        if let Some(n) = get(m, "slow_vol_years") {
            v.slow_vol_years = self.positive(&join(P, "slow_vol_years"), n)?;
        }
        if let Some(n) = get(m, "proportion_of_slow_vol") {
            v.proportion_of_slow_vol = self.fraction(&join(P, "proportion_of_slow_vol"), n)?;
        }
        if let Some(n) = get(m, "vol_abs_min") {
            v.vol_abs_min = self.non_negative(&join(P, "vol_abs_min"), n)?;
        }
        if let Some(n) = get(m, "backfill") {
            v.backfill = self.boolean(&join(P, "backfill"), n)?;
        }
        if let Some(n) = get(m, "multiplier_to_get_daily_vol") {
            v.multiplier_to_get_daily_vol =
                self.positive(&join(P, "multiplier_to_get_daily_vol"), n)?;
        }
        if let Some(n) = get(m, "name_returns_attr_in_rawdata") {
            v.name_returns_attr_in_rawdata =
                self.text(&join(P, "name_returns_attr_in_rawdata"), n)?;
        }
        if let Some(n) = get(m, "vol_floor") {
            v.vol_floor = self.boolean(&join(P, "vol_floor"), n)?;
        }
        if let Some(n) = get(m, "floor_min_quant") {
            v.floor_min_quant = self.fraction(&join(P, "floor_min_quant"), n)?;
        }
        if let Some(n) = get(m, "floor_days") {
            v.floor_days = self.count(&join(P, "floor_days"), n, 1)?;
        }
        if let Some(n) = get(m, "floor_min_periods") {
            v.floor_min_periods = self.count(&join(P, "floor_min_periods"), n, 0)?;
        }
        Ok(v)
    }

    fn trading_rules(&mut self, node: &Node) -> Result<BTreeMap<String, TradingRule>, ConfigError> {
        let mut rules = BTreeMap::new();
        for (name, def) in self.map("trading_rules", node)? {
            let rule = self.trading_rule(name, def)?;
            rules.insert(name.clone(), rule);
        }
        Ok(rules)
    }

    fn trading_rule(&mut self, name: &str, def: &Node) -> Result<TradingRule, ConfigError> {
        let path = join("trading_rules", name);
        // A bare string is the function alone (pysystemtrade accepts a function name for a rule).
        let (function_node, m): (&Node, &Entries) = match &def.value {
            Value::Str(_) => (def, &[]),
            Value::Map(m) => {
                self.check_keys(
                    &path,
                    m,
                    &["function", "data", "other_args", "forecast_scalar"],
                );
                let f = get(m, "function").ok_or_else(|| {
                    self.invalid(&path, def, "a trading rule needs a 'function' (e.g. systems.provided.rules.ewmac.ewmac)")
                })?;
                (f, m.as_slice())
            }
            _ => {
                return Err(self.expected(
                    &path,
                    def,
                    "a mapping with function, data and other_args",
                ));
            }
        };
        let fkey = if m.is_empty() {
            path.clone()
        } else {
            join(&path, "function")
        };
        let function = self.text(&fkey, function_node)?;
        let rule = RuleFunction::from_function_name(&function).ok_or_else(|| {
            let known: Vec<&str> = RuleFunction::ALL.iter().map(|r| r.name()).collect();
            self.error(
                ConfigErrorKind::UnknownRuleFunction,
                &fkey,
                function_node,
                format!(
                    "unknown rule function '{function}' (built-in rules: {})",
                    known.join(", ")
                ),
            )
        })?;

        let mut data = vec![DataSource {
            stage: "data".to_string(),
            method: "daily_prices".to_string(),
        }];
        if let Some(n) = get(m, "data") {
            let key = join(&path, "data");
            data = Self::items(n)
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    let k = format!("{key}[{i}]");
                    let s = self.text(&k, item)?;
                    DataSource::parse(&s).ok_or_else(|| {
                        self.invalid(&k, item, format!("expected 'stage.method' such as rawdata.get_daily_prices, found '{s}'"))
                    })
                })
                .collect::<Result<_, _>>()?;
        }

        let mut other_args = BTreeMap::new();
        if let Some(n) = get(m, "other_args") {
            let akey = join(&path, "other_args");
            for (arg, v) in self.map(&akey, n)? {
                let key = join(&akey, arg);
                let value = match &v.value {
                    Value::Int(i) => ArgValue::Int(*i),
                    Value::Float(x) if x.is_finite() => ArgValue::Float(*x),
                    Value::Bool(b) => ArgValue::Bool(*b),
                    Value::Str(s) => ArgValue::Str(s.clone()),
                    _ => return Err(self.expected(&key, v, "a number, text or boolean")),
                };
                if !arg.starts_with('_') {
                    let (numeric, known) = rule_arguments(rule);
                    if numeric.contains(&arg.as_str()) && value.as_f64().is_none() {
                        return Err(self.expected(
                            &key,
                            v,
                            &format!("a number ({} of {})", arg, rule.name()),
                        ));
                    }
                    if !known.contains(&arg.as_str()) {
                        let takes = if known.is_empty() {
                            "no arguments".to_string()
                        } else {
                            known.join(", ")
                        };
                        self.warn(
                            &key,
                            v.line,
                            format!("{} does not take '{arg}' (it takes {takes})", rule.name()),
                        );
                    }
                }
                other_args.insert(arg.clone(), value);
            }
        }

        let forecast_scalar = match get(m, "forecast_scalar") {
            Some(n) => Some(self.positive(&join(&path, "forecast_scalar"), n)?),
            None => None,
        };
        Ok(TradingRule {
            name: name.to_string(),
            function,
            rule,
            data,
            other_args,
            forecast_scalar,
        })
    }

    fn forecast_scalar_estimate(
        &mut self,
        node: &Node,
    ) -> Result<ForecastScalarEstimate, ConfigError> {
        const P: &str = "forecast_scalar_estimate";
        let m = self.map(P, node)?;
        self.check_keys(
            P,
            m,
            &[
                "pool_instruments",
                "func",
                "window",
                "min_periods",
                "backfill",
            ],
        );
        let mut e = ForecastScalarEstimate::default();
        if let Some(n) = get(m, "pool_instruments") {
            e.pool_instruments = self.boolean(&join(P, "pool_instruments"), n)?;
        }
        if let Some(n) = get(m, "func") {
            e.func = self.text(&join(P, "func"), n)?;
        }
        if let Some(n) = get(m, "window") {
            e.window = self.count(&join(P, "window"), n, 1)?;
        }
        if let Some(n) = get(m, "min_periods") {
            e.min_periods = self.count(&join(P, "min_periods"), n, 1)?;
        }
        if let Some(n) = get(m, "backfill") {
            e.backfill = self.boolean(&join(P, "backfill"), n)?;
        }
        Ok(e)
    }

    /// `forecast_cost_estimates`: `use_pooled_costs`, `use_pooled_turnover` (booleans).
    fn forecast_cost_estimates(
        &mut self,
        node: &Node,
    ) -> Result<ForecastCostEstimates, ConfigError> {
        const P: &str = "forecast_cost_estimates";
        let m = self.map(P, node)?;
        self.check_keys(P, m, &["use_pooled_costs", "use_pooled_turnover"]);
        let mut e = ForecastCostEstimates::default();
        if let Some(n) = get(m, "use_pooled_costs") {
            e.use_pooled_costs = self.boolean(&join(P, "use_pooled_costs"), n)?;
        }
        if let Some(n) = get(m, "use_pooled_turnover") {
            e.use_pooled_turnover = self.boolean(&join(P, "use_pooled_turnover"), n)?;
        }
        Ok(e)
    }

    /// rule → weight, each rule defined in `trading_rules`, weights finite and ≥ 0.
    fn rule_weight_map(
        &self,
        path: &str,
        node: &Node,
        rules: &[String],
    ) -> Result<BTreeMap<String, f64>, ConfigError> {
        let mut out = BTreeMap::new();
        for (rule, v) in self.map(path, node)? {
            let key = join(path, rule);
            let w = self.non_negative(&key, v)?;
            if !rules.contains(rule) {
                return Err(self.error(
                    ConfigErrorKind::UnknownRule,
                    &key,
                    v,
                    format!(
                        "no trading rule '{rule}' in trading_rules{}",
                        near_rule(rule, rules)
                    ),
                ));
            }
            out.insert(rule.clone(), w);
        }
        Ok(out)
    }

    fn forecast_weights(
        &self,
        node: &Node,
        rules: &[String],
    ) -> Result<ForecastWeights, ConfigError> {
        const P: &str = "forecast_weights";
        let m = self.map(P, node)?;
        if m.iter().any(|(k, _)| k == "auto_weight_from_grouping") {
            return Ok(ForecastWeights::AutoGroup);
        }
        let nested = m.iter().any(|(_, v)| matches!(v.value, Value::Map(_)));
        if !nested {
            return Ok(ForecastWeights::Shared(
                self.rule_weight_map(P, node, rules)?,
            ));
        }
        let mut per = BTreeMap::new();
        for (instrument, v) in m {
            let key = join(P, instrument);
            if !matches!(v.value, Value::Map(_)) {
                return Err(self.expected(
                    &key,
                    v,
                    "a mapping of rule weights (forecast_weights mixes per-instrument maps with single weights)",
                ));
            }
            let code = self.instrument(&key, v, instrument)?;
            per.insert(code, self.rule_weight_map(&key, v, rules)?);
        }
        Ok(ForecastWeights::PerInstrument(per))
    }

    fn div_multiplier(&self, path: &str, node: &Node) -> Result<DivMultiplier, ConfigError> {
        match &node.value {
            Value::Map(m) => {
                let mut per = BTreeMap::new();
                for (instrument, v) in m {
                    let key = join(path, instrument);
                    let code = self.instrument(&key, v, instrument)?;
                    per.insert(code, self.positive(&key, v)?);
                }
                Ok(DivMultiplier::PerInstrument(per))
            }
            _ => Ok(DivMultiplier::Fixed(self.positive(path, node).map_err(
                |e| {
                    if matches!(node.value, Value::Int(_) | Value::Float(_)) {
                        e
                    } else {
                        self.expected(path, node, "a number or a mapping of instrument to number")
                    }
                },
            )?)),
        }
    }

    fn forecast_mapping(
        &mut self,
        node: &Node,
    ) -> Result<BTreeMap<InstrumentCode, ForecastMapping>, ConfigError> {
        const P: &str = "forecast_mapping";
        let mut out = BTreeMap::new();
        for (instrument, v) in self.map(P, node)? {
            let path = join(P, instrument);
            let code = self.instrument(&path, v, instrument)?;
            let m = match &v.value {
                Value::Map(m) => m.as_slice(),
                _ => {
                    return Err(self.expected(
                        &path,
                        v,
                        "a mapping with threshold, a_param and b_param",
                    ));
                }
            };
            self.check_keys(&path, m, &["threshold", "a_param", "b_param"]);
            let need = |k: &str| -> Result<f64, ConfigError> {
                let key = join(&path, k);
                match get(m, k) {
                    Some(n) => self.number(&key, n),
                    None => Err(self.invalid(
                        &key,
                        v,
                        "missing (forecast_mapping needs threshold, a_param and b_param)",
                    )),
                }
            };
            out.insert(
                code,
                ForecastMapping {
                    threshold: need("threshold")?,
                    a_param: need("a_param")?,
                    b_param: need("b_param")?,
                },
            );
        }
        Ok(out)
    }

    fn rule_list(
        &self,
        key: &str,
        node: &Node,
        rules: &[String],
    ) -> Result<Vec<String>, ConfigError> {
        let list = self.text_list(key, node)?;
        for (i, r) in list.iter().enumerate() {
            if !rules.contains(r) {
                let item = Self::items(node)[i];
                return Err(self.error(
                    ConfigErrorKind::UnknownRule,
                    &format!("{key}[{i}]"),
                    item,
                    format!(
                        "no trading rule '{r}' in trading_rules{}",
                        near_rule(r, rules)
                    ),
                ));
            }
        }
        Ok(list)
    }

    fn rule_variations(
        &self,
        node: &Node,
        rules: &[String],
    ) -> Result<RuleVariations, ConfigError> {
        const P: &str = "rule_variations";
        match &node.value {
            Value::Map(m) => {
                let mut per = BTreeMap::new();
                for (instrument, v) in m {
                    let key = join(P, instrument);
                    let code = self.instrument(&key, v, instrument)?;
                    per.insert(code, self.rule_list(&key, v, rules)?);
                }
                Ok(RuleVariations::PerInstrument(per))
            }
            _ => Ok(RuleVariations::Shared(self.rule_list(P, node, rules)?)),
        }
    }

    fn instrument_weights(
        &self,
        node: &Node,
    ) -> Result<BTreeMap<InstrumentCode, f64>, ConfigError> {
        const P: &str = "instrument_weights";
        let mut out = BTreeMap::new();
        for (instrument, v) in self.map(P, node)? {
            let key = join(P, instrument);
            let code = self.instrument(&key, v, instrument)?;
            out.insert(code, self.non_negative(&key, v)?);
        }
        Ok(out)
    }

    fn duplicate_instruments(&mut self, node: &Node) -> Result<DuplicateInstruments, ConfigError> {
        const P: &str = "duplicate_instruments";
        let m = self.map(P, node)?;
        self.check_keys(P, m, &["include", "exclude"]);
        let mut d = DuplicateInstruments::default();
        for (section, target) in [("include", &mut d.include), ("exclude", &mut d.exclude)] {
            if let Some(n) = get(m, section) {
                let spath = join(P, section);
                for (group, v) in self.map(&spath, n)? {
                    let list = self.instrument_list(&join(&spath, group), v)?;
                    target.insert(group.clone(), list);
                }
            }
        }
        Ok(d)
    }

    fn exclude_instrument_lists(
        &mut self,
        node: &Node,
    ) -> Result<ExcludeInstrumentLists, ConfigError> {
        const P: &str = "exclude_instrument_lists";
        let m = self.map(P, node)?;
        self.check_keys(
            P,
            m,
            &["ignore_instruments", "trading_restrictions", "bad_markets"],
        );
        let mut e = ExcludeInstrumentLists::default();
        if let Some(n) = get(m, "ignore_instruments") {
            e.ignore_instruments = self.instrument_list(&join(P, "ignore_instruments"), n)?;
        }
        if let Some(n) = get(m, "trading_restrictions") {
            e.trading_restrictions = self.instrument_list(&join(P, "trading_restrictions"), n)?;
        }
        if let Some(n) = get(m, "bad_markets") {
            e.bad_markets = self.instrument_list(&join(P, "bad_markets"), n)?;
        }
        Ok(e)
    }

    fn risk_overlay(&mut self, node: &Node) -> Result<Option<RiskOverlay>, ConfigError> {
        const P: &str = "risk_overlay";
        let m = self.map(P, node)?;
        if m.iter().all(|(_, v)| v.is_null()) {
            return Ok(None);
        }
        const KEYS: [&str; 4] = [
            "max_risk_fraction_normal_risk",
            "max_risk_fraction_stdev_risk",
            "max_risk_limit_sum_abs_risk",
            "max_risk_leverage",
        ];
        self.check_keys(P, m, &KEYS);
        let mut values = [0.0; 4];
        for (slot, k) in values.iter_mut().zip(KEYS) {
            let key = join(P, k);
            *slot = match get(m, k) {
                Some(n) => self.positive(&key, n)?,
                None => {
                    return Err(self.invalid(
                        &key,
                        node,
                        format!("missing: a risk_overlay needs all of {} (or write risk_overlay: {{}} to turn it off)", KEYS.join(", ")),
                    ));
                }
            };
        }
        Ok(Some(RiskOverlay {
            max_risk_fraction_normal_risk: values[0],
            max_risk_fraction_stdev_risk: values[1],
            max_risk_limit_sum_abs_risk: values[2],
            max_risk_leverage: values[3],
        }))
    }

    fn small_system(&mut self, node: &Node) -> Result<SmallSystem, ConfigError> {
        const P: &str = "small_system";
        let m = self.map(P, node)?;
        const KEYS: [&str; 4] = [
            "shadow_cost",
            "cost_multiplier",
            "tracking_error_buffer",
            "shrink_instrument_returns_correlation",
        ];
        self.check_keys(P, m, &KEYS);
        let mut s = SmallSystem::default();
        if let Some(n) = get(m, KEYS[0]) {
            s.shadow_cost = self.non_negative(&join(P, KEYS[0]), n)?;
        }
        if let Some(n) = get(m, KEYS[1]) {
            s.cost_multiplier = self.non_negative(&join(P, KEYS[1]), n)?;
        }
        if let Some(n) = get(m, KEYS[2]) {
            s.tracking_error_buffer = self.non_negative(&join(P, KEYS[2]), n)?;
        }
        if let Some(n) = get(m, KEYS[3]) {
            s.shrink_instrument_returns_correlation = self.fraction(&join(P, KEYS[3]), n)?;
        }
        Ok(s)
    }

    fn capital_multiplier(&mut self, node: &Node) -> Result<CapitalMultiplier, ConfigError> {
        const P: &str = "capital_multiplier";
        let m = self.map(P, node)?;
        self.check_keys(P, m, &["func"]);
        let Some(n) = get(m, "func") else {
            return Ok(CapitalMultiplier::FixedCapital);
        };
        let key = join(P, "func");
        let name = self.text(&key, n)?;
        match name.rsplit('.').next().unwrap_or("") {
            "fixed_capital" => Ok(CapitalMultiplier::FixedCapital),
            "full_compounding" => Ok(CapitalMultiplier::FullCompounding),
            "half_compounding" => Ok(CapitalMultiplier::HalfCompounding),
            _ => Err(self.invalid(
                &key,
                n,
                format!("unknown capital function '{name}' (known: syscore.capital.fixed_capital, full_compounding, half_compounding)"),
            )),
        }
    }
}

/// (arguments that must be numbers, all arguments) of each built-in rule's Python signature.
fn rule_arguments(rule: RuleFunction) -> (&'static [&'static str], &'static [&'static str]) {
    match rule {
        RuleFunction::Ewmac
        | RuleFunction::EwmacForecastWithDefaults
        | RuleFunction::EwmacForecastWithDefaultsNoVol => {
            (&["Lfast", "Lslow"], &["Lfast", "Lslow"])
        }
        RuleFunction::EwmacCalcVol => (
            &["Lfast", "Lslow", "vol_days"],
            &["Lfast", "Lslow", "vol_days"],
        ),
        RuleFunction::Carry => (&["smooth_days"], &["smooth_days"]),
        RuleFunction::Breakout => (&["lookback", "smooth"], &["lookback", "smooth"]),
        RuleFunction::Accel | RuleFunction::MrWings => (&["Lfast"], &["Lfast"]),
        RuleFunction::RelativeMomentum | RuleFunction::CrossSectionalMeanReversion => {
            (&["horizon", "ewma_span"], &["horizon", "ewma_span"])
        }
        RuleFunction::FactorTradingRule | RuleFunction::ConditionedFactorTradingRule => {
            (&["smooth"], &["smooth"])
        }
        RuleFunction::RelativeCarry | RuleFunction::ShortBias | RuleFunction::LongBias => {
            (&[], &[])
        }
    }
}

/// A default value of a nested setting.
enum Default {
    Text(&'static str),
    Number(f64),
    Bool(bool),
}

/// pysystemtrade 1.80's `instrument_returns_correlation` (defaults.yaml), built into the risk
/// overlay's correlations (`systrade_portfolio::risk_overlay::correlation`).
const INSTRUMENT_RETURNS_CORRELATION_DEFAULTS: [(&str, Default); 13] = [
    (
        "func",
        Default::Text(
            "sysquant.estimators.correlation_over_time.correlation_over_time_for_returns",
        ),
    ),
    ("interval_frequency", Default::Text("W")),
    ("frequency", Default::Text("7D")),
    ("date_method", Default::Text("rolling")),
    ("using_exponent", Default::Bool(true)),
    ("ew_lookback", Default::Number(75.0)),
    ("min_periods", Default::Number(10.0)),
    ("cleaning", Default::Bool(true)),
    ("offdiag", Default::Number(0.0)),
    ("rollyears", Default::Number(5.0)),
    ("floor_at_zero", Default::Bool(false)),
    ("forward_fill_price_index", Default::Bool(true)),
    ("clip", Default::Number(0.99)),
];

/// Levenshtein distance, for "did you mean" hints.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn closest<'k>(word: &str, candidates: impl Iterator<Item = &'k str>) -> Option<&'k str> {
    candidates
        .map(|c| {
            (
                distance(&word.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(d, c)| *d <= 2.max(c.len() / 5))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// " (did you mean 'x'?)" for a misspelt top-level key, or "".
fn suggestion(key: &str) -> String {
    closest(key, CONFIG_KEYS.iter().map(|r| r.key))
        .map(|k| format!(" (did you mean '{k}'?)"))
        .unwrap_or_default()
}

fn near_rule(rule: &str, rules: &[String]) -> String {
    closest(rule, rules.iter().map(String::as_str))
        .map(|k| format!(" (did you mean '{k}'?)"))
        .unwrap_or_default()
}

/// `strategy_list` (pysystemtrade's production config: strategy → process → `object`/`function`):
/// dynamically optimised when any text in it names pysystemtrade's dynamic optimised system
/// (`run_dynamic_optimised_system`) or order generator (`dynamic_optimised_positions`).
fn strategy_of(node: &Node) -> Strategy {
    fn names_dynamic(node: &Node) -> bool {
        match &node.value {
            Value::Str(s) => {
                s.contains("run_dynamic_optimised_system")
                    || s.contains("dynamic_optimised_positions")
            }
            Value::Seq(items) => items.iter().any(names_dynamic),
            Value::Map(entries) => entries.iter().any(|(_, v)| names_dynamic(v)),
            _ => false,
        }
    }
    if names_dynamic(node) {
        Strategy::DynamicOptimised
    } else {
        Strategy::Classic
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance() {
        assert_eq!(distance("forecast_cap", "forecast_cap"), 0);
        assert_eq!(distance("forcast_cap", "forecast_cap"), 1);
        assert_eq!(distance("abc", "xyz"), 3);
        assert_eq!(
            suggestion("percentage_vol_targt"),
            " (did you mean 'percentage_vol_target'?)"
        );
        assert_eq!(suggestion("something_else_entirely"), "");
    }
}
