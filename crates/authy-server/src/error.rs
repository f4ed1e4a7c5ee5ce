//! [`AppError`] is the only place that picks an error status and body:
//! `{"message":M,"success":false,"errors":{"message":M},"error_code":"NNNNN"}`
//! plus WIRE.md's exceptions (WIRE.md §6, §7).

use authy_types::ErrorCode;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// An Authy error answer.
#[derive(Debug, Clone)]
pub struct AppError {
    code: ErrorCode,
    status: StatusCode,
    message: String,
    /// Field errors (60027): inside `errors` and repeated at the top level.
    fields: Vec<(String, String)>,
    /// 60020 adds `"token":"is invalid"` (WIRE.md §3.10).
    token_invalid: bool,
    /// `Retry-After` seconds for 429.
    retry_after: Option<u64>,
}

impl AppError {
    /// The code with its own status and message.
    pub fn new(code: ErrorCode) -> Self {
        let message = code.message().to_owned();
        AppError::with_message(code, message)
    }

    /// The code with its status and a specific message.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            status: StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            code,
            message: message.into(),
            fields: Vec::new(),
            token_invalid: false,
            retry_after: None,
        }
    }

    /// 60004 `Invalid parameter: <name> - <reason>`.
    pub fn invalid_parameter(name: &str, reason: impl std::fmt::Display) -> Self {
        AppError::with_message(
            ErrorCode::InvalidParameter,
            ErrorCode::InvalidParameter.message_with(&format!("{name} - {reason}")),
        )
    }

    /// 60004 `Invalid parameter: <name> - Parameter is required`.
    pub fn required(name: &str) -> Self {
        AppError::invalid_parameter(name, "Parameter is required")
    }

    /// 60026 `User not found.`
    pub fn user_not_found() -> Self {
        AppError::new(ErrorCode::UserNotFound)
    }

    /// 60020 with `"token":"is invalid"`.
    pub fn invalid_token() -> Self {
        AppError {
            token_invalid: true,
            ..AppError::new(ErrorCode::InvalidToken)
        }
    }

    /// 60027 `User was not valid` with its field errors.
    pub fn invalid_user(fields: Vec<(String, String)>) -> Self {
        AppError {
            fields,
            ..AppError::new(ErrorCode::InvalidUser)
        }
    }

    /// 429 60003 with `Retry-After`.
    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        AppError {
            retry_after: Some(retry_after_seconds.max(1)),
            ..AppError::new(ErrorCode::RateLimited)
        }
    }

    /// A failure of the server itself (storage). The cause is logged, never
    /// sent; the docs map internal errors to HTTP 503 (WIRE.md §7.2).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        AppError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            ..AppError::new(ErrorCode::Generic)
        }
    }

    /// The error code.
    pub fn code(&self) -> &ErrorCode {
        &self.code
    }

    /// The JSON body (the [`Serialize`](serde::Serialize) impl below, as a value).
    pub fn body(&self) -> Value {
        serde_json::to_value(self).expect("an error body always serialises")
    }
}

/// The body: `message`, `token` for 60020, `success`, `errors`, the field
/// errors of 60027, then `error_code`, in that order as on the wire. Written
/// straight to the answer, without building a `Value` (wrong tokens are a hot
/// path). Field names are the user model's (`email`, `cellphone`…), never
/// one of the fixed keys.
impl serde::Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut body = serializer.serialize_map(None)?;
        body.serialize_entry("message", &self.message)?;
        if self.token_invalid {
            body.serialize_entry("token", "is invalid")?;
        }
        body.serialize_entry("success", &false)?;
        body.serialize_entry("errors", &Errors(self))?;
        for (field, problem) in &self.fields {
            body.serialize_entry(field, problem)?;
        }
        body.serialize_entry("error_code", self.code.code())?;
        body.end()
    }
}

/// `errors` of an error body: the field errors, then `message`.
struct Errors<'a>(&'a AppError);

impl serde::Serialize for Errors<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut errors = serializer.serialize_map(None)?;
        for (field, problem) in &self.0.fields {
            errors.serialize_entry(field, problem)?;
        }
        // 60049's `errors` is empty in the real answer (WIRE.md §3.17).
        if self.0.code != ErrorCode::ApprovalRequestNotFound {
            errors.serialize_entry("message", &self.0.message)?;
        }
        errors.end()
    }
}

impl From<crate::crypto::DecryptError> for AppError {
    fn from(e: crate::crypto::DecryptError) -> Self {
        AppError::internal(e)
    }
}

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        AppError::internal(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = json(self.status, &self);
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A compact JSON answer with `Content-Type: application/json; charset=utf-8`
/// (axum's `Json` omits the charset; WIRE.md §2).
pub fn json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let bytes = serde_json::to_vec(body).expect("answer bodies always serialise");
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        bytes,
    )
        .into_response()
}

/// 200 with a success body.
pub fn ok(body: Value) -> Response {
    json(StatusCode::OK, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_match_the_wire_byte_for_byte() {
        // What is sent, and `body()`, are the same bytes.
        let s = |e: AppError| {
            let sent = serde_json::to_string(&e).unwrap();
            assert_eq!(sent, serde_json::to_string(&e.body()).unwrap());
            sent
        };
        assert_eq!(
            s(AppError::invalid_token()),
            r#"{"message":"Token is invalid","token":"is invalid","success":false,"errors":{"message":"Token is invalid"},"error_code":"60020"}"#
        );
        assert_eq!(
            s(AppError::invalid_user(vec![(
                "cellphone".into(),
                "is invalid".into()
            )])),
            r#"{"message":"User was not valid","success":false,"errors":{"cellphone":"is invalid","message":"User was not valid"},"cellphone":"is invalid","error_code":"60027"}"#
        );
        assert_eq!(
            s(AppError::required("country_code")),
            r#"{"message":"Invalid parameter: country_code - Parameter is required","success":false,"errors":{"message":"Invalid parameter: country_code - Parameter is required"},"error_code":"60004"}"#
        );
        assert_eq!(
            s(AppError::with_message(
                ErrorCode::ApprovalRequestNotFound,
                "Approval request not found: x"
            )),
            r#"{"message":"Approval request not found: x","success":false,"errors":{},"error_code":"60049"}"#
        );
        assert_eq!(
            AppError::new(ErrorCode::TokenReused).status,
            StatusCode::UNAUTHORIZED
        );
    }
}
