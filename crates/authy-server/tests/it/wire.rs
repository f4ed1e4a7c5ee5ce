//! Byte-level fidelity: answers against the recorded fixtures, and every
//! oddity of how clients send requests (WIRE.md §2, §4, §5, §6).

use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, spawn_app};

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../spec/fixtures")
        .join(format!("{name}.json"));
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["body"].clone()
}

/// Same keys at every level (values may differ: ids, names, times).
fn same_shape(ours: &Value, theirs: &Value, at: &str) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let mut ka: Vec<_> = a.keys().collect();
            let mut kb: Vec<_> = b.keys().collect();
            ka.sort();
            kb.sort();
            assert_eq!(ka, kb, "keys at {at}");
            for (k, v) in a {
                same_shape(v, &b[k], &format!("{at}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) if !a.is_empty() && !b.is_empty() => {
            same_shape(&a[0], &b[0], &format!("{at}[0]"))
        }
        // A nullable field may hold null on one side (nobody recovered an account here).
        (Value::Null, _) | (_, Value::Null) => {}
        _ => assert_eq!(kind(ours), kind(theirs), "type at {at}: {ours} vs {theirs}"),
    }
}

/// Every key of `v` as a dotted path, in order.
fn key_paths(v: &Value, at: &str) -> Vec<String> {
    let Value::Object(map) = v else {
        return Vec::new();
    };
    map.iter()
        .flat_map(|(k, v)| {
            let path = format!("{at}.{k}");
            std::iter::once(path.clone()).chain(key_paths(v, &path))
        })
        .collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[tokio::test]
async fn answers_match_the_recorded_fixtures_key_for_key() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "300-300-3312").await;
    let check = |name: &'static str, answer: crate::support::Raw| {
        assert_eq!(
            answer.content_type, "application/json; charset=utf-8",
            "{name}"
        );
        // Compact, keys in our order: serialising the parsed body gives the same bytes.
        assert_eq!(
            serde_json::to_string(&answer.json()).unwrap(),
            answer.text,
            "{name} is not compact"
        );
        same_shape(&answer.json(), &fixture(name), name);
    };
    check(
        "users_new_ok",
        app.post_json(
            "/protected/json/users/new",
            &json!({"user":{"email":"b@example.com","cellphone":"4053425699","country_code":1}}),
        )
        .await,
    );
    check(
        "users_new_invalid_60027",
        app.post_json(
            "/protected/json/users/new",
            &json!({"user":{"email":"b@example.com","cellphone":"1","country_code":1}}),
        )
        .await,
    );
    check(
        "invalid_api_key_60001",
        app.raw_with_key(
            Some("wrong"),
            Method::POST,
            "/protected/json/users/new",
            None,
            "",
        )
        .await,
    );
    check(
        "user_not_found_60026",
        app.get("/protected/json/users/404/status").await,
    );
    check(
        "sms_sent",
        app.get(&format!("/protected/json/sms/{id}")).await,
    );
    check(
        "email_sent",
        app.post_json(&format!("/protected/json/email/{id}"), &json!({}))
            .await,
    );
    check(
        "call_started",
        app.get(&format!("/protected/json/call/{id}")).await,
    );
    let code = app.last_code(id).await;
    let verify = app
        .get(&format!("/protected/json/verify/{code}/{id}?force=true"))
        .await;
    assert!(
        verify.text.contains(r#""token":"is valid""#),
        "authy-python looks for these bytes"
    );
    assert!(verify.text.contains(r#""success":"true""#));
    // The answer is serialised from a struct: its keys keep the real order.
    assert_eq!(
        key_paths(&verify.json(), ""),
        key_paths(&fixture("verify_ok"), "")
    );
    check("verify_ok", verify);
    check(
        "verify_invalid_60020",
        app.get(&format!("/protected/json/verify/0000000/{id}"))
            .await,
    );
    let reused = app
        .get(&format!("/protected/json/verify/{code}/{id}"))
        .await;
    let mut expected = fixture("verify_reused_60019");
    expected["error_code"] = "60019".into(); // WIRE.md §3.10: the server adds the code.
    same_shape(&reused.json(), &expected, "verify_reused_60019");
    check(
        "app_details_ok",
        app.get("/protected/json/app/details")
            .await
            .json_without(&["phone_calls_enabled", "onetouch_enabled"]),
    );
    check("app_stats_ok", app.get("/protected/json/app/stats").await);
    check("users_status_ok", {
        app.post_json(&format!("/sandbox/users/{id}/devices"), &json!({}))
            .await;
        app.get(&format!("/protected/json/users/{id}/status")).await
    });
    check(
        "sms_ignored",
        app.get(&format!("/protected/json/sms/{id}")).await,
    );
    check(
        "call_ignored",
        app.get(&format!("/protected/json/call/{id}")).await,
    );
    check(
        "register_activity_ok",
        app.post_json(
            &format!("/protected/json/users/{id}/register_activity"),
            &json!({"type":"cookie_login"}),
        )
        .await,
    );
    check(
        "users_update_ok",
        app.post_json(
            &format!("/protected/json/users/{id}/update"),
            &json!({"email":"c@example.com"}),
        )
        .await,
    );
    check(
        "users_remove_ok",
        app.post_json(&format!("/protected/json/users/{id}/remove"), &json!({}))
            .await,
    );
}

trait WithoutKeys {
    fn json_without(self, keys: &[&str]) -> Self;
}

impl WithoutKeys for crate::support::Raw {
    /// The server adds keys the fixture lacks (WIRE.md §3.11); drop them to compare the rest.
    fn json_without(mut self, keys: &[&str]) -> Self {
        let mut v = self.json();
        for k in keys {
            v["app"].as_object_mut().unwrap().remove(*k);
        }
        self.text = v.to_string();
        self
    }
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_xml() {
    let app = spawn_app().await;
    for (method, path) in [
        (Method::GET, "/nope"),
        (Method::GET, "/protected/json/users/new"),
        (Method::DELETE, "/protected/json/users/1/remove"),
        (Method::GET, "/protected/json/foo/bar"),
    ] {
        // Route matching comes before authentication: no key needed to get this answer.
        let answer = app.raw_with_key(None, method.clone(), path, None, "").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(answer.content_type, "text/plain; charset=utf-8");
        assert_eq!(
            answer.text,
            "Requested URL was not found. Please check http://docs.authy.com/ to see the valid URLs"
        );
    }
    let xml = app.get("/protected/xml/app/details").await;
    assert_eq!(
        (xml.status, xml.json()["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("60002"))
    );
    let health = app
        .raw_with_key(None, Method::GET, "/health", None, "")
        .await;
    assert_eq!(health.text, r#"{"status":"ok"}"#);
}

#[tokio::test]
async fn double_slashes_and_a_trailing_slash_route_normally() {
    let app = spawn_app().await;
    for path in [
        "//protected/json/app/details",
        "/protected//json/app/details/",
        "/protected/json/app/details?x=1",
    ] {
        assert_eq!(app.get(path).await.status, StatusCode::OK, "{path}");
    }
    // A base URL with a trailing slash (authy-ruby) works through the client too.
    let client = authy::Client::builder(app.key.clone())
        .base_url(format!("{}/", app.url))
        .build()
        .unwrap();
    client.app().details().send().await.unwrap();
}

#[tokio::test]
async fn the_api_key_comes_from_the_header_or_a_parameter_and_the_header_wins() {
    let app = spawn_app().await;
    let details = |key: Option<&str>, query: &str| {
        let app: &TestApp = &app;
        let path = format!("/protected/json/app/details{query}");
        let key = key.map(str::to_owned);
        async move {
            app.raw_with_key(key.as_deref(), Method::GET, &path, None, "")
                .await
                .status
        }
    };
    assert_eq!(
        details(None, &format!("?api_key={}", app.key)).await,
        StatusCode::OK
    );
    assert_eq!(details(None, "").await, StatusCode::UNAUTHORIZED);
    assert_eq!(details(Some(""), "").await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        details(Some(&app.key), "?api_key=wrong").await,
        StatusCode::OK
    );
    assert_eq!(
        details(Some("wrong"), &format!("?api_key={}", app.key)).await,
        StatusCode::UNAUTHORIZED
    );
    // Header names are case-insensitive; reqwest sends them lower-case already, so check the body key too.
    let form = app
        .raw_with_key(
            None,
            Method::POST,
            "/protected/json/users/new",
            Some("application/x-www-form-urlencoded"),
            format!(
                "api_key={}&user[email]=a%40b.co&user[cellphone]=4053425699&user[country_code]=1",
                app.key
            ),
        )
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    let e = authy::Client::builder("not-a-key")
        .base_url(app.url.clone())
        .build()
        .unwrap()
        .app()
        .details()
        .send()
        .await
        .unwrap_err();
    assert!(e.is_invalid_api_key());
}

#[tokio::test]
async fn get_bodies_are_merged_unless_the_app_rejects_them() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    // authy-client: a JSON body on GET users/{id}/status; node-authy: a form body on GET.
    let json_body = app
        .raw(
            Method::GET,
            &format!("/protected/json/users/{id}/status"),
            Some("application/json"),
            r#"{"user_ip":"1.2.3.4"}"#,
        )
        .await;
    assert_eq!(json_body.status, StatusCode::OK);
    let form_body = app
        .raw(
            Method::GET,
            &format!("/protected/json/sms/{id}"),
            Some("application/x-www-form-urlencoded"),
            "force=true&locale=es",
        )
        .await;
    assert_eq!(form_body.status, StatusCode::OK);
    let inbox = app
        .get(&format!("/sandbox/messages?authy_id={id}"))
        .await
        .json();
    assert_eq!(
        inbox["messages"][0]["locale"], "es",
        "the GET body's parameters were used"
    );

    app.put_json("/sandbox/app", &json!({"reject_get_body": true}))
        .await;
    let rejected = app
        .raw(
            Method::GET,
            &format!("/protected/json/users/{id}/status"),
            Some("application/json"),
            r#"{"user_ip":"1.2.3.4"}"#,
        )
        .await;
    assert_eq!(
        (rejected.status, rejected.json()["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("60002"))
    );
    assert_eq!(
        app.get(&format!("/protected/json/users/{id}/status"))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn booleans_and_numbers_arrive_in_every_form() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    app.post_json(&format!("/sandbox/users/{id}/devices"), &json!({}))
        .await;
    // force as true / True / 1 sends; as false / 0 / garbage does not.
    for (force, sends) in [
        ("true", true),
        ("True", true),
        ("1", true),
        ("false", false),
        ("0", false),
        ("maybe", false),
    ] {
        let answer = app
            .get(&format!("/protected/json/sms/{id}?force={force}"))
            .await
            .json();
        assert_eq!(answer.get("ignored").is_none(), sends, "force={force}");
    }
    let answer = app
        .post_json(&format!("/protected/json/sms/{id}"), &json!({}))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "sms is GET only: {}",
        answer.text
    );
    let json_force = app
        .raw(
            Method::GET,
            &format!("/protected/json/sms/{id}"),
            Some("application/json"),
            r#"{"force":true}"#,
        )
        .await
        .json();
    assert!(json_force.get("ignored").is_none());
}

#[tokio::test]
async fn hostile_bodies_get_authy_errors_and_change_nothing() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("application/json", b"{\"user\":".to_vec(), "60002"),
        ("application/json", b"[1,2]".to_vec(), "60002"),
        (
            "application/json",
            b"{\"user\":{\"email\":\"\xff\"}}".to_vec(),
            "60005",
        ),
        (
            "application/x-www-form-urlencoded",
            b"user[email]=%FF".to_vec(),
            "60005",
        ),
        ("application/json", vec![b' '; 70 * 1024], "60002"),
    ];
    for (ct, body, code) in cases {
        let answer = app
            .raw(Method::POST, "/protected/json/users/new", Some(ct), body)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
        assert_eq!(answer.json()["error_code"], code, "{}", answer.text);
    }
    // Numeric top-level keys once turned the whole parameter tree into an array
    // and dropped the connection (found by the params fuzz target).
    for query in ["?0=x", "?8", "?0=a&1=b"] {
        assert_eq!(
            app.raw(
                Method::GET,
                &format!("/protected/json/app/details{query}"),
                None,
                ""
            )
            .await
            .status,
            StatusCode::OK,
            "{query}"
        );
    }
    let form = app
        .raw(
            Method::POST,
            "/protected/json/users/new",
            Some("application/x-www-form-urlencoded"),
            "0=x&1=y",
        )
        .await;
    assert_eq!(
        form.json()["message"],
        "Invalid parameter: country_code - Parameter is required"
    );
    let utf8_query = app
        .raw(Method::GET, "/protected/json/app/details?x=%FF", None, "")
        .await;
    assert_eq!(utf8_query.json()["error_code"], "60005");
    assert_eq!(
        app.client.app().stats().send().await.unwrap().total_users,
        Some(0)
    );
}

#[tokio::test]
async fn stats_count_what_happened_this_month() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    app.user("bob@example.com", "4053425698").await;
    app.client.tokens().sms(id).send().await.unwrap();
    app.client.tokens().call(id).send().await.unwrap();
    let code = app.last_code(id).await;
    app.verify(id, code).await.unwrap();
    let stats = app.client.app().stats().send().await.unwrap();
    assert_eq!(
        (
            stats.message.as_str(),
            stats.count,
            stats.total_users,
            stats.stats.len()
        ),
        ("Monthly statistics.", Some(12), Some(2), 12)
    );
    let month = stats.stats.last().unwrap();
    assert_eq!(
        (month.month.as_str(), month.year),
        ("January", 2027),
        "the fake clock's month, last"
    );
    assert_eq!(
        (
            month.users_count,
            month.sms_count,
            month.calls_count,
            month.auths_count
        ),
        (2, 1, 1, 1)
    );
    // Every authenticated call so far: 2 creates, sms, call, last_code, verify, this stats.
    assert_eq!(month.api_calls_count, 7);
    assert!(stats.stats[..11].iter().all(|m| m.api_calls_count == 0));
    let details = app.client.app().details().send().await.unwrap();
    assert_eq!(
        (
            details.app.name.as_str(),
            details.app.sms_enabled,
            details.app.onetouch_enabled
        ),
        ("Sandbox App", true, Some(true))
    );
}

#[tokio::test]
async fn hostile_paths_counts_depths_and_numbers_get_authy_errors() {
    let app = spawn_app().await;
    let id = app.user("ada@example.com", "4053425699").await;
    /// A request and the status and error code it must get.
    type Case = (
        Method,
        String,
        Option<&'static str>,
        String,
        StatusCode,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (Method::GET, "/protected/json/users/%FF/status".into(), None, String::new(), StatusCode::BAD_REQUEST, "60005"),
        (Method::GET, "/protected/json/verify/%C3%28/1".into(), None, String::new(), StatusCode::BAD_REQUEST, "60005"),
        (Method::GET, "/protected/json/users/..%2F..%2Fetc%2Fpasswd/status".into(), None, String::new(), StatusCode::NOT_FOUND, "60026"),
        (Method::GET, "/protected/json/users/99999999999999999999999/status".into(), None, String::new(), StatusCode::NOT_FOUND, "60026"),
        (Method::GET, "/onetouch/json/approval_requests/..%2F..%2Fsandbox".into(), None, String::new(), StatusCode::NOT_FOUND, "60049"),
        (
            Method::POST,
            "/protected/json/users/new".into(),
            Some("application/x-www-form-urlencoded"),
            (0..300).map(|i| format!("p{i}=x")).collect::<Vec<_>>().join("&"),
            StatusCode::BAD_REQUEST,
            "60002",
        ),
        (
            Method::POST,
            "/protected/json/users/new".into(),
            Some("application/x-www-form-urlencoded"),
            format!("a{}=1", "[b]".repeat(12)),
            StatusCode::BAD_REQUEST,
            "60002",
        ),
        (
            Method::POST,
            "/protected/json/users/new".into(),
            Some("application/json"),
            format!("{}1{}", "{\"a\":".repeat(20), "}".repeat(20)),
            StatusCode::BAD_REQUEST,
            "60002",
        ),
        (
            Method::POST,
            "/protected/json/users/new".into(),
            Some("application/json"),
            r#"{"user":{"email":"a@b.co","cellphone":"4053425699","country_code":1e300}}"#.into(),
            StatusCode::BAD_REQUEST,
            "60004",
        ),
        (
            Method::POST,
            "/protected/json/users/new".into(),
            Some("application/json"),
            r#"{"user":{"email":"a@b.co","cellphone":"4053425699","country_code":"99999999999999999999999"}}"#.into(),
            StatusCode::BAD_REQUEST,
            "60004",
        ),
        (
            Method::POST,
            "/protected/json/users/new".into(),
            Some("text/xml"),
            "<user><email>a@b.co</email></user>".into(),
            StatusCode::BAD_REQUEST,
            "60004",
        ),
        (Method::GET, format!("/protected/json/sms/{id}?locale={}", "x".repeat(5000)), None, String::new(), StatusCode::BAD_REQUEST, "60004"),
    ];
    for (method, path, ct, body, status, code) in cases {
        let answer = app.raw(method.clone(), &path, ct, body).await;
        assert_eq!(
            answer.status,
            status,
            "{method} {}: {}",
            &path[..path.len().min(80)],
            answer.text
        );
        assert_eq!(answer.content_type, "application/json; charset=utf-8");
        assert_eq!(answer.json()["error_code"], code, "{}", answer.text);
        assert_eq!(answer.json()["success"], false);
    }
    // None of it changed anything.
    assert_eq!(
        app.client.app().stats().send().await.unwrap().total_users,
        Some(1)
    );
}
