//! Contract lookup endpoints: the non-expired futures of a symbol (`GET /trsrv/futures`), one
//! contract's details (`GET /iserver/contract/{conid}/info`: multiplier, currency, contract month,
//! local symbol), the futures of one contract month (`GET /iserver/secdef/info?…&month=DEC26`),
//! the contract months IB offers for a symbol (`GET /iserver/secdef/search?symbol=CL&secType=FUT`)
//! and a currency pair's conid (`GET /iserver/secdef/search?symbol=EUR.USD&secType=CASH`).

use crate::error::IbkrError;
use crate::gateway::{Gateway, encode};
use crate::json;
use chrono::NaiveDate;
use serde_json::Value;
use systrade_model::{ContractDate, FuturesMonth};

/// One non-expired future as `/trsrv/futures` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedFuture {
    pub conid: i64,
    /// `expirationDate`.
    pub expiry: NaiveDate,
    /// The underlying's conid (for `/iserver/secdef/info`), when given.
    pub underlying_conid: Option<i64>,
}

/// What `/iserver/contract/{conid}/info` says about a future.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractDetails {
    pub conid: i64,
    pub symbol: Option<String>,
    /// `local_symbol` (`CLZ4`, `VXZ4`, `VX51Z4`).
    pub local_symbol: Option<String>,
    /// `contract_month` (`202412`) as a monthly contract date: for crude oil the month after the
    /// expiry's.
    pub contract_month: Option<ContractDate>,
    /// `expiry_full` or `maturity_date`.
    pub expiry: Option<NaiveDate>,
    pub multiplier: Option<f64>,
    pub currency: Option<String>,
    pub exchange: Option<String>,
}

/// One future of `/iserver/secdef/info` for a contract month.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthFuture {
    pub conid: i64,
    /// `maturityDate`.
    pub expiry: Option<NaiveDate>,
    pub currency: Option<String>,
    pub exchange: Option<String>,
}

/// `DEC26` for December 2026: the month spelling of `/iserver/secdef/info`.
pub fn month_code(month: ContractDate) -> String {
    const NAMES: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    format!(
        "{}{:02}",
        NAMES[usize::from(month.month().number()) - 1],
        month.year() % 100
    )
}

/// `DEC26` → December 2026 (the month spelling of `/iserver/secdef/search` and `secdef/info`).
pub fn parse_month_code(code: &str) -> Option<ContractDate> {
    const NAMES: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    let code = code.trim().to_ascii_uppercase();
    if code.len() != 5 || !code.is_ascii() {
        return None;
    }
    let month = NAMES.iter().position(|n| *n == &code[..3])?;
    let yy: u16 = code[3..].parse().ok()?;
    Some(ContractDate::monthly(
        2000 + yy,
        FuturesMonth::from_number(u8::try_from(month + 1).ok()?),
    ))
}

/// The futures entry of `/iserver/secdef/search` for one symbol on one exchange: the underlying's
/// conid and the contract months IB offers.
#[derive(Debug, Clone, PartialEq)]
pub struct FuturesUnderlying {
    pub conid: Option<i64>,
    /// IB's contract months (`sections[].months`, `DEC24;JAN25`), sorted.
    pub months: Vec<ContractDate>,
}

fn monthly(yyyymm: i64) -> Option<ContractDate> {
    let year = u16::try_from(yyyymm / 100).ok()?;
    let month = u8::try_from(yyyymm % 100)
        .ok()
        .filter(|m| (1..=12).contains(m))?;
    Some(ContractDate::monthly(
        year,
        FuturesMonth::from_number(month),
    ))
}

impl Gateway {
    /// Non-expired futures of one IB symbol on one exchange (`/trsrv/futures`), by expiry.
    pub fn futures(&self, symbol: &str, exchange: &str) -> Result<Vec<ListedFuture>, IbkrError> {
        let path = format!(
            "/trsrv/futures?symbols={}&exchange={}",
            encode(symbol),
            encode(exchange)
        );
        let v = self.get(&path)?;
        let Some(map) = v.as_object() else {
            return Err(IbkrError::protocol(&path, "not an object by symbol"));
        };
        let mut out = Vec::new();
        for f in map
            .get(symbol)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(conid), Some(expiry)) = (
                json::int(f.get("conid")),
                json::date(f.get("expirationDate")),
            ) else {
                return Err(IbkrError::protocol(
                    &path,
                    format!("future without conid or expiry: {f}"),
                ));
            };
            out.push(ListedFuture {
                conid,
                expiry,
                underlying_conid: json::int(f.get("underlyingConid")),
            });
        }
        out.sort_by_key(|f| (f.expiry, f.conid));
        Ok(out)
    }

    /// One contract's details (`/iserver/contract/{conid}/info`).
    pub fn contract_details(&self, conid: i64) -> Result<ContractDetails, IbkrError> {
        let path = format!("/iserver/contract/{conid}/info");
        let v = self.get(&path)?;
        if !v.is_object() {
            return Err(IbkrError::protocol(&path, "not an object"));
        }
        Ok(ContractDetails {
            conid: json::int(v.get("con_id")).unwrap_or(conid),
            symbol: json::text(v.get("symbol")),
            local_symbol: json::text(v.get("local_symbol")),
            contract_month: json::int(v.get("contract_month")).and_then(monthly),
            expiry: json::date(v.get("expiry_full")).or_else(|| json::date(v.get("maturity_date"))),
            multiplier: json::number(v.get("multiplier")),
            currency: json::text(v.get("currency")),
            exchange: json::text(v.get("exchange")),
        })
    }

    /// The futures of one contract month of an underlying (`/iserver/secdef/info?conid=…&
    /// sectype=FUT&month=DEC26&exchange=…`): IB's own contract month, which for crude-style
    /// contracts is not the expiry's month.
    pub fn futures_of_month(
        &self,
        underlying_conid: i64,
        exchange: &str,
        month: ContractDate,
    ) -> Result<Vec<MonthFuture>, IbkrError> {
        let path = format!(
            "/iserver/secdef/info?conid={underlying_conid}&sectype=FUT&month={}&exchange={}",
            month_code(month),
            encode(exchange)
        );
        let v = self.get(&path)?;
        let list = match &v {
            Value::Array(a) => a.clone(),
            Value::Object(_) => vec![v.clone()],
            _ => return Err(IbkrError::protocol(&path, "not a list")),
        };
        Ok(list
            .iter()
            .filter_map(|f| {
                Some(MonthFuture {
                    conid: json::int(f.get("conid"))?,
                    expiry: json::date(f.get("maturityDate")),
                    currency: json::text(f.get("currency")),
                    exchange: json::text(f.get("exchange")),
                })
            })
            .collect())
    }

    /// The futures underlying `symbol` on `exchange` (`/iserver/secdef/search?symbol=…&
    /// secType=FUT`): the entry with a `FUT` section on that exchange (`exchange` may list several,
    /// `;`-separated); `None` when IB has none.
    pub fn futures_underlying(
        &self,
        symbol: &str,
        exchange: &str,
    ) -> Result<Option<FuturesUnderlying>, IbkrError> {
        let path = format!(
            "/iserver/secdef/search?symbol={}&secType=FUT",
            encode(symbol)
        );
        let v = self.get(&path)?;
        let Some(list) = v.as_array() else {
            return Err(IbkrError::protocol(&path, "not a list"));
        };
        let on_exchange = |s: &Value| {
            s.get("secType").and_then(Value::as_str) == Some("FUT")
                && s.get("exchange").and_then(Value::as_str).is_some_and(|e| {
                    e.split(';')
                        .any(|x| x.trim().eq_ignore_ascii_case(exchange))
                })
        };
        for entry in list {
            let sections: Vec<&Value> = entry
                .get("sections")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|s| on_exchange(s))
                .collect();
            if sections.is_empty() {
                continue;
            }
            let mut months: Vec<ContractDate> = sections
                .iter()
                .filter_map(|s| s.get("months").and_then(Value::as_str))
                .flat_map(|m| m.split(';'))
                .filter_map(parse_month_code)
                .collect();
            months.sort();
            months.dedup();
            return Ok(Some(FuturesUnderlying {
                conid: json::int(entry.get("conid")),
                months,
            }));
        }
        Ok(None)
    }

    /// The conid of a currency pair `CCY1.CCY2`
    /// (`/iserver/secdef/search?symbol=CCY1.CCY2&secType=CASH`).
    pub fn fx_conid(&self, pair: &str) -> Result<i64, IbkrError> {
        let path = format!(
            "/iserver/secdef/search?symbol={}&secType=CASH",
            encode(pair)
        );
        let v = self.get(&path)?;
        v.as_array()
            .and_then(|a| a.first())
            .and_then(|r| json::int(r.get("conid")))
            .ok_or_else(|| IbkrError::Lookup(format!("no IB contract for {pair}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_codes() {
        assert_eq!(
            month_code(ContractDate::from_id(20261200).unwrap()),
            "DEC26"
        );
        assert_eq!(
            month_code(ContractDate::from_id(20240315).unwrap()),
            "MAR24"
        );
        assert_eq!(monthly(202412), ContractDate::from_id(20241200).ok());
        assert_eq!(monthly(202413), None);
        assert_eq!(
            parse_month_code("dec26"),
            ContractDate::from_id(20261200).ok()
        );
        assert_eq!(
            parse_month_code("MAR24"),
            ContractDate::from_id(20240300).ok()
        );
        assert_eq!(parse_month_code("XYZ24"), None);
        assert_eq!(parse_month_code("DEC2"), None);
    }
}
