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
