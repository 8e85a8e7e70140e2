//! Trading costs (spec §3.8): cash costs per fill, holding (roll) pseudo-fills, the cost deflator
//! (pysystemtrade `pandl_cash_costs.py`, `sysobjects/instruments.py`), and SR costs
//! (`pandl_SR_cost.py`, `account_costs.py`).

use chrono::{Datelike, NaiveDate};
use systrade_series::reindex_ffill;
use systrade_series::{DailySeries, diff, ffill, rolling_std};

/// Calendar days per year used to space roll dates.
pub const CALENDAR_DAYS_IN_YEAR: f64 = 365.25;

/// Default `multiply_roll_costs_by` (spec §8 item 11).
pub const DEFAULT_MULTIPLY_ROLL_COSTS_BY: f64 = 0.5;

/// Raw cost data of an instrument (`spreadcosts.csv` + `instrumentconfig.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct InstrumentCosts {
    /// `SpreadCost`: slippage in price points per contract traded.
    pub price_slippage: f64,
    /// `PerBlock`: commission per contract.
    pub value_of_block_commission: f64,
    /// `Percentage`: commission as a fraction of traded value.
    pub percentage_cost: f64,
    /// `PerTrade`: commission per trade.
    pub value_of_pertrade_commission: f64,
}

impl InstrumentCosts {
    /// Cost of trading `blocks` contracts at `price`, in instrument currency:
    /// `|n| × SpreadCost × Pointsize` (when `include_slippage`) `+ max(|n| × PerBlock, PerTrade,
    /// Percentage × |n| × price × Pointsize)`. The max follows Python's `max` over that list, so a
    /// NaN percentage term (NaN price) never wins.
    pub fn cost_instrument_currency(
        &self,
        blocks: f64,
        price: f64,
        value_per_point: f64,
        include_slippage: bool,
    ) -> f64 {
        let slippage = if include_slippage {
            blocks.abs() * self.price_slippage * value_per_point
        } else {
            0.0
        };
        slippage + self.commission_instrument_currency(blocks, price, value_per_point)
    }

    /// Commission of trading `blocks` contracts at `price`, in instrument currency:
    /// `max(|n| × PerBlock, PerTrade, Percentage × |n| × price × Pointsize)` (a NaN percentage
    /// term never wins).
    pub fn commission_instrument_currency(
        &self,
        blocks: f64,
        price: f64,
        value_per_point: f64,
    ) -> f64 {
        let value_per_block = price * value_per_point;
        let per_block = blocks.abs() * self.value_of_block_commission;
        let per_trade = self.value_of_pertrade_commission;
        let percentage = self.percentage_cost * (blocks.abs() * value_per_block);
        let mut commission = per_block;
        for c in [per_trade, percentage] {
            if c > commission {
                commission = c;
            }
        }
        commission
    }

    /// Cost of one contract as a fraction of annual risk:
    /// `SR_cost = cost(1 contract at price) / (annual price vol × Pointsize)`.
    pub fn sr_cost_per_trade(
        &self,
        price: f64,
        annual_price_vol: f64,
        value_per_point: f64,
    ) -> f64 {
        self.cost_instrument_currency(1.0, price, value_per_point, true)
            / (annual_price_vol * value_per_point)
    }
}

/// Mean of the non-NaN values dated on or after one calendar year before the last date
/// (pandas `s[last − DateOffset(years=1):].mean()`; 29 February steps back to 28 February).
/// pysystemtrade uses it for the price and daily vol behind `SR_cost_per_trade`.
pub fn recent_average(series: &DailySeries) -> f64 {
    let Some(&last) = series.dates.last() else {
        return f64::NAN;
    };
    let start = last
        .with_year(last.year() - 1)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(last.year() - 1, 2, 28).expect("valid date"));
    let from = series.dates.partition_point(|d| *d < start);
    let vals: Vec<f64> = series.values[from..]
        .iter()
        .copied()
        .filter(|v| !v.is_nan())
        .collect();
    vals.iter().sum::<f64>() / vals.len() as f64
}

/// `SR_cost_per_trade` of an instrument from its daily prices and daily price vol (points):
/// the cost of one contract at the recent average price over the recent average annual vol
/// (`16 × daily`) in currency.
pub fn sr_cost_per_trade(
    costs: &InstrumentCosts,
    daily_price: &DailySeries,
    daily_returns_volatility: &DailySeries,
    value_per_point: f64,
) -> f64 {
    let annual_vol = recent_average(daily_returns_volatility) * 16.0;
    costs.sr_cost_per_trade(recent_average(daily_price), annual_vol, value_per_point)
}

/// Seconds in a (365.25-day) year, for spreading annual SR costs over periods.
pub const SECONDS_IN_YEAR: f64 = 365.25 * 24.0 * 60.0 * 60.0;

/// Annual SR cost of an instrument (`get_SR_cost_given_turnover`):
/// `SR_cost_per_trade × turnover +` [`holding_sr_cost`]. Also the SR cost of one rule's forecast
/// (`get_SR_cost_for_instrument_forecast`, costs not pooled), with the forecast's turnover.
pub fn annual_sr_cost(sr_cost_per_trade: f64, turnover: f64, rolls_per_year: usize) -> f64 {
    holding_sr_cost(sr_cost_per_trade, rolls_per_year) + turnover * sr_cost_per_trade
}

/// Annual SR cost of holding an instrument (`get_SR_holding_cost_only`):
/// `SR_cost_per_trade × rolls_per_year × 2` (two separate trades per roll).
pub fn holding_sr_cost(sr_cost_per_trade: f64, rolls_per_year: usize) -> f64 {
    sr_cost_per_trade * (rolls_per_year as f64 * 2.0)
}

/// SR costs in price points (`ProfitAndLossWithSharpeRatioCosts.costs_pandl_in_points`):
/// the annual cost in points `−SR_cost × average_position × daily_returns_volatility × 16` (average
/// position `reindex(vol index, ffill)`), laid on the positions' dates with `reindex(ffill)` and
/// back-filled, kept only where the forward-filled position exists, `reindex(price index, ffill)`,
/// then spread over each period in proportion to its length in seconds over a 365.25-day year
/// (NaN on the first price date).
pub fn sr_costs_in_points(
    positions_used: &DailySeries,
    price: &DailySeries,
    daily_returns_volatility: &DailySeries,
    average_position: &DailySeries,
    sr_cost: f64,
) -> DailySeries {
    let avg = reindex_ffill(
        &average_position.dates,
        &average_position.values,
        &daily_returns_volatility.dates,
    );
    let annual: Vec<f64> = avg
        .iter()
        .zip(&daily_returns_volatility.values)
        .map(|(a, v)| -sr_cost * (a * (v * 16.0)))
        .collect();
    let pos = ffill(&positions_used.values);
    let on_pos = systrade_series::bfill(&reindex_ffill(
        &daily_returns_volatility.dates,
        &annual,
        &positions_used.dates,
    ));
    let (held_dates, held_values): (Vec<NaiveDate>, Vec<f64>) = positions_used
        .dates
        .iter()
        .zip(on_pos)
        .zip(&pos)
        .filter(|(_, p)| !p.is_nan())
        .map(|((d, c), _)| (*d, c))
        .unzip();
    let on_price = reindex_ffill(&held_dates, &held_values, &price.dates);
    let values = (0..price.dates.len())
        .map(|t| {
            if t == 0 {
                return f64::NAN;
            }
            let seconds = (price.dates[t] - price.dates[t - 1]).num_seconds() as f64;
            on_price[t] * (seconds / SECONDS_IN_YEAR)
        })
        .collect();
    price.with_values(values)
}

/// A fill: `qty` contracts traded on `date` at `price`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fill {
    pub date: NaiveDate,
    pub qty: f64,
    pub price: f64,
    /// Whether slippage is charged (true for trades and opening roll pseudo-fills).
    pub slippage: bool,
}

/// Fills implied by position changes: `trade = positions.diff()` without NaN or zero trades, at
/// `price.reindex(trade dates, method="ffill")`. Positions as held (already delayed and rounded).
pub fn fills_from_positions(positions_used: &DailySeries, price: &DailySeries) -> Vec<Fill> {
    let trades = diff(&positions_used.values, 1);
    let (dates, qty): (Vec<NaiveDate>, Vec<f64>) = positions_used
        .dates
        .iter()
        .zip(trades)
        .filter(|(_, q)| !q.is_nan() && *q != 0.0)
        .map(|(d, q)| (*d, q))
        .unzip();
    let prices = reindex_ffill(&price.dates, &price.values, &dates);
    dates
        .into_iter()
        .zip(qty)
        .zip(prices)
        .map(|((date, qty), price)| Fill {
            date,
            qty,
            price,
            slippage: true,
        })
        .collect()
}

/// `generate_equal_dates_within_year(year, n)`: spacing `int(365.25 / n)` days, the first date half a
/// spacing (`int(spacing / 2)` days) after 1 January. One roll → 2 July; three in 2022 → 2 Mar,
/// 1 Jul, 30 Oct.
pub fn equal_dates_within_year(year: i32, n: usize) -> Vec<NaiveDate> {
    let spacing = (CALENDAR_DAYS_IN_YEAR / n as f64) as i64;
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year")
        + chrono::Duration::days(spacing / 2);
    (0..n as i64)
        .map(|k| first + chrono::Duration::days(spacing * k))
        .collect()
}

/// Holding-cost pseudo-fills: for each calendar year of the position index, `rolls_per_year` equally
/// spaced dates; at each, the mean `|position|` over `[previous date, date]` (both inclusive; the
/// first period starts at the previous year's last date; 0 if no positions), times
/// `multiply_roll_costs_by`, is an opening fill with slippage at the last (forward-filled) price
/// strictly before the date, plus an equal closing fill without slippage. Dates after the last
/// position date and zero quantities are skipped. Order: per year, openings then closings.
pub fn holding_pseudo_fills(
    positions_used: &DailySeries,
    price: &DailySeries,
    rolls_per_year: usize,
    multiply_roll_costs_by: f64,
) -> Vec<Fill> {
    let (Some(&first), Some(&last)) = (positions_used.dates.first(), positions_used.dates.last())
    else {
        return Vec::new();
    };
    if rolls_per_year == 0 {
        return Vec::new();
    }
    let price_ffill = ffill(&price.values);
    let price_before = |date: NaiveDate| {
        let n = price.dates.partition_point(|d| *d < date);
        if n == 0 { f64::NAN } else { price_ffill[n - 1] }
    };
    let avg_abs = |from: NaiveDate, to: NaiveDate| {
        let s = positions_used.dates.partition_point(|d| *d < from);
        let e = positions_used.dates.partition_point(|d| *d <= to);
        let (mut sum, mut n) = (0.0, 0usize);
        for v in &positions_used.values[s..e.max(s)] {
            if !v.is_nan() {
                sum += v.abs();
                n += 1;
            }
        }
        if n == 0 { 0.0 } else { sum / n as f64 }
    };
    let mut fills = Vec::new();
    for year in first.year()..=last.year() {
        let dates = equal_dates_within_year(year, rolls_per_year);
        let mut previous = *equal_dates_within_year(year - 1, rolls_per_year)
            .last()
            .expect("n >= 1");
        let mut opening = Vec::new();
        for &date in &dates {
            let qty = avg_abs(previous, date);
            previous = date;
            if date <= last && qty.abs() > 0.0 {
                opening.push(Fill {
                    date,
                    qty: qty * multiply_roll_costs_by,
                    price: price_before(date),
                    slippage: true,
                });
            }
        }
        let closing: Vec<Fill> = opening
            .iter()
            .map(|f| Fill {
                qty: -f.qty,
                slippage: false,
                ..*f
            })
            .collect();
        fills.extend(opening);
        fills.extend(closing);
    }
    fills
}

/// Window and minimum observations of the cost deflator's rolling standard deviation.
pub const COST_DEFLATOR_WINDOW: usize = 180;
pub const COST_DEFLATOR_MIN_PERIODS: usize = 3;

/// Cost deflator (`calculate_cost_deflator`): with `r = price.ffill().diff()` on business days,
/// `vol = r.rolling(180, min_periods=3).std().ffill()` and `deflator = vol / vol[last]`. The
/// optimiser's deflator is this one over raw prices moved to business days.
pub fn cost_deflator(price: &DailySeries) -> DailySeries {
    let returns = diff(&ffill(&price.values), 1);
    let vol = ffill(&rolling_std(
        &returns,
        COST_DEFLATOR_WINDOW,
        COST_DEFLATOR_MIN_PERIODS,
    ));
    let last = vol.last().copied().unwrap_or(f64::NAN);
    price.with_values(vol.iter().map(|v| v / last).collect())
}

/// Cash costs in instrument currency (negative numbers), one row per fill date (costs of fills on
/// the same date summed in fill order), each multiplied by `deflator.reindex(date, method="ffill")`
/// when a deflator is given (`vol_normalise_currency_costs`).
pub fn cash_costs_instrument_currency(
    fills: &[Fill],
    costs: &InstrumentCosts,
    value_per_point: f64,
    deflator: Option<&DailySeries>,
) -> DailySeries {
    let mut order: Vec<usize> = (0..fills.len()).collect();
    order.sort_by_key(|&i| fills[i].date);
    let mut dates: Vec<NaiveDate> = Vec::new();
    let mut values: Vec<f64> = Vec::new();
    for i in order {
        let f = &fills[i];
        let c = -costs.cost_instrument_currency(f.qty, f.price, value_per_point, f.slippage);
        if dates.last() == Some(&f.date) {
            *values.last_mut().expect("same length") += c;
        } else {
            dates.push(f.date);
            values.push(c);
        }
    }
    if let Some(defl) = deflator {
        let d = reindex_ffill(&defl.dates, &defl.values, &dates);
        values.iter_mut().zip(d).for_each(|(v, d)| *v *= d);
    }
    DailySeries::new(dates, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Spec §8 item 10: SP500_micro, SpreadCost 0.19, PerBlock 0.57, Pointsize 5.
    #[test]
    fn cost_example() {
        let c = InstrumentCosts {
            price_slippage: 0.19,
            value_of_block_commission: 0.57,
            ..Default::default()
        };
        let one = c.cost_instrument_currency(1.0, 4500.0, 5.0, true);
        assert!((one - 1.52).abs() < 1e-12);
        let sr = c.sr_cost_per_trade(4500.0, 720.0, 5.0);
        assert!((sr - 0.000_422).abs() < 5e-7, "{sr}");
        assert!((4.0 * 2.0 * sr - 0.003_38).abs() < 5e-6);
        // commission only (closing roll fill), and the max over the three commissions
        assert!((c.cost_instrument_currency(-2.0, 4500.0, 5.0, false) - 1.14).abs() < 1e-12);
        let pct = InstrumentCosts {
            percentage_cost: 0.001,
            value_of_pertrade_commission: 3.0,
            ..Default::default()
        };
        assert!((pct.cost_instrument_currency(1.0, 4500.0, 5.0, true) - 22.5).abs() < 1e-12);
        assert_eq!(pct.cost_instrument_currency(0.1, f64::NAN, 5.0, true), 3.0);
    }

    /// Spec §8 item 11.
    #[test]
    fn roll_dates() {
        assert_eq!(equal_dates_within_year(2022, 1), vec![d(2022, 7, 2)]);
        assert_eq!(
            equal_dates_within_year(2022, 3),
            vec![d(2022, 3, 2), d(2022, 7, 1), d(2022, 10, 30)]
        );
        assert_eq!(equal_dates_within_year(1984, 4)[1], d(1984, 5, 16));
    }

    #[test]
    fn fills_and_pseudo_fills() {
        let dates = vec![d(2022, 6, 30), d(2022, 7, 1), d(2022, 7, 4), d(2022, 7, 5)];
        let pos = DailySeries::new(dates.clone(), vec![f64::NAN, 2.0, -2.0, -2.0]);
        let price = DailySeries::new(dates, vec![10.0, 11.0, f64::NAN, 13.0]);
        let fills = fills_from_positions(&pos, &price);
        assert_eq!(fills.len(), 1);
        assert_eq!((fills[0].date, fills[0].qty), (d(2022, 7, 4), -4.0));
        assert!(fills[0].price.is_nan(), "exact label keeps the NaN price");
        let hold = holding_pseudo_fills(&pos, &price, 1, 0.5);
        // 2 July 2022: mean |pos| over [2 Jul 2021, 2 Jul 2022] = 2 → qty 1 at the price before (11)
        assert_eq!(hold.len(), 2);
        assert_eq!(
            (hold[0].date, hold[0].qty, hold[0].price, hold[0].slippage),
            (d(2022, 7, 2), 1.0, 11.0, true)
        );
        assert_eq!((hold[1].qty, hold[1].slippage), (-1.0, false));
    }
}
