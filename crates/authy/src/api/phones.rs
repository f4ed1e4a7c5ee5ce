//! Phone verification (start, check, status) and phone information
//! (WIRE.md §3.13–§3.15, §3.18).

use std::fmt;
use std::str::FromStr;

use authy_types::lenient;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::user_ip_setter;
use super::{
    Confirmation, check_country_code, check_digits, check_phone, check_text, first_error,
    insert_opt, push_opt,
};
use crate::client::Prepared;
use crate::endpoint::{Endpoint, impl_response};
use crate::error::ValidationError;
use crate::retry::Retry;

/// Phone verification and phone information. Made by `client.phones()`.
#[derive(Debug)]
pub struct Phones<'c, C> {
    client: &'c C,
}

impl<'c, C> Phones<'c, C> {
    pub(crate) fn new(client: &'c C) -> Self {
        Phones { client }
    }

    /// Sends a verification code to a phone by SMS or voice call. A second start
    /// within ten minutes re-sends the same code.
    ///
    /// ```no_run
    /// use authy::api::phones::Via;
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// let started = client.phones().start(Via::Sms, 1, "201-555-0123").code_length(6).locale("en").send().await?;
    /// println!("{} (expires in {:?} s)", started.message, started.seconds_to_expire);
    /// # Ok(()) }
    /// ```
    pub fn start(
        &self,
        via: Via,
        country_code: u16,
        phone_number: impl Into<String>,
    ) -> Prepared<'c, C, StartVerification> {
        Prepared::new(
            self.client,
            StartVerification {
                via,
                phone: PhoneRef::new(country_code, phone_number),
                code_length: None,
                locale: None,
                custom_code: None,
                custom_message: None,
            },
        )
    }

    /// Checks the code the user received. A wrong code is an error with
    /// `is_incorrect_verification_code()`; no pending verification one with `is_not_found()`.
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// client.phones().check(1, "201-555-0123", "1234").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn check(
        &self,
        country_code: u16,
        phone_number: impl Into<String>,
        code: impl Into<String>,
    ) -> Prepared<'c, C, CheckVerification> {
        Prepared::new(
            self.client,
            CheckVerification {
                phone: PhoneRef::new(country_code, phone_number),
                verification_code: code.into(),
            },
        )
    }

    /// The status of the latest verification of a phone: `pending`, `verified` or `expired`.
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// let status = client.phones().status(1, "201-555-0123").send().await?;
    /// println!("{}", status.status);
    /// # Ok(()) }
    /// ```
    pub fn status(
        &self,
        country_code: u16,
        phone_number: impl Into<String>,
    ) -> Prepared<'c, C, VerificationStatus> {
        Prepared::new(
            self.client,
            VerificationStatus {
                phone: PhoneRef::new(country_code, phone_number),
            },
        )
    }

    /// What kind of phone a number is (cellphone, landline, voip, ...) and its carrier.
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// let info = client.phones().info(1, "201-555-0123").send().await?;
    /// println!("{} via {:?}", info.phone_type, info.provider);
    /// # Ok(()) }
    /// ```
    pub fn info(
        &self,
        country_code: u16,
        phone_number: impl Into<String>,
    ) -> Prepared<'c, C, Info> {
        Prepared::new(
            self.client,
            Info {
                phone: PhoneRef::new(country_code, phone_number),
                user_ip: None,
            },
        )
    }
}

/// How a verification code is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// A text message.
    Sms,
    /// A voice call.
    Call,
}

impl Via {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Sms => "sms",
            Via::Call => "call",
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Via {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sms" => Ok(Via::Sms),
            "call" => Ok(Via::Call),
            other => Err(ValidationError::new(
                "via",
                format!("must be sms or call, got {other:?}"),
            )),
        }
    }
}

/// A phone as every call here names it: country code and number.
#[derive(Clone, Debug)]
struct PhoneRef {
    country_code: u16,
    phone_number: String,
}

impl PhoneRef {
    fn new(country_code: u16, phone_number: impl Into<String>) -> Self {
        PhoneRef {
            country_code,
            phone_number: phone_number.into(),
        }
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        vec![
            ("phone_number", self.phone_number.clone()),
            ("country_code", self.country_code.to_string()),
        ]
    }

    fn validate(&self) -> Result<(), ValidationError> {
        first_error([
            check_country_code(self.country_code),
            check_phone("phone_number", &self.phone_number),
        ])
    }
}

/// `POST /protected/json/phones/verification/start`. Made by [`Phones::start`].
#[derive(Clone, Debug)]
pub struct StartVerification {
    via: Via,
    phone: PhoneRef,
    code_length: Option<u8>,
    locale: Option<String>,
    custom_code: Option<String>,
    custom_message: Option<String>,
}

impl<C> Prepared<'_, C, StartVerification> {
    /// Digits in the code, 4 to 10 (default 4).
    pub fn code_length(mut self, length: u8) -> Self {
        self.endpoint.code_length = Some(length);
        self
    }

    /// The message language: `en`, `es`, `pt-BR`, ...
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.endpoint.locale = Some(locale.into());
        self
    }

    /// Sends this code instead of a random one (4 to 10 digits; the application must allow it).
    pub fn custom_code(mut self, code: impl Into<String>) -> Self {
        self.endpoint.custom_code = Some(code.into());
        self
    }

    /// A message to send instead of the default text.
    pub fn custom_message(mut self, message: impl Into<String>) -> Self {
        self.endpoint.custom_message = Some(message.into());
        self
    }
}

impl Endpoint for StartVerification {
    type Output = VerificationStarted;
    /// A repeat would text or call the phone twice.
    const RETRY: Retry = Retry::Never;

    fn name(&self) -> &'static str {
        "phones.start"
    }
    fn method(&self) -> Method {
        Method::POST
    }
    fn path(&self) -> String {
        "/protected/json/phones/verification/start".into()
    }
    fn body(&self) -> Option<Value> {
        let mut body = Map::new();
        body.insert("via".into(), self.via.as_str().into());
        body.insert("country_code".into(), self.phone.country_code.into());
        body.insert(
            "phone_number".into(),
            self.phone.phone_number.clone().into(),
        );
        insert_opt(&mut body, "code_length", &self.code_length);
        insert_opt(&mut body, "locale", &self.locale);
        insert_opt(&mut body, "custom_code", &self.custom_code);
        insert_opt(&mut body, "custom_message", &self.custom_message);
        Some(Value::Object(body))
    }
    fn validate(&self) -> Result<(), ValidationError> {
        let code_length = match self.code_length {
            Some(n) if !(4..=10).contains(&n) => Err(ValidationError::new(
                "code_length",
                format!("must be 4 to 10, got {n}"),
            )),
            _ => Ok(()),
        };
        first_error([
            self.phone.validate(),
            code_length,
            self.custom_code
                .as_deref()
                .map_or(Ok(()), |c| check_digits("custom_code", c, 4..=10)),
            self.custom_message
                .as_deref()
                .map_or(Ok(()), |m| check_text("custom_message", m, 1000)),
            self.locale
                .as_deref()
                .map_or(Ok(()), |l| check_text("locale", l, 16)),
        ])
    }
}

/// The answer to [`Phones::start`].
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct VerificationStarted {
    /// `Text message sent to +1 201-555-0123.`, `Call to ... initiated.`, or the localised text.
    #[serde(default)]
    pub message: String,
    /// The verification's uuid.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uuid: Option<String>,
    /// The phone's carrier.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub carrier: Option<String>,
    /// Whether the phone is a cellphone.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub is_cellphone: Option<bool>,
    /// Whether the number was ported.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub is_ported: Option<bool>,
    /// Whole seconds the code stays valid.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub seconds_to_expire: Option<u64>,
    /// Always true in an `Ok` answer.
    #[serde(deserialize_with = "lenient::bool")]
    pub success: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

/// `GET /protected/json/phones/verification/check`. Made by [`Phones::check`].
#[derive(Clone, Debug)]
pub struct CheckVerification {
    phone: PhoneRef,
    verification_code: String,
}

impl Endpoint for CheckVerification {
    type Output = Confirmation;
    /// A correct check consumes the code: a repeat would answer "no pending verification".
    const RETRY: Retry = Retry::Never;

    fn name(&self) -> &'static str {
        "phones.check"
    }
    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        "/protected/json/phones/verification/check".into()
    }
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = self.phone.query();
        query.push(("verification_code", self.verification_code.clone()));
        query
    }
    fn validate(&self) -> Result<(), ValidationError> {
        first_error([
            self.phone.validate(),
            check_digits("verification_code", &self.verification_code, 4..=10),
        ])
    }
}

/// `GET /protected/json/phones/verification/status`. Made by [`Phones::status`].
#[derive(Clone, Debug)]
pub struct VerificationStatus {
    phone: PhoneRef,
}

impl Endpoint for VerificationStatus {
    type Output = PhoneVerificationStatus;
    const RETRY: Retry = Retry::Safe;

    fn name(&self) -> &'static str {
        "phones.status"
    }
    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        "/protected/json/phones/verification/status".into()
    }
    fn query(&self) -> Vec<(&'static str, String)> {
        self.phone.query()
    }
    fn validate(&self) -> Result<(), ValidationError> {
        self.phone.validate()
    }
}

/// The answer to [`Phones::status`].
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct PhoneVerificationStatus {
    /// `Phone verification status.`
    #[serde(default)]
    pub message: String,
    /// `pending`, `verified` or `expired`.
    pub status: String,
    /// Whole seconds until the code expires.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub seconds_to_expire: Option<u64>,
    /// The verification's uuid.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uuid: Option<String>,
    /// Always true in an `Ok` answer.
    #[serde(deserialize_with = "lenient::bool")]
    pub success: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

/// `GET /protected/json/phones/info`. Made by [`Phones::info`].
#[derive(Clone, Debug)]
pub struct Info {
    phone: PhoneRef,
    user_ip: Option<String>,
}

user_ip_setter!(Info);

impl Endpoint for Info {
    type Output = PhoneInfo;
    const RETRY: Retry = Retry::Safe;

    fn name(&self) -> &'static str {
        "phones.info"
    }
    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        "/protected/json/phones/info".into()
    }
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = self.phone.query();
        push_opt(&mut query, "user_ip", &self.user_ip);
        query
    }
    fn validate(&self) -> Result<(), ValidationError> {
        self.phone.validate()
    }
}

/// The answer to [`Phones::info`].
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct PhoneInfo {
    /// `Phone number information as of 2017-11-25 23:21:39 UTC`.
    #[serde(default)]
    pub message: String,
    /// `cellphone`, `landline`, `voip`, `unknown`, ...
    #[serde(rename = "type")]
    pub phone_type: String,
    /// The carrier, when known.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub provider: Option<String>,
    /// Whether the number was ported.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub ported: Option<bool>,
    /// Always true in an `Ok` answer.
    #[serde(deserialize_with = "lenient::bool")]
    pub success: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

impl_response!(VerificationStarted, PhoneVerificationStatus, PhoneInfo);
