//! The bad-input catalogue (issue 15): malformed and out-of-range values in every kind of file
//! `import-pst` reads. Each case replaces one line (or file) of a good source and checks: exit code 4,
//! a message naming the file (and the row and field when the problem is in a cell), no panic, and a
//! data directory (holding a previous good import) left byte-for-byte unchanged.

use crate::common::{Spec, import_pst, snapshot, write_source};
use std::path::Path;

/// One bad input: the source file to change, the line to replace (`None`: the whole file is
/// `text`) and what the error must mention.
struct Case {
    file: &'static str,
    line: Option<usize>,
    text: &'static str,
    expect: &'static [&'static str],
}

const fn row(
    file: &'static str,
    line: usize,
    text: &'static str,
    expect: &'static [&'static str],
) -> Case {
    Case {
        file,
        line: Some(line),
        text,
        expect,
    }
}

const INST: &str = "csvconfig/instrumentconfig.csv";
const ROLLS: &str = "csvconfig/rollconfig.csv";
const SPREADS: &str = "csvconfig/spreadcosts.csv";
const ADJ: &str = "adjusted_prices_csv/AAA.csv";
const MULT: &str = "multiple_prices_csv/AAA.csv";
const FX: &str = "fx_prices_csv/GBPUSD.csv";
const CAL: &str = "roll_calendars_csv/AAA.csv";
const BARS: &str = "contract_prices_csv/AAA_20000300.csv";

fn cases() -> Vec<Case> {
    let p = |v: &'static str| -> Case {
        // AAA's Pointsize
        Case {
            file: INST,
            line: Some(1),
            text: v,
            expect: &["instrumentconfig.csv", "row 1", "'Pointsize'"],
        }
    };
    let mut v = vec![
        // ---- instrument config: point size (the 1e-300 that became an order for i64::MIN contracts)
        p("AAA,Test,-50,USD,Equity,2.5,0,0,US"),
        p("AAA,Test,0,USD,Equity,2.5,0,0,US"),
        p("AAA,Test,NaN,USD,Equity,2.5,0,0,US"),
        p("AAA,Test,nan,USD,Equity,2.5,0,0,US"),
        p("AAA,Test,1e-300,USD,Equity,2.5,0,0,US"),
        p("AAA,Test,inf,USD,Equity,2.5,0,0,US"),
        p("AAA,Test,-inf,USD,Equity,2.5,0,0,US"),
        p("AAA,Test,1e300,USD,Equity,2.5,0,0,US"),
        p("AAA,Test,1e11,USD,Equity,2.5,0,0,US"),
        p("AAA,Test,fifty,USD,Equity,2.5,0,0,US"),
        p("AAA,Test,,USD,Equity,2.5,0,0,US"),
        p("AAA,Test,0x10,USD,Equity,2.5,0,0,US"),
        // ---- currency
        row(
            INST,
            1,
            "AAA,Test,10,../../x,Equity,2.5,0,0,US",
            &["instrumentconfig.csv", "row 1", "'Currency'"],
        ),
        row(
            INST,
            1,
            "AAA,Test,10,,Equity,2.5,0,0,US",
            &["instrumentconfig.csv", "row 1", "'Currency'"],
        ),
        row(
            INST,
            1,
            "AAA,Test,10,usd,Equity,2.5,0,0,US",
            &["instrumentconfig.csv", "row 1", "'Currency'"],
        ),
        row(
            INST,
            1,
            "AAA,Test,10,US,Equity,2.5,0,0,US",
            &["instrumentconfig.csv", "row 1", "'Currency'"],
        ),
        row(
            INST,
            1,
            "AAA,Test,10,USDX,Equity,2.5,0,0,US",
            &["instrumentconfig.csv", "row 1", "'Currency'"],
        ),
        row(
            INST,
            1,
            "AAA,Test,10,U$D,Equity,2.5,0,0,US",
            &["instrumentconfig.csv", "row 1", "'Currency'"],
        ),
        row(
            INST,
            2,
            "BBB,Test,10,E1R,Equity,2.5,0,0,US",
            &["instrumentconfig.csv", "row 2", "'Currency'"],
        ),
        // ---- commissions
        row(
            INST,
            1,
            "AAA,Test,10,USD,Equity,-1,0,0,US",
            &["instrumentconfig.csv", "row 1", "'PerBlock'"],
        ),
        row(
            INST,
            1,
            "AAA,Test,10,USD,Equity,NaN,0,0,US",
            &["instrumentconfig.csv", "row 1", "'PerBlock'"],
        ),
        row(
            INST,
            1,
            "AAA,Test,10,USD,Equity,inf,0,0,US",
            &["instrumentconfig.csv", "row 1", "'PerBlock'"],
        ),
        row(
            INST,
            1,
            "AAA,Test,10,USD,Equity,2.5,-0.001,0,US",
            &["instrumentconfig.csv", "row 1", "'Percentage'"],
        ),
        row(
            INST,
            1,
            "AAA,Test,10,USD,Equity,2.5,1.5,0,US",
            &["instrumentconfig.csv", "row 1", "'Percentage'"],
        ),
        row(
            INST,
            1,
            "AAA,Test,10,USD,Equity,2.5,NaN,0,US",
            &["instrumentconfig.csv", "row 1", "'Percentage'"],
        ),
        row(
            INST,
            1,
            "AAA,Test,10,USD,Equity,2.5,0,-5,US",
            &["instrumentconfig.csv", "row 1", "'PerTrade'"],
        ),
        row(
            INST,
            1,
            "AAA,Test,10,USD,Equity,2.5,0,1e300,US",
            &["instrumentconfig.csv", "row 1", "'PerTrade'"],
        ),
        // ---- instrument codes
        row(
            INST,
            1,
            "../x,Test,10,USD,Equity,2.5,0,0,US",
            &["instrumentconfig.csv", "row 1", "'Instrument'"],
        ),
        row(
            INST,
            1,
            "A B,Test,10,USD,Equity,2.5,0,0,US",
            &["instrumentconfig.csv", "row 1", "'Instrument'"],
        ),
        row(
            INST,
            1,
            ",Test,10,USD,Equity,2.5,0,0,US",
            &["instrumentconfig.csv", "row 1", "'Instrument'"],
        ),
        row(
            INST,
            1,
            "-rf,Test,10,USD,Equity,2.5,0,0,US",
            &["instrumentconfig.csv", "row 1", "'Instrument'"],
        ),
        row(
            INST,
            1,
            "VIX#1,Test,10,USD,Equity,2.5,0,0,US",
            &["instrumentconfig.csv", "row 1", "'Instrument'"],
        ),
        // ---- roll config
        row(
            ROLLS,
            1,
            "AAA,HMUZ,99999999999,1,HMUZ,6",
            &["rollconfig.csv", "row 1", "'RollOffsetDays'"],
        ),
        row(
            ROLLS,
            1,
            "AAA,HMUZ,-9223372036854775808,1,HMUZ,6",
            &["rollconfig.csv", "row 1", "'RollOffsetDays'"],
        ),
        row(
            ROLLS,
            1,
            "AAA,HMUZ,soon,1,HMUZ,6",
            &["rollconfig.csv", "row 1", "'RollOffsetDays'"],
        ),
        row(
            ROLLS,
            1,
            "AAA,HMUZ,-5.5,1,HMUZ,6",
            &["rollconfig.csv", "row 1", "'RollOffsetDays'"],
        ),
        row(
            ROLLS,
            1,
            "AAA,HMUZ,-5,0,HMUZ,6",
            &["rollconfig.csv", "row 1", "'CarryOffset'"],
        ),
        row(
            ROLLS,
            1,
            "AAA,HMUZ,-5,2,HMUZ,6",
            &["rollconfig.csv", "row 1", "'CarryOffset'"],
        ),
        row(
            ROLLS,
            1,
            "AAA,HMUZ,-5,1,HMUZ,100000",
            &["rollconfig.csv", "row 1", "'ExpiryOffset'"],
        ),
        row(
            ROLLS,
            1,
            "AAA,HMUZ,-5,1,HMUZ,9223372036854775807",
            &["rollconfig.csv", "row 1", "'ExpiryOffset'"],
        ),
        row(
            ROLLS,
            1,
            "AAA,,-5,1,HMUZ,6",
            &["rollconfig.csv", "row 1", "'HoldRollCycle'"],
        ),
        row(
            ROLLS,
            1,
            "AAA,HMUA,-5,1,HMUZ,6",
            &["rollconfig.csv", "row 1", "'HoldRollCycle'"],
        ),
        row(
            ROLLS,
            1,
            "AAA,HMUZ,-5,1,HMU1,6",
            &["rollconfig.csv", "row 1", "'PricedRollCycle'"],
        ),
        row(
            ROLLS,
            1,
            "../AAA,HMUZ,-5,1,HMUZ,6",
            &["rollconfig.csv", "row 1", "'Instrument'"],
        ),
        // ---- spread costs
        row(
            SPREADS,
            1,
            "AAA,-0.1",
            &["spreadcosts.csv", "row 1", "'SpreadCost'"],
        ),
        row(
            SPREADS,
            1,
            "AAA,NaN",
            &["spreadcosts.csv", "row 1", "'SpreadCost'"],
        ),
        row(
            SPREADS,
            1,
            "AAA,inf",
            &["spreadcosts.csv", "row 1", "'SpreadCost'"],
        ),
        row(
            SPREADS,
            1,
            "AAA,1e300",
            &["spreadcosts.csv", "row 1", "'SpreadCost'"],
        ),
        row(
            SPREADS,
            2,
            "BBB,cheap",
            &["spreadcosts.csv", "row 2", "'SpreadCost'"],
        ),
        row(
            SPREADS,
            1,
            "A/A,0.1",
            &["spreadcosts.csv", "row 1", "'Instrument'"],
        ),
        // ---- adjusted prices (negative prices are legitimate there; these are not)
        row(
            ADJ,
            2,
            "2000-01-04 23:00:00,1e300",
            &["AAA.csv", "row 2", "'price'"],
        ),
        row(
            ADJ,
            2,
            "2000-01-04 23:00:00,-1e13",
            &["AAA.csv", "row 2", "'price'"],
        ),
        row(
            ADJ,
            2,
            "2000-01-04 23:00:00,inf",
            &["AAA.csv", "row 2", "'price'"],
        ),
        row(
            ADJ,
            2,
            "2000-01-04 23:00:00,12..5",
            &["AAA.csv", "row 2", "'price'"],
        ),
        row(
            ADJ,
            5,
            "9999-12-30 23:00:00,100",
            &["AAA.csv", "row 5", "'DATETIME'"],
        ),
        row(
            ADJ,
            5,
            "2199-12-30 23:00:00,100",
            &["AAA.csv", "row 5", "'DATETIME'"],
        ),
        row(
            ADJ,
            5,
            "2100-01-01 23:00:00,100",
            &["AAA.csv", "row 5", "'DATETIME'", "future"],
        ),
        row(
            ADJ,
            1,
            "1899-12-31 23:00:00,100",
            &["AAA.csv", "row 1", "'DATETIME'", "1900"],
        ),
        row(
            ADJ,
            1,
            "0001-01-01 00:00:00,100",
            &["AAA.csv", "row 1", "'DATETIME'"],
        ),
        row(
            ADJ,
            1,
            "2000-13-01 23:00:00,100",
            &["AAA.csv", "row 1", "'DATETIME'"],
        ),
        row(ADJ, 1, ",100", &["AAA.csv", "row 1", "'DATETIME'"]),
        row(
            ADJ,
            1,
            "+275760-09-13 00:00:00,100",
            &["AAA.csv", "row 1", "'DATETIME'"],
        ),
        // ---- multiple prices
        row(
            MULT,
            2,
            "2000-01-04 23:00:00,1,20000600,1e300,20000300,3,20000600",
            &["multiple_prices_csv/AAA.csv", "row 2", "'PRICE'"],
        ),
        row(
            MULT,
            2,
            "2000-01-04 23:00:00,-1e13,20000600,2,20000300,3,20000600",
            &["multiple_prices_csv/AAA.csv", "row 2", "'CARRY'"],
        ),
        row(
            MULT,
            2,
            "2000-01-04 23:00:00,1,20000600,2,20000300,inf,20000600",
            &["multiple_prices_csv/AAA.csv", "row 2", "'FORWARD'"],
        ),
        row(
            MULT,
            2,
            "2000-01-04 23:00:00,1,20000600,2,2000030,3,20000600",
            &["multiple_prices_csv/AAA.csv", "row 2", "'PRICE_CONTRACT'"],
        ),
        row(
            MULT,
            2,
            "2000-01-04 23:00:00,1,../../x,2,20000300,3,20000600",
            &["multiple_prices_csv/AAA.csv", "row 2", "'CARRY_CONTRACT'"],
        ),
        row(
            MULT,
            5,
            "9999-12-30 23:00:00,1,20000600,2,20000300,3,20000600",
            &["multiple_prices_csv/AAA.csv", "row 5", "'DATETIME'"],
        ),
        row(
            MULT,
            1,
            "1066-10-14 23:00:00,1,20000600,2,20000300,3,20000600",
            &["multiple_prices_csv/AAA.csv", "row 1", "'DATETIME'"],
        ),
        // ---- FX rates (never ≤ 0)
        row(
            FX,
            2,
            "2000-01-04 23:00:00,0",
            &["GBPUSD.csv", "row 2", "'PRICE'"],
        ),
        row(
            FX,
            2,
            "2000-01-04 23:00:00,-1.3",
            &["GBPUSD.csv", "row 2", "'PRICE'"],
        ),
        row(
            FX,
            2,
            "2000-01-04 23:00:00,-0",
            &["GBPUSD.csv", "row 2", "'PRICE'"],
        ),
        row(
            FX,
            2,
            "2000-01-04 23:00:00,1e-300",
            &["GBPUSD.csv", "row 2", "'PRICE'"],
        ),
        row(
            FX,
            2,
            "2000-01-04 23:00:00,1e300",
            &["GBPUSD.csv", "row 2", "'PRICE'"],
        ),
        row(
            FX,
            2,
            "2000-01-04 23:00:00,inf",
            &["GBPUSD.csv", "row 2", "'PRICE'"],
        ),
        row(
            FX,
            2,
            "2000-01-04 23:00:00,1 .5",
            &["GBPUSD.csv", "row 2", "'PRICE'"],
        ),
        row(
            FX,
            5,
            "9999-12-30 23:00:00,1.2",
            &["GBPUSD.csv", "row 5", "'DATETIME'"],
        ),
        row(
            FX,
            1,
            "1850-01-01 23:00:00,1.2",
            &["GBPUSD.csv", "row 1", "'DATETIME'"],
        ),
        // ---- roll calendars
        row(
            CAL,
            2,
            "9999-12-30 23:00:00,20000600,20000900,20000900",
            &["roll_calendars_csv/AAA.csv", "row 2", "'DATE_TIME'"],
        ),
        row(
            CAL,
            1,
            "1800-02-25 23:00:00,20000300,20000600,20000600",
            &["roll_calendars_csv/AAA.csv", "row 1", "'DATE_TIME'"],
        ),
        row(
            CAL,
            1,
            "2000-02-25 23:00:00,2000030,20000600,20000600",
            &["roll_calendars_csv/AAA.csv", "row 1", "'current_contract'"],
        ),
        row(
            CAL,
            1,
            "2000-02-25 23:00:00,20001300,20000600,20000600",
            &["roll_calendars_csv/AAA.csv", "row 1", "'current_contract'"],
        ),
        // ---- contract prices: HIGH ≥ LOW, volume ≥ 0, finite
        row(
            BARS,
            1,
            "2000-01-03 23:00:00,10,9,11,10,5",
            &["AAA_20000300.csv", "row 1", "'HIGH'"],
        ),
        row(
            BARS,
            1,
            "2000-01-03 23:00:00,10,11,9,10,-1",
            &["AAA_20000300.csv", "row 1", "'VOLUME'"],
        ),
        row(
            BARS,
            1,
            "2000-01-03 23:00:00,10,11,9,10,-0.5",
            &["AAA_20000300.csv", "row 1", "'VOLUME'"],
        ),
        row(
            BARS,
            1,
            "2000-01-03 23:00:00,10,11,9,1e300,5",
            &["AAA_20000300.csv", "row 1", "'FINAL'"],
        ),
        row(
            BARS,
            1,
            "2000-01-03 23:00:00,-1e13,11,9,10,5",
            &["AAA_20000300.csv", "row 1", "'OPEN'"],
        ),
        row(
            BARS,
            1,
            "2000-01-03 23:00:00,10,inf,9,10,5",
            &["AAA_20000300.csv", "row 1", "'HIGH'"],
        ),
        row(
            BARS,
            1,
            "2000-01-03 23:00:00,10,11,-inf,10,5",
            &["AAA_20000300.csv", "row 1", "'LOW'"],
        ),
        row(
            BARS,
            1,
            "2000-01-03 23:00:00,10,11,9,10,lots",
            &["AAA_20000300.csv", "row 1", "'VOLUME'"],
        ),
        row(
            BARS,
            1,
            "9999-12-30 23:00:00,10,11,9,10,5",
            &["AAA_20000300.csv", "row 1", "'DATETIME'"],
        ),
        row(
            BARS,
            1,
            "1899-01-01 23:00:00,10,11,9,10,5",
            &["AAA_20000300.csv", "row 1", "'DATETIME'"],
        ),
        // ---- whole files
        Case {
            file: INST,
            line: None,
            text: "",
            expect: &["instrumentconfig.csv", "empty"],
        },
        Case {
            file: INST,
            line: None,
            text: "Instrument,Description\nAAA,x\n",
            expect: &["instrumentconfig.csv", "'Pointsize'", "missing column"],
        },
        Case {
            file: SPREADS,
            line: None,
            text: "Instrument\nAAA\n",
            expect: &["spreadcosts.csv", "'SpreadCost'"],
        },
        Case {
            file: ADJ,
            line: None,
            text: "DATETIME,price\n",
            expect: &["AAA.csv", "empty"],
        },
        Case {
            file: FX,
            line: None,
            text: "\u{0}\u{1}\u{2}binary",
            expect: &["GBPUSD.csv"],
        },
        Case {
            file: "fx_prices_csv/gbpUSD.csv",
            line: None,
            text: "DATETIME,PRICE\n2000-01-03 23:00:00,1.5\n",
            expect: &["gbpUSD.csv", "<CCY>USD"],
        },
        Case {
            file: "fx_prices_csv/G1PUSD.csv",
            line: None,
            text: "DATETIME,PRICE\n2000-01-03 23:00:00,1.5\n",
            expect: &["G1PUSD.csv", "<CCY>USD"],
        },
        Case {
            file: "adjusted_prices_csv/ZZZ.csv",
            line: None,
            text: "DATETIME,price\n2000-01-03 23:00:00,1.5\n",
            expect: &["ZZZ.csv", "unknown instrument"],
        },
        Case {
            file: "contract_prices_csv/AAA_2000030.csv",
            line: None,
            text: "DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME\n2000-01-03 23:00:00,1,2,0.5,1,1\n",
            expect: &["AAA_2000030.csv", "contract id"],
        },
        Case {
            file: "contract_prices_csv/AAA_20001300.csv",
            line: None,
            text: "DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME\n2000-01-03 23:00:00,1,2,0.5,1,1\n",
            expect: &["AAA_20001300.csv", "contract id"],
        },
    ];
    // Symbolic links out of the source directory (to a file holding a secret, or a linked
    // subdirectory): not followed, named, the outside content never echoed (issue 15 item 8).
    for (file, name) in [
        (INST, "instrumentconfig.csv"),
        (ROLLS, "rollconfig.csv"),
        (SPREADS, "spreadcosts.csv"),
        (ADJ, "AAA.csv"),
        (MULT, "AAA.csv"),
        (FX, "GBPUSD.csv"),
        (CAL, "AAA.csv"),
        (BARS, "AAA_20000300.csv"),
        ("adjusted_prices_csv", "adjusted_prices_csv"),
        ("contract_prices_csv", "contract_prices_csv"),
    ] {
        v.push(Case {
            file,
            line: None,
            text: LINK,
            expect: Box::leak(Box::new([name, "symbolic link", "not followed"])),
        });
    }
    // More out-of-range point sizes and FX rates at other rows, to cover every row position.
    v.push(row(
        INST,
        2,
        "BBB,Test,-0.0001,USD,Equity,2.5,0,0,US",
        &["instrumentconfig.csv", "row 2", "'Pointsize'"],
    ));
    v.push(row(
        INST,
        3,
        "NOPRICES,No prices,1e-5,GBP,Bond,,,,",
        &["instrumentconfig.csv", "row 3", "'Pointsize'"],
    ));
    v.push(row(
        FX,
        3,
        "2000-01-05 23:00:00,-1e-9",
        &["GBPUSD.csv", "row 3", "'PRICE'"],
    ));
    v
}

/// Copies a directory tree.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// `Case::text` that replaces the file (or directory) with a symbolic link to one outside the
/// source directory, whose first line is [`SECRET`].
const LINK: &str = "<symbolic link out of the source>";
const SECRET: &str = "root:SECRET-HASH:19000:0:99999:7:::";

fn link_outside(path: &Path, outside: &Path) {
    std::fs::create_dir_all(outside).unwrap();
    let target = outside.join(path.file_name().unwrap());
    if path.is_dir() {
        std::fs::rename(path, &target).unwrap();
        for e in std::fs::read_dir(&target).unwrap() {
            std::fs::write(e.unwrap().path(), format!("{SECRET}\n")).unwrap();
        }
    } else {
        std::fs::write(&target, format!("{SECRET}\n1,2,3\n")).unwrap();
        std::fs::remove_file(path).unwrap();
    }
    std::os::unix::fs::symlink(&target, path).unwrap();
}

fn apply(case: &Case, src: &Path) {
    let path = src.join(case.file);
    if case.text == LINK {
        let outside = src.with_extension("outside");
        return link_outside(&path, &outside);
    }
    match case.line {
        None => std::fs::write(&path, case.text).unwrap(),
        Some(n) => {
            let text = std::fs::read_to_string(&path).unwrap();
            let mut lines: Vec<&str> = text.lines().collect();
            assert!(n < lines.len(), "{}: no line {n}", case.file);
            lines[n] = case.text;
            std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        }
    }
}

#[test]
fn bad_inputs_exit_4_name_the_place_and_write_nothing() {
    let started = std::time::Instant::now();
    let root = tempfile::tempdir().unwrap();
    let good = root.path().join("good");
    write_source(&good, &Spec::small());
    let data = root.path().join("data");
    import_pst()
        .arg(&good)
        .arg("--data-dir")
        .arg(&data)
        .assert()
        .success();
    let before = snapshot(&data);
    let cases = cases();
    assert!(cases.len() >= 100, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (k, case) in cases.iter().enumerate() {
        let src = root.path().join(format!("src{k}"));
        copy_tree(&good, &src);
        apply(case, &src);
        let out = import_pst()
            .arg(&src)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        let label = format!("case {k} ({}: {:?})", case.file, case.text);
        if out.status.code() != Some(4) {
            failures.push(format!("{label}: exit {:?}: {stderr}", out.status.code()));
        } else if stderr.contains("panicked") {
            failures.push(format!("{label}: panic: {stderr}"));
        } else if stderr.contains("SECRET") {
            failures.push(format!(
                "{label}: echoes a file outside the source: {stderr}"
            ));
        } else if let Some(e) = case.expect.iter().find(|e| !last.contains(*e)) {
            failures.push(format!("{label}: {e:?} not in the error line: {last}"));
        }
        if snapshot(&data) != before {
            panic!("{label}: the data directory changed");
        }
        std::fs::remove_dir_all(&src).unwrap();
        let _ = std::fs::remove_dir_all(src.with_extension("outside"));
    }
    eprintln!(
        "{} bad inputs checked in {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
