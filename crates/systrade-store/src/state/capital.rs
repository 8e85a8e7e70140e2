//! Tables `capital_history` and `strategy_capital` (migration 5; run-step capital, read by
//! size-positions' callers and report): one row per capital update (accepted, pending
//! confirmation, or rejected) and the allocation of total capital to strategies. The formulas are
//! in `systrade_ops::capital`.

use super::{StateReader, StateTx, UnknownValue, now_text};
use crate::error::Result;
use rusqlite::params;

/// The capital state after an update.
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

/// Where an update stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapitalStatus {
    Accepted,
    /// Waiting for confirmation (the account value moved too much).
    Pending,
    Rejected,
}

impl CapitalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Pending => "pending",
            Self::Rejected => "rejected",
        }
    }
}

impl std::str::FromStr for CapitalStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "accepted" => Ok(Self::Accepted),
            "pending" => Ok(Self::Pending),
            "rejected" => Ok(Self::Rejected),
            _ => Err(UnknownValue {
                what: "capital status",
                value: s.to_string(),
                expected: "accepted, pending, rejected",
            }),
        }
    }
}

/// One row of `capital_history`.
#[derive(Debug, Clone, PartialEq)]
pub struct CapitalRecord {
    pub at: String,
    pub state: CapitalState,
    /// `full`, `half`, `fixed` (compounding of an account-value update) or `manual`.
    pub method: String,
    pub status: CapitalStatus,
    pub note: String,
}

/// One row of `strategy_capital`.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyCapital {
    pub strategy: String,
    pub weight: f64,
    pub capital: f64,
}

fn state(r: &rusqlite::Row<'_>, from: usize) -> rusqlite::Result<CapitalState> {
    Ok(CapitalState {
        account_value: r.get(from)?,
        total_capital: r.get(from + 1)?,
        maximum: r.get(from + 2)?,
        acc_pnl: r.get(from + 3)?,
    })
}

impl StateReader {
    /// The state after the latest accepted update.
    pub fn current_capital(&self) -> Result<Option<CapitalState>> {
        self.row(
            "SELECT account_value, total_capital, maximum, acc_pnl FROM capital_history
             WHERE status = 'accepted' ORDER BY id DESC LIMIT 1",
            [],
            |r| state(r, 0),
        )
    }

    /// The latest pending update newer than the latest accepted one: its id and candidate state.
    pub fn pending_capital_update(&self) -> Result<Option<(i64, CapitalState)>> {
        self.row(
            "SELECT id, account_value, total_capital, maximum, acc_pnl FROM capital_history
             WHERE status = 'pending' AND id > COALESCE(
               (SELECT MAX(id) FROM capital_history WHERE status = 'accepted'), 0)
             ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, state(r, 1)?)),
        )
    }

    /// How many updates wait for confirmation.
    pub fn pending_capital_updates(&self) -> Result<i64> {
        self.value(
            "SELECT COUNT(*) FROM capital_history WHERE status = 'pending'",
            [],
        )
    }

    /// The whole capital history, oldest first.
    pub fn capital_history(&self) -> Result<Vec<CapitalRecord>> {
        let raw = self.rows(
            "SELECT at, account_value, total_capital, maximum, acc_pnl, method, status, note
             FROM capital_history ORDER BY id",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    state(r, 1)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            },
        )?;
        raw.into_iter()
            .map(|(at, state, method, status, note)| {
                Ok(CapitalRecord {
                    at,
                    state,
                    method,
                    status: self.parse("capital_history", "status", &status)?,
                    note,
                })
            })
            .collect()
    }

    /// Every strategy with a weight, by strategy name.
    pub fn strategy_capitals(&self) -> Result<Vec<StrategyCapital>> {
        self.rows(
            "SELECT strategy, weight, capital FROM strategy_capital ORDER BY strategy",
            [],
            |r| {
                Ok(StrategyCapital {
                    strategy: r.get(0)?,
                    weight: r.get(1)?,
                    capital: r.get(2)?,
                })
            },
        )
    }
}

impl StateTx<'_> {
    /// Adds an update to the history, stamped now; returns its id.
    pub fn insert_capital(
        &self,
        s: &CapitalState,
        method: &str,
        status: CapitalStatus,
        note: &str,
    ) -> Result<i64> {
        self.insert(
            "INSERT INTO capital_history (at, account_value, total_capital, maximum, acc_pnl, method,
             status, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                now_text(),
                s.account_value,
                s.total_capital,
                s.maximum,
                s.acc_pnl,
                method,
                status.as_str(),
                note
            ],
        )
    }

    /// Accepts pending update `id` (its note gets ` (confirmed)`).
    pub fn accept_capital_update(&self, id: i64) -> Result<()> {
        self.exec(
            "UPDATE capital_history SET status = 'accepted', note = note || ' (confirmed)' WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    /// Rejects every pending update; returns how many there were.
    pub fn reject_capital_updates(&self) -> Result<usize> {
        self.exec(
            "UPDATE capital_history SET status = 'rejected' WHERE status = 'pending'",
            [],
        )
    }

    /// Sets a strategy's weight (a new strategy starts with capital 0).
    pub fn set_strategy_weight(&self, strategy: &str, weight: f64) -> Result<()> {
        self.exec(
            "INSERT INTO strategy_capital (strategy, weight, capital, updated_at) VALUES (?1, ?2, 0, ?3)
             ON CONFLICT (strategy) DO UPDATE SET weight = ?2, updated_at = ?3",
            params![strategy, weight, now_text()],
        )?;
        Ok(())
    }

    /// Sets the capital allocated to a strategy with a weight.
    pub fn set_strategy_capital(&self, strategy: &str, capital: f64) -> Result<()> {
        self.exec(
            "UPDATE strategy_capital SET capital = ?2, updated_at = ?3 WHERE strategy = ?1",
            params![strategy, capital, now_text()],
        )?;
        Ok(())
    }
}
