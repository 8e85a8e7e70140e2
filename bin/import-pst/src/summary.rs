//! The summary on stdout: one row per config file and per kind of price file.

use crate::source::{SOURCES, Scan};
use crate::write::ConfigWritten;
use systrade_cli::{OutputFormat, Printer, Value};
use systrade_store::WriteOutcome;

pub(crate) fn print(
    format: OutputFormat,
    config_written: &ConfigWritten<'_>,
    scan: &Scan,
) -> anyhow::Result<()> {
    let mut out = Printer::stdout(format);
    out.table(
        "import",
        "Imported",
        systrade_cli::output::columns(&[
            "kind",
            "files",
            "rows",
            "written",
            "unchanged",
            "skipped",
            "source_files",
            "note",
        ]),
    )?;
    for (what, file, outcome) in config_written {
        let written = usize::from(*outcome == WriteOutcome::Written);
        out.row(vec![
            (*what).into(),
            1u32.into(),
            file.rows().into(),
            written.into(),
            (1 - written).into(),
            0u32.into(),
            1u32.into(),
            Value::text(file.path().display()),
        ])?;
    }
    for (kind, sub, _) in SOURCES {
        let t = scan.tallies.get(&kind).cloned().unwrap_or_default();
        let note = if !scan.present.contains(&kind) {
            format!("no {sub}/ in source")
        } else if t.skipped > 0 {
            format!("{} variant files skipped", t.skipped)
        } else {
            String::new()
        };
        out.row(vec![
            kind.name().into(),
            t.files.into(),
            t.rows.into(),
            t.written.into(),
            t.unchanged.into(),
            t.skipped.into(),
            t.source_files.into(),
            note.into(),
        ])?;
    }
    out.finish()?;
    Ok(())
}
