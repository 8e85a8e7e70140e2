//! The risk multiplier and the walk over dates that makes it (module documentation of
//! [`crate::risk_overlay`]).

use super::correlation::{CorrelationWalk, assets_with_data};
use super::measures::{RiskMeasures, leverage, portfolio_risks, sum_abs_risk};
use chrono::NaiveDate;
use systrade_series::DailySeries;

/// The four limits of `risk_overlay` (pysystemtrade config keys).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskOverlayLimits {
    /// Limit on the normal portfolio risk, as a multiple of the vol target.
    pub max_risk_fraction_normal_risk: f64,
    /// Limit on the portfolio risk with shocked standard deviations, as a multiple of the vol target.
    pub max_risk_fraction_stdev_risk: f64,
    /// Limit on the sum of absolute risks, as a multiple of the vol target.
    pub max_risk_limit_sum_abs_risk: f64,
    /// Limit on leverage (sum of absolute weights), absolute.
    pub max_risk_leverage: f64,
}

/// Multiplier for one measure: `limit / max(limit, measure)` (1 when the measure is NaN).
pub fn multiplier_for_limit(measure: f64, limit: f64) -> f64 {
    if measure.is_nan() || measure <= limit {
        1.0
    } else {
        limit / measure
    }
}

/// Risk multiplier: `min(limit_k / max(limit_k, measure_k))` over the four measures, with the
/// risk limits `max_risk_fraction_normal_risk`, `max_risk_fraction_stdev_risk` and
/// `max_risk_limit_sum_abs_risk` times `percentage_vol_target / 100`, and `max_risk_leverage`.
pub fn risk_multiplier(
    measures: RiskMeasures,
    limits: RiskOverlayLimits,
    percentage_vol_target: f64,
) -> f64 {
    let target = percentage_vol_target / 100.0;
    [
        multiplier_for_limit(
            measures.shocked_vol_risk,
            limits.max_risk_fraction_stdev_risk * target,
        ),
        multiplier_for_limit(
            measures.normal_risk,
            limits.max_risk_fraction_normal_risk * target,
        ),
        multiplier_for_limit(
            measures.sum_abs_risk,
            limits.max_risk_limit_sum_abs_risk * target,
        ),
        multiplier_for_limit(measures.leverage, limits.max_risk_leverage),
    ]
    .into_iter()
    .fold(f64::INFINITY, f64::min)
}

/// What the overlay needs of one instrument; dates are borrowed from the inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayInstrument<'a> {
    /// Dates of the notional position.
    pub weight_dates: &'a [NaiveDate],
    /// Portfolio weight on `weight_dates` ([`portfolio_weight`]).
    pub weight: Vec<f64>,
    /// Dates of the standard deviations.
    pub stdev_dates: &'a [NaiveDate],
    /// Annualised standard deviation ([`annualised_percentage_vol`]).
    pub stdev: Vec<f64>,
    /// Shocked standard deviation ([`shocked_vol`]), on its own (business-day) dates.
    pub shocked_stdev: DailySeries,
    /// Weekly returns on the labels of the [`WeeklyBins`] passed to [`risk_overlay`].
    pub weekly_returns: Vec<f64>,
}

/// The risk measures and multiplier on the union of the weights' dates.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskOverlayResult {
    pub measures: Vec<RiskMeasures>,
    pub multiplier: DailySeries,
}

/// The last non-NaN value at or before each date of a walk in ascending dates (pandas: reindex
/// onto a union index, then `ffill`), one cursor per series.
struct AsOf<'a> {
    dates: &'a [NaiveDate],
    values: &'a [f64],
    next: usize,
    current: f64,
}

impl<'a> AsOf<'a> {
    fn new(dates: &'a [NaiveDate], values: &'a [f64]) -> Self {
        assert_eq!(dates.len(), values.len(), "one value per date");
        Self {
            dates,
            values,
            next: 0,
            current: f64::NAN,
        }
    }

    /// Before the first date, the first non-NaN value (pandas `bfill` on the joint frame).
    fn backfilled(dates: &'a [NaiveDate], values: &'a [f64]) -> Self {
        let mut s = Self::new(dates, values);
        s.current = values
            .iter()
            .copied()
            .find(|v| !v.is_nan())
            .unwrap_or(f64::NAN);
        s
    }

    fn at(&mut self, date: NaiveDate) -> f64 {
        while self.next < self.dates.len() && self.dates[self.next] <= date {
            let v = self.values[self.next];
            if !v.is_nan() {
                self.current = v;
            }
            self.next += 1;
        }
        self.current
    }
}

/// The risk overlay over all instruments (module documentation), walking the union of the
/// weights' dates: weights and standard deviations as of each date (forward-filled), the
/// correlations of [`CorrelationWalk`] over the weekly returns on `weekly_labels`, and per date
/// the four measures and [`risk_multiplier`]. Memory: one `n × n` matrix plus O(n) per date.
pub fn risk_overlay(
    instruments: &[OverlayInstrument],
    weekly_labels: &[NaiveDate],
    limits: RiskOverlayLimits,
    percentage_vol_target: f64,
) -> RiskOverlayResult {
    let n = instruments.len();
    let dates = systrade_series::index::union_all(instruments.iter().map(|i| i.weight_dates));
    let mut weight: Vec<AsOf> = instruments
        .iter()
        .map(|i| AsOf::new(i.weight_dates, &i.weight))
        .collect();
    let mut stdev: Vec<AsOf> = instruments
        .iter()
        .map(|i| AsOf::new(i.stdev_dates, &i.stdev))
        .collect();
    let mut shocked: Vec<AsOf> = instruments
        .iter()
        // the shocked frame is back-filled on the union of dates: an instrument's shocked vol
        // is defined before it starts, so it counts in the covariance there (pysystemtrade
        // `seriesOfStdevEstimates.shocked`)
        .map(|i| AsOf::backfilled(&i.shocked_stdev.dates, &i.shocked_stdev.values))
        .collect();
    let mut walk = CorrelationWalk::new(
        weekly_labels,
        instruments.iter().map(|i| &i.weekly_returns[..]).collect(),
    );
    let identity: Vec<f64> = (0..n * n)
        .map(|x| if x / n == x % n { 1.0 } else { 0.0 })
        .collect();
    let identity_with_data = assets_with_data(&identity, n);
    let (mut w, mut s, mut h) = (vec![f64::NAN; n], vec![f64::NAN; n], vec![f64::NAN; n]);
    let mut measures = Vec::with_capacity(dates.len());
    let mut multiplier = Vec::with_capacity(dates.len());
    for date in &dates {
        for i in 0..n {
            w[i] = weight[i].at(*date);
            s[i] = stdev[i].at(*date);
            h[i] = shocked[i].at(*date);
        }
        let (corr, with_data) = if weekly_labels.is_empty() {
            (&identity[..], &identity_with_data[..])
        } else {
            walk.on(*date)
        };
        let (normal_risk, shocked_vol_risk) = portfolio_risks(&w, &s, &h, corr, with_data);
        let m = RiskMeasures {
            normal_risk,
            shocked_vol_risk,
            sum_abs_risk: sum_abs_risk(&w, &s),
            leverage: leverage(&w),
        };
        multiplier.push(risk_multiplier(m, limits, percentage_vol_target));
        measures.push(m);
    }
    RiskOverlayResult {
        multiplier: DailySeries::new(dates, multiplier),
        measures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk_overlay::test_support::{close, d};
    use systrade_series::{WeeklyBins, business_days};

    const ROB: RiskOverlayLimits = RiskOverlayLimits {
        max_risk_fraction_normal_risk: 1.75,
        max_risk_fraction_stdev_risk: 4.0,
        max_risk_limit_sum_abs_risk: 4.0,
        max_risk_leverage: 20.0,
    };

    fn measures(normal: f64, shocked: f64, sum_abs: f64, lev: f64) -> RiskMeasures {
        RiskMeasures {
            normal_risk: normal,
            shocked_vol_risk: shocked,
            sum_abs_risk: sum_abs,
            leverage: lev,
        }
    }

    #[test]
    fn multiplier_is_one_within_limits_and_binds_on_each_limit() {
        // vol target 16 %: limits 0.28, 0.64, 0.64 and leverage 20
        assert_eq!(
            risk_multiplier(measures(0.2, 0.5, 0.6, 10.0), ROB, 16.0),
            1.0
        );
        assert_eq!(
            risk_multiplier(measures(0.28, 0.64, 0.64, 20.0), ROB, 16.0),
            1.0
        );
        assert!(close(
            risk_multiplier(measures(0.56, 0.5, 0.6, 10.0), ROB, 16.0),
            0.5
        ));
        assert!(close(
            risk_multiplier(measures(0.2, 1.28, 0.6, 10.0), ROB, 16.0),
            0.5
        ));
        assert!(close(
            risk_multiplier(measures(0.2, 0.5, 0.8, 10.0), ROB, 16.0),
            0.8
        ));
        assert!(close(
            risk_multiplier(measures(0.2, 0.5, 0.6, 40.0), ROB, 16.0),
            0.5
        ));
        // the tightest binds
        assert!(close(
            risk_multiplier(measures(0.56, 0.5, 0.8, 80.0), ROB, 16.0),
            0.25
        ));
        // NaN measures do not bind
        let nan = f64::NAN;
        assert_eq!(
            risk_multiplier(measures(nan, nan, nan, nan), ROB, 16.0),
            1.0
        );
        assert!(close(
            risk_multiplier(measures(nan, nan, 1.28, nan), ROB, 16.0),
            0.5
        ));
    }

    struct Inputs {
        dates: Vec<NaiveDate>,
        weight: f64,
        stdev: f64,
        returns: Vec<f64>,
    }

    fn inputs(dates: &[NaiveDate], weight: f64, stdev: f64, ret: impl Fn(usize) -> f64) -> Inputs {
        Inputs {
            dates: dates.to_vec(),
            weight,
            stdev,
            returns: (0..dates.len()).map(ret).collect(),
        }
    }

    /// Runs the overlay on instruments with constant weights and standard deviations (shocked:
    /// twice the standard deviation).
    fn run(instruments: &[Inputs], limits: RiskOverlayLimits) -> RiskOverlayResult {
        let all = systrade_series::index::union_all(instruments.iter().map(|i| &i.dates[..]));
        let bins = WeeklyBins::new(&all);
        let overlay: Vec<OverlayInstrument> = instruments
            .iter()
            .map(|i| {
                let n = i.dates.len();
                OverlayInstrument {
                    weight_dates: &i.dates,
                    weight: vec![i.weight; n],
                    stdev_dates: &i.dates,
                    stdev: vec![i.stdev; n],
                    shocked_stdev: DailySeries::new(i.dates.clone(), vec![2.0 * i.stdev; n]),
                    weekly_returns: bins.weekly_returns(
                        &all,
                        &DailySeries::new(i.dates.clone(), i.returns.clone()),
                    ),
                }
            })
            .collect();
        risk_overlay(&overlay, &bins.labels, limits, 16.0)
    }

    #[test]
    fn overlay_over_dates_uses_the_first_week_matrix_then_the_estimate() {
        let dates = business_days(d(2024, 1, 1), d(2024, 1, 19));
        let a = inputs(&dates, 1.0, 0.1, |t| (t as f64).sin());
        let b = inputs(&dates, 1.0, 0.1, |t| (t as f64).cos());
        let loose = RiskOverlayLimits {
            max_risk_fraction_normal_risk: 99.0,
            max_risk_fraction_stdev_risk: 99.0,
            max_risk_limit_sum_abs_risk: 99.0,
            max_risk_leverage: 99.0,
        };
        let pair = [a, b];
        let r = run(&pair, loose);
        assert_eq!(r.multiplier.dates, dates);
        assert!(r.multiplier.values.iter().all(|m| *m == 1.0));
        // first week: ρ = 0.99: var = 0.01 + 0.01 + 2·0.99·0.01
        assert!(close(r.measures[0].normal_risk, 0.0398_f64.sqrt()));
        assert!(close(
            r.measures[0].shocked_vol_risk,
            (4.0 * 0.0398_f64).sqrt()
        ));
        // second week on: fewer than 10 weekly returns, all NaN → identity
        assert!(close(r.measures[7].normal_risk, 0.02_f64.sqrt()));
        assert!(close(r.measures[7].sum_abs_risk, 0.2));
        assert!(close(r.measures[7].leverage, 2.0));
        // leverage 2 against a limit of 0.5: multiplier 0.25; the normal risk against
        // 0.5 × 0.16 = 0.08 gives 0.08 / 0.1414 = 0.566 (week 2) and 0.08 / 0.1995 = 0.401
        // (week 1), so leverage binds throughout
        let tight = RiskOverlayLimits {
            max_risk_leverage: 0.5,
            max_risk_fraction_normal_risk: 0.5,
            ..loose
        };
        let r = run(&pair, tight);
        assert!(close(r.multiplier.values[7], 0.25));
        assert!(close(r.multiplier.values[0], 0.25));
        assert!(r.multiplier.values.iter().all(|m| *m <= 1.0 && *m > 0.0));
    }

    #[test]
    fn overlay_ignores_instruments_before_they_start() {
        let dates = business_days(d(2024, 1, 1), d(2024, 1, 12));
        let a = inputs(&dates, 1.0, 0.1, |_| 0.01);
        let b = inputs(&dates[5..], 3.0, 0.2, |_| 0.02);
        let r = run(&[a, b], ROB);
        assert_eq!(r.multiplier.dates, dates);
        assert!(close(r.measures[0].leverage, 1.0));
        assert!(close(r.measures[0].sum_abs_risk, 0.1));
        assert!(close(r.measures[5].leverage, 4.0));
        assert!(close(r.measures[5].sum_abs_risk, 0.1 + 0.6));
    }
}
