//! Rolling futures, after pysystemtrade `sysobjects/roll_calendars.py`, `sysobjects/adjusted_prices.py`,
//! `sysinit/futures/build_multiple_prices_from_raw_data.py` and `sysobjects/production/roll_state.py`
//! (spec `pysystemtrade-behaviour.md` §2 and §4.8). Pure functions over `systrade-model` types: no file,
//! network or clock access.
//!
//! - [`calendar`]: roll calendars from per-contract prices (§2.3 items 1–4) or backed out of multiple
//!   prices (§2.3 item 5).
//! - [`multiple`]: multiple prices from a calendar and contract prices (§2.4) and the daily no-roll
//!   update (§2.5 last bullet, §4.3 item 4).
//! - [`adjust`]: Panama (bit-exact with upstream) and ratio back-adjustment (§2.5).
//! - [`production`]: the production roll of multiple and adjusted prices (§2.6).
//! - [`state`]: roll states, allowed transitions and the auto-roll decision (§4.8).

pub mod adjust;
pub mod calendar;
mod contract_prices;
pub mod error;
pub mod multiple;
pub mod production;
pub mod state;

pub use adjust::{
    AdjustMethod, adjust, forward_filled, panama_adjust, ratio_adjust, without_trailing_missing,
};
pub use calendar::{calendar_from_contract_prices, calendar_from_multiple};
pub use contract_prices::PricesByContract;
pub use error::RollError;
pub use multiple::{multiple_from_calendar, update_adjusted_no_roll, update_multiple_no_roll};
pub use production::{RolledPrices, restitched, roll_adjusted};
pub use state::{
    AutoRollConfig, AutoRollDecision, AutoRollInputs, RollState, RollStateError,
    allowed_transitions, auto_roll_decision, daily_volumes, is_allowed, smoothed_volume,
};
