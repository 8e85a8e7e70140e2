//! The optimised system of a backtest: pysystemtrade's `optimisedPositions` stage fed from the
//! classic system's stages (`systems/provided/dynamic_small_system_optimise/optimised_positions_stage.py`,
//! `systems/portfolio.py`) and its P&L (`accounts_stage.py`, `accountForOptimisedStage`).
//!
//! Inputs of each instrument, from [`systrade_accounts::system`]'s positions and inputs:
//! - optimal contracts: `get_notional_position_before_risk_scaling` = subsystem position ×
//!   instrument weight × IDM, **before** the risk overlay;
//! - per-contract value (`get_per_contract_value_as_proportion_of_capital_df`): underlying
//!   (denominator) price × FX as of the price date × value of a block price move / capital;
//! - annualised standard deviation: `16 × daily % vol / 100`;
//! - cost deflator and final price from the raw (timestamped) adjusted price ([`PriceInputs`],
//!   [`crate::costs`]); cost per contract at the final price and the last FX rate, so the constant
//!   cost per unit of weight is `cost_multiplier × fx × cost(1 contract at the final price) /
//!   last per-contract value / capital`;
//! - correlations (`get_list_of_instrument_returns_correlations` with pysystemtrade's default
//!   `instrument_returns_correlation`): the risk overlay's weekly walk
//!   ([`systrade_portfolio::risk_overlay::CorrelationWalk`]) over the instruments' daily
//!   percentage returns, one matrix per weekly period, streamed ([`crate::CorrelationSource`]).
//!
//! Key order: universe order (the instruments as given). P&L (`pandl_for_optimised_instrument`):
//! the optimised positions on `common_index`, the daily price `reindex(common_index, ffill)`, the
//! accounts' P&L with delayed fills and cash (or SR) costs; turnover against the average position
//! at subsystem level (the volatility scalar, `optimised_turnover_at_portfolio_level`); the
//! portfolio is the sum of the instruments at fixed capital.
//!
//! Constraints: the caller's, one per instrument. pysystemtrade's backtest makes the instruments
//! it keeps for data but does not trade reduce-only (`optimisedPositions.get_constraints`:
//! `get_list_of_markets_not_trading_but_with_data`, i.e. `trading_restrictions` and
//! `bad_markets`; the backtest starts flat, so they are never traded).

use crate::over_time::{
    AlignedInputs, CorrelationSource, DateDiagnostics, InstrumentHistory, OptimisedHistory,
    date_diagnostics,
};
use crate::{
    Constraints, CorrelationHistory, CorrelationMatrix, InputError, OptimiserOverTime, SmallSystem,
    common_index,
};
use chrono::NaiveDate;
use rayon::prelude::*;
use systrade_accounts::DailySeries;
use systrade_accounts::costs::{annual_sr_cost, sr_cost_per_trade};
use systrade_accounts::curves::{
    InstrumentAccount, PortfolioAccount, SrCostParams, instrument_account_cash_costs,
    instrument_account_sr_costs, portfolio_account,
};
use systrade_accounts::pandl::PandlInputs;
use systrade_accounts::stats::turnover;
use systrade_accounts::system::{
    AccountsConfig, CostMethod, InstrumentInputs, InstrumentPositions, PositionsResult, cash_params,
};
use systrade_portfolio::fx::fx_on_dates;
use systrade_portfolio::portfolio::notional_position;
use systrade_portfolio::risk_overlay::{
    CorrelationWalk, annualised_percentage_vol, daily_percentage_returns,
    per_contract_value_as_proportion_of_capital,
};
use systrade_series::index::union_all;
use systrade_series::{WeeklyBins, reindex_ffill};

/// What the optimiser needs of an instrument's raw (timestamped) adjusted price.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceInputs {
    /// [`crate::costs::cost_deflator`] of the raw price.
    pub cost_deflator: DailySeries,
    /// The last non-NaN raw price (`get_final_price`).
    pub final_price: f64,
}

impl PriceInputs {
    /// From the raw price's timestamps and values.
    pub fn from_raw_price(timestamps: &[systrade_model::Timestamp], values: &[f64]) -> Self {
        Self {
            cost_deflator: crate::costs::cost_deflator(timestamps, values),
            final_price: crate::costs::last_value(values),
        }
    }
}

/// `small_system` settings of the backtest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptimisedConfig {
    pub small_system: SmallSystem,
    /// `small_system.cost_multiplier` (default 1.0).
    pub cost_multiplier: f64,
}

impl Default for OptimisedConfig {
    fn default() -> Self {
        Self {
            small_system: SmallSystem::default(),
            cost_multiplier: 1.0,
        }
    }
}

/// One instrument of the optimised system.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimisedInstrument {
    pub code: String,
    /// The optimiser's input on its dates: optimal contracts before the risk overlay, ffilled.
    pub optimal_position: DailySeries,
    /// The optimised position (whole contracts) on the optimiser's dates.
    pub position: DailySeries,
    pub account: InstrumentAccount,
    /// Annualised turnover of the optimised position against the average position at
    /// subsystem level (`optimised_turnover_at_portfolio_level`).
    pub turnover: f64,
}

/// The optimised system: positions, per-date diagnostics, accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimisedSystem {
    pub history: OptimisedHistory,
    pub instruments: Vec<OptimisedInstrument>,
    pub portfolio: PortfolioAccount,
}

impl OptimisedSystem {
    /// Annualised tracking error of the optimised portfolio against the optimal one on each
    /// date (NaN where the covariance was undefined): `TE(prior, optimal)` of the next date is
    /// not it, so this is recorded from each date's decision on its own prior.
    pub fn tracking_error_prior_vs_optimal(&self) -> Vec<f64> {
        self.history
            .diagnostics
            .iter()
            .map(|d| d.tracking_error_prior_vs_optimal)
            .collect()
    }
}

/// The correlation walk as a [`CorrelationSource`]: period starts are the weekly labels but the
/// last; the walk's upper triangle is mirrored into a full matrix.
struct WalkSource<'a> {
    walk: CorrelationWalk<'a>,
    labels: &'a [NaiveDate],
    n: usize,
    date: Option<NaiveDate>,
}

impl CorrelationSource for WalkSource<'_> {
    fn period_on(&mut self, date: NaiveDate) -> Option<usize> {
        self.date = Some(date);
        let starts = self
            .labels
            .len()
            .saturating_sub(1)
            .max(1)
            .min(self.labels.len());
        self.labels[..starts]
            .partition_point(|d| *d <= date)
            .checked_sub(1)
    }

    fn matrix(&mut self) -> CorrelationMatrix {
        let n = self.n;
        let Some(date) = self.date else {
            return CorrelationMatrix::identity(n);
        };
        let mut m = self.walk.on(date).0.to_vec();
        for i in 0..n {
            for j in i + 1..n {
                m[j * n + i] = m[i * n + j];
            }
        }
        CorrelationMatrix::new(n, m).unwrap_or_else(|_| CorrelationMatrix::identity(n))
    }
}

/// Runs the optimiser over the history of `instruments` (with their `positions` from
/// [`systrade_accounts::system::compute_positions`], raw-price inputs and `constraints`, same
/// order) and accounts for its positions.
///
/// # Errors
/// Inputs that do not fit together (lengths, a non-finite setting).
pub fn optimised_system(
    instruments: &[InstrumentInputs],
    prices: &[PriceInputs],
    positions: &PositionsResult,
    config: &AccountsConfig,
    optimised: OptimisedConfig,
    constraints: &[Constraints],
) -> Result<OptimisedSystem, InputError> {
    let n = instruments.len();
    for (what, got) in [
        ("raw-price inputs", prices.len()),
        ("positions", positions.instruments.len()),
        ("constraints", constraints.len()),
    ] {
        if got != n {
            return Err(InputError::Length {
                what,
                expected: n,
                got,
            });
        }
    }
    let capital = config.vol_target.notional_trading_capital;
    let prepared = Prepared::new(
        instruments,
        prices,
        positions,
        config,
        optimised,
        constraints,
    )?;
    let dates = prepared.aligned.dates().to_vec();
    let optimal_on_dates: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..dates.len())
                .map(|t| prepared.aligned.optimal_contracts(t)[i])
                .collect()
        })
        .collect();
    let mut source = prepared.source();
    let optimiser = OptimiserOverTime::new(
        &prepared.aligned,
        &CorrelationHistory::new(n, Vec::new())?,
        optimised.small_system,
    )?;
    let history = optimiser.run_with_source(&mut source)?;

    let results: Vec<OptimisedInstrument> = instruments
        .par_iter()
        .zip(&positions.instruments)
        .zip(optimal_on_dates)
        .enumerate()
        .map(|(i, ((inp, pos), optimal))| {
            let held = DailySeries::new(
                dates.clone(),
                history
                    .instrument_positions(i)
                    .into_iter()
                    .map(|p| p as f64)
                    .collect(),
            );
            let price = DailySeries::new(
                dates.clone(),
                reindex_ffill(&inp.daily_price.dates, &inp.daily_price.values, &dates),
            );
            let pandl = PandlInputs {
                price: &price,
                positions: &held,
                fx: &inp.fx,
                value_per_point: inp.value_of_block_price_move,
                capital,
                delay_fill: true,
                round_positions: true,
            };
            // `optimised_turnover_at_portfolio_level`: against the average position at
            // subsystem level (the volatility scalar), as pysystemtrade does
            let instrument_turnover = turnover(&held, &pos.sizing.volatility_scalar);
            let account = match (config.costs, &inp.daily_returns_volatility) {
                (CostMethod::Sr, Some(vol)) => instrument_account_sr_costs(
                    pandl,
                    SrCostParams {
                        daily_returns_volatility: vol,
                        average_position: &pos.average_position,
                        annual_sr_cost: annual_sr_cost(
                            sr_cost_per_trade(
                                &inp.costs,
                                &inp.daily_price,
                                vol,
                                inp.value_of_block_price_move,
                            ),
                            instrument_turnover,
                            inp.rolls_per_year,
                        ),
                    },
                ),
                _ => instrument_account_cash_costs(pandl, cash_params(inp, config)),
            };
            OptimisedInstrument {
                code: inp.code.clone(),
                optimal_position: DailySeries::new(dates.clone(), optimal),
                position: held,
                account,
                turnover: instrument_turnover,
            }
        })
        .collect();
    let portfolio = portfolio_account(
        &results.iter().map(|r| &r.account).collect::<Vec<_>>(),
        capital,
    );
    Ok(OptimisedSystem {
        history,
        instruments: results,
        portfolio,
    })
}

/// The optimiser's inputs aligned on its dates, and the weekly returns of the correlations.
struct Prepared {
    aligned: AlignedInputs,
    labels: Vec<NaiveDate>,
    weekly: Vec<Vec<f64>>,
}

impl Prepared {
    fn new(
        instruments: &[InstrumentInputs],
        prices: &[PriceInputs],
        positions: &PositionsResult,
        config: &AccountsConfig,
        optimised: OptimisedConfig,
        constraints: &[Constraints],
    ) -> Result<Self, InputError> {
        let n = instruments.len();
        for (what, got) in [
            ("raw-price inputs", prices.len()),
            ("positions", positions.instruments.len()),
            ("constraints", constraints.len()),
        ] {
            if got != n {
                return Err(InputError::Length {
                    what,
                    expected: n,
                    got,
                });
            }
        }
        let capital = config.vol_target.notional_trading_capital;
        let histories: Vec<InstrumentHistory> = instruments
            .par_iter()
            .zip(prices)
            .zip(&positions.instruments)
            .zip(constraints)
            .map(|(((inp, price), pos), constraints)| {
                instrument_history(
                    inp,
                    price,
                    pos,
                    &positions.idm,
                    capital,
                    optimised,
                    *constraints,
                )
            })
            .collect();
        let dates = common_index(&histories);
        let aligned = AlignedInputs::new(dates, &histories)?;
        drop(histories);
        // weekly returns of every instrument on the union of their price dates
        let return_dates = union_all(instruments.iter().map(|i| &i.daily_price.dates[..]));
        let bins = WeeklyBins::new(&return_dates);
        let weekly: Vec<Vec<f64>> = instruments
            .par_iter()
            .map(|inp| {
                let returns = daily_percentage_returns(&inp.daily_price, &inp.denominator_price);
                bins.weekly_returns(&return_dates, &returns)
            })
            .collect();
        Ok(Self {
            aligned,
            labels: bins.labels,
            weekly,
        })
    }

    fn source(&self) -> WalkSource<'_> {
        WalkSource {
            walk: CorrelationWalk::new(
                &self.labels,
                self.weekly.iter().map(Vec::as_slice).collect(),
            ),
            labels: &self.labels,
            n: self.weekly.len(),
            date: None,
        }
    }
}

/// One instrument's inputs on its own dates (module documentation).
fn instrument_history(
    inp: &InstrumentInputs,
    price: &PriceInputs,
    pos: &InstrumentPositions,
    idm: &DailySeries,
    capital: f64,
    optimised: OptimisedConfig,
    constraints: Constraints,
) -> InstrumentHistory {
    let optimal = notional_position(&pos.notional_position_without_idm, idm, None);
    let underlying = &inp.denominator_price;
    let fx = fx_on_dates(&inp.fx, &underlying.dates);
    let value = underlying.with_values(per_contract_value_as_proportion_of_capital(
        &underlying.values,
        &fx.values,
        inp.value_of_block_price_move,
        capital,
    ));
    let last_fx = crate::costs::last_value(&inp.fx.values);
    let per_contract = crate::costs::cost_per_contract_in_base_ccy(
        inp.costs.cost_instrument_currency(
            1.0,
            price.final_price,
            inp.value_of_block_price_move,
            true,
        ),
        last_fx,
    );
    let constant = crate::costs::cost_per_notional_weight_as_proportion_of_capital(
        per_contract,
        optimised.cost_multiplier,
        crate::costs::last_value(&value.values),
        capital,
    );
    let vol = &inp.daily_percentage_volatility;
    InstrumentHistory {
        optimal_contracts: optimal,
        per_contract_value: value,
        annualised_stdev: vol.with_values(annualised_percentage_vol(&vol.values)),
        cost_deflator: price.cost_deflator.clone(),
        cost_per_notional_weight: constant,
        constraints,
    }
}

/// The production decision of one day ([`optimise_latest`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LatestDecision {
    /// The optimiser's last date.
    pub date: NaiveDate,
    /// Unrounded optimal positions on that date (NaN: none).
    pub optimal: Vec<f64>,
    /// The positions held before the decision.
    pub previous: Vec<i64>,
    /// The optimised target positions (whole contracts).
    pub positions: Vec<i64>,
    /// Annualised tracking error of the held positions against the optimal ones (NaN when the
    /// covariance is undefined).
    pub tracking_error_previous: f64,
    /// Annualised tracking error of the target positions against the optimal ones.
    pub tracking_error: f64,
    /// Set when the optimiser kept the held positions because an input was unusable.
    pub failure: Option<crate::Failure>,
    /// The decision's intermediates as pysystemtrade's diagnostics name them
    /// (`te_prior_vs_optimal`, `prior_within_buffer`, `te_greedy_vs_optimal`,
    /// `costs_term_greedy`, `te_prior_vs_greedy`, `adj_factor`, `n_valid_keys`).
    pub diagnostics: DateDiagnostics,
    /// The greedy result in unrounded contracts before the buffer's adjustment
    /// (`greedy_position__<CODE>`); NaN for an instrument that is not a valid key or when the
    /// search did not run.
    pub greedy_positions: Vec<f64>,
    /// Value of one contract as a fraction of capital on that date (`weight_per_contract`).
    pub per_contract_value: Vec<f64>,
    /// The constraints the decision was taken under (as given).
    pub constraints: Vec<Constraints>,
}

/// How the tracking-error buffer decided (`buffering.py`, `optimisation.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferDecision {
    /// `TE(prior, optimal) < buffer`: the held positions were kept without a search.
    PriorWithinBuffer,
    /// The greedy result was within the buffer of the prior (`adj_factor ≤ 0`): no trade.
    GreedyWithinBuffer,
    /// A partial move (`adj_factor`) towards the greedy result (rounding may still leave every
    /// position unchanged).
    Adjusted,
    /// An input was unusable: the held positions were kept ([`LatestDecision::failure`]).
    Failed,
}

impl LatestDecision {
    /// The buffer's decision of this date.
    pub fn buffer_decision(&self) -> BufferDecision {
        let d = &self.diagnostics;
        if self.failure.is_some() {
            BufferDecision::Failed
        } else if d.prior_within_buffer {
            BufferDecision::PriorWithinBuffer
        } else if d.adj_factor > 0.0 {
            BufferDecision::Adjusted
        } else {
            BufferDecision::GreedyWithinBuffer
        }
    }

    /// Whether any target differs from the held position.
    pub fn traded(&self) -> bool {
        self.positions != self.previous
    }
}

/// pysystemtrade's production step (`sysexecution/strategies/dynamic_optimised_positions.py`):
/// the optimiser on the last date of the history, with the positions actually held as the prior
/// and the production constraints (position limits, reduce-only, no-trade). Costs are the
/// backtest's on the last date, where the cost deflator is 1 and the constant is the cost of one
/// contract at the current price over the current per-contract value — production's costs.
///
/// # Errors
/// Inputs that do not fit together; no date to decide.
pub fn optimise_latest(
    instruments: &[InstrumentInputs],
    prices: &[PriceInputs],
    positions: &PositionsResult,
    config: &AccountsConfig,
    optimised: OptimisedConfig,
    previous: &[i64],
    constraints: &[Constraints],
) -> Result<LatestDecision, InputError> {
    let n = instruments.len();
    if previous.len() != n {
        return Err(InputError::Length {
            what: "previous positions",
            expected: n,
            got: previous.len(),
        });
    }
    let prepared = Prepared::new(
        instruments,
        prices,
        positions,
        config,
        optimised,
        constraints,
    )?;
    let aligned = &prepared.aligned;
    let Some(&date) = aligned.dates().last() else {
        return Err(InputError::Length {
            what: "optimiser dates",
            expected: 1,
            got: 0,
        });
    };
    let t = aligned.dates().len() - 1;
    let mut source = prepared.source();
    let raw = source.period_on(date).map(|_| source.matrix());
    let optimiser = OptimiserOverTime::new(
        aligned,
        &CorrelationHistory::new(n, Vec::new())?,
        optimised.small_system,
    )?;
    let decision = optimiser.decide_with_raw_correlation(t, previous, raw.as_ref())?;
    let problem = &decision.problem;
    let tracking_error = if decision.failure.is_some() {
        decision.tracking_error_prior_vs_optimal
    } else {
        problem
            .tracking_error(&decision.final_weights, &problem.weights_optimal)
            .unwrap_or(f64::NAN)
    };
    let mut greedy_positions = vec![f64::NAN; n];
    if let Some(g) = &decision.greedy {
        for (&i, p) in problem.keys.iter().zip(g.positions(problem)) {
            greedy_positions[i] = p;
        }
    }
    Ok(LatestDecision {
        date,
        optimal: aligned.optimal_contracts(t).to_vec(),
        previous: previous.to_vec(),
        positions: decision.positions.clone(),
        tracking_error_previous: decision.tracking_error_prior_vs_optimal,
        tracking_error,
        failure: decision.failure,
        diagnostics: date_diagnostics(&decision),
        greedy_positions,
        per_contract_value: aligned.per_contract_value(t).to_vec(),
        constraints: constraints.to_vec(),
    })
}
