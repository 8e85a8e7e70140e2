//! Back-adjusted continuous prices from multiple prices (spec §2.5, pysystemtrade
//! `sysobjects/adjusted_prices.py`).

use crate::error::RollError;
use systrade_model::{AdjustedPrices, MultiplePrices, MultiplePricesRow};

/// How rolls are stitched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdjustMethod {
    /// Additive (Panama): history shifted by the price gap at each roll; pysystemtrade's method.
    #[default]
    Panama,
    /// Proportional: history scaled by the price ratio at each roll (never negative, returns kept).
    Ratio,
}

/// Back-adjusts with `method`; see [`panama_adjust`] and [`ratio_adjust`].
pub fn adjust(
    multiple: &MultiplePrices,
    method: AdjustMethod,
    forward_fill: bool,
) -> Result<AdjustedPrices, RollError> {
    match method {
        AdjustMethod::Panama => panama_adjust(multiple, forward_fill),
        AdjustMethod::Ratio => ratio_adjust(multiple, forward_fill),
    }
}

/// pandas `ffill` of the PRICE, FORWARD and CARRY columns: every missing value takes the last
/// earlier non-missing value of its column (leading gaps stay missing). Contract columns are always
/// filled already.
pub fn forward_filled(multiple: &MultiplePrices) -> MultiplePrices {
    let mut out = multiple.clone();
    let (mut price, mut forward, mut carry) = (f64::NAN, f64::NAN, f64::NAN);
    for row in &mut out {
        fill(&mut row.price, &mut price);
        fill(&mut row.forward, &mut forward);
        fill(&mut row.carry, &mut carry);
    }
    out
}

fn fill(value: &mut f64, last: &mut f64) {
    if value.is_nan() {
        *value = *last;
    } else {
        *last = *value;
    }
}

/// Panama stitching (spec §2.5). Walking the rows in time order with a growing list of adjusted
/// values (first value = first PRICE):
/// - same PRICE_CONTRACT as the previous row p: append PRICE;
/// - a roll from p to the current row c: `roll_differential = p.FORWARD − p.PRICE` (must not be
///   missing), then `value_j ← value_j + roll_differential` for **every** value already stored, then
///   append c.PRICE.
///
/// Each value therefore receives the differentials of all later rolls one addition at a time, in
/// roll order. Floating-point addition is not associative, so this is *not* replaced by adding a
/// cumulative sum: only the sequential additions give upstream's bits (spec §8 item 21). The cost is
/// O(rows × rolls) additions, each roll one vectorised pass over a contiguous slice.
///
/// One value per multiple-prices row, same timestamps; missing PRICE gives a missing value. With
/// `forward_fill` the multiple prices are first [`forward_filled`]. Use [`without_trailing_missing`]
/// for the rows pysystemtrade's adjusted files keep (spec §1.7).
pub fn panama_adjust(
    multiple: &MultiplePrices,
    forward_fill: bool,
) -> Result<AdjustedPrices, RollError> {
    stitch(multiple, forward_fill, |values, previous, current| {
        let differential = previous.forward - previous.price;
        if !differential.is_finite() {
            return Err(RollError::MissingRollPrices {
                at: current.timestamp,
                from: previous.price_contract,
                to: current.price_contract,
                price: previous.price,
                forward: previous.forward,
            });
        }
        for v in values.iter_mut() {
            *v += differential;
        }
        Ok(())
    })
}

/// Ratio (proportional) stitching: as [`panama_adjust`] but at each roll from p every stored value is
/// multiplied by `roll_ratio = p.FORWARD / p.PRICE`, which must be a finite positive number. The
/// latest segment equals the current contract's prices; percentage returns across rolls are kept.
pub fn ratio_adjust(
    multiple: &MultiplePrices,
    forward_fill: bool,
) -> Result<AdjustedPrices, RollError> {
    stitch(multiple, forward_fill, |values, previous, current| {
        let ratio = previous.forward / previous.price;
        if !(ratio.is_finite() && ratio > 0.0) {
            return Err(RollError::BadRatio {
                at: current.timestamp,
                from: previous.price_contract,
                to: current.price_contract,
                price: previous.price,
                forward: previous.forward,
            });
        }
        for v in values.iter_mut() {
            *v *= ratio;
        }
        Ok(())
    })
}

fn stitch(
    multiple: &MultiplePrices,
    forward_fill: bool,
    mut on_roll: impl FnMut(&mut [f64], &MultiplePricesRow, &MultiplePricesRow) -> Result<(), RollError>,
) -> Result<AdjustedPrices, RollError> {
    check_sorted(multiple)?;
    let filled;
    let rows: &MultiplePrices = if forward_fill {
        filled = forward_filled(multiple);
        &filled
    } else {
        multiple
    };
    let mut values = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        if i > 0 && row.price_contract != rows[i - 1].price_contract {
            on_roll(&mut values, &rows[i - 1], row)?;
        }
        values.push(row.price);
    }
    let timestamps = rows.iter().map(|r| r.timestamp).collect();
    Ok(AdjustedPrices::new(timestamps, values))
}

/// Errors unless timestamps strictly increase; an empty input is an error too.
pub(crate) fn check_sorted(multiple: &MultiplePrices) -> Result<(), RollError> {
    if multiple.is_empty() {
        return Err(RollError::EmptyMultiplePrices);
    }
    match multiple
        .windows(2)
        .find(|w| w[1].timestamp <= w[0].timestamp)
    {
        Some(w) => Err(RollError::Unsorted(w[1].timestamp)),
        None => Ok(()),
    }
}

/// Drops trailing missing values: pysystemtrade's adjusted files end at the last non-missing price
/// (spec §1.7: the daily update appends only non-missing values).
pub fn without_trailing_missing(mut series: AdjustedPrices) -> AdjustedPrices {
    let keep = series
        .values
        .iter()
        .rposition(|v| !v.is_nan())
        .map_or(0, |i| i + 1);
    series.timestamps.truncate(keep);
    series.values.truncate(keep);
    series
}

#[cfg(test)]
mod tests {
    use super::*;
    use systrade_model::{ContractDate, Timestamp};

    pub(crate) fn row(ts: &str, price: f64, pc: i64, forward: f64, fc: i64) -> MultiplePricesRow {
        MultiplePricesRow {
            timestamp: Timestamp::parse(ts).unwrap(),
            price,
            price_contract: ContractDate::from_id(pc).unwrap(),
            forward,
            forward_contract: ContractDate::from_id(fc).unwrap(),
            carry: forward,
            carry_contract: ContractDate::from_id(fc).unwrap(),
        }
    }

    #[test]
    fn us10_roll_example_spec_item_22() {
        // spec §8 item 22: roll 20230900 -> 20231200 at 2023-08-21 20:00:01
        let m = vec![
            row(
                "2023-08-21 20:00:00",
                109.078125,
                20230900,
                109.515625,
                20231200,
            ),
            row(
                "2023-08-21 20:00:01",
                109.515625,
                20231200,
                f64::NAN,
                20240300,
            ),
            row("2023-08-22 20:00:00", 110.0, 20231200, f64::NAN, 20240300),
        ];
        let adj = panama_adjust(&m, false).unwrap();
        assert_eq!(adj.values, vec![109.515625, 109.515625, 110.0]);
    }

    #[test]
    fn differential_is_added_to_each_value_in_order() {
        let m = vec![
            row("2020-01-01", 0.1, 20200300, 0.3, 20200600),
            row("2020-01-02", 0.2, 20200600, 0.7, 20200900),
            row("2020-01-03", 0.5, 20200900, f64::NAN, 20201200),
        ];
        let adj = panama_adjust(&m, false).unwrap();
        // first value: (0.1 + (0.3 - 0.1)) + (0.7 - 0.2), added one at a time
        let d1: f64 = 0.3 - 0.1;
        let d2: f64 = 0.7 - 0.2;
        assert_eq!(adj.values[0].to_bits(), ((0.1 + d1) + d2).to_bits());
        assert_eq!(adj.values[1].to_bits(), (0.2 + d2).to_bits());
        assert_eq!(adj.values[2], 0.5);
    }

    #[test]
    fn roll_without_both_prices_is_an_error_unless_forward_filled() {
        let m = vec![
            row("2020-01-01", 100.0, 20200300, 101.0, 20200600),
            row("2020-01-02", 100.5, 20200300, f64::NAN, 20200600),
            row("2020-01-03", 102.0, 20200600, f64::NAN, 20200900),
        ];
        let err = panama_adjust(&m, false).unwrap_err();
        assert!(
            err.to_string().contains("don't have prices for both"),
            "{err}"
        );
        let adj = panama_adjust(&m, true).unwrap();
        // forward filled: differential 101 - 100.5
        assert_eq!(adj.values, vec![100.5, 101.0, 102.0]);
    }

    #[test]
    fn ratio_scales_history() {
        let m = vec![
            row("2020-01-01", 100.0, 20200300, 110.0, 20200600),
            row("2020-01-02", 120.0, 20200600, f64::NAN, 20200900),
        ];
        let adj = ratio_adjust(&m, false).unwrap();
        assert_eq!(adj.values, vec![100.0 * (110.0 / 100.0), 120.0]);
        let bad = vec![
            row("2020-01-01", 0.0, 20200300, 110.0, 20200600),
            row("2020-01-02", 120.0, 20200600, f64::NAN, 20200900),
        ];
        assert!(matches!(
            ratio_adjust(&bad, false),
            Err(RollError::BadRatio { .. })
        ));
    }

    #[test]
    fn trailing_missing_dropped_interior_kept() {
        let m = vec![
            row("2020-01-01", 1.0, 20200300, 2.0, 20200600),
            row("2020-01-02", f64::NAN, 20200300, 2.0, 20200600),
            row("2020-01-03", 3.0, 20200300, 2.0, 20200600),
            row("2020-01-04", f64::NAN, 20200300, 2.0, 20200600),
        ];
        let adj = without_trailing_missing(panama_adjust(&m, false).unwrap());
        assert_eq!(adj.len(), 3);
        assert!(adj.values[1].is_nan());
    }

    #[test]
    fn unsorted_or_empty_is_refused() {
        let m = vec![
            row("2020-01-02", 1.0, 20200300, 2.0, 20200600),
            row("2020-01-01", 1.0, 20200300, 2.0, 20200600),
        ];
        assert!(matches!(
            panama_adjust(&m, false),
            Err(RollError::Unsorted(_))
        ));
        assert!(matches!(
            panama_adjust(&Vec::new(), false),
            Err(RollError::EmptyMultiplePrices)
        ));
    }
}
