//! Errors of the roll computations. Messages name the timestamp and contracts involved so a tool can
//! prefix the instrument and show them as they are.

use systrade_model::{ContractDate, Timestamp};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RollError {
    #[error("no multiple prices to work on")]
    EmptyMultiplePrices,
    #[error("multiple prices are not in strictly increasing time order at {0}")]
    Unsorted(Timestamp),
    #[error(
        "roll at {at} from {from} to {to}: we don't have prices for both contracts on the previous row (PRICE {price}, FORWARD {forward})"
    )]
    MissingRollPrices {
        at: Timestamp,
        from: ContractDate,
        to: ContractDate,
        price: f64,
        forward: f64,
    },
    #[error(
        "roll at {at} from {from} to {to}: ratio FORWARD/PRICE = {forward}/{price} is not a positive number"
    )]
    BadRatio {
        at: Timestamp,
        from: ContractDate,
        to: ContractDate,
        price: f64,
        forward: f64,
    },
    #[error("no contract prices at all")]
    NoContractPrices,
    #[error(
        "no contract with prices can start a roll calendar: none of the held contracts has a carry contract with prices"
    )]
    NoStartingContract,
    #[error("roll calendar is empty: no roll date with prices for both contracts was found")]
    EmptyCalendar,
    #[error("roll calendar dates are not strictly increasing at {0}")]
    CalendarUnsorted(Timestamp),
    #[error("roll calendar row {at}: no price for {which} contract {contract} on that date")]
    CalendarMissingPrice {
        at: Timestamp,
        which: &'static str,
        contract: ContractDate,
    },
    #[error("roll calendar needs at least two rows to build multiple prices, got {0}")]
    CalendarTooShort(usize),
    #[error("no prices for {which} contract {contract} between {start} and {end}")]
    MissingContract {
        which: &'static str,
        contract: ContractDate,
        start: Timestamp,
        end: Timestamp,
    },
    #[error("no prices at all for the priced contract {0}")]
    PricedContractMissing(ContractDate),
    #[error(
        "no new price for the priced contract {contract} after {after} although {other} has newer prices"
    )]
    PricedContractStale {
        contract: ContractDate,
        after: Timestamp,
        other: ContractDate,
    },
    #[error("bad price {value} for contract {contract} at {at}")]
    BadPrice {
        contract: ContractDate,
        at: Timestamp,
        value: f64,
    },
    #[error(
        "roll has occurred but not registered: adjusted prices end in {stitched} but multiple prices at {at} price {found}"
    )]
    UnregisteredRoll {
        stitched: ContractDate,
        found: ContractDate,
        at: Timestamp,
    },
    #[error("adjusted prices end at {0}, which is not a multiple-prices timestamp")]
    AdjustedNotInMultiple(Timestamp),
    #[error("cannot find the latest {0}: the last row lacks it and no other column can infer it")]
    CannotInferPrice(&'static str),
}
