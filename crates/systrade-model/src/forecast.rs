//! Forecast series of one instrument as `compute-forecasts` produces them (one per trading rule and
//! the combined forecast), the content of `forecasts/<INSTRUMENT>.parquet`.

use chrono::NaiveDate;

/// The rule name of the combined forecast.
pub const COMBINED_RULE: &str = "combined";

/// One rule's (or the combined) forecast series of one instrument, on business days.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastSeries {
    /// Rule variation name; [`COMBINED_RULE`] for the combined forecast.
    pub rule: String,
    pub dates: Vec<NaiveDate>,
    /// Raw forecast; for the combined forecast the weighted sum of the capped forecasts (before
    /// the forecast diversification multiplier).
    pub raw: Vec<f64>,
    /// Forecast scalar; for the combined forecast the forecast diversification multiplier.
    pub scalar: Vec<f64>,
    /// `clip(raw × scalar, floor, cap)`; for the combined forecast the final combined forecast.
    pub capped: Vec<f64>,
}

impl ForecastSeries {
    /// True for the combined forecast.
    pub fn is_combined(&self) -> bool {
        self.rule == COMBINED_RULE
    }

    /// The scaled forecast, `raw × scalar` (for the combined forecast: × FDM, before the cap).
    pub fn scaled(&self) -> Vec<f64> {
        self.raw
            .iter()
            .zip(&self.scalar)
            .map(|(r, s)| r * s)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_is_raw_times_scalar() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let s = ForecastSeries {
            rule: COMBINED_RULE.into(),
            dates: vec![d, d.succ_opt().unwrap()],
            raw: vec![1.5, f64::NAN],
            scalar: vec![2.0, 2.0],
            capped: vec![3.0, f64::NAN],
        };
        assert!(s.is_combined());
        let scaled = s.scaled();
        assert_eq!(scaled[0], 3.0);
        assert!(scaled[1].is_nan());
    }
}
