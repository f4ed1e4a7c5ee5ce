//! Users (WIRE.md §3.1–§3.6, §3.18).

use authy_types::ErrorCode;
use axum::extract::State;
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Value, json};

use super::{device_type, load_user, text_param};
use crate::db::Counter;
use crate::error::{AppError, ok};
use crate::params::{Api, Path};
use crate::state::{AppState, Outgoing};
use crate::{phone, qr};

/// `POST users/{id}/remove` (current docs): removal "queued".
pub const REMOVED_DEFERRED: &str = "User was added to remove.";
/// `POST users/{id}/delete` and `users/delete/{id}` (older clients).
pub const REMOVED: &str = "User removed from application";

/// The activity types Authy records (WIRE.md §3.5).
const ACTIVITY_TYPES: &[&str] = &["password_reset", "banned", "unbanned", "cookie_login"];

/// WIRE.md §3.1: non-empty local part, `@`, a domain with a dot.
fn valid_email(email: &str) -> bool {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// `POST /protected/json/users/new`
pub async fn create(
    State(state): State<AppState>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let email = params.string(&["user", "email"])?.unwrap_or_default();
    let cellphone = params.string(&["user", "cellphone"])?.unwrap_or_default();
    let country_code = params
        .int(&["user", "country_code"])?
        .ok_or_else(|| AppError::required("country_code"))?;

    // Every failing field is reported at once (WIRE.md §3.1).
    let mut invalid = Vec::new();
    if !valid_email(&email) {
        invalid.push(("email".to_owned(), "is invalid".to_owned()));
    }
    let country_code = u16::try_from(country_code)
        .ok()
        .filter(|c| (1..=999).contains(c));
    let digits = country_code.and_then(|cc| phone::normalise(cc, &cellphone));
    if digits.is_none() {
        invalid.push(("cellphone".to_owned(), "is invalid".to_owned()));
    }
    if country_code.is_none() {
        invalid.push(("country_code".to_owned(), "is invalid".to_owned()));
    }
    let (Some(country_code), Some(digits), true) = (country_code, digits, invalid.is_empty())
    else {
        return Err(AppError::invalid_user(invalid));
    };

    let send_install_link = params
        .bool(&["send_install_link_via_sms"])
        .or_else(|| params.bool(&["user", "send_install_link_via_sms"]))
        .unwrap_or(true);
    let now = state.now(&app);
    let (user, created) = state
        .db
        .create_user(app.id, country_code, &digits, &email, now)
        .await?;
    if created {
        state.count(&app, Counter::Users);
        if send_install_link {
            // Recorded, never delivered (WIRE.md §3.1).
            let text = format!(
                "Install the Authy app to log in to {}: https://authy.com/download",
                app.name
            );
            let outgoing = Outgoing {
                authy_id: Some(user.id),
                country_code,
                to: &digits,
                channel: "sms",
                kind: "install_link",
                code: None,
                text: &text,
                locale: "en",
            };
            state.deliver(&app, outgoing, now).await?;
        }
    }
    Ok(ok(
        json!({"message": "User created successfully.", "user": {"id": user.id}, "success": true}),
    ))
}

/// `GET /protected/json/users/{id}/status`
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Api { app, .. }: Api,
) -> Result<Response, AppError> {
    let user = load_user(&state, app.id, &id).await?;
    let (devices, detailed) = match &user.device {
        Some(d) => (
            vec![json!(device_type(&d.os_type))],
            vec![json!({
                "device_type": "authy",
                "os_type": d.os_type,
                "registration_device_id": null,
                "registration_method": "sandbox",
                "device_id": d.id,
                "last_sync_date": d.registered_at,
                "creation_date": d.registered_at,
            })],
        ),
        None => (Vec::new(), Vec::new()),
    };
    Ok(ok(json!({
        "status": {
            "authy_id": user.id,
            "confirmed": user.confirmed,
            "registered": user.device.is_some(),
            "country_code": user.country_code,
            "phone_number": phone::mask_for_status(&user.cellphone),
            "email": user.email,
            "devices": devices,
            "has_hard_token": false,
            "account_disabled": false,
            "detailed_devices": detailed,
            "deleted_devices": [],
        },
        "message": "User status.",
        "success": true,
    })))
}

/// The three removal paths (WIRE.md §3.3); removal is immediate.
pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Api { app, .. }: Api,
    message: &'static str,
) -> Result<Response, AppError> {
    let user = load_user(&state, app.id, &id).await?;
    if !state.db.delete_user(app.id, user.id).await? {
        return Err(AppError::user_not_found());
    }
    Ok(ok(json!({"message": message, "success": true})))
}

/// `POST /protected/json/users/{id}/update` (authy-ruby): a new e-mail.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let user = load_user(&state, app.id, &id).await?;
    let email = match params.string(&["email"])? {
        Some(email) => email,
        None => params
            .string(&["user", "email"])?
            .ok_or_else(|| AppError::required("email"))?,
    };
    if !valid_email(&email) {
        return Err(AppError::invalid_user(vec![(
            "email".into(),
            "is invalid".into(),
        )]));
    }
    state.db.set_user_email(user.id, &email).await?;
    Ok(ok(
        json!({"message": "User was updated successfully", "success": true}),
    ))
}

/// `POST /protected/json/users/{id}/register_activity`
pub async fn register_activity(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let user = load_user(&state, app.id, &id).await?;
    let kind = params
        .string(&["type"])?
        .ok_or_else(|| AppError::required("type"))?;
    if !ACTIVITY_TYPES.contains(&kind.as_str()) {
        return Err(AppError::invalid_parameter(
            "type",
            format!("'{kind}' is not a valid value"),
        ));
    }
    let data = match params.get(&["data"]) {
        None => json!({}),
        Some(Value::Object(map)) => Value::Object(map.clone()),
        Some(other) => {
            return Err(AppError::invalid_parameter(
                "data",
                format!("'{other}' is not a valid value"),
            ));
        }
    };
    // co-authy sends `ip` instead of `user_ip` (WIRE.md §3.5).
    let user_ip = match params.string(&["user_ip"])? {
        Some(ip) => Some(ip),
        None => params.string(&["ip"])?,
    };
    let now = state.now(&app);
    state
        .db
        .insert_activity(
            app.id,
            user.id,
            &kind,
            &data.to_string(),
            user_ip.as_deref(),
            now,
        )
        .await?;
    Ok(ok(
        json!({"message": "Activity was created.", "success": true}),
    ))
}

/// `POST /protected/json/users/{id}/secret`: a new generic-authenticator secret
/// and its QR code (WIRE.md §3.6, §8.2).
///
/// Answer fields, in order: `qr_code` (a `data:image/png;base64,...` URI, which
/// WIRE.md allows clients to expect), `label`, `issuer`, `uri` (the
/// `otpauth://` URI the QR encodes) and `secret` (its base32 secret, for manual
/// entry), then `success`.
pub async fn secret(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let user = load_user(&state, app.id, &id).await?;
    if !app.generic_tokens_enabled {
        return Err(AppError::new(ErrorCode::GenericTokensDisabled));
    }
    let size = params.int(&["qr_size"])?.unwrap_or(300).clamp(100, 1000) as u32;
    let label = text_param(&params, "label", 255)?.unwrap_or_default();
    let seed = crate::crypto::random_bytes(20);
    let secret = data_encoding::BASE32_NOPAD.encode(&seed);
    state
        .db
        .set_generic_seed(user.id, &state.crypto.encrypt(&seed), state.now(&app))
        .await?;

    let account = if label.is_empty() {
        app.name.as_str()
    } else {
        label.as_str()
    };
    let uri = format!(
        "otpauth://totp/{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period=30",
        qr::uri_component(account),
        qr::uri_component(&app.name)
    );
    let png = qr::png(&uri, size).map_err(AppError::internal)?;
    let data_uri = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    );
    Ok(ok(json!({
        "qr_code": data_uri,
        "label": label,
        "issuer": app.name,
        "uri": uri,
        "secret": secret,
        "success": true,
    })))
}

/// `GET /protected/json/registrations/status`: this server has no SDK
/// registrations, so every lookup is 60035 (WIRE.md §3.18).
pub async fn registration_status(Api { params, .. }: Api) -> Result<Response, AppError> {
    params
        .string(&["custom_user_id"])?
        .ok_or_else(|| AppError::required("custom_user_id"))?;
    Err(AppError::new(ErrorCode::RegistrationNotFound))
}

#[cfg(test)]
mod tests {
    use super::valid_email;

    #[test]
    fn emails_follow_wire_rules() {
        for good in ["a@b.co", "first.last+tag@sub.example.org"] {
            assert!(valid_email(good), "{good}");
        }
        for bad in ["", "a", "a@b", "@b.co", "a@.co", "a@b.", "a b@c.d"] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
