//! Correlations of the risk overlay: weekly returns, the walk over fitting periods with
//! pysystemtrade's exponentially weighted correlation ([`EwmCorrelation`] from systrade-series),
//! cleaning and clipping (module documentation of [`crate::risk_overlay`]).

use chrono::NaiveDate;
use systrade_series::{DailySeries, EwmCorrelation, WeeklyBins};

/// Span of the weekly returns' exponentially weighted correlation (`ew_lookback`).
pub const CORRELATION_SPAN: f64 = 75.0;
/// Minimum number of observations of the correlation (`min_periods`).
pub const CORRELATION_MIN_PERIODS: usize = 10;
/// Fitting window, in weekly periods, for the "has data" test of cleaning (`rollyears`).
pub const CORRELATION_ROLL_PERIODS: usize = 5;
/// Correlations are clipped to `[−CLIP, CLIP]` off the diagonal (`clip`).
pub const CORRELATION_CLIP: f64 = 0.99;
/// Off-diagonal correlation of the first ("no data") period (`create_boring_corr_matrix`).
pub const NO_DATA_CORRELATION: f64 = 0.99;

/// Weekly returns for the correlation estimate ([`WeeklyBins`]) of several instruments whose
/// return dates have the union `dates`: the labels and one vector per instrument.
pub fn weekly_returns(
    dates: &[NaiveDate],
    returns: &[DailySeries],
) -> (Vec<NaiveDate>, Vec<Vec<f64>>) {
    let bins = WeeklyBins::new(dates);
    let weekly = returns
        .iter()
        .map(|r| bins.weekly_returns(dates, r))
        .collect();
    (bins.labels, weekly)
}

/// [`clean_correlation`] of `ewm`'s [`EwmCorrelation::correlation`] written into the upper triangle and the
/// diagonal of `out` (`n × n`, row-major; the lower triangle is not written), without
/// building the raw matrix: raw values exist only between series with a valid variance.
/// Returns, per series, whether its column of the cleaned matrix has at least two non-NaN
/// entries (covariance `assets_with_data`).
pub fn clean_ewm_correlation_into(
    ewm: &EwmCorrelation,
    must_have: &[bool],
    out: &mut [f64],
) -> Vec<bool> {
    let n = ewm.len();
    assert_eq!(must_have.len(), n, "one flag per series");
    assert_eq!(out.len(), n * n, "n × n output");
    let var = ewm.variances();
    let is_valid: Vec<bool> = var.iter().map(|v| !v.is_nan()).collect();
    let (mut sum, mut count, mut nan_in_valid, mut diag_present) = (0.0, 0usize, false, false);
    for i in 0..n {
        let row = &mut out[i * n..(i + 1) * n];
        for j in i..n {
            row[j] = if is_valid[i] && is_valid[j] {
                let r = ewm.rho(i, j, &var);
                if r.is_nan() {
                    nan_in_valid = true;
                } else if i != j {
                    sum += 2.0 * r;
                    count += 2;
                } else {
                    diag_present = true;
                }
                r
            } else {
                f64::NAN
            };
        }
    }
    let any_nan = nan_in_valid || is_valid.iter().any(|v| !v);
    let all_nan = count == 0 && !diag_present;
    let avg = if count > 0 {
        sum / count as f64
    } else {
        f64::NAN
    };
    for i in 0..n {
        let row = &mut out[i * n..(i + 1) * n];
        row[i] = 1.0;
        for (j, v) in row.iter_mut().enumerate().skip(i + 1) {
            if all_nan {
                *v = 0.0;
            } else {
                if any_nan && v.is_nan() {
                    *v = if must_have[i] && must_have[j] {
                        avg
                    } else {
                        0.0
                    };
                }
                // NaN stays NaN
                *v = v.clamp(-CORRELATION_CLIP, CORRELATION_CLIP);
            }
        }
    }
    // A NaN survives only where avg is NaN, i.e. where no raw off-diagonal value exists:
    // then exactly the entries between two must-have series stay NaN.
    let must = must_have.iter().filter(|m| **m).count();
    (0..n)
        .map(|j| {
            let non_nan = if all_nan || !any_nan || !avg.is_nan() {
                n
            } else if must_have[j] {
                n - (must - 1)
            } else {
                n
            };
            non_nan >= 2
        })
        .collect()
}

/// Cleans and clips one correlation matrix (`n × n`, row-major) as pysystemtrade's
/// `clean_correlation` (`offdiag = 0.0`) then `clip_correlation_matrix(0.99)`:
/// - no NaN: unchanged; all NaN: the identity;
/// - otherwise a NaN off the diagonal becomes the average of the non-NaN off-diagonal values
///   when both instruments are `must_have`, else 0.0; the diagonal becomes 1;
/// - then off-diagonal values are clipped to `[−0.99, 0.99]` and the diagonal set to 1.
pub fn clean_correlation(raw: &[f64], must_have: &[bool]) -> Vec<f64> {
    let n = must_have.len();
    assert_eq!(raw.len(), n * n, "n × n matrix");
    let mut m = raw.to_vec();
    let any_nan = raw.iter().any(|v| v.is_nan());
    if any_nan {
        if raw.iter().all(|v| v.is_nan()) {
            m.iter_mut().for_each(|v| *v = 0.0);
        } else {
            let (mut sum, mut count) = (0.0, 0usize);
            for i in 0..n {
                for j in 0..n {
                    let v = raw[i * n + j];
                    if i != j && !v.is_nan() {
                        sum += v;
                        count += 1;
                    }
                }
            }
            let avg = if count > 0 {
                sum / count as f64
            } else {
                f64::NAN
            };
            for i in 0..n {
                for j in 0..n {
                    let v = &mut m[i * n + j];
                    if i != j && v.is_nan() {
                        *v = if must_have[i] && must_have[j] {
                            avg
                        } else {
                            0.0
                        };
                    }
                }
            }
        }
    }
    for i in 0..n {
        for j in 0..n {
            let v = &mut m[i * n + j];
            if i == j {
                *v = 1.0;
            } else {
                // NaN stays NaN
                *v = v.clamp(-CORRELATION_CLIP, CORRELATION_CLIP);
            }
        }
    }
    m
}

/// Instruments whose correlation column has at least two non-NaN entries (covariance
/// `assets_with_data`).
pub(crate) fn assets_with_data(corr: &[f64], n: usize) -> Vec<bool> {
    let mut count = vec![0usize; n];
    for row in corr.chunks(n.max(1)) {
        for (c, v) in count.iter_mut().zip(row) {
            *c += usize::from(!v.is_nan());
        }
    }
    count.into_iter().map(|c| c >= 2).collect()
}

/// The correlation matrix in force on each date, walking forward through the weekly returns
/// (see the module documentation): the identity before the first label, 0.99 off the diagonal
/// in the first week, then the cleaned, clipped EW correlation of the weeks before each period
/// start. Only the current matrix is held.
pub struct CorrelationWalk<'a> {
    labels: &'a [NaiveDate],
    weekly: Vec<&'a [f64]>,
    ewm: EwmCorrelation,
    /// Number of weekly rows folded into `ewm`.
    rows_done: usize,
    /// Period index of `corr` (`None` before the first label).
    period: Option<usize>,
    corr: Vec<f64>,
    with_data: Vec<bool>,
}

impl<'a> CorrelationWalk<'a> {
    /// `labels` and `weekly` (one slice per instrument, one value per label) from
    /// [`WeeklyBins`].
    pub fn new(labels: &'a [NaiveDate], weekly: Vec<&'a [f64]>) -> Self {
        let n = weekly.len();
        let mut corr = vec![0.0; n * n];
        (0..n).for_each(|i| corr[i * n + i] = 1.0);
        Self {
            labels,
            ewm: EwmCorrelation::new(n, CORRELATION_SPAN, CORRELATION_MIN_PERIODS),
            weekly,
            rows_done: 0,
            period: None,
            with_data: assets_with_data(&corr, n),
            corr,
        }
    }

    /// The correlation matrix (`n × n`, row-major) and which instruments have correlation data,
    /// for `date`; dates must be visited in ascending order.
    pub fn on(&mut self, date: NaiveDate) -> (&[f64], &[bool]) {
        let n = self.weekly.len();
        // period starts are the labels but the last (a single label starts the only period)
        let starts = self
            .labels
            .len()
            .saturating_sub(1)
            .max(1)
            .min(self.labels.len());
        let period = self.labels[..starts]
            .partition_point(|d| *d <= date)
            .checked_sub(1);
        if period != self.period
            && let Some(k) = period
        {
            self.period = period;
            if k == 0 {
                for (x, v) in self.corr.iter_mut().enumerate() {
                    *v = if x / n == x % n {
                        1.0
                    } else {
                        NO_DATA_CORRELATION
                    };
                }
                self.with_data = assets_with_data(&self.corr, n);
            } else {
                let mut row = vec![f64::NAN; n];
                while self.rows_done < k {
                    for (r, w) in row.iter_mut().zip(&self.weekly) {
                        *r = w[self.rows_done];
                    }
                    self.ewm.update(&row);
                    self.rows_done += 1;
                }
                let from = k.saturating_sub(CORRELATION_ROLL_PERIODS);
                let must_have: Vec<bool> = self
                    .weekly
                    .iter()
                    .map(|w| w[from..=k].iter().any(|v| !v.is_nan()))
                    .collect();
                self.with_data = clean_ewm_correlation_into(&self.ewm, &must_have, &mut self.corr);
            }
        }
        (&self.corr, &self.with_data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk_overlay::test_support::{close, d};
    use systrade_series::business_days;

    #[test]
    fn cleaning_fills_missing_with_average_or_zero_and_clips() {
        let nan = f64::NAN;
        let raw = [1.0, 0.5, nan, 0.5, 1.0, 0.995, nan, 0.995, 1.0];
        // average of the non-NaN off-diagonal values: (0.5 + 0.5 + 0.995 + 0.995) / 4
        let avg = 0.7475;
        let c = clean_correlation(&raw, &[true, true, true]);
        assert!(close(c[2], avg) && close(c[6], avg));
        assert_eq!(c[5], 0.99);
        assert_eq!(c[0], 1.0);
        let c = clean_correlation(&raw, &[true, true, false]);
        assert_eq!(c[2], 0.0);
        assert_eq!(
            clean_correlation(&[nan; 4], &[true, true]),
            vec![1.0, 0.0, 0.0, 1.0]
        );
        let c = clean_correlation(&[1.0, -1.0, -1.0, 1.0], &[true, true]);
        assert_eq!(c, vec![1.0, -0.99, -0.99, 1.0]);
    }

    #[test]
    fn weekly_returns_of_several_instruments_share_the_bins() {
        let dates = business_days(d(2024, 1, 1), d(2024, 1, 19));
        let a = DailySeries::new(dates.clone(), vec![1.0; dates.len()]);
        let b = DailySeries::new(dates[5..].to_vec(), vec![2.0; dates.len() - 5]);
        let (labels, weekly) = weekly_returns(&dates, &[a.clone(), b]);
        let bins = WeeklyBins::new(&dates);
        assert_eq!(labels, bins.labels);
        assert_eq!(weekly.len(), 2);
        assert_eq!(weekly[0][1..], bins.weekly_returns(&dates, &a)[1..]);
        assert_eq!(weekly[1][2], 10.0);
    }

    /// Deterministic pseudo-random numbers in [0, 1) (a linear congruential generator).
    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn fused_cleaning_equals_cleaning_the_raw_matrix() {
        let mut seed = 11;
        let n = 5;
        let mut e = EwmCorrelation::new(n, 75.0, 10);
        for t in 0..60 {
            let row: Vec<f64> = (0..n)
                .map(|i| {
                    let u = lcg(&mut seed) - 0.5;
                    // series 3 starts late, series 4 never has data, gaps in series 1
                    if (i == 3 && t < 45) || i == 4 || (i == 1 && t % 7 == 0) {
                        f64::NAN
                    } else {
                        u + if i == 2 {
                            0.0
                        } else {
                            0.3 * (t as f64 * 0.1).sin()
                        }
                    }
                })
                .collect();
            e.update(&row);
            let must_have = [true, true, true, t >= 40, false];
            let mut fused = vec![0.0; n * n];
            let with_data = clean_ewm_correlation_into(&e, &must_have, &mut fused);
            let reference = clean_correlation(&e.correlation(), &must_have);
            for i in 0..n {
                for j in i..n {
                    let (a, b) = (fused[i * n + j], reference[i * n + j]);
                    assert!(
                        (a - b).abs() < 1e-12 || (a.is_nan() && b.is_nan()),
                        "t {t}: {a} {b}"
                    );
                }
            }
            assert_eq!(with_data, assets_with_data(&reference, n));
        }
        // one series with data: no off-diagonal value, so no average to fill with
        let mut e = EwmCorrelation::new(3, 75.0, 10);
        for t in 0..12 {
            e.update(&[t as f64 * 0.1 + 0.3 * ((t % 3) as f64), f64::NAN, f64::NAN]);
        }
        for must_have in [[true, true, true], [true, true, false], [false; 3]] {
            let mut fused = vec![0.0; 9];
            let with_data = clean_ewm_correlation_into(&e, &must_have, &mut fused);
            let reference = clean_correlation(&e.correlation(), &must_have);
            assert_eq!(with_data, assets_with_data(&reference, 3), "{must_have:?}");
        }
    }
}
