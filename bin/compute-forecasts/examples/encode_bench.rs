//! Micro-benchmark of `encode_forecasts`: reads forecast files from a directory, encodes each
//! instrument's series `REPS` times and prints the encode time and the total encoded size; checks
//! that every encoded file reads back to the same series (NaN = NaN) and prints the stored size
//! of each column (`NOVERIFY=1` skips that).
//!
//! `cargo run --release -p compute-forecasts --example encode_bench -- <dir-of-forecast-files> [reps]`

use compute_forecasts::output::{RuleSeries, encode_forecasts, read_forecasts_file};
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

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

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: encode_bench <dir> [reps]");
    let reps: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    let mut all: Vec<Vec<RuleSeries>> = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.sort();
    for p in &paths {
        if p.extension().is_some_and(|e| e == "parquet") {
            all.push(read_forecasts_file(p)?);
        }
    }
    let rows: usize = all.iter().flatten().map(|s| s.dates.len()).sum();
    let start = Instant::now();
    let cpu = cpu_ns();
    let mut size = 0;
    for _ in 0..reps {
        size = 0;
        for s in &all {
            size += encode_forecasts(s)?.len();
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
    let tmp = std::env::temp_dir().join(format!("encode_bench_{}.parquet", std::process::id()));
    for s in &all {
        std::fs::write(&tmp, encode_forecasts(s)?)?;
        let back = read_forecasts_file(&tmp)?;
        let meta = SerializedFileReader::new(std::fs::File::open(&tmp)?)?;
        for rg in meta.metadata().row_groups() {
            for c in rg.columns() {
                let e = columns.entry(c.column_path().string()).or_default();
                e.0 += c.compressed_size();
                e.1 += c.uncompressed_size();
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
    }
    std::fs::remove_file(&tmp)?;
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
