//! Parity with pysystemtrade's own dynamically optimised run
//! (`../shared/pst-reference/dynamic_optimisation`, 8 instruments, 500k USD, 1972–2023): the 29
//! sample dates with every intermediate, and the whole history driven by the reference's inputs.

#![allow(clippy::print_stderr)] // parity tests report what they measured

use chrono::NaiveDate;
use serde_json::Value;
use std::path::{Path, PathBuf};
use systrade_model::Timestamp;
use systrade_optimise::{
    AlignedInputs, CorrelationHistory, CorrelationMatrix, Decision, InstrumentHistory, KeyOrder,
    KeyOrders, OptimiserOverTime, SmallSystem, SpeedControl, common_index,
    costs::{
        cost_deflator, cost_per_notional_weight_as_proportion_of_capital, deflator_on_dates,
        last_value,
    },
    covariance_from_stdev_and_correlation, optimise,
};
use systrade_series::DailySeries;
use systrade_test::{CsvTable, close_f64, read_csv, same_f64};

/// Relative tolerance for continuous quantities (the README's "about 1e-9"; summation orders
/// differ from numpy's BLAS).
const REL: f64 = 1e-9;
const ABS: f64 = 1e-15;
const CAPITAL: f64 = 500_000.0;

fn reference_dir(test: &str) -> Option<PathBuf> {
    let root = systrade_test::require_pst_reference(test)?;
    let dir = root.join("dynamic_optimisation");
    if !dir.is_dir() {
        eprintln!("SKIPPED {test}: {} not found", dir.display());
        return None;
    }
    Some(dir)
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").unwrap_or_else(|_| panic!("bad date {s}"))
}

/// A number of the reference JSON (quoted by [`json`]); `null` is NaN.
fn num(v: &Value) -> f64 {
    match v {
        Value::Null => f64::NAN,
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
        other => panic!("not a number: {other}"),
    }
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(num).collect()
}

/// Reads a JSON file with every number kept as its text: serde_json's default float parser can be
/// off in the last bits, and these numbers are exact doubles written by Python's `repr`.
fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let mut quoted = String::with_capacity(text.len() + text.len() / 4);
    let (mut in_string, mut escaped, mut in_number) = (false, false, false);
    for ch in text.chars() {
        if in_string {
            in_string = ch != '"' || escaped;
            escaped = ch == '\\' && !escaped;
        } else {
            let starts = !in_number && (ch.is_ascii_digit() || ch == '-');
            let ends =
                in_number && !(ch.is_ascii_digit() || matches!(ch, '-' | '+' | '.' | 'e' | 'E'));
            if starts || ends {
                quoted.push('"');
                in_number = starts;
            }
            in_string = ch == '"';
        }
        quoted.push(ch);
    }
    serde_json::from_str(&quoted).unwrap()
}

/// Universe order: the columns of the reference's matrices (instruments sorted by code).
fn universe(sample: &Value) -> Vec<String> {
    sample["correlation_raw"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

fn by_name(dict: &Value, names: &[String]) -> Vec<f64> {
    names.iter().map(|n| num(&dict[n.as_str()])).collect()
}

fn matrix(v: &Value, names: &[String]) -> Vec<f64> {
    let columns: Vec<&str> = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        names.iter().map(String::as_str).collect::<Vec<_>>()
    );
    v["values"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(nums)
        .collect()
}

fn key_indices(keys: &[&str], names: &[String]) -> Vec<usize> {
    keys.iter()
        .map(|k| names.iter().position(|n| n == k).expect("known instrument"))
        .collect()
}

fn assert_same(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(same_f64(*g, *w), "{what}[{k}]: {g:e} vs {w:e}");
    }
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let mut worst: f64 = 0.0;
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(close_f64(*g, *w, REL, ABS), "{what}[{k}]: {g:e} vs {w:e}");
        if g.is_finite() && *w != 0.0 {
            worst = worst.max(((g - w) / w).abs());
        }
    }
    worst
}

#[test]
fn sample_dates_match_every_intermediate() {
    let Some(dir) = reference_dir("sample_dates_match_every_intermediate") else {
        return;
    };
    let samples = json(&dir.join("optimiser/sample_dates.json"));
    let correlations = read_correlations(&dir);
    let dates = samples["dates"].as_array().unwrap();
    assert_eq!(dates.len(), 29);
    let mut worst: f64 = 0.0;
    for s in dates {
        let when = s["date"].as_str().unwrap();
        let names = universe(s);
        let n = names.len();
        let at = |what: &str| format!("{when} {what}");

        // the raw matrix is the latest period starting on or before the date (identity before)
        let raw = CorrelationMatrix::new(n, matrix(&s["correlation_raw"], &names)).unwrap();
        let from_file = correlations
            .history
            .on(date(when))
            .cloned()
            .unwrap_or_else(|| CorrelationMatrix::identity(n));
        assert_same(
            &at("correlation_raw vs all periods"),
            raw.values(),
            from_file.values(),
        );
        let shrunk = raw.shrink_to_identity(0.5);
        assert_same(
            &at("correlation_shrunk"),
            shrunk.values(),
            &matrix(&s["correlation_shrunk"], &names),
        );
        let stdev = by_name(&s["stdev_annualised"], &names);
        let covariance = covariance_from_stdev_and_correlation(&stdev, &shrunk).unwrap();
        assert_same(
            &at("covariance"),
            covariance.values(),
            &matrix(&s["covariance"], &names),
        );

        let keys: Vec<&str> = s["keys_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        let key_order = KeyOrder::with_first(n, &key_indices(&keys, &names)).unwrap();
        let previous: Vec<i64> = by_name(&s["previous_positions"], &names)
            .iter()
            .map(|&p| p as i64)
            .collect();
        let constraints = vec![Default::default(); n];
        let decision = optimise(&systrade_optimise::OptimiserInputs {
            optimal_contracts: &by_name(&s["contracts_optimal"], &names),
            previous_positions: &previous,
            per_contract_value: &by_name(&s["per_contract_value"], &names),
            costs_per_weight: &by_name(&s["costs_per_weight"], &names),
            covariance: &covariance,
            constraints: &constraints,
            speed: SpeedControl {
                trade_shadow_cost: num(&s["trade_shadow_cost"]),
                tracking_error_buffer: num(&s["tracking_error_buffer"]),
            },
            key_order: &key_order,
        })
        .unwrap();
        assert_eq!(decision.failure, None, "{when}");
        let p = &decision.problem;
        assert_eq!(
            p.keys,
            key_indices(&keys, &names),
            "{when}: valid keys in pysystemtrade's order"
        );
        assert_same(
            &at("weights_optimal"),
            &p.weights_optimal,
            &nums(&s["weights_optimal_np"]),
        );
        assert_same(
            &at("weights_prior"),
            &p.weights_prior,
            &nums(&s["weights_prior_np"]),
        );
        assert_same(
            &at("per_contract_value"),
            &p.per_contract_value,
            &nums(&s["per_contract_value_np"]),
        );
        assert_same(&at("costs"), &p.costs, &nums(&s["costs_np"]));
        let field = |f: fn(&systrade_optimise::constraints::Bounds) -> f64| -> Vec<f64> {
            p.bounds.iter().map(f).collect()
        };
        assert_same(
            &at("direction"),
            &field(|b| b.direction),
            &nums(&s["direction_np"]),
        );
        assert_same(&at("minima"), &field(|b| b.minimum), &nums(&s["minima_np"]));
        assert_same(&at("maxima"), &field(|b| b.maximum), &nums(&s["maxima_np"]));
        assert_same(
            &at("start"),
            &field(|b| b.start),
            &nums(&s["starting_weights_np"]),
        );
        let cov_np: Vec<f64> = s["covariance_np"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(nums)
            .collect();
        assert_same(&at("covariance_np"), &p.covariance, &cov_np);

        worst = worst.max(assert_close(
            &at("te prior vs optimal"),
            &[decision.tracking_error_prior_vs_optimal],
            &[num(&s["tracking_error_of_prior_vs_optimal"])],
        ));
        assert_eq!(
            decision.prior_within_buffer,
            s["prior_within_buffer"].as_bool().unwrap(),
            "{when}: prior within buffer"
        );
        match &decision.greedy {
            None => assert!(
                s.get("greedy_weights_np").is_none(),
                "{when}: greedy ran there"
            ),
            Some(g) => {
                // greedy weights are sums of per-contract values: the same path gives the same bits
                assert_same(
                    &at("greedy weights"),
                    &g.weights,
                    &nums(&s["greedy_weights_np"]),
                );
                assert_same(
                    &at("greedy positions"),
                    &g.positions(p),
                    &nums(&s["greedy_positions_np"]),
                );
                for (what, got, key) in [
                    ("greedy objective", g.objective, "greedy_objective"),
                    (
                        "greedy te",
                        g.tracking_error_vs_optimal,
                        "greedy_tracking_error_vs_optimal",
                    ),
                    ("greedy costs", g.costs_term, "greedy_costs_term"),
                    (
                        "te prior vs greedy",
                        g.tracking_error_prior_vs_greedy,
                        "tracking_error_prior_vs_greedy",
                    ),
                    ("adj factor", g.adj_factor, "adj_factor"),
                ] {
                    worst = worst.max(assert_close(&at(what), &[got], &[num(&s[key])]));
                }
                assert_same(
                    &at("final weights"),
                    &decision.final_weights,
                    &nums(&s["final_weights_np"]),
                );
            }
        }
        let want: Vec<i64> = by_name(&s["final_positions"], &names)
            .iter()
            .map(|&p| p as i64)
            .collect();
        assert_eq!(decision.positions, want, "{when}: final positions");
        assert!(s["matches_exported"].as_bool().unwrap());
    }
    eprintln!("sample dates: worst relative deviation of continuous intermediates {worst:e}");
}

/// The weekly correlation matrices of `optimiser_correlations_all_periods.csv.gz` (upper triangle
/// `A|B` per period; the diagonal is 1).
struct Correlations {
    names: Vec<String>,
    history: CorrelationHistory,
}

fn read_correlations(dir: &Path) -> Correlations {
    let t = read_csv(&dir.join("portfolio/optimiser_correlations_all_periods.csv.gz"));
    let pairs: Vec<(usize, &str, &str)> = t
        .header
        .iter()
        .enumerate()
        .filter_map(|(c, h)| h.split_once('|').map(|(a, b)| (c, a, b)))
        .collect();
    let mut names: Vec<String> = pairs
        .iter()
        .flat_map(|(_, a, b)| [a.to_string(), b.to_string()])
        .collect();
    names.sort();
    names.dedup();
    let n = names.len();
    let idx = |s: &str| names.iter().position(|x| x == s).unwrap();
    let index = t.column("index");
    let periods = t
        .rows
        .iter()
        .map(|row| {
            let mut m = CorrelationMatrix::identity(n).values().to_vec();
            for &(c, a, b) in &pairs {
                let v = systrade_test::parse_f64_or_nan(&row[c]);
                let (i, j) = (idx(a), idx(b));
                m[i * n + j] = v;
                m[j * n + i] = v;
            }
            (date(&row[index]), CorrelationMatrix::new(n, m).unwrap())
        })
        .collect();
    Correlations {
        history: CorrelationHistory::new(n, periods).unwrap(),
        names,
    }
}

/// One instrument's reference columns, each on the index of the file that holds it.
struct InstrumentFiles {
    dir: PathBuf,
    files: Value,
    tables: std::collections::HashMap<String, CsvTable>,
}

impl InstrumentFiles {
    fn new(dir: &Path, code: &str, summary: &Value) -> Self {
        Self {
            dir: dir.join("instruments").join(code),
            files: summary["per_instrument"][code]["files"].clone(),
            tables: Default::default(),
        }
    }

    fn series(&mut self, column: &str) -> DailySeries {
        let file = self.files[column]
            .as_str()
            .expect("column listed")
            .to_string();
        let dir = &self.dir;
        let t = self
            .tables
            .entry(file.clone())
            .or_insert_with(|| read_csv(&dir.join(&file)));
        let dates = t.str_column("index").iter().map(|s| date(s)).collect();
        DailySeries::new(dates, t.f64_column(column))
    }

    /// A column whose index holds timestamps.
    fn stamped(&mut self, column: &str) -> (Vec<Timestamp>, Vec<f64>) {
        let file = self.files[column]
            .as_str()
            .expect("column listed")
            .to_string();
        let t = read_csv(&self.dir.join(&file));
        let stamps = t
            .str_column("index")
            .iter()
            .map(|s| Timestamp::parse(s).unwrap_or_else(|_| Timestamp::from_date(date(s))))
            .collect();
        (stamps, t.f64_column(column))
    }
}

/// A wide reference table (`index` + one column per instrument) as rows in `names` order.
fn wide(path: &Path, names: &[String]) -> (Vec<NaiveDate>, Vec<Vec<f64>>) {
    let t = read_csv(path);
    let dates = t.str_column("index").iter().map(|s| date(s)).collect();
    let columns: Vec<Vec<f64>> = names.iter().map(|n| t.f64_column(n)).collect();
    (dates, columns)
}

/// The raw (timestamped, back-adjusted) price pysystemtrade's `get_raw_price` returns.
fn raw_price(pst_data: &Path, code: &str) -> (Vec<Timestamp>, Vec<f64>) {
    let t = read_csv(&pst_data.join(format!("adjusted_prices_csv/{code}.csv.gz")));
    let stamps = t
        .str_column("DATETIME")
        .iter()
        .map(|s| Timestamp::parse(s).unwrap())
        .collect();
    (stamps, t.f64_column("price"))
}

/// The whole history: the optimiser driven by the reference's own inputs (optimal positions,
/// per-contract values from the underlying prices and FX, standard deviations, cost deflators
/// from the raw prices, weekly correlations, pysystemtrade's key order per date) reproduces its
/// optimised positions on every instrument-day, and each date's diagnostics.
#[test]
fn whole_history_matches_pysystemtrade() {
    let test = "whole_history_matches_pysystemtrade";
    let Some(dir) = reference_dir(test) else {
        return;
    };
    let summary = json(&dir.join("summary.json"));
    let correlations = read_correlations(&dir);
    let names = correlations.names.clone();
    let n = names.len();
    let (dates, reference_positions) =
        wide(&dir.join("portfolio/optimised_position.csv.gz"), &names);
    let (value_dates, reference_values) = wide(
        &dir.join("portfolio/optimiser_per_contract_value.csv.gz"),
        &names,
    );
    let (deflator_dates, reference_deflators) = wide(
        &dir.join("portfolio/optimiser_cost_deflator.csv.gz"),
        &names,
    );
    assert_eq!(value_dates, dates);
    assert_eq!(deflator_dates, dates);
    let pst_data =
        systrade_test::require_pst_data(&format!("{test}: cost deflators from raw prices"));

    let mut instruments = Vec::new();
    let mut worst_deflator = 0.0_f64;
    for (i, code) in names.iter().enumerate() {
        let s = &summary["per_instrument"][code.as_str()];
        let mut files = InstrumentFiles::new(&dir, code, &summary);
        let optimal_contracts = files.series("notional_position_before_risk_scaling");

        // per-contract value: fx (as of each price date) × underlying price × point value / capital
        let price = files.series("underlying_price");
        // FX rates are timestamped (a few intraday stamps): as of each price date at 00:00
        let (fx_stamps, fx) = files.stamped("fx_rate");
        let price_stamps: Vec<Timestamp> = price
            .dates
            .iter()
            .map(|&d| Timestamp::from_date(d))
            .collect();
        let fx_on_price = systrade_series::reindex_ffill(&fx_stamps, &fx, &price_stamps);
        let value = price.with_values(
            systrade_portfolio::risk_overlay::per_contract_value_as_proportion_of_capital(
                &price.values,
                &fx_on_price,
                num(&s["value_of_block_price_move"]),
                CAPITAL,
            ),
        );
        let aligned_value = systrade_series::bfill(&systrade_series::ffill(
            &systrade_series::reindex(&value.dates, &value.values, &dates),
        ));
        assert_same(
            &format!("{code} per-contract value"),
            &aligned_value,
            &reference_values[i],
        );

        // the constant cost per unit of weight, from the last price and FX
        let last_value_of_contract = last_value(&value.values);
        assert_same(
            &format!("{code} last per-contract value"),
            &[last_value_of_contract],
            &[num(
                &s["optimiser_current_contract_value_as_proportion_of_capital"],
            )],
        );
        assert_same(
            &format!("{code} last fx"),
            &[last_value(&fx)],
            &[num(&s["optimiser_last_fx_rate"])],
        );
        let costs = &s["raw_costs"];
        let (point, last_price) = (
            num(&s["value_of_block_price_move"]),
            num(&s["optimiser_final_price"]),
        );
        let commission = [
            num(&costs["value_of_pertrade_commission"]),
            num(&costs["percentage_cost"]) * (last_price * point),
        ]
        .into_iter()
        .fold(num(&costs["value_of_block_commission"]), |m, c| {
            if c > m { c } else { m }
        });
        let per_contract = systrade_optimise::costs::cost_per_contract_in_base_ccy(
            num(&costs["price_slippage"]) * point + commission,
            num(&s["optimiser_last_fx_rate"]),
        );
        assert_close(
            &format!("{code} cost per contract"),
            &[per_contract],
            &[num(&s["optimiser_cost_per_contract_in_base_ccy"])],
        );
        let constant = cost_per_notional_weight_as_proportion_of_capital(
            num(&s["optimiser_cost_per_contract_in_base_ccy"]),
            1.0,
            last_value_of_contract,
            CAPITAL,
        );
        assert_same(
            &format!("{code} cost per unit of weight"),
            &[constant],
            &[num(
                &s["optimiser_cost_per_notional_weight_as_proportion_of_capital"],
            )],
        );

        // cost deflator from the raw price; without pst-data, the exported one
        let cost_deflator = match &pst_data {
            Some(data) => {
                let (stamps, values) = raw_price(data, code);
                assert_same(
                    &format!("{code} final price"),
                    &[last_value(&values)],
                    &[num(&s["optimiser_final_price"])],
                );
                let deflator = cost_deflator(&stamps, &values);
                // pandas' rolling variance and ours agree to rounding (a few 1e-16 relative)
                worst_deflator = worst_deflator.max(assert_close(
                    &format!("{code} cost deflator"),
                    &deflator_on_dates(&deflator, &dates),
                    &reference_deflators[i],
                ));
                deflator
            }
            None => DailySeries::new(dates.clone(), reference_deflators[i].clone()),
        };

        let pct_vol = files.series("daily_percentage_volatility");
        let annualised_stdev = pct_vol.with_values(
            systrade_portfolio::risk_overlay::annualised_percentage_vol(&pct_vol.values),
        );
        instruments.push(InstrumentHistory {
            optimal_contracts,
            per_contract_value: value,
            annualised_stdev,
            cost_deflator,
            cost_per_notional_weight: constant,
            constraints: Default::default(),
        });
    }
    if pst_data.is_some() {
        eprintln!("cost deflators from raw prices: worst relative deviation {worst_deflator:e}");
    }
    assert_eq!(common_index(&instruments), dates, "common_index");

    // pysystemtrade's key order per date
    let diag = read_csv(&dir.join("optimiser/per_date_diagnostics.csv.gz"));
    assert_eq!(
        diag.str_column("index")
            .iter()
            .map(|s| date(s))
            .collect::<Vec<_>>(),
        dates
    );
    let orders: Vec<KeyOrder> = diag
        .str_column("valid_keys")
        .iter()
        .map(|keys| {
            let keys: Vec<&str> = keys.split('|').filter(|k| !k.is_empty()).collect();
            KeyOrder::with_first(n, &key_indices(&keys, &names)).unwrap()
        })
        .collect();

    let aligned = AlignedInputs::new(dates.clone(), &instruments).unwrap();
    let optimiser =
        OptimiserOverTime::new(&aligned, &correlations.history, SmallSystem::default()).unwrap();
    let started = std::time::Instant::now();
    let history = optimiser.run(KeyOrders::PerDate(&orders)).unwrap();
    let elapsed = started.elapsed();

    // positions: every instrument-day
    let mut differences = Vec::new();
    for (i, code) in names.iter().enumerate() {
        let ours = history.instrument_positions(i);
        for (t, (&got, &want)) in ours.iter().zip(&reference_positions[i]).enumerate() {
            if got as f64 != want {
                differences.push(format!("{} {code}: {got} vs {want}", dates[t]));
            }
        }
    }
    let total = dates.len() * n;
    eprintln!(
        "whole history: {} dates x {n} instruments in {:.3} s, {} of {total} instrument-days differ",
        dates.len(),
        elapsed.as_secs_f64(),
        differences.len()
    );
    // The acceptance bar is 99.9 % with every difference explained; there are none to explain.
    assert!(
        differences.is_empty(),
        "differences:\n{}",
        differences.join("\n")
    );
    assert!(history.diagnostics.iter().all(|d| d.failure.is_none()));

    // diagnostics of every date, each date decided from pysystemtrade's previous positions
    let column = |name: &str| diag.f64_column(name);
    let (te_prior, within, n_valid) = (
        column("te_prior_vs_optimal"),
        column("prior_within_buffer"),
        column("n_valid_keys"),
    );
    let (te_greedy, costs_greedy, te_prior_greedy, adj) = (
        column("te_greedy_vs_optimal"),
        column("costs_term_greedy"),
        column("te_prior_vs_greedy"),
        column("adj_factor"),
    );
    let greedy_positions: Vec<Vec<f64>> = names
        .iter()
        .map(|code| column(&format!("greedy_position__{code}")))
        .collect();
    let (mut worst, mut searched) = (0.0_f64, 0);
    let mut previous = vec![0_i64; n];
    for t in 0..dates.len() {
        let at = |what: &str| format!("{} {what}", dates[t]);
        let decision: Decision = optimiser.decide(t, &previous, &orders[t]).unwrap();
        assert_eq!(
            decision.positions,
            history.positions_on(t),
            "{}",
            at("positions")
        );
        let compact = &history.diagnostics[t];
        assert_eq!(compact.n_valid_keys, decision.problem.len());
        assert_eq!(
            decision.problem.len() as f64,
            n_valid[t],
            "{}",
            at("n_valid_keys")
        );
        assert_eq!(
            decision.problem.keys,
            &orders[t].as_slice()[..decision.problem.len()],
            "{}",
            at("valid keys")
        );
        assert_eq!(
            decision.prior_within_buffer,
            within[t] == 1.0,
            "{}",
            at("within buffer")
        );
        worst = worst.max(assert_close(
            &at("te prior vs optimal"),
            &[
                decision.tracking_error_prior_vs_optimal,
                compact.tracking_error_prior_vs_optimal,
            ],
            &[te_prior[t], te_prior[t]],
        ));
        match &decision.greedy {
            None => assert!(te_greedy[t].is_nan(), "{}", at("greedy ran there")),
            Some(g) => {
                searched += 1;
                let got = [
                    g.tracking_error_vs_optimal,
                    g.costs_term,
                    g.tracking_error_prior_vs_greedy,
                    g.adj_factor,
                ];
                let want = [te_greedy[t], costs_greedy[t], te_prior_greedy[t], adj[t]];
                worst = worst.max(assert_close(&at("greedy diagnostics"), &got, &want));
                let by_instrument = g.positions(&decision.problem);
                for (k, &i) in decision.problem.keys.iter().enumerate() {
                    assert!(
                        close_f64(by_instrument[k], greedy_positions[i][t], REL, 1e-9),
                        "{}: {} {} vs {}",
                        at("greedy position"),
                        names[i],
                        by_instrument[k],
                        greedy_positions[i][t]
                    );
                }
            }
        }
        previous = reference_positions.iter().map(|p| p[t] as i64).collect();
    }
    eprintln!("whole history diagnostics: {searched} searches, worst relative deviation {worst:e}");
}
