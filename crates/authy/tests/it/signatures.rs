//! OneTouch callback signatures: every vector of `spec/signature-vectors.json`
//! passes, and every kind of tampering fails.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use authy::callback::{
    CallbackRequest, CallbackVerifier, SignatureError, sign_data, sign_json, sign_query,
};
use serde_json::Value;

use crate::spec_dir;

struct Vector {
    id: String,
    api_key: String,
    method: String,
    url: String,
    nonce: String,
    expected_signature: String,
    must_verify: bool,
    signed_data: Option<String>,
    /// POST: the JSON body. GET: empty.
    body: Vec<u8>,
    /// GET: the URL with the raw query string.
    full_url: String,
}

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(spec_dir().join("signature-vectors.json")).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap().to_owned();
            let url = s("url");
            let (body, full_url) = match v["params_kind"].as_str().unwrap() {
                "json_body" => (serde_json::to_vec(&v["params"]).unwrap(), url.clone()),
                "query_pairs" => {
                    let query = v["raw_query"].as_str().unwrap_or_default();
                    (
                        Vec::new(),
                        if query.is_empty() {
                            url.clone()
                        } else {
                            format!("{url}?{query}")
                        },
                    )
                }
                other => panic!("unknown params_kind {other}"),
            };
            Vector {
                id: s("id"),
                api_key: s("api_key"),
                method: s("method"),
                nonce: s("nonce"),
                expected_signature: s("expected_signature"),
                must_verify: v["must_verify"].as_bool().unwrap(),
                signed_data: v["signed_data"].as_str().map(str::to_owned),
                body,
                full_url,
                url,
            }
        })
        .collect()
}

impl Vector {
    fn request(&self) -> CallbackRequest<'_> {
        CallbackRequest {
            method: &self.method,
            url: &self.full_url,
            signature: Some(&self.expected_signature),
            nonce: Some(&self.nonce),
            body: &self.body,
        }
    }

    /// The moment the vector was signed: its nonce.
    fn signed_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs_f64(self.nonce.parse().unwrap())
    }

    fn verifier(&self) -> CallbackVerifier {
        CallbackVerifier::new(self.api_key.clone())
    }
}

#[test]
fn every_vector_verifies_or_is_refused_as_recorded() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 15);
    assert_eq!(vectors.iter().filter(|v| v.must_verify).count(), 14);
    for v in &vectors {
        let result = v.verifier().verify_at(&v.request(), v.signed_at());
        if v.must_verify {
            assert_eq!(result, Ok(()), "{}", v.id);
            assert_eq!(
                v.request().signed_data().unwrap(),
                *v.signed_data.as_ref().unwrap(),
                "{}",
                v.id
            );
        } else {
            assert_eq!(result, Err(SignatureError::Mismatch), "{}", v.id);
        }
    }
}

#[test]
fn signing_reproduces_every_positive_vector() {
    for v in vectors().iter().filter(|v| v.must_verify) {
        let signature = if v.method == "POST" {
            sign_json(
                &v.api_key,
                &v.nonce,
                &v.method,
                &v.url,
                &serde_json::from_slice(&v.body).unwrap(),
            )
        } else {
            let query = v.full_url.split_once('?').map_or("", |(_, q)| q);
            sign_query(&v.api_key, &v.nonce, &v.method, &v.url, query).unwrap()
        };
        assert_eq!(signature, v.expected_signature, "{}", v.id);
        assert_eq!(
            sign_data(&v.api_key, v.signed_data.as_ref().unwrap()),
            v.expected_signature,
            "{}",
            v.id
        );
    }
}

#[test]
fn tampering_with_any_input_fails() {
    for v in vectors().iter().filter(|v| v.must_verify) {
        let at = v.signed_at();
        let check = |r: &CallbackRequest<'_>, verifier: CallbackVerifier| verifier.verify_at(r, at);

        // One parameter more: in the JSON body of a POST, in the query of a GET.
        let (tampered_body, tampered_url) = if v.method == "POST" {
            let mut body: Value = serde_json::from_slice(&v.body).unwrap();
            body["tampered"] = "1".into();
            (serde_json::to_vec(&body).unwrap(), v.full_url.clone())
        } else {
            let sep = if v.full_url.contains('?') { '&' } else { '?' };
            (Vec::new(), format!("{}{sep}tampered=1", v.full_url))
        };
        let r = CallbackRequest {
            body: &tampered_body,
            url: &tampered_url,
            ..v.request()
        };
        assert_eq!(
            check(&r, v.verifier()),
            Err(SignatureError::Mismatch),
            "{} parameters",
            v.id
        );

        // A changed value: the status flipped from approved to denied.
        if v.full_url.contains("approved") || String::from_utf8_lossy(&v.body).contains("approved")
        {
            let body = String::from_utf8_lossy(&v.body).replace("approved", "denied");
            let url = v.full_url.replace("approved", "denied");
            let r = CallbackRequest {
                body: body.as_bytes(),
                url: &url,
                ..v.request()
            };
            assert_eq!(
                check(&r, v.verifier()),
                Err(SignatureError::Mismatch),
                "{} status",
                v.id
            );
        }

        // Another application's key.
        assert_eq!(
            check(&v.request(), CallbackVerifier::new("someone-elses-key")),
            Err(SignatureError::Mismatch),
            "{} key",
            v.id
        );

        // Another URL: scheme (a proxy turning https into http), host, path.
        for url in [
            v.full_url.replacen("https://", "http://", 1),
            v.full_url.replacen("://", "://evil.", 1),
            v.full_url.replacen(&v.url, &format!("{}x", v.url), 1),
        ] {
            let r = CallbackRequest {
                url: &url,
                ..v.request()
            };
            assert_eq!(
                check(&r, v.verifier()),
                Err(SignatureError::Mismatch),
                "{} url {url}",
                v.id
            );
        }

        // Another method or nonce.
        let other_method = if v.method == "POST" { "GET" } else { "POST" };
        assert!(
            check(
                &CallbackRequest {
                    method: other_method,
                    ..v.request()
                },
                v.verifier()
            )
            .is_err(),
            "{} method",
            v.id
        );
        let nonce = format!("{}", v.nonce.parse::<f64>().unwrap() as u64 + 1);
        assert_eq!(
            check(
                &CallbackRequest {
                    nonce: Some(&nonce),
                    ..v.request()
                },
                v.verifier()
            ),
            Err(SignatureError::Mismatch),
            "{} nonce",
            v.id
        );
    }
}

#[test]
fn stale_missing_and_malformed_headers_fail() {
    let v = vectors()
        .into_iter()
        .find(|v| v.id == "java-approved-post")
        .unwrap();
    let signed = v.signed_at();

    // Signed ten minutes ago (or ahead), with the default limit of five.
    for skew in [601, -601] {
        let now = UNIX_EPOCH + Duration::from_secs((v.nonce.parse::<i64>().unwrap() + skew) as u64);
        assert_eq!(
            v.verifier().verify_at(&v.request(), now),
            Err(SignatureError::StaleNonce {
                age_seconds: 601,
                max_seconds: 300
            })
        );
    }
    // Within the limit, and with a wider limit, it passes; against today's clock it is stale.
    let four_minutes_later = signed + Duration::from_secs(240);
    assert_eq!(
        v.verifier().verify_at(&v.request(), four_minutes_later),
        Ok(())
    );
    assert_eq!(
        v.verifier()
            .max_nonce_age(Duration::from_secs(30))
            .verify_at(&v.request(), four_minutes_later)
            .unwrap_err(),
        SignatureError::StaleNonce {
            age_seconds: 240,
            max_seconds: 30
        }
    );
    assert!(matches!(
        v.verifier().verify(&v.request()),
        Err(SignatureError::StaleNonce { .. })
    ));
    assert_eq!(
        v.verifier().without_nonce_age_check().verify(&v.request()),
        Ok(())
    );

    assert_eq!(
        v.verifier().verify_at(
            &CallbackRequest {
                signature: None,
                ..v.request()
            },
            signed
        ),
        Err(SignatureError::MissingSignature)
    );
    assert_eq!(
        v.verifier().verify_at(
            &CallbackRequest {
                nonce: None,
                ..v.request()
            },
            signed
        ),
        Err(SignatureError::MissingNonce)
    );
    assert_eq!(
        v.verifier().verify_at(
            &CallbackRequest {
                nonce: Some("yesterday"),
                ..v.request()
            },
            signed
        ),
        Err(SignatureError::InvalidNonce("yesterday".into()))
    );
    assert_eq!(
        v.verifier().verify_at(
            &CallbackRequest {
                signature: Some("%%%"),
                ..v.request()
            },
            signed
        ),
        Err(SignatureError::Mismatch)
    );
    assert!(matches!(
        v.verifier().verify_at(
            &CallbackRequest {
                body: b"[1,2]",
                ..v.request()
            },
            signed
        ),
        Err(SignatureError::UnreadableParameters(_))
    ));
}

#[test]
fn headers_are_read_from_an_http_header_map() {
    let v = vectors()
        .into_iter()
        .find(|v| v.id == "java-approved-get")
        .unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-authy-signature", v.expected_signature.parse().unwrap());
    headers.insert("X-Authy-Signature-Nonce", v.nonce.parse().unwrap());
    let request = CallbackRequest::from_headers("GET", &v.full_url, &headers, b"");
    assert_eq!(v.verifier().verify_at(&request, v.signed_at()), Ok(()));
    assert!(!format!("{:?}", v.verifier()).contains(&v.api_key));
}
