//! The risk controls of place-orders (migration 4; spec §4.6–4.7): tables `overrides`,
//! `position_limits`, `trade_limits` and `locks`. In the control tables an empty `strategy` means
//! every strategy (an instrument-wide control) and, for overrides, an empty `instrument` every
//! instrument (a strategy-wide override). Table `config_overrides` (migration 9) holds the
//! instrument-wide overrides the system config implies, as place-orders last applied them.

use super::{StateReader, StateTx, display};
use crate::error::Result;
use rusqlite::params;
use serde::Serialize;
use std::collections::BTreeMap;
use systrade_model::{ConfiguredOverride, InstrumentCode, Override};

/// An override row; `''` strategy or instrument = every strategy / every instrument.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverrideRow {
    pub strategy: String,
    pub instrument: String,
    /// The override as `place-orders overrides set` accepts it (`0.5`, `close`, `reduce-only`, …).
    pub value: String,
}

/// A position limit row; `''` strategy = the instrument-wide limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PositionLimitRow {
    pub strategy: String,
    #[serde(serialize_with = "display")]
    pub instrument: InstrumentCode,
    pub max_position: i64,
}

/// A trade limit with its counter; `''` strategy = instrument-wide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TradeLimitRow {
    pub strategy: String,
    #[serde(serialize_with = "display")]
    pub instrument: InstrumentCode,
    pub period_days: i64,
    pub max_trades: i64,
    /// Contracts traded since `last_reset`.
    pub traded: i64,
    /// `YYYY-MM-DD`.
    pub last_reset: String,
}

/// Who locked an instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LockSource {
    /// A person (`place-orders locks add`); cleared by hand.
    Manual,
    /// A position break found by reconciliation; cleared when the break is gone.
    Reconciliation,
    /// An order or position beyond place-orders' sanity bound (or arithmetic that would overflow);
    /// cleared by hand once the inputs are fixed.
    Sanity,
}

impl LockSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Reconciliation => "reconciliation",
            Self::Sanity => "sanity",
        }
    }
}

/// A text that is not a [`LockSource`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a lock source (manual, reconciliation, sanity)")]
pub struct UnknownLockSource;

impl std::str::FromStr for LockSource {
    type Err = UnknownLockSource;
    fn from_str(s: &str) -> std::result::Result<Self, UnknownLockSource> {
        match s {
            "manual" => Ok(Self::Manual),
            "reconciliation" => Ok(Self::Reconciliation),
            "sanity" => Ok(Self::Sanity),
            _ => Err(UnknownLockSource),
        }
    }
}

/// A lock on an instrument: no new orders until it is cleared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lock {
    #[serde(serialize_with = "display")]
    pub instrument: InstrumentCode,
    pub source: LockSource,
    pub reason: String,
    pub locked_at: String,
}

fn override_from(kind: &str, multiplier: Option<f64>) -> Override {
    match kind {
        "reduce_only" => Override::ReduceOnly,
        "no_trading" => Override::NoTrading,
        _ => Override::Multiplier(multiplier.unwrap_or(1.0)),
    }
}

fn trade_limit_columns(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(String, String, i64, i64, i64, String)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

impl StateReader {
    /// Every override, by strategy and instrument.
    pub fn overrides(&self) -> Result<Vec<OverrideRow>> {
        self.rows(
            "SELECT strategy, instrument, kind, multiplier FROM overrides ORDER BY 1, 2",
            [],
            |r| {
                let kind: String = r.get(2)?;
                Ok(OverrideRow {
                    strategy: r.get(0)?,
                    instrument: r.get(1)?,
                    value: override_from(&kind, r.get(3)?).to_string(),
                })
            },
        )
    }

    /// The overrides applying to a strategy and instrument: strategy-wide, instrument-wide and the
    /// pair's own.
    pub fn overrides_for(
        &self,
        strategy: &str,
        instrument: &InstrumentCode,
    ) -> Result<Vec<Override>> {
        self.rows(
            "SELECT kind, multiplier FROM overrides
             WHERE (strategy = ?1 AND instrument = '') OR (strategy = '' AND instrument = ?2)
                OR (strategy = ?1 AND instrument = ?2)",
            [strategy, instrument.as_str()],
            |r| {
                let kind: String = r.get(0)?;
                Ok(override_from(&kind, r.get(1)?))
            },
        )
    }

    /// The overrides from the system config as place-orders last applied them, by instrument.
    pub fn config_overrides(&self) -> Result<Vec<ConfiguredOverride>> {
        let raw = self.rows(
            "SELECT instrument, kind, reason FROM config_overrides ORDER BY 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )?;
        raw.into_iter()
            .map(|(i, kind, reason)| {
                Ok(ConfiguredOverride {
                    instrument: self.instrument("config_overrides", &i)?,
                    value: override_from(&kind, None),
                    reason,
                })
            })
            .collect()
    }

    /// The config override of one instrument, if the config implies one.
    pub fn config_override_for(
        &self,
        instrument: &InstrumentCode,
    ) -> Result<Option<ConfiguredOverride>> {
        self.row(
            "SELECT kind, reason FROM config_overrides WHERE instrument = ?1",
            [instrument.as_str()],
            |r| {
                let kind: String = r.get(0)?;
                Ok(ConfiguredOverride {
                    instrument: instrument.clone(),
                    value: override_from(&kind, None),
                    reason: r.get(1)?,
                })
            },
        )
    }

    /// The position limit of `strategy` (`''`: the instrument-wide one) in `instrument`.
    pub fn position_limit(
        &self,
        strategy: &str,
        instrument: &InstrumentCode,
    ) -> Result<Option<i64>> {
        self.row(
            "SELECT max_position FROM position_limits WHERE strategy = ?1 AND instrument = ?2",
            [strategy, instrument.as_str()],
            |r| r.get(0),
        )
    }

    /// The limit that applies to each instrument's position of `strategy`: the smaller of its own
    /// limit and the instrument-wide one.
    pub fn position_limits_of(&self, strategy: &str) -> Result<BTreeMap<InstrumentCode, i64>> {
        let raw = self.rows(
            "SELECT instrument, min(max_position) FROM position_limits
             WHERE strategy = ?1 OR strategy = '' GROUP BY instrument",
            [strategy],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )?;
        raw.into_iter()
            .map(|(i, max)| Ok((self.instrument("position_limits", &i)?, max)))
            .collect()
    }

    /// Every position limit, by instrument and strategy.
    pub fn position_limits(&self) -> Result<Vec<PositionLimitRow>> {
        let raw = self.rows(
            "SELECT strategy, instrument, max_position FROM position_limits ORDER BY 2, 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )?;
        raw.into_iter()
            .map(|(strategy, i, max_position)| {
                Ok(PositionLimitRow {
                    strategy,
                    instrument: self.instrument("position_limits", &i)?,
                    max_position,
                })
            })
            .collect()
    }

    fn trade_limit_rows(
        &self,
        raw: Vec<(String, String, i64, i64, i64, String)>,
    ) -> Result<Vec<TradeLimitRow>> {
        raw.into_iter()
            .map(
                |(strategy, i, period_days, max_trades, traded, last_reset)| {
                    Ok(TradeLimitRow {
                        strategy,
                        instrument: self.instrument("trade_limits", &i)?,
                        period_days,
                        max_trades,
                        traded,
                        last_reset,
                    })
                },
            )
            .collect()
    }

    /// Every trade limit, by instrument, strategy and period.
    pub fn trade_limits(&self) -> Result<Vec<TradeLimitRow>> {
        let raw = self.rows(
            "SELECT strategy, instrument, period_days, max_trades, traded, last_reset
             FROM trade_limits ORDER BY 2, 1, 3",
            [],
            trade_limit_columns,
        )?;
        self.trade_limit_rows(raw)
    }

    /// The trade limits applying to a strategy's trades in an instrument (its own and the
    /// instrument-wide ones).
    pub fn trade_limits_for(
        &self,
        strategy: &str,
        instrument: &InstrumentCode,
    ) -> Result<Vec<TradeLimitRow>> {
        let raw = self.rows(
            "SELECT strategy, instrument, period_days, max_trades, traded, last_reset
             FROM trade_limits WHERE instrument = ?2 AND (strategy = '' OR strategy = ?1)",
            [strategy, instrument.as_str()],
            trade_limit_columns,
        )?;
        self.trade_limit_rows(raw)
    }

    /// Every lock, by instrument.
    pub fn locks(&self) -> Result<Vec<Lock>> {
        let raw = self.rows(
            "SELECT instrument, source, reason, locked_at FROM locks ORDER BY 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )?;
        raw.into_iter()
            .map(|(i, source, reason, locked_at)| {
                Ok(Lock {
                    instrument: self.instrument("locks", &i)?,
                    source: self.parse("locks", "source", &source)?,
                    reason,
                    locked_at,
                })
            })
            .collect()
    }

    /// Why `instrument` is locked (`source: reason`), if it is.
    pub fn lock_reason(&self, instrument: &InstrumentCode) -> Result<Option<String>> {
        self.row(
            "SELECT source || ': ' || reason FROM locks WHERE instrument = ?1",
            [instrument.as_str()],
            |r| r.get(0),
        )
    }
}

impl StateTx<'_> {
    /// Sets the override of a scope (`''` = every strategy / every instrument).
    pub fn set_override(
        &self,
        strategy: &str,
        instrument: &str,
        value: Override,
        at: &str,
    ) -> Result<()> {
        let (kind, m) = match value {
            Override::Multiplier(f) => ("multiplier", Some(f)),
            Override::ReduceOnly => ("reduce_only", None),
            Override::NoTrading => ("no_trading", None),
        };
        self.exec(
            "INSERT INTO overrides (strategy, instrument, kind, multiplier, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (strategy, instrument) DO UPDATE
             SET kind = excluded.kind, multiplier = excluded.multiplier, updated_at = excluded.updated_at",
            params![strategy, instrument, kind, m, at],
        )?;
        Ok(())
    }

    /// Removes the override of a scope; returns how many rows went.
    pub fn clear_override(&self, strategy: &str, instrument: &str) -> Result<usize> {
        self.exec(
            "DELETE FROM overrides WHERE strategy = ?1 AND instrument = ?2",
            [strategy, instrument],
        )
    }

    /// Records the override the system config implies for an instrument (reduce-only or no
    /// trading; a multiplier is not one the config can imply and is refused).
    pub fn set_config_override(&self, o: &ConfiguredOverride, at: &str) -> Result<()> {
        let kind = match o.value {
            Override::ReduceOnly => "reduce_only",
            Override::NoTrading => "no_trading",
            Override::Multiplier(_) => {
                return Err(crate::StoreError::Column {
                    path: self.path().to_path_buf(),
                    table: "config_overrides",
                    column: "kind",
                    problem: format!("{}: {} is not a config override", o.instrument, o.value),
                });
            }
        };
        self.exec(
            "INSERT INTO config_overrides (instrument, kind, reason, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (instrument) DO UPDATE
             SET kind = excluded.kind, reason = excluded.reason, updated_at = excluded.updated_at",
            params![o.instrument.as_str(), kind, o.reason, at],
        )?;
        Ok(())
    }

    /// Removes the config override of an instrument; returns whether there was one.
    pub fn clear_config_override(&self, instrument: &InstrumentCode) -> Result<bool> {
        Ok(self.exec(
            "DELETE FROM config_overrides WHERE instrument = ?1",
            [instrument.as_str()],
        )? > 0)
    }

    /// Sets the position limit of `strategy` (`''`: instrument-wide) in `instrument`.
    pub fn set_position_limit(
        &self,
        strategy: &str,
        instrument: &InstrumentCode,
        max: i64,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO position_limits (strategy, instrument, max_position, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (strategy, instrument) DO UPDATE
             SET max_position = excluded.max_position, updated_at = excluded.updated_at",
            params![strategy, instrument.as_str(), max, at],
        )?;
        Ok(())
    }

    /// Removes the position limit of a scope; returns how many rows went.
    pub fn clear_position_limit(
        &self,
        strategy: &str,
        instrument: &InstrumentCode,
    ) -> Result<usize> {
        self.exec(
            "DELETE FROM position_limits WHERE strategy = ?1 AND instrument = ?2",
            [strategy, instrument.as_str()],
        )
    }

    /// Sets a trade limit (a new one starts counting on `today`, `YYYY-MM-DD`; an existing one
    /// keeps its counter).
    pub fn set_trade_limit(
        &self,
        strategy: &str,
        instrument: &InstrumentCode,
        period_days: i64,
        max_trades: i64,
        today: &str,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO trade_limits (strategy, instrument, period_days, max_trades, traded, last_reset, updated_at)
             VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)
             ON CONFLICT (strategy, instrument, period_days) DO UPDATE
             SET max_trades = excluded.max_trades, updated_at = excluded.updated_at",
            params![strategy, instrument.as_str(), period_days, max_trades, today, at],
        )?;
        Ok(())
    }

    /// Sets the counter of one trade limit.
    pub fn set_trade_limit_count(
        &self,
        limit: &TradeLimitRow,
        traded: i64,
        last_reset: &str,
    ) -> Result<()> {
        self.exec(
            "UPDATE trade_limits SET traded = ?1, last_reset = ?2
             WHERE strategy = ?3 AND instrument = ?4 AND period_days = ?5",
            params![
                traded,
                last_reset,
                limit.strategy,
                limit.instrument.as_str(),
                limit.period_days
            ],
        )?;
        Ok(())
    }

    /// Removes every trade limit of a scope; returns how many rows went.
    pub fn clear_trade_limits(&self, strategy: &str, instrument: &InstrumentCode) -> Result<usize> {
        self.exec(
            "DELETE FROM trade_limits WHERE strategy = ?1 AND instrument = ?2",
            [strategy, instrument.as_str()],
        )
    }

    /// Locks an instrument (keeping an existing lock as it is); returns whether a new lock was made.
    pub fn add_lock(
        &self,
        instrument: &InstrumentCode,
        source: LockSource,
        reason: &str,
        at: &str,
    ) -> Result<bool> {
        Ok(self.exec(
            "INSERT OR IGNORE INTO locks (instrument, source, reason, locked_at) VALUES (?1, ?2, ?3, ?4)",
            params![instrument.as_str(), source.as_str(), reason, at],
        )? > 0)
    }

    /// Replaces the reason of an instrument's lock from `source` (e.g. a position break that
    /// changed); returns whether it changed.
    pub fn update_lock_reason(
        &self,
        instrument: &InstrumentCode,
        source: LockSource,
        reason: &str,
    ) -> Result<bool> {
        Ok(self.exec(
            "UPDATE locks SET reason = ?3 WHERE instrument = ?1 AND source = ?2 AND reason <> ?3",
            params![instrument.as_str(), source.as_str(), reason],
        )? > 0)
    }

    /// Removes the lock of an instrument (only one from `source` when given); returns whether
    /// there was one.
    pub fn remove_lock(
        &self,
        instrument: &InstrumentCode,
        source: Option<LockSource>,
    ) -> Result<bool> {
        let n = match source {
            Some(s) => self.exec(
                "DELETE FROM locks WHERE instrument = ?1 AND source = ?2",
                [instrument.as_str(), s.as_str()],
            )?,
            None => self.exec(
                "DELETE FROM locks WHERE instrument = ?1",
                [instrument.as_str()],
            )?,
        };
        Ok(n > 0)
    }
}
