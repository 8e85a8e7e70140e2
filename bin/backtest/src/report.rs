//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, no network) with the
//! summary statistics and four charts — equity curve, drawdown, per-instrument contribution and
//! rolling annualised volatility.

use crate::output::Summary;
use chrono::{Datelike, NaiveDate};
use std::fmt::Write;
use systrade_accounts::stats::{curve, drawdown, rolling_ann_std};
use systrade_series::DailySeries;

const W: f64 = 900.0;
const H: f64 = 300.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 30.0;
/// At most this many points per line (the extremes of each bucket are kept).
const MAX_POINTS: usize = 1500;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A line of (x index, value) points, thinned to at most [`MAX_POINTS`] keeping each bucket's min
/// and max so spikes stay visible.
fn thin(values: &[f64]) -> Vec<(usize, f64)> {
    let pts: Vec<(usize, f64)> = values
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .collect();
    if pts.len() <= MAX_POINTS {
        return pts;
    }
    let bucket = pts.len().div_ceil(MAX_POINTS / 2);
    let mut out = Vec::with_capacity(MAX_POINTS + 2);
    for chunk in pts.chunks(bucket) {
        let lo = chunk
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("non-empty");
        let hi = chunk
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .expect("non-empty");
        if lo.0 <= hi.0 {
            out.push(*lo);
            if hi.0 != lo.0 {
                out.push(*hi);
            }
        } else {
            out.push(*hi);
            out.push(*lo);
        }
    }
    out
}

fn nice(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A line chart of one or more series sharing `dates` (each `(label, colour, values)`).
fn line_chart(
    id: &str,
    title: &str,
    unit: &str,
    dates: &[NaiveDate],
    lines: &[(&str, &str, Vec<f64>)],
) -> String {
    let thinned: Vec<Vec<(usize, f64)>> = lines.iter().map(|l| thin(&l.2)).collect();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in thinned.iter().flatten() {
        lo = lo.min(p.1);
        hi = hi.max(p.1);
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        hi = lo + 1.0;
    }
    let n = dates.len().max(2) - 1;
    let x = |i: usize| LEFT + (W - LEFT - RIGHT) * i as f64 / n as f64;
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (hi - v) / (hi - lo);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<figure><figcaption>{}</figcaption><svg id="{id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{}">"#,
        esc(title),
        esc(title)
    );
    let _ = write!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="#fafafa" stroke="#ccc"/>"##,
        W - LEFT - RIGHT,
        H - TOP - BOTTOM
    );
    // horizontal grid: 5 levels
    for k in 0..=4 {
        let v = lo + (hi - lo) * f64::from(k) / 4.0;
        let yy = y(v);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e0e0e0"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end">{}{unit}</text>"##,
            W - RIGHT,
            LEFT - 5.0,
            yy + 4.0,
            nice(v)
        );
    }
    if lo < 0.0 && hi > 0.0 {
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#888"/>"##,
            W - RIGHT,
            y(0.0),
            y(0.0)
        );
    }
    // years on the x axis, about 10 labels
    if let (Some(first), Some(last)) = (dates.first(), dates.last()) {
        let years = (last.year() - first.year()).max(1);
        let step = (years / 10).max(1);
        let mut last_year = None;
        for (i, d) in dates.iter().enumerate() {
            if Some(d.year()) != last_year {
                last_year = Some(d.year());
                if (d.year() - first.year()) % step == 0 {
                    let _ = write!(
                        s,
                        r#"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle">{}</text>"#,
                        x(i),
                        H - 10.0,
                        d.year()
                    );
                }
            }
        }
    }
    for ((label, colour, _), pts) in lines.iter().zip(&thinned) {
        let mut points = String::with_capacity(pts.len() * 14);
        for (i, v) in pts {
            let _ = write!(points, "{:.1},{:.1} ", x(*i), y(*v));
        }
        let _ = write!(
            s,
            r#"<polyline class="data" data-label="{}" points="{}" fill="none" stroke="{colour}" stroke-width="1.2"/>"#,
            esc(label),
            points.trim_end()
        );
    }
    let mut lx = LEFT + 10.0;
    for (label, colour, _) in lines {
        let _ = write!(
            s,
            r#"<rect x="{lx:.1}" y="{}" width="12" height="4" fill="{colour}"/><text x="{:.1}" y="{}" font-size="12">{}</text>"#,
            TOP + 8.0,
            lx + 16.0,
            TOP + 13.0,
            esc(label)
        );
        lx += 24.0 + 7.5 * label.len() as f64;
    }
    s.push_str("</svg></figure>\n");
    s
}

/// A horizontal bar chart (`(label, value)`), positive bars green, negative red.
fn bar_chart(id: &str, title: &str, unit: &str, bars: &[(String, f64)]) -> String {
    let row = 16.0;
    let label_w = 110.0;
    let h = TOP + BOTTOM + row * bars.len().max(1) as f64;
    let max = bars
        .iter()
        .map(|b| b.1.abs())
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(1e-12);
    let lo = bars.iter().map(|b| b.1).fold(0.0_f64, f64::min).max(-max);
    let hi = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).min(max);
    let span = (hi - lo).max(1e-12);
    let plot_w = W - label_w - RIGHT - 60.0;
    let x = |v: f64| label_w + plot_w * (v - lo) / span;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<figure><figcaption>{}</figcaption><svg id="{id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h}" width="{W}" height="{h}" role="img" aria-label="{}">"#,
        esc(title),
        esc(title)
    );
    let _ = write!(
        s,
        r##"<line x1="{:.1}" x2="{:.1}" y1="{TOP}" y2="{}" stroke="#888"/>"##,
        x(0.0),
        x(0.0),
        h - BOTTOM
    );
    for (k, (label, v)) in bars.iter().enumerate() {
        let yy = TOP + row * k as f64;
        let v = if v.is_finite() { *v } else { 0.0 };
        let (x0, x1) = if v >= 0.0 {
            (x(0.0), x(v))
        } else {
            (x(v), x(0.0))
        };
        let colour = if v >= 0.0 { "#2a9d5c" } else { "#c0392b" };
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{}</text><rect class="data" x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}"/><text x="{:.1}" y="{:.1}" font-size="10">{}{unit}</text>"#,
            label_w - 5.0,
            yy + row * 0.75,
            esc(label),
            yy + 2.0,
            (x1 - x0).max(0.5),
            row - 4.0,
            x0.max(x1) + 4.0,
            yy + row * 0.75,
            nice(v)
        );
    }
    s.push_str("</svg></figure>\n");
    s
}

/// Everything the page shows.
pub struct ReportData<'a> {
    pub title: String,
    pub summary: &'a Summary,
    /// Portfolio daily percent returns.
    pub gross: &'a DailySeries,
    pub net: &'a DailySeries,
    /// Per instrument: total net return contribution in percent of capital.
    pub contributions: Vec<(String, f64)>,
}

/// The whole HTML page.
pub fn render(data: &ReportData<'_>) -> String {
    let dates = &data.net.dates;
    let net_curve = curve(&data.net.values);
    let gross_curve = curve(&data.gross.reindex(dates).values);
    let dd = drawdown(&data.net.values);
    let vol = rolling_ann_std(&data.net.values, 256, 256.0);
    let mut contributions = data.contributions.clone();
    contributions.sort_by(|a, b| b.1.total_cmp(&a.1));

    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; max-width: 960px; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ padding: 2px 10px; text-align: right; border-bottom: 1px solid #eee; }}
th:first-child, td:first-child {{ text-align: left; }}
figure {{ margin: 1.5em 0; }}
figcaption {{ font-weight: bold; margin-bottom: 0.3em; }}
svg text {{ fill: #333; font-family: sans-serif; }}
</style></head><body>
<h1>{}</h1>
"#,
        esc(&data.title),
        esc(&data.title)
    );
    html.push_str(&data.summary.html_table());
    html.push_str(&line_chart(
        "equity",
        "Equity curve (cumulative daily % return)",
        "%",
        dates,
        &[
            ("net", "#1f5fa8", net_curve),
            ("gross", "#9bb7d9", gross_curve),
        ],
    ));
    html.push_str(&line_chart(
        "drawdown",
        "Drawdown (net, % of capital)",
        "%",
        dates,
        &[("drawdown", "#c0392b", dd)],
    ));
    html.push_str(&bar_chart(
        "contribution",
        "Per-instrument contribution (total net return, % of capital)",
        "%",
        &contributions,
    ));
    html.push_str(&line_chart(
        "volatility",
        "Rolling volatility (net, 256 business days, annualised %)",
        "%",
        dates,
        &[("volatility", "#8e44ad", vol)],
    ));
    html.push_str("</body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_extremes() {
        let v: Vec<f64> = (0..10_000)
            .map(|i| if i == 5_001 { 100.0 } else { 0.0 })
            .collect();
        let t = thin(&v);
        assert!(t.len() <= MAX_POINTS + 2);
        assert!(t.iter().any(|p| p.1 == 100.0));
    }
}
