//! HTTP to the gateway: one blocking reqwest client per gateway, the session cookie jar, pacing and
//! retries of idempotent calls on 429/503 and connection failures (the policy of
//! [`crate::retry`]), and errors that say what went wrong (connection refused, certificate
//! refused) instead of "error sending request".

use crate::error::IbkrError;
use crate::retry::{self, Attempt, Pacer};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// How requests are sent.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Retries of an idempotent request after 429, 503 or a connection failure.
    pub retries: u32,
    /// First backoff; doubled on each retry, capped at 30 s; a `Retry-After` header (seconds) wins.
    pub backoff: Duration,
    /// At least this long between the starts of two requests (0 = no limit).
    pub min_interval: Duration,
    /// Accept the gateway's self-signed (or expired) TLS certificate. Applies to this gateway's
    /// client only; nothing else is ever sent through it.
    pub accept_invalid_certs: bool,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            retries: 4,
            backoff: Duration::from_millis(500),
            min_interval: Duration::ZERO,
            accept_invalid_certs: false,
        }
    }
}

/// HTTP method of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
}

/// Whether a call may be sent again after 429, 503 or a failed connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Idempotent: retried with backoff.
    WhenBusy,
    /// Sent once (order submissions and confirmations; calls whose 503 means "unknown here").
    Never,
}

/// The gateway's HTTP client.
#[derive(Debug)]
pub(crate) struct Transport {
    client: reqwest::blocking::Client,
    base: String,
    opts: TransportOptions,
    pacer: Pacer,
    /// Session cookies the gateway set, sent back on every request.
    cookies: Mutex<BTreeMap<String, String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Transport {
    /// `base` such as `https://localhost:5000/v1/api` (a trailing slash is dropped).
    pub(crate) fn new(base: &str, opts: TransportOptions) -> Result<Self, IbkrError> {
        let client = reqwest::blocking::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("systrade/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(opts.accept_invalid_certs)
            .build()
            .map_err(|e| IbkrError::Build(e.to_string()))?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_string(),
            pacer: Pacer::new(opts.min_interval),
            opts,
            cookies: Mutex::new(BTreeMap::new()),
        })
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Sends `method path` (with a JSON body for POSTs) and returns the body of a 2xx answer.
    pub(crate) fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        retry: Retry,
    ) -> Result<String, IbkrError> {
        let url = format!("{}{}", self.base, path);
        let shown = crate::redact::redact(&url);
        let max_retries = match retry {
            Retry::WhenBusy => self.opts.retries,
            Retry::Never => 0,
        };
        retry::with_retries(max_retries, self.opts.backoff, |attempt, last| {
            self.pacer.wait();
            let mut req = match method {
                Method::Get => self.client.get(&url),
                Method::Post => self.client.post(&url),
            };
            match body {
                Some(b) => req = req.json(b),
                None if method == Method::Post => {
                    req = req.header(reqwest::header::CONTENT_LENGTH, "0");
                }
                None => {}
            }
            if let Some(cookie) = self.cookie_header() {
                req = req.header(reqwest::header::COOKIE, cookie);
            }
            tracing::debug!(url = %shown, attempt, "gateway request");
            match req.send() {
                Err(e) => {
                    let err = classify(&shown, &e);
                    if last || matches!(err, IbkrError::CertificateRefused { .. }) {
                        return Attempt::Done(Err(err));
                    }
                    tracing::warn!(url = %shown, attempt, error = %err, "request failed, retrying");
                    Attempt::Retry { after: None }
                }
                Ok(resp) => {
                    self.keep_cookies(&resp);
                    let status = resp.status().as_u16();
                    if resp.status().is_success() {
                        return Attempt::Done(resp.text().map_err(|e| IbkrError::Connect {
                            url: shown.clone(),
                            message: e.without_url().to_string(),
                        }));
                    }
                    if !retry::is_busy(status) {
                        return Attempt::Done(Err(IbkrError::Status {
                            url: shown.clone(),
                            status,
                            body: retry::body_snippet(&resp.text().unwrap_or_default()),
                        }));
                    }
                    if last {
                        return Attempt::Done(Err(IbkrError::Busy {
                            url: shown.clone(),
                            status,
                            attempts: attempt + 1,
                        }));
                    }
                    tracing::warn!(url = %shown, attempt, status, "gateway busy, retrying");
                    Attempt::Retry {
                        after: retry::retry_after(&resp),
                    }
                }
            }
        })
    }

    fn cookie_header(&self) -> Option<String> {
        let jar = lock(&self.cookies);
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// Remembers `Set-Cookie` name=value pairs (attributes ignored: one host, one session).
    fn keep_cookies(&self, resp: &reqwest::blocking::Response) {
        let mut jar = None;
        for v in resp.headers().get_all(reqwest::header::SET_COOKIE) {
            let Some((name, value)) = v
                .to_str()
                .ok()
                .and_then(|s| s.split(';').next())
                .and_then(|pair| pair.split_once('='))
            else {
                continue;
            };
            let jar = jar.get_or_insert_with(|| lock(&self.cookies));
            jar.insert(name.trim().to_string(), value.trim().to_string());
        }
    }
}

/// What a request error means: a refused connection and a refused certificate are named as such
/// (reqwest reports both as "error sending request"; the cause is further down its chain).
fn classify(url: &str, e: &reqwest::Error) -> IbkrError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return IbkrError::ConnectionRefused {
                url: url.to_string(),
            };
        }
        let text = c.to_string();
        if text.contains("certificate") {
            return IbkrError::CertificateRefused {
                url: url.to_string(),
                detail: text,
            };
        }
        cause = c.source();
    }
    let mut message = describe(e);
    if e.is_timeout() {
        message = format!("timed out ({message})");
    }
    IbkrError::Connect {
        url: url.to_string(),
        message,
    }
}

/// The error's causes, without the URL reqwest puts first.
fn describe(e: &reqwest::Error) -> String {
    let mut parts = vec![
        if e.is_connect() {
            "connection failed"
        } else {
            "request failed"
        }
        .to_string(),
    ];
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        parts.push(c.to_string());
        cause = c.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_port_is_connection_refused() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let t = Transport::new(
            &format!("http://127.0.0.1:{port}/v1/api"),
            TransportOptions {
                retries: 0,
                ..TransportOptions::default()
            },
        )
        .unwrap();
        let e = t
            .send(Method::Post, "/tickle", None, Retry::WhenBusy)
            .unwrap_err();
        assert!(matches!(e, IbkrError::ConnectionRefused { .. }), "{e:?}");
        assert!(e.to_string().contains("connection refused"), "{e}");
        assert!(e.is_unavailable());
    }
}
