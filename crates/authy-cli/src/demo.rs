//! `authy demo`: the whole 2FA story against an embedded server, one step at a
//! time, checking at each step that the server behaved as the Authy API does.
//! It exits 0 only if every step did.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authy::api::onetouch::ApprovalStatus;
use authy::api::phones::Via;
use authy::callback::{CallbackRequest, CallbackVerifier};
use authy_server::{Application, Config};
use serde_json::{Value, json};

const KEY: &str = "demo-api-key-0123456789abcdefABCD";

/// The headers and body of the callback the receiver got.
struct ReceivedCallback {
    signature: Option<String>,
    nonce: Option<String>,
    body: Vec<u8>,
}

type Slot = Arc<Mutex<Option<ReceivedCallback>>>;

/// Something that did not behave as the Authy API does.
type StepResult = Result<(), String>;

fn check(ok: bool, what: impl FnOnce() -> String) -> StepResult {
    if ok { Ok(()) } else { Err(what()) }
}

struct Demo {
    client: authy::Client,
    http: authy::reqwest::Client,
    url: String,
    step: usize,
}

impl Demo {
    fn title(&mut self, title: &str, notice: &str) {
        self.step += 1;
        println!("\n[{}/9] {title}", self.step);
        println!("      {notice}");
    }

    /// A sandbox control API call (SANDBOX.md §3).
    async fn sandbox(
        &self,
        method: authy::reqwest::Method,
        path: &str,
        body: Value,
    ) -> Result<Value, String> {
        let answer = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("X-Authy-API-Key", KEY)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("sandbox {path}: {e}"))?;
        answer
            .json()
            .await
            .map_err(|e| format!("sandbox {path}: {e}"))
    }

    async fn last_code(&self) -> Result<String, String> {
        let inbox = self
            .sandbox(
                authy::reqwest::Method::GET,
                "/sandbox/messages?limit=1",
                json!({}),
            )
            .await?;
        let message = &inbox["messages"][0];
        println!(
            "      inbox: {} → \"{}\"",
            message["to"].as_str().unwrap_or("?"),
            message["text"].as_str().unwrap_or("?")
        );
        message["code"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "the inbox has no code".to_owned())
    }
}

fn show(label: &str, value: impl std::fmt::Display) {
    println!("      {label:<10} {value}");
}

pub async fn run() -> ExitCode {
    println!(
        "authy demo: an Authy-compatible server on loopback, driven by the Rust client library."
    );
    let config = Config {
        listen: "127.0.0.1:0".into(),
        database_url: "sqlite::memory:".into(),
        api_keys: vec![KEY.into()],
        app_name: "Demo Shop".into(),
        ..Config::default()
    };
    let app = match Application::build(config, Arc::new(authy_server::clock::SystemClock)).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("authy demo: the embedded server did not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let url = format!("http://{}", app.local_addr());
    println!("server:  {url} (throw-away in-memory database)");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let client = match authy::Client::builder(KEY).base_url(url.clone()).build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("authy demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut demo = Demo {
        client,
        http: authy::reqwest::Client::new(),
        url,
        step: 0,
    };
    let result = story(&mut demo).await;
    let _ = stop.send(());
    let _ = server.await;
    match result {
        Ok(()) => {
            println!(
                "\nEvery step behaved as the Authy API does. Next: `authy serve`, then point your application's Authy client at it."
            );
            ExitCode::SUCCESS
        }
        Err(what) => {
            eprintln!(
                "\nauthy demo: step {} did not behave as the Authy API does: {what}",
                demo.step
            );
            ExitCode::FAILURE
        }
    }
}

async fn story(d: &mut Demo) -> StepResult {
    let e = |e: authy::Error| e.to_string();

    d.title(
        "Register a user",
        "Users are matched on country code and phone: registering again returns the same authy id.",
    );
    let user = d
        .client
        .users()
        .create("ada@example.com", "405-342-5699")
        .country_code(1)
        .send()
        .await
        .map_err(e)?;
    let again = d
        .client
        .users()
        .create("ada.lovelace@example.com", "(405) 342-5699")
        .send()
        .await
        .map_err(e)?;
    show("authy_id", user.id());
    show(
        "again",
        format!("{} (same phone, another e-mail)", again.id()),
    );
    check(user.id() == again.id(), || {
        "a second registration gave another id".into()
    })?;
    let id = user.id();

    d.title(
        "Send a login code by SMS",
        "The server \"sends\" it to the sandbox inbox, where a test can read it.",
    );
    let sent = d.client.tokens().sms(id).send().await.map_err(e)?;
    show(
        "answer",
        format!(
            "{} to {}",
            sent.message,
            sent.cellphone.as_deref().unwrap_or("?")
        ),
    );
    let code = d.last_code().await?;

    d.title(
        "Verify the code",
        "A valid code answers 200 with \"token\":\"is valid\": what the official clients look for.",
    );
    let wrong = if code == "0000000" {
        "1111111"
    } else {
        "0000000"
    };
    let refused = d.client.tokens().verify(id, wrong).send().await;
    show(
        "wrong code",
        refused
            .as_ref()
            .err()
            .map_or("accepted!".to_owned(), |e| e.to_string()),
    );
    check(
        refused.as_ref().is_err_and(authy::Error::is_invalid_token),
        || "a wrong code was not refused with 60020".into(),
    )?;
    let ok = d
        .client
        .tokens()
        .verify(id, code.as_str())
        .send()
        .await
        .map_err(e)?;
    show("right code", &ok.message);

    d.title(
        "Replay the same code",
        "A code is single use: presenting it again is refused with 60019.",
    );
    let replay = d.client.tokens().verify(id, code.as_str()).send().await;
    show(
        "answer",
        replay
            .as_ref()
            .err()
            .map_or("accepted!".to_owned(), |e| e.to_string()),
    );
    check(replay.is_err_and(|e| e.is_token_reused()), || {
        "the replayed code was not refused with 60019".into()
    })?;

    d.title(
        "Install the Authy app (simulated)",
        "Once the user has the app, SMS requests are ignored unless forced, and app codes verify.",
    );
    d.sandbox(
        authy::reqwest::Method::POST,
        &format!("/sandbox/users/{id}/devices"),
        json!({"os_type": "ios"}),
    )
    .await?;
    let ignored = d.client.tokens().sms(id).send().await.map_err(e)?;
    show("sms", &ignored.message);
    check(ignored.ignored(), || {
        "the SMS was not ignored for a user with the app".into()
    })?;
    let totp = d
        .sandbox(
            authy::reqwest::Method::GET,
            &format!("/sandbox/users/{id}/totp"),
            json!({}),
        )
        .await?;
    let app_code = totp["token"].as_str().unwrap_or_default().to_owned();
    let verified = d
        .client
        .tokens()
        .verify(id, app_code.as_str())
        .send()
        .await
        .map_err(e)?;
    show("app code", format!("{app_code} → {}", verified.message));

    d.title("OneTouch: push, approve, signed callback", "The app's answer reaches your callback URL signed with your API key; check it before trusting it.");
    let received = Arc::new(Mutex::new(None));
    let callback_url = start_receiver(received.clone()).await?;
    d.sandbox(
        authy::reqwest::Method::PUT,
        "/sandbox/app",
        json!({"onetouch_callback_url": callback_url}),
    )
    .await?;
    let request = d
        .client
        .onetouch()
        .send(id, "Log in to Demo Shop?")
        .detail("Browser", "Firefox")
        .seconds_to_expire(120)
        .send()
        .await
        .map_err(e)?;
    show("uuid", request.uuid());
    d.sandbox(
        authy::reqwest::Method::POST,
        &format!("/sandbox/approval_requests/{}/approve", request.uuid()),
        json!({}),
    )
    .await?;
    let last = d
        .client
        .onetouch()
        .wait_for_approval(
            request.uuid(),
            Duration::from_secs(10),
            Duration::from_millis(200),
        )
        .await
        .map_err(e)?;
    show("status", &last.status);
    check(last.status == ApprovalStatus::Approved, || {
        format!("the request is {}, not approved", last.status)
    })?;
    let mut callback = None;
    for _ in 0..100 {
        callback = received.lock().unwrap().take();
        if callback.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ReceivedCallback {
        signature,
        nonce,
        body,
    } = callback.ok_or("no callback arrived within 5 s")?;
    let verdict = CallbackVerifier::new(KEY).verify(&CallbackRequest {
        method: "POST",
        url: &callback_url,
        signature: signature.as_deref(),
        nonce: nonce.as_deref(),
        body: &body,
    });
    show(
        "callback",
        verdict.as_ref().map_or_else(
            |e| format!("REFUSED: {e}"),
            |()| "signature valid (X-Authy-Signature, HMAC-SHA256)".to_owned(),
        ),
    );
    verdict.map_err(|e| e.to_string())?;

    d.title(
        "Verify a phone number",
        "Phone verification needs no user: a code to the phone, checked once, valid ten minutes.",
    );
    let started = d
        .client
        .phones()
        .start(Via::Sms, 1, "201-555-0123")
        .code_length(6)
        .send()
        .await
        .map_err(e)?;
    show("answer", &started.message);
    let code = d.last_code().await?;
    let checked = d
        .client
        .phones()
        .check(1, "201-555-0123", code.as_str())
        .send()
        .await
        .map_err(e)?;
    show("check", &checked.message);

    d.title(
        "Phone information",
        "Line type and carrier come from libphonenumber's data.",
    );
    let info = d
        .client
        .phones()
        .info(44, "7106 123456")
        .send()
        .await
        .map_err(e)?;
    show(
        "+44 7106…",
        format!(
            "{} ({})",
            info.phone_type,
            info.provider.as_deref().unwrap_or("carrier unknown")
        ),
    );
    check(info.phone_type == "cellphone", || {
        format!("a UK mobile was typed {}", info.phone_type)
    })?;

    d.title(
        "Application statistics",
        "The server counts what it did, month by month, as app/stats reports.",
    );
    let stats = d.client.app().stats().send().await.map_err(e)?;
    let month = stats.stats.last().ok_or("no months in app/stats")?;
    show(
        "this month",
        format!(
            "{} SMS, {} verifications, {} users, {} API calls",
            month.sms_count, month.auths_count, month.users_count, month.api_calls_count
        ),
    );
    check(
        month.sms_count == 2 && month.auths_count == 2 && month.users_count == 1,
        || format!("unexpected counts {month:?}"),
    )?;
    Ok(())
}

/// A one-route callback receiver on loopback that keeps the last callback.
async fn start_receiver(slot: Slot) -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}/authy/callback",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let handler = move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        *slot.lock().unwrap() = Some(ReceivedCallback {
            signature: header("x-authy-signature"),
            nonce: header("x-authy-signature-nonce"),
            body: body.to_vec(),
        });
        async { "ok" }
    };
    tokio::spawn(async move {
        axum::serve(
            listener,
            axum::Router::new().route("/authy/callback", axum::routing::post(handler)),
        )
        .await
    });
    Ok(url)
}
