//! The client against the fake gateway over real HTTP on 127.0.0.1: session, TLS choice, price
//! units both ways, contract resolution (crude-style months, weeklies, multipliers), orders,
//! positions and accounts.

use chrono::NaiveDate;
use std::time::Duration;
use systrade_ibkr::fakes::{FakeBar, FakeFuture, FakeGateway, FakeGatewayConfig, FillPlan};
use systrade_ibkr::{
    Gateway, GatewayOptions, IbOrderState, Ibkr, IbkrError, Order, TransportOptions,
};
use systrade_model::{CarryOffset, ContractDate, IbkrInstrument, InstrumentCode, RollParameters};

fn options(url: &str) -> GatewayOptions {
    GatewayOptions {
        transport: TransportOptions {
            timeout: Duration::from_secs(5),
            retries: 2,
            backoff: Duration::from_millis(5),
            ..TransportOptions::default()
        },
        ..GatewayOptions::new(url)
    }
}

fn gateway(url: &str) -> Gateway {
    Gateway::new(options(url)).unwrap()
}

fn code(s: &str) -> InstrumentCode {
    InstrumentCode::new(s).unwrap()
}

fn contract(id: i64) -> ContractDate {
    ContractDate::from_id(id).unwrap()
}

fn row(
    instrument: &str,
    symbol: &str,
    exchange: &str,
    multiplier: Option<f64>,
    magnifier: f64,
    ignore_weekly: bool,
) -> IbkrInstrument {
    IbkrInstrument::new(
        code(instrument),
        symbol,
        exchange,
        None,
        multiplier,
        magnifier,
        ignore_weekly,
    )
    .unwrap()
}

fn roll(instrument: &str, priced: &str, expiry_offset: i64) -> RollParameters {
    RollParameters {
        instrument: code(instrument),
        hold_cycle: priced.parse().unwrap(),
        priced_cycle: priced.parse().unwrap(),
        roll_offset_days: -5,
        carry_offset: CarryOffset::Next,
        expiry_offset,
    }
}

fn es_fake() -> FakeGateway {
    let mut es = FakeFuture::new("ES", "CME", 495512557, 20241220);
    es.bars = vec![FakeBar {
        t: 1_747_229_400_000, // 2025-05-14 13:30 UTC
        o: 212.43,
        h: 213.94,
        l: 210.58,
        c: 212.33,
        v: 266616.18,
    }];
    FakeGateway::start(FakeGatewayConfig {
        futures: vec![es],
        ..FakeGatewayConfig::default()
    })
}

#[test]
fn iserver_answers_401_until_the_session_is_initialised_and_the_client_reauthenticates() {
    let fake = es_fake();
    let ibkr = Ibkr::new(
        gateway(&fake.base_url()),
        [row("SP500", "ES", "CME", None, 1.0, false)],
        [],
    );
    // /trsrv is not /iserver: it answers without a brokerage session.
    let listed = ibkr.listed(&code("SP500")).unwrap();
    assert_eq!(listed[0].conid, 495512557);
    assert_eq!(fake.stats().answered_401, 0);
    // No ensure_session first: the history call meets a 401, initialises the session, retries.
    let bars = ibkr.daily_bars(&code("SP500"), 495512557, "1w").unwrap();
    let stats = fake.stats();
    assert_eq!(stats.answered_401, 1);
    assert_eq!(stats.ssodh_inits, 1);
    assert_eq!(bars.len(), 1);
    assert_eq!(bars[0].date, NaiveDate::from_ymd_opt(2025, 5, 14).unwrap());
    assert_eq!(
        (bars[0].open, bars[0].close, bars[0].volume),
        (212.43, 212.33, 266616.18)
    );
}

#[test]
fn the_session_is_initialised_kept_alive_and_its_cookie_sent_back() {
    let fake = es_fake();
    let gw = Gateway::new(GatewayOptions {
        keepalive: Duration::ZERO,
        ..options(&fake.base_url())
    })
    .unwrap();
    gw.ensure_session().unwrap();
    let s = fake.stats();
    assert_eq!((s.tickles, s.ssodh_inits, s.answered_401), (1, 1, 0));
    gw.accounts().unwrap();
    gw.accounts().unwrap();
    let s = fake.stats();
    // A session quiet for the keep-alive interval (here: any time) is tickled before each call.
    assert_eq!(s.tickles, 3, "{s:?}");
    assert!(s.requests_with_cookie >= 4, "{s:?}");

    let nobody = FakeGateway::start(FakeGatewayConfig {
        logged_in: false,
        ..FakeGatewayConfig::default()
    });
    let e = gateway(&nobody.base_url()).ensure_session().unwrap_err();
    assert!(matches!(e, IbkrError::NotAuthenticated(_)), "{e:?}");
    assert!(e.is_unavailable());
}

#[test]
fn a_self_signed_certificate_is_refused_unless_accepted_explicitly() {
    let fake = FakeGateway::start_on(0, true, FakeGatewayConfig::default());
    assert!(fake.base_url().starts_with("https://127.0.0.1:"));
    let e = gateway(&fake.base_url()).ensure_session().unwrap_err();
    assert!(e.is_certificate_refused(), "{e:?}");
    assert!(e.is_unavailable());
    assert!(e.to_string().contains("TLS certificate was refused"), "{e}");
    let mut opts = options(&fake.base_url());
    opts.transport.accept_invalid_certs = true;
    Gateway::new(opts).unwrap().ensure_session().unwrap();
    assert_eq!(fake.stats().ssodh_inits, 1);
}

/// CORN quoted in dollars by the gateway, stored in cents: magnifier 100.
fn corn_fake() -> (FakeGateway, i64) {
    let mut zc = FakeFuture::new("ZC", "CBOT", 1001, 20241213);
    zc.multiplier = 5000.0;
    zc.price = Some(4.8025);
    zc.bars = vec![FakeBar {
        t: 1_747_180_800_000, // 2025-05-13 23:00 UTC: trading date 2025-05-14
        o: 4.8,
        h: 4.9,
        l: 4.75,
        c: 4.8525,
        v: 1000.0,
    }];
    let fake = FakeGateway::start(FakeGatewayConfig {
        futures: vec![zc],
        session_initialised: true,
        ..FakeGatewayConfig::default()
    });
    (fake, 1001)
}

#[test]
fn one_price_conversion_both_ways_with_a_magnifier_of_100() {
    let (fake, conid) = corn_fake();
    let ibkr = Ibkr::new(
        gateway(&fake.base_url()),
        [row("CORN", "ZC", "CBOT", Some(5000.0), 100.0, false)],
        [],
    );
    let corn = code("CORN");
    let bars = ibkr.daily_bars(&corn, conid, "5d").unwrap();
    assert_eq!((bars[0].open, bars[0].close), (480.0, 485.25));
    assert_eq!(bars[0].volume, 1000.0);
    let account = ibkr.gateway().accounts().unwrap().choose(None).unwrap();
    let order = Order {
        instrument: corn.clone(),
        contract: contract(20241200),
        client_order_id: "s1-CORN-20240105-001".into(),
        quantity: 2,
        limit_price: Some(481.25),
    };
    let sent = ibkr.submit(&account, &order, 10).unwrap();
    assert_eq!(sent.state, IbOrderState::Working);
    // Sent in IB's units.
    assert_eq!(fake.limit_prices(), vec![Some(4.8125)]);
    // Filled at IB's 4.8025 dollars: 480.25 cents, by status and by client order id.
    let st = ibkr.order_status(&corn, &sent.order_id).unwrap().unwrap();
    assert_eq!((st.state, st.filled), (IbOrderState::Filled, 2));
    assert_eq!(st.average_price, Some(480.25));
    let found = ibkr
        .find_order(&corn, "s1-CORN-20240105-001", 2)
        .unwrap()
        .unwrap();
    assert_eq!(found.average_price, Some(480.25));
    // The position's market price, in cents too.
    let pos = ibkr
        .positions(&account, std::slice::from_ref(&corn))
        .unwrap();
    assert_eq!(pos.len(), 1);
    assert_eq!(pos[0].contract, Some((corn, contract(20241200))));
    assert_eq!(pos[0].position, 2);
    assert_eq!(pos[0].market_price, Some(480.25));
    assert_eq!(pos[0].average_price, Some(480.25));
}

#[test]
fn crude_style_months_next_to_quarterly_ones() {
    // CL: the December contract expires on 20 November, IB's contract month says December.
    let mut futures = Vec::new();
    for (k, (exp, month)) in [(20241120, 202412), (20241219, 202501), (20250121, 202502)]
        .into_iter()
        .enumerate()
    {
        let mut f = FakeFuture::new("CL", "NYMEX", 2000 + k as i64, exp);
        f.contract_month = Some(month);
        f.multiplier = 1000.0;
        futures.push(f);
    }
    futures.push(FakeFuture::new("ES", "CME", 3001, 20241220));
    futures.push(FakeFuture::new("ES", "CME", 3002, 20250321));
    let fake = FakeGateway::start(FakeGatewayConfig {
        futures,
        session_initialised: true,
        ..FakeGatewayConfig::default()
    });
    let ibkr = Ibkr::new(
        gateway(&fake.base_url()),
        [
            row("CRUDE_W", "CL", "NYMEX", Some(1000.0), 1.0, false),
            row("SP500", "ES", "CME", None, 1.0, false),
        ],
        [
            roll("CRUDE_W", "FGHJKMNQUVXZ", -11),
            roll("SP500", "HMUZ", 20),
        ],
    );
    let crude = code("CRUDE_W");
    let dec = ibkr.resolve(&crude, contract(20241200)).unwrap().unwrap();
    assert_eq!(dec.conid, 2000);
    assert_eq!(
        ibkr.contract_of(&crude, &dec).unwrap(),
        Some(contract(20241200))
    );
    assert_eq!(
        ibkr.listed_contracts(&crude).unwrap(),
        vec![contract(20241200), contract(20250100), contract(20250200)]
    );
    let es = ibkr
        .resolve(&code("SP500"), contract(20250300))
        .unwrap()
        .unwrap();
    assert_eq!(es.conid, 3002);
    // The client can ask IB's own contract month (issue 14 item 3 builds on it).
    let gw = ibkr.gateway();
    let details = gw.contract_details(2000).unwrap();
    assert_eq!(details.contract_month, Some(contract(20241200)));
    assert_eq!(details.expiry, NaiveDate::from_ymd_opt(2024, 11, 20));
    assert_eq!(details.multiplier, Some(1000.0));
    let underlying = dec.underlying_conid.unwrap();
    let month = gw
        .futures_of_month(underlying, "NYMEX", contract(20241200))
        .unwrap();
    assert_eq!(
        month.iter().map(|f| f.conid).collect::<Vec<_>>(),
        vec![2000]
    );
}

#[test]
fn weeklies_and_shared_symbols_are_told_apart_by_the_mapping() {
    let mut futures = Vec::new();
    for (k, exp) in [20241204, 20241211, 20241218, 20241224]
        .into_iter()
        .enumerate()
    {
        futures.push(FakeFuture::new("VIX", "CFE", 4000 + k as i64, exp));
    }
    // FTMIB at IDEM: the full contract (multiplier 5) and the mini (1) expire together.
    let mut full = FakeFuture::new("FTMIB", "IDEM", 5001, 20241220);
    full.multiplier = 5.0;
    full.currency = "EUR".into();
    let mut mini = FakeFuture::new("FTMIB", "IDEM", 5002, 20241220);
    mini.currency = "EUR".into();
    futures.extend([full, mini]);
    let fake = FakeGateway::start(FakeGatewayConfig {
        futures,
        session_initialised: true,
        ..FakeGatewayConfig::default()
    });
    let ibkr = Ibkr::new(
        gateway(&fake.base_url()),
        [
            row("VIX", "VIX", "CFE", None, 1.0, false),
            row("VIX_W", "VIX", "CFE", None, 1.0, true),
            row("MIB_mini", "FTMIB", "IDEM", Some(1.0), 1.0, false),
            row("MIB_any", "FTMIB", "IDEM", None, 1.0, false),
        ],
        [
            roll("VIX", "FGHJKMNQUVXZ", 17),
            roll("VIX_W", "FGHJKMNQUVXZ", 17),
        ],
    );
    let dec = contract(20241200);
    let e = ibkr.resolve(&code("VIX"), dec).unwrap_err();
    assert!(
        matches!(&e, IbkrError::Lookup(m) if m.contains("IgnoreWeekly")),
        "{e}"
    );
    assert_eq!(
        ibkr.resolve(&code("VIX_W"), dec).unwrap().unwrap().conid,
        4002
    );
    assert_eq!(
        ibkr.resolve(&code("MIB_mini"), dec).unwrap().unwrap().conid,
        5002
    );
    assert!(fake.stats().contract_info_calls >= 2);
    assert!(ibkr.resolve(&code("MIB_any"), dec).is_err());
}

#[test]
fn orders_need_a_mapping_and_a_listed_contract() {
    let fake = FakeGateway::start(FakeGatewayConfig {
        synthesize_futures: true,
        session_initialised: true,
        fill_plan: FillPlan::Hold,
        ..FakeGatewayConfig::default()
    });
    let ibkr = Ibkr::new(
        gateway(&fake.base_url()),
        [row("AAA", "AAA", "CME", None, 1.0, false)],
        [],
    );
    let order = |instrument: &str, c: i64| Order {
        instrument: code(instrument),
        contract: contract(c),
        client_order_id: format!("s1-{instrument}-{c}"),
        quantity: -1,
        limit_price: None,
    };
    let e = ibkr
        .submit("DU1234567", &order("BBB", 20240300), 10)
        .unwrap_err();
    assert!(
        matches!(&e, IbkrError::Lookup(m) if m.contains("no row")),
        "{e}"
    );
    let e = ibkr
        .submit("DU1234567", &order("AAA", 20400300), 10)
        .unwrap_err();
    assert!(
        matches!(&e, IbkrError::Lookup(m) if m.contains("no IB future")),
        "{e}"
    );
    let r = ibkr
        .submit("DU1234567", &order("AAA", 20240300), 10)
        .unwrap();
    assert_eq!(r.state, IbOrderState::Working);
    assert_eq!(
        fake.orders(),
        vec![(
            "s1-AAA-20240300".to_string(),
            -1,
            0,
            "PreSubmitted".to_string()
        )]
    );
}

#[test]
fn accounts_and_net_liquidation_value() {
    let fake = FakeGateway::start(FakeGatewayConfig {
        net_liquidation: 2_500_000.5,
        base_currency: "GBP".into(),
        ..FakeGatewayConfig::default()
    });
    let gw = gateway(&fake.base_url());
    gw.ensure_session().unwrap();
    let accounts = gw.accounts().unwrap();
    assert_eq!(accounts.choose(None).unwrap(), "DU1234567");
    assert_eq!(
        gw.portfolio_accounts().unwrap(),
        vec!["DU1234567".to_string()]
    );
    let nlv = gw.net_liquidation("DU1234567").unwrap();
    assert_eq!(
        (nlv.amount, nlv.currency.as_deref()),
        (2_500_000.5, Some("GBP"))
    );
}

/// Issue 14 item 3: our contract month is IB's contract month, never "the future expiring in that
/// month". On the fake's standard market (crude-style CL next to quarterly ES, corn quoted in
/// dollars) and without any roll configuration (the old mapping fell back to the expiry's month:
/// December → the future expiring 19-20 December, IB's January contract), orders, positions and
/// the listed months all go by IB's `contract_month`; resolved contracts keep the exact expiry.
#[test]
fn contract_months_are_ibs_own_not_the_expiry_month() {
    let fake = FakeGateway::start(FakeGatewayConfig {
        session_initialised: true,
        ..FakeGatewayConfig::standard()
    });
    let ibkr = Ibkr::new(
        gateway(&fake.base_url()),
        [
            row("CRUDE_W", "CL", "NYMEX", Some(1000.0), 1.0, false),
            row("SP500", "ES", "CME", None, 1.0, false),
            row("CORN", "ZC", "CBOT", Some(5000.0), 100.0, false),
        ],
        [],
    );
    let crude = code("CRUDE_W");
    let dec = ibkr.resolve(&crude, contract(20241200)).unwrap().unwrap();
    assert_eq!(dec.conid, 1_600_202_412, "IB's DEC24, expiring in November");
    assert_eq!(dec.expiry, NaiveDate::from_ymd_opt(2024, 11, 20).unwrap());
    let jan = ibkr.resolve(&crude, contract(20250100)).unwrap().unwrap();
    assert_eq!(jan.conid, 1_600_202_501);
    assert_eq!(jan.expiry, NaiveDate::from_ymd_opt(2024, 12, 20).unwrap());
    // Back: a future maps to its IB contract month.
    assert_eq!(
        ibkr.contract_of(&crude, &jan).unwrap(),
        Some(contract(20250100))
    );
    let es = ibkr.resolve(&code("SP500"), contract(20241200)).unwrap();
    assert_eq!(es.map(|f| f.conid), Some(1_700_202_412));
    assert_eq!(
        ibkr.resolve(&code("SP500"), contract(20241100)).unwrap(),
        None
    );
    // Fetch-prices' list of months with nothing stored: IB's months.
    let months = ibkr.listed_contracts(&crude).unwrap();
    assert_eq!(months.first(), Some(&contract(20240100)));
    assert_eq!(months.len(), 48);
    // Orders go to IB's contract month; positions come back to it, prices in our units.
    let account = ibkr.gateway().accounts().unwrap().choose(None).unwrap();
    for (i, c, q) in [("CRUDE_W", 20241200, 2), ("CORN", 20241200, -3)] {
        let order = Order {
            instrument: code(i),
            contract: contract(c),
            client_order_id: format!("s1-{i}-{c}"),
            quantity: q,
            limit_price: None,
        };
        ibkr.submit(&account, &order, 10).unwrap();
    }
    assert_eq!(fake.order_conids(), vec![1_600_202_412, 1_800_202_412]);
    fake.release();
    let corn = code("CORN");
    let st = ibkr
        .find_order(&corn, "s1-CORN-20241200", -3)
        .unwrap()
        .unwrap();
    assert_eq!(st.average_price, Some(480.25));
    let mut pos = ibkr
        .positions(&account, &[crude.clone(), corn.clone()])
        .unwrap();
    pos.sort_by_key(|p| p.conid);
    let got: Vec<_> = pos
        .iter()
        .map(|p| (p.contract.clone(), p.position, p.market_price))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some((crude.clone(), contract(20241200))), 2, Some(70.0)),
            (Some((corn.clone(), contract(20241200))), -3, Some(480.25)),
        ]
    );
    let resolved: Vec<(String, i64, i64, String)> = ibkr
        .resolved_contracts()
        .into_iter()
        .map(|(i, c, f)| (i.to_string(), c.id(), f.conid, f.expiry.to_string()))
        .collect();
    assert!(resolved.contains(&(
        "CRUDE_W".into(),
        20241200,
        1_600_202_412,
        "2024-11-20".into()
    )));
    assert!(resolved.contains(&("CORN".into(), 20241200, 1_800_202_412, "2024-12-14".into())));
}
