//! The dynamically optimised strategy in production on the repository's synthetic `testdata/`:
//! size-positions writes whole-contract optimised targets (`lower = upper`) to state.sqlite from
//! the positions held, and place-orders (sim broker) trades to them with no buffer on top.

use super::{other_bin, run_ok};
use assert_cmd::Command;
use std::path::Path;
use systrade_store::Store;

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
    let mut targets = std::collections::BTreeMap::new();
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
    // a second run decides from the positions now held (the prior): still whole contracts
    size();
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
