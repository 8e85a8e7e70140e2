//! Position overrides (spec §4.6, pysystemtrade `sysobjects/production/override.py`): a position
//! multiplier in [0, 1], reduce-only, or no trading, set per strategy, instrument or both and
//! combined by precedence. `state.sqlite` stores them (`systrade-store`); `systrade-orders` applies
//! them to trades.
//!
//! [`ConfiguredOverride`]s come from the system config's instrument lists instead of a person
//! (pysystemtrade `sysproduction/data/controls.py`, `diagOverrides`): they are combined with the
//! stored ones by the same [`Override::combine`] rule.

use crate::InstrumentCode;
use std::fmt;

/// An override the system config implies for an instrument (pysystemtrade
/// `diagOverrides.get_cumulative_override_from_configuration`): `trading_restrictions` → no
/// trading; `bad_markets`, `duplicate_instruments.exclude` and `ignore_instruments` → reduce-only.
/// An instrument in several lists gets the combination and every reason.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfiguredOverride {
    pub instrument: InstrumentCode,
    pub value: Override,
    /// Why, as pysystemtrade words it: `trading_restrictions in config`, `bad_markets in config`,
    /// `duplicate_instruments exclude in config`, `ignore_instruments in config` (joined by `, `).
    pub reason: String,
}

/// An override (§4.6): a position multiplier in [0, 1] (0 = close), reduce-only, or no trading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Override {
    Multiplier(f64),
    ReduceOnly,
    NoTrading,
}

impl Override {
    /// No override: multiplier 1.
    pub const NONE: Override = Override::Multiplier(1.0);

    /// Combines the strategy, instrument and strategy+instrument overrides (§4.6): any "No trading"
    /// wins; else any Close (multiplier 0); else any "Reduce only"; else the product of multipliers.
    pub fn combine(list: &[Override]) -> Override {
        if list.contains(&Override::NoTrading) {
            return Override::NoTrading;
        }
        if list
            .iter()
            .any(|o| matches!(o, Override::Multiplier(f) if *f == 0.0))
        {
            return Override::Multiplier(0.0);
        }
        if list.contains(&Override::ReduceOnly) {
            return Override::ReduceOnly;
        }
        Override::Multiplier(
            list.iter()
                .map(|o| match o {
                    Override::Multiplier(f) => *f,
                    _ => 1.0,
                })
                .product(),
        )
    }

    /// The trade after applying the override to `trade` from position `p` (§4.6), `d = p + trade`:
    /// multiplier `f` → new position `floor(d × f)`, trade = that − p; reduce-only → `−p` if
    /// `sign(d) ≠ sign(p)`, 0 if `|d| > |p|`, else unchanged; no trading → 0.
    pub fn apply(self, position: i64, trade: i64) -> i64 {
        let d = position + trade;
        match self {
            Override::Multiplier(f) => ((d as f64) * f).floor() as i64 - position,
            Override::ReduceOnly => {
                if d.signum() != position.signum() {
                    -position
                } else if d.abs() > position.abs() {
                    0
                } else {
                    trade
                }
            }
            Override::NoTrading => 0,
        }
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Override::Multiplier(m) if *m == 0.0 => f.write_str("close"),
            Override::Multiplier(m) => write!(f, "{m}"),
            Override::ReduceOnly => f.write_str("reduce-only"),
            Override::NoTrading => f.write_str("no-trading"),
        }
    }
}

/// Parses `0.5`, `close` (= 0), `reduce-only`, `no-trading`.
impl std::str::FromStr for Override {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "close" => Ok(Override::Multiplier(0.0)),
            "reduce-only" | "reduce" => Ok(Override::ReduceOnly),
            "no-trading" | "none" => Ok(Override::NoTrading),
            t => match t.parse::<f64>() {
                Ok(f) if (0.0..=1.0).contains(&f) => Ok(Override::Multiplier(f)),
                _ => Err(format!(
                    "'{s}' is not an override (a multiplier in [0, 1], close, reduce-only or no-trading)"
                )),
            },
        }
    }
}
