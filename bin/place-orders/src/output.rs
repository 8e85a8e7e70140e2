//! The order run's summary on stdout, through the one printer of systrade-cli
//! (docs/ARCHITECTURE.md, "Output on stdout"): the instrument lines, the broker orders and the
//! position breaks as three tables (`"table": "instruments" | "orders" | "breaks"` in json), and
//! the config overrides of the run when there are any (`"config_overrides"`).

use systrade_cli::output::Column;
use systrade_cli::{OutputFormat, Printer, Value};
use systrade_orders::engine::RunReport;

/// A strategy or instrument scope of a control or audit row: `''` (every strategy or
/// instrument, or none) is a missing value.
pub(crate) fn scope(s: &str) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        Value::text(s)
    }
}

/// Columns from names; `lower` and `upper` (buffer edges) shown with 2 decimals in `table`,
/// `ack_ms` with 1.
fn report_columns(names: &[&str]) -> Vec<Column> {
    names
        .iter()
        .map(|n| match *n {
            "lower" | "upper" => Column::new(*n).decimals(2),
            "ack_ms" => Column::new(*n).decimals(1),
            _ => Column::new(*n),
        })
        .collect()
}

/// The run summary: every instrument line; the orders and the breaks when there are any.
pub(crate) fn print_report(fmt: OutputFormat, report: &RunReport) -> std::io::Result<()> {
    let mut out = Printer::stdout(fmt).sections();
    out.table(
        "instruments",
        "Instruments",
        report_columns(&[
            "strategy",
            "instrument",
            "roll_state",
            "position",
            "lower",
            "upper",
            "buffered_trade",
            "trade",
            "status",
            "detail",
        ]),
    )?;
    for l in &report.lines {
        out.row(vec![
            Value::text(&l.strategy),
            Value::text(&l.instrument),
            Value::text(&l.roll_state),
            l.position.into(),
            l.lower.into(),
            l.upper.into(),
            l.buffered_trade.into(),
            l.trade.into(),
            Value::text(&l.status),
            Value::text(&l.detail),
        ])?;
    }
    if !report.orders.is_empty() {
        out.table(
            "orders",
            "Orders",
            report_columns(&[
                "client_order_id",
                "strategy",
                "instrument",
                "contract",
                "trade",
                "fill",
                "price",
                "status",
                "broker_order_id",
                "ack_ms",
                "message",
            ]),
        )?;
        for o in &report.orders {
            out.row(vec![
                Value::text(&o.client_order_id),
                Value::text(&o.strategy),
                Value::text(&o.instrument),
                Value::text(&o.contract),
                o.trade.into(),
                o.fill.into(),
                o.filled_price.into(),
                Value::text(&o.status),
                o.broker_order_id.clone().into(),
                o.ack_ms.into(),
                o.message.clone().into(),
            ])?;
        }
    }
    if !report.config_overrides.is_empty() {
        out.table(
            "config_overrides",
            "Config overrides",
            report_columns(&["instrument", "override", "reason", "change"]),
        )?;
        for c in &report.config_overrides {
            out.row(vec![
                Value::text(&c.instrument),
                Value::text(&c.value),
                Value::text(&c.reason),
                Value::text(&c.change),
            ])?;
        }
    }
    if !report.breaks.is_empty() {
        out.table(
            "breaks",
            "Position breaks",
            report_columns(&["instrument", "contract", "ours", "broker"]),
        )?;
        for b in &report.breaks {
            out.row(vec![
                Value::text(&b.instrument),
                Value::text(&b.contract),
                b.ours.into(),
                b.broker.into(),
            ])?;
        }
    }
    out.finish()
}
