//! Generating prices from a [`MarketSpec`](crate::MarketSpec).
//!
//! Per instrument, on every weekday from its first date to the end:
//! - a regime: calm, or stressed (entered with probability 1/250 a day, left with 1/40);
//! - the spot `S`: `ln S_t = ln S_{t−1} + σ z − σ²/2` (`σ = annual_vol/16`, × the stress multiplier),
//!   plus `κ (ln level − ln S_{t−1})` when mean-reverting;
//! - the carry rate `r`: `r_t = r_{t−1} + κ_r (r̄ − r_{t−1}) + rate_vol·√(2κ_r)·z`, `r̄` the calm or
//!   stressed rate;
//! - market activity `a = e^{0.25 z}` (× 1.5 when stressed), which scales volume.
//!
//! Each priced contract `c` with approximate expiry `E_c` trades from its listing date to `E_c`:
//! `close = S · e^{r·(E_c − t)/365.25 + ε_c}`, `ε_c` an AR(1) contract noise (persistence 0.95,
//! stationary sd 0.15 %); open, high and low spread around it by the day's volatility; all rounded to
//! the tick. Volume follows [`VolumeModel`](crate::VolumeModel). A bar is dropped on the region's
//! holidays, inside a [`ContractGap`](crate::ContractGap), and at random with the instrument's missing
//! day probability. Every contract and FX series draws from its own random stream, so the output does
//! not depend on generation order.

use crate::calendar::{HolidayCalendar, weekdays};
use crate::random::{SynthRng, exp, ln};
use crate::spec::{FxSpec, InstrumentSpec, MarketSpec, cycle_spacing_days};
use chrono::NaiveDate;
use systrade_model::{ContractBar, ContractDate, ContractPrices, InstrumentCode, Timestamp};

const CALM_TO_STRESS: f64 = 1.0 / 250.0;
const STRESS_TO_CALM: f64 = 1.0 / 40.0;
const STRESS_ACTIVITY: f64 = 1.5;
const NOISE_PERSISTENCE: f64 = 0.95;
const NOISE_STATIONARY_SD: f64 = 0.0015;
const FX_MEAN_REVERSION: f64 = 0.002;

/// One daily bar of one contract; prices are on the instrument's tick grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DailyBar {
    pub date: NaiveDate,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: u64,
}

/// All bars of one contract, in date order.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractHistory {
    pub contract: ContractDate,
    pub bars: Vec<DailyBar>,
}

/// The generated prices of one instrument: every contract with at least one bar, in contract order.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentMarket {
    pub code: InstrumentCode,
    pub contracts: Vec<ContractHistory>,
}

/// A generated FX series (USD per one unit of `currency`), in date order.
#[derive(Debug, Clone, PartialEq)]
pub struct FxHistory {
    pub currency: String,
    pub rates: Vec<(NaiveDate, f64)>,
}

/// A whole generated market (use for small markets; large ones go instrument by instrument with
/// [`generate_instrument`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Market {
    pub instruments: Vec<InstrumentMarket>,
    pub fx: Vec<FxHistory>,
}

/// Wall-clock time of daily closes in the files (`YYYY-MM-DD 23:00:00`, as pysystemtrade).
pub fn close_timestamp(date: NaiveDate) -> Timestamp {
    Timestamp::from_datetime(date.and_hms_opt(23, 0, 0).expect("valid time"))
}

impl InstrumentMarket {
    pub fn contract(&self, contract: ContractDate) -> Option<&ContractHistory> {
        self.contracts.iter().find(|c| c.contract == contract)
    }

    /// All bars as the domain's [`ContractPrices`], sorted by timestamp then contract.
    pub fn contract_prices(&self) -> ContractPrices {
        let mut bars: ContractPrices = self
            .contracts
            .iter()
            .flat_map(|c| {
                c.bars.iter().map(|b| ContractBar {
                    contract: c.contract,
                    timestamp: close_timestamp(b.date),
                    open: b.open,
                    high: b.high,
                    low: b.low,
                    close: b.close,
                    volume: b.volume as f64,
                })
            })
            .collect();
        bars.sort_by_key(|b| (b.timestamp, b.contract));
        bars
    }
}

/// Generates every instrument and FX series of `spec`.
pub fn generate_market(spec: &MarketSpec) -> Market {
    Market {
        instruments: spec
            .instruments
            .iter()
            .map(|i| generate_instrument(i, spec.seed, spec.end))
            .collect(),
        fx: spec
            .fx
            .iter()
            .map(|f| generate_fx(f, spec.seed, spec.start, spec.end))
            .collect(),
    }
}

/// The daily state shared by all contracts of an instrument (one entry per weekday).
struct Underlying {
    days: Vec<NaiveDate>,
    spot: Vec<f64>,
    rate: Vec<f64>,
    daily_vol: Vec<f64>,
    activity: Vec<f64>,
}

fn underlying(spec: &InstrumentSpec, seed: u64, end: NaiveDate) -> Underlying {
    let mut rng = SynthRng::new(seed, spec.code().as_str());
    let days = weekdays(spec.first_date, end);
    let n = days.len();
    let (mut spot, mut rate, mut daily_vol, mut activity) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let carry = spec.carry;
    let rate_innovation = carry.rate_vol * (2.0 * carry.daily_speed).sqrt();
    let mut stressed = false;
    let mut log_spot = ln(spec.spot.start);
    let mut r = carry.calm_rate;
    for i in 0..n {
        stressed = if stressed {
            !rng.chance(STRESS_TO_CALM)
        } else {
            rng.chance(CALM_TO_STRESS)
        };
        let vol = spec.spot.annual_vol / systrade_model::ROOT_BUSINESS_DAYS_IN_YEAR
            * if stressed {
                spec.spot.stress_vol_multiplier
            } else {
                1.0
            };
        let z_spot = rng.normal();
        let z_rate = rng.normal();
        let z_activity = rng.normal();
        if i > 0 {
            log_spot += vol * z_spot - 0.5 * vol * vol;
            if let Some(m) = spec.spot.mean_reversion {
                log_spot += m.daily_speed * (ln(m.level) - log_spot);
            }
            let target = if stressed {
                carry.stress_rate
            } else {
                carry.calm_rate
            };
            r += carry.daily_speed * (target - r) + rate_innovation * z_rate;
        }
        spot.push(exp(log_spot));
        rate.push(r);
        daily_vol.push(vol);
        activity.push(exp(0.25 * z_activity) * if stressed { STRESS_ACTIVITY } else { 1.0 });
    }
    Underlying {
        days,
        spot,
        rate,
        daily_vol,
        activity,
    }
}

/// Generates all contracts of one instrument from its first date to `end` (see the module docs).
pub fn generate_instrument(spec: &InstrumentSpec, seed: u64, end: NaiveDate) -> InstrumentMarket {
    let und = underlying(spec, seed, end);
    let calendar = HolidayCalendar::for_region(&spec.instrument.region);
    let contracts = spec
        .contracts(end)
        .into_iter()
        .map(|c| contract_history(spec, seed, &und, calendar, c))
        .filter(|h| !h.bars.is_empty())
        .collect();
    InstrumentMarket {
        code: spec.code().clone(),
        contracts,
    }
}

fn contract_history(
    spec: &InstrumentSpec,
    seed: u64,
    und: &Underlying,
    calendar: HolidayCalendar,
    contract: ContractDate,
) -> ContractHistory {
    let mut rng = SynthRng::new(seed, &format!("{}/{}", spec.code(), contract.id()));
    let expiry = spec.roll.approx_expiry(contract);
    let listed = spec.listing_date(contract);
    let tau = cycle_spacing_days(&spec.roll.priced_cycle);
    let roll_days = spec.volume.roll_days;
    let width = (roll_days / 4.0).max(1.0);
    let noise_innovation =
        NOISE_STATIONARY_SD * (1.0 - NOISE_PERSISTENCE * NOISE_PERSISTENCE).sqrt();
    let gaps: Vec<_> = spec
        .gaps
        .iter()
        .filter(|g| g.contract == contract)
        .collect();
    let tick = spec.tick;
    let first = und.days.partition_point(|d| *d < listed);
    let last = und.days.partition_point(|d| *d <= expiry);
    let mut eps = NOISE_STATIONARY_SD * rng.normal();
    let mut bars = Vec::with_capacity(last.saturating_sub(first));
    for i in first..last {
        let date = und.days[i];
        eps = NOISE_PERSISTENCE * eps + noise_innovation * rng.normal();
        let (z_open, z_high, z_low, z_volume) =
            (rng.normal(), rng.normal(), rng.normal(), rng.normal());
        let missing = rng.chance(spec.missing_day_probability);
        if missing
            || calendar.is_holiday(date)
            || gaps.iter().any(|g| g.from <= date && date <= g.to)
        {
            continue;
        }
        let days_to_expiry = (expiry - date).num_days() as f64;
        let vol = und.daily_vol[i];
        let close = und.spot[i] * exp(und.rate[i] * days_to_expiry / 365.25 + eps);
        let open = close * exp(0.5 * vol * z_open);
        let high = open.max(close) * exp(0.4 * vol * z_high.abs());
        let low = open.min(close) * exp(-0.4 * vol * z_low.abs());
        let (open, close) = (
            on_grid(tick.round(open), tick.size),
            on_grid(tick.round(close), tick.size),
        );
        let high = on_grid(tick.round(high), tick.size).max(open).max(close);
        let low = on_grid(tick.round(low), tick.size).min(open).min(close);
        let weight =
            exp(-days_to_expiry / tau) / (1.0 + exp(-(days_to_expiry - roll_days) / width));
        let volume = (spec.volume.front * und.activity[i] * weight * exp(0.2 * z_volume)).round();
        bars.push(DailyBar {
            date,
            open,
            high,
            low,
            close,
            volume: volume as u64,
        });
    }
    ContractHistory { contract, bars }
}

/// Prices never round down to zero or below: at least one tick.
fn on_grid(price: f64, tick: f64) -> f64 {
    price.max(tick)
}

/// Generates one FX series on the global calendar from `start` to `end`.
pub fn generate_fx(spec: &FxSpec, seed: u64, start: NaiveDate, end: NaiveDate) -> FxHistory {
    let mut rng = SynthRng::new(seed, &format!("fx/{}", spec.currency));
    let vol = spec.annual_vol / systrade_model::ROOT_BUSINESS_DAYS_IN_YEAR;
    let anchor = ln(spec.start);
    let mut log_rate = anchor;
    let scale = (0..spec.decimals).fold(1.0, |s, _| s * 10.0);
    let mut rates = Vec::new();
    for (i, date) in weekdays(start, end).into_iter().enumerate() {
        let z = rng.normal();
        if i > 0 {
            log_rate += vol * z - 0.5 * vol * vol + FX_MEAN_REVERSION * (anchor - log_rate);
        }
        if HolidayCalendar::Global.is_holiday(date) {
            continue;
        }
        rates.push((date, (exp(log_rate) * scale).round() / scale));
    }
    FxHistory {
        currency: spec.currency.clone(),
        rates,
    }
}
