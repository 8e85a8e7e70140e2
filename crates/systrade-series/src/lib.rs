//! Time series of `f64` with `NaN` as "missing", and the pandas operations pysystemtrade relies on,
//! reproduced with pandas 2.1 semantics (spec §3.11) so that results match pysystemtrade's to the
//! last bits where the arithmetic order allows it.
//!
//! - [`align`]: series on the union of their dates, pandas Series arithmetic, as-of alignment.
//! - [`calendar`]: business days (Mon–Fri), the business-day index.
//! - [`ewm`]: exponentially weighted mean / variance / std (`adjust=True`, `ignore_na=False`).
//! - [`rolling`]: rolling (by observation count) and expanding mean, std, min, max, quantile.
//! - [`ops`]: diff, shift, ffill, bfill, cumsum, clip, elementwise helpers.
//! - [`resample`]: `resample("1B").last()` / `.mean()` / `.ffill()`.
//! - [`covariance`]: exponentially weighted pairwise covariance / correlation of several series.
//! - [`weekly`]: `resample("7D")` bins and weekly returns.
//! - [`index`]: joins of indexes and `reindex` (exact and forward-filled), the one reindex.
//! - [`DailySeries`]: dates + values on a business-day index.
//!
//! Everything is a pure function over slices; no I/O.

pub mod align;
pub mod calendar;
pub mod covariance;
pub mod ewm;
pub mod index;
pub mod ops;
pub mod resample;
pub mod rolling;
mod series;
pub mod weekly;

pub use calendar::{business_day_floor, business_days, is_business_day, next_business_day};
pub use covariance::{EwmCorrelation, EwmCov};
pub use ewm::{Ewm, ewm_mean, ewm_means, ewm_std, ewm_var, ewma_com, ewma_span};
pub use index::{reindex, reindex_ffill};
pub use ops::{bfill, clip, cumsum, diff, ffill, shift};
pub use resample::{
    resample_business_day_ffill, resample_business_day_last, resample_business_day_mean,
};
pub use rolling::{
    expanding_mean, rolling_kurt_days, rolling_max, rolling_mean, rolling_min, rolling_quantile,
    rolling_skew, rolling_skew_days, rolling_std, rolling_var,
};
pub use series::DailySeries;
pub use weekly::WeeklyBins;

/// What the modules' tests share.
#[cfg(test)]
mod test_support {
    /// The next number of a xorshift64 sequence (seeded test data, no dependency).
    pub(crate) fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Equal within 1e-12 relative (absolute below 1), NaN where NaN is wanted.
    pub(crate) fn assert_close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g.is_nan() && w.is_nan()) || (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                "row {i}: got {g}, want {w} ({got:?})"
            );
        }
    }
}
