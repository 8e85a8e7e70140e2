//! Going live from pysystemtrade (issue 14): `positions adopt` and `trades add`, over
//! [`systrade_orders::manual`].

use crate::order_run::{connect_ibkr, sanity_bounds};
use crate::{Args, PositionsAction, TradesAction, broker_unavailable, usage};
use std::io::{BufRead, IsTerminal, Write};
use systrade_cli::output::columns;
use systrade_cli::{ExitCode, ExitCodeError, Printer, Value};
use systrade_model::{ContractDate, InstrumentCode};
use systrade_orders::broker::{Broker, BrokerError};
use systrade_orders::manual::{self, ManualError, ManualTrade};
use systrade_store::{StateWriter, Store, StoreError, now_text};

/// Who is at the keyboard, for the audit trail (`$USER`, `$LOGNAME`, else `unknown`).
fn who() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

fn data_problem(msg: String) -> anyhow::Error {
    anyhow::Error::new(ExitCodeError(ExitCode::DataProblem)).context(msg)
}

fn manual_error(e: ManualError) -> anyhow::Error {
    match e {
        ManualError::Invalid(m) => usage(&m),
        ManualError::Sanity(m) | ManualError::Arithmetic(m) => data_problem(m),
        ManualError::Store(e) => e.into(),
    }
}

/// Asks on the terminal; `Ok(false)` when declined. Without a terminal: a usage error.
fn confirm(question: &str) -> anyhow::Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(usage(
            "positions adopt changes our recorded positions and needs confirmation: run it on a \
             terminal, or pass --yes",
        ));
    }
    let mut err = std::io::stderr();
    write!(err, "{question} [y/N] ")?;
    err.flush()?;
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// `place-orders positions adopt`.
pub(crate) fn adopt(
    args: &Args,
    action: &PositionsAction,
    db: &mut StateWriter,
    run_id: &str,
) -> anyhow::Result<ExitCode> {
    let PositionsAction::Adopt {
        strategy,
        csv,
        yes,
        gateway,
        ..
    } = action;
    if strategy.trim().is_empty() {
        return Err(usage("--strategy must not be empty"));
    }
    let selected: Option<Vec<String>> = args
        .common
        .instruments
        .as_ref()
        .map(|v| v.iter().map(|c| c.as_str().to_string()).collect());
    let mut theirs: Vec<(InstrumentCode, ContractDate, i64)> = Vec::new();
    let mut unmapped: Vec<(String, i64)> = Vec::new();
    let source = match csv {
        Some(path) => {
            let rows = systrade_store::config::read_broker_positions(path)
                .map_err(|e| data_problem(e.to_string()))?;
            theirs.extend(
                rows.into_iter()
                    .map(|r| (r.instrument, r.contract, r.position)),
            );
            format!("CSV {}", path.display())
        }
        None => {
            let mut broker = connect_ibkr(args, gateway)?;
            let positions = broker.positions(&[]).map_err(|e| match e {
                e @ BrokerError::Unavailable(_) => broker_unavailable(e),
                e => anyhow::Error::new(e),
            })?;
            for p in positions {
                let parsed = InstrumentCode::new(&p.instrument)
                    .ok()
                    .zip(p.contract.parse::<ContractDate>().ok());
                match parsed {
                    Some((i, c)) => theirs.push((i, c, p.position)),
                    None => unmapped.push((p.contract, p.position)),
                }
            }
            let resolved = broker.take_resolved_contracts();
            let at = now_text();
            db.transaction(|tx| -> Result<(), StoreError> {
                for c in &resolved {
                    tx.record_contract(c, &at)?;
                }
                Ok(())
            })?;
            format!("IB account {}", broker.account())
        }
    };
    let diffs =
        manual::position_differences(db, &theirs, selected.as_deref()).map_err(manual_error)?;
    let mut out = Printer::stdout(args.format);
    out.table(
        "adopt",
        "Broker positions against ours",
        columns(&["instrument", "contract", "ours", "broker", "change"]),
    )?;
    for d in &diffs {
        out.row(vec![
            Value::text(&d.instrument),
            Value::text(d.contract),
            d.ours.into(),
            d.broker.into(),
            Value::text(format!("{:+}", i128::from(d.broker) - i128::from(d.ours))),
        ])?;
    }
    for (description, position) in &unmapped {
        out.row(vec![
            Value::text("?"),
            Value::text(description),
            Value::Null,
            (*position).into(),
            Value::text("not adopted (no mapping)"),
        ])?;
    }
    out.finish()?;
    for (description, position) in &unmapped {
        tracing::error!(
            %description,
            position,
            "broker position that config/ibkr.csv does not map: not adopted"
        );
    }
    let code = if unmapped.is_empty() {
        ExitCode::Success
    } else {
        ExitCode::Partial
    };
    if diffs.is_empty() {
        tracing::info!(%source, "our positions already agree with the broker's; nothing to adopt");
        return Ok(code);
    }
    if !*yes
        && !confirm(&format!(
            "Record the broker's positions in {} contracts as ours (strategy {strategy})?",
            diffs.len()
        ))?
    {
        tracing::warn!("not confirmed; nothing recorded");
        return Ok(ExitCode::Failure);
    }
    manual::adopt(db, &diffs, strategy, run_id, &source, &who()).map_err(manual_error)?;
    tracing::info!(contracts = diffs.len(), %source, strategy = %strategy, "broker positions adopted");
    Ok(code)
}

/// `place-orders trades add`.
pub(crate) fn trades_add(
    args: &Args,
    action: &TradesAction,
    store: &Store,
    db: &mut StateWriter,
    run_id: &str,
) -> anyhow::Result<ExitCode> {
    let TradesAction::Add {
        instrument,
        contract,
        quantity,
        price,
        strategy,
        reason,
        fill_time,
        max_contracts,
        ..
    } = action;
    let instrument = InstrumentCode::new(instrument)
        .map_err(|e| usage(&format!("INSTRUMENT '{instrument}': {e}")))?;
    let contract: ContractDate = contract
        .parse()
        .map_err(|e| usage(&format!("CONTRACT '{contract}': {e}")))?;
    if let Some(t) = fill_time
        && chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").is_err()
    {
        return Err(usage(&format!(
            "--fill-time '{t}' is not YYYY-MM-DD HH:MM:SS"
        )));
    }
    if db.locks()?.iter().any(|l| l.instrument == instrument) {
        tracing::warn!(instrument = %instrument, "the instrument is locked; the manual trade is recorded all the same");
    }
    let bound = sanity_bounds(*max_contracts, store, db)?.max_contracts(instrument.as_str());
    let trade = ManualTrade {
        strategy: strategy.clone(),
        instrument,
        contract,
        quantity: *quantity,
        price: *price,
        reason: reason.clone(),
        fill_datetime: fill_time.clone(),
    };
    let rec =
        manual::record_manual_trade(db, &trade, bound, run_id, &who()).map_err(manual_error)?;
    let mut out = Printer::stdout(args.format);
    out.table(
        "trade",
        "Manual trade recorded",
        columns(&[
            "client_order_id",
            "strategy",
            "instrument",
            "contract",
            "quantity",
            "price",
            "strategy_position",
            "contract_position",
        ]),
    )?;
    out.row(vec![
        Value::text(&rec.client_order_id),
        Value::text(&trade.strategy),
        Value::text(&trade.instrument),
        Value::text(trade.contract),
        trade.quantity.into(),
        trade.price.into(),
        rec.strategy_position.into(),
        rec.contract_position.into(),
    ])?;
    out.finish()?;
    tracing::info!(client_order_id = %rec.client_order_id, "manual trade recorded");
    Ok(ExitCode::Success)
}
