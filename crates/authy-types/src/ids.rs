//! Validated values that cross the wire: authy ids, country codes, tokens.
//!
//! Each is built only through a checking constructor, so a value of the type is
//! always valid. Reading JSON is lenient (number or string); writing uses the
//! canonical form the server emits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a value was refused: the argument's name and a sentence saying what is wrong.
///
/// ```
/// use authy_types::AuthyId;
/// let err = AuthyId::new(0).unwrap_err();
/// assert_eq!(err.to_string(), "invalid authy_id: must be a positive integer, got 0");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {argument}: {reason}")]
pub struct ValidationError {
    /// The argument or parameter, named as on the wire (`authy_id`, `token`, `via`, ...).
    pub argument: &'static str,
    /// What is wrong with it, for a person to read.
    pub reason: String,
}

impl ValidationError {
    /// A refusal of `argument` for `reason`.
    pub fn new(argument: &'static str, reason: impl Into<String>) -> Self {
        ValidationError {
            argument,
            reason: reason.into(),
        }
    }
}

/// An Authy user id: a positive integer, unique within one application.
///
/// ```
/// use authy_types::AuthyId;
/// assert_eq!("1635".parse::<AuthyId>().unwrap().get(), 1635);
/// assert!("-1".parse::<AuthyId>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuthyId(u64);

impl AuthyId {
    /// Accepts any positive integer.
    pub fn new(id: u64) -> Result<Self, ValidationError> {
        if id == 0 {
            return Err(ValidationError::new(
                "authy_id",
                "must be a positive integer, got 0",
            ));
        }
        Ok(AuthyId(id))
    }

    /// The id as a number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl FromStr for AuthyId {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.trim();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new(
                "authy_id",
                format!("must be a positive integer, got {s:?}"),
            ));
        }
        let id = digits
            .parse::<u64>()
            .map_err(|_| ValidationError::new("authy_id", format!("is too large: {s:?}")))?;
        AuthyId::new(id)
    }
}

impl fmt::Display for AuthyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for AuthyId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for AuthyId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        AuthyId::new(crate::lenient::u64(d)?).map_err(serde::de::Error::custom)
    }
}

/// A country calling code such as 1, 44 or 351 (1 to 999).
///
/// ```
/// use authy_types::CountryCode;
/// assert_eq!("+57".parse::<CountryCode>().unwrap().get(), 57);
/// assert!(CountryCode::new(0).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CountryCode(u16);

impl CountryCode {
    /// Accepts 1 to 999.
    pub fn new(code: u16) -> Result<Self, ValidationError> {
        if !(1..=999).contains(&code) {
            return Err(ValidationError::new(
                "country_code",
                format!("must be a calling code from 1 to 999, got {code}"),
            ));
        }
        Ok(CountryCode(code))
    }

    /// The code as a number.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl FromStr for CountryCode {
    type Err = ValidationError;
    /// Accepts `57` and `+57` (WIRE.md §3.1).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let digits = t.strip_prefix('+').unwrap_or(t);
        match digits.parse::<u16>() {
            Ok(n) if digits.bytes().all(|b| b.is_ascii_digit()) => CountryCode::new(n),
            _ => Err(ValidationError::new(
                "country_code",
                format!("must be a calling code from 1 to 999, got {s:?}"),
            )),
        }
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for CountryCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(self.0)
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::lenient::string(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A one-time code typed by a user: 6 to 12 ASCII digits (WIRE.md §10.8).
///
/// Tokens are strings: leading zeros are significant and kept. `Debug` hides the
/// digits, so a token never reaches a log by accident.
///
/// ```
/// use authy_types::Token;
/// assert_eq!(Token::new("0012345").unwrap().as_str(), "0012345");
/// assert!(Token::new("12345").is_err());
/// assert_eq!(format!("{:?}", Token::new("123456").unwrap()), "Token(******)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Accepts 6 to 12 ASCII digits.
    pub fn new(token: impl Into<String>) -> Result<Self, ValidationError> {
        let token = token.into();
        if !(6..=12).contains(&token.len()) || !token.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new(
                "token",
                format!(
                    "must be 6 to 12 digits, got {} characters",
                    token.chars().count()
                ) + if token.bytes().all(|b| b.is_ascii_digit()) {
                    ""
                } else {
                    " including non-digits"
                },
            ));
        }
        Ok(Token(token))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(******)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authy_ids_are_positive_integers_from_numbers_or_strings() {
        assert_eq!(
            serde_json::from_str::<AuthyId>("\"1635\"").unwrap().get(),
            1635
        );
        assert_eq!(serde_json::from_str::<AuthyId>("1635").unwrap().get(), 1635);
        assert!(serde_json::from_str::<AuthyId>("0").is_err());
        for bad in ["", "abc", "1.5", "-3", "12a", "99999999999999999999999"] {
            assert!(bad.parse::<AuthyId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn country_codes_accept_a_plus_and_stay_in_range() {
        assert_eq!(
            serde_json::from_str::<CountryCode>("\"+1\"").unwrap().get(),
            1
        );
        assert_eq!(
            serde_json::from_str::<CountryCode>("351").unwrap().get(),
            351
        );
        for bad in ["0", "1000", "+", "1a", "-1", ""] {
            assert!(bad.parse::<CountryCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_are_six_to_twelve_digits_and_keep_leading_zeros() {
        for good in ["000000", "0123456", "123456789012"] {
            assert_eq!(Token::new(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "12345",
            "1234567890123",
            "12345a",
            "１２３４５６",
            "123 456",
        ] {
            let err = Token::new(bad).unwrap_err();
            assert_eq!(err.argument, "token", "{bad}");
        }
    }
}
