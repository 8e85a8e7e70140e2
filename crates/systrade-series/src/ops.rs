//! Elementwise and positional operations with pandas semantics (NaN = missing).

/// pandas `x.diff(periods)`: `y_t = x_t − x_{t−p}`; NaN for the first `p` rows or when either side is
/// NaN.
pub fn diff(values: &[f64], periods: usize) -> Vec<f64> {
    (0..values.len())
        .map(|t| {
            if t >= periods {
                values[t] - values[t - periods]
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// pandas `x.shift(p)`: `y_t = x_{t−p}` (positional; negative `p` shifts backwards); NaN where the
/// source row does not exist.
pub fn shift(values: &[f64], periods: isize) -> Vec<f64> {
    let n = values.len() as isize;
    (0..n)
        .map(|t| {
            let s = t - periods;
            if (0..n).contains(&s) {
                values[s as usize]
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// pandas `x.ffill()`: each NaN takes the last non-NaN value before it (leading NaNs stay).
pub fn ffill(values: &[f64]) -> Vec<f64> {
    let mut last = f64::NAN;
    values
        .iter()
        .map(|&v| {
            if !v.is_nan() {
                last = v;
            }
            last
        })
        .collect()
}

/// pandas `x.bfill()`: each NaN takes the next non-NaN value after it (trailing NaNs stay).
pub fn bfill(values: &[f64]) -> Vec<f64> {
    let mut out = values.to_vec();
    let mut next = f64::NAN;
    for v in out.iter_mut().rev() {
        if v.is_nan() {
            *v = next;
        } else {
            next = *v;
        }
    }
    out
}

/// pandas `x.cumsum()` (skipna): `y_t = Σ_{i<=t, x_i not NaN} x_i` summed left to right; rows where
/// `x_t` is NaN stay NaN.
pub fn cumsum(values: &[f64]) -> Vec<f64> {
    let mut acc = 0.0;
    values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                f64::NAN
            } else {
                acc += v;
                acc
            }
        })
        .collect()
}

/// pandas `x.clip(lower, upper)`: `min(max(x, lower), upper)`; NaN stays NaN.
pub fn clip(values: &[f64], lower: f64, upper: f64) -> Vec<f64> {
    values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                v
            } else {
                v.max(lower).min(upper)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    fn same(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((g.is_nan() && w.is_nan()) || g == w, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn diff_shift() {
        let x = [1.0, 3.0, NAN, 10.0, 12.0];
        same(&diff(&x, 1), &[NAN, 2.0, NAN, NAN, 2.0]);
        same(&diff(&x, 2), &[NAN, NAN, NAN, 7.0, NAN]);
        same(&shift(&x, 1), &[NAN, 1.0, 3.0, NAN, 10.0]);
        same(&shift(&x, -2), &[NAN, 10.0, 12.0, NAN, NAN]);
        same(&shift(&x, 9), &[NAN; 5]);
        assert!(diff(&[], 1).is_empty());
    }

    #[test]
    fn fills_and_cumsum() {
        let x = [NAN, 1.0, NAN, NAN, 4.0, NAN];
        same(&ffill(&x), &[NAN, 1.0, 1.0, 1.0, 4.0, 4.0]);
        same(&bfill(&x), &[1.0, 1.0, 4.0, 4.0, 4.0, NAN]);
        same(&cumsum(&x), &[NAN, 1.0, NAN, NAN, 5.0, NAN]);
        same(
            &clip(&[-30.0, 5.0, NAN, 25.0], -20.0, 20.0),
            &[-20.0, 5.0, NAN, 20.0],
        );
    }
}
