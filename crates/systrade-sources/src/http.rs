//! The `http:` source's blocking HTTP client: a timeout, a minimum interval between requests (rate
//! limit), and retries with exponential backoff on 429 (too many requests), 503 (unavailable) and
//! connection failures (the one retry policy, `systrade_ibkr::retry`). URLs and response bodies
//! appear in logs and errors only with their secrets redacted (`systrade_model::redact`). TLS
//! certificates are always verified (only the IB gateway's client may accept a self-signed one, explicitly).

use std::time::Duration;
use systrade_ibkr::retry::{self, Attempt, Pacer};

/// Client settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Retries after the first attempt on 429, 503 or a connection failure.
    pub max_retries: u32,
    /// First backoff; doubled on each retry, capped at 30 s; a `Retry-After` header (seconds) wins.
    pub backoff: Duration,
    /// At least this long between the starts of two requests (0 = no limit).
    pub min_interval: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_retries: 4,
            backoff: Duration::from_millis(500),
            min_interval: Duration::ZERO,
        }
    }
}

/// A request that failed for good.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{url}: cannot connect: {message}")]
    Connect { url: String, message: String },
    #[error("{url}: HTTP {status}{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("{url}: still HTTP {status} after {attempts} attempts")]
    Exhausted {
        url: String,
        status: u16,
        attempts: u32,
    },
    #[error("{url}: {message}")]
    Body { url: String, message: String },
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

impl HttpError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } | Self::Exhausted { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when the source could not be reached at all (or kept refusing): the caller's exit code
    /// is "source unavailable".
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Connect { .. } | Self::Exhausted { .. })
    }
}

/// A successful response: status and body text.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// The shared client.
#[derive(Debug)]
pub struct HttpClient {
    client: reqwest::blocking::Client,
    opts: HttpOptions,
    pacer: Pacer,
}

/// HTTP method of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl HttpClient {
    pub fn new(opts: HttpOptions) -> Result<Self, HttpError> {
        let client = reqwest::blocking::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("systrade-fetch-prices/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError::Build(e.to_string()))?;
        Ok(Self {
            client,
            pacer: Pacer::new(opts.min_interval),
            opts,
        })
    }

    pub fn options(&self) -> &HttpOptions {
        &self.opts
    }

    /// Sends a request, retrying per the options. `url` is what is requested; `shown` is what may
    /// appear in logs and errors (the URL with any secret left out). Any 2xx is a success; other
    /// statuses are errors carrying the start of the body.
    pub fn send(
        &self,
        method: Method,
        url: &str,
        shown: &str,
        json_body: Option<&serde_json::Value>,
    ) -> Result<HttpResponse, HttpError> {
        let shown = systrade_model::redact::redact(shown);
        let shown = shown.as_str();
        retry::with_retries(self.opts.max_retries, self.opts.backoff, |attempt, last| {
            self.pacer.wait();
            let mut req = match method {
                Method::Get => self.client.get(url),
                Method::Post => self.client.post(url),
            };
            if let Some(body) = json_body {
                req = req.json(body);
            } else if method == Method::Post {
                req = req.header(reqwest::header::CONTENT_LENGTH, "0");
            }
            tracing::debug!(url = shown, attempt, "request");
            match req.send() {
                Err(e) => {
                    let message = e.without_url().to_string();
                    if last {
                        return Attempt::Done(Err(HttpError::Connect {
                            url: shown.to_string(),
                            message,
                        }));
                    }
                    tracing::warn!(url = shown, attempt, error = %message, "request failed, retrying");
                    Attempt::Retry { after: None }
                }
                Ok(resp) => {
                    let code = resp.status().as_u16();
                    if resp.status().is_success() {
                        return Attempt::Done(
                            resp.text()
                                .map(|body| HttpResponse { status: code, body })
                                .map_err(|e| HttpError::Body {
                                    url: shown.to_string(),
                                    message: e.without_url().to_string(),
                                }),
                        );
                    }
                    if !retry::is_busy(code) {
                        let body = resp.text().unwrap_or_default();
                        return Attempt::Done(Err(HttpError::Status {
                            url: shown.to_string(),
                            status: code,
                            body: retry::body_snippet(&body),
                        }));
                    }
                    if last {
                        return Attempt::Done(Err(HttpError::Exhausted {
                            url: shown.to_string(),
                            status: code,
                            attempts: attempt + 1,
                        }));
                    }
                    let after = retry::retry_after(&resp);
                    tracing::warn!(url = shown, attempt, status = code, "server busy, retrying");
                    Attempt::Retry { after }
                }
            }
        })
    }
}
