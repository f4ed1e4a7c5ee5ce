//! Phone numbers: as users/new stores them, as answers and messages show them,
//! and what kind of line they are (libphonenumber's metadata via the
//! `phonenumber` crate, and its prefix-to-carrier tables in `data/carrier/`).

use std::collections::HashMap;
use std::sync::OnceLock;

/// The digits of a cellphone as typed, if it is one: digits with the separators
/// `-`, `.`, space, `(` and `)`; 6 to 14 digits; country code and number at most
/// 15 digits together (E.164; WIRE.md §3.1).
pub fn normalise(country_code: u16, typed: &str) -> Option<String> {
    let allowed = typed
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'.' | b' ' | b'(' | b')'));
    let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
    let cc_digits = country_code.to_string().len();
    (allowed && (6..=14).contains(&digits.len()) && cc_digits + digits.len() <= 15)
        .then_some(digits)
}

/// `XXX-XXX-1118`: how users/status shows a phone (WIRE.md §3.2).
pub fn mask_for_status(digits: &str) -> String {
    format!("XXX-XXX-{}", last(digits, 4))
}

/// `+57-XXX-XXX-XX12`: how sms/call answers show a phone (WIRE.md §3.7).
pub fn mask_for_token(country_code: u16, digits: &str) -> String {
    format!("+{country_code}-XXX-XXX-XX{}", last(digits, 2))
}

/// `+1 201-555-0123` for NANP numbers, `+44 7700900123` elsewhere (WIRE.md §3.14).
pub fn display(country_code: u16, digits: &str) -> String {
    if country_code == 1 && digits.len() == 10 {
        format!("+1 {}-{}-{}", &digits[..3], &digits[3..6], &digits[6..])
    } else {
        format!("+{country_code} {digits}")
    }
}

/// What kind of line a number is, in WIRE.md's words (`type` of phones/info).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineType {
    Cellphone,
    Landline,
    Voip,
    TollFree,
    PremiumRate,
    Unknown,
}

impl LineType {
    /// The `type` value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            LineType::Cellphone => "cellphone",
            LineType::Landline => "landline",
            LineType::Voip => "voip",
            LineType::TollFree => "toll_free",
            LineType::PremiumRate => "premium_rate",
            LineType::Unknown => "unknown",
        }
    }

    /// libphonenumber's type, mapped. In the USA and Canada the number alone
    /// cannot tell a mobile from a fixed line (`FixedLineOrMobile`): the sandbox
    /// counts those as cellphones, so US test numbers can receive SMS.
    fn from_libphonenumber(t: phonenumber::Type) -> Self {
        use phonenumber::Type;
        match t {
            Type::Mobile | Type::FixedLineOrMobile | Type::Pager => LineType::Cellphone,
            Type::FixedLine => LineType::Landline,
            Type::Voip => LineType::Voip,
            Type::TollFree => LineType::TollFree,
            Type::PremiumRate => LineType::PremiumRate,
            _ => LineType::Unknown,
        }
    }
}

/// A valid number and what is known about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// National significant number, digits only.
    pub digits: String,
    pub line_type: LineType,
    /// The carrier of the longest matching prefix, where the tables cover the country.
    pub carrier: Option<&'static str>,
}

/// Validates `typed` (digits with separators) in `country_code` with
/// libphonenumber's metadata. `None` for anything that is not a valid number.
pub fn lookup(country_code: u16, typed: &str) -> Option<Lookup> {
    let allowed = typed
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'.' | b' ' | b'(' | b')'));
    let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
    if !allowed || digits.is_empty() || digits.len() > 17 || !(1..=999).contains(&country_code) {
        return None;
    }
    let number = phonenumber::parse(None, format!("+{country_code}{digits}")).ok()?;
    if !number.is_valid() {
        return None;
    }
    let national = number.national().value().to_string();
    let line_type =
        LineType::from_libphonenumber(number.number_type(&phonenumber::metadata::DATABASE));
    let carrier = carrier(country_code, &national);
    Some(Lookup {
        digits: national,
        line_type,
        carrier,
    })
}

macro_rules! carrier_tables {
    ($($cc:literal),*) => {
        &[$(($cc, include_str!(concat!("../data/carrier/", $cc, ".txt")))),*]
    };
}

/// The vendored tables, by country code (see `data/carrier/README.md`).
const CARRIER_TABLES: &[(u16, &str)] = carrier_tables!(
    1, 7, 27, 33, 34, 39, 44, 49, 57, 61, 62, 63, 81, 84, 86, 90, 91, 234, 351
);

/// Longest-prefix match of `country code + national number` in the tables.
fn carrier(country_code: u16, national: &str) -> Option<&'static str> {
    static TABLES: OnceLock<HashMap<u16, HashMap<&'static str, &'static str>>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        CARRIER_TABLES
            .iter()
            .map(|(cc, text)| {
                (
                    *cc,
                    text.lines()
                        .filter_map(|line| line.split_once('|'))
                        .collect(),
                )
            })
            .collect()
    });
    let table = tables.get(&country_code)?;
    let full = format!("{country_code}{national}");
    (1..=full.len())
        .rev()
        .find_map(|len| table.get(&full[..len]).copied())
}

fn last(digits: &str, n: usize) -> &str {
    &digits[digits.len().saturating_sub(n)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_masks_like_the_wire() {
        assert_eq!(
            normalise(1, "(405) 342-5699").as_deref(),
            Some("4053425699")
        );
        assert_eq!(normalise(57, "300.300.3333").as_deref(), Some("3003003333"));
        for bad in [
            "12345",
            "123456789012345",
            "405-342-5699x",
            "+14053425699",
            "",
        ] {
            assert_eq!(normalise(1, bad), None, "{bad}");
        }
        assert_eq!(normalise(351, "1234567890123"), None, "3 + 13 > 15 digits");
        assert_eq!(mask_for_status("4053421118"), "XXX-XXX-1118");
        assert_eq!(mask_for_token(57, "3003003312"), "+57-XXX-XXX-XX12");
        assert_eq!(display(1, "2015550123"), "+1 201-555-0123");
        assert_eq!(display(84, "866742932"), "+84 866742932");
    }

    #[test]
    fn looks_up_type_and_carrier() {
        let uk_mobile = lookup(44, "7106 123456").unwrap();
        assert_eq!(
            (uk_mobile.line_type, uk_mobile.carrier),
            (LineType::Cellphone, Some("O2"))
        );
        assert_eq!(uk_mobile.digits, "7106123456");
        let uk_landline = lookup(44, "20 7946 0018").unwrap();
        assert_eq!(uk_landline.line_type, LineType::Landline);
        let us = lookup(1, "201-555-0123").unwrap();
        assert_eq!((us.line_type, us.carrier), (LineType::Cellphone, None));
        assert_eq!(
            lookup(1, "800-555-0123").unwrap().line_type,
            LineType::TollFree
        );
        // libphonenumber's name; the real service said "Viettel Mobile" (its own data).
        assert_eq!(lookup(84, "86-674-2932").unwrap().carrier, Some("Viettel"));
        for (cc, bad) in [
            (1, "123"),
            (1, "555-0123"),
            (44, "0000000000"),
            (1, "201-555-012a"),
            (0, "2015550123"),
            (1, "+12015550123"),
        ] {
            assert_eq!(lookup(cc, bad), None, "{cc} {bad}");
        }
        assert_eq!(
            LineType::from_libphonenumber(phonenumber::Type::Voip).as_str(),
            "voip"
        );
    }
}
