//! `authy serve` as scripts see it (SANDBOX.md §2), and the client library
//! against the real binary.

use std::process::Command;
use std::time::Duration;

use crate::{authy, serve, serve_with_env, temp_dir, wait_exit};

#[test]
fn it_prints_one_line_creates_an_application_and_serves_the_client() {
    let dir = temp_dir("first-start");
    let db = format!("sqlite://{}/authy.db", dir.display());
    let server = serve(&["--listen", "127.0.0.1:0", "--database", &db]);
    assert!(
        server.url.starts_with("http://127.0.0.1:") && !server.url.ends_with(":0"),
        "{}",
        server.url
    );
    let created = server.stderr_first_line.clone().unwrap();
    let key = created
        .strip_prefix("authy: created application \"Sandbox App\" with API key ")
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    assert_eq!(key.len(), 32);

    let health = crate::http(&server.url, None, "GET", "/health", None);
    assert_eq!(health, (200, serde_json::json!({"status": "ok"})));

    // The whole core story through the client library, against the real binary.
    let client = authy::blocking::Client::builder(key.clone())
        .base_url(server.url.clone())
        .build_blocking()
        .unwrap();
    let id = client
        .users()
        .create("ada@example.com", "405-342-5699")
        .send()
        .unwrap()
        .id();
    assert_eq!(
        client
            .users()
            .create("ada@example.com", "4053425699")
            .send()
            .unwrap()
            .id(),
        id
    );
    client.tokens().sms(id).force(true).send().unwrap();
    let inbox = crate::http(
        &server.url,
        Some(&key),
        "GET",
        &format!("/sandbox/messages?authy_id={id}&limit=1"),
        None,
    )
    .1;
    let code = inbox["messages"][0]["code"].as_str().unwrap().to_owned();
    let wrong = if code == "0000000" {
        "1111111"
    } else {
        "0000000"
    };
    assert!(
        client
            .tokens()
            .verify(id, wrong)
            .send()
            .unwrap_err()
            .is_invalid_token()
    );
    client.tokens().verify(id, code.as_str()).send().unwrap();
    assert!(
        client
            .tokens()
            .verify(id, code.as_str())
            .send()
            .unwrap_err()
            .is_token_reused()
    );
    assert!(
        client
            .users()
            .qr_code(id)
            .send()
            .unwrap()
            .qr_code
            .starts_with("data:image/png")
    );
    assert_eq!(
        client.app().details().send().unwrap().app.name,
        "Sandbox App"
    );
    assert_eq!(client.app().stats().send().unwrap().stats.len(), 12);
    client.users().delete(id).send().unwrap();
    assert!(client.users().status(id).send().unwrap_err().is_not_found());

    // The secret key was generated next to the database, private.
    let secret = dir.join("authy.db.secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn sigterm_stops_it_cleanly_and_a_restart_keeps_everything() {
    let dir = temp_dir("restart");
    let db = format!("sqlite://{}/authy.db", dir.display());
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--database",
        &db,
        "--api-key",
        "restart-key-0123456789",
    ];
    let mut server = serve(&args);
    let client = authy::blocking::Client::builder("restart-key-0123456789")
        .base_url(server.url.clone())
        .build_blocking()
        .unwrap();
    let id = client
        .users()
        .create("ada@example.com", "4053425699")
        .send()
        .unwrap()
        .id();

    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status =
        wait_exit(&mut server.child, Duration::from_secs(10)).expect("exits after SIGTERM");
    assert_eq!(status.code(), Some(0));
    drop(client);

    // Same database and key file: the user is still there, the key still works, no new application.
    let server = serve(&args);
    let client = authy::blocking::Client::builder("restart-key-0123456789")
        .base_url(server.url.clone())
        .build_blocking()
        .unwrap();
    assert_eq!(
        client
            .users()
            .status(id)
            .send()
            .unwrap()
            .status
            .authy_id
            .get(),
        id
    );
    // Statistics kept in memory were written at shutdown: the creation and the
    // status read above are counted.
    let month = client.app().stats().send().unwrap().stats.pop().unwrap();
    assert_eq!(month.users_count, 1);
    assert!(month.api_calls_count >= 2, "{month:?}");
}

#[test]
fn bad_configuration_is_one_line_naming_the_option_and_exit_2() {
    let dir = temp_dir("bad-config");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    let memory = "sqlite::memory:";
    let missing_dir = format!("sqlite://{}/no/such/dir/authy.db", dir.display());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--listen", &taken, "--database", memory], "--listen"),
        (
            vec!["--listen", "not-an-address", "--database", memory],
            "--listen",
        ),
        (
            vec!["--listen", "127.0.0.1:0", "--database", "mysql://x"],
            "--database",
        ),
        (
            vec!["--listen", "127.0.0.1:0", "--database", &missing_dir],
            "--database",
        ),
        (
            vec![
                "--listen",
                "127.0.0.1:0",
                "--database",
                memory,
                "--mode",
                "production",
            ],
            "--mode",
        ),
        (
            vec![
                "--listen",
                "127.0.0.1:0",
                "--database",
                memory,
                "--onetouch-callback-url",
                "ftp://x",
            ],
            "--onetouch-callback-url",
        ),
        (
            vec![
                "--listen",
                "127.0.0.1:0",
                "--database",
                memory,
                "--secret-key",
                "short",
            ],
            "--secret-key",
        ),
        (
            vec![
                "--listen",
                "127.0.0.1:0",
                "--database",
                memory,
                "--mode",
                "staging",
            ],
            "--mode",
        ),
    ];
    for (args, option) in cases {
        let out = authy().arg("serve").args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            stderr.contains(option),
            "{args:?} should name {option}: {stderr}"
        );
    }
    assert!(!dir.join("no").exists(), "nothing was created");
}

#[test]
fn flags_beat_environment_variables() {
    let env = [
        ("AUTHY_LISTEN", "not-an-address"),
        ("AUTHY_DATABASE_URL", "sqlite::memory:"),
    ];
    // The variable alone is used (and refused)...
    let out = authy().envs(env).arg("serve").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--listen not-an-address"));
    // ...and the flag wins over it.
    let server = serve_with_env(
        &[
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "env-test-key-0123456",
        ],
        &env,
    );
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
}
