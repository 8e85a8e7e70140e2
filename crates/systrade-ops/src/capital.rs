//! Total and per-strategy capital (spec §4.3 items 5-6): `capital_history` holds one row per
//! update (accepted, pending confirmation, or rejected), `strategy_capital` the allocation that
//! size-positions reads (`SELECT capital FROM strategy_capital WHERE strategy = ?`, or
//! [`strategy_capital`]).

use anyhow::{Context, bail};
use rusqlite::{Connection, OptionalExtension, params};

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

/// The capital state after the latest accepted update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CapitalState {
    /// Broker account value the state was computed from (`None` after a manual set without one).
    pub account_value: Option<f64>,
    pub total_capital: f64,
    /// The high-water mark used by the half method.
    pub maximum: f64,
    /// Accumulated P&L since the first update.
    pub acc_pnl: f64,
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

/// The latest accepted capital state.
pub fn current(conn: &Connection) -> anyhow::Result<Option<CapitalState>> {
    Ok(conn
        .query_row(
            "SELECT account_value, total_capital, maximum, acc_pnl FROM capital_history
             WHERE status = 'accepted' ORDER BY id DESC LIMIT 1",
            [],
            |r| {
                Ok(CapitalState {
                    account_value: r.get(0)?,
                    total_capital: r.get(1)?,
                    maximum: r.get(2)?,
                    acc_pnl: r.get(3)?,
                })
            },
        )
        .optional()?)
}

fn insert(
    conn: &Connection,
    s: &CapitalState,
    method: &str,
    status: &str,
    note: &str,
) -> anyhow::Result<i64> {
    conn.execute(
        "INSERT INTO capital_history (at, account_value, total_capital, maximum, acc_pnl, method,
         status, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            crate::now_text(),
            s.account_value,
            s.total_capital,
            s.maximum,
            s.acc_pnl,
            method,
            status,
            note
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Applies and stores a broker account value; re-allocates strategy capital when accepted.
pub fn update(
    conn: &Connection,
    account_value: f64,
    method: CapitalMethod,
) -> anyhow::Result<Update> {
    if !account_value.is_finite() || account_value < 0.0 {
        bail!("account value must be a non-negative number, got {account_value}");
    }
    let result = apply_account_value(current(conn)?, account_value, method);
    match &result {
        Update::Accepted(s) => {
            insert(conn, s, method.as_str(), "accepted", "")?;
            reallocate(conn, s.total_capital)?;
        }
        Update::NeedsConfirmation { jump, candidate } => {
            insert(
                conn,
                candidate,
                method.as_str(),
                "pending",
                &format!(
                    "account value moved {:.1}%; confirm with `run-step capital confirm`",
                    jump * 100.0
                ),
            )?;
        }
    }
    Ok(result)
}

/// Accepts the latest pending update (a jump of more than 10%); returns its state.
pub fn confirm(conn: &Connection) -> anyhow::Result<CapitalState> {
    let (id, s): (i64, CapitalState) = conn
        .query_row(
            "SELECT id, account_value, total_capital, maximum, acc_pnl FROM capital_history
             WHERE status = 'pending' AND id > COALESCE(
               (SELECT MAX(id) FROM capital_history WHERE status = 'accepted'), 0)
             ORDER BY id DESC LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    CapitalState {
                        account_value: r.get(1)?,
                        total_capital: r.get(2)?,
                        maximum: r.get(3)?,
                        acc_pnl: r.get(4)?,
                    },
                ))
            },
        )
        .optional()?
        .context("no capital update is waiting for confirmation")?;
    conn.execute(
        "UPDATE capital_history SET status = 'accepted', note = note || ' (confirmed)' WHERE id = ?1",
        [id],
    )?;
    reallocate(conn, s.total_capital)?;
    Ok(s)
}

/// Rejects the pending update, if any; returns whether there was one.
pub fn reject(conn: &Connection) -> anyhow::Result<bool> {
    let n = conn.execute(
        "UPDATE capital_history SET status = 'rejected' WHERE status = 'pending'",
        [],
    )?;
    Ok(n > 0)
}

/// Sets total capital by hand (maximum becomes the new value; the last account value is kept as
/// the P&L reference).
pub fn set_manual(conn: &Connection, total: f64, note: &str) -> anyhow::Result<CapitalState> {
    if !total.is_finite() || total < 0.0 {
        bail!("capital must be a non-negative number, got {total}");
    }
    let prev = current(conn)?;
    let s = CapitalState {
        account_value: prev.and_then(|p| p.account_value),
        total_capital: total,
        maximum: total,
        acc_pnl: prev.map_or(0.0, |p| p.acc_pnl),
    };
    insert(conn, &s, "manual", "accepted", note)?;
    reallocate(conn, total)?;
    Ok(s)
}

/// Sets (or with weight 0 keeps at zero) a strategy's weight and re-allocates.
pub fn set_weight(conn: &Connection, strategy: &str, weight: f64) -> anyhow::Result<()> {
    if !weight.is_finite() || weight < 0.0 {
        bail!("weight must be a non-negative number, got {weight}");
    }
    conn.execute(
        "INSERT INTO strategy_capital (strategy, weight, capital, updated_at) VALUES (?1, ?2, 0, ?3)
         ON CONFLICT (strategy) DO UPDATE SET weight = ?2, updated_at = ?3",
        params![strategy, weight, crate::now_text()],
    )?;
    if let Some(s) = current(conn)? {
        reallocate(conn, s.total_capital)?;
    }
    Ok(())
}

fn reallocate(conn: &Connection, total: f64) -> anyhow::Result<()> {
    let weights = weights(conn)?;
    let now = crate::now_text();
    for (s, c) in allocate(total, &weights) {
        conn.execute(
            "UPDATE strategy_capital SET capital = ?2, updated_at = ?3 WHERE strategy = ?1",
            params![s, c, now],
        )?;
    }
    Ok(())
}

/// Strategy weights, by strategy name.
pub fn weights(conn: &Connection) -> anyhow::Result<Vec<(String, f64)>> {
    let mut st = conn.prepare("SELECT strategy, weight FROM strategy_capital ORDER BY strategy")?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Capital of every strategy with a weight: (strategy, weight, capital).
pub fn strategies(conn: &Connection) -> anyhow::Result<Vec<(String, f64, f64)>> {
    let mut st =
        conn.prepare("SELECT strategy, weight, capital FROM strategy_capital ORDER BY strategy")?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The capital size-positions should use for `strategy`: its allocation if strategies have
/// weights; the whole total capital when no strategy has a weight (one strategy); `None` when no
/// capital has been set (callers fall back to the config's `notional_trading_capital`).
pub fn strategy_capital(conn: &Connection, strategy: &str) -> anyhow::Result<Option<f64>> {
    let has_table: i64 = conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'strategy_capital'",
        [],
        |r| r.get(0),
    )?;
    if has_table == 0 {
        return Ok(None);
    }
    let Some(total) = current(conn)? else {
        return Ok(None);
    };
    let ws = weights(conn)?;
    if ws.is_empty() {
        return Ok(Some(total.total_capital));
    }
    Ok(allocate(total.total_capital, &ws)
        .into_iter()
        .find(|(s, _)| s == strategy)
        .map(|(_, c)| c))
}

/// Capital history rows, oldest first: (at, account_value, total, maximum, acc_pnl, method,
/// status, note).
pub type HistoryRow = (String, Option<f64>, f64, f64, f64, String, String, String);

/// The whole capital history, oldest first.
pub fn history(conn: &Connection) -> anyhow::Result<Vec<HistoryRow>> {
    let mut st = conn.prepare(
        "SELECT at, account_value, total_capital, maximum, acc_pnl, method, status, note
         FROM capital_history ORDER BY id",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
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
        let db = systrade_store::StateDb::open(&dir.path().join("s.sqlite")).unwrap();
        let c = db.connection();
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
        assert_eq!(current(c).unwrap().unwrap().total_capital, 1_000_000.0);
        let s = confirm(c).unwrap();
        assert_eq!(s.total_capital, 1_200_000.0);
        assert_eq!(strategy_capital(c, "b").unwrap(), Some(600_000.0));
        assert!(confirm(c).is_err(), "nothing left to confirm");
        set_manual(c, 400_000.0, "by hand").unwrap();
        assert_eq!(strategy_capital(c, "a").unwrap(), Some(200_000.0));
        assert_eq!(history(c).unwrap().len(), 3);
    }
}
