//! Parity with pysystemtrade's shipped data (`../shared/pst-data`), read independently with
//! `systrade_test::read_csv`: Panama stitching of every shipped multiple-prices file reproduces the
//! shipped adjusted prices bit for bit (spec §2.5, §8 item 21), and calendars backed out of the
//! shipped multiple prices agree with the shipped roll calendars (spec §2.3 item 5).

#![allow(clippy::print_stderr)]

use std::path::Path;
use systrade_model::{ContractDate, MultiplePrices, MultiplePricesRow, Timestamp};
use systrade_roll::{calendar_from_multiple, panama_adjust};
use systrade_test::{read_csv, require_pst_data, same_f64};

/// Shipped adjusted prices that upstream stitched with forward fill (§2.5 `forward_fill`).
const FORWARD_FILLED: [&str; 4] = ["CANOLA", "FTSE100", "GILT", "WHEAT"];

fn contract(s: &str) -> ContractDate {
    let id: f64 = s.parse().unwrap_or_else(|_| panic!("contract id {s:?}"));
    ContractDate::from_id(id as i64).unwrap()
}

fn timestamp(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn read_multiple(path: &Path) -> MultiplePrices {
    let t = read_csv(path);
    let ts = t.str_column("DATETIME");
    let (price, forward, carry) = (
        t.f64_column("PRICE"),
        t.f64_column("FORWARD"),
        t.f64_column("CARRY"),
    );
    let (pc, fc, cc) = (
        t.str_column("PRICE_CONTRACT"),
        t.str_column("FORWARD_CONTRACT"),
        t.str_column("CARRY_CONTRACT"),
    );
    (0..t.rows.len())
        .map(|i| MultiplePricesRow {
            timestamp: timestamp(ts[i]),
            price: price[i],
            price_contract: contract(pc[i]),
            forward: forward[i],
            forward_contract: contract(fc[i]),
            carry: carry[i],
            carry_contract: contract(cc[i]),
        })
        .collect()
}

fn instruments_with(dir: &Path, kind: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join(kind))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".csv.gz").map(str::to_string))
        .collect();
    v.sort();
    v
}

/// Values compared, or the first mismatch.
type Comparison = Result<(usize, f64), String>;

/// Compares our stitch with the shipped file on the shipped timestamps: every shipped timestamp
/// must be one of ours, with the same bits (or both NaN). Returns a description of the first
/// mismatch.
fn compare(dir: &Path, code: &str, forward_fill: bool) -> Comparison {
    let multiple = read_multiple(&dir.join(format!("multiple_prices_csv/{code}.csv.gz")));
    let ours = panama_adjust(&multiple, forward_fill).map_err(|e| format!("{code}: {e}"))?;
    let shipped = read_csv(&dir.join(format!("adjusted_prices_csv/{code}.csv.gz")));
    let (ts, values) = (shipped.str_column("DATETIME"), shipped.f64_column("price"));
    let mut max_diff = 0.0_f64;
    for (t, &want) in ts.iter().zip(&values) {
        let t = timestamp(t);
        let Ok(i) = ours.timestamps.binary_search(&t) else {
            return Err(format!(
                "{code}: shipped timestamp {t} not in multiple prices"
            ));
        };
        let got = ours.values[i];
        if !same_f64(got, want) {
            if got.is_nan() || want.is_nan() {
                return Err(format!(
                    "{code}: at {t} ours {got} shipped {want} (missing differs)"
                ));
            }
            max_diff = max_diff.max((got - want).abs());
        }
    }
    if max_diff > 0.0 {
        return Err(format!("{code}: max abs difference {max_diff:e}"));
    }
    Ok((ts.len(), max_diff))
}

#[test]
fn panama_reproduces_every_shipped_adjusted_series_bit_for_bit() {
    let Some(dir) = require_pst_data("panama_reproduces_every_shipped_adjusted_series_bit_for_bit")
    else {
        return;
    };
    let multiple = instruments_with(&dir, "multiple_prices_csv");
    let adjusted = instruments_with(&dir, "adjusted_prices_csv");
    let codes: Vec<&String> = multiple.iter().filter(|c| adjusted.contains(c)).collect();
    let results: Vec<(String, Comparison)> = std::thread::scope(|s| {
        let chunks: Vec<_> = codes.chunks(codes.len().div_ceil(2).max(1)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let dir = &dir;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|c| {
                            let ff = FORWARD_FILLED.contains(&c.as_str());
                            ((*c).clone(), compare(dir, c, ff))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .flat_map(|h| h.join().unwrap())
            .collect();
        handles
    });
    let failures: Vec<&String> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().err())
        .collect();
    let rows: usize = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .map(|r| r.0)
        .sum();
    eprintln!(
        "panama parity: {} of {} instruments exact ({} forward-filled), {rows} adjusted values compared",
        results.len() - failures.len(),
        results.len(),
        FORWARD_FILLED.len()
    );
    assert!(
        results.len() >= 226,
        "expected 226 instruments, found {}",
        results.len()
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{failures:#?}",
        failures.len()
    );
}

#[test]
fn forward_fill_is_needed_for_exactly_the_four_listed_instruments() {
    let Some(dir) = require_pst_data("forward_fill_is_needed_for_exactly_the_four_listed") else {
        return;
    };
    for code in FORWARD_FILLED {
        assert!(
            compare(&dir, code, false).is_err(),
            "{code} matches without forward fill"
        );
    }
}

#[test]
fn first_adjusted_values_spec_item_21() {
    let Some(dir) = require_pst_data("first_adjusted_values_spec_item_21") else {
        return;
    };
    for (code, first_ts, first) in [
        ("US10", "1982-08-30 23:00:00", -36.41405249999997),
        ("SP500", "1982-09-14 23:00:00", 516.6499999999994),
        ("GOLD_micro", "1975-04-01", 1325.6000000000001),
        ("CORN", "1972-10-18", 659.75),
        ("SOFR", "1984-03-23", 71.83000999999997),
        ("VIX", "2006-01-26", 102.50000000000009),
    ] {
        let m = read_multiple(&dir.join(format!("multiple_prices_csv/{code}.csv.gz")));
        let adj = panama_adjust(&m, false).unwrap();
        let first_valid = adj.values.iter().position(|v| !v.is_nan()).unwrap();
        assert_eq!(
            adj.timestamps[first_valid].date(),
            timestamp(first_ts).date(),
            "{code}"
        );
        assert_eq!(
            adj.values[first_valid].to_bits(),
            f64::to_bits(first),
            "{code}"
        );
    }
    // §8 item 22: US10 adjusted at the 2023-05-23 roll, and the last value
    let m = read_multiple(&dir.join("multiple_prices_csv/US10.csv.gz"));
    let adj = panama_adjust(&m, false).unwrap();
    let at = |s: &str| adj.values[adj.timestamps.binary_search(&timestamp(s)).unwrap()];
    assert_eq!(at("2023-05-23 20:00:00"), 114.765625);
    assert_eq!(at("2023-08-21 20:00:00"), 109.515625);
    assert_eq!(at("2023-08-21 20:00:01"), 109.515625);
    assert_eq!(at("2023-08-31 20:00:00"), 111.078125);
}

/// How one shipped roll-calendar row compares with the calendar backed out of multiple prices.
#[derive(Debug, Default)]
struct CalendarAgreement {
    /// Same date, current, next and carry contracts.
    exact: usize,
    /// Same contracts; shipped stamped with the first row of the new contract, ours with the last
    /// row of the old one (the row just before).
    first_new_row_stamp: usize,
    /// Same contracts, another date: (instrument, shipped date, ours).
    other_date: Vec<(String, Timestamp, Timestamp)>,
    /// Same current and next but another carry contract.
    other_carry: Vec<String>,
    /// Roll between contracts that are both priced in the multiple prices, but not found.
    missing: Vec<String>,
    /// Roll from or to a contract the multiple prices never price (the multiple prices jump over
    /// it, e.g. MILKWET 20181000 → 20181200 in July 2018 where the calendar has two rolls).
    contract_never_priced: Vec<String>,
    rows: usize,
}

fn compare_calendar(dir: &Path, code: &str, agree: &mut CalendarAgreement) {
    let m = read_multiple(&dir.join(format!("multiple_prices_csv/{code}.csv.gz")));
    let ours = calendar_from_multiple(&m);
    let t = read_csv(&dir.join(format!("roll_calendars_csv/{code}.csv.gz")));
    let (ts, cur, next, carry) = (
        t.str_column("DATE_TIME"),
        t.str_column("current_contract"),
        t.str_column("next_contract"),
        t.str_column("carry_contract"),
    );
    // The overlapping period: rolls stamped after the first multiple-prices row. Earlier rolls
    // cannot be backed out (multiple prices are built only after the first calendar row, §2.4, and
    // some shipped multiple prices start later than their calendar, e.g. KRWUSD in 2021). The last
    // row is the calendar's "final row" (the contracts held when it was written, §2.3 item 5), not
    // a roll.
    let start = m[0].timestamp;
    for i in 0..ts.len().saturating_sub(1) {
        let (date, current, nxt) = (timestamp(ts[i]), contract(cur[i]), contract(next[i]));
        if date <= start {
            continue;
        }
        agree.rows += 1;
        let Some(r) = ours[..ours.len() - 1]
            .iter()
            .find(|r| r.current_contract == current && r.next_contract == nxt)
        else {
            let entry = format!("{code} {} {current}->{nxt}", ts[i]);
            if m.iter().any(|x| x.price_contract == current)
                && m.iter().any(|x| x.price_contract == nxt)
            {
                agree.missing.push(entry);
            } else {
                agree.contract_never_priced.push(entry);
            }
            continue;
        };
        if r.carry_contract != contract(carry[i]) {
            agree.other_carry.push(format!("{code} {}", ts[i]));
        } else if r.timestamp == date {
            agree.exact += 1;
        } else {
            let k = m
                .binary_search_by_key(&r.timestamp, |x| x.timestamp)
                .unwrap();
            if m.get(k + 1).is_some_and(|x| x.timestamp == date) {
                agree.first_new_row_stamp += 1;
            } else {
                agree.other_date.push((code.to_string(), date, r.timestamp));
            }
        }
    }
}

#[test]
fn calendars_backed_out_of_multiple_prices_agree_with_shipped_calendars() {
    let Some(dir) = require_pst_data("calendars_backed_out_of_multiple_prices_agree") else {
        return;
    };
    let multiple = instruments_with(&dir, "multiple_prices_csv");
    let calendars = instruments_with(&dir, "roll_calendars_csv");
    let mut agree = CalendarAgreement::default();
    let codes: Vec<&String> = multiple.iter().filter(|c| calendars.contains(c)).collect();
    for code in &codes {
        compare_calendar(&dir, code, &mut agree);
    }
    let mut by_instrument: std::collections::BTreeMap<&str, usize> = Default::default();
    for (code, _, _) in &agree.other_date {
        *by_instrument.entry(code).or_default() += 1;
    }
    eprintln!(
        "calendars: {} instruments, {} shipped rolls: {} exact, {} stamped one row later (first row of the new contract), {} other dates {by_instrument:?}, {} other carry, {} missing {:?}, {} with a contract never priced {:?}",
        codes.len(),
        agree.rows,
        agree.exact,
        agree.first_new_row_stamp,
        agree.other_date.len(),
        agree.other_carry.len(),
        agree.missing.len(),
        agree.missing,
        agree.contract_never_priced.len(),
        agree.contract_never_priced,
    );
    // Every shipped roll between priced contracts is in the multiple prices, same carry contract.
    assert!(agree.other_carry.is_empty(), "{:?}", agree.other_carry);
    assert!(agree.missing.is_empty(), "{:?}", agree.missing);
    assert!(
        agree.contract_never_priced.len() <= 2,
        "{:?}",
        agree.contract_never_priced
    );
    // Dates: identical up to the stamp convention for all but a few percent of rolls. The others
    // are rolls whose multiple prices were rewritten after the calendar was written (intraday rows
    // inserted later, e.g. VIX/V2X 10:03:45 → 12:00:00 on the same day, or instruments rebuilt with
    // other roll parameters, e.g. SOFR).
    let same = agree.exact + agree.first_new_row_stamp;
    assert!(
        same * 100 >= agree.rows * 97,
        "only {same} of {} rolls agree in date",
        agree.rows
    );
}
