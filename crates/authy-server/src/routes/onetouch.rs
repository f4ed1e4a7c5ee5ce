//! OneTouch push approvals (WIRE.md §3.16, §3.17). Answers come from the
//! sandbox API (`/sandbox/approval_requests/{uuid}/approve|deny`), and each
//! answer queues a signed callback ([`crate::callbacks`]).

use authy_types::ErrorCode;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{load_user, text_param};
use crate::clock::rfc3339;
use crate::db::{AppRow, ApprovalRow, stored_json};
use crate::error::{AppError, ok};
use crate::params::{Api, Params, Path};
use crate::state::AppState;

/// "Defaults to 86400 (one day); 0 will never expire." (WIRE.md §3.16)
pub const DEFAULT_SECONDS_TO_EXPIRE: i64 = 86400;
/// The server's own limit on messages; clients cut at 200 or fewer (WIRE.md §3.16).
pub const MAX_MESSAGE_CHARS: usize = 4096;
const LOGO_RESOLUTIONS: &[&str] = &["default", "low", "med", "high"];

/// `POST /onetouch/json/users/{id}/approval_requests`
pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Api { app, params }: Api,
) -> Result<Response, AppError> {
    let user = load_user(&state, app.id, &id).await?;
    if !app.onetouch_enabled {
        return Err(AppError::new(ErrorCode::OneTouchDisabled));
    }
    let message = text_param(&params, "message", MAX_MESSAGE_CHARS)?
        .ok_or_else(|| AppError::required("message"))?;
    let details = string_map(&params, "details")?;
    let hidden_details = string_map(&params, "hidden_details")?;
    let logos = logos(&params)?;
    let seconds_to_expire = match params.int(&["seconds_to_expire"])? {
        None => DEFAULT_SECONDS_TO_EXPIRE,
        Some(n) if n >= 0 => n,
        Some(n) => {
            return Err(AppError::invalid_parameter(
                "seconds_to_expire",
                format!("'{n}' is not a valid value"),
            ));
        }
    };
    let now = state.now(&app);
    let request = ApprovalRow {
        uuid: uuid::Uuid::new_v4().to_string(),
        object_id: crate::crypto::object_id(),
        user_id: user.id,
        message,
        details: details.map(|m| Value::Object(m).to_string()),
        hidden_details: hidden_details.map(|m| Value::Object(m).to_string()),
        logos: logos.map(|l| Value::Array(l).to_string()),
        seconds_to_expire,
        status: "pending".into(),
        // A registered device "receives" the push (WIRE.md §3.17).
        notified: user.device.is_some(),
        created_at: now,
        updated_at: now,
        processed_at: None,
    };
    state.db.insert_approval(app.id, &request).await?;
    Ok(ok(
        json!({"approval_request": {"uuid": request.uuid}, "success": true}),
    ))
}

/// `GET /onetouch/json/approval_requests/{uuid}`
pub async fn status(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
    Api { app, .. }: Api,
) -> Result<Response, AppError> {
    let request = load_approval(&state, &app, &uuid).await?;
    Ok(ok(
        json!({"approval_request": approval_json(&state, &app, &request).await?, "success": true}),
    ))
}

/// The request, with expiry applied on this read (WIRE.md §3.17: lazily, by
/// the application's clock; `processed_at` is when it was first noticed).
pub async fn load_approval(
    state: &AppState,
    app: &AppRow,
    uuid: &str,
) -> Result<ApprovalRow, AppError> {
    let not_found = || {
        AppError::with_message(
            ErrorCode::ApprovalRequestNotFound,
            ErrorCode::ApprovalRequestNotFound.message_with(uuid),
        )
    };
    let request = state
        .db
        .approval(app.id, uuid)
        .await?
        .ok_or_else(not_found)?;
    let now = state.now(app);
    let expired = request.status == "pending"
        && request.seconds_to_expire > 0
        && now >= request.created_at + request.seconds_to_expire;
    if !expired {
        return Ok(request);
    }
    state
        .db
        .decide_approval(app.id, uuid, "expired", now, None)
        .await?;
    state.db.approval(app.id, uuid).await?.ok_or_else(not_found)
}

/// The `approval_request` object of WIRE.md §3.17, in its key order, plus the
/// request's own message, details and logos.
pub async fn approval_json(
    state: &AppState,
    app: &AppRow,
    r: &ApprovalRow,
) -> Result<Value, AppError> {
    let user = state
        .db
        .user(app.id, r.user_id)
        .await?
        .ok_or_else(AppError::user_not_found)?;
    Ok(json!({
        "_app_name": app.name,
        "_app_serial_id": app.id,
        "_authy_id": user.id,
        "_id": r.object_id,
        "_user_email": user.email,
        "app_id": app.object_id,
        "created_at": rfc3339(r.created_at),
        "notified": r.notified,
        "processed_at": r.processed_at.map(rfc3339),
        "seconds_to_expire": r.seconds_to_expire,
        "status": r.status,
        "updated_at": rfc3339(r.updated_at),
        "user_id": user.object_id,
        "uuid": r.uuid,
        "message": r.message,
        "details": stored_json(&r.details),
        "hidden_details": stored_json(&r.hidden_details),
        "logos": stored_json(&r.logos),
    }))
}

/// A map of strings (`details`, `hidden_details`); numbers and booleans become
/// text. Absent or empty → `None`.
fn string_map(params: &Params, name: &'static str) -> Result<Option<Map<String, Value>>, AppError> {
    let Some(value) = params.get(&[name]) else {
        return Ok(None);
    };
    let Value::Object(members) = value else {
        return Err(AppError::invalid_parameter(
            name,
            format!("'{value}' is not a valid value"),
        ));
    };
    let mut out = Map::new();
    for (key, v) in members {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => String::new(),
            other => {
                return Err(AppError::invalid_parameter(
                    name,
                    format!("'{other}' is not a valid value for {key}"),
                ));
            }
        };
        if key.is_empty() || key.chars().count() > 150 {
            return Err(AppError::invalid_parameter(
                name,
                "keys must be 1 to 150 characters",
            ));
        }
        out.insert(key.clone(), Value::String(text));
    }
    Ok(Some(out))
}

/// `logos`: an array of `{res, url}` with `res` default|low|med|high. Members are
/// emitted `res` then `url`, already sorted, so every verifier agrees (WIRE.md §9.4).
fn logos(params: &Params) -> Result<Option<Vec<Value>>, AppError> {
    let Some(value) = params.get(&["logos"]) else {
        return Ok(None);
    };
    let invalid = |why: String| AppError::invalid_parameter("logos", why);
    let Value::Array(items) = value else {
        return Err(invalid(format!("'{value}' is not a valid value")));
    };
    items
        .iter()
        .map(|logo| {
            let res = logo.get("res").and_then(Value::as_str).unwrap_or_default();
            let url = logo.get("url").and_then(Value::as_str).unwrap_or_default();
            if !LOGO_RESOLUTIONS.contains(&res) {
                return Err(invalid(format!(
                    "res '{res}' is not one of default, low, med, high"
                )));
            }
            if url.is_empty() {
                return Err(invalid("url is required for every logo".into()));
            }
            Ok(json!({"res": res, "url": url}))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}
