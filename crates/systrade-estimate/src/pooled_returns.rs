//! Forecast weights for every instrument of a pool at once (`pool_gross_returns`), with the
//! estimates of [`crate::over_time::optimise_over_time`] but without building each instrument's
//! pooled returns.
//!
//! With pooled gross returns, every instrument of the pool fits its weights on the same stacked
//! weekly returns, each charged its own costs ([`crate::returns::pre_process`]): for asset `i`
//! of the pool, column (rule) `c` and the instrument `A` being fitted, the weekly net return is
//! `Σ_days (x + k_A,c × σ_i,c / 16)` over the days `x` has a value, where `k_A,c` is `A`'s SR cost
//! of the column (times `cost_multiplier`) and `σ_i,c` the standard deviation of `i`'s daily
//! gross returns. So a stacked row is `s + k_A,c × z`, where `s` (the weekly gross sum) and
//! `z = n × σ_i,c / 16` (`n` the days with a value) are the same for every instrument `A`.
//!
//! The estimators are exponentially weighted means and covariances whose recursions (pandas'
//! `ewma` and `ewmcov`, [`systrade_series::ewm_mean`], [`systrade_series::ewm_var`],
//! [`systrade_series::EwmCov`]) are linear in the values and bilinear in pairs of values for a
//! given pattern of missing values, and `s + k z` is missing exactly where `s` is. So the mean of
//! a column is `mean(s) + k mean(z)`, its variance `var(s) + 2k cov(s, z) + k² var(z)`, and the
//! covariance of two columns over their joint rows
//! `cov(s₁, s₂) + k₂ cov(s₁, z₂) + k₁ cov(z₁, s₂) + k₁k₂ cov(z₁, z₂)`. These moments of `s` and `z`
//! are computed once, at each fit period's end, for the whole pool; each instrument's
//! correlations, means and standard deviations follow from its costs. The results equal the
//! per-instrument computation's in exact arithmetic; in floating point they differ by rounding
//! (the test below bounds it at 1e-12 relative).
//!
//! Where that identity does not hold (a column with fewer than two daily values, whose
//! standard deviation is NaN, or a NaN cost), [`PooledForecastReturns::new`] returns `None` and
//! the caller fits each instrument on its own returns.

use crate::EstimateError;
use crate::correlation::{BORING_OFFDIAG, Correlation, DataFrame};
use crate::fit_dates::{FitPeriod, FitPeriods, fit_periods};
use crate::handcraft::periods_per_year;
use crate::over_time::{OptimiserSettings, PeriodEstimates, PeriodWeights, optimise_periods};
use crate::returns::{
    DailyFrame, PreProcessing, ROOT_BDAYS_INYEAR, ReturnsWithCosts, cost_sr, equalise, nan_std,
    stack_weekly,
};
use rayon::prelude::*;
use systrade_series::Ewm;

/// The pooled weekly gross sums and cost shapes of a pool, with each member's costs.
#[derive(Debug, Clone)]
pub struct PooledForecastReturns {
    /// The stacked weekly gross sums `s` (one column per rule).
    sums: DataFrame,
    /// Per column, `z = n × σ_i,c / 16` on the stacked rows (NaN where `s` is).
    shapes: Vec<Vec<f64>>,
    /// The pool's members, in the order of the assets given.
    members: Vec<String>,
    /// Per member, the annual SR cost of each column before the cost multiplier.
    unadjusted: Vec<Vec<f64>>,
    /// Per member, the SR cost each column is charged (`k`).
    costs: Vec<Vec<f64>>,
}

impl PooledForecastReturns {
    /// The pool of `assets` (as [`crate::returns::pre_process`] takes them, every asset a
    /// member). `None` when nothing is pooled (`pool_gross_returns` off, one asset) or the
    /// shortcut would not be exact (module docs).
    ///
    /// # Errors
    /// As [`crate::returns::pre_process`].
    pub fn new(
        assets: &[(String, ReturnsWithCosts)],
        turnovers: &[Vec<f64>],
        cfg: &PreProcessing,
    ) -> Result<Option<Self>, EstimateError> {
        if cfg.frequency != "W" {
            return Err(EstimateError::UnknownInterval(cfg.frequency.clone()));
        }
        if !cfg.pool_gross_returns || assets.len() < 2 {
            return Ok(None);
        }
        let names = &assets[0].1.names;
        if let Some((_, r)) = assets.iter().find(|(_, r)| &r.names != names) {
            return Err(EstimateError::LengthMismatch {
                what: "columns of pooled returns",
                expected: names.len(),
                got: r.names.len(),
            });
        }
        let mut unadjusted = Vec::with_capacity(assets.len());
        let mut costs = Vec::with_capacity(assets.len());
        for me in 0..assets.len() {
            let u = cost_sr(assets, turnovers, me, cfg, false)?;
            let k: Vec<f64> = if cfg.cost_multiplier == 1.0 {
                u.clone()
            } else {
                u.iter().map(|c| c * cfg.cost_multiplier).collect()
            };
            if k.iter().any(|c| !c.is_finite()) {
                return Ok(None);
            }
            unadjusted.push(u);
            costs.push(k);
        }
        // the gross returns, copied only to be equalised
        let equalised: Option<Vec<DailyFrame>> = cfg.equalise_gross.then(|| {
            let mut frames: Vec<DailyFrame> = assets.iter().map(|(_, r)| r.gross.clone()).collect();
            equalise(&mut frames, names.len());
            frames
        });
        let gross: Vec<&DailyFrame> = match &equalised {
            Some(frames) => frames.iter().collect(),
            None => assets.iter().map(|(_, r)| &r.gross).collect(),
        };
        // σ_i,c / 16 per asset and column
        let per_day: Vec<Vec<f64>> = gross
            .iter()
            .map(|f| {
                f.columns
                    .iter()
                    .map(|c| nan_std(c) / ROOT_BDAYS_INYEAR)
                    .collect()
            })
            .collect();
        if per_day.iter().flatten().any(|v| !v.is_finite()) {
            return Ok(None);
        }
        let (sums, days) = stack_weekly(&gross, names, true)?;
        let pool = assets.len();
        let shapes = days
            .into_iter()
            .enumerate()
            .map(|(c, n)| {
                n.iter()
                    .enumerate()
                    .map(|(row, n)| n * per_day[row % pool][c])
                    .collect()
            })
            .collect();
        Ok(Some(Self {
            sums,
            shapes,
            members: assets.iter().map(|(n, _)| n.clone()).collect(),
            unadjusted,
            costs,
        }))
    }

    /// The moments every member's estimates are made of, for the optimiser settings `s`.
    ///
    /// # Errors
    /// Bad estimator settings, no data.
    pub fn estimate(&self, s: &OptimiserSettings) -> Result<PooledEstimates<'_>, EstimateError> {
        let data = &self.sums;
        let (Some(&start), Some(&end)) = (data.index.first(), data.index.last()) else {
            return Err(EstimateError::NoData);
        };
        let periods = fit_periods(start, end, s.date_method, s.rollyears, s.interval)?;
        let per_year = periods_per_year("W").ok_or(EstimateError::NoData)?;
        let adjust = self.members.len();
        let corr = &s.correlation;
        let span = corr.ew.ew_lookback * adjust as f64;
        if !(span.is_finite() && span >= 1.0) {
            return Err(EstimateError::BadParameter {
                what: "ew_lookback",
                value: corr.ew.ew_lookback,
            });
        }
        let decay = 1.0 - 2.0 / (span + 1.0);
        let n = data.names.len();
        let pairs: Vec<(usize, usize)> = (0..n).flat_map(|i| (i..n).map(move |j| (i, j))).collect();
        let mut order: Vec<usize> = (0..periods.len()).collect();
        order.sort_by_key(|&k| periods.0[k].fit_end);
        let joint: Vec<Vec<Joint>> = pairs
            .par_iter()
            .map(|&(i, j)| {
                let v = [
                    &data.columns[i],
                    &self.shapes[i],
                    &data.columns[j],
                    &self.shapes[j],
                ];
                let mut state = Joint::EMPTY;
                let mut at = vec![Joint::EMPTY; periods.len()];
                let mut row = 0;
                for &k in &order {
                    let p = &periods.0[k];
                    if p.no_data {
                        continue;
                    }
                    while row < data.index.len() && data.index[row] < p.fit_end {
                        if !v[0][row].is_nan() && !v[2][row].is_nan() {
                            state.update([v[0][row], v[1][row], v[2][row], v[3][row]], decay);
                        }
                        row += 1;
                    }
                    at[k] = state;
                }
                at
            })
            .collect();
        let moments =
            |e: crate::over_time::EwSettings| -> Result<Vec<Vec<[f64; 5]>>, EstimateError> {
                let span = e.ew_lookback * adjust as f64;
                if !(span.is_finite() && span >= 1.0) {
                    return Err(EstimateError::BadParameter {
                        what: "ew_lookback",
                        value: e.ew_lookback,
                    });
                }
                let rows: Vec<Option<usize>> = periods
                    .periods()
                    .iter()
                    .map(|p| {
                        let before = data.index.partition_point(|t| *t < p.fit_end);
                        (!p.no_data && before > 0).then(|| before - 1)
                    })
                    .collect();
                Ok((0..n)
                    .into_par_iter()
                    .map(|c| {
                        ewm_moments_at(
                            &data.columns[c],
                            &self.shapes[c],
                            Ewm::span(span),
                            e.min_periods * adjust,
                            &rows,
                        )
                    })
                    .collect())
            };
        let means = moments(s.mean)?;
        let vars = moments(s.vol)?;
        Ok(PooledEstimates {
            pool: self,
            periods,
            per_year,
            correlation_min_periods: corr.ew.min_periods * adjust,
            pairs,
            joint,
            means,
            vars,
        })
    }
}

/// The moments of a pool at each fit period ([`PooledForecastReturns::estimate`]).
pub struct PooledEstimates<'a> {
    pool: &'a PooledForecastReturns,
    periods: FitPeriods,
    per_year: f64,
    correlation_min_periods: usize,
    /// The column pairs `(i, j)`, `i ≤ j`.
    pairs: Vec<(usize, usize)>,
    /// Per pair, per period: the joint moments of `(s_i, z_i, s_j, z_j)`.
    joint: Vec<Vec<Joint>>,
    /// Per column, per period: `[mean s, mean z, var s, cov(s, z), var z]` with the mean
    /// estimator's settings ...
    means: Vec<Vec<[f64; 5]>>,
    /// ... and with the vol estimator's.
    vars: Vec<Vec<[f64; 5]>>,
}

impl PooledEstimates<'_> {
    /// Member `asset`'s weights per fit period, as [`crate::over_time::optimise_over_time`] of
    /// its [`crate::returns::pre_process`]ed returns gives them.
    ///
    /// # Errors
    /// An asset not in the pool; the optimiser's errors.
    pub fn weights_for(
        &self,
        asset: &str,
        s: &OptimiserSettings,
    ) -> Result<Vec<PeriodWeights>, EstimateError> {
        let pool = self.pool;
        let me = pool
            .members
            .iter()
            .position(|n| n == asset)
            .ok_or_else(|| EstimateError::UnknownName(asset.to_string()))?;
        let k = &pool.costs[me];
        let data = &pool.sums;
        let n = data.names.len();
        let first = data.index.first().copied();
        let corr = &s.correlation;
        let mut correlations = Vec::with_capacity(self.periods.len());
        for (p, period) in self.periods.periods().iter().enumerate() {
            if period.no_data {
                correlations.push(Correlation::boring(data.names.clone(), BORING_OFFDIAG));
                continue;
            }
            let mut values = vec![f64::NAN; n * n];
            if first.is_some_and(|t| t < period.fit_end) {
                for (&(i, j), joint) in self.pairs.iter().zip(&self.joint) {
                    let r = joint[p].correlation(k[i], k[j], self.correlation_min_periods);
                    values[i * n + j] = r;
                    values[j * n + i] = r;
                }
            }
            let must = corr
                .cleaning
                .then(|| data.has_data_between(period.fit_start, period.fit_end));
            correlations.push(Correlation::new(data.names.clone(), values)?.finished(
                must.as_deref().map(|m| (m, corr.offdiag)),
                corr.floor_at_zero,
                corr.clip,
            )?);
        }
        let root = self.per_year.sqrt();
        let per_period = |f: &dyn Fn(&[f64; 5], f64) -> f64, of: &Vec<Vec<[f64; 5]>>| {
            (0..self.periods.len())
                .map(|p| (0..n).map(|c| f(&of[c][p], k[c])).collect())
                .collect::<Vec<Vec<f64>>>()
        };
        let means = per_period(&|m, k| (m[0] + k * m[1]) * self.per_year, &self.means);
        let stdevs = per_period(
            &|m, k| {
                let var = m[2] + 2.0 * k * m[3] + k * k * m[4];
                (if var < 0.0 { 0.0 } else { var.sqrt() }) * root
            },
            &self.vars,
        );
        optimise_periods(
            PeriodEstimates {
                periods: self.periods.periods(),
                names: &data.names,
                periods_per_year: self.per_year,
                correlations,
                means,
                stdevs,
                data_length: &|p: &FitPeriod| data.rows_between(p.fit_start, p.fit_end),
                has_data: &|p: &FitPeriod| data.has_data_between(p.fit_start, p.fit_end),
            },
            s,
            &pool.unadjusted[me],
        )
    }
}

/// pandas' `ewmcov` state ([`systrade_series::EwmCov`]: `adjust=True`, `ignore_na=True`,
/// biased) of four series observed together, `(s_i, z_i, s_j, z_j)`, with every pairwise
/// covariance (upper triangle, row-major).
#[derive(Debug, Clone, Copy)]
struct Joint {
    mean: [f64; 4],
    cov: [f64; 10],
    old_wt: f64,
    nobs: usize,
}

/// Index of `(a, b)`, `a ≤ b`, in the upper triangle of a 4 × 4 matrix.
const fn upper(a: usize, b: usize) -> usize {
    a * 4 - a * (a + 1) / 2 + b
}

impl Joint {
    const EMPTY: Joint = Joint {
        mean: [f64::NAN; 4],
        cov: [0.0; 10],
        old_wt: 1.0,
        nobs: 0,
    };

    fn update(&mut self, v: [f64; 4], decay: f64) {
        self.nobs += 1;
        if self.nobs == 1 {
            self.mean = v;
            return;
        }
        self.old_wt *= decay;
        let w = self.old_wt;
        let (mut d, mut e) = ([0.0; 4], [0.0; 4]);
        for a in 0..4 {
            let old = self.mean[a];
            if old != v[a] {
                self.mean[a] = (w * old + v[a]) / (w + 1.0);
            }
            d[a] = old - self.mean[a];
            e[a] = v[a] - self.mean[a];
        }
        for a in 0..4 {
            for b in a..4 {
                let c = &mut self.cov[upper(a, b)];
                *c = (w * (*c + d[a] * d[b]) + e[a] * e[b]) / (w + 1.0);
            }
        }
        self.old_wt += 1.0;
    }

    /// The correlation of `s_i + k_i z_i` with `s_j + k_j z_j` over the joint observations (as
    /// [`systrade_series::EwmCov`]'s covariance and variances give it): NaN before
    /// `min_periods` (at least 1).
    fn correlation(&self, k_i: f64, k_j: f64, min_periods: usize) -> f64 {
        if self.nobs < min_periods.max(1) {
            return f64::NAN;
        }
        let c = |a, b| self.cov[upper(a, b)];
        let cov = c(0, 2) + k_j * c(0, 3) + k_i * c(1, 2) + k_i * k_j * c(1, 3);
        let var_i = c(0, 0) + 2.0 * k_i * c(0, 1) + k_i * k_i * c(1, 1);
        let var_j = c(2, 2) + 2.0 * k_j * c(2, 3) + k_j * k_j * c(3, 3);
        let p = var_i * var_j;
        cov / if p > 0.0 { p.sqrt() } else { 0.0 }
    }
}

/// At each of `rows` (`None`: NaN), `[mean s, mean z, var s, cov(s, z), var z]` of two series
/// with the same missing values: pandas `ewm(…, min_periods).mean()` and the bias-corrected
/// `.var()` / `.cov()` (`adjust=True`, `ignore_na=False`), by the recursion of
/// [`systrade_series::ewm_var`] (whose running mean is [`systrade_series::ewm_mean`]'s), kept
/// only at the rows asked for.
fn ewm_moments_at(
    s: &[f64],
    z: &[f64],
    ewm: Ewm,
    min_periods: usize,
    rows: &[Option<usize>],
) -> Vec<[f64; 5]> {
    let mut wanted: Vec<usize> = rows.iter().flatten().copied().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut kept: Vec<[f64; 5]> = Vec::with_capacity(wanted.len());
    if let Some(&last) = wanted.last() {
        let minp = min_periods.max(1);
        let factor = 1.0 - ewm.smoothing();
        let mut mean = [s[0], z[0]];
        let mut nobs = usize::from(!s[0].is_nan());
        let mut cov = [0.0_f64; 3];
        let (mut sum_wt, mut sum_wt2, mut old_wt) = (1.0_f64, 1.0_f64, 1.0_f64);
        let mut next = wanted.iter().peekable();
        for t in 0..=last {
            if t > 0 {
                let cur = [s[t], z[t]];
                let is_obs = !cur[0].is_nan();
                nobs += usize::from(is_obs);
                if !mean[0].is_nan() {
                    sum_wt *= factor;
                    sum_wt2 *= factor * factor;
                    old_wt *= factor;
                    if is_obs {
                        let old = mean;
                        for a in 0..2 {
                            if mean[a] != cur[a] {
                                mean[a] = (old_wt * old[a] + cur[a]) / (old_wt + 1.0);
                            }
                        }
                        let d = [old[0] - mean[0], old[1] - mean[1]];
                        let e = [cur[0] - mean[0], cur[1] - mean[1]];
                        for (c, (a, b)) in cov.iter_mut().zip([(0, 0), (0, 1), (1, 1)]) {
                            *c = (old_wt * (*c + d[a] * d[b]) + e[a] * e[b]) / (old_wt + 1.0);
                        }
                        sum_wt += 1.0;
                        sum_wt2 += 1.0;
                        old_wt += 1.0;
                    }
                } else if is_obs {
                    mean = cur;
                }
            }
            if next.peek() == Some(&&t) {
                next.next();
                let mut m = [f64::NAN; 5];
                if nobs >= minp {
                    m[0] = mean[0];
                    m[1] = mean[1];
                    let numerator = sum_wt * sum_wt;
                    let denominator = numerator - sum_wt2;
                    // the variance needs a second observation (NaN on the first row)
                    if t > 0 && denominator > 0.0 {
                        for (v, c) in m[2..].iter_mut().zip(cov) {
                            *v = numerator / denominator * c;
                        }
                    }
                }
                kept.push(m);
            }
        }
    }
    rows.iter()
        .map(|r| match r {
            Some(t) => kept[wanted.partition_point(|w| w < t)],
            None => [f64::NAN; 5],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit_dates::{DateMethod, Interval};
    use crate::optimisers::{Method, WeightingArgs};
    use crate::over_time::{CorrelationSettings, EwSettings, optimise_over_time};
    use crate::returns::pre_process;
    use chrono::NaiveDate;
    use systrade_series::{DailySeries, business_days};

    /// Seeded pseudo-random numbers in (−1, 1) (xorshift).
    fn noise(seed: u64, n: usize) -> Vec<f64> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 11) as f64 / (1u64 << 52) as f64 - 1.0
            })
            .collect()
    }

    /// Five instruments with three rules each, starting on different days, with gaps.
    fn pool() -> Vec<(String, ReturnsWithCosts)> {
        let names: Vec<String> = ["ewmac8", "ewmac32", "carry"].map(String::from).to_vec();
        (0..5)
            .map(|a| {
                let start = NaiveDate::from_ymd_opt(2000 + a, 1 + a as u32, 3).unwrap();
                let dates = business_days(start, NaiveDate::from_ymd_opt(2012, 6, 29).unwrap());
                let curves = |kind: u64, scale: f64| -> Vec<DailySeries> {
                    (0..3)
                        .map(|r| {
                            let mut v: Vec<f64> =
                                noise(kind * 100 + a as u64 * 10 + r, dates.len())
                                    .into_iter()
                                    .map(|x| x * scale + 0.0002 * r as f64)
                                    .collect();
                            // a gap of missing days in some columns
                            if r == 1 {
                                v[300..340].iter_mut().for_each(|x| *x = f64::NAN);
                            }
                            DailySeries::new(dates.clone(), v)
                        })
                        .collect()
                };
                let gross = curves(1, 0.01);
                let costs: Vec<DailySeries> = curves(2, 0.0001)
                    .into_iter()
                    .map(|c| {
                        let v = c.values.iter().map(|x| -(x.abs())).collect();
                        DailySeries::new(c.dates, v)
                    })
                    .collect();
                let g: Vec<&DailySeries> = gross.iter().collect();
                let c: Vec<&DailySeries> = costs.iter().collect();
                (
                    format!("I{a}"),
                    ReturnsWithCosts::new(names.clone(), &g, &c),
                )
            })
            .collect()
    }

    fn settings(method: Method) -> OptimiserSettings {
        OptimiserSettings {
            method,
            args: WeightingArgs {
                equalise_sr: false,
                ..WeightingArgs::default()
            },
            date_method: DateMethod::Expanding,
            rollyears: 20,
            interval: "12M".parse::<Interval>().unwrap(),
            cleaning: true,
            correlation: CorrelationSettings {
                ew: EwSettings {
                    ew_lookback: 50.0,
                    min_periods: 10,
                },
                cleaning: true,
                floor_at_zero: true,
                offdiag: 0.99,
                clip: None,
            },
            mean: EwSettings {
                ew_lookback: 60.0,
                min_periods: 5,
            },
            vol: EwSettings {
                ew_lookback: 40.0,
                min_periods: 5,
            },
            apply_cost_weight: true,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-6)
    }

    #[test]
    fn pooled_estimates_equal_each_members_own_within_rounding() {
        let assets = pool();
        let turnovers = vec![vec![10.0, 12.0, 9.0, 11.0, 8.0]; 3];
        for cfg in [
            PreProcessing {
                cost_multiplier: 2.0,
                ..PreProcessing::default()
            },
            PreProcessing {
                equalise_gross: true,
                use_pooled_turnover: false,
                ..PreProcessing::default()
            },
            PreProcessing {
                use_pooled_costs: true,
                ..PreProcessing::default()
            },
        ] {
            let pooled = PooledForecastReturns::new(&assets, &turnovers, &cfg)
                .unwrap()
                .expect("every column has a standard deviation and a cost");
            for method in [Method::Handcraft, Method::OnePeriod] {
                let s = settings(method);
                let estimates = pooled.estimate(&s).unwrap();
                for (name, _) in &assets {
                    let own = optimise_over_time(
                        &pre_process(&assets, &turnovers, name, &cfg).unwrap(),
                        &s,
                    )
                    .unwrap();
                    let fast = estimates.weights_for(name, &s).unwrap();
                    assert_eq!(own.len(), fast.len());
                    for (o, f) in own.iter().zip(&fast) {
                        assert_eq!(o.period, f.period);
                        match (&o.estimates, &f.estimates) {
                            (Some(a), Some(b)) => {
                                assert_eq!(a.data_length, b.data_length);
                                for (x, y) in a.mean.iter().zip(&b.mean) {
                                    assert!(close(*x, *y), "{name} mean {x} vs {y}");
                                }
                                for (x, y) in a.stdev.iter().zip(&b.stdev) {
                                    assert!(close(*x, *y), "{name} stdev {x} vs {y}");
                                }
                                for (x, y) in
                                    a.correlation.values().iter().zip(b.correlation.values())
                                {
                                    assert!(close(*x, *y), "{name} correlation {x} vs {y}");
                                }
                            }
                            (None, None) => {}
                            _ => panic!("{name}: estimates in one only"),
                        }
                        for ((na, wa), (nb, wb)) in
                            o.weights.entries().iter().zip(f.weights.entries())
                        {
                            assert_eq!(na, nb);
                            // handcrafting's SR adjustment is an SLSQP fit whose stopping
                            // rule (1e-6 on the objective in scipy's default; pysystemtrade
                            // parity is 1e-6 on weights) turns 1e-12 differences in the
                            // estimates into up to about 1e-9 in the weights
                            assert!((wa - wb).abs() < 1e-7, "{name} {na}: {wa} vs {wb}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn no_shortcut_when_nothing_is_pooled_or_a_column_has_no_deviation() {
        let assets = pool();
        let turnovers = vec![vec![10.0; 5]; 3];
        let unpooled = PreProcessing {
            pool_gross_returns: false,
            ..PreProcessing::default()
        };
        assert!(
            PooledForecastReturns::new(&assets, &turnovers, &unpooled)
                .unwrap()
                .is_none()
        );
        assert!(
            PooledForecastReturns::new(&assets[..1], &turnovers, &PreProcessing::default())
                .unwrap()
                .is_none()
        );
        let mut flat = assets.clone();
        flat[2].1.gross.columns[0]
            .iter_mut()
            .skip(1)
            .for_each(|x| *x = f64::NAN);
        assert!(
            PooledForecastReturns::new(&flat, &turnovers, &PreProcessing::default())
                .unwrap()
                .is_none()
        );
    }
}
