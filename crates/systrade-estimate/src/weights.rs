//! Named portfolio weights, equal weights and weight cleaning (pysystemtrade
//! `sysquant/optimisation/weights.py`, `sysquant/optimisation/cleaning.py`).

use crate::EstimateError;

/// Weights by asset name (forecast weights by rule, instrument weights by instrument), in a fixed
/// order; NaN marks an asset the optimiser had no data for (`portfolioWeights`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Weights {
    entries: Vec<(String, f64)>,
}

impl Weights {
    pub fn new(entries: Vec<(String, f64)>) -> Self {
        Self { entries }
    }

    /// `1 / N` each (`one_over_n_weights_given_asset_names`); empty for no names.
    pub fn equal(names: &[String]) -> Self {
        let w = 1.0 / names.len() as f64;
        Self::new(names.iter().map(|n| (n.clone(), w)).collect())
    }

    pub fn entries(&self) -> &[(String, f64)] {
        &self.entries
    }

    pub fn get(&self, name: &str) -> Option<f64> {
        self.entries.iter().find(|(n, _)| n == name).map(|e| e.1)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn sum(&self) -> f64 {
        self.entries.iter().map(|e| e.1).sum()
    }
}

/// Replaces the NaN weights of assets that must have one (`clean_weights`, `fraction` 0.5 in
/// pysystemtrade): with `m` such assets out of `k` that get a weight, each gets
/// `fraction × m / k / m`, the others are scaled by `1 − fraction × m / k`, NaN weights of assets
/// without data become 0, and the result is re-normalised. Nothing to replace leaves the weights
/// unchanged (NaN included); no asset that must have a weight gives all zeros.
///
/// `must_have(name)` tells whether the asset had data in the fit window (`must_have_item`).
pub fn clean_weights(
    weights: &Weights,
    must_have: impl Fn(&str) -> Option<bool>,
    fraction: f64,
) -> Result<Weights, EstimateError> {
    let mut must = Vec::with_capacity(weights.len());
    for (name, _) in &weights.entries {
        must.push(must_have(name).ok_or_else(|| EstimateError::UnknownName(name.clone()))?);
    }
    if !must.iter().any(|&m| m) {
        return Ok(Weights::new(
            weights
                .entries
                .iter()
                .map(|(n, _)| (n.clone(), 0.0))
                .collect(),
        ));
    }
    let replace: Vec<bool> = weights
        .entries
        .iter()
        .zip(&must)
        .map(|((_, w), &m)| w.is_nan() && m)
        .collect();
    let keep_empty: Vec<bool> = weights
        .entries
        .iter()
        .zip(&must)
        .map(|((_, w), &m)| w.is_nan() && !m)
        .collect();
    let missing = replace.iter().filter(|&&r| r).count();
    if missing == 0 {
        return Ok(weights.clone());
    }
    let no_replacement = (0..weights.len())
        .filter(|&i| !replace[i] && !keep_empty[i])
        .count();
    let total_for_missing = fraction * missing as f64 / (no_replacement + missing) as f64;
    let adjustment_on_rest = 1.0 - total_for_missing;
    let each_missing = total_for_missing / missing as f64;
    let cleaned: Vec<f64> = weights
        .entries
        .iter()
        .enumerate()
        .map(|(i, (_, w))| {
            if replace[i] {
                each_missing
            } else if keep_empty[i] {
                0.0
            } else {
                w * adjustment_on_rest
            }
        })
        .collect();
    let total: f64 = cleaned.iter().sum();
    Ok(Weights::new(
        weights
            .entries
            .iter()
            .zip(cleaned)
            .map(|((n, _), w)| (n.clone(), w / total))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(values: &[f64]) -> Weights {
        Weights::new(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("a{i}"), *v))
                .collect(),
        )
    }

    fn values(w: &Weights) -> Vec<f64> {
        w.entries().iter().map(|e| e.1).collect()
    }

    /// pysystemtrade's own examples in `clean_list_of_weights` (all must-haves unless given).
    #[test]
    fn cleaning_examples() {
        let nan = f64::NAN;
        let all = |_: &str| Some(true);
        let c = clean_weights(&w(&[0.4, 0.6, nan]), all, 1.0).unwrap();
        let v = values(&c);
        assert!((v[0] - 0.4 * 2.0 / 3.0).abs() < 1e-15 && (v[2] - 1.0 / 3.0).abs() < 1e-15);
        let c = clean_weights(&w(&[0.4, 0.6, nan]), all, 0.5).unwrap();
        let v = values(&c);
        assert!((v[0] - 1.0 / 3.0).abs() < 1e-15);
        assert!((v[1] - 0.5).abs() < 1e-15);
        assert!((v[2] - 1.0 / 6.0).abs() < 1e-15);
        let first_not = |n: &str| Some(n != "a0");
        let c = clean_weights(&w(&[nan, nan, 1.0]), first_not, 1.0).unwrap();
        assert_eq!(values(&c), vec![0.0, 0.5, 0.5]);
        let none = |_: &str| Some(false);
        let c = clean_weights(&w(&[nan, nan, nan]), none, 1.0).unwrap();
        assert_eq!(values(&c), vec![0.0, 0.0, 0.0]);
        // nothing to replace: unchanged, NaN of an asset without data kept
        let c = clean_weights(&w(&[nan, 0.5, 0.5]), first_not, 0.5).unwrap();
        assert!(values(&c)[0].is_nan());
        assert!(clean_weights(&w(&[nan]), |_| None, 0.5).is_err());
        assert!(
            clean_weights(&Weights::default(), all, 0.5)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            Weights::equal(&["x".into(), "y".into()]).get("y"),
            Some(0.5)
        );
    }
}
