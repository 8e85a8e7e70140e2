//! Everything a tool prints on stdout, in the one convention of `--format table|csv|json`
//! (docs/ARCHITECTURE.md, "Output on stdout"; docs/adr/0006-output-convention.md).
//!
//! - **Tables** (one row per instrument, order, backup, ...): `table` is aligned columns for people
//!   (numbers right-aligned, shown with the column's decimals); `csv` is a header line and one
//!   line per row (numbers in full precision, RFC 4180 quoting); `json` is JSON Lines: one object
//!   per row, keys = the column names (snake_case), numbers as JSON numbers, missing values and
//!   NaN as `null`, dates and timestamps as ISO-8601 strings (`2024-03-14`,
//!   `2024-03-14T23:00:00`).
//! - **Several tables in one output** ([`Printer::sections`]): `table` gives each a `== title`
//!   heading, `csv` a `# name: title` line before its header, tables separated by a blank line;
//!   in `json` every object starts with `"table": "<name>"`.
//! - **Documents** (one result that is not a list, such as a backtest's statistics or a backup's
//!   summary, [`Printer::document`]): `table` is the tool's readable text; `json` is one object on
//!   one line; `csv` is a header of the flattened key paths (`portfolio.net.sharpe`, as `jq` names
//!   them) and one line of values.
//!
//! Rows are written as they are produced in `csv` and `json` (`table` has to see every row to
//! align the columns), so a long listing streams. A reader that goes away (`tool | head`) is not
//! an error: once stdout is a broken pipe further output is dropped ([`Printer::closed`]) and the
//! tool still ends with the exit code of its work.

use crate::args::OutputFormat;
use chrono::{NaiveDate, NaiveDateTime};
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Missing: empty in `table` and `csv`, `null` in `json`.
    Null,
    Bool(bool),
    Int(i64),
    /// NaN and infinities are missing values.
    Float(f64),
    Text(String),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
}

impl Value {
    /// A text value from anything displayable (instrument codes, states, ...).
    pub fn text(v: impl std::fmt::Display) -> Self {
        Self::Text(v.to_string())
    }

    fn is_number(&self) -> bool {
        matches!(self, Self::Int(_) | Self::Float(_))
    }

    /// The text shown in `table` (`decimals` for floats) and `csv` (`None`: full precision).
    fn plain(&self, decimals: Option<usize>) -> String {
        match self {
            Self::Null => String::new(),
            Self::Bool(b) => b.to_string(),
            Self::Int(i) => i.to_string(),
            Self::Float(f) if !f.is_finite() => String::new(),
            Self::Float(f) => {
                let f = if *f == 0.0 { 0.0 } else { *f }; // no "-0"
                match decimals {
                    Some(d) => {
                        let s = format!("{f:.d$}");
                        // a small negative number rounded to zero is shown as zero
                        if s.starts_with('-') && s[1..].bytes().all(|b| b == b'0' || b == b'.') {
                            s[1..].to_string()
                        } else {
                            s
                        }
                    }
                    None => f.to_string(),
                }
            }
            Self::Text(s) => s.clone(),
            Self::Date(d) => d.format("%Y-%m-%d").to_string(),
            Self::Timestamp(t) => iso_timestamp(t),
        }
    }

    /// The JSON text of the value.
    fn json(&self) -> String {
        match self {
            Self::Null => "null".into(),
            Self::Bool(b) => b.to_string(),
            Self::Int(i) => i.to_string(),
            Self::Float(f) => serde_json::Number::from_f64(if *f == 0.0 { 0.0 } else { *f })
                .map_or_else(|| "null".into(), |n| n.to_string()),
            Self::Text(s) => json_string(s),
            Self::Date(_) | Self::Timestamp(_) => json_string(&self.plain(None)),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS`, with the fraction only when there is one.
fn iso_timestamp(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
}

fn json_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

macro_rules! value_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Self::Int(i64::from(v))
            }
        }
    )*};
}
value_from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        i64::try_from(v).map_or(Self::Float(v as f64), Self::Int)
    }
}

impl From<usize> for Value {
    fn from(v: usize) -> Self {
        i64::try_from(v).map_or(Self::Float(v as f64), Self::Int)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Self::Float(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Self::Text(v.clone())
    }
}

impl From<NaiveDate> for Value {
    fn from(v: NaiveDate) -> Self {
        Self::Date(v)
    }
}

impl From<NaiveDateTime> for Value {
    fn from(v: NaiveDateTime) -> Self {
        Self::Timestamp(v)
    }
}

impl From<systrade_model::Timestamp> for Value {
    fn from(v: systrade_model::Timestamp) -> Self {
        Self::Timestamp(v.datetime())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// A column: its name (snake_case: the CSV header and the JSON key) and, for floats, the
/// decimals `table` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    name: String,
    decimals: Option<usize>,
}

impl Column {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            decimals: None,
        }
    }

    /// Floats in this column are shown with `d` decimals in `table` (csv and json keep every
    /// digit).
    pub fn decimals(mut self, d: usize) -> Self {
        self.decimals = Some(d);
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Columns from names, all with the default display.
pub fn columns(names: &[&str]) -> Vec<Column> {
    names.iter().map(|n| Column::new(*n)).collect()
}

/// Drops output once the reader has gone away, so a broken pipe never fails the tool.
struct PipeGuard<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> Write for PipeGuard<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// The table being written.
struct Open {
    name: String,
    columns: Vec<Column>,
    /// `table` only: the rows' cells, printed aligned when the table ends.
    cells: Vec<Vec<String>>,
    /// `table` only: per column, whether every value so far is a number (right-aligned).
    numeric: Vec<bool>,
    notes: Vec<String>,
}

/// Writes tables and documents to stdout (or any writer) in one [`OutputFormat`].
pub struct Printer<W: Write = io::Stdout> {
    format: OutputFormat,
    out: BufWriter<PipeGuard<W>>,
    sections: bool,
    tables: usize,
    open: Option<Open>,
}

impl Printer<io::Stdout> {
    /// A printer on stdout.
    pub fn stdout(format: OutputFormat) -> Self {
        Self::new(io::stdout(), format)
    }
}

impl<W: Write> Printer<W> {
    pub fn new(out: W, format: OutputFormat) -> Self {
        Self {
            format,
            out: BufWriter::with_capacity(
                1 << 16,
                PipeGuard {
                    inner: out,
                    closed: false,
                },
            ),
            sections: false,
            tables: 0,
            open: None,
        }
    }

    /// Several named tables in one output: headings in `table` and `csv`, a `table` key in `json`.
    pub fn sections(mut self) -> Self {
        self.sections = true;
        self
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Whether the reader has gone away (further output is dropped; a long listing may stop).
    pub fn closed(&self) -> bool {
        self.out.get_ref().closed
    }

    /// Starts a table (ending the previous one). `name` and `title` are shown only in a
    /// [`sections`](Self::sections) printer.
    pub fn table(&mut self, name: &str, title: &str, columns: Vec<Column>) -> io::Result<()> {
        self.end_table()?;
        if self.tables > 0 && self.format != OutputFormat::Json {
            writeln!(self.out)?;
        }
        self.tables += 1;
        match (self.format, self.sections) {
            (OutputFormat::Table, true) => writeln!(self.out, "== {title}")?,
            (OutputFormat::Csv, true) => writeln!(self.out, "# {name}: {title}")?,
            _ => {}
        }
        if self.format == OutputFormat::Csv {
            let header: Vec<String> = columns.iter().map(|c| csv_field(&c.name)).collect();
            writeln!(self.out, "{}", header.join(","))?;
        }
        self.open = Some(Open {
            name: name.to_string(),
            numeric: vec![true; columns.len()],
            columns,
            cells: Vec::new(),
            notes: Vec::new(),
        });
        Ok(())
    }

    /// A remark for people under the current table's heading (`table`) or as a `# ` line (`csv`);
    /// not part of `json`, so anything a program needs belongs in the rows.
    pub fn note(&mut self, text: &str) -> io::Result<()> {
        let text = &systrade_model::redact(text);
        match (self.format, self.open.as_mut()) {
            (OutputFormat::Table, Some(open)) => open.notes.push(text.to_string()),
            (OutputFormat::Csv, Some(_)) => writeln!(self.out, "# {text}")?,
            _ => {}
        }
        Ok(())
    }

    /// One row of the current table; `values` in column order. Text cells are printed with their
    /// secrets redacted ([`systrade_model::redact`]).
    pub fn row(&mut self, values: Vec<Value>) -> io::Result<()> {
        let Some(open) = self.open.as_mut() else {
            return Err(io::Error::other("a row before its table"));
        };
        if values.len() != open.columns.len() {
            return Err(io::Error::other(format!(
                "a row of {} values in table {} of {} columns",
                values.len(),
                open.name,
                open.columns.len()
            )));
        }
        // A text cell may carry a message (fetch-prices' `note`): never a secret on stdout.
        let values: Vec<Value> = values
            .into_iter()
            .map(|v| match v {
                Value::Text(s) => Value::Text(systrade_model::redact(&s)),
                v => v,
            })
            .collect();
        match self.format {
            OutputFormat::Table => {
                let cells = values
                    .iter()
                    .zip(&open.columns)
                    .zip(&mut open.numeric)
                    .map(|((v, c), numeric)| {
                        *numeric &= v.is_number() || *v == Value::Null;
                        v.plain(c.decimals)
                    })
                    .collect();
                open.cells.push(cells);
            }
            OutputFormat::Csv => {
                let line: Vec<String> = values.iter().map(|v| csv_field(&v.plain(None))).collect();
                writeln!(self.out, "{}", line.join(","))?;
            }
            OutputFormat::Json => {
                let mut line = String::with_capacity(64 * values.len());
                line.push('{');
                if self.sections {
                    let _ = write!(line, "\"table\":{},", json_string(&open.name));
                }
                for (k, (v, c)) in values.iter().zip(&open.columns).enumerate() {
                    if k > 0 {
                        line.push(',');
                    }
                    let _ = write!(line, "{}:{}", json_string(&c.name), v.json());
                }
                line.push('}');
                writeln!(self.out, "{line}")?;
            }
        }
        Ok(())
    }

    /// Prints the buffered rows of a `table`-format table.
    fn end_table(&mut self) -> io::Result<()> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        if self.format != OutputFormat::Table {
            return Ok(());
        }
        for n in &open.notes {
            writeln!(self.out, "{n}")?;
        }
        if self.sections && open.cells.is_empty() {
            return writeln!(self.out, "(none)");
        }
        let mut widths: Vec<usize> = open
            .columns
            .iter()
            .map(|c| c.name.chars().count())
            .collect();
        for r in &open.cells {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
            let mut s = String::new();
            for (k, c) in cells.enumerate() {
                if k > 0 {
                    s.push_str("  ");
                }
                let pad = widths[k].saturating_sub(c.chars().count());
                if open.numeric[k] && !open.cells.is_empty() {
                    s.extend(std::iter::repeat_n(' ', pad));
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    s.extend(std::iter::repeat_n(' ', pad));
                }
            }
            s.trim_end().to_string()
        };
        writeln!(
            self.out,
            "{}",
            line(&mut open.columns.iter().map(|c| c.name.as_str()))
        )?;
        for r in &open.cells {
            writeln!(self.out, "{}", line(&mut r.iter().map(String::as_str)))?;
        }
        Ok(())
    }

    /// A document: `text` for people (`table`), one JSON object on one line (`json`), or the
    /// flattened key paths and values (`csv`). `doc` should be a JSON object; NaN cannot occur in
    /// a `serde_json::Value` (use [`json_number`] to turn it into `null`).
    pub fn document(&mut self, doc: &serde_json::Value, text: &str) -> io::Result<()> {
        self.end_table()?;
        match self.format {
            OutputFormat::Table => {
                self.out.write_all(text.as_bytes())?;
                if !text.is_empty() && !text.ends_with('\n') {
                    writeln!(self.out)?;
                }
            }
            OutputFormat::Json => writeln!(self.out, "{doc}")?,
            OutputFormat::Csv => {
                let mut paths = Vec::new();
                flatten(doc, String::new(), &mut paths);
                let header: Vec<String> = paths.iter().map(|(k, _)| csv_field(k)).collect();
                let values: Vec<String> = paths.iter().map(|(_, v)| csv_field(v)).collect();
                writeln!(self.out, "{}", header.join(","))?;
                writeln!(self.out, "{}", values.join(","))?;
            }
        }
        Ok(())
    }

    /// Ends the output: prints a buffered table and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        self.end_table()?;
        self.out.flush()
    }
}

/// A float as a JSON value: a number, or `null` for NaN and infinities.
pub fn json_number(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(if v == 0.0 { 0.0 } else { v })
        .map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// `(key path, value text)` of every scalar in `v`, depth first; paths joined with `.`.
fn flatten(v: &serde_json::Value, path: String, out: &mut Vec<(String, String)>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                flatten(x, join(k), out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(x, join(&i.to_string()), out);
            }
        }
        serde_json::Value::Null => out.push((path, String::new())),
        serde_json::Value::String(s) => out.push((path, s.clone())),
        other => out.push((path, other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(format: OutputFormat, f: impl FnOnce(&mut Printer<&mut Vec<u8>>)) -> String {
        let mut buf = Vec::new();
        let mut p = Printer::new(&mut buf, format);
        f(&mut p);
        p.finish().unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn sample(p: &mut Printer<&mut Vec<u8>>) {
        p.table(
            "t",
            "T",
            vec![
                Column::new("instrument"),
                Column::new("price").decimals(2),
                Column::new("last_timestamp"),
                Column::new("note"),
            ],
        )
        .unwrap();
        let ts = NaiveDate::from_ymd_opt(2024, 3, 14)
            .unwrap()
            .and_hms_opt(23, 0, 0)
            .unwrap();
        p.row(vec![
            "SP500".into(),
            1234.5.into(),
            ts.into(),
            "a, \"b\"".into(),
        ])
        .unwrap();
        p.row(vec!["US10".into(), f64::NAN.into(), Value::Null, "".into()])
            .unwrap();
    }

    #[test]
    fn table_aligns_numbers_right() {
        let s = render(OutputFormat::Table, sample);
        assert_eq!(
            s,
            "instrument    price  last_timestamp       note\n\
             SP500       1234.50  2024-03-14T23:00:00  a, \"b\"\n\
             US10\n"
        );
    }

    #[test]
    fn csv_has_a_header_full_precision_and_quoting() {
        let s = render(OutputFormat::Csv, sample);
        assert_eq!(
            s,
            "instrument,price,last_timestamp,note\n\
             SP500,1234.5,2024-03-14T23:00:00,\"a, \"\"b\"\"\"\n\
             US10,,,\n"
        );
    }

    #[test]
    fn json_lines_with_numbers_nulls_and_iso_timestamps() {
        let s = render(OutputFormat::Json, sample);
        let lines: Vec<serde_json::Value> = s
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["price"], 1234.5);
        assert_eq!(lines[0]["last_timestamp"], "2024-03-14T23:00:00");
        assert_eq!(lines[1]["price"], serde_json::Value::Null);
        assert_eq!(lines[1]["last_timestamp"], serde_json::Value::Null);
        // keys in column order
        assert!(s.starts_with("{\"instrument\":\"SP500\",\"price\":1234.5,"));
    }

    #[test]
    fn sections_tag_json_rows_and_head_text_tables() {
        let two = |p: &mut Printer<&mut Vec<u8>>| {
            p.table("a", "First", columns(&["x"])).unwrap();
            p.row(vec![1.into()]).unwrap();
            p.table("b", "Second", columns(&["y"])).unwrap();
            p.note("nothing here").unwrap();
        };
        let mut buf = Vec::new();
        let mut p = Printer::new(&mut buf, OutputFormat::Json).sections();
        two(&mut p);
        p.finish().unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "{\"table\":\"a\",\"x\":1}\n"
        );
        let mut buf = Vec::new();
        let mut p = Printer::new(&mut buf, OutputFormat::Table).sections();
        two(&mut p);
        p.finish().unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "== First\nx\n1\n\n== Second\nnothing here\n(none)\n"
        );
        let mut buf = Vec::new();
        let mut p = Printer::new(&mut buf, OutputFormat::Csv).sections();
        two(&mut p);
        p.finish().unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "# a: First\nx\n1\n\n# b: Second\ny\n# nothing here\n"
        );
    }

    #[test]
    fn documents() {
        let doc = serde_json::json!({"id": "b1", "files": 3, "portfolio": {"net": {"sharpe": 0.5, "skew": null}}});
        assert_eq!(
            render(OutputFormat::Json, |p| p.document(&doc, "text").unwrap()),
            format!("{doc}\n")
        );
        assert_eq!(
            render(OutputFormat::Table, |p| p
                .document(&doc, "backup b1")
                .unwrap()),
            "backup b1\n"
        );
        let csv = render(OutputFormat::Csv, |p| p.document(&doc, "").unwrap());
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let values: Vec<&str> = lines.next().unwrap().split(',').collect();
        let get = |k: &str| values[header.iter().position(|h| *h == k).unwrap()];
        assert_eq!(get("portfolio.net.sharpe"), "0.5");
        assert_eq!(get("portfolio.net.skew"), "");
        assert_eq!(get("id"), "b1");
    }

    #[test]
    fn small_negative_rounded_to_zero_shows_as_zero() {
        assert_eq!(Value::Float(-0.001).plain(Some(2)), "0.00");
        assert_eq!(Value::Float(-0.0).plain(None), "0");
        assert_eq!(Value::Float(-0.0).json(), "0.0");
    }

    #[test]
    fn broken_pipe_is_dropped_not_an_error() {
        struct Gone;
        impl Write for Gone {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut p = Printer::new(Gone, OutputFormat::Json);
        p.table("t", "", columns(&["x"])).unwrap();
        for i in 0..100_000 {
            p.row(vec![Value::Int(i)]).unwrap();
        }
        assert!(p.closed());
        p.finish().unwrap();
    }
}
