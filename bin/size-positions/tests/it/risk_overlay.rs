//! The risk overlay (spec §3.7) end to end on the repository's synthetic `testdata/`: a config
//! with a tight `risk_overlay` gives the same subsystem positions and notional positions scaled
//! down (never up) by one multiplier per date shared by all instruments, against the same config
//! without the overlay.

use super::{Rows, other_bin, parse_rows, run_ok};
use assert_cmd::Command;
use std::path::{Path, PathBuf};

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
notional_trading_capital: 1000000
instrument_div_multiplier: 2.0
";

const OVERLAY: &str = "\
risk_overlay:
  max_risk_fraction_normal_risk: 1.75
  max_risk_fraction_stdev_risk: 4.0
  max_risk_limit_sum_abs_risk: 4.0
  max_risk_leverage: 0.5
";

fn tool(name: &str, data: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(other_bin(name));
    cmd.env("SYSTRADE_DATA", data);
    cmd
}

fn positions(data: &Path, config: &PathBuf) -> Rows {
    let out = Command::cargo_bin("size-positions")
        .unwrap()
        .env("SYSTRADE_DATA", data)
        .arg("--config")
        .arg(config)
        .args(["--no-progress", "-q", "--output", "-"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    parse_rows(&out)
}

#[test]
fn tight_risk_overlay_scales_positions_down_on_testdata() {
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    if !testdata.join("contract_prices_csv").is_dir() {
        eprintln!("SKIPPED tight_risk_overlay_scales_positions_down_on_testdata: no testdata/");
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
    let plain = tmp.path().join("plain.yaml");
    let overlay = tmp.path().join("overlay.yaml");
    std::fs::write(&plain, CONFIG).unwrap();
    std::fs::write(&overlay, format!("{CONFIG}{OVERLAY}")).unwrap();
    run_ok(
        tool("compute-forecasts", &data)
            .arg("--config")
            .arg(&plain)
            .args(["--no-progress", "-q"]),
    );
    let base = positions(&data, &plain);
    let scaled = positions(&data, &overlay);
    assert_eq!(
        base.keys().collect::<Vec<_>>(),
        scaled.keys().collect::<Vec<_>>()
    );
    assert!(base.len() >= 5, "{} instruments", base.len());
    // per date, the multiplier seen by every instrument with a non-zero position
    let mut multiplier: std::collections::BTreeMap<&str, f64> = Default::default();
    let (mut compared, mut reduced) = (0, 0);
    for (code, rows) in &base {
        let other = &scaled[code];
        assert_eq!(rows.len(), other.len(), "{code}: same dates");
        for (date, b) in rows {
            let s = other[date];
            assert!(
                systrade_test::same_f64(b[0], s[0]),
                "{code} {date}: subsystem position"
            );
            let (p, q) = (b[1], s[1]);
            if p.is_nan() || p == 0.0 {
                assert!(systrade_test::same_f64(p, q), "{code} {date}: {p} vs {q}");
                continue;
            }
            assert!(
                q.abs() <= p.abs() * (1.0 + 1e-12),
                "{code} {date}: {q} > {p}"
            );
            assert!(q * p > 0.0, "{code} {date}: sign kept");
            let m = q / p;
            let seen = *multiplier.entry(date.as_str()).or_insert(m);
            assert!(
                (seen - m).abs() < 1e-9,
                "{code} {date}: multiplier {m} vs {seen}"
            );
            compared += 1;
            reduced += usize::from(m < 1.0 - 1e-12);
        }
    }
    assert!(compared > 5_000, "{compared} positions compared");
    assert!(reduced > compared / 2, "{reduced} of {compared} reduced");
    let smallest = multiplier.values().copied().fold(1.0, f64::min);
    eprintln!(
        "risk overlay on testdata: {reduced} of {compared} positions reduced, smallest multiplier {smallest:.3}"
    );
}
