//! The CSV stream of `size-positions --output -`: header
//! `date,instrument,subsystem_position,notional_position,lower,upper`, grouped by instrument, dates
//! ascending, numbers in shortest round-trip form, an empty field for NaN.

use std::io::Write;
use systrade_model::{InstrumentCode, PositionHistory};

fn field(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        v.to_string()
    }
}

/// Writes the CSV header.
///
/// # Errors
/// Write errors.
pub fn write_csv_header(out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "date,instrument,subsystem_position,notional_position,lower,upper"
    )
}

/// Writes one instrument's CSV rows.
///
/// # Errors
/// Write errors.
pub fn write_csv_rows(
    out: &mut impl Write,
    code: &InstrumentCode,
    h: &PositionHistory,
) -> std::io::Result<()> {
    for (i, d) in h.dates.iter().enumerate() {
        writeln!(
            out,
            "{d},{code},{},{},{},{}",
            field(h.subsystem_position[i]),
            field(h.notional_position[i]),
            field(h.lower[i]),
            field(h.upper[i])
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn rows_have_the_documented_columns_and_empty_fields_for_nan() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let values: [Vec<f64>; 9] = std::array::from_fn(|k| vec![k as f64, f64::NAN]);
        let h = PositionHistory::from_columns(vec![d, d.succ_opt().unwrap()], values);
        let mut csv = Vec::new();
        write_csv_header(&mut csv).unwrap();
        write_csv_rows(&mut csv, &InstrumentCode::new("X").unwrap(), &h).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "date,instrument,subsystem_position,notional_position,lower,upper\n2024-01-02,X,2,5,6,7\n2024-01-03,X,,,,\n"
        );
    }
}
