//! `size-positions` as a process on real files: parity of notional positions and buffers with
//! pysystemtrade's simple system (`../shared/pst-reference/simple_system`), forecasts from files
//! and from the CSV stream, state.sqlite optimal positions, position limits, partial failure.

#![allow(clippy::print_stderr)] // tests report what they measured and why they skip

mod optimised;
mod risk_overlay;

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Path of another workspace binary, built on demand when a narrow `cargo test -p size-positions`
/// has not built it.
fn other_bin(name: &str) -> PathBuf {
    let path = assert_cmd::cargo::cargo_bin(name);
    if !path.exists() {
        let release = path.components().any(|c| c.as_os_str() == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "-q", "-p", name]);
        if release {
            cmd.arg("--release");
        }
        assert!(cmd.status().unwrap().success(), "cargo build -p {name}");
    }
    path
}

fn run_ok(cmd: &mut std::process::Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

const SIMPLE: [&str; 4] = ["CORN", "SOFR", "SP500", "US10"];

struct Setup {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    config: PathBuf,
    reference: PathBuf,
}

/// The simple system's instruments imported with import-pst and their forecasts written by
/// compute-forecasts.
fn setup(test: &str) -> Option<Setup> {
    let pst = systrade_test::require_pst_data(test)?;
    let reference = systrade_test::require_pst_reference(test)?.join("simple_system");
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    run_ok(
        std::process::Command::new(other_bin("import-pst"))
            .arg(&pst)
            .arg("--data-dir")
            .arg(&data)
            .args(["-q", "--instruments", &SIMPLE.join(",")]),
    );
    let config = reference.join("config.yaml");
    run_ok(
        std::process::Command::new(other_bin("compute-forecasts"))
            .arg("--data-dir")
            .arg(&data)
            .arg("--config")
            .arg(&config)
            .arg("-q"),
    );
    Some(Setup {
        _tmp: tmp,
        data,
        config,
        reference,
    })
}

fn size_positions(s: &Setup) -> Command {
    let mut cmd = Command::cargo_bin("size-positions").unwrap();
    cmd.arg("--data-dir")
        .arg(&s.data)
        .arg("--config")
        .arg(&s.config)
        .arg("--no-progress");
    cmd
}

/// CSV rows of `--output -` by instrument: date -> (subsystem, notional, lower, upper).
type Rows = BTreeMap<String, BTreeMap<String, [f64; 4]>>;

fn parse_rows(csv: &[u8]) -> Rows {
    let text = String::from_utf8(csv.to_vec()).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("date,instrument,subsystem_position,notional_position,lower,upper")
    );
    let mut out = Rows::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let v = |i: usize| systrade_test::parse_f64_or_nan(f[i]);
        out.entry(f[1].to_string())
            .or_default()
            .insert(f[0].to_string(), [v(2), v(3), v(4), v(5)]);
    }
    out
}

fn check_against_reference(reference: &Path, rows: &Rows) {
    for code in SIMPLE {
        let t =
            systrade_test::read_csv(&reference.join(format!("instruments/{code}/daily.csv.gz")));
        let dates = t.str_column("index");
        let ours = &rows[code];
        let mut compared = 0;
        let mut worst = 0.0_f64;
        for (k, (col, ref_col)) in [
            (0, "subsystem_position"),
            (1, "notional_position"),
            (2, "buffers__bot_pos"),
            (3, "buffers__top_pos"),
        ]
        .into_iter()
        .map(|(k, c)| (k, (k, c)))
        {
            let r = t.f64_column(ref_col);
            for (i, d) in dates.iter().enumerate() {
                let d = &d[..10];
                if r[i].is_nan() {
                    continue;
                }
                let o = ours.get(d).unwrap_or_else(|| panic!("{code} {d} missing"))[col];
                assert!(
                    systrade_test::close_f64(o, r[i], 1e-9, 1e-12),
                    "{code} {ref_col} {d}: {o} vs {}",
                    r[i]
                );
                compared += 1;
                worst = worst.max(((o - r[i]) / r[i].abs().max(1.0)).abs());
            }
            let _ = k;
        }
        assert!(compared > 10_000, "{code}: {compared} values compared");
        eprintln!(
            "{code}: {compared} values of subsystem/notional/lower/upper, worst error {worst:.2e}"
        );
    }
}

#[test]
fn positions_match_pysystemtrade_from_files_and_from_stdin() {
    let Some(s) = setup("positions_match_pysystemtrade_from_files_and_from_stdin") else {
        return;
    };
    // forecasts from DATA/forecasts/, CSV on stdout
    let out = size_positions(&s)
        .args(["--output", "-"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = parse_rows(&out);
    check_against_reference(&s.reference, &rows);
    assert!(
        !s.data.join("positions").exists(),
        "--output - writes nothing"
    );

    // forecasts as CSV on stdin (compute-forecasts --output -): same rows
    let forecasts = run_ok(
        std::process::Command::new(other_bin("compute-forecasts"))
            .arg("--data-dir")
            .arg(&s.data)
            .arg("--config")
            .arg(&s.config)
            .args(["-q", "--output", "-"]),
    );
    let out2 = size_positions(&s)
        .args(["--forecasts", "-", "--output", "-"])
        .write_stdin(forecasts)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(out, out2, "stdin forecasts give the same positions");
}

#[test]
fn files_and_state_hold_the_latest_optimal_positions() {
    let Some(s) = setup("files_and_state_hold_the_latest_optimal_positions") else {
        return;
    };
    let csv = parse_rows(
        &size_positions(&s)
            .args(["--output", "-"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    );
    size_positions(&s)
        .args(["--strategy", "trend"])
        .assert()
        .success();
    for code in SIMPLE {
        assert!(s.data.join(format!("positions/{code}.parquet")).is_file());
    }
    let rows: Vec<(String, String, f64, f64, f64, String)> = systrade_store::Store::open(&s.data)
        .open_state()
        .unwrap()
        .latest_optimal_positions()
        .unwrap()
        .into_iter()
        .filter(|o| o.strategy == "trend")
        .map(|o| {
            (
                o.instrument.to_string(),
                o.timestamp,
                o.lower,
                o.upper,
                o.reference_price,
                o.reference_contract,
            )
        })
        .collect();
    assert_eq!(rows.len(), 4);
    let pst = systrade_test::pst_data_dir().unwrap();
    for (code, ts, lower, upper, price, contract) in &rows {
        let (_, last) = csv[code.as_str()].iter().next_back().unwrap();
        assert_eq!(*lower, last[2], "{code} lower");
        assert_eq!(*upper, last[3], "{code} upper");
        assert!(lower <= upper);
        // reference price and contract: the last row of pysystemtrade's multiple prices
        let mp = systrade_test::read_csv(&pst.join(format!("multiple_prices_csv/{code}.csv.gz")));
        // the last row with a price (pysystemtrade's last rows may lack one)
        let prices = mp.f64_column("PRICE");
        let n = (0..prices.len())
            .rev()
            .find(|&i| !prices[i].is_nan())
            .unwrap();
        assert_eq!(*price, mp.f64_column("PRICE")[n], "{code} reference price");
        assert_eq!(
            contract,
            mp.str_column("PRICE_CONTRACT")[n],
            "{code} contract"
        );
        assert_eq!(ts, mp.str_column("DATETIME")[n], "{code} timestamp");
    }
}

#[test]
fn position_limits_cap_and_failures_are_isolated() {
    let Some(s) = setup("position_limits_cap_and_failures_are_isolated") else {
        return;
    };
    // place-orders' table (migration 4): SOFR limited to 2 contracts for every strategy
    systrade_store::Store::open(&s.data)
        .open_state_for_writing()
        .unwrap()
        .transaction(|tx| {
            let sofr = systrade_model::InstrumentCode::new("SOFR").unwrap();
            tx.set_position_limit("", &sofr, 2, "2024-01-01T00:00:00Z")
        })
        .unwrap();
    let out = size_positions(&s)
        .args(["--output", "-"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("position limit"));
    let rows = parse_rows(&out.stdout);
    let sofr = &rows["SOFR"];
    assert!(sofr.values().all(|v| v[1].is_nan() || v[1].abs() <= 2.0));
    assert!(
        sofr.values().any(|v| v[1].abs() == 2.0),
        "the cap binds somewhere"
    );
    assert!(
        rows["CORN"].values().any(|v| v[1].abs() > 2.0),
        "other instruments uncapped"
    );

    // an instrument without forecasts fails alone: exit 3, the others written
    std::fs::remove_file(s.data.join("forecasts/US10.parquet")).unwrap();
    let out = size_positions(&s).assert().code(3).get_output().clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("US10"));
    assert!(s.data.join("positions/CORN.parquet").is_file());
    assert!(!s.data.join("positions/US10.parquet").exists());

    // --capital doubles every notional position
    let base = parse_rows(
        &size_positions(&s)
            .args(["--output", "-", "--instruments", "CORN"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    );
    let double = parse_rows(
        &size_positions(&s)
            .args([
                "--output",
                "-",
                "--instruments",
                "CORN",
                "--capital",
                "1000000",
            ])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    );
    for (d, v) in &base["CORN"] {
        let w = double["CORN"][d];
        assert!(
            systrade_test::close_f64(w[1], 2.0 * v[1], 1e-12, 1e-12),
            "{d}"
        );
    }
}

/// Issue 15 item 10: a capital that overflows the arithmetic names the cause (the capital or the
/// FX rate), not "no position yet (no forecast or volatility)".
#[test]
fn an_overflowing_capital_is_named_as_the_cause() {
    let Some(s) = setup("an_overflowing_capital_is_named_as_the_cause") else {
        return;
    };
    let out = size_positions(&s)
        .args([
            "--output",
            "-",
            "--instruments",
            "CORN",
            "--capital",
            "1e308",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("CORN"), "{stderr}");
    assert!(
        stderr.contains("the capital 1e308 ") && stderr.contains("is too large"),
        "{stderr}"
    );
    assert!(!stderr.contains("FX rate"), "{stderr}");
    assert!(!stderr.contains("no forecast or volatility"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Issue 15 item 10: a zero FX rate names the rate, the currency and its file as the cause, not
/// "no position yet (no forecast or volatility)" (and not the capital).
#[test]
fn a_zero_fx_rate_is_named_as_the_cause() {
    let Some(s) = setup("a_zero_fx_rate_is_named_as_the_cause") else {
        return;
    };
    let store = systrade_store::Store::open(&s.data);
    let corn = systrade_model::InstrumentCode::new("CORN").unwrap();
    let mut instruments = store.read_instruments().unwrap();
    for i in &mut instruments {
        if i.code == corn {
            i.currency = "EUR".to_string();
        }
    }
    let adjusted = store.read_adjusted_prices(&corn).unwrap();
    {
        let w = store
            .lock_for_writing(std::time::Duration::from_secs(5))
            .unwrap();
        w.commit(&store.prepare_instruments(&instruments).unwrap())
            .unwrap();
        let zero = systrade_model::FxRates::new(
            adjusted.timestamps.clone(),
            vec![0.0; adjusted.timestamps.len()],
        );
        w.write_fx_rates("EUR", &zero).unwrap();
    }
    let out = size_positions(&s)
        .args(["--output", "-", "--instruments", "CORN"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("CORN")
            && stderr.contains("the FX rate of EUR into ")
            && stderr.contains("is 0")
            && stderr.contains("prices/fx/EURUSD.parquet"),
        "{stderr}"
    );
    assert!(!stderr.contains("is too large"), "{stderr}");
    assert!(!stderr.contains("no forecast or volatility"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Forecasts are read under the data directory's write lock (issue 15): while another writer
/// (a compute-forecasts run) holds the lock and rewrites a forecast file, size-positions waits and
/// then sizes from the file as that writer left it — not from the one it saw before waiting. A
/// lock never released gives exit 6.
#[test]
fn forecasts_are_read_under_the_write_lock() {
    let Some(s) = setup("forecasts_are_read_under_the_write_lock") else {
        return;
    };
    let corn = s.data.join("forecasts/CORN.parquet");
    let good = std::fs::read(&corn).unwrap();
    std::fs::write(&corn, b"not parquet").unwrap();
    let store = systrade_store::Store::open(&s.data);
    let held = store
        .lock_for_writing(std::time::Duration::from_secs(5))
        .unwrap();
    let out = size_positions(&s)
        .args(["--lock-timeout", "0.5"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("size-positions"))
        .arg("--data-dir")
        .arg(&s.data)
        .arg("--config")
        .arg(&s.config)
        .args(["--no-progress", "-q", "--lock-timeout", "60"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    std::fs::write(&corn, &good).unwrap();
    drop(held);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "read the forecasts before taking the lock: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(s.data.join("positions/CORN.parquet").exists());
}

/// Issue 16: an instrument whose latest volatility sits at the floor (flat prices) would get an
/// absurd position: left out, named (exit 3), unless `--allow-floored-vol`.
#[test]
fn floored_volatility_is_left_out_unless_allowed() {
    let Some(s) = setup("floored_volatility_is_left_out_unless_allowed") else {
        return;
    };
    let store = systrade_store::Store::open(&s.data);
    let corn = systrade_model::InstrumentCode::new("CORN").unwrap();
    let mut prices = store.read_adjusted_prices(&corn).unwrap();
    prices.values.iter_mut().for_each(|v| *v = 400.0);
    let w = store
        .lock_for_writing(std::time::Duration::from_secs(5))
        .unwrap();
    w.write_adjusted_prices(&corn, &prices).unwrap();
    drop(w);
    let out = size_positions(&s)
        .args(["--output", "-"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("CORN: volatility at the floor") && stderr.contains("the latest included"),
        "{stderr}"
    );
    let rows = parse_rows(&out.stdout);
    assert!(!rows.contains_key("CORN") && rows.contains_key("US10"));
    let out = size_positions(&s)
        .args(["--output", "-", "--allow-floored-vol"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("sized anyway"));
    let rows = parse_rows(&out.stdout);
    let last = rows["CORN"].values().next_back().unwrap();
    assert!(last[1].abs() > 1e6, "absurd: {last:?}");
}
