//! Which TOTP steps each user has used: a step is accepted at most once, and
//! never one before a step already accepted (WIRE.md §8).
//!
//! Accepting a step writes nothing to `users`. Updating the user's row made
//! every verification write a 4 KB page wherever that user lived, twice (to the
//! WAL and at the checkpoint): most of what a verification cost the disk. Instead:
//!
//! - the durable record is an append-only log, `used_steps`: the rows of a
//!   batch land on the same few pages;
//! - the decision reads the writer connection's TEMP table `recent_steps`, the
//!   newest step per user and seed. A TEMP table is not written to the database
//!   file, but it belongs to the writer's transactions: a batch that rolls back
//!   takes its steps back with it, and the log and the memory cannot disagree;
//! - when the server starts, [`load`] rebuilds the memory from the log.
//!
//! Both forget a step once no TOTP window can reach it again ([`STEP_MEMORY`]):
//! a later code is always for a later step. The memory lives in one process, so
//! one server uses a SQLite file at a time (`conn::own` refuses a second one);
//! PostgreSQL, for many instances, will need its own way.

use std::collections::HashMap;
use std::sync::LazyLock;

use rusqlite::Connection;

use super::Seed;
use super::attempts::UNDER_LIMIT;
use super::conn::{execute, query_one};

/// How long, in seconds of the application's clock, a used step is remembered.
/// A step stays within reach for at most 90 s after it was accepted (70 s for
/// the Authy app's 10 s steps with ±3 of them, 90 s for a generic 30 s step
/// with ±1); the rest covers the machine's clock being set back.
pub const STEP_MEMORY: i64 = 300;

impl Seed {
    /// The name in `used_steps.seed`.
    fn name(self) -> &'static str {
        match self {
            Seed::Generic => "generic",
            Seed::Device => "device",
        }
    }
}

/// Creates the memory on the writer's connection and fills it from the log:
/// for each user and seed, the newest step since the seed was last replaced.
pub fn load(c: &Connection) -> rusqlite::Result<()> {
    c.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS recent_steps (
             user_id INTEGER NOT NULL,
             seed TEXT NOT NULL,
             step INTEGER NOT NULL,
             at INTEGER NOT NULL,
             PRIMARY KEY (user_id, seed)
         ) WITHOUT ROWID;
         DELETE FROM temp.recent_steps;",
    )?;
    // After a crash under load the log holds minutes of verifications
    // (millions of rows): one pass, nothing allocated per row.
    let mut newest: HashMap<(i64, Seed), (i64, i64)> = HashMap::new();
    let mut rows = c.prepare("SELECT user_id, seed, step, at FROM used_steps ORDER BY rowid")?;
    let mut rows = rows.query([])?;
    while let Some(row) = rows.next()? {
        let seed = match row.get_ref(1)?.as_str()? {
            "device" => Seed::Device,
            _ => Seed::Generic, // the table's CHECK allows only these two
        };
        let key = (row.get::<_, i64>(0)?, seed);
        match row.get::<_, Option<i64>>(2)? {
            // The seed was replaced: what came before is another secret's.
            None => {
                newest.remove(&key);
            }
            Some(step) => {
                let at = row.get(3)?;
                let kept = newest.entry(key).or_insert((step, at));
                if step > kept.0 {
                    *kept = (step, at);
                }
            }
        }
    }
    // In key order, so each insert lands at the end of the table.
    let mut newest: Vec<_> = newest.into_iter().collect();
    newest.sort_unstable_by_key(|&((user_id, seed), _)| (user_id, seed.name()));
    c.execute_batch("BEGIN")?;
    {
        let mut insert = c.prepare(
            "INSERT INTO temp.recent_steps (user_id, seed, step, at) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for ((user_id, seed), (step, at)) in newest {
            insert.execute(rusqlite::params![user_id, seed.name(), step, at])?;
        }
    }
    c.execute_batch("COMMIT")
}

/// Accepts `step` of the user's `seed` unless it is not newer than the last
/// step accepted, or the user is over the failure limit (the `$1`–`$3` of
/// [`UNDER_LIMIT`]). Returns whether it was accepted. Runs in a write.
pub fn claim(
    c: &Connection,
    (app_id, user_id): (i64, i64),
    (since, limit): (i64, i64),
    (seed, step): (Seed, i64),
    now: i64,
) -> rusqlite::Result<bool> {
    // One statement decides and remembers: an upsert that changes nothing
    // (an older step, or over the limit) reports no change.
    static CLAIM: LazyLock<String> = LazyLock::new(|| {
        format!(
            "INSERT INTO temp.recent_steps (user_id, seed, step, at) SELECT $1, $5, $4, $6 WHERE {UNDER_LIMIT} \
             ON CONFLICT (user_id, seed) DO UPDATE SET step = excluded.step, at = excluded.at \
             WHERE excluded.step > recent_steps.step"
        )
    });
    let seed = seed.name();
    let claimed = execute(c, &CLAIM, &[&user_id, &since, &limit, &step, &seed, &now])? == 1;
    if claimed {
        execute(
            c,
            "INSERT INTO used_steps (app_id, user_id, seed, step, at) VALUES ($1, $2, $3, $4, $5)",
            &[&app_id, &user_id, &seed, &step, &now],
        )?;
    }
    Ok(claimed)
}

/// The user's `seed` was replaced: its steps no longer count. Runs in the
/// write that replaces it.
pub fn forget_seed(c: &Connection, user_id: i64, seed: Seed, now: i64) -> rusqlite::Result<()> {
    let seed = seed.name();
    execute(
        c,
        "DELETE FROM temp.recent_steps WHERE user_id = $1 AND seed = $2",
        &[&user_id, &seed],
    )?;
    execute(
        c,
        "INSERT INTO used_steps (app_id, user_id, seed, step, at) \
         SELECT app_id, id, $2, NULL, $3 FROM users WHERE id = $1",
        &[&user_id, &seed, &now],
    )?;
    Ok(())
}

/// Forgets the steps of the application's users, before they are deleted
/// (the log's rows go with the application's other tables).
pub fn forget_app(c: &Connection, app_id: i64) -> rusqlite::Result<()> {
    execute(
        c,
        "DELETE FROM temp.recent_steps WHERE user_id IN (SELECT id FROM users WHERE app_id = $1)",
        &[&app_id],
    )?;
    Ok(())
}

/// Forgets a deleted user's steps. Their log rows stay until pruned: ids are
/// never reused, so nobody can claim them.
pub fn forget_user(c: &Connection, user_id: i64) -> rusqlite::Result<()> {
    execute(
        c,
        "DELETE FROM temp.recent_steps WHERE user_id = $1",
        &[&user_id],
    )?;
    Ok(())
}

/// Deletes up to `batch` rows from the front of the log, stopping at the
/// first row written within [`STEP_MEMORY`] of its application's clock (`now`
/// is the machine's clock). Pruning only ever removes a prefix of the log, so
/// a replaced seed's marker never goes before the steps it cancels, and each
/// call looks at no more than `batch` rows. Returns how many went.
pub fn prune_log(c: &Connection, now: i64, batch: i64) -> rusqlite::Result<usize> {
    // Rows of deleted applications are never kept.
    execute(
        c,
        "DELETE FROM used_steps WHERE rowid < COALESCE(
             (SELECT u.rowid FROM used_steps u JOIN apps a ON a.id = u.app_id
              WHERE u.rowid < (SELECT MIN(rowid) FROM used_steps) + $2 AND u.at > $1 + a.clock_offset
              ORDER BY u.rowid LIMIT 1),
             (SELECT MIN(rowid) FROM used_steps) + $2)",
        &[&(now - STEP_MEMORY), &batch],
    )
}

/// Deletes from the memory the steps of users `from..from + span` that the
/// log no longer needs to remember. `now` is the machine's clock; `offset` the
/// smallest application clock offset, so no step is forgotten early. Returns
/// where the next span starts, if any user is left after this one: a span at a
/// time, so that a million users never hold up the writer for long.
pub fn prune_memory(
    c: &Connection,
    now: i64,
    offset: i64,
    from: i64,
    span: i64,
) -> rusqlite::Result<Option<i64>> {
    execute(
        c,
        "DELETE FROM temp.recent_steps WHERE user_id >= $1 AND user_id < $1 + $2 AND at <= $3",
        &[&from, &span, &(now + offset - STEP_MEMORY)],
    )?;
    let next = query_one(
        c,
        "SELECT MIN(user_id) FROM temp.recent_steps WHERE user_id >= $1",
        &[&(from + span)],
        |r| r.get(0),
    )?;
    Ok(next.flatten())
}
