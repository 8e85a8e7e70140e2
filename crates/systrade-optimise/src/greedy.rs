//! The greedy search over whole contracts, `systems/provided/dynamic_small_system_optimise/
//! greedy_algo.py` (`greedy_algo_across_integer_values`, `_find_possible_new_best_live`,
//! `_update_at_limit`).
//!
//! - Start at the starting weights (zero unless a constraint pins an instrument) with
//!   `best = objective(start)`; a negative variance or NaN costs in any evaluation is a
//!   [`Failure`].
//! - Each pass tries, for every instrument in key order that is not yet at its limit, one more
//!   contract in its direction: `w_k + value_k × direction_k`. A step beyond the maximum (direction
//!   `+1`) or below the minimum (direction `−1`) marks the instrument at its limit for the rest of
//!   the search and is not evaluated. The pass keeps the single candidate with the lowest objective;
//!   only a strictly lower value replaces the best so far, so on an exact tie the instrument earlier
//!   in key order wins.
//! - The best candidate is taken when it is strictly better than the current solution; otherwise
//!   the search stops.
//!
//! Because instruments only move away from zero in the direction of their optimal weight, the
//! search never crosses zero; the prior positions enter only through the cost term.
//!
//! Evaluation is incremental (pysystemtrade recomputes the whole objective for every candidate):
//! with `d = w − w*`, `h = Σ d` and `q = dᵀ Σ d`, a step `δ` on instrument `k` gives
//! `q' = q + δ (2 h_k + δ Σ_kk)` and changes one cost term; after each accepted step `h` is updated
//! with column `k` of `Σ`, `q = dᵀ h` and the cost sum are recomputed, and their value is the one
//! the next pass must beat (so a step that changes neither the tracking error nor the costs, like
//! one in an instrument with zero variance and no cost, is never taken). A negative incremental
//! variance (rounding next to a zero tracking error) is recomputed in full before it counts as a
//! failure. One candidate costs O(1) and
//! one pass O(n), so a search over `n` instruments that adds `m` contracts costs O(n m) after the
//! O(n²) start. The values agree with a full evaluation to rounding (~1e-16 relative); an exact tie
//! or a knife-edge comparison can therefore go the other way than in pysystemtrade.

use crate::problem::{Failure, Problem};

/// The search's result.
#[derive(Debug, Clone, PartialEq)]
pub struct GreedySolution {
    /// Weights in key order.
    pub weights: Vec<f64>,
    /// The objective of `weights` as the search computed it.
    pub objective: f64,
    /// Number of contracts added (accepted steps).
    pub steps: usize,
}

/// Runs the greedy search on `problem` with the given shadow cost.
pub fn greedy_search(problem: &Problem, shadow_cost: f64) -> Result<GreedySolution, Failure> {
    let n = problem.len();
    let mut weights: Vec<f64> = problem.bounds.iter().map(|b| b.start).collect();
    let mut gap: Vec<f64> = weights
        .iter()
        .zip(&problem.weights_optimal)
        .map(|(w, o)| w - o)
        .collect();
    // h = Σ d (row k: Σ_l Σ_kl d_l)
    let mut h: Vec<f64> = (0..n)
        .map(|k| (0..n).map(|l| problem.cov(k, l) * gap[l]).sum())
        .collect();
    let mut variance = problem.tracking_error_variance(&weights, &problem.weights_optimal);
    let mut cost_terms: Vec<f64> = (0..n)
        .map(|k| problem.cost_term(k, weights[k], shadow_cost))
        .collect();
    let mut costs = sum_in_order(&cost_terms);
    let mut best_value = value_of(variance, costs)?;
    let mut at_limit = vec![false; n];
    let mut steps = 0;
    loop {
        let mut pass_best = best_value;
        let mut chosen: Option<(usize, f64, f64)> = None;
        for k in 0..n {
            if at_limit[k] {
                continue;
            }
            let b = &problem.bounds[k];
            let candidate = weights[k] + problem.per_contract_value[k] * b.direction;
            let beyond = if b.direction > 0.0 {
                candidate > b.maximum
            } else {
                candidate < b.minimum
            };
            if beyond {
                at_limit[k] = true;
                continue;
            }
            let delta = (candidate - problem.weights_optimal[k]) - gap[k];
            let mut candidate_variance =
                variance + delta * (2.0 * h[k] + delta * problem.cov(k, k));
            if candidate_variance < 0.0 {
                // rounding near a zero tracking error, or a covariance that is not positive
                // semi-definite: decide on the full form, as pysystemtrade computes it
                let mut w = weights.clone();
                w[k] = candidate;
                candidate_variance = problem.tracking_error_variance(&w, &problem.weights_optimal);
                if candidate_variance < 0.0 {
                    return Err(Failure::NegativeTrackingErrorVariance);
                }
            }
            let term = problem.cost_term(k, candidate, shadow_cost);
            let candidate_costs = costs - cost_terms[k] + term;
            if candidate_costs.is_nan() {
                return Err(Failure::UndefinedCosts);
            }
            let value = candidate_variance.sqrt() + candidate_costs;
            if value < pass_best {
                pass_best = value;
                chosen = Some((k, candidate, term));
            }
        }
        let Some((k, candidate, term)) = chosen else {
            break;
        };
        let new_gap = candidate - problem.weights_optimal[k];
        let delta = new_gap - gap[k];
        for (l, h_l) in h.iter_mut().enumerate() {
            *h_l += delta * problem.cov(l, k);
        }
        gap[k] = new_gap;
        weights[k] = candidate;
        cost_terms[k] = term;
        // the current solution's value, from the same state the next candidates start from (so a
        // step that changes nothing is never a strict improvement)
        variance = dot(&gap, &h);
        if variance < 0.0 {
            variance = problem.tracking_error_variance(&weights, &problem.weights_optimal);
        }
        costs = sum_in_order(&cost_terms);
        best_value = value_of(variance, costs)?;
        steps += 1;
    }
    Ok(GreedySolution {
        weights,
        objective: best_value,
        steps,
    })
}

/// `sqrt(variance) + costs`, failing as pysystemtrade's `evaluate` does.
fn value_of(variance: f64, costs: f64) -> Result<f64, Failure> {
    if variance < 0.0 {
        return Err(Failure::NegativeTrackingErrorVariance);
    }
    if costs.is_nan() {
        return Err(Failure::UndefinedCosts);
    }
    Ok(variance.sqrt() + costs)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn sum_in_order(values: &[f64]) -> f64 {
    values.iter().fold(0.0, |acc, v| acc + v)
}
