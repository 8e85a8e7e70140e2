//! Report tables and their renderings: aligned text, CSV, JSON and self-contained HTML with inline
//! SVG bar charts.

use std::fmt::Write as _;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A number and the decimals to show.
    Num(f64, usize),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    pub fn num(v: f64, decimals: usize) -> Self {
        if v.is_finite() {
            // no "-0.00"
            Self::Num(if v == 0.0 { 0.0 } else { v }, decimals)
        } else {
            Self::Empty
        }
    }

    pub fn opt(v: Option<f64>, decimals: usize) -> Self {
        v.map_or(Self::Empty, |v| Self::num(v, decimals))
    }

    fn show(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Num(v, d) => format!("{v:.d$}", d = *d),
            Self::Empty => String::new(),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Self::Text(s) => serde_json::Value::String(s.clone()),
            Self::Num(v, _) => serde_json::json!(v),
            Self::Empty => serde_json::Value::Null,
        }
    }
}

/// A titled table; `chart` names a (label column, value column) pair drawn as bars in HTML.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub chart: Option<(usize, usize)>,
    pub note: Option<String>,
}

impl Table {
    pub fn new(name: &str, title: &str, columns: &[&str]) -> Self {
        Self {
            name: name.to_string(),
            title: title.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
            chart: None,
            note: None,
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    pub fn with_chart(mut self, label: usize, value: usize) -> Self {
        self.chart = Some((label, value));
        self
    }
}

/// Aligned text, numbers right-aligned.
pub fn text(tables: &[Table]) -> String {
    let mut s = String::new();
    for t in tables {
        let _ = writeln!(s, "== {}", t.title);
        if let Some(n) = &t.note {
            let _ = writeln!(s, "{n}");
        }
        if t.rows.is_empty() {
            let _ = writeln!(s, "(none)\n");
            continue;
        }
        let cells: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::show).collect())
            .collect();
        let mut w: Vec<usize> = t.columns.iter().map(|c| c.chars().count()).collect();
        for r in &cells {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let header: Vec<String> = t
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = w[i]))
            .collect();
        let _ = writeln!(s, "{}", header.join("  ").trim_end());
        for (r, raw) in cells.iter().zip(&t.rows) {
            let line: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, c)| match raw[i] {
                    Cell::Num(..) => format!("{c:>width$}", width = w[i]),
                    _ => format!("{c:<width$}", width = w[i]),
                })
                .collect();
            let _ = writeln!(s, "{}", line.join("  ").trim_end());
        }
        s.push('\n');
    }
    s
}

fn csv_cell(c: &str) -> String {
    if c.contains([',', '"', '\n']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c.to_string()
    }
}

/// CSV: each table as `# name: title`, a header line and its rows, tables separated by a blank
/// line. With one table the output is plain CSV after the comment line.
pub fn csv(tables: &[Table]) -> String {
    let mut s = String::new();
    for (k, t) in tables.iter().enumerate() {
        if k > 0 {
            s.push('\n');
        }
        let _ = writeln!(s, "# {}: {}", t.name, t.title);
        let header: Vec<String> = t.columns.iter().map(|c| csv_cell(c)).collect();
        let _ = writeln!(s, "{}", header.join(","));
        for r in &t.rows {
            let line: Vec<String> = r
                .iter()
                .map(|c| match c {
                    Cell::Num(v, _) => format!("{v}"),
                    other => csv_cell(&other.show()),
                })
                .collect();
            let _ = writeln!(s, "{}", line.join(","));
        }
    }
    s
}

/// JSON: `{"generated_at": ..., "tables": [{"name", "title", "columns", "rows": [{col: value}]}]}`.
pub fn json(tables: &[Table], generated_at: &str) -> String {
    let tables: Vec<serde_json::Value> = tables
        .iter()
        .map(|t| {
            let rows: Vec<serde_json::Value> = t
                .rows
                .iter()
                .map(|r| {
                    let obj: serde_json::Map<String, serde_json::Value> = t
                        .columns
                        .iter()
                        .zip(r)
                        .map(|(c, v)| (c.clone(), v.json()))
                        .collect();
                    serde_json::Value::Object(obj)
                })
                .collect();
            serde_json::json!({
                "name": t.name, "title": t.title, "columns": t.columns, "rows": rows,
                "note": t.note,
            })
        })
        .collect();
    let v = serde_json::json!({"generated_at": generated_at, "tables": tables});
    format!("{v}\n")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whether a chart of these values would show anything: at least one finite non-zero value. An
/// empty or all-zero chart is left out of the page (its table still says what there is).
pub fn has_data(points: &[(String, f64)]) -> bool {
    points.iter().any(|(_, v)| v.is_finite() && *v != 0.0)
}

/// A horizontal bar chart (inline SVG) of (label, value) pairs; negative bars go left of zero.
pub fn svg_bars(points: &[(String, f64)]) -> String {
    let row_h = 18.0;
    let (w, label_w) = (640.0, 140.0);
    let h = row_h * points.len() as f64 + 10.0;
    let max = points
        .iter()
        .map(|(_, v)| v.abs())
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let has_neg = points.iter().any(|(_, v)| *v < 0.0);
    let plot_w = w - label_w - 80.0;
    let zero = if has_neg {
        label_w + plot_w / 2.0
    } else {
        label_w
    };
    let scale = if has_neg { plot_w / 2.0 } else { plot_w } / max;
    let mut s = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\">"
    );
    for (i, (label, v)) in points.iter().enumerate() {
        let y = 5.0 + row_h * i as f64;
        let len = v.abs() * scale;
        let x = if *v < 0.0 { zero - len } else { zero };
        let color = if *v < 0.0 { "#c0392b" } else { "#2e86c1" };
        let _ = write!(
            s,
            "<text x=\"{tx}\" y=\"{ty}\" font-size=\"12\" text-anchor=\"end\">{l}</text>\
             <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{len:.1}\" height=\"{bh}\" fill=\"{color}\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"11\">{val}</text>",
            tx = label_w - 6.0,
            ty = y + 12.0,
            l = esc(label),
            bh = row_h - 4.0,
            vx = zero.max(x + len) + 4.0,
            val = esc(&format_short(*v)),
        );
    }
    let _ = write!(
        s,
        "<line x1=\"{zero}\" y1=\"0\" x2=\"{zero}\" y2=\"{h}\" stroke=\"#333\"/></svg>"
    );
    s
}

fn format_short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.2}m", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.3}")
    }
}

/// A self-contained HTML page (inline CSS and SVG; no scripts, no external resources).
pub fn html(tables: &[Table], title: &str, generated_at: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:0.5em 0 1.5em}}\
         td,th{{border:1px solid #ccc;padding:2px 8px;font-size:13px}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}\
         th{{background:#eee}}h2{{margin-top:1.5em;font-size:1.1em}}</style></head><body>\n<h1>{t}</h1><p>Generated {g}</p>\n",
        t = esc(title),
        g = esc(generated_at)
    );
    for tb in tables {
        let _ = writeln!(s, "<h2 id=\"{}\">{}</h2>", esc(&tb.name), esc(&tb.title));
        if let Some(n) = &tb.note {
            let _ = write!(s, "<p>{}</p>", esc(n));
        }
        if let Some((l, v)) = tb.chart {
            let points: Vec<(String, f64)> = tb
                .rows
                .iter()
                .filter_map(|r| match (&r[l], &r[v]) {
                    (label, Cell::Num(x, _)) => Some((label.show(), *x)),
                    _ => None,
                })
                .collect();
            if has_data(&points) {
                s.push_str(&svg_bars(&points));
                s.push('\n');
            }
        }
        if tb.rows.is_empty() {
            s.push_str("<p>(none)</p>\n");
            continue;
        }
        s.push_str("<table><tr>");
        for c in &tb.columns {
            let _ = write!(s, "<th>{}</th>", esc(c));
        }
        s.push_str("</tr>\n");
        for r in &tb.rows {
            s.push_str("<tr>");
            for c in r {
                let class = if matches!(c, Cell::Num(..)) {
                    " class=\"n\""
                } else {
                    ""
                };
                let _ = write!(s, "<td{class}>{}</td>", esc(&c.show()));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</table>\n");
    }
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Table> {
        let mut t =
            Table::new("pnl", "P&L, by instrument", &["instrument", "pnl"]).with_chart(0, 1);
        t.push(vec![Cell::text("A,B"), Cell::num(-12.5, 2)]);
        t.push(vec![Cell::text("C<"), Cell::num(30.0, 2)]);
        vec![t]
    }

    #[test]
    fn renderings() {
        let t = sample();
        let txt = text(&t);
        assert!(txt.contains("== P&L, by instrument"));
        assert!(txt.contains("-12.50"));
        let c = csv(&t);
        assert_eq!(c.lines().nth(1), Some("instrument,pnl"));
        assert_eq!(c.lines().nth(2), Some("\"A,B\",-12.5"));
        let j: serde_json::Value = serde_json::from_str(&json(&t, "now")).unwrap();
        assert_eq!(j["tables"][0]["rows"][1]["pnl"], 30.0);
        let h = html(&t, "r", "now");
        assert!(h.contains("<svg") && h.contains("C&lt;") && !h.contains("<script"));
        assert!(
            !h.contains("http://") || h.matches("http://").count() == 1,
            "only the SVG xmlns"
        );
        assert_eq!(h.matches("<rect").count(), 2);
    }

    #[test]
    fn empty_and_all_zero_charts_are_left_out() {
        let mut zero = Table::new("costs", "Costs", &["instrument", "cost"]).with_chart(0, 1);
        zero.push(vec![Cell::text("A"), Cell::num(0.0, 2)]);
        zero.push(vec![Cell::text("B"), Cell::num(-0.0, 2)]);
        zero.push(vec![Cell::text("C"), Cell::Empty]);
        let empty = Table::new("risk", "Risk", &["instrument", "risk"]).with_chart(0, 1);
        let h = html(&[zero, empty], "r", "now");
        assert!(!h.contains("<svg"), "no chart without data: {h}");
        // the table is still there
        assert!(h.contains("<td>A</td>") && h.contains("<p>(none)</p>"));
        let h = html(&sample(), "r", "now");
        assert_eq!(h.matches("<svg class=\"chart\"").count(), 1);
    }
}
