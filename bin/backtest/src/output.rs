//! Backtest outputs: statistics (JSON and text), `portfolio.csv` and `instruments.parquet`.
//!
//! - `portfolio.csv`: `date,gross,net,costs`, the portfolio's daily returns in percent of capital
//!   (business days; costs are negative or zero; empty = NaN).
//! - `instruments.parquet` ([`systrade_store::backtest_instruments`] documents the columns):
//!   `date,instrument,position,forecast,pnl_gross,pnl_costs,pnl_net`, per instrument and business
//!   day the buffered position (contracts, as held for that day's P&L), the combined forecast and
//!   the gross P&L, costs and net P&L in base currency ([`InstrumentDays`]); grouped by instrument
//!   (instrument-list order), dates ascending. Parquet rather than CSV: 226 instruments over 40
//!   years are 2.3 million rows (a 29 MB CSV), read with `pandas.read_parquet`, polars or duckdb.
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

use chrono::NaiveDate;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use std::io::Write;
use systrade_accounts::stats::{Stats, stats};
use systrade_accounts::{DailySeries, curves::Curves};
use systrade_store::backtest_instruments::InstrumentColumns;

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

/// One instrument's daily columns of `instruments.parquet`
/// ([`systrade_store::backtest_instruments`]), on the dates of its base-currency net curve: the
/// buffered position and combined forecast forward-filled onto them (as held or in force that
/// day), the gross P&L and costs reindexed.
#[derive(Debug, Clone)]
pub struct InstrumentDays {
    pub code: String,
    pub dates: Vec<NaiveDate>,
    pub position: Vec<f64>,
    pub forecast: Vec<f64>,
    pub pnl_gross: Vec<f64>,
    pub pnl_costs: Vec<f64>,
    pub pnl_net: Vec<f64>,
}

impl InstrumentDays {
    /// `forecast` none: an all-NaN column.
    pub fn of(
        code: &str,
        position: &DailySeries,
        forecast: Option<&DailySeries>,
        base: &Curves,
    ) -> Self {
        let dates = &base.net.dates;
        Self {
            code: code.to_string(),
            dates: dates.clone(),
            position: position.reindex_ffill(dates).values,
            forecast: forecast.map_or_else(
                || vec![f64::NAN; dates.len()],
                |f| f.reindex_ffill(dates).values,
            ),
            pnl_gross: base.gross.reindex(dates).values,
            pnl_costs: base.costs.reindex(dates).values,
            pnl_net: base.net.values.clone(),
        }
    }

    pub fn columns(&self) -> InstrumentColumns<'_> {
        InstrumentColumns {
            instrument: &self.code,
            dates: &self.dates,
            position: &self.position,
            forecast: &self.forecast,
            pnl_gross: &self.pnl_gross,
            pnl_costs: &self.pnl_costs,
            pnl_net: &self.pnl_net,
        }
    }
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
