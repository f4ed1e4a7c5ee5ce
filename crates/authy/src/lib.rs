//! A complete, typed client for the [Authy](https://www.twilio.com/docs/authy/api)
//! two-factor authentication API: users, SMS and voice tokens, verification,
//! OneTouch push approvals and their signed callbacks, phone verification, phone
//! information, and application details.
//!
//! It speaks to `https://api.authy.com` or to any Authy-compatible server, such
//! as this project's `authy serve`.
//!
//! ```no_run
//! # async fn run() -> Result<(), authy::Error> {
//! let client = authy::Client::new(std::env::var("AUTHY_API_KEY").unwrap())?;
//!
//! // Register the user once and keep the authy id with your user record.
//! let user = client.users().create("ada@example.com", "405-342-5699").country_code(1).send().await?;
//!
//! // At login: send a code, then check what the user typed.
//! client.tokens().sms(user.id()).send().await?;
//! # let typed = String::new();
//! match client.tokens().verify(user.id(), typed).send().await {
//!     Ok(_) => println!("welcome"),
//!     Err(e) if e.is_invalid_token() => println!("wrong code"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! # Modules
//!
//! - [`api`]: one module per resource ([`api::users`], [`api::tokens`],
//!   [`api::onetouch`], [`api::phones`], [`api::app`]) with its calls and answers.
//! - [`callback`]: checking the signature of OneTouch callbacks (and making one).
//! - [`blocking`]: the same client without async (feature `blocking`).
//!
//! # How calls work
//!
//! A resource handle (`client.users()`) makes a [`Prepared`] call; set its
//! options, then `send()` it. Arguments are checked before anything is sent,
//! and a refusal is [`Error::InvalidInput`] naming the argument. Answers are
//! typed, lenient about numbers sent as strings, keep unknown fields in
//! `extra`, and keep the whole body (`raw()`). Every failure is one [`Error`]
//! whose predicates (`is_invalid_token()`, `is_not_found()`, ...) read Authy's
//! `error_code`.
//!
//! Calls that only read are retried after connection errors, timeouts, 429 and
//! 502–504 (see [`RetryPolicy`]); calls that send a message, push or code, or
//! consume one, never are. Each try has a timeout (10 s by default). Each call
//! runs in a `tracing` span `authy.request` with the call, method, path, status,
//! latency and attempts; the API key and tokens never appear in spans, errors or
//! `Debug` output.
//!
//! # Optional features
//!
//! - `blocking`: [`blocking::Client`], a synchronous client wrapping the async one.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod api;
#[cfg(feature = "blocking")]
pub mod blocking;
pub mod callback;
mod client;
mod endpoint;
mod error;
mod retry;

pub use authy_types::{ErrorCode, ValidationError};
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_TIMEOUT, Prepared};
pub use endpoint::{Endpoint, Response, parse};
pub use error::{ApiError, Error};
/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// Re-exported so callers can build [`ClientBuilder::proxy`] and
/// [`ClientBuilder::http_client`] values with the same version.
pub use reqwest;
pub use retry::{Retry, RetryPolicy};
