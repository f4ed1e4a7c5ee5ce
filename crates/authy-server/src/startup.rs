//! Building and running the server (SANDBOX.md §2).
//!
//! [`Application::build`] checks the configuration, binds the port and opens
//! the database, in that order, so a bad option fails before anything is
//! written. [`Application::run_until_stopped`] serves until the shutdown
//! future completes, lets requests in flight finish, and closes the database.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::Request;
use tokio::net::TcpListener;
use tower::Layer as _;

use crate::callbacks::{CallbackSettings, run_worker};
use crate::clock::Clock;
use crate::crypto::{Crypto, key_hash, random_alphanumeric};
use crate::db::{Db, DbError, Durability};
use crate::routes::{normalize_path, router};
use crate::state::{AppState, Limits, Mode};

/// Everything `authy serve` is told.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to bind; port 0 picks a free port.
    pub listen: String,
    /// `sqlite://PATH` or `sqlite::memory:`.
    pub database_url: String,
    /// Applications to make sure exist.
    pub api_keys: Vec<String>,
    /// Name of applications created at start-up.
    pub app_name: String,
    /// Sandbox or production.
    pub mode: Mode,
    /// Callback URL of applications created at start-up.
    pub onetouch_callback_url: Option<String>,
    /// Key that encrypts secrets at rest; generated next to the database if absent.
    pub secret_key: Option<String>,
    /// Timeout and retries of OneTouch callbacks.
    pub callbacks: CallbackSettings,
    /// Attempt and send limits.
    pub limits: Limits,
    /// Requests served at once; more are refused at once with 429 `60003`
    /// rather than queued, so overload cannot grow memory without bound.
    pub max_in_flight: usize,
    /// How commits reach the disk.
    pub durability: Durability,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://authy.db".into(),
            api_keys: Vec::new(),
            app_name: "Sandbox App".into(),
            mode: Mode::Sandbox,
            onetouch_callback_url: None,
            secret_key: None,
            callbacks: CallbackSettings::default(),
            limits: Limits::default(),
            max_in_flight: 256,
            durability: Durability::Full,
        }
    }
}

/// A configuration the server cannot start with. The message names the option.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `--listen` is not an address, or cannot be bound.
    #[error("--listen {0}: {1}")]
    Listen(String, String),
    /// `--database` cannot be opened or migrated.
    #[error("--database {0}: {1}")]
    Database(String, String),
    /// The secret key cannot be read, written, or does not open this database.
    #[error("--secret-key: {0}")]
    SecretKey(String),
    /// `--onetouch-callback-url` is not an http(s) URL.
    #[error("--onetouch-callback-url {0}: must be an http:// or https:// URL")]
    CallbackUrl(String),
    /// `--api-key` is empty or not printable.
    #[error("--api-key: {0}")]
    ApiKey(String),
    /// Production mode needs a real delivery provider.
    #[error(
        "--mode production: no SMS/voice delivery provider is configured, and this build has only the sandbox outbox; use --mode sandbox"
    )]
    NoDeliveryProvider,
}

/// A bound, ready server.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    created_api_key: Option<String>,
    callbacks: CallbackSettings,
    max_in_flight: usize,
}

impl Application {
    /// Checks `config`, binds, opens and migrates the database, and makes sure the
    /// applications exist.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        if config.mode == Mode::Production {
            return Err(StartError::NoDeliveryProvider);
        }
        if let Some(url) = &config.onetouch_callback_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(StartError::CallbackUrl(url.clone()));
        }
        for key in &config.api_keys {
            if key.trim().is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(StartError::ApiKey(
                    "must be non-empty printable ASCII without spaces".into(),
                ));
            }
        }
        if !config.database_url.starts_with("sqlite:") {
            return Err(StartError::Database(
                config.database_url.clone(),
                "use sqlite://PATH or sqlite::memory:".into(),
            ));
        }
        let addr: SocketAddr = config.listen.parse().map_err(|_| {
            StartError::Listen(
                config.listen.clone(),
                "not an address such as 127.0.0.1:8080".into(),
            )
        })?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| StartError::Listen(config.listen.clone(), e.to_string()))?;

        let db_error =
            |e: DbError| StartError::Database(config.database_url.clone(), e.to_string());
        let db_path = sqlite_path(&config.database_url);
        if let Some(dir) = db_path
            .as_deref()
            .and_then(Path::parent)
            .filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(StartError::Database(
                config.database_url.clone(),
                format!("directory {} does not exist", dir.display()),
            ));
        }
        let secret = resolve_secret_key(config.secret_key.as_deref(), db_path.as_deref())?;
        let db = Db::connect_with(&config.database_url, config.durability)
            .await
            .map_err(db_error)?;
        let crypto = Crypto::new(&secret);
        let state = AppState {
            db,
            crypto,
            clock,
            mode: config.mode,
            callbacks: Arc::new(tokio::sync::Notify::new()),
            limits: config.limits.clone(),
            pending_counts: Default::default(),
        };
        let created_api_key = ensure_apps(&state, &config).await?;
        Ok(Application {
            listener,
            state,
            created_api_key,
            callbacks: config.callbacks,
            max_in_flight: config.max_in_flight.max(1),
        })
    }

    /// The address actually bound (the real port when `--listen` had port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The key of the application created because none existed, to print once.
    pub fn created_api_key(&self) -> Option<&str> {
        self.created_api_key.as_deref()
    }

    /// The shared state (tests reach the database and clock through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes; requests in flight finish first.
    /// Queued callbacks are delivered meanwhile, and after a restart.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let db = self.state.db.clone();
        // Housekeeping: counters every second, old attempts and steps every minute
        // (the first time a second after start).
        let housekeeping = {
            let state = self.state.clone();
            tokio::spawn(async move {
                for second in 0u64.. {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    let _ = state.flush_counts().await;
                    if second % 60 == 0 {
                        state.prune().await;
                    }
                }
            })
        };
        let final_flush = self.state.clone();
        let worker = tokio::spawn(run_worker(
            self.state.clone(),
            self.state.callbacks.clone(),
            self.callbacks,
        ));
        let app = tower::util::MapRequestLayer::new(normalize_path)
            .layer(router(self.state, self.max_in_flight));
        let result = axum::serve(
            self.listener,
            axum::ServiceExt::<Request>::into_make_service(app),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        // An attempt cut short here is still queued: it is sent again after a restart.
        housekeeping.abort();
        let _ = final_flush.flush_counts().await;
        worker.abort();
        db.close().await;
        result
    }
}

/// The file of a `sqlite://PATH` URL (none for memory databases).
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://")?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !url.contains("mode=memory")).then(|| PathBuf::from(path))
}

/// The secret key: the option, else `<database>.secret` next to the database
/// (created mode 0600 on first start), else a fresh key for a memory database.
fn resolve_secret_key(given: Option<&str>, db_path: Option<&Path>) -> Result<String, StartError> {
    if let Some(key) = given {
        if key.len() < 16 {
            return Err(StartError::SecretKey(
                "must be at least 16 characters".into(),
            ));
        }
        return Ok(key.to_owned());
    }
    let Some(db_path) = db_path else {
        return Ok(random_alphanumeric(48));
    };
    let mut file = db_path.as_os_str().to_owned();
    file.push(".secret");
    let file = PathBuf::from(file);
    match std::fs::read_to_string(&file) {
        Ok(key) => Ok(key.trim().to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random_alphanumeric(48);
            write_private(&file, &key).map_err(|e| {
                StartError::SecretKey(format!("cannot write {}: {e}", file.display()))
            })?;
            Ok(key)
        }
        Err(e) => Err(StartError::SecretKey(format!(
            "cannot read {}: {e}",
            file.display()
        ))),
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

/// Makes sure every `--api-key` has an application; creates one with a new key
/// when there is none at all. Returns that new key.
async fn ensure_apps(state: &AppState, config: &Config) -> Result<Option<String>, StartError> {
    let db_error = |e: DbError| StartError::Database(config.database_url.clone(), e.to_string());
    let now = state.clock.now_unix();
    for key in &config.api_keys {
        match state
            .db
            .app_by_key_hash(&key_hash(key))
            .await
            .map_err(db_error)?
        {
            Some(app) => {
                // The key decrypts its stored copy only with the right secret key.
                state.crypto.decrypt(&app.key_enc).map_err(|_| {
                    StartError::SecretKey("it is not the key this database was created with".into())
                })?;
            }
            None => {
                let sealed = state.crypto.encrypt(key.as_bytes());
                state
                    .db
                    .insert_app(
                        &config.app_name,
                        &key_hash(key),
                        &sealed,
                        config.onetouch_callback_url.as_deref(),
                        now,
                    )
                    .await
                    .map_err(db_error)?;
            }
        }
    }
    if config.api_keys.is_empty() && state.db.app_count().await.map_err(db_error)? == 0 {
        let key = random_alphanumeric(32);
        let sealed = state.crypto.encrypt(key.as_bytes());
        state
            .db
            .insert_app(
                &config.app_name,
                &key_hash(&key),
                &sealed,
                config.onetouch_callback_url.as_deref(),
                now,
            )
            .await
            .map_err(db_error)?;
        return Ok(Some(key));
    }
    Ok(None)
}
