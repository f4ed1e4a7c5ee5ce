//! Lenient deserialisers for Authy's loosely typed JSON (WIRE.md §6, §10.13).
//!
//! The real service, and the SDK fixtures copied from it, send the same field
//! as a number in one response and a string in another (`_authy_id`,
//! `country_code`, `device_uuid`), and `success` as `true` or `"true"`. Use these
//! with `#[serde(deserialize_with = "...")]`; the `opt_*` variants also map
//! `null` (and a missing field, with `#[serde(default)]`) to `None`.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Visitor};

/// One scalar read leniently: everything a field might hold.
enum Scalar {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
    d.deserialize_any(ScalarVisitor)
}

fn to_bool<E: de::Error>(s: Scalar) -> Result<Option<bool>, E> {
    match s {
        Scalar::Null => Ok(None),
        Scalar::Bool(b) => Ok(Some(b)),
        Scalar::Int(0) => Ok(Some(false)),
        Scalar::Int(1) => Ok(Some(true)),
        Scalar::Str(s) => match s.trim() {
            t if t.eq_ignore_ascii_case("true") || t == "1" => Ok(Some(true)),
            t if t.eq_ignore_ascii_case("false") || t == "0" => Ok(Some(false)),
            _ => Err(E::custom(format!("expected a boolean, got {s:?}"))),
        },
        _ => Err(E::custom("expected a boolean")),
    }
}

fn to_int<T: TryFrom<i128>, E: de::Error>(s: Scalar) -> Result<Option<T>, E> {
    let n = match s {
        Scalar::Null => return Ok(None),
        Scalar::Int(n) => n,
        Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 1e18 => f as i128,
        Scalar::Str(s) => s
            .trim()
            .parse::<i128>()
            .map_err(|_| E::custom(format!("expected an integer, got {s:?}")))?,
        _ => return Err(E::custom("expected an integer")),
    };
    T::try_from(n)
        .map(Some)
        .map_err(|_| E::custom(format!("integer {n} out of range")))
}

fn to_string<E: de::Error>(s: Scalar) -> Result<Option<String>, E> {
    match s {
        Scalar::Null => Ok(None),
        Scalar::Str(s) => Ok(Some(s)),
        Scalar::Int(n) => Ok(Some(n.to_string())),
        Scalar::Float(f) => Ok(Some(f.to_string())),
        Scalar::Bool(b) => Ok(Some(b.to_string())),
    }
}

fn required<T, E: de::Error>(v: Option<T>) -> Result<T, E> {
    v.ok_or_else(|| E::custom("unexpected null"))
}

/// `true`, `false`, `"true"`, `"false"` (any case), `1`, `0`, `"1"`, `"0"`.
pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    required(to_bool(scalar(d)?)?)
}

/// As [`bool()`], with `null` as `None`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    to_bool(scalar(d)?)
}

/// An unsigned integer from a JSON number or a decimal string.
pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    required(to_int(scalar(d)?)?)
}

/// As [`u64()`], with `null` as `None`.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    to_int(scalar(d)?)
}

/// A signed integer from a JSON number or a decimal string.
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    required(to_int(scalar(d)?)?)
}

/// As [`i64()`], with `null` as `None`.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    to_int(scalar(d)?)
}

/// A string; a number or boolean becomes its text (`1635` → `"1635"`).
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    required(to_string(scalar(d)?)?)
}

/// As [`string()`], with `null` as `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    to_string(scalar(d)?)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::bool")]
        b: bool,
        #[serde(deserialize_with = "super::u64")]
        n: u64,
        #[serde(default, deserialize_with = "super::opt_i64")]
        o: Option<i64>,
        #[serde(deserialize_with = "super::string")]
        s: String,
    }

    fn t(json: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn accepts_numbers_strings_and_booleans_in_every_form() {
        let v = t(r#"{"b":"true","n":"1635","o":null,"s":1635}"#).unwrap();
        assert!(v.b);
        assert_eq!(v.n, 1635);
        assert_eq!(v.o, None);
        assert_eq!(v.s, "1635");
        let v = t(r#"{"b":false,"n":7,"o":"-3","s":"x"}"#).unwrap();
        assert!(!v.b);
        assert_eq!(v.o, Some(-3));
        let v = t(r#"{"b":"False","n":" 7 ","s":"x"}"#).unwrap();
        assert!(!v.b);
        assert_eq!(v.n, 7);
        assert!(t(r#"{"b":1,"n":7,"s":"x"}"#).unwrap().b);
    }

    #[test]
    fn rejects_what_is_not_a_value_of_the_type() {
        assert!(t(r#"{"b":"yes","n":7,"s":"x"}"#).is_err());
        assert!(t(r#"{"b":true,"n":"seven","s":"x"}"#).is_err());
        assert!(t(r#"{"b":true,"n":-1,"s":"x"}"#).is_err());
        assert!(t(r#"{"b":true,"n":null,"s":"x"}"#).is_err());
        assert!(t(r#"{"b":true,"n":1.5,"s":"x"}"#).is_err());
    }
}
