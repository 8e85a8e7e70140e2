//! Daily operations for systrade (spec §4.2-4.3, issue 9): the step chain of the daily pipeline
//! ([`process`]), total and per-strategy capital ([`capital`]), Prometheus textfile metrics
//! ([`metrics`]) and report formulas ([`formulas`]). Tables live in `state.sqlite` (migration 5 of
//! `systrade_store::MIGRATIONS`). No printing; callers log.

pub mod capital;
pub mod formulas;
pub mod metrics;
pub mod process;

/// Now as ISO 8601 UTC text with milliseconds, the format every `state.sqlite` time uses.
pub fn now_text() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}
