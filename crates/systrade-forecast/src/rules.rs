//! The trading rules (spec §3.3), one pure function each, named after pysystemtrade's. Inputs are
//! daily series already aligned on one index (slices of equal length); outputs are raw (unscaled,
//! uncapped) forecasts on that index.

use crate::rawdata::{RobustVol, robust_vol_calc};
use systrade_series::{
    diff, ewma_com, ewma_span, ffill, rolling_max, rolling_mean, rolling_min, rolling_std, shift,
};

fn assert_same_len(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "rule inputs must share one index");
}

/// `ewmac` (ewmac.py): `(EWMA_span=Lfast(P) − EWMA_span=Lslow(P)) / σ.ffill()`, both EWMAs with
/// `min_periods = 1`; `σ` is the daily returns volatility in price units.
pub fn ewmac(price: &[f64], vol: &[f64], lfast: usize, lslow: usize) -> Vec<f64> {
    assert_same_len(price, vol);
    ewmac_of(
        &ewmac_average(price, lfast),
        &ewmac_average(price, lslow),
        &ffill(vol),
    )
}

/// One of [`ewmac`]'s averages: `EWMA_span=L(P)` with `min_periods = 1`.
pub fn ewmac_average(price: &[f64], span: usize) -> Vec<f64> {
    ewma_span(price, span as f64, 1)
}

/// [`ewmac`] from its averages and the forward-filled volatility: `(fast − slow) / vol`
/// (for rules sharing averages; the same arithmetic, so the same values).
pub fn ewmac_of(fast: &[f64], slow: &[f64], filled_vol: &[f64]) -> Vec<f64> {
    assert_same_len(fast, slow);
    assert_same_len(fast, filled_vol);
    fast.iter()
        .zip(slow)
        .zip(filled_vol)
        .map(|((f, s), v)| (f - s) / v)
        .collect()
}

/// What [`ewmac_calc_vol`] computes its volatility on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VolOf {
    /// pysystemtrade 1.80 behaviour: `robust_vol_calc(price)` — the EW std of the price *level*
    /// (the shipped simple system depends on it).
    #[default]
    PriceLevel,
    /// The evident intent (and later upstream copies): `robust_vol_calc(price.diff())`.
    PriceDifferences,
}

/// `ewmac_calc_vol` (ewmac.py): [`ewmac`] with its own volatility
/// `σ = robust_vol_calc(x, days = vol_days)` where `x` is the price level (1.80 quirk,
/// [`VolOf::PriceLevel`]) or its differences ([`VolOf::PriceDifferences`]).
pub fn ewmac_calc_vol(
    price: &[f64],
    lfast: usize,
    lslow: usize,
    vol_days: usize,
    vol_of: VolOf,
) -> Vec<f64> {
    ewmac(price, &ewmac_own_vol(price, vol_days, vol_of), lfast, lslow)
}

/// [`ewmac_calc_vol`]'s volatility: `robust_vol_calc` over `vol_days` of the price level or its
/// differences.
pub fn ewmac_own_vol(price: &[f64], vol_days: usize, vol_of: VolOf) -> Vec<f64> {
    let vol_input = match vol_of {
        VolOf::PriceLevel => price.to_vec(),
        VolOf::PriceDifferences => diff(price, 1),
    };
    robust_vol_calc(&vol_input, &RobustVol::with_days(vol_days))
}

/// `carry` (carry.py): `raw_carry.ewm(com = smooth_days).mean()` — pandas' positional `ewm(90)`
/// is a centre of mass, so `α = 1/(1 + smooth_days)`.
pub fn carry(raw_carry: &[f64], smooth_days: f64) -> Vec<f64> {
    ewma_com(raw_carry, smooth_days, 1)
}

/// `relative_carry` (carry.py): `smoothed_carry − median_carry_for_asset_class`.
pub fn relative_carry(smoothed_carry: &[f64], median_carry: &[f64]) -> Vec<f64> {
    assert_same_len(smoothed_carry, median_carry);
    smoothed_carry
        .iter()
        .zip(median_carry)
        .map(|(a, b)| a - b)
        .collect()
}

/// The default breakout smoothing span: `max(floor(lookback / 4), 1)`.
pub fn breakout_default_smooth(lookback: usize) -> usize {
    (lookback / 4).max(1)
}

/// `breakout` (breakout.py): with `n = lookback` and `m = min(len(P), ceil(n/2))`,
/// `hi = P.rolling(n, min_periods=m).max()`, `lo = … .min()`,
/// `raw = 40 × (P − (hi + lo)/2) / (hi − lo)` (range ±20), output
/// `raw.ewm(span = smooth, min_periods = ceil(smooth/2)).mean()`; `smooth` defaults to
/// [`breakout_default_smooth`] and must be `< lookback` (checked by [`crate::TradingRule`]).
pub fn breakout(price: &[f64], lookback: usize, smooth: Option<usize>) -> Vec<f64> {
    let smooth = smooth.unwrap_or_else(|| breakout_default_smooth(lookback));
    let min_periods = price.len().min(lookback.div_ceil(2));
    let hi = rolling_max(price, lookback, min_periods);
    let lo = rolling_min(price, lookback, min_periods);
    let raw: Vec<f64> = price
        .iter()
        .zip(hi.iter().zip(&lo))
        .map(|(p, (h, l))| 40.0 * (p - (h + l) / 2.0) / (h - l))
        .collect();
    ewma_span(&raw, smooth as f64, smooth.div_ceil(2))
}

/// `accel` (accel.py): `e = ewmac(P, σ, L, 4L)`; `accel = e − e.shift(L)`.
pub fn accel(price: &[f64], vol: &[f64], lfast: usize) -> Vec<f64> {
    accel_of(&ewmac(price, vol, lfast, 4 * lfast), lfast)
}

/// [`accel`] from its `ewmac(P, σ, L, 4L)`: `e − e.shift(L)`.
pub fn accel_of(e: &[f64], lfast: usize) -> Vec<f64> {
    let lagged = shift(e, lfast as isize);
    e.iter().zip(&lagged).map(|(a, b)| a - b).collect()
}

/// `mr_wings` (mr_wings.py): `e = ewmac(P, σ, L, 4L)`; `s = e.rolling(5000, min_periods=3).std()`;
/// `e = 0` where `|e| < 3s`; forecast `−e`.
pub fn mr_wings(price: &[f64], vol: &[f64], lfast: usize) -> Vec<f64> {
    mr_wings_of(ewmac(price, vol, lfast, 4 * lfast))
}

/// [`mr_wings`] from its `ewmac(P, σ, L, 4L)`.
pub fn mr_wings_of(e: Vec<f64>) -> Vec<f64> {
    let s = rolling_std(&e, 5000, 3);
    e.iter()
        .zip(&s)
        .map(|(&x, &sd)| if x.abs() < 3.0 * sd { 0.0 } else { -x })
        .collect()
}

/// Smoothing span used by the relative rules: `max(ewma_span or floor(horizon/4), 2)`.
pub fn relative_rule_span(horizon: usize, ewma_span: Option<usize>) -> usize {
    ewma_span.unwrap_or(horizon / 4).max(2)
}

/// `o = x.ffill() − a.ffill()` with exact zeros set to NaN.
fn outperformance(x: &[f64], a: &[f64]) -> Vec<f64> {
    assert_same_len(x, a);
    ffill(x)
        .iter()
        .zip(&ffill(a))
        .map(|(p, q)| {
            let o = p - q;
            if o == 0.0 { f64::NAN } else { o }
        })
        .collect()
}

/// `relative_momentum` (rel_mom.py): with `x` the instrument's normalised price and `a` its asset
/// class's, `o = x.ffill() − a.ffill()` (zeros → NaN), `m = (o − o.shift(h)) / h`, forecast
/// `m.ewm(span = s).mean()` with `s` = [`relative_rule_span`].
pub fn relative_momentum(
    normalised_price: &[f64],
    asset_class_price: &[f64],
    horizon: usize,
    ewma_span: Option<usize>,
) -> Vec<f64> {
    let o = outperformance(normalised_price, asset_class_price);
    let lagged = shift(&o, horizon as isize);
    let m: Vec<f64> = o
        .iter()
        .zip(&lagged)
        .map(|(a, b)| (a - b) / horizon as f64)
        .collect();
    ewma_span_fn(&m, relative_rule_span(horizon, ewma_span))
}

fn ewma_span_fn(x: &[f64], span: usize) -> Vec<f64> {
    ewma_span(x, span as f64, 1)
}

/// `cross_sectional_mean_reversion` (cs_mr.py): `r = diff(x.ffill() − a.ffill())`,
/// forecast `−(r.rolling(h).mean()).ewm(span = s).mean()` (rolling with pandas' default
/// `min_periods = h`; `s` = [`relative_rule_span`]).
pub fn cross_sectional_mean_reversion(
    normalised_price: &[f64],
    asset_class_price: &[f64],
    horizon: usize,
    ewma_span: Option<usize>,
) -> Vec<f64> {
    assert_same_len(normalised_price, asset_class_price);
    let o: Vec<f64> = ffill(normalised_price)
        .iter()
        .zip(&ffill(asset_class_price))
        .map(|(p, q)| p - q)
        .collect();
    let r = diff(&o, 1);
    let avg = rolling_mean(&r, horizon, horizon);
    ewma_span_fn(&avg, relative_rule_span(horizon, ewma_span))
        .into_iter()
        .map(|v| -v)
        .collect()
}

/// `factor_trading_rule` (factors.py): `z = f / robust_vol_calc(f)` (35-day defaults), forecast
/// `z.ewm(span = smooth).mean()`.
pub fn factor_trading_rule(demeaned_factor: &[f64], smooth: usize) -> Vec<f64> {
    let vol = robust_vol_calc(demeaned_factor, &RobustVol::with_days(35));
    let z: Vec<f64> = demeaned_factor
        .iter()
        .zip(&vol)
        .map(|(f, v)| f / v)
        .collect();
    ewma_span_fn(&z, smooth)
}

/// `conditioned_factor_trading_rule` (factors.py): `z = f / robust_vol_calc(f)`, multiplied by
/// `sign(condition.ffill())`, then `ewm(span = smooth).mean()`.
pub fn conditioned_factor_trading_rule(
    demeaned_factor: &[f64],
    condition: &[f64],
    smooth: usize,
) -> Vec<f64> {
    assert_same_len(demeaned_factor, condition);
    let vol = robust_vol_calc(demeaned_factor, &RobustVol::with_days(35));
    let cond = ffill(condition);
    let z: Vec<f64> = demeaned_factor
        .iter()
        .zip(&vol)
        .zip(&cond)
        .map(|((f, v), c)| {
            let sign = if c.is_nan() {
                f64::NAN
            } else if *c > 0.0 {
                1.0
            } else if *c < 0.0 {
                -1.0
            } else {
                0.0
            };
            f / v * sign
        })
        .collect();
    ewma_span_fn(&z, smooth)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    fn assert_close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g.is_nan() && w.is_nan()) || (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                "row {i}: got {g}, want {w} ({got:?})"
            );
        }
    }

    #[test]
    fn ewmac_by_hand() {
        // Lfast 1 → α 1 (the price itself); Lslow 3 → α ½: slow = 1, 5/3, 17/7.
        // raw = 0, 1/3, 4/7; vol ffilled = NaN, 1, 1.
        let got = ewmac(&[1.0, 2.0, 3.0], &[NAN, 1.0, NAN], 1, 3);
        assert_close(&got, &[NAN, 1.0 / 3.0, 4.0 / 7.0]);
        // A NaN price inside: the EWMAs hold and decay, the forecast holds too.
        let got = ewmac(&[1.0, NAN, 3.0], &[2.0, 2.0, 2.0], 1, 3);
        // slow t2: weights 0.25 (t0), 1 (t2): (0.25 + 3)/1.25 = 2.6; fast 3 → 0.4/2
        assert_close(&got, &[0.0, 0.0, 0.2]);
    }

    #[test]
    fn ewmac_calc_vol_needs_ten_observations() {
        // robust_vol_calc has min_periods 10: shorter series give no forecast at all.
        let p: Vec<f64> = (0..9).map(|i| 100.0 + f64::from(i)).collect();
        assert!(
            ewmac_calc_vol(&p, 2, 8, 35, VolOf::PriceLevel)
                .iter()
                .all(|v| v.is_nan())
        );
        // With ten, the tenth row has one; on differences the first row is NaN so it needs 11.
        let p: Vec<f64> = (0..11).map(|i| 100.0 + f64::from(i * i % 7)).collect();
        let level = ewmac_calc_vol(&p, 2, 8, 35, VolOf::PriceLevel);
        assert!(level[8].is_nan() && !level[9].is_nan());
        let diffs = ewmac_calc_vol(&p, 2, 8, 35, VolOf::PriceDifferences);
        assert!(diffs[9].is_nan() && !diffs[10].is_nan());
    }

    #[test]
    fn carry_is_ewm_by_centre_of_mass() {
        // com 1 → α ½: 1, (½·1 + 3)/1.5 = 7/3.
        assert_close(&carry(&[NAN, 1.0, 3.0], 1.0), &[NAN, 1.0, 7.0 / 3.0]);
        assert_close(
            &relative_carry(&[1.0, NAN, 3.0], &[0.5, 1.0, NAN]),
            &[0.5, NAN, NAN],
        );
    }

    #[test]
    fn breakout_by_hand() {
        // lookback 4 → min_periods 2; smooth 1 → no smoothing.
        // hi = NaN,2,3,3; lo = NaN,1,1,1; raw = 40(p − mid)/(hi − lo) = NaN, 20, 20, 0.
        assert_close(
            &breakout(&[1.0, 2.0, 3.0, 2.0], 4, Some(1)),
            &[NAN, 20.0, 20.0, 0.0],
        );
        // Default smooth for lookback 10 is 2; a 1-row series has min_periods 1 but hi == lo.
        assert_eq!(breakout_default_smooth(10), 2);
        assert_eq!(breakout_default_smooth(3), 1);
        assert!(breakout(&[5.0], 10, None)[0].is_nan());
        // NaN gap: the window counts rows, the NaN row gives NaN raw, the EWMA carries over.
        let got = breakout(&[1.0, 2.0, NAN, 3.0], 4, Some(1));
        assert_close(&got, &[NAN, 20.0, 20.0, 20.0]);
    }

    #[test]
    fn accel_by_hand() {
        // L 1: ewmac(1, 4) with vol 1; slow α 0.4: 0, 0.625, 1.6/1.96.
        let e1 = 1.0 - 1.6 / 1.96;
        let got = accel(&[0.0, 1.0, 1.0], &[1.0, 1.0, 1.0], 1);
        assert_close(&got, &[NAN, 0.375, e1 - 0.375]);
    }

    #[test]
    fn mr_wings_zeroes_the_middle() {
        // e = 0,0,0,0,e4 where e4 = 10 − 10/2.3056; rolling std of e at t4 = e4/√5, so
        // |e4| < 3s and the forecast is 0; before 3 observations s is NaN and −e passes through.
        let got = mr_wings(&[0.0, 0.0, 0.0, 0.0, 10.0], &[1.0; 5], 1);
        assert_eq!(got, vec![0.0; 5]);
        let got = mr_wings(&[0.0, 1.0], &[1.0, 1.0], 1);
        assert_close(&got, &[0.0, -0.375]);
    }

    #[test]
    fn relative_rules_by_hand() {
        // o = x.ffill() − a.ffill() = (0→NaN), 1, 1, 1, 4; m = o.diff(1) = NaN, NaN, 0, 0, 3;
        // span max(1/4→0, 2) = 2 (α ⅔): 0, 0, (4/9·0 + 3)/(13/9) = 27/13.
        let x = [0.0, 1.0, 2.0, NAN, 5.0];
        let a = [0.0, 0.0, 1.0, 1.0, 1.0];
        assert_eq!(relative_rule_span(1, None), 2);
        assert_eq!(relative_rule_span(250, None), 62);
        assert_close(
            &relative_momentum(&x, &a, 1, None),
            &[NAN, NAN, 0.0, 0.0, 27.0 / 13.0],
        );
        // r = diff(o) = NaN, 1, 2, 3; rolling(2) mean = NaN, NaN, 1.5, 2.5; EWMA span 2:
        // 1.5, (⅓·1.5 + 2.5)/(4/3) = 2.25; negated.
        let got = cross_sectional_mean_reversion(&[0.0, 1.0, 3.0, 6.0], &[0.0; 4], 2, None);
        assert_close(&got, &[NAN, NAN, -1.5, -2.25]);
    }

    #[test]
    fn factor_rules_need_vol_history() {
        let f = [0.1, 0.2, NAN, -0.3];
        assert!(factor_trading_rule(&f, 4).iter().all(|v| v.is_nan()));
        assert!(
            conditioned_factor_trading_rule(&f, &[1.0; 4], 4)
                .iter()
                .all(|v| v.is_nan())
        );
        // With vol history, a negative condition flips the sign.
        let f: Vec<f64> = (0..30).map(|i| f64::from(i % 5) - 2.0).collect();
        let up = conditioned_factor_trading_rule(&f, &[1.0; 30], 4);
        let down = conditioned_factor_trading_rule(&f, &[-1.0; 30], 4);
        assert!(!up[29].is_nan());
        assert_eq!(up[29], -down[29]);
        assert_eq!(factor_trading_rule(&f, 4)[29], up[29]);
    }
}
