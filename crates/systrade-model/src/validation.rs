//! The validation rules for every value that enters the data directory: `import-pst`, the price
//! sources of `fetch-prices` and the config CSV readers all apply these functions, so one rule
//! holds everywhere (docs/ARCHITECTURE.md, "Validation rules", states them as a table).
//!
//! Each check returns the problem as a [`BadValue`] (its text is the message); the caller names
//! the file, the row and the field. The
//! checks are deliberately about values that cannot be right (a point size of −50 or 1e-300, an FX
//! rate ≤ 0, a HIGH below its LOW, a timestamp in 9999), not about values that are merely unusual.
//!
//! Prices may be zero or negative: back-adjusted prices go negative for many instruments
//! (pysystemtrade's shipped `adjusted_prices_csv/` has 36 such files, e.g. `CRUDE_W`, `US10`),
//! shipped multiple prices contain `0.0` carry/forward prices (`CHINAA-CON`, `RICE`), and
//! pysystemtrade's price cleaning keeps negative contract prices (`ignore_negative_prices: False`,
//! WTI crude settled at −37.63 on 2020-04-20). A zero close from a price source is dropped by
//! `fetch-prices`' cleaning (`ignore_zero_prices`), not rejected here. Prices must still be finite
//! and below [`MAX_ABS_PRICE`] in magnitude; a missing price is `NaN`.

use crate::instrument::{Instrument, RollParameters};
use crate::time::{MICROS_PER_DAY, Timestamp};
use chrono::NaiveDate;

/// Smallest accepted `Pointsize` (currency value of a 1.0 price move). pysystemtrade's smallest is
/// 0.1 (`BITCOIN`).
pub const MIN_POINTSIZE: f64 = 1e-4;
/// Largest accepted `Pointsize`. pysystemtrade's largest is 1.25e8 (`KRWUSD`).
pub const MAX_POINTSIZE: f64 = 1e10;
/// FX rates (USD per unit of the currency) must lie in `[MIN_FX_RATE, MAX_FX_RATE]`; pysystemtrade's
/// shipped rates lie between 6.9e-4 (`KRWUSD`) and 2.6 (`GBPUSD`).
pub const MIN_FX_RATE: f64 = 1e-7;
pub const MAX_FX_RATE: f64 = 1e4;
/// Largest accepted magnitude of a price, a cost or a volume.
pub const MAX_ABS_PRICE: f64 = 1e12;
/// Largest accepted magnitude of `RollOffsetDays` (pysystemtrade's extreme is −1835).
pub const MAX_ROLL_OFFSET_DAYS: i64 = 3660;
/// Largest accepted magnitude of `ExpiryOffset` (pysystemtrade's range is −62..=30).
pub const MAX_EXPIRY_OFFSET_DAYS: i64 = 366;
/// How far after today a price timestamp may lie (pysystemtrade drops future-dated fetched bars;
/// anything beyond this is an error).
pub const MAX_DAYS_AHEAD: u64 = 366;
/// The largest number of contracts a broker answer may report for one order or position; beyond
/// it the answer is refused as garbage (no account holds a billion contracts of one future).
pub const MAX_BROKER_CONTRACTS: i64 = 1_000_000_000;

/// A number as messages show it: plain for ordinary magnitudes, scientific for tiny or huge ones
/// (so 1e-300 is not printed with 300 digits).
pub fn show(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (1e-4..1e13).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// The earliest timestamp accepted anywhere: 1900-01-01 00:00:00 (25,567 days before 1970-01-01;
/// a constant because readers check every stored row against it).
pub const fn earliest_timestamp() -> Timestamp {
    Timestamp::from_micros(-25_567 * MICROS_PER_DAY)
}

/// The end (exclusive) of the range a stored file may hold: 2200-01-01 (84,006 days after
/// 1970-01-01). Readers use it because they have no clock; entries use the stricter
/// [`check_price_timestamp`].
pub const fn stored_timestamp_end() -> Timestamp {
    Timestamp::from_micros(84_006 * MICROS_PER_DAY)
}

/// What is wrong with one value; the caller names the file, the row and the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BadValue {
    #[error("{0} is before 1900-01-01")]
    BeforeEarliest(Timestamp),
    #[error("{t} is more than a year in the future (after {latest})")]
    TooFarAhead { t: Timestamp, latest: NaiveDate },
    #[error("{0} is outside 1900-01-01..2200-01-01 (a corrupt or hand-made file?)")]
    OutsideStoredRange(Timestamp),
    #[error("{} is not a point size (a number from {MIN_POINTSIZE} to {MAX_POINTSIZE:e})", show(*.0))]
    Pointsize(f64),
    #[error("'{}' is not a currency code (three capital letters such as USD)", .0.escape_debug())]
    Currency(String),
    #[error("{} is not a cost (a number ≥ 0)", show(*.0))]
    Cost(f64),
    #[error("{} is not a fraction of notional value (0 ≤ x < 1)", show(*.0))]
    Fraction(f64),
    #[error("{} is not an FX rate (USD per unit, from {MIN_FX_RATE:e} to {MAX_FX_RATE})", show(*.0))]
    FxRate(f64),
    #[error("{} is not a price (|price| ≤ {MAX_ABS_PRICE:e})", show(*.0))]
    Price(f64),
    #[error("{} is not a volume (a number ≥ 0)", show(*.0))]
    Volume(f64),
    #[error("{} is not a number of contracts (a whole number, |n| ≤ {MAX_BROKER_CONTRACTS:e})", show(*.0))]
    Contracts(f64),
    #[error("HIGH {} is below LOW {}", show(*high), show(*low))]
    HighBelowLow { high: f64, low: f64 },
    /// A roll or expiry offset beyond ±`max` days.
    #[error("{days} is not a number of days from -{max} to {max}")]
    OffsetDays { days: i64, max: i64 },
}

/// A field that failed its rule: the field's name as the file spells it, and the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field '{field}': {problem}")]
pub struct Invalid {
    pub field: &'static str,
    pub problem: BadValue,
}

impl Invalid {
    fn new(field: &'static str, problem: BadValue) -> Self {
        Self { field, problem }
    }
}

/// A number cell of a price file, as every reader of one parses it: empty, `NaN` or `null` (any
/// case, also `-nan`, as pandas reads them) is missing (`NaN`); otherwise a finite number (`inf`,
/// `0x10`, `1 .5` are not).
pub fn parse_number(text: &str) -> Result<f64, String> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("nan") || t.eq_ignore_ascii_case("null") {
        return Ok(f64::NAN);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(v) if v.is_nan() => Ok(f64::NAN),
        _ => Err(format!("'{t}' is not a number")),
    }
}

/// A timestamp of a price, an FX rate or a roll: from 1900-01-01 to `today` + [`MAX_DAYS_AHEAD`].
pub fn check_price_timestamp(t: Timestamp, today: NaiveDate) -> Result<(), BadValue> {
    let latest = today + chrono::Days::new(MAX_DAYS_AHEAD);
    if t < earliest_timestamp() {
        Err(BadValue::BeforeEarliest(t))
    } else if t.day_number() > Timestamp::from_date(latest).day_number() {
        Err(BadValue::TooFarAhead { t, latest })
    } else {
        Ok(())
    }
}

/// A timestamp read back from a stored file: from 1900-01-01 up to (not including) 2200-01-01.
#[inline]
pub fn check_stored_timestamp(t: Timestamp) -> Result<(), BadValue> {
    // Two integer comparisons: this runs on every row of every stored file that is read.
    if t < earliest_timestamp() || t >= stored_timestamp_end() {
        Err(BadValue::OutsideStoredRange(t))
    } else {
        Ok(())
    }
}

/// `Pointsize`: finite, in `[MIN_POINTSIZE, MAX_POINTSIZE]`.
pub fn check_pointsize(v: f64) -> Result<(), BadValue> {
    if v.is_finite() && (MIN_POINTSIZE..=MAX_POINTSIZE).contains(&v) {
        Ok(())
    } else {
        Err(BadValue::Pointsize(v))
    }
}

/// A currency code: three ASCII capital letters (`USD`, `EUR`, pysystemtrade's `MXP`).
pub fn check_currency(code: &str) -> Result<(), BadValue> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(BadValue::Currency(code.to_string()))
    }
}

/// A cost or commission (spread cost, per-block, per-trade): finite, ≥ 0, at most [`MAX_ABS_PRICE`].
pub fn check_cost(v: f64) -> Result<(), BadValue> {
    if v.is_finite() && (0.0..=MAX_ABS_PRICE).contains(&v) {
        Ok(())
    } else {
        Err(BadValue::Cost(v))
    }
}

/// A percentage commission (a fraction of notional value): finite, in `[0, 1)`.
pub fn check_fraction(v: f64) -> Result<(), BadValue> {
    if v.is_finite() && (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(BadValue::Fraction(v))
    }
}

/// An FX rate: finite, in `[MIN_FX_RATE, MAX_FX_RATE]` (so never ≤ 0). `NaN` (a missing value in a
/// file) is accepted by the caller where files allow gaps.
pub fn check_fx_rate(v: f64) -> Result<(), BadValue> {
    if v.is_finite() && (MIN_FX_RATE..=MAX_FX_RATE).contains(&v) {
        Ok(())
    } else {
        Err(BadValue::FxRate(v))
    }
}

/// A price: missing (`NaN`), or finite with magnitude at most [`MAX_ABS_PRICE`] (any sign: see the
/// module documentation).
pub fn check_price(v: f64) -> Result<(), BadValue> {
    if v.is_nan() || (v.is_finite() && v.abs() <= MAX_ABS_PRICE) {
        Ok(())
    } else {
        Err(BadValue::Price(v))
    }
}

/// A volume: missing (`NaN`), or finite, ≥ 0.
pub fn check_volume(v: f64) -> Result<(), BadValue> {
    if v.is_nan() || (v.is_finite() && (0.0..=MAX_ABS_PRICE).contains(&v)) {
        Ok(())
    } else {
        Err(BadValue::Volume(v))
    }
}

/// A number of contracts a broker reports (a fill, a filled quantity, a position): finite, whole
/// (within 1e-6) and at most [`MAX_BROKER_CONTRACTS`] in magnitude. Returns it as an integer; the
/// sign is the caller's.
pub fn check_contracts(v: f64) -> Result<i64, BadValue> {
    let whole = v.round();
    if v.is_finite() && (v - whole).abs() <= 1e-6 && whole.abs() <= MAX_BROKER_CONTRACTS as f64 {
        // In range by the check above, so the conversion is exact.
        Ok(whole as i64)
    } else {
        Err(BadValue::Contracts(v))
    }
}

/// Which value of an OHLCV bar failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarField {
    Open,
    High,
    Low,
    Close,
    Volume,
}

impl BarField {
    /// The column name in pysystemtrade's contract CSV (`FINAL` is the close).
    pub fn pst_name(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::High => "HIGH",
            Self::Low => "LOW",
            Self::Close => "FINAL",
            Self::Volume => "VOLUME",
        }
    }
}

/// One OHLCV bar: each price passes [`check_price`], the volume [`check_volume`], and HIGH ≥ LOW
/// when both are present. The error says which field.
pub fn check_bar(
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
) -> Result<(), (BarField, BadValue)> {
    for (f, v) in [
        (BarField::Open, open),
        (BarField::High, high),
        (BarField::Low, low),
        (BarField::Close, close),
    ] {
        check_price(v).map_err(|p| (f, p))?;
    }
    check_volume(volume).map_err(|p| (BarField::Volume, p))?;
    if high < low {
        return Err((BarField::High, BadValue::HighBelowLow { high, low }));
    }
    Ok(())
}

/// One row of the instrument configuration (column names of `instrumentconfig.csv`). The code is
/// valid by construction ([`crate::InstrumentCode`]).
pub fn check_instrument(i: &Instrument) -> Result<(), Invalid> {
    check_pointsize(i.pointsize).map_err(|p| Invalid::new("Pointsize", p))?;
    check_currency(&i.currency).map_err(|p| Invalid::new("Currency", p))?;
    check_cost(i.per_block).map_err(|p| Invalid::new("PerBlock", p))?;
    check_fraction(i.percentage).map_err(|p| Invalid::new("Percentage", p))?;
    check_cost(i.per_trade).map_err(|p| Invalid::new("PerTrade", p))?;
    Ok(())
}

/// One row of the roll configuration (column names of `rollconfig.csv`): offsets within bounds so
/// date arithmetic cannot overflow.
pub fn check_roll_parameters(r: &RollParameters) -> Result<(), Invalid> {
    if r.roll_offset_days.unsigned_abs() > MAX_ROLL_OFFSET_DAYS.unsigned_abs() {
        return Err(Invalid::new(
            "RollOffsetDays",
            BadValue::OffsetDays {
                days: r.roll_offset_days,
                max: MAX_ROLL_OFFSET_DAYS,
            },
        ));
    }
    if r.expiry_offset.unsigned_abs() > MAX_EXPIRY_OFFSET_DAYS.unsigned_abs() {
        return Err(Invalid::new(
            "ExpiryOffset",
            BadValue::OffsetDays {
                days: r.expiry_offset,
                max: MAX_EXPIRY_OFFSET_DAYS,
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InstrumentCode;

    fn corn(pointsize: f64, currency: &str) -> Instrument {
        Instrument {
            code: InstrumentCode::new("CORN").unwrap(),
            description: "Corn".into(),
            pointsize,
            currency: currency.into(),
            asset_class: "Ags".into(),
            per_block: 2.92,
            percentage: 0.0,
            per_trade: 0.0,
            region: "US".into(),
        }
    }

    #[test]
    fn pointsizes() {
        for ok in [0.1, 1.0, 50.0, 1.25e8] {
            assert!(check_instrument(&corn(ok, "USD")).is_ok(), "{ok}");
        }
        for bad in [-50.0, 0.0, f64::NAN, 1e-300, f64::INFINITY, 1e300] {
            let e = check_instrument(&corn(bad, "USD")).unwrap_err();
            assert_eq!(e.field, "Pointsize", "{bad}");
        }
    }

    #[test]
    fn currencies() {
        for ok in ["USD", "MXP", "KRW"] {
            assert!(check_currency(ok).is_ok());
        }
        for bad in ["../../x", "", "usd", "US", "USDX", "U$D", "ÜSD"] {
            assert!(check_currency(bad).is_err(), "{bad}");
            assert_eq!(
                check_instrument(&corn(50.0, bad)).unwrap_err().field,
                "Currency"
            );
        }
    }

    #[test]
    fn bars_and_rates() {
        assert!(check_bar(1.0, 2.0, 0.5, 1.5, 10.0).is_ok());
        assert!(check_bar(f64::NAN, f64::NAN, f64::NAN, -37.63, f64::NAN).is_ok());
        assert_eq!(
            check_bar(1.0, 0.5, 2.0, 1.0, 1.0).unwrap_err().0,
            BarField::High
        );
        assert_eq!(
            check_bar(1.0, 2.0, 0.5, 1.0, -1.0).unwrap_err().0,
            BarField::Volume
        );
        assert_eq!(
            check_bar(1.0, 2.0, 0.5, f64::INFINITY, 1.0).unwrap_err().0,
            BarField::Close
        );
        assert!(check_fx_rate(0.00069).is_ok());
        for bad in [0.0, -1.3, f64::NAN, f64::INFINITY, 1e-300, 1e300] {
            assert!(check_fx_rate(bad).is_err(), "{bad}");
        }
        assert!(check_cost(0.0).is_ok());
        assert!(check_cost(-0.01).is_err());
        assert!(check_cost(f64::NAN).is_err());
        assert!(
            check_pointsize(1e-300)
                .unwrap_err()
                .to_string()
                .starts_with("1e-300 is not")
        );
        assert_eq!(
            check_pointsize(-50.0).unwrap_err().to_string(),
            "-50 is not a point size (a number from 0.0001 to 1e10)"
        );
        assert_eq!(
            check_fx_rate(0.0).unwrap_err().to_string(),
            "0 is not an FX rate (USD per unit, from 1e-7 to 10000)"
        );
        assert_eq!(
            check_currency("u\n").unwrap_err().to_string(),
            "'u\\n' is not a currency code (three capital letters such as USD)"
        );
        assert_eq!(
            check_bar(1.0, 0.5, 2.0, 1.0, 1.0)
                .unwrap_err()
                .1
                .to_string(),
            "HIGH 0.5 is below LOW 2"
        );
        assert_eq!(show(2.5), "2.5");
        assert_eq!(show(1e300), "1e300");
    }

    #[test]
    fn timestamps() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let t = |s: &str| Timestamp::parse(s).unwrap();
        assert!(check_price_timestamp(t("1900-01-01"), today).is_ok());
        assert!(check_price_timestamp(t("2027-12-05 23:00:00"), today).is_ok());
        assert!(check_price_timestamp(t("2027-12-06"), today).is_err());
        assert!(check_price_timestamp(t("9999-12-30"), today).is_err());
        assert!(check_price_timestamp(t("1899-12-31 23:59:59"), today).is_err());
        assert!(check_stored_timestamp(Timestamp::from_micros(i64::MAX)).is_err());
        assert!(check_stored_timestamp(Timestamp::from_micros(i64::MIN)).is_err());
        assert!(check_stored_timestamp(t("2023-08-31 20:00:00")).is_ok());
        let date = |y| Timestamp::from_date(NaiveDate::from_ymd_opt(y, 1, 1).unwrap());
        assert_eq!(earliest_timestamp(), date(1900));
        assert_eq!(stored_timestamp_end(), date(2200));
        assert!(check_stored_timestamp(date(1900)).is_ok());
        assert!(check_stored_timestamp(Timestamp::from_micros(date(1900).micros() - 1)).is_err());
        assert!(check_stored_timestamp(date(2200)).is_err());
    }
}
