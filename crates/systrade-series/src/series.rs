//! A daily series on a business-day index.

use chrono::NaiveDate;

/// Values on dates (normally business days, ascending, unique); NaN = missing. The pandas analogue
/// is a float Series with a `DatetimeIndex` of frequency `B`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DailySeries {
    pub dates: Vec<NaiveDate>,
    pub values: Vec<f64>,
}

impl DailySeries {
    /// Panics if lengths differ or dates are not strictly ascending.
    pub fn new(dates: Vec<NaiveDate>, values: Vec<f64>) -> Self {
        assert_eq!(dates.len(), values.len(), "one value per date");
        assert!(
            dates.windows(2).all(|w| w[0] < w[1]),
            "dates must be strictly ascending"
        );
        Self { dates, values }
    }

    pub fn len(&self) -> usize {
        self.dates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// The same index with new values (e.g. the output of a slice function).
    pub fn with_values(&self, values: Vec<f64>) -> Self {
        assert_eq!(values.len(), self.len(), "one value per date");
        Self {
            dates: self.dates.clone(),
            values,
        }
    }

    /// Elementwise map on the values.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Self {
        self.with_values(self.values.iter().map(|&v| f(v)).collect())
    }

    /// Value on `date`, if the date is in the index.
    pub fn get(&self, date: NaiveDate) -> Option<f64> {
        self.dates.binary_search(&date).ok().map(|i| self.values[i])
    }

    /// pandas `x.reindex(dates)`.
    pub fn reindex(&self, dates: &[NaiveDate]) -> Self {
        Self::new(
            dates.to_vec(),
            crate::index::reindex(&self.dates, &self.values, dates),
        )
    }

    /// pandas `x.reindex(dates, method="ffill")` (as-of the last date `<=` each target).
    pub fn reindex_ffill(&self, dates: &[NaiveDate]) -> Self {
        Self::new(
            dates.to_vec(),
            crate::index::reindex_ffill(&self.dates, &self.values, dates),
        )
    }

    /// pandas `x.ffill()`.
    pub fn ffill(&self) -> Self {
        self.with_values(crate::ops::ffill(&self.values))
    }

    /// Rows with date `<= as_of`.
    pub fn truncate_after(&self, as_of: NaiveDate) -> Self {
        let n = self.dates.partition_point(|d| *d <= as_of);
        Self {
            dates: self.dates[..n].to_vec(),
            values: self.values[..n].to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reindex_and_truncate() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let s = DailySeries::new(vec![d("2023-01-02"), d("2023-01-04")], vec![1.0, f64::NAN]);
        let r = s.reindex_ffill(&[d("2023-01-03"), d("2023-01-05")]);
        assert_eq!(r.values[0], 1.0);
        assert!(r.values[1].is_nan());
        assert_eq!(s.ffill().values, vec![1.0, 1.0]);
        assert_eq!(s.truncate_after(d("2023-01-03")).len(), 1);
        assert_eq!(s.get(d("2023-01-02")), Some(1.0));
        assert_eq!(s.get(d("2023-01-03")), None);
    }
}
