//! The source directory: which files there are and what each becomes (an instrument's series,
//! an FX rate, one contract's prices), with the per-kind counts of the summary.

use anyhow::Context;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use systrade_model::{ContractDate, InstrumentCode};
use systrade_store::{SeriesKind, pst};

/// Source subdirectory of each kind, in summary order: the name in pysystemtrade's shipped
/// `data/futures/`, then the name its production CSV dump uses (`sysproduction/backup_db_to_csv.py`
/// writes `adjusted_prices/`, `multiple_prices/`, `fx_prices/`, `contract_prices/` in the same
/// file formats; it has no roll calendars).
pub(crate) const SOURCES: [(SeriesKind, &str, Option<&str>); 5] = [
    (
        SeriesKind::Adjusted,
        "adjusted_prices_csv",
        Some("adjusted_prices"),
    ),
    (
        SeriesKind::Multiple,
        "multiple_prices_csv",
        Some("multiple_prices"),
    ),
    (SeriesKind::Fx, "fx_prices_csv", Some("fx_prices")),
    (SeriesKind::Rolls, "roll_calendars_csv", None),
    (
        SeriesKind::Contracts,
        "contract_prices_csv",
        Some("contract_prices"),
    ),
];

/// The subdirectory of `source` holding one kind: the shipped name, else the dump's name when only
/// that exists; both present is a problem (which one is meant?) and the kind is not read.
pub(crate) fn kind_dir(
    source: &Path,
    shipped: &str,
    dumped: Option<&str>,
    problems: &mut Vec<String>,
) -> Option<PathBuf> {
    let primary = source.join(shipped);
    let Some(dumped) = dumped.map(|d| source.join(d)) else {
        return Some(primary);
    };
    match (primary.exists(), dumped.exists()) {
        (true, true) => {
            problems.push(format!(
                "{} and {} both hold the same kind of data; keep one of them",
                primary.display(),
                dumped.display()
            ));
            None
        }
        (false, true) => Some(dumped),
        _ => Some(primary),
    }
}

/// What one source file becomes.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Instrument(InstrumentCode),
    Currency(String),
    Contract(InstrumentCode, ContractDate),
}

#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) kind: SeriesKind,
    pub(crate) target: Target,
    pub(crate) path: PathBuf,
}

/// Per-kind counts for the summary.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tally {
    pub(crate) source_files: usize,
    pub(crate) files: usize,
    pub(crate) rows: usize,
    pub(crate) written: usize,
    pub(crate) unchanged: usize,
    pub(crate) skipped: usize,
}

/// The source directory, resolved: a file is read only when it resolves to a place inside it, so
/// that a symbolic link (to `/etc/shadow`, or a linked subdirectory) never makes the import read a
/// file outside the source, nor echo its content in an error (issue 15 item 8).
#[derive(Debug, Clone)]
pub(crate) struct SourceRoot {
    root: PathBuf,
}

impl SourceRoot {
    pub(crate) fn new(source: &Path) -> anyhow::Result<Self> {
        let root = std::fs::canonicalize(source).with_context(|| source.display().to_string())?;
        Ok(Self { root })
    }

    /// `Err` (the problem, naming `path` but not where it leads) when `path` exists and resolves
    /// outside the source directory; a missing path is the caller's business.
    pub(crate) fn check(&self, path: &Path) -> Result<(), String> {
        match std::fs::canonicalize(path) {
            Ok(target) if !target.starts_with(&self.root) => Err(format!(
                "{}: a symbolic link to outside the source directory; not followed",
                path.display()
            )),
            _ => Ok(()),
        }
    }
}

/// Files named `*.csv` / `*.csv.gz` in `dir`, by stem; a missing directory is `None`. A directory
/// or file that resolves outside the source directory is a problem and is not read.
fn list_csv(
    root: &SourceRoot,
    dir: &Path,
    problems: &mut Vec<String>,
) -> anyhow::Result<Option<BTreeMap<String, PathBuf>>> {
    if let Err(p) = root.check(dir) {
        problems.push(p);
        return Ok(Some(BTreeMap::new()));
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("{}", dir.display())),
    };
    let mut out = BTreeMap::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("{}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = pst::csv_stem(&name) else {
            tracing::debug!("ignoring {}", entry.path().display());
            continue;
        };
        // the directory is inside the source: only a symbolic link can lead out of it
        if entry.file_type().is_ok_and(|t| t.is_symlink())
            && let Err(p) = root.check(&entry.path())
        {
            problems.push(p);
            continue;
        }
        if let Some(other) = out.insert(stem.to_string(), entry.path()) {
            anyhow::bail!(
                "{} and {} hold the same data; keep one of them",
                other.display(),
                entry.path().display()
            );
        }
    }
    Ok(Some(out))
}

fn is_currency_pair(name: &str) -> Option<&str> {
    let ccy = name.strip_suffix("USD")?;
    systrade_model::validation::check_currency(ccy)
        .is_ok()
        .then_some(ccy)
}

/// The files to read, and what the summary counts before reading them.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub(crate) jobs: Vec<Job>,
    pub(crate) tallies: BTreeMap<SeriesKind, Tally>,
    /// Kinds whose subdirectory exists in the source.
    pub(crate) present: BTreeSet<SeriesKind>,
}

/// Lists the source's price subdirectories: a file that cannot become a job (bad name, unknown
/// instrument) is a problem; instruments outside `selected` are left out.
pub(crate) fn scan(
    source: &Path,
    root: &SourceRoot,
    configured: &BTreeSet<InstrumentCode>,
    selected: Option<&BTreeSet<InstrumentCode>>,
    problems: &mut Vec<String>,
) -> anyhow::Result<Scan> {
    let mut tallies: BTreeMap<SeriesKind, Tally> = BTreeMap::new();
    let mut present: BTreeSet<SeriesKind> = BTreeSet::new();
    let mut jobs: Vec<Job> = Vec::new();
    let mut variants: Vec<String> = Vec::new();
    for (kind, shipped, dumped) in SOURCES {
        let Some(dir) = kind_dir(source, shipped, dumped, problems) else {
            continue;
        };
        let Some(files) = list_csv(root, &dir, problems)? else {
            continue;
        };
        present.insert(kind);
        let tally = tallies.entry(kind).or_default();
        for (stem, path) in files {
            tally.source_files += 1;
            let target = match kind {
                SeriesKind::Fx => match is_currency_pair(&stem) {
                    Some(ccy) => Target::Currency(ccy.to_string()),
                    None => {
                        problems.push(format!(
                            "{}: file name is not <CCY>USD (three capital letters, then USD)",
                            path.display()
                        ));
                        continue;
                    }
                },
                SeriesKind::Rolls if stem.contains('#') => {
                    variants.push(stem);
                    tally.skipped += 1;
                    continue;
                }
                SeriesKind::Contracts => {
                    let Some((inst, contract)) = pst::split_contract_file_stem(&stem) else {
                        problems.push(format!(
                            "{}: file name is not <INSTRUMENT>_<YYYYMMDD>",
                            path.display()
                        ));
                        continue;
                    };
                    let contract = match contract.parse::<ContractDate>() {
                        Ok(c) if contract.len() == 8 => c,
                        Ok(_) => {
                            problems.push(format!(
                                "{}: bad contract id '{contract}' in file name: expected YYYYMMDD",
                                path.display()
                            ));
                            continue;
                        }
                        Err(e) => {
                            problems.push(format!(
                                "{}: bad contract id in file name: {e}",
                                path.display()
                            ));
                            continue;
                        }
                    };
                    match known_instrument(inst, configured, &path) {
                        Ok(code) => Target::Contract(code, contract),
                        Err(p) => {
                            problems.push(p.to_string());
                            continue;
                        }
                    }
                }
                _ => match known_instrument(&stem, configured, &path) {
                    Ok(code) => Target::Instrument(code),
                    Err(p) => {
                        problems.push(p.to_string());
                        continue;
                    }
                },
            };
            let wanted = match (selected, &target) {
                (None, _) | (_, Target::Currency(_)) => true,
                (Some(sel), Target::Instrument(c) | Target::Contract(c, _)) => sel.contains(c),
            };
            if wanted {
                jobs.push(Job { kind, target, path });
            }
        }
    }

    if !variants.is_empty() {
        tracing::warn!(
            "skipping {} variant roll calendars in {} (names with '#' are not instrument codes): {}",
            variants.len(),
            source.join("roll_calendars_csv").display(),
            variants.join(", ")
        );
    }
    Ok(Scan {
        jobs,
        tallies,
        present,
    })
}

fn known_instrument(
    name: &str,
    configured: &BTreeSet<InstrumentCode>,
    path: &Path,
) -> anyhow::Result<InstrumentCode> {
    match InstrumentCode::new(name) {
        Ok(code) if configured.contains(&code) => Ok(code),
        _ => anyhow::bail!(
            "{}: unknown instrument '{name}': not in csvconfig/instrumentconfig.csv",
            path.display()
        ),
    }
}
