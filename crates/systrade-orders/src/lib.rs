//! Order logic of `place-orders` (spec §4.3 items 8–9, §4.4–4.9, §5; issue 7).
//!
//! - [`logic`]: pure functions — the buffer rule, overrides, position and trade limits, the
//!   instrument-to-contract split by roll state, force-roll orders, client order ids, reconciliation.
//! - [`broker`]: the [`broker::Broker`] trait with the deterministic `sim` paper broker and the IB
//!   Client Portal broker (an adapter over `systrade-ibkr`).
//! - [`engine`]: one run — resume in-flight orders, reconcile, generate, submit, record fills,
//!   complete, reconcile again — over the `state.sqlite` tables of `systrade_store::state`.
//! - [`manual`]: going live — adopting the broker's positions, recording trades done outside the
//!   system (both audited).

pub mod broker;
pub mod engine;
pub mod logic;
pub mod manual;

/// The pseudo strategy of roll orders (pysystemtrade `_ROLL_PSEUDO_STRATEGY`).
pub const ROLL_PSEUDO_STRATEGY: &str = "_ROLL_PSEUDO_STRATEGY";
