//! Instrument weights and the instrument diversification multiplier (spec §3.7,
//! pysystemtrade `systems/portfolio.py`, `syscore/pandas/strategy_functions.py`).
//!
//! Fixed weights are (1) laid on the index of all subsystem positions, (2) set to 0 where an
//! instrument has no (forward-filled) position yet, except on leading rows where no instrument has
//! one, (3) resampled to business days by mean, (4) smoothed with `ewm(span=125).mean()`, and
//! (5) renormalised so each row sums to one.

use chrono::NaiveDate;
use systrade_series::index::union_all;
use systrade_series::{DailySeries, Ewm, business_day_floor, business_days, ewm_mean, ffill};

/// Default `instrument_weight_ewma_span`.
pub const INSTRUMENT_WEIGHT_EWMA_SPAN: f64 = 125.0;

/// A date × instrument table, column-major (pandas DataFrame with one column per instrument).
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentFrame {
    pub dates: Vec<NaiveDate>,
    pub instruments: Vec<String>,
    /// `columns[k][t]`: instrument `k` on `dates[t]`.
    pub columns: Vec<Vec<f64>>,
}

impl InstrumentFrame {
    /// The column of one instrument as a series.
    pub fn series(&self, instrument: &str) -> Option<DailySeries> {
        let k = self.instruments.iter().position(|i| i == instrument)?;
        Some(DailySeries::new(
            self.dates.clone(),
            self.columns[k].clone(),
        ))
    }
}

/// All subsystem positions on the union of their indexes, each forward-filled
/// (`pd.concat(positions, axis=1).ffill()`). `positions` in column order.
pub fn subsystem_positions_frame(positions: &[(String, DailySeries)]) -> InstrumentFrame {
    let dates = union_all(positions.iter().map(|(_, s)| s.dates.as_slice()));
    let columns = positions
        .iter()
        .map(|(_, s)| ffill(&systrade_series::reindex(&s.dates, &s.values, &dates)))
        .collect();
    InstrumentFrame {
        dates,
        instruments: positions.iter().map(|(c, _)| c.clone()).collect(),
        columns,
    }
}

/// Equal weights `1/N` (used, with a warning by the caller, when no weights are configured).
pub fn equal_weights(instruments: &[String]) -> Vec<f64> {
    let w = 1.0 / instruments.len() as f64;
    vec![w; instruments.len()]
}

/// `fix_weights_vs_position_or_forecast` for fixed weights: the weight of an instrument on a row is 0
/// where its forward-filled position is NaN, unless no instrument has a position on that row (then
/// every weight is kept). Weights given in the frame's column order.
pub fn fit_fixed_weights_to_positions(
    fixed: &[f64],
    positions: &InstrumentFrame,
) -> InstrumentFrame {
    let mut filled = positions.clone();
    for col in &mut filled.columns {
        *col = ffill(col);
    }
    fit_fixed_weights_to_filled_positions(fixed, filled)
}

/// [`fit_fixed_weights_to_positions`] for positions that are already forward-filled (as
/// [`subsystem_positions_frame`] returns them), turning the frame's columns into the weights in place.
fn fit_fixed_weights_to_filled_positions(
    fixed: &[f64],
    mut positions: InstrumentFrame,
) -> InstrumentFrame {
    assert_eq!(
        fixed.len(),
        positions.instruments.len(),
        "one weight per instrument"
    );
    let mut any = vec![false; positions.dates.len()];
    for col in &positions.columns {
        for (a, p) in any.iter_mut().zip(col) {
            *a |= !p.is_nan();
        }
    }
    for (&w, col) in fixed.iter().zip(&mut positions.columns) {
        for (p, &a) in col.iter_mut().zip(&any) {
            *p = if a && p.is_nan() { 0.0 } else { w };
        }
    }
    positions
}

/// `resample("1B").mean()` of each column of a daily table: one row per business day from the first
/// date's bin to the last's; NaN-skipping mean per bin (NaN when empty). For a table already on
/// business days this only inserts the missing business days as NaN rows.
pub fn resample_business_day_mean(frame: &InstrumentFrame) -> InstrumentFrame {
    resample_frame_business_day_mean(frame.clone())
}

/// [`resample_business_day_mean`] taking the frame: returned as it is when it already holds every
/// business day once (the usual case), otherwise rebuilt one column at a time.
fn resample_frame_business_day_mean(frame: InstrumentFrame) -> InstrumentFrame {
    let (Some(&first), Some(&last)) = (frame.dates.first(), frame.dates.last()) else {
        return frame;
    };
    let dates = business_days(business_day_floor(first), business_day_floor(last));
    if dates == frame.dates {
        return frame;
    }
    let mut bins = Vec::with_capacity(dates.len());
    let mut row = 0;
    for &d in &dates {
        let start = row;
        while row < frame.dates.len() && business_day_floor(frame.dates[row]) == d {
            row += 1;
        }
        bins.push((start, row));
    }
    let columns = frame
        .columns
        .into_iter()
        .map(|col| {
            bins.iter()
                .map(|&(s, e)| {
                    if e - s == 1 {
                        return col[s];
                    }
                    let vals: Vec<f64> =
                        col[s..e].iter().copied().filter(|v| !v.is_nan()).collect();
                    if vals.is_empty() {
                        f64::NAN
                    } else {
                        vals.iter().sum::<f64>() / vals.len() as f64
                    }
                })
                .collect()
        })
        .collect();
    InstrumentFrame {
        dates,
        instruments: frame.instruments,
        columns,
    }
}

/// `weights_sum_to_one`: each row multiplied by `1 / Σ_k w_k` (NaN-skipping sum, left to right);
/// rows summing to zero are left at zero, NaNs kept.
pub fn weights_sum_to_one(frame: &InstrumentFrame) -> InstrumentFrame {
    let mut frame = frame.clone();
    normalise_weights_in_place(&mut frame);
    frame
}

/// [`weights_sum_to_one`] in place.
fn normalise_weights_in_place(frame: &mut InstrumentFrame) {
    let n = frame.dates.len();
    // row sums accumulated column by column: the same left-to-right order per row
    let mut sums = vec![0.0; n];
    for col in &frame.columns {
        for (s, w) in sums.iter_mut().zip(col) {
            if !w.is_nan() {
                *s += w;
            }
        }
    }
    let multipliers: Vec<f64> = sums
        .iter()
        .map(|&s| 1.0 / if s == 0.0 { 0.0001 } else { s })
        .collect();
    for col in &mut frame.columns {
        for (w, m) in col.iter_mut().zip(&multipliers) {
            *w *= m;
        }
    }
}

/// Unsmoothed fitted weights: steps (1)–(3) of the module doc
/// (`get_unsmoothed_instrument_weights_fitted_to_position_lengths`). As pysystemtrade's
/// `instruments_without_data_or_weights`, an instrument whose subsystem position is never non-zero
/// gets weight 0.
pub fn unsmoothed_fitted_instrument_weights(
    fixed: &[f64],
    subsystem_positions: &[(String, DailySeries)],
) -> InstrumentFrame {
    let positions = subsystem_positions_frame(subsystem_positions);
    let fixed: Vec<f64> = fixed
        .iter()
        .zip(&positions.columns)
        .map(|(w, col)| {
            if col.iter().any(|p| !p.is_nan() && *p != 0.0) {
                *w
            } else {
                0.0
            }
        })
        .collect();
    // the frame's columns are forward-filled already; they become the weights in place
    resample_frame_business_day_mean(fit_fixed_weights_to_filled_positions(&fixed, positions))
}

/// Instrument weights: `weights_sum_to_one(unsmoothed.ewm(span).mean())` (`get_instrument_weights`).
pub fn smoothed_instrument_weights(
    unsmoothed: &InstrumentFrame,
    ewma_span: f64,
) -> InstrumentFrame {
    smooth_and_normalise(unsmoothed.clone(), ewma_span)
}

/// [`smoothed_instrument_weights`] taking the frame: each column is replaced by its EWMA as it
/// goes, so only one extra column is alive at a time.
fn smooth_and_normalise(mut frame: InstrumentFrame, ewma_span: f64) -> InstrumentFrame {
    for col in &mut frame.columns {
        *col = ewm_mean(col, Ewm::span(ewma_span), 0);
    }
    normalise_weights_in_place(&mut frame);
    frame
}

/// The whole fixed-weight chain: fitted, smoothed with `ewma_span`, renormalised.
pub fn fixed_instrument_weights(
    fixed: &[f64],
    subsystem_positions: &[(String, DailySeries)],
    ewma_span: f64,
) -> InstrumentFrame {
    smooth_and_normalise(
        unsmoothed_fitted_instrument_weights(fixed, subsystem_positions),
        ewma_span,
    )
}

/// Fixed IDM as a series on the weights' index (`from_scalar_values_to_ts`).
pub fn fixed_idm(idm: f64, weights_index: &[NaiveDate]) -> DailySeries {
    DailySeries::new(weights_index.to_vec(), vec![idm; weights_index.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, day).unwrap()
    }

    #[test]
    fn weights_sum_to_one_matches_pandas_doctest() {
        // pysystemtrade's doctest: a=[nan, nan, 0, 5, 0, 2, 2], b=[0, nan, 0, nan, 3, 3, 1]
        let nan = f64::NAN;
        let f = InstrumentFrame {
            dates: (1..=7).map(d).collect(),
            instruments: vec!["a".into(), "b".into()],
            columns: vec![
                vec![nan, nan, 0.0, 5.0, 0.0, 2.0, 2.0],
                vec![0.0, nan, 0.0, nan, 3.0, 3.0, 1.0],
            ],
        };
        let w = weights_sum_to_one(&f);
        assert!(w.columns[0][0].is_nan() && w.columns[1][0] == 0.0);
        assert!(w.columns[0][1].is_nan() && w.columns[1][1].is_nan());
        assert_eq!((w.columns[0][2], w.columns[1][2]), (0.0, 0.0));
        assert_eq!(w.columns[0][3], 1.0);
        assert!(w.columns[1][3].is_nan());
        assert!((w.columns[0][5] - 0.4).abs() < 1e-15 && (w.columns[1][5] - 0.6).abs() < 1e-15);
        assert!((w.columns[0][6] - 2.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn weights_zero_until_position_exists() {
        let nan = f64::NAN;
        // 2024-01-01 is a Monday
        let a = DailySeries::new(vec![d(1), d(2), d(3)], vec![nan, 1.0, 2.0]);
        let b = DailySeries::new(vec![d(2), d(3)], vec![nan, 3.0]);
        let fitted =
            unsmoothed_fitted_instrument_weights(&[0.5, 0.5], &[("A".into(), a), ("B".into(), b)]);
        // row 1: nobody has a position -> weights kept; row 2: A only; row 3: both
        assert_eq!(fitted.columns[0], vec![0.5, 0.5, 0.5]);
        assert_eq!(fitted.columns[1], vec![0.5, 0.0, 0.5]);
        let w = smoothed_instrument_weights(&fitted, 125.0);
        assert!((w.columns[0][1] + w.columns[1][1] - 1.0).abs() < 1e-15);
        assert!(w.columns[0][1] > 0.5);
    }

    #[test]
    fn instruments_without_positions_get_no_weight() {
        let a = DailySeries::new(vec![d(1), d(2)], vec![1.0, 2.0]);
        let b = DailySeries::new(vec![d(1), d(2)], vec![0.0, 0.0]);
        let w = fixed_instrument_weights(&[0.5, 0.5], &[("A".into(), a), ("B".into(), b)], 125.0);
        assert_eq!(w.columns[0], vec![1.0, 1.0]);
        assert_eq!(w.columns[1], vec![0.0, 0.0]);
    }
}
