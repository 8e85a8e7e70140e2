//! Helpers: generated pysystemtrade-style source directories, running the binary, snapshots of a
//! data directory.

use assert_cmd::Command;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use systrade_model::Timestamp;

pub(crate) const DAY: i64 = 86_400_000_000;

/// `import-pst` with `--no-progress`.
pub(crate) fn import_pst() -> Command {
    let mut cmd = Command::cargo_bin("import-pst").expect("binary built");
    cmd.arg("--no-progress");
    cmd
}

/// The rows of `import-pst --format json` by kind (`adjusted`, `fx`, `instruments`, ...).
pub(crate) fn summary(stdout: &[u8]) -> BTreeMap<String, serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            let row: serde_json::Value = serde_json::from_str(l).expect("a JSON object per line");
            (row["kind"].as_str().unwrap().to_string(), row)
        })
        .collect()
}

/// Path of the built binary (for spawning and killing).
pub(crate) fn bin_path() -> PathBuf {
    assert_cmd::cargo::cargo_bin("import-pst")
}

/// Every file under `dir` (relative path → bytes).
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

/// What to generate.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) instruments: Vec<String>,
    pub(crate) rows: usize,
    pub(crate) seed: u64,
    pub(crate) gzip: bool,
    pub(crate) contracts_per_instrument: usize,
}

impl Spec {
    pub(crate) fn small() -> Self {
        Self {
            instruments: vec!["AAA".into(), "BBB".into()],
            rows: 5,
            seed: 1,
            gzip: false,
            contracts_per_instrument: 2,
        }
    }
}

pub(crate) fn write_file(path: &Path, text: &str, gzip: bool) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    if gzip {
        let path = PathBuf::from(format!("{}.gz", path.display()));
        let f = std::fs::File::create(&path).unwrap();
        let mut enc = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        enc.write_all(text.as_bytes()).unwrap();
        enc.finish().unwrap();
        path
    } else {
        std::fs::write(path, text).unwrap();
        path.to_path_buf()
    }
}

fn ts(i: usize) -> String {
    // 2000-01-03 23:00:00 plus i days; every 7th row a roll one second after an intraday stamp.
    let base = Timestamp::parse("2000-01-03 23:00:00").unwrap().micros();
    Timestamp::from_micros(base + i as i64 * DAY).to_string()
}

fn price(rng: &mut ChaCha8Rng) -> String {
    if rng.random_range(0..10) == 0 {
        String::new()
    } else {
        format!("{}", rng.random_range(1.0..1000.0f64))
    }
}

/// Writes a pysystemtrade-style source directory: config, adjusted, multiple, FX, roll calendars
/// (plus a `#` variant) and per-contract prices, with empty cells.
pub(crate) fn write_source(dir: &Path, spec: &Spec) {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut inst = String::from(
        "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n",
    );
    let mut rolls = String::from(
        "Instrument,HoldRollCycle,RollOffsetDays,CarryOffset,PricedRollCycle,ExpiryOffset\n",
    );
    let mut spreads = String::from("Instrument,SpreadCost\n");
    for (k, i) in spec.instruments.iter().enumerate() {
        inst.push_str(&format!(
            "{i},Test {i},{},USD,Equity,2.5,0,0,US\n",
            10 * (k + 1)
        ));
        rolls.push_str(&format!("{i},HMUZ,-5,1,HMUZ,6\n"));
        spreads.push_str(&format!("{i},0.{}\n", k + 1));
    }
    inst.push_str("NOPRICES,No prices,1,GBP,Bond,,,,\n");
    write_file(&dir.join("csvconfig/instrumentconfig.csv"), &inst, false);
    write_file(&dir.join("csvconfig/rollconfig.csv"), &rolls, false);
    write_file(&dir.join("csvconfig/spreadcosts.csv"), &spreads, false);

    for i in &spec.instruments {
        let mut adj = String::from("DATETIME,price\n");
        let mut mult = String::from(
            "DATETIME,CARRY,CARRY_CONTRACT,PRICE,PRICE_CONTRACT,FORWARD,FORWARD_CONTRACT\n",
        );
        for r in 0..spec.rows {
            adj.push_str(&format!("{},{}\n", ts(r), price(&mut rng)));
            mult.push_str(&format!(
                "{},{},20000600,{},20000300,{},20000600\n",
                ts(r),
                price(&mut rng),
                price(&mut rng),
                price(&mut rng)
            ));
        }
        write_file(
            &dir.join(format!("adjusted_prices_csv/{i}.csv")),
            &adj,
            spec.gzip,
        );
        write_file(
            &dir.join(format!("multiple_prices_csv/{i}.csv")),
            &mult,
            spec.gzip,
        );
        let cal = "DATE_TIME,current_contract,next_contract,carry_contract\n\
                   2000-02-25 23:00:00,20000300,20000600,20000600\n\
                   2000-05-26 23:00:00,20000600,20000900,20000900\n";
        write_file(
            &dir.join(format!("roll_calendars_csv/{i}.csv")),
            cal,
            spec.gzip,
        );
        for c in 0..spec.contracts_per_instrument {
            let id = 20000300 + 300 * c;
            let mut text = String::from("DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME\n");
            for r in (c..spec.rows).step_by(1 + c) {
                // HIGH ≥ LOW (a validation rule); any of the four may be empty.
                let (open, close) = (price(&mut rng), price(&mut rng));
                let (a, b) = (price(&mut rng), price(&mut rng));
                let (high, low) = match (a.parse::<f64>(), b.parse::<f64>()) {
                    (Ok(x), Ok(y)) if x < y => (b, a),
                    _ => (a, b),
                };
                text.push_str(&format!(
                    "{},{open},{high},{low},{close},{}\n",
                    ts(r),
                    rng.random_range(0..1000)
                ));
            }
            write_file(
                &dir.join(format!("contract_prices_csv/{i}_{id}.csv")),
                &text,
                spec.gzip,
            );
        }
    }
    write_file(
        &dir.join("roll_calendars_csv/AAA#1.csv"),
        "DATE_TIME,current_contract,next_contract,carry_contract\n2000-02-25 23:00:00,20000300,20000600,20000600\n",
        false,
    );
    let mut fx = String::from("DATETIME,PRICE\n");
    for r in 0..spec.rows {
        fx.push_str(&format!("{},{}\n", ts(r), price(&mut rng)));
    }
    write_file(&dir.join("fx_prices_csv/GBPUSD.csv"), &fx, spec.gzip);
}
