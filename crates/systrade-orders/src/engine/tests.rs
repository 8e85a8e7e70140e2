//! Unit tests of the run's phases over a real `state.sqlite` in a temporary data directory and the
//! sim broker (which keeps its book in the same database).

use super::*;
use crate::broker::SimBroker;
use systrade_model::{InstrumentCode, Override, RollState};
use systrade_store::Store;
use systrade_store::state::controls::LockSource;
use systrade_store::state::optimal::OptimalPosition;

const PRICED: i64 = 20240300;
const FORWARD: i64 = 20240600;

struct Fixture {
    _dir: tempfile::TempDir,
    db: StateWriter,
    broker: SimBroker,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path());
    let db = store.open_state_for_writing().unwrap();
    let broker = SimBroker::new(
        store.open_state_for_writing().unwrap(),
        0.5,
        "2024-01-02 10:00:00".into(),
    );
    Fixture {
        _dir: dir,
        db,
        broker,
    }
}

fn code(i: &str) -> InstrumentCode {
    InstrumentCode::new(i).unwrap()
}

fn contract(id: i64) -> ContractDate {
    ContractDate::from_id(id).unwrap()
}

fn opts() -> RunOptions {
    RunOptions {
        strategies: None,
        instruments: None,
        date: NaiveDate::from_ymd_opt(2024, 1, 2).unwrap(),
        dry_run: false,
        wait: Duration::from_millis(0),
        poll_interval: Duration::from_millis(1),
        run_id: "test-run".into(),
        bounds: SanityBounds::uniform(100),
        config_overrides: Vec::new(),
    }
}

fn no_forward(_: &str) -> Option<ForwardInfo> {
    None
}

fn forward(_: &str) -> Option<ForwardInfo> {
    Some(ForwardInfo {
        forward: contract(FORWARD),
        price_difference: Some(2.0),
    })
}

fn optimal(db: &mut StateWriter, instrument: &str, lower: f64, upper: f64) {
    db.transaction(|tx| {
        tx.insert_optimal_position(&OptimalPosition {
            strategy: "S".into(),
            instrument: code(instrument),
            timestamp: "2024-01-01 23:00:00".into(),
            lower,
            upper,
            reference_price: 100.0,
            reference_contract: PRICED.to_string(),
        })
    })
    .unwrap();
}

fn lock(db: &mut StateWriter, instrument: &str, source: LockSource) {
    db.transaction(|tx| tx.add_lock(&code(instrument), source, "test lock", &now_text()))
        .unwrap();
}

fn generate_now(
    f: &mut Fixture,
    o: &RunOptions,
    fwd: &dyn Fn(&str) -> Option<ForwardInfo>,
) -> RunReport {
    let mut report = RunReport::default();
    f.db.transaction(|tx| generate::generate(tx, "sim", fwd, o, &mut report))
        .unwrap();
    report
}

fn submit_now(f: &mut Fixture, o: &RunOptions) -> (RunReport, BTreeSet<String>) {
    let mut report = RunReport::default();
    let (mut acks, mut touched) = (BTreeMap::new(), BTreeSet::new());
    submit::submit_pending(
        &mut f.db,
        &mut f.broker,
        o,
        &mut acks,
        &mut touched,
        &mut report,
    )
    .unwrap();
    (report, touched)
}

// ---- generate ----------------------------------------------------------------------------------

#[test]
fn generate_stores_a_pending_family_with_its_client_order_id() {
    let mut f = fixture();
    optimal(&mut f.db, "CORN", 2.4, 4.6);
    let report = generate_now(&mut f, &opts(), &no_forward);
    assert_eq!(report.lines.len(), 1);
    let l = &report.lines[0];
    assert_eq!(
        (l.status.as_str(), l.buffered_trade, l.trade),
        ("placed", 2, 2)
    );
    let open = f.db.open_broker_orders().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].status, "pending_submit");
    assert_eq!(open[0].trade, 2);
    assert_eq!(open[0].contract, contract(PRICED));
    let prefix = f.db.transaction(|tx| tx.client_order_prefix()).unwrap();
    assert_eq!(
        open[0].client_order_id,
        format!("{prefix}-S-CORN-20240102-001")
    );
    assert_eq!(open[0].reference_price, Some(100.0));
    // A second generate in the same state sees the working remainder: no new order.
    let again = generate_now(&mut f, &opts(), &no_forward);
    assert_eq!(again.lines[0].status, "no-trade");
    assert_eq!(again.lines[0].detail, "2 still working");
    assert_eq!(f.db.open_broker_orders().unwrap().len(), 1);
}

#[test]
fn generate_skips_locked_instruments_and_audits_it() {
    let mut f = fixture();
    optimal(&mut f.db, "CORN", 2.4, 4.6);
    lock(&mut f.db, "CORN", LockSource::Manual);
    let report = generate_now(&mut f, &opts(), &no_forward);
    assert_eq!(report.lines[0].status, "locked");
    assert!(f.db.open_broker_orders().unwrap().is_empty());
    let audit = f.db.audit_rows().unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.event == "skipped_locked"
                && a.detail == "trade 2 not placed: manual: test lock"),
        "{audit:?}"
    );
}

#[test]
fn generate_refuses_beyond_the_sanity_bound_and_locks() {
    let mut f = fixture();
    optimal(&mut f.db, "CORN", 150.0, 150.0);
    let report = generate_now(&mut f, &opts(), &no_forward);
    let l = &report.lines[0];
    assert_eq!(l.status, "refused");
    assert_eq!(
        l.detail,
        "optimal lower 150 is beyond the sanity bound of 100 contracts; CORN locked"
    );
    assert_eq!(report.locked, vec!["CORN".to_string()]);
    let locks = f.db.locks().unwrap();
    assert_eq!(locks.len(), 1);
    assert_eq!(locks[0].source, LockSource::Sanity);
    assert!(f.db.open_broker_orders().unwrap().is_empty());
}

#[test]
fn generate_splits_by_roll_state_and_adds_force_roll_orders() {
    let mut f = fixture();
    optimal(&mut f.db, "CORN", 2.4, 4.6);
    // Passive with no priced position: the whole trade goes to the forward contract, its
    // reference price shifted by the forward − priced difference.
    f.db.transaction(|tx| tx.set_roll_state(&code("CORN"), RollState::Passive, RollState::NoRoll))
        .unwrap();
    let report = generate_now(&mut f, &opts(), &forward);
    assert_eq!(report.lines[0].status, "placed");
    let open = f.db.open_broker_orders().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].contract, contract(FORWARD));
    assert_eq!(open[0].reference_price, Some(102.0));

    // Force with a priced position of 3 (and a strategy position inside the buffer): one
    // zero-trade spread roll order of the roll pseudo strategy, priced −3 / forward +3.
    let mut f = fixture();
    optimal(&mut f.db, "CORN", 2.4, 4.6);
    f.db.transaction(|tx| {
        tx.set_roll_state(&code("CORN"), RollState::Force, RollState::Passive)?;
        tx.add_contract_position(&code("CORN"), contract(PRICED), 3, "t")?;
        tx.add_strategy_position("S", &code("CORN"), 3, "t")
    })
    .unwrap();
    let report = generate_now(&mut f, &opts(), &forward);
    let roll = report
        .lines
        .iter()
        .find(|l| l.strategy == crate::ROLL_PSEUDO_STRATEGY)
        .expect("a roll line");
    assert_eq!((roll.status.as_str(), roll.trade), ("placed", 0));
    let legs: Vec<(i64, i64)> =
        f.db.open_broker_orders()
            .unwrap()
            .iter()
            .map(|r| (r.contract.id(), r.trade))
            .collect();
    assert_eq!(legs, vec![(PRICED, -3), (FORWARD, 3)]);
}

// ---- submit ------------------------------------------------------------------------------------

#[test]
fn submit_sends_pending_orders_and_records_fills_and_positions() {
    let mut f = fixture();
    optimal(&mut f.db, "CORN", 2.4, 4.6);
    generate_now(&mut f, &opts(), &no_forward);
    let (report, touched) = submit_now(&mut f, &opts());
    assert_eq!(report.submitted, 1);
    assert_eq!(touched.len(), 1);
    assert!(f.db.open_broker_orders().unwrap().is_empty());
    let filled = f.db.broker_orders(false).unwrap();
    assert_eq!(filled[0].status, "filled");
    assert_eq!(filled[0].fill, 2);
    // Sim fill: reference + slippage against the trade.
    assert_eq!(filled[0].filled_price, Some(100.5));
    assert_eq!(f.db.strategy_position("S", &code("CORN")).unwrap(), 2);
    assert_eq!(
        f.db.contract_position(&code("CORN"), contract(PRICED))
            .unwrap(),
        2
    );
    let fills = f.db.fills().unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!((fills[0].quantity, fills[0].price), (2, Some(100.5)));
}

#[test]
fn submit_holds_orders_of_a_locked_instrument() {
    let mut f = fixture();
    optimal(&mut f.db, "CORN", 2.4, 4.6);
    generate_now(&mut f, &opts(), &no_forward);
    lock(&mut f.db, "CORN", LockSource::Reconciliation);
    let (report, _) = submit_now(&mut f, &opts());
    assert_eq!(report.submitted, 0);
    assert_eq!(
        report.held.values().collect::<Vec<_>>(),
        vec!["not sent: CORN is locked (reconciliation: test lock)"]
    );
    let open = f.db.open_broker_orders().unwrap();
    assert_eq!(open[0].status, "pending_submit");
    assert!(!f.db.submission_attempted(open[0].id).unwrap());
    assert!(f.broker.positions(&[]).unwrap().is_empty());
}

// ---- resume ------------------------------------------------------------------------------------

#[test]
fn resume_finds_an_attempted_order_at_the_broker_instead_of_resending() {
    let mut f = fixture();
    optimal(&mut f.db, "CORN", 2.4, 4.6);
    generate_now(&mut f, &opts(), &no_forward);
    let row = f.db.open_broker_orders().unwrap().remove(0);
    // A crash after the submission left: the attempt is recorded, the broker filled it.
    f.db.transaction(|tx| tx.record_submission(row.id, &now_text(), "SIM"))
        .unwrap();
    f.broker.submit(&request_of(&row)).unwrap();
    let mut report = RunReport::default();
    let mut touched = BTreeSet::new();
    resume::resume(&mut f.db, &mut f.broker, &opts(), &mut report, &mut touched).unwrap();
    assert_eq!(report.resumed, 1);
    assert!(f.db.open_broker_orders().unwrap().is_empty(), "filled");
    assert_eq!(f.db.strategy_position("S", &code("CORN")).unwrap(), 2);
    // Nothing left to send, and the broker holds the one execution only.
    let (sent, _) = submit_now(&mut f, &opts());
    assert_eq!(sent.submitted, 0);
    let held = f.broker.positions(&[]).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].position, 2);
}

#[test]
fn resume_leaves_an_attempted_order_the_broker_never_saw_to_be_sent() {
    let mut f = fixture();
    optimal(&mut f.db, "CORN", 2.4, 4.6);
    generate_now(&mut f, &opts(), &no_forward);
    let row = f.db.open_broker_orders().unwrap().remove(0);
    f.db.transaction(|tx| tx.record_submission(row.id, &now_text(), "SIM"))
        .unwrap();
    let mut report = RunReport::default();
    let mut touched = BTreeSet::new();
    resume::resume(&mut f.db, &mut f.broker, &opts(), &mut report, &mut touched).unwrap();
    assert_eq!(
        f.db.open_broker_orders().unwrap()[0].status,
        "pending_submit"
    );
    assert_eq!(f.db.strategy_position("S", &code("CORN")).unwrap(), 0);
    let (sent, _) = submit_now(&mut f, &opts());
    assert_eq!(sent.submitted, 1);
    assert_eq!(f.db.strategy_position("S", &code("CORN")).unwrap(), 2);
}

// ---- reconcile ---------------------------------------------------------------------------------

#[test]
fn reconcile_locks_on_a_break_and_unlocks_when_it_is_gone() {
    let mut f = fixture();
    // The broker holds 2 CORN that we have not recorded.
    f.broker
        .submit(&OrderRequest {
            client_order_id: "X-1".into(),
            instrument: "CORN".into(),
            contract: PRICED.to_string(),
            quantity: 2,
            limit_price: None,
            reference_price: Some(100.0),
        })
        .unwrap();
    let universe = vec!["CORN".to_string()];
    let mut report = RunReport::default();
    reconcile::reconcile(&mut f.db, &mut f.broker, &universe, &opts(), &mut report).unwrap();
    assert_eq!(
        report.breaks,
        vec![PositionBreak {
            instrument: "CORN".into(),
            contract: PRICED.to_string(),
            ours: 0,
            broker: 2,
        }]
    );
    assert_eq!(report.locked, vec!["CORN".to_string()]);
    assert_eq!(
        f.db.lock_reason(&code("CORN")).unwrap().as_deref(),
        Some("reconciliation: contract 20240300: ours 0, broker 2")
    );
    // The break changes: the lock's reason follows it.
    f.db.transaction(|tx| tx.add_contract_position(&code("CORN"), contract(PRICED), 1, "t"))
        .unwrap();
    let mut report = RunReport::default();
    reconcile::reconcile(&mut f.db, &mut f.broker, &universe, &opts(), &mut report).unwrap();
    assert!(report.locked.is_empty());
    assert_eq!(
        f.db.lock_reason(&code("CORN")).unwrap().as_deref(),
        Some("reconciliation: contract 20240300: ours 1, broker 2")
    );
    // Positions agree: the reconciliation lock clears.
    f.db.transaction(|tx| tx.add_contract_position(&code("CORN"), contract(PRICED), 1, "t"))
        .unwrap();
    let mut report = RunReport::default();
    reconcile::reconcile(&mut f.db, &mut f.broker, &universe, &opts(), &mut report).unwrap();
    assert!(report.breaks.is_empty());
    assert_eq!(report.unlocked, vec!["CORN".to_string()]);
    assert_eq!(f.db.lock_reason(&code("CORN")).unwrap(), None);
}

#[test]
fn reconcile_leaves_instruments_outside_the_universe_alone() {
    let mut f = fixture();
    f.db.transaction(|tx| tx.add_contract_position(&code("MES"), contract(PRICED), 4, "t"))
        .unwrap();
    let mut report = RunReport::default();
    let universe = vec!["CORN".to_string()];
    reconcile::reconcile(&mut f.db, &mut f.broker, &universe, &opts(), &mut report).unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    assert!(f.db.locks().unwrap().is_empty());
}

// ---- the whole run -----------------------------------------------------------------------------

#[test]
fn run_trades_once_and_a_rerun_has_nothing_to_do() {
    let mut f = fixture();
    optimal(&mut f.db, "CORN", 2.4, 4.6);
    let first = run(&mut f.db, &mut f.broker, &no_forward, &opts()).unwrap();
    assert_eq!(first.submitted, 1);
    assert_eq!(first.lines[0].status, "placed");
    assert_eq!(first.orders.len(), 1);
    assert_eq!(first.orders[0].status, "filled");
    assert!(first.breaks.is_empty());
    // Finished families moved to history.
    assert!(f.db.broker_orders(false).unwrap().is_empty());
    assert_eq!(f.db.broker_orders(true).unwrap().len(), 1);
    let second = run(&mut f.db, &mut f.broker, &no_forward, &opts()).unwrap();
    assert_eq!(second.submitted, 0);
    assert_eq!(second.lines[0].status, "no-trade");
    assert!(second.breaks.is_empty());
}

#[test]
fn dry_run_writes_nothing() {
    let mut f = fixture();
    optimal(&mut f.db, "CORN", 2.4, 4.6);
    let o = RunOptions {
        dry_run: true,
        ..opts()
    };
    let report = run(&mut f.db, &mut f.broker, &no_forward, &o).unwrap();
    assert_eq!(report.lines[0].status, "dry-run");
    assert_eq!(report.orders.len(), 1);
    assert_eq!(report.orders[0].status, "dry-run");
    assert!(f.db.open_broker_orders().unwrap().is_empty());
    assert!(f.db.audit_rows().unwrap().is_empty());
}

// ---- config overrides --------------------------------------------------------------------------

fn configured(i: &str, value: Override, reason: &str) -> ConfiguredOverride {
    ConfiguredOverride {
        instrument: code(i),
        value,
        reason: reason.into(),
    }
}

#[test]
fn config_overrides_apply_follow_the_config_and_leave_manual_ones() {
    let mut f = fixture();
    optimal(&mut f.db, "CORN", 3.0, 3.0);
    optimal(&mut f.db, "US10", 2.0, 2.0);
    f.db.transaction(|tx| tx.set_override("", "US10", Override::Multiplier(0.5), "t"))
        .unwrap();
    let o = RunOptions {
        config_overrides: vec![
            configured(
                "CORN",
                Override::NoTrading,
                "trading_restrictions in config",
            ),
            configured("US10", Override::ReduceOnly, "bad_markets in config"),
        ],
        ..opts()
    };
    let r = generate_now(&mut f, &o, &no_forward);
    let line =
        |r: &RunReport, i: &str| r.lines.iter().find(|l| l.instrument == i).cloned().unwrap();
    assert_eq!(line(&r, "CORN").status, "blocked");
    assert!(
        line(&r, "CORN")
            .detail
            .contains("config: no-trading trading_restrictions in config"),
        "{:?}",
        line(&r, "CORN")
    );
    assert_eq!(line(&r, "US10").trade, 0, "reduce-only wins over 0.5");
    assert_eq!(
        r.config_overrides
            .iter()
            .map(|c| (c.instrument.as_str(), c.change.as_str()))
            .collect::<Vec<_>>(),
        vec![("CORN", "new"), ("US10", "new")]
    );
    let events = |db: &StateWriter| {
        db.audit_rows()
            .unwrap()
            .into_iter()
            .filter(|a| a.event.starts_with("override_"))
            .map(|a| (a.instrument, a.event, a.detail))
            .collect::<Vec<_>>()
    };
    assert_eq!(events(&f.db).len(), 2);
    // The config drops CORN and moves US10: the stored rows follow, each change audited; the
    // manual override stays.
    let o = RunOptions {
        config_overrides: vec![configured(
            "US10",
            Override::NoTrading,
            "trading_restrictions in config",
        )],
        ..opts()
    };
    let r = generate_now(&mut f, &o, &no_forward);
    assert_eq!(line(&r, "CORN").status, "placed");
    assert_eq!(line(&r, "CORN").trade, 3);
    let ev = events(&f.db);
    assert_eq!(ev.len(), 4, "{ev:?}");
    assert!(ev.contains(&(
        "CORN".into(),
        "override_cleared".into(),
        "no longer in config (was no-trading: trading_restrictions in config)".into()
    )));
    assert!(
        ev.contains(&(
            "US10".into(),
            "override_set".into(),
            "no-trading: trading_restrictions in config (was reduce-only: bad_markets in config)"
                .into()
        ))
    );
    assert_eq!(f.db.config_overrides().unwrap().len(), 1);
    assert_eq!(
        f.db.overrides_for("S", &code("US10")).unwrap(),
        vec![Override::Multiplier(0.5)]
    );
    // Unchanged config: nothing more audited.
    generate_now(&mut f, &o, &no_forward);
    assert_eq!(events(&f.db).len(), 4);
}

#[test]
fn config_override_sync_in_a_dry_run_writes_nothing() {
    let mut f = fixture();
    optimal(&mut f.db, "CORN", 3.0, 3.0);
    let o = RunOptions {
        dry_run: true,
        config_overrides: vec![configured(
            "CORN",
            Override::ReduceOnly,
            "bad_markets in config",
        )],
        ..opts()
    };
    let report = run(&mut f.db, &mut f.broker, &no_forward, &o).unwrap();
    assert_eq!(report.lines[0].status, "blocked");
    assert_eq!(report.config_overrides[0].change, "new");
    assert!(f.db.config_overrides().unwrap().is_empty());
    assert!(f.db.audit_rows().unwrap().is_empty());
}
