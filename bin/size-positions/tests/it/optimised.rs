//! The dynamically optimised strategy in production on the repository's synthetic `testdata/`:
//! size-positions writes whole-contract optimised targets (`lower = upper`) to state.sqlite from
//! the positions held, and place-orders (sim broker) trades to them with no buffer on top.

use super::{other_bin, run_ok};
use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::Path;
use systrade_model::InstrumentCode;
use systrade_store::Store;
use systrade_store::state::sizing::{BufferDecision, Optimisation};

const CONFIG: &str = "\
trading_rules:
  ewmac16_64:
    function: systems.provided.rules.ewmac.ewmac
    data:
      - rawdata.get_daily_prices
      - rawdata.daily_returns_volatility
    other_args:
      Lfast: 16
      Lslow: 64
    forecast_scalar: 3.75
percentage_vol_target: 20.0
notional_trading_capital: 200000
instrument_div_multiplier: 2.0
small_system:
  shadow_cost: 50
  tracking_error_buffer: 0.0125
strategy_list:
  dynamic:
    run_strategy_order_generator:
      object: sysexecution.strategies.dynamic_optimised_positions.orderGeneratorForDynamicPositions
";

fn tool(name: &str, data: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(other_bin(name));
    cmd.env("SYSTRADE_DATA", data);
    cmd
}

#[test]
fn optimised_targets_are_whole_contracts_and_place_orders_trades_to_them() {
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    if !testdata.join("contract_prices_csv").is_dir() {
        eprintln!(
            "SKIPPED optimised_targets_are_whole_contracts_and_place_orders_trades_to_them: no testdata/"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    run_ok(
        tool("import-pst", &data)
            .arg(&testdata)
            .args(["--no-progress", "-q"]),
    );
    for sub in ["calendar", "multiple", "adjust"] {
        run_ok(tool("roll-contracts", &data).args([sub, "--no-progress", "-q"]));
    }
    let config = tmp.path().join("dynamic.yaml");
    std::fs::write(&config, CONFIG).unwrap();
    run_ok(
        tool("compute-forecasts", &data)
            .arg("--config")
            .arg(&config)
            .args(["--no-progress", "-q"]),
    );
    let size = || {
        let out = Command::cargo_bin("size-positions")
            .unwrap()
            .env("SYSTRADE_DATA", &data)
            .arg("--config")
            .arg(&config)
            .args(["--no-progress", "-q", "--strategy", "dynamic"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let text = size();
    assert!(text.contains("dynamic optimisation on"), "{text}");
    assert!(text.contains("optimised"), "{text}");
    let store = Store::open(&data);
    let optimal = store
        .open_state()
        .unwrap()
        .latest_optimal_positions()
        .unwrap();
    assert!(optimal.len() >= 5, "{} instruments", optimal.len());
    let mut targets = BTreeMap::new();
    for o in &optimal {
        assert_eq!(o.strategy, "dynamic");
        assert_eq!(o.lower, o.upper, "{}: no buffer", o.instrument);
        assert_eq!(o.lower.fract(), 0.0, "{}: whole contracts", o.instrument);
        targets.insert(o.instrument.clone(), o.lower as i64);
    }
    assert!(
        targets.values().any(|t| *t != 0),
        "some position is held: {targets:?}"
    );

    // place-orders trades exactly to the targets
    run_ok(tool("place-orders", &data).args(["--no-progress", "-q", "--strategies", "dynamic"]));
    let state = store.open_state().unwrap();
    for (code, target) in &targets {
        assert_eq!(
            state.strategy_position("dynamic", code).unwrap(),
            *target,
            "{code}"
        );
    }
    // the first run's decision, as stored in sizing_runs (issue 18: report of the optimiser)
    let first = optimiser_run(&store);
    check_decision(&first, &text, &targets, &store);
    let held: Vec<i64> = first
        .instruments
        .iter()
        .map(|p| p.previous_position)
        .collect();
    assert!(
        held.iter().all(|p| *p == 0),
        "nothing held before: {held:?}"
    );

    // a second run decides from the positions now held (the prior): still whole contracts
    let text = size();
    let again = store
        .open_state()
        .unwrap()
        .latest_optimal_positions()
        .unwrap();
    assert!(
        again
            .iter()
            .all(|o| o.lower == o.upper && o.lower.fract() == 0.0)
    );
    let second = optimiser_run(&store);
    let targets: BTreeMap<_, _> = again
        .iter()
        .map(|o| (o.instrument.clone(), o.lower as i64))
        .collect();
    check_decision(&second, &text, &targets, &store);
    // the prior of the second run is the first run's targets, on the same inputs: its tracking
    // error against the optimal positions is the one the first run computed for its targets
    for (a, b) in first.instruments.iter().zip(&second.instruments) {
        assert_eq!(a.instrument, b.instrument);
        assert_eq!(
            b.previous_position, a.optimised_position,
            "{}",
            a.instrument
        );
        assert_eq!(a.optimal_position.to_bits(), b.optimal_position.to_bits());
    }
    let (te_then, te_now) = (first.te_optimised_vs_optimal, second.te_prior_vs_optimal);
    assert!(
        (te_then - te_now).abs() <= 1e-12 * te_then.abs().max(1.0),
        "TE of the first targets {te_then} vs TE of the same positions held {te_now}"
    );

    // report shows the latest run: the stored values, in full precision in JSON (serde_json
    // without `float_roundtrip` may parse the last bit differently: within 2 ulp)
    let close = |got: Option<f64>, want: f64| {
        got.is_some_and(|g| (g - want).abs() <= 4.0 * f64::EPSILON * want.abs())
    };
    let json = run_ok(
        tool("report", &data)
            .env("SYSTRADE_RUN_DATE", "2023-08-31")
            .args(["positions", "--format", "json", "-q"]),
    );
    let j: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let decision = &table(&j, "positions-optimiser")[0];
    assert_eq!(decision["strategy"], "dynamic");
    assert_eq!(decision["buffer_decision"], second.buffer_decision.as_str());
    for (column, stored) in [
        ("te_prior_vs_optimal", second.te_prior_vs_optimal),
        ("te_optimised_vs_optimal", second.te_optimised_vs_optimal),
    ] {
        assert!(
            close(decision[column].as_f64(), stored),
            "{column}: {} vs {stored}",
            decision[column]
        );
    }
    let rows = table(&j, "positions-optimised");
    assert_eq!(rows.len(), second.instruments.len());
    for (r, p) in rows.iter().zip(&second.instruments) {
        assert_eq!(r["instrument"], p.instrument.as_str());
        if p.optimal_position.is_finite() {
            assert!(
                close(r["optimal"].as_f64(), p.optimal_position),
                "{}: {} vs {}",
                p.instrument,
                r["optimal"],
                p.optimal_position
            );
        } else {
            assert!(r["optimal"].is_null(), "{}: {}", p.instrument, r["optimal"]);
        }
        assert_eq!(r["held"].as_f64(), Some(p.previous_position as f64));
        assert_eq!(r["optimised"].as_f64(), Some(p.optimised_position as f64));
    }
    let html = run_ok(
        tool("report", &data)
            .env("SYSTRADE_RUN_DATE", "2023-08-31")
            .args(["--format", "html", "-q"]),
    );
    assert!(
        String::from_utf8(html)
            .unwrap()
            .contains("optimal vs optimised positions")
    );

    // a classic run of the same strategy hides the optimiser's tables
    let classic = tmp.path().join("classic.yaml");
    std::fs::write(&classic, CONFIG.split("strategy_list:").next().unwrap()).unwrap();
    run_ok(
        tool("size-positions", &data)
            .arg("--config")
            .arg(&classic)
            .args(["--no-progress", "-q", "--strategy", "dynamic"]),
    );
    let json = run_ok(
        tool("report", &data)
            .env("SYSTRADE_RUN_DATE", "2023-08-31")
            .args(["positions", "--format", "json", "-q"]),
    );
    let j: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let names: Vec<&str> = j["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["positions-optimal", "positions-reconcile"]);
}

fn table<'a>(j: &'a serde_json::Value, name: &str) -> &'a Vec<serde_json::Value> {
    j["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no table {name} in {j}"))["rows"]
        .as_array()
        .unwrap()
}

/// The latest `sizing_runs` record of strategy `dynamic`: an optimised run.
fn optimiser_run(store: &Store) -> Optimisation {
    let runs = store.open_state().unwrap().latest_sizing_runs().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].strategy, "dynamic");
    runs[0].optimisation.clone().expect("an optimised run")
}

/// The stored decision is the optimiser's: the targets written to `optimal_positions`, the
/// unrounded optimal positions of the positions files (no risk overlay: the notional position is
/// the optimiser's input), the values size-positions printed, and pysystemtrade's buffer rule
/// (`buffering.py`) between the held, greedy and optimised positions.
fn check_decision(
    o: &Optimisation,
    stdout: &str,
    targets: &BTreeMap<InstrumentCode, i64>,
    store: &Store,
) {
    const BUFFER: f64 = 0.0125;
    assert!(o.failure.is_none(), "{:?}", o.failure);
    assert_eq!(o.instruments.len(), targets.len());
    assert!(o.te_prior_vs_optimal.is_finite() && o.te_optimised_vs_optimal.is_finite());
    let header = stdout.lines().next().unwrap();
    assert!(
        header.contains(&format!(
            "{:.4} held, {:.4} target",
            o.te_prior_vs_optimal, o.te_optimised_vs_optimal
        )),
        "{header} vs {o:?}"
    );
    for p in &o.instruments {
        assert_eq!(
            targets[&p.instrument], p.optimised_position,
            "{}",
            p.instrument
        );
        let h = store.read_position_history(&p.instrument).unwrap();
        let notional = *h.notional_position.iter().rfind(|v| v.is_finite()).unwrap();
        assert!(
            (p.optimal_position - notional).abs() <= 1e-9 * notional.abs().max(1.0),
            "{}: optimal {} vs notional {notional}",
            p.instrument,
            p.optimal_position
        );
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{} ", p.instrument)))
            .unwrap_or_else(|| panic!("{} not printed: {stdout}", p.instrument));
        let expect = format!(
            "optimal {:>10.3}  held {:>6}  optimised {:>6}",
            p.optimal_position, p.previous_position, p.optimised_position
        );
        assert!(line.ends_with(&expect), "{line} vs {expect}");
    }
    let moved = o
        .instruments
        .iter()
        .any(|p| p.optimised_position != p.previous_position);
    assert_eq!(o.traded, moved);
    match o.buffer_decision {
        BufferDecision::PriorWithinBuffer => {
            assert!(o.prior_within_buffer && o.te_prior_vs_optimal < BUFFER);
            assert!(!moved);
        }
        BufferDecision::GreedyWithinBuffer => {
            assert!(o.te_prior_vs_greedy <= BUFFER && !moved, "{o:?}");
        }
        BufferDecision::Adjusted => {
            assert!(!o.prior_within_buffer && o.te_prior_vs_optimal >= BUFFER);
            let te = o.te_prior_vs_greedy;
            assert_eq!(o.adj_factor, (te - BUFFER) / te);
            // new = prior + round_half_even(adj × (greedy − prior)) in contracts, valid keys
            for p in o
                .instruments
                .iter()
                .filter(|p| p.greedy_position.is_finite())
            {
                let trade = o.adj_factor * (p.greedy_position - p.previous_position as f64);
                assert_eq!(
                    p.optimised_position - p.previous_position,
                    trade.round_ties_even() as i64,
                    "{}: {p:?}",
                    p.instrument
                );
            }
        }
        BufferDecision::Failed => panic!("failed: {o:?}"),
    }
}

/// Issue 18 / 14: the overrides are constraints of the optimiser. Positions are opened at 2M; at
/// 6M the free optimiser wants more of each; then a config `trading_restrictions` instrument
/// keeps its held position, a `bad_markets` one only moves towards zero, and one with a manual
/// no-trading override (state.sqlite) keeps its held position too.
#[test]
fn overrides_and_config_restrictions_constrain_the_optimiser() {
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    if !testdata.join("contract_prices_csv").is_dir() {
        eprintln!(
            "SKIPPED overrides_and_config_restrictions_constrain_the_optimiser: no testdata/"
        );
        return;
    }
    let tools = systrade_test::tools::Tools::build(&[
        "import-pst",
        "roll-contracts",
        "compute-forecasts",
        "place-orders",
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    tools.testdata_data_dir(&data);
    let system_yaml = data.join("config/system.yaml");
    std::fs::write(&system_yaml, CONFIG).unwrap();
    systrade_test::tools::assert_ok(
        &tools
            .cmd("compute-forecasts")
            .env("SYSTRADE_DATA", &data)
            .args(["--no-progress", "-q"])
            .output()
            .unwrap(),
    );
    let size = |capital: &str| {
        let out = Command::cargo_bin("size-positions")
            .unwrap()
            .env("SYSTRADE_DATA", &data)
            .args([
                "--no-progress",
                "--strategy",
                "dynamic",
                "--capital",
                capital,
            ])
            .assert()
            .success()
            .get_output()
            .clone();
        let targets: std::collections::BTreeMap<String, i64> = Store::open(&data)
            .open_state()
            .unwrap()
            .latest_optimal_positions()
            .unwrap()
            .into_iter()
            .map(|o| (o.instrument.as_str().to_string(), o.lower as i64))
            .collect();
        (targets, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let place = |args: &[&str]| {
        systrade_test::tools::assert_ok(
            &tools
                .cmd("place-orders")
                .env("SYSTRADE_DATA", &data)
                .args(["--no-progress", "-q"])
                .args(args)
                .output()
                .unwrap(),
        );
    };
    let (opened, _) = size("2000000");
    place(&["--strategies", "dynamic"]);
    let held = opened;
    // The free optimiser at three times the capital: instruments it would trade further out.
    let (free, _) = size("6000000");
    let growing: Vec<String> = held
        .iter()
        .filter(|(i, h)| **h != 0 && free[*i].signum() == h.signum() && free[*i].abs() > h.abs())
        .map(|(i, _)| i.clone())
        .collect();
    assert!(
        growing.len() >= 3,
        "need three instruments the optimiser grows: held {held:?}, free {free:?}"
    );
    let (nt, ro, manual) = (&growing[0], &growing[1], &growing[2]);
    std::fs::write(
        &system_yaml,
        format!(
            "{CONFIG}exclude_instrument_lists:\n  trading_restrictions: [{nt}]\n  bad_markets: [{ro}]\n"
        ),
    )
    .unwrap();
    place(&["overrides", "set", "--instrument", manual, "no-trading"]);
    let (constrained, log) = size("6000000");
    assert_eq!(
        constrained[nt], held[nt],
        "{nt}: no trading keeps the held position"
    );
    assert_eq!(
        constrained[manual], held[manual],
        "{manual}: manual no-trading"
    );
    let (h, t) = (held[ro], constrained[ro]);
    assert!(
        t.abs() <= h.abs() && t.signum() * h.signum() >= 0,
        "{ro}: reduce-only from {h} went to {t} (free: {})",
        free[ro]
    );
    assert!(
        log.contains(&format!(
            "{nt}: override no-trading (trading_restrictions in config)"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "{ro}: override reduce-only (bad_markets in config)"
        )),
        "{log}"
    );
    // The others are still traded (to other targets than the free ones: the optimiser makes up
    // for the constrained instruments with correlated ones).
    assert!(
        constrained
            .iter()
            .any(|(i, t)| ![nt, ro, manual].contains(&i) && *t != held[i]),
        "unconstrained instruments: held {held:?}, constrained {constrained:?}"
    );
}
