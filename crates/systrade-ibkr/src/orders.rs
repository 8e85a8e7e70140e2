//! Order endpoints (spec "Orders"):
//!
//! - `POST /iserver/account/{acct}/orders` `{"orders":[{…, "cOID": <client order id>,
//!   "manualIndicator": false}]}` answers one of four shapes: success `[{order_id, order_status}]`,
//!   reply needed `[{id, message[]}]` (confirmed with `POST /iserver/reply/{id}`
//!   `{"confirmed":true}`, which answers the same shapes, looping), error `{error}`, prompt
//!   `{messageId, prompt: true, text, options}`. A prompt needs a human choice: the order counts as
//!   refused (its text kept) and reconciliation catches it if IB placed it anyway. Neither call is
//!   ever sent twice by the transport: after a lost answer the caller looks the order up by its
//!   client order id instead.
//! - `GET /iserver/account/order/status/{orderId}`: only orders of the current gateway session;
//!   older ones answer 503, which is "unknown here" ([`None`]), not an error.
//! - `GET /iserver/account/orders` (live orders, `order_ref` = cOID) and
//!   `GET /iserver/account/trades?days=N` (executions of the last N ≤ 7 days, `order_ref` = cOID).

use crate::error::IbkrError;
use crate::gateway::Gateway;
use crate::json;
use crate::transport::{Method, Retry};
use crate::units::IbPrice;
use serde_json::{Value, json};
use systrade_model::validation;

/// An order to send, in the gateway's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderTicket {
    pub account: String,
    pub conid: i64,
    /// Our client order id (`cOID`, `order_ref` in lookups).
    pub client_order_id: String,
    /// Signed: positive buys.
    pub quantity: i64,
    /// `None`: a market order.
    pub limit: Option<IbPrice>,
}

/// What became of a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Submission {
    /// IB took the order.
    Accepted { order_id: String, status: String },
    /// IB refused it (error answer, a prompt, too many confirmations); `order_id` when IB gave one.
    Refused {
        order_id: Option<String>,
        message: String,
    },
}

/// One order of `/iserver/account/orders`.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveOrder {
    pub order_id: String,
    pub conid: Option<i64>,
    /// `order_ref`: our client order id.
    pub client_order_id: Option<String>,
    pub status: String,
    /// Signed like the order.
    pub filled: i64,
    pub average_price: Option<IbPrice>,
    pub last_execution_time: Option<String>,
}

/// One execution of `/iserver/account/trades`.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub execution_id: Option<String>,
    pub order_id: Option<String>,
    pub client_order_id: Option<String>,
    pub conid: Option<i64>,
    /// Signed: positive bought.
    pub quantity: i64,
    pub price: IbPrice,
    pub commission: Option<f64>,
    pub trade_time: Option<String>,
}

/// `/iserver/account/order/status/{orderId}`.
#[derive(Debug, Clone, PartialEq)]
pub struct IbOrderStatus {
    pub order_id: String,
    pub status: String,
    pub conid: Option<i64>,
    /// Signed cumulative fill.
    pub filled: i64,
    pub average_price: Option<IbPrice>,
    pub commission: Option<f64>,
}

/// The four answer shapes of an order submission or reply (plus anything else).
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Success {
        order_id: String,
        status: String,
    },
    ReplyNeeded {
        id: String,
        message: String,
    },
    Error(String),
    Prompt {
        text: String,
        order_id: Option<String>,
    },
    Other(String),
}

fn classify(v: &Value) -> Answer {
    let first = match v {
        Value::Array(a) => a.first(),
        _ => Some(v),
    };
    let Some(o) = first else {
        return Answer::Other("empty answer".into());
    };
    if let Some(id) = json::text(o.get("order_id")) {
        return Answer::Success {
            order_id: id,
            status: json::text(o.get("order_status")).unwrap_or_else(|| "Submitted".into()),
        };
    }
    if let Some(e) = json::text(o.get("error")) {
        return Answer::Error(e);
    }
    if o.get("prompt").and_then(Value::as_bool) == Some(true) || o.get("messageId").is_some() {
        return Answer::Prompt {
            text: json::text(o.get("text")).unwrap_or_else(|| "prompt".into()),
            order_id: json::text(o.get("orderId")),
        };
    }
    if let Some(id) = json::text(o.get("id")) {
        let message = match o.get("message") {
            Some(Value::Array(m)) => m
                .iter()
                .filter_map(|x| json::text(Some(x)))
                .collect::<Vec<_>>()
                .join(" | "),
            m => json::text(m).unwrap_or_default(),
        };
        return Answer::ReplyNeeded { id, message };
    }
    Answer::Other(v.to_string())
}

/// A quantity of an order row, signed by the row's side (`None` when the row does not say: as a
/// buy); a missing quantity is 0. A quantity that is not a whole number of contracts within
/// [`validation::MAX_BROKER_CONTRACTS`] is a protocol error naming `what`, never a fill of
/// ±9.2e18 contracts.
fn signed(what: &str, quantity: Option<f64>, side: Option<i64>) -> Result<i64, IbkrError> {
    let n = validation::check_contracts(quantity.unwrap_or(0.0))
        .map_err(|problem| IbkrError::protocol(what, problem))?;
    Ok(n * side.unwrap_or(1).signum())
}

impl Gateway {
    /// A POST whose 4xx answers (other than 401) are answers, not errors: IB refuses orders with
    /// `400 {"error": …}`.
    fn post_order_call(&self, path: &str, body: &Value) -> Result<Value, IbkrError> {
        match self.call_json(Method::Post, path, Some(body), Retry::Never) {
            Err(IbkrError::Status { status, body, .. })
                if (400..500).contains(&status) && status != 401 && status != 429 =>
            {
                Ok(serde_json::from_str(&body).unwrap_or_else(|_| json!({ "error": body })))
            }
            other => other,
        }
    }

    /// Sends an order and answers IB's questions (`/iserver/reply/{id}` `{"confirmed": true}`) up
    /// to `max_replies` times. Only one order should be in flight at a time (IB).
    pub fn submit_order(
        &self,
        ticket: &OrderTicket,
        max_replies: usize,
    ) -> Result<Submission, IbkrError> {
        let mut order = json!({
            "acctId": ticket.account,
            "conid": ticket.conid,
            "secType": format!("{}:FUT", ticket.conid),
            "cOID": ticket.client_order_id,
            "orderType": if ticket.limit.is_some() { "LMT" } else { "MKT" },
            "side": if ticket.quantity > 0 { "BUY" } else { "SELL" },
            "quantity": ticket.quantity.unsigned_abs(),
            "tif": "DAY",
            "manualIndicator": false,
        });
        if let Some(p) = ticket.limit {
            order["price"] = json!(p.wire());
        }
        let path = format!("/iserver/account/{}/orders", ticket.account);
        let mut answer = self.post_order_call(&path, &json!({ "orders": [order] }))?;
        for _ in 0..=max_replies {
            match classify(&answer) {
                Answer::Success { order_id, status } => {
                    return Ok(Submission::Accepted { order_id, status });
                }
                Answer::ReplyNeeded { id, message } => {
                    tracing::debug!(reply_id = %id, %message, "IB asks to confirm; confirming");
                    answer = self.post_order_call(
                        &format!("/iserver/reply/{id}"),
                        &json!({ "confirmed": true }),
                    )?;
                }
                Answer::Error(message) => {
                    return Ok(Submission::Refused {
                        order_id: None,
                        message,
                    });
                }
                Answer::Prompt { text, order_id } => {
                    return Ok(Submission::Refused {
                        order_id,
                        message: format!("IB prompt: {text}"),
                    });
                }
                Answer::Other(s) => return Err(IbkrError::protocol(&path, s)),
            }
        }
        Ok(Submission::Refused {
            order_id: None,
            message: format!("more than {max_replies} confirmations asked"),
        })
    }

    /// The gateway's live and recent orders (`/iserver/account/orders`).
    pub fn live_orders(&self) -> Result<Vec<LiveOrder>, IbkrError> {
        let path = "/iserver/account/orders";
        let v = self.get(path)?;
        let rows = match v.get("orders") {
            Some(Value::Array(a)) => a.as_slice(),
            None | Some(Value::Null) => &[],
            Some(_) => return Err(IbkrError::protocol(path, "orders is not a list")),
        };
        rows.iter()
            .filter_map(|o| {
                let order_id = json::text(o.get("orderId"))?;
                let side = json::side(o.get("side"));
                let filled = signed(path, json::number(o.get("filledQuantity")), side);
                Some(filled.map(|filled| LiveOrder {
                    order_id,
                    conid: json::int(o.get("conid")),
                    client_order_id: json::text(o.get("order_ref")),
                    status: json::text(o.get("status")).unwrap_or_default(),
                    filled,
                    average_price: json::number(o.get("avgPrice")).map(IbPrice::from_gateway),
                    last_execution_time: json::text(o.get("lastExecutionTime")),
                }))
            })
            .collect()
    }

    /// Executions of the last `days` days (at most 7; `/iserver/account/trades?days=N`).
    pub fn executions(&self, days: u32) -> Result<Vec<Execution>, IbkrError> {
        let path = format!("/iserver/account/trades?days={}", days.clamp(1, 7));
        let v = self.get(&path)?;
        let rows = match &v {
            Value::Array(a) => a.as_slice(),
            Value::Null => &[],
            _ => return Err(IbkrError::protocol(&path, "not a list")),
        };
        rows.iter()
            .map(|t| {
                let price = json::number(t.get("price")).ok_or_else(|| {
                    IbkrError::protocol(&path, format!("execution without price: {t}"))
                })?;
                Ok(Execution {
                    execution_id: json::text(t.get("execution_id")),
                    order_id: json::text(t.get("order_id")),
                    client_order_id: json::text(t.get("order_ref")),
                    conid: json::int(t.get("conid")),
                    quantity: signed(
                        &path,
                        json::number(t.get("size")),
                        json::side(t.get("side")),
                    )?,
                    price: IbPrice::from_gateway(price),
                    commission: json::number(t.get("commission")),
                    trade_time: json::text(t.get("trade_time")),
                })
            })
            .collect()
    }

    /// The status of an order of this gateway session; `None` when the gateway does not know it
    /// (orders of an earlier session answer 503).
    pub fn order_status(&self, order_id: &str) -> Result<Option<IbOrderStatus>, IbkrError> {
        let path = format!("/iserver/account/order/status/{order_id}");
        let v = match self.call_json(Method::Get, &path, None, Retry::Never) {
            Err(e) if matches!(e.status(), Some(503 | 404)) => return Ok(None),
            other => other?,
        };
        let Some(status) = json::text(v.get("order_status")) else {
            return Err(IbkrError::protocol(&path, format!("no order_status: {v}")));
        };
        Ok(Some(IbOrderStatus {
            order_id: order_id.to_string(),
            status,
            conid: json::int(v.get("conid")),
            filled: signed(
                &path,
                json::number(v.get("cum_fill")),
                json::side(v.get("side")),
            )?,
            average_price: json::number(v.get("average_price")).map(IbPrice::from_gateway),
            commission: json::number(v.get("commission")),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_answer_shapes() {
        let ok =
            json!([{"order_id":"1370093239","order_status":"PreSubmitted","encrypt_message":"1"}]);
        assert_eq!(
            classify(&ok),
            Answer::Success {
                order_id: "1370093239".into(),
                status: "PreSubmitted".into()
            }
        );
        let reply = json!([{"id":"99097238-9824","message":["You are submitting an order without market data"],"messageIds":["o354"],"isSuppressed":false}]);
        assert!(
            matches!(classify(&reply), Answer::ReplyNeeded { id, .. } if id == "99097238-9824")
        );
        assert_eq!(
            classify(&json!({"error":"Order not confirmed "})),
            Answer::Error("Order not confirmed ".into())
        );
        let prompt = json!({"messageId":"p12","orderId":123456789,"prompt":true,"reqId":"22170","text":"Price exceeds","options":["Use on this order"],"dismissable":[],"type":"M"});
        assert_eq!(
            classify(&prompt),
            Answer::Prompt {
                text: "Price exceeds".into(),
                order_id: Some("123456789".into())
            }
        );
        assert!(matches!(classify(&json!([])), Answer::Other(_)));
    }
}
