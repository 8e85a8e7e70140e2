//! The optimiser's (and the risk overlay's) instrument-returns correlations
//! (`get_list_of_instrument_returns_correlations`, pysystemtrade's default
//! `instrument_returns_correlation`) from the reference's daily percentage returns equal every
//! weekly matrix of `../shared/pst-reference/dynamic_optimisation` (2 654 periods, 8 instruments).

#![allow(clippy::print_stderr)] // parity tests report what they measured

use chrono::NaiveDate;
use systrade_portfolio::risk_overlay::CorrelationWalk;
use systrade_series::index::union_all;
use systrade_series::{DailySeries, WeeklyBins};
use systrade_test::read_csv;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").unwrap_or_else(|_| panic!("bad date {s}"))
}

const NAMES: [&str; 8] = [
    "CORN",
    "CRUDE_W",
    "EUR",
    "EUROSTX",
    "GOLD",
    "SOFR",
    "SP500_micro",
    "US10",
];

#[test]
fn weekly_correlations_match_pysystemtrade() {
    let test = "weekly_correlations_match_pysystemtrade";
    let Some(root) = systrade_test::require_pst_reference(test) else {
        return;
    };
    let dir = root.join("dynamic_optimisation");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let returns: Vec<DailySeries> = NAMES
        .iter()
        .map(|code| {
            let file = summary["per_instrument"][code]["files"]["daily_percentage_returns"]
                .as_str()
                .unwrap();
            let t = read_csv(&dir.join(format!("instruments/{code}/{file}")));
            let dates = t.str_column("index").iter().map(|s| date(s)).collect();
            DailySeries::new(dates, t.f64_column("daily_percentage_returns"))
        })
        .collect();
    let dates = union_all(returns.iter().map(|r| &r.dates[..]));
    let bins = WeeklyBins::new(&dates);
    let weekly: Vec<Vec<f64>> = returns
        .iter()
        .map(|r| bins.weekly_returns(&dates, r))
        .collect();
    let mut walk = CorrelationWalk::new(&bins.labels, weekly.iter().map(Vec::as_slice).collect());
    let t = read_csv(&dir.join("portfolio/optimiser_correlations_all_periods.csv.gz"));
    let starts: Vec<NaiveDate> = t.str_column("index").iter().map(|s| date(s)).collect();
    // the period starts are the weekly labels but the last
    assert_eq!(starts[..], bins.labels[..bins.labels.len() - 1]);
    let n = NAMES.len();
    let (mut checked, mut worst) = (0usize, 0.0_f64);
    for (k, start) in starts.iter().enumerate() {
        let (m, _) = walk.on(*start);
        for i in 0..n {
            for j in i + 1..n {
                let column = t.column(&format!("{}|{}", NAMES[i], NAMES[j]));
                let want = systrade_test::parse_f64_or_nan(&t.rows[k][column]);
                let got = m[i * n + j];
                assert!(
                    (got.is_nan() && want.is_nan()) || (got - want).abs() <= 1e-12,
                    "{start} {}|{}: {got} vs {want}",
                    NAMES[i],
                    NAMES[j]
                );
                if got.is_finite() {
                    worst = worst.max((got - want).abs());
                }
                checked += 1;
            }
        }
    }
    eprintln!(
        "{} periods, {checked} correlations, worst absolute deviation {worst:e}",
        starts.len()
    );
}
