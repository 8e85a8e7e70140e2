//! The kill -9 campaign over the daily writers (issue 15), bounded and seeded so that every CI run
//! repeats it in about a minute: `fetch-prices` (a `csv:` source into a directory without contract
//! prices), `roll-contracts calendar`, `multiple` and `adjust`, `compute-forecasts`,
//! `size-positions` and `place-orders` (sim broker), each started on the data directory the steps
//! before it leave, and killed with SIGKILL at a seeded random moment of its run. (`import-pst`,
//! `roll-contracts roll`, `backup` and place-orders against the IB gateway have their own campaigns
//! in their crates' tests.)
//!
//! After each kill:
//! - every data file is either as it was before the run or exactly as a complete run writes it
//!   (byte for byte), and no other data file appears;
//! - re-running the step succeeds and leaves the data directory byte-identical to an uninterrupted
//!   run (Parquet and CSV files), and for `place-orders` the same positions and the same orders and
//!   fills (no order sent twice, none lost).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use systrade_test::campaign::{SplitMix64, copy_dir, data_files};
use systrade_test::tools::{Tools, assert_ok};

const SEED: u64 = 15;
const TRIALS_PER_STEP: usize = 10;
const DATE: &str = "2026-12-04";

/// One daily step: its tool and arguments.
struct Step {
    name: &'static str,
    tool: &'static str,
    args: &'static [&'static str],
}

/// Replaced by the workspace's `testdata/contract_prices_csv` in a step's arguments.
const TESTDATA_PRICES: &str = "{testdata-prices}";

const STEPS: &[Step] = &[
    Step {
        name: "fetch-prices",
        tool: "fetch-prices",
        args: &["--source", TESTDATA_PRICES],
    },
    Step {
        name: "roll-contracts calendar",
        tool: "roll-contracts",
        args: &["calendar"],
    },
    Step {
        name: "roll-contracts multiple",
        tool: "roll-contracts",
        args: &["multiple"],
    },
    Step {
        name: "roll-contracts adjust",
        tool: "roll-contracts",
        args: &["adjust"],
    },
    Step {
        name: "compute-forecasts",
        tool: "compute-forecasts",
        args: &[],
    },
    Step {
        name: "size-positions",
        tool: "size-positions",
        args: &[],
    },
    Step {
        name: "place-orders",
        tool: "place-orders",
        args: &["--broker", "sim", "--date", DATE],
    },
];

fn step_cmd(tools: &Tools, step: &Step, data: &Path) -> Command {
    let mut c = tools.cmd(step.tool);
    let prices = format!(
        "csv:{}",
        systrade_test::workspace_root()
            .join("testdata/contract_prices_csv")
            .display()
    );
    c.args(step.args.iter().map(|a| {
        if *a == TESTDATA_PRICES {
            prices.as_str()
        } else {
            a
        }
    }))
    .args(["--no-progress", "-q"])
    .env("SYSTRADE_DATA", data)
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    c
}

fn run_step(tools: &Tools, step: &Step, data: &Path) -> Duration {
    let start = Instant::now();
    let out = step_cmd(tools, step, data)
        .output()
        .expect("running a step");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{} on {}: exit {:?}: {}",
        step.name,
        data.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// What `place-orders` reports of the state database: positions, and completed orders and fills
/// without their row ids and client order id prefixes.
fn orders_view(tools: &Tools, data: &Path) -> String {
    let mut view = String::new();
    for args in [&["positions"][..], &["orders", "--history"][..]] {
        let out = tools
            .cmd("place-orders")
            .args(args)
            .args(["--format", "csv", "-q"])
            .env("SYSTRADE_DATA", data)
            .output()
            .expect("running place-orders");
        assert_ok(&out);
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            // orders --history: level,id,... — drop the id column.
            // Client order ids start with the data directory's random prefix, made by the first
            // run in each directory: drop it too.
            let fields: Vec<&str> = line.split(',').collect();
            let kept = if args[0] == "orders" && fields.len() > 2 {
                let mut kept = [&fields[..1], &fields[2..]].concat();
                if let Some(last) = kept.last_mut() {
                    *last = last.split_once('-').map_or(*last, |(_, rest)| rest);
                }
                kept.join(",")
            } else {
                line.to_string()
            };
            view.push_str(&kept);
            view.push('\n');
        }
    }
    view
}

#[test]
fn killed_daily_steps_leave_old_or_new_files_and_rerun_to_the_same_result() {
    let tools = Tools::build(&[
        "import-pst",
        "fetch-prices",
        "roll-contracts",
        "compute-forecasts",
        "size-positions",
        "place-orders",
    ]);
    let scratch = tempfile::tempdir().expect("tempdir");
    let base = scratch.path().join("base");
    tools.testdata_data_dir(&base);
    // The first step fetches the contract prices: start it from a directory without them (and
    // without the series made from them), so each run of each step writes every file.
    for dir in [
        "prices/contracts",
        "rolls",
        "prices/multiple",
        "prices/adjusted",
    ] {
        std::fs::remove_dir_all(base.join(dir)).expect("rm a series directory");
    }

    let mut rng = SplitMix64::new(SEED);
    let mut before = base;
    let mut kills = 0;
    for (n, step) in STEPS.iter().enumerate() {
        // An uninterrupted run: the result every trial must reach.
        let reference = scratch.path().join(format!("ref-{n}"));
        copy_dir(&before, &reference);
        let took = run_step(&tools, step, &reference);
        let old = data_files(&before);
        let new = data_files(&reference);
        let new_orders = (step.tool == "place-orders").then(|| orders_view(&tools, &reference));
        // Each step must write something, or its trials test nothing.
        match &new_orders {
            Some(view) => assert!(
                view != &orders_view(&tools, &before),
                "{} placed no order on the test data",
                step.name
            ),
            None => assert!(old != new, "{} wrote no file on the test data", step.name),
        }

        for trial in 0..TRIALS_PER_STEP {
            let dir = scratch.path().join(format!("trial-{n}-{trial}"));
            copy_dir(&before, &dir);
            let delay = rng.upto(took + took / 5);
            let mut child = step_cmd(&tools, step, &dir).spawn().expect("spawn");
            std::thread::sleep(delay);
            let killed = child.try_wait().expect("try_wait").is_none();
            child.kill().expect("SIGKILL");
            child.wait().expect("wait");
            kills += usize::from(killed);

            let what = format!("{} trial {trial} (killed after {delay:?})", step.name);
            for (path, bytes) in data_files(&dir) {
                let as_before = old.get(&path) == Some(&bytes);
                let as_after = new.get(&path) == Some(&bytes);
                assert!(
                    as_before || as_after,
                    "{what}: {path} is neither the old nor the new file ({} bytes)",
                    bytes.len()
                );
            }

            run_step(&tools, step, &dir);
            let after = data_files(&dir);
            let differ: Vec<&String> = new
                .keys()
                .chain(after.keys())
                .filter(|k| new.get(*k) != after.get(*k))
                .collect();
            assert!(
                differ.is_empty(),
                "{what}: after a re-run these differ from an uninterrupted run: {differ:?}"
            );
            if let Some(expected) = &new_orders {
                assert_eq!(
                    &orders_view(&tools, &dir),
                    expected,
                    "{what}: positions or orders differ from an uninterrupted run"
                );
            }
            std::fs::remove_dir_all(&dir).ok();
        }
        before = reference;
    }
    // Most trials must have killed a running process, or the campaign proves little.
    let trials = STEPS.len() * TRIALS_PER_STEP;
    assert!(
        kills * 2 >= trials,
        "only {kills} of {trials} runs were killed mid-way"
    );
}
