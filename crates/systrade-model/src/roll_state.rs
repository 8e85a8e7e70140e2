//! The roll state of an instrument (spec §4.8, pysystemtrade
//! `sysobjects/production/roll_state.py`): which contracts it trades while rolling. The transitions
//! and the auto-roll rule are in `systrade-roll`; `state.sqlite` stores the state (`systrade-store`).

use std::fmt;
use std::str::FromStr;

/// The roll state of an instrument; spelled as pysystemtrade spells it (`No_Roll`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RollState {
    /// Trade only the priced contract (the default).
    #[default]
    NoRoll,
    /// Close in the priced contract, open in the forward.
    Passive,
    /// A calendar-spread roll order; normal trading paused except reducing orders.
    Force,
    /// Like Force with two outright legs.
    ForceOutright,
    /// Close the position in the priced contract only.
    Close,
    /// Roll multiple and adjusted prices to the next contract (priced position must be 0).
    RollAdjusted,
    /// Near expiry but the forward is illiquid: only reducing trades.
    NoOpen,
}

impl RollState {
    pub const ALL: [RollState; 7] = [
        Self::NoRoll,
        Self::Passive,
        Self::Force,
        Self::ForceOutright,
        Self::Close,
        Self::RollAdjusted,
        Self::NoOpen,
    ];

    /// pysystemtrade's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoRoll => "No_Roll",
            Self::Passive => "Passive",
            Self::Force => "Force",
            Self::ForceOutright => "Force_Outright",
            Self::Close => "Close",
            Self::RollAdjusted => "Roll_Adjusted",
            Self::NoOpen => "No_Open",
        }
    }
}

impl fmt::Display for RollState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a roll state (expected No_Roll, Passive, Force, Force_Outright, Close, Roll_Adjusted or No_Open)"
)]
pub struct RollStateError(pub String);

impl FromStr for RollState {
    type Err = RollStateError;

    /// pysystemtrade's spelling; case and `_`/`-` are not significant (`no-roll` works).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        Self::ALL
            .into_iter()
            .find(|st| st.as_str().replace('_', "").to_lowercase() == norm)
            .ok_or_else(|| RollStateError(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RollState::*;

    #[test]
    fn spellings_round_trip() {
        for s in RollState::ALL {
            assert_eq!(s.as_str().parse::<RollState>().unwrap(), s);
        }
        assert_eq!(
            "force-outright".parse::<RollState>().unwrap(),
            ForceOutright
        );
        assert_eq!(RollAdjusted.to_string(), "Roll_Adjusted");
        assert!("Rolling".parse::<RollState>().is_err());
    }
}
