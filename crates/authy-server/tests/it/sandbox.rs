//! The sandbox control API (SANDBOX.md §3).

use std::sync::Arc;

use authy_server::clock::FakeClock;
use authy_server::crypto::Crypto;
use authy_server::db::Db;
use authy_server::{AppState, Mode};
use axum::body::Body;
use axum::http::Request;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tower::ServiceExt as _;

use crate::support::spawn_app;

#[tokio::test]
async fn messages_are_filtered_newest_first_and_scoped_to_the_application() {
    let app = spawn_app().await;
    let a = app.user("a@example.com", "4053425601").await;
    let b = app.user("b@example.com", "4053425602").await;
    app.client.tokens().sms(a).send().await.unwrap();
    app.client.tokens().call(b).send().await.unwrap();
    app.client.tokens().sms(b).action("x").send().await.unwrap();

    let all = app.get("/sandbox/messages").await.json();
    let list = all["messages"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["authy_id"], b, "newest first");
    assert_eq!(list[2]["authy_id"], a);
    let m = &list[2];
    for key in [
        "id",
        "channel",
        "to",
        "authy_id",
        "code",
        "text",
        "kind",
        "locale",
        "created_at",
    ] {
        assert!(m.get(key).is_some(), "{key} in {m}");
    }
    assert_eq!(m["created_at"], "2027-01-15T08:00:00Z");
    assert_eq!(m["kind"], "token");

    let count = |q: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/sandbox/messages{q}")).await.json()["messages"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(count("?channel=call").await, 1);
    assert_eq!(count("?channel=sms").await, 2);
    assert_eq!(count("?phone_number=405-342-5602&country_code=1").await, 2);
    assert_eq!(count("?country_code=44").await, 0);
    assert_eq!(count("?limit=1").await, 1);
    assert_eq!(
        app.get("/sandbox/messages?channel=fax").await.json()["error_code"],
        "60004"
    );

    // The other application sees none of it, and cannot read this app's users.
    let other = app
        .raw_with_key(
            Some(&app.other_key),
            Method::GET,
            "/sandbox/messages",
            None,
            "",
        )
        .await
        .json();
    assert_eq!(other["messages"], json!([]));
    let other_totp = app
        .raw_with_key(
            Some(&app.other_key),
            Method::GET,
            &format!("/sandbox/users/{a}/totp"),
            None,
            "",
        )
        .await;
    assert_eq!(other_totp.status, StatusCode::NOT_FOUND);
    let unauthenticated = app
        .raw_with_key(None, Method::GET, "/sandbox/messages", None, "")
        .await;
    assert_eq!(unauthenticated.json()["error_code"], "60001");
}

#[tokio::test]
async fn totp_needs_an_enrolled_app() {
    let app = spawn_app().await;
    let id = app.user("a@example.com", "4053425601").await;
    let none = app.get(&format!("/sandbox/users/{id}/totp")).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert!(
        none.json()["message"]
            .as_str()
            .unwrap()
            .contains("no Authy app")
    );
    assert_eq!(
        app.get("/sandbox/users/999/totp").await.status,
        StatusCode::NOT_FOUND
    );
    let device = app
        .post_json(
            &format!("/sandbox/users/{id}/devices"),
            &json!({"os_type":"authy_desktop"}),
        )
        .await
        .json();
    assert_eq!(device["device"]["os_type"], "authy_desktop");
    assert!(
        device["uri"]
            .as_str()
            .unwrap()
            .contains("&digits=7&period=10")
    );
    let totp = app.get(&format!("/sandbox/users/{id}/totp")).await.json();
    assert_eq!(totp["seconds_remaining"], 10, "START is a multiple of 10");
    let bad = app
        .post_json(
            &format!("/sandbox/users/{id}/devices"),
            &json!({"os_type":"nokia"}),
        )
        .await;
    assert_eq!(
        bad.json()["message"],
        "Invalid parameter: os_type - 'nokia' is not a valid value"
    );
}

#[tokio::test]
async fn app_settings_are_read_changed_and_validated() {
    let app = spawn_app().await;
    let before = app.get("/sandbox/app").await.json();
    assert_eq!(before["app"]["token_length"], 7);
    assert_eq!(before["app"]["onetouch_callback_url"], json!(null));
    let after = app
        .put_json("/sandbox/app", &json!({"name":"Shop","token_length":6,"onetouch_callback_url":"https://example.com/cb","sms_enabled":"false"}))
        .await
        .json();
    assert_eq!(after["app"]["name"], "Shop");
    assert_eq!(after["app"]["token_length"], 6);
    assert_eq!(after["app"]["sms_enabled"], false);
    assert_eq!(after["app"]["phone_calls_enabled"], true, "untouched");
    assert_eq!(app.get("/sandbox/app").await.json(), after);
    // Token length is honoured by new codes; the app name by message texts.
    let id = app.user("a@example.com", "4053425601").await;
    app.client.tokens().call(id).send().await.unwrap();
    assert_eq!(app.last_code(id).await.len(), 6);
    assert!(
        app.get("/sandbox/messages").await.json()["messages"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Your Shop code is")
    );
    for bad in [
        json!({"token_length": 9}),
        json!({"token_length": "seven"}),
        json!({"sms_enabled": "perhaps"}),
        json!({"onetouch_callback_url": "ftp://x"}),
    ] {
        let answer = app.put_json("/sandbox/app", &bad).await;
        assert_eq!(
            (answer.status, answer.json()["error_code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("60004")),
            "{bad}"
        );
    }
    assert_eq!(
        app.get("/sandbox/app").await.json(),
        after,
        "refused changes changed nothing"
    );
}

#[tokio::test]
async fn the_clock_moves_forward_per_application_and_reset_clears_everything() {
    let app = spawn_app().await;
    assert_eq!(
        app.get("/sandbox/clock").await.json(),
        json!({"offset_seconds":0,"now":"2027-01-15T08:00:00Z","success":true})
    );
    let moved = app
        .post_json("/sandbox/clock", &json!({"advance_seconds": 3600}))
        .await
        .json();
    assert_eq!(moved["now"], "2027-01-15T09:00:00Z");
    assert_eq!(
        app.post_json("/sandbox/clock", &json!({"advance_seconds": -1}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.post_json("/sandbox/clock", &json!({})).await.json()["message"],
        "Invalid parameter: advance_seconds - Parameter is required"
    );
    let other = app
        .raw_with_key(
            Some(&app.other_key),
            Method::GET,
            "/sandbox/clock",
            None,
            "",
        )
        .await
        .json();
    assert_eq!(
        other["offset_seconds"], 0,
        "each application has its own clock"
    );

    let id = app.user("a@example.com", "4053425601").await;
    app.client.tokens().sms(id).send().await.unwrap();
    let other_user = app
        .other_client()
        .users()
        .create("o@example.com", "4053425601")
        .send()
        .await
        .unwrap()
        .id();
    let reset = app.post_json("/sandbox/reset", &json!({})).await;
    assert_eq!(reset.text, r#"{"message":"Sandbox reset.","success":true}"#);
    assert!(
        app.client
            .users()
            .status(id)
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert_eq!(
        app.get("/sandbox/messages").await.json()["messages"],
        json!([])
    );
    assert_eq!(app.get("/sandbox/clock").await.json()["offset_seconds"], 0);
    let stats = app.client.app().stats().send().await.unwrap();
    assert_eq!(
        (stats.total_users, stats.stats.last().unwrap().sms_count),
        (Some(0), 0)
    );
    // The key still works, and the other application kept its user.
    assert!(
        app.other_client()
            .users()
            .status(other_user)
            .send()
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn production_mode_serves_no_sandbox_api() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    let state = |mode| AppState {
        db: db.clone(),
        crypto: Crypto::new("a secret key for this test"),
        clock: Arc::new(FakeClock::at(0)),
        mode,
        callbacks: Default::default(),
        limits: Default::default(),
        pending_counts: Default::default(),
    };
    for (mode, status) in [
        (Mode::Production, StatusCode::UNAUTHORIZED),
        (Mode::Sandbox, StatusCode::UNAUTHORIZED),
    ] {
        let router = authy_server::routes::router(state(mode), 16);
        let answer = router
            .oneshot(
                Request::get("/sandbox/messages")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(answer.status(), status);
        let body = axum::body::to_bytes(answer.into_body(), 1 << 16)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        // Production: the route does not exist. Sandbox: it exists and asks for a key.
        assert_eq!(
            text.starts_with("Requested URL was not found"),
            mode == Mode::Production,
            "{mode:?}: {text}"
        );
    }
    let refused = authy_server::Application::build(
        authy_server::Config {
            mode: Mode::Production,
            ..Default::default()
        },
        Arc::new(FakeClock::at(0)),
    )
    .await;
    assert!(matches!(
        refused,
        Err(authy_server::StartError::NoDeliveryProvider)
    ));
}
