//! Times the store's Parquet codec on one contract-prices file (docs/PERFORMANCE.md):
//! `cargo run --release -p systrade-store --example store_timing -- FILE.parquet [REPEATS]`.
//! Prints milliseconds per decode, per full encode, and per append of one day (6 bars).
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};
use systrade_model::InstrumentCode;
use systrade_store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .ok_or("usage: store_timing FILE.parquet [REPEATS]")?;
    let repeats: u32 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(20);
    // Optional: only "decode", "encode" or "append" (for `perf stat`).
    let only = args.next();
    let run = |what: &str| only.as_deref().is_none_or(|o| o == what);
    let dir = tempfile::tempdir()?;
    let code = InstrumentCode::new("TIMING")?;
    let store = Store::open(dir.path());
    std::fs::create_dir_all(store.dir().contract_prices_file(&code).parent().unwrap())?;
    std::fs::copy(&file, store.dir().contract_prices_file(&code))?;

    let per = |d: Duration| d.as_secs_f64() * 1e3 / f64::from(repeats);
    // Re-encode with the current settings, into a store of its own, and time decoding that file.
    let rows = store.read_contract_prices(&code)?;
    let fresh = Store::open(dir.path().join("fresh"));
    fresh
        .lock_for_writing(Duration::ZERO)?
        .write_contract_prices(&code, &rows)?;
    let start = Instant::now();
    for _ in 0..repeats {
        if run("decode") {
            fresh.read_contract_prices(&code)?;
        }
    }
    let decode = per(start.elapsed());

    let empty = Store::open(dir.path().join("empty"));
    let start = Instant::now();
    let mut size = 0;
    for _ in 0..repeats {
        if run("encode") {
            size = empty.prepare_contract_prices(&code, &rows)?.len();
        }
    }
    let encode = per(start.elapsed());

    // Rewrite in full first so the stored file has row-group hashes, then time an append of the last
    // day's bars shifted one week later.
    let w = store.lock_for_writing(Duration::ZERO)?;
    w.write_contract_prices(&code, &rows)?;
    let last = rows.last().map(|b| b.timestamp).ok_or("empty file")?;
    let mut more = rows.clone();
    more.extend(rows.iter().filter(|b| b.timestamp == last).map(|b| {
        let mut b = *b;
        b.timestamp =
            systrade_model::Timestamp::from_micros(b.timestamp.micros() + 7 * 86_400_000_000);
        b
    }));
    let start = Instant::now();
    for _ in 0..repeats {
        if run("append") {
            store.prepare_contract_prices(&code, &more)?;
        }
    }
    let append = per(start.elapsed());
    println!(
        "{} rows, {size} bytes: decode {decode:.2} ms, full encode {encode:.2} ms, append {append:.2} ms",
        rows.len()
    );
    Ok(())
}
