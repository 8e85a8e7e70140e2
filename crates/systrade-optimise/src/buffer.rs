//! The tracking-error buffer and the partial move towards the greedy solution,
//! `systems/provided/dynamic_small_system_optimise/buffering.py` (`speedControlForDynamicOpt`,
//! `calculate_adjustment_factor`, `adjust_weights_with_factor`,
//! `calculate_adjusting_trades_rounding_in_contract_space`).
//!
//! - Adjustment factor from the tracking error `te` of the prior against the greedy solution:
//!   `adj = max((te − buffer) / te, 0)`, and 0 when `te ≤ 0` (Python's `max`, so a NaN stays NaN).
//! - New weights: `prior + round((adj × (greedy − prior)) / value) × value` per instrument, the
//!   rounding being numpy's `np.round` (half to even) of the trade in contracts.

/// `small_system` speed control: how much a trade costs in the objective and how far the
/// portfolio may drift from the optimum before trading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpeedControl {
    /// `shadow_cost` (pysystemtrade default 50; production multiplies it by `cost_multiplier`).
    pub trade_shadow_cost: f64,
    /// `tracking_error_buffer` (default 0.0125).
    pub tracking_error_buffer: f64,
}

impl Default for SpeedControl {
    /// pysystemtrade's `defaults.yaml` `small_system`: shadow cost 50, buffer 0.0125.
    fn default() -> Self {
        Self {
            trade_shadow_cost: 50.0,
            tracking_error_buffer: 0.0125,
        }
    }
}

/// `calculate_adjustment_factor`: the fraction of the move to the greedy solution to trade.
pub fn adjustment_factor(tracking_error_prior_vs_greedy: f64, buffer: f64) -> f64 {
    let te = tracking_error_prior_vs_greedy;
    if te <= 0.0 {
        return 0.0;
    }
    let adj = (te - buffer) / te;
    // Python's max(adj, 0.0): 0.0 only when 0.0 > adj
    if 0.0 > adj { 0.0 } else { adj }
}

/// `adjust_weights_with_factor`: `prior + round_half_even(adj × (greedy − prior) / value) × value`.
pub fn adjust_weights_with_factor(
    greedy: &[f64],
    prior: &[f64],
    per_contract_value: &[f64],
    adj_factor: f64,
) -> Vec<f64> {
    greedy
        .iter()
        .zip(prior)
        .zip(per_contract_value)
        .map(|((g, p), v)| {
            let trade = adj_factor * (g - p);
            p + (trade / v).round_ties_even() * v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjustment_factor_cases() {
        assert_eq!(adjustment_factor(0.0, 0.0125), 0.0);
        assert_eq!(adjustment_factor(-1.0, 0.0125), 0.0);
        assert_eq!(adjustment_factor(0.01, 0.0125), 0.0);
        assert_eq!(adjustment_factor(0.05, 0.0125), (0.05 - 0.0125) / 0.05);
        assert!(adjustment_factor(f64::NAN, 0.0125).is_nan());
    }

    #[test]
    fn trades_round_half_to_even_in_contracts() {
        // value 0.25 (exact in binary): trades of 2.5, 1.5, -0.5 and -2.5 contracts
        let v = [0.25; 4];
        let prior = [0.0; 4];
        let greedy = [1.25, 0.75, -0.25, -1.25];
        let w = adjust_weights_with_factor(&greedy, &prior, &v, 0.5);
        // 0.5 x 5 = 2.5 -> 2; 0.5 x 3 = 1.5 -> 2; 0.5 x -1 = -0.5 -> -0; 0.5 x -5 = -2.5 -> -2
        assert_eq!(w, vec![0.5, 0.5, 0.0, -0.5]);
        assert_eq!(
            adjust_weights_with_factor(&[1.0], &[0.5], &[0.25], 0.6),
            vec![0.5 + 0.25]
        );
    }
}
