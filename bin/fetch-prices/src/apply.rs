//! Writing, under the data directory's write lock: clean, merge, spike-check and write each
//! instrument; append revisions to `logs/price-revisions.csv`.

use crate::Args;
use crate::fetch::{Fetched, Payload};
use crate::output::{Status, Update};
use anyhow::Context;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use systrade_cli::{Outcomes, Progress};
use systrade_model::{ContractBar, ContractDate, InstrumentCode, PriceSeries, Timestamp};
use systrade_sources::bar::{Bar, ContractSeries, FxPoint, FxSeries};
use systrade_sources::clean::{CleanOptions, clean_bars, clean_fx};
use systrade_sources::merge::{Merged, Row, merge_rows};
use systrade_sources::spike::{Spike, find_spikes};
use systrade_store::state::contracts::ResolvedContract;
use systrade_store::{ContractClose, SeriesKind, Store, StoreError, Writer};

const REVISIONS_HEADER: &str = "recorded_at,instrument,contract,timestamp,field,old,new";

/// Settings of the merge step.
#[derive(Debug, Clone, Copy)]
pub struct MergeSettings {
    pub clean: CleanOptions,
    pub revise_days: u32,
    pub max_spike: f64,
    pub accept_spikes: bool,
}

/// What merging one instrument produced: the rows to write (None = nothing changed), the outcome
/// line, and revision-log lines (without the `recorded_at` column).
#[derive(Debug)]
pub struct ContractMerge {
    pub rows: Option<Vec<ContractBar>>,
    pub added: usize,
    pub revised: usize,
    pub dropped: usize,
    pub last: Option<Timestamp>,
    /// `contract: message` per quarantined contract.
    pub quarantined: Vec<String>,
    pub revisions: Vec<String>,
}

/// Merges fetched contract series into an instrument's stored bars (pure; no I/O). Each contract is
/// cleaned, merged (new bars only, plus the revision window), and spike-checked on its close; a
/// contract with a spike is left as stored unless spikes are accepted. The daily case (only bars
/// newer than everything stored) appends to the stored rows without re-sorting them.
pub fn merge_contracts(
    instrument: &InstrumentCode,
    stored: Vec<ContractBar>,
    fetched: &[ContractSeries],
    s: &MergeSettings,
) -> ContractMerge {
    let plan = plan_merge(
        stored
            .iter()
            .map(|b| (b.contract, Bar::from_contract_bar(b))),
        fetched,
        s,
    );
    plan.log_spikes(instrument, s);
    plan.into_merge(instrument, stored)
}

/// A stored bar with only its close known (the other values `NaN`): enough for [`plan_merge`]
/// without a revision window, which looks only at timestamps and closes of stored bars.
fn close_only(c: &ContractClose) -> (ContractDate, Bar) {
    (
        c.contract,
        Bar {
            timestamp: c.timestamp,
            open: f64::NAN,
            high: f64::NAN,
            low: f64::NAN,
            close: c.close,
            volume: f64::NAN,
        },
    )
}

/// What merging decided before any row is built: per contract the merged series, the spikes, and
/// the outcome counts.
struct MergePlan {
    result: ContractMerge,
    stored_last: Option<Timestamp>,
    /// Stored bars per fetched contract.
    n_old: BTreeMap<ContractDate, usize>,
    updated: Vec<(ContractDate, Merged<Bar>)>,
    spikes: Vec<(ContractDate, Vec<Spike>)>,
}

/// Cleans, merges and spike-checks each fetched contract against the stored bars `stored` (time
/// order, as `(contract, bar)`).
fn plan_merge(
    stored: impl Iterator<Item = (ContractDate, Bar)>,
    fetched: &[ContractSeries],
    s: &MergeSettings,
) -> MergePlan {
    let mut stored_last: Option<Timestamp> = None;
    // Stored bars of the fetched contracts only, in time order.
    let mut old: BTreeMap<ContractDate, Vec<Bar>> =
        fetched.iter().map(|f| (f.contract, Vec::new())).collect();
    for (c, b) in stored {
        stored_last = stored_last.max(Some(b.timestamp));
        if let Some(v) = old.get_mut(&c) {
            v.push(b);
        }
    }
    let mut result = ContractMerge {
        rows: None,
        added: 0,
        revised: 0,
        dropped: 0,
        last: stored_last,
        quarantined: Vec::new(),
        revisions: Vec::new(),
    };
    let mut updated: Vec<(ContractDate, Merged<Bar>)> = Vec::new();
    let mut all_spikes = Vec::new();
    for series in fetched {
        let (clean, report) = clean_bars(&series.bars, &s.clean);
        result.dropped += report.dropped();
        let before: &[Bar] = old.get(&series.contract).map_or(&[], Vec::as_slice);
        let m = merge_rows(before, &clean, revise_from(before, s.revise_days));
        if !m.changed() {
            continue;
        }
        let ts: Vec<Timestamp> = m.rows.iter().map(|b| b.timestamp).collect();
        let closes: Vec<f64> = m.rows.iter().map(|b| b.close).collect();
        let spikes = find_spikes(&ts, &closes, m.first_changed, s.max_spike);
        if !spikes.is_empty() {
            let first = spikes[0];
            let n = spikes.len();
            all_spikes.push((series.contract, spikes));
            if !s.accept_spikes {
                result.quarantined.push(format!(
                    "{}: {} spike(s) from {}: {} -> {} = {:.1}x the average move",
                    series.contract, n, first.timestamp, first.previous, first.value, first.ratio
                ));
                continue;
            }
        }
        result.added += m.added;
        result.revised += m.revisions.len();
        updated.push((series.contract, m));
    }
    MergePlan {
        result,
        stored_last,
        n_old: old.into_iter().map(|(c, v)| (c, v.len())).collect(),
        updated,
        spikes: all_spikes,
    }
}

impl MergePlan {
    fn log_spikes(&self, instrument: &InstrumentCode, s: &MergeSettings) {
        for (contract, spikes) in &self.spikes {
            for sp in spikes {
                tracing::warn!(
                    instrument = %instrument,
                    contract = %contract,
                    "price spike at {}: {} -> {} ({:.1} x the average daily move, limit {})",
                    sp.timestamp, sp.previous, sp.value, sp.ratio, s.max_spike
                );
            }
        }
    }

    fn n_old(&self, c: &ContractDate) -> usize {
        self.n_old.get(c).copied().unwrap_or(0)
    }

    /// Only bars newer than every stored bar are added (the daily case).
    fn appends_only(&self) -> bool {
        self.updated.iter().all(|(c, m)| {
            let n_old = self.n_old(c);
            m.revisions.is_empty()
                && m.first_changed == n_old
                && m.rows[n_old..]
                    .iter()
                    .all(|b| self.stored_last.is_none_or(|l| b.timestamp > l))
        })
    }

    /// The added bars of every contract, in (timestamp, contract) order.
    fn new_rows(&self) -> Vec<ContractBar> {
        let mut new: Vec<ContractBar> = self
            .updated
            .iter()
            .flat_map(|(c, m)| {
                let n_old = self.n_old(c);
                m.rows[n_old..].iter().map(|b| b.with_contract(*c))
            })
            .collect();
        new.sort_by_key(|b| (b.timestamp, b.contract));
        new
    }

    /// The outcome with the rows to write, built from the full stored bars `stored`.
    fn into_merge(
        mut self,
        instrument: &InstrumentCode,
        stored: Vec<ContractBar>,
    ) -> ContractMerge {
        self.record_revisions(instrument);
        if self.updated.is_empty() {
            return self.result;
        }
        let rows = if self.appends_only() {
            let mut rows = stored;
            rows.extend(self.new_rows());
            rows
        } else {
            let replaced: std::collections::HashSet<ContractDate> =
                self.updated.iter().map(|(c, _)| *c).collect();
            let mut rows: Vec<ContractBar> = stored
                .into_iter()
                .filter(|b| !replaced.contains(&b.contract))
                .collect();
            for (c, m) in &self.updated {
                rows.extend(m.rows.iter().map(|b| b.with_contract(*c)));
            }
            rows.sort_by_key(|b| (b.timestamp, b.contract));
            rows
        };
        self.result.last = rows.last().map(|b| b.timestamp);
        self.result.rows = Some(rows);
        self.result
    }

    /// The outcome without rows (nothing to build: no update, or appended by the caller).
    fn into_result(mut self, instrument: &InstrumentCode) -> ContractMerge {
        self.record_revisions(instrument);
        self.result
    }

    fn record_revisions(&mut self, instrument: &InstrumentCode) {
        for (c, m) in &self.updated {
            for r in &m.revisions {
                revision_lines(
                    instrument.as_str(),
                    &c.to_string(),
                    r.old.timestamp,
                    &[
                        ("open", r.old.open, r.new.open),
                        ("high", r.old.high, r.new.high),
                        ("low", r.old.low, r.new.low),
                        ("close", r.old.close, r.new.close),
                        ("volume", r.old.volume, r.new.volume),
                    ],
                    &mut self.result.revisions,
                );
            }
        }
    }
}

fn revise_from<T: Row>(old: &[T], revise_days: u32) -> Option<Timestamp> {
    if revise_days == 0 {
        return None;
    }
    let last = old.last()?.timestamp();
    let from = systrade_model::contract::shift_days(last.date(), -i64::from(revise_days));
    Some(Timestamp::from_date(from))
}

fn revision_lines(
    name: &str,
    contract: &str,
    t: Timestamp,
    fields: &[(&str, f64, f64)],
    out: &mut Vec<String>,
) {
    let show = |v: f64| {
        if v.is_nan() {
            String::new()
        } else {
            v.to_string()
        }
    };
    for (field, old, new) in fields {
        let same = old == new || (old.is_nan() && new.is_nan());
        if !same {
            out.push(format!(
                "{name},{contract},{t},{field},{},{}",
                show(*old),
                show(*new)
            ));
        }
    }
}

/// Merges, checks and writes everything fetched; records each written instrument's outcome (those
/// that failed to fetch were recorded then).
pub(crate) fn apply_all(
    args: &Args,
    store: &Store,
    today: NaiveDate,
    fetched: Vec<Fetched>,
    outcomes_log: &Outcomes,
    resolved: &[ResolvedContract],
) -> anyhow::Result<Vec<Update>> {
    let settings = MergeSettings {
        clean: CleanOptions {
            today,
            drop_zero_volume: args.drop_zero_volume,
        },
        revise_days: args.revise_days,
        max_spike: args.max_spike,
        accept_spikes: args.accept_spikes,
    };
    let mut outcomes: Vec<Option<Update>> = Vec::with_capacity(fetched.len());
    let mut work: Vec<(usize, String, Payload)> = Vec::new();
    for (i, f) in fetched.into_iter().enumerate() {
        match f.result {
            Ok(p) => {
                outcomes.push(None);
                work.push((i, f.job.name, p));
            }
            Err(e) => outcomes.push(Some(Update::failed(&f.job.name, e.message, e.unavailable))),
        }
    }
    if !work.is_empty() {
        let writer = store
            .lock_for_writing(Duration::from_secs_f64(args.lock_timeout.max(0.0)))
            .map_err(|e| {
                if e.is_locked() {
                    systrade_cli::locked(e)
                } else {
                    e.into()
                }
            })?;
        // Temporary files a killed fetch-prices left where it writes (contract prices, FX).
        let mut stale = 0;
        for kind in [SeriesKind::Contracts, SeriesKind::Fx] {
            stale += writer.remove_stale_temp_files_in(&store.dir().series_dir(kind))?;
        }
        if stale > 0 {
            tracing::info!(stale, "removed temporary files left by an interrupted run");
        }
        let progress = Progress::new(work.len() as u64, "instruments", args.common.no_progress);
        progress.set_message("merging");
        let next = AtomicUsize::new(0);
        let done: Mutex<Vec<(usize, Update, Vec<String>)>> = Mutex::new(Vec::new());
        let workers = args.jobs.clamp(1, 64).min(work.len());
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let k = next.fetch_add(1, Ordering::SeqCst);
                        let Some((i, name, payload)) = work.get(k) else {
                            break;
                        };
                        let (outcome, revisions) = match payload {
                            Payload::Contracts(series) => {
                                apply_contracts(&writer, name, series, &settings)
                            }
                            Payload::Fx(fx) => apply_fx(&writer, name, fx, &settings),
                        };
                        outcome.record(outcomes_log);
                        progress.inc(1);
                        done.lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push((*i, outcome, revisions));
                    }
                });
            }
        });
        progress.finish();
        let mut all_revisions = Vec::new();
        for (i, o, r) in done
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            outcomes[i] = Some(o);
            all_revisions.extend(r);
        }
        if !all_revisions.is_empty() {
            append_revisions(store, &all_revisions)?;
        }
        record_contracts(store, resolved)?;
        drop(writer);
    }
    Ok(outcomes.into_iter().flatten().collect())
}

/// The contracts the IB source resolved (conid, exact expiry) go to the contracts table of
/// state.sqlite, as place-orders' do (issue 14 item 3), under the data directory's write lock.
fn record_contracts(store: &Store, resolved: &[ResolvedContract]) -> anyhow::Result<()> {
    if resolved.is_empty() {
        return Ok(());
    }
    let mut db = store.open_state_for_writing()?;
    let at = systrade_store::now_text();
    db.transaction(|tx| -> Result<(), StoreError> {
        for c in resolved {
            tx.record_contract(c, &at)?;
        }
        Ok(())
    })?;
    tracing::debug!(contracts = resolved.len(), "resolved IB contracts recorded");
    Ok(())
}

fn apply_contracts(
    writer: &Writer<'_>,
    name: &str,
    series: &[ContractSeries],
    s: &MergeSettings,
) -> (Update, Vec<String>) {
    let Ok(instrument) = InstrumentCode::new(name) else {
        return (
            Update::failed(name, "not an instrument code".into(), false),
            Vec::new(),
        );
    };
    let m = match merge_daily(writer, &instrument, series, s) {
        Ok(Some(m)) => m,
        Ok(None) => {
            let stored = match writer.store().read_contract_prices(&instrument) {
                Ok(p) => p,
                Err(e) if e.is_not_found() => Vec::new(),
                Err(e) => return (Update::failed(name, e.to_string(), false), Vec::new()),
            };
            let m = merge_contracts(&instrument, stored, series, s);
            if let Some(rows) = &m.rows
                && let Err(e) = writer.write_contract_prices(&instrument, rows)
            {
                return (Update::failed(name, e.to_string(), false), Vec::new());
            }
            m
        }
        Err(e) => return (Update::failed(name, e.to_string(), false), Vec::new()),
    };
    let status = if !m.quarantined.is_empty() {
        Status::Spike
    } else if m.added + m.revised > 0 {
        Status::Updated
    } else {
        Status::Unchanged
    };
    let mut note = m.quarantined.join("; ");
    if m.dropped > 0 {
        if !note.is_empty() {
            note.push_str("; ");
        }
        note.push_str(&format!("{} bar(s) dropped by cleaning", m.dropped));
    }
    (
        Update {
            name: name.to_string(),
            status,
            contracts: series.len(),
            added: m.added,
            revised: m.revised,
            last: m.last,
            note,
            unavailable: false,
        },
        m.revisions,
    )
}

/// The daily case without decoding the stored prices' open, high, low and volume: without a
/// revision window, merging and the spike check need only the stored contracts, timestamps and
/// closes; when the only change is bars newer than every stored bar, they are appended after the
/// stored row groups (copied byte for byte: the same file as a full merge and rewrite). `Ok(None)`
/// (nothing written) when that does not apply: the caller then merges with the full stored bars.
fn merge_daily(
    writer: &Writer<'_>,
    instrument: &InstrumentCode,
    series: &[ContractSeries],
    s: &MergeSettings,
) -> Result<Option<ContractMerge>, StoreError> {
    if s.revise_days != 0 {
        return Ok(None);
    }
    let closes = match writer.store().read_contract_closes(instrument) {
        Ok(c) => c,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let plan = plan_merge(closes.iter().map(close_only), series, s);
    if plan.updated.is_empty() {
        plan.log_spikes(instrument, s);
        return Ok(Some(plan.into_result(instrument)));
    }
    if !plan.appends_only() {
        return Ok(None);
    }
    let new = plan.new_rows();
    if writer
        .try_append_contract_prices(instrument, &new)?
        .is_none()
    {
        return Ok(None);
    }
    plan.log_spikes(instrument, s);
    let mut m = plan.into_result(instrument);
    m.last = new.last().map(|b| b.timestamp);
    Ok(Some(m))
}

fn apply_fx(
    writer: &Writer<'_>,
    name: &str,
    fx: &FxSeries,
    s: &MergeSettings,
) -> (Update, Vec<String>) {
    let ccy = &name[..name.len() - 3];
    let stored = match writer.store().read_fx_rates(ccy) {
        Ok(p) => p,
        Err(e) if e.is_not_found() => PriceSeries::default(),
        Err(e) => return (Update::failed(name, e.to_string(), false), Vec::new()),
    };
    let old: Vec<FxPoint> = stored
        .timestamps
        .iter()
        .zip(&stored.values)
        .map(|(t, v)| FxPoint {
            timestamp: *t,
            rate: *v,
        })
        .collect();
    let (clean, report) = clean_fx(&fx.points, s.clean.today);
    let m: Merged<FxPoint> = merge_rows(&old, &clean, revise_from(&old, s.revise_days));
    let mut outcome = Update {
        name: name.to_string(),
        status: Status::Unchanged,
        contracts: 1,
        added: 0,
        revised: 0,
        last: stored.last_timestamp(),
        note: if report.dropped() > 0 {
            format!("{} rate(s) dropped by cleaning", report.dropped())
        } else {
            String::new()
        },
        unavailable: false,
    };
    let mut revisions = Vec::new();
    if !m.changed() {
        return (outcome, revisions);
    }
    let ts: Vec<Timestamp> = m.rows.iter().map(|p| p.timestamp).collect();
    let values: Vec<f64> = m.rows.iter().map(|p| p.rate).collect();
    let spikes = find_spikes(&ts, &values, m.first_changed, s.max_spike);
    for sp in &spikes {
        tracing::warn!(
            fx = name,
            "FX spike at {}: {} -> {} ({:.1}x)",
            sp.timestamp,
            sp.previous,
            sp.value,
            sp.ratio
        );
    }
    if !spikes.is_empty() && !s.accept_spikes {
        outcome.status = Status::Spike;
        outcome.note = format!(
            "{} spike(s) from {}: {} -> {} = {:.1}x the average move",
            spikes.len(),
            spikes[0].timestamp,
            spikes[0].previous,
            spikes[0].value,
            spikes[0].ratio
        );
        return (outcome, revisions);
    }
    for r in &m.revisions {
        revision_lines(
            name,
            "",
            r.old.timestamp,
            &[("rate", r.old.rate, r.new.rate)],
            &mut revisions,
        );
    }
    let series = PriceSeries::new(ts, values);
    if let Err(e) = writer.write_fx_rates(ccy, &series) {
        return (Update::failed(name, e.to_string(), false), Vec::new());
    }
    outcome.status = Status::Updated;
    outcome.added = m.added;
    outcome.revised = m.revisions.len();
    outcome.last = series.last_timestamp();
    (outcome, revisions)
}

/// Appends revision lines (with the current time) to `logs/price-revisions.csv`, creating it with
/// its header. Called with the write lock held.
fn append_revisions(store: &Store, lines: &[String]) -> anyhow::Result<()> {
    let path = store.dir().price_revisions_log();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let new = !path.exists();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    let now = chrono::Local::now()
        .naive_local()
        .format("%Y-%m-%d %H:%M:%S");
    let mut text = String::new();
    if new {
        text.push_str(REVISIONS_HEADER);
        text.push('\n');
    }
    for l in lines {
        text.push_str(&format!("{now},{l}\n"));
    }
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(revisions = lines.len(), file = %path.display(), "recorded revised values");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(c: i64, day: i64, close: f64) -> ContractBar {
        ContractBar {
            contract: ContractDate::from_id(c).unwrap(),
            timestamp: Timestamp::from_micros(day * systrade_model::time::MICROS_PER_DAY),
            open: close,
            high: close,
            low: close,
            close,
            volume: 1.0,
        }
    }

    fn series(c: i64, bars: &[ContractBar]) -> ContractSeries {
        ContractSeries {
            instrument: InstrumentCode::new("X").unwrap(),
            contract: ContractDate::from_id(c).unwrap(),
            bars: bars.iter().map(Bar::from_contract_bar).collect(),
        }
    }

    fn settings(revise_days: u32) -> MergeSettings {
        MergeSettings {
            clean: CleanOptions {
                today: NaiveDate::from_ymd_opt(2100, 1, 1).unwrap(),
                drop_zero_volume: false,
            },
            revise_days,
            max_spike: 8.0,
            accept_spikes: false,
        }
    }

    fn stored() -> Vec<ContractBar> {
        let mut v = Vec::new();
        for d in 0..50 {
            v.push(bar(20240300, d, 100.0 + (d % 3) as f64));
            if d >= 10 {
                v.push(bar(20240600, d, 101.0 + (d % 2) as f64));
            }
        }
        v
    }

    #[test]
    fn a_new_day_is_appended_in_order() {
        let x = InstrumentCode::new("X").unwrap();
        let fetched = [
            series(
                20240600,
                &[bar(20240600, 49, 9.0), bar(20240600, 50, 102.0)],
            ),
            series(20240300, &[bar(20240300, 50, 101.0)]),
        ];
        let m = merge_contracts(&x, stored(), &fetched, &settings(0));
        let rows = m.rows.unwrap();
        assert_eq!(m.added, 2);
        assert_eq!(rows.len(), stored().len() + 2);
        assert_eq!(&rows[..rows.len() - 2], &stored()[..]);
        assert_eq!(rows[rows.len() - 2], bar(20240300, 50, 101.0));
        assert_eq!(rows[rows.len() - 1], bar(20240600, 50, 102.0));
    }

    #[test]
    fn revisions_rewrite_in_place_and_keep_order() {
        let x = InstrumentCode::new("X").unwrap();
        let fetched = [series(
            20240300,
            &[
                bar(20240300, 48, 100.5),
                bar(20240300, 49, 101.0),
                bar(20240300, 51, 100.0),
            ],
        )];
        let m = merge_contracts(&x, stored(), &fetched, &settings(3));
        let rows = m.rows.unwrap();
        assert_eq!((m.added, m.revised), (1, 1));
        assert!(
            rows.windows(2)
                .all(|w| (w[0].timestamp, w[0].contract) < (w[1].timestamp, w[1].contract))
        );
        assert!(rows.contains(&bar(20240300, 48, 100.5)));
        assert_eq!(*rows.last().unwrap(), bar(20240300, 51, 100.0));
        assert_eq!(m.revisions.len(), 4, "open, high, low and close of day 48");
    }

    /// `apply_contracts` (which takes the close-only append path when it can) against a full merge
    /// and rewrite of the same data: same outcome, same file bytes.
    fn same_as_full_merge(fetched: &[ContractSeries], fast: bool) {
        let x = InstrumentCode::new("X").unwrap();
        let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (s1, s2) = (Store::open(d1.path()), Store::open(d2.path()));
        let (w1, w2) = (
            s1.lock_for_writing(Duration::ZERO).unwrap(),
            s2.lock_for_writing(Duration::ZERO).unwrap(),
        );
        w1.write_contract_prices(&x, &stored()).unwrap();
        w2.write_contract_prices(&x, &stored()).unwrap();
        let m = merge_contracts(&x, stored(), fetched, &settings(0));
        if let Some(rows) = &m.rows {
            w2.write_contract_prices(&x, rows).unwrap();
        }
        let daily = merge_daily(&w1, &x, fetched, &settings(0)).unwrap();
        assert_eq!(daily.is_some(), fast, "close-only path taken");
        if let Some(d) = daily {
            assert_eq!(
                (d.added, d.revised, d.dropped, d.last, &d.quarantined),
                (m.added, m.revised, m.dropped, m.last, &m.quarantined)
            );
            assert!(d.rows.is_none() && d.revisions.is_empty());
        } else {
            let (outcome, revisions) = apply_contracts(&w1, "X", fetched, &settings(0));
            assert_eq!(
                (outcome.added, outcome.revised, outcome.last),
                (m.added, m.revised, m.last)
            );
            assert_eq!(revisions.len(), m.revisions.len());
        }
        assert_eq!(
            std::fs::read(s1.dir().contract_prices_file(&x)).unwrap(),
            std::fs::read(s2.dir().contract_prices_file(&x)).unwrap()
        );
    }

    #[test]
    fn the_daily_append_path_writes_what_a_full_merge_writes() {
        // Appends only.
        same_as_full_merge(
            &[
                series(20240600, &[bar(20240600, 50, 102.0)]),
                series(
                    20240300,
                    &[bar(20240300, 50, 101.0), bar(20240300, 51, 100.0)],
                ),
            ],
            true,
        );
        // A new contract with a bar inside the stored history: full merge.
        same_as_full_merge(
            &[
                series(20240900, &[bar(20240900, 45, 103.0)]),
                series(20240300, &[bar(20240300, 50, 101.0)]),
            ],
            false,
        );
        // A spike: that contract is not written.
        same_as_full_merge(
            &[
                series(20240300, &[bar(20240300, 50, 150.0)]),
                series(20240600, &[bar(20240600, 50, 102.0)]),
            ],
            true,
        );
        // Nothing new.
        same_as_full_merge(&[series(20240300, &[bar(20240300, 49, 100.0)])], true);
        // A revision window needs the full stored bars; so does a new instrument.
        let x = InstrumentCode::new("X").unwrap();
        let d = tempfile::tempdir().unwrap();
        let store = Store::open(d.path());
        let w = store.lock_for_writing(Duration::ZERO).unwrap();
        let fetched = [series(20240300, &[bar(20240300, 50, 101.0)])];
        assert!(
            merge_daily(&w, &x, &fetched, &settings(0))
                .unwrap()
                .is_none()
        );
        w.write_contract_prices(&x, &stored()).unwrap();
        assert!(
            merge_daily(&w, &x, &fetched, &settings(3))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_spiking_contract_is_left_alone_and_the_others_are_written() {
        let x = InstrumentCode::new("X").unwrap();
        let fetched = [
            series(20240300, &[bar(20240300, 50, 150.0)]),
            series(20240600, &[bar(20240600, 50, 102.0)]),
        ];
        let m = merge_contracts(&x, stored(), &fetched, &settings(0));
        assert_eq!(m.quarantined.len(), 1);
        assert!(m.quarantined[0].starts_with("20240300: 1 spike(s)"));
        let rows = m.rows.unwrap();
        assert_eq!(rows.len(), stored().len() + 1);
        assert_eq!(*rows.last().unwrap(), bar(20240600, 50, 102.0));
    }
}
