//! The price spike check (spec §4.10, pysystemtrade `syscore/pandas/merge_data_keeping_past_data.py`).

use systrade_model::Timestamp;

/// pysystemtrade's `max_price_spike` default.
pub const DEFAULT_MAX_SPIKE: f64 = 8.0;
/// Span of the EWMA of absolute moves.
pub const SPIKE_EWMA_SPAN: f64 = 500.0;

/// One move that is too large.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    pub timestamp: Timestamp,
    pub previous: f64,
    pub value: f64,
    /// `|Δ_t| / m_t`.
    pub ratio: f64,
}

/// Finds spikes in a merged series (old then new values, time order, no missing values), looking only
/// at moves into index `first_new` or later (0 when there was no old data):
///
/// - `Δ_t = (x_t − x_{t−1}) / sqrt(d_t)`, where `d_t` is the time between the two timestamps in
///   (fractional) days, so moves are in daily units;
/// - `m_t = EWMA_span(|Δ|)_t`, pandas `ewm(span=500, adjust=True).mean()` over the moves, the current
///   move included: `α = 2/(span+1)`, `m_t = Σ_i (1−α)^i |Δ_{t−i}| / Σ_i (1−α)^i`;
/// - a spike at `t` when `|Δ_t| / m_t > max_spike` (8 by default).
///
/// A series of constant values has `m = 0` and no spikes.
pub fn find_spikes(
    timestamps: &[Timestamp],
    values: &[f64],
    first_new: usize,
    max_spike: f64,
) -> Vec<Spike> {
    assert_eq!(timestamps.len(), values.len(), "one value per timestamp");
    let decay = 1.0 - 2.0 / (SPIKE_EWMA_SPAN + 1.0);
    let (mut num, mut den) = (0.0_f64, 0.0_f64);
    let mut spikes = Vec::new();
    for t in 1..values.len() {
        let days = (timestamps[t].micros() - timestamps[t - 1].micros()) as f64
            / systrade_model::time::MICROS_PER_DAY as f64;
        let delta = (values[t] - values[t - 1]) / days.max(f64::MIN_POSITIVE).sqrt();
        if delta.is_nan() {
            // pandas ignore_na=False: the weights of earlier moves still decay.
            num *= decay;
            den *= decay;
            continue;
        }
        num = delta.abs() + decay * num;
        den = 1.0 + decay * den;
        let m = num / den;
        if t >= first_new && m > 0.0 {
            let ratio = delta.abs() / m;
            if ratio > max_spike {
                spikes.push(Spike {
                    timestamp: timestamps[t],
                    previous: values[t - 1],
                    value: values[t],
                    ratio,
                });
            }
        }
    }
    spikes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: usize) -> Vec<Timestamp> {
        (0..n)
            .map(|i| Timestamp::from_micros(i as i64 * systrade_model::time::MICROS_PER_DAY))
            .collect()
    }

    #[test]
    fn regular_moves_are_no_spike_and_a_jump_is() {
        let n = 300;
        let mut v: Vec<f64> = (0..n)
            .map(|i| 100.0 + if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        assert!(find_spikes(&days(n), &v, 0, DEFAULT_MAX_SPIKE).is_empty());
        v[n - 1] = 150.0; // move of 49 against typical 2
        let s = find_spikes(&days(n), &v, n - 1, DEFAULT_MAX_SPIKE);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].value, 150.0);
        // m_t includes the spike itself: hand-computed with the same recursion.
        let a = 2.0 / 501.0;
        let (mut num, mut den) = (0.0, 0.0);
        for _ in 1..n - 1 {
            num = 2.0 + (1.0 - a) * num;
            den = 1.0 + (1.0 - a) * den;
        }
        num = 49.0 + (1.0 - a) * num;
        den = 1.0 + (1.0 - a) * den;
        assert!((s[0].ratio - 49.0 / (num / den)).abs() < 1e-12);
        // Before first_new nothing is reported.
        assert!(find_spikes(&days(n), &v, n, DEFAULT_MAX_SPIKE).is_empty());
    }

    #[test]
    fn moves_are_scaled_by_root_time() {
        // A move of 2 after 4 days counts as 1 per day: no spike against typical moves of 1.
        let mut t = days(50);
        let mut v: Vec<f64> = (0..50).map(|i| f64::from(i % 2)).collect();
        t[49] = t[48].plus_seconds(4 * 86_400);
        v[49] = v[48] + 2.0;
        let s = find_spikes(&t, &v, 49, 1.5);
        assert!(s.is_empty(), "{s:?}");
        let s = find_spikes(&t, &v, 49, 0.9);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn constant_series_has_no_spike() {
        assert!(find_spikes(&days(10), &[5.0; 10], 0, DEFAULT_MAX_SPIKE).is_empty());
    }
}
