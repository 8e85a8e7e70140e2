//! Every tool, each subcommand that prints, run as a real process on a data directory made from
//! `testdata/` with `--format json --log-format json`: every line on stdout is one JSON object, and
//! so is every line on stderr (the output convention, docs/adr/0006-output-convention.md). Also
//! the failure paths: a partial run, a failed run and a usage error log JSON only.

use serde_json::Value;
use std::path::{Path, PathBuf};
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

/// The trading day of the run (the last day of testdata/).
const DAY: &str = "2023-08-31";

struct World {
    tools: Tools,
    data: PathBuf,
    root: PathBuf,
}

/// What a run prints on stdout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prints {
    /// Nothing (the tool only writes files and logs).
    Nothing,
    /// Rows: zero or more objects.
    Rows,
    /// At least one row.
    SomeRows,
    /// One document: exactly one object.
    Document,
    /// Not yet the convention (not checked).
    Text,
}

impl World {
    /// Runs `tool args` with JSON logs; checks the exit code, that stdout is JSON objects as
    /// `prints` says and that every line on stderr is a JSON object; returns the stdout objects.
    fn run(&mut self, tool: &str, args: &[&str], code: i32, prints: Prints) -> Vec<Value> {
        let out = self
            .tools
            .cmd(tool)
            .env("SYSTRADE_DATA", &self.data)
            .args(["--log-format", "json", "--no-progress"])
            .args(args)
            .output()
            .expect("running the tool");
        let what = format!("{tool} {}", args.join(" "));
        let stderr = String::from_utf8(out.stderr).expect("UTF-8 on stderr");
        assert_eq!(out.status.code(), Some(code), "{what}: {stderr}");
        for line in stderr.lines() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{what}: stderr line is not JSON ({e}): {line}"));
            assert!(
                v.is_object(),
                "{what}: stderr line is not an object: {line}"
            );
        }
        let stdout = String::from_utf8(out.stdout).expect("UTF-8 on stdout");
        if prints == Prints::Text {
            return Vec::new();
        }
        let rows: Vec<Value> = stdout
            .lines()
            .map(|line| {
                let v: Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{what}: stdout line is not JSON ({e}): {line}"));
                assert!(
                    v.is_object(),
                    "{what}: stdout line is not an object: {line}"
                );
                v
            })
            .collect();
        match prints {
            Prints::Nothing => assert!(rows.is_empty(), "{what}: printed {stdout}"),
            Prints::Rows | Prints::Text => {}
            Prints::SomeRows => assert!(!rows.is_empty(), "{what}: printed nothing"),
            Prints::Document => assert_eq!(rows.len(), 1, "{what}: {stdout}"),
        }
        rows
    }

    fn path(&self, rel: &str) -> String {
        self.root.join(rel).display().to_string()
    }
}

fn testdata() -> PathBuf {
    systrade_test::workspace_root().join("testdata")
}

#[test]
fn every_tool_prints_json_lines_and_logs_json() {
    let tools = Tools::build(&TOOLS);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let data = root.join("data");
    let mut w = World { tools, data, root };
    use Prints::*;
    let json = ["--format", "json"];
    let with = |args: &[&str]| -> Vec<String> {
        json.iter()
            .chain(args)
            .map(|s| (*s).to_string())
            .collect::<Vec<_>>()
    };
    let run = |w: &mut World, tool: &str, args: &[&str], code: i32, p: Prints| {
        let a = with(args);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        w.run(tool, &a, code, p)
    };

    // import and prices
    let td = testdata().display().to_string();
    let rows = run(&mut w, "import-pst", &[&td], 0, SomeRows);
    assert!(
        rows.iter()
            .any(|r| r["kind"] == "contracts" && r["files"].is_u64())
    );
    let src = format!("csv:{}", testdata().join("contract_prices_csv").display());
    let rows = run(&mut w, "fetch-prices", &["--source", &src], 0, SomeRows);
    assert!(rows.iter().all(|r| r["rows_added"].is_u64()));
    let fx = format!("csv:{}", testdata().join("fx_prices_csv").display());
    run(
        &mut w,
        "fetch-prices",
        &["--fx", "--source", &fx],
        0,
        SomeRows,
    );

    // rolls
    for sub in ["calendar", "multiple", "adjust"] {
        run(&mut w, "roll-contracts", &[sub], 0, Nothing);
    }
    // testdata's GOLD has no last-day price for its priced contract: a data problem (exit 4)
    run(&mut w, "roll-contracts", &["update"], 4, Nothing);
    run(&mut w, "roll-contracts", &["state"], 0, SomeRows);
    run(
        &mut w,
        "roll-contracts",
        &["state", "US10", "--set", "Passive"],
        0,
        Document,
    );
    run(
        &mut w,
        "roll-contracts",
        &["report", "--as-of", DAY],
        0,
        SomeRows,
    );
    run(
        &mut w,
        "roll-contracts",
        &["roll", "--auto", "--as-of", DAY],
        0,
        SomeRows,
    );
    // one failing instrument: exit 3, the failure and the summary logged as JSON
    run(
        &mut w,
        "roll-contracts",
        // an unknown name is a usage error (exit 2) in every tool, logged as JSON too
        &["adjust", "--instruments", "US10,NOPE"],
        2,
        Nothing,
    );

    // the system
    std::fs::copy(
        systrade_test::workspace_root().join("crates/systrade-config/examples/system.yaml"),
        w.data.join("config/system.yaml"),
    )
    .unwrap();
    w.run("compute-forecasts", &[], 0, Text);
    w.run("size-positions", &[], 0, Text);
    let doc = run(&mut w, "backtest", &[], 0, Document);
    assert!(doc[0]["portfolio"]["net"]["sharpe"].is_number());
    // a failed run: the final error is logged as JSON too
    run(
        &mut w,
        "backtest",
        &["--config", "/nonexistent.yaml"],
        1,
        Nothing,
    );

    // orders
    let date = ["--date", DAY];
    run(&mut w, "place-orders", &date, 0, SomeRows);
    for sub in [
        &["positions"][..],
        &["orders"],
        &["orders", "--history"],
        &["audit"],
        &["overrides", "list"],
        &["overrides", "set", "--instrument", "US10", "0.5"],
        &["limits", "list"],
        &["limits", "position", "--instrument", "US10", "10"],
        &["locks", "list"],
        &["locks", "add", "CORN"],
        &["locks", "clear", "CORN"],
    ] {
        run(&mut w, "place-orders", sub, 0, Rows);
    }

    // backup
    let repo = w.path("backup");
    let restored = w.path("restored");
    run(&mut w, "backup", &["--repo", &repo, "create"], 0, Document);
    run(&mut w, "backup", &["--repo", &repo, "list"], 0, SomeRows);
    run(&mut w, "backup", &["--repo", &repo, "verify"], 0, Document);
    run(
        &mut w,
        "backup",
        &["--repo", &repo, "prune", "--keep-last", "1"],
        0,
        Document,
    );
    run(
        &mut w,
        "backup",
        &["--repo", &repo, "restore", "latest", "--to", &restored],
        0,
        Document,
    );
    // a usage error found after parsing: exit 2, logged as JSON
    run(&mut w, "backup", &["list"], 2, Nothing);

    // reports and operations
    run(&mut w, "report", &["--date", DAY], 0, SomeRows);
    w.run("run-step", &["control", "--format", "json"], 0, SomeRows);
    w.run("run-step", &["capital", "set", "1000000"], 0, Nothing);
    w.run(
        "run-step",
        &["capital", "show", "--format", "json"],
        0,
        SomeRows,
    );
    // a step passes its command's output through; run-step's own messages are JSON
    let report = w.tools.path("report").display().to_string();
    let report_cmd = [
        &report,
        "status",
        "--format",
        "json",
        "--log-format",
        "json",
    ];
    w.run(
        "run-step",
        &[&["--date", DAY, "json-check", "--"][..], &report_cmd[..]].concat(),
        0,
        SomeRows,
    );
    assert!(Path::new(&restored).join("state.sqlite").exists());
}
