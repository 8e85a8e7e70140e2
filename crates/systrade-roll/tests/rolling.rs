//! Roll calendars, multiple and adjusted prices on small hand-made markets (spec §2.3–2.5): an
//! HMUZ instrument, a Z instrument with carry −1, a contract with missing days, an instrument whose
//! next contract has no prices yet, and the daily update.

use chrono::{Datelike, NaiveDate, Weekday};
use systrade_model::{
    CarryOffset, ContractBar, ContractDate, ContractPrices, InstrumentCode, RollCalendarRow,
    RollParameters, Timestamp,
};
use systrade_roll::{
    PricesByContract, RollError, calendar_from_contract_prices, calendar_from_multiple,
    multiple_from_calendar, panama_adjust, roll_adjusted, update_adjusted_no_roll,
    update_multiple_no_roll, without_trailing_missing,
};

fn c(id: i64) -> ContractDate {
    ContractDate::from_id(id).unwrap()
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn params(hold: &str, priced: &str, roll_offset: i64, carry: i64, expiry: i64) -> RollParameters {
    RollParameters {
        instrument: InstrumentCode::new("TEST").unwrap(),
        hold_cycle: hold.parse().unwrap(),
        priced_cycle: priced.parse().unwrap(),
        roll_offset_days: roll_offset,
        carry_offset: CarryOffset::from_i64(carry).unwrap(),
        expiry_offset: expiry,
    }
}

/// Daily bars at 23:00 on weekdays from `history` days before the approximate expiry to the
/// expiry; price = base + contract month index (so each contract has its own level) + day / 1000.
fn contract_bars(
    p: &RollParameters,
    contract: i64,
    history: u64,
    skip: &[&str],
) -> Vec<ContractBar> {
    let cd = c(contract);
    let expiry = p.approx_expiry(cd);
    let level = f64::from(cd.year() - 2000) * 12.0 + f64::from(cd.month().number());
    let mut out = Vec::new();
    let mut day = expiry - chrono::Days::new(history);
    while day <= expiry {
        let skipped = skip
            .iter()
            .any(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap() == day);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !skipped {
            let t = Timestamp::from_datetime(day.and_hms_opt(23, 0, 0).unwrap());
            out.push(ContractBar {
                contract: cd,
                timestamp: t,
                open: f64::NAN,
                high: f64::NAN,
                low: f64::NAN,
                close: 100.0 + level + f64::from(day.ordinal()) / 1000.0,
                volume: 1000.0,
            });
        }
        day = day.succ_opt().unwrap();
    }
    out
}

fn market(p: &RollParameters, contracts: &[i64], skip: &[(i64, &[&str])]) -> ContractPrices {
    market_with_history(p, contracts, 270, skip)
}

fn market_with_history(
    p: &RollParameters,
    contracts: &[i64],
    history: u64,
    skip: &[(i64, &[&str])],
) -> ContractPrices {
    let mut bars: ContractPrices = contracts
        .iter()
        .flat_map(|&k| {
            let s = skip
                .iter()
                .find(|(c, _)| *c == k)
                .map_or(&[][..], |(_, s)| s);
            contract_bars(p, k, history, s)
        })
        .collect();
    bars.sort_by_key(|b| (b.timestamp, b.contract));
    bars
}

fn rolls(cal: &[RollCalendarRow]) -> Vec<(String, i64, i64, i64)> {
    cal.iter()
        .map(|r| {
            (
                r.timestamp.to_string(),
                r.current_contract.id(),
                r.next_contract.id(),
                r.carry_contract.id(),
            )
        })
        .collect()
}

#[test]
fn hmuz_calendar_multiple_and_adjusted() {
    // SP500-like: expiry ≈ 15th, roll 5 days before
    let p = params("HMUZ", "HMUZ", -5, 1, 14);
    let bars = market(&p, &[20230300, 20230600, 20230900, 20231200, 20240300], &[]);
    let prices = PricesByContract::from_bars(&bars);
    let cal = calendar_from_contract_prices(&p, &prices).unwrap();
    assert_eq!(
        rolls(&cal),
        vec![
            // desired 2023-03-10 (Fri): that day's 23:00 is 0 whole days away
            ("2023-03-10 23:00:00".into(), 20230300, 20230600, 20230600),
            // desired 2023-06-10 (Sat): Fri 23:00 is floor(-0.04) = -1 day, Mon 23:00 is 2 days
            ("2023-06-09 23:00:00".into(), 20230600, 20230900, 20230900),
            // desired 2023-09-10 (Sun): Fri 23:00 is floor(-1.04) = -2 days, Mon 23:00 is 1 day
            ("2023-09-11 23:00:00".into(), 20230900, 20231200, 20231200),
            // desired 2023-12-10 (Sun): Mon 11 December 23:00 is 1 day away
            ("2023-12-11 23:00:00".into(), 20231200, 20240300, 20240300),
            // final row: 20240300 to its last price; its next and carry 20240600 have no prices yet
            ("2024-03-15 23:00:00".into(), 20240300, 20240600, 20240600),
        ]
    );
    let multiple = multiple_from_calendar(&cal, &prices).unwrap();
    // starts after the first calendar row, in the contract held after it
    assert_eq!(multiple[0].timestamp, ts("2023-03-13 23:00:00"));
    assert_eq!(multiple[0].price_contract, c(20230600));
    // the row at a roll date still prices the old contract, FORWARD the new one
    let at_roll = multiple
        .iter()
        .find(|r| r.timestamp == ts("2023-06-09 23:00:00"))
        .unwrap();
    assert_eq!(at_roll.price_contract, c(20230600));
    assert_eq!(at_roll.forward_contract, c(20230900));
    assert_eq!(
        Some(at_roll.forward),
        prices.price_at(c(20230900), at_roll.timestamp)
    );
    // backing the calendar out again gives the same rolls (after the first one)
    let backed = calendar_from_multiple(&multiple);
    assert_eq!(rolls(&backed)[..], rolls(&cal)[1..]);
    // the final period has no FORWARD/CARRY prices: 20240600 has none
    assert!(multiple.last().unwrap().forward.is_nan());

    let adjusted = panama_adjust(&multiple, false).unwrap();
    let last = multiple.last().unwrap();
    assert_eq!(*adjusted.values.last().unwrap(), last.price);
    // first value: shifted by both gaps, added in roll order
    let gap = |t: &str, from: i64, to: i64| {
        prices.price_at(c(to), ts(t)).unwrap() - prices.price_at(c(from), ts(t)).unwrap()
    };
    let expected = ((multiple[0].price + gap("2023-06-09 23:00:00", 20230600, 20230900))
        + gap("2023-09-11 23:00:00", 20230900, 20231200))
        + gap("2023-12-11 23:00:00", 20231200, 20240300);
    assert_eq!(adjusted.values[0].to_bits(), expected.to_bits());
}

#[test]
fn z_hold_cycle_with_carry_from_previous_priced_month() {
    // CORN-like: hold Z, priced HKNUZ, carry −1 (previous priced month), expiry ≈ 15th, roll 60 days
    // before (spec §8 item 23)
    let p = params("Z", "HKNUZ", -60, -1, 14);
    let contracts = [
        20220300, 20220500, 20220700, 20220900, 20221200, 20230300, 20230500, 20230700, 20230900,
        20231200, 20240300, 20240500, 20240700, 20240900, 20241200,
    ];
    // 450 days of history, so the next December already trades at the desired roll date
    let bars = market_with_history(&p, &contracts, 450, &[]);
    let prices = PricesByContract::from_bars(&bars);
    let cal = calendar_from_contract_prices(&p, &prices).unwrap();
    // starting contract: 20220300 has no earlier priced contract with prices for carry, so the next
    // held contract with prices, 20221200, starts. Its carry 20220900 expired on 2022-09-15, before
    // the desired roll date 2022-10-16 (Sun), so the carry requirement is dropped and the roll goes
    // to Mon 2022-10-17 23:00 (1 whole day) rather than Fri 23:00 (floor(-1.04) = -2 days).
    assert_eq!(
        rolls(&cal),
        vec![
            ("2022-10-17 23:00:00".into(), 20221200, 20231200, 20220900),
            // desired 2023-10-16 is a Monday: 0 days
            ("2023-10-16 23:00:00".into(), 20231200, 20241200, 20230900),
            // final row: 2024-12 to its last price (Fri 13 December); next 2025-12 has no prices
            // yet; carry the previous priced month 2024-09
            ("2024-12-13 23:00:00".into(), 20241200, 20251200, 20240900),
        ]
    );
    let multiple = multiple_from_calendar(&cal, &prices).unwrap();
    assert!(
        multiple
            .iter()
            .all(|r| r.price_contract.month().letter() == 'Z')
    );
    let row = multiple
        .iter()
        .find(|r| r.timestamp == ts("2023-06-01 23:00:00"))
        .unwrap();
    assert_eq!(
        (
            row.price_contract.id(),
            row.forward_contract.id(),
            row.carry_contract.id()
        ),
        (20231200, 20241200, 20230900)
    );
    assert_eq!(Some(row.carry), prices.price_at(c(20230900), row.timestamp));
    let adjusted = without_trailing_missing(panama_adjust(&multiple, false).unwrap());
    assert_eq!(adjusted.len(), multiple.len());
}

#[test]
fn contract_with_missing_days_moves_the_roll_to_the_closest_priced_day() {
    let p = params("HMUZ", "HMUZ", -5, 1, 14);
    // 20230300 has no prices on 8–10 March 2023 around its desired roll date (Fri 10 March)
    let skip: &[&str] = &["2023-03-08", "2023-03-09", "2023-03-10"];
    let bars = market(&p, &[20230300, 20230600, 20230900], &[(20230300, skip)]);
    let prices = PricesByContract::from_bars(&bars);
    let cal = calendar_from_contract_prices(&p, &prices).unwrap();
    // Tue 7 March 23:00 is floor(-2.04) = -3 days away, Mon 13 March 23:00 is 3 days: a tie, the
    // earlier wins
    assert_eq!(cal[0].timestamp, ts("2023-03-07 23:00:00"));
    assert_eq!(
        (cal[0].current_contract, cal[0].next_contract),
        (c(20230300), c(20230600))
    );
}

#[test]
fn next_contract_without_prices_yet() {
    let p = params("HMUZ", "HMUZ", -5, 1, 14);
    let bars = market(&p, &[20230600, 20230900], &[]);
    let prices = PricesByContract::from_bars(&bars);
    // a calendar whose final row's next contract (20231200) has no prices yet
    let cal = vec![
        RollCalendarRow {
            timestamp: ts("2023-06-09 23:00:00"),
            current_contract: c(20230600),
            next_contract: c(20230900),
            carry_contract: c(20230900),
        },
        RollCalendarRow {
            timestamp: ts("2023-09-15 23:00:00"),
            current_contract: c(20230900),
            next_contract: c(20231200),
            carry_contract: c(20231200),
        },
    ];
    let multiple = multiple_from_calendar(&cal, &prices).unwrap();
    assert!(
        multiple
            .iter()
            .all(|r| r.forward.is_nan() && r.carry.is_nan())
    );
    assert!(multiple.iter().all(|r| !r.price.is_nan()));
    let adjusted = panama_adjust(&multiple, false).unwrap();
    assert_eq!(
        adjusted.values,
        multiple.iter().map(|r| r.price).collect::<Vec<_>>()
    );
    // the roll to it cannot be done: no price for the forward to roll into
    assert!(matches!(
        roll_adjusted(&multiple, &p, Some(&prices), false),
        Err(RollError::CannotInferPrice("FORWARD"))
    ));
    // a non-final row whose next contract has no prices at all is an error
    let mut bad = cal.clone();
    bad.insert(
        1,
        RollCalendarRow {
            timestamp: ts("2023-07-03 23:00:00"),
            current_contract: c(20230900),
            next_contract: c(20231200),
            carry_contract: c(20231200),
        },
    );
    assert!(matches!(
        multiple_from_calendar(&bad, &prices),
        Err(RollError::MissingContract {
            which: "forward",
            ..
        })
    ));
}

#[test]
fn daily_update_appends_one_day_once_and_refuses_bad_data() {
    let p = params("HMUZ", "HMUZ", -5, 1, 14);
    let all = market(&p, &[20230600, 20230900, 20231200], &[]);
    let cutoff = ts("2023-07-03 23:00:00");
    let next_day = ts("2023-07-04 23:00:00");
    let known: ContractPrices = all
        .iter()
        .filter(|b| b.timestamp <= cutoff)
        .copied()
        .collect();
    let one_more: ContractPrices = all
        .iter()
        .filter(|b| b.timestamp <= next_day)
        .copied()
        .collect();
    let prices = PricesByContract::from_bars(&known);
    let cal = vec![
        RollCalendarRow {
            timestamp: ts("2023-06-09 23:00:00"),
            current_contract: c(20230600),
            next_contract: c(20230900),
            carry_contract: c(20230900),
        },
        RollCalendarRow {
            timestamp: cutoff,
            current_contract: c(20230900),
            next_contract: c(20231200),
            carry_contract: c(20231200),
        },
    ];
    let multiple = multiple_from_calendar(&cal, &prices).unwrap();
    let adjusted = without_trailing_missing(panama_adjust(&multiple, false).unwrap());

    let new_rows = update_multiple_no_roll(&multiple, &one_more).unwrap();
    assert_eq!(new_rows.len(), 1);
    assert_eq!(new_rows[0].timestamp, next_day);
    assert_eq!(new_rows[0].price_contract, c(20230900));
    let mut extended = multiple.clone();
    extended.extend(new_rows);
    let new_adjusted = update_adjusted_no_roll(&adjusted, &extended).unwrap();
    assert_eq!(new_adjusted.len(), 1);
    assert_eq!(new_adjusted.values[0], extended.last().unwrap().price);
    // appending equals re-stitching when there was no roll
    let restitched = panama_adjust(&extended, false).unwrap();
    assert_eq!(*restitched.values.last().unwrap(), new_adjusted.values[0]);
    assert_eq!(restitched.values[..adjusted.len()], adjusted.values[..]);
    // a re-run adds nothing
    assert!(
        update_multiple_no_roll(&extended, &one_more)
            .unwrap()
            .is_empty()
    );
    let mut adjusted2 = adjusted.clone();
    adjusted2.timestamps.extend(&new_adjusted.timestamps);
    adjusted2.values.extend(&new_adjusted.values);
    assert!(
        update_adjusted_no_roll(&adjusted2, &extended)
            .unwrap()
            .is_empty()
    );

    // bad price of the priced contract on the new day
    let mut bad = one_more.clone();
    for b in bad
        .iter_mut()
        .filter(|b| b.timestamp == next_day && b.contract == c(20230900))
    {
        b.close = f64::NAN;
    }
    let err = update_multiple_no_roll(&multiple, &bad).unwrap_err();
    assert!(matches!(err, RollError::BadPrice { .. }), "{err}");
    // missing: the priced contract has no new bar but the forward has
    let missing: ContractPrices = one_more
        .iter()
        .filter(|b| !(b.timestamp == next_day && b.contract == c(20230900)))
        .copied()
        .collect();
    let err = update_multiple_no_roll(&multiple, &missing).unwrap_err();
    assert!(
        matches!(err, RollError::PricedContractStale { .. }),
        "{err}"
    );
    // missing: no bars at all for the priced contract
    let none: ContractPrices = one_more
        .iter()
        .filter(|b| b.contract != c(20230900))
        .copied()
        .collect();
    assert!(matches!(
        update_multiple_no_roll(&multiple, &none),
        Err(RollError::PricedContractMissing(_))
    ));

    // an unregistered roll: multiple prices moved to 20231200 but adjusted prices were not rolled
    let mut rolled = extended.clone();
    let last = rolled.last_mut().unwrap();
    last.price_contract = c(20231200);
    let err = update_adjusted_no_roll(&adjusted, &rolled).unwrap_err();
    assert!(
        err.to_string()
            .contains("roll has occurred but not registered"),
        "{err}"
    );
}

#[test]
fn production_roll_then_daily_update() {
    let p = params("HMUZ", "HMUZ", -5, 1, 14);
    let bars = market(&p, &[20230600, 20230900, 20231200], &[]);
    let prices = PricesByContract::from_bars(&bars);
    let cal = vec![
        RollCalendarRow {
            timestamp: ts("2023-06-09 23:00:00"),
            current_contract: c(20230600),
            next_contract: c(20230900),
            carry_contract: c(20230900),
        },
        RollCalendarRow {
            timestamp: ts("2023-09-08 23:00:00"),
            current_contract: c(20230900),
            next_contract: c(20231200),
            carry_contract: c(20231200),
        },
    ];
    let multiple = multiple_from_calendar(&cal, &prices).unwrap();
    let rolled = roll_adjusted(&multiple, &p, Some(&prices), false).unwrap();
    let new = rolled.multiple.last().unwrap();
    assert_eq!(new.timestamp, ts("2023-09-08 23:00:01"));
    assert_eq!(new.price_contract, c(20231200));
    assert_eq!(new.forward_contract, c(20240300));
    assert_eq!(
        Some(new.price),
        prices.price_at(c(20231200), ts("2023-09-08 23:00:00"))
    );
    assert!(new.forward.is_nan(), "20240300 has no prices");
    assert_eq!(*rolled.adjusted.values.last().unwrap(), new.price);
    // the next day's update continues in the new contract
    let update = update_multiple_no_roll(&rolled.multiple, &bars).unwrap();
    assert!(!update.is_empty());
    assert!(update.iter().all(|r| r.price_contract == c(20231200)));
    let mut extended = rolled.multiple.clone();
    extended.extend(update);
    let adj_new = update_adjusted_no_roll(&rolled.adjusted, &extended).unwrap();
    assert_eq!(adj_new.len(), extended.len() - rolled.multiple.len());
}

/// Issue 15 item 9 (`gen-universe --instruments 1000 --years 30 --seed 1`, a VOL instrument): data
/// that starts on the last bar of its first contract, for a monthly cycle with a −60 day roll
/// offset. The desired roll dates of the first two rows both lie before the data, so both rows
/// found the first day of data as their closest matching date (the previous row's desired date,
/// pysystemtrade's only constraint, is before the data too): two rolls on one day, and the calendar
/// was refused ("not strictly increasing"). A roll date must also come after the previous roll.
#[test]
fn data_starting_after_two_desired_roll_dates_gives_increasing_rolls() {
    let p = params("FGHJKMNQUVXZ", "FGHJKMNQUVXZ", -60, -1, 15);
    let contracts = [
        20080100, 20080200, 20080300, 20080400, 20080500, 20080600, 20080700, 20080800,
    ];
    let start = ts("2008-01-16 00:00:00");
    let bars: ContractPrices = market_with_history(&p, &contracts, 180, &[])
        .into_iter()
        .filter(|b| b.timestamp >= start)
        .collect();
    // the first contract has its last bar only
    assert_eq!(bars.iter().filter(|b| b.contract == c(20080100)).count(), 1);
    let prices = PricesByContract::from_bars(&bars);
    let cal = calendar_from_contract_prices(&p, &prices).unwrap();
    assert!(
        cal.windows(2).all(|w| w[0].timestamp < w[1].timestamp),
        "{:?}",
        rolls(&cal)
    );
    assert_eq!(
        rolls(&cal)[..2],
        [
            (
                "2008-01-16 23:00:00".to_string(),
                20080200,
                20080300,
                20080100
            ),
            (
                "2008-01-17 23:00:00".to_string(),
                20080300,
                20080400,
                20080200
            ),
        ]
    );
    let m = multiple_from_calendar(&cal, &prices).unwrap();
    assert!(m.windows(2).all(|w| w[0].timestamp < w[1].timestamp));
}
