//! Why a call to the gateway failed. [`IbkrError::is_unavailable`] separates "the gateway cannot be
//! used now" (not running, refusing the connection or the certificate, nobody logged in, busy
//! beyond the retries) from answers this client does not understand and from lookups that found
//! nothing; callers map the first to their "broker or source unavailable" outcome.

/// A failed gateway call.
#[derive(Debug, thiserror::Error)]
pub enum IbkrError {
    /// Nothing listens at the gateway's address.
    #[error(
        "{url}: connection refused: is the Client Portal gateway running, and is this its address?"
    )]
    ConnectionRefused { url: String },

    /// The TLS handshake failed because the gateway's certificate was not trusted (the gateway
    /// ships a self-signed certificate; accepting it is an explicit choice of the caller).
    #[error("{url}: the gateway's TLS certificate was refused ({detail})")]
    CertificateRefused { url: String, detail: String },

    /// Any other failure to get an answer: timeout, name resolution, connection reset.
    #[error("{url}: cannot reach the gateway: {message}")]
    Connect { url: String, message: String },

    /// The gateway has no authenticated brokerage session and could not start one.
    #[error(
        "the Client Portal gateway at {0} has no authenticated session: log in through the gateway's web page, then run again"
    )]
    NotAuthenticated(String),

    /// 429 or 503 after every retry.
    #[error("{url}: still HTTP {status} after {attempts} attempts")]
    Busy {
        url: String,
        status: u16,
        attempts: u32,
    },

    /// Any other HTTP error status.
    #[error("{url}: HTTP {status}{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
    Status {
        url: String,
        status: u16,
        body: String,
    },

    /// An answer this client does not understand.
    #[error("{what}: unexpected answer from the gateway: {message}")]
    Protocol { what: String, message: String },

    /// A lookup that found nothing usable (an unmapped instrument, an ambiguous month, …).
    #[error("{0}")]
    Lookup(String),

    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

impl IbkrError {
    /// True when the gateway cannot be used at all; callers stop and report "unavailable".
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::ConnectionRefused { .. }
                | Self::CertificateRefused { .. }
                | Self::Connect { .. }
                | Self::NotAuthenticated(_)
                | Self::Busy { .. }
                | Self::Build(_)
        )
    }

    /// True when the TLS certificate was refused: callers name their option to accept it.
    pub fn is_certificate_refused(&self) -> bool {
        matches!(self, Self::CertificateRefused { .. })
    }

    /// The HTTP status, when the gateway answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } | Self::Busy { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn protocol(what: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self::Protocol {
            what: what.into(),
            message: message.to_string(),
        }
    }
}
