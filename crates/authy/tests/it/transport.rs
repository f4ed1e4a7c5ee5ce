//! The HTTP path, against wiremock on loopback, for what our own server never
//! does: slow answers, outages, HTML pages, broken JSON. Also the headers and
//! bodies actually sent, redaction, and the blocking client.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use authy::api::onetouch::ApprovalStatus;
use authy::{Client, Error, ErrorCode, RetryPolicy};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::fixture;

const KEY: &str = "bf12974d70818a08199d17d5e2bae630";

fn client_for(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

fn builder(server: &MockServer) -> authy::ClientBuilder {
    // Short backoff keeps retry tests quick; the rules are the same.
    Client::builder(KEY)
        .base_url(server.uri())
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
}

fn json_answer(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_raw(serde_json::to_vec(&body).unwrap(), "application/json")
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

#[tokio::test]
async fn sends_the_key_in_a_header_and_no_body_on_get() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/protected/json/verify/0012345/1635"))
        .and(query_param("force", "true"))
        .and(header("X-Authy-API-Key", KEY))
        .respond_with(json_answer(200, fixture("verify_ok").body))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/protected/json/users/new"))
        .respond_with(json_answer(200, fixture("users_new_ok").body))
        .mount(&server)
        .await;
    let client = builder(&server)
        .user_agent_suffix("my-app/1.2")
        .build()
        .unwrap();

    let verified = client
        .tokens()
        .verify(1635, "0012345")
        .send()
        .await
        .unwrap();
    assert_eq!(verified.token, "is valid");
    let user = client
        .users()
        .create("ada@example.com", "405-342-5699")
        .send()
        .await
        .unwrap();
    assert_eq!(user.id(), 1000);

    let sent = requests(&server).await;
    let get = &sent[0];
    assert!(get.body.is_empty(), "a GET carries no body");
    assert!(get.headers.get("content-type").is_none());
    assert!(
        !get.url.as_str().contains(KEY),
        "the key is never in the URL"
    );
    assert_eq!(
        get.headers["user-agent"],
        format!("authy-rust/{} my-app/1.2", env!("CARGO_PKG_VERSION")).as_str()
    );
    let post = &sent[1];
    assert_eq!(post.headers["content-type"], "application/json");
    assert_eq!(post.headers["x-authy-api-key"], KEY);
    assert_eq!(
        serde_json::from_slice::<Value>(&post.body).unwrap(),
        json!({"user":{"email":"ada@example.com","cellphone":"405-342-5699","country_code":1}})
    );
    assert!(post.url.query().is_none());
}

#[tokio::test]
async fn bad_input_never_reaches_the_network() {
    let server = MockServer::start().await;
    let client = client_for(&server);
    let refused = [
        client
            .tokens()
            .verify(1635, "12ab56")
            .send()
            .await
            .unwrap_err(),
        client.tokens().sms(0).send().await.unwrap_err(),
        client
            .onetouch()
            .send(1635, "x".repeat(201))
            .send()
            .await
            .unwrap_err(),
        client
            .users()
            .create("ada", "405-342-5699")
            .send()
            .await
            .unwrap_err(),
    ];
    for e in &refused {
        assert!(e.is_invalid_input(), "{e}");
        assert!(
            e.to_string().starts_with("nothing was sent: invalid "),
            "{e}"
        );
    }
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn a_base_url_keeps_its_path_prefix_and_drops_a_trailing_slash() {
    let server = MockServer::start().await;
    Mock::given(path("/authy/protected/json/app/details"))
        .respond_with(json_answer(200, fixture("app_details_ok").body))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder(KEY)
        .base_url(format!("{}/authy/", server.uri()))
        .build()
        .unwrap();
    assert_eq!(
        client.app().details().send().await.unwrap().app.name,
        "Sandbox App 2"
    );
    for bad in ["", "ftp://x", "api.authy.com", "https://api.authy.com/?a=1"] {
        let e = Client::builder(KEY).base_url(bad).build().unwrap_err();
        assert!(
            e.is_invalid_input() && e.to_string().contains("base_url"),
            "{bad}: {e}"
        );
    }
    assert!(
        Client::new("  ")
            .unwrap_err()
            .to_string()
            .contains("api_key")
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_and_safe_reads_are_tried_again() {
    let server = MockServer::start().await;
    Mock::given(path("/protected/json/app/details"))
        .respond_with(
            json_answer(200, fixture("app_details_ok").body).set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    Mock::given(path("/protected/json/sms/1635"))
        .respond_with(json_answer(200, fixture("sms_sent").body).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();

    let e = client.app().details().send().await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert_eq!(
        e.to_string(),
        "the Authy API did not answer app.details within 200ms"
    );
    assert_eq!(
        requests(&server).await.len(),
        3,
        "a safe read: the first try and two retries"
    );

    let e = client.tokens().sms(1635).send().await.unwrap_err();
    assert!(e.is_timeout());
    assert_eq!(
        requests(&server).await.len(),
        4,
        "an SMS is tried once: a repeat could text twice"
    );
}

#[tokio::test]
async fn an_outage_then_success_is_retried_for_reads_only() {
    let server = MockServer::start().await;
    for p in [
        "/protected/json/users/1635/status",
        "/protected/json/sms/1635",
    ] {
        Mock::given(path(p))
            .respond_with(ResponseTemplate::new(503).set_body_string("Service Unavailable"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(path("/protected/json/users/1635/status"))
        .respond_with(json_answer(200, fixture("users_status_ok").body))
        .mount(&server)
        .await;
    Mock::given(path("/protected/json/sms/1635"))
        .respond_with(json_answer(200, fixture("sms_sent").body))
        .mount(&server)
        .await;
    let client = client_for(&server);

    let status = client.users().status(1635).send().await.unwrap();
    assert_eq!(status.status.authy_id.get(), 290907);
    assert_eq!(requests(&server).await.len(), 2, "503 then 200");

    let e = client.tokens().sms(1635).send().await.unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert!(
        matches!(e, Error::Decode { .. }),
        "a plain-text 503 is not an Authy answer: {e}"
    );
    assert_eq!(requests(&server).await.len(), 3, "the SMS was not repeated");

    // With retries turned off, a read is tried once too.
    let once = builder(&server).retry(RetryPolicy::none()).build().unwrap();
    Mock::given(path("/protected/json/app/stats"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    assert!(once.app().stats().send().await.is_err());
}

#[tokio::test]
async fn a_503_that_is_an_authy_answer_is_not_retried() {
    let server = MockServer::start().await;
    let body = json!({"message":"SMS is not enabled","success":false,"errors":{"message":"SMS is not enabled"},"error_code":"60007"});
    Mock::given(path("/protected/json/app/details"))
        .respond_with(json_answer(503, body))
        .expect(1)
        .mount(&server)
        .await;
    let e = client_for(&server)
        .app()
        .details()
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), Some(&ErrorCode::SmsDisabled));
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_unless_that_is_too_long() {
    let server = MockServer::start().await;
    let limited = json!({"message":"DoS protection","success":false,"errors":{"message":"DoS protection"},"error_code":"60003"});
    Mock::given(path("/protected/json/app/stats"))
        .respond_with(json_answer(429, limited.clone()).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/protected/json/app/stats"))
        .respond_with(json_answer(200, fixture("app_stats_ok").body))
        .mount(&server)
        .await;
    Mock::given(path("/protected/json/app/details"))
        .respond_with(json_answer(429, limited).insert_header("Retry-After", "3600"))
        .mount(&server)
        .await;
    let client = client_for(&server);

    let started = Instant::now();
    let stats = client.app().stats().send().await.unwrap();
    assert_eq!(stats.stats.len(), 12);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited for Retry-After"
    );
    assert_eq!(requests(&server).await.len(), 2);

    let e = client.app().details().send().await.unwrap_err();
    assert!(
        e.is_rate_limited(),
        "an hour is longer than the 30 s cap: the 429 is the answer"
    );
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn html_pages_malformed_json_and_empty_bodies_are_decode_errors() {
    let server = MockServer::start().await;
    let cases = [
        (
            "/protected/json/sms/1",
            ResponseTemplate::new(502).set_body_raw(
                "<html><body><h1>502 Bad Gateway</h1></body></html>",
                "text/html",
            ),
            502,
        ),
        (
            "/protected/json/sms/2",
            ResponseTemplate::new(200)
                .set_body_raw("{\"success\":true,\"message\":", "application/json"),
            200,
        ),
        ("/protected/json/sms/3", ResponseTemplate::new(200), 200),
        ("/protected/json/sms/4", ResponseTemplate::new(500), 500),
        (
            "/protected/json/sms/5",
            ResponseTemplate::new(200).set_body_raw("[1,2,3]", "application/json"),
            200,
        ),
    ];
    for (p, answer, _) in &cases {
        Mock::given(path(*p))
            .respond_with(answer.clone())
            .mount(&server)
            .await;
    }
    let client = client_for(&server);
    for (id, (_, _, status)) in (1..).zip(cases.iter()) {
        match client.tokens().sms(id).send().await {
            Err(Error::Decode {
                endpoint,
                status: got,
                body,
                ..
            }) => {
                assert_eq!(
                    (endpoint, got.as_u16()),
                    ("tokens.sms", *status),
                    "case {id}"
                );
                if id == 1 {
                    assert!(body.starts_with("<html>"));
                }
            }
            other => panic!("case {id}: {other:?}"),
        }
    }
    // Content-Type is ignored: JSON sent as text/html is still read.
    Mock::given(path("/protected/json/sms/6"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            serde_json::to_vec(&fixture("sms_sent").body).unwrap(),
            "text/html",
        ))
        .mount(&server)
        .await;
    assert_eq!(
        client.tokens().sms(6).send().await.unwrap().message,
        "SMS token was sent"
    );
}

#[tokio::test]
async fn api_errors_carry_status_code_message_and_body() {
    let server = MockServer::start().await;
    Mock::given(path("/protected/json/verify/123456/1635"))
        .respond_with(json_answer(401, fixture("verify_invalid_60020").body))
        .mount(&server)
        .await;
    Mock::given(path("/protected/json/app/details"))
        .respond_with(json_answer(401, fixture("invalid_api_key_60001").body))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let e = client
        .tokens()
        .verify(1635, "123456")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_invalid_token() && !e.is_invalid_api_key());
    assert_eq!(
        e.to_string(),
        "Authy answered error 60020 (HTTP 401): Token is invalid"
    );
    let e = client.app().details().send().await.unwrap_err();
    assert!(e.is_invalid_api_key() && !e.is_invalid_token());
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder(KEY)
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    let e = client
        .tokens()
        .verify(1635, "0012345")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_transport(), "{e:?}");
    let text = format!("{e} {e:?}");
    assert!(!text.contains("0012345") && !text.contains(KEY), "{text}");
}

#[tokio::test]
async fn wait_for_approval_polls_until_the_user_answers() {
    let server = MockServer::start().await;
    let uuid = "dda2c400-bc43-0135-d7be-1285ca17e122";
    let status = |s: &str| {
        json_answer(
            200,
            json!({"approval_request":{"status":s,"uuid":uuid},"success":true}),
        )
    };
    Mock::given(path(format!("/onetouch/json/approval_requests/{uuid}")))
        .respond_with(status("pending"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path(format!("/onetouch/json/approval_requests/{uuid}")))
        .respond_with(status("approved"))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let last = client
        .onetouch()
        .wait_for_approval(uuid, Duration::from_secs(10), Duration::from_millis(10))
        .await
        .unwrap();
    assert_eq!(last.status, ApprovalStatus::Approved);
    assert_eq!(requests(&server).await.len(), 3);

    // Still pending when the wait ends: the last status is returned as pending.
    let other = "0b0f4e4c-0000-4000-8000-000000000000";
    Mock::given(path(format!("/onetouch/json/approval_requests/{other}")))
        .respond_with(json_answer(
            200,
            json!({"approval_request":{"status":"pending","uuid":other},"success":true}),
        ))
        .mount(&server)
        .await;
    let last = client
        .onetouch()
        .wait_for_approval(other, Duration::from_millis(100), Duration::from_millis(30))
        .await
        .unwrap();
    assert_eq!(last.status, ApprovalStatus::Pending);
    let polls = requests(&server).await.len() - 3;
    assert!(
        (2..=6).contains(&polls),
        "{polls} polls in 100 ms at a 30 ms interval"
    );

    // An error ends the wait.
    Mock::given(path("/onetouch/json/approval_requests/missing"))
        .respond_with(json_answer(
            404,
            fixture("onetouch_status_not_found_60049").body,
        ))
        .mount(&server)
        .await;
    let e = client
        .onetouch()
        .wait_for_approval(
            "missing",
            Duration::from_secs(10),
            Duration::from_millis(10),
        )
        .await
        .unwrap_err();
    assert!(e.is_not_found());
}

/// A `MakeWriter` that keeps everything logged, to search it afterwards.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every test's logs at TRACE level, in one buffer. A per-test (thread-scoped)
/// subscriber would miss events: tracing caches callsite interest globally, and
/// tests running in parallel on other threads race with it.
fn all_logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_writer(move || writer.clone())
            .init();
        logs
    })
}

#[tokio::test]
async fn traces_name_the_call_but_never_the_key_or_the_token() {
    let logs = all_logs();
    let server = MockServer::start().await;
    Mock::given(path("/protected/json/verify/0012345/4242"))
        .respond_with(json_answer(401, fixture("verify_invalid_60020").body))
        .mount(&server)
        .await;

    let client = client_for(&server);
    let e = client
        .tokens()
        .verify(4242, "0012345")
        .send()
        .await
        .unwrap_err();
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let closed = logged
        .lines()
        .find(|l| l.contains("authy.request") && l.contains("/4242") && l.contains("close"))
        .unwrap_or_else(|| panic!("no closed authy.request span for this call in:\n{logged}"));
    for field in [
        "call=\"tokens.verify\"",
        "method=GET",
        "path=/protected/json/verify/******/4242",
        "status=401",
        "attempts=1",
        "latency_ms=",
    ] {
        assert!(closed.contains(field), "{field} missing from {closed}");
    }
    // Nothing logged by any test so far, nor any Debug or error text, shows a key or a token.
    for shown in [
        logged.as_str(),
        &format!("{client:?}"),
        &format!("{e} {e:?}"),
    ] {
        assert!(!shown.contains(KEY), "key leaked: {shown}");
        assert!(!shown.contains("0012345"), "token leaked: {shown}");
    }
}

#[test]
fn the_blocking_client_makes_the_same_calls() {
    // wiremock needs a runtime of its own; the blocking client must run outside one.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(path("/protected/json/sms/1635"))
            .respond_with(json_answer(200, fixture("sms_ignored").body))
            .mount(&server)
            .await;
        Mock::given(path("/protected/json/verify/1234567/1635"))
            .respond_with(json_answer(401, fixture("verify_reused_60019").body))
            .mount(&server)
            .await;
        Mock::given(path("/onetouch/json/approval_requests/u-1"))
            .respond_with(json_answer(
                200,
                json!({"approval_request":{"status":"denied","uuid":"u-1"},"success":true}),
            ))
            .mount(&server)
            .await;
        Mock::given(path("/protected/json/app/stats"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(path("/protected/json/app/stats"))
            .respond_with(json_answer(200, fixture("app_stats_ok").body))
            .mount(&server)
            .await;
        server
    });
    let client = builder(&server).build_blocking().unwrap();

    let sent = client.tokens().sms(1635).send().unwrap();
    assert!(sent.ignored());
    assert_eq!(sent.device.as_deref(), Some("android"));
    let e = client.tokens().verify(1635, "1234567").send().unwrap_err();
    assert!(e.is_token_reused());
    let last = client
        .onetouch()
        .wait_for_approval("u-1", Duration::from_secs(1), Duration::from_millis(10))
        .unwrap();
    assert_eq!(last.status, ApprovalStatus::Denied);
    assert_eq!(
        client.app().stats().send().unwrap().stats.len(),
        12,
        "retried after the 503, as the async client does"
    );
    assert!(
        client
            .tokens()
            .verify(0, "1234567")
            .send()
            .unwrap_err()
            .is_invalid_input()
    );
    assert_eq!(runtime.block_on(requests(&server)).len(), 5);
}
