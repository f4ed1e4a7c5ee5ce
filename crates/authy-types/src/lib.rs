//! Wire types shared by the [`authy`](https://docs.rs/authy) client and the
//! `authy-server`: the one place where both sides agree on the Authy wire format
//! (see `WIRE.md`).
//!
//! - [`ErrorCode`]: every known Authy `error_code` with its HTTP status and message.
//! - [`AuthyId`], [`CountryCode`], [`Token`]: validated values, read leniently.
//! - [`lenient`]: deserialisers for fields that arrive as numbers or strings.
//! - [`params`]: form and query decoding with Rails bracket nesting.
//! - [`signature`]: the OneTouch callback canonicalisation, signing and checking.
//!
//! This crate does no I/O.
#![deny(missing_docs)]

pub mod error_code;
pub mod ids;
pub mod lenient;
pub mod params;
pub mod signature;

pub use error_code::ErrorCode;
pub use ids::{AuthyId, CountryCode, Token, ValidationError};
