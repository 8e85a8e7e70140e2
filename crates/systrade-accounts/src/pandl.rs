//! Profit and loss of one instrument from positions and prices (spec §3.8, pysystemtrade
//! `systems/accounts/pandl_calculators/pandl_calculation.py`).

use systrade_model::{FxRates, Timestamp};
use systrade_series::index::union;
use systrade_series::{DailySeries, diff, ffill, shift};
use systrade_series::{reindex, reindex_ffill};

/// Everything needed to value one instrument's positions.
#[derive(Debug, Clone, Copy)]
pub struct PandlInputs<'a> {
    /// Daily (business-day) adjusted prices; P&L is computed on the adjusted series.
    pub price: &'a DailySeries,
    /// Positions as decided (e.g. the buffered position); delay and rounding are applied here.
    pub positions: &'a DailySeries,
    /// Rate converting instrument currency into base currency (timestamped, as stored).
    pub fx: &'a FxRates,
    /// `Pointsize`: currency value of a one-point move of one contract.
    pub value_per_point: f64,
    /// Notional capital for percentage returns (fixed, non-compounded).
    pub capital: f64,
    /// Lag positions by one row (`delayfill`, default true).
    pub delay_fill: bool,
    /// Round positions half-to-even after the lag (`roundpositions`, default true).
    pub round_positions: bool,
}

/// Gross P&L of one instrument at every stage of conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct GrossPandl {
    /// The positions actually held: `positions.shift(1).round()` (per the flags).
    pub positions_used: DailySeries,
    /// P&L in price points on the union of position and price dates.
    pub points: DailySeries,
    /// `points × value_per_point`.
    pub instrument_currency: DailySeries,
    /// `instrument_currency × fx.reindex(index, ffill)`.
    pub base_currency: DailySeries,
    /// `100 × base_currency / capital`.
    pub percent: DailySeries,
}

/// Positions as held: shifted one row when `delay_fill`, rounded half-to-even when `round_positions`.
pub fn positions_used(
    positions: &DailySeries,
    delay_fill: bool,
    round_positions: bool,
) -> DailySeries {
    let mut v = if delay_fill {
        shift(&positions.values, 1)
    } else {
        positions.values.clone()
    };
    if round_positions {
        v.iter_mut().for_each(|x| *x = x.round_ties_even());
    }
    positions.with_values(v)
}

/// P&L in points (`calculate_pandl`): outer-join positions and prices, forward-fill both, then
/// `pnl_t = pos_{t−1} × (P_t − P_{t−1})`, with NaN results set to 0.
pub fn pandl_in_points(positions_used: &DailySeries, price: &DailySeries) -> DailySeries {
    let dates = union(&positions_used.dates, &price.dates);
    let pos = ffill(&reindex(
        &positions_used.dates,
        &positions_used.values,
        &dates,
    ));
    let px = ffill(&reindex(&price.dates, &price.values, &dates));
    let returns = diff(&px, 1);
    let lagged = shift(&pos, 1);
    let values = lagged
        .iter()
        .zip(&returns)
        .map(|(p, r)| {
            let x = p * r;
            if x.is_nan() { 0.0 } else { x }
        })
        .collect();
    DailySeries::new(dates, values)
}

/// `series × fx.reindex(series.index, method="ffill")` (dates as midnight timestamps).
pub fn to_base_currency(series: &DailySeries, fx: &FxRates) -> DailySeries {
    let targets: Vec<Timestamp> = series
        .dates
        .iter()
        .map(|d| Timestamp::from_date(*d))
        .collect();
    let f = reindex_ffill(&fx.timestamps, &fx.values, &targets);
    series.with_values(series.values.iter().zip(f).map(|(x, f)| x * f).collect())
}

/// `100 × series / capital`, where capital is a constant on `capital_index` (the price index)
/// aligned with `reindex(method="ffill")` (NaN before its first date).
pub fn to_percent(
    series: &DailySeries,
    capital: f64,
    capital_index: &[chrono::NaiveDate],
) -> DailySeries {
    let first = capital_index.first().copied();
    series.with_values(
        series
            .dates
            .iter()
            .zip(&series.values)
            .map(|(d, x)| match first {
                Some(f) if *d >= f => 100.0 * x / capital,
                _ => f64::NAN,
            })
            .collect(),
    )
}

/// The gross P&L chain for one instrument.
pub fn gross_pandl(inputs: PandlInputs<'_>) -> GrossPandl {
    let used = positions_used(inputs.positions, inputs.delay_fill, inputs.round_positions);
    let points = pandl_in_points(&used, inputs.price);
    let instrument_currency = points.map(|x| x * inputs.value_per_point);
    let base_currency = to_base_currency(&instrument_currency, inputs.fx);
    let percent = to_percent(&base_currency, inputs.capital, &inputs.price.dates);
    GrossPandl {
        positions_used: used,
        points,
        instrument_currency,
        base_currency,
        percent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn s(values: Vec<f64>) -> DailySeries {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        DailySeries::new(
            (0..values.len() as u64)
                .map(|i| start + chrono::Days::new(i))
                .collect(),
            values,
        )
    }

    #[test]
    fn delayed_fill_earns_from_two_rows_later() {
        let price = s(vec![100.0, 101.0, f64::NAN, 104.0, 103.0]);
        let pos = s(vec![2.4, 2.6, 3.0, 3.0, 3.0]);
        let fx = FxRates::new(vec![Timestamp::from_date(price.dates[0])], vec![0.5]);
        let g = gross_pandl(PandlInputs {
            price: &price,
            positions: &pos,
            fx: &fx,
            value_per_point: 10.0,
            capital: 1000.0,
            delay_fill: true,
            round_positions: true,
        });
        assert!(g.positions_used.values[0].is_nan());
        assert_eq!(&g.positions_used.values[1..], &[2.0, 3.0, 3.0, 3.0]);
        // row 2: price NaN -> ffilled 101, diff 0; row 3: pos used at row 2 = 3 × (104 − 101)
        assert_eq!(g.points.values, vec![0.0, 0.0, 0.0, 9.0, -3.0]);
        assert_eq!(
            g.instrument_currency.values,
            vec![0.0, 0.0, 0.0, 90.0, -30.0]
        );
        assert_eq!(g.base_currency.values, vec![0.0, 0.0, 0.0, 45.0, -15.0]);
        assert_eq!(g.percent.values, vec![0.0, 0.0, 0.0, 4.5, -1.5]);
    }
}
