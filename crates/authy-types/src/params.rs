//! Form and query-string decoding with Rails/Rack bracket nesting (WIRE.md §5.2, §5.3).
//!
//! `user[email]=a&logos[][res]=low&logos[][url]=u` becomes
//! `{"user":{"email":"a"},"logos":[{"res":"low","url":"u"}]}`. Every leaf is a
//! string; typing is the reader's business. The server decodes request
//! parameters with [`Nesting::IndexedArrays`]; callback signatures rebuild a GET
//! query with [`Nesting::Plain`] (§9.4 step 1).

use serde_json::{Map, Value};

/// The input was not UTF-8 once percent-decoded (WIRE.md §5.2: answer 60005).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("UTF-8 invalid")]
pub struct InvalidUtf8;

/// Whether objects whose keys are all array indices become arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// `a[0][b]=x&a[1][b]=y` → `{"a":[{"b":"x"},{"b":"y"}]}` (authy-php, node-authy).
    IndexedArrays,
    /// Numeric keys stay object members, as the signature algorithm requires.
    Plain,
}

/// Splits `a=1&b=2` into decoded pairs: `+` is a space, `%XX` a byte, and a
/// piece without `=` has an empty value. Empty pieces are skipped.
///
/// ```
/// use authy_types::params::decode_pairs;
/// let pairs = decode_pairs(b"user%5Bemail%5D=a%40b.co&note=hi+there&flag").unwrap();
/// assert_eq!(pairs, [
///     ("user[email]".to_string(), "a@b.co".to_string()),
///     ("note".to_string(), "hi there".to_string()),
///     ("flag".to_string(), String::new()),
/// ]);
/// ```
pub fn decode_pairs(input: &[u8]) -> Result<Vec<(String, String)>, InvalidUtf8> {
    input
        .split(|&b| b == b'&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (key, value) = match piece.iter().position(|&b| b == b'=') {
                Some(i) => (&piece[..i], &piece[i + 1..]),
                None => (piece, &[][..]),
            };
            Ok((percent_decode(key)?, percent_decode(value)?))
        })
        .collect()
}

/// Decodes one form component: `+` → space, `%XX` → byte, then UTF-8.
/// A `%` not followed by two hex digits is kept literally.
pub fn percent_decode(input: &[u8]) -> Result<String, InvalidUtf8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let digit = |at: usize| input.get(at).copied().and_then(hex);
                match (digit(i + 1), digit(i + 2)) {
                    (Some(high), Some(low)) => {
                        out.push(high << 4 | low);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| InvalidUtf8)
}

/// Percent-encodes a URI component (a path segment, an `otpauth://` label):
/// RFC 3986 unreserved characters stay, every other byte becomes `%XX`, a
/// space included (unlike the form encoding of the signature, where it is `+`).
///
/// ```
/// assert_eq!(authy_types::params::percent_encode("a b/../c?d"), "a%20b%2F..%2Fc%3Fd");
/// ```
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits `a[b][]` into `("a", ["b", ""])`. A malformed key (`a]b`, an unclosed
/// `[`, text after a `]`) is one literal name with no segments (§5.3).
pub fn split_key(key: &str) -> (&str, Vec<&str>) {
    let Some(open) = key.find('[') else {
        return (key, Vec::new());
    };
    let name = &key[..open];
    if name.is_empty() || name.contains(']') {
        return (key, Vec::new());
    }
    let mut segments = Vec::new();
    let mut rest = &key[open..];
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('[') else {
            return (key, Vec::new());
        };
        let Some(close) = inner.find(']') else {
            return (key, Vec::new());
        };
        let segment = &inner[..close];
        if segment.contains('[') {
            return (key, Vec::new());
        }
        segments.push(segment);
        rest = &inner[close + 1..];
    }
    (name, segments)
}

/// Builds the nested parameter tree from decoded pairs (WIRE.md §5.3).
///
/// ```
/// use authy_types::params::{decode_pairs, nest, Nesting};
/// let pairs = decode_pairs(b"logos[][res]=low&logos[][url]=u1&logos[][res]=high&logos[][url]=u2").unwrap();
/// let tree = nest(pairs, Nesting::IndexedArrays);
/// assert_eq!(tree.to_string(), r#"{"logos":[{"res":"low","url":"u1"},{"res":"high","url":"u2"}]}"#);
/// ```
pub fn nest(pairs: impl IntoIterator<Item = (String, String)>, nesting: Nesting) -> Value {
    let mut root = Map::new();
    for (key, value) in pairs {
        let (name, segments) = split_key(&key);
        insert(&mut root, name, &segments, value);
    }
    // Below the root only: the root stays an object even when every top-level
    // key is a number (`?0=x`), found by the `params` fuzz target.
    if nesting == Nesting::IndexedArrays {
        root.values_mut().for_each(index_arrays);
    }
    Value::Object(root)
}

fn insert(object: &mut Map<String, Value>, name: &str, rest: &[&str], value: String) {
    match rest.split_first() {
        // `name=value`: a repeated plain key keeps the last value.
        None => {
            object.insert(name.to_owned(), Value::String(value));
        }
        // `name[]...`: an array.
        Some((&"", after)) => {
            let slot = object
                .entry(name)
                .or_insert_with(|| Value::Array(Vec::new()));
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            let Value::Array(array) = slot else {
                unreachable!("just made an array")
            };
            match after.split_first() {
                None => array.push(Value::String(value)),
                // `name[][child]...`: fill the last element unless it already has this path.
                Some((child, child_rest)) => {
                    let reuse = matches!(array.last(), Some(Value::Object(last)) if !has_path(last, child, child_rest));
                    if !reuse {
                        array.push(Value::Object(Map::new()));
                    }
                    let Some(Value::Object(last)) = array.last_mut() else {
                        unreachable!("last element is an object")
                    };
                    insert(last, child, child_rest, value);
                }
            }
        }
        // `name[child]...`: an object.
        Some((child, child_rest)) => {
            let slot = object
                .entry(name)
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            let Value::Object(inner) = slot else {
                unreachable!("just made an object")
            };
            insert(inner, child, child_rest, value);
        }
    }
}

fn has_path(object: &Map<String, Value>, name: &str, rest: &[&str]) -> bool {
    match (object.get(name), rest.split_first()) {
        (None, _) => false,
        (Some(_), None) => true,
        // An array can always take another element: `a[][b][]=1&a[][b][]=2` groups.
        (Some(_), Some((&"", _))) => false,
        (Some(Value::Object(inner)), Some((child, child_rest))) => {
            has_path(inner, child, child_rest)
        }
        (Some(_), Some(_)) => true,
    }
}

/// Turns every non-empty object whose keys are all non-negative integers into
/// an array ordered by index (authy-php's `logos[0][res]`).
fn index_arrays(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(index_arrays);
            let all_indices = !map.is_empty()
                && map.keys().all(|k| {
                    !k.is_empty() && k.len() <= 9 && k.bytes().all(|b| b.is_ascii_digit())
                });
            if all_indices {
                let mut entries: Vec<(u32, Value)> = std::mem::take(map)
                    .into_iter()
                    .map(|(k, v)| (k.parse().expect("checked digits"), v))
                    .collect();
                entries.sort_by_key(|(i, _)| *i);
                *value = Value::Array(entries.into_iter().map(|(_, v)| v).collect());
            }
        }
        Value::Array(items) => items.iter_mut().for_each(index_arrays),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tree(query: &str, nesting: Nesting) -> Value {
        nest(decode_pairs(query.as_bytes()).unwrap(), nesting)
    }

    #[test]
    fn nests_rails_style_keys() {
        assert_eq!(
            tree(
                "user[email]=a%40b.co&user[cellphone]=555-1234&user[country_code]=1&send_install_link_via_sms=true",
                Nesting::IndexedArrays
            ),
            json!({"user":{"email":"a@b.co","cellphone":"555-1234","country_code":"1"},"send_install_link_via_sms":"true"})
        );
        assert_eq!(tree("a[]=1&a[]=2", Nesting::Plain), json!({"a":["1","2"]}));
        assert_eq!(tree("a=1&a=2", Nesting::Plain), json!({"a":"2"}));
        assert_eq!(
            tree(
                "details[Bank account]=123&hidden_details[IP Address]=1.2.3.4",
                Nesting::Plain
            ),
            json!({"details":{"Bank account":"123"},"hidden_details":{"IP Address":"1.2.3.4"}})
        );
    }

    #[test]
    fn groups_arrays_of_objects_and_indexed_arrays() {
        let grouped = json!({"logos":[{"res":"low","url":"u1"},{"res":"high","url":"u2"}]});
        assert_eq!(
            tree(
                "logos[][res]=low&logos[][url]=u1&logos[][res]=high&logos[][url]=u2",
                Nesting::Plain
            ),
            grouped
        );
        assert_eq!(
            tree(
                "logos[1][res]=high&logos[0][res]=low&logos[0][url]=u1&logos[1][url]=u2",
                Nesting::IndexedArrays
            ),
            grouped
        );
        assert_eq!(
            tree("logos[0][res]=low", Nesting::Plain),
            json!({"logos":{"0":{"res":"low"}}})
        );
    }

    #[test]
    fn the_root_stays_an_object_even_with_numeric_keys() {
        assert_eq!(tree("8", Nesting::IndexedArrays), json!({"8":""}));
        assert_eq!(
            tree("0=a&1=b", Nesting::IndexedArrays),
            json!({"0":"a","1":"b"})
        );
        assert_eq!(
            tree("x[0]=a&x[1]=b", Nesting::IndexedArrays),
            json!({"x":["a","b"]})
        );
    }

    #[test]
    fn malformed_keys_are_literal() {
        assert_eq!(
            tree("a]b=1&c[d=2&e[f]g=3&[x]=4", Nesting::Plain),
            json!({"a]b":"1","c[d":"2","e[f]g":"3","[x]":"4"})
        );
    }

    #[test]
    fn decoding_rejects_invalid_utf8_and_keeps_stray_percents() {
        assert_eq!(decode_pairs(b"a=%FF"), Err(InvalidUtf8));
        assert_eq!(
            decode_pairs(b"a=100%&b=%4").unwrap(),
            [("a".into(), "100%".into()), ("b".into(), "%4".into())]
        );
        assert_eq!(
            decode_pairs(b"a=%e2%82%ac").unwrap(),
            [("a".into(), "€".into())]
        );
    }

    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = String> {
        "[a-z_][a-z_ A-Z]{0,7}"
    }

    fn leaf() -> impl Strategy<Value = Value> {
        "[ -~é€]{0,12}".prop_map(Value::String)
    }

    /// Trees as Rails forms express them: objects, strings, arrays of strings,
    /// and arrays of objects whose elements share their keys (like `logos`).
    fn param_tree() -> impl Strategy<Value = Value> {
        let inner = leaf().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::btree_map(key(), inner, 1..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                proptest::collection::vec(leaf(), 1..3).prop_map(Value::Array),
                (proptest::collection::btree_set(key(), 1..3), 1usize..3).prop_flat_map(
                    |(keys, n)| {
                        let keys: Vec<String> = keys.into_iter().collect();
                        proptest::collection::vec(proptest::collection::vec(leaf(), keys.len()), n)
                            .prop_map(move |rows| {
                                Value::Array(
                                    rows.into_iter()
                                        .map(|row| {
                                            Value::Object(keys.iter().cloned().zip(row).collect())
                                        })
                                        .collect(),
                                )
                            })
                    }
                ),
            ]
        });
        proptest::collection::btree_map(key(), inner, 1..5)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    proptest! {
        /// Encoding a tree as a bracketed form and decoding it gives the tree back.
        #[test]
        fn forms_round_trip(tree in param_tree()) {
            let form = crate::signature::canonical_params(&tree);
            let decoded = nest(decode_pairs(form.as_bytes()).unwrap(), Nesting::Plain);
            prop_assert_eq!(decoded, tree);
        }

        /// A GET callback's query is its own canonical form (WIRE.md §9.7): a
        /// verifier that decodes and rebuilds it signs exactly what the server signed.
        #[test]
        fn canonical_queries_are_fixed_points(tree in param_tree()) {
            let p = crate::signature::canonical_params(&tree);
            prop_assert_eq!(crate::signature::canonical_query(&p).unwrap(), p);
        }

        /// Any bytes at all decode to a tree or to an UTF-8 error, never a panic.
        #[test]
        fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(pairs) = decode_pairs(&bytes) {
                let tree = nest(pairs, Nesting::IndexedArrays);
                prop_assert!(tree.is_object());
            }
        }
    }
}
