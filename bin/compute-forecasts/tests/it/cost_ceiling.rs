//! `forecast_post_ceiling_cost_SR` (issue 16), as pysystemtrade's `ForecastCombine` applies it to
//! fixed weights: a rule whose SR cost (turnover × cost per trade + holding cost, turnover pooled
//! over the instruments with the same rules) exceeds the ceiling leaves the instrument's forecast
//! weights, which are then fitted, smoothed and renormalised as usual; its capped forecast is
//! still written; a warning names it. The combined forecast must equal that of the same config
//! with the rule removed from `forecast_weights`; with no rule cheap enough the instrument fails.

use crate::common::{SYNTHETIC, SYNTHETIC_CONFIG, cmd, code, synthetic_data_dir, write_config};
use systrade_model::ForecastSeries;
use systrade_store::Store;

fn run(data: &std::path::Path, name: &str, text: &str) -> (String, Vec<Vec<ForecastSeries>>) {
    let config = write_config(data, name, text);
    let out = cmd(data)
        .arg("--config")
        .arg(&config)
        .arg("-v")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let store = Store::open(data);
    let files = SYNTHETIC
        .iter()
        .map(|(c, _, _)| store.read_forecasts(&code(c)).unwrap())
        .collect();
    (stderr, files)
}

fn rule<'a>(file: &'a [ForecastSeries], name: &str) -> &'a ForecastSeries {
    file.iter().find(|s| s.rule == name).unwrap()
}

/// The SR cost the debug log gives for `rule` of `instrument`.
fn logged_cost(stderr: &str, instrument: &str, rule: &str) -> f64 {
    let line = stderr
        .lines()
        .find(|l| l.contains(&format!("{instrument}: SR costs of the rules:")))
        .unwrap_or_else(|| panic!("no SR costs logged for {instrument}: {stderr}"));
    let list = line.split("SR costs of the rules: ").nth(1).unwrap();
    list.split(", ")
        .find_map(|p| p.strip_prefix(&format!("{rule} ")))
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn expensive_rules_leave_the_combination_with_a_warning() {
    let data = synthetic_data_dir();
    // A ceiling that drops nothing yet (998 < 999 turns the filter on) gives every rule's cost.
    let (stderr, all) = run(
        data.path(),
        "all.yaml",
        &format!("{SYNTHETIC_CONFIG}forecast_post_ceiling_cost_SR: 998\n"),
    );
    assert!(
        !stderr.contains("left out of the combined forecast"),
        "{stderr}"
    );
    let costs: Vec<[f64; 3]> = SYNTHETIC
        .iter()
        .map(|(c, _, _)| ["ewmac8", "ewmac32", "carry"].map(|r| logged_cost(&stderr, c, r)))
        .collect();
    // the fastest rule trades most: the most expensive on every instrument
    for c in &costs {
        assert!(c[0] > c[1] && c[0] > c[2], "{costs:?}");
    }
    let ceiling = costs.iter().map(|c| c[1].max(c[2])).fold(0.0, f64::max) * 1.01;
    assert!(
        costs.iter().all(|c| c[0] > ceiling),
        "{costs:?} vs {ceiling}"
    );

    let (stderr, dropped) = run(
        data.path(),
        "ceiling.yaml",
        &format!("{SYNTHETIC_CONFIG}forecast_post_ceiling_cost_SR: {ceiling}\n"),
    );
    for (c, _, _) in SYNTHETIC {
        assert!(
            stderr.lines().any(|l| l.contains("WARN")
                && l.contains(&format!("{c}: 1 rule(s) left out of the combined forecast"))
                && l.contains("ewmac8")),
            "{c}: {stderr}"
        );
    }
    // The same as giving no weight to ewmac8 at all (weights renormalised downstream).
    let without = SYNTHETIC_CONFIG.replace(
        "forecast_weights: {ewmac8: 0.3, ewmac32: 0.3, carry: 0.4}",
        "forecast_weights: {ewmac32: 0.3, carry: 0.4}",
    );
    assert_ne!(without, SYNTHETIC_CONFIG);
    let (_, reference) = run(data.path(), "without.yaml", &without);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for ((d, r), a) in dropped.iter().zip(&reference).zip(&all) {
        let (got, want) = (rule(d, "combined"), rule(r, "combined"));
        assert_eq!(got.dates, want.dates);
        assert_eq!(bits(&got.capped), bits(&want.capped));
        assert_ne!(bits(&got.capped), bits(&rule(a, "combined").capped));
        // the dropped rule's capped forecast is still written
        assert_eq!(
            bits(&rule(d, "ewmac8").capped),
            bits(&rule(a, "ewmac8").capped)
        );
    }

    // No rule cheap enough: pysystemtrade raises for the instrument; here each instrument fails,
    // named with the rules' SR costs, and no forecasts file is written for it.
    let config = write_config(
        data.path(),
        "tiny.yaml",
        &format!("{SYNTHETIC_CONFIG}forecast_post_ceiling_cost_SR: 0.0000001\n"),
    );
    std::fs::remove_dir_all(data.path().join("forecasts")).unwrap();
    let out = cmd(data.path())
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for (c, _, _) in SYNTHETIC {
        assert!(
            stderr.lines().any(|l| l.contains(c)
                && l.contains(
                    "no rule is cheap enough with forecast_post_ceiling_cost_SR 0.0000001"
                )
                && l.contains("ewmac8")),
            "{c}: {stderr}"
        );
        assert!(!data.path().join(format!("forecasts/{c}.parquet")).exists());
    }
}
