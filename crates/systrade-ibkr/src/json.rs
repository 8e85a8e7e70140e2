//! The gateway's loose JSON: numbers arrive as numbers or as strings (`"1,234.5"`, `""`), ids as
//! either. These read a [`serde_json::Value`] field the way every answer needs it.

use serde_json::Value;

/// A number sent as a number or a string (thousands separators allowed); empty or null is `None`.
pub(crate) fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let s = s.trim().replace(',', "");
            if s.is_empty() { None } else { s.parse().ok() }
        }
        _ => None,
    }
    .filter(|x: &f64| x.is_finite())
}

/// An integer id sent as a number or a string.
pub(crate) fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|x| x as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Text sent as a string or a number; empty is `None`.
pub(crate) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `+1` for buys (`BUY`, `B`), `-1` for sells (`SELL`, `S`), `None` otherwise.
pub(crate) fn side(v: Option<&Value>) -> Option<i64> {
    match v?.as_str()?.trim().to_ascii_uppercase().as_str() {
        "BUY" | "B" | "BOT" => Some(1),
        "SELL" | "S" | "SLD" => Some(-1),
        _ => None,
    }
}

/// A `YYYYMMDD` date sent as a number or a string.
pub(crate) fn date(v: Option<&Value>) -> Option<chrono::NaiveDate> {
    let d = int(v)?;
    chrono::NaiveDate::from_ymd_opt(
        i32::try_from(d / 10_000).ok()?,
        u32::try_from((d / 100) % 100).ok()?,
        u32::try_from(d % 100).ok()?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn loose_values() {
        assert_eq!(number(Some(&json!("1,234.5"))), Some(1234.5));
        assert_eq!(number(Some(&json!(""))), None);
        assert_eq!(number(Some(&json!(2))), Some(2.0));
        assert_eq!(int(Some(&json!("495512557"))), Some(495512557));
        assert_eq!(
            text(Some(&json!(1370093239))).as_deref(),
            Some("1370093239")
        );
        assert_eq!(side(Some(&json!("S"))), Some(-1));
        assert_eq!(side(Some(&json!("?"))), None);
        assert_eq!(
            date(Some(&json!(20241220))),
            chrono::NaiveDate::from_ymd_opt(2024, 12, 20)
        );
        assert_eq!(date(Some(&json!("20241320"))), None);
    }
}
