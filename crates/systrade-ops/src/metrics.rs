//! Prometheus text-format metrics (for node_exporter's textfile collector), rebuilt from
//! `process_runs` after every step so the file is always consistent with the database, and written
//! atomically (temporary file + rename; node_exporter never reads half a file).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use systrade_store::StateReader;
use systrade_store::state::process::{ProcessRun, RunStatus};

/// Per-step aggregates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepMetrics {
    pub runs: i64,
    pub failures: i64,
    pub refusals: i64,
    pub last_run: Option<f64>,
    pub last_success: Option<f64>,
    pub last_exit_code: Option<i64>,
    /// 1 when the latest outcome is ok or skipped, else 0.
    pub last_ok: i64,
    pub last_duration: Option<f64>,
    pub rows_fetched: Option<i64>,
    pub orders_placed: Option<i64>,
    pub rows_fetched_total: i64,
    pub orders_placed_total: i64,
}

fn epoch(text: &str) -> Option<f64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis() as f64 / 1000.0)
}

/// Aggregates step runs by step, in run order (finished, refused and skipped runs; running ones
/// are not outcomes yet).
pub fn collect(runs: &[ProcessRun]) -> BTreeMap<String, StepMetrics> {
    let mut out: BTreeMap<String, StepMetrics> = BTreeMap::new();
    let mut ordered: Vec<&ProcessRun> = runs
        .iter()
        .filter(|r| r.status != RunStatus::Running)
        .collect();
    ordered.sort_by_key(|r| r.id);
    for r in ordered {
        let m = out.entry(r.step.clone()).or_default();
        let end = r.finished_at.as_deref().and_then(epoch);
        match r.status {
            // A refusal (process control, window, predecessor) is counted apart from failures:
            // the step did not run, so nothing of it failed.
            RunStatus::Refused => {
                m.refusals += 1;
                m.last_ok = 0;
            }
            RunStatus::Skipped => m.last_ok = 1,
            _ => {
                m.runs += 1;
                m.last_run = end;
                m.last_exit_code = r.exit_code;
                m.last_duration = end.zip(epoch(&r.started_at)).map(|(e, s)| e - s);
                m.rows_fetched = r.rows_fetched;
                m.orders_placed = r.orders_placed;
                m.rows_fetched_total += r.rows_fetched.unwrap_or(0);
                m.orders_placed_total += r.orders_placed.unwrap_or(0);
                if r.status == RunStatus::Ok {
                    m.last_success = end;
                    m.last_ok = 1;
                } else {
                    m.failures += 1;
                    m.last_ok = 0;
                }
            }
        }
    }
    out
}

fn esc(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Renders the metrics in Prometheus text exposition format (one HELP/TYPE block per family).
pub fn render(steps: &BTreeMap<String, StepMetrics>, now: f64) -> String {
    type Getter = fn(&StepMetrics) -> Option<f64>;
    let families: [(&str, &str, &str, Getter); 12] = [
        (
            "systrade_step_runs_total",
            "counter",
            "Runs of the step that started its command.",
            |m| Some(m.runs as f64),
        ),
        (
            "systrade_step_failures_total",
            "counter",
            "Runs whose command failed (non-zero exit); refusals are counted apart.",
            |m| Some(m.failures as f64),
        ),
        (
            "systrade_step_refusals_total",
            "counter",
            "Runs refused by process control, time window or predecessor.",
            |m| Some(m.refusals as f64),
        ),
        (
            "systrade_step_last_ok",
            "gauge",
            "1 when the step's latest outcome is success (or NO-RUN skip), else 0.",
            |m| Some(m.last_ok as f64),
        ),
        (
            "systrade_step_last_run_timestamp_seconds",
            "gauge",
            "End of the latest run (Unix time).",
            |m| m.last_run,
        ),
        (
            "systrade_step_last_success_timestamp_seconds",
            "gauge",
            "End of the latest successful run (Unix time).",
            |m| m.last_success,
        ),
        (
            "systrade_step_last_exit_code",
            "gauge",
            "Exit code of the latest run.",
            |m| m.last_exit_code.map(|c| c as f64),
        ),
        (
            "systrade_step_last_duration_seconds",
            "gauge",
            "Duration of the latest run.",
            |m| m.last_duration,
        ),
        (
            "systrade_step_rows_fetched",
            "gauge",
            "Price rows added by the latest run.",
            |m| m.rows_fetched.map(|c| c as f64),
        ),
        (
            "systrade_step_orders_placed",
            "gauge",
            "Broker orders created by the latest run.",
            |m| m.orders_placed.map(|c| c as f64),
        ),
        (
            "systrade_step_rows_fetched_total",
            "counter",
            "Price rows added, all runs.",
            |m| Some(m.rows_fetched_total as f64),
        ),
        (
            "systrade_step_orders_placed_total",
            "counter",
            "Broker orders created, all runs.",
            |m| Some(m.orders_placed_total as f64),
        ),
    ];
    let mut s = String::new();
    for (name, kind, help, get) in families {
        let values: Vec<(&String, f64)> = steps
            .iter()
            .filter_map(|(step, m)| get(m).map(|v| (step, v)))
            .collect();
        if values.is_empty() {
            continue;
        }
        let _ = writeln!(s, "# HELP {name} {help}");
        let _ = writeln!(s, "# TYPE {name} {kind}");
        for (step, v) in values {
            let _ = writeln!(s, "{name}{{step=\"{}\"}} {v}", esc(step));
        }
    }
    let _ = writeln!(
        s,
        "# HELP systrade_metrics_written_timestamp_seconds When this file was written (Unix time)."
    );
    let _ = writeln!(s, "# TYPE systrade_metrics_written_timestamp_seconds gauge");
    let _ = writeln!(s, "systrade_metrics_written_timestamp_seconds {now}");
    s
}

/// Rebuilds the metrics from the step runs in `db` and writes them atomically to `path`.
pub fn write(db: &StateReader, path: &Path) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    let text = render(&collect(&db.process_runs(0)?), now);
    systrade_store::atomic::write_atomic(path, text.as_bytes())?;
    // read by the Prometheus node exporter (another user) even under the private umask 077 of
    // cron/systrade.env; it holds step outcomes only, no secrets
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use systrade_store::Store;
    use systrade_store::state::process::RunOutcome;

    #[test]
    fn metrics_reflect_runs() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path());
        let mut db = store.open_state_for_writing().unwrap();
        let d = chrono::NaiveDate::from_ymd_opt(2023, 8, 28).unwrap();
        db.transaction(|tx| {
            let id = tx.record_run_start("fetch-prices", d, "x")?;
            let ok = RunOutcome {
                exit_code: 0,
                summary: String::new(),
                rows_fetched: Some(12),
                orders_placed: None,
            };
            tx.record_run_end(id, &ok)?;
            let id = tx.record_run_start("place-orders", d, "x")?;
            let bad = RunOutcome {
                exit_code: 5,
                ..Default::default()
            };
            tx.record_run_end(id, &bad)?;
            tx.record_run_not_started("report", d, RunStatus::Refused, "predecessor")
        })
        .unwrap();
        let m = collect(&db.process_runs(0).unwrap());
        assert_eq!(m["fetch-prices"].rows_fetched, Some(12));
        assert_eq!(m["place-orders"].failures, 1);
        assert_eq!(m["report"].refusals, 1);
        assert_eq!(m["report"].failures, 0, "a refusal is not a failure");
        assert_eq!(m["report"].runs, 0);
        let text = render(&m, 1.0);
        assert!(text.contains("systrade_step_rows_fetched{step=\"fetch-prices\"} 12\n"));
        assert!(text.contains("systrade_step_last_exit_code{step=\"place-orders\"} 5\n"));
        assert!(text.contains("systrade_step_last_ok{step=\"report\"} 0\n"));
        assert!(text.contains("systrade_step_last_ok{step=\"fetch-prices\"} 1\n"));
        // every sample line is `name{labels} value` with a numeric value
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let v = line.rsplit(' ').next().unwrap();
            assert!(v.parse::<f64>().is_ok(), "{line}");
        }
        let path = dir.path().join("m/systrade.prom");
        write(&db, &path).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("# TYPE"));
    }

    #[test]
    fn the_latest_run_decides_last_ok_whatever_the_order_given() {
        let run = |id: i64, status: RunStatus| ProcessRun {
            id,
            step: "a".into(),
            run_date: chrono::NaiveDate::from_ymd_opt(2023, 8, 28).unwrap(),
            started_at: "2023-08-28T10:00:00.000Z".into(),
            finished_at: Some("2023-08-28T10:00:01.500Z".into()),
            status,
            exit_code: Some(if status == RunStatus::Ok { 0 } else { 1 }),
            summary: String::new(),
            rows_fetched: None,
            orders_placed: None,
        };
        let newest_first = [
            run(3, RunStatus::Running),
            run(2, RunStatus::Ok),
            run(1, RunStatus::Failed),
        ];
        let m = &collect(&newest_first)["a"];
        assert_eq!((m.runs, m.failures, m.last_ok), (2, 1, 1));
        assert_eq!(m.last_duration, Some(1.5));
    }
}
