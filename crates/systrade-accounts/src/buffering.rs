//! The buffered-position walk (spec §3.8, pysystemtrade `systems/accounts/account_buffering_system.py`,
//! `systems/buffering.py`).

use systrade_series::{DailySeries, ffill};

/// How a position outside the no-trade zone is corrected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferWalk {
    /// Round optimal, top and bottom to whole contracts (half to even, as pandas `round`).
    pub round_positions: bool,
    /// `buffer_trade_to_edge`: trade to the nearest edge (true, v1.80 default) or to the optimal.
    pub trade_to_edge: bool,
}

impl Default for BufferWalk {
    fn default() -> Self {
        Self {
            round_positions: true,
            trade_to_edge: true,
        }
    }
}

/// Buffered position: `optimal`, `top` and `bottom` forward-filled (and rounded half-to-even when
/// `round_positions`); start at the first optimal position (0 if NaN); then for each later row keep
/// the last position if any input is NaN or it lies within `[bottom, top]`, otherwise move to the
/// crossed edge (or to the optimal when not `trade_to_edge`). Result on the optimal's index.
pub fn buffered_position(
    optimal: &DailySeries,
    top: &DailySeries,
    bottom: &DailySeries,
    walk: BufferWalk,
) -> DailySeries {
    assert_eq!(optimal.dates, top.dates, "buffers on the position's index");
    assert_eq!(
        optimal.dates, bottom.dates,
        "buffers on the position's index"
    );
    let prep = |v: &[f64]| {
        let f = ffill(v);
        if walk.round_positions {
            f.into_iter().map(f64::round_ties_even).collect()
        } else {
            f
        }
    };
    let opt = prep(&optimal.values);
    let top = prep(&top.values);
    let bot = prep(&bottom.values);
    let mut out = Vec::with_capacity(opt.len());
    let Some(&first) = opt.first() else {
        return optimal.with_values(out);
    };
    let mut current = if first.is_nan() { 0.0 } else { first };
    out.push(current);
    for t in 1..opt.len() {
        current = buffer_step(current, opt[t], top[t], bot[t], walk.trade_to_edge);
        out.push(current);
    }
    optimal.with_values(out)
}

/// One step of the walk (`apply_buffer_single_period`).
pub fn buffer_step(last: f64, optimal: f64, top: f64, bottom: f64, trade_to_edge: bool) -> f64 {
    if top.is_nan() || bottom.is_nan() || optimal.is_nan() {
        last
    } else if last > top {
        if trade_to_edge { top } else { optimal }
    } else if last < bottom {
        if trade_to_edge { bottom } else { optimal }
    } else {
        last
    }
}

/// With `buffer_method: none` the buffered position is the optimal position, rounded half-to-even
/// when `round_positions`.
pub fn unbuffered_position(optimal: &DailySeries, round_positions: bool) -> DailySeries {
    if round_positions {
        optimal.map(f64::round_ties_even)
    } else {
        optimal.clone()
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
    fn walk_trades_to_rounded_edges() {
        let nan = f64::NAN;
        let opt = s(vec![nan, 6.6, 6.6, 9.0, 9.0, 2.5]);
        let top = s(vec![nan, 7.3, 7.3, 9.7, nan, 3.5]);
        let bot = s(vec![nan, 6.0, 6.0, 8.5, 8.5, 1.5]);
        let b = buffered_position(&opt, &top, &bot, BufferWalk::default());
        // start 0; 0 < 6 -> 6; stays 6; 6 < round(8.5)=8 -> 8; top NaN is ffilled (10) -> stay 8;
        // 8 > round(3.5)=4 -> 4
        assert_eq!(b.values, vec![0.0, 6.0, 6.0, 8.0, 8.0, 4.0]);
        let to_opt = buffered_position(
            &opt,
            &top,
            &bot,
            BufferWalk {
                round_positions: true,
                trade_to_edge: false,
            },
        );
        assert_eq!(to_opt.values, vec![0.0, 7.0, 7.0, 9.0, 9.0, 2.0]);
    }

    #[test]
    fn half_to_even_rounding() {
        assert_eq!(
            unbuffered_position(&s(vec![0.5, 1.5, 2.5, -0.5, -1.5]), true).values,
            vec![0.0, 2.0, 2.0, -0.0, -2.0]
        );
    }
}
