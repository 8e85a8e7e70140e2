//! The overrides the system config implies (issue 14; pysystemtrade
//! `sysproduction/data/controls.py`, `diagOverrides`): `trading_restrictions` → no trading;
//! `bad_markets`, `duplicate_instruments.exclude`, `ignore_instruments` → reduce-only. pysystemtrade
//! reads them from the config on every use and multiplies them with the database overrides; here
//! every order run first replaces the `config_overrides` rows with the config's (in the run's
//! transaction, so a dry run writes nothing), auditing each instrument that gains, changes or loses
//! one (`override_set` / `override_cleared`, detail naming the config list), then applies them
//! with the manual overrides by [`crate::logic::Override::combine`]. The manual `overrides` rows
//! are never touched.

use super::{Result, RunOptions, RunReport};
use serde::Serialize;
use std::collections::BTreeMap;
use systrade_model::{ConfiguredOverride, InstrumentCode};
use systrade_store::{StateTx, now_text};

/// One config override in the run summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigOverrideLine {
    pub instrument: String,
    /// `reduce-only` or `no-trading`.
    pub value: String,
    /// Which config list(s), e.g. `bad_markets in config`.
    pub reason: String,
    /// `new`, `changed`, `unchanged`, or `cleared` (no longer in the config).
    pub change: String,
}

/// Replaces the stored config overrides with `opts.config_overrides`, auditing every change, and
/// lists them (with the cleared ones) in the report.
pub(super) fn sync(tx: &StateTx<'_>, opts: &RunOptions, report: &mut RunReport) -> Result<()> {
    let run_id = opts.run_id.as_str();
    let at = now_text();
    let mut before: BTreeMap<InstrumentCode, ConfiguredOverride> = tx
        .config_overrides()?
        .into_iter()
        .map(|o| (o.instrument.clone(), o))
        .collect();
    let mut lines = Vec::new();
    for o in &opts.config_overrides {
        let i = o.instrument.as_str();
        let change = match before.remove(&o.instrument) {
            None => {
                tx.set_config_override(o, &at)?;
                tx.audit(
                    run_id,
                    "",
                    i,
                    "override_set",
                    &format!("{}: {}", o.value, o.reason),
                )?;
                "new"
            }
            Some(old) if old.value != o.value || old.reason != o.reason => {
                tx.set_config_override(o, &at)?;
                tx.audit(
                    run_id,
                    "",
                    i,
                    "override_set",
                    &format!(
                        "{}: {} (was {}: {})",
                        o.value, o.reason, old.value, old.reason
                    ),
                )?;
                "changed"
            }
            Some(_) => "unchanged",
        };
        lines.push(ConfigOverrideLine {
            instrument: i.to_string(),
            value: o.value.to_string(),
            reason: o.reason.clone(),
            change: change.into(),
        });
    }
    for (code, old) in before {
        tx.clear_config_override(&code)?;
        tx.audit(
            run_id,
            "",
            code.as_str(),
            "override_cleared",
            &format!("no longer in config (was {}: {})", old.value, old.reason),
        )?;
        lines.push(ConfigOverrideLine {
            instrument: code.as_str().to_string(),
            value: old.value.to_string(),
            reason: old.reason,
            change: "cleared".into(),
        });
    }
    lines.sort_by(|a, b| a.instrument.cmp(&b.instrument));
    for l in lines.iter().filter(|l| l.change != "unchanged") {
        tracing::info!(instrument = %l.instrument, "config override {}: {} ({})", l.change, l.value, l.reason);
    }
    report.config_overrides = lines;
    Ok(())
}
