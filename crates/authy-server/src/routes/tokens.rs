//! One-time tokens: SMS and voice delivery, verification (WIRE.md §3.7, §3.8,
//! §3.10, §8).

use authy_types::ErrorCode;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::{device_type, load_user, text_param};
use crate::db::{AppRow, Claim, Counter, Seed, UserRow, Verdict};
use crate::error::{AppError, ok};
use crate::otp;
use crate::params::{Api, Path};
use crate::state::{AppState, Outgoing};
use crate::{phone, texts};

/// How long an SMS or voice code stays valid (WIRE.md §8.3).
pub const CODE_LIFETIME_SECONDS: i64 = 600;

const SMS_IGNORED: &str = "Ignored: SMS is not needed for smartphones. Pass force=true if you want to actually send it anyway.";
// The two spaces in "using  App" are the real service's (WIRE.md §3.8).
const CALL_IGNORED: &str = "Call ignored. User is using  App Tokens and this call is not necessary. Pass force=true if you still want to call users that are using the App.";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Channel {
    Sms,
    Call,
}

/// `GET /protected/json/sms/{id}`
pub async fn sms(state: State<AppState>, id: Path<String>, api: Api) -> Result<Response, AppError> {
    request(state, id, api, Channel::Sms).await
}

/// `GET /protected/json/call/{id}`
pub async fn call(
    state: State<AppState>,
    id: Path<String>,
    api: Api,
) -> Result<Response, AppError> {
    request(state, id, api, Channel::Call).await
}

/// `POST /protected/json/email/{id}` (authy-ruby): the code by e-mail, to the
/// user's address (WIRE.md §3.9). The code behaves like an SMS code, and the
/// e-mail lands in the sandbox inbox with channel `email`.
pub async fn email(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Api { app, .. }: Api,
) -> Result<Response, AppError> {
    let user = load_user(&state, app.id, &id).await?;
    let now = state.now(&app);
    state.check_send_limits(&app, 0, &user.email, now).await?;
    let code = issue_code(&state, &app, &user, "", now).await?;
    let text = texts::message("en", &app.name, &code, false, None);
    let outgoing = Outgoing {
        authy_id: Some(user.id),
        // An e-mail has no phone: the address takes its place, with country code 0.
        country_code: 0,
        to: &user.email,
        channel: "email",
        kind: "token",
        code: Some(&code),
        text: &text,
        locale: "en",
    };
    state.deliver(&app, outgoing, now).await?;
    // `email_id` is `EM` + 32 lower-case hex digits, as the real service's.
    let email_id = format!(
        "EM{}",
        data_encoding::HEXLOWER.encode(&crate::crypto::random_bytes(16))
    );
    Ok(ok(json!({
        "success": true,
        "message": "Email token was sent",
        "email": user.email,
        "email_id": email_id,
    })))
}

async fn request(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Api { app, params }: Api,
    channel: Channel,
) -> Result<Response, AppError> {
    let user = load_user(&state, app.id, &id).await?;
    match channel {
        Channel::Sms if !app.sms_enabled => return Err(AppError::new(ErrorCode::SmsDisabled)),
        Channel::Call if !app.phone_calls_enabled => {
            return Err(AppError::new(ErrorCode::CallsDisabled));
        }
        _ => {}
    }
    let force = params.bool(&["force"]).unwrap_or(false);
    let action = text_param(&params, "action", 255)?.unwrap_or_default();
    // rinvex sends `actionMessage` (WIRE.md §3.7).
    let action_message = match text_param(&params, "action_message", 255)? {
        Some(m) => Some(m),
        None => text_param(&params, "actionMessage", 255)?,
    };
    let locale = text_param(&params, "locale", 16)?;
    let cellphone = phone::mask_for_token(user.country_code, &user.cellphone);

    // A user with the Authy app gets codes there, unless forced (WIRE.md §3.7).
    if let (Some(device), false) = (&user.device, force) {
        let message = if channel == Channel::Sms {
            SMS_IGNORED
        } else {
            CALL_IGNORED
        };
        return Ok(ok(json!({
            "message": message,
            "cellphone": cellphone,
            "device": device_type(&device.os_type),
            "ignored": true,
            "success": true,
        })));
    }

    let now = state.now(&app);
    state
        .check_send_limits(&app, user.country_code, &user.cellphone, now)
        .await?;
    let code = issue_code(&state, &app, &user, &action, now).await?;
    let voice = channel == Channel::Call;
    let language = texts::language(locale.as_deref());
    let text = texts::message(language, &app.name, &code, voice, action_message.as_deref());
    let outgoing = Outgoing {
        authy_id: Some(user.id),
        country_code: user.country_code,
        to: &user.cellphone,
        channel: if voice { "call" } else { "sms" },
        kind: "token",
        code: Some(&code),
        text: &text,
        locale: locale.as_deref().unwrap_or("en"),
    };
    state.deliver(&app, outgoing, now).await?;
    Ok(ok(if voice {
        json!({"cellphone": cellphone, "message": "Call started...", "success": true})
    } else {
        json!({"success": true, "message": "SMS token was sent", "cellphone": cellphone})
    }))
}

/// The user's valid code for `action`, or a new one (a request while a code is
/// valid re-sends the same code; WIRE.md §8.3).
async fn issue_code(
    state: &AppState,
    app: &AppRow,
    user: &UserRow,
    action: &str,
    now: i64,
) -> Result<String, AppError> {
    if let Some(pending) = state.db.pending_token(user.id, action, now).await? {
        return Ok(state.crypto.decrypt_text(&pending.code_enc)?);
    }
    let code = crate::crypto::random_digits(app.token_length as usize);
    let sealed = state.crypto.encrypt(code.as_bytes());
    state
        .db
        .insert_token(
            app.id,
            user.id,
            &sealed,
            action,
            now,
            now + CODE_LIFETIME_SECONDS,
        )
        .await?;
    Ok(code)
}

/// `GET /protected/json/verify/{token}/{id}`
pub async fn verify(
    State(state): State<AppState>,
    Path((token, id)): Path<(String, String)>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let user = load_user(&state, app.id, &id).await?;
    let now = state.now(&app);
    let force = params.bool(&["force"]).unwrap_or(false);
    let action = params.string(&["action"])?.unwrap_or_default();

    // First what the token would prove (reads and crypto only), then one
    // transaction records the attempt, applies the guessing limit and consumes
    // the code or step: one durable write per verification.
    let claim = if !(6..=12).contains(&token.len()) || !token.bytes().all(|b| b.is_ascii_digit()) {
        // Token syntax errors are 60020, never 400 (WIRE.md §3.10); still an attempt.
        Claim::Nothing
    } else if !force && app.legacy_unforced_verify && user.device.is_none() && !user.confirmed {
        // Legacy lax behaviour, only when the application asks for it and only
        // for syntactically valid tokens (WIRE.md §3.10).
        Claim::Unchecked
    } else {
        match_token(&state, &app, &user, &token, &action, now).await?
    };
    let limits = &state.limits;
    let since = now - limits.verify_window;
    match state
        .db
        .verify_attempt(&user, now, since, limits.verify_failures, claim)
        .await?
    {
        Verdict::Accepted => {}
        Verdict::Reused => return Err(AppError::new(ErrorCode::TokenReused)),
        Verdict::Rejected => return Err(AppError::invalid_token()),
        Verdict::Limited { oldest } => {
            return Err(AppError::rate_limited(
                (oldest + limits.verify_window - now).max(1) as u64,
            ));
        }
    }
    state.count(&app, Counter::Auths);
    // The device that produced the code (WIRE.md §3.10): the Authy app's for its
    // TOTP, `unknown` for an authenticator app, `sms` for SMS and voice codes.
    let device = user.device.as_ref();
    let (os_type, id, registration_date) = match claim {
        Claim::Step {
            seed: Seed::Device, ..
        } => (
            device.map_or("unknown", |d| &d.os_type),
            device.map(|d| d.id),
            device.map_or(0, |d| d.registered_at),
        ),
        Claim::Step {
            seed: Seed::Generic,
            ..
        } => ("unknown", None, user.created_at),
        Claim::Code { .. } | Claim::Unchecked | Claim::Nothing => ("sms", None, user.created_at),
    };
    let body = Valid {
        message: "Token is valid.",
        token: "is valid",
        success: "true",
        device: ValidDevice {
            id,
            os_type,
            registration_date,
            ..ValidDevice::default()
        },
    };
    Ok(crate::error::json(StatusCode::OK, &body))
}

/// The answer to an accepted token, field for field in the real service's
/// order (WIRE.md §3.10). Serialised straight from this struct: verification is
/// the hottest path, and a `json!` tree would cost a few dozen allocations.
#[derive(Serialize)]
struct Valid<'a> {
    message: &'static str,
    token: &'static str,
    /// The string "true", as the real service sends it.
    success: &'static str,
    device: ValidDevice<'a>,
}

/// `device` of [`Valid`]: what the server does not know is `null`.
#[derive(Default, Serialize)]
struct ValidDevice<'a> {
    id: Option<i64>,
    os_type: &'a str,
    registration_date: i64,
    registration_method: Option<&'a str>,
    registration_country: Option<&'a str>,
    registration_region: Option<&'a str>,
    registration_city: Option<&'a str>,
    country: Option<&'a str>,
    region: Option<&'a str>,
    city: Option<&'a str>,
    ip: Option<&'a str>,
    last_account_recovery_at: Option<i64>,
    last_sync_date: Option<i64>,
}

/// What `token` would prove, trying the Authy-app TOTP, the generic TOTP, then
/// the SMS/voice codes. Nothing is written here.
async fn match_token(
    state: &AppState,
    app: &AppRow,
    user: &UserRow,
    token: &str,
    action: &str,
    now: i64,
) -> Result<Claim, AppError> {
    if let Some(device) = &user.device {
        let seed = state.crypto.decrypt(&device.seed)?;
        if let Some(step) = otp::matching_step(&seed, token, now, otp::authy_app(app.token_length))
        {
            return Ok(Claim::Step {
                seed: Seed::Device,
                step,
            });
        }
    }
    if let Some(sealed) = &user.generic_seed {
        let seed = state.crypto.decrypt(sealed)?;
        if let Some(step) = otp::matching_step(&seed, token, now, otp::GENERIC) {
            return Ok(Claim::Step {
                seed: Seed::Generic,
                step,
            });
        }
    }
    for pending in state.db.live_tokens(user.id, now).await? {
        let code = state.crypto.decrypt(&pending.code_enc)?;
        if !bool::from(code.ct_eq(token.as_bytes())) {
            continue;
        }
        // A code issued for an action verifies only with that action (WIRE.md §3.10).
        if pending.action != action {
            return Ok(Claim::Nothing);
        }
        return Ok(Claim::Code {
            token_id: pending.id,
        });
    }
    Ok(Claim::Nothing)
}
