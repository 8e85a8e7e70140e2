//! The shipped Prometheus alert rules (`deploy/prometheus/systrade.rules.yml`) refer only to metrics
//! the metrics file has, and pass `promtool check rules` where promtool is installed.

#![allow(clippy::print_stderr)] // says when promtool is missing

use std::collections::BTreeMap;
use std::path::Path;
use systrade_ops::metrics::{StepMetrics, render};

fn rules_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/prometheus/systrade.rules.yml")
}

#[test]
fn alert_rules_use_metrics_that_exist() {
    let rules = std::fs::read_to_string(rules_path()).unwrap();
    let mut steps = BTreeMap::new();
    // every family present: each optional value set
    steps.insert(
        "backup".to_string(),
        StepMetrics {
            last_run: Some(1.0),
            last_success: Some(1.0),
            last_exit_code: Some(0),
            last_duration: Some(1.0),
            rows_fetched: Some(1),
            orders_placed: Some(1),
            ..StepMetrics::default()
        },
    );
    let text = render(&steps, 1.0);
    let families: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    let mut used = 0;
    for (i, _) in rules.match_indices("systrade_") {
        let name: String = rules[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name == "systrade_" || rules[..i].ends_with('/') {
            continue;
        }
        assert!(
            families.contains(&name.as_str()),
            "{name} is not a metric of the metrics file ({families:?})"
        );
        used += 1;
    }
    assert!(used >= 5, "the rules use the metrics ({used})");
}

#[test]
fn promtool_accepts_the_rules_where_installed() {
    match std::process::Command::new("promtool")
        .args(["check", "rules"])
        .arg(rules_path())
        .output()
    {
        Ok(o) => assert!(
            o.status.success(),
            "promtool check rules: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(_) => eprintln!("promtool is not installed; the rules were checked by name only"),
    }
}
