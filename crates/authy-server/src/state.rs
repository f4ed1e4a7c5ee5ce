//! What every handler shares.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::crypto::Crypto;
use crate::db::{AppRow, Counter, Db, MessageRow};
use crate::error::AppError;

/// Whether the sandbox control API is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `/sandbox/` is mounted: tests read codes and press buttons.
    Sandbox,
    /// No sandbox API.
    Production,
}

/// Attempt and send limits (WIRE.md §8.5). A limit of 0 turns it off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Failed token verifications per user within `verify_window` seconds.
    pub verify_failures: i64,
    pub verify_window: i64,
    /// SMS and calls (tokens, phone verifications) per phone within `send_window` seconds.
    pub sends_per_phone: i64,
    /// SMS and calls per application within `send_window` seconds.
    pub sends_per_app: i64,
    pub send_window: i64,
}

impl Default for Limits {
    /// 5 failed verifications per user per 10 minutes (WIRE.md §8.5); 10 messages
    /// per phone and 1000 per application per hour.
    fn default() -> Self {
        Limits {
            verify_failures: 5,
            verify_window: 600,
            sends_per_phone: 10,
            sends_per_app: 1000,
            send_window: 3600,
        }
    }
}

/// A message for a user or a phone.
pub struct Outgoing<'a> {
    pub authy_id: Option<i64>,
    /// 0 for an e-mail.
    pub country_code: u16,
    /// Phone digits, or the address of an e-mail.
    pub to: &'a str,
    /// `sms`, `call` or `email`.
    pub channel: &'static str,
    /// `token`, `phone_verification` or `install_link`.
    pub kind: &'static str,
    pub code: Option<&'a str>,
    pub text: &'a str,
    pub locale: &'a str,
}

/// Counts by (application, (year, month), counter), not yet written.
pub type PendingCounts = HashMap<(i64, (i32, u8), Counter), i64>;

/// The server's shared state.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub crypto: Crypto,
    pub clock: Arc<dyn Clock>,
    pub mode: Mode,
    /// Wakes the callback worker when a callback is queued.
    pub callbacks: Arc<Notify>,
    pub limits: Limits,
    /// Monthly counters not yet written (see [`AppState::count`]).
    pub pending_counts: Arc<Mutex<PendingCounts>>,
}

impl AppState {
    /// The application's "now": the server clock plus its sandbox offset.
    pub fn now(&self, app: &AppRow) -> i64 {
        self.clock.now_unix() + app.clock_offset
    }

    /// Refuses a send (429 `60003`) when the phone or the application has had
    /// its share of messages in the window: cost and spam protection.
    pub async fn check_send_limits(
        &self,
        app: &AppRow,
        country_code: u16,
        digits: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let window = self.limits.send_window;
        let since = now - window;
        for (limit, phone) in [
            (self.limits.sends_per_phone, Some((country_code, digits))),
            (self.limits.sends_per_app, None),
        ] {
            if limit == 0 {
                continue;
            }
            let (sent, oldest) = self.db.sends_since(app.id, phone, since).await?;
            if sent >= limit {
                return Err(AppError::rate_limited((oldest + window - now).max(1) as u64));
            }
        }
        Ok(())
    }

    /// Sends a message: it is stored, code and text encrypted, in the outbox
    /// that `/sandbox/messages` reads (the only delivery provider there is).
    /// SMS and calls that carry a code count in the month's statistics.
    pub async fn deliver(&self, app: &AppRow, m: Outgoing<'_>, now: i64) -> Result<(), AppError> {
        let message = MessageRow {
            id: uuid::Uuid::new_v4().to_string(),
            authy_id: m.authy_id,
            country_code: m.country_code,
            phone: m.to.to_owned(),
            channel: m.channel.to_owned(),
            kind: m.kind.to_owned(),
            code_enc: m.code.map(|code| self.crypto.encrypt(code.as_bytes())),
            text_enc: self.crypto.encrypt(m.text.as_bytes()),
            locale: m.locale.to_owned(),
            created_at: now,
        };
        self.db.insert_message(app.id, message).await?;
        match (m.channel, m.code) {
            ("sms", Some(_)) => self.count(app, Counter::Sms),
            ("call", Some(_)) => self.count(app, Counter::Calls),
            _ => {}
        }
        Ok(())
    }

    /// Adds one to this month's counter of the application. Counters are
    /// statistics: they are kept in memory and written in one transaction every
    /// second ([`AppState::flush_counts`]), so a request does not pay a durable
    /// write for them; a crash loses at most about a second of counts.
    pub fn count(&self, app: &AppRow, counter: Counter) {
        let month = crate::clock::year_month(self.now(app));
        *self
            .pending_counts
            .lock()
            .expect("counter lock")
            .entry((app.id, month, counter))
            .or_insert(0) += 1;
    }

    /// Forgets the verification attempts that no longer count towards any
    /// limit, and the used TOTP steps no code can reach any more (every
    /// minute, from the server's housekeeping loop).
    pub async fn prune(&self) {
        let now = self.clock.now_unix();
        match self
            .db
            .prune_verify_attempts(now, self.limits.verify_window)
            .await
        {
            Ok(0) => {}
            Ok(forgotten) => tracing::debug!(forgotten, "forgot old verification attempts"),
            Err(e) => tracing::warn!(error = %e, "could not forget old verification attempts"),
        }
        match self.db.prune_used_steps(now).await {
            Ok(0) => {}
            Ok(forgotten) => tracing::debug!(forgotten, "forgot old used steps"),
            Err(e) => tracing::warn!(error = %e, "could not forget old used steps"),
        }
    }

    /// Writes the counts kept in memory. Before reading statistics, before a
    /// reset, every second, and at shutdown.
    pub async fn flush_counts(&self) -> Result<(), AppError> {
        let counts: Vec<_> = {
            let mut pending = self.pending_counts.lock().expect("counter lock");
            pending
                .drain()
                .map(|((app, month, counter), n)| (app, month, counter, n))
                .collect()
        };
        if counts.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.db.add_counts(&counts).await {
            // Keep them for the next flush rather than lose them.
            let mut pending = self.pending_counts.lock().expect("counter lock");
            for (app, month, counter, n) in counts {
                *pending.entry((app, month, counter)).or_insert(0) += n;
            }
            return Err(e.into());
        }
        Ok(())
    }
}
