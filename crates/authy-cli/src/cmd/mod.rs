//! One module per resource, named as in the client library and the server.

pub mod app;
pub mod callback;
pub mod onetouch;
pub mod phones;
pub mod tokens;
pub mod users;

/// Parses `KEY=VALUE` (for `--data`, `--detail`, `--hidden-detail`, `--logo`).
pub fn key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}
