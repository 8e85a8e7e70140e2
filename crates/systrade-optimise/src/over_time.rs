//! The optimiser over a history of dates, `optimisedPositions.get_optimised_position_df` in
//! `systems/provided/dynamic_small_system_optimise/optimised_positions_stage.py`, with its inputs
//! put on the optimiser's dates as `systems/portfolio.py` does.
//!
//! - Dates (`common_index`): the union of the dates of all instruments' optimal positions
//!   (`get_original_portfolio_weight_df().index`). [`common_index`].
//! - The dates are walked in order; the prior of each date is the previous date's optimised
//!   positions, all zeros on the first date.
//! - Optimal contracts (`get_position_contracts_as_df`): each instrument's
//!   `notional_position_before_risk_scaling` (before the risk overlay) `.reindex(dates).ffill()`.
//! - Per-contract value (`get_per_contract_value_as_proportion_of_capital_df`):
//!   `.reindex(dates).ffill().bfill()` — defined before the instrument starts.
//! - Annualised standard deviation (`get_df_of_perc_vol`, `seriesOfStdevEstimates.get_stdev_on_date`):
//!   every instrument's series on the union of their dates, forward-filled; on a date, the row at
//!   that date, or the first row for a date before the first one. (pysystemtrade looks the date up
//!   exactly and fails on a date missing from that union; here the last row at or before it is
//!   used.)
//! - Correlation (`Portfolios.get_correlation_matrix`, `CorrelationList.most_recent_correlation_before_date`):
//!   the matrix of the period with the latest start `≤` the date, the identity before the first
//!   period; shrunk toward the identity by `shrink_instrument_returns_correlation`
//!   (`optimisedPositions.get_correlation_matrix`).
//! - Costs per unit of weight: the instrument's constant × its cost deflator on the dates
//!   ([`crate::costs`]).
//!
//! Estimating the correlation matrices (`correlation_over_time_for_returns`) is not part of this
//! crate: they come in as [`CorrelationHistory`].

use chrono::NaiveDate;
use systrade_series::index::union_all;
use systrade_series::{DailySeries, bfill, ffill, reindex_ffill};

use crate::buffer::SpeedControl;
use crate::constraints::Constraints;
use crate::costs::deflator_on_dates;
use crate::covariance::{CorrelationMatrix, covariance_from_stdev_and_correlation};
use crate::optimiser::{Decision, OptimiserInputs, optimise};
use crate::problem::Failure;
use crate::{InputError, KeyOrder};

/// pysystemtrade's `small_system` settings the optimiser uses (`cost_multiplier` is part of the
/// constant cost per unit of weight, [`crate::costs::cost_per_notional_weight_as_proportion_of_capital`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmallSystem {
    pub speed: SpeedControl,
    /// `shrink_instrument_returns_correlation` (default 0.5).
    pub shrink_instrument_returns_correlation: f64,
}

impl Default for SmallSystem {
    /// `defaults.yaml`: shadow cost 50, tracking-error buffer 0.0125, shrinkage 0.5.
    fn default() -> Self {
        Self {
            speed: SpeedControl::default(),
            shrink_instrument_returns_correlation: 0.5,
        }
    }
}

/// One instrument's inputs, each series on its own dates.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentHistory {
    /// Unrounded optimal position in contracts (`notional_position_before_risk_scaling`).
    pub optimal_contracts: DailySeries,
    /// Value of one contract as a fraction of capital.
    pub per_contract_value: DailySeries,
    /// Annualised standard deviation of percentage returns (`16 × daily % vol / 100`).
    pub annualised_stdev: DailySeries,
    /// [`crate::costs::cost_deflator`] of the raw price.
    pub cost_deflator: DailySeries,
    /// [`crate::costs::cost_per_notional_weight_as_proportion_of_capital`].
    pub cost_per_notional_weight: f64,
    pub constraints: Constraints,
}

/// The correlation matrices of the fitting periods, by period start (raw, unshrunk).
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationHistory {
    n: usize,
    starts: Vec<NaiveDate>,
    matrices: Vec<CorrelationMatrix>,
}

impl CorrelationHistory {
    /// Periods `(start, matrix)`; starts strictly ascending, every matrix `n × n`.
    pub fn new(n: usize, periods: Vec<(NaiveDate, CorrelationMatrix)>) -> Result<Self, InputError> {
        if periods.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(InputError::Unsorted("correlation period starts"));
        }
        if let Some((_, m)) = periods.iter().find(|(_, m)| m.len() != n) {
            return Err(InputError::Length {
                what: "correlation matrix instruments",
                expected: n,
                got: m.len(),
            });
        }
        let (starts, matrices) = periods.into_iter().unzip();
        Ok(Self {
            n,
            starts,
            matrices,
        })
    }

    /// Number of instruments.
    pub fn instruments(&self) -> usize {
        self.n
    }

    /// The matrix of the period with the latest start `≤ date`; `None` before the first.
    pub fn on(&self, date: NaiveDate) -> Option<&CorrelationMatrix> {
        let k = self.starts.partition_point(|s| *s <= date);
        k.checked_sub(1).map(|k| &self.matrices[k])
    }

    /// Every matrix shrunk toward the identity.
    pub fn shrunk(&self, shrinkage: f64) -> Self {
        Self {
            n: self.n,
            starts: self.starts.clone(),
            matrices: self
                .matrices
                .iter()
                .map(|m| m.shrink_to_identity(shrinkage))
                .collect(),
        }
    }
}

/// `common_index`: the union of the instruments' optimal-position dates.
pub fn common_index(instruments: &[InstrumentHistory]) -> Vec<NaiveDate> {
    union_all(
        instruments
            .iter()
            .map(|h| h.optimal_contracts.dates.as_slice()),
    )
}

/// The inputs on the optimiser's dates, date-major (`[date][instrument]`).
#[derive(Debug, Clone, PartialEq)]
pub struct AlignedInputs {
    dates: Vec<NaiveDate>,
    n: usize,
    optimal_contracts: Vec<f64>,
    per_contract_value: Vec<f64>,
    stdev: Vec<f64>,
    costs_per_weight: Vec<f64>,
    constraints: Vec<Constraints>,
}

impl AlignedInputs {
    /// Aligns every instrument's series on `dates` (strictly ascending) as the module docs say.
    pub fn new(
        dates: Vec<NaiveDate>,
        instruments: &[InstrumentHistory],
    ) -> Result<Self, InputError> {
        if dates.windows(2).any(|w| w[0] >= w[1]) {
            return Err(InputError::Unsorted("optimiser dates"));
        }
        for (i, h) in instruments.iter().enumerate() {
            h.constraints.validate(i)?;
        }
        let n = instruments.len();
        let stdev_union = union_all(
            instruments
                .iter()
                .map(|h| h.annualised_stdev.dates.as_slice()),
        );
        let columns: Vec<[Vec<f64>; 4]> = instruments
            .iter()
            .map(|h| {
                let optimal = ffill(&reindex(&h.optimal_contracts, &dates));
                let value = bfill(&ffill(&reindex(&h.per_contract_value, &dates)));
                let stdev = stdev_on_dates(&h.annualised_stdev, &stdev_union, &dates);
                let costs = deflator_on_dates(&h.cost_deflator, &dates)
                    .into_iter()
                    .map(|d| h.cost_per_notional_weight * d)
                    .collect();
                [optimal, value, stdev, costs]
            })
            .collect();
        let date_major = |field: usize| -> Vec<f64> {
            let mut out = Vec::with_capacity(dates.len() * n);
            for t in 0..dates.len() {
                out.extend(columns.iter().map(|c| c[field][t]));
            }
            out
        };
        Ok(Self {
            optimal_contracts: date_major(0),
            per_contract_value: date_major(1),
            stdev: date_major(2),
            costs_per_weight: date_major(3),
            constraints: instruments.iter().map(|h| h.constraints).collect(),
            dates,
            n,
        })
    }

    /// The optimiser's dates.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// Number of instruments.
    pub fn instruments(&self) -> usize {
        self.n
    }

    fn row<'a>(&self, values: &'a [f64], t: usize) -> &'a [f64] {
        &values[t * self.n..(t + 1) * self.n]
    }

    /// Optimal contracts on date `t`.
    pub fn optimal_contracts(&self, t: usize) -> &[f64] {
        self.row(&self.optimal_contracts, t)
    }

    /// Per-contract values on date `t`.
    pub fn per_contract_value(&self, t: usize) -> &[f64] {
        self.row(&self.per_contract_value, t)
    }

    /// Annualised standard deviations on date `t`.
    pub fn stdev(&self, t: usize) -> &[f64] {
        self.row(&self.stdev, t)
    }

    /// Costs per unit of weight on date `t`.
    pub fn costs_per_weight(&self, t: usize) -> &[f64] {
        self.row(&self.costs_per_weight, t)
    }
}

fn reindex(series: &DailySeries, dates: &[NaiveDate]) -> Vec<f64> {
    systrade_series::reindex(&series.dates, &series.values, dates)
}

/// The stdev frame's column: on the union of all instruments' stdev dates, forward-filled; on each
/// date the row at or before it, the first row before the union starts.
fn stdev_on_dates(series: &DailySeries, union: &[NaiveDate], dates: &[NaiveDate]) -> Vec<f64> {
    let on_union = ffill(&reindex(series, union));
    let first = on_union.first().copied().unwrap_or(f64::NAN);
    let mut out = reindex_ffill(union, &on_union, dates);
    for (v, d) in out.iter_mut().zip(dates) {
        if union.first().is_some_and(|f| d < f) {
            *v = first;
        }
    }
    out
}

/// The key order of each date.
#[derive(Debug, Clone, Copy)]
pub enum KeyOrders<'a> {
    /// Universe order on every date (production: instruments sorted by code).
    Universe,
    /// One order per date (e.g. pysystemtrade's recorded order, to reproduce its ties).
    PerDate(&'a [KeyOrder]),
}

/// The walk over dates: aligned inputs, shrunk correlations and settings.
#[derive(Debug, Clone)]
pub struct OptimiserOverTime<'a> {
    inputs: &'a AlignedInputs,
    correlations: CorrelationHistory,
    identity: CorrelationMatrix,
    config: SmallSystem,
    universe: KeyOrder,
}

/// The compact diagnostics of one date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DateDiagnostics {
    pub n_valid_keys: usize,
    pub tracking_error_prior_vs_optimal: f64,
    pub prior_within_buffer: bool,
    /// NaN unless the search ran.
    pub tracking_error_greedy_vs_optimal: f64,
    pub costs_term_greedy: f64,
    pub tracking_error_prior_vs_greedy: f64,
    pub adj_factor: f64,
    /// Set when the date kept its previous positions because pysystemtrade would have raised.
    pub failure: Option<Failure>,
}

/// Optimised positions on every date and the diagnostics of each decision.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimisedHistory {
    pub dates: Vec<NaiveDate>,
    n: usize,
    positions: Vec<i64>,
    pub diagnostics: Vec<DateDiagnostics>,
}

impl OptimisedHistory {
    /// Positions on date `t`, universe order.
    pub fn positions_on(&self, t: usize) -> &[i64] {
        &self.positions[t * self.n..(t + 1) * self.n]
    }

    /// Instrument `i`'s positions on every date.
    pub fn instrument_positions(&self, i: usize) -> Vec<i64> {
        self.positions
            .iter()
            .skip(i)
            .step_by(self.n.max(1))
            .copied()
            .collect()
    }
}

impl<'a> OptimiserOverTime<'a> {
    /// Checks the correlations cover the same instruments and shrinks them once.
    pub fn new(
        inputs: &'a AlignedInputs,
        correlations: &CorrelationHistory,
        config: SmallSystem,
    ) -> Result<Self, InputError> {
        if correlations.instruments() != inputs.n {
            return Err(InputError::Length {
                what: "correlation matrix instruments",
                expected: inputs.n,
                got: correlations.instruments(),
            });
        }
        Ok(Self {
            inputs,
            correlations: correlations.shrunk(config.shrink_instrument_returns_correlation),
            identity: CorrelationMatrix::identity(inputs.n),
            config,
            universe: KeyOrder::universe(inputs.n),
        })
    }

    /// The decision on date `t` given the positions held before it.
    pub fn decide(
        &self,
        t: usize,
        previous_positions: &[i64],
        key_order: &KeyOrder,
    ) -> Result<Decision, InputError> {
        let date = self.inputs.dates[t];
        let correlation = self.correlations.on(date).unwrap_or(&self.identity);
        self.decide_with(t, previous_positions, key_order, correlation)
    }

    /// [`Self::decide`] in universe order with the date's raw (unshrunk) correlation matrix
    /// given (`None`: the identity, before the first correlation period).
    pub fn decide_with_raw_correlation(
        &self,
        t: usize,
        previous_positions: &[i64],
        raw: Option<&CorrelationMatrix>,
    ) -> Result<Decision, InputError> {
        let shrunk = match raw {
            Some(m) if m.len() == self.inputs.n => {
                m.shrink_to_identity(self.config.shrink_instrument_returns_correlation)
            }
            Some(m) => {
                return Err(InputError::Length {
                    what: "correlation matrix instruments",
                    expected: self.inputs.n,
                    got: m.len(),
                });
            }
            None => self.identity.clone(),
        };
        self.decide_with(t, previous_positions, &self.universe, &shrunk)
    }

    /// [`Self::decide`] with the (shrunk) correlation matrix given.
    fn decide_with(
        &self,
        t: usize,
        previous_positions: &[i64],
        key_order: &KeyOrder,
        correlation: &CorrelationMatrix,
    ) -> Result<Decision, InputError> {
        let inputs = self.inputs;
        let covariance = covariance_from_stdev_and_correlation(inputs.stdev(t), correlation)?;
        optimise(&OptimiserInputs {
            optimal_contracts: inputs.optimal_contracts(t),
            previous_positions,
            per_contract_value: inputs.per_contract_value(t),
            costs_per_weight: inputs.costs_per_weight(t),
            covariance: &covariance,
            constraints: &inputs.constraints,
            speed: self.config.speed,
            key_order,
        })
    }

    /// [`Self::run`] in universe order taking each date's raw correlation matrix from `source`
    /// instead of a stored [`CorrelationHistory`] (whose matrices are ignored): only the matrix
    /// in force is held, shrunk once per period. For large universes, where every period's
    /// matrix would not fit in memory.
    pub fn run_with_source(
        &self,
        source: &mut dyn CorrelationSource,
    ) -> Result<OptimisedHistory, InputError> {
        let (n, dates) = (self.inputs.n, &self.inputs.dates);
        let mut positions = Vec::with_capacity(dates.len() * n);
        let mut diagnostics = Vec::with_capacity(dates.len());
        let mut previous = vec![0_i64; n];
        let mut current: Option<(usize, CorrelationMatrix)> = None;
        for (t, &date) in dates.iter().enumerate() {
            let period = source.period_on(date);
            if period != current.as_ref().map(|c| c.0) {
                current = match period {
                    Some(k) => {
                        let raw = source.matrix();
                        if raw.len() != n {
                            return Err(InputError::Length {
                                what: "correlation matrix instruments",
                                expected: n,
                                got: raw.len(),
                            });
                        }
                        let shrunk = raw
                            .shrink_to_identity(self.config.shrink_instrument_returns_correlation);
                        Some((k, shrunk))
                    }
                    None => None,
                };
            }
            let correlation = current.as_ref().map_or(&self.identity, |c| &c.1);
            let decision = self.decide_with(t, &previous, &self.universe, correlation)?;
            diagnostics.push(date_diagnostics(&decision));
            positions.extend_from_slice(&decision.positions);
            previous = decision.positions;
        }
        Ok(OptimisedHistory {
            dates: dates.clone(),
            n,
            positions,
            diagnostics,
        })
    }

    /// Walks every date, each date's prior being the previous date's result (zeros first).
    pub fn run(&self, key_orders: KeyOrders<'_>) -> Result<OptimisedHistory, InputError> {
        let (n, dates) = (self.inputs.n, &self.inputs.dates);
        if let KeyOrders::PerDate(orders) = key_orders
            && orders.len() != dates.len()
        {
            return Err(InputError::Length {
                what: "key orders",
                expected: dates.len(),
                got: orders.len(),
            });
        }
        let mut positions = Vec::with_capacity(dates.len() * n);
        let mut diagnostics = Vec::with_capacity(dates.len());
        let mut previous = vec![0_i64; n];
        for t in 0..dates.len() {
            let order = match key_orders {
                KeyOrders::Universe => &self.universe,
                KeyOrders::PerDate(orders) => &orders[t],
            };
            let decision = self.decide(t, &previous, order)?;
            diagnostics.push(date_diagnostics(&decision));
            positions.extend_from_slice(&decision.positions);
            previous = decision.positions;
        }
        Ok(OptimisedHistory {
            dates: dates.clone(),
            n,
            positions,
            diagnostics,
        })
    }
}

pub(crate) fn date_diagnostics(decision: &Decision) -> DateDiagnostics {
    let greedy = decision.greedy.as_ref();
    let pick = |f: fn(&crate::optimiser::GreedyReport) -> f64| greedy.map_or(f64::NAN, f);
    DateDiagnostics {
        n_valid_keys: decision.problem.len(),
        tracking_error_prior_vs_optimal: decision.tracking_error_prior_vs_optimal,
        prior_within_buffer: decision.prior_within_buffer,
        tracking_error_greedy_vs_optimal: pick(|g| g.tracking_error_vs_optimal),
        costs_term_greedy: pick(|g| g.costs_term),
        tracking_error_prior_vs_greedy: pick(|g| g.tracking_error_prior_vs_greedy),
        adj_factor: pick(|g| g.adj_factor),
        failure: decision.failure,
    }
}

/// Each date's raw (unshrunk) correlation matrix, for [`OptimiserOverTime::run_with_source`]:
/// dates are asked for in ascending order.
pub trait CorrelationSource {
    /// The index of the fitting period in force on `date` (latest start `≤ date`); `None`
    /// before the first period (the identity is used).
    fn period_on(&mut self, date: NaiveDate) -> Option<usize>;
    /// The raw matrix of the period last returned by [`Self::period_on`].
    fn matrix(&mut self) -> CorrelationMatrix;
}

/// A stored history as a source.
pub struct HistorySource<'a> {
    history: &'a CorrelationHistory,
    period: Option<usize>,
}

impl<'a> HistorySource<'a> {
    pub fn new(history: &'a CorrelationHistory) -> Self {
        Self {
            history,
            period: None,
        }
    }
}

impl CorrelationSource for HistorySource<'_> {
    fn period_on(&mut self, date: NaiveDate) -> Option<usize> {
        self.period = self
            .history
            .starts
            .partition_point(|s| *s <= date)
            .checked_sub(1);
        self.period
    }

    fn matrix(&mut self) -> CorrelationMatrix {
        self.period.map_or_else(
            || CorrelationMatrix::identity(self.history.n),
            |k| self.history.matrices[k].clone(),
        )
    }
}
