//! Test doubles (feature `fakes`): a minimal HTTP/1.1 server and a fake IB Client Portal gateway
//! serving the order, trade and position endpoints on 127.0.0.1.

pub mod ibkr;
pub mod server;

pub use ibkr::{FakeIbkrOrders, FakeOrdersConfig, FillPlan, SubmitShape};
