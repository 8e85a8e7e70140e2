//! Domain types of systrade, after pysystemtrade's `sysobjects/`: instrument codes and their static
//! configuration, contract dates (`YYYYMMDD`, day `00` for monthly contracts), futures month letters,
//! roll cycles and roll parameters, roll states and pending rolls, position overrides, timestamps,
//! how instruments are named at the broker, and the forecast series and position histories the
//! system computes. Pure: no file, network or clock access.

pub mod broker_mapping;
pub mod contract;
pub mod forecast;
pub mod instrument;
pub mod month;
pub mod overrides;
pub mod pending_roll;
pub mod position_history;
pub mod prices;
pub mod redact;
pub mod roll_cycle;
pub mod roll_state;
pub mod time;
pub mod validation;

pub use broker_mapping::{BrokerMappingError, IbkrFx, IbkrInstrument};
pub use contract::{ContractDate, ContractDateError};
pub use forecast::{COMBINED_RULE, ForecastSeries};
pub use instrument::{
    AssetClass, CarryOffset, Instrument, InstrumentCode, InstrumentCodeError, RollParameters,
    RollParametersError,
};
pub use month::{FuturesMonth, MonthLetterError};
pub use overrides::{ConfiguredOverride, Override};
pub use pending_roll::{MultipleEnd, PendingRoll, RollProgress};
pub use position_history::PositionHistory;
pub use prices::{
    AdjustedPrices, CarryPrices, ContractBar, ContractPrices, FxRates, MultiplePrices,
    MultiplePricesRow, PriceSeries, RollCalendar, RollCalendarRow,
};
pub use redact::redact;
pub use roll_cycle::{RollCycle, RollCycleError};
pub use roll_state::{RollState, RollStateError};
pub use time::{Timestamp, TimestampError};
pub use validation::{BadValue, BarField, Invalid};

/// Business days per year (pysystemtrade `syscore/dateutils.py` `BUSINESS_DAYS_IN_YEAR`).
pub const BUSINESS_DAYS_IN_YEAR: f64 = 256.0;
/// √256: annualisation factor for daily volatility (`ROOT_BDAYS_INYEAR`).
pub const ROOT_BUSINESS_DAYS_IN_YEAR: f64 = 16.0;
/// Calendar days per year used for year fractions.
pub const CALENDAR_DAYS_IN_YEAR: f64 = 365.25;
