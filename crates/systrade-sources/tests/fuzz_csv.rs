//! Property-based fuzzing of fetch-prices' CSV readers (issue 15): pysystemtrade, Barchart and
//! generic price files and FX files. Whatever the text, a parser returns bars or an error naming
//! the file; it never panics, and every bar it accepts passes the bar validation every entry point
//! shares (`systrade_model::validation`: finite positive prices, HIGH ≥ LOW, volume ≥ 0, dates in
//! range). Bounded and seeded: the same cases, in seconds, in every CI run.

use chrono::NaiveDate;
use systrade_model::{ContractDate, InstrumentCode};
use systrade_sources::csvfmt::{CsvOptions, parse_contract_csv, parse_fx_csv};
use systrade_test::fuzz::{csv_text, run};

const CASES: u32 = 300;

fn options() -> CsvOptions {
    CsvOptions {
        today: NaiveDate::from_ymd_opt(2026, 12, 4),
        ..CsvOptions::default()
    }
}

#[test]
fn price_files_never_panic_and_accept_only_valid_bars() {
    let corn = InstrumentCode::new("CORN").expect("code");
    let contract = ContractDate::from_id(20261200).expect("contract");
    let headers: [&[&str]; 4] = [
        &["DATETIME", "OPEN", "HIGH", "LOW", "FINAL", "VOLUME"],
        &["Time", "Open", "High", "Low", "Last", "Volume"],
        &["date", "open", "high", "low", "close", "volume"],
        &["date", "contract", "open", "high", "low", "close", "volume"],
    ];
    let opts = options();
    for header in headers {
        run(&header.join(","), CASES, csv_text(header), |bytes| {
            let text = String::from_utf8_lossy(&bytes);
            for contract in [Some(contract), None] {
                if let Ok(series) = parse_contract_csv("CORN.csv", &text, &corn, contract, &opts) {
                    for s in &series {
                        for bar in &s.bars {
                            assert!(
                                bar.validate(opts.today).is_ok(),
                                "accepted an invalid bar {bar:?} from {text:?}"
                            );
                        }
                    }
                }
            }
        });
    }
}

#[test]
fn fx_files_never_panic_and_accept_only_positive_rates() {
    let opts = options();
    for header in [&["DATETIME", "PRICE"][..], &["date", "rate"][..]] {
        run(&header.join(","), CASES, csv_text(header), |bytes| {
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(fx) = parse_fx_csv("EURUSD.csv", &text, "EUR", &opts) {
                for p in &fx.points {
                    assert!(
                        p.validate(opts.today).is_ok(),
                        "accepted an invalid rate {p:?} from {text:?}"
                    );
                }
            }
        });
    }
}
