//! The position history `size-positions` computes for one instrument, the content of
//! `positions/<INSTRUMENT>.parquet`.

use chrono::NaiveDate;

/// One instrument's positions per business day (full history); every column has one value per
/// date, NaN = none that day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PositionHistory {
    pub dates: Vec<NaiveDate>,
    /// The combined forecast used.
    pub combined_forecast: Vec<f64>,
    /// Contracts at a forecast of +10 (spec §3.6), forward-filled.
    pub volatility_scalar: Vec<f64>,
    /// The position if all capital were in this instrument.
    pub subsystem_position: Vec<f64>,
    /// Smoothed instrument weight (§3.7), forward-filled.
    pub instrument_weight: Vec<f64>,
    /// Instrument diversification multiplier, forward-filled.
    pub idm: Vec<f64>,
    /// Subsystem position × weight × IDM (× the risk multiplier), capped by a position limit.
    pub notional_position: Vec<f64>,
    /// Bottom of the buffer (`buffers__bot_pos`), capped likewise.
    pub lower: Vec<f64>,
    /// Top of the buffer (`buffers__top_pos`), capped likewise.
    pub upper: Vec<f64>,
    /// The backtest's rounded buffered position walk.
    pub buffered_position: Vec<f64>,
}

impl PositionHistory {
    /// Names of the value columns, in file order.
    pub const COLUMNS: [&'static str; 9] = [
        "combined_forecast",
        "volatility_scalar",
        "subsystem_position",
        "instrument_weight",
        "idm",
        "notional_position",
        "lower",
        "upper",
        "buffered_position",
    ];

    /// The value columns in file order ([`Self::COLUMNS`]).
    pub fn columns(&self) -> [&[f64]; 9] {
        [
            &self.combined_forecast,
            &self.volatility_scalar,
            &self.subsystem_position,
            &self.instrument_weight,
            &self.idm,
            &self.notional_position,
            &self.lower,
            &self.upper,
            &self.buffered_position,
        ]
    }

    /// A history from its dates and value columns in file order ([`Self::COLUMNS`]).
    pub fn from_columns(dates: Vec<NaiveDate>, columns: [Vec<f64>; 9]) -> Self {
        let [
            combined_forecast,
            volatility_scalar,
            subsystem_position,
            instrument_weight,
            idm,
            notional_position,
            lower,
            upper,
            buffered_position,
        ] = columns;
        Self {
            dates,
            combined_forecast,
            volatility_scalar,
            subsystem_position,
            instrument_weight,
            idm,
            notional_position,
            lower,
            upper,
            buffered_position,
        }
    }

    /// Number of dates.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_round_trip_in_file_order() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let cols: [Vec<f64>; 9] = std::array::from_fn(|k| vec![k as f64]);
        let h = PositionHistory::from_columns(vec![d], cols.clone());
        assert_eq!(h.lower, vec![6.0]);
        assert_eq!(h.columns().map(<[f64]>::to_vec), cols);
        assert_eq!(PositionHistory::COLUMNS[6], "lower");
        assert_eq!(h.len(), 1);
    }
}
