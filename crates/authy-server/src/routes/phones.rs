//! Phone verification (Verify v1) and phone intelligence (WIRE.md §3.13–§3.15,
//! §3.18, §8.4).
//!
//! A verification is keyed by (application, country code, phone). Its code is
//! valid for ten minutes; a second start meanwhile re-sends the same code with
//! the same uuid and expiry. Five wrong checks lock it: every further check, and
//! every start for that phone, answers 429 `60003` until it would have expired.

use authy_types::ErrorCode;
use axum::extract::State;
use axum::response::Response;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::text_param;
use crate::clock::date_time;
use crate::db::{AppRow, VerificationRow};
use crate::error::{AppError, ok};
use crate::params::{Api, Params};
use crate::phone::{self, LineType};
use crate::state::{AppState, Outgoing};
use crate::texts;

/// "Each verification code is valid for 10 minutes." (WIRE.md §3.14)
pub const VERIFICATION_LIFETIME_SECONDS: i64 = 600;
/// Wrong checks before a verification is locked (WIRE.md §3.15).
pub const MAX_FAILED_CHECKS: i64 = 5;

/// `POST /protected/json/phones/verification/start`
pub async fn start(
    State(state): State<AppState>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let via = params
        .string(&["via"])?
        .ok_or_else(|| AppError::required("via"))?;
    let voice = match via.as_str() {
        "sms" => false,
        "call" => true,
        other => {
            return Err(AppError::invalid_parameter(
                "via",
                format!("'{other}' is not a valid value"),
            ));
        }
    };
    let (country_code, typed) = phone_params(&params)?;
    let code_length = match params.int(&["code_length"])? {
        None => 4,
        Some(n @ 4..=10) => n as usize,
        Some(n) => {
            return Err(AppError::invalid_parameter(
                "code_length",
                format!("'{n}' is not a valid value"),
            ));
        }
    };
    let locale = text_param(&params, "locale", 16)?;
    let custom_message = text_param(&params, "custom_message", 1000)?;
    let custom_code = params.string(&["custom_code"])?;
    if let Some(code) = &custom_code {
        if !app.custom_codes_enabled {
            return Err(AppError::with_message(
                ErrorCode::VerificationNotCreated,
                ErrorCode::VerificationNotCreated.message_with("custom codes are not allowed."),
            ));
        }
        if !(4..=10).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::invalid_parameter(
                "custom_code",
                format!("'{code}' is not a valid value"),
            ));
        }
    }
    let line = phone::lookup(country_code, &typed)
        .ok_or_else(|| AppError::new(ErrorCode::InvalidPhoneNumber))?;
    match line.line_type {
        LineType::Landline if !voice => return Err(AppError::new(ErrorCode::LandlineSms)),
        LineType::TollFree | LineType::PremiumRate => {
            return Err(AppError::new(ErrorCode::PhoneNotProvisioned));
        }
        _ => {}
    }

    let now = state.now(&app);
    state
        .check_send_limits(&app, country_code, &line.digits, now)
        .await?;
    let (verification, code) = match state
        .db
        .latest_verification(app.id, country_code, &line.digits)
        .await?
    {
        Some(v) if v.expires_at > now && v.status == "pending" => {
            let code = state.crypto.decrypt_text(&v.code_enc)?;
            (v, code)
        }
        Some(v) if v.expires_at > now && v.status == "locked" => {
            return Err(AppError::rate_limited((v.expires_at - now) as u64));
        }
        _ => {
            let code = custom_code.unwrap_or_else(|| crate::crypto::random_digits(code_length));
            let v = VerificationRow {
                id: 0,
                uuid: uuid::Uuid::new_v4().to_string(),
                code_enc: state.crypto.encrypt(code.as_bytes()),
                status: "pending".into(),
                failed_checks: 0,
                created_at: now,
                expires_at: now + VERIFICATION_LIFETIME_SECONDS,
            };
            state
                .db
                .insert_verification(app.id, country_code, &line.digits, &v)
                .await?;
            (v, code)
        }
    };

    let language = texts::language(locale.as_deref());
    let text =
        texts::verification_message(language, &app.name, &code, voice, custom_message.as_deref());
    let outgoing = Outgoing {
        authy_id: None,
        country_code,
        to: &line.digits,
        channel: if voice { "call" } else { "sms" },
        kind: "phone_verification",
        code: Some(&code),
        text: &text,
        locale: locale.as_deref().unwrap_or("en"),
    };
    state.deliver(&app, outgoing, now).await?;
    let shown = phone::display(country_code, &line.digits);
    Ok(ok(json!({
        "carrier": line.carrier.unwrap_or_default(),
        "is_cellphone": line.line_type == LineType::Cellphone,
        "is_ported": false,
        "message": texts::verification_started(language, voice, &shown),
        "seconds_to_expire": seconds_left(&verification, now),
        "uuid": verification.uuid,
        "success": true,
    })))
}

/// Whole seconds left, rounded down: 599 right after creation (WIRE.md §3.14).
fn seconds_left(v: &VerificationRow, now: i64) -> i64 {
    (v.expires_at - now - 1).max(0)
}

/// `country_code` and `phone_number`, both required.
fn phone_params(params: &Params) -> Result<(u16, String), AppError> {
    let country_code = params
        .int(&["country_code"])?
        .ok_or_else(|| AppError::required("country_code"))?;
    let typed = params
        .string(&["phone_number"])?
        .ok_or_else(|| AppError::required("phone_number"))?;
    let country_code = u16::try_from(country_code)
        .ok()
        .filter(|c| (1..=999).contains(c))
        .ok_or_else(|| AppError::new(ErrorCode::InvalidPhoneNumber))?;
    Ok((country_code, typed))
}

/// The phone a check or status names, and its latest verification.
async fn target(
    state: &AppState,
    app: &AppRow,
    params: &Params,
) -> Result<(String, Option<VerificationRow>), AppError> {
    if let Some(uuid) = params.string(&["uuid"])? {
        return match state.db.verification_by_uuid(app.id, &uuid).await? {
            Some((cc, digits, v)) => Ok((phone::display(cc, &digits), Some(v))),
            None => Err(AppError::with_message(
                ErrorCode::VerificationNotFound,
                ErrorCode::VerificationNotFound.message_with(&uuid),
            )),
        };
    }
    if params.get(&["country_code"]).is_none() || params.get(&["phone_number"]).is_none() {
        return Err(AppError::new(ErrorCode::VerificationTargetMissing));
    }
    let (country_code, typed) = phone_params(params)?;
    let line = phone::lookup(country_code, &typed)
        .ok_or_else(|| AppError::new(ErrorCode::InvalidPhoneNumber))?;
    let latest = state
        .db
        .latest_verification(app.id, country_code, &line.digits)
        .await?;
    Ok((phone::display(country_code, &line.digits), latest))
}

fn not_pending(shown: &str) -> AppError {
    AppError::with_message(
        ErrorCode::VerificationNotFound,
        ErrorCode::VerificationNotFound.message_with(shown),
    )
}

/// `GET /protected/json/phones/verification/check`
pub async fn check(
    State(state): State<AppState>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let (shown, latest) = target(&state, &app, &params).await?;
    let code = params
        .string(&["verification_code"])?
        .ok_or_else(|| AppError::required("verification_code"))?;
    let now = state.now(&app);
    let v = match latest {
        Some(v) if v.expires_at > now && v.status == "pending" => v,
        Some(v) if v.expires_at > now && v.status == "locked" => {
            return Err(AppError::rate_limited((v.expires_at - now) as u64));
        }
        _ => return Err(not_pending(&shown)),
    };
    // The check is counted before the code is compared, so parallel guesses
    // cannot exceed the limit.
    let Some(used) = state.db.reserve_check(v.id, MAX_FAILED_CHECKS).await? else {
        return Err(AppError::rate_limited((v.expires_at - now).max(1) as u64));
    };
    let expected = state.crypto.decrypt_text(&v.code_enc)?;
    if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
        // A correct check consumes the verification; of two at once, one wins.
        if !state.db.complete_verification(v.id, now).await? {
            return Err(not_pending(&shown));
        }
        return Ok(ok(
            json!({"message": "Verification code is correct.", "success": true}),
        ));
    }
    if used >= MAX_FAILED_CHECKS {
        state.db.lock_verification(v.id).await?;
    }
    Err(AppError::new(ErrorCode::IncorrectVerificationCode))
}

/// `GET /protected/json/phones/verification/status`: the latest verification of a
/// phone (WIRE.md §3.18). A locked verification can no longer succeed: `expired`.
pub async fn status(
    State(state): State<AppState>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let (shown, latest) = target(&state, &app, &params).await?;
    let v = latest.ok_or_else(|| not_pending(&shown))?;
    let now = state.now(&app);
    let status = match v.status.as_str() {
        "verified" => "verified",
        "pending" if v.expires_at > now => "pending",
        _ => "expired",
    };
    let seconds = if status == "pending" {
        seconds_left(&v, now)
    } else {
        0
    };
    Ok(ok(json!({
        "message": "Phone verification status.",
        "status": status,
        "seconds_to_expire": seconds,
        "uuid": v.uuid,
        "success": true,
    })))
}

/// `GET /protected/json/phones/info`
pub async fn info(
    State(state): State<AppState>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let (country_code, typed) = phone_params(&params)?;
    let line = phone::lookup(country_code, &typed)
        .ok_or_else(|| AppError::new(ErrorCode::InvalidPhoneNumber))?;
    Ok(ok(json!({
        "message": format!("Phone number information as of {} UTC", date_time(state.now(&app))),
        "type": line.line_type.as_str(),
        "provider": line.carrier,
        "ported": false,
        "success": true,
    })))
}
