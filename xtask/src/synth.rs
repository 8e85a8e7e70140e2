//! Files of the synthetic market (`systrade-synth`), in the layout of a pysystemtrade data directory
//! that `import-pst` reads:
//!
//! ```text
//! csvconfig/instrumentconfig.csv   Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region
//! csvconfig/rollconfig.csv         Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset
//! csvconfig/spreadcosts.csv        Instrument,SpreadCost
//! contract_prices_csv/<INSTRUMENT>_<YYYYMMDD>.csv   DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME
//! fx_prices_csv/<CCY>USD.csv       DATETIME,PRICE
//! ```
//!
//! - `cargo xtask gen-testdata [--check]` writes the committed `testdata/` (or compares it with a fresh
//!   rendering in memory; the test below runs the check, so stale testdata fails the test suite).
//! - `cargo xtask gen-universe --instruments N --years Y --out DIR [--seed S]` writes a large universe
//!   for benchmarks, one instrument at a time on every core, so memory stays bounded.
//!
//! Files are byte-for-byte reproducible: prices are written with a fixed number of decimals, lines end
//! in `\n`, rows are in date order and files in name order.

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use systrade_synth::{
    ContractHistory, DailyBar, FxHistory, FxSpec, InstrumentSpec, MarketSpec, generate_fx,
    generate_instrument, generate_market,
};

/// Subdirectories that are entirely generated (anything else in them is stale).
const GENERATED_DIRS: [&str; 3] = ["csvconfig", "contract_prices_csv", "fx_prices_csv"];

fn csv_writer<W: io::Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

fn number(x: f64) -> String {
    // shortest representation that reads back exactly: `1000`, `0.00043`, `2.92`
    format!("{x}")
}

fn instrument_config_csv(instruments: &[&InstrumentSpec]) -> Result<Vec<u8>> {
    let mut w = csv_writer(Vec::new());
    w.write_record([
        "Instrument",
        "Description",
        "Pointsize",
        "Currency",
        "AssetClass",
        "PerBlock",
        "Percentage",
        "PerTrade",
        "Region",
    ])?;
    for s in instruments {
        let i = &s.instrument;
        w.write_record([
            i.code.to_string(),
            i.description.clone(),
            number(i.pointsize),
            i.currency.clone(),
            i.asset_class.clone(),
            number(i.per_block),
            number(i.percentage),
            number(i.per_trade),
            i.region.clone(),
        ])?;
    }
    Ok(w.into_inner()?)
}

fn roll_config_csv(instruments: &[&InstrumentSpec]) -> Result<Vec<u8>> {
    let mut w = csv_writer(Vec::new());
    w.write_record([
        "Instrument",
        "HoldRollCycle",
        "RollOffsetDays",
        "CarryOffset",
        "PricedRollCycle",
        "ExpiryOffset",
    ])?;
    for s in instruments {
        let r = &s.roll;
        w.write_record([
            r.instrument.to_string(),
            r.hold_cycle.to_string(),
            r.roll_offset_days.to_string(),
            r.carry_offset.as_i64().to_string(),
            r.priced_cycle.to_string(),
            r.expiry_offset.to_string(),
        ])?;
    }
    Ok(w.into_inner()?)
}

fn spread_costs_csv(instruments: &[&InstrumentSpec]) -> Result<Vec<u8>> {
    let mut w = csv_writer(Vec::new());
    w.write_record(["Instrument", "SpreadCost"])?;
    for s in instruments {
        w.write_record([s.code().to_string(), number(s.spread_cost)])?;
    }
    Ok(w.into_inner()?)
}

fn write_date(buf: &mut String, date: chrono::NaiveDate) {
    use chrono::Datelike;
    buf.clear();
    write!(
        buf,
        "{:04}-{:02}-{:02} 23:00:00",
        date.year(),
        date.month(),
        date.day()
    )
    .expect("writing to a String");
}

/// `DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME`, prices with `decimals` decimals.
fn write_contract_csv<W: io::Write>(out: W, bars: &[DailyBar], decimals: usize) -> Result<W> {
    let mut w = csv_writer(out);
    w.write_record(["DATETIME", "OPEN", "HIGH", "LOW", "FINAL", "VOLUME"])?;
    let mut field = String::with_capacity(32);
    for b in bars {
        write_date(&mut field, b.date);
        w.write_field(&field)?;
        for price in [b.open, b.high, b.low, b.close] {
            field.clear();
            write!(field, "{price:.decimals$}").expect("writing to a String");
            w.write_field(&field)?;
        }
        field.clear();
        write!(field, "{}", b.volume).expect("writing to a String");
        w.write_field(&field)?;
        w.write_record(None::<&[u8]>)?;
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("flushing CSV: {}", e.error()))
}

/// `DATETIME,PRICE`.
fn fx_csv(fx: &FxHistory, spec: &FxSpec) -> Result<Vec<u8>> {
    let mut w = csv_writer(Vec::new());
    w.write_record(["DATETIME", "PRICE"])?;
    let mut date = String::new();
    for (d, rate) in &fx.rates {
        write_date(&mut date, *d);
        w.write_record([date.clone(), format!("{rate:.*}", spec.decimals)])?;
    }
    Ok(w.into_inner()?)
}

fn contract_file(code: &str, h: &ContractHistory) -> String {
    format!("contract_prices_csv/{code}_{}.csv", h.contract.id())
}

/// The three `csvconfig/` files, rows sorted by instrument code as in pysystemtrade.
fn config_files(spec: &MarketSpec) -> Result<Vec<(String, Vec<u8>)>> {
    let mut sorted: Vec<&InstrumentSpec> = spec.instruments.iter().collect();
    sorted.sort_by(|a, b| a.code().cmp(b.code()));
    Ok(vec![
        (
            "csvconfig/instrumentconfig.csv".into(),
            instrument_config_csv(&sorted)?,
        ),
        ("csvconfig/rollconfig.csv".into(), roll_config_csv(&sorted)?),
        (
            "csvconfig/spreadcosts.csv".into(),
            spread_costs_csv(&sorted)?,
        ),
    ])
}

/// Every file of `testdata/`: (relative path, content), sorted by path.
pub(crate) fn render_testdata() -> Result<Vec<(String, Vec<u8>)>> {
    let spec = systrade_synth::testdata();
    let market = generate_market(&spec);
    let mut files = config_files(&spec)?;
    for (s, m) in spec.instruments.iter().zip(&market.instruments) {
        for h in &m.contracts {
            let content = write_contract_csv(Vec::new(), &h.bars, s.tick.decimals)?;
            files.push((contract_file(s.code().as_str(), h), content));
        }
    }
    for (f, fx) in spec.fx.iter().zip(&market.fx) {
        files.push((
            format!("fx_prices_csv/{}USD.csv", f.currency),
            fx_csv(fx, f)?,
        ));
    }
    files.push(("README.md".into(), readme(&spec, &market).into_bytes()));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

fn readme(spec: &MarketSpec, market: &systrade_synth::Market) -> String {
    let mut r = String::new();
    let bars: usize = market
        .instruments
        .iter()
        .flat_map(|m| &m.contracts)
        .map(|h| h.bars.len())
        .sum();
    let contracts: usize = market.instruments.iter().map(|m| m.contracts.len()).sum();
    let _ = write!(
        r,
        "# testdata: a small synthetic futures market\n\n\
         GENERATED — DO NOT EDIT. Regenerate with `cargo xtask gen-testdata`; `cargo xtask gen-testdata --check`\n\
         (run by `cargo test -p xtask`) fails when these files differ from what the generator produces.\n\n\
         Synthetic daily prices from `crates/systrade-synth` (seed {seed}, {start} to {end}): {n} instruments,\n\
         {contracts} contracts, {bars} daily bars. The prices are random, not market data; the configuration rows copy\n\
         pysystemtrade's `csvconfig` for the instruments of the same name. The layout is a pysystemtrade data directory,\n\
         read by `import-pst testdata`.\n\n\
         ```text\n\
         csvconfig/instrumentconfig.csv   Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n\
         csvconfig/rollconfig.csv         Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n\
         csvconfig/spreadcosts.csv        Instrument,SpreadCost\n\
         contract_prices_csv/<INSTRUMENT>_<YYYYMMDD>.csv   DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME   (one file per contract)\n\
         fx_prices_csv/<CCY>USD.csv       DATETIME,PRICE   (USD per one unit of CCY)\n\
         ```\n\n\
         ## How the prices are made\n\n\
         Per instrument, on weekdays: a log-normal spot random walk with calm and stressed volatility regimes; a carry\n\
         rate that mean-reverts to a regime-dependent level, so the term structure `F = S·exp(r·T)` moves between\n\
         contango (`r > 0`) and backwardation (`r < 0`); a small autocorrelated noise per contract. Each contract of\n\
         the priced cycle trades from a fixed number of months before its approximate expiry (first of the contract\n\
         month + `ExpiryOffset` days) up to that expiry. Volume rises towards expiry and moves to the next contract a\n\
         few days before it. Bars are missing on holidays (1 Jan, 25 Dec; US also 4 Jul; EMEA also 1 May, 26 Dec) and\n\
         at random (0.2 % of a contract's days unless noted). Prices are rounded to the instrument's tick. Closes are\n\
         stamped 23:00:00.\n\n\
         ## Instruments\n\n\
         | Instrument | Currency | Hold | Priced | RollOffsetDays | CarryOffset | ExpiryOffset | Tick | First day | Contracts | Exercises |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
        seed = spec.seed,
        start = spec.start,
        end = spec.end,
        n = spec.instruments.len(),
    );
    for (s, m) in spec.instruments.iter().zip(&market.instruments) {
        let _ = writeln!(
            r,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.code(),
            s.instrument.currency,
            s.roll.hold_cycle,
            s.roll.priced_cycle,
            s.roll.roll_offset_days,
            s.roll.carry_offset.as_i64(),
            s.roll.expiry_offset,
            number(s.tick.size),
            m.contracts[0].bars[0].date,
            m.contracts.len(),
            s.purpose,
        );
    }
    let _ = write!(r, "\n## FX\n\n");
    for (f, fx) in spec.fx.iter().zip(&market.fx) {
        let _ = writeln!(
            r,
            "- `{}USD`: {} daily rates, {} decimals, holidays 1 Jan and 25 Dec.",
            f.currency,
            fx.rates.len(),
            f.decimals
        );
    }
    r
}

/// Files under the generated subdirectories of `dir`, as relative paths with `/` separators.
fn existing_files(dir: &Path) -> Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for sub in GENERATED_DIRS {
        let d = dir.join(sub);
        if !d.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let name = entry?.file_name();
            out.insert(format!("{sub}/{}", name.to_string_lossy()));
        }
    }
    Ok(out)
}

/// Writes (or with `check`, compares) `testdata/`; returns the stale files (different, missing, or
/// present but no longer generated, which are deleted when writing).
pub(crate) fn gen_testdata(dir: &Path, check: bool) -> Result<Vec<String>> {
    let files = render_testdata()?;
    let mut stale = Vec::new();
    let mut extra = existing_files(dir)?;
    for (rel, content) in &files {
        extra.remove(rel);
        let path = dir.join(rel);
        if std::fs::read(&path).ok().as_deref() == Some(content.as_slice()) {
            continue;
        }
        stale.push(rel.clone());
        if !check {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, content)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    for rel in extra {
        if !check {
            let path = dir.join(&rel);
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
        stale.push(format!("{rel} (no longer generated)"));
    }
    Ok(stale)
}

/// What `gen-universe` wrote.
#[derive(Debug)]
pub(crate) struct UniverseSummary {
    pub(crate) instruments: usize,
    pub(crate) contract_files: usize,
    pub(crate) bars: usize,
    pub(crate) fx_series: usize,
}

/// Writes a universe of `instruments` instruments × `years` years into `out`, instruments in
/// parallel; each instrument's prices are generated, written and dropped before the next.
pub(crate) fn gen_universe(
    out: &Path,
    instruments: usize,
    years: u32,
    seed: u64,
) -> Result<UniverseSummary> {
    if instruments == 0 || !(1..=100).contains(&years) {
        bail!("--instruments must be at least 1 and --years between 1 and 100");
    }
    let spec = systrade_synth::universe(instruments, years, seed);
    for sub in GENERATED_DIRS {
        let d = out.join(sub);
        std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
    }
    for (rel, content) in config_files(&spec)? {
        write_file(&out.join(rel), &content)?;
    }
    for f in &spec.fx {
        let fx = generate_fx(f, spec.seed, spec.start, spec.end);
        let path = out.join(format!("fx_prices_csv/{}USD.csv", f.currency));
        write_file(&path, &fx_csv(&fx, f)?)?;
    }
    let contract_files = AtomicUsize::new(0);
    let bars = AtomicUsize::new(0);
    let prices_dir = out.join("contract_prices_csv");
    spec.instruments
        .par_iter()
        .try_for_each(|s| -> Result<()> {
            let m = generate_instrument(s, spec.seed, spec.end);
            for h in &m.contracts {
                let path: PathBuf =
                    prices_dir.join(format!("{}_{}.csv", s.code(), h.contract.id()));
                let file = std::fs::File::create(&path)
                    .with_context(|| format!("creating {}", path.display()))?;
                write_contract_csv(file, &h.bars, s.tick.decimals)
                    .with_context(|| format!("writing {}", path.display()))?;
                bars.fetch_add(h.bars.len(), Ordering::Relaxed);
            }
            contract_files.fetch_add(m.contracts.len(), Ordering::Relaxed);
            Ok(())
        })?;
    Ok(UniverseSummary {
        instruments,
        contract_files: contract_files.into_inner(),
        bars: bars.into_inner(),
        fx_series: spec.fx.len(),
    })
}

fn write_file(path: &Path, content: &[u8]) -> Result<()> {
    std::fs::write(path, content).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails when testdata/ is stale: change the generator, run `cargo xtask gen-testdata`, commit.
    #[test]
    fn testdata_is_current() {
        let root = super::super::workspace_root();
        let stale = gen_testdata(&root.join("testdata"), true).unwrap();
        assert!(
            stale.is_empty(),
            "testdata/ is stale, run `cargo xtask gen-testdata`: {stale:?}"
        );
    }

    #[test]
    fn testdata_layout_and_formats() {
        let files = render_testdata().unwrap();
        let text = |rel: &str| {
            let (_, c) = files.iter().find(|(r, _)| r == rel).unwrap();
            String::from_utf8(c.clone()).unwrap()
        };
        assert_eq!(
            text("csvconfig/rollconfig.csv")
                .lines()
                .find(|l| l.starts_with("CORN,")),
            Some("CORN,Z,-60,-1,HKNUZ,14")
        );
        assert!(
            text("csvconfig/instrumentconfig.csv")
                .lines()
                .any(|l| l == "EUROSTX,Synthetic European equity index,10,EUR,Equity,2,0,0,EMEA")
        );
        let us10 = text("contract_prices_csv/US10_20230900.csv");
        let mut lines = us10.lines();
        assert_eq!(lines.next(), Some("DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME"));
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(row.len(), 6);
        assert!(
            row[0].ends_with(" 23:00:00") && row[0].len() == 19,
            "{row:?}"
        );
        assert!(
            row[1..5]
                .iter()
                .all(|p| p.split('.').nth(1).map(str::len) == Some(6))
        );
        assert!(row[5].parse::<u64>().is_ok());
        assert!(!us10.contains('\r'));
        let eur = text("fx_prices_csv/EURUSD.csv");
        assert!(
            eur.starts_with("DATETIME,PRICE\n2015-09-01 23:00:00,1.10000\n"),
            "{}",
            &eur[..60]
        );
        assert!(files.iter().all(|(r, _)| {
            r == "README.md"
                || GENERATED_DIRS
                    .iter()
                    .any(|d| r.starts_with(&format!("{d}/")))
        }));
        let total: usize = files.iter().map(|(_, c)| c.len()).sum();
        assert!(total < 4_500_000, "testdata is {total} bytes");
    }

    #[test]
    fn universe_is_written_per_instrument_and_reproducible() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        let summary = gen_universe(&a, 8, 2, 5).unwrap();
        gen_universe(&b, 8, 2, 5).unwrap();
        assert_eq!(summary.instruments, 8);
        assert!(
            summary.contract_files >= 8 * 8 && summary.bars > 8 * 500,
            "{summary:?}"
        );
        let files = |d: &Path| existing_files(d).unwrap();
        assert_eq!(files(&a), files(&b));
        assert_eq!(
            files(&a)
                .iter()
                .filter(|f| f.starts_with("contract_prices_csv/"))
                .count(),
            summary.contract_files
        );
        for rel in files(&a) {
            assert_eq!(
                std::fs::read(a.join(&rel)).unwrap(),
                std::fs::read(b.join(&rel)).unwrap()
            );
        }
        let roll = std::fs::read_to_string(a.join("csvconfig/rollconfig.csv")).unwrap();
        assert_eq!(roll.lines().count(), 9);
        assert!(gen_universe(&a, 0, 2, 5).is_err());
    }
}
