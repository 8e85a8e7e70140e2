//! Tables `process_runs` and `process_control` (migration 5; run-step, `systrade-ops`): one row per
//! step run (`run_date` is the trading day it belongs to, a run without `finished_at` is in
//! progress or its process died) and the control status of each step.

use super::{StateReader, StateTx, UnknownValue, now_text};
use crate::error::Result;
use chrono::NaiveDate;
use rusqlite::params;
use std::fmt;

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
    pub fn parse(s: &str) -> std::result::Result<Self, UnknownValue> {
        match s.trim().to_ascii_uppercase().replace('_', "-").as_str() {
            "GO" => Ok(Self::Go),
            "STOP" => Ok(Self::Stop),
            "PAUSE" => Ok(Self::Pause),
            "NO-RUN" => Ok(Self::NoRun),
            other => Err(UnknownValue {
                what: "process status",
                value: other.to_string(),
                expected: "GO, STOP, PAUSE, NO-RUN",
            }),
        }
    }
}

impl std::str::FromStr for ControlStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> std::result::Result<Self, UnknownValue> {
        Self::parse(s)
    }
}

/// The outcome of a step run as `process_runs.status` stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Started and not (yet) finished.
    Running,
    /// Exit code 0.
    Ok,
    /// Non-zero exit code, or the process died.
    Failed,
    /// Not started: process control, time window, predecessor or an overlapping run.
    Refused,
    /// Not started: status NO-RUN (counts as done for its successors).
    Skipped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Refused => "refused",
            Self::Skipped => "skipped",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RunStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> std::result::Result<Self, UnknownValue> {
        match s {
            "running" => Ok(Self::Running),
            "ok" => Ok(Self::Ok),
            "failed" => Ok(Self::Failed),
            "refused" => Ok(Self::Refused),
            "skipped" => Ok(Self::Skipped),
            _ => Err(UnknownValue {
                what: "run status",
                value: s.to_string(),
                expected: "running, ok, failed, refused, skipped",
            }),
        }
    }
}

/// One row of `process_runs`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessRun {
    pub id: i64,
    pub step: String,
    pub run_date: NaiveDate,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: RunStatus,
    pub exit_code: Option<i64>,
    pub summary: String,
    pub rows_fetched: Option<i64>,
    pub orders_placed: Option<i64>,
}

/// What a finished run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOutcome {
    pub exit_code: i32,
    pub summary: String,
    pub rows_fetched: Option<i64>,
    pub orders_placed: Option<i64>,
}

/// One row of `process_control`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessControl {
    pub step: String,
    pub status: ControlStatus,
    pub reason: String,
    pub updated_at: String,
}

const RUNS: &str = "process_runs";

impl StateReader {
    /// The control status of `step` (GO when never set).
    pub fn control_status(&self, step: &str) -> Result<ControlStatus> {
        match self.row(
            "SELECT status FROM process_control WHERE step = ?1",
            [step],
            |r| r.get::<_, String>(0),
        )? {
            Some(s) => self.parse("process_control", "status", &s),
            None => Ok(ControlStatus::Go),
        }
    }

    /// Every step with a control row, by step.
    pub fn process_controls(&self) -> Result<Vec<ProcessControl>> {
        let raw = self.rows(
            "SELECT step, status, reason, updated_at FROM process_control ORDER BY step",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )?;
        raw.into_iter()
            .map(|(step, status, reason, updated_at)| {
                Ok(ProcessControl {
                    step,
                    status: self.parse("process_control", "status", &status)?,
                    reason,
                    updated_at,
                })
            })
            .collect()
    }

    /// The outcome of the latest finished (or refused, or skipped) run of `step` on `run_date`.
    pub fn latest_run_status(&self, step: &str, run_date: NaiveDate) -> Result<Option<RunStatus>> {
        match self.row(
            "SELECT status FROM process_runs WHERE step = ?1 AND run_date = ?2
             AND status <> 'running' ORDER BY COALESCE(finished_at, started_at) DESC, id DESC
             LIMIT 1",
            params![step, run_date.to_string()],
            |r| r.get::<_, String>(0),
        )? {
            Some(s) => Ok(Some(self.parse(RUNS, "status", &s)?)),
            None => Ok(None),
        }
    }

    /// Step runs, newest first; `limit` 0 = all.
    pub fn process_runs(&self, limit: usize) -> Result<Vec<ProcessRun>> {
        let limit = if limit == 0 {
            -1
        } else {
            i64::try_from(limit).unwrap_or(i64::MAX)
        };
        let raw = self.rows(
            "SELECT id, step, run_date, started_at, finished_at, status, exit_code, summary,
                    rows_fetched, orders_placed
             FROM process_runs ORDER BY id DESC LIMIT ?1",
            [limit],
            |r| {
                Ok((
                    (
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ),
                    (
                        r.get::<_, String>(5)?,
                        r.get::<_, Option<i64>>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, Option<i64>>(8)?,
                        r.get::<_, Option<i64>>(9)?,
                    ),
                ))
            },
        )?;
        raw.into_iter()
            .map(
                |(
                    (id, step, run_date, started_at, finished_at),
                    (status, exit, summary, rows, orders),
                )| {
                    Ok(ProcessRun {
                        id,
                        step,
                        run_date: self.parse(RUNS, "run_date", &run_date)?,
                        started_at,
                        finished_at,
                        status: self.parse(RUNS, "status", &status)?,
                        exit_code: exit,
                        summary,
                        rows_fetched: rows,
                        orders_placed: orders,
                    })
                },
            )
            .collect()
    }
}

impl StateTx<'_> {
    /// Sets the control status of `step`.
    pub fn set_control_status(
        &self,
        step: &str,
        status: ControlStatus,
        reason: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO process_control (step, status, reason, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (step) DO UPDATE SET status = ?2, reason = ?3, updated_at = ?4",
            params![step, status.as_str(), reason, now_text()],
        )?;
        Ok(())
    }

    /// Records the start of a run of `step` by this process; returns its id. The command is stored
    /// with its secrets redacted (a `--source` URL with `?apikey=...`), as every text of
    /// `process_runs` is ([`systrade_model::redact`]).
    pub fn record_run_start(&self, step: &str, run_date: NaiveDate, command: &str) -> Result<i64> {
        let command = systrade_model::redact(command);
        self.insert(
            "INSERT INTO process_runs (step, run_date, started_at, status, pid, command)
             VALUES (?1, ?2, ?3, 'running', ?4, ?5)",
            params![
                step,
                run_date.to_string(),
                now_text(),
                std::process::id(),
                command
            ],
        )
    }

    /// Marks runs of `step` still recorded as running as failed (their process died without
    /// recording its end). Call only while holding the step's lock, so no live run is affected.
    /// Returns how many.
    pub fn close_crashed_runs(&self, step: &str) -> Result<usize> {
        self.exec(
            "UPDATE process_runs SET status = 'failed', finished_at = ?2,
             summary = 'crashed: the process ended without recording its end'
             WHERE step = ?1 AND status = 'running'",
            params![step, now_text()],
        )
    }

    /// Records the end of run `id`: `ok` when the exit code is 0, else `failed`. The summary (often
    /// a tool's last error line) is stored with its secrets redacted.
    pub fn record_run_end(&self, id: i64, outcome: &RunOutcome) -> Result<()> {
        let summary = systrade_model::redact(&outcome.summary);
        let status = if outcome.exit_code == 0 {
            RunStatus::Ok
        } else {
            RunStatus::Failed
        };
        self.exec(
            "UPDATE process_runs SET finished_at = ?2, status = ?3, exit_code = ?4, summary = ?5,
             rows_fetched = ?6, orders_placed = ?7 WHERE id = ?1",
            params![
                id,
                now_text(),
                status.as_str(),
                outcome.exit_code,
                summary,
                outcome.rows_fetched,
                outcome.orders_placed
            ],
        )?;
        Ok(())
    }

    /// Records a run that did not start: [`RunStatus::Refused`] (with the reason) or
    /// [`RunStatus::Skipped`].
    pub fn record_run_not_started(
        &self,
        step: &str,
        run_date: NaiveDate,
        status: RunStatus,
        reason: &str,
    ) -> Result<()> {
        let now = now_text();
        let reason = systrade_model::redact(reason);
        self.exec(
            "INSERT INTO process_runs (step, run_date, started_at, finished_at, status, summary)
             VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
            params![step, run_date.to_string(), now, status.as_str(), reason],
        )?;
        Ok(())
    }
}
