//! Calls as plain values: what to send, and how to read the answer.
//!
//! An [`Endpoint`] only *describes* a request; [`crate::Client`] and
//! `blocking::Client` *execute* it. Building and parsing therefore need no
//! network, and are tested on the recorded bodies in `spec/fixtures/`.

use std::borrow::Cow;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, Error, ValidationError};
use crate::retry::Retry;

/// One Authy API call.
///
/// ```
/// use authy::Endpoint;
/// let client = authy::Client::new("key").unwrap();
/// let call = client.tokens().verify(1635, "0012345");
/// let verify = call.endpoint();
/// assert_eq!(verify.method(), reqwest::Method::GET);
/// assert_eq!(verify.path(), "/protected/json/verify/0012345/1635");
/// assert_eq!(verify.query(), [("force", "true".to_string())]);
/// assert!(verify.body().is_none());
/// ```
pub trait Endpoint {
    /// The typed success answer.
    type Output: Response;

    /// Whether the call may be repeated after a failure.
    const RETRY: Retry;

    /// A stable name for errors and traces, such as `tokens.verify`.
    fn name(&self) -> &'static str;

    /// `GET` or `POST`: Authy knows no other method.
    fn method(&self) -> Method;

    /// The path, with every variable segment percent-encoded.
    fn path(&self) -> String;

    /// The path as it may be logged: the same, except that secrets (the token
    /// in the verify path) are masked.
    fn log_path(&self) -> Cow<'_, str> {
        Cow::Owned(self.path())
    }

    /// Query parameters. GET calls carry all their parameters here (WIRE.md §5.7).
    fn query(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// The JSON body of a POST. Always `None` for GET: Twilio rejects GET
    /// requests with a body since 2026-01-15.
    fn body(&self) -> Option<Value> {
        None
    }

    /// Checks the arguments; an error here means nothing is sent.
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

/// A typed success answer that also keeps the whole JSON body, as the Python
/// client's `content` did.
pub trait Response: DeserializeOwned {
    /// The whole JSON body as received.
    fn raw(&self) -> &Value;

    #[doc(hidden)]
    fn set_raw(&mut self, raw: Value);

    /// Whether a body that says `success` also confirms what the call asked.
    /// Verify answers must also carry `"token":"is valid"` (WIRE.md §10.1).
    fn confirms_success(&self) -> bool {
        true
    }
}

/// Implements [`Response`] for structs with a `raw: Value` field marked
/// `#[serde(skip)]`, and gives them an inherent `raw()` (no trait import needed).
macro_rules! impl_response {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::endpoint::Response for $ty {
            fn raw(&self) -> &serde_json::Value {
                &self.raw
            }
            fn set_raw(&mut self, raw: serde_json::Value) {
                self.raw = raw;
            }
        }
        $crate::endpoint::raw_accessor!($ty);
    )*};
}
pub(crate) use impl_response;

/// The inherent `raw()` of an answer type.
macro_rules! raw_accessor {
    ($ty:ty) => {
        impl $ty {
            /// The whole JSON body as received, including fields this crate does not model.
            pub fn raw(&self) -> &serde_json::Value {
                &self.raw
            }
        }
    };
}
pub(crate) use raw_accessor;

/// Reads an answer: `Ok` only for a 2xx status with a truthy `success`.
///
/// The `Content-Type` is ignored, because the real service mixed types. An
/// error answer with a JSON object body becomes [`Error::Api`]; a body that is
/// not a JSON object (an HTML page from a proxy, an empty body, truncated JSON)
/// becomes [`Error::Decode`] whatever the status.
///
/// ```
/// use reqwest::StatusCode;
/// use authy::api::tokens::Verification;
/// let body = br#"{"message":"Token is invalid","token":"is invalid","success":false,"errors":{"message":"Token is invalid"},"error_code":"60020"}"#;
/// let err = authy::parse::<Verification>("tokens.verify", StatusCode::UNAUTHORIZED, body).unwrap_err();
/// assert!(err.is_invalid_token());
/// ```
pub fn parse<T: Response>(
    endpoint: &'static str,
    status: StatusCode,
    body: &[u8],
) -> Result<T, Error> {
    let decode_error = |path: String, source: serde_json::Error| Error::Decode {
        endpoint,
        status,
        path,
        body: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
        source,
    };
    let value: Value = serde_json::from_slice(body).map_err(|e| decode_error(String::new(), e))?;
    if !value.is_object() {
        return Err(decode_error(
            String::new(),
            serde::de::Error::custom("expected a JSON object"),
        ));
    }
    let success = match value.get("success") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    if !status.is_success() || !success {
        return Err(ApiError::from_body(status, value).into());
    }
    let mut out: T = serde_path_to_error::deserialize(&value)
        .map_err(|e| decode_error(e.path().to_string(), e.into_inner()))?;
    if !out.confirms_success() {
        return Err(ApiError::from_body(status, value).into());
    }
    out.set_raw(value);
    Ok(out)
}
