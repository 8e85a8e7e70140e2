//! Correlation matrices and the exponentially weighted correlation estimate per fit period
//! (pysystemtrade `sysquant/estimators/correlations.py`, `exponential_correlation.py`,
//! `generic_estimator.py`, `correlation_over_time.py`).

use crate::EstimateError;
use crate::fit_dates::{FitPeriod, FitPeriods};
use rayon::prelude::*;
use systrade_model::Timestamp;
use systrade_series::EwmCov;

/// pysystemtrade's correlation for "no data" (`create_boring_corr_matrix` default `offdiag`).
pub const BORING_OFFDIAG: f64 = 0.99;

/// A square correlation matrix over named assets (`correlationEstimate`); NaN marks a missing
/// value. `boring` marks pysystemtrade's made-up matrices (no data at all), which the handcrafting
/// never clusters.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    names: Vec<String>,
    /// Row-major `n × n`.
    values: Vec<f64>,
    boring: bool,
}

impl Correlation {
    /// A matrix of `names.len()²` row-major values.
    pub fn new(names: Vec<String>, values: Vec<f64>) -> Result<Self, EstimateError> {
        let n = names.len();
        if values.len() != n * n {
            return Err(EstimateError::MatrixShape {
                names: n,
                expected: n * n,
                got: values.len(),
            });
        }
        Ok(Self {
            names,
            values,
            boring: false,
        })
    }

    /// 1 on the diagonal, `offdiag` elsewhere, marked boring (`create_boring_corr_matrix`).
    pub fn boring(names: Vec<String>, offdiag: f64) -> Self {
        let n = names.len();
        let values = (0..n * n)
            .map(|k| if k / n == k % n { 1.0 } else { offdiag })
            .collect();
        Self {
            names,
            values,
            boring: true,
        }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn size(&self) -> usize {
        self.names.len()
    }

    pub fn values(&self) -> &[f64] {
        &self.values
    }

    pub fn is_boring(&self) -> bool {
        self.boring
    }

    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.size() + j]
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    pub fn all_values_present(&self) -> bool {
        !self.values.iter().any(|v| v.is_nan())
    }

    pub fn no_values_present(&self) -> bool {
        self.values.iter().all(|v| v.is_nan())
    }

    /// The mean of the non-NaN off-diagonal values, NaN if there are none (`average_correlation`).
    pub fn average(&self) -> f64 {
        let n = self.size();
        let (mut sum, mut count) = (0.0, 0usize);
        for i in 0..n {
            for j in 0..n {
                let v = self.get(i, j);
                if i != j && !v.is_nan() {
                    sum += v;
                    count += 1;
                }
            }
        }
        if count == 0 {
            f64::NAN
        } else {
            sum / count as f64
        }
    }

    /// Assets whose column has fewer than two non-NaN values (`assets_with_missing_data`): no
    /// correlation with anything else.
    pub fn assets_with_missing_data(&self) -> Vec<usize> {
        let n = self.size();
        (0..n)
            .filter(|&j| (0..n).filter(|&i| !self.get(i, j).is_nan()).count() < 2)
            .collect()
    }

    /// The complement of [`Self::assets_with_missing_data`], in matrix order.
    pub fn assets_with_data(&self) -> Vec<usize> {
        let missing = self.assets_with_missing_data();
        (0..self.size()).filter(|i| !missing.contains(i)).collect()
    }

    /// The sub-matrix of the given assets, in the given order (`subset`); keeps the boring mark.
    pub fn subset(&self, assets: &[usize]) -> Self {
        let names = assets.iter().map(|&i| self.names[i].clone()).collect();
        let values = assets
            .iter()
            .flat_map(|&i| assets.iter().map(move |&j| (i, j)))
            .map(|(i, j)| self.get(i, j))
            .collect();
        Self {
            names,
            values,
            boring: self.boring,
        }
    }

    /// Values below `floor` raised to it, diagonal set to 1 (`floor_correlation_matrix`); NaN
    /// off-diagonal values stay NaN.
    pub fn floored(&self, floor: f64) -> Self {
        self.map_offdiag(|v| if v < floor { floor } else { v })
    }

    /// Values kept within `±|clip|`, diagonal set to 1 (`clip_correlation_matrix`).
    pub fn clipped(&self, clip: f64) -> Self {
        let c = clip.abs();
        self.map_offdiag(|v| if v < -c { -c } else { v })
            .map_offdiag(|v| if v > c { c } else { v })
    }

    fn map_offdiag(&self, f: impl Fn(f64) -> f64) -> Self {
        let n = self.size();
        let values = self
            .values
            .iter()
            .enumerate()
            .map(|(k, &v)| if k / n == k % n { 1.0 } else { f(v) })
            .collect();
        Self {
            names: self.names.clone(),
            values,
            boring: false,
        }
    }

    /// `s × prior + (1 − s) × self` with the prior's off-diagonal the average correlation
    /// (`shrink_to_average`); `s = 1` returns the (boring) prior and `s = 0` the matrix itself.
    pub fn shrunk_to_average(&self, shrinkage: f64) -> Self {
        let prior = Self::boring(self.names.clone(), self.average());
        if shrinkage == 1.0 {
            return prior;
        }
        if shrinkage == 0.0 {
            return self.clone();
        }
        let values = prior
            .values
            .iter()
            .zip(&self.values)
            .map(|(p, v)| shrinkage * p + (1.0 - shrinkage) * v)
            .collect();
        Self {
            names: self.names.clone(),
            values,
            boring: false,
        }
    }

    /// The steps of `correlation_over_time` after each period's estimate, in its order:
    /// [`Self::cleaned`] when `cleaning` gives the period's must-haves and `offdiag`, then the
    /// floor at zero, then the clip.
    pub(crate) fn finished(
        self,
        cleaning: Option<(&[bool], f64)>,
        floor_at_zero: bool,
        clip: Option<f64>,
    ) -> Result<Self, EstimateError> {
        let mut c = match cleaning {
            Some((must_haves, offdiag)) => self.cleaned(must_haves, offdiag)?,
            None => self,
        };
        if floor_at_zero {
            c = c.floored(0.0);
        }
        if let Some(clip) = clip {
            c = c.clipped(clip);
        }
        Ok(c)
    }

    /// Fills missing values so that there is always some matrix (`clean_correlation`): unchanged
    /// when nothing is missing; the boring matrix (`offdiag`) when everything is; otherwise a
    /// missing value between two `must_haves` (assets with data in the fit period) becomes the
    /// average correlation, any other missing value `offdiag`, and the diagonal 1.
    pub fn cleaned(&self, must_haves: &[bool], offdiag: f64) -> Result<Self, EstimateError> {
        let n = self.size();
        if must_haves.len() != n {
            return Err(EstimateError::LengthMismatch {
                what: "must-have flags",
                expected: n,
                got: must_haves.len(),
            });
        }
        if self.all_values_present() {
            return Ok(self.clone());
        }
        if self.no_values_present() {
            return Ok(Self::boring(self.names.clone(), offdiag));
        }
        let avg = self.average();
        let mut values = self.values.clone();
        for i in 0..n {
            for j in 0..n {
                let v = &mut values[i * n + j];
                if i == j {
                    *v = 1.0;
                } else if v.is_nan() {
                    *v = if must_haves[i] && must_haves[j] {
                        avg
                    } else {
                        offdiag
                    };
                }
            }
        }
        Ok(Self {
            names: self.names.clone(),
            values,
            boring: false,
        })
    }
}

/// Columns of numbers on a shared, ascending timestamp index (NaN = missing): the returns or
/// forecasts an estimate is fitted on.
#[derive(Debug, Clone, PartialEq)]
pub struct DataFrame {
    pub index: Vec<Timestamp>,
    pub names: Vec<String>,
    /// One column per name, each as long as the index.
    pub columns: Vec<Vec<f64>>,
}

impl DataFrame {
    /// Checks the shape and that the index ascends (ties allowed).
    pub fn new(
        index: Vec<Timestamp>,
        names: Vec<String>,
        columns: Vec<Vec<f64>>,
    ) -> Result<Self, EstimateError> {
        if columns.len() != names.len() {
            return Err(EstimateError::LengthMismatch {
                what: "columns",
                expected: names.len(),
                got: columns.len(),
            });
        }
        for c in &columns {
            if c.len() != index.len() {
                return Err(EstimateError::LengthMismatch {
                    what: "column values",
                    expected: index.len(),
                    got: c.len(),
                });
            }
        }
        if let Some(k) = index.windows(2).position(|w| w[1] < w[0]) {
            return Err(EstimateError::UnsortedIndex(k + 1));
        }
        Ok(Self {
            index,
            names,
            columns,
        })
    }

    /// Whether each column has a value in `[from, to]` (`must_have_item` over the label slice).
    pub fn has_data_between(&self, from: Timestamp, to: Timestamp) -> Vec<bool> {
        let lo = self.index.partition_point(|t| *t < from);
        let hi = self.index.partition_point(|t| *t <= to);
        self.columns
            .iter()
            .map(|c| c[lo..hi.max(lo)].iter().any(|v| !v.is_nan()))
            .collect()
    }

    /// The number of rows in `[from, to]` (`len(data[from:to].index)`).
    pub fn rows_between(&self, from: Timestamp, to: Timestamp) -> usize {
        let lo = self.index.partition_point(|t| *t < from);
        let hi = self.index.partition_point(|t| *t <= to);
        hi.saturating_sub(lo)
    }
}

/// pysystemtrade's exponentially weighted correlation estimate per fit period
/// (`exponentialCorrelation` behind `correlationEstimator` with `using_exponent: True`):
/// pandas `data.ewm(span = ew_lookback × length_adjustment, min_periods = min_periods ×
/// length_adjustment, ignore_na=True).corr(pairwise=True)`, the matrix of the **last row strictly
/// before** the period's `fit_end`, then [`Correlation::cleaned`] (with must-haves from the fit
/// window), the floor at zero and the clip as configured. A period without data gets the boring
/// matrix (0.99).
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationEstimator {
    pub ew_lookback: f64,
    pub min_periods: usize,
    pub cleaning: bool,
    pub floor_at_zero: bool,
    pub offdiag: f64,
    pub clip: Option<f64>,
    /// The number of pooled instruments (1 when not pooled): lookback and minimum periods scale
    /// with it.
    pub length_adjustment: usize,
}

impl CorrelationEstimator {
    /// One matrix per fit period, in the periods' order (`correlation_over_time`).
    ///
    /// pandas correlates each pair over the rows where **both** have a value: each pair keeps its
    /// own exponentially weighted covariance and the two variances over those joint rows.
    pub fn estimate(
        &self,
        data: &DataFrame,
        periods: &FitPeriods,
    ) -> Result<Vec<Correlation>, EstimateError> {
        let span = self.ew_lookback * self.length_adjustment.max(1) as f64;
        if !(span.is_finite() && span >= 1.0) {
            return Err(EstimateError::BadParameter {
                what: "ew_lookback",
                value: self.ew_lookback,
            });
        }
        let min_periods = self.min_periods * self.length_adjustment.max(1);
        let decay = 1.0 - 2.0 / (span + 1.0);
        let n = data.names.len();
        let mut order: Vec<usize> = (0..periods.len()).collect();
        order.sort_by_key(|&k| periods.0[k].fit_end);
        // Per first column i (in parallel), per period: the correlations of the pairs (i, j ≥ i),
        // each pair keeping (cov_ij, var_i, var_j) over its joint observations ([`EwmCov`]).
        let by_first: Vec<Vec<Vec<f64>>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let mut pairs = vec![EwmCov::EMPTY; n - i];
                let mut at = vec![Vec::new(); periods.len()];
                let mut row = 0usize;
                for &k in &order {
                    let period = &periods.0[k];
                    if period.no_data {
                        continue;
                    }
                    while row < data.index.len() && data.index[row] < period.fit_end {
                        let x = data.columns[i][row];
                        if !x.is_nan() {
                            for (j, p) in (i..n).zip(pairs.iter_mut()) {
                                let y = data.columns[j][row];
                                if y.is_nan() {
                                    continue;
                                }
                                p.update(x, y, decay);
                            }
                        }
                        row += 1;
                    }
                    at[k] = pairs.iter().map(|p| p.correlation(min_periods)).collect();
                }
                at
            })
            .collect();
        let first = data.index.first().copied();
        let mut out: Vec<Option<Correlation>> = vec![None; periods.len()];
        for k in order {
            let period: &FitPeriod = &periods.0[k];
            if period.no_data {
                out[k] = Some(Correlation::boring(data.names.clone(), BORING_OFFDIAG));
                continue;
            }
            let mut values = vec![f64::NAN; n * n];
            // no row before the period's end: no pair has a value
            if first.is_some_and(|t| t < period.fit_end) {
                for (i, at) in by_first.iter().enumerate() {
                    for (j, r) in (i..n).zip(&at[k]) {
                        values[i * n + j] = *r;
                        values[j * n + i] = *r;
                    }
                }
            }
            let must = self
                .cleaning
                .then(|| data.has_data_between(period.fit_start, period.fit_end));
            out[k] = Some(Correlation::new(data.names.clone(), values)?.finished(
                must.as_deref().map(|m| (m, self.offdiag)),
                self.floor_at_zero,
                self.clip,
            )?);
        }
        Ok(out
            .into_iter()
            .map(|c| c.unwrap_or_else(|| Correlation::boring(data.names.clone(), BORING_OFFDIAG)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit_dates::{DateMethod, Interval, fit_periods};

    fn names(k: usize) -> Vec<String> {
        (0..k).map(|i| format!("a{i}")).collect()
    }

    #[test]
    fn cleaning_follows_pysystemtrades_doc_examples() {
        let nan = f64::NAN;
        let c = Correlation::new(
            names(3),
            vec![1.0, nan, 0.5, nan, 1.0, 0.75, 0.5, 0.75, 1.0],
        )
        .unwrap();
        // average of the off-diagonal values present: (0.5 + 0.75) / 2
        let all = c.cleaned(&[true, true, true], 0.99).unwrap();
        assert_eq!(all.get(0, 1), 0.625);
        assert_eq!(all.get(1, 0), 0.625);
        let some = c.cleaned(&[false, true, true], 0.99).unwrap();
        assert_eq!(some.get(0, 1), 0.99);
        assert_eq!(some.get(1, 2), 0.75);
        let none = Correlation::new(names(3), vec![nan; 9]).unwrap();
        let b = none.cleaned(&[true; 3], 0.99).unwrap();
        assert!(b.is_boring());
        assert_eq!(b.get(2, 1), 0.99);
        assert_eq!(b.get(2, 2), 1.0);
        assert!(c.cleaned(&[true], 0.99).is_err());
    }

    #[test]
    fn floor_clip_average_and_missing_assets() {
        let nan = f64::NAN;
        let c = Correlation::new(
            names(3),
            vec![nan, -0.5, nan, -0.5, 1.0, nan, nan, nan, 1.0],
        )
        .unwrap();
        let f = c.floored(0.0);
        assert_eq!(f.get(0, 1), 0.0);
        assert_eq!(f.get(0, 0), 1.0);
        assert!(f.get(0, 2).is_nan());
        assert_eq!(c.average(), -0.5);
        // a column needs two values: a0 has only −0.5 off its NaN diagonal
        assert_eq!(c.assets_with_missing_data(), vec![0, 2]);
        assert_eq!(c.assets_with_data(), vec![1]);
        let k = Correlation::new(names(2), vec![1.0, 0.995, 0.995, 1.0]).unwrap();
        assert_eq!(k.clipped(-0.99).get(0, 1), 0.99);
        assert!(Correlation::new(names(2), vec![1.0; 3]).is_err());
        let s = k.shrunk_to_average(0.5);
        assert_eq!(s.get(0, 1), 0.995);
        assert!(
            Correlation::new(names(1), vec![1.0])
                .unwrap()
                .average()
                .is_nan()
        );
    }

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    /// Two series, exact biased EW moments by hand (span 3 → α = 0.5, weights 1, ½, ¼ …).
    #[test]
    fn ewm_correlation_by_hand_with_missing_rows_and_min_periods() {
        let index: Vec<Timestamp> = (0..5)
            .map(|d| Timestamp::from_date(chrono::NaiveDate::from_ymd_opt(2001, 1, 1 + d).unwrap()))
            .collect();
        let x = vec![1.0, 2.0, f64::NAN, 4.0, 3.0];
        let y = vec![1.0, 3.0, 5.0, 2.0, f64::NAN];
        let data = DataFrame::new(index, names(2), vec![x, y]).unwrap();
        let periods = FitPeriods(vec![FitPeriod {
            fit_start: ts("2001-01-01"),
            fit_end: ts("2001-01-05"),
            period_start: ts("2001-01-05"),
            period_end: ts("2001-02-01"),
            no_data: false,
        }]);
        let est = CorrelationEstimator {
            ew_lookback: 3.0,
            min_periods: 3,
            cleaning: false,
            floor_at_zero: false,
            offdiag: 0.99,
            clip: None,
            length_adjustment: 1,
        };
        // rows before 01-05: joint observations (1,1), (2,3), (4,2) with weights ¼, ½, 1
        let w = [0.25, 0.5, 1.0];
        let (xs, ys) = ([1.0, 2.0, 4.0], [1.0, 3.0, 2.0]);
        let sw: f64 = w.iter().sum();
        let mx = (0..3).map(|k| w[k] * xs[k]).sum::<f64>() / sw;
        let my = (0..3).map(|k| w[k] * ys[k]).sum::<f64>() / sw;
        let cov = (0..3)
            .map(|k| w[k] * (xs[k] - mx) * (ys[k] - my))
            .sum::<f64>();
        let vx = (0..3).map(|k| w[k] * (xs[k] - mx).powi(2)).sum::<f64>();
        let vy = (0..3).map(|k| w[k] * (ys[k] - my).powi(2)).sum::<f64>();
        let expected = cov / (vx * vy).sqrt();
        let c = &est.estimate(&data, &periods).unwrap()[0];
        assert!(
            (c.get(0, 1) - expected).abs() < 1e-14,
            "{} {expected}",
            c.get(0, 1)
        );
        assert!((c.get(0, 0) - 1.0).abs() < 1e-15);
        // min_periods 4: three joint observations give no correlation, and the average of the
        // (absent) others is NaN too
        let short = CorrelationEstimator {
            min_periods: 4,
            cleaning: true,
            ..est.clone()
        };
        let c = &short.estimate(&data, &periods).unwrap()[0];
        assert!(c.get(0, 1).is_nan() && !c.is_boring());
        assert_eq!(c.get(1, 1), 1.0);
        // min_periods 5: nothing at all, cleaned to the boring matrix
        let short = CorrelationEstimator {
            min_periods: 5,
            cleaning: true,
            ..est.clone()
        };
        let c = &short.estimate(&data, &periods).unwrap()[0];
        assert!(c.is_boring());
        assert_eq!(c.get(0, 1), 0.99);
        // no rows at all before the fit end
        let early = FitPeriods(vec![FitPeriod {
            fit_end: ts("2000-01-01"),
            ..periods.0[0]
        }]);
        let c = &est.estimate(&data, &early).unwrap()[0];
        assert!(c.get(0, 1).is_nan());
    }

    #[test]
    fn constant_and_singular_inputs_give_nan_not_panics() {
        let index: Vec<Timestamp> = (0..30)
            .map(|d| Timestamp::from_micros(d * 86_400_000_000))
            .collect();
        let x = vec![2.0; 30];
        let y: Vec<f64> = (0..30).map(|k| k as f64).collect();
        let z = y.clone();
        let data = DataFrame::new(index, names(3), vec![x, y, z]).unwrap();
        let periods = fit_periods(
            data.index[0],
            data.index[29],
            DateMethod::InSample,
            20,
            Interval::YEARLY,
        )
        .unwrap();
        let est = CorrelationEstimator {
            ew_lookback: 10.0,
            min_periods: 5,
            cleaning: true,
            floor_at_zero: true,
            offdiag: 0.99,
            clip: None,
            length_adjustment: 1,
        };
        let c = &est.estimate(&data, &periods).unwrap()[0];
        // a constant series has no correlation: cleaned to the average of the rest (1.0)
        assert!((c.get(1, 2) - 1.0).abs() < 1e-12);
        assert!((c.get(0, 1) - c.get(1, 2)).abs() < 1e-12);
        assert!(c.values().iter().all(|v| v.is_finite()));
        assert!(
            DataFrame::new(
                vec![data.index[1], data.index[0]],
                names(1),
                vec![vec![1.0, 2.0]]
            )
            .is_err()
        );
    }
}
