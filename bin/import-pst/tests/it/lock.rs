//! A second writer waits for the data directory's write lock, then fails clearly (exit 6) or
//! succeeds once the first writer has finished.

use crate::common::{Spec, import_pst, snapshot, write_source};
use std::time::{Duration, Instant};
use systrade_store::Store;

#[test]
fn second_writer_times_out_with_exit_code_6_and_writes_nothing() {
    let src = tempfile::tempdir().unwrap();
    write_source(src.path(), &Spec::small());
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path());
    let held = store.lock_for_writing(Duration::ZERO).unwrap();
    let before = snapshot(data.path());
    let start = Instant::now();
    let out = import_pst()
        .arg(src.path())
        .arg("--data-dir")
        .arg(data.path())
        .args(["--lock-timeout", "0.5"])
        .assert()
        .failure()
        .code(6);
    assert!(start.elapsed() >= Duration::from_millis(500));
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains(".write.lock") && stderr.contains("another process holds the write lock"),
        "{stderr}"
    );
    assert!(
        snapshot(data.path()) == before,
        "nothing written while locked"
    );
    drop(held);
}

#[test]
fn second_writer_succeeds_when_the_first_finishes_in_time() {
    let src = tempfile::tempdir().unwrap();
    write_source(src.path(), &Spec::small());
    let data = tempfile::tempdir().unwrap();
    let root = data.path().to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let store = Store::open(root);
        let _held = store.lock_for_writing(Duration::ZERO).unwrap();
        tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(800));
    });
    rx.recv().unwrap();
    let start = Instant::now();
    import_pst()
        .arg(src.path())
        .arg("--data-dir")
        .arg(data.path())
        .args(["--lock-timeout", "30"])
        .assert()
        .success();
    holder.join().unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(500),
        "it waited for the lock"
    );
    assert_eq!(
        Store::open(data.path()).read_instruments().unwrap().len(),
        3
    );
}
