//! What a source delivers: daily (or intraday) OHLCV bars of one futures contract, or one FX rate per
//! timestamp. Missing values are `f64::NAN`.

use chrono::NaiveDate;
use systrade_model::{
    BadValue, BarField, ContractBar, ContractDate, InstrumentCode, Timestamp, validation,
};

/// One OHLCV bar; pysystemtrade calls the close `FINAL` (spec §1.10).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub timestamp: Timestamp,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

impl Bar {
    /// The same bar, tagged with its contract, as the store keeps it.
    pub fn with_contract(self, contract: ContractDate) -> ContractBar {
        ContractBar {
            contract,
            timestamp: self.timestamp,
            open: self.open,
            high: self.high,
            low: self.low,
            close: self.close,
            volume: self.volume,
        }
    }

    /// The validation rules of [`systrade_model::validation`]: finite prices, HIGH ≥ LOW,
    /// volume ≥ 0, a timestamp from 1900-01-01 to a year after `today` (when given; else before
    /// 2200). The error names the failing value (`None`: the timestamp).
    pub fn validate(&self, today: Option<NaiveDate>) -> Result<(), (Option<BarField>, BadValue)> {
        check_timestamp(self.timestamp, today).map_err(|m| (None, m))?;
        validation::check_bar(self.open, self.high, self.low, self.close, self.volume)
            .map_err(|(f, m)| (Some(f), m))
    }

    pub fn from_contract_bar(b: &ContractBar) -> Self {
        Self {
            timestamp: b.timestamp,
            open: b.open,
            high: b.high,
            low: b.low,
            close: b.close,
            volume: b.volume,
        }
    }
}

/// The bars one source delivered for one contract of one instrument, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractSeries {
    pub instrument: InstrumentCode,
    pub contract: ContractDate,
    pub bars: Vec<Bar>,
}

/// One FX rate observation: USD per one unit of the currency (spec §1.8).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FxPoint {
    pub timestamp: Timestamp,
    pub rate: f64,
}

impl FxPoint {
    /// The validation rules: a rate > 0 within range, or missing (`NaN`, dropped by cleaning); a
    /// timestamp as for [`Bar::validate`]. The error says whether the rate (`true`) or the
    /// timestamp failed.
    pub fn validate(&self, today: Option<NaiveDate>) -> Result<(), (bool, BadValue)> {
        check_timestamp(self.timestamp, today).map_err(|m| (false, m))?;
        if self.rate.is_nan() {
            return Ok(());
        }
        validation::check_fx_rate(self.rate).map_err(|m| (true, m))
    }
}

fn check_timestamp(t: Timestamp, today: Option<NaiveDate>) -> Result<(), BadValue> {
    match today {
        Some(today) => validation::check_price_timestamp(t, today),
        None => validation::check_stored_timestamp(t),
    }
}

/// A delivered value that failed the validation rules: the source, the bar or rate (instrument
/// and contract, or FX code, and timestamp), the field and the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{source_name}: {item}, field '{field}': {problem}")]
pub struct InvalidDelivery {
    pub source_name: String,
    /// `CORN contract 20231200, bar 2023-10-02 00:00:00` or `GBP at 2023-10-02 00:00:00`.
    pub item: String,
    pub field: &'static str,
    pub problem: BadValue,
}

/// Checks everything one source delivered for one instrument or FX code with [`Bar::validate`] and
/// [`FxPoint::validate`]; the error names the source (`what`), the contract, the bar and the field.
pub fn validate_contracts(
    what: &str,
    series: &[ContractSeries],
    today: NaiveDate,
) -> Result<(), InvalidDelivery> {
    for s in series {
        for b in &s.bars {
            b.validate(Some(today))
                .map_err(|(f, problem)| InvalidDelivery {
                    source_name: what.to_string(),
                    item: format!(
                        "{} contract {}, bar {}",
                        s.instrument, s.contract, b.timestamp
                    ),
                    field: f.map_or("DATETIME", BarField::pst_name),
                    problem,
                })?;
        }
    }
    Ok(())
}

/// [`validate_contracts`] for FX rates.
pub fn validate_fx(what: &str, fx: &FxSeries, today: NaiveDate) -> Result<(), InvalidDelivery> {
    for p in &fx.points {
        p.validate(Some(today))
            .map_err(|(is_rate, problem)| InvalidDelivery {
                source_name: what.to_string(),
                item: format!("{} at {}", fx.code, p.timestamp),
                field: if is_rate { "PRICE" } else { "DATETIME" },
                problem,
            })?;
    }
    Ok(())
}

/// The rates one source delivered for one FX code such as `GBPUSD`, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct FxSeries {
    pub code: String,
    pub points: Vec<FxPoint>,
}

/// Sorts bars by timestamp and keeps the last of any duplicates (a later line in a file wins);
/// returns the timestamps whose duplicates disagree (same timestamp, different values), so the
/// caller reports them instead of silently keeping the last.
pub fn sort_dedup_bars(bars: &mut Vec<Bar>) -> Vec<Timestamp> {
    bars.sort_by_key(|b| b.timestamp);
    dedup_keep_last(
        bars,
        |b| b.timestamp,
        |a, b| {
            [a.open, a.high, a.low, a.close, a.volume]
                .iter()
                .zip([b.open, b.high, b.low, b.close, b.volume])
                .all(|(x, y)| same(*x, y))
        },
    )
}

/// Sorts FX points by timestamp and keeps the last of any duplicates; returns the timestamps
/// whose duplicates disagree.
pub fn sort_dedup_fx(points: &mut Vec<FxPoint>) -> Vec<Timestamp> {
    points.sort_by_key(|p| p.timestamp);
    dedup_keep_last(points, |p| p.timestamp, |a, b| same(a.rate, b.rate))
}

/// Equal values, or both missing (NaN).
fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn dedup_keep_last<T: Copy>(
    v: &mut Vec<T>,
    key: impl Fn(&T) -> Timestamp,
    equal: impl Fn(&T, &T) -> bool,
) -> Vec<Timestamp> {
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    let mut conflicts: Vec<Timestamp> = Vec::new();
    for x in v.iter() {
        match out.last_mut() {
            Some(last) if key(last) == key(x) => {
                if !equal(last, x) && conflicts.last() != Some(&key(x)) {
                    conflicts.push(key(x));
                }
                *last = *x;
            }
            _ => out.push(*x),
        }
    }
    *v = out;
    conflicts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(day: &str, close: f64) -> Bar {
        Bar {
            timestamp: Timestamp::parse(day).unwrap(),
            open: close,
            high: close,
            low: close,
            close,
            volume: 1.0,
        }
    }

    #[test]
    fn dedup_keeps_last_duplicate() {
        let mut v = vec![
            bar("2024-01-03", 3.0),
            bar("2024-01-02", 1.0),
            bar("2024-01-02", 2.0),
        ];
        let conflicts = sort_dedup_bars(&mut v);
        assert_eq!(conflicts, vec![Timestamp::parse("2024-01-02").unwrap()]);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].close, 2.0);
        assert_eq!(v[1].close, 3.0);
        let mut same_twice = vec![bar("2024-01-02", 1.0), bar("2024-01-02", 1.0)];
        assert!(sort_dedup_bars(&mut same_twice).is_empty());
    }
}
