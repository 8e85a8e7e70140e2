//! The SR cost of trading one rule's forecast on one instrument, and the cost ceiling that drops
//! expensive rules before forecast weights are applied (pysystemtrade 1.80
//! `systems/accounts/account_costs.py`: `get_SR_cost_for_instrument_forecast`,
//! `forecast_turnover`, `get_SR_cost_per_trade_for_instrument`; `systems/forecast_combine.py`:
//! `cheap_trading_rules_post_processing`, `_remove_expensive_rules_from_weights`).
//!
//! In annual Sharpe-ratio units, for instrument `i` and rule `r`:
//!
//! ```text
//! SR cost = transaction + holding
//! holding      = SR_cost_per_trade_i × rolls_per_year_i × 2        (two separate trades per roll)
//! transaction  = turnover_r × SR_cost_per_trade_i                   (use_pooled_costs: false)
//!              = Σ_j (len_j / Σ len) × turnover_r(j) × SR_cost_per_trade_j   (use_pooled_costs: true)
//! turnover_r(j) = turnover of j's capped forecast of r               (use_pooled_turnover: false)
//!               = length-weighted mean over the pool, NaNs left out  (use_pooled_turnover: true)
//! ```
//!
//! The pool (`has_same_rules_as_code`) is every instrument of the system whose rule list equals
//! `i`'s, `i` included; `len_j` is the number of rows of `j`'s capped forecast of `r` (NaN rows
//! included, pandas `len`). A forecast's turnover is `256 × mean |Δ(forecast / average_absolute_forecast)|`
//! over business days ([`forecast_turnover`]). `SR_cost_per_trade` is
//! [`crate::costs::sr_cost_per_trade`]: the cost of one contract at the last year's average price
//! over the last year's average annual price volatility.
//!
//! [`sr_cost_of_forecast`] is the one function for the per-rule SR cost; `compute-forecasts`,
//! `size-positions` and `backtest` use it through the forecast pipeline (the ceiling), and forecast
//! weight estimation can use it for its cost-adjusted returns.

use crate::stats::{BUSINESS_DAYS_IN_YEAR, pairwise_sum};
use systrade_series::{DailySeries, business_days, reindex};

/// `forecast_cost_estimates` (pysystemtrade's defaults: costs not pooled, turnover pooled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForecastCostEstimates {
    /// `use_pooled_costs`: the transaction cost is the length-weighted mean of the pool's
    /// instruments' transaction costs.
    pub use_pooled_costs: bool,
    /// `use_pooled_turnover`: the turnover is the length-weighted mean over the pool.
    pub use_pooled_turnover: bool,
}

impl Default for ForecastCostEstimates {
    fn default() -> Self {
        Self {
            use_pooled_costs: false,
            use_pooled_turnover: true,
        }
    }
}

/// What the SR cost needs of one instrument's forecast of a rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastCostInput {
    /// [`forecast_turnover`] of the capped forecast (NaN when it has fewer than two consecutive
    /// values).
    pub turnover: f64,
    /// Rows of the capped forecast (pandas `len`, NaN rows included).
    pub length: usize,
    /// The instrument's [`crate::costs::sr_cost_per_trade`].
    pub sr_cost_per_trade: f64,
}

/// pandas `Series.mean()` of `values`: NaNs count as zeros in numpy's pairwise sum and are left
/// out of the count; NaN when every value is NaN.
fn nan_mean(values: &[f64]) -> f64 {
    let count = values.iter().filter(|v| !v.is_nan()).count();
    if count == 0 {
        return f64::NAN;
    }
    let zeroed: Vec<f64> = values
        .iter()
        .map(|v| if v.is_nan() { 0.0 } else { *v })
        .collect();
    pairwise_sum(&zeroed) / count as f64
}

/// Annual turnover of a forecast, pysystemtrade's `turnover(forecast, average_absolute_forecast)`
/// (`syscore/pandas/strategy_functions.py`, `y` a number): the forecast on every business day from
/// its first to its last date (`resample("1B").last()`, NaN on missing days), divided by
/// `average_absolute_forecast`, `256 × mean |day-to-day change|` (changes touching a NaN left out).
/// NaN when no two consecutive business days both have a value.
pub fn forecast_turnover(forecast: &DailySeries, average_absolute_forecast: f64) -> f64 {
    let (Some(&first), Some(&last)) = (forecast.dates.first(), forecast.dates.last()) else {
        return f64::NAN;
    };
    let days = business_days(first, last);
    let daily = if days == forecast.dates {
        forecast.values.clone()
    } else {
        reindex(&forecast.dates, &forecast.values, &days)
    };
    let changes: Vec<f64> = daily
        .windows(2)
        .map(|w| (w[1] / average_absolute_forecast - w[0] / average_absolute_forecast).abs())
        .collect();
    nan_mean(&changes) * BUSINESS_DAYS_IN_YEAR
}

/// Weights proportional to the forecasts' lengths (`_get_forecast_length_weighting_for_list_of_instruments`).
fn length_weights(pool: &[ForecastCostInput]) -> Vec<f64> {
    let total = pool.iter().map(|p| p.length).sum::<usize>() as f64;
    pool.iter().map(|p| p.length as f64 / total).collect()
}

/// The pool's turnover of a rule (`_forecast_turnover_for_list`,
/// `calculate_weighted_average_with_nans`): length weights, a weight set to 0 where the turnover is
/// NaN, renormalised to sum to 1, then `Σ weight × turnover` over the non-NaN products (0 when
/// every turnover is NaN).
pub fn pooled_forecast_turnover(pool: &[ForecastCostInput]) -> f64 {
    let weights: Vec<f64> = length_weights(pool)
        .into_iter()
        .zip(pool)
        .map(|(w, p)| if (w * p.turnover).is_nan() { 0.0 } else { w })
        .collect();
    let multiplier = 1.0 / weights.iter().filter(|w| !w.is_nan()).sum::<f64>();
    weights
        .iter()
        .zip(pool)
        .map(|(w, p)| w * multiplier * p.turnover)
        .filter(|x| !x.is_nan())
        .fold(0.0, |a, x| a + x)
}

/// The annual SR cost of trading rule `r` on instrument `pool[own]`
/// (`get_SR_cost_for_instrument_forecast`): transaction cost plus holding cost, as in the module
/// documentation. `pool` holds, for every instrument of the system with the same rule list as this
/// one (this one included, at index `own`), its [`ForecastCostInput`] for rule `r`; it is used
/// only when `estimates` pools costs or turnover. `rolls_per_year` is this instrument's.
///
/// NaN when a cost it needs is NaN (pysystemtrade then treats the rule as too expensive:
/// `NaN <= ceiling` is false; see [`is_cheap_enough`]).
///
/// # Panics
/// When `own` is not an index of `pool`.
pub fn sr_cost_of_forecast(
    pool: &[ForecastCostInput],
    own: usize,
    rolls_per_year: usize,
    estimates: ForecastCostEstimates,
) -> f64 {
    let me = pool[own];
    let pooled_turnover = estimates
        .use_pooled_turnover
        .then(|| pooled_forecast_turnover(pool));
    let turnover_of = |p: &ForecastCostInput| pooled_turnover.unwrap_or(p.turnover);
    let transaction = if estimates.use_pooled_costs {
        // Python's sum of the weighted costs, in pool order, from 0
        length_weights(pool)
            .iter()
            .zip(pool)
            .map(|(w, p)| turnover_of(p) * p.sr_cost_per_trade * w)
            .fold(0.0, |a, x| a + x)
    } else {
        turnover_of(&me) * me.sr_cost_per_trade
    };
    let holding = (rolls_per_year as f64 * 2.0) * me.sr_cost_per_trade;
    transaction + holding
}

/// `rule_cost <= ceiling_cost_SR` (`_cheap_trading_rules_generic`): a NaN cost is not cheap enough.
pub fn is_cheap_enough(sr_cost: f64, ceiling: f64) -> bool {
    sr_cost <= ceiling
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn turnover_of_a_forecast_by_hand() {
        // Mon..Fri: 10, 20, 20, NaN, 0 → /10: 1, 2, 2, NaN, 0; |Δ|: 1, 0, NaN, NaN → mean 0.5
        let f = DailySeries::new(
            [
                "2024-01-01",
                "2024-01-02",
                "2024-01-03",
                "2024-01-04",
                "2024-01-05",
            ]
            .map(d)
            .to_vec(),
            vec![10.0, 20.0, 20.0, f64::NAN, 0.0],
        );
        assert_eq!(forecast_turnover(&f, 10.0), 0.5 * 256.0);
        // A missing business day (Thursday absent) is a NaN day: the same result.
        let g = DailySeries::new(
            ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-05"]
                .map(d)
                .to_vec(),
            vec![10.0, 20.0, 20.0, 0.0],
        );
        assert_eq!(forecast_turnover(&g, 10.0), 0.5 * 256.0);
        // Friday to Monday is one business day apart.
        let h = DailySeries::new(
            ["2024-01-05", "2024-01-08"].map(d).to_vec(),
            vec![5.0, -5.0],
        );
        assert_eq!(forecast_turnover(&h, 10.0), 256.0);
        let one = DailySeries::new(vec![d("2024-01-05")], vec![5.0]);
        assert!(forecast_turnover(&one, 10.0).is_nan());
    }

    fn input(turnover: f64, length: usize, sr_cost_per_trade: f64) -> ForecastCostInput {
        ForecastCostInput {
            turnover,
            length,
            sr_cost_per_trade,
        }
    }

    #[test]
    fn sr_cost_by_hand() {
        let pool = [
            input(10.0, 100, 0.002),
            input(30.0, 300, 0.004),
            input(f64::NAN, 400, 0.001),
        ];
        let own = |estimates| sr_cost_of_forecast(&pool, 0, 4, estimates);
        // nothing pooled: 10 × 0.002 + 4 rolls × 2 × 0.002
        let alone = ForecastCostEstimates {
            use_pooled_costs: false,
            use_pooled_turnover: false,
        };
        assert!((own(alone) - (0.02 + 0.016)).abs() < 1e-15);
        // pooled turnover: weights 1/8, 3/8, (NaN turnover → 0), renormalised to 1/4, 3/4:
        // 2.5 + 22.5 = 25
        assert!((pooled_forecast_turnover(&pool) - 25.0).abs() < 1e-12);
        assert!((own(ForecastCostEstimates::default()) - (25.0 * 0.002 + 0.016)).abs() < 1e-15);
        // pooled costs with pooled turnover: Σ w_j × 25 × cost_j, w = 1/8, 3/8, 1/2
        let both = ForecastCostEstimates {
            use_pooled_costs: true,
            use_pooled_turnover: true,
        };
        let want = 25.0 * (0.002 / 8.0 + 0.004 * 3.0 / 8.0 + 0.001 / 2.0) + 0.016;
        assert!((own(both) - want).abs() < 1e-15);
        // pooled costs with each instrument's own turnover: the NaN one makes the cost NaN,
        // which is never cheap enough
        let costs_only = ForecastCostEstimates {
            use_pooled_costs: true,
            use_pooled_turnover: false,
        };
        assert!(own(costs_only).is_nan());
        assert!(!is_cheap_enough(own(costs_only), 999.0));
        assert!(is_cheap_enough(0.13, 0.13));
        assert!(!is_cheap_enough(0.1300001, 0.13));
        // every turnover NaN: pooled turnover 0 (numpy's nansum of nothing)
        let nan_pool = [input(f64::NAN, 10, 0.01)];
        assert_eq!(pooled_forecast_turnover(&nan_pool), 0.0);
        assert!(
            (sr_cost_of_forecast(&nan_pool, 0, 1, ForecastCostEstimates::default()) - 0.02).abs()
                < 1e-15
        );
    }
}
