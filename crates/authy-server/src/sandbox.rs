//! The sandbox control API (SANDBOX.md §3): read what was "sent", see the
//! codes an enrolled app shows, register a device, change settings, move the
//! clock, reset. Authenticated and scoped like the Authy API; mounted only in
//! sandbox mode.

use authy_types::ErrorCode;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::clock::{Clock as _, rfc3339};
use crate::db::{AppRow, CallbackRow, MessageFilter};
use crate::error::{AppError, ok};
use crate::otp::{self, TotpParams};
use crate::params::{Api, Path};
use crate::routes::load_user;
use crate::routes::onetouch::{approval_json, load_approval};
use crate::state::AppState;
use crate::{callbacks, crypto, phone};

/// The `/sandbox` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sandbox/messages", get(messages))
        .route("/sandbox/users/{id}/totp", get(totp))
        .route("/sandbox/users/{id}/devices", post(register_device))
        .route("/sandbox/app", get(app_settings).put(update_app_settings))
        .route("/sandbox/clock", get(clock).post(advance_clock))
        .route("/sandbox/reset", post(reset))
        .route(
            "/sandbox/approval_requests/{uuid}/approve",
            post(|s, p, api| decide(s, p, api, "approved")),
        )
        .route(
            "/sandbox/approval_requests/{uuid}/deny",
            post(|s, p, api| decide(s, p, api, "denied")),
        )
        .route("/sandbox/callbacks", get(callbacks))
}

/// `GET /sandbox/messages`: everything sent, newest first, with its code.
async fn messages(
    State(state): State<AppState>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let channel = params.string(&["channel"])?;
    if let Some(c) = &channel
        && c != "sms"
        && c != "call"
        && c != "email"
    {
        return Err(AppError::invalid_parameter(
            "channel",
            format!("'{c}' is not a valid value"),
        ));
    }
    let filter = MessageFilter {
        authy_id: params.int(&["authy_id"])?,
        phone: params
            .string(&["phone_number"])?
            .map(|p| p.chars().filter(char::is_ascii_digit).collect()),
        country_code: params.int(&["country_code"])?,
        channel,
        limit: params.int(&["limit"])?.unwrap_or(50).clamp(1, 1000),
    };
    let rows = state.db.messages(app.id, &filter).await?;
    let mut list = Vec::with_capacity(rows.len());
    for m in rows {
        let code = m
            .code_enc
            .as_deref()
            .map(|c| state.crypto.decrypt_text(c))
            .transpose()?;
        list.push(json!({
            "id": m.id,
            "channel": m.channel,
            "to": if m.channel == "email" { m.phone.clone() } else { phone::display(m.country_code, &m.phone) },
            "authy_id": m.authy_id,
            "code": code,
            "text": state.crypto.decrypt_text(&m.text_enc)?,
            "kind": m.kind,
            "locale": m.locale,
            "created_at": rfc3339(m.created_at),
        }));
    }
    Ok(ok(json!({"messages": list, "success": true})))
}

/// `GET /sandbox/users/{id}/totp`: the code the user's app shows now.
async fn totp(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Api { app, .. }: Api,
) -> Result<Response, AppError> {
    let user = load_user(&state, app.id, &id).await?;
    let (sealed, p, source): (&str, TotpParams, &str) = match (&user.device, &user.generic_seed) {
        (Some(device), _) => (&device.seed, otp::authy_app(app.token_length), "authy_app"),
        (None, Some(seed)) => (seed, otp::GENERIC, "authenticator"),
        (None, None) => {
            return Err(AppError::with_message(
                ErrorCode::Generic,
                "The user has no Authy app or authenticator: POST /sandbox/users/{id}/devices or users/{id}/secret first",
            ));
        }
    };
    let seed = state.crypto.decrypt(sealed)?;
    let now = state.now(&app);
    Ok(ok(json!({
        "token": otp::code_at_step(&seed, otp::step_of(now, p), p),
        "digits": p.digits,
        "period": p.period,
        "seconds_remaining": p.period - now.rem_euclid(p.period),
        "source": source,
        "success": true,
    })))
}

/// `POST /sandbox/users/{id}/devices`: the user installs and registers the Authy app.
async fn register_device(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let user = load_user(&state, app.id, &id).await?;
    let os_type = params
        .string(&["os_type"])?
        .unwrap_or_else(|| "android".into());
    if !["android", "ios", "authy_desktop"].contains(&os_type.as_str()) {
        return Err(AppError::invalid_parameter(
            "os_type",
            format!("'{os_type}' is not a valid value"),
        ));
    }
    // WIRE.md §8.1: a 16-byte seed, shown to authenticators as base32.
    let seed = crypto::random_bytes(16);
    let device_id = 1_000_000
        + i64::from(u32::from_be_bytes(crypto::random_bytes(4).try_into().expect("4 bytes")) >> 1);
    let now = state.now(&app);
    state
        .db
        .set_device(
            user.id,
            device_id,
            &os_type,
            &state.crypto.encrypt(&seed),
            now,
        )
        .await?;
    let uri = format!(
        "otpauth://totp/{}?secret={}&digits={}&period=10&algorithm=SHA1",
        crate::qr::uri_component(&app.name),
        data_encoding::BASE32_NOPAD.encode(&seed),
        app.token_length
    );
    Ok(ok(json!({
        "message": "Device registered.",
        "device": {"id": device_id, "os_type": os_type, "registration_date": now},
        "uri": uri,
        "success": true,
    })))
}

fn settings_json(app: &AppRow) -> Value {
    json!({
        "name": app.name,
        "onetouch_callback_url": app.onetouch_callback_url,
        "sms_enabled": app.sms_enabled,
        "phone_calls_enabled": app.phone_calls_enabled,
        "onetouch_enabled": app.onetouch_enabled,
        "generic_tokens_enabled": app.generic_tokens_enabled,
        "legacy_unforced_verify": app.legacy_unforced_verify,
        "reject_get_body": app.reject_get_body,
        "token_length": app.token_length,
        "onetouch_callback_method": app.onetouch_callback_method,
        "custom_codes_enabled": app.custom_codes_enabled,
    })
}

/// `GET /sandbox/app`
async fn app_settings(Api { app, .. }: Api) -> Result<Response, AppError> {
    Ok(ok(json!({"app": settings_json(&app), "success": true})))
}

/// `PUT /sandbox/app`: changes only the settings given; a refused value changes nothing.
async fn update_app_settings(
    State(state): State<AppState>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let mut s = app.settings();
    let flag = |name: &str, current: &mut bool| -> Result<(), AppError> {
        if params.get(&[name]).is_some() {
            *current = params
                .bool(&[name])
                .ok_or_else(|| AppError::invalid_parameter(name, "must be true or false"))?;
        }
        Ok(())
    };
    flag("sms_enabled", &mut s.sms_enabled)?;
    flag("phone_calls_enabled", &mut s.phone_calls_enabled)?;
    flag("onetouch_enabled", &mut s.onetouch_enabled)?;
    flag("generic_tokens_enabled", &mut s.generic_tokens_enabled)?;
    flag("legacy_unforced_verify", &mut s.legacy_unforced_verify)?;
    flag("reject_get_body", &mut s.reject_get_body)?;
    flag("custom_codes_enabled", &mut s.custom_codes_enabled)?;
    match params.int(&["token_length"])? {
        None => {}
        Some(n @ 6..=8) => s.token_length = n as u32,
        Some(n) => {
            return Err(AppError::invalid_parameter(
                "token_length",
                format!("'{n}' is not a valid value (6 to 8)"),
            ));
        }
    }
    match params.0.get("onetouch_callback_url") {
        None => {}
        Some(Value::Null) => s.onetouch_callback_url = None,
        Some(Value::String(url)) if url.is_empty() => s.onetouch_callback_url = None,
        Some(Value::String(url)) if url.starts_with("http://") || url.starts_with("https://") => {
            s.onetouch_callback_url = Some(url.clone())
        }
        Some(other) => {
            return Err(AppError::invalid_parameter(
                "onetouch_callback_url",
                format!("'{other}' is not an http or https URL"),
            ));
        }
    }
    match params
        .string(&["onetouch_callback_method"])?
        .map(|m| m.to_ascii_uppercase())
    {
        None => {}
        Some(m) if m == "POST" || m == "GET" => s.onetouch_callback_method = m,
        Some(m) => {
            return Err(AppError::invalid_parameter(
                "onetouch_callback_method",
                format!("'{m}' is not a valid value (POST or GET)"),
            ));
        }
    }
    match params.string(&["name"])? {
        None => {}
        Some(name) if name.chars().count() <= 100 => s.name = name,
        Some(_) => {
            return Err(AppError::invalid_parameter(
                "name",
                "is longer than 100 characters",
            ));
        }
    }
    state.db.update_app(app.id, &s).await?;
    let updated = state
        .db
        .app(app.id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::InvalidApiKey))?;
    Ok(ok(json!({"app": settings_json(&updated), "success": true})))
}

/// The user pressed Approve or Deny: the request leaves `pending` and, if the
/// application has a callback URL, a signed callback is queued with the decision.
async fn decide(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
    Api { app, params }: Api,
    status: &'static str,
) -> Result<Response, AppError> {
    let request = load_approval(&state, &app, &uuid).await?;
    let not_pending = |now: &str| {
        AppError::with_message(
            ErrorCode::ApprovalRequestNotPending,
            format!("Approval request is not pending: it is {now}"),
        )
    };
    if request.status != "pending" {
        return Err(not_pending(&request.status));
    }
    let device_details = params
        .object(&["device_details"])
        .cloned()
        .unwrap_or_default();
    let user = state
        .db
        .user(app.id, request.user_id)
        .await?
        .ok_or_else(AppError::user_not_found)?;
    let now = state.now(&app);
    let callback = app.onetouch_callback_url.as_ref().map(|url| CallbackRow {
        id: uuid::Uuid::new_v4().to_string(),
        app_id: app.id,
        request_uuid: request.uuid.clone(),
        url: url.clone(),
        method: app.onetouch_callback_method.clone(),
        body: callbacks::payload(&app, &user, &request, status, device_details, now).to_string(),
        status: "pending".into(),
        attempts: 0,
        response_status: None,
        nonce: None,
        signature: None,
        created_at: crate::clock::SystemClock.now_unix(),
    });
    // Only one decision wins, even when two arrive at once.
    if !state
        .db
        .decide_approval(app.id, &uuid, status, now, callback.as_ref())
        .await?
    {
        let current = load_approval(&state, &app, &uuid).await?;
        return Err(not_pending(&current.status));
    }
    state.callbacks.notify_one();
    let decided = load_approval(&state, &app, &uuid).await?;
    Ok(ok(
        json!({"approval_request": approval_json(&state, &app, &decided).await?, "success": true}),
    ))
}

/// `GET /sandbox/callbacks`: every callback queued, newest first, with its last attempt.
async fn callbacks(
    State(state): State<AppState>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let limit = params.int(&["limit"])?.unwrap_or(50).clamp(1, 1000);
    let list: Vec<Value> = state
        .db
        .callbacks(app.id, limit)
        .await?
        .into_iter()
        .map(|c| {
            json!({
                "id": c.id,
                "approval_request_uuid": c.request_uuid,
                "url": c.url,
                "method": c.method,
                "status": c.status,
                "attempts": c.attempts,
                "response_status": c.response_status,
                "nonce": c.nonce,
                "signature": c.signature,
                "body": serde_json::from_str::<Value>(&c.body).unwrap_or(Value::Null),
                "created_at": rfc3339(c.created_at),
            })
        })
        .collect();
    Ok(ok(json!({"callbacks": list, "success": true})))
}

fn clock_json(state: &AppState, offset: i64) -> Value {
    let now = state.clock.now_unix() + offset;
    json!({"offset_seconds": offset, "now": rfc3339(now), "success": true})
}

/// `GET /sandbox/clock`
async fn clock(State(state): State<AppState>, Api { app, .. }: Api) -> Result<Response, AppError> {
    Ok(ok(clock_json(&state, app.clock_offset)))
}

/// `POST /sandbox/clock` with `advance_seconds`: forward only.
async fn advance_clock(
    State(state): State<AppState>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let seconds = params
        .int(&["advance_seconds"])?
        .ok_or_else(|| AppError::required("advance_seconds"))?;
    if !(0..=10 * 365 * 86400).contains(&seconds) {
        return Err(AppError::invalid_parameter(
            "advance_seconds",
            format!("'{seconds}' is not a valid value (0 to ten years)"),
        ));
    }
    let offset = app.clock_offset + seconds;
    state.db.set_clock_offset(app.id, offset).await?;
    Ok(ok(clock_json(&state, offset)))
}

/// `POST /sandbox/reset`: deletes the application's data, keeps the application.
async fn reset(State(state): State<AppState>, Api { app, .. }: Api) -> Result<Response, AppError> {
    state.flush_counts().await?;
    state.db.reset_app(app.id).await?;
    Ok(ok(json!({"message": "Sandbox reset.", "success": true})))
}
