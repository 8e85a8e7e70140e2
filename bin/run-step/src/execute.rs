//! The step's command as a child process: stdout and stderr pass through, their last lines and
//! the `rows_added` column of CSV output are kept for the run's record.

use anyhow::Context;
use chrono::NaiveDate;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use systrade_ops::process::RunOutcome;

/// Runs the command, passing stdout and stderr through while keeping their last lines.
pub(crate) fn execute(command: &[String], date: NaiveDate) -> anyhow::Result<RunOutcome> {
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
