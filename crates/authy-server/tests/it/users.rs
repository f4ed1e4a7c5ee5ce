//! Users, through the `authy` client and as every official client encodes them.

use authy::ErrorCode;
use authy::api::users::ActivityType;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::spawn_app;

#[tokio::test]
async fn the_same_phone_gives_the_same_user_in_every_encoding() {
    let app = spawn_app().await;
    let first = app.user("ada@example.com", "(405) 342-5699").await;

    // authy-python: JSON with an integer country code.
    let python = app
        .post_json("/protected/json/users/new", &json!({"user":{"email":"ada@example.com","cellphone":"405-342-5699","country_code":1},"send_install_link_via_sms":false}))
        .await;
    // authy-java: JSON with every value a string.
    let java = app.post_json("/protected/json/users/new", &json!({"user":{"country_code":"1","cellphone":"4053425699","email":"second@example.com"}})).await;
    // authy-ruby: a form with brackets.
    let ruby = app
        .raw(Method::POST, "/protected/json/users/new", Some("application/x-www-form-urlencoded"), "user%5Bemail%5D=ada%40example.com&user%5Bcellphone%5D=405.342.5699&user%5Bcountry_code%5D=1&send_install_link_via_sms=true")
        .await;
    // authy-php: everything in the query string of a POST, the flag inside user[...] as 0.
    let php = app
        .raw(Method::POST, "/protected/json/users/new?user[email]=ada%40example.com&user[cellphone]=4053425699&user[country_code]=%2B1&user[send_install_link_via_sms]=0", None, "")
        .await;
    // go-authy: a form with the key in the body, no header.
    let go = app
        .raw_with_key(None, Method::POST, "/protected/json/users/new", Some("application/x-www-form-urlencoded"), format!("api_key={}&user[email]=ada%40example.com&user[cellphone]=4053425699&user[country_code]=1", app.key))
        .await;
    for (client, answer) in [
        ("python", python),
        ("java", java),
        ("ruby", ruby),
        ("php", php),
        ("go", go),
    ] {
        assert_eq!(answer.status, StatusCode::OK, "{client}: {}", answer.text);
        assert_eq!(
            answer.text,
            format!(
                r#"{{"message":"User created successfully.","user":{{"id":{first}}},"success":true}}"#
            ),
            "{client}"
        );
    }

    // Another phone, or the same phone in another country, is another user.
    assert_ne!(app.user("ada@example.com", "405-342-5698").await, first);
    let uk = app
        .client
        .users()
        .create("ada@example.com", "405-342-5699")
        .country_code(44)
        .send()
        .await
        .unwrap();
    assert_ne!(uk.id(), first);
    // The first e-mail stays the status e-mail (the extra one is kept aside).
    let status = app.client.users().status(first).send().await.unwrap();
    assert_eq!(status.status.email.as_deref(), Some("ada@example.com"));
}

#[tokio::test]
async fn install_links_are_recorded_for_new_users_only_when_asked() {
    let app = spawn_app().await;
    let with = app
        .client
        .users()
        .create("a@example.com", "2015550100")
        .send()
        .await
        .unwrap()
        .id();
    let without = app
        .client
        .users()
        .create("b@example.com", "2015550101")
        .send_install_link_via_sms(false)
        .send()
        .await
        .unwrap()
        .id();
    let inbox = app.get("/sandbox/messages").await.json();
    let kinds: Vec<_> = inbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["authy_id"].as_u64().unwrap(),
                m["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(kinds, [(with, "install_link".to_owned())]);
    assert!(inbox["messages"][0]["code"].is_null());
    let _ = without;
}

#[tokio::test]
async fn invalid_users_are_refused_field_by_field() {
    let app = spawn_app().await;
    let bad = app
        .post_json(
            "/protected/json/users/new",
            &json!({"user":{"email":"nope","cellphone":"12","country_code":1}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.text,
        r#"{"message":"User was not valid","success":false,"errors":{"email":"is invalid","cellphone":"is invalid","message":"User was not valid"},"email":"is invalid","cellphone":"is invalid","error_code":"60027"}"#
    );
    let missing = app
        .post_json(
            "/protected/json/users/new",
            &json!({"user":{"email":"a@b.co","cellphone":"4053425699"}}),
        )
        .await;
    assert_eq!(
        missing.json()["message"],
        "Invalid parameter: country_code - Parameter is required"
    );
    let not_int = app
        .post_json(
            "/protected/json/users/new",
            &json!({"user":{"email":"a@b.co","cellphone":"4053425699","country_code":"one"}}),
        )
        .await;
    assert_eq!(
        not_int.json()["message"],
        "Invalid parameter: country_code - 'one' is not a valid Integer"
    );
    let out_of_range = app
        .post_json(
            "/protected/json/users/new",
            &json!({"user":{"email":"a@b.co","cellphone":"4053425699","country_code":1000}}),
        )
        .await;
    assert_eq!(out_of_range.json()["country_code"], "is invalid");
    // The client reads the same answer as a typed error.
    let e = app
        .client
        .users()
        .create("a@b.co", "4053425699")
        .country_code(999)
        .send()
        .await;
    assert!(e.is_ok(), "999 + 10 digits is within E.164");
    // Nothing was written by the refused requests.
    let stats = app.client.app().stats().send().await.unwrap();
    assert_eq!(stats.total_users, Some(1));
}

#[tokio::test]
async fn status_shows_the_masked_phone_devices_and_confirmation() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "405-342-1118").await;
    let status = app
        .client
        .users()
        .status(id)
        .user_ip("203.0.113.9")
        .send()
        .await
        .unwrap();
    let s = &status.status;
    assert_eq!(
        (
            status.message.as_str(),
            s.authy_id.get(),
            s.country_code,
            s.phone_number.as_str()
        ),
        ("User status.", id, 1, "XXX-XXX-1118")
    );
    assert_eq!(
        (
            s.confirmed,
            s.registered,
            s.devices.len(),
            s.account_disabled,
            s.has_hard_token
        ),
        (false, false, 0, Some(false), Some(false))
    );
    // The keys of the recorded real answer, in its order.
    let raw = app
        .get(&format!("/protected/json/users/{id}/status"))
        .await
        .json();
    let keys: Vec<_> = raw["status"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "authy_id",
            "confirmed",
            "registered",
            "country_code",
            "phone_number",
            "email",
            "devices",
            "has_hard_token",
            "account_disabled",
            "detailed_devices",
            "deleted_devices"
        ]
    );

    app.post_json(
        &format!("/sandbox/users/{id}/devices"),
        &json!({"os_type":"ios"}),
    )
    .await;
    let s = app.client.users().status(id).send().await.unwrap().status;
    assert!(s.registered);
    assert_eq!(s.devices, ["iphone"]);
    assert_eq!(s.detailed_devices[0].os_type.as_deref(), Some("ios"));
}

#[tokio::test]
async fn unknown_and_foreign_users_are_not_found() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    for path in [
        "/protected/json/users/999/status",
        "/protected/json/users/tony/status",
        "/protected/json/users/0/status",
        "/protected/json/sms/tony",
        "/protected/json/users/-1/status",
    ] {
        let answer = app.get(path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            answer.text,
            r#"{"message":"User not found.","success":false,"errors":{"message":"User not found."},"error_code":"60026"}"#
        );
    }
    // The other application cannot see, text, verify or delete this user.
    let other = app.other_client();
    assert!(
        other
            .users()
            .status(id)
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        other
            .tokens()
            .sms(id)
            .force(true)
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        other
            .tokens()
            .verify(id, "1234567")
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        other
            .users()
            .delete(id)
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(app.client.users().status(id).send().await.is_ok());
}

#[tokio::test]
async fn all_three_delete_paths_remove_the_user_and_ids_are_never_reused() {
    let app = spawn_app().await;
    let cases = [
        (
            "/protected/json/users/{}/remove",
            "User was added to remove.",
        ),
        (
            "/protected/json/users/{}/delete",
            "User removed from application",
        ),
        (
            "/protected/json/users/delete/{}",
            "User removed from application",
        ),
    ];
    let mut seen = Vec::new();
    for (i, (path, message)) in cases.iter().enumerate() {
        let id = app
            .user("ada@example.com", &format!("40534256{i:02}"))
            .await;
        seen.push(id);
        let path = path.replace("{}", &id.to_string());
        // authy-java sends an empty body with a JSON content type.
        let answer = app
            .raw(Method::POST, &path, Some("application/json"), "")
            .await;
        assert_eq!(
            answer.text,
            format!(r#"{{"message":"{message}","success":true}}"#),
            "{path}"
        );
        assert_eq!(
            app.raw(Method::POST, &path, None, "").await.status,
            StatusCode::NOT_FOUND,
            "{path} twice"
        );
        assert!(
            app.client
                .users()
                .status(id)
                .send()
                .await
                .unwrap_err()
                .is_not_found()
        );
    }
    // The same phone again is a new user with a new id.
    let again = app.user("ada@example.com", "4053425600").await;
    assert!(!seen.contains(&again));
    assert!(again > *seen.iter().max().unwrap());
    // The client's delete is the current /remove path.
    app.client
        .users()
        .delete(again)
        .user_ip("1.2.3.4")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn update_email_and_register_activity() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    let done = app
        .client
        .users()
        .update_email(id, "ada@new.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(done.message, "User was updated successfully");
    assert_eq!(
        app.client
            .users()
            .status(id)
            .send()
            .await
            .unwrap()
            .status
            .email
            .as_deref(),
        Some("ada@new.example.com")
    );
    let bad = app
        .post_json(
            &format!("/protected/json/users/{id}/update"),
            &json!({"email":"nope"}),
        )
        .await;
    assert_eq!(bad.json()["email"], "is invalid");

    let done = app
        .client
        .users()
        .register_activity(id, ActivityType::PasswordReset)
        .data("reason", "forgot")
        .user_ip("1.2.3.4")
        .send()
        .await
        .unwrap();
    assert_eq!(done.message, "Activity was created.");
    // Form encoding with nested data and co-authy's `ip`.
    let form = app
        .raw(
            Method::POST,
            &format!("/protected/json/users/{id}/register_activity"),
            Some("application/x-www-form-urlencoded"),
            "type=banned&data[reason]=spam&ip=1.2.3.4",
        )
        .await;
    assert_eq!(
        form.text,
        r#"{"message":"Activity was created.","success":true}"#
    );
    let missing = app
        .post_json(
            &format!("/protected/json/users/{id}/register_activity"),
            &json!({}),
        )
        .await;
    assert_eq!(
        missing.json()["message"],
        "Invalid parameter: type - Parameter is required"
    );
    let unknown = app
        .post_json(
            &format!("/protected/json/users/{id}/register_activity"),
            &json!({"type":"login"}),
        )
        .await;
    assert_eq!(
        unknown.json()["message"],
        "Invalid parameter: type - 'login' is not a valid value"
    );
}

#[tokio::test]
async fn registration_status_is_never_found() {
    let app = spawn_app().await;
    let e = app
        .client
        .users()
        .registration_status("user-42")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_not_found());
    assert_eq!(e.error_code(), Some(&ErrorCode::RegistrationNotFound));
    let missing = app.get("/protected/json/registrations/status").await;
    assert_eq!(
        missing.json()["message"],
        "Invalid parameter: custom_user_id - Parameter is required"
    );
}
