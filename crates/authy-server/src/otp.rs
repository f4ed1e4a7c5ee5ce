//! HOTP (RFC 4226) and TOTP (RFC 6238) over HMAC-SHA1, with a step window and
//! replay tracking (WIRE.md §8). About forty lines of our own: Authy-app codes
//! are 7 digits on 10-second steps, which common TOTP crates do not cover.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// A TOTP flavour: digits, step length and how many steps either side are accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TotpParams {
    /// Code length.
    pub digits: u32,
    /// Step length in seconds.
    pub period: i64,
    /// Steps accepted before and after the current one.
    pub window: i64,
}

/// Generic authenticator apps (WIRE.md §8.2): 6 digits, 30 s, ±1 step.
pub const GENERIC: TotpParams = TotpParams {
    digits: 6,
    period: 30,
    window: 1,
};

/// The Authy app (WIRE.md §8.1) with the application's token length: 10 s, ±3 steps.
pub fn authy_app(digits: u32) -> TotpParams {
    TotpParams {
        digits,
        period: 10,
        window: 3,
    }
}

/// HOTP value of `counter`, as a number below 10^digits.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    hotp_keyed(&keyed(key), counter, digits)
}

/// HMAC-SHA1 with `key` already absorbed: a clone of it computes one code
/// with half the hashing of starting from the key.
fn keyed(key: &[u8]) -> Hmac<Sha1> {
    Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes keys of any length")
}

fn hotp_keyed(mac: &Hmac<Sha1>, counter: u64, digits: u32) -> u32 {
    let mut mac = mac.clone();
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    binary % 10u32.pow(digits)
}

/// The code for time step `step`, zero-padded.
pub fn code_at_step(key: &[u8], step: i64, p: TotpParams) -> String {
    format!(
        "{:0width$}",
        hotp(key, step.max(0) as u64, p.digits),
        width = p.digits as usize
    )
}

/// The time step of `now`.
pub fn step_of(now: i64, p: TotpParams) -> i64 {
    now.div_euclid(p.period)
}

/// The step within the window whose code equals `token`, compared in constant
/// time (every step of the window is computed, whatever matches). Codes are
/// compared as numbers: both have exactly `digits` digits, so that is the
/// same as comparing the zero-padded strings.
pub fn matching_step(key: &[u8], token: &str, now: i64, p: TotpParams) -> Option<i64> {
    if token.len() != p.digits as usize || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = token.parse().ok()?;
    let mac = keyed(key);
    let current = step_of(now, p);
    let mut found = None;
    for step in current - p.window..=current + p.window {
        let code = hotp_keyed(&mac, step.max(0) as u64, p.digits);
        let equal: bool = code.ct_eq(&wanted).into();
        if equal && found.is_none() {
            found = Some(step);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_KEY: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc4226_appendix_d() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, value) in expected.into_iter().enumerate() {
            assert_eq!(hotp(RFC_KEY, counter as u64, 6), value);
        }
    }

    #[test]
    fn rfc6238_appendix_b_sha1() {
        let p8 = TotpParams {
            digits: 8,
            period: 30,
            window: 0,
        };
        for (t, code) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
        ] {
            assert_eq!(code_at_step(RFC_KEY, step_of(t, p8), p8), code);
            // The generic 6-digit code is the last six digits.
            assert_eq!(
                code_at_step(RFC_KEY, step_of(t, GENERIC), GENERIC),
                code[2..]
            );
        }
    }

    #[test]
    fn codes_with_leading_zeros_match_and_signs_do_not() {
        let p = GENERIC;
        let step = (0..1_000)
            .find(|s| code_at_step(RFC_KEY, *s, p).starts_with('0'))
            .expect("a tenth of codes start with 0");
        let now = step * p.period;
        let code = code_at_step(RFC_KEY, step, p);
        assert_eq!(matching_step(RFC_KEY, &code, now, p), Some(step));
        // Same length and, as a number, the same value: still not the code.
        let signed = format!("+{}", &code[1..]);
        assert_eq!(matching_step(RFC_KEY, &signed, now, p), None);
    }

    #[test]
    fn the_window_accepts_neighbouring_steps_only() {
        let p = authy_app(7);
        let now = 1_700_000_000;
        let code_now = code_at_step(RFC_KEY, step_of(now, p), p);
        assert_eq!(code_now.len(), 7);
        assert_eq!(
            matching_step(RFC_KEY, &code_now, now, p),
            Some(step_of(now, p))
        );
        assert_eq!(
            matching_step(RFC_KEY, &code_now, now + 30, p),
            Some(step_of(now, p))
        );
        assert_eq!(matching_step(RFC_KEY, &code_now, now + 40, p), None);
        assert_eq!(matching_step(RFC_KEY, &code_now[1..], now, p), None);
    }

    proptest::proptest! {
        /// Our codes equal totp-rs's for 6 to 8 digits, 10 s and 30 s steps,
        /// any secret length it accepts and any time.
        #[test]
        fn codes_match_totp_rs(secret in proptest::collection::vec(proptest::prelude::any::<u8>(), 16..64), digits in 6u32..=8, period in proptest::sample::select(vec![10i64, 30]), time in 0i64..4_000_000_000) {
            let ours = code_at_step(&secret, step_of(time, TotpParams { digits, period, window: 0 }), TotpParams { digits, period, window: 0 });
            let oracle = totp_rs::Builder::new()
                .with_digits(digits as u8)
                .with_step_duration(period as u64)
                .with_skew(0)
                .with_secret(secret.clone())
                .build()
                .unwrap()
                .generate(time as u64)
                .to_string();
            proptest::prop_assert_eq!(ours, oracle);
        }

        /// A code is accepted exactly within its window, at the step it was made for.
        #[test]
        fn the_window_is_exactly_plus_minus_window_steps(secret in proptest::collection::vec(proptest::prelude::any::<u8>(), 20), time in 1_000_000i64..2_000_000_000, offset in -6i64..=6) {
            let p = authy_app(7);
            let step = step_of(time, p);
            let code = code_at_step(&secret, step, p);
            let at = time + offset * p.period;
            let found = matching_step(&secret, &code, at, p);
            if offset.abs() <= p.window {
                proptest::prop_assert_eq!(found, Some(step));
            } else {
                // Another step of the window could collide by chance (1 in 10^7 per step).
                proptest::prop_assert!(found.is_none() || found != Some(step));
            }
        }
    }
}
