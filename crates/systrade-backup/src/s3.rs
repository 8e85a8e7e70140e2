//! A minimal S3 client: the five calls a backup repository needs (PUT, GET, DELETE object,
//! ListObjectsV2, and CreateBucket for tests), signed with AWS Signature Version 4, over the
//! workspace's blocking `reqwest` 0.12 with rustls. Why not `object_store`: docs/adr/0002-backup-s3.md.
//!
//! Configuration comes from the environment only, with the AWS SDKs' names:
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, optional `AWS_SESSION_TOKEN`, `AWS_REGION` (or
//! `AWS_DEFAULT_REGION`, default `us-east-1`), and optional `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`
//! for S3-compatible servers (MinIO, Ceph, moto, ...), which are addressed path-style
//! (`<endpoint>/<bucket>/<key>`); without an endpoint, AWS is addressed virtual-host style
//! (`https://<bucket>.s3.<region>.amazonaws.com/<key>`).

use crate::manifest::{hex, sha256_hex};
use crate::store::{ObjectInfo, ObjectStore, SourceChanged};
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// SHA-256 of the empty payload (GET, DELETE, ...).
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Credentials for signing.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Where and how to reach the bucket.
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    /// Key prefix inside the bucket, without leading or trailing `/` (may be empty).
    pub prefix: String,
    pub region: String,
    /// Custom endpoint (`http://127.0.0.1:9000`), addressed path-style; `None` for AWS.
    pub endpoint: Option<String>,
    pub credentials: Credentials,
}

impl S3Config {
    /// Parses `s3://bucket/prefix` and reads the rest from the environment.
    pub fn from_url_and_env(url: &str) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("s3://")
            .with_context(|| format!("{url} is not an s3:// URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            anyhow::bail!("{url}: the bucket name is missing (s3://bucket/prefix)");
        }
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let access_key_id = var("AWS_ACCESS_KEY_ID");
        let secret_access_key = var("AWS_SECRET_ACCESS_KEY");
        let (Some(access_key_id), Some(secret_access_key)) = (access_key_id, secret_access_key)
        else {
            anyhow::bail!(
                "S3 credentials missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment"
            );
        };
        Ok(Self {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            region: var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".to_string()),
            endpoint: var("AWS_ENDPOINT_URL_S3")
                .or_else(|| var("AWS_ENDPOINT_URL"))
                .map(|e| e.trim_end_matches('/').to_string()),
            credentials: Credentials {
                access_key_id,
                secret_access_key,
                session_token: var("AWS_SESSION_TOKEN"),
            },
        })
    }
}

/// An S3 bucket (and key prefix) as an [`ObjectStore`].
pub struct S3Store {
    config: S3Config,
    client: reqwest::blocking::Client,
}

/// Percent-encoding of SigV4 (RFC 3986 unreserved characters stay; `/` stays when `keep_slash`).
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; the error case cannot happen.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// A request to sign: method, host (with `:port` when not the scheme's default), encoded path,
/// query pairs (unencoded) and extra headers to sign (lower-case names).
pub struct SignInput<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub headers: &'a [(String, String)],
    pub payload_sha256: &'a str,
}

/// AWS Signature Version 4 for S3: returns the headers to add (`x-amz-date`,
/// `x-amz-content-sha256`, optional `x-amz-security-token`, `authorization`).
///
/// signature = hex(HMAC(k_signing, string_to_sign)), where
/// k_signing = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, yyyymmdd), region), "s3"), "aws4_request") and
/// string_to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + hex(SHA256(canonical request)).
pub fn sign(
    input: &SignInput<'_>,
    region: &str,
    creds: &Credentials,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let day = now.format("%Y%m%d").to_string();
    let mut headers: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    headers.push(("host".into(), input.host.to_string()));
    headers.push(("x-amz-content-sha256".into(), input.payload_sha256.into()));
    headers.push(("x-amz-date".into(), amz_date.clone()));
    if let Some(token) = &creds.session_token {
        headers.push(("x-amz-security-token".into(), token.clone()));
    }
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        input.method,
        input.path,
        canonical_query(input.query),
        input.payload_sha256
    );
    let scope = format!("{day}/{region}/s3/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let mut key = hmac(
        format!("AWS4{}", creds.secret_access_key).as_bytes(),
        day.as_bytes(),
    );
    for part in [region, "s3", "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        creds.access_key_id
    );
    let mut out = vec![
        ("x-amz-date".to_string(), amz_date),
        (
            "x-amz-content-sha256".to_string(),
            input.payload_sha256.to_string(),
        ),
        ("authorization".to_string(), authorization),
    ];
    if let Some(token) = &creds.session_token {
        out.push(("x-amz-security-token".into(), token.clone()));
    }
    out
}

/// Sorted, encoded `k=v&...` (SigV4 canonical query string; also the query we send).
fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The body of a request, re-creatable for retries.
enum Payload<'a> {
    Empty,
    Bytes(&'a [u8]),
    File(&'a Path, u64),
}

impl S3Store {
    pub fn new(config: S3Config) -> anyhow::Result<Self> {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(900))
            .build()
            .context("cannot create the HTTP client")?;
        Ok(Self { config, client })
    }

    /// From `s3://bucket/prefix` and the environment.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        Self::new(S3Config::from_url_and_env(url)?)
    }

    /// The object key of `key` under the prefix; a listing prefix (`blobs/`) may end with `/`.
    fn full_key(&self, key: &str) -> anyhow::Result<String> {
        crate::store::check_key(key.strip_suffix('/').unwrap_or(key))?;
        Ok(if self.config.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.config.prefix)
        })
    }

    /// (scheme://host[:port], host for signing, encoded path) of an object key (`None` = bucket).
    fn location(&self, key: Option<&str>) -> anyhow::Result<(String, String, String)> {
        let encoded_key = key.map(|k| uri_encode(k, true)).unwrap_or_default();
        let (base, path) = match &self.config.endpoint {
            Some(endpoint) => (
                endpoint.clone(),
                format!("/{}/{encoded_key}", uri_encode(&self.config.bucket, false)),
            ),
            None => (
                format!(
                    "https://{}.s3.{}.amazonaws.com",
                    self.config.bucket, self.config.region
                ),
                format!("/{encoded_key}"),
            ),
        };
        let path = if key.is_none() && self.config.endpoint.is_some() {
            path.trim_end_matches('/').to_string()
        } else {
            path
        };
        let url = reqwest::Url::parse(&base).with_context(|| format!("bad S3 endpoint {base}"))?;
        let host = url.host_str().context("S3 endpoint has no host")?;
        let host = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        Ok((base, host, path))
    }

    /// Sends a signed request, retrying transient failures (connection errors, 429, 5xx) up to
    /// four times with exponential backoff. All calls used are idempotent.
    fn send(
        &self,
        method: reqwest::Method,
        key: Option<&str>,
        query: &[(String, String)],
        payload: Payload<'_>,
        payload_sha256: &str,
    ) -> anyhow::Result<reqwest::blocking::Response> {
        let (base, host, path) = self.location(key)?;
        let qs = canonical_query(query);
        let url = if qs.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{qs}")
        };
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let signed = sign(
                &SignInput {
                    method: method.as_str(),
                    host: &host,
                    path: &path,
                    query,
                    headers: &[],
                    payload_sha256,
                },
                &self.config.region,
                &self.config.credentials,
                Utc::now(),
            );
            let mut req = self.client.request(method.clone(), &url);
            for (k, v) in &signed {
                req = req.header(k.as_str(), v.as_str());
            }
            req = match &payload {
                Payload::Empty => req,
                Payload::Bytes(b) => req.body(b.to_vec()),
                Payload::File(p, size) => {
                    let f = std::fs::File::open(p).map_err(|_| SourceChanged(p.to_path_buf()))?;
                    req.body(reqwest::blocking::Body::sized(f, *size))
                }
            };
            let result = req.send();
            let retryable = match &result {
                Err(e) => !e.is_builder(),
                Ok(r) => r.status().is_server_error() || r.status().as_u16() == 429,
            };
            if retryable && attempt < 5 {
                tracing::debug!("S3 {method} {url}: attempt {attempt} failed, retrying");
                std::thread::sleep(Duration::from_millis(200 << attempt));
                continue;
            }
            return result.with_context(|| format!("S3 {method} {url}"));
        }
    }

    /// Turns an error response into a message with S3's `<Code>` and `<Message>`.
    fn error(what: &str, resp: reqwest::blocking::Response) -> anyhow::Error {
        let status = resp.status();
        let body = resp.text().unwrap_or_default();
        let code = xml_values(&body, "Code")
            .into_iter()
            .next()
            .unwrap_or_default();
        let message = xml_values(&body, "Message")
            .into_iter()
            .next()
            .unwrap_or_default();
        anyhow::anyhow!("S3 {what}: HTTP {status} {code} {message}")
    }

    /// Creates the bucket (for tests and first-time setup); an existing bucket of ours is fine.
    pub fn create_bucket(&self) -> anyhow::Result<()> {
        let resp = self.send(
            reqwest::Method::PUT,
            None,
            &[],
            Payload::Empty,
            EMPTY_SHA256,
        )?;
        if resp.status().is_success() || resp.status().as_u16() == 409 {
            return Ok(());
        }
        Err(Self::error(
            &format!("create bucket {}", self.config.bucket),
            resp,
        ))
    }
}

impl ObjectStore for S3Store {
    fn describe(&self) -> String {
        format!("s3://{}/{}", self.config.bucket, self.config.prefix)
    }

    fn put_file(&self, key: &str, src: &Path, size: u64, sha256: &str) -> anyhow::Result<()> {
        let full = self.full_key(key)?;
        // The payload hash is the blob's SHA-256: S3 refuses the upload when the bytes sent do not
        // match it, so a file that changed after hashing is never stored under the wrong name.
        let resp = self.send(
            reqwest::Method::PUT,
            Some(&full),
            &[],
            Payload::File(src, size),
            sha256,
        )?;
        if resp.status().is_success() {
            return Ok(());
        }
        let status = resp.status();
        let body = resp.text().unwrap_or_default();
        if status.as_u16() == 400 && body.contains("XAmzContentSHA256Mismatch") {
            return Err(SourceChanged(src.to_path_buf()).into());
        }
        anyhow::bail!("S3 PUT {full}: HTTP {status} {body}")
    }

    fn put_bytes(&self, key: &str, data: &[u8]) -> anyhow::Result<()> {
        let full = self.full_key(key)?;
        let resp = self.send(
            reqwest::Method::PUT,
            Some(&full),
            &[],
            Payload::Bytes(data),
            &sha256_hex(data),
        )?;
        if resp.status().is_success() {
            return Ok(());
        }
        Err(Self::error(&format!("PUT {full}"), resp))
    }

    fn get_reader(&self, key: &str) -> anyhow::Result<Option<Box<dyn Read + Send>>> {
        let full = self.full_key(key)?;
        let resp = self.send(
            reqwest::Method::GET,
            Some(&full),
            &[],
            Payload::Empty,
            EMPTY_SHA256,
        )?;
        if resp.status().as_u16() == 404 {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(Self::error(&format!("GET {full}"), resp));
        }
        Ok(Some(Box::new(resp)))
    }

    fn list(&self, prefix: &str) -> anyhow::Result<Vec<ObjectInfo>> {
        let full_prefix = self.full_key(prefix)?;
        let strip = if self.config.prefix.is_empty() {
            0
        } else {
            self.config.prefix.len() + 1
        };
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![
                ("list-type".to_string(), "2".to_string()),
                ("prefix".to_string(), full_prefix.clone()),
            ];
            if let Some(t) = &token {
                query.push(("continuation-token".to_string(), t.clone()));
            }
            let resp = self.send(
                reqwest::Method::GET,
                None,
                &query,
                Payload::Empty,
                EMPTY_SHA256,
            )?;
            if !resp.status().is_success() {
                return Err(Self::error(&format!("list {full_prefix}"), resp));
            }
            let body = resp.text()?;
            for contents in xml_values(&body, "Contents") {
                let key = xml_values(&contents, "Key").into_iter().next();
                let size = xml_values(&contents, "Size")
                    .into_iter()
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                if let Some(key) = key
                    && key.len() >= strip
                {
                    out.push(ObjectInfo {
                        key: key[strip..].to_string(),
                        size,
                    });
                }
            }
            let truncated = xml_values(&body, "IsTruncated")
                .first()
                .is_some_and(|v| v == "true");
            token = xml_values(&body, "NextContinuationToken")
                .into_iter()
                .next();
            if !truncated || token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    fn delete(&self, key: &str) -> anyhow::Result<()> {
        let full = self.full_key(key)?;
        let resp = self.send(
            reqwest::Method::DELETE,
            Some(&full),
            &[],
            Payload::Empty,
            EMPTY_SHA256,
        )?;
        if resp.status().is_success() || resp.status().as_u16() == 404 {
            return Ok(());
        }
        Err(Self::error(&format!("DELETE {full}"), resp))
    }
}

/// The text of every `<tag>...</tag>` element (not nested in itself), XML entities decoded.
/// Enough for S3's flat ListObjectsV2 and error documents.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else {
            break;
        };
        out.push(xml_unescape(&after[..end]));
        rest = &after[end + close.len()..];
    }
    out
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The "GET Object" example of the AWS S3 SigV4 documentation ("Examples of signature
    /// calculations"): bucket examplebucket, key test.txt, Range bytes=0-9, 2013-05-24.
    #[test]
    fn signature_matches_aws_documented_example() {
        let creds = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        let now = Utc.with_ymd_and_hms(2013, 5, 24, 0, 0, 0).unwrap();
        let headers = sign(
            &SignInput {
                method: "GET",
                host: "examplebucket.s3.amazonaws.com",
                path: "/test.txt",
                query: &[],
                headers: &[("range".into(), "bytes=0-9".into())],
                payload_sha256: EMPTY_SHA256,
            },
            "us-east-1",
            &creds,
            now,
        );
        let auth = &headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap()
            .1;
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn encoding_and_xml() {
        assert_eq!(uri_encode("a b/c~d", true), "a%20b/c~d");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
        let xml = "<ListBucketResult><IsTruncated>false</IsTruncated>\
                   <Contents><Key>p/blobs/a&amp;b</Key><Size>12</Size></Contents>\
                   <Contents><Key>p/x</Key><Size>3</Size></Contents></ListBucketResult>";
        let contents = xml_values(xml, "Contents");
        assert_eq!(contents.len(), 2);
        assert_eq!(xml_values(&contents[0], "Key"), vec!["p/blobs/a&b"]);
        assert_eq!(xml_values(xml, "IsTruncated"), vec!["false"]);
    }
}
