//! The order run (no subcommand): broker, sanity bounds and forward contracts for
//! [`systrade_orders::engine::run`], then the summary and the exit code.

use crate::output::print_report;
use crate::{Args, BrokerKind, GatewayArgs, broker_unavailable};
use anyhow::Context;
use std::time::Duration;
use systrade_cli::{ExitCode, ExitCodeError};
use systrade_model::InstrumentCode;
use systrade_orders::broker::{Broker, BrokerError, IbkrBroker, IbkrConfig, SimBroker};
use systrade_orders::engine::{self, EngineError, ForwardInfo, RunOptions, SanityBounds};
use systrade_store::{StateWriter, Store, now_text};

/// The sanity bound of each instrument with an optimal position: `--max-contracts` for all, or
/// derived from capital and contract value ([`systrade_orders::logic::default_max_contracts`]).
pub(crate) fn sanity_bounds(
    max_contracts: Option<u32>,
    store: &Store,
    db: &StateWriter,
) -> anyhow::Result<SanityBounds> {
    use systrade_orders::logic::{HARD_MAX_CONTRACTS, default_max_contracts};
    if let Some(n) = max_contracts {
        return Ok(SanityBounds::uniform(i64::from(n)));
    }
    let capital = match db.current_capital()? {
        Some(c) => Some(c.total_capital),
        None => {
            let s = db.strategy_capitals()?;
            (!s.is_empty()).then(|| s.iter().map(|c| c.capital).sum())
        }
    };
    let mut bounds = SanityBounds::uniform(HARD_MAX_CONTRACTS);
    let Some(capital) = capital else {
        return Ok(bounds);
    };
    let instruments = match store.read_instruments() {
        Ok(v) => v,
        Err(e) => {
            if !e.is_not_found() {
                tracing::warn!(
                    "instrument config unreadable, sanity bound {HARD_MAX_CONTRACTS} contracts: {e}"
                );
            }
            return Ok(bounds);
        }
    };
    let mut fx: std::collections::BTreeMap<String, Option<f64>> = Default::default();
    for op in db.latest_optimal_positions()? {
        let Some(inst) = instruments.iter().find(|i| i.code == op.instrument) else {
            continue;
        };
        let rate = *fx.entry(inst.currency.clone()).or_insert_with(|| {
            if inst.currency == "USD" {
                return Some(1.0);
            }
            store
                .read_fx_rates(&inst.currency)
                .ok()
                .and_then(|s| s.values.iter().rev().copied().find(|v| v.is_finite()))
        });
        let value = rate.map(|r| (op.reference_price * inst.pointsize).abs() * r);
        let n = default_max_contracts(Some(capital), value);
        let e = bounds
            .per_instrument
            .entry(op.instrument.as_str().to_string())
            .or_insert(n);
        *e = (*e).min(n);
    }
    Ok(bounds)
}

/// The forward contract and forward − priced price difference from the last multiple-prices row
/// with both prices (spec §1.6), for instruments in a roll state that trades the forward.
pub(crate) fn forward_from_store(store: &Store, instrument: &str) -> Option<ForwardInfo> {
    let code = InstrumentCode::new(instrument).ok()?;
    let rows = match store.read_multiple_prices(&code) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(
                instrument,
                "no multiple prices for the forward contract: {e}"
            );
            return None;
        }
    };
    let last = rows.last()?;
    let diff = rows
        .iter()
        .rev()
        .find(|r| {
            r.price.is_finite()
                && r.forward.is_finite()
                && r.forward_contract == last.forward_contract
        })
        .map(|r| r.forward - r.price);
    Some(ForwardInfo {
        forward: last.forward_contract,
        price_difference: diff,
    })
}

/// The IB broker: `config/ibkr.csv` (required), the roll configuration (when there is one), the
/// session initialised. A gateway that cannot be used is exit 5, with what to do about it.
pub(crate) fn connect_ibkr(args: &Args, g: &GatewayArgs) -> anyhow::Result<IbkrBroker> {
    let store = Store::open(&args.common.data_dir);
    let mut cfg = IbkrConfig::new(g.ibkr_url.clone());
    cfg.account = g.ibkr_account.clone();
    cfg.gateway.transport.accept_invalid_certs = g.ibkr_insecure;
    cfg.mapping = store
        .read_ibkr_instruments()
        .context("the ibkr broker needs the IB instrument mapping")?;
    cfg.rolls = match store.read_roll_parameters() {
        Ok(rolls) => rolls,
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(e).context("reading the roll configuration"),
    };
    IbkrBroker::connect(cfg).map_err(|e| {
        let hint = match &e {
            systrade_ibkr::IbkrError::CertificateRefused { .. } => {
                "; if this is the Client Portal gateway's own self-signed certificate, run again with --ibkr-insecure"
            }
            systrade_ibkr::IbkrError::ConnectionRefused { .. } => " (--ibkr-url or SYSTRADE_IBKR_URL)",
            _ => "",
        };
        broker_unavailable(BrokerError::Unavailable(format!("{e}{hint}")))
    })
}

pub(crate) fn run_orders(
    args: &Args,
    store: &Store,
    db: &mut StateWriter,
    run_id: String,
) -> anyhow::Result<ExitCode> {
    let r = &args.run;
    let date = match r.date {
        Some(d) => d,
        None => systrade_cli::today()?,
    };
    let mut broker: Box<dyn Broker> = match r.broker {
        BrokerKind::Sim => Box::new(SimBroker::new(
            store.open_state_for_writing()?,
            r.sim_slippage,
            now_text(),
        )),
        BrokerKind::Ibkr if r.dry_run => {
            // A dry run sends nothing; it does not even need the gateway.
            Box::new(SimBroker::new(
                store.open_state_for_writing()?,
                0.0,
                now_text(),
            ))
        }
        BrokerKind::Ibkr => Box::new(connect_ibkr(args, &r.gateway)?),
    };
    let forward = |i: &str| forward_from_store(store, i);
    let opts = RunOptions {
        strategies: r.strategies.clone(),
        instruments: args
            .common
            .instruments
            .as_ref()
            .map(|v| v.iter().map(|c| c.as_str().to_string()).collect()),
        date,
        dry_run: r.dry_run,
        wait: Duration::from_secs_f64(r.wait.max(0.0)),
        poll_interval: Duration::from_millis(r.poll_interval),
        run_id,
        bounds: sanity_bounds(r.max_contracts, store, db)?,
        config_overrides: crate::config_overrides::load(args, store)?,
    };
    let report = match engine::run(db, broker.as_mut(), &forward, &opts) {
        Ok(rep) => rep,
        Err(EngineError::Broker(e @ BrokerError::Unavailable(_))) => {
            return Err(broker_unavailable(e));
        }
        Err(EngineError::Arithmetic(m)) => {
            return Err(anyhow::Error::new(ExitCodeError(ExitCode::DataProblem)).context(m));
        }
        Err(e) => return Err(e.into()),
    };
    print_report(args.format, &report)?;
    let mut code = ExitCode::Success;
    for l in &report.lines {
        if l.status == "error" {
            tracing::error!(strategy = %l.strategy, instrument = %l.instrument, "{}", l.detail);
            code = code.worst(ExitCode::Partial);
        }
        if l.status == "locked" {
            tracing::warn!(instrument = %l.instrument, "locked, no order: {}", l.detail);
        }
        if l.status == "refused" {
            tracing::error!(strategy = %l.strategy, instrument = %l.instrument, "order refused, instrument locked: {}", l.detail);
            code = code.worst(ExitCode::DataProblem);
        }
    }
    for o in &report.orders {
        if o.status == "rejected" {
            tracing::error!(client_order_id = %o.client_order_id, "order refused: {}", o.message.as_deref().unwrap_or(""));
            code = code.worst(ExitCode::Partial);
        }
    }
    for b in &report.breaks {
        tracing::error!(instrument = %b.instrument, contract = %b.contract, ours = b.ours, broker = b.broker, "position break; instrument locked");
        code = code.worst(ExitCode::DataProblem);
    }
    for i in &report.unlocked {
        tracing::info!(instrument = %i, "position break resolved; lock cleared");
    }
    let generated = report.lines.iter().filter(|l| l.status == "placed").count();
    let refused = report
        .lines
        .iter()
        .filter(|l| l.status == "refused")
        .count();
    let filled = report
        .orders
        .iter()
        .filter(|o| o.status == "filled")
        .count();
    let held = report.held.len();
    let mut summary = format!(
        "place-orders: {} instruments, {generated} orders generated, {} sent, {filled} filled, {held} held, {refused} refused, {} resumed, {} position breaks",
        report.lines.len(),
        report.submitted,
        report.resumed,
        report.breaks.len()
    );
    let configured = report
        .config_overrides
        .iter()
        .filter(|c| c.change != "cleared")
        .count();
    if configured > 0 {
        summary.push_str(&format!(", {configured} config overrides"));
    }
    if r.dry_run {
        summary.push_str(" (dry run)");
    }
    systrade_cli::record_summary(&summary);
    tracing::info!(
        instruments = report.lines.len(),
        generated,
        sent = report.submitted,
        filled,
        held = report.held.len(),
        refused,
        resumed = report.resumed,
        breaks = report.breaks.len(),
        dry_run = r.dry_run,
        "place-orders done"
    );
    Ok(code)
}
