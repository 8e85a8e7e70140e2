//! kill -9 trials of `roll-contracts roll` (issue 15 item 2): seeded, bounded. Every trial copies
//! one prepared data directory (every instrument in Roll_Adjusted), starts `roll`, kills it with
//! SIGKILL — at a marked point (the debug-build hook `SYSTRADE_TEST_PAUSE_AT`, see
//! `src/fault.rs`) or after a seeded number of milliseconds — sometimes kills the recovery run too,
//! then re-runs `roll` (or `update` then `roll`) and requires every file of the data directory to
//! equal, byte for byte, those of an uninterrupted roll, the same roll states, and no pending
//! roll left.

use super::{load_testdata, roll_contracts};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use systrade_store::Store;
use systrade_test::campaign::{SplitMix64, copy_dir};

const TRIALS: u64 = 60;
const SEED: u64 = 0x15_02;

/// Where the hook can stop a run (`point@n`: the n-th time it is reached).
const POINTS: [&str; 8] = [
    "roll:recorded",
    "roll:multiple-written@1",
    "roll:multiple-written@2",
    "roll:multiple-written@4",
    "roll:adjusted-written@1",
    "roll:adjusted-written@3",
    "roll:adjusted-written@5",
    "roll:finished",
];

/// Every file of the data directory but the database and the lock file, by relative path.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            let name = rel.to_string_lossy();
            if name.starts_with("state.sqlite") || name == ".write.lock" {
                continue;
            }
            out.insert(rel, std::fs::read(&path).unwrap());
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The files whose content differs between `a` and `b` (or that only one has).
fn differing(a: &BTreeMap<PathBuf, Vec<u8>>, b: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<PathBuf> {
    let all: std::collections::BTreeSet<&PathBuf> = a.keys().chain(b.keys()).collect();
    all.into_iter()
        .filter(|p| a.get(*p) != b.get(*p))
        .cloned()
        .collect()
}

/// The roll states and the number of pending rolls.
fn roll_state(root: &Path) -> (BTreeMap<String, String>, usize) {
    let db = Store::open(root).open_state().unwrap();
    let states = db
        .roll_states()
        .unwrap()
        .into_iter()
        .map(|(i, s)| (i.to_string(), s.to_string()))
        .collect();
    (states, db.pending_rolls().unwrap().len())
}

/// Runs `roll-contracts -q <args>` to its end: exit 0, or 4 from `update` (GOLD after its roll:
/// "no new price for the priced contract", a data problem of the testdata).
fn run_ok(data: &Path, args: &[&str]) {
    let out = roll_contracts(data).arg("-q").args(args).output().unwrap();
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 4)),
        "roll-contracts {args:?}: exit {code:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// How a trial's first run is stopped.
#[derive(Debug)]
enum Kill {
    At(&'static str),
    AfterMillis(u64),
}

/// Starts `roll-contracts <args>` and kills it with SIGKILL as `kill` says (or lets it end when
/// it never gets there); true when it was killed.
fn run_and_kill(data: &Path, args: &[&str], kill: &Kill, marker: &Path) -> bool {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("roll-contracts"));
    cmd.args(["--no-progress", "-q", "--data-dir"])
        .arg(data)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Kill::At(point) = kill {
        let _ = std::fs::remove_file(marker);
        cmd.env(
            "SYSTRADE_TEST_PAUSE_AT",
            format!("{point}={}", marker.display()),
        );
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let killed = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        let now_kill = match kill {
            Kill::At(_) => marker.exists(),
            Kill::AfterMillis(_) => true,
        };
        if now_kill {
            if let Kill::AfterMillis(ms) = kill {
                std::thread::sleep(Duration::from_millis(*ms));
            }
            // SIGKILL
            let _ = child.kill();
            break true;
        }
        assert!(Instant::now() < deadline, "{kill:?}: the run never ended");
        std::thread::sleep(Duration::from_millis(2));
    };
    let status = child.wait().unwrap();
    killed && status.code().is_none()
}

#[test]
fn killed_rolls_are_finished_or_undone_by_the_next_run() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    load_testdata(&base, None);
    for sub in ["calendar", "multiple", "adjust"] {
        run_ok(&base, &[sub]);
    }
    // the instruments whose roll succeeds on the testdata (COPPER's and CORN's forward contracts
    // have no prices yet: "cannot find the latest FORWARD")
    for i in ["EUROSTX", "GOLD", "US10", "VIX"] {
        run_ok(&base, &["state", i, "--set", "Roll_Adjusted"]);
    }
    // `update` has nothing to add before the roll (so recovering through `update` then `roll`,
    // then `update`, must give the files of an uninterrupted `roll` then `update`)
    let before = files(&base);
    let probe = tmp.path().join("probe");
    copy_dir(&base, &probe);
    run_ok(&probe, &["update"]);
    assert!(
        differing(&files(&probe), &before).is_empty(),
        "update changed the prepared directory"
    );

    // the uninterrupted roll, and the uninterrupted roll followed by the daily update
    let clean = tmp.path().join("clean");
    copy_dir(&base, &clean);
    let t0 = Instant::now();
    run_ok(&clean, &["roll"]);
    let clean_ms = t0.elapsed().as_millis() as u64;
    let want_roll = files(&clean);
    let want_state = roll_state(&clean);
    assert_eq!(want_state.1, 0);
    let rolled = want_state
        .0
        .values()
        .filter(|s| s.as_str() == "No_Roll")
        .count();
    assert_eq!(rolled, 4, "{want_state:?}");
    assert!(!differing(&want_roll, &before).is_empty());
    run_ok(&clean, &["update"]);
    let want_update = files(&clean);

    let mut rng = SplitMix64::new(SEED);
    let (mut killed, mut pending_after_kill, mut double) = (0, 0, 0);
    for trial in 0..TRIALS {
        let dir = tmp.path().join(format!("trial-{trial}"));
        copy_dir(&base, &dir);
        let marker = tmp.path().join(format!("marker-{trial}"));
        let kill = if trial % 2 == 0 {
            Kill::At(POINTS[rng.below(POINTS.len() as u64) as usize])
        } else {
            Kill::AfterMillis(rng.below(clean_ms * 13 / 10 + 1))
        };
        if run_and_kill(&dir, &["roll"], &kill, &marker) {
            killed += 1;
        }
        if roll_state(&dir).1 > 0 {
            pending_after_kill += 1;
            // every fourth such trial: the recovery is killed too, half-way through
            if rng.below(4) == 0
                && run_and_kill(
                    &dir,
                    &["roll"],
                    &Kill::At("resolve:adjusted-written"),
                    &marker,
                )
            {
                double += 1;
            }
        }
        let via_update = rng.below(2) == 0;
        let want = if via_update {
            run_ok(&dir, &["update"]);
            let left = roll_state(&dir).1;
            assert_eq!(
                left, 0,
                "trial {trial} ({kill:?}): update left a pending roll"
            );
            run_ok(&dir, &["roll"]);
            run_ok(&dir, &["update"]);
            &want_update
        } else {
            run_ok(&dir, &["roll"]);
            &want_roll
        };
        let diff = differing(&files(&dir), want);
        assert!(
            diff.is_empty(),
            "trial {trial} ({kill:?}, via update: {via_update}): files differ from an \
             uninterrupted run: {diff:?}"
        );
        assert_eq!(
            roll_state(&dir),
            want_state,
            "trial {trial} ({kill:?}, via update: {via_update})"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
    eprintln!(
        "kill -9 trials: {TRIALS} (seed {SEED:#x}), {killed} killed mid-run, {pending_after_kill} \
         left a pending roll, {double} recoveries killed too; clean roll {clean_ms} ms; {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        pending_after_kill >= TRIALS / 4,
        "too few trials stopped a roll half-way ({pending_after_kill})"
    );
}
