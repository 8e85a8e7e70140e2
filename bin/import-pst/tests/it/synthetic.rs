//! Import of a generated source with every kind, including per-contract prices.

use crate::common::{Spec, import_pst, snapshot, write_source};
use std::path::Path;
use systrade_model::InstrumentCode;
use systrade_store::{SeriesKind, Store};
use systrade_test::{parse_f64_or_nan, read_csv, same_f64};

#[test]
fn contract_files_are_combined_per_instrument_and_rerun_is_idempotent() {
    let src = tempfile::tempdir().unwrap();
    let spec = Spec {
        rows: 40,
        gzip: true,
        contracts_per_instrument: 3,
        ..Spec::small()
    };
    write_source(src.path(), &spec);
    let data = tempfile::tempdir().unwrap();
    let out = import_pst()
        .arg(src.path())
        .arg("--data-dir")
        .arg(data.path())
        .args(["--format", "csv"])
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.starts_with("kind,files,rows,written,unchanged,skipped,source_files,note\n"),
        "{stdout}"
    );
    assert!(stdout.contains("\ncontracts,2,"), "{stdout}");
    assert!(stdout.contains(",1 variant files skipped\n"), "{stdout}");
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("AAA#1"), "variant skip is logged: {stderr}");

    let store = Store::open(data.path());
    for inst in &spec.instruments {
        let code = InstrumentCode::new(inst).unwrap();
        let got = store.read_contract_prices(&code).unwrap();
        let mut expected_rows = 0;
        for c in 0..spec.contracts_per_instrument {
            let id = 20000300 + 300 * c as i64;
            let file = src
                .path()
                .join(format!("contract_prices_csv/{inst}_{id}.csv.gz"));
            let csv = read_csv(&file);
            expected_rows += csv.rows.len();
            let mine: Vec<_> = got.iter().filter(|b| b.contract.id() == id).collect();
            assert_eq!(mine.len(), csv.rows.len(), "{}", file.display());
            for (row, bar) in csv.rows.iter().zip(mine) {
                assert_eq!(row[0], bar.timestamp.to_string());
                for (k, v) in [bar.open, bar.high, bar.low, bar.close, bar.volume]
                    .into_iter()
                    .enumerate()
                {
                    assert!(
                        same_f64(parse_f64_or_nan(&row[k + 1]), v),
                        "{} {row:?}",
                        file.display()
                    );
                }
            }
        }
        assert_eq!(got.len(), expected_rows);
        let keys: Vec<_> = got.iter().map(|b| (b.timestamp, b.contract)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "sorted by timestamp then contract");
    }
    assert_eq!(
        store.list_instruments(SeriesKind::Rolls).unwrap(),
        vec![
            InstrumentCode::new("AAA").unwrap(),
            InstrumentCode::new("BBB").unwrap()
        ]
    );
    let noprices = store
        .read_instruments()
        .unwrap()
        .into_iter()
        .find(|i| i.code.as_str() == "NOPRICES")
        .unwrap();
    assert_eq!(noprices.region, "NO_REGION");
    assert_eq!(noprices.per_block, 0.0);
    assert_eq!(store.read_fx_rates("GBP").unwrap().len(), 40);

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
    let runs = store.open_state().unwrap().import_runs().unwrap();
    assert_eq!(runs.len(), 2, "each run is recorded in state.sqlite");
}

/// The repository's synthetic `testdata/` (written by `cargo xtask gen-testdata`) imports, and every
/// contract file's values arrive exactly.
#[test]
fn repository_testdata_imports_exactly() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let contracts_dir = src.join("contract_prices_csv");
    if !contracts_dir.is_dir() {
        eprintln!("SKIPPED repository_testdata_imports_exactly: no testdata/contract_prices_csv");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    import_pst()
        .arg(&src)
        .arg("--data-dir")
        .arg(data.path())
        .assert()
        .success();
    let store = Store::open(data.path());
    let mut by_instrument: std::collections::BTreeMap<String, usize> = Default::default();
    for entry in std::fs::read_dir(&contracts_dir).unwrap() {
        let file = entry.unwrap().path();
        let name = file.file_name().unwrap().to_str().unwrap();
        let stem = name.trim_end_matches(".gz").trim_end_matches(".csv");
        let (inst, id) = stem.rsplit_once('_').unwrap();
        let id: i64 = id.parse().unwrap();
        let csv = read_csv(&file);
        *by_instrument.entry(inst.to_string()).or_default() += csv.rows.len();
        let got = store
            .read_contract_prices(&InstrumentCode::new(inst).unwrap())
            .unwrap();
        let mine: Vec<_> = got.iter().filter(|b| b.contract.id() == id).collect();
        assert_eq!(mine.len(), csv.rows.len(), "{}", file.display());
        let cols = ["DATETIME", "OPEN", "HIGH", "LOW", "FINAL", "VOLUME"].map(|c| csv.column(c));
        for (row, bar) in csv.rows.iter().zip(mine) {
            assert_eq!(
                row[cols[0]],
                bar.timestamp.to_string(),
                "{}",
                file.display()
            );
            for (k, v) in [bar.open, bar.high, bar.low, bar.close, bar.volume]
                .into_iter()
                .enumerate()
            {
                let e = parse_f64_or_nan(&row[cols[k + 1]]);
                assert!(same_f64(e, v), "{} {row:?}", file.display());
            }
        }
    }
    for (inst, rows) in by_instrument {
        let got = store
            .read_contract_prices(&InstrumentCode::new(&inst).unwrap())
            .unwrap();
        assert_eq!(got.len(), rows, "{inst}");
    }
}

#[test]
fn instruments_flag_limits_the_price_files() {
    let src = tempfile::tempdir().unwrap();
    write_source(src.path(), &Spec::small());
    let data = tempfile::tempdir().unwrap();
    import_pst()
        .arg(src.path())
        .arg("--data-dir")
        .arg(data.path())
        .args(["--instruments", "BBB"])
        .assert()
        .success();
    let store = Store::open(data.path());
    let bbb = vec![InstrumentCode::new("BBB").unwrap()];
    assert_eq!(store.list_instruments(SeriesKind::Adjusted).unwrap(), bbb);
    assert_eq!(store.list_instruments(SeriesKind::Contracts).unwrap(), bbb);
    import_pst()
        .arg(src.path())
        .arg("--data-dir")
        .arg(data.path())
        .args(["--instruments", "NOPE"])
        .assert()
        .failure();
}

/// pysystemtrade's production CSV dump (`backup_db_to_csv`) names the price directories without the
/// `_csv` suffix: such a source imports exactly as the shipped layout does; both names of one kind
/// side by side is an error naming both, and nothing is written.
#[test]
fn backup_db_to_csv_directory_names_import_like_the_shipped_ones() {
    let shipped = tempfile::tempdir().unwrap();
    write_source(shipped.path(), &Spec::small());
    let data_shipped = tempfile::tempdir().unwrap();
    import_pst()
        .arg(shipped.path())
        .arg("--data-dir")
        .arg(data_shipped.path())
        .assert()
        .success();

    let dumped = tempfile::tempdir().unwrap();
    write_source(dumped.path(), &Spec::small());
    for kind in ["adjusted_prices", "multiple_prices", "contract_prices"] {
        std::fs::rename(
            dumped.path().join(format!("{kind}_csv")),
            dumped.path().join(kind),
        )
        .unwrap();
    }
    let data_dumped = tempfile::tempdir().unwrap();
    import_pst()
        .arg(dumped.path())
        .arg("--data-dir")
        .arg(data_dumped.path())
        .assert()
        .success();
    let files = |d: &Path| {
        snapshot(d)
            .into_iter()
            .filter(|(k, _)| k.starts_with("prices/") || k.starts_with("config/"))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let (a, b) = (files(data_shipped.path()), files(data_dumped.path()));
    assert!(a.keys().any(|k| k.starts_with("prices/contracts/")));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(a == b, "the dump layout imports the same bytes");

    // both names for adjusted prices: which one is meant? refused, nothing written
    write_source(dumped.path(), &Spec::small());
    let data_both = tempfile::tempdir().unwrap();
    let out = import_pst()
        .arg(dumped.path())
        .arg("--data-dir")
        .arg(data_both.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("adjusted_prices_csv and ") && err.contains("both hold the same kind of data"),
        "{err}"
    );
    assert!(
        snapshot(data_both.path())
            .keys()
            .all(|k| !k.starts_with("prices/")),
        "nothing written"
    );
}
