//! The Authy API, one module per resource (the client's names).

pub mod app;
pub mod onetouch;
pub mod phones;
pub mod tokens;
pub mod users;

use authy_types::ErrorCode;
use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::json;
use tower_http::trace::TraceLayer;

use crate::db::UserRow;
use crate::error::{AppError, ok};
use crate::state::{AppState, Mode};

/// WIRE.md §2: the real service's text for an unknown URL, as plain text, HTTP 401.
pub const UNKNOWN_ROUTE: &str =
    "Requested URL was not found. Please check http://docs.authy.com/ to see the valid URLs";

/// Every route of the server, before path normalisation (see [`normalize_path`]).
/// `max_in_flight` bounds the requests served at once: beyond it a request is
/// shed with 429 `60003` and `Retry-After: 1` (clients back off), never queued.
pub fn router(state: AppState, max_in_flight: usize) -> Router {
    let remove = |message: &'static str| post(move |s, p, api| users::remove(s, p, api, message));
    let api = Router::new()
        .route("/protected/json/users/new", post(users::create))
        .route("/protected/json/users/{id}/status", get(users::status))
        .route(
            "/protected/json/users/{id}/remove",
            remove(users::REMOVED_DEFERRED),
        )
        .route("/protected/json/users/{id}/delete", remove(users::REMOVED))
        .route("/protected/json/users/delete/{id}", remove(users::REMOVED))
        .route("/protected/json/users/{id}/update", post(users::update))
        .route(
            "/protected/json/users/{id}/register_activity",
            post(users::register_activity),
        )
        .route("/protected/json/users/{id}/secret", post(users::secret))
        .route(
            "/protected/json/registrations/status",
            get(users::registration_status),
        )
        .route("/protected/json/sms/{id}", get(tokens::sms))
        .route("/protected/json/call/{id}", get(tokens::call))
        .route("/protected/json/email/{id}", post(tokens::email))
        .route("/protected/json/verify/{token}/{id}", get(tokens::verify))
        .route("/protected/json/app/details", get(app::details))
        .route("/protected/json/app/stats", get(app::stats))
        .route(
            "/protected/json/phones/verification/start",
            post(phones::start),
        )
        .route(
            "/protected/json/phones/verification/check",
            get(phones::check),
        )
        .route(
            "/protected/json/phones/verification/status",
            get(phones::status),
        )
        .route("/protected/json/phones/info", get(phones::info))
        .route(
            "/onetouch/json/users/{id}/approval_requests",
            post(onetouch::create),
        )
        .route(
            "/onetouch/json/approval_requests/{uuid}",
            get(onetouch::status),
        )
        .route("/protected/xml/{*rest}", any(xml_format))
        .route("/onetouch/xml/{*rest}", any(xml_format))
        .route("/health", get(health));
    let api = if state.mode == Mode::Sandbox {
        api.merge(crate::sandbox::router())
    } else {
        api
    };
    api.fallback(unknown_route)
        .method_not_allowed_fallback(unknown_route)
        .layer(
            // Spans record the matched route, never the raw URI (the verify path holds a token).
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("(unknown)", MatchedPath::as_str);
                tracing::info_span!("request", method = %req.method(), route)
            }),
        )
        .layer(
            tower::ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    AppError::rate_limited(1)
                }))
                .load_shed()
                // Global: Router::layer clones a layer per route, and a plain
                // concurrency limit would then bound each route on its own.
                .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                    max_in_flight,
                )),
        )
        .with_state(state)
}

/// Collapses repeated `/` and drops one trailing `/` (WIRE.md §2: authy-ruby's
/// `//protected/...`). Runs before routing, so it wraps the whole router.
pub fn normalize_path(mut req: Request) -> Request {
    let path = req.uri().path();
    if !path.contains("//") && (path.len() <= 1 || !path.ends_with('/')) {
        return req;
    }
    let mut clean = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        clean.push('/');
        clean.push_str(segment);
    }
    if clean.is_empty() {
        clean.push('/');
    }
    if let Some(query) = req.uri().query() {
        clean = format!("{clean}?{query}");
    }
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = clean.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req
}

async fn unknown_route() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        UNKNOWN_ROUTE,
    )
        .into_response()
}

/// WIRE.md §2: only `json` is served.
async fn xml_format() -> AppError {
    AppError::with_message(
        ErrorCode::InvalidRequest,
        "Invalid request: only the json format is supported",
    )
}

async fn health() -> Response {
    ok(json!({"status": "ok"}))
}

/// The user of a path such as `/sms/{id}`. Anything but a known id of this
/// application, `tony` included, is 60026 (WIRE.md §3.7).
pub async fn load_user(state: &AppState, app_id: i64, id: &str) -> Result<UserRow, AppError> {
    let id: i64 = match id.parse() {
        Ok(n) if n > 0 && id.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => return Err(AppError::user_not_found()),
    };
    state
        .db
        .user(app_id, id)
        .await?
        .ok_or_else(AppError::user_not_found)
}

/// WIRE.md §3.2's device types for an Authy-app OS.
pub fn device_type(os_type: &str) -> &'static str {
    match os_type {
        "ios" => "iphone",
        "authy_desktop" => "authy_chrome",
        _ => "android",
    }
}

/// A text parameter of 1 to `max` characters, if present.
pub fn text_param(
    params: &crate::params::Params,
    name: &'static str,
    max: usize,
) -> Result<Option<String>, AppError> {
    match params.string(&[name])? {
        Some(s) if s.chars().count() > max => Err(AppError::invalid_parameter(
            name,
            format!("is longer than {max} characters"),
        )),
        other => Ok(other),
    }
}
