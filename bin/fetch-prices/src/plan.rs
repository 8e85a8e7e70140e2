//! What to fetch: one job per instrument (or FX code), and the source's shared client.

use crate::output::Update;
use crate::{Args, SourceArg};
use anyhow::Context;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;
use systrade_ibkr::{Gateway, GatewayOptions, Ibkr, TransportOptions};
use systrade_model::IbkrFx;
use systrade_model::{InstrumentCode, RollParameters};
use systrade_sources::credentials::{Secret, load_secret};
use systrade_sources::csvfmt::{CsvOptions, list_csv_files, parse_file_name};
use systrade_sources::http::{HttpClient, HttpOptions};
use systrade_sources::template::{UrlTemplate, parse_symbol_map};
use systrade_store::Store;

/// The source, ready to use.
pub(crate) enum SourceCtx {
    Csv,
    Http {
        client: HttpClient,
        template: UrlTemplate,
        token: Option<Secret>,
    },
    Ibkr {
        /// Boxed: the mapped client is much larger than the other sources.
        ibkr: Box<Ibkr>,
    },
}

/// One unit of work: an instrument's contract prices, or one FX code's rates.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// Instrument code or FX code (`GBPUSD`).
    pub name: String,
    pub instrument: Option<InstrumentCode>,
    /// csv: the files to read.
    pub files: Vec<PathBuf>,
    /// http: the symbol.
    pub symbol: Option<String>,
    /// ibkr with --fx: the mapping row.
    pub ib_fx: Option<IbkrFx>,
}

impl Job {
    fn named(name: &str) -> Self {
        Self {
            name: name.to_string(),
            instrument: InstrumentCode::new(name).ok(),
            files: Vec::new(),
            symbol: None,
            ib_fx: None,
        }
    }
}

pub(crate) struct Plan {
    pub jobs: Vec<Job>,
    /// Instruments or files that failed before fetching (unknown instrument, bad file name).
    pub failed: Vec<Update>,
    pub source: SourceCtx,
    pub rolls: HashMap<InstrumentCode, RollParameters>,
    pub csv: CsvOptions,
    pub today: NaiveDate,
}

impl Plan {
    /// The contracts the IB source resolved while fetching (none for other sources).
    pub(crate) fn resolved_contracts(
        &self,
    ) -> Vec<systrade_store::state::contracts::ResolvedContract> {
        match &self.source {
            SourceCtx::Ibkr { ibkr } => ibkr
                .resolved_contracts()
                .into_iter()
                .map(|(instrument, contract, f)| {
                    systrade_store::state::contracts::ResolvedContract {
                        instrument,
                        contract,
                        broker: "ibkr".into(),
                        conid: f.conid,
                        expiry: f.expiry,
                    }
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn build(args: &Args, store: &Store, today: NaiveDate) -> anyhow::Result<Self> {
        let csv = CsvOptions {
            format: args.csv_format.into(),
            daily_time: args.daily_time,
            today: Some(today),
        };
        let configured: Option<Vec<InstrumentCode>> = match store.read_instruments() {
            Ok(list) => Some(list.into_iter().map(|i| i.code).collect()),
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                return Err(config_error(e)).context("reading the instrument configuration");
            }
        };
        let rolls = match store.read_roll_parameters() {
            Ok(list) => list
                .into_iter()
                .map(|r| (r.instrument.clone(), r))
                .collect(),
            Err(e) if e.is_not_found() => HashMap::new(),
            Err(e) => return Err(config_error(e)).context("reading the roll configuration"),
        };
        let wanted = |name: &str| {
            args.common
                .instruments
                .as_ref()
                .is_none_or(|list| list.iter().any(|c| c.as_str() == name))
        };
        let mut failed = Vec::new();
        let mut jobs: BTreeMap<String, Job> = BTreeMap::new();
        let http_opts = HttpOptions {
            timeout: Duration::from_secs_f64(args.timeout.max(0.001)),
            max_retries: args.retries,
            backoff: Duration::from_millis(args.retry_backoff_ms),
            min_interval: Duration::from_millis(args.min_interval_ms),
        };
        let source = match &args.source {
            SourceArg::Csv(path) => {
                let files = list_csv_files(path)?;
                if files.is_empty() {
                    anyhow::bail!("{}: no .csv or .csv.gz files", path.display());
                }
                for f in files {
                    match parse_file_name(&f) {
                        Ok((code, _)) => {
                            if wanted(code.as_str()) {
                                jobs.entry(code.to_string())
                                    .or_insert_with(|| Job::named(code.as_str()))
                                    .files
                                    .push(f);
                            }
                        }
                        Err(e) => failed.push(Update::failed(
                            &f.file_name().map_or_else(
                                || f.display().to_string(),
                                |n| n.to_string_lossy().into_owned(),
                            ),
                            e.to_string(),
                            false,
                        )),
                    }
                }
                SourceCtx::Csv
            }
            SourceArg::Http(template) => {
                let path = store.dir().http_symbols_csv();
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("{}: the http: source needs it", path.display()))?;
                let map = parse_symbol_map(&path.display().to_string(), &text)?;
                for (name, symbol) in map {
                    if is_fx_code(&name) == args.fx && wanted(&name) {
                        let mut job = Job::named(&name);
                        job.symbol = Some(symbol);
                        jobs.insert(name, job);
                    }
                }
                let token = load_secret(
                    std::env::var("SYSTRADE_SOURCE_TOKEN").ok(),
                    args.token_file.as_deref(),
                )?;
                SourceCtx::Http {
                    client: HttpClient::new(http_opts)?,
                    template: template.clone(),
                    token,
                }
            }
            SourceArg::Ibkr => {
                let mut rows = Vec::new();
                if args.fx {
                    let fx_rows = store
                        .read_ibkr_fx()
                        .context("fetching FX from IB needs the IB FX mapping")?;
                    for fx in fx_rows {
                        if wanted(fx.code()) {
                            let mut job = Job::named(fx.code());
                            job.ib_fx = Some(fx);
                            jobs.insert(job.name.clone(), job);
                        }
                    }
                } else {
                    rows = store
                        .read_ibkr_instruments()
                        .context("the ibkr source needs the IB instrument mapping")?;
                    for row in &rows {
                        let name = row.instrument().as_str();
                        let selected = match &args.common.instruments {
                            Some(_) => wanted(name),
                            // Without --instruments: the configured instruments that IB maps.
                            None => configured
                                .as_ref()
                                .is_none_or(|c| c.contains(row.instrument())),
                        };
                        if selected {
                            jobs.insert(name.to_string(), Job::named(name));
                        }
                    }
                }
                let gateway = Gateway::new(GatewayOptions {
                    transport: TransportOptions {
                        timeout: http_opts.timeout,
                        retries: http_opts.max_retries,
                        backoff: http_opts.backoff,
                        min_interval: http_opts.min_interval,
                        accept_invalid_certs: args.ibkr_insecure,
                    },
                    max_concurrent_history: args.max_concurrent_history,
                    ..GatewayOptions::new(&args.ibkr_url)
                })?;
                SourceCtx::Ibkr {
                    ibkr: Box::new(Ibkr::new(gateway, rows, rolls.values().cloned())),
                }
            }
        };
        // Requested instruments that the source does not know.
        if let Some(list) = &args.common.instruments {
            for c in list {
                if !jobs.contains_key(c.as_str()) {
                    let dir = store.dir();
                    let what = match &args.source {
                        SourceArg::Csv(p) => format!("no file for it in {}", p.display()),
                        SourceArg::Http(_) => format!(
                            "no symbol for it in {}",
                            dir.relative(&dir.http_symbols_csv()).display()
                        ),
                        SourceArg::Ibkr if args.fx => {
                            format!("not in {}", dir.relative(&dir.ibkr_fx_csv()).display())
                        }
                        SourceArg::Ibkr => {
                            format!("not in {}", dir.relative(&dir.ibkr_csv()).display())
                        }
                    };
                    failed.push(Update::failed(c.as_str(), what, false));
                }
            }
        }
        let mut list: Vec<Job> = Vec::new();
        for (name, job) in jobs {
            if args.fx {
                if !is_fx_code(&name) {
                    failed.push(Update::failed(
                        &name,
                        "an FX code is <CCY>USD, e.g. GBPUSD".to_string(),
                        false,
                    ));
                    continue;
                }
            } else {
                let Some(code) = &job.instrument else {
                    failed.push(Update::failed(
                        &name,
                        "not an instrument code".to_string(),
                        false,
                    ));
                    continue;
                };
                if let Some(conf) = &configured
                    && !conf.contains(code)
                {
                    failed.push(Update::failed(
                        &name,
                        "not in config/instruments.csv".to_string(),
                        false,
                    ));
                    continue;
                }
            }
            list.push(job);
        }
        Ok(Self {
            jobs: list,
            failed,
            source,
            rolls,
            csv,
            today,
        })
    }
}

/// `GBPUSD`-style codes: three capital letters then `USD`.
pub(crate) fn is_fx_code(name: &str) -> bool {
    name.len() == 6 && name.ends_with("USD") && name.bytes().all(|b| b.is_ascii_uppercase())
}

/// A config file that breaks the validation rules is a data problem (exit 4); other errors exit 1.
fn config_error(e: systrade_store::StoreError) -> anyhow::Error {
    use systrade_cli::ResultExt;
    let code = if e.is_data_error() {
        systrade_cli::ExitCode::DataProblem
    } else {
        systrade_cli::ExitCode::Failure
    };
    Err::<(), _>(e).exit_code(code).unwrap_err()
}
