//! FX rates converting an instrument's currency into the account's base currency (spec §3.1,
//! pysystemtrade `sysdata/fx/spotfx.py`). Stored FX series are `<CCY>USD`: USD per one unit of CCY.

use crate::align::union;
use chrono::NaiveDate;
use systrade_series::{DailySeries as Series, ffill, reindex, reindex_ffill};

/// The rate that multiplies an amount in `instrument_ccy` to give `base_ccy`:
/// - same currency: 1.0 on `unity_index` (pysystemtrade uses business days from 1970);
/// - base USD: the stored `CUSD`;
/// - instrument USD: `1 / BUSD`;
/// - otherwise the cross `CUSD / BUSD` after outer-joining and forward-filling both.
///
/// `usd_rate(ccy)` returns the stored `<ccy>USD` series. `None` when a needed series is missing.
pub fn fx_rate_to_base<'a>(
    instrument_ccy: &str,
    base_ccy: &str,
    usd_rate: impl Fn(&str) -> Option<&'a Series>,
    unity_index: &[NaiveDate],
) -> Option<Series> {
    if instrument_ccy == base_ccy {
        return Some(Series::new(
            unity_index.to_vec(),
            vec![1.0; unity_index.len()],
        ));
    }
    if base_ccy == "USD" {
        return usd_rate(instrument_ccy).cloned();
    }
    if instrument_ccy == "USD" {
        let b = usd_rate(base_ccy)?;
        return Some(Series::new(
            b.dates.clone(),
            b.values.iter().map(|v| 1.0 / v).collect(),
        ));
    }
    let c = usd_rate(instrument_ccy)?;
    let b = usd_rate(base_ccy)?;
    Some(cross(c, b))
}

/// `CUSD / BUSD` on the outer join of both indexes, each forward-filled.
pub fn cross(c_usd: &Series, b_usd: &Series) -> Series {
    let dates = union(&c_usd.dates, &b_usd.dates);
    let c = ffill(&exact(c_usd, &dates));
    let b = ffill(&exact(b_usd, &dates));
    let values = c.iter().zip(&b).map(|(x, y)| x / y).collect();
    Series::new(dates, values)
}

fn exact(s: &Series, dates: &[NaiveDate]) -> Vec<f64> {
    reindex(&s.dates, &s.values, dates)
}

/// Convenience: an FX series aligned to `index` with `reindex(method="ffill")`.
pub fn fx_on_index(fx: &Series, index: &[NaiveDate]) -> Vec<f64> {
    reindex_ffill(&fx.dates, &fx.values, index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, day).unwrap()
    }

    #[test]
    fn conversions_via_usd() {
        let mut rates = HashMap::new();
        rates.insert("GBP", Series::new(vec![d(2), d(3)], vec![1.25, 1.28]));
        rates.insert("EUR", Series::new(vec![d(2), d(4)], vec![1.1, 1.12]));
        let get = |c: &str| rates.get(c);
        let same = fx_rate_to_base("GBP", "GBP", get, &[d(2)]).unwrap();
        assert_eq!(same.values, vec![1.0]);
        let to_usd = fx_rate_to_base("GBP", "USD", get, &[]).unwrap();
        assert_eq!(to_usd.values, vec![1.25, 1.28]);
        let usd_to_gbp = fx_rate_to_base("USD", "GBP", get, &[]).unwrap();
        assert_eq!(usd_to_gbp.values, vec![1.0 / 1.25, 1.0 / 1.28]);
        let eur_to_gbp = fx_rate_to_base("EUR", "GBP", get, &[]).unwrap();
        assert_eq!(eur_to_gbp.dates, vec![d(2), d(3), d(4)]);
        assert_eq!(eur_to_gbp.values, vec![1.1 / 1.25, 1.1 / 1.28, 1.12 / 1.28]);
        assert!(fx_rate_to_base("JPY", "GBP", get, &[]).is_none());
    }
}
