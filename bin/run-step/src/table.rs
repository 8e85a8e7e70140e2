//! The tables of `control` and `capital show` in `--format table|csv|json`, through the one table
//! printer of systrade-cli (every cell is text).

use systrade_cli::{OutputFormat, Printer, Value};

pub(crate) fn print_table(
    header: &[&str],
    rows: &[Vec<String>],
    format: OutputFormat,
) -> anyhow::Result<()> {
    let mut out = Printer::stdout(format);
    out.table("", "", systrade_cli::output::columns(header))?;
    for r in rows {
        out.row(r.iter().map(Value::text).collect())?;
    }
    out.finish()?;
    Ok(())
}
