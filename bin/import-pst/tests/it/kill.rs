//! kill -9 of `import-pst` at seeded random moments: afterwards every target file is absent, old or
//! complete-new and readable, temporary files are never listed as data, and re-running completes the
//! import.

use crate::common::{Spec, bin_path, import_pst, snapshot, write_source};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;
use systrade_store::{SeriesKind, Store};

const TRIALS: usize = 24;

fn run_to_completion(src: &Path, data: &Path) {
    import_pst()
        .arg(src)
        .arg("--data-dir")
        .arg(data)
        .arg("-q")
        .assert()
        .success();
}

/// Data files (config CSVs and Parquet), without the lock, state.sqlite and temp files.
fn data_files(snap: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    snap.iter()
        .filter(|(k, _)| {
            let name = k.rsplit('/').next().unwrap();
            !name.starts_with('.') && !k.starts_with("state.sqlite")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Reads every stored series through the store (so each file must be complete and valid).
fn read_everything(data: &Path) -> usize {
    let store = Store::open(data);
    let mut n = 0;
    for kind in [
        SeriesKind::Adjusted,
        SeriesKind::Multiple,
        SeriesKind::Rolls,
        SeriesKind::Contracts,
    ] {
        for code in store.list_instruments(kind).unwrap() {
            n += match kind {
                SeriesKind::Adjusted => store.read_adjusted_prices(&code).unwrap().len(),
                SeriesKind::Multiple => store.read_multiple_prices(&code).unwrap().len(),
                SeriesKind::Rolls => store.read_roll_calendar(&code).unwrap().len(),
                _ => store.read_contract_prices(&code).unwrap().len(),
            };
        }
    }
    for ccy in store.list_fx_currencies().unwrap() {
        n += store.read_fx_rates(&ccy).unwrap().len();
    }
    if store.dir().instruments_csv().exists() {
        n += store.read_instruments().unwrap().len();
    }
    n
}

#[test]
fn kill_9_at_random_moments_leaves_old_or_new_files() {
    let names = |n: usize| (0..n).map(|i| format!("I{i:03}")).collect::<Vec<_>>();
    let root = tempfile::tempdir().unwrap();
    let (src_a, src_b) = (root.path().join("a"), root.path().join("b"));
    // Many small files, so that most kills land in the write phase. B has different values everywhere
    // and six more instruments (files absent before B's import).
    let spec_a = Spec {
        instruments: names(60),
        rows: 300,
        seed: 11,
        gzip: false,
        contracts_per_instrument: 2,
    };
    let spec_b = Spec {
        instruments: names(66),
        rows: 301,
        seed: 12,
        ..spec_a.clone()
    };
    write_source(&src_a, &spec_a);
    write_source(&src_b, &spec_b);

    // Reference results of complete imports.
    let (ref_a, ref_b) = (root.path().join("ref_a"), root.path().join("ref_b"));
    let start = Instant::now();
    run_to_completion(&src_a, &ref_a);
    let duration = start.elapsed();
    run_to_completion(&src_b, &ref_b);
    let expected_a = data_files(&snapshot(&ref_a));
    let expected_b = data_files(&snapshot(&ref_b));
    assert!(expected_b.len() > expected_a.len());
    let all_paths: std::collections::BTreeSet<&String> =
        expected_a.keys().chain(expected_b.keys()).collect();

    let data = root.path().join("data");
    run_to_completion(&src_a, &data);
    // What the data directory holds after the last complete run: an import replaces the files of its
    // source and leaves other files (instruments only in the other source) alone.
    let mut current = expected_a.clone();
    let mut rng = ChaCha8Rng::seed_from_u64(20_260_101);
    let (mut mixed, mut untouched, mut complete) = (0, 0, 0);
    for trial in 0..TRIALS {
        let (src, imported) = if trial % 2 == 0 {
            (&src_b, &expected_b)
        } else {
            (&src_a, &expected_a)
        };
        let old = current.clone();
        let mut new = current.clone();
        new.extend(imported.iter().map(|(k, v)| (k.clone(), v.clone())));

        let delay = duration.mul_f64(rng.random_range(0.0..1.3));
        let mut child = Command::new(bin_path())
            .arg(src)
            .arg("--data-dir")
            .arg(&data)
            .args(["--no-progress", "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let now = data_files(&snapshot(&data));
        let (mut n_old, mut n_new) = (0, 0);
        for path in &all_paths {
            match (now.get(*path), old.get(*path), new.get(*path)) {
                (None, None, _) => {}
                (Some(b), Some(o), Some(n)) if b == o && b == n => {}
                (Some(b), Some(o), _) if b == o => n_old += 1,
                (Some(b), _, Some(n)) if b == n => n_new += 1,
                (got, _, _) => panic!(
                    "trial {trial} ({delay:?}): {path} is neither absent, old nor new ({} bytes)",
                    got.map_or(0, Vec::len)
                ),
            }
        }
        for path in now.keys() {
            assert!(
                all_paths.contains(path),
                "trial {trial}: unexpected data file {path}"
            );
        }
        read_everything(&data);
        // Temporary files are never listed as data.
        let store = Store::open(&data);
        for code in store.list_instruments(SeriesKind::Adjusted).unwrap() {
            assert!(now.contains_key(&format!("prices/adjusted/{code}.parquet")));
        }
        match (n_old, n_new) {
            (_, 0) => untouched += 1,
            (0, _) => complete += 1,
            _ => mixed += 1,
        }

        run_to_completion(src, &data);
        let done = snapshot(&data);
        assert!(
            data_files(&done) == new,
            "trial {trial}: re-run did not complete the import"
        );
        let temps: Vec<_> = done.keys().filter(|k| k.contains(".tmp-")).collect();
        assert!(
            temps.is_empty(),
            "trial {trial}: temp files left after re-run: {temps:?}"
        );
        current = new;
    }
    eprintln!(
        "{TRIALS} kills (full import {duration:?}): {untouched} before any write, {mixed} mid-write, \
         {complete} after all writes"
    );
}
