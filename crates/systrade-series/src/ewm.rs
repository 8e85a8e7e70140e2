//! Exponentially weighted moments with pandas' default `adjust=True, ignore_na=False` (spec §3.11).
//!
//! pandas turns `span` into a centre of mass `com = (span − 1) / 2` and uses `α = 1 / (1 + com)`
//! (computed in that order, which matters for the last bit). Weights are positional: a missing value
//! still ages the older observations (`ignore_na=False`), it just adds no new weight.

/// The decay of an exponentially weighted window, held as pandas holds it: a centre of mass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ewm {
    com: f64,
}

impl Ewm {
    /// `ewm(span=s)`: `com = (s − 1) / 2`, so `α = 2 / (s + 1)`. Requires `s >= 1`.
    pub fn span(span: f64) -> Self {
        assert!(span >= 1.0, "ewm span must be >= 1, got {span}");
        Self {
            com: (span - 1.0) / 2.0,
        }
    }

    /// `ewm(com=c)` — also pandas' positional form `ewm(c)`: `α = 1 / (1 + c)`. Requires `c >= 0`.
    pub fn com(com: f64) -> Self {
        assert!(com >= 0.0, "ewm com must be >= 0, got {com}");
        Self { com }
    }

    /// `ewm(alpha=a)`: `com = (1 − a) / a`. Requires `0 < a <= 1`.
    pub fn alpha(alpha: f64) -> Self {
        assert!(
            alpha > 0.0 && alpha <= 1.0,
            "ewm alpha must be in (0, 1], got {alpha}"
        );
        Self {
            com: (1.0 - alpha) / alpha,
        }
    }

    /// The centre of mass.
    pub fn center_of_mass(self) -> f64 {
        self.com
    }

    /// The smoothing factor `α = 1 / (1 + com)`.
    pub fn smoothing(self) -> f64 {
        1.0 / (1.0 + self.com)
    }
}

/// pandas clamps `min_periods` to at least 1 for EWM.
fn min_obs(min_periods: usize) -> usize {
    min_periods.max(1)
}

/// Exponentially weighted mean, pandas `x.ewm(…, min_periods=m).mean()` with `adjust=True`,
/// `ignore_na=False`:
///
/// `mean_t = Σ_{i<=t, x_i not NaN} w_i x_i / Σ w_i`, with `w_i = (1 − α)^(t − i)`.
///
/// Computed recursively as pandas does: with `W` the running weight, at each row after the first
/// observation `W ← W·(1 − α)`; on an observation `x`, `mean ← (W·mean + x)/(W + 1)` (skipped when
/// `mean == x`) and `W ← W + 1`. Output is NaN until `m` non-NaN values have been seen (m >= 1);
/// rows with NaN input after that repeat the last mean.
pub fn ewm_mean(values: &[f64], ewm: Ewm, min_periods: usize) -> Vec<f64> {
    let minp = min_obs(min_periods);
    let mut out = Vec::with_capacity(values.len());
    let Some(&first) = values.first() else {
        return out;
    };
    let factor = 1.0 - ewm.smoothing();
    let mut weighted = first;
    let mut nobs = usize::from(!first.is_nan());
    let mut old_wt = 1.0_f64;
    out.push(if nobs >= minp { weighted } else { f64::NAN });
    let mut t = 1;
    while t < values.len() {
        let cur = values[t];
        let is_obs = !cur.is_nan();
        nobs += usize::from(is_obs);
        if !weighted.is_nan() {
            let before = old_wt;
            old_wt *= factor;
            if is_obs {
                if weighted != cur {
                    weighted = (old_wt * weighted + cur) / (old_wt + 1.0);
                }
                old_wt += 1.0;
                if old_wt == before && weighted == cur {
                    // `W` has reached its fixed point `W·(1 − α) + 1 = W` and the mean equals
                    // the input: each following observation equal to the mean leaves both as
                    // they are (a smoothed weight that no longer changes), so the run is copied.
                    let run = values[t + 1..]
                        .iter()
                        .take_while(|&&x| x == weighted)
                        .count();
                    out.push(if nobs >= minp { weighted } else { f64::NAN });
                    for _ in 0..run {
                        nobs += 1;
                        out.push(if nobs >= minp { weighted } else { f64::NAN });
                    }
                    t += 1 + run;
                    continue;
                }
            }
        } else if is_obs {
            weighted = cur;
        }
        out.push(if nobs >= minp { weighted } else { f64::NAN });
        t += 1;
    }
    out
}

/// [`ewm_mean`] of one series for several `(ewm, min_periods)` at once, each result bit for bit
/// what [`ewm_mean`] gives alone. Each step of the recursion divides by a value that depends on
/// the previous step, so one EWMA waits on its divisions; computed side by side (four at a time),
/// the processor overlaps the independent ones'.
pub fn ewm_means(values: &[f64], params: &[(Ewm, usize)]) -> Vec<Vec<f64>> {
    let mut out = Vec::with_capacity(params.len());
    for group in params.chunks(4) {
        match group {
            [a, b, c, d] => out.extend(ewm_means_side_by_side(values, [*a, *b, *c, *d])),
            [a, b, c] => out.extend(ewm_means_side_by_side(values, [*a, *b, *c])),
            [a, b] => out.extend(ewm_means_side_by_side(values, [*a, *b])),
            [a] => out.push(ewm_mean(values, a.0, a.1)),
            _ => {}
        }
    }
    out
}

/// [`ewm_means`] for `K` EWMAs in one loop: [`ewm_mean`]'s recursion for each, without its
/// shortcut over runs at the fixed point (which leaves the results unchanged).
fn ewm_means_side_by_side<const K: usize>(
    values: &[f64],
    params: [(Ewm, usize); K],
) -> [Vec<f64>; K] {
    let factor: [f64; K] = params.map(|(ewm, _)| 1.0 - ewm.smoothing());
    let minp: [usize; K] = params.map(|(_, m)| min_obs(m));
    let mut out: [Vec<f64>; K] = std::array::from_fn(|_| Vec::with_capacity(values.len()));
    let Some(&first) = values.first() else {
        return out;
    };
    let mut weighted = [first; K];
    let mut old_wt = [1.0_f64; K];
    let mut nobs = usize::from(!first.is_nan());
    for k in 0..K {
        out[k].push(if nobs >= minp[k] {
            weighted[k]
        } else {
            f64::NAN
        });
    }
    for &cur in &values[1..] {
        let is_obs = !cur.is_nan();
        nobs += usize::from(is_obs);
        for k in 0..K {
            if !weighted[k].is_nan() {
                old_wt[k] *= factor[k];
                if is_obs {
                    if weighted[k] != cur {
                        weighted[k] = (old_wt[k] * weighted[k] + cur) / (old_wt[k] + 1.0);
                    }
                    old_wt[k] += 1.0;
                }
            } else if is_obs {
                weighted[k] = cur;
            }
            out[k].push(if nobs >= minp[k] {
                weighted[k]
            } else {
                f64::NAN
            });
        }
    }
    out
}

/// `x.ewm(span=span, min_periods=m).mean()`; see [`ewm_mean`].
pub fn ewma_span(values: &[f64], span: f64, min_periods: usize) -> Vec<f64> {
    ewm_mean(values, Ewm::span(span), min_periods)
}

/// `x.ewm(com=com, min_periods=m).mean()` (also pandas' positional `x.ewm(com)`); see [`ewm_mean`].
pub fn ewma_com(values: &[f64], com: f64, min_periods: usize) -> Vec<f64> {
    ewm_mean(values, Ewm::com(com), min_periods)
}

/// Bias-corrected exponentially weighted variance, pandas `x.ewm(…, min_periods=m).var()`
/// (`bias=False`, `adjust=True`, `ignore_na=False`):
///
/// `var_t = [Σ w_i (x_i − mean_t)² / Σ w_i] × (Σw)² / ((Σw)² − Σw²)`, `w_i = (1 − α)^(t − i)`.
///
/// Computed with pandas' recursion: after the first observation, each row multiplies `Σw`, `Σw²` and
/// the running weight `W` by `(1 − α)` (resp. `(1 − α)²`); an observation `x` updates
/// `mean' = (W·mean + x)/(W + 1)` (skipped when equal), `cov ← (W·(cov + (mean − mean')²) +
/// (x − mean')²)/(W + 1)`, then `Σw += 1`, `Σw² += 1`, `W += 1`. NaN while fewer than `m` (>= 1)
/// observations, or while `(Σw)² − Σw² <= 0` (a single observation).
pub fn ewm_var(values: &[f64], ewm: Ewm, min_periods: usize) -> Vec<f64> {
    let minp = min_obs(min_periods);
    let mut out = Vec::with_capacity(values.len());
    let Some(&first) = values.first() else {
        return out;
    };
    let factor = 1.0 - ewm.smoothing();
    let mut mean = first; // NaN until the first observation
    let mut nobs = usize::from(!first.is_nan());
    out.push(f64::NAN);
    let mut cov = 0.0_f64;
    let mut sum_wt = 1.0_f64;
    let mut sum_wt2 = 1.0_f64;
    let mut old_wt = 1.0_f64;
    for &cur in &values[1..] {
        let is_obs = !cur.is_nan();
        nobs += usize::from(is_obs);
        if !mean.is_nan() {
            sum_wt *= factor;
            sum_wt2 *= factor * factor;
            old_wt *= factor;
            if is_obs {
                let old_mean = mean;
                if mean != cur {
                    mean = (old_wt * old_mean + cur) / (old_wt + 1.0);
                }
                cov = (old_wt * (cov + (old_mean - mean) * (old_mean - mean))
                    + (cur - mean) * (cur - mean))
                    / (old_wt + 1.0);
                sum_wt += 1.0;
                sum_wt2 += 1.0;
                old_wt += 1.0;
            }
        } else if is_obs {
            mean = cur;
        }
        let v = if nobs >= minp {
            let numerator = sum_wt * sum_wt;
            let denominator = numerator - sum_wt2;
            if denominator > 0.0 {
                numerator / denominator * cov
            } else {
                f64::NAN
            }
        } else {
            f64::NAN
        };
        out.push(v);
    }
    out
}

/// Bias-corrected exponentially weighted standard deviation, pandas `x.ewm(…).std()`:
/// `sqrt(ewm_var)`, with negative variances (rounding) giving 0 (pandas `zsqrt`).
pub fn ewm_std(values: &[f64], ewm: Ewm, min_periods: usize) -> Vec<f64> {
    ewm_var(values, ewm, min_periods)
        .into_iter()
        .map(|v| if v < 0.0 { 0.0 } else { v.sqrt() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recursion of [`ewm_mean`] without its shortcut for runs at the fixed point.
    fn ewm_mean_stepwise(values: &[f64], ewm: Ewm, min_periods: usize) -> Vec<f64> {
        let minp = min_obs(min_periods);
        let factor = 1.0 - ewm.smoothing();
        let (mut weighted, mut nobs, mut old_wt) = (f64::NAN, 0usize, 1.0_f64);
        let mut out = Vec::new();
        for (t, &cur) in values.iter().enumerate() {
            let is_obs = !cur.is_nan();
            nobs += usize::from(is_obs);
            if t == 0 {
                weighted = cur;
            } else if !weighted.is_nan() {
                old_wt *= factor;
                if is_obs {
                    if weighted != cur {
                        weighted = (old_wt * weighted + cur) / (old_wt + 1.0);
                    }
                    old_wt += 1.0;
                }
            } else if is_obs {
                weighted = cur;
            }
            out.push(if nobs >= minp { weighted } else { f64::NAN });
        }
        out
    }

    #[test]
    fn runs_at_the_fixed_point_and_side_by_side_match_the_stepwise_recursion_bit_for_bit() {
        let nan = f64::NAN;
        let mut cases: Vec<Vec<f64>> = Vec::new();
        // a weight that changes, then stays for thousands of rows, with NaN gaps and signed zeros
        let mut x: Vec<f64> = vec![nan; 5];
        x.extend(std::iter::repeat_n(0.25, 40));
        x.extend(std::iter::repeat_n(0.2, 6000));
        x.extend([nan, nan]);
        x.extend(std::iter::repeat_n(0.2, 3000));
        x.push(0.3);
        x.extend(std::iter::repeat_n(0.3, 4000));
        x.extend(std::iter::repeat_n(0.0, 3000));
        x.extend(std::iter::repeat_n(-0.0, 10));
        x.extend(std::iter::repeat_n(0.0, 10));
        cases.push(x);
        // constant from the start, and a price-like series that never settles
        cases.push(vec![1.0 / 3.0; 8000]);
        // infinities (a NaN mean that restarts), NaN first, and nothing at all
        cases.push(vec![
            nan,
            1.0,
            f64::INFINITY,
            2.0,
            f64::NEG_INFINITY,
            3.0,
            nan,
            4.0,
        ]);
        cases.push(Vec::new());
        cases.push(
            (0..8000)
                .map(|k| 100.0 + ((k * 37) % 101) as f64 / 7.0)
                .collect(),
        );
        for values in &cases {
            for ewm in [
                Ewm::span(125.0),
                Ewm::span(10.0),
                Ewm::com(2.0),
                Ewm::span(1.5),
            ] {
                for minp in [1, 50, 7000] {
                    let fast = ewm_mean(values, ewm, minp);
                    let slow = ewm_mean_stepwise(values, ewm, minp);
                    assert_eq!(fast.len(), slow.len());
                    for (t, (a, b)) in fast.iter().zip(&slow).enumerate() {
                        assert!(
                            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                            "row {t}: {a} != {b} ({ewm:?}, min_periods {minp})"
                        );
                    }
                }
            }
            // side by side (groups of four, three, two and one), each as it is alone
            let params: Vec<(Ewm, usize)> = [Ewm::span(125.0), Ewm::span(10.0), Ewm::com(2.0)]
                .into_iter()
                .flat_map(|e| [(e, 1), (e, 50), (e, 7000)])
                .chain([(Ewm::span(1.5), 3), (Ewm::span(64.0), 1)])
                .collect();
            for n in [params.len(), 7, 6, 5, 1] {
                let together = ewm_means(values, &params[..n]);
                assert_eq!(together.len(), n);
                for ((ewm, minp), got) in params.iter().zip(&together) {
                    let alone = ewm_mean(values, *ewm, *minp);
                    assert_eq!(got.len(), alone.len());
                    for (t, (a, b)) in got.iter().zip(&alone).enumerate() {
                        assert!(
                            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                            "row {t}: {a} != {b} ({ewm:?}, min_periods {minp}, {n} together)"
                        );
                    }
                }
            }
        }
    }
    use crate::test_support::assert_close;

    const NAN: f64 = f64::NAN;

    #[test]
    fn span_and_com_give_pandas_alpha() {
        assert_eq!(Ewm::span(3.0).smoothing(), 0.5);
        assert_eq!(Ewm::com(90.0).smoothing(), 1.0 / 91.0);
        assert_eq!(Ewm::span(35.0).center_of_mass(), 17.0);
        assert_eq!(Ewm::alpha(0.25).center_of_mass(), 3.0);
    }

    #[test]
    fn ewm_mean_by_hand_with_nan_gap() {
        // span 3 → α = 0.5, decay 0.5. x = [NaN, 1, 2, NaN, 4]
        // t1: 1
        // t2: (0.5·1 + 2)/(0.5 + 1) = 2.5/1.5 = 5/3
        // t3: NaN input: mean stays 5/3, W: 1.5 → 0.75
        // t4: W 0.75·0.5 = 0.375; mean = (0.375·5/3 + 4)/1.375 = 4.625/1.375 = 3.363636…
        //     (weights 0.125 on x1, 0.25 on x2, 1 on x4: (0.125 + 0.5 + 4)/1.375, same)
        let got = ewma_span(&[NAN, 1.0, 2.0, NAN, 4.0], 3.0, 0);
        assert_close(&got, &[NAN, 1.0, 5.0 / 3.0, 5.0 / 3.0, 4.625 / 1.375]);
        // min_periods counts observations, not rows.
        let got = ewma_span(&[NAN, 1.0, 2.0, NAN, 4.0], 3.0, 3);
        assert_close(&got, &[NAN, NAN, NAN, NAN, 4.625 / 1.375]);
    }

    #[test]
    fn ewm_mean_shorter_than_span_and_empty() {
        // com 90, α = 1/91, decay 90/91: two points → (90/91·1 + 3)/(90/91 + 1)
        let d = 90.0 / 91.0;
        let got = ewma_com(&[1.0, 3.0], 90.0, 1);
        assert_close(&got, &[1.0, (d + 3.0) / (d + 1.0)]);
        assert!(ewma_com(&[], 90.0, 1).is_empty());
        assert_close(&ewma_span(&[NAN, NAN], 10.0, 1), &[NAN, NAN]);
    }

    #[test]
    fn ewm_var_by_hand() {
        // span 3 (decay 0.5), x = [1, 2, NaN, 4]
        // t1: weights (0.5, 1): mean 5/3; biased var = (0.5·(1−5/3)² + (2−5/3)²)/1.5 = (2/9+1/9)/1.5 = 2/9
        //     Σw = 1.5, Σw² = 1.25 → factor 2.25/(2.25−1.25) = 2.25 → var = 0.5
        // t2: NaN → Σw = 0.75, Σw² = 0.3125, cov unchanged → factor 0.5625/0.25 = 2.25 → 0.5
        // t3: weights (0.125, 0.25, 1): Σw = 1.375, mean = (0.125+0.5+4)/1.375 = 37/11
        //     biased = (0.125(1−37/11)² + 0.25(2−37/11)² + (4−37/11)²)/1.375
        //     Σw² = 0.015625+0.0625+1 = 1.078125
        let m: f64 = 37.0 / 11.0;
        let biased =
            (0.125 * (1.0 - m).powi(2) + 0.25 * (2.0 - m).powi(2) + (4.0 - m).powi(2)) / 1.375;
        let corr = 1.375_f64.powi(2) / (1.375_f64.powi(2) - 1.078125);
        let got = ewm_var(&[1.0, 2.0, NAN, 4.0], Ewm::span(3.0), 0);
        assert_close(&got, &[NAN, 0.5, 0.5, biased * corr]);
        let got = ewm_std(&[1.0, 2.0, NAN, 4.0], Ewm::span(3.0), 3);
        assert_close(&got, &[NAN, NAN, NAN, (biased * corr).sqrt()]);
        // A constant series has zero variance once there are two observations.
        assert_close(
            &ewm_std(&[NAN, 5.0, 5.0, 5.0], Ewm::span(10.0), 1),
            &[NAN, NAN, 0.0, 0.0],
        );
    }
}
