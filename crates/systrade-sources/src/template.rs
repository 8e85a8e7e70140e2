//! The `http:` source: a URL template returning CSV, expanded per instrument and contract, and the
//! instrument → symbol mapping (`config/http-symbols.csv`, columns `Instrument,Symbol`; FX codes such
//! as `GBPUSD` may be listed in the `Instrument` column too).
//!
//! Placeholders: `{symbol}` (from the mapping), `{contract}` (`YYYYMMDD`), `{yyyymm}`, `{yyyy}`,
//! `{yy}`, `{mm}`, `{month_letter}` (futures letter, e.g. `Z`), `{start}` and `{end}` (`YYYY-MM-DD`),
//! `{start_compact}` and `{end_compact}` (`YYYYMMDD`), `{token}` (the secret; never logged: log lines
//! show `{token}` unexpanded). Values are percent-encoded.

use crate::csvfmt::CsvError;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use systrade_model::ContractDate;

const PLACEHOLDERS: &[&str] = &[
    "symbol",
    "contract",
    "yyyymm",
    "yyyy",
    "yy",
    "mm",
    "month_letter",
    "start",
    "end",
    "start_compact",
    "end_compact",
    "token",
];

/// A checked URL template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplate {
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("URL template '{0}': must start with http:// or https://")]
    Scheme(String),
    #[error("URL template '{template}': unknown placeholder {{{name}}} (known: {known})")]
    Unknown {
        template: String,
        name: String,
        known: String,
    },
    #[error("URL template '{0}': unclosed '{{'")]
    Unclosed(String),
}

/// Values for one request.
#[derive(Debug, Clone)]
pub struct TemplateValues<'a> {
    pub symbol: &'a str,
    pub contract: Option<ContractDate>,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl UrlTemplate {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        if !(text.starts_with("http://") || text.starts_with("https://")) {
            return Err(TemplateError::Scheme(text.to_string()));
        }
        for name in placeholders(text).map_err(|()| TemplateError::Unclosed(text.to_string()))? {
            if !PLACEHOLDERS.contains(&name.as_str()) {
                return Err(TemplateError::Unknown {
                    template: text.to_string(),
                    name,
                    known: PLACEHOLDERS.join(", "),
                });
            }
        }
        Ok(Self {
            text: text.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when requests are per contract (the template names the contract in some form).
    pub fn is_per_contract(&self) -> bool {
        let names = placeholders(&self.text).unwrap_or_default();
        names.iter().any(|n| {
            matches!(
                n.as_str(),
                "contract" | "yyyymm" | "yyyy" | "yy" | "mm" | "month_letter"
            )
        })
    }

    /// (URL to request, URL to show in logs). The shown URL keeps `{token}` unexpanded.
    pub fn expand(&self, v: &TemplateValues<'_>, token: Option<&str>) -> (String, String) {
        let mut map: BTreeMap<&str, String> = BTreeMap::new();
        map.insert("symbol", v.symbol.to_string());
        if let Some(c) = v.contract {
            map.insert("contract", format!("{:08}", c.id()));
            map.insert(
                "yyyymm",
                format!("{:04}{:02}", c.year(), c.month().number()),
            );
            map.insert("yyyy", format!("{:04}", c.year()));
            map.insert("yy", format!("{:02}", c.year() % 100));
            map.insert("mm", format!("{:02}", c.month().number()));
            map.insert("month_letter", c.month().letter().to_string());
        }
        map.insert("start", v.start.format("%Y-%m-%d").to_string());
        map.insert("end", v.end.format("%Y-%m-%d").to_string());
        map.insert("start_compact", v.start.format("%Y%m%d").to_string());
        map.insert("end_compact", v.end.format("%Y%m%d").to_string());
        let shown = substitute(&self.text, &map);
        if let Some(t) = token {
            map.insert("token", t.to_string());
        }
        (substitute(&self.text, &map), shown)
    }
}

fn placeholders(text: &str) -> Result<Vec<String>, ()> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or(())?;
        out.push(after[..close].to_string());
        rest = &after[close + 1..];
    }
    Ok(out)
}

fn substitute(text: &str, map: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = &after[..close];
        match map.get(name) {
            Some(v) => out.push_str(&percent_encode(v)),
            None => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parses `config/http-symbols.csv` (`Instrument,Symbol`) into a map.
pub fn parse_symbol_map(file: &str, text: &str) -> Result<BTreeMap<String, String>, CsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| CsvError::File {
            file: file.to_string(),
            message: format!("header: {e}"),
        })?
        .clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| CsvError::File {
                file: file.to_string(),
                message: format!("no {name} column (expected Instrument,Symbol)"),
            })
    };
    let (ic, sc) = (col("Instrument")?, col("Symbol")?);
    let mut map = BTreeMap::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| CsvError::File {
            file: file.to_string(),
            message: format!("not valid CSV: {e}"),
        })?;
        let line = rec.position().map_or(i as u64 + 2, |p| p.line());
        let inst = rec.get(ic).unwrap_or("");
        let sym = rec.get(sc).unwrap_or("");
        if inst.is_empty() || sym.is_empty() {
            return Err(CsvError::Field {
                file: file.to_string(),
                line,
                field: if inst.is_empty() {
                    "Instrument"
                } else {
                    "Symbol"
                }
                .to_string(),
                message: "empty".to_string(),
            });
        }
        map.insert(inst.to_string(), sym.to_string());
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_and_hides_token() {
        let t = UrlTemplate::parse(
            "https://x.test/q/{symbol}{month_letter}{yy}.csv?from={start_compact}&to={end}&k={token}",
        )
        .unwrap();
        assert!(t.is_per_contract());
        let v = TemplateValues {
            symbol: "ZC^",
            contract: Some(ContractDate::from_id(20231200).unwrap()),
            start: NaiveDate::from_ymd_opt(2023, 1, 2).unwrap(),
            end: NaiveDate::from_ymd_opt(2023, 12, 1).unwrap(),
        };
        let (url, shown) = t.expand(&v, Some("s3cr3t"));
        assert_eq!(
            url,
            "https://x.test/q/ZC%5EZ23.csv?from=20230102&to=2023-12-01&k=s3cr3t"
        );
        assert_eq!(
            shown,
            "https://x.test/q/ZC%5EZ23.csv?from=20230102&to=2023-12-01&k={token}"
        );
    }

    #[test]
    fn rejects_bad_templates() {
        assert!(matches!(
            UrlTemplate::parse("ftp://x/{symbol}"),
            Err(TemplateError::Scheme(_))
        ));
        assert!(matches!(
            UrlTemplate::parse("http://x/{sym}"),
            Err(TemplateError::Unknown { .. })
        ));
        assert!(matches!(
            UrlTemplate::parse("http://x/{symbol"),
            Err(TemplateError::Unclosed(_))
        ));
        assert!(
            !UrlTemplate::parse("http://x/{symbol}?d1={start}")
                .unwrap()
                .is_per_contract()
        );
    }

    #[test]
    fn symbol_map() {
        let m = parse_symbol_map("m.csv", "Instrument,Symbol\nCORN,ZC\nGBPUSD,gbpusd\n").unwrap();
        assert_eq!(m["CORN"], "ZC");
        let e = parse_symbol_map("m.csv", "Instrument,Symbol\nCORN,\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "m.csv: line 2, field Symbol: empty");
    }
}
