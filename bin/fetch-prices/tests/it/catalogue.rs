//! The bad-input catalogue (issue 15), price-source and config side: malformed and out-of-range
//! bars, FX rates and config rows. Each case checks the exit code (4), a message naming the file,
//! line or row and field, no panic, and a data directory left byte-for-byte unchanged. The same
//! rules as `import-pst` (`systrade_model::validation`).

use crate::common::*;
use std::collections::BTreeMap;
use std::path::Path;

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

const GOOD: &str = "Date,Open,High,Low,Close,Volume\n\
2024-03-13,101.5,102,101,101.75,900\n\
2024-03-14,101.75,102.5,101.5,102.25,950\n";

/// Runs fetch-prices on `env` and checks the failure; returns a description of what went wrong.
fn check(
    env: &Env,
    args: &[&str],
    expect: &[&str],
    before: &BTreeMap<String, Vec<u8>>,
) -> Option<String> {
    let out = env.cmd(args).output().unwrap();
    let stderr = stderr_of(&out);
    let problem = if out.status.code() != Some(4) {
        Some(format!("exit {:?}: {stderr}", out.status.code()))
    } else if stderr.contains("panicked") {
        Some(format!("panic: {stderr}"))
    } else {
        expect
            .iter()
            .find(|e| !stderr.contains(*e))
            .map(|e| format!("{e:?} not in: {stderr}"))
    };
    assert!(
        &snapshot(&env.data()) == before,
        "{args:?}: the data directory changed: {stderr}"
    );
    problem
}

#[test]
fn bad_bars_rates_and_config_rows_exit_4_and_write_nothing() {
    let env = Env::new(&["CORN"]);
    let source = format!("csv:{}", env.src().display());
    env.write_src("CORN_20240600.csv", GOOD);
    let ok = env.cmd(&["--source", &source]).output().unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", stderr_of(&ok));
    std::fs::remove_file(env.src().join("CORN_20240600.csv")).unwrap();
    let before = snapshot(&env.data());
    let mut failures = Vec::new();

    // Bars: line 3 of a generic OHLCV file (today is 2024-03-15).
    let bars: &[(&str, &str)] = &[
        ("2024-03-14,101.75,101,102.5,102.25,950", "field High"),
        ("2024-03-14,101.75,102.5,101.5,102.25,-1", "field Volume"),
        ("2024-03-14,101.75,102.5,101.5,1e300,950", "field Close"),
        ("2024-03-14,-1e13,102.5,101.5,102.25,950", "field Open"),
        ("2024-03-14,101.75,102.5,101.5,inf,950", "field Close"),
        ("2024-03-14,101.75,102.5,-inf,102.25,950", "field Low"),
        ("2024-03-14,101.75,102.5,101.5,abc,950", "field Close"),
        ("2024-03-14,101.75,102.5,101.5,102.25,many", "field Volume"),
        ("9999-12-30,101.75,102.5,101.5,102.25,950", "field Date"),
        ("2026-03-17,101.75,102.5,101.5,102.25,950", "field Date"),
        ("1899-12-31,101.75,102.5,101.5,102.25,950", "field Date"),
        ("2024-02-30,101.75,102.5,101.5,102.25,950", "field Date"),
    ];
    for (line, field) in bars {
        let text = GOOD.replace("2024-03-14,101.75,102.5,101.5,102.25,950", line);
        env.write_src("CORN_20240600.csv", &text);
        if let Some(p) = check(
            &env,
            &["--source", &source],
            &["CORN_20240600.csv", "line 3", field],
            &before,
        ) {
            failures.push(format!("bar {line}: {p}"));
        }
    }
    std::fs::remove_file(env.src().join("CORN_20240600.csv")).unwrap();

    // FX rates: line 2 of GBPUSD.csv.
    for (line, field) in [
        ("2024-03-14 23:00:00,0", "PRICE"),
        ("2024-03-14 23:00:00,-1.27", "PRICE"),
        ("2024-03-14 23:00:00,1e-300", "PRICE"),
        ("2024-03-14 23:00:00,1e300", "PRICE"),
        ("2024-03-14 23:00:00,inf", "PRICE"),
        ("9999-12-30 23:00:00,1.27", "DATETIME"),
        ("1850-01-01 23:00:00,1.27", "DATETIME"),
    ] {
        env.write_src("GBPUSD.csv", &format!("DATETIME,PRICE\n{line}\n"));
        if let Some(p) = check(
            &env,
            &["--source", &source, "--fx"],
            &["GBPUSD.csv", "line 2", &format!("field {field}")],
            &before,
        ) {
            failures.push(format!("fx {line}: {p}"));
        }
    }
    std::fs::remove_file(env.src().join("GBPUSD.csv")).unwrap();

    // Config rows read by the tool (config/instruments.csv, config/rolls.csv): row 1 is CORN.
    env.write_src("CORN_20240600.csv", GOOD);
    let config = env.data().join("config");
    let instruments = std::fs::read_to_string(config.join("instruments.csv")).unwrap();
    let rolls = std::fs::read_to_string(config.join("rolls.csv")).unwrap();
    let inst_cases: &[(&str, &str)] = &[
        ("CORN,CORN test,-50,USD,Ags,2,0,0,US", "'Pointsize'"),
        ("CORN,CORN test,0,USD,Ags,2,0,0,US", "'Pointsize'"),
        ("CORN,CORN test,NaN,USD,Ags,2,0,0,US", "'Pointsize'"),
        ("CORN,CORN test,1e-300,USD,Ags,2,0,0,US", "'Pointsize'"),
        ("CORN,CORN test,50,../../x,Ags,2,0,0,US", "'Currency'"),
        ("CORN,CORN test,50,USD,Ags,-2,0,0,US", "'PerBlock'"),
    ];
    for (line, field) in inst_cases {
        let text = instruments.replace("CORN,CORN test,50,USD,Ags,2,0,0,US", line);
        std::fs::write(config.join("instruments.csv"), &text).unwrap();
        let before = snapshot(&env.data());
        if let Some(p) = check(
            &env,
            &["--source", &source],
            &["instruments.csv", "row 1", field],
            &before,
        ) {
            failures.push(format!("instruments.csv {line}: {p}"));
        }
    }
    std::fs::write(config.join("instruments.csv"), &instruments).unwrap();
    for (line, field) in [
        ("CORN,HMUZ,-20,0,HMUZ,14", "'CarryOffset'"),
        ("CORN,HMUZ,-99999999,1,HMUZ,14", "'RollOffsetDays'"),
        ("CORN,HMUZ,-20,1,HMUZ,9223372036854775807", "'ExpiryOffset'"),
    ] {
        let text = rolls.replace("CORN,HMUZ,-20,1,HMUZ,14", line);
        std::fs::write(config.join("rolls.csv"), &text).unwrap();
        let before = snapshot(&env.data());
        if let Some(p) = check(
            &env,
            &["--source", &source],
            &["rolls.csv", "row 1", field],
            &before,
        ) {
            failures.push(format!("rolls.csv {line}: {p}"));
        }
    }
    std::fs::write(config.join("rolls.csv"), &rolls).unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
