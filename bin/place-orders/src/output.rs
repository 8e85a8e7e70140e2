//! Output of summaries and listings on stdout: an aligned table, CSV, or JSON Lines (one object
//! per row, with its `kind`).

use serde::Serialize;
use std::io::Write;
use systrade_cli::OutputFormat;
use systrade_orders::engine::RunReport;

pub(crate) fn price(p: Option<f64>) -> String {
    p.map(|p| format!("{p}")).unwrap_or_default()
}

pub(crate) fn tagged<T: Serialize>(kind: &str, v: &T) -> serde_json::Value {
    let mut j = serde_json::to_value(v).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(m) = &mut j {
        m.insert("kind".into(), serde_json::Value::String(kind.into()));
    }
    j
}

pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes rows as an aligned table, CSV, or JSON lines.
pub(crate) fn emit(
    fmt: OutputFormat,
    header: &[&str],
    rows: &[Vec<String>],
    json: &[serde_json::Value],
) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match fmt {
        OutputFormat::Table => {
            let widths: Vec<usize> = (0..header.len())
                .map(|k| {
                    rows.iter()
                        .map(|r| r.get(k).map_or(0, String::len))
                        .max()
                        .unwrap_or(0)
                        .max(header[k].len())
                })
                .collect();
            let line = |cells: Vec<&str>| -> String {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            writeln!(out, "{}", line(header.to_vec()))?;
            for r in rows {
                writeln!(out, "{}", line(r.iter().map(String::as_str).collect()))?;
            }
        }
        OutputFormat::Csv => {
            writeln!(out, "{}", header.join(","))?;
            for r in rows {
                writeln!(
                    out,
                    "{}",
                    r.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",")
                )?;
            }
        }
        OutputFormat::Json => {
            for j in json {
                writeln!(out, "{j}")?;
            }
        }
    }
    out.flush()
}

pub(crate) fn print_report(fmt: OutputFormat, report: &RunReport) -> std::io::Result<()> {
    let f = |x: f64| {
        if x.is_finite() {
            format!("{x:.2}")
        } else {
            String::new()
        }
    };
    let lines: Vec<Vec<String>> = report
        .lines
        .iter()
        .map(|l| {
            vec![
                l.strategy.clone(),
                l.instrument.clone(),
                l.roll_state.clone(),
                l.position.to_string(),
                f(l.lower),
                f(l.upper),
                l.buffered_trade.to_string(),
                l.trade.to_string(),
                l.status.clone(),
                l.detail.clone(),
            ]
        })
        .collect();
    let header = [
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
    ];
    match fmt {
        OutputFormat::Json => {
            let mut json: Vec<serde_json::Value> = report
                .lines
                .iter()
                .map(|l| tagged("instrument", l))
                .collect();
            json.extend(report.orders.iter().map(|o| tagged("order", o)));
            json.extend(report.breaks.iter().map(|b| tagged("break", b)));
            emit(fmt, &header, &lines, &json)
        }
        OutputFormat::Csv => emit(fmt, &header, &lines, &[]),
        OutputFormat::Table => {
            emit(fmt, &header, &lines, &[])?;
            if !report.orders.is_empty() {
                let rows: Vec<Vec<String>> = report
                    .orders
                    .iter()
                    .map(|o| {
                        vec![
                            o.client_order_id.clone(),
                            o.instrument.clone(),
                            o.contract.clone(),
                            o.trade.to_string(),
                            o.fill.to_string(),
                            price(o.filled_price),
                            o.status.clone(),
                            o.message.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                let mut out = std::io::stdout().lock();
                writeln!(out)?;
                drop(out);
                emit(
                    fmt,
                    &[
                        "client_order_id",
                        "instrument",
                        "contract",
                        "trade",
                        "fill",
                        "price",
                        "status",
                        "message",
                    ],
                    &rows,
                    &[],
                )?;
            }
            if !report.breaks.is_empty() {
                let rows: Vec<Vec<String>> = report
                    .breaks
                    .iter()
                    .map(|b| {
                        vec![
                            b.instrument.clone(),
                            b.contract.clone(),
                            b.ours.to_string(),
                            b.broker.to_string(),
                        ]
                    })
                    .collect();
                let mut out = std::io::stdout().lock();
                writeln!(out)?;
                drop(out);
                emit(
                    fmt,
                    &["break_instrument", "contract", "ours", "broker"],
                    &rows,
                    &[],
                )?;
            }
            Ok(())
        }
    }
}
