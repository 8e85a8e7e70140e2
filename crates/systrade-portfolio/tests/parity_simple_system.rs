//! Parity of position sizing and portfolio construction with pysystemtrade's simple system
//! (`../shared/pst-reference/simple_system`): every stage is fed with the reference's own upstream
//! columns and compared with the reference's output column.

#![allow(clippy::print_stderr)] // parity tests report the errors they measured

mod reference;

use reference::*;
use systrade_portfolio::portfolio::{
    BufferMethod, apply_buffers_to_position, buffer, notional_position,
    notional_position_without_idm,
};
use systrade_portfolio::sizing::{
    AVERAGE_ABSOLUTE_FORECAST, VolTarget, block_value, instrument_currency_vol,
    instrument_value_vol, subsystem_position, volatility_scalar,
};
use systrade_portfolio::weights::{
    fixed_idm, smoothed_instrument_weights, unsmoothed_fitted_instrument_weights,
};
use systrade_series::DailySeries;

const REL: f64 = 1e-9;
const ABS: f64 = 1e-12;

#[test]
fn sizing_stages_match_pysystemtrade() {
    let Some(root) = reference_dir("sizing_stages_match_pysystemtrade") else {
        return;
    };
    let summary = summary(&root);
    let target = VolTarget {
        notional_trading_capital: CAPITAL,
        percentage_vol_target: VOL_TARGET,
    };
    for code in INSTRUMENTS {
        let t = instrument_tables(&root, code);
        let point = num(&summary["per_instrument"][code]["value_of_block_price_move"]);

        // block value uses the price of the contract held (multiple prices PRICE, daily last), from
        // pysystemtrade's shipped data
        if let Some(data) =
            systrade_test::require_pst_data("sizing_stages_match_pysystemtrade block value")
        {
            let price = daily_contract_price(&data, code);
            let bv = price.with_values(block_value(&price.values, point));
            assert_close(
                &format!("{code} block_value"),
                &bv,
                &t.series("block_value"),
                REL,
                ABS,
            );
        }

        // inputs from the reference: block value and daily percentage vol share the daily index
        let ref_bv = t.series("block_value");
        let pct_vol = t
            .series("daily_percentage_volatility")
            .reindex(&ref_bv.dates);
        let icv = ref_bv.with_values(instrument_currency_vol(&ref_bv.values, &pct_vol.values));
        assert_close(
            &format!("{code} instrument_currency_vol"),
            &icv,
            &t.series("instrument_currency_vol"),
            REL,
            ABS,
        );

        let ref_icv = t.series("instrument_currency_vol");
        let fx = reference_fx(&t);
        let ivv = ref_icv.with_values(instrument_value_vol(&ref_icv, &fx));
        assert_close(
            &format!("{code} instrument_value_vol"),
            &ivv,
            &t.series("instrument_value_vol"),
            REL,
            ABS,
        );

        let ref_ivv = t.series("instrument_value_vol");
        let vs = ref_ivv.with_values(volatility_scalar(
            target.daily_cash_vol_target(),
            &ref_ivv.values,
        ));
        assert_close(
            &format!("{code} volatility_scalar"),
            &vs,
            &t.series("volatility_scalar"),
            REL,
            ABS,
        );

        let forecast = t.series("combined_forecast");
        let pos = forecast.with_values(subsystem_position(
            &t.series("volatility_scalar"),
            &forecast,
            AVERAGE_ABSOLUTE_FORECAST,
            false,
        ));
        assert_close(
            &format!("{code} subsystem_position"),
            &pos,
            &t.series("subsystem_position"),
            REL,
            ABS,
        );
    }
}

fn daily_contract_price(data: &std::path::Path, code: &str) -> DailySeries {
    let t = systrade_test::read_csv(&data.join(format!("multiple_prices_csv/{code}.csv.gz")));
    let stamps: Vec<_> = t
        .str_column("DATETIME")
        .into_iter()
        .map(|s| systrade_model::Timestamp::parse(s).unwrap())
        .collect();
    systrade_series::resample_business_day_last(&stamps, &t.f64_column("PRICE"))
}

#[test]
fn fx_rate_usd_into_gbp_matches_pysystemtrade() {
    let Some(root) = reference_dir("fx_rate_usd_into_gbp_matches_pysystemtrade") else {
        return;
    };
    let Some(data) = systrade_test::require_pst_data("fx_rate_usd_into_gbp_matches_pysystemtrade")
    else {
        return;
    };
    let t = systrade_test::read_csv(&data.join("fx_prices_csv/GBPUSD.csv.gz"));
    let gbpusd = systrade_model::FxRates::new(
        t.str_column("DATETIME")
            .into_iter()
            .map(|s| systrade_model::Timestamp::parse(s).unwrap())
            .collect(),
        t.f64_column("PRICE"),
    );
    let fx = systrade_portfolio::fx::fx_rate_to_base(
        "USD",
        "GBP",
        |c| (c == "GBP").then_some(&gbpusd),
        &[],
    )
    .unwrap();
    for code in INSTRUMENTS {
        let reference = reference_fx(&instrument_tables(&root, code));
        assert_eq!(fx.timestamps, reference.timestamps, "{code} fx_rate index");
        // pandas' default CSV float parser can be one ulp off the exact decimal (317 of 14,611
        // GBPUSD values), hence 1e-15 rather than bit equality
        assert!(
            fx.values
                .iter()
                .zip(&reference.values)
                .all(|(a, b)| systrade_test::close_f64(*a, *b, 1e-15, 0.0)),
            "{code} fx_rate"
        );
        eprintln!("{code} fx_rate: {} values within 1e-15", fx.len());
    }
}

fn portfolio_frame(root: &std::path::Path, name: &str) -> Vec<(String, DailySeries)> {
    let tables = Tables::load(&root.join("portfolio"));
    let _ = name;
    INSTRUMENTS
        .iter()
        .map(|c| (c.to_string(), tables.series(c)))
        .collect()
}

#[test]
fn instrument_weights_and_idm_match_pysystemtrade() {
    let Some(root) = reference_dir("instrument_weights_and_idm_match_pysystemtrade") else {
        return;
    };
    let positions: Vec<(String, DailySeries)> = INSTRUMENTS
        .iter()
        .map(|c| {
            (
                c.to_string(),
                instrument_tables(&root, c).series("subsystem_position"),
            )
        })
        .collect();
    let fixed: Vec<f64> = INSTRUMENTS.iter().map(|c| weight(c)).collect();
    let fitted = unsmoothed_fitted_instrument_weights(&fixed, &positions);
    let fitted_ref = systrade_test::read_csv(
        &root.join("portfolio/instrument_weights_unsmoothed_fitted.csv.gz"),
    );
    let smoothed_ref = systrade_test::read_csv(&root.join("portfolio/instrument_weights.csv.gz"));
    let dates: Vec<_> = fitted_ref
        .str_column("index")
        .into_iter()
        .map(parse_date)
        .collect();
    let smoothed = smoothed_instrument_weights(&fitted, 125.0);
    for (k, code) in INSTRUMENTS.iter().enumerate() {
        let ours = DailySeries::new(fitted.dates.clone(), fitted.columns[k].clone());
        let reference = DailySeries::new(dates.clone(), fitted_ref.f64_column(code));
        assert_close(
            &format!("{code} unsmoothed fitted weight"),
            &ours,
            &reference,
            0.0,
            0.0,
        );
        let ours = DailySeries::new(smoothed.dates.clone(), smoothed.columns[k].clone());
        let sdates: Vec<_> = smoothed_ref
            .str_column("index")
            .into_iter()
            .map(parse_date)
            .collect();
        let reference = DailySeries::new(sdates, smoothed_ref.f64_column(code));
        assert_close(
            &format!("{code} instrument weight"),
            &ours,
            &reference,
            REL,
            ABS,
        );
    }
    let idm_ref = Tables::load(&root.join("portfolio")).series("idm");
    let idm = fixed_idm(IDM, &smoothed.dates);
    assert_close("idm", &idm, &idm_ref, 0.0, 0.0);
    let _ = portfolio_frame;
}

#[test]
fn notional_positions_and_buffers_match_pysystemtrade() {
    let Some(root) = reference_dir("notional_positions_and_buffers_match_pysystemtrade") else {
        return;
    };
    let weights = Tables::load(&root.join("portfolio"));
    let idm = weights.series("idm");
    for code in INSTRUMENTS {
        let t = instrument_tables(&root, code);
        let w = weights.series(code);
        let sub = t.series("subsystem_position");
        let n0 = notional_position_without_idm(&sub, &w);
        assert_close(
            &format!("{code} notional_position_without_idm"),
            &n0,
            &t.series("notional_position_without_idm"),
            REL,
            ABS,
        );
        let n = notional_position(&t.series("notional_position_without_idm"), &idm, None);
        assert_close(
            &format!("{code} notional_position"),
            &n,
            &t.series("notional_position"),
            REL,
            ABS,
        );

        let pos = t.series("notional_position");
        let b = buffer(
            BufferMethod::Forecast,
            BUFFER_SIZE,
            &pos,
            &t.series("volatility_scalar"),
            Some(&w),
            Some(&idm),
        );
        let edges = apply_buffers_to_position(&pos, &b);
        assert_close(
            &format!("{code} buffers__top_pos"),
            &edges.top,
            &t.series("buffers__top_pos"),
            REL,
            ABS,
        );
        assert_close(
            &format!("{code} buffers__bot_pos"),
            &edges.bottom,
            &t.series("buffers__bot_pos"),
            REL,
            ABS,
        );
    }
}
