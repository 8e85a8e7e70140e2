//! `run-step`: run one step of the daily pipeline under process control (spec §4.2), and manage
//! process control and capital (spec §4.3 items 5-6).
//!
//! `run-step NAME -- COMMAND ARGS...` runs COMMAND as step NAME for a run date (default today,
//! UTC). It refuses to start (exit 1, recorded as `refused`) when the step's control status is
//! STOP or PAUSE, the time is outside its window, or its predecessor has not succeeded on the same
//! run date; NO-RUN records the step as `skipped` (exit 0) and lets its successors run. A lock
//! (`locks/step-NAME.lock`, `flock`) refuses an overlapping run of the same step (exit 6). The
//! chain and windows come from `DATA/config/processes.csv` (`step,predecessor,start,stop`) or the
//! default chain of `scripts/daily`. The command's stdout and stderr pass through; its exit code
//! becomes run-step's (codes above 6 become 1). Start, end, exit code, a summary line (the last
//! stderr line of a failure, else the last stdout line), rows fetched (sum of a `rows_added`
//! column when stdout is CSV) and broker orders created are recorded in `process_runs`. After
//! every run or refusal the Prometheus metrics file is rewritten atomically, and on failure the
//! alert command runs as `sh -c "$SYSTRADE_ALERT_CMD" sh STEP EXIT_CODE` with
//! `SYSTRADE_ALERT_STEP`, `SYSTRADE_ALERT_EXIT_CODE`, `SYSTRADE_ALERT_SUMMARY` and
//! `SYSTRADE_RUN_DATE` set.

use anyhow::{Context, bail};
use chrono::{NaiveDate, NaiveTime};
use clap::{CommandFactory, Parser, Subcommand};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use systrade_cli::{CommonArgs, ExitCode, ExitCodeError, OutputFormat};
use systrade_ops::capital::{self, CapitalMethod, Update};
use systrade_ops::process::{self, ControlStatus, Decision, RunOutcome, RunStatus};
use systrade_store::{StateReader, StateWriter, Store, StoreError, WriteLock};

/// Run a step of the daily pipeline under process control (status GO/STOP/PAUSE/NO-RUN, time
/// window, predecessor succeeded today, no overlapping run), record it in state.sqlite, write
/// Prometheus metrics and alert on failure. Subcommands manage process control and capital.
#[derive(Debug, Parser)]
#[command(
    name = "run-step",
    version,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  run-step fetch-prices -- fetch-prices --source ibkr --format csv\n  \
                  run-step control set place-orders STOP --reason 'broker maintenance'\n  \
                  run-step capital update --account-value 1050000"
)]
pub struct Args {
    /// The step name (fetch-prices, update-rolls, compute-forecasts, size-positions, place-orders,
    /// backup, report, or any name in config/processes.csv).
    #[arg(value_name = "STEP", required = true)]
    pub step: Option<String>,

    /// The command to run, after `--`.
    #[arg(value_name = "COMMAND", last = true, required = true)]
    pub command: Vec<String>,

    #[command(subcommand)]
    pub cmd: Option<Cmd>,

    /// Trading day the run belongs to (YYYY-MM-DD); default today (UTC).
    #[arg(long, env = "SYSTRADE_RUN_DATE", value_name = "DATE", global = true)]
    pub date: Option<NaiveDate>,

    /// Time of day checked against the step's window (HH:MM); default now (local time).
    #[arg(long, value_name = "HH:MM", value_parser = parse_time)]
    pub time: Option<NaiveTime>,

    /// Do nothing (exit 0) when the step already succeeded on this run date, so re-running the
    /// pipeline resumes after the last failure.
    #[arg(long)]
    pub once: bool,

    /// Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom.
    #[arg(
        long,
        env = "SYSTRADE_METRICS_FILE",
        value_name = "FILE",
        global = true
    )]
    pub metrics_file: Option<PathBuf>,

    /// Shell command run when the step fails (gets STEP and EXIT_CODE as $1 and $2).
    #[arg(long, env = "SYSTRADE_ALERT_CMD", value_name = "SHELL-COMMAND")]
    pub alert_cmd: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

fn parse_time(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|e| format!("{s:?}: {e} (HH:MM)"))
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Process control: show statuses and the latest run of each step, or set a status.
    Control {
        #[command(subcommand)]
        action: Option<ControlCmd>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Total and per-strategy capital (spec §4.3 items 5-6).
    Capital {
        #[command(subcommand)]
        action: CapitalCmd,
    },
    /// Rewrite the metrics file from state.sqlite.
    Metrics,
}

#[derive(Debug, Subcommand)]
pub enum ControlCmd {
    /// Set a step's status: GO, STOP, PAUSE or NO-RUN.
    Set {
        step: String,
        status: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CapitalCmd {
    /// Current total capital, pending update, history and strategy allocation.
    Show {
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Set total capital by hand.
    Set {
        amount: f64,
        #[arg(long, default_value = "set by hand")]
        note: String,
    },
    /// Apply the broker account value (base currency): full/half/fixed compounding; a move of more
    /// than 10% waits for `confirm` (exit 4).
    Update {
        #[arg(long, value_name = "AMOUNT")]
        account_value: f64,
        #[arg(long, env = "SYSTRADE_CAPITAL_METHOD", default_value = "full", value_parser = ["full", "half", "fixed"])]
        method: String,
    },
    /// Accept the pending update that moved more than 10%.
    Confirm,
    /// Reject the pending update.
    Reject,
    /// Set a strategy's allocation weight (capital_s = total × w_s / Σw).
    Weight { strategy: String, weight: f64 },
    /// Print the capital a strategy trades (its allocation, or the total when no strategy has a
    /// weight) as a bare number for scripts (`size-positions --capital "$(run-step capital get)"`);
    /// exit 1 with nothing on stdout when no capital is set.
    Get {
        #[arg(long, default_value = "default")]
        strategy: String,
    },
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.common.data_dir);
    let mut db = store.open_state_for_writing()?;
    let metrics_path = args
        .metrics_file
        .clone()
        .unwrap_or_else(|| store.dir().metrics_file());
    match &args.cmd {
        Some(Cmd::Control { action, format }) => control(&mut db, action.as_ref(), *format),
        Some(Cmd::Capital { action }) => capital_cmd(&mut db, action),
        Some(Cmd::Metrics) => {
            systrade_ops::metrics::write(&db, &metrics_path)?;
            Ok(ExitCode::Success)
        }
        None => {
            let step = args.step.as_deref().context("missing STEP")?;
            run_step(args, &store, &mut db, step, &metrics_path)
        }
    }
}

fn run_date(args: &Args) -> NaiveDate {
    args.date.unwrap_or_else(|| chrono::Utc::now().date_naive())
}

fn run_step(
    args: &Args,
    store: &Store,
    db: &mut StateWriter,
    step: &str,
    metrics_path: &Path,
) -> anyhow::Result<ExitCode> {
    if step.is_empty() || step.contains('/') || ["control", "capital", "metrics"].contains(&step) {
        bail!("invalid step name {step:?}");
    }
    let date = run_date(args);
    let steps = process::load_steps(&store.dir().processes_csv())?;
    let cfg = process::step_config(&steps, step);

    let lock_path = store.dir().step_lock_file(step);
    let _lock = match WriteLock::acquire(&lock_path, Duration::ZERO) {
        Ok(l) => l,
        Err(StoreError::Locked { .. }) => {
            let reason = "another run of this step is in progress".to_string();
            tracing::error!(step, "{reason}");
            db.transaction(|tx| {
                tx.record_run_not_started(step, date, RunStatus::Refused, &reason)
            })?;
            write_metrics(db, metrics_path);
            alert(args, step, date, 6, &reason);
            return Err(anyhow::Error::new(ExitCodeError(ExitCode::Locked))
                .context(format!("step {step} refused: {reason}")));
        }
        Err(e) => return Err(e.into()),
    };

    let crashed = db.transaction(|tx| tx.close_crashed_runs(step))?;
    if crashed > 0 {
        tracing::warn!(
            step,
            crashed,
            "earlier run(s) ended without recording their end: marked failed"
        );
    }

    if args.once && db.latest_run_status(step, date)? == Some(RunStatus::Ok) {
        tracing::info!(step, %date, "already succeeded on this run date; nothing to do");
        return Ok(ExitCode::Success);
    }

    let status = db.control_status(step)?;
    let now = args.time.unwrap_or_else(|| chrono::Local::now().time());
    let pred = match &cfg.predecessor {
        Some(p) => db.latest_run_status(p, date)?,
        None => None,
    };
    match process::decide(&cfg, status, now, pred) {
        Decision::Skip => {
            tracing::warn!(step, "status NO-RUN: skipped");
            db.transaction(|tx| {
                tx.record_run_not_started(
                    step,
                    date,
                    RunStatus::Skipped,
                    "process status is NO-RUN",
                )
            })?;
            write_metrics(db, metrics_path);
            return Ok(ExitCode::Success);
        }
        Decision::Refuse(reason) => {
            tracing::error!(step, %date, "not started: {reason}");
            db.transaction(|tx| {
                tx.record_run_not_started(step, date, RunStatus::Refused, &reason)
            })?;
            write_metrics(db, metrics_path);
            return Err(anyhow::anyhow!("step {step} not started: {reason}"));
        }
        Decision::Run => {}
    }

    let command_text = args.command.join(" ");
    let id = db.transaction(|tx| tx.record_run_start(step, date, &command_text))?;
    tracing::info!(step, %date, command = %command_text, "step started");
    let orders_before = db.broker_orders_created().ok();
    let outcome = match execute(&args.command, date) {
        Ok(o) => o,
        Err(e) => RunOutcome {
            exit_code: 127,
            summary: format!("could not start {}: {e:#}", args.command[0]),
            ..Default::default()
        },
    };
    let orders_placed = match (orders_before, db.broker_orders_created().ok()) {
        (Some(b), Some(a)) if a >= b => Some(a - b),
        _ => None,
    };
    let outcome = RunOutcome {
        orders_placed,
        ..outcome
    };
    db.transaction(|tx| tx.record_run_end(id, &outcome))?;
    write_metrics(db, metrics_path);
    if outcome.exit_code == 0 {
        tracing::info!(step, summary = %outcome.summary, "step succeeded");
        return Ok(ExitCode::Success);
    }
    tracing::error!(step, exit_code = outcome.exit_code, summary = %outcome.summary, "step failed");
    alert(args, step, date, outcome.exit_code, &outcome.summary);
    let code = match outcome.exit_code {
        3 => ExitCode::Partial,
        4 => ExitCode::DataProblem,
        5 => ExitCode::BrokerUnavailable,
        6 => ExitCode::Locked,
        2 => ExitCode::Usage,
        _ => ExitCode::Failure,
    };
    Err(anyhow::Error::new(ExitCodeError(code)).context(format!(
        "step {step} failed with exit code {}",
        outcome.exit_code
    )))
}

fn write_metrics(db: &StateReader, path: &Path) {
    if let Err(e) = systrade_ops::metrics::write(db, path) {
        tracing::error!("writing metrics {}: {e:#}", path.display());
    }
}

/// Runs the command, passing stdout and stderr through while keeping their last lines.
fn execute(command: &[String], date: NaiveDate) -> anyhow::Result<RunOutcome> {
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .env("SYSTRADE_RUN_DATE", date.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().context("no stderr pipe")?;
    let err_thread = std::thread::spawn(move || {
        // The summary of a failure: the last error line (`error: ...`, an ERROR log line), else
        // the last non-empty line.
        let (mut last, mut last_error) = (String::new(), String::new());
        let mut out = std::io::stderr();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = writeln!(out, "{line}");
            if line.trim().is_empty() {
                continue;
            }
            if line.starts_with("error") || line.contains(" ERROR ") || line.contains("\"ERROR\"") {
                last_error = line.clone();
            }
            last = line;
        }
        if last_error.is_empty() {
            last
        } else {
            last_error
        }
    });
    let stdout = child.stdout.take().context("no stdout pipe")?;
    let mut out = std::io::stdout().lock();
    let mut last = String::new();
    let mut csv = CsvRows::default();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        writeln!(out, "{line}")?;
        csv.feed(&line);
        if !line.trim().is_empty() {
            last = line;
        }
    }
    out.flush()?;
    let status = child.wait()?;
    let last_err = err_thread.join().unwrap_or_default();
    let exit_code = status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + status.signal().unwrap_or(0)
    });
    let summary = if exit_code != 0 && !last_err.is_empty() {
        last_err
    } else if exit_code != 0 && last.is_empty() {
        format!("exit code {exit_code}")
    } else {
        last
    };
    Ok(RunOutcome {
        exit_code,
        summary: summary.chars().take(500).collect(),
        rows_fetched: csv.total(),
        orders_placed: None,
    })
}

/// Sums the `rows_added` column of CSV output (fetch-prices --format csv).
#[derive(Debug, Default)]
struct CsvRows {
    column: Option<usize>,
    header_seen: bool,
    sum: i64,
}

impl CsvRows {
    fn feed(&mut self, line: &str) {
        if !self.header_seen {
            self.header_seen = true;
            self.column = line.split(',').position(|c| c.trim() == "rows_added");
            return;
        }
        if let Some(i) = self.column
            && let Some(v) = line.split(',').nth(i)
            && let Ok(n) = v.trim().parse::<i64>()
        {
            self.sum += n;
        }
    }

    fn total(&self) -> Option<i64> {
        self.column.map(|_| self.sum)
    }
}

fn alert(args: &Args, step: &str, date: NaiveDate, code: i32, summary: &str) {
    let Some(cmd) = args.alert_cmd.as_deref().filter(|c| !c.trim().is_empty()) else {
        return;
    };
    let status = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .arg("sh")
        .arg(step)
        .arg(code.to_string())
        .env("SYSTRADE_ALERT_STEP", step)
        .env("SYSTRADE_ALERT_EXIT_CODE", code.to_string())
        .env("SYSTRADE_ALERT_SUMMARY", summary)
        .env("SYSTRADE_RUN_DATE", date.to_string())
        .stdin(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => tracing::info!(step, "alert command ran"),
        Ok(s) => tracing::error!(step, "alert command failed: {s}"),
        Err(e) => tracing::error!(step, "alert command could not start: {e}"),
    }
}

fn control(
    db: &mut StateWriter,
    action: Option<&ControlCmd>,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    if let Some(ControlCmd::Set {
        step,
        status,
        reason,
    }) = action
    {
        let s = ControlStatus::parse(status)?;
        db.transaction(|tx| tx.set_control_status(step, s, reason))?;
        tracing::info!(step, status = s.as_str(), "process status set");
        return Ok(ExitCode::Success);
    }
    let steps = process::default_steps();
    let mut names: Vec<String> = steps.iter().map(|s| s.name.clone()).collect();
    for c in db.process_controls()? {
        if !names.contains(&c.step) {
            names.push(c.step);
        }
    }
    let runs = db.process_runs(0)?;
    for r in &runs {
        if !names.contains(&r.step) {
            names.push(r.step.clone());
        }
    }
    let header = [
        "step",
        "status",
        "last_run_date",
        "last_outcome",
        "exit_code",
        "summary",
    ];
    let mut rows = Vec::new();
    for n in &names {
        let st = db.control_status(n)?;
        let last = runs.iter().find(|r| &r.step == n);
        rows.push(vec![
            n.clone(),
            st.as_str().to_string(),
            last.map(|r| r.run_date.to_string()).unwrap_or_default(),
            last.map(|r| r.status.to_string()).unwrap_or_default(),
            last.and_then(|r| r.exit_code)
                .map(|c| c.to_string())
                .unwrap_or_default(),
            last.map(|r| r.summary.clone()).unwrap_or_default(),
        ]);
    }
    print_table(&header, &rows, format)?;
    Ok(ExitCode::Success)
}

fn capital_cmd(db: &mut StateWriter, action: &CapitalCmd) -> anyhow::Result<ExitCode> {
    match action {
        CapitalCmd::Show { format } => {
            let header = [
                "at",
                "account_value",
                "total_capital",
                "maximum",
                "acc_pnl",
                "method",
                "status",
                "note",
            ];
            let rows: Vec<Vec<String>> = db
                .capital_history()?
                .into_iter()
                .map(|r| {
                    vec![
                        r.at,
                        r.state
                            .account_value
                            .map(|v| format!("{v:.2}"))
                            .unwrap_or_default(),
                        format!("{:.2}", r.state.total_capital),
                        format!("{:.2}", r.state.maximum),
                        format!("{:.2}", r.state.acc_pnl),
                        r.method,
                        r.status.as_str().to_string(),
                        r.note,
                    ]
                })
                .collect();
            print_table(&header, &rows, *format)?;
            let strat: Vec<Vec<String>> = db
                .strategy_capitals()?
                .into_iter()
                .map(|s| {
                    vec![
                        s.strategy,
                        format!("{}", s.weight),
                        format!("{:.2}", s.capital),
                    ]
                })
                .collect();
            if !strat.is_empty() {
                writeln!(std::io::stdout())?;
                print_table(&["strategy", "weight", "capital"], &strat, *format)?;
            }
            Ok(ExitCode::Success)
        }
        CapitalCmd::Set { amount, note } => {
            let s = capital::set_manual(db, *amount, note)?;
            tracing::info!(total_capital = s.total_capital, "capital set by hand");
            Ok(ExitCode::Success)
        }
        CapitalCmd::Update {
            account_value,
            method,
        } => match capital::update(db, *account_value, CapitalMethod::parse(method)?)? {
            Update::Accepted(s) => {
                tracing::info!(
                    total_capital = s.total_capital,
                    acc_pnl = s.acc_pnl,
                    "capital updated"
                );
                Ok(ExitCode::Success)
            }
            Update::NeedsConfirmation { jump, .. } => Err(anyhow::Error::new(ExitCodeError(
                ExitCode::DataProblem,
            ))
            .context(format!(
                "account value moved {:.1}% (> 10%): capital unchanged until \
                 `run-step capital confirm` (or `reject`)",
                jump * 100.0
            ))),
        },
        CapitalCmd::Confirm => {
            let s = capital::confirm(db)?;
            tracing::info!(total_capital = s.total_capital, "capital update confirmed");
            Ok(ExitCode::Success)
        }
        CapitalCmd::Reject => {
            if !capital::reject(db)? {
                bail!("no capital update is waiting for confirmation");
            }
            Ok(ExitCode::Success)
        }
        CapitalCmd::Get { strategy } => match capital::strategy_capital(db, strategy)? {
            Some(c) => {
                writeln!(std::io::stdout(), "{c}")?;
                Ok(ExitCode::Success)
            }
            None => bail!("no capital set for strategy {strategy} (run-step capital set AMOUNT)"),
        },
        CapitalCmd::Weight { strategy, weight } => {
            capital::set_weight(db, strategy, *weight)?;
            Ok(ExitCode::Success)
        }
    }
}

fn print_table(header: &[&str], rows: &[Vec<String>], format: OutputFormat) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Table => {
            let mut w: Vec<usize> = header.iter().map(|h| h.len()).collect();
            for r in rows {
                for (i, c) in r.iter().enumerate() {
                    w[i] = w[i].max(c.chars().count());
                }
            }
            let line = |cells: Vec<&str>| {
                cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("{c:<width$}", width = w[i]))
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
                let cells: Vec<String> = r.iter().map(|c| csv_cell(c)).collect();
                writeln!(out, "{}", cells.join(","))?;
            }
        }
        OutputFormat::Json => {
            for r in rows {
                let obj: serde_json::Map<String, serde_json::Value> = header
                    .iter()
                    .zip(r)
                    .map(|(h, c)| (h.to_string(), serde_json::Value::String(c.clone())))
                    .collect();
                writeln!(out, "{}", serde_json::Value::Object(obj))?;
            }
        }
    }
    Ok(())
}

fn csv_cell(c: &str) -> String {
    if c.contains([',', '"', '\n']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c.to_string()
    }
}
