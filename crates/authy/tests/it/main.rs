//! The client's one integration-test binary (one binary keeps links cheap on two cores).
//!
//! - `wire`: every call's request (method, path, query, body) and every recorded
//!   answer in `spec/fixtures/`, with no network.
//! - `signatures`: every vector of `spec/signature-vectors.json`, and tampering.
//! - `transport`: the real HTTP path against wiremock on loopback: headers, no
//!   GET bodies, timeouts, retries, broken answers, redaction, the blocking client.

mod signatures;
mod transport;
mod wire;

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::Value;

/// The repository's `spec/` directory (a copy of the shared wire specification).
pub fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec")
}

/// A recorded answer: `{"endpoint": "...", "status": 200, "body": {...}}`.
pub struct Fixture {
    pub endpoint: String,
    pub status: StatusCode,
    pub body: Value,
}

impl Fixture {
    /// The body as compact bytes, as the service sends it.
    pub fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body).unwrap()
    }
}

pub fn fixture(name: &str) -> Fixture {
    let path = spec_dir().join("fixtures").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file: Value = serde_json::from_str(&text).unwrap();
    Fixture {
        endpoint: file["endpoint"].as_str().unwrap().to_owned(),
        status: StatusCode::from_u16(file["status"].as_u64().unwrap() as u16).unwrap(),
        body: file["body"].clone(),
    }
}
