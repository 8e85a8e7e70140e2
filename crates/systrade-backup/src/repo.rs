//! A backup repository: layout, opening, the list of backups, and the locks that make garbage
//! collection safe against a concurrent `create`.
//!
//! Layout (same keys locally and on S3):
//!
//! ```text
//! config.json              {"kind": "systrade-backup", "format": 1}
//! blobs/<aa>/<sha256>      file contents, named by their SHA-256 (stored once, shared by backups)
//! snapshots/<id>.json      one manifest per backup, written last: the backup's commit point
//! locks/<kind>-<...>.json  running `create`s and `prune`s (see below)
//! tmp/                     local repositories only: temporary files of puts in progress
//! ```
//!
//! **Garbage collection vs. a concurrent create.** `create` may reuse a blob that no committed
//! manifest references yet (left by an interrupted run, or referenced only by a backup `prune` is
//! removing); `prune` must not delete such a blob between `create`'s check and its commit. Both take
//! a lock object with the "write mine, then list everyone's" protocol (as restic does): `create`
//! writes `locks/create-….json` and then lists `locks/`; `prune` writes `locks/prune-….json` and
//! then lists `locks/`. Whichever writes second is guaranteed to see the other's lock (local
//! directories and S3 since 2020 have read-after-write consistent listings), so they never both
//! proceed: `create` waits for a running `prune` (up to `--lock-wait`), `prune` gives up with exit
//! code 6 while a `create` runs (cron retries it later). A lock is stale, and ignored, when its
//! holder is a dead process on this host or it has not been refreshed for [`STALE_AFTER`]; `create`
//! refreshes its lock while it runs. `verify`, `list` and `restore` take no lock.

use crate::manifest::{self, Manifest};
use crate::s3::S3Store;
use crate::store::{LocalStore, ObjectStore};
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A lock not refreshed for this long belongs to a dead process.
pub const STALE_AFTER: Duration = Duration::from_secs(30 * 60);
/// How often a running `create` refreshes its lock.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5 * 60);

/// Errors that map to specific exit codes.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Another process holds a conflicting lock.
    #[error("{0}")]
    Locked(String),
    /// `restore` into a non-empty directory without `force`.
    #[error(
        "restore target {0} is not empty; restore into a new or empty directory, or pass --force to overwrite"
    )]
    TargetNotEmpty(std::path::PathBuf),
    /// No backup with that id.
    #[error("no backup {0} in {1}")]
    NoSuchBackup(String, String),
    /// The destination holds no repository.
    #[error("{0} is not a backup repository (no config.json); `backup create` makes one")]
    NotARepository(String),
    /// A manifest or blob is damaged or invalid (a data problem: `backup verify` lists them all).
    #[error("{0}")]
    Damaged(String),
}

#[derive(Debug, Serialize, Deserialize)]
struct RepoConfig {
    kind: String,
    format: u32,
}

/// An open repository.
pub struct Repo {
    store: Box<dyn ObjectStore>,
}

impl Repo {
    /// Opens `dest`: a directory path or `s3://bucket/prefix` (credentials from the environment).
    /// Nothing is read or written yet.
    pub fn open(dest: &str) -> anyhow::Result<Self> {
        let store: Box<dyn ObjectStore> = if dest.starts_with("s3://") {
            Box::new(S3Store::from_url(dest)?)
        } else {
            Box::new(LocalStore::new(Path::new(dest))?)
        };
        Ok(Self { store })
    }

    /// A repository over any store.
    pub fn with_store(store: Box<dyn ObjectStore>) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &dyn ObjectStore {
        self.store.as_ref()
    }

    /// Writes `config.json` when the repository is new; checks it otherwise.
    pub fn init_if_needed(&self) -> anyhow::Result<()> {
        match self.store.get_bytes("config.json")? {
            Some(bytes) => check_config(&bytes, &self.store.describe()),
            None => {
                let config = RepoConfig {
                    kind: "systrade-backup".into(),
                    format: manifest::FORMAT,
                };
                self.store
                    .put_bytes("config.json", &serde_json::to_vec_pretty(&config)?)
            }
        }
    }

    /// Fails unless the destination holds a repository this tool can read.
    pub fn check_initialized(&self) -> anyhow::Result<()> {
        match self.store.get_bytes("config.json")? {
            Some(bytes) => check_config(&bytes, &self.store.describe()),
            None => Err(BackupError::NotARepository(self.store.describe()).into()),
        }
    }

    /// Ids of all committed backups, oldest first.
    pub fn backup_ids(&self) -> anyhow::Result<Vec<String>> {
        let mut ids: Vec<String> = self
            .store
            .list("snapshots/")?
            .iter()
            .filter_map(|o| manifest::id_of_manifest_key(&o.key).map(String::from))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// `latest` or an exact id → an existing id.
    pub fn resolve_id(&self, id: &str) -> anyhow::Result<String> {
        let ids = self.backup_ids()?;
        let found = if id == "latest" {
            ids.last().cloned()
        } else {
            ids.iter().find(|i| *i == id).cloned()
        };
        found.ok_or_else(|| BackupError::NoSuchBackup(id.to_string(), self.store.describe()).into())
    }

    /// Reads the manifest of backup `id` and checks its checksum, format and id, but not its
    /// other fields (`verify` reports those one by one; everything else uses [`load_manifest`]).
    ///
    /// [`load_manifest`]: Repo::load_manifest
    pub fn read_manifest(&self, id: &str) -> anyhow::Result<Manifest> {
        let key = manifest::manifest_key(id);
        let bytes = self
            .store
            .get_bytes(&key)?
            .ok_or_else(|| BackupError::NoSuchBackup(id.to_string(), self.store.describe()))?;
        let m = Manifest::from_stored_bytes(&bytes)
            .map_err(|e| BackupError::Damaged(format!("backup {id}: manifest {key}: {e:#}")))?;
        if m.id != id {
            return Err(BackupError::Damaged(format!(
                "backup {id}: manifest {key}: field id: {} names another backup",
                manifest::quoted(&m.id)
            ))
            .into());
        }
        Ok(m)
    }

    /// Reads and validates the manifest of backup `id`: any problem that makes it unsafe to use
    /// ([`Manifest::problems`]) is an error naming the manifest, the entry and the field.
    pub fn load_manifest(&self, id: &str) -> anyhow::Result<Manifest> {
        let m = self.read_manifest(id)?;
        let blocking: Vec<String> = m
            .problems()
            .iter()
            .filter(|p| !p.allows_restore())
            .map(ToString::to_string)
            .collect();
        if blocking.is_empty() {
            return Ok(m);
        }
        const SHOWN: usize = 5;
        let mut text = blocking[..blocking.len().min(SHOWN)].join("; ");
        if blocking.len() > SHOWN {
            text.push_str(&format!("; and {} more", blocking.len() - SHOWN));
        }
        Err(BackupError::Damaged(format!(
            "backup {id}: manifest {} is invalid: {text}; not using it (run `backup verify`)",
            manifest::manifest_key(id)
        ))
        .into())
    }

    /// Takes a lock of `kind`, following the protocol in the module documentation.
    /// `wait`: how long to keep retrying while a conflicting lock is held.
    pub fn lock(&self, kind: LockKind, wait: Duration) -> anyhow::Result<LockGuard<'_>> {
        let deadline = Instant::now() + wait;
        let name = format!(
            "locks/{}-{}-{}-{}.json",
            kind.as_str(),
            sanitize(&hostname()),
            std::process::id(),
            now_ns()
        );
        let mut announced = false;
        loop {
            let info = LockInfo {
                kind: kind.as_str().into(),
                host: hostname(),
                pid: std::process::id(),
                refreshed_unix: now_secs(),
            };
            self.store.put_bytes(&name, &serde_json::to_vec(&info)?)?;
            match self.conflicting_lock(kind, &name) {
                Ok(None) => {
                    return Ok(LockGuard {
                        repo: self,
                        key: name,
                        last_refresh: Mutex::new(Instant::now()),
                    });
                }
                Ok(Some(other)) => {
                    self.store.delete(&name)?;
                    if !announced && Instant::now() < deadline {
                        tracing::info!(
                            "waiting for a running {} (pid {} on {}) to finish",
                            other.kind,
                            other.pid,
                            other.host
                        );
                        announced = true;
                    }
                    if Instant::now() >= deadline {
                        return Err(BackupError::Locked(format!(
                            "{} is locked by a running {} (pid {} on {}); try again later",
                            self.store.describe(),
                            other.kind,
                            other.pid,
                            other.host
                        ))
                        .into());
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => {
                    let _ = self.store.delete(&name);
                    return Err(e);
                }
            }
        }
    }

    /// The first live lock that conflicts with ours (`own` is our key).
    fn conflicting_lock(&self, kind: LockKind, own: &str) -> anyhow::Result<Option<LockInfo>> {
        for obj in self.store.list("locks/")? {
            if obj.key == own {
                continue;
            }
            let Some(bytes) = self.store.get_bytes(&obj.key)? else {
                continue; // released meanwhile
            };
            let Ok(info) = serde_json::from_slice::<LockInfo>(&bytes) else {
                continue; // a lock we cannot read cannot be honoured; ignore it
            };
            if info.is_stale() {
                tracing::debug!("ignoring stale lock {}", obj.key);
                continue;
            }
            let conflicts = match kind {
                LockKind::Create => info.kind == "prune",
                LockKind::Prune => true,
            };
            if conflicts {
                return Ok(Some(info));
            }
        }
        Ok(None)
    }

    /// Deletes stale locks (called by `prune` while it holds its lock); returns how many.
    pub fn remove_stale_locks(&self) -> anyhow::Result<u64> {
        let mut n = 0;
        for obj in self.store.list("locks/")? {
            if let Some(bytes) = self.store.get_bytes(&obj.key)?
                && serde_json::from_slice::<LockInfo>(&bytes).is_ok_and(|i| i.is_stale())
            {
                self.store.delete(&obj.key)?;
                n += 1;
            }
        }
        Ok(n)
    }
}

fn check_config(bytes: &[u8], describe: &str) -> anyhow::Result<()> {
    let config: RepoConfig = serde_json::from_slice(bytes)
        .with_context(|| format!("{describe}/config.json is not a systrade-backup config"))?;
    if config.kind != "systrade-backup" || config.format != manifest::FORMAT {
        anyhow::bail!(
            "{describe} is a {} repository of format {}; this tool reads systrade-backup format {}",
            config.kind,
            config.format,
            manifest::FORMAT
        );
    }
    Ok(())
}

/// What a lock is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// Held by `create`; conflicts with `prune` only (several creates may run at once).
    Create,
    /// Held by `prune`; conflicts with everything.
    Prune,
}

impl LockKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Prune => "prune",
        }
    }
}

/// The content of a lock object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockInfo {
    pub kind: String,
    pub host: String,
    pub pid: u32,
    /// When the lock was last written, seconds since the Unix epoch.
    pub refreshed_unix: u64,
}

impl LockInfo {
    /// Stale: its process is gone (same host), or it was not refreshed for [`STALE_AFTER`].
    pub fn is_stale(&self) -> bool {
        if self.host == hostname() && !Path::new(&format!("/proc/{}", self.pid)).exists() {
            return true;
        }
        now_secs().saturating_sub(self.refreshed_unix) > STALE_AFTER.as_secs()
    }
}

/// A held lock; released (deleted) on drop.
pub struct LockGuard<'a> {
    repo: &'a Repo,
    key: String,
    last_refresh: Mutex<Instant>,
}

impl LockGuard<'_> {
    /// Rewrites the lock with the current time when [`REFRESH_EVERY`] has passed.
    pub fn refresh_if_due(&self) -> anyhow::Result<()> {
        let Ok(mut last) = self.last_refresh.lock() else {
            return Ok(());
        };
        if last.elapsed() < REFRESH_EVERY {
            return Ok(());
        }
        let Some(bytes) = self.repo.store.get_bytes(&self.key)? else {
            anyhow::bail!("our lock {} disappeared from the repository", self.key);
        };
        let mut info: LockInfo = serde_json::from_slice(&bytes)?;
        info.refreshed_unix = now_secs();
        self.repo
            .store
            .put_bytes(&self.key, &serde_json::to_vec(&info)?)?;
        *last = Instant::now();
        Ok(())
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.repo.store.delete(&self.key) {
            tracing::warn!("could not release lock {}: {e:#}", self.key);
        }
    }
}

/// This machine's host name (for lock ownership and manifests).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_string())
}

pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub(crate) fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_and_create_exclude_each_other_but_creates_share() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::open(dir.path().to_str().unwrap()).unwrap();
        repo.init_if_needed().unwrap();
        let c1 = repo.lock(LockKind::Create, Duration::ZERO).unwrap();
        let c2 = repo.lock(LockKind::Create, Duration::ZERO).unwrap();
        let err = repo.lock(LockKind::Prune, Duration::ZERO).err().unwrap();
        assert!(
            err.to_string().contains("locked by a running create"),
            "{err}"
        );
        drop(c1);
        drop(c2);
        let p = repo.lock(LockKind::Prune, Duration::ZERO).unwrap();
        let err = repo.lock(LockKind::Create, Duration::ZERO).err().unwrap();
        assert!(err.downcast_ref::<BackupError>().is_some());
        drop(p);
        assert!(repo.store().list("locks/").unwrap().is_empty());
        // A lock of a dead process on this host does not block.
        let dead = LockInfo {
            kind: "create".into(),
            host: hostname(),
            pid: u32::MAX - 1,
            refreshed_unix: now_secs(),
        };
        assert!(dead.is_stale());
        repo.store()
            .put_bytes(
                "locks/create-dead.json",
                &serde_json::to_vec(&dead).unwrap(),
            )
            .unwrap();
        let p = repo.lock(LockKind::Prune, Duration::ZERO).unwrap();
        assert_eq!(repo.remove_stale_locks().unwrap(), 1);
        drop(p);
    }

    #[test]
    fn not_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::open(dir.path().to_str().unwrap()).unwrap();
        let err = repo.check_initialized().unwrap_err();
        assert!(err.to_string().contains("not a backup repository"), "{err}");
    }
}
