//! The kill -9 campaign over the daily writers (issue 15), bounded and seeded so that every CI run
//! repeats it in about a minute: `fetch-prices` (a `csv:` source, the testdata without its last
//! days, into a directory without contract prices), `roll-contracts calendar`, `multiple` and
//! `adjust`, then — after an uninterrupted `fetch-prices` of the full testdata has added the last
//! days' bars — `roll-contracts update`, `compute-forecasts`, `size-positions` and `place-orders`
//! (sim broker), then the state.sqlite writers a trader runs by hand (`roll-contracts state --set`,
//! `place-orders overrides set`, `run-step capital set`, `place-orders positions adopt --yes`,
//! and `place-orders trades add`, which is not re-run: its trade is recorded whole or not at all),
//! each started on the data directory the steps before it leave, and killed with
//! SIGKILL at a seeded random moment of its run. (`import-pst`, `roll-contracts roll`, `backup` and
//! place-orders against the IB gateway have their own campaigns in their crates' tests.)
//!
//! After each kill:
//! - every data file is either as it was before the run or exactly as a complete run writes it
//!   (byte for byte), and no other data file appears;
//! - re-running the step succeeds, removes the temporary files the killed run left, and leaves the
//!   data directory byte-identical to an uninterrupted
//!   run (Parquet and CSV files), and for `place-orders` the same positions and the same orders and
//!   fills (no order sent twice, none lost); for the state writers the same rows as their listing
//!   shows them.

#![allow(clippy::print_stderr)] // the campaign reports its trials and time

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use systrade_test::campaign::{SplitMix64, copy_dir, data_files};
use systrade_test::tools::{Tools, assert_ok};

const SEED: u64 = 15;
/// Kill -9 trials of each writer: few, so that the whole campaign stays within CI's time budget
/// (each trial is a killed run and a full re-run).
const TRIALS_PER_STEP: usize = 8;
const DATE: &str = "2026-12-04";
/// The first fetch reads the testdata without its bars from this day on, so that the later full
/// fetch gives `roll-contracts update` new days to add (seven business days before the end of the
/// testdata, 2023-08-31).
const FIRST_FETCH_ENDS_BEFORE: &str = "2023-08-23";

/// One daily step: its tool and arguments, how many killed trials it gets (0: it only prepares
/// the data directory for the next step), and where what it writes is seen.
struct Step {
    name: &'static str,
    tool: &'static str,
    args: &'static [&'static str],
    trials: usize,
    view: View,
}

/// Where a step's result is compared with an uninterrupted run's, besides the data files (which
/// every trial checks).
enum View {
    /// The data files only.
    Files,
    /// `place-orders` positions and order history ([`orders_view`]).
    Orders,
    /// The stdout of a tool listing the state.sqlite rows the step writes.
    Listing(&'static str, &'static [&'static str]),
    /// As [`View::Orders`], for a step that must not be re-run: after a kill the orders and
    /// positions are those before the run or those of a complete run, nothing in between.
    AllOrNothing,
}

/// Replaced by the workspace's `testdata/contract_prices_csv` in a step's arguments.
const TESTDATA_PRICES: &str = "{testdata-prices}";
/// Replaced by the copy of it without the bars from [`FIRST_FETCH_ENDS_BEFORE`] on.
const EARLIER_PRICES: &str = "{earlier-prices}";
/// Replaced by a broker positions CSV for `positions adopt`.
const ADOPT_CSV: &str = "{adopt-csv}";
/// Kill -9 trials of each hand-run state writer (short runs: one transaction each).
const STATE_TRIALS: usize = 4;

const STEPS: &[Step] = &[
    Step {
        name: "fetch-prices",
        tool: "fetch-prices",
        args: &["--source", EARLIER_PRICES],
        trials: TRIALS_PER_STEP,
        view: View::Files,
    },
    Step {
        name: "roll-contracts calendar",
        tool: "roll-contracts",
        args: &["calendar"],
        trials: TRIALS_PER_STEP,
        view: View::Files,
    },
    Step {
        name: "roll-contracts multiple",
        tool: "roll-contracts",
        args: &["multiple"],
        trials: TRIALS_PER_STEP,
        view: View::Files,
    },
    Step {
        name: "roll-contracts adjust",
        tool: "roll-contracts",
        args: &["adjust"],
        trials: TRIALS_PER_STEP,
        view: View::Files,
    },
    Step {
        name: "fetch-prices (the last days)",
        tool: "fetch-prices",
        args: &["--source", TESTDATA_PRICES],
        trials: 0,
        view: View::Files,
    },
    Step {
        name: "roll-contracts update",
        tool: "roll-contracts",
        args: &["update"],
        trials: TRIALS_PER_STEP,
        view: View::Files,
    },
    Step {
        name: "compute-forecasts",
        tool: "compute-forecasts",
        args: &[],
        trials: TRIALS_PER_STEP,
        view: View::Files,
    },
    Step {
        name: "size-positions",
        tool: "size-positions",
        args: &[],
        trials: TRIALS_PER_STEP,
        view: View::Files,
    },
    Step {
        name: "place-orders",
        tool: "place-orders",
        args: &["--broker", "sim", "--date", DATE],
        trials: TRIALS_PER_STEP,
        view: View::Orders,
    },
    // The state.sqlite writers a trader runs by hand (issue 15: every writer).
    Step {
        name: "roll-contracts state --set",
        tool: "roll-contracts",
        args: &["state", "CORN", "--set", "Passive"],
        trials: STATE_TRIALS,
        view: View::Listing("roll-contracts", &["state", "--format", "csv"]),
    },
    Step {
        name: "place-orders overrides set",
        tool: "place-orders",
        args: &[
            "overrides",
            "set",
            "--instrument",
            "GOLD",
            "reduce-only",
            "--date",
            DATE,
        ],
        trials: STATE_TRIALS,
        view: View::Listing("place-orders", &["overrides", "list", "--format", "csv"]),
    },
    Step {
        name: "run-step capital set",
        tool: "run-step",
        args: &["capital", "set", "750000"],
        trials: STATE_TRIALS,
        view: View::Listing("run-step", &["capital", "get"]),
    },
    Step {
        name: "place-orders positions adopt",
        tool: "place-orders",
        args: &[
            "positions",
            "adopt",
            "--strategy",
            "default",
            "--csv",
            ADOPT_CSV,
            "--yes",
            "--date",
            DATE,
        ],
        trials: STATE_TRIALS,
        view: View::Orders,
    },
    // Records one more trade each time it runs, so it is not re-run after a kill: its trials
    // check that the trade is recorded whole (order family, fill, both positions) or not at all.
    Step {
        name: "place-orders trades add",
        tool: "place-orders",
        args: &[
            "trades",
            "add",
            "CORN",
            "20241200",
            "1",
            "--price",
            "480.25",
            "--strategy",
            "default",
            "--fill-time",
            "2026-12-04 15:00:00",
            "--date",
            DATE,
        ],
        trials: STATE_TRIALS,
        view: View::AllOrNothing,
    },
];

/// `csv:` sources of the steps: the testdata's contract prices, and a copy without the last days.
struct Sources {
    testdata: String,
    earlier: String,
    adopt_csv: String,
}

impl Sources {
    /// Writes the shortened copy under `scratch`. Contract files with no bar before the cut are
    /// left out.
    fn new(scratch: &Path) -> Self {
        let full = systrade_test::workspace_root().join("testdata/contract_prices_csv");
        let earlier = scratch.join("earlier_contract_prices_csv");
        std::fs::create_dir_all(&earlier).expect("mkdir");
        let mut cut = 0;
        for e in std::fs::read_dir(&full).expect("testdata").flatten() {
            let text = std::fs::read_to_string(e.path()).expect("a testdata file");
            let mut lines = text.lines();
            let header = lines.next().expect("a header");
            let kept: Vec<&str> = lines
                .filter(|l| l[..10] < *FIRST_FETCH_ENDS_BEFORE)
                .collect();
            cut += text.lines().count() - 1 - kept.len();
            if !kept.is_empty() {
                let mut out = format!("{header}\n");
                for l in kept {
                    out.push_str(l);
                    out.push('\n');
                }
                std::fs::write(earlier.join(e.file_name()), out).expect("writing a copy");
            }
        }
        assert!(cut > 0, "the cut removed no bar");
        let adopt_csv = scratch.join("broker_positions.csv");
        std::fs::write(&adopt_csv, "instrument,contract,position\nCORN,202412,3\n")
            .expect("writing the broker positions");
        Self {
            testdata: format!("csv:{}", full.display()),
            earlier: format!("csv:{}", earlier.display()),
            adopt_csv: adopt_csv.display().to_string(),
        }
    }
}

fn step_cmd(tools: &Tools, step: &Step, data: &Path, sources: &Sources) -> Command {
    let mut c = tools.cmd(step.tool);
    c.args(step.args.iter().map(|a| match *a {
        TESTDATA_PRICES => sources.testdata.as_str(),
        EARLIER_PRICES => sources.earlier.as_str(),
        ADOPT_CSV => sources.adopt_csv.as_str(),
        a => a,
    }))
    .args(["--no-progress", "-q"])
    .env("SYSTRADE_DATA", data)
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    c
}

fn run_step(tools: &Tools, step: &Step, data: &Path, sources: &Sources) -> Duration {
    let start = Instant::now();
    let out = step_cmd(tools, step, data, sources)
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

/// Temporary files of the store's atomic writes (`.<name>.tmp-<pid>-<n>`) under `dir`: a run
/// removes those a killed run left (issue 15 item 8).
fn temp_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(temp_files(&e.path()));
        } else if name.starts_with('.') && name.contains(".tmp-") {
            out.push(e.path().display().to_string());
        }
    }
    out
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

/// What a step's [`View`] shows of `data` (`None` for the data files alone).
fn state_view(tools: &Tools, view: &View, data: &Path) -> Option<String> {
    match view {
        View::Files => None,
        View::Orders | View::AllOrNothing => Some(orders_view(tools, data)),
        // with the exit code: `run-step capital get` is exit 1 before any capital is set
        View::Listing(tool, args) => {
            let out = tools
                .cmd(tool)
                .args(*args)
                .arg("-q")
                .env("SYSTRADE_DATA", data)
                .output()
                .expect("running a listing");
            Some(format!(
                "exit {:?}\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stdout)
            ))
        }
    }
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
        "run-step",
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

    let sources = Sources::new(scratch.path());
    let started = Instant::now();
    let mut rng = SplitMix64::new(SEED);
    let mut before = base;
    let mut kills = 0;
    for (n, step) in STEPS.iter().enumerate() {
        // An uninterrupted run: the result every trial must reach.
        let reference = scratch.path().join(format!("ref-{n}"));
        copy_dir(&before, &reference);
        let took = run_step(&tools, step, &reference, &sources);
        // The kills are timed against a warm run (the first one reads cold files and can take
        // several times as long, so that a kill would come after most trials ended).
        let warm = scratch.path().join(format!("warm-{n}"));
        copy_dir(&before, &warm);
        let took = took.min(run_step(&tools, step, &warm, &sources));
        std::fs::remove_dir_all(&warm).ok();
        let old = data_files(&before);
        let new = data_files(&reference);
        let new_view = state_view(&tools, &step.view, &reference);
        let old_view = state_view(&tools, &step.view, &before);
        // Each step must write something, or its trials test nothing.
        match &new_view {
            Some(view) => assert!(
                Some(view) != old_view.as_ref(),
                "{} changed nothing on the test data",
                step.name
            ),
            None => assert!(old != new, "{} wrote no file on the test data", step.name),
        }

        let step_started = Instant::now();
        let kills_before = kills;
        for trial in 0..step.trials {
            let dir = scratch.path().join(format!("trial-{n}-{trial}"));
            copy_dir(&before, &dir);
            let delay = rng.upto(took + took / 5);
            let mut child = step_cmd(&tools, step, &dir, &sources)
                .spawn()
                .expect("spawn");
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

            if matches!(step.view, View::AllOrNothing) {
                let now = state_view(&tools, &step.view, &dir);
                assert!(
                    now == old_view || now == new_view,
                    "{what}: partly recorded:\n{}",
                    now.unwrap_or_default()
                );
                std::fs::remove_dir_all(&dir).ok();
                continue;
            }
            run_step(&tools, step, &dir, &sources);
            let left = temp_files(&dir);
            assert!(
                left.is_empty(),
                "{what}: the re-run left the killed run's temporary files: {left:?}"
            );
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
            if let Some(expected) = &new_view {
                assert_eq!(
                    state_view(&tools, &step.view, &dir).as_ref(),
                    Some(expected),
                    "{what}: the state differs from an uninterrupted run's"
                );
            }
            std::fs::remove_dir_all(&dir).ok();
        }
        eprintln!(
            "{}: uninterrupted run {took:?}; {} trials, {} killed mid-run, {:.1} s",
            step.name,
            step.trials,
            kills - kills_before,
            step_started.elapsed().as_secs_f64()
        );
        before = reference;
    }
    eprintln!(
        "kill -9 campaign (seed {SEED}): {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Most trials must have killed a running process, or the campaign proves little.
    let trials: usize = STEPS.iter().map(|s| s.trials).sum();
    assert!(
        kills * 2 >= trials,
        "only {kills} of {trials} runs were killed mid-way"
    );
}
