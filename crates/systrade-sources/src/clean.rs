//! Cleaning fetched bars before they are merged (spec §4.3 item 3, pysystemtrade's daily defaults
//! `ignore_future_prices`, `ignore_zero_prices`, `ignore_prices_with_zero_volumes_daily` off by default,
//! negative prices kept).

use crate::bar::{Bar, FxPoint};
use chrono::NaiveDate;

/// What to drop.
#[derive(Debug, Clone, Copy)]
pub struct CleanOptions {
    /// Today's date: bars dated after it are future-dated (a daily bar stamped 23:00 today is not).
    pub today: NaiveDate,
    /// Also drop bars whose volume is zero.
    pub drop_zero_volume: bool,
}

/// How many bars each rule dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanReport {
    pub future_dated: usize,
    pub zero_price: usize,
    pub missing_close: usize,
    pub zero_volume: usize,
}

impl CleanReport {
    pub fn dropped(&self) -> usize {
        self.future_dated + self.zero_price + self.missing_close + self.zero_volume
    }

    pub fn add(&mut self, other: &Self) {
        self.future_dated += other.future_dated;
        self.zero_price += other.zero_price;
        self.missing_close += other.missing_close;
        self.zero_volume += other.zero_volume;
    }
}

/// Drops future-dated bars, bars without a close, bars whose close is exactly zero and, when asked,
/// zero-volume bars (a missing volume is not zero). Order is kept.
pub fn clean_bars(bars: &[Bar], opts: &CleanOptions) -> (Vec<Bar>, CleanReport) {
    let mut report = CleanReport::default();
    let kept = bars
        .iter()
        .filter(|b| {
            if b.timestamp.date() > opts.today {
                report.future_dated += 1;
                false
            } else if b.close.is_nan() {
                report.missing_close += 1;
                false
            } else if b.close == 0.0 {
                report.zero_price += 1;
                false
            } else if opts.drop_zero_volume && b.volume == 0.0 {
                report.zero_volume += 1;
                false
            } else {
                true
            }
        })
        .copied()
        .collect();
    (kept, report)
}

/// Drops future-dated, missing, zero and negative FX rates (a rate is USD per unit: never ≤ 0).
pub fn clean_fx(points: &[FxPoint], today: NaiveDate) -> (Vec<FxPoint>, CleanReport) {
    let mut report = CleanReport::default();
    let kept = points
        .iter()
        .filter(|p| {
            if p.timestamp.date() > today {
                report.future_dated += 1;
                false
            } else if p.rate.is_nan() {
                report.missing_close += 1;
                false
            } else if p.rate <= 0.0 {
                report.zero_price += 1;
                false
            } else {
                true
            }
        })
        .copied()
        .collect();
    (kept, report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use systrade_model::Timestamp;

    fn bar(t: &str, close: f64, volume: f64) -> Bar {
        Bar {
            timestamp: Timestamp::parse(t).unwrap(),
            open: close,
            high: close,
            low: close,
            close,
            volume,
        }
    }

    #[test]
    fn drops_future_zero_and_missing() {
        let today = NaiveDate::from_ymd_opt(2024, 1, 3).unwrap();
        let bars = [
            bar("2024-01-01 23:00:00", 1.0, 0.0),
            bar("2024-01-02 23:00:00", 0.0, 5.0),
            bar("2024-01-02 23:30:00", f64::NAN, 5.0),
            bar("2024-01-03 23:00:00", -2.0, f64::NAN),
            bar("2024-01-04 23:00:00", 3.0, 5.0),
        ];
        let (kept, r) = clean_bars(
            &bars,
            &CleanOptions {
                today,
                drop_zero_volume: false,
            },
        );
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[1].close, -2.0);
        assert_eq!(
            r,
            CleanReport {
                future_dated: 1,
                zero_price: 1,
                missing_close: 1,
                zero_volume: 0
            }
        );
        let (kept, r) = clean_bars(
            &bars,
            &CleanOptions {
                today,
                drop_zero_volume: true,
            },
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(r.zero_volume, 1);
        assert_eq!(r.dropped(), 4);
    }
}
