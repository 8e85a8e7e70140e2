//! Where a repository's objects live: a local (or mounted) directory, or an S3 bucket.
//!
//! Keys are `/`-separated relative names (`config.json`, `blobs/ab/<sha256>`, `snapshots/<id>.json`,
//! `locks/<name>.json`; [`check_key`]). Every put is atomic: a reader sees the old object, no
//! object, or the whole new object, never a part.

use crate::manifest::hex;
use crate::scratch::{self, Scratch, create_private_dir_all, create_private_file};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
}

/// What [`ObjectStore::ingest_blob`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    pub sha256: String,
    pub size: u64,
    /// Whether the blob was new (false: the repository had it).
    pub stored: bool,
}

/// SHA-256 (hex) and length of everything `r` yields.
pub fn hash_stream(r: &mut dyn Read) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hex(&hasher.finalize()), total))
}

/// The source file's content did not hash to the SHA-256 it was announced with: it changed between
/// hashing and uploading. Callers find it by downcasting and re-read the file.
#[derive(Debug, thiserror::Error)]
#[error("{0} changed while it was being backed up")]
pub struct SourceChanged(pub PathBuf);

/// Refuses a key that is not a plain relative name (`..`, `.`, empty components, absolute): keys
/// come from validated manifests, and this keeps any other key from reaching outside the
/// repository or its prefix.
pub fn check_key(key: &str) -> anyhow::Result<()> {
    let plain = !key.is_empty()
        && key
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != ".." && !c.contains('\0'));
    if !plain {
        anyhow::bail!("refusing the repository key {key:?} (not a plain relative name)");
    }
    Ok(())
}

/// A place that holds objects.
pub trait ObjectStore: Send + Sync {
    /// For messages: the directory path or `s3://bucket/prefix`.
    fn describe(&self) -> String;

    /// Stores the content of the local file `src` under `key`. `sha256` is the content's expected
    /// hash; when the content read does not match it, nothing is stored and the error is
    /// [`SourceChanged`].
    fn put_file(&self, key: &str, src: &Path, size: u64, sha256: &str) -> anyhow::Result<()>;

    /// Stores the content read from `reader` (the open file `src`) as a blob named by its SHA-256,
    /// unless `have(sha256)` says the repository already has it. Local stores copy and hash in one
    /// pass; others hash first and then upload `src`, checking it still has that hash (else
    /// [`SourceChanged`]).
    fn ingest_blob(
        &self,
        src: &Path,
        reader: &mut dyn Read,
        have: &dyn Fn(&str) -> bool,
    ) -> anyhow::Result<Ingested> {
        let (sha256, size) = hash_stream(reader)?;
        if have(&sha256) {
            return Ok(Ingested {
                sha256,
                size,
                stored: false,
            });
        }
        self.put_file(&crate::manifest::blob_key(&sha256), src, size, &sha256)?;
        Ok(Ingested {
            sha256,
            size,
            stored: true,
        })
    }

    /// Stores `data` under `key`, durably (on return the object survives a crash).
    fn put_bytes(&self, key: &str, data: &[u8]) -> anyhow::Result<()>;

    /// A reader of the object, or `None` when there is no such object.
    fn get_reader(&self, key: &str) -> anyhow::Result<Option<Box<dyn Read + Send>>>;

    /// The whole object, or `None` when there is no such object.
    fn get_bytes(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self.get_reader(key)? {
            None => Ok(None),
            Some(mut r) => {
                let mut buf = Vec::new();
                r.read_to_end(&mut buf)?;
                Ok(Some(buf))
            }
        }
    }

    /// All objects whose key starts with `prefix` (e.g. `blobs/`), in no particular order.
    fn list(&self, prefix: &str) -> anyhow::Result<Vec<ObjectInfo>>;

    /// Deletes the object; deleting a missing object is not an error.
    fn delete(&self, key: &str) -> anyhow::Result<()>;

    /// Makes every blob put so far visible and durable (a no-op where puts are durable and visible
    /// on return). Called before a manifest that names the blobs is committed.
    fn flush(&self) -> anyhow::Result<()> {
        Ok(())
    }

    /// Removes leftovers of interrupted puts (local temporary files); returns how many.
    fn remove_leftovers(&self) -> anyhow::Result<u64> {
        Ok(0)
    }

    /// The local directory, for a local store (so `create` can skip it inside the data directory).
    fn local_root(&self) -> Option<&Path> {
        None
    }
}

/// A repository in a local or mounted directory.
///
/// Files are created 0600 and directories 0700 (see [`crate::scratch`]). Blobs are written to
/// temporary files in this process's scratch directory under `tmp/` without waiting for the disk; [`flush`]
/// (before the manifest is committed) makes them durable with one `syncfs` of the repository's
/// file system, renames them to their keys, and makes the renames durable with a second `syncfs`
/// (per-file `fsync` when `syncfs` is not supported). A blob is therefore never visible under its
/// name before its content is on disk, and one sync for a whole run costs far less than one per
/// file. `put_bytes` (manifests, locks, `config.json`) writes, `fsync`s, renames and `fsync`s the
/// directory at once.
///
/// [`flush`]: ObjectStore::flush
pub struct LocalStore {
    root: PathBuf,
    /// This process's directory under `tmp/`, made by the first put (removed on drop).
    scratch: Mutex<Option<Scratch>>,
    /// Blobs written to `tmp/` and not yet renamed: (temporary path, key).
    pending: Mutex<Vec<(PathBuf, String)>>,
}

impl LocalStore {
    /// A store rooted at `root` (created by the first put).
    pub fn new(root: &Path) -> anyhow::Result<Self> {
        let root = match root.canonicalize() {
            Ok(r) => r,
            Err(_) => std::path::absolute(root)?,
        };
        Ok(Self {
            root,
            scratch: Mutex::new(None),
            pending: Mutex::new(Vec::new()),
        })
    }

    fn path_of(&self, key: &str) -> anyhow::Result<PathBuf> {
        check_key(key)?;
        Ok(self.root.join(key))
    }

    fn temp_path(&self) -> anyhow::Result<PathBuf> {
        let mut guard = match self.scratch.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if guard.is_none() {
            *guard = Some(Scratch::create(&self.root.join("tmp"), "")?);
        }
        match guard.as_ref() {
            Some(s) => Ok(s.new_path("put")),
            None => anyhow::bail!("no scratch directory"),
        }
    }

    /// Copies `reader` into a new temporary file while hashing it: (path, sha256, size).
    fn copy_to_temp(&self, reader: &mut dyn Read) -> anyhow::Result<(PathBuf, String, u64)> {
        let tmp = self.temp_path()?;
        let result = (|| -> std::io::Result<(String, u64)> {
            let mut out = create_private_file(&tmp)?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            let mut total = 0u64;
            loop {
                let n = reader.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n])?;
                total += n as u64;
            }
            Ok((hex(&hasher.finalize()), total))
        })();
        match result {
            Ok((sha, size)) => Ok((tmp, sha, size)),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e.into())
            }
        }
    }

    fn add_pending(&self, tmp: PathBuf, key: String) {
        match self.pending.lock() {
            Ok(mut p) => p.push((tmp, key)),
            Err(poisoned) => poisoned.into_inner().push((tmp, key)),
        }
    }

    /// Durability of everything written so far under the root: one `syncfs`, or `fsync` of each
    /// path in `fallback` when the file system does not support it.
    fn sync_all_or(&self, fallback: &[PathBuf]) -> anyhow::Result<()> {
        let dir = File::open(&self.root)?;
        if rustix::fs::syncfs(&dir).is_ok() {
            return Ok(());
        }
        for p in fallback {
            File::open(p)?.sync_all()?;
        }
        Ok(())
    }

    /// Renames `tmp` to `key`'s path, creating its directory.
    fn commit(&self, tmp: &Path, key: &str) -> anyhow::Result<PathBuf> {
        let dest = self.path_of(key)?;
        let dir = dest.parent().unwrap_or(&self.root).to_path_buf();
        create_private_dir_all(&dir)?;
        std::fs::rename(tmp, &dest)
            .map_err(|e| anyhow::anyhow!("cannot rename into {}: {e}", dest.display()))?;
        Ok(dir)
    }
}

/// `fsync` of a directory, so renames into it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

impl ObjectStore for LocalStore {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn put_file(&self, key: &str, src: &Path, _size: u64, sha256: &str) -> anyhow::Result<()> {
        let mut input = match File::open(src) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(SourceChanged(src.to_path_buf()).into());
            }
            Err(e) => return Err(anyhow::anyhow!("cannot open {}: {e}", src.display())),
        };
        let (tmp, actual, _) = self.copy_to_temp(&mut input)?;
        if actual != sha256 {
            let _ = std::fs::remove_file(&tmp);
            return Err(SourceChanged(src.to_path_buf()).into());
        }
        self.add_pending(tmp, key.to_string());
        Ok(())
    }

    fn ingest_blob(
        &self,
        _src: &Path,
        reader: &mut dyn Read,
        have: &dyn Fn(&str) -> bool,
    ) -> anyhow::Result<Ingested> {
        let (tmp, sha256, size) = self.copy_to_temp(reader)?;
        if have(&sha256) {
            let _ = std::fs::remove_file(&tmp);
            return Ok(Ingested {
                sha256,
                size,
                stored: false,
            });
        }
        self.add_pending(tmp, crate::manifest::blob_key(&sha256));
        Ok(Ingested {
            sha256,
            size,
            stored: true,
        })
    }

    fn put_bytes(&self, key: &str, data: &[u8]) -> anyhow::Result<()> {
        let tmp = self.temp_path()?;
        let write = (|| -> std::io::Result<()> {
            let mut out = create_private_file(&tmp)?;
            out.write_all(data)?;
            out.sync_all()
        })();
        if let Err(e) = write {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
        let dir = self.commit(&tmp, key)?;
        sync_dir(&dir)?;
        Ok(())
    }

    fn get_reader(&self, key: &str) -> anyhow::Result<Option<Box<dyn Read + Send>>> {
        match File::open(self.path_of(key)?) {
            Ok(f) => Ok(Some(Box::new(std::io::BufReader::with_capacity(
                1 << 20,
                f,
            )))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::anyhow!("cannot read {key}: {e}")),
        }
    }

    fn list(&self, prefix: &str) -> anyhow::Result<Vec<ObjectInfo>> {
        // Walk the directory named by the prefix up to its last '/', then filter by the rest.
        let (dir_part, _) = prefix.rsplit_once('/').unwrap_or(("", prefix));
        let mut out = Vec::new();
        let mut stack = vec![self.root.join(dir_part)];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(anyhow::anyhow!("cannot list {}: {e}", dir.display())),
            };
            for entry in entries {
                let entry = entry?;
                let ft = entry.file_type()?;
                let path = entry.path();
                if ft.is_dir() {
                    stack.push(path);
                } else if ft.is_file() {
                    let Ok(rel) = path.strip_prefix(&self.root) else {
                        continue;
                    };
                    let key = rel.to_string_lossy().replace('\\', "/");
                    if key.starts_with(prefix) {
                        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                        out.push(ObjectInfo { key, size });
                    }
                }
            }
        }
        Ok(out)
    }

    fn delete(&self, key: &str) -> anyhow::Result<()> {
        match std::fs::remove_file(self.path_of(key)?) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(anyhow::anyhow!("cannot delete {key}: {e}")),
        }
    }

    fn flush(&self) -> anyhow::Result<()> {
        let pending = match self.pending.lock() {
            Ok(mut p) => std::mem::take(&mut *p),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        if pending.is_empty() {
            return Ok(());
        }
        let temps: Vec<PathBuf> = pending.iter().map(|(t, _)| t.clone()).collect();
        self.sync_all_or(&temps)?;
        let mut dirs = BTreeSet::new();
        for (tmp, key) in &pending {
            dirs.insert(self.commit(tmp, key)?);
        }
        let dirs: Vec<PathBuf> = dirs.into_iter().collect();
        self.sync_all_or(&dirs)
    }

    /// Removes the scratch directories of dead processes under `tmp/` and the loose temporary
    /// files (`<pid>-<n>.tmp`) earlier versions left there when their process is dead.
    fn remove_leftovers(&self) -> anyhow::Result<u64> {
        let tmp = self.root.join("tmp");
        let mut n = scratch::remove_dead(&tmp, "")?;
        if let Ok(entries) = std::fs::read_dir(&tmp) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let pid = name
                    .to_str()
                    .and_then(|n| n.strip_suffix(".tmp"))
                    .and_then(|n| n.split_once('-'))
                    .and_then(|(pid, _)| pid.parse::<u32>().ok());
                let dead = pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists());
                if dead
                    && entry.file_type().is_ok_and(|t| t.is_file())
                    && std::fs::remove_file(entry.path()).is_ok()
                {
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    fn local_root(&self) -> Option<&Path> {
        Some(&self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::sha256_hex;

    #[test]
    fn local_store_put_get_list_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(&dir.path().join("repo")).unwrap();
        let src = dir.path().join("src");
        std::fs::write(&src, b"hello").unwrap();
        let sha = sha256_hex(b"hello");
        store.put_file("blobs/x/a", &src, 5, &sha).unwrap();
        store.put_bytes("snapshots/s.json", b"{}").unwrap();
        store.flush().unwrap();
        assert_eq!(store.get_bytes("blobs/x/a").unwrap().unwrap(), b"hello");
        assert!(store.get_bytes("blobs/x/b").unwrap().is_none());
        let keys: Vec<String> = store
            .list("blobs/")
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(keys, vec!["blobs/x/a".to_string()]);
        // A wrong announced hash stores nothing.
        let err = store
            .put_file("blobs/x/c", &src, 5, &sha256_hex(b"other"))
            .unwrap_err();
        assert!(err.downcast_ref::<SourceChanged>().is_some());
        assert!(store.get_bytes("blobs/x/c").unwrap().is_none());
        assert_eq!(store.remove_leftovers().unwrap(), 0);
        store.delete("blobs/x/a").unwrap();
        store.delete("blobs/x/a").unwrap();
        assert!(store.list("blobs/").unwrap().is_empty());
    }
}
