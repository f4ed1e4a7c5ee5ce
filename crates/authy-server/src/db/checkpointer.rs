//! Checkpoints beside the writer rather than in its way.
//!
//! In WAL mode a commit appends pages to the WAL, and a checkpoint copies them
//! back into the database file. SQLite checkpoints in the committing
//! connection once the WAL holds 1,000 pages: here that is the writer thread,
//! and every request of the next batch waits for the copy and its fsync. With
//! 1M users, where each verification dirties its own page, those stalls made
//! most of the valid run's 9-10 ms p99.
//!
//! This thread runs a passive checkpoint every [`PERIOD`]. A passive
//! checkpoint copies what is committed without blocking the writer or the
//! readers (and a writer that tries to checkpoint meanwhile gives up at once
//! instead of waiting), so when the writer's own checkpoint comes there is
//! little left to copy. The writer's stays: under steady load only a
//! checkpoint that no commit overtakes lets the WAL start again from its
//! beginning, and that is the writer's, between two batches.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// How often the thread checkpoints. A pass with nothing to copy costs a few
/// reads of the shared WAL index.
const PERIOD: Duration = Duration::from_millis(10);

/// The checkpoint thread; dropping this stops it.
#[derive(Debug)]
pub struct Checkpointer {
    /// Never sent on: dropping it tells the thread to stop.
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database of `conn`, which the thread owns.
    pub fn spawn(conn: Connection) -> std::io::Result<Checkpointer> {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("authy-db-checkpoint".into())
            .spawn(move || run(conn, stopped))?;
        Ok(Checkpointer { stop, thread })
    }

    /// Stops the thread and waits until its connection is closed.
    pub fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

fn run(conn: Connection, stopped: mpsc::Receiver<()>) {
    // Only a disconnection ends the wait early: the handle never sends.
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(PERIOD) {
        // Cached: parsing the statement again cost more than an idle pass.
        let pass = conn
            .prepare_cached("PRAGMA wal_checkpoint(PASSIVE)")
            .and_then(|mut pass| pass.query_row([], |_| Ok(())));
        if let Err(e) = pass {
            tracing::warn!(error = %e, "a background checkpoint failed");
        }
    }
}
