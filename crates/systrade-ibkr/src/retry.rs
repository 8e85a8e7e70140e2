//! The retry policy of every blocking HTTP client in the workspace (the gateway's transport here,
//! the `http:` price source in systrade-sources): a minimum interval between request starts,
//! retries with exponential backoff on 429 (too many requests), 503 (unavailable) and connection
//! failures, a `Retry-After` header (seconds) winning over the backoff, every wait capped at 30 s,
//! and the start of an error body on one line, secrets redacted, for messages.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest wait between two attempts.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// `base × 2^attempt`, capped at 30 s.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1u32 << attempt.min(16)).min(MAX_WAIT)
}

/// Whether an HTTP status means "busy, ask again later" (429, 503).
pub fn is_busy(status: u16) -> bool {
    status == 429 || status == 503
}

/// The response's `Retry-After` header, when it is a number of seconds.
pub fn retry_after(resp: &reqwest::blocking::Response) -> Option<Duration> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// The start of a response body for an error message: secrets redacted first (a vendor may echo
/// the request, `?key=…` included), at most 200 characters, control characters (line breaks) as
/// spaces, trimmed.
pub fn body_snippet(body: &str) -> String {
    let one_line: String = crate::redact::redact(body)
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    one_line.trim().to_string()
}

/// What one attempt came to.
#[derive(Debug)]
pub enum Attempt<T, E> {
    /// A result to return (success, or an error not worth retrying, or the last attempt's).
    Done(Result<T, E>),
    /// Try again after `after` (the `Retry-After` header), or else after the backoff.
    Retry { after: Option<Duration> },
}

/// Runs `attempt(n, last)` for n = 0, 1, … until it is [`Attempt::Done`], sleeping between
/// attempts for the `Retry-After` wait or [`backoff`]`(base, n)`, at most [`MAX_WAIT`]. `last` is
/// true from attempt `max_retries` on: the attempt then returns its final error instead of asking
/// for a retry.
pub fn with_retries<T, E>(
    max_retries: u32,
    base: Duration,
    mut attempt: impl FnMut(u32, bool) -> Attempt<T, E>,
) -> Result<T, E> {
    let mut n = 0;
    loop {
        match attempt(n, n >= max_retries) {
            Attempt::Done(result) => return result,
            Attempt::Retry { after } => {
                let wait = after.unwrap_or_else(|| backoff(base, n));
                std::thread::sleep(wait.min(MAX_WAIT));
                n = n.saturating_add(1);
            }
        }
    }
}

/// Keeps at least `min_interval` between the starts of two requests (0 = no limit).
#[derive(Debug)]
pub struct Pacer {
    min_interval: Duration,
    last_start: Mutex<Option<Instant>>,
}

impl Pacer {
    pub fn new(min_interval: Duration) -> Self {
        Self {
            min_interval,
            last_start: Mutex::new(None),
        }
    }

    /// Waits until `min_interval` has passed since the previous request started.
    pub fn wait(&self) {
        if self.min_interval.is_zero() {
            return;
        }
        let mut last = self
            .last_start
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(prev) = *last {
            let next = prev + self.min_interval;
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            }
        }
        *last = Some(Instant::now());
    }
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

    #[test]
    fn snippet_is_one_trimmed_line() {
        assert_eq!(body_snippet("  bad\nrequest\r\n"), "bad request");
        assert_eq!(body_snippet(&"x".repeat(300)).len(), 200);
    }

    #[test]
    fn retries_until_done_and_says_which_attempt_is_last() {
        let mut seen = Vec::new();
        let r: Result<u32, String> = with_retries(2, Duration::ZERO, |n, last| {
            seen.push((n, last));
            if last {
                Attempt::Done(Err(format!("gave up after {}", n + 1)))
            } else {
                Attempt::Retry { after: None }
            }
        });
        assert_eq!(r.unwrap_err(), "gave up after 3");
        assert_eq!(seen, vec![(0, false), (1, false), (2, true)]);
        let ok: Result<u32, String> = with_retries(5, Duration::ZERO, |n, _| {
            if n == 1 {
                Attempt::Done(Ok(7))
            } else {
                Attempt::Retry {
                    after: Some(Duration::ZERO),
                }
            }
        });
        assert_eq!(ok.unwrap(), 7);
    }
}
