//! The risk overlay's inputs and measures: portfolio weights, percentage returns, annualised and
//! shocked standard deviations, portfolio risk, sum of absolute risks, leverage (module
//! documentation of [`crate::risk_overlay`]).

use crate::sizing::ROOT_BDAYS_INYEAR;
use chrono::NaiveDate;
use systrade_series::{DailySeries, bfill, business_days, ffill, reindex, reindex_ffill};

/// Quantile of the shocked standard deviation (`shock_quantile`).
pub const SHOCK_QUANTILE: f64 = 0.99;
/// Rolling window of the shocked standard deviation in business days (`roll_years × 256`).
pub const SHOCK_WINDOW_DAYS: usize = 10 * 256;

/// `annualised_percentage_vol = 16 × daily_percentage_volatility / 100` (a fraction per year).
pub fn annualised_percentage_vol(daily_percentage_volatility: &[f64]) -> Vec<f64> {
    daily_percentage_volatility
        .iter()
        .map(|v| ROOT_BDAYS_INYEAR * v / 100.0)
        .collect()
}

/// Value of one contract as a proportion of capital, on the price's dates:
/// `fx.reindex(price, ffill) × price × value_of_block_price_move / capital` (`fx` already on the
/// price's dates).
pub fn per_contract_value_as_proportion_of_capital(
    price: &[f64],
    fx_on_price_dates: &[f64],
    value_of_block_price_move: f64,
    capital: f64,
) -> Vec<f64> {
    assert_eq!(price.len(), fx_on_price_dates.len(), "aligned inputs");
    price
        .iter()
        .zip(fx_on_price_dates)
        .map(|(p, fx)| fx * p * value_of_block_price_move / capital)
        .collect()
}

/// Portfolio weight (position as a proportion of capital), on the position's dates:
/// `w = position × per_contract_value.reindex(position.index, method="ffill")`.
pub fn portfolio_weight(position: &DailySeries, per_contract_value: &DailySeries) -> Vec<f64> {
    let v = reindex_ffill(
        &per_contract_value.dates,
        &per_contract_value.values,
        &position.dates,
    );
    position.values.iter().zip(v).map(|(p, v)| p * v).collect()
}

/// Daily percentage returns (fractions): `daily_price.diff() / denominator_price.ffill()`, on the
/// daily price's dates (NaN where the denominator has no date).
pub fn daily_percentage_returns(
    daily_price: &DailySeries,
    denominator_price: &DailySeries,
) -> DailySeries {
    let denom = reindex(
        &denominator_price.dates,
        &ffill(&denominator_price.values),
        &daily_price.dates,
    );
    let p = &daily_price.values;
    let values = (0..p.len())
        .map(|t| {
            if t == 0 {
                f64::NAN
            } else {
                (p[t] - p[t - 1]) / denom[t]
            }
        })
        .collect();
    daily_price.with_values(values)
}

/// Shocked standard deviation, on business days from the first date of `stdev` to `until` (the
/// last date of all instruments' standard deviations, the end of pysystemtrade's joint frame):
/// the standard deviation forward-filled onto those days (so past its own last date the window
/// keeps taking its last value), `rolling(2560, min_periods=3).quantile(0.99)`, back-filled.
pub fn shocked_vol(dates: &[NaiveDate], stdev: &[f64], until: NaiveDate) -> DailySeries {
    assert_eq!(dates.len(), stdev.len(), "one value per date");
    let (Some(&first), Some(&last)) = (dates.first(), dates.last()) else {
        return DailySeries::default();
    };
    let grid = business_days(first, last.max(until));
    let on_grid = reindex_ffill(dates, &ffill(stdev), &grid);
    let min_periods = (2.0 / SHOCK_QUANTILE).ceil() as usize;
    let shocked = bfill(&systrade_series::rolling_quantile(
        &on_grid,
        SHOCK_WINDOW_DAYS,
        min_periods,
        SHOCK_QUANTILE,
    ));
    DailySeries::new(grid, shocked)
}

/// Portfolio risk (annualised standard deviation as a fraction of capital) on one date:
/// `sqrt(Σ_ij w_i w_j σ_i σ_j ρ_ij)` over the instruments with a non-NaN weight, a non-NaN `σ`
/// and correlation data (`with_data`); 0 when fewer than two instruments have a `σ` and
/// correlation data. `corr` is symmetric; only its diagonal and upper
/// triangle are read.
pub fn portfolio_risk(weights: &[f64], stdev: &[f64], corr: &[f64], with_data: &[bool]) -> f64 {
    let valid = risk_terms(weights, stdev, with_data);
    risk_of(&valid, corr, weights.len())
}

/// `(i, w_i σ_i)` for the instruments that count in [`portfolio_risk`]: none when fewer than two
/// instruments have both correlation data and a `σ` (pysystemtrade's covariance then has a
/// single entry per column, so no asset "has data" and the risk is that of an empty portfolio,
/// 0: one instrument alone is never scaled down; the reference shows multiplier 1 from
/// 1972-10-18 to 1975-03-31, when only CORN had data).
fn risk_terms(weights: &[f64], stdev: &[f64], with_data: &[bool]) -> Vec<(usize, f64)> {
    let in_covariance = (0..weights.len())
        .filter(|&i| with_data[i] && !stdev[i].is_nan())
        .count();
    if in_covariance < 2 {
        return Vec::new();
    }
    (0..weights.len())
        .filter(|&i| with_data[i] && !weights[i].is_nan() && !stdev[i].is_nan())
        .map(|i| (i, weights[i] * stdev[i]))
        .collect()
}

/// `sqrt(Σ_i a_i² ρ_ii + 2 Σ_{i<j} a_i a_j ρ_ij)` over `(i, a_i)` in ascending `i`.
fn risk_of(valid: &[(usize, f64)], corr: &[f64], n: usize) -> f64 {
    let mut var = 0.0;
    for (p, &(i, a)) in valid.iter().enumerate() {
        let row = &corr[i * n..(i + 1) * n];
        let mut s = 0.0;
        for &(j, b) in &valid[p + 1..] {
            s += row[j] * b;
        }
        var += a * (a * row[i] + 2.0 * s);
    }
    var.sqrt()
}

/// The normal and shocked portfolio risks ([`portfolio_risk`] with `stdev` and with `shocked`)
/// in one pass over the correlations when the same instruments count in both.
pub(crate) fn portfolio_risks(
    weights: &[f64],
    stdev: &[f64],
    shocked: &[f64],
    corr: &[f64],
    with_data: &[bool],
) -> (f64, f64) {
    let n = weights.len();
    let a = risk_terms(weights, stdev, with_data);
    let b = risk_terms(weights, shocked, with_data);
    if a.len() != b.len() || a.iter().zip(&b).any(|(x, y)| x.0 != y.0) {
        return (risk_of(&a, corr, n), risk_of(&b, corr, n));
    }
    let (mut var_a, mut var_b) = (0.0, 0.0);
    for p in 0..a.len() {
        let (i, ai) = a[p];
        let bi = b[p].1;
        let row = &corr[i * n..(i + 1) * n];
        let (mut sa, mut sb) = (0.0, 0.0);
        for q in p + 1..a.len() {
            let r = row[a[q].0];
            sa += r * a[q].1;
            sb += r * b[q].1;
        }
        var_a += ai * (ai * row[i] + 2.0 * sa);
        var_b += bi * (bi * row[i] + 2.0 * sb);
    }
    (var_a.sqrt(), var_b.sqrt())
}

/// Sum of absolute risks on one date: `Σ_i |w_i| σ_i`, NaN terms skipped.
pub fn sum_abs_risk(weights: &[f64], stdev: &[f64]) -> f64 {
    weights
        .iter()
        .zip(stdev)
        .map(|(w, s)| w.abs() * s)
        .filter(|x| !x.is_nan())
        .sum()
}

/// Leverage on one date: `Σ_i |w_i|`, NaN weights skipped.
pub fn leverage(weights: &[f64]) -> f64 {
    weights
        .iter()
        .filter(|w| !w.is_nan())
        .map(|w| w.abs())
        .sum()
}

/// The four risk measures of one date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskMeasures {
    pub normal_risk: f64,
    pub shocked_vol_risk: f64,
    pub sum_abs_risk: f64,
    pub leverage: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk_overlay::test_support::{close, d};

    #[test]
    fn risk_sum_abs_risk_and_leverage_of_one_date() {
        // w = (0.5, −0.25, NaN), σ = (0.2, 0.4, 0.3), ρ12 = 0.5:
        // a = wσ = (0.1, −0.1); var = 0.01 + 0.01 + 2·0.5·(0.1)(−0.1) = 0.01
        let w = [0.5, -0.25, f64::NAN];
        let s = [0.2, 0.4, 0.3];
        let corr = [1.0, 0.5, 0.2, 0.5, 1.0, 0.2, 0.2, 0.2, 1.0];
        let all = [true; 3];
        assert!(close(portfolio_risk(&w, &s, &corr, &all), 0.1));
        // an instrument without correlation data or σ is left out
        assert!(close(
            portfolio_risk(&[0.5, 1.0, 0.0], &s, &corr, &[true, false, true]),
            0.1
        ));
        assert!(close(
            portfolio_risk(&[0.5, 1.0, 0.0], &[0.2, f64::NAN, 0.3], &corr, &all),
            0.1
        ));
        // normal and shocked in one pass, with the same or different instruments counting
        let shocked = [0.4, 0.8, 0.6];
        let (a, b) = portfolio_risks(&w, &s, &shocked, &corr, &all);
        assert!(close(a, 0.1) && close(b, 0.2));
        let (a, b) = portfolio_risks(&w, &[0.2, f64::NAN, 0.3], &shocked, &corr, &all);
        assert!(close(a, 0.1) && close(b, 0.2)); // only the first counts in the normal risk
        assert!(close(sum_abs_risk(&w, &s), 0.5 * 0.2 + 0.25 * 0.4));
        assert!(close(leverage(&w), 0.75));
        assert_eq!(leverage(&[f64::NAN]), 0.0);
    }

    /// Direct biased EW moments over the given rows (weights (1 − α)^(age in observations)).

    #[test]
    fn shocked_vol_is_the_rolling_99pc_quantile_backfilled() {
        // business days Mon 1 .. Fri 5 January 2024; quantile over k values: h = 0.99 (k − 1)
        let dates: Vec<NaiveDate> = (1..=5).map(|x| d(2024, 1, x)).collect();
        let out = shocked_vol(&dates, &[1.0, 2.0, f64::NAN, 4.0, 5.0], d(2024, 1, 2)).values;
        // values after ffill: 1, 2, 2, 4, 5
        let q3 = 2.0; // sorted 1, 2, 2: h = 1.98 → 2 + 0.98·0
        let q4 = 2.0 + (4.0 - 2.0) * 0.97; // 1, 2, 2, 4: h = 2.97
        let q5 = 4.0 + (5.0 - 4.0) * 0.96; // 1, 2, 2, 4, 5: h = 3.96 → v_3 + 0.96 (v_4 − v_3)
        let expected = [q3, q3, q3, q4, q5];
        assert_eq!(out.len(), 5);
        for (a, b) in out.iter().zip(expected) {
            assert!(close(*a, b), "{out:?}");
        }
        // past its own last date (Friday) up to the next Tuesday, the window keeps taking the
        // last value: 1, 2, 2, 4, 5, 5 (h = 4.95) and 1, 2, 2, 4, 5, 5, 5 (h = 5.94)
        let out = shocked_vol(&dates, &[1.0, 2.0, f64::NAN, 4.0, 5.0], d(2024, 1, 9));
        assert_eq!(out.dates.last(), Some(&d(2024, 1, 9)));
        assert_eq!(out.len(), 7);
        assert!(close(out.values[5], 5.0) && close(out.values[6], 5.0));
        let out = shocked_vol(&dates, &[1.0, 2.0, 3.0, 4.0, 5.0], d(2024, 1, 9));
        assert!(close(out.values[5], 5.0));
    }

    #[test]
    fn weights_and_percentage_returns() {
        let value = DailySeries::new(vec![d(2024, 1, 1), d(2024, 1, 3)], vec![0.1, 0.2]);
        let position = DailySeries::new(vec![d(2024, 1, 2), d(2024, 1, 3)], vec![1.0, 2.0]);
        assert_eq!(portfolio_weight(&position, &value), vec![0.1, 0.4]);
        assert_eq!(
            per_contract_value_as_proportion_of_capital(&[100.0], &[2.0], 50.0, 1e6),
            vec![0.01]
        );
        let dates = vec![d(2024, 1, 1), d(2024, 1, 2), d(2024, 1, 3)];
        let back_adjusted = DailySeries::new(dates.clone(), vec![10.0, 11.0, 10.0]);
        let denominator = DailySeries::new(dates, vec![100.0, f64::NAN, 50.0]);
        let r = daily_percentage_returns(&back_adjusted, &denominator);
        assert!(r.values[0].is_nan());
        assert!(close(r.values[1], 0.01) && close(r.values[2], -0.02));
    }
}
