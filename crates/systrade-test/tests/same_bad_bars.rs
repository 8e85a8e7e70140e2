//! One catalogue of bad (and unusual but valid) contract bars fed through both entries of prices,
//! `import-pst` (a pysystemtrade `contract_prices_csv/` file) and `fetch-prices` (the same file
//! through a `csv:` source): issue 15 item 8, "import-pst and fetch-prices validate differently".
//!
//! Both start from the same data directory (a good import). For each case the same file gets one
//! more line, and the two tools must give the same verdict: refused (exit 4, the file, its
//! position — import-pst's data "row N" is fetch-prices' file "line N+1" — and the same field
//! named, the data directory byte-identical to before) or accepted (exit 0, and the same stored
//! contract prices). The one documented difference: `fetch-prices` then cleans what it fetched as
//! pysystemtrade does for fetched prices (`ignore_zero_prices`, a missing close dropped), which an
//! import does not do.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use systrade_test::campaign::copy_dir;
use systrade_test::tools::{Tools, assert_ok};

const HEADER: &str = "DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME";
const GOOD_ROWS: &[&str] = &[
    "2024-03-12 23:00:00,101.5,102,101,101.75,900",
    "2024-03-13 23:00:00,101.75,102.5,101.5,102.25,950",
    "2024-03-14 23:00:00,102.25,103,102,102.5,800",
];
const FILE: &str = "AAA_20240600.csv";

/// What both tools must do with a file whose last line is the case's line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    /// Exit 4 naming this field (as the file's header spells it).
    Refused(&'static str),
    /// Exit 0, the same bars stored.
    Accepted,
    /// Exit 0; the import stores the bar, fetch-prices' cleaning drops it (and says so).
    AcceptedFetchCleans,
}

use Verdict::{Accepted, AcceptedFetchCleans, Refused};

const CASES: &[(&str, Verdict)] = &[
    // HIGH below LOW
    ("2024-03-15 23:00:00,102,101,103,102,5", Refused("HIGH")),
    // volumes
    ("2024-03-15 23:00:00,102,103,101,102,-1", Refused("VOLUME")),
    (
        "2024-03-15 23:00:00,102,103,101,102,-0.5",
        Refused("VOLUME"),
    ),
    ("2024-03-15 23:00:00,102,103,101,102,inf", Refused("VOLUME")),
    (
        "2024-03-15 23:00:00,102,103,101,102,1e13",
        Refused("VOLUME"),
    ),
    (
        "2024-03-15 23:00:00,102,103,101,102,lots",
        Refused("VOLUME"),
    ),
    // prices not finite, absurd or not numbers
    ("2024-03-15 23:00:00,102,103,101,inf,5", Refused("FINAL")),
    ("2024-03-15 23:00:00,102,103,101,1e300,5", Refused("FINAL")),
    ("2024-03-15 23:00:00,102,103,101,abc,5", Refused("FINAL")),
    ("2024-03-15 23:00:00,102,103,101,0x10,5", Refused("FINAL")),
    ("2024-03-15 23:00:00,102,103,101,1 .5,5", Refused("FINAL")),
    ("2024-03-15 23:00:00,-1e13,103,101,102,5", Refused("OPEN")),
    ("2024-03-15 23:00:00,102,inf,101,102,5", Refused("HIGH")),
    ("2024-03-15 23:00:00,102,103,-inf,102,5", Refused("LOW")),
    (
        "2024-03-15 23:00:00,102,-infinity,101,102,5",
        Refused("HIGH"),
    ),
    // timestamps out of range or not timestamps
    ("9999-12-30 23:00:00,102,103,101,102,5", Refused("DATETIME")),
    ("2199-12-30 23:00:00,102,103,101,102,5", Refused("DATETIME")),
    ("1899-12-31 23:00:00,102,103,101,102,5", Refused("DATETIME")),
    ("0001-01-01 00:00:00,102,103,101,102,5", Refused("DATETIME")),
    (
        "+275760-09-13 00:00:00,102,103,101,102,5",
        Refused("DATETIME"),
    ),
    ("2024-02-30 23:00:00,102,103,101,102,5", Refused("DATETIME")),
    ("2024-13-01 23:00:00,102,103,101,102,5", Refused("DATETIME")),
    ("yesterday,102,103,101,102,5", Refused("DATETIME")),
    (",102,103,101,102,5", Refused("DATETIME")),
    // the same timestamp as the line before with other values: which one is right is unknown
    (
        "2024-03-14 23:00:00,102.25,103,102,150.5,800",
        Refused("DATETIME"),
    ),
    (
        "2024-03-14 23:00:00,102.25,103,102,102.5,801",
        Refused("DATETIME"),
    ),
    // valid: a negative close (WTI settled at -37.63 on 2020-04-20; pysystemtrade keeps negative
    // prices), missing values, a HIGH equal to its LOW, a zero volume
    ("2024-03-15 23:00:00,-30,-20,-40,-37.63,5", Accepted),
    ("2024-03-15 23:00:00,,,,102,", Accepted),
    ("2024-03-15 23:00:00,NaN,nan,NAN,102,null", Accepted),
    ("2024-03-15 23:00:00,102,NaN,101,102,5", Accepted),
    ("2024-03-15 23:00:00,102,102,102,102,0", Accepted),
    // valid, but a fetched zero or missing close is dropped by fetch-prices' cleaning
    ("2024-03-15 23:00:00,0,0,0,0,5", AcceptedFetchCleans),
    ("2024-03-15 23:00:00,102,103,101,,5", AcceptedFetchCleans),
    ("2024-03-15 23:00:00,102,103,101,NaN,5", AcceptedFetchCleans),
];

fn bars_file(extra: Option<&str>) -> String {
    let mut s = format!("{HEADER}\n");
    for l in GOOD_ROWS.iter().copied().chain(extra) {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// A pysystemtrade source directory with instrument AAA and its contract file.
fn write_source(src: &Path, bars: &str) {
    let config = src.join("csvconfig");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("instrumentconfig.csv"),
        "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n\
         AAA,Test,50,USD,Ags,2,0,0,US\n",
    )
    .unwrap();
    std::fs::write(
        config.join("rollconfig.csv"),
        "Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n\
         AAA,HMUZ,-20,1,HMUZ,14\n",
    )
    .unwrap();
    std::fs::write(
        config.join("spreadcosts.csv"),
        "Instrument,SpreadCost\nAAA,0.25\n",
    )
    .unwrap();
    let prices = src.join("contract_prices_csv");
    std::fs::create_dir_all(&prices).unwrap();
    std::fs::write(prices.join(FILE), bars).unwrap();
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    systrade_test::campaign::data_files(dir)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The field an error line names: import-pst's `field 'X'` or fetch-prices' `field X:`.
fn field_named(stderr: &str) -> Option<String> {
    let at = stderr.find("field ")? + "field ".len();
    let rest = &stderr[at..];
    let name = match rest.strip_prefix('\'') {
        Some(quoted) => quoted.split('\'').next()?,
        None => rest.split(':').next()?,
    };
    Some(name.to_string())
}

struct Run {
    code: Option<i32>,
    stderr: String,
    stdout: String,
    data: PathBuf,
}

#[test]
fn one_catalogue_of_bad_bars_gets_the_same_verdict_from_import_pst_and_fetch_prices() {
    let tools = Tools::build(&["import-pst", "fetch-prices"]);
    let scratch = tempfile::tempdir().unwrap();
    let src = scratch.path().join("src");
    let base = scratch.path().join("base");
    write_source(&src, &bars_file(None));
    let out = tools
        .cmd("import-pst")
        .arg(&src)
        .args(["--no-progress", "-q"])
        .env("SYSTRADE_DATA", &base)
        .output()
        .unwrap();
    assert_ok(&out);
    let before = snapshot(&base);
    let contract_file = "prices/contracts/AAA.parquet";
    assert!(before.contains_key(contract_file), "{:?}", before.keys());

    let mut problems = Vec::new();
    for (n, (line, verdict)) in CASES.iter().enumerate() {
        write_source(&src, &bars_file(Some(line)));
        let run = |tool: &str| -> Run {
            let data = scratch.path().join(format!("{tool}-{n}"));
            copy_dir(&base, &data);
            let mut c = tools.cmd(tool);
            if tool == "import-pst" {
                c.arg(&src);
            } else {
                c.arg("--source")
                    .arg(format!("csv:{}", src.join("contract_prices_csv").display()));
            }
            let out = c
                .args(["--no-progress"])
                .env("SYSTRADE_DATA", &data)
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            Run {
                code: out.status.code(),
                stderr: stderr(&out),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                data,
            }
        };
        let import = run("import-pst");
        let fetch = run("fetch-prices");
        let mut fail = |what: String| problems.push(format!("case {n} `{line}`: {what}"));
        for (tool, r) in [("import-pst", &import), ("fetch-prices", &fetch)] {
            if r.stderr.contains("panicked") {
                fail(format!("{tool} panicked: {}", r.stderr));
            }
        }
        match verdict {
            Refused(field) => {
                for (tool, r, position) in [
                    ("import-pst", &import, "row 4"),
                    ("fetch-prices", &fetch, "line 5"),
                ] {
                    if r.code != Some(4) {
                        fail(format!("{tool}: exit {:?}, not 4: {}", r.code, r.stderr));
                        continue;
                    }
                    let named = field_named(&r.stderr);
                    if named.as_deref() != Some(field) || !r.stderr.contains(FILE) {
                        fail(format!(
                            "{tool}: names field {named:?}, not {field} (or not the file): {}",
                            r.stderr
                        ));
                    }
                    if !r.stderr.contains(position) {
                        fail(format!("{tool}: does not say {position}: {}", r.stderr));
                    }
                    if snapshot(&r.data) != before {
                        fail(format!("{tool}: the data directory changed"));
                    }
                }
            }
            Accepted | AcceptedFetchCleans => {
                if import.code != Some(0) || fetch.code != Some(0) {
                    fail(format!(
                        "not accepted by both: import-pst exit {:?} ({}), fetch-prices exit {:?} ({})",
                        import.code, import.stderr, fetch.code, fetch.stderr
                    ));
                    continue;
                }
                let imported = snapshot(&import.data);
                let fetched = snapshot(&fetch.data);
                if imported.get(contract_file) == before.get(contract_file) {
                    fail("import-pst did not store the new bar".into());
                }
                let fetched_file = fetched.get(contract_file);
                if *verdict == Accepted && fetched_file != imported.get(contract_file) {
                    fail("fetch-prices stored other contract prices than import-pst".into());
                }
                if *verdict == AcceptedFetchCleans
                    && (fetched_file != before.get(contract_file)
                        || !format!("{}{}", fetch.stdout, fetch.stderr)
                            .contains("dropped by cleaning"))
                {
                    fail(format!(
                        "fetch-prices did not drop the bar by cleaning: {}",
                        fetch.stderr
                    ));
                }
            }
        }
        std::fs::remove_dir_all(&import.data).ok();
        std::fs::remove_dir_all(&fetch.data).ok();
    }
    assert!(
        problems.is_empty(),
        "{} of {} cases differ:\n{}",
        problems.len(),
        CASES.len(),
        problems.join("\n")
    );
}
