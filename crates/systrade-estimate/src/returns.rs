//! The returns an optimiser is fitted on (pysystemtrade `sysquant/returns.py`,
//! `sysquant/optimisation/pre_processing.py`): gross and cost returns per asset, pooled gross
//! returns, Sharpe-ratio costs (own, pooled, or own cost per unit of turnover times the average
//! turnover), `equalise_gross`, `cost_multiplier`, and the weekly stack the estimators read.
//!
//! An *asset* is one set of returns with its columns: for forecast weights an instrument with one
//! column per trading rule (several instruments pooled), for instrument weights the whole set of
//! subsystems with one column per instrument (never pooled).

use crate::EstimateError;
use crate::correlation::DataFrame;
use crate::pooling::week_ending;
use chrono::NaiveDate;
use std::collections::BTreeSet;
use systrade_model::Timestamp;
use systrade_series::{DailySeries, business_day_floor, business_days};

/// Days a year in pysystemtrade's annualisation (`ROOT_BDAYS_INYEAR` = 16).
pub(crate) const ROOT_BDAYS_INYEAR: f64 = 16.0;

/// Columns on one business-day index.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyFrame {
    pub dates: Vec<NaiveDate>,
    pub columns: Vec<Vec<f64>>,
}

impl DailyFrame {
    /// `pd.concat(curves, axis=1).resample("1B").sum()` with exact zeros then set to NaN
    /// (`returnsForOptimisationWithCosts`, "avoid understating vol"): every business day from the
    /// first date to the last; a day with no value or a zero sum is NaN.
    pub fn from_curves(curves: &[&DailySeries]) -> Self {
        let first = curves.iter().filter_map(|c| c.dates.first()).min().copied();
        let last = curves.iter().filter_map(|c| c.dates.last()).max().copied();
        let (Some(first), Some(last)) = (first, last) else {
            return Self {
                dates: Vec::new(),
                columns: vec![Vec::new(); curves.len()],
            };
        };
        let dates = business_days(business_day_floor(first), business_day_floor(last));
        let columns = curves
            .iter()
            .map(|c| {
                let mut out = vec![0.0; dates.len()];
                let mut k = 0;
                for (d, v) in c.dates.iter().zip(&c.values) {
                    let bin = business_day_floor(*d);
                    while dates[k] < bin {
                        k += 1;
                    }
                    if !v.is_nan() {
                        out[k] += v;
                    }
                }
                out.into_iter()
                    .map(|x| if x == 0.0 { f64::NAN } else { x })
                    .collect()
            })
            .collect();
        Self { dates, columns }
    }
}

/// One asset's daily gross and cost returns (`returnsForOptimisationWithCosts`), columns in
/// `names` order.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnsWithCosts {
    pub names: Vec<String>,
    pub gross: DailyFrame,
    pub costs: DailyFrame,
}

impl ReturnsWithCosts {
    /// From each column's business-day gross and cost curves.
    pub fn new(names: Vec<String>, gross: &[&DailySeries], costs: &[&DailySeries]) -> Self {
        Self {
            names,
            gross: DailyFrame::from_curves(gross),
            costs: DailyFrame::from_curves(costs),
        }
    }

    /// The annual SR of a column's gross or cost returns over the gross returns' standard
    /// deviation (`_get_annual_SR_for_returns_for_optimisation`): `16 × mean / std`, NaN-skipping,
    /// std with `ddof = 1`.
    pub fn annual_sr(&self, column: usize, of_costs: bool) -> f64 {
        let gross = &self.gross.columns[column];
        let returns = if of_costs {
            &self.costs.columns[column]
        } else {
            gross
        };
        ROOT_BDAYS_INYEAR * nan_mean(returns) / nan_std(gross)
    }
}

fn nan_mean(v: &[f64]) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for x in v.iter().filter(|x| !x.is_nan()) {
        s += x;
        n += 1;
    }
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// pandas `Series.std()` (NaN-skipping, `ddof = 1`).
pub(crate) fn nan_std(v: &[f64]) -> f64 {
    let vals: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    if vals.len() < 2 {
        return f64::NAN;
    }
    let mean = vals.iter().sum::<f64>() / vals.len() as f64;
    let ss: f64 = vals.iter().map(|x| (x - mean) * (x - mean)).sum();
    (ss / (vals.len() - 1) as f64).sqrt()
}

/// The pre-processing settings (`returnsPreProcessor`; pysystemtrade's names and defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct PreProcessing {
    /// `frequency`: only `W` (weekly sums, pysystemtrade's default) is implemented.
    pub frequency: String,
    pub pool_gross_returns: bool,
    pub use_pooled_costs: bool,
    pub use_pooled_turnover: bool,
    pub equalise_gross: bool,
    pub cost_multiplier: f64,
}

impl Default for PreProcessing {
    fn default() -> Self {
        Self {
            frequency: "W".into(),
            pool_gross_returns: true,
            use_pooled_costs: false,
            use_pooled_turnover: true,
            equalise_gross: false,
            cost_multiplier: 1.0,
        }
    }
}

/// The stacked returns an optimiser fits on (`returnsForOptimisation`): one row per week and
/// pooled asset (asset `i` stamped `i` µs after the week's label), with the number of assets
/// pooled (the estimators' `length_adjustment`).
#[derive(Debug, Clone, PartialEq)]
pub struct NetReturns {
    pub data: DataFrame,
    pub pooled_length: usize,
    /// The returns' frequency (`W`).
    pub frequency: String,
}

/// What pre-processing produced for one asset.
#[derive(Debug, Clone, PartialEq)]
pub struct PreProcessed {
    pub net: NetReturns,
    /// The annual SR cost of each column before the cost multiplier
    /// (`get_dict_of_unadjusted_cost_SR_for_asset_name`, read by `apply_cost_weight`).
    pub unadjusted_cost_sr: Vec<f64>,
}

/// Net returns for optimising `asset`'s weights (`returnsPreProcessor.get_net_returns`).
///
/// `assets` are the (name, returns) pairs pooled with it, in pysystemtrade's order (sorted
/// instrument codes); every asset has the same columns. `turnovers[c][a]` is the turnover of
/// column `c` for asset `a` (needed with `use_pooled_turnover`). With a single asset nothing is
/// pooled. Gross returns are those of every asset (`pool_gross_returns`) or of `asset` only,
/// shifted to a common mean (`equalise_gross`); each is charged `asset`'s annual SR cost per column
/// (its own; the average over assets with `use_pooled_costs`; or its cost per unit of turnover
/// times the average turnover with `use_pooled_turnover`), times `cost_multiplier`, as a constant
/// daily `SR_cost / 16 × std(gross)`; then summed per `W` week, put on the union of weeks and
/// stacked.
///
/// # Errors
/// An unknown asset, columns that differ between assets, a missing turnover, or a frequency
/// other than `W`.
pub fn pre_process(
    assets: &[(String, ReturnsWithCosts)],
    turnovers: &[Vec<f64>],
    asset: &str,
    cfg: &PreProcessing,
) -> Result<PreProcessed, EstimateError> {
    if cfg.frequency != "W" {
        return Err(EstimateError::UnknownInterval(cfg.frequency.clone()));
    }
    let me = assets
        .iter()
        .position(|(n, _)| n == asset)
        .ok_or_else(|| EstimateError::UnknownName(asset.to_string()))?;
    let names = &assets[me].1.names;
    for (_, r) in assets {
        if &r.names != names {
            return Err(EstimateError::LengthMismatch {
                what: "columns of pooled returns",
                expected: names.len(),
                got: r.names.len(),
            });
        }
    }
    let singular = assets.len() == 1;
    let pool = cfg.pool_gross_returns && !singular;
    let mut gross: Vec<DailyFrame> = if pool {
        assets.iter().map(|(_, r)| r.gross.clone()).collect()
    } else {
        vec![assets[me].1.gross.clone()]
    };
    if cfg.equalise_gross {
        equalise(&mut gross, names.len());
    }
    let unadjusted = cost_sr(assets, turnovers, me, cfg, singular)?;
    let costs: Vec<f64> = if cfg.cost_multiplier == 1.0 {
        unadjusted.clone()
    } else {
        unadjusted.iter().map(|c| c * cfg.cost_multiplier).collect()
    };
    let net: Vec<DailyFrame> = gross
        .into_iter()
        .map(|f| {
            let columns = f
                .columns
                .iter()
                .zip(&costs)
                .map(|(col, sr)| {
                    let daily = (sr / ROOT_BDAYS_INYEAR) * nan_std(col);
                    col.iter().map(|x| x + daily).collect()
                })
                .collect();
            DailyFrame {
                dates: f.dates,
                columns,
            }
        })
        .collect();
    let pooled_length = net.len();
    let data = stack_weekly_sums(&net, names)?;
    Ok(PreProcessed {
        net: NetReturns {
            data,
            pooled_length,
            frequency: cfg.frequency.clone(),
        },
        unadjusted_cost_sr: unadjusted,
    })
}

/// `dictOfReturnsForOptimisation.equalise_returns`: the average over columns of each column's
/// mean over every asset's values; each column then shifted so that its mean is that average.
pub(crate) fn equalise(frames: &mut [DailyFrame], columns: usize) {
    let per_column: Vec<f64> = (0..columns)
        .map(|c| {
            let all: Vec<f64> = frames
                .iter()
                .flat_map(|f| f.columns[c].iter().copied())
                .collect();
            nan_mean(&all)
        })
        .collect();
    let avg = nan_mean(&per_column);
    for f in frames.iter_mut() {
        for col in &mut f.columns {
            let adjustment = avg - nan_mean(col);
            col.iter_mut().for_each(|x| *x += adjustment);
        }
    }
}

/// The annual SR cost per column for asset `me` (`get_dict_of_unadjusted_cost_SR_for_asset_name`).
pub(crate) fn cost_sr(
    assets: &[(String, ReturnsWithCosts)],
    turnovers: &[Vec<f64>],
    me: usize,
    cfg: &PreProcessing,
    singular: bool,
) -> Result<Vec<f64>, EstimateError> {
    let columns = assets[me].1.names.len();
    let own = |a: usize, c: usize| assets[a].1.annual_sr(c, true);
    if cfg.use_pooled_costs && !singular {
        return Ok((0..columns)
            .map(|c| {
                let v: Vec<f64> = (0..assets.len()).map(|a| own(a, c)).collect();
                // np.mean: NaN propagates
                v.iter().sum::<f64>() / v.len() as f64
            })
            .collect());
    }
    if cfg.use_pooled_turnover && !singular {
        if turnovers.len() != columns || turnovers.iter().any(|t| t.len() != assets.len()) {
            return Err(EstimateError::LengthMismatch {
                what: "turnovers (one per column and pooled asset)",
                expected: columns * assets.len(),
                got: turnovers.iter().map(Vec::len).sum(),
            });
        }
        return Ok((0..columns)
            .map(|c| {
                let t = turnovers[c][me];
                let per_turnover = if t > 0.0 { own(me, c) / t } else { f64::NAN };
                per_turnover * nan_mean(&turnovers[c])
            })
            .collect());
    }
    Ok((0..columns).map(|c| own(me, c)).collect())
}

/// Each frame `resample("W").sum()` (an empty week sums to 0), put on the union of the weeks
/// (NaN where a frame has no such week), stacked with `i` µs added to frame `i`'s labels
/// (`single_resampled_set_of_returns`, `stacked_df_with_added_time_from_list`).
fn stack_weekly_sums(frames: &[DailyFrame], names: &[String]) -> Result<DataFrame, EstimateError> {
    let frames: Vec<&DailyFrame> = frames.iter().collect();
    Ok(stack_weekly(&frames, names, false)?.0)
}

/// [`stack_weekly_sums`], and with `counts` also, per stacked row and column, the number of
/// days the week's sum has a value from (0 for an empty week, NaN where the frame has no such
/// week).
pub(crate) fn stack_weekly(
    frames: &[&DailyFrame],
    names: &[String],
    counts: bool,
) -> Result<(DataFrame, Vec<Vec<f64>>), EstimateError> {
    type Weekly = (Vec<NaiveDate>, Vec<Vec<f64>>, Vec<Vec<f64>>);
    let weekly: Vec<Weekly> = frames
        .iter()
        .map(|f| {
            let (Some(first), Some(last)) = (f.dates.first(), f.dates.last()) else {
                let none = vec![Vec::new(); f.columns.len()];
                return (Vec::new(), none.clone(), none);
            };
            let first = week_ending(*first);
            let n = ((week_ending(*last) - first).num_days() / 7) as usize + 1;
            let labels: Vec<NaiveDate> = (0..n)
                .map(|k| first + chrono::Duration::days(7 * k as i64))
                .collect();
            let week: Vec<usize> = f
                .dates
                .iter()
                .map(|d| ((week_ending(*d) - first).num_days() / 7) as usize)
                .collect();
            let (mut sums, mut days) = (Vec::new(), Vec::new());
            for c in &f.columns {
                let mut out = vec![0.0; n];
                let mut count = vec![0.0; if counts { n } else { 0 }];
                for (&k, v) in week.iter().zip(c) {
                    if !v.is_nan() {
                        out[k] += v;
                        if counts {
                            count[k] += 1.0;
                        }
                    }
                }
                sums.push(out);
                days.push(count);
            }
            (labels, sums, days)
        })
        .collect();
    let common: Vec<NaiveDate> = weekly
        .iter()
        .flat_map(|(l, _, _)| l.iter().copied())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rows = common.len() * frames.len();
    let mut index = Vec::with_capacity(rows);
    let mut columns = vec![Vec::with_capacity(rows); names.len()];
    let mut day_counts = vec![Vec::with_capacity(if counts { rows } else { 0 }); names.len()];
    for day in &common {
        let midnight = Timestamp::from_date(*day).micros();
        for (i, (labels, sums, days)) in weekly.iter().enumerate() {
            let at = labels.binary_search(day).ok();
            // a frame without any row for this week contributes a NaN row (reindex)
            index.push(Timestamp::from_micros(midnight + i as i64));
            for (c, col) in columns.iter_mut().enumerate() {
                col.push(at.map_or(f64::NAN, |k| sums[c][k]));
                if counts {
                    day_counts[c].push(at.map_or(f64::NAN, |k| days[c][k]));
                }
            }
        }
    }
    Ok((DataFrame::new(index, names.to_vec(), columns)?, day_counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        // January 2024: the 1st is a Monday
        NaiveDate::from_ymd_opt(2024, 1, d).unwrap()
    }

    fn series(days: &[u32], values: &[f64]) -> DailySeries {
        DailySeries::new(days.iter().map(|&d| day(d)).collect(), values.to_vec())
    }

    #[test]
    fn curves_become_business_days_with_zeros_as_nan() {
        let a = series(&[1, 2, 3], &[1.0, 0.0, 2.0]);
        let b = series(&[3, 8], &[5.0, 1.0]);
        let f = DailyFrame::from_curves(&[&a, &b]);
        assert_eq!(f.dates.len(), 6); // 1..5, 8
        assert_eq!(f.columns[0][0], 1.0);
        assert!(f.columns[0][1].is_nan() && f.columns[0][3].is_nan());
        assert!(f.columns[1][0].is_nan());
        assert_eq!(f.columns[1][5], 1.0);
    }

    fn returns(gross: &[f64], costs: &[f64]) -> ReturnsWithCosts {
        let days: Vec<u32> = (1..=gross.len() as u32).collect();
        // skip weekends: use Mon-Fri of the first two weeks
        let days: Vec<u32> = days
            .iter()
            .map(|&d| if d > 5 { d + 2 } else { d })
            .collect();
        let g = series(&days, gross);
        let c = series(&days, costs);
        ReturnsWithCosts::new(vec!["r".into()], &[&g], &[&c])
    }

    #[test]
    fn net_weekly_returns_by_hand() {
        // gross 1, 2, 3, 4, 5 | 6; costs −0.1 each day
        let a = returns(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[-0.1; 6]);
        let b = returns(&[2.0, -1.0, 1.0, 3.0, 1.0, 2.0], &[-0.2; 6]);
        let assets = vec![("A".to_string(), a.clone()), ("B".to_string(), b.clone())];
        let std_a = nan_std(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let std_b = nan_std(&[2.0, -1.0, 1.0, 3.0, 1.0, 2.0]);
        let sr_a = 16.0 * -0.1 / std_a;
        assert!((a.annual_sr(0, true) - sr_a).abs() < 1e-15);
        // pooled gross, A's own cost per turnover × average turnover (turnovers 2 and 6 → ×2)
        let cfg = PreProcessing {
            cost_multiplier: 2.0,
            ..PreProcessing::default()
        };
        let p = pre_process(&assets, &[vec![2.0, 6.0]], "A", &cfg).unwrap();
        let sr = sr_a / 2.0 * 4.0 * 2.0;
        assert!((p.unadjusted_cost_sr[0] - sr_a * 2.0).abs() < 1e-15);
        let (da, db) = (sr / 16.0 * std_a, sr / 16.0 * std_b);
        let d = &p.net.data;
        assert_eq!(p.net.pooled_length, 2);
        assert_eq!(d.index.len(), 4);
        let sun7 = Timestamp::from_date(day(7)).micros();
        assert_eq!(d.index[1].micros(), sun7 + 1);
        let week1_a = 15.0 + 5.0 * da;
        let week1_b = 6.0 + 5.0 * db;
        assert!((d.columns[0][0] - week1_a).abs() < 1e-12);
        assert!((d.columns[0][1] - week1_b).abs() < 1e-12);
        assert!((d.columns[0][2] - (6.0 + da)).abs() < 1e-12);
        // unpooled: only A's rows
        let cfg = PreProcessing {
            pool_gross_returns: false,
            use_pooled_turnover: false,
            ..PreProcessing::default()
        };
        let p = pre_process(&assets, &[], "A", &cfg).unwrap();
        assert_eq!(p.net.pooled_length, 1);
        assert!((p.net.data.columns[0][0] - (15.0 + 5.0 * sr_a / 16.0 * std_a)).abs() < 1e-12);
        // equalise_gross: the column means become their average (3.5 and 1.333…)
        let cfg = PreProcessing {
            equalise_gross: true,
            use_pooled_costs: true,
            ..PreProcessing::default()
        };
        let p = pre_process(&assets, &[], "B", &cfg).unwrap();
        let avg = (3.5 * 6.0 + 8.0) / 12.0;
        let pooled_sr = (sr_a + b.annual_sr(0, true)) / 2.0;
        let expected_b1 = (2.0 + avg - 8.0 / 6.0) + pooled_sr / 16.0 * std_b;
        let rows: f64 = (0..5)
            .map(|k| [2.0, -1.0, 1.0, 3.0, 1.0][k] + avg - 8.0 / 6.0 + pooled_sr / 16.0 * std_b)
            .sum();
        assert!(
            (p.net.data.columns[0][1] - rows).abs() < 1e-12,
            "{expected_b1}"
        );
        assert!(pre_process(&assets, &[], "C", &cfg).is_err());
        let weekly_only = PreProcessing {
            frequency: "M".into(),
            ..PreProcessing::default()
        };
        assert!(pre_process(&assets, &[], "A", &weekly_only).is_err());
    }
}
