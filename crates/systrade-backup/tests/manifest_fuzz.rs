//! Property-based fuzzing of the manifest parser, its validation and `restore` (issue 15): no
//! input panics, and whatever a manifest says, a restore writes only inside its target.
//! Bounded and seeded (fixed case counts and RNG seed, no persisted failures) so it runs the same
//! way, in a few seconds, in every CI run.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use std::path::{Component, Path};
use systrade_backup::manifest::{self, FORMAT, blob_key, is_sha256_hex, sha256_hex};
use systrade_backup::{Entry, EntryKind, Manifest, NoProgress, Repo};

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(15),
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    }
}

/// Path components an attacker (or a bug) would try.
fn component() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z]{1,3}",
        1 => Just("prices".to_string()),
        1 => Just(".".to_string()),
        2 => Just("..".to_string()),
        1 => Just(String::new()),
        1 => Just(".locks".to_string()),
        1 => Just(".backup-tmp".to_string()),
        1 => Just("x.sqlite".to_string()),
        1 => Just("x.sqlite-wal".to_string()),
        1 => Just(".x.tmp-1-2".to_string()),
        1 => Just("é".to_string()),
        1 => Just("a\0b".to_string()),
        1 => Just("a\nb".to_string()),
        1 => Just("a\\b".to_string()),
        1 => Just("x".repeat(256)),
    ]
}

/// (absolute?, components) of a path.
fn path_parts() -> impl Strategy<Value = (bool, Vec<String>)> {
    (
        prop::bool::weighted(0.1),
        prop::collection::vec(component(), 1..4),
    )
}

fn hash_like(content: &[u8]) -> BoxedStrategy<String> {
    let real = sha256_hex(content);
    prop_oneof![
        6 => Just(real.clone()),
        1 => Just("a".to_string()),
        1 => Just("../secret".to_string()),
        1 => Just(real.to_uppercase()),
        1 => Just(format!("aé{}", &real[3..])),
        1 => "[0-9a-fA-F./é]{0,70}",
    ]
    .boxed()
}

fn any_entry() -> impl Strategy<Value = Entry> {
    (
        prop_oneof![3 => any::<String>(), 2 => path_parts().prop_map(|(_, c)| c.join("/"))],
        any::<u64>(),
        prop_oneof!["[0-9a-f]{64}", any::<String>(), "[0-9a-fA-F./]{0,70}"],
        prop::bool::ANY,
        any::<u32>(),
        any::<i64>(),
        any::<i64>(),
        any::<u64>(),
    )
        .prop_map(
            |(path, size, sha256, sqlite, mode, mtime_ns, ctime_ns, ino)| Entry {
                path,
                size,
                sha256,
                kind: if sqlite {
                    EntryKind::Sqlite
                } else {
                    EntryKind::File
                },
                mode,
                mtime_ns,
                ctime_ns,
                ino,
            },
        )
}

fn any_manifest() -> impl Strategy<Value = Manifest> {
    (
        prop_oneof![Just("20261125T230712.123Z".to_string()), any::<String>()],
        any::<i64>(),
        any::<String>(),
        prop::collection::vec(any_entry(), 0..6),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(
            |(id, started_ns, text, files, new_blobs, new_bytes)| Manifest {
                format: FORMAT,
                id,
                started_ns,
                committed: text.clone(),
                source: text.clone(),
                host: text,
                files,
                new_blobs,
                new_bytes,
            },
        )
}

/// Everything a reader of a manifest does with it, none of which may panic.
fn use_manifest(m: &Manifest) {
    let problems = m.problems();
    for p in &problems {
        let _ = p.to_string();
    }
    let _ = m.total_bytes();
    for e in &m.files {
        let key = blob_key(&e.sha256);
        assert!(key.starts_with("blobs/") && !key.contains(".."), "{key}");
    }
    if problems.iter().all(|p| p.allows_restore()) {
        // A manifest restore would use: every path stays inside the target, every hash is one.
        for e in &m.files {
            assert!(is_sha256_hex(&e.sha256), "{:?}", e.sha256);
            let p = Path::new(&e.path);
            assert!(
                p.components().all(|c| matches!(c, Component::Normal(_))),
                "{:?}",
                e.path
            );
        }
        assert!(m.files.windows(2).all(|w| w[0].path < w[1].path));
    }
}

#[test]
fn any_bytes_parse_without_panic() {
    let valid = Manifest {
        format: FORMAT,
        id: "20261125T230712.123Z".into(),
        started_ns: 1,
        committed: "2026-11-25T23:07:13Z".into(),
        source: "/data".into(),
        host: "h".into(),
        files: [
            "config/instruments.csv",
            "prices/adjusted/SP500.parquet",
            "state.sqlite",
        ]
        .iter()
        .map(|p| Entry {
            path: (*p).into(),
            size: 3,
            sha256: sha256_hex(p.as_bytes()),
            kind: if p.ends_with(".sqlite") {
                EntryKind::Sqlite
            } else {
                EntryKind::File
            },
            mode: 0o644,
            mtime_ns: 5,
            ctime_ns: 6,
            ino: 7,
        })
        .collect(),
        new_blobs: 1,
        new_bytes: 3,
    }
    .to_stored_bytes()
    .unwrap();
    proptest!(config(512), |(bytes in prop::collection::vec(any::<u8>(), 0..600))| {
        if let Ok(m) = Manifest::from_stored_bytes(&bytes) {
            use_manifest(&m);
        }
    });
    // Mutations of a valid stored manifest: flipped, inserted and deleted bytes.
    proptest!(config(512), |(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6))| {
        let mut bytes = valid.clone();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len().max(1));
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i.min(bytes.len()), byte),
                _ if i < bytes.len() => {
                    bytes.remove(i);
                }
                _ => {}
            }
        }
        if let Ok(m) = Manifest::from_stored_bytes(&bytes) {
            use_manifest(&m);
        }
    });
}

#[test]
fn any_manifest_round_trips_and_validates_without_panic() {
    proptest!(config(256), |(m in any_manifest())| {
        let bytes = m.to_stored_bytes().unwrap();
        let back = Manifest::from_stored_bytes(&bytes).unwrap();
        prop_assert_eq!(&back, &m);
        use_manifest(&back);
    });
}

/// A manifest of hostile paths and hashes over real blobs, restored for real: either refused as
/// invalid (nothing written at all) or restored, with every file inside the target.
#[test]
fn restore_of_any_manifest_stays_inside_its_target() {
    let files = prop::collection::vec(
        (
            path_parts(),
            prop::collection::vec(any::<u8>(), 0..64),
            any::<u32>(),
        )
            .prop_flat_map(|(path, content, mode)| {
                let hash = hash_like(&content);
                (Just(path), Just(content), hash, Just(mode))
            }),
        1..5,
    );
    proptest!(config(32), |(files in files)| {
        let sandbox = tempfile::tempdir().unwrap();
        let repo_dir = sandbox.path().join("repo");
        let target = sandbox.path().join("target");
        let repo = Repo::open(repo_dir.to_str().unwrap()).unwrap();
        repo.init_if_needed().unwrap();
        // A file next to the repository that a traversing hash would read.
        std::fs::write(sandbox.path().join("secret"), b"secret").unwrap();
        let mut entries = Vec::new();
        for ((absolute, components), content, sha256, mode) in &files {
            let rel = components.join("/");
            // An absolute path points into the sandbox, never at the real root.
            let path = if *absolute {
                format!("{}/escape/{rel}", sandbox.path().display())
            } else {
                rel
            };
            if is_sha256_hex(sha256) {
                repo.store()
                    .put_bytes(&blob_key(sha256), content)
                    .unwrap();
            }
            entries.push(Entry {
                kind: if path.ends_with(".sqlite") { EntryKind::Sqlite } else { EntryKind::File },
                path,
                size: content.len() as u64,
                sha256: sha256.clone(),
                mode: *mode,
                mtime_ns: 0,
                ctime_ns: 0,
                ino: 0,
            });
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        let id = "20261125T230712.123Z";
        let m = Manifest {
            format: FORMAT,
            id: id.into(),
            started_ns: 0,
            committed: String::new(),
            source: String::new(),
            host: String::new(),
            files: entries,
            new_blobs: 0,
            new_bytes: 0,
        };
        repo.store()
            .put_bytes(&manifest::manifest_key(id), &m.to_stored_bytes().unwrap())
            .unwrap();
        let blocking = m.problems().iter().any(|p| !p.allows_restore());
        let result = systrade_backup::restore(&repo, id, &target, false, &NoProgress);
        let top: Vec<String> = std::fs::read_dir(sandbox.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "repo" && n != "secret" && n != "target")
            .collect();
        prop_assert!(top.is_empty(), "wrote outside the target: {top:?}");
        if blocking {
            let err = result.expect_err("an invalid manifest was restored");
            prop_assert!(format!("{err:#}").contains("is invalid"), "{err:#}");
            prop_assert!(!target.exists());
        } else {
            // Valid paths and hashes: restored (blobs exist and match, sizes are right).
            use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
            let report = result.map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
            prop_assert_eq!(report.files, m.files.len() as u64);
            for e in &m.files {
                let restored = target.join(&e.path);
                let meta = std::fs::symlink_metadata(&restored).unwrap();
                prop_assert!(meta.is_file());
                prop_assert_eq!(meta.mode() & 0o7777, e.mode & 0o777);
                std::fs::set_permissions(&restored, std::fs::Permissions::from_mode(0o600)).unwrap();
                prop_assert_eq!(sha256_hex(&std::fs::read(&restored).unwrap()), e.sha256.clone());
            }
        }
    });
}
