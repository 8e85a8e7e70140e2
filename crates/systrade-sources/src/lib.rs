//! Price sources for `fetch-prices`, and the pure steps between a source and the store:
//!
//! - [`csvfmt`]: Barchart, generic OHLCV and pysystemtrade contract CSVs, FX CSVs;
//! - [`template`]: the `http:` source's URL templates and symbol mapping;
//! - [`ibkr`]: the IB Client Portal gateway as a price source (through `systrade-ibkr`);
//! - [`http`]: the `http:` source's HTTP client (timeouts, pacing, retries with backoff on 429/503);
//! - [`credentials`]: secrets from the environment or a mode-0600 file, never printed;
//! - [`clean`], [`merge`], [`spike`]: cleaning, merging newer rows (and revision windows), and the
//!   price spike check of spec §4.10;
//! - [`chain`]: which contracts are live (spec §4.3 item 2).
//!
//! With the `fakes` feature, [`fakes`] has a CSV HTTP server on 127.0.0.1 for the `http:` source
//! (the fake IB gateway is systrade-ibkr's).

pub mod bar;
pub mod chain;
pub mod clean;
pub mod credentials;
pub mod csvfmt;
#[cfg(feature = "fakes")]
pub mod fakes;
pub mod http;
pub mod ibkr;
pub mod merge;
pub mod spike;
pub mod template;

pub use bar::{Bar, ContractSeries, FxPoint, FxSeries};
