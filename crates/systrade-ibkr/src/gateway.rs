//! The gateway and its session: `POST /tickle`, `POST /iserver/auth/status` and, when the
//! brokerage session is not authenticated, `POST /iserver/auth/ssodh/init`; a call answered 401
//! (the session expired) re-establishes the session once and is sent again; a session quiet for
//! longer than the keep-alive interval is tickled before the next call (IB expects a tickle about
//! every minute). The endpoint groups are in `contracts`, `history`, `orders` and `portfolio`.

use crate::error::IbkrError;
use crate::transport::{Method, Retry, Transport, TransportOptions};
use serde_json::{Value, json};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How to reach the gateway and how to pace it.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// E.g. `https://localhost:5000/v1/api` (a trailing slash is fine).
    pub base_url: String,
    pub transport: TransportOptions,
    /// At most this many `/iserver/marketdata/history` calls in flight (IB answers 429 beyond 5).
    pub max_concurrent_history: usize,
    /// Tickle before a call when the session has been quiet this long.
    pub keepalive: Duration,
}

impl GatewayOptions {
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            transport: TransportOptions::default(),
            max_concurrent_history: 5,
            keepalive: Duration::from_secs(50),
        }
    }
}

/// A Client Portal gateway. Shared between threads (`&self` everywhere).
#[derive(Debug)]
pub struct Gateway {
    transport: Transport,
    history_slots: Slots,
    keepalive: Duration,
    /// When the session was last tickled; `None` before the first tickle.
    last_tickle: Mutex<Option<Instant>>,
    reauth: Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Gateway {
    /// Builds the client; no request is sent yet.
    pub fn new(opts: GatewayOptions) -> Result<Self, IbkrError> {
        Ok(Self {
            transport: Transport::new(&opts.base_url, opts.transport)?,
            history_slots: Slots::new(opts.max_concurrent_history),
            keepalive: opts.keepalive,
            last_tickle: Mutex::new(None),
            reauth: Mutex::new(()),
        })
    }

    /// The API base URL.
    pub fn base_url(&self) -> &str {
        self.transport.base()
    }

    /// Makes sure the brokerage session is authenticated: `/tickle`, `/iserver/auth/status`, and
    /// when not authenticated `/iserver/auth/ssodh/init` and a second status check. A gateway
    /// nobody logged in to answers 401: that is [`IbkrError::NotAuthenticated`].
    pub fn ensure_session(&self) -> Result<(), IbkrError> {
        let not_auth = || IbkrError::NotAuthenticated(self.base_url().to_string());
        let unauthorized = |e: &IbkrError| e.status() == Some(401);
        match self.tickle() {
            Err(e) if unauthorized(&e) => return Err(not_auth()),
            other => other?,
        }
        if self.authenticated()? {
            return Ok(());
        }
        tracing::info!("brokerage session not authenticated; initialising it");
        let body = json!({"publish": true, "compete": true});
        match self.transport.send(
            Method::Post,
            "/iserver/auth/ssodh/init",
            Some(&body),
            Retry::WhenBusy,
        ) {
            Err(e) if unauthorized(&e) => return Err(not_auth()),
            other => other.map(drop)?,
        }
        if self.authenticated()? {
            Ok(())
        } else {
            Err(not_auth())
        }
    }

    fn tickle(&self) -> Result<(), IbkrError> {
        self.transport
            .send(Method::Post, "/tickle", None, Retry::WhenBusy)?;
        *lock(&self.last_tickle) = Some(Instant::now());
        Ok(())
    }

    fn authenticated(&self) -> Result<bool, IbkrError> {
        match self
            .transport
            .send(Method::Post, "/iserver/auth/status", None, Retry::WhenBusy)
        {
            Err(e) if e.status() == Some(401) => Ok(false),
            Err(e) => Err(e),
            Ok(body) => {
                let v: Value = serde_json::from_str(&body)
                    .map_err(|e| IbkrError::protocol("/iserver/auth/status", e))?;
                Ok(v.get("authenticated").and_then(Value::as_bool) == Some(true))
            }
        }
    }

    /// Tickles a session that has been quiet for longer than the keep-alive interval.
    fn keep_alive(&self) {
        let stale = lock(&self.last_tickle).is_some_and(|t| t.elapsed() >= self.keepalive);
        if stale && let Err(e) = self.tickle() {
            tracing::warn!(error = %e, "keep-alive tickle failed");
        }
    }

    /// One call; an answer of 401 re-establishes the session once and sends the call again (the
    /// gateway refused it, so nothing was done).
    pub(crate) fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retry: Retry,
    ) -> Result<String, IbkrError> {
        self.keep_alive();
        match self.transport.send(method, path, body, retry) {
            Err(e) if e.status() == Some(401) => {
                {
                    let _one_at_a_time = lock(&self.reauth);
                    tracing::warn!(path, "gateway answered 401; re-authenticating");
                    self.ensure_session()?;
                }
                self.transport.send(method, path, body, retry)
            }
            other => other,
        }
    }

    /// A call whose answer is JSON (an empty body is `null`).
    pub(crate) fn call_json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retry: Retry,
    ) -> Result<Value, IbkrError> {
        let text = self.call(method, path, body, retry)?;
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| IbkrError::protocol(path, e))
    }

    /// `GET path`, retried when the gateway is busy.
    pub(crate) fn get(&self, path: &str) -> Result<Value, IbkrError> {
        self.call_json(Method::Get, path, None, Retry::WhenBusy)
    }

    /// Runs `f` holding one of the history slots.
    pub(crate) fn with_history_slot<T>(&self, f: impl FnOnce() -> T) -> T {
        let _slot = self.history_slots.acquire();
        f()
    }
}

/// A counting semaphore: at most `n` holders at a time.
#[derive(Debug)]
struct Slots {
    free: Mutex<usize>,
    cv: Condvar,
}

impl Slots {
    fn new(n: usize) -> Self {
        Self {
            free: Mutex::new(n.max(1)),
            cv: Condvar::new(),
        }
    }

    fn acquire(&self) -> SlotGuard<'_> {
        let mut free = lock(&self.free);
        while *free == 0 {
            free = self
                .cv
                .wait(free)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *free -= 1;
        SlotGuard(self)
    }
}

struct SlotGuard<'a>(&'a Slots);

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        *lock(&self.0.free) += 1;
        self.0.cv.notify_one();
    }
}

/// Percent-encodes a query value (unreserved characters pass).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
