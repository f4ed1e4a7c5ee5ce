//! Nothing secret reaches the logs, at any level (issue 6): a full flow against
//! `authy serve` with RUST_LOG=trace, then the whole log is searched for the
//! API key, every code and every seed the flow produced.

use std::io::Read as _;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::authy;

const KEY: &str = "log-test-key-0123456789abcdefXYZ";

fn call(url: &str, method: &str, path: &str, body: Value) -> Value {
    crate::http(
        url,
        Some(KEY),
        method,
        path,
        (!body.is_null()).then_some(&body),
    )
    .1
}

#[test]
fn a_full_flow_at_trace_level_logs_no_key_code_or_seed() {
    let mut child = authy()
        .env("RUST_LOG", "trace")
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            "sqlite::memory:",
            "--api-key",
            KEY,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("authy: listening on ")
        .unwrap()
        .to_owned();
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut all = String::new();
        stderr.read_to_string(&mut all).unwrap();
        all
    });

    let mut secrets: Vec<String> = vec![KEY.to_owned()];
    let user = call(
        &url,
        "POST",
        "/protected/json/users/new",
        json!({"user":{"email":"ada@example.com","cellphone":"4053425699","country_code":1}}),
    );
    let id = user["user"]["id"].as_u64().unwrap();
    call(
        &url,
        "GET",
        &format!("/protected/json/sms/{id}?force=true"),
        Value::Null,
    );
    let code = call(&url, "GET", "/sandbox/messages?limit=1", Value::Null)["messages"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let verified = call(
        &url,
        "GET",
        &format!("/protected/json/verify/{code}/{id}"),
        Value::Null,
    );
    assert_eq!(verified["token"], "is valid");
    secrets.push(code);
    let qr = call(
        &url,
        "POST",
        &format!("/protected/json/users/{id}/secret"),
        json!({"label":"ada"}),
    );
    secrets.push(qr["secret"].as_str().unwrap().to_owned());
    let device = call(
        &url,
        "POST",
        &format!("/sandbox/users/{id}/devices"),
        json!({"os_type":"ios"}),
    );
    let device_uri = device["uri"].as_str().unwrap();
    secrets.push(
        device_uri
            .split("secret=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_owned(),
    );
    let totp = call(
        &url,
        "GET",
        &format!("/sandbox/users/{id}/totp"),
        Value::Null,
    )["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        call(
            &url,
            "GET",
            &format!("/protected/json/verify/{totp}/{id}?force=true"),
            Value::Null
        )["token"],
        "is valid"
    );
    secrets.push(totp);
    call(
        &url,
        "POST",
        "/protected/json/phones/verification/start",
        json!({"via":"sms","country_code":1,"phone_number":"2015550123","code_length":8}),
    );
    let phone_code =
        call(&url, "GET", "/sandbox/messages?limit=1", Value::Null)["messages"][0]["code"]
            .as_str()
            .unwrap()
            .to_owned();
    call(
        &url,
        "GET",
        &format!(
            "/protected/json/phones/verification/check?country_code=1&phone_number=2015550123&verification_code={phone_code}"
        ),
        Value::Null,
    );
    secrets.push(phone_code);
    // The key also travels as a parameter in old clients.
    call(
        &url,
        "GET",
        &format!("/protected/json/app/details?api_key={KEY}"),
        Value::Null,
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    child.wait().unwrap();
    let log = log.join().unwrap();
    assert!(
        log.lines().filter(|line| line.contains("TRACE")).count() > 5,
        "the log is at trace level: {log}"
    );
    assert!(
        log.contains("/protected/json/verify/{token}/{id}"),
        "requests are logged by route"
    );
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log contains a secret ({} characters):\n{}",
            secret.len(),
            log.lines().find(|l| l.contains(secret.as_str())).unwrap()
        );
    }
}
