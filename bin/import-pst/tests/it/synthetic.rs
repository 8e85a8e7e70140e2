//! Import of a generated source with every kind, including per-contract prices.

use crate::common::{Spec, import_pst, snapshot, write_source};
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
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("contracts     2 files"), "{stdout}");
    assert!(stdout.contains("1 variant files skipped"), "{stdout}");
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("AAA#1.csv"),
        "variant skip is logged: {stderr}"
    );

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
    let version: i64 = store
        .open_state()
        .unwrap()
        .connection()
        .query_row("SELECT COUNT(*) FROM import_runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2, "each run is recorded in state.sqlite");
}
