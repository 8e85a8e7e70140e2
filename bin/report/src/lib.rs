//! `report`: operational reports over the data directory and `state.sqlite` (spec §6).
//!
//! Sections: `status` (process control and runs, capital, last price update per instrument, stale
//! data, locks, trade and position limit usage), `roll`, `positions` (optimal buffers vs strategy
//! positions, strategy vs contract positions; for a strategy whose latest size-positions run was
//! dynamically optimised, the optimiser's tracking errors and buffer decision and the optimal vs
//! held vs optimised positions of that run, left out otherwise), `pnl` (by instrument and asset class, from fills
//! marked to the latest contract close), `trades` (fills and slippage against the reference
//! price), `risk` (per-instrument risk, correlations, expected portfolio std), `costs`,
//! `liquidity`, `min-capital` and `remove-markets` (spec §6 thresholds). Text by default; `--format
//! csv|json|html` (html is one self-contained page with inline SVG charts); `--output FILE` writes
//! atomically instead of stdout and prints a one-line summary.

mod data;
pub mod render;
mod sections;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{CommandFactory, Parser, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use systrade_cli::{CommonArgs, ExitCode};
use systrade_store::Store;

pub use render::{Cell, Table};

/// Operational reports: status, roll, positions and reconciliation, P&L, trades and
/// slippage, risk, costs, liquidity, minimum capital, markets to remove.
#[derive(Debug, Parser)]
#[command(name = "report", version)]
pub struct Args {
    /// Sections to include, in this order; default all. When `status` is named, the report is
    /// also a health check: exit 4 when an instrument's prices are stale or a step's latest run
    /// failed (both named on stderr); a report of all sections exits 0 whatever it shows.
    #[arg(value_enum, value_name = "SECTION")]
    pub sections: Vec<Section>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Write the report to FILE (atomically) instead of stdout; stdout gets a one-line summary.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The report date (staleness, windows); default today in SYSTRADE_TZ (UTC unless set).
    #[arg(long, env = "SYSTRADE_RUN_DATE", value_name = "DATE")]
    pub date: Option<NaiveDate>,

    /// Prices whose last bar is more than this many business days before the report date are stale.
    #[arg(long, default_value_t = 3, value_name = "DAYS")]
    pub stale_days: i64,

    /// Days of returns for volatility and correlations.
    #[arg(long, default_value_t = 250, value_name = "DAYS")]
    pub vol_window: usize,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// A report section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Section {
    Status,
    Roll,
    Positions,
    Pnl,
    Trades,
    Risk,
    Costs,
    Liquidity,
    MinCapital,
    RemoveMarkets,
}

impl Section {
    pub const ALL: [Section; 10] = [
        Self::Status,
        Self::Roll,
        Self::Positions,
        Self::Pnl,
        Self::Trades,
        Self::Risk,
        Self::Costs,
        Self::Liquidity,
        Self::MinCapital,
        Self::RemoveMarkets,
    ];
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Csv,
    Json,
    Html,
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command().after_help(EXAMPLES)
}
/// Examples shown after `--help` and in the man page's EXAMPLES section.
const EXAMPLES: &str = "Examples:\n  report status\n  report --format html --output report.html\n  report pnl trades --format csv";

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.common.data_dir);
    let db = store.open_state()?;
    let date = match args.date {
        Some(d) => d,
        None => systrade_cli::today()?,
    };
    let data = data::Data::load(&store, &db, &args.common, args.vol_window)?;
    let sections: Vec<Section> = if args.sections.is_empty() {
        Section::ALL.to_vec()
    } else {
        args.sections.clone()
    };
    let ctx = sections::Ctx {
        data: &data,
        db: &db,
        date,
        stale_days: args.stale_days,
        dir: store.dir().clone(),
        own_run: std::env::var("SYSTRADE_RUN_ID")
            .ok()
            .and_then(|v| v.parse().ok()),
    };
    let mut tables = Vec::new();
    for s in &sections {
        tables.extend(sections::build(&ctx, *s)?);
    }
    let generated = systrade_ops::now_text();
    let title = format!("systrade report {date}");
    let body = match args.format {
        Format::Text => render::text(&tables),
        Format::Csv => render::csv(&tables),
        Format::Json => render::json(&tables, &generated),
        Format::Html => render::html(&tables, &title, &generated),
    };
    let health = sections::health(&ctx)?;
    let summary = format!(
        "report {date}: {} tables, {} instruments, {} stale, {} failed step(s){}",
        tables.len(),
        data.instruments.len(),
        health.stale.len(),
        health.failed_steps.len(),
        if health.failed_steps.is_empty() {
            String::new()
        } else {
            format!(" ({})", health.failed_steps.join(", "))
        }
    );
    systrade_cli::record_summary(&summary);
    match &args.output {
        Some(path) => {
            systrade_store::atomic::write_atomic(path, body.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            writeln!(
                std::io::stdout(),
                "{summary}, written to {}",
                path.display()
            )?;
        }
        None => std::io::stdout().lock().write_all(body.as_bytes())?,
    }
    // `report status` is a health check: it exits 4 when something needs a person. A report of
    // every section (the daily report) is written and exits 0 whatever it shows.
    if args.sections.contains(&Section::Status) && !health.is_healthy() {
        if !health.stale.is_empty() {
            tracing::warn!(
                stale = health.stale.len(),
                "stale prices (last bar more than {} business days before {date}): {}",
                args.stale_days,
                health.stale.join(", ")
            );
        }
        if !health.failed_steps.is_empty() {
            tracing::warn!("latest run failed: {}", health.failed_steps.join(", "));
        }
        return Ok(ExitCode::DataProblem);
    }
    Ok(ExitCode::Success)
}
