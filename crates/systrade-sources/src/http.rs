//! The `http:` source's blocking HTTP client: a timeout, a minimum interval between requests (rate
//! limit), and retries with exponential backoff on 429 (too many requests), 503 (unavailable) and
//! connection failures. URLs and response bodies appear in logs and errors only with their secrets
//! redacted (`systrade_ibkr::redact`). TLS certificates are always
//! verified (only the IB gateway's client may accept a self-signed one, explicitly).

use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    last_start: Mutex<Option<Instant>>,
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
            opts,
            last_start: Mutex::new(None),
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
        let shown = systrade_ibkr::redact::redact(shown);
        let shown = shown.as_str();
        let mut attempt = 0;
        loop {
            self.pace();
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
            let retry_after;
            match req.send() {
                Err(e) => {
                    let message = e.without_url().to_string();
                    if attempt >= self.opts.max_retries {
                        return Err(HttpError::Connect {
                            url: shown.to_string(),
                            message,
                        });
                    }
                    tracing::warn!(url = shown, attempt, error = %message, "request failed, retrying");
                    retry_after = None;
                }
                Ok(resp) => {
                    let code = resp.status().as_u16();
                    if resp.status().is_success() {
                        let body = resp.text().map_err(|e| HttpError::Body {
                            url: shown.to_string(),
                            message: e.without_url().to_string(),
                        })?;
                        return Ok(HttpResponse { status: code, body });
                    }
                    if code != 429 && code != 503 {
                        let body = resp.text().unwrap_or_default();
                        return Err(HttpError::Status {
                            url: shown.to_string(),
                            status: code,
                            body: snippet(&body),
                        });
                    }
                    if attempt >= self.opts.max_retries {
                        return Err(HttpError::Exhausted {
                            url: shown.to_string(),
                            status: code,
                            attempts: attempt + 1,
                        });
                    }
                    retry_after = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    tracing::warn!(url = shown, attempt, status = code, "server busy, retrying");
                }
            }
            let wait = retry_after.unwrap_or_else(|| backoff(self.opts.backoff, attempt));
            std::thread::sleep(wait.min(Duration::from_secs(30)));
            attempt += 1;
        }
    }

    /// Waits until `min_interval` has passed since the previous request started.
    fn pace(&self) {
        if self.opts.min_interval.is_zero() {
            return;
        }
        let mut last = self
            .last_start
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(prev) = *last {
            let next = prev + self.opts.min_interval;
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            }
        }
        *last = Some(Instant::now());
    }
}

/// `base × 2^attempt`, capped at 30 s.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1u32 << attempt.min(16))
        .min(Duration::from_secs(30))
}

/// The start of a body for an error message, secrets redacted first (a vendor may echo the
/// request, `?key=…` included).
fn snippet(body: &str) -> String {
    let one_line: String = systrade_ibkr::redact::redact(body)
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    one_line.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Duration::from_millis(100);
        assert_eq!(backoff(b, 0), Duration::from_millis(100));
        assert_eq!(backoff(b, 3), Duration::from_millis(800));
        assert_eq!(backoff(b, 20), Duration::from_secs(30));
    }
}
