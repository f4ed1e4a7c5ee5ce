//! Group commit: every write of the store goes through one thread.
//!
//! The writer takes the writes waiting at that moment (up to [`MAX_BATCH`]),
//! runs them one after the other in one `BEGIN IMMEDIATE` transaction, commits,
//! and only then answers their callers. With `synchronous = FULL` a commit costs
//! one flush of the disk, so one flush covers every concurrent request instead
//! of one each, and nothing is acknowledged before it is durable. Being the only
//! writer also serialises writes without lock contention: a write sees every
//! write before it, so conditional updates (a code accepted once, an attempt
//! limit) stay exact.
//!
//! The writer is an OS thread that owns its connection, and a write is a plain
//! closure over it: a batch of any size costs one wake-up of the thread, not
//! one per statement.
//!
//! A write that fails rolls the whole batch back, and the writer then runs each
//! write of the batch alone, in its own transaction: the failure costs only its
//! own caller, and every write stays all-or-nothing without the price of a
//! savepoint per write. That is why a write is a `Fn` that may run more than once.

use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::DbError;
use super::conn::{WriterConn, rollback};

/// The most writes one commit covers.
pub const MAX_BATCH: usize = 256;

/// What the writer is asked to do.
pub enum Message {
    /// Run this write in a coming batch.
    Write(Box<dyn Write>),
    /// Finish the batch under way, close the connection, then say so. Writes
    /// queued after this one are refused.
    Stop(oneshot::Sender<()>),
}

/// A write and its caller.
pub trait Write: Send {
    /// Runs the write on `conn`, keeping its result; returns whether it succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller with the last run's result, unless `failure` (the
    /// commit, or the batch before this write ran, failed).
    fn answer(self: Box<Self>, failure: Option<Arc<rusqlite::Error>>);
}

struct Pending<T, F> {
    job: F,
    result: Option<Result<T, DbError>>,
    caller: oneshot::Sender<Result<T, DbError>>,
}

impl<T, F> Write for Pending<T, F>
where
    T: Send + 'static,
    F: Fn(&Connection) -> Result<T, DbError> + Send + 'static,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let result = (self.job)(conn);
        let succeeded = result.is_ok();
        self.result = Some(result);
        succeeded
    }

    fn answer(self: Box<Self>, failure: Option<Arc<rusqlite::Error>>) {
        let answer = match (self.result, failure) {
            (Some(Err(e)), _) => Err(e),
            (_, Some(e)) => Err(DbError::Commit(e)),
            (Some(ok), None) => ok,
            (None, None) => Err(DbError::WriterGone),
        };
        // The caller may have gone (its request was cancelled); the write stands.
        let _ = self.caller.send(answer);
    }
}

/// Queues `job` for the writer and waits until it is durable (or failed).
pub async fn write<T, F>(writer: &mpsc::Sender<Message>, job: F) -> Result<T, DbError>
where
    T: Send + 'static,
    F: Fn(&Connection) -> Result<T, DbError> + Send + 'static,
{
    let (caller, answered) = oneshot::channel();
    let pending = Pending {
        job,
        result: None,
        caller,
    };
    writer
        .send(Message::Write(Box::new(pending)))
        .await
        .map_err(|_| DbError::WriterGone)?;
    answered.await.map_err(|_| DbError::WriterGone)?
}

/// Starts the writer thread. It runs until every sender is gone or it is
/// told to stop.
pub fn spawn(conn: WriterConn, inbox: mpsc::Receiver<Message>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("authy-db-writer".into())
        .spawn(move || run(conn, inbox))?;
    Ok(())
}

fn run(mut conn: WriterConn, mut inbox: mpsc::Receiver<Message>) {
    let mut batch: Vec<Box<dyn Write>> = Vec::with_capacity(MAX_BATCH);
    let mut stopped = None;
    while let Some(first) = inbox.blocking_recv() {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Write(job) => batch.push(job),
                Message::Stop(done) => {
                    stopped = Some(done);
                    break;
                }
            }
            if batch.len() < MAX_BATCH {
                next = inbox.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            conn.with(|c| commit(c, &mut batch));
        }
        if stopped.is_some() {
            break;
        }
    }
    // Refuse what is still queued, then close the connection (the last one
    // to close checkpoints the WAL) before saying the writer is done.
    drop(inbox);
    drop(conn);
    if let Some(done) = stopped {
        let _ = done.send(());
    }
}

/// Runs `batch` as one transaction, or each write alone if one fails, and
/// answers every caller.
fn commit(c: &Connection, batch: &mut Vec<Box<dyn Write>>) {
    match run_together(c, batch) {
        Ok(true) => batch.drain(..).for_each(|job| job.answer(None)),
        Ok(false) => {
            for mut job in batch.drain(..) {
                let failure = run_together(c, std::slice::from_mut(&mut job));
                job.answer(failure.err().map(Arc::new));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, writes = batch.len(), "a batch of writes failed");
            let failure = Arc::new(e);
            batch
                .drain(..)
                .for_each(|job| job.answer(Some(failure.clone())));
        }
    }
}

/// Runs `jobs` in one transaction, committed only if every one succeeds.
/// Returns whether it was committed.
fn run_together(c: &Connection, jobs: &mut [Box<dyn Write>]) -> rusqlite::Result<bool> {
    c.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    for job in jobs.iter_mut() {
        if !job.run(c) {
            rollback(c)?;
            return Ok(false);
        }
    }
    if let Err(e) = c.prepare_cached("COMMIT")?.execute([]) {
        // A failed COMMIT may leave the transaction open.
        rollback(c)?;
        return Err(e);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(ids: &'static [i64]) -> impl Fn(&Connection) -> Result<(), DbError> + Send + 'static {
        move |c| {
            for id in ids {
                c.execute("INSERT INTO t (id) VALUES (?1)", [id])?;
            }
            Ok(())
        }
    }

    fn table() -> Arc<std::sync::Mutex<Connection>> {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute("CREATE TABLE t (id BIGINT PRIMARY KEY)", [])
            .unwrap();
        Arc::new(std::sync::Mutex::new(conn))
    }

    #[tokio::test]
    async fn a_failing_write_costs_only_its_caller_and_keeps_nothing_of_itself() {
        let conn = table();
        let (sender, inbox) = mpsc::channel(16);
        // All three are queued before the writer starts, so they form one batch:
        // the second inserts 2 and then fails on a duplicate 1.
        let mut calls = tokio::task::JoinSet::new();
        for ids in [&[1][..], &[2, 1][..], &[3][..]] {
            let sender = sender.clone();
            calls.spawn(async move { (ids, write(&sender, insert(ids)).await) });
            tokio::task::yield_now().await;
        }
        assert_eq!(inbox.len(), 3, "the writes are queued as one batch");
        spawn(WriterConn::Shared(conn.clone()), inbox).unwrap();
        let mut answers = calls.join_all().await;
        answers.sort_by_key(|(ids, _)| ids[0]);
        assert!(answers[0].1.is_ok(), "{:?}", answers[0].1);
        assert!(
            matches!(answers[1].1, Err(DbError::Sqlite(_))),
            "{:?}",
            answers[1].1
        );
        assert!(answers[2].1.is_ok(), "{:?}", answers[2].1);
        let conn = conn.lock().unwrap();
        let mut statement = conn.prepare("SELECT id FROM t ORDER BY id").unwrap();
        let kept: Vec<i64> = statement
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            kept,
            [1, 3],
            "the failed write left nothing, the others once each"
        );
    }

    #[tokio::test]
    async fn writes_queued_after_a_stop_are_refused() {
        let (sender, inbox) = mpsc::channel(16);
        let (stopped, done) = oneshot::channel();
        sender.send(Message::Stop(stopped)).await.unwrap();
        let late = tokio::spawn({
            let sender = sender.clone();
            async move { write(&sender, insert(&[1])).await }
        });
        tokio::task::yield_now().await;
        spawn(WriterConn::Shared(table()), inbox).unwrap();
        done.await.unwrap();
        let answer = late.await.unwrap();
        assert!(matches!(answer, Err(DbError::WriterGone)), "{answer:?}");
        let answer = write(&sender, insert(&[2])).await;
        assert!(matches!(answer, Err(DbError::WriterGone)), "{answer:?}");
    }
}
