//! A small YAML tree with line numbers, read with serde-saphyr (YAML 1.2 core schema), so that the
//! config reader can walk it by hand: accept the spellings pysystemtrade's configs use, name the key
//! path of every problem and warn about keys it does not know.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One YAML node and the (1-based) line it starts on; line 0 when unknown.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) line: u64,
}

/// A YAML value. Mapping keys are kept as text (scalars converted), in source order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Value {
    /// What kind of value this is, for error messages ("a number", "a list", ...).
    pub(crate) fn describe(&self) -> String {
        match self {
            Value::Null => "nothing (null)".to_string(),
            Value::Bool(b) => format!("the boolean {b}"),
            Value::Int(i) => format!("the integer {i}"),
            Value::Float(x) => format!("the number {x}"),
            Value::Str(s) => format!("the text '{s}'"),
            Value::Seq(_) => "a list".to_string(),
            Value::Map(_) => "a mapping".to_string(),
        }
    }
}

impl Node {
    /// The entries of a mapping, or `None` when this is not a mapping.
    #[cfg(test)]
    pub(crate) fn as_map(&self) -> Option<&[(String, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }
}

/// Parses a YAML document into a [`Node`]. An empty document is `Null`.
pub(crate) fn parse(text: &str) -> Result<Node, serde_saphyr::Error> {
    if text.trim().is_empty() {
        return Ok(Node {
            value: Value::Null,
            line: 0,
        });
    }
    let node: Option<Node> = serde_saphyr::from_str(text)?;
    Ok(node.unwrap_or(Node {
        value: Value::Null,
        line: 0,
    }))
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<Value>::deserialize(d)?;
        Ok(Node {
            value: spanned.value,
            line: spanned.referenced.line(),
        })
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_char<E: de::Error>(self, v: char) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key.0, value));
        }
        Ok(Value::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

/// A mapping key: any scalar, kept as text (`1: x` gives the key "1").
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
                Ok(Key(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
                Ok(Key("null".to_string()))
            }
            fn visit_none<E: de::Error>(self) -> Result<Key, E> {
                Ok(Key("null".to_string()))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_lists_maps_and_lines() {
        let n = parse("a: 1\nb: .4\nc: 1e-10\nd: True\ne: text\nf:\ng: [x, 2]\nh:\n  k: 2.5\n")
            .unwrap();
        let m = n.as_map().unwrap();
        let get = |k: &str| &m.iter().find(|(key, _)| key == k).unwrap().1;
        assert_eq!(get("a").value, Value::Int(1));
        assert_eq!(get("b").value, Value::Float(0.4));
        assert_eq!(get("c").value, Value::Float(1e-10));
        assert_eq!(get("d").value, Value::Bool(true));
        assert_eq!(get("e").value, Value::Str("text".into()));
        assert!(get("f").is_null());
        assert_eq!(get("e").line, 5);
        match &get("g").value {
            Value::Seq(items) => {
                assert_eq!(items[0].value, Value::Str("x".into()));
                assert_eq!(items[1].value, Value::Int(2));
            }
            other => panic!("{other:?}"),
        }
        let h = get("h").as_map().unwrap();
        assert_eq!(h[0].0, "k");
        assert_eq!(h[0].1.value, Value::Float(2.5));
        assert_eq!(h[0].1.line, 9);
    }

    #[test]
    fn quoted_numbers_stay_text_and_empty_is_null() {
        let n = parse("w: \"0.5\"\n").unwrap();
        assert_eq!(n.as_map().unwrap()[0].1.value, Value::Str("0.5".into()));
        assert!(parse("").unwrap().is_null());
        assert!(parse("# only a comment\n").unwrap().is_null());
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        assert!(parse("a: 1\na: 2\n").is_err());
    }
}
