//! Prometheus text-format metrics (for node_exporter's textfile collector), rebuilt from
//! `process_runs` after every step so the file is always consistent with the database, and written
//! atomically (temporary file + rename; node_exporter never reads half a file).

use rusqlite::Connection;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

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

/// Aggregates `process_runs` by step (finished, refused and skipped runs; running ones are not
/// outcomes yet).
pub fn collect(conn: &Connection) -> anyhow::Result<BTreeMap<String, StepMetrics>> {
    let mut out: BTreeMap<String, StepMetrics> = BTreeMap::new();
    let mut st = conn.prepare(
        "SELECT step, started_at, finished_at, status, exit_code, rows_fetched, orders_placed
         FROM process_runs WHERE status <> 'running' ORDER BY id",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let step: String = r.get(0)?;
        let started: String = r.get(1)?;
        let finished: Option<String> = r.get(2)?;
        let status: String = r.get(3)?;
        let exit: Option<i64> = r.get(4)?;
        let rows_fetched: Option<i64> = r.get(5)?;
        let orders: Option<i64> = r.get(6)?;
        let m = out.entry(step).or_default();
        let end = finished.as_deref().and_then(epoch);
        match status.as_str() {
            "refused" => {
                m.refusals += 1;
                m.failures += 1;
                m.last_ok = 0;
            }
            "skipped" => m.last_ok = 1,
            _ => {
                m.runs += 1;
                m.last_run = end;
                m.last_exit_code = exit;
                m.last_duration = end.zip(epoch(&started)).map(|(e, s)| e - s);
                m.rows_fetched = rows_fetched;
                m.orders_placed = orders;
                m.rows_fetched_total += rows_fetched.unwrap_or(0);
                m.orders_placed_total += orders.unwrap_or(0);
                if status == "ok" {
                    m.last_success = end;
                    m.last_ok = 1;
                } else {
                    m.failures += 1;
                    m.last_ok = 0;
                }
            }
        }
    }
    Ok(out)
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
            "Runs that failed (non-zero exit) or were refused.",
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

/// Rebuilds the metrics from `conn` and writes them atomically to `path`.
pub fn write(conn: &Connection, path: &Path) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    let text = render(&collect(conn)?, now);
    systrade_store::atomic::write_atomic(path, text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::{RunOutcome, record_end, record_not_started, record_start};

    #[test]
    fn metrics_reflect_runs() {
        let dir = tempfile::tempdir().unwrap();
        let db = systrade_store::StateDb::open(&dir.path().join("s.sqlite")).unwrap();
        let c = db.connection();
        let d = chrono::NaiveDate::from_ymd_opt(2023, 8, 28).unwrap();
        let id = record_start(c, "fetch-prices", d, "x").unwrap();
        let ok = RunOutcome {
            exit_code: 0,
            summary: String::new(),
            rows_fetched: Some(12),
            orders_placed: None,
        };
        record_end(c, id, &ok).unwrap();
        let id = record_start(c, "place-orders", d, "x").unwrap();
        let bad = RunOutcome {
            exit_code: 5,
            ..Default::default()
        };
        record_end(c, id, &bad).unwrap();
        record_not_started(c, "report", d, "refused", "predecessor").unwrap();
        let m = collect(c).unwrap();
        assert_eq!(m["fetch-prices"].rows_fetched, Some(12));
        assert_eq!(m["place-orders"].failures, 1);
        assert_eq!(m["report"].refusals, 1);
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
        write(c, &path).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("# TYPE"));
    }
}
