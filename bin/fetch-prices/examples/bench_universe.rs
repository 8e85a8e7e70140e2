//! Builds the benchmark universe for `scripts/bench-fetch`: a data directory with N instruments whose
//! `prices/contracts/<I>.parquet` hold Y years of daily bars of a quarterly (HMUZ) cycle, each
//! contract priced for the 18 months before its expiry (6 contracts priced on any day), and a
//! directory of pysystemtrade contract CSVs holding the next business day's bar for the 6 live
//! contracts of every instrument.
//!
//! Usage: `bench_universe DATA_DIR NEW_DAY_DIR [INSTRUMENTS=200] [YEARS=40]`

#![allow(clippy::print_stdout)]

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::path::PathBuf;
use systrade_model::{
    ContractBar, ContractDate, FuturesMonth, Instrument, InstrumentCode, Timestamp,
};
use systrade_store::Store;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(
        args.len() >= 3,
        "usage: bench_universe DATA_DIR NEW_DAY_DIR [INSTRUMENTS] [YEARS]"
    );
    let data = PathBuf::from(&args[1]);
    let new_day = PathBuf::from(&args[2]);
    let n: usize = args.get(3).map_or(Ok(200), |s| s.parse())?;
    let years: i32 = args.get(4).map_or(Ok(40), |s| s.parse())?;
    let last = NaiveDate::from_ymd_opt(2024, 3, 14).expect("date");
    let next = NaiveDate::from_ymd_opt(2024, 3, 15).expect("date");
    let first = NaiveDate::from_ymd_opt(last.year() - years, last.month(), 1).expect("date");
    let mut days = Vec::new();
    let mut d = first;
    while d <= last {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            days.push(d);
        }
        d += Duration::days(1);
    }
    let store = Store::open(&data);
    let writer = store.lock_for_writing(std::time::Duration::from_secs(10))?;
    std::fs::create_dir_all(&new_day)?;
    let mut instruments = Vec::new();
    let mut rows_total = 0usize;
    for i in 0..n {
        let code = InstrumentCode::new(&format!("BENCH{i:03}"))?;
        let mut rows: Vec<ContractBar> = Vec::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1);
        let mut price = 100.0 + i as f64;
        let mut live_on_next = Vec::new();
        for (k, day) in days.iter().chain(std::iter::once(&next)).enumerate() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            price *= 1.0 + ((x % 2001) as f64 / 1000.0 - 1.0) * 0.01;
            for c in live(*day) {
                let carry = (c.year() as f64 - day.year() as f64) * 0.5;
                let close = (price + carry) * 100.0;
                let bar = ContractBar {
                    contract: c,
                    timestamp: Timestamp::from_datetime(day.and_hms_opt(23, 0, 0).expect("time")),
                    open: close.round() / 100.0,
                    high: (close + 50.0).round() / 100.0,
                    low: (close - 50.0).round() / 100.0,
                    close: close.round() / 100.0,
                    volume: (x % 10_000) as f64,
                };
                if k < days.len() {
                    rows.push(bar);
                } else {
                    live_on_next.push(bar);
                }
            }
        }
        rows_total += rows.len();
        writer.write_contract_prices(&code, &rows)?;
        for b in live_on_next {
            std::fs::write(
                new_day.join(format!("{code}_{}.csv", b.contract)),
                format!(
                    "DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME\n{},{},{},{},{},{}\n",
                    b.timestamp, b.open, b.high, b.low, b.close, b.volume
                ),
            )?;
        }
        instruments.push(Instrument {
            code,
            description: "benchmark".into(),
            pointsize: 10.0,
            currency: "USD".into(),
            asset_class: "Bench".into(),
            per_block: 1.0,
            percentage: 0.0,
            per_trade: 0.0,
            region: "US".into(),
        });
    }
    writer.write_instruments(&instruments)?;
    println!(
        "{n} instruments, {} days, {rows_total} stored bars, new day {next}",
        days.len()
    );
    Ok(())
}

/// Quarterly contracts priced on `day`: those expiring (≈ the 15th of the month) within 18 months.
fn live(day: NaiveDate) -> Vec<ContractDate> {
    let mut out = Vec::new();
    let mut y = day.year();
    let mut m = 3 * ((day.month0() / 3) + 1); // next quarter month at or after this one
    if m > 12 {
        m = 3;
        y += 1;
    }
    if day.day() > 15 && m == day.month() {
        m += 3;
        if m > 12 {
            m = 3;
            y += 1;
        }
    }
    while out.len() < 6 {
        out.push(ContractDate::monthly(
            y as u16,
            FuturesMonth::from_number(m as u8),
        ));
        m += 3;
        if m > 12 {
            m -= 12;
            y += 1;
        }
    }
    out
}
