//! Accounts and positions (spec "Positions"): `GET /iserver/accounts` (must be called before
//! orders; lists the accounts and the selected one), `GET /portfolio/accounts` (must be called
//! before the other portfolio endpoints), `GET /portfolio/{acct}/positions/{page}` (pages from 0,
//! at most 100 positions each) and `GET /portfolio/{acct}/summary` (`netliquidation` and the other
//! account values as `{amount, currency, isNull, …}`).

use crate::error::IbkrError;
use crate::gateway::Gateway;
use crate::json;
use crate::units::IbPrice;
use serde_json::Value;
use systrade_model::validation;

/// `/iserver/accounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accounts {
    pub accounts: Vec<String>,
    pub selected: Option<String>,
}

/// Why no account could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountChoiceError {
    #[error("account {wanted} is not among the gateway's accounts {accounts:?}")]
    NotListed {
        wanted: String,
        accounts: Vec<String>,
    },
    #[error("the gateway lists no account")]
    NoAccount,
}

impl Accounts {
    /// The account to trade: `wanted` if the gateway has it, else the selected one, else the
    /// first.
    pub fn choose(&self, wanted: Option<&str>) -> Result<String, AccountChoiceError> {
        match wanted {
            Some(a) if self.accounts.iter().any(|x| x == a) => Ok(a.to_string()),
            Some(a) => Err(AccountChoiceError::NotListed {
                wanted: a.to_string(),
                accounts: self.accounts.clone(),
            }),
            None => self
                .selected
                .clone()
                .or_else(|| self.accounts.first().cloned())
                .ok_or(AccountChoiceError::NoAccount),
        }
    }
}

/// One position of `/portfolio/{acct}/positions/{page}`, in the gateway's units.
#[derive(Debug, Clone, PartialEq)]
pub struct IbPosition {
    pub conid: i64,
    pub position: f64,
    pub market_price: Option<IbPrice>,
    pub average_price: Option<IbPrice>,
    pub currency: Option<String>,
    pub multiplier: Option<f64>,
    /// `contractDesc`.
    pub description: String,
    pub asset_class: Option<String>,
}

/// An account value of `/portfolio/{acct}/summary`.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountValue {
    pub amount: f64,
    pub currency: Option<String>,
}

impl Gateway {
    /// `/iserver/accounts`; IB requires this call before orders.
    pub fn accounts(&self) -> Result<Accounts, IbkrError> {
        let path = "/iserver/accounts";
        let v = self.get(path)?;
        let accounts = match v.get("accounts") {
            Some(Value::Array(a)) => a.iter().filter_map(|x| json::text(Some(x))).collect(),
            _ => return Err(IbkrError::protocol(path, format!("no accounts list: {v}"))),
        };
        Ok(Accounts {
            accounts,
            selected: json::text(v.get("selectedAccount")),
        })
    }

    /// `/portfolio/accounts`: the account ids; IB requires this call before the other portfolio
    /// endpoints.
    pub fn portfolio_accounts(&self) -> Result<Vec<String>, IbkrError> {
        let path = "/portfolio/accounts";
        match self.get(path)? {
            Value::Array(a) => Ok(a
                .iter()
                .filter_map(|x| json::text(x.get("accountId")).or_else(|| json::text(x.get("id"))))
                .collect()),
            v => Err(IbkrError::protocol(path, format!("not a list: {v}"))),
        }
    }

    /// Every non-zero position of `account`, all pages.
    pub fn positions(&self, account: &str) -> Result<Vec<IbPosition>, IbkrError> {
        let mut out = Vec::new();
        for page in 0..1000 {
            let path = format!("/portfolio/{account}/positions/{page}");
            let rows = match self.get(&path)? {
                Value::Array(a) => a,
                Value::Null => Vec::new(),
                v => return Err(IbkrError::protocol(&path, format!("not a list: {v}"))),
            };
            for p in &rows {
                let conid = json::int(p.get("conid")).ok_or_else(|| {
                    IbkrError::protocol(&path, format!("position without conid: {p}"))
                })?;
                let position = json::number(p.get("position")).unwrap_or(0.0);
                if position == 0.0 {
                    continue;
                }
                let asset_class = json::text(p.get("assetClass"));
                // Futures are whole contracts; anything else (fractional shares) only in range,
                // so that every position converts to contracts without overflow.
                let checked = if asset_class.as_deref().is_none_or(|c| c == "FUT") {
                    validation::check_contracts(position).map(drop)
                } else {
                    validation::check_contracts(position.round()).map(drop)
                };
                checked.map_err(|problem| {
                    IbkrError::protocol(&path, format!("position of conid {conid}: {problem}"))
                })?;
                out.push(IbPosition {
                    conid,
                    position,
                    market_price: json::number(p.get("mktPrice")).map(IbPrice::from_gateway),
                    average_price: json::number(p.get("avgPrice")).map(IbPrice::from_gateway),
                    currency: json::text(p.get("currency")),
                    multiplier: json::number(p.get("multiplier")),
                    description: json::text(p.get("contractDesc"))
                        .unwrap_or_else(|| conid.to_string()),
                    asset_class,
                });
            }
            if rows.len() < 100 {
                break;
            }
        }
        Ok(out)
    }

    /// The account's net liquidation value (`netliquidation` of `/portfolio/{acct}/summary`).
    pub fn net_liquidation(&self, account: &str) -> Result<AccountValue, IbkrError> {
        let path = format!("/portfolio/{account}/summary");
        let v = self.get(&path)?;
        let nlv = v
            .get("netliquidation")
            .filter(|x| x.get("isNull").and_then(Value::as_bool) != Some(true))
            .ok_or_else(|| IbkrError::protocol(&path, "no netliquidation value"))?;
        let amount = json::number(nlv.get("amount")).ok_or_else(|| {
            IbkrError::protocol(&path, format!("netliquidation without amount: {nlv}"))
        })?;
        Ok(AccountValue {
            amount,
            currency: json::text(nlv.get("currency")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choosing_the_account() {
        let a = Accounts {
            accounts: vec!["DU1".into(), "DU2".into()],
            selected: Some("DU2".into()),
        };
        assert_eq!(a.choose(None).unwrap(), "DU2");
        assert_eq!(a.choose(Some("DU1")).unwrap(), "DU1");
        assert_eq!(
            a.choose(Some("U9")).unwrap_err().to_string(),
            r#"account U9 is not among the gateway's accounts ["DU1", "DU2"]"#
        );
        let none = Accounts {
            accounts: vec![],
            selected: None,
        };
        assert_eq!(none.choose(None), Err(AccountChoiceError::NoAccount));
    }
}
