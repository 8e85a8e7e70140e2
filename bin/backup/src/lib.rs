//! `backup`: consistent, incremental, verified backups of the data directory, with restore and
//! prune (issue 8; pysystemtrade's `run_backups`, spec §4.11). The repository format, consistency
//! and locking rules are documented in the `systrade-backup` crate.

use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use systrade_backup::{BackupError, CreateOptions, Policy, ProgressSink, Repo};
use systrade_cli::{CommonArgs, ExitCode, OutputFormat, Progress};

/// Back up the data directory (state.sqlite through SQLite's VACUUM INTO, every other file byte
/// for byte) into a repository: a local or mounted directory, or s3://bucket/prefix. Contents are
/// stored once under their SHA-256, so a run every 15 minutes stores only what changed.
///
/// S3 credentials and endpoint come from the environment: AWS_ACCESS_KEY_ID,
/// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL (S3-compatible servers).
#[derive(Debug, Parser)]
#[command(name = "backup", version)]
pub struct Args {
    /// The backup repository: a directory path or s3://bucket/prefix.
    #[arg(long, env = "SYSTRADE_BACKUP_REPO", value_name = "DEST", global = true)]
    pub repo: Option<String>,

    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a backup of the data directory (creates the repository when new).
    Create {
        /// Wait this many seconds for a running prune to finish before giving up (exit 6).
        #[arg(long, default_value_t = 300, value_name = "SECS")]
        lock_wait: u64,
    },
    /// List the backups, oldest first (id first).
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Validate the manifest of a backup (default: of all backups) field by field, re-read every
    /// blob, check sizes and SHA-256, and run SQLite's integrity_check on database copies. Exit 4
    /// when anything is wrong.
    Verify {
        /// Backup id, or `latest`.
        id: Option<String>,
    },
    /// Restore a backup into a new or empty directory. The manifest is validated first; only
    /// permission bits are restored (never setuid/setgid); symbolic links in the target are never
    /// followed. Exit 4 when the backup is invalid or damaged.
    Restore {
        /// Backup id, or `latest`.
        id: String,
        /// Target directory (must be new or empty unless --force).
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
        /// Restore into a non-empty directory, replacing files of the same name.
        #[arg(long)]
        force: bool,
    },
    /// Delete backups outside the retention policy, then blobs no backup uses.
    Prune {
        /// Keep the newest backup of each of the N most recent days.
        #[arg(long, default_value_t = 0, value_name = "N")]
        keep_daily: usize,
        /// Keep the newest backup of each of the M most recent ISO weeks.
        #[arg(long, default_value_t = 0, value_name = "M")]
        keep_weekly: usize,
        /// Keep the K newest backups.
        #[arg(long, default_value_t = 0, value_name = "K")]
        keep_last: usize,
        /// Show what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}

/// Progress bar adapter: the bar is made when the total is known.
struct Bar {
    no_progress: bool,
    bar: Mutex<Option<Progress>>,
}

impl ProgressSink for Bar {
    fn start(&self, total: u64, what: &str) {
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(Progress::new(total, what, self.no_progress));
        }
    }
    fn inc(&self, n: u64) {
        if let Ok(b) = self.bar.lock()
            && let Some(p) = b.as_ref()
        {
            p.inc(n);
        }
    }
    fn finish(&self) {
        if let Ok(b) = self.bar.lock()
            && let Some(p) = b.as_ref()
        {
            p.finish();
        }
    }
}

/// Errors that have their own exit code are logged (stderr) and turned into that code (a held
/// lock 6, a damaged or invalid manifest or blob 4); the others go to `systrade_cli::finish`
/// (exit 1).
fn classify(result: anyhow::Result<ExitCode>) -> anyhow::Result<ExitCode> {
    let err = match result {
        Ok(code) => return Ok(code),
        Err(e) => e,
    };
    let code = match err.downcast_ref::<BackupError>() {
        Some(BackupError::Locked(_)) => ExitCode::Locked,
        Some(BackupError::Damaged(_)) => ExitCode::DataProblem,
        _ => return Err(err),
    };
    tracing::error!("{err:#}");
    Ok(code)
}

fn usage(msg: &str) -> anyhow::Result<ExitCode> {
    tracing::error!("{msg}");
    Ok(ExitCode::Usage)
}

#[allow(clippy::print_stdout)]
fn out(line: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    Ok(())
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let Some(dest) = args.repo.as_deref() else {
        return usage("no backup repository: give --repo DEST or set SYSTRADE_BACKUP_REPO");
    };
    let repo = Repo::open(dest)?;
    let bar = Bar {
        no_progress: args.common.no_progress,
        bar: Mutex::new(None),
    };
    classify(run_command(args, &repo, &bar))
}

fn run_command(args: &Args, repo: &Repo, bar: &Bar) -> anyhow::Result<ExitCode> {
    match &args.command {
        Command::Create { lock_wait } => {
            let r = systrade_backup::create(
                repo,
                &CreateOptions {
                    data_dir: args.common.data_dir.clone(),
                    lock_wait: Duration::from_secs(*lock_wait),
                },
                bar,
            )?;
            for w in &r.warnings {
                tracing::warn!("{w}");
            }
            out(&format!(
                "backup {}: {} files, {}; read {} files ({}), stored {} new blobs ({}) in {:.2} s",
                r.id,
                r.files,
                mb(r.bytes),
                r.hashed_files,
                mb(r.hashed_bytes),
                r.new_blobs,
                mb(r.new_bytes),
                r.elapsed.as_secs_f64()
            ))?;
            Ok(ExitCode::Success)
        }
        Command::List { format } => {
            repo.check_initialized()?;
            list(repo, *format)?;
            Ok(ExitCode::Success)
        }
        Command::Verify { id } => {
            let r = systrade_backup::verify(repo, id.as_deref(), bar)?;
            for p in &r.problems {
                out(&format!("FAILED {p}"))?;
            }
            if r.problems.is_empty() {
                out(&format!(
                    "verify: ok: {} backups, {} blobs, {} re-hashed",
                    r.backups,
                    r.blobs,
                    mb(r.bytes)
                ))?;
                Ok(ExitCode::Success)
            } else {
                out(&format!(
                    "verify: {} problems in {} backups ({} blobs checked)",
                    r.problems.len(),
                    r.backups,
                    r.blobs
                ))?;
                tracing::error!(
                    "{} problems found; the affected backups cannot be restored intact",
                    r.problems.len()
                );
                Ok(ExitCode::DataProblem)
            }
        }
        Command::Restore { id, to, force } => {
            let r = systrade_backup::restore(repo, id, to, *force, bar)?;
            if r.extra_files > 0 {
                tracing::warn!(
                    "{} files in {} are not part of backup {} and were left in place",
                    r.extra_files,
                    to.display(),
                    r.id
                );
            }
            out(&format!(
                "restored {}: {} files, {} into {} in {:.2} s",
                r.id,
                r.files,
                mb(r.bytes),
                to.display(),
                r.elapsed.as_secs_f64()
            ))?;
            Ok(ExitCode::Success)
        }
        Command::Prune {
            keep_daily,
            keep_weekly,
            keep_last,
            dry_run,
        } => {
            let policy = Policy {
                keep_last: *keep_last,
                keep_daily: *keep_daily,
                keep_weekly: *keep_weekly,
            };
            if policy.keeps_nothing() {
                return usage(
                    "prune needs a retention policy: --keep-daily N, --keep-weekly M and/or --keep-last K",
                );
            }
            let r = systrade_backup::prune(repo, policy, *dry_run)?;
            let verb = if *dry_run { "would remove" } else { "removed" };
            for id in &r.removed {
                tracing::info!("{verb} backup {id}");
            }
            out(&format!(
                "prune: kept {} backups, {verb} {}; {verb} {} unreferenced blobs ({})",
                r.kept.len(),
                r.removed.len(),
                r.blobs_deleted,
                mb(r.bytes_deleted)
            ))?;
            Ok(ExitCode::Success)
        }
    }
}

/// `list`: one row per backup, id first.
fn list(repo: &Repo, format: OutputFormat) -> anyhow::Result<()> {
    let header = [
        "id",
        "committed",
        "files",
        "bytes",
        "new_blobs",
        "new_bytes",
        "host",
        "source",
    ];
    let mut rows: Vec<[String; 8]> = Vec::new();
    for id in repo.backup_ids()? {
        match repo.load_manifest(&id) {
            Ok(m) => rows.push([
                m.id.clone(),
                m.committed.clone(),
                m.files.len().to_string(),
                m.total_bytes().to_string(),
                m.new_blobs.to_string(),
                m.new_bytes.to_string(),
                m.host.clone(),
                m.source.clone(),
            ]),
            Err(e) => {
                tracing::error!("backup {id}: {e:#}");
                rows.push([
                    id,
                    "CORRUPT".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
        }
    }
    match format {
        OutputFormat::Json => {
            let arr: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let mut obj = serde_json::Map::new();
                    for (k, v) in header.iter().zip(r) {
                        let value = match *k {
                            "files" | "bytes" | "new_blobs" | "new_bytes" => v
                                .parse::<u64>()
                                .map(serde_json::Value::from)
                                .unwrap_or(serde_json::Value::Null),
                            _ => serde_json::Value::from(v.as_str()),
                        };
                        obj.insert((*k).to_string(), value);
                    }
                    serde_json::Value::Object(obj)
                })
                .collect();
            out(&serde_json::to_string_pretty(&arr)?)?;
        }
        OutputFormat::Csv => {
            out(&header.join(","))?;
            for r in &rows {
                let cells: Vec<String> = r.iter().map(|c| csv_cell(c)).collect();
                out(&cells.join(","))?;
            }
        }
        OutputFormat::Table => {
            let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
            for r in &rows {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.len());
                }
            }
            let fmt_row = |cells: &[&str]| -> String {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            out(&fmt_row(&header))?;
            for r in &rows {
                let cells: Vec<&str> = r.iter().map(String::as_str).collect();
                out(&fmt_row(&cells))?;
            }
        }
    }
    Ok(())
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
