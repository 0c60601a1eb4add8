//! The shop's database, SQLite or Postgres, behind one async pooled layer:
//! connecting, migrating and seeding at start, and running the tools' reads
//! and writes as transactions with bounded retries.
//!
//! # Why `sqlx` over `sqlx::Any`
//!
//! sqlx speaks both databases asynchronously with one pool type, and
//! [`sqlx::Any`] lets every query be written once: placeholders are `$1`,
//! `$2`, … in both (SQLite reads `$N` as the N-th parameter), and the SQL
//! sticks to what both understand (`ON CONFLICT DO NOTHING`, `RETURNING`,
//! `COALESCE`, `CAST(SUM(...) AS BIGINT)`, `lower(...) LIKE`). One text per
//! query means the tests of either backend test the same statement, and no
//! backend can drift from the other; what cannot be shared, the DDL, lives
//! in one migrations directory per backend (`migrations/sqlite`,
//! `migrations/postgres`), with the same tables and constraints. Any's types
//! are few (integers as `i64`, text, nulls), which is all the shop stores:
//! enums are TEXT under their serde names ([`text_column!`]), money is
//! integer cents, dates are ISO 8601 text made in Rust ([`clock`]). No
//! compile-time-checked `query!` macros: they need a live database to build.
//!
//! # Guarantees
//!
//! - Tenant scoping: every query of a tool names the tenant the platform
//!   injected; [`ensure_owned`] tells "no such record" from "another
//!   tenant's".
//! - Idempotency keys: a `UNIQUE (tenant_id, idempotency_key)` constraint
//!   and `INSERT … ON CONFLICT DO NOTHING RETURNING id`; the loser of a race
//!   reads the winner's record ([`replayed`]), so two replicas receiving one
//!   key at once create one record and both answer it.
//! - Writes run in `READ COMMITTED` transactions on Postgres and `BEGIN
//!   IMMEDIATE` ones on SQLite. What a write decides on is locked
//!   explicitly rather than left to `SERIALIZABLE`: a return locks its
//!   order's row ([`lock_order`], `FOR NO KEY UPDATE`) before it sums what
//!   was already returned, so returns of one order take turns and none can
//!   exceed what was ordered, while returns of other orders and quotes run
//!   side by side; idempotency rests on the unique constraints above (an
//!   `INSERT … ON CONFLICT` waits for the racer holding the same key, and
//!   the next statement sees its row). Why not `SERIALIZABLE`: on tables
//!   this small Postgres scans whole tables and takes relation-wide
//!   predicate locks, so any two writers of a tenant (two quotes, two
//!   returns of different orders) "conflicted" and were refused (40001),
//!   often several times in a row under load. SQLite's one writer at a
//!   time is serializable by construction.
//! - A deadlock or serialization failure (SQLSTATE 40P01, 40001; SQLite
//!   `BUSY`/`LOCKED`), now rare, is retried, at most [`WRITE_ATTEMPTS`]
//!   attempts in all, after 10, 20, 40, 80 ms (each plus up to as much
//!   again at random, so racing replicas part), then it is a
//!   `server_error`. On SQLite a write waits for the lock up to the
//!   statement timeout (`busy_timeout`) per attempt; a cancellation or the
//!   call's time limit ends the waiting (and the pauses) at once. A
//!   connection whose `COMMIT` failed is closed, not given back: its
//!   transaction is over, and sqlx would otherwise send it a `ROLLBACK`
//!   (Postgres: "there is no transaction in progress").
//! - An outage: a call waits at most the acquire timeout for a connection,
//!   then answers `server_error`; the pool tests a connection before lending
//!   it and makes new ones as the database comes back, so the replica
//!   recovers by itself. Database errors are logged, never shown to the
//!   client (no SQL, no connection string).
//! - Migrations run at start, under Postgres's advisory lock (sqlx takes it),
//!   so replicas starting at once on a fresh database apply them once; the
//!   seed is applied once, in the transaction that inserts the one row of
//!   `seed_applied`.

mod config;
mod query;

use std::path::Path;
use std::time::Duration;

use mcp_runtime::{Interrupt, McpError, ToolContext};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, ConnectOptions, Connection};
use tracing::Instrument;

pub use config::{
    DEFAULT_ACQUIRE_TIMEOUT, DEFAULT_POOL_SIZE, DEFAULT_STATEMENT_TIMEOUT, DbConfig, Target,
    parse_millis, parse_pool_size,
};
pub(crate) use query::*;

/// The migrations of each backend, embedded at build time.
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Attempts of one write (the first and its retries) before a deadlock,
/// serialization failure or busy database becomes a `server_error`.
pub const WRITE_ATTEMPTS: u32 = 5;

/// A connection of the pool, lent to one query function; a transaction
/// derefs to it.
pub(crate) type Conn = AnyConnection;

/// What a query function's future is: boxed, so that [`Db::read`] and
/// [`Db::write`] take functions borrowing their connection and arguments.
pub(crate) type Query<'c, T> =
    std::pin::Pin<Box<dyn Future<Output = Result<T, Failure>> + Send + 'c>>;

/// Which database a [`Db`] is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// A Postgres server.
    Postgres,
}

/// A handle on the shop's database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    config: DbConfig,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("target", &self.config.target)
            .field("pool_size", &self.config.pool_size)
            .finish()
    }
}

/// Why the database could not be opened at start (its `Display` has no
/// password: [`Target`]'s form masks it).
#[derive(Debug, thiserror::Error)]
#[error("cannot open the database ({target}): {source}")]
pub struct OpenError {
    target: Target,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl Db {
    /// Connect to the database of `config`: run the migrations (creating a
    /// SQLite file if missing) and open the pool. (The shop then applies
    /// its demo seed, [`crate::Shop::connect`].)
    pub async fn connect(config: DbConfig) -> Result<Db, OpenError> {
        let target = config.target.clone();
        let fail = |source: Box<dyn std::error::Error + Send + Sync>| OpenError {
            target: target.clone(),
            source,
        };
        sqlx::any::install_default_drivers();
        let (backend, url) = match &config.target {
            Target::Sqlite(path) => {
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(config.statement_timeout);
                migrate_sqlite(&options).await.map_err(fail)?;
                (Backend::Sqlite, options.to_url_lossy().to_string())
            }
            Target::Postgres(url) => {
                migrate_postgres(url, config.acquire_timeout)
                    .await
                    .map_err(fail)?;
                (Backend::Postgres, url.clone())
            }
        };
        let options = AnyConnectOptions::from_url(&url.parse().map_err(|e| fail(Box::new(e)))?)
            .map_err(|e| fail(Box::new(e)))?;
        let statement_ms = config.statement_timeout.as_millis();
        let pool = AnyPoolOptions::new()
            .max_connections(config.pool_size.get())
            .acquire_timeout(config.acquire_timeout)
            .test_before_acquire(true)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    // Per connection: the statement timeout (SQLite: how
                    // long to wait for a lock; its URL cannot say).
                    let settings = match backend {
                        Backend::Postgres => {
                            vec![format!("SET statement_timeout = {statement_ms}")]
                        }
                        Backend::Sqlite => vec![
                            format!("PRAGMA busy_timeout = {statement_ms}"),
                            "PRAGMA synchronous = NORMAL".to_owned(),
                        ],
                    };
                    for setting in settings {
                        sqlx::query(sqlx::AssertSqlSafe(setting))
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(options);
        Ok(Db {
            pool,
            backend,
            config,
        })
    }

    /// `e`, of a write at start (the seed), as the error of opening.
    pub(crate) fn open_error(&self, e: Failure) -> OpenError {
        OpenError {
            target: self.config.target.clone(),
            source: match e {
                Failure::Sql(e) => Box::new(e),
                Failure::Tool(e) => e.message().to_owned().into(),
            },
        }
    }

    /// The SQLite file, or `None` on Postgres.
    pub fn path(&self) -> Option<&Path> {
        self.config.target.sqlite_path()
    }

    /// Which database it is on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How it was configured.
    pub fn config(&self) -> &DbConfig {
        &self.config
    }

    /// Close the pool: its connections are closed once given back.
    pub async fn close(&self) {
        self.pool.close().await
    }

    async fn acquire(&self) -> Result<PoolConnection<Any>, Failure> {
        Ok(self.pool.acquire().await?)
    }

    /// Run the queries `f(conn, &args)` of the call `ctx` in one read-only
    /// transaction (one snapshot of the database for all of them).
    ///
    /// A database error becomes a private `server_error`.
    pub(crate) async fn read<A, T, F>(
        &self,
        ctx: &ToolContext,
        args: A,
        f: F,
    ) -> Result<T, McpError>
    where
        F: for<'c> FnOnce(&'c mut Conn, &'c A) -> Query<'c, T>,
    {
        // Cancelled, the call's future is dropped at an await: the
        // transaction is then rolled back as the connection goes back.
        let _ = ctx;
        let span = tracing::info_span!("db read", db.system.name = self.system());
        let result = async {
            let mut conn = self.acquire().await?;
            let begin = match self.backend {
                Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                Backend::Sqlite => "BEGIN",
            };
            let mut tx = conn.begin_with(begin).await?;
            let out = f(&mut tx, &args).await?;
            tx.commit().await?;
            Ok(out)
        };
        result.instrument(span).await.map_err(Failure::into_mcp)
    }

    /// Run the write `f(tx, &args)` of the call `ctx` in one transaction and
    /// commit it, unless the call was cancelled or timed out by then: then
    /// it is rolled back and the call answers so. An `Err` of `f` rolls back
    /// too. A serialization failure, deadlock or busy database rolls back
    /// and runs `f` again, up to [`WRITE_ATTEMPTS`] times in all.
    ///
    /// Once started, the write is not cut off by a cancellation
    /// ([`ToolContext::run_uninterrupted`]): the call answers with what it
    /// did. Its waits are bounded by the acquire and statement timeouts.
    ///
    /// A database error becomes a private `server_error`.
    pub(crate) async fn write<A, T, F>(
        &self,
        ctx: &ToolContext,
        args: A,
        f: F,
    ) -> Result<T, McpError>
    where
        F: for<'c> Fn(&'c mut Conn, &'c A) -> Query<'c, T>,
    {
        let span = tracing::info_span!("db write", db.system.name = self.system());
        ctx.run_uninterrupted(|interrupt| async move {
            let call = Call {
                ctx,
                interrupt: &interrupt,
            };
            self.write_retrying(Some(call), &args, &f)
                .await
                .map_err(Failure::into_mcp)
        })
        .instrument(span)
        .await
    }

    /// Run the seed or another start-up write, outside any call, with the
    /// same transactions and retries as [`Db::write`].
    pub(crate) async fn write_at_start<A, T, F>(&self, args: A, f: F) -> Result<T, Failure>
    where
        F: for<'c> Fn(&'c mut Conn, &'c A) -> Query<'c, T>,
    {
        self.write_retrying(None, &args, &f).await
    }

    /// [`Db::write`]'s attempts: one [`Db::write_once`], and again after a
    /// pause while it failed for a conflict and attempts are left.
    async fn write_retrying<A, T, F>(
        &self,
        call: Option<Call<'_>>,
        args: &A,
        f: &F,
    ) -> Result<T, Failure>
    where
        F: for<'c> Fn(&'c mut Conn, &'c A) -> Query<'c, T>,
    {
        let mut attempt = 1;
        loop {
            match self.write_once(call, args, f).await {
                Err(Failure::Sql(e)) if retryable(&e) && attempt < WRITE_ATTEMPTS => {
                    tracing::debug!(attempt, error = %e, "write conflicted; retrying");
                    // Rolled back: a cancellation now is answered at once.
                    tokio::select! {
                        biased;
                        () = stopped(call) => return Err(interrupted(call)),
                        () = tokio::time::sleep(backoff(attempt)) => {}
                    }
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn write_once<A, T, F>(
        &self,
        call: Option<Call<'_>>,
        args: &A,
        f: &F,
    ) -> Result<T, Failure>
    where
        F: for<'c> Fn(&'c mut Conn, &'c A) -> Query<'c, T>,
    {
        // Waiting for a connection or for SQLite's write lock has written
        // nothing yet: a cancellation or timeout meanwhile is answered at
        // once. (A BEGIN cut off this way is rolled back by sqlx: SQLite's
        // worker rolls back a BEGIN nobody awaits any more, and the pool
        // tests a connection given back mid-statement before lending it.)
        let begin = match self.backend {
            // What a write decides on it locks itself ([`lock_order`]).
            Backend::Postgres => "BEGIN ISOLATION LEVEL READ COMMITTED",
            // Takes the write lock at once (waiting up to busy_timeout), so
            // no write is refused half-way for a lock another holds.
            Backend::Sqlite => "BEGIN IMMEDIATE",
        };
        let mut conn = tokio::select! {
            biased;
            conn = self.acquire() => conn?,
            () = stopped(call) => return Err(interrupted(call)),
        };
        let mut tx = tokio::select! {
            biased;
            tx = conn.begin_with(begin) => tx?,
            () = stopped(call) => return Err(interrupted(call)),
        };
        let written = f(&mut tx, args).await?;
        if let Some(call) = call
            && let Err(e) = call.interrupt.check()
        {
            tx.rollback().await?;
            return Err(Failure::Tool(e));
        }
        if let Err(e) = tx.commit().await {
            // The transaction ended with the failed COMMIT, but sqlx still
            // counts it open and queues a ROLLBACK for the connection's next
            // use; a closed connection sends nothing more.
            conn.close_on_drop();
            return Err(e.into());
        }
        Ok(written)
    }

    fn system(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }
}

/// The call a write runs for: its cancellation ends the waits before the
/// transaction writes, and is checked before the commit.
#[derive(Clone, Copy)]
struct Call<'a> {
    ctx: &'a ToolContext,
    interrupt: &'a Interrupt,
}

/// Completes when the call is cancelled or timed out; never without a call.
async fn stopped(call: Option<Call<'_>>) {
    match call {
        Some(call) => call.ctx.cancelled().await,
        None => std::future::pending().await,
    }
}

/// The answer of a write stopped by its call's cancellation or timeout.
fn interrupted(call: Option<Call<'_>>) -> Failure {
    match call.map(|c| c.interrupt.check()) {
        Some(Err(e)) => Failure::Tool(e),
        _ => Failure::Tool(McpError::internal(
            "a write was interrupted without a cancellation",
        )),
    }
}

/// Apply the SQLite migrations on one connection. Processes starting at
/// once on a new file contend for it: opening the connection (switching a
/// new file to WAL takes its lock) or the first migration may find it busy;
/// the loser tries again, up to `MIGRATE_ATTEMPTS` times in all, and then
/// finds the migrations applied.
async fn migrate_sqlite(
    options: &SqliteConnectOptions,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    const MIGRATE_ATTEMPTS: u32 = 8;
    let mut tries = 1;
    loop {
        let attempt: Result<(), Box<dyn std::error::Error + Send + Sync>> = async {
            // A pool of one (not a bare connection): its `Acquire` keeps the
            // future `Send`, so that a shop can be opened in a spawned task.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await?;
            let run = SQLITE_MIGRATIONS.run(&pool).await;
            pool.close().await;
            Ok(run?)
        }
        .await;
        match attempt {
            Ok(()) => return Ok(()),
            Err(_) if tries < MIGRATE_ATTEMPTS => {
                tokio::time::sleep(backoff(tries)).await;
                tries += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Apply the Postgres migrations on one connection; sqlx holds an advisory
/// lock (`pg_advisory_lock`) while it does, so replicas starting at once
/// apply each migration once, the others waiting and then finding it done.
async fn migrate_postgres(
    url: &str,
    timeout: Duration,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(timeout)
        .connect(url)
        .await?;
    let run = POSTGRES_MIGRATIONS.run(&pool).await;
    pool.close().await;
    Ok(run?)
}

/// Whether `e` is worth retrying the whole transaction for: a Postgres
/// serialization failure (40001) or deadlock (40P01), or SQLite busy or
/// locked (primary result codes 5 and 6, with their extended codes).
pub(crate) fn retryable(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = e else {
        return false;
    };
    match db.code().as_deref() {
        Some("40001" | "40P01") => true,
        Some(code) => code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6)),
        None => false,
    }
}

/// The pause before attempt `attempt + 1`: 10 ms doubled per attempt, plus
/// up to as much again, at random.
fn backoff(attempt: u32) -> Duration {
    let base = 10u64 << attempt.saturating_sub(1).min(6);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    // The clock's low bits, mixed: jitter, not cryptography.
    let jitter = u64::from(nanos.wrapping_mul(2_654_435_761)) % (base + 1);
    Duration::from_millis(base + jitter)
}

/// Why a query function failed: the database (kept whole, so that
/// [`Db::write`] can tell a conflict worth a retry), or a tool error.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The database failed.
    Sql(sqlx::Error),
    /// An answer for the caller (`validation_error`, `not_found`, …).
    Tool(McpError),
}

impl Failure {
    /// The call's answer: a database error becomes a private `server_error`
    /// (its text logged, never sent).
    pub(crate) fn into_mcp(self) -> McpError {
        match self {
            Failure::Sql(e) => McpError::from(e),
            Failure::Tool(e) => e,
        }
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Failure {
        Failure::Sql(e)
    }
}

impl From<McpError> for Failure {
    fn from(e: McpError) -> Failure {
        Failure::Tool(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter() {
        for (attempt, base) in [(1, 10), (2, 20), (3, 40), (4, 80)] {
            let d = backoff(attempt).as_millis() as u64;
            assert!((base..=2 * base).contains(&d), "{attempt}: {d} ms");
        }
    }
}
