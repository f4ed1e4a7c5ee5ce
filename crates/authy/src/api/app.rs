//! The application: details and monthly statistics (WIRE.md §3.11, §3.12).

use authy_types::lenient;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::push_opt;
use super::user_ip_setter;
use crate::client::Prepared;
use crate::endpoint::{Endpoint, impl_response};
use crate::retry::Retry;

/// The application the API key belongs to. Made by `client.app()`.
#[derive(Debug)]
pub struct App<'c, C> {
    client: &'c C,
}

impl<'c, C> App<'c, C> {
    pub(crate) fn new(client: &'c C) -> Self {
        App { client }
    }

    /// The application's name, plan and enabled features.
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// let details = client.app().details().send().await?;
    /// println!("{} (SMS enabled: {})", details.app.name, details.app.sms_enabled);
    /// # Ok(()) }
    /// ```
    pub fn details(&self) -> Prepared<'c, C, Details> {
        Prepared::new(self.client, Details { user_ip: None })
    }

    /// Counts of SMS, calls, verifications, users and API calls for the last twelve months.
    ///
    /// ```no_run
    /// # async fn run(client: authy::Client) -> Result<(), authy::Error> {
    /// let stats = client.app().stats().send().await?;
    /// for month in &stats.stats {
    ///     println!("{} {}: {} SMS", month.month, month.year, month.sms_count);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stats(&self) -> Prepared<'c, C, Stats> {
        Prepared::new(self.client, Stats { user_ip: None })
    }
}

/// `GET /protected/json/app/details`. Made by [`App::details`].
#[derive(Clone, Debug)]
pub struct Details {
    user_ip: Option<String>,
}

/// `GET /protected/json/app/stats`. Made by [`App::stats`].
#[derive(Clone, Debug)]
pub struct Stats {
    user_ip: Option<String>,
}

user_ip_setter!(Details, Stats);

impl Endpoint for Details {
    type Output = AppDetails;
    const RETRY: Retry = Retry::Safe;

    fn name(&self) -> &'static str {
        "app.details"
    }
    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        "/protected/json/app/details".into()
    }
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        push_opt(&mut query, "user_ip", &self.user_ip);
        query
    }
}

impl Endpoint for Stats {
    type Output = AppStats;
    const RETRY: Retry = Retry::Safe;

    fn name(&self) -> &'static str {
        "app.stats"
    }
    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        "/protected/json/app/stats".into()
    }
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        push_opt(&mut query, "user_ip", &self.user_ip);
        query
    }
}

/// The answer to [`App::details`].
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct AppDetails {
    /// `Application information.`
    #[serde(default)]
    pub message: String,
    /// The application.
    pub app: Application,
    /// Always true in an `Ok` answer.
    #[serde(deserialize_with = "lenient::bool")]
    pub success: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

/// An application's settings.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Application {
    /// The numeric application id.
    #[serde(deserialize_with = "lenient::u64")]
    pub app_id: u64,
    /// The name users see in messages.
    pub name: String,
    /// `starter`, `pay_as_you_go`, ...
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub plan: Option<String>,
    /// Whether SMS tokens can be sent.
    #[serde(deserialize_with = "lenient::bool")]
    pub sms_enabled: bool,
    /// Whether voice-call tokens can be sent.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub phone_calls_enabled: Option<bool>,
    /// Whether OneTouch is enabled.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub onetouch_enabled: Option<bool>,
    /// Whether messages hide the Authy brand.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub white_label: Option<bool>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer to [`App::stats`].
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct AppStats {
    /// `Monthly statistics.`
    #[serde(default)]
    pub message: String,
    /// Number of months in `stats`.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub count: Option<u64>,
    /// Users of the application now.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub total_users: Option<u64>,
    /// The numeric application id.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub app_id: Option<u64>,
    /// One entry per month, oldest first.
    pub stats: Vec<MonthlyStats>,
    /// Always true in an `Ok` answer.
    #[serde(deserialize_with = "lenient::bool")]
    pub success: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    raw: crate::endpoint::RawBody,
}

/// One month of statistics.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct MonthlyStats {
    /// English month name, e.g. `August`.
    pub month: String,
    /// The year.
    #[serde(deserialize_with = "lenient::u64")]
    pub year: u64,
    /// SMS sent.
    #[serde(deserialize_with = "lenient::u64")]
    pub sms_count: u64,
    /// Voice calls made.
    #[serde(deserialize_with = "lenient::u64")]
    pub calls_count: u64,
    /// Users created.
    #[serde(deserialize_with = "lenient::u64")]
    pub users_count: u64,
    /// Successful verifications.
    #[serde(deserialize_with = "lenient::u64")]
    pub auths_count: u64,
    /// API calls.
    #[serde(deserialize_with = "lenient::u64")]
    pub api_calls_count: u64,
}

impl_response!(AppDetails, AppStats);
