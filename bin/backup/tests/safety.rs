//! `backup` against hostile input (issue 15): crafted manifests, links in the restore target,
//! permissive umasks, and runs killed with SIGKILL. Real processes on real files.

mod common;

use common::*;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use systrade_backup::{EntryKind, Manifest};

/// A repository with one backup of a small data directory.
struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
    repo_dir: PathBuf,
    /// TMPDIR of every run: the system temporary directory of the processes under test.
    tmpdir: PathBuf,
    id: String,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let data = make_data_dir(&root, 2, 3_000);
        let repo_dir = root.join("repo");
        let tmpdir = root.join("tmpdir");
        std::fs::create_dir_all(&tmpdir).unwrap();
        let mut f = Self {
            _tmp: tmp,
            root,
            data,
            repo_dir,
            tmpdir,
            id: String::new(),
        };
        let (code, _, err) = run(f.cmd(&["create"]));
        assert_eq!(code, 0, "{err}");
        f.id = list(&f.data, f.repo()).last().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        f
    }

    fn repo(&self) -> &str {
        self.repo_dir.to_str().unwrap()
    }

    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = backup(&self.data, self.repo());
        cmd.env("TMPDIR", &self.tmpdir).args(args);
        cmd
    }

    fn manifest_path(&self) -> PathBuf {
        self.repo_dir.join(format!("snapshots/{}.json", self.id))
    }

    fn manifest(&self) -> Manifest {
        Manifest::from_stored_bytes(&std::fs::read(self.manifest_path()).unwrap()).unwrap()
    }
}

/// How a case crafts the manifest.
enum Craft {
    /// Edit the parsed manifest; it is stored with a matching checksum (as an attacker would).
    Edit(fn(&mut Manifest)),
    /// Replace the stored bytes.
    Raw(fn(&[u8]) -> Vec<u8>),
}

/// What `restore` does with the crafted manifest.
enum Restore {
    /// Refuses with exit 4 and a message containing these fragments; writes nothing.
    Refused(&'static [&'static str]),
    /// The manifest is valid but a blob does not match it: exit 4, a message with these
    /// fragments, and that file (entry 1) is never written.
    BadBlob(&'static [&'static str]),
    /// Restores; the check looks at the restored directory.
    Restored(fn(&Path)),
}

struct Case {
    name: &'static str,
    craft: Craft,
    /// Fragments of `verify`'s output (`{key}`: the manifest's key); exit 0 when empty, else 4.
    verify: &'static [&'static str],
    restore: Restore,
}

const SECRET: &[u8] = b"a file outside the repository\n";

fn mode_of(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

fn set_sha(m: &mut Manifest, sha: &str) {
    m.files[1].sha256 = sha.to_string();
}

fn set_path(m: &mut Manifest, path: &str) {
    m.files[1].path = path.to_string();
}

/// Entry 1 is `prices/adjusted/I000.parquet`, entry 7 `state.sqlite` (see `make_data_dir`).
fn cases() -> Vec<Case> {
    const SHA: &[&str] = &["{key}", "files[1]", "field sha256"];
    const PATH: &[&str] = &["{key}", "files[1]", "field path"];
    const PATH2: &[&str] = &["{key}", "files[2]", "field path"];
    vec![
        // The hash names the blob to read: it must be a hash and nothing else.
        Case {
            name: "sha256 of one character (panicked slicing it)",
            craft: Craft::Edit(|m| set_sha(m, "a")),
            verify: SHA,
            restore: Restore::Refused(SHA),
        },
        Case {
            name: "sha256 that climbs out of the repository to a file next to it",
            craft: Craft::Edit(|m| set_sha(m, "../secret")),
            verify: SHA,
            restore: Restore::Refused(SHA),
        },
        Case {
            name: "sha256 naming /etc/hostname",
            craft: Craft::Edit(|m| set_sha(m, "../../../../../etc/hostname")),
            verify: SHA,
            restore: Restore::Refused(SHA),
        },
        Case {
            name: "sha256 in upper case",
            craft: Craft::Edit(|m| m.files[1].sha256 = m.files[1].sha256.to_uppercase()),
            verify: SHA,
            restore: Restore::Refused(SHA),
        },
        Case {
            name: "sha256 of 63 digits",
            craft: Craft::Edit(|m| {
                m.files[1].sha256.pop();
            }),
            verify: SHA,
            restore: Restore::Refused(SHA),
        },
        Case {
            name: "sha256 of 65 digits",
            craft: Craft::Edit(|m| m.files[1].sha256.push('0')),
            verify: SHA,
            restore: Restore::Refused(SHA),
        },
        Case {
            name: "sha256 with a multi-byte character at the cut",
            craft: Craft::Edit(|m| set_sha(m, &format!("aé{}", "0".repeat(61)))),
            verify: SHA,
            restore: Restore::Refused(SHA),
        },
        Case {
            name: "empty sha256",
            craft: Craft::Edit(|m| set_sha(m, "")),
            verify: SHA,
            restore: Restore::Refused(SHA),
        },
        // Paths must stay inside the target and be files a backup can contain.
        Case {
            name: "absolute path",
            craft: Craft::Edit(|m| set_path(m, "/etc/cron.d/evil")),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "path climbing out with ..",
            craft: Craft::Edit(|m| set_path(m, "../outside.parquet")),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "path climbing out through a directory",
            craft: Craft::Edit(|m| set_path(m, "prices/../../outside.parquet")),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "path with an empty component",
            craft: Craft::Edit(|m| set_path(m, "prices//adjusted/I000.parquet")),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "empty path",
            craft: Craft::Edit(|m| set_path(m, "")),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "path with a . component",
            craft: Craft::Edit(|m| set_path(m, "prices/./adjusted/I000.parquet")),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "path ending in /",
            craft: Craft::Edit(|m| set_path(m, "prices/adjusted/")),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "path with a NUL byte",
            craft: Craft::Edit(|m| set_path(m, "prices/adjusted/I\0.parquet")),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "path with a newline",
            craft: Craft::Edit(|m| set_path(m, "prices/adjusted/I000\n.parquet")),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "path of a component longer than 255 bytes",
            craft: Craft::Edit(|m| set_path(m, &format!("prices/{}", "x".repeat(256)))),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "path of a lock file",
            craft: Craft::Edit(|m| set_path(m, ".locks/prices.lock")),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "path of a SQLite journal",
            craft: Craft::Edit(|m| set_path(m, "prices/state.sqlite-wal")),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "path of a temporary file",
            craft: Craft::Edit(|m| set_path(m, "prices/adjusted/.I000.parquet.tmp-1-2")),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "path in the backup's scratch directory",
            craft: Craft::Edit(|m| set_path(m, ".backup-tmp/x")),
            verify: PATH,
            restore: Restore::Refused(PATH),
        },
        Case {
            name: "duplicate path",
            craft: Craft::Edit(|m| m.files[2].path = m.files[1].path.clone()),
            verify: PATH2,
            restore: Restore::Refused(PATH2),
        },
        Case {
            name: "paths out of order",
            craft: Craft::Edit(|m| m.files.swap(1, 2)),
            verify: PATH2,
            restore: Restore::Refused(PATH2),
        },
        Case {
            name: "a file that is also a directory of another",
            craft: Craft::Edit(|m| set_path(m, "prices")),
            verify: PATH2,
            restore: Restore::Refused(PATH2),
        },
        // Kinds, sizes and the top-level fields.
        Case {
            name: "kind sqlite for a Parquet file",
            craft: Craft::Edit(|m| m.files[1].kind = EntryKind::Sqlite),
            verify: &["{key}", "files[1]", "field kind"],
            restore: Restore::Refused(&["{key}", "files[1]", "field kind"]),
        },
        Case {
            name: "kind file for state.sqlite",
            craft: Craft::Edit(|m| m.files[7].kind = EntryKind::File),
            verify: &["{key}", "files[7]", "field kind"],
            restore: Restore::Refused(&["{key}", "files[7]", "field kind"]),
        },
        Case {
            name: "sizes that overflow the total",
            craft: Craft::Edit(|m| {
                m.files[0].size = u64::MAX;
                m.files[1].size = u64::MAX;
            }),
            verify: &["{key}", "files[1]", "field size"],
            restore: Restore::Refused(&["{key}", "files[1]", "field size"]),
        },
        Case {
            name: "size that differs from the blob",
            craft: Craft::Edit(|m| m.files[1].size += 1),
            verify: &["prices/adjusted/I000.parquet", "field size"],
            restore: Restore::BadBlob(&["prices/adjusted/I000.parquet", "corrupt"]),
        },
        Case {
            name: "negative scan start",
            craft: Craft::Edit(|m| m.started_ns = i64::MIN),
            verify: &["{key}", "field started_ns"],
            restore: Restore::Refused(&["{key}", "field started_ns"]),
        },
        Case {
            name: "manifest naming another backup",
            craft: Craft::Edit(|m| m.id = "20200101T000000.000Z".into()),
            verify: &["{key}", "field id"],
            restore: Restore::Refused(&["{key}", "field id"]),
        },
        Case {
            name: "manifest id that is no id",
            craft: Craft::Edit(|m| m.id = "../../x".into()),
            verify: &["{key}", "field id"],
            restore: Restore::Refused(&["{key}", "field id"]),
        },
        Case {
            name: "unsupported format",
            craft: Craft::Edit(|m| m.format = 2),
            verify: &["{key}", "format 2"],
            restore: Restore::Refused(&["{key}", "format 2"]),
        },
        // Modes: only permission bits are restored; verify reports the rest.
        Case {
            name: "setuid and setgid root file (mode 06777)",
            craft: Craft::Edit(|m| m.files[1].mode = 0o6777),
            verify: &["{key}", "files[1]", "field mode", "0o6777"],
            restore: Restore::Restored(|dir| {
                assert_eq!(mode_of(&dir.join("prices/adjusted/I000.parquet")), 0o777);
            }),
        },
        Case {
            name: "mode with file-type bits",
            craft: Craft::Edit(|m| m.files[1].mode = 0o100_640),
            verify: &["{key}", "files[1]", "field mode"],
            restore: Restore::Restored(|dir| {
                assert_eq!(mode_of(&dir.join("prices/adjusted/I000.parquet")), 0o640);
            }),
        },
        Case {
            name: "mode u32::MAX",
            craft: Craft::Edit(|m| m.files[1].mode = u32::MAX),
            verify: &["{key}", "files[1]", "field mode"],
            restore: Restore::Restored(|dir| {
                assert_eq!(mode_of(&dir.join("prices/adjusted/I000.parquet")), 0o777);
            }),
        },
        // Extreme but harmless values: accepted, no panic.
        Case {
            name: "modification times at the ends of i64",
            craft: Craft::Edit(|m| {
                m.files[1].mtime_ns = i64::MAX;
                m.files[2].mtime_ns = i64::MIN;
                m.files[3].ctime_ns = i64::MIN;
                m.files[3].ino = u64::MAX;
            }),
            verify: &[],
            restore: Restore::Restored(|dir| {
                assert!(dir.join("prices/adjusted/I001.parquet").is_file());
            }),
        },
        // Bytes that are not a manifest.
        Case {
            name: "not JSON",
            craft: Craft::Raw(|_| b"this is not a manifest".to_vec()),
            verify: &["{key}", "not valid JSON"],
            restore: Restore::Refused(&["{key}", "not valid JSON"]),
        },
        Case {
            name: "empty file",
            craft: Craft::Raw(|_| Vec::new()),
            verify: &["{key}", "not valid JSON"],
            restore: Restore::Refused(&["{key}", "not valid JSON"]),
        },
        Case {
            name: "truncated",
            craft: Craft::Raw(|b| b[..b.len() / 2].to_vec()),
            verify: &["{key}", "not valid JSON"],
            restore: Restore::Refused(&["{key}", "not valid JSON"]),
        },
        Case {
            name: "JSON null",
            craft: Craft::Raw(|_| b"null".to_vec()),
            verify: &["{key}", "not valid JSON"],
            restore: Restore::Refused(&["{key}", "not valid JSON"]),
        },
        Case {
            name: "nested 100000 deep",
            craft: Craft::Raw(|_| {
                let mut v = vec![b'['; 100_000];
                v.extend(vec![b']'; 100_000]);
                v
            }),
            verify: &["{key}", "not valid JSON"],
            restore: Restore::Refused(&["{key}", "not valid JSON"]),
        },
        Case {
            name: "checksum mismatch (a size edited by hand)",
            craft: Craft::Raw(|b| {
                String::from_utf8_lossy(b)
                    .replacen("\"size\":", "\"size\":9", 1)
                    .into_bytes()
            }),
            verify: &["{key}", "checksum mismatch"],
            restore: Restore::Refused(&["{key}", "checksum mismatch"]),
        },
        Case {
            name: "negative size",
            craft: Craft::Raw(|b| {
                String::from_utf8_lossy(b)
                    .replacen("\"size\":", "\"size\":-", 1)
                    .into_bytes()
            }),
            verify: &["{key}", "not valid JSON"],
            restore: Restore::Refused(&["{key}", "not valid JSON"]),
        },
        Case {
            name: "size of 1e400",
            craft: Craft::Raw(|b| {
                let text = String::from_utf8_lossy(b).into_owned();
                let at = text.find("\"size\":").unwrap() + 7;
                let end = at + text[at..].find(',').unwrap();
                format!("{}1e400{}", &text[..at], &text[end..]).into_bytes()
            }),
            verify: &["{key}", "not valid JSON"],
            restore: Restore::Refused(&["{key}", "not valid JSON"]),
        },
        Case {
            name: "files missing",
            craft: Craft::Raw(|b| {
                String::from_utf8_lossy(b)
                    .replacen("\"files\":", "\"filez\":", 1)
                    .into_bytes()
            }),
            verify: &["{key}", "not valid JSON"],
            restore: Restore::Refused(&["{key}", "not valid JSON"]),
        },
        Case {
            name: "invalid UTF-8 in a path",
            craft: Craft::Raw(|b| {
                let text = String::from_utf8_lossy(b).into_owned();
                let mut v = text.into_bytes();
                let at = v.windows(6).position(|w| w == b"prices").unwrap();
                v[at] = 0xFF;
                v
            }),
            verify: &["{key}", "not valid JSON"],
            restore: Restore::Refused(&["{key}", "not valid JSON"]),
        },
    ]
}

/// The bad-input table for manifests: each crafted manifest is checked by `verify`, `restore`
/// and `prune` as real processes. Each: the exit code, a message naming the manifest, entry and
/// field, no panic, the data directory and the repository byte-identical (modes included), and
/// nothing written by a refused restore.
#[test]
fn crafted_manifests_are_caught_by_verify_and_refused_by_restore() {
    let f = Fixture::new();
    std::fs::write(f.root.join("secret"), SECRET).unwrap();
    let secret_sha = sha256_hex(SECRET);
    let hostname_sha = std::fs::read("/etc/hostname").ok().map(|b| sha256_hex(&b));
    let original = std::fs::read(f.manifest_path()).unwrap();
    let key = format!("snapshots/{}.json", f.id);
    let cases = cases();
    assert!(cases.len() >= 40, "{}", cases.len());
    for (n, case) in cases.iter().enumerate() {
        let name = case.name;
        let bytes = match &case.craft {
            Craft::Edit(edit) => {
                let mut m = f.manifest();
                edit(&mut m);
                m.to_stored_bytes().unwrap()
            }
            Craft::Raw(raw) => raw(&original),
        };
        std::fs::write(f.manifest_path(), &bytes).unwrap();
        let repo_before = tree(&f.repo_dir);
        let data_before = tree(&f.data);
        let expect = |needles: &[&str], out: &str, err: &str| {
            let all = format!("{out}{err}");
            for needle in needles {
                let needle = needle.replace("{key}", &key);
                assert!(all.contains(&needle), "{name}: no {needle:?} in: {all}");
            }
            assert!(!all.contains(&secret_sha), "{name}: leaked a hash: {all}");
            if let Some(h) = &hostname_sha {
                assert!(!all.contains(h.as_str()), "{name}: leaked a hash: {all}");
            }
        };

        let (code, out, err) = run(f.cmd(&["verify"]));
        assert_no_panic(code, &out, &err);
        let want = if case.verify.is_empty() { 0 } else { 4 };
        assert_eq!(code, want, "{name}: verify: {out}{err}");
        expect(case.verify, &out, &err);

        let target = f.root.join(format!("restored-{n}"));
        let mut cmd = f.cmd(&["restore", "latest", "--to"]);
        cmd.arg(&target);
        let (code, out, err) = run(cmd);
        assert_no_panic(code, &out, &err);
        match &case.restore {
            Restore::Refused(needles) => {
                assert_eq!(code, 4, "{name}: restore: {out}{err}");
                expect(needles, &out, &err);
                assert!(
                    !target.exists(),
                    "{name}: a refused restore wrote {target:?}"
                );
            }
            Restore::BadBlob(needles) => {
                assert_eq!(code, 4, "{name}: restore: {out}{err}");
                expect(needles, &out, &err);
                let file = target.join("prices/adjusted/I000.parquet");
                assert!(!file.exists(), "{name}: restored {file:?}");
            }
            Restore::Restored(check) => {
                assert_eq!(code, 0, "{name}: restore: {out}{err}");
                check(&target);
            }
        }

        // Prune needs every kept manifest: an invalid one stops it (a damaged blob does not).
        let manifest_invalid =
            case.verify.contains(&"{key}") && matches!(case.restore, Restore::Refused(_));
        let (code, out, err) = run(f.cmd(&["prune", "--keep-last", "1"]));
        assert_no_panic(code, &out, &err);
        assert_eq!(
            code,
            if manifest_invalid { 4 } else { 0 },
            "{name}: prune: {out}{err}"
        );

        assert!(
            tree(&f.repo_dir) == repo_before,
            "{name}: the repository changed"
        );
        assert!(
            tree(&f.data) == data_before,
            "{name}: the data directory changed"
        );
        assert_eq!(entries(&f.tmpdir), Vec::<String>::new(), "{name}: TMPDIR");
        std::fs::write(f.manifest_path(), &original).unwrap();
    }
    let (code, out, err) = run(f.cmd(&["verify"]));
    assert_eq!(code, 0, "{out}{err}");
}

/// A crafted latest manifest does not stop the next backup (it only loses the hash cache), and
/// the new backup is complete.
#[test]
fn create_after_a_crafted_manifest_makes_a_good_backup() {
    let f = Fixture::new();
    let mut m = f.manifest();
    set_sha(&mut m, "a");
    std::fs::write(f.manifest_path(), m.to_stored_bytes().unwrap()).unwrap();
    let (code, out, err) = run(f.cmd(&["create"]));
    assert_no_panic(code, &out, &err);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("hash cache"), "{err}");
    let to = f.root.join("restored");
    let mut cmd = f.cmd(&["restore", "latest", "--to"]);
    cmd.arg(&to);
    assert_eq!(run(cmd).0, 0);
    assert_restored_equals_source(&f.data, &to);
}

/// `restore --force` into a directory where a link stands for a directory of the backup: refused
/// before anything is written; nothing outside the target changes. A link standing for a file
/// is replaced, never written through.
#[test]
fn restore_never_follows_links_in_the_target() {
    let f = Fixture::new();
    let outside = f.root.join("outside");
    std::fs::create_dir_all(outside.join("adjusted")).unwrap();
    std::fs::write(outside.join("victim"), b"keep me").unwrap();
    std::fs::write(outside.join("adjusted/I000.parquet"), b"keep me too").unwrap();
    let outside_before = tree(&outside);

    // A link for a top-level directory, and one deeper down.
    for (n, (link, to)) in [
        ("prices", PathBuf::from("../outside")),
        ("prices/adjusted", PathBuf::from("../../outside/adjusted")),
    ]
    .into_iter()
    .enumerate()
    {
        let target = f.root.join(format!("target-{n}"));
        let link = target.join(link);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&to, &link).unwrap();
        let target_before = tree(&target);
        let mut cmd = f.cmd(&["restore", "latest", "--force", "--to"]);
        cmd.arg(&target);
        let (code, out, err) = run(cmd);
        assert_no_panic(code, &out, &err);
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            err.contains(&link.display().to_string()) && err.contains("symbolic link"),
            "{err}"
        );
        assert!(tree(&outside) == outside_before, "wrote outside the target");
        assert!(tree(&target) == target_before, "wrote into the target");
    }

    // A link for a file: replaced by the restored file.
    let target = f.root.join("target-file");
    std::fs::create_dir_all(target.join("config")).unwrap();
    std::os::unix::fs::symlink(
        "../../outside/victim",
        target.join("config/instruments.csv"),
    )
    .unwrap();
    let mut cmd = f.cmd(&["restore", "latest", "--force", "--to"]);
    cmd.arg(&target);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert!(tree(&outside) == outside_before, "wrote through a link");
    let restored = target.join("config/instruments.csv");
    assert!(std::fs::symlink_metadata(&restored).unwrap().is_file());
    assert_eq!(
        std::fs::read(&restored).unwrap(),
        std::fs::read(f.data.join("config/instruments.csv")).unwrap()
    );
}

/// `sh -c 'umask 0; exec backup …'`: the umask of the process under test, without unsafe code.
fn with_umask_0(cmd: &std::process::Command) -> std::process::Command {
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c")
        .arg("umask 0 && exec \"$0\" \"$@\"")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    sh
}

fn run_std(mut cmd: std::process::Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Even with umask 0, every file the backup creates is 0600 and every directory 0700; a restore
/// gives each file its source's permission bits and creates directories 0700.
#[test]
fn backups_are_private_whatever_the_umask_and_restores_keep_modes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = make_data_dir(tmp.path(), 2, 3_000);
    let modes = [
        ("config/instruments.csv", 0o600),
        ("prices/adjusted/I000.parquet", 0o640),
        ("prices/adjusted/I001.parquet", 0o644),
        ("prices/multiple/I000.parquet", 0o400),
        ("state.sqlite", 0o600),
    ];
    for (path, mode) in modes {
        std::fs::set_permissions(data.join(path), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let repo_dir = tmp.path().join("repo");
    let repo = repo_dir.to_str().unwrap();
    let tmpdir = tmp.path().join("tmpdir");
    std::fs::create_dir_all(&tmpdir).unwrap();
    let cmd = |args: &[&str]| {
        let mut cmd = backup_std(&data, repo);
        cmd.env("TMPDIR", &tmpdir).args(args);
        with_umask_0(&cmd)
    };
    for _ in 0..2 {
        let (code, _, err) = run_std(cmd(&["create"]));
        assert_eq!(code, 0, "{err}");
    }
    assert_eq!(mode_of(&repo_dir), 0o700);
    for (path, node) in tree(&repo_dir) {
        match node {
            Node::Dir { mode } => assert_eq!(mode, 0o700, "repo/{path}"),
            Node::File { mode, .. } => assert_eq!(mode, 0o600, "repo/{path}"),
            Node::Link { .. } => panic!("repo/{path} is a link"),
        }
    }
    // The scratch directory of the runs: private, and empty once they ended.
    assert_eq!(mode_of(&data.join(".backup-tmp")), 0o700);
    assert_eq!(entries(&data.join(".backup-tmp")), Vec::<String>::new());

    let to = tmp.path().join("restored");
    let mut restore = cmd(&["restore", "latest", "--to"]);
    restore.arg(&to);
    let (code, _, err) = run_std(restore);
    assert_eq!(code, 0, "{err}");
    for (path, node) in tree(&to) {
        match node {
            Node::Dir { mode } => assert_eq!(mode, 0o700, "restored/{path}"),
            Node::File { mode, .. } => {
                let source = mode_of(&data.join(&path));
                assert_eq!(mode, source, "restored/{path}");
            }
            Node::Link { .. } => panic!("restored/{path} is a link"),
        }
    }
    assert_eq!(mode_of(&to), 0o700);
    for (path, mode) in modes {
        assert_eq!(mode_of(&to.join(path)), mode, "{path}");
    }
    let (code, out, err) = run_std(cmd(&["verify"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(entries(&tmpdir), Vec::<String>::new());
}

/// Kill -9 campaign (seeded, bounded): each trial changes the data, kills a `backup create` once
/// a seeded number of its temporary files exist, then runs it again. The killed run's temporary
/// state (repository `tmp/`, the data directory's scratch, `TMPDIR`) is gone after the next run,
/// no half backup is ever listed, and every backup verifies and restores.
#[test]
fn killed_creates_leave_nothing_that_accumulates() {
    let tmp = tempfile::tempdir().unwrap();
    let data = make_data_dir(tmp.path(), 2, 3_000);
    let bulk = data.join("bulk");
    std::fs::create_dir_all(&bulk).unwrap();
    let repo_dir = tmp.path().join("repo");
    let repo = repo_dir.to_str().unwrap();
    let tmpdir = tmp.path().join("tmpdir");
    std::fs::create_dir_all(&tmpdir).unwrap();
    let watch = [
        data.join(".backup-tmp"),
        repo_dir.join("tmp"),
        tmpdir.clone(),
    ];
    let create = || {
        let mut cmd = backup_std(&data, repo);
        cmd.env("TMPDIR", &tmpdir).arg("create");
        cmd
    };
    let (code, _, err) = run(create().into());
    assert_eq!(code, 0, "{err}");

    let mut rng = Rng(15);
    let mut killed_with_leftovers = 0;
    const TRIALS: u64 = 4;
    for trial in 0..TRIALS {
        for i in 0..120u64 {
            std::fs::write(
                bulk.join(format!("f{i:03}.bin")),
                bytes(trial * 1_000 + i, 48_000),
            )
            .unwrap();
        }
        let before = list(&data, repo);
        let threshold = rng.range(1, 24) as usize;
        let killed = kill_when_temp_files(create(), &watch, threshold);
        assert_eq!(
            list(&data, repo),
            before,
            "trial {trial}: a half backup is listed"
        );
        if killed && files_under(&watch) > 0 {
            killed_with_leftovers += 1;
        }
        let (code, _, err) = run(create().into());
        assert_eq!(code, 0, "trial {trial}: {err}");
        assert_eq!(files_under(&watch), 0, "trial {trial}: leftovers remain");
        for dir in &watch[1..] {
            assert_eq!(entries(dir), Vec::<String>::new(), "trial {trial}: {dir:?}");
        }
        assert_eq!(
            entries(&watch[0]),
            Vec::<String>::new(),
            "trial {trial}: data scratch"
        );
        let mut verify = backup(&data, repo);
        verify.env("TMPDIR", &tmpdir).arg("verify");
        let (code, out, err) = run(verify);
        assert_eq!(code, 0, "trial {trial}: {out}{err}");
    }
    assert!(
        killed_with_leftovers >= 2,
        "only {killed_with_leftovers} of {TRIALS} trials killed a run that had temporary files"
    );
    let to = tmp.path().join("restored");
    let mut cmd = backup(&data, repo);
    cmd.args(["restore", "latest", "--to"]).arg(&to);
    assert_eq!(run(cmd).0, 0);
    assert_restored_equals_source(&data, &to);
}
