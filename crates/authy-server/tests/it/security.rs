//! Guessing, replay and spam limits (WIRE.md §8.5; issue 6). Each test fails
//! when its protection is removed.

use authy::api::phones::Via;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, spawn_app, spawn_app_with, wrong};

#[tokio::test]
async fn five_failed_verifications_lock_the_user_for_the_window_and_a_success_does_not_reset_it() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    app.client.tokens().sms(id).send().await.unwrap();
    let code = app.last_code(id).await;
    let bad = wrong(&code);
    for _ in 0..3 {
        assert!(
            app.verify(id, bad.as_str())
                .await
                .unwrap_err()
                .is_invalid_token()
        );
    }
    // The user's own success in between does not wipe the attacker's failures.
    app.verify(id, code.as_str()).await.unwrap();
    for _ in 0..2 {
        assert!(
            app.verify(id, bad.as_str())
                .await
                .unwrap_err()
                .is_invalid_token()
        );
    }
    app.client.tokens().sms(id).send().await.unwrap();
    let fresh = app.last_code(id).await;
    let locked = app
        .get(&format!("/protected/json/verify/{fresh}/{id}"))
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.json()["error_code"], "60003");
    assert_eq!(locked.json()["message"], "DoS protection");
    // Malformed tokens are guesses too, and are refused the same way.
    assert_eq!(
        app.get(&format!("/protected/json/verify/12/{id}"))
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Retry-After says when the oldest failure leaves the ten-minute window.
    let raw = reqwest::Client::new()
        .get(format!("{}/protected/json/verify/{fresh}/{id}", app.url))
        .header("X-Authy-API-Key", &app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.headers()["retry-after"], "600");
    app.advance(200);
    let e = app.verify(id, fresh.as_str()).await.unwrap_err();
    assert!(e.is_rate_limited(), "still locked 200 s later: {e}");
    app.advance(401);
    // The window has passed (and that code has expired): a new code verifies.
    app.client.tokens().sms(id).send().await.unwrap();
    let newest = app.last_code(id).await;
    app.verify(id, newest.as_str()).await.unwrap();
}

#[tokio::test]
async fn parallel_guesses_cannot_exceed_the_limit() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    let guesses = (0..20).map(|i| {
        let client = app.client.clone();
        tokio::spawn(async move {
            client
                .tokens()
                .verify(id, format!("{:07}", 1_000_000 + i))
                .send()
                .await
        })
    });
    let mut checked = 0;
    let mut limited = 0;
    for guess in guesses {
        match guess.await.unwrap() {
            Err(e) if e.is_rate_limited() => limited += 1,
            Err(e) if e.is_invalid_token() => checked += 1,
            other => panic!("{other:?}"),
        }
    }
    assert!(
        checked <= 5,
        "{checked} guesses were checked, the limit is 5"
    );
    assert_eq!(checked + limited, 20);
    assert!(limited >= 15);
}

#[tokio::test]
async fn parallel_wrong_checks_of_a_phone_verification_stop_at_five() {
    let app = spawn_app().await;
    app.client
        .phones()
        .start(Via::Sms, 1, "201-555-0123")
        .send()
        .await
        .unwrap();
    let inbox = app.get("/sandbox/messages?limit=1").await.json();
    let code = inbox["messages"][0]["code"].as_str().unwrap().to_owned();
    let guesses = (0..20).map(|_| {
        let client = app.client.clone();
        let bad = wrong(&code);
        tokio::spawn(async move { client.phones().check(1, "2015550123", bad).send().await })
    });
    let (mut incorrect, mut limited) = (0, 0);
    for guess in guesses {
        match guess.await.unwrap() {
            Err(e) if e.is_incorrect_verification_code() => incorrect += 1,
            Err(e) if e.is_rate_limited() => limited += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((incorrect, limited), (5, 15));
    assert!(
        app.client
            .phones()
            .check(1, "2015550123", code.as_str())
            .send()
            .await
            .unwrap_err()
            .is_rate_limited()
    );
}

#[tokio::test]
async fn an_authy_app_code_verifies_once_even_in_parallel() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    app.post_json(&format!("/sandbox/users/{id}/devices"), &json!({}))
        .await;
    let code = app.totp(id).await;
    let attempts = (0..8).map(|_| {
        let client = app.client.clone();
        let code = code.clone();
        tokio::spawn(async move { client.tokens().verify(id, code).send().await })
    });
    let mut ok = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert!(e.is_token_reused() || e.is_rate_limited(), "{e}"),
        }
    }
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn a_locked_user_is_refused_even_with_a_valid_authy_app_code() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    app.post_json(&format!("/sandbox/users/{id}/devices"), &json!({}))
        .await;
    let code = app.totp(id).await;
    let bad = wrong(&code);
    for _ in 0..5 {
        let e = app.verify(id, bad.as_str()).await;
        assert!(e.unwrap_err().is_invalid_token());
    }
    let locked = app
        .get(&format!("/protected/json/verify/{code}/{id}"))
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    // Once the failures leave the window, the user's codes are good again.
    app.advance(601);
    let code_now = app.totp(id).await;
    app.verify(id, code_now.as_str()).await.unwrap();
}

async fn sms_status(app: &TestApp, id: u64) -> StatusCode {
    app.get(&format!("/protected/json/sms/{id}?force=true"))
        .await
        .status
}

#[tokio::test]
async fn sends_are_bounded_per_phone_and_per_application() {
    let app = spawn_app_with(|c| c.limits.sends_per_app = 15).await;
    let a = app.user("a@example.com", "4053425601").await;
    let b = app.user("b@example.com", "4053425602").await;
    for _ in 0..10 {
        assert_eq!(sms_status(&app, a).await, StatusCode::OK);
    }
    let limited = app.get(&format!("/protected/json/call/{a}")).await;
    assert_eq!(
        (limited.status, limited.json()["error_code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("60003"))
    );
    // Phone verification of the same number counts too.
    let e = app
        .client
        .phones()
        .start(Via::Sms, 1, "405-342-5601")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_rate_limited());
    // Another phone is fine, until the application's own budget (15) is spent.
    for _ in 0..5 {
        assert_eq!(sms_status(&app, b).await, StatusCode::OK);
    }
    assert_eq!(sms_status(&app, b).await, StatusCode::TOO_MANY_REQUESTS);
    // An hour later both budgets are back.
    app.advance(3601);
    assert_eq!(sms_status(&app, a).await, StatusCode::OK);
    assert_eq!(sms_status(&app, b).await, StatusCode::OK);
    // The limit belongs to this application: the other one sends freely.
    let other = app
        .other_client()
        .users()
        .create("a@example.com", "4053425601")
        .send()
        .await
        .unwrap()
        .id();
    assert!(app.other_client().tokens().sms(other).send().await.is_ok());
}

#[tokio::test]
async fn limits_can_be_turned_off() {
    let app = spawn_app_with(|c| {
        c.limits.verify_failures = 0;
        c.limits.sends_per_phone = 0;
    })
    .await;
    let id = app.user("a@example.com", "4053425601").await;
    for _ in 0..12 {
        assert_eq!(sms_status(&app, id).await, StatusCode::OK);
    }
    let code = app.last_code(id).await;
    for _ in 0..8 {
        assert!(
            app.verify(id, wrong(&code))
                .await
                .unwrap_err()
                .is_invalid_token()
        );
    }
    app.verify(id, code).await.unwrap();
}

/// Opens a request whose body never finishes: it holds one in-flight slot.
async fn hold_a_slot(app: &TestApp) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt as _;
    let address = app.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /protected/json/users/new HTTP/1.1\r\nHost: {address}\r\nX-Authy-API-Key: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{",
        app.key
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test]
async fn overload_is_shed_with_429_instead_of_queued() {
    let app = spawn_app_with(|c| c.max_in_flight = 2).await;
    let first = hold_a_slot(&app).await;
    let second = hold_a_slot(&app).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let shed = reqwest::Client::new()
        .get(format!("{}/protected/json/app/details", app.url))
        .header("X-Authy-API-Key", &app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(shed.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(shed.headers()["retry-after"], "1");
    let body: serde_json::Value = shed.json().await.unwrap();
    assert_eq!(
        (body["error_code"].as_str(), body["message"].as_str()),
        (Some("60003"), Some("DoS protection"))
    );
    // The slots free up when those requests end; the server answers again.
    drop((first, second));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        app.get("/protected/json/app/details").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_route_needs_a_key_and_no_application_sees_another() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    app.client
        .tokens()
        .sms(id)
        .force(true)
        .send()
        .await
        .unwrap();
    app.post_json(&format!("/sandbox/users/{id}/devices"), &json!({}))
        .await;
    let uuid = app
        .client
        .onetouch()
        .send(id, "m")
        .send()
        .await
        .unwrap()
        .uuid()
        .to_owned();
    app.client
        .phones()
        .start(Via::Sms, 1, "201-555-0123")
        .send()
        .await
        .unwrap();
    let code = app.last_code(id).await;
    let routes: Vec<(reqwest::Method, String)> = [
        ("POST", "/protected/json/users/new".to_owned()),
        ("GET", format!("/protected/json/users/{id}/status")),
        ("POST", format!("/protected/json/users/{id}/remove")),
        ("POST", format!("/protected/json/users/{id}/delete")),
        ("POST", format!("/protected/json/users/delete/{id}")),
        ("POST", format!("/protected/json/users/{id}/update")),
        ("POST", format!("/protected/json/users/{id}/register_activity")),
        ("POST", format!("/protected/json/users/{id}/secret")),
        ("GET", "/protected/json/registrations/status?custom_user_id=x".to_owned()),
        ("GET", format!("/protected/json/sms/{id}")),
        ("GET", format!("/protected/json/call/{id}")),
        ("POST", format!("/protected/json/email/{id}")),
        ("GET", format!("/protected/json/verify/{code}/{id}")),
        ("GET", "/protected/json/app/details".to_owned()),
        ("GET", "/protected/json/app/stats".to_owned()),
        ("POST", "/protected/json/phones/verification/start".to_owned()),
        ("GET", format!("/protected/json/phones/verification/check?country_code=1&phone_number=2015550123&verification_code={code}")),
        ("GET", "/protected/json/phones/verification/status?country_code=1&phone_number=2015550123".to_owned()),
        ("GET", "/protected/json/phones/info?country_code=1&phone_number=2015550123".to_owned()),
        ("POST", format!("/onetouch/json/users/{id}/approval_requests")),
        ("GET", format!("/onetouch/json/approval_requests/{uuid}")),
        ("GET", "/sandbox/messages".to_owned()),
        ("GET", format!("/sandbox/users/{id}/totp")),
        ("POST", format!("/sandbox/users/{id}/devices")),
        ("POST", format!("/sandbox/approval_requests/{uuid}/approve")),
        ("POST", format!("/sandbox/approval_requests/{uuid}/deny")),
        ("GET", "/sandbox/callbacks".to_owned()),
        ("GET", "/sandbox/app".to_owned()),
        ("PUT", "/sandbox/app".to_owned()),
        ("GET", "/sandbox/clock".to_owned()),
        ("POST", "/sandbox/clock".to_owned()),
        ("POST", "/sandbox/reset".to_owned()),
    ]
    .into_iter()
    .map(|(m, p)| (reqwest::Method::from_bytes(m.as_bytes()).unwrap(), p))
    .collect();

    // No key, an empty key, a wrong key: 60001 everywhere, whatever exists.
    for (method, path) in &routes {
        for key in [None, Some(""), Some("not-a-key")] {
            let answer = app
                .raw_with_key(key, method.clone(), path, Some("application/json"), "{}")
                .await;
            assert_eq!(
                (answer.status, answer.json()["error_code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("60001")),
                "{method} {path} with {key:?}"
            );
        }
    }

    // The other application: nothing of the first is found, listed or changed.
    let other = Some(app.other_key.as_str());
    for (method, path) in &routes {
        let answer = app
            .raw_with_key(other, method.clone(), path, Some("application/json"), "{}")
            .await;
        let text = &answer.text;
        // What the caller sent may be echoed (60049 names the uuid asked for); nothing else.
        for secret in [
            code.as_str(),
            uuid.as_str(),
            "XXX-XXX-5699",
            "ada@example.com",
        ]
        .into_iter()
        .filter(|s| !path.contains(s))
        {
            assert!(
                !text.contains(secret),
                "{method} {path} revealed {secret}: {text}"
            );
        }
        if path.contains(&format!("/{id}"))
            || path.contains(&uuid)
            || path.contains("verification_code")
        {
            assert!(
                matches!(answer.status.as_u16(), 400 | 404),
                "{method} {path}: {} {text}",
                answer.status
            );
        }
    }
    // ...and the first application's data is all still there.
    assert!(
        app.client
            .users()
            .status(id)
            .send()
            .await
            .unwrap()
            .status
            .registered
    );
    assert_eq!(
        app.client
            .onetouch()
            .status(&uuid)
            .send()
            .await
            .unwrap()
            .approval_request
            .status
            .as_str(),
        "pending"
    );
    assert_eq!(
        app.client
            .phones()
            .status(1, "2015550123")
            .send()
            .await
            .unwrap()
            .status,
        "pending"
    );
    assert_eq!(
        app.get("/sandbox/messages").await.json()["messages"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
