//! The `authy` binary's one integration-test binary: the start-up contract of
//! `authy serve` (SANDBOX.md §2), and the client library against the real
//! binary.

mod commands;
mod crash;
mod readme;
mod secrets;
mod serve_contract;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One HTTP call: the status (0 when no answer came within 5 s) and the body
/// as JSON (`null` if it is not JSON). `body`, when given, is sent as JSON.
pub fn http(
    url: &str,
    key: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> (u16, serde_json::Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let method = authy::reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = authy::reqwest::Client::new()
            .request(method, format!("{url}{path}"))
            .timeout(Duration::from_secs(5));
        if let Some(key) = key {
            request = request.header("X-Authy-API-Key", key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        match request.send().await {
            Ok(answer) => (
                answer.status().as_u16(),
                answer.json().await.unwrap_or(serde_json::Value::Null),
            ),
            Err(_) => (0, serde_json::Value::Null),
        }
    })
}

/// A fresh directory for one test under Cargo's target directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn authy() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_authy"));
    // The tests decide every option; nothing leaks in from the developer's shell.
    for var in [
        "AUTHY_API_KEY",
        "AUTHY_API_URL",
        "AUTHY_LISTEN",
        "AUTHY_DATABASE_URL",
        "AUTHY_MODE",
        "AUTHY_SECRET_KEY",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// A running `authy serve`, killed on drop.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub stderr_first_line: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `authy serve ARGS` and waits for its listening line.
pub fn serve(args: &[&str]) -> Server {
    serve_with_env(args, &[])
}

/// As [`serve`], with environment variables set.
pub fn serve_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut child = authy()
        .envs(env.iter().copied())
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("authy starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("authy: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    // Anything more on stdout would break the contract: keep reading it in the background.
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
        assert!(rest.is_empty(), "stdout after the listening line: {rest:?}");
    });
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    let stderr_first_line = if args.contains(&"--api-key") {
        None
    } else {
        stderr.read_line(&mut first).unwrap();
        Some(first.trim().to_owned())
    };
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    Server {
        child,
        url,
        stderr_first_line,
    }
}

/// Waits for the process to exit, at most `limit`.
pub fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}
