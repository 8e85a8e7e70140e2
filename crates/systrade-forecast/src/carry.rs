//! Carry inputs from multiple prices (spec §3.2 "Carry inputs", `sysobjects/carry_data.py`).

use systrade_model::{CALENDAR_DAYS_IN_YEAR, CarryPrices, ROOT_BUSINESS_DAYS_IN_YEAR, Timestamp};
use systrade_series::align::binary_op;
use systrade_series::{DailySeries, resample_business_day_mean};

/// Carry series at the multiple prices' own timestamps (duplicates removed, last kept).
#[derive(Debug, Clone, PartialEq)]
pub struct CarryInputs {
    pub timestamps: Vec<Timestamp>,
    /// `PRICE − CARRY`, exact zeros set to NaN.
    pub raw_futures_roll: Vec<f64>,
    /// `frac(CARRY_CONTRACT) − frac(PRICE_CONTRACT)` in years, absolute value at least 1/365.25.
    pub roll_differentials: Vec<f64>,
    /// `raw_futures_roll / roll_differentials`.
    pub annualised_roll: Vec<f64>,
}

/// Smallest absolute roll differential: one calendar day in years.
pub const MIN_ROLL_DIFFERENTIAL: f64 = 1.0 / CALENDAR_DAYS_IN_YEAR;

/// Raw roll, roll differential and annualised roll (spec §3.2):
/// `raw_futures_roll = PRICE − CARRY` (0 → NaN);
/// `roll_differential = frac(CARRY_CONTRACT) − frac(PRICE_CONTRACT)` with
/// `frac(id) = floor(id/10000) + ((id mod 10000)/100)/12` ([`systrade_model::ContractDate::year_fraction`]);
/// where `|roll_differential| < 1/365.25` it becomes `±1/365.25` (sign kept, `+` for zero);
/// `annualised_roll = raw_futures_roll / roll_differential` (positive = backwardation for either
/// carry offset). Rows with a repeated timestamp keep only the last.
pub fn carry_inputs(prices: &CarryPrices) -> CarryInputs {
    // Row indices, a repeated timestamp keeping its last row.
    let mut rows: Vec<usize> = Vec::with_capacity(prices.len());
    for (i, t) in prices.timestamps.iter().enumerate() {
        match rows.last_mut() {
            Some(last) if prices.timestamps[*last] == *t => *last = i,
            _ => rows.push(i),
        }
    }
    let timestamps = rows.iter().map(|&i| prices.timestamps[i]).collect();
    let raw_futures_roll: Vec<f64> = rows
        .iter()
        .map(|&i| {
            let x = prices.price[i] - prices.carry[i];
            if x == 0.0 { f64::NAN } else { x }
        })
        .collect();
    let roll_differentials: Vec<f64> = rows
        .iter()
        .map(|&i| {
            let d =
                prices.carry_contract[i].year_fraction() - prices.price_contract[i].year_fraction();
            if d.abs() < MIN_ROLL_DIFFERENTIAL {
                MIN_ROLL_DIFFERENTIAL.copysign(d)
            } else {
                d
            }
        })
        .collect();
    let annualised_roll = raw_futures_roll
        .iter()
        .zip(&roll_differentials)
        .map(|(r, d)| r / d)
        .collect();
    CarryInputs {
        timestamps,
        raw_futures_roll,
        roll_differentials,
        annualised_roll,
    }
}

impl CarryInputs {
    /// `daily_annualised_roll`: the annualised roll resampled to business days by **mean**.
    pub fn daily_annualised_roll(&self) -> DailySeries {
        resample_business_day_mean(&self.timestamps, &self.annualised_roll)
    }
}

/// `raw_carry = daily_annualised_roll / (daily_returns_volatility × 16)` on the union of both
/// indices (annualised roll in units of annualised volatility).
pub fn raw_carry(daily_annualised_roll: &DailySeries, daily_vol: &DailySeries) -> DailySeries {
    binary_op(daily_annualised_roll, daily_vol, |roll, vol| {
        roll / (vol * ROOT_BUSINESS_DAYS_IN_YEAR)
    })
}

/// `smoothed_carry(smooth_days) = raw_carry.ewm(com = smooth_days).mean()`.
pub fn smoothed_carry(raw_carry: &DailySeries, smooth_days: f64) -> DailySeries {
    raw_carry.with_values(crate::rules::carry(&raw_carry.values, smooth_days))
}

/// Smoothing of the raw carries whose median is an asset class's carry (`ewm(com = 90)`).
pub const ASSET_CLASS_CARRY_SMOOTH_DAYS: f64 = 90.0;

/// The median carry of one asset class (`rawdata._by_asset_class_median_carry_for_asset_class`,
/// `systems/rawdata.py`): the instruments' raw carries concatenated on the union of their dates,
/// each column smoothed there with `ewm(com = 90).mean()` (so an instrument whose carry ends early
/// keeps its last smoothed value on the later dates), then the median per date of the non-NaN
/// values. Computed once per class; [`median_carry_for_asset_class`] aligns it to an instrument.
pub fn asset_class_median_carry(raw_carries: &[&DailySeries]) -> DailySeries {
    let (dates, cols) = systrade_series::align::align_union(raw_carries);
    let smoothed: Vec<DailySeries> = cols
        .into_iter()
        .map(|c| {
            DailySeries::new(
                dates.clone(),
                crate::rules::carry(&c, ASSET_CLASS_CARRY_SMOOTH_DAYS),
            )
        })
        .collect();
    let refs: Vec<&DailySeries> = smoothed.iter().collect();
    crate::rawdata::cross_sectional_median(&refs)
}

/// `median_carry_for_asset_class` of one instrument: its class's [`asset_class_median_carry`] as
/// of each date of `index` (the instrument's raw carry: reindexed with forward fill, then
/// forward-filled).
pub fn median_carry_for_asset_class(
    class_median: &DailySeries,
    index: &DailySeries,
) -> DailySeries {
    systrade_series::align::asof(class_median, index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use systrade_model::{ContractDate, MultiplePricesRow};

    fn row(ts: &str, price: f64, pc: i64, carry: f64, cc: i64) -> MultiplePricesRow {
        MultiplePricesRow {
            timestamp: Timestamp::parse(ts).unwrap(),
            price,
            price_contract: ContractDate::from_id(pc).unwrap(),
            forward: f64::NAN,
            forward_contract: ContractDate::from_id(pc).unwrap(),
            carry,
            carry_contract: ContractDate::from_id(cc).unwrap(),
        }
    }

    #[test]
    fn roll_and_differential_by_hand() {
        let m = [
            // CORN-like: carry is the previous (nearer) contract, in backwardation.
            row("2023-08-17 19:00:00", 500.0, 20231200, 520.0, 20230900),
            row("2023-08-17 19:00:00", 501.0, 20231200, 521.0, 20230900),
            // Same contract: differential floored at +1/365.25; zero roll → NaN.
            row("2023-08-18 19:00:00", 100.0, 20231200, 100.0, 20231200),
            row("2023-08-21 19:00:00", 100.0, 20231200, 99.0, 20240300),
        ];
        let c = carry_inputs(&CarryPrices::from(&m[..]));
        assert_eq!(c.timestamps.len(), 3, "duplicate timestamp dropped");
        // frac(20230900) = 2023.75, frac(20231200) = 2024.0 → −0.25; roll −20 → +80 per year.
        assert_eq!(c.raw_futures_roll[0], -20.0);
        assert_eq!(c.roll_differentials[0], 2023.75 - 2024.0);
        assert_eq!(c.annualised_roll[0], 80.0);
        assert!(c.raw_futures_roll[1].is_nan());
        assert_eq!(c.roll_differentials[1], 1.0 / 365.25);
        assert_eq!(c.roll_differentials[2], 0.25);
        assert_eq!(c.annualised_roll[2], 4.0);
        let daily = c.daily_annualised_roll();
        assert_eq!(daily.len(), 3);
        let vol = daily.with_values(vec![1.0, 1.0, 0.5]);
        let rc = raw_carry(&daily, &vol);
        assert_eq!(rc.values[0], 5.0);
        assert!(rc.values[1].is_nan());
        assert_eq!(rc.values[2], 0.5);
    }
}
