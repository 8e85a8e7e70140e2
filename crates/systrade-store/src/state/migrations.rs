//! The schema of `state.sqlite`: numbered migrations, applied in order by
//! [`super::StateReader`]/[`super::StateWriter`] opens. A user's database is a contract: append new
//! migrations, never edit or renumber an applied one. Each table belongs to one module of
//! [`super`] (the table of docs/ARCHITECTURE.md "Who owns what").

/// A migration: its number (strictly increasing from 1), a short name, and its SQL.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. Append new ones; never edit or renumber an applied one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "meta and import_runs",
        sql: "CREATE TABLE meta (
              key   TEXT PRIMARY KEY,
              value TEXT NOT NULL
          );
          CREATE TABLE import_runs (
              id          INTEGER PRIMARY KEY,
              tool        TEXT NOT NULL,
              source      TEXT NOT NULL,
              finished_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
              files       INTEGER NOT NULL,
              rows        INTEGER NOT NULL
          );",
    },
    // Version 2: roll states (roll-contracts, issue 3; spec §4.8). One row per instrument; absent
    // means No_Roll. `state` uses pysystemtrade's spellings; `previous_state` is what a failed roll
    // returns to.
    Migration {
        version: 2,
        name: "roll_states",
        sql: "CREATE TABLE IF NOT EXISTS roll_states (
              instrument     TEXT PRIMARY KEY,
              state          TEXT NOT NULL CHECK (state IN ('No_Roll', 'Passive', 'Force',
                                 'Force_Outright', 'Close', 'Roll_Adjusted', 'No_Open')),
              previous_state TEXT,
              updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
          );",
    },
    // Version 3: written by size-positions, read by place-orders (spec §4.3 item 7). One row per run
    // per strategy and instrument; the latest (by timestamp, then id) is the current optimal position.
    Migration {
        version: 3,
        name: "optimal_positions",
        sql: "CREATE TABLE optimal_positions (
              id                 INTEGER PRIMARY KEY,
              strategy           TEXT NOT NULL,
              instrument         TEXT NOT NULL,
              timestamp          TEXT NOT NULL,
              lower              REAL NOT NULL,
              upper              REAL NOT NULL,
              reference_price    REAL NOT NULL,
              reference_contract TEXT NOT NULL,
              created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
              CHECK (lower <= upper)
          );
          CREATE INDEX optimal_positions_latest ON optimal_positions (strategy, instrument, timestamp, id);",
    },
    // Version 4: place-orders (issue 7; spec §4.4-4.7): positions, order stacks and their histories,
    // fills, risk controls, locks and the append-only audit table.
    Migration {
        version: 4,
        name: "orders_positions",
        sql: ORDERS_POSITIONS_SQL,
    },
    // Version 5: daily operations (issue 9; spec §4.2-4.3): step runs, process control and capital.
    // Written by `run-step` (crates/systrade-ops); `strategy_capital` is what size-positions reads.
    Migration {
        version: 5,
        name: "operations",
        sql: OPERATIONS_SQL,
    },
    // Version 6: order ids unique for the life of the data directory (issue 14 item 1). The order
    // tables had `INTEGER PRIMARY KEY` without AUTOINCREMENT while finished families move to the
    // `*_history` tables, so a later order reused an id; history ids clashing with the active
    // tables or with each other are renumbered (children follow their parent by old id and
    // generation time), the active tables become AUTOINCREMENT with their sequence above every id
    // ever used, and history ids get unique indexes. Also: locks from the sanity bound (issue 15).
    Migration {
        version: 6,
        name: "unique_order_ids",
        sql: UNIQUE_ORDER_IDS_SQL,
    },
    // Version 7 (6 is taken by the order tables' unique ids): rolls written ahead (roll-contracts,
    // issue 15 item 2). A row is inserted (durably) before a production roll changes a file and
    // deleted in the transaction that stores the roll's new state; a row left by a killed run is
    // finished or undone by the next roll-contracts run. Contracts are `YYYYMMDD`, timestamps
    // `YYYY-MM-DD HH:MM:SS`.
    Migration {
        version: 7,
        name: "pending_rolls",
        sql: "CREATE TABLE pending_rolls (
              instrument     TEXT PRIMARY KEY,
              previous_state TEXT NOT NULL CHECK (previous_state IN ('No_Roll', 'Passive', 'Force',
                                 'Force_Outright', 'Close', 'Roll_Adjusted', 'No_Open')),
              rows_before    INTEGER NOT NULL CHECK (rows_before > 0),
              last_before    TEXT NOT NULL,
              priced_before  TEXT NOT NULL,
              rows_after     INTEGER NOT NULL CHECK (rows_after > 0),
              last_after     TEXT NOT NULL,
              priced_after   TEXT NOT NULL,
              forward_fill   INTEGER NOT NULL CHECK (forward_fill IN (0, 1)),
              started_at     TEXT NOT NULL
          );",
    },
    // Version 8: contracts as the broker resolved them (issue 14 item 3): our contract (`YYYYMMDD`
    // id, its month the contract month) of an instrument, the broker's conid and the exact expiry
    // (`YYYY-MM-DD`; for crude-style futures in the month before the contract month). Written by
    // whoever resolves a contract at the broker (place-orders), read by the roll report.
    Migration {
        version: 8,
        name: "contracts",
        sql: "CREATE TABLE contracts (
              instrument  TEXT NOT NULL,
              contract    TEXT NOT NULL,
              broker      TEXT NOT NULL,
              conid       INTEGER NOT NULL,
              expiry      TEXT NOT NULL,
              resolved_at TEXT NOT NULL,
              PRIMARY KEY (instrument, contract, broker)
          );",
    },
    // Version 9: the overrides the system config implies (issue 14: `trading_restrictions` →
    // no trading; `bad_markets`, `duplicate_instruments.exclude`, `ignore_instruments` →
    // reduce-only; pysystemtrade `sysproduction/data/controls.py`), kept apart from the overrides
    // a person sets so that the config's rows follow the config (place-orders replaces them on
    // every order run, auditing each change) and the manual ones are never touched by it.
    Migration {
        version: 9,
        name: "config_overrides",
        sql: "CREATE TABLE config_overrides (
              instrument TEXT PRIMARY KEY,
              kind       TEXT NOT NULL CHECK (kind IN ('reduce_only', 'no_trading')),
              reason     TEXT NOT NULL,
              updated_at TEXT NOT NULL
          );",
    },
    // Version 10: what each size-positions run decided (issue 18, report of the dynamically
    // optimised strategy). One `sizing_runs` row per run that writes `optimal_positions`, classic
    // (`optimised = 0`, no diagnostics) or dynamically optimised; for an optimised run, the
    // optimiser's diagnostics and one `sizing_run_positions` row per instrument of its universe.
    // Read by report. See [`super::sizing`].
    Migration {
        version: 10,
        name: "sizing_runs",
        sql: SIZING_RUNS_SQL,
    },
];

/// Migration 10 (size-positions, [`super::sizing`]). `date` is the date decided (`YYYY-MM-DD`, the
/// last date of the inputs); column names follow pysystemtrade's dynamic optimisation
/// (`optimisation.py`, `buffering.py`; the diagnostics of
/// `pst-reference/dynamic_optimisation`): `te_*` are annualised tracking errors as fractions of
/// capital (NULL where undefined), `adj_factor` the fraction of the move towards the greedy
/// result that was traded. Per instrument, pysystemtrade's `optimalPositionWithDynamicCalculations`
/// fields: `optimal_position` (unrounded, NULL when none), `previous_position` (held),
/// `optimised_position` (the target), `greedy_position` (before the buffer's adjustment, NULL
/// when the search did not run or the instrument was not a valid key), `weight_per_contract`,
/// `reduce_only`, `dont_trade`, `position_limit_contracts` (NULL: no limit).
const SIZING_RUNS_SQL: &str = "
CREATE TABLE sizing_runs (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    strategy                TEXT NOT NULL,
    date                    TEXT NOT NULL,
    optimised               INTEGER NOT NULL CHECK (optimised IN (0, 1)),
    n_valid_keys            INTEGER,
    te_prior_vs_optimal     REAL,
    prior_within_buffer     INTEGER CHECK (prior_within_buffer IN (0, 1)),
    te_greedy_vs_optimal    REAL,
    costs_term_greedy       REAL,
    te_prior_vs_greedy      REAL,
    adj_factor              REAL,
    te_optimised_vs_optimal REAL,
    buffer_decision         TEXT CHECK (buffer_decision IN ('prior_within_buffer',
                                'greedy_within_buffer', 'adjusted', 'failed')),
    traded                  INTEGER CHECK (traded IN (0, 1)),
    failure                 TEXT,
    created_at              TEXT NOT NULL,
    CHECK ((optimised = 1) = (buffer_decision IS NOT NULL AND traded IS NOT NULL
                              AND prior_within_buffer IS NOT NULL))
);
CREATE INDEX sizing_runs_latest ON sizing_runs (strategy, id);
CREATE TABLE sizing_run_positions (
    run_id                   INTEGER NOT NULL REFERENCES sizing_runs (id),
    instrument               TEXT NOT NULL,
    optimal_position         REAL,
    previous_position        INTEGER NOT NULL,
    optimised_position       INTEGER NOT NULL,
    greedy_position          REAL,
    weight_per_contract      REAL,
    reduce_only              INTEGER NOT NULL CHECK (reduce_only IN (0, 1)),
    dont_trade               INTEGER NOT NULL CHECK (dont_trade IN (0, 1)),
    position_limit_contracts REAL,
    PRIMARY KEY (run_id, instrument)
);
";

/// Migration 6: see its entry in [`MIGRATIONS`]. A history row keeps its id when no active row and
/// no earlier history row (by rowid) has it; otherwise it gets a new id above every id in use.
/// Contract orders find their renumbered parent by (old id, `generated_datetime`), broker orders
/// theirs by (old id, `created_at`): one family is generated at one time stamp, so the pair is
/// unique. Column order is kept (history rows are copied with `SELECT *`).
const UNIQUE_ORDER_IDS_SQL: &str = "
CREATE TEMP TABLE io_renumber AS
    SELECT h.rowid AS hrow, h.id AS old_id, h.generated_datetime AS gen FROM instrument_orders_history h
    WHERE h.id IN (SELECT id FROM instrument_orders)
       OR h.rowid <> (SELECT MIN(h2.rowid) FROM instrument_orders_history h2 WHERE h2.id = h.id);
CREATE TEMP TABLE io_map AS
    SELECT hrow, old_id, gen,
           (SELECT COALESCE(MAX(id), 0) FROM (SELECT id FROM instrument_orders
                UNION ALL SELECT id FROM instrument_orders_history))
           + ROW_NUMBER() OVER (ORDER BY hrow) AS new_id
    FROM io_renumber;
UPDATE contract_orders_history SET instrument_order_id = (SELECT m.new_id FROM io_map m
        WHERE m.old_id = contract_orders_history.instrument_order_id
          AND m.gen = contract_orders_history.generated_datetime)
    WHERE EXISTS (SELECT 1 FROM io_map m WHERE m.old_id = contract_orders_history.instrument_order_id
          AND m.gen = contract_orders_history.generated_datetime);
UPDATE contract_orders_history SET spread_group = (SELECT m.new_id FROM io_map m
        WHERE m.old_id = contract_orders_history.spread_group
          AND m.gen = contract_orders_history.generated_datetime)
    WHERE EXISTS (SELECT 1 FROM io_map m WHERE m.old_id = contract_orders_history.spread_group
          AND m.gen = contract_orders_history.generated_datetime);
UPDATE instrument_orders_history SET id = (SELECT m.new_id FROM io_map m
        WHERE m.hrow = instrument_orders_history.rowid)
    WHERE rowid IN (SELECT hrow FROM io_map);

CREATE TEMP TABLE co_renumber AS
    SELECT h.rowid AS hrow, h.id AS old_id, h.generated_datetime AS gen FROM contract_orders_history h
    WHERE h.id IN (SELECT id FROM contract_orders)
       OR h.rowid <> (SELECT MIN(h2.rowid) FROM contract_orders_history h2 WHERE h2.id = h.id);
CREATE TEMP TABLE co_map AS
    SELECT hrow, old_id, gen,
           (SELECT COALESCE(MAX(id), 0) FROM (SELECT id FROM contract_orders
                UNION ALL SELECT id FROM contract_orders_history))
           + ROW_NUMBER() OVER (ORDER BY hrow) AS new_id
    FROM co_renumber;
UPDATE broker_orders_history SET contract_order_id = (SELECT m.new_id FROM co_map m
        WHERE m.old_id = broker_orders_history.contract_order_id
          AND m.gen = broker_orders_history.created_at)
    WHERE EXISTS (SELECT 1 FROM co_map m WHERE m.old_id = broker_orders_history.contract_order_id
          AND m.gen = broker_orders_history.created_at);
UPDATE contract_orders_history SET id = (SELECT m.new_id FROM co_map m
        WHERE m.hrow = contract_orders_history.rowid)
    WHERE rowid IN (SELECT hrow FROM co_map);

CREATE TEMP TABLE bo_renumber AS
    SELECT h.rowid AS hrow FROM broker_orders_history h
    WHERE h.id IN (SELECT id FROM broker_orders)
       OR h.rowid <> (SELECT MIN(h2.rowid) FROM broker_orders_history h2 WHERE h2.id = h.id);
CREATE TEMP TABLE bo_map AS
    SELECT hrow,
           (SELECT COALESCE(MAX(id), 0) FROM (SELECT id FROM broker_orders
                UNION ALL SELECT id FROM broker_orders_history))
           + ROW_NUMBER() OVER (ORDER BY hrow) AS new_id
    FROM bo_renumber;
UPDATE broker_orders_history SET id = (SELECT m.new_id FROM bo_map m
        WHERE m.hrow = broker_orders_history.rowid)
    WHERE rowid IN (SELECT hrow FROM bo_map);
DROP TABLE io_renumber; DROP TABLE io_map; DROP TABLE co_renumber; DROP TABLE co_map;
DROP TABLE bo_renumber; DROP TABLE bo_map;

CREATE TABLE instrument_orders_v6 (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    strategy           TEXT NOT NULL,
    instrument         TEXT NOT NULL,
    trade              INTEGER NOT NULL,
    fill               INTEGER NOT NULL DEFAULT 0,
    filled_price       REAL,
    fill_datetime      TEXT,
    order_type         TEXT NOT NULL,
    reference_price    REAL,
    reference_contract TEXT,
    reference_datetime TEXT,
    generated_datetime TEXT NOT NULL,
    roll_order         INTEGER NOT NULL DEFAULT 0,
    completed_at       TEXT
);
INSERT INTO instrument_orders_v6 SELECT * FROM instrument_orders;
DROP TABLE instrument_orders;
ALTER TABLE instrument_orders_v6 RENAME TO instrument_orders;
CREATE INDEX instrument_orders_key ON instrument_orders (strategy, instrument);

CREATE TABLE contract_orders_v6 (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    instrument_order_id INTEGER NOT NULL,
    strategy            TEXT NOT NULL,
    instrument          TEXT NOT NULL,
    contract            TEXT NOT NULL,
    trade               INTEGER NOT NULL,
    fill                INTEGER NOT NULL DEFAULT 0,
    filled_price        REAL,
    fill_datetime       TEXT,
    reference_price     REAL,
    roll_order          INTEGER NOT NULL DEFAULT 0,
    spread_group        INTEGER,
    generated_datetime  TEXT NOT NULL,
    completed_at        TEXT
);
INSERT INTO contract_orders_v6 SELECT * FROM contract_orders;
DROP TABLE contract_orders;
ALTER TABLE contract_orders_v6 RENAME TO contract_orders;
CREATE INDEX contract_orders_parent ON contract_orders (instrument_order_id);

CREATE TABLE broker_orders_v6 (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_order_id INTEGER NOT NULL,
    strategy          TEXT NOT NULL,
    instrument        TEXT NOT NULL,
    contract          TEXT NOT NULL,
    client_order_id   TEXT NOT NULL UNIQUE,
    trade             INTEGER NOT NULL,
    fill              INTEGER NOT NULL DEFAULT 0,
    filled_price      REAL,
    fill_datetime     TEXT,
    commission        REAL,
    order_type        TEXT NOT NULL,
    limit_price       REAL,
    broker            TEXT NOT NULL,
    broker_account    TEXT,
    broker_order_id   TEXT,
    status            TEXT NOT NULL,
    message           TEXT,
    created_at        TEXT NOT NULL,
    submitted_at      TEXT,
    acknowledged_at   TEXT,
    completed_at      TEXT
);
INSERT INTO broker_orders_v6 SELECT * FROM broker_orders;
DROP TABLE broker_orders;
ALTER TABLE broker_orders_v6 RENAME TO broker_orders;
CREATE INDEX broker_orders_parent ON broker_orders (contract_order_id);

DELETE FROM sqlite_sequence WHERE name IN ('instrument_orders', 'instrument_orders_v6',
    'contract_orders', 'contract_orders_v6', 'broker_orders', 'broker_orders_v6');
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'instrument_orders', COALESCE(MAX(id), 0) FROM (SELECT id FROM instrument_orders
        UNION ALL SELECT id FROM instrument_orders_history);
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'contract_orders', COALESCE(MAX(id), 0) FROM (SELECT id FROM contract_orders
        UNION ALL SELECT id FROM contract_orders_history);
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'broker_orders', COALESCE(MAX(id), 0) FROM (SELECT id FROM broker_orders
        UNION ALL SELECT id FROM broker_orders_history);
CREATE UNIQUE INDEX instrument_orders_history_id ON instrument_orders_history (id);
CREATE UNIQUE INDEX contract_orders_history_id ON contract_orders_history (id);
CREATE UNIQUE INDEX broker_orders_history_id ON broker_orders_history (id);
CREATE INDEX contract_orders_history_parent ON contract_orders_history (instrument_order_id);
CREATE INDEX broker_orders_history_parent ON broker_orders_history (contract_order_id);
CREATE INDEX broker_orders_history_client ON broker_orders_history (client_order_id);

CREATE TABLE locks_v6 (
    instrument TEXT PRIMARY KEY,
    source     TEXT NOT NULL CHECK (source IN ('manual', 'reconciliation', 'sanity')),
    reason     TEXT NOT NULL,
    locked_at  TEXT NOT NULL
);
INSERT INTO locks_v6 SELECT instrument, source, reason, locked_at FROM locks;
DROP TABLE locks;
ALTER TABLE locks_v6 RENAME TO locks;
";

/// Migration 5 (run-step, systrade-ops). `run_date` is the trading day a run belongs to
/// (`YYYY-MM-DD`); times are ISO 8601 UTC text. A run with `finished_at IS NULL` is in progress
/// (or its process died: its step lock is then free).
const OPERATIONS_SQL: &str = "
CREATE TABLE process_runs (
    id          INTEGER PRIMARY KEY,
    step        TEXT NOT NULL,
    run_date    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'refused', 'skipped')),
    exit_code   INTEGER,
    pid         INTEGER,
    command     TEXT NOT NULL DEFAULT '',
    summary     TEXT NOT NULL DEFAULT '',
    rows_fetched   INTEGER,
    orders_placed  INTEGER
);
CREATE INDEX process_runs_step ON process_runs (step, run_date, id);
CREATE TABLE process_control (
    step       TEXT PRIMARY KEY,
    status     TEXT NOT NULL CHECK (status IN ('GO', 'STOP', 'PAUSE', 'NO-RUN')),
    reason     TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
CREATE TABLE capital_history (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    account_value  REAL,
    total_capital  REAL NOT NULL,
    maximum        REAL NOT NULL,
    acc_pnl        REAL NOT NULL,
    method         TEXT NOT NULL CHECK (method IN ('full', 'half', 'fixed', 'manual')),
    status         TEXT NOT NULL CHECK (status IN ('accepted', 'pending', 'rejected')),
    note           TEXT NOT NULL DEFAULT ''
);
CREATE TABLE strategy_capital (
    strategy   TEXT PRIMARY KEY,
    weight     REAL NOT NULL CHECK (weight >= 0),
    capital    REAL NOT NULL,
    updated_at TEXT NOT NULL
);
";

/// Migration 4 (place-orders). Contracts are `YYYYMMDD` ids (`ContractDate::id`), times ISO 8601
/// UTC text; `''` in a `strategy` column of a control table means "every strategy" (instrument-wide).
const ORDERS_POSITIONS_SQL: &str = "
CREATE TABLE strategy_positions (
    strategy   TEXT NOT NULL,
    instrument TEXT NOT NULL,
    position   INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (strategy, instrument)
);
CREATE TABLE contract_positions (
    instrument TEXT NOT NULL,
    contract   TEXT NOT NULL,
    position   INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (instrument, contract)
);
CREATE TABLE instrument_orders (
    id                 INTEGER PRIMARY KEY,
    strategy           TEXT NOT NULL,
    instrument         TEXT NOT NULL,
    trade              INTEGER NOT NULL,
    fill               INTEGER NOT NULL DEFAULT 0,
    filled_price       REAL,
    fill_datetime      TEXT,
    order_type         TEXT NOT NULL,
    reference_price    REAL,
    reference_contract TEXT,
    reference_datetime TEXT,
    generated_datetime TEXT NOT NULL,
    roll_order         INTEGER NOT NULL DEFAULT 0,
    completed_at       TEXT
);
CREATE INDEX instrument_orders_key ON instrument_orders (strategy, instrument);
CREATE TABLE instrument_orders_history AS SELECT * FROM instrument_orders WHERE 0;
CREATE TABLE contract_orders (
    id                  INTEGER PRIMARY KEY,
    instrument_order_id INTEGER NOT NULL,
    strategy            TEXT NOT NULL,
    instrument          TEXT NOT NULL,
    contract            TEXT NOT NULL,
    trade               INTEGER NOT NULL,
    fill                INTEGER NOT NULL DEFAULT 0,
    filled_price        REAL,
    fill_datetime       TEXT,
    reference_price     REAL,
    roll_order          INTEGER NOT NULL DEFAULT 0,
    spread_group        INTEGER,
    generated_datetime  TEXT NOT NULL,
    completed_at        TEXT
);
CREATE INDEX contract_orders_parent ON contract_orders (instrument_order_id);
CREATE TABLE contract_orders_history AS SELECT * FROM contract_orders WHERE 0;
CREATE TABLE broker_orders (
    id                INTEGER PRIMARY KEY,
    contract_order_id INTEGER NOT NULL,
    strategy          TEXT NOT NULL,
    instrument        TEXT NOT NULL,
    contract          TEXT NOT NULL,
    client_order_id   TEXT NOT NULL UNIQUE,
    trade             INTEGER NOT NULL,
    fill              INTEGER NOT NULL DEFAULT 0,
    filled_price      REAL,
    fill_datetime     TEXT,
    commission        REAL,
    order_type        TEXT NOT NULL,
    limit_price       REAL,
    broker            TEXT NOT NULL,
    broker_account    TEXT,
    broker_order_id   TEXT,
    status            TEXT NOT NULL,
    message           TEXT,
    created_at        TEXT NOT NULL,
    submitted_at      TEXT,
    acknowledged_at   TEXT,
    completed_at      TEXT
);
CREATE INDEX broker_orders_parent ON broker_orders (contract_order_id);
CREATE TABLE broker_orders_history AS SELECT * FROM broker_orders WHERE 0;
CREATE TABLE fills (
    id              INTEGER PRIMARY KEY,
    client_order_id TEXT NOT NULL,
    broker_order_id TEXT,
    strategy        TEXT NOT NULL,
    instrument      TEXT NOT NULL,
    contract        TEXT NOT NULL,
    quantity        INTEGER NOT NULL,
    price           REAL,
    fill_datetime   TEXT NOT NULL,
    recorded_at     TEXT NOT NULL
);
CREATE TABLE client_order_sequences (
    strategy   TEXT NOT NULL,
    instrument TEXT NOT NULL,
    date       TEXT NOT NULL,
    last_seq   INTEGER NOT NULL,
    PRIMARY KEY (strategy, instrument, date)
);
CREATE TABLE overrides (
    strategy   TEXT NOT NULL DEFAULT '',
    instrument TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL CHECK (kind IN ('multiplier', 'reduce_only', 'no_trading')),
    multiplier REAL CHECK (multiplier IS NULL OR (multiplier >= 0 AND multiplier <= 1)),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (strategy, instrument),
    CHECK (strategy <> '' OR instrument <> '')
);
CREATE TABLE position_limits (
    strategy     TEXT NOT NULL DEFAULT '',
    instrument   TEXT NOT NULL,
    max_position INTEGER NOT NULL CHECK (max_position >= 0),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (strategy, instrument)
);
CREATE TABLE trade_limits (
    strategy    TEXT NOT NULL DEFAULT '',
    instrument  TEXT NOT NULL,
    period_days INTEGER NOT NULL CHECK (period_days > 0),
    max_trades  INTEGER NOT NULL CHECK (max_trades >= 0),
    traded      INTEGER NOT NULL DEFAULT 0,
    last_reset  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (strategy, instrument, period_days)
);
CREATE TABLE locks (
    instrument TEXT PRIMARY KEY,
    source     TEXT NOT NULL CHECK (source IN ('manual', 'reconciliation')),
    reason     TEXT NOT NULL,
    locked_at  TEXT NOT NULL
);
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    strategy   TEXT NOT NULL DEFAULT '',
    instrument TEXT NOT NULL DEFAULT '',
    event      TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TABLE sim_executions (
    id              INTEGER PRIMARY KEY,
    client_order_id TEXT NOT NULL UNIQUE,
    broker_order_id TEXT NOT NULL,
    instrument      TEXT NOT NULL,
    contract        TEXT NOT NULL,
    quantity        INTEGER NOT NULL,
    price           REAL NOT NULL,
    executed_at     TEXT NOT NULL
);
";
