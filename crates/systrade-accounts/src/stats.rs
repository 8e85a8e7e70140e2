//! Account-curve statistics (spec §3.8 "Statistics", §8 item 19; pysystemtrade
//! `systems/accounts/curves/account_curve.py`) and turnover (`syscore/pandas/strategy_functions.py`).

use systrade_series::reindex_ffill;
use systrade_series::{DailySeries, Ewm, ewm_mean, ffill};

/// Business days per year.
pub const BUSINESS_DAYS_IN_YEAR: f64 = 256.0;

/// `scipy.stats.norm.ppf(0.01)`.
const NORM_PPF_0_01: f64 = -2.326_347_874_040_840_8;
/// `scipy.stats.norm.ppf(0.3)`.
const NORM_PPF_0_30: f64 = -0.524_400_512_708_040_7;

/// Statistics of a return series (one value per period; NaN = no value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub min: f64,
    pub max: f64,
    pub median: f64,
    pub mean: f64,
    pub std: f64,
    pub skew: f64,
    pub ann_mean: f64,
    pub ann_std: f64,
    pub sharpe: f64,
    pub sortino: f64,
    pub avg_drawdown: f64,
    pub worst_drawdown: f64,
    pub time_in_drawdown: f64,
    pub calmar: f64,
    pub avg_return_to_drawdown: f64,
    pub avg_loss: f64,
    pub avg_gain: f64,
    pub gaintolossratio: f64,
    pub profitfactor: f64,
    pub hitrate: f64,
    pub t_stat: f64,
    pub p_value: f64,
    pub quant_ratio_lower: f64,
    pub quant_ratio_upper: f64,
}

/// numpy's pairwise summation of a contiguous float64 array (`np.add.reduce`): blocks of up to 128
/// values summed with eight interleaved accumulators, larger arrays split in halves (at multiples
/// of 8). Summing in this order reproduces pandas' sums, means and variances to the last bit.
pub fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for x in a {
            res += x;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let full = n - n % 8;
        let mut i = 8;
        while i < full {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for x in &a[full..] {
            res += x;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        pairwise_sum(v) / v.len() as f64
    }
}

/// Sample standard deviation with `ddof` (two-pass, as pandas/numpy).
fn std_ddof(v: &[f64], ddof: usize) -> f64 {
    if v.len() <= ddof {
        return f64::NAN;
    }
    let m = mean(v);
    let sq: Vec<f64> = v.iter().map(|x| (m - x) * (m - x)).collect();
    (pairwise_sum(&sq) / (v.len() - ddof) as f64).sqrt()
}

/// pandas `Series.sum()`: NaN counted as 0, pairwise order over the whole array.
fn nansum(v: &[f64]) -> f64 {
    let filled: Vec<f64> = v
        .iter()
        .map(|x| if x.is_nan() { 0.0 } else { *x })
        .collect();
    pairwise_sum(&filled)
}

/// pandas `Series.mean()`: the pairwise sum of the NaN-as-0 array over the number of non-NaN
/// values (NaN when there are none).
pub fn pandas_mean(v: &[f64]) -> f64 {
    let count = v.iter().filter(|x| !x.is_nan()).count();
    nansum(v) / count as f64
}

/// pandas `Series.mean()` / `.std()` (ddof 1): over the NaN-as-0 array with the NaN rows left out
/// of the count and of the squared deviations.
fn pandas_mean_std(v: &[f64]) -> (f64, f64) {
    let count = v.iter().filter(|x| !x.is_nan()).count();
    let avg = pandas_mean(v);
    let sq: Vec<f64> = v
        .iter()
        .map(|x| {
            if x.is_nan() {
                0.0
            } else {
                (avg - x) * (avg - x)
            }
        })
        .collect();
    let var = pairwise_sum(&sq) / (count as f64 - 1.0);
    (avg, var.sqrt())
}

/// Linear-interpolated quantile of sorted values (numpy/pandas default).
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let t = pos - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    if t >= 0.5 {
        b - (b - a) * (1.0 - t)
    } else {
        a + (b - a) * t
    }
}

/// The cumulated curve `returns.cumsum().ffill()`.
pub fn curve(returns: &[f64]) -> Vec<f64> {
    ffill(&systrade_series::cumsum(returns))
}

/// Drawdown `curve − curve.expanding().max()`.
pub fn drawdown(returns: &[f64]) -> Vec<f64> {
    let c = curve(returns);
    let mut max = f64::NAN;
    c.iter()
        .map(|&x| {
            if !x.is_nan() && (max.is_nan() || x > max) {
                max = x;
            }
            x - max
        })
        .collect()
}

/// Statistics of `returns` at `periods_per_year` (256 for business days):
/// `ann_mean = Σ r / (N / periods)` with N counting every row; `ann_std = std(r) × √periods`;
/// `sharpe = ann_mean / ann_std`; sortino uses the population std of losses; drawdowns on
/// `cumsum().ffill()`; calmar `= ann_mean / −worst drawdown`; skew is the biased sample skewness;
/// t-test one-sample against 0 (two-sided p); quant ratios compare the 1 %/30 % (and 99 %/70 %)
/// quantiles of the demeaned non-zero returns with the normal distribution's ratio.
pub fn stats(returns: &[f64], periods_per_year: f64) -> Stats {
    let vals: Vec<f64> = returns.iter().copied().filter(|x| !x.is_nan()).collect();
    let mut sorted = vals.clone();
    sorted.sort_by(f64::total_cmp);
    let n = vals.len();
    let total = nansum(returns);
    let (m, sd) = pandas_mean_std(returns);
    let years = returns.len() as f64 / periods_per_year;
    let ann_mean = total / years;
    let vol_scalar = periods_per_year.sqrt();
    let ann_std = sd * vol_scalar;
    let losses: Vec<f64> = vals.iter().copied().filter(|&x| x < 0.0).collect();
    let gains: Vec<f64> = vals.iter().copied().filter(|&x| x > 0.0).collect();
    let dd: Vec<f64> = drawdown(returns)
        .into_iter()
        .filter(|x| !x.is_nan())
        .collect();
    let avg_drawdown = mean(&dd);
    let worst_drawdown = dd.iter().copied().fold(f64::NAN, f64::min);
    let in_dd = dd.iter().filter(|&&x| x < 0.0).count() as f64;
    let skew = {
        // scipy.stats.skew (biased): moments as means of (x − mean)² and (x − mean)²·(x − mean)
        let mu = mean(&vals);
        let dev: Vec<f64> = vals.iter().map(|x| x - mu).collect();
        let m2 = mean(&dev.iter().map(|d| d * d).collect::<Vec<_>>());
        let m3 = mean(&dev.iter().map(|d| d * d * d).collect::<Vec<_>>());
        m3 / m2.powf(1.5)
    };
    let t_stat = m / (sd / (n as f64).sqrt());
    let df = n as f64 - 1.0;
    let p_value = student_t_two_sided_p(t_stat, df);
    let (qr_lower, qr_upper) = quant_ratios(&vals);
    let avg_loss = mean(&losses);
    let avg_gain = mean(&gains);
    Stats {
        min: sorted.first().copied().unwrap_or(f64::NAN),
        max: sorted.last().copied().unwrap_or(f64::NAN),
        median: if n == 0 {
            f64::NAN
        } else if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        },
        mean: m,
        std: sd,
        skew,
        ann_mean,
        ann_std,
        sharpe: ann_mean / ann_std,
        sortino: ann_mean / (std_ddof(&losses, 0) * vol_scalar),
        avg_drawdown,
        worst_drawdown,
        time_in_drawdown: in_dd / dd.len() as f64,
        calmar: ann_mean / -worst_drawdown,
        avg_return_to_drawdown: ann_mean / -avg_drawdown,
        avg_loss,
        avg_gain,
        gaintolossratio: avg_gain / -avg_loss,
        profitfactor: pairwise_sum(&gains) / -pairwise_sum(&losses),
        hitrate: gains.len() as f64 / (losses.len() + gains.len()) as f64,
        t_stat,
        p_value,
        quant_ratio_lower: qr_lower,
        quant_ratio_upper: qr_upper,
    }
}

fn quant_ratios(vals: &[f64]) -> (f64, f64) {
    let non_zero: Vec<f64> = vals.iter().copied().filter(|&x| x != 0.0).collect();
    let m = mean(&non_zero);
    let mut demeaned: Vec<f64> = non_zero.iter().map(|x| x - m).collect();
    demeaned.sort_by(f64::total_cmp);
    let normal_ratio = NORM_PPF_0_01 / NORM_PPF_0_30;
    let lower = quantile_sorted(&demeaned, 0.01) / quantile_sorted(&demeaned, 0.3) / normal_ratio;
    let upper = quantile_sorted(&demeaned, 0.99) / quantile_sorted(&demeaned, 0.7) / normal_ratio;
    (lower, upper)
}

/// Two-sided p-value of Student's t with `df` degrees of freedom:
/// `p = I_{df/(df+t²)}(df/2, 1/2)` (regularised incomplete beta).
pub fn student_t_two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    regularized_incomplete_beta(df / (df + t * t), df / 2.0, 0.5)
}

/// `ln Γ(x)` for `x > 0`: Lanczos approximation (g = 7, 9 terms), relative error ~1e-15.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularised incomplete beta `I_x(a, b)` by Lentz's continued fraction (with the symmetry
/// `I_x(a,b) = 1 − I_{1−x}(b,a)` where it converges faster).
pub fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(x, a, b) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(1.0 - x, b, a) / b
    }
}

fn beta_cf(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..100_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// Rolling annualised volatility of a return series, pysystemtrade `rolling_ann_std`:
/// `returns.rolling(window, min_periods=4, center=True).std() × √periods_per_year`. The window of
/// row `t` spans rows `t − window/2 … t + (window − 1)/2` (pandas' centring), clipped at the ends;
/// sample std (ddof 1) of its non-NaN values, NaN with fewer than 4.
pub fn rolling_ann_std(returns: &[f64], window: usize, periods_per_year: f64) -> Vec<f64> {
    let n = returns.len();
    let offset = (window - 1) / 2;
    let scale = periods_per_year.sqrt();
    (0..n)
        .map(|t| {
            let end = (t + offset + 1).min(n);
            let start = (t + offset + 1).saturating_sub(window);
            let vals: Vec<f64> = returns[start..end]
                .iter()
                .copied()
                .filter(|x| !x.is_nan())
                .collect();
            if vals.len() < 4 {
                f64::NAN
            } else {
                std_ddof(&vals, 1) * scale
            }
        })
        .collect()
}

/// Annualised turnover of `positions` normalised by an average position
/// (`syscore.pandas.strategy_functions.turnover`): positions on business days; the average position
/// `reindex(method="ffill")`'d onto them and smoothed with `ewm(com=250, min_periods=2).mean()`;
/// `256 × mean |Δ(position / average)|`.
pub fn turnover(positions: &DailySeries, average_position: &DailySeries) -> f64 {
    let y = reindex_ffill(
        &average_position.dates,
        &average_position.values,
        &positions.dates,
    );
    let y = ffill(&ewm_mean(&y, Ewm::com(250.0), 2));
    let norm: Vec<f64> = positions
        .values
        .iter()
        .zip(&y)
        .map(|(x, y)| x / y)
        .collect();
    let changes: Vec<f64> = systrade_series::diff(&norm, 1)
        .into_iter()
        .filter(|x| !x.is_nan())
        .map(f64::abs)
        .collect();
    mean(&changes) * BUSINESS_DAYS_IN_YEAR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sharpe_is_sum_over_years_over_std_times_16() {
        let r = [1.0, -0.5, 2.0, f64::NAN, 0.0, -1.0];
        let s = stats(&r, 256.0);
        let vals = [1.0, -0.5, 2.0, 0.0, -1.0];
        let mean = 1.5 / 5.0;
        let sd = (vals.iter().map(|x: &f64| (x - mean).powi(2)).sum::<f64>() / 4.0).sqrt();
        assert!((s.ann_mean - 1.5 / (6.0 / 256.0)).abs() < 1e-12);
        assert!((s.sharpe - (1.5 / (6.0 / 256.0)) / (sd * 16.0)).abs() < 1e-12);
        assert_eq!(s.hitrate, 2.0 / 4.0);
        assert_eq!(s.worst_drawdown, -1.0);
        assert_eq!(s.median, 0.0);
        assert_eq!((s.min, s.max), (-1.0, 2.0));
        assert!((s.profitfactor - 3.0 / 1.5).abs() < 1e-15);
    }

    #[test]
    fn rolling_ann_std_is_centred() {
        let r: Vec<f64> = (0..10)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let v = rolling_ann_std(&r, 4, 256.0);
        // window 4 centred: row t spans t−2 … t+1; rows 0 and 9 have 2 and 3 values → NaN
        assert!(v[0].is_nan() && v[1].is_nan() && v[9].is_nan());
        let s4 = std_ddof(&[1.0, -1.0, 1.0, -1.0], 1) * 16.0;
        assert!((v[2] - s4).abs() < 1e-12 && (v[8] - s4).abs() < 1e-12);
    }

    #[test]
    fn t_distribution_p_values() {
        // scipy: 2 * t.sf(2.0, 10) = 0.07338803477074035; 2 * t.sf(1.0, 1) = 0.5
        assert!((student_t_two_sided_p(2.0, 10.0) - 0.073_388_034_770_740_35).abs() < 1e-12);
        assert!((student_t_two_sided_p(1.0, 1.0) - 0.5).abs() < 1e-12);
        assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-12);
    }
}
