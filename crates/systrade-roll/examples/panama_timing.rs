//! Times Panama stitching alone (no Parquet, no writes) over every shipped multiple-prices file of
//! `../shared/pst-data`: `cargo run --release -p systrade-roll --example panama_timing`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;
use systrade_model::{ContractDate, MultiplePrices, MultiplePricesRow, Timestamp};

fn main() {
    let Some(dir) = systrade_test::require_pst_data("panama_timing") else {
        return;
    };
    let mut all: Vec<MultiplePrices> = Vec::new();
    for entry in std::fs::read_dir(dir.join("multiple_prices_csv")).unwrap() {
        let t = systrade_test::read_csv(&entry.unwrap().path());
        let c = |s: &str| ContractDate::from_id(s.parse::<f64>().unwrap() as i64).unwrap();
        let (ts, p, f, k) = (
            t.str_column("DATETIME"),
            t.f64_column("PRICE"),
            t.f64_column("FORWARD"),
            t.f64_column("CARRY"),
        );
        let (pc, fc, kc) = (
            t.str_column("PRICE_CONTRACT"),
            t.str_column("FORWARD_CONTRACT"),
            t.str_column("CARRY_CONTRACT"),
        );
        all.push(
            (0..ts.len())
                .map(|i| MultiplePricesRow {
                    timestamp: Timestamp::parse(ts[i]).unwrap(),
                    price: p[i],
                    price_contract: c(pc[i]),
                    forward: f[i],
                    forward_contract: c(fc[i]),
                    carry: k[i],
                    carry_contract: c(kc[i]),
                })
                .collect(),
        );
    }
    let rows: usize = all.iter().map(Vec::len).sum();
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        let mut n = 0;
        for m in &all {
            // forward fill costs a copy; time the default (222 of 226 instruments)
            n += systrade_roll::panama_adjust(m, false).map_or(0, |a| a.len());
        }
        best = best.min(start.elapsed().as_secs_f64());
        assert!(n > 0);
    }
    println!(
        "panama_adjust: {} instruments, {rows} rows, best of 5: {:.1} ms (one thread)",
        all.len(),
        best * 1e3
    );
}
