//! Reading per-contract price files in the common export formats, and FX rate files:
//!
//! - **Barchart**: `Time,Open,High,Low,Last,Volume` (more columns such as `Open Interest` are
//!   ignored), dates `%m/%d/%Y`, and one trailing footer line ("Downloaded from Barchart.com …").
//! - **generic OHLCV**: a date column (`Date`, `Datetime`, `Timestamp`, …) with ISO dates or
//!   date-times, `Open,High,Low,Close` (`Close` may be spelled `Last`, `Settle`, `Final`, `Price`), an
//!   optional `Volume` and an optional `Contract` column (`YYYYMMDD` or `YYYYMM`); headers are
//!   case-insensitive. Stooq's daily CSV is this format.
//! - **pysystemtrade** contract CSV (spec §1.10): `DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME`.
//! - **FX**: pysystemtrade's `DATETIME,PRICE` (spec §1.8) or a generic date column with one of
//!   `Price`, `Rate`, `Close`, `Last`, `Value`.
//!
//! The instrument and contract come from the file name, `<INSTRUMENT>_<YYYYMMDD>.csv` (also
//! `YYYYMM`, and `.csv.gz`), or the instrument from `<INSTRUMENT>.csv` and the contract from a column.
//! Dates without a time of day get the configured daily time (default 23:00:00, the stamp
//! pysystemtrade gives daily closes, spec §1.6). Empty cells and `NaN` are missing values.
//! Every error names the file, the line and the field. A timestamp (of one contract) repeated with
//! other values is refused, an identical repeat dropped. Every row passes the validation rules of
//! [`systrade_model::validation`] (finite prices, HIGH ≥ LOW, volume ≥ 0, FX rates > 0, timestamps
//! from 1900-01-01 to a year after today), the same rules `import-pst` applies.

use crate::bar::{Bar, ContractSeries, FxPoint, FxSeries, sort_dedup_bars, sort_dedup_fx};
use chrono::{NaiveDate, NaiveTime};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use systrade_model::{BarField, ContractDate, InstrumentCode, Timestamp};

/// A price file format; `Auto` detects it from the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvFormat {
    Auto,
    Barchart,
    Generic,
    Pst,
}

impl CsvFormat {
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Barchart => "barchart",
            Self::Generic => "generic",
            Self::Pst => "pst",
        }
    }
}

/// How to read price files.
#[derive(Debug, Clone, Copy)]
pub struct CsvOptions {
    pub format: CsvFormat,
    /// Time of day given to rows that carry only a date.
    pub daily_time: NaiveTime,
    /// Today's date: rows dated more than a year after it (or before 1900) are errors
    /// ([`systrade_model::validation::check_price_timestamp`]); `None` checks only 1900..2200.
    pub today: Option<NaiveDate>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            format: CsvFormat::Auto,
            daily_time: NaiveTime::from_hms_opt(23, 0, 0).expect("valid time"),
            today: None,
        }
    }
}

/// A problem with one input file; always names the file, and the line and field when there is one.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{file}: line {line}, field {field}: {message}")]
    Field {
        file: String,
        line: u64,
        field: String,
        message: String,
    },
}

impl CsvError {
    fn file(file: &str, message: impl Into<String>) -> Self {
        Self::File {
            file: file.to_string(),
            message: message.into(),
        }
    }

    fn field(file: &str, line: u64, field: &str, message: impl std::fmt::Display) -> Self {
        Self::Field {
            file: file.to_string(),
            line,
            field: field.to_string(),
            message: message.to_string(),
        }
    }
}

/// What a file name says: `CORN_20231200.csv` → (CORN, Some(20231200)); `CORN.csv` → (CORN, None).
pub fn parse_file_name(path: &Path) -> Result<(InstrumentCode, Option<ContractDate>), CsvError> {
    let file = path.display().to_string();
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CsvError::file(&file, "file name is not UTF-8"))?;
    let stem = name
        .strip_suffix(".csv.gz")
        .or_else(|| name.strip_suffix(".csv"))
        .or_else(|| name.strip_suffix(".CSV"))
        .ok_or_else(|| CsvError::file(&file, "expected a .csv or .csv.gz file"))?;
    if let Some((instrument, digits)) = stem.rsplit_once('_')
        && (digits.len() == 8 || digits.len() == 6)
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        let contract: ContractDate = digits
            .parse()
            .map_err(|e| CsvError::file(&file, format!("file name: {e}")))?;
        let code = InstrumentCode::new(instrument)
            .map_err(|e| CsvError::file(&file, format!("file name: {e}")))?;
        return Ok((code, Some(contract)));
    }
    let code =
        InstrumentCode::new(stem).map_err(|e| CsvError::file(&file, format!("file name: {e}")))?;
    Ok((code, None))
}

/// The `.csv` and `.csv.gz` files of a directory (not recursive), sorted by name; or the file itself.
pub fn list_csv_files(path: &Path) -> Result<Vec<PathBuf>, CsvError> {
    let file = path.display().to_string();
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|source| CsvError::Io {
        file: file.clone(),
        source,
    })?;
    let root = std::fs::canonicalize(path).map_err(|source| CsvError::Io {
        file: file.clone(),
        source,
    })?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| CsvError::Io {
            file: file.clone(),
            source,
        })?;
        let p = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // A symbolic link is followed only to a file inside the source directory: a link to
        // `/etc/shadow` must not be read, nor its content echoed in a parse error.
        if entry.file_type().is_ok_and(|t| t.is_symlink())
            && !std::fs::canonicalize(&p).is_ok_and(|target| target.starts_with(&root))
        {
            tracing::warn!(
                file = %p.display(),
                "skipped: a symbolic link to a file outside the source directory is not followed"
            );
            continue;
        }
        if p.is_file()
            && (name.ends_with(".csv") || name.ends_with(".csv.gz") || name.ends_with(".CSV"))
        {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Reads a whole file as text, gunzipping `.gz`.
pub fn read_text(path: &Path) -> Result<String, CsvError> {
    let file = path.display().to_string();
    let io = |source| CsvError::Io {
        file: file.clone(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    let mut text = String::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(io)?;
    } else {
        text = String::from_utf8(bytes).map_err(|_| CsvError::file(&file, "not UTF-8 text"))?;
    }
    Ok(text)
}

/// Reads one per-contract price file: the instrument from its name, the contract from its name or
/// its `Contract` column. A file with a contract column may hold several contracts.
pub fn read_contract_file(path: &Path, opts: &CsvOptions) -> Result<Vec<ContractSeries>, CsvError> {
    let (instrument, contract) = parse_file_name(path)?;
    let text = read_text(path)?;
    parse_contract_csv(
        &path.display().to_string(),
        &text,
        &instrument,
        contract,
        opts,
    )
}

/// Parses per-contract prices from CSV text. `file` is only used in messages. When `contract` is
/// `None` the text must have a contract column.
pub fn parse_contract_csv(
    file: &str,
    text: &str,
    instrument: &InstrumentCode,
    contract: Option<ContractDate>,
    opts: &CsvOptions,
) -> Result<Vec<ContractSeries>, CsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| CsvError::file(file, format!("header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let layout = Layout::detect(file, &header, opts.format)?;
    if contract.is_none() && layout.contract.is_none() {
        return Err(CsvError::file(
            file,
            "no contract: name the file <INSTRUMENT>_<YYYYMMDD>.csv or add a Contract column",
        ));
    }
    let records: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .map_err(|e| CsvError::file(file, format!("not valid CSV: {e}")))?;
    let mut by_contract: BTreeMap<ContractDate, Vec<Bar>> = BTreeMap::new();
    // The line of each (contract, timestamp) seen: a repeat with other values is refused.
    let mut seen: BTreeMap<(ContractDate, Timestamp), (u64, Bar)> = BTreeMap::new();
    let n = records.len();
    for (i, rec) in records.iter().enumerate() {
        let line = rec.position().map_or(i as u64 + 2, |p| p.line());
        if rec.iter().all(str::is_empty) {
            continue;
        }
        if layout.kind == CsvFormat::Barchart && i + 1 == n && is_footer(rec, &header) {
            continue;
        }
        if rec.len() != header.len() {
            return Err(CsvError::field(
                file,
                line,
                &header[0],
                format!("{} fields, the header has {}", rec.len(), header.len()),
            ));
        }
        let get = |idx: usize| (rec.get(idx).unwrap_or(""), header[idx].as_str());
        let (t, name) = get(layout.date);
        let timestamp =
            parse_time(t, layout.kind, opts).map_err(|m| CsvError::field(file, line, name, m))?;
        let num = |idx: Option<usize>| -> Result<f64, CsvError> {
            match idx {
                None => Ok(f64::NAN),
                Some(idx) => {
                    let (v, name) = get(idx);
                    parse_number(v).map_err(|m| CsvError::field(file, line, name, m))
                }
            }
        };
        let bar = Bar {
            timestamp,
            open: num(layout.open)?,
            high: num(layout.high)?,
            low: num(layout.low)?,
            close: num(Some(layout.close))?,
            volume: num(layout.volume)?,
        };
        bar.validate(opts.today).map_err(|(field, m)| {
            let idx = match field {
                Some(BarField::Open) => layout.open,
                Some(BarField::High) => layout.high,
                Some(BarField::Low) => layout.low,
                Some(BarField::Close) => Some(layout.close),
                Some(BarField::Volume) => layout.volume,
                None => Some(layout.date),
            };
            let name = idx.map_or("?", |i| header[i].as_str());
            CsvError::field(file, line, name, m)
        })?;
        let c = match (layout.contract, contract) {
            (Some(idx), _) => {
                let (v, name) = get(idx);
                if v.is_empty() {
                    contract.ok_or_else(|| CsvError::field(file, line, name, "empty contract"))?
                } else {
                    let parsed: ContractDate = v
                        .parse()
                        .map_err(|e| CsvError::field(file, line, name, format!("{e}")))?;
                    if let Some(c) = contract
                        && c != parsed
                    {
                        return Err(CsvError::field(
                            file,
                            line,
                            name,
                            format!("contract {parsed} but the file name says {c}"),
                        ));
                    }
                    parsed
                }
            }
            (None, Some(c)) => c,
            (None, None) => unreachable!("checked above"),
        };
        if let Some((first, earlier)) = seen.insert((c, bar.timestamp), (line, bar))
            && !same_bar(&earlier, &bar)
        {
            return Err(conflict(
                file,
                line,
                &header[layout.date],
                bar.timestamp,
                first,
            ));
        }
        by_contract.entry(c).or_default().push(bar);
    }
    Ok(by_contract
        .into_iter()
        .map(|(contract, mut bars)| {
            // sorted; the repeats left are identical
            sort_dedup_bars(&mut bars);
            ContractSeries {
                instrument: instrument.clone(),
                contract,
                bars,
            }
        })
        .collect())
}

/// Reads one FX file named `<CODE>.csv` (e.g. `GBPUSD.csv`).
pub fn read_fx_file(path: &Path, opts: &CsvOptions) -> Result<FxSeries, CsvError> {
    let file = path.display().to_string();
    let (code, contract) = parse_file_name(path)?;
    if contract.is_some() {
        return Err(CsvError::file(
            &file,
            "an FX file is named <CCY>USD.csv, not <X>_<date>.csv",
        ));
    }
    let text = read_text(path)?;
    parse_fx_csv(&file, &text, code.as_str(), opts)
}

/// Parses FX rates from CSV text (`DATETIME,PRICE` or a generic date + rate column).
pub fn parse_fx_csv(
    file: &str,
    text: &str,
    code: &str,
    opts: &CsvOptions,
) -> Result<FxSeries, CsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| CsvError::file(file, format!("header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let lower: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
    let date = find(&lower, DATE_NAMES)
        .ok_or_else(|| CsvError::file(file, format!("no date column in header {header:?}")))?;
    let value = find(&lower, &["price", "rate", "close", "last", "value"])
        .ok_or_else(|| CsvError::file(file, format!("no rate column in header {header:?}")))?;
    let mut points = Vec::new();
    let mut seen: BTreeMap<Timestamp, (u64, f64)> = BTreeMap::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| CsvError::file(file, format!("not valid CSV: {e}")))?;
        let line = rec.position().map_or(i as u64 + 2, |p| p.line());
        let timestamp = parse_time(rec.get(date).unwrap_or(""), CsvFormat::Generic, opts)
            .map_err(|m| CsvError::field(file, line, &header[date], m))?;
        let rate = parse_number(rec.get(value).unwrap_or(""))
            .map_err(|m| CsvError::field(file, line, &header[value], m))?;
        let point = FxPoint { timestamp, rate };
        point.validate(opts.today).map_err(|(is_rate, m)| {
            let col = if is_rate { value } else { date };
            CsvError::field(file, line, &header[col], m)
        })?;
        if let Some((first, earlier)) = seen.insert(point.timestamp, (line, point.rate))
            && !(earlier == point.rate || (earlier.is_nan() && point.rate.is_nan()))
        {
            return Err(conflict(file, line, &header[date], point.timestamp, first));
        }
        points.push(point);
    }
    // sorted; the repeats left are identical
    sort_dedup_fx(&mut points);
    Ok(FxSeries {
        code: code.to_string(),
        points,
    })
}

const DATE_NAMES: &[&str] = &["datetime", "date_time", "date", "timestamp", "time"];

/// Column positions of one file.
#[derive(Debug)]
struct Layout {
    kind: CsvFormat,
    date: usize,
    open: Option<usize>,
    high: Option<usize>,
    low: Option<usize>,
    close: usize,
    volume: Option<usize>,
    contract: Option<usize>,
}

impl Layout {
    fn detect(file: &str, header: &[String], format: CsvFormat) -> Result<Self, CsvError> {
        let lower: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
        let has = |n: &str| lower.iter().any(|h| h == n);
        let kind = match format {
            CsvFormat::Auto => {
                if has("datetime") && has("final") {
                    CsvFormat::Pst
                } else if lower.first().is_some_and(|h| h == "time") && has("last") {
                    CsvFormat::Barchart
                } else {
                    CsvFormat::Generic
                }
            }
            f => f,
        };
        let required = |names: &[&str], what: &str| {
            find(&lower, names).ok_or_else(|| {
                CsvError::file(
                    file,
                    format!(
                        "{} format: no {what} column (expected one of {names:?}) in header {header:?}",
                        kind.name()
                    ),
                )
            })
        };
        let contract = find(&lower, &["contract", "contract_date", "contractdate"]);
        let layout = match kind {
            CsvFormat::Pst => Self {
                kind,
                date: required(&["datetime"], "DATETIME")?,
                open: Some(required(&["open"], "OPEN")?),
                high: Some(required(&["high"], "HIGH")?),
                low: Some(required(&["low"], "LOW")?),
                close: required(&["final"], "FINAL")?,
                volume: Some(required(&["volume"], "VOLUME")?),
                contract,
            },
            CsvFormat::Barchart => Self {
                kind,
                date: required(&["time"], "Time")?,
                open: Some(required(&["open"], "Open")?),
                high: Some(required(&["high"], "High")?),
                low: Some(required(&["low"], "Low")?),
                close: required(&["last"], "Last")?,
                volume: Some(required(&["volume"], "Volume")?),
                contract,
            },
            CsvFormat::Generic | CsvFormat::Auto => Self {
                kind: CsvFormat::Generic,
                date: required(DATE_NAMES, "date")?,
                open: find(&lower, &["open"]),
                high: find(&lower, &["high"]),
                low: find(&lower, &["low"]),
                close: required(
                    &[
                        "close",
                        "last",
                        "settle",
                        "settlement",
                        "final",
                        "price",
                        "adj close",
                    ],
                    "close",
                )?,
                volume: find(&lower, &["volume", "vol"]),
                contract,
            },
        };
        Ok(layout)
    }
}

fn find(lower: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| lower.iter().position(|h| h == n))
}

/// Two rows of one file with the same timestamp (and contract) and different values: which one is
/// right is unknown, so the file is refused (issue 15 item 8), as `import-pst` refuses any repeated
/// timestamp. An identical repeat (a vendor export listing a day twice) is harmless and dropped.
fn conflict(file: &str, line: u64, field: &str, t: Timestamp, first: u64) -> CsvError {
    CsvError::field(
        file,
        line,
        field,
        format!("timestamp {t} repeats line {first} with other values"),
    )
}

/// Equal bars, a missing value equal to a missing value.
fn same_bar(a: &Bar, b: &Bar) -> bool {
    [a.open, a.high, a.low, a.close, a.volume]
        .iter()
        .zip([b.open, b.high, b.low, b.close, b.volume])
        .all(|(x, y)| *x == y || (x.is_nan() && y.is_nan()))
}

/// Barchart's last line is a one-field note such as "Downloaded from Barchart.com as of …".
fn is_footer(rec: &csv::StringRecord, header: &[String]) -> bool {
    rec.len() < header.len()
        && rec
            .get(0)
            .is_some_and(|f| NaiveDate::parse_from_str(f, "%m/%d/%Y").is_err())
}

fn parse_time(text: &str, kind: CsvFormat, opts: &CsvOptions) -> Result<Timestamp, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty date".to_string());
    }
    if kind == CsvFormat::Barchart
        && let Ok(d) = NaiveDate::parse_from_str(t, "%m/%d/%Y")
    {
        return Ok(Timestamp::from_datetime(d.and_time(opts.daily_time)));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(Timestamp::from_datetime(d.and_time(opts.daily_time)));
    }
    Timestamp::parse(t).map_err(|_| {
        let expected = if kind == CsvFormat::Barchart {
            "MM/DD/YYYY"
        } else {
            "YYYY-MM-DD[ HH:MM:SS]"
        };
        format!("'{t}' is not a date ({expected})")
    })
}

fn parse_number(text: &str) -> Result<f64, String> {
    systrade_model::validation::parse_number(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corn() -> InstrumentCode {
        InstrumentCode::new("CORN").unwrap()
    }

    fn c(id: i64) -> ContractDate {
        ContractDate::from_id(id).unwrap()
    }

    #[test]
    fn file_names_give_instrument_and_contract() {
        let (i, c1) = parse_file_name(Path::new("x/AEX_mini_20231200.csv")).unwrap();
        assert_eq!(i.as_str(), "AEX_mini");
        assert_eq!(c1, Some(c(20231200)));
        let (i, c1) = parse_file_name(Path::new("CORN_202403.csv.gz")).unwrap();
        assert_eq!((i.as_str(), c1), ("CORN", Some(c(20240300))));
        let (i, c1) = parse_file_name(Path::new("AEX_mini.csv")).unwrap();
        assert_eq!((i.as_str(), c1), ("AEX_mini", None));
        assert!(parse_file_name(Path::new("CORN_20231300.csv")).is_err());
        assert!(parse_file_name(Path::new("CORN.txt")).is_err());
    }

    #[test]
    fn barchart_with_footer() {
        let text = "Time,Open,High,Low,Last,Volume\n\
                    11/20/2023,480.25,482.5,478,481,12000\n\
                    11/21/2023,481,485,480.5,484.75,13000\n\
                    \"Downloaded from Barchart.com as of 11-22-2023 05:03pm CST\"\n";
        let s = parse_contract_csv(
            "f",
            text,
            &corn(),
            Some(c(20231200)),
            &CsvOptions::default(),
        )
        .unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].bars.len(), 2);
        assert_eq!(s[0].bars[1].timestamp.to_string(), "2023-11-21 23:00:00");
        assert_eq!(s[0].bars[1].close, 484.75);
        assert_eq!(s[0].bars[0].volume, 12000.0);
    }

    #[test]
    fn pst_with_empty_cells() {
        let text = "DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME\n\
                    2023-08-30 23:00:00,,,,101.5,0\n\
                    2023-08-31 20:00:00,1,2,0.5,102,7\n";
        let s = parse_contract_csv(
            "f",
            text,
            &corn(),
            Some(c(20231200)),
            &CsvOptions::default(),
        )
        .unwrap();
        let b = &s[0].bars;
        assert!(b[0].open.is_nan());
        assert_eq!(b[0].close, 101.5);
        assert_eq!(b[1].timestamp.to_string(), "2023-08-31 20:00:00");
    }

    #[test]
    fn generic_with_contract_column_splits_contracts() {
        let text = "date,contract,open,high,low,settle,volume\n\
                    2024-01-02,202403,1,2,0.5,1.5,10\n\
                    2024-01-02,20240600,1,2,0.5,1.7,10\n\
                    2024-01-03,202403,1,2,0.5,1.6,10\n";
        let s = parse_contract_csv("f", text, &corn(), None, &CsvOptions::default()).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].contract, c(20240300));
        assert_eq!(s[0].bars.len(), 2);
        assert_eq!(s[1].bars[0].close, 1.7);
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let text = "DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME\n\
                    2023-08-30 23:00:00,1,1,1,1,0\n\
                    2023-08-31 23:00:00,1,1,1,abc,0\n";
        let e = parse_contract_csv(
            "CORN_20231200.csv",
            text,
            &corn(),
            Some(c(20231200)),
            &CsvOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "CORN_20231200.csv: line 3, field FINAL: 'abc' is not a number"
        );
        let bad_date = "Time,Open,High,Low,Last,Volume\n2023-13-45,1,1,1,1,1\n";
        let e = parse_contract_csv(
            "b.csv",
            bad_date,
            &corn(),
            Some(c(20231200)),
            &CsvOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 2, field Time"), "{e}");
        let no_close = "date,open\n2024-01-01,1\n";
        let e = parse_contract_csv(
            "g.csv",
            no_close,
            &corn(),
            Some(c(20231200)),
            &CsvOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("no close column"), "{e}");
        let short = "DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME\n2023-08-30 23:00:00,1,1\n";
        let e = parse_contract_csv(
            "s.csv",
            short,
            &corn(),
            Some(c(20231200)),
            &CsvOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 2") && e.contains("3 fields"), "{e}");
    }

    #[test]
    fn forced_format_must_match_header() {
        let text = "date,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,10\n";
        let opts = CsvOptions {
            format: CsvFormat::Pst,
            ..CsvOptions::default()
        };
        let e = parse_contract_csv("g.csv", text, &corn(), Some(c(20240300)), &opts)
            .unwrap_err()
            .to_string();
        assert!(e.contains("pst format: no DATETIME column"), "{e}");
    }

    #[test]
    fn fx_files() {
        let text = "DATETIME,PRICE\n2023-09-01 23:00:00,1.2663\n2023-08-31 23:00:00,1.27\n";
        let s = parse_fx_csv("GBPUSD.csv", text, "GBPUSD", &CsvOptions::default()).unwrap();
        assert_eq!(s.points.len(), 2);
        assert_eq!(s.points[1].rate, 1.2663);
        let stooq = "Date,Open,High,Low,Close\n2024-01-02,1,1,1,1.1\n";
        let s = parse_fx_csv("EURUSD.csv", stooq, "EURUSD", &CsvOptions::default()).unwrap();
        assert_eq!(s.points[0].rate, 1.1);
        assert_eq!(s.points[0].timestamp.to_string(), "2024-01-02 23:00:00");
    }
}
