//! A running server for one test.

use std::sync::Arc;

use authy_server::clock::FakeClock;
use authy_server::{Application, Config};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

/// Far from any DST or month edge, a fixed "now" for the fake clock.
pub const START: i64 = 1_800_000_000;

pub struct TestApp {
    pub url: String,
    pub key: String,
    /// A second application on the same server, to prove isolation.
    pub other_key: String,
    pub clock: FakeClock,
    pub client: authy::Client,
    pub http: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

/// An answer read raw: status, content type and body.
pub struct Raw {
    pub status: StatusCode,
    pub content_type: String,
    pub text: String,
}

impl Raw {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// As [`spawn_app`], after `adjust` has changed the configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let clock = FakeClock::at(START);
    let key = "test-key-0123456789abcdefABCDEF0".to_owned();
    let other_key = "other-key-0123456789abcdefABCDEF".to_owned();
    let mut config = Config {
        listen: "127.0.0.1:0".into(),
        database_url: "sqlite::memory:".into(),
        api_keys: vec![key.clone(), other_key.clone()],
        ..Config::default()
    };
    adjust(&mut config);
    let app = Application::build(config, Arc::new(clock.clone()))
        .await
        .expect("server starts");
    let url = format!("http://{}", app.local_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let client = authy::Client::builder(key.clone())
        .base_url(url.clone())
        .build()
        .unwrap();
    TestApp {
        url,
        key,
        other_key,
        clock,
        client,
        http: reqwest::Client::new(),
        _stop: stop,
    }
}

impl TestApp {
    /// A client of the second application.
    pub fn other_client(&self) -> authy::Client {
        authy::Client::builder(self.other_key.clone())
            .base_url(self.url.clone())
            .build()
            .unwrap()
    }

    /// Sends `body` with `content_type` (or nothing) and the API key header.
    pub async fn raw(
        &self,
        method: Method,
        path_and_query: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Raw {
        self.raw_with_key(Some(&self.key), method, path_and_query, content_type, body)
            .await
    }

    pub async fn raw_with_key(
        &self,
        key: Option<&str>,
        method: Method,
        path_and_query: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Raw {
        let mut request = self
            .http
            .request(method, format!("{}{path_and_query}", self.url))
            .body(body);
        if let Some(key) = key {
            request = request.header("X-Authy-API-Key", key);
        }
        if let Some(ct) = content_type {
            request = request.header("Content-Type", ct);
        }
        let response = request.send().await.unwrap();
        Raw {
            status: response.status(),
            content_type: response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default(),
            text: response.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path_and_query: &str) -> Raw {
        self.raw(Method::GET, path_and_query, None, "").await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Raw {
        self.raw(
            Method::POST,
            path,
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Raw {
        self.raw(
            Method::PUT,
            path,
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    /// Creates a user through the client and returns its id.
    pub async fn user(&self, email: &str, cellphone: &str) -> u64 {
        self.client
            .users()
            .create(email, cellphone)
            .send_install_link_via_sms(false)
            .send()
            .await
            .unwrap()
            .id()
    }

    /// Verifies `token` for a user through the client, with its defaults.
    pub async fn verify(
        &self,
        authy_id: u64,
        token: impl AsRef<str>,
    ) -> Result<authy::api::tokens::Verification, authy::Error> {
        self.client
            .tokens()
            .verify(authy_id, token.as_ref())
            .send()
            .await
    }

    /// The newest code the sandbox inbox shows for a user.
    pub async fn last_code(&self, authy_id: u64) -> String {
        let inbox = self
            .get(&format!("/sandbox/messages?authy_id={authy_id}&limit=1"))
            .await
            .json();
        inbox["messages"][0]["code"]
            .as_str()
            .expect("a message with a code")
            .to_owned()
    }

    /// The code the user's enrolled app shows now.
    pub async fn totp(&self, authy_id: u64) -> String {
        let totp = self
            .get(&format!("/sandbox/users/{authy_id}/totp"))
            .await
            .json();
        totp["token"].as_str().expect("a TOTP").to_owned()
    }

    /// Sends a OneTouch request with the message "m" and returns its uuid.
    pub async fn approval_request(&self, authy_id: u64) -> String {
        self.client
            .onetouch()
            .send(authy_id, "m")
            .send()
            .await
            .unwrap()
            .uuid()
            .to_owned()
    }

    /// Moves the server's clock (not the application's sandbox offset).
    pub fn advance(&self, seconds: i64) {
        self.clock.advance(seconds);
    }
}

/// A code of the same length that is certainly not `code`.
pub fn wrong(code: &str) -> String {
    code.chars()
        .map(|c| if c == '0' { '1' } else { '0' })
        .collect()
}

/// One request received by a [`Receiver`].
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    /// Path and query, as requested.
    pub uri: String,
    pub signature: Option<String>,
    pub nonce: Option<String>,
    pub body: Vec<u8>,
}

/// A callback receiver on loopback that records every request and answers
/// with the next status of `answers` (the last one repeats).
pub struct Receiver {
    pub url: String,
    pub received: Arc<std::sync::Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start(answers: Vec<u16>) -> Receiver {
        Receiver::start_slow(answers, std::time::Duration::ZERO).await
    }

    /// As [`Receiver::start`], but the first request waits `first_delay` before its answer.
    pub async fn start_slow(answers: Vec<u16>, first_delay: std::time::Duration) -> Receiver {
        let received: Arc<std::sync::Mutex<Vec<Received>>> = Arc::default();
        let log = received.clone();
        let handler = move |req: axum::extract::Request| {
            let log = log.clone();
            let answers = answers.clone();
            async move {
                let (parts, body) = req.into_parts();
                let header = |name: &str| {
                    parts
                        .headers
                        .get(name)
                        .map(|v| v.to_str().unwrap().to_owned())
                };
                let body = axum::body::to_bytes(body, 1 << 20).await.unwrap().to_vec();
                let (n, status) = {
                    let mut log = log.lock().unwrap();
                    log.push(Received {
                        method: parts.method.to_string(),
                        uri: parts.uri.to_string(),
                        signature: header("x-authy-signature"),
                        nonce: header("x-authy-signature-nonce"),
                        body,
                    });
                    let n = log.len();
                    (
                        n,
                        answers
                            .get(n - 1)
                            .or(answers.last())
                            .copied()
                            .unwrap_or(200),
                    )
                };
                if n == 1 {
                    tokio::time::sleep(first_delay).await;
                }
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/authy/callback", listener.local_addr().unwrap());
        tokio::spawn(
            async move { axum::serve(listener, axum::Router::new().fallback(handler)).await },
        );
        Receiver { url, received }
    }

    /// Waits until `n` requests arrived (at most 20 s), and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            let got = self.received.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "fewer than {n} callbacks arrived: {:?}",
            self.received.lock().unwrap()
        );
    }
}
