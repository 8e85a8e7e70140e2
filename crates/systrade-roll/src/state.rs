//! Roll states, the transitions allowed between them and the auto-roll decision (spec §4.8,
//! pysystemtrade `sysobjects/production/roll_state.py`,
//! `sysproduction/interactive_update_roll_status.py`; thresholds spec §8 item 15).

use std::fmt;
use systrade_model::{ContractDate, ContractPrices};
pub use systrade_model::{RollState, RollStateError};

/// States reachable from `current` given the position in the priced contract (spec §4.8,
/// `allowable_roll_state_from_current_and_position`); staying put is always among them.
///
/// - Zero priced position: from any state but Roll_Adjusted → {Roll_Adjusted, Passive, No_Roll,
///   No_Open}; from Roll_Adjusted → {Roll_Adjusted, No_Roll}.
/// - Non-zero priced position: Roll_Adjusted is not allowed and Force/Force_Outright/Close are: from
///   any state but Roll_Adjusted → {Passive, Force, Force_Outright, Close, No_Roll, No_Open} plus
///   staying; from Roll_Adjusted → {Roll_Adjusted} only.
///
/// The spec pins the No_Roll rows and the Roll_Adjusted-with-position row; the other rows follow the
/// same position rule (which states make sense with and without a position to roll).
pub fn allowed_transitions(current: RollState, priced_position: i64) -> Vec<RollState> {
    use RollState::*;
    let mut out: Vec<RollState> = match (priced_position == 0, current) {
        (true, RollAdjusted) => vec![RollAdjusted, NoRoll],
        (true, _) => vec![RollAdjusted, Passive, NoRoll, NoOpen],
        (false, RollAdjusted) => vec![RollAdjusted],
        (false, _) => vec![Passive, Force, ForceOutright, Close, NoRoll, NoOpen],
    };
    if !out.contains(&current) {
        out.push(current);
    }
    out
}

/// Whether `current → wanted` is allowed with this priced position.
pub fn is_allowed(current: RollState, wanted: RollState, priced_position: i64) -> bool {
    allowed_transitions(current, priced_position).contains(&wanted)
}

/// `roll_status_auto_update` thresholds (spec §4.8, §8 item 15).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoRollConfig {
    /// Forward is liquid above this relative volume (forward / priced): 1.0.
    pub min_relative_volume: f64,
    /// … or above this relative volume (0.01) …
    pub min_relative_volume_with_absolute: f64,
    /// … together with an absolute forward volume above this (100 contracts).
    pub min_absolute_volume: f64,
    /// "Near" roll: fewer than this many days to the desired roll date (10).
    pub near_days: i64,
    /// Roll adjusted prices automatically once expired when there is no position (true).
    pub auto_roll_expired: bool,
    /// Liquid, position, near: what to do (`default_roll_state_if_undecided`, default Ask).
    pub if_undecided: AutoRollDecision,
}

impl Default for AutoRollConfig {
    fn default() -> Self {
        Self {
            min_relative_volume: 1.0,
            min_relative_volume_with_absolute: 0.01,
            min_absolute_volume: 100.0,
            near_days: 10,
            auto_roll_expired: true,
            if_undecided: AutoRollDecision::Ask,
        }
    }
}

/// What the auto-roll rule decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoRollDecision {
    Set(RollState),
    /// Leave the decision to a person.
    Ask,
}

impl fmt::Display for AutoRollDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Set(s) => s.fmt(f),
            Self::Ask => f.write_str("Ask"),
        }
    }
}

/// The facts the auto-roll rule looks at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoRollInputs {
    /// Smoothed forward volume / smoothed priced volume (NaN when unknown).
    pub relative_volume: f64,
    /// Smoothed forward volume.
    pub forward_volume: f64,
    /// Days until the desired roll date of the priced contract.
    pub days_to_roll: i64,
    /// Days until the (approximate) expiry of the priced contract.
    pub days_to_expiry: i64,
    /// Position in the priced contract.
    pub priced_position: i64,
}

/// The auto-roll decision (spec §4.8): liquid = relative volume > 1.0, or > 0.01 with absolute
/// forward volume > 100; near = days to roll < 10. Expired (days to expiry ≤ 0) with
/// `auto_roll_expired` and no position → Roll_Adjusted; liquid & no position → Roll_Adjusted; liquid
/// & position & near → `if_undecided`; liquid & position & not near → Passive; illiquid & near →
/// No_Open; illiquid & not near → No_Roll. Unknown (NaN) volumes count as illiquid.
pub fn auto_roll_decision(inputs: &AutoRollInputs, config: &AutoRollConfig) -> AutoRollDecision {
    let no_position = inputs.priced_position == 0;
    if inputs.days_to_expiry <= 0 && config.auto_roll_expired && no_position {
        return AutoRollDecision::Set(RollState::RollAdjusted);
    }
    let liquid = inputs.relative_volume > config.min_relative_volume
        || (inputs.relative_volume > config.min_relative_volume_with_absolute
            && inputs.forward_volume > config.min_absolute_volume);
    let near = inputs.days_to_roll < config.near_days;
    match (liquid, no_position, near) {
        (true, true, _) => AutoRollDecision::Set(RollState::RollAdjusted),
        (true, false, true) => config.if_undecided,
        (true, false, false) => AutoRollDecision::Set(RollState::Passive),
        (false, _, true) => AutoRollDecision::Set(RollState::NoOpen),
        (false, _, false) => AutoRollDecision::Set(RollState::NoRoll),
    }
}

/// Smoothed volume: over the last 14 daily volumes, the pandas `ewm(span=3).mean()` last value
/// (adjust=True, ignore_na=False): `Σ wᵢ xᵢ / Σ wᵢ` over non-missing xᵢ with `wᵢ = (1 − α)^k`, α =
/// 2/(3+1), k = positions before the last. NaN when there is no volume.
pub fn smoothed_volume(daily_volumes: &[f64]) -> f64 {
    let window = &daily_volumes[daily_volumes.len().saturating_sub(14)..];
    let alpha = 2.0 / (3.0 + 1.0);
    let (mut num, mut den) = (0.0, 0.0);
    for (k, &x) in window.iter().rev().enumerate() {
        if x.is_nan() {
            continue;
        }
        let w = (1.0_f64 - alpha).powi(k as i32);
        num += w * x;
        den += w;
    }
    if den == 0.0 { f64::NAN } else { num / den }
}

/// Daily volumes of one contract: bar volumes summed per calendar day, in day order (missing
/// volumes count as 0 within a day that has bars).
pub fn daily_volumes(bars: &ContractPrices, contract: ContractDate) -> Vec<f64> {
    let mut days: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
    for b in bars.iter().filter(|b| b.contract == contract) {
        let v = if b.volume.is_finite() { b.volume } else { 0.0 };
        *days.entry(b.timestamp.day_number()).or_insert(0.0) += v;
    }
    days.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use RollState::*;

    #[test]
    fn transitions_follow_position() {
        assert_eq!(
            allowed_transitions(NoRoll, 0),
            vec![RollAdjusted, Passive, NoRoll, NoOpen]
        );
        assert!(!is_allowed(NoRoll, Force, 0));
        assert!(is_allowed(NoRoll, Force, 3));
        assert!(!is_allowed(NoRoll, RollAdjusted, -2));
        assert_eq!(allowed_transitions(RollAdjusted, 1), vec![RollAdjusted]);
        assert!(is_allowed(RollAdjusted, NoRoll, 0));
        assert!(is_allowed(Close, Close, 0));
    }

    #[test]
    fn auto_decision_table() {
        let c = AutoRollConfig::default();
        let base = AutoRollInputs {
            relative_volume: 2.0,
            forward_volume: 1000.0,
            days_to_roll: 30,
            days_to_expiry: 60,
            priced_position: 0,
        };
        let d = |i: AutoRollInputs| auto_roll_decision(&i, &c);
        assert_eq!(d(base), AutoRollDecision::Set(RollAdjusted));
        let pos = AutoRollInputs {
            priced_position: 2,
            ..base
        };
        assert_eq!(d(pos), AutoRollDecision::Set(Passive));
        assert_eq!(
            d(AutoRollInputs {
                days_to_roll: 5,
                ..pos
            }),
            AutoRollDecision::Ask
        );
        let illiquid = AutoRollInputs {
            relative_volume: 0.005,
            ..pos
        };
        assert_eq!(d(illiquid), AutoRollDecision::Set(NoRoll));
        assert_eq!(
            d(AutoRollInputs {
                days_to_roll: 9,
                ..illiquid
            }),
            AutoRollDecision::Set(NoOpen)
        );
        // 0.01 < relative ≤ 1 needs absolute volume > 100
        let mid = AutoRollInputs {
            relative_volume: 0.5,
            forward_volume: 100.0,
            ..base
        };
        assert_eq!(d(mid), AutoRollDecision::Set(NoRoll));
        assert_eq!(
            d(AutoRollInputs {
                forward_volume: 101.0,
                ..mid
            }),
            AutoRollDecision::Set(RollAdjusted)
        );
        // expired without position rolls even when illiquid
        let expired = AutoRollInputs {
            relative_volume: f64::NAN,
            days_to_expiry: 0,
            ..base
        };
        assert_eq!(d(expired), AutoRollDecision::Set(RollAdjusted));
    }

    #[test]
    fn ewm_span_3_matches_pandas_weights() {
        // pandas: pd.Series([1, 2, 3]).ewm(span=3).mean().iloc[-1] = (3 + 0.5*2 + 0.25*1) / 1.75
        assert_eq!(smoothed_volume(&[1.0, 2.0, 3.0]), 4.25 / 1.75);
        // NaN keeps its position: [1, NaN, 3] -> (3 + 0.25) / 1.25
        assert_eq!(smoothed_volume(&[1.0, f64::NAN, 3.0]), 3.25 / 1.25);
        assert!(smoothed_volume(&[]).is_nan());
        // only the last 14 count
        let mut v = vec![1e9; 5];
        v.extend([10.0; 14]);
        assert_eq!(smoothed_volume(&v), 10.0);
    }
}
