//! Integration tests: `place-orders` run as a process against state.sqlite seeded with optimal
//! positions, with the sim broker and with the fake IB Client Portal gateway on 127.0.0.1.

use assert_cmd::Command;
use rusqlite::Connection;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use systrade_ibkr::fakes::{FakeFuture, FakeGateway, FakeGatewayConfig, FillPlan, SubmitShape};
use systrade_model::{ContractDate, InstrumentCode, MultiplePricesRow, RollState, Timestamp};
use systrade_store::state::controls::LockSource;
use systrade_store::state::optimal::OptimalPosition;
use systrade_store::{StateReader, Store};
use tempfile::TempDir;

const DATE: &str = "2024-01-05";

fn data_dir() -> TempDir {
    let d = tempfile::tempdir().unwrap();
    Store::open(d.path()).open_state_for_writing().unwrap();
    d
}

/// The state as a later reader sees it.
fn state(dir: &Path) -> StateReader {
    Store::open(dir).open_state().unwrap()
}

fn code(i: &str) -> InstrumentCode {
    InstrumentCode::new(i).unwrap()
}

fn conn(dir: &Path) -> Connection {
    let c = Connection::open(dir.join("state.sqlite")).unwrap();
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    c
}

/// Writes an optimal position row as size-positions would.
fn seed(
    dir: &Path,
    strategy: &str,
    instrument: &str,
    lower: f64,
    upper: f64,
    price: f64,
    contract: &str,
) {
    let op = OptimalPosition {
        strategy: strategy.into(),
        instrument: code(instrument),
        timestamp: format!("{DATE} 21:00:00"),
        lower,
        upper,
        reference_price: price,
        reference_contract: contract.into(),
    };
    Store::open(dir)
        .open_state_for_writing()
        .unwrap()
        .transaction(|tx| tx.insert_optimal_position(&op))
        .unwrap();
}

/// The client order id `<prefix>-<rest>` of the data directory's prefix.
fn coid(dir: &Path, rest: &str) -> String {
    let prefix: String = conn(dir)
        .query_row(
            "SELECT value FROM meta WHERE key = 'client_order_prefix'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    format!("{prefix}-{rest}")
}

fn po(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("place-orders").unwrap();
    c.arg("--data-dir")
        .arg(dir)
        .args(["--no-progress", "--date", DATE]);
    c
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn strategy_pos(dir: &Path, s: &str, i: &str) -> i64 {
    state(dir).strategy_position(s, &code(i)).unwrap()
}

fn contract_pos(dir: &Path, i: &str, c: &str) -> i64 {
    state(dir)
        .contract_position(&code(i), c.parse().unwrap())
        .unwrap()
}

fn count(dir: &Path, sql: &str) -> i64 {
    conn(dir).query_row(sql, [], |r| r.get(0)).unwrap()
}

fn audit_events(dir: &Path, instrument: &str) -> Vec<String> {
    state(dir)
        .audit_rows()
        .unwrap()
        .into_iter()
        .filter(|a| a.instrument == instrument)
        .map(|a| a.event)
        .collect()
}

#[test]
fn sim_buffer_rule_fills_positions_history_and_idempotent_rerun() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "AAA", 2.4, 4.6, 100.0, "20240300");
    seed(p, "s1", "BBB", -3.2, -1.7, 50.0, "20240600");
    seed(p, "s1", "CCC", -0.4, 0.4, 10.0, "20240300");
    let out = po(p)
        .args(["--sim-slippage", "0.5", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    let orders: Vec<&Value> = j.iter().filter(|v| v["table"] == "orders").collect();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0]["client_order_id"], coid(p, "s1-AAA-20240105-001"));
    assert_eq!(orders[0]["status"], "filled");
    assert_eq!(orders[0]["price"], 100.5, "buy pays slippage");
    assert_eq!(orders[1]["price"], 49.5, "sell receives less");
    // The output convention: every row tagged with its table, keys = the column names, numbers
    // as numbers, contract ids as strings, missing values null.
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.lines().all(|l| l.starts_with("{\"table\":\"")),
        "{text}"
    );
    assert_eq!(orders[0]["trade"], 2);
    assert_eq!(orders[0]["contract"], "20240300");
    assert!(orders[0]["message"].is_null(), "{}", orders[0]);
    assert!(
        j.iter()
            .all(|v| ["instruments", "orders"].contains(&v["table"].as_str().unwrap()))
    );
    let ccc = j.iter().find(|v| v["instrument"] == "CCC").unwrap();
    assert_eq!(ccc["table"], "instruments");
    assert_eq!(ccc["lower"], -0.4);
    assert_eq!(ccc["position"], 0);
    assert_eq!(strategy_pos(p, "s1", "AAA"), 2, "round(2.4) = 2");
    assert_eq!(strategy_pos(p, "s1", "BBB"), -2, "round(-1.7) = -2");
    assert_eq!(strategy_pos(p, "s1", "CCC"), 0);
    assert_eq!(contract_pos(p, "AAA", "20240300"), 2);
    assert_eq!(contract_pos(p, "BBB", "20240600"), -2);
    assert_eq!(
        count(p, "SELECT COUNT(*) FROM broker_orders"),
        0,
        "completed orders leave the stack"
    );
    assert_eq!(count(p, "SELECT COUNT(*) FROM broker_orders_history"), 2);
    assert_eq!(
        count(p, "SELECT COUNT(*) FROM instrument_orders_history"),
        2
    );
    assert_eq!(count(p, "SELECT COUNT(*) FROM fills"), 2);

    // Re-run: positions are inside the buffer; nothing new.
    po(p).assert().success();
    assert_eq!(count(p, "SELECT COUNT(*) FROM broker_orders_history"), 2);

    // Positions and order listings.
    let out = po(p)
        .args(["positions", "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("level,strategy,instrument,contract,position\n"),
        "{text}"
    );
    assert!(text.contains("strategy,s1,AAA,,2\n"), "{text}");
    assert!(text.contains("contract,,BBB,20240600,-2\n"), "{text}");
    let out = po(p)
        .args(["orders", "--history", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    assert_eq!(j.iter().filter(|v| v["level"] == "broker").count(), 2);
    let io = j.iter().find(|v| v["level"] == "instrument").unwrap();
    assert!(io["id"].is_i64(), "{io}");
    assert!(
        io["contract"].is_null() && io["client_order_id"].is_null(),
        "{io}"
    );
    let out = po(p)
        .args(["orders"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(out).unwrap().lines().count(),
        1,
        "header only: stack empty"
    );
}

#[test]
fn dry_run_writes_and_sends_nothing() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "AAA", 2.4, 4.6, 100.0, "20240300");
    let out = po(p)
        .args(["--dry-run", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    let o: Vec<&Value> = j.iter().filter(|v| v["table"] == "orders").collect();
    assert_eq!(o.len(), 1);
    assert_eq!(o[0]["trade"], 2);
    assert_eq!(o[0]["status"], "dry-run");
    assert_eq!(count(p, "SELECT COUNT(*) FROM broker_orders"), 0);
    assert_eq!(count(p, "SELECT COUNT(*) FROM sim_executions"), 0);
    assert_eq!(count(p, "SELECT COUNT(*) FROM client_order_sequences"), 0);
    // The real run then uses sequence 1.
    po(p).assert().success();
    assert_eq!(
        count(
            p,
            &format!(
                "SELECT COUNT(*) FROM fills WHERE client_order_id = '{}'",
                coid(p, "s1-AAA-20240105-001")
            )
        ),
        1
    );
}

#[test]
fn overrides_position_limits_and_manual_locks() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "RED", 3.0, 3.0, 10.0, "20240300");
    seed(p, "s1", "HALF", 6.0, 6.0, 10.0, "20240300");
    seed(p, "s1", "LIM", 8.0, 8.0, 10.0, "20240300");
    seed(p, "s2", "LIM", 8.0, 8.0, 10.0, "20240300");
    seed(p, "s1", "LCK", 2.0, 2.0, 10.0, "20240300");
    seed(p, "s1", "NOT", 2.0, 2.0, 10.0, "20240300");
    po(p)
        .args(["overrides", "set", "--instrument", "RED", "reduce-only"])
        .assert()
        .success();
    po(p)
        .args([
            "overrides",
            "set",
            "--strategy",
            "s1",
            "--instrument",
            "HALF",
            "0.5",
        ])
        .assert()
        .success();
    po(p)
        .args(["overrides", "set", "--instrument", "NOT", "no-trading"])
        .assert()
        .success();
    po(p)
        .args([
            "limits",
            "position",
            "--strategy",
            "s1",
            "--instrument",
            "LIM",
            "5",
        ])
        .assert()
        .success();
    po(p)
        .args(["limits", "position", "--instrument", "LIM", "7"])
        .assert()
        .success();
    po(p)
        .args(["locks", "add", "LCK", "--reason", "exchange halt"])
        .assert()
        .success();
    let out = po(p)
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    let status = |s: &str, i: &str| {
        j.iter()
            .find(|v| v["table"] == "instruments" && v["strategy"] == s && v["instrument"] == i)
            .map(|v| {
                (
                    v["status"].as_str().unwrap().to_string(),
                    v["trade"].as_i64().unwrap(),
                )
            })
            .unwrap()
    };
    assert_eq!(
        status("s1", "RED"),
        ("blocked".into(), 0),
        "reduce-only blocks opening"
    );
    assert_eq!(status("s1", "HALF"), ("placed".into(), 3), "floor(6 × 0.5)");
    assert_eq!(status("s1", "NOT"), ("blocked".into(), 0));
    assert_eq!(
        status("s1", "LIM"),
        ("placed".into(), 5),
        "strategy limit 5"
    );
    assert_eq!(
        status("s2", "LIM"),
        ("placed".into(), 2),
        "instrument limit 7 with 5 held"
    );
    assert_eq!(status("s1", "LCK").0, "locked");
    assert_eq!(strategy_pos(p, "s1", "HALF"), 3);
    assert_eq!(strategy_pos(p, "s2", "LIM"), 2);
    assert_eq!(strategy_pos(p, "s1", "LCK"), 0);
    assert!(audit_events(p, "RED").contains(&"override".to_string()));
    assert!(audit_events(p, "LIM").contains(&"position_limit".to_string()));
    assert!(audit_events(p, "LCK").contains(&"skipped_locked".to_string()));
    // The audit table is append-only.
    assert!(
        conn(p)
            .execute("UPDATE audit SET detail = 'x'", [])
            .is_err()
    );
    assert!(conn(p).execute("DELETE FROM audit", []).is_err());
    // Clearing the lock lets the order through.
    po(p).args(["locks", "clear", "LCK"]).assert().success();
    po(p).assert().success();
    assert_eq!(strategy_pos(p, "s1", "LCK"), 2);
    let out = po(p)
        .args(["overrides", "list", "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let t = String::from_utf8(out).unwrap();
    assert!(t.contains(",RED,reduce-only"), "{t}");
    assert!(t.contains("s1,HALF,0.5"), "{t}");
    po(p)
        .args(["overrides", "set", "--instrument", "RED", "1.5"])
        .assert()
        .code(2);
}

#[test]
fn trade_limits_cap_per_period_and_reset() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "TRD", 5.0, 5.0, 10.0, "20240300");
    po(p)
        .args([
            "limits",
            "trade",
            "--instrument",
            "TRD",
            "--period-days",
            "1",
            "2",
        ])
        .assert()
        .success();
    po(p).assert().success();
    assert_eq!(strategy_pos(p, "s1", "TRD"), 2);
    assert!(audit_events(p, "TRD").contains(&"trade_limit".to_string()));
    po(p).assert().success();
    assert_eq!(strategy_pos(p, "s1", "TRD"), 2, "capacity used up today");
    // Two days later (more than one day since the last reset) the counter resets.
    po(p).args(["--date", "2024-01-07"]).assert().success();
    assert_eq!(strategy_pos(p, "s1", "TRD"), 4);
    let out = po(p)
        .args(["limits", "list", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    assert_eq!(j[0]["kind"], "trade");
    assert_eq!(j[0]["max"], 2);
    assert_eq!(j[0]["traded"], 2);
    assert_eq!(j[0]["last_reset"], "2024-01-07");
    assert!(j[0]["strategy"].is_null(), "instrument-wide: {}", j[0]);
}

#[test]
fn sim_reconciliation_break_locks_and_clears() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "SIMR", 1.0, 1.0, 100.0, "20240300");
    po(p).assert().success();
    // Someone traded in the account behind our back.
    conn(p)
        .execute(
            "INSERT INTO sim_executions (client_order_id, broker_order_id, instrument, contract, quantity, price, executed_at)
             VALUES ('manual', 'X1', 'SIMR', '20240300', 1, 100.0, '2024-01-05')",
            [],
        )
        .unwrap();
    seed(p, "s1", "SIMR", 3.0, 3.0, 100.0, "20240300");
    po(p).assert().code(4);
    assert_eq!(strategy_pos(p, "s1", "SIMR"), 1, "locked: no order");
    assert_eq!(state(p).locks().unwrap()[0].instrument.as_str(), "SIMR");
    // Undone at the broker: the lock clears and the order goes through.
    conn(p)
        .execute(
            "DELETE FROM sim_executions WHERE client_order_id = 'manual'",
            [],
        )
        .unwrap();
    po(p).assert().success();
    assert!(state(p).locks().unwrap().is_empty());
    assert_eq!(strategy_pos(p, "s1", "SIMR"), 3);
}

fn write_multiple(
    dir: &Path,
    instrument: &str,
    priced: i64,
    forward: i64,
    price: f64,
    fwd_price: f64,
) {
    let store = Store::open(dir);
    let w = store.lock_for_writing(Duration::from_secs(5)).unwrap();
    let row = MultiplePricesRow {
        timestamp: Timestamp::parse(DATE).unwrap(),
        price,
        price_contract: ContractDate::from_id(priced).unwrap(),
        forward: fwd_price,
        forward_contract: ContractDate::from_id(forward).unwrap(),
        carry: f64::NAN,
        carry_contract: ContractDate::from_id(forward).unwrap(),
    };
    w.write_multiple_prices(&InstrumentCode::new(instrument).unwrap(), &vec![row])
        .unwrap();
}

#[test]
fn roll_states_split_and_roll_orders() {
    let d = data_dir();
    let p = d.path();
    let names = ["PAS", "FRC", "OUT", "CLO", "RAD", "NOP"];
    for i in names {
        seed(p, "s1", i, 3.0, 3.0, 100.0, "20240300");
        write_multiple(p, i, 20240300, 20240600, 100.0, 102.0);
    }
    po(p).assert().success();
    for i in names {
        assert_eq!(contract_pos(p, i, "20240300"), 3, "{i}");
    }
    // roll_states belongs to roll-contracts (roll-contracts state --set writes it this way).
    Store::open(p)
        .open_state_for_writing()
        .unwrap()
        .transaction(|tx| {
            for (i, s) in [
                ("PAS", RollState::Passive),
                ("FRC", RollState::Force),
                ("OUT", RollState::ForceOutright),
                ("CLO", RollState::Close),
                ("RAD", RollState::RollAdjusted),
                ("NOP", RollState::NoOpen),
            ] {
                tx.set_roll_state(&code(i), s, RollState::NoRoll)?;
            }
            Ok::<_, systrade_store::StoreError>(())
        })
        .unwrap();
    seed(p, "s1", "PAS", -2.0, -2.0, 100.0, "20240300");
    seed(p, "s1", "RAD", 4.0, 4.0, 100.0, "20240300");
    seed(p, "s1", "NOP", 5.0, 5.0, 100.0, "20240300");
    po(p).assert().success();
    // Passive crossing zero: close 3 in priced, −2 in forward.
    assert_eq!(contract_pos(p, "PAS", "20240300"), 0);
    assert_eq!(contract_pos(p, "PAS", "20240600"), -2);
    assert_eq!(strategy_pos(p, "s1", "PAS"), -2);
    let fwd_price: f64 = conn(p)
        .query_row(
            "SELECT price FROM fills WHERE instrument = 'PAS' AND contract = '20240600'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        fwd_price, 102.0,
        "forward leg reference shifted by forward − priced"
    );
    // Force: spread roll, strategy position unchanged.
    for i in ["FRC", "OUT"] {
        assert_eq!(contract_pos(p, i, "20240300"), 0, "{i}");
        assert_eq!(contract_pos(p, i, "20240600"), 3, "{i}");
        assert_eq!(strategy_pos(p, "s1", i), 3, "{i}");
        assert!(audit_events(p, i).contains(&"roll_order".to_string()));
    }
    let spread: i64 = count(
        p,
        "SELECT COUNT(DISTINCT spread_group) FROM contract_orders_history WHERE instrument = 'FRC' AND spread_group IS NOT NULL",
    );
    assert_eq!(spread, 1);
    assert_eq!(
        count(
            p,
            "SELECT COUNT(*) FROM contract_orders_history WHERE instrument = 'OUT' AND spread_group IS NOT NULL"
        ),
        0
    );
    // Close: priced position closed for the strategy.
    assert_eq!(contract_pos(p, "CLO", "20240300"), 0);
    assert_eq!(strategy_pos(p, "s1", "CLO"), 0);
    // Roll_Adjusted holds new orders; No_Open allows only reducing trades.
    assert_eq!(strategy_pos(p, "s1", "RAD"), 3);
    assert!(audit_events(p, "RAD").contains(&"held_by_roll_state".to_string()));
    assert_eq!(strategy_pos(p, "s1", "NOP"), 3);
    assert!(audit_events(p, "NOP").contains(&"override".to_string()));
    // With the priced position closed, Close trades as Passive (pysystemtrade sets the state to
    // Passive): the optimal position is rebuilt in the forward contract.
    po(p).assert().success();
    assert_eq!(strategy_pos(p, "s1", "CLO"), 3);
    assert_eq!(contract_pos(p, "CLO", "20240300"), 0);
    assert_eq!(contract_pos(p, "CLO", "20240600"), 3);
    assert!(audit_events(p, "CLO").contains(&"roll_state_passive".to_string()));
    // Force with nothing left in the priced contract: no further roll order.
    let before = count(
        p,
        "SELECT COUNT(*) FROM contract_orders_history WHERE instrument = 'FRC'",
    );
    po(p).assert().success();
    assert_eq!(
        count(
            p,
            "SELECT COUNT(*) FROM contract_orders_history WHERE instrument = 'FRC'"
        ),
        before
    );
}

/// The fake gateway as the order tests use it: every symbol listed (monthly futures expiring on
/// the 15th, multiplier 1).
fn orders_config() -> FakeGatewayConfig {
    FakeGatewayConfig {
        synthesize_futures: true,
        ..FakeGatewayConfig::default()
    }
}

const IBKR_HEADER: &str =
    "Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IgnoreWeekly\n";

/// `config/ibkr.csv` with the given rows after the header.
fn write_ibkr_csv(dir: &Path, rows: &str) {
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(dir.join("config/ibkr.csv"), format!("{IBKR_HEADER}{rows}")).unwrap();
}

/// Maps each instrument to the IB symbol of the same name on CME (unless a mapping exists).
fn map_instruments(dir: &Path, instruments: &[&str]) {
    if !dir.join("config/ibkr.csv").exists() {
        let rows: String = instruments
            .iter()
            .map(|i| format!("{i},{i},CME,USD,,1,FALSE\n"))
            .collect();
        write_ibkr_csv(dir, &rows);
    }
}

fn ibkr(dir: &Path, fake: &FakeGateway) -> Command {
    map_instruments(dir, &["PRT", "OLD", "KIL", "REC", "AAA"]);
    let mut c = po(dir);
    c.args([
        "--broker",
        "ibkr",
        "--ibkr-url",
        &fake.base_url(),
        "--poll-interval",
        "20",
        "--wait",
        "10",
    ]);
    c
}

#[test]
fn ibkr_four_answer_shapes_and_fills() {
    let d = data_dir();
    let p = d.path();
    write_ibkr_csv(
        p,
        "A1,MES,CME,USD,,1,FALSE\nA2,A2,CME,USD,,1,FALSE\nA3,A3,CME,,,1,FALSE\nA4,A4,CME,,,1,FALSE\n",
    );
    for i in ["A1", "A2", "A3", "A4"] {
        seed(p, "s1", i, 2.0, 2.0, 100.0, "20240300");
    }
    let fake = FakeGateway::start(FakeGatewayConfig {
        shapes: [
            SubmitShape::ReplyNeeded(2),
            SubmitShape::Error("Order not confirmed ".into()),
            SubmitShape::Prompt("price exceeds the percentage constraint".into()),
            SubmitShape::Success,
        ]
        .into(),
        ..orders_config()
    });
    let out = ibkr(p, &fake)
        .args(["--format", "json"])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    let o = |i: &str| {
        j.iter()
            .find(|v| v["table"] == "orders" && v["instrument"] == i)
            .unwrap()
            .clone()
    };
    assert_eq!(o("A1")["status"], "filled");
    assert_eq!(o("A2")["status"], "rejected");
    assert!(
        o("A2")["message"]
            .as_str()
            .unwrap()
            .contains("Order not confirmed")
    );
    assert_eq!(o("A3")["status"], "rejected");
    assert!(o("A3")["message"].as_str().unwrap().contains("prompt"));
    assert_eq!(o("A4")["status"], "filled");
    assert_eq!(fake.submissions(), 4);
    assert_eq!(fake.replies_answered(), 2);
    assert_eq!(fake.order_count(), 2);
    assert_eq!(strategy_pos(p, "s1", "A1"), 2);
    assert_eq!(strategy_pos(p, "s1", "A2"), 0);
    assert_eq!(contract_pos(p, "A4", "20240300"), 2);
    assert!(audit_events(p, "A2").contains(&"rejected".to_string()));
    // The refused ones are retried by the next run (with new client order ids); positions agree.
    ibkr(p, &fake).assert().success();
    assert_eq!(strategy_pos(p, "s1", "A2"), 2);
    assert_eq!(strategy_pos(p, "s1", "A3"), 2);
    assert_eq!(fake.submissions(), 6);
    assert!(
        fake.orders()
            .iter()
            .any(|(c, ..)| *c == coid(p, "s1-A2-20240105-002"))
    );
}

#[test]
fn ibkr_partial_fills_and_status_transitions() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "PRT", -3.0, -3.0, 100.0, "20240300");
    let fake = FakeGateway::start(FakeGatewayConfig {
        fill_plan: FillPlan::Partial(3),
        default_price: 101.0,
        ..orders_config()
    });
    ibkr(p, &fake).assert().success();
    let f = state(p).fills().unwrap();
    assert_eq!(
        f.iter().map(|x| x.quantity).collect::<Vec<_>>(),
        vec![-1, -1, -1]
    );
    assert!(f.iter().all(|x| x.price == Some(101.0)));
    assert_eq!(strategy_pos(p, "s1", "PRT"), -3);
    assert_eq!(contract_pos(p, "PRT", "20240300"), -3);
    assert_eq!(fake.orders()[0].3, "Filled");

    // Held orders stay working when the wait is over; the next run picks up the fill.
    seed(p, "s1", "PRT", -5.0, -5.0, 100.0, "20240300");
    fake.configure(|c| c.fill_plan = FillPlan::Hold);
    ibkr(p, &fake).args(["--wait", "0.2"]).assert().success();
    assert_eq!(
        count(
            p,
            "SELECT COUNT(*) FROM broker_orders WHERE status = 'submitted'"
        ),
        1
    );
    assert_eq!(strategy_pos(p, "s1", "PRT"), -3);
    fake.release();
    ibkr(p, &fake).assert().success();
    assert_eq!(strategy_pos(p, "s1", "PRT"), -5);
    assert_eq!(
        fake.submissions(),
        2,
        "the working order was not sent again"
    );
    assert_eq!(count(p, "SELECT COUNT(*) FROM broker_orders"), 0);
}

#[test]
fn ibkr_status_unavailable_falls_back_to_lookup_by_client_id() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "OLD", 2.0, 2.0, 100.0, "20240300");
    let fake = FakeGateway::start(FakeGatewayConfig {
        fill_plan: FillPlan::Hold,
        ..orders_config()
    });
    ibkr(p, &fake).args(["--wait", "0.1"]).assert().success();
    assert_eq!(strategy_pos(p, "s1", "OLD"), 0);
    // A new gateway session: status by order id is gone; the fill is found by client order id.
    fake.release();
    fake.configure(|c| c.status_unavailable = true);
    ibkr(p, &fake).assert().success();
    assert_eq!(strategy_pos(p, "s1", "OLD"), 2);
    assert_eq!(fake.submissions(), 1);
    assert_eq!(
        count(
            p,
            "SELECT COUNT(*) FROM broker_orders_history WHERE status = 'filled'"
        ),
        1
    );
}

#[test]
fn ibkr_kill_between_submission_and_fill_never_sends_twice() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "KIL", 4.0, 4.0, 100.0, "20240300");
    let fake = FakeGateway::start(FakeGatewayConfig {
        submit_delay: Duration::from_secs(5),
        ..orders_config()
    });
    map_instruments(p, &["KIL"]);
    let bin = assert_cmd::cargo::cargo_bin("place-orders");
    let mut child = std::process::Command::new(bin)
        .arg("--data-dir")
        .arg(p)
        .args([
            "--no-progress",
            "--date",
            DATE,
            "--broker",
            "ibkr",
            "--ibkr-url",
            &fake.base_url(),
            "-q",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while fake.submissions() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no submission arrived"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert_eq!(
        count(
            p,
            "SELECT COUNT(*) FROM broker_orders WHERE status = 'pending_submit' AND submitted_at IS NOT NULL"
        ),
        1
    );
    assert_eq!(count(p, "SELECT COUNT(*) FROM fills"), 0);
    fake.configure(|c| c.submit_delay = Duration::ZERO);
    ibkr(p, &fake).assert().success();
    assert_eq!(
        fake.submissions(),
        1,
        "looked up by client order id, not sent again"
    );
    assert_eq!(fake.order_count(), 1);
    assert_eq!(strategy_pos(p, "s1", "KIL"), 4);
    assert_eq!(count(p, "SELECT COUNT(*) FROM fills"), 1);
    assert_eq!(
        count(
            p,
            &format!(
                "SELECT COUNT(*) FROM broker_orders_history WHERE client_order_id = '{}' AND status = 'filled'",
                coid(p, "s1-KIL-20240105-001")
            )
        ),
        1
    );
    // Nothing more to do.
    ibkr(p, &fake).assert().success();
    assert_eq!(fake.submissions(), 1);
}

#[test]
fn ibkr_reconciliation_break_locks_then_clears() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "REC", 1.0, 1.0, 100.0, "20240300");
    let fake = FakeGateway::start(orders_config());
    let conid = fake.conid("REC", 202403).unwrap();
    fake.configure(|c| c.extra_positions = vec![(conid, 2)]);
    // Pre-trade reconciliation finds the broker holding 2 we don't know about.
    let out = ibkr(p, &fake)
        .args(["--format", "json"])
        .assert()
        .code(4)
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    assert!(
        j.iter()
            .any(|v| v["table"] == "breaks" && v["instrument"] == "REC" && v["broker"] == 2)
    );
    assert!(j.iter().any(|v| v["table"] == "instruments"
        && v["instrument"] == "REC"
        && v["status"] == "locked"));
    assert_eq!(fake.submissions(), 0);
    let locks = state(p).locks().unwrap();
    assert_eq!(locks.len(), 1);
    assert_eq!(locks[0].source, LockSource::Reconciliation);
    // Still broken: still locked, still exit 4.
    ibkr(p, &fake).assert().code(4);
    assert_eq!(fake.submissions(), 0);
    // The break is resolved at the broker: the lock clears and trading resumes in the same run.
    fake.configure(|c| c.extra_positions.clear());
    ibkr(p, &fake).assert().success();
    assert!(state(p).locks().unwrap().is_empty());
    assert_eq!(fake.submissions(), 1);
    assert_eq!(strategy_pos(p, "s1", "REC"), 1);
    let ev = audit_events(p, "REC");
    assert!(
        ev.contains(&"lock".to_string()) && ev.contains(&"unlock".to_string()),
        "{ev:?}"
    );
}

#[test]
fn ibkr_not_logged_in_is_broker_unavailable() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "AAA", 1.0, 1.0, 100.0, "20240300");
    let fake = FakeGateway::start(FakeGatewayConfig {
        logged_in: false,
        ..orders_config()
    });
    ibkr(p, &fake).assert().code(5);
    // A dry run needs no gateway.
    ibkr(p, &fake).arg("--dry-run").assert().success();
}

#[test]
fn ibkr_initialises_the_session_before_trading() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "AAA", 1.0, 1.0, 100.0, "20240300");
    // The brokerage session is not initialised: /iserver/* answers 401 until ssodh/init.
    let fake = FakeGateway::start(orders_config());
    ibkr(p, &fake).assert().success();
    let stats = fake.stats();
    assert_eq!(stats.ssodh_inits, 1, "{stats:?}");
    assert_eq!(stats.answered_401, 0, "{stats:?}");
    assert!(
        stats.tickles >= 1 && stats.requests_with_cookie > 0,
        "{stats:?}"
    );
    assert_eq!(strategy_pos(p, "s1", "AAA"), 1);
}

#[test]
fn ibkr_prices_cross_in_the_instruments_units() {
    let d = data_dir();
    let p = d.path();
    // MAG is quoted by the gateway in dollars and stored in cents (priceMagnifier 100).
    write_ibkr_csv(p, "MAG,MAG,CME,USD,5000,100,FALSE\n");
    seed(p, "s1", "MAG", 2.0, 2.0, 480.0, "20240300");
    let fake = FakeGateway::start(FakeGatewayConfig {
        futures: vec![FakeFuture {
            multiplier: 5000.0,
            price: Some(4.8025),
            ..FakeFuture::new("MAG", "CME", 7001, 20240315)
        }],
        ..orders_config()
    });
    ibkr(p, &fake).assert().success();
    let f = state(p).fills().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].price, Some(480.25));
    assert_eq!(contract_pos(p, "MAG", "20240300"), 2);
    // The broker's position maps back (multiplier checked): no break on the next run.
    ibkr(p, &fake).assert().success();
    assert!(state(p).locks().unwrap().is_empty());
}

#[test]
fn ibkr_ignore_weekly_picks_the_monthly_future() {
    let d = data_dir();
    let p = d.path();
    write_ibkr_csv(p, "VXW,VX,CFE,USD,,1,FALSE\n");
    std::fs::write(
        p.join("config/rolls.csv"),
        "Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n\
         VXW,FGHJKMNQUVXZ,-10,1,FGHJKMNQUVXZ,19\n",
    )
    .unwrap();
    seed(p, "s1", "VXW", 1.0, 1.0, 15.0, "20240300");
    let futures = [20240306, 20240313, 20240320, 20240327]
        .into_iter()
        .enumerate()
        .map(|(k, e)| FakeFuture::new("VX", "CFE", 8001 + k as i64, e))
        .collect();
    let fake = FakeGateway::start(FakeGatewayConfig {
        futures,
        ..orders_config()
    });
    // Weeklies listed next to the monthly future and IgnoreWeekly not set: nothing is sent.
    let out = ibkr(p, &fake)
        .args(["--format", "json"])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    let order = j.iter().find(|v| v["table"] == "orders").unwrap();
    assert_eq!(order["status"], "rejected");
    assert!(
        order["message"].as_str().unwrap().contains("IgnoreWeekly"),
        "{order}"
    );
    assert_eq!(fake.submissions(), 0);
    write_ibkr_csv(p, "VXW,VX,CFE,USD,,1,TRUE\n");
    ibkr(p, &fake).assert().success();
    assert_eq!(fake.order_conids(), vec![8003]);
    assert_eq!(contract_pos(p, "VXW", "20240300"), 1);
}

#[test]
fn ibkr_refuses_unmapped_instruments_and_untrusted_certificates() {
    let d = data_dir();
    let p = d.path();
    write_ibkr_csv(p, "AAA,AAA,CME,USD,,1,FALSE\n");
    seed(p, "s1", "ZZZ", 1.0, 1.0, 100.0, "20240300");
    let fake = FakeGateway::start(orders_config());
    let out = ibkr(p, &fake)
        .args(["--format", "json"])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    let order = j.iter().find(|v| v["table"] == "orders").unwrap();
    assert!(
        order["message"]
            .as_str()
            .unwrap()
            .contains("config/ibkr.csv"),
        "{order}"
    );
    assert_eq!(fake.submissions(), 0);

    let tls = FakeGateway::start_on(0, true, orders_config());
    let out = po(p)
        .args(["--broker", "ibkr", "--ibkr-url", &tls.base_url()])
        .assert()
        .code(5)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&out);
    assert!(
        err.contains("certificate was refused") && err.contains("--ibkr-insecure"),
        "{err}"
    );
    write_ibkr_csv(p, "AAA,AAA,CME,USD,,1,FALSE\nZZZ,ZZZ,CME,USD,,1,FALSE\n");
    po(p)
        .args([
            "--broker",
            "ibkr",
            "--ibkr-url",
            &tls.base_url(),
            "--ibkr-insecure",
        ])
        .args(["--poll-interval", "20", "--wait", "10"])
        .assert()
        .success();
    assert_eq!(strategy_pos(p, "s1", "ZZZ"), 1);
}

/// Issue 14 item 1: the reproduction of the issue (three runs for capitals 2.5 M, 5 M and 1 M, so
/// every run opens, grows or shrinks positions and every family moves to history). Ids must be
/// unique for the life of the data directory and every fill must carry its own order's
/// reference price.
#[test]
fn order_ids_are_unique_across_runs_and_history() {
    let d = data_dir();
    let p = d.path();
    let instruments = [
        ("CORN", 450.0),
        ("MES", 5000.0),
        ("GOLD", 2000.0),
        ("BUND", 130.0),
    ];
    for capital in [2.5, 5.0, 1.0] {
        for (k, (i, price)) in instruments.iter().enumerate() {
            let pos = capital * (k as f64 + 1.0);
            seed(p, "s1", i, pos, pos, *price, "20240300");
        }
        po(p).args(["--sim-slippage", "0.25"]).assert().success();
    }
    let out = po(p)
        .args(["orders", "--history", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    for kind in ["instrument", "broker"] {
        let ids: Vec<i64> = j
            .iter()
            .filter(|v| v["level"] == kind)
            .map(|v| v["id"].as_i64().unwrap())
            .collect();
        let unique: std::collections::BTreeSet<i64> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "{kind} ids reused: {ids:?}");
        assert_eq!(
            ids.len(),
            12,
            "{kind}: 4 instruments × 3 runs, each listed once"
        );
    }
    let coids: std::collections::BTreeSet<&str> = j
        .iter()
        .filter(|v| v["level"] == "broker")
        .map(|v| v["client_order_id"].as_str().unwrap())
        .collect();
    assert_eq!(coids.len(), 12, "each broker order listed once");
    assert_eq!(count(p, "SELECT COUNT(*) FROM sim_executions"), 12);
    // Every fill joins its own order's reference price (report trades' slippage).
    let fills = state(p).fills().unwrap();
    assert_eq!(fills.len(), 12);
    for f in &fills {
        let (_, price) = instruments
            .iter()
            .find(|(i, _)| *i == f.instrument.as_str())
            .unwrap();
        assert_eq!(f.reference_price, Some(*price), "{f:?}");
    }
    // report trades, through the report binary: each of the 12 fills (4 instruments, buys and
    // sells) costs exactly the simulated slippage against its own order's reference price.
    let report = assert_cmd::cargo::cargo_bin("report");
    if !report.exists() {
        let mut build = std::process::Command::new(env!("CARGO"));
        build.args(["build", "-q", "-p", "report"]);
        if report.components().any(|c| c.as_os_str() == "release") {
            build.arg("--release");
        }
        assert!(build.status().unwrap().success(), "cargo build -p report");
    }
    {
        // the instruments' config the report reads (cash slippage needs pointsizes)
        std::fs::create_dir_all(p.join("config")).unwrap();
        std::fs::write(
            p.join("config/instruments.csv"),
            "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n\
             CORN,corn,50,USD,Ags,0,0,0,US\nMES,micro s&p,5,USD,Equity,0,0,0,US\n\
             GOLD,gold,100,USD,Metals,0,0,0,US\nBUND,bund,1000,EUR,Bond,0,0,0,EMEA\n",
        )
        .unwrap();
        let out = Command::new(report)
            .env("SYSTRADE_DATA", p)
            .env("SYSTRADE_RUN_DATE", DATE)
            .args(["trades", "--format", "json", "-q"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let j: Value = serde_json::from_slice(&out).unwrap();
        let rows = j["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "trades")
            .unwrap()["rows"]
            .as_array()
            .unwrap()
            .clone();
        // the fills, without the total row
        let fills: Vec<&Value> = rows
            .iter()
            .filter(|r| r["quantity"].as_f64().is_some())
            .collect();
        assert_eq!(fills.len(), 12, "{rows:?}");
        for r in fills {
            let (_, price) = instruments
                .iter()
                .find(|(i, _)| r["instrument"] == *i)
                .unwrap_or_else(|| panic!("{r}"));
            assert_eq!(r["reference_price"].as_f64(), Some(*price), "{r}");
            assert_eq!(r["slippage"].as_f64(), Some(0.25), "{r}");
        }
    }
    // The ids of a later order stay above every id in history.
    seed(p, "s1", "CORN", 9.0, 9.0, 450.0, "20240300");
    po(p).assert().success();
    let max_hist = count(p, "SELECT MAX(id) FROM instrument_orders_history");
    assert_eq!(max_hist, 13);
}

/// A family stored but not sent, as an earlier run killed between generate and submit leaves it.
fn pending_order(dir: &Path, instrument: &str, trade: i64, price: f64) -> String {
    use systrade_store::state::orders::{NewBrokerOrder, NewContractOrder, NewInstrumentOrder};
    let i = code(instrument);
    let contract: ContractDate = "20240300".parse().unwrap();
    let at = "2024-01-04T21:00:00.000Z";
    Store::open(dir)
        .open_state_for_writing()
        .unwrap()
        .transaction(|tx| {
            let io = tx.insert_instrument_order(&NewInstrumentOrder {
                strategy: "s1",
                instrument: &i,
                trade,
                order_type: "best",
                reference_price: price,
                reference_contract: "20240300",
                reference_datetime: at,
                generated_datetime: at,
                roll_order: false,
            })?;
            let co = tx.insert_contract_order(&NewContractOrder {
                instrument_order_id: io,
                strategy: "s1",
                instrument: &i,
                contract,
                trade,
                reference_price: Some(price),
                roll_order: false,
                spread_group: None,
                generated_datetime: at,
            })?;
            let seq = tx.next_client_order_sequence("s1", &i, "20240104")?;
            let coid = format!("s1-{instrument}-20240104-{seq:03}");
            tx.insert_broker_order(&NewBrokerOrder {
                contract_order_id: co,
                strategy: "s1",
                instrument: &i,
                contract,
                client_order_id: &coid,
                trade,
                broker: "sim",
                created_at: at,
            })?;
            Ok::<_, systrade_store::StoreError>(coid)
        })
        .unwrap()
}

/// Issue 14 item 2: a pending order of an earlier run is not sent once reconciliation (or a
/// person) has locked its instrument, and the run says so.
#[test]
fn locked_instrument_sends_no_pending_order() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "LKP", 2.0, 2.0, 100.0, "20240300");
    seed(p, "s1", "LKM", 2.0, 2.0, 100.0, "20240300");
    let brk = pending_order(p, "LKP", 2, 100.0);
    let man = pending_order(p, "LKM", 2, 100.0);
    // A trade behind our back breaks LKP; LKM is locked by hand.
    conn(p)
        .execute(
            "INSERT INTO sim_executions (client_order_id, broker_order_id, instrument, contract, quantity, price, executed_at)
             VALUES ('manual', 'X1', 'LKP', '20240300', 1, 100.0, '2024-01-05')",
            [],
        )
        .unwrap();
    po(p)
        .args(["locks", "add", "LKM", "--reason", "exchange halt"])
        .assert()
        .success();
    let out = po(p)
        .args(["--format", "json"])
        .assert()
        .code(4)
        .get_output()
        .stdout
        .clone();
    let sent = |coid: &str| {
        count(
            p,
            &format!("SELECT COUNT(*) FROM sim_executions WHERE client_order_id = '{coid}'"),
        )
    };
    assert_eq!(sent(&brk), 0, "order sent for an instrument the run locked");
    assert_eq!(sent(&man), 0, "order sent for a manually locked instrument");
    assert_eq!(strategy_pos(p, "s1", "LKP"), 0);
    let j = json_lines(&out);
    for (coid, instrument, why) in [
        (&brk, "LKP", "ours 0, broker 1"),
        (&man, "LKM", "exchange halt"),
    ] {
        let o = j
            .iter()
            .find(|v| v["table"] == "orders" && v["client_order_id"] == coid.as_str())
            .unwrap_or_else(|| panic!("no order line for {coid}: {j:?}"));
        assert_eq!(o["status"], "locked", "{o}");
        let msg = o["message"].as_str().unwrap();
        assert!(
            msg.contains(&format!("{instrument} is locked")) && msg.contains(why),
            "{msg}"
        );
        assert!(audit_events(p, instrument).contains(&"held_locked".to_string()));
    }
    // Still pending: it goes out once the lock is cleared and nothing else is wrong.
    po(p).args(["locks", "clear", "LKM"]).assert().success();
    po(p).assert().code(4);
    assert_eq!(sent(&man), 1);
    assert_eq!(
        strategy_pos(p, "s1", "LKM"),
        2,
        "the pending order covered the trade"
    );
    assert_eq!(sent(&brk), 0);
}

/// Issue 15 item 1 (order side): absurd optimal positions (what a Pointsize of 1e-300 or an
/// overflow produces) are refused, reported, and lock the instrument; sane ones still trade.
#[test]
fn absurd_optimal_positions_are_refused_and_lock_the_instrument() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "HUGE", 1e19, 1e19, 100.0, "20240300");
    seed(
        p,
        "s1",
        "MINI",
        -9.223372036854776e18,
        -9.223372036854776e18,
        100.0,
        "20240300",
    );
    seed(p, "s1", "WIDE", 0.0, 1e300, 100.0, "20240300");
    seed(p, "s1", "BIG", 25.0, 25.0, 100.0, "20240300");
    seed(p, "s1", "FINE", 15.0, 15.0, 100.0, "20240300");
    let out = po(p)
        .args(["--max-contracts", "20", "--format", "json"])
        .assert()
        .code(4)
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    for i in ["HUGE", "MINI", "WIDE", "BIG"] {
        let l = j
            .iter()
            .find(|v| v["table"] == "instruments" && v["instrument"] == i)
            .unwrap();
        assert_eq!(l["status"], "refused", "{l}");
        assert_eq!(l["trade"], 0, "{l}");
        assert!(
            l["detail"].as_str().unwrap().contains("sanity bound"),
            "{l}"
        );
        assert_eq!(strategy_pos(p, "s1", i), 0, "{i}");
        assert!(audit_events(p, i).contains(&"sanity_bound".to_string()));
    }
    assert_eq!(strategy_pos(p, "s1", "FINE"), 15);
    let locks = state(p).locks().unwrap();
    let locked: Vec<(&str, LockSource)> = locks
        .iter()
        .map(|l| (l.instrument.as_str(), l.source))
        .collect();
    assert_eq!(
        locked,
        vec![
            ("BIG", LockSource::Sanity),
            ("HUGE", LockSource::Sanity),
            ("MINI", LockSource::Sanity),
            ("WIDE", LockSource::Sanity)
        ]
    );
    assert_eq!(count(p, "SELECT COUNT(*) FROM sim_executions"), 1);
    // The default bound (10000 contracts without capital) refuses the absurd ones again and
    // positions still read.
    po(p).assert().code(4);
    po(p).args(["positions"]).assert().success();
    assert_eq!(count(p, "SELECT COUNT(*) FROM sim_executions"), 1);
    // Fixed inputs and a cleared lock: BIG trades under the default bound.
    po(p).args(["locks", "clear", "BIG"]).assert().success();
    po(p).assert().code(4);
    assert_eq!(strategy_pos(p, "s1", "BIG"), 25);
    po(p).args(["--max-contracts", "0"]).assert().code(2);
}

/// Issue 14 item 9: a run that sent and filled an order (one left pending by an earlier run) says
/// so — its line is `resumed`, the summary counts it as sent — and a lock's reason follows the
/// position break when the break changes.
#[test]
fn run_lines_say_what_happened_and_lock_reasons_follow_the_break() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "RES", 2.0, 2.0, 100.0, "20240300");
    let coid = pending_order(p, "RES", 2, 100.0);
    let out = po(p)
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .clone();
    let j = json_lines(&out.stdout);
    let line = j
        .iter()
        .find(|v| v["table"] == "instruments" && v["instrument"] == "RES")
        .unwrap();
    assert_eq!(line["status"], "resumed", "{line}");
    assert!(line["detail"].as_str().unwrap().contains(&coid), "{line}");
    let o = j.iter().find(|v| v["table"] == "orders").unwrap();
    assert_eq!(o["status"], "filled");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains("placed=0"), "{log}");
    assert!(log.contains("sent=1") && log.contains("filled=1"), "{log}");
    assert_eq!(strategy_pos(p, "s1", "RES"), 2);

    // A break locks with its reason; when the break changes, so does the reason.
    let behind_our_back = |id: &str, qty: i64| {
        conn(p)
            .execute(
                "INSERT INTO sim_executions (client_order_id, broker_order_id, instrument, contract, quantity, price, executed_at)
                 VALUES (?1, ?1, 'RES', '20240300', ?2, 100.0, '2024-01-05')",
                rusqlite::params![id, qty],
            )
            .unwrap();
    };
    behind_our_back("manual-1", 1);
    po(p).assert().code(4);
    let reason = || state(p).locks().unwrap()[0].reason.clone();
    assert!(reason().contains("ours 2, broker 3"), "{}", reason());
    behind_our_back("manual-2", 2);
    po(p).assert().code(4);
    assert!(reason().contains("ours 2, broker 5"), "{}", reason());
    assert!(audit_events(p, "RES").contains(&"lock_reason".to_string()));
}

/// Issue 15 item 4 (place-orders): an order run takes the data directory's write lock before it
/// reads inputs — held elsewhere past --lock-timeout it exits 6 having done nothing; two
/// concurrent runs serialise (never "database is locked") and send each order once.
#[test]
fn order_run_takes_the_data_directory_write_lock() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "LCKD", 2.0, 2.0, 100.0, "20240300");
    let store = Store::open(p);
    let held = store.lock_for_writing(Duration::from_secs(5)).unwrap();
    let out = po(p)
        .args(["--lock-timeout", "0.3"])
        .assert()
        .code(6)
        .get_output()
        .clone();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("lock"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(p, "SELECT COUNT(*) FROM broker_orders"), 0);
    assert_eq!(count(p, "SELECT COUNT(*) FROM sim_executions"), 0);
    drop(held);
    let bin = assert_cmd::cargo::cargo_bin("place-orders");
    let spawn = || {
        std::process::Command::new(&bin)
            .arg("--data-dir")
            .arg(p)
            .args(["--no-progress", "--date", DATE])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for c in [a, b] {
        let o = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert!(!err.contains("database is locked"), "{err}");
    }
    assert_eq!(count(p, "SELECT COUNT(*) FROM sim_executions"), 1);
    assert_eq!(strategy_pos(p, "s1", "LCKD"), 2);
}

/// Issue 14 item 8: client order ids are unique per account. A data directory restored from a
/// backup (or a second one made by copying) on the same account draws its own prefix, so an order
/// it places does not reuse an id the account has already seen (the gateway refuses a duplicate
/// `cOID`, and a lookup by id would find the other directory's order).
#[test]
fn client_order_ids_are_unique_per_account_across_restored_data_dirs() {
    let a = data_dir();
    let b = tempfile::tempdir().unwrap();
    let (pa, pb) = (a.path(), b.path());
    let fake = FakeGateway::start(orders_config());
    // A trades AAA: its state now has the client order id prefix (and AAA +2, as the broker).
    seed(pa, "s1", "AAA", 2.0, 2.0, 100.0, "20240300");
    ibkr(pa, &fake).assert().success();
    // The backup, restored into another data directory later.
    std::fs::create_dir_all(pb.join("config")).unwrap();
    std::fs::copy(pa.join("config/ibkr.csv"), pb.join("config/ibkr.csv")).unwrap();
    std::fs::copy(pa.join("state.sqlite"), pb.join("state.sqlite")).unwrap();
    // A buys and sells KIL the same day: the account's KIL position is 0 again.
    seed(pa, "s1", "KIL", 4.0, 4.0, 100.0, "20240300");
    ibkr(pa, &fake).assert().success();
    seed(pa, "s1", "KIL", 0.0, 0.0, 100.0, "20240300");
    ibkr(pa, &fake).assert().success();
    assert_eq!(strategy_pos(pa, "s1", "KIL"), 0);
    // The restored directory buys KIL: its first KIL order of the day must not reuse A's id.
    seed(pb, "s1", "KIL", 4.0, 4.0, 100.0, "20240300");
    ibkr(pb, &fake).assert().success();
    assert_eq!(strategy_pos(pb, "s1", "KIL"), 4);
    assert_ne!(
        coid(pa, "s1-KIL-20240105-001"),
        coid(pb, "s1-KIL-20240105-001")
    );
    let ids: Vec<String> = fake.orders().into_iter().map(|o| o.0).collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 4, "{ids:?}");
    // The same data directory keeps its prefix: a re-run resends nothing and ids stay put.
    ibkr(pb, &fake).assert().success();
    assert_eq!(fake.orders().len(), 4);
}

/// Issue 14 item 5: `--instruments A` reconciles A only; the account's positions in other
/// configured instruments are mapped (not unknown positions) and are not breaks.
#[test]
fn ibkr_selected_instruments_do_not_make_other_holdings_breaks() {
    let d = data_dir();
    let p = d.path();
    let fake = FakeGateway::start(orders_config());
    seed(p, "s1", "KIL", 4.0, 4.0, 100.0, "20240300");
    seed(p, "s1", "AAA", 2.0, 2.0, 100.0, "20240300");
    ibkr(p, &fake).assert().success();
    assert_eq!(strategy_pos(p, "s1", "KIL"), 4);
    assert_eq!(strategy_pos(p, "s1", "AAA"), 2);
    seed(p, "s1", "AAA", 3.0, 3.0, 100.0, "20240300");
    let out = ibkr(p, &fake)
        .args(["--instruments", "AAA", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    assert!(!j.iter().any(|v| v["table"] == "breaks"), "{j:?}");
    assert!(
        j.iter()
            .all(|v| v["table"] != "instruments" || v["instrument"] == "AAA"),
        "{j:?}"
    );
    assert_eq!(strategy_pos(p, "s1", "AAA"), 3);
    assert!(state(p).locks().unwrap().is_empty());
    // A break in the selected instrument is still found (and only that one).
    let conid = fake.conid("AAA", 202403).unwrap();
    fake.configure(|c| c.extra_positions = vec![(conid, 1)]);
    ibkr(p, &fake)
        .args(["--instruments", "AAA"])
        .assert()
        .code(4);
    let locks = state(p).locks().unwrap();
    assert_eq!(locks.len(), 1);
    assert_eq!(locks[0].instrument.as_str(), "AAA");
}

/// Issue 14 item 7: a gateway that is not listening is "connection refused" (exit 5), naming
/// the URL flag, not a bare "error sending request".
#[test]
fn ibkr_connection_refused_says_so() {
    let d = data_dir();
    let p = d.path();
    seed(p, "s1", "AAA", 1.0, 1.0, 100.0, "20240300");
    write_ibkr_csv(p, "AAA,AAA,CME,USD,,1,FALSE\n");
    // A port nobody listens on: bind one, then close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = po(p)
        .args(["--broker", "ibkr", "--ibkr-url"])
        .arg(format!("http://127.0.0.1:{port}/v1/api"))
        .assert()
        .code(5)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&out);
    assert!(
        err.to_lowercase().contains("refused") && err.contains("--ibkr-url"),
        "{err}"
    );
    assert!(!err.contains("error sending request"), "{err}");
    assert_eq!(count(p, "SELECT COUNT(*) FROM broker_orders"), 0);
}

/// Issue 14 item 3: a crude-style contract (the December contract expires in November) is sent to
/// the future of its contract month, not the one expiring in December, and the contract as
/// resolved (conid, exact expiry) is stored in the contracts table for the roll report.
#[test]
fn ibkr_crude_style_contract_month_and_stored_expiry() {
    let d = data_dir();
    let p = d.path();
    write_ibkr_csv(
        p,
        "CRUDE_W,CL,NYMEX,USD,1000,1,FALSE\nSP500,ES,CME,USD,,1,FALSE\n",
    );
    std::fs::write(
        p.join("config/rolls.csv"),
        "Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n\
         CRUDE_W,Z,-5,1,FGHJKMNQUVXZ,-11\nSP500,HMUZ,-5,1,HMUZ,20\n",
    )
    .unwrap();
    let mut futures = Vec::new();
    for (k, (exp, month)) in [(20241120, 202412), (20241219, 202501), (20250121, 202502)]
        .into_iter()
        .enumerate()
    {
        let mut f = FakeFuture::new("CL", "NYMEX", 2000 + k as i64, exp);
        f.contract_month = Some(month);
        f.multiplier = 1000.0;
        f.price = Some(70.0);
        futures.push(f);
    }
    futures.push(FakeFuture::new("ES", "CME", 3001, 20241220));
    futures.push(FakeFuture::new("ES", "CME", 3002, 20250321));
    let fake = FakeGateway::start(FakeGatewayConfig {
        futures,
        ..orders_config()
    });
    seed(p, "s1", "CRUDE_W", 1.0, 1.0, 70.0, "20241200");
    seed(p, "s1", "SP500", 1.0, 1.0, 5000.0, "20241200");
    ibkr(p, &fake).assert().success();
    let mut conids = fake.order_conids();
    conids.sort_unstable();
    assert_eq!(
        conids,
        vec![2000, 3001],
        "CL December = the future expiring 20 Nov"
    );
    assert_eq!(contract_pos(p, "CRUDE_W", "20241200"), 1);
    let stored: Vec<(String, String, i64, String)> = state(p)
        .resolved_contracts()
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.instrument.to_string(),
                c.contract.to_string(),
                c.conid,
                c.expiry.to_string(),
            )
        })
        .collect();
    assert_eq!(
        stored,
        vec![
            (
                "CRUDE_W".into(),
                "20241200".into(),
                2000,
                "2024-11-20".into()
            ),
            ("SP500".into(), "20241200".into(), 3001, "2024-12-20".into()),
        ]
    );
    // Positions map back through the same contracts: no break on the next run.
    ibkr(p, &fake).assert().success();
    assert!(state(p).locks().unwrap().is_empty());
}

/// Issue 14, going live: `positions adopt --csv` shows the difference, refuses to record without a
/// terminal or --yes (exit 2), records with --yes (contract positions, the strategy's position,
/// one audit row per change naming who and the source), is a no-op when positions agree, and a
/// bad CSV row is refused naming file, row and field.
#[test]
fn adopt_positions_from_a_csv_needs_confirmation_and_is_audited() {
    let d = data_dir();
    let p = d.path();
    let csv = p.join("broker.csv");
    std::fs::write(
        &csv,
        "instrument,contract,position\nCORN,202412,3\nSP500,20241200,-2\n",
    )
    .unwrap();
    let adopt = |extra: &[&str]| {
        let mut c = po(p);
        c.args(["positions", "adopt", "--strategy", "s1", "--csv"])
            .arg(&csv)
            .args(extra)
            .env("USER", "alice");
        c
    };
    let out = adopt(&["--format", "csv"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--yes") && err.contains("terminal"), "{err}");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("CORN,20241200,0,3,+3"), "{shown}");
    assert_eq!(contract_pos(p, "CORN", "20241200"), 0);
    assert!(audit_events(p, "CORN").is_empty());

    adopt(&["--yes"]).assert().success();
    assert_eq!(contract_pos(p, "CORN", "20241200"), 3);
    assert_eq!(contract_pos(p, "SP500", "20241200"), -2);
    assert_eq!(strategy_pos(p, "s1", "CORN"), 3);
    assert_eq!(strategy_pos(p, "s1", "SP500"), -2);
    let rows: Vec<_> = state(p)
        .audit_rows()
        .unwrap()
        .into_iter()
        .filter(|a| a.event == "adopt")
        .collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(
        rows.iter()
            .any(|a| a.instrument == "CORN" && a.detail.contains("ours 0 -> 3")),
        "{rows:?}"
    );
    assert!(rows.iter().all(|a| a.detail.contains("by alice")));
    assert!(
        rows.iter()
            .all(|a| a.detail.contains("broker.csv") || a.detail.contains("strategy s1"))
    );

    // Agreeing positions: nothing to adopt, nothing audited.
    adopt(&["--yes"]).assert().success();
    assert_eq!(
        count(p, "SELECT COUNT(*) FROM audit WHERE event = 'adopt'"),
        4
    );

    // A position that is not whole: file, row and field named; nothing recorded.
    std::fs::write(&csv, "instrument,contract,position\nCORN,202412,1.5\n").unwrap();
    let out = adopt(&["--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broker.csv") && err.contains("row 1") && err.contains("position"),
        "{err}"
    );
    assert_eq!(contract_pos(p, "CORN", "20241200"), 3);
}

/// Issue 14, going live: on a terminal `positions adopt` shows the difference and asks; "n"
/// records nothing (exit 1), "y" records the broker's positions. The terminal is a real
/// pseudo-terminal from util-linux `script`, answered on its input.
#[test]
#[allow(clippy::print_stderr)] // says why it is skipped
fn adopt_asks_on_a_terminal_and_records_only_when_confirmed() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: util-linux `script` (a pseudo-terminal) is not installed");
        return;
    }
    let d = data_dir();
    let p = d.path();
    let csv = p.join("broker.csv");
    std::fs::write(
        &csv,
        "instrument,contract,position
CORN,202412,3
",
    )
    .unwrap();
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let command = [
        assert_cmd::cargo::cargo_bin("place-orders")
            .display()
            .to_string(),
        "--data-dir".into(),
        p.display().to_string(),
        "--no-progress".into(),
        "--date".into(),
        DATE.into(),
        "positions".into(),
        "adopt".into(),
        "--strategy".into(),
        "s1".into(),
        "--csv".into(),
        csv.display().to_string(),
    ]
    .iter()
    .map(|a| quote(a))
    .collect::<Vec<_>>()
    .join(" ");
    let at_terminal = |answer: &str| {
        Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("USER", "alice")
            .write_stdin(answer)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap()
    };
    let out = at_terminal("n\n");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("[y/N]"), "the question is asked: {shown}");
    assert!(shown.contains("CORN"), "the difference is shown: {shown}");
    assert_eq!(contract_pos(p, "CORN", "20241200"), 0);
    assert!(audit_events(p, "CORN").is_empty());

    let out = at_terminal("y\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(contract_pos(p, "CORN", "20241200"), 3);
    assert_eq!(strategy_pos(p, "s1", "CORN"), 3);
    assert!(audit_events(p, "CORN").contains(&"adopt".to_string()));
}

/// Issue 14, going live: `trades add` records a fill done outside the system as a complete,
/// filled order family (orders --history, the fills report trades reads), moves strategy and
/// contract positions, is audited, and is refused when it is no trade (exit 2) or beyond the
/// sanity bound, for the trade or the resulting position (exit 4).
#[test]
fn manual_trades_move_positions_show_in_history_and_are_audited() {
    let d = data_dir();
    let p = d.path();
    let add = |args: &[&str]| {
        let mut c = po(p);
        c.args(["trades", "add"]).args(args).env("USER", "bob");
        c
    };
    add(&[
        "CORN",
        "202412",
        "5",
        "--price",
        "480.25",
        "--strategy",
        "s1",
        "--reason",
        "pysystemtrade balance",
    ])
    .assert()
    .success();
    add(&[
        "CORN",
        "20241200",
        "-2",
        "--price",
        "481",
        "--strategy",
        "s1",
    ])
    .assert()
    .success();
    assert_eq!(strategy_pos(p, "s1", "CORN"), 3);
    assert_eq!(contract_pos(p, "CORN", "20241200"), 3);
    let out = po(p)
        .args(["orders", "--history", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows = json_lines(&out.stdout);
    let broker: Vec<&Value> = rows.iter().filter(|r| r["level"] == "broker").collect();
    assert_eq!(broker.len(), 2, "{rows:?}");
    assert!(broker.iter().all(|r| r["type_or_status"] == "filled"));
    let instrument: Vec<&Value> = rows.iter().filter(|r| r["level"] == "instrument").collect();
    assert!(instrument.iter().all(|r| r["type_or_status"] == "balance"));
    let fills = state(p).fills().unwrap();
    assert_eq!(
        fills
            .iter()
            .map(|f| (f.quantity, f.price, f.reference_price))
            .collect::<Vec<_>>(),
        vec![
            (5, Some(480.25), Some(480.25)),
            (-2, Some(481.0), Some(481.0))
        ]
    );
    let audit: Vec<_> = state(p)
        .audit_rows()
        .unwrap()
        .into_iter()
        .filter(|a| a.event == "manual_trade")
        .collect();
    assert_eq!(audit.len(), 2);
    assert!(
        audit[0].detail.contains("pysystemtrade balance") && audit[0].detail.contains("by bob")
    );

    // Not a trade: usage errors, nothing recorded.
    for bad in [
        vec!["CORN", "202412", "0", "--price", "1", "--strategy", "s1"],
        vec!["CORN", "202412", "1", "--price", "NaN", "--strategy", "s1"],
        vec!["corn!", "202412", "1", "--price", "1", "--strategy", "s1"],
        vec!["CORN", "2024", "1", "--price", "1", "--strategy", "s1"],
    ] {
        let out = add(&bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    // Beyond the sanity bound: the trade itself, or the position it would leave.
    for (q, why) in [("7", "a trade of 7"), ("2", "would be 5")] {
        let out = add(&[
            "CORN",
            "202412",
            q,
            "--price",
            "1",
            "--strategy",
            "s1",
            "--max-contracts",
            "4",
        ])
        .output()
        .unwrap();
        assert_eq!(out.status.code(), Some(4));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why) && err.contains("sanity bound"), "{err}");
    }
    assert_eq!(strategy_pos(p, "s1", "CORN"), 3);
    assert_eq!(count(p, "SELECT COUNT(*) FROM fills"), 2);
}

/// The fetch-prices binary next to place-orders: `cargo test --workspace` builds it with every
/// other binary; a run of this package alone builds it when it is missing (with the features the
/// test build compiled systrade-ibkr with, so nothing else is rebuilt).
fn fetch_prices_bin() -> std::path::PathBuf {
    let place_orders = assert_cmd::cargo::cargo_bin("place-orders");
    let dir = place_orders.parent().unwrap().to_path_buf();
    let bin = dir.join(format!("fetch-prices{}", std::env::consts::EXE_SUFFIX));
    if bin.exists() {
        return bin;
    }
    let mut cmd = std::process::Command::new(env!("CARGO"));
    cmd.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args(["build", "-q", "--bin", "fetch-prices", "-p", "fetch-prices"])
        .args(["--features", "systrade-ibkr/fakes"]);
    if dir.ends_with("release") {
        cmd.arg("--release");
    }
    assert!(cmd.status().unwrap().success(), "building fetch-prices");
    bin
}

/// Issue 14 acceptance: the whole IB flow as processes against the project's gateway fake on
/// 127.0.0.1 (its standard market: crude-style monthly CL, whose December contract expires in
/// November, next to quarterly ES, and ZC quoted in dollars for a priceMagnifier of 100), with a
/// roll configuration whose ExpiryOffset is wrong for crude (the old expiry-based mapping took
/// IB's January future for December). A pysystemtrade account already holds 2 CL DEC24.
///
/// fetch-prices (session initialised; prices in our units; contracts recorded with their exact
/// expiries) → place-orders (the held crude is a reconciliation break that locks CRUDE_W; the corn
/// order goes through the reply loop to IB's DEC24 corn, fills in cents) → positions adopt (no
/// terminal: refused; --yes: the broker's crude is ours) → place-orders again (the lock clears,
/// nothing more to trade, no order sent twice).
#[test]
fn full_ib_flow_prices_orders_fills_reconciliation_and_adopt() {
    let d = data_dir();
    let p = d.path();
    let config = p.join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("instruments.csv"),
        "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n\
         CRUDE_W,WTI crude,1000,USD,OilGas,2,0,0,US\nCORN,Corn,50,USD,Ags,2,0,0,US\n",
    )
    .unwrap();
    std::fs::write(
        config.join("rolls.csv"),
        "Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n\
         CRUDE_W,Z,-20,1,FGHJKMNQUVXZ,14\nCORN,Z,-20,1,HKNUZ,14\n",
    )
    .unwrap();
    write_ibkr_csv(
        p,
        "CRUDE_W,CL,NYMEX,USD,1000,1,FALSE\nCORN,ZC,CBOT,USD,5000,100,FALSE\n",
    );
    let mut cfg = FakeGatewayConfig::standard();
    cfg.shapes = [SubmitShape::ReplyNeeded(2)].into();
    cfg.extra_positions = vec![(1_600_202_412, 2)];
    let fake = FakeGateway::start(cfg);
    let url = fake.base_url();

    // Prices: IB's units × priceMagnifier, contracts by IB's contract month.
    let out = std::process::Command::new(fetch_prices_bin())
        .arg("--data-dir")
        .arg(p)
        .args(["--today", DATE, "--no-progress", "--source", "ibkr"])
        .args([
            "--ibkr-url",
            &url,
            "--retry-backoff-ms",
            "5",
            "--format",
            "csv",
        ])
        .args(["--contracts", "202412", "--lookback-days", "30"])
        .env_remove("SYSTRADE_IBKR_URL")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(fake.stats().ssodh_inits >= 1);
    let corn_bars = Store::open(p).read_contract_prices(&code("CORN")).unwrap();
    assert_eq!(corn_bars[0].contract.id(), 20241200);
    assert!((corn_bars[0].close - 480.25).abs() < 1e-9);
    let expiry = |i: &str| {
        state(p)
            .contract_expiry(&code(i), "20241200".parse().unwrap())
            .unwrap()
            .map(|d| d.to_string())
    };
    assert_eq!(expiry("CRUDE_W").as_deref(), Some("2024-11-20"));
    assert_eq!(expiry("CORN").as_deref(), Some("2024-12-14"));

    // Orders: the crude held outside the system is a break; corn goes through the reply loop.
    seed(p, "s1", "CRUDE_W", 2.0, 2.0, 70.0, "20241200");
    seed(p, "s1", "CORN", -3.0, -3.0, 480.25, "20241200");
    let out = ibkr(p, &fake).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        state(p)
            .locks()
            .unwrap()
            .iter()
            .any(|l| l.instrument == code("CRUDE_W"))
    );
    assert_eq!(
        fake.order_conids(),
        vec![1_800_202_412],
        "IB's DEC24 corn only"
    );
    assert_eq!(fake.replies_answered(), 2);
    assert_eq!(contract_pos(p, "CORN", "20241200"), -3);
    assert_eq!(fake.limit_prices(), vec![None]);
    let fills = state(p).fills().unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!((fills[0].quantity, fills[0].price), (-3, Some(480.25)));

    // Adopt: refused without a terminal or --yes, then the broker's crude becomes ours.
    let adopt = |yes: bool| {
        let mut c = po(p);
        c.args(["positions", "adopt", "--strategy", "s1", "--ibkr-url", &url]);
        if yes {
            c.arg("--yes");
        }
        c.output().unwrap()
    };
    let out = adopt(false);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("CRUDE_W"));
    assert_eq!(contract_pos(p, "CRUDE_W", "20241200"), 0);
    let out = adopt(true);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(contract_pos(p, "CRUDE_W", "20241200"), 2);
    assert_eq!(strategy_pos(p, "s1", "CRUDE_W"), 2);
    assert!(audit_events(p, "CRUDE_W").contains(&"adopt".to_string()));

    // Next run: positions reconcile, the lock clears, nothing is left to trade.
    let out = ibkr(p, &fake).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(state(p).locks().unwrap().is_empty());
    let coids: Vec<String> = fake.orders().into_iter().map(|o| o.0).collect();
    let unique: std::collections::BTreeSet<&String> = coids.iter().collect();
    assert_eq!(coids.len(), 1, "{coids:?}");
    assert_eq!(unique.len(), coids.len(), "an order sent twice");
    assert_eq!(fake.submissions(), 1);
}

fn write_system_yaml(dir: &Path, text: &str) {
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(dir.join("config/system.yaml"), text).unwrap();
}

fn instrument_line(j: &[Value], i: &str) -> (String, i64, String) {
    j.iter()
        .find(|v| v["table"] == "instruments" && v["instrument"] == i)
        .map(|v| {
            (
                v["status"].as_str().unwrap().to_string(),
                v["trade"].as_i64().unwrap(),
                v["detail"].as_str().unwrap().to_string(),
            )
        })
        .unwrap_or_else(|| panic!("no line for {i}: {j:?}"))
}

/// Issue 14: the config's trading_restrictions (no trading), bad_markets, ignore_instruments and
/// duplicate excludes (reduce-only) are overrides of the order run, reported, audited, combined with the manual ones,
/// and following the config when it changes.
#[test]
fn config_trading_restrictions_bad_markets_and_duplicates_are_overrides() {
    let d = data_dir();
    let p = d.path();
    for i in ["RST", "BAD", "DUP", "OKK", "IGN"] {
        seed(p, "s1", i, 3.0, 3.0, 10.0, "20240300");
    }
    // No restrictions yet: every position is opened.
    write_system_yaml(p, "instruments: [RST, BAD, DUP, OKK, IGN]\n");
    po(p).assert().success();
    for i in ["RST", "BAD", "DUP", "OKK", "IGN"] {
        assert_eq!(strategy_pos(p, "s1", i), 3, "{i}");
    }
    po(p)
        .args(["overrides", "set", "--instrument", "OKK", "0.5"])
        .assert()
        .success();
    write_system_yaml(
        p,
        "instruments: [RST, BAD, OKK]\nexclude_instrument_lists:\n  trading_restrictions: [RST]\n  bad_markets: [BAD]\n  ignore_instruments: [IGN]\nduplicate_instruments:\n  include:\n    dd: OKK\n  exclude:\n    dd: DUP\n",
    );
    seed(p, "s1", "RST", 1.0, 1.0, 10.0, "20240300");
    seed(p, "s1", "BAD", 5.0, 5.0, 10.0, "20240300");
    seed(p, "s1", "DUP", 1.0, 1.0, 10.0, "20240300");
    seed(p, "s1", "OKK", 8.0, 8.0, 10.0, "20240300");
    seed(p, "s1", "IGN", 1.0, 1.0, 10.0, "20240300");
    let out = po(p)
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    let (status, trade, detail) = instrument_line(&j, "RST");
    assert_eq!(
        (status.as_str(), trade),
        ("blocked", 0),
        "no trading, not even a reduction"
    );
    assert!(
        detail.contains("no-trading") && detail.contains("trading_restrictions in config"),
        "{detail}"
    );
    let (status, trade, detail) = instrument_line(&j, "BAD");
    assert_eq!(
        (status.as_str(), trade),
        ("blocked", 0),
        "reduce-only refuses 3 -> 5"
    );
    assert!(detail.contains("bad_markets in config"), "{detail}");
    let (status, trade, detail) = instrument_line(&j, "DUP");
    assert_eq!(
        (status.as_str(), trade),
        ("placed", -2),
        "reduce-only lets 3 -> 1 through"
    );
    assert!(
        detail.contains("duplicate_instruments exclude in config"),
        "{detail}"
    );
    let (status, trade, detail) = instrument_line(&j, "IGN");
    assert_eq!(
        (status.as_str(), trade),
        ("placed", -2),
        "ignored: reduce-only lets 3 -> 1 through"
    );
    assert!(detail.contains("ignore_instruments in config"), "{detail}");
    assert_eq!(
        instrument_line(&j, "OKK").1,
        1,
        "manual 0.5: floor(8 × 0.5) − 3"
    );
    let configured: Vec<(String, String, String)> = j
        .iter()
        .filter(|v| v["table"] == "config_overrides")
        .map(|v| {
            (
                v["instrument"].as_str().unwrap().to_string(),
                v["override"].as_str().unwrap().to_string(),
                v["change"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        configured,
        vec![
            ("BAD".into(), "reduce-only".into(), "new".into()),
            ("DUP".into(), "reduce-only".into(), "new".into()),
            ("IGN".into(), "reduce-only".into(), "new".into()),
            ("RST".into(), "no-trading".into(), "new".into()),
        ]
    );
    assert_eq!(strategy_pos(p, "s1", "RST"), 3);
    assert_eq!(strategy_pos(p, "s1", "BAD"), 3);
    assert_eq!(strategy_pos(p, "s1", "DUP"), 1);
    assert_eq!(strategy_pos(p, "s1", "IGN"), 1);
    for i in ["RST", "BAD", "DUP", "IGN"] {
        let ev = audit_events(p, i);
        assert!(ev.contains(&"override_set".to_string()), "{i}: {ev:?}");
    }
    assert!(audit_events(p, "RST").contains(&"override".to_string()));
    let out = po(p)
        .args(["overrides", "list", "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let t = String::from_utf8(out).unwrap();
    assert!(
        t.starts_with("strategy,instrument,override,source\n"),
        "{t}"
    );
    assert!(t.contains(",OKK,0.5,manual\n"), "{t}");
    assert!(
        t.contains(",RST,no-trading,trading_restrictions in config\n"),
        "{t}"
    );
    assert!(
        t.contains(",BAD,reduce-only,bad_markets in config\n"),
        "{t}"
    );
    assert!(
        t.contains(",IGN,reduce-only,ignore_instruments in config\n"),
        "{t}"
    );

    // BAD leaves bad_markets: its override goes (audited), it trades again; the manual override
    // of OKK stays.
    write_system_yaml(
        p,
        "instruments: [RST, BAD, OKK]\nexclude_instrument_lists:\n  trading_restrictions: [RST]\n  ignore_instruments: [IGN]\nduplicate_instruments:\n  include:\n    dd: OKK\n  exclude:\n    dd: DUP\n",
    );
    let out = po(p)
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_lines(&out);
    assert_eq!(instrument_line(&j, "BAD").0, "placed");
    assert_eq!(strategy_pos(p, "s1", "BAD"), 5);
    assert_eq!(strategy_pos(p, "s1", "RST"), 3);
    let cleared = state(p)
        .audit_rows()
        .unwrap()
        .into_iter()
        .find(|a| a.instrument == "BAD" && a.event == "override_cleared")
        .expect("the cleared config override is audited");
    assert!(
        cleared.detail.contains("bad_markets in config"),
        "{cleared:?}"
    );
    let rows = state(p).config_overrides().unwrap();
    assert_eq!(
        rows.iter()
            .map(|o| o.instrument.as_str())
            .collect::<Vec<_>>(),
        ["DUP", "IGN", "RST"]
    );
    assert_eq!(
        state(p).overrides().unwrap().len(),
        1,
        "manual override kept"
    );
    // A config that cannot be read stops the run before anything is sent, but not a manual
    // override.
    write_system_yaml(p, "exclude_instrument_lists: [oops\n");
    seed(p, "s1", "OKK", 12.0, 12.0, 10.0, "20240300");
    po(p).assert().failure();
    assert_eq!(strategy_pos(p, "s1", "OKK"), 4);
    po(p)
        .args(["overrides", "set", "--instrument", "OKK", "close"])
        .assert()
        .success();
    assert_eq!(state(p).overrides().unwrap()[0].value, "close");
}
