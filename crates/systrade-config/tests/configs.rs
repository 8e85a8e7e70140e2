//! Reading pysystemtrade's own configs, defaults, errors and warnings.

use std::collections::BTreeMap;
use systrade_config::*;
use systrade_model::InstrumentCode;

fn code(s: &str) -> InstrumentCode {
    InstrumentCode::new(s).unwrap()
}

fn codes(list: &[&str]) -> Vec<InstrumentCode> {
    list.iter().map(|s| code(s)).collect()
}

fn read(yaml: &str) -> (SystemConfig, Vec<Warning>) {
    SystemConfig::from_yaml_str(yaml, "test.yaml").unwrap_or_else(|e| panic!("{e}"))
}

fn read_err(yaml: &str) -> ConfigError {
    match SystemConfig::from_yaml_str(yaml, "test.yaml") {
        Ok((c, _)) => panic!("expected an error, got {c:?}"),
        Err(e) => e,
    }
}

fn ds(s: &str) -> DataSource {
    DataSource::parse(s).unwrap()
}

/// pysystemtrade v1.80 `systems/provided/futures_chapter15/futuresconfig.yaml`, written from the spec's
/// description (§3.9) in the upstream file's layout.
const FUTURES_CHAPTER15: &str = r#"#YAML
#
# Raw data
#
#
# Trading rules
#
trading_rules:
  ewmac2_8:
     function: systems.provided.futures_chapter15.rules.ewmac
     data:
         - "rawdata.get_daily_prices"
         - "rawdata.daily_returns_volatility"
     other_args:
         Lfast: 2
         Lslow: 8
     forecast_scalar: 10.6
  ewmac4_16:
     function: systems.provided.futures_chapter15.rules.ewmac
     data:
         - "rawdata.get_daily_prices"
         - "rawdata.daily_returns_volatility"
     other_args:
         Lfast: 4
         Lslow: 16
     forecast_scalar: 7.5
  ewmac8_32:
     function: systems.provided.futures_chapter15.rules.ewmac
     data:
         - "rawdata.get_daily_prices"
         - "rawdata.daily_returns_volatility"
     other_args:
         Lfast: 8
         Lslow: 32
     forecast_scalar: 5.3
  ewmac16_64:
     function: systems.provided.futures_chapter15.rules.ewmac
     data:
         - "rawdata.get_daily_prices"
         - "rawdata.daily_returns_volatility"
     other_args:
         Lfast: 16
         Lslow: 64
     forecast_scalar: 3.75
  ewmac32_128:
     function: systems.provided.futures_chapter15.rules.ewmac
     data:
         - "rawdata.get_daily_prices"
         - "rawdata.daily_returns_volatility"
     other_args:
         Lfast: 32
         Lslow: 128
     forecast_scalar: 2.65
  ewmac64_256:
     function: systems.provided.futures_chapter15.rules.ewmac
     data:
         - "rawdata.get_daily_prices"
         - "rawdata.daily_returns_volatility"
     other_args:
         Lfast: 64
         Lslow: 256
     forecast_scalar: 1.87
  carry:
     function: systems.provided.futures_chapter15.rules.carry2
     data:
         - "rawdata.raw_carry"
     other_args:
         smooth_days: 90
     forecast_scalar: 30
forecast_cap: 20.0
#
# forecast combination
#
forecast_weights:
     ewmac16_64: 0.21
     ewmac32_128: 0.08
     ewmac64_256: 0.21
     carry: 0.50
forecast_div_multiplier: 1.31
#
# Capital correction
#
percentage_vol_target: 20.0
notional_trading_capital: 250000
base_currency: "USD"
#
# Portfolio creation
#
instrument_weights:
    SOFR: 0.117
    US10: 0.117
    EUROSTX: 0.20
    V2X: 0.098
    MXP: 0.233
    CORN: 0.233
instrument_div_multiplier: 1.89
rule_groups:
    ewmac_fast:
       - ewmac2_8
       - ewmac4_16
    ewmac_medium:
       - ewmac8_32
       - ewmac16_64
    ewmac_slow:
       - ewmac32_128
       - ewmac64_256
    carry:
       - carry
style_groups:
    trend:
        - ewmac_fast
        - ewmac_medium
        - ewmac_slow
    carry:
        - carry
countries:
    US:
      - SOFR
      - US10
    Europe:
      - EUROSTX
      - V2X
    Other:
    - MXP
    - CORN
asset_classes:
    Rates:
      - SOFR
      - US10
    Risky:
      - EUROSTX
      - V2X
      - MXP
    Other:
      - CORN
# turn off risk overlay
risk_overlay: {}
"#;

/// pysystemtrade `systems/provided/example/simplesystemconfig.yaml` as run for pst-reference (spec §3.9).
const SIMPLE_SYSTEM: &str = r#"#YAML
percentage_vol_target: 25.0
notional_trading_capital: 500000
base_currency: "GBP"
trading_rules:
  ewmac8:
     function: systems.provided.rules.ewmac.ewmac_forecast_with_defaults
     data: data.daily_prices
     other_args:
         Lfast: 8
         Lslow: 32
     forecast_scalar: 5.3
  ewmac32:
     function: systems.provided.rules.ewmac.ewmac_forecast_with_defaults
     other_args:
         Lfast: 32
         Lslow: 128
     forecast_scalar: 2.65
forecast_weights:
     ewmac8: 0.50
     ewmac32: 0.50
forecast_div_multiplier: 1.1
instrument_weights:
     SOFR: .4
     US10: .1
     CORN: .3
     SP500: .2
instrument_div_multiplier: 1.5
"#;

#[test]
fn futures_chapter15_book_config() {
    let (c, warnings) = read(FUTURES_CHAPTER15);
    assert!(warnings.is_empty(), "{warnings:?}");
    c.check_supported().unwrap();

    let names: Vec<&str> = c.trading_rules.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "carry",
            "ewmac16_64",
            "ewmac2_8",
            "ewmac32_128",
            "ewmac4_16",
            "ewmac64_256",
            "ewmac8_32"
        ]
    );
    let expected = [
        ("ewmac2_8", 2, 8, 10.6),
        ("ewmac4_16", 4, 16, 7.5),
        ("ewmac8_32", 8, 32, 5.3),
        ("ewmac16_64", 16, 64, 3.75),
        ("ewmac32_128", 32, 128, 2.65),
        ("ewmac64_256", 64, 256, 1.87),
    ];
    for (name, fast, slow, scalar) in expected {
        let r = &c.trading_rules[name];
        assert_eq!(r.rule, RuleFunction::Ewmac, "{name}");
        assert_eq!(r.function, "systems.provided.futures_chapter15.rules.ewmac");
        assert_eq!(
            r.data,
            [
                ds("rawdata.get_daily_prices"),
                ds("rawdata.daily_returns_volatility")
            ]
        );
        assert_eq!(r.arg("Lfast"), Some(&ArgValue::Int(fast)));
        assert_eq!(r.arg("Lslow").and_then(ArgValue::as_i64), Some(slow));
        assert_eq!(r.forecast_scalar, Some(scalar));
        assert_eq!(c.fixed_forecast_scalar(name), scalar);
    }
    let carry = &c.trading_rules["carry"];
    assert_eq!(carry.rule, RuleFunction::Carry);
    assert_eq!(carry.data, [ds("rawdata.raw_carry")]);
    assert_eq!(carry.arg("smooth_days"), Some(&ArgValue::Int(90)));
    assert_eq!(c.fixed_forecast_scalar("carry"), 30.0);

    let weights = c.forecast_weights_for(&code("CORN")).unwrap();
    assert!(!weights.equal_by_default);
    let expected: BTreeMap<String, f64> = [
        ("ewmac16_64", 0.21),
        ("ewmac32_128", 0.08),
        ("ewmac64_256", 0.21),
        ("carry", 0.50),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(weights.weights, expected);
    assert_eq!(c.forecast_div_multiplier_for(&code("CORN")).unwrap(), 1.31);
    assert_eq!(c.forecast_cap, 20.0);
    assert_eq!(c.forecast_floor(), -20.0);
    assert_eq!(c.percentage_vol_target, 20.0);
    assert_eq!(c.notional_trading_capital, 250_000.0);
    assert_eq!(c.annual_cash_vol_target(), 50_000.0);
    assert_eq!(c.base_currency, "USD");
    assert_eq!(c.instrument_div_multiplier, 1.89);
    let iw = c.instrument_weights.as_ref().unwrap();
    for (k, v) in [
        ("SOFR", 0.117),
        ("US10", 0.117),
        ("EUROSTX", 0.20),
        ("V2X", 0.098),
        ("MXP", 0.233),
        ("CORN", 0.233),
    ] {
        assert_eq!(iw[&code(k)], v, "{k}");
    }
    assert_eq!(
        c.risk_overlay, None,
        "risk_overlay: {{}} turns the overlay off"
    );
    // Instruments come from the weights' keys whatever the data holds.
    let (list, source) = c.instrument_list_with_source(&codes(&["BUND", "CORN"]));
    assert_eq!(source, InstrumentListSource::InstrumentWeights);
    assert_eq!(
        list,
        codes(&["CORN", "EUROSTX", "MXP", "SOFR", "US10", "V2X"])
    );
    // Defaults not given in the file.
    assert_eq!(c.volatility_calculation, VolatilityCalculation::default());
    assert_eq!(c.buffer_method, BufferMethod::Forecast);
    assert!(!c.use_sr_costs);
}

#[test]
fn futures_chapter15_older_layout_with_robust_vol() {
    // Older upstream revisions: EDOLLAR instead of SOFR, vol function from syscore.algos.
    let yaml = FUTURES_CHAPTER15.replace("SOFR", "EDOLLAR").replace(
        "trading_rules:\n",
        "volatility_calculation:\n  func: \"syscore.algos.robust_vol_calc\"\n  days: 35\ntrading_rules:\n",
    );
    let (c, warnings) = read(&yaml);
    assert!(warnings.is_empty(), "{warnings:?}");
    let v = &c.volatility_calculation;
    assert_eq!(v.func, VolFunction::RobustVolCalc);
    assert_eq!(v.func_name, "syscore.algos.robust_vol_calc");
    assert_eq!(v.days, 35);
    // Other keys from defaults.yaml / the function's defaults.
    assert_eq!(v.min_periods, 10);
    assert!(v.vol_floor);
    assert_eq!(v.floor_min_quant, 0.05);
    assert_eq!(v.floor_days, 500);
    assert_eq!(v.floor_min_periods, 100);
    assert_eq!(v.vol_abs_min, 1e-10);
    assert!(
        c.instrument_weights
            .as_ref()
            .unwrap()
            .contains_key(&code("EDOLLAR"))
    );
}

#[test]
fn simple_system_config() {
    let (c, warnings) = read(SIMPLE_SYSTEM);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.base_currency, "GBP");
    assert_eq!(c.percentage_vol_target, 25.0);
    assert_eq!(c.notional_trading_capital, 500_000.0);
    let r8 = &c.trading_rules["ewmac8"];
    assert_eq!(r8.rule, RuleFunction::EwmacForecastWithDefaults);
    assert_eq!(
        r8.data,
        [ds("data.daily_prices")],
        "a single string is a one-element list"
    );
    let r32 = &c.trading_rules["ewmac32"];
    assert_eq!(r32.data, [ds("data.daily_prices")], "default data");
    assert_eq!(r32.arg("Lslow"), Some(&ArgValue::Int(128)));
    assert_eq!(c.fixed_forecast_scalar("ewmac8"), 5.3);
    assert_eq!(c.fixed_forecast_scalar("ewmac32"), 2.65);
    assert_eq!(c.forecast_div_multiplier, DivMultiplier::Fixed(1.1));
    let iw = c.instrument_weights.as_ref().unwrap();
    assert_eq!(iw[&code("SOFR")], 0.4);
    assert_eq!(iw[&code("US10")], 0.1);
    assert_eq!(c.instrument_div_multiplier, 1.5);
    assert_eq!(
        c.instrument_list(&[]),
        codes(&["CORN", "SOFR", "SP500", "US10"])
    );
}

#[test]
fn upstream_simple_system_spellings() {
    // The upstream file names the example rules module and a data method of the old data API.
    let yaml = SIMPLE_SYSTEM
        .replace(
            "systems.provided.rules.ewmac.ewmac_forecast_with_defaults",
            "systems.provided.example.rules.ewmac_forecast_with_defaults",
        )
        .replace("data: data.daily_prices", "data: data.get_instrument_price");
    let (c, warnings) = read(&yaml);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        c.trading_rules["ewmac8"].rule,
        RuleFunction::EwmacForecastWithDefaults
    );
    assert_eq!(
        c.trading_rules["ewmac8"].data,
        [ds("data.get_instrument_price")]
    );
}

#[test]
fn pst_reference_full_config() {
    let Some(dir) = systrade_test::require_pst_reference("pst_reference_full_config") else {
        return;
    };
    let path = dir.join("simple_system/config.yaml");
    let (c, warnings) = SystemConfig::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(warnings.is_empty(), "{warnings:#?}");
    c.check_supported().unwrap();

    assert_eq!(c.base_currency, "GBP");
    assert_eq!(c.notional_trading_capital, 500_000.0);
    assert_eq!(c.percentage_vol_target, 25.0);
    assert_eq!(c.average_absolute_forecast, 10.0);
    assert_eq!(c.forecast_cap, 20.0);
    assert_eq!(c.forecast_scalar, 1.0);
    assert!(!c.use_forecast_scale_estimates);
    assert_eq!(
        c.forecast_scalar_estimate,
        ForecastScalarEstimate {
            pool_instruments: true,
            window: 250_000,
            min_periods: 500,
            backfill: true,
            func: "sysquant.estimators.forecast_scalar.forecast_scalar".to_string(),
        }
    );
    assert_eq!(c.forecast_weight_ewma_span, 125);
    assert_eq!(c.instrument_weight_ewma_span, 125);
    assert_eq!(c.forecast_div_multiplier, DivMultiplier::Fixed(1.1));
    assert_eq!(c.instrument_div_multiplier, 1.5);
    assert_eq!(c.buffer_method, BufferMethod::Forecast);
    assert_eq!(c.buffer_size, 0.1);
    assert!(c.buffer_trade_to_edge);
    assert_eq!(c.capital_multiplier, CapitalMultiplier::FixedCapital);
    assert!(!c.use_sr_costs);
    assert!(c.vol_normalise_currency_costs);
    assert_eq!(c.multiply_roll_costs_by, 0.5);
    assert_eq!(c.risk_overlay, None);
    assert_eq!(c.volatility_calculation, VolatilityCalculation::default());

    let r8 = &c.trading_rules["ewmac8"];
    assert_eq!(r8.rule, RuleFunction::EwmacForecastWithDefaults);
    assert_eq!(r8.data, [ds("data.daily_prices")]);
    assert_eq!(r8.arg("Lfast"), Some(&ArgValue::Int(8)));
    assert_eq!(r8.arg("Lslow"), Some(&ArgValue::Int(32)));
    assert_eq!(c.fixed_forecast_scalar("ewmac8"), 5.3);
    assert_eq!(c.fixed_forecast_scalar("ewmac32"), 2.65);
    let w = c.forecast_weights_for(&code("SP500")).unwrap();
    assert_eq!(w.weights.len(), 2);
    assert_eq!(w.weights["ewmac8"], 0.5);

    assert_eq!(
        c.duplicate_instruments.exclude["things"],
        codes(&["bad_thing", "Another_thing"])
    );
    assert_eq!(
        c.duplicate_instruments.include["things"],
        codes(&["thing_we_want"])
    );
    assert_eq!(
        c.exclude_instrument_lists.ignore_instruments,
        codes(&["EXAMPLE"])
    );
    assert_eq!(
        c.exclude_instrument_lists.bad_markets,
        codes(&["BAD_EXAMPLE"])
    );
    assert_eq!(
        c.long_only_instruments,
        codes(&["an_instrument", "another_instrument"])
    );
    // The four instruments pysystemtrade ran (README: keys of instrument_weights).
    assert_eq!(
        c.instrument_list(&[]),
        codes(&["CORN", "SOFR", "SP500", "US10"])
    );
}

#[test]
fn per_instrument_forecast_weights_and_fdm() {
    let yaml = r#"
trading_rules:
  ewmac8: {function: ewmac, data: [rawdata.get_daily_prices, rawdata.daily_returns_volatility], other_args: {Lfast: 8, Lslow: 32}}
  carry: {function: carry, data: rawdata.raw_carry, other_args: {smooth_days: 90}}
forecast_scalars:
  ewmac8: 5.3
  carry: 30
forecast_weights:
  CORN:
    ewmac8: 0.4
    carry: 0.6
  US10:
    ewmac8: 1.0
forecast_div_multiplier:
  CORN: 1.2
  US10: 1.0
"#;
    let (c, warnings) = read(yaml);
    assert!(warnings.is_empty(), "{warnings:?}");
    match &c.forecast_weights {
        Some(ForecastWeights::PerInstrument(m)) => assert_eq!(m.len(), 2),
        other => panic!("{other:?}"),
    }
    let corn = c.forecast_weights_for(&code("CORN")).unwrap();
    assert_eq!(corn.weights["carry"], 0.6);
    let us10 = c.forecast_weights_for(&code("US10")).unwrap();
    assert_eq!(us10.weights.keys().collect::<Vec<_>>(), ["ewmac8"]);
    let err = c.forecast_weights_for(&code("BUND")).unwrap_err();
    assert_eq!(err.kind, ConfigErrorKind::MissingInstrument);
    assert_eq!(err.key.as_deref(), Some("forecast_weights"));
    assert!(err.to_string().contains("BUND"), "{err}");

    assert_eq!(c.forecast_div_multiplier_for(&code("CORN")).unwrap(), 1.2);
    let err = c.forecast_div_multiplier_for(&code("BUND")).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("forecast_div_multiplier"));

    // Scalars from forecast_scalars when the rule has none; global default otherwise.
    assert_eq!(c.fixed_forecast_scalar("ewmac8"), 5.3);
    assert_eq!(c.fixed_forecast_scalar("carry"), 30.0);
    assert_eq!(c.fixed_forecast_scalar("nothing"), 1.0);
}

#[test]
fn no_forecast_weights_means_equal_weights_over_all_rules() {
    let yaml = "trading_rules:\n  a: ewmac\n  b: breakout\n  c: carry\n  d: accel\n";
    let (c, _) = read(yaml);
    let w = c.forecast_weights_for(&code("X")).unwrap();
    assert!(w.equal_by_default);
    assert_eq!(w.weights.len(), 4);
    assert!(w.weights.values().all(|&x| x == 0.25));
    assert_eq!(c.trading_rules["b"].rule, RuleFunction::Breakout);
}

#[test]
fn defaults_of_an_empty_config_are_pysystemtrade_v1_80() {
    for text in ["", "# nothing\n", "{}\n"] {
        let (c, warnings) = read(text);
        assert!(warnings.is_empty());
        let v = &c.volatility_calculation;
        assert_eq!(v.func, VolFunction::MixedVolCalc);
        assert_eq!((v.days, v.min_periods), (35, 10));
        assert_eq!((v.slow_vol_years, v.proportion_of_slow_vol), (10.0, 0.3));
        assert_eq!(v.vol_abs_min, 1e-10);
        assert!(!v.backfill);
        assert_eq!(v.multiplier_to_get_daily_vol, 1.0);
        assert_eq!(v.name_returns_attr_in_rawdata, "daily_returns");
        assert!(c.trading_rules.is_empty());
        assert_eq!(c.forecast_scalar, 1.0);
        assert!(!c.use_forecast_scale_estimates);
        assert_eq!(
            c.forecast_scalar_estimate,
            ForecastScalarEstimate::default()
        );
        assert_eq!(
            (
                c.forecast_cap,
                c.forecast_floor(),
                c.average_absolute_forecast
            ),
            (20.0, -20.0, 10.0)
        );
        assert_eq!(c.forecast_weights, None);
        assert_eq!(c.forecast_weight_ewma_span, 125);
        assert_eq!(c.forecast_div_multiplier, DivMultiplier::Fixed(1.0));
        assert_eq!(c.percentage_vol_target, 16.0);
        assert_eq!(c.notional_trading_capital, 1_000_000.0);
        assert_eq!(c.base_currency, "USD");
        assert_eq!(c.capital_multiplier, CapitalMultiplier::FixedCapital);
        assert_eq!(c.instrument_div_multiplier, 1.0);
        assert_eq!(c.instrument_weight_ewma_span, 125);
        assert_eq!(
            (c.buffer_method, c.buffer_size, c.buffer_trade_to_edge),
            (BufferMethod::Forecast, 0.1, true)
        );
        assert_eq!(
            (
                c.use_sr_costs,
                c.vol_normalise_currency_costs,
                c.multiply_roll_costs_by
            ),
            (false, true, 0.5)
        );
        assert!(!c.use_forecast_weight_estimates && !c.use_forecast_div_mult_estimates);
        assert!(!c.use_instrument_weight_estimates && !c.use_instrument_div_mult_estimates);
        assert_eq!(c.risk_overlay, None);
        assert_eq!(c.instrument_weights, None);
        assert_eq!(c.instruments, None);
        c.check_supported().unwrap();
    }
}

#[test]
fn nulls_take_defaults_and_yaml_1_1_booleans_are_accepted() {
    let yaml = "forecast_cap:\npercentage_vol_target: ~\nbuffer_trade_to_edge: no\nuse_SR_costs: Yes\nvolatility_calculation:\n  func: robust_vol_calc\n  vol_floor: off\n  days: 25.0\n";
    let (c, warnings) = read(yaml);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.forecast_cap, 20.0);
    assert_eq!(c.percentage_vol_target, 16.0);
    assert!(!c.buffer_trade_to_edge);
    assert!(c.use_sr_costs);
    assert!(!c.volatility_calculation.vol_floor);
    assert_eq!(c.volatility_calculation.days, 25);
}

#[test]
fn sizing_portfolio_and_cost_keys() {
    let yaml = r#"
forecast_floor: 0
percentage_vol_target: 25
notional_trading_capital: 600000
base_currency: eur
buffer_method: position
buffer_size: 0.2
buffer_trade_to_edge: false
use_SR_costs: true
vol_normalise_currency_costs: false
multiply_roll_costs_by: 1.0
capital_multiplier:
  func: syscore.capital.half_compounding
long_only_instruments: [VIX]
allocate_zero_instrument_weights_to_these_instruments: [V2X]
risk_overlay:
  max_risk_fraction_normal_risk: 1.75
  max_risk_fraction_stdev_risk: 4.0
  max_risk_limit_sum_abs_risk: 4.0
  max_risk_leverage: 20.0
forecast_mapping:
  CORN: {threshold: 1.5, a_param: 2.0, b_param: 1.33}
use_forecast_scale_estimates: true
forecast_scalar_estimate:
  pool_instruments: false
  window: 1000
  min_periods: 250
  backfill: false
"#;
    let (c, warnings) = read(yaml);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.forecast_floor(), 0.0);
    assert_eq!(c.base_currency, "EUR");
    assert_eq!(c.buffer_method, BufferMethod::Position);
    assert_eq!(c.buffer_size, 0.2);
    assert!(!c.buffer_trade_to_edge && c.use_sr_costs && !c.vol_normalise_currency_costs);
    assert_eq!(c.multiply_roll_costs_by, 1.0);
    assert_eq!(c.capital_multiplier, CapitalMultiplier::HalfCompounding);
    assert_eq!(c.long_only_instruments, codes(&["VIX"]));
    assert_eq!(
        c.allocate_zero_instrument_weights_to_these_instruments,
        codes(&["V2X"])
    );
    assert_eq!(
        c.risk_overlay,
        Some(RiskOverlay {
            max_risk_fraction_normal_risk: 1.75,
            max_risk_fraction_stdev_risk: 4.0,
            max_risk_limit_sum_abs_risk: 4.0,
            max_risk_leverage: 20.0,
        })
    );
    assert_eq!(
        c.forecast_mapping[&code("CORN")],
        ForecastMapping {
            threshold: 1.5,
            a_param: 2.0,
            b_param: 1.33
        }
    );
    assert!(c.use_forecast_scale_estimates);
    assert!(!c.forecast_scalar_estimate.pool_instruments);
    assert_eq!(c.forecast_scalar_estimate.window, 1000);
    assert_eq!(c.forecast_scalar_estimate.min_periods, 250);
    c.check_supported().unwrap();
    assert_eq!(
        read("buffer_method: none\n").0.buffer_method,
        BufferMethod::None
    );
}

#[test]
fn other_args_routing_and_types() {
    let yaml = r#"
trading_rules:
  skewabs365:
    function: systems.provided.rob_system.rules.factor_trading_rule
    data:
      - rawdata.get_demeanded_factor_value
    other_args:
      smooth: 90
      _factor_name: neg_skew
      _demean_method: historic_average_factor_value_all_assets
      _lookback_days: 365
  relcarry:
    function: systems.provided.rob_system.rules.relative_carry
    data: [rawdata.smoothed_carry, rawdata.median_carry_for_asset_class]
  breakout80:
    function: systems.provided.rules.breakout.breakout
    other_args: {lookback: 80, smooth: 20.0}
"#;
    let (c, warnings) = read(yaml);
    assert!(warnings.is_empty(), "{warnings:?}");
    let r = &c.trading_rules["skewabs365"];
    assert_eq!(r.rule, RuleFunction::FactorTradingRule);
    assert_eq!(
        r.rule_args().collect::<Vec<_>>(),
        [("smooth", &ArgValue::Int(90))]
    );
    let data0 = r.data_args(0);
    assert_eq!(data0.len(), 3);
    assert!(data0.contains(&("factor_name", &ArgValue::Str("neg_skew".into()))));
    assert!(data0.contains(&("lookback_days", &ArgValue::Int(365))));
    assert!(r.data_args(1).is_empty());
    assert_eq!(r.arg("_factor_name"), None);
    assert_eq!(c.trading_rules["relcarry"].data.len(), 2);
    assert!(c.trading_rules["relcarry"].other_args.is_empty());
    let b = &c.trading_rules["breakout80"];
    assert_eq!(b.arg("smooth").and_then(ArgValue::as_i64), Some(20));
    assert_eq!(b.arg("smooth").and_then(ArgValue::as_f64), Some(20.0));
}

#[test]
fn rule_function_names() {
    for (name, rule) in [
        ("ewmac", RuleFunction::Ewmac),
        ("systems.provided.rules.ewmac.ewmac", RuleFunction::Ewmac),
        (
            "systems.provided.rules.ewmac.ewmac_calc_vol",
            RuleFunction::EwmacCalcVol,
        ),
        (
            "systems.provided.rules.ewmac.ewmac_forecast_with_defaults_no_vol",
            RuleFunction::EwmacForecastWithDefaultsNoVol,
        ),
        ("systems.provided.rules.carry.carry", RuleFunction::Carry),
        (
            "systems.provided.futures_chapter15.rules.carry2",
            RuleFunction::Carry,
        ),
        (
            "systems.provided.rules.carry.relative_carry",
            RuleFunction::RelativeCarry,
        ),
        (
            "systems.provided.rules.breakout.breakout",
            RuleFunction::Breakout,
        ),
        ("systems.provided.rules.accel.accel", RuleFunction::Accel),
        (
            "systems.provided.rules.mr_wings.mr_wings",
            RuleFunction::MrWings,
        ),
        (
            "systems.provided.rules.rel_mom.relative_momentum",
            RuleFunction::RelativeMomentum,
        ),
        (
            "systems.provided.rules.cs_mr.cross_sectional_mean_reversion",
            RuleFunction::CrossSectionalMeanReversion,
        ),
        (
            "systems.provided.rules.factors.conditioned_factor_trading_rule",
            RuleFunction::ConditionedFactorTradingRule,
        ),
        ("short_bias", RuleFunction::ShortBias),
    ] {
        assert_eq!(RuleFunction::from_function_name(name), Some(rule), "{name}");
    }
    assert_eq!(
        RuleFunction::from_function_name("systems.provided.rules.ewmac.nothing"),
        None
    );
    assert_eq!(RuleFunction::from_function_name(""), None);
    for r in RuleFunction::ALL {
        assert_eq!(RuleFunction::from_function_name(r.name()), Some(r));
    }
}

/// Each bad config gives an error naming the key (and the line when known).
#[test]
fn bad_configs_name_the_key() {
    let rules = "trading_rules:\n  ewmac8:\n    function: ewmac\n    other_args:\n      Lfast: 8\n      Lslow: 32\n";
    let cases: &[(&str, &str, ConfigErrorKind)] = &[
        (
            "trading_rules:\n  ewmac8:\n    function: ewmac\n    other_args:\n      Lfast: abc\n",
            "trading_rules.ewmac8.other_args.Lfast",
            ConfigErrorKind::Invalid,
        ),
        (
            "trading_rules:\n  ewmac8:\n    function: ewmac\n    other_args:\n      Lfast: [1, 2]\n",
            "trading_rules.ewmac8.other_args.Lfast",
            ConfigErrorKind::Invalid,
        ),
        (
            "trading_rules:\n  foo:\n    function: systems.provided.rules.nothing.foo\n",
            "trading_rules.foo.function",
            ConfigErrorKind::UnknownRuleFunction,
        ),
        (
            "trading_rules:\n  foo:\n    data: [data.daily_prices]\n",
            "trading_rules.foo",
            ConfigErrorKind::Invalid,
        ),
        (
            "trading_rules:\n  foo: 3\n",
            "trading_rules.foo",
            ConfigErrorKind::Invalid,
        ),
        (
            "trading_rules:\n  foo:\n    function: ewmac\n    data: [rawdata]\n",
            "trading_rules.foo.data[0]",
            ConfigErrorKind::Invalid,
        ),
        (
            "trading_rules:\n  foo:\n    function: ewmac\n    forecast_scalar: -2\n",
            "trading_rules.foo.forecast_scalar",
            ConfigErrorKind::Invalid,
        ),
        (
            "buffer_size: -0.1\n",
            "buffer_size",
            ConfigErrorKind::Invalid,
        ),
        (
            "buffer_size: big\n",
            "buffer_size",
            ConfigErrorKind::Invalid,
        ),
        (
            "buffer_method: sometimes\n",
            "buffer_method",
            ConfigErrorKind::Invalid,
        ),
        (
            "percentage_vol_target: 0\n",
            "percentage_vol_target",
            ConfigErrorKind::Invalid,
        ),
        (
            "notional_trading_capital: \"lots\"\n",
            "notional_trading_capital",
            ConfigErrorKind::Invalid,
        ),
        (
            "base_currency: dollars\n",
            "base_currency",
            ConfigErrorKind::Invalid,
        ),
        (
            "forecast_cap: -20\n",
            "forecast_cap",
            ConfigErrorKind::Invalid,
        ),
        (
            "forecast_floor: 25\n",
            "forecast_floor",
            ConfigErrorKind::Invalid,
        ),
        (
            "forecast_weight_ewma_span: -125\n",
            "forecast_weight_ewma_span",
            ConfigErrorKind::Invalid,
        ),
        (
            "instrument_weight_ewma_span: 12.5\n",
            "instrument_weight_ewma_span",
            ConfigErrorKind::Invalid,
        ),
        (
            "use_SR_costs: maybe\n",
            "use_SR_costs",
            ConfigErrorKind::Invalid,
        ),
        (
            "instrument_div_multiplier: [1]\n",
            "instrument_div_multiplier",
            ConfigErrorKind::Invalid,
        ),
        (
            "forecast_div_multiplier: high\n",
            "forecast_div_multiplier",
            ConfigErrorKind::Invalid,
        ),
        (
            "forecast_div_multiplier:\n  CORN: -1\n",
            "forecast_div_multiplier.CORN",
            ConfigErrorKind::Invalid,
        ),
        (
            "instrument_weights:\n  CORN: \"0.5\"\n",
            "instrument_weights.CORN",
            ConfigErrorKind::Invalid,
        ),
        (
            "instrument_weights:\n  CORN: -0.5\n",
            "instrument_weights.CORN",
            ConfigErrorKind::Invalid,
        ),
        (
            "instrument_weights:\n  \"CO RN\": 0.5\n",
            "instrument_weights.CO RN",
            ConfigErrorKind::Invalid,
        ),
        (
            "instrument_weights: [CORN, US10]\n",
            "instrument_weights",
            ConfigErrorKind::Invalid,
        ),
        (
            "instruments: [CORN, {a: 1}]\n",
            "instruments[1]",
            ConfigErrorKind::Invalid,
        ),
        (
            "volatility_calculation:\n  func: garch\n",
            "volatility_calculation.func",
            ConfigErrorKind::Invalid,
        ),
        (
            "volatility_calculation:\n  days: 0\n",
            "volatility_calculation.days",
            ConfigErrorKind::Invalid,
        ),
        (
            "volatility_calculation:\n  proportion_of_slow_vol: 1.5\n",
            "volatility_calculation.proportion_of_slow_vol",
            ConfigErrorKind::Invalid,
        ),
        (
            "capital_multiplier:\n  func: syscore.capital.double_it\n",
            "capital_multiplier.func",
            ConfigErrorKind::Invalid,
        ),
        (
            "risk_overlay:\n  max_risk_fraction_normal_risk: 1.75\n",
            "risk_overlay.max_risk_fraction_stdev_risk",
            ConfigErrorKind::Invalid,
        ),
        (
            "forecast_mapping:\n  CORN: {threshold: 1}\n",
            "forecast_mapping.CORN.a_param",
            ConfigErrorKind::Invalid,
        ),
        (
            "forecast_scalar_estimate:\n  window: -1\n",
            "forecast_scalar_estimate.window",
            ConfigErrorKind::Invalid,
        ),
        (
            "duplicate_instruments:\n  exclude:\n    things: [1]\n",
            "duplicate_instruments.exclude.things[0]",
            ConfigErrorKind::Invalid,
        ),
    ];
    for (yaml, key, kind) in cases {
        let e = read_err(yaml);
        assert_eq!(e.key.as_deref(), Some(*key), "{yaml}\n→ {e}");
        assert_eq!(e.kind, *kind, "{yaml}\n→ {e}");
        assert!(e.to_string().starts_with("test.yaml:"), "{e}");
        assert!(e.to_string().contains(key), "{e}");
    }

    // Rules named by forecast_weights / rule_variations must exist.
    let e = read_err(&format!(
        "{rules}forecast_weights:\n  ewmac8: 0.5\n  ewmac16: 0.5\n"
    ));
    assert_eq!(e.key.as_deref(), Some("forecast_weights.ewmac16"));
    assert_eq!(e.kind, ConfigErrorKind::UnknownRule);
    assert!(e.message.contains("did you mean 'ewmac8'"), "{e}");
    let e = read_err(&format!(
        "{rules}forecast_weights:\n  CORN:\n    carry: 1.0\n"
    ));
    assert_eq!(e.key.as_deref(), Some("forecast_weights.CORN.carry"));
    assert_eq!(e.kind, ConfigErrorKind::UnknownRule);
    let e = read_err(&format!("{rules}forecast_weights:\n  ewmac8: heavy\n"));
    assert_eq!(e.key.as_deref(), Some("forecast_weights.ewmac8"));
    assert_eq!(e.kind, ConfigErrorKind::Invalid);
    let e = read_err(&format!(
        "{rules}forecast_weights:\n  CORN:\n    ewmac8: 1.0\n  ewmac8: 1.0\n"
    ));
    assert_eq!(e.key.as_deref(), Some("forecast_weights.ewmac8"));
    let e = read_err(&format!("{rules}rule_variations: [ewmac8, carry]\n"));
    assert_eq!(e.key.as_deref(), Some("rule_variations[1]"));
    assert_eq!(e.kind, ConfigErrorKind::UnknownRule);

    // The line is reported.
    let e = read_err("forecast_cap: 20\nbuffer_size: -1\n");
    assert_eq!(e.line, Some(2));
    assert_eq!(
        e.to_string(),
        "test.yaml:2: buffer_size: must not be negative, found -1"
    );
    let e = read_err(
        "trading_rules:\n  ewmac8:\n    function: ewmac\n    other_args:\n      Lfast: abc\n",
    );
    assert_eq!(e.line, Some(5));
    assert_eq!(
        e.to_string(),
        "test.yaml:5: trading_rules.ewmac8.other_args.Lfast: expected a number (Lfast of ewmac), found the text 'abc'"
    );
}

#[test]
fn invalid_yaml_and_io_errors() {
    let e = read_err("a: [1, 2\n");
    assert_eq!(e.kind, ConfigErrorKind::Yaml);
    assert_eq!(e.key, None);
    let e = read_err("a: 1\na: 2\n");
    assert_eq!(e.kind, ConfigErrorKind::Yaml, "duplicate keys");
    let e = read_err("- a\n- b\n");
    assert_eq!(e.kind, ConfigErrorKind::Invalid);
    let e = SystemConfig::from_file("/nonexistent/dir/system.yaml").unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Io);
    assert!(
        e.to_string()
            .starts_with("/nonexistent/dir/system.yaml: cannot read"),
        "{e}"
    );
}

#[test]
fn unknown_keys_warn_known_production_keys_do_not() {
    let yaml = r#"
percentage_vol_targt: 20
my_own_setting: 3
ib_port: 4002
mongo_host: localhost
execution_algos: {default_algo: x}
forecast_weight_estimate: {method: handcraft}
trading_rules:
  ewmac8:
    function: ewmac
    forecast_scaler: 5.3
    other_args: {Lfast: 8, Lslow: 32, Lfst: 4}
volatility_calculation:
  func: mixed_vol_calc
  dayz: 30
"#;
    let (c, warnings) = read(yaml);
    let keys: Vec<&str> = warnings.iter().map(|w| w.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "percentage_vol_targt",
            "my_own_setting",
            "trading_rules.ewmac8.forecast_scaler",
            "trading_rules.ewmac8.other_args.Lfst",
            "volatility_calculation.dayz",
        ]
    );
    assert!(
        warnings[0]
            .message
            .contains("did you mean 'percentage_vol_target'"),
        "{}",
        warnings[0]
    );
    assert_eq!(warnings[0].line, Some(2));
    assert_eq!(
        warnings[0].to_string(),
        "test.yaml:2: percentage_vol_targt: unknown key, ignored (did you mean 'percentage_vol_target'?)"
    );
    assert!(
        warnings[3].message.contains("ewmac does not take 'Lfst'"),
        "{}",
        warnings[3]
    );
    // Warned keys do not change anything.
    assert_eq!(c.percentage_vol_target, 16.0);
    assert_eq!(c.volatility_calculation.days, 35);

    let (_, w) = read("forecast_scalars:\n  ghost: 2.0\n");
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].key, "forecast_scalars.ghost");
}

#[test]
fn estimated_weights_run_in_every_tool() {
    for key in [
        "use_forecast_weight_estimates",
        "use_forecast_div_mult_estimates",
        "use_instrument_weight_estimates",
        "use_instrument_div_mult_estimates",
    ] {
        for value in ["True", "false"] {
            let (c, warnings) = read(&format!(
                "{key}: {value}\nuse_forecast_scale_estimates: True\n"
            ));
            assert!(warnings.is_empty());
            c.check_supported().unwrap();
        }
    }
    let (c, _) = read(
        "forecast_weights:\n  auto_weight_from_grouping:\n    parameters: {}\n    groups: {}\n",
    );
    assert_eq!(c.forecast_weights, Some(ForecastWeights::AutoGroup));
    assert_eq!(
        c.check_supported().unwrap_err().key.as_deref(),
        Some("forecast_weights.auto_weight_from_grouping")
    );
    let (c, _) = read("base_config: systems.provided.example.simplesystemconfig.yaml\n");
    assert_eq!(
        c.check_supported().unwrap_err().key.as_deref(),
        Some("base_config")
    );
}

/// The estimation blocks merge over pysystemtrade's defaults key by key; values systrade does not
/// implement are refused (also by backtest) only while the estimate is used.
#[test]
fn estimation_blocks_merge_over_defaults_and_refuse_what_is_not_implemented() {
    let (c, warnings) = read(
        "use_forecast_weight_estimates: true\nforecast_weight_estimate:\n  method: shrinkage\n  correlation_estimate:\n    ew_lookback: 100\nforecast_correlation_estimate:\n  pool_instruments: false\ninstrument_div_mult_estimate:\n  dm_max: 3\nforecast_cost_estimates:\n  use_pooled_costs: true\n",
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let e = &c.estimation;
    assert_eq!(e.forecast_weight_estimate.method, "shrinkage");
    assert_eq!(
        e.forecast_weight_estimate.correlation_estimate.ew_lookback,
        100.0
    );
    // the rest of the nested block keeps its defaults
    assert_eq!(
        e.forecast_weight_estimate.correlation_estimate.min_periods,
        10
    );
    assert_eq!(e.forecast_weight_estimate.cost_multiplier, 2.0);
    assert!(!e.forecast_correlation_estimate.pool_instruments);
    assert_eq!(e.forecast_correlation_estimate.estimator.ew_lookback, 250.0);
    assert_eq!(e.instrument_div_mult_estimate.dm_max, 3.0);
    assert_eq!(e.instrument_div_mult_estimate.ewma_span, 125.0);
    assert!(e.forecast_cost_estimates.use_pooled_costs);
    assert_eq!(
        e.instrument_weight_estimate
            .correlation_estimate
            .ew_lookback,
        500_000.0
    );
    assert!(e.instrument_weight_estimate.equalise_sr);
    c.check_supported().unwrap();

    for (yaml, key, what) in [
        (
            "use_forecast_weight_estimates: true\nforecast_weight_estimate:\n  method: bootstrap\n",
            "forecast_weight_estimate",
            "method: bootstrap",
        ),
        (
            "use_forecast_weight_estimates: true\nforecast_weight_estimate:\n  vol_estimate:\n    using_exponent: false\n",
            "forecast_weight_estimate",
            "vol_estimate.using_exponent",
        ),
        (
            "use_forecast_weight_estimates: true\nforecast_weight_estimate:\n  ceiling_cost_SR: 0.13\n",
            "forecast_weight_estimate",
            "ceiling_cost_SR",
        ),
        (
            "use_instrument_weight_estimates: true\ninstrument_weight_estimate:\n  frequency: M\n",
            "instrument_weight_estimate",
            "frequency: M",
        ),
        (
            "use_forecast_div_mult_estimates: true\nforecast_correlation_estimate:\n  func: my.own.estimator\n",
            "forecast_correlation_estimate",
            "my.own.estimator",
        ),
        (
            "use_instrument_div_mult_estimates: true\ninstrument_div_mult_estimate:\n  func: my.dm\n",
            "instrument_div_mult_estimate",
            "my.dm",
        ),
    ] {
        let (c, _) = read(yaml);
        let e = c.check_supported().unwrap_err();
        assert_eq!(e.key.as_deref(), Some(key), "{yaml}");
        assert!(e.to_string().contains(what), "{e}");
        // the same values with the estimate not used change nothing
        let off = yaml.replacen(": true", ": false", 1);
        let (c, _) = read(&off);
        c.check_supported().unwrap_or_else(|e| panic!("{off}: {e}"));
    }
}

#[test]
fn rule_variations_shapes() {
    let rules = "trading_rules:\n  a: ewmac\n  b: carry\n";
    let (c, _) = read(&format!("{rules}rule_variations: [a, b]\n"));
    assert_eq!(
        c.rule_variations,
        Some(RuleVariations::Shared(vec!["a".into(), "b".into()]))
    );
    let (c, _) = read(&format!(
        "{rules}rule_variations:\n  CORN: [a]\n  US10: [a, b]\n"
    ));
    match c.rule_variations {
        Some(RuleVariations::PerInstrument(m)) => assert_eq!(m[&code("US10")].len(), 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn instrument_list_resolution() {
    let data = codes(&["US10", "CORN", "BUND", "SP500", "SP500_micro", "EXAMPLE"]);
    let exclusions = "duplicate_instruments:\n  include:\n    sp500: SP500_micro\n  exclude:\n    sp500: SP500\n    other: [BUND]\nexclude_instrument_lists:\n  ignore_instruments: [EXAMPLE]\n  trading_restrictions: [CORN]\n  bad_markets: [US10]\n";

    // All instruments in the data, minus duplicates and ignored ones; restrictions and bad markets stay.
    let (c, _) = read(exclusions);
    let (list, source) = c.instrument_list_with_source(&data);
    assert_eq!(source, InstrumentListSource::AllInData);
    assert_eq!(list, codes(&["CORN", "SP500_micro", "US10"]));
    assert_eq!(
        c.removed_instruments(),
        codes(&["BUND", "EXAMPLE", "SP500"])
    );
    assert_eq!(
        c.duplicate_instruments.include["sp500"],
        codes(&["SP500_micro"])
    );

    // `instruments` when there are no instrument weights; sorted, repeats dropped.
    let (c, _) = read(&format!(
        "{exclusions}instruments: [US10, SP500, CORN, US10]\n"
    ));
    let (list, source) = c.instrument_list_with_source(&data);
    assert_eq!(source, InstrumentListSource::Instruments);
    assert_eq!(list, codes(&["CORN", "US10"]));

    // Keys of instrument_weights win over `instruments`.
    let (c, _) = read(&format!(
        "{exclusions}instruments: [US10]\ninstrument_weights:\n  SP500: 0.5\n  GOLD: 0.25\n  BUND: 0.25\n"
    ));
    let (list, source) = c.instrument_list_with_source(&data);
    assert_eq!(source, InstrumentListSource::InstrumentWeights);
    assert_eq!(list, codes(&["GOLD"]));
}

#[test]
fn example_system_config() {
    let (c, warnings) = SystemConfig::from_yaml_str(EXAMPLE_SYSTEM_YAML, "system.yaml").unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    c.check_supported().unwrap();
    assert_eq!(
        c.trading_rules.keys().collect::<Vec<_>>(),
        ["carry", "ewmac16_64", "ewmac32_128", "ewmac64_256"]
    );
    assert_eq!(c.fixed_forecast_scalar("ewmac16_64"), 3.75);
    assert_eq!(c.fixed_forecast_scalar("ewmac32_128"), 2.65);
    assert_eq!(c.fixed_forecast_scalar("ewmac64_256"), 1.87);
    assert_eq!(c.fixed_forecast_scalar("carry"), 30.0);
    let w = c.forecast_weights_for(&code("ANY")).unwrap().weights;
    assert!((w.values().sum::<f64>() - 1.0).abs() < 1e-12);
    assert_eq!(c.forecast_div_multiplier, DivMultiplier::Fixed(1.31));
    assert_eq!(c.percentage_vol_target, 20.0);
    assert_eq!(c.notional_trading_capital, 250_000.0);
    assert_eq!(c.base_currency, "USD");
    assert_eq!(
        c.instrument_weights, None,
        "equal instrument weights, with a warning from the tools"
    );
    let data = codes(&["US10", "CORN"]);
    assert_eq!(c.instrument_list(&data), codes(&["CORN", "US10"]));
    // The committed file and the constant are the same text.
    let file =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/system.yaml"))
            .unwrap();
    assert_eq!(file, EXAMPLE_SYSTEM_YAML);
}

/// A config the size of pysystemtrade's rob_system (spec §3.9: ~44 rules, ~150 instruments with
/// per-instrument forecast weights and FDM) reads without hitting parser limits.
#[test]
fn rob_system_sized_config() {
    let rules: Vec<String> = (0..44).map(|i| format!("momentum{i}")).collect();
    let instruments: Vec<String> = (0..150).map(|i| format!("INSTR_{i}")).collect();
    let mut yaml = String::from("trading_rules:\n");
    for (i, r) in rules.iter().enumerate() {
        yaml += &format!(
            "  {r}:\n     function: systems.provided.rob_system.rules.ewmac\n     data:\n         - \"rawdata.get_daily_prices\"\n         - \"rawdata.daily_returns_volatility\"\n     other_args:\n         Lfast: {}\n         Lslow: {}\n",
            i + 1,
            4 * (i + 1)
        );
    }
    yaml += "forecast_scalars:\n";
    for (i, r) in rules.iter().enumerate() {
        yaml += &format!("  {r}: {}\n", 1.0 + i as f64 / 10.0);
    }
    yaml += "forecast_weights:\n";
    for instrument in &instruments {
        yaml += &format!("  {instrument}:\n");
        for r in &rules {
            yaml += &format!("    {r}: 0.0227\n");
        }
    }
    yaml += "forecast_div_multiplier:\n";
    for instrument in &instruments {
        yaml += &format!("  {instrument}: 1.8\n");
    }
    yaml += "instrument_weights:\n";
    for instrument in &instruments {
        yaml += &format!("  {instrument}: 0.0066\n");
    }
    yaml += "instrument_div_multiplier: 2.75\nrisk_overlay:\n  max_risk_fraction_normal_risk: 1.75\n  max_risk_fraction_stdev_risk: 4.0\n  max_risk_limit_sum_abs_risk: 4.0\n  max_risk_leverage: 20.0\n";
    let (c, warnings) = read(&yaml);
    assert!(warnings.is_empty());
    assert_eq!(c.trading_rules.len(), 44);
    assert_eq!(c.instrument_list(&[]).len(), 150);
    let w = c.forecast_weights_for(&code("INSTR_149")).unwrap();
    assert_eq!(w.weights.len(), 44);
    assert_eq!(c.fixed_forecast_scalar("momentum10"), 2.0);
    assert_eq!(
        c.forecast_div_multiplier_for(&code("INSTR_7")).unwrap(),
        1.8
    );
}

#[test]
fn empty_or_ruleless_configs_are_not_usable() {
    let unusable = |yaml: &str, key: &str| {
        let (cfg, _) = read(yaml);
        let e = cfg.check_usable().unwrap_err();
        assert_eq!(e.key.as_deref(), Some(key), "{yaml}: {e}");
        let text = e.to_string();
        assert!(text.contains("test.yaml") && text.contains(key), "{text}");
    };
    let rules = "trading_rules:\n  ewmac8:\n    function: systems.provided.rules.ewmac.ewmac_forecast_with_defaults\n    other_args: {Lfast: 8, Lslow: 32}\n";
    unusable("", "trading_rules");
    unusable("percentage_vol_target: 20\n", "trading_rules");
    unusable("trading_rules: {}\n", "trading_rules");
    unusable(&format!("{rules}instruments: []\n"), "instruments");
    unusable(
        &format!("{rules}instrument_weights: {{}}\n"),
        "instrument_weights",
    );
    unusable(
        &format!("{rules}instrument_weights: {{CORN: 0.0}}\n"),
        "instrument_weights",
    );
    unusable(
        &format!("{rules}forecast_weights: {{ewmac8: 0.0}}\n"),
        "forecast_weights",
    );
    let (cfg, _) = read(&format!("{rules}forecast_weights: {{ewmac8: 1.0}}\n"));
    assert!(cfg.check_usable().is_ok());
    let (cfg, _) = read(rules);
    assert!(
        cfg.check_usable().is_ok(),
        "no weights at all means equal weights"
    );
}

#[test]
fn small_system_instrument_returns_correlation_and_strategy_list() {
    let (c, w) = read("{}");
    assert!(w.is_empty());
    assert_eq!(c.small_system, SmallSystem::default());
    assert_eq!(c.small_system.shadow_cost, 50.0);
    assert_eq!(c.small_system.tracking_error_buffer, 0.0125);
    assert_eq!(c.strategy, Strategy::Classic);

    let (c, w) = read(
        "small_system:\n  shadow_cost: 10\n  cost_multiplier: 2.0\n  tracking_error_buffer: 0.02\n  shrink_instrument_returns_correlation: 0.25\n  new_knob: 1\ninstrument_returns_correlation:\n  func: sysquant.estimators.correlation_over_time.correlation_over_time_for_returns\n  frequency: \"7D\"\n  ew_lookback: 75\n  clip: 0.99\n  floor_at_zero: False\n",
    );
    let s = c.small_system;
    assert_eq!(
        (s.shadow_cost, s.cost_multiplier, s.tracking_error_buffer),
        (10.0, 2.0, 0.02)
    );
    assert_eq!(s.shrink_instrument_returns_correlation, 0.25);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].to_string().contains("small_system.new_knob"),
        "{}",
        w[0]
    );

    // another estimator setting than pysystemtrade's default is refused for an optimised
    // strategy, naming the key
    let (c, _) = read(
        "instrument_returns_correlation:\n  ew_lookback: 50\nstrategy_list:\n  s:\n    run_strategy_order_generator:\n      object: sysexecution.strategies.dynamic_optimised_positions.orderGeneratorForDynamicPositions\n",
    );
    let e = c.check_supported().unwrap_err();
    assert!(
        e.to_string().contains("instrument_returns_correlation"),
        "{e}"
    );
    assert!(e.to_string().contains("ew_lookback"), "{e}");
    let e = read_err("small_system:\n  shrink_instrument_returns_correlation: 1.5\n");
    assert!(
        e.to_string()
            .contains("shrink_instrument_returns_correlation"),
        "{e}"
    );

    // pysystemtrade's production switch: the strategy's system or order generator
    let (c, _) = read(
        "strategy_list:\n  dynamic:\n    load_backtests:\n      object: sysproduction.strategy_code.run_dynamic_optimised_system.runSystemCarryTrendDynamic\n      function: system_method\n",
    );
    assert_eq!(c.strategy, Strategy::DynamicOptimised);
    let (c, _) = read(
        "strategy_list:\n  s:\n    run_strategy_order_generator:\n      object: sysexecution.strategies.dynamic_optimised_positions.orderGeneratorForDynamicPositions\n",
    );
    assert_eq!(c.strategy, Strategy::DynamicOptimised);
    let (c, _) = read(
        "strategy_list:\n  classic:\n    load_backtests:\n      object: sysproduction.strategy_code.run_system_classic.runSystemClassic\n",
    );
    assert_eq!(c.strategy, Strategy::Classic);
}
