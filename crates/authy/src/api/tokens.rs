//! One-time tokens: request one by SMS or voice call, verify what the user typed
//! (WIRE.md §3.7, §3.8, §3.10).

use std::borrow::Cow;

use authy_types::{Token, lenient};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{check_authy_id, check_text, first_error, push_opt};
use crate::client::Prepared;
use crate::endpoint::{Endpoint, Response, impl_response};
use crate::error::ValidationError;
use crate::retry::Retry;

/// One-time tokens. Made by `client.tokens()`.
#[derive(Debug)]
pub struct Tokens<'c, C> {
    client: &'c C,
}

impl<'c, C> Tokens<'c, C> {
    pub(crate) fn new(client: &'c C) -> Self {
        Tokens { client }
    }

    /// Texts the user a token. If the user has the Authy app and `force` is not
    /// set, nothing is sent and the answer says so ([`TokenRequest::ignored`]).
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// let sent = client.tokens().sms(1635).force(true).locale("es").send().await?;
    /// if sent.ignored() {
    ///     println!("the user has the Authy app on {:?}", sent.device);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn sms(&self, authy_id: u64) -> Prepared<'c, C, RequestToken> {
        Prepared::new(self.client, RequestToken::new(Channel::Sms, authy_id))
    }

    /// Calls the user and reads a token aloud. Same options as [`Tokens::sms`].
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// client.tokens().call(1635).force(true).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn call(&self, authy_id: u64) -> Prepared<'c, C, RequestToken> {
        Prepared::new(self.client, RequestToken::new(Channel::Call, authy_id))
    }

    /// E-mails the user a token (authy-ruby's `request_email`).
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// let sent = client.tokens().email(1635).send().await?;
    /// println!("{}", sent.message);
    /// # Ok(()) }
    /// ```
    pub fn email(&self, authy_id: u64) -> Prepared<'c, C, RequestEmail> {
        Prepared::new(self.client, RequestEmail { authy_id })
    }

    /// Verifies a token the user typed. `force` is on by default, as in the
    /// Python, Ruby and PHP clients. A wrong, expired or reused token is an
    /// [`Error`](crate::Error) for which `is_invalid_token()` is true (`60020`,
    /// or `60019` for a reused one): it can never be mistaken for success.
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// match client.tokens().verify(1635, "0012345").send().await {
    ///     Ok(_) => println!("welcome"),
    ///     Err(e) if e.is_token_reused() => println!("that code was already used"),
    ///     Err(e) if e.is_invalid_token() => println!("wrong code"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn verify(&self, authy_id: u64, token: impl Into<String>) -> Prepared<'c, C, Verify> {
        Prepared::new(
            self.client,
            Verify {
                authy_id,
                token: token.into(),
                force: true,
                action: None,
            },
        )
    }
}

/// How a token is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// A text message.
    Sms,
    /// A voice call.
    Call,
}

/// `GET /protected/json/sms/{id}` or `GET /protected/json/call/{id}`. Made by
/// [`Tokens::sms`] and [`Tokens::call`].
#[derive(Clone, Debug)]
pub struct RequestToken {
    channel: Channel,
    authy_id: u64,
    force: bool,
    action: Option<String>,
    action_message: Option<String>,
    locale: Option<String>,
}

impl RequestToken {
    fn new(channel: Channel, authy_id: u64) -> Self {
        RequestToken {
            channel,
            authy_id,
            force: false,
            action: None,
            action_message: None,
            locale: None,
        }
    }
}

impl<C> Prepared<'_, C, RequestToken> {
    /// Sends even if the user has the Authy app.
    pub fn force(mut self, force: bool) -> Self {
        self.endpoint.force = force;
        self
    }

    /// Binds the token to an action (e.g. `login`, `transfer-42`): it then
    /// verifies only with the same action (1 to 255 characters).
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.endpoint.action = Some(action.into());
        self
    }

    /// Text shown with the action (1 to 255 characters).
    pub fn action_message(mut self, message: impl Into<String>) -> Self {
        self.endpoint.action_message = Some(message.into());
        self
    }

    /// The message language: `en`, `es`, `pt-BR`, ... (default: the app's).
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.endpoint.locale = Some(locale.into());
        self
    }
}

impl Endpoint for RequestToken {
    type Output = TokenRequest;
    /// A repeat would text or call the user twice.
    const RETRY: Retry = Retry::Never;

    fn name(&self) -> &'static str {
        match self.channel {
            Channel::Sms => "tokens.sms",
            Channel::Call => "tokens.call",
        }
    }
    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        let channel = match self.channel {
            Channel::Sms => "sms",
            Channel::Call => "call",
        };
        format!("/protected/json/{channel}/{}", self.authy_id)
    }
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if self.force {
            query.push(("force", "true".to_owned()));
        }
        push_opt(&mut query, "action", &self.action);
        push_opt(&mut query, "action_message", &self.action_message);
        push_opt(&mut query, "locale", &self.locale);
        query
    }
    fn validate(&self) -> Result<(), ValidationError> {
        first_error([
            check_authy_id(self.authy_id),
            self.action
                .as_deref()
                .map_or(Ok(()), |a| check_text("action", a, 255)),
            self.action_message
                .as_deref()
                .map_or(Ok(()), |m| check_text("action_message", m, 255)),
            self.locale.as_deref().map_or(Ok(()), check_locale),
        ])
    }
}

fn check_locale(locale: &str) -> Result<(), ValidationError> {
    let ok = (2..=16).contains(&locale.len())
        && locale
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            "locale",
            format!("must look like en, es or pt-BR, got {locale:?}"),
        ))
    }
}

/// The answer to an SMS, call or e-mail token request.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct TokenRequest {
    /// `SMS token was sent`, `Call started...`, or the "ignored" explanation.
    #[serde(default)]
    pub message: String,
    /// The phone, masked: `+57-XXX-XXX-XX12`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cellphone: Option<String>,
    /// The device type the user has the Authy app on, when the request was ignored.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub device: Option<String>,
    /// The address, for an e-mail token.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// The e-mail's id (`EM` + 32 hex digits), for an e-mail token.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email_id: Option<String>,
    #[serde(default, rename = "ignored", deserialize_with = "lenient::opt_bool")]
    ignored_flag: Option<bool>,
    /// Always true in an `Ok` answer, also when the request was ignored.
    #[serde(deserialize_with = "lenient::bool")]
    pub success: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

impl TokenRequest {
    /// True when nothing was sent because the user has the Authy app (pass
    /// `force(true)` to send anyway).
    pub fn ignored(&self) -> bool {
        self.ignored_flag == Some(true)
    }
}

/// `POST /protected/json/email/{id}`. Made by [`Tokens::email`].
#[derive(Clone, Debug)]
pub struct RequestEmail {
    authy_id: u64,
}

impl Endpoint for RequestEmail {
    type Output = TokenRequest;
    /// A repeat would send a second e-mail.
    const RETRY: Retry = Retry::Never;

    fn name(&self) -> &'static str {
        "tokens.email"
    }
    fn method(&self) -> Method {
        Method::POST
    }
    fn path(&self) -> String {
        format!("/protected/json/email/{}", self.authy_id)
    }
    fn body(&self) -> Option<Value> {
        Some(Value::Object(Map::new()))
    }
    fn validate(&self) -> Result<(), ValidationError> {
        check_authy_id(self.authy_id)
    }
}

/// `GET /protected/json/verify/{token}/{id}`. Made by [`Tokens::verify`].
#[derive(Clone)]
pub struct Verify {
    authy_id: u64,
    token: String,
    force: bool,
    action: Option<String>,
}

impl std::fmt::Debug for Verify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verify")
            .field("authy_id", &self.authy_id)
            .field("token", &"******")
            .field("force", &self.force)
            .field("action", &self.action)
            .finish()
    }
}

impl<C> Prepared<'_, C, Verify> {
    /// `true` (the default) always checks the token; `false` lets Authy accept
    /// any token for users who never completed registration (legacy behaviour).
    pub fn force(mut self, force: bool) -> Self {
        self.endpoint.force = force;
        self
    }

    /// The action the SMS or voice token was requested with.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.endpoint.action = Some(action.into());
        self
    }
}

impl Endpoint for Verify {
    type Output = Verification;
    /// A repeat after a lost success would answer "token used recently".
    const RETRY: Retry = Retry::Never;

    fn name(&self) -> &'static str {
        "tokens.verify"
    }
    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        // The token is checked to be digits before sending, so it needs no encoding.
        format!("/protected/json/verify/{}/{}", self.token, self.authy_id)
    }
    fn log_path(&self) -> Cow<'_, str> {
        Cow::Owned(format!("/protected/json/verify/******/{}", self.authy_id))
    }
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if self.force {
            query.push(("force", "true".to_owned()));
        }
        push_opt(&mut query, "action", &self.action);
        query
    }
    fn validate(&self) -> Result<(), ValidationError> {
        first_error([
            check_authy_id(self.authy_id),
            Token::new(self.token.as_str()).map(|_| ()),
            self.action
                .as_deref()
                .map_or(Ok(()), |a| check_text("action", a, 255)),
        ])
    }
}

/// A successful verification: the token was right.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Verification {
    /// `Token is valid.`
    #[serde(default)]
    pub message: String,
    /// `is valid`.
    pub token: String,
    /// True (the real service sends the string `"true"` here).
    #[serde(deserialize_with = "lenient::bool")]
    pub success: bool,
    /// The device the token came from (`os_type` is `sms` for SMS and voice tokens).
    #[serde(default)]
    pub device: Option<VerifiedDevice>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

impl Response for Verification {
    fn raw(&self) -> &Value {
        self.raw.value()
    }
    fn set_raw(&mut self, raw: crate::endpoint::RawBody) {
        self.raw = raw;
    }
    /// As the Python client does, a verification counts only if the answer
    /// says `"token":"is valid"`.
    fn confirms_success(&self) -> bool {
        self.token == "is valid"
    }
}

/// The `device` of a verification answer.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct VerifiedDevice {
    /// The device id (null for SMS tokens).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// `sms`, `android`, `ios`, ...
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub os_type: Option<String>,
    /// Unix seconds of the device's registration.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub registration_date: Option<i64>,
    /// Unix seconds of the last account recovery.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub last_account_recovery_at: Option<i64>,
    /// Unix seconds of the last sync.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub last_sync_date: Option<i64>,
    /// How the device was registered (`sms`, `push`, ...).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub registration_method: Option<String>,
    /// Where the device was registered: country, region and city.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub registration_country: Option<String>,
    /// See `registration_country`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub registration_region: Option<String>,
    /// See `registration_country`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub registration_city: Option<String>,
    /// Where the device was last seen: country, region, city and IP address.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub country: Option<String>,
    /// See `country`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub region: Option<String>,
    /// See `country`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub city: Option<String>,
    /// See `country`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub ip: Option<String>,
    /// Fields this crate does not model. Every field of the recorded answer is
    /// modelled: naming them all also spares a verification the cost of
    /// collecting a dozen unknown fields into this map.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl_response!(TokenRequest);
crate::endpoint::raw_accessor!(Verification);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_are_short_tags() {
        for good in ["en", "es", "pt-BR", "zh_CN"] {
            assert!(check_locale(good).is_ok(), "{good}");
        }
        for bad in ["", "e", "en us", "x/../y", "averyveryverylonglocale"] {
            assert!(check_locale(bad).is_err(), "{bad}");
        }
    }
}
