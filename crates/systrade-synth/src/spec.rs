//! What to generate: instruments with their configuration rows and the parameters of their price
//! processes, FX series, and the date range. [`testdata`] is the committed `testdata/` market;
//! [`universe`] draws any number of generic instruments from a few templates for benchmarks.

use crate::random::SynthRng;
use chrono::{Datelike, Months, NaiveDate};
use systrade_model::{
    CarryOffset, ContractDate, Instrument, InstrumentCode, RollCycle, RollParameters,
};

/// Seed of the committed `testdata/`.
pub const TESTDATA_SEED: u64 = 20_230_831;

/// Last day of every generated market (like pysystemtrade's shipped data).
pub fn end_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 8, 31).expect("valid date")
}

/// A whole synthetic market.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketSpec {
    pub seed: u64,
    /// First day of FX series; no instrument starts earlier.
    pub start: NaiveDate,
    /// Last day of every series.
    pub end: NaiveDate,
    pub instruments: Vec<InstrumentSpec>,
    /// One series per non-USD currency used by `instruments`, sorted by currency.
    pub fx: Vec<FxSpec>,
}

/// One instrument: its configuration rows and the parameters of its synthetic prices.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentSpec {
    /// `instrumentconfig.csv` row.
    pub instrument: Instrument,
    /// `rollconfig.csv` row.
    pub roll: RollParameters,
    /// `spreadcosts.csv` value: half the bid-offer spread in price units.
    pub spread_cost: f64,
    pub tick: Tick,
    /// First day with prices.
    pub first_date: NaiveDate,
    pub spot: SpotModel,
    pub carry: CarryModel,
    /// A contract trades from this many months before its approximate expiry until that expiry.
    pub listing_months: u32,
    pub volume: VolumeModel,
    /// Probability that a contract has no bar on a given trading day.
    pub missing_day_probability: f64,
    /// Extra runs of missing days for single contracts.
    pub gaps: Vec<ContractGap>,
    /// Contracts that start trading later than `listing_months` says.
    pub late_listings: Vec<LateListing>,
    /// What this instrument exercises (one line for `testdata/README.md`).
    pub purpose: String,
}

/// Price grid: prices are rounded to a multiple of `size` and written with `decimals` decimals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tick {
    pub size: f64,
    pub decimals: usize,
}

impl Tick {
    /// `round(x / size) · size`.
    pub fn round(self, x: f64) -> f64 {
        (x / self.size).round() * self.size
    }
}

/// The underlying spot: a log random walk whose daily volatility is `annual_vol / 16`, times
/// `stress_vol_multiplier` in the stressed regime, optionally pulled back towards a level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpotModel {
    pub start: f64,
    pub annual_vol: f64,
    pub stress_vol_multiplier: f64,
    pub mean_reversion: Option<MeanReversion>,
}

/// `log S` moves `daily_speed · (ln level − log S)` towards `ln level` each day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanReversion {
    pub level: f64,
    pub daily_speed: f64,
}

/// The annualised carry rate `r` of the term structure, `F = S · e^{r·T}`: an Ornstein–Uhlenbeck
/// process around `calm_rate` (calm regime) or `stress_rate` (stressed regime) with stationary
/// standard deviation `rate_vol` and mean-reversion speed `daily_speed`. `r > 0` is contango,
/// `r < 0` backwardation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CarryModel {
    pub calm_rate: f64,
    pub stress_rate: f64,
    pub rate_vol: f64,
    pub daily_speed: f64,
}

/// Volume of a contract `d` calendar days before expiry on a day of market activity `a`:
/// `front · a · e^{−d/τ} / (1 + e^{−(d − roll_days)/w})`, with `τ` the mean spacing of the priced
/// cycle and `w = max(1, roll_days/4)`: volume rises towards expiry and collapses `roll_days` before
/// it, when the next contract takes over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolumeModel {
    pub front: f64,
    pub roll_days: f64,
}

/// Days `from..=to` on which `contract` has no bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractGap {
    pub contract: ContractDate,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// `contract` has no bars before `first_day` (which may lie after the end of the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LateListing {
    pub contract: ContractDate,
    pub first_day: NaiveDate,
}

/// An FX series, `CCYUSD` = USD per one unit of `currency`: a log random walk with mild mean
/// reversion to its start.
#[derive(Debug, Clone, PartialEq)]
pub struct FxSpec {
    pub currency: String,
    pub start: f64,
    pub annual_vol: f64,
    pub decimals: usize,
}

impl InstrumentSpec {
    pub fn code(&self) -> &InstrumentCode {
        &self.instrument.code
    }

    /// First day `contract` may trade: `listing_months` before its approximate expiry, or its late
    /// listing date.
    pub fn listing_date(&self, contract: ContractDate) -> NaiveDate {
        if let Some(late) = self.late_listings.iter().find(|l| l.contract == contract) {
            return late.first_day;
        }
        self.roll
            .approx_expiry(contract)
            .checked_sub_months(Months::new(self.listing_months))
            .expect("date in range")
    }

    /// The priced contracts with at least one possible trading day in `first_date..=end`, in order.
    pub fn contracts(&self, end: NaiveDate) -> Vec<ContractDate> {
        let cycle = &self.roll.priced_cycle;
        let mut c = ContractDate::monthly((self.first_date.year() - 1) as u16, cycle.months()[0]);
        while self.roll.approx_expiry(c) < self.first_date {
            c = cycle.next_contract(c);
        }
        let mut out = Vec::new();
        while self
            .roll
            .approx_expiry(c)
            .checked_sub_months(Months::new(self.listing_months))
            .expect("date in range")
            <= end
        {
            out.push(c);
            c = cycle.next_contract(c);
        }
        out
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn contract(id: i64) -> ContractDate {
    ContractDate::from_id(id).expect("valid contract id")
}

#[derive(Clone, Copy)]
struct Row<'a> {
    code: &'a str,
    description: &'a str,
    pointsize: f64,
    currency: &'a str,
    asset_class: &'a str,
    per_block: f64,
    region: &'a str,
    hold: &'a str,
    roll_offset_days: i64,
    carry_offset: i64,
    priced: &'a str,
    expiry_offset: i64,
    spread_cost: f64,
}

impl Row<'_> {
    fn instrument(&self) -> Instrument {
        Instrument {
            code: InstrumentCode::new(self.code).expect("valid code"),
            description: self.description.to_string(),
            pointsize: self.pointsize,
            currency: self.currency.to_string(),
            asset_class: self.asset_class.to_string(),
            per_block: self.per_block,
            percentage: 0.0,
            per_trade: 0.0,
            region: self.region.to_string(),
        }
    }

    fn roll(&self) -> RollParameters {
        RollParameters {
            instrument: InstrumentCode::new(self.code).expect("valid code"),
            hold_cycle: self.hold.parse::<RollCycle>().expect("valid cycle"),
            priced_cycle: self.priced.parse::<RollCycle>().expect("valid cycle"),
            roll_offset_days: self.roll_offset_days,
            carry_offset: CarryOffset::from_i64(self.carry_offset).expect("±1"),
            expiry_offset: self.expiry_offset,
        }
    }
}

/// The committed `testdata/` market: six instruments, 2015-09-01 to 2023-08-31, seed
/// [`TESTDATA_SEED`]. Configuration rows follow pysystemtrade's `csvconfig` for the instruments of the
/// same name; the prices are synthetic.
pub fn testdata() -> MarketSpec {
    let start = date(2015, 9, 1);
    let base = |row: Row<'_>,
                tick: Tick,
                spot: SpotModel,
                carry: CarryModel,
                listing_months: u32,
                volume: VolumeModel,
                purpose: &str| InstrumentSpec {
        instrument: row.instrument(),
        roll: row.roll(),
        spread_cost: row.spread_cost,
        tick,
        first_date: start,
        spot,
        carry,
        listing_months,
        volume,
        missing_day_probability: 0.002,
        gaps: Vec::new(),
        late_listings: Vec::new(),
        purpose: purpose.to_string(),
    };
    let spot = |start: f64, annual_vol: f64| SpotModel {
        start,
        annual_vol,
        stress_vol_multiplier: 1.8,
        mean_reversion: None,
    };
    let carry = |calm_rate: f64, stress_rate: f64, rate_vol: f64| CarryModel {
        calm_rate,
        stress_rate,
        rate_vol,
        daily_speed: 1.0 / 60.0,
    };
    let us10 = base(
        Row {
            code: "US10",
            description: "Synthetic US 10 year bond note",
            pointsize: 1000.0,
            currency: "USD",
            asset_class: "Bond",
            per_block: 1.51,
            region: "US",
            hold: "HMUZ",
            roll_offset_days: -25,
            carry_offset: 1,
            priced: "HMUZ",
            expiry_offset: 19,
            spread_cost: 0.008,
        },
        Tick {
            size: 1.0 / 64.0,
            decimals: 6,
        },
        spot(125.0, 0.06),
        carry(0.01, -0.02, 0.02),
        9,
        VolumeModel {
            front: 1_200_000.0,
            roll_days: 8.0,
        },
        "quarterly bond: hold = priced = HMUZ, carry offset +1 (carry is the next contract), tick 1/64",
    );
    let corn = base(
        Row {
            code: "CORN",
            description: "Synthetic corn",
            pointsize: 50.0,
            currency: "USD",
            asset_class: "Ags",
            per_block: 2.92,
            region: "US",
            hold: "Z",
            roll_offset_days: -60,
            carry_offset: -1,
            priced: "HKNUZ",
            expiry_offset: 14,
            spread_cost: 0.16,
        },
        Tick {
            size: 0.25,
            decimals: 2,
        },
        SpotModel {
            mean_reversion: Some(MeanReversion {
                level: 450.0,
                daily_speed: 0.004,
            }),
            ..spot(420.0, 0.22)
        },
        carry(0.04, -0.10, 0.06),
        15,
        VolumeModel {
            front: 250_000.0,
            roll_days: 18.0,
        },
        "hold cycle Z inside priced cycle HKNUZ, carry offset -1 (carry is the previous priced contract), roll 60 days early",
    );
    let mut vix = base(
        Row {
            code: "VIX",
            description: "Synthetic US equity volatility index",
            pointsize: 1000.0,
            currency: "USD",
            asset_class: "Vol",
            per_block: 2.38,
            region: "US",
            hold: "FGHJKMNQUVXZ",
            roll_offset_days: -60,
            carry_offset: -1,
            priced: "FGHJKMNQUVXZ",
            expiry_offset: 19,
            spread_cost: 0.025,
        },
        Tick {
            size: 0.05,
            decimals: 2,
        },
        SpotModel {
            start: 16.0,
            annual_vol: 0.9,
            stress_vol_multiplier: 2.0,
            mean_reversion: Some(MeanReversion {
                level: 17.0,
                daily_speed: 0.03,
            }),
        },
        carry(0.5, -1.5, 0.3),
        6,
        VolumeModel {
            front: 80_000.0,
            roll_days: 5.0,
        },
        "monthly cycle, mean-reverting spot, steep contango that flips to backwardation in stress, carry offset -1",
    );
    vix.carry.daily_speed = 1.0 / 20.0;
    let eurostx = base(
        Row {
            code: "EUROSTX",
            description: "Synthetic European equity index",
            pointsize: 10.0,
            currency: "EUR",
            asset_class: "Equity",
            per_block: 2.0,
            region: "EMEA",
            hold: "HMUZ",
            roll_offset_days: -5,
            carry_offset: 1,
            priced: "HMUZ",
            expiry_offset: 15,
            spread_cost: 0.48,
        },
        Tick {
            size: 1.0,
            decimals: 1,
        },
        spot(3200.0, 0.18),
        carry(0.005, -0.03, 0.015),
        6,
        VolumeModel {
            front: 900_000.0,
            roll_days: 6.0,
        },
        "priced in EUR (needs fx_prices_csv/EURUSD.csv), EMEA holidays (1 May, 26 Dec), roll 5 days before expiry",
    );
    let mut gold = base(
        Row {
            code: "GOLD",
            description: "Synthetic gold",
            pointsize: 100.0,
            currency: "USD",
            asset_class: "Metals",
            per_block: 2.31,
            region: "US",
            hold: "GJMQVZ",
            roll_offset_days: -30,
            carry_offset: 1,
            priced: "GJMQVZ",
            expiry_offset: 26,
            spread_cost: 0.068,
        },
        Tick {
            size: 0.1,
            decimals: 1,
        },
        spot(1250.0, 0.15),
        carry(0.02, 0.0, 0.01),
        9,
        VolumeModel {
            front: 300_000.0,
            roll_days: 10.0,
        },
        "missing days: 2% of each contract's days are absent, and contract 20210600 has no bars 2021-04-12..2021-04-23 while it is the held contract",
    );
    gold.missing_day_probability = 0.02;
    gold.gaps.push(ContractGap {
        contract: contract(20210600),
        from: date(2021, 4, 12),
        to: date(2021, 4, 23),
    });
    let mut copper = base(
        Row {
            code: "COPPER",
            description: "Synthetic copper",
            pointsize: 25000.0,
            currency: "USD",
            asset_class: "Metals",
            per_block: 2.42,
            region: "US",
            hold: "HNUZ",
            roll_offset_days: -30,
            carry_offset: 1,
            priced: "FHJMNUVZ",
            expiry_offset: 27,
            spread_cost: 0.00043,
        },
        Tick {
            size: 0.0005,
            decimals: 4,
        },
        spot(2.9, 0.2),
        carry(0.015, -0.03, 0.02),
        8,
        VolumeModel {
            front: 120_000.0,
            roll_days: 10.0,
        },
        "starts late (2018-01-02); contract 20230900 only lists on 2023-07-10, after the desired roll date from 20230700; the next held contract 20231200 has no prices at the end of the data",
    );
    copper.first_date = date(2018, 1, 2);
    copper.late_listings = vec![
        LateListing {
            contract: contract(20230900),
            first_day: date(2023, 7, 10),
        },
        LateListing {
            contract: contract(20231200),
            first_day: date(2023, 9, 11),
        },
    ];
    let instruments = vec![us10, corn, vix, eurostx, gold, copper];
    MarketSpec {
        seed: TESTDATA_SEED,
        start,
        end: end_date(),
        fx: fx_for(&instruments),
        instruments,
    }
}

/// FX specs for the non-USD currencies of `instruments`, sorted by currency.
fn fx_for(instruments: &[InstrumentSpec]) -> Vec<FxSpec> {
    let mut currencies: Vec<&str> = instruments
        .iter()
        .map(|i| i.instrument.currency.as_str())
        .filter(|c| *c != "USD")
        .collect();
    currencies.sort_unstable();
    currencies.dedup();
    currencies
        .into_iter()
        .map(|c| {
            let (start, decimals) = match c {
                "EUR" => (1.10, 5),
                "GBP" => (1.30, 5),
                "JPY" => (0.0090, 8),
                "CHF" => (1.02, 5),
                _ => (0.5, 6),
            };
            FxSpec {
                currency: c.to_string(),
                start,
                annual_vol: 0.08,
                decimals,
            }
        })
        .collect()
}

/// A generic instrument shape for [`universe`].
struct Template {
    prefix: &'static str,
    row: Row<'static>,
    tick: Tick,
    spot: SpotModel,
    carry: CarryModel,
    listing_months: u32,
    volume: VolumeModel,
}

fn templates() -> Vec<Template> {
    let row = |prefix: &'static str,
               currency: &'static str,
               asset_class: &'static str,
               region: &'static str,
               hold: &'static str,
               priced: &'static str,
               roll_offset_days: i64,
               carry_offset: i64| Row {
        code: prefix,
        description: "Synthetic generic instrument",
        pointsize: 100.0,
        currency,
        asset_class,
        per_block: 2.0,
        region,
        hold,
        roll_offset_days,
        carry_offset,
        priced,
        expiry_offset: 15,
        spread_cost: 0.01,
    };
    let spot = |start: f64, annual_vol: f64| SpotModel {
        start,
        annual_vol,
        stress_vol_multiplier: 1.8,
        mean_reversion: None,
    };
    let carry = |calm_rate: f64, stress_rate: f64, rate_vol: f64| CarryModel {
        calm_rate,
        stress_rate,
        rate_vol,
        daily_speed: 1.0 / 60.0,
    };
    let tick = |size: f64, decimals: usize| Tick { size, decimals };
    let volume = |front: f64, roll_days: f64| VolumeModel { front, roll_days };
    vec![
        Template {
            prefix: "BOND",
            row: row("BOND", "USD", "Bond", "US", "HMUZ", "HMUZ", -25, 1),
            tick: tick(1.0 / 64.0, 6),
            spot: spot(120.0, 0.06),
            carry: carry(0.01, -0.02, 0.02),
            listing_months: 9,
            volume: volume(1_000_000.0, 8.0),
        },
        Template {
            prefix: "AGS",
            row: row("AGS", "USD", "Ags", "US", "Z", "HKNUZ", -60, -1),
            tick: tick(0.25, 2),
            spot: spot(400.0, 0.22),
            carry: carry(0.04, -0.10, 0.06),
            listing_months: 15,
            volume: volume(200_000.0, 18.0),
        },
        Template {
            prefix: "VOL",
            row: row(
                "VOL",
                "USD",
                "Vol",
                "US",
                "FGHJKMNQUVXZ",
                "FGHJKMNQUVXZ",
                -60,
                -1,
            ),
            tick: tick(0.05, 2),
            spot: SpotModel {
                start: 18.0,
                annual_vol: 0.9,
                stress_vol_multiplier: 2.0,
                mean_reversion: Some(MeanReversion {
                    level: 18.0,
                    daily_speed: 0.03,
                }),
            },
            carry: CarryModel {
                calm_rate: 0.5,
                stress_rate: -1.5,
                rate_vol: 0.3,
                daily_speed: 1.0 / 20.0,
            },
            listing_months: 6,
            volume: volume(80_000.0, 5.0),
        },
        Template {
            prefix: "EQEUR",
            row: row("EQEUR", "EUR", "Equity", "EMEA", "HMUZ", "HMUZ", -5, 1),
            tick: tick(0.5, 1),
            spot: spot(3000.0, 0.18),
            carry: carry(0.005, -0.03, 0.015),
            listing_months: 6,
            volume: volume(500_000.0, 6.0),
        },
        Template {
            prefix: "EQJPY",
            row: row("EQJPY", "JPY", "Equity", "ASIA", "HMUZ", "HMUZ", -5, 1),
            tick: tick(5.0, 1),
            spot: spot(20_000.0, 0.2),
            carry: carry(0.0, -0.03, 0.015),
            listing_months: 6,
            volume: volume(100_000.0, 6.0),
        },
        Template {
            prefix: "METAL",
            row: row("METAL", "GBP", "Metals", "EMEA", "HNUZ", "FHJMNUVZ", -30, 1),
            tick: tick(0.5, 1),
            spot: spot(2000.0, 0.2),
            carry: carry(0.015, -0.03, 0.02),
            listing_months: 8,
            volume: volume(100_000.0, 10.0),
        },
    ]
}

/// `instruments` generic instruments over `years` years ending on [`end_date`], each drawn from one
/// of six templates (bond, ags, vol, EUR equity, JPY equity, GBP metal) with randomised start price,
/// volatility, carry and volume; a fifth of them start at a random date in the first half of the
/// period. Codes are `<TEMPLATE><index>`, e.g. `BOND000017`.
pub fn universe(instruments: usize, years: u32, seed: u64) -> MarketSpec {
    let end = end_date();
    let start = end
        .checked_sub_months(Months::new(12 * years))
        .expect("date in range")
        .succ_opt()
        .expect("date in range");
    let templates = templates();
    let mut specs = Vec::with_capacity(instruments);
    for index in 0..instruments {
        let mut rng = SynthRng::new(seed, &format!("universe/{index}"));
        let t = &templates[rng.index(templates.len())];
        let code = format!("{}{index:06}", t.prefix);
        let row = Row {
            code: &code,
            ..t.row
        };
        let first_date = if rng.chance(0.2) {
            let span = (end - start).num_days() / 2;
            start + chrono::Days::new(rng.index(span as usize) as u64)
        } else {
            start
        };
        let scale = rng.uniform_between(0.5, 2.0);
        let vol_scale = rng.uniform_between(0.7, 1.3);
        let spot = SpotModel {
            start: t.spot.start * scale,
            annual_vol: t.spot.annual_vol * vol_scale,
            mean_reversion: t.spot.mean_reversion.map(|m| MeanReversion {
                level: m.level * scale,
                ..m
            }),
            ..t.spot
        };
        let carry = CarryModel {
            calm_rate: t.carry.calm_rate + rng.uniform_between(-0.5, 0.5) * t.carry.rate_vol,
            ..t.carry
        };
        specs.push(InstrumentSpec {
            instrument: row.instrument(),
            roll: row.roll(),
            spread_cost: row.spread_cost,
            tick: t.tick,
            first_date,
            spot,
            carry,
            listing_months: t.listing_months,
            volume: VolumeModel {
                front: (t.volume.front * rng.uniform_between(0.1, 2.0)).round(),
                ..t.volume
            },
            missing_day_probability: 0.002,
            gaps: Vec::new(),
            late_listings: Vec::new(),
            purpose: format!("generic {} instrument", t.prefix),
        });
    }
    MarketSpec {
        seed,
        start,
        end,
        fx: fx_for(&specs),
        instruments: specs,
    }
}

/// The priced cycle's mean spacing in days, `365.25 / months per year` (the volume model's `τ`).
pub(crate) fn cycle_spacing_days(cycle: &RollCycle) -> f64 {
    365.25 / cycle.len() as f64
}
