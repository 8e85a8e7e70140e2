//! Every tool prints its own man page and completion scripts with `--generate`, identical to the
//! files `cargo xtask man` writes into man/, so a server with only the binaries can install them.

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
fn every_tool_generates_its_man_page_and_completions() {
    let tools = Tools::build(&TOOLS);
    let man = systrade_test::workspace_root().join("man");
    for tool in TOOLS {
        for (kind, file) in [
            ("man", format!("{tool}.1")),
            ("bash", format!("completions/{tool}.bash")),
            ("zsh", format!("completions/_{tool}")),
            ("fish", format!("completions/{tool}.fish")),
        ] {
            let out = tools.cmd(tool).args(["--generate", kind]).output().unwrap();
            assert!(out.status.success(), "{tool} --generate {kind}");
            let want = std::fs::read(man.join(&file)).unwrap();
            assert!(
                out.stdout == want,
                "{tool} --generate {kind} differs from man/{file}"
            );
        }
    }
    // anywhere on the command line, even where a required argument is missing
    let out = tools
        .cmd("import-pst")
        .args(["--generate=man"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(".SH ENVIRONMENT"));
    // an unknown kind is a usage error
    let out = tools
        .cmd("report")
        .args(["--generate", "powershell"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("man, bash, zsh, fish"));
}
