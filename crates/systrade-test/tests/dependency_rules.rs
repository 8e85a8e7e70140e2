//! The workspace's dependency rules (issue 13, docs/ARCHITECTURE.md "Crate graph"), checked on the
//! graph `cargo metadata` reports, so that breaking one fails `cargo test --workspace`:
//!
//! 1. No library crate (`crates/*`) depends on a binary crate (`bin/*`), in any dependency kind.
//! 2. The pure crates ([`PURE`]) reach no I/O crate ([`IO_CRATES`], any `bin/*` crate) through
//!    their normal or build dependencies, directly or transitively (dev-dependencies excepted:
//!    tests may read files).
//! 3. Each I/O library in [`ONLY_IN`] is a normal or build dependency of its owners only:
//!    `rusqlite` of systrade-store and systrade-backup, `parquet`/`arrow-*` of systrade-store,
//!    `reqwest` of systrade-ibkr, systrade-sources and systrade-backup (dev-dependencies excepted).
//!
//! Every violation is reported by crate and dependency name, all at once.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Crates that compute and never touch files, databases, the network or the command line.
const PURE: &[&str] = &[
    "systrade-model",
    "systrade-series",
    "systrade-roll",
    "systrade-forecast",
    "systrade-portfolio",
    "systrade-accounts",
    "systrade-synth",
    "systrade-optimise",
    "systrade-estimate",
];

/// Crates a pure crate must not reach (besides every `bin/*` crate): the workspace's I/O crates and
/// the third-party crates that read or write files, databases, the network or the terminal.
const IO_CRATES: &[&str] = &[
    // workspace
    "systrade-store",
    "systrade-sources",
    "systrade-ibkr",
    "systrade-backup",
    "systrade-ops",
    "systrade-cli",
    "systrade-orders",
    "systrade-system",
    "systrade-config",
    // third party
    "rusqlite",
    "libsqlite3-sys",
    "parquet",
    "arrow-array",
    "arrow-schema",
    "arrow-buffer",
    "arrow-data",
    "arrow-ipc",
    "reqwest",
    "hyper",
    "tokio",
    "rustls",
    "csv",
    "flate2",
    "tempfile",
    "rustix",
    "clap",
    "indicatif",
    "tracing-subscriber",
    "serde-saphyr",
];

/// Third-party I/O crates and the only workspace crates that may depend on them (normal or build).
const ONLY_IN: &[(&str, &[&str])] = &[
    ("rusqlite", &["systrade-store", "systrade-backup"]),
    ("parquet", &["systrade-store"]),
    ("arrow-array", &["systrade-store"]),
    ("arrow-schema", &["systrade-store"]),
    ("arrow-buffer", &["systrade-store"]),
    ("arrow-data", &["systrade-store"]),
    (
        "reqwest",
        &["systrade-ibkr", "systrade-sources", "systrade-backup"],
    ),
];

/// Violations on main that an in-flight branch removes, as `(crate, dependency, branch)`. The test
/// fails when one of them is no longer a violation, so that the entry is deleted with the fix.
const PENDING: &[(&str, &str, &str)] = &[];

/// One workspace member as the rules see it.
struct Member {
    name: String,
    /// `crates/*` (library) or `bin/*` (binary) or elsewhere (xtask).
    place: Place,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Library,
    Binary,
    Other,
}

/// A violation: the crate, the dependency it should not have, and how it is reached.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    krate: String,
    dependency: String,
    rule: String,
}

/// The host's target triple (`rustc -vV`): the graph is resolved for the platform we build on,
/// which needs no crates that are not already downloaded.
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let out = Command::new(&rustc)
        .arg("-vV")
        .output()
        .unwrap_or_else(|e| panic!("running {rustc} -vV: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap_or_else(|| panic!("{rustc} -vV printed no host line"))
        .to_string()
}

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let root = systrade_test::workspace_root();
    let host = host_triple();
    let out = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .args(["--filter-platform", &host])
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| panic!("running {cargo} metadata in {}: {e}", root.display()));
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("cargo metadata: no string {key:?} in {v}"))
}

fn array_of<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("cargo metadata: no array {key:?}"))
}

/// Whether a declared dependency (`packages[].dependencies[]`) or a resolved edge kind counts:
/// normal (`null`) and build do, dev does not.
fn counts(kind: &Value) -> bool {
    kind.as_str() != Some("dev")
}

/// The workspace graph: members by package id, package names by id, and the resolved non-dev
/// edges (package id → dependency ids, with the workspace's features unified as cargo builds it).
struct Graph {
    members: BTreeMap<String, Member>,
    names: BTreeMap<String, String>,
    normal_edges: BTreeMap<String, Vec<String>>,
    /// Direct declared dependencies of each member: (dependency package name, counts (non-dev)).
    declared: BTreeMap<String, Vec<(String, bool)>>,
}

fn graph(meta: &Value) -> Graph {
    let root = std::fs::canonicalize(systrade_test::workspace_root()).expect("workspace root");
    let member_ids: BTreeSet<&str> = array_of(meta, "workspace_members")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut members = BTreeMap::new();
    let mut names = BTreeMap::new();
    let mut declared = BTreeMap::new();
    for p in array_of(meta, "packages") {
        let id = str_of(p, "id").to_string();
        let name = str_of(p, "name").to_string();
        names.insert(id.clone(), name.clone());
        if !member_ids.contains(id.as_str()) {
            continue;
        }
        let manifest = std::path::Path::new(str_of(p, "manifest_path"));
        let rel = manifest.strip_prefix(&root).unwrap_or(manifest);
        let place = match rel.components().next().and_then(|c| c.as_os_str().to_str()) {
            Some("crates") => Place::Library,
            Some("bin") => Place::Binary,
            _ => Place::Other,
        };
        let deps = array_of(p, "dependencies")
            .iter()
            .map(|d| (str_of(d, "name").to_string(), counts(&d["kind"])))
            .collect();
        declared.insert(id.clone(), deps);
        members.insert(id, Member { name, place });
    }
    let mut normal_edges = BTreeMap::new();
    for node in array_of(&meta["resolve"], "nodes") {
        let deps = array_of(node, "deps")
            .iter()
            .filter(|d| array_of(d, "dep_kinds").iter().any(|k| counts(&k["kind"])))
            .map(|d| str_of(d, "pkg").to_string())
            .collect();
        normal_edges.insert(str_of(node, "id").to_string(), deps);
    }
    Graph {
        members,
        names,
        normal_edges,
        declared,
    }
}

/// Every violation of the three rules in the graph.
fn violations(g: &Graph) -> Vec<Violation> {
    let mut out = BTreeSet::new();
    let binaries: BTreeSet<&str> = g
        .members
        .values()
        .filter(|m| m.place == Place::Binary)
        .map(|m| m.name.as_str())
        .collect();

    // 1. no library depends on a binary
    for (id, m) in &g.members {
        if m.place != Place::Library {
            continue;
        }
        for (dep, _) in &g.declared[id] {
            if binaries.contains(dep.as_str()) {
                out.insert(Violation {
                    krate: m.name.clone(),
                    dependency: dep.clone(),
                    rule: "a library crate depends on a bin/ crate".to_string(),
                });
            }
        }
    }

    // 2. pure crates reach no I/O crate (transitively, non-dev)
    for (id, m) in &g.members {
        if !PURE.contains(&m.name.as_str()) {
            continue;
        }
        let mut seen = BTreeSet::new();
        // (package id, path of names from the pure crate)
        let mut stack = vec![(id.clone(), vec![m.name.clone()])];
        while let Some((at, path)) = stack.pop() {
            for dep in g.normal_edges.get(&at).into_iter().flatten() {
                if !seen.insert(dep.clone()) {
                    continue;
                }
                let name = &g.names[dep];
                let mut next = path.clone();
                next.push(name.clone());
                if IO_CRATES.contains(&name.as_str()) || binaries.contains(name.as_str()) {
                    out.insert(Violation {
                        krate: m.name.clone(),
                        dependency: name.clone(),
                        rule: format!("a pure crate reaches an I/O crate ({})", next.join(" → ")),
                    });
                    // what lies behind it is reported as this one
                    continue;
                }
                stack.push((dep.clone(), next));
            }
        }
    }

    // 3. I/O libraries only in their owners (direct, non-dev)
    for (id, m) in &g.members {
        for (dep, non_dev) in &g.declared[id] {
            if !non_dev {
                continue;
            }
            if let Some((_, owners)) = ONLY_IN.iter().find(|(lib, _)| lib == dep)
                && !owners.contains(&m.name.as_str())
            {
                out.insert(Violation {
                    krate: m.name.clone(),
                    dependency: dep.clone(),
                    rule: format!("{dep} belongs to {} only", owners.join(", ")),
                });
            }
        }
    }
    out.into_iter().collect()
}

#[test]
fn workspace_dependencies_follow_the_rules() {
    let g = graph(&metadata());
    let names: BTreeSet<&str> = g.members.values().map(|m| m.name.as_str()).collect();
    for pure in PURE {
        assert!(
            names.contains(pure),
            "pure crate {pure} is not a workspace member; update PURE in {}",
            file!()
        );
    }
    assert!(
        g.members.values().any(|m| m.place == Place::Library)
            && g.members.values().any(|m| m.place == Place::Binary),
        "no crates/ or bin/ members found: is the workspace layout still crates/* and bin/*?"
    );
    let found = violations(&g);
    let is_pending = |v: &Violation| {
        PENDING
            .iter()
            .any(|(k, d, _)| *k == v.krate && *d == v.dependency)
    };
    let mut problems: Vec<String> = found
        .iter()
        .filter(|v| !is_pending(v))
        .map(|v| format!("{} → {}: {}", v.krate, v.dependency, v.rule))
        .collect();
    for (k, d, branch) in PENDING {
        if !found.iter().any(|v| v.krate == *k && v.dependency == *d) {
            problems.push(format!(
                "{k} → {d} is no longer a violation (fixed on branch {branch}): delete it from \
                 PENDING in {}",
                file!()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "dependency rules broken:\n  {}",
        problems.join("\n  ")
    );
}

/// The rules can fail: a hand-made graph with one violation of each kind is caught.
#[test]
fn each_rule_catches_its_violation() {
    let member = |name: &str, place| Member {
        name: name.to_string(),
        place,
    };
    let mut g = Graph {
        members: BTreeMap::new(),
        names: BTreeMap::new(),
        normal_edges: BTreeMap::new(),
        declared: BTreeMap::new(),
    };
    let crates = [
        ("systrade-series", Place::Library),
        ("systrade-helper", Place::Library),
        ("some-tool", Place::Binary),
        ("rusqlite", Place::Other),
    ];
    for (name, place) in crates {
        g.names.insert(name.to_string(), name.to_string());
        if place != Place::Other {
            g.members.insert(name.to_string(), member(name, place));
        }
    }
    // series → helper → rusqlite (transitive); helper → some-tool (lib on bin); helper declares
    // rusqlite (not its owner); some-tool has rusqlite only as a dev-dependency (allowed).
    g.normal_edges
        .insert("systrade-series".into(), vec!["systrade-helper".into()]);
    g.normal_edges.insert(
        "systrade-helper".into(),
        vec!["rusqlite".into(), "some-tool".into()],
    );
    g.declared.insert(
        "systrade-series".into(),
        vec![("systrade-helper".into(), true)],
    );
    g.declared.insert(
        "systrade-helper".into(),
        vec![("rusqlite".into(), true), ("some-tool".into(), true)],
    );
    g.declared
        .insert("some-tool".into(), vec![("rusqlite".into(), false)]);
    let found: Vec<(String, String)> = violations(&g)
        .into_iter()
        .map(|v| (v.krate, v.dependency))
        .collect();
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert!(
        found.contains(&pair("systrade-helper", "some-tool")),
        "{found:?}"
    );
    assert!(
        found.contains(&pair("systrade-series", "rusqlite")),
        "{found:?}"
    );
    assert!(
        found.contains(&pair("systrade-series", "some-tool")),
        "{found:?}"
    );
    assert!(
        found.contains(&pair("systrade-helper", "rusqlite")),
        "{found:?}"
    );
    assert!(!found.iter().any(|(k, _)| k == "some-tool"), "{found:?}");
}
