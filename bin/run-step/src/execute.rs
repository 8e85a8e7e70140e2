//! The step's command as a child process: stdout and stderr pass through; the run's record gets
//! the summary the command writes to `SYSTRADE_SUMMARY_FILE` (every systrade tool does: counts of
//! what it did), else its last line of output, the last error line of a failure, and the sum of
//! the `rows_added` column of CSV output.

use anyhow::Context;
use chrono::NaiveDate;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use systrade_ops::process::RunOutcome;

/// The step run a command belongs to; passed to it in the environment.
pub(crate) struct StepRun<'a> {
    pub(crate) step: &'a str,
    pub(crate) id: i64,
    pub(crate) date: NaiveDate,
    /// Where the command writes its summary (`SYSTRADE_SUMMARY_FILE`).
    pub(crate) summary_file: &'a Path,
}

/// Runs the command, passing stdout and stderr through while keeping their last lines. The
/// command sees `SYSTRADE_RUN_DATE`, `SYSTRADE_STEP`, `SYSTRADE_RUN_ID` and
/// `SYSTRADE_SUMMARY_FILE`.
pub(crate) fn execute(command: &[String], run: &StepRun<'_>) -> anyhow::Result<RunOutcome> {
    let _ = std::fs::remove_file(run.summary_file);
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .env("SYSTRADE_RUN_DATE", run.date.to_string())
        .env("SYSTRADE_STEP", run.step)
        .env("SYSTRADE_RUN_ID", run.id.to_string())
        .env(systrade_cli::SUMMARY_FILE_ENV, run.summary_file)
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
    let recorded = std::fs::read_to_string(run.summary_file)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let _ = std::fs::remove_file(run.summary_file);
    // A partial run (exit 3) is best described by its counts, which name the failed items; any
    // other failure by its error.
    let summary = if let Some(s) = recorded.filter(|_| exit_code == 0 || exit_code == 3) {
        s
    } else if exit_code != 0 && !last_err.is_empty() {
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
