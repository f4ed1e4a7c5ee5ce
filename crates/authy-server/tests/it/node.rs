//! The official Node validator (`authy-client` 1.1.4 from npm) accepts our callbacks.
//!
//! The package is installed under Cargo's target directory on first run (it
//! needs the npm registry). Without `node` the test is skipped, except in CI.

use std::path::Path;
use std::process::Command;

use crate::support::spawn_app;

fn node_modules() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-authy-client-1.1.4");
    if dir.join(".ready").exists() {
        return Some(dir.join("node_modules"));
    }
    if Command::new("node").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").is_err(),
            "CI needs node and npm for the official-client tests"
        );
        eprintln!("skipped: node is not installed");
        return None;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new("npm")
        .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg("authy-client@1.1.4")
        .output()
        .expect("npm runs");
    assert!(
        out.status.success(),
        "npm install: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.join(".ready"), "authy-client@1.1.4\n").unwrap();
    Some(dir.join("node_modules"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_node_validator_accepts_our_callbacks() {
    let app = spawn_app().await;
    let (url, key) = (app.url.clone(), app.key.clone());
    let output = tokio::task::spawn_blocking(move || {
        let modules = node_modules()?;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/verify_callback.js");
        let out = Command::new("node")
            .arg(script)
            .env("NODE_PATH", modules)
            .env("AUTHY_API_URL", url)
            .env("AUTHY_API_KEY", key)
            .output()
            .expect("node runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "node failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(stdout)
    })
    .await
    .unwrap();
    if let Some(output) = output {
        assert!(output.contains("node: all callbacks verified"), "{output}");
    }
}
