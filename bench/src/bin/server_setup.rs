//! Prepares a server benchmark: creates USERS users, registers an Authy-app
//! device (through the sandbox API) for DEVICES of them (all by default), 64
//! requests at a time, then writes the verify paths wrk replays:
//!
//! - `valid.txt`: for every user with a device, one valid TOTP code for each
//!   10-second step from two steps ago to three ahead: six codes, each
//!   accepted once, in increasing step order, within the ±3-step window for
//!   at least 10 s;
//! - `wrong.txt`: ten wrong codes per user with a device (the brute-force
//!   path; run the server with `--max-verify-failures` above ten, or the
//!   sixth is refused with 429 without writing).
//!
//! Usage: server_setup URL KEY USERS OUT_DIR [DEVICES]

use std::io::Write as _;

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

fn code(seed: &[u8], step: u64, digits: u32) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(seed).unwrap();
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = usize::from(h[19] & 0xf);
    let v = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]) % 10u32.pow(digits);
    format!("{v:0width$}", width = digits as usize)
}

fn base32_decode(s: &str) -> Vec<u8> {
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".iter().position(|&a| a == c).unwrap() as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (url, key, users, out) = (args[1].clone(), args[2].clone(), args[3].parse::<usize>().unwrap(), std::path::PathBuf::from(&args[4]));
    let devices = args.get(5).map_or(users, |d| d.parse::<usize>().unwrap()).min(users);
    let http = reqwest::Client::new();
    let post = move |path: String, body: serde_json::Value| {
        let request = http.post(format!("{url}{path}")).header("X-Authy-API-Key", &key).json(&body);
        async move { request.send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    // 64 workers, each taking every 64th user; the last DEVICES users get a device.
    const WORKERS: usize = 64;
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..WORKERS {
        let post = post.clone();
        workers.spawn(async move {
            let mut seeds = Vec::new();
            for i in (w..users).step_by(WORKERS) {
                let created = post("/protected/json/users/new".into(), serde_json::json!({"user":{"email":"bench@example.com","cellphone":format!("2{:09}", i),"country_code":1},"send_install_link_via_sms":false})).await;
                let id = created["user"]["id"].as_u64().unwrap();
                if i >= users - devices {
                    let device = post(format!("/sandbox/users/{id}/devices"), serde_json::json!({"os_type":"android"})).await;
                    let uri = device["uri"].as_str().unwrap();
                    let secret = uri.split("secret=").nth(1).unwrap().split('&').next().unwrap();
                    seeds.push((id, base32_decode(secret)));
                }
            }
            seeds
        });
    }
    let mut seeds = Vec::with_capacity(devices);
    while let Some(part) = workers.join_next().await {
        seeds.extend(part.unwrap());
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let step = now / 10;
    let mut valid = std::io::BufWriter::new(std::fs::File::create(out.join("valid.txt")).unwrap());
    for offset in -2..=3 {
        for (id, seed) in &seeds {
            writeln!(valid, "/protected/json/verify/{}/{id}", code(seed, step.checked_add_signed(offset).unwrap(), 7)).unwrap();
        }
    }
    let mut wrong = std::io::BufWriter::new(std::fs::File::create(out.join("wrong.txt")).unwrap());
    for n in 0..10 {
        for (id, _) in &seeds {
            writeln!(wrong, "/protected/json/verify/{:07}/{id}", 9_000_000 + n).unwrap();
        }
    }
    eprintln!("server_setup: {users} users, {devices} with a device, {} valid and {} wrong paths", 6 * devices, 10 * devices);
}
