//! The report sections (spec §6), each a list of tables.

use crate::Section;
use crate::data::{Data, InstrumentData};
use crate::render::{Cell, Table};
use chrono::{Datelike, NaiveDate, Weekday};
use std::collections::BTreeMap;
use systrade_ops::{formulas, process};
use systrade_store::state::positions::ContractPosition;
use systrade_store::state::process::{ProcessRun, RunStatus};
use systrade_store::{DataDir, StateReader};

pub(crate) struct Ctx<'a> {
    pub(crate) data: &'a Data,
    pub(crate) db: &'a StateReader,
    pub(crate) date: NaiveDate,
    pub(crate) stale_days: i64,
    /// The data directory (for the step locks of run-step).
    pub(crate) dir: DataDir,
    /// The run-step run this report is part of (`SYSTRADE_RUN_ID`), left out of the status so a
    /// report never lists itself as a running, locked step.
    pub(crate) own_run: Option<i64>,
}

/// run-step's runs, newest first, without the run of this report itself.
fn step_runs(ctx: &Ctx<'_>) -> anyhow::Result<Vec<ProcessRun>> {
    let mut runs = ctx.db.process_runs(0)?;
    if let Some(id) = ctx.own_run {
        runs.retain(|r| r.id != id);
    }
    Ok(runs)
}

/// What `report status` checks for its exit code: instruments whose prices are stale and steps
/// whose latest run failed (a refused or skipped step is not a failure).
#[derive(Debug, Default)]
pub(crate) struct Health {
    pub(crate) stale: Vec<String>,
    pub(crate) failed_steps: Vec<String>,
}

impl Health {
    pub(crate) fn is_healthy(&self) -> bool {
        self.stale.is_empty() && self.failed_steps.is_empty()
    }
}

pub(crate) fn health(ctx: &Ctx<'_>) -> anyhow::Result<Health> {
    let stale = ctx
        .data
        .instruments
        .iter()
        .filter(|i| is_stale(ctx, i))
        .map(|i| i.cfg.code.to_string())
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    let mut failed_steps = Vec::new();
    let runs = step_runs(ctx)?;
    for r in &runs {
        if seen.contains(&r.step.as_str()) {
            continue;
        }
        seen.push(&r.step);
        if r.status == RunStatus::Failed {
            failed_steps.push(r.step.clone());
        }
    }
    Ok(Health {
        stale,
        failed_steps,
    })
}

/// Whether run-step's lock of `step` is held by a live process.
fn step_lock_held(dir: &DataDir, step: &str) -> bool {
    let path = dir.step_lock_file(step);
    path.exists()
        && matches!(
            systrade_store::WriteLock::acquire(&path, std::time::Duration::ZERO),
            Err(systrade_store::StoreError::Locked { .. })
        )
}

pub(crate) fn build(ctx: &Ctx<'_>, s: Section) -> anyhow::Result<Vec<Table>> {
    match s {
        Section::Status => status(ctx),
        Section::Roll => roll(ctx),
        Section::Positions => positions(ctx),
        Section::Pnl => pnl(ctx),
        Section::Trades => trades(ctx),
        Section::Risk => risk(ctx),
        Section::Costs => Ok(vec![costs(ctx)]),
        Section::Liquidity => Ok(vec![liquidity(ctx)]),
        Section::MinCapital => Ok(vec![min_capital(ctx)]),
        Section::RemoveMarkets => Ok(vec![remove_markets(ctx)]),
    }
}

fn t(s: impl Into<String>) -> Cell {
    Cell::text(s)
}

/// Weekdays after `from` up to and including `to` (0 when `to <= from`).
fn business_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d = d.succ_opt().unwrap_or(d);
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            n += 1;
        }
    }
    n
}

fn is_stale(ctx: &Ctx<'_>, i: &InstrumentData) -> bool {
    i.last_price_date
        .is_none_or(|d| business_days_between(d, ctx.date) > ctx.stale_days)
}

fn total_capital(db: &StateReader) -> anyhow::Result<Option<f64>> {
    Ok(db.current_capital()?.map(|s| s.total_capital))
}

fn status(ctx: &Ctx<'_>) -> anyhow::Result<Vec<Table>> {
    let db = ctx.db;
    let runs = step_runs(ctx)?;
    let mut steps: Vec<String> = process::default_steps()
        .into_iter()
        .map(|s| s.name)
        .collect();
    for r in &runs {
        if !steps.contains(&r.step) {
            steps.push(r.step.clone());
        }
    }
    let mut proc = Table::new(
        "status-processes",
        "Process control and latest runs",
        &[
            "step",
            "control",
            "run_date",
            "outcome",
            "exit_code",
            "started_at",
            "finished_at",
            "summary",
        ],
    );
    for s in &steps {
        let last = runs.iter().find(|r| &r.step == s);
        proc.push(vec![
            t(s.clone()),
            t(db.control_status(s)?.as_str()),
            t(last.map(|r| r.run_date.to_string()).unwrap_or_default()),
            t(last.map_or("never run".to_string(), |r| r.status.to_string())),
            last.and_then(|r| r.exit_code)
                .map_or(Cell::Empty, |c| Cell::num(c as f64, 0)),
            t(last.map(|r| r.started_at.clone()).unwrap_or_default()),
            t(last.and_then(|r| r.finished_at.clone()).unwrap_or_default()),
            t(last.map(|r| r.summary.clone()).unwrap_or_default()),
        ]);
    }
    let mut hist = Table::new(
        "status-runs",
        "Step runs (latest 50)",
        &[
            "id",
            "step",
            "run_date",
            "outcome",
            "exit_code",
            "rows_fetched",
            "orders_placed",
            "summary",
        ],
    );
    for r in runs.iter().take(50) {
        hist.push(vec![
            Cell::num(r.id as f64, 0),
            t(r.step.clone()),
            t(r.run_date.to_string()),
            t(r.status.as_str()),
            r.exit_code.map_or(Cell::Empty, |c| Cell::num(c as f64, 0)),
            r.rows_fetched
                .map_or(Cell::Empty, |c| Cell::num(c as f64, 0)),
            r.orders_placed
                .map_or(Cell::Empty, |c| Cell::num(c as f64, 0)),
            t(r.summary.clone()),
        ]);
    }
    let mut cap = Table::new("status-capital", "Capital", &["item", "value"]);
    if let Some(s) = db.current_capital()? {
        cap.push(vec![t("total capital"), Cell::num(s.total_capital, 2)]);
        cap.push(vec![t("maximum"), Cell::num(s.maximum, 2)]);
        cap.push(vec![t("accumulated P&L"), Cell::num(s.acc_pnl, 2)]);
        cap.push(vec![t("account value"), Cell::opt(s.account_value, 2)]);
    }
    let pending = db.pending_capital_updates()?;
    if pending > 0 {
        cap.push(vec![
            t("updates waiting for confirmation"),
            Cell::num(pending as f64, 0),
        ]);
    }
    for s in db.strategy_capitals()? {
        cap.push(vec![
            t(format!("strategy {} (weight {})", s.strategy, s.weight)),
            Cell::num(s.capital, 2),
        ]);
    }
    let mut prices = Table::new(
        "status-prices",
        "Last price update per instrument",
        &[
            "instrument",
            "last_price_date",
            "business_days_old",
            "stale",
        ],
    );
    for i in &ctx.data.instruments {
        let age = i
            .last_price_date
            .map(|d| business_days_between(d, ctx.date));
        prices.push(vec![
            t(i.code()),
            t(i.last_price_date.map(|d| d.to_string()).unwrap_or_default()),
            Cell::opt(age.map(|a| a as f64), 0),
            t(if is_stale(ctx, i) { "STALE" } else { "" }),
        ]);
    }
    prices.note = Some(format!(
        "stale: last bar more than {} business days before {}",
        ctx.stale_days, ctx.date
    ));
    let mut locks = Table::new(
        "status-locks",
        "Locks: locked instruments and running steps",
        &["what", "name", "reason", "since"],
    );
    {
        for l in db.locks()? {
            locks.push(vec![
                t(format!("instrument ({})", l.source.as_str())),
                t(l.instrument.to_string()),
                t(l.reason),
                t(l.locked_at),
            ]);
        }
        for r in runs.iter().filter(|r| r.status == RunStatus::Running) {
            let what = if step_lock_held(&ctx.dir, &r.step) {
                "step running"
            } else {
                "step run without a live process (crashed?)"
            };
            locks.push(vec![
                t(what),
                t(r.step.clone()),
                t(format!("run {}", r.id)),
                t(r.started_at.clone()),
            ]);
        }
    }
    let mut limits = Table::new(
        "status-limits",
        "Trade and position limit usage",
        &[
            "kind",
            "strategy",
            "instrument",
            "period_days",
            "limit",
            "used",
            "usage_pct",
        ],
    );
    {
        for l in db.trade_limits()? {
            let (max, used) = (l.max_trades, l.traded);
            limits.push(vec![
                t("trades"),
                t(l.strategy),
                t(l.instrument.to_string()),
                Cell::num(l.period_days as f64, 0),
                Cell::num(max as f64, 0),
                Cell::num(used as f64, 0),
                Cell::opt((max > 0).then(|| 100.0 * used as f64 / max as f64), 1),
            ]);
        }
        for l in db.position_limits()? {
            let (s, i, max) = (l.strategy, l.instrument, l.max_position);
            let pos: i64 = if s.is_empty() {
                db.instrument_position(&i)?
            } else {
                db.strategy_position(&s, &i)?
            };
            limits.push(vec![
                t("position"),
                t(s),
                t(i.to_string()),
                Cell::Empty,
                Cell::num(max as f64, 0),
                Cell::num(pos.abs() as f64, 0),
                Cell::opt((max > 0).then(|| 100.0 * pos.abs() as f64 / max as f64), 1),
            ]);
        }
    }
    Ok(vec![proc, cap, prices, locks, limits, hist])
}

fn roll(ctx: &Ctx<'_>) -> anyhow::Result<Vec<Table>> {
    let db = ctx.db;
    let states = db.roll_states()?;
    let mut tb = Table::new(
        "roll",
        "Roll status",
        &[
            "instrument",
            "roll_state",
            "priced",
            "forward",
            "carry",
            "days_to_roll",
            "days_to_priced_expiry",
            "days_to_carry_expiry",
            "position_in_priced",
            "forward_volume_ratio",
        ],
    );
    for i in &ctx.data.instruments {
        let state = states
            .get(&i.cfg.code)
            .copied()
            .unwrap_or_default()
            .to_string();
        let Some(last) = i.multiple.last() else {
            tb.push(vec![
                t(i.code()),
                t(state),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ]);
            continue;
        };
        let days = |d: NaiveDate| Cell::num((d - ctx.date).num_days() as f64, 0);
        // Days to expiry: the exact expiry of a contract the broker resolved (contracts table),
        // else the roll configuration's approximation.
        let expiry = |c| -> anyhow::Result<Option<NaiveDate>> {
            Ok(db
                .contract_expiry(&i.cfg.code, c)?
                .or_else(|| i.roll.as_ref().map(|p| p.approx_expiry(c))))
        };
        let cell = |d: Option<NaiveDate>| d.map_or(Cell::Empty, days);
        let roll_days = i.roll.as_ref().map_or(Cell::Empty, |p| {
            days(p.desired_roll_date(last.price_contract))
        });
        let exp_days = cell(expiry(last.price_contract)?);
        let carry_days = cell(expiry(last.carry_contract)?);
        let pos = db.contract_position(&i.cfg.code, last.price_contract)?;
        tb.push(vec![
            t(i.code()),
            t(state),
            t(last.price_contract.to_string()),
            t(last.forward_contract.to_string()),
            t(last.carry_contract.to_string()),
            roll_days,
            exp_days,
            carry_days,
            Cell::num(pos as f64, 0),
            Cell::opt(
                relative_volume(i, last.price_contract, last.forward_contract),
                3,
            ),
        ]);
    }
    tb.note = Some("days_to_*_expiry: the exact expiry where the broker resolved the contract (contracts table), else approximated from the roll configuration; forward_volume_ratio: forward contract volume relative to priced (= 1), EWMA span 3 over the last 14 days".into());
    Ok(vec![tb])
}

/// Volume of `forward` relative to `priced`: EWMA (span 3) of each contract's daily volumes over the
/// 14 days up to the newest bar, forward ÷ priced (spec §6 roll report).
fn relative_volume(
    d: &InstrumentData,
    priced: systrade_model::ContractDate,
    forward: systrade_model::ContractDate,
) -> Option<f64> {
    let last = d.contracts.iter().map(|b| b.timestamp).max()?.date();
    let from = last - chrono::Duration::days(14);
    let vols = |c| {
        let mut v: Vec<_> = d
            .contracts
            .iter()
            .filter(|b| b.contract == c && b.timestamp.date() > from && b.volume.is_finite())
            .map(|b| (b.timestamp, b.volume))
            .collect();
        v.sort_by_key(|x| x.0);
        v.into_iter().map(|x| x.1).collect::<Vec<f64>>()
    };
    let p = formulas::ewma_last(&vols(priced), 3.0)?;
    let f = formulas::ewma_last(&vols(forward), 3.0).unwrap_or(0.0);
    (p > 0.0).then(|| f / p)
}

fn positions(ctx: &Ctx<'_>) -> anyhow::Result<Vec<Table>> {
    let db = ctx.db;
    let mut opt = Table::new(
        "positions-optimal",
        "Optimal positions (buffers) vs strategy positions",
        &[
            "strategy",
            "instrument",
            "lower",
            "upper",
            "position",
            "as_of",
            "status",
        ],
    );
    let strategy_positions = db.strategy_positions()?;
    for o in db.latest_optimal_positions()? {
        let pos = strategy_positions
            .iter()
            .find(|p| p.strategy == o.strategy && p.instrument == o.instrument)
            .map_or(0, |p| p.position);
        let (s, i, lo, hi, ts) = (
            o.strategy,
            o.instrument.to_string(),
            o.lower,
            o.upper,
            o.timestamp,
        );
        let p = pos as f64;
        let status = if p < lo.round() {
            "below buffer"
        } else if p > hi.round() {
            "above buffer"
        } else {
            "ok"
        };
        opt.push(vec![
            t(s),
            t(i),
            Cell::num(lo, 2),
            Cell::num(hi, 2),
            Cell::num(p, 0),
            t(ts),
            t(status),
        ]);
    }
    let mut rec = Table::new(
        "positions-reconcile",
        "Reconciliation: strategy positions vs contract positions",
        &[
            "instrument",
            "strategy_total",
            "contract_total",
            "contracts",
            "break",
        ],
    );
    let mut by_inst: BTreeMap<String, (i64, i64, Vec<String>)> = BTreeMap::new();
    for sp in &strategy_positions {
        by_inst.entry(sp.instrument.to_string()).or_default().0 += sp.position;
    }
    for cp in db.contract_positions()? {
        let (c, p) = (cp.contract, cp.position);
        let e = by_inst.entry(cp.instrument.to_string()).or_default();
        e.1 += p;
        if p != 0 {
            e.2.push(format!("{c}:{p}"));
        }
    }
    for (i, (s, c, list)) in by_inst {
        rec.push(vec![
            t(i),
            Cell::num(s as f64, 0),
            Cell::num(c as f64, 0),
            t(list.join(" ")),
            t(if s != c { "BREAK" } else { "" }),
        ]);
    }
    let mut tables = vec![opt, rec];
    tables.extend(optimiser(db)?);
    Ok(tables)
}

/// The dynamic optimiser's decision of each strategy whose latest size-positions run was
/// optimised (`sizing_runs`): its tracking errors and buffer decision, and per instrument the
/// unrounded optimal, held, greedy and optimised positions. No tables when no strategy is
/// optimised (a classic run after an optimised one hides it too).
fn optimiser(db: &StateReader) -> anyhow::Result<Vec<Table>> {
    let runs: Vec<_> = db
        .latest_sizing_runs()?
        .into_iter()
        .filter_map(|r| r.optimisation.map(|o| (r.strategy, r.date, o)))
        .collect();
    if runs.is_empty() {
        return Ok(Vec::new());
    }
    let mut decision = Table::new(
        "positions-optimiser",
        "Dynamic optimisation: tracking error vs the unrounded optimal positions (latest run)",
        &[
            "strategy",
            "date",
            "te_prior_vs_optimal",
            "te_optimised_vs_optimal",
            "buffer_decision",
            "adj_factor",
            "traded",
            "te_greedy_vs_optimal",
            "te_prior_vs_greedy",
            "n_valid_keys",
            "failure",
        ],
    );
    decision.note = Some(
        "Annualised tracking errors as fractions of capital: of the held positions (prior) and \
         of the optimised targets against the optimal ones; adj_factor is the part of the move \
         to the greedy result that was traded."
            .to_string(),
    );
    let mut positions = Table::new(
        "positions-optimised",
        "Dynamic optimisation: optimal vs optimised positions (latest run)",
        &[
            "strategy",
            "instrument",
            "optimal",
            "held",
            "greedy",
            "optimised",
            "trade",
            "constraint",
        ],
    );
    for (strategy, date, o) in &runs {
        decision.push(vec![
            t(strategy.as_str()),
            t(date.to_string()),
            Cell::num(o.te_prior_vs_optimal, 4),
            Cell::num(o.te_optimised_vs_optimal, 4),
            t(o.buffer_decision.as_str()),
            Cell::num(o.adj_factor, 3),
            t(if o.traded { "yes" } else { "no" }),
            Cell::num(o.te_greedy_vs_optimal, 4),
            Cell::num(o.te_prior_vs_greedy, 4),
            Cell::num(o.n_valid_keys as f64, 0),
            t(o.failure.clone().unwrap_or_default()),
        ]);
        for p in &o.instruments {
            let mut constraint = Vec::new();
            if p.dont_trade {
                constraint.push("no trade".to_string());
            }
            if p.reduce_only {
                constraint.push("reduce only".to_string());
            }
            if let Some(l) = p.position_limit_contracts {
                constraint.push(format!("limit {l}"));
            }
            positions.push(vec![
                t(strategy.as_str()),
                t(p.instrument.to_string()),
                Cell::num(p.optimal_position, 3),
                Cell::num(p.previous_position as f64, 0),
                Cell::num(p.greedy_position, 3),
                Cell::num(p.optimised_position as f64, 0),
                Cell::num((p.optimised_position - p.previous_position) as f64, 0),
                t(constraint.join(", ")),
            ]);
        }
    }
    Ok(vec![decision, positions])
}

/// P&L of each fill marked to the latest close of its contract:
/// `quantity × (mark − fill price) × pointsize × fx`.
fn pnl(ctx: &Ctx<'_>) -> anyhow::Result<Vec<Table>> {
    let db = ctx.db;
    let capital = total_capital(db)?;
    let positions = db.contract_positions()?;
    let mut per: BTreeMap<String, (f64, i64)> = BTreeMap::new();
    for f in db.fills()? {
        let Some(price) = f.price else { continue };
        let (i, q) = (f.instrument.to_string(), f.quantity);
        let Some(d) = ctx.data.get(&i) else { continue };
        let mark = d.contract_close(f.contract.id());
        let (Some(mark), Some(pb)) = (mark, d.pointsize_base()) else {
            continue;
        };
        let e = per.entry(i).or_default();
        e.0 += q as f64 * (mark - price) * pb;
        e.1 += 1;
    }
    let mut by_inst = Table::new(
        "pnl-instrument",
        "P&L by instrument (fills marked to the latest close, USD)",
        &[
            "instrument",
            "asset_class",
            "fills",
            "pnl",
            "pct_of_capital",
            "pnl_last_day",
        ],
    )
    .with_chart(0, 3);
    let mut by_class: BTreeMap<String, f64> = BTreeMap::new();
    let mut total = 0.0;
    for (i, (p, n)) in &per {
        let class = ctx
            .data
            .get(i)
            .map_or(String::new(), |d| d.cfg.asset_class.clone());
        *by_class.entry(class.clone()).or_default() += p;
        total += p;
        by_inst.push(vec![
            t(i.clone()),
            t(class),
            Cell::num(*n as f64, 0),
            Cell::num(*p, 2),
            Cell::opt(capital.filter(|c| *c > 0.0).map(|c| 100.0 * p / c), 3),
            Cell::opt(last_day_pnl(&positions, ctx.data.get(i)), 2),
        ]);
    }
    let mut cls = Table::new(
        "pnl-asset-class",
        "P&L by asset class (USD)",
        &["asset_class", "pnl", "pct_of_capital"],
    )
    .with_chart(0, 1);
    for (c, p) in &by_class {
        cls.push(vec![
            t(c.clone()),
            Cell::num(*p, 2),
            Cell::opt(capital.filter(|c| *c > 0.0).map(|c| 100.0 * p / c), 3),
        ]);
    }
    cls.note = Some(format!("total futures P&L {total:.2} USD"));
    Ok(vec![by_inst, cls])
}

/// P&L of the current contract positions over the last bar:
/// `Σ position × (last close − previous close) × pointsize × fx`.
fn last_day_pnl(positions: &[ContractPosition], d: Option<&InstrumentData>) -> Option<f64> {
    let d = d?;
    let pb = d.pointsize_base()?;
    let mut total = 0.0;
    for p in positions
        .iter()
        .filter(|p| p.instrument == d.cfg.code && p.position != 0)
    {
        total += p.position as f64 * d.contract_last_move(p.contract.id())? * pb;
    }
    Some(total)
}

/// Slippage against the reference price, positive = cost: `(fill − reference) × sign(quantity)`;
/// cash `× |quantity| × pointsize × fx`; vol-normalised `÷ (price × annual %std / 100)`.
fn trades(ctx: &Ctx<'_>) -> anyhow::Result<Vec<Table>> {
    let db = ctx.db;
    let mut tb = Table::new(
        "trades",
        "Trades and slippage vs reference price",
        &[
            "fill_datetime",
            "strategy",
            "instrument",
            "contract",
            "quantity",
            "fill_price",
            "reference_price",
            "slippage",
            "slippage_cash",
            "slippage_vol_norm",
        ],
    );
    let mut total_cash = 0.0;
    for f in db.fills()? {
        let (at, s, i, c, q, fill, reference) = (
            f.fill_datetime,
            f.strategy,
            f.instrument.to_string(),
            f.contract.to_string(),
            f.quantity,
            f.price,
            f.reference_price,
        );
        let d = ctx.data.get(&i);
        let slip = fill
            .zip(reference)
            .map(|(f, r)| (f - r) * (q.signum() as f64));
        let cash = slip
            .zip(d.and_then(InstrumentData::pointsize_base))
            .map(|(s, pb)| s * q.abs() as f64 * pb);
        total_cash += cash.unwrap_or(0.0);
        let norm = slip
            .zip(d.and_then(|d| d.price.zip(d.annual_pct_std)))
            .and_then(|(s, (p, v))| {
                let denom = p * v / 100.0;
                (denom > 0.0).then(|| s / denom)
            });
        tb.push(vec![
            t(at),
            t(s),
            t(i),
            t(c),
            Cell::num(q as f64, 0),
            Cell::opt(fill, 4),
            Cell::opt(reference, 4),
            Cell::opt(slip, 4),
            Cell::opt(cash, 2),
            Cell::opt(norm, 5),
        ]);
    }
    tb.note = Some(format!(
        "{} fills; total slippage cost {total_cash:.2} USD",
        tb.rows.len()
    ));
    Ok(vec![tb])
}

fn risk(ctx: &Ctx<'_>) -> anyhow::Result<Vec<Table>> {
    let db = ctx.db;
    let capital = total_capital(db)?;
    let insts: Vec<&InstrumentData> = ctx.data.instruments.iter().collect();
    let mut tb = Table::new(
        "risk-instrument",
        "Instrument risk",
        &[
            "instrument",
            "asset_class",
            "price",
            "daily_pct_std",
            "annual_pct_std",
            "position",
            "contract_value_usd",
            "exposure_usd",
            "annual_risk_usd",
            "risk_pct_of_capital",
        ],
    )
    .with_chart(0, 8);
    let mut weights = Vec::new();
    let mut stds = Vec::new();
    let mut by_class: BTreeMap<String, f64> = BTreeMap::new();
    for d in &insts {
        let pos = db.instrument_position(&d.cfg.code)? as f64;
        let value = d.price.zip(d.pointsize_base()).map(|(p, pb)| p * pb);
        let exposure = value.map(|v| v * pos);
        let risk = exposure
            .zip(d.annual_pct_std)
            .map(|(e, s)| e.abs() * s / 100.0);
        *by_class.entry(d.cfg.asset_class.clone()).or_default() += risk.unwrap_or(0.0);
        weights.push(match (exposure, capital) {
            (Some(e), Some(c)) if c > 0.0 => e / c,
            _ => 0.0,
        });
        stds.push(d.annual_pct_std.unwrap_or(0.0) / 100.0);
        tb.push(vec![
            t(d.code()),
            t(d.cfg.asset_class.clone()),
            Cell::opt(d.price, 4),
            Cell::opt(d.annual_pct_std.map(|s| s / 16.0), 3),
            Cell::opt(d.annual_pct_std, 2),
            Cell::num(pos, 0),
            Cell::opt(value, 2),
            Cell::opt(exposure, 2),
            Cell::opt(risk, 2),
            Cell::opt(
                risk.zip(capital.filter(|c| *c > 0.0))
                    .map(|(r, c)| 100.0 * r / c),
                3,
            ),
        ]);
    }
    // correlations over common dates
    let n = insts.len();
    let mut corr = vec![vec![0.0; n]; n];
    let mut ct = Table::new(
        "risk-correlations",
        "Instrument return correlations",
        &std::iter::once("instrument")
            .chain(insts.iter().map(|d| d.code()))
            .collect::<Vec<_>>(),
    );
    for a in 0..n {
        let mut row = vec![t(insts[a].code())];
        for b in 0..n {
            let c = if a == b {
                Some(1.0)
            } else {
                let (x, y): (Vec<f64>, Vec<f64>) = insts[a]
                    .returns
                    .iter()
                    .filter_map(|(d, r)| insts[b].returns.get(d).map(|s| (*r, *s)))
                    .unzip();
                formulas::correlation(&x, &y)
            };
            corr[a][b] = c.unwrap_or(0.0);
            row.push(Cell::opt(c, 3));
        }
        ct.push(row);
    }
    let mut summary = Table::new("risk-portfolio", "Portfolio risk", &["item", "value"]);
    let port = formulas::portfolio_std(&weights, &stds, &corr);
    summary.push(vec![
        t("expected annualised portfolio std (% of capital)"),
        Cell::opt(capital.map(|_| 100.0 * port), 2),
    ]);
    summary.push(vec![t("total capital"), Cell::opt(capital, 2)]);
    let net: f64 = weights.iter().sum();
    let gross: f64 = weights.iter().map(|w| w.abs()).sum();
    summary.push(vec![
        t("net exposure (% of capital)"),
        Cell::opt(capital.map(|_| 100.0 * net), 2),
    ]);
    summary.push(vec![
        t("gross exposure (% of capital)"),
        Cell::opt(capital.map(|_| 100.0 * gross), 2),
    ]);
    for (c, r) in by_class {
        summary.push(vec![t(format!("annual risk, {c} (USD)")), Cell::num(r, 2)]);
    }
    if capital.is_none() {
        summary.note = Some("no capital set: run `run-step capital set AMOUNT`".into());
    }
    Ok(vec![summary, tb, ct])
}

fn cost_inputs(d: &InstrumentData) -> Option<(f64, f64)> {
    let price = d.price?;
    let slip = d.slippage.unwrap_or(0.0);
    let c = formulas::cost_per_trade_price_units(
        slip,
        price,
        d.cfg.pointsize,
        d.cfg.per_block,
        d.cfg.percentage,
        d.cfg.per_trade,
    );
    Some((c, formulas::sr_cost_per_trade(c, price, d.annual_pct_std?)?))
}

fn costs(ctx: &Ctx<'_>) -> Table {
    let mut tb = Table::new(
        "costs",
        "Costs per trade (configured slippage and commission)",
        &[
            "instrument",
            "slippage",
            "per_block",
            "percentage",
            "per_trade",
            "cost_price_units",
            "sr_cost_per_trade",
        ],
    )
    .with_chart(0, 6);
    for d in &ctx.data.instruments {
        let c = cost_inputs(d);
        tb.push(vec![
            t(d.code()),
            Cell::opt(d.slippage, 6),
            Cell::num(d.cfg.per_block, 2),
            Cell::num(d.cfg.percentage, 6),
            Cell::num(d.cfg.per_trade, 2),
            Cell::opt(c.map(|c| c.0), 6),
            Cell::opt(c.map(|c| c.1), 5),
        ]);
    }
    tb
}

/// Average daily volume of the priced contract over its last 10 bars (two weeks).
fn volume(d: &InstrumentData) -> Option<f64> {
    let c = d.multiple.last()?.price_contract;
    let v: Vec<f64> = d
        .contracts
        .iter()
        .filter(|b| b.contract == c && b.volume.is_finite())
        .map(|b| b.volume)
        .collect();
    let tail = &v[v.len().saturating_sub(10)..];
    (!tail.is_empty()).then(|| tail.iter().sum::<f64>() / tail.len() as f64)
}

fn volume_risk(d: &InstrumentData) -> Option<f64> {
    Some(formulas::volume_risk(
        volume(d)?,
        d.pointsize_base()?,
        d.price?,
        d.annual_pct_std?,
    ))
}

fn liquidity(ctx: &Ctx<'_>) -> Table {
    let mut tb = Table::new(
        "liquidity",
        "Liquidity (priced contract, last 2 weeks)",
        &[
            "instrument",
            "contracts_per_day",
            "risk_usd_m_per_day",
            "flags",
        ],
    )
    .with_chart(0, 2);
    for d in &ctx.data.instruments {
        let v = volume(d);
        let r = volume_risk(d);
        let mut flags = Vec::new();
        if v.is_some_and(|v| v < formulas::MIN_VOLUME_CONTRACTS) {
            flags.push("< 100 contracts/day");
        }
        if r.is_some_and(|r| r < formulas::MIN_VOLUME_RISK_USD) {
            flags.push("< $1.5m risk/day");
        }
        tb.push(vec![
            t(d.code()),
            Cell::opt(v, 1),
            Cell::opt(r.map(|r| r / 1e6), 3),
            t(flags.join("; ")),
        ]);
    }
    tb
}

fn min_capital(ctx: &Ctx<'_>) -> Table {
    let mut tb = Table::new(
        "min-capital",
        "Minimum capital (4 contracts at risk target 25%, IDM 2.5, weight 4%)",
        &[
            "instrument",
            "pointsize_usd",
            "price",
            "annual_pct_std",
            "single_contract_min",
            "min_capital",
        ],
    )
    .with_chart(0, 5);
    for d in &ctx.data.instruments {
        let m = d
            .pointsize_base()
            .zip(d.price)
            .zip(d.annual_pct_std)
            .map(|((pb, p), s)| formulas::min_capital(pb, p, s));
        tb.push(vec![
            t(d.code()),
            Cell::opt(d.pointsize_base(), 4),
            Cell::opt(d.price, 4),
            Cell::opt(d.annual_pct_std, 2),
            Cell::opt(m.map(|m| m.0), 0),
            Cell::opt(m.map(|m| m.1), 0),
        ]);
    }
    tb
}

fn remove_markets(ctx: &Ctx<'_>) -> Table {
    let mut tb = Table::new(
        "remove-markets",
        "Markets to remove (SR cost > 0.01, < 100 contracts/day, < $1.5m risk/day, annual std < 5%)",
        &["instrument", "reasons"],
    );
    let mut bad = Vec::new();
    for d in &ctx.data.instruments {
        let reasons = formulas::removal_reasons(
            cost_inputs(d).map(|c| c.1),
            volume(d).unwrap_or(0.0),
            volume_risk(d).unwrap_or(0.0),
            d.annual_pct_std,
            false,
        );
        if !reasons.is_empty() {
            bad.push(d.code().to_string());
            tb.push(vec![t(d.code()), t(reasons.join("; "))]);
        }
    }
    tb.note = Some(format!("bad_markets: [{}]", bad.join(", ")));
    tb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_days() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Fri 2023-08-25 -> Mon 2023-08-28: one business day
        assert_eq!(business_days_between(d("2023-08-25"), d("2023-08-28")), 1);
        assert_eq!(business_days_between(d("2023-08-28"), d("2023-08-28")), 0);
        assert_eq!(business_days_between(d("2023-08-21"), d("2023-08-28")), 5);
    }
}
