//! pysystemtrade's IB mapping (`ib_config_futures.csv`) becomes `config/ibkr.csv` (issue 14).

use crate::common::{Spec, import_pst, snapshot, summary, write_source};
use systrade_store::Store;

const PST_IB_CONFIG: &str = "Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IgnoreWeekly\n\
AAA,ZC,CBOT,NA,5000,100,FALSE\n\
BBB,CL,NYMEX,USD,1000,1,FALSE\n\
VIX,VIX,CFE,USD,1000,1,TRUE\n\
MIB,FTMIB,IDEM,EUR,5,1,FALSE\n\
MIB_mini,FTMIB,IDEM,EUR,1,1,FALSE\n";

/// Converted row for row (NA currency and magnifiers kept, instruments not configured kept),
/// readable by the tools, idempotent; found in csvconfig/ without the flag.
#[test]
fn ib_config_futures_becomes_config_ibkr_csv() {
    let src = tempfile::tempdir().unwrap();
    write_source(src.path(), &Spec::small());
    let ib = src.path().join("ib_config_futures.csv");
    std::fs::write(&ib, PST_IB_CONFIG).unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = import_pst()
        .arg(src.path())
        .arg("--ib-config")
        .arg(&ib)
        .arg("--data-dir")
        .arg(data.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(summary(&out.stdout)["ibkr_mapping"]["rows"], 5);
    let rows = Store::open(data.path()).read_ibkr_instruments().unwrap();
    assert_eq!(rows.len(), 5);
    let aaa = &rows[0];
    assert_eq!(
        (
            aaa.symbol(),
            aaa.exchange(),
            aaa.currency(),
            aaa.multiplier()
        ),
        ("ZC", "CBOT", None, Some(5000.0))
    );
    assert_eq!(aaa.price_magnifier(), 100.0);
    assert!(rows[2].ignore_weekly());
    let text = std::fs::read_to_string(data.path().join("config/ibkr.csv")).unwrap();
    assert!(text.starts_with(
        "Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IgnoreWeekly\n"
    ));
    assert!(text.contains("AAA,ZC,CBOT,NA,5000,100,FALSE\n"), "{text}");

    // The same file under csvconfig/ needs no flag; the re-import changes nothing.
    std::fs::rename(&ib, src.path().join("csvconfig/ib_config_futures.csv")).unwrap();
    let before = snapshot(data.path());
    import_pst()
        .arg(src.path())
        .arg("--data-dir")
        .arg(data.path())
        .assert()
        .success();
    let after = snapshot(data.path());
    for (path, bytes) in &before {
        if !path.starts_with("state.sqlite") {
            assert!(after.get(path) == Some(bytes), "{path} changed on re-run");
        }
    }
}

/// A bad row is named by file, row and field, and nothing is written.
#[test]
fn a_bad_ib_config_row_is_refused_and_nothing_written() {
    let src = tempfile::tempdir().unwrap();
    write_source(src.path(), &Spec::small());
    for (text, field) in [
        (
            PST_IB_CONFIG.replace("MIB,FTMIB,IDEM,EUR,5,", "MIB,FTMIB,IDEM,EUR,-5,"),
            "IBMultiplier",
        ),
        (
            PST_IB_CONFIG.replace(
                "VIX,VIX,CFE,USD,1000,1,TRUE",
                "VIX,VIX,CFE,USD,1000,1,MAYBE",
            ),
            "IgnoreWeekly",
        ),
        (
            format!("{PST_IB_CONFIG}AAA,ZC,CBOT,NA,5000,100,FALSE\n"),
            "Instrument",
        ),
    ] {
        std::fs::write(src.path().join("csvconfig/ib_config_futures.csv"), &text).unwrap();
        let data = tempfile::tempdir().unwrap();
        let out = import_pst()
            .arg(src.path())
            .arg("--data-dir")
            .arg(data.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("ib_config_futures.csv") && err.contains(field) && err.contains("row"),
            "{field}: {err}"
        );
        assert!(snapshot(data.path()).is_empty(), "files written");
    }
}
