//! The callback-signature canonicaliser (WIRE.md §9.4): any query string or JSON
//! body canonicalises without panicking, and a signature always verifies
//! against what it signed and never against anything else.
#![no_main]

use authy_types::signature::{canonical_params, canonical_query, sign_data, signature_matches, signed_data};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let params = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(json) => canonical_params(&json),
        Err(_) => match canonical_query(text) {
            Ok(p) => p,
            Err(_) => return,
        },
    };
    let signed = signed_data("1512923419", "POST", "https://example.com/cb", &params);
    let signature = sign_data("key", &signed);
    assert_eq!(signature.len(), 44);
    assert!(signature_matches("key", &signed, &signature));
    assert!(!signature_matches("another key", &signed, &signature));
    assert!(!signature_matches("key", &format!("{signed}x"), &signature));
});
