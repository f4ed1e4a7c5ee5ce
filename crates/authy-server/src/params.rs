//! Requests as Authy clients send them (WIRE.md §4, §5).
//!
//! [`Api`] authenticates the request and merges its parameters from the query
//! string and the body (JSON, form, or sniffed), with Rails bracket nesting,
//! whatever the method. Handlers read typed values through [`Params`], whose
//! errors name the parameter in Authy's format.

use std::sync::Arc;

use authy_types::ErrorCode;
use authy_types::params::{Nesting, decode_pairs, nest};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{Method, header};
use serde_json::{Map, Value};

use crate::crypto::key_hash;
use crate::db::{AppRow, Counter};
use crate::error::AppError;
use crate::state::AppState;

/// Largest body accepted; Authy requests are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Most parameters (leaves of the merged tree) a request may carry.
pub const MAX_PARAMETERS: usize = 256;
/// Deepest nesting of parameters (`a[b][c]` is 3; JSON objects likewise).
pub const MAX_DEPTH: usize = 8;

/// Path parameters, like axum's `Path`, but a segment that is not UTF-8 once
/// percent-decoded is answered in Authy's format (60005), never axum's text.
pub struct Path<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(_) => Err(AppError::new(ErrorCode::InvalidUtf8)),
        }
    }
}

/// An authenticated request: its application and its parameters.
pub struct Api {
    /// The application the API key belongs to.
    pub app: Arc<AppRow>,
    /// Query and body parameters, merged, without `api_key`.
    pub params: Params,
}

impl FromRequest<AppState> for Api {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES).await;
        let has_body = matches!(&bytes, Ok(b) if !b.is_empty());
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let body = match &bytes {
            Ok(b) => decode_body(content_type, b),
            Err(_) => Err(AppError::with_message(
                ErrorCode::InvalidRequest,
                format!("Invalid request: the body is larger than {MAX_BODY_BYTES} bytes"),
            )),
        };
        let query = decode_pairs(parts.uri.query().unwrap_or_default().as_bytes())
            .map(|pairs| nest(pairs, Nesting::IndexedArrays));

        // The key: a non-empty header wins over `api_key` from the parameters,
        // where the body wins over the query as for every parameter (WIRE.md §4, §5.5).
        let header_key = parts
            .headers
            .get("x-authy-api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned);
        let key = header_key
            .or_else(|| api_key_in(body.as_ref().ok()))
            .or_else(|| api_key_in(query.as_ref().ok()));
        let app = match key {
            Some(key) => state.db.app_by_key_hash(&key_hash(&key)).await?,
            None => None,
        };
        let app = app.ok_or_else(|| AppError::new(ErrorCode::InvalidApiKey))?;
        state.count(&app, Counter::ApiCalls);

        // Decoding errors come after authentication (WIRE.md §2, processing order).
        let query = query.map_err(|_| AppError::new(ErrorCode::InvalidUtf8))?;
        let body = body?;
        if parts.method == Method::GET && has_body && app.reject_get_body {
            return Err(AppError::with_message(
                ErrorCode::InvalidRequest,
                "Invalid request: GET requests must not have a body",
            ));
        }
        let mut merged = query;
        merge(&mut merged, body);
        check_shape(&merged)?;
        let Value::Object(mut map) = merged else {
            // The decoders return objects; should one ever not, refuse rather than panic.
            return Err(AppError::new(ErrorCode::InvalidRequest));
        };
        map.remove("api_key");
        Ok(Api {
            app,
            params: Params(map),
        })
    }
}

fn api_key_in(tree: Option<&Value>) -> Option<String> {
    let key = tree?.get("api_key")?.as_str()?.trim();
    (!key.is_empty()).then(|| key.to_owned())
}

/// Decodes a body by its Content-Type: JSON, form, or sniffed (WIRE.md §5.1).
fn decode_body(content_type: &str, bytes: &Bytes) -> Result<Value, AppError> {
    let text = bytes.as_ref();
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    let is_json = content_type.contains("json")
        || (!content_type.contains("x-www-form-urlencoded") && first == Some(&b'{'));
    if first.is_none() {
        return Ok(Value::Object(Map::new()));
    }
    if is_json {
        match serde_json::from_slice::<Value>(text) {
            Ok(v @ Value::Object(_)) => Ok(v),
            Ok(_) => Err(AppError::with_message(
                ErrorCode::InvalidRequest,
                "Invalid request: the JSON body must be an object",
            )),
            Err(_) if std::str::from_utf8(text).is_err() => {
                Err(AppError::new(ErrorCode::InvalidUtf8))
            }
            Err(_) => Err(AppError::with_message(
                ErrorCode::InvalidRequest,
                "Invalid request: the JSON body is malformed",
            )),
        }
    } else {
        decode_pairs(text)
            .map(|pairs| nest(pairs, Nesting::IndexedArrays))
            .map_err(|_| AppError::new(ErrorCode::InvalidUtf8))
    }
}

/// Refuses parameter trees with too many leaves or too deep a nesting (60002):
/// a hostile request costs at most [`MAX_PARAMETERS`] leaves of work.
fn check_shape(tree: &Value) -> Result<(), AppError> {
    fn walk(v: &Value, depth: usize, leaves: &mut usize) -> Result<(), AppError> {
        if depth > MAX_DEPTH {
            return Err(AppError::with_message(
                ErrorCode::InvalidRequest,
                format!("Invalid request: parameters nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        match v {
            Value::Object(m) => m.values().try_for_each(|c| walk(c, depth + 1, leaves)),
            Value::Array(a) => a.iter().try_for_each(|c| walk(c, depth + 1, leaves)),
            _ => {
                *leaves += 1;
                if *leaves > MAX_PARAMETERS {
                    return Err(AppError::with_message(
                        ErrorCode::InvalidRequest,
                        format!("Invalid request: more than {MAX_PARAMETERS} parameters"),
                    ));
                }
                Ok(())
            }
        }
    }
    walk(tree, 0, &mut 0)
}

/// Deep merge: objects merge member by member, anything else in `later` wins.
fn merge(into: &mut Value, later: Value) {
    match (into, later) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, later) => *slot = later,
    }
}

/// Merged request parameters with Authy's coercions (WIRE.md §5.4).
#[derive(Debug, Default, Clone)]
pub struct Params(pub Map<String, Value>);

/// Absent includes `null`, `""`, `{}` and `[]` (WIRE.md §3).
fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

impl Params {
    /// The value at a nested path (`["user", "email"]`), if present.
    pub fn get(&self, path: &[&str]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        let mut v = self.0.get(*first)?;
        for key in rest {
            v = v.as_object()?.get(*key)?;
        }
        present(v).then_some(v)
    }

    /// A string parameter; a number becomes its text. Objects and arrays are refused.
    pub fn string(&self, path: &[&str]) -> Result<Option<String>, AppError> {
        match self.get(path) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(other) => Err(AppError::invalid_parameter(
                leaf(path),
                format!("'{other}' is not a valid value"),
            )),
        }
    }

    /// An integer: JSON integer or decimal string (blanks around allowed; a
    /// leading `+` too if `plus` is set, as for `country_code`).
    pub fn int(&self, path: &[&str]) -> Result<Option<i64>, AppError> {
        let not_integer = |shown: &str| {
            AppError::invalid_parameter(leaf(path), format!("'{shown}' is not a valid Integer"))
        };
        match self.get(path) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| not_integer(&n.to_string())),
            Some(Value::String(s)) => {
                let t = s.trim();
                let t = t.strip_prefix('+').unwrap_or(t);
                if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    t.parse().map(Some).map_err(|_| not_integer(s))
                } else {
                    Err(not_integer(s))
                }
            }
            Some(other) => Err(not_integer(&other.to_string())),
        }
    }

    /// A boolean: true/false/True/1/0; anything else counts as absent (WIRE.md §5.4).
    pub fn bool(&self, path: &[&str]) -> Option<bool> {
        match self
            .0
            .get(path[0])
            .and_then(|first| path[1..].iter().try_fold(first, |v, k| v.get(*k)))?
        {
            Value::Bool(b) => Some(*b),
            Value::Number(n) if n.as_i64() == Some(1) => Some(true),
            Value::Number(n) if n.as_i64() == Some(0) => Some(false),
            Value::String(s) => match s.trim() {
                t if t.eq_ignore_ascii_case("true") || t == "1" => Some(true),
                t if t.eq_ignore_ascii_case("false") || t == "0" || t.is_empty() => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// An object parameter (`data`, `details`), if present.
    pub fn object(&self, path: &[&str]) -> Option<&Map<String, Value>> {
        self.get(path).and_then(Value::as_object)
    }
}

fn leaf<'a>(path: &[&'a str]) -> &'a str {
    path.last().copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Params {
        Params(v.as_object().unwrap().clone())
    }

    #[test]
    fn coerces_as_authy_does() {
        let p = params(
            json!({"a":" 57 ","b":"+1","c":"abc","d":"","e":null,"f":1,"g":"True","h":"maybe","u":{"x":"y"}}),
        );
        assert_eq!(p.int(&["a"]).unwrap(), Some(57));
        assert_eq!(p.int(&["b"]).unwrap(), Some(1));
        assert_eq!(
            p.int(&["c"]).unwrap_err().body()["message"],
            "Invalid parameter: c - 'abc' is not a valid Integer"
        );
        assert_eq!(p.int(&["d"]).unwrap(), None);
        assert_eq!(p.string(&["e"]).unwrap(), None);
        assert_eq!(p.string(&["f"]).unwrap().as_deref(), Some("1"));
        assert_eq!(p.bool(&["g"]), Some(true));
        assert_eq!(p.bool(&["h"]), None);
        assert_eq!(p.bool(&["f"]), Some(true));
        assert_eq!(p.string(&["u", "x"]).unwrap().as_deref(), Some("y"));
        assert!(p.string(&["u"]).is_err());
    }

    #[test]
    fn bodies_are_decoded_by_type_or_sniffed_and_merged_deeply() {
        let form = decode_body(
            "application/x-www-form-urlencoded",
            &Bytes::from_static(b"user[email]=a%40b.co&user[country_code]=1"),
        )
        .unwrap();
        let json =
            decode_body("", &Bytes::from_static(br#" {"user":{"cellphone":"555"}}"#)).unwrap();
        let mut merged = json!({"user":{"email":"query@x.y"},"q":"1"});
        merge(&mut merged, form);
        merge(&mut merged, json);
        assert_eq!(
            merged,
            json!({"user":{"email":"a@b.co","country_code":"1","cellphone":"555"},"q":"1"})
        );
        assert_eq!(
            decode_body("application/json", &Bytes::new()).unwrap(),
            json!({})
        );
        assert_eq!(
            decode_body("application/json", &Bytes::from_static(b"[1]"))
                .unwrap_err()
                .code(),
            &ErrorCode::InvalidRequest
        );
        assert_eq!(
            decode_body("application/json", &Bytes::from_static(b"{\"a\":"))
                .unwrap_err()
                .code(),
            &ErrorCode::InvalidRequest
        );
        assert_eq!(
            decode_body("text/plain", &Bytes::from_static(b"a=%FF"))
                .unwrap_err()
                .code(),
            &ErrorCode::InvalidUtf8
        );
    }
}
