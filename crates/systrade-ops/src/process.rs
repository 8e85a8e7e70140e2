//! Process control for the daily pipeline (spec §4.2): control statuses, time windows and the
//! predecessor rule. Step runs and control statuses are stored in `state.sqlite`
//! (`systrade_store::state::process`).
//!
//! pysystemtrade lets a process start only if its status is GO, the time is within `[start, stop)`
//! and its `previous_process` finished within the last 24 h. Here a step is one command run once per
//! trading day (`run_date`), so "finished within 24 h" becomes "succeeded on the same run date".
//! NO-RUN skips a step without blocking its successors (the run is recorded as `skipped`, which
//! counts as done); STOP and PAUSE refuse it, so its successors are refused too.

use anyhow::{Context, bail};
use chrono::NaiveTime;
use std::path::Path;
pub use systrade_store::state::process::{ControlStatus, RunOutcome, RunStatus};

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
/// size-positions → place-orders; backup and report have no predecessor, so they run every day
/// even when an earlier step failed (they are most needed then; the report says what failed).
/// Every window is the whole day; set times and predecessors in `config/processes.csv`.
pub fn default_steps() -> Vec<StepConfig> {
    vec![
        StepConfig::new("fetch-prices", None),
        StepConfig::new("update-rolls", Some("fetch-prices")),
        StepConfig::new("compute-forecasts", Some("update-rolls")),
        StepConfig::new("size-positions", Some("compute-forecasts")),
        StepConfig::new("place-orders", Some("size-positions")),
        StepConfig::new("backup", None),
        StepConfig::new("report", None),
    ]
}

/// Reads `config/processes.csv` at `path` (`step,predecessor,start,stop`; empty predecessor = none,
/// times `HH:MM`, empty = whole day) if it exists, else the default chain. Steps not listed there
/// have no predecessor and no window.
pub fn load_steps(path: &Path) -> anyhow::Result<Vec<StepConfig>> {
    if !path.exists() {
        return Ok(default_steps());
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
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
    predecessor_status: Option<RunStatus>,
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
            Some(RunStatus::Ok) | Some(RunStatus::Skipped) => {}
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
            decide(&cfg, ControlStatus::Go, now, Some(RunStatus::Ok)),
            Decision::Run
        );
        assert_eq!(
            decide(&cfg, ControlStatus::Go, now, Some(RunStatus::Skipped)),
            Decision::Run
        );
        assert!(matches!(
            decide(&cfg, ControlStatus::Go, now, Some(RunStatus::Failed)),
            Decision::Refuse(r) if r.contains("update-rolls") && r.contains("failed")
        ));
        assert!(matches!(
            decide(&cfg, ControlStatus::Go, now, None),
            Decision::Refuse(_)
        ));
        assert!(matches!(
            decide(&cfg, ControlStatus::Pause, now, Some(RunStatus::Ok)),
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
}
