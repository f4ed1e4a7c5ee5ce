//! The sandbox control API (SANDBOX.md §3): read what was "sent", see the
//! codes an enrolled app shows, register a device, change settings, move the
//! clock, reset. Authenticated and scoped like the Authy API; mounted only in
//! sandbox mode.

use authy_types::ErrorCode;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::clock::rfc3339;
use crate::db::{AppRow, AppSettings, MessageFilter};
use crate::error::{AppError, ok};
use crate::otp::{self, TotpParams};
use crate::params::Api;
use crate::routes::load_user;
use crate::state::AppState;
use crate::{crypto, phone};

/// The `/sandbox` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sandbox/messages", get(messages))
        .route("/sandbox/users/{id}/totp", get(totp))
        .route("/sandbox/users/{id}/devices", post(register_device))
        .route("/sandbox/app", get(app_settings).put(update_app_settings))
        .route("/sandbox/clock", get(clock).post(advance_clock))
        .route("/sandbox/reset", post(reset))
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
        let open = |sealed: &str| -> Result<String, AppError> {
            let plain = state.crypto.decrypt(sealed).map_err(AppError::internal)?;
            String::from_utf8(plain).map_err(AppError::internal)
        };
        let code = m.code_enc.as_deref().map(open).transpose()?;
        list.push(json!({
            "id": m.id,
            "channel": m.channel,
            "to": phone::display(m.country_code, &m.phone),
            "authy_id": m.authy_id,
            "code": code,
            "text": open(&m.text_enc)?,
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
    let seed = state.crypto.decrypt(sealed).map_err(AppError::internal)?;
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
    })
}

/// `GET /sandbox/app`
async fn app_settings(Api { app, .. }: Api) -> Result<Response, AppError> {
    Ok(ok(json!({"app": settings_json(&app), "success": true})))
}

/// `PUT /sandbox/app`: changes only the settings given.
async fn update_app_settings(
    State(state): State<AppState>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let flag = |name: &str, current: bool| match params.get(&[name]) {
        None => Ok(current),
        Some(_) => params
            .bool(&[name])
            .ok_or_else(|| AppError::invalid_parameter(name, "must be true or false")),
    };
    let token_length = match params.int(&["token_length"])? {
        None => app.token_length,
        Some(n @ 6..=8) => n as u32,
        Some(n) => {
            return Err(AppError::invalid_parameter(
                "token_length",
                format!("'{n}' is not a valid value (6 to 8)"),
            ));
        }
    };
    let callback = match params.0.get("onetouch_callback_url") {
        None => app.onetouch_callback_url.clone(),
        Some(Value::Null) => None,
        Some(Value::String(url)) if url.is_empty() => None,
        Some(Value::String(url)) if url.starts_with("http://") || url.starts_with("https://") => {
            Some(url.clone())
        }
        Some(other) => {
            return Err(AppError::invalid_parameter(
                "onetouch_callback_url",
                format!("'{other}' is not an http or https URL"),
            ));
        }
    };
    let name = match params.string(&["name"])? {
        Some(name) if name.chars().count() <= 100 => name,
        Some(_) => {
            return Err(AppError::invalid_parameter(
                "name",
                "is longer than 100 characters",
            ));
        }
        None => app.name.clone(),
    };
    let settings = AppSettings {
        name,
        sms_enabled: flag("sms_enabled", app.sms_enabled)?,
        phone_calls_enabled: flag("phone_calls_enabled", app.phone_calls_enabled)?,
        onetouch_enabled: flag("onetouch_enabled", app.onetouch_enabled)?,
        generic_tokens_enabled: flag("generic_tokens_enabled", app.generic_tokens_enabled)?,
        legacy_unforced_verify: flag("legacy_unforced_verify", app.legacy_unforced_verify)?,
        reject_get_body: flag("reject_get_body", app.reject_get_body)?,
        token_length,
        onetouch_callback_url: callback,
    };
    state.db.update_app(app.id, &settings).await?;
    let updated = AppRow {
        name: settings.name,
        sms_enabled: settings.sms_enabled,
        phone_calls_enabled: settings.phone_calls_enabled,
        onetouch_enabled: settings.onetouch_enabled,
        generic_tokens_enabled: settings.generic_tokens_enabled,
        legacy_unforced_verify: settings.legacy_unforced_verify,
        reject_get_body: settings.reject_get_body,
        token_length: settings.token_length,
        onetouch_callback_url: settings.onetouch_callback_url,
        ..app
    };
    Ok(ok(json!({"app": settings_json(&updated), "success": true})))
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
    state.db.reset_app(app.id).await?;
    Ok(ok(json!({"message": "Sandbox reset.", "success": true})))
}
