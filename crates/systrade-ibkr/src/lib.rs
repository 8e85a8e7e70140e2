//! The Interactive Brokers Client Portal Web API, once for every tool
//! (`shared/spec/price-sources-and-ibkr.md`; IBKR's OpenAPI spec, cross-checked with ibind):
//!
//! - [`gateway`]: the [`Gateway`] and its session (tickle, auth status, `ssodh/init`, keep-alive,
//!   re-authentication on 401), over [`transport`] (cookies, pacing, retries of idempotent calls,
//!   the TLS choice, errors that name a refused connection or certificate) and [`retry`] (pacing,
//!   backoff, `Retry-After`: the policy of every HTTP client in the workspace);
//! - [`contracts`], [`history`], [`orders`], [`portfolio`]: the endpoint groups, typed, prices as
//!   [`IbPrice`] in the gateway's units;
//! - [`resolve`]: which listed future is one of our contracts and back, by IB's own contract
//!   month (crude-style futures expire in the month before), `IgnoreWeekly` among weeklies;
//! - [`units`]: [`PriceScale`], the one conversion between IB's price units and ours
//!   (`priceMagnifier`, documented there with what pysystemtrade means by it);
//! - [`market`]: [`Ibkr`], the gateway seen through the instrument mapping (`config/ibkr.csv`
//!   rows from systrade-store, roll parameters) in our contracts and units: what fetch-prices and
//!   place-orders use.
//!
//! Errors are [`IbkrError`]; [`IbkrError::is_unavailable`] tells "the gateway cannot be used"
//! from the rest. Nothing here knows command-line flags or exit codes.
//!
//! With the `fakes` feature, [`fakes`] has the test doubles: one HTTP test server on 127.0.0.1
//! (plain or TLS with a self-signed certificate) and one fake gateway for prices, orders,
//! positions and accounts; `ibkr-gateway-fake` runs it by hand.

pub mod contracts;
pub mod error;
#[cfg(feature = "fakes")]
pub mod fakes;
pub mod gateway;
pub mod history;
mod json;
pub mod market;
pub mod orders;
pub mod portfolio;
/// Secrets left out of messages: the one implementation is systrade-model's (every binary
/// depends on it); re-exported here for this crate's transport and retry messages.
pub mod redact {
    pub use systrade_model::redact::{REDACTED, redact};
}
pub mod resolve;
pub mod retry;
pub mod transport;
pub mod units;

pub use contracts::{ContractDetails, FuturesUnderlying, ListedFuture, MonthFuture};
pub use error::IbkrError;
pub use gateway::{Gateway, GatewayOptions};
pub use history::{IbBar, history_period};
pub use market::{DailyBar, FxDay, IbOrderState, Ibkr, Order, OrderReport, Position};
pub use portfolio::{AccountChoiceError, AccountValue, Accounts, IbPosition};
pub use transport::TransportOptions;
pub use units::{IbPrice, PriceScale};
