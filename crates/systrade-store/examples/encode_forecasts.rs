//! Micro-benchmark of the forecast file encoding: reads every forecast file of a data directory,
//! encodes each instrument's series `REPS` times ([`Store::prepare_forecasts`]) and prints the
//! encode time and the total encoded size; checks that every encoded file reads back to the same
//! series (NaN = NaN) and prints the stored size of each column (`NOVERIFY=1` skips that).
//!
//! `cargo run --release -p systrade-store --example encode_forecasts -- <data-dir> [reps]`

use parquet::file::reader::{FileReader, SerializedFileReader};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;
use systrade_model::{ForecastSeries, InstrumentCode};
use systrade_store::Store;

/// Nanoseconds this process has spent on a CPU (`/proc/self/schedstat`; 0 where unavailable).
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or("usage: encode_forecasts <data-dir> [reps]")?;
    let reps: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    let store = Store::open(&dir);
    let mut codes: Vec<InstrumentCode> = Vec::new();
    for entry in std::fs::read_dir(store.dir().forecasts_dir())? {
        let name = entry?.file_name();
        if let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".parquet")) {
            codes.extend(InstrumentCode::new(stem).ok());
        }
    }
    codes.sort();
    let all: Vec<(InstrumentCode, Vec<ForecastSeries>)> = codes
        .into_iter()
        .map(|c| store.read_forecasts(&c).map(|s| (c, s)))
        .collect::<Result<_, _>>()?;
    let rows: usize = all.iter().flat_map(|(_, s)| s).map(|s| s.dates.len()).sum();
    let start = Instant::now();
    let cpu = cpu_ns();
    let mut size = 0;
    for _ in 0..reps {
        size = 0;
        for (c, s) in &all {
            size += store.prepare_forecasts(c, s)?.len();
        }
    }
    let secs = start.elapsed().as_secs_f64() / reps as f64;
    let cpu = (cpu_ns() - cpu) as f64 / 1e9 / reps as f64;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} files, {rows} rows: encode wall {:.1} ms, cpu {:.1} ms per pass ({:.1} ns/row), {:.2} MB",
        all.len(),
        secs * 1e3,
        cpu * 1e3,
        cpu * 1e9 / rows as f64,
        size as f64 / 1e6
    )?;
    if std::env::var_os("NOVERIFY").is_some() {
        return Ok(());
    }
    let mut columns: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let tmp = std::env::temp_dir().join(format!("encode_forecasts_{}", std::process::id()));
    let scratch = Store::open(&tmp);
    for (c, s) in &all {
        let file = scratch.prepare_forecasts(c, s)?;
        std::fs::create_dir_all(scratch.dir().forecasts_dir())?;
        std::fs::write(file.path(), file.bytes())?;
        let back = scratch.read_forecasts(c)?;
        let meta = SerializedFileReader::new(std::fs::File::open(file.path())?)?;
        for rg in meta.metadata().row_groups() {
            for col in rg.columns() {
                let e = columns.entry(col.column_path().string()).or_default();
                e.0 += col.compressed_size();
                e.1 += col.uncompressed_size();
            }
        }
        assert_eq!(back.len(), s.len());
        for (a, b) in s.iter().zip(&back) {
            assert_eq!(a.rule, b.rule);
            assert_eq!(a.dates, b.dates);
            assert!(
                same(&a.raw, &b.raw) && same(&a.scalar, &b.scalar) && same(&a.capped, &b.capped)
            );
        }
        std::fs::remove_file(file.path())?;
    }
    std::fs::remove_dir_all(&tmp)?;
    for (c, (z, u)) in &columns {
        writeln!(
            out,
            "  {c:8} {:8.2} MB compressed, {:8.2} MB uncompressed",
            *z as f64 / 1e6,
            *u as f64 / 1e6
        )?;
    }
    writeln!(out, "round trip ok")?;
    Ok(())
}
