//! `backup`: consistent, incremental, verified backups of the data directory, with restore and
//! prune (issue 8; pysystemtrade's `run_backups`, spec §4.11). The repository format, consistency
//! and locking rules are documented in the `systrade-backup` crate.

use clap::{CommandFactory, Parser, Subcommand};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use systrade_backup::{BackupError, CreateOptions, Policy, ProgressSink, Repo};
use systrade_cli::{CommonArgs, ExitCode, FormatArg, Outcomes, Printer, Progress, Value};

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
    pub stdout: FormatArg,

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
    List,
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
    Args::command().after_help(EXAMPLES)
}
/// Examples shown after `--help` and in the man page's EXAMPLES section.
const EXAMPLES: &str = "Examples:\n  backup create --repo /mnt/backup/systrade\n  backup list --repo s3://bucket/systrade\n  backup restore latest --to /srv/systrade/data-restored --repo /mnt/backup/systrade";

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

/// A backup repository lock held by another process is exit 6; a damaged or invalid manifest or
/// blob is exit 4 (a data problem); other errors are exit 1.
fn classify(err: anyhow::Error) -> anyhow::Error {
    let code = match err.downcast_ref::<BackupError>() {
        Some(BackupError::Locked(_)) => ExitCode::Locked,
        Some(BackupError::Damaged(_)) => ExitCode::DataProblem,
        _ => return err,
    };
    systrade_cli::with_exit_code(err, code)
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Seconds, rounded to milliseconds, for the JSON summaries.
fn seconds(d: Duration) -> serde_json::Value {
    systrade_cli::output::json_number((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let Some(dest) = args.repo.as_deref() else {
        return Err(systrade_cli::usage(
            "no backup repository: give --repo DEST or set SYSTRADE_BACKUP_REPO",
        ));
    };
    let repo = Repo::open(dest)?;
    let bar = Bar {
        no_progress: args.common.no_progress,
        bar: Mutex::new(None),
    };
    let mut out = Printer::stdout(args.stdout.format);
    let code = run_command(args, &repo, &bar, &mut out).map_err(classify)?;
    out.finish()?;
    Ok(code)
}

fn run_command(args: &Args, repo: &Repo, bar: &Bar, out: &mut Printer) -> anyhow::Result<ExitCode> {
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
            let line = format!(
                "backup {}: {} files, {}; read {} files ({}), stored {} new blobs ({}) in {:.2} s",
                r.id,
                r.files,
                mb(r.bytes),
                r.hashed_files,
                mb(r.hashed_bytes),
                r.new_blobs,
                mb(r.new_bytes),
                r.elapsed.as_secs_f64()
            );
            systrade_cli::record_summary(&line);
            out.document(
                &json!({
                    "id": r.id,
                    "files": r.files,
                    "bytes": r.bytes,
                    "hashed_files": r.hashed_files,
                    "hashed_bytes": r.hashed_bytes,
                    "new_blobs": r.new_blobs,
                    "new_bytes": r.new_bytes,
                    "seconds": seconds(r.elapsed),
                }),
                &line,
            )?;
            Ok(ExitCode::Success)
        }
        Command::List => {
            repo.check_initialized()?;
            list(repo, out)?;
            Ok(ExitCode::Success)
        }
        Command::Verify { id } => {
            let r = systrade_backup::verify(repo, id.as_deref(), bar)?;
            // one outcome per backup: ok, or failed (a data problem) with its problems
            let outcomes = Outcomes::new("verify");
            let mut by_backup: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            for p in &r.problems {
                let what = if p.path.is_empty() {
                    p.message.clone()
                } else {
                    format!("{}: {}", p.path, p.message)
                };
                by_backup.entry(p.backup.as_str()).or_default().push(what);
            }
            for id in &r.ids {
                match by_backup.remove(id.as_str()) {
                    None => outcomes.ok(format!("backup {id}")),
                    Some(problems) => outcomes.failed_with(
                        format!("backup {id}"),
                        ExitCode::DataProblem,
                        problems.join("; "),
                    ),
                }
            }
            let text = if r.problems.is_empty() {
                format!(
                    "verify: ok: {} backups, {} blobs, {} re-hashed",
                    r.ids.len(),
                    r.blobs,
                    mb(r.bytes)
                )
            } else {
                format!(
                    "verify: {} problems in {} backups ({} blobs checked); the affected backups cannot be restored intact",
                    r.problems.len(),
                    r.ids.len(),
                    r.blobs
                )
            };
            out.document(
                &json!({
                    "backups": r.ids.len(),
                    "blobs": r.blobs,
                    "bytes": r.bytes,
                    "problems": r.problems.len(),
                }),
                &text,
            )?;
            Ok(outcomes.finish())
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
            out.document(
                &json!({
                    "id": r.id,
                    "files": r.files,
                    "bytes": r.bytes,
                    "to": to.display().to_string(),
                    "extra_files": r.extra_files,
                    "seconds": seconds(r.elapsed),
                }),
                &format!(
                    "restored {}: {} files, {} into {} in {:.2} s",
                    r.id,
                    r.files,
                    mb(r.bytes),
                    to.display(),
                    r.elapsed.as_secs_f64()
                ),
            )?;
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
                return Err(systrade_cli::usage(
                    "prune needs a retention policy: --keep-daily N, --keep-weekly M and/or --keep-last K",
                ));
            }
            let r = systrade_backup::prune(repo, policy, *dry_run)?;
            let verb = if *dry_run { "would remove" } else { "removed" };
            for id in &r.removed {
                tracing::info!("{verb} backup {id}");
            }
            out.document(
                &json!({
                    "dry_run": dry_run,
                    "kept": r.kept.len(),
                    "removed": r.removed.len(),
                    "blobs_deleted": r.blobs_deleted,
                    "bytes_deleted": r.bytes_deleted,
                }),
                &format!(
                    "prune: kept {} backups, {verb} {}; {verb} {} unreferenced blobs ({})",
                    r.kept.len(),
                    r.removed.len(),
                    r.blobs_deleted,
                    mb(r.bytes_deleted)
                ),
            )?;
            Ok(ExitCode::Success)
        }
    }
}

/// `list`: one row per backup, id first; a backup whose manifest cannot be read is listed as
/// `CORRUPT` (and logged).
fn list(repo: &Repo, out: &mut Printer) -> anyhow::Result<()> {
    out.table(
        "backups",
        "Backups",
        systrade_cli::output::columns(&[
            "id",
            "committed",
            "files",
            "bytes",
            "new_blobs",
            "new_bytes",
            "host",
            "source",
        ]),
    )?;
    for id in repo.backup_ids()? {
        let row = match repo.load_manifest(&id) {
            Ok(m) => vec![
                Value::text(&m.id),
                Value::text(&m.committed),
                m.files.len().into(),
                m.total_bytes().into(),
                m.new_blobs.into(),
                m.new_bytes.into(),
                Value::text(&m.host),
                Value::text(&m.source),
            ],
            Err(e) => {
                tracing::error!("backup {id}: {e:#}");
                let mut row = vec![Value::Text(id), "CORRUPT".into()];
                row.resize(8, Value::Null);
                row
            }
        };
        out.row(row)?;
    }
    Ok(())
}
