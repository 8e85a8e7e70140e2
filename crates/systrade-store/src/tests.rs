//! Round trips and schema checks of every kind through real files.

use super::*;
use arrow_array::{Float64Array, Int64Array, RecordBatch, TimestampMillisecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use std::sync::Arc;
use systrade_model::{
    ContractBar, ContractDate, MultiplePricesRow, PriceSeries, RollCalendarRow, Timestamp,
};

fn code(s: &str) -> InstrumentCode {
    InstrumentCode::new(s).unwrap()
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn c(id: i64) -> ContractDate {
    ContractDate::from_id(id).unwrap()
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("data"));
    (dir, store)
}

#[test]
fn every_kind_round_trips_with_nulls_and_exact_values() {
    let (_d, store) = store();
    let w = store.lock_for_writing(Duration::ZERO).unwrap();
    let sp = code("SP500");

    let adjusted = PriceSeries::new(
        vec![
            t("1982-09-14 23:00:00"),
            t("2023-08-21 20:00:00"),
            t("2023-08-21 20:00:01"),
        ],
        vec![0.1 + 0.2, f64::NAN, -1e-300],
    );
    assert_eq!(
        w.write_adjusted_prices(&sp, &adjusted).unwrap(),
        WriteOutcome::Written
    );
    assert_eq!(
        w.write_adjusted_prices(&sp, &adjusted).unwrap(),
        WriteOutcome::Unchanged
    );
    let back = store.read_adjusted_prices(&sp).unwrap();
    assert_eq!(back.timestamps, adjusted.timestamps);
    assert!(
        back.values
            .iter()
            .zip(&adjusted.values)
            .all(|(a, b)| same(*a, *b))
    );

    let fx = PriceSeries::new(vec![t("1971-01-04")], vec![2.4]);
    w.write_fx_rates("GBP", &fx).unwrap();
    assert_eq!(store.read_fx_rates("GBP").unwrap(), fx);
    assert_eq!(store.list_fx_currencies().unwrap(), vec!["GBP".to_string()]);
    assert!(w.write_fx_rates("gb", &fx).is_err());

    let multiple = vec![MultiplePricesRow {
        timestamp: t("1982-09-14 23:00:00"),
        price: 123.7,
        price_contract: c(19821200),
        forward: f64::NAN,
        forward_contract: c(19830300),
        carry: f64::NAN,
        carry_contract: c(19830300),
    }];
    w.write_multiple_prices(&sp, &multiple).unwrap();
    let back = store.read_multiple_prices(&sp).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].price, 123.7);
    assert!(back[0].forward.is_nan());
    assert_eq!(back[0].carry_contract, c(19830300));
    let carry = store.read_carry_prices(&sp).unwrap();
    assert_eq!(carry.timestamps, vec![t("1982-09-14 23:00:00")]);
    assert_eq!(carry.price, vec![123.7]);
    assert_eq!(carry.price_contract, vec![c(19821200)]);
    assert!(carry.carry[0].is_nan());
    assert_eq!(carry.carry_contract, vec![c(19830300)]);
    // the price alone (sizing): the carry columns are not read
    let current = store.read_current_contract_prices(&sp).unwrap();
    assert_eq!(
        (&current.timestamps, &current.price, &current.price_contract),
        (&carry.timestamps, &carry.price, &carry.price_contract)
    );
    assert_eq!(current.carry_contract, current.price_contract);

    let bars = vec![
        ContractBar {
            contract: c(20230900),
            timestamp: t("2023-08-01"),
            open: 1.0,
            high: 2.0,
            low: 0.5,
            close: 1.5,
            volume: 10.0,
        },
        ContractBar {
            contract: c(20231215),
            timestamp: t("2023-08-01"),
            open: f64::NAN,
            high: 2.0,
            low: 0.5,
            close: 1.5,
            volume: 0.0,
        },
    ];
    w.write_contract_prices(&sp, &bars).unwrap();
    let back = store.read_contract_prices(&sp).unwrap();
    assert_eq!(back.len(), 2);
    assert_eq!(back[1].contract.id(), 20231215);
    assert!(back[1].open.is_nan());

    let cal = vec![RollCalendarRow {
        timestamp: t("1982-11-29 23:00:00"),
        current_contract: c(19821200),
        next_contract: c(19830300),
        carry_contract: c(19830300),
    }];
    w.write_roll_calendar(&sp, &cal).unwrap();
    assert_eq!(store.read_roll_calendar(&sp).unwrap(), cal);

    for kind in [
        SeriesKind::Adjusted,
        SeriesKind::Multiple,
        SeriesKind::Contracts,
        SeriesKind::Rolls,
    ] {
        assert_eq!(
            store.list_instruments(kind).unwrap(),
            vec![sp.clone()],
            "{kind:?}"
        );
    }
}

#[test]
fn unsorted_or_duplicate_rows_are_refused_on_write() {
    let (_d, store) = store();
    let w = store.lock_for_writing(Duration::ZERO).unwrap();
    let dup = PriceSeries::new(vec![t("2020-01-01"), t("2020-01-01")], vec![1.0, 2.0]);
    let e = w
        .write_adjusted_prices(&code("X"), &dup)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("X.parquet") && e.contains("row 2") && e.contains("duplicate"),
        "{e}"
    );
    let back = PriceSeries::new(vec![t("2020-01-02"), t("2020-01-01")], vec![1.0, 2.0]);
    let e = w
        .write_adjusted_prices(&code("X"), &back)
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 2") && e.contains("timestamp"), "{e}");
    assert!(!store.dir().adjusted_prices_file(&code("X")).exists());
}

#[test]
fn append_adds_only_newer_rows() {
    let (_d, store) = store();
    let w = store.lock_for_writing(Duration::ZERO).unwrap();
    let x = code("X");
    let first = PriceSeries::new(vec![t("2020-01-01"), t("2020-01-02")], vec![1.0, 2.0]);
    assert_eq!(w.append_adjusted_prices(&x, &first).unwrap(), 2);
    let second = PriceSeries::new(vec![t("2020-01-02"), t("2020-01-03")], vec![20.0, 3.0]);
    assert_eq!(w.append_adjusted_prices(&x, &second).unwrap(), 1);
    assert_eq!(w.append_adjusted_prices(&x, &second).unwrap(), 0);
    assert_eq!(
        store.read_adjusted_prices(&x).unwrap().values,
        vec![1.0, 2.0, 3.0]
    );
}

fn write_batch(path: &std::path::Path, batch: RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn schema_errors_name_file_and_column() {
    let (_d, store) = store();
    let path = store.dir().adjusted_prices_file(&code("BAD"));

    // Missing column `price`.
    let schema = Arc::new(Schema::new(vec![
        Field::new(
            "timestamp",
            DataType::Timestamp(TimeUnit::Millisecond, None),
            false,
        ),
        Field::new("close", DataType::Float64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(TimestampMillisecondArray::from(vec![0])),
            Arc::new(Float64Array::from(vec![1.0])),
        ],
    )
    .unwrap();
    write_batch(&path, batch);
    let e = store
        .read_adjusted_prices(&code("BAD"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("BAD.parquet") && e.contains("'timestamp'"),
        "wrong timestamp unit first: {e}"
    );

    // Right names, wrong type of `price`.
    let schema = Arc::new(Schema::new(vec![
        Field::new(
            "timestamp",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("price", DataType::Int64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(arrow_array::TimestampMicrosecondArray::from(vec![0])),
            Arc::new(Int64Array::from(vec![1])),
        ],
    )
    .unwrap();
    write_batch(&path, batch);
    let e = store.read_adjusted_prices(&code("BAD")).unwrap_err();
    assert!(
        matches!(e, StoreError::Schema { ref column, .. } if column == "price"),
        "{e}"
    );
    assert!(
        e.to_string().contains("BAD.parquet") && e.to_string().contains("Int64"),
        "{e}"
    );

    // Missing column.
    let schema = Arc::new(Schema::new(vec![Field::new(
        "timestamp",
        DataType::Timestamp(TimeUnit::Microsecond, None),
        false,
    )]));
    let batch = RecordBatch::try_new(
        schema,
        vec![Arc::new(arrow_array::TimestampMicrosecondArray::from(
            vec![0],
        ))],
    )
    .unwrap();
    write_batch(&path, batch);
    let e = store
        .read_adjusted_prices(&code("BAD"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("column 'price': missing column"), "{e}");
}

#[test]
fn bad_contract_id_in_file_names_row_and_column() {
    let (_d, store) = store();
    let path = store.dir().roll_calendar_file(&code("BAD"));
    let ts = DataType::Timestamp(TimeUnit::Microsecond, None);
    let schema = Arc::new(Schema::new(vec![
        Field::new("timestamp", ts, false),
        Field::new("current_contract", DataType::Int64, false),
        Field::new("next_contract", DataType::Int64, false),
        Field::new("carry_contract", DataType::Int64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(arrow_array::TimestampMicrosecondArray::from(vec![0, 1])),
            Arc::new(Int64Array::from(vec![20200300, 20200600])),
            Arc::new(Int64Array::from(vec![20200600, 20201300])),
            Arc::new(Int64Array::from(vec![20200600, 20200900])),
        ],
    )
    .unwrap();
    write_batch(&path, batch);
    let e = store
        .read_roll_calendar(&code("BAD"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 2") && e.contains("next_contract"), "{e}");
}

#[test]
fn bad_contract_id_after_good_rows_in_carry_prices() {
    let (_d, store) = store();
    let path = store.dir().multiple_prices_file(&code("BAD"));
    let ts = DataType::Timestamp(TimeUnit::Microsecond, None);
    let schema = Arc::new(Schema::new(vec![
        Field::new("timestamp", ts, false),
        Field::new("price", DataType::Float64, true),
        Field::new("price_contract", DataType::Int64, false),
        Field::new("forward", DataType::Float64, true),
        Field::new("forward_contract", DataType::Int64, false),
        Field::new("carry", DataType::Float64, true),
        Field::new("carry_contract", DataType::Int64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(arrow_array::TimestampMicrosecondArray::from(vec![0, 1, 2])),
            Arc::new(arrow_array::Float64Array::from(vec![1.0, 2.0, 3.0])),
            // Row 3 changes to an impossible month after two rows of a valid contract.
            Arc::new(Int64Array::from(vec![20200300, 20200300, 20201300])),
            Arc::new(arrow_array::Float64Array::from(vec![1.0, 2.0, 3.0])),
            Arc::new(Int64Array::from(vec![20200600, 20200600, 20200600])),
            Arc::new(arrow_array::Float64Array::from(vec![1.0, 2.0, 3.0])),
            Arc::new(Int64Array::from(vec![20200600, 20200600, 20200600])),
        ],
    )
    .unwrap();
    write_batch(&path, batch);
    for e in [
        store
            .read_carry_prices(&code("BAD"))
            .unwrap_err()
            .to_string(),
        store
            .read_multiple_prices(&code("BAD"))
            .unwrap_err()
            .to_string(),
    ] {
        assert!(e.contains("row 3") && e.contains("price_contract"), "{e}");
    }
}

#[test]
fn config_files_round_trip() {
    let (_d, store) = store();
    let w = store.lock_for_writing(Duration::ZERO).unwrap();
    let spreads = vec![SpreadCost {
        instrument: code("CORN"),
        spread_cost: 0.16,
    }];
    w.write_spread_costs(&spreads).unwrap();
    assert_eq!(store.read_spread_costs().unwrap(), spreads);
    let e = store.read_instruments().unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert!(e.to_string().contains("instruments.csv"), "{e}");
}

#[test]
fn writers_exclude_each_other() {
    let (_d, store) = store();
    let _w = store.lock_for_writing(Duration::ZERO).unwrap();
    let other = Store::open(store.root());
    let e = other
        .lock_for_writing(Duration::from_millis(100))
        .unwrap_err();
    assert!(e.is_locked(), "{e}");
}

#[test]
fn lockfile_has_official_parquet_not_arrow2() {
    let lock =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock")).unwrap();
    for banned in [
        "name = \"arrow2\"",
        "name = \"parquet2\"",
        "name = \"polars",
    ] {
        assert!(!lock.contains(banned), "Cargo.lock contains {banned}");
    }
    assert!(lock.contains("name = \"parquet\""));
    assert!(lock.contains("name = \"arrow-array\""));
}

/// SQLite belongs to this crate (every table of `state.sqlite`) and to systrade-backup (snapshots
/// of any SQLite file, docs/adr/0005-state-database.md): no other crate may depend on rusqlite
/// (tests may, as dev-dependencies, to check the file a user sees).
#[test]
fn only_the_store_and_backup_depend_on_rusqlite() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut manifests = vec![root.join("xtask/Cargo.toml")];
    for group in ["crates", "bin"] {
        for entry in std::fs::read_dir(root.join(group)).unwrap() {
            let m = entry.unwrap().path().join("Cargo.toml");
            if m.exists() {
                manifests.push(m);
            }
        }
    }
    assert!(manifests.len() > 20, "{manifests:?}");
    let mut users = Vec::new();
    for m in &manifests {
        let text = std::fs::read_to_string(m).unwrap();
        let mut section = String::new();
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                section = line.to_string();
            } else if section == "[dependencies]" && line.starts_with("rusqlite") {
                let name = m.parent().unwrap().file_name().unwrap().to_string_lossy();
                users.push(name.into_owned());
            }
        }
    }
    users.sort();
    assert_eq!(users, ["systrade-backup", "systrade-store"]);
}

#[test]
fn roll_calendars_follow_the_contract_chain_not_the_clock() {
    let (_d, store) = store();
    let w = store.lock_for_writing(Duration::ZERO).unwrap();
    let row = |ts: &str, cur: i64, next: i64| RollCalendarRow {
        timestamp: t(ts),
        current_contract: c(cur),
        next_contract: c(next),
        carry_contract: c(next),
    };
    // As in pysystemtrade's GAS-PEN calendar: a roll date earlier than the previous one.
    let cal = vec![
        row("2018-10-26 23:00:00", 20181100, 20181200),
        row("2018-10-23 13:00:00", 20181200, 20190100),
    ];
    w.write_roll_calendar(&code("GAS"), &cal).unwrap();
    assert_eq!(store.read_roll_calendar(&code("GAS")).unwrap(), cal);
    assert_eq!(roll_calendar_time_anomalies(&cal), vec![2]);

    let swapped = vec![cal[1], cal[0]];
    let e = w
        .write_roll_calendar(&code("GAS"), &swapped)
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 2") && e.contains("current_contract"), "{e}");

    let more = vec![cal[1], row("2018-11-21 18:00:00", 20190100, 20190200)];
    assert_eq!(w.append_roll_calendar(&code("GAS"), &more).unwrap(), 1);
    let back = store.read_roll_calendar(&code("GAS")).unwrap();
    assert_eq!(back.len(), 3);
    assert_eq!(back[..2], cal[..]);
}

// ---- append fast path (stored row groups copied, one new row group) --------------------------

mod appending {
    use super::*;
    use crate::columns::MAX_ROW_GROUPS;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::file::metadata::ParquetMetaDataReader;

    fn row_groups(path: &std::path::Path) -> usize {
        let file = std::fs::File::open(path).unwrap();
        ParquetMetaDataReader::new()
            .parse_and_finish(&file)
            .unwrap()
            .num_row_groups()
    }

    fn arrow_schema(path: &std::path::Path) -> arrow_schema::SchemaRef {
        let file = std::fs::File::open(path).unwrap();
        ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .schema()
            .clone()
    }

    /// Bars of contracts 2023-03/06/09 on `days` (days since 2000-01-03), with nulls, -0.0 and
    /// values that need every bit.
    fn bars(days: std::ops::Range<i64>) -> ContractPrices {
        let mut out = Vec::new();
        for d in days {
            for (k, id) in [20230300, 20230600, 20230900].into_iter().enumerate() {
                let x = d as f64 * 0.1 + k as f64 / 3.0;
                out.push(ContractBar {
                    contract: c(id),
                    timestamp: Timestamp::from_micros(946_857_600_000_000 + d * 86_400_000_000),
                    open: if d % 7 == 0 { f64::NAN } else { x },
                    high: x + 1e-300,
                    low: if d % 11 == 0 { -0.0 } else { -x },
                    close: x * std::f64::consts::PI,
                    volume: if k == 2 { f64::NAN } else { d as f64 },
                });
            }
        }
        out
    }

    fn assert_same_bars(a: &ContractPrices, b: &ContractPrices) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert_eq!((x.contract, x.timestamp), (y.contract, y.timestamp));
            for (p, q) in [
                (x.open, y.open),
                (x.high, y.high),
                (x.low, y.low),
                (x.close, y.close),
                (x.volume, y.volume),
            ] {
                assert!(same(p, q), "{p} != {q} at {}", x.timestamp);
            }
        }
    }

    #[test]
    fn appended_file_equals_full_rewrite_bit_for_bit() {
        let (_d, store) = store();
        let (_d2, full_store) = store_pair();
        let w = store.lock_for_writing(Duration::ZERO).unwrap();
        let sp = code("SP500");
        let path = store.dir().contract_prices_file(&sp);
        w.write_contract_prices(&sp, &bars(0..500)).unwrap();
        assert_eq!(row_groups(&path), 1);
        let all = bars(0..503);
        assert_eq!(
            w.write_contract_prices(&sp, &all).unwrap(),
            WriteOutcome::Written
        );
        assert_eq!(row_groups(&path), 2, "stored row group kept, one added");
        let back = store.read_contract_prices(&sp).unwrap();
        assert_same_bars(&back, &all);
        // -0.0 survives exactly (same() compares bits for non-NaN values).
        assert!(
            back.iter()
                .any(|b| b.low == 0.0 && b.low.is_sign_negative())
        );
        assert!(back.iter().any(|b| b.open.is_nan()));

        // The same rows written in full elsewhere decode to the same content and schema.
        let fw = full_store.lock_for_writing(Duration::ZERO).unwrap();
        fw.write_contract_prices(&sp, &all).unwrap();
        let full_path = full_store.dir().contract_prices_file(&sp);
        assert_eq!(row_groups(&full_path), 1);
        assert_same_bars(&full_store.read_contract_prices(&sp).unwrap(), &back);
        assert_eq!(
            arrow_schema(&path).fields(),
            arrow_schema(&full_path).fields()
        );

        // Writing the same rows again leaves the appended file untouched.
        assert_eq!(
            w.write_contract_prices(&sp, &all).unwrap(),
            WriteOutcome::Unchanged
        );
        // The other kinds take the same path.
        let series = PriceSeries::new(
            all.iter().map(|b| b.timestamp).step_by(3).collect(),
            all.iter().map(|b| b.open).step_by(3).collect(),
        );
        let head = PriceSeries::new(
            series.timestamps[..400].to_vec(),
            series.values[..400].to_vec(),
        );
        w.write_adjusted_prices(&sp, &head).unwrap();
        w.write_adjusted_prices(&sp, &series).unwrap();
        assert_eq!(row_groups(&store.dir().adjusted_prices_file(&sp)), 2);
        let back = store.read_adjusted_prices(&sp).unwrap();
        assert_eq!(back.timestamps, series.timestamps);
        assert!(
            back.values
                .iter()
                .zip(&series.values)
                .all(|(a, b)| same(*a, *b))
        );
    }

    #[test]
    fn closes_are_the_close_column_of_the_full_read() {
        let (_d, store) = store();
        let w = store.lock_for_writing(Duration::ZERO).unwrap();
        let sp = code("SP500");
        let mut rows = bars(0..300);
        rows[5].close = f64::NAN;
        w.write_contract_prices(&sp, &rows).unwrap();
        let full = store.read_contract_prices(&sp).unwrap();
        let closes = store.read_contract_closes(&sp).unwrap();
        assert_eq!(closes.len(), full.len());
        for (a, b) in closes.iter().zip(&full) {
            assert_eq!((a.contract, a.timestamp), (b.contract, b.timestamp));
            assert!(same(a.close, b.close), "{} != {}", a.close, b.close);
        }
        assert!(closes[5].close.is_nan());
        assert!(
            store
                .read_contract_closes(&code("NOPE"))
                .unwrap_err()
                .is_not_found()
        );
    }

    #[test]
    fn try_append_writes_the_bytes_of_a_full_merge_or_nothing() {
        let (_d, store) = store();
        let (_d2, other) = store_pair();
        let sp = code("SP500");
        let w = store.lock_for_writing(Duration::ZERO).unwrap();
        assert_eq!(
            w.try_append_contract_prices(&sp, &bars(0..3)).unwrap(),
            None
        );
        w.write_contract_prices(&sp, &bars(0..500)).unwrap();
        let ow = other.lock_for_writing(Duration::ZERO).unwrap();
        ow.write_contract_prices(&sp, &bars(0..500)).unwrap();

        let path = store.dir().contract_prices_file(&sp);
        let before = std::fs::read(&path).unwrap();
        // Not after the last stored bar: nothing written.
        assert_eq!(
            w.try_append_contract_prices(&sp, &bars(499..501)).unwrap(),
            None
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);

        let all = bars(0..503);
        assert_eq!(
            w.try_append_contract_prices(&sp, &all[1500..].to_vec())
                .unwrap(),
            Some(all.len())
        );
        ow.write_contract_prices(&sp, &all).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(other.dir().contract_prices_file(&sp)).unwrap()
        );
        assert_same_bars(&store.read_contract_prices(&sp).unwrap(), &all);
    }

    fn store_pair() -> (tempfile::TempDir, Store) {
        super::store()
    }

    #[test]
    fn changed_or_inserted_history_falls_back_to_a_full_rewrite() {
        let (_d, store) = store();
        let w = store.lock_for_writing(Duration::ZERO).unwrap();
        let sp = code("SP500");
        let path = store.dir().contract_prices_file(&sp);
        w.write_contract_prices(&sp, &bars(0..100)).unwrap();

        // A revised stored bar: not an append.
        let mut revised = bars(0..101);
        revised[10].close = 42.0;
        w.write_contract_prices(&sp, &revised).unwrap();
        assert_eq!(row_groups(&path), 1);
        assert_same_bars(&store.read_contract_prices(&sp).unwrap(), &revised);

        // Only a NaN payload differs: stored as null either way, so still an append.
        let mut nan = bars(0..102);
        nan[10].close = 42.0;
        nan[0].open = f64::from_bits(f64::NAN.to_bits() | 1);
        w.write_contract_prices(&sp, &nan).unwrap();
        assert_eq!(row_groups(&path), 2);

        // A new row sorting before the last stored one (a new contract on an old day).
        let mut inserted = nan.clone();
        let mut extra = inserted[30];
        extra.contract = c(20231200);
        inserted.insert(33, extra);
        inserted.push(bars(102..103)[0]);
        w.write_contract_prices(&sp, &inserted).unwrap();
        assert_eq!(row_groups(&path), 1);
        assert_same_bars(&store.read_contract_prices(&sp).unwrap(), &inserted);

        // Fewer rows than stored: a full rewrite too.
        w.write_contract_prices(&sp, &bars(0..50)).unwrap();
        assert_eq!(row_groups(&path), 1);
        assert_same_bars(&store.read_contract_prices(&sp).unwrap(), &bars(0..50));
    }

    #[test]
    fn many_appends_are_compacted() {
        let (_d, store) = store();
        let w = store.lock_for_writing(Duration::ZERO).unwrap();
        let sp = code("SP500");
        let path = store.dir().contract_prices_file(&sp);
        w.write_contract_prices(&sp, &bars(0..10)).unwrap();
        for n in 1..MAX_ROW_GROUPS {
            w.write_contract_prices(&sp, &bars(0..10 + n as i64))
                .unwrap();
            assert_eq!(row_groups(&path), n + 1);
        }
        let last = 10 + MAX_ROW_GROUPS as i64;
        w.write_contract_prices(&sp, &bars(0..last)).unwrap();
        assert_eq!(row_groups(&path), 1, "compacted");
        assert_same_bars(&store.read_contract_prices(&sp).unwrap(), &bars(0..last));
        w.write_contract_prices(&sp, &bars(0..last + 1)).unwrap();
        assert_eq!(row_groups(&path), 2, "appends again after compaction");
    }

    #[test]
    fn append_methods_use_the_fast_path_and_keep_merge_semantics() {
        let (_d, store) = store();
        let w = store.lock_for_writing(Duration::ZERO).unwrap();
        let sp = code("SP500");
        let path = store.dir().contract_prices_file(&sp);
        w.write_contract_prices(&sp, &bars(0..50)).unwrap();
        assert_eq!(w.append_contract_prices(&sp, &bars(40..55)).unwrap(), 15);
        assert_eq!(row_groups(&path), 2);
        assert_same_bars(&store.read_contract_prices(&sp).unwrap(), &bars(0..55));
        // A bar of a new contract on an old day is merged into place (full rewrite).
        let mut new = bars(10..11);
        new[0].contract = c(20231200);
        assert_eq!(w.append_contract_prices(&sp, &new).unwrap(), 1);
        assert_eq!(row_groups(&path), 1);
        let back = store.read_contract_prices(&sp).unwrap();
        assert_eq!(back.len(), 55 * 3 + 1);
        assert_eq!(back[33].contract, c(20231200));
    }

    #[test]
    fn hashes_of_files_from_other_writers_are_not_trusted() {
        let (_d, store) = store();
        let w = store.lock_for_writing(Duration::ZERO).unwrap();
        let sp = code("SP500");
        let path = store.dir().contract_prices_file(&sp);
        w.write_contract_prices(&sp, &bars(0..20)).unwrap();
        // Another tool rewrites the file with different values but keeps our key-value metadata.
        let file = std::fs::File::open(&path).unwrap();
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let kv = builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .cloned();
        let schema = builder.schema().clone();
        let batch = builder.build().unwrap().next().unwrap().unwrap();
        let mut columns = batch.columns().to_vec();
        columns[5] = Arc::new(Float64Array::from(vec![7.0; batch.num_rows()]));
        let changed = RecordBatch::try_new(schema.clone(), columns).unwrap();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_key_value_metadata(kv)
            .build();
        let mut bytes = Vec::new();
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(&mut bytes, schema, Some(props)).unwrap();
        writer.write(&changed).unwrap();
        writer.close().unwrap();
        std::fs::write(&path, bytes).unwrap();

        w.write_contract_prices(&sp, &bars(0..21)).unwrap();
        assert_eq!(row_groups(&path), 1, "rewritten, not appended");
        assert_same_bars(&store.read_contract_prices(&sp).unwrap(), &bars(0..21));
    }

    #[test]
    fn rows_after_the_last_stored_row_are_appended_without_reading_the_stored_ones() {
        let (_d, store) = store();
        let w = store.lock_for_writing(Duration::ZERO).unwrap();
        let sp = code("SP500");
        let path = store.dir().contract_prices_file(&sp);
        assert!(
            crate::kinds::append_contract_prices_after_last(&path, &bars(0..5))
                .unwrap()
                .is_none(),
            "no stored file"
        );
        w.write_contract_prices(&sp, &bars(0..50)).unwrap();
        let fast = |new: &ContractPrices| {
            crate::kinds::append_contract_prices_after_last(&path, new).unwrap()
        };
        let (_, rows) = fast(&bars(50..52)).expect("all after the last stored bar");
        assert_eq!(rows, 52 * 3);
        assert!(fast(&bars(49..52)).is_none(), "overlaps the stored bars");
        // Same day as the last stored bar, but a contract sorting after it: still after.
        let mut later_contract = bars(49..50)[2];
        later_contract.contract = c(20231200);
        assert!(fast(&vec![later_contract]).is_some());
        // Same day, contract sorting before the last stored one's: not after.
        let mut earlier_contract = later_contract;
        earlier_contract.contract = c(20230700);
        assert!(fast(&vec![earlier_contract]).is_none());
        let mut unsorted = bars(50..52);
        unsorted.swap(0, 4);
        assert!(fast(&unsorted).is_none(), "new rows out of order");

        assert_eq!(w.append_contract_prices(&sp, &bars(50..52)).unwrap(), 6);
        assert_eq!(row_groups(&path), 2);
        assert_same_bars(&store.read_contract_prices(&sp).unwrap(), &bars(0..52));
        assert_eq!(w.append_contract_prices(&sp, &unsorted).unwrap(), 0);

        // Single series and multiple prices take the same path.
        let series = |days: std::ops::Range<i64>| {
            let b = bars(days);
            PriceSeries::new(
                b.iter().map(|x| x.timestamp).step_by(3).collect(),
                b.iter().map(|x| x.open).step_by(3).collect(),
            )
        };
        w.write_fx_rates("JPY", &series(0..30)).unwrap();
        assert_eq!(w.append_fx_rates("JPY", &series(30..33)).unwrap(), 3);
        assert_eq!(row_groups(&store.dir().fx_file("JPY")), 2);
        let back = store.read_fx_rates("JPY").unwrap();
        let want = series(0..33);
        assert_eq!(back.timestamps, want.timestamps);
        assert!(
            back.values
                .iter()
                .zip(&want.values)
                .all(|(a, b)| same(*a, *b))
        );
        assert!(w.append_fx_rates("jp", &series(33..34)).is_err());

        let multiple = |days: std::ops::Range<i64>| -> MultiplePrices {
            bars(days)
                .iter()
                .step_by(3)
                .map(|b| MultiplePricesRow {
                    timestamp: b.timestamp,
                    price: b.close,
                    price_contract: c(20230300),
                    forward: b.open,
                    forward_contract: c(20230600),
                    carry: f64::NAN,
                    carry_contract: c(20230600),
                })
                .collect()
        };
        w.write_multiple_prices(&sp, &multiple(0..10)).unwrap();
        assert_eq!(w.append_multiple_prices(&sp, &multiple(10..12)).unwrap(), 2);
        assert_eq!(row_groups(&store.dir().multiple_prices_file(&sp)), 2);
        let back = store.read_multiple_prices(&sp).unwrap();
        let want = multiple(0..12);
        assert_eq!(back.len(), want.len());
        assert!(
            back.iter()
                .zip(&want)
                .all(|(a, b)| a.timestamp == b.timestamp
                    && same(a.price, b.price)
                    && same(a.forward, b.forward)
                    && a.carry.is_nan())
        );
    }
}

/// Issue 15 item 8: Parquet written by other tools with their default codecs (pyarrow: snappy;
/// others: lz4, gzip) is readable, not only our own zstd.
#[test]
fn files_compressed_with_snappy_lz4_or_gzip_are_readable() {
    use arrow_array::TimestampMicrosecondArray;
    use parquet::basic::{Compression, GzipLevel};
    use parquet::file::properties::WriterProperties;
    let codecs = [
        ("snappy", Compression::SNAPPY),
        ("lz4", Compression::LZ4),
        ("lz4_raw", Compression::LZ4_RAW),
        ("gzip", Compression::GZIP(GzipLevel::default())),
        ("uncompressed", Compression::UNCOMPRESSED),
    ];
    for (name, codec) in codecs {
        let (_d, store) = store();
        let path = store.dir().adjusted_prices_file(&code("CODEC"));
        let schema = Arc::new(Schema::new(vec![
            Field::new(
                "timestamp",
                DataType::Timestamp(TimeUnit::Microsecond, None),
                false,
            ),
            Field::new("price", DataType::Float64, true),
        ]));
        let day = 86_400_000_000_i64;
        let start = 1_600_000_000_000_000_i64;
        let n = 500;
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(TimestampMicrosecondArray::from(
                    (0..n).map(|i| start + i * day).collect::<Vec<_>>(),
                )),
                Arc::new(Float64Array::from(
                    (0..n).map(|i| 100.0 + i as f64 * 0.25).collect::<Vec<_>>(),
                )),
            ],
        )
        .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let f = std::fs::File::create(&path).unwrap();
        let props = WriterProperties::builder().set_compression(codec).build();
        let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let read = store
            .read_adjusted_prices(&code("CODEC"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let values = &read.values;
        assert_eq!(values.len(), n as usize, "{name}");
        assert_eq!(values[499], 100.0 + 499.0 * 0.25, "{name}");
    }
}
