//! Portfolio level (spec §3.7): notional positions, position buffers, capital multiplier
//! (pysystemtrade `systems/portfolio.py`, `systems/buffering.py`, `syscore/capital.py`).

use systrade_series::{DailySeries, cumsum, diff, ffill};
use systrade_series::{reindex, reindex_ffill};

/// Default `buffer_size`.
pub const DEFAULT_BUFFER_SIZE: f64 = 0.10;

/// Buffer used by the `none` method, in contracts.
pub const NO_BUFFER_EPSILON: f64 = 0.001;

/// `notional_position_without_idm = subsystem_position × weight.reindex(position.index, ffill)`.
pub fn notional_position_without_idm(
    subsystem_position: &DailySeries,
    instrument_weight: &DailySeries,
) -> DailySeries {
    let w = reindex_ffill(
        &instrument_weight.dates,
        &instrument_weight.values,
        &subsystem_position.dates,
    );
    subsystem_position.with_values(
        subsystem_position
            .values
            .iter()
            .zip(w)
            .map(|(p, w)| p * w)
            .collect(),
    )
}

/// `notional_position = notional_position_without_idm × idm.reindex(index).ffill()`, times the
/// risk-overlay scalar `risk_scalar.reindex(index).ffill()` when one is given.
pub fn notional_position(
    without_idm: &DailySeries,
    idm: &DailySeries,
    risk_scalar: Option<&DailySeries>,
) -> DailySeries {
    let idm = ffill(&reindex(&idm.dates, &idm.values, &without_idm.dates));
    let mut values: Vec<f64> = without_idm
        .values
        .iter()
        .zip(idm)
        .map(|(p, m)| p * m)
        .collect();
    if let Some(r) = risk_scalar {
        let r = ffill(&reindex(&r.dates, &r.values, &without_idm.dates));
        values.iter_mut().zip(r).for_each(|(p, r)| *p *= r);
    }
    without_idm.with_values(values)
}

/// Average position at portfolio level (the position at forecast 10 after weighting):
/// `vol_scalar × weight.reindex(index, ffill) × idm.reindex(index, ffill)` on the vol scalar's index.
/// Used for forecast-method buffers and turnover.
pub fn average_position_at_portfolio_level(
    vol_scalar: &DailySeries,
    instrument_weight: &DailySeries,
    idm: &DailySeries,
) -> DailySeries {
    let w = reindex_ffill(
        &instrument_weight.dates,
        &instrument_weight.values,
        &vol_scalar.dates,
    );
    let m = reindex_ffill(&idm.dates, &idm.values, &vol_scalar.dates);
    vol_scalar.with_values(
        vol_scalar
            .values
            .iter()
            .zip(w)
            .zip(m)
            .map(|((v, w), m)| v * w * m)
            .collect(),
    )
}

/// `buffer_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BufferMethod {
    /// A fraction of the position at forecast 10 (v1.80 default).
    #[default]
    Forecast,
    /// A fraction of the current position.
    Position,
    /// No buffering: a tiny fixed buffer of [`NO_BUFFER_EPSILON`] contracts.
    None,
}

impl std::str::FromStr for BufferMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "forecast" => Ok(Self::Forecast),
            "position" => Ok(Self::Position),
            "none" => Ok(Self::None),
            other => Err(format!(
                "unknown buffer_method '{other}' (forecast, position, none)"
            )),
        }
    }
}

/// Buffer width in contracts on the position's index:
/// - forecast: `buffer_size × |vol_scalar × weight × idm|`, each `reindex(position.index).ffill()`
///   (weight and IDM are 1 at subsystem level: pass `None`);
/// - position: `buffer_size × |position|`;
/// - none: 0.001.
pub fn buffer(
    method: BufferMethod,
    buffer_size: f64,
    position: &DailySeries,
    vol_scalar: &DailySeries,
    instrument_weight: Option<&DailySeries>,
    idm: Option<&DailySeries>,
) -> DailySeries {
    let ix = &position.dates;
    let values = match method {
        BufferMethod::Forecast => {
            let vs = ffill(&reindex(&vol_scalar.dates, &vol_scalar.values, ix));
            let w = instrument_weight.map(|w| ffill(&reindex(&w.dates, &w.values, ix)));
            let m = idm.map(|m| ffill(&reindex(&m.dates, &m.values, ix)));
            (0..ix.len())
                .map(|t| {
                    let mut avg = vs[t];
                    if let Some(w) = &w {
                        avg *= w[t];
                    }
                    if let Some(m) = &m {
                        avg *= m[t];
                    }
                    avg.abs() * buffer_size
                })
                .collect()
        }
        BufferMethod::Position => position
            .values
            .iter()
            .map(|p| p.abs() * buffer_size)
            .collect(),
        BufferMethod::None => vec![NO_BUFFER_EPSILON; ix.len()],
    };
    position.with_values(values)
}

/// Upper and lower edges of the no-trade zone around a position.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionBuffers {
    /// `top_pos = position.ffill() + buffer.ffill()`.
    pub top: DailySeries,
    /// `bot_pos = position.ffill() − buffer.ffill()`.
    pub bottom: DailySeries,
}

/// `apply_buffers_to_position`: `top = position.ffill() + buffer.ffill()`,
/// `bottom = position.ffill() − buffer.ffill()` (same index).
pub fn apply_buffers_to_position(position: &DailySeries, buffer: &DailySeries) -> PositionBuffers {
    assert_eq!(
        position.dates, buffer.dates,
        "buffer on the position's index"
    );
    let p = ffill(&position.values);
    let b = ffill(&buffer.values);
    PositionBuffers {
        top: position.with_values(p.iter().zip(&b).map(|(p, b)| p + b).collect()),
        bottom: position.with_values(p.iter().zip(&b).map(|(p, b)| p - b).collect()),
    }
}

/// `capital_multiplier`: how capital (and so positions) follows the P&L.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CapitalMultiplier {
    /// `fixed_capital`: 1.0 always (default).
    #[default]
    Fixed,
    /// `full_compounding`: `cumprod(1 + r/100)` of the portfolio's daily percent returns.
    Full,
    /// `half_compounding`: losses reduce capital, gains never raise it above 1.0.
    Half,
}

/// The capital multiplier series on the index of `portfolio_percent_returns` (the portfolio's
/// business-day percent P&L):
/// - fixed: 1.0;
/// - full: `(1 + r/100).cumprod().ffill()` (NaN rows skipped by the product, then filled);
/// - half: over `r' = r.cumsum().ffill().diff()`, `m ← min(m × (1 + m × r'/100), 1.0)` starting at
///   1.0; as in pysystemtrade's `np.nanmin`, a NaN return resets `m` to 1.0.
pub fn capital_multiplier(
    method: CapitalMultiplier,
    portfolio_percent_returns: &DailySeries,
) -> DailySeries {
    let r = &portfolio_percent_returns.values;
    let values = match method {
        CapitalMultiplier::Fixed => vec![1.0; r.len()],
        CapitalMultiplier::Full => {
            let mut acc = 1.0;
            let prod: Vec<f64> = r
                .iter()
                .map(|&x| {
                    let f = 1.0 + x / 100.0;
                    if f.is_nan() {
                        f64::NAN
                    } else {
                        acc *= f;
                        acc
                    }
                })
                .collect();
            ffill(&prod)
        }
        CapitalMultiplier::Half => {
            let returns = diff(&ffill(&cumsum(r)), 1);
            let mut m = 1.0_f64;
            let out: Vec<f64> = returns
                .iter()
                .map(|&x| {
                    let actual = m * x / 100.0;
                    m *= 1.0 + actual;
                    m = if m.is_nan() { 1.0 } else { m.min(1.0) };
                    m
                })
                .collect();
            ffill(&out)
        }
    };
    portfolio_percent_returns.with_values(values)
}

/// `actual = notional × capital_multiplier.reindex(index).ffill()` (positions or buffer edges).
pub fn apply_capital_multiplier(series: &DailySeries, multiplier: &DailySeries) -> DailySeries {
    let m = ffill(&reindex(
        &multiplier.dates,
        &multiplier.values,
        &series.dates,
    ));
    series.with_values(series.values.iter().zip(m).map(|(x, m)| x * m).collect())
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
    fn forecast_buffer_worked_example() {
        // spec §8 item 6: vol scalar 44.444, weight 0.1, IDM 1.5, notional 6.667
        let vs = s(vec![10_000.0 / 225.0]);
        let pos = s(vec![10_000.0 / 225.0 * 0.1 * 1.5]);
        let b = buffer(
            BufferMethod::Forecast,
            0.1,
            &pos,
            &vs,
            Some(&s(vec![0.1])),
            Some(&s(vec![1.5])),
        );
        assert!((b.values[0] - 2.0 / 3.0).abs() < 1e-12);
        let edges = apply_buffers_to_position(&pos, &b);
        assert!((edges.top.values[0] - 22.0 / 3.0).abs() < 1e-12);
        assert!((edges.bottom.values[0] - 6.0).abs() < 1e-12);
        let pb = buffer(BufferMethod::Position, 0.1, &s(vec![-5.0]), &vs, None, None);
        assert_eq!(pb.values, vec![0.5]);
        assert_eq!(
            buffer(BufferMethod::None, 0.1, &pos, &vs, None, None).values,
            vec![0.001]
        );
    }

    #[test]
    fn capital_multipliers() {
        let r = s(vec![f64::NAN, 10.0, -50.0, 100.0]);
        assert_eq!(
            capital_multiplier(CapitalMultiplier::Fixed, &r).values,
            vec![1.0; 4]
        );
        let full = capital_multiplier(CapitalMultiplier::Full, &r).values;
        assert!(full[0].is_nan());
        assert_eq!(&full[1..], &[1.1, 1.1 * 0.5, 1.1 * 0.5 * 2.0]);
        let half = capital_multiplier(CapitalMultiplier::Half, &r).values;
        // NaN first return -> 1.0; +10 % capped at 1.0; -50 % -> 0.5; +100 % of 0.5 -> 0.5 × 1.5 = 0.75
        assert_eq!(half, vec![1.0, 1.0, 0.5, 0.75]);
    }

    #[test]
    fn notional_positions_align_weights_and_idm() {
        let pos = s(vec![10.0, 20.0, 30.0]);
        let w = DailySeries::new(vec![pos.dates[0]], vec![0.5]);
        let n0 = notional_position_without_idm(&pos, &w);
        assert_eq!(n0.values, vec![5.0, 10.0, 15.0]);
        let idm = DailySeries::new(vec![pos.dates[0], pos.dates[2]], vec![2.0, 3.0]);
        assert_eq!(
            notional_position(&n0, &idm, None).values,
            vec![10.0, 20.0, 45.0]
        );
    }
}
