//! The `state.sqlite` tables of place-orders (migrations 3 and 4, defined in
//! `systrade-store/src/state.rs`): reads and writes over a `rusqlite::Connection` (a
//! `Transaction` derefs to one, so callers choose the transaction boundaries).

use crate::logic::Override;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use systrade_roll::RollState;

pub type Result<T> = rusqlite::Result<T>;

/// The current UTC time as stored (`YYYY-MM-DDTHH:MM:SS.fffZ`).
pub fn now_text() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The latest optimal position of one strategy and instrument (written by size-positions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptimalPosition {
    pub strategy: String,
    pub instrument: String,
    pub timestamp: String,
    pub lower: f64,
    pub upper: f64,
    pub reference_price: f64,
    pub reference_contract: String,
}

/// The latest optimal position per strategy and instrument (latest timestamp, then highest id),
/// sorted by strategy and instrument.
pub fn latest_optimal_positions(conn: &Connection) -> Result<Vec<OptimalPosition>> {
    let mut stmt = conn.prepare(
        "SELECT o.strategy, o.instrument, o.timestamp, o.lower, o.upper, o.reference_price,
                o.reference_contract
         FROM optimal_positions o
         WHERE o.id = (SELECT o2.id FROM optimal_positions o2
                       WHERE o2.strategy = o.strategy AND o2.instrument = o.instrument
                       ORDER BY o2.timestamp DESC, o2.id DESC LIMIT 1)
         ORDER BY o.strategy, o.instrument",
    )?;
    stmt.query_map([], |r| {
        Ok(OptimalPosition {
            strategy: r.get(0)?,
            instrument: r.get(1)?,
            timestamp: r.get(2)?,
            lower: r.get(3)?,
            upper: r.get(4)?,
            reference_price: r.get(5)?,
            reference_contract: r.get(6)?,
        })
    })?
    .collect()
}

/// Writes an optimal position (what size-positions does; used by tests and seeding).
pub fn insert_optimal_position(conn: &Connection, o: &OptimalPosition) -> Result<()> {
    conn.execute(
        "INSERT INTO optimal_positions
         (strategy, instrument, timestamp, lower, upper, reference_price, reference_contract)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            o.strategy,
            o.instrument,
            o.timestamp,
            o.lower,
            o.upper,
            o.reference_price,
            o.reference_contract
        ],
    )
    .map(|_| ())
}

pub fn strategy_position(conn: &Connection, strategy: &str, instrument: &str) -> Result<i64> {
    conn.query_row(
        "SELECT position FROM strategy_positions WHERE strategy = ?1 AND instrument = ?2",
        [strategy, instrument],
        |r| r.get(0),
    )
    .optional()
    .map(Option::unwrap_or_default)
}

/// The instrument's position summed over strategies.
pub fn instrument_position(conn: &Connection, instrument: &str) -> Result<i64> {
    conn.query_row(
        "SELECT COALESCE(SUM(position), 0) FROM strategy_positions WHERE instrument = ?1",
        [instrument],
        |r| r.get(0),
    )
}

pub fn contract_position(conn: &Connection, instrument: &str, contract: &str) -> Result<i64> {
    conn.query_row(
        "SELECT position FROM contract_positions WHERE instrument = ?1 AND contract = ?2",
        [instrument, contract],
        |r| r.get(0),
    )
    .optional()
    .map(Option::unwrap_or_default)
}

/// Adds `delta` to a strategy position.
pub fn add_strategy_position(
    conn: &Connection,
    strategy: &str,
    instrument: &str,
    delta: i64,
    at: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO strategy_positions (strategy, instrument, position, updated_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (strategy, instrument) DO UPDATE
         SET position = position + excluded.position, updated_at = excluded.updated_at",
        params![strategy, instrument, delta, at],
    )
    .map(|_| ())
}

/// Adds `delta` to a contract position.
pub fn add_contract_position(
    conn: &Connection,
    instrument: &str,
    contract: &str,
    delta: i64,
    at: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO contract_positions (instrument, contract, position, updated_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (instrument, contract) DO UPDATE
         SET position = position + excluded.position, updated_at = excluded.updated_at",
        params![instrument, contract, delta, at],
    )
    .map(|_| ())
}

/// A row of `strategy_positions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StrategyPosition {
    pub strategy: String,
    pub instrument: String,
    pub position: i64,
}

/// A row of `contract_positions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractPosition {
    pub instrument: String,
    pub contract: String,
    pub position: i64,
}

pub fn strategy_positions(conn: &Connection) -> Result<Vec<StrategyPosition>> {
    let mut stmt = conn
        .prepare("SELECT strategy, instrument, position FROM strategy_positions ORDER BY 1, 2")?;
    stmt.query_map([], |r| {
        Ok(StrategyPosition {
            strategy: r.get(0)?,
            instrument: r.get(1)?,
            position: r.get(2)?,
        })
    })?
    .collect()
}

pub fn contract_positions(conn: &Connection) -> Result<Vec<ContractPosition>> {
    let mut stmt = conn
        .prepare("SELECT instrument, contract, position FROM contract_positions ORDER BY 1, 2")?;
    stmt.query_map([], |r| {
        Ok(ContractPosition {
            instrument: r.get(0)?,
            contract: r.get(1)?,
            position: r.get(2)?,
        })
    })?
    .collect()
}

// ---- controls -------------------------------------------------------------------------------

/// An override row; `''` strategy or instrument = every strategy / every instrument.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverrideRow {
    pub strategy: String,
    pub instrument: String,
    pub value: String,
}

fn override_from(kind: &str, multiplier: Option<f64>) -> Override {
    match kind {
        "reduce_only" => Override::ReduceOnly,
        "no_trading" => Override::NoTrading,
        _ => Override::Multiplier(multiplier.unwrap_or(1.0)),
    }
}

pub fn set_override(
    conn: &Connection,
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
    conn.execute(
        "INSERT INTO overrides (strategy, instrument, kind, multiplier, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (strategy, instrument) DO UPDATE
         SET kind = excluded.kind, multiplier = excluded.multiplier, updated_at = excluded.updated_at",
        params![strategy, instrument, kind, m, at],
    )
    .map(|_| ())
}

pub fn clear_override(conn: &Connection, strategy: &str, instrument: &str) -> Result<usize> {
    conn.execute(
        "DELETE FROM overrides WHERE strategy = ?1 AND instrument = ?2",
        [strategy, instrument],
    )
}

pub fn list_overrides(conn: &Connection) -> Result<Vec<OverrideRow>> {
    let mut stmt =
        conn.prepare("SELECT strategy, instrument, kind, multiplier FROM overrides ORDER BY 1, 2")?;
    stmt.query_map([], |r| {
        let kind: String = r.get(2)?;
        Ok(OverrideRow {
            strategy: r.get(0)?,
            instrument: r.get(1)?,
            value: override_from(&kind, r.get(3)?).to_string(),
        })
    })?
    .collect()
}

/// The overrides applying to a strategy and instrument: strategy-wide, instrument-wide and the pair.
pub fn overrides_for(conn: &Connection, strategy: &str, instrument: &str) -> Result<Vec<Override>> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, multiplier FROM overrides
         WHERE (strategy = ?1 AND instrument = '') OR (strategy = '' AND instrument = ?2)
            OR (strategy = ?1 AND instrument = ?2)",
    )?;
    stmt.query_map([strategy, instrument], |r| {
        let kind: String = r.get(0)?;
        Ok(override_from(&kind, r.get(1)?))
    })?
    .collect()
}

/// A position limit row; `''` strategy = the instrument-wide limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PositionLimitRow {
    pub strategy: String,
    pub instrument: String,
    pub max_position: i64,
}

pub fn set_position_limit(
    conn: &Connection,
    strategy: &str,
    instrument: &str,
    max: i64,
    at: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO position_limits (strategy, instrument, max_position, updated_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (strategy, instrument) DO UPDATE
         SET max_position = excluded.max_position, updated_at = excluded.updated_at",
        params![strategy, instrument, max, at],
    )
    .map(|_| ())
}

pub fn position_limit(conn: &Connection, strategy: &str, instrument: &str) -> Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT max_position FROM position_limits WHERE strategy = ?1 AND instrument = ?2",
    )?
    .query_row([strategy, instrument], |r| r.get(0))
    .optional()
}

pub fn list_position_limits(conn: &Connection) -> Result<Vec<PositionLimitRow>> {
    let mut stmt = conn
        .prepare("SELECT strategy, instrument, max_position FROM position_limits ORDER BY 2, 1")?;
    stmt.query_map([], |r| {
        Ok(PositionLimitRow {
            strategy: r.get(0)?,
            instrument: r.get(1)?,
            max_position: r.get(2)?,
        })
    })?
    .collect()
}

/// A trade limit with its counter; `''` strategy = instrument-wide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TradeLimitRow {
    pub strategy: String,
    pub instrument: String,
    pub period_days: i64,
    pub max_trades: i64,
    pub traded: i64,
    pub last_reset: String,
}

pub fn set_trade_limit(
    conn: &Connection,
    strategy: &str,
    instrument: &str,
    period_days: i64,
    max_trades: i64,
    today: &str,
    at: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO trade_limits (strategy, instrument, period_days, max_trades, traded, last_reset, updated_at)
         VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)
         ON CONFLICT (strategy, instrument, period_days) DO UPDATE
         SET max_trades = excluded.max_trades, updated_at = excluded.updated_at",
        params![strategy, instrument, period_days, max_trades, today, at],
    )
    .map(|_| ())
}

pub fn list_trade_limits(conn: &Connection) -> Result<Vec<TradeLimitRow>> {
    let mut stmt = conn.prepare(
        "SELECT strategy, instrument, period_days, max_trades, traded, last_reset
         FROM trade_limits ORDER BY 2, 1, 3",
    )?;
    stmt.query_map([], |r| {
        Ok(TradeLimitRow {
            strategy: r.get(0)?,
            instrument: r.get(1)?,
            period_days: r.get(2)?,
            max_trades: r.get(3)?,
            traded: r.get(4)?,
            last_reset: r.get(5)?,
        })
    })?
    .collect()
}

/// The trade limits applying to a strategy's trades in an instrument (its own and instrument-wide).
pub fn trade_limits_for(
    conn: &Connection,
    strategy: &str,
    instrument: &str,
) -> Result<Vec<TradeLimitRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT strategy, instrument, period_days, max_trades, traded, last_reset
         FROM trade_limits WHERE instrument = ?2 AND (strategy = '' OR strategy = ?1)",
    )?;
    stmt.query_map([strategy, instrument], |r| {
        Ok(TradeLimitRow {
            strategy: r.get(0)?,
            instrument: r.get(1)?,
            period_days: r.get(2)?,
            max_trades: r.get(3)?,
            traded: r.get(4)?,
            last_reset: r.get(5)?,
        })
    })?
    .collect()
}

pub fn delete_control(
    conn: &Connection,
    table: &str,
    strategy: &str,
    instrument: &str,
) -> Result<usize> {
    let sql = match table {
        "position_limits" => "DELETE FROM position_limits WHERE strategy = ?1 AND instrument = ?2",
        "trade_limits" => "DELETE FROM trade_limits WHERE strategy = ?1 AND instrument = ?2",
        _ => "DELETE FROM overrides WHERE strategy = ?1 AND instrument = ?2",
    };
    conn.execute(sql, [strategy, instrument])
}

// ---- locks and audit ------------------------------------------------------------------------

/// A lock on an instrument: `manual` (cleared by hand) or `reconciliation` (cleared automatically
/// when the position break is gone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lock {
    pub instrument: String,
    pub source: String,
    pub reason: String,
    pub locked_at: String,
}

pub fn locks(conn: &Connection) -> Result<Vec<Lock>> {
    let mut stmt =
        conn.prepare("SELECT instrument, source, reason, locked_at FROM locks ORDER BY 1")?;
    stmt.query_map([], |r| {
        Ok(Lock {
            instrument: r.get(0)?,
            source: r.get(1)?,
            reason: r.get(2)?,
            locked_at: r.get(3)?,
        })
    })?
    .collect()
}

/// Locks an instrument (keeping an existing lock as it is). Returns whether a new lock was made.
pub fn add_lock(
    conn: &Connection,
    instrument: &str,
    source: &str,
    reason: &str,
    at: &str,
) -> Result<bool> {
    conn.execute(
        "INSERT OR IGNORE INTO locks (instrument, source, reason, locked_at) VALUES (?1, ?2, ?3, ?4)",
        params![instrument, source, reason, at],
    )
    .map(|n| n > 0)
}

pub fn remove_lock(conn: &Connection, instrument: &str, source: Option<&str>) -> Result<bool> {
    match source {
        Some(s) => conn.execute(
            "DELETE FROM locks WHERE instrument = ?1 AND source = ?2",
            [instrument, s],
        ),
        None => conn.execute("DELETE FROM locks WHERE instrument = ?1", [instrument]),
    }
    .map(|n| n > 0)
}

/// Appends to the audit table (append-only: triggers refuse updates and deletes).
pub fn audit(
    conn: &Connection,
    run_id: &str,
    strategy: &str,
    instrument: &str,
    event: &str,
    detail: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit (at, run_id, strategy, instrument, event, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        now_text(),
        run_id,
        strategy,
        instrument,
        event,
        detail
    ])
    .map(|_| ())
}

/// An audit row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub run_id: String,
    pub strategy: String,
    pub instrument: String,
    pub event: String,
    pub detail: String,
}

pub fn audit_rows(conn: &Connection) -> Result<Vec<AuditRow>> {
    let mut stmt = conn.prepare(
        "SELECT id, at, run_id, strategy, instrument, event, detail FROM audit ORDER BY id",
    )?;
    stmt.query_map([], |r| {
        Ok(AuditRow {
            id: r.get(0)?,
            at: r.get(1)?,
            run_id: r.get(2)?,
            strategy: r.get(3)?,
            instrument: r.get(4)?,
            event: r.get(5)?,
            detail: r.get(6)?,
        })
    })?
    .collect()
}

// ---- roll states ----------------------------------------------------------------------------

/// The roll state of an instrument from roll-contracts' table `roll_states(instrument, state, …)`
/// (store migration 2). No row (or, in a database from before that migration, no table) means
/// No_Roll.
pub fn roll_state(conn: &Connection, instrument: &str) -> Result<RollState> {
    let exists: i64 = conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'roll_states'",
        [],
        |r| r.get(0),
    )?;
    if exists == 0 {
        return Ok(RollState::NoRoll);
    }
    let s: Option<String> = conn
        .query_row(
            "SELECT state FROM roll_states WHERE instrument = ?1",
            [instrument],
            |r| r.get(0),
        )
        .optional()?;
    Ok(s.and_then(|s| s.parse().ok()).unwrap_or_default())
}

// ---- orders ---------------------------------------------------------------------------------

/// A broker order row (active or history), for listings and the run summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrokerOrderRow {
    pub id: i64,
    pub contract_order_id: i64,
    pub strategy: String,
    pub instrument: String,
    pub contract: String,
    pub client_order_id: String,
    pub trade: i64,
    pub fill: i64,
    pub filled_price: Option<f64>,
    pub broker: String,
    pub broker_order_id: Option<String>,
    pub status: String,
    pub message: Option<String>,
    pub reference_price: Option<f64>,
    pub limit_price: Option<f64>,
}

const BROKER_ORDER_COLUMNS: &str =
    "b.id, b.contract_order_id, b.strategy, b.instrument, b.contract,
     b.client_order_id, b.trade, b.fill, b.filled_price, b.broker, b.broker_order_id, b.status,
     b.message, c.reference_price, b.limit_price";

fn broker_order_from(r: &rusqlite::Row<'_>) -> Result<BrokerOrderRow> {
    Ok(BrokerOrderRow {
        id: r.get(0)?,
        contract_order_id: r.get(1)?,
        strategy: r.get(2)?,
        instrument: r.get(3)?,
        contract: r.get(4)?,
        client_order_id: r.get(5)?,
        trade: r.get(6)?,
        fill: r.get(7)?,
        filled_price: r.get(8)?,
        broker: r.get(9)?,
        broker_order_id: r.get(10)?,
        status: r.get(11)?,
        message: r.get(12)?,
        reference_price: r.get(13)?,
        limit_price: r.get(14)?,
    })
}

/// Broker orders, active or history, in id order.
pub fn broker_orders(conn: &Connection, history: bool) -> Result<Vec<BrokerOrderRow>> {
    let (b, c) = if history {
        ("broker_orders_history", "contract_orders_history")
    } else {
        ("broker_orders", "contract_orders")
    };
    let sql = format!(
        "SELECT {BROKER_ORDER_COLUMNS} FROM {b} b LEFT JOIN {c} c ON c.id = b.contract_order_id
         ORDER BY b.id"
    );
    let mut stmt = conn.prepare(&sql)?;
    stmt.query_map([], broker_order_from)?.collect()
}

/// Active broker orders not yet in a terminal state.
pub fn open_broker_orders(conn: &Connection) -> Result<Vec<BrokerOrderRow>> {
    let sql = format!(
        "SELECT {BROKER_ORDER_COLUMNS} FROM broker_orders b
         LEFT JOIN contract_orders c ON c.id = b.contract_order_id
         WHERE b.status IN ('pending_submit', 'submitted') ORDER BY b.id"
    );
    let mut stmt = conn.prepare(&sql)?;
    stmt.query_map([], broker_order_from)?.collect()
}

/// An instrument order row for listings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstrumentOrderRow {
    pub id: i64,
    pub strategy: String,
    pub instrument: String,
    pub trade: i64,
    pub fill: i64,
    pub filled_price: Option<f64>,
    pub order_type: String,
    pub roll_order: bool,
    pub generated_datetime: String,
    pub completed_at: Option<String>,
}

pub fn instrument_orders(conn: &Connection, history: bool) -> Result<Vec<InstrumentOrderRow>> {
    let t = if history {
        "instrument_orders_history"
    } else {
        "instrument_orders"
    };
    let sql = format!(
        "SELECT id, strategy, instrument, trade, fill, filled_price, order_type, roll_order,
                generated_datetime, completed_at FROM {t} ORDER BY id"
    );
    let mut stmt = conn.prepare(&sql)?;
    stmt.query_map([], |r| {
        Ok(InstrumentOrderRow {
            id: r.get(0)?,
            strategy: r.get(1)?,
            instrument: r.get(2)?,
            trade: r.get(3)?,
            fill: r.get(4)?,
            filled_price: r.get(5)?,
            order_type: r.get(6)?,
            roll_order: r.get::<_, i64>(7)? != 0,
            generated_datetime: r.get(8)?,
            completed_at: r.get(9)?,
        })
    })?
    .collect()
}

/// The unfilled remainder of active (non-roll) instrument orders of a strategy and instrument.
pub fn unfilled_instrument_remainder(
    conn: &Connection,
    strategy: &str,
    instrument: &str,
) -> Result<i64> {
    conn.prepare_cached(
        "SELECT COALESCE(SUM(trade - fill), 0) FROM instrument_orders
         WHERE strategy = ?1 AND instrument = ?2 AND roll_order = 0",
    )?
    .query_row([strategy, instrument], |r| r.get(0))
}

/// The unfilled remainder of all active (non-roll) instrument orders in an instrument, every
/// strategy (orders generated earlier in the same run included).
pub fn unfilled_instrument_remainder_all(conn: &Connection, instrument: &str) -> Result<i64> {
    conn.prepare_cached(
        "SELECT COALESCE(SUM(trade - fill), 0) FROM instrument_orders
         WHERE instrument = ?1 AND roll_order = 0",
    )?
    .query_row([instrument], |r| r.get(0))
}

/// Unfilled size of working broker orders in an instrument (all strategies when `strategy` is
/// `None`), the part of trade-limit capacity already reserved.
pub fn unfilled_broker_size(
    conn: &Connection,
    strategy: Option<&str>,
    instrument: &str,
) -> Result<i64> {
    match strategy {
        Some(s) => conn
            .prepare_cached(
                "SELECT COALESCE(SUM(ABS(trade - fill)), 0) FROM broker_orders
                 WHERE instrument = ?2 AND strategy = ?1 AND status IN ('pending_submit', 'submitted')",
            )?
            .query_row([s, instrument], |r| r.get(0)),
        None => conn
            .prepare_cached(
                "SELECT COALESCE(SUM(ABS(trade - fill)), 0) FROM broker_orders
                 WHERE instrument = ?1 AND status IN ('pending_submit', 'submitted')",
            )?
            .query_row([instrument], |r| r.get(0)),
    }
}

/// Whether an instrument has any active contract order (roll orders included).
pub fn has_active_contract_orders(conn: &Connection, instrument: &str) -> Result<bool> {
    conn.prepare_cached("SELECT COUNT(*) FROM contract_orders WHERE instrument = ?1")?
        .query_row([instrument], |r| r.get::<_, i64>(0))
        .map(|n| n > 0)
}

/// A fill row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FillRow {
    pub client_order_id: String,
    pub instrument: String,
    pub contract: String,
    pub quantity: i64,
    pub price: Option<f64>,
}

pub fn fills(conn: &Connection) -> Result<Vec<FillRow>> {
    let mut stmt = conn.prepare(
        "SELECT client_order_id, instrument, contract, quantity, price FROM fills ORDER BY id",
    )?;
    stmt.query_map([], |r| {
        Ok(FillRow {
            client_order_id: r.get(0)?,
            instrument: r.get(1)?,
            contract: r.get(2)?,
            quantity: r.get(3)?,
            price: r.get(4)?,
        })
    })?
    .collect()
}
