//! Calls as plain values: what to send, and how to read the answer.
//!
//! An [`Endpoint`] only *describes* a request; [`crate::Client`] and
//! `blocking::Client` *execute* it. Building and parsing therefore need no
//! network, and are tested on the recorded bodies in `spec/fixtures/`.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use reqwest::{Method, StatusCode};
use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
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
    fn set_raw(&mut self, raw: RawBody);

    /// Whether a body that says `success` also confirms what the call asked.
    /// Verify answers must also carry `"token":"is valid"` (WIRE.md §10.1).
    fn confirms_success(&self) -> bool {
        true
    }
}

/// Implements [`Response`] for structs with a `raw: RawBody` field marked
/// `#[serde(skip)]`, and gives them an inherent `raw()` (no trait import needed).
macro_rules! impl_response {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::endpoint::Response for $ty {
            fn raw(&self) -> &serde_json::Value {
                self.raw.value()
            }
            fn set_raw(&mut self, raw: $crate::endpoint::RawBody) {
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
                self.raw.value()
            }
        }
    };
}
pub(crate) use raw_accessor;

/// The body of a success answer, kept as bytes and turned into a JSON tree
/// only when [`Response::raw`] is first called.
///
/// Most callers read the typed fields and never the tree, and building it cost
/// as much as the typed answer itself (a string per key).
#[doc(hidden)]
#[derive(Clone, Default)]
pub struct RawBody {
    bytes: Box<[u8]>,
    value: OnceLock<Value>,
}

impl RawBody {
    /// The whole body as a JSON tree; `null` for an answer not made by [`parse`].
    pub(crate) fn value(&self) -> &Value {
        // `parse` only keeps bodies that it has read as a JSON object.
        self.value
            .get_or_init(|| serde_json::from_slice(&self.bytes).unwrap_or(Value::Null))
    }
}

impl fmt::Debug for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.value(), f)
    }
}

/// What every answer says first: whether it is a success (WIRE.md §6).
/// Read in one pass that keeps nothing else and refuses anything but an object.
struct Envelope {
    success: bool,
}

impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EnvelopeVisitor)
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut success = false;
        while let Some(key) = map.next_key::<EnvelopeKey>()? {
            match key {
                EnvelopeKey::Success => success = map.next_value::<Truthy>()?.0,
                EnvelopeKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Envelope { success })
    }
}

/// A key of the envelope, compared without being copied.
enum EnvelopeKey {
    Success,
    Other,
}

impl<'de> Deserialize<'de> for EnvelopeKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = EnvelopeKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<EnvelopeKey, E> {
                Ok(match key {
                    "success" => EnvelopeKey::Success,
                    _ => EnvelopeKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// `success` as the real service sends it: `true`, or the string `"true"` in
/// any case. Anything else, of any type, is false.
struct Truthy(bool);

impl<'de> Deserialize<'de> for Truthy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Truthy(match value {
            Value::Bool(b) => b,
            Value::String(s) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }))
    }
}

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
    // Passes over a few hundred bytes, each cheap: the envelope, then the
    // typed answer straight from the bytes; the JSON tree only for an error,
    // or later if `raw()` is asked for.
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| decode_error(String::new(), e))?;
    let api_error = || {
        // The envelope pass proved the body is a JSON object.
        let value = serde_json::from_slice(body).unwrap_or_default();
        Error::from(ApiError::from_body(status, value))
    };
    if !status.is_success() || !envelope.success {
        return Err(api_error());
    }
    let mut out: T = match serde_json::from_slice(body) {
        Ok(out) => out,
        // Read again, only on failure, to say where: tracking the path costs
        // on every field.
        Err(plain) => {
            let mut reader = serde_json::Deserializer::from_slice(body);
            return Err(
                match serde_path_to_error::deserialize::<_, T>(&mut reader) {
                    Err(e) => decode_error(e.path().to_string(), e.into_inner()),
                    Ok(_) => decode_error(String::new(), plain),
                },
            );
        }
    };
    if !out.confirms_success() {
        return Err(api_error());
    }
    out.set_raw(RawBody {
        bytes: body.into(),
        value: OnceLock::new(),
    });
    Ok(out)
}
