//! Logging to stderr through `tracing`: text by default, JSON lines with `--log-format json`.

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
        .with_writer(std::io::stderr);
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
