//! Account curves: gross, costs and net P&L of an instrument or a portfolio, summed to business
//! days (spec §3.8, pysystemtrade `pandl_generic_costs.py`, `pandl_calculation_dict.py`,
//! `account_curve.py`).

use crate::costs::{
    Fill, InstrumentCosts, cash_costs_instrument_currency, cost_deflator, fills_from_positions,
    holding_pseudo_fills,
};
use crate::pandl::{GrossPandl, PandlInputs, gross_pandl, to_base_currency, to_percent};
use systrade_series::index::{union, union_all};
use systrade_series::reindex;
use systrade_series::{DailySeries, business_day_floor, business_days};

/// `a.add(b, fill_value=0)`: on the union of both indexes, a missing or NaN side counts as 0; NaN
/// only where both are missing.
pub fn add_fill_zero(a: &DailySeries, b: &DailySeries) -> DailySeries {
    let dates = union(&a.dates, &b.dates);
    let x = reindex(&a.dates, &a.values, &dates);
    let y = reindex(&b.dates, &b.values, &dates);
    let values = x
        .iter()
        .zip(&y)
        .map(|(&x, &y)| match (x.is_nan(), y.is_nan()) {
            (true, true) => f64::NAN,
            (true, false) => 0.0 + y,
            (false, true) => x + 0.0,
            (false, false) => x + y,
        })
        .collect();
    DailySeries::new(dates, values)
}

/// `resample("B").sum()`: one row per business day from the first date's bin to the last's
/// (weekend dates fall into the preceding Friday); NaN-skipping sum; empty bins are 0.
pub fn resample_business_day_sum(s: &DailySeries) -> DailySeries {
    let (Some(&first), Some(&last)) = (s.dates.first(), s.dates.last()) else {
        return s.clone();
    };
    let dates = business_days(business_day_floor(first), business_day_floor(last));
    let mut values = vec![0.0; dates.len()];
    let mut k = 0;
    for (d, v) in s.dates.iter().zip(&s.values) {
        let bin = business_day_floor(*d);
        while dates[k] < bin {
            k += 1;
        }
        if !v.is_nan() {
            values[k] += v;
        }
    }
    DailySeries::new(dates, values)
}

/// NaN-skipping row sum of several series on the union of their indexes (`pd.concat(curves,
/// axis=1).sum(axis=1)`: all-NaN rows give 0).
pub fn sum_curves(curves: &[&DailySeries]) -> DailySeries {
    let dates = union_all(curves.iter().map(|c| c.dates.as_slice()));
    let mut values = vec![0.0; dates.len()];
    for c in curves {
        for (v, x) in values.iter_mut().zip(reindex(&c.dates, &c.values, &dates)) {
            if !x.is_nan() {
                *v += x;
            }
        }
    }
    DailySeries::new(dates, values)
}

/// Gross, costs and net curves in one unit, summed to business days.
#[derive(Debug, Clone, PartialEq)]
pub struct Curves {
    pub gross: DailySeries,
    pub costs: DailySeries,
    pub net: DailySeries,
}

impl Curves {
    /// From raw (unsampled) gross and costs P&L: `net = gross.add(costs, fill_value=0)`, each then
    /// summed to business days.
    pub fn from_raw(gross: &DailySeries, costs: &DailySeries) -> Self {
        Self {
            gross: resample_business_day_sum(gross),
            costs: resample_business_day_sum(costs),
            net: resample_business_day_sum(&add_fill_zero(gross, costs)),
        }
    }
}

/// How costs are charged when valuing an instrument with cash costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CashCostParams {
    pub costs: InstrumentCosts,
    /// Rolls per year (length of the hold cycle); 0 = no holding costs.
    pub rolls_per_year: usize,
    /// `multiply_roll_costs_by` (default 0.5).
    pub multiply_roll_costs_by: f64,
    /// `vol_normalise_currency_costs` (default true).
    pub vol_normalise_currency_costs: bool,
}

/// One instrument's P&L with cash costs: every intermediate pysystemtrade exposes.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentAccount {
    pub gross: GrossPandl,
    /// Fills from position changes.
    pub trade_fills: Vec<Fill>,
    /// Holding-cost pseudo-fills.
    pub holding_fills: Vec<Fill>,
    /// `cost_deflator` on the price index (present when vol-normalising).
    pub cost_deflator: Option<DailySeries>,
    /// Costs (negative) in instrument currency, one row per fill date.
    pub costs_instrument_currency: DailySeries,
    /// Costs in base currency.
    pub costs_base: DailySeries,
    /// Costs in percent of capital.
    pub costs_percent: DailySeries,
    /// Business-day curves in base currency.
    pub base: Curves,
    /// Business-day curves in percent of capital.
    pub percent: Curves,
}

/// Values one instrument with cash costs (pysystemtrade's default `use_SR_costs: False`).
pub fn instrument_account_cash_costs(
    inputs: PandlInputs<'_>,
    params: CashCostParams,
) -> InstrumentAccount {
    let gross = gross_pandl(inputs);
    let trade_fills = fills_from_positions(&gross.positions_used, inputs.price);
    let holding_fills = holding_pseudo_fills(
        &gross.positions_used,
        inputs.price,
        params.rolls_per_year,
        params.multiply_roll_costs_by,
    );
    // pysystemtrade prices the cash costs with the daily price reindexed (ffill) to the
    // positions' index (accountInputs.get_instrument_prices_for_position_or_forecast): for an
    // instrument whose prices end before the system's last date, the deflator's last volatility
    // then includes the flat days up to that date.
    let deflator = params.vol_normalise_currency_costs.then(|| {
        if inputs.positions.dates == inputs.price.dates {
            cost_deflator(inputs.price)
        } else {
            cost_deflator(&inputs.price.reindex_ffill(&inputs.positions.dates))
        }
    });
    let all: Vec<Fill> = trade_fills.iter().chain(&holding_fills).copied().collect();
    let costs_ccy = cash_costs_instrument_currency(
        &all,
        &params.costs,
        inputs.value_per_point,
        deflator.as_ref(),
    );
    let costs_base = to_base_currency(&costs_ccy, inputs.fx);
    let costs_percent = to_percent(&costs_base, inputs.capital, &inputs.price.dates);
    let base = Curves::from_raw(&gross.base_currency, &costs_base);
    let percent = Curves::from_raw(&gross.percent, &costs_percent);
    InstrumentAccount {
        gross,
        trade_fills,
        holding_fills,
        cost_deflator: deflator,
        costs_instrument_currency: costs_ccy,
        costs_base,
        costs_percent,
        base,
        percent,
    }
}

/// Inputs of SR-cost accounting (`use_SR_costs: True`).
#[derive(Debug, Clone, Copy)]
pub struct SrCostParams<'a> {
    /// Daily price vol in points (`daily_returns_volatility`).
    pub daily_returns_volatility: &'a DailySeries,
    /// Average position at portfolio level (vol scalar × weight × IDM).
    pub average_position: &'a DailySeries,
    /// Annual SR cost, e.g. from [`crate::costs::annual_sr_cost`].
    pub annual_sr_cost: f64,
}

/// Values one instrument with SR costs: costs are a daily drag in proportion to the average position's
/// risk (no fills).
pub fn instrument_account_sr_costs(
    inputs: PandlInputs<'_>,
    params: SrCostParams<'_>,
) -> InstrumentAccount {
    let gross = gross_pandl(inputs);
    let points = crate::costs::sr_costs_in_points(
        &gross.positions_used,
        inputs.price,
        params.daily_returns_volatility,
        params.average_position,
        params.annual_sr_cost,
    );
    let costs_ccy = points.map(|x| x * inputs.value_per_point);
    let costs_base = to_base_currency(&costs_ccy, inputs.fx);
    let costs_percent = to_percent(&costs_base, inputs.capital, &inputs.price.dates);
    let base = Curves::from_raw(&gross.base_currency, &costs_base);
    let percent = Curves::from_raw(&gross.percent, &costs_percent);
    InstrumentAccount {
        gross,
        trade_fills: Vec::new(),
        holding_fills: Vec::new(),
        cost_deflator: None,
        costs_instrument_currency: costs_ccy,
        costs_base,
        costs_percent,
        base,
        percent,
    }
}

/// Portfolio curves (`accounts.portfolio()`): raw base-currency gross and costs of all instruments
/// summed (NaN-skipping, on the union index), percentages against the fixed notional `capital`,
/// then net and business-day sums as for an instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioAccount {
    pub base: Curves,
    pub percent: Curves,
}

/// `100 × series / capital.reindex(series.index, method="ffill")` for a varying capital (actual
/// capital under compounding).
pub fn percent_of_capital(series: &DailySeries, capital: &DailySeries) -> DailySeries {
    let c = systrade_series::reindex_ffill(&capital.dates, &capital.values, &series.dates);
    series.with_values(
        series
            .values
            .iter()
            .zip(c)
            .map(|(x, c)| 100.0 * x / c)
            .collect(),
    )
}

/// Portfolio curves against a varying capital series (`portfolio_with_multiplier`): base curves
/// as in [`portfolio_account`], percentages of the capital in force each day.
pub fn portfolio_account_with_capital(
    instruments: &[&InstrumentAccount],
    capital: &DailySeries,
) -> PortfolioAccount {
    let gross = sum_curves(
        &instruments
            .iter()
            .map(|a| &a.gross.base_currency)
            .collect::<Vec<_>>(),
    );
    let costs = sum_curves(
        &instruments
            .iter()
            .map(|a| &a.costs_base)
            .collect::<Vec<_>>(),
    );
    let gross_pct = percent_of_capital(&gross, capital);
    let costs_pct = percent_of_capital(&costs, capital);
    PortfolioAccount {
        base: Curves::from_raw(&gross, &costs),
        percent: Curves::from_raw(&gross_pct, &costs_pct),
    }
}

/// Builds the portfolio from each instrument's raw base-currency gross P&L and costs, in the
/// instrument order to sum in.
pub fn portfolio_account(instruments: &[&InstrumentAccount], capital: f64) -> PortfolioAccount {
    portfolio_account_of(
        &instruments
            .iter()
            .map(|a| &a.gross.base_currency)
            .collect::<Vec<_>>(),
        &instruments
            .iter()
            .map(|a| &a.costs_base)
            .collect::<Vec<_>>(),
        capital,
    )
}

/// [`portfolio_account`] from each instrument's raw base-currency gross P&L
/// ([`GrossPandl::base_currency`]) and costs ([`InstrumentAccount::costs_base`]) alone, in the
/// instrument order to sum in: `gross = Σ gross_i`, `costs = Σ costs_i` (union of dates, NaN as
/// 0), percentages `100 × x / capital`, then business-day curves.
pub fn portfolio_account_of(
    gross_base: &[&DailySeries],
    costs_base: &[&DailySeries],
    capital: f64,
) -> PortfolioAccount {
    let gross = sum_curves(gross_base);
    let costs = sum_curves(costs_base);
    let gross_pct = to_percent(&gross, capital, &gross.dates);
    let costs_pct = to_percent(&costs, capital, &gross.dates);
    PortfolioAccount {
        base: Curves::from_raw(&gross, &costs),
        percent: Curves::from_raw(&gross_pct, &costs_pct),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, day).unwrap()
    }

    /// Prices ending a day before the positions (an instrument whose data stops before the
    /// system's last date): the cost deflator is that of the price ffilled to the positions'
    /// dates, as pysystemtrade reindexes the price to the positions before costing.
    #[test]
    fn cost_deflator_runs_on_the_positions_index() {
        use systrade_model::{FxRates, Timestamp};
        let dates = vec![d(1), d(2), d(3), d(4), d(5), d(8), d(9)];
        let price = DailySeries::new(
            dates[..6].to_vec(),
            vec![100.0, 101.0, 99.5, 100.5, 102.0, 101.0],
        );
        let positions = DailySeries::new(dates.clone(), vec![1.0, 2.0, 2.0, 3.0, 1.0, 1.0, 1.0]);
        let fx = FxRates::new(vec![Timestamp::from_date(d(1))], vec![1.0]);
        let a = instrument_account_cash_costs(
            PandlInputs {
                price: &price,
                positions: &positions,
                fx: &fx,
                value_per_point: 10.0,
                capital: 1000.0,
                delay_fill: true,
                round_positions: true,
            },
            CashCostParams {
                costs: InstrumentCosts {
                    price_slippage: 0.1,
                    ..InstrumentCosts::default()
                },
                rolls_per_year: 0,
                multiply_roll_costs_by: 0.5,
                vol_normalise_currency_costs: true,
            },
        );
        let extended = price.reindex_ffill(&dates);
        assert_eq!(extended.values[6], 101.0);
        let want = cost_deflator(&extended);
        let got = a.cost_deflator.unwrap();
        assert_eq!(got.dates, dates);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got.values), bits(&want.values));
        // ... which differs from the price's own deflator by a constant ratio
        let own = cost_deflator(&price);
        let ratio = own.values[5] / got.values[5];
        assert!((ratio - 1.0).abs() > 1e-6, "{ratio}");
        assert!((own.values[4] / got.values[4] - ratio).abs() < 1e-12);
    }

    #[test]
    fn sr_costs_are_a_daily_drag_while_positions_exist() {
        use crate::costs::SECONDS_IN_YEAR;
        use systrade_model::{FxRates, Timestamp};
        // Mon 1 .. Fri 5, Mon 8 January 2024
        let dates = vec![d(1), d(2), d(3), d(4), d(5), d(8)];
        let price = DailySeries::new(dates.clone(), vec![100.0; 6]);
        let positions =
            DailySeries::new(dates.clone(), vec![f64::NAN, f64::NAN, 2.0, 2.0, 2.0, 2.0]);
        let vol = DailySeries::new(dates.clone(), vec![1.0; 6]);
        let avg = DailySeries::new(vec![d(1)], vec![4.0]);
        let fx = FxRates::new(vec![Timestamp::from_date(d(1))], vec![1.0]);
        let a = instrument_account_sr_costs(
            PandlInputs {
                price: &price,
                positions: &positions,
                fx: &fx,
                value_per_point: 10.0,
                capital: 1000.0,
                delay_fill: true,
                round_positions: true,
            },
            SrCostParams {
                daily_returns_volatility: &vol,
                average_position: &avg,
                annual_sr_cost: 0.01,
            },
        );
        // annual cost in points: −0.01 × 4 × 1 × 16 = −0.64; positions used start on the 4th
        let day = -0.64 * 86_400.0 / SECONDS_IN_YEAR * 10.0;
        let c = &a.costs_instrument_currency.values;
        assert!(c[0].is_nan() && c[1].is_nan() && c[2].is_nan());
        assert!((c[3] - day).abs() < 1e-15 && (c[4] - day).abs() < 1e-15);
        assert!(
            (c[5] - 3.0 * day).abs() < 1e-15,
            "Monday carries the weekend"
        );
        assert!((crate::costs::annual_sr_cost(0.001, 2.0, 4) - 0.01).abs() < 1e-15);
    }

    #[test]
    fn business_day_sums_and_fill_zero() {
        // 2024-01-05 is a Friday, 6th Saturday, 8th Monday
        let s = DailySeries::new(vec![d(4), d(5), d(6), d(9)], vec![1.0, 2.0, 3.0, f64::NAN]);
        let r = resample_business_day_sum(&s);
        assert_eq!(r.dates, vec![d(4), d(5), d(8), d(9)]);
        assert_eq!(r.values, vec![1.0, 5.0, 0.0, 0.0]);
        let a = DailySeries::new(vec![d(4), d(5)], vec![1.0, f64::NAN]);
        let b = DailySeries::new(vec![d(5), d(6)], vec![f64::NAN, 2.0]);
        let n = add_fill_zero(&a, &b);
        assert_eq!(n.values[0], 1.0);
        assert!(n.values[1].is_nan());
        assert_eq!(n.values[2], 2.0);
        let total = sum_curves(&[&a, &b]);
        assert_eq!(total.values, vec![1.0, 0.0, 2.0]);
    }
}
