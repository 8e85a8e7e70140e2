//! Parity of the returns the weights are fitted on, and of the whole generic optimiser over
//! time, with pysystemtrade's run of `futuresestimateconfig.yaml` on eight instruments
//! (`../shared/pst-reference/futures_estimated_shared`): from the reference's own capped
//! forecasts, prices, volatilities and subsystem positions, each rule's forecast P&L with its SR
//! cost (`systrade_accounts::estimation`), the pooled net weekly returns
//! ([`systrade_estimate::returns`]) and, per fit period, the estimates handed to the optimiser and
//! the weights ([`systrade_estimate::over_time`]). Skipped, with the reason printed, when the
//! reference is absent.

#![allow(clippy::print_stderr)] // parity tests report what they measured

use serde_json::Value;
use std::path::{Path, PathBuf};
use systrade_accounts::costs::{InstrumentCosts, sr_cost_per_trade};
use systrade_accounts::curves::CashCostParams;
use systrade_accounts::estimation::{
    ForecastAccountInputs, SubsystemInputs, forecast_account, forecast_sr_cost, forecast_turnover,
    pooled_turnover, subsystem_account,
};
use systrade_estimate::optimisers::{Method, WeightingArgs};
use systrade_estimate::over_time::{
    CorrelationSettings, EwSettings, OptimiserSettings, PeriodWeights, optimise_over_time,
};
use systrade_estimate::returns::{PreProcessing, ReturnsWithCosts, pre_process};
use systrade_estimate::{DateMethod, Interval};
use systrade_model::{FxRates, Timestamp};
use systrade_portfolio::portfolio::BufferMethod;
use systrade_series::DailySeries;
use systrade_test::read_csv;

const INSTRUMENTS: [&str; 8] = [
    "AUD", "COPPER", "GBP", "HEATOIL", "NASDAQ", "PLAT", "US5", "WHEAT",
];
const RULES: [&str; 4] = ["carry", "ewmac16_64", "ewmac32_128", "ewmac64_256"];
const CAPITAL: f64 = 250_000.0;

fn reference_dir(test: &str) -> Option<PathBuf> {
    let root = systrade_test::require_pst_reference(test)?;
    let dir = root.join("futures_estimated_shared");
    if !dir.is_dir() {
        eprintln!("SKIPPED {test}: {} not found", dir.display());
        return None;
    }
    Some(dir)
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Instrument {
    dates: Vec<chrono::NaiveDate>,
    price: DailySeries,
    vol: DailySeries,
    capped: Vec<DailySeries>,
    subsystem_position: DailySeries,
    volatility_scalar: DailySeries,
    fx: FxRates,
    value_per_point: f64,
    costs: InstrumentCosts,
    rolls_per_year: usize,
}

fn load(dir: &Path, code: &str, summary: &Value) -> Instrument {
    let t = read_csv(&dir.join(format!("instruments/{code}/daily_price.csv.gz")));
    let dates: Vec<chrono::NaiveDate> = t
        .str_column("index")
        .iter()
        .map(|s| Timestamp::parse(s).unwrap().date())
        .collect();
    let s = |name: &str| DailySeries::new(dates.clone(), t.f64_column(name));
    let info = &summary["per_instrument"][code];
    let raw = &info["raw_costs"];
    Instrument {
        price: s("daily_price"),
        vol: s("daily_returns_volatility"),
        capped: RULES
            .iter()
            .map(|r| s(&format!("capped_forecast__{r}")))
            .collect(),
        subsystem_position: s("subsystem_position"),
        volatility_scalar: s("volatility_scalar"),
        fx: FxRates::new(vec![Timestamp::from_date(dates[0])], vec![1.0]),
        value_per_point: info["value_of_block_price_move"].as_f64().unwrap(),
        costs: InstrumentCosts {
            price_slippage: raw["price_slippage"].as_f64().unwrap(),
            value_of_block_commission: raw["value_of_block_commission"].as_f64().unwrap(),
            percentage_cost: raw["percentage_cost"].as_f64().unwrap(),
            value_of_pertrade_commission: raw["value_of_pertrade_commission"].as_f64().unwrap(),
        },
        rolls_per_year: info["rolls_per_year"].as_u64().unwrap() as usize,
        dates,
    }
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// `forecast_weight_estimate` of `futuresestimateconfig.yaml` (the defaults).
fn forecast_settings() -> OptimiserSettings {
    OptimiserSettings {
        method: Method::Handcraft,
        args: WeightingArgs {
            equalise_sr: false,
            equalise_vols: true,
            ann_target_sr: 0.5,
            shrinkage_sr: 0.9,
            shrinkage_corr: 0.5,
        },
        date_method: DateMethod::Expanding,
        rollyears: 20,
        interval: Interval::YEARLY,
        cleaning: true,
        correlation: CorrelationSettings {
            ew: EwSettings {
                ew_lookback: 50_000.0,
                min_periods: 10,
            },
            cleaning: false,
            floor_at_zero: false,
            offdiag: 0.99,
            clip: None,
        },
        mean: EwSettings {
            ew_lookback: 50_000.0,
            min_periods: 5,
        },
        vol: EwSettings {
            ew_lookback: 50_000.0,
            min_periods: 5,
        },
        apply_cost_weight: false,
    }
}

/// Compares one list of periods with the reference's; returns (values, worst relative estimate
/// difference, worst absolute weight difference).
fn compare_periods(got: &[PeriodWeights], expected: &[Value], what: &str) -> (usize, f64, f64) {
    assert_eq!(got.len(), expected.len(), "{what}: number of periods");
    let (mut n, mut worst_est, mut worst_w) = (0usize, 0.0f64, 0.0f64);
    for (k, (g, e)) in got.iter().zip(expected).enumerate() {
        let label = format!("{what} period {k} ({})", e["period_start"]);
        assert_eq!(
            g.period.fit_end,
            Timestamp::parse(e["fit_end"].as_str().unwrap()).unwrap(),
            "{label}"
        );
        if let Some(est) = &g.estimates {
            assert_eq!(
                est.data_length as u64,
                e["data_length"].as_u64().unwrap(),
                "{label} data_length"
            );
            let cols = est.correlation.names();
            for (i, name) in cols.iter().enumerate() {
                for (what_v, ours, theirs) in [
                    ("mean", est.mean[i], e["mean"][name].as_f64()),
                    ("stdev", est.stdev[i], e["stdev"][name].as_f64()),
                ] {
                    let theirs = theirs.unwrap_or(f64::NAN);
                    if theirs.is_nan() || ours.is_nan() {
                        assert!(
                            theirs.is_nan() && ours.is_nan(),
                            "{label} {what_v} {name}: {ours} vs {theirs}"
                        );
                        continue;
                    }
                    let d = if theirs == 0.0 {
                        ours.abs()
                    } else {
                        ((ours - theirs) / theirs).abs()
                    };
                    worst_est = worst_est.max(d);
                    assert!(
                        d < 1e-8,
                        "{label} {what_v} {name}: got {ours}, reference {theirs}"
                    );
                    n += 1;
                }
                for (j, _) in cols.iter().enumerate() {
                    let theirs = e["correlation"][i][j].as_f64().unwrap_or(f64::NAN);
                    let ours = est.correlation.get(i, j);
                    if theirs.is_nan() || ours.is_nan() {
                        assert!(theirs.is_nan() && ours.is_nan(), "{label} corr {i},{j}");
                        continue;
                    }
                    worst_est = worst_est.max((ours - theirs).abs());
                    assert!(
                        (ours - theirs).abs() < 1e-8,
                        "{label} corr {i},{j}: got {ours}, reference {theirs}"
                    );
                    n += 1;
                }
            }
        }
        let weights = e["weights"].as_object().unwrap();
        assert_eq!(g.weights.len(), weights.len(), "{label}: {:?}", g.weights);
        for (name, w) in weights {
            let theirs = w.as_f64().unwrap_or(f64::NAN);
            let ours = g.weights.get(name).unwrap_or(f64::NAN);
            if theirs.is_nan() || ours.is_nan() {
                assert!(theirs.is_nan() && ours.is_nan(), "{label} {name}");
                continue;
            }
            worst_w = worst_w.max((ours - theirs).abs());
            assert!(
                (ours - theirs).abs() <= 1e-6,
                "{label} weight {name}: got {ours}, reference {theirs}"
            );
            n += 1;
        }
    }
    (n, worst_est, worst_w)
}

/// Forecast weights: each rule's forecast P&L (SR cost: the instrument's cost per trade × the
/// rule's turnover averaged over the eight instruments by forecast length, plus holding), gross
/// returns pooled over the eight, each instrument's own cost per unit of turnover × the average
/// turnover, × `cost_multiplier` 2; then handcrafting per fit period.
#[test]
fn forecast_weights_from_forecast_returns_match_the_reference() {
    let Some(dir) = reference_dir("forecast_weights_from_forecast_returns_match_the_reference")
    else {
        return;
    };
    let summary = json(&dir.join("summary.json"));
    let instruments: Vec<Instrument> = INSTRUMENTS
        .iter()
        .map(|c| load(&dir, c, &summary))
        .collect();
    // turnovers[rule][instrument]
    let turnovers: Vec<Vec<f64>> = (0..RULES.len())
        .map(|r| {
            instruments
                .iter()
                .map(|i| forecast_turnover(&i.capped[r], 10.0))
                .collect()
        })
        .collect();
    let lengths: Vec<usize> = instruments.iter().map(|i| i.dates.len()).collect();
    let pooled: Vec<f64> = turnovers
        .iter()
        .map(|t| pooled_turnover(t, &lengths))
        .collect();
    let assets: Vec<(String, ReturnsWithCosts)> = INSTRUMENTS
        .iter()
        .zip(&instruments)
        .map(|(code, i)| {
            let per_trade = sr_cost_per_trade(&i.costs, &i.price, &i.vol, i.value_per_point);
            let expected = summary["per_instrument"][code]["SR_cost_per_trade"]
                .as_f64()
                .unwrap();
            assert!(
                ((per_trade - expected) / expected).abs() < 1e-12,
                "{code}: SR cost per trade {per_trade} vs {expected}"
            );
            let curves: Vec<_> = (0..RULES.len())
                .map(|r| {
                    forecast_account(
                        &i.capped[r],
                        ForecastAccountInputs {
                            price: &i.price,
                            daily_returns_volatility: &i.vol,
                            fx: &i.fx,
                            value_per_point: i.value_per_point,
                            capital: CAPITAL,
                            risk_target: 0.2,
                            target_abs_forecast: 10.0,
                        },
                        forecast_sr_cost(per_trade, pooled[r], i.rolls_per_year),
                    )
                })
                .collect();
            let gross: Vec<&DailySeries> = curves.iter().map(|c| &c.gross).collect();
            let costs: Vec<&DailySeries> = curves.iter().map(|c| &c.costs).collect();
            (
                code.to_string(),
                ReturnsWithCosts::new(names(&RULES), &gross, &costs),
            )
        })
        .collect();
    let cfg = PreProcessing {
        cost_multiplier: 2.0,
        ..PreProcessing::default()
    };
    let periods = json(&dir.join("estimation/forecast_weights_periods.json"));
    let settings = forecast_settings();
    let (mut n, mut worst_est, mut worst_w) = (0, 0.0f64, 0.0f64);
    for code in INSTRUMENTS {
        let p = pre_process(&assets, &turnovers, code, &cfg).unwrap();
        assert_eq!(p.net.pooled_length, 8);
        let got = optimise_over_time(&p, &settings).unwrap();
        let (k, e, w) = compare_periods(&got, periods[code].as_array().unwrap(), code);
        n += k;
        worst_est = worst_est.max(e);
        worst_w = worst_w.max(w);
    }
    eprintln!(
        "forecast weights from forecast returns: {n} values over 8 instruments, worst estimate difference {worst_est:e}, worst weight difference {worst_w:e}"
    );
}

/// Instrument weights: each subsystem's P&L (buffered subsystem position, rounded, cash costs),
/// one unpooled set of returns with its own SR costs; handcrafting with `equalise_SR` and
/// correlations floored at zero (`instrument_weight_estimate`).
#[test]
fn instrument_weights_from_subsystem_returns_match_the_reference() {
    let Some(dir) = reference_dir("instrument_weights_from_subsystem_returns_match_the_reference")
    else {
        return;
    };
    let summary = json(&dir.join("summary.json"));
    let curves: Vec<_> = INSTRUMENTS
        .iter()
        .map(|c| {
            let i = load(&dir, c, &summary);
            subsystem_account(SubsystemInputs {
                price: &i.price,
                subsystem_position: &i.subsystem_position,
                volatility_scalar: &i.volatility_scalar,
                fx: &i.fx,
                value_per_point: i.value_per_point,
                capital: CAPITAL,
                costs: CashCostParams {
                    costs: i.costs,
                    rolls_per_year: i.rolls_per_year,
                    multiply_roll_costs_by: 0.5,
                    vol_normalise_currency_costs: true,
                },
                buffer_method: BufferMethod::Forecast,
                buffer_size: 0.1,
                buffer_trade_to_edge: true,
            })
        })
        .collect();
    let gross: Vec<&DailySeries> = curves.iter().map(|c| &c.gross).collect();
    let costs: Vec<&DailySeries> = curves.iter().map(|c| &c.costs).collect();
    let assets = vec![(
        "asset".to_string(),
        ReturnsWithCosts::new(names(&INSTRUMENTS), &gross, &costs),
    )];
    let p = pre_process(&assets, &[], "asset", &PreProcessing::default()).unwrap();
    assert_eq!(p.net.pooled_length, 1);
    let mut settings = forecast_settings();
    settings.args.equalise_sr = true;
    settings.correlation.ew.ew_lookback = 500_000.0;
    settings.correlation.floor_at_zero = true;
    let got = optimise_over_time(&p, &settings).unwrap();
    let periods = json(&dir.join("estimation/instrument_weights_periods.json"));
    let (n, e, w) = compare_periods(&got, periods.as_array().unwrap(), "instruments");
    eprintln!(
        "instrument weights from subsystem returns: {n} values, worst estimate difference {e:e}, worst weight difference {w:e}"
    );
}
