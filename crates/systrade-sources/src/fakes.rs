//! Local test doubles (feature `fakes`): [`FakeCsvServer`], fixed CSV bodies by path for the
//! `http:` source, on systrade-ibkr's test server (plain HTTP on 127.0.0.1, an ephemeral port,
//! stopped when dropped). The fake IB gateway is `systrade_ibkr::fakes::FakeGateway`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
pub use systrade_ibkr::fakes::{Request, Response, TestServer};

/// Serves fixed CSV bodies by request path (query strings are recorded, not matched); unknown paths
/// answer 404, paths listed as failing answer 500.
pub struct FakeCsvServer {
    server: TestServer,
    requests: Arc<Mutex<Vec<Request>>>,
    count: Arc<AtomicUsize>,
}

impl FakeCsvServer {
    /// `routes`: path → CSV body; `failing`: paths that answer 500.
    pub fn start(routes: BTreeMap<String, String>, failing: Vec<String>) -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let (r2, c2) = (Arc::clone(&requests), Arc::clone(&count));
        let server = TestServer::start(move |req| {
            c2.fetch_add(1, Ordering::SeqCst);
            r2.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(req.clone());
            if failing.contains(&req.path) {
                return Response::text(500, "internal error");
            }
            match routes.get(&req.path) {
                Some(body) => Response::text(200, body.clone()),
                None => Response::text(404, "not found"),
            }
        });
        Self {
            server,
            requests,
            count,
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn request_count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}
