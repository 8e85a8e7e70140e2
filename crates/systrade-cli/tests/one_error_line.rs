//! Every tool, failing, says so once (issue 19): one error line on stderr naming the cause, not an
//! ERROR log line and then the same again as `error:`, and no cause repeated inside the line
//! (`...: exit code 1: exit code 1`, `os error 2 ... os error 2`). Text logs here; the JSON-only
//! stderr of the same paths is in `json_output.rs`.

use std::path::Path;
use systrade_test::tools::Tools;

const TOOLS: [&str; 10] = [
    "import-pst",
    "fetch-prices",
    "roll-contracts",
    "compute-forecasts",
    "size-positions",
    "backtest",
    "place-orders",
    "backup",
    "report",
    "run-step",
];

#[test]
fn every_tool_reports_a_failure_in_one_line() {
    let tools = Tools::build(&TOOLS);
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let nope = scratch.path().join("nope");
    let nope_yaml = scratch.path().join("nope.yaml");
    let n = nope.display().to_string();
    let ny = nope_yaml.display().to_string();
    let source = format!("csv:{n}");
    let report_cmd = tools.path("report").display().to_string();
    // (tool, arguments, exit code, the cause the line must name)
    let cases: Vec<(&str, Vec<&str>, i32, &str)> = vec![
        ("import-pst", vec![&n], 1, "nope"),
        ("fetch-prices", vec!["--source", &source], 1, "nope"),
        (
            "roll-contracts",
            vec!["adjust", "--instruments", "NOPE"],
            2,
            "NOPE",
        ),
        ("compute-forecasts", vec!["--config", &ny], 1, "nope.yaml"),
        ("size-positions", vec!["--config", &ny], 1, "nope.yaml"),
        ("backtest", vec!["--config", &ny], 1, "nope.yaml"),
        (
            "place-orders",
            vec!["--broker", "ibkr"],
            1,
            "config/ibkr.csv",
        ),
        ("backup", vec!["--repo", &n, "verify"], 1, "nope"),
        ("report", vec!["--date", "2023-08-31"], 1, "instruments.csv"),
        (
            "run-step",
            vec!["step-x", "--", &report_cmd, "--date", "2023-08-31"],
            1,
            "instruments.csv",
        ),
    ];
    let mut problems = Vec::new();
    for (tool, args, code, cause) in cases {
        let out = tools
            .cmd(tool)
            .env("SYSTRADE_DATA", &data)
            .env_remove("SYSTRADE_ALERT_CMD")
            .env_remove("SYSTRADE_METRICS_FILE")
            .env_remove("SYSTRADE_BACKUP_REPO")
            .env_remove("SYSTRADE_LOG_FORMAT")
            .arg("--no-progress")
            .args(&args)
            .output()
            .unwrap();
        let what = format!("{tool} {}", args.join(" "));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.status.code() != Some(code) {
            problems.push(format!(
                "{what}: exit {:?}, not {code}\n{stderr}",
                out.status.code()
            ));
            continue;
        }
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("error") || l.contains(" ERROR "))
            .collect();
        // run-step passes its command's error through, then says which step failed
        let expected = if tool == "run-step" { 2 } else { 1 };
        if errors.len() != expected {
            problems.push(format!(
                "{what}: {} error lines, not {expected}\n{stderr}",
                errors.len()
            ));
            continue;
        }
        if stderr.matches(cause).count() != 1 {
            problems.push(format!(
                "{what}: '{cause}' not named exactly once\n{stderr}"
            ));
        }
        for line in &errors {
            if repeats_a_cause(line) {
                problems.push(format!("{what}: a cause repeated in: {line}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(
        !Path::new(&nope).exists(),
        "nothing created at the missing path"
    );
}

/// A line that says the same `: `-separated cause twice (`a: exit code 1: exit code 1`), or an
/// operating-system error twice.
fn repeats_a_cause(line: &str) -> bool {
    let parts: Vec<&str> = line.split(": ").map(str::trim).collect();
    let twice = parts
        .iter()
        .enumerate()
        .any(|(i, p)| !p.is_empty() && parts[i + 1..].contains(p));
    twice || line.matches("(os error").count() > 1
}

#[test]
fn the_repeat_detector_detects() {
    assert!(repeats_a_cause("error: a: exit code 1: exit code 1"));
    assert!(repeats_a_cause(
        "error: x: No such file (os error 2): y (os error 2)"
    ));
    assert!(!repeats_a_cause(
        "error: /x/nope.yaml: cannot read: No such file (os error 2)"
    ));
}
