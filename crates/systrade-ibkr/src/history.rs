//! Daily bars: `GET /iserver/marketdata/history?conid=…&period=…&bar=1d&outsideRth=false`, at most
//! `max_concurrent_history` requests in flight (IB's limit is 5; beyond it IB answers 429, which
//! is retried with backoff).

use crate::error::IbkrError;
use crate::gateway::Gateway;
use crate::json;
use crate::units::IbPrice;
use chrono::NaiveDate;
use serde_json::Value;

/// One daily bar in the gateway's units. `date` is the trading date: the UTC date of the bar's
/// start shifted 6 hours forward (Globex sessions open the evening before). Missing values are NaN.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IbBar {
    pub date: NaiveDate,
    pub open: IbPrice,
    pub high: IbPrice,
    pub low: IbPrice,
    pub close: IbPrice,
    pub volume: f64,
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

impl Gateway {
    /// Daily bars of one conid over `period` (e.g. `30d`, `1y`), sorted by date, one per date.
    pub fn daily_history(&self, conid: i64, period: &str) -> Result<Vec<IbBar>, IbkrError> {
        let path = format!(
            "/iserver/marketdata/history?conid={conid}&period={period}&bar=1d&outsideRth=false"
        );
        let v = self.with_history_slot(|| self.get(&path))?;
        if let Some(len) = json::int(v.get("barLength"))
            && len < 86_400
        {
            return Err(IbkrError::protocol(
                &path,
                format!("asked for daily bars, got barLength {len}"),
            ));
        }
        let data = match v.get("data") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(a)) => a,
            Some(_) => return Err(IbkrError::protocol(&path, "data is not a list")),
        };
        let price =
            |b: &Value, k: &str| IbPrice::from_gateway(json::number(b.get(k)).unwrap_or(f64::NAN));
        let mut bars = Vec::with_capacity(data.len());
        for b in data {
            let t = json::int(b.get("t"))
                .ok_or_else(|| IbkrError::protocol(&path, format!("bar without time: {b}")))?;
            let start = chrono::DateTime::from_timestamp_millis(t + 6 * 3_600_000)
                .ok_or_else(|| IbkrError::protocol(&path, format!("bar time {t} out of range")))?;
            bars.push(IbBar {
                date: start.date_naive(),
                open: price(b, "o"),
                high: price(b, "h"),
                low: price(b, "l"),
                close: price(b, "c"),
                volume: json::number(b.get("v")).unwrap_or(f64::NAN),
            });
        }
        // One bar per date, the last one sent winning.
        bars.reverse();
        bars.sort_by_key(|b| b.date);
        bars.dedup_by_key(|b| b.date);
        Ok(bars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        assert_eq!(history_period(0), "1d");
        assert_eq!(history_period(400), "400d");
        assert_eq!(history_period(2000), "6y");
        assert_eq!(history_period(100_000), "15y");
    }
}
