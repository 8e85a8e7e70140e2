//! FX rates converting an instrument's currency into the account's base currency (spec §3.1,
//! pysystemtrade `sysdata/fx/spotfx.py`). Stored FX series are `<CCY>USD` (USD per one unit of
//! CCY) on their own timestamps (some days carry two stamps), so FX stays timestamped
//! ([`FxRates`]) and is aligned onto daily indexes only where it is used ([`fx_on_dates`]).

use chrono::NaiveDate;
use systrade_model::{FxRates, Timestamp};
use systrade_series::index::union;
use systrade_series::{DailySeries, ffill};
use systrade_series::{reindex, reindex_ffill};

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
    usd_rate: impl Fn(&str) -> Option<&'a FxRates>,
    unity_index: &[Timestamp],
) -> Option<FxRates> {
    if instrument_ccy == base_ccy {
        return Some(FxRates::new(
            unity_index.to_vec(),
            vec![1.0; unity_index.len()],
        ));
    }
    if base_ccy == "USD" {
        return usd_rate(instrument_ccy).cloned();
    }
    if instrument_ccy == "USD" {
        let b = usd_rate(base_ccy)?;
        return Some(FxRates::new(
            b.timestamps.clone(),
            b.values.iter().map(|v| 1.0 / v).collect(),
        ));
    }
    let c = usd_rate(instrument_ccy)?;
    let b = usd_rate(base_ccy)?;
    Some(cross(c, b))
}

/// The rate for an instrument already in the base currency: 1.0 on every business day from
/// 1970-01-01 to `until` (pysystemtrade's unity FX series). Use as `unity_index` of
/// [`fx_rate_to_base`].
pub fn unity_fx_index(until: NaiveDate) -> Vec<Timestamp> {
    let start = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    systrade_series::business_days(start, until)
        .into_iter()
        .map(Timestamp::from_date)
        .collect()
}

/// `CUSD / BUSD` on the outer join of both indexes, each forward-filled.
pub fn cross(c_usd: &FxRates, b_usd: &FxRates) -> FxRates {
    let stamps = union(&c_usd.timestamps, &b_usd.timestamps);
    let c = ffill(&reindex(&c_usd.timestamps, &c_usd.values, &stamps));
    let b = ffill(&reindex(&b_usd.timestamps, &b_usd.values, &stamps));
    let values = c.iter().zip(&b).map(|(x, y)| x / y).collect();
    FxRates::new(stamps, values)
}

/// pandas `fx.reindex(dates, method="ffill")` for a daily index (dates are midnight timestamps):
/// the last rate stamped at or before midnight of each date.
pub fn fx_on_dates(fx: &FxRates, dates: &[NaiveDate]) -> DailySeries {
    let targets: Vec<Timestamp> = dates.iter().map(|d| Timestamp::from_date(*d)).collect();
    DailySeries::new(
        dates.to_vec(),
        reindex_ffill(&fx.timestamps, &fx.values, &targets),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn t(day: u32, hour: u32) -> Timestamp {
        Timestamp::from_datetime(
            NaiveDate::from_ymd_opt(2024, 1, day)
                .unwrap()
                .and_hms_opt(hour, 0, 0)
                .unwrap(),
        )
    }

    #[test]
    fn conversions_via_usd() {
        let mut rates = HashMap::new();
        rates.insert(
            "GBP",
            FxRates::new(vec![t(2, 0), t(3, 0)], vec![1.25, 1.28]),
        );
        rates.insert("EUR", FxRates::new(vec![t(2, 0), t(4, 0)], vec![1.1, 1.12]));
        let get = |c: &str| rates.get(c);
        let same = fx_rate_to_base("GBP", "GBP", get, &[t(2, 0)]).unwrap();
        assert_eq!(same.values, vec![1.0]);
        let to_usd = fx_rate_to_base("GBP", "USD", get, &[]).unwrap();
        assert_eq!(to_usd.values, vec![1.25, 1.28]);
        let usd_to_gbp = fx_rate_to_base("USD", "GBP", get, &[]).unwrap();
        assert_eq!(usd_to_gbp.values, vec![1.0 / 1.25, 1.0 / 1.28]);
        let eur_to_gbp = fx_rate_to_base("EUR", "GBP", get, &[]).unwrap();
        assert_eq!(eur_to_gbp.timestamps, vec![t(2, 0), t(3, 0), t(4, 0)]);
        assert_eq!(eur_to_gbp.values, vec![1.1 / 1.25, 1.1 / 1.28, 1.12 / 1.28]);
        assert!(fx_rate_to_base("JPY", "GBP", get, &[]).is_none());
    }

    #[test]
    fn unity_index_starts_on_the_first_business_day_of_1970() {
        let ix = unity_fx_index(NaiveDate::from_ymd_opt(1970, 1, 9).unwrap());
        assert_eq!(ix.len(), 7);
        assert_eq!(
            ix[0],
            Timestamp::from_date(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
        );
    }

    #[test]
    fn daily_alignment_takes_the_last_stamp_up_to_midnight() {
        let fx = FxRates::new(vec![t(2, 0), t(2, 23), t(4, 0)], vec![1.0, 2.0, 3.0]);
        let d = |day| NaiveDate::from_ymd_opt(2024, 1, day).unwrap();
        let on = fx_on_dates(&fx, &[d(1), d(2), d(3), d(4)]);
        assert!(on.values[0].is_nan());
        assert_eq!(&on.values[1..], &[1.0, 2.0, 3.0]);
    }
}
