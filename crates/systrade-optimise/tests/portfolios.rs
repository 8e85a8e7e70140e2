//! Small portfolios worked out by hand: two or three instruments with a known covariance,
//! constraints, degenerate covariance rows, missing inputs, ties, and the walk over dates.
//!
//! Unless a test says otherwise: standard deviations 0.2 (A) and 0.1 (B), uncorrelated, so
//! `Σ = diag(0.04, 0.01)`; per-contract values 0.1 (A) and 0.05 (B); optimal positions 2.4 and
//! −1.6 contracts, i.e. `w* = (0.24, −0.08)`; no costs; buffer 0.0125.

use chrono::NaiveDate;
use systrade_optimise::{
    AlignedInputs, Constraints, CorrelationHistory, CorrelationMatrix, Decision, Failure,
    InstrumentHistory, KeyOrder, KeyOrders, OptimiserInputs, OptimiserOverTime, SmallSystem,
    SpeedControl, Trading, covariance_from_stdev_and_correlation, optimise,
};
use systrade_series::DailySeries;

const NAN: f64 = f64::NAN;

struct Portfolio {
    optimal: Vec<f64>,
    previous: Vec<i64>,
    value: Vec<f64>,
    costs: Vec<f64>,
    stdev: Vec<f64>,
    correlation: Vec<f64>,
    constraints: Vec<Constraints>,
    speed: SpeedControl,
    order: Vec<usize>,
}

impl Portfolio {
    fn two() -> Self {
        Self {
            optimal: vec![2.4, -1.6],
            previous: vec![0, 0],
            value: vec![0.1, 0.05],
            costs: vec![0.0, 0.0],
            stdev: vec![0.2, 0.1],
            correlation: vec![1.0, 0.0, 0.0, 1.0],
            constraints: vec![Constraints::default(); 2],
            speed: SpeedControl::default(),
            order: vec![0, 1],
        }
    }

    fn decide(&self) -> Decision {
        let n = self.optimal.len();
        let correlation = CorrelationMatrix::new(n, self.correlation.clone()).unwrap();
        let covariance = covariance_from_stdev_and_correlation(&self.stdev, &correlation).unwrap();
        optimise(&OptimiserInputs {
            optimal_contracts: &self.optimal,
            previous_positions: &self.previous,
            per_contract_value: &self.value,
            costs_per_weight: &self.costs,
            covariance: &covariance,
            constraints: &self.constraints,
            speed: self.speed,
            key_order: &KeyOrder::new(n, self.order.clone()).unwrap(),
        })
        .unwrap()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
}

fn greedy_contracts(d: &Decision) -> Vec<f64> {
    let g = d.greedy.as_ref().expect("the search ran");
    g.positions(&d.problem)
        .iter()
        .map(|x| x.round_ties_even())
        .collect()
}

#[test]
fn two_uncorrelated_instruments_from_flat() {
    // Passes from 0: A (TE² 0.000848), A (0.000128), B (0.000073), B (0.000068); then A (0.000148)
    // and B (0.000113) are both worse: greedy (2, −2) contracts.
    let d = Portfolio::two().decide();
    assert_eq!(d.failure, None);
    assert!(close(
        d.tracking_error_prior_vs_optimal,
        0.002368_f64.sqrt()
    ));
    assert!(!d.prior_within_buffer);
    assert_eq!(greedy_contracts(&d), vec![2.0, -2.0]);
    let g = d.greedy.as_ref().unwrap();
    assert_eq!(g.steps, 4);
    assert!(close(g.tracking_error_vs_optimal, 0.000068_f64.sqrt()));
    assert_eq!(g.costs_term, 0.0);
    // TE(prior, greedy)² = 0.04 × 0.2² + 0.01 × 0.1² = 0.0017
    let te = 0.0017_f64.sqrt();
    assert!(close(g.tracking_error_prior_vs_greedy, te));
    assert!(close(g.adj_factor, (te - 0.0125) / te));
    // adj ≈ 0.697: trades of ±1.39 contracts round to ±1
    assert_eq!(d.positions, vec![1, -1]);
}

#[test]
fn the_buffer_holds_positions_near_the_optimum() {
    // From (1, −1): TE² 0.000793 > buffer², the greedy answer is (2, −2) again, but
    // TE(prior, greedy) = sqrt(0.000425) ≈ 0.0206 gives adj ≈ 0.394: trades of 0.39 round to 0.
    let mut p = Portfolio::two();
    p.previous = vec![1, -1];
    let d = p.decide();
    assert_eq!(greedy_contracts(&d), vec![2.0, -2.0]);
    assert!(close(
        d.greedy.as_ref().unwrap().tracking_error_prior_vs_greedy,
        0.000425_f64.sqrt()
    ));
    assert_eq!(d.positions, vec![1, -1]);
    // From (2, −2): TE = sqrt(0.000068) ≈ 0.0082 < 0.0125: kept without a search
    p.previous = vec![2, -2];
    let d = p.decide();
    assert!(d.prior_within_buffer && d.greedy.is_none());
    assert_eq!(d.positions, vec![2, -2]);
}

#[test]
fn costs_stop_a_trade_that_gains_less_tracking_error_than_it_costs() {
    // B's first contract lowers TE from sqrt(0.000128) ≈ 0.01131 to sqrt(0.000073) ≈ 0.00854
    // (−0.00277) but costs |0.002 × 0.05 × 50| = 0.005: greedy (2, 0).
    let mut p = Portfolio::two();
    p.costs = vec![0.0, 0.002];
    let d = p.decide();
    assert_eq!(greedy_contracts(&d), vec![2.0, 0.0]);
    assert_eq!(d.greedy.as_ref().unwrap().costs_term, 0.0);
    // From a prior of −3 contracts of B, each step of B towards −3 lowers the cost term, which
    // is 0 at the prior: the search keeps B's 3 contracts although the optimum is −1.6, and only
    // A trades (TE(prior, greedy) = 0.04, adj 0.6875, 1.375 → 1).
    p.previous = vec![0, -3];
    let d = p.decide();
    assert_eq!(greedy_contracts(&d), vec![2.0, -3.0]);
    assert_eq!(d.greedy.as_ref().unwrap().costs_term, 0.0);
    assert_eq!(d.positions, vec![1, -3]);
}

#[test]
fn a_position_limit_stops_the_search() {
    // A may hold 1 contract (weight 0.1): its second step is beyond the maximum, then B goes to
    // −2 (TE² 0.000793, 0.000788; −3 gives 0.000833).
    let mut p = Portfolio::two();
    p.constraints[0].position_limit = Some(1.0);
    let d = p.decide();
    assert_eq!(d.problem.bounds[0].maximum, 0.1);
    assert_eq!(greedy_contracts(&d), vec![1.0, -2.0]);
    // TE(prior, greedy)² = 0.04 × 0.01 + 0.01 × 0.01 = 0.0005: adj ≈ 0.441, B trades −0.88 → −1
    assert_eq!(d.positions, vec![0, -1]);
    // a limit of 0 (pysystemtrade's close override) keeps A flat
    p.constraints[0].position_limit = Some(0.0);
    assert_eq!(greedy_contracts(&p.decide())[0], 0.0);
}

#[test]
fn reduce_only_never_adds_nor_crosses_zero() {
    // Long 1 A, optimal 2.4: A may not exceed its prior; greedy (1, −2); TE(prior, greedy) =
    // sqrt(0.01 × 0.1²) = 0.01 < buffer: adj 0, positions kept.
    let mut p = Portfolio::two();
    p.constraints[0].trading = Trading::ReduceOnly;
    p.previous = vec![1, 0];
    let d = p.decide();
    assert_eq!(greedy_contracts(&d), vec![1.0, -2.0]);
    assert_eq!(d.greedy.as_ref().unwrap().adj_factor, 0.0);
    assert_eq!(d.positions, vec![1, 0]);

    // Long 3 A, optimal −2.4: bounds [0, 0.3], direction +1, so A stays at 0 in the search;
    // greedy (0, −2); TE(prior, greedy)² = 0.04 × 0.3² + 0.01 × 0.1² = 0.0037, adj ≈ 0.795:
    // A trades −2.38 → −2 (to 1, not below 0), B −1.59 → −2.
    p.optimal = vec![-2.4, -1.6];
    p.previous = vec![3, 0];
    let d = p.decide();
    assert_eq!(
        (d.problem.bounds[0].minimum, d.problem.bounds[0].maximum),
        (0.0, 0.30000000000000004)
    );
    assert_eq!(greedy_contracts(&d), vec![0.0, -2.0]);
    assert_eq!(d.positions, vec![1, -2]);

    // flat and reduce-only: nothing to trade
    p.previous = vec![0, 0];
    assert_eq!(p.decide().positions[0], 0);
}

#[test]
fn no_trade_pins_the_prior_while_the_rest_trades() {
    // A pinned at 1 contract; B's optimum −4 contracts (w −0.2): greedy B −4; with buffer 0.01,
    // TE(prior, greedy) = sqrt(0.01 × 0.2²) = 0.02, adj = 0.5: B trades −2.
    let mut p = Portfolio::two();
    p.optimal = vec![2.4, -4.0];
    p.previous = vec![1, 0];
    p.constraints[0].trading = Trading::NoTrade;
    p.speed.tracking_error_buffer = 0.01;
    let d = p.decide();
    assert_eq!(d.problem.bounds[0].start, 0.1);
    assert_eq!(greedy_contracts(&d), vec![1.0, -4.0]);
    assert_eq!(d.positions, vec![1, -2]);
}

#[test]
fn long_only_holds_no_short() {
    let mut p = Portfolio::two();
    p.optimal = vec![-2.4, -1.6];
    p.constraints[0].long_only = true;
    let d = p.decide();
    assert_eq!(greedy_contracts(&d), vec![0.0, -2.0]);
    assert_eq!(d.positions[0], 0);
}

#[test]
fn an_instrument_without_variance_is_never_bought() {
    // C has a zero standard deviation: its covariance row is zero, so a step in C leaves the
    // tracking error exactly unchanged, which is not a strict improvement.
    let mut p = Portfolio::two();
    p.optimal.push(5.0);
    p.previous.push(0);
    p.value.push(0.1);
    p.costs.push(0.0);
    p.stdev.push(0.0);
    p.correlation = vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    p.constraints.push(Constraints::default());
    p.order.push(2);
    let d = p.decide();
    assert_eq!(d.problem.keys, vec![0, 1, 2]);
    assert_eq!(greedy_contracts(&d), vec![2.0, -2.0, 0.0]);
    assert_eq!(d.positions, vec![1, -1, 0]);
}

#[test]
fn an_instrument_without_correlations_is_flattened() {
    // C's correlation column holds only its diagonal: no data, not a valid key, position 0 even
    // though it was held.
    let mut p = Portfolio::two();
    p.optimal.push(5.0);
    p.previous = vec![1, -1, 3];
    p.value.push(0.1);
    p.costs.push(0.0);
    p.stdev.push(0.3);
    p.correlation = vec![1.0, 0.0, NAN, 0.0, 1.0, NAN, NAN, NAN, 1.0];
    p.constraints.push(Constraints::default());
    p.order.push(2);
    let d = p.decide();
    assert_eq!(d.problem.keys, vec![0, 1]);
    assert_eq!(d.positions, vec![1, -1, 0]);
}

#[test]
fn missing_prices_and_positions_make_an_instrument_invalid() {
    // No per-contract value for B (no price): B is not a valid key and goes to 0 from −5; A alone
    // is still optimised (the covariance had two instruments): greedy 2, TE(prior, greedy) = 0.04,
    // adj 0.6875, trade 1.375 → 1.
    let mut p = Portfolio::two();
    p.value[1] = NAN;
    p.previous = vec![0, -5];
    let d = p.decide();
    assert_eq!(d.problem.keys, vec![0]);
    assert_eq!(d.positions, vec![1, 0]);
    // no optimal position for B: the same
    let mut p = Portfolio::two();
    p.optimal[1] = NAN;
    p.previous = vec![0, -5];
    assert_eq!(p.decide().positions, vec![1, 0]);
    // no standard deviation for B: A alone has a one-entry covariance column, so nothing is valid
    let mut p = Portfolio::two();
    p.stdev[1] = NAN;
    p.previous = vec![2, -5];
    let d = p.decide();
    assert!(d.problem.is_empty() && d.prior_within_buffer);
    assert_eq!(d.positions, vec![0, 0]);
    // an undefined correlation between the two: the whole covariance is undefined
    let mut p = Portfolio::two();
    p.correlation = vec![1.0, NAN, NAN, 1.0];
    p.previous = vec![2, -2];
    assert_eq!(p.decide().positions, vec![0, 0]);
}

#[test]
fn a_covariance_that_is_not_positive_semidefinite_keeps_every_previous_position() {
    // ρ_AB = 0.9, ρ_BC = 0.9, ρ_AC = −0.9; g = (1, −1, 1) has gᵀρg = 3 − 5.4 < 0.
    let p = Portfolio {
        optimal: vec![-1.0, 1.0, -1.0],
        previous: vec![0, 0, 0],
        value: vec![0.1; 3],
        costs: vec![0.0; 3],
        stdev: vec![0.1; 3],
        correlation: vec![1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0],
        constraints: vec![Constraints::default(); 3],
        speed: SpeedControl::default(),
        order: vec![0, 1, 2],
    };
    let d = p.decide();
    assert_eq!(d.failure, Some(Failure::NegativeTrackingErrorVariance));
    assert_eq!(d.positions, vec![0, 0, 0]);
    let mut p = p;
    p.previous = vec![3, 4, 5];
    p.optimal = vec![2.0, 3.0, 6.0];
    p.stdev[2] = NAN; // C is not valid, yet keeps its 5 contracts on a failure
    p.correlation = vec![1.0, 0.9, 0.0, 0.9, 1.0, 0.0, 0.0, 0.0, 1.0];
    p.costs = vec![NAN, 0.0, 0.0]; // undefined costs fail the search
    let d = p.decide();
    assert_eq!(d.failure, Some(Failure::UndefinedCosts));
    assert_eq!(d.positions, vec![3, 4, 5]);
}

#[test]
fn an_all_zero_search_falls_back_to_the_prior() {
    // A: optimal 0.3 contracts, held 1; B: optimal 0.2 of a 0.05 contract. TE(prior, w*) =
    // sqrt(0.04 × 0.07² + 0.01 × 0.01²) ≈ 0.0140 > buffer, but no single contract improves on
    // flat: the search returns zeros and the prior stands in, so nothing trades.
    let mut p = Portfolio::two();
    p.optimal = vec![0.3, 0.2];
    p.previous = vec![1, 0];
    let d = p.decide();
    let g = d.greedy.as_ref().unwrap();
    assert!(g.all_zero_fallback);
    assert_eq!(g.weights, vec![0.1, 0.0]);
    assert_eq!(g.adj_factor, 0.0);
    assert_eq!(d.positions, vec![1, 0]);
}

#[test]
fn exact_ties_go_to_the_first_instrument_in_key_order() {
    // Two identical instruments (σ 0.1, ρ 0.5, value 0.1), each optimal 0.5 contracts: one
    // contract of either gives TE² 2.5e-5 exactly; the other then only makes it worse.
    let mut p = Portfolio {
        optimal: vec![0.5, 0.5],
        previous: vec![0, 0],
        value: vec![0.1, 0.1],
        costs: vec![0.0, 0.0],
        stdev: vec![0.1, 0.1],
        correlation: vec![1.0, 0.5, 0.5, 1.0],
        constraints: vec![Constraints::default(); 2],
        speed: SpeedControl {
            trade_shadow_cost: 50.0,
            tracking_error_buffer: 0.002,
        },
        order: vec![0, 1],
    };
    assert_eq!(p.decide().positions, vec![1, 0]);
    p.order = vec![1, 0];
    let d = p.decide();
    assert_eq!(d.problem.keys, vec![1, 0]);
    assert_eq!(d.positions, vec![0, 1]);
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, d).unwrap()
}

fn series(days: &[u32], values: &[f64]) -> DailySeries {
    DailySeries::new(days.iter().map(|&d| day(d)).collect(), values.to_vec())
}

#[test]
fn the_walk_over_dates_aligns_inputs_and_chains_priors() {
    // Business days 2–5 Jan 2024. A from the 2nd; B from the 4th; the first correlation period
    // starts on the 4th (identity before, where B has no stdev: A alone, nothing held).
    let a = InstrumentHistory {
        optimal_contracts: series(&[2, 3, 4, 5], &[2.4, 2.4, NAN, 2.4]),
        per_contract_value: series(&[3, 4, 5], &[0.1, 0.1, 0.1]),
        annualised_stdev: series(&[3, 4, 5], &[0.2, 0.2, 0.2]),
        cost_deflator: series(&[2, 3, 4, 5], &[NAN, NAN, 1.0, 1.0]),
        cost_per_notional_weight: 1e-4,
        constraints: Constraints::default(),
    };
    let b = InstrumentHistory {
        optimal_contracts: series(&[4, 5], &[-1.6, -1.6]),
        per_contract_value: series(&[4, 5], &[0.05, 0.05]),
        annualised_stdev: series(&[4, 5], &[0.1, 0.1]),
        cost_deflator: series(&[4, 5], &[1.0, 1.0]),
        cost_per_notional_weight: 1e-4,
        constraints: Constraints::default(),
    };
    let instruments = [a, b];
    let dates = systrade_optimise::common_index(&instruments);
    assert_eq!(dates, vec![day(2), day(3), day(4), day(5)]);
    let aligned = AlignedInputs::new(dates, &instruments).unwrap();
    // per-contract value back-filled before A's first price; optimal contracts forward-filled
    // over the NaN of the 4th; stdev before the first stdev date taken from the first row
    assert_eq!(aligned.per_contract_value(0)[0], 0.1);
    assert_eq!(aligned.per_contract_value(0)[1], 0.05);
    assert_eq!(aligned.optimal_contracts(2)[0], 2.4);
    assert!(aligned.optimal_contracts(1)[1].is_nan());
    assert_eq!(aligned.stdev(0)[0], 0.2);
    assert!(aligned.stdev(0)[1].is_nan());
    // costs: constant × deflator, a missing deflator is 10000
    assert_eq!(
        aligned.costs_per_weight(0),
        &[1e-4 * 10000.0, 1e-4 * 10000.0]
    );
    assert_eq!(aligned.costs_per_weight(2), &[1e-4, 1e-4]);

    let correlations = CorrelationHistory::new(
        2,
        vec![(
            day(4),
            CorrelationMatrix::new(2, vec![1.0, 0.0, 0.0, 1.0]).unwrap(),
        )],
    )
    .unwrap();
    let config = SmallSystem::default();
    let walk = OptimiserOverTime::new(&aligned, &correlations, config).unwrap();
    let history = walk.run(KeyOrders::Universe).unwrap();
    assert_eq!(history.positions_on(0), &[0, 0]);
    assert_eq!(history.positions_on(1), &[0, 0]);
    assert_eq!(history.diagnostics[1].n_valid_keys, 0);
    // the 4th and 5th equal direct decisions chained on the previous result
    let order = KeyOrder::universe(2);
    let fourth = walk.decide(2, &[0, 0], &order).unwrap();
    assert_eq!(history.positions_on(2), fourth.positions.as_slice());
    let fifth = walk.decide(3, &fourth.positions, &order).unwrap();
    assert_eq!(history.positions_on(3), fifth.positions.as_slice());
    assert_eq!(
        history.instrument_positions(0),
        vec![0, 0, fourth.positions[0], fifth.positions[0]]
    );
    // with small costs the 4th trades as the hand-worked example (1, −1)
    assert_eq!(fourth.positions, vec![1, -1]);
    assert!(
        history.diagnostics[2]
            .tracking_error_greedy_vs_optimal
            .is_finite()
    );
}

#[test]
fn inconsistent_inputs_are_refused() {
    let p = Portfolio::two();
    let mut unlimited = p.constraints.clone();
    unlimited[1].position_limit = Some(f64::INFINITY);
    let n = 2;
    let correlation = CorrelationMatrix::identity(n);
    let covariance = covariance_from_stdev_and_correlation(&p.stdev, &correlation).unwrap();
    let inputs = OptimiserInputs {
        optimal_contracts: &p.optimal,
        previous_positions: &p.previous,
        per_contract_value: &p.value,
        costs_per_weight: &p.costs,
        covariance: &covariance,
        constraints: &unlimited,
        speed: p.speed,
        key_order: &KeyOrder::universe(n),
    };
    assert!(optimise(&inputs).is_err());
    let short = [0_i64];
    let inputs = OptimiserInputs {
        previous_positions: &short,
        constraints: &p.constraints,
        ..inputs
    };
    assert!(optimise(&inputs).is_err());
    assert!(
        CorrelationHistory::new(
            2,
            vec![
                (day(4), CorrelationMatrix::identity(2)),
                (day(3), CorrelationMatrix::identity(2))
            ]
        )
        .is_err()
    );
}

#[test]
fn landing_exactly_on_an_integer_optimum_is_not_a_failure() {
    // Whole-contract optima: the search ends on the optimum, where the tracking error is (almost)
    // exactly zero and the incremental variance of a candidate comes out at −1e-19; the full form
    // decides. (Two of 20,000 seeded random cases that hit that path.)
    let cases = [
        (
            [-4.0, 5.0, 6.0],
            [0.2426976588273979, 0.20508380262867582, 0.2013702890169317],
            [0.09254396224701147, 0.1809048728066226, 0.11902559095749557],
            0.07030000872397636,
        ),
        (
            [7.0, -7.0, -9.0],
            [
                0.028036790435298033,
                0.23766331608543673,
                0.2628866804659637,
            ],
            [0.1493846938746513, 0.34868170453751224, 0.18323915561559967],
            0.04081417549509392,
        ),
    ];
    for (optimal, value, stdev, rho) in cases {
        let p = Portfolio {
            optimal: optimal.to_vec(),
            previous: vec![0, 0, 0],
            value: value.to_vec(),
            costs: vec![0.0; 3],
            stdev: stdev.to_vec(),
            correlation: vec![1.0, rho, 0.0, rho, 1.0, 0.0, 0.0, 0.0, 1.0],
            constraints: vec![Constraints::default(); 3],
            speed: SpeedControl {
                trade_shadow_cost: 50.0,
                tracking_error_buffer: 0.0,
            },
            order: vec![0, 1, 2],
        };
        let d = p.decide();
        assert_eq!(d.failure, None);
        assert_eq!(greedy_contracts(&d), optimal);
        assert_eq!(d.positions, optimal.map(|x| x as i64));
    }
}
