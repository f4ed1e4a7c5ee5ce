//! Every subcommand against a real `authy serve`: human and JSON output, exit
//! codes, configuration, and failures (SANDBOX.md §1.1).

use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;

use crate::{Server, authy, serve, temp_dir};

const KEY: &str = "cli-test-key-0123456789abcdef";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
    /// The value of a `label  value` line of human output.
    fn field(&self, label: &str) -> String {
        self.stdout
            .lines()
            .find_map(|l| {
                l.strip_prefix(label)
                    .filter(|rest| rest.starts_with(' '))
                    .map(|rest| rest.trim().to_owned())
            })
            .unwrap_or_else(|| panic!("no {label} in:\n{}", self.stdout))
    }
}

fn server() -> Server {
    serve(&[
        "--listen",
        "127.0.0.1:0",
        "--database",
        "sqlite::memory:",
        "--api-key",
        KEY,
    ])
}

/// Runs `authy ARGS` against `server` with the key and URL in the environment.
fn cli(server: &Server, args: &[&str]) -> Run {
    authy()
        .env("AUTHY_API_KEY", KEY)
        .env("AUTHY_API_URL", &server.url)
        .env("AUTHY_CONFIG", "/nonexistent")
        .args(args)
        .output()
        .unwrap()
        .into()
}

/// A sandbox control API call.
fn sandbox(server: &Server, method: &str, path: &str, body: Value) -> Value {
    crate::http(
        &server.url,
        Some(KEY),
        method,
        path,
        (!body.is_null()).then_some(&body),
    )
    .1
}

fn last_code(server: &Server) -> String {
    sandbox(server, "GET", "/sandbox/messages?limit=1", Value::Null)["messages"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn users_commands_print_fields_or_json_and_exit_by_outcome() {
    let s = server();
    let created = cli(
        &s,
        &[
            "users",
            "create",
            "ada@example.com",
            "405-342-5699",
            "--country-code",
            "1",
        ],
    )
    .ok();
    let id = created.field("authy_id");
    assert_eq!(created.field("message"), "User created successfully.");
    let json = cli(
        &s,
        &["--json", "users", "create", "ada@example.com", "4053425699"],
    )
    .ok();
    assert_eq!(
        json.stdout.trim(),
        format!(
            r#"{{"message":"User created successfully.","user":{{"id":{id}}},"success":true}}"#
        )
    );
    let status = cli(&s, &["users", "status", &id, "--user-ip", "1.2.3.4"]).ok();
    assert_eq!(
        (
            status.field("phone_number"),
            status.field("registered"),
            status.field("devices")
        ),
        ("XXX-XXX-5699".into(), "no".into(), "-".into())
    );
    let activity = cli(
        &s,
        &[
            "users",
            "activity",
            &id,
            "password_reset",
            "--data",
            "reason=forgot",
            "--user-ip",
            "1.2.3.4",
        ],
    )
    .ok();
    assert_eq!(activity.field("message"), "Activity was created.");
    let qr = cli(
        &s,
        &[
            "users",
            "qr",
            &id,
            "--label",
            "Example: ada",
            "--qr-size",
            "200",
        ],
    )
    .ok();
    assert!(
        qr.field("uri")
            .starts_with("otpauth://totp/Example%3A%20ada?secret=")
    );
    assert!(qr.field("qr_code").starts_with("data:image/png;base64,"));

    let registration = cli(&s, &["users", "registration", "user-42"]);
    assert_eq!(registration.code, 1);
    assert_eq!(
        registration.stderr.trim(),
        "authy: error 60035: Registration request not found"
    );
    let json_error = cli(&s, &["--json", "users", "registration", "user-42"]);
    assert_eq!(
        (json_error.code, json_error.json()["error_code"].as_str()),
        (1, Some("60035"))
    );

    assert_eq!(
        cli(&s, &["users", "delete", &id]).ok().field("message"),
        "User was added to remove."
    );
    let gone = cli(&s, &["users", "status", &id]);
    assert_eq!(
        (gone.code, gone.stderr.trim()),
        (1, "authy: error 60026: User not found.")
    );
    let bad_activity = cli(&s, &["users", "activity", "1", "login"]);
    assert_eq!(bad_activity.code, 2);
    assert!(
        bad_activity.stderr.contains("nothing was sent")
            && bad_activity.stderr.contains("password_reset"),
        "{}",
        bad_activity.stderr
    );
}

#[test]
fn sms_call_and_verify() {
    let s = server();
    let id = cli(&s, &["users", "create", "ada@example.com", "300-300-3312"])
        .ok()
        .field("authy_id");
    let sent = cli(
        &s,
        &[
            "sms",
            &id,
            "--locale",
            "es",
            "--action",
            "login",
            "--action-message",
            "Log in",
        ],
    )
    .ok();
    assert_eq!(
        (sent.field("message"), sent.field("cellphone")),
        ("SMS token was sent".into(), "+1-XXX-XXX-XX12".into())
    );
    let code = last_code(&s);
    let wrong = if code == "0000000" {
        "1111111"
    } else {
        "0000000"
    };
    let refused = cli(&s, &["verify", &id, wrong, "--action", "login"]);
    assert_eq!(
        (refused.code, refused.stderr.trim()),
        (1, "authy: error 60020: Token is invalid")
    );
    let ok = cli(&s, &["verify", &id, &code, "--action", "login"]).ok();
    assert_eq!(
        (ok.field("message"), ok.field("device")),
        ("Token is valid.".into(), "sms".into())
    );
    let replay = cli(&s, &["--json", "verify", &id, &code, "--action", "login"]);
    assert_eq!(
        (replay.code, replay.json()["error_code"].as_str()),
        (1, Some("60019"))
    );
    let call = cli(&s, &["--json", "call", &id, "--force"]).ok();
    assert_eq!(call.json()["message"], "Call started...");
    sandbox(
        &s,
        "POST",
        &format!("/sandbox/users/{id}/devices"),
        serde_json::json!({"os_type":"android"}),
    );
    let ignored = cli(&s, &["sms", &id]).ok();
    assert!(
        ignored.field("ignored").contains("android"),
        "{}",
        ignored.stdout
    );

    // Refused before sending: exit 2, nothing reaches the server.
    let malformed = cli(&s, &["verify", &id, "12ab"]);
    assert_eq!(malformed.code, 2);
    assert!(
        malformed
            .stderr
            .starts_with("authy: nothing was sent: invalid token"),
        "{}",
        malformed.stderr
    );
}

#[test]
fn onetouch_send_status_and_wait() {
    let s = server();
    let id = cli(&s, &["users", "create", "ada@example.com", "4053425699"])
        .ok()
        .field("authy_id");
    let sent = cli(
        &s,
        &[
            "onetouch",
            "send",
            &id,
            "Log in from Lisbon?",
            "--detail",
            "Browser=Firefox",
            "--hidden-detail",
            "ip=1.2.3.4",
            "--logo",
            "default=https://example.com/l.png",
            "--seconds-to-expire",
            "120",
        ],
    )
    .ok();
    let uuid = sent.field("uuid");
    let status = cli(&s, &["onetouch", "status", &uuid]).ok();
    assert_eq!(
        (
            status.field("status"),
            status.field("seconds_to_expire"),
            status.field("processed_at")
        ),
        ("pending".into(), "120".into(), "-".into())
    );
    sandbox(
        &s,
        "POST",
        &format!("/sandbox/approval_requests/{uuid}/deny"),
        Value::Null,
    );
    let waited = cli(
        &s,
        &[
            "onetouch",
            "wait",
            &uuid,
            "--timeout",
            "5",
            "--interval",
            "1",
        ],
    )
    .ok();
    assert_eq!(waited.field("status"), "denied");
    assert!(
        !waited.stderr.contains("waiting"),
        "no spinner without a terminal: {}",
        waited.stderr
    );

    // send --wait: the uuid is printed first; the answer arrives while the command waits.
    let mut child = authy()
        .env("AUTHY_API_KEY", KEY)
        .env("AUTHY_API_URL", &s.url)
        .env("AUTHY_CONFIG", "/nonexistent")
        .args(["onetouch", "send", &id, "Transfer 42 EUR?", "--wait"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    let uuid = first
        .strip_prefix("uuid")
        .unwrap_or_else(|| panic!("{first}"))
        .trim()
        .to_owned();
    sandbox(
        &s,
        "POST",
        &format!("/sandbox/approval_requests/{uuid}/approve"),
        Value::Null,
    );
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(
        rest.lines()
            .any(|l| l.starts_with("status") && l.ends_with("approved")),
        "{rest}"
    );

    let bad_logo = cli(
        &s,
        &["onetouch", "send", &id, "m", "--logo", "huge=https://x"],
    );
    assert_eq!(bad_logo.code, 2);
    let too_long = cli(&s, &["onetouch", "send", &id, &"x".repeat(201)]);
    assert_eq!(too_long.code, 2);
    let missing = cli(
        &s,
        &["onetouch", "status", "3f05a350-4b2c-0136-f779-12c0c2bf9eab"],
    );
    assert_eq!(
        (missing.code, missing.stderr.trim()),
        (
            1,
            "authy: error 60049: Approval request not found: 3f05a350-4b2c-0136-f779-12c0c2bf9eab"
        )
    );
}

#[test]
fn phones_and_app() {
    let s = server();
    let started = cli(
        &s,
        &[
            "phones",
            "start",
            "201-555-0123",
            "--country-code",
            "1",
            "--via",
            "sms",
            "--code-length",
            "6",
        ],
    )
    .ok();
    assert_eq!(
        (
            started.field("message"),
            started.field("seconds_to_expire"),
            started.field("is_cellphone")
        ),
        (
            "Text message sent to +1 201-555-0123.".into(),
            "599".into(),
            "yes".into()
        )
    );
    let code = last_code(&s);
    assert_eq!(
        cli(
            &s,
            &["phones", "status", "201-555-0123", "--country-code", "1"]
        )
        .ok()
        .field("status"),
        "pending"
    );
    let checked = cli(
        &s,
        &[
            "phones",
            "check",
            "201-555-0123",
            "--country-code",
            "1",
            &code,
        ],
    )
    .ok();
    assert_eq!(checked.field("message"), "Verification code is correct.");
    let again = cli(
        &s,
        &[
            "phones",
            "check",
            "201-555-0123",
            "--country-code",
            "1",
            &code,
        ],
    );
    assert_eq!(
        (again.code, again.stderr.trim()),
        (
            1,
            "authy: error 60023: No pending verifications for +1 201-555-0123 found."
        )
    );
    let info = cli(
        &s,
        &["phones", "info", "7106123456", "--country-code", "44"],
    )
    .ok();
    assert_eq!(
        (
            info.field("type"),
            info.field("provider"),
            info.field("ported")
        ),
        ("cellphone".into(), "O2".into(), "no".into())
    );
    assert_eq!(
        cli(
            &s,
            &[
                "phones",
                "start",
                "201-555-0123",
                "--country-code",
                "1",
                "--via",
                "fax"
            ]
        )
        .code,
        2
    );

    let details = cli(&s, &["app", "details"]).ok();
    assert_eq!(
        (details.field("name"), details.field("sms_enabled")),
        ("Sandbox App".into(), "yes".into())
    );
    let stats = cli(&s, &["app", "stats"]).ok();
    let lines: Vec<_> = stats.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "month           sms  calls  verifications  new users  api calls"
    );
    assert_eq!(
        lines.len(),
        14,
        "header, twelve months, total: {}",
        stats.stdout
    );
    let json = cli(&s, &["--json", "app", "stats"]).ok().json();
    assert_eq!(json["count"], 12);
    let this_month = &json["stats"][11];
    let label = format!(
        "{} {}",
        this_month["month"].as_str().unwrap(),
        this_month["year"]
    );
    assert!(lines[12].starts_with(&label), "{label} vs {}", lines[12]);
    assert_eq!(
        lines[12].split_whitespace().nth(2),
        Some("1"),
        "one SMS this month: {}",
        lines[12]
    );
}

#[test]
fn configuration_missing_keys_and_unreachable_servers() {
    let s = server();
    // No key anywhere: one line with the fix, exit 2, and nothing printed on stdout.
    let none = authy()
        .env("AUTHY_CONFIG", "/nonexistent")
        .env("AUTHY_API_URL", &s.url)
        .args(["app", "details"])
        .output()
        .unwrap();
    let none = Run::from(none);
    assert_eq!(none.code, 2);
    assert_eq!(none.stderr.lines().count(), 1);
    assert!(
        none.stderr.contains("--api-key") && none.stderr.contains("AUTHY_API_KEY"),
        "{}",
        none.stderr
    );

    // The config file, when neither flag nor variable gives a key.
    let dir = temp_dir("config");
    let file: PathBuf = dir.join("config");
    std::fs::write(
        &file,
        format!("# authy\napi_key = \"{KEY}\"\napi_url = \"{}\"\n", s.url),
    )
    .unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let from_file = Run::from(
        authy()
            .env("AUTHY_CONFIG", &file)
            .args(["app", "details"])
            .output()
            .unwrap(),
    )
    .ok();
    assert_eq!(from_file.field("name"), "Sandbox App");
    assert!(from_file.stderr.is_empty(), "{}", from_file.stderr);
    // The flag beats the variable, which beats the file.
    let wrong_flag = Run::from(
        authy()
            .env("AUTHY_CONFIG", &file)
            .env("AUTHY_API_KEY", KEY)
            .args(["--api-key", "wrong-key", "app", "details"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        (wrong_flag.code, wrong_flag.stderr.trim()),
        (1, "authy: error 60001: Invalid API key")
    );
    // The key is never printed, even in help.
    let help = Run::from(
        authy()
            .env("AUTHY_API_KEY", KEY)
            .args(["--help"])
            .output()
            .unwrap(),
    )
    .ok();
    assert!(!help.stdout.contains(KEY));
    assert!(!wrong_flag.stderr.contains("wrong-key"));

    // Nobody listening: exit 3, one clear line, quickly.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let started = std::time::Instant::now();
    let down = Run::from(
        authy()
            .env("AUTHY_CONFIG", "/nonexistent")
            .args([
                "--api-key",
                KEY,
                "--api-url",
                &format!("http://{closed}"),
                "app",
                "details",
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(down.code, 3, "{}", down.stderr);
    assert!(
        down.stderr
            .starts_with("authy: could not reach the Authy API for app.details"),
        "{}",
        down.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // Bad usage is exit 2 from the argument parser.
    for args in [
        &["verify", "abc", "123456"][..],
        &["users", "create", "only-email"],
        &["nope"],
        &["phones", "info", "2015550123"],
    ] {
        let bad = cli(&s, args);
        assert_eq!(bad.code, 2, "{args:?}: {}", bad.stderr);
    }
}

#[test]
fn completions_and_help_with_an_example_for_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Run::from(authy().args(["completions", shell]).output().unwrap()).ok();
        assert!(
            out.stdout.contains("authy") && out.stdout.contains("onetouch"),
            "{shell}"
        );
    }
    let leaves: &[&[&str]] = &[
        &["users", "create"],
        &["users", "status"],
        &["users", "delete"],
        &["users", "activity"],
        &["users", "qr"],
        &["users", "registration"],
        &["sms"],
        &["call"],
        &["verify"],
        &["onetouch", "send"],
        &["onetouch", "status"],
        &["onetouch", "wait"],
        &["phones", "start"],
        &["phones", "check"],
        &["phones", "status"],
        &["phones", "info"],
        &["app", "details"],
        &["app", "stats"],
        &["callback", "verify"],
        &["completions"],
        &["serve"],
        &["demo"],
    ];
    for leaf in leaves {
        let help = Run::from(authy().args(*leaf).arg("--help").output().unwrap()).ok();
        assert!(
            help.stdout.contains("Example: authy "),
            "{leaf:?} has no example:\n{}",
            help.stdout
        );
    }
}

#[test]
fn callback_verify_checks_saved_callbacks_and_names_what_differs() {
    let vectors: Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/signature-vectors.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let v = vectors["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "java-approved-post")
        .unwrap();
    let dir = temp_dir("callback");
    let body = dir.join("callback.json");
    std::fs::write(&body, serde_json::to_vec(&v["params"]).unwrap()).unwrap();
    let key = v["api_key"].as_str().unwrap();
    let verify = |url: &str, method: &str, body_path: &PathBuf| -> Run {
        authy()
            .env("AUTHY_CONFIG", "/nonexistent")
            .args([
                "--api-key",
                key,
                "callback",
                "verify",
                "--url",
                url,
                "--method",
                method,
            ])
            .args([
                "--signature",
                v["expected_signature"].as_str().unwrap(),
                "--nonce",
                v["nonce"].as_str().unwrap(),
                "--body",
            ])
            .arg(body_path)
            .output()
            .unwrap()
            .into()
    };
    let url = v["url"].as_str().unwrap();
    let valid = verify(url, "POST", &body).ok();
    assert_eq!(valid.field("signature"), "valid");

    let scheme = verify(&url.replace("https://", "http://"), "POST", &body);
    assert_eq!(
        (scheme.code, scheme.field("signature")),
        (1, "invalid".to_owned())
    );
    assert!(
        scheme
            .stderr
            .contains("it was made for the URL https://requestb.in/ui9vdiui"),
        "{}",
        scheme.stderr
    );
    let method = verify(url, "GET", &body);
    assert!(
        method.stderr.contains("it was made for method POST"),
        "{}",
        method.stderr
    );
    let tampered = dir.join("tampered.json");
    std::fs::write(
        &tampered,
        String::from_utf8(serde_json::to_vec(&v["params"]).unwrap())
            .unwrap()
            .replace("approved", "denied"),
    )
    .unwrap();
    let changed = verify(url, "POST", &tampered);
    assert_eq!(changed.code, 1);
    assert!(
        changed
            .stderr
            .contains("the body, the nonce or the API key differs"),
        "{}",
        changed.stderr
    );
}

#[test]
fn the_demo_tells_the_whole_story_and_exits_0() {
    let demo = Run::from(authy().arg("demo").output().unwrap()).ok();
    for step in 1..=9 {
        assert!(
            demo.stdout.contains(&format!("[{step}/9]")),
            "step {step} missing:\n{}",
            demo.stdout
        );
    }
    assert!(demo.stdout.contains("signature valid"));
    assert!(
        demo.stdout
            .contains("Every step behaved as the Authy API does.")
    );
}

#[test]
fn every_subcommand_prints_the_api_answer_with_json() {
    let s = server();
    let json = |args: &[&str]| -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        cli(&s, &all).ok().json()
    };
    let id =
        json(&["users", "create", "ada@example.com", "405-342-5699"])["user"]["id"].to_string();
    let checks: Vec<(Vec<&str>, &str, Value)> = vec![
        (
            vec!["users", "status", &id],
            "/message",
            Value::from("User status."),
        ),
        (
            vec!["users", "activity", &id, "cookie_login"],
            "/message",
            Value::from("Activity was created."),
        ),
        (vec!["users", "qr", &id], "/success", Value::from(true)),
        (
            vec!["sms", &id],
            "/message",
            Value::from("SMS token was sent"),
        ),
        (
            vec!["call", &id],
            "/message",
            Value::from("Call started..."),
        ),
        (
            vec!["phones", "start", "201-555-0123", "--country-code", "1"],
            "/seconds_to_expire",
            Value::from(599),
        ),
        (
            vec!["phones", "status", "201-555-0123", "--country-code", "1"],
            "/status",
            Value::from("pending"),
        ),
        (
            vec!["phones", "info", "201-555-0123", "--country-code", "1"],
            "/type",
            Value::from("cellphone"),
        ),
        (
            vec!["app", "details"],
            "/message",
            Value::from("Application information."),
        ),
        (
            vec!["app", "stats"],
            "/message",
            Value::from("Monthly statistics."),
        ),
    ];
    for (args, pointer, expected) in checks {
        assert_eq!(json(&args).pointer(pointer), Some(&expected), "{args:?}");
    }
    let code = last_code(&s);
    let phone_check = json(&[
        "phones",
        "check",
        "201-555-0123",
        "--country-code",
        "1",
        &code,
    ]);
    assert_eq!(phone_check["message"], "Verification code is correct.");
    let sms_code = {
        json(&["sms", &id]);
        sandbox(
            &s,
            "GET",
            &format!("/sandbox/messages?authy_id={id}&limit=1"),
            Value::Null,
        )["messages"][0]["code"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(json(&["verify", &id, &sms_code])["token"], "is valid");
    let uuid = json(&["onetouch", "send", &id, "m"])["approval_request"]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        json(&["onetouch", "status", &uuid])["approval_request"]["status"],
        "pending"
    );
    sandbox(
        &s,
        "POST",
        &format!("/sandbox/approval_requests/{uuid}/approve"),
        Value::Null,
    );
    assert_eq!(
        json(&["onetouch", "wait", &uuid, "--timeout", "5"])["approval_request"]["status"],
        "approved"
    );
    let registration = cli(&s, &["--json", "users", "registration", "x"]);
    assert_eq!(registration.json()["error_code"], "60035");
    assert_eq!(
        json(&["users", "delete", &id])["message"],
        "User was added to remove."
    );
}
