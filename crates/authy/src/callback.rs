//! Checking (and making) OneTouch callback signatures (WIRE.md §9).
//!
//! When a user answers a OneTouch request, Authy calls your callback URL with
//! `X-Authy-Signature` (base64 HMAC-SHA256 keyed with your API key) and
//! `X-Authy-Signature-Nonce` (Unix seconds). [`CallbackVerifier`] checks both,
//! in constant time, and refuses nonces older than five minutes by default.
//!
//! ```
//! use authy::callback::{CallbackRequest, CallbackVerifier};
//! # let api_key = "my-api-key";
//! # let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string();
//! # let body = br#"{"authy_id":1635,"status":"approved","uuid":"dda2c400-bc43-0135-d7be-1285ca17e122"}"#;
//! # let json: serde_json::Value = serde_json::from_slice(body).unwrap();
//! # let signature = authy::callback::sign_json(api_key, &now, "POST", "https://example.com/authy/callback", &json);
//! // In your web handler: the URL as Authy was told to call it (scheme and host
//! // included, as configured), the two headers and the raw body.
//! let verifier = CallbackVerifier::new(api_key);
//! let request = CallbackRequest {
//!     method: "POST",
//!     url: "https://example.com/authy/callback",
//!     signature: Some(&signature),
//!     nonce: Some(&now),
//!     body,
//! };
//! assert!(verifier.verify(&request).is_ok());
//! ```

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

pub use authy_types::signature::{
    canonical_params, canonical_query, sign_data, sign_json, sign_query, signature_matches,
    signed_data, url_without_query,
};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Authy-Signature";
/// The nonce header.
pub const NONCE_HEADER: &str = "X-Authy-Signature-Nonce";
/// How old a nonce may be by default (WIRE.md §9.5).
pub const DEFAULT_MAX_NONCE_AGE: Duration = Duration::from_secs(300);

/// Why a callback was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No `X-Authy-Signature` header.
    #[error("the X-Authy-Signature header is missing")]
    MissingSignature,
    /// No `X-Authy-Signature-Nonce` header.
    #[error("the X-Authy-Signature-Nonce header is missing")]
    MissingNonce,
    /// The nonce is not a number of seconds.
    #[error("the X-Authy-Signature-Nonce header is not a Unix time: {0:?}")]
    InvalidNonce(String),
    /// The nonce is further from the local clock than allowed (a replay, or a wrong clock).
    #[error(
        "the nonce is {age_seconds} s away from this machine's clock; at most {max_seconds} s is allowed"
    )]
    StaleNonce {
        /// Distance between the nonce and the local clock.
        age_seconds: u64,
        /// The limit.
        max_seconds: u64,
    },
    /// A POST body that is not a JSON object, or a query that is not UTF-8.
    #[error("the callback parameters cannot be read: {0}")]
    UnreadableParameters(String),
    /// The signature does not belong to this method, URL, nonce and parameters under this key.
    #[error(
        "the signature does not match: the API key, method, URL, nonce or parameters differ from what was signed"
    )]
    Mismatch,
}

/// A callback as received.
#[derive(Clone, Copy, Debug)]
pub struct CallbackRequest<'a> {
    /// `POST` or `GET`.
    pub method: &'a str,
    /// The callback URL exactly as configured in Authy (scheme, host and port
    /// included). For GET callbacks include the query string: it carries the
    /// parameters. Behind a proxy, use the public URL, not the one the proxy forwards to.
    pub url: &'a str,
    /// The `X-Authy-Signature` header.
    pub signature: Option<&'a str>,
    /// The `X-Authy-Signature-Nonce` header.
    pub nonce: Option<&'a str>,
    /// The raw body (empty for GET).
    pub body: &'a [u8],
}

impl<'a> CallbackRequest<'a> {
    /// Reads the two headers from an `http::HeaderMap` (axum, actix-web 4, hyper, reqwest).
    pub fn from_headers(
        method: &'a str,
        url: &'a str,
        headers: &'a HeaderMap,
        body: &'a [u8],
    ) -> Self {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        CallbackRequest {
            method,
            url,
            signature: header(SIGNATURE_HEADER),
            nonce: header(NONCE_HEADER),
            body,
        }
    }

    /// The signed string D (`nonce|METHOD|url|params`), for diagnosis.
    pub fn signed_data(&self) -> Result<String, SignatureError> {
        let nonce = self.nonce.ok_or(SignatureError::MissingNonce)?.trim();
        let method = self.method.to_ascii_uppercase();
        let params = if method == "GET" {
            let query = self.url.split_once('?').map_or("", |(_, q)| q);
            let query = query.split('#').next().unwrap_or_default();
            canonical_query(query)
                .map_err(|e| SignatureError::UnreadableParameters(e.to_string()))?
        } else if self.body.iter().all(u8::is_ascii_whitespace) {
            String::new()
        } else {
            match serde_json::from_slice::<Value>(self.body) {
                Ok(body @ Value::Object(_)) => canonical_params(&body),
                Ok(_) => {
                    return Err(SignatureError::UnreadableParameters(
                        "the body is not a JSON object".into(),
                    ));
                }
                Err(e) => return Err(SignatureError::UnreadableParameters(e.to_string())),
            }
        };
        Ok(signed_data(
            nonce,
            &method,
            url_without_query(self.url),
            &params,
        ))
    }
}

/// Checks callback signatures for one API key.
#[derive(Clone)]
pub struct CallbackVerifier {
    api_key: SecretString,
    max_nonce_age: Option<Duration>,
}

impl fmt::Debug for CallbackVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackVerifier")
            .field("api_key", &"*****")
            .field("max_nonce_age", &self.max_nonce_age)
            .finish()
    }
}

impl CallbackVerifier {
    /// A verifier for the application with this API key; nonces may be at most
    /// five minutes from the local clock.
    pub fn new(api_key: impl Into<String>) -> Self {
        CallbackVerifier {
            api_key: SecretString::from(api_key.into()),
            max_nonce_age: Some(DEFAULT_MAX_NONCE_AGE),
        }
    }

    /// How far the nonce may be from the local clock, either way.
    #[must_use]
    pub fn max_nonce_age(mut self, age: Duration) -> Self {
        self.max_nonce_age = Some(age);
        self
    }

    /// Accepts nonces of any age (replayed callbacks too): for tests with recorded callbacks only.
    #[must_use]
    pub fn without_nonce_age_check(mut self) -> Self {
        self.max_nonce_age = None;
        self
    }

    /// Checks a callback against the local clock.
    pub fn verify(&self, request: &CallbackRequest<'_>) -> Result<(), SignatureError> {
        self.verify_at(request, SystemTime::now())
    }

    /// Checks a callback as if the local clock read `now`.
    pub fn verify_at(
        &self,
        request: &CallbackRequest<'_>,
        now: SystemTime,
    ) -> Result<(), SignatureError> {
        let signature = request.signature.ok_or(SignatureError::MissingSignature)?;
        let nonce = request.nonce.ok_or(SignatureError::MissingNonce)?.trim();
        if let Some(max) = self.max_nonce_age {
            let sent_at: f64 = nonce
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| SignatureError::InvalidNonce(nonce.to_owned()))?;
            let now = now
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64();
            let age = (now - sent_at).abs();
            if age > max.as_secs_f64() {
                return Err(SignatureError::StaleNonce {
                    age_seconds: age as u64,
                    max_seconds: max.as_secs(),
                });
            }
        }
        let data = request.signed_data()?;
        if signature_matches(self.api_key.expose_secret(), &data, signature) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}
