//! No silent ignores (issue 16): every top-level key of pysystemtrade 1.80's `defaults.yaml` and of
//! its shipped example configs (vendored in `tests/fixtures/pysystemtrade/`, see its README) is
//! classified in `systrade_config::keys::CONFIG_KEYS`; the files read without an unknown-key
//! warning; every refused row has its check, which stops exactly the tools that run its stage
//! with an error naming the key and the file; production-only keys never stop a tool.

use std::collections::BTreeSet;
use std::path::PathBuf;
use systrade_config::keys::{CONFIG_KEYS, KeyStatus, classify};
use systrade_config::{
    BACKTEST_STAGES, ConfigErrorKind, FORECAST_STAGES, SIZING_STAGES, Stage, SystemConfig,
};

const FIXTURES: [&str; 5] = [
    "defaults.yaml",
    "simplesystemconfig.yaml",
    "futuresconfig.yaml",
    "futuresestimateconfig.yaml",
    "rob_system_config.yaml",
];

fn fixture(name: &str) -> (String, PathBuf) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pysystemtrade")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    (text, path)
}

/// The top-level keys of a YAML file as written (column-0 `key:` lines; comments skipped), an
/// independent walk of the file rather than the reader's.
fn top_level_keys(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && !l.starts_with('\t'))
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim().to_string()))
        .filter(|k| !k.is_empty() && !k.starts_with('-'))
        .collect()
}

fn refused(status: KeyStatus) -> Option<Stage> {
    match status {
        KeyStatus::RefusedUnlessDefault(s) | KeyStatus::RefusedUntilEstimation(s) => Some(s),
        _ => None,
    }
}

#[test]
fn every_key_of_pysystemtrade_configs_is_classified() {
    let mut seen = BTreeSet::new();
    for name in FIXTURES {
        let (text, _) = fixture(name);
        let keys = top_level_keys(&text);
        assert!(keys.len() >= 8, "{name}: {keys:?}");
        for key in keys {
            assert!(
                classify(&key).is_some(),
                "{name}: '{key}' is not classified in systrade_config::keys::CONFIG_KEYS"
            );
            seen.insert(key);
        }
        // ... and nested keys of the implemented sections are known too: no warning at all.
        let (_, warnings) = SystemConfig::from_yaml_str(&text, name).unwrap();
        assert!(warnings.is_empty(), "{name}: {warnings:?}");
    }
    // the keys issue 16 found silently ignored are all classified and seen here
    for key in [
        "forecast_post_ceiling_cost_SR",
        "forecast_cost_estimates",
        "small_system",
        "max_price_spike",
        "production_capital_method",
        "roll_status_auto_update",
    ] {
        assert!(seen.contains(key), "{key} not in the fixtures");
    }
    for key in [
        "start_date",
        "forecast_mapping",
        "allocate_zero_instrument_weights_to_these_instruments",
    ] {
        assert!(
            matches!(classify(key).unwrap().status, KeyStatus::Implemented(_)),
            "{key}"
        );
    }
    // one row per key
    let rows: BTreeSet<&str> = CONFIG_KEYS.iter().map(|r| r.key).collect();
    assert_eq!(rows.len(), CONFIG_KEYS.len(), "a key listed twice");
}

#[test]
fn refused_rows_and_checks_agree() {
    let (text, _) = fixture("defaults.yaml");
    let (cfg, _) = SystemConfig::from_yaml_str(&text, "defaults.yaml").unwrap();
    let refusals = cfg.refusals();
    for r in &refusals {
        assert!(!r.active, "defaults.yaml sets {}", r.key);
        let top = r.key.split('.').next().unwrap();
        let row = classify(top).unwrap_or_else(|| panic!("{top} not classified"));
        match refused(row.status) {
            Some(stage) => assert_eq!(stage, r.stage, "{}", r.key),
            // a refused value of an implemented key (auto-grouped forecast weights)
            None => assert_eq!(row.status, KeyStatus::Implemented(r.stage), "{}", r.key),
        }
    }
    for row in CONFIG_KEYS {
        if let Some(stage) = refused(row.status) {
            assert!(
                refusals
                    .iter()
                    .any(|r| r.key == row.key && r.stage == stage),
                "{}: classified as refused but nothing checks it",
                row.key
            );
        }
    }
}

/// `yaml` sets a refused key; the tools running `stage` stop naming `key` and the file, the
/// others do not.
fn refused_only_in_its_stage(yaml: &str, key: &str, stage: Stage) {
    let (cfg, warnings) = SystemConfig::from_yaml_str(yaml, "my_system.yaml").unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    for (tool, stages) in [
        ("compute-forecasts", FORECAST_STAGES),
        ("size-positions", SIZING_STAGES),
        ("backtest", BACKTEST_STAGES),
    ] {
        let r = cfg.check_supported_for(stages);
        if stages.contains(&stage) {
            let e = r.unwrap_err();
            assert_eq!(e.kind, ConfigErrorKind::Unsupported);
            assert_eq!(e.key.as_deref(), Some(key), "{tool}");
            let text = e.to_string();
            assert!(
                text.starts_with("my_system.yaml: ") && text.contains(key),
                "{tool}: {text}"
            );
        } else {
            r.unwrap_or_else(|e| panic!("{tool} stopped by {key} of another stage: {e}"));
        }
    }
}

#[test]
fn refused_keys_stop_only_the_tools_running_their_stage() {
    let overlay = "risk_overlay:\n  max_risk_fraction_normal_risk: 1.75\n  max_risk_fraction_stdev_risk: 4.0\n  max_risk_limit_sum_abs_risk: 4.0\n  max_risk_leverage: 20.0\n";
    let cases: Vec<(String, &str, Stage)> = vec![
        (
            "base_config: other.yaml\n".into(),
            "base_config",
            Stage::Data,
        ),
        (
            "use_forecast_weight_estimates: True\n".into(),
            "use_forecast_weight_estimates",
            Stage::Forecasts,
        ),
        (
            "use_forecast_div_mult_estimates: True\n".into(),
            "use_forecast_div_mult_estimates",
            Stage::Forecasts,
        ),
        (
            "forecast_weights:\n  auto_weight_from_grouping:\n    groups: {}\n".into(),
            "forecast_weights.auto_weight_from_grouping",
            Stage::Forecasts,
        ),
        (
            "use_instrument_weight_estimates: True\n".into(),
            "use_instrument_weight_estimates",
            Stage::Positions,
        ),
        (
            "use_instrument_div_mult_estimates: True\n".into(),
            "use_instrument_div_mult_estimates",
            Stage::Positions,
        ),
        (
            format!("{overlay}instrument_returns_correlation:\n  ew_lookback: 50\n  clip: 0.99\n"),
            "instrument_returns_correlation",
            Stage::Positions,
        ),
    ];
    for (yaml, key, stage) in &cases {
        refused_only_in_its_stage(yaml, key, *stage);
    }
    // Their defaults (or no risk overlay to use the correlations) stop nothing; nor does the
    // cost ceiling, implemented since issue 16.
    for yaml in [
        "forecast_post_ceiling_cost_SR: 999\n".to_string(),
        "forecast_post_ceiling_cost_SR: 0.13\nforecast_cost_estimates:\n  use_pooled_costs: True\n  use_pooled_turnover: False\n".to_string(),
        "instrument_returns_correlation:\n  ew_lookback: 50\n".to_string(),
        format!(
            "{overlay}instrument_returns_correlation:\n  ew_lookback: 75\n  using_exponent: yes\n  func: sysquant.estimators.correlation_over_time.correlation_over_time_for_returns\n"
        ),
        "use_forecast_weight_estimates: false\nuse_instrument_div_mult_estimates: no\n".to_string(),
    ] {
        let (cfg, _) = SystemConfig::from_yaml_str(&yaml, "my_system.yaml").unwrap();
        cfg.check_supported_for(BACKTEST_STAGES)
            .unwrap_or_else(|e| panic!("{yaml}: {e}"));
    }
}

#[test]
fn shipped_configs_stop_only_the_stages_they_refuse() {
    let read = |name: &str| {
        let (text, _) = fixture(name);
        SystemConfig::from_yaml_str(&text, name).unwrap().0
    };
    for name in [
        "defaults.yaml",
        "simplesystemconfig.yaml",
        "futuresconfig.yaml",
    ] {
        read(name).check_supported_for(BACKTEST_STAGES).unwrap();
    }
    // rob_system: the forecasts run; its estimated IDM stops the stages that size positions.
    let rob = read("rob_system_config.yaml");
    rob.check_supported_for(FORECAST_STAGES).unwrap();
    let e = rob.check_supported_for(SIZING_STAGES).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("use_instrument_div_mult_estimates"));
    assert!(e.to_string().starts_with("rob_system_config.yaml: "), "{e}");
    // futuresestimateconfig: estimated forecast weights stop even compute-forecasts.
    let e = read("futuresestimateconfig.yaml")
        .check_supported_for(FORECAST_STAGES)
        .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("use_forecast_weight_estimates"));
    // backtest estimates: both run there unchanged.
    read("futuresestimateconfig.yaml")
        .check_supported_in_backtest()
        .unwrap();
    rob.check_supported_in_backtest().unwrap();
}

#[test]
fn production_only_keys_never_stop_a_tool() {
    let mut yaml = String::new();
    for row in CONFIG_KEYS {
        if matches!(
            row.status,
            KeyStatus::ProductionOnly { .. } | KeyStatus::UnusedByPysystemtrade
        ) {
            yaml += &format!("{}: {{some: [odd, value]}}\n", row.key);
        }
    }
    yaml += "ib_port: 4002\nmongo_host: db.example\n";
    let (cfg, warnings) = SystemConfig::from_yaml_str(&yaml, "prod.yaml").unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    cfg.check_supported_for(BACKTEST_STAGES).unwrap();
}

#[test]
fn start_date_is_a_date() {
    for text in ["start_date: 2000-01-19\n", "start_date: '2000-01-19'\n"] {
        let (cfg, _) = SystemConfig::from_yaml_str(text, "s.yaml").unwrap();
        assert_eq!(
            cfg.start_date,
            chrono::NaiveDate::from_ymd_opt(2000, 1, 19),
            "{text}"
        );
    }
    let e = SystemConfig::from_yaml_str("start_date: 19/01/2000\n", "s.yaml").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("start_date"));
    assert!(e.to_string().contains("2000-01-19"), "{e}");
    let (cfg, _) = SystemConfig::from_yaml_str("forecast_cap: 20\n", "s.yaml").unwrap();
    assert_eq!(cfg.start_date, None);
}

#[test]
fn cost_ceiling_and_cost_estimates_are_read() {
    let (cfg, warnings) = SystemConfig::from_yaml_str(
        "forecast_post_ceiling_cost_SR: 0.13\nforecast_cost_estimates:\n  use_pooled_costs: yes\n  use_pooled_turnover: no\n",
        "my_system.yaml",
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(cfg.cost_ceiling(), Some(0.13));
    assert!(cfg.forecast_cost_estimates.use_pooled_costs);
    assert!(!cfg.forecast_cost_estimates.use_pooled_turnover);
    assert!(matches!(
        classify("forecast_post_ceiling_cost_SR").unwrap().status,
        KeyStatus::Implemented(Stage::Forecasts)
    ));
    // pysystemtrade's defaults: no ceiling, costs not pooled, turnover pooled
    let (cfg, _) =
        SystemConfig::from_yaml_str("forecast_post_ceiling_cost_SR: 999\n", "d.yaml").unwrap();
    assert_eq!(cfg.cost_ceiling(), None);
    assert!(!cfg.forecast_cost_estimates.use_pooled_costs);
    assert!(cfg.forecast_cost_estimates.use_pooled_turnover);
    let e = SystemConfig::from_yaml_str(
        "forecast_cost_estimates:\n  use_pooled_costs: 3\n",
        "d.yaml",
    )
    .unwrap_err();
    assert_eq!(
        e.key.as_deref(),
        Some("forecast_cost_estimates.use_pooled_costs"),
        "{e}"
    );
}
