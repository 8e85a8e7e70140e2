//! Listings: `positions`, `orders [--history]`, `audit`.

use crate::output::scope;
use systrade_cli::output::columns;
use systrade_cli::{ExitCode, OutputFormat, Printer, Value};
use systrade_store::StateReader;

/// `place-orders positions`: strategy and contract positions, one table (`level` says which).
pub(crate) fn positions(db: &StateReader, fmt: OutputFormat) -> anyhow::Result<ExitCode> {
    let s = db.strategy_positions()?;
    let c = db.contract_positions()?;
    let mut out = Printer::stdout(fmt);
    out.table(
        "positions",
        "Positions",
        columns(&["level", "strategy", "instrument", "contract", "position"]),
    )?;
    for p in &s {
        out.row(vec![
            "strategy".into(),
            Value::text(&p.strategy),
            Value::text(&p.instrument),
            Value::Null,
            p.position.into(),
        ])?;
    }
    for p in &c {
        out.row(vec![
            "contract".into(),
            Value::Null,
            Value::text(&p.instrument),
            Value::text(p.contract),
            p.position.into(),
        ])?;
    }
    out.finish()?;
    Ok(ExitCode::Success)
}

/// `place-orders orders`: instrument and broker orders, active or completed (`history`), one
/// table (`level` says which).
pub(crate) fn orders(
    db: &StateReader,
    fmt: OutputFormat,
    history: bool,
) -> anyhow::Result<ExitCode> {
    let io = db.instrument_orders(history)?;
    let bo = db.broker_orders(history)?;
    let mut out = Printer::stdout(fmt);
    out.table(
        "orders",
        "Orders",
        columns(&[
            "level",
            "id",
            "strategy",
            "instrument",
            "contract",
            "trade",
            "fill",
            "price",
            "type_or_status",
            "client_order_id",
        ]),
    )?;
    for o in &io {
        out.row(vec![
            "instrument".into(),
            o.id.into(),
            Value::text(&o.strategy),
            Value::text(&o.instrument),
            Value::Null,
            o.trade.into(),
            o.fill.into(),
            o.filled_price.into(),
            Value::text(&o.order_type),
            Value::Null,
        ])?;
    }
    for o in &bo {
        out.row(vec![
            "broker".into(),
            o.id.into(),
            Value::text(&o.strategy),
            Value::text(&o.instrument),
            Value::text(o.contract),
            o.trade.into(),
            o.fill.into(),
            o.filled_price.into(),
            Value::text(&o.status),
            Value::text(&o.client_order_id),
        ])?;
    }
    out.finish()?;
    Ok(ExitCode::Success)
}

/// `place-orders audit`: the audit trail.
pub(crate) fn audit(db: &StateReader, fmt: OutputFormat) -> anyhow::Result<ExitCode> {
    let a = db.audit_rows()?;
    let mut out = Printer::stdout(fmt);
    out.table(
        "audit",
        "Audit",
        columns(&[
            "id",
            "at",
            "run_id",
            "strategy",
            "instrument",
            "event",
            "detail",
        ]),
    )?;
    for r in &a {
        out.row(vec![
            r.id.into(),
            Value::text(&r.at),
            Value::text(&r.run_id),
            scope(&r.strategy),
            scope(&r.instrument),
            Value::text(&r.event),
            Value::text(&r.detail),
        ])?;
    }
    out.finish()?;
    Ok(ExitCode::Success)
}
