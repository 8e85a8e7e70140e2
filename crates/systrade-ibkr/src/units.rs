//! Price units at the boundary with IB: every price the gateway sends is an [`IbPrice`], every
//! price sent to it is one, and [`PriceScale`] is the only conversion between them and the prices
//! systrade stores and trades with. History bars, limit prices, fill and average prices and the
//! market prices of positions all go through it; FX rates use [`PriceScale::UNIT`].
//!
//! # `priceMagnifier`
//!
//! The `config/ibkr.csv` column comes from pysystemtrade's `ib_config_futures.csv`, where it is IB's
//! contract detail of that name (TWS API `ContractDetails.priceMagnifier`: some futures are quoted
//! in a sub-unit of their currency, e.g. CBOT grains in cents). What pysystemtrade does with it
//! (`sysbrokers/IB/config/ib_instrument_config.py`, `sysbrokers/IB/ib_instruments.py`,
//! `sysproduction/interactive_controls.py`):
//!
//! - it is read with `IBMultiplier` (an empty cell is 1) into the instrument's IB data, whose
//!   `effective_multiplier = IBMultiplier / priceMagnifier` must equal the instrument's
//!   `Pointsize` (CORN: 5000 / 100 = 50 USD per cent); the interactive controls check this, and
//!   compare the configured magnifier with the one IB reports for the contract;
//! - it does not convert prices: bars and fills from IB (TWS API) are stored as IB sends them, so
//!   pysystemtrade's stored prices are in IB's quote unit, whatever it is (Rob Carver in
//!   pysystemtrade issue 628: prices coming from IB are used without changing them).
//!
//! systrade reads prices from the Client Portal Web API, not TWS, and treats the column as the
//! factor from the gateway's quote unit to the stored unit: `ours = IB × priceMagnifier`,
//! `IB = ours / priceMagnifier` (CORN quoted 4.80 dollars is stored as 480 cents). With a
//! magnifier of 1 prices cross unchanged, which is pysystemtrade's behaviour. A data directory
//! whose stored prices are already in the gateway's unit must therefore say 1 here; the factor is
//! applied in this one place, so a different convention is a change to [`PriceScale::of`] only.

use systrade_model::IbkrInstrument;

/// A price as the gateway quotes it. Obtained only from the gateway's answers or from
/// [`PriceScale::to_ib`]; turned into a stored price only by [`PriceScale::to_ours`].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct IbPrice(f64);

impl IbPrice {
    pub(crate) fn from_gateway(x: f64) -> Self {
        Self(x)
    }

    /// The number as the gateway has it, for a request body.
    pub(crate) fn wire(self) -> f64 {
        self.0
    }
}

/// The one conversion between IB's price units and ours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceScale {
    /// Our units per IB unit.
    factor: f64,
}

impl PriceScale {
    /// No conversion (FX rates, instruments with a magnifier of 1).
    pub const UNIT: Self = Self { factor: 1.0 };

    /// The scale of one instrument: its `priceMagnifier` (see the module documentation).
    pub fn of(mapping: &IbkrInstrument) -> Self {
        Self {
            factor: mapping.price_magnifier(),
        }
    }

    /// A price from the gateway in our units.
    pub fn to_ours(self, p: IbPrice) -> f64 {
        p.0 * self.factor
    }

    /// One of our prices in the gateway's units, rounded to 10 decimals so that binary noise
    /// (480.25 / 100) does not put it off the tick.
    pub fn to_ib(self, ours: f64) -> IbPrice {
        IbPrice(((ours / self.factor) * 1e10).round() / 1e10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use systrade_model::InstrumentCode;

    #[test]
    fn one_factor_both_ways() {
        let corn = IbkrInstrument::new(
            InstrumentCode::new("CORN").unwrap(),
            "ZC",
            "CBOT",
            None,
            Some(5000.0),
            100.0,
            false,
        )
        .unwrap();
        let s = PriceScale::of(&corn);
        assert_eq!(s.to_ours(IbPrice::from_gateway(4.8025)), 480.25);
        assert_eq!(s.to_ib(480.25).wire(), 4.8025);
        assert_eq!(
            s.to_ib(s.to_ours(IbPrice::from_gateway(4.8)).round())
                .wire(),
            4.8
        );
        assert_eq!(PriceScale::UNIT.to_ours(IbPrice::from_gateway(1.25)), 1.25);
    }
}
