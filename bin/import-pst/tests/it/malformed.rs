//! Each malformed input gives a non-zero exit, a message naming file, row and field, and writes
//! nothing: the data directory (holding a previous good import) is byte-for-byte unchanged.

use crate::common::{Spec, import_pst, snapshot, write_file, write_source};
use std::path::Path;

/// Imports a good source, applies `break_it` to the source, re-imports and checks the failure.
fn assert_rejected(break_it: impl FnOnce(&Path), expected: &[&str]) {
    let src = tempfile::tempdir().unwrap();
    write_source(src.path(), &Spec::small());
    let data = tempfile::tempdir().unwrap();
    import_pst()
        .arg(src.path())
        .arg("--data-dir")
        .arg(data.path())
        .assert()
        .success();
    // A fresh data directory too: nothing at all may appear in it.
    let fresh = tempfile::tempdir().unwrap();
    break_it(src.path());
    let before = snapshot(data.path());
    for dir in [data.path(), fresh.path()] {
        let out = import_pst()
            .arg(src.path())
            .arg("--data-dir")
            .arg(dir)
            .assert()
            .failure()
            .code(4);
        let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        let last = stderr.lines().last().unwrap_or_default();
        for e in expected {
            assert!(
                last.contains(e),
                "expected {e:?} in the error line: {last}\n{stderr}"
            );
        }
        assert!(last.contains("nothing was written"), "{last}");
    }
    assert!(snapshot(data.path()) == before, "data directory changed");
    assert!(
        snapshot(fresh.path()).is_empty(),
        "files written to a fresh data directory"
    );
}

const MULT_HEADER: &str =
    "DATETIME,CARRY,CARRY_CONTRACT,PRICE,PRICE_CONTRACT,FORWARD,FORWARD_CONTRACT\n";

#[test]
fn missing_column() {
    assert_rejected(
        |s| {
            write_file(
                &s.join("multiple_prices_csv/AAA.csv"),
                "DATETIME,CARRY,CARRY_CONTRACT,PRICE,PRICE_CONTRACT,FORWARD\n\
                 2000-01-03 23:00:00,1,20000600,2,20000300,3\n",
                false,
            );
        },
        &[
            "multiple_prices_csv/AAA.csv",
            "column 'FORWARD_CONTRACT'",
            "missing column",
        ],
    );
}

#[test]
fn non_numeric_price() {
    assert_rejected(
        |s| {
            write_file(
                &s.join("adjusted_prices_csv/AAA.csv"),
                "DATETIME,price\n2000-01-03 23:00:00,1.5\n2000-01-04 23:00:00,\n2000-01-05 23:00:00,1.7x\n",
                false,
            );
        },
        &[
            "adjusted_prices_csv/AAA.csv",
            "row 3",
            "field 'price'",
            "'1.7x' is not a number",
        ],
    );
}

#[test]
fn duplicate_timestamp() {
    assert_rejected(
        |s| {
            write_file(
                &s.join("fx_prices_csv/GBPUSD.csv"),
                "DATETIME,PRICE\n2000-01-03 23:00:00,1.5\n2000-01-04 23:00:00,1.6\n2000-01-04 23:00:00,1.6\n",
                false,
            );
        },
        &[
            "fx_prices_csv/GBPUSD.csv",
            "row 3",
            "field 'DATETIME'",
            "duplicate timestamp",
        ],
    );
}

#[test]
fn unsorted_rows() {
    assert_rejected(
        |s| {
            let text = format!(
                "{MULT_HEADER}2000-01-04 23:00:00,1,20000600,2,20000300,3,20000600\n\
                 2000-01-03 23:00:00,1,20000600,2,20000300,3,20000600\n"
            );
            write_file(&s.join("multiple_prices_csv/BBB.csv"), &text, false);
        },
        &[
            "multiple_prices_csv/BBB.csv",
            "row 2",
            "field 'DATETIME'",
            "before",
        ],
    );
}

#[test]
fn empty_file() {
    assert_rejected(
        |s| {
            write_file(&s.join("adjusted_prices_csv/BBB.csv"), "", false);
        },
        &["adjusted_prices_csv/BBB.csv", "empty file"],
    );
}

#[test]
fn header_only_file() {
    assert_rejected(
        |s| {
            write_file(
                &s.join("roll_calendars_csv/BBB.csv"),
                "DATE_TIME,current_contract,next_contract,carry_contract\n",
                false,
            );
        },
        &["roll_calendars_csv/BBB.csv", "no data rows"],
    );
}

#[test]
fn bad_contract_id() {
    assert_rejected(
        |s| {
            let text = format!(
                "{MULT_HEADER}2000-01-03 23:00:00,1,20000600,2,20000300,3,20000600\n\
                 2000-01-04 23:00:00,1,20000600,2,20001300,3,20000600\n"
            );
            write_file(&s.join("multiple_prices_csv/AAA.csv"), &text, false);
        },
        &[
            "multiple_prices_csv/AAA.csv",
            "row 2",
            "field 'PRICE_CONTRACT'",
            "contract id",
        ],
    );
}

#[test]
fn bad_contract_id_in_contract_file_name() {
    assert_rejected(
        |s| {
            std::fs::rename(
                s.join("contract_prices_csv/AAA_20000300.csv"),
                s.join("contract_prices_csv/AAA_2000030.csv"),
            )
            .unwrap();
        },
        &["contract_prices_csv/AAA_2000030.csv", "contract id"],
    );
}

#[test]
fn unknown_instrument() {
    assert_rejected(
        |s| {
            write_file(
                &s.join("adjusted_prices_csv/ZZZ.csv"),
                "DATETIME,price\n2000-01-03 23:00:00,1.5\n",
                false,
            );
        },
        &[
            "adjusted_prices_csv/ZZZ.csv",
            "unknown instrument 'ZZZ'",
            "instrumentconfig.csv",
        ],
    );
}

#[test]
fn truncated_gzip() {
    assert_rejected(
        |s| {
            let text =
                "DATETIME,price\n2000-01-03 23:00:00,1.5\n2000-01-04 23:00:00,1.6\n".to_string();
            std::fs::remove_file(s.join("adjusted_prices_csv/AAA.csv")).unwrap();
            let gz = write_file(&s.join("adjusted_prices_csv/AAA.csv"), &text, true);
            let bytes = std::fs::read(&gz).unwrap();
            std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
        },
        &[
            "adjusted_prices_csv/AAA.csv.gz",
            "truncated or corrupt gzip",
        ],
    );
}

#[test]
fn bad_config_value() {
    assert_rejected(
        |s| {
            write_file(
                &s.join("csvconfig/rollconfig.csv"),
                "Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n\
                 AAA,HMUZ,-5,1,HMUZ,6\nBBB,HMUZ,minus five,1,HMUZ,6\n",
                false,
            );
        },
        &[
            "csvconfig/rollconfig.csv",
            "row 2",
            "field 'RollOffsetDays'",
        ],
    );
}
