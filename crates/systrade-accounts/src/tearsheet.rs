//! What a tear sheet shows of a daily return series beyond [`crate::stats::stats`]: returns per
//! month and per year, the worst drawdown periods and the rolling Sharpe ratio. Pure functions on
//! percent-of-capital returns (one value per business day, NaN = no value); curves are additive
//! (`cumsum`), as pysystemtrade's account curves at fixed capital.
//!
//! - [`monthly_returns`], [`annual_returns`]: pysystemtrade
//!   `pandlCalculation.as_pd_series_for_frequency` (`systems/accounts/pandl_calculators/
//!   pandl_generic_costs.py`): `returns.resample(freq).sum()`, NaN as 0, every period from the
//!   first to the last date (an empty month sums to 0).
//! - [`top_drawdowns`]: pyfolio `timeseries.get_top_drawdowns` / `gen_drawdown_table` on the
//!   underwater curve [`crate::stats::drawdown`]: the deepest drawdown, then the deepest of the
//!   rest with that period (peak to recovery) taken out, and so on. Depth in percentage points of
//!   capital (pyfolio divides by the peak of a compounded curve; an additive curve's depth is the
//!   difference); duration in business days from peak to recovery, both counted (pyfolio
//!   `len(pd.date_range(peak, recovery, freq="B"))`), none while not recovered.
//! - [`rolling_sharpe`]: pyfolio `timeseries.rolling_sharpe`:
//!   `returns.rolling(window).mean() / returns.rolling(window).std() × √periods_per_year`
//!   (trailing window, every value present, sample std).

use crate::stats::drawdown;
use chrono::{Datelike, NaiveDate};
use systrade_series::DailySeries;

/// The sum of the returns of one calendar month (`month` 1–12) or year (`month` none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeriodReturn {
    pub year: i32,
    pub month: Option<u32>,
    /// Percent of capital.
    pub value: f64,
}

fn months_between(first: NaiveDate, last: NaiveDate) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let (mut y, mut m) = (first.year(), first.month());
    while (y, m) <= (last.year(), last.month()) {
        out.push((y, m));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// Returns per calendar month, from the first date's month to the last's (module docs).
pub fn monthly_returns(returns: &DailySeries) -> Vec<PeriodReturn> {
    let (Some(&first), Some(&last)) = (returns.dates.first(), returns.dates.last()) else {
        return Vec::new();
    };
    let mut out: Vec<PeriodReturn> = months_between(first, last)
        .into_iter()
        .map(|(year, m)| PeriodReturn {
            year,
            month: Some(m),
            value: 0.0,
        })
        .collect();
    let index = |d: &NaiveDate| {
        ((d.year() - first.year()) * 12 + d.month() as i32 - first.month() as i32) as usize
    };
    for (d, v) in returns.dates.iter().zip(&returns.values) {
        if !v.is_nan() {
            out[index(d)].value += v;
        }
    }
    out
}

/// Returns per calendar year, from the first date's year to the last's (module docs).
pub fn annual_returns(returns: &DailySeries) -> Vec<PeriodReturn> {
    let (Some(first), Some(last)) = (returns.dates.first(), returns.dates.last()) else {
        return Vec::new();
    };
    let mut out: Vec<PeriodReturn> = (first.year()..=last.year())
        .map(|year| PeriodReturn {
            year,
            month: None,
            value: 0.0,
        })
        .collect();
    for (d, v) in returns.dates.iter().zip(&returns.values) {
        if !v.is_nan() {
            out[(d.year() - first.year()) as usize].value += v;
        }
    }
    out
}

/// One drawdown period of an additive account curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawdownPeriod {
    /// The last date at the running maximum before the trough.
    pub peak: NaiveDate,
    /// The date of the lowest point (the first, on a tie).
    pub trough: NaiveDate,
    /// The first date back at the running maximum; none while not recovered.
    pub recovery: Option<NaiveDate>,
    /// Drawdown at the trough: the curve's fall from the peak (percentage points, negative).
    pub depth: f64,
    /// Business days from peak to recovery, both counted; none while not recovered.
    pub duration: Option<usize>,
}

/// The `top` deepest drawdown periods of `returns`, deepest first (module docs).
pub fn top_drawdowns(returns: &DailySeries, top: usize) -> Vec<DrawdownPeriod> {
    let dd = drawdown(&returns.values);
    let dates = &returns.dates;
    // every episode: a run of rows below the running maximum, with the row before it as peak
    let mut episodes: Vec<DrawdownPeriod> = Vec::new();
    let mut peak: Option<usize> = None;
    let mut trough: Option<usize> = None;
    for (i, &x) in dd.iter().enumerate() {
        if x.is_nan() {
            continue;
        }
        if x < 0.0 {
            if trough.is_none_or(|t| x < dd[t]) {
                trough = Some(i);
            }
        } else {
            if let (Some(p), Some(t)) = (peak, trough) {
                episodes.push(DrawdownPeriod {
                    peak: dates[p],
                    trough: dates[t],
                    recovery: Some(dates[i]),
                    depth: dd[t],
                    duration: Some(i - p + 1),
                });
            }
            peak = Some(i);
            trough = None;
        }
    }
    if let (Some(p), Some(t)) = (peak, trough) {
        episodes.push(DrawdownPeriod {
            peak: dates[p],
            trough: dates[t],
            recovery: None,
            depth: dd[t],
            duration: None,
        });
    }
    // stable: of equally deep periods the earlier comes first (pandas idxmin takes the first)
    episodes.sort_by(|a, b| a.depth.total_cmp(&b.depth));
    episodes.truncate(top);
    episodes
}

/// Rolling annualised Sharpe ratio over a trailing `window` of rows (module docs); NaN where the
/// window is not full or holds a NaN, or the returns in it do not vary.
pub fn rolling_sharpe(returns: &[f64], window: usize, periods_per_year: f64) -> Vec<f64> {
    let scale = periods_per_year.sqrt();
    (0..returns.len())
        .map(|t| {
            if window < 2 || t + 1 < window {
                return f64::NAN;
            }
            let w = &returns[t + 1 - window..=t];
            if w.iter().any(|x| x.is_nan()) {
                return f64::NAN;
            }
            let n = w.len() as f64;
            let mean = w.iter().sum::<f64>() / n;
            let var = w.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
            if var > 0.0 {
                mean / var.sqrt() * scale
            } else {
                f64::NAN
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn months_and_years_sum_their_days() {
        // 2020-12-30, 2020-12-31, 2021-01-04, 2021-03-01 (February empty), one NaN
        let s = DailySeries::new(
            vec![
                d(2020, 12, 30),
                d(2020, 12, 31),
                d(2021, 1, 4),
                d(2021, 3, 1),
            ],
            vec![1.5, -0.5, f64::NAN, 2.0],
        );
        let m = monthly_returns(&s);
        let got: Vec<(i32, u32, f64)> = m
            .iter()
            .map(|p| (p.year, p.month.unwrap(), p.value))
            .collect();
        assert_eq!(
            got,
            [
                (2020, 12, 1.0),
                (2021, 1, 0.0),
                (2021, 2, 0.0),
                (2021, 3, 2.0)
            ]
        );
        let y = annual_returns(&s);
        let got: Vec<(i32, f64)> = y.iter().map(|p| (p.year, p.value)).collect();
        assert_eq!(got, [(2020, 1.0), (2021, 2.0)]);
        assert!(monthly_returns(&DailySeries::new(vec![], vec![])).is_empty());
    }

    #[test]
    fn drawdown_periods_by_hand() {
        // curve: 1, 3, 1, 2, 4 | 2, 1.5, 5 | 4, 4.5  (dates: business days from Mon 2024-01-01)
        //   period A: peak row 1 (3), trough row 2 (1, depth −2), recovery row 4 (4 ≥ 3): 4 days
        //   period B: peak row 4 (4), trough row 6 (1.5, depth −2.5), recovery row 7: 4 days
        //   period C: peak row 7 (5), trough row 8 (4, depth −1), not recovered
        let r = [1.0, 2.0, -2.0, 1.0, 2.0, -2.0, -0.5, 3.5, -1.0, 0.5];
        let mut dates = Vec::new();
        let mut day = d(2024, 1, 1);
        while dates.len() < r.len() {
            if day.weekday().num_days_from_monday() < 5 {
                dates.push(day);
            }
            day = day.succ_opt().unwrap();
        }
        let s = DailySeries::new(dates.clone(), r.to_vec());
        let top = top_drawdowns(&s, 5);
        assert_eq!(top.len(), 3);
        assert_eq!(
            top[0],
            DrawdownPeriod {
                peak: dates[4],
                trough: dates[6],
                recovery: Some(dates[7]),
                depth: -2.5,
                duration: Some(4),
            }
        );
        assert_eq!(
            (top[1].peak, top[1].trough, top[1].recovery),
            (dates[1], dates[2], Some(dates[4]))
        );
        assert_eq!((top[1].depth, top[1].duration), (-2.0, Some(4)));
        assert_eq!(
            (top[2].peak, top[2].trough, top[2].recovery, top[2].duration),
            (dates[7], dates[8], None, None)
        );
        assert_eq!(top[2].depth, -1.0);
        assert_eq!(top_drawdowns(&s, 1).len(), 1);
        // never below the running maximum: no period
        let up = DailySeries::new(dates[..3].to_vec(), vec![1.0, 0.0, 2.0]);
        assert!(top_drawdowns(&up, 5).is_empty());
    }

    #[test]
    fn rolling_sharpe_by_hand() {
        // window 3: rows 2.. ; [1, 2, 3]: mean 2, sd 1 → 2 × 16 = 32
        let r = [1.0, 2.0, 3.0, 3.0, f64::NAN, 1.0, 1.0, 1.0];
        let s = rolling_sharpe(&r, 3, 256.0);
        assert!(s[0].is_nan() && s[1].is_nan());
        assert!((s[2] - 32.0).abs() < 1e-12);
        // [2, 3, 3]: mean 8/3, sd √(1/3)
        assert!((s[3] - (8.0 / 3.0) / (1.0_f64 / 3.0).sqrt() * 16.0).abs() < 1e-12);
        // a NaN in the window, then no variation
        assert!(s[4].is_nan() && s[5].is_nan() && s[6].is_nan() && s[7].is_nan());
    }
}
