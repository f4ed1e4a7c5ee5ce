//! Phone parsing (libphonenumber metadata, carrier prefixes): any country code
//! and any text give a valid lookup or `None`, never a panic.
#![no_main]

#[path = "../../crates/authy-server/src/phone.rs"]
mod phone;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let country_code = u16::from_be_bytes([data[0], data[1]]) % 1000;
    let Ok(typed) = std::str::from_utf8(&data[2..]) else { return };
    let _ = phone::normalise(country_code, typed);
    if let Some(found) = phone::lookup(country_code, typed) {
        assert!(!found.digits.is_empty() && found.digits.bytes().all(|b| b.is_ascii_digit()));
        let _ = phone::display(country_code, &found.digits);
        let _ = phone::mask_for_status(&found.digits);
        let _ = phone::mask_for_token(country_code, &found.digits);
    }
});
