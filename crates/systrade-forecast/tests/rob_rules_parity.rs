//! Parity with pysystemtrade 1.80 on the 40 trading rules of its `rob_system` config
//! (`../shared/pst-reference/rob_rules`): the system's 18 instruments go through the forecast
//! pipeline (cross-sectional inputs over the system's instruments, asset-class factor averages
//! over every instrument of the data in the class, vol attenuation of the `use_attenuation`
//! rules, fixed scalars, cap 20), and for the four exported instruments (SP500, US10, CORN, EUR)
//! the vol quantile, the vol attenuation and the capped forecast of every rule are compared with
//! pysystemtrade's, within 1e-8 relative (1e-12 absolute near zero). Prices are read from
//! `../shared/pst-data` with pandas' float parser (see `simple_system_parity.rs`).
//!
//! The rule definitions below are those of `rob_rules/config.yaml` (`trading_rules`); scalars,
//! `use_attenuation`, the instrument lists and the asset classes come from `summary.json`.

#![allow(clippy::print_stderr)]

mod common;

use chrono::NaiveDate;
use common::{Floats, read_adjusted, read_multiple};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;
use systrade_forecast::attenuation::{vol_attenuation, vol_quantile};
use systrade_forecast::pipeline::{ForecastJob, ScalarMethod, compute_forecasts};
use systrade_forecast::rawdata::VolReturns;
use systrade_forecast::spec::{ArgValue, TradingRule};
use systrade_forecast::{
    ClassPeer, ForecastConfig, ForecastInputs, PriceInputs, RawData, VolConfig, VolEstimator,
};
use systrade_model::{ForecastSeries, InstrumentCode};
use systrade_series::{DailySeries, reindex};
use systrade_test::{CsvTable, close_f64, read_csv, require_pst_data, require_pst_reference};

const REL_TOL: f64 = 1e-8;
const ABS_TOL: f64 = 1e-12;

/// `volatility_calculation` of rob_rules/config.yaml.
fn vol_config() -> VolConfig {
    VolConfig {
        estimator: VolEstimator::Mixed {
            days: 35,
            min_periods: 10,
            slow_vol_years: 20.0,
            proportion_of_slow_vol: 0.35,
            vol_abs_min: 1e-10,
            backfill: true,
        },
        returns: VolReturns::DailyReturns,
        multiplier: 1.0,
    }
}

/// The trading rule `name` as `rob_rules/config.yaml` defines it (`function`, `data`, `other_args`).
fn rule_definition(name: &str, skew_args: &Value) -> TradingRule {
    let prices = "rawdata.get_daily_prices";
    let vol = "rawdata.daily_returns_volatility";
    let norm = "rawdata.get_cumulative_daily_vol_normalised_returns";
    let class_price = "rawdata.normalised_price_for_asset_class";
    let n = |prefix: &str| -> f64 { name[prefix.len()..].parse().unwrap() };
    let mut args: BTreeMap<String, ArgValue> = BTreeMap::new();
    let mut num = |k: &str, v: f64| {
        args.insert(k.to_string(), ArgValue::Number(v));
    };
    let (function, data): (&str, Vec<&str>) = if name.starts_with("breakout") {
        num("lookback", n("breakout"));
        ("systems.provided.rules.breakout.breakout", vec![prices])
    } else if name.starts_with("relmomentum") {
        num("horizon", n("relmomentum"));
        (
            "systems.provided.rules.rel_mom.relative_momentum",
            vec![norm, class_price],
        )
    } else if name.starts_with("mrinasset") {
        num("horizon", n("mrinasset"));
        (
            "systems.provided.rules.cs_mr.cross_sectional_mean_reversion",
            vec![norm, class_price],
        )
    } else if name.starts_with("carry") {
        num("smooth_days", n("carry"));
        (
            "systems.provided.rules.carry.carry",
            vec!["rawdata.raw_carry"],
        )
    } else if name.starts_with("assettrend") {
        let f = n("assettrend");
        num("Lfast", f);
        num("Lslow", 4.0 * f);
        (
            "systems.provided.rules.ewmac.ewmac_calc_vol",
            vec![class_price],
        )
    } else if name.starts_with("normmom") {
        let f = n("normmom");
        num("Lfast", f);
        num("Lslow", 4.0 * f);
        ("systems.provided.rules.ewmac.ewmac_calc_vol", vec![norm])
    } else if name.starts_with("momentum") {
        let f = n("momentum");
        num("Lfast", f);
        num("Lslow", 4.0 * f);
        ("systems.provided.rules.ewmac.ewmac", vec![prices, vol])
    } else if name.starts_with("accel") {
        num("Lfast", n("accel"));
        ("systems.provided.rules.accel.accel", vec![prices, vol])
    } else if name == "relcarry" {
        (
            "systems.provided.rules.carry.relative_carry",
            vec![
                "rawdata.smoothed_carry",
                "rawdata.median_carry_for_asset_class",
            ],
        )
    } else if name.starts_with("skew") {
        let a = &skew_args[name];
        num("smooth", a["smooth"].as_f64().unwrap());
        num("_lookback_days", a["lookback_days"].as_f64().unwrap());
        for k in ["factor_name", "demean_method"] {
            args.insert(
                format!("_{k}"),
                ArgValue::Text(a[k].as_str().unwrap().to_string()),
            );
        }
        (
            "systems.provided.rules.factors.factor_trading_rule",
            vec!["rawdata.get_demeanded_factor_value"],
        )
    } else {
        panic!("rule {name} not in rob_rules' config");
    };
    let data: Vec<String> = data.into_iter().map(String::from).collect();
    TradingRule::from_pysystemtrade(function, &data, &args)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Daily prices (and multiple prices where the data has them) of one instrument.
fn inputs_of(
    data: &Path,
    code: &str,
) -> (
    systrade_model::AdjustedPrices,
    Option<systrade_model::CarryPrices>,
) {
    let adjusted = read_adjusted(
        &data.join(format!("adjusted_prices_csv/{code}.csv.gz")),
        Floats::LikePandas,
    );
    let m = data.join(format!("multiple_prices_csv/{code}.csv.gz"));
    let multiple = m.exists().then(|| read_multiple(&m, Floats::LikePandas));
    (adjusted, multiple)
}

/// A reference file with its dates.
struct Reference {
    table: CsvTable,
    dates: Vec<NaiveDate>,
}

fn read_reference(path: &Path) -> Reference {
    let table = read_csv(path);
    let dates = table
        .str_column("index")
        .iter()
        .map(|s| NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").unwrap())
        .collect();
    Reference { table, dates }
}

/// How one of our series compares with a reference column: values outside tolerance (with the
/// first few), values compared, largest relative error among values differing by more than the
/// absolute tolerance.
struct Comparison {
    bad: usize,
    first_bad: Vec<String>,
    compared: usize,
    max_rel: f64,
}

fn compare(ours: &DailySeries, reference: &Reference, column: &str) -> Comparison {
    let want = reference.table.f64_column(column);
    let got = reindex(&ours.dates, &ours.values, &reference.dates);
    let mut c = Comparison {
        bad: 0,
        first_bad: Vec::new(),
        compared: 0,
        max_rel: 0.0,
    };
    for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
        if !close_f64(g, w, REL_TOL, ABS_TOL) {
            c.bad += 1;
            if c.first_bad.len() < 3 {
                c.first_bad
                    .push(format!("{} ours {g:?} want {w:?}", reference.dates[i]));
            }
        } else if !w.is_nan() {
            c.compared += 1;
            if (g - w).abs() > ABS_TOL {
                c.max_rel = c.max_rel.max((g - w).abs() / w.abs());
            }
        }
    }
    c
}

#[test]
fn rob_rules_capped_forecasts_match_pysystemtrade() {
    let test = "rob_rules_capped_forecasts_match_pysystemtrade";
    let Some(data) = require_pst_data(test) else {
        return;
    };
    let Some(reference) = require_pst_reference(test) else {
        return;
    };
    let dir = reference.join("rob_rules");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let system = strings(&summary["system_instruments"]);
    let exported = strings(&summary["exported_instruments"]);
    let rules = strings(&summary["rules"]);
    let attenuated: BTreeSet<String> = strings(&summary["use_attenuation"]).into_iter().collect();
    let class_of = |code: &str| {
        summary["asset_class_of_instrument"][code]
            .as_str()
            .unwrap()
            .to_string()
    };
    let vol = vol_config();

    let config = ForecastConfig {
        rules: rules
            .iter()
            .map(|r| (r.clone(), rule_definition(r, &summary["skew_rule_args"])))
            .collect(),
        scalars: rules
            .iter()
            .map(|r| {
                (
                    r.clone(),
                    summary["forecast_scalars_fixed"][r].as_f64().unwrap(),
                )
            })
            .collect(),
        forecast_weights: rules
            .iter()
            .map(|r| (r.clone(), 1.0 / rules.len() as f64))
            .collect(),
        forecast_cap: summary["forecast_cap"].as_f64().unwrap(),
        vol,
        attenuated_rules: attenuated.clone(),
        ..ForecastConfig::default()
    };
    assert_eq!(config.rules.len(), 40);
    assert_eq!(attenuated.len(), 28);

    // The system's instruments and, for the asset-class skew averages, every other instrument of
    // the data in their classes.
    let inputs: Vec<ForecastInputs> = system
        .par_iter()
        .map(|code| {
            let (adjusted, multiple) = inputs_of(&data, code);
            ForecastInputs::compute(
                PriceInputs {
                    adjusted: &adjusted,
                    multiple: multiple.as_ref(),
                },
                &vol,
            )
        })
        .collect();
    let classes: BTreeSet<String> = system.iter().map(|c| class_of(c)).collect();
    let peer_codes: Vec<(String, String)> = classes
        .iter()
        .flat_map(|class| {
            strings(&summary["data_instruments_in_asset_class"][class])
                .into_iter()
                .filter(|c| !system.contains(c))
                .map(move |c| (class.clone(), c))
        })
        .collect();
    let peers: Vec<ClassPeer> = peer_codes
        .par_iter()
        .map(|(class, code)| {
            let (adjusted, multiple) = inputs_of(&data, code);
            ClassPeer {
                asset_class: class.clone(),
                daily_percentage_returns: RawData::compute(&adjusted, multiple.as_ref(), &vol)
                    .daily_percentage_returns(),
            }
        })
        .collect();
    eprintln!(
        "{} system instruments, {} other instruments of their asset classes",
        system.len(),
        peers.len()
    );

    // Vol quantile and attenuation of the exported instruments.
    let mut failures: Vec<String> = Vec::new();
    let mut overall_max_rel = 0.0_f64;
    let refs: BTreeMap<String, (Reference, Option<Reference>)> = exported
        .iter()
        .map(|code| {
            let d = dir.join(format!("instruments/{code}"));
            let carry = d.join("carry.csv.gz");
            (
                code.clone(),
                (
                    read_reference(&d.join("daily.csv.gz")),
                    carry.exists().then(|| read_reference(&carry)),
                ),
            )
        })
        .collect();
    for code in &exported {
        let i = system.iter().position(|c| c == code).unwrap();
        let pct_vol = inputs[i].raw.daily_percentage_volatility();
        let daily = &refs[code].0;
        for (name, series) in [
            ("vol_quantile", vol_quantile(&pct_vol)),
            ("vol_attenuation", vol_attenuation(&pct_vol)),
        ] {
            let c = compare(&series, daily, name);
            eprintln!(
                "{code:6} {name:30} {:6} values, {} outside tolerance, max rel err {:.3e} {:?}",
                c.compared, c.bad, c.max_rel, c.first_bad
            );
            overall_max_rel = overall_max_rel.max(c.max_rel);
            if c.bad > 0 {
                failures.push(format!("{code} {name}"));
            }
        }
    }

    // Every rule through the pipeline.
    let jobs: Vec<ForecastJob> = system
        .iter()
        .map(|code| ForecastJob {
            code: InstrumentCode::new(code).unwrap(),
            asset_class: Some(class_of(code)),
            config: config.clone(),
            no_combined: None,
            costs: None,
        })
        .collect();
    let results: Mutex<BTreeMap<String, Vec<ForecastSeries>>> = Mutex::new(BTreeMap::new());
    let keep: BTreeSet<&String> = exported.iter().collect();
    compute_forecasts(
        &jobs,
        inputs.into_iter().map(Ok).collect(),
        &peers,
        ScalarMethod::Fixed,
        &|| {},
        &|job, series| {
            if keep.contains(&job.code.as_str().to_string()) {
                results
                    .lock()
                    .unwrap()
                    .insert(job.code.as_str().to_string(), series);
            }
            Ok(())
        },
        &mut |job, r: Result<(), String>| r.map_err(|e| format!("{}: {e}", job.code)),
    )
    .unwrap();
    let results = results.into_inner().unwrap();

    let mut matching = 0;
    let mut per_rule_bad: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for code in &exported {
        let (daily, carry) = &refs[code];
        let series = &results[code];
        for rule in &rules {
            let column = format!("capped_forecast__{rule}");
            let reference = if daily.table.header.contains(&column) {
                daily
            } else {
                carry
                    .as_ref()
                    .filter(|c| c.table.header.contains(&column))
                    .unwrap_or_else(|| panic!("{code}: no reference column {column}"))
            };
            let s = series.iter().find(|s| &s.rule == rule).unwrap();
            let ours = DailySeries::new(s.dates.clone(), s.capped.clone());
            let c = compare(&ours, reference, &column);
            eprintln!(
                "{code:6} {rule:14} capped {:6} values, {:5} outside tolerance, max rel err {:.3e} {:?}",
                c.compared, c.bad, c.max_rel, c.first_bad
            );
            overall_max_rel = overall_max_rel.max(c.max_rel);
            if c.bad == 0 {
                matching += 1;
            } else {
                per_rule_bad.entry(rule).or_default().push(code);
                failures.push(format!("{code} {rule}"));
            }
        }
    }
    eprintln!(
        "{matching} of {} (rule, instrument) capped forecasts match; rules not matching everywhere: {:?}; overall max relative error {overall_max_rel:.3e}",
        rules.len() * exported.len(),
        per_rule_bad
    );
    assert!(failures.is_empty(), "outside tolerance: {failures:?}");
}
