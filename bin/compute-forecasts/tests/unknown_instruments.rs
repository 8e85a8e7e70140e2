//! Issue 15 item 8: an unknown name in `--instruments` is a usage error (exit 2) naming it, the
//! same in every tool that takes the flag, and nothing is written. Issue 15 item 9: an instrument
//! the data or `--instruments` asks for that has no usable input is a failure of that instrument
//! (named, exit 3) in every tool, not left out silently.

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

const TOOLS: [&str; 7] = [
    "import-pst",
    "roll-contracts",
    "backtest",
    "size-positions",
    "report",
    "fetch-prices",
    "place-orders",
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
        ("roll-contracts", vec!["adjust".to_string()]),
        ("roll-contracts", vec!["multiple".to_string()]),
        ("roll-contracts", vec!["state".to_string()]),
        (
            "fetch-prices",
            vec![format!(
                "--source=csv:{}",
                repo().join("testdata/contract_prices_csv").display()
            )],
        ),
        ("place-orders", vec![]),
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

/// `prices/<kind>/<I>.parquet` and `rolls/<I>.parquet` of `code` removed: what a data directory
/// looks like when `roll-contracts calendar` failed for it (the 1000-instrument universe of issue
/// 15 item 9): contract prices, nothing built from them.
fn remove_built_series(data: &Path, code: &str) {
    for dir in ["rolls", "prices/multiple", "prices/adjusted"] {
        std::fs::remove_file(data.join(dir).join(format!("{code}.parquet"))).unwrap();
    }
}

fn run(name: &str, data: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = tool(name)
        .env("SYSTRADE_DATA", data)
        .args(args)
        .args(["--no-progress", "-q"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

#[test]
fn an_instrument_without_usable_input_fails_by_name_in_every_tool() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    setup(&data);
    remove_built_series(&data, "VIX");
    // each stage lists the instruments of the earlier stages too: VIX fails, the others are done
    for (sub, why) in [
        ("multiple", "no roll calendar"),
        ("adjust", "no multiple prices"),
    ] {
        let (code, _, err) = run("roll-contracts", &data, &[sub]);
        assert_eq!(code, Some(3), "roll-contracts {sub}: {err}");
        assert!(err.contains("VIX") && err.contains(why), "{sub}: {err}");
    }
    assert!(!data.join("prices/adjusted/VIX.parquet").exists());
    // "every instrument with data" includes VIX (it has contract prices): a failure, exit 3
    let (code, _, err) = run("compute-forecasts", &data, &[]);
    assert_eq!(code, Some(3), "compute-forecasts: {err}");
    assert!(
        err.contains("VIX") && err.contains("no adjusted prices"),
        "compute-forecasts: {err}"
    );
    let (code, _, err) = run("size-positions", &data, &[]);
    assert_eq!(code, Some(3), "size-positions: {err}");
    assert!(
        err.contains("VIX") && err.contains("no adjusted prices"),
        "size-positions: {err}"
    );
    for extra in [&[][..], &["--instruments", "GOLD,VIX"][..]] {
        let mut args = vec!["--format", "json"];
        args.extend_from_slice(extra);
        let (code, out, err) = run("backtest", &data, &args);
        assert_eq!(code, Some(3), "backtest {extra:?}: {err}");
        assert!(out.contains(r#""failed":["VIX"]"#), "{extra:?}: {out}");
        assert!(err.contains("no adjusted prices"), "{err}");
    }
    // a configured instrument the source has nothing for: its failure, the others are fetched
    let source = d.path().join("source");
    std::fs::create_dir(&source).unwrap();
    for e in std::fs::read_dir(repo().join("testdata/contract_prices_csv")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("US10_") {
            std::fs::copy(&p, source.join(&name)).unwrap();
        }
    }
    let src = format!("--source=csv:{}", source.display());
    let (code, _, err) = run("fetch-prices", &data, &[&src, "--instruments", "US10,GOLD"]);
    assert_eq!(code, Some(3), "fetch-prices: {err}");
    assert!(err.contains("GOLD"), "fetch-prices: {err}");
}
