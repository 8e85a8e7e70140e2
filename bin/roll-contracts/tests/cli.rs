//! `roll-contracts` as a real process on real Parquet files: parity with pysystemtrade's shipped
//! adjusted prices, the synthetic testdata end to end, the daily update, roll states and the
//! production roll. Input data is written with the store API (the import-pst binary belongs to
//! another package); reference files are read independently with `systrade_test::read_csv`.

#![allow(clippy::print_stderr)]

mod crash;

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use systrade_model::{CarryOffset, ContractDate, ContractPrices, InstrumentCode, Timestamp};
use systrade_store::{Store, config, pst};
use systrade_test::{read_csv, require_pst_data, same_f64};

fn code(s: &str) -> InstrumentCode {
    InstrumentCode::new(s).unwrap()
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn roll_contracts(data: &Path) -> Command {
    let mut cmd = Command::cargo_bin("roll-contracts").unwrap();
    cmd.arg("--no-progress").arg("--data-dir").arg(data);
    cmd
}

fn testdata_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Config and contract prices of `testdata/` into a data directory, contract bars up to `until`.
fn load_testdata(
    data: &Path,
    until: Option<Timestamp>,
) -> BTreeMap<InstrumentCode, ContractPrices> {
    let src = testdata_dir();
    let store = Store::open(data);
    let writer = store.lock_for_writing(Duration::from_secs(10)).unwrap();
    let read = |p: PathBuf| (pst::read_file(&p).unwrap(), p);
    let (b, p) = read(src.join("csvconfig/instrumentconfig.csv"));
    writer
        .write_instruments(&config::parse_instruments(&p, &b).unwrap())
        .unwrap();
    let (b, p) = read(src.join("csvconfig/rollconfig.csv"));
    writer
        .write_roll_parameters(&config::parse_roll_parameters(&p, &b).unwrap())
        .unwrap();
    let mut by_instrument: BTreeMap<InstrumentCode, ContractPrices> = BTreeMap::new();
    for entry in std::fs::read_dir(src.join("contract_prices_csv")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        let (instrument, contract) = pst::split_contract_file_stem(&stem).unwrap();
        let contract: ContractDate = contract.parse().unwrap();
        let bytes = pst::read_file(&path).unwrap();
        let bars = pst::parse_contract_prices(&path, &bytes, contract).unwrap();
        by_instrument.entry(code(instrument)).or_default().extend(
            bars.into_iter()
                .filter(|b| until.is_none_or(|u| b.timestamp <= u)),
        );
    }
    for (i, bars) in &mut by_instrument {
        bars.sort_by_key(|b| (b.timestamp, b.contract));
        writer.write_contract_prices(i, bars).unwrap();
    }
    by_instrument
}

/// pst-data's multiple prices into a data directory.
fn load_pst_multiple(pst_dir: &Path, data: &Path) -> Vec<String> {
    let store = Store::open(data);
    let writer = store.lock_for_writing(Duration::from_secs(10)).unwrap();
    let mut codes: Vec<String> = std::fs::read_dir(pst_dir.join("multiple_prices_csv"))
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            n.strip_suffix(".csv.gz").map(str::to_string)
        })
        .collect();
    codes.sort();
    std::thread::scope(|s| {
        for chunk in codes.chunks(codes.len().div_ceil(2)) {
            let writer = &writer;
            s.spawn(move || {
                for c in chunk {
                    let path = pst_dir.join(format!("multiple_prices_csv/{c}.csv.gz"));
                    let bytes = pst::read_file(&path).unwrap();
                    let m = pst::parse_multiple_prices(&path, &bytes).unwrap();
                    writer.write_multiple_prices(&code(c), &m).unwrap();
                }
            });
        }
    });
    codes
}

#[test]
fn adjust_reproduces_every_shipped_adjusted_series() {
    let Some(pst_dir) = require_pst_data("adjust_reproduces_every_shipped_adjusted_series") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let codes = load_pst_multiple(&pst_dir, data);
    roll_contracts(data)
        .args(["-q", "adjust"])
        .assert()
        .success();
    // the four series pysystemtrade stitched with forward fill
    roll_contracts(data)
        .args([
            "-q",
            "adjust",
            "--forward-fill",
            "--instruments",
            "CANOLA,FTSE100,GILT,WHEAT",
        ])
        .assert()
        .success();
    let store = Store::open(data);
    let mut exact = 0;
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for c in &codes {
        let shipped_path = pst_dir.join(format!("adjusted_prices_csv/{c}.csv.gz"));
        if !shipped_path.exists() {
            continue;
        }
        let ours = store.read_adjusted_prices(&code(c)).unwrap();
        let shipped = read_csv(&shipped_path);
        let (t, v) = (shipped.str_column("DATETIME"), shipped.f64_column("price"));
        let bad = t.iter().zip(&v).find(|(t, want)| {
            ours.timestamps
                .binary_search(&ts(t))
                .map_or(true, |k| !same_f64(ours.values[k], **want))
        });
        compared += t.len();
        match bad {
            None => exact += 1,
            Some((t, want)) => mismatches.push(format!("{c} at {t}: shipped {want}")),
        }
        // our file ends at the last price, like the shipped one (§1.7)
        assert_eq!(
            ours.timestamps.last().map(|x| x.to_string()).as_deref(),
            t.last().copied(),
            "{c}"
        );
    }
    eprintln!("roll-contracts adjust: {exact} instruments exact, {compared} values compared");
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert_eq!(exact, 226);
}

#[test]
fn testdata_calendar_multiple_adjust_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let bars = load_testdata(data, None);
    for sub in ["calendar", "multiple", "adjust"] {
        roll_contracts(data).args(["-q", sub]).assert().success();
    }
    let store = Store::open(data);
    let params: BTreeMap<_, _> = store
        .read_roll_parameters()
        .unwrap()
        .into_iter()
        .map(|p| (p.instrument.clone(), p))
        .collect();
    for (i, bars) in &bars {
        let p = &params[i];
        let cal = store.read_roll_calendar(i).unwrap();
        let m = store.read_multiple_prices(i).unwrap();
        let adj = store.read_adjusted_prices(i).unwrap();
        let first_day = bars[0].timestamp.date();
        let price = |c: ContractDate, t: Timestamp| {
            bars.iter()
                .find(|b| b.contract == c && b.timestamp == t)
                .map(|b| b.close)
        };
        // every roll: both contracts priced on the roll date, within a few days of the desired
        // date unless a contract only lists later (COPPER 20230900, spec §2.3 item 3)
        for r in &cal[..cal.len() - 1] {
            assert!(
                price(r.current_contract, r.timestamp).is_some(),
                "{i} {r:?}"
            );
            assert!(price(r.next_contract, r.timestamp).is_some(), "{i} {r:?}");
            assert_eq!(
                r.next_contract,
                p.next_held_contract(r.current_contract),
                "{i} {r:?}"
            );
            assert_eq!(
                r.carry_contract,
                p.carry_contract(r.current_contract),
                "{i} {r:?}"
            );
            let days = (r.timestamp.date() - p.desired_roll_date(r.current_contract)).num_days();
            let late_listing = i.as_str() == "COPPER" && r.next_contract.id() == 20230900;
            // carry −1: the closest date where the carry contract still has prices wins over the
            // desired date (CORN: carry September expires a month before the October roll date)
            let carry_expired_after = bars
                .iter()
                .filter(|b| b.contract == r.carry_contract)
                .all(|b| b.timestamp <= r.timestamp);
            let carry_bound =
                p.carry_offset == CarryOffset::Previous && days < 0 && carry_expired_after;
            // desired date before the first day of data: rolls on the first day both trade
            let before_data = p.desired_roll_date(r.current_contract) < first_day;
            assert!(
                days.abs() <= 4 || late_listing || carry_bound || before_data,
                "{i} {r:?}: {days} days from desired"
            );
        }
        // multiple prices: PRICE is the priced contract's close; the row at a roll date prices
        // the old contract
        for row in m.iter().step_by(97) {
            if !row.price.is_nan() {
                assert_eq!(
                    Some(row.price),
                    price(row.price_contract, row.timestamp),
                    "{i}"
                );
            }
        }
        // adjusted: one value per row up to the last price, anchored to the current contract
        let last_price = m.iter().rev().find(|r| !r.price.is_nan()).unwrap();
        assert_eq!(adj.last_timestamp(), Some(last_price.timestamp), "{i}");
        assert_eq!(*adj.values.last().unwrap(), last_price.price, "{i}");
    }
    // spec exercises named in testdata/README.md
    let copper = store.read_roll_calendar(&code("COPPER")).unwrap();
    let roll_0900 = copper
        .iter()
        .find(|r| r.next_contract.id() == 20230900)
        .unwrap();
    assert_eq!(
        roll_0900.timestamp,
        ts("2023-07-10 23:00:00"),
        "first day 20230900 lists"
    );
    let last = copper.last().unwrap();
    assert_eq!(
        (last.current_contract.id(), last.next_contract.id()),
        (20230900, 20231200),
        "next held contract without prices yet"
    );
    let corn = store.read_roll_calendar(&code("CORN")).unwrap();
    assert!(
        corn.iter()
            .all(|r| r.current_contract.month().letter() == 'Z')
    );
    assert!(
        corn[..corn.len() - 1]
            .iter()
            .all(|r| r.carry_contract.month().letter() == 'U')
    );
    let gold = store.read_multiple_prices(&code("GOLD")).unwrap();
    let gap = gold
        .iter()
        .find(|r| r.timestamp == ts("2021-04-14 23:00:00"))
        .unwrap();
    assert_eq!(gap.price_contract.id(), 20210600);
    assert!(
        gap.price.is_nan() && !gap.forward.is_nan(),
        "held contract missing days"
    );
}

fn file_bytes(p: PathBuf) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

#[test]
fn daily_update_adds_one_row_once_and_refuses_bad_prices() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let all = load_testdata(data, Some(ts("2023-08-30 23:00:00")));
    for sub in ["calendar", "multiple", "adjust"] {
        roll_contracts(data)
            .args(["-q", sub, "--instruments", "US10"])
            .assert()
            .success();
    }
    let store = Store::open(data);
    let us10 = code("US10");
    let m0 = store.read_multiple_prices(&us10).unwrap();
    let a0 = store.read_adjusted_prices(&us10).unwrap();
    assert_eq!(m0.last().unwrap().timestamp, ts("2023-08-30 23:00:00"));
    let priced = m0.last().unwrap().price_contract;

    // one new day of contract prices
    let full = load_testdata(tempfile::tempdir().unwrap().path(), None);
    let with_day = |f: &dyn Fn(&mut systrade_model::ContractBar) -> bool| {
        let mut bars: ContractPrices = full[&us10].clone();
        bars.retain_mut(|b| f(b));
        let w = store.lock_for_writing(Duration::from_secs(10)).unwrap();
        w.write_contract_prices(&us10, &bars).unwrap();
    };
    let new_day = ts("2023-08-31 23:00:00");

    // a missing current-contract price (forward and carry have the new day): refused, exit 4
    with_day(&|b| !(b.contract == priced && b.timestamp == new_day));
    let files = || {
        (
            file_bytes(data.join("prices/multiple/US10.parquet")),
            file_bytes(data.join("prices/adjusted/US10.parquet")),
        )
    };
    let before = files();
    let out = roll_contracts(data)
        .args(["update"])
        .assert()
        .code(4)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&out);
    assert!(
        err.contains("US10") && err.contains(&priced.to_string()),
        "{err}"
    );
    assert_eq!(files(), before, "nothing written");

    // a bad (zero) current-contract price: refused, exit 4, nothing written
    with_day(&|b| {
        if b.contract == priced && b.timestamp == new_day {
            b.close = 0.0;
        }
        true
    });
    let out = roll_contracts(data)
        .args(["update"])
        .assert()
        .code(4)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&out);
    assert!(err.contains("US10") && err.contains("bad price"), "{err}");
    assert_eq!(files(), before, "nothing written");

    // the good day: exactly one row each
    with_day(&|_| true);
    roll_contracts(data)
        .args(["-q", "update"])
        .assert()
        .success();
    let m1 = store.read_multiple_prices(&us10).unwrap();
    let a1 = store.read_adjusted_prices(&us10).unwrap();
    assert_eq!(m1.len(), m0.len() + 1);
    assert_eq!(a1.len(), a0.len() + 1);
    let new_row = m1.last().unwrap();
    assert_eq!(new_row.timestamp, new_day);
    let close = |c: ContractDate| {
        full[&us10]
            .iter()
            .find(|b| b.contract == c && b.timestamp == new_day)
            .map(|b| b.close)
    };
    assert_eq!(Some(new_row.price), close(new_row.price_contract));
    assert_eq!(Some(new_row.forward), close(new_row.forward_contract));
    assert_eq!(a1.values.last().copied(), Some(new_row.price));
    assert!(
        a1.values[..a0.len()]
            .iter()
            .zip(&a0.values)
            .all(|(x, y)| same_f64(*x, *y))
            && a1.timestamps[..a0.len()] == a0.timestamps[..],
        "history not rewritten"
    );
    drop(all);

    // a re-run adds nothing
    let after = files();
    roll_contracts(data)
        .args(["-q", "update"])
        .assert()
        .success();
    assert_eq!(files(), after);
}

#[test]
fn roll_states_and_production_roll() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    load_testdata(data, None);
    for sub in ["calendar", "multiple", "adjust"] {
        roll_contracts(data)
            .args(["-q", sub, "--instruments", "EUROSTX"])
            .assert()
            .success();
    }
    let out = roll_contracts(data)
        .args(["state", "EUROSTX", "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8_lossy(&out),
        "instrument,state\nEUROSTX,No_Roll\n"
    );
    // Force needs a position
    let out = roll_contracts(data)
        .args(["state", "EUROSTX", "--set", "Force"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert!(
        String::from_utf8_lossy(&out).contains("allowed: Roll_Adjusted, Passive, No_Roll, No_Open")
    );
    roll_contracts(data)
        .args(["-q", "state", "EUROSTX", "--set", "passive"])
        .assert()
        .success();
    let out = roll_contracts(data)
        .args(["state", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(
        String::from_utf8_lossy(&out)
            .lines()
            .any(|l| l == r#"{"instrument":"EUROSTX","state":"Passive"}"#)
    );

    // a position in the priced contract blocks the roll
    let store = Store::open(data);
    let eurostx = code("EUROSTX");
    let m0 = store.read_multiple_prices(&eurostx).unwrap();
    let last = *m0.last().unwrap();
    // as place-orders records a fill
    let position = |delta: i64| {
        store
            .open_state_for_writing()
            .unwrap()
            .transaction(|tx| tx.add_contract_position(&eurostx, last.price_contract, delta, "now"))
            .unwrap()
    };
    // only an instrument in Roll_Adjusted is rolled: from Passive nothing happens (a warning)
    let multiple_file = data.join("prices/multiple/EUROSTX.parquet");
    let bytes0 = std::fs::read(&multiple_file).unwrap();
    let out = roll_contracts(data)
        .args(["roll", "EUROSTX", "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().nth(1),
        Some(
            "EUROSTX,false,,Passive,in Passive (not Roll_Adjusted): not rolled; \
             `roll-contracts state EUROSTX --set Roll_Adjusted` to roll it"
        )
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("roll: 0 ok, 1 skipped (EUROSTX)"));
    assert_eq!(std::fs::read(&multiple_file).unwrap(), bytes0);
    roll_contracts(data)
        .args(["-q", "state", "EUROSTX", "--set", "Roll_Adjusted"])
        .assert()
        .success();
    position(2);
    let out = roll_contracts(data)
        .args(["roll", "EUROSTX"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("still has a position of 2"));
    assert!(
        store.read_multiple_prices(&eurostx).unwrap().len() == m0.len(),
        "not rolled"
    );
    position(-2);
    let out = roll_contracts(data)
        .args(["-q", "roll", "EUROSTX", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let row: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(row["rolled"], true);
    assert_eq!(row["priced"], "20231200");
    let m1 = store.read_multiple_prices(&eurostx).unwrap();
    assert_eq!(m1.len(), m0.len() + 1);
    let new = m1.last().unwrap();
    assert_eq!(new.timestamp, last.timestamp.plus_seconds(1));
    assert_eq!(
        (new.price_contract, new.price),
        (last.forward_contract, last.forward)
    );
    assert_eq!(new.forward_contract.id(), 20240300);
    let adj = store.read_adjusted_prices(&eurostx).unwrap();
    assert_eq!(adj.values.last().copied(), Some(last.forward));
    let out = roll_contracts(data)
        .args(["state", "EUROSTX"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8_lossy(&out),
        "instrument  state\nEUROSTX     No_Roll\n"
    );
    // running it again does not roll twice
    let bytes1 = std::fs::read(&multiple_file).unwrap();
    roll_contracts(data)
        .args(["-q", "roll", "EUROSTX"])
        .assert()
        .success();
    assert_eq!(std::fs::read(&multiple_file).unwrap(), bytes1);
}

#[test]
fn report_formats_and_partial_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    load_testdata(data, None);
    for sub in ["calendar", "multiple", "adjust"] {
        roll_contracts(data).args(["-q", sub]).assert().success();
    }
    let out = roll_contracts(data)
        .args(["-q", "report", "--format", "json", "--as-of", "2023-08-31"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 6);
    let us10 = rows.iter().find(|r| r["instrument"] == "US10").unwrap();
    assert_eq!(us10["state"], "No_Roll");
    assert_eq!(us10["priced"], "20231200");
    assert_eq!(us10["days_to_expiry"], 111); // 2023-12-20 − 2023-08-31
    assert_eq!(us10["last_timestamp"], "2023-08-31T23:00:00");
    let out = roll_contracts(data)
        .args(["-q", "report", "--as-of", "2023-08-31", "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.starts_with("instrument,state,priced,forward,carry,"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 7);
    // an unknown name: a usage error naming it (exit 2, as every tool), nothing done
    let out = roll_contracts(data)
        .args(["adjust", "--instruments", "US10,NOPE"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&out);
    assert!(
        err.contains("unknown instrument(s) in --instruments: NOPE"),
        "{err}"
    );
    // one instrument without its input: the others are done, exit 3, summary on stderr
    std::fs::remove_file(data.join("prices/multiple/GOLD.parquet")).unwrap();
    let out = roll_contracts(data)
        .args(["adjust", "--instruments", "US10,GOLD"])
        .assert()
        .code(3)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&out);
    assert!(err.contains("adjust: 1 ok, 1 failed (GOLD)"), "{err}");
}

#[test]
fn auto_roll_follows_the_rule_and_ratio_adjustment() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    load_testdata(data, None);
    for sub in ["calendar", "multiple", "adjust"] {
        roll_contracts(data).args(["-q", sub]).assert().success();
    }
    let store = Store::open(data);
    let before: BTreeMap<String, usize> = ["EUROSTX", "COPPER"]
        .iter()
        .map(|c| {
            (
                c.to_string(),
                store.read_multiple_prices(&code(c)).unwrap().len(),
            )
        })
        .collect();
    // as of 2023-08-31: EUROSTX's forward is liquid (relative volume 0.365 > 0.01, absolute > 100)
    // and there is no position → Roll_Adjusted → rolled; COPPER's forward 20231200 has no
    // prices (illiquid) and the roll date is near → No_Open, not rolled
    let out = roll_contracts(data)
        .args([
            "-q",
            "roll",
            "--auto",
            "--as-of",
            "2023-08-31",
            "--instruments",
            "EUROSTX,COPPER",
            "--format",
            "csv",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.lines().any(|l| l == "EUROSTX,true,20231200,No_Roll,"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l == "COPPER,false,,No_Open,state No_Roll -> No_Open"),
        "{text}"
    );
    assert_eq!(
        store.read_multiple_prices(&code("EUROSTX")).unwrap().len(),
        before["EUROSTX"] + 1
    );
    assert_eq!(
        store.read_multiple_prices(&code("COPPER")).unwrap().len(),
        before["COPPER"]
    );
    let out = roll_contracts(data)
        .args(["state", "COPPER", "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8_lossy(&out),
        "instrument,state\nCOPPER,No_Open\n"
    );

    // a person's Roll_Adjusted is carried out by --auto whatever the rule says; CORN's forward
    // 20241200 has no prices, so the roll fails, nothing is written and the state is kept
    roll_contracts(data)
        .args(["-q", "state", "CORN", "--set", "Roll_Adjusted"])
        .assert()
        .success();
    let corn_before = store.read_multiple_prices(&code("CORN")).unwrap().len();
    let out = roll_contracts(data)
        .args([
            "roll",
            "--auto",
            "--as-of",
            "2023-08-31",
            "--instruments",
            "CORN",
        ])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("CORN: cannot find the latest FORWARD"));
    assert_eq!(
        store.read_multiple_prices(&code("CORN")).unwrap().len(),
        corn_before
    );
    let out = roll_contracts(data)
        .args(["state", "CORN", "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8_lossy(&out),
        "instrument,state\nCORN,Roll_Adjusted\n",
        "state kept on failure"
    );

    // an unregistered roll: multiple prices moved on by hand, adjusted prices not re-stitched
    let us10 = code("US10");
    let mut m = store.read_multiple_prices(&us10).unwrap();
    let last = *m.last().unwrap();
    m.push(systrade_model::MultiplePricesRow {
        timestamp: last.timestamp.plus_seconds(1),
        price: last.forward,
        price_contract: last.forward_contract,
        ..last
    });
    store
        .lock_for_writing(Duration::from_secs(10))
        .unwrap()
        .write_multiple_prices(&us10, &m)
        .unwrap();
    let out = roll_contracts(data)
        .args(["update", "--instruments", "US10"])
        .assert()
        .code(4)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&out);
    assert!(
        err.contains("US10: roll has occurred but not registered"),
        "{err}"
    );

    // ratio adjustment: proportional history, anchored to the current contract
    roll_contracts(data)
        .args(["-q", "adjust", "--method", "ratio", "--instruments", "GOLD"])
        .assert()
        .success();
    let gold = code("GOLD");
    let m = store.read_multiple_prices(&gold).unwrap();
    let adj = store.read_adjusted_prices(&gold).unwrap();
    let last_price = m.iter().rev().find(|r| !r.price.is_nan()).unwrap();
    assert_eq!(adj.values.last().copied(), Some(last_price.price));
    assert!(adj.values.iter().all(|v| v.is_nan() || *v > 0.0));
}

#[test]
fn calendar_from_multiple_matches_shipped_calendars() {
    let Some(pst_dir) = require_pst_data("calendar_from_multiple_matches_shipped_calendars") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    load_pst_multiple(&pst_dir, data);
    roll_contracts(data)
        .args([
            "-q",
            "calendar",
            "--from-multiple",
            "--instruments",
            "US10,SP500,CORN,GOLD_micro",
        ])
        .assert()
        .success();
    let store = Store::open(data);
    for c in ["US10", "SP500", "CORN", "GOLD_micro"] {
        let ours = store.read_roll_calendar(&code(c)).unwrap();
        let m = store.read_multiple_prices(&code(c)).unwrap();
        let shipped = read_csv(&pst_dir.join(format!("roll_calendars_csv/{c}.csv.gz")));
        let (t, cur, next, carry) = (
            shipped.str_column("DATE_TIME"),
            shipped.str_column("current_contract"),
            shipped.str_column("next_contract"),
            shipped.str_column("carry_contract"),
        );
        // overlapping period: after the first multiple-prices row, without the shipped final row
        // (details and the stamp conventions: systrade-roll tests/pst_parity.rs)
        let mut same_date = 0;
        let mut rolls = 0;
        for k in 0..t.len() - 1 {
            let date = ts(t[k]);
            if date <= m[0].timestamp {
                continue;
            }
            rolls += 1;
            let row = ours
                .iter()
                .find(|r| r.current_contract.id().to_string() == cur[k])
                .unwrap_or_else(|| panic!("{c}: shipped roll {} {} missing", t[k], cur[k]));
            assert_eq!(row.next_contract.id().to_string(), next[k], "{c} {}", t[k]);
            assert_eq!(
                row.carry_contract.id().to_string(),
                carry[k],
                "{c} {}",
                t[k]
            );
            // ours is stamped with the last row of the old contract; some shipped calendars with
            // the first row of the new one
            let k_ours = m
                .binary_search_by_key(&row.timestamp, |r| r.timestamp)
                .unwrap();
            if row.timestamp == date || m[k_ours + 1].timestamp == date {
                same_date += 1;
            }
        }
        eprintln!("{c}: {same_date} of {rolls} shipped rolls on the same date");
        assert!(same_date * 100 >= rolls * 90, "{c}: {same_date} of {rolls}");
    }
}
