//! Test doubles (feature `fakes`), on 127.0.0.1 only, each on its own threads and stopped when
//! dropped:
//!
//! - [`TestServer`]: the one HTTP test server of the workspace (plain or TLS with a self-signed
//!   certificate); other fakes (the CSV server of systrade-sources) are built on it;
//! - [`FakeGateway`]: the fake IB Client Portal gateway for prices, orders, positions and
//!   accounts (see [`gateway`]).

pub mod gateway;
pub mod server;

pub use gateway::{
    FakeBar, FakeFuture, FakeGateway, FakeGatewayConfig, FakeGatewayStats, FakeSeries, FillPlan,
    SubmitShape, standard_futures,
};
pub use server::{Request, Response, SELF_SIGNED_CERT_DER, TestServer};
