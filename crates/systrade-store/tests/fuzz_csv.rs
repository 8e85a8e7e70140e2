//! Property-based fuzzing of the CSV readers every imported value passes through (issue 15):
//! pysystemtrade's price files (adjusted, multiple, FX, roll calendars, per-contract prices) and the
//! config CSVs (instruments, roll parameters, spread costs, the IB mapping). Whatever the bytes,
//! a parser returns rows or an error naming the file; it never panics, and what it accepts obeys
//! the validation rules of docs/ARCHITECTURE.md (finite prices of any sign, HIGH ≥ LOW, sane dates,
//! positive point sizes). Prices may be zero or negative (see the table).
//!
//! Bounded and seeded (fixed case counts and RNG seed, no persisted failures), so it runs the same
//! way, in a few seconds, in every CI run.

use std::path::Path;
use systrade_model::ContractDate;
use systrade_store::{config, pst};
use systrade_test::fuzz::{csv_text, run};

const CASES: u32 = 400;

fn fuzz(name: &str, header: &[&str], check: impl Fn(&Path, &[u8])) {
    let path = Path::new(name);
    run(name, CASES, csv_text(header), |bytes| check(path, &bytes));
}

#[test]
fn pysystemtrade_price_files_never_panic_and_accept_only_valid_rows() {
    fuzz("ADJ.csv", &pst::ADJUSTED_HEADER, |p, b| {
        let _ = pst::parse_adjusted_prices(p, b);
    });
    fuzz("EUR_fx.csv", &pst::FX_HEADER, |p, b| {
        let _ = pst::parse_fx_rates(p, b);
    });
    fuzz("MULT.csv", &pst::MULTIPLE_HEADER, |p, b| {
        let _ = pst::parse_multiple_prices(p, b);
    });
    fuzz("CAL.csv", &pst::ROLL_CALENDAR_HEADER, |p, b| {
        let _ = pst::parse_roll_calendar(p, b);
    });
    let contract = ContractDate::from_id(20201200).expect("contract");
    fuzz("CORN_20201200.csv", &pst::CONTRACT_HEADER, |p, b| {
        if let Ok(prices) = pst::parse_contract_prices(p, b, contract) {
            for bar in &prices {
                for x in [bar.open, bar.high, bar.low, bar.close] {
                    assert!(
                        x.is_nan() || (x.is_finite() && x.abs() <= 1e12),
                        "accepted price {x} in {bar:?}"
                    );
                }
                assert!(
                    bar.high >= bar.low || bar.high.is_nan() || bar.low.is_nan(),
                    "accepted HIGH < LOW in {bar:?}"
                );
                assert!(
                    bar.volume.is_nan() || (0.0..=1e12).contains(&bar.volume),
                    "accepted volume {}",
                    bar.volume
                );
            }
        }
    });
}

#[test]
fn config_files_never_panic_and_accept_only_valid_rows() {
    fuzz(
        "instrumentconfig.csv",
        &config::INSTRUMENT_COLUMNS,
        |p, b| {
            if let Ok(rows) = config::parse_instruments(p, b) {
                for i in rows {
                    assert!(
                        i.pointsize.is_finite() && i.pointsize > 0.0,
                        "accepted point size {}",
                        i.pointsize
                    );
                }
            }
        },
    );
    fuzz("rollconfig.csv", &config::ROLL_COLUMNS, |p, b| {
        let _ = config::parse_roll_parameters(p, b);
    });
    fuzz("spreadcosts.csv", &["Instrument", "SpreadCost"], |p, b| {
        if let Ok(rows) = config::parse_spread_costs(p, b) {
            for r in rows {
                assert!(
                    r.spread_cost.is_finite() && r.spread_cost >= 0.0,
                    "accepted spread {}",
                    r.spread_cost
                );
            }
        }
    });
    fuzz("ibkr.csv", &config::IBKR_COLUMNS, |p, b| {
        if let Ok(rows) = config::parse_ibkr_instruments(p, b) {
            for r in rows {
                assert!(
                    r.price_magnifier().is_finite() && r.price_magnifier() > 0.0,
                    "accepted magnifier {}",
                    r.price_magnifier()
                );
            }
        }
    });
}
