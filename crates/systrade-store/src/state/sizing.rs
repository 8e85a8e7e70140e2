//! Tables `sizing_runs` and `sizing_run_positions` (migration 10; written by size-positions, read
//! by report): one row per size-positions run that writes `optimal_positions`, and for a
//! dynamically optimised strategy the optimiser's decision — tracking errors, the buffer's
//! decision and, per instrument, the unrounded optimal, held and optimised positions (names as
//! pysystemtrade's dynamic optimisation uses them: `systems/provided/dynamic_small_system_optimise/`,
//! `sysobjects/production/optimal_positions.py` `optimalPositionWithDynamicCalculations`).
//!
//! NaN is stored as NULL and read back as NaN.

use super::{StateReader, StateTx, UnknownValue, now_text};
use crate::error::Result;
use chrono::NaiveDate;
use rusqlite::params;
use systrade_model::InstrumentCode;

/// How the tracking-error buffer decided (`buffer_decision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferDecision {
    /// `te_prior_vs_optimal < buffer`: the held positions were kept without a search.
    PriorWithinBuffer,
    /// `adj_factor ≤ 0`: the greedy result was within the buffer of the held positions.
    GreedyWithinBuffer,
    /// A move of `adj_factor` towards the greedy result, rounded to whole contracts.
    Adjusted,
    /// An input was unusable: the held positions were kept (`failure` says why).
    Failed,
}

impl BufferDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PriorWithinBuffer => "prior_within_buffer",
            Self::GreedyWithinBuffer => "greedy_within_buffer",
            Self::Adjusted => "adjusted",
            Self::Failed => "failed",
        }
    }
}

impl std::fmt::Display for BufferDecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for BufferDecision {
    type Err = UnknownValue;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "prior_within_buffer" => Ok(Self::PriorWithinBuffer),
            "greedy_within_buffer" => Ok(Self::GreedyWithinBuffer),
            "adjusted" => Ok(Self::Adjusted),
            "failed" => Ok(Self::Failed),
            _ => Err(UnknownValue {
                what: "buffer decision",
                value: s.to_string(),
                expected: "prior_within_buffer, greedy_within_buffer, adjusted, failed",
            }),
        }
    }
}

/// One instrument of an optimised run (`sizing_run_positions`).
#[derive(Debug, Clone, PartialEq)]
pub struct OptimisedInstrument {
    pub instrument: InstrumentCode,
    /// Unrounded optimal position in contracts (NaN: none).
    pub optimal_position: f64,
    /// The position held before the decision.
    pub previous_position: i64,
    /// The target in whole contracts.
    pub optimised_position: i64,
    /// The greedy result in contracts before the buffer's adjustment (NaN: no search, or not a
    /// valid key).
    pub greedy_position: f64,
    /// Value of one contract as a fraction of capital.
    pub weight_per_contract: f64,
    pub reduce_only: bool,
    pub dont_trade: bool,
    /// Maximum absolute position in contracts (`None`: no limit).
    pub position_limit_contracts: Option<f64>,
}

/// The optimiser's decision of an optimised run (NaN where a value is undefined).
#[derive(Debug, Clone, PartialEq)]
pub struct Optimisation {
    pub n_valid_keys: usize,
    /// Tracking error of the held positions against the optimal ones.
    pub te_prior_vs_optimal: f64,
    pub prior_within_buffer: bool,
    /// Tracking error of the greedy result against the optimal positions.
    pub te_greedy_vs_optimal: f64,
    pub costs_term_greedy: f64,
    /// Tracking error of the held positions against the greedy result.
    pub te_prior_vs_greedy: f64,
    pub adj_factor: f64,
    /// Tracking error of the optimised (target) positions against the optimal ones.
    pub te_optimised_vs_optimal: f64,
    pub buffer_decision: BufferDecision,
    /// Whether any target differs from the held position.
    pub traded: bool,
    /// Why the held positions were kept, when an input was unusable.
    pub failure: Option<String>,
    pub instruments: Vec<OptimisedInstrument>,
}

/// One size-positions run.
#[derive(Debug, Clone, PartialEq)]
pub struct SizingRun {
    /// Row id (ignored on insert).
    pub id: i64,
    pub strategy: String,
    /// The date decided (the last date of the inputs).
    pub date: NaiveDate,
    /// `None`: a classic (buffered) strategy.
    pub optimisation: Option<Optimisation>,
    /// When the row was written (ISO 8601 UTC; ignored on insert).
    pub created_at: String,
}

fn nan_as_null(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

fn null_as_nan(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

type RunRow = (
    i64,
    String,
    String,
    bool,
    Option<i64>,
    [Option<f64>; 6],
    Option<bool>,
    Option<String>,
    Option<bool>,
    Option<String>,
    String,
);

impl StateReader {
    /// The latest run of each strategy (highest id), sorted by strategy, with its instruments
    /// (sorted by instrument).
    pub fn latest_sizing_runs(&self) -> Result<Vec<SizingRun>> {
        let raw: Vec<RunRow> = self.rows(
            "SELECT id, strategy, date, optimised, n_valid_keys, te_prior_vs_optimal,
                    te_greedy_vs_optimal, costs_term_greedy, te_prior_vs_greedy, adj_factor,
                    te_optimised_vs_optimal, prior_within_buffer, buffer_decision, traded,
                    failure, created_at
             FROM sizing_runs s
             WHERE id = (SELECT MAX(id) FROM sizing_runs s2 WHERE s2.strategy = s.strategy)
             ORDER BY strategy",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    [
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                        r.get(10)?,
                    ],
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                    r.get(14)?,
                    r.get(15)?,
                ))
            },
        )?;
        raw.into_iter().map(|row| self.sizing_run(row)).collect()
    }

    fn sizing_run(&self, row: RunRow) -> Result<SizingRun> {
        let (id, strategy, date, optimised, n_valid, te, within, decision, traded, failure, at) =
            row;
        let date = self.parse("sizing_runs", "date", &date)?;
        let optimisation = if optimised {
            let decision: BufferDecision = self.parse(
                "sizing_runs",
                "buffer_decision",
                decision.as_deref().unwrap_or(""),
            )?;
            let [
                te_prior,
                te_greedy,
                costs,
                te_prior_greedy,
                adj,
                te_optimised,
            ] = te;
            Some(Optimisation {
                n_valid_keys: n_valid.unwrap_or(0).max(0) as usize,
                te_prior_vs_optimal: null_as_nan(te_prior),
                prior_within_buffer: within.unwrap_or(false),
                te_greedy_vs_optimal: null_as_nan(te_greedy),
                costs_term_greedy: null_as_nan(costs),
                te_prior_vs_greedy: null_as_nan(te_prior_greedy),
                adj_factor: null_as_nan(adj),
                te_optimised_vs_optimal: null_as_nan(te_optimised),
                buffer_decision: decision,
                traded: traded.unwrap_or(false),
                failure,
                instruments: self.sizing_run_positions(id)?,
            })
        } else {
            None
        };
        Ok(SizingRun {
            id,
            strategy,
            date,
            optimisation,
            created_at: at,
        })
    }

    /// The instruments of run `id`, sorted by instrument.
    fn sizing_run_positions(&self, id: i64) -> Result<Vec<OptimisedInstrument>> {
        type Raw = (
            String,
            Option<f64>,
            i64,
            i64,
            Option<f64>,
            Option<f64>,
            bool,
            bool,
            Option<f64>,
        );
        let raw: Vec<Raw> = self.rows(
            "SELECT instrument, optimal_position, previous_position, optimised_position,
                    greedy_position, weight_per_contract, reduce_only, dont_trade,
                    position_limit_contracts
             FROM sizing_run_positions WHERE run_id = ?1 ORDER BY instrument",
            [id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            },
        )?;
        raw.into_iter()
            .map(
                |(code, optimal, previous, optimised, greedy, value, reduce, no_trade, limit)| {
                    Ok(OptimisedInstrument {
                        instrument: self.instrument("sizing_run_positions", &code)?,
                        optimal_position: null_as_nan(optimal),
                        previous_position: previous,
                        optimised_position: optimised,
                        greedy_position: null_as_nan(greedy),
                        weight_per_contract: null_as_nan(value),
                        reduce_only: reduce,
                        dont_trade: no_trade,
                        position_limit_contracts: limit,
                    })
                },
            )
            .collect()
    }
}

impl StateTx<'_> {
    /// Records a run (and its instruments when optimised); returns its id.
    pub fn insert_sizing_run(&self, run: &SizingRun) -> Result<i64> {
        let o = run.optimisation.as_ref();
        let id = self.insert(
            "INSERT INTO sizing_runs
             (strategy, date, optimised, n_valid_keys, te_prior_vs_optimal, prior_within_buffer,
              te_greedy_vs_optimal, costs_term_greedy, te_prior_vs_greedy, adj_factor,
              te_optimised_vs_optimal, buffer_decision, traded, failure, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                run.strategy,
                run.date.format("%Y-%m-%d").to_string(),
                o.is_some(),
                o.map(|o| o.n_valid_keys as i64),
                o.and_then(|o| nan_as_null(o.te_prior_vs_optimal)),
                o.map(|o| o.prior_within_buffer),
                o.and_then(|o| nan_as_null(o.te_greedy_vs_optimal)),
                o.and_then(|o| nan_as_null(o.costs_term_greedy)),
                o.and_then(|o| nan_as_null(o.te_prior_vs_greedy)),
                o.and_then(|o| nan_as_null(o.adj_factor)),
                o.and_then(|o| nan_as_null(o.te_optimised_vs_optimal)),
                o.map(|o| o.buffer_decision.as_str()),
                o.map(|o| o.traded),
                o.and_then(|o| o.failure.as_deref()),
                now_text(),
            ],
        )?;
        for p in o.map_or(&[][..], |o| &o.instruments) {
            self.exec(
                "INSERT INTO sizing_run_positions
                 (run_id, instrument, optimal_position, previous_position, optimised_position,
                  greedy_position, weight_per_contract, reduce_only, dont_trade,
                  position_limit_contracts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    id,
                    p.instrument.as_str(),
                    nan_as_null(p.optimal_position),
                    p.previous_position,
                    p.optimised_position,
                    nan_as_null(p.greedy_position),
                    nan_as_null(p.weight_per_contract),
                    p.reduce_only,
                    p.dont_trade,
                    p.position_limit_contracts.and_then(nan_as_null),
                ],
            )?;
        }
        Ok(id)
    }
}
