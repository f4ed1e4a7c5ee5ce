//! OneTouch callbacks (WIRE.md §9): the payload, and their delivery.
//!
//! A decision (approve or deny) and its callback are written in one
//! transaction ([`crate::db::Db::decide_approval`]). A background worker then
//! delivers queued callbacks: each attempt is signed afresh (a nonce older than
//! the receiver's limit would fail after a restart), bounded by a timeout, and
//! retried with back-off until a 2xx answer or the attempts run out. Since the
//! queue is the database, a restart loses nothing: delivery is at least once.

use std::sync::Arc;
use std::time::Duration;

use authy_types::signature::{
    canonical_params, sign_data, sign_json, signed_data, url_without_query,
};
use base64::Engine as _;
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use crate::clock::{Clock, SystemClock};
use crate::db::{AppRow, ApprovalRow, Attempt, CallbackRow, UserRow, stored_json};
use crate::state::AppState;

/// How callbacks are delivered.
#[derive(Clone, Debug)]
pub struct CallbackSettings {
    /// Time allowed for one attempt.
    pub timeout: Duration,
    /// Waits before the 2nd, 3rd, ... attempt; attempts = waits + 1.
    pub retry_delays: Vec<Duration>,
}

impl Default for CallbackSettings {
    /// WIRE.md §9.1: 10 s per attempt, 3 attempts, back-off 1 s then 5 s.
    fn default() -> Self {
        CallbackSettings {
            timeout: Duration::from_secs(10),
            retry_delays: vec![Duration::from_secs(1), Duration::from_secs(5)],
        }
    }
}

/// The body of a callback for `request`, now `status` (WIRE.md §9.2).
pub fn payload(
    app: &AppRow,
    user: &UserRow,
    request: &ApprovalRow,
    status: &str,
    device_details: Map<String, Value>,
    now: i64,
) -> Value {
    let (device_id, os_type, registered_at) = match &user.device {
        Some(d) => (d.id, d.os_type.clone(), d.registered_at),
        None => (0, "android".to_owned(), user.created_at),
    };
    let expiration =
        (request.seconds_to_expire > 0).then(|| request.created_at + request.seconds_to_expire);
    // The device's own RSA signature in the real service; nobody verifies it (WIRE.md §9.2).
    let device_signature =
        base64::engine::general_purpose::STANDARD.encode(crate::crypto::random_bytes(256));
    json!({
        "authy_id": user.id,
        "device_uuid": device_id.to_string(),
        "callback_action": "approval_request_status",
        "uuid": request.uuid,
        "status": status,
        "approval_request": {
            "transaction": {
                "details": stored_json(&request.details),
                "device_details": device_details,
                "device_geolocation": "",
                "device_signing_time": now,
                "encrypted": false,
                "flagged": false,
                "hidden_details": stored_json(&request.hidden_details),
                "message": request.message,
                "reason": "",
                "requester_details": null,
                "status": status,
                "uuid": request.uuid,
                "created_at_time": request.created_at,
                "customer_uuid": app.id,
            },
            "expiration_timestamp": expiration,
            "logos": stored_json(&request.logos),
            "app_id": app.object_id,
        },
        "signature": device_signature,
        "device": {
            "city": null,
            "country": null,
            "ip": null,
            "region": null,
            "registration_city": null,
            "registration_country": null,
            "registration_ip": null,
            "registration_method": "sandbox",
            "registration_region": null,
            "os_type": os_type,
            "last_account_recovery_at": null,
            "id": device_id,
            "registration_date": registered_at,
            "last_sync_date": registered_at,
        },
    })
}

/// Delivers queued callbacks until the task is dropped.
pub async fn run_worker(state: AppState, wakeup: Arc<Notify>, settings: CallbackSettings) {
    let http = match reqwest::Client::builder().timeout(settings.timeout).build() {
        Ok(http) => http,
        Err(e) => {
            tracing::error!(error = %e, "callbacks cannot be delivered: no HTTP client");
            return;
        }
    };
    loop {
        // Delivery runs on real time, not the sandbox clock: it talks to real receivers.
        let due = state.db.due_callbacks(SystemClock.now_unix(), 16).await;
        match due {
            Ok(due) if !due.is_empty() => {
                let mut deliveries = tokio::task::JoinSet::new();
                for callback in due {
                    deliveries.spawn(deliver(
                        state.clone(),
                        http.clone(),
                        callback,
                        settings.clone(),
                    ));
                }
                while deliveries.join_next().await.is_some() {}
            }
            Ok(_) => {
                tokio::select! {
                    _ = wakeup.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "reading the callback queue failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// One attempt: sign, send, record.
async fn deliver(
    state: AppState,
    http: reqwest::Client,
    callback: CallbackRow,
    settings: CallbackSettings,
) {
    let api_key = match state.db.app_key(callback.app_id).await {
        Ok(Some(sealed)) => match state.crypto.decrypt(&sealed) {
            Ok(key) => String::from_utf8_lossy(&key).into_owned(),
            Err(e) => return tracing::error!(error = %e, "callback key"),
        },
        Ok(None) => return,
        Err(e) => return tracing::error!(error = %e, "callback key"),
    };
    let body: Value = serde_json::from_str(&callback.body).unwrap_or(Value::Null);
    let now = SystemClock.now_unix();
    let nonce = now.to_string();
    let url = url_without_query(&callback.url);
    let (request, signature) = if callback.method == "GET" {
        // GET: the query string is the canonical parameter string itself (WIRE.md §9.1).
        let query = canonical_params(&body);
        let signature = sign_data(&api_key, &signed_data(&nonce, "GET", url, &query));
        (http.get(format!("{url}?{query}")), signature)
    } else {
        let signature = sign_json(&api_key, &nonce, "POST", url, &body);
        let request = http
            .post(url)
            .header("Content-Type", "application/json")
            .body(callback.body.clone());
        (request, signature)
    };
    let result = request
        .header("X-Authy-Signature", signature.clone())
        .header("X-Authy-Signature-Nonce", nonce.clone())
        .send()
        .await;
    let response_status = result.as_ref().ok().map(|r| i64::from(r.status().as_u16()));
    let delivered = result.as_ref().is_ok_and(|r| r.status().is_success());
    let attempts = callback.attempts as usize + 1;
    let (status, wait) = match (delivered, settings.retry_delays.get(attempts - 1)) {
        (true, _) => ("delivered", Duration::ZERO),
        (false, Some(wait)) => ("retrying", *wait),
        (false, None) => ("failed", Duration::ZERO),
    };
    tracing::info!(callback = %callback.id, request = %callback.request_uuid, status, attempts, ?response_status, "callback attempt");
    let attempt = Attempt {
        status,
        response_status,
        nonce,
        signature,
        next_attempt_at: now + wait.as_secs() as i64,
    };
    if let Err(e) = state.db.record_attempt(&callback.id, attempt).await {
        tracing::error!(error = %e, "recording a callback attempt failed");
    }
}
