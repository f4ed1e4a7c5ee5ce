//! SMS and voice tokens and verification (WIRE.md §3.7, §3.8, §3.10, §8).

use authy::ErrorCode;
use authy_server::otp;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{spawn_app, wrong};

#[tokio::test]
async fn an_sms_code_verifies_once_and_only_until_it_expires() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "300-300-3312").await;
    let sent = app.client.tokens().sms(id).send().await.unwrap();
    assert_eq!(
        (
            sent.message.as_str(),
            sent.cellphone.as_deref(),
            sent.ignored()
        ),
        ("SMS token was sent", Some("+1-XXX-XXX-XX12"), false)
    );
    let code = app.last_code(id).await;
    assert_eq!(code.len(), 7, "the application's token length");

    // Wrong first: 60020, and the right code still works afterwards.
    let wrong = wrong(&code);
    assert!(app.verify(id, wrong).await.unwrap_err().is_invalid_token());
    let ok = app.verify(id, code.as_str()).await.unwrap();
    assert_eq!(
        (
            ok.message.as_str(),
            ok.token.as_str(),
            ok.device.unwrap().os_type.as_deref()
        ),
        ("Token is valid.", "is valid", Some("sms"))
    );
    let reused = app.verify(id, code.as_str()).await.unwrap_err();
    assert!(reused.is_token_reused(), "{reused}");
    assert!(
        app.client
            .users()
            .status(id)
            .send()
            .await
            .unwrap()
            .status
            .confirmed
    );

    // A new code expires after ten minutes: then it is simply invalid.
    app.client.tokens().sms(id).send().await.unwrap();
    let code = app.last_code(id).await;
    app.advance(601);
    let expired = app.verify(id, code.as_str()).await.unwrap_err();
    assert_eq!(expired.error_code(), Some(&ErrorCode::InvalidToken));
}

#[tokio::test]
async fn a_second_request_resends_the_same_code_in_the_asked_language() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    app.client.tokens().sms(id).send().await.unwrap();
    let first = app.last_code(id).await;
    app.advance(60);
    let call = app
        .client
        .tokens()
        .call(id)
        .locale("pt-BR")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (call.message.as_str(), call.cellphone.as_deref()),
        ("Call started...", Some("+1-XXX-XXX-XX99"))
    );
    let inbox = app
        .get(&format!("/sandbox/messages?authy_id={id}"))
        .await
        .json();
    let newest = &inbox["messages"][0];
    assert_eq!(
        (
            newest["channel"].as_str(),
            newest["code"].as_str(),
            newest["locale"].as_str()
        ),
        (Some("call"), Some(first.as_str()), Some("pt-BR"))
    );
    let spaced: Vec<String> = first.chars().map(String::from).collect();
    assert_eq!(
        newest["text"],
        format!("Seu código do Sandbox App é {}", spaced.join(" "))
    );
    assert_eq!(newest["to"], "+1 405-342-5699");
    for (locale, start) in [
        ("es", "Tu código"),
        ("de", "Ihr Sandbox App-Code"),
        ("fr", "Votre code"),
        ("it", "Il tuo codice"),
        ("xx", "Your Sandbox App code"),
    ] {
        app.client
            .tokens()
            .sms(id)
            .locale(locale)
            .send()
            .await
            .unwrap();
        let m = &app
            .get(&format!(
                "/sandbox/messages?authy_id={id}&channel=sms&limit=1"
            ))
            .await
            .json()["messages"][0];
        assert!(
            m["text"].as_str().unwrap().starts_with(start),
            "{locale}: {m}"
        );
    }
    // Every message so far carried the same code.
    let inbox = app
        .get(&format!("/sandbox/messages?authy_id={id}"))
        .await
        .json();
    assert!(
        inbox["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["code"] == first.as_str())
    );
}

#[tokio::test]
async fn users_with_the_app_are_not_texted_unless_forced() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "300-300-3312").await;
    app.post_json(
        &format!("/sandbox/users/{id}/devices"),
        &json!({"os_type":"android"}),
    )
    .await;
    let sms = app.get(&format!("/protected/json/sms/{id}")).await;
    assert_eq!(
        sms.text,
        r#"{"message":"Ignored: SMS is not needed for smartphones. Pass force=true if you want to actually send it anyway.","cellphone":"+1-XXX-XXX-XX12","device":"android","ignored":true,"success":true}"#
    );
    let call = app.client.tokens().call(id).send().await.unwrap();
    assert!(call.ignored());
    assert!(
        call.message.contains("using  App"),
        "two spaces, as the real service"
    );
    assert!(
        app.get(&format!("/sandbox/messages?authy_id={id}"))
            .await
            .json()["messages"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let forced = app
        .client
        .tokens()
        .sms(id)
        .force(true)
        .send()
        .await
        .unwrap();
    assert!(!forced.ignored());
    assert_eq!(app.last_code(id).await.len(), 7);
}

#[tokio::test]
async fn disabled_channels_answer_503_with_their_code() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    app.put_json(
        "/sandbox/app",
        &json!({"sms_enabled":false,"phone_calls_enabled":false}),
    )
    .await;
    let sms = app.client.tokens().sms(id).send().await.unwrap_err();
    assert_eq!(
        (sms.status(), sms.error_code()),
        (
            Some(StatusCode::SERVICE_UNAVAILABLE),
            Some(&ErrorCode::SmsDisabled)
        )
    );
    let call = app.client.tokens().call(id).send().await.unwrap_err();
    assert_eq!(call.error_code(), Some(&ErrorCode::CallsDisabled));
    assert!(
        !app.client
            .app()
            .details()
            .send()
            .await
            .unwrap()
            .app
            .sms_enabled
    );
}

#[tokio::test]
async fn an_action_binds_the_code() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    app.client
        .tokens()
        .sms(id)
        .action("transfer-42")
        .action_message("Transfer 42 EUR")
        .send()
        .await
        .unwrap();
    let code = app.last_code(id).await;
    let text = &app
        .get(&format!("/sandbox/messages?authy_id={id}"))
        .await
        .json()["messages"][0]["text"];
    assert!(text.as_str().unwrap().ends_with("(Transfer 42 EUR)"));
    assert!(
        app.verify(id, code.as_str())
            .await
            .unwrap_err()
            .is_invalid_token()
    );
    assert!(
        app.client
            .tokens()
            .verify(id, code.as_str())
            .action("login")
            .send()
            .await
            .unwrap_err()
            .is_invalid_token()
    );
    app.client
        .tokens()
        .verify(id, code.as_str())
        .action("transfer-42")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn authy_app_codes_verify_within_three_steps_and_never_twice() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    app.post_json(
        &format!("/sandbox/users/{id}/devices"),
        &json!({"os_type":"ios"}),
    )
    .await;
    let totp = app.get(&format!("/sandbox/users/{id}/totp")).await.json();
    assert_eq!(
        (
            totp["digits"].as_u64(),
            totp["period"].as_u64(),
            totp["source"].as_str()
        ),
        (Some(7), Some(10), Some("authy_app"))
    );
    let code = totp["token"].as_str().unwrap().to_owned();

    // Thirty seconds later (three steps) it is still accepted; the device answers.
    app.advance(30);
    let ok = app.verify(id, code.as_str()).await.unwrap();
    assert_eq!(ok.device.unwrap().os_type.as_deref(), Some("ios"));
    assert!(
        app.verify(id, code.as_str())
            .await
            .unwrap_err()
            .is_token_reused()
    );
    // A code of an earlier step than the last accepted one is a replay too.
    app.advance(10);
    let next = app.totp(id).await;
    app.verify(id, next.as_str()).await.unwrap();

    // Forty seconds old is too old.
    let old = app.totp(id).await;
    app.advance(50);
    let e = app.verify(id, old.as_str()).await.unwrap_err();
    assert_eq!(e.error_code(), Some(&ErrorCode::InvalidToken));
    // The sandbox clock offset moves the application's time the same way.
    let now_code = app.totp(id).await;
    app.post_json("/sandbox/clock", &json!({"advance_seconds": 120}))
        .await;
    assert!(
        app.verify(id, now_code.as_str())
            .await
            .unwrap_err()
            .is_invalid_token()
    );
    app.verify(id, app.totp(id).await).await.unwrap();
}

#[tokio::test]
async fn generic_authenticator_secrets_verify_with_six_digit_codes() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    let qr = app
        .client
        .users()
        .qr_code(id)
        .label("Example: ada")
        .qr_size(300)
        .send()
        .await
        .unwrap();
    assert!(
        qr.qr_code.starts_with("data:image/png;base64,iVBORw0KGgo"),
        "a PNG"
    );
    assert_eq!(qr.label.as_deref(), Some("Example: ada"));
    let uri = qr.extra["uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Example%3A%20ada?secret="),
        "{uri}"
    );
    assert!(
        uri.ends_with("&issuer=Sandbox%20App&algorithm=SHA1&digits=6&period=30"),
        "{uri}"
    );
    let secret = qr.extra["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "20 bytes in base32");

    // An authenticator app computes the code from the secret alone.
    let seed = decode_base32(secret);
    let now = crate::support::START;
    let code = otp::code_at_step(&seed, otp::step_of(now, otp::GENERIC), otp::GENERIC);
    assert_eq!(app.totp(id).await, code, "the sandbox shows the same code");
    let ok = app.verify(id, code.as_str()).await.unwrap();
    assert_eq!(ok.device.unwrap().os_type.as_deref(), Some("unknown"));
    assert!(
        app.verify(id, code.as_str())
            .await
            .unwrap_err()
            .is_token_reused()
    );
    // One step (30 s) either side is accepted, two are not.
    let next = otp::code_at_step(&seed, otp::step_of(now, otp::GENERIC) + 1, otp::GENERIC);
    app.verify(id, next.as_str()).await.unwrap();
    let far = otp::code_at_step(&seed, otp::step_of(now, otp::GENERIC) + 3, otp::GENERIC);
    assert!(
        app.verify(id, far.as_str())
            .await
            .unwrap_err()
            .is_invalid_token()
    );

    // A new secret replaces the old one; generic tokens can be turned off.
    let again = app.client.users().qr_code(id).send().await.unwrap();
    assert_ne!(again.extra["secret"], qr.extra["secret"]);
    assert_eq!(again.label.as_deref(), Some(""));
    app.put_json("/sandbox/app", &json!({"generic_tokens_enabled": false}))
        .await;
    let e = app.client.users().qr_code(id).send().await.unwrap_err();
    assert_eq!(
        (e.status(), e.error_code()),
        (
            Some(StatusCode::FORBIDDEN),
            Some(&ErrorCode::GenericTokensDisabled)
        )
    );
}

fn decode_base32(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        bits = (bits << 5) | ALPHABET.iter().position(|&a| a == c).unwrap() as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

#[tokio::test]
async fn malformed_tokens_are_invalid_not_bad_requests() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    for token in ["12345", "1234567890123", "12a4567", "%20123456"] {
        let answer = app
            .get(&format!("/protected/json/verify/{token}/{id}"))
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{token}");
        assert_eq!(answer.json()["error_code"], "60020");
    }
    let unknown = app.get("/protected/json/verify/1234567/999").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unforced_verification_is_enforced_unless_the_app_asks_for_legacy_behaviour() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    assert!(
        app.client
            .tokens()
            .verify(id, "1234567")
            .force(false)
            .send()
            .await
            .unwrap_err()
            .is_invalid_token()
    );
    app.put_json("/sandbox/app", &json!({"legacy_unforced_verify": true}))
        .await;
    app.client
        .tokens()
        .verify(id, "1234567")
        .force(false)
        .send()
        .await
        .unwrap();
    // ...but only syntactically valid tokens.
    let malformed = app
        .get(&format!("/protected/json/verify/12ab56/{id}"))
        .await;
    assert_eq!(malformed.json()["error_code"], "60020");
    // Forced verification is always checked.
    assert!(
        app.verify(id, "1234567")
            .await
            .unwrap_err()
            .is_invalid_token()
    );
}

#[tokio::test]
async fn of_many_parallel_verifications_of_one_code_exactly_one_succeeds() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    app.client.tokens().sms(id).send().await.unwrap();
    let code = app.last_code(id).await;
    let attempts = (0..16).map(|_| {
        let client = app.client.clone();
        let code = code.clone();
        tokio::spawn(async move { client.tokens().verify(id, code).send().await })
    });
    let mut ok = 0;
    let mut refused = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => ok += 1,
            // The losers are told the code was used, or that the user's attempts
            // are exhausted for now: never success.
            Err(e) if e.is_token_reused() || e.is_rate_limited() => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((ok, refused), (1, 15));
}

#[tokio::test]
async fn an_email_token_arrives_in_the_inbox_and_verifies_like_an_sms_code() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    let sent = app.client.tokens().email(id).send().await.unwrap();
    assert_eq!(
        (sent.message.as_str(), sent.email.as_deref()),
        ("Email token was sent", Some("ada@example.com"))
    );
    let email_id = sent.email_id.unwrap();
    assert!(
        email_id.len() == 34
            && email_id.starts_with("EM")
            && email_id[2..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{email_id}"
    );
    let inbox = app
        .get(&format!("/sandbox/messages?channel=email&authy_id={id}"))
        .await
        .json();
    let message = &inbox["messages"][0];
    assert_eq!(
        (message["to"].as_str(), message["channel"].as_str()),
        (Some("ada@example.com"), Some("email"))
    );
    let code = message["code"].as_str().unwrap().to_owned();
    app.verify(id, code.as_str()).await.unwrap();
    assert!(
        app.verify(id, code.as_str())
            .await
            .unwrap_err()
            .is_token_reused()
    );
    assert!(
        app.other_client()
            .tokens()
            .email(id)
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
}
