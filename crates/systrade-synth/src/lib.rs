//! A deterministic, seeded synthetic futures market for tests and benchmarks.
//!
//! [`testdata`] describes the small market committed under `testdata/` (six instruments chosen to
//! exercise roll cycles, carry offsets, term structure in contango and backwardation, volume rolls,
//! missing days, a late-listed contract and a non-USD instrument with its FX series); [`universe`]
//! describes arbitrarily many generic instruments for benchmarks. [`generate_market`] /
//! [`generate_instrument`] / [`generate_fx`] turn a description into prices. Everything is pure: no
//! file, clock or environment access, and the same seed gives bit-identical numbers on every
//! platform (see [`random`]). Writing files is the caller's job (`cargo xtask gen-testdata`,
//! `cargo xtask gen-universe`).

pub mod calendar;
pub mod market;
pub mod random;
pub mod spec;

pub use calendar::HolidayCalendar;
pub use market::{
    ContractHistory, DailyBar, FxHistory, InstrumentMarket, Market, close_timestamp, generate_fx,
    generate_instrument, generate_market,
};
pub use spec::{
    CarryModel, ContractGap, FxSpec, InstrumentSpec, LateListing, MarketSpec, MeanReversion,
    SpotModel, TESTDATA_SEED, Tick, VolumeModel, end_date, testdata, universe,
};
