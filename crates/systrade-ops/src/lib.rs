//! Daily operations for systrade (spec §4.2-4.3, issue 9): the step chain of the daily pipeline
//! ([`process`]), total and per-strategy capital ([`capital`]), Prometheus textfile metrics
//! ([`metrics`]) and report formulas ([`formulas`]). Their tables are in `state.sqlite`
//! (`systrade_store::state::{process, capital}`). No printing; callers log.

pub mod capital;
pub mod formulas;
pub mod metrics;
pub mod process;

/// Now as ISO 8601 UTC text with milliseconds, the format every `state.sqlite` time uses.
pub use systrade_store::now_text;
