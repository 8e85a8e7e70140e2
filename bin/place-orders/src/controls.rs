//! Risk controls: `overrides`, `limits` and `locks` (each change audited).

use crate::output::scope;
use crate::{Args, LimitKind, LimitsAction, LocksAction, OverridesAction, Scope, usage};
use systrade_cli::output::columns;
use systrade_cli::{ExitCode, OutputFormat, Printer, Value};
use systrade_model::{ConfiguredOverride, InstrumentCode};
use systrade_store::state::controls::LockSource;
use systrade_store::{StateWriter, now_text};

pub(crate) fn scope_strings(
    scope: &Scope,
    need_instrument: bool,
) -> anyhow::Result<(String, String)> {
    let s = scope.strategy.clone().unwrap_or_default();
    let i = scope.instrument.clone().unwrap_or_default();
    if need_instrument && i.is_empty() {
        return Err(usage("--instrument is required"));
    }
    if s.is_empty() && i.is_empty() {
        return Err(usage("give --strategy, --instrument or both"));
    }
    if !i.is_empty() {
        InstrumentCode::new(&i).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok((s, i))
}

/// The `overrides` subcommands; the listing shows the manual overrides (source `manual`) and
/// those `configured` implies now (source: the config list), which the next order run applies.
pub(crate) fn overrides(
    db: &mut StateWriter,
    action: &OverridesAction,
    fmt: OutputFormat,
    run_id: &str,
    configured: &[ConfiguredOverride],
) -> anyhow::Result<ExitCode> {
    let at = now_text();
    match action {
        OverridesAction::Set { scope, value } => {
            let (s, i) = scope_strings(scope, false)?;
            db.transaction(|tx| {
                tx.set_override(&s, &i, *value, &at)?;
                tx.audit(run_id, &s, &i, "override_set", &value.to_string())
            })?;
        }
        OverridesAction::Clear { scope } => {
            let (s, i) = scope_strings(scope, false)?;
            db.transaction(|tx| {
                if tx.clear_override(&s, &i)? > 0 {
                    tx.audit(run_id, &s, &i, "override_cleared", "")?;
                }
                Ok::<_, systrade_store::StoreError>(())
            })?;
        }
        OverridesAction::List => {}
    }
    let list = db.overrides()?;
    let mut out = Printer::stdout(fmt);
    out.table(
        "overrides",
        "Overrides",
        columns(&["strategy", "instrument", "override", "source"]),
    )?;
    for o in &list {
        out.row(vec![
            scope(&o.strategy),
            scope(&o.instrument),
            Value::text(&o.value),
            Value::text("manual"),
        ])?;
    }
    for c in configured {
        out.row(vec![
            Value::Null,
            Value::text(&c.instrument),
            Value::text(c.value.to_string()),
            Value::text(&c.reason),
        ])?;
    }
    out.finish()?;
    Ok(ExitCode::Success)
}

pub(crate) fn limits(
    db: &mut StateWriter,
    action: &LimitsAction,
    fmt: OutputFormat,
    run_id: &str,
    args: &Args,
) -> anyhow::Result<ExitCode> {
    let at = now_text();
    let today = match args.run.date {
        Some(d) => d,
        None => systrade_cli::today()?,
    }
    .format("%Y-%m-%d")
    .to_string();
    match action {
        LimitsAction::Position { scope, max } => {
            let (s, i) = scope_strings(scope, true)?;
            let code = InstrumentCode::new(&i)?;
            db.transaction(|tx| {
                tx.set_position_limit(&s, &code, i64::from(*max), &at)?;
                tx.audit(run_id, &s, &i, "position_limit_set", &max.to_string())
            })?;
        }
        LimitsAction::Trade {
            scope,
            period_days,
            max,
        } => {
            let (s, i) = scope_strings(scope, true)?;
            if *period_days == 0 {
                return Err(usage("--period-days must be at least 1"));
            }
            let code = InstrumentCode::new(&i)?;
            db.transaction(|tx| {
                tx.set_trade_limit(
                    &s,
                    &code,
                    i64::from(*period_days),
                    i64::from(*max),
                    &today,
                    &at,
                )?;
                tx.audit(
                    run_id,
                    &s,
                    &i,
                    "trade_limit_set",
                    &format!("{max} per {period_days} day(s)"),
                )
            })?;
        }
        LimitsAction::Clear { scope, kind } => {
            let (s, i) = scope_strings(scope, true)?;
            let code = InstrumentCode::new(&i)?;
            db.transaction(|tx| {
                let (cleared, event) = match kind {
                    LimitKind::Position => (
                        tx.clear_position_limit(&s, &code)?,
                        "position_limits_cleared",
                    ),
                    LimitKind::Trade => (tx.clear_trade_limits(&s, &code)?, "trade_limits_cleared"),
                };
                if cleared > 0 {
                    tx.audit(run_id, &s, &i, event, "")?;
                }
                Ok::<_, systrade_store::StoreError>(())
            })?;
        }
        LimitsAction::List => {}
    }
    let p = db.position_limits()?;
    let t = db.trade_limits()?;
    let mut out = Printer::stdout(fmt);
    out.table(
        "limits",
        "Limits",
        columns(&[
            "kind",
            "strategy",
            "instrument",
            "max",
            "period_days",
            "traded",
            "last_reset",
        ]),
    )?;
    for l in &p {
        out.row(vec![
            "position".into(),
            scope(&l.strategy),
            Value::text(&l.instrument),
            l.max_position.into(),
            Value::Null,
            Value::Null,
            Value::Null,
        ])?;
    }
    for l in &t {
        out.row(vec![
            "trade".into(),
            scope(&l.strategy),
            Value::text(&l.instrument),
            l.max_trades.into(),
            l.period_days.into(),
            l.traded.into(),
            Value::text(&l.last_reset),
        ])?;
    }
    out.finish()?;
    Ok(ExitCode::Success)
}

pub(crate) fn locks(
    db: &mut StateWriter,
    action: &LocksAction,
    fmt: OutputFormat,
    run_id: &str,
) -> anyhow::Result<ExitCode> {
    let at = now_text();
    match action {
        LocksAction::Add { instrument, reason } => {
            let code = InstrumentCode::new(instrument).map_err(|e| anyhow::anyhow!("{e}"))?;
            db.transaction(|tx| {
                // A manual lock replaces a reconciliation lock (it must then be cleared by hand).
                tx.remove_lock(&code, Some(LockSource::Reconciliation))?;
                tx.add_lock(&code, LockSource::Manual, reason, &at)?;
                tx.audit(run_id, "", instrument, "lock", &format!("manual: {reason}"))
            })?;
        }
        LocksAction::Clear { instrument } => {
            // Anything else is not an instrument code and so has no lock.
            if let Ok(code) = InstrumentCode::new(instrument) {
                db.transaction(|tx| {
                    if tx.remove_lock(&code, None)? {
                        tx.audit(run_id, "", instrument, "unlock", "cleared by hand")?;
                    }
                    Ok::<_, systrade_store::StoreError>(())
                })?;
            }
        }
        LocksAction::List => {}
    }
    let l = db.locks()?;
    let mut out = Printer::stdout(fmt);
    out.table(
        "locks",
        "Locks",
        columns(&["instrument", "source", "reason", "locked_at"]),
    )?;
    for k in &l {
        out.row(vec![
            Value::text(&k.instrument),
            Value::text(k.source.as_str()),
            Value::text(&k.reason),
            Value::text(&k.locked_at),
        ])?;
    }
    out.finish()?;
    Ok(ExitCode::Success)
}
