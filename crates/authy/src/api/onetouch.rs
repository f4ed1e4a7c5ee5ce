//! OneTouch push approvals: send a request to the user's Authy app, read its
//! status, wait for the answer (WIRE.md §3.16, §3.17). Callbacks are checked
//! with [`crate::callback`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use authy_types::lenient;
use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

use super::{check_authy_id, check_text, first_error, path_segment};
use crate::Client;
use crate::client::Prepared;
use crate::endpoint::{Endpoint, impl_response};
use crate::error::{Error, ValidationError};
use crate::retry::Retry;

/// The longest message the official clients let through (authy-python and
/// authy-ruby truncate at 200, authy-java refuses more).
pub const MAX_MESSAGE_CHARS: usize = 200;

/// OneTouch approval requests. Made by `client.onetouch()`.
#[derive(Debug)]
pub struct OneTouch<'c, C> {
    pub(crate) client: &'c C,
}

impl<'c, C> OneTouch<'c, C> {
    pub(crate) fn new(client: &'c C) -> Self {
        OneTouch { client }
    }

    /// Sends an approval request to the user's Authy app. `message` is required
    /// (at most 200 characters); details, hidden details, logos and the expiry
    /// (default one day, 0 = never) are optional.
    ///
    /// ```no_run
    /// use authy::api::onetouch::LogoResolution;
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// let created = client.onetouch()
    ///     .send(1635, "Log in to Example from Lisbon?")
    ///     .detail("Browser", "Firefox")
    ///     .hidden_detail("ip", "203.0.113.9")
    ///     .logo(LogoResolution::Default, "https://example.com/logo.png")
    ///     .seconds_to_expire(120)
    ///     .send()
    ///     .await?;
    /// println!("uuid {}", created.uuid());
    /// # Ok(()) }
    /// ```
    pub fn send(
        &self,
        authy_id: u64,
        message: impl Into<String>,
    ) -> Prepared<'c, C, SendApprovalRequest> {
        Prepared::new(
            self.client,
            SendApprovalRequest {
                authy_id,
                message: message.into(),
                details: BTreeMap::new(),
                hidden_details: BTreeMap::new(),
                logos: Vec::new(),
                seconds_to_expire: None,
            },
        )
    }

    /// The current status of an approval request.
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// let status = client.onetouch().status("dda2c400-bc43-0135-d7be-1285ca17e122").send().await?;
    /// println!("{}", status.approval_request.status);
    /// # Ok(()) }
    /// ```
    pub fn status(&self, uuid: impl Into<String>) -> Prepared<'c, C, Status> {
        Prepared::new(self.client, Status { uuid: uuid.into() })
    }
}

impl OneTouch<'_, Client> {
    /// Polls the request every `interval` until it is approved, denied or
    /// expired, or until `timeout` has passed. Returns the last status read:
    /// check [`ApprovalRequest::status`]; it is still [`ApprovalStatus::Pending`]
    /// only when `timeout` ran out first. Errors of a status read end the wait.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use authy::api::onetouch::ApprovalStatus;
    /// # async fn run(client: authy::Client, uuid: String) -> Result<(), authy::Error> {
    /// let last = client.onetouch().wait_for_approval(&uuid, Duration::from_secs(120), Duration::from_secs(2)).await?;
    /// match last.status {
    ///     ApprovalStatus::Approved => println!("logged in"),
    ///     ApprovalStatus::Pending => println!("no answer in time"),
    ///     other => println!("refused: {other}"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_approval(
        &self,
        uuid: &str,
        timeout: Duration,
        interval: Duration,
    ) -> Result<ApprovalRequest, Error> {
        let deadline = Instant::now() + timeout;
        loop {
            let current = self.status(uuid).send().await?.approval_request;
            let now = Instant::now();
            if current.status != ApprovalStatus::Pending || now >= deadline {
                return Ok(current);
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
        }
    }
}

/// A logo size, as OneTouch names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogoResolution {
    /// `default`: used when no other size fits.
    Default,
    /// `low`
    Low,
    /// `med`
    Med,
    /// `high`
    High,
}

impl FromStr for LogoResolution {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "default" => Ok(LogoResolution::Default),
            "low" => Ok(LogoResolution::Low),
            "med" => Ok(LogoResolution::Med),
            "high" => Ok(LogoResolution::High),
            other => Err(ValidationError::new(
                "logos[res]",
                format!("must be default, low, med or high, got {other:?}"),
            )),
        }
    }
}

/// A logo shown with the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Logo {
    /// The size it is for.
    pub res: LogoResolution,
    /// Where the image is.
    pub url: String,
}

/// `POST /onetouch/json/users/{id}/approval_requests`. Made by [`OneTouch::send`].
#[derive(Clone, Debug)]
pub struct SendApprovalRequest {
    authy_id: u64,
    message: String,
    details: BTreeMap<String, String>,
    hidden_details: BTreeMap<String, String>,
    logos: Vec<Logo>,
    seconds_to_expire: Option<u64>,
}

impl<C> Prepared<'_, C, SendApprovalRequest> {
    /// Adds a detail shown to the user (`Account Number` → `981266321`).
    /// Keys of lower-case letters and `_` are checked the same way by every
    /// official callback verifier (WIRE.md §9.6).
    pub fn detail(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.endpoint.details.insert(key.into(), value.into());
        self
    }

    /// Adds a detail stored with the request but not shown.
    pub fn hidden_detail(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.endpoint
            .hidden_details
            .insert(key.into(), value.into());
        self
    }

    /// Adds a logo (default: the application's logos).
    pub fn logo(mut self, res: LogoResolution, url: impl Into<String>) -> Self {
        self.endpoint.logos.push(Logo {
            res,
            url: url.into(),
        });
        self
    }

    /// Seconds until the request expires: default 86400 (a day), 0 never.
    pub fn seconds_to_expire(mut self, seconds: u64) -> Self {
        self.endpoint.seconds_to_expire = Some(seconds);
        self
    }
}

impl Endpoint for SendApprovalRequest {
    type Output = ApprovalRequestCreated;
    /// A repeat would push a second request to the user's phone.
    const RETRY: Retry = Retry::Never;

    fn name(&self) -> &'static str {
        "onetouch.send"
    }
    fn method(&self) -> Method {
        Method::POST
    }
    fn path(&self) -> String {
        format!("/onetouch/json/users/{}/approval_requests", self.authy_id)
    }
    fn body(&self) -> Option<Value> {
        let mut body = json!({ "message": self.message });
        if !self.details.is_empty() {
            body["details"] = json!(self.details);
        }
        if !self.hidden_details.is_empty() {
            body["hidden_details"] = json!(self.hidden_details);
        }
        if !self.logos.is_empty() {
            body["logos"] = json!(self.logos);
        }
        if let Some(seconds) = self.seconds_to_expire {
            body["seconds_to_expire"] = seconds.into();
        }
        Some(body)
    }
    fn validate(&self) -> Result<(), ValidationError> {
        let logo_urls = self
            .logos
            .iter()
            .map(|logo| check_text("logos[url]", &logo.url, 2048));
        let detail_keys = self
            .details
            .keys()
            .chain(self.hidden_details.keys())
            .map(|key| check_text("details", key, 150));
        first_error(
            [
                check_authy_id(self.authy_id),
                check_text("message", &self.message, MAX_MESSAGE_CHARS),
            ]
            .into_iter()
            .chain(logo_urls)
            .chain(detail_keys),
        )
    }
}

/// The answer to [`OneTouch::send`].
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct ApprovalRequestCreated {
    /// The new request.
    pub approval_request: CreatedApprovalRequest,
    /// Always true in an `Ok` answer.
    #[serde(deserialize_with = "lenient::bool")]
    pub success: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

impl ApprovalRequestCreated {
    /// The request's uuid, for [`OneTouch::status`] and to match its callback.
    pub fn uuid(&self) -> &str {
        &self.approval_request.uuid
    }
}

/// The `approval_request` of a creation answer.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct CreatedApprovalRequest {
    /// The request's uuid.
    pub uuid: String,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /onetouch/json/approval_requests/{uuid}`. Made by [`OneTouch::status`].
#[derive(Clone, Debug)]
pub struct Status {
    uuid: String,
}

impl Endpoint for Status {
    type Output = ApprovalRequestStatus;
    const RETRY: Retry = Retry::Safe;

    fn name(&self) -> &'static str {
        "onetouch.status"
    }
    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        format!(
            "/onetouch/json/approval_requests/{}",
            path_segment(&self.uuid)
        )
    }
    fn validate(&self) -> Result<(), ValidationError> {
        let well_formed = !self.uuid.is_empty()
            && self.uuid.len() <= 64
            && self
                .uuid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if well_formed {
            Ok(())
        } else {
            Err(ValidationError::new(
                "uuid",
                format!(
                    "must be an approval request uuid such as dda2c400-bc43-0135-d7be-1285ca17e122, got {:?}",
                    self.uuid
                ),
            ))
        }
    }
}

/// The answer to [`OneTouch::status`].
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct ApprovalRequestStatus {
    /// The request.
    pub approval_request: ApprovalRequest,
    /// Always true in an `Ok` answer.
    #[serde(deserialize_with = "lenient::bool")]
    pub success: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

/// An approval request as Authy reports it (WIRE.md §3.17).
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct ApprovalRequest {
    /// `pending`, `approved`, `denied` or `expired`.
    pub status: ApprovalStatus,
    /// The request's uuid.
    pub uuid: String,
    /// ISO-8601 UTC creation time.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    /// ISO-8601 UTC time of the last change.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
    /// ISO-8601 UTC time the request left `pending`; `None` while pending.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub processed_at: Option<String>,
    /// The time to live the request was created with (not the time remaining).
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub seconds_to_expire: Option<u64>,
    /// Whether the push reached a device.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub notified: Option<bool>,
    /// The user's authy id (`_authy_id`; a number or a string on the wire).
    #[serde(default, rename = "_authy_id", deserialize_with = "lenient::opt_u64")]
    pub authy_id: Option<u64>,
    /// The application's name (`_app_name`).
    #[serde(
        default,
        rename = "_app_name",
        deserialize_with = "lenient::opt_string"
    )]
    pub app_name: Option<String>,
    /// The application's numeric id (`_app_serial_id`).
    #[serde(
        default,
        rename = "_app_serial_id",
        deserialize_with = "lenient::opt_u64"
    )]
    pub app_serial_id: Option<u64>,
    /// The user's e-mail (`_user_email`).
    #[serde(
        default,
        rename = "_user_email",
        deserialize_with = "lenient::opt_string"
    )]
    pub user_email: Option<String>,
    /// Internal id (`_id`).
    #[serde(default, rename = "_id", deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// The application's object id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub app_id: Option<String>,
    /// The user's object id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_id: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where an approval request stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApprovalStatus {
    /// Waiting for the user.
    Pending,
    /// The user approved.
    Approved,
    /// The user denied.
    Denied,
    /// Nobody answered in time.
    Expired,
    /// A status this crate does not know, as received.
    Other(String),
}

impl ApprovalStatus {
    /// The status on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Denied => "denied",
            ApprovalStatus::Expired => "expired",
            ApprovalStatus::Other(s) => s,
        }
    }
}

impl fmt::Display for ApprovalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ApprovalStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match lenient::string(d)?.as_str() {
            "pending" => ApprovalStatus::Pending,
            "approved" => ApprovalStatus::Approved,
            "denied" => ApprovalStatus::Denied,
            "expired" => ApprovalStatus::Expired,
            other => ApprovalStatus::Other(other.to_owned()),
        })
    }
}

impl_response!(ApprovalRequestCreated, ApprovalRequestStatus);
