//! `backtest` as a process on real files: parity with pysystemtrade's simple system (Sharpe ratios
//! and daily portfolio returns from `../shared/pst-reference/simple_system`), the HTML report in
//! headless Chromium, the book config on all of pst-data, and failure handling.

#![allow(clippy::print_stderr)] // tests report what they measured and why they skip

mod estimated;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// Path of another workspace binary (import-pst, compute-forecasts), built on demand when a
/// narrow `cargo test -p backtest` has not built it.
pub fn other_bin(name: &str) -> PathBuf {
    let path = assert_cmd::cargo::cargo_bin(name);
    if !path.exists() {
        let release = path.components().any(|c| c.as_os_str() == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "-q", "-p", name]);
        if release {
            cmd.arg("--release");
        }
        assert!(cmd.status().unwrap().success(), "cargo build -p {name}");
    }
    path
}

/// Imports `instruments` (all when empty) of pst-data into `data` with the import-pst binary.
pub fn import(pst: &Path, data: &Path, instruments: &[&str]) {
    let mut cmd = std::process::Command::new(other_bin("import-pst"));
    cmd.arg(pst).arg("--data-dir").arg(data).arg("-q");
    if !instruments.is_empty() {
        cmd.arg("--instruments").arg(instruments.join(","));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "import-pst: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn backtest(data: &Path) -> Command {
    let mut cmd = Command::cargo_bin("backtest").unwrap();
    cmd.arg("--data-dir").arg(data).arg("--no-progress");
    cmd
}

fn reference_root(test: &str) -> Option<(PathBuf, PathBuf)> {
    let data = systrade_test::require_pst_data(test)?;
    let reference = systrade_test::require_pst_reference(test)?.join("simple_system");
    Some((data, reference))
}

const SIMPLE: [&str; 4] = ["CORN", "SOFR", "SP500", "US10"];

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn simple_system_matches_pysystemtrade() {
    let Some((pst, reference)) = reference_root("simple_system_matches_pysystemtrade") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    import(&pst, &data, &SIMPLE);
    let out_dir = tmp.path().join("out");
    let out = backtest(&data)
        .arg("--config")
        .arg(reference.join("config.yaml"))
        .args(["--format", "json", "--output"])
        .arg(&out_dir)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let ours: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reference.join("summary.json")).unwrap())
            .unwrap();
    let port = &summary["portfolio"];
    for (ours_v, key) in [
        (&ours["portfolio"]["net"]["sharpe"], "sharpe_net"),
        (&ours["portfolio"]["gross"]["sharpe"], "sharpe_gross"),
        (&ours["portfolio"]["net"]["ann_mean"], "ann_return_pct_net"),
        (&ours["portfolio"]["net"]["ann_std"], "ann_std_pct_net"),
    ] {
        let (a, b) = (num(ours_v), num(&port[key]));
        assert!(
            systrade_test::close_f64(a, b, 1e-6, 0.0),
            "portfolio {key}: {a} vs {b}"
        );
        eprintln!("portfolio {key}: {a} (reference {b})");
    }
    for code in SIMPLE {
        let info = &summary["per_instrument"][code];
        for (which, key) in [
            ("net", "pandl_percent_net"),
            ("gross", "pandl_percent_gross"),
        ] {
            let a = num(&ours["instruments"][code][which]["sharpe"]);
            let b = num(&info[key]["sharpe"]);
            assert!(
                systrade_test::close_f64(a, b, 1e-6, 0.0),
                "{code} {which} sharpe: {a} vs {b}"
            );
        }
        assert!(ours["instruments"][code]["net"]["ann_mean"].is_number());
        assert!(ours["instruments"][code]["net"]["ann_std"].is_number());
    }

    // daily portfolio returns, independently read
    let r = systrade_test::read_csv(&reference.join("portfolio/portfolio_pandl_daily.csv.gz"));
    let o = systrade_test::read_csv(&out_dir.join("portfolio.csv"));
    assert_eq!(o.header, ["date", "gross", "net", "costs"]);
    assert_eq!(o.str_column("date"), r.str_column("index"), "dates");
    let (mut worst, mut worst_abs) = (0.0_f64, 0.0_f64);
    for (ours_col, ref_col) in [
        ("gross", "gross_percent"),
        ("net", "net_percent"),
        ("costs", "costs_percent"),
    ] {
        let (a, b) = (o.f64_column(ours_col), r.f64_column(ref_col));
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                systrade_test::close_f64(*x, *y, 1e-9, 1e-13),
                "{ours_col} row {i}: {x} vs {y}"
            );
            if !x.is_nan() {
                worst_abs = worst_abs.max((x - y).abs());
                if y.abs() > 1e-9 {
                    worst = worst.max(((x - y) / y).abs());
                }
            }
        }
    }
    eprintln!(
        "portfolio.csv: {} days x 3 columns, worst relative error {worst:.2e} (values above 1e-9), worst absolute error {worst_abs:.2e}",
        a_len(&o)
    );

    // instruments.parquet: per instrument rows, read back with the store's reader; net P&L in
    // base currency sums to the reference portfolio's, gross + costs = net, and the forecast is
    // the reference's combined forecast on every date both have
    let rows = systrade_store::backtest_instruments::read_backtest_instruments(
        &out_dir.join("instruments.parquet"),
    )
    .unwrap();
    assert!(
        !out_dir.join("instruments.csv").exists(),
        "Parquet instead of CSV"
    );
    for code in SIMPLE {
        assert!(
            rows.iter().any(|r| r.instrument == code),
            "{code} in instruments.parquet"
        );
    }
    assert!(
        rows.iter()
            .all(|r| r.position.is_nan() || r.position.fract() == 0.0),
        "rounded positions"
    );
    for r in &rows {
        if !r.pnl_net.is_nan() {
            // net = gross.add(costs, fill_value=0), as pysystemtrade
            let sum = r.pnl_gross
                + if r.pnl_costs.is_nan() {
                    0.0
                } else {
                    r.pnl_costs
                };
            assert!(
                systrade_test::close_f64(sum, r.pnl_net, 1e-9, 1e-9),
                "{} {}: gross {} + costs {} vs net {}",
                r.instrument,
                r.date,
                r.pnl_gross,
                r.pnl_costs,
                r.pnl_net
            );
        }
    }
    let base_net = r.f64_column("net_base");
    let total_ours: f64 = rows.iter().map(|r| r.pnl_net).filter(|v| !v.is_nan()).sum();
    let total_ref: f64 = base_net.iter().filter(|v| !v.is_nan()).sum();
    assert!(
        systrade_test::close_f64(total_ours, total_ref, 1e-9, 1e-6),
        "total net P&L {total_ours} vs {total_ref}"
    );
    let mut compared = 0;
    for code in SIMPLE {
        let daily =
            systrade_test::read_csv(&reference.join(format!("instruments/{code}/daily.csv.gz")));
        let forecast: std::collections::HashMap<&str, f64> = daily
            .str_column("index")
            .into_iter()
            .zip(daily.f64_column("combined_forecast"))
            .collect();
        for row in rows.iter().filter(|r| r.instrument == code) {
            let date = row.date.to_string();
            if let Some(want) = forecast.get(date.as_str()).filter(|v| !v.is_nan()) {
                assert!(
                    systrade_test::close_f64(row.forecast, *want, 1e-9, 1e-12),
                    "{code} {date}: forecast {} vs {want}",
                    row.forecast
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 40_000, "{compared} forecasts compared");
    eprintln!(
        "instruments.parquet: {} rows, {compared} forecasts equal to the reference's",
        rows.len()
    );
}

fn a_len(t: &systrade_test::CsvTable) -> usize {
    t.rows.len()
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some((pst, reference)) = reference_root("report_renders_in_headless_chromium") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    import(&pst, &data, &SIMPLE);
    let out_dir = tmp.path().join("out");
    backtest(&data)
        .arg("--config")
        .arg(reference.join("config.yaml"))
        .arg("--output")
        .arg(&out_dir)
        .assert()
        .success();
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    // self-contained: no scripts, no external resources
    assert!(!html.contains("<script"), "no scripts");
    assert!(
        !html.contains("http://")
            || html.matches("http://").count()
                == html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
    assert!(!html.contains("https://"));
    for id in [
        "equity",
        "drawdown",
        "rolling-sharpe",
        "volatility",
        "contribution",
        "CORN-pnl",
        "US10-position",
        "SP500-forecast",
    ] {
        assert!(
            html.contains(&format!("<svg class=\"chart\" id=\"{id}\"")),
            "chart {id}"
        );
    }
    // every chart has data (a line of 3+ points, an area or a bar; finite coordinates), every
    // table has rows: 5 portfolio charts and 3 per instrument; statistics, drawdowns, monthly
    // returns and per-instrument statistics
    let check = systrade_test::html::check_charts_and_tables(&html).unwrap();
    assert_eq!(check.charts, 5 + 3 * SIMPLE.len(), "{check:?}");
    assert_eq!(check.tables, 4, "{check:?}");
    for year in 1973..=2023 {
        assert!(
            html.contains(&format!("<tr><td>{year}</td>")),
            "returns of {year}"
        );
    }
    let drawdowns = html.split("<table class=\"drawdowns\">").nth(1).unwrap();
    let drawdowns = drawdowns.split("</table>").next().unwrap();
    assert_eq!(drawdowns.matches("<tr><td>").count(), 5, "top 5 drawdowns");
    eprintln!(
        "report.html: {} bytes, {} charts with data, {} tables",
        html.len(),
        check.charts,
        check.tables
    );
    let Some(bytes) = systrade_test::html::screenshot_in_chromium(
        "report_renders_in_headless_chromium",
        &out_dir.join("report.html"),
        &tmp.path().join("report.png"),
        (1000, 4000),
    ) else {
        return;
    };
    // an empty white page of this size compresses to a few kB; charts make it far larger
    assert!(bytes > 50_000, "screenshot of {bytes} bytes");
    eprintln!("report.png: {bytes} bytes");
}

#[test]
fn book_config_runs_on_all_of_pst_data() {
    let Some(pst) = systrade_test::require_pst_data("book_config_runs_on_all_of_pst_data") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    import(&pst, &data, &[]);
    let config = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/systrade-config/examples/system.yaml");
    // HOUSE-US's flat prices put its volatility at the floor for four days of 2021: left out,
    // named (exit 3), unless --allow-floored-vol (then its absurd positions cost millions).
    let out = backtest(&data)
        .arg("--config")
        .arg(&config)
        .args(["--format", "json"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("HOUSE-US: volatility at the floor")
            && stderr.contains("--allow-floored-vol"),
        "{stderr}"
    );
    let ours: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = ours["instruments"].as_object().unwrap().len();
    assert!(n > 200, "{n} instruments");
    assert!(num(&ours["portfolio"]["net"]["ann_std"]) > 0.0);
    assert_eq!(ours["failed"], serde_json::json!(["HOUSE-US"]));
    eprintln!("book config: {n} instruments");
    let out = backtest(&data)
        .arg("--config")
        .arg(&config)
        .args(["--format", "json", "--allow-floored-vol"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let all: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(all["instruments"].as_object().unwrap().len(), n + 1);
    assert!(num(&all["instruments"]["HOUSE-US"]["costs"]["ann_mean"]) < -1e6);
}

#[test]
fn costs_flag_and_failures() {
    let Some((pst, reference)) = reference_root("costs_flag_and_failures") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    import(&pst, &data, &SIMPLE);
    let run = |extra: &[&str]| -> serde_json::Value {
        let out = backtest(&data)
            .arg("--config")
            .arg(reference.join("config.yaml"))
            .args(["--format", "json"])
            .args(extra)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    };
    let cash = run(&[]);
    let sr = run(&["--costs", "sr"]);
    assert_eq!(cash["costs"], "cash");
    assert_eq!(sr["costs"], "SR");
    let g = |v: &serde_json::Value| num(&v["portfolio"]["gross"]["sharpe"]);
    assert_eq!(g(&cash), g(&sr), "costs do not change gross returns");
    assert_ne!(
        num(&cash["portfolio"]["net"]["sharpe"]),
        num(&sr["portfolio"]["net"]["sharpe"])
    );

    // one instrument without prices: the others go on, exit 3
    std::fs::remove_file(data.join("prices/adjusted/SP500.parquet")).unwrap();
    let out = backtest(&data)
        .arg("--config")
        .arg(reference.join("config.yaml"))
        .args(["--format", "json"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["failed"], serde_json::json!(["SP500"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SP500"));

    // a bad config: exit 1 naming the key
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(&bad, "buffer_size: -1\n").unwrap();
    let out = backtest(&data)
        .arg("--config")
        .arg(&bad)
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("buffer_size"));
}

/// The eight instruments of pysystemtrade's optimised run.
const OPTIMISED: [&str; 8] = [
    "CORN",
    "CRUDE_W",
    "EUR",
    "EUROSTX",
    "GOLD",
    "SOFR",
    "SP500_micro",
    "US10",
];

/// Values of `(date, instrument)` keys.
type ByDay = std::collections::HashMap<(String, String), f64>;

/// The optimised system on pysystemtrade's own optimised run
/// (`../shared/pst-reference/dynamic_optimisation`, 8 instruments, 500k USD, whole history):
/// the optimiser's input (optimal positions before the risk overlay) and its output (optimised
/// positions) on every instrument-day, the optimised net Sharpe and turnover, the buffered
/// system's net Sharpe, and the risk overlay's multiplier (`risk_scalar`) on every day.
#[test]
fn optimised_system_matches_pysystemtrade() {
    let test = "optimised_system_matches_pysystemtrade";
    let Some(pst) = systrade_test::require_pst_data(test) else {
        return;
    };
    let Some(root) = systrade_test::require_pst_reference(test) else {
        return;
    };
    let reference = root.join("dynamic_optimisation");
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    import(&pst, &data, &OPTIMISED);
    let out_dir = tmp.path().join("out");
    let started = std::time::Instant::now();
    let out = backtest(&data)
        .arg("--config")
        .arg(reference.join("config.yaml"))
        .args(["--optimised", "--format", "json", "--output"])
        .arg(&out_dir)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    eprintln!(
        "backtest --optimised: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let ours: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reference.join("summary.json")).unwrap())
            .unwrap();

    let rows = systrade_store::optimised_positions::read_optimised_positions(
        &out_dir.join("optimised.parquet"),
    )
    .unwrap();
    let (mut positions, mut optimal) = (ByDay::new(), ByDay::new());
    for r in &rows {
        let key = (r.date.to_string(), r.instrument.clone());
        positions.insert(key.clone(), r.position as f64);
        optimal.insert(key, r.optimal);
    }

    // the optimiser's input: unrounded optimal positions before the risk overlay
    let mut optimal_checked = 0;
    for code in OPTIMISED {
        let file =
            summary["per_instrument"][code]["files"]["notional_position_before_risk_scaling"]
                .as_str()
                .unwrap();
        let t = systrade_test::read_csv(&reference.join(format!("instruments/{code}/{file}")));
        for (d, want) in t
            .str_column("index")
            .iter()
            .zip(t.f64_column("notional_position_before_risk_scaling"))
        {
            if let Some(got) = optimal.get(&(d[..10].to_string(), code.to_string())) {
                assert!(
                    systrade_test::close_f64(*got, want, 1e-9, 1e-12),
                    "optimal {d} {code}: {got} vs {want}"
                );
                optimal_checked += 1;
            }
        }
    }
    assert!(
        optimal_checked > 70_000,
        "{optimal_checked} optimal positions compared"
    );

    // the optimiser's output: whole contracts on every instrument-day
    let r = systrade_test::read_csv(&reference.join("portfolio/optimised_position.csv.gz"));
    let dates = r.str_column("index");
    let mut differences = Vec::new();
    for code in OPTIMISED {
        for (d, want) in dates.iter().zip(r.f64_column(code)) {
            let got = positions.get(&(d[..10].to_string(), code.to_string()));
            if got != Some(&want) {
                differences.push(format!("{d} {code}: {got:?} vs {want}"));
            }
        }
    }
    let total = dates.len() * OPTIMISED.len();
    eprintln!(
        "optimised positions: {} of {total} instrument-days differ; {optimal_checked} optimal positions equal",
        differences.len()
    );
    // The bar is 99.9 % with every difference explained; there are none to explain.
    assert!(
        differences.is_empty(),
        "differences:\n{}",
        differences.join("\n")
    );

    // statistics
    let pairs = [
        (
            &ours["optimised"]["net"]["sharpe"],
            &summary["portfolio_optimised"]["sharpe_net"],
            "optimised net Sharpe",
        ),
        (
            &ours["optimised"]["gross"]["sharpe"],
            &summary["portfolio_optimised"]["sharpe_gross"],
            "optimised gross Sharpe",
        ),
        (
            &ours["optimised"]["turnover"],
            &summary["total_optimised_portfolio_level_turnover"],
            "optimised turnover",
        ),
        (
            &ours["portfolio"]["net"]["sharpe"],
            &summary["portfolio_standard_unoptimised_for_comparison"]["sharpe_net"],
            "buffered net Sharpe",
        ),
    ];
    for (got, want, what) in pairs {
        let (got, want) = (num(got), num(want));
        eprintln!("{what}: {got} (reference {want})");
        assert!((got - want).abs() < 1e-3, "{what}: {got} vs {want}");
    }

    // the risk overlay's multiplier on every day
    let r = systrade_test::read_csv(&reference.join("portfolio/risk_scalar.csv.gz"));
    let o = systrade_test::read_csv(&out_dir.join("risk_overlay.csv"));
    let by_date: std::collections::HashMap<&str, f64> = o
        .str_column("date")
        .into_iter()
        .zip(o.f64_column("multiplier"))
        .collect();
    let mut worst = 0.0_f64;
    for (d, want) in r
        .str_column("index")
        .iter()
        .zip(r.f64_column("risk_scalar"))
    {
        let got = by_date[&d[..10]];
        assert!(
            systrade_test::close_f64(got, want, 0.0, 1e-9),
            "risk_scalar {d}: {got} vs {want}"
        );
        worst = worst.max((got - want).abs());
    }
    eprintln!(
        "risk_scalar: {} days, worst absolute deviation {worst:e}",
        r.rows.len()
    );
}

/// pysystemtrade's optimised backtest makes `trading_restrictions` and `bad_markets` reduce-only
/// (`optimisedPositions.get_reduce_only_instruments`): starting flat, they are never traded; the
/// others are (issue 14).
#[test]
fn optimised_backtest_never_trades_restricted_or_bad_markets() {
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    if !testdata.join("contract_prices_csv").is_dir() {
        eprintln!(
            "SKIPPED optimised_backtest_never_trades_restricted_or_bad_markets: no testdata/"
        );
        return;
    }
    let tools = systrade_test::tools::Tools::build(&["import-pst", "roll-contracts"]);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    tools.testdata_data_dir(&data);
    let base = "trading_rules:\n  ewmac16_64:\n    function: systems.provided.rules.ewmac.ewmac\n    data: [rawdata.get_daily_prices, rawdata.daily_returns_volatility]\n    other_args: {Lfast: 16, Lslow: 64}\n    forecast_scalar: 3.75\npercentage_vol_target: 20.0\nnotional_trading_capital: 2000000\ninstrument_div_multiplier: 2.0\n";
    let traded = |extra: &str, name: &str| {
        let config = tmp.path().join(format!("{name}.yaml"));
        std::fs::write(&config, format!("{base}{extra}")).unwrap();
        let out_dir = tmp.path().join(name);
        let out = backtest(&data)
            .arg("--config")
            .arg(&config)
            .args(["--optimised", "--format", "json", "--output"])
            .arg(&out_dir)
            .assert()
            .success()
            .get_output()
            .stderr
            .clone();
        let rows = systrade_store::optimised_positions::read_optimised_positions(
            &out_dir.join("optimised.parquet"),
        )
        .unwrap();
        let mut days: std::collections::BTreeMap<String, usize> = Default::default();
        for r in rows.iter().filter(|r| r.position != 0) {
            *days.entry(r.instrument.clone()).or_default() += 1;
        }
        (days, String::from_utf8_lossy(&out).into_owned())
    };
    let (free, _) = traded("", "free");
    assert!(free.len() >= 3, "instruments traded: {free:?}");
    let mut held = free.keys();
    let (restricted, bad) = (held.next().unwrap().clone(), held.next().unwrap().clone());
    let (days, log) = traded(
        &format!(
            "exclude_instrument_lists:\n  trading_restrictions: [{restricted}]\n  bad_markets: [{bad}]\n"
        ),
        "restricted",
    );
    assert!(!days.contains_key(&restricted), "{restricted}: {days:?}");
    assert!(!days.contains_key(&bad), "{bad}: {days:?}");
    assert!(
        days.len() >= free.len() - 2,
        "the others still trade: {days:?}"
    );
    assert!(log.contains("keep their instrument weight"), "{log}");
}

/// The SR cost the debug log gives for `rule` of `instrument` (`CODE: SR costs of the rules: ...`).
fn logged_cost(stderr: &str, instrument: &str, rule: &str) -> f64 {
    let line = stderr
        .lines()
        .find(|l| l.contains(&format!("{instrument}: SR costs of the rules:")))
        .unwrap_or_else(|| panic!("no SR costs logged for {instrument}: {stderr}"));
    let list = line.split("SR costs of the rules: ").nth(1).unwrap();
    list.split(", ")
        .find_map(|p| p.strip_prefix(&format!("{rule} ")))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// `forecast_post_ceiling_cost_SR` in the backtest (issue 16): on the simple system's four
/// instruments with their real costs, a ceiling just above every instrument's ewmac32 SR cost
/// drops ewmac8 where it costs more (SOFR and CORN trade it at several times SP500's cost per
/// trade), with a warning naming the instrument and rule; the backtest then equals that of a config
/// giving those instruments no ewmac8 weight (pysystemtrade's `_remove_expensive_rules_from_weights`,
/// fixed weights renormalised by the usual smoothing).
#[test]
fn cost_ceiling_drops_expensive_rules_in_the_backtest() {
    let Some((pst, reference)) =
        reference_root("cost_ceiling_drops_expensive_rules_in_the_backtest")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    import(&pst, &data, &SIMPLE);
    let base = std::fs::read_to_string(reference.join("config.yaml")).unwrap();
    assert!(base.contains("forecast_post_ceiling_cost_SR: 999\n"));
    let run = |name: &str, text: &str| -> (serde_json::Value, String) {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = backtest(&data)
            .arg("--config")
            .arg(&path)
            .args(["--format", "json", "-v"])
            .assert()
            .success()
            .get_output()
            .clone();
        (
            serde_json::from_slice(&out.stdout).unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let with_ceiling = |c: f64| {
        base.replace(
            "forecast_post_ceiling_cost_SR: 999\n",
            &format!("forecast_post_ceiling_cost_SR: {c}\n"),
        )
    };
    // 998 turns the filter on without dropping anything: every rule's cost is logged
    let (all, stderr) = run("all.yaml", &with_ceiling(998.0));
    assert!(
        !stderr.contains("left out of the combined forecast"),
        "{stderr}"
    );
    let cost = |code: &str, rule: &str| logged_cost(&stderr, code, rule);
    let ceiling = SIMPLE
        .iter()
        .map(|c| cost(c, "ewmac32"))
        .fold(0.0, f64::max)
        * 1.01;
    let dropped: Vec<&str> = SIMPLE
        .iter()
        .copied()
        .filter(|c| cost(c, "ewmac8") > ceiling)
        .collect();
    assert!(
        !dropped.is_empty() && dropped.len() < SIMPLE.len(),
        "ceiling {ceiling}: {stderr}"
    );

    let (cut, stderr) = run("ceiling.yaml", &with_ceiling(ceiling));
    for code in SIMPLE {
        let warned = stderr.lines().any(|l| {
            l.contains("WARN")
                && l.contains(&format!(
                    "{code}: 1 rule(s) left out of the combined forecast"
                ))
                && l.contains("ewmac8")
        });
        assert_eq!(warned, dropped.contains(&code), "{code}: {stderr}");
    }
    // the same backtest as giving the dropped instruments no ewmac8 weight
    let nested: String = SIMPLE
        .iter()
        .map(|c| {
            if dropped.contains(c) {
                format!("  {c}: {{ewmac32: 0.5}}\n")
            } else {
                format!("  {c}: {{ewmac32: 0.5, ewmac8: 0.5}}\n")
            }
        })
        .collect();
    let without_text = base.replace(
        "forecast_weights:\n  ewmac32: 0.5\n  ewmac8: 0.5\n",
        &format!("forecast_weights:\n{nested}"),
    );
    assert_ne!(without_text, base);
    let (without, _) = run("without.yaml", &without_text);
    assert_eq!(cut["portfolio"], without["portfolio"]);
    assert_ne!(cut["portfolio"], all["portfolio"]);
}
