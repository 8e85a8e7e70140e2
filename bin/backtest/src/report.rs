//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, no network), a tear
//! sheet of the backtest: summary statistics; equity curve; underwater (drawdown) chart; top
//! drawdown periods; monthly and annual returns; rolling Sharpe ratio and volatility;
//! per-instrument contribution; and per instrument (one collapsible section each) its cumulative
//! P&L, position and forecast.
//!
//! The numbers come from the library ([`systrade_accounts::stats`],
//! [`systrade_accounts::tearsheet`]); this module only draws them. Charts are drawn with plotters'
//! SVG backend and the page is a minijinja template with HTML auto-escaping
//! (docs/adr/0009-report-charts.md): no hand-written escaping. Legends are HTML above each chart
//! (they never cover data); the date axis has ticks on 1 January (or the first of a month for
//! short histories), the value axis at round values.

use crate::output::{CurveStats, Summary};
use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use minijinja::{Environment, Value, context};
use plotters::prelude::*;
use serde::Serialize;
use systrade_accounts::stats::{Stats, curve, drawdown, rolling_ann_std};
use systrade_accounts::tearsheet::{
    annual_returns, monthly_returns, rolling_sharpe, top_drawdowns,
};
use systrade_series::DailySeries;

/// The page template (HTML auto-escaping by its `.html` name).
const TEMPLATE: &str = include_str!("report.html.j2");

/// At most this many points per line of the portfolio charts (each bucket's extremes are kept).
const MAX_POINTS: usize = 1500;
/// At most this many points per line of a per-instrument chart (200+ instruments in one page).
const MAX_POINTS_INSTRUMENT: usize = 300;
/// Window of the rolling Sharpe ratio and volatility: one year of business days.
const ROLLING_WINDOW: usize = 256;
/// Drawdown periods listed.
const TOP_DRAWDOWNS: usize = 5;
const PERIODS_PER_YEAR: f64 = crate::output::PERIODS_PER_YEAR;

const BLUE: RGBColor = RGBColor(0x1f, 0x5f, 0xa8);
const LIGHT_BLUE: RGBColor = RGBColor(0x9b, 0xb7, 0xd9);
const RED: RGBColor = RGBColor(0xc0, 0x39, 0x2b);
const GREEN: RGBColor = RGBColor(0x2a, 0x9d, 0x5c);
const PURPLE: RGBColor = RGBColor(0x8e, 0x44, 0xad);
const ORANGE: RGBColor = RGBColor(0xd3, 0x7a, 0x16);
const GRID: RGBColor = RGBColor(0xe0, 0xe0, 0xe0);

/// A line of (x index, value) points, thinned to at most `max` keeping each bucket's min and max
/// so spikes stay visible; non-finite values are left out.
fn thin(values: &[f64], max: usize) -> Vec<(usize, f64)> {
    let pts: Vec<(usize, f64)> = values
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .collect();
    if pts.len() <= max {
        return pts;
    }
    let bucket = pts.len().div_ceil(max / 2);
    let mut out = Vec::with_capacity(max + 2);
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

/// Days since 1 January of year 1 (the x coordinate of a date).
fn day(d: NaiveDate) -> f64 {
    f64::from(d.num_days_from_ce())
}

fn date_of(x: f64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(x.round() as i32)
}

/// Ticks of a date axis from `first` to `last`: 1 January of every 1, 2, 5, 10, … years, or the
/// first of every 1, 2, 3 or 6 months for short histories, at most about ten; and whether the
/// labels are years only.
fn date_ticks(first: NaiveDate, last: NaiveDate) -> (Vec<f64>, bool) {
    let years = last.year() - first.year();
    if years >= 3 {
        let step = [1, 2, 5, 10, 20, 50, 100]
            .into_iter()
            .find(|s| years / s <= 10)
            .unwrap_or(100);
        let start = first.year() + 1;
        let start = start + (step - start.rem_euclid(step)) % step;
        let ticks = (start..=last.year())
            .step_by(step as usize)
            .filter_map(|y| NaiveDate::from_ymd_opt(y, 1, 1))
            .map(day)
            .collect();
        return (ticks, true);
    }
    let months = years * 12 + last.month() as i32 - first.month() as i32;
    let step = [1, 2, 3, 6, 12]
        .into_iter()
        .find(|s| months / s <= 10)
        .unwrap_or(12);
    let mut ticks = Vec::new();
    let (mut y, mut m) = (first.year(), first.month() as i32);
    loop {
        // next month start after `first`, on a multiple of `step` months
        m += 1;
        if m > 12 {
            (y, m) = (y + 1, 1);
        }
        let Some(d) = NaiveDate::from_ymd_opt(y, m as u32, 1) else {
            break;
        };
        if d > last {
            break;
        }
        if (m - 1) % step == 0 {
            ticks.push(day(d));
        }
    }
    (ticks, false)
}

/// An axis with ticks of our choosing: the date axis (days since 1 January of year 1, [`day`],
/// ticks from [`date_ticks`]) and the bar chart's label axis (a tick at the middle of each bar).
/// plotters' own date axis puts ticks every n weeks from the first date, its `with_key_points`
/// cannot be formatted and its segmented integer axis overflows on a few bars; this axis takes the
/// chart's label formatter.
struct TickAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl plotters::coord::ranged1d::Ranged for TickAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = f64::from(limit.1 - limit.0);
        let frac = (value - self.lo) / (self.hi - self.lo);
        limit.0 + (span * frac).round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // bold grid lines and labels at the ticks; no light lines between them
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// A value label on an axis spanning `span`: as many decimals as its ticks (about six, at round
/// steps) need.
fn value_label(v: f64, span: f64) -> String {
    let step = span / 6.0;
    let decimals = if step >= 1.0 {
        0
    } else if step >= 0.1 {
        1
    } else if step >= 0.01 {
        2
    } else {
        3
    };
    let s = format!("{v:.decimals$}");
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        "0".to_string()
    } else {
        s
    }
}

/// One line (or filled area down to zero) of a time-series chart.
struct Line<'a> {
    label: &'a str,
    colour: RGBColor,
    values: &'a [f64],
    area: bool,
}

/// A chart and its HTML legend, ready for the template.
#[derive(Serialize)]
struct Chart {
    id: String,
    caption: String,
    legend: Vec<(String, String)>,
    svg: Value,
}

fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

fn drawing_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> anyhow::Error {
    anyhow::anyhow!("drawing a chart: {e}")
}

/// A time-series chart of `lines` over `dates` (each line one value per date).
fn time_chart(
    id: &str,
    caption: &str,
    dates: &[NaiveDate],
    lines: &[Line<'_>],
    size: (u32, u32),
    max_points: usize,
) -> anyhow::Result<Chart> {
    let thinned: Vec<Vec<(usize, f64)>> =
        lines.iter().map(|l| thin(l.values, max_points)).collect();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (l, pts) in lines.iter().zip(&thinned) {
        for p in pts {
            lo = lo.min(p.1);
            hi = hi.max(p.1);
        }
        if l.area {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        (lo, hi) = (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * 0.04;
    let (lo, hi) = (lo - pad, hi + pad);
    let (first, last) = match (dates.first(), dates.last()) {
        (Some(f), Some(l)) if f < l => (*f, *l),
        (Some(f), _) => (*f, *f + chrono::Days::new(1)),
        _ => anyhow::bail!("{id}: no dates"),
    };
    let (ticks, years_only) = date_ticks(first, last);
    let span = hi - lo;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .margin_right(14)
            .x_label_area_size(22)
            .y_label_area_size(56)
            .build_cartesian_2d(
                TickAxis {
                    lo: day(first),
                    hi: day(last),
                    ticks,
                },
                lo..hi,
            )
            .map_err(drawing_error)?;
        let x_label = |x: &f64| {
            date_of(*x).map_or_else(String::new, |d| {
                if years_only {
                    d.format("%Y").to_string()
                } else {
                    d.format("%Y-%m").to_string()
                }
            })
        };
        let y_label = |v: &f64| value_label(*v, span);
        chart
            .configure_mesh()
            .max_light_lines(0)
            .y_labels(6)
            .bold_line_style(GRID)
            .axis_style(RGBColor(0x88, 0x88, 0x88))
            .label_style(("sans-serif", 11))
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .draw()
            .map_err(drawing_error)?;
        if lo < 0.0 && hi > 0.0 {
            chart
                .draw_series(LineSeries::new(
                    [(day(first), 0.0), (day(last), 0.0)],
                    RGBColor(0x88, 0x88, 0x88),
                ))
                .map_err(drawing_error)?;
        }
        for (l, pts) in lines.iter().zip(&thinned) {
            let points = pts.iter().map(|(i, v)| (day(dates[*i]), *v));
            if l.area {
                chart
                    .draw_series(
                        AreaSeries::new(points, 0.0, l.colour.mix(0.35)).border_style(l.colour),
                    )
                    .map_err(drawing_error)?;
            } else {
                chart
                    .draw_series(LineSeries::new(points, l.colour.stroke_width(1)))
                    .map_err(drawing_error)?;
            }
        }
        root.present().map_err(drawing_error)?;
    }
    Ok(Chart {
        id: id.to_string(),
        caption: caption.to_string(),
        legend: lines
            .iter()
            .map(|l| (l.label.to_string(), hex(l.colour)))
            .collect(),
        svg: Value::from_safe_string(tag_chart(svg, id)),
    })
}

/// Marks plotters' `<svg>` root with the class the page's CSS and checks use, and an id.
fn tag_chart(svg: String, id: &str) -> String {
    // the id is one of ours ([a-z0-9-] and instrument codes); plotters escapes the rest
    let safe_id: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    svg.replacen(
        "<svg ",
        &format!("<svg class=\"chart\" id=\"{safe_id}\" role=\"img\" "),
        1,
    )
}

/// Horizontal bars (`(label, value)`), positive green, negative red, labels on the left.
fn bar_chart(id: &str, caption: &str, bars: &[(String, f64)]) -> anyhow::Result<Chart> {
    let n = bars.len().max(1);
    let height = 40 + 16 * n as u32;
    let (mut lo, mut hi) = (0.0_f64, 0.0_f64);
    for (_, v) in bars {
        if v.is_finite() {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
    }
    if hi - lo < 1e-12 {
        hi = lo + 1.0;
    }
    let pad = (hi - lo) * 0.04;
    let (lo, hi) = (lo - pad, hi + pad);
    let span = hi - lo;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, height)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .margin_right(14)
            .x_label_area_size(22)
            .y_label_area_size(110)
            .build_cartesian_2d(
                lo..hi,
                TickAxis {
                    lo: 0.0,
                    hi: n as f64,
                    ticks: (0..bars.len()).map(|k| k as f64 + 0.5).collect(),
                },
            )
            .map_err(drawing_error)?;
        // bar k (0 = first, drawn at the top) spans n − k − 1 … n − k
        let y_label = |v: &f64| {
            let k = n as f64 - v.floor() - 1.0;
            if k >= 0.0 {
                bars.get(k as usize)
                    .map_or_else(String::new, |b| b.0.clone())
            } else {
                String::new()
            }
        };
        let x_label = |v: &f64| value_label(*v, span);
        chart
            .configure_mesh()
            .max_light_lines(0)
            .disable_y_mesh()
            .bold_line_style(GRID)
            .label_style(("sans-serif", 11))
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .draw()
            .map_err(drawing_error)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(k, (_, v))| {
                let v = if v.is_finite() { *v } else { 0.0 };
                let top = (n - k) as f64;
                let colour = if v >= 0.0 { GREEN } else { RED };
                Rectangle::new([(0.0, top - 0.85), (v, top - 0.15)], colour.filled())
            }))
            .map_err(drawing_error)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(Chart {
        id: id.to_string(),
        caption: caption.to_string(),
        legend: Vec::new(),
        svg: Value::from_safe_string(tag_chart(svg, id)),
    })
}

/// One instrument's series for its section of the page.
pub struct InstrumentView<'a> {
    pub code: &'a str,
    /// Business-day net P&L in percent of capital.
    pub net_percent: &'a DailySeries,
    /// Buffered position (contracts), on the dates of `net_percent`.
    pub position: &'a [f64],
    /// Combined forecast, on the dates of `net_percent`.
    pub forecast: &'a [f64],
}

/// Everything the page shows.
pub struct ReportData<'a> {
    pub title: String,
    pub summary: &'a Summary,
    /// Portfolio daily percent returns.
    pub gross: &'a DailySeries,
    pub net: &'a DailySeries,
    pub instruments: Vec<InstrumentView<'a>>,
}

#[derive(Serialize)]
struct StatsRow {
    name: String,
    cells: Vec<String>,
}

fn stats_cells(st: &Stats) -> Vec<String> {
    vec![
        format!("{:.2}", st.ann_mean),
        format!("{:.2}", st.ann_std),
        format!("{:.3}", st.sharpe),
        format!("{:.3}", st.sortino),
        format!("{:.2}", st.worst_drawdown),
        format!("{:.3}", st.calmar),
        format!("{:.3}", st.skew),
        format!("{:.1}", 100.0 * st.hitrate),
    ]
}

fn portfolio_rows(prefix: &str, c: &CurveStats) -> Vec<StatsRow> {
    [("gross", &c.gross), ("net", &c.net), ("costs", &c.costs)]
        .into_iter()
        .map(|(name, st)| StatsRow {
            name: format!("{prefix}{name}"),
            cells: stats_cells(st),
        })
        .collect()
}

/// A table cell with a sign class (the CSS colours gains and losses).
#[derive(Serialize)]
struct Cell {
    text: String,
    class: &'static str,
}

fn signed(v: f64, decimals: usize) -> Cell {
    Cell {
        text: if v.is_finite() {
            format!("{v:.decimals$}")
        } else {
            String::new()
        },
        class: if v > 0.0 {
            "pos"
        } else if v < 0.0 {
            "neg"
        } else {
            ""
        },
    }
}

#[derive(Serialize)]
struct YearRow {
    year: i32,
    months: Vec<Cell>,
    total: Cell,
}

fn returns_table(net: &DailySeries) -> Vec<YearRow> {
    let monthly = monthly_returns(net);
    annual_returns(net)
        .into_iter()
        .map(|y| YearRow {
            year: y.year,
            months: (1..=12)
                .map(|m| {
                    monthly
                        .iter()
                        .find(|p| p.year == y.year && p.month == Some(m))
                        .map_or(
                            Cell {
                                text: String::new(),
                                class: "",
                            },
                            |p| signed(p.value, 1),
                        )
                })
                .collect(),
            total: signed(y.value, 1),
        })
        .collect()
}

#[derive(Serialize)]
struct DrawdownRow {
    rank: usize,
    peak: String,
    trough: String,
    recovery: String,
    depth: String,
    duration: String,
}

#[derive(Serialize)]
struct InstrumentSection {
    code: String,
    line: String,
    charts: Vec<Chart>,
}

/// The whole HTML page.
///
/// # Errors
/// A chart that cannot be drawn or a template error (both bugs, reported rather than panicking).
pub fn render(data: &ReportData<'_>) -> anyhow::Result<String> {
    let dates = &data.net.dates;
    let net = &data.net.values;
    let gross = data.gross.reindex(dates).values;
    let width = (900, 300);
    let mut charts = vec![
        time_chart(
            "equity",
            "Equity curve (cumulative daily % return)",
            dates,
            &[
                Line {
                    label: "net",
                    colour: BLUE,
                    values: &curve(net),
                    area: false,
                },
                Line {
                    label: "gross",
                    colour: LIGHT_BLUE,
                    values: &curve(&gross),
                    area: false,
                },
            ],
            width,
            MAX_POINTS,
        )?,
        time_chart(
            "drawdown",
            "Underwater: drawdown of the net curve (% of capital)",
            dates,
            &[Line {
                label: "drawdown",
                colour: RED,
                values: &drawdown(net),
                area: true,
            }],
            (900, 220),
            MAX_POINTS,
        )?,
    ];
    let rolling = vec![
        time_chart(
            "rolling-sharpe",
            "Rolling Sharpe ratio (net, trailing 256 business days, annualised)",
            dates,
            &[Line {
                label: "Sharpe ratio",
                colour: GREEN,
                values: &rolling_sharpe(net, ROLLING_WINDOW, PERIODS_PER_YEAR),
                area: false,
            }],
            (900, 220),
            MAX_POINTS,
        )?,
        time_chart(
            "volatility",
            "Rolling volatility (net, 256 business days centred, annualised %)",
            dates,
            &[Line {
                label: "volatility",
                colour: PURPLE,
                values: &rolling_ann_std(net, ROLLING_WINDOW, PERIODS_PER_YEAR),
                area: false,
            }],
            (900, 220),
            MAX_POINTS,
        )?,
    ];
    let mut contributions: Vec<(String, f64)> = data
        .instruments
        .iter()
        .map(|i| {
            let total: f64 = i.net_percent.values.iter().filter(|v| !v.is_nan()).sum();
            (i.code.to_string(), total)
        })
        .collect();
    contributions.sort_by(|a, b| b.1.total_cmp(&a.1));
    charts.extend(rolling);
    let contribution = bar_chart(
        "contribution",
        "Per-instrument contribution (total net return, % of capital)",
        &contributions,
    )?;

    let drawdowns: Vec<DrawdownRow> = top_drawdowns(data.net, TOP_DRAWDOWNS)
        .into_iter()
        .enumerate()
        .map(|(k, p)| DrawdownRow {
            rank: k + 1,
            peak: p.peak.to_string(),
            trough: p.trough.to_string(),
            recovery: p
                .recovery
                .map_or_else(|| "not recovered".to_string(), |d| d.to_string()),
            depth: format!("{:.2}", p.depth),
            duration: p.duration.map_or_else(String::new, |d| d.to_string()),
        })
        .collect();

    let stats_by_code: std::collections::HashMap<&str, &(String, CurveStats, f64)> = data
        .summary
        .instruments
        .iter()
        .map(|s| (s.0.as_str(), s))
        .collect();
    let mut instruments = Vec::with_capacity(data.instruments.len());
    for i in &data.instruments {
        let d = &i.net_percent.dates;
        let id = |what: &str| format!("{}-{what}", i.code);
        let small = (900, 150);
        let line = stats_by_code.get(i.code).map_or_else(String::new, |s| {
            format!(
                "net Sharpe {:.2}, net {:.2} % a year, costs {:.2} % a year, turnover {:.1}",
                s.1.net.sharpe, s.1.net.ann_mean, s.1.costs.ann_mean, s.2
            )
        });
        instruments.push(InstrumentSection {
            code: i.code.to_string(),
            line,
            charts: vec![
                time_chart(
                    &id("pnl"),
                    "Cumulative net P&L (% of capital)",
                    d,
                    &[Line {
                        label: "net P&L",
                        colour: BLUE,
                        values: &curve(&i.net_percent.values),
                        area: false,
                    }],
                    small,
                    MAX_POINTS_INSTRUMENT,
                )?,
                time_chart(
                    &id("position"),
                    "Position (contracts)",
                    d,
                    &[Line {
                        label: "buffered position",
                        colour: PURPLE,
                        values: i.position,
                        area: false,
                    }],
                    small,
                    MAX_POINTS_INSTRUMENT,
                )?,
                time_chart(
                    &id("forecast"),
                    "Combined forecast",
                    d,
                    &[Line {
                        label: "forecast",
                        colour: ORANGE,
                        values: i.forecast,
                        area: false,
                    }],
                    small,
                    MAX_POINTS_INSTRUMENT,
                )?,
            ],
        });
    }

    let s = data.summary;
    let mut stats = portfolio_rows("", &s.portfolio);
    if let Some(o) = &s.optimised {
        stats.extend(portfolio_rows("optimised ", &o.portfolio));
    }
    let per_instrument: Vec<StatsRow> = s
        .instruments
        .iter()
        .map(|(code, st, turnover)| StatsRow {
            name: code.clone(),
            cells: vec![
                format!("{:.2}", st.net.ann_mean),
                format!("{:.2}", st.net.ann_std),
                format!("{:.3}", st.net.sharpe),
                format!("{:.3}", st.gross.sharpe),
                format!("{:.3}", st.costs.ann_mean),
                format!("{turnover:.1}"),
            ],
        })
        .collect();
    let intro = format!(
        "{} instruments, {} to {} ({} business days), capital {} {}, {} costs.",
        s.instruments.len(),
        s.start.map_or_else(|| "-".into(), |d| d.to_string()),
        s.end.map_or_else(|| "-".into(), |d| d.to_string()),
        s.days,
        s.capital,
        s.base_currency,
        s.costs_method
    );

    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE)
        .context("report template")?;
    let page = env
        .get_template("report.html")
        .and_then(|t| {
            t.render(context! {
                title => data.title,
                intro,
                stats,
                per_instrument,
                failed => s.failed,
                charts,
                drawdowns,
                years => returns_table(data.net),
                months => ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
                contribution,
                instruments,
            })
        })
        .context("report template")?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_extremes() {
        let v: Vec<f64> = (0..10_000)
            .map(|i| if i == 5_001 { 100.0 } else { 0.0 })
            .collect();
        let t = thin(&v, MAX_POINTS);
        assert!(t.len() <= MAX_POINTS + 2);
        assert!(t.iter().any(|p| p.1 == 100.0));
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn date_ticks_are_round() {
        let (t, years) = date_ticks(ymd(1983, 3, 7), ymd(2024, 8, 30));
        let got: Vec<NaiveDate> = t.iter().filter_map(|x| date_of(*x)).collect();
        assert!(years);
        assert_eq!(got.first(), Some(&ymd(1985, 1, 1)));
        assert_eq!(got.last(), Some(&ymd(2020, 1, 1)));
        assert!(got.len() <= 10 && got.iter().all(|d| d.month() == 1 && d.day() == 1));
        let (t, years) = date_ticks(ymd(2023, 2, 15), ymd(2024, 1, 10));
        let got: Vec<NaiveDate> = t.iter().filter_map(|x| date_of(*x)).collect();
        assert!(!years);
        // 11 months: every second month
        assert_eq!(
            got,
            [
                ymd(2023, 3, 1),
                ymd(2023, 5, 1),
                ymd(2023, 7, 1),
                ymd(2023, 9, 1),
                ymd(2023, 11, 1),
                ymd(2024, 1, 1)
            ]
        );
    }

    #[test]
    fn value_labels() {
        assert_eq!(value_label(-0.0001, 1.0), "0");
        assert_eq!(value_label(12.345, 50.0), "12");
        assert_eq!(value_label(2.0, 7.0), "2");
        assert_eq!(value_label(1.26, 5.0), "1.3");
        assert_eq!(value_label(0.126, 0.5), "0.13");
    }

    #[test]
    fn instrument_codes_are_escaped() {
        let svg = tag_chart("<svg width=\"1\"></svg>".into(), "A\"<b>-pnl");
        assert!(
            svg.starts_with("<svg class=\"chart\" id=\"A__b_-pnl\""),
            "{svg}"
        );
    }
}
