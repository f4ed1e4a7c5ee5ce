//! The one error type of this crate.

use std::fmt;
use std::time::Duration;

use authy_types::ErrorCode;
use reqwest::StatusCode;
use serde_json::{Map, Value};

pub use authy_types::ValidationError;

/// Everything that can go wrong with a call.
///
/// Match on the variant, or ask a predicate: a bad key and a bad token both
/// answer HTTP 401, so the predicates read Authy's `error_code`, never the
/// status alone (WIRE.md §4).
///
/// ```no_run
/// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
/// match client.tokens().verify(1635, "0012345").send().await {
///     Ok(_) => println!("welcome"),
///     Err(e) if e.is_invalid_token() => println!("wrong or reused code, try again"),
///     Err(e) if e.is_rate_limited() => println!("too many attempts, wait a little"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument was refused before anything was sent.
    #[error("nothing was sent: {0}")]
    InvalidInput(#[from] ValidationError),

    /// Authy answered with an error (`success` false or a non-2xx status).
    #[error(transparent)]
    Api(Box<ApiError>),

    /// The request could not be sent or its answer not read (connection
    /// refused, reset, DNS, TLS). The URL is removed from the source, because
    /// the verify path contains the token.
    #[error("could not reach the Authy API for {endpoint}: {source}")]
    Transport {
        /// The call, e.g. `tokens.verify`.
        endpoint: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// No complete answer arrived within the client's timeout.
    #[error("the Authy API did not answer {endpoint} within {timeout:?}")]
    Timeout {
        /// The call, e.g. `tokens.verify`.
        endpoint: &'static str,
        /// The timeout that ran out.
        timeout: Duration,
    },

    /// The answer was not the JSON this call expects: an HTML error page from a
    /// proxy, an empty body, malformed JSON, or a field of the wrong type.
    #[error(
        "could not decode the answer to {endpoint} (HTTP {status}){}: {source}; body starts with {body:?}",
        at_path(path)
    )]
    Decode {
        /// The call, e.g. `tokens.verify`.
        endpoint: &'static str,
        /// The HTTP status of the answer.
        status: StatusCode,
        /// Where in the JSON decoding failed (`status.authy_id`), empty for the whole body.
        path: String,
        /// The first bytes of the body, as text.
        body: String,
        /// Why decoding failed.
        #[source]
        source: serde_json::Error,
    },
}

fn at_path(path: &str) -> String {
    if path.is_empty() || path == "." {
        String::new()
    } else {
        format!(" at `{path}`")
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl Error {
    /// The API error, when Authy answered with one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Authy's `error_code`, when Authy answered with one.
    pub fn error_code(&self) -> Option<&ErrorCode> {
        self.api_error().and_then(|e| e.error_code.as_ref())
    }

    /// The HTTP status, when an answer arrived.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    fn has_code(&self, codes: &[ErrorCode]) -> bool {
        self.error_code().is_some_and(|c| codes.contains(c))
    }

    /// The token was refused: wrong or expired (`60020`) or already used (`60019`).
    /// This is the expected outcome of a mistyped code, not a failure of the call.
    pub fn is_invalid_token(&self) -> bool {
        self.has_code(&[ErrorCode::InvalidToken, ErrorCode::TokenReused])
    }

    /// The token was right but has already been used (`60019`).
    pub fn is_token_reused(&self) -> bool {
        self.has_code(&[ErrorCode::TokenReused])
    }

    /// The API key is missing or unknown (`60001`).
    pub fn is_invalid_api_key(&self) -> bool {
        self.has_code(&[ErrorCode::InvalidApiKey])
    }

    /// The user, approval request, verification or registration does not exist
    /// (`60026`, `60049`, `60023`, `60035`).
    pub fn is_not_found(&self) -> bool {
        self.has_code(&[
            ErrorCode::UserNotFound,
            ErrorCode::ApprovalRequestNotFound,
            ErrorCode::VerificationNotFound,
            ErrorCode::RegistrationNotFound,
        ])
    }

    /// Too many requests or failed attempts (`60003` or HTTP 429).
    pub fn is_rate_limited(&self) -> bool {
        self.has_code(&[ErrorCode::RateLimited])
            || self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// The phone-verification code is wrong (`60022`).
    pub fn is_incorrect_verification_code(&self) -> bool {
        self.has_code(&[ErrorCode::IncorrectVerificationCode])
    }

    /// The call was refused before sending; nothing reached the network.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::InvalidInput(_))
    }

    /// No answer within the timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// The API could not be reached.
    pub fn is_transport(&self) -> bool {
        matches!(self, Error::Transport { .. })
    }
}

/// An error answered by the Authy API, with everything it said.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status (401 for both a bad key and a bad token: read `error_code`).
    pub status: StatusCode,
    /// Authy's `error_code`. Absent in a few real answers; when the message is
    /// one Authy only uses for one code (the 60019 body has no code), the code is
    /// inferred from it.
    pub error_code: Option<ErrorCode>,
    /// Authy's `message`.
    pub message: String,
    /// The `errors` object: `message` plus field errors such as `"cellphone":"is invalid"`.
    pub errors: Map<String, Value>,
    /// The whole JSON body as received.
    pub body: Value,
}

impl ApiError {
    /// Reads an error body. Anything missing is left empty, never invented.
    pub(crate) fn from_body(status: StatusCode, body: Value) -> Self {
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let error_code = match body.get("error_code") {
            Some(Value::String(code)) => Some(ErrorCode::from_code(code)),
            Some(Value::Number(code)) => Some(ErrorCode::from_code(&code.to_string())),
            _ => ErrorCode::KNOWN
                .iter()
                .find(|c| !message.is_empty() && c.message() == message)
                .cloned(),
        };
        let errors = body
            .get("errors")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        ApiError {
            status,
            error_code,
            message,
            errors,
            body,
        }
    }

    /// Field errors (`"cellphone" → "is invalid"`), without the repeated `message`.
    pub fn field_errors(&self) -> impl Iterator<Item = (&str, &str)> {
        self.errors
            .iter()
            .filter(|(k, _)| k.as_str() != "message")
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authy answered ")?;
        if let Some(code) = &self.error_code {
            write!(f, "error {code} ")?;
        }
        write!(f, "(HTTP {})", self.status.as_u16())?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        let fields: Vec<String> = self
            .field_errors()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        if !fields.is_empty() {
            write!(f, " ({})", fields.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}
