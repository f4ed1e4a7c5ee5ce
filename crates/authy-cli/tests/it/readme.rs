//! Every shell command shown in the README runs as shown (SANDBOX.md §4: the
//! README is the first thing a newcomer follows).
//!
//! The README's `authy serve` line starts the server the later lines talk to
//! (in a temporary directory, on a free port); its `export` line sets the key,
//! with the URL pointed at that server. `cargo test --workspace` is the command
//! running this test; `cargo run ... -- demo` runs as `authy demo`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Server, temp_dir};

/// The lines of the README's ```sh blocks, without trailing comments.
fn readme_commands() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let mut commands = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        match line.trim() {
            "```sh" => in_sh = true,
            "```" => in_sh = false,
            l if in_sh && !l.is_empty() => {
                // A comment starts at "  #" (two spaces), so `#` inside arguments stays.
                let command = l.split("  #").next().unwrap_or(l).trim();
                commands.push(command.to_owned());
            }
            _ => {}
        }
    }
    commands
}

fn bash(line: &str, dir: &Path, env: &[(String, String)]) -> Command {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_authy"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-c", line])
        .current_dir(dir)
        .env("PATH", path)
        .env("AUTHY_CONFIG", "/nonexistent");
    for var in [
        "AUTHY_API_KEY",
        "AUTHY_API_URL",
        "AUTHY_LISTEN",
        "AUTHY_DATABASE_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().cloned());
    cmd
}

#[test]
fn every_command_in_the_readme_runs() {
    let commands = readme_commands();
    assert!(commands.len() >= 10, "{commands:?}");
    let dir = temp_dir("readme");
    let mut env: Vec<(String, String)> = Vec::new();
    let mut server: Option<Server> = None;
    for line in &commands {
        if line == "cargo test --workspace" {
            continue; // this very test is part of it
        }
        if line == "cargo run --release -p authy-cli -- demo" {
            let out = crate::authy().arg("demo").output().unwrap();
            assert!(
                out.status.success(),
                "{line}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            continue;
        }
        if line.starts_with("authy serve") {
            let mut child = bash(line, &dir, &[("AUTHY_LISTEN".into(), "127.0.0.1:0".into())])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut first = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut first)
                .unwrap();
            let url = first
                .trim()
                .strip_prefix("authy: listening on ")
                .unwrap_or_else(|| panic!("{line}: {first}"))
                .to_owned();
            server = Some(Server {
                child,
                url,
                stderr_first_line: None,
            });
            continue;
        }
        if let Some(assignments) = line.strip_prefix("export ") {
            let url = &server
                .as_ref()
                .expect("the README starts a server before exporting its URL")
                .url;
            for pair in assignments.split_whitespace() {
                let (k, v) = pair.split_once('=').unwrap();
                env.push((
                    k.to_owned(),
                    if k == "AUTHY_API_URL" {
                        url.clone()
                    } else {
                        v.to_owned()
                    },
                ));
            }
            continue;
        }
        assert!(
            line.starts_with("authy "),
            "a README command this test does not know how to run: {line}"
        );
        let out = bash(line, &dir, &env).output().unwrap();
        assert!(
            out.status.success(),
            "{line}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(server.is_some(), "the README shows how to start the server");
    assert!(
        dir.join("authy.db").exists(),
        "authy serve created the database the README names"
    );
}
