//! Test data directories, price files and running the binary.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::path::{Path, PathBuf};
use systrade_model::{ContractBar, InstrumentCode};
use systrade_store::Store;

pub(crate) const TODAY: &str = "2024-03-15";

pub(crate) fn today() -> NaiveDate {
    NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap()
}

/// A temporary directory with `data/config/{instruments,rolls}.csv` for `instruments`.
pub(crate) struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub(crate) fn new(instruments: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("data/config");
        std::fs::create_dir_all(&config).unwrap();
        let mut inst = String::from(
            "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n",
        );
        let mut rolls = String::from(
            "Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n",
        );
        for i in instruments {
            inst.push_str(&format!("{i},{i} test,50,USD,Ags,2,0,0,US\n"));
            rolls.push_str(&format!("{i},HMUZ,-20,1,HMUZ,14\n"));
        }
        std::fs::write(config.join("instruments.csv"), inst).unwrap();
        std::fs::write(config.join("rolls.csv"), rolls).unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        Self { dir }
    }

    pub(crate) fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub(crate) fn src(&self) -> PathBuf {
        self.dir.path().join("src")
    }

    pub(crate) fn write_src(&self, name: &str, text: &str) -> PathBuf {
        let p = self.src().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    pub(crate) fn write_config(&self, name: &str, text: &str) {
        std::fs::write(self.data().join("config").join(name), text).unwrap();
    }

    /// `fetch-prices --data-dir <data> --today TODAY --no-progress <args>`.
    pub(crate) fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = assert_cmd::cargo::cargo_bin_cmd!("fetch-prices");
        c.arg("--data-dir")
            .arg(self.data())
            .args(["--today", TODAY, "--no-progress"])
            .args(args)
            .env_remove("SYSTRADE_SOURCE_TOKEN")
            .env_remove("SYSTRADE_LOG")
            .env_remove("SYSTRADE_IBKR_URL");
        c
    }

    pub(crate) fn stored(&self, instrument: &str) -> Option<Vec<ContractBar>> {
        match Store::open(self.data())
            .read_contract_prices(&InstrumentCode::new(instrument).unwrap())
        {
            Ok(p) => Some(p),
            Err(e) if e.is_not_found() => None,
            Err(e) => panic!("{e}"),
        }
    }

    pub(crate) fn contract_file(&self, instrument: &str) -> PathBuf {
        self.data()
            .join("prices/contracts")
            .join(format!("{instrument}.parquet"))
    }
}

/// Business days ending on `end` (inclusive), `n` of them.
pub(crate) fn business_days(end: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut d = end;
    while out.len() < n {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            out.push(d);
        }
        d -= Duration::days(1);
    }
    out.reverse();
    out
}

/// A deterministic wiggly price path: `base` plus small alternating moves.
pub(crate) fn closes(n: usize, base: f64) -> Vec<f64> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut p = base;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let step = (x % 2001) as f64 / 1000.0 - 1.0; // -1 .. 1
            p += step * base * 0.005;
            (p * 100.0).round() / 100.0
        })
        .collect()
}

/// A pysystemtrade contract CSV for `days` and `closes`.
pub(crate) fn pst_csv(days: &[NaiveDate], closes: &[f64]) -> String {
    let mut s = String::from("DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME\n");
    for (d, c) in days.iter().zip(closes) {
        s.push_str(&format!(
            "{} 23:00:00,{},{},{},{},{}\n",
            d.format("%Y-%m-%d"),
            c - 0.5,
            c + 1.0,
            c - 1.0,
            c,
            100
        ));
    }
    s
}

pub(crate) fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The CSV output line of one instrument, split into fields.
pub(crate) fn csv_line(stdout: &str, instrument: &str) -> Vec<String> {
    stdout
        .lines()
        .find(|l| l.split(',').next() == Some(instrument))
        .unwrap_or_else(|| panic!("no line for {instrument} in:\n{stdout}"))
        .split(',')
        .map(str::to_string)
        .collect()
}

pub(crate) fn file_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}
