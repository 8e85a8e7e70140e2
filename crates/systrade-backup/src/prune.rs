//! `backup prune`: removes the backups the retention [`Policy`] does not keep, then the blobs no
//! remaining backup references (garbage collection), and leftovers of interrupted runs.
//!
//! Order matters for crash safety: manifests are deleted first, blobs after, so an interrupted
//! prune leaves only unreferenced blobs (collected by the next prune), never a listed backup with
//! a missing blob. Safety against a concurrent `create` comes from the repository locks (see
//! [`crate::repo`]): prune runs only while no `create` holds a lock, and a `create` starting
//! meanwhile waits for it.

use crate::manifest;
use crate::repo::{LockKind, Repo};
use crate::retention::{Policy, select_keep};
use std::collections::HashSet;
use std::time::Duration;

/// What [`prune`] did (or would do, with `dry_run`).
#[derive(Debug, Clone, Default)]
pub struct PruneReport {
    pub kept: Vec<String>,
    pub removed: Vec<String>,
    pub blobs_deleted: u64,
    pub bytes_deleted: u64,
    pub leftovers_removed: u64,
}

/// Applies `policy` to the backups of `repo`.
pub fn prune(repo: &Repo, policy: Policy, dry_run: bool) -> anyhow::Result<PruneReport> {
    if policy.keeps_nothing() {
        anyhow::bail!(
            "refusing to delete every backup: give --keep-daily, --keep-weekly or --keep-last"
        );
    }
    repo.check_initialized()?;
    let _lock = repo.lock(LockKind::Prune, Duration::ZERO)?;
    let ids = repo.backup_ids()?;
    let dated: Vec<(String, chrono::NaiveDateTime)> = ids
        .iter()
        .filter_map(|id| manifest::parse_id(id).map(|t| (id.clone(), t)))
        .collect();
    let keep = select_keep(&dated, policy);
    let mut report = PruneReport {
        kept: ids.iter().filter(|i| keep.contains(*i)).cloned().collect(),
        removed: ids.iter().filter(|i| !keep.contains(*i)).cloned().collect(),
        ..PruneReport::default()
    };
    // Every kept manifest must be readable, or we cannot know which blobs are in use.
    let mut referenced: HashSet<String> = HashSet::new();
    for id in &report.kept {
        let m = repo.load_manifest(id).map_err(|e| {
            e.context("cannot read a kept backup; not deleting anything (run `backup verify`)")
        })?;
        referenced.extend(m.files.into_iter().map(|e| e.sha256));
    }
    let unreferenced: Vec<(String, u64)> = repo
        .store()
        .list("blobs/")?
        .into_iter()
        .filter(|o| manifest::sha_of_blob_key(&o.key).is_none_or(|sha| !referenced.contains(sha)))
        .map(|o| (o.key, o.size))
        .collect();
    report.blobs_deleted = unreferenced.len() as u64;
    report.bytes_deleted = unreferenced.iter().map(|(_, s)| s).sum();
    if dry_run {
        return Ok(report);
    }
    for id in &report.removed {
        repo.store().delete(&manifest::manifest_key(id))?;
    }
    for (key, _) in &unreferenced {
        repo.store().delete(key)?;
    }
    report.leftovers_removed = repo.store().remove_leftovers()? + repo.remove_stale_locks()?;
    Ok(report)
}
