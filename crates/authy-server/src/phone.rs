//! Phone numbers as users/new, the token endpoints and the sandbox show them.

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
}
