//! The order stack of place-orders (migrations 4 and 6; spec §4.4–4.5): tables `instrument_orders`,
//! `contract_orders` and `broker_orders`, their `*_history` copies (an order family moves there
//! once all its broker orders are final), `fills` and `client_order_sequences`.
//!
//! A family is one instrument order, its contract orders (legs) and one broker order per leg. A
//! broker order is stored as `pending_submit` with its deterministic client order id *before* it is
//! sent; `submitted_at` records that a submission was attempted (the next run looks such an order
//! up by its id before it would resend it).
//!
//! Order ids (instrument, contract and broker) are unique for the life of the database, across
//! the active and history tables (migration 6: AUTOINCREMENT, unique history indexes, and new ids
//! above every id ever used); joins between the levels pair active with active and history with
//! history rows, and fills find their order by the unique client order id.

use super::{StateReader, StateTx, display};
use crate::error::Result;
use rusqlite::params;
use serde::Serialize;
use systrade_model::{ContractDate, InstrumentCode};

/// A broker order row (active or history), for listings and the run summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrokerOrderRow {
    pub id: i64,
    pub contract_order_id: i64,
    pub strategy: String,
    #[serde(serialize_with = "display")]
    pub instrument: InstrumentCode,
    #[serde(serialize_with = "display")]
    pub contract: ContractDate,
    pub client_order_id: String,
    pub trade: i64,
    pub fill: i64,
    pub filled_price: Option<f64>,
    pub broker: String,
    pub broker_order_id: Option<String>,
    /// `pending_submit`, `submitted`, `filled`, `cancelled` or `rejected`.
    pub status: String,
    pub message: Option<String>,
    /// The reference price of its contract order.
    pub reference_price: Option<f64>,
    pub limit_price: Option<f64>,
}

/// An instrument order row for listings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstrumentOrderRow {
    pub id: i64,
    pub strategy: String,
    #[serde(serialize_with = "display")]
    pub instrument: InstrumentCode,
    pub trade: i64,
    pub fill: i64,
    pub filled_price: Option<f64>,
    pub order_type: String,
    pub roll_order: bool,
    pub generated_datetime: String,
    pub completed_at: Option<String>,
}

/// A fill, with the reference price of the contract order it filled (active or history).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fill {
    pub client_order_id: String,
    pub strategy: String,
    #[serde(serialize_with = "display")]
    pub instrument: InstrumentCode,
    #[serde(serialize_with = "display")]
    pub contract: ContractDate,
    /// Signed filled quantity of this fill (not cumulative).
    pub quantity: i64,
    pub price: Option<f64>,
    pub fill_datetime: String,
    pub reference_price: Option<f64>,
}

/// A new instrument order.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInstrumentOrder<'a> {
    pub strategy: &'a str,
    pub instrument: &'a InstrumentCode,
    pub trade: i64,
    pub order_type: &'a str,
    pub reference_price: f64,
    pub reference_contract: &'a str,
    pub reference_datetime: &'a str,
    pub generated_datetime: &'a str,
    pub roll_order: bool,
}

/// A new contract order (one leg of an instrument order).
#[derive(Debug, Clone, PartialEq)]
pub struct NewContractOrder<'a> {
    pub instrument_order_id: i64,
    pub strategy: &'a str,
    pub instrument: &'a InstrumentCode,
    pub contract: ContractDate,
    pub trade: i64,
    pub reference_price: Option<f64>,
    pub roll_order: bool,
    /// The instrument order id for the legs of a spread order.
    pub spread_group: Option<i64>,
    pub generated_datetime: &'a str,
}

/// A new broker order, stored as a `pending_submit` market order.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBrokerOrder<'a> {
    pub contract_order_id: i64,
    pub strategy: &'a str,
    pub instrument: &'a InstrumentCode,
    pub contract: ContractDate,
    pub client_order_id: &'a str,
    pub trade: i64,
    pub broker: &'a str,
    pub created_at: &'a str,
}

/// A new row of `fills`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFill<'a> {
    pub client_order_id: &'a str,
    pub broker_order_id: &'a str,
    pub strategy: &'a str,
    pub instrument: &'a InstrumentCode,
    pub contract: ContractDate,
    pub quantity: i64,
    pub price: f64,
    pub fill_datetime: &'a str,
    pub recorded_at: &'a str,
}

/// The fill state of an order: cumulative fill and its average price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderFill {
    pub fill: i64,
    pub filled_price: Option<f64>,
}

/// The fill state of a contract order and its parent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContractOrderFill {
    pub fill: OrderFill,
    pub instrument_order_id: i64,
}

/// The trade and fill state of an instrument order.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentOrderFill {
    pub strategy: String,
    pub trade: i64,
    pub fill: OrderFill,
}

const BROKER_ORDER_COLUMNS: &str =
    "b.id, b.contract_order_id, b.strategy, b.instrument, b.contract,
     b.client_order_id, b.trade, b.fill, b.filled_price, b.broker, b.broker_order_id, b.status,
     b.message, c.reference_price, b.limit_price";

/// A broker order row as stored, before instrument and contract are parsed.
type RawBrokerOrder = (
    (i64, i64, String, String, String, String),
    (i64, i64, Option<f64>, String, Option<String>, String),
    (Option<String>, Option<f64>, Option<f64>),
);

fn raw_broker_order(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawBrokerOrder> {
    Ok((
        (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ),
        (
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
            r.get(9)?,
            r.get(10)?,
            r.get(11)?,
        ),
        (r.get(12)?, r.get(13)?, r.get(14)?),
    ))
}

impl StateReader {
    fn broker_order_rows(&self, sql: &str) -> Result<Vec<BrokerOrderRow>> {
        let raw = self.rows(sql, [], raw_broker_order)?;
        raw.into_iter()
            .map(
                |(
                    (id, co, strategy, i, c, coid),
                    (trade, fill, fp, broker, boid, status),
                    (message, reference_price, limit_price),
                )| {
                    Ok(BrokerOrderRow {
                        id,
                        contract_order_id: co,
                        strategy,
                        instrument: self.instrument("broker_orders", &i)?,
                        contract: self.contract("broker_orders", &c)?,
                        client_order_id: coid,
                        trade,
                        fill,
                        filled_price: fp,
                        broker,
                        broker_order_id: boid,
                        status,
                        message,
                        reference_price,
                        limit_price,
                    })
                },
            )
            .collect()
    }

    /// Broker orders, active or history, in id order.
    pub fn broker_orders(&self, history: bool) -> Result<Vec<BrokerOrderRow>> {
        let (b, c) = if history {
            ("broker_orders_history", "contract_orders_history")
        } else {
            ("broker_orders", "contract_orders")
        };
        self.broker_order_rows(&format!(
            "SELECT {BROKER_ORDER_COLUMNS} FROM {b} b LEFT JOIN {c} c ON c.id = b.contract_order_id
             ORDER BY b.id"
        ))
    }

    /// Active broker orders not yet in a terminal state (`pending_submit` or `submitted`).
    pub fn open_broker_orders(&self) -> Result<Vec<BrokerOrderRow>> {
        self.broker_order_rows(&format!(
            "SELECT {BROKER_ORDER_COLUMNS} FROM broker_orders b
             LEFT JOIN contract_orders c ON c.id = b.contract_order_id
             WHERE b.status IN ('pending_submit', 'submitted') ORDER BY b.id"
        ))
    }

    /// Whether a submission of active broker order `id` was attempted (`submitted_at` is set).
    pub fn submission_attempted(&self, broker_order_id: i64) -> Result<bool> {
        let at: Option<Option<String>> = self.row(
            "SELECT submitted_at FROM broker_orders WHERE id = ?1",
            [broker_order_id],
            |r| r.get(0),
        )?;
        Ok(at.flatten().is_some())
    }

    /// Broker orders ever created (active and history, distinct client order ids).
    pub fn broker_orders_created(&self) -> Result<i64> {
        self.value(
            "SELECT COUNT(*) FROM (SELECT client_order_id FROM broker_orders
             UNION SELECT client_order_id FROM broker_orders_history)",
            [],
        )
    }

    /// Instrument orders, active or history, in id order.
    pub fn instrument_orders(&self, history: bool) -> Result<Vec<InstrumentOrderRow>> {
        let t = if history {
            "instrument_orders_history"
        } else {
            "instrument_orders"
        };
        let raw = self.rows(
            &format!(
                "SELECT id, strategy, instrument, trade, fill, filled_price, order_type, roll_order,
                        generated_datetime, completed_at FROM {t} ORDER BY id"
            ),
            [],
            |r| {
                Ok((
                    (
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                    ),
                    (
                        r.get::<_, Option<f64>>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, Option<String>>(9)?,
                    ),
                ))
            },
        )?;
        raw.into_iter()
            .map(
                |((id, strategy, i, trade, fill), (fp, order_type, roll, generated, completed))| {
                    Ok(InstrumentOrderRow {
                        id,
                        strategy,
                        instrument: self.instrument(t, &i)?,
                        trade,
                        fill,
                        filled_price: fp,
                        order_type,
                        roll_order: roll != 0,
                        generated_datetime: generated,
                        completed_at: completed,
                    })
                },
            )
            .collect()
    }

    /// The unfilled remainder of active (non-roll) instrument orders of a strategy and instrument.
    pub fn unfilled_instrument_remainder(
        &self,
        strategy: &str,
        instrument: &InstrumentCode,
    ) -> Result<i64> {
        self.value(
            "SELECT COALESCE(SUM(trade - fill), 0) FROM instrument_orders
             WHERE strategy = ?1 AND instrument = ?2 AND roll_order = 0",
            [strategy, instrument.as_str()],
        )
    }

    /// The unfilled remainder of all active (non-roll) instrument orders in an instrument, every
    /// strategy.
    pub fn unfilled_instrument_remainder_all(&self, instrument: &InstrumentCode) -> Result<i64> {
        self.value(
            "SELECT COALESCE(SUM(trade - fill), 0) FROM instrument_orders
             WHERE instrument = ?1 AND roll_order = 0",
            [instrument.as_str()],
        )
    }

    /// Unfilled size of working broker orders in an instrument (all strategies when `strategy` is
    /// `None`): the part of trade-limit capacity already reserved.
    pub fn unfilled_broker_size(
        &self,
        strategy: Option<&str>,
        instrument: &InstrumentCode,
    ) -> Result<i64> {
        match strategy {
            Some(s) => self.value(
                "SELECT COALESCE(SUM(ABS(trade - fill)), 0) FROM broker_orders
                 WHERE instrument = ?2 AND strategy = ?1 AND status IN ('pending_submit', 'submitted')",
                [s, instrument.as_str()],
            ),
            None => self.value(
                "SELECT COALESCE(SUM(ABS(trade - fill)), 0) FROM broker_orders
                 WHERE instrument = ?1 AND status IN ('pending_submit', 'submitted')",
                [instrument.as_str()],
            ),
        }
    }

    /// Whether an instrument has any active contract order (roll orders included).
    pub fn has_active_contract_orders(&self, instrument: &InstrumentCode) -> Result<bool> {
        let n: i64 = self.value(
            "SELECT COUNT(*) FROM contract_orders WHERE instrument = ?1",
            [instrument.as_str()],
        )?;
        Ok(n > 0)
    }

    /// The fill state of active broker order `id`.
    pub fn broker_order_fill(&self, id: i64) -> Result<OrderFill> {
        self.value_row(
            "SELECT fill, filled_price FROM broker_orders WHERE id = ?1",
            id,
            |r| {
                Ok(OrderFill {
                    fill: r.get(0)?,
                    filled_price: r.get(1)?,
                })
            },
        )
    }

    /// The fill state of active contract order `id` and its instrument order id.
    pub fn contract_order_fill(&self, id: i64) -> Result<ContractOrderFill> {
        self.value_row(
            "SELECT fill, filled_price, instrument_order_id FROM contract_orders WHERE id = ?1",
            id,
            |r| {
                Ok(ContractOrderFill {
                    fill: OrderFill {
                        fill: r.get(0)?,
                        filled_price: r.get(1)?,
                    },
                    instrument_order_id: r.get(2)?,
                })
            },
        )
    }

    /// The trade and fill state of active instrument order `id`.
    pub fn instrument_order_fill(&self, id: i64) -> Result<InstrumentOrderFill> {
        self.value_row(
            "SELECT trade, fill, filled_price, strategy FROM instrument_orders WHERE id = ?1",
            id,
            |r| {
                Ok(InstrumentOrderFill {
                    trade: r.get(0)?,
                    fill: OrderFill {
                        fill: r.get(1)?,
                        filled_price: r.get(2)?,
                    },
                    strategy: r.get(3)?,
                })
            },
        )
    }

    /// Every fill in id order, with the reference price of its contract order.
    pub fn fills(&self) -> Result<Vec<Fill>> {
        let raw = self.rows(
            "WITH r AS (SELECT b.client_order_id, c.reference_price FROM broker_orders b
                            JOIN contract_orders c ON c.id = b.contract_order_id
                        UNION ALL SELECT b.client_order_id, c.reference_price
                            FROM broker_orders_history b
                            JOIN contract_orders_history c ON c.id = b.contract_order_id)
             SELECT f.client_order_id, f.strategy, f.instrument, f.contract, f.quantity, f.price,
                    f.fill_datetime,
                    (SELECT r.reference_price FROM r WHERE r.client_order_id = f.client_order_id)
             FROM fills f ORDER BY f.id",
            [],
            |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ),
                    (
                        r.get::<_, i64>(4)?,
                        r.get::<_, Option<f64>>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Option<f64>>(7)?,
                    ),
                ))
            },
        )?;
        raw.into_iter()
            .map(
                |((coid, strategy, i, c), (quantity, price, at, reference))| {
                    Ok(Fill {
                        client_order_id: coid,
                        strategy,
                        instrument: self.instrument("fills", &i)?,
                        contract: self.contract("fills", &c)?,
                        quantity,
                        price,
                        fill_datetime: at,
                        reference_price: reference,
                    })
                },
            )
            .collect()
    }

    /// The row `id` of a query by id; an error when there is none.
    fn value_row<T>(
        &self,
        sql: &str,
        id: i64,
        row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let mut stmt = self.conn().prepare_cached(sql).map_err(|e| self.err(e))?;
        stmt.query_row([id], row).map_err(|e| self.err(e))
    }
}

/// The id a new row of active order table `table` gets: above every id its active and history
/// tables hold and its AUTOINCREMENT sequence has handed out (migration 6), so an id is never
/// reused — not after a family moved to history, nor if the sequence was lost (e.g. rows copied
/// into a fresh database).
fn next_id(table: &str) -> String {
    format!(
        "(SELECT MAX(COALESCE((SELECT MAX(id) FROM {table}), 0),
                     COALESCE((SELECT MAX(id) FROM {table}_history), 0),
                     COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0)) + 1)"
    )
}

impl StateTx<'_> {
    /// Adds an instrument order; returns its id (unique for the life of the database).
    pub fn insert_instrument_order(&self, o: &NewInstrumentOrder<'_>) -> Result<i64> {
        self.insert(
            &format!(
                "INSERT INTO instrument_orders (id, strategy, instrument, trade, order_type,
                     reference_price, reference_contract, reference_datetime, generated_datetime,
                     roll_order)
                 VALUES ({}, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                next_id("instrument_orders")
            ),
            params![
                o.strategy,
                o.instrument.as_str(),
                o.trade,
                o.order_type,
                o.reference_price,
                o.reference_contract,
                o.reference_datetime,
                o.generated_datetime,
                o.roll_order as i64
            ],
        )
    }

    /// Adds a contract order; returns its id.
    pub fn insert_contract_order(&self, o: &NewContractOrder<'_>) -> Result<i64> {
        self.insert(
            &format!(
                "INSERT INTO contract_orders (id, instrument_order_id, strategy, instrument,
                     contract, trade, reference_price, roll_order, spread_group, generated_datetime)
                 VALUES ({}, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                next_id("contract_orders")
            ),
            params![
                o.instrument_order_id,
                o.strategy,
                o.instrument.as_str(),
                o.contract.id().to_string(),
                o.trade,
                o.reference_price,
                o.roll_order as i64,
                o.spread_group,
                o.generated_datetime
            ],
        )
    }

    /// The client order id prefix of this data directory (issue 14 item 8): 8 random characters
    /// `[0-9a-z]`, created on first use and kept in `meta` (`client_order_prefix`) with the
    /// identity (device and inode) of `state.sqlite` it was created for. A copied or restored
    /// database is a different file: it gets a new prefix, so two data directories trading the same
    /// account never send the same client order id. Orders already stored keep their ids (a
    /// re-run resends or looks up exactly the id it stored).
    pub fn client_order_prefix(&self) -> Result<String> {
        let identity = file_identity(self.path());
        let stored = |key: &str| -> Result<Option<String>> {
            self.row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        };
        if let Some(prefix) = stored(CLIENT_ORDER_PREFIX)?
            && (identity.is_none() || stored(CLIENT_ORDER_PREFIX_FILE)? == identity)
        {
            return Ok(prefix);
        }
        let prefix = random_prefix();
        for (key, value) in [
            (CLIENT_ORDER_PREFIX, Some(prefix.as_str())),
            (CLIENT_ORDER_PREFIX_FILE, identity.as_deref()),
        ] {
            if let Some(value) = value {
                self.exec(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![key, value],
                )?;
            }
        }
        Ok(prefix)
    }

    /// The next client order sequence number of a strategy and instrument on `day`
    /// (`YYYYMMDD`): 1, 2, … — never reused, also across runs.
    pub fn next_client_order_sequence(
        &self,
        strategy: &str,
        instrument: &InstrumentCode,
        day: &str,
    ) -> Result<i64> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "INSERT INTO client_order_sequences (strategy, instrument, date, last_seq)
                 VALUES (?1, ?2, ?3, 1)
                 ON CONFLICT (strategy, instrument, date) DO UPDATE SET last_seq = last_seq + 1
                 RETURNING last_seq",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_row(params![strategy, instrument.as_str(), day], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Adds a broker order as `pending_submit` (the client order id must be new); returns its id.
    pub fn insert_broker_order(&self, o: &NewBrokerOrder<'_>) -> Result<i64> {
        self.insert(
            &format!(
                "INSERT INTO broker_orders (id, contract_order_id, strategy, instrument, contract,
                     client_order_id, trade, order_type, broker, status, created_at)
                 VALUES ({}, ?1, ?2, ?3, ?4, ?5, ?6, 'market', ?7, 'pending_submit', ?8)",
                next_id("broker_orders")
            ),
            params![
                o.contract_order_id,
                o.strategy,
                o.instrument.as_str(),
                o.contract.id().to_string(),
                o.client_order_id,
                o.trade,
                o.broker,
                o.created_at
            ],
        )
    }

    /// Records that broker order `id` is about to be sent to `account`.
    pub fn record_submission(&self, id: i64, at: &str, account: &str) -> Result<()> {
        self.exec(
            "UPDATE broker_orders SET submitted_at = ?1, broker_account = ?2 WHERE id = ?3",
            params![at, account, id],
        )?;
        Ok(())
    }

    /// Adds a row to `fills`.
    pub fn insert_fill(&self, f: &NewFill<'_>) -> Result<()> {
        self.exec(
            "INSERT INTO fills (client_order_id, broker_order_id, strategy, instrument, contract,
                 quantity, price, fill_datetime, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                f.client_order_id,
                f.broker_order_id,
                f.strategy,
                f.instrument.as_str(),
                f.contract.id().to_string(),
                f.quantity,
                f.price,
                f.fill_datetime,
                f.recorded_at
            ],
        )?;
        Ok(())
    }

    /// Sets the cumulative fill of broker order `id` (a `None` commission keeps the stored one).
    pub fn set_broker_order_fill(
        &self,
        id: i64,
        fill: i64,
        filled_price: f64,
        fill_datetime: &str,
        commission: Option<f64>,
    ) -> Result<()> {
        self.exec(
            "UPDATE broker_orders SET fill = ?1, filled_price = ?2, fill_datetime = ?3,
                 commission = COALESCE(?4, commission) WHERE id = ?5",
            params![fill, filled_price, fill_datetime, commission, id],
        )?;
        Ok(())
    }

    /// Sets the cumulative fill of contract order `id`.
    pub fn set_contract_order_fill(
        &self,
        id: i64,
        fill: i64,
        filled_price: f64,
        fill_datetime: &str,
    ) -> Result<()> {
        self.exec(
            "UPDATE contract_orders SET fill = ?1, filled_price = ?2, fill_datetime = ?3 WHERE id = ?4",
            params![fill, filled_price, fill_datetime, id],
        )?;
        Ok(())
    }

    /// Sets the cumulative fill of instrument order `id`.
    pub fn set_instrument_order_fill(
        &self,
        id: i64,
        fill: i64,
        filled_price: f64,
        fill_datetime: &str,
    ) -> Result<()> {
        self.exec(
            "UPDATE instrument_orders SET fill = ?1, filled_price = ?2, fill_datetime = ?3 WHERE id = ?4",
            params![fill, filled_price, fill_datetime, id],
        )?;
        Ok(())
    }

    /// Sets the status of broker order `id`: `broker_order_id` is kept when `None`; the first
    /// status stamps `acknowledged_at`, a terminal one `completed_at`.
    pub fn set_broker_order_status(
        &self,
        id: i64,
        status: &str,
        broker_order_id: Option<&str>,
        message: Option<&str>,
        terminal: bool,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "UPDATE broker_orders SET status = ?1, broker_order_id = COALESCE(?2, broker_order_id),
                 message = ?3, acknowledged_at = COALESCE(acknowledged_at, ?4),
                 completed_at = CASE WHEN ?5 THEN ?4 ELSE completed_at END
             WHERE id = ?6",
            params![status, broker_order_id, message, at, terminal, id],
        )?;
        Ok(())
    }

    /// Moves every order family whose broker orders are all final to the history tables, stamping
    /// `completed_at`; returns how many families moved.
    pub fn complete_finished_orders(&self, at: &str) -> Result<usize> {
        self.batch(
            "CREATE TEMP TABLE IF NOT EXISTS done_orders (id INTEGER PRIMARY KEY);
             DELETE FROM done_orders;
             INSERT INTO done_orders SELECT io.id FROM instrument_orders io
             WHERE NOT EXISTS (
                 SELECT 1 FROM contract_orders c JOIN broker_orders b ON b.contract_order_id = c.id
                 WHERE c.instrument_order_id = io.id AND b.status IN ('pending_submit', 'submitted'));",
        )?;
        self.exec(
            "UPDATE instrument_orders SET completed_at = ?1 WHERE id IN (SELECT id FROM done_orders)",
            [at],
        )?;
        self.exec(
            "UPDATE contract_orders SET completed_at = ?1
             WHERE instrument_order_id IN (SELECT id FROM done_orders)",
            [at],
        )?;
        self.batch(
            "INSERT INTO broker_orders_history SELECT b.* FROM broker_orders b
                 JOIN contract_orders c ON c.id = b.contract_order_id
                 WHERE c.instrument_order_id IN (SELECT id FROM done_orders);
             DELETE FROM broker_orders WHERE contract_order_id IN (
                 SELECT id FROM contract_orders WHERE instrument_order_id IN (SELECT id FROM done_orders));
             INSERT INTO contract_orders_history SELECT * FROM contract_orders
                 WHERE instrument_order_id IN (SELECT id FROM done_orders);
             DELETE FROM contract_orders WHERE instrument_order_id IN (SELECT id FROM done_orders);
             INSERT INTO instrument_orders_history SELECT * FROM instrument_orders
                 WHERE id IN (SELECT id FROM done_orders);
             DELETE FROM instrument_orders WHERE id IN (SELECT id FROM done_orders);",
        )?;
        let n: i64 = self.value("SELECT COUNT(*) FROM done_orders", [])?;
        Ok(n as usize)
    }
}

/// `meta` key of the client order id prefix.
const CLIENT_ORDER_PREFIX: &str = "client_order_prefix";
/// `meta` key of the `state.sqlite` identity the prefix was created for.
const CLIENT_ORDER_PREFIX_FILE: &str = "client_order_prefix_file";

/// `device:inode` of a file (`None` where unknown).
fn file_identity(path: &std::path::Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path)
            .ok()
            .map(|m| format!("{}:{}", m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// 8 characters `[0-9a-z]` from the standard library's randomly keyed hasher, the clock and the
/// process id (about 41 bits: two data directories practically never draw the same prefix).
fn random_prefix() -> String {
    use std::hash::BuildHasher;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut x =
        std::collections::hash_map::RandomState::new().hash_one((nanos, std::process::id()));
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..8)
        .map(|_| {
            let c = digits[(x % 36) as usize] as char;
            x /= 36;
            c
        })
        .collect()
}
