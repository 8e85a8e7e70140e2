//! Logging to stderr through `tracing`: text by default, JSON lines with `--log-format json`.
//! Every line passes [`systrade_model::redact`] on its way out ([`RedactedStderr`]), so a secret a
//! library put into a message (a vendor's error body echoing `?apikey=...`) never reaches stderr.

use crate::args::{CommonArgs, LogFormat};
use std::sync::atomic::{AtomicBool, Ordering};
use tracing_subscriber::EnvFilter;

/// Set once `init_logging` chose JSON lines: then everything on stderr goes through the log.
static JSON_LOGS: AtomicBool = AtomicBool::new(false);

/// Whether stderr carries JSON lines (`--log-format json`).
pub(crate) fn json_logs() -> bool {
    JSON_LOGS.load(Ordering::Relaxed)
}

/// Starts logging on stderr at the level chosen by `-v/-q` (`SYSTRADE_LOG` overrides with an
/// `EnvFilter` directive such as `debug` or `systrade_store=trace`).
pub fn init_logging(common: &CommonArgs) -> anyhow::Result<()> {
    let level = match (common.verbose, common.quiet) {
        (0, 0) => "info",
        (1, _) => "debug",
        (v, _) if v >= 2 => "trace",
        (_, 1) => "warn",
        _ => "error",
    };
    let filter = std::env::var("SYSTRADE_LOG")
        .ok()
        .and_then(|s| EnvFilter::try_new(s).ok())
        .unwrap_or_else(|| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactedStderr);
    let result = match common.log_format {
        LogFormat::Text => builder
            .with_target(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => {
            JSON_LOGS.store(true, Ordering::Relaxed);
            builder.json().flatten_event(true).try_init()
        }
    };
    // A second init (tests calling run twice in one process) is harmless.
    let _ = result;
    Ok(())
}

/// The log's writer: stderr, each formatted event with its secrets redacted. `tracing_subscriber`
/// formats an event into one buffer and writes it with one `write_all`, so each write here is
/// whole lines. A JSON line is redacted value by value (so the line stays valid JSON); anything
/// else as text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RedactedStderr;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RedactedStderr {
    type Writer = RedactedStderr;

    fn make_writer(&'a self) -> Self::Writer {
        RedactedStderr
    }
}

impl std::io::Write for RedactedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            out.push_str(&redact_line(line));
        }
        std::io::stderr().lock().write_all(out.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// One line of the log with its secrets redacted: a JSON object string by string, else as text.
pub(crate) fn redact_line(line: &str) -> String {
    let body = line.trim_end_matches('\n');
    if body.starts_with('{')
        && let Ok(mut value) = serde_json::from_str::<serde_json::Value>(body)
    {
        redact_json(&mut value);
        let mut out = value.to_string();
        out.push_str(&line[body.len()..]);
        return out;
    }
    systrade_model::redact(line)
}

/// Every string (and key-value pair, as `key=value` text) of a JSON value redacted in place.
fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => *s = systrade_model::redact(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                // A field named like a secret (`token = %t` in a tracing call) is redacted whole.
                if let serde_json::Value::String(s) = v
                    && systrade_model::redact::is_secret_name(key)
                {
                    *s = systrade_model::redact::REDACTED.to_string();
                    continue;
                }
                redact_json(v);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_redacted_and_json_stays_json() {
        assert_eq!(
            redact_line("ERROR CORN: HTTP 403: GET /q?apikey=S3CRET&x=1\n"),
            "ERROR CORN: HTTP 403: GET /q?apikey=[redacted]&x=1\n"
        );
        let json = r#"{"level":"ERROR","message":"CORN: denied {\"access_token\": \"S3CRET\"} Authorization: Bearer B34RER","token":"T0KEN","n":3}"#;
        let out = redact_line(&format!("{json}\n"));
        assert!(out.ends_with('\n'));
        let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
        for secret in ["S3CRET", "B34RER", "T0KEN"] {
            assert!(!out.contains(secret), "{secret}: {out}");
        }
        assert_eq!(v["n"], 3);
        assert_eq!(v["token"], "[redacted]");
        let message = v["message"].as_str().unwrap();
        assert!(message.starts_with("CORN: denied {"), "{message}");
        assert_eq!(v["level"], "ERROR");
    }
}
