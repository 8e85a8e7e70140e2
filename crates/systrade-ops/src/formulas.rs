//! Report formulas (spec §6). Pure functions, no I/O; costs and EWM come from systrade-accounts and
//! systrade-series.

use systrade_accounts::costs::InstrumentCosts;
use systrade_series::ewma_span;

/// Business days per year used to annualise daily figures (√256 = 16).
pub const DAYS_PER_YEAR: f64 = 256.0;
/// Minimum-capital report constants (spec §6, `sysproduction/reporting/data/constants.py`).
pub const MIN_CAPITAL_RISK_TARGET: f64 = 0.25;
pub const MIN_CAPITAL_IDM: f64 = 2.5;
pub const MIN_CAPITAL_WEIGHT: f64 = 0.04;
pub const MIN_CAPITAL_CONTRACTS: f64 = 4.0;
/// Remove-markets thresholds (spec §6).
pub const MAX_SR_COST: f64 = 0.01;
pub const MIN_VOLUME_CONTRACTS: f64 = 100.0;
pub const MIN_VOLUME_RISK_USD: f64 = 1.5e6;
/// "Too safe": annual % std below `100 × 2 × 2.5 × 0.04 × 0.25 / 1` = 5 %.
pub const MIN_ANNUAL_PCT_STD: f64 = 100.0 * 2.0 * 2.5 * 0.04 * 0.25 / 1.0;
/// Hysteresis before adding or removing an existing market (`BAD_THRESHOLD`).
pub const BAD_THRESHOLD: f64 = 0.3;

/// Sample standard deviation (n − 1); `None` with fewer than 2 values.
pub fn std_dev(x: &[f64]) -> Option<f64> {
    if x.len() < 2 {
        return None;
    }
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    Some((x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}

/// Annualised percentage standard deviation of a price series over its last `window` daily
/// returns: `100 × std(Δp / p_prev) × √256`.
pub fn annual_pct_std(prices: &[f64], window: usize) -> Option<f64> {
    let r = pct_returns(prices);
    let start = r.len().saturating_sub(window);
    std_dev(&r[start..]).map(|s| 100.0 * s * DAYS_PER_YEAR.sqrt())
}

/// Daily returns `Δp / p_prev` (pairs with a zero or non-finite previous price are dropped).
pub fn pct_returns(prices: &[f64]) -> Vec<f64> {
    prices
        .windows(2)
        .filter(|w| w[0] != 0.0 && w[0].is_finite() && w[1].is_finite())
        .map(|w| (w[1] - w[0]) / w[0])
        .collect()
}

/// Minimum capital (spec §6): `single = pointsize_base × price × annual_%_std / 100 / 0.25`,
/// `min_capital = 4 × single / (2.5 × 0.04)`. `pointsize_base` is the point size in the base
/// currency (point size × FX rate). Returns (single-contract minimum, minimum capital).
pub fn min_capital(pointsize_base: f64, price: f64, annual_pct_std: f64) -> (f64, f64) {
    let single = pointsize_base * price * (annual_pct_std / 100.0) / MIN_CAPITAL_RISK_TARGET;
    let min = MIN_CAPITAL_CONTRACTS * single / (MIN_CAPITAL_IDM * MIN_CAPITAL_WEIGHT);
    (single, min)
}

/// Cost of one contract traded, in price units: the configured slippage (`SpreadCost`, half the
/// bid/ask spread, spec §1.4) plus the commission of one contract converted to price points,
/// `slippage + max(per_block, per_trade, percentage × price × pointsize) / pointsize` — the
/// backtest's cost rule ([`InstrumentCosts::commission_instrument_currency`], pysystemtrade's
/// `calculate_cost_instrument_currency`).
pub fn cost_per_trade_price_units(
    slippage: f64,
    price: f64,
    pointsize: f64,
    per_block: f64,
    percentage: f64,
    per_trade: f64,
) -> f64 {
    let costs = InstrumentCosts {
        price_slippage: slippage,
        value_of_block_commission: per_block,
        percentage_cost: percentage,
        value_of_pertrade_commission: per_trade,
    };
    slippage
        + if pointsize > 0.0 {
            costs.commission_instrument_currency(1.0, price, pointsize) / pointsize
        } else {
            0.0
        }
}

/// Risk-adjusted cost per trade (SR units): `cost_price_units / (price × annual_%_std / 100)`.
pub fn sr_cost_per_trade(cost_price_units: f64, price: f64, annual_pct_std: f64) -> Option<f64> {
    let annual_std_price = price * annual_pct_std / 100.0;
    (annual_std_price > 0.0).then(|| cost_price_units / annual_std_price)
}

/// Daily volume in annualised $ risk: `contracts × pointsize_base × price × annual_%_std / 100`.
pub fn volume_risk(contracts: f64, pointsize_base: f64, price: f64, annual_pct_std: f64) -> f64 {
    contracts * pointsize_base * price * annual_pct_std / 100.0
}

/// Last value of pandas `x.ewm(span=span).mean()` (`adjust=True`, systrade-series' [`ewma_span`]);
/// `None` for no values or no non-NaN value. `span` must be at least 1.
pub fn ewma_last(values: &[f64], span: f64) -> Option<f64> {
    ewma_span(values, span, 1)
        .last()
        .copied()
        .filter(|v| !v.is_nan())
}

/// Pearson correlation of two equally long series; `None` if either has no variance.
pub fn correlation(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len().min(b.len());
    if n < 2 {
        return None;
    }
    let (a, b) = (&a[..n], &b[..n]);
    let ma = a.iter().sum::<f64>() / n as f64;
    let mb = b.iter().sum::<f64>() / n as f64;
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

/// Expected annualised portfolio standard deviation as a fraction of capital:
/// `σ_p = √(wᵀ Σ w)` with `w_i = exposure_i / capital` (signed), `Σ_ij = ρ_ij σ_i σ_j` and
/// `σ_i` the annual % std / 100.
pub fn portfolio_std(weights: &[f64], annual_std: &[f64], corr: &[Vec<f64>]) -> f64 {
    let n = weights.len();
    let mut var = 0.0;
    for i in 0..n {
        for j in 0..n {
            var += weights[i] * weights[j] * corr[i][j] * annual_std[i] * annual_std[j];
        }
    }
    var.max(0.0).sqrt()
}

/// Why a market is suggested for removal (spec §6), with the ±30 % hysteresis for markets
/// already flagged (`currently_bad`): a flagged market stays flagged until it clears each threshold
/// by 30 %, a new one is flagged only beyond it by 30 %.
pub fn removal_reasons(
    sr_cost: Option<f64>,
    volume_contracts: f64,
    volume_risk_usd: f64,
    annual_pct_std: Option<f64>,
    currently_bad: bool,
) -> Vec<String> {
    let (hi, lo) = if currently_bad {
        (1.0 - BAD_THRESHOLD, 1.0 + BAD_THRESHOLD)
    } else {
        (1.0 + BAD_THRESHOLD, 1.0 - BAD_THRESHOLD)
    };
    let mut reasons = Vec::new();
    if let Some(c) = sr_cost.filter(|c| *c > MAX_SR_COST * hi) {
        reasons.push(format!("SR cost {c:.4} > {MAX_SR_COST}"));
    }
    if volume_contracts < MIN_VOLUME_CONTRACTS * lo {
        reasons.push(format!(
            "volume {volume_contracts:.0} < {MIN_VOLUME_CONTRACTS} contracts/day"
        ));
    }
    if volume_risk_usd < MIN_VOLUME_RISK_USD * lo {
        reasons.push(format!(
            "volume risk ${:.2}m < $1.5m/day",
            volume_risk_usd / 1e6
        ));
    }
    if let Some(s) = annual_pct_std.filter(|s| *s < MIN_ANNUAL_PCT_STD * lo) {
        reasons.push(format!(
            "too safe: annual std {s:.1}% < {MIN_ANNUAL_PCT_STD}%"
        ));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_capital_matches_hand_computation() {
        // SP500-like: pointsize 5, price 4000, 16% annual std:
        // single = 5*4000*0.16/0.25 = 12800; min = 4*12800/0.1 = 512000
        let (single, min) = min_capital(5.0, 4000.0, 16.0);
        assert!((single - 12_800.0).abs() < 1e-9);
        assert!((min - 512_000.0).abs() < 1e-6);
    }

    #[test]
    fn too_safe_threshold_is_five_percent() {
        assert!((MIN_ANNUAL_PCT_STD - 5.0).abs() < 1e-12);
    }

    #[test]
    fn vol_and_correlation() {
        // alternating +1% / -1% returns: std of [0.01,-0.01,...] with n-1
        let mut p = vec![100.0];
        for i in 0..10 {
            let last = *p.last().unwrap();
            p.push(last * if i % 2 == 0 { 1.01 } else { 0.99 });
        }
        let s = annual_pct_std(&p, 256).unwrap();
        let r = pct_returns(&p);
        let direct = std_dev(&r).unwrap() * 100.0 * 16.0;
        assert!((s - direct).abs() < 1e-12);
        assert!(s > 15.0 && s < 17.5);
        let a = [1.0, 2.0, 3.0, 4.0];
        assert!((correlation(&a, &[2.0, 4.0, 6.0, 8.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!((correlation(&a, &[8.0, 6.0, 4.0, 2.0]).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(correlation(&a, &[1.0; 4]), None);
    }

    #[test]
    fn ewma_weights_recent_values_more() {
        // span 3: alpha 0.5, weights 1, 0.5, 0.25 from the newest: (4 + 0.5*2 + 0.25*1) / 1.75
        let v = ewma_last(&[1.0, 2.0, 4.0], 3.0).unwrap();
        assert!((v - 5.25 / 1.75).abs() < 1e-12);
        assert_eq!(ewma_last(&[], 3.0), None);
        assert_eq!(ewma_last(&[f64::NAN], 3.0), None);
    }

    #[test]
    fn portfolio_std_two_assets() {
        // two 10% vol assets, 50% each, correlation 0: sqrt(2 * 0.25 * 0.01) = 0.0707
        let c = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        let s = portfolio_std(&[0.5, 0.5], &[0.1, 0.1], &c);
        assert!((s - (0.005f64).sqrt()).abs() < 1e-12);
        let c = vec![vec![1.0, 1.0], vec![1.0, 1.0]];
        assert!((portfolio_std(&[0.5, 0.5], &[0.1, 0.1], &c) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn removal_with_hysteresis() {
        // 90 contracts/day: flagged for a market already bad (needs > 130 to clear) ...
        assert!(!removal_reasons(None, 90.0, 2e6, Some(10.0), true).is_empty());
        // ... but not for a new one (needs < 70 to be flagged)
        assert!(removal_reasons(None, 90.0, 2e6, Some(10.0), false).is_empty());
        let r = removal_reasons(Some(0.02), 1000.0, 1e7, Some(3.0), false);
        assert_eq!(r.len(), 2, "{r:?}");
        let c = cost_per_trade_price_units(0.5, 100.0, 10.0, 2.0, 0.0, 0.0);
        assert!((c - 0.7).abs() < 1e-12);
        // the largest commission counts, not their sum: max(2, 5, 0.001 × 100 × 10) / 10
        let c = cost_per_trade_price_units(0.5, 100.0, 10.0, 2.0, 0.001, 5.0);
        assert!((c - 1.0).abs() < 1e-12);
        assert_eq!(
            cost_per_trade_price_units(0.5, 100.0, 0.0, 2.0, 0.0, 5.0),
            0.5
        );
        assert!((sr_cost_per_trade(1.6, 100.0, 16.0).unwrap() - 0.1).abs() < 1e-12);
    }
}
