//! Process control for the daily pipeline (spec §4.2): control statuses, time windows, the
//! predecessor rule and the record of step runs in `state.sqlite` (`process_runs`,
//! `process_control`).
//!
//! pysystemtrade lets a process start only if its status is GO, the time is within `[start, stop)`
//! and its `previous_process` finished within the last 24 h. Here a step is one command run once per
//! trading day (`run_date`), so "finished within 24 h" becomes "succeeded on the same run date".
//! NO-RUN skips a step without blocking its successors (the run is recorded as `skipped`, which
//! counts as done); STOP and PAUSE refuse it, so its successors are refused too.

use anyhow::{Context, bail};
use chrono::{NaiveDate, NaiveTime};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;

/// A step's control status (pysystemtrade's spellings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlStatus {
    Go,
    Stop,
    Pause,
    NoRun,
}

impl ControlStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Go => "GO",
            Self::Stop => "STOP",
            Self::Pause => "PAUSE",
            Self::NoRun => "NO-RUN",
        }
    }

    /// Parses `GO`, `STOP`, `PAUSE`, `NO-RUN` (case-insensitive; `NO_RUN` accepted).
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        match s.trim().to_ascii_uppercase().replace('_', "-").as_str() {
            "GO" => Ok(Self::Go),
            "STOP" => Ok(Self::Stop),
            "PAUSE" => Ok(Self::Pause),
            "NO-RUN" => Ok(Self::NoRun),
            other => bail!("unknown process status {other:?} (GO, STOP, PAUSE, NO-RUN)"),
        }
    }
}

/// One step of the pipeline: its predecessor and its daily time window `[start, stop)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepConfig {
    pub name: String,
    pub predecessor: Option<String>,
    pub start: NaiveTime,
    /// `None`: until midnight.
    pub stop: Option<NaiveTime>,
}

impl StepConfig {
    fn new(name: &str, predecessor: Option<&str>) -> Self {
        Self {
            name: name.to_string(),
            predecessor: predecessor.map(str::to_string),
            start: NaiveTime::MIN,
            stop: None,
        }
    }

    /// Whether `t` is inside `[start, stop)` (a window with stop before start wraps midnight).
    pub fn in_window(&self, t: NaiveTime) -> bool {
        match self.stop {
            None => t >= self.start,
            Some(stop) if stop > self.start => t >= self.start && t < stop,
            Some(stop) => t >= self.start || t < stop,
        }
    }
}

/// The default chain of `scripts/daily`: fetch-prices → update-rolls → compute-forecasts →
/// size-positions → place-orders → backup, and report after place-orders (the reports follow the
/// order generator as in pysystemtrade's recommended setup, so a broken backup does not stop them).
/// Every window is the whole day; set times in `config/processes.csv`.
pub fn default_steps() -> Vec<StepConfig> {
    vec![
        StepConfig::new("fetch-prices", None),
        StepConfig::new("update-rolls", Some("fetch-prices")),
        StepConfig::new("compute-forecasts", Some("update-rolls")),
        StepConfig::new("size-positions", Some("compute-forecasts")),
        StepConfig::new("place-orders", Some("size-positions")),
        StepConfig::new("backup", Some("place-orders")),
        StepConfig::new("report", Some("place-orders")),
    ]
}

/// Reads `config/processes.csv` (`step,predecessor,start,stop`; empty predecessor = none, times
/// `HH:MM`, empty = whole day) if it exists, else the default chain. Steps not listed there have
/// no predecessor and no window.
pub fn load_steps(config_dir: &Path) -> anyhow::Result<Vec<StepConfig>> {
    let path = config_dir.join("processes.csv");
    if !path.exists() {
        return Ok(default_steps());
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    parse_steps(&text).with_context(|| format!("in {}", path.display()))
}

/// Parses the `processes.csv` text (see [`load_steps`]).
pub fn parse_steps(text: &str) -> anyhow::Result<Vec<StepConfig>> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header = lines.next().map(|(_, l)| l.trim()).unwrap_or_default();
    if header.replace(' ', "") != "step,predecessor,start,stop" {
        bail!("header must be step,predecessor,start,stop, found {header:?}");
    }
    let time = |s: &str, line: usize| -> anyhow::Result<Option<NaiveTime>> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        NaiveTime::parse_from_str(s, "%H:%M")
            .map(Some)
            .with_context(|| format!("line {line}: bad time {s:?} (HH:MM)"))
    };
    let mut steps = Vec::new();
    for (i, line) in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 4 {
            bail!("line {}: expected 4 fields, found {}", i + 1, f.len());
        }
        let name = f[0].trim();
        if name.is_empty() {
            bail!("line {}: empty step name", i + 1);
        }
        steps.push(StepConfig {
            name: name.to_string(),
            predecessor: Some(f[1].trim())
                .filter(|p| !p.is_empty())
                .map(str::to_string),
            start: time(f[2], i + 1)?.unwrap_or(NaiveTime::MIN),
            stop: time(f[3], i + 1)?,
        });
    }
    Ok(steps)
}

/// The configuration of `name` (a step missing from the list has no predecessor and no window).
pub fn step_config(steps: &[StepConfig], name: &str) -> StepConfig {
    steps
        .iter()
        .find(|s| s.name == name)
        .cloned()
        .unwrap_or_else(|| StepConfig::new(name, None))
}

/// Why a step may not start now, or that it may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Run,
    /// NO-RUN: record as skipped (successors may run).
    Skip,
    Refuse(String),
}

/// The start rule (spec §4.2), given the step's status, the time of day and the latest outcome of
/// its predecessor on the same run date (`None`: never ran that day).
pub fn decide(
    cfg: &StepConfig,
    status: ControlStatus,
    now: NaiveTime,
    predecessor_status: Option<&str>,
) -> Decision {
    match status {
        ControlStatus::Stop | ControlStatus::Pause => {
            return Decision::Refuse(format!("process status is {}", status.as_str()));
        }
        ControlStatus::NoRun => return Decision::Skip,
        ControlStatus::Go => {}
    }
    if !cfg.in_window(now) {
        let stop = cfg
            .stop
            .map_or("24:00".to_string(), |t| t.format("%H:%M").to_string());
        return Decision::Refuse(format!(
            "outside its time window {}-{stop} (now {})",
            cfg.start.format("%H:%M"),
            now.format("%H:%M")
        ));
    }
    if let Some(pred) = &cfg.predecessor {
        match predecessor_status {
            Some("ok") | Some("skipped") => {}
            Some(other) => {
                return Decision::Refuse(format!(
                    "predecessor {pred} has not succeeded today (last: {other})"
                ));
            }
            None => {
                return Decision::Refuse(format!("predecessor {pred} has not run today"));
            }
        }
    }
    Decision::Run
}

/// The control status of `step` (GO when never set).
pub fn control_status(conn: &Connection, step: &str) -> anyhow::Result<ControlStatus> {
    let s: Option<String> = conn
        .query_row(
            "SELECT status FROM process_control WHERE step = ?1",
            [step],
            |r| r.get(0),
        )
        .optional()?;
    s.map_or(Ok(ControlStatus::Go), |s| ControlStatus::parse(&s))
}

/// Sets the control status of `step`.
pub fn set_control_status(
    conn: &Connection,
    step: &str,
    status: ControlStatus,
    reason: &str,
) -> anyhow::Result<()> {
    conn.execute(
        "INSERT INTO process_control (step, status, reason, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (step) DO UPDATE SET status = ?2, reason = ?3, updated_at = ?4",
        params![step, status.as_str(), reason, crate::now_text()],
    )?;
    Ok(())
}

/// Every step with a control row: (step, status, reason, updated_at).
pub fn control_rows(conn: &Connection) -> anyhow::Result<Vec<(String, String, String, String)>> {
    let mut st =
        conn.prepare("SELECT step, status, reason, updated_at FROM process_control ORDER BY step")?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The status of the latest finished (or refused) run of `step` on `run_date`.
pub fn latest_status(
    conn: &Connection,
    step: &str,
    run_date: NaiveDate,
) -> anyhow::Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT status FROM process_runs WHERE step = ?1 AND run_date = ?2
             AND status <> 'running' ORDER BY COALESCE(finished_at, started_at) DESC, id DESC
             LIMIT 1",
            params![step, run_date.to_string()],
            |r| r.get(0),
        )
        .optional()?)
}

/// Records the start of a run; returns its id.
pub fn record_start(
    conn: &Connection,
    step: &str,
    run_date: NaiveDate,
    command: &str,
) -> anyhow::Result<i64> {
    conn.execute(
        "INSERT INTO process_runs (step, run_date, started_at, status, pid, command)
         VALUES (?1, ?2, ?3, 'running', ?4, ?5)",
        params![
            step,
            run_date.to_string(),
            crate::now_text(),
            std::process::id(),
            command
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Marks runs of `step` still recorded as running as failed (their process died without recording
/// its end). Call only while holding the step's lock, so no live run is affected. Returns how many.
pub fn close_crashed(conn: &Connection, step: &str) -> anyhow::Result<usize> {
    Ok(conn.execute(
        "UPDATE process_runs SET status = 'failed', finished_at = ?2,
         summary = 'crashed: the process ended without recording its end'
         WHERE step = ?1 AND status = 'running'",
        params![step, crate::now_text()],
    )?)
}

/// What a finished run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOutcome {
    pub exit_code: i32,
    pub summary: String,
    pub rows_fetched: Option<i64>,
    pub orders_placed: Option<i64>,
}

/// Records the end of run `id` (`ok` when the exit code is 0, else `failed`).
pub fn record_end(conn: &Connection, id: i64, outcome: &RunOutcome) -> anyhow::Result<()> {
    let status = if outcome.exit_code == 0 {
        "ok"
    } else {
        "failed"
    };
    conn.execute(
        "UPDATE process_runs SET finished_at = ?2, status = ?3, exit_code = ?4, summary = ?5,
         rows_fetched = ?6, orders_placed = ?7 WHERE id = ?1",
        params![
            id,
            crate::now_text(),
            status,
            outcome.exit_code,
            outcome.summary,
            outcome.rows_fetched,
            outcome.orders_placed
        ],
    )?;
    Ok(())
}

/// Records a run that did not start: `refused` (with the reason) or `skipped` (NO-RUN).
pub fn record_not_started(
    conn: &Connection,
    step: &str,
    run_date: NaiveDate,
    status: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let now = crate::now_text();
    conn.execute(
        "INSERT INTO process_runs (step, run_date, started_at, finished_at, status, summary)
         VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
        params![step, run_date.to_string(), now, status, reason],
    )?;
    Ok(())
}

/// One row of `process_runs`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub id: i64,
    pub step: String,
    pub run_date: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: String,
    pub exit_code: Option<i64>,
    pub summary: String,
    pub rows_fetched: Option<i64>,
    pub orders_placed: Option<i64>,
}

/// Runs, newest first; `limit` 0 = all.
pub fn runs(conn: &Connection, limit: usize) -> anyhow::Result<Vec<RunRow>> {
    let limit = if limit == 0 { -1 } else { limit as i64 };
    let mut st = conn.prepare(
        "SELECT id, step, run_date, started_at, finished_at, status, exit_code, summary,
                rows_fetched, orders_placed
         FROM process_runs ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = st
        .query_map([limit], |r| {
            Ok(RunRow {
                id: r.get(0)?,
                step: r.get(1)?,
                run_date: r.get(2)?,
                started_at: r.get(3)?,
                finished_at: r.get(4)?,
                status: r.get(5)?,
                exit_code: r.get(6)?,
                summary: r.get(7)?,
                rows_fetched: r.get(8)?,
                orders_placed: r.get(9)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn windows_include_start_exclude_stop_and_wrap() {
        let mut c = StepConfig::new("x", None);
        c.start = t(20, 0);
        c.stop = Some(t(23, 50));
        assert!(c.in_window(t(20, 0)));
        assert!(!c.in_window(t(23, 50)));
        assert!(!c.in_window(t(7, 0)));
        c.stop = Some(t(2, 0));
        assert!(c.in_window(t(1, 0)) && c.in_window(t(22, 0)) && !c.in_window(t(3, 0)));
    }

    #[test]
    fn start_rule() {
        let cfg = step_config(&default_steps(), "compute-forecasts");
        let now = t(12, 0);
        assert_eq!(
            decide(&cfg, ControlStatus::Go, now, Some("ok")),
            Decision::Run
        );
        assert_eq!(
            decide(&cfg, ControlStatus::Go, now, Some("skipped")),
            Decision::Run
        );
        assert!(matches!(
            decide(&cfg, ControlStatus::Go, now, Some("failed")),
            Decision::Refuse(r) if r.contains("update-rolls") && r.contains("failed")
        ));
        assert!(matches!(
            decide(&cfg, ControlStatus::Go, now, None),
            Decision::Refuse(_)
        ));
        assert!(matches!(
            decide(&cfg, ControlStatus::Pause, now, Some("ok")),
            Decision::Refuse(r) if r.contains("PAUSE")
        ));
        assert_eq!(
            decide(&cfg, ControlStatus::NoRun, now, None),
            Decision::Skip
        );
        let first = step_config(&default_steps(), "fetch-prices");
        assert_eq!(decide(&first, ControlStatus::Go, now, None), Decision::Run);
    }

    #[test]
    fn processes_csv_parses_and_rejects() {
        let s = parse_steps("step,predecessor,start,stop\na,,07:00,\nb,a,20:00,23:50\n").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].predecessor, None);
        assert_eq!(s[1].predecessor.as_deref(), Some("a"));
        assert_eq!(s[1].stop, Some(t(23, 50)));
        assert!(parse_steps("step,pred\n").is_err());
        assert!(parse_steps("step,predecessor,start,stop\na,,7h,\n").is_err());
    }

    #[test]
    fn runs_are_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let db = systrade_store::StateDb::open(&dir.path().join("s.sqlite")).unwrap();
        let c = db.connection();
        let d = NaiveDate::from_ymd_opt(2023, 8, 28).unwrap();
        assert_eq!(latest_status(c, "a", d).unwrap(), None);
        let id = record_start(c, "a", d, "true").unwrap();
        assert_eq!(
            latest_status(c, "a", d).unwrap(),
            None,
            "running is not an outcome"
        );
        let out = RunOutcome {
            exit_code: 3,
            summary: "x".into(),
            ..Default::default()
        };
        record_end(c, id, &out).unwrap();
        assert_eq!(latest_status(c, "a", d).unwrap().as_deref(), Some("failed"));
        record_not_started(c, "a", d, "skipped", "NO-RUN").unwrap();
        assert_eq!(
            latest_status(c, "a", d).unwrap().as_deref(),
            Some("skipped")
        );
        assert_eq!(control_status(c, "a").unwrap(), ControlStatus::Go);
        set_control_status(c, "a", ControlStatus::Stop, "maintenance").unwrap();
        assert_eq!(control_status(c, "a").unwrap(), ControlStatus::Stop);
        assert_eq!(runs(c, 0).unwrap().len(), 2);
        record_start(c, "b", d, "sleep").unwrap();
        assert_eq!(close_crashed(c, "a").unwrap(), 0);
        assert_eq!(close_crashed(c, "b").unwrap(), 1);
        assert_eq!(latest_status(c, "b", d).unwrap().as_deref(), Some("failed"));
    }
}
