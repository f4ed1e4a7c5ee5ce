//! Failed verification attempts, counted against the guessing limit
//! (WIRE.md §8.5): a user with too many failures in the window is refused,
//! even with a good token.
//!
//! `verify_attempts` is the durable record. It has no index by user: that
//! index put every failure on a random page of its own, most of what a wrong
//! token cost the disk. The counting reads the writer connection's TEMP table
//! `recent_failures` instead, a copy of the table's rows indexed by user.
//! Being TEMP it is never written to the database file, and being part of the
//! writer's transactions it rolls back with them, so the two never disagree.
//! [`load`] fills it when the server starts. As with the used steps (see
//! `steps.rs`), one server uses a SQLite file at a time.

use rusqlite::Connection;

use super::conn::{execute, query_one};

/// Whether user `$1` has fewer than `$3` failed attempts since `$2`: part of
/// every statement that accepts a token.
pub const UNDER_LIMIT: &str =
    "(SELECT COUNT(*) FROM temp.recent_failures WHERE user_id = $1 AND at > $2) < $3";

/// Creates the memory on the writer's connection and fills it from
/// `verify_attempts` (which the pruning keeps to the window).
pub fn load(c: &Connection) -> rusqlite::Result<()> {
    c.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS recent_failures (
             id INTEGER PRIMARY KEY,
             user_id INTEGER NOT NULL,
             at INTEGER NOT NULL
         );
         CREATE INDEX IF NOT EXISTS temp.recent_failures_by_user ON recent_failures (user_id, at);
         DELETE FROM temp.recent_failures;
         INSERT INTO temp.recent_failures (id, user_id, at) SELECT id, user_id, at FROM verify_attempts;",
    )
}

/// The user's failures since `since`, and the time of the oldest of them.
pub fn since(c: &Connection, user_id: i64, since: i64) -> rusqlite::Result<(i64, Option<i64>)> {
    let found = query_one(
        c,
        "SELECT COUNT(*), MIN(at) FROM temp.recent_failures WHERE user_id = $1 AND at > $2",
        &[&user_id, &since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(found.unwrap_or_default())
}

/// Records a failed attempt at `now` (the application's clock). Runs in a write.
pub fn record(c: &Connection, app_id: i64, user_id: i64, now: i64) -> rusqlite::Result<()> {
    execute(
        c,
        "INSERT INTO verify_attempts (app_id, user_id, at) VALUES ($1, $2, $3)",
        &[&app_id, &user_id, &now],
    )?;
    let id = c.last_insert_rowid();
    execute(
        c,
        "INSERT INTO temp.recent_failures (id, user_id, at) VALUES ($1, $2, $3)",
        &[&id, &user_id, &now],
    )?;
    Ok(())
}

/// Forgets up to `batch` of the application's attempts made at or before
/// `last_dead`, from the table and the memory. Returns how many went.
pub fn prune(c: &Connection, app_id: i64, last_dead: i64, batch: i64) -> rusqlite::Result<usize> {
    // Ordered, so both deletes take the same rows.
    const DEAD: &str =
        "SELECT id FROM verify_attempts WHERE app_id = $1 AND at <= $2 ORDER BY at, id LIMIT $3";
    let values: [&dyn rusqlite::ToSql; 3] = [&app_id, &last_dead, &batch];
    execute(
        c,
        &format!("DELETE FROM temp.recent_failures WHERE id IN ({DEAD})"),
        &values,
    )?;
    execute(
        c,
        &format!("DELETE FROM verify_attempts WHERE id IN ({DEAD})"),
        &values,
    )
}

/// Forgets the failures of the application's users, before its tables are
/// emptied.
pub fn forget_app(c: &Connection, app_id: i64) -> rusqlite::Result<()> {
    execute(
        c,
        "DELETE FROM temp.recent_failures WHERE id IN (SELECT id FROM verify_attempts WHERE app_id = $1)",
        &[&app_id],
    )?;
    Ok(())
}

/// Forgets a deleted user's failures. Their rows in `verify_attempts` stay
/// until pruned: ids are never reused, so they count for nobody.
pub fn forget_user(c: &Connection, user_id: i64) -> rusqlite::Result<()> {
    execute(
        c,
        "DELETE FROM temp.recent_failures WHERE user_id = $1",
        &[&user_id],
    )?;
    Ok(())
}
