//! Backtest outputs: statistics (JSON and text), `portfolio.csv` and `instruments.csv`.
//!
//! - `portfolio.csv`: `date,gross,net,costs`, the portfolio's daily returns in percent of capital
//!   (business days; costs are negative or zero; empty = NaN).
//! - `instruments.csv`: `date,instrument,position,pnl_gross,pnl_net`, per instrument and business
//!   day the buffered position (contracts, as held for that day's P&L) and the gross and net P&L
//!   in base currency; grouped by instrument (instrument-list order), dates ascending.
//! - JSON (`--format json`): `{"portfolio": {"gross": S, "net": S, "costs": S}, "instruments":
//!   {"<CODE>": {"gross": S, "net": S, "costs": S, "turnover": x}}, ...}` where `S` holds every
//!   statistic of [`systrade_accounts::stats::Stats`] (`sharpe`, `ann_mean`, `ann_std`, `sortino`,
//!   `worst_drawdown`, `calmar`, `skew`, `hitrate`, ...); NaN is `null`. With the optimised system
//!   also `"optimised": {"gross": S, "net": S, "costs": S, "turnover": x,
//!   "tracking_error_median": x, "instruments": {"<CODE>": {"gross": S, "net": S, "costs": S,
//!   "turnover": x}}}` (turnover summed at portfolio level; the median over dates of the
//!   annualised tracking error of the positions held against the optimal ones).
//! - `optimised.parquet` (optimised system): `date,instrument,position,optimal`, the optimised
//!   whole contracts and the unrounded optimal position (the optimiser's input, before the risk
//!   overlay) per instrument and optimiser date (`date` a timestamp at midnight, `position` an
//!   integer), grouped by instrument, dates ascending
//!   ([`systrade_store::optimised_positions`]).
//! - `risk_overlay.csv` (when a risk overlay is configured): `date,multiplier`, the overlay's
//!   multiplier on each date (pysystemtrade `get_risk_scalar`).

use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use std::io::Write;
use systrade_accounts::stats::{Stats, stats};
use systrade_accounts::{DailySeries, curves::Curves};

/// Business days per year for annualising daily statistics (spec §8 item 1).
pub const PERIODS_PER_YEAR: f64 = 256.0;

fn num(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

fn stats_json(s: &Stats) -> Value {
    let pairs = [
        ("min", s.min),
        ("max", s.max),
        ("median", s.median),
        ("mean", s.mean),
        ("std", s.std),
        ("skew", s.skew),
        ("ann_mean", s.ann_mean),
        ("ann_std", s.ann_std),
        ("sharpe", s.sharpe),
        ("sortino", s.sortino),
        ("avg_drawdown", s.avg_drawdown),
        ("worst_drawdown", s.worst_drawdown),
        ("time_in_drawdown", s.time_in_drawdown),
        ("calmar", s.calmar),
        ("avg_return_to_drawdown", s.avg_return_to_drawdown),
        ("avg_loss", s.avg_loss),
        ("avg_gain", s.avg_gain),
        ("gaintolossratio", s.gaintolossratio),
        ("profitfactor", s.profitfactor),
        ("hitrate", s.hitrate),
        ("t_stat", s.t_stat),
        ("p_value", s.p_value),
        ("quant_ratio_lower", s.quant_ratio_lower),
        ("quant_ratio_upper", s.quant_ratio_upper),
    ];
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), num(*v)))
            .collect(),
    )
}

/// Gross, net and costs statistics of one set of percent curves.
#[derive(Debug, Clone)]
pub struct CurveStats {
    pub gross: Stats,
    pub net: Stats,
    pub costs: Stats,
}

impl CurveStats {
    pub fn of(c: &Curves) -> Self {
        Self {
            gross: stats(&c.gross.values, PERIODS_PER_YEAR),
            net: stats(&c.net.values, PERIODS_PER_YEAR),
            costs: stats(&c.costs.values, PERIODS_PER_YEAR),
        }
    }

    fn json(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("gross".into(), stats_json(&self.gross));
        m.insert("net".into(), stats_json(&self.net));
        m.insert("costs".into(), stats_json(&self.costs));
        m
    }
}

/// The statistics of a backtest.
#[derive(Debug, Clone)]
pub struct Summary {
    pub config: String,
    pub costs_method: &'static str,
    pub capital: f64,
    pub base_currency: String,
    pub start: Option<chrono::NaiveDate>,
    pub end: Option<chrono::NaiveDate>,
    pub days: usize,
    pub portfolio: CurveStats,
    /// Per instrument: code, statistics, annualised turnover.
    pub instruments: Vec<(String, CurveStats, f64)>,
    pub failed: Vec<String>,
    /// The optimised system, when run.
    pub optimised: Option<OptimisedStats>,
}

/// Statistics of the optimised system.
#[derive(Debug, Clone)]
pub struct OptimisedStats {
    pub portfolio: CurveStats,
    /// Per instrument: code, statistics, turnover at portfolio level.
    pub instruments: Vec<(String, CurveStats, f64)>,
    /// Sum of the instruments' turnovers (`total_optimised_portfolio_level_turnover`).
    pub turnover: f64,
    /// Median over dates of the annualised tracking error of the held positions vs optimal.
    pub tracking_error_median: f64,
}

impl OptimisedStats {
    fn json(&self) -> Value {
        let mut m = self.portfolio.json();
        m.insert("turnover".into(), num(self.turnover));
        m.insert(
            "tracking_error_median".into(),
            num(self.tracking_error_median),
        );
        m.insert("instruments".into(), instruments_json(&self.instruments));
        Value::Object(m)
    }
}

fn instruments_json(instruments: &[(String, CurveStats, f64)]) -> Value {
    let mut out = Map::new();
    for (code, s, turnover) in instruments {
        let mut m = s.json();
        m.insert("turnover".into(), num(*turnover));
        out.insert(code.clone(), Value::Object(m));
    }
    Value::Object(out)
}

impl Summary {
    pub fn json(&self) -> Value {
        let mut v = json!({
            "config": self.config,
            "costs": self.costs_method,
            "capital": self.capital,
            "base_currency": self.base_currency,
            "start": self.start.map(|d| d.to_string()),
            "end": self.end.map(|d| d.to_string()),
            "days": self.days,
            "portfolio": Value::Object(self.portfolio.json()),
            "instruments": instruments_json(&self.instruments),
            "failed": self.failed,
        });
        if let (Some(o), Value::Object(m)) = (&self.optimised, &mut v) {
            m.insert("optimised".into(), o.json());
        }
        v
    }

    /// The readable summary printed on stdout.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let p = &self.portfolio;
        let _ = writeln!(
            s,
            "backtest {}: {} instruments, {} to {} ({} business days), capital {} {}, {} costs",
            self.config,
            self.instruments.len(),
            self.start.map_or_else(|| "-".into(), |d| d.to_string()),
            self.end.map_or_else(|| "-".into(), |d| d.to_string()),
            self.days,
            self.capital,
            self.base_currency,
            self.costs_method
        );
        let _ = writeln!(
            s,
            "\n{:<10} {:>9} {:>9} {:>8} {:>8} {:>9} {:>8} {:>7} {:>7}",
            "portfolio",
            "ann_mean%",
            "ann_std%",
            "sharpe",
            "sortino",
            "worst_dd%",
            "calmar",
            "skew",
            "hit%"
        );
        for (name, st) in [("gross", &p.gross), ("net", &p.net), ("costs", &p.costs)] {
            let _ = writeln!(
                s,
                "{:<10} {:>9.2} {:>9.2} {:>8.3} {:>8.3} {:>9.2} {:>8.3} {:>7.3} {:>7.1}",
                name,
                st.ann_mean,
                st.ann_std,
                st.sharpe,
                st.sortino,
                st.worst_drawdown,
                st.calmar,
                st.skew,
                100.0 * st.hitrate
            );
        }
        if let Some(o) = &self.optimised {
            let _ = writeln!(
                s,
                "\n{:<10} {:>9} {:>9} {:>8} {:>8} {:>9} {:>8} {:>7} {:>7}",
                "optimised",
                "ann_mean%",
                "ann_std%",
                "sharpe",
                "sortino",
                "worst_dd%",
                "calmar",
                "skew",
                "hit%"
            );
            let p = &o.portfolio;
            for (name, st) in [("gross", &p.gross), ("net", &p.net), ("costs", &p.costs)] {
                let _ = writeln!(
                    s,
                    "{:<10} {:>9.2} {:>9.2} {:>8.3} {:>8.3} {:>9.2} {:>8.3} {:>7.3} {:>7.1}",
                    name,
                    st.ann_mean,
                    st.ann_std,
                    st.sharpe,
                    st.sortino,
                    st.worst_drawdown,
                    st.calmar,
                    st.skew,
                    100.0 * st.hitrate
                );
            }
            let _ = writeln!(
                s,
                "optimised turnover {:.2}, median tracking error vs optimal {:.4}",
                o.turnover, o.tracking_error_median
            );
        }
        let _ = writeln!(
            s,
            "\n{:<14} {:>9} {:>9} {:>8} {:>8} {:>9} {:>9}",
            "instrument", "ann_mean%", "ann_std%", "sharpe", "gross_sr", "costs%", "turnover"
        );
        for (code, st, turnover) in &self.instruments {
            let _ = writeln!(
                s,
                "{:<14} {:>9.2} {:>9.2} {:>8.3} {:>8.3} {:>9.3} {:>9.1}",
                code,
                st.net.ann_mean,
                st.net.ann_std,
                st.net.sharpe,
                st.gross.sharpe,
                st.costs.ann_mean,
                turnover
            );
        }
        if !self.failed.is_empty() {
            let _ = writeln!(s, "\nfailed: {}", self.failed.join(", "));
        }
        s
    }

    /// The statistics as HTML tables (for the report).
    pub fn html_table(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "<p>{} instruments, {} to {} ({} business days), capital {} {}, {} costs.</p>\n<table><tr><th>portfolio</th><th>ann. mean %</th><th>ann. std %</th><th>Sharpe</th><th>Sortino</th><th>worst drawdown %</th><th>Calmar</th><th>skew</th><th>hit rate %</th></tr>",
            self.instruments.len(),
            self.start.map_or_else(|| "-".into(), |d| d.to_string()),
            self.end.map_or_else(|| "-".into(), |d| d.to_string()),
            self.days,
            self.capital,
            self.base_currency,
            self.costs_method
        );
        let p = &self.portfolio;
        for (name, st) in [("gross", &p.gross), ("net", &p.net), ("costs", &p.costs)] {
            let _ = write!(
                s,
                "<tr><td>{name}</td><td>{:.2}</td><td>{:.2}</td><td>{:.3}</td><td>{:.3}</td><td>{:.2}</td><td>{:.3}</td><td>{:.3}</td><td>{:.1}</td></tr>",
                st.ann_mean,
                st.ann_std,
                st.sharpe,
                st.sortino,
                st.worst_drawdown,
                st.calmar,
                st.skew,
                100.0 * st.hitrate
            );
        }
        if let Some(o) = &self.optimised {
            let p = &o.portfolio;
            for (name, st) in [
                ("optimised gross", &p.gross),
                ("optimised net", &p.net),
                ("optimised costs", &p.costs),
            ] {
                let _ = write!(
                    s,
                    "<tr><td>{name}</td><td>{:.2}</td><td>{:.2}</td><td>{:.3}</td><td>{:.3}</td><td>{:.2}</td><td>{:.3}</td><td>{:.3}</td><td>{:.1}</td></tr>",
                    st.ann_mean,
                    st.ann_std,
                    st.sharpe,
                    st.sortino,
                    st.worst_drawdown,
                    st.calmar,
                    st.skew,
                    100.0 * st.hitrate
                );
            }
        }
        s.push_str("</table>\n<details><summary>Per instrument</summary><table><tr><th>instrument</th><th>net ann. mean %</th><th>net ann. std %</th><th>net Sharpe</th><th>gross Sharpe</th><th>costs % p.a.</th><th>turnover</th></tr>");
        for (code, st, turnover) in &self.instruments {
            let _ = write!(
                s,
                "<tr><td>{code}</td><td>{:.2}</td><td>{:.2}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.1}</td></tr>",
                st.net.ann_mean,
                st.net.ann_std,
                st.net.sharpe,
                st.gross.sharpe,
                st.costs.ann_mean,
                turnover
            );
        }
        s.push_str("</table></details>\n");
        s
    }
}

fn field(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        v.to_string()
    }
}

/// Writes `portfolio.csv` (module docs).
///
/// # Errors
/// Write errors.
pub fn write_portfolio_csv(out: &mut impl Write, p: &Curves) -> std::io::Result<()> {
    writeln!(out, "date,gross,net,costs")?;
    let gross = p.gross.reindex(&p.net.dates);
    let costs = p.costs.reindex(&p.net.dates);
    for (i, d) in p.net.dates.iter().enumerate() {
        writeln!(
            out,
            "{d},{},{},{}",
            field(gross.values[i]),
            field(p.net.values[i]),
            field(costs.values[i])
        )?;
    }
    Ok(())
}

/// Writes the header of `instruments.csv`.
///
/// # Errors
/// Write errors.
pub fn write_instruments_header(out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "date,instrument,position,pnl_gross,pnl_net")
}

/// Writes one instrument's rows of `instruments.csv`: on the dates of its base-currency net curve.
///
/// # Errors
/// Write errors.
pub fn write_instrument_rows(
    out: &mut impl Write,
    code: &str,
    position: &DailySeries,
    base: &Curves,
) -> std::io::Result<()> {
    let dates = &base.net.dates;
    let pos = position.reindex_ffill(dates);
    let gross = base.gross.reindex(dates);
    for (i, d) in dates.iter().enumerate() {
        writeln!(
            out,
            "{d},{code},{},{},{}",
            field(pos.values[i]),
            field(gross.values[i]),
            field(base.net.values[i])
        )?;
    }
    Ok(())
}

/// `risk_overlay.csv`: `date,multiplier`.
pub fn write_risk_overlay_csv(
    out: &mut impl Write,
    multiplier: &DailySeries,
) -> std::io::Result<()> {
    writeln!(out, "date,multiplier")?;
    for (d, v) in multiplier.dates.iter().zip(&multiplier.values) {
        if v.is_nan() {
            writeln!(out, "{d},")?;
        } else {
            writeln!(out, "{d},{v}")?;
        }
    }
    Ok(())
}
