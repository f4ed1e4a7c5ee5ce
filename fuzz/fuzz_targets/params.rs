//! The request-parameter decoder (WIRE.md §5.2, §5.3): any bytes as a form or a
//! query string must decode to a tree or a UTF-8 error, never panic, and the
//! indexed-array conversion must keep every value.
#![no_main]

use authy_types::params::{Nesting, decode_pairs, nest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pairs) = decode_pairs(data) {
        let plain = nest(pairs.clone(), Nesting::Plain);
        let indexed = nest(pairs, Nesting::IndexedArrays);
        assert!(plain.is_object() && indexed.is_object());
        assert_eq!(leaves(&plain), leaves(&indexed), "indexing arrays lost or made values");
    }
});

fn leaves(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Object(m) => m.values().map(leaves).sum(),
        serde_json::Value::Array(a) => a.iter().map(leaves).sum(),
        _ => 1,
    }
}
