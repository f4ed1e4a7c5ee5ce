//! Phone verification and phone information (WIRE.md §3.13–§3.15, §3.18).

use authy::ErrorCode;
use authy::api::phones::Via;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, spawn_app, wrong};

const START_PATH: &str = "/protected/json/phones/verification/start";

async fn inbox_code(app: &TestApp) -> String {
    let inbox = app.get("/sandbox/messages?limit=1").await.json();
    inbox["messages"][0]["code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_verification_is_started_resent_and_checked_once() {
    let app = spawn_app().await;
    let started = app
        .client
        .phones()
        .start(Via::Sms, 1, "201-555-0123")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            started.message.as_str(),
            started.seconds_to_expire,
            started.is_cellphone,
            started.is_ported
        ),
        (
            "Text message sent to +1 201-555-0123.",
            Some(599),
            Some(true),
            Some(false)
        )
    );
    assert_eq!(
        started.carrier.as_deref(),
        Some(""),
        "a string even when unknown (authy-rs needs one)"
    );
    let raw = started.raw();
    let keys: Vec<_> = raw.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "carrier",
            "is_cellphone",
            "is_ported",
            "message",
            "seconds_to_expire",
            "uuid",
            "success"
        ]
    );
    let code = inbox_code(&app).await;
    assert_eq!(code.len(), 4, "default code length");
    let message = &app.get("/sandbox/messages?limit=1").await.json()["messages"][0];
    assert_eq!(
        (
            message["kind"].as_str(),
            message["to"].as_str(),
            message["authy_id"].clone()
        ),
        (
            Some("phone_verification"),
            Some("+1 201-555-0123"),
            json!(null)
        )
    );
    assert_eq!(
        message["text"],
        format!("Your Sandbox App verification code is: {code}")
    );

    // A second start within ten minutes: same code, same uuid, the original expiry.
    app.advance(100);
    let again = app
        .client
        .phones()
        .start(Via::Call, 1, "(201) 555-0123")
        .code_length(8)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            again.uuid.clone(),
            again.seconds_to_expire,
            again.message.as_str()
        ),
        (
            started.uuid.clone(),
            Some(499),
            "Call to +1 201-555-0123 initiated."
        )
    );
    assert_eq!(inbox_code(&app).await, code);
    let status = app
        .client
        .phones()
        .status(1, "2015550123")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            status.status.as_str(),
            status.seconds_to_expire,
            status.uuid.clone()
        ),
        ("pending", Some(499), started.uuid.clone())
    );

    let wrong = wrong(&code);
    let bad = app.get(&format!("/protected/json/phones/verification/check?country_code=1&phone_number=2015550123&verification_code={wrong}")).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        bad.text,
        r#"{"message":"Verification code is incorrect","success":false,"errors":{"message":"Verification code is incorrect"},"error_code":"60022"}"#
    );
    let ok = app
        .client
        .phones()
        .check(1, "201.555.0123", code.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.message, "Verification code is correct.");
    let used = app.get(&format!("/protected/json/phones/verification/check?country_code=1&phone_number=2015550123&verification_code={code}")).await;
    assert_eq!(used.status, StatusCode::NOT_FOUND);
    assert_eq!(
        used.text,
        r#"{"message":"No pending verifications for +1 201-555-0123 found.","success":false,"errors":{"message":"No pending verifications for +1 201-555-0123 found."},"error_code":"60023"}"#
    );
    assert_eq!(
        app.client
            .phones()
            .status(1, "2015550123")
            .send()
            .await
            .unwrap()
            .status,
        "verified"
    );
    // A new start after success is a new verification with a new code... and uuid.
    let next = app
        .client
        .phones()
        .start(Via::Sms, 1, "2015550123")
        .send()
        .await
        .unwrap();
    assert_ne!(next.uuid, started.uuid);
}

#[tokio::test]
async fn codes_expire_after_ten_minutes_and_uuid_checks_work() {
    let app = spawn_app().await;
    let started = app
        .client
        .phones()
        .start(Via::Sms, 44, "7106 123456")
        .code_length(6)
        .locale("es")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (started.message.as_str(), started.carrier.as_deref()),
        ("Mensaje de texto enviado a +44 7106123456.", Some("O2"))
    );
    let code = inbox_code(&app).await;
    assert_eq!(code.len(), 6);
    let uuid = started.uuid.clone().unwrap();
    let wrong = wrong(&code);
    let by_uuid = app
        .get(&format!(
            "/protected/json/phones/verification/check?uuid={uuid}&verification_code={wrong}"
        ))
        .await;
    assert_eq!(by_uuid.status, StatusCode::UNAUTHORIZED);
    app.advance(600);
    let late = app
        .client
        .phones()
        .check(44, "7106123456", code.as_str())
        .send()
        .await
        .unwrap_err();
    assert!(late.is_not_found(), "{late}");
    assert_eq!(
        app.client
            .phones()
            .status(44, "7106123456")
            .send()
            .await
            .unwrap()
            .status,
        "expired"
    );
    let call = app
        .client
        .phones()
        .start(Via::Call, 1, "775-461-5609")
        .locale("es")
        .send()
        .await
        .unwrap();
    assert_eq!(call.message, "Llamada a +1 775-461-5609 fue iniciada.");
    let code = inbox_code(&app).await;
    let uuid = call.uuid.unwrap();
    let ok = app
        .get(&format!(
            "/protected/json/phones/verification/check?uuid={uuid}&verification_code={code}"
        ))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

#[tokio::test]
async fn five_wrong_checks_lock_the_verification_until_it_expires() {
    let app = spawn_app().await;
    app.client
        .phones()
        .start(Via::Sms, 1, "201-555-0199")
        .send()
        .await
        .unwrap();
    let code = inbox_code(&app).await;
    let wrong = wrong(&code);
    for _ in 0..5 {
        let e = app
            .client
            .phones()
            .check(1, "2015550199", wrong.as_str())
            .send()
            .await
            .unwrap_err();
        assert!(e.is_incorrect_verification_code(), "{e}");
    }
    let locked = app.get(&format!("/protected/json/phones/verification/check?country_code=1&phone_number=2015550199&verification_code={code}")).await;
    assert_eq!(
        (locked.status, locked.json()["error_code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("60003"))
    );
    assert_eq!(locked.json()["message"], "DoS protection");
    let restart = app
        .client
        .phones()
        .start(Via::Sms, 1, "2015550199")
        .send()
        .await
        .unwrap_err();
    assert!(
        restart.is_rate_limited(),
        "a restart does not buy more guesses"
    );
    assert_eq!(
        app.client
            .phones()
            .status(1, "2015550199")
            .send()
            .await
            .unwrap()
            .status,
        "expired"
    );
    app.advance(600);
    assert!(
        app.client
            .phones()
            .check(1, "2015550199", code.as_str())
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
    app.client
        .phones()
        .start(Via::Sms, 1, "2015550199")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_starts_and_checks_name_what_is_wrong() {
    let app = spawn_app().await;
    let missing = app
        .post_json(
            START_PATH,
            &json!({"via":"sms","phone_number":"2015550123"}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.text,
        r#"{"message":"Invalid parameter: country_code - Parameter is required","success":false,"errors":{"message":"Invalid parameter: country_code - Parameter is required"},"error_code":"60004"}"#
    );
    let invalid = app
        .post_json(
            START_PATH,
            &json!({"via":"sms","country_code":1,"phone_number":"555-0123"}),
        )
        .await;
    assert_eq!(
        invalid.text,
        r#"{"message":"Phone number is invalid","success":false,"errors":{"message":"Phone number is invalid"},"error_code":"60033"}"#
    );
    let cases = [
        (
            json!({"country_code":1,"phone_number":"2015550123"}),
            StatusCode::BAD_REQUEST,
            "Invalid parameter: via - Parameter is required",
        ),
        (
            json!({"via":"fax","country_code":1,"phone_number":"2015550123"}),
            StatusCode::BAD_REQUEST,
            "Invalid parameter: via - 'fax' is not a valid value",
        ),
        (
            json!({"via":"sms","country_code":"one","phone_number":"2015550123"}),
            StatusCode::BAD_REQUEST,
            "Invalid parameter: country_code - 'one' is not a valid Integer",
        ),
        (
            json!({"via":"sms","country_code":1,"phone_number":"2015550123","code_length":3}),
            StatusCode::BAD_REQUEST,
            "Invalid parameter: code_length - '3' is not a valid value",
        ),
        (
            json!({"via":"sms","country_code":44,"phone_number":"20 7946 0018"}),
            StatusCode::FORBIDDEN,
            "Can not send SMS to landline phone numbers",
        ),
        (
            json!({"via":"sms","country_code":1,"phone_number":"800-555-0123"}),
            StatusCode::FORBIDDEN,
            "Phone number not provisioned with any carrier",
        ),
        (
            json!({"via":"sms","country_code":1,"phone_number":"2015550123","custom_code":"4242"}),
            StatusCode::FORBIDDEN,
            "Phone verification couldn't be created: custom codes are not allowed.",
        ),
    ];
    for (body, status, message) in cases {
        let answer = app.post_json(START_PATH, &body).await;
        assert_eq!(
            (answer.status, answer.json()["message"].as_str().unwrap()),
            (status, message),
            "{body}"
        );
    }
    // A landline can be called.
    assert_eq!(
        app.post_json(
            START_PATH,
            &json!({"via":"call","country_code":44,"phone_number":"20 7946 0018"})
        )
        .await
        .status,
        StatusCode::OK
    );
    // Custom codes and messages, once the application allows custom codes.
    app.put_json("/sandbox/app", &json!({"custom_codes_enabled": true}))
        .await;
    let custom = app
        .post_json(START_PATH, &json!({"via":"sms","country_code":1,"phone_number":"2015550142","custom_code":"424242","custom_message":"Shop code {code}"}))
        .await;
    assert_eq!(custom.status, StatusCode::OK, "{}", custom.text);
    let m = &app.get("/sandbox/messages?limit=1").await.json()["messages"][0];
    assert_eq!(
        (m["code"].as_str(), m["text"].as_str()),
        (Some("424242"), Some("Shop code 424242"))
    );

    let check = |q: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/protected/json/phones/verification/check{q}"))
                .await
        }
    };
    assert_eq!(
        check("?verification_code=1234").await.json()["error_code"],
        "60042"
    );
    assert_eq!(
        check("?country_code=1&phone_number=2015550123")
            .await
            .json()["message"],
        "Invalid parameter: verification_code - Parameter is required"
    );
    assert_eq!(
        check("?country_code=1&phone_number=12&verification_code=1234")
            .await
            .json()["error_code"],
        "60033"
    );
    let never = check("?country_code=1&phone_number=2015550177&verification_code=1234").await;
    assert_eq!(
        (never.status, never.json()["message"].as_str()),
        (
            StatusCode::NOT_FOUND,
            Some("No pending verifications for +1 201-555-0177 found.")
        )
    );
    assert!(
        app.client
            .phones()
            .status(1, "2015550177")
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
    // Another application's verification of the same phone is invisible.
    app.client
        .phones()
        .start(Via::Sms, 1, "2015550188")
        .send()
        .await
        .unwrap();
    assert!(
        app.other_client()
            .phones()
            .check(1, "2015550188", "1234")
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn phone_information_reports_type_and_carrier() {
    let app = spawn_app().await;
    let info = app
        .client
        .phones()
        .info(44, "7106 123456")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            info.phone_type.as_str(),
            info.provider.as_deref(),
            info.ported
        ),
        ("cellphone", Some("O2"), Some(false))
    );
    assert_eq!(
        info.message,
        "Phone number information as of 2027-01-15 08:00:00 UTC"
    );
    let keys: Vec<_> = info.raw().as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["message", "type", "provider", "ported", "success"]);
    let landline = app
        .client
        .phones()
        .info(44, "20 7946 0018")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (landline.phone_type.as_str(), landline.provider),
        ("landline", None)
    );
    let us = app
        .client
        .phones()
        .info(1, "201-555-0123")
        .send()
        .await
        .unwrap();
    assert_eq!(us.phone_type, "cellphone");
    let voip = app
        .client
        .phones()
        .info(44, "56 1234 5678")
        .send()
        .await
        .unwrap();
    assert_eq!(voip.phone_type, "voip");
    let e = app
        .client
        .phones()
        .info(1, "555-0123")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (e.status(), e.error_code()),
        (
            Some(StatusCode::BAD_REQUEST),
            Some(&ErrorCode::InvalidPhoneNumber)
        )
    );
    let missing = app.get("/protected/json/phones/info?country_code=1").await;
    assert_eq!(
        missing.json()["message"],
        "Invalid parameter: phone_number - Parameter is required"
    );
}
