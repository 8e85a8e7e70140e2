//! Rule inputs that depend on other instruments (spec §3.2): the asset-class normalised price, the
//! asset-class median carry and demeaned factors. Each is computed once per asset class (or once
//! for all instruments) and then aligned to every member.
//!
//! Which instruments make a cross-section follows pysystemtrade: the normalised price and the
//! median carry of a class, and the all-asset factor averages, use the system's instruments
//! (`RawData.all_instruments_in_asset_class` intersects the data's class with the instrument
//! list); the asset-class factor average (`average_factor_value_in_asset_class_for_instrument`)
//! uses every instrument of the data in the class — the system's, plus the [`ClassPeer`]s the
//! caller supplies.

use crate::carry::{asset_class_median_carry, median_carry_for_asset_class};
use crate::factors::{
    DemeanMethod, cross_sectional_mean, demeaned_factor_value, factor_value, historic_average,
};
use crate::instrument::ForecastInputs;
use crate::rawdata::{asset_class_normalised_price, normalised_price_for_asset_class};
use crate::spec::{DataInput, FactorSpec, TradingRule};
use rayon::prelude::*;
use std::collections::BTreeMap;
use systrade_series::DailySeries;

/// Inputs of one instrument that depend on other instruments.
#[derive(Debug, Clone, Default)]
pub struct CrossSectionalInputs {
    /// `normalised_price_for_asset_class` for this instrument
    /// ([`crate::rawdata::normalised_price_for_asset_class`]).
    pub normalised_price_for_asset_class: Option<DailySeries>,
    /// `median_carry_for_asset_class` ([`crate::carry::median_carry_for_asset_class`]).
    pub median_carry_for_asset_class: Option<DailySeries>,
    /// `get_demeanded_factor_value` per factor specification.
    pub demeaned_factors: Vec<(FactorSpec, DailySeries)>,
}

/// An instrument of the data that is not in the system: it only contributes its factor values to
/// the asset-class factor averages (`average_factor_value_in_asset_class_for_instrument`).
#[derive(Debug, Clone)]
pub struct ClassPeer {
    pub asset_class: String,
    /// `get_daily_percentage_returns` ([`crate::RawData::daily_percentage_returns`]).
    pub daily_percentage_returns: DailySeries,
}

/// What cross-sectional inputs a set of rules needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CrossSectionalNeeds {
    pub normalised_price_for_asset_class: bool,
    pub median_carry_for_asset_class: bool,
    /// Distinct factor specifications of `get_demeanded_factor_value` inputs.
    pub factors: Vec<FactorSpec>,
}

impl CrossSectionalNeeds {
    /// The needs of all rules used by any instrument.
    pub fn of<'a>(rules: impl IntoIterator<Item = &'a TradingRule>) -> Self {
        let mut n = Self::default();
        for r in rules {
            for d in &r.data {
                match d {
                    DataInput::NormalisedPriceForAssetClass => {
                        n.normalised_price_for_asset_class = true;
                    }
                    DataInput::MedianCarryForAssetClass => n.median_carry_for_asset_class = true,
                    DataInput::DemeanedFactorValue(f) if !n.factors.contains(f) => {
                        n.factors.push(f.clone());
                    }
                    _ => {}
                }
            }
        }
        n
    }

    /// True when instruments' asset classes are needed.
    pub fn needs_asset_classes(&self) -> bool {
        self.normalised_price_for_asset_class
            || self.median_carry_for_asset_class
            || self.factors.iter().any(FactorSpec::demeaned_by_asset_class)
    }
}

/// Groups instrument indices by asset class (instruments without one are left out).
fn by_class(asset_classes: &[Option<&str>]) -> BTreeMap<String, Vec<usize>> {
    let mut m: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, c) in asset_classes.iter().enumerate() {
        if let Some(c) = c {
            m.entry((*c).to_string()).or_default().push(i);
        }
    }
    m
}

/// The cross-sectional inputs `needs` names for every instrument (in parallel per instrument and
/// per asset class). `data[i]` is `None` for an instrument that failed: it is left out of every
/// cross-section and gets empty inputs; `asset_classes[i]` is `None` for an instrument without
/// an asset class (it gets no asset-class input). `peers` are the instruments of the data outside
/// the system, for asset-class factor averages (empty when no rule needs them).
pub fn cross_sectional_inputs(
    data: &[Option<ForecastInputs>],
    asset_classes: &[Option<&str>],
    needs: &CrossSectionalNeeds,
    peers: &[ClassPeer],
) -> Vec<CrossSectionalInputs> {
    assert_eq!(
        data.len(),
        asset_classes.len(),
        "one asset class per instrument"
    );
    let n = data.len();
    let classes = by_class(asset_classes);
    // the three kinds of input are independent: computed side by side, so the cores stay busy
    // through each one's serial parts (a class's average, the all-asset mean)
    let ((normalised, median), factors) = rayon::join(
        || {
            rayon::join(
                || {
                    needs
                        .normalised_price_for_asset_class
                        .then(|| normalised_prices(data, asset_classes, &classes))
                },
                || {
                    needs
                        .median_carry_for_asset_class
                        .then(|| median_carries(data, asset_classes, &classes))
                },
            )
        },
        || demeaned_factors(data, asset_classes, &classes, &needs.factors, peers),
    );
    let mut cross = vec![CrossSectionalInputs::default(); n];
    for (c, p) in cross.iter_mut().zip(normalised.into_iter().flatten()) {
        c.normalised_price_for_asset_class = p;
    }
    for (c, m) in cross.iter_mut().zip(median.into_iter().flatten()) {
        c.median_carry_for_asset_class = m;
    }
    for (spec, demeaned) in factors {
        for (c, d) in cross.iter_mut().zip(demeaned) {
            if let Some(d) = d {
                c.demeaned_factors.push((spec.clone(), d));
            }
        }
    }
    cross
}

/// `normalised_price_for_asset_class` per instrument, aligned to its own normalised price.
fn normalised_prices(
    data: &[Option<ForecastInputs>],
    asset_classes: &[Option<&str>],
    classes: &BTreeMap<String, Vec<usize>>,
) -> Vec<Option<DailySeries>> {
    let returns: Vec<Option<DailySeries>> = data
        .par_iter()
        .map(|d| d.as_ref().map(|d| d.raw.daily_vol_normalised_returns()))
        .collect();
    let class_price: BTreeMap<&str, DailySeries> = classes
        .par_iter()
        .map(|(class, members)| {
            let series: Vec<&DailySeries> = members
                .iter()
                .filter_map(|&i| returns[i].as_ref())
                .collect();
            (class.as_str(), asset_class_normalised_price(&series))
        })
        .collect();
    data.par_iter()
        .zip(asset_classes)
        .map(|(d, class)| {
            let d = d.as_ref()?;
            let class = class_price.get((*class)?)?;
            Some(normalised_price_for_asset_class(
                class,
                &d.raw.cumulative_daily_vol_normalised_returns(),
            ))
        })
        .collect()
}

/// `median_carry_for_asset_class` per instrument, aligned to its raw carry.
fn median_carries(
    data: &[Option<ForecastInputs>],
    asset_classes: &[Option<&str>],
    classes: &BTreeMap<String, Vec<usize>>,
) -> Vec<Option<DailySeries>> {
    let class_median: BTreeMap<&str, DailySeries> = classes
        .par_iter()
        .map(|(class, members)| {
            let series: Vec<&DailySeries> = members
                .iter()
                .filter_map(|&i| data[i].as_ref().and_then(|d| d.raw_carry.as_ref()))
                .collect();
            (class.as_str(), asset_class_median_carry(&series))
        })
        .collect();
    data.iter()
        .zip(asset_classes)
        .map(|(d, class)| {
            let raw_carry = d.as_ref()?.raw_carry.as_ref()?;
            let m = class_median.get((*class)?)?;
            Some(median_carry_for_asset_class(m, raw_carry))
        })
        .collect()
}

/// `get_demeanded_factor_value` per factor specification (in `specs` order, leaving out those
/// with an unknown demean method) and instrument.
fn demeaned_factors<'s>(
    data: &[Option<ForecastInputs>],
    asset_classes: &[Option<&str>],
    classes: &BTreeMap<String, Vec<usize>>,
    specs: &'s [FactorSpec],
    peers: &[ClassPeer],
) -> Vec<(&'s FactorSpec, Vec<Option<DailySeries>>)> {
    // FactorSpec::check rejected unknown methods before; an instrument without the input
    // reports it as missing.
    let specs: Vec<(&FactorSpec, DemeanMethod)> = specs
        .iter()
        .filter_map(|s| Some((s, s.method().ok()?)))
        .collect();
    // factor values by (factor, lookback): specs that differ only in how they demean share them;
    // the peers' only when a spec demeans by asset class
    let same_factor = |a: &FactorSpec, b: &FactorSpec| {
        a.factor_name == b.factor_name && a.lookback_days == b.lookback_days
    };
    let mut distinct: Vec<&FactorSpec> = Vec::new();
    for (spec, _) in &specs {
        if !distinct.iter().any(|d| same_factor(d, spec)) {
            distinct.push(spec);
        }
    }
    let values: Vec<FactorValues> = distinct
        .par_iter()
        .map(|spec| {
            let by_class = specs
                .iter()
                .any(|(s, m)| same_factor(s, spec) && *m == DemeanMethod::AssetClass);
            FactorValues::new(spec, data, by_class.then_some(peers))
        })
        .collect();
    specs
        .par_iter()
        .map(|(spec, method)| {
            let at = distinct
                .iter()
                .position(|d| same_factor(d, spec))
                .expect("every spec's factor is among the distinct ones");
            let values = &values[at];
            let factors = &values.instruments;
            let averages = match method {
                DemeanMethod::CurrentAllAssets | DemeanMethod::HistoricAllAssets => {
                    let all: Vec<&DailySeries> = factors.iter().flatten().collect();
                    let mut avg = cross_sectional_mean(&all);
                    if *method == DemeanMethod::HistoricAllAssets {
                        avg = historic_average(&avg);
                    }
                    Averages::AllAssets(avg)
                }
                DemeanMethod::OwnHistoric => Averages::Own(
                    factors
                        .par_iter()
                        .map(|f| f.as_ref().map(historic_average))
                        .collect(),
                ),
                DemeanMethod::AssetClass => Averages::ByClass(
                    classes
                        .par_iter()
                        .map(|(class, members)| {
                            let series: Vec<&DailySeries> = members
                                .iter()
                                .filter_map(|&i| factors[i].as_ref())
                                .chain(
                                    values
                                        .peers
                                        .iter()
                                        .filter(|(c, _)| c == class)
                                        .map(|(_, f)| f),
                                )
                                .collect();
                            (class.as_str(), cross_sectional_mean(&series))
                        })
                        .collect(),
                ),
            };
            let averages: Vec<Option<&DailySeries>> = (0..factors.len())
                .map(|i| averages.of(i, asset_classes))
                .collect();
            let demeaned = factors
                .par_iter()
                .zip(&averages)
                .map(|(f, a)| Some(demeaned_factor_value(f.as_ref()?, (*a)?)))
                .collect();
            (*spec, demeaned)
        })
        .collect()
}

/// The averages one demean method subtracts from a factor: one for all instruments, one per
/// asset class, or each instrument's own (computed once, lent to each instrument).
enum Averages<'c> {
    AllAssets(DailySeries),
    ByClass(BTreeMap<&'c str, DailySeries>),
    Own(Vec<Option<DailySeries>>),
}

impl Averages<'_> {
    /// The average instrument `i` (of asset class `asset_classes[i]`) is demeaned by.
    fn of(&self, i: usize, asset_classes: &[Option<&str>]) -> Option<&DailySeries> {
        match self {
            Self::AllAssets(avg) => Some(avg),
            Self::ByClass(by_class) => by_class.get(asset_classes[i]?),
            Self::Own(own) => own[i].as_ref(),
        }
    }
}

/// One factor's values (by factor and lookback), computed once for every demean method using it.
struct FactorValues {
    /// Per instrument of the system (None without data).
    instruments: Vec<Option<DailySeries>>,
    /// Per instrument outside the system, with its asset class (empty unless a spec demeans
    /// this factor by asset class).
    peers: Vec<(String, DailySeries)>,
}

impl FactorValues {
    fn new(
        spec: &FactorSpec,
        data: &[Option<ForecastInputs>],
        peers: Option<&[ClassPeer]>,
    ) -> Self {
        let (instruments, peers) = rayon::join(
            || {
                data.par_iter()
                    .map(|d| {
                        Some(factor_value(
                            spec,
                            &d.as_ref()?.raw.daily_percentage_returns(),
                        ))
                    })
                    .collect()
            },
            || {
                peers
                    .unwrap_or_default()
                    .par_iter()
                    .map(|p| {
                        (
                            p.asset_class.clone(),
                            factor_value(spec, &p.daily_percentage_returns),
                        )
                    })
                    .collect()
            },
        );
        FactorValues { instruments, peers }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::PriceInputs;
    use crate::rawdata::VolConfig;
    use chrono::NaiveDate;
    use systrade_model::{AdjustedPrices, Timestamp};

    fn inputs(n: usize, wiggle: f64) -> ForecastInputs {
        let start = NaiveDate::from_ymd_opt(2020, 1, 6).unwrap();
        let dates = systrade_series::business_days(start, start + chrono::Days::new(2 * n as u64));
        let adjusted = AdjustedPrices::new(
            dates[..n]
                .iter()
                .map(|d| Timestamp::from_date(*d))
                .collect(),
            (0..n)
                .map(|t| 100.0 + (t as f64 * wiggle).sin() * 3.0 + t as f64 * 0.01)
                .collect(),
        );
        ForecastInputs::compute(
            PriceInputs {
                adjusted: &adjusted,
                multiple: None,
            },
            &VolConfig::default(),
        )
    }

    #[test]
    fn needs_of_rules() {
        let rule = |f: &str, data: &[&str]| {
            let data: Vec<String> = data.iter().map(ToString::to_string).collect();
            TradingRule::from_pysystemtrade(f, &data, &BTreeMap::new()).unwrap()
        };
        let rules = [
            rule("ewmac", &[]),
            rule("relative_momentum", &[]),
            rule("factor_trading_rule", &[]),
        ];
        let n = CrossSectionalNeeds::of(&rules);
        assert!(n.normalised_price_for_asset_class && !n.median_carry_for_asset_class);
        assert_eq!(n.factors, vec![FactorSpec::default()]);
        assert!(n.needs_asset_classes());
        assert!(!CrossSectionalNeeds::of(&rules[..1]).needs_asset_classes());
        let all_assets = CrossSectionalNeeds {
            factors: vec![FactorSpec::default()],
            ..CrossSectionalNeeds::default()
        };
        assert!(!all_assets.needs_asset_classes());
    }

    #[test]
    fn asset_class_inputs_skip_failed_and_unclassified_instruments() {
        let data = vec![
            Some(inputs(400, 0.1)),
            None,
            Some(inputs(300, 0.3)),
            Some(inputs(300, 0.2)),
        ];
        let classes = [Some("Bond"), Some("Bond"), Some("Bond"), None];
        let needs = CrossSectionalNeeds {
            normalised_price_for_asset_class: true,
            factors: vec![FactorSpec::default()],
            ..CrossSectionalNeeds::default()
        };
        let cross = cross_sectional_inputs(&data, &classes, &needs, &[]);
        assert!(cross[0].normalised_price_for_asset_class.is_some());
        assert!(
            cross[1].normalised_price_for_asset_class.is_none(),
            "failed"
        );
        assert!(
            cross[3].normalised_price_for_asset_class.is_none(),
            "no class"
        );
        // the class price is the cumulated median of the two members' normalised returns
        let r0 = data[0].as_ref().unwrap().raw.daily_vol_normalised_returns();
        let r2 = data[2].as_ref().unwrap().raw.daily_vol_normalised_returns();
        let class = asset_class_normalised_price(&[&r0, &r2]);
        let own = data[0]
            .as_ref()
            .unwrap()
            .raw
            .cumulative_daily_vol_normalised_returns();
        let got = cross[0].normalised_price_for_asset_class.as_ref().unwrap();
        let want = normalised_price_for_asset_class(&class, &own);
        assert_eq!(got.dates, want.dates);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got.values), bits(&want.values));
        assert!(got.values.iter().any(|v| !v.is_nan()));
        // demeaned over all assets: every successful instrument, with or without a class
        assert_eq!(cross[3].demeaned_factors.len(), 1);
        assert!(cross[1].demeaned_factors.is_empty());
    }
}
