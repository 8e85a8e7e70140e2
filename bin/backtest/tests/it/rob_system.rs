//! pysystemtrade's `rob_system` config as shipped (vendored under
//! `crates/systrade-config/tests/fixtures/pysystemtrade/`: 40 rules, vol attenuation, factor
//! rules, risk overlay, fixed instrument weights for 170 instruments and an estimated IDM) on
//! testdata (issue 17 acceptance: it runs in backtest and production). The instruments of its
//! list without data fail by name (exit 3); the others run end to end. `size-positions` estimates
//! the IDM from the history in the run through the backtest's path, so the IDM it applies on the
//! last date, the combined forecasts and the buffered positions equal the backtest's.

use super::backtest;
use systrade_store::estimates::{Current, read_estimates};

#[test]
fn rob_system_runs_in_backtest_and_production() {
    let root = systrade_test::workspace_root();
    if !root.join("testdata/contract_prices_csv").is_dir() {
        eprintln!("SKIPPED rob_system_runs_in_backtest_and_production: no testdata/");
        return;
    }
    let tools = systrade_test::tools::Tools::build(&[
        "import-pst",
        "roll-contracts",
        "compute-forecasts",
        "size-positions",
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    tools.testdata_data_dir(&data);
    let config =
        root.join("crates/systrade-config/tests/fixtures/pysystemtrade/rob_system_config.yaml");
    let out_dir = tmp.path().join("out");
    let out = backtest(&data)
        .arg("--config")
        .arg(&config)
        .args(["--format", "json", "--output"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("AEX: no adjusted prices"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ran: Vec<String> = summary["instruments"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_else(|| {
            summary["instruments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["instrument"].as_str().unwrap().to_string())
                .collect()
        });
    assert!(ran.len() >= 3, "{ran:?}");
    let rows = read_estimates(&out_dir.join("estimates.parquet")).unwrap();
    let idm: Vec<_> = rows.iter().filter(|r| r.estimate == "idm").collect();
    assert!(idm.len() > 1000, "{}", idm.len());

    for tool in ["compute-forecasts", "size-positions"] {
        let out = tools
            .cmd(tool)
            .arg("--data-dir")
            .arg(&data)
            .arg("--config")
            .arg(&config)
            .args(["--no-progress", "-q"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let store = systrade_store::Store::open(&data);
    assert_eq!(
        store.read_current_estimates(Current::Forecasts).unwrap(),
        None,
        "rob_system estimates no forecast weights or FDM"
    );
    let current = store
        .read_current_estimates(Current::Instruments)
        .unwrap()
        .expect("estimates/instruments.parquet");
    assert_eq!(current.len(), 1, "only the IDM is estimated: {current:?}");
    let last = idm.last().unwrap();
    assert_eq!(current[0].estimate, "idm");
    assert_eq!(
        (current[0].date, current[0].value),
        (last.date, last.value),
        "size-positions applies the backtest's IDM of the last date"
    );
    assert!(last.value > 1.0 && last.value <= 2.5, "{}", last.value);

    let backtest_rows = systrade_store::backtest_instruments::read_backtest_instruments(
        &out_dir.join("instruments.parquet"),
    )
    .unwrap();
    for code in &ran {
        let h = store
            .read_position_history(&systrade_model::InstrumentCode::new(code).unwrap())
            .unwrap();
        let bt = backtest_rows
            .iter()
            .rfind(|r| &r.instrument == code)
            .unwrap();
        let n = h.dates.len() - 1;
        assert_eq!(h.dates[n], bt.date, "{code}");
        assert_eq!(h.idm[n], last.value, "{code}: IDM applied");
        assert_eq!(
            h.combined_forecast[n], bt.forecast,
            "{code}: combined forecast"
        );
        assert_eq!(
            h.buffered_position[n], bt.position,
            "{code}: buffered position"
        );
    }
    eprintln!(
        "rob_system on testdata: {} instruments, IDM {} on {} in backtest and size-positions",
        ran.len(),
        last.value,
        last.date.date()
    );
}
