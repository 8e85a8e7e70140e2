//! Errors and warnings of the config reader. Both name the key path (`trading_rules.ewmac8.other_args.Lfast`)
//! and, when known, the line of the YAML file.

use std::fmt;

/// What went wrong, for callers that branch (e.g. a tool choosing its exit status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// The file could not be read.
    Io,
    /// The text is not valid YAML (syntax, duplicate keys, ...).
    Yaml,
    /// A key has a value of the wrong type or outside its valid range.
    Invalid,
    /// A trading rule's `function` names no built-in rule.
    UnknownRuleFunction,
    /// A key names a trading rule that `trading_rules` does not define.
    UnknownRule,
    /// A per-instrument setting has no entry for the instrument asked about.
    MissingInstrument,
    /// A pysystemtrade feature this re-implementation does not support yet (estimated weights, ...).
    Unsupported,
}

/// A config that cannot be used, with where the problem is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ConfigError {
    /// The file name (or other name) given to the reader.
    pub source_name: String,
    /// Dotted key path, e.g. `trading_rules.ewmac8.other_args.Lfast`; `None` for whole-file problems.
    pub key: Option<String>,
    /// 1-based line in the YAML text, when known.
    pub line: Option<u64>,
    pub kind: ConfigErrorKind,
    /// Human-readable explanation, without the key or file.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(
        source_name: &str,
        kind: ConfigErrorKind,
        key: Option<&str>,
        line: u64,
        message: impl Into<String>,
    ) -> Self {
        Self {
            source_name: source_name.to_string(),
            key: key.map(str::to_string),
            line: (line > 0).then_some(line),
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source_name)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Something in the config that is accepted but probably not what the author meant (an unknown key, a
/// forecast scalar for an undefined rule, ...). Tools log these at warn level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub source_name: String,
    /// Dotted key path of the offending key.
    pub key: String,
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source_name)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}: {}", self.key, self.message)
    }
}
