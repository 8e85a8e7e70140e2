//! Properties of the committed testdata market and of the universe generator.

use chrono::{Datelike, NaiveDate, Weekday};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use systrade_model::ContractDate;
use systrade_synth::{
    ContractHistory, HolidayCalendar, InstrumentMarket, InstrumentSpec, Market, MarketSpec,
    generate_instrument, generate_market, testdata, universe,
};

fn market() -> &'static (MarketSpec, Market) {
    static MARKET: OnceLock<(MarketSpec, Market)> = OnceLock::new();
    MARKET.get_or_init(|| {
        let spec = testdata();
        let market = generate_market(&spec);
        (spec, market)
    })
}

fn instrument(code: &str) -> (&'static InstrumentSpec, &'static InstrumentMarket) {
    let (spec, market) = market();
    let i = spec
        .instruments
        .iter()
        .position(|s| s.code().as_str() == code)
        .unwrap_or_else(|| panic!("{code} in testdata"));
    (&spec.instruments[i], &market.instruments[i])
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn c(id: i64) -> ContractDate {
    ContractDate::from_id(id).unwrap()
}

fn volumes(h: &ContractHistory) -> BTreeMap<NaiveDate, u64> {
    h.bars.iter().map(|b| (b.date, b.volume)).collect()
}

#[test]
fn same_seed_same_market_other_seed_differs() {
    let (spec, market) = market();
    assert_eq!(&generate_market(spec), market);
    let mut other = spec.clone();
    other.seed += 1;
    let other = generate_market(&other);
    assert_ne!(&other, market);
    let closes = |m: &Market| -> Vec<f64> {
        m.instruments[0].contracts[0]
            .bars
            .iter()
            .map(|b| b.close)
            .collect()
    };
    assert_ne!(closes(&other), closes(market));
}

#[test]
fn testdata_covers_the_intended_cases() {
    let (spec, market) = market();
    let codes: Vec<&str> = spec.instruments.iter().map(|i| i.code().as_str()).collect();
    assert_eq!(codes, ["US10", "CORN", "VIX", "EUROSTX", "GOLD", "COPPER"]);
    assert_eq!(market.instruments.len(), codes.len());
    let (corn, _) = instrument("CORN");
    assert_eq!(corn.roll.hold_cycle.to_string(), "Z");
    assert_eq!(corn.roll.priced_cycle.to_string(), "HKNUZ");
    assert_eq!(corn.roll.carry_offset.as_i64(), -1);
    let (us10, _) = instrument("US10");
    assert_eq!(us10.roll.hold_cycle.to_string(), "HMUZ");
    assert_eq!(us10.roll.carry_offset.as_i64(), 1);
    let (vix, _) = instrument("VIX");
    assert_eq!(vix.roll.priced_cycle.len(), 12);
    for s in &spec.instruments {
        for m in s.roll.hold_cycle.months() {
            assert!(
                s.roll.priced_cycle.contains(*m),
                "{}: held month {m} not priced",
                s.code()
            );
        }
        assert!(s.first_date >= spec.start && s.first_date < spec.end);
    }
}

#[test]
fn term_structure_is_in_contango_and_in_backwardation() {
    let (spec, market) = market();
    for (s, m) in spec.instruments.iter().zip(&market.instruments) {
        // close of the nearest and the second-nearest contract on each date
        let mut by_date: BTreeMap<NaiveDate, Vec<f64>> = BTreeMap::new();
        for h in &m.contracts {
            for b in &h.bars {
                by_date.entry(b.date).or_default().push(b.close);
            }
        }
        let (mut contango, mut backwardation, mut days) = (0, 0, 0);
        for closes in by_date.values().filter(|v| v.len() >= 2) {
            days += 1;
            let slope = closes[1] / closes[0] - 1.0;
            if slope > 0.001 {
                contango += 1;
            } else if slope < -0.001 {
                backwardation += 1;
            }
        }
        assert!(
            contango * 20 > days && backwardation * 20 > days,
            "{}: {contango} days in contango, {backwardation} in backwardation of {days}",
            s.code()
        );
    }
}

#[test]
fn volume_moves_to_the_next_contract_before_expiry() {
    let (spec, market) = market();
    let mut pairs_checked = 0;
    for (s, m) in spec.instruments.iter().zip(&market.instruments) {
        for pair in m.contracts.windows(2) {
            let (current, next) = (&pair[0], &pair[1]);
            let expected_next = s.roll.next_priced_contract(current.contract);
            if expected_next != next.contract {
                // only a contract listed after the end of the data may be absent
                let late = s.late_listings.iter().find(|l| l.contract == expected_next);
                assert!(
                    late.is_some_and(|l| l.first_day > spec.end),
                    "{}: {expected_next} missing",
                    s.code()
                );
                continue;
            }
            let expiry = s.roll.approx_expiry(current.contract);
            let late = s.late_listings.iter().any(|l| l.contract == next.contract);
            if late || expiry > spec.end || current.bars[0].date > expiry - chrono::Days::new(60) {
                continue;
            }
            let (vc, vn) = (volumes(current), volumes(next));
            let common: Vec<(NaiveDate, u64, u64)> = vc
                .iter()
                .filter_map(|(d, v)| vn.get(d).map(|w| (*d, *v, *w)))
                .collect();
            let settled = expiry - chrono::Days::new(2 * s.volume.roll_days as u64 + 3);
            let leading = common
                .iter()
                .rev()
                .find(|(d, _, _)| *d <= settled)
                .unwrap_or_else(|| panic!("{} {}: no common day", s.code(), current.contract));
            assert!(
                leading.1 > leading.2,
                "{} {}: current not the most traded on {}",
                s.code(),
                current.contract,
                leading.0
            );
            assert!(
                common
                    .iter()
                    .any(|(d, v, w)| *d > leading.0 && *d <= expiry && w > v),
                "{} {}: volume never moved to {} before expiry {expiry}",
                s.code(),
                current.contract,
                next.contract
            );
            // volume rises as expiry approaches: mean over 20 days ~4 months out vs before the roll
            let mean = |from: NaiveDate, to: NaiveDate| {
                let v: Vec<f64> = vc.range(from..=to).map(|(_, v)| *v as f64).collect();
                (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
            };
            let early = mean(
                expiry - chrono::Days::new(130),
                expiry - chrono::Days::new(110),
            );
            let late = mean(settled - chrono::Days::new(20), settled).unwrap();
            if let Some(early) = early {
                assert!(
                    early < late,
                    "{} {}: {early} > {late}",
                    s.code(),
                    current.contract
                );
            }
            pairs_checked += 1;
        }
    }
    assert!(pairs_checked > 250, "only {pairs_checked} pairs checked");
}

#[test]
fn bars_are_ordered_on_tick_and_inside_each_contract_life() {
    let (spec, market) = market();
    for (s, m) in spec.instruments.iter().zip(&market.instruments) {
        let calendar = HolidayCalendar::for_region(&s.instrument.region);
        let on_tick = |p: f64| ((p / s.tick.size) - (p / s.tick.size).round()).abs() < 1e-6;
        assert!(
            m.contracts
                .windows(2)
                .all(|w| w[0].contract < w[1].contract)
        );
        for h in &m.contracts {
            let expiry = s.roll.approx_expiry(h.contract);
            let listed = s.listing_date(h.contract).max(s.first_date);
            assert!(
                h.bars.first().unwrap().date >= listed,
                "{} {}",
                s.code(),
                h.contract
            );
            assert!(
                h.bars.last().unwrap().date <= expiry,
                "{} {} after expiry",
                s.code(),
                h.contract
            );
            assert!(h.bars.last().unwrap().date <= spec.end);
            assert!(h.bars.windows(2).all(|w| w[0].date < w[1].date));
            for b in &h.bars {
                assert!(!matches!(b.date.weekday(), Weekday::Sat | Weekday::Sun));
                assert!(
                    !calendar.is_holiday(b.date),
                    "{} trades on {}",
                    s.code(),
                    b.date
                );
                assert!(
                    b.low > 0.0 && b.low <= b.open.min(b.close) && b.high >= b.open.max(b.close)
                );
                assert!(
                    [b.open, b.high, b.low, b.close].into_iter().all(on_tick),
                    "{b:?}"
                );
            }
        }
    }
}

/// Weekdays that are not holidays in `[first, last]` of a contract but have no bar.
fn missing_days(s: &InstrumentSpec, h: &ContractHistory) -> Vec<NaiveDate> {
    let calendar = HolidayCalendar::for_region(&s.instrument.region);
    let have: BTreeSet<NaiveDate> = h.bars.iter().map(|b| b.date).collect();
    let (first, last) = (h.bars[0].date, h.bars.last().unwrap().date);
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .filter(|d| !calendar.is_holiday(*d) && !have.contains(d))
        .collect()
}

#[test]
fn contracts_have_missing_days() {
    let (gold, m) = instrument("GOLD");
    let june = m.contract(c(20210600)).expect("GOLD 20210600");
    let missing = missing_days(gold, june);
    for d in date(2021, 4, 12)
        .iter_days()
        .take_while(|d| *d <= date(2021, 4, 23))
    {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            assert!(missing.contains(&d), "GOLD 20210600 has a bar on {d}");
        }
    }
    assert!(
        june.bars
            .iter()
            .any(|b| b.date < date(2021, 4, 12) && b.date >= date(2021, 4, 5))
    );
    assert!(
        june.bars
            .iter()
            .any(|b| b.date > date(2021, 4, 23) && b.date <= date(2021, 4, 30))
    );
    // held at the time: after the April contract's roll, before its own
    assert!(gold.roll.desired_roll_date(c(20210400)) < date(2021, 4, 12));
    assert!(gold.roll.desired_roll_date(c(20210600)) > date(2021, 4, 23));
    // random gaps: about 2 % of GOLD's days, rarer elsewhere but present
    let (gaps, days) = m.contracts.iter().fold((0, 0), |(g, n), h| {
        (g + missing_days(gold, h).len(), n + h.bars.len())
    });
    assert!(gaps * 100 > days, "GOLD: {gaps} missing of {days}");
    let (us10, m) = instrument("US10");
    assert!(
        m.contracts
            .iter()
            .any(|h| !missing_days(us10, h).is_empty())
    );
}

#[test]
fn late_listed_contracts() {
    let (copper, m) = instrument("COPPER");
    assert_eq!(m.contracts[0].bars[0].date, date(2018, 1, 2));
    let sep = m.contract(c(20230900)).expect("COPPER 20230900 exists");
    let first = sep.bars[0].date;
    assert!(
        first >= date(2023, 7, 10) && first <= date(2023, 7, 14),
        "first bar {first}"
    );
    // listed after the day we wanted to roll into it
    let july = c(20230700);
    assert_eq!(copper.roll.next_held_contract(july), c(20230900));
    assert!(copper.roll.desired_roll_date(july) < date(2023, 7, 10));
    assert!(m.contract(july).unwrap().bars.last().unwrap().date >= first);
    // the next held contract has no prices at the end of the data; its neighbours do
    assert_eq!(copper.roll.next_held_contract(c(20230900)), c(20231200));
    assert!(m.contract(c(20231200)).is_none());
    assert!(copper.contracts(market().0.end).contains(&c(20231200)));
    assert!(m.contract(c(20231000)).is_some() && m.contract(c(20240100)).is_some());
    // at the end we are past the desired roll date of the contract still trading
    assert!(copper.roll.desired_roll_date(c(20230900)) < market().0.end);
    assert_eq!(sep.bars.last().unwrap().date, market().0.end);
}

#[test]
fn fx_for_every_non_usd_currency_on_every_trading_day() {
    let (spec, market) = market();
    let currencies: BTreeSet<&str> = market.fx.iter().map(|f| f.currency.as_str()).collect();
    assert_eq!(currencies, BTreeSet::from(["EUR"]));
    for (s, m) in spec.instruments.iter().zip(&market.instruments) {
        let ccy = s.instrument.currency.as_str();
        if ccy == "USD" {
            continue;
        }
        let fx = market
            .fx
            .iter()
            .find(|f| f.currency == ccy)
            .expect("fx series");
        let fx_days: BTreeSet<NaiveDate> = fx.rates.iter().map(|r| r.0).collect();
        for h in &m.contracts {
            for b in &h.bars {
                assert!(fx_days.contains(&b.date), "{ccy}USD missing on {}", b.date);
            }
        }
        assert!(fx.rates.iter().all(|(_, r)| (0.5..2.0).contains(r)));
        assert!(fx.rates.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(fx.rates.last().unwrap().0, spec.end);
    }
}

#[test]
fn universe_draws_many_instruments_from_templates() {
    let u = universe(60, 3, 11);
    assert_eq!(u, universe(60, 3, 11));
    assert_ne!(u, universe(60, 3, 12));
    assert_eq!(u.instruments.len(), 60);
    let codes: BTreeSet<&str> = u.instruments.iter().map(|i| i.code().as_str()).collect();
    assert_eq!(codes.len(), 60);
    let templates: BTreeSet<&str> = codes
        .iter()
        .map(|c| c.trim_end_matches(|ch: char| ch.is_ascii_digit()))
        .collect();
    assert!(templates.len() >= 5, "{templates:?}");
    assert!((u.end - u.start).num_days() > 3 * 365 - 3);
    let fx: BTreeSet<&str> = u.fx.iter().map(|f| f.currency.as_str()).collect();
    for s in &u.instruments {
        assert!(s.first_date >= u.start);
        let ccy = s.instrument.currency.as_str();
        assert!(ccy == "USD" || fx.contains(ccy), "no FX for {ccy}");
    }
    for s in u.instruments.iter().take(6) {
        let m = generate_instrument(s, u.seed, u.end);
        assert!(
            m.contracts.len() >= 4,
            "{}: {} contracts",
            s.code(),
            m.contracts.len()
        );
        assert_eq!(m.contracts.last().unwrap().bars.last().unwrap().date, u.end);
    }
}
