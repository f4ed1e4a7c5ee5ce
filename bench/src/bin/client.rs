//! The client's throughput against a server that costs nothing (the ceiling):
//! sequential `tokens().verify` calls, and 64 at once from one `Client`; then
//! its resident memory after 100k calls compared with after 10k (no leak).
//!
//! Usage: client URL SECONDS
//! Prints: `sequential_current_thread`, `sequential` (from `block_on`),
//! `sequential_task` (in a spawned task) and `concurrent64`, each in calls/s;
//! then `rss_10k <kB>`, `rss_100k <kB>`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Sequential calls for `seconds`, in calls per second.
async fn sequential(client: &authy::Client, seconds: u64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut calls = 0u64;
    let started = Instant::now();
    while Instant::now() < deadline {
        client.tokens().verify(1, "1234567").send().await.unwrap();
        calls += 1;
    }
    calls as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: client URL SECONDS");
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);

    // Sequential calls on a current-thread runtime: the request and hyper's
    // connection task share one thread, so no call wakes another thread. This
    // is what an application making one call at a time should use.
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    current.block_on(async {
        let client = authy::Client::builder("bench-key").base_url(url.clone()).build().unwrap();
        println!("sequential_current_thread {:.0}", sequential(&client, seconds).await);
    });
    drop(current);
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(measure(url, seconds));
}

async fn measure(url: String, seconds: u64) {
    let client = authy::Client::builder("bench-key").base_url(url).build().unwrap();
    // From `block_on`, as in `#[tokio::main]`: the calling thread is not one of
    // the runtime's, so every call wakes a worker thread and is woken by it.
    println!("sequential {:.0}", sequential(&client, seconds).await);
    // From a task, as in a web handler: the call and hyper's connection task
    // can share a worker thread.
    let in_task = {
        let client = client.clone();
        tokio::spawn(async move { sequential(&client, seconds).await })
    };
    println!("sequential_task {:.0}", in_task.await.unwrap());

    // 64 at once, one Client (one connection pool).
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (client, done) = (client.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    client.tokens().verify(1, "1234567").send().await.unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    println!("concurrent64 {:.0}", done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64());

    // Memory: after 10k more calls, then after 100k more.
    for (label, n) in [("rss_10k", 10_000), ("rss_100k", 100_000)] {
        for _ in 0..n {
            client.tokens().verify(1, "1234567").send().await.unwrap();
        }
        println!("{label} {}", rss_kb());
    }
}
