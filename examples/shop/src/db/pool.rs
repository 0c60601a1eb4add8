//! A fixed set of SQLite connections, each lent to one call at a time.
//!
//! A call waits for a connection on the async side (a fair semaphore, one
//! permit per connection), so a call that is cancelled or times out while
//! it waits is simply dropped, and no blocking thread waits for a lock.
//! The lease then moves into the blocking work and gives the connection
//! back when dropped, also when the work panics.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections and one permit for each idle one.
pub(super) struct Pool {
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    size: usize,
}

impl Pool {
    pub(super) fn new(connections: Vec<Connection>) -> Arc<Pool> {
        Arc::new(Pool {
            permits: Arc::new(Semaphore::new(connections.len())),
            size: connections.len(),
            idle: Mutex::new(connections),
        })
    }

    /// How many connections it has.
    pub(super) fn size(&self) -> usize {
        self.size
    }

    /// A connection of the pool, once one is idle; callers are served in
    /// the order they asked.
    pub(super) async fn lease(self: &Arc<Self>) -> Lease {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .expect("the pool's semaphore is never closed");
        let conn = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .expect("a permit stands for an idle connection");
        Lease {
            conn: Some(conn),
            pool: Arc::clone(self),
            _permit: permit,
        }
    }
}

/// One connection lent out of a [`Pool`]; back in the pool when dropped.
pub(super) struct Lease {
    conn: Option<Connection>,
    pool: Arc<Pool>,
    // Released after `drop` has put the connection back (fields are dropped
    // after `Drop::drop` runs), so a permit always finds a connection.
    _permit: OwnedSemaphorePermit,
}

impl Deref for Lease {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("present until dropped")
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("present until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A transaction of the lease was dropped before it (it borrows
            // the connection), and rusqlite rolls an unfinished one back: the
            // connection is clean for the next caller, even after a panic.
            self.pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn pool(n: usize) -> Arc<Pool> {
        Pool::new(
            (0..n)
                .map(|_| Connection::open_in_memory().expect("in-memory database"))
                .collect(),
        )
    }

    async fn waits(pool: &Arc<Pool>) -> bool {
        tokio::time::timeout(Duration::from_millis(50), pool.lease())
            .await
            .is_err()
    }

    #[tokio::test]
    async fn lends_each_connection_to_one_caller_at_a_time() {
        let pool = pool(2);
        let a = pool.lease().await;
        let b = pool.lease().await;
        assert!(waits(&pool).await, "a third caller waits");
        drop(a);
        let c = pool.lease().await;
        assert!(waits(&pool).await);
        drop((b, c));
        let _both = (pool.lease().await, pool.lease().await);
    }

    #[tokio::test]
    async fn a_waiting_caller_gets_the_connection_given_back() {
        let pool = pool(1);
        let first = pool.lease().await;
        first
            .execute_batch("CREATE TABLE marks (n INTEGER)")
            .unwrap();
        let waiting = tokio::spawn({
            let pool = Arc::clone(&pool);
            async move {
                let conn = pool.lease().await;
                conn.query_row("SELECT COUNT(*) FROM marks", [], |r| r.get::<_, i64>(0))
                    .unwrap()
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        drop(first);
        assert_eq!(waiting.await.unwrap(), 0, "the same connection, handed on");
    }

    #[tokio::test]
    async fn a_panic_in_blocking_work_gives_the_connection_back_rolled_back() {
        let pool = pool(1);
        pool.lease()
            .await
            .execute_batch("CREATE TABLE marks (n INTEGER)")
            .unwrap();
        let mut lease = pool.lease().await;
        let work = tokio::task::spawn_blocking(move || {
            let tx = lease.transaction().unwrap();
            tx.execute("INSERT INTO marks VALUES (1)", []).unwrap();
            panic!("the work fails half-way");
        });
        assert!(work.await.is_err());
        let conn = pool.lease().await;
        assert!(conn.is_autocommit(), "no transaction left open");
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM marks", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }
}
