//! `authy callback verify`: is a saved callback's signature valid, and if not,
//! which input differs from what was signed?

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use authy::callback::{CallbackRequest, CallbackVerifier, SignatureError};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use crate::output::Output;
use crate::{Failure, Outcome};

#[derive(Subcommand, Debug)]
pub enum CallbackCommand {
    /// Check the X-Authy-Signature of a saved callback (the nonce's age is
    /// shown, not enforced: saved callbacks are old).
    ///
    /// Example: authy callback verify --url https://example.com/authy/callback --signature SIG --nonce 1512923419 --body callback.json
    Verify(VerifyArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
enum Method {
    Post,
    Get,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Get => "GET",
        }
    }
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The callback URL as configured (for GET, with the query string received).
    #[arg(long)]
    url: String,
    /// The request method.
    #[arg(long, value_enum, default_value_t = Method::Post)]
    method: Method,
    /// The X-Authy-Signature header.
    #[arg(long)]
    signature: String,
    /// The X-Authy-Signature-Nonce header.
    #[arg(long)]
    nonce: String,
    /// The body received (a file, or - for standard input); POST only.
    #[arg(long, value_name = "FILE|-")]
    body: Option<PathBuf>,
}

pub fn run(command: CallbackCommand, api_key: &str, out: &Output) -> Outcome {
    let CallbackCommand::Verify(a) = command;
    let body = match &a.body {
        None => Vec::new(),
        Some(p) if p.as_os_str() == "-" => {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
                .map_err(|e| Failure::Usage(format!("cannot read standard input: {e}")))?;
            buf
        }
        Some(p) => {
            std::fs::read(p).map_err(|e| Failure::Usage(format!("--body {}: {e}", p.display())))?
        }
    };
    let verifier = CallbackVerifier::new(api_key).without_nonce_age_check();
    let request = |method: &'static str, url: &str| -> Result<(), SignatureError> {
        let r = CallbackRequest {
            method,
            url,
            signature: Some(&a.signature),
            nonce: Some(&a.nonce),
            body: &body,
        };
        verifier.verify(&r)
    };
    let age = a.nonce.parse::<f64>().ok().map(|n| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        format!("{:.0} s", now - n)
    });
    let verdict = match request(a.method.as_str(), &a.url) {
        Ok(()) => Ok(()),
        Err(SignatureError::Mismatch) => Err(diagnose(&a, &request)),
        Err(other) => Err(other.to_string()),
    };
    let valid = verdict.is_ok();
    if out.json() {
        out.raw(&json!({"valid": valid, "reason": verdict.as_ref().err(), "nonce_age": age}));
    } else {
        out.answer(
            &json!({}),
            &[
                (
                    "signature",
                    if valid {
                        "valid".to_owned()
                    } else {
                        "invalid".to_owned()
                    },
                ),
                ("nonce_age", age.unwrap_or_else(|| "not a Unix time".into())),
            ],
        );
    }
    verdict.map_err(Failure::Refused)
}

/// Tries the usual culprits one at a time and names the first that makes the
/// signature match; the body, nonce and key cannot be told apart.
fn diagnose(
    a: &VerifyArgs,
    check: &dyn Fn(&'static str, &str) -> Result<(), SignatureError>,
) -> String {
    let other_method = if a.method == Method::Post {
        Method::Get
    } else {
        Method::Post
    };
    if check(other_method.as_str(), &a.url).is_ok() {
        return format!(
            "the signature does not match: it was made for method {}, not {}",
            other_method.as_str(),
            a.method.as_str()
        );
    }
    let (base, query) = match a.url.split_once('?') {
        Some((b, q)) => (b.to_owned(), format!("?{q}")),
        None => (a.url.clone(), String::new()),
    };
    let mut urls = Vec::new();
    if let Some(rest) = base.strip_prefix("http://") {
        urls.push(format!("https://{rest}"));
    }
    if let Some(rest) = base.strip_prefix("https://") {
        urls.push(format!("http://{rest}"));
    }
    urls.push(match base.strip_suffix('/') {
        Some(without) => without.to_owned(),
        None => format!("{base}/"),
    });
    for url in urls {
        if check(a.method.as_str(), &format!("{url}{query}")).is_ok() {
            return format!(
                "the signature does not match: it was made for the URL {url} (a proxy may have changed the scheme or path), not {base}"
            );
        }
    }
    "the signature does not match: the body, the nonce or the API key differs from what was signed (the method and the usual URL variants were tried)".to_owned()
}
