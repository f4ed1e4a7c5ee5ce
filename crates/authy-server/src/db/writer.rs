//! Group commit: every write of the store goes through one task.
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
//! A write that fails rolls the whole batch back, and the writer then runs each
//! write of the batch alone, in its own transaction: the failure costs only its
//! own caller, and every write stays all-or-nothing without the price of a
//! savepoint per write (measured: a quarter of the verifications per second).
//! That is why a write is a closure that may run more than once.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{mpsc, oneshot};

use super::DbError;

/// The most writes one commit covers.
pub const MAX_BATCH: usize = 256;

/// A future borrowing the writer's connection.
pub type BoxFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// One write waiting for the writer.
pub type Job = Box<dyn Write>;

/// A write and its caller.
pub trait Write: Send {
    /// Runs the write on `conn`, keeping its result; returns whether it succeeded.
    fn run<'c>(&'c mut self, conn: &'c mut AnyConnection) -> BoxFuture<'c, bool>;
    /// Answers the caller with the last run's result, unless `failure` (the
    /// commit, or the batch before this write ran, failed).
    fn answer(self: Box<Self>, failure: Option<Arc<sqlx::Error>>);
}

struct Pending<T, F> {
    job: F,
    result: Option<Result<T, DbError>>,
    caller: oneshot::Sender<Result<T, DbError>>,
}

impl<T, F> Write for Pending<T, F>
where
    T: Send + 'static,
    F: for<'c> Fn(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, DbError>> + Send + 'static,
{
    fn run<'c>(&'c mut self, conn: &'c mut AnyConnection) -> BoxFuture<'c, bool> {
        Box::pin(async move {
            let result = (self.job)(conn).await;
            let succeeded = result.is_ok();
            self.result = Some(result);
            succeeded
        })
    }

    fn answer(self: Box<Self>, failure: Option<Arc<sqlx::Error>>) {
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
pub async fn write<T, F>(writer: &mpsc::Sender<Job>, job: F) -> Result<T, DbError>
where
    T: Send + 'static,
    F: for<'c> Fn(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, DbError>> + Send + 'static,
{
    let (caller, answered) = oneshot::channel();
    let pending = Pending {
        job,
        result: None,
        caller,
    };
    writer
        .send(Box::new(pending))
        .await
        .map_err(|_| DbError::WriterGone)?;
    answered.await.map_err(|_| DbError::WriterGone)?
}

/// The writer task: runs until every sender is gone.
pub async fn run(pool: AnyPool, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match run_together(&pool, &mut batch).await {
            Ok(true) => batch.drain(..).for_each(|job| job.answer(None)),
            Ok(false) => {
                for mut job in batch.drain(..) {
                    let failure = run_together(&pool, std::slice::from_mut(&mut job)).await;
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
}

/// Runs `jobs` in one transaction, committed only if every one succeeds.
/// Returns whether it was committed.
async fn run_together(pool: &AnyPool, jobs: &mut [Job]) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    for job in jobs.iter_mut() {
        if !job.run(&mut tx).await {
            tx.rollback().await?;
            return Ok(false);
        }
    }
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use sqlx::Executor as _;

    use super::*;

    fn insert(
        ids: &'static [i64],
    ) -> impl for<'c> Fn(&'c mut AnyConnection) -> BoxFuture<'c, Result<(), DbError>> + Send + 'static
    {
        move |c| {
            Box::pin(async move {
                for id in ids {
                    sqlx::query("INSERT INTO t (id) VALUES ($1)")
                        .bind(*id)
                        .execute(&mut *c)
                        .await?;
                }
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn a_failing_write_costs_only_its_caller_and_keeps_nothing_of_itself() {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        pool.execute("CREATE TABLE t (id BIGINT PRIMARY KEY)")
            .await
            .unwrap();
        let (sender, jobs) = mpsc::channel(16);
        // All three are queued before the writer starts, so they form one batch:
        // the second inserts 2 and then fails on a duplicate 1.
        let mut calls = tokio::task::JoinSet::new();
        for ids in [&[1][..], &[2, 1][..], &[3][..]] {
            let sender = sender.clone();
            calls.spawn(async move { (ids, write(&sender, insert(ids)).await) });
            tokio::task::yield_now().await;
        }
        assert_eq!(jobs.len(), 3, "the writes are queued as one batch");
        tokio::spawn(run(pool.clone(), jobs));
        let mut answers = calls.join_all().await;
        answers.sort_by_key(|(ids, _)| ids[0]);
        assert!(answers[0].1.is_ok(), "{:?}", answers[0].1);
        assert!(
            matches!(answers[1].1, Err(DbError::Sqlx(_))),
            "{:?}",
            answers[1].1
        );
        assert!(answers[2].1.is_ok(), "{:?}", answers[2].1);
        let kept: Vec<i64> = sqlx::query_scalar("SELECT id FROM t ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(
            kept,
            [1, 3],
            "the failed write left nothing, the others once each"
        );
    }

    #[tokio::test]
    async fn writes_queued_after_the_writer_stopped_are_refused() {
        let (sender, jobs) = mpsc::channel(1);
        drop(jobs);
        let answer = write(&sender, insert(&[1])).await;
        assert!(matches!(answer, Err(DbError::WriterGone)), "{answer:?}");
    }
}
