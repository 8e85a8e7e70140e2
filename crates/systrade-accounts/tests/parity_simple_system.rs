//! Parity of the accounts stage with pysystemtrade's simple system
//! (`../shared/pst-reference/simple_system`): each stage fed with the reference's own upstream
//! columns, compared with the reference's output.

#![allow(clippy::print_stderr)] // parity tests report the errors they measured

#[path = "../../systrade-portfolio/tests/reference/mod.rs"]
mod reference;

use chrono::NaiveDate;
use reference::*;
use systrade_accounts::buffering::{BufferWalk, buffered_position};
use systrade_accounts::costs::{Fill, InstrumentCosts, cost_deflator, sr_cost_per_trade};
use systrade_accounts::curves::{
    CashCostParams, InstrumentAccount, instrument_account_cash_costs, portfolio_account,
};
use systrade_accounts::pandl::PandlInputs;
use systrade_accounts::stats::{stats, turnover};
use systrade_portfolio::portfolio::average_position_at_portfolio_level;
use systrade_series::DailySeries;

const REL: f64 = 1e-9;
const ABS: f64 = 1e-12;

fn costs_of(summary: &serde_json::Value, code: &str) -> InstrumentCosts {
    let c = &summary["per_instrument"][code]["raw_costs"];
    InstrumentCosts {
        price_slippage: num(&c["price_slippage"]),
        value_of_block_commission: num(&c["value_of_block_commission"]),
        percentage_cost: num(&c["percentage_cost"]),
        value_of_pertrade_commission: num(&c["value_of_pertrade_commission"]),
    }
}

fn account_for(
    root: &std::path::Path,
    summary: &serde_json::Value,
    code: &str,
    t: &Tables,
) -> InstrumentAccount {
    let info = &summary["per_instrument"][code];
    let price = t.series("daily_price");
    let positions = t.series("buffered_position");
    let fx = reference_fx(t);
    let _ = root;
    instrument_account_cash_costs(
        PandlInputs {
            price: &price,
            positions: &positions,
            fx: &fx,
            value_per_point: num(&info["value_of_block_price_move"]),
            capital: CAPITAL,
            delay_fill: true,
            round_positions: true,
        },
        CashCostParams {
            costs: costs_of(summary, code),
            rolls_per_year: info["rolls_per_year"].as_u64().unwrap() as usize,
            multiply_roll_costs_by: 0.5,
            vol_normalise_currency_costs: true,
        },
    )
}

fn read_fills(path: &std::path::Path) -> Vec<(NaiveDate, f64, f64, Option<bool>)> {
    let t = systrade_test::read_csv(path);
    let dates = t.str_column("date");
    let qty = t.f64_column("qty");
    let price = t.f64_column("price");
    let slip = t
        .header
        .iter()
        .any(|h| h == "slippage_adjust")
        .then(|| t.str_column("slippage_adjust"));
    (0..dates.len())
        .map(|i| {
            (
                parse_date(dates[i]),
                qty[i],
                price[i],
                slip.as_ref().map(|s| s[i] == "True"),
            )
        })
        .collect()
}

fn check_fills(what: &str, ours: &[Fill], reference: &[(NaiveDate, f64, f64, Option<bool>)]) {
    assert_eq!(ours.len(), reference.len(), "{what}: number of fills");
    for (f, r) in ours.iter().zip(reference) {
        assert_eq!(f.date, r.0, "{what}");
        assert!(
            systrade_test::close_f64(f.qty, r.1, REL, ABS),
            "{what} {}: qty {} vs {}",
            f.date,
            f.qty,
            r.1
        );
        assert!(
            systrade_test::same_f64(f.price, r.2),
            "{what} {}: price {} vs {}",
            f.date,
            f.price,
            r.2
        );
        if let Some(s) = r.3 {
            assert_eq!(f.slippage, s, "{what} {}: slippage flag", f.date);
        }
    }
    eprintln!("{what}: {} fills match", ours.len());
}

#[test]
fn buffered_positions_match_pysystemtrade() {
    let Some(root) = reference_dir("buffered_positions_match_pysystemtrade") else {
        return;
    };
    for code in INSTRUMENTS {
        let t = instrument_tables(&root, code);
        let b = buffered_position(
            &t.series("notional_position"),
            &t.series("buffers__top_pos"),
            &t.series("buffers__bot_pos"),
            BufferWalk::default(),
        );
        assert_close(
            &format!("{code} buffered_position"),
            &b,
            &t.series("buffered_position"),
            0.0,
            0.0,
        );
    }
}

#[test]
fn instrument_pandl_and_costs_match_pysystemtrade() {
    let Some(root) = reference_dir("instrument_pandl_and_costs_match_pysystemtrade") else {
        return;
    };
    let summary = summary(&root);
    for code in INSTRUMENTS {
        let t = instrument_tables(&root, code);
        let a = account_for(&root, &summary, code, &t);
        let c = |name: &str, ours: &DailySeries| {
            assert_close(&format!("{code} {name}"), ours, &t.series(name), REL, ABS)
        };
        c("pandl_position_used", &a.gross.positions_used);
        c("pandl_points_gross", &a.gross.points);
        c("pandl_instr_ccy_gross", &a.gross.instrument_currency);
        c("pandl_base_gross", &a.gross.base_currency);
        c("cost_deflator", a.cost_deflator.as_ref().unwrap());
        let dir = root.join("instruments").join(code);
        check_fills(
            &format!("{code} trade fills"),
            &a.trade_fills,
            &read_fills(&dir.join("trade_fills.csv")),
        );
        check_fills(
            &format!("{code} holding pseudo-fills"),
            &a.holding_fills,
            &read_fills(&dir.join("holding_pseudo_fills.csv")),
        );
        c("pandl_costs_instr_ccy", &a.costs_instrument_currency);
        c("pandl_costs_base", &a.costs_base);
        c("account_curve__gross_base", &a.base.gross);
        c("account_curve__costs_base", &a.base.costs);
        c("account_curve__net_base", &a.base.net);
        c("account_curve__gross_percent", &a.percent.gross);
        c("account_curve__costs_percent", &a.percent.costs);
        c("account_curve__net_percent", &a.percent.net);

        let info = &summary["per_instrument"][code];
        let net = stats(&a.percent.net.values, 256.0);
        let gross = stats(&a.percent.gross.values, 256.0);
        for (name, ours, reference) in [
            (
                "net sharpe",
                net.sharpe,
                &info["pandl_percent_net"]["sharpe"],
            ),
            (
                "net ann_mean",
                net.ann_mean,
                &info["pandl_percent_net"]["ann_mean"],
            ),
            (
                "net ann_std",
                net.ann_std,
                &info["pandl_percent_net"]["ann_std"],
            ),
            (
                "gross sharpe",
                gross.sharpe,
                &info["pandl_percent_gross"]["sharpe"],
            ),
            (
                "gross ann_mean",
                gross.ann_mean,
                &info["pandl_percent_gross"]["ann_mean"],
            ),
        ] {
            let r = num(reference);
            assert!(
                systrade_test::close_f64(ours, r, 1e-6, 0.0),
                "{code} {name}: {ours} vs {r}"
            );
            eprintln!("{code} {name}: {ours} (reference {r})");
        }
    }
}

#[test]
fn portfolio_pandl_and_statistics_match_pysystemtrade() {
    let Some(root) = reference_dir("portfolio_pandl_and_statistics_match_pysystemtrade") else {
        return;
    };
    let summary = summary(&root);
    let accounts: Vec<InstrumentAccount> = INSTRUMENTS
        .iter()
        .map(|c| account_for(&root, &summary, c, &instrument_tables(&root, c)))
        .collect();
    let p = portfolio_account(&accounts.iter().collect::<Vec<_>>(), CAPITAL);
    let t = Tables::load(&root.join("portfolio"));
    for (name, ours) in [
        ("gross_base", &p.base.gross),
        ("costs_base", &p.base.costs),
        ("net_base", &p.base.net),
        ("gross_percent", &p.percent.gross),
        ("costs_percent", &p.percent.costs),
        ("net_percent", &p.percent.net),
    ] {
        assert_close(
            &format!("portfolio {name}"),
            ours,
            &t.series(name),
            REL,
            ABS,
        );
    }
    let port = &summary["portfolio"];
    let net = stats(&p.percent.net.values, 256.0);
    let gross = stats(&p.percent.gross.values, 256.0);
    assert_eq!(p.percent.net.len() as u64, port["n_days"].as_u64().unwrap());
    for (name, ours, key) in [
        ("sharpe net", net.sharpe, "sharpe_net"),
        ("sharpe gross", gross.sharpe, "sharpe_gross"),
        ("ann return net", net.ann_mean, "ann_return_pct_net"),
        ("ann return gross", gross.ann_mean, "ann_return_pct_gross"),
        ("ann std net", net.ann_std, "ann_std_pct_net"),
        ("ann std gross", gross.ann_std, "ann_std_pct_gross"),
        (
            "worst drawdown net",
            net.worst_drawdown,
            "worst_drawdown_pct_net",
        ),
    ] {
        let r = num(&port[key]);
        assert!(
            systrade_test::close_f64(ours, r, 1e-6, 0.0),
            "{name}: {ours} vs {r}"
        );
        eprintln!(
            "portfolio {name}: {ours} (reference {r}, rel diff {:.2e})",
            ((ours - r) / r).abs()
        );
    }
    let s = &port["stats_net"];
    for (name, ours) in [
        ("min", net.min),
        ("max", net.max),
        ("median", net.median),
        ("mean", net.mean),
        ("std", net.std),
        ("skew", net.skew),
        ("ann_mean", net.ann_mean),
        ("ann_std", net.ann_std),
        ("sharpe", net.sharpe),
        ("sortino", net.sortino),
        ("avg_drawdown", net.avg_drawdown),
        ("time_in_drawdown", net.time_in_drawdown),
        ("calmar", net.calmar),
        ("avg_return_to_drawdown", net.avg_return_to_drawdown),
        ("avg_loss", net.avg_loss),
        ("avg_gain", net.avg_gain),
        ("gaintolossratio", net.gaintolossratio),
        ("profitfactor", net.profitfactor),
        ("hitrate", net.hitrate),
        ("t_stat", net.t_stat),
        ("p_value", net.p_value),
    ] {
        let r = num(&s[name]);
        assert!(
            systrade_test::close_f64(ours, r, 1e-6, 1e-12),
            "stats_net {name}: {ours} vs {r}"
        );
        eprintln!("portfolio stats_net {name}: {ours} (reference {r})");
    }
}

#[test]
fn turnover_and_sr_cost_per_trade_match_pysystemtrade() {
    let Some(root) = reference_dir("turnover_and_sr_cost_per_trade_match_pysystemtrade") else {
        return;
    };
    let summary = summary(&root);
    let portfolio = Tables::load(&root.join("portfolio"));
    for code in INSTRUMENTS {
        let t = instrument_tables(&root, code);
        let info = &summary["per_instrument"][code];
        let vs = t.series("volatility_scalar");
        let avg = average_position_at_portfolio_level(
            &vs,
            &portfolio.series(code),
            &portfolio.series("idm"),
        );
        let buffered = t.series("buffered_position");
        for (name, ours) in [
            ("instrument_turnover", turnover(&buffered, &avg)),
            ("turnover_at_portfolio_level", turnover(&buffered, &vs)),
            (
                "SR_cost_per_trade",
                sr_cost_per_trade(
                    &costs_of(&summary, code),
                    &t.series("daily_price"),
                    &t.series("daily_returns_volatility"),
                    num(&info["value_of_block_price_move"]),
                ),
            ),
        ] {
            let r = num(&info[name]);
            assert!(
                systrade_test::close_f64(ours, r, 1e-9, 0.0),
                "{code} {name}: {ours} vs {r}"
            );
            eprintln!("{code} {name}: {ours} (reference {r})");
        }
    }
}

#[test]
fn deflator_is_one_at_the_end() {
    let Some(root) = reference_dir("deflator_is_one_at_the_end") else {
        return;
    };
    let t = instrument_tables(&root, "CORN");
    let d = cost_deflator(&t.series("daily_price"));
    assert_eq!(*d.values.last().unwrap(), 1.0);
}

/// The whole chain from the reference's combined forecasts, vols, prices and pysystemtrade's shipped
/// FX and multiple prices to the portfolio Sharpe ratios, in one `run_system` call.
#[test]
fn whole_system_from_forecasts_matches_pysystemtrade() {
    let Some(root) = reference_dir("whole_system_from_forecasts_matches_pysystemtrade") else {
        return;
    };
    let Some(data) =
        systrade_test::require_pst_data("whole_system_from_forecasts_matches_pysystemtrade")
    else {
        return;
    };
    use systrade_accounts::system::{AccountsConfig, InstrumentInputs, run_system};
    let summary = summary(&root);
    let gbpusd = {
        let t = systrade_test::read_csv(&data.join("fx_prices_csv/GBPUSD.csv.gz"));
        systrade_model::FxRates::new(
            t.str_column("DATETIME")
                .into_iter()
                .map(|s| systrade_model::Timestamp::parse(s).unwrap())
                .collect(),
            t.f64_column("PRICE"),
        )
    };
    let fx = systrade_portfolio::fx::fx_rate_to_base(
        "USD",
        "GBP",
        |c| (c == "GBP").then_some(&gbpusd),
        &[],
    )
    .unwrap();
    let inputs: Vec<InstrumentInputs> = INSTRUMENTS
        .iter()
        .map(|code| {
            let t = instrument_tables(&root, code);
            let info = &summary["per_instrument"][*code];
            let mp =
                systrade_test::read_csv(&data.join(format!("multiple_prices_csv/{code}.csv.gz")));
            let stamps: Vec<_> = mp
                .str_column("DATETIME")
                .into_iter()
                .map(|s| systrade_model::Timestamp::parse(s).unwrap())
                .collect();
            InstrumentInputs {
                code: code.to_string(),
                daily_price: t.series("daily_price"),
                denominator_price: systrade_series::resample_business_day_last(
                    &stamps,
                    &mp.f64_column("PRICE"),
                ),
                daily_percentage_volatility: t.series("daily_percentage_volatility"),
                combined_forecast: t.series("combined_forecast"),
                daily_returns_volatility: Some(t.series("daily_returns_volatility")),
                fx: std::sync::Arc::new(fx.clone()),
                value_of_block_price_move: num(&info["value_of_block_price_move"]),
                costs: costs_of(&summary, code),
                rolls_per_year: info["rolls_per_year"].as_u64().unwrap() as usize,
                long_only: false,
            }
        })
        .collect();
    let config = AccountsConfig {
        vol_target: systrade_portfolio::sizing::VolTarget {
            notional_trading_capital: CAPITAL,
            percentage_vol_target: VOL_TARGET,
        },
        instrument_weights: Some(INSTRUMENTS.iter().map(|c| weight(c)).collect()),
        idm: IDM,
        ..AccountsConfig::default()
    };
    let result = run_system(&inputs, &config);
    for r in &result.instruments {
        let t = instrument_tables(&root, &r.code);
        assert_close(
            &format!("{} chain notional_position", r.code),
            &r.notional_position,
            &t.series("notional_position"),
            REL,
            ABS,
        );
        assert_close(
            &format!("{} chain buffered_position", r.code),
            &r.buffered_position,
            &t.series("buffered_position"),
            0.0,
            0.0,
        );
        assert_close(
            &format!("{} chain net_percent", r.code),
            &r.account.percent.net,
            &t.series("account_curve__net_percent"),
            REL,
            ABS,
        );
        let reference = num(&summary["per_instrument"][r.code.as_str()]["instrument_turnover"]);
        assert!(
            systrade_test::close_f64(r.turnover, reference, 1e-9, 0.0),
            "{} turnover",
            r.code
        );
    }
    let t = Tables::load(&root.join("portfolio"));
    assert_close(
        "chain portfolio net_percent",
        &result.portfolio.percent.net,
        &t.series("net_percent"),
        REL,
        ABS,
    );
    let net = stats(&result.portfolio.percent.net.values, 256.0);
    let gross = stats(&result.portfolio.percent.gross.values, 256.0);
    let port = &summary["portfolio"];
    assert!(systrade_test::close_f64(
        net.sharpe,
        num(&port["sharpe_net"]),
        1e-6,
        0.0
    ));
    assert!(systrade_test::close_f64(
        gross.sharpe,
        num(&port["sharpe_gross"]),
        1e-6,
        0.0
    ));
    eprintln!("chain: Sharpe net {} gross {}", net.sharpe, gross.sharpe);

    // The same system with SR costs: gross unchanged, costs a small steady drag (no reference
    // numbers exist for this variant; pysystemtrade's simple system uses cash costs).
    let sr = run_system(
        &inputs,
        &AccountsConfig {
            costs: systrade_accounts::system::CostMethod::Sr,
            ..config.clone()
        },
    );
    let sr_net = stats(&sr.portfolio.percent.net.values, 256.0);
    let sr_gross = stats(&sr.portfolio.percent.gross.values, 256.0);
    assert_eq!(sr_gross.sharpe, gross.sharpe);
    let sr_costs = stats(&sr.portfolio.percent.costs.values, 256.0);
    assert!(
        sr_costs.ann_mean < 0.0 && sr_costs.ann_mean > -1.0,
        "SR costs {}",
        sr_costs.ann_mean
    );
    eprintln!(
        "chain with SR costs: Sharpe net {} (costs {} % a year)",
        sr_net.sharpe, sr_costs.ann_mean
    );

    // Compounding: fixed capital reproduces the fixed run exactly; half compounding never exceeds
    // 1.0; full compounding grows with a profitable system.
    use systrade_accounts::system::compound;
    use systrade_portfolio::portfolio::CapitalMultiplier;
    let fixed = compound(&inputs, &config, &result, CapitalMultiplier::Fixed);
    assert_eq!(fixed.portfolio, result.portfolio);
    for method in [CapitalMultiplier::Full, CapitalMultiplier::Half] {
        let c = compound(&inputs, &config, &result, method);
        let last = *c.capital_multiplier.values.last().unwrap();
        let s = stats(&c.portfolio.percent.net.values, 256.0);
        eprintln!(
            "chain {method:?} compounding: final multiplier {last}, Sharpe net {}",
            s.sharpe
        );
        assert!(
            c.capital_multiplier
                .values
                .iter()
                .all(|m| m.is_nan() || *m > 0.0)
        );
        if method == CapitalMultiplier::Half {
            assert!(c.capital_multiplier.values.iter().all(|m| *m <= 1.0));
        } else {
            assert!(last > 5.0, "a 4.8 % a year system compounds over 50 years");
        }
    }
}
