//! Reading a system's instruments from the data directory: the instrument list, static data, FX
//! rates into the base currency and each instrument's prices reduced to daily series (and the
//! forecast raw-data stage), streamed so that only daily series are held for all instruments.

use crate::error::SystemError;
use crate::forecast_setup::ForecastSetup;
use chrono::NaiveDate;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use systrade_accounts::costs::InstrumentCosts;
use systrade_config::{InstrumentListSource, SystemConfig};
use systrade_forecast::{ClassPeer, ForecastInputs, ForecastJob, PriceInputs, RawData};
use systrade_model::{
    AdjustedPrices, CarryPrices, FxRates, Instrument, InstrumentCode, PriceSeries, RollParameters,
    Timestamp,
};
use systrade_store::{SeriesKind, Store};

/// An instrument left out of the run, and why.
pub type Failure = (InstrumentCode, String);

/// The system's instruments (config list, else every instrument with adjusted prices), narrowed
/// by a selection.
#[derive(Debug, Clone)]
pub struct InstrumentList {
    pub codes: Vec<InstrumentCode>,
    /// Where the config's list came from.
    pub source: InstrumentListSource,
    /// The list was narrowed by a selection.
    pub narrowed: bool,
    /// The list was named (config `instrument_weights`/`instruments`, or a selection) rather
    /// than "every instrument with data": then an instrument lacking the multiple prices its carry
    /// rules need is a failure; otherwise it is not a candidate and is skipped with a warning
    /// ([`skip_without_multiple_prices`]).
    pub explicit: bool,
}

impl InstrumentList {
    /// Where the list came from, for messages: `instrument_weights`, `instruments` or "every
    /// instrument with adjusted prices".
    pub fn source_name(&self) -> &'static str {
        source_name(self.source)
    }
}

fn source_name(source: InstrumentListSource) -> &'static str {
    match source {
        InstrumentListSource::InstrumentWeights => "instrument_weights",
        InstrumentListSource::Instruments => "instruments",
        InstrumentListSource::AllInData => "every instrument with adjusted prices",
    }
}

/// The system's instruments: see [`InstrumentList`]. `selection` (e.g. `--instruments`) narrows
/// the list; it must name instruments of the list.
///
/// # Errors
/// No instruments; a selected instrument not in the list; the adjusted prices directory
/// cannot be listed.
pub fn instrument_list(
    store: &Store,
    cfg: &SystemConfig,
    selection: Option<&[InstrumentCode]>,
) -> Result<InstrumentList, SystemError> {
    let all_in_data = in_data(store, selection)?;
    let (list, source) = cfg.instrument_list_with_source(&all_in_data);
    let codes = match selection {
        None => list,
        Some(wanted) => {
            let unknown: Vec<InstrumentCode> = wanted
                .iter()
                .filter(|w| !list.contains(w))
                .cloned()
                .collect();
            if !unknown.is_empty() {
                return Err(SystemError::UnknownInstruments {
                    unknown,
                    source_name: source_name(source),
                });
            }
            list.into_iter().filter(|c| wanted.contains(c)).collect()
        }
    };
    if codes.is_empty() {
        return Err(SystemError::NoInstruments {
            source_name: source_name(source),
            adjusted_dir: store.dir().series_dir(SeriesKind::Adjusted),
        });
    }
    Ok(InstrumentList {
        codes,
        source,
        narrowed: selection.is_some(),
        explicit: selection.is_some() || source != InstrumentListSource::AllInData,
    })
}

/// "Every instrument with data": those with adjusted prices, and those with prices of an earlier
/// stage (contract or multiple prices) but no adjusted prices, which are part of the system and
/// fail by name ("no adjusted prices") rather than vanish from it when `roll-contracts` could not
/// build their series (issue 15 item 9); also the instruments of `selection` that
/// `config/instruments.csv` lists, so that asking for a configured instrument without data is its
/// failure, not an unknown name.
fn in_data(
    store: &Store,
    selection: Option<&[InstrumentCode]>,
) -> Result<Vec<InstrumentCode>, SystemError> {
    let mut all = Vec::new();
    for kind in [
        SeriesKind::Adjusted,
        SeriesKind::Multiple,
        SeriesKind::Contracts,
    ] {
        match store.list_instruments(kind) {
            Ok(v) => all.extend(v),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(wanted) = selection
        && let Ok(configured) = store.read_instruments()
    {
        all.extend(
            wanted
                .iter()
                .filter(|w| configured.iter().any(|i| &i.code == *w))
                .cloned(),
        );
    }
    all.sort();
    all.dedup();
    Ok(all)
}

/// The instruments of `list` whose rules need multiple prices (carry) that the data directory
/// does not have.
pub fn without_multiple_prices(
    store: &Store,
    list: &InstrumentList,
    setup: &ForecastSetup,
) -> Vec<InstrumentCode> {
    list.codes
        .iter()
        .filter(|c| setup.needs_carry(c) && !store.dir().multiple_prices_file(c).exists())
        .cloned()
        .collect()
}

/// For a list that is not [`InstrumentList::explicit`] ("every instrument with data"), removes
/// the instruments with adjusted prices but without the multiple prices their carry rules need:
/// they are not candidates (logged as a warning). An explicit list is left as it is, and so is an
/// instrument without adjusted prices (it fails by name when loaded).
pub fn skip_without_multiple_prices(
    store: &Store,
    list: &mut InstrumentList,
    setup: &ForecastSetup,
) {
    if list.explicit {
        return;
    }
    let mut skipped = without_multiple_prices(store, list, setup);
    skipped.retain(|c| store.dir().adjusted_prices_file(c).exists());
    if skipped.is_empty() {
        return;
    }
    tracing::warn!(
        "skipping {} instrument(s) without multiple prices (carry rules need them): {}",
        skipped.len(),
        skipped
            .iter()
            .map(InstrumentCode::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    );
    list.codes.retain(|c| !skipped.contains(c));
}

/// Static data of the instruments: `config/instruments.csv`, `config/spreads.csv` (optional, slippage
/// 0 when absent) and `config/rolls.csv` (optional, 0 rolls per year when absent).
#[derive(Debug, Clone, Default)]
pub struct StaticData {
    pub instruments: BTreeMap<InstrumentCode, Instrument>,
    pub spreads: BTreeMap<InstrumentCode, f64>,
    pub rolls: BTreeMap<InstrumentCode, RollParameters>,
}

impl StaticData {
    /// Reads the config CSVs of the data directory.
    ///
    /// # Errors
    /// `config/instruments.csv` missing or malformed; the other two malformed.
    pub fn read(store: &Store) -> Result<Self, SystemError> {
        let instruments = store
            .read_instruments()
            .map_err(|error| SystemError::StaticData {
                what: "instrument static data",
                error,
            })?
            .into_iter()
            .map(|i| (i.code.clone(), i))
            .collect();
        let spreads = match store.read_spread_costs() {
            Ok(v) => v
                .into_iter()
                .map(|s| (s.instrument, s.spread_cost))
                .collect(),
            Err(e) if e.is_not_found() => BTreeMap::new(),
            Err(error) => {
                return Err(SystemError::StaticData {
                    what: "spread costs",
                    error,
                });
            }
        };
        let rolls = match store.read_roll_parameters() {
            Ok(v) => v.into_iter().map(|r| (r.instrument.clone(), r)).collect(),
            Err(e) if e.is_not_found() => BTreeMap::new(),
            Err(error) => {
                return Err(SystemError::StaticData {
                    what: "roll parameters",
                    error,
                });
            }
        };
        Ok(Self {
            instruments,
            spreads,
            rolls,
        })
    }

    /// Cash cost parameters of one instrument (spec §1.4): slippage from spreads, commissions from
    /// the instrument's static data.
    pub fn costs(&self, code: &InstrumentCode) -> Option<InstrumentCosts> {
        let i = self.instruments.get(code)?;
        Some(InstrumentCosts {
            price_slippage: self.spreads.get(code).copied().unwrap_or(0.0),
            value_of_block_commission: i.per_block,
            percentage_cost: i.percentage,
            value_of_pertrade_commission: i.per_trade,
        })
    }
}

/// The FX rates into `base` of each currency in `currencies` (spec §3.1: same currency 1.0 on
/// business days from 1970 to `until`; crosses via USD), from `start_date` on when given. A currency whose rates are missing maps to
/// the reason.
pub fn fx_to_base(
    store: &Store,
    base: &str,
    currencies: &[String],
    until: NaiveDate,
    start_date: Option<NaiveDate>,
) -> BTreeMap<String, Result<Arc<FxRates>, String>> {
    let mut needed: Vec<String> = currencies
        .iter()
        .cloned()
        .chain([base.to_string()])
        .filter(|c| c != "USD")
        .collect();
    needed.sort();
    needed.dedup();
    let usd: BTreeMap<String, FxRates> = needed
        .par_iter()
        .filter_map(|c| {
            let mut r = store.read_fx_rates(c).ok()?;
            if let Some(start) = start_date {
                drop_adjusted_before(&mut r, start);
            }
            Some((c.clone(), r))
        })
        .collect();
    let unity = systrade_portfolio::fx::unity_fx_index(until);
    let mut out = BTreeMap::new();
    for c in currencies {
        let r = systrade_portfolio::fx::fx_rate_to_base(c, base, |x| usd.get(x), &unity)
            .map(Arc::new)
            .ok_or_else(|| {
                format!(
                    "no FX rates to convert {c} into the base currency {base} (expected {})",
                    if c == "USD" || usd.contains_key(c) {
                        store.dir().fx_file(base)
                    } else {
                        store.dir().fx_file(c)
                    }
                    .display()
                )
            });
        out.insert(c.clone(), r);
    }
    out
}

/// The price the latest position refers to: the last multiple-prices row with a price (the
/// contract held), or the last adjusted price when there are no multiple prices.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub price: f64,
    /// `YYYYMMDD` contract id; empty without multiple prices.
    pub contract: String,
    pub timestamp: Timestamp,
}

/// One instrument after the raw-data stage (daily prices, vol).
#[derive(Debug, Clone)]
pub struct InstrumentPrices {
    pub code: InstrumentCode,
    /// Shared with the forecast raw-data stage while forecasts are computed.
    pub raw: Arc<RawData>,
    pub reference: Option<Reference>,
}

/// The loaded instruments: prices, forecast jobs and the forecast raw-data stage.
pub struct PricesAndData {
    /// In instrument-list order.
    pub prices: Vec<InstrumentPrices>,
    /// One per entry of `prices`.
    pub jobs: Vec<ForecastJob>,
    /// One per entry of `prices` when loaded with forecast inputs ([`Load::forecast_inputs`]):
    /// the raw-data stage of the forecasts (spec §3.1–3.2), for
    /// [`systrade_forecast::pipeline::compute_forecasts`]; empty otherwise.
    pub inputs: Vec<ForecastInputs>,
    pub failures: Vec<Failure>,
}

/// What to load.
#[derive(Debug, Clone, Copy, Default)]
pub struct Load {
    /// Use only prices on or before this date.
    pub as_of: Option<NaiveDate>,
    /// Also compute each instrument's forecast raw-data stage ([`ForecastInputs`], from the same
    /// daily prices, so volatility is computed once per instrument).
    pub forecast_inputs: bool,
}

/// Reads every instrument's adjusted and multiple prices (in parallel) and reduces them to daily
/// series; each instrument's raw price rows are dropped as soon as it is reduced. Instruments
/// whose prices cannot be read fail individually; those that lack the multiple prices their
/// carry rules need fail too when the list is explicit, and are skipped with a warning otherwise
/// ([`skip_without_multiple_prices`]).
pub fn load_instruments(
    store: &Store,
    list: &InstrumentList,
    setup: &ForecastSetup,
    load: Load,
) -> PricesAndData {
    let mut list = list.clone();
    skip_without_multiple_prices(store, &mut list, setup);
    type One = (InstrumentPrices, ForecastJob, Option<ForecastInputs>);
    let loaded: Vec<Result<One, String>> = list
        .codes
        .par_iter()
        .map(|code| load_one(store, setup, code, load))
        .collect();
    let mut out = PricesAndData {
        prices: Vec::new(),
        jobs: Vec::new(),
        inputs: Vec::new(),
        failures: Vec::new(),
    };
    for (code, l) in list.codes.iter().zip(loaded) {
        match l {
            Ok((p, j, d)) => {
                out.prices.push(p);
                out.jobs.push(j);
                out.inputs.extend(d);
            }
            Err(e) => out.failures.push((code.clone(), e)),
        }
    }
    out
}

/// The instruments of the data outside the system that asset-class factor averages include
/// (pysystemtrade's `average_factor_value_in_asset_class_for_instrument` averages over every
/// instrument of the data in the class): for each asset class of the system's instruments, every
/// instrument of `instruments` (`config/instruments.csv`) in that class, not in `list`, with
/// adjusted prices in the store; their daily percentage returns (multiple prices as the
/// denominator when present, else the adjusted price, as pysystemtrade). Empty when no rule
/// demeans a factor by asset class. Peers whose prices cannot be read are returned as failures.
pub fn class_peers<'a>(
    store: &Store,
    list: &InstrumentList,
    setup: &ForecastSetup,
    instruments: impl IntoIterator<Item = &'a Instrument>,
    as_of: Option<NaiveDate>,
) -> (Vec<ClassPeer>, Vec<Failure>) {
    if !setup
        .needs
        .factors
        .iter()
        .any(|f| f.demeaned_by_asset_class())
    {
        return (Vec::new(), Vec::new());
    }
    let classes: std::collections::BTreeSet<&String> = setup.asset_classes.values().collect();
    let candidates: Vec<&Instrument> = instruments
        .into_iter()
        .filter(|i| classes.contains(&i.asset_class) && !list.codes.contains(&i.code))
        .filter(|i| store.dir().adjusted_prices_file(&i.code).exists())
        .collect();
    let keep = |t: &Timestamp| as_of.is_none_or(|d| t.date() <= d);
    let loaded: Vec<Result<ClassPeer, Failure>> = candidates
        .par_iter()
        .map(|i| {
            let fail = |e: String| (i.code.clone(), e);
            let mut adjusted = store
                .read_adjusted_prices(&i.code)
                .map_err(|e| fail(e.to_string()))?;
            let n = adjusted.timestamps.iter().take_while(|t| keep(t)).count();
            adjusted.timestamps.truncate(n);
            adjusted.values.truncate(n);
            if let Some(start) = setup.start_date {
                drop_adjusted_before(&mut adjusted, start);
            }
            let multiple = if store.dir().multiple_prices_file(&i.code).exists() {
                let mut m = store
                    .read_carry_prices(&i.code)
                    .map_err(|e| fail(e.to_string()))?;
                m.truncate(m.timestamps.iter().take_while(|t| keep(t)).count());
                if let Some(start) = setup.start_date {
                    drop_carry_before(&mut m, start);
                }
                Some(m).filter(|m| !m.is_empty())
            } else {
                None
            };
            let raw = RawData::compute(&adjusted, multiple.as_ref(), &setup.vol);
            Ok(ClassPeer {
                asset_class: i.asset_class.clone(),
                daily_percentage_returns: raw.daily_percentage_returns(),
            })
        })
        .collect();
    let mut peers = Vec::new();
    let mut failures = Vec::new();
    for l in loaded {
        match l {
            Ok(p) => peers.push(p),
            Err(f) => failures.push(f),
        }
    }
    (peers, failures)
}

/// Why an instrument of the list has no adjusted prices: the file that does not exist and the
/// earlier stage that is there (from which `roll-contracts` did not build them).
pub fn no_adjusted_prices(store: &Store, code: &InstrumentCode) -> String {
    let dir = store.dir();
    let stage = if dir.multiple_prices_file(code).exists() {
        "; it has multiple prices: run `roll-contracts adjust`"
    } else if dir.contract_prices_file(code).exists() {
        "; it has contract prices but no multiple prices: `roll-contracts calendar`, `multiple` \
         and `adjust` did not build them"
    } else {
        ""
    };
    format!(
        "no adjusted prices ({} does not exist{stage})",
        dir.adjusted_prices_file(code).display()
    )
}

/// `start_date` (pysystemtrade's `simData.start_date_for_data`: `data[start_date:]` of every
/// price and FX series): drops the rows dated before `start`.
fn drop_adjusted_before(p: &mut PriceSeries, start: NaiveDate) {
    let k = p.timestamps.partition_point(|t| t.date() < start);
    p.timestamps.drain(..k);
    p.values.drain(..k);
}

/// [`drop_adjusted_before`] for multiple prices.
fn drop_carry_before(m: &mut CarryPrices, start: NaiveDate) {
    let k = m.timestamps.partition_point(|t| t.date() < start);
    m.timestamps.drain(..k);
    m.price.drain(..k);
    m.price_contract.drain(..k);
    m.carry.drain(..k);
    m.carry_contract.drain(..k);
}

/// One instrument: reads its prices, reduces them to daily series (and with
/// [`Load::forecast_inputs`] the forecast raw-data stage) and drops the raw rows.
fn load_one(
    store: &Store,
    setup: &ForecastSetup,
    code: &InstrumentCode,
    load: Load,
) -> Result<(InstrumentPrices, ForecastJob, Option<ForecastInputs>), String> {
    let keep = |t: &Timestamp| load.as_of.is_none_or(|d| t.date() <= d);
    if !store.dir().adjusted_prices_file(code).exists() {
        return Err(no_adjusted_prices(store, code));
    }
    let mut adjusted = store
        .read_adjusted_prices(code)
        .map_err(|e| e.to_string())?;
    let n = adjusted.timestamps.iter().take_while(|t| keep(t)).count();
    adjusted.timestamps.truncate(n);
    adjusted.values.truncate(n);
    if let Some(start) = setup.start_date {
        drop_adjusted_before(&mut adjusted, start);
    }
    if adjusted.is_empty() {
        return Err(match (load.as_of, setup.start_date) {
            (Some(d), None) => format!("no adjusted prices on or before {d}"),
            (None, Some(s)) => format!("no adjusted prices on or after start_date {s}"),
            (Some(d), Some(s)) => {
                format!("no adjusted prices from start_date {s} to {d}")
            }
            (None, None) => "no adjusted prices".to_string(),
        });
    }
    let multiple = if store.dir().multiple_prices_file(code).exists() {
        // sizing alone uses only the price column (the denominator price and the reference)
        let mut m = if load.forecast_inputs {
            store.read_carry_prices(code)
        } else {
            store.read_current_contract_prices(code)
        }
        .map_err(|e| e.to_string())?;
        m.truncate(m.timestamps.iter().take_while(|t| keep(t)).count());
        if let Some(start) = setup.start_date {
            drop_carry_before(&mut m, start);
        }
        Some(m)
    } else if setup.needs_carry(code) {
        return Err(format!(
            "carry rules need multiple prices (expected {})",
            store.dir().multiple_prices_file(code).display()
        ));
    } else {
        None
    };
    let job = setup
        .job(code)
        .ok_or_else(|| "no forecast config".to_string())?;
    let reference = match multiple
        .as_ref()
        .and_then(|m| Some((m, m.price.iter().rposition(|p| !p.is_nan())?)))
    {
        Some((m, i)) => Some(Reference {
            price: m.price[i],
            contract: m.price_contract[i].to_string(),
            timestamp: m.timestamps[i],
        }),
        None => adjusted
            .timestamps
            .iter()
            .zip(&adjusted.values)
            .rev()
            .find(|(_, v)| !v.is_nan())
            .map(|(t, v)| Reference {
                price: *v,
                contract: String::new(),
                timestamp: *t,
            }),
    };
    // Only the business-day closes of the adjusted prices are used (`get_daily_prices`,
    // spec §3.1), and `resample("1B").last()` of them is themselves: keep just those.
    let daily = systrade_forecast::rawdata::daily_prices(&adjusted);
    drop(adjusted);
    let adjusted = AdjustedPrices::new(
        daily
            .dates
            .iter()
            .map(|d| Timestamp::from_date(*d))
            .collect(),
        daily.values,
    );
    let multiple = multiple.filter(|m| !m.is_empty());
    // Every instrument's forecast config has the system's volatility calculation
    // (`ForecastSetup::new`), so the raw data of sizing and forecasts are the same.
    let (raw, inputs) = if load.forecast_inputs {
        let inputs = ForecastInputs::compute(
            PriceInputs {
                adjusted: &adjusted,
                multiple: multiple.as_ref(),
            },
            &job.config.vol,
        );
        (Arc::clone(&inputs.raw), Some(inputs))
    } else {
        (
            Arc::new(RawData::compute(&adjusted, multiple.as_ref(), &setup.vol)),
            None,
        )
    };
    Ok((
        InstrumentPrices {
            code: code.clone(),
            raw,
            reference,
        },
        job,
        inputs,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use systrade_model::{ContractDate, MultiplePrices, MultiplePricesRow};

    fn code(s: &str) -> InstrumentCode {
        InstrumentCode::new(s).unwrap()
    }

    fn config(yaml: &str) -> SystemConfig {
        SystemConfig::from_yaml_str(yaml, "test.yaml").unwrap().0
    }

    /// Adjusted prices (twice a day: 10:00 and 19:00, every business day of 2023) for every code,
    /// multiple prices for those in `with_multiple`.
    fn data_dir(codes: &[&str], with_multiple: &[&str]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path());
        let w = store.lock_for_writing(Duration::from_secs(5)).unwrap();
        let start = NaiveDate::from_ymd_opt(2023, 1, 2).unwrap();
        let days =
            systrade_series::business_days(start, NaiveDate::from_ymd_opt(2023, 12, 29).unwrap());
        let stamps: Vec<Timestamp> = days
            .iter()
            .flat_map(|d| {
                [10, 19].map(|h| Timestamp::from_datetime(d.and_hms_opt(h, 0, 0).unwrap()))
            })
            .collect();
        let prices: Vec<f64> = (0..stamps.len())
            .map(|i| 100.0 + (i as f64 / 9.0).sin() * 4.0)
            .collect();
        for c in codes {
            w.write_adjusted_prices(
                &code(c),
                &AdjustedPrices::new(stamps.clone(), prices.clone()),
            )
            .unwrap();
        }
        for c in with_multiple {
            let rows: MultiplePrices = stamps
                .iter()
                .zip(&prices)
                .map(|(t, p)| MultiplePricesRow {
                    timestamp: *t,
                    price: *p,
                    price_contract: ContractDate::from_id(20240300).unwrap(),
                    forward: f64::NAN,
                    forward_contract: ContractDate::from_id(20240600).unwrap(),
                    carry: p - 0.5,
                    carry_contract: ContractDate::from_id(20240600).unwrap(),
                })
                .collect();
            w.write_multiple_prices(&code(c), &rows).unwrap();
        }
        (dir, store)
    }

    const CARRY: &str = "trading_rules:\n  carry:\n    function: carry\n    data: [rawdata.raw_carry]\n    other_args: {smooth_days: 90}\n  ewmac:\n    function: ewmac\n    data: [rawdata.get_daily_prices, rawdata.daily_returns_volatility]\n    other_args: {Lfast: 8, Lslow: 32}\n";

    #[test]
    fn instrument_list_from_config_or_data_narrowed_by_a_selection() {
        let (_dir, store) = data_dir(&["AAA", "BBB", "CCC"], &[]);
        let cfg = config("instruments: [BBB, CCC]\n");
        let l = instrument_list(&store, &cfg, None).unwrap();
        assert_eq!(l.codes, vec![code("BBB"), code("CCC")]);
        assert!(l.explicit && !l.narrowed);
        assert_eq!(l.source_name(), "instruments");
        let l = instrument_list(&store, &config(""), Some(&[code("CCC"), code("AAA")])).unwrap();
        assert_eq!(l.codes, vec![code("AAA"), code("CCC")], "in list order");
        assert!(l.explicit && l.narrowed);
        let l = instrument_list(&store, &config(""), None).unwrap();
        assert_eq!(l.codes.len(), 3);
        assert!(!l.explicit);
        let e = instrument_list(&store, &cfg, Some(&[code("AAA"), code("ZZZ")])).unwrap_err();
        assert!(
            matches!(&e, SystemError::UnknownInstruments { unknown, .. } if unknown.len() == 2),
            "{e}"
        );
        let (_empty, empty) = data_dir(&[], &[]);
        let e = instrument_list(&empty, &config(""), None).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "no instruments (instrument list from every instrument with adjusted prices;"
            ),
            "{e}"
        );
    }

    #[test]
    fn instruments_without_carry_data_are_skipped_only_from_an_implicit_list() {
        let (_dir, store) = data_dir(&["AAA", "BBB"], &["BBB"]);
        let cfg = config(CARRY);
        let mut list = instrument_list(&store, &cfg, None).unwrap();
        let setup = ForecastSetup::new(&cfg, &list.codes).unwrap();
        assert_eq!(
            without_multiple_prices(&store, &list, &setup),
            vec![code("AAA")]
        );
        let loaded = load_instruments(&store, &list, &setup, Load::default());
        assert_eq!(loaded.prices.len(), 1, "AAA is not a candidate");
        assert!(loaded.failures.is_empty());
        skip_without_multiple_prices(&store, &mut list, &setup);
        assert_eq!(list.codes, vec![code("BBB")]);
        // named: a failure of the instrument
        let list = instrument_list(&store, &cfg, Some(&[code("AAA"), code("BBB")])).unwrap();
        let loaded = load_instruments(&store, &list, &setup, Load::default());
        assert_eq!(loaded.prices.len(), 1);
        assert_eq!(loaded.failures.len(), 1);
        assert!(
            loaded.failures[0]
                .1
                .starts_with("carry rules need multiple prices")
        );
    }

    #[test]
    fn loading_reduces_to_daily_closes_and_cuts_at_the_as_of_date() {
        let (_dir, store) = data_dir(&["AAA"], &["AAA"]);
        let cfg = config(CARRY);
        let list = instrument_list(&store, &cfg, None).unwrap();
        let setup = ForecastSetup::new(&cfg, &list.codes).unwrap();
        let full = load_instruments(
            &store,
            &list,
            &setup,
            Load {
                as_of: None,
                forecast_inputs: true,
            },
        );
        assert_eq!(full.inputs.len(), 1);
        // the sizing raw data is the forecast raw-data stage, shared
        assert!(Arc::ptr_eq(&full.prices[0].raw, &full.inputs[0].raw));
        // the same as computing from every intraday row
        let code = code("AAA");
        let direct = ForecastInputs::compute(
            PriceInputs {
                adjusted: &store.read_adjusted_prices(&code).unwrap(),
                multiple: Some(&store.read_carry_prices(&code).unwrap()),
            },
            &setup.vol,
        );
        let bits = |s: &systrade_series::DailySeries| {
            s.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        assert_eq!(direct.raw.daily_prices, full.inputs[0].raw.daily_prices);
        assert_eq!(
            bits(&direct.raw.daily_returns_volatility),
            bits(&full.inputs[0].raw.daily_returns_volatility)
        );
        assert_eq!(
            bits(direct.raw_carry.as_ref().unwrap()),
            bits(full.inputs[0].raw_carry.as_ref().unwrap())
        );
        let reference = full.prices[0].reference.as_ref().unwrap();
        assert_eq!(reference.contract, "20240300");
        assert_eq!(
            reference.timestamp.date(),
            NaiveDate::from_ymd_opt(2023, 12, 29).unwrap()
        );

        let as_of = NaiveDate::from_ymd_opt(2023, 6, 30).unwrap();
        let cut = load_instruments(
            &store,
            &list,
            &setup,
            Load {
                as_of: Some(as_of),
                forecast_inputs: false,
            },
        );
        assert!(cut.inputs.is_empty());
        assert_eq!(cut.prices[0].raw.daily_prices.dates.last(), Some(&as_of));
        assert_eq!(
            cut.prices[0].reference.as_ref().unwrap().timestamp.date(),
            as_of
        );
        let before = load_instruments(
            &store,
            &list,
            &setup,
            Load {
                as_of: NaiveDate::from_ymd_opt(2022, 12, 30),
                forecast_inputs: true,
            },
        );
        assert_eq!(
            before.failures,
            vec![(
                code,
                "no adjusted prices on or before 2022-12-30".to_string()
            )]
        );
    }

    /// `start_date` cuts adjusted and multiple prices (pysystemtrade's `data[start_date:]`): the
    /// raw data is that of the prices from that date on.
    #[test]
    fn start_date_drops_earlier_prices() {
        let (_dir, store) = data_dir(&["AAA"], &["AAA"]);
        let cfg = config(&format!("start_date: 2023-03-01\n{CARRY}"));
        let list = instrument_list(&store, &cfg, None).unwrap();
        let setup = ForecastSetup::new(&cfg, &list.codes).unwrap();
        let start = NaiveDate::from_ymd_opt(2023, 3, 1).unwrap();
        let loaded = load_instruments(
            &store,
            &list,
            &setup,
            Load {
                as_of: None,
                forecast_inputs: true,
            },
        );
        let code = code("AAA");
        let mut adjusted = store.read_adjusted_prices(&code).unwrap();
        let mut multiple = store.read_carry_prices(&code).unwrap();
        drop_adjusted_before(&mut adjusted, start);
        drop_carry_before(&mut multiple, start);
        assert_eq!(adjusted.timestamps[0].date(), start);
        assert_eq!(multiple.timestamps[0].date(), start);
        let direct = ForecastInputs::compute(
            PriceInputs {
                adjusted: &adjusted,
                multiple: Some(&multiple),
            },
            &setup.vol,
        );
        assert_eq!(loaded.inputs[0].raw.daily_prices.dates[0], start);
        assert_eq!(direct.raw.daily_prices, loaded.inputs[0].raw.daily_prices);
        let bits = |s: &systrade_series::DailySeries| {
            s.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        assert_eq!(
            bits(direct.raw_carry.as_ref().unwrap()),
            bits(loaded.inputs[0].raw_carry.as_ref().unwrap())
        );
        // a start after every price: the instrument fails, named
        let cfg = config(&format!("start_date: 2024-06-03\n{CARRY}"));
        let setup = ForecastSetup::new(&cfg, &list.codes).unwrap();
        let none = load_instruments(&store, &list, &setup, Load::default());
        assert_eq!(
            none.failures,
            vec![(
                code,
                "no adjusted prices on or after start_date 2024-06-03".to_string()
            )]
        );
    }
}
