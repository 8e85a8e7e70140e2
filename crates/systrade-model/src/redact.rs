//! Secrets left out of every message that echoes a URL or a vendor's body: the values of
//! query-string, form or JSON parameters whose name says key, token, secret, password, signature
//! or session (`?apikey=S3CRET` → `?apikey=[redacted]`), `Authorization:`/`Bearer`/`Basic`
//! credentials, and the password of `user:password@host`. Applied where a message leaves a process:
//! systrade-ibkr's transport and systrade-sources' `http:` client (URLs and vendor bodies), and
//! systrade-cli's log writer, error and per-item messages, run summaries and stdout rows; the
//! store's `process_runs` records (issue 15 item 7).

/// The replacement of every secret.
pub const REDACTED: &str = "[redacted]";

/// Parameter names whose values are secrets: matched case-insensitively without `-`/`_`/`.`
/// (`api_key`, `X-Api-Key`, `accessToken`), or whose last `-`/`_`/`.` part is one of the words
/// (`my_token`, `vendor.secret`). `monkey` and `keyboard` are not secrets.
pub fn is_secret_name(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "key",
        "apikey",
        "xapikey",
        "accesskey",
        "secretkey",
        "privatekey",
        "token",
        "apitoken",
        "accesstoken",
        "authtoken",
        "refreshtoken",
        "idtoken",
        "secret",
        "apisecret",
        "clientsecret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "signature",
        "sig",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "session",
        "sessionid",
        "cookie",
    ];
    const LAST_PARTS: &[&str] = &["key", "token", "secret", "password", "passwd", "signature"];
    let lower = name.to_ascii_lowercase();
    let joined: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    let last = lower.rsplit(['-', '_', '.']).next().unwrap_or("");
    NAMES.contains(&joined.as_str()) || LAST_PARTS.contains(&last)
}

/// A secret name that is not also an everyday word: `name: value` after it is a secret even
/// unquoted (`Authorization: X`, `X-Api-Key: X`, `password: X`, `access_token: X`), where after
/// `key:`, `token:` or `session:` it may be prose.
fn is_specific_secret_name(name: &str) -> bool {
    const GENERIC: &[&str] = &[
        "key",
        "token",
        "secret",
        "session",
        "auth",
        "sig",
        "pass",
        "signature",
        "credential",
        "credentials",
    ];
    is_secret_name(name) && !GENERIC.contains(&name.to_ascii_lowercase().as_str())
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'
}

/// Ends a secret value.
fn ends_value(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '&' | '"' | '\'' | ',' | ';' | '<' | '>' | '}' | ')' | '#'
        )
}

/// Whether `text` can hold a secret at all: a `name=value` / `name: value` pair, a `Bearer` or
/// `Basic` credential, or `user:password@host` all need an `=` or a `:` or one of those words.
/// Most messages and table cells have none, and are returned as they are without a scan.
fn may_hold_secret(text: &str) -> bool {
    if text.contains(['=', ':']) {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    lower.contains("bearer ") || lower.contains("basic ")
}

/// `text` with every secret replaced by [`REDACTED`] (see the module documentation).
pub fn redact(text: &str) -> String {
    if !may_hold_secret(text) {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // `name=value`, `name": "value"`, `name: value` after a secret name.
        if is_name_char(c) && (i == 0 || !is_name_char(chars[i - 1])) {
            let start = i;
            let mut j = i;
            while j < chars.len() && is_name_char(chars[j]) {
                j += 1;
            }
            let name: String = chars[start..j].iter().collect();
            out.push_str(&name);
            i = j;
            if is_secret_name(&name) {
                // Separator: optional closing quote, spaces, '=' or ':', spaces, opening quote.
                let mut k = i;
                let name_quoted = k < chars.len() && (chars[k] == '"' || chars[k] == '\'');
                if name_quoted {
                    k += 1;
                }
                while k < chars.len() && chars[k] == ' ' {
                    k += 1;
                }
                if k < chars.len() && (chars[k] == '=' || chars[k] == ':') {
                    let colon = chars[k] == ':';
                    k += 1;
                    while k < chars.len() && chars[k] == ' ' {
                        k += 1;
                    }
                    let quoted = k < chars.len() && (chars[k] == '"' || chars[k] == '\'');
                    if quoted {
                        k += 1;
                    }
                    // `Authorization: Bearer X`: keep the scheme word, drop the credential.
                    let mut v = k;
                    let scheme: String = chars[v..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphabetic())
                        .collect();
                    if matches!(
                        scheme.to_ascii_lowercase().as_str(),
                        "bearer" | "basic" | "token"
                    ) && chars.get(v + scheme.len()) == Some(&' ')
                    {
                        v += scheme.len() + 1;
                    }
                    let mut end = v;
                    while end < chars.len() && !ends_value(chars[end]) {
                        end += 1;
                    }
                    // `name: value` in prose (`.../src/token: mode 0644 ...`, `no authenticated
                    // session: log in ...`) is not a secret unless it reads as a quoted key, a
                    // quoted value, a credential scheme or a header / compound secret name.
                    let colon_secret =
                        !colon || name_quoted || quoted || v > k || is_specific_secret_name(&name);
                    // A template placeholder (`key={token}`) is not a secret.
                    if colon_secret && end > v && chars[v] != '{' {
                        out.extend(&chars[i..v]);
                        out.push_str(REDACTED);
                        i = end;
                    }
                }
            }
            continue;
        }
        // `Bearer X` / `Basic X` anywhere.
        out.push(c);
        i += 1;
    }
    redact_bearer(&redact_userinfo(&out))
}

/// `Bearer <credential>` and `Basic <credential>` outside a `name: value` pair.
fn redact_bearer(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        let hit = ["bearer ", "basic "]
            .iter()
            .filter_map(|w| lower.find(w).map(|p| (p, w.len())))
            .min();
        let Some((p, len)) = hit else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..p + len]);
        let after = &rest[p + len..];
        let end = after.find(ends_value).unwrap_or(after.len());
        if end == 0 || after.starts_with(REDACTED) {
            rest = after;
            continue;
        }
        out.push_str(REDACTED);
        rest = &after[end..];
    }
}

/// `scheme://user:password@host` → `scheme://user:[redacted]@host`.
fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(p) = rest.find("://") {
        out.push_str(&rest[..p + 3]);
        let after = &rest[p + 3..];
        let authority_end = after
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..=colon]);
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_headers_json_and_userinfo_are_redacted() {
        let cases = [
            (
                "https://v.example/p?symbol=ES&key=S3CRETTOKEN&x=1",
                "https://v.example/p?symbol=ES&key=[redacted]&x=1",
            ),
            (
                "GET /q?apikey=abc123&api_token=zz",
                "GET /q?apikey=[redacted]&api_token=[redacted]",
            ),
            (
                "{\"error\":\"bad\",\"access_token\": \"S3CRET\"}",
                "{\"error\":\"bad\",\"access_token\": \"[redacted]\"}",
            ),
            (
                "Authorization: Bearer S3CRET next",
                "Authorization: Bearer [redacted] next",
            ),
            ("header bearer S3CRET", "header bearer [redacted]"),
            (
                "http://me:S3CRET@host:5000/v1",
                "http://me:[redacted]@host:5000/v1",
            ),
            ("password=hunter2", "password=[redacted]"),
            ("password: hunter2", "password: [redacted]"),
            ("X-Api-Key: S3CRET", "X-Api-Key: [redacted]"),
            ("token: \"S3CRET\"", "token: \"[redacted]\""),
            ("{'token': 'S3CRET'}", "{'token': '[redacted]'}"),
            (
                "/tmp/x/src/token: mode 0644 lets others read the secret",
                "/tmp/x/src/token: mode 0644 lets others read the secret",
            ),
            (
                "has no authenticated session: log in through the web page",
                "has no authenticated session: log in through the web page",
            ),
            ("unknown key: forecast_cap", "unknown key: forecast_cap"),
            ("q.csv?key={token}", "q.csv?key={token}"),
            (
                "symbol=ES&monkey=1&keyboard=2",
                "symbol=ES&monkey=1&keyboard=2",
            ),
            (
                "https://localhost:5000/v1/api",
                "https://localhost:5000/v1/api",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "{input}");
        }
    }

    #[test]
    fn never_panics_on_odd_text() {
        for s in [
            "",
            "key",
            "key=",
            "=key",
            "key:\"",
            "ü key=ü€ token:'x",
            "://@:",
            "Bearer ",
        ] {
            let _ = redact(s);
        }
    }
}
