//! Total and per-strategy capital (spec §4.3 items 5-6): the compounding methods, the 10% jump
//! rule and the allocation to strategies. `state.sqlite` stores one row per update (accepted,
//! pending confirmation, or rejected) and the allocation (`systrade_store::state::capital`); the
//! functions here that take a database apply a rule and store its result in one transaction.

use anyhow::{Context, bail};
pub use systrade_store::state::capital::CapitalState;
use systrade_store::state::capital::CapitalStatus;
use systrade_store::{StateReader, StateTx, StateWriter};

/// `production_capital_method` (spec §4.12; default full).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapitalMethod {
    Full,
    Half,
    Fixed,
}

impl CapitalMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Half => "half",
            Self::Fixed => "fixed",
        }
    }

    pub fn parse(s: &str) -> anyhow::Result<Self> {
        match s {
            "full" => Ok(Self::Full),
            "half" => Ok(Self::Half),
            "fixed" => Ok(Self::Fixed),
            _ => bail!("unknown capital method {s:?} (full, half, fixed)"),
        }
    }
}

/// The largest accepted relative account move without confirmation (spec §4.3 item 5).
pub const MAX_JUMP: f64 = 0.10;

/// Result of an account-value update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Update {
    /// New state to store.
    Accepted(CapitalState),
    /// `|pnl| / previous > 10%`: stored as pending until confirmed; carries the candidate state.
    NeedsConfirmation { jump: f64, candidate: CapitalState },
}

/// Applies a new broker account value (spec §4.3 item 5): `pnl = new − previous account value`;
/// if `|pnl| / previous > 0.10` the update waits for confirmation; otherwise
/// **full**: `capital = max(capital + pnl, 0)`; **half**: `capital = max(min(capital + pnl,
/// maximum), 0)` (losses reduce, gains above the high-water mark don't); **fixed**: unchanged.
/// `maximum = max(maximum, capital + pnl)`; `acc_pnl += pnl`. The first update (no previous state,
/// or a state without account value) initialises capital = account value = maximum.
pub fn apply_account_value(
    prev: Option<CapitalState>,
    account_value: f64,
    method: CapitalMethod,
) -> Update {
    let Some(prev) = prev else {
        return Update::Accepted(first_state(account_value));
    };
    let Some(prev_value) = prev.account_value else {
        // Capital was set by hand: the account value becomes the P&L reference, capital stays.
        return Update::Accepted(CapitalState {
            account_value: Some(account_value),
            ..prev
        });
    };
    let pnl = account_value - prev_value;
    let grown = prev.total_capital + pnl;
    let total_capital = match method {
        CapitalMethod::Full => grown.max(0.0),
        CapitalMethod::Half => grown.min(prev.maximum).max(0.0),
        CapitalMethod::Fixed => prev.total_capital,
    };
    let candidate = CapitalState {
        account_value: Some(account_value),
        total_capital,
        maximum: prev.maximum.max(grown),
        acc_pnl: prev.acc_pnl + pnl,
    };
    let jump = if prev_value != 0.0 {
        (pnl / prev_value).abs()
    } else {
        f64::INFINITY
    };
    if jump > MAX_JUMP {
        Update::NeedsConfirmation { jump, candidate }
    } else {
        Update::Accepted(candidate)
    }
}

fn first_state(account_value: f64) -> CapitalState {
    CapitalState {
        account_value: Some(account_value),
        total_capital: account_value,
        maximum: account_value,
        acc_pnl: 0.0,
    }
}

/// Strategy capital `capital_s = total × w_s / Σw` (spec §4.3 item 6); all zero when Σw = 0.
pub fn allocate(total: f64, weights: &[(String, f64)]) -> Vec<(String, f64)> {
    let sum: f64 = weights.iter().map(|(_, w)| w).sum();
    weights
        .iter()
        .map(|(s, w)| {
            let c = if sum > 0.0 { total * w / sum } else { 0.0 };
            (s.clone(), c)
        })
        .collect()
}

/// Applies and stores a broker account value; re-allocates strategy capital when accepted.
pub fn update(
    db: &mut StateWriter,
    account_value: f64,
    method: CapitalMethod,
) -> anyhow::Result<Update> {
    if !account_value.is_finite() || account_value < 0.0 {
        bail!("account value must be a non-negative number, got {account_value}");
    }
    db.transaction(|tx| {
        let result = apply_account_value(tx.current_capital()?, account_value, method);
        match &result {
            Update::Accepted(s) => {
                tx.insert_capital(s, method.as_str(), CapitalStatus::Accepted, "")?;
                reallocate(tx, s.total_capital)?;
            }
            Update::NeedsConfirmation { jump, candidate } => {
                tx.insert_capital(
                    candidate,
                    method.as_str(),
                    CapitalStatus::Pending,
                    &format!(
                        "account value moved {:.1}%; confirm with `run-step capital confirm`",
                        jump * 100.0
                    ),
                )?;
            }
        }
        Ok(result)
    })
}

/// Accepts the latest pending update (a jump of more than 10%); returns its state.
pub fn confirm(db: &mut StateWriter) -> anyhow::Result<CapitalState> {
    db.transaction(|tx| {
        let (id, s) = tx
            .pending_capital_update()?
            .context("no capital update is waiting for confirmation")?;
        tx.accept_capital_update(id)?;
        reallocate(tx, s.total_capital)?;
        Ok(s)
    })
}

/// Rejects the pending update, if any; returns whether there was one.
pub fn reject(db: &mut StateWriter) -> anyhow::Result<bool> {
    Ok(db.transaction(|tx| tx.reject_capital_updates())? > 0)
}

/// Sets total capital by hand (maximum becomes the new value; the last account value is kept as
/// the P&L reference).
pub fn set_manual(db: &mut StateWriter, total: f64, note: &str) -> anyhow::Result<CapitalState> {
    if !total.is_finite() || total < 0.0 {
        bail!("capital must be a non-negative number, got {total}");
    }
    db.transaction(|tx| {
        let prev = tx.current_capital()?;
        let s = CapitalState {
            account_value: prev.and_then(|p| p.account_value),
            total_capital: total,
            maximum: total,
            acc_pnl: prev.map_or(0.0, |p| p.acc_pnl),
        };
        tx.insert_capital(&s, "manual", CapitalStatus::Accepted, note)?;
        reallocate(tx, total)?;
        Ok(s)
    })
}

/// Sets (or with weight 0 keeps at zero) a strategy's weight and re-allocates.
pub fn set_weight(db: &mut StateWriter, strategy: &str, weight: f64) -> anyhow::Result<()> {
    if !weight.is_finite() || weight < 0.0 {
        bail!("weight must be a non-negative number, got {weight}");
    }
    db.transaction(|tx| {
        tx.set_strategy_weight(strategy, weight)?;
        if let Some(s) = tx.current_capital()? {
            reallocate(tx, s.total_capital)?;
        }
        Ok(())
    })
}

fn reallocate(tx: &StateTx<'_>, total: f64) -> anyhow::Result<()> {
    for (s, c) in allocate(total, &weights(tx)?) {
        tx.set_strategy_capital(&s, c)?;
    }
    Ok(())
}

/// Strategy weights, by strategy name.
fn weights(db: &StateReader) -> anyhow::Result<Vec<(String, f64)>> {
    Ok(db
        .strategy_capitals()?
        .into_iter()
        .map(|s| (s.strategy, s.weight))
        .collect())
}

/// The capital size-positions should use for `strategy`: its allocation if strategies have
/// weights; the whole total capital when no strategy has a weight (one strategy); `None` when no
/// capital has been set (callers fall back to the config's `notional_trading_capital`).
pub fn strategy_capital(db: &StateReader, strategy: &str) -> anyhow::Result<Option<f64>> {
    let Some(total) = db.current_capital()? else {
        return Ok(None);
    };
    let ws = weights(db)?;
    if ws.is_empty() {
        return Ok(Some(total.total_capital));
    }
    Ok(allocate(total.total_capital, &ws)
        .into_iter()
        .find(|(s, _)| s == strategy)
        .map(|(_, c)| c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(u: Update) -> CapitalState {
        match u {
            Update::Accepted(s) => s,
            other => panic!("expected accepted, got {other:?}"),
        }
    }

    #[test]
    fn methods_full_half_fixed() {
        let s0 = accepted(apply_account_value(None, 1000.0, CapitalMethod::Full));
        assert_eq!(
            (s0.total_capital, s0.maximum, s0.acc_pnl),
            (1000.0, 1000.0, 0.0)
        );
        // gain of 50
        let f = accepted(apply_account_value(Some(s0), 1050.0, CapitalMethod::Full));
        assert_eq!(
            (f.total_capital, f.maximum, f.acc_pnl),
            (1050.0, 1050.0, 50.0)
        );
        let h = accepted(apply_account_value(Some(s0), 1050.0, CapitalMethod::Half));
        assert_eq!(
            h.total_capital, 1000.0,
            "half: gains above the maximum don't count"
        );
        assert_eq!(h.maximum, 1050.0);
        let h2 = accepted(apply_account_value(Some(h), 1000.0, CapitalMethod::Half));
        assert_eq!(h2.total_capital, 950.0, "half: losses reduce");
        let x = accepted(apply_account_value(Some(s0), 1050.0, CapitalMethod::Fixed));
        assert_eq!((x.total_capital, x.acc_pnl), (1000.0, 50.0));
    }

    #[test]
    fn a_jump_above_ten_percent_waits() {
        let s0 = accepted(apply_account_value(None, 1000.0, CapitalMethod::Full));
        assert!(matches!(
            apply_account_value(Some(s0), 1100.0, CapitalMethod::Full),
            Update::Accepted(_)
        ));
        match apply_account_value(Some(s0), 850.0, CapitalMethod::Full) {
            Update::NeedsConfirmation { jump, candidate } => {
                assert!((jump - 0.15).abs() < 1e-12);
                assert_eq!(candidate.total_capital, 850.0);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn capital_floors_at_zero() {
        let s0 = CapitalState {
            account_value: Some(1000.0),
            total_capital: 50.0,
            maximum: 1000.0,
            acc_pnl: 0.0,
        };
        let s = accepted(apply_account_value(Some(s0), 920.0, CapitalMethod::Full));
        assert_eq!(s.total_capital, 0.0);
    }

    #[test]
    fn allocation_is_proportional() {
        let a = allocate(1000.0, &[("a".into(), 1.0), ("b".into(), 3.0)]);
        assert_eq!(a, vec![("a".into(), 250.0), ("b".into(), 750.0)]);
    }

    #[test]
    fn stored_update_confirm_and_strategy_capital() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = systrade_store::Store::open(dir.path())
            .open_state_for_writing()
            .unwrap();
        let c = &mut db;
        assert_eq!(strategy_capital(c, "a").unwrap(), None);
        update(c, 1_000_000.0, CapitalMethod::Full).unwrap();
        assert_eq!(strategy_capital(c, "a").unwrap(), Some(1_000_000.0));
        set_weight(c, "a", 1.0).unwrap();
        set_weight(c, "b", 1.0).unwrap();
        assert_eq!(strategy_capital(c, "a").unwrap(), Some(500_000.0));
        assert!(matches!(
            update(c, 1_200_000.0, CapitalMethod::Full).unwrap(),
            Update::NeedsConfirmation { .. }
        ));
        assert_eq!(
            c.current_capital().unwrap().unwrap().total_capital,
            1_000_000.0
        );
        let s = confirm(c).unwrap();
        assert_eq!(s.total_capital, 1_200_000.0);
        assert_eq!(strategy_capital(c, "b").unwrap(), Some(600_000.0));
        assert_eq!(c.strategy_capitals().unwrap()[1].capital, 600_000.0);
        assert!(confirm(c).is_err(), "nothing left to confirm");
        set_manual(c, 400_000.0, "by hand").unwrap();
        assert_eq!(strategy_capital(c, "a").unwrap(), Some(200_000.0));
        assert_eq!(c.capital_history().unwrap().len(), 3);
        assert!(update(c, f64::NAN, CapitalMethod::Full).is_err());
        assert_eq!(c.capital_history().unwrap().len(), 3, "nothing stored");
    }
}
