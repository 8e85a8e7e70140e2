//! Pure order logic: no I/O. Section numbers refer to `shared/spec/pysystemtrade-behaviour.md`.

use std::collections::BTreeMap;
pub use systrade_model::Override;
use systrade_model::{ContractDate, RollState};

/// Why an order computation refuses its inputs (the messages are shown in run lines and audited).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OrderLogicError {
    /// A buffer edge that is not a finite number.
    #[error("{what} {value} is not a number of contracts")]
    NotContracts { what: String, value: f64 },
    /// A buffer edge beyond the sanity bound.
    #[error("{what} {value} is beyond the sanity bound of {bound} contracts")]
    EdgeBeyondBound {
        what: String,
        value: f64,
        bound: i64,
    },
    /// `lower > upper`.
    #[error("optimal lower {lower} is above upper {upper}")]
    InvertedBuffer { lower: f64, upper: f64 },
    /// The buffer-rule trade overflows.
    #[error("trade from position {current} overflows")]
    TradeOverflow { current: i64 },
    /// A trade less the unfilled remainder of working orders overflows.
    #[error("trade {trade} less {working} working overflows")]
    WorkingOverflow { trade: i64, working: i64 },
    /// `a + b` overflows.
    #[error("{what}: {a} + {b} overflows")]
    SumOverflow { what: String, a: i64, b: i64 },
    /// A resulting position beyond the sanity bound.
    #[error("{what} {position} would be beyond the sanity bound of {bound} contracts")]
    PositionBeyondBound {
        what: String,
        position: i64,
        bound: i64,
    },
    /// A roll state that trades the forward contract, none known (new orders).
    #[error("roll state {state} needs the forward contract, none is known")]
    ForwardUnknown { state: RollState },
    /// A roll state that trades the forward contract, none known (roll orders).
    #[error("roll state {state} needs the forward contract")]
    NoForward { state: RollState },
}

/// The buffer rule (§4.3 item 8, `classic_buffered_positions.py`): the position to hold given the
/// current position `p` and the buffer `[lower, upper]`:
/// `required = round(lower)` if `p < lower`; `round(upper)` if `p > upper`; else `p`.
/// Rounding is Python's `round` (half to even).
pub fn buffered_required_position(current: i64, lower: f64, upper: f64) -> i64 {
    let p = current as f64;
    if p < lower {
        lower.round_ties_even() as i64
    } else if p > upper {
        upper.round_ties_even() as i64
    } else {
        current
    }
}

/// The instrument trade of the buffer rule: `trade = required − current`.
pub fn buffered_trade(current: i64, lower: f64, upper: f64) -> i64 {
    buffered_required_position(current, lower, upper) - current
}

/// Absolute ceiling of the sanity bound: no instrument position or order beyond this many
/// contracts unless `--max-contracts` says otherwise (issue 15).
pub const HARD_MAX_CONTRACTS: i64 = 10_000;

/// The derived sanity bound allows a position whose notional value is at most this multiple of
/// capital (far beyond any position a vol-targeted system asks for: 20 % risk on a 0.5 %-vol
/// instrument is 40×).
pub const MAX_NOTIONAL_MULTIPLE: f64 = 100.0;

/// The default sanity bound of an instrument (documented in docs/ARCHITECTURE.md):
/// `min(HARD_MAX_CONTRACTS, max(1, floor(MAX_NOTIONAL_MULTIPLE × capital / contract_value)))`,
/// where `contract_value` is the base-currency value of one contract (`|price × Pointsize| × FX`);
/// `HARD_MAX_CONTRACTS` when either is unknown, not finite or not positive.
pub fn default_max_contracts(capital: Option<f64>, contract_value: Option<f64>) -> i64 {
    match (capital, contract_value) {
        (Some(c), Some(v)) if c.is_finite() && c > 0.0 && v.is_finite() && v > 0.0 => {
            let n = (MAX_NOTIONAL_MULTIPLE * c / v).floor();
            if n.is_finite() && n < HARD_MAX_CONTRACTS as f64 {
                (n as i64).max(1)
            } else {
                HARD_MAX_CONTRACTS
            }
        }
        _ => HARD_MAX_CONTRACTS,
    }
}

/// A buffer edge (`lower`/`upper` of an optimal position) as whole contracts (Python rounding),
/// refused when it is not finite or rounds beyond `±bound` contracts.
pub fn checked_contracts(what: &str, x: f64, bound: i64) -> Result<i64, OrderLogicError> {
    if !x.is_finite() {
        return Err(OrderLogicError::NotContracts {
            what: what.into(),
            value: x,
        });
    }
    let r = x.round_ties_even();
    if r.abs() > bound as f64 {
        return Err(OrderLogicError::EdgeBeyondBound {
            what: what.into(),
            value: x,
            bound,
        });
    }
    Ok(r as i64)
}

/// The buffer-rule trade ([`buffered_trade`]) with every input checked: both buffer edges finite
/// and within `±bound` contracts, the subtraction without overflow.
pub fn checked_buffered_trade(
    current: i64,
    lower: f64,
    upper: f64,
    bound: i64,
) -> Result<i64, OrderLogicError> {
    checked_contracts("optimal lower", lower, bound)?;
    checked_contracts("optimal upper", upper, bound)?;
    if lower > upper {
        return Err(OrderLogicError::InvertedBuffer { lower, upper });
    }
    buffered_required_position(current, lower, upper)
        .checked_sub(current)
        .ok_or(OrderLogicError::TradeOverflow { current })
}

/// `a + b` or a message naming what overflowed.
pub fn checked_sum(what: &str, a: i64, b: i64) -> Result<i64, OrderLogicError> {
    a.checked_add(b)
        .ok_or_else(|| OrderLogicError::SumOverflow {
            what: what.into(),
            a,
            b,
        })
}

/// Refuses a resulting position beyond `±bound` contracts.
pub fn check_position_bound(what: &str, position: i64, bound: i64) -> Result<(), OrderLogicError> {
    if position.checked_abs().is_none_or(|p| p > bound) {
        Err(OrderLogicError::PositionBeyondBound {
            what: what.into(),
            position,
            bound,
        })
    } else {
        Ok(())
    }
}

/// Applies an absolute position limit `limit` to `trade` from position `p` (§4.7), `n = p + trade`:
/// `|n| ≤ L` → keep; within the limit now → clip to `±L` in the direction of `n`; beyond the limit
/// and staying on the same side → the trade to `sign(p)·L`; crossing beyond `L` on the other side →
/// the trade to `−sign(p)·L`.
pub fn apply_position_limit(position: i64, trade: i64, limit: i64) -> i64 {
    let n = position + trade;
    if n.abs() <= limit {
        trade
    } else if position.abs() <= limit {
        n.signum() * limit - position
    } else if n.signum() == position.signum() {
        position.signum() * limit - position
    } else {
        -position.signum() * limit - position
    }
}

/// The most conservative of candidate trades (smallest absolute size; the first on ties).
pub fn most_conservative(trades: &[i64]) -> i64 {
    trades.iter().copied().min_by_key(|t| t.abs()).unwrap_or(0)
}

/// Remaining capacity of one trade limit (§4.7): `max(0, max_trades − traded − reserved)`, where
/// `reserved` is the unfilled size of orders already working against the limit.
pub fn trade_limit_capacity(max_trades: i64, traded: i64, reserved: i64) -> i64 {
    (max_trades - traded - reserved).max(0)
}

/// Caps a trade by the remaining capacities (§4.7): `sign(t)·min(|t|, capacities…)`.
pub fn apply_trade_limits(trade: i64, capacities: &[i64]) -> i64 {
    let cap = capacities.iter().copied().min().unwrap_or(i64::MAX);
    trade.signum() * trade.abs().min(cap)
}

/// Whether a trade-limit counter is due for reset: more than `period_days` since the last reset.
pub fn trade_limit_needs_reset(days_since_reset: i64, period_days: i64) -> bool {
    days_since_reset > period_days
}

/// One leg of a contract order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leg {
    pub contract: ContractDate,
    pub trade: i64,
}

/// What to do with a new instrument order, by roll state (§4.5 `spawn_children_from_new_instrument_orders`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spawn {
    /// Contract orders to create (one per leg; several legs are "distributed" children).
    Legs(Vec<Leg>),
    /// No child now: the instrument order is not placed (the reason is audited).
    Hold(String),
}

/// Splits an instrument trade into contract legs by roll state (§4.5):
/// No_Roll / No_Open → all in the priced contract; Passive → the passive split
/// ([`passive_split`]); Close / Roll_Adjusted → no child; Force / Force_Outright → only reducing
/// trades (`sign(trade) = −sign(priced position)`, `|trade| ≤ |priced position|`) are traded, as
/// Passive; others wait.
pub fn spawn_legs(
    state: RollState,
    trade: i64,
    priced: ContractDate,
    forward: Option<ContractDate>,
    priced_position: i64,
) -> Result<Spawn, OrderLogicError> {
    if trade == 0 {
        return Ok(Spawn::Legs(Vec::new()));
    }
    match state {
        RollState::NoRoll | RollState::NoOpen => Ok(Spawn::Legs(vec![Leg {
            contract: priced,
            trade,
        }])),
        RollState::Close | RollState::RollAdjusted => Ok(Spawn::Hold(format!(
            "roll state {state}: no new orders in the instrument"
        ))),
        RollState::Passive => {
            let forward = forward.ok_or(OrderLogicError::ForwardUnknown { state })?;
            Ok(Spawn::Legs(passive_split(
                trade,
                priced,
                forward,
                priced_position,
            )))
        }
        RollState::Force | RollState::ForceOutright => {
            let reducing = priced_position != 0
                && trade.signum() == -priced_position.signum()
                && trade.abs() <= priced_position.abs();
            if reducing {
                Ok(Spawn::Legs(vec![Leg {
                    contract: priced,
                    trade,
                }]))
            } else {
                Ok(Spawn::Hold(format!(
                    "roll state {state}: only reducing orders are traded"
                )))
            }
        }
    }
}

/// The Passive split (§4.5) with priced position `pp`: `pp = 0` → all in forward; trade increases
/// `|pp|` → all in forward; reduces without crossing zero → all in priced; crosses zero → close the
/// priced position (`−pp`) and the remainder (`trade + pp`) in forward.
pub fn passive_split(
    trade: i64,
    priced: ContractDate,
    forward: ContractDate,
    priced_position: i64,
) -> Vec<Leg> {
    let pp = priced_position;
    let leg = |contract, trade| Leg { contract, trade };
    if trade == 0 {
        Vec::new()
    } else if pp == 0 || trade.signum() == pp.signum() {
        vec![leg(forward, trade)]
    } else if trade.abs() <= pp.abs() {
        vec![leg(priced, trade)]
    } else {
        vec![leg(priced, -pp), leg(forward, trade + pp)]
    }
}

/// A roll order generated by `generate_force_roll_orders` (§4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollOrderPlan {
    /// The instrument-level trade: 0 for Force / Force_Outright (a `Zero-roll-order`), `−pos` for Close.
    pub instrument_trade: i64,
    pub legs: Vec<Leg>,
    /// Force: the legs form one calendar spread.
    pub spread: bool,
}

/// Plans the roll order for an instrument in Force / Force_Outright / Close with priced position
/// `pos ≠ 0` (§4.5): Force → spread `[−pos, +pos]` on [priced, forward]; Force_Outright → the same as
/// two outright legs; Close → `−pos` in priced only. Other states, or `pos = 0`, give `None`
/// (pysystemtrade then sets the state to Passive).
pub fn force_roll_plan(
    state: RollState,
    priced: ContractDate,
    forward: Option<ContractDate>,
    priced_position: i64,
) -> Result<Option<RollOrderPlan>, OrderLogicError> {
    let pos = priced_position;
    if pos == 0 {
        return Ok(None);
    }
    let fwd = || forward.ok_or(OrderLogicError::NoForward { state });
    Ok(match state {
        RollState::Force | RollState::ForceOutright => Some(RollOrderPlan {
            instrument_trade: 0,
            legs: vec![
                Leg {
                    contract: priced,
                    trade: -pos,
                },
                Leg {
                    contract: fwd()?,
                    trade: pos,
                },
            ],
            spread: state == RollState::Force,
        }),
        RollState::Close => Some(RollOrderPlan {
            instrument_trade: -pos,
            legs: vec![Leg {
                contract: priced,
                trade: -pos,
            }],
            spread: false,
        }),
        _ => None,
    })
}

/// The client order id (IB `cOID`) of the `sequence`-th broker order of a strategy and instrument
/// on `date` (`YYYYMMDD`) in the data directory with client order id prefix `prefix` (random per
/// data directory, so ids are unique per account): `<prefix>-<strategy>-<instrument>-<date>-
/// <sequence, 3 digits>`, with characters outside `[A-Za-z0-9_.]` in the names replaced by `_`.
/// The id is stored with the order before it is sent; re-runs use the stored id.
pub fn client_order_id(
    prefix: &str,
    strategy: &str,
    instrument: &str,
    date: &str,
    sequence: i64,
) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!(
        "{}-{}-{}-{date}-{sequence:03}",
        clean(prefix),
        clean(strategy),
        clean(instrument)
    )
}

/// A position break between our contract positions and the broker's (§4.5
/// `check_external_position_break`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PositionBreak {
    pub instrument: String,
    pub contract: String,
    pub ours: i64,
    pub broker: i64,
}

/// Compares positions over the union of (instrument, contract) keys; duplicate entries are summed,
/// zero-versus-missing is not a break. Sorted by instrument and contract.
pub fn position_breaks(
    ours: &[(String, String, i64)],
    broker: &[(String, String, i64)],
) -> Vec<PositionBreak> {
    let mut map: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for (i, c, p) in ours {
        map.entry((i.clone(), c.clone())).or_default().0 += p;
    }
    for (i, c, p) in broker {
        map.entry((i.clone(), c.clone())).or_default().1 += p;
    }
    map.into_iter()
        .filter(|(_, (a, b))| a != b)
        .map(|((instrument, contract), (ours, broker))| PositionBreak {
            instrument,
            contract,
            ours,
            broker,
        })
        .collect()
}

/// The average price of the newly filled quantity, given cumulative fills before (`q0` at `p0`) and
/// after (`q1` at `p1`): `(p1·q1 − p0·q0) / (q1 − q0)`.
pub fn incremental_fill_price(q0: i64, p0: f64, q1: i64, p1: f64) -> f64 {
    if q1 == q0 {
        return p1;
    }
    let p0 = if q0 == 0 { 0.0 } else { p0 };
    (p1 * q1 as f64 - p0 * q0 as f64) / (q1 - q0) as f64
}

/// The running average price after adding `dq` at `dp` to `q0` at `p0`: `(p0·q0 + dp·dq) / (q0 + dq)`.
pub fn average_fill_price(q0: i64, p0: Option<f64>, dq: i64, dp: f64) -> f64 {
    let q1 = q0 + dq;
    if q1 == 0 || q0 == 0 {
        return dp;
    }
    (p0.unwrap_or(dp) * q0 as f64 + dp * dq as f64) / q1 as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64) -> ContractDate {
        ContractDate::from_id(id).unwrap()
    }

    #[test]
    fn buffer_rule_trades_to_the_nearer_edge() {
        assert_eq!(buffered_trade(0, 2.4, 4.6), 2);
        assert_eq!(buffered_trade(7, 2.4, 4.6), -2);
        assert_eq!(buffered_trade(3, 2.4, 4.6), 0);
        assert_eq!(buffered_trade(0, 2.5, 3.0), 2, "round half to even");
        assert_eq!(buffered_trade(0, 3.5, 4.0), 4);
        assert_eq!(buffered_trade(0, -3.2, -1.7), -2);
        assert_eq!(buffered_trade(-1, -0.4, 0.4), 1);
    }

    #[test]
    fn overrides_combine_by_precedence() {
        use Override::*;
        assert_eq!(
            Override::combine(&[Multiplier(0.5), ReduceOnly, NoTrading]),
            NoTrading
        );
        assert_eq!(
            Override::combine(&[Multiplier(0.0), ReduceOnly]),
            Multiplier(0.0)
        );
        assert_eq!(
            Override::combine(&[Multiplier(0.5), ReduceOnly]),
            ReduceOnly
        );
        assert_eq!(
            Override::combine(&[Multiplier(0.5), Multiplier(0.5)]),
            Multiplier(0.25)
        );
        assert_eq!(Override::combine(&[]), Override::NONE);
    }

    #[test]
    fn overrides_apply() {
        use Override::*;
        // d = 10, floor(5.0) = 5 → trade 5 − 0
        assert_eq!(Multiplier(0.5).apply(0, 10), 5);
        // d = -5, floor(-2.5) = -3 (away from zero)
        assert_eq!(Multiplier(0.5).apply(0, -5), -3);
        assert_eq!(Multiplier(0.0).apply(4, 2), -4, "close");
        assert_eq!(ReduceOnly.apply(4, 2), 0, "increase blocked");
        assert_eq!(ReduceOnly.apply(4, -1), -1, "reduction kept");
        assert_eq!(ReduceOnly.apply(4, -6), -4, "crossing closes");
        assert_eq!(ReduceOnly.apply(0, 3), 0, "opening blocked");
        assert_eq!(NoTrading.apply(4, -4), 0);
        assert_eq!("reduce-only".parse::<Override>().unwrap(), ReduceOnly);
        assert_eq!("close".parse::<Override>().unwrap(), Multiplier(0.0));
        assert!("1.5".parse::<Override>().is_err());
    }

    #[test]
    fn position_limits() {
        assert_eq!(apply_position_limit(2, 3, 10), 3);
        assert_eq!(apply_position_limit(2, 10, 10), 8, "clip to +L");
        assert_eq!(apply_position_limit(-2, -10, 10), -8, "clip to -L");
        assert_eq!(apply_position_limit(15, 2, 10), -5, "beyond: to the limit");
        assert_eq!(apply_position_limit(15, -2, 10), -5, "not reducing enough");
        assert_eq!(apply_position_limit(15, -30, 10), -25, "crossing: to -L");
        assert_eq!(
            apply_position_limit(3, -20, 10),
            -13,
            "within, crossing: clip to -L"
        );
        assert_eq!(apply_position_limit(0, 5, 0), 0);
        assert_eq!(most_conservative(&[8, 3, -5]), 3);
    }

    #[test]
    fn trade_limits() {
        assert_eq!(trade_limit_capacity(10, 4, 3), 3);
        assert_eq!(trade_limit_capacity(10, 9, 3), 0);
        assert_eq!(apply_trade_limits(-7, &[3, 5]), -3);
        assert_eq!(apply_trade_limits(2, &[3, 5]), 2);
        assert_eq!(apply_trade_limits(2, &[]), 2);
        assert!(trade_limit_needs_reset(2, 1));
        assert!(!trade_limit_needs_reset(1, 1));
    }

    #[test]
    fn passive_split_rules() {
        let (p, f) = (c(20240300), c(20240600));
        let l = |contract, trade| Leg { contract, trade };
        assert_eq!(passive_split(3, p, f, 0), vec![l(f, 3)]);
        assert_eq!(passive_split(3, p, f, 2), vec![l(f, 3)], "increasing");
        assert_eq!(passive_split(-2, p, f, 5), vec![l(p, -2)], "reducing");
        assert_eq!(passive_split(-5, p, f, 5), vec![l(p, -5)], "to zero");
        assert_eq!(
            passive_split(-7, p, f, 5),
            vec![l(p, -5), l(f, -2)],
            "crossing"
        );
        assert_eq!(passive_split(4, p, f, -1), vec![l(p, 1), l(f, 3)]);
    }

    #[test]
    fn spawn_by_roll_state() {
        let (p, f) = (c(20240300), c(20240600));
        let one = |contract, trade| Spawn::Legs(vec![Leg { contract, trade }]);
        assert_eq!(
            spawn_legs(RollState::NoRoll, 2, p, None, 0).unwrap(),
            one(p, 2)
        );
        assert_eq!(
            spawn_legs(RollState::NoOpen, -1, p, None, 3).unwrap(),
            one(p, -1)
        );
        assert_eq!(
            spawn_legs(RollState::Passive, 2, p, Some(f), 0).unwrap(),
            one(f, 2)
        );
        assert!(spawn_legs(RollState::Passive, 2, p, None, 0).is_err());
        assert!(matches!(
            spawn_legs(RollState::Close, 2, p, Some(f), 3).unwrap(),
            Spawn::Hold(_)
        ));
        assert!(matches!(
            spawn_legs(RollState::RollAdjusted, 2, p, Some(f), 0).unwrap(),
            Spawn::Hold(_)
        ));
        assert!(matches!(
            spawn_legs(RollState::Force, 2, p, Some(f), 3).unwrap(),
            Spawn::Hold(_)
        ));
        assert_eq!(
            spawn_legs(RollState::Force, -2, p, Some(f), 3).unwrap(),
            one(p, -2)
        );
        assert!(matches!(
            spawn_legs(RollState::ForceOutright, -4, p, Some(f), 3).unwrap(),
            Spawn::Hold(_)
        ));
    }

    #[test]
    fn force_roll_plans() {
        let (p, f) = (c(20240300), c(20240600));
        let plan = force_roll_plan(RollState::Force, p, Some(f), 3)
            .unwrap()
            .unwrap();
        assert_eq!(plan.instrument_trade, 0);
        assert!(plan.spread);
        assert_eq!(
            plan.legs,
            vec![
                Leg {
                    contract: p,
                    trade: -3
                },
                Leg {
                    contract: f,
                    trade: 3
                }
            ]
        );
        let outright = force_roll_plan(RollState::ForceOutright, p, Some(f), -2)
            .unwrap()
            .unwrap();
        assert!(!outright.spread);
        assert_eq!(outright.legs[1].trade, -2);
        let close = force_roll_plan(RollState::Close, p, None, 4)
            .unwrap()
            .unwrap();
        assert_eq!(close.instrument_trade, -4);
        assert_eq!(close.legs.len(), 1);
        assert_eq!(
            force_roll_plan(RollState::Force, p, Some(f), 0).unwrap(),
            None
        );
        assert_eq!(
            force_roll_plan(RollState::Passive, p, Some(f), 3).unwrap(),
            None
        );
    }

    #[test]
    fn client_order_ids_are_deterministic() {
        assert_eq!(
            client_order_id("k3x9a0qz", "medium speed", "US10", "20240105", 7),
            "k3x9a0qz-medium_speed-US10-20240105-007"
        );
    }

    #[test]
    fn breaks_over_the_union() {
        let s = |i: &str, c: &str, p| (i.to_string(), c.to_string(), p);
        let b = position_breaks(
            &[s("A", "1", 2), s("B", "1", 0), s("C", "1", 1)],
            &[
                s("A", "1", 1),
                s("A", "1", 1),
                s("C", "1", 2),
                s("D", "1", -1),
            ],
        );
        assert_eq!(b.len(), 2);
        assert_eq!(
            (b[0].instrument.as_str(), b[0].ours, b[0].broker),
            ("C", 1, 2)
        );
        assert_eq!(
            (b[1].instrument.as_str(), b[1].ours, b[1].broker),
            ("D", 0, -1)
        );
    }

    #[test]
    fn fill_prices() {
        assert_eq!(incremental_fill_price(0, 0.0, 2, 101.0), 101.0);
        assert_eq!(incremental_fill_price(2, 100.0, 4, 101.0), 102.0);
        assert_eq!(average_fill_price(2, Some(100.0), 2, 102.0), 101.0);
        assert_eq!(average_fill_price(0, None, -3, 99.0), 99.0);
    }

    #[test]
    fn sanity_bound_refuses_absurd_optimal_positions() {
        assert_eq!(checked_buffered_trade(0, 2.4, 4.6, 100), Ok(2));
        for (lo, hi) in [
            (1e19, 1e19),
            (-9.223372036854776e18, -9.223372036854776e18),
            (f64::NAN, 1.0),
            (0.0, f64::INFINITY),
            (101.0, 101.0),
            (-100.6, 0.0),
        ] {
            let r = checked_buffered_trade(0, lo, hi, 100);
            assert!(r.is_err(), "{lo} {hi}: {r:?}");
        }
        assert!(checked_buffered_trade(0, 3.0, 2.0, 100).is_err());
        assert_eq!(checked_buffered_trade(-100, 100.0, 100.0, 100), Ok(200));
        assert!(checked_sum("x", i64::MAX, 1).is_err());
        assert!(check_position_bound("p", i64::MIN, 10).is_err());
        assert!(check_position_bound("p", -11, 10).is_err());
        assert!(check_position_bound("p", -10, 10).is_ok());
    }

    #[test]
    fn refusal_messages_name_what_and_bound() {
        let msg = |r: Result<i64, OrderLogicError>| r.unwrap_err().to_string();
        assert_eq!(
            msg(checked_buffered_trade(0, f64::NAN, 1.0, 100)),
            "optimal lower NaN is not a number of contracts"
        );
        assert_eq!(
            msg(checked_buffered_trade(0, 0.0, 101.0, 100)),
            "optimal upper 101 is beyond the sanity bound of 100 contracts"
        );
        assert_eq!(
            msg(checked_buffered_trade(0, 3.0, 2.0, 100)),
            "optimal lower 3 is above upper 2"
        );
        assert_eq!(
            msg(checked_sum("x", i64::MAX, 1)),
            format!("x: {} + 1 overflows", i64::MAX)
        );
        assert_eq!(
            check_position_bound("strategy position", -11, 10)
                .unwrap_err()
                .to_string(),
            "strategy position -11 would be beyond the sanity bound of 10 contracts"
        );
        assert_eq!(
            spawn_legs(RollState::Passive, 2, c(20240300), None, 0)
                .unwrap_err()
                .to_string(),
            "roll state Passive needs the forward contract, none is known"
        );
        assert_eq!(
            force_roll_plan(RollState::Force, c(20240300), None, 3)
                .unwrap_err()
                .to_string(),
            "roll state Force needs the forward contract"
        );
    }

    #[test]
    fn default_sanity_bound_from_capital_and_contract_value() {
        // 100 × 1,000,000 / 50,000 = 2,000 contracts.
        assert_eq!(default_max_contracts(Some(1e6), Some(5e4)), 2_000);
        // Capped by the hard maximum (a pointsize of 1e-300 makes a contract worth nothing).
        assert_eq!(
            default_max_contracts(Some(1e6), Some(1e-298)),
            HARD_MAX_CONTRACTS
        );
        // At least one contract.
        assert_eq!(default_max_contracts(Some(1e3), Some(1e6)), 1);
        for v in [None, Some(0.0), Some(-5.0), Some(f64::NAN)] {
            assert_eq!(default_max_contracts(Some(1e6), v), HARD_MAX_CONTRACTS);
        }
        assert_eq!(default_max_contracts(None, Some(5e4)), HARD_MAX_CONTRACTS);
    }
}
