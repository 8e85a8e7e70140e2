//! Shared by the parity tests: reading pysystemtrade's price CSVs (`../shared/pst-data`) with
//! exact or pandas-like float parsing.

#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use systrade_model::{AdjustedPrices, CarryPrices, ContractDate, MultiplePricesRow, Timestamp};
use systrade_test::read_csv;

/// pandas' default CSV float conversion (`precise_xstrtod`): up to 17 significant digits
/// accumulated in a double (`n = 10n + d`), further integer digits raise the exponent, further
/// decimals are dropped, then one multiplication or division by a correctly rounded power of ten.
pub fn pandas_parse_f64(s: &str) -> f64 {
    if s.is_empty() {
        return f64::NAN;
    }
    let b = s.as_bytes();
    let mut i = 0;
    let negative = b[0] == b'-';
    if b[0] == b'-' || b[0] == b'+' {
        i += 1;
    }
    let (mut number, mut exponent, mut digits) = (0.0_f64, 0_i32, 0);
    while i < b.len() && b[i].is_ascii_digit() {
        if digits < 17 {
            number = number * 10.0 + f64::from(b[i] - b'0');
            digits += 1;
        } else {
            exponent += 1;
        }
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            if digits < 17 {
                number = number * 10.0 + f64::from(b[i] - b'0');
                digits += 1;
                exponent -= 1;
            }
            i += 1;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let e: i32 = s[i + 1..]
            .parse()
            .unwrap_or_else(|_| panic!("bad exponent in {s:?}"));
        exponent += e;
        i = b.len();
    }
    assert_eq!(i, b.len(), "not a number: {s:?}");
    let pow10 = |e: i32| format!("1e{e}").parse::<f64>().unwrap();
    let v = if exponent > 0 {
        number * pow10(exponent)
    } else if exponent < -308 {
        number / pow10(-308 - exponent) / pow10(308)
    } else {
        number / pow10(-exponent)
    };
    if negative { -v } else { v }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Floats {
    /// Correctly rounded (Rust's `str::parse`).
    Exact,
    /// As pandas' default parser.
    LikePandas,
}

impl Floats {
    pub fn parse(self, s: &str) -> f64 {
        match self {
            Self::Exact => systrade_test::parse_f64_or_nan(s),
            Self::LikePandas => pandas_parse_f64(s),
        }
    }
}

pub fn read_adjusted(path: &Path, floats: Floats) -> AdjustedPrices {
    let t = read_csv(path);
    let prices = t
        .str_column("price")
        .iter()
        .map(|s| floats.parse(s))
        .collect();
    let ts = t
        .str_column("DATETIME")
        .iter()
        .map(|s| Timestamp::parse(s).unwrap())
        .collect();
    AdjustedPrices::new(ts, prices)
}

fn contract(s: &str) -> ContractDate {
    ContractDate::from_id(s.parse::<f64>().unwrap() as i64).unwrap()
}

pub fn read_multiple(path: &Path, floats: Floats) -> CarryPrices {
    let t = read_csv(path);
    let col = |n: &str| t.column(n);
    let (dt, p, pc, f, fc, c, cc) = (
        col("DATETIME"),
        col("PRICE"),
        col("PRICE_CONTRACT"),
        col("FORWARD"),
        col("FORWARD_CONTRACT"),
        col("CARRY"),
        col("CARRY_CONTRACT"),
    );
    let num = |s: &str| floats.parse(s);
    t.rows
        .iter()
        .map(|r| MultiplePricesRow {
            timestamp: Timestamp::parse(&r[dt]).unwrap(),
            price: num(&r[p]),
            price_contract: contract(&r[pc]),
            forward: num(&r[f]),
            forward_contract: contract(&r[fc]),
            carry: num(&r[c]),
            carry_contract: contract(&r[cc]),
        })
        .collect::<Vec<_>>()
        .as_slice()
        .into()
}
