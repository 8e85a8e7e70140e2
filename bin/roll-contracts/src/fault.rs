//! A test hook for the kill -9 trials (`tests/crash.rs`), compiled into debug builds only: with
//! `SYSTRADE_TEST_PAUSE_AT=<point>[@<n>]=<file>` in the environment, the `n`-th time (default 1) the
//! process reaches `point` it creates `file` and sleeps, so the test can kill it exactly there.
//! Release builds ignore the variable.

/// The environment variable read by [`pause_point`] in debug builds.
#[cfg(debug_assertions)]
pub(crate) const PAUSE_AT: &str = "SYSTRADE_TEST_PAUSE_AT";

/// Marks `point` (see the module documentation); returns at once in release builds and when the
/// variable is not set or names another point.
#[cfg(debug_assertions)]
pub(crate) fn pause_point(point: &str) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static REACHED: AtomicUsize = AtomicUsize::new(0);
    let Ok(spec) = std::env::var(PAUSE_AT) else {
        return;
    };
    let Some((at, file)) = spec.split_once('=') else {
        return;
    };
    let (name, nth) = match at.split_once('@') {
        Some((name, n)) => (name, n.parse::<usize>().unwrap_or(1)),
        None => (at, 1),
    };
    if name != point || REACHED.fetch_add(1, Ordering::SeqCst) + 1 != nth {
        return;
    }
    let _ = std::fs::write(file, point);
    // killed here by the test; never hang for ever if it does not
    std::thread::sleep(std::time::Duration::from_secs(120));
    std::process::abort();
}

#[cfg(not(debug_assertions))]
pub(crate) fn pause_point(_point: &str) {}
