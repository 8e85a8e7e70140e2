//! Test support: locating `../shared/pst-data` and `../shared/pst-reference` (or the directories named
//! by `SYSTRADE_PST_DATA` / `SYSTRADE_PST_REFERENCE`), a plain CSV reader (gzip or not) that tests
//! use to read reference files independently of the project's own readers, and the real binaries
//! with a data directory made from `testdata/` ([`tools`]), bounded seeded fuzzing ([`fuzz`]) and kill -9 campaign support ([`campaign`]).

#![allow(clippy::print_stderr)]

pub mod campaign;
pub mod fuzz;
pub mod html;
pub mod tools;

use std::io::Read;
use std::path::{Path, PathBuf};

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared_dir(env: &str, name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared").join(name));
    dir.is_dir().then_some(dir)
}

/// pysystemtrade's shipped data (`../shared/pst-data`), if present.
pub fn pst_data_dir() -> Option<PathBuf> {
    shared_dir("SYSTRADE_PST_DATA", "pst-data")
}

/// pysystemtrade's stage-by-stage reference numbers (`../shared/pst-reference`), if present.
pub fn pst_reference_dir() -> Option<PathBuf> {
    shared_dir("SYSTRADE_PST_REFERENCE", "pst-reference")
}

/// Returns the pst-data directory, or prints why the calling test is skipped and returns `None`.
/// Use as `let Some(dir) = require_pst_data("my_test") else { return };`.
pub fn require_pst_data(test: &str) -> Option<PathBuf> {
    let dir = pst_data_dir();
    if dir.is_none() {
        eprintln!("SKIPPED {test}: ../shared/pst-data not found (set SYSTRADE_PST_DATA to run it)");
    }
    dir
}

/// Like [`require_pst_data`] for `../shared/pst-reference`.
pub fn require_pst_reference(test: &str) -> Option<PathBuf> {
    let dir = pst_reference_dir();
    if dir.is_none() {
        eprintln!(
            "SKIPPED {test}: ../shared/pst-reference not found (set SYSTRADE_PST_REFERENCE to run it)"
        );
    }
    dir
}

/// A whole CSV file as strings: header and rows. Gzip is detected by the `.gz` suffix.
#[derive(Debug, Clone)]
pub struct CsvTable {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl CsvTable {
    /// Index of a column by name; panics naming the file's header when absent.
    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    /// A column parsed as f64, empty cells as NaN.
    pub fn f64_column(&self, name: &str) -> Vec<f64> {
        let i = self.column(name);
        self.rows.iter().map(|r| parse_f64_or_nan(&r[i])).collect()
    }

    /// A column as strings.
    pub fn str_column(&self, name: &str) -> Vec<&str> {
        let i = self.column(name);
        self.rows.iter().map(|r| r[i].as_str()).collect()
    }
}

/// Empty → NaN, otherwise the parsed number (panics on text, which is a broken fixture).
pub fn parse_f64_or_nan(s: &str) -> f64 {
    if s.is_empty() {
        f64::NAN
    } else {
        s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
    }
}

/// Reads a CSV file (plain or `.gz`) completely.
pub fn read_csv(path: &Path) -> CsvTable {
    let mut bytes = Vec::new();
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(file).read_to_end(&mut bytes)
    } else {
        std::io::BufReader::new(file).read_to_end(&mut bytes)
    }
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(bytes.as_slice());
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("csv record").iter().map(str::to_string).collect())
        .collect();
    CsvTable { header, rows }
}

/// Same bits, or both NaN: the comparison for "exact" parity.
pub fn same_f64(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits() || a == b
}

/// Relative closeness with an absolute floor near zero; NaN equals NaN.
pub fn close_f64(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    let d = (a - b).abs();
    d <= abs || d <= rel * a.abs().max(b.abs())
}
