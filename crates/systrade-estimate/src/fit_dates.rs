//! Fit periods: which data each estimate is fitted on and when it is used
//! (pysystemtrade `sysquant/fitting_dates.py`).
//!
//! The period boundaries run **backwards from the last data point** in steps of the interval
//! (`pd.date_range(end, start, freq="-365D")`), so they keep the end's time of day, including the
//! microsecond offsets of pooled data. With boundaries `b_0 < b_1 < … < b_k = end` (`b_0` the
//! earliest not before the start):
//! * `expanding` / `rolling`: a first period without data, `[start, b_1)`, fitted on nothing
//!   (`no_data`, equal weights); then one period per `[b_i, b_{i+1})`, `i = 1 … k − 1`, fitted on
//!   `[fit_start, b_i]` where `fit_start` is the data start (`expanding`) or
//!   `b_max(0, i − rollyears)` (`rolling`).
//! * `in_sample`: one period covering all the data, fitted on all of it.

use crate::EstimateError;
use std::fmt;
use std::str::FromStr;
use systrade_model::Timestamp;
use systrade_model::time::MICROS_PER_DAY;

/// How the fitting window moves (`date_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateMethod {
    /// All data from the start up to the period start.
    Expanding,
    /// The last `rollyears` intervals before the period start.
    Rolling,
    /// All the data, used for all of it (looks ahead).
    InSample,
}

impl FromStr for DateMethod {
    type Err = EstimateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "expanding" => Ok(Self::Expanding),
            "rolling" => Ok(Self::Rolling),
            "in_sample" => Ok(Self::InSample),
            other => Err(EstimateError::UnknownDateMethod(other.to_string())),
        }
    }
}

/// The re-estimation interval (`interval_frequency`, default `12M`), as a whole number of days:
/// pysystemtrade avoids calendar offsets and maps `W` to 7 days, `M` to 30 and `12M`/`Y` to 365.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    days: i64,
}

impl Interval {
    /// pysystemtrade's default, `12M` = 365 days.
    pub const YEARLY: Interval = Interval { days: 365 };

    /// `days` (at least 1).
    pub fn days(days: i64) -> Result<Self, EstimateError> {
        if days < 1 {
            return Err(EstimateError::UnknownInterval(format!("{days}D")));
        }
        Ok(Self { days })
    }

    pub fn length_in_days(self) -> i64 {
        self.days
    }
}

impl FromStr for Interval {
    type Err = EstimateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "W" => Interval::days(7),
            "M" => Interval::days(30),
            "12M" | "Y" => Interval::days(365),
            other => match other.strip_suffix('D').map(str::parse::<i64>) {
                Some(Ok(n)) if n >= 1 => Interval::days(n),
                _ => Err(EstimateError::UnknownInterval(other.to_string())),
            },
        }
    }
}

/// One fit period (`fitDates`): fit on `[fit_start, fit_end]`, use in `[period_start, period_end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitPeriod {
    pub fit_start: Timestamp,
    pub fit_end: Timestamp,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    /// The first period of an expanding/rolling layout: nothing to fit on yet.
    pub no_data: bool,
}

impl fmt::Display for FitPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.no_data {
            write!(
                f,
                "fit without data, use from {} to {}",
                self.period_start, self.period_end
            )
        } else {
            write!(
                f,
                "fit from {} to {}, use in {} to {}",
                self.fit_start, self.fit_end, self.period_start, self.period_end
            )
        }
    }
}

/// The fit periods in order of their start (`listOfFittingDates`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FitPeriods(pub Vec<FitPeriod>);

impl FitPeriods {
    pub fn periods(&self) -> &[FitPeriod] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The index of the last period starting at or before `date`
    /// (`index_of_most_recent_period_before_relevant_date`); `None` before the first period.
    pub fn index_at(&self, date: Timestamp) -> Option<usize> {
        let first = self.0.first()?;
        if date < first.period_start {
            return None;
        }
        Some(self.0.partition_point(|p| p.period_start <= date) - 1)
    }
}

/// Lays out the fit periods for data running from `start` to `end` (`generate_fitting_dates`).
///
/// Errors: `end < start`; and for `expanding`/`rolling`, data shorter than one interval (where
/// pysystemtrade fails with an index error).
pub fn fit_periods(
    start: Timestamp,
    end: Timestamp,
    method: DateMethod,
    rollyears: usize,
    interval: Interval,
) -> Result<FitPeriods, EstimateError> {
    if end < start {
        return Err(EstimateError::EndBeforeStart {
            start: start.to_string(),
            end: end.to_string(),
        });
    }
    if method == DateMethod::InSample {
        return Ok(FitPeriods(vec![FitPeriod {
            fit_start: start,
            fit_end: end,
            period_start: start,
            period_end: end,
            no_data: false,
        }]));
    }
    let step = interval.days.saturating_mul(MICROS_PER_DAY);
    let mut bounds = Vec::new();
    let mut t = end.micros();
    while t >= start.micros() {
        bounds.push(Timestamp::from_micros(t));
        match t.checked_sub(step) {
            Some(next) => t = next,
            None => break,
        }
    }
    bounds.reverse();
    if bounds.len() < 2 {
        return Err(EstimateError::TooShortForFitPeriods {
            start: start.to_string(),
            end: end.to_string(),
        });
    }
    let mut periods = vec![FitPeriod {
        fit_start: start,
        fit_end: start,
        period_start: start,
        period_end: bounds[1],
        no_data: true,
    }];
    for i in 1..bounds.len() - 1 {
        let fit_start = match method {
            DateMethod::Rolling => bounds[i.saturating_sub(rollyears)],
            _ => start,
        };
        periods.push(FitPeriod {
            fit_start,
            fit_end: bounds[i],
            period_start: bounds[i],
            period_end: bounds[i + 1],
            no_data: false,
        });
    }
    Ok(FitPeriods(periods))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn expanding_runs_back_from_the_end_with_a_first_period_without_data() {
        let p = fit_periods(
            ts("2000-01-01"),
            ts("2003-06-30 00:00:00.000003"),
            DateMethod::Expanding,
            20,
            Interval::YEARLY,
        )
        .unwrap();
        // bounds: 2000-06-30, 2001-06-30, 2002-06-30, 2003-06-30 (all .000003)
        let b = |s: &str| ts(&format!("{s} 00:00:00.000003"));
        assert_eq!(p.len(), 3);
        assert!(p.0[0].no_data);
        assert_eq!(p.0[0].period_start, ts("2000-01-01"));
        assert_eq!(p.0[0].fit_end, ts("2000-01-01"));
        assert_eq!(p.0[0].period_end, b("2001-06-30"));
        assert_eq!(p.0[1].fit_start, ts("2000-01-01"));
        assert_eq!(p.0[1].fit_end, b("2001-06-30"));
        assert_eq!(p.0[1].period_end, b("2002-06-30"));
        assert_eq!(p.0[2].period_start, b("2002-06-30"));
        assert_eq!(p.0[2].period_end, b("2003-06-30"));
        assert!(!p.0[2].no_data);
        assert_eq!(p.index_at(ts("1999-01-01")), None);
        assert_eq!(p.index_at(ts("2001-06-30")), Some(0));
        assert_eq!(p.index_at(b("2001-06-30")), Some(1));
        assert_eq!(p.index_at(ts("2030-01-01")), Some(2));
    }

    #[test]
    fn rolling_starts_rollyears_boundaries_back() {
        let p = fit_periods(
            ts("2000-01-01"),
            ts("2010-01-01"),
            DateMethod::Rolling,
            3,
            Interval::YEARLY,
        )
        .unwrap();
        // bounds b_0..b_10 (b_0 = 2000-01-04); period i fits from b_{max(0,i-3)}
        let starts: Vec<_> = p.0.iter().map(|x| x.fit_start).collect();
        let ends: Vec<_> = p.0.iter().map(|x| x.fit_end).collect();
        assert_eq!(starts[1], starts[2]);
        assert_eq!(starts[2], starts[3]);
        assert!(starts[4] > starts[3]);
        assert_eq!(starts[4], ends[1]); // b_1: four periods on, three boundaries back
        assert_eq!(starts[1], ts("2000-01-04")); // b_0 = 2010-01-01 − 10 × 365 days
        assert_eq!(starts[5], ends[2]);
    }

    #[test]
    fn in_sample_is_one_period_and_short_data_is_an_error() {
        let p = fit_periods(
            ts("2000-01-01"),
            ts("2000-02-01"),
            DateMethod::InSample,
            20,
            Interval::YEARLY,
        )
        .unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p.0[0].fit_end, ts("2000-02-01"));
        assert!(matches!(
            fit_periods(
                ts("2000-01-01"),
                ts("2000-02-01"),
                DateMethod::Expanding,
                20,
                Interval::YEARLY
            ),
            Err(EstimateError::TooShortForFitPeriods { .. })
        ));
        assert!(matches!(
            fit_periods(
                ts("2000-02-01"),
                ts("2000-01-01"),
                DateMethod::InSample,
                20,
                Interval::YEARLY
            ),
            Err(EstimateError::EndBeforeStart { .. })
        ));
        assert_eq!("7D".parse::<Interval>().unwrap().length_in_days(), 7);
        assert_eq!("W".parse::<Interval>().unwrap().length_in_days(), 7);
        assert!("Q".parse::<Interval>().is_err());
        assert!("0D".parse::<Interval>().is_err());
        assert!("rolling".parse::<DateMethod>().is_ok());
        assert!("weekly".parse::<DateMethod>().is_err());
    }
}
