//! Crash safety and graceful shutdown (issue 6): what got a 200 survives a
//! SIGKILL, nothing is half-written, queued callbacks are still delivered, and
//! SIGTERM lets a request in flight finish.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{serve, temp_dir, wait_exit};

const KEY: &str = "crash-test-key-0123456789abcdef";

/// A minimal HTTP receiver on loopback that records the `uuid` of every callback.
fn receiver() -> (String, Arc<Mutex<HashSet<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    let seen: Arc<Mutex<HashSet<String>>> = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_ok()
                && let Ok(v) = serde_json::from_slice::<Value>(&body)
                && let Some(uuid) = v["uuid"].as_str()
            {
                log.lock().unwrap().insert(uuid.to_owned());
            }
            let _ = reader
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, seen)
}

/// A sandbox or API call; `None` when the server did not answer 200.
fn call(url: &str, method: &str, path: &str, body: Option<Value>) -> Option<Value> {
    let (status, answer) = crate::http(url, Some(KEY), method, path, body.as_ref());
    (status == 200).then_some(answer)
}

#[derive(Default)]
struct Acknowledged {
    users: Vec<u64>,
    verified: Vec<u64>,
    approved: Vec<String>,
}

#[test]
fn a_sigkill_loses_nothing_that_was_acknowledged() {
    let dir = temp_dir("crash");
    let db = format!("sqlite://{}/authy.db", dir.display());
    let (callback_url, delivered) = receiver();
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--database",
        &db,
        "--api-key",
        KEY,
        "--onetouch-callback-url",
        &callback_url,
        "--max-verify-failures",
        "0",
        "--max-sends-per-phone",
        "0",
        "--max-sends-per-app",
        "0",
    ];
    let mut server = serve(&args);
    let url = server.url.clone();
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..3)
        .map(|worker| {
            let (url, acknowledged, stop) = (url.clone(), acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let phone = format!("40534{worker}{n:04}");
                    let body = serde_json::json!({"user":{"email":"crash@example.com","cellphone":phone,"country_code":1},"send_install_link_via_sms":false});
                    let Some(user) = call(&url, "POST", "/protected/json/users/new", Some(body)) else { return };
                    let id = user["user"]["id"].as_u64().unwrap();
                    acknowledged.lock().unwrap().users.push(id);
                    if call(&url, "GET", &format!("/protected/json/sms/{id}"), None).is_none() {
                        return;
                    }
                    let Some(inbox) = call(&url, "GET", &format!("/sandbox/messages?authy_id={id}&limit=1"), None) else { return };
                    let code = inbox["messages"][0]["code"].as_str().unwrap().to_owned();
                    if call(&url, "GET", &format!("/protected/json/verify/{code}/{id}"), None).is_none() {
                        return;
                    }
                    acknowledged.lock().unwrap().verified.push(id);
                    let Some(request) = call(&url, "POST", &format!("/onetouch/json/users/{id}/approval_requests"), Some(serde_json::json!({"message":"crash?"}))) else { return };
                    let uuid = request["approval_request"]["uuid"].as_str().unwrap().to_owned();
                    if call(&url, "POST", &format!("/sandbox/approval_requests/{uuid}/approve"), None).is_none() {
                        return;
                    }
                    acknowledged.lock().unwrap().approved.push(uuid);
                }
            })
        })
        .collect();

    // Let the stream run, then pull the plug mid-flight.
    let started = Instant::now();
    while acknowledged.lock().unwrap().approved.len() < 15
        && started.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        Command::new("kill")
            .args(["-KILL", &server.child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    stop.store(true, Ordering::SeqCst);
    wait_exit(&mut server.child, Duration::from_secs(5)).expect("killed");
    for w in workers {
        w.join().unwrap();
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    assert!(
        acknowledged.approved.len() >= 15,
        "the stream ran: {} approvals",
        acknowledged.approved.len()
    );

    // Same database, new process: every acknowledged write is there, whole.
    let server = serve(&args);
    for id in &acknowledged.users {
        let status = call(
            &server.url,
            "GET",
            &format!("/protected/json/users/{id}/status"),
            None,
        )
        .unwrap_or_else(|| panic!("user {id} was lost"));
        assert_eq!(
            status["status"]["phone_number"].as_str().map(str::len),
            Some(12),
            "user {id} is whole"
        );
    }
    for id in &acknowledged.verified {
        let status = call(
            &server.url,
            "GET",
            &format!("/protected/json/users/{id}/status"),
            None,
        )
        .unwrap();
        assert_eq!(
            status["status"]["confirmed"], true,
            "user {id}'s verification was lost"
        );
    }
    for uuid in &acknowledged.approved {
        let request = call(
            &server.url,
            "GET",
            &format!("/onetouch/json/approval_requests/{uuid}"),
            None,
        )
        .unwrap();
        assert_eq!(request["approval_request"]["status"], "approved", "{uuid}");
    }
    // Callbacks queued before the kill are delivered by the new process.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let missing: Vec<_> = acknowledged
            .approved
            .iter()
            .filter(|u| !delivered.lock().unwrap().contains(*u))
            .cloned()
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "callbacks never delivered for {missing:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sigterm_lets_a_request_in_flight_finish() {
    let mut server = serve(&[
        "--listen",
        "127.0.0.1:0",
        "--database",
        "sqlite::memory:",
        "--api-key",
        KEY,
    ]);
    let address = server.url.trim_start_matches("http://").to_owned();
    let body =
        br#"{"user":{"email":"late@example.com","cellphone":"4053425699","country_code":1}}"#;
    let mut stream = TcpStream::connect(&address).unwrap();
    let head = format!(
        "POST /protected/json/users/new HTTP/1.1\r\nHost: {address}\r\nX-Authy-API-Key: {KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // The request is in flight (its body half sent) when the server is told to stop.
    assert!(
        Command::new("kill")
            .args(["-TERM", &server.child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server waits for the request in flight"
    );
    stream.write_all(&body[10..]).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#""message":"User created successfully.""#),
        "{answer}"
    );
    let status = wait_exit(&mut server.child, Duration::from_secs(10))
        .expect("exits once the request is done");
    assert_eq!(status.code(), Some(0));
    // New connections are refused once it stopped.
    assert!(TcpStream::connect(&address).is_err());
}
