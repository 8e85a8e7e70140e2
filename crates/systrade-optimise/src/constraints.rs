//! Per-instrument constraints and the bounds, direction and starting point they give the greedy
//! search, as `systems/provided/dynamic_small_system_optimise/set_up_constraints.py`
//! (`calculate_minima_and_maxima`, `calculate_direction`, `calculate_starting_weight`) computes them.
//! Everything is in weight space (contracts × per-contract value).
//!
//! - Bounds start at `[−999, 999]` (`A_VERY_LARGE_NUMBER`, a weight of 999 × capital: no bound in
//!   practice). Long-only raises the minimum to 0.
//! - No trade: `[prior, prior]`, ignoring every other constraint.
//! - Reduce only: prior `> 0` → `[0, prior]`; prior `< 0` → `[max(minimum, prior), 0]`; prior `= 0`
//!   → `[0, 0]`, ignoring the position limit.
//! - Position limit `L` contracts: with `l = |L × per-contract value|`,
//!   `minimum = max(−l, minimum)`, `maximum = min(l, maximum)` (Python's `max`/`min`: on a tie the
//!   first argument is kept, so a limit of 0 gives `[−0.0, 0.0]`). Without a limit the same clamp
//!   uses 999.
//! - Direction: `+1` when `minimum ≥ 0`, `−1` when `maximum ≤ 0`, `+1` for a NaN optimal weight,
//!   otherwise `copysign(1, optimal weight)` (so `−0.0` gives `−1`).
//! - Start: `maximum` when `maximum = minimum`, `minimum` when `minimum > 0`, `maximum` when
//!   `maximum < 0`, otherwise 0.
//!
//! pysystemtrade's backtest marks the instruments it keeps for data but does not trade (bad
//! markets and trading restrictions: `get_list_of_markets_not_trading_but_with_data`; duplicates
//! and ignored instruments are not in its instrument list at all) reduce-only, and
//! `long_only_instruments_DO_ONLY` long-only; production
//! (`sysexecution/strategies/dynamic_optimised_positions.py`) uses the no-trade and reduce-only
//! overrides (database and config), the position limits, and a limit of 0 for a close override
//! ([`Constraints::from_override`]).
//!
//! Note on negative per-contract values (a negative futures price): the search steps by
//! `per-contract value × direction` and checks only the bound on the side of `direction`, as
//! pysystemtrade does, so bounds are not enforced on the other side.

use crate::InputError;
use systrade_model::Override;

/// `A_VERY_LARGE_NUMBER`: the default bound in weight space.
pub const A_VERY_LARGE_NUMBER: f64 = 999.0;

/// Whether an instrument may trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trading {
    /// No restriction.
    #[default]
    Normal,
    /// Only towards zero, never crossing it (pysystemtrade's reduce-only override; in the backtest,
    /// instruments kept for data but not traded).
    ReduceOnly,
    /// The position stays at the prior (pysystemtrade's no-trade override).
    NoTrade,
}

/// The constraints of one instrument.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Constraints {
    pub trading: Trading,
    /// Never short (`long_only_instruments_DO_ONLY`).
    pub long_only: bool,
    /// Maximum absolute position in contracts (`None`: no limit). Must be finite.
    pub position_limit: Option<f64>,
}

impl Constraints {
    /// The constraints pysystemtrade's production gives the optimiser for one instrument
    /// (`sysexecution/strategies/dynamic_optimised_positions.py`, `get_constraints` and
    /// `get_maximum_position_contracts_for_instrument_strategy`), from its cumulative override
    /// (the manual and the config ones, [`Override::combine`]d) and its position limit in
    /// contracts: no trading → `no_trade_keys`; reduce-only → `reduce_only_keys`; close (a
    /// multiplier of 0) → a maximum position of 0; another multiplier is no constraint there (the
    /// order stage applies it). Long-only is a backtest setting and stays off.
    pub fn from_override(value: Override, position_limit: Option<i64>) -> Self {
        let trading = match value {
            Override::NoTrading => Trading::NoTrade,
            Override::ReduceOnly => Trading::ReduceOnly,
            Override::Multiplier(_) => Trading::Normal,
        };
        let close = matches!(value, Override::Multiplier(f) if f == 0.0);
        Self {
            trading,
            long_only: false,
            position_limit: if close {
                Some(0.0)
            } else {
                position_limit.map(|l| l as f64)
            },
        }
    }

    pub(crate) fn validate(&self, instrument: usize) -> Result<(), InputError> {
        match self.position_limit {
            Some(limit) if !limit.is_finite() => {
                Err(InputError::PositionLimit { instrument, limit })
            }
            _ => Ok(()),
        }
    }
}

/// The bounds, direction and start of one instrument in weight space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub minimum: f64,
    pub maximum: f64,
    /// `+1` or `−1`: the only direction the search may move this instrument in.
    pub direction: f64,
    /// Where the search starts.
    pub start: f64,
}

/// Python's `max(a, b)`: `b` only when `b > a`.
fn py_max(a: f64, b: f64) -> f64 {
    if b > a { b } else { a }
}

/// Python's `min(a, b)`: `b` only when `b < a`.
fn py_min(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}

/// `calculate_minima_and_maxima` in weight space, given the prior weight and the per-contract value
/// (which turns a position limit in contracts into a weight).
pub fn minima_and_maxima(
    constraints: &Constraints,
    prior_weight: f64,
    per_contract_value: f64,
) -> (f64, f64) {
    let mut minimum = -A_VERY_LARGE_NUMBER;
    let mut maximum = A_VERY_LARGE_NUMBER;
    if constraints.long_only {
        minimum = 0.0;
    }
    match constraints.trading {
        Trading::NoTrade => return (prior_weight, prior_weight),
        Trading::ReduceOnly => {
            if prior_weight > 0.0 {
                minimum = 0.0;
                maximum = prior_weight;
            } else if prior_weight < 0.0 {
                minimum = py_max(minimum, prior_weight);
                maximum = 0.0;
            } else {
                return (0.0, 0.0);
            }
        }
        Trading::Normal => {}
    }
    let limit = match constraints.position_limit {
        Some(contracts) => (contracts * per_contract_value).abs(),
        None => A_VERY_LARGE_NUMBER,
    };
    minimum = py_max(-limit, minimum);
    maximum = py_min(limit, maximum);
    (minimum, maximum)
}

/// `calculate_direction`.
pub fn direction(optimal_weight: f64, minimum: f64, maximum: f64) -> f64 {
    if minimum >= 0.0 {
        1.0
    } else if maximum <= 0.0 {
        -1.0
    } else if optimal_weight.is_nan() {
        1.0
    } else {
        1.0_f64.copysign(optimal_weight)
    }
}

/// `calculate_starting_weight`.
pub fn starting_weight(minimum: f64, maximum: f64) -> f64 {
    if maximum == minimum {
        maximum
    } else if minimum > 0.0 {
        minimum
    } else if maximum < 0.0 {
        maximum
    } else {
        0.0
    }
}

/// Bounds, direction and start of one instrument.
pub fn bounds(
    constraints: &Constraints,
    prior_weight: f64,
    optimal_weight: f64,
    per_contract_value: f64,
) -> Bounds {
    let (minimum, maximum) = minima_and_maxima(constraints, prior_weight, per_contract_value);
    Bounds {
        minimum,
        maximum,
        direction: direction(optimal_weight, minimum, maximum),
        start: starting_weight(minimum, maximum),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(trading: Trading, long_only: bool, position_limit: Option<f64>) -> Constraints {
        Constraints {
            trading,
            long_only,
            position_limit,
        }
    }

    #[test]
    fn unconstrained() {
        let b = bounds(&Constraints::default(), 0.3, -0.2, 0.1);
        assert_eq!(
            (b.minimum, b.maximum, b.direction, b.start),
            (-999.0, 999.0, -1.0, 0.0)
        );
        assert_eq!(
            bounds(&Constraints::default(), 0.0, 0.0, 0.1).direction,
            1.0
        );
        assert_eq!(
            bounds(&Constraints::default(), 0.0, -0.0, 0.1).direction,
            -1.0
        );
        assert_eq!(
            bounds(&Constraints::default(), 0.0, f64::NAN, 0.1).direction,
            1.0
        );
    }

    #[test]
    fn reduce_only() {
        let r = c(Trading::ReduceOnly, false, None);
        let b = bounds(&r, 0.3, -0.2, 0.1);
        assert_eq!(
            (b.minimum, b.maximum, b.direction, b.start),
            (0.0, 0.3, 1.0, 0.0)
        );
        let b = bounds(&r, -0.3, 0.5, 0.1);
        assert_eq!(
            (b.minimum, b.maximum, b.direction, b.start),
            (-0.3, 0.0, -1.0, 0.0)
        );
        let b = bounds(&r, 0.0, 0.5, 0.1);
        assert_eq!(
            (b.minimum, b.maximum, b.direction, b.start),
            (0.0, 0.0, 1.0, 0.0)
        );
        // a limit tighter than the prior still applies
        let b = bounds(&c(Trading::ReduceOnly, false, Some(2.0)), 0.3, 0.5, 0.1);
        assert_eq!((b.minimum, b.maximum), (0.0, 0.2));
    }

    #[test]
    fn no_trade_pins_the_prior() {
        let b = bounds(&c(Trading::NoTrade, true, Some(0.0)), -0.3, 0.5, 0.1);
        assert_eq!(
            (b.minimum, b.maximum, b.direction, b.start),
            (-0.3, -0.3, -1.0, -0.3)
        );
    }

    #[test]
    fn production_constraints_from_overrides() {
        assert_eq!(
            Constraints::from_override(Override::NoTrading, Some(3)),
            c(Trading::NoTrade, false, Some(3.0))
        );
        assert_eq!(
            Constraints::from_override(Override::ReduceOnly, None),
            c(Trading::ReduceOnly, false, None)
        );
        assert_eq!(
            Constraints::from_override(Override::Multiplier(0.0), Some(5)),
            c(Trading::Normal, false, Some(0.0)),
            "close: a maximum of 0"
        );
        assert_eq!(
            Constraints::from_override(Override::Multiplier(0.5), None),
            Constraints::default()
        );
        // reduce-only from a short prior moves only up to 0, no trading pins the prior
        let b = bounds(
            &Constraints::from_override(Override::ReduceOnly, None),
            -0.4,
            0.9,
            0.1,
        );
        assert_eq!((b.minimum, b.maximum), (-0.4, 0.0));
        let b = bounds(
            &Constraints::from_override(Override::NoTrading, None),
            -0.4,
            0.9,
            0.1,
        );
        assert_eq!((b.minimum, b.maximum, b.start), (-0.4, -0.4, -0.4));
    }

    #[test]
    fn limits_and_long_only() {
        let b = bounds(&c(Trading::Normal, false, Some(-3.0)), 0.0, 0.5, 0.1);
        assert_eq!(
            (b.minimum, b.maximum),
            (-0.30000000000000004, 0.30000000000000004)
        );
        let b = bounds(&c(Trading::Normal, true, None), 0.0, -0.5, 0.1);
        assert_eq!((b.minimum, b.maximum, b.direction), (0.0, 999.0, 1.0));
        // a limit of zero: [-0.0, 0.0], start 0, direction +1 (minimum >= 0)
        let b = bounds(&c(Trading::Normal, false, Some(0.0)), 0.2, -0.5, 0.1);
        assert!(b.minimum == 0.0 && b.minimum.is_sign_negative());
        assert_eq!((b.maximum, b.direction, b.start), (0.0, 1.0, 0.0));
        assert!(
            c(Trading::Normal, false, Some(f64::NAN))
                .validate(0)
                .is_err()
        );
    }
}
