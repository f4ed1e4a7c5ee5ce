//! The async client and its builder.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::RngExt as _;
use reqwest::header::{ACCEPT, HeaderName, HeaderValue, USER_AGENT};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument as _;

use crate::api::{App, OneTouch, Phones, Tokens, Users};
use crate::endpoint::{Endpoint, parse};
use crate::error::{Error, ValidationError};
use crate::retry::{Decision, Outcome, RetryPolicy, decide, parse_retry_after};

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://api.authy.com";
/// The default time allowed for one try, from connecting to the last byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// `X-Authy-API-Key`, which HTTP/1.1 sends lower-case; a constant, so that no
/// call parses the name again.
const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-authy-api-key");

/// An async Authy client. Cheap to clone: clones share one connection pool.
///
/// Build it once and reuse it. The API key is sent in the `X-Authy-API-Key`
/// header only, never in a URL, and never appears in `Debug`, errors or logs.
///
/// ```no_run
/// # async fn run() -> Result<(), authy::Error> {
/// let client = authy::Client::new(std::env::var("AUTHY_API_KEY").unwrap())?;
/// let user = client.users().create("ada@example.com", "405-342-5699").country_code(1).send().await?;
/// client.tokens().sms(user.id()).send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    /// `base_url`, parsed once: parsing it again on every call (host and IDNA
    /// processing included) was a measurable part of a call's own cost.
    base: Url,
    api_key: HeaderValue,
    user_agent: HeaderValue,
    timeout: Duration,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("api_key", &"*****")
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

impl Client {
    /// A client for `https://api.authy.com` with the default timeout (10 s) and retries.
    pub fn new(api_key: impl Into<String>) -> Result<Self, Error> {
        Client::builder(api_key).build()
    }

    /// A builder to set the base URL, timeout, retries, user agent, proxy or HTTP client.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let client = authy::Client::builder("my-api-key")
    ///     .base_url("http://127.0.0.1:8080") // `authy serve`, or any proxy
    ///     .timeout(Duration::from_secs(5))
    ///     .retry(authy::RetryPolicy::default().max_retries(3))
    ///     .user_agent_suffix("my-app/1.2")
    ///     .build()?;
    /// # Ok::<(), authy::Error>(())
    /// ```
    pub fn builder(api_key: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            api_key: SecretString::from(api_key.into()),
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent_suffix: None,
            proxy: None,
            http: None,
        }
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Users: create, status, delete, activity, QR codes, registrations.
    pub fn users(&self) -> Users<'_, Self> {
        Users::new(self)
    }

    /// One-time tokens: SMS, voice call, verify.
    pub fn tokens(&self) -> Tokens<'_, Self> {
        Tokens::new(self)
    }

    /// OneTouch push approvals.
    pub fn onetouch(&self) -> OneTouch<'_, Self> {
        OneTouch::new(self)
    }

    /// Phone verification and phone information.
    pub fn phones(&self) -> Phones<'_, Self> {
        Phones::new(self)
    }

    /// The application's details and monthly statistics.
    pub fn app(&self) -> App<'_, Self> {
        App::new(self)
    }

    /// Sends one call, retrying only as its [`Endpoint::RETRY`] and the policy allow.
    pub async fn execute<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output, Error> {
        endpoint.validate()?;
        let method = endpoint.method();
        let span = tracing::info_span!(
            "authy.request",
            call = endpoint.name(),
            method = %method,
            path = %endpoint.log_path(),
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        self.execute_with_retries(endpoint, method)
            .instrument(span)
            .await
    }

    async fn execute_with_retries<E: Endpoint>(
        &self,
        endpoint: &E,
        method: Method,
    ) -> Result<E::Output, Error> {
        let mut url = self.inner.base.clone();
        let path = format!("{}{}", url.path().trim_end_matches('/'), endpoint.path());
        url.set_path(&path);
        let query = endpoint.query();
        if !query.is_empty() {
            // Straight into the URL, once for every try: reqwest's `.query()`
            // would go through serde on each.
            url.query_pairs_mut().extend_pairs(&query);
        }
        let body = endpoint.body();
        let started = Instant::now();
        let span = tracing::Span::current();
        let mut retries_done = 0;
        loop {
            let (outcome, result) = self.try_once(endpoint, &method, &url, body.as_ref()).await;
            let jitter = rand::rng().random_range(0.0..1.0);
            match decide(E::RETRY, retries_done, outcome, &self.inner.retry, jitter) {
                Decision::RetryAfter(wait) => {
                    tracing::debug!(?outcome, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                    retries_done += 1;
                }
                Decision::Stop => {
                    span.record("latency_ms", started.elapsed().as_millis() as u64);
                    span.record("attempts", retries_done + 1);
                    if let Outcome::Answered { status, .. } = outcome {
                        span.record("status", status.as_u16());
                    }
                    match &result {
                        Ok(_) => tracing::debug!("ok"),
                        Err(e) => tracing::debug!(error = %e, "failed"),
                    }
                    return result;
                }
            }
        }
    }

    async fn try_once<E: Endpoint>(
        &self,
        endpoint: &E,
        method: &Method,
        url: &Url,
        body: Option<&serde_json::Value>,
    ) -> (Outcome, Result<E::Output, Error>) {
        let inner = &self.inner;
        let mut request = inner
            .http
            .request(method.clone(), url.clone())
            .header(API_KEY_HEADER, inner.api_key.clone())
            .header(USER_AGENT, inner.user_agent.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .timeout(inner.timeout);
        if let Some(body) = body {
            request = request.json(body);
        }
        let transport_error = |e: reqwest::Error| {
            if e.is_timeout() {
                let error = Error::Timeout {
                    endpoint: endpoint.name(),
                    timeout: inner.timeout,
                };
                (Outcome::TimedOut, Err(error))
            } else {
                let error = Error::Transport {
                    endpoint: endpoint.name(),
                    source: e.without_url(),
                };
                (Outcome::Unreachable, Err(error))
            }
        };
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return transport_error(e),
        };
        let status = response.status();
        let retry_after = parse_retry_after(
            response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
        );
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => return transport_error(e),
        };
        let result = parse::<E::Output>(endpoint.name(), status, &bytes);
        let authy_error = matches!(&result, Err(Error::Api(e)) if e.error_code.is_some());
        let outcome = Outcome::Answered {
            status,
            retry_after,
            authy_error,
        };
        (outcome, result)
    }
}

/// Configures a [`Client`]. Made by [`Client::builder`].
#[must_use]
pub struct ClientBuilder {
    api_key: SecretString,
    base_url: String,
    timeout: Duration,
    retry: RetryPolicy,
    user_agent_suffix: Option<String>,
    proxy: Option<reqwest::Proxy>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &"*****")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Where to send requests: `https://api.authy.com` by default; an `authy serve`
    /// address or a proxy otherwise. A trailing slash is ignored; a path prefix is kept.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Time allowed for one try, from connecting to the last byte of the answer
    /// (default 10 s). Retries get the same time again.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retry policy for calls that are safe to repeat (see [`RetryPolicy`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Text appended to the `User-Agent` (`authy-rust/0.1.0 <suffix>`).
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Sends every request through this proxy. Ignored when [`ClientBuilder::http_client`] is set.
    pub fn proxy(mut self, proxy: reqwest::Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Uses a ready `reqwest::Client` (shared pool, custom TLS roots, ...). The
    /// timeout is still applied to every request.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let key = self.api_key.expose_secret();
        if key.trim().is_empty() {
            return Err(ValidationError::new(
                "api_key",
                "is empty: pass your application's API key",
            )
            .into());
        }
        let mut api_key = HeaderValue::from_str(key).map_err(|_| {
            ValidationError::new(
                "api_key",
                "contains characters that cannot be sent in a header",
            )
        })?;
        api_key.set_sensitive(true);

        let base_url = self.base_url.trim().trim_end_matches('/').to_owned();
        let base = match Url::parse(&base_url) {
            Ok(url)
                if matches!(url.scheme(), "http" | "https")
                    && url.query().is_none()
                    && url.has_host() =>
            {
                url
            }
            _ => {
                return Err(ValidationError::new(
                    "base_url",
                    format!("must be an http or https URL without a query, such as {DEFAULT_BASE_URL}; got {base_url:?}"),
                )
                .into());
            }
        };

        let mut user_agent = format!("authy-rust/{}", env!("CARGO_PKG_VERSION"));
        if let Some(suffix) = self.user_agent_suffix {
            user_agent = format!("{user_agent} {suffix}");
        }
        let user_agent = HeaderValue::from_str(&user_agent).map_err(|_| {
            ValidationError::new(
                "user_agent_suffix",
                "contains characters that cannot be sent in a header",
            )
        })?;

        let http = match self.http {
            Some(http) => http,
            None => {
                let mut builder = reqwest::Client::builder().connect_timeout(self.timeout);
                if let Some(proxy) = self.proxy {
                    builder = builder.proxy(proxy);
                }
                builder.build().map_err(|source| Error::Transport {
                    endpoint: "client.build",
                    source,
                })?
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                base,
                api_key,
                user_agent,
                timeout: self.timeout,
                retry: self.retry,
            }),
        })
    }

    /// Builds a [`crate::blocking::Client`] with the same settings.
    #[cfg(feature = "blocking")]
    pub fn build_blocking(self) -> Result<crate::blocking::Client, Error> {
        crate::blocking::Client::from_async(self.build()?)
    }
}

/// A call ready to send: set its options, then `send()` it.
///
/// Made by the resource handles ([`Client::users`], [`Client::tokens`], ...). The
/// same `Prepared` serves the async and the blocking client; only `send`
/// differs (`.send().await` or `.send()`).
#[must_use = "a prepared call does nothing until it is sent"]
#[derive(Debug)]
pub struct Prepared<'c, C, E> {
    pub(crate) client: &'c C,
    pub(crate) endpoint: E,
}

impl<'c, C, E: Endpoint> Prepared<'c, C, E> {
    pub(crate) fn new(client: &'c C, endpoint: E) -> Self {
        Prepared { client, endpoint }
    }

    /// The call as a value: method, path, query and body, without sending it.
    pub fn endpoint(&self) -> &E {
        &self.endpoint
    }
}

impl<E: Endpoint> Prepared<'_, Client, E> {
    /// Sends the call. Arguments are checked first; if one is refused, nothing is sent.
    pub async fn send(self) -> Result<E::Output, Error> {
        self.client.execute(&self.endpoint).await
    }
}
