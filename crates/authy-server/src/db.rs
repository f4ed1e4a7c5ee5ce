//! All SQL lives here, behind [`Db`]. Handlers never see a query.
//!
//! SQLite through rusqlite, on threads that own their connections:
//! - reads run on the calling thread, on a connection borrowed from a small
//!   pool (`conn::Readers`): a lookup by key takes microseconds, less than
//!   handing it to another thread and back;
//! - writes are closures run by the one writer thread, many to a commit
//!   (`db/writer.rs`).
//!
//! The SQL keeps `$n` placeholders, integers for flags and times, `RETURNING`
//! and `ON CONFLICT`: text that PostgreSQL accepts too. Migrations are embedded
//! in the binary and applied by [`Db::connect`]. Dynamic SQL below is built
//! only from constant column and table names, never from input.

use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use rusqlite::types::ToSql;
use rusqlite::{Connection, Row};
use tokio::sync::{mpsc, oneshot};

use conn::{Location, Readers, WriterConn, execute, lock, query_all, query_one, rollback};

mod attempts;
mod checkpointer;
mod conn;
mod steps;
mod writer;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database answered with an error, or could not be opened.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The batch this write was part of could not be committed; nothing of it was kept.
    #[error("database error: the commit failed: {0}")]
    Commit(Arc<rusqlite::Error>),
    /// The writer is gone (the server is shutting down, or a batch could not
    /// begin: the server log says why); nothing of this write was kept.
    #[error("database error: the writer could not run this write")]
    WriterGone,
    /// Another process (another `authy serve`) has this database file.
    #[error(
        "database error: {0} is in use by another authy server: stop that one, or give this one its own database"
    )]
    InUse(std::path::PathBuf),
    /// The URL names no backend this build supports.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or sqlite::memory:")]
    Unsupported(String),
    /// The writer thread could not be started.
    #[error("database error: cannot start the writer thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// The most old rows (verification attempts, used steps) one write deletes.
const PRUNE_BATCH: i64 = 10_000;

/// How many user ids one write goes through when pruning the used steps kept
/// in memory.
const MEMORY_PRUNE_SPAN: i64 = 50_000;

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
    (
        4,
        "verify_attempts_by_time",
        include_str!("../migrations/sqlite/0004_verify_attempts_by_time.sql"),
    ),
    (
        5,
        "verify_attempts_failures_only",
        include_str!("../migrations/sqlite/0005_verify_attempts_failures_only.sql"),
    ),
    (
        6,
        "used_steps",
        include_str!("../migrations/sqlite/0006_used_steps.sql"),
    ),
    (
        7,
        "verify_attempts_without_user_index",
        include_str!("../migrations/sqlite/0007_verify_attempts_without_user_index.sql"),
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
    fn synchronous(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        }
    }
}

/// The store. Clones share it.
#[derive(Clone, Debug)]
pub struct Db {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    readers: Readers,
    writer: mpsc::Sender<writer::Message>,
    /// A file database's checkpoint thread, until [`Db::close`].
    checkpointer: Mutex<Option<checkpointer::Checkpointer>>,
    /// A file database's lock against other servers, until [`Db::close`].
    owner: Mutex<Option<std::fs::File>>,
    apps: AppCache,
}

/// How long a looked-up application is reused without asking the database.
/// This `Db` forgets an application as soon as it changes it; the time limit
/// only bounds how long a change made by another process goes unseen.
const APP_CACHE_TTL: Duration = Duration::from_secs(1);

/// Applications by API-key hash: every request looks its application up, and
/// applications almost never change.
type AppCache = Mutex<CachedApps>;

#[derive(Debug, Default)]
struct CachedApps {
    /// Bumped by every change, so a lookup that raced with one is not cached.
    generation: u64,
    apps: std::collections::HashMap<String, (Instant, Arc<AppRow>)>,
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
    pub device: Option<Device>,
    pub created_at: i64,
}

/// The user's (simulated) Authy-app device.
#[derive(Clone, Debug)]
pub struct Device {
    pub id: i64,
    pub os_type: String,
    pub seed: String,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Seed {
    /// The generic authenticator secret (users/{id}/secret).
    Generic,
    /// The Authy-app device seed.
    Device,
}

fn app_row(row: &Row<'_>) -> rusqlite::Result<AppRow> {
    Ok(AppRow {
        id: row.get("id")?,
        object_id: row.get("object_id")?,
        name: row.get("name")?,
        key_enc: row.get("key_enc")?,
        plan: row.get("plan")?,
        sms_enabled: row.get("sms_enabled")?,
        phone_calls_enabled: row.get("phone_calls_enabled")?,
        onetouch_enabled: row.get("onetouch_enabled")?,
        generic_tokens_enabled: row.get("generic_tokens_enabled")?,
        legacy_unforced_verify: row.get("legacy_unforced_verify")?,
        reject_get_body: row.get("reject_get_body")?,
        token_length: row.get("token_length")?,
        onetouch_callback_url: row.get("onetouch_callback_url")?,
        onetouch_callback_method: row.get("onetouch_callback_method")?,
        custom_codes_enabled: row.get("custom_codes_enabled")?,
        clock_offset: row.get("clock_offset")?,
    })
}

fn user_row(row: &Row<'_>) -> rusqlite::Result<UserRow> {
    use UserColumn as C;
    let other_emails: String = row.get(C::other_emails as usize)?;
    let device = match row.get::<_, Option<i64>>(C::device_id as usize)? {
        Some(id) => Some(Device {
            id,
            os_type: row
                .get::<_, Option<String>>(C::device_os as usize)?
                .unwrap_or_default(),
            seed: row
                .get::<_, Option<String>>(C::device_seed as usize)?
                .unwrap_or_default(),
            registered_at: row
                .get::<_, Option<i64>>(C::device_registered_at as usize)?
                .unwrap_or_default(),
        }),
        None => None,
    };
    Ok(UserRow {
        id: row.get(C::id as usize)?,
        app_id: row.get(C::app_id as usize)?,
        object_id: row.get(C::object_id as usize)?,
        country_code: row.get(C::country_code as usize)?,
        cellphone: row.get(C::cellphone as usize)?,
        email: row.get(C::email as usize)?,
        other_emails: serde_json::from_str(&other_emails).unwrap_or_default(),
        confirmed: row.get(C::confirmed as usize)?,
        generic_seed: row.get(C::generic_seed as usize)?,
        device,
        created_at: row.get(C::created_at as usize)?,
    })
}

fn token_row(row: &Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        id: row.get("id")?,
        code_enc: row.get("code")?,
        action: row.get("action")?,
        expires_at: row.get("expires_at")?,
        used_at: row.get("used_at")?,
    })
}

fn message_row(row: &Row<'_>) -> rusqlite::Result<MessageRow> {
    Ok(MessageRow {
        id: row.get("id")?,
        authy_id: row.get("authy_id")?,
        country_code: row.get("country_code")?,
        phone: row.get("phone")?,
        channel: row.get("channel")?,
        kind: row.get("kind")?,
        code_enc: row.get("code")?,
        text_enc: row.get("text")?,
        locale: row.get("locale")?,
        created_at: row.get("created_at")?,
    })
}

fn approval_row(row: &Row<'_>) -> rusqlite::Result<ApprovalRow> {
    Ok(ApprovalRow {
        uuid: row.get("uuid")?,
        object_id: row.get("object_id")?,
        user_id: row.get("user_id")?,
        message: row.get("message")?,
        details: row.get("details")?,
        hidden_details: row.get("hidden_details")?,
        logos: row.get("logos")?,
        seconds_to_expire: row.get("seconds_to_expire")?,
        status: row.get("status")?,
        notified: row.get("notified")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
        processed_at: row.get("processed_at")?,
    })
}

fn callback_row(row: &Row<'_>) -> rusqlite::Result<CallbackRow> {
    Ok(CallbackRow {
        id: row.get("id")?,
        app_id: row.get("app_id")?,
        request_uuid: row.get("request_uuid")?,
        url: row.get("url")?,
        method: row.get("method")?,
        body: row.get("body")?,
        status: row.get("status")?,
        attempts: row.get("attempts")?,
        response_status: row.get("response_status")?,
        nonce: row.get("nonce")?,
        signature: row.get("signature")?,
        created_at: row.get("created_at")?,
    })
}

fn verification_row(row: &Row<'_>) -> rusqlite::Result<VerificationRow> {
    Ok(VerificationRow {
        id: row.get("id")?,
        uuid: row.get("uuid")?,
        code_enc: row.get("code")?,
        status: row.get("status")?,
        failed_checks: row.get("failed_checks")?,
        created_at: row.get("created_at")?,
        expires_at: row.get("expires_at")?,
    })
}

const APPROVAL_COLUMNS: &str = "uuid, object_id, user_id, message, details, hidden_details, logos, seconds_to_expire, status, \
     notified, created_at, updated_at, processed_at";
const CALLBACK_COLUMNS: &str = "id, app_id, request_uuid, url, method, body, status, attempts, response_status, nonce, signature, created_at";
const VERIFICATION_COLUMNS: &str = "id, uuid, code, status, failed_checks, created_at, expires_at";

const APP_COLUMNS: &str = "id, object_id, name, key_enc, plan, sms_enabled, phone_calls_enabled, onetouch_enabled, \
     generic_tokens_enabled, legacy_unforced_verify, reject_get_body, token_length, onetouch_callback_url, \
     onetouch_callback_method, custom_codes_enabled, clock_offset";
/// Declares, from one list, the columns a query selects: `$list`, the text
/// for the SQL, and `$position`, an enum whose variants are the columns'
/// positions in it, for a row mapper that reads by position.
macro_rules! columns {
    ($list:ident, $position:ident: $first:ident $(, $rest:ident)* $(,)?) => {
        const $list: &str = concat!(stringify!($first) $(, ", ", stringify!($rest))*);

        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy)]
        enum $position {
            $first $(, $rest)*
        }
    };
}

// Read by position: looking each of them up by name (`sqlite3_column_name`
// and a string compare per column) was about 3% of a verification's CPU.
columns!(
    USER_COLUMNS,
    UserColumn: id,
    app_id,
    object_id,
    country_code,
    cellphone,
    email,
    other_emails,
    confirmed,
    generic_seed,
    device_id,
    device_os,
    device_seed,
    device_registered_at,
    created_at,
);

/// `SELECT` of a user by application and id: built once, as it runs on most
/// requests.
static USER_BY_ID: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {USER_COLUMNS} FROM users WHERE app_id = $1 AND id = $2"));

/// The statements of [`Db::verify_attempt`] other than a TOTP step's (in
/// [`steps`]), built once around [`attempts::UNDER_LIMIT`]. Each binds `$1` the
/// user, `$2` the window's start and `$3` the limit first.
struct VerifySql {
    unchecked: String,
    code: String,
}

static VERIFY_SQL: LazyLock<VerifySql> = LazyLock::new(|| VerifySql {
    unchecked: format!("SELECT {}", attempts::UNDER_LIMIT),
    code: format!(
        "UPDATE tokens SET used_at = $4 WHERE id = $5 AND used_at IS NULL AND {}",
        attempts::UNDER_LIMIT
    ),
});

/// Marks the user `$1` confirmed once a token of theirs is accepted. Written
/// only when it changes: most verifications then write nothing to `users`.
const CONFIRM_USER: &str = "UPDATE users SET confirmed = 1 WHERE id = $1 AND confirmed = 0";

impl Db {
    /// Opens (creating if needed) and migrates the database at `url`:
    /// `sqlite://PATH` or `sqlite::memory:`.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        Db::connect_with(url, Durability::Full).await
    }

    /// As [`Db::connect`], choosing how commits reach the disk.
    pub async fn connect_with(url: &str, durability: Durability) -> Result<Db, DbError> {
        let location = Location::parse(url)?;
        // Opening and migrating touch the disk: off the async threads.
        let (readers, writer_conn, checkpointer, owner) = tokio::task::spawn_blocking(move || {
            let conn = conn::open(&location, durability, true)?;
            let owner = match &location {
                Location::File(path) => conn::own(path, conn::BUSY_TIMEOUT)?,
                Location::Memory => None,
            };
            migrate(&conn)?;
            load_memory(&conn)?;
            Ok::<_, DbError>(match location {
                Location::Memory => {
                    // An in-memory database lives in its one connection.
                    let shared = Arc::new(Mutex::new(conn));
                    (
                        Readers::Shared(shared.clone()),
                        WriterConn::Shared(shared),
                        None,
                        owner,
                    )
                }
                Location::File(_) => {
                    let checkpoints = conn::open(&location, durability, false)?;
                    let checkpointer = checkpointer::Checkpointer::spawn(checkpoints)?;
                    let readers = Readers::Pool {
                        location,
                        durability,
                        idle: Mutex::default(),
                    };
                    (readers, WriterConn::Own(conn), Some(checkpointer), owner)
                }
            })
        })
        .await
        .expect("opening the database does not panic")?;
        let (writer, inbox) = mpsc::channel(4 * writer::MAX_BATCH);
        writer::spawn(writer_conn, inbox)?;
        Ok(Db {
            inner: Arc::new(Inner {
                readers,
                writer,
                checkpointer: Mutex::new(checkpointer),
                owner: Mutex::new(owner),
                apps: AppCache::default(),
            }),
        })
    }

    /// Runs `job` in the writer's next batch (see [`writer`]) and returns its
    /// result once it is durable. `job` may run more than once (after another
    /// write of its batch failed).
    async fn write<T, F>(&self, job: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T, DbError> + Send + 'static,
    {
        writer::write(&self.inner.writer, job).await
    }

    /// Runs `f` on a reader connection, on this thread.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, DbError> {
        self.inner.readers.with(f)
    }

    /// Finishes the writes under way and closes every connection (after the
    /// last request, at shutdown). Writes asked for later are refused.
    pub async fn close(&self) {
        let (stopped, done) = oneshot::channel();
        if self
            .inner
            .writer
            .send(writer::Message::Stop(stopped))
            .await
            .is_ok()
        {
            let _ = done.await;
        }
        self.inner.readers.close();
        let checkpointer = lock(&self.inner.checkpointer).take();
        if let Some(checkpointer) = checkpointer {
            // Joining waits for at most one pass.
            let _ = tokio::task::spawn_blocking(move || checkpointer.stop()).await;
        }
        // Last: another server may take the file from here.
        lock(&self.inner.owner).take();
    }

    // ---- applications -------------------------------------------------------

    /// The application whose API key hashes to `key_hash`.
    ///
    /// Shared: every request looks its application up, and a clone of an
    /// `AppRow` would copy a dozen strings.
    pub async fn app_by_key_hash(&self, key_hash: &str) -> Result<Option<Arc<AppRow>>, DbError> {
        let generation = {
            let cache = lock(&self.inner.apps);
            if let Some((at, app)) = cache.apps.get(key_hash)
                && at.elapsed() < APP_CACHE_TTL
            {
                return Ok(Some(app.clone()));
            }
            cache.generation
        };
        let sql = format!("SELECT {APP_COLUMNS} FROM apps WHERE key_hash = $1");
        let app = self
            .read(|c| query_one(c, &sql, &[&key_hash], app_row))?
            .map(Arc::new);
        let mut cache = lock(&self.inner.apps);
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

    /// Forgets the cached applications, after a change to one of them.
    fn forget_apps(&self) {
        let mut cache = lock(&self.inner.apps);
        cache.generation += 1;
        cache.apps.clear();
    }

    /// An application by id.
    pub async fn app(&self, app_id: i64) -> Result<Option<AppRow>, DbError> {
        let sql = format!("SELECT {APP_COLUMNS} FROM apps WHERE id = $1");
        self.read(|c| query_one(c, &sql, &[&app_id], app_row))
    }

    /// How many applications exist.
    pub async fn app_count(&self) -> Result<i64, DbError> {
        self.read(|c| count(c, "SELECT COUNT(*) FROM apps", &[]))
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
            let object_id = crate::crypto::object_id();
            let values: [&dyn ToSql; 6] =
                [&object_id, &name, &key_hash, &key_enc, &callback_url, &now];
            Ok(query_one(c, &sql, &values, app_row)?.expect("RETURNING returns the row"))
        })
        .await
    }

    /// Replaces the settings of an application.
    pub async fn update_app(&self, app_id: i64, s: &AppSettings) -> Result<(), DbError> {
        let s = s.clone();
        self.write(move |c| {
            execute(
                c,
                "UPDATE apps SET name = $1, sms_enabled = $2, phone_calls_enabled = $3, onetouch_enabled = $4, \
                 generic_tokens_enabled = $5, legacy_unforced_verify = $6, reject_get_body = $7, token_length = $8, \
                 onetouch_callback_url = $9, onetouch_callback_method = $10, custom_codes_enabled = $11 WHERE id = $12",
                &[
                    &s.name,
                    &s.sms_enabled,
                    &s.phone_calls_enabled,
                    &s.onetouch_enabled,
                    &s.generic_tokens_enabled,
                    &s.legacy_unforced_verify,
                    &s.reject_get_body,
                    &s.token_length,
                    &s.onetouch_callback_url,
                    &s.onetouch_callback_method,
                    &s.custom_codes_enabled,
                    &app_id,
                ],
            )?;
            Ok(())
        })
        .await?;
        self.forget_apps();
        Ok(())
    }

    /// Sets the application's sandbox clock offset.
    pub async fn set_clock_offset(&self, app_id: i64, offset: i64) -> Result<(), DbError> {
        self.write(move |c| {
            execute(
                c,
                "UPDATE apps SET clock_offset = $1 WHERE id = $2",
                &[&offset, &app_id],
            )?;
            Ok(())
        })
        .await?;
        self.forget_apps();
        Ok(())
    }

    /// Deletes everything of an application but the application itself, in one transaction.
    pub async fn reset_app(&self, app_id: i64) -> Result<(), DbError> {
        self.write(move |c| {
            steps::forget_app(c, app_id)?;
            attempts::forget_app(c, app_id)?;
            for table in [
                "used_steps",
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
                execute(
                    c,
                    &format!("DELETE FROM {table} WHERE app_id = $1"),
                    &[&app_id],
                )?;
            }
            execute(
                c,
                "UPDATE apps SET clock_offset = 0 WHERE id = $1",
                &[&app_id],
            )?;
            Ok(())
        })
        .await?;
        self.forget_apps();
        Ok(())
    }

    // ---- users --------------------------------------------------------------

    /// A user of the application, by authy id.
    pub async fn user(&self, app_id: i64, user_id: i64) -> Result<Option<UserRow>, DbError> {
        self.read(|c| query_one(c, &USER_BY_ID, &[&app_id, &user_id], user_row))
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
        let insert = format!(
            "INSERT INTO users (app_id, object_id, country_code, cellphone, email, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (app_id, country_code, cellphone) DO NOTHING RETURNING {USER_COLUMNS}"
        );
        let existing = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE app_id = $1 AND country_code = $2 AND cellphone = $3"
        );
        self.write(move |c| {
            let object_id = crate::crypto::object_id();
            let values: [&dyn ToSql; 6] =
                [&app_id, &object_id, &country_code, &cellphone, &email, &now];
            if let Some(user) = query_one(c, &insert, &values, user_row)? {
                return Ok((user, true));
            }
            let mut user = query_one(
                c,
                &existing,
                &[&app_id, &country_code, &cellphone],
                user_row,
            )?
            .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            if user.email != email && !user.other_emails.contains(&email) {
                user.other_emails.push(email.clone());
                let other_emails =
                    serde_json::to_string(&user.other_emails).expect("strings serialise");
                execute(
                    c,
                    "UPDATE users SET other_emails = $1 WHERE id = $2",
                    &[&other_emails, &user.id],
                )?;
            }
            Ok((user, false))
        })
        .await
    }

    /// Changes the user's e-mail.
    pub async fn set_user_email(&self, user_id: i64, email: &str) -> Result<(), DbError> {
        let email = email.to_owned();
        self.write(move |c| {
            execute(
                c,
                "UPDATE users SET email = $1 WHERE id = $2",
                &[&email, &user_id],
            )?;
            Ok(())
        })
        .await
    }

    /// Removes a user and everything of theirs. Returns whether it existed.
    pub async fn delete_user(&self, app_id: i64, user_id: i64) -> Result<bool, DbError> {
        self.write(move |c| {
            let deleted = execute(
                c,
                "DELETE FROM users WHERE app_id = $1 AND id = $2",
                &[&app_id, &user_id],
            )?;
            steps::forget_user(c, user_id)?;
            attempts::forget_user(c, user_id)?;
            Ok(deleted == 1)
        })
        .await
    }

    /// Replaces the user's generic-authenticator secret (and forgets its used
    /// steps).
    pub async fn set_generic_seed(
        &self,
        user_id: i64,
        seed_enc: &str,
        now: i64,
    ) -> Result<(), DbError> {
        let seed_enc = seed_enc.to_owned();
        self.write(move |c| {
            execute(
                c,
                "UPDATE users SET generic_seed = $1 WHERE id = $2",
                &[&seed_enc, &user_id],
            )?;
            steps::forget_seed(c, user_id, Seed::Generic, now)?;
            Ok(())
        })
        .await
    }

    /// Registers the user's Authy-app device (and forgets the used steps of
    /// the one before).
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
            execute(
                c,
                "UPDATE users SET device_id = $1, device_os = $2, device_seed = $3, \
                 device_registered_at = $4 WHERE id = $5",
                &[&device_id, &os_type, &seed_enc, &now, &user_id],
            )?;
            steps::forget_seed(c, user_id, Seed::Device, now)?;
            Ok(())
        })
        .await
    }

    /// Users of the application now. A scan of the application's users, so it
    /// runs on a blocking thread rather than hold up an async one.
    pub async fn user_count(&self, app_id: i64) -> Result<i64, DbError> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            db.read(|c| {
                count(
                    c,
                    "SELECT COUNT(*) FROM users WHERE app_id = $1",
                    &[&app_id],
                )
            })
        })
        .await
        .expect("counting does not panic")
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
            execute(
                c,
                "INSERT INTO activities (app_id, user_id, type, data, user_ip, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&app_id, &user_id, &kind, &data, &user_ip, &now],
            )?;
            Ok(())
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
        self.read(|c| {
            query_one(
                c,
                "SELECT id, code, action, expires_at, used_at FROM tokens \
                 WHERE user_id = $1 AND action = $2 AND used_at IS NULL AND expires_at > $3 ORDER BY id DESC LIMIT 1",
                &[&user_id, &action, &now],
                token_row,
            )
        })
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
            execute(
                c,
                "INSERT INTO tokens (app_id, user_id, code, action, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&app_id, &user_id, &code_enc, &action, &now, &expires_at],
            )?;
            Ok(())
        })
        .await
    }

    /// The user's unexpired codes, used or not (a used one answers 60019).
    pub async fn live_tokens(&self, user_id: i64, now: i64) -> Result<Vec<TokenRow>, DbError> {
        self.read(|c| {
            query_all(
                c,
                "SELECT id, code, action, expires_at, used_at FROM tokens WHERE user_id = $1 AND expires_at > $2 ORDER BY id DESC",
                &[&user_id, &now],
                token_row,
            )
        })
    }

    // ---- messages -----------------------------------------------------------

    /// Adds a message to the outbox.
    pub async fn insert_message(&self, app_id: i64, m: MessageRow) -> Result<(), DbError> {
        self.write(move |c| {
            execute(
                c,
                "INSERT INTO messages (id, app_id, authy_id, country_code, phone, channel, kind, code, text, locale, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                &[
                    &m.id,
                    &app_id,
                    &m.authy_id,
                    &m.country_code,
                    &m.phone,
                    &m.channel,
                    &m.kind,
                    &m.code_enc,
                    &m.text_enc,
                    &m.locale,
                    &m.created_at,
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// The application's messages, newest first.
    pub async fn messages(
        &self,
        app_id: i64,
        f: &MessageFilter,
    ) -> Result<Vec<MessageRow>, DbError> {
        self.read(|c| {
            query_all(
                c,
                "SELECT id, authy_id, country_code, phone, channel, kind, code, text, locale, created_at FROM messages \
                 WHERE app_id = $1 AND ($2 IS NULL OR authy_id = $2) AND ($3 IS NULL OR phone = $3) \
                 AND ($4 IS NULL OR country_code = $4) AND ($5 IS NULL OR channel = $5) ORDER BY seq DESC LIMIT $6",
                &[
                    &app_id,
                    &f.authy_id,
                    &f.phone,
                    &f.country_code,
                    &f.channel,
                    &f.limit,
                ],
                message_row,
            )
        })
    }

    // ---- OneTouch -----------------------------------------------------------

    /// Stores a new, pending approval request.
    pub async fn insert_approval(&self, app_id: i64, r: &ApprovalRow) -> Result<(), DbError> {
        let r = r.clone();
        self.write(move |c| {
            execute(
                c,
                "INSERT INTO approval_requests (uuid, object_id, app_id, user_id, message, details, hidden_details, logos, \
                 seconds_to_expire, status, notified, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    &r.uuid,
                    &r.object_id,
                    &app_id,
                    &r.user_id,
                    &r.message,
                    &r.details,
                    &r.hidden_details,
                    &r.logos,
                    &r.seconds_to_expire,
                    &r.status,
                    &r.notified,
                    &r.created_at,
                    &r.updated_at,
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// An approval request of this application, by uuid.
    pub async fn approval(&self, app_id: i64, uuid: &str) -> Result<Option<ApprovalRow>, DbError> {
        let sql = format!(
            "SELECT {APPROVAL_COLUMNS} FROM approval_requests WHERE app_id = $1 AND uuid = $2"
        );
        self.read(|c| query_one(c, &sql, &[&app_id, &uuid], approval_row))
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
            let decided = execute(
                c,
                "UPDATE approval_requests SET status = $1, updated_at = $2, processed_at = $2 \
                 WHERE app_id = $3 AND uuid = $4 AND status = 'pending'",
                &[&status, &now, &app_id, &uuid],
            )?;
            if decided != 1 {
                return Ok(false);
            }
            if let Some(cb) = &callback {
                execute(
                    c,
                    "INSERT INTO callbacks (id, app_id, request_uuid, url, method, body, status, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)",
                    &[
                        &cb.id,
                        &app_id,
                        &cb.request_uuid,
                        &cb.url,
                        &cb.method,
                        &cb.body,
                        &cb.created_at,
                    ],
                )?;
            }
            Ok(true)
        })
        .await
    }

    /// Callbacks due for an attempt at `now` (server time), oldest first.
    pub async fn due_callbacks(&self, now: i64, limit: i64) -> Result<Vec<CallbackRow>, DbError> {
        let sql = format!(
            "SELECT {CALLBACK_COLUMNS} FROM callbacks WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $1 ORDER BY seq LIMIT $2"
        );
        self.read(|c| query_all(c, &sql, &[&now, &limit], callback_row))
    }

    /// Records one delivery attempt.
    pub async fn record_attempt(&self, id: &str, a: Attempt) -> Result<(), DbError> {
        let id = id.to_owned();
        self.write(move |c| {
            execute(
                c,
                "UPDATE callbacks SET status = $1, attempts = attempts + 1, response_status = $2, nonce = $3, signature = $4, \
                 next_attempt_at = $5 WHERE id = $6",
                &[
                    &a.status,
                    &a.response_status,
                    &a.nonce,
                    &a.signature,
                    &a.next_attempt_at,
                    &id,
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// The application's callbacks, newest first.
    pub async fn callbacks(&self, app_id: i64, limit: i64) -> Result<Vec<CallbackRow>, DbError> {
        let sql = format!(
            "SELECT {CALLBACK_COLUMNS} FROM callbacks WHERE app_id = $1 ORDER BY seq DESC LIMIT $2"
        );
        self.read(|c| query_all(c, &sql, &[&app_id, &limit], callback_row))
    }

    /// The application's stored (encrypted) API key, to sign its callbacks.
    pub async fn app_key(&self, app_id: i64) -> Result<Option<String>, DbError> {
        self.read(|c| {
            query_one(
                c,
                "SELECT key_enc FROM apps WHERE id = $1",
                &[&app_id],
                |r| r.get(0),
            )
        })
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
        self.read(|c| query_one(c, &sql, &[&app_id, &country_code, &phone], verification_row))
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
        self.read(|c| {
            query_one(c, &sql, &[&app_id, &uuid], |r| {
                Ok((
                    r.get("country_code")?,
                    r.get("phone")?,
                    verification_row(r)?,
                ))
            })
        })
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
            execute(
                c,
                "INSERT INTO verifications (uuid, app_id, country_code, phone, code, status, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
                &[
                    &v.uuid,
                    &app_id,
                    &country_code,
                    &phone,
                    &v.code_enc,
                    &v.created_at,
                    &v.expires_at,
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// Marks a pending verification verified, only if still pending.
    pub async fn complete_verification(&self, id: i64, now: i64) -> Result<bool, DbError> {
        self.write(move |c| {
            let completed = execute(
                c,
                "UPDATE verifications SET status = 'verified', verified_at = $1 WHERE id = $2 AND status = 'pending'",
                &[&now, &id],
            )?;
            Ok(completed == 1)
        })
        .await
    }

    /// Reserves one check of a pending verification, before the code is
    /// compared: `None` when `limit` checks were already used, so parallel
    /// guesses cannot exceed it. Returns the checks used, this one included.
    pub async fn reserve_check(&self, id: i64, limit: i64) -> Result<Option<i64>, DbError> {
        self.write(move |c| {
            Ok(query_one(
                c,
                "UPDATE verifications SET failed_checks = failed_checks + 1 WHERE id = $1 AND status = 'pending' AND failed_checks < $2 \
                 RETURNING failed_checks",
                &[&id, &limit],
                |r| r.get(0),
            )?)
        })
        .await
    }

    /// Locks a verification: no further check or start until it expires.
    pub async fn lock_verification(&self, id: i64) -> Result<(), DbError> {
        self.write(move |c| {
            execute(
                c,
                "UPDATE verifications SET status = 'locked' WHERE id = $1 AND status = 'pending'",
                &[&id],
            )?;
            Ok(())
        })
        .await
    }

    // ---- limits -------------------------------------------------------------

    /// Decides a verification attempt, as one write (parallel attempts are
    /// serialised by the writer). With `max_failures` > 0 (0 turns the limit
    /// off), a user with `max_failures` unsuccessful attempts since `since` is
    /// refused, even with a good token. Otherwise `claim` is applied with a
    /// conditional write, so a step or code is accepted at most once, and an
    /// attempt that is not accepted is recorded as a failure. Only failures are
    /// recorded (`verify_attempts` holds nothing else): a success never counts
    /// and never resets them. Both decisions read the writer's memory (see
    /// `db/steps.rs` and `db/attempts.rs`): an accepted TOTP code appends a row
    /// to `used_steps`, a wrong token one to `verify_attempts`.
    pub async fn verify_attempt(
        &self,
        user: &UserRow,
        now: i64,
        since: i64,
        max_failures: i64,
        claim: Claim,
    ) -> Result<Verdict, DbError> {
        let limit = if max_failures > 0 {
            max_failures
        } else {
            i64::MAX
        };
        let sql = &*VERIFY_SQL;
        let (app_id, user_id) = (user.app_id, user.id);
        // `confirmed` never goes back to false: a user read as confirmed needs
        // no update, which would cost the writer a read of the user's page.
        let confirmed = user.confirmed;
        self.write(move |c| {
            let accepted = match claim {
                Claim::Nothing => false,
                Claim::Unchecked => count(c, &sql.unchecked, &[&user_id, &since, &limit])? == 1,
                Claim::Step { seed, step } => {
                    steps::claim(c, (app_id, user_id), (since, limit), (seed, step), now)?
                }
                Claim::Code { token_id } => {
                    let values: [&dyn ToSql; 5] = [&user_id, &since, &limit, &now, &token_id];
                    execute(c, &sql.code, &values)? == 1
                }
            };
            if accepted && !confirmed && !matches!(claim, Claim::Unchecked) {
                execute(c, CONFIRM_USER, &[&user_id])?;
            }
            if accepted {
                return Ok(Verdict::Accepted);
            }
            if max_failures > 0 {
                let (failures, oldest) = attempts::since(c, user_id, since)?;
                if failures >= limit {
                    return Ok(Verdict::Limited {
                        oldest: oldest.unwrap_or(now),
                    });
                }
                attempts::record(c, app_id, user_id, now)?;
            }
            Ok(match claim {
                Claim::Nothing => Verdict::Rejected,
                _ => Verdict::Reused,
            })
        })
        .await
    }

    /// Forgets the attempts that have left every application's window of
    /// `window` seconds (`now` is the system clock; each application's own
    /// clock adds its offset, which only moves forward). Without this the table
    /// would keep every wrong token ever sent. Returns how many were forgotten.
    ///
    /// The deletes go through the writer 10,000 rows at a time, so
    /// that a minute of brute force (a million rows) never holds up the
    /// verifications' commits for long.
    pub async fn prune_verify_attempts(&self, now: i64, window: i64) -> Result<usize, DbError> {
        let offsets = self.read(|c| {
            query_all(c, "SELECT id, clock_offset FROM apps", &[], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })
        })?;
        let mut forgotten = 0;
        for (app_id, offset) in offsets {
            let last_dead = now + offset - window;
            forgotten += self
                .delete_in_batches(move |c| Ok(attempts::prune(c, app_id, last_dead, PRUNE_BATCH)?))
                .await?;
        }
        Ok(forgotten)
    }

    /// Forgets the used TOTP steps that no code can reach any more (see
    /// `db/steps.rs`), from the log and from the writer's memory. `now` is the
    /// machine's clock. Returns how many rows left the log.
    pub async fn prune_used_steps(&self, now: i64) -> Result<usize, DbError> {
        let forgotten = self
            .delete_in_batches(move |c| Ok(steps::prune_log(c, now, PRUNE_BATCH)?))
            .await?;
        let offset =
            self.read(|c| count(c, "SELECT COALESCE(MIN(clock_offset), 0) FROM apps", &[]))?;
        let mut next = Some(0);
        while let Some(from) = next {
            next = self
                .write(move |c| {
                    Ok(steps::prune_memory(
                        c,
                        now,
                        offset,
                        from,
                        MEMORY_PRUNE_SPAN,
                    )?)
                })
                .await?;
        }
        Ok(forgotten)
    }

    /// Runs `delete`, a write that deletes at most [`PRUNE_BATCH`] rows, until
    /// it deletes fewer: other writes get their turn in between. Returns how
    /// many rows went.
    async fn delete_in_batches<F>(&self, delete: F) -> Result<usize, DbError>
    where
        F: Fn(&Connection) -> Result<usize, DbError> + Clone + Send + 'static,
    {
        let mut deleted = 0;
        loop {
            let batch = self.write(delete.clone()).await?;
            deleted += batch;
            if batch < PRUNE_BATCH as usize {
                return Ok(deleted);
            }
        }
    }

    /// Messages sent since `since` by the application, to one phone if given,
    /// and the time of the oldest of them.
    pub async fn sends_since(
        &self,
        app_id: i64,
        phone: Option<(u16, &str)>,
        since: i64,
    ) -> Result<(i64, i64), DbError> {
        let sent_and_oldest = |r: &Row<'_>| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?));
        let (sent, oldest) = self.read(|c| {
            match phone {
                Some((country_code, digits)) => query_one(
                    c,
                    "SELECT COUNT(*), MIN(created_at) FROM messages \
                     WHERE app_id = $1 AND country_code = $2 AND phone = $3 AND created_at > $4",
                    &[&app_id, &country_code, &digits, &since],
                    sent_and_oldest,
                ),
                None => query_one(
                    c,
                    "SELECT COUNT(*), MIN(created_at) FROM messages WHERE app_id = $1 AND created_at > $2",
                    &[&app_id, &since],
                    sent_and_oldest,
                ),
            }
            .map(Option::unwrap_or_default)
        })?;
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
            for (app_id, (year, month), counter, amount) in &counts {
                let column = counter.column();
                let sql = format!(
                    "INSERT INTO counters (app_id, year, month, {column}) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (app_id, year, month) DO UPDATE SET {column} = counters.{column} + $4"
                );
                execute(c, &sql, &[app_id, year, month, amount])?;
            }
            Ok(())
        })
        .await
    }

    /// Every month with counters.
    pub async fn counters(&self, app_id: i64) -> Result<Vec<CounterRow>, DbError> {
        self.read(|c| {
            query_all(
                c,
                "SELECT year, month, sms_count, calls_count, users_count, auths_count, api_calls_count FROM counters WHERE app_id = $1",
                &[&app_id],
                |r| {
                    Ok(CounterRow {
                        year: r.get("year")?,
                        month: r.get("month")?,
                        sms_count: r.get("sms_count")?,
                        calls_count: r.get("calls_count")?,
                        users_count: r.get("users_count")?,
                        auths_count: r.get("auths_count")?,
                        api_calls_count: r.get("api_calls_count")?,
                    })
                },
            )
        })
    }
}

/// The one number a `SELECT COUNT(*)` (or another scalar query) returns.
fn count(c: &Connection, sql: &str, values: &[&dyn ToSql]) -> rusqlite::Result<i64> {
    query_one(c, sql, values, |r| r.get(0)).map(Option::unwrap_or_default)
}

/// Applies the embedded migrations not applied yet, each in its own transaction.
/// Fills the writer's memory of used steps and failed attempts from the
/// database (see `db/steps.rs` and `db/attempts.rs`).
fn load_memory(c: &Connection) -> rusqlite::Result<()> {
    steps::load(c)?;
    attempts::load(c)
}

fn migrate(c: &Connection) -> Result<(), DbError> {
    apply_migrations(c, SQLITE_MIGRATIONS)
}

/// Applies those of `migrations` not applied yet (tests stop at an older version).
fn apply_migrations(c: &Connection, migrations: &[(i64, &str, &str)]) -> Result<(), DbError> {
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )?;
    for (version, name, sql) in migrations {
        c.execute_batch("BEGIN IMMEDIATE")?;
        let applied = (|| {
            let done = query_one(
                c,
                "SELECT version FROM schema_migrations WHERE version = $1",
                &[version],
                |r| r.get::<_, i64>(0),
            )?;
            if done.is_none() {
                tracing::info!(version, name, "applying migration");
                c.execute_batch(sql)?;
                execute(
                    c,
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    &[version, name],
                )?;
            }
            c.execute_batch("COMMIT")
        })();
        if let Err(e) = applied {
            rollback(c)?;
            return Err(e.into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of its own for a test's database files, removed afterwards.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new(test: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!("authy-db-{test}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn url(&self, file: &str) -> String {
            format!("sqlite://{}/{file}", self.0.display())
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Application 1 and its user 1, for tests on a raw connection.
    const APP_1_USER_1: &str = "INSERT INTO apps (id, object_id, name, key_hash, key_enc, created_at) VALUES (1, 'o', 'a', 'h', 'e', 1);
         INSERT INTO users (id, app_id, object_id, country_code, cellphone, email, created_at)
             VALUES (1, 1, 'o', 1, '5551234567', 'a@example.com', 1);";

    /// An application per `(name, clock offset)`, each with one user.
    async fn users_with_clock_offsets(db: &Db, offsets: &[(&str, i64)]) -> Vec<(UserRow, i64)> {
        let mut users = Vec::new();
        for &(name, offset) in offsets {
            let app = db.insert_app(name, name, "enc", None, 1).await.unwrap();
            db.set_clock_offset(app.id, offset).await.unwrap();
            let (user, _) = db
                .create_user(app.id, 1, "5551234567", "a@example.com", 1)
                .await
                .unwrap();
            users.push((user, offset));
        }
        users
    }

    /// A database file of the test's own, with one application named after the test.
    async fn file_db_with_app(test: &str) -> (TempDir, String, Db, AppRow) {
        let dir = TempDir::new(test);
        let url = dir.url(&format!("{test}.db"));
        let db = Db::connect(&url).await.unwrap();
        let app = db.insert_app(test, "hash", "enc", None, 1).await.unwrap();
        (dir, url, db, app)
    }

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
        let dir = TempDir::new("durability");
        let file = dir.url("durability.db");
        for url in ["sqlite::memory:", file.as_str()] {
            for (durability, expected) in [(Durability::Full, 2i64), (Durability::Normal, 1)] {
                let db = Db::connect_with(url, durability).await.unwrap();
                let level = db.read(|c| count(c, "PRAGMA synchronous", &[])).unwrap();
                assert_eq!(level, expected, "{url} {durability:?}");
                db.close().await;
            }
        }
    }

    #[tokio::test]
    async fn commits_reach_the_database_file_without_waiting_for_the_writer() {
        let dir = TempDir::new("checkpoint");
        let db = Db::connect(&dir.url("checkpoint.db")).await.unwrap();
        // Far fewer than the 1,000 WAL pages after which the writer would
        // checkpoint itself: only the checkpoint thread copies these.
        for n in 0..20 {
            db.insert_app(&format!("app {n}"), &format!("hash {n}"), "enc", None, 1)
                .await
                .unwrap();
        }
        let pages = db.read(|c| count(c, "PRAGMA page_count", &[])).unwrap();
        let page_size = db.read(|c| count(c, "PRAGMA page_size", &[])).unwrap();
        let file = dir.0.join("checkpoint.db");
        let copied = || std::fs::metadata(&file).unwrap().len() >= (pages * page_size) as u64;
        let deadline = Instant::now() + Duration::from_secs(5);
        while !copied() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            copied(),
            "the database file lacks pages that are only in the WAL"
        );
        db.close().await;
    }

    #[tokio::test]
    async fn readers_of_a_file_cannot_write() {
        let dir = TempDir::new("read-only");
        let db = Db::connect(&dir.url("ro.db")).await.unwrap();
        let write = db.read(|c| execute(c, "DELETE FROM apps", &[]));
        assert!(
            write.unwrap_err().to_string().contains("readonly"),
            "a reader wrote"
        );
        db.close().await;
    }

    #[tokio::test]
    async fn a_second_server_cannot_take_a_database_file_in_use() {
        let (dir, url, first, _) = file_db_with_app("in-use").await;
        let path = dir.0.join("in-use.db");
        let second = conn::own(&path, Duration::from_millis(100));
        match second {
            Err(DbError::InUse(held)) => assert_eq!(held, path),
            other => panic!("a second server took the file: {other:?}"),
        }
        // A server started while the first is stopping waits for it.
        let (again, ()) = tokio::join!(Db::connect(&url), async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            first.close().await;
        });
        let again = again.unwrap();
        assert_eq!(again.app_count().await.unwrap(), 1);
        again.close().await;
    }

    #[tokio::test]
    async fn close_keeps_every_write_refuses_later_ones_and_leaves_no_wal() {
        let (dir, url, db, app) = file_db_with_app("close").await;
        // A read leaves a reader connection in the pool.
        assert_eq!(db.app_count().await.unwrap(), 1);
        db.close().await;
        let late = db.set_clock_offset(app.id, 5).await;
        assert!(matches!(late, Err(DbError::WriterGone)), "{late:?}");
        assert!(
            !dir.0.join("close.db-wal").exists(),
            "the last connection to close checkpoints and removes the WAL"
        );
        let db = Db::connect(&url).await.unwrap();
        let again = db.app(app.id).await.unwrap().expect("the app was kept");
        assert_eq!(again.clock_offset, 0, "the refused write left nothing");
        db.close().await;
    }

    #[tokio::test]
    async fn migrations_5_and_7_keep_the_failures_and_drop_what_nobody_read() {
        let dir = TempDir::new("migration-5");
        let url = dir.url("m5.db");
        // A database as migrations 1 to 4 left it, with two failures and a
        // success row (none is written any more, but one may exist).
        let c = conn::open(&Location::parse(&url).unwrap(), Durability::Full, true).unwrap();
        apply_migrations(&c, &SQLITE_MIGRATIONS[..4]).unwrap();
        c.execute_batch(APP_1_USER_1).unwrap();
        let (app_id, user_id) = (1i64, 1i64);
        for (at, succeeded) in [(100, 0), (200, 1), (300, 0)] {
            execute(
                &c,
                "INSERT INTO verify_attempts (app_id, user_id, at, succeeded) VALUES ($1, $2, $3, $4)",
                &[&app_id, &user_id, &at, &succeeded],
            )
            .unwrap();
        }
        apply_migrations(&c, &SQLITE_MIGRATIONS[..5]).unwrap();
        let attempts = query_all(&c, "SELECT at FROM verify_attempts ORDER BY at", &[], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap();
        assert_eq!(
            attempts,
            [100, 300],
            "the failures are kept, the success is not"
        );
        let columns = query_all(
            &c,
            "SELECT name FROM pragma_table_info('verify_attempts')",
            &[],
            |r| r.get::<_, String>(0),
        )
        .unwrap();
        assert_eq!(columns, ["id", "app_id", "user_id", "at"]);
        let indexes = count(
            &c,
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'verify_attempts'",
            &[],
        )
        .unwrap();
        assert_eq!(indexes, 2);
        let sequences = count(
            &c,
            "SELECT COUNT(*) FROM sqlite_sequence WHERE name = 'verify_attempts'",
            &[],
        )
        .unwrap();
        assert_eq!(sequences, 0);
        drop(c);

        // Migration 7 keeps them too, and the limit still counts them, now
        // from the writer's memory.
        let db = Db::connect(&url).await.unwrap();
        let user = db.user(app_id, user_id).await.unwrap().unwrap();
        let limited = db
            .verify_attempt(&user, 400, 0, 2, Claim::Nothing)
            .await
            .unwrap();
        assert_eq!(limited, Verdict::Limited { oldest: 100 });
        let indexes = db
            .read(|c| {
                query_all(
                    c,
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'verify_attempts'",
                    &[],
                    |r| r.get::<_, String>(0),
                )
            })
            .unwrap();
        assert_eq!(indexes, ["verify_attempts_by_app_time"]);
        // Deleting the user forgets them at once; the rows go with the pruning.
        assert!(db.delete_user(app_id, user_id).await.unwrap());
        let remembered = db
            .write(|c| Ok(count(c, "SELECT COUNT(*) FROM temp.recent_failures", &[])?))
            .await
            .unwrap();
        assert_eq!(remembered, 0);
        assert_eq!(db.prune_verify_attempts(1_000, 600).await.unwrap(), 2);
        db.close().await;
    }

    #[tokio::test]
    async fn pruning_forgets_only_attempts_outside_their_applications_window() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        let (window, now) = (600, 10_000);
        let users: Vec<_> = users_with_clock_offsets(&db, &[("on time", 0), ("ahead", 1_000)])
            .await
            .into_iter()
            .map(|(user, _)| user)
            .collect();
        for user in &users {
            // Wrong tokens at these application times, each a recorded failure.
            for at in [now - 700, now - 600, now - 599, now + 500] {
                let verdict = db
                    .verify_attempt(user, at, at - window, 20, Claim::Nothing)
                    .await
                    .unwrap();
                assert_eq!(verdict, Verdict::Rejected);
            }
        }
        let forgotten = db.prune_verify_attempts(now, window).await.unwrap();
        // What the table keeps, after checking the writer's memory agrees.
        let kept = |user: i64| {
            let [table, memory] = ["verify_attempts", "temp.recent_failures"].map(|table| {
                db.read(|c| {
                    query_all(
                        c,
                        &format!("SELECT at FROM {table} WHERE user_id = $1 ORDER BY at"),
                        &[&user],
                        |r| r.get::<_, i64>(0),
                    )
                })
                .unwrap()
            });
            assert_eq!(table, memory);
            table
        };
        // On time: `now - 600` is the window's open start, so it is out.
        assert_eq!(kept(users[0].id), [now - 599, now + 500]);
        // Ahead by 1,000 s, its window starts at `now + 400`.
        assert_eq!(kept(users[1].id), [now + 500]);
        assert_eq!(forgotten, 5);

        // More than one delete's worth: every one goes, over several writes.
        let (app_id, user_id) = (users[0].app_id, users[0].id);
        let old = (2 * PRUNE_BATCH + 5) as usize;
        db.write(move |c| {
            for _ in 0..old {
                execute(
                    c,
                    "INSERT INTO verify_attempts (app_id, user_id, at) VALUES ($1, $2, $3)",
                    &[&app_id, &user_id, &(now - 700)],
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(db.prune_verify_attempts(now, window).await.unwrap(), old);
        assert_eq!(kept(user_id), [now - 599, now + 500]);
    }

    /// Verifies `step` of `seed` for the user at application time `now`, with no failure limit.
    async fn claim(db: &Db, user: &UserRow, seed: Seed, step: i64, now: i64) -> Verdict {
        db.verify_attempt(user, now, 0, 0, Claim::Step { seed, step })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn used_steps_survive_a_restart_and_a_new_seed_starts_over() {
        let (_dir, url, db, app) = file_db_with_app("used-steps").await;
        let (user, _) = db
            .create_user(app.id, 1, "5551234567", "a@example.com", 1)
            .await
            .unwrap();
        assert!(!user.confirmed);
        let who = &user;
        let now = 1_000;
        db.set_device(user.id, 7, "android", "seed-1", now)
            .await
            .unwrap();
        use {
            Seed::Device as D, Seed::Generic as G, Verdict::Accepted as Yes, Verdict::Reused as No,
        };
        // The generic secret's steps are its own.
        expect(
            &db,
            who,
            now,
            &[(D, 100, Yes), (D, 100, No), (D, 99, No), (G, 99, Yes)],
        )
        .await;
        assert!(db.user(app.id, user.id).await.unwrap().unwrap().confirmed);
        db.close().await;

        // A restart remembers both.
        let db = Db::connect(&url).await.unwrap();
        expect(&db, who, now, &[(D, 100, No), (G, 99, No), (D, 101, Yes)]).await;
        // A new device is a new secret: its codes of earlier steps are its own.
        db.set_device(user.id, 8, "ios", "seed-2", now)
            .await
            .unwrap();
        db.set_generic_seed(user.id, "generic-2", now)
            .await
            .unwrap();
        expect(&db, who, now, &[(D, 50, Yes), (G, 50, Yes)]).await;
        db.close().await;

        // ...after a restart too: the log's markers cancel the old secrets' steps.
        let db = Db::connect(&url).await.unwrap();
        expect(&db, who, now, &[(D, 50, No), (D, 51, Yes), (G, 51, Yes)]).await;
        db.close().await;
    }

    /// Verifies each `(seed, step)` in turn, as [`claim`] does, and checks its verdict.
    async fn expect(db: &Db, user: &UserRow, now: i64, cases: &[(Seed, i64, Verdict)]) {
        for &(seed, step, verdict) in cases {
            let got = claim(db, user, seed, step, now).await;
            assert_eq!(got, verdict, "{seed:?} step {step}");
        }
    }

    #[test]
    fn migration_6_moves_the_last_steps_into_the_log() {
        let c = conn::open(&Location::Memory, Durability::Full, true).unwrap();
        apply_migrations(&c, &SQLITE_MIGRATIONS[..5]).unwrap();
        c.execute_batch(
            "INSERT INTO apps (id, object_id, name, key_hash, key_enc, created_at) VALUES (1, 'o', 'a', 'h', 'e', 1);
             INSERT INTO users (id, app_id, object_id, country_code, cellphone, email, created_at, generic_last_step, device_last_step)
                 VALUES (1, 1, 'o', 1, '5551234567', 'a@example.com', 1, 40, 90),
                        (2, 1, 'p', 1, '5557654321', 'b@example.com', 1, NULL, NULL);",
        )
        .unwrap();
        migrate(&c).unwrap();
        load_memory(&c).unwrap();
        let logged = query_all(
            &c,
            "SELECT user_id, seed, step FROM used_steps ORDER BY seed",
            &[],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )
        .unwrap();
        assert_eq!(
            logged,
            [(1, "device".to_owned(), 90), (1, "generic".to_owned(), 40)]
        );
        let left = count(
            &c,
            "SELECT COUNT(*) FROM pragma_table_info('users') WHERE name LIKE '%last_step'",
            &[],
        )
        .unwrap();
        assert_eq!(left, 0);
        // The steps accepted before the upgrade still count.
        let claim =
            |seed, step| steps::claim(&c, (1, 1), (0, i64::MAX), (seed, step), 1_000).unwrap();
        assert!(!claim(Seed::Device, 90));
        assert!(!claim(Seed::Generic, 40));
        assert!(claim(Seed::Device, 91));
        assert!(claim(Seed::Generic, 41));
    }

    #[test]
    fn a_rolled_back_step_or_failure_is_not_remembered() {
        // The writer rolls a batch back when one of its writes fails, then runs
        // each write again alone: the memory must forget what the batch did.
        let c = conn::open(&Location::Memory, Durability::Full, true).unwrap();
        migrate(&c).unwrap();
        load_memory(&c).unwrap();
        c.execute_batch(APP_1_USER_1).unwrap();
        let step = (Seed::Device, 100);
        c.execute_batch("BEGIN IMMEDIATE").unwrap();
        assert!(steps::claim(&c, (1, 1), (0, i64::MAX), step, 1_000).unwrap());
        attempts::record(&c, 1, 1, 1_000).unwrap();
        assert_eq!(attempts::since(&c, 1, 0).unwrap(), (1, Some(1_000)));
        rollback(&c).unwrap();
        assert_eq!(attempts::since(&c, 1, 0).unwrap(), (0, None));
        assert!(steps::claim(&c, (1, 1), (0, i64::MAX), step, 1_000).unwrap());
        assert!(!steps::claim(&c, (1, 1), (0, i64::MAX), step, 1_000).unwrap());
        let logged = count(&c, "SELECT COUNT(*) FROM used_steps", &[]).unwrap();
        assert_eq!(logged, 1);
    }

    #[tokio::test]
    async fn pruning_forgets_only_steps_no_window_reaches() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        let now = 100_000;
        let memory = steps::STEP_MEMORY;
        let users = users_with_clock_offsets(&db, &[("on time", 0), ("ahead", 10_000)]).await;
        // In the log's order: a step of each user beyond the memory, then one
        // just within it, then the on-time user's old step again (a generic one).
        let written = [
            (0, Seed::Device, 10, now - memory - 1),
            (1, Seed::Device, 10, now - memory - 1),
            (0, Seed::Device, 20, now - memory + 1),
            (1, Seed::Device, 20, now - memory + 1),
            (0, Seed::Generic, 10, now - memory - 1),
        ];
        for (user, seed, step, at) in written {
            let (who, offset) = (&users[user].0, users[user].1);
            assert_eq!(
                claim(&db, who, seed, step, at + offset).await,
                Verdict::Accepted
            );
        }
        let log = || {
            db.read(|c| {
                query_all(
                    c,
                    "SELECT user_id, step FROM used_steps ORDER BY rowid",
                    &[],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
                )
            })
            .unwrap()
        };
        let memory_rows = || {
            db.read(|c| count(c, "SELECT COUNT(*) FROM temp.recent_steps", &[]))
                .unwrap()
        };
        assert_eq!(memory_rows(), 3);
        assert_eq!(db.prune_used_steps(now).await.unwrap(), 2);
        // The front of the log went, each application by its own clock; the
        // old generic step stays behind a newer row, which only keeps it longer.
        let (on_time, ahead) = (users[0].0.id, users[1].0.id);
        assert_eq!(log(), [(on_time, 20), (ahead, 20), (on_time, 10)]);
        // In memory, the forgotten generic step went; the others stay.
        assert_eq!(memory_rows(), 2);
        for (who, offset) in &users {
            assert_eq!(
                claim(&db, who, Seed::Device, 20, now + offset).await,
                Verdict::Reused
            );
        }
        // Once nothing is within reach, everything goes, over several writes.
        let later = now + memory;
        assert_eq!(db.prune_used_steps(later).await.unwrap(), 3);
        assert_eq!(log(), []);
        // The memory goes by the smallest offset of all applications: the
        // application ahead keeps its step longer there, never shorter.
        assert_eq!(memory_rows(), 1);
        let who = (users[0].0.app_id, users[0].0.id);
        let many = (2 * PRUNE_BATCH + 5) as usize;
        db.write(move |c| {
            for step in 0..many as i64 {
                steps::claim(c, who, (0, i64::MAX), (Seed::Device, step), later)?;
            }
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(memory_rows(), 2);
        assert_eq!(db.prune_used_steps(later + memory + 1).await.unwrap(), many);
        assert_eq!(memory_rows(), 1);
    }

    #[tokio::test]
    async fn migrations_apply_once_and_reset_clears_every_table() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        // Migrating again changes nothing (the in-memory database has one connection).
        db.read(|c| Ok(migrate(c))).unwrap().unwrap();
        let tables = db
            .read(|c| {
                query_all(
                    c,
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%app_id BIGINT%'",
                    &[],
                    |r| r.get::<_, String>(0),
                )
            })
            .unwrap();
        assert!(tables.len() >= 9, "{tables:?}");
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
