//! One date's optimisation problem on the valid keys, and the objective the search minimises.
//!
//! Follows `systems/provided/dynamic_small_system_optimise/data_for_optimisation.py`
//! (`dataForOptimisation`: the valid keys and the arrays in their order) and `optimisation.py`
//! (`objectiveFunctionForGreedy`: `evaluate`, `tracking_error_against_passed_weights`,
//! `calculate_costs`).
//!
//! - Weights are positions times the per-contract value (a fraction of capital):
//!   `w*_i = optimal contracts_i × value_i`, `prior_i = previous position_i × value_i`.
//! - **Valid keys** are the instruments with a finite optimal weight, a finite per-contract value
//!   and data in the covariance matrix ([`crate::covariance::Covariance::assets_with_data`]). They
//!   are taken in the caller's key order (see [`crate::KeyOrder`]); that order is the order of the
//!   search and of the arrays here.
//! - Tracking error of `a` against `b`: `TE = sqrt(gᵀ Σ g)` with `g = a − b`; a negative `gᵀ Σ g`
//!   (a covariance that is not positive semi-definite) is an error, as in pysystemtrade, which
//!   then keeps the previous positions for the day.
//! - Costs of weights `w`: `Σ_i |c_i × (w_i − prior_i) × shadow_cost|`, summed in key order from
//!   0 as Python's `sum` does; NaN is an error.
//! - Objective: `TE(w, w*) + costs(w)`.

use crate::constraints::{Bounds, Constraints, bounds};
use crate::covariance::Covariance;

/// Why a date keeps its previous positions: pysystemtrade raises on these and its
/// `get_optimal_positions_with_fixed_contract_values` then returns the previous positions of every
/// instrument unchanged (valid or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// `gᵀ Σ g < 0` in a tracking error: the covariance is not positive semi-definite.
    #[error(
        "negative tracking-error variance: the covariance matrix is not positive semi-definite"
    )]
    NegativeTrackingErrorVariance,
    /// The cost term is NaN or a cost per unit weight is not finite.
    #[error("undefined trading costs (a cost per unit of weight is NaN or infinite)")]
    UndefinedCosts,
    /// A position does not fit in an `i64` (weight / per-contract value is infinite or huge).
    #[error("position of instrument #{instrument} is not a finite whole number of contracts")]
    PositionOutOfRange { instrument: usize },
}

/// One date's problem: the valid keys and every array in their order (pysystemtrade's
/// `*_as_np` arrays; the reference calls the order `keys_order`).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Universe indices of the valid keys, in search order.
    pub keys: Vec<usize>,
    /// `w*`: optimal contracts × per-contract value.
    pub weights_optimal: Vec<f64>,
    /// Previous positions × per-contract value.
    pub weights_prior: Vec<f64>,
    pub per_contract_value: Vec<f64>,
    /// Cost per unit of weight.
    pub costs: Vec<f64>,
    pub bounds: Vec<Bounds>,
    /// `Σ` restricted to the valid keys, row-major in key order.
    pub covariance: Vec<f64>,
}

/// The per-instrument inputs of [`Problem::new`], all in universe order.
pub(crate) struct ProblemInputs<'a> {
    pub optimal_contracts: &'a [f64],
    pub previous_positions: &'a [i64],
    pub per_contract_value: &'a [f64],
    pub costs_per_weight: &'a [f64],
    pub covariance: &'a Covariance,
    pub constraints: &'a [Constraints],
    pub key_order: &'a [usize],
}

impl Problem {
    pub(crate) fn new(inputs: &ProblemInputs<'_>) -> Self {
        let with_data = inputs.covariance.assets_with_data();
        let weight_optimal = |i: usize| inputs.optimal_contracts[i] * inputs.per_contract_value[i];
        let keys: Vec<usize> = inputs
            .key_order
            .iter()
            .copied()
            .filter(|&i| {
                with_data[i]
                    && weight_optimal(i).is_finite()
                    && inputs.per_contract_value[i].is_finite()
            })
            .collect();
        let weights_optimal: Vec<f64> = keys.iter().map(|&i| weight_optimal(i)).collect();
        let weights_prior: Vec<f64> = keys
            .iter()
            .map(|&i| inputs.previous_positions[i] as f64 * inputs.per_contract_value[i])
            .collect();
        let per_contract_value: Vec<f64> =
            keys.iter().map(|&i| inputs.per_contract_value[i]).collect();
        let costs = keys.iter().map(|&i| inputs.costs_per_weight[i]).collect();
        let bounds = keys
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                bounds(
                    &inputs.constraints[i],
                    weights_prior[k],
                    weights_optimal[k],
                    per_contract_value[k],
                )
            })
            .collect();
        let mut covariance = Vec::with_capacity(keys.len() * keys.len());
        for &i in &keys {
            covariance.extend(keys.iter().map(|&j| inputs.covariance.get(i, j)));
        }
        Self {
            keys,
            weights_optimal,
            weights_prior,
            per_contract_value,
            costs,
            bounds,
            covariance,
        }
    }

    /// Number of valid keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no instrument is valid.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// `Σ_kl` in key order.
    pub fn cov(&self, k: usize, l: usize) -> f64 {
        self.covariance[k * self.keys.len() + l]
    }

    /// `gᵀ Σ g` with `g = a − b`, summed as `(gᵀ Σ) g`.
    pub fn tracking_error_variance(&self, a: &[f64], b: &[f64]) -> f64 {
        let n = self.len();
        let gap: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        let mut variance = 0.0;
        for (l, &gap_l) in gap.iter().enumerate() {
            let mut row = 0.0;
            for (k, &gap_k) in gap.iter().enumerate() {
                row += gap_k * self.covariance[k * n + l];
            }
            variance += row * gap_l;
        }
        variance
    }

    /// `TE(a, b) = sqrt((a − b)ᵀ Σ (a − b))`.
    pub fn tracking_error(&self, a: &[f64], b: &[f64]) -> Result<f64, Failure> {
        let variance = self.tracking_error_variance(a, b);
        if variance < 0.0 {
            return Err(Failure::NegativeTrackingErrorVariance);
        }
        Ok(variance.sqrt())
    }

    /// One instrument's cost term `|c × (w − prior) × shadow_cost|`.
    pub fn cost_term(&self, k: usize, weight: f64, shadow_cost: f64) -> f64 {
        (self.costs[k] * (weight - self.weights_prior[k]) * shadow_cost).abs()
    }

    /// `Σ_k |c_k × (w_k − prior_k) × shadow_cost|` in key order.
    pub fn costs(&self, weights: &[f64], shadow_cost: f64) -> Result<f64, Failure> {
        let total = weights
            .iter()
            .enumerate()
            .fold(0.0, |acc, (k, &w)| acc + self.cost_term(k, w, shadow_cost));
        if total.is_nan() {
            return Err(Failure::UndefinedCosts);
        }
        Ok(total)
    }

    /// The objective `TE(w, w*) + costs(w)`.
    pub fn evaluate(&self, weights: &[f64], shadow_cost: f64) -> Result<f64, Failure> {
        let te = self.tracking_error(weights, &self.weights_optimal)?;
        Ok(te + self.costs(weights, shadow_cost)?)
    }
}
