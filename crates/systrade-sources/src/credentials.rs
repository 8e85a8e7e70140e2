//! Secrets for price sources (an API key or token): only from an environment variable or from a file
//! that only its owner can read (mode 0600 or stricter). A [`Secret`] never prints its value.

use std::fmt;
use std::path::Path;

/// A secret string; `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The value, for building the request only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error(
        "{file}: mode {mode:04o} lets others read the secret; run `chmod 600 {file}` (only mode 0600 or stricter is accepted)"
    )]
    Permissions { file: String, mode: u32 },
    #[error("{0}: the secret is empty")]
    Empty(String),
}

/// Reads a secret: the environment value `env_value` (already looked up by the caller) wins, else the
/// first line of `file`, which must not be readable by group or others.
pub fn load_secret(
    env_value: Option<String>,
    file: Option<&Path>,
) -> Result<Option<Secret>, CredentialError> {
    if let Some(v) = env_value.filter(|v| !v.trim().is_empty()) {
        return Ok(Some(Secret(v.trim().to_string())));
    }
    let Some(path) = file else { return Ok(None) };
    let name = path.display().to_string();
    let io = |source| CredentialError::Io {
        file: name.clone(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(CredentialError::Permissions { file: name, mode });
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::fs::read_to_string(path).map_err(io)?;
    let value = text.lines().next().unwrap_or("").trim().to_string();
    if value.is_empty() {
        return Err(CredentialError::Empty(name));
    }
    Ok(Some(Secret(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("abc123".into());
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
        assert_eq!(s.expose(), "abc123");
    }

    #[cfg(unix)]
    #[test]
    fn file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("systrade-cred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("token");
        std::fs::write(&f, "tok\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = load_secret(None, Some(&f)).unwrap_err().to_string();
        assert!(e.contains("mode 0644"), "{e}");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            load_secret(None, Some(&f)).unwrap().unwrap().expose(),
            "tok"
        );
        assert_eq!(
            load_secret(Some("env".into()), Some(&f))
                .unwrap()
                .unwrap()
                .expose(),
            "env"
        );
        assert!(load_secret(None, None).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
