//! Instruments whose volatility sits at the floor (issue 16): with flat prices the volatility
//! estimate is `vol_abs_min` (1e-10), the volatility scalar ~1e10 and the position absurd. Sizing
//! tools leave such an instrument out, named, unless asked to size it anyway
//! (`--allow-floored-vol`). pysystemtrade sizes it as it is.

use crate::load::{Failure, InstrumentPrices};
use chrono::NaiveDate;
use systrade_forecast::VolConfig;

/// Where an instrument's `daily_returns_volatility` equals the floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlooredVol {
    /// Days at the floor.
    pub days: usize,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// Whether the last volatility is at the floor.
    pub at_end: bool,
}

/// The days on which `p`'s volatility is at `vol`'s floor ([`VolConfig::floor`]); `None` when
/// none is.
pub fn floored_vol(p: &InstrumentPrices, vol: &VolConfig) -> Option<FlooredVol> {
    let floor = vol.floor() * (1.0 + 1e-9);
    let sigma = &p.raw.daily_returns_volatility;
    let mut found: Option<FlooredVol> = None;
    for (d, v) in sigma.dates.iter().zip(&sigma.values) {
        if *v <= floor {
            let f = found.get_or_insert(FlooredVol {
                days: 0,
                first: *d,
                last: *d,
                at_end: false,
            });
            f.days += 1;
            f.last = *d;
        }
    }
    let last_valid = sigma
        .dates
        .iter()
        .zip(&sigma.values)
        .rev()
        .find(|(_, v)| !v.is_nan());
    if let (Some(f), Some((d, _))) = (found.as_mut(), last_valid) {
        f.at_end = f.last == *d;
    }
    found
}

/// Which floored instruments a sizing tool leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlooredVolCheck {
    /// Any day at the floor (`backtest`: a position sized on such a day is absurd and its P&L
    /// follows it).
    AnyDay,
    /// The latest volatility at the floor (`size-positions`: the position it writes for today).
    Latest,
    /// `--allow-floored-vol`: warn, size them anyway.
    Allow,
}

/// Leaves the instruments with floored volatility out of `prices` (each a [`Failure`] naming the
/// days and the flag), or with [`FlooredVolCheck::Allow`] only warns about them.
pub fn exclude_floored_vol(
    prices: &mut Vec<InstrumentPrices>,
    vol: &VolConfig,
    check: FlooredVolCheck,
) -> Vec<Failure> {
    let mut failures = Vec::new();
    prices.retain(|p| {
        let Some(f) = floored_vol(p, vol) else {
            return true;
        };
        let what = format!(
            "volatility at the floor vol_abs_min ({:e}) on {} day(s) from {} to {}{} (flat prices?): its positions would be absurd",
            vol.floor(),
            f.days,
            f.first,
            f.last,
            if f.at_end { ", the latest included" } else { "" }
        );
        let exclude = match check {
            FlooredVolCheck::AnyDay => true,
            FlooredVolCheck::Latest => f.at_end,
            FlooredVolCheck::Allow => false,
        };
        if exclude {
            failures.push((
                p.code.clone(),
                format!("{what}; left out of sizing (--allow-floored-vol sizes it anyway)"),
            ));
        } else if check == FlooredVolCheck::Allow || f.at_end {
            tracing::warn!("{}: {what}; sized anyway", p.code);
        }
        !exclude
    });
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use systrade_forecast::RawData;
    use systrade_model::InstrumentCode;
    use systrade_series::DailySeries;

    fn prices(code: &str, vol: Vec<f64>) -> InstrumentPrices {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let dates: Vec<NaiveDate> = (0..vol.len() as u64)
            .map(|i| start + chrono::Days::new(i))
            .collect();
        let s = |v: Vec<f64>| DailySeries::new(dates.clone(), v);
        let n = vol.len();
        InstrumentPrices {
            code: InstrumentCode::new(code).unwrap(),
            raw: Arc::new(RawData {
                daily_prices: s(vec![100.0; n]),
                daily_returns: s(vec![0.0; n]),
                daily_returns_volatility: s(vol),
                denominator_price: s(vec![100.0; n]),
            }),
            reference: None,
        }
    }

    #[test]
    fn floored_instruments_are_left_out_or_warned() {
        let vol = VolConfig::default();
        let floor = vol.floor();
        let all = || {
            vec![
                prices("OK", vec![f64::NAN, 0.5, 0.4]),
                prices("EARLY", vec![f64::NAN, floor, 0.4]),
                prices("FLAT", vec![f64::NAN, 0.3, floor]),
            ]
        };
        let mut p = all();
        let f = exclude_floored_vol(&mut p, &vol, FlooredVolCheck::AnyDay);
        assert_eq!(p.len(), 1);
        assert_eq!(f.len(), 2);
        assert!(f[0].1.contains("1 day(s) from 2024-01-02"), "{f:?}");
        assert!(f[1].1.contains("the latest included"), "{f:?}");
        assert!(f[1].1.contains("--allow-floored-vol"), "{f:?}");

        let mut p = all();
        let f = exclude_floored_vol(&mut p, &vol, FlooredVolCheck::Latest);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].0.as_str(), "FLAT");
        assert_eq!(p.len(), 2);

        let mut p = all();
        assert!(exclude_floored_vol(&mut p, &vol, FlooredVolCheck::Allow).is_empty());
        assert_eq!(p.len(), 3);
    }
}
