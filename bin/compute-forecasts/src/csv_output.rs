//! The CSV stream of `compute-forecasts --output -`: header `date,instrument,rule,forecast`, the
//! capped forecast of each rule and the combined forecast, grouped by instrument, then rule (in
//! `forecast_weights` order, `combined` last), then date; dates `YYYY-MM-DD`, numbers in shortest
//! round-trip form, an empty field for NaN.

use std::io::Write;
use systrade_model::{ForecastSeries, InstrumentCode};

/// Writes the CSV header.
///
/// # Errors
/// Write errors (a broken pipe included).
pub fn write_csv_header(out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "date,instrument,rule,forecast")
}

/// Writes the CSV rows of one instrument: the capped forecast of every series.
///
/// # Errors
/// Write errors (a broken pipe included).
pub fn write_csv_rows(
    out: &mut impl Write,
    instrument: &InstrumentCode,
    series: &[ForecastSeries],
) -> std::io::Result<()> {
    for s in series {
        for (d, v) in s.dates.iter().zip(&s.capped) {
            if v.is_nan() {
                writeln!(out, "{d},{instrument},{},", s.rule)?;
            } else {
                writeln!(out, "{d},{instrument},{},{v}", s.rule)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use systrade_model::COMBINED_RULE;

    #[test]
    fn nan_is_an_empty_field_and_numbers_are_shortest_round_trip() {
        let d = |day| NaiveDate::from_ymd_opt(2024, 1, day).unwrap();
        let series = vec![
            ForecastSeries {
                rule: "ewmac8".into(),
                dates: vec![d(1), d(2)],
                raw: vec![f64::NAN, 1.5],
                scalar: vec![2.0, 2.0],
                capped: vec![f64::NAN, 3.0],
            },
            ForecastSeries {
                rule: COMBINED_RULE.into(),
                dates: vec![d(2)],
                raw: vec![0.1],
                scalar: vec![1.25],
                capped: vec![-20.0],
            },
        ];
        let mut csv = Vec::new();
        let code = InstrumentCode::new("X").unwrap();
        write_csv_header(&mut csv).unwrap();
        write_csv_rows(&mut csv, &code, &series).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "date,instrument,rule,forecast\n2024-01-01,X,ewmac8,\n2024-01-02,X,ewmac8,3\n2024-01-02,X,combined,-20\n"
        );
    }
}
