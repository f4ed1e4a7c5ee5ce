//! One module per Authy resource, named as in the server and the CLI.
//!
//! Each module holds the resource's handle (made by the client), its calls as
//! [`Endpoint`](crate::Endpoint) values, and its typed answers.

pub mod app;
pub mod onetouch;
pub mod phones;
pub mod tokens;
pub mod users;

pub use app::App;
pub use onetouch::OneTouch;
pub use phones::Phones;
pub use tokens::Tokens;
pub use users::Users;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::endpoint::impl_response;
use crate::error::ValidationError;

/// The answer of calls that only confirm: `{"message":"...","success":true}`.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Confirmation {
    /// Authy's message, e.g. `User was added to remove.` or `Verification code is correct.`
    #[serde(default)]
    pub message: String,
    /// Always true in an `Ok` answer.
    #[serde(deserialize_with = "authy_types::lenient::bool")]
    pub success: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

impl_response!(Confirmation);

/// `.user_ip(ip)` for calls that record the IP address of the user's request.
macro_rules! user_ip_setter {
    ($($endpoint:ty),*) => {$(
        impl<C> Prepared<'_, C, $endpoint> {
            /// The IP address of the user's request, recorded by Authy.
            pub fn user_ip(mut self, ip: impl Into<String>) -> Self {
                self.endpoint.user_ip = Some(ip.into());
                self
            }
        }
    )*};
}
pub(crate) use user_ip_setter;

/// A path segment, percent-encoded.
pub(crate) use authy_types::params::percent_encode as path_segment;

pub(crate) fn check_authy_id(id: u64) -> Result<(), ValidationError> {
    authy_types::AuthyId::new(id).map(|_| ())
}

pub(crate) fn check_country_code(code: u16) -> Result<(), ValidationError> {
    authy_types::CountryCode::new(code).map(|_| ())
}

/// A phone number as typed: digits with optional separators (`-`, `.`, space, parentheses).
pub(crate) fn check_phone(argument: &'static str, phone: &str) -> Result<(), ValidationError> {
    let digits = phone.bytes().filter(u8::is_ascii_digit).count();
    let only_allowed = phone
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'.' | b' ' | b'(' | b')'));
    if digits == 0 || !only_allowed {
        return Err(ValidationError::new(
            argument,
            format!(
                "must be digits with optional separators (- . space parentheses), got {phone:?}"
            ),
        ));
    }
    if digits > 15 {
        return Err(ValidationError::new(
            argument,
            format!("has {digits} digits; a phone number has at most 15"),
        ));
    }
    Ok(())
}

/// A free-text argument that must not be empty and has a length limit in characters.
pub(crate) fn check_text(
    argument: &'static str,
    text: &str,
    max_chars: usize,
) -> Result<(), ValidationError> {
    let chars = text.chars().count();
    if text.trim().is_empty() {
        return Err(ValidationError::new(argument, "must not be empty"));
    }
    if chars > max_chars {
        return Err(ValidationError::new(
            argument,
            format!("is {chars} characters long; the limit is {max_chars}"),
        ));
    }
    Ok(())
}

/// Digits only, with a length range (verification codes).
pub(crate) fn check_digits(
    argument: &'static str,
    code: &str,
    lengths: std::ops::RangeInclusive<usize>,
) -> Result<(), ValidationError> {
    if !lengths.contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(
            argument,
            format!("must be {} to {} digits", lengths.start(), lengths.end()),
        ));
    }
    Ok(())
}

/// Runs checks in order and returns the first refusal.
pub(crate) fn first_error(
    checks: impl IntoIterator<Item = Result<(), ValidationError>>,
) -> Result<(), ValidationError> {
    checks.into_iter().collect()
}

/// Adds `key=value` to a query when the value is set.
pub(crate) fn push_opt(
    query: &mut Vec<(&'static str, String)>,
    key: &'static str,
    value: &Option<String>,
) {
    if let Some(value) = value {
        query.push((key, value.clone()));
    }
}

/// Adds `"key": value` to a JSON object when the value is set.
pub(crate) fn insert_opt<T: Into<Value> + Clone>(
    body: &mut Map<String, Value>,
    key: &str,
    value: &Option<T>,
) {
    if let Some(value) = value {
        body.insert(key.to_owned(), value.clone().into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_digits_with_separators() {
        for good in ["2015550123", "(201) 555-0123", "201.555.0123"] {
            assert!(check_phone("phone_number", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "abc",
            "201-555-0123x",
            "+1 201 555 0123",
            "1234567890123456",
        ] {
            assert_eq!(
                check_phone("phone_number", bad).unwrap_err().argument,
                "phone_number",
                "{bad}"
            );
        }
    }
}
