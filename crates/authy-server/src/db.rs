//! All SQL lives here, behind [`Db`]. Handlers never see a query.
//!
//! The queries run on sqlx's `Any` driver with `$n` placeholders, integers for
//! flags and times, `RETURNING` and `ON CONFLICT`: text that SQLite 3.51 and
//! PostgreSQL both accept, so a PostgreSQL backend needs only its own DDL in
//! `migrations/postgres/`. Migrations are embedded in the binary and applied by
//! [`Db::connect`].

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
// Dynamic SQL below is built only from constant column and table names, never
// from input: that is what `AssertSqlSafe` asserts.
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Executor as _, Row as _};
use tokio::sync::mpsc;

use writer::BoxFuture;

mod writer;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database answered with an error, or could not be reached.
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// The batch this write was part of could not be committed; nothing of it was kept.
    #[error("database error: the commit failed: {0}")]
    Commit(Arc<sqlx::Error>),
    /// The writer task is gone (the server is shutting down, or a batch could
    /// not begin: the server log says why); nothing of this write was kept.
    #[error("database error: the writer could not run this write")]
    WriterGone,
    /// The URL names no backend this build supports.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or sqlite::memory:")]
    Unsupported(String),
}

/// Embedded migrations, applied in order once each.
const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "onetouch_verifications",
        include_str!("../migrations/sqlite/0002_onetouch_verifications.sql"),
    ),
    (
        3,
        "limits",
        include_str!("../migrations/sqlite/0003_limits.sql"),
    ),
];

/// How commits reach the disk (SQLite's `synchronous`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is flushed before it is acknowledged: nothing acknowledged is
    /// lost even to power loss or an OS crash. The default.
    #[default]
    Full,
    /// With WAL, commits survive a crash of the server process (SIGKILL), but an
    /// OS crash or power loss may lose the last ones. Much faster.
    Normal,
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Durability::Full => "PRAGMA synchronous = FULL",
            Durability::Normal => "PRAGMA synchronous = NORMAL",
        }
    }
}

/// The store.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    writer: mpsc::Sender<writer::Job>,
    apps: AppCache,
}

/// How long a looked-up application is reused without asking the database.
/// This `Db` forgets an application as soon as it changes it; the time limit
/// only bounds how long a change made by another process goes unseen.
const APP_CACHE_TTL: Duration = Duration::from_secs(1);

/// Applications by API-key hash: every request looks its application up, and
/// applications almost never change.
type AppCache = Arc<std::sync::Mutex<CachedApps>>;

#[derive(Debug, Default)]
struct CachedApps {
    /// Bumped by every change, so a lookup that raced with one is not cached.
    generation: u64,
    apps: std::collections::HashMap<String, (Instant, AppRow)>,
}

/// An application (one API key).
#[derive(Clone, Debug)]
pub struct AppRow {
    pub id: i64,
    pub object_id: String,
    pub name: String,
    pub key_enc: String,
    pub plan: String,
    pub sms_enabled: bool,
    pub phone_calls_enabled: bool,
    pub onetouch_enabled: bool,
    pub generic_tokens_enabled: bool,
    pub legacy_unforced_verify: bool,
    pub reject_get_body: bool,
    pub token_length: u32,
    pub onetouch_callback_url: Option<String>,
    pub onetouch_callback_method: String,
    pub custom_codes_enabled: bool,
    pub clock_offset: i64,
}

impl AppRow {
    /// The settings `PUT /sandbox/app` may change, as they are now.
    pub fn settings(&self) -> AppSettings {
        AppSettings {
            name: self.name.clone(),
            sms_enabled: self.sms_enabled,
            phone_calls_enabled: self.phone_calls_enabled,
            onetouch_enabled: self.onetouch_enabled,
            generic_tokens_enabled: self.generic_tokens_enabled,
            legacy_unforced_verify: self.legacy_unforced_verify,
            reject_get_body: self.reject_get_body,
            token_length: self.token_length,
            onetouch_callback_url: self.onetouch_callback_url.clone(),
            onetouch_callback_method: self.onetouch_callback_method.clone(),
            custom_codes_enabled: self.custom_codes_enabled,
        }
    }
}

/// The settings `PUT /sandbox/app` may change.
#[derive(Clone, Debug)]
pub struct AppSettings {
    pub name: String,
    pub sms_enabled: bool,
    pub phone_calls_enabled: bool,
    pub onetouch_enabled: bool,
    pub generic_tokens_enabled: bool,
    pub legacy_unforced_verify: bool,
    pub reject_get_body: bool,
    pub token_length: u32,
    pub onetouch_callback_url: Option<String>,
    pub onetouch_callback_method: String,
    pub custom_codes_enabled: bool,
}

/// A user.
#[derive(Clone, Debug)]
pub struct UserRow {
    pub id: i64,
    pub app_id: i64,
    pub object_id: String,
    pub country_code: u16,
    pub cellphone: String,
    pub email: String,
    pub other_emails: Vec<String>,
    pub confirmed: bool,
    pub generic_seed: Option<String>,
    pub generic_last_step: Option<i64>,
    pub device: Option<Device>,
    pub created_at: i64,
}

/// The user's (simulated) Authy-app device.
#[derive(Clone, Debug)]
pub struct Device {
    pub id: i64,
    pub os_type: String,
    pub seed: String,
    pub last_step: Option<i64>,
    pub registered_at: i64,
}

/// An SMS or voice code.
#[derive(Clone, Debug)]
pub struct TokenRow {
    pub id: i64,
    pub code_enc: String,
    pub action: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// Something "sent" to a phone.
#[derive(Clone, Debug)]
pub struct MessageRow {
    pub id: String,
    pub authy_id: Option<i64>,
    pub country_code: u16,
    pub phone: String,
    pub channel: String,
    pub kind: String,
    pub code_enc: Option<String>,
    pub text_enc: String,
    pub locale: String,
    pub created_at: i64,
}

/// Filters of `GET /sandbox/messages`.
#[derive(Clone, Debug, Default)]
pub struct MessageFilter {
    pub authy_id: Option<i64>,
    pub phone: Option<String>,
    pub country_code: Option<i64>,
    pub channel: Option<String>,
    pub limit: i64,
}

/// One month of counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CounterRow {
    pub year: i64,
    pub month: i64,
    pub sms_count: i64,
    pub calls_count: i64,
    pub users_count: i64,
    pub auths_count: i64,
    pub api_calls_count: i64,
}

/// A OneTouch approval request.
#[derive(Clone, Debug)]
pub struct ApprovalRow {
    pub uuid: String,
    pub object_id: String,
    pub user_id: i64,
    pub message: String,
    /// JSON object text, or `None` when no details were given.
    pub details: Option<String>,
    pub hidden_details: Option<String>,
    /// JSON array text.
    pub logos: Option<String>,
    pub seconds_to_expire: i64,
    pub status: String,
    pub notified: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub processed_at: Option<i64>,
}

/// A JSON column of an approval request (`details`, `hidden_details`, `logos`)
/// as a value: `null` when none was given.
pub fn stored_json(text: &Option<String>) -> serde_json::Value {
    text.as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// A queued or sent callback.
#[derive(Clone, Debug)]
pub struct CallbackRow {
    pub id: String,
    pub app_id: i64,
    pub request_uuid: String,
    pub url: String,
    pub method: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub response_status: Option<i64>,
    pub nonce: Option<String>,
    pub signature: Option<String>,
    pub created_at: i64,
}

/// The outcome of one delivery attempt.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub status: &'static str,
    pub response_status: Option<i64>,
    pub nonce: String,
    pub signature: String,
    pub next_attempt_at: i64,
}

/// A phone verification.
#[derive(Clone, Debug)]
pub struct VerificationRow {
    pub id: i64,
    pub uuid: String,
    pub code_enc: String,
    pub status: String,
    pub failed_checks: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Which monthly counter to increment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Counter {
    Sms,
    Calls,
    Users,
    Auths,
    ApiCalls,
}

impl Counter {
    fn column(self) -> &'static str {
        match self {
            Counter::Sms => "sms_count",
            Counter::Calls => "calls_count",
            Counter::Users => "users_count",
            Counter::Auths => "auths_count",
            Counter::ApiCalls => "api_calls_count",
        }
    }
}

/// What a token would prove, found before the verification's transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// It matches nothing (or is malformed): a failed attempt.
    Nothing,
    /// The application accepts it unchecked (legacy unforced verification).
    Unchecked,
    /// It is the code of this step of a TOTP secret.
    Step { seed: Seed, step: i64 },
    /// It is this SMS or voice code.
    Code { token_id: i64 },
}

/// How a verification attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    /// The step or code was already used (60019).
    Reused,
    /// The token proves nothing (60020).
    Rejected,
    /// Too many failures: refused until `oldest` leaves the window (429 60003).
    Limited {
        oldest: i64,
    },
}

/// Which TOTP secret a step belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seed {
    /// The generic authenticator secret (users/{id}/secret).
    Generic,
    /// The Authy-app device seed.
    Device,
}

fn flag(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    Ok(row.try_get::<i64, _>(column)? != 0)
}

fn app_row(row: &AnyRow) -> Result<AppRow, sqlx::Error> {
    Ok(AppRow {
        id: row.try_get("id")?,
        object_id: row.try_get("object_id")?,
        name: row.try_get("name")?,
        key_enc: row.try_get("key_enc")?,
        plan: row.try_get("plan")?,
        sms_enabled: flag(row, "sms_enabled")?,
        phone_calls_enabled: flag(row, "phone_calls_enabled")?,
        onetouch_enabled: flag(row, "onetouch_enabled")?,
        generic_tokens_enabled: flag(row, "generic_tokens_enabled")?,
        legacy_unforced_verify: flag(row, "legacy_unforced_verify")?,
        reject_get_body: flag(row, "reject_get_body")?,
        token_length: row.try_get::<i64, _>("token_length")? as u32,
        onetouch_callback_url: row.try_get("onetouch_callback_url")?,
        onetouch_callback_method: row.try_get("onetouch_callback_method")?,
        custom_codes_enabled: flag(row, "custom_codes_enabled")?,
        clock_offset: row.try_get("clock_offset")?,
    })
}

fn user_row(row: &AnyRow) -> Result<UserRow, sqlx::Error> {
    let other_emails: String = row.try_get("other_emails")?;
    let device = match row.try_get::<Option<i64>, _>("device_id")? {
        Some(id) => Some(Device {
            id,
            os_type: row
                .try_get::<Option<String>, _>("device_os")?
                .unwrap_or_default(),
            seed: row
                .try_get::<Option<String>, _>("device_seed")?
                .unwrap_or_default(),
            last_step: row.try_get("device_last_step")?,
            registered_at: row
                .try_get::<Option<i64>, _>("device_registered_at")?
                .unwrap_or_default(),
        }),
        None => None,
    };
    Ok(UserRow {
        id: row.try_get("id")?,
        app_id: row.try_get("app_id")?,
        object_id: row.try_get("object_id")?,
        country_code: row.try_get::<i64, _>("country_code")? as u16,
        cellphone: row.try_get("cellphone")?,
        email: row.try_get("email")?,
        other_emails: serde_json::from_str(&other_emails).unwrap_or_default(),
        confirmed: flag(row, "confirmed")?,
        generic_seed: row.try_get("generic_seed")?,
        generic_last_step: row.try_get("generic_last_step")?,
        device,
        created_at: row.try_get("created_at")?,
    })
}

fn token_row(row: &AnyRow) -> Result<TokenRow, sqlx::Error> {
    Ok(TokenRow {
        id: row.try_get("id")?,
        code_enc: row.try_get("code")?,
        action: row.try_get("action")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
    })
}

fn message_row(row: &AnyRow) -> Result<MessageRow, sqlx::Error> {
    Ok(MessageRow {
        id: row.try_get("id")?,
        authy_id: row.try_get("authy_id")?,
        country_code: row.try_get::<i64, _>("country_code")? as u16,
        phone: row.try_get("phone")?,
        channel: row.try_get("channel")?,
        kind: row.try_get("kind")?,
        code_enc: row.try_get("code")?,
        text_enc: row.try_get("text")?,
        locale: row.try_get("locale")?,
        created_at: row.try_get("created_at")?,
    })
}

fn approval_row(row: &AnyRow) -> Result<ApprovalRow, sqlx::Error> {
    Ok(ApprovalRow {
        uuid: row.try_get("uuid")?,
        object_id: row.try_get("object_id")?,
        user_id: row.try_get("user_id")?,
        message: row.try_get("message")?,
        details: row.try_get("details")?,
        hidden_details: row.try_get("hidden_details")?,
        logos: row.try_get("logos")?,
        seconds_to_expire: row.try_get("seconds_to_expire")?,
        status: row.try_get("status")?,
        notified: flag(row, "notified")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        processed_at: row.try_get("processed_at")?,
    })
}

fn callback_row(row: &AnyRow) -> Result<CallbackRow, sqlx::Error> {
    Ok(CallbackRow {
        id: row.try_get("id")?,
        app_id: row.try_get("app_id")?,
        request_uuid: row.try_get("request_uuid")?,
        url: row.try_get("url")?,
        method: row.try_get("method")?,
        body: row.try_get("body")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        response_status: row.try_get("response_status")?,
        nonce: row.try_get("nonce")?,
        signature: row.try_get("signature")?,
        created_at: row.try_get("created_at")?,
    })
}

fn verification_row(row: &AnyRow) -> Result<VerificationRow, sqlx::Error> {
    Ok(VerificationRow {
        id: row.try_get("id")?,
        uuid: row.try_get("uuid")?,
        code_enc: row.try_get("code")?,
        status: row.try_get("status")?,
        failed_checks: row.try_get("failed_checks")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

const APPROVAL_COLUMNS: &str = "uuid, object_id, user_id, message, details, hidden_details, logos, seconds_to_expire, status, \
     notified, created_at, updated_at, processed_at";
const CALLBACK_COLUMNS: &str = "id, app_id, request_uuid, url, method, body, status, attempts, response_status, nonce, signature, created_at";
const VERIFICATION_COLUMNS: &str = "id, uuid, code, status, failed_checks, created_at, expires_at";

const APP_COLUMNS: &str = "id, object_id, name, key_enc, plan, sms_enabled, phone_calls_enabled, onetouch_enabled, \
     generic_tokens_enabled, legacy_unforced_verify, reject_get_body, token_length, onetouch_callback_url, \
     onetouch_callback_method, custom_codes_enabled, clock_offset";
const USER_COLUMNS: &str = "id, app_id, object_id, country_code, cellphone, email, other_emails, confirmed, generic_seed, \
     generic_last_step, device_id, device_os, device_seed, device_last_step, device_registered_at, created_at";

impl Db {
    /// Opens (creating if needed) and migrates the database at `url`:
    /// `sqlite://PATH` or `sqlite::memory:`.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        Db::connect_with(url, Durability::Full).await
    }

    /// As [`Db::connect`], choosing how commits reach the disk.
    pub async fn connect_with(url: &str, durability: Durability) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let memory = url.starts_with("sqlite::memory:") || url.contains("mode=memory");
        let url = if url.starts_with("sqlite://") && !url.contains("mode=") {
            format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
        } else if url.starts_with("sqlite:") {
            url.to_owned()
        } else {
            return Err(DbError::Unsupported(url.to_owned()));
        };
        let options = AnyConnectOptions::from_str(&url)?;
        // An in-memory database lives as long as its one connection.
        let pool_options = if memory {
            AnyPoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            AnyPoolOptions::new().max_connections(8)
        };
        let pool = pool_options
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    // Writers wait rather than fail; commits reach the disk as chosen.
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute(durability.pragma()).await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        if !memory {
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        let (writer, jobs) = mpsc::channel(4 * writer::MAX_BATCH);
        let db = Db {
            pool,
            writer,
            apps: AppCache::default(),
        };
        db.migrate().await?;
        tokio::spawn(writer::run(db.pool.clone(), jobs));
        Ok(db)
    }

    /// Runs `job` in the writer's next batch (see [`writer`]) and returns its
    /// result once it is durable. `job` may run more than once (after another
    /// write of its batch failed): it must clone what it binds.
    async fn write<T, F>(&self, job: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: for<'c> Fn(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, DbError>> + Send + 'static,
    {
        writer::write(&self.writer, job).await
    }

    async fn migrate(&self) -> Result<(), DbError> {
        self.pool
            .execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)")
            .await?;
        for (version, name, sql) in SQLITE_MIGRATIONS {
            let mut tx = self.pool.begin().await?;
            let done: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(*version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_none() {
                tracing::info!(version, name, "applying migration");
                sqlx::raw_sql(*sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
                    .bind(*version)
                    .bind(*name)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Closes every connection (after the last request, at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- applications -------------------------------------------------------

    /// The application whose API key hashes to `key_hash`.
    pub async fn app_by_key_hash(&self, key_hash: &str) -> Result<Option<AppRow>, DbError> {
        let generation = {
            let cache = self.cached_apps();
            if let Some((at, app)) = cache.apps.get(key_hash)
                && at.elapsed() < APP_CACHE_TTL
            {
                return Ok(Some(app.clone()));
            }
            cache.generation
        };
        let app = self.app_by_key_hash_uncached(key_hash).await?;
        let mut cache = self.cached_apps();
        if let Some(app) = &app
            && cache.generation == generation
        {
            // Keys are few; this only bounds the map if they are not.
            if cache.apps.len() >= 1024 {
                cache.apps.clear();
            }
            cache
                .apps
                .insert(key_hash.to_owned(), (Instant::now(), app.clone()));
        }
        Ok(app)
    }

    fn cached_apps(&self) -> std::sync::MutexGuard<'_, CachedApps> {
        // A panic while holding the lock cannot leave the map inconsistent.
        self.apps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets the cached applications, after a change to one of them.
    fn forget_apps(&self) {
        let mut cache = self.cached_apps();
        cache.generation += 1;
        cache.apps.clear();
    }

    async fn app_by_key_hash_uncached(&self, key_hash: &str) -> Result<Option<AppRow>, DbError> {
        let sql = format!("SELECT {APP_COLUMNS} FROM apps WHERE key_hash = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(app_row).transpose()?)
    }

    /// An application by id.
    pub async fn app(&self, app_id: i64) -> Result<Option<AppRow>, DbError> {
        let sql = format!("SELECT {APP_COLUMNS} FROM apps WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(app_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(app_row).transpose()?)
    }

    /// How many applications exist.
    pub async fn app_count(&self) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM apps")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Creates an application.
    pub async fn insert_app(
        &self,
        name: &str,
        key_hash: &str,
        key_enc: &str,
        callback_url: Option<&str>,
        now: i64,
    ) -> Result<AppRow, DbError> {
        let sql = format!(
            "INSERT INTO apps (object_id, name, key_hash, key_enc, onetouch_callback_url, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {APP_COLUMNS}"
        );
        let (name, key_hash, key_enc) = (name.to_owned(), key_hash.to_owned(), key_enc.to_owned());
        let callback_url = callback_url.map(str::to_owned);
        self.write(move |c| {
            let (sql, name, key_hash, key_enc, callback_url) = (
                sql.clone(),
                name.clone(),
                key_hash.clone(),
                key_enc.clone(),
                callback_url.clone(),
            );
            Box::pin(async move {
                let row = sqlx::query(AssertSqlSafe(sql))
                    .bind(crate::crypto::object_id())
                    .bind(name)
                    .bind(key_hash)
                    .bind(key_enc)
                    .bind(callback_url)
                    .bind(now)
                    .fetch_one(c)
                    .await?;
                Ok(app_row(&row)?)
            })
        })
        .await
    }

    /// Replaces the settings of an application.
    pub async fn update_app(&self, app_id: i64, s: &AppSettings) -> Result<(), DbError> {
        let s = s.clone();
        self.write(move |c| {
            let s = s.clone();
            Box::pin(async move {
                sqlx::query(
                    "UPDATE apps SET name = $1, sms_enabled = $2, phone_calls_enabled = $3, onetouch_enabled = $4, \
                     generic_tokens_enabled = $5, legacy_unforced_verify = $6, reject_get_body = $7, token_length = $8, \
                     onetouch_callback_url = $9, onetouch_callback_method = $10, custom_codes_enabled = $11 WHERE id = $12",
                )
                .bind(s.name)
                .bind(i64::from(s.sms_enabled))
                .bind(i64::from(s.phone_calls_enabled))
                .bind(i64::from(s.onetouch_enabled))
                .bind(i64::from(s.generic_tokens_enabled))
                .bind(i64::from(s.legacy_unforced_verify))
                .bind(i64::from(s.reject_get_body))
                .bind(i64::from(s.token_length))
                .bind(s.onetouch_callback_url)
                .bind(s.onetouch_callback_method)
                .bind(i64::from(s.custom_codes_enabled))
                .bind(app_id)
                .execute(c)
                .await?;
                Ok(())
            })
        })
        .await?;
        self.forget_apps();
        Ok(())
    }

    /// Sets the application's sandbox clock offset.
    pub async fn set_clock_offset(&self, app_id: i64, offset: i64) -> Result<(), DbError> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query("UPDATE apps SET clock_offset = $1 WHERE id = $2")
                    .bind(offset)
                    .bind(app_id)
                    .execute(c)
                    .await?;
                Ok(())
            })
        })
        .await?;
        self.forget_apps();
        Ok(())
    }

    /// Deletes everything of an application but the application itself, in one transaction.
    pub async fn reset_app(&self, app_id: i64) -> Result<(), DbError> {
        self.write(move |c| {
            Box::pin(async move {
                for table in [
                    "verify_attempts",
                    "callbacks",
                    "approval_requests",
                    "verifications",
                    "tokens",
                    "activities",
                    "messages",
                    "counters",
                    "users",
                ] {
                    sqlx::query(AssertSqlSafe(format!(
                        "DELETE FROM {table} WHERE app_id = $1"
                    )))
                    .bind(app_id)
                    .execute(&mut *c)
                    .await?;
                }
                sqlx::query("UPDATE apps SET clock_offset = 0 WHERE id = $1")
                    .bind(app_id)
                    .execute(&mut *c)
                    .await?;
                Ok(())
            })
        })
        .await?;
        self.forget_apps();
        Ok(())
    }

    // ---- users --------------------------------------------------------------

    /// A user of the application, by authy id.
    pub async fn user(&self, app_id: i64, user_id: i64) -> Result<Option<UserRow>, DbError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE app_id = $1 AND id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(app_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(user_row).transpose()?)
    }

    /// Creates the user with this phone, or returns the existing one (WIRE.md
    /// §3.1: users are matched on country code and cellphone). Returns whether
    /// it was created. A new e-mail of an existing user is remembered.
    pub async fn create_user(
        &self,
        app_id: i64,
        country_code: u16,
        cellphone: &str,
        email: &str,
        now: i64,
    ) -> Result<(UserRow, bool), DbError> {
        let (cellphone, email) = (cellphone.to_owned(), email.to_owned());
        self.write(move |c| {
            let (cellphone, email) = (cellphone.clone(), email.clone());
            Box::pin(async move {
                let sql = format!(
                    "INSERT INTO users (app_id, object_id, country_code, cellphone, email, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (app_id, country_code, cellphone) DO NOTHING RETURNING {USER_COLUMNS}"
                );
                let inserted = sqlx::query(AssertSqlSafe(sql))
                    .bind(app_id)
                    .bind(crate::crypto::object_id())
                    .bind(i64::from(country_code))
                    .bind(cellphone.clone())
                    .bind(email.clone())
                    .bind(now)
                    .fetch_optional(&mut *c)
                    .await?;
                if let Some(row) = inserted {
                    return Ok((user_row(&row)?, true));
                }
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE app_id = $1 AND country_code = $2 AND cellphone = $3"
                );
                let row = sqlx::query(AssertSqlSafe(sql))
                    .bind(app_id)
                    .bind(i64::from(country_code))
                    .bind(cellphone)
                    .fetch_one(&mut *c)
                    .await?;
                let mut user = user_row(&row)?;
                if user.email != email && !user.other_emails.contains(&email) {
                    user.other_emails.push(email);
                    sqlx::query("UPDATE users SET other_emails = $1 WHERE id = $2")
                        .bind(serde_json::to_string(&user.other_emails).expect("strings serialise"))
                        .bind(user.id)
                        .execute(&mut *c)
                        .await?;
                }
                Ok((user, false))
            })
        })
        .await
    }

    /// Changes the user's e-mail.
    pub async fn set_user_email(&self, user_id: i64, email: &str) -> Result<(), DbError> {
        let email = email.to_owned();
        self.write(move |c| {
            let email = email.clone();
            Box::pin(async move {
                sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
                    .bind(email)
                    .bind(user_id)
                    .execute(c)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Removes a user and everything of theirs. Returns whether it existed.
    pub async fn delete_user(&self, app_id: i64, user_id: i64) -> Result<bool, DbError> {
        self.write(move |c| {
            Box::pin(async move {
                let done = sqlx::query("DELETE FROM users WHERE app_id = $1 AND id = $2")
                    .bind(app_id)
                    .bind(user_id)
                    .execute(c)
                    .await?;
                Ok(done.rows_affected() == 1)
            })
        })
        .await
    }

    /// Replaces the user's generic-authenticator secret (and forgets its last step).
    pub async fn set_generic_seed(&self, user_id: i64, seed_enc: &str) -> Result<(), DbError> {
        let seed_enc = seed_enc.to_owned();
        self.write(move |c| {
            let seed_enc = seed_enc.clone();
            Box::pin(async move {
                sqlx::query(
                    "UPDATE users SET generic_seed = $1, generic_last_step = NULL WHERE id = $2",
                )
                .bind(seed_enc)
                .bind(user_id)
                .execute(c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Registers the user's Authy-app device.
    pub async fn set_device(
        &self,
        user_id: i64,
        device_id: i64,
        os_type: &str,
        seed_enc: &str,
        now: i64,
    ) -> Result<(), DbError> {
        let os_type = os_type.to_owned();
        let seed_enc = seed_enc.to_owned();
        self.write(move |c| {
            let (os_type, seed_enc) = (os_type.clone(), seed_enc.clone());
            Box::pin(async move {
                sqlx::query(
                    "UPDATE users SET device_id = $1, device_os = $2, device_seed = $3, device_last_step = NULL, \
                     device_registered_at = $4 WHERE id = $5",
                )
                .bind(device_id)
                .bind(os_type)
                .bind(seed_enc)
                .bind(now)
                .bind(user_id)
                .execute(c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Users of the application now.
    pub async fn user_count(&self, app_id: i64) -> Result<i64, DbError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE app_id = $1")
                .bind(app_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Records an activity.
    pub async fn insert_activity(
        &self,
        app_id: i64,
        user_id: i64,
        kind: &str,
        data: &str,
        user_ip: Option<&str>,
        now: i64,
    ) -> Result<(), DbError> {
        let kind = kind.to_owned();
        let data = data.to_owned();
        let user_ip = user_ip.map(str::to_owned);
        self.write(move |c| {
            let (kind, data, user_ip) = (kind.clone(), data.clone(), user_ip.clone());
            Box::pin(async move {
                sqlx::query("INSERT INTO activities (app_id, user_id, type, data, user_ip, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(app_id)
                    .bind(user_id)
                    .bind(kind)
                    .bind(data)
                    .bind(user_ip)
                    .bind(now)
                    .execute(c)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    // ---- SMS and voice codes ------------------------------------------------

    /// The user's unexpired, unused code issued for `action`, to send again.
    pub async fn pending_token(
        &self,
        user_id: i64,
        action: &str,
        now: i64,
    ) -> Result<Option<TokenRow>, DbError> {
        let row = sqlx::query(
            "SELECT id, code, action, expires_at, used_at FROM tokens \
             WHERE user_id = $1 AND action = $2 AND used_at IS NULL AND expires_at > $3 ORDER BY id DESC LIMIT 1",
        )
        .bind(user_id)
        .bind(action)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(token_row).transpose()?)
    }

    /// Stores a new code.
    pub async fn insert_token(
        &self,
        app_id: i64,
        user_id: i64,
        code_enc: &str,
        action: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), DbError> {
        let code_enc = code_enc.to_owned();
        let action = action.to_owned();
        self.write(move |c| {
            let (code_enc, action) = (code_enc.clone(), action.clone());
            Box::pin(async move {
                sqlx::query("INSERT INTO tokens (app_id, user_id, code, action, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(app_id)
                    .bind(user_id)
                    .bind(code_enc)
                    .bind(action)
                    .bind(now)
                    .bind(expires_at)
                    .execute(c)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// The user's unexpired codes, used or not (a used one answers 60019).
    pub async fn live_tokens(&self, user_id: i64, now: i64) -> Result<Vec<TokenRow>, DbError> {
        let rows = sqlx::query("SELECT id, code, action, expires_at, used_at FROM tokens WHERE user_id = $1 AND expires_at > $2 ORDER BY id DESC")
            .bind(user_id)
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(token_row).collect::<Result<_, _>>()?)
    }

    // ---- messages -----------------------------------------------------------

    /// Adds a message to the outbox.
    pub async fn insert_message(&self, app_id: i64, m: &MessageRow) -> Result<(), DbError> {
        let m = m.clone();
        self.write(move |c| {
            let m = m.clone();
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO messages (id, app_id, authy_id, country_code, phone, channel, kind, code, text, locale, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(m.id)
                .bind(app_id)
                .bind(m.authy_id)
                .bind(i64::from(m.country_code))
                .bind(m.phone)
                .bind(m.channel)
                .bind(m.kind)
                .bind(m.code_enc)
                .bind(m.text_enc)
                .bind(m.locale)
                .bind(m.created_at)
                .execute(c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// The application's messages, newest first.
    pub async fn messages(
        &self,
        app_id: i64,
        f: &MessageFilter,
    ) -> Result<Vec<MessageRow>, DbError> {
        let rows = sqlx::query(
            "SELECT id, authy_id, country_code, phone, channel, kind, code, text, locale, created_at FROM messages \
             WHERE app_id = $1 AND ($2 IS NULL OR authy_id = $2) AND ($3 IS NULL OR phone = $3) \
             AND ($4 IS NULL OR country_code = $4) AND ($5 IS NULL OR channel = $5) ORDER BY seq DESC LIMIT $6",
        )
        .bind(app_id)
        .bind(f.authy_id)
        .bind(f.phone.clone())
        .bind(f.country_code)
        .bind(f.channel.clone())
        .bind(f.limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(message_row).collect::<Result<_, _>>()?)
    }

    // ---- OneTouch -----------------------------------------------------------

    /// Stores a new, pending approval request.
    pub async fn insert_approval(&self, app_id: i64, r: &ApprovalRow) -> Result<(), DbError> {
        let r = r.clone();
        self.write(move |c| {
            let r = r.clone();
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO approval_requests (uuid, object_id, app_id, user_id, message, details, hidden_details, logos, \
                     seconds_to_expire, status, notified, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(r.uuid)
                .bind(r.object_id)
                .bind(app_id)
                .bind(r.user_id)
                .bind(r.message)
                .bind(r.details)
                .bind(r.hidden_details)
                .bind(r.logos)
                .bind(r.seconds_to_expire)
                .bind(r.status)
                .bind(i64::from(r.notified))
                .bind(r.created_at)
                .bind(r.updated_at)
                .execute(c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// An approval request of this application, by uuid.
    pub async fn approval(&self, app_id: i64, uuid: &str) -> Result<Option<ApprovalRow>, DbError> {
        let sql = format!(
            "SELECT {APPROVAL_COLUMNS} FROM approval_requests WHERE app_id = $1 AND uuid = $2"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(app_id)
            .bind(uuid)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(approval_row).transpose()?)
    }

    /// Moves a pending request to `status` (expired, approved, denied), only if it is
    /// still pending; for approved and denied also queues `callback` in the same
    /// transaction, so a decision and its callback are durable together.
    pub async fn decide_approval(
        &self,
        app_id: i64,
        uuid: &str,
        status: &str,
        now: i64,
        callback: Option<&CallbackRow>,
    ) -> Result<bool, DbError> {
        let (uuid, status, callback) = (uuid.to_owned(), status.to_owned(), callback.cloned());
        self.write(move |c| {
            let (uuid, status, callback) = (uuid.clone(), status.clone(), callback.clone());
            Box::pin(async move {
                let done = sqlx::query(
                    "UPDATE approval_requests SET status = $1, updated_at = $2, processed_at = $2 \
                     WHERE app_id = $3 AND uuid = $4 AND status = 'pending'",
                )
                .bind(status)
                .bind(now)
                .bind(app_id)
                .bind(uuid)
                .execute(&mut *c)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                if let Some(cb) = callback {
                    sqlx::query(
                        "INSERT INTO callbacks (id, app_id, request_uuid, url, method, body, status, attempts, next_attempt_at, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)",
                    )
                    .bind(cb.id)
                    .bind(app_id)
                    .bind(cb.request_uuid)
                    .bind(cb.url)
                    .bind(cb.method)
                    .bind(cb.body)
                    .bind(cb.created_at)
                    .execute(&mut *c)
                    .await?;
                }
                Ok(true)
            })
        })
        .await
    }

    /// Callbacks due for an attempt at `now` (server time), oldest first.
    pub async fn due_callbacks(&self, now: i64, limit: i64) -> Result<Vec<CallbackRow>, DbError> {
        let sql = format!(
            "SELECT {CALLBACK_COLUMNS} FROM callbacks WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $1 ORDER BY seq LIMIT $2"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(callback_row).collect::<Result<_, _>>()?)
    }

    /// Records one delivery attempt.
    pub async fn record_attempt(&self, id: &str, a: &Attempt) -> Result<(), DbError> {
        let id = id.to_owned();
        let a = a.clone();
        self.write(move |c| {
            let (id, a) = (id.clone(), a.clone());
            Box::pin(async move {
                sqlx::query(
                    "UPDATE callbacks SET status = $1, attempts = attempts + 1, response_status = $2, nonce = $3, signature = $4, \
                     next_attempt_at = $5 WHERE id = $6",
                )
                .bind(a.status)
                .bind(a.response_status)
                .bind(a.nonce)
                .bind(a.signature)
                .bind(a.next_attempt_at)
                .bind(id)
                .execute(c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// The application's callbacks, newest first.
    pub async fn callbacks(&self, app_id: i64, limit: i64) -> Result<Vec<CallbackRow>, DbError> {
        let sql = format!(
            "SELECT {CALLBACK_COLUMNS} FROM callbacks WHERE app_id = $1 ORDER BY seq DESC LIMIT $2"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(app_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(callback_row).collect::<Result<_, _>>()?)
    }

    /// The application's stored (encrypted) API key, to sign its callbacks.
    pub async fn app_key(&self, app_id: i64) -> Result<Option<String>, DbError> {
        Ok(sqlx::query_scalar("SELECT key_enc FROM apps WHERE id = $1")
            .bind(app_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    // ---- phone verifications ------------------------------------------------

    /// The latest verification of a phone.
    pub async fn latest_verification(
        &self,
        app_id: i64,
        country_code: u16,
        phone: &str,
    ) -> Result<Option<VerificationRow>, DbError> {
        let sql = format!(
            "SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE app_id = $1 AND country_code = $2 AND phone = $3 ORDER BY id DESC LIMIT 1"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(app_id)
            .bind(i64::from(country_code))
            .bind(phone)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(verification_row).transpose()?)
    }

    /// A verification of this application, by uuid.
    pub async fn verification_by_uuid(
        &self,
        app_id: i64,
        uuid: &str,
    ) -> Result<Option<(u16, String, VerificationRow)>, DbError> {
        let sql = format!(
            "SELECT {VERIFICATION_COLUMNS}, country_code, phone FROM verifications WHERE app_id = $1 AND uuid = $2"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(app_id)
            .bind(uuid)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some((
                r.try_get::<i64, _>("country_code")? as u16,
                r.try_get("phone")?,
                verification_row(&r)?,
            ))),
            None => Ok(None),
        }
    }

    /// Stores a new pending verification (`id`, `status` and `failed_checks` of `v` are ignored).
    pub async fn insert_verification(
        &self,
        app_id: i64,
        country_code: u16,
        phone: &str,
        v: &VerificationRow,
    ) -> Result<(), DbError> {
        let phone = phone.to_owned();
        let v = v.clone();
        self.write(move |c| {
            let (phone, v) = (phone.clone(), v.clone());
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO verifications (uuid, app_id, country_code, phone, code, status, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
                )
                .bind(v.uuid)
                .bind(app_id)
                .bind(i64::from(country_code))
                .bind(phone)
                .bind(v.code_enc)
                .bind(v.created_at)
                .bind(v.expires_at)
                .execute(c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Marks a pending verification verified, only if still pending.
    pub async fn complete_verification(&self, id: i64, now: i64) -> Result<bool, DbError> {
        self.write(move |c| {
            Box::pin(async move {
                let done = sqlx::query("UPDATE verifications SET status = 'verified', verified_at = $1 WHERE id = $2 AND status = 'pending'")
                    .bind(now)
                    .bind(id)
                    .execute(c)
                    .await?;
                Ok(done.rows_affected() == 1)
            })
        })
        .await
    }

    /// Reserves one check of a pending verification, before the code is
    /// compared: `None` when `limit` checks were already used, so parallel
    /// guesses cannot exceed it. Returns the checks used, this one included.
    pub async fn reserve_check(&self, id: i64, limit: i64) -> Result<Option<i64>, DbError> {
        self.write(move |c| {
            Box::pin(async move {
                Ok(sqlx::query_scalar(
                    "UPDATE verifications SET failed_checks = failed_checks + 1 WHERE id = $1 AND status = 'pending' AND failed_checks < $2 \
                     RETURNING failed_checks",
                )
                .bind(id)
                .bind(limit)
                .fetch_optional(c)
                .await?)
            })
        })
        .await
    }

    /// Locks a verification: no further check or start until it expires.
    pub async fn lock_verification(&self, id: i64) -> Result<(), DbError> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE verifications SET status = 'locked' WHERE id = $1 AND status = 'pending'",
                )
                .bind(id)
                .execute(c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    // ---- limits -------------------------------------------------------------

    /// Decides a verification attempt, as one write (parallel attempts are
    /// serialised by the writer). With `max_failures` > 0 (0 turns the limit
    /// off), a user with `max_failures` unsuccessful attempts since `since` is
    /// refused, even with a good token. Otherwise `claim` is applied with a
    /// conditional update, so a step or code is accepted at most once, and an
    /// attempt that is not accepted is recorded as a failure. Only failures are
    /// recorded: a success never counts and never resets them (`succeeded` is 0
    /// on every row written now). The hot paths are one statement each: an
    /// accepted TOTP code is one `UPDATE`, a wrong token one `INSERT`.
    pub async fn verify_attempt(
        &self,
        app_id: i64,
        user_id: i64,
        now: i64,
        since: i64,
        max_failures: i64,
        claim: Claim,
    ) -> Result<Verdict, DbError> {
        // $1 user, $2 window start, $3 the limit; every statement below binds them first.
        const UNDER_LIMIT: &str = "(SELECT COUNT(*) FROM verify_attempts WHERE user_id = $1 AND at > $2 AND succeeded = 0) < $3";
        let limit = if max_failures > 0 {
            max_failures
        } else {
            i64::MAX
        };
        let under_limit = [user_id, since, limit];
        self.write(move |c| {
            Box::pin(async move {
                let accepted = match claim {
                    Claim::Nothing => false,
                    Claim::Unchecked => {
                        sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!("SELECT {UNDER_LIMIT}")))
                            .bind(user_id)
                            .bind(since)
                            .bind(limit)
                            .fetch_one(&mut *c)
                            .await?
                            == 1
                    }
                    Claim::Step { seed, step } => {
                        let column = match seed {
                            Seed::Generic => "generic_last_step",
                            Seed::Device => "device_last_step",
                        };
                        let sql = format!(
                            "UPDATE users SET {column} = $4, confirmed = 1 WHERE id = $1 AND ({column} IS NULL OR {column} < $4) AND {UNDER_LIMIT}"
                        );
                        changes_one_row(c, sql, under_limit, &[step]).await?
                    }
                    Claim::Code { token_id } => {
                        let sql = format!(
                            "UPDATE tokens SET used_at = $4 WHERE id = $5 AND used_at IS NULL AND {UNDER_LIMIT}"
                        );
                        let used = changes_one_row(c, sql, under_limit, &[now, token_id]).await?;
                        if used {
                            sqlx::query("UPDATE users SET confirmed = 1 WHERE id = $1")
                                .bind(user_id)
                                .execute(&mut *c)
                                .await?;
                        }
                        used
                    }
                };
                if accepted {
                    return Ok(Verdict::Accepted);
                }
                if max_failures > 0 {
                    let sql = format!(
                        "INSERT INTO verify_attempts (app_id, user_id, at) SELECT $4, $1, $5 WHERE {UNDER_LIMIT}"
                    );
                    let recorded = changes_one_row(c, sql, under_limit, &[app_id, now]).await?;
                    if !recorded {
                        let oldest: Option<i64> = sqlx::query_scalar(
                            "SELECT MIN(at) FROM verify_attempts WHERE user_id = $1 AND at > $2 AND succeeded = 0",
                        )
                        .bind(user_id)
                        .bind(since)
                        .fetch_one(&mut *c)
                        .await?;
                        return Ok(Verdict::Limited {
                            oldest: oldest.unwrap_or(now),
                        });
                    }
                }
                Ok(match claim {
                    Claim::Nothing => Verdict::Rejected,
                    _ => Verdict::Reused,
                })
            })
        })
        .await
    }

    /// Messages sent since `since` by the application, to one phone if given,
    /// and the time of the oldest of them.
    pub async fn sends_since(
        &self,
        app_id: i64,
        phone: Option<(u16, &str)>,
        since: i64,
    ) -> Result<(i64, i64), DbError> {
        let row = match phone {
            Some((country_code, digits)) => {
                sqlx::query(
                    "SELECT COUNT(*) AS sent, MIN(created_at) AS oldest FROM messages \
                     WHERE app_id = $1 AND country_code = $2 AND phone = $3 AND created_at > $4",
                )
                .bind(app_id)
                .bind(i64::from(country_code))
                .bind(digits)
                .bind(since)
                .fetch_one(&self.pool)
                .await?
            }
            None => {
                sqlx::query("SELECT COUNT(*) AS sent, MIN(created_at) AS oldest FROM messages WHERE app_id = $1 AND created_at > $2")
                    .bind(app_id)
                    .bind(since)
                    .fetch_one(&self.pool)
                    .await?
            }
        };
        let sent: i64 = row.try_get("sent")?;
        let oldest: Option<i64> = row.try_get("oldest")?;
        Ok((sent, oldest.unwrap_or(since)))
    }

    // ---- counters -----------------------------------------------------------

    /// Adds counts to monthly counters, all in one transaction:
    /// `(app_id, (year, month), counter, amount)`.
    pub async fn add_counts(
        &self,
        counts: &[(i64, (i32, u8), Counter, i64)],
    ) -> Result<(), DbError> {
        let counts = counts.to_vec();
        self.write(move |c| {
            let counts = counts.clone();
            Box::pin(async move {
                for (app_id, (year, month), counter, amount) in counts {
                    let column = counter.column();
                    let sql = format!(
                        "INSERT INTO counters (app_id, year, month, {column}) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (app_id, year, month) DO UPDATE SET {column} = counters.{column} + $4"
                    );
                    sqlx::query(AssertSqlSafe(sql))
                        .bind(app_id)
                        .bind(i64::from(year))
                        .bind(i64::from(month))
                        .bind(amount)
                        .execute(&mut *c)
                        .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Every month with counters.
    pub async fn counters(&self, app_id: i64) -> Result<Vec<CounterRow>, DbError> {
        let rows = sqlx::query(
            "SELECT year, month, sms_count, calls_count, users_count, auths_count, api_calls_count FROM counters WHERE app_id = $1",
        )
        .bind(app_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CounterRow {
                    year: r.try_get("year")?,
                    month: r.try_get("month")?,
                    sms_count: r.try_get("sms_count")?,
                    calls_count: r.try_get("calls_count")?,
                    users_count: r.try_get("users_count")?,
                    auths_count: r.try_get("auths_count")?,
                    api_calls_count: r.try_get("api_calls_count")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(DbError::from)
    }
}

/// Runs `sql`, binding `first` to `$1`, `$2`, … and `then` after them, and
/// returns whether it changed exactly one row (a conditional write that took).
async fn changes_one_row(
    c: &mut AnyConnection,
    sql: String,
    first: [i64; 3],
    then: &[i64],
) -> Result<bool, sqlx::Error> {
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for value in first.into_iter().chain(then.iter().copied()) {
        query = query.bind(value);
    }
    Ok(query.execute(c).await?.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let embedded: Vec<String> = SQLITE_MIGRATIONS
            .iter()
            .map(|(v, name, _)| format!("{v:04}_{name}.sql"))
            .collect();
        assert_eq!(files, embedded);
        assert!(SQLITE_MIGRATIONS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[tokio::test]
    async fn durability_sets_sqlite_synchronous() {
        for (durability, expected) in [(Durability::Full, 2i64), (Durability::Normal, 1)] {
            let db = Db::connect_with("sqlite::memory:", durability)
                .await
                .unwrap();
            let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&db.pool)
                .await
                .unwrap();
            assert_eq!(level, expected, "{durability:?}");
        }
    }

    #[tokio::test]
    async fn migrations_apply_once_and_reset_clears_every_table() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%app_id BIGINT%'",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let source = include_str!("db.rs");
        let reset = &source[source.find("pub async fn reset_app").unwrap()..];
        for table in tables {
            assert!(
                reset[..600].contains(&format!("\"{table}\"")),
                "reset_app forgets {table}"
            );
        }
    }
}
