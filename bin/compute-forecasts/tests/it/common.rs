//! Test data directories: a small synthetic market written through the store, or pysystemtrade's
//! shipped data (`../shared/pst-data`) read with the store's pysystemtrade parsers.

use assert_cmd::Command;
use chrono::{Datelike, NaiveDate, Weekday};
use std::path::Path;
use std::time::Duration;
use systrade_model::{
    AdjustedPrices, ContractDate, Instrument, InstrumentCode, MultiplePrices, MultiplePricesRow,
    Timestamp,
};
use systrade_store::Store;
use tempfile::TempDir;

/// `compute-forecasts --data-dir DIR --no-progress`.
pub(crate) fn cmd(data: &Path) -> Command {
    let mut c = Command::cargo_bin("compute-forecasts").unwrap();
    c.arg("--data-dir").arg(data).arg("--no-progress");
    c
}

pub(crate) fn code(s: &str) -> InstrumentCode {
    InstrumentCode::new(s).unwrap()
}

/// Synthetic instruments: (code, asset class, phase).
pub(crate) const SYNTHETIC: [(&str, &str, f64); 3] = [
    ("AAA", "Bond", 0.0),
    ("BBB", "Bond", 1.3),
    ("CCC", "Equity", 2.1),
];

/// First and last business day of the synthetic prices.
pub(crate) fn synthetic_range() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2022, 12, 30).unwrap(),
    )
}

fn business_days() -> Vec<NaiveDate> {
    let (start, end) = synthetic_range();
    start
        .iter_days()
        .take_while(|d| *d <= end)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect()
}

/// A data directory with three synthetic instruments (adjusted prices at 19:00 each business day,
/// multiple prices with a quarterly contract and a deferred carry contract, instruments.csv).
pub(crate) fn synthetic_data_dir() -> TempDir {
    let dir = TempDir::new().unwrap();
    let store = Store::open(dir.path());
    let writer = store.lock_for_writing(Duration::from_secs(5)).unwrap();
    let days = business_days();
    let mut instruments = Vec::new();
    for (c, class, phase) in SYNTHETIC {
        let ts: Vec<Timestamp> = days
            .iter()
            .map(|d| Timestamp::from_datetime(d.and_hms_opt(19, 0, 0).unwrap()))
            .collect();
        let price: Vec<f64> = (0..days.len())
            .map(|t| {
                let t = t as f64;
                100.0
                    + 8.0 * (t / 37.0 + phase).sin()
                    + 3.0 * (t / 5.3 + 2.0 * phase).cos()
                    + 0.02 * t
            })
            .collect();
        writer
            .write_adjusted_prices(&code(c), &AdjustedPrices::new(ts.clone(), price.clone()))
            .unwrap();
        let multiple: MultiplePrices = days
            .iter()
            .zip(&ts)
            .zip(&price)
            .map(|((d, t), p)| {
                let q = (d.month0() / 3) * 3 + 3; // next quarter month 3, 6, 9, 12
                let held = ContractDate::from_id(i64::from(d.year()) * 10000 + i64::from(q) * 100)
                    .unwrap();
                let (cy, cm) = if q == 12 {
                    (d.year() + 1, 3)
                } else {
                    (d.year(), q + 3)
                };
                let carry =
                    ContractDate::from_id(i64::from(cy) * 10000 + i64::from(cm) * 100).unwrap();
                MultiplePricesRow {
                    timestamp: *t,
                    price: p - 50.0,
                    price_contract: held,
                    forward: p - 50.5 - phase,
                    forward_contract: carry,
                    carry: p - 50.5 - phase,
                    carry_contract: carry,
                }
            })
            .collect();
        writer.write_multiple_prices(&code(c), &multiple).unwrap();
        instruments.push(Instrument {
            code: code(c),
            description: format!("synthetic {c}"),
            pointsize: 10.0,
            currency: "USD".into(),
            asset_class: class.into(),
            per_block: 1.0,
            percentage: 0.0,
            per_trade: 0.0,
            region: "US".into(),
        });
    }
    writer.write_instruments(&instruments).unwrap();
    drop(writer);
    dir
}

/// A config for the synthetic market: two ewmac rules and carry, fixed scalars.
pub(crate) const SYNTHETIC_CONFIG: &str = "\
trading_rules:
  ewmac8:
    function: systems.provided.rules.ewmac.ewmac
    data: [rawdata.get_daily_prices, rawdata.daily_returns_volatility]
    other_args: {Lfast: 8, Lslow: 32}
    forecast_scalar: 5.3
  ewmac32:
    function: systems.provided.rules.ewmac.ewmac
    data: [rawdata.get_daily_prices, rawdata.daily_returns_volatility]
    other_args: {Lfast: 32, Lslow: 128}
    forecast_scalar: 2.65
  carry:
    function: systems.provided.rules.carry.carry
    data: [rawdata.raw_carry]
    other_args: {smooth_days: 90}
    forecast_scalar: 30
forecast_weights: {ewmac8: 0.3, ewmac32: 0.3, carry: 0.4}
forecast_div_multiplier: 1.2
";

/// Writes `text` to `dir/name` and returns the path.
pub(crate) fn write_config(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A data directory with the named instruments of pysystemtrade's shipped data (adjusted and
/// multiple prices, instrumentconfig.csv), parsed with the store's pysystemtrade readers.
pub(crate) fn pst_data_dir_with(pst: &Path, codes: &[String]) -> TempDir {
    use systrade_store::{config, pst as p};
    let dir = TempDir::new().unwrap();
    let store = Store::open(dir.path());
    let writer = store.lock_for_writing(Duration::from_secs(5)).unwrap();
    let cfg = pst.join("csvconfig/instrumentconfig.csv");
    let instruments = config::parse_instruments(&cfg, &std::fs::read(&cfg).unwrap()).unwrap();
    writer.write_instruments(&instruments).unwrap();
    std::thread::scope(|s| {
        for chunk in codes.chunks(codes.len().div_ceil(4).max(1)) {
            let writer = &writer;
            s.spawn(move || {
                for c in chunk {
                    let a = pst.join(format!("adjusted_prices_csv/{c}.csv.gz"));
                    let adjusted =
                        p::parse_adjusted_prices(&a, &p::read_file(&a).unwrap()).unwrap();
                    writer.write_adjusted_prices(&code(c), &adjusted).unwrap();
                    let m = pst.join(format!("multiple_prices_csv/{c}.csv.gz"));
                    if m.exists() {
                        let multiple =
                            p::parse_multiple_prices(&m, &p::read_file(&m).unwrap()).unwrap();
                        writer.write_multiple_prices(&code(c), &multiple).unwrap();
                    }
                }
            });
        }
    });
    drop(writer);
    dir
}

/// Every instrument code with adjusted prices in pst-data.
pub(crate) fn pst_codes(pst: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(pst.join("adjusted_prices_csv"))
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            n.strip_suffix(".csv.gz").map(str::to_string)
        })
        .collect();
    v.sort();
    v
}

/// Parses `--output -` CSV into rows (date, instrument, rule, forecast; NaN for empty).
pub(crate) fn parse_csv(text: &str) -> Vec<(NaiveDate, String, String, f64)> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("date,instrument,rule,forecast"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "{l}");
            let v = if f[3].is_empty() {
                f64::NAN
            } else {
                f[3].parse().unwrap()
            };
            (
                NaiveDate::parse_from_str(f[0], "%Y-%m-%d").unwrap(),
                f[1].to_string(),
                f[2].to_string(),
                v,
            )
        })
        .collect()
}
