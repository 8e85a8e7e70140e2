//! Roll states and priced-contract positions in `state.sqlite`.
//!
//! Roll states live in table `roll_states` (store migration 2, `systrade_store::MIGRATIONS`): one row
//! per instrument, absent = `No_Roll`. `Store::open_state` applies every migration the database has
//! not recorded yet, so the table always exists once the database is open.
//!
//! Positions per contract live in `contract_positions` (store migration 4, written by place-orders).
//! When that table does not exist the position is taken as 0, which is logged.

use anyhow::Context;
use rusqlite::{Connection, OptionalExtension};
use std::collections::BTreeMap;
use systrade_model::{ContractDate, InstrumentCode};
use systrade_roll::RollState;

fn table_exists(conn: &Connection, table: &str) -> anyhow::Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Every stored roll state.
pub(crate) fn all_states(conn: &Connection) -> anyhow::Result<BTreeMap<String, RollState>> {
    let mut stmt = conn.prepare("SELECT instrument, state FROM roll_states")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (instrument, state) = row?;
        let state = state
            .parse::<RollState>()
            .with_context(|| format!("roll_states row for {instrument}"))?;
        out.insert(instrument, state);
    }
    Ok(out)
}

/// Stores `state` for `instrument`, remembering `previous`.
pub(crate) fn set_state(
    conn: &Connection,
    instrument: &InstrumentCode,
    state: RollState,
    previous: RollState,
) -> anyhow::Result<()> {
    conn.execute(
        "INSERT INTO roll_states (instrument, state, previous_state, updated_at)
         VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         ON CONFLICT (instrument) DO UPDATE SET state = excluded.state,
             previous_state = excluded.previous_state, updated_at = excluded.updated_at",
        rusqlite::params![instrument.as_str(), state.as_str(), previous.as_str()],
    )
    .with_context(|| format!("setting the roll state of {instrument}"))?;
    Ok(())
}

/// Positions per (instrument, contract) from `contract_positions`; empty when the table does not
/// exist yet (created by place-orders' migration).
pub(crate) fn contract_positions(
    conn: &Connection,
) -> anyhow::Result<BTreeMap<(String, i64), i64>> {
    if !table_exists(conn, "contract_positions")? {
        tracing::debug!("no contract_positions table: every position is taken as 0");
        return Ok(BTreeMap::new());
    }
    let mut stmt = conn.prepare("SELECT instrument, contract, position FROM contract_positions")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (instrument, contract, position) = row?;
        let id: i64 = contract.trim().parse().with_context(|| {
            format!("contract_positions: contract {contract:?} of {instrument}")
        })?;
        out.insert((instrument, id), position);
    }
    Ok(out)
}

/// The position in `contract` of `instrument` (0 when none is stored).
pub(crate) fn position_in(
    positions: &BTreeMap<(String, i64), i64>,
    instrument: &InstrumentCode,
    contract: ContractDate,
) -> i64 {
    positions
        .get(&(instrument.as_str().to_string(), contract.id()))
        .copied()
        .unwrap_or(0)
}
