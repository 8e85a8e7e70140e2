//! report as a process on testdata/: every section in every format; P&L, positions and the
//! minimum-capital formula checked against values computed here from the testdata CSV files.

#![allow(clippy::print_stderr)] // tests report what they measured and why they skip

use assert_cmd::Command;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tool(name: &str) -> std::process::Command {
    let dir = assert_cmd::cargo::cargo_bin("report")
        .parent()
        .unwrap()
        .to_path_buf();
    std::process::Command::new(dir.join(name))
}

/// A data directory from testdata with multiple and adjusted prices, one fill and its positions
/// (import-pst and roll-contracts are built first).
fn setup(data: &Path) {
    let mut build = std::process::Command::new(env!("CARGO"));
    build
        .current_dir(repo())
        .args(["build", "-q", "-p", "import-pst", "-p", "roll-contracts"]);
    if assert_cmd::cargo::cargo_bin("report")
        .parent()
        .unwrap()
        .ends_with("release")
    {
        build.arg("--release");
    }
    assert!(build.status().unwrap().success());
    let ok = |c: &mut std::process::Command| {
        let out = c.env("SYSTRADE_DATA", data).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(tool("import-pst")
        .arg(repo().join("testdata"))
        .args(["--no-progress", "-q"]));
    for sub in ["calendar", "multiple", "adjust"] {
        ok(tool("roll-contracts").args([sub, "--no-progress", "-q"]));
    }
    let conn = Connection::open(data.join("state.sqlite")).unwrap();
    conn.execute_batch(
        "INSERT INTO fills (client_order_id, strategy, instrument, contract, quantity, price,
                            fill_datetime, recorded_at)
         VALUES ('default-GOLD-20230825-001', 'default', 'GOLD', '20231000', 2, 800.0,
                 '2023-08-25T23:00:00Z', '2023-08-25T23:00:00Z');
         INSERT INTO strategy_positions VALUES ('default', 'GOLD', 2, '2023-08-25T23:00:00Z');
         INSERT INTO contract_positions VALUES ('GOLD', '20231000', 1, '2023-08-25T23:00:00Z');
         INSERT INTO optimal_positions (strategy, instrument, timestamp, lower, upper,
                                        reference_price, reference_contract)
         VALUES ('default', 'GOLD', '2023-08-25 23:00:00', 2.6, 3.4, 800.0, '20231000');
         INSERT INTO process_runs (step, run_date, started_at, status)
         VALUES ('place-orders', '2023-08-31', '2023-08-31T20:00:00Z', 'running');",
    )
    .unwrap();
}

/// Last FINAL of a testdata contract file.
fn last_close(file: &str) -> f64 {
    let text =
        std::fs::read_to_string(repo().join("testdata/contract_prices_csv").join(file)).unwrap();
    let last = text.lines().rfind(|l| !l.trim().is_empty()).unwrap();
    last.split(',').nth(4).unwrap().parse().unwrap()
}

fn report(data: &Path) -> Command {
    let mut c = Command::cargo_bin("report").unwrap();
    c.env("SYSTRADE_DATA", data)
        .env("SYSTRADE_RUN_DATE", "2023-08-31")
        .arg("-q");
    c
}

fn rows<'a>(j: &'a serde_json::Value, name: &str) -> &'a Vec<serde_json::Value> {
    j["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no table {name}"))["rows"]
        .as_array()
        .unwrap()
}

#[test]
fn all_sections_all_formats() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data);
    let out = report(&data).args(["--format", "json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for name in [
        "status-processes",
        "status-capital",
        "status-prices",
        "status-locks",
        "status-limits",
        "roll",
        "positions-optimal",
        "positions-reconcile",
        "pnl-instrument",
        "pnl-asset-class",
        "trades",
        "risk-portfolio",
        "risk-instrument",
        "risk-correlations",
        "costs",
        "liquidity",
        "min-capital",
        "remove-markets",
        "estimates",
    ] {
        rows(&j, name);
    }
    // nothing estimated in this data directory: no rows, a note that says so
    assert!(rows(&j, "estimates").is_empty());
    // P&L of the fill: 2 × (last close − 800) × pointsize 100 (testdata GOLD, USD)
    let expected = 2.0 * (last_close("GOLD_20231000.csv") - 800.0) * 100.0;
    let pnl = rows(&j, "pnl-instrument");
    assert_eq!(pnl.len(), 1);
    let got = pnl[0]["pnl"].as_f64().unwrap();
    assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    // last day: contract position 1 × (last − previous close) × 100
    let text =
        std::fs::read_to_string(repo().join("testdata/contract_prices_csv/GOLD_20231000.csv"))
            .unwrap();
    let closes: Vec<f64> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    let day = (closes[closes.len() - 1] - closes[closes.len() - 2]) * 100.0;
    let got = pnl[0]["pnl_last_day"].as_f64().unwrap();
    assert!((got - day).abs() < 1e-6, "{got} vs {day}");
    // the strategy position (2) and the contract position (1) do not reconcile
    let rec = rows(&j, "positions-reconcile");
    assert_eq!(rec[0]["break"], "BREAK");
    // 2 is below the buffer [2.6, 3.4] rounded to [3, 3]
    assert_eq!(rows(&j, "positions-optimal")[0]["status"], "below buffer");
    // a run recorded as running whose step lock is free shows as crashed
    let locks = rows(&j, "status-locks");
    assert_eq!(locks.len(), 1);
    assert!(locks[0]["what"].as_str().unwrap().contains("crashed"));
    assert_eq!(locks[0]["name"], "place-orders");
    // prices end 2023-08-31: nothing stale on that date
    assert!(rows(&j, "status-prices").iter().all(|r| r["stale"] == ""));
    // minimum capital: 4 × pointsize × price × std / 100 / 0.25 / (2.5 × 0.04)
    for r in rows(&j, "min-capital") {
        let (p, price, s) = (
            r["pointsize_usd"].as_f64().unwrap(),
            r["price"].as_f64().unwrap(),
            r["annual_pct_std"].as_f64().unwrap(),
        );
        let m = 4.0 * p * price * s / 100.0 / 0.25 / 0.1;
        assert!((r["min_capital"].as_f64().unwrap() - m).abs() < 1e-6 * m);
    }
    // correlations are a symmetric matrix with a unit diagonal
    let corr = rows(&j, "risk-correlations");
    assert_eq!(corr.len(), 6);
    for r in corr {
        let i = r["instrument"].as_str().unwrap();
        assert_eq!(r[i], 1.0);
    }

    // stale data shows a week later
    let out = report(&data)
        .args(["status", "--format", "csv", "--date", "2023-09-08"])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.contains("GOLD,2023-08-31,6,STALE"), "{csv}");

    // text, csv and html
    report(&data)
        .args(["roll", "costs"])
        .assert()
        .success()
        .stdout(predicates::str::contains("== Roll status"));
    let html_path = dir.path().join("r.html");
    report(&data)
        .args(["--format", "html", "--output"])
        .arg(&html_path)
        .assert()
        .success()
        .stdout(predicates::str::contains("written to"));
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("<svg") && html.ends_with("</html>\n"));
    // every chart shown has data (empty and all-zero charts are left out), every table has rows
    let check = systrade_test::html::check_charts_and_tables(&html).unwrap();
    assert!(check.charts >= 3 && check.tables >= 5, "{check:?}");
    eprintln!(
        "report html: {} charts with data, {} tables",
        check.charts, check.tables
    );
    if let Some(bytes) = systrade_test::html::screenshot_in_chromium(
        "all_sections_all_formats",
        &html_path,
        &dir.path().join("r.png"),
        (1000, 3000),
    ) {
        // an empty white page of this size compresses to a few kB
        assert!(bytes > 50_000, "screenshot of {bytes} bytes");
        eprintln!("report screenshot: {bytes} bytes");
    }
    report(&data).args(["bogus-section"]).assert().code(2);
}

/// Issue 14 item 3: the roll report's days to expiry use the exact expiry of a contract the
/// broker resolved (the contracts table) instead of the roll configuration's approximation.
#[test]
fn roll_days_to_expiry_use_the_resolved_contract() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data);
    let roll_row = |data: &Path| -> serde_json::Value {
        let out = report(data)
            .args(["roll", "--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        rows(&j, "roll")
            .iter()
            .find(|r| r["instrument"] == "GOLD")
            .unwrap()
            .clone()
    };
    let before = roll_row(&data);
    let priced = before["priced"].as_str().unwrap().to_string();
    Connection::open(data.join("state.sqlite"))
        .unwrap()
        .execute(
            "INSERT INTO contracts (instrument, contract, broker, conid, expiry, resolved_at)
             VALUES ('GOLD', ?1, 'ibkr', 7, '2023-09-07', '2023-08-31T00:00:00Z')",
            [&priced],
        )
        .unwrap();
    let after = roll_row(&data);
    assert_eq!(
        after["days_to_priced_expiry"].as_f64(),
        Some(7.0),
        "{after}"
    );
    assert_ne!(
        before["days_to_priced_expiry"].as_f64(),
        Some(7.0),
        "{before}"
    );
    assert_eq!(after["days_to_roll"], before["days_to_roll"]);
}

/// Issue 15 item 6: a stored adjusted-prices file whose last timestamp is i64::MAX (report
/// panicked in `time.rs`) is named (file and problem), never a panic, in every section.
#[test]
fn a_stored_timestamp_of_i64_max_is_named_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data);
    let store = systrade_store::Store::open(&data);
    let gold = systrade_model::InstrumentCode::new("GOLD").unwrap();
    let mut prices = store.read_adjusted_prices(&gold).unwrap();
    prices
        .timestamps
        .push(systrade_model::Timestamp::from_micros(i64::MAX));
    prices.values.push(100.0);
    let writer = store
        .lock_for_writing(std::time::Duration::from_secs(5))
        .unwrap();
    writer.write_adjusted_prices(&gold, &prices).unwrap();
    drop(writer);
    for section in [&[][..], &["roll"][..], &["risk"][..], &["pnl"][..]] {
        let out = report(&data).args(section).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{section:?}: {stderr}");
        assert!(
            out.status.code().is_some(),
            "{section:?}: killed by a signal: {stderr}"
        );
        // Named, whatever the section makes of it (before the fix every read error was
        // dropped silently).
        assert!(
            stderr.contains("GOLD.parquet") && stderr.contains("outside 1900-01-01..2200-01-01"),
            "{section:?}: exit {:?}: {stderr}",
            out.status.code()
        );
    }
}
