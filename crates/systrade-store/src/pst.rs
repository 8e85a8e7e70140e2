//! Reading pysystemtrade's CSV data files (spec §1.6–1.10), plain or gzip-compressed (`.csv.gz`).
//!
//! Columns are found by name (extra columns, such as the unnamed trailing column of some shipped roll
//! calendars, are ignored). Empty price cells are `NaN`; a text that is not a number, a timestamp that
//! does not parse, a contract id that is not `YYYYMMDD`, duplicate or out-of-order timestamps and files
//! without data rows are errors (roll calendars are ordered by contract, see
//! [`crate::check_roll_calendar_order`]) naming the file, the row (data rows counted from 1, so row N is line
//! N+1) and the field. Values pass the rules of [`systrade_model::validation`]: prices finite (any
//! sign), FX rates in range and > 0, HIGH ≥ LOW, volume ≥ 0, timestamps from 1900 to 2200 (the caller
//! checks them against today's date with [`check_price_timestamps`]).

use crate::error::{Result, StoreError};
use crate::kinds::{check_order_named, check_roll_calendar_order};
use chrono::NaiveDate;
use std::io::Read;
use std::path::Path;
use systrade_model::{
    AdjustedPrices, ContractBar, ContractDate, ContractPrices, FxRates, MultiplePrices,
    MultiplePricesRow, PriceSeries, RollCalendar, RollCalendarRow, Timestamp, validation,
};

/// Header of `adjusted_prices_csv/<I>.csv`.
pub const ADJUSTED_HEADER: [&str; 2] = ["DATETIME", "price"];
/// Header of `fx_prices_csv/<CCY>USD.csv`.
pub const FX_HEADER: [&str; 2] = ["DATETIME", "PRICE"];
/// Header of `multiple_prices_csv/<I>.csv`.
pub const MULTIPLE_HEADER: [&str; 7] = [
    "DATETIME",
    "CARRY",
    "CARRY_CONTRACT",
    "PRICE",
    "PRICE_CONTRACT",
    "FORWARD",
    "FORWARD_CONTRACT",
];
/// Header of `roll_calendars_csv/<I>.csv`.
pub const ROLL_CALENDAR_HEADER: [&str; 4] = [
    "DATE_TIME",
    "current_contract",
    "next_contract",
    "carry_contract",
];
/// Header of per-contract price files `<I>_<YYYYMMDD>.csv` (pysystemtrade's contract prices).
pub const CONTRACT_HEADER: [&str; 6] = ["DATETIME", "OPEN", "HIGH", "LOW", "FINAL", "VOLUME"];

/// Reads a whole file, decompressing it when its name ends in `.gz`. A truncated or corrupt gzip
/// stream is a [`StoreError::Format`] naming the file.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| StoreError::io(path, e))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| {
                StoreError::format(path, format!("truncated or corrupt gzip data: {e}"))
            })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Parses `YYYY-MM-DD HH:MM:SS` quickly; other forms go through [`Timestamp::parse`].
fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() == 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
    {
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let dt = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?.and_hms_opt(
            num(11..13)?,
            num(14..16)?,
            num(17..19)?,
        )?;
        return Some(Timestamp::from_datetime(dt));
    }
    Timestamp::parse(s).ok()
}

/// One parsed cell context, for messages.
struct Cells<'a> {
    path: &'a Path,
    names: &'a [&'a str],
}

impl Cells<'_> {
    fn err(&self, row: usize, col: usize, problem: impl std::fmt::Display) -> StoreError {
        StoreError::value(self.path, row, self.names[col], problem)
    }

    /// A timestamp within the range a stored file may hold (1900-01-01..2200-01-01); the caller
    /// applies [`validation::check_price_timestamp`] against today's date.
    fn timestamp(&self, row: usize, col: usize, s: &str) -> Result<Timestamp> {
        let t = parse_timestamp(s.trim()).ok_or_else(|| {
            self.err(
                row,
                col,
                format!("'{s}' is not a timestamp (YYYY-MM-DD HH:MM:SS)"),
            )
        })?;
        validation::check_stored_timestamp(t).map_err(|p| self.err(row, col, p))?;
        Ok(t)
    }

    /// Empty, `nan` or `null` → NaN; otherwise a finite number ([`validation::parse_number`], the
    /// rule `fetch-prices`' CSV sources apply too).
    fn number(&self, row: usize, col: usize, s: &str) -> Result<f64> {
        validation::parse_number(s).map_err(|m| self.err(row, col, m))
    }

    /// A price: [`Self::number`] passing [`validation::check_price`].
    fn price(&self, row: usize, col: usize, s: &str) -> Result<f64> {
        let v = self.number(row, col, s)?;
        validation::check_price(v).map_err(|p| self.err(row, col, p))?;
        Ok(v)
    }

    /// An FX rate: missing (`NaN`) or passing [`validation::check_fx_rate`].
    fn fx_rate(&self, row: usize, col: usize, s: &str) -> Result<f64> {
        let v = self.number(row, col, s)?;
        if !v.is_nan() {
            validation::check_fx_rate(v).map_err(|p| self.err(row, col, p))?;
        }
        Ok(v)
    }

    fn contract(&self, row: usize, col: usize, s: &str) -> Result<ContractDate> {
        s.parse::<ContractDate>()
            .map_err(|e| self.err(row, col, format!("bad contract id: {e}")))
    }
}

const MAX_COLUMNS: usize = 8;

/// Reads the CSV `bytes`, finds the columns `names` (in that order) and calls `each` with the 1-based
/// data row number and the cells of those columns.
fn parse_rows<R>(
    path: &Path,
    bytes: &[u8],
    names: &[&str],
    mut each: impl FnMut(&Cells<'_>, usize, &[&str]) -> Result<R>,
) -> Result<Vec<R>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(StoreError::format(path, "empty file (no header, no rows)"));
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| StoreError::format(path, e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let idx: Vec<usize> = names
        .iter()
        .map(|n| {
            header.iter().position(|h| h == n).ok_or_else(|| {
                StoreError::schema(
                    path,
                    n,
                    format!("missing column (header is {})", header.join(",")),
                )
            })
        })
        .collect::<Result<_>>()?;
    assert!(names.len() <= MAX_COLUMNS, "at most {MAX_COLUMNS} columns");
    let cells = Cells { path, names };
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut row = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(StoreError::format(path, format!("row {}: {e}", row + 1)));
            }
        }
        row += 1;
        let mut fields: [&str; MAX_COLUMNS] = [""; MAX_COLUMNS];
        for (k, &i) in idx.iter().enumerate() {
            let cell = record.get(i).ok_or_else(|| {
                cells.err(
                    row,
                    k,
                    format!(
                        "row has {} fields, the header has {}",
                        record.len(),
                        header.len()
                    ),
                )
            })?;
            fields[k] = cell;
        }
        out.push(each(&cells, row, &fields[..idx.len()])?);
    }
    if out.is_empty() {
        return Err(StoreError::format(
            path,
            "empty file (header but no data rows)",
        ));
    }
    Ok(out)
}

fn series(path: &Path, bytes: &[u8], header: &[&str], fx: bool) -> Result<PriceSeries> {
    let rows = parse_rows(path, bytes, header, |c, row, f| {
        let value = if fx {
            c.fx_rate(row, 1, f[1])?
        } else {
            c.price(row, 1, f[1])?
        };
        Ok((c.timestamp(row, 0, f[0])?, value))
    })?;
    check_order_named(path, rows.iter().map(|r| (r.0, 0)), header[0], None)?;
    let (timestamps, values) = rows.into_iter().unzip();
    Ok(PriceSeries::new(timestamps, values))
}

/// Parses an adjusted prices file (`DATETIME,price`).
pub fn parse_adjusted_prices(path: &Path, bytes: &[u8]) -> Result<AdjustedPrices> {
    series(path, bytes, &ADJUSTED_HEADER, false)
}

/// Parses an FX file (`DATETIME,PRICE`).
pub fn parse_fx_rates(path: &Path, bytes: &[u8]) -> Result<FxRates> {
    series(path, bytes, &FX_HEADER, true)
}

/// Parses a multiple prices file (`DATETIME,CARRY,CARRY_CONTRACT,PRICE,PRICE_CONTRACT,FORWARD,FORWARD_CONTRACT`).
pub fn parse_multiple_prices(path: &Path, bytes: &[u8]) -> Result<MultiplePrices> {
    let rows = parse_rows(path, bytes, &MULTIPLE_HEADER, |c, row, f| {
        Ok(MultiplePricesRow {
            timestamp: c.timestamp(row, 0, f[0])?,
            carry: c.price(row, 1, f[1])?,
            carry_contract: c.contract(row, 2, f[2])?,
            price: c.price(row, 3, f[3])?,
            price_contract: c.contract(row, 4, f[4])?,
            forward: c.price(row, 5, f[5])?,
            forward_contract: c.contract(row, 6, f[6])?,
        })
    })?;
    check_order_named(
        path,
        rows.iter().map(|r| (r.timestamp, 0)),
        "DATETIME",
        None,
    )?;
    Ok(rows)
}

/// Parses a roll calendar file (`DATE_TIME,current_contract,next_contract,carry_contract`). Rows must
/// follow the contract chain (see [`crate::check_roll_calendar_order`]); out-of-order timestamps are
/// kept as given.
pub fn parse_roll_calendar(path: &Path, bytes: &[u8]) -> Result<RollCalendar> {
    let rows = parse_rows(path, bytes, &ROLL_CALENDAR_HEADER, |c, row, f| {
        Ok(RollCalendarRow {
            timestamp: c.timestamp(row, 0, f[0])?,
            current_contract: c.contract(row, 1, f[1])?,
            next_contract: c.contract(row, 2, f[2])?,
            carry_contract: c.contract(row, 3, f[3])?,
        })
    })?;
    check_roll_calendar_order(path, &rows)?;
    Ok(rows)
}

/// Parses the prices of one contract (`DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME`); FINAL is the close.
pub fn parse_contract_prices(
    path: &Path,
    bytes: &[u8],
    contract: ContractDate,
) -> Result<ContractPrices> {
    let rows = parse_rows(path, bytes, &CONTRACT_HEADER, |c, row, f| {
        let bar = ContractBar {
            contract,
            timestamp: c.timestamp(row, 0, f[0])?,
            open: c.number(row, 1, f[1])?,
            high: c.number(row, 2, f[2])?,
            low: c.number(row, 3, f[3])?,
            close: c.number(row, 4, f[4])?,
            volume: c.number(row, 5, f[5])?,
        };
        validation::check_bar(bar.open, bar.high, bar.low, bar.close, bar.volume)
            .map_err(|(field, p)| StoreError::value(path, row, field.pst_name(), p))?;
        Ok(bar)
    })?;
    check_order_named(
        path,
        rows.iter().map(|r| (r.timestamp, 0)),
        "DATETIME",
        None,
    )?;
    Ok(rows)
}

/// Checks timestamps parsed from one file (`timestamps[i]` from data row `i + 1`) against
/// [`validation::check_price_timestamp`]: from 1900-01-01 to a year after `today`.
pub fn check_price_timestamps(
    path: &Path,
    field: &str,
    timestamps: impl IntoIterator<Item = Timestamp>,
    today: NaiveDate,
) -> Result<()> {
    for (i, t) in timestamps.into_iter().enumerate() {
        validation::check_price_timestamp(t, today)
            .map_err(|p| StoreError::value(path, i + 1, field, p))?;
    }
    Ok(())
}

/// Splits a per-contract file stem `<INSTRUMENT>_<YYYYMMDD>` (e.g. `CORN_mini_20230300`) at its last
/// `_`; `None` when it has no `_`.
pub fn split_contract_file_stem(stem: &str) -> Option<(&str, &str)> {
    stem.rsplit_once('_')
}

/// The name of a data file without `.csv` or `.csv.gz`; `None` for other files.
pub fn csv_stem(file_name: &str) -> Option<&str> {
    file_name
        .strip_suffix(".csv.gz")
        .or_else(|| file_name.strip_suffix(".csv"))
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("src/X.csv")
    }

    #[test]
    fn parses_with_nulls_and_exact_timestamps() {
        let s = "DATETIME,CARRY,CARRY_CONTRACT,PRICE,PRICE_CONTRACT,FORWARD,FORWARD_CONTRACT\n\
                 1982-09-14 23:00:00,,19830300,123.7,19821200,,19830300\n\
                 2023-08-21 20:00:01,15.05,20230900,16.4,20231000,17.2,20231100\n";
        let rows = parse_multiple_prices(p(), s.as_bytes()).unwrap();
        assert!(rows[0].carry.is_nan());
        assert_eq!(rows[0].price, 123.7);
        assert_eq!(rows[1].timestamp.to_string(), "2023-08-21 20:00:01");
        assert_eq!(rows[1].forward_contract.id(), 20231100);
    }

    #[test]
    fn fast_timestamp_path_agrees_with_model_parser() {
        for s in [
            "1970-01-01 00:00:00",
            "1969-12-31 23:00:00",
            "2023-08-21 20:00:01",
            "2024-02-29 12:34:56",
        ] {
            assert_eq!(parse_timestamp(s), Timestamp::parse(s).ok(), "{s}");
        }
        assert_eq!(parse_timestamp("2023-02-29 00:00:00"), None);
        assert_eq!(parse_timestamp("2023-01-01 24:00:00"), None);
        assert_eq!(
            parse_timestamp("2023-01-01"),
            Timestamp::parse("2023-01-01").ok()
        );
    }

    #[test]
    fn errors_name_file_row_and_field() {
        let e = |s: &str| {
            parse_adjusted_prices(p(), s.as_bytes())
                .unwrap_err()
                .to_string()
        };
        let m = e("DATETIME,price\n2020-01-01 23:00:00,1\n2020-01-02 23:00:00,abc\n");
        assert!(
            m.contains("src/X.csv") && m.contains("row 2") && m.contains("'price'"),
            "{m}"
        );
        let m = e("DATETIME,close\n2020-01-01 23:00:00,1\n");
        assert!(m.contains("column 'price': missing column"), "{m}");
        let m = e("DATETIME,price\n2020-01-02 23:00:00,1\n2020-01-01 23:00:00,1\n");
        assert!(
            m.contains("row 2") && m.contains("DATETIME") && m.contains("before"),
            "{m}"
        );
        let m = e("DATETIME,price\n2020-01-02 23:00:00,1\n2020-01-02 23:00:00,2\n");
        assert!(m.contains("row 2") && m.contains("duplicate"), "{m}");
        assert!(e("").contains("empty file"));
        assert!(e("DATETIME,price\n").contains("empty file"));
        let m = e("DATETIME,price\n2020-13-02 23:00:00,1\n");
        assert!(m.contains("row 1") && m.contains("DATETIME"), "{m}");
        let m = parse_roll_calendar(p(), b"DATE_TIME,current_contract,next_contract,carry_contract\n2020-01-01 23:00:00,20200300,2020060,20200600\n")
            .unwrap_err()
            .to_string();
        assert!(
            m.contains("row 1") && m.contains("next_contract") && m.contains("contract id"),
            "{m}"
        );
    }

    #[test]
    fn extra_unnamed_columns_are_ignored() {
        let s = "DATE_TIME,current_contract,next_contract,carry_contract,\n\
                 1978-01-13 23:00:00,19780300,19781100,19780100,\n\
                 1978-03-29 23:00:00,19781100,19790100,19780300,FALSE\n";
        assert_eq!(parse_roll_calendar(p(), s.as_bytes()).unwrap().len(), 2);
    }

    #[test]
    fn truncated_gzip_is_reported() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("X.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"DATETIME,price\n2020-01-01 23:00:00,1\n")
            .unwrap();
        let bytes = enc.finish().unwrap();
        std::fs::write(&path, &bytes).unwrap();
        assert!(read_file(&path).is_ok());
        std::fs::write(&path, &bytes[..bytes.len() - 6]).unwrap();
        let m = read_file(&path).unwrap_err().to_string();
        assert!(m.contains("X.csv.gz") && m.contains("gzip"), "{m}");
    }

    #[test]
    fn file_names() {
        assert_eq!(csv_stem("SP500.csv.gz"), Some("SP500"));
        assert_eq!(csv_stem("SP500.csv"), Some("SP500"));
        assert_eq!(csv_stem("README.md"), None);
        assert_eq!(
            split_contract_file_stem("CORN_mini_20230300"),
            Some(("CORN_mini", "20230300"))
        );
    }
}
