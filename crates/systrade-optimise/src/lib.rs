//! Dynamic optimisation of positions for small accounts: pysystemtrade's `optimisedPositions`
//! stage (`systems/provided/dynamic_small_system_optimise/`) and the production strategy that
//! uses it (`sysexecution/strategies/dynamic_optimised_positions.py`). Each day a greedy search
//! over whole contracts finds the portfolio closest to the unrounded optimal positions in
//! tracking-error terms under the instruments' covariance, with a cost penalty; a tracking-error
//! buffer decides whether and how far to trade from the positions held. Pure computation, no I/O.
//!
//! Per date ([`optimiser::optimise`]), formula by formula:
//!
//! | step | formula | module | pysystemtrade |
//! |---|---|---|---|
//! | weights | `w = contracts × per-contract value` (fraction of capital) | [`problem`] | `optimisation.py` |
//! | covariance | `Σ_ij = (σ_i ρ'_ij) σ_j`, `ρ' = s I + (1 − s) ρ` | [`covariance`] | `covariance.py`, `correlations.py` |
//! | valid keys | finite `w*`, finite value, ≥ 2 non-NaN entries in `Σ`'s column | [`problem`] | `data_for_optimisation.py` |
//! | tracking error | `TE(a, b) = sqrt((a − b)ᵀ Σ (a − b))` | [`problem`] | `optimisation.py` |
//! | objective | `TE(w, w*) + Σ_i |c_i (w_i − prior_i) shadow_cost|` | [`problem`] | `optimisation.py` |
//! | constraints | bounds, direction, start | [`constraints`] | `set_up_constraints.py` |
//! | search | one contract at a time, best strict improvement per pass | [`greedy`] | `greedy_algo.py` |
//! | buffer | keep the prior if `TE(prior, w*) < buffer`; else `adj = max((te − buffer)/te, 0)` | [`buffer`] | `buffering.py` |
//! | new positions | `prior + round_half_even(adj (greedy − prior) / value)`, invalid keys 0 | [`buffer`], [`optimiser`] | `buffering.py`, `weights.py` |
//!
//! Over a history ([`over_time`]): inputs aligned on `common_index`, each date's prior being the
//! previous date's result; costs per unit of weight = constant (from the **last** price and FX)
//! × cost deflator ([`costs`]).
//!
//! Quirks copied from pysystemtrade (see `../shared/pst-reference/dynamic_optimisation/README.md`
//! §6 for the evidence): one instrument alone is never traded (its covariance column has one
//! entry); a NaN correlation between two instruments with data makes the whole covariance NaN, so
//! nothing is held that day; invalid keys get position 0, not their prior; the search never
//! crosses zero; the all-zero greedy result is replaced by the prior; a failed evaluation
//! (negative variance, NaN costs) keeps every previous position ([`problem::Failure`]).
//!
//! Deliberate differences: an infinite optimal weight, per-contract value or standard deviation
//! counts as missing (pysystemtrade propagates it into NaN or infinite tracking errors); a
//! non-finite cost per unit of weight fails the date as soon as the search would start; the key
//! order is an input ([`KeyOrder`]) where pysystemtrade iterates a Python `set`; the search
//! evaluates candidates incrementally ([`greedy`]), so sums run in a different order than numpy's.

pub mod buffer;
pub mod constraints;
pub mod costs;
pub mod covariance;
pub mod greedy;
pub mod optimiser;
pub mod over_time;
pub mod problem;
pub mod system;

pub use buffer::SpeedControl;
pub use constraints::{Constraints, Trading};
pub use covariance::{CorrelationMatrix, Covariance, covariance_from_stdev_and_correlation};
pub use optimiser::{Decision, GreedyReport, OptimiserInputs, optimise};
pub use over_time::{
    AlignedInputs, CorrelationHistory, CorrelationSource, HistorySource, InstrumentHistory,
    KeyOrders, OptimisedHistory, OptimiserOverTime, SmallSystem, common_index,
};
pub use problem::{Failure, Problem};

/// Inputs that do not fit together (a programming or data error, reported before any work).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    #[error("{what}: expected {expected} values, got {got}")]
    Length {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("key order is not a permutation of the {n} instruments")]
    KeyOrder { n: usize },
    #[error("position limit of instrument #{instrument} is not finite: {limit}")]
    PositionLimit { instrument: usize, limit: f64 },
    #[error("shadow cost and tracking-error buffer must be finite")]
    SpeedControl,
    #[error("{0} are not strictly ascending")]
    Unsorted(&'static str),
}

/// The order in which the search visits the valid keys, and in which it sums: a permutation of
/// the universe's instrument indices.
///
/// The order decides which instrument wins an exact tie in a search pass and the summation order
/// of the tracking error and costs. pysystemtrade takes it from a Python `set` (so it depends on
/// `PYTHONHASHSEED`; the reference records the order it used per date). systrade uses the
/// universe order — instruments sorted by code — in production ([`KeyOrder::universe`]);
/// results can therefore differ from a pysystemtrade run on exact ties and floating-point knife
/// edges, which are rare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOrder(Vec<usize>);

impl KeyOrder {
    /// `0, 1, …, n − 1`.
    pub fn universe(n: usize) -> Self {
        Self((0..n).collect())
    }

    /// A permutation of `0..n`.
    pub fn new(n: usize, order: Vec<usize>) -> Result<Self, InputError> {
        let mut seen = vec![false; n];
        for &i in &order {
            if i >= n || std::mem::replace(&mut seen[i], true) {
                return Err(InputError::KeyOrder { n });
            }
        }
        if order.len() != n {
            return Err(InputError::KeyOrder { n });
        }
        Ok(Self(order))
    }

    /// `first` (distinct indices) in the given order, then the other instruments ascending.
    pub fn with_first(n: usize, first: &[usize]) -> Result<Self, InputError> {
        let mut order = first.to_vec();
        let mut listed = vec![false; n];
        for &i in first {
            if i >= n {
                return Err(InputError::KeyOrder { n });
            }
            listed[i] = true;
        }
        order.extend((0..n).filter(|&i| !listed[i]));
        Self::new(n, order)
    }

    /// The indices in order.
    pub fn as_slice(&self) -> &[usize] {
        &self.0
    }

    pub(crate) fn check_len(&self, n: usize) -> Result<(), InputError> {
        if self.0.len() == n {
            Ok(())
        } else {
            Err(InputError::KeyOrder { n })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_orders() {
        assert_eq!(KeyOrder::universe(3).as_slice(), &[0, 1, 2]);
        assert_eq!(
            KeyOrder::with_first(4, &[2, 0]).unwrap().as_slice(),
            &[2, 0, 1, 3]
        );
        assert!(KeyOrder::new(3, vec![0, 1]).is_err());
        assert!(KeyOrder::new(3, vec![0, 1, 1]).is_err());
        assert!(KeyOrder::new(3, vec![0, 1, 3]).is_err());
        assert!(KeyOrder::with_first(3, &[1, 1]).is_err());
        assert!(KeyOrder::with_first(3, &[5]).is_err());
    }
}
