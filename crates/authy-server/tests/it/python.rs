//! The official Python client (`authy==2.2.6` from PyPI) against our server.
//!
//! The test makes a virtual environment under Cargo's target directory the
//! first time (it needs PyPI), then runs `tests/python/official_client.py`.
//! Without `python3` the test is skipped, except in CI (`CI=true`), where that
//! is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::support::spawn_app;

/// Only one test at a time may build the virtual environment.
static VENV: Mutex<()> = Mutex::new(());

/// The Python of a virtual environment with authy 2.2.6, or `None` without python3.
fn python_with_authy() -> Option<PathBuf> {
    let _guard = VENV.lock().unwrap_or_else(|e| e.into_inner());
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("venv-authy-2.2.6");
    let python = venv.join("bin/python");
    let ready = venv.join(".ready");
    if ready.exists() {
        return Some(python);
    }
    if Command::new("python3").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").is_err(),
            "CI needs python3 for the official-client tests"
        );
        eprintln!("skipped: python3 is not installed");
        return None;
    }
    let run = |cmd: &mut Command| {
        let out = cmd.output().expect("runs");
        assert!(
            out.status.success(),
            "{cmd:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "authy==2.2.6",
    ]));
    std::fs::write(&ready, "authy==2.2.6\n").unwrap();
    Some(python)
}

/// Runs a script of `tests/python/` against the server; panics with its output if it fails.
pub fn run_script(script: &str, url: &str, key: &str) -> Option<String> {
    let python = python_with_authy()?;
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let out = Command::new(python)
        .arg(&path)
        .env("AUTHY_API_URL", url)
        .env("AUTHY_API_KEY", key)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(stdout)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_python_client_runs_the_core_flows() {
    let app = spawn_app().await;
    let (url, key) = (app.url.clone(), app.key.clone());
    let output = tokio::task::spawn_blocking(move || run_script("official_client.py", &url, &key))
        .await
        .unwrap();
    if let Some(output) = output {
        assert!(output.contains("python: all flows passed"), "{output}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_python_client_validates_our_callbacks_and_verifies_phones() {
    let app = spawn_app().await;
    let (url, key) = (app.url.clone(), app.key.clone());
    let output = tokio::task::spawn_blocking(move || run_script("onetouch_phones.py", &url, &key))
        .await
        .unwrap();
    if let Some(output) = output {
        assert!(output.contains("python: all flows passed"), "{output}");
    }
}
