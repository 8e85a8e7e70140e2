//! Issue 15 item 8: an unknown name in `--instruments` is a usage error (exit 2) naming it, the
//! same in every tool that takes the flag, and nothing is written.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tool(name: &str) -> std::process::Command {
    let dir = assert_cmd::cargo::cargo_bin("compute-forecasts")
        .parent()
        .unwrap()
        .to_path_buf();
    std::process::Command::new(dir.join(name))
}

const TOOLS: [&str; 5] = [
    "import-pst",
    "roll-contracts",
    "backtest",
    "size-positions",
    "report",
];

/// A data directory with testdata's prices imported and adjusted and a one-rule system.yaml.
fn setup(data: &Path) {
    let mut build = std::process::Command::new(env!("CARGO"));
    build.current_dir(repo()).arg("build").arg("-q");
    for t in TOOLS {
        build.args(["-p", t]);
    }
    if assert_cmd::cargo::cargo_bin("compute-forecasts")
        .parent()
        .unwrap()
        .ends_with("release")
    {
        build.arg("--release");
    }
    assert!(build.status().unwrap().success());
    let ok = |c: &mut std::process::Command| {
        let out = c.env("SYSTRADE_DATA", data).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(tool("import-pst")
        .arg(repo().join("testdata"))
        .args(["--no-progress", "-q"]));
    for sub in ["calendar", "multiple", "adjust"] {
        ok(tool("roll-contracts").args([sub, "--no-progress", "-q"]));
    }
    std::fs::write(
        data.join("config/system.yaml"),
        "trading_rules:\n  ewmac8:\n    function: systems.provided.rules.ewmac.ewmac\n    \
         data: [rawdata.get_daily_prices, rawdata.daily_returns_volatility]\n    \
         other_args: {Lfast: 8, Lslow: 32}\n    forecast_scalar: 5.3\n\
         forecast_weights: {ewmac8: 1.0}\n",
    )
    .unwrap();
}

fn listing(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.to_string_lossy().contains("state.sqlite") {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn an_unknown_instrument_is_exit_2_naming_it_in_every_tool() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    setup(&data);
    let before = listing(&data);
    let runs: Vec<(&str, Vec<String>)> = vec![
        ("compute-forecasts", vec![]),
        ("backtest", vec![]),
        ("size-positions", vec![]),
        ("report", vec!["positions".to_string()]),
        (
            "import-pst",
            vec![repo().join("testdata").to_string_lossy().into_owned()],
        ),
    ];
    for (name, extra) in runs {
        let out = tool(name)
            .env("SYSTRADE_DATA", &data)
            .args(&extra)
            .args(["--instruments", "NOPE", "--no-progress", "-q"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains("NOPE"), "{name} names it: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    assert!(listing(&data) == before, "nothing was written");
}
