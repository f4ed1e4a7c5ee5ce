//! A synchronous client for scripts and programs without an async runtime.
//!
//! [`Client`] wraps the async [`crate::Client`] and a single-threaded tokio
//! runtime, so timeouts, retries, validation and redaction are the same code.
//! Calls read as in the async API, without `.await`:
//!
//! ```no_run
//! let client = authy::blocking::Client::new("my-api-key")?;
//! let user = client.users().create("ada@example.com", "405-342-5699").send()?;
//! client.tokens().sms(user.id()).send()?;
//! # Ok::<(), authy::Error>(())
//! ```
//!
//! Build it once and reuse it. Two things panic, as with every client built this
//! way: calling it from inside an async runtime (use the async client there), and
//! dropping it inside async code (tokio refuses to drop a runtime there).

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Runtime;

use crate::api::onetouch::ApprovalRequest;
use crate::api::{App, OneTouch, Phones, Tokens, Users};
use crate::client::{ClientBuilder, Prepared};
use crate::endpoint::Endpoint;
use crate::error::Error;

/// A blocking Authy client. Cheap to clone: clones share the connection pool and runtime.
#[derive(Clone, Debug)]
pub struct Client {
    inner: crate::Client,
    runtime: Arc<Runtime>,
}

impl Client {
    /// A client for `https://api.authy.com` with the default timeout and retries.
    pub fn new(api_key: impl Into<String>) -> Result<Self, Error> {
        Client::from_async(crate::Client::new(api_key)?)
    }

    /// The same builder as the async client; finish with [`ClientBuilder::build_blocking`].
    ///
    /// ```no_run
    /// let client = authy::blocking::Client::builder("my-api-key").base_url("http://127.0.0.1:8080").build_blocking()?;
    /// # Ok::<(), authy::Error>(())
    /// ```
    pub fn builder(api_key: impl Into<String>) -> ClientBuilder {
        crate::Client::builder(api_key)
    }

    /// Wraps an async client.
    pub fn from_async(inner: crate::Client) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                crate::error::ValidationError::new(
                    "runtime",
                    format!("could not start a tokio runtime: {e}"),
                )
            })?;
        Ok(Client {
            inner,
            runtime: Arc::new(runtime),
        })
    }

    /// The async client inside.
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
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

    /// Sends one call and waits for the answer.
    pub fn execute<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output, Error> {
        self.runtime.block_on(self.inner.execute(endpoint))
    }
}

impl<E: Endpoint> Prepared<'_, Client, E> {
    /// Sends the call and waits for the answer. Arguments are checked first; if
    /// one is refused, nothing is sent.
    pub fn send(self) -> Result<E::Output, Error> {
        self.client.execute(&self.endpoint)
    }
}

impl OneTouch<'_, Client> {
    /// Polls until the request is answered or expires, or `timeout` passes; see
    /// the async [`OneTouch::wait_for_approval`](crate::api::OneTouch).
    pub fn wait_for_approval(
        &self,
        uuid: &str,
        timeout: Duration,
        interval: Duration,
    ) -> Result<ApprovalRequest, Error> {
        let client = self.client;
        client.runtime.block_on(
            client
                .inner
                .onetouch()
                .wait_for_approval(uuid, timeout, interval),
        )
    }
}
