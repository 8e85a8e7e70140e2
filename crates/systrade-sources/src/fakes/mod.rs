//! Local test doubles (feature `fakes`), plain HTTP on 127.0.0.1 on an ephemeral port, each on its
//! own threads and stopped when dropped:
//!
//! - [`FakeIbkr`]: an IB Client Portal Web API gateway (the paths `fetch-prices` uses, the real JSON
//!   shapes, 401 on `/iserver/*` before the brokerage session is initialised, 429 beyond 5
//!   concurrent history calls, scripted 429/503 answers);
//! - [`FakeCsvServer`]: fixed CSV bodies by path, for the `http:` source.

mod ibkr;
mod server;

pub use ibkr::{FakeBar, FakeFuture, FakeIbkr, FakeIbkrConfig, FakeIbkrStats, FakeSeries};
pub use server::{FakeCsvServer, Request, Response, TestServer};
