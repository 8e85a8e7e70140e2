//! The decision on one date, `objectiveFunctionForGreedy.optimise_positions` in
//! `systems/provided/dynamic_small_system_optimise/optimisation.py`, with the error handling of
//! `optimisedPositions.get_optimal_positions_with_fixed_contract_values`
//! (`optimised_positions_stage.py`).
//!
//! 1. Build the [`Problem`] on the valid keys.
//! 2. `te_prior = TE(prior, w*)`. If `te_prior < buffer`, the result is the prior.
//! 3. Otherwise run the [greedy search](crate::greedy). If every greedy weight is 0, the prior
//!    stands in for the greedy result.
//! 4. `te = TE(prior, greedy)`, `adj = max((te − buffer) / te, 0)`; if `adj ≤ 0` the result is
//!    the prior, else `prior + round_half_even(adj × (greedy − prior) / value) × value`.
//! 5. Positions: valid keys `round_half_even(weight / value)` (NaN → 0), every other instrument 0.
//!
//! pysystemtrade also computes `TE(·, w*)` and the costs of the greedy result and of the final
//! weights (for its log); these raise like any other evaluation, so they are computed and checked
//! here too. Any [`Failure`] keeps the previous positions of **every** instrument, as the
//! exception handler in pysystemtrade's stage does.

use crate::buffer::{SpeedControl, adjust_weights_with_factor, adjustment_factor};
use crate::constraints::Constraints;
use crate::covariance::Covariance;
use crate::greedy::greedy_search;
use crate::problem::{Failure, Problem, ProblemInputs};
use crate::{InputError, KeyOrder};

/// Everything one date's decision needs, per instrument in universe order.
#[derive(Debug, Clone, Copy)]
pub struct OptimiserInputs<'a> {
    /// Unrounded optimal positions in contracts (NaN: none).
    pub optimal_contracts: &'a [f64],
    /// The positions held before this decision (the previous optimised positions in a backtest,
    /// the actual positions in production).
    pub previous_positions: &'a [i64],
    /// Value of one contract as a fraction of capital.
    pub per_contract_value: &'a [f64],
    /// Cost of trading one unit of weight, as a fraction of capital.
    pub costs_per_weight: &'a [f64],
    /// Covariance of annualised returns ([`crate::covariance::covariance_from_stdev_and_correlation`]).
    pub covariance: &'a Covariance,
    /// Per-instrument constraints.
    pub constraints: &'a [Constraints],
    pub speed: SpeedControl,
    /// The order of the valid keys in the search.
    pub key_order: &'a KeyOrder,
}

/// What the greedy branch computed.
#[derive(Debug, Clone, PartialEq)]
pub struct GreedyReport {
    /// The greedy result in key order (the prior when the search returned all zeros).
    pub weights: Vec<f64>,
    /// The search returned all zeros and the prior stands in.
    pub all_zero_fallback: bool,
    /// Contracts added by the search.
    pub steps: usize,
    /// `TE(greedy, w*) + costs(greedy)`, recomputed in full.
    pub objective: f64,
    pub tracking_error_vs_optimal: f64,
    pub costs_term: f64,
    /// `TE(prior, greedy)`.
    pub tracking_error_prior_vs_greedy: f64,
    pub adj_factor: f64,
}

impl GreedyReport {
    /// The greedy result in (unrounded) contracts, key order.
    pub fn positions(&self, problem: &Problem) -> Vec<f64> {
        self.weights
            .iter()
            .zip(&problem.per_contract_value)
            .map(|(w, v)| w / v)
            .collect()
    }
}

/// One date's decision and its intermediates.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The new positions, universe order.
    pub positions: Vec<i64>,
    /// Set when pysystemtrade would have raised: `positions` are then the previous positions.
    pub failure: Option<Failure>,
    /// The problem on the valid keys.
    pub problem: Problem,
    /// `TE(prior, w*)` (NaN when it failed).
    pub tracking_error_prior_vs_optimal: f64,
    /// `TE(prior, w*) < buffer`: the prior was kept without a search.
    pub prior_within_buffer: bool,
    /// Set when the search ran.
    pub greedy: Option<GreedyReport>,
    /// The final weights in key order (before the conversion to positions).
    pub final_weights: Vec<f64>,
}

impl OptimiserInputs<'_> {
    fn validate(&self) -> Result<usize, InputError> {
        let n = self.optimal_contracts.len();
        for (what, got) in [
            ("previous positions", self.previous_positions.len()),
            ("per-contract values", self.per_contract_value.len()),
            ("costs per weight", self.costs_per_weight.len()),
            ("covariance", self.covariance.len()),
            ("constraints", self.constraints.len()),
        ] {
            if got != n {
                return Err(InputError::Length {
                    what,
                    expected: n,
                    got,
                });
            }
        }
        self.key_order.check_len(n)?;
        for (i, c) in self.constraints.iter().enumerate() {
            c.validate(i)?;
        }
        let speed = self.speed;
        if !speed.trade_shadow_cost.is_finite() || !speed.tracking_error_buffer.is_finite() {
            return Err(InputError::SpeedControl);
        }
        Ok(n)
    }
}

/// Decides one date: the optimised positions and every intermediate.
pub fn optimise(inputs: &OptimiserInputs<'_>) -> Result<Decision, InputError> {
    let n = inputs.validate()?;
    let problem = Problem::new(&ProblemInputs {
        optimal_contracts: inputs.optimal_contracts,
        previous_positions: inputs.previous_positions,
        per_contract_value: inputs.per_contract_value,
        costs_per_weight: inputs.costs_per_weight,
        covariance: inputs.covariance,
        constraints: inputs.constraints,
        key_order: inputs.key_order.as_slice(),
    });
    let mut decision = Decision {
        positions: inputs.previous_positions.to_vec(),
        failure: None,
        tracking_error_prior_vs_optimal: f64::NAN,
        prior_within_buffer: false,
        greedy: None,
        final_weights: Vec::new(),
        problem,
    };
    let outcome = decide(&mut decision, inputs.speed).and_then(|weights| {
        let mut positions = vec![0_i64; n];
        for (k, &i) in decision.problem.keys.iter().enumerate() {
            positions[i] = whole_contracts(weights[k] / decision.problem.per_contract_value[k])
                .ok_or(Failure::PositionOutOfRange { instrument: i })?;
        }
        decision.final_weights = weights;
        Ok(positions)
    });
    match outcome {
        Ok(positions) => decision.positions = positions,
        Err(failure) => decision.failure = Some(failure),
    }
    Ok(decision)
}

/// `replace_weights_with_ints`: `int(np.round(x))`, NaN → 0; `None` where Python's `int` would
/// overflow (infinite) or the value does not fit in an `i64`.
fn whole_contracts(x: f64) -> Option<i64> {
    if x.is_nan() {
        return Some(0);
    }
    let r = x.round_ties_even();
    // [-2^63, 2^63): i64::MAX as f64 rounds up to 2^63, outside the range
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    (-TWO_63..TWO_63).contains(&r).then_some(r as i64)
}

/// Steps 2–4 of the module docs; fills the diagnostics and returns the final weights.
fn decide(decision: &mut Decision, speed: SpeedControl) -> Result<Vec<f64>, Failure> {
    let problem = &decision.problem;
    let prior = &problem.weights_prior;
    let te_prior = problem.tracking_error(prior, &problem.weights_optimal)?;
    decision.tracking_error_prior_vs_optimal = te_prior;
    if te_prior < speed.tracking_error_buffer {
        decision.prior_within_buffer = true;
        return Ok(prior.clone());
    }
    if problem.costs.iter().any(|c| !c.is_finite()) {
        return Err(Failure::UndefinedCosts);
    }
    let shadow = speed.trade_shadow_cost;
    let solution = greedy_search(problem, shadow)?;
    let all_zero_fallback = solution.weights.iter().all(|&w| w == 0.0);
    let greedy = if all_zero_fallback {
        prior.clone()
    } else {
        solution.weights
    };
    let tracking_error_vs_optimal = problem.tracking_error(&greedy, &problem.weights_optimal)?;
    let costs_term = problem.costs(&greedy, shadow)?;
    let te = problem.tracking_error(prior, &greedy)?;
    let adj_factor = adjustment_factor(te, speed.tracking_error_buffer);
    let final_weights = if adj_factor <= 0.0 {
        prior.clone()
    } else {
        adjust_weights_with_factor(&greedy, prior, &problem.per_contract_value, adj_factor)
    };
    decision.greedy = Some(GreedyReport {
        objective: tracking_error_vs_optimal + costs_term,
        weights: greedy,
        all_zero_fallback,
        steps: solution.steps,
        tracking_error_vs_optimal,
        costs_term,
        tracking_error_prior_vs_greedy: te,
        adj_factor,
    });
    // pysystemtrade logs TE and costs of the final weights; both raise like any evaluation
    decision
        .problem
        .tracking_error(&final_weights, &decision.problem.weights_optimal)?;
    decision.problem.costs(&final_weights, shadow)?;
    Ok(final_weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_contract_conversion() {
        assert_eq!(whole_contracts(7.999999999999999), Some(8));
        assert_eq!(whole_contracts(2.5), Some(2));
        assert_eq!(whole_contracts(-3.5), Some(-4));
        assert_eq!(whole_contracts(f64::NAN), Some(0));
        assert_eq!(whole_contracts(f64::INFINITY), None);
        assert_eq!(whole_contracts(1e19), None);
        assert_eq!(whole_contracts(i64::MIN as f64), Some(i64::MIN));
    }
}
