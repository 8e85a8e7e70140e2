//! Times one production step of the dynamic optimiser for a 200-instrument universe: shrink the
//! correlation matrix, build the covariance, search and buffer. Synthetic, seeded inputs: a
//! five-factor correlation structure, annualised standard deviations of 5–60 %, contracts worth
//! 2.5k–250k (of 500k or 5M capital), optimal positions of random sign making up about a 25 %
//! vol target, costs of 1–5 bp per unit of weight; held positions are the optimiser's answer to
//! another optimum of the same kind.
//!
//! `cargo run --release -p systrade-optimise --example step_timing [INSTRUMENTS] [RUNS]`

#![allow(clippy::print_stdout)]

use std::time::Instant;
use systrade_optimise::{
    Constraints, CorrelationMatrix, KeyOrder, OptimiserInputs, SpeedControl,
    covariance_from_stdev_and_correlation, optimise,
};

/// xorshift64*: uniform in [0, 1).
struct Uniform(u64);

impl Uniform {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.next()
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(200, |a| a.parse().expect("INSTRUMENTS"));
    let runs: usize = args.next().map_or(50, |a| a.parse().expect("RUNS"));
    let mut u = Uniform(0x9e37_79b9_7f4a_7c15);

    // correlation = B Bᵀ off the diagonal, 1 on it, with |B_i| < 1: positive definite
    let factors = 5;
    let loadings: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..factors)
                .map(|f| {
                    let own = if f == i % factors { 0.6 } else { 0.0 };
                    own + u.between(-0.15, 0.15)
                })
                .collect()
        })
        .collect();
    let mut rho = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            rho[i * n + j] = if i == j {
                1.0
            } else {
                loadings[i]
                    .iter()
                    .zip(&loadings[j])
                    .map(|(a, b)| a * b)
                    .sum()
            };
        }
    }
    let correlation = CorrelationMatrix::new(n, rho).unwrap();
    let stdev: Vec<f64> = (0..n).map(|_| u.between(0.05, 0.6)).collect();
    let contract_value: Vec<f64> = (0..n).map(|_| u.between(2_500.0, 250_000.0)).collect();
    // risk weights (weight × σ) of random sign and size up to 0.25 × sqrt(3 / n): the optimal
    // portfolio has about the 25 % vol target
    let risk = 0.25 * (3.0 / n as f64).sqrt();
    let risk_weights: Vec<f64> = (0..n).map(|_| u.between(-risk, risk)).collect();
    let other_risk_weights: Vec<f64> = (0..n).map(|_| u.between(-risk, risk)).collect();
    let costs: Vec<f64> = (0..n).map(|_| u.between(1e-4, 5e-4)).collect();
    let constraints = vec![Constraints::default(); n];
    let key_order = KeyOrder::universe(n);
    let speed = SpeedControl::default();

    for capital in [500_000.0, 5_000_000.0] {
        let value: Vec<f64> = contract_value.iter().map(|v| v / capital).collect();
        let contracts = |risk_weights: &[f64]| -> Vec<f64> {
            (0..n)
                .map(|i| risk_weights[i] / stdev[i] / value[i])
                .collect()
        };
        let (optimal, yesterday) = (contracts(&risk_weights), contracts(&other_risk_weights));
        let step = |optimal: &[f64], previous: &[i64]| {
            let shrunk = correlation.shrink_to_identity(0.5);
            let covariance = covariance_from_stdev_and_correlation(&stdev, &shrunk).unwrap();
            optimise(&OptimiserInputs {
                optimal_contracts: optimal,
                previous_positions: previous,
                per_contract_value: &value,
                costs_per_weight: &costs,
                covariance: &covariance,
                constraints: &constraints,
                speed,
                key_order: &key_order,
            })
            .unwrap()
        };
        // held positions: what the optimiser chose for another optimum, from flat
        let held = step(&yesterday, &vec![0; n]).positions;
        for (label, prior) in [("held positions", held), ("flat", vec![0; n])] {
            let decision = step(&optimal, &prior); // warm-up, and the figures printed below
            let mut times = Vec::with_capacity(runs);
            for _ in 0..runs {
                let start = Instant::now();
                std::hint::black_box(step(&optimal, std::hint::black_box(&prior)));
                times.push(start.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(f64::total_cmp);
            let greedy = decision.greedy.as_ref();
            println!(
                "{n} instruments, capital {capital}, prior {label}: median {:.3} ms, max {:.3} ms \
                 over {runs} runs (search: {} contracts added; TE prior {:.4}; {} positions held, \
                 {} changed)",
                times[runs / 2],
                times[runs - 1],
                greedy.map_or(0, |g| g.steps),
                decision.tracking_error_prior_vs_optimal,
                decision.positions.iter().filter(|&&p| p != 0).count(),
                decision
                    .positions
                    .iter()
                    .zip(&prior)
                    .filter(|(a, b)| a != b)
                    .count(),
            );
        }
    }
}
