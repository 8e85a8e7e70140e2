//! How instruments and FX rates are named at Interactive Brokers: the rows of `config/ibkr.csv`
//! (pysystemtrade's `sysbrokers/IB/config/ib_config_futures.csv`,
//! `Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IgnoreWeekly`) and of
//! `config/ibkr-fx.csv` (`ib_config_spot_FX.csv`, `CODE,CCY1,CCY2,INVERT`). Validated on
//! construction; the store parses the files, the IB client consumes these rows.

use crate::instrument::InstrumentCode;

/// Why a mapping row is invalid: the field (the CSV column) and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field '{field}': {problem}")]
pub struct BrokerMappingError {
    pub field: &'static str,
    pub problem: String,
}

fn invalid(field: &'static str, problem: impl Into<String>) -> BrokerMappingError {
    BrokerMappingError {
        field,
        problem: problem.into(),
    }
}

/// One row of `config/ibkr.csv`: which IB futures an instrument trades as.
///
/// - `symbol`, `exchange`: IB's underlying symbol and exchange (`ZC`, `CBOT`).
/// - `currency`, `multiplier`: when given, only IB futures with this currency and multiplier are
///   the instrument's (`MIB`, `MIB_mini` and `MIB_micro` are all `FTMIB` on `IDEM`, told apart by
///   multipliers 5, 1 and 0.2). pysystemtrade leaves them out of the contract it builds when the
///   cell is empty (`NA` for the currency).
/// - `price_magnifier`: IB's `priceMagnifier` of the contract (1 when empty, as pysystemtrade
///   reads it): the factor between the unit IB quotes in and the unit the instrument's prices are
///   stored in. `multiplier / price_magnifier` is the instrument's point size (CORN: 5000 / 100 =
///   50 USD per cent). How the IB client converts prices with it is documented in `systrade-ibkr`.
/// - `ignore_weekly`: IB lists weekly (or daily) expiries next to the monthly one; pick the
///   monthly one instead of refusing the month as ambiguous (VIX, LME metals, some EUREX indices).
#[derive(Debug, Clone, PartialEq)]
pub struct IbkrInstrument {
    instrument: InstrumentCode,
    symbol: String,
    exchange: String,
    currency: Option<String>,
    multiplier: Option<f64>,
    price_magnifier: f64,
    ignore_weekly: bool,
}

impl IbkrInstrument {
    /// Checks every field: symbol and exchange not empty and without spaces, currency three
    /// letters, multiplier and magnifier finite and positive.
    pub fn new(
        instrument: InstrumentCode,
        symbol: &str,
        exchange: &str,
        currency: Option<&str>,
        multiplier: Option<f64>,
        price_magnifier: f64,
        ignore_weekly: bool,
    ) -> Result<Self, BrokerMappingError> {
        let word = |field: &'static str, s: &str| -> Result<String, BrokerMappingError> {
            let s = s.trim();
            if s.is_empty() {
                return Err(invalid(field, "empty"));
            }
            if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(invalid(field, format!("'{s}' contains spaces")));
            }
            Ok(s.to_string())
        };
        let positive = |field: &'static str, x: f64| {
            if x.is_finite() && x > 0.0 {
                Ok(x)
            } else {
                Err(invalid(field, format!("{x} is not a positive number")))
            }
        };
        let currency = match currency.map(str::trim) {
            None => None,
            Some(c) if is_currency(c) => Some(c.to_string()),
            Some(c) => {
                return Err(invalid(
                    "IBCurrency",
                    format!("'{c}' is not a currency code (three capital letters, or NA)"),
                ));
            }
        };
        Ok(Self {
            instrument,
            symbol: word("IBSymbol", symbol)?,
            exchange: word("IBExchange", exchange)?,
            currency,
            multiplier: multiplier
                .map(|m| positive("IBMultiplier", m))
                .transpose()?,
            price_magnifier: positive("priceMagnifier", price_magnifier)?,
            ignore_weekly,
        })
    }

    pub fn instrument(&self) -> &InstrumentCode {
        &self.instrument
    }

    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    pub fn exchange(&self) -> &str {
        &self.exchange
    }

    /// `None`: any currency (the file says `NA` or nothing).
    pub fn currency(&self) -> Option<&str> {
        self.currency.as_deref()
    }

    /// `None`: any multiplier (the cell is empty).
    pub fn multiplier(&self) -> Option<f64> {
        self.multiplier
    }

    pub fn price_magnifier(&self) -> f64 {
        self.price_magnifier
    }

    pub fn ignore_weekly(&self) -> bool {
        self.ignore_weekly
    }
}

/// One row of `config/ibkr-fx.csv`: the rate `code` (`GBPUSD`, USD per one unit of the first
/// currency) is IB's currency pair `ccy1.ccy2`, inverted when `invert` (`CADUSD` from `USD.CAD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IbkrFx {
    code: String,
    ccy1: String,
    ccy2: String,
    invert: bool,
}

impl IbkrFx {
    /// `code` six capital letters, the currencies three each.
    pub fn new(
        code: &str,
        ccy1: &str,
        ccy2: &str,
        invert: bool,
    ) -> Result<Self, BrokerMappingError> {
        let code = code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid(
                "CODE",
                format!("'{code}' is not an FX code such as GBPUSD"),
            ));
        }
        let ccy = |field: &'static str, c: &str| {
            let c = c.trim();
            if is_currency(c) {
                Ok(c.to_string())
            } else {
                Err(invalid(field, format!("'{c}' is not a currency code")))
            }
        };
        Ok(Self {
            code: code.to_string(),
            ccy1: ccy("CCY1", ccy1)?,
            ccy2: ccy("CCY2", ccy2)?,
            invert,
        })
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn ccy1(&self) -> &str {
        &self.ccy1
    }

    pub fn ccy2(&self) -> &str {
        &self.ccy2
    }

    /// IB's pair, `CCY1.CCY2`.
    pub fn pair(&self) -> String {
        format!("{}.{}", self.ccy1, self.ccy2)
    }

    pub fn invert(&self) -> bool {
        self.invert
    }
}

fn is_currency(c: &str) -> bool {
    c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> InstrumentCode {
        InstrumentCode::new(s).unwrap()
    }

    #[test]
    fn instrument_rows_are_checked() {
        let corn =
            IbkrInstrument::new(code("CORN"), "ZC", "CBOT", None, Some(5000.0), 100.0, false)
                .unwrap();
        assert_eq!(corn.multiplier().unwrap() / corn.price_magnifier(), 50.0);
        assert_eq!(corn.currency(), None);
        let e = IbkrInstrument::new(code("CORN"), "ZC", "", None, None, 1.0, false).unwrap_err();
        assert_eq!(e.to_string(), "field 'IBExchange': empty");
        let e =
            IbkrInstrument::new(code("CORN"), "ZC", "CBOT", None, None, 0.0, false).unwrap_err();
        assert_eq!(e.field, "priceMagnifier");
        let e = IbkrInstrument::new(code("CORN"), "ZC", "CBOT", Some("usd"), None, 1.0, false)
            .unwrap_err();
        assert_eq!(e.field, "IBCurrency");
        let e = IbkrInstrument::new(code("CORN"), "ZC", "CBOT", None, Some(f64::NAN), 1.0, false)
            .unwrap_err();
        assert_eq!(e.field, "IBMultiplier");
    }

    #[test]
    fn fx_rows_are_checked() {
        let cad = IbkrFx::new("CADUSD", "USD", "CAD", true).unwrap();
        assert_eq!(cad.pair(), "USD.CAD");
        assert_eq!(
            IbkrFx::new("CAD", "USD", "CAD", true).unwrap_err().field,
            "CODE"
        );
        assert_eq!(
            IbkrFx::new("CADUSD", "US", "CAD", true).unwrap_err().field,
            "CCY1"
        );
    }
}
