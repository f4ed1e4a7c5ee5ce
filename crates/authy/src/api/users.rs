//! Users: create, status, delete, register activity, authenticator QR codes,
//! SDK registration status (WIRE.md §3.1–§3.6, §3.18).

use std::fmt;
use std::str::FromStr;

use authy_types::{AuthyId, lenient};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::user_ip_setter;
use super::{
    Confirmation, check_authy_id, check_country_code, check_phone, check_text, first_error,
    insert_opt, push_opt,
};
use crate::client::Prepared;
use crate::endpoint::{Endpoint, impl_response};
use crate::error::ValidationError;
use crate::retry::Retry;

/// The users of the application. Made by `client.users()`.
#[derive(Debug)]
pub struct Users<'c, C> {
    client: &'c C,
}

impl<'c, C> Users<'c, C> {
    pub(crate) fn new(client: &'c C) -> Self {
        Users { client }
    }

    /// Registers a user, or finds the existing one: users are matched on country
    /// code and cellphone, so registering the same phone again returns the same id.
    /// The country code defaults to 1; set it with `.country_code(..)`.
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// let user = client.users().create("ada@example.com", "300-300-3333").country_code(57).send().await?;
    /// println!("authy id {}", user.id());
    /// # Ok(()) }
    /// ```
    pub fn create(
        &self,
        email: impl Into<String>,
        cellphone: impl Into<String>,
    ) -> Prepared<'c, C, Create> {
        Prepared::new(
            self.client,
            Create {
                email: email.into(),
                cellphone: cellphone.into(),
                country_code: 1,
                send_install_link_via_sms: None,
            },
        )
    }

    /// The user's status: phone (masked), devices, whether registered and confirmed.
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// let status = client.users().status(1635).send().await?;
    /// println!("{} registered: {}", status.status.phone_number, status.status.registered);
    /// # Ok(()) }
    /// ```
    pub fn status(&self, authy_id: u64) -> Prepared<'c, C, Status> {
        Prepared::new(
            self.client,
            Status {
                authy_id,
                user_ip: None,
            },
        )
    }

    /// Removes the user from the application (`POST users/{id}/remove`).
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// client.users().delete(1635).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, authy_id: u64) -> Prepared<'c, C, Delete> {
        Prepared::new(
            self.client,
            Delete {
                authy_id,
                user_ip: None,
            },
        )
    }

    /// Changes the user's e-mail (authy-ruby's `update_user`).
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// client.users().update_email(1635, "ada@new.example.com").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn update_email(
        &self,
        authy_id: u64,
        email: impl Into<String>,
    ) -> Prepared<'c, C, UpdateEmail> {
        Prepared::new(
            self.client,
            UpdateEmail {
                authy_id,
                email: email.into(),
            },
        )
    }

    /// Records an activity (password reset, ban, unban, cookie login) for the user.
    ///
    /// ```no_run
    /// use authy::api::users::ActivityType;
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// client.users()
    ///     .register_activity(1635, ActivityType::PasswordReset)
    ///     .data("reason", "forgot it")
    ///     .user_ip("203.0.113.9")
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn register_activity(
        &self,
        authy_id: u64,
        activity: ActivityType,
    ) -> Prepared<'c, C, RegisterActivity> {
        Prepared::new(
            self.client,
            RegisterActivity {
                authy_id,
                activity,
                data: Map::new(),
                user_ip: None,
            },
        )
    }

    /// Creates a new secret for a generic authenticator app (Google Authenticator,
    /// 1Password, ...) and returns a QR code to scan. Each call replaces the
    /// previous secret.
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// let qr = client.users().qr_code(1635).label("Example: ada").qr_size(300).send().await?;
    /// println!("<img src=\"{}\">", qr.qr_code);
    /// # Ok(()) }
    /// ```
    pub fn qr_code(&self, authy_id: u64) -> Prepared<'c, C, GenerateQrCode> {
        Prepared::new(
            self.client,
            GenerateQrCode {
                authy_id,
                label: None,
                qr_size: None,
            },
        )
    }

    /// The status of an Authy SDK registration made with `custom_user_id`.
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// match client.users().registration_status("user-42").send().await {
    ///     Ok(r) => println!("{:?}", r.status),
    ///     Err(e) if e.is_not_found() => println!("no registration"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn registration_status(
        &self,
        custom_user_id: impl Into<String>,
    ) -> Prepared<'c, C, RegistrationStatus> {
        Prepared::new(
            self.client,
            RegistrationStatus {
                custom_user_id: custom_user_id.into(),
            },
        )
    }
}

/// `POST /protected/json/users/new`. Made by [`Users::create`].
#[derive(Clone, Debug)]
pub struct Create {
    email: String,
    cellphone: String,
    country_code: u16,
    send_install_link_via_sms: Option<bool>,
}

impl<C> Prepared<'_, C, Create> {
    /// The country calling code (default 1).
    pub fn country_code(mut self, code: u16) -> Self {
        self.endpoint.country_code = code;
        self
    }

    /// Whether Authy texts the user a link to install the Authy app. When not
    /// set, nothing is sent and the server's default (true) applies.
    pub fn send_install_link_via_sms(mut self, send: bool) -> Self {
        self.endpoint.send_install_link_via_sms = Some(send);
        self
    }
}

impl Endpoint for Create {
    type Output = CreatedUser;
    /// Never retried, although the server matches on the phone: a repeat after a
    /// lost answer could text a second install link.
    const RETRY: Retry = Retry::Never;

    fn name(&self) -> &'static str {
        "users.create"
    }
    fn method(&self) -> Method {
        Method::POST
    }
    fn path(&self) -> String {
        "/protected/json/users/new".into()
    }
    fn body(&self) -> Option<Value> {
        let mut body = json!({"user": {"email": self.email, "cellphone": self.cellphone, "country_code": self.country_code}});
        if let Some(send) = self.send_install_link_via_sms {
            body["send_install_link_via_sms"] = send.into();
        }
        Some(body)
    }
    fn validate(&self) -> Result<(), ValidationError> {
        first_error([
            check_email(&self.email),
            check_phone("cellphone", &self.cellphone),
            check_country_code(self.country_code),
        ])
    }
}

fn check_email(email: &str) -> Result<(), ValidationError> {
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !email.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(ValidationError::new(
            "email",
            format!("must be an e-mail address, got {email:?}"),
        )),
    }
}

/// The answer to [`Users::create`].
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct CreatedUser {
    /// `User created successfully.`
    #[serde(default)]
    pub message: String,
    /// The user.
    pub user: UserRef,
    /// Always true in an `Ok` answer.
    #[serde(deserialize_with = "lenient::bool")]
    pub success: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

impl CreatedUser {
    /// The user's authy id: keep it with your user record.
    pub fn id(&self) -> u64 {
        self.user.id.get()
    }
}

/// A user as named in answers.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct UserRef {
    /// The authy id.
    pub id: AuthyId,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /protected/json/users/{id}/status`. Made by [`Users::status`].
#[derive(Clone, Debug)]
pub struct Status {
    authy_id: u64,
    user_ip: Option<String>,
}

/// `POST /protected/json/users/{id}/remove`. Made by [`Users::delete`].
#[derive(Clone, Debug)]
pub struct Delete {
    authy_id: u64,
    user_ip: Option<String>,
}

/// `POST /protected/json/users/{id}/register_activity`. Made by [`Users::register_activity`].
#[derive(Clone, Debug)]
pub struct RegisterActivity {
    authy_id: u64,
    activity: ActivityType,
    data: Map<String, Value>,
    user_ip: Option<String>,
}

user_ip_setter!(Status, Delete, RegisterActivity);

impl Endpoint for Status {
    type Output = UserStatus;
    const RETRY: Retry = Retry::Safe;

    fn name(&self) -> &'static str {
        "users.status"
    }
    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        format!("/protected/json/users/{}/status", self.authy_id)
    }
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        push_opt(&mut query, "user_ip", &self.user_ip);
        query
    }
    fn validate(&self) -> Result<(), ValidationError> {
        check_authy_id(self.authy_id)
    }
}

impl Endpoint for Delete {
    type Output = Confirmation;
    /// A repeat after a lost success would answer "user not found".
    const RETRY: Retry = Retry::Never;

    fn name(&self) -> &'static str {
        "users.delete"
    }
    fn method(&self) -> Method {
        Method::POST
    }
    fn path(&self) -> String {
        format!("/protected/json/users/{}/remove", self.authy_id)
    }
    fn body(&self) -> Option<Value> {
        let mut body = Map::new();
        insert_opt(&mut body, "user_ip", &self.user_ip);
        Some(Value::Object(body))
    }
    fn validate(&self) -> Result<(), ValidationError> {
        check_authy_id(self.authy_id)
    }
}

/// `POST /protected/json/users/{id}/update`. Made by [`Users::update_email`].
#[derive(Clone, Debug)]
pub struct UpdateEmail {
    authy_id: u64,
    email: String,
}

impl Endpoint for UpdateEmail {
    type Output = Confirmation;
    const RETRY: Retry = Retry::Never;

    fn name(&self) -> &'static str {
        "users.update_email"
    }
    fn method(&self) -> Method {
        Method::POST
    }
    fn path(&self) -> String {
        format!("/protected/json/users/{}/update", self.authy_id)
    }
    fn body(&self) -> Option<Value> {
        Some(json!({ "email": self.email }))
    }
    fn validate(&self) -> Result<(), ValidationError> {
        first_error([check_authy_id(self.authy_id), check_email(&self.email)])
    }
}

/// The kinds of activity Authy records (WIRE.md §3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActivityType {
    /// `password_reset`
    PasswordReset,
    /// `banned`
    Banned,
    /// `unbanned`
    Unbanned,
    /// `cookie_login`
    CookieLogin,
}

impl ActivityType {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityType::PasswordReset => "password_reset",
            ActivityType::Banned => "banned",
            ActivityType::Unbanned => "unbanned",
            ActivityType::CookieLogin => "cookie_login",
        }
    }
}

impl fmt::Display for ActivityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActivityType {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            ActivityType::PasswordReset,
            ActivityType::Banned,
            ActivityType::Unbanned,
            ActivityType::CookieLogin,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
        .ok_or_else(|| {
            ValidationError::new(
                "type",
                format!("must be password_reset, banned, unbanned or cookie_login, got {s:?}"),
            )
        })
    }
}

impl<C> Prepared<'_, C, RegisterActivity> {
    /// Adds a key/value to the activity's free-form `data`.
    pub fn data(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.endpoint.data.insert(key.into(), value.into());
        self
    }
}

impl Endpoint for RegisterActivity {
    type Output = Confirmation;
    const RETRY: Retry = Retry::Never;

    fn name(&self) -> &'static str {
        "users.register_activity"
    }
    fn method(&self) -> Method {
        Method::POST
    }
    fn path(&self) -> String {
        format!("/protected/json/users/{}/register_activity", self.authy_id)
    }
    fn body(&self) -> Option<Value> {
        let mut body = Map::new();
        body.insert("type".into(), self.activity.as_str().into());
        if !self.data.is_empty() {
            body.insert("data".into(), Value::Object(self.data.clone()));
        }
        insert_opt(&mut body, "user_ip", &self.user_ip);
        Some(Value::Object(body))
    }
    fn validate(&self) -> Result<(), ValidationError> {
        check_authy_id(self.authy_id)
    }
}

/// `POST /protected/json/users/{id}/secret`. Made by [`Users::qr_code`].
#[derive(Clone, Debug)]
pub struct GenerateQrCode {
    authy_id: u64,
    label: Option<String>,
    qr_size: Option<u32>,
}

impl<C> Prepared<'_, C, GenerateQrCode> {
    /// The account name shown by the authenticator app (default: the app's name).
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.endpoint.label = Some(label.into());
        self
    }

    /// The QR image's width in pixels, 100 to 1000 (server default 300).
    pub fn qr_size(mut self, pixels: u32) -> Self {
        self.endpoint.qr_size = Some(pixels);
        self
    }
}

impl Endpoint for GenerateQrCode {
    type Output = QrCode;
    /// Each call replaces the user's secret: never repeated behind the caller's back.
    const RETRY: Retry = Retry::Never;

    fn name(&self) -> &'static str {
        "users.qr_code"
    }
    fn method(&self) -> Method {
        Method::POST
    }
    fn path(&self) -> String {
        format!("/protected/json/users/{}/secret", self.authy_id)
    }
    fn body(&self) -> Option<Value> {
        let mut body = Map::new();
        insert_opt(&mut body, "label", &self.label);
        insert_opt(&mut body, "qr_size", &self.qr_size);
        Some(Value::Object(body))
    }
    fn validate(&self) -> Result<(), ValidationError> {
        let size = match self.qr_size {
            Some(px) if !(100..=1000).contains(&px) => Err(ValidationError::new(
                "qr_size",
                format!("must be 100 to 1000 pixels, got {px}"),
            )),
            _ => Ok(()),
        };
        let label = match &self.label {
            Some(label) => check_text("label", label, 255),
            None => Ok(()),
        };
        first_error([check_authy_id(self.authy_id), size, label])
    }
}

/// The answer to [`Users::qr_code`].
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct QrCode {
    /// A link to a PNG of the QR code, or a `data:image/png;base64,...` URI.
    pub qr_code: String,
    /// The label encoded in the QR code.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub label: Option<String>,
    /// Always true in an `Ok` answer.
    #[serde(deserialize_with = "lenient::bool")]
    pub success: bool,
    /// Fields this crate does not model (our server adds the `otpauth://` URI and the secret).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

/// `GET /protected/json/registrations/status`. Made by [`Users::registration_status`].
#[derive(Clone, Debug)]
pub struct RegistrationStatus {
    custom_user_id: String,
}

impl Endpoint for RegistrationStatus {
    type Output = Registration;
    const RETRY: Retry = Retry::Safe;

    fn name(&self) -> &'static str {
        "users.registration_status"
    }
    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        "/protected/json/registrations/status".into()
    }
    fn query(&self) -> Vec<(&'static str, String)> {
        vec![("custom_user_id", self.custom_user_id.clone())]
    }
    fn validate(&self) -> Result<(), ValidationError> {
        check_text("custom_user_id", &self.custom_user_id, 255)
    }
}

/// The answer to [`Users::registration_status`]. Its shape was never captured
/// from the real service; known fields are typed, the rest kept in `extra`.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Registration {
    /// The registration's status (`pending`, `completed`, ...), when given.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    /// The authy id the registration created, when given.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub authy_id: Option<u64>,
    /// Always true in an `Ok` answer.
    #[serde(deserialize_with = "lenient::bool")]
    pub success: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

/// The answer to [`Users::status`].
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct UserStatus {
    /// `User status.`
    #[serde(default)]
    pub message: String,
    /// The user.
    pub status: UserStatusDetails,
    /// Always true in an `Ok` answer.
    #[serde(deserialize_with = "lenient::bool")]
    pub success: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

/// What Authy knows about a user (WIRE.md §3.2).
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct UserStatusDetails {
    /// The authy id.
    pub authy_id: AuthyId,
    /// True once the user has verified any valid code.
    #[serde(deserialize_with = "lenient::bool")]
    pub confirmed: bool,
    /// True once an Authy-app device is registered.
    #[serde(deserialize_with = "lenient::bool")]
    pub registered: bool,
    /// The country calling code.
    #[serde(deserialize_with = "lenient::u64")]
    pub country_code: u64,
    /// The phone, masked: `XXX-XXX-1118`.
    pub phone_number: String,
    /// The user's e-mail.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// Device types: `android`, `iphone`, `sms`, ...
    #[serde(default)]
    pub devices: Vec<String>,
    /// Whether the user has a hardware token.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub has_hard_token: Option<bool>,
    /// Whether the account is disabled.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub account_disabled: Option<bool>,
    /// The user's devices in detail.
    #[serde(default)]
    pub detailed_devices: Vec<DetailedDevice>,
    /// Devices the user removed.
    #[serde(default)]
    pub deleted_devices: Vec<Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of `detailed_devices`.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct DetailedDevice {
    /// `authy`, `sms`, ...
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub device_type: Option<String>,
    /// `android`, `ios`, `unknown`, ...
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub os_type: Option<String>,
    /// The device id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub device_id: Option<String>,
    /// How the device was registered.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub registration_method: Option<String>,
    /// Unix seconds of the last sync (0 if never).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub last_sync_date: Option<i64>,
    /// Unix seconds of the registration.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub creation_date: Option<i64>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl_response!(CreatedUser, UserStatus, QrCode, Registration);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_domain() {
        assert!(check_email("a@b.co").is_ok());
        for bad in ["", "ab.co", "@b.co", "a@", "a b@c.d"] {
            assert_eq!(check_email(bad).unwrap_err().argument, "email", "{bad}");
        }
    }
}
