//! The Interactive Brokers Client Portal Web API, as far as prices need it (see
//! `shared/spec/price-sources-and-ibkr.md`): session checks (`/iserver/auth/status`, `/tickle`,
//! `/iserver/auth/ssodh/init`), futures lookup (`/trsrv/futures`), FX lookup
//! (`/iserver/secdef/search`), and daily bars (`/iserver/marketdata/history`) with at most
//! `max_concurrent_history` requests in flight (IB's limit is 5; beyond it IB answers 429).
//!
//! Mapping files, pysystemtrade's columns (spec §1.11): `config/ibkr.csv`
//! `Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IgnoreWeekly` and
//! `config/ibkr-fx.csv` `CODE,CCY1,CCY2,INVERT`. IB quotes some contracts in sub-units; prices are
//! multiplied by `priceMagnifier` (e.g. CORN: IB 4.80 → 480 cents), so `IBMultiplier / priceMagnifier`
//! is the instrument's point size.

use crate::bar::{Bar, FxPoint};
use crate::csvfmt::CsvError;
use crate::http::{HttpClient, HttpError, Method};
use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;
use std::sync::{Condvar, Mutex};
use systrade_model::{ContractDate, Timestamp};

/// One row of `config/ibkr.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct IbkrInstrument {
    pub instrument: String,
    pub symbol: String,
    pub exchange: String,
    /// `None` when the file says `NA`.
    pub currency: Option<String>,
    pub multiplier: f64,
    pub price_magnifier: f64,
    pub ignore_weekly: bool,
}

/// One row of `config/ibkr-fx.csv`: the rate `CODE` is `CCY1.CCY2`, inverted when `INVERT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IbkrFx {
    pub code: String,
    pub ccy1: String,
    pub ccy2: String,
    pub invert: bool,
}

fn csv_records(
    file: &str,
    text: &str,
    columns: &[&str],
) -> Result<Vec<(u64, Vec<String>)>, CsvError> {
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
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h.eq_ignore_ascii_case(c))
                .ok_or_else(|| CsvError::File {
                    file: file.to_string(),
                    message: format!("no {c} column (expected {})", columns.join(",")),
                })
        })
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| CsvError::File {
            file: file.to_string(),
            message: format!("not valid CSV: {e}"),
        })?;
        let line = rec.position().map_or(i as u64 + 2, |p| p.line());
        out.push((
            line,
            idx.iter()
                .map(|&k| rec.get(k).unwrap_or("").to_string())
                .collect(),
        ));
    }
    Ok(out)
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_uppercase().as_str() {
        "TRUE" | "YES" | "1" => Some(true),
        "FALSE" | "NO" | "0" | "" => Some(false),
        _ => None,
    }
}

/// Parses `config/ibkr.csv`.
pub fn parse_ibkr_instruments(file: &str, text: &str) -> Result<Vec<IbkrInstrument>, CsvError> {
    let cols = [
        "Instrument",
        "IBSymbol",
        "IBExchange",
        "IBCurrency",
        "IBMultiplier",
        "priceMagnifier",
        "IgnoreWeekly",
    ];
    let field = |line, f: &str, m: String| CsvError::Field {
        file: file.to_string(),
        line,
        field: f.to_string(),
        message: m,
    };
    csv_records(file, text, &cols)?
        .into_iter()
        .map(|(line, v)| {
            let num = |k: usize, default: f64| -> Result<f64, CsvError> {
                if v[k].is_empty() {
                    return Ok(default);
                }
                v[k].parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x > 0.0)
                    .ok_or_else(|| {
                        field(
                            line,
                            cols[k],
                            format!("'{}' is not a positive number", v[k]),
                        )
                    })
            };
            if v[0].is_empty() || v[1].is_empty() {
                return Err(field(
                    line,
                    if v[0].is_empty() { cols[0] } else { cols[1] },
                    "empty".into(),
                ));
            }
            Ok(IbkrInstrument {
                instrument: v[0].clone(),
                symbol: v[1].clone(),
                exchange: v[2].clone(),
                currency: (!v[3].is_empty() && v[3] != "NA").then(|| v[3].clone()),
                multiplier: num(4, 1.0)?,
                price_magnifier: num(5, 1.0)?,
                ignore_weekly: parse_bool(&v[6]).ok_or_else(|| {
                    field(line, cols[6], format!("'{}' is not TRUE or FALSE", v[6]))
                })?,
            })
        })
        .collect()
}

/// Parses `config/ibkr-fx.csv`.
pub fn parse_ibkr_fx(file: &str, text: &str) -> Result<Vec<IbkrFx>, CsvError> {
    let cols = ["CODE", "CCY1", "CCY2", "INVERT"];
    csv_records(file, text, &cols)?
        .into_iter()
        .map(|(line, v)| {
            Ok(IbkrFx {
                code: v[0].clone(),
                ccy1: v[1].clone(),
                ccy2: v[2].clone(),
                invert: parse_bool(&v[3]).ok_or_else(|| CsvError::Field {
                    file: file.to_string(),
                    line,
                    field: "INVERT".into(),
                    message: format!("'{}' is not YES or NO", v[3]),
                })?,
            })
        })
        .collect()
}

/// One non-expired futures contract from `/trsrv/futures`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct IbFuture {
    pub conid: i64,
    /// `YYYYMMDD`.
    #[serde(rename = "expirationDate")]
    pub expiration_date: i64,
}

impl IbFuture {
    pub fn expiry(&self) -> Option<NaiveDate> {
        let d = self.expiration_date;
        NaiveDate::from_ymd_opt(
            (d / 10_000) as i32,
            ((d / 100) % 100) as u32,
            (d % 100) as u32,
        )
    }
}

/// Picks the IB contract for one of our contracts. With an approximate expiry (from the roll
/// config) the listed contract whose expiry is closest to it, within 25 days, wins (crude oil's
/// December contract expires in November); otherwise the one expiring in the contract's month. A
/// contract with a day (weekly) must expire on that day. When weeklies are ignored and several
/// contracts expire in one month, the last of them is the monthly one.
pub fn match_contract(
    listed: &[IbFuture],
    contract: ContractDate,
    approx_expiry: Option<NaiveDate>,
) -> Option<IbFuture> {
    let with_dates = listed.iter().filter_map(|f| f.expiry().map(|e| (e, *f)));
    if contract.day() != 0 {
        let day = contract.reference_date();
        return with_dates.filter(|(e, _)| *e == day).map(|(_, f)| f).next();
    }
    match approx_expiry {
        Some(approx) => with_dates
            .map(|(e, f)| ((e - approx).num_days().abs(), std::cmp::Reverse(e), f))
            .filter(|(d, _, _)| *d <= 25)
            .min_by_key(|(d, e, _)| (*d, *e))
            .map(|(_, _, f)| f),
        None => {
            let ym = (
                i32::from(contract.year()),
                u32::from(contract.month().number()),
            );
            use chrono::Datelike;
            with_dates
                .filter(|(e, _)| (e.year(), e.month()) == ym)
                .max_by_key(|(e, _)| *e)
                .map(|(_, f)| f)
        }
    }
}

/// The inverse of [`match_contract`]: our monthly contract for an IB expiry. With roll parameters,
/// the contract of the priced cycle whose approximate expiry is closest to `expiry` (within 25
/// days); without, the month of the expiry.
pub fn contract_for_expiry(
    expiry: NaiveDate,
    roll: Option<&systrade_model::RollParameters>,
) -> Option<ContractDate> {
    use chrono::Datelike;
    let month_of = |d: NaiveDate| {
        ContractDate::monthly(
            d.year() as u16,
            systrade_model::FuturesMonth::from_number(d.month() as u8),
        )
    };
    let Some(roll) = roll else {
        return Some(month_of(expiry));
    };
    let centre = systrade_model::contract::shift_days(expiry, -roll.expiry_offset);
    (-70..=70)
        .step_by(10)
        .map(|d| month_of(systrade_model::contract::shift_days(centre, d)))
        .filter(|c| roll.priced_cycle.contains(c.month()))
        .map(|c| ((roll.approx_expiry(c) - expiry).num_days().abs(), c))
        .filter(|(d, _)| *d <= 25)
        .min()
        .map(|(_, c)| c)
}

/// Why an IB request failed.
#[derive(Debug, thiserror::Error)]
pub enum IbkrError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error(
        "the Client Portal gateway at {0} has no authenticated session: log in through the gateway's web page, then run again"
    )]
    NotAuthenticated(String),
    #[error("{what}: unexpected answer from the gateway: {message}")]
    Answer { what: String, message: String },
    #[error("{0}")]
    Lookup(String),
}

impl IbkrError {
    /// True when the gateway cannot be used at all (exit code "source unavailable").
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Http(e) => e.is_unavailable(),
            Self::NotAuthenticated(_) => true,
            _ => false,
        }
    }
}

/// A counting semaphore: at most `n` holders at a time.
#[derive(Debug)]
struct Slots {
    free: Mutex<usize>,
    cv: Condvar,
}

impl Slots {
    fn new(n: usize) -> Self {
        Self {
            free: Mutex::new(n.max(1)),
            cv: Condvar::new(),
        }
    }

    fn acquire(&self) -> SlotGuard<'_> {
        let mut free = self
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while *free == 0 {
            free = self
                .cv
                .wait(free)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *free -= 1;
        SlotGuard(self)
    }
}

struct SlotGuard<'a>(&'a Slots);

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        let mut free = self
            .0
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *free += 1;
        self.0.cv.notify_one();
    }
}

/// Client Portal client.
#[derive(Debug)]
pub struct IbkrClient {
    http: HttpClient,
    base: String,
    history_slots: Slots,
    /// Time of day given to daily bars.
    daily_time: NaiveTime,
    reauth: Mutex<()>,
}

#[derive(Debug, Deserialize)]
struct AuthStatus {
    #[serde(default)]
    authenticated: bool,
}

#[derive(Debug, Deserialize)]
struct HistoryBar {
    t: i64,
    #[serde(default = "nan")]
    o: f64,
    #[serde(default = "nan")]
    h: f64,
    #[serde(default = "nan")]
    l: f64,
    #[serde(default = "nan")]
    c: f64,
    #[serde(default = "nan")]
    v: f64,
}

fn nan() -> f64 {
    f64::NAN
}

#[derive(Debug, Deserialize)]
struct History {
    #[serde(default)]
    data: Vec<HistoryBar>,
    #[serde(rename = "barLength", default)]
    bar_length: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct SearchResult {
    conid: serde_json::Value,
}

impl IbkrClient {
    /// `base` such as `https://localhost:5000/v1/api` (no trailing slash needed).
    pub fn new(
        http: HttpClient,
        base: &str,
        max_concurrent_history: usize,
        daily_time: NaiveTime,
    ) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            history_slots: Slots::new(max_concurrent_history),
            daily_time,
            reauth: Mutex::new(()),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<String, HttpError> {
        let url = self.url(path);
        self.http.send(method, &url, &url, body).map(|r| r.body)
    }

    /// Keeps the session alive and makes sure the brokerage session is authenticated: `/tickle`,
    /// `/iserver/auth/status`, and when not authenticated `/iserver/auth/ssodh/init` and a second
    /// status check. A gateway nobody logged in to answers 401: that is [`IbkrError::NotAuthenticated`].
    pub fn ensure_session(&self) -> Result<(), IbkrError> {
        let not_auth = || IbkrError::NotAuthenticated(self.base.clone());
        let unauthorized = |e: &HttpError| e.status() == Some(401);
        match self.call(Method::Post, "/tickle", None) {
            Err(e) if unauthorized(&e) => return Err(not_auth()),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        if self.authenticated()? {
            return Ok(());
        }
        tracing::info!("brokerage session not authenticated; initialising it");
        let body = serde_json::json!({"publish": true, "compete": true});
        match self.call(Method::Post, "/iserver/auth/ssodh/init", Some(&body)) {
            Err(e) if unauthorized(&e) => return Err(not_auth()),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        if self.authenticated()? {
            Ok(())
        } else {
            Err(not_auth())
        }
    }

    fn authenticated(&self) -> Result<bool, IbkrError> {
        match self.call(Method::Post, "/iserver/auth/status", None) {
            Err(e) if e.status() == Some(401) => Ok(false),
            Err(e) => Err(e.into()),
            Ok(body) => {
                let s: AuthStatus = serde_json::from_str(&body).map_err(|e| IbkrError::Answer {
                    what: "/iserver/auth/status".into(),
                    message: e.to_string(),
                })?;
                Ok(s.authenticated)
            }
        }
    }

    /// A call that re-establishes the session once when the gateway answers 401 (expired session).
    fn call_with_reauth(&self, method: Method, path: &str) -> Result<String, IbkrError> {
        match self.call(method, path, None) {
            Err(e) if e.status() == Some(401) => {
                {
                    let _one_at_a_time = self
                        .reauth
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    tracing::warn!(path, "gateway answered 401; re-authenticating");
                    self.ensure_session()?;
                }
                Ok(self.call(method, path, None)?)
            }
            other => Ok(other?),
        }
    }

    /// Non-expired futures of one IB symbol on one exchange (`/trsrv/futures`).
    pub fn futures(&self, symbol: &str, exchange: &str) -> Result<Vec<IbFuture>, IbkrError> {
        let path = format!(
            "/trsrv/futures?symbols={}&exchange={}",
            crate::template::percent_encode(symbol),
            crate::template::percent_encode(exchange)
        );
        let body = self.call_with_reauth(Method::Get, &path)?;
        let mut map: std::collections::BTreeMap<String, Vec<IbFuture>> =
            serde_json::from_str(&body).map_err(|e| IbkrError::Answer {
                what: path.clone(),
                message: e.to_string(),
            })?;
        Ok(map.remove(symbol).unwrap_or_default())
    }

    /// The conid of a currency pair `CCY1.CCY2` (`/iserver/secdef/search?symbol=…&secType=CASH`).
    pub fn fx_conid(&self, ccy1: &str, ccy2: &str) -> Result<i64, IbkrError> {
        let pair = format!("{ccy1}.{ccy2}");
        let path = format!(
            "/iserver/secdef/search?symbol={}&secType=CASH",
            crate::template::percent_encode(&pair)
        );
        let body = self.call_with_reauth(Method::Get, &path)?;
        let results: Vec<SearchResult> =
            serde_json::from_str(&body).map_err(|e| IbkrError::Answer {
                what: path.clone(),
                message: e.to_string(),
            })?;
        results
            .first()
            .and_then(|r| match &r.conid {
                serde_json::Value::Number(n) => n.as_i64(),
                serde_json::Value::String(s) => s.parse().ok(),
                _ => None,
            })
            .ok_or_else(|| IbkrError::Lookup(format!("no IB contract for {pair}")))
    }

    /// Daily bars of one conid over `period` (e.g. `30d`, `1y`), at most `max_concurrent_history` in
    /// flight. Timestamps: the trading date is the UTC date of the bar start shifted 6 hours forward
    /// (Globex sessions open the evening before), at the configured daily time.
    pub fn daily_history(&self, conid: i64, period: &str) -> Result<Vec<Bar>, IbkrError> {
        let path = format!(
            "/iserver/marketdata/history?conid={conid}&period={period}&bar=1d&outsideRth=false"
        );
        let body = {
            let _slot = self.history_slots.acquire();
            self.call_with_reauth(Method::Get, &path)?
        };
        let h: History = serde_json::from_str(&body).map_err(|e| IbkrError::Answer {
            what: path.clone(),
            message: e.to_string(),
        })?;
        if let Some(len) = h.bar_length
            && len < 86_400
        {
            return Err(IbkrError::Answer {
                what: path,
                message: format!("asked for daily bars, got barLength {len}"),
            });
        }
        let mut bars = Vec::with_capacity(h.data.len());
        for b in h.data {
            let start =
                chrono::DateTime::from_timestamp_millis(b.t + 6 * 3_600_000).ok_or_else(|| {
                    IbkrError::Answer {
                        what: path.clone(),
                        message: format!("bar time {} out of range", b.t),
                    }
                })?;
            bars.push(Bar {
                timestamp: Timestamp::from_datetime(start.date_naive().and_time(self.daily_time)),
                open: b.o,
                high: b.h,
                low: b.l,
                close: b.c,
                volume: b.v,
            });
        }
        crate::bar::sort_dedup_bars(&mut bars);
        Ok(bars)
    }

    /// Daily FX rates of `CCY1.CCY2`, inverted when asked (`USD.CAD` → CADUSD).
    pub fn daily_fx(&self, fx: &IbkrFx, period: &str) -> Result<Vec<FxPoint>, IbkrError> {
        let conid = self.fx_conid(&fx.ccy1, &fx.ccy2)?;
        Ok(self
            .daily_history(conid, period)?
            .into_iter()
            .map(|b| FxPoint {
                timestamp: b.timestamp,
                rate: if fx.invert { 1.0 / b.close } else { b.close },
            })
            .collect())
    }
}

/// The `period` to ask for: enough days to cover `days` (`{n}d` up to 1000 days, else years, at
/// most 15).
pub fn history_period(days: i64) -> String {
    let days = days.max(1);
    if days <= 1000 {
        format!("{days}d")
    } else {
        format!("{}y", (days / 365 + 1).min(15))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_files() {
        let text = "Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IgnoreWeekly\n\
                    CORN,ZC,CBOT,NA,5000,100,FALSE\nVIX,VIX,CFE,USD,1000,1,TRUE\n";
        let m = parse_ibkr_instruments("ibkr.csv", text).unwrap();
        assert_eq!(m[0].currency, None);
        assert_eq!(m[0].multiplier / m[0].price_magnifier, 50.0);
        assert!(m[1].ignore_weekly);
        let bad = "Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IgnoreWeekly\n\
                   CORN,ZC,CBOT,NA,lots,100,FALSE\n";
        let e = parse_ibkr_instruments("ibkr.csv", bad)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "ibkr.csv: line 2, field IBMultiplier: 'lots' is not a positive number"
        );
        let fx = parse_ibkr_fx("fx.csv", "CODE,CCY1,CCY2,INVERT\nCADUSD,USD,CAD,YES\n").unwrap();
        assert!(fx[0].invert);
    }

    #[test]
    fn contract_matching() {
        let listed = [
            IbFuture {
                conid: 1,
                expiration_date: 20241120,
            },
            IbFuture {
                conid: 2,
                expiration_date: 20241219,
            },
            IbFuture {
                conid: 3,
                expiration_date: 20241220,
            },
        ];
        let dec = ContractDate::from_id(20241200).unwrap();
        // Crude style: expiry ≈ Dec 1 − 11 days.
        let crude = match_contract(&listed, dec, NaiveDate::from_ymd_opt(2024, 11, 20));
        assert_eq!(crude.map(|f| f.conid), Some(1));
        // No roll config: the last expiry in December.
        assert_eq!(match_contract(&listed, dec, None).map(|f| f.conid), Some(3));
        let weekly = ContractDate::from_id(20241219).unwrap();
        assert_eq!(
            match_contract(&listed, weekly, None).map(|f| f.conid),
            Some(2)
        );
        let far = ContractDate::from_id(20250600).unwrap();
        assert!(match_contract(&listed, far, NaiveDate::from_ymd_opt(2025, 6, 15)).is_none());
    }

    #[test]
    fn expiry_to_contract() {
        let roll = systrade_model::RollParameters {
            instrument: systrade_model::InstrumentCode::new("CRUDE_W").unwrap(),
            hold_cycle: "Z".parse().unwrap(),
            priced_cycle: "FGHJKMNQUVXZ".parse().unwrap(),
            roll_offset_days: -5,
            carry_offset: systrade_model::CarryOffset::Next,
            expiry_offset: -11,
        };
        let nov20 = NaiveDate::from_ymd_opt(2024, 11, 20).unwrap();
        assert_eq!(
            contract_for_expiry(nov20, Some(&roll)).map(|c| c.id()),
            Some(20241200)
        );
        assert_eq!(
            contract_for_expiry(nov20, None).map(|c| c.id()),
            Some(20241100)
        );
        let quarterly = systrade_model::RollParameters {
            priced_cycle: "HMUZ".parse().unwrap(),
            expiry_offset: 14,
            ..roll
        };
        let mar14 = NaiveDate::from_ymd_opt(2024, 3, 14).unwrap();
        assert_eq!(
            contract_for_expiry(mar14, Some(&quarterly)).map(|c| c.id()),
            Some(20240300)
        );
        let may = NaiveDate::from_ymd_opt(2025, 5, 14).unwrap();
        assert_eq!(contract_for_expiry(may, Some(&quarterly)), None);
    }

    #[test]
    fn periods() {
        assert_eq!(history_period(0), "1d");
        assert_eq!(history_period(400), "400d");
        assert_eq!(history_period(2000), "6y");
        assert_eq!(history_period(100_000), "15y");
    }
}
