//! What every handler shares.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::crypto::Crypto;
use crate::db::{AppRow, Counter, Db};
use crate::error::AppError;

/// Whether the sandbox control API is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `/sandbox/` is mounted: tests read codes and press buttons.
    Sandbox,
    /// No sandbox API.
    Production,
}

/// The server's shared state.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub crypto: Crypto,
    pub clock: Arc<dyn Clock>,
    pub mode: Mode,
    /// Wakes the callback worker when a callback is queued.
    pub callbacks: Arc<Notify>,
}

impl AppState {
    /// The application's "now": the server clock plus its sandbox offset.
    pub fn now(&self, app: &AppRow) -> i64 {
        self.clock.now_unix() + app.clock_offset
    }

    /// Adds one to this month's counter of the application.
    pub async fn count(&self, app: &AppRow, counter: Counter) -> Result<(), AppError> {
        let month = crate::clock::year_month(self.now(app));
        Ok(self.db.count(app.id, month, counter).await?)
    }
}
