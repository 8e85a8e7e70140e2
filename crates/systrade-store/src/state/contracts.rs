//! Table `contracts` (migration 8; issue 14 item 3): each of our contracts as a broker resolved
//! it — the broker's contract id (IB conid) and the exact expiry. Our contract id `YYYYMMDD` names
//! the contract month; the expiry may fall in another month (crude-style futures expire in the
//! month before). Written by place-orders when the IB broker resolves a contract, read by the roll
//! report for exact days to expiry.

use super::{StateReader, StateTx, display};
use crate::error::Result;
use chrono::NaiveDate;
use serde::Serialize;
use systrade_model::{ContractDate, InstrumentCode};

const TABLE: &str = "contracts";

/// One resolved contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedContract {
    #[serde(serialize_with = "display")]
    pub instrument: InstrumentCode,
    /// Our contract (its month is the contract month).
    #[serde(serialize_with = "display")]
    pub contract: ContractDate,
    /// `ibkr`.
    pub broker: String,
    /// The broker's contract id (IB conid).
    pub conid: i64,
    /// The exact last trading day as the broker lists it.
    #[serde(serialize_with = "display")]
    pub expiry: NaiveDate,
}

impl StateReader {
    /// Every resolved contract, by instrument, contract and broker.
    pub fn resolved_contracts(&self) -> Result<Vec<ResolvedContract>> {
        let raw = self.rows(
            "SELECT instrument, contract, broker, conid, expiry FROM contracts ORDER BY 1, 2, 3",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )?;
        raw.into_iter()
            .map(|(i, c, broker, conid, expiry)| {
                Ok(ResolvedContract {
                    instrument: self.instrument(TABLE, &i)?,
                    contract: self.contract(TABLE, &c)?,
                    broker,
                    conid,
                    expiry: self.parse(TABLE, "expiry", &expiry)?,
                })
            })
            .collect()
    }

    /// The exact expiry of an instrument's contract, if a broker resolved it (the latest
    /// resolution when several brokers did).
    pub fn contract_expiry(
        &self,
        instrument: &InstrumentCode,
        contract: ContractDate,
    ) -> Result<Option<NaiveDate>> {
        let text: Option<String> = self.row(
            "SELECT expiry FROM contracts WHERE instrument = ?1 AND contract = ?2
             ORDER BY resolved_at DESC LIMIT 1",
            rusqlite::params![instrument.as_str(), contract.id().to_string()],
            |r| r.get(0),
        )?;
        text.map(|t| self.parse(TABLE, "expiry", &t)).transpose()
    }
}

impl StateTx<'_> {
    /// Stores (or updates) a resolved contract.
    pub fn record_contract(&self, c: &ResolvedContract, at: &str) -> Result<()> {
        self.exec(
            "INSERT INTO contracts (instrument, contract, broker, conid, expiry, resolved_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (instrument, contract, broker) DO UPDATE SET conid = excluded.conid,
                 expiry = excluded.expiry, resolved_at = excluded.resolved_at",
            rusqlite::params![
                c.instrument.as_str(),
                c.contract.id().to_string(),
                c.broker,
                c.conid,
                c.expiry.format("%Y-%m-%d").to_string(),
                at
            ],
        )?;
        Ok(())
    }
}
