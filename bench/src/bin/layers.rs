//! What the layers under our client reach on their own, against the ceiling:
//! the same verify request sent by hyper's HTTP/1.1 connection (driven in the
//! calling task, no pool) and by a bare `reqwest::Client` (pool, no authy
//! code). Tells how much of the gap to wrk is ours and how much is the stack's.
//!
//! Usage: layers URL SECONDS
//! Prints: `hyper_sequential`, `reqwest_sequential` (current-thread runtime),
//! then `hyper_64`, `reqwest_64` (64 tasks on the multi-thread runtime), each
//! followed by calls per second.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;

const PATH: &str = "/protected/json/verify/1234567/1?force=true";

/// One HTTP/1.1 connection whose driver runs inside each call, so no call
/// wakes another task: the least any Rust client on hyper can do per call.
struct HyperConnection {
    sender: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    driver: std::pin::Pin<Box<dyn Future<Output = hyper::Result<()>> + Send>>,
    uri: hyper::Uri,
    host: String,
}

impl HyperConnection {
    async fn open(url: &str) -> Self {
        let host = url.trim_start_matches("http://").to_owned();
        let stream = tokio::net::TcpStream::connect(&host).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let io = hyper_util::rt::TokioIo::new(stream);
        let (sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
        let uri = format!("{url}{PATH}").parse().unwrap();
        HyperConnection { sender, driver: Box::pin(conn), uri, host }
    }

    async fn verify(&mut self) {
        let request = hyper::Request::get(self.uri.clone())
            .header("host", &self.host)
            .header("x-authy-api-key", "bench-key")
            .header("accept", "application/json")
            .body(Empty::new())
            .unwrap();
        let send = self.sender.send_request(request);
        let call = async { send.await.unwrap().into_body().collect().await.unwrap().to_bytes() };
        let body = tokio::select! {
            biased;
            body = call => body,
            _ = &mut self.driver => panic!("the ceiling closed the connection"),
        };
        assert!(!body.is_empty());
    }
}

async fn reqwest_verify(client: &reqwest::Client, url: &str) {
    let body = client
        .get(url)
        .header("x-authy-api-key", "bench-key")
        .header("accept", "application/json")
        .timeout(Duration::from_secs(10)) // as the authy client sets on every call
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(!body.is_empty());
}

/// Calls per second of `tasks` tasks, each running `call` in a loop for `seconds`.
async fn rate<F, Fut>(tasks: usize, seconds: u64, call: F) -> f64
where
    F: Fn(Instant, Arc<AtomicU64>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let handles: Vec<_> = (0..tasks).map(|_| tokio::spawn(call(deadline, done.clone()))).collect();
    for handle in handles {
        handle.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

async fn measure(url: &str, seconds: u64, tasks: usize, label: &str) {
    let full = format!("{url}{PATH}");
    let hyper = rate(tasks, seconds, |deadline, done| {
        let url = url.to_owned();
        async move {
            let mut connection = HyperConnection::open(&url).await;
            while Instant::now() < deadline {
                connection.verify().await;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }
    })
    .await;
    println!("hyper_{label} {hyper:.0}");
    let client = reqwest::Client::new();
    let reqwest = rate(tasks, seconds, |deadline, done| {
        let (client, full) = (client.clone(), full.clone());
        async move {
            while Instant::now() < deadline {
                reqwest_verify(&client, &full).await;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }
    })
    .await;
    println!("reqwest_{label} {reqwest:.0}");
}

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: layers URL SECONDS");
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    current.block_on(measure(&url, seconds, 1, "sequential"));
    drop(current);
    let multi = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    multi.block_on(measure(&url, seconds, 64, "64"));
}
