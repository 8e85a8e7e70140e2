//! Issue 15 item 8, through the binary: report reads `state.sqlite` without write access (it works
//! on a directory nothing can be written to) and refuses a database made by a newer systrade
//! (exit 4, naming the file), leaving it untouched.

use assert_cmd::Command;
use std::path::Path;

/// A data directory with no instruments whose `state.sqlite` has the current schema and one stopped process.
fn data_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("config")).unwrap();
    std::fs::write(
        d.path().join("config/instruments.csv"),
        "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region\n",
    )
    .unwrap();
    let mut w = systrade_store::Store::open(d.path())
        .open_state_for_writing()
        .unwrap();
    w.transaction::<_, systrade_store::StoreError>(|tx| {
        tx.set_control_status(
            "place-orders",
            systrade_store::state::process::ControlStatus::Stop,
            "test",
        )
    })
    .unwrap();
    d
}

fn report(data: &Path) -> Command {
    let mut c = Command::cargo_bin("report").unwrap();
    c.env("SYSTRADE_DATA", data)
        .env("SYSTRADE_RUN_DATE", "2023-08-31")
        .args(["-q", "status", "--format", "csv"]);
    c
}

struct Immutable(std::path::PathBuf);

impl Immutable {
    /// `chattr +i` on `dir` (root can then not create files in it either, like a read-only
    /// filesystem); `None` where that is not permitted.
    fn set(dir: &Path) -> Option<Self> {
        let ok = std::process::Command::new("chattr")
            .arg("+i")
            .arg(dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then(|| Self(dir.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn report_reads_a_data_directory_that_cannot_be_written() {
    let d = data_dir();
    let Some(_guard) = Immutable::set(d.path()) else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipped: chattr +i is not permitted here (needs root)");
        }
        return;
    };
    let out = report(d.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_database_from_a_newer_systrade_is_refused_with_exit_4() {
    let d = data_dir();
    let path = d.path().join("state.sqlite");
    let future = systrade_store::state::MIGRATIONS.last().unwrap().version + 1;
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO migrations (version, name) VALUES (?1, 'from the future')",
            [future],
        )
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let out = report(d.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("made by a newer systrade") && stderr.contains("state.sqlite"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file is untouched"
    );
}
