//! Fetching: each job runs on one of `--jobs` worker threads; nothing is written here.

use crate::Args;
use crate::plan::{Job, Plan, SourceCtx};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use systrade_cli::{ExitCode, Outcomes, Progress};
use systrade_ibkr::{Ibkr, IbkrError};
use systrade_model::{ContractDate, InstrumentCode, RollParameters};
use systrade_sources::bar::{ContractSeries, FxSeries, sort_dedup_bars};
use systrade_sources::chain::{EXPIRED_CONTRACT_GRACE_DAYS, live_contracts};
use systrade_sources::csvfmt::{
    parse_contract_csv, parse_fx_csv, read_contract_file, read_fx_file,
};
use systrade_sources::http::HttpError;
use systrade_sources::template::TemplateValues;
use systrade_store::{ContractClose, Store};

/// What a job fetched.
pub(crate) enum Payload {
    Contracts(Vec<ContractSeries>),
    Fx(FxSeries),
}

/// Why a job failed.
#[derive(Debug)]
pub(crate) struct FetchError {
    pub message: String,
    /// The source could not be reached or refused the session.
    pub unavailable: bool,
    /// The source delivered values that break the validation rules (exit 4).
    pub invalid: bool,
}

impl FetchError {
    fn data(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            unavailable: false,
            invalid: false,
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self {
            invalid: true,
            ..Self::data(message)
        }
    }
}

impl From<HttpError> for FetchError {
    fn from(e: HttpError) -> Self {
        Self {
            unavailable: e.is_unavailable(),
            message: e.to_string(),
            invalid: false,
        }
    }
}

impl From<IbkrError> for FetchError {
    fn from(e: IbkrError) -> Self {
        Self {
            unavailable: e.is_unavailable(),
            message: e.to_string(),
            invalid: false,
        }
    }
}

impl From<systrade_sources::csvfmt::CsvError> for FetchError {
    fn from(e: systrade_sources::csvfmt::CsvError) -> Self {
        Self::invalid(e.to_string())
    }
}

impl From<systrade_store::StoreError> for FetchError {
    fn from(e: systrade_store::StoreError) -> Self {
        Self::data(e.to_string())
    }
}

/// One job's result.
pub(crate) struct Fetched {
    pub job: Job,
    pub result: Result<Payload, FetchError>,
}

/// Fetches every job of the plan; a job that fails is recorded in `outcomes` at once.
pub(crate) fn fetch_all(
    args: &Args,
    plan: &Plan,
    store: &Store,
    outcomes: &Outcomes,
) -> anyhow::Result<Vec<Fetched>> {
    if let SourceCtx::Ibkr { ibkr } = &plan.source
        && !plan.jobs.is_empty()
    {
        ibkr.gateway()
            .ensure_session()
            .map_err(|e| systrade_cli::unavailable(format!("{e}{}", crate::gateway_hint(&e))))?;
    }
    let progress = Progress::new(
        plan.jobs.len() as u64,
        "instruments",
        args.common.no_progress,
    );
    progress.set_message("fetching");
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Fetched>>> =
        Mutex::new((0..plan.jobs.len()).map(|_| None).collect());
    let workers = args.jobs.clamp(1, 64).min(plan.jobs.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(job) = plan.jobs.get(i) else { break };
                    let result = fetch_one(args, plan, store, job)
                        .and_then(|p| validate(plan, source_label(&args.source), p));
                    if let Err(e) = &result {
                        let code = if e.unavailable {
                            ExitCode::BrokerUnavailable
                        } else if e.invalid {
                            ExitCode::DataProblem
                        } else {
                            ExitCode::Failure
                        };
                        outcomes.failed_with(&job.name, code, &e.message);
                    }
                    progress.inc(1);
                    results
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)[i] = Some(Fetched {
                        job: job.clone(),
                        result,
                    });
                }
            });
        }
    });
    progress.finish();
    Ok(results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect())
}

/// Every source's payload passes the same validation rules as `import-pst`'s files
/// (`systrade_model::validation`); CSV rows were checked as they were read, with line numbers.
fn source_label(source: &crate::SourceArg) -> &'static str {
    match source {
        crate::SourceArg::Csv(_) => "csv source",
        crate::SourceArg::Http(_) => "http source",
        crate::SourceArg::Ibkr => "ibkr source",
    }
}

fn validate(plan: &Plan, source: &str, payload: Payload) -> Result<Payload, FetchError> {
    let checked = match &payload {
        Payload::Contracts(series) => {
            systrade_sources::bar::validate_contracts(source, series, plan.today)
        }
        Payload::Fx(fx) => systrade_sources::bar::validate_fx(source, fx, plan.today),
    };
    checked.map_err(|e| FetchError::invalid(e.to_string()))?;
    Ok(payload)
}

fn fetch_one(args: &Args, plan: &Plan, store: &Store, job: &Job) -> Result<Payload, FetchError> {
    match (&plan.source, args.fx) {
        (SourceCtx::Csv, false) => {
            let mut by_contract: BTreeMap<ContractDate, ContractSeries> = BTreeMap::new();
            for f in &job.files {
                for s in read_contract_file(f, &plan.csv)? {
                    let e = by_contract
                        .entry(s.contract)
                        .or_insert_with(|| ContractSeries {
                            instrument: s.instrument.clone(),
                            contract: s.contract,
                            bars: Vec::new(),
                        });
                    e.bars.extend(s.bars);
                }
            }
            let mut out: Vec<ContractSeries> = by_contract
                .into_values()
                .filter(|s| {
                    args.contracts
                        .as_ref()
                        .is_none_or(|c| c.contains(&s.contract))
                })
                .collect();
            for s in &mut out {
                sort_dedup_bars(&mut s.bars);
            }
            Ok(Payload::Contracts(out))
        }
        (SourceCtx::Csv, true) => {
            let mut points = Vec::new();
            for f in &job.files {
                points.extend(read_fx_file(f, &plan.csv)?.points);
            }
            systrade_sources::bar::sort_dedup_fx(&mut points);
            Ok(Payload::Fx(FxSeries {
                code: job.name.clone(),
                points,
            }))
        }
        (
            SourceCtx::Http {
                client,
                template,
                token,
            },
            fx,
        ) => {
            let symbol = job.symbol.as_deref().unwrap_or(&job.name);
            let token = token.as_ref().map(|t| t.expose());
            if fx {
                let start = fx_start(args, plan, store, &job.name)?;
                let values = TemplateValues {
                    symbol,
                    contract: None,
                    start,
                    end: plan.today,
                };
                let (url, shown) = template.expand(&values, token);
                let body = client
                    .send(systrade_sources::http::Method::Get, &url, &shown, None)?
                    .body;
                check_csv_body(&shown, &body)?;
                return Ok(Payload::Fx(parse_fx_csv(
                    &shown, &body, &job.name, &plan.csv,
                )?));
            }
            let instrument = instrument_of(job)?;
            let stored = read_stored(store, &instrument)?;
            let wanted = wanted_contracts(args, plan, store, &instrument, &stored)?;
            if wanted.is_empty() {
                return Err(FetchError::data(
                    "no live contracts: no multiple prices and no recent stored bars; pass --contracts",
                ));
            }
            let mut out = Vec::new();
            if template.is_per_contract() {
                for c in wanted {
                    let values = TemplateValues {
                        symbol,
                        contract: Some(c),
                        start: start_for(args, plan, &stored, c),
                        end: plan.today,
                    };
                    let (url, shown) = template.expand(&values, token);
                    let body = match client.send(
                        systrade_sources::http::Method::Get,
                        &url,
                        &shown,
                        None,
                    ) {
                        Ok(r) => r.body,
                        // No data for this contract at the vendor (e.g. long expired).
                        Err(e) if e.status() == Some(404) => {
                            tracing::warn!(instrument = %instrument, contract = %c, "{e}");
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    };
                    check_csv_body(&shown, &body)?;
                    out.extend(parse_contract_csv(
                        &shown,
                        &body,
                        &instrument,
                        Some(c),
                        &plan.csv,
                    )?);
                }
            } else {
                let start = wanted
                    .iter()
                    .map(|c| start_for(args, plan, &stored, *c))
                    .min()
                    .unwrap_or(plan.today);
                let values = TemplateValues {
                    symbol,
                    contract: None,
                    start,
                    end: plan.today,
                };
                let (url, shown) = template.expand(&values, token);
                let body = client
                    .send(systrade_sources::http::Method::Get, &url, &shown, None)?
                    .body;
                check_csv_body(&shown, &body)?;
                out.extend(
                    parse_contract_csv(&shown, &body, &instrument, None, &plan.csv)?
                        .into_iter()
                        .filter(|s| wanted.contains(&s.contract)),
                );
            }
            Ok(Payload::Contracts(out))
        }
        (SourceCtx::Ibkr { ibkr }, true) => {
            let fx = job
                .ib_fx
                .as_ref()
                .ok_or_else(|| FetchError::data("no IB FX mapping"))?;
            let start = fx_start(args, plan, store, &job.name)?;
            Ok(Payload::Fx(systrade_sources::ibkr::fetch_fx(
                ibkr,
                fx,
                start,
                plan.today,
                args.daily_time,
            )?))
        }
        (SourceCtx::Ibkr { ibkr }, false) => fetch_ibkr(args, plan, store, job, ibkr),
    }
}

fn fetch_ibkr(
    args: &Args,
    plan: &Plan,
    store: &Store,
    job: &Job,
    ibkr: &Ibkr,
) -> Result<Payload, FetchError> {
    let instrument = instrument_of(job)?;
    let stored = read_stored(store, &instrument)?;
    if ibkr.listed(&instrument)?.is_empty() {
        let row = ibkr.mapping(&instrument)?;
        return Err(FetchError::data(format!(
            "IB lists no futures for {} on {} (check {})",
            row.symbol(),
            row.exchange(),
            store.dir().relative(&store.dir().ibkr_csv()).display()
        )));
    }
    let mut wanted = wanted_contracts(args, plan, store, &instrument, &stored)?;
    if wanted.is_empty() {
        // Nothing known yet: every listed contract (in the priced cycle with a roll configuration).
        wanted = ibkr.listed_contracts(&instrument)?;
    }
    Ok(Payload::Contracts(systrade_sources::ibkr::fetch_contracts(
        ibkr,
        &instrument,
        &wanted,
        |c| start_for(args, plan, &stored, c),
        plan.today,
        args.daily_time,
    )?))
}

fn instrument_of(job: &Job) -> Result<InstrumentCode, FetchError> {
    job.instrument
        .clone()
        .ok_or_else(|| FetchError::data(format!("'{}' is not an instrument code", job.name)))
}

/// The stored bars' contracts, timestamps and closes (planning needs no more; the other columns are
/// not decoded).
fn read_stored(
    store: &Store,
    instrument: &InstrumentCode,
) -> Result<Vec<ContractClose>, FetchError> {
    match store.read_contract_closes(instrument) {
        Ok(p) => Ok(p),
        Err(e) if e.is_not_found() => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// First date to ask a source for: the last stored day (minus the revision window), or
/// `--lookback-days` before today for a contract with nothing stored.
fn start_for(args: &Args, plan: &Plan, stored: &[ContractClose], c: ContractDate) -> NaiveDate {
    stored
        .iter()
        .rev()
        .find(|b| b.contract == c)
        .map(|b| {
            systrade_model::contract::shift_days(b.timestamp.date(), -i64::from(args.revise_days))
        })
        .unwrap_or_else(|| {
            systrade_model::contract::shift_days(plan.today, -i64::from(args.lookback_days))
        })
}

fn fx_start(args: &Args, plan: &Plan, store: &Store, code: &str) -> Result<NaiveDate, FetchError> {
    let ccy = &code[..code.len().saturating_sub(3)];
    let last = match store.read_fx_rates(ccy) {
        Ok(s) => s.last_timestamp(),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e.into()),
    };
    Ok(match last {
        Some(t) => systrade_model::contract::shift_days(t.date(), -i64::from(args.revise_days)),
        None => systrade_model::contract::shift_days(plan.today, -i64::from(args.lookback_days)),
    })
}

/// `--contracts`, else the live chain from the last multiple-prices row (spec §4.3 item 2), else the
/// stored contracts that have not been expired for more than 100 days.
fn wanted_contracts(
    args: &Args,
    plan: &Plan,
    store: &Store,
    instrument: &InstrumentCode,
    stored: &[ContractClose],
) -> Result<Vec<ContractDate>, FetchError> {
    if let Some(list) = &args.contracts {
        return Ok(list.clone());
    }
    let roll: Option<&RollParameters> = plan.rolls.get(instrument);
    let multiple = match store.read_multiple_prices(instrument) {
        Ok(m) => m,
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    if let Some(last) = multiple.last() {
        let key = [
            last.price_contract,
            last.forward_contract,
            last.carry_contract,
        ];
        return Ok(match roll {
            Some(r) => live_contracts(&key, r, plan.today),
            None => {
                let mut k = key.to_vec();
                k.sort();
                k.dedup();
                k
            }
        });
    }
    let cutoff = systrade_model::contract::shift_days(plan.today, -EXPIRED_CONTRACT_GRACE_DAYS);
    let mut out: Vec<ContractDate> = stored
        .iter()
        .map(|b| b.contract)
        .filter(|c| match roll {
            Some(r) => r.approx_expiry(*c) >= cutoff,
            None => c.reference_date() >= cutoff,
        })
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// An HTML page or an error text is not CSV (Stooq answers "No data" or PHP warnings).
fn check_csv_body(shown: &str, body: &str) -> Result<(), FetchError> {
    let head = body.trim_start();
    if head.starts_with('<') || head.is_empty() || head.starts_with("No data") {
        let first: String = head.chars().take(80).collect();
        return Err(FetchError::data(format!(
            "{shown}: the answer is not CSV: '{}'",
            first.replace('\n', " ")
        )));
    }
    Ok(())
}
