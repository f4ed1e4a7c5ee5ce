//! OneTouch callback signatures: `X-Authy-Signature` and `X-Authy-Signature-Nonce`
//! (WIRE.md §9.3, §9.4).
//!
//! The server signs callbacks with [`sign_json`] or [`sign_query`]; receivers
//! check them with [`signature_matches`] (or the client's `CallbackVerifier`,
//! which adds header parsing and a nonce-age limit). Both sides share
//! [`canonical_params`], so there is one canonicalisation.
//!
//! ```
//! use authy_types::signature::{sign_json, signature_matches, signed_data, canonical_params};
//! let body = serde_json::json!({"foo":{"bar":{"biz":"foo"}},"qux":"net"});
//! let signature = sign_json("foo", "1455825429", "POST", "https://foo.bar/", &body);
//! assert_eq!(signature, "uq/wB8AR1Acvn0wFcjm7mmBJyR11nuuMhMy6semsAO8=");
//! let data = signed_data("1455825429", "POST", "https://foo.bar/", &canonical_params(&body));
//! assert!(signature_matches("foo", &data, &signature));
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::params::{InvalidUtf8, Nesting, decode_pairs, nest};

type HmacSha256 = Hmac<Sha256>;

/// Appends E(s) (§9.4 step 3): unreserved bytes as they are, space as `+`,
/// every other byte as `%XX` with upper-case hex.
pub fn encode_into(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xF)] as char);
            }
        }
    }
}

/// The canonical parameter string P of a parameter tree (§9.4 steps 2–5):
/// flattened Rails-style, encoded, members sorted, arrays kept in order, empty
/// objects and arrays dropped, `null` as an empty value.
///
/// ```
/// use authy_types::signature::canonical_params;
/// let p = canonical_params(&serde_json::json!({"b":"val|ue&2","a":"value1","e":{},"n":null}));
/// assert_eq!(p, "a=value1&b=val%7Cue%262&n=");
/// ```
pub fn canonical_params(params: &Value) -> String {
    fragment(params, "")
}

fn fragment(node: &Value, key: &str) -> String {
    match node {
        Value::Object(members) => {
            let mut parts: Vec<String> = members
                .iter()
                .map(|(name, value)| {
                    if key.is_empty() {
                        fragment(value, name)
                    } else {
                        fragment(value, &format!("{key}[{name}]"))
                    }
                })
                .filter(|part| !part.is_empty())
                .collect();
            parts.sort_unstable();
            parts.join("&")
        }
        Value::Array(items) => {
            let item_key = format!("{key}[]");
            items
                .iter()
                .map(|item| fragment(item, &item_key))
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join("&")
        }
        leaf => {
            let mut out = String::new();
            encode_into(key, &mut out);
            out.push('=');
            match leaf {
                Value::String(s) => encode_into(s, &mut out),
                Value::Null => {}
                other => encode_into(&other.to_string(), &mut out),
            }
            out
        }
    }
}

/// P for a GET callback: the query string decoded and rebuilt (§9.4 step 1,
/// numeric keys kept as object members), then canonicalised.
pub fn canonical_query(raw_query: &str) -> Result<String, InvalidUtf8> {
    let pairs = decode_pairs(raw_query.trim_start_matches('?').as_bytes())?;
    Ok(canonical_params(&nest(pairs, Nesting::Plain)))
}

/// D = `nonce|METHOD|url|P` (§9.4 step 6). `url` must already be without its
/// query string and fragment (see [`url_without_query`]).
pub fn signed_data(nonce: &str, method: &str, url: &str, canonical: &str) -> String {
    format!("{nonce}|{method}|{url}|{canonical}")
}

/// The callback URL as signed: scheme, host, port and path, without `?query`
/// or `#fragment` (§9.3).
pub fn url_without_query(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

fn mac(api_key: &str, data: &str) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(api_key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(data.as_bytes());
    mac
}

/// Base64 of HMAC-SHA256(api_key, data): the `X-Authy-Signature` value (§9.4 step 7).
pub fn sign_data(api_key: &str, data: &str) -> String {
    BASE64.encode(mac(api_key, data).finalize().into_bytes())
}

/// Signs a POST callback whose JSON body is `body`.
pub fn sign_json(api_key: &str, nonce: &str, method: &str, url: &str, body: &Value) -> String {
    let data = signed_data(
        nonce,
        method,
        url_without_query(url),
        &canonical_params(body),
    );
    sign_data(api_key, &data)
}

/// Signs a GET callback whose query string is `raw_query`.
pub fn sign_query(
    api_key: &str,
    nonce: &str,
    method: &str,
    url: &str,
    raw_query: &str,
) -> Result<String, InvalidUtf8> {
    let data = signed_data(
        nonce,
        method,
        url_without_query(url),
        &canonical_query(raw_query)?,
    );
    Ok(sign_data(api_key, &data))
}

/// Whether `signature` (base64) is the signature of `data` under `api_key`.
/// The comparison is in constant time; malformed base64 never matches.
pub fn signature_matches(api_key: &str, data: &str, signature: &str) -> bool {
    match BASE64.decode(signature.trim()) {
        Ok(bytes) => mac(api_key, data).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encodes_reserved_bytes_in_upper_case_hex() {
        let mut out = String::new();
        encode_into("a b[]/+=|&,:@*~-._é", &mut out);
        assert_eq!(out, "a+b%5B%5D%2F%2B%3D%7C%26%2C%3A%40%2A~-._%C3%A9");
    }

    #[test]
    fn arrays_keep_order_and_objects_inside_sort_their_members() {
        let p = canonical_params(
            &json!({"logos":[{"url":"u2","res":"high"},{"res":"low","url":"u1"}],"device_uuid":"1","device":{"os":"ios"}}),
        );
        assert_eq!(
            p,
            "device%5Bos%5D=ios&device_uuid=1&logos%5B%5D%5Bres%5D=high&logos%5B%5D%5Burl%5D=u2&logos%5B%5D%5Bres%5D=low&logos%5B%5D%5Burl%5D=u1"
        );
    }

    #[test]
    fn urls_lose_query_and_fragment() {
        assert_eq!(
            url_without_query("https://h:8443/cb?x=1#f"),
            "https://h:8443/cb"
        );
        assert_eq!(url_without_query("https://h/cb#f?x"), "https://h/cb");
    }

    #[test]
    fn malformed_signatures_never_match() {
        assert!(!signature_matches("k", "d", "not base64!"));
        assert!(!signature_matches("k", "d", ""));
        let good = sign_data("k", "d");
        assert!(signature_matches("k", "d", &good));
        assert!(!signature_matches("k", "d", &good[..good.len() - 4]));
    }
}
