//! OneTouch approval requests and their signed callbacks (WIRE.md §3.16, §3.17, §9).

use std::time::Duration;

use authy::ErrorCode;
use authy::api::onetouch::{ApprovalStatus, LogoResolution};
use authy::callback::{CallbackRequest, CallbackVerifier};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Receiver, START, TestApp, spawn_app, spawn_app_with};

async fn approve(app: &TestApp, uuid: &str, body: Value) -> crate::support::Raw {
    app.post_json(&format!("/sandbox/approval_requests/{uuid}/approve"), &body)
        .await
}

#[tokio::test]
async fn a_request_goes_from_pending_to_approved_with_every_field() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    let created = app
        .client
        .onetouch()
        .send(id, "Log in to Example?")
        .detail("Account Number", "981266321")
        .hidden_detail("ip", "10.10.3.203")
        .logo(LogoResolution::Low, "https://example.com/low.png")
        .seconds_to_expire(120)
        .send()
        .await
        .unwrap();
    let uuid = created.uuid().to_owned();
    assert_eq!(uuid.len(), 36);
    assert_eq!(
        created.raw(),
        &json!({"approval_request":{"uuid": uuid},"success":true})
    );

    let pending = app
        .client
        .onetouch()
        .status(&uuid)
        .send()
        .await
        .unwrap()
        .approval_request;
    assert_eq!(
        (
            &pending.status,
            pending.seconds_to_expire,
            pending.processed_at.as_deref()
        ),
        (&ApprovalStatus::Pending, Some(120), None)
    );
    assert_eq!(
        (
            pending.authy_id,
            pending.user_email.as_deref(),
            pending.app_name.as_deref()
        ),
        (Some(id), Some("ada@example.com"), Some("Sandbox App"))
    );
    assert_eq!(
        (pending.created_at.as_deref(), pending.notified),
        (Some("2027-01-15T08:00:00Z"), Some(false))
    );
    for hex in [&pending.id, &pending.app_id, &pending.user_id] {
        let hex = hex.as_deref().unwrap();
        assert!(
            hex.len() == 24 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            "{hex}"
        );
    }
    let raw = app
        .get(&format!("/onetouch/json/approval_requests/{uuid}"))
        .await
        .json();
    let keys: Vec<_> = raw["approval_request"]
        .as_object()
        .unwrap()
        .keys()
        .take(14)
        .cloned()
        .collect();
    assert_eq!(
        keys,
        [
            "_app_name",
            "_app_serial_id",
            "_authy_id",
            "_id",
            "_user_email",
            "app_id",
            "created_at",
            "notified",
            "processed_at",
            "seconds_to_expire",
            "status",
            "updated_at",
            "user_id",
            "uuid"
        ]
    );
    assert_eq!(
        raw["approval_request"]["details"],
        json!({"Account Number":"981266321"})
    );

    app.advance(5);
    let approved = approve(&app, &uuid, json!({"device_details": {"model": "Pixel"}})).await;
    assert_eq!(approved.status, StatusCode::OK);
    assert_eq!(approved.json()["approval_request"]["status"], "approved");
    let done = app
        .client
        .onetouch()
        .status(&uuid)
        .send()
        .await
        .unwrap()
        .approval_request;
    assert_eq!(
        (
            &done.status,
            done.processed_at.as_deref(),
            done.updated_at.as_deref()
        ),
        (
            &ApprovalStatus::Approved,
            Some("2027-01-15T08:00:05Z"),
            Some("2027-01-15T08:00:05Z")
        )
    );
    let waited = app
        .client
        .onetouch()
        .wait_for_approval(&uuid, Duration::from_secs(5), Duration::from_millis(10))
        .await
        .unwrap();
    assert_eq!(waited.status, ApprovalStatus::Approved);

    // No second decision, either way.
    for verb in ["approve", "deny"] {
        let again = app
            .post_json(
                &format!("/sandbox/approval_requests/{uuid}/{verb}"),
                &json!({}),
            )
            .await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST);
        assert_eq!(again.json()["error_code"], "60054");
        assert_eq!(
            again.json()["message"],
            "Approval request is not pending: it is approved"
        );
    }
}

#[tokio::test]
async fn requests_expire_by_the_application_clock_and_zero_never_expires() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    let short = app
        .client
        .onetouch()
        .send(id, "m")
        .seconds_to_expire(60)
        .send()
        .await
        .unwrap()
        .uuid()
        .to_owned();
    let forever = app
        .client
        .onetouch()
        .send(id, "m")
        .seconds_to_expire(0)
        .send()
        .await
        .unwrap()
        .uuid()
        .to_owned();
    let default = app.approval_request(id).await;
    assert_eq!(
        app.client
            .onetouch()
            .status(&default)
            .send()
            .await
            .unwrap()
            .approval_request
            .seconds_to_expire,
        Some(86400)
    );

    app.post_json("/sandbox/clock", &json!({"advance_seconds": 3600}))
        .await;
    let expired = app
        .client
        .onetouch()
        .status(&short)
        .send()
        .await
        .unwrap()
        .approval_request;
    assert_eq!(expired.status, ApprovalStatus::Expired);
    assert_eq!(
        expired.processed_at.as_deref(),
        Some("2027-01-15T09:00:00Z"),
        "when the expiry was first noticed"
    );
    assert_eq!(
        expired.seconds_to_expire,
        Some(60),
        "the TTL as created, not what remains"
    );
    assert_eq!(
        approve(&app, &short, json!({})).await.json()["message"],
        "Approval request is not pending: it is expired"
    );

    app.post_json("/sandbox/clock", &json!({"advance_seconds": 10 * 86400}))
        .await;
    assert_eq!(
        app.client
            .onetouch()
            .status(&forever)
            .send()
            .await
            .unwrap()
            .approval_request
            .status,
        ApprovalStatus::Pending
    );
    assert_eq!(
        app.client
            .onetouch()
            .status(&default)
            .send()
            .await
            .unwrap()
            .approval_request
            .status,
        ApprovalStatus::Expired
    );
    let denied = app
        .post_json(
            &format!("/sandbox/approval_requests/{forever}/deny"),
            &json!({}),
        )
        .await;
    assert_eq!(denied.json()["approval_request"]["status"], "denied");
}

#[tokio::test]
async fn unknown_foreign_and_invalid_requests_are_refused() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    let uuid = app.approval_request(id).await;
    let missing = app
        .get("/onetouch/json/approval_requests/3f05a350-4b2c-0136-f779-12c0c2bf9easd")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.text,
        r#"{"message":"Approval request not found: 3f05a350-4b2c-0136-f779-12c0c2bf9easd","success":false,"errors":{},"error_code":"60049"}"#
    );
    // The other application can neither read nor answer it.
    let other = app.other_client();
    assert!(
        other
            .onetouch()
            .status(&uuid)
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
    let foreign = app
        .raw_with_key(
            Some(&app.other_key),
            Method::POST,
            &format!("/sandbox/approval_requests/{uuid}/approve"),
            None,
            "",
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert!(
        other
            .onetouch()
            .send(id, "m")
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );

    let path = format!("/onetouch/json/users/{id}/approval_requests");
    let cases = [
        (
            json!({}),
            "Invalid parameter: message - Parameter is required",
        ),
        (
            json!({"message":"m","seconds_to_expire":-1}),
            "Invalid parameter: seconds_to_expire - '-1' is not a valid value",
        ),
        (
            json!({"message":"m","seconds_to_expire":"soon"}),
            "Invalid parameter: seconds_to_expire - 'soon' is not a valid Integer",
        ),
        (
            json!({"message":"m","logos":[{"res":"huge","url":"u"}]}),
            "Invalid parameter: logos - res 'huge' is not one of default, low, med, high",
        ),
        (
            json!({"message":"m","logos":"x"}),
            "Invalid parameter: logos - '\"x\"' is not a valid value",
        ),
        (
            json!({"message":"m","details":{"a":{"b":"c"}}}),
            "Invalid parameter: details - '{\"b\":\"c\"}' is not a valid value for a",
        ),
        (
            json!({"message":"x".repeat(4097)}),
            "Invalid parameter: message - is longer than 4096 characters",
        ),
    ];
    for (body, message) in cases {
        let answer = app.post_json(&path, &body).await;
        assert_eq!(
            (answer.status, answer.json()["message"].as_str().unwrap()),
            (StatusCode::BAD_REQUEST, message),
            "{body}"
        );
    }
    app.put_json("/sandbox/app", &json!({"onetouch_enabled": false}))
        .await;
    let e = app
        .client
        .onetouch()
        .send(id, "m")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (e.status(), e.error_code()),
        (
            Some(StatusCode::FORBIDDEN),
            Some(&ErrorCode::OneTouchDisabled)
        )
    );
}

#[tokio::test]
async fn ruby_php_and_python_encodings_create_the_same_request() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    let path = format!("/onetouch/json/users/{id}/approval_requests");
    let expected_logos =
        json!([{"res":"low","url":"http://foo.bar/l"},{"res":"high","url":"http://foo.bar/h"}]);
    let ruby = app
        .raw(Method::POST, &path, Some("application/x-www-form-urlencoded"), "message=Hi&details[Bank+account]=123&hidden_details[IP+Address]=1.2.3.4&logos[][res]=low&logos[][url]=http%3A%2F%2Ffoo.bar%2Fl&logos[][res]=high&logos[][url]=http%3A%2F%2Ffoo.bar%2Fh&seconds_to_expire=150")
        .await;
    let php = app
        .raw(Method::POST, &format!("{path}?message=Hi&details[Bank%20account]=123&hidden_details[IP%20Address]=1.2.3.4&logos[1][res]=high&logos[0][res]=low&logos[0][url]=http://foo.bar/l&logos[1][url]=http://foo.bar/h&seconds_to_expire=150"), None, "")
        .await;
    // authy-python always sends all five keys; null, {} and [] mean "absent".
    let python = app.post_json(&path, &json!({"message":"Hi","seconds_to_expire":null,"details":{},"hidden_details":{},"logos":[]})).await;
    for (client, answer) in [("ruby", &ruby), ("php", &php)] {
        let uuid = answer.json()["approval_request"]["uuid"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = app
            .get(&format!("/onetouch/json/approval_requests/{uuid}"))
            .await
            .json()["approval_request"]
            .clone();
        assert_eq!(
            (r["details"].clone(), r["hidden_details"].clone()),
            (
                json!({"Bank account":"123"}),
                json!({"IP Address":"1.2.3.4"})
            ),
            "{client}"
        );
        assert_eq!(
            (r["logos"].clone(), r["seconds_to_expire"].as_i64()),
            (expected_logos.clone(), Some(150)),
            "{client}"
        );
    }
    let uuid = python.json()["approval_request"]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .get(&format!("/onetouch/json/approval_requests/{uuid}"))
        .await
        .json()["approval_request"]
        .clone();
    assert_eq!(
        (
            r["details"].clone(),
            r["logos"].clone(),
            r["seconds_to_expire"].as_i64()
        ),
        (Value::Null, Value::Null, Some(86400))
    );
}

/// Checks a received callback with the client library's verifier.
fn verify(
    app: &TestApp,
    url: &str,
    r: &crate::support::Received,
) -> Result<(), authy::callback::SignatureError> {
    let full_url = format!("{}{}", url.split("/authy/").next().unwrap(), r.uri);
    let request = CallbackRequest {
        method: &r.method,
        url: &full_url,
        signature: r.signature.as_deref(),
        nonce: r.nonce.as_deref(),
        body: &r.body,
    };
    CallbackVerifier::new(app.key.clone()).verify(&request)
}

#[tokio::test]
async fn decisions_are_posted_signed_to_the_callback_url() {
    let app = spawn_app().await;
    let receiver = Receiver::start(vec![200]).await;
    app.put_json(
        "/sandbox/app",
        &json!({"onetouch_callback_url": receiver.url}),
    )
    .await;
    let id = app.user("ada@example.com", "4053425699").await;
    app.post_json(
        &format!("/sandbox/users/{id}/devices"),
        &json!({"os_type":"ios"}),
    )
    .await;
    let uuid = app
        .client
        .onetouch()
        .send(id, "Transfer 42 EUR?")
        .detail("Account Number", "981266321")
        .detail("Process ID", "1234")
        .hidden_detail("IP Address", "10.0.0.1")
        .logo(LogoResolution::Default, "https://example.com/d.png")
        .send()
        .await
        .unwrap()
        .uuid()
        .to_owned();
    assert_eq!(
        app.client
            .onetouch()
            .status(&uuid)
            .send()
            .await
            .unwrap()
            .approval_request
            .notified,
        Some(true)
    );
    approve(
        &app,
        &uuid,
        json!({"device_details": {"Model": "iPhone 15", "os": "iOS 19"}}),
    )
    .await;

    let got = receiver.wait_for(1).await;
    let callback = &got[0];
    assert_eq!(
        (callback.method.as_str(), callback.uri.as_str()),
        ("POST", "/authy/callback")
    );
    verify(&app, &receiver.url, callback).expect("our own verifier accepts it");
    let body: Value = serde_json::from_slice(&callback.body).unwrap();
    assert_eq!(
        (
            body["status"].as_str(),
            body["uuid"].as_str(),
            body["authy_id"].as_u64()
        ),
        (Some("approved"), Some(uuid.as_str()), Some(id))
    );
    assert_eq!(body["callback_action"], "approval_request_status");
    assert!(
        body["device_uuid"].is_string(),
        "authy-client requires a string"
    );
    let t = &body["approval_request"]["transaction"];
    assert_eq!(
        t["details"],
        json!({"Account Number":"981266321","Process ID":"1234"})
    );
    assert_eq!(
        t["device_details"],
        json!({"Model":"iPhone 15","os":"iOS 19"})
    );
    assert_eq!(
        (
            t["created_at_time"].as_i64(),
            t["device_signing_time"].as_i64()
        ),
        (Some(START), Some(START))
    );
    assert_eq!(
        body["approval_request"]["expiration_timestamp"].as_i64(),
        Some(START + 86400)
    );
    assert_eq!(body["device"]["os_type"], "ios");
    assert_eq!(body["signature"].as_str().unwrap().len(), 344);

    // Tampering is caught by the same verifier.
    let mut forged = callback.clone();
    forged.body = String::from_utf8(callback.body.clone())
        .unwrap()
        .replace("approved", "denied")
        .into_bytes();
    assert!(verify(&app, &receiver.url, &forged).is_err());

    // The sandbox log shows the delivery.
    let log = app.get("/sandbox/callbacks").await.json();
    let entry = &log["callbacks"][0];
    assert_eq!(
        (
            entry["status"].as_str(),
            entry["attempts"].as_i64(),
            entry["response_status"].as_i64()
        ),
        (Some("delivered"), Some(1), Some(200))
    );
    assert_eq!(
        (entry["signature"].as_str(), entry["nonce"].as_str()),
        (callback.signature.as_deref(), callback.nonce.as_deref())
    );
    assert_eq!(entry["body"], body);
    let other = app
        .raw_with_key(
            Some(&app.other_key),
            Method::GET,
            "/sandbox/callbacks",
            None,
            "",
        )
        .await
        .json();
    assert_eq!(other["callbacks"], json!([]));
}

#[tokio::test]
async fn get_callbacks_carry_the_canonical_query_and_verify() {
    let app = spawn_app().await;
    let receiver = Receiver::start(vec![204]).await;
    app.put_json(
        "/sandbox/app",
        &json!({"onetouch_callback_url": receiver.url, "onetouch_callback_method": "get"}),
    )
    .await;
    let id = app.user("ada@example.com", "4053425699").await;
    let uuid = app
        .client
        .onetouch()
        .send(id, "Hi there")
        .detail("Location", "Lisbon")
        .send()
        .await
        .unwrap()
        .uuid()
        .to_owned();
    app.post_json(
        &format!("/sandbox/approval_requests/{uuid}/deny"),
        &json!({}),
    )
    .await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].method, "GET");
    assert!(got[0].body.is_empty());
    assert!(
        got[0]
            .uri
            .contains("approval_request%5Btransaction%5D%5Bdetails%5D%5BLocation%5D=Lisbon"),
        "{}",
        got[0].uri
    );
    assert!(got[0].uri.contains("&status=denied&"), "{}", got[0].uri);
    verify(&app, &receiver.url, &got[0]).expect("GET callbacks verify too");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_then_given_up_and_a_slow_one_times_out() {
    let app = spawn_app_with(|c| {
        c.callbacks.retry_delays = vec![Duration::ZERO, Duration::ZERO];
        c.callbacks.timeout = Duration::from_millis(500);
    })
    .await;
    let receiver = Receiver::start(vec![500, 503, 200]).await;
    app.put_json(
        "/sandbox/app",
        &json!({"onetouch_callback_url": receiver.url}),
    )
    .await;
    let id = app.user("ada@example.com", "4053425699").await;
    let uuid = app.approval_request(id).await;
    approve(&app, &uuid, json!({})).await;
    let got = receiver.wait_for(3).await;
    assert_eq!(got.len(), 3);
    // Each attempt is signed afresh, and each signature verifies.
    for attempt in &got {
        verify(&app, &receiver.url, attempt).unwrap();
    }
    wait_for_status(&app, "delivered").await;
    let entry = app.get("/sandbox/callbacks").await.json()["callbacks"][0].clone();
    assert_eq!(
        (
            entry["attempts"].as_i64(),
            entry["response_status"].as_i64()
        ),
        (Some(3), Some(200))
    );

    // Always failing: three attempts, then "failed".
    let broken = Receiver::start(vec![500]).await;
    app.put_json(
        "/sandbox/app",
        &json!({"onetouch_callback_url": broken.url}),
    )
    .await;
    let uuid = app.approval_request(id).await;
    approve(&app, &uuid, json!({})).await;
    broken.wait_for(3).await;
    wait_for_status(&app, "failed").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        broken.received.lock().unwrap().len(),
        3,
        "no fourth attempt"
    );

    // Nobody listening at all: recorded as failed, without a response status.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    app.put_json(
        "/sandbox/app",
        &json!({"onetouch_callback_url": format!("http://{closed}/cb")}),
    )
    .await;
    let uuid = app.approval_request(id).await;
    approve(&app, &uuid, json!({})).await;
    wait_for_status(&app, "failed").await;
    let entry = app.get("/sandbox/callbacks").await.json()["callbacks"][0].clone();
    assert_eq!(
        (entry["attempts"].as_i64(), entry["response_status"].clone()),
        (Some(3), Value::Null)
    );
}

/// Waits until the newest callback has `status`.
async fn wait_for_status(app: &TestApp, status: &str) {
    for _ in 0..200 {
        let log = app.get("/sandbox/callbacks").await.json();
        if log["callbacks"][0]["status"] == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "callback never became {status}: {}",
        app.get("/sandbox/callbacks").await.text
    );
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_is_tried_again() {
    let app = spawn_app_with(|c| {
        c.callbacks.retry_delays = vec![Duration::ZERO];
        c.callbacks.timeout = Duration::from_millis(300);
    })
    .await;
    let receiver = Receiver::start_slow(vec![200], Duration::from_secs(3)).await;
    app.put_json(
        "/sandbox/app",
        &json!({"onetouch_callback_url": receiver.url}),
    )
    .await;
    let id = app.user("ada@example.com", "4053425699").await;
    let uuid = app.approval_request(id).await;
    approve(&app, &uuid, json!({})).await;
    wait_for_status(&app, "delivered").await;
    let entry = app.get("/sandbox/callbacks").await.json()["callbacks"][0].clone();
    assert_eq!(
        entry["attempts"], 2,
        "the first attempt timed out after 300 ms"
    );
    assert_eq!(receiver.received.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_queued_callback_is_delivered_after_a_restart() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("restart-callbacks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}/authy.db", dir.display());
    let receiver = Receiver::start(vec![503, 200]).await;

    let first = spawn_app_with(|c| {
        c.database_url = database.clone();
        c.callbacks.retry_delays = vec![Duration::from_secs(1)];
    })
    .await;
    first
        .put_json(
            "/sandbox/app",
            &json!({"onetouch_callback_url": receiver.url}),
        )
        .await;
    let id = first.user("ada@example.com", "4053425699").await;
    let uuid = first.approval_request(id).await;
    approve(&first, &uuid, json!({})).await;
    wait_for_status(&first, "retrying").await;
    drop(first); // the server stops with the callback still queued

    let second = spawn_app_with(|c| c.database_url = database.clone()).await;
    wait_for_status(&second, "delivered").await;
    let got = receiver.wait_for(2).await;
    assert_eq!(got.len(), 2);
    verify(&second, &receiver.url, &got[1]).unwrap();
    let body: Value = serde_json::from_slice(&got[1].body).unwrap();
    assert_eq!(body["uuid"], uuid.as_str());
}
