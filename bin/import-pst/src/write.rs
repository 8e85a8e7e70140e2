//! Phase 2: under the data directory's write lock, every prepared file replaced atomically (or
//! left alone when identical), and the import recorded in state.sqlite.

use crate::source::Scan;
use rayon::prelude::*;
use std::path::Path;
use std::time::Duration;
use systrade_cli::Progress;
use systrade_store::{PreparedFile, SeriesKind, Store, StoreError, WriteOutcome};

/// What happened to each config file.
pub(crate) type ConfigWritten<'a> = Vec<(&'static str, &'a PreparedFile, WriteOutcome)>;

/// Writes the config files, then the prepared series (in parallel), counting them in
/// `scan.tallies`; a held lock is exit 6.
pub(crate) fn write<'a>(
    store: &Store,
    source: &Path,
    timeout: Duration,
    config_files: &'a [(&'static str, PreparedFile)],
    prepared: &[(SeriesKind, PreparedFile)],
    scan: &mut Scan,
    no_progress: bool,
) -> anyhow::Result<ConfigWritten<'a>> {
    let writer = store.lock_for_writing(timeout).map_err(|e| {
        if e.is_locked() {
            systrade_cli::locked(e)
        } else {
            e.into()
        }
    })?;
    let stale = writer.remove_stale_temp_files()?;
    if stale > 0 {
        tracing::info!("removed {stale} temporary files left by an interrupted writer");
    }
    let mut config_written = Vec::with_capacity(config_files.len());
    for (what, file) in config_files {
        let outcome = writer.commit(file)?;
        config_written.push((*what, file, outcome));
    }
    let progress = Progress::new(prepared.len() as u64, "files written", no_progress);
    let outcomes: Vec<(SeriesKind, usize, WriteOutcome)> = prepared
        .par_iter()
        .map(|(kind, file)| {
            let outcome = writer.commit(file)?;
            progress.inc(1);
            Ok((*kind, file.rows(), outcome))
        })
        .collect::<Result<_, StoreError>>()?;
    progress.finish();

    let mut total_files = 0u64;
    let mut total_rows = 0u64;
    for (kind, rows, outcome) in outcomes {
        let t = scan.tallies.entry(kind).or_default();
        t.files += 1;
        t.rows += rows;
        total_files += 1;
        total_rows += rows as u64;
        match outcome {
            WriteOutcome::Written => t.written += 1,
            WriteOutcome::Unchanged => t.unchanged += 1,
        }
    }
    store.open_state_for_writing()?.transaction(|tx| {
        tx.record_import_run(
            "import-pst",
            &source.display().to_string(),
            total_files,
            total_rows,
        )
    })?;
    drop(writer);
    Ok(config_written)
}
