//! Reading pysystemtrade's simple-system reference numbers (`../shared/pst-reference/simple_system`)
//! independently of the project's own readers, and comparing series with them.
//! Shared by the parity tests of systrade-portfolio and systrade-accounts.

#![allow(dead_code, clippy::print_stderr)]

use chrono::NaiveDate;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use systrade_series::DailySeries;
use systrade_test::{CsvTable, read_csv};

pub(crate) const INSTRUMENTS: [&str; 4] = ["CORN", "SOFR", "SP500", "US10"];
pub(crate) const CAPITAL: f64 = 500_000.0;
pub(crate) const VOL_TARGET: f64 = 25.0;
pub(crate) const IDM: f64 = 1.5;
pub(crate) const BUFFER_SIZE: f64 = 0.1;

/// Config weights of the simple system, in the column order of the reference files.
pub(crate) fn weight(code: &str) -> f64 {
    match code {
        "CORN" => 0.3,
        "SOFR" => 0.4,
        "SP500" => 0.2,
        "US10" => 0.1,
        other => panic!("not in the simple system: {other}"),
    }
}

pub(crate) fn parse_date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").unwrap_or_else(|_| panic!("bad date {s}"))
}

/// All reference tables of one directory, by column name.
pub(crate) struct Tables {
    tables: Vec<CsvTable>,
}

impl Tables {
    pub(crate) fn load(dir: &Path) -> Self {
        let mut tables = Vec::new();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.to_string_lossy().ends_with(".csv.gz") {
                tables.push(read_csv(&p));
            }
        }
        Self { tables }
    }

    fn table_with(&self, column: &str) -> &CsvTable {
        self.tables
            .iter()
            .find(|t| t.header.iter().any(|h| h == column))
            .unwrap_or_else(|| panic!("no reference column {column}"))
    }

    /// A column as a series on its file's index, rows kept as written (NaN included).
    pub(crate) fn series(&self, column: &str) -> DailySeries {
        let t = self.table_with(column);
        let dates = t.str_column("index").into_iter().map(parse_date).collect();
        DailySeries::new(dates, t.f64_column(column))
    }

    /// A column on its timestamps (e.g. `fx_rate`, stamped like the stored FX).
    pub(crate) fn stamped(&self, column: &str) -> systrade_model::PriceSeries {
        let t = self.table_with(column);
        let stamps = t
            .str_column("index")
            .into_iter()
            .map(|s| systrade_model::Timestamp::parse(s).unwrap())
            .collect();
        systrade_model::PriceSeries::new(stamps, t.f64_column(column))
    }

    /// A column with its NaN rows dropped (pandas writes a wide file: a series' own index is where
    /// it has values, plus interior NaNs that we cannot tell apart).
    pub(crate) fn series_dropna(&self, column: &str) -> DailySeries {
        let s = self.series(column);
        let (d, v): (Vec<_>, Vec<_>) = s
            .dates
            .into_iter()
            .zip(s.values)
            .filter(|(_, v)| !v.is_nan())
            .unzip();
        DailySeries::new(d, v)
    }
}

pub(crate) fn reference_dir(test: &str) -> Option<PathBuf> {
    systrade_test::require_pst_reference(test).map(|d| d.join("simple_system"))
}

pub(crate) fn instrument_tables(root: &Path, code: &str) -> Tables {
    Tables::load(&root.join("instruments").join(code))
}

pub(crate) fn summary(root: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(root.join("summary.json")).unwrap()).unwrap()
}

/// Compares `ours` with `reference` on the reference's dates (a date missing from ours counts as
/// NaN): same NaN positions, and each value within `rel` relative or `abs` absolute. Returns the
/// largest relative error seen (absolute below 1).
pub(crate) fn assert_close(
    what: &str,
    ours: &DailySeries,
    reference: &DailySeries,
    rel: f64,
    abs: f64,
) -> f64 {
    let mine = ours.reindex(&reference.dates);
    let mut worst = 0.0_f64;
    let mut compared = 0usize;
    for (i, (a, b)) in mine.values.iter().zip(&reference.values).enumerate() {
        assert!(
            systrade_test::close_f64(*a, *b, rel, abs),
            "{what}: {} ours {a:?} reference {b:?}",
            reference.dates[i]
        );
        if !a.is_nan() {
            compared += 1;
            let d = (a - b).abs();
            worst = worst.max(if b.abs() > 1.0 { d / b.abs() } else { d });
        }
    }
    assert!(compared > 0, "{what}: nothing compared");
    eprintln!("{what}: {compared} values, max error {worst:.3e}");
    worst
}

/// Reads `map` of a JSON number.
pub(crate) fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

pub(crate) type Cache = HashMap<String, Tables>;

/// The reference `fx_rate` (instrument currency into GBP) on its own timestamps.
pub(crate) fn reference_fx(t: &Tables) -> systrade_model::FxRates {
    t.stamped("fx_rate")
}
