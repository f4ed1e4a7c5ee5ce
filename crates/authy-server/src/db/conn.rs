//! SQLite connections: where they point, how they are opened, how readers
//! borrow them, and how a statement binds its `$1`, `$2`, … parameters.
//!
//! The SQL keeps PostgreSQL's `$n` placeholders. SQLite reads `$1` as a
//! *named* parameter whose index is the order of first appearance, so values
//! are bound by name (`"$1"`), never by position: a statement may use `$4`
//! before `$1`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::types::ToSql;
use rusqlite::{CachedStatement, Connection, Row};

use super::{DbError, Durability};

/// Where the database lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A file, created if missing.
    File(PathBuf),
    /// One in-memory database, gone with the last clone of its `Db`.
    Memory,
}

impl Location {
    /// Reads `sqlite://PATH`, `sqlite:PATH` or `sqlite::memory:`.
    pub fn parse(url: &str) -> Result<Location, DbError> {
        let unsupported = || DbError::Unsupported(url.to_owned());
        let rest = url.strip_prefix("sqlite:").ok_or_else(unsupported)?;
        if rest.starts_with(":memory:") || url.contains("mode=memory") {
            return Ok(Location::Memory);
        }
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(unsupported());
        }
        Ok(Location::File(PathBuf::from(path)))
    }
}

/// How long a connection waits for a lock held by another process before the
/// statement fails (the server's own writes never wait: there is one writer).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection: every statement of `Db` fits.
const STATEMENT_CACHE: usize = 128;

/// Takes the database file for this process: an exclusive `flock`, held until
/// the returned file is closed or the process ends (a crash included). The
/// writer's memory of used steps and failed attempts is only right while it is
/// the file's only writer, so a second server on the same file is refused,
/// after waiting up to `patience` for the first to finish stopping (as when a
/// restart overlaps). SQLite's own locks are `fcntl` locks, which `flock` leaves
/// alone. On a file system without `flock`, the server runs unguarded and says so.
pub fn own(path: &Path, patience: Duration) -> Result<Option<std::fs::File>, DbError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) => {
            tracing::warn!(error = %e, "cannot open the database file to lock it");
            return Ok(None);
        }
    };
    let deadline = std::time::Instant::now() + patience;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(DbError::InUse(path.to_owned()));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                tracing::warn!(error = %e, "cannot lock the database file against other servers");
                return Ok(None);
            }
        }
    }
}

/// Opens a connection and sets what every connection needs. `writer` also
/// switches a file database to WAL, which readers then share.
pub fn open(
    location: &Location,
    durability: Durability,
    writer: bool,
) -> rusqlite::Result<Connection> {
    let conn = match location {
        Location::File(path) => Connection::open(path)?,
        Location::Memory => Connection::open_in_memory()?,
    };
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", durability.synchronous())?;
    if writer {
        // The writer's TEMP tables (what it remembers of used steps and failed
        // attempts) stay in memory, never in a temporary file.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
    }
    if let Location::File(_) = location {
        if writer {
            // WAL lets readers run while the writer commits.
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        } else {
            // Every write goes through the writer; a reader refuses to write.
            conn.pragma_update(None, "query_only", "ON")?;
        }
    }
    Ok(conn)
}

/// Connections lent to readers.
///
/// A file database gets a connection per concurrent reader, opened on demand
/// and kept: reads run on the calling thread and never wait across an
/// `.await`, so there are never more than there are threads. An in-memory
/// database has exactly one connection, shared with the writer.
#[derive(Debug)]
pub enum Readers {
    Pool {
        location: Location,
        durability: Durability,
        idle: Mutex<Vec<Connection>>,
    },
    Shared(Arc<Mutex<Connection>>),
}

impl Readers {
    /// Runs `f` on a reader connection.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, DbError> {
        match self {
            Readers::Pool {
                location,
                durability,
                idle,
            } => {
                let conn = lock(idle).pop();
                let conn = match conn {
                    Some(conn) => conn,
                    None => open(location, *durability, false)?,
                };
                let result = f(&conn);
                lock(idle).push(conn);
                Ok(result?)
            }
            Readers::Shared(conn) => Ok(f(&lock(conn))?),
        }
    }

    /// Closes the idle connections (at shutdown).
    pub fn close(&self) {
        if let Readers::Pool { idle, .. } = self {
            lock(idle).clear();
        }
    }
}

/// The writer's connection: its own for a file, the shared one in memory.
pub enum WriterConn {
    Own(Connection),
    Shared(Arc<Mutex<Connection>>),
}

impl WriterConn {
    pub fn with<T>(&mut self, f: impl FnOnce(&Connection) -> T) -> T {
        match self {
            WriterConn::Own(conn) => f(conn),
            WriterConn::Shared(conn) => f(&lock(conn)),
        }
    }
}

/// A panic while a lock was held cannot leave a connection or the pool
/// inconsistent (SQLite rolls back what a statement did not finish).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Rolls back the transaction open on `c`, if any: a statement that failed
/// (or a failed `COMMIT`) may or may not have ended it.
pub fn rollback(c: &Connection) -> rusqlite::Result<()> {
    if !c.is_autocommit() {
        c.prepare_cached("ROLLBACK")?.execute([])?;
    }
    Ok(())
}

/// SQLite's names for `$1` … `$16`.
const PARAMETERS: [&str; 16] = [
    "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15",
    "$16",
];

/// The cached statement `sql` with `values` bound to `$1`, `$2`, …
fn prepare<'c>(
    c: &'c Connection,
    sql: &str,
    values: &[&dyn ToSql],
) -> rusqlite::Result<CachedStatement<'c>> {
    let mut statement = c.prepare_cached(sql)?;
    debug_assert_eq!(statement.parameter_count(), values.len(), "{sql}");
    for (name, value) in PARAMETERS.iter().zip(values) {
        statement.raw_bind_parameter(*name, value)?;
    }
    Ok(statement)
}

/// Runs a statement that returns no rows; returns how many rows it changed.
pub fn execute(c: &Connection, sql: &str, values: &[&dyn ToSql]) -> rusqlite::Result<usize> {
    prepare(c, sql, values)?.raw_execute()
}

/// The first row of a query, mapped.
pub fn query_one<T>(
    c: &Connection,
    sql: &str,
    values: &[&dyn ToSql],
    map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let mut statement = prepare(c, sql, values)?;
    let mut rows = statement.raw_query();
    rows.next()?.map(map).transpose()
}

/// Every row of a query, mapped.
pub fn query_all<T>(
    c: &Connection,
    sql: &str,
    values: &[&dyn ToSql],
    mut map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut statement = prepare(c, sql, values)?;
    let mut rows = statement.raw_query();
    let mut all = Vec::new();
    while let Some(row) = rows.next()? {
        all.push(map(row)?);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_file_or_memory() {
        for (url, expected) in [
            ("sqlite::memory:", Some(Location::Memory)),
            ("sqlite://x.db?mode=memory", Some(Location::Memory)),
            ("sqlite://authy.db", Some(Location::File("authy.db".into()))),
            (
                "sqlite:///tmp/a.db?mode=rwc",
                Some(Location::File("/tmp/a.db".into())),
            ),
            ("sqlite:authy.db", Some(Location::File("authy.db".into()))),
            ("sqlite://", None),
            ("postgres://localhost/authy", None),
        ] {
            assert_eq!(Location::parse(url).ok(), expected, "{url}");
        }
    }

    #[test]
    fn parameters_bind_by_name_whatever_their_order() {
        let c = Connection::open_in_memory().unwrap();
        // `$2` comes first, so SQLite gives it index 1: positional binding would say "ab".
        let got = query_one(&c, "SELECT $2 || $1", &[&"a", &"b"], |r| {
            r.get::<_, String>(0)
        })
        .unwrap();
        assert_eq!(got.as_deref(), Some("ba"));
    }
}
