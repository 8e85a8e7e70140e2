//! pysystemtrade's `rob_system` config (`pst-reference/rob_rules/config.yaml`: 40 rules, vol
//! attenuation, factor rules, estimated IDM, per-instrument forecast weights for 11 of its 18
//! instruments) through a real `compute-forecasts` run on every instrument of pysystemtrade's
//! data: the portfolio-stage keys do not stop it, the 7 instruments without forecast weights are
//! named and get the capped forecast of every rule but no combined forecast (pysystemtrade cannot
//! combine them either; exit 3), and the capped forecasts of every rule for the four reference
//! instruments (SP500 and EUR among the left-out ones) match pysystemtrade's
//! (`rob_rules/instruments/<CODE>/{daily,carry}.csv.gz`) — which needs the asset-class inputs of
//! every instrument and the skew averages over every instrument of the data in the class.

use crate::common::{cmd, parse_csv, pst_codes, pst_data_dir_with};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use systrade_test::{close_f64, read_csv, require_pst_data, require_pst_reference};

const REL_TOL: f64 = 1e-8;
const ABS_TOL: f64 = 1e-12;
const LEFT_OUT: [&str; 7] = [
    "COPPER", "EUR", "GAS_US", "GOLD", "NASDAQ", "SOYBEAN", "SP500",
];

#[test]
fn rob_system_config_runs_and_matches_pysystemtrade() {
    let test = "rob_system_config_runs_and_matches_pysystemtrade";
    let Some(pst) = require_pst_data(test) else {
        return;
    };
    let Some(reference) = require_pst_reference(test) else {
        return;
    };
    let data = pst_data_dir_with(&pst, &pst_codes(&pst));
    let dir = reference.join("rob_rules");
    let out = cmd(data.path())
        .arg("--config")
        .arg(dir.join("config.yaml"))
        .args(["--output", "-"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    for c in LEFT_OUT {
        assert!(stderr.contains(c), "{c} not named: {stderr}");
    }
    let mut ours: BTreeMap<(String, String), BTreeMap<NaiveDate, f64>> = BTreeMap::new();
    for (d, i, r, v) in parse_csv(&String::from_utf8(out.stdout).unwrap()) {
        ours.entry((i, r)).or_default().insert(d, v);
    }
    for c in LEFT_OUT {
        let rules: Vec<&String> = ours
            .keys()
            .filter(|(i, _)| i == c)
            .map(|(_, r)| r)
            .collect();
        assert_eq!(
            rules.len(),
            40,
            "{c}: every rule's capped forecast: {rules:?}"
        );
        assert!(
            !rules.iter().any(|r| *r == "combined"),
            "{c}: a combined forecast"
        );
    }
    assert!(ours.contains_key(&("US10".to_string(), "combined".to_string())));

    let mut rules_compared = 0;
    for c in ["SP500", "US10", "CORN", "EUR"] {
        for file in ["daily.csv.gz", "carry.csv.gz"] {
            let path = dir.join(format!("instruments/{c}/{file}"));
            if !path.exists() {
                continue;
            }
            let t = read_csv(&path);
            let dates: Vec<NaiveDate> = t
                .str_column("index")
                .iter()
                .map(|s| NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").unwrap())
                .collect();
            for col in t
                .header
                .iter()
                .filter(|h| h.starts_with("capped_forecast__"))
            {
                let rule = &col["capped_forecast__".len()..];
                let got = &ours[&(c.to_string(), rule.to_string())];
                let want = t.f64_column(col);
                let bad: Vec<String> = dates
                    .iter()
                    .zip(&want)
                    .filter_map(|(d, w)| {
                        let g = got.get(d).copied().unwrap_or(f64::NAN);
                        (!close_f64(g, *w, REL_TOL, ABS_TOL)).then(|| format!("{d}: {g} vs {w}"))
                    })
                    .collect();
                assert!(bad.is_empty(), "{c} {rule}: {bad:?}");
                rules_compared += 1;
            }
        }
    }
    assert_eq!(
        rules_compared, 160,
        "40 rules for each of the four instruments"
    );
}
