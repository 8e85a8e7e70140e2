//! Listings: `positions`, `orders [--history]`, `audit`.

use crate::output::{emit, price, tagged};
use systrade_cli::{ExitCode, OutputFormat};
use systrade_store::StateReader;

/// `place-orders positions`: strategy and contract positions.
pub(crate) fn positions(db: &StateReader, fmt: OutputFormat) -> anyhow::Result<ExitCode> {
    let s = db.strategy_positions()?;
    let c = db.contract_positions()?;
    let mut rows: Vec<Vec<String>> = s
        .iter()
        .map(|p| {
            vec![
                "strategy".into(),
                p.strategy.clone(),
                p.instrument.to_string(),
                String::new(),
                p.position.to_string(),
            ]
        })
        .collect();
    rows.extend(c.iter().map(|p| {
        vec![
            "contract".into(),
            String::new(),
            p.instrument.to_string(),
            p.contract.to_string(),
            p.position.to_string(),
        ]
    }));
    let json: Vec<serde_json::Value> = s
        .iter()
        .map(|p| tagged("strategy", p))
        .chain(c.iter().map(|p| tagged("contract", p)))
        .collect();
    emit(
        fmt,
        &["level", "strategy", "instrument", "contract", "position"],
        &rows,
        &json,
    )?;
    Ok(ExitCode::Success)
}

/// `place-orders orders`: instrument and broker orders, active or completed (`history`).
pub(crate) fn orders(
    db: &StateReader,
    fmt: OutputFormat,
    history: bool,
) -> anyhow::Result<ExitCode> {
    let io = db.instrument_orders(history)?;
    let bo = db.broker_orders(history)?;
    let mut rows: Vec<Vec<String>> = io
        .iter()
        .map(|o| {
            vec![
                "instrument".into(),
                o.id.to_string(),
                o.strategy.clone(),
                o.instrument.to_string(),
                String::new(),
                o.trade.to_string(),
                o.fill.to_string(),
                price(o.filled_price),
                o.order_type.clone(),
                String::new(),
            ]
        })
        .collect();
    rows.extend(bo.iter().map(|o| {
        vec![
            "broker".into(),
            o.id.to_string(),
            o.strategy.clone(),
            o.instrument.to_string(),
            o.contract.to_string(),
            o.trade.to_string(),
            o.fill.to_string(),
            price(o.filled_price),
            o.status.clone(),
            o.client_order_id.clone(),
        ]
    }));
    let json: Vec<serde_json::Value> = io
        .iter()
        .map(|o| tagged("instrument", o))
        .chain(bo.iter().map(|o| tagged("broker", o)))
        .collect();
    emit(
        fmt,
        &[
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
        ],
        &rows,
        &json,
    )?;
    Ok(ExitCode::Success)
}

/// `place-orders audit`: the audit trail.
pub(crate) fn audit(db: &StateReader, fmt: OutputFormat) -> anyhow::Result<ExitCode> {
    let a = db.audit_rows()?;
    let rows: Vec<Vec<String>> = a
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.at.clone(),
                r.strategy.clone(),
                r.instrument.clone(),
                r.event.clone(),
                r.detail.clone(),
            ]
        })
        .collect();
    let json: Vec<serde_json::Value> = a.iter().map(|r| tagged("audit", r)).collect();
    emit(
        fmt,
        &["id", "at", "strategy", "instrument", "event", "detail"],
        &rows,
        &json,
    )?;
    Ok(ExitCode::Success)
}
