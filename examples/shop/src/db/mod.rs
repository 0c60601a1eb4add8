//! The SQLite database: opening, schema, seeding, running reads and writes
//! off the async runtime with honest cancellation, and what the tools'
//! queries share (ownership checks, idempotent replays, enums stored as text).

mod pool;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_runtime::{Interrupt, McpError, ToolContext, ToolError};
use rusqlite::types::{FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};
use serde::Serialize;
use serde::de::{DeserializeOwned, IntoDeserializer};

use crate::seed;
use pool::Pool;

/// How long a write waits for the write lock while another connection (or
/// process) holds it, before it fails.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// Version of the schema below, kept in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS tenants (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    currency        TEXT NOT NULL,
    tax_rate_bp     INTEGER NOT NULL,          -- 1900 = 19 %
    returns_address TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS customers (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    name           TEXT NOT NULL,
    email          TEXT NOT NULL,
    phone          TEXT,
    company        TEXT,
    tier           TEXT NOT NULL CHECK (tier IN ('standard', 'gold')),
    customer_since TEXT NOT NULL,
    line1          TEXT NOT NULL,
    line2          TEXT,
    city           TEXT NOT NULL,
    postal_code    TEXT NOT NULL,
    region         TEXT,
    country        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS customers_tenant ON customers(tenant_id);
CREATE TABLE IF NOT EXISTS products (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    category    TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0)
);
CREATE INDEX IF NOT EXISTS products_tenant ON products(tenant_id, category);
CREATE TABLE IF NOT EXISTS warehouses (
    id        TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name      TEXT NOT NULL,
    city      TEXT NOT NULL,
    country   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stock (
    product_id   TEXT NOT NULL REFERENCES products(id),
    warehouse_id TEXT NOT NULL REFERENCES warehouses(id),
    on_hand      INTEGER NOT NULL CHECK (on_hand >= 0),
    reserved     INTEGER NOT NULL CHECK (reserved >= 0),
    PRIMARY KEY (product_id, warehouse_id)
);
CREATE TABLE IF NOT EXISTS orders (
    number             TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    customer_id        TEXT NOT NULL REFERENCES customers(id),
    status             TEXT NOT NULL
                       CHECK (status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
    placed_at          TEXT NOT NULL,
    shipping_cents     INTEGER NOT NULL,
    tax_cents          INTEGER NOT NULL,
    estimated_delivery TEXT,
    ship_name          TEXT NOT NULL,
    ship_line1         TEXT NOT NULL,
    ship_line2         TEXT,
    ship_city          TEXT NOT NULL,
    ship_postal_code   TEXT NOT NULL,
    ship_region        TEXT,
    ship_country       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_customer ON orders(tenant_id, customer_id);
CREATE TABLE IF NOT EXISTS order_items (
    order_number     TEXT NOT NULL REFERENCES orders(number),
    line_no          INTEGER NOT NULL,
    product_id       TEXT NOT NULL REFERENCES products(id),
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL,
    PRIMARY KEY (order_number, product_id)
);
CREATE TABLE IF NOT EXISTS invoices (
    number          TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    order_number    TEXT REFERENCES orders(number),
    status          TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'overdue', 'void')),
    issued_on       TEXT NOT NULL,
    due_on          TEXT NOT NULL,
    paid_on         TEXT,
    total_cents     INTEGER NOT NULL,
    amount_due_cents INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS invoices_tenant ON invoices(tenant_id, customer_id);
CREATE TABLE IF NOT EXISTS shipments (
    tracking_number    TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    order_number       TEXT NOT NULL REFERENCES orders(number),
    carrier            TEXT NOT NULL,
    service            TEXT NOT NULL,
    status             TEXT NOT NULL
                       CHECK (status IN ('label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception')),
    shipped_at         TEXT,
    estimated_delivery TEXT,
    delivered_at       TEXT
);
CREATE TABLE IF NOT EXISTS shipment_events (
    tracking_number TEXT NOT NULL REFERENCES shipments(tracking_number),
    seq             INTEGER NOT NULL,
    occurred_at     TEXT NOT NULL,
    location        TEXT NOT NULL,
    status          TEXT NOT NULL,
    description     TEXT NOT NULL,
    PRIMARY KEY (tracking_number, seq)
);
CREATE TABLE IF NOT EXISTS quotes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    number          TEXT UNIQUE,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    idempotency_key TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,             -- the request, canonical, to detect a reused key
    subtotal_cents  INTEGER NOT NULL,
    discount_cents  INTEGER NOT NULL,
    tax_cents       INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    valid_until     TEXT NOT NULL,
    UNIQUE (tenant_id, idempotency_key)
);
CREATE TABLE IF NOT EXISTS quote_lines (
    quote_id         INTEGER NOT NULL REFERENCES quotes(id),
    line_no          INTEGER NOT NULL,
    product_id       TEXT NOT NULL REFERENCES products(id),
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL,
    PRIMARY KEY (quote_id, line_no)
);
CREATE TABLE IF NOT EXISTS returns (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    rma_number      TEXT UNIQUE,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    order_number    TEXT NOT NULL REFERENCES orders(number),
    idempotency_key TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    ship_by         TEXT NOT NULL,
    UNIQUE (tenant_id, idempotency_key)
);
CREATE TABLE IF NOT EXISTS return_items (
    return_id    INTEGER NOT NULL REFERENCES returns(id),
    line_no      INTEGER NOT NULL,
    product_id   TEXT NOT NULL REFERENCES products(id),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    reason       TEXT NOT NULL,
    refund_cents INTEGER NOT NULL,
    PRIMARY KEY (return_id, line_no)
);
"#;

/// How many read-only connections [`Db::open`] opens beside the writer.
pub const DEFAULT_READERS: NonZeroUsize = NonZeroUsize::new(4).unwrap();

/// A handle on the shop's SQLite database; cheap to clone.
///
/// One writer connection and a few read-only reader connections, in WAL
/// mode, each lent to one call at a time. In WAL mode readers never wait
/// for the writer (nor it for them): a write stalled on a lock, of one
/// tenant or another process, holds up other writes only, never a read.
/// Writes queue in process for the one writer, in the order they came:
/// SQLite lets one connection write at a time anyway, and several writer
/// connections would only poll for the file lock in busy-handler sleeps,
/// in no order, each holding a blocking thread while it waits.
///
/// Every query runs on tokio's blocking pool through
/// [`ToolContext::run_blocking`], so that SQLite never blocks the async
/// runtime and a call's answer is its work's own result: `Db::write`
/// checks for a cancellation or timeout right before it commits, so a call
/// that answers "cancelled" or "timed out" left nothing in the database, and
/// a write that committed answers with what it wrote.
// The pools stay behind this type (`read`, `write`), so that moving to
// another driver or pool changes this module only.
#[derive(Clone)]
pub struct Db {
    writer: Arc<Pool>,
    readers: Arc<Pool>,
    path: PathBuf,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.path)
            .field("readers", &self.readers.size())
            .finish()
    }
}

impl Db {
    /// Open (or create) the database at `path` with [`DEFAULT_READERS`]
    /// readers; see [`Db::open_with`].
    pub fn open(path: impl AsRef<Path>) -> rusqlite::Result<Db> {
        Db::open_with(path, DEFAULT_READERS)
    }

    /// Open (or create) the database at `path`: the writer in WAL mode, with
    /// a busy timeout and foreign keys on; on first use, create the schema
    /// and seed the demo data of both tenants, in one transaction. Then open
    /// `readers` read-only connections.
    pub fn open_with(path: impl AsRef<Path>, readers: NonZeroUsize) -> rusqlite::Result<Db> {
        let path = path.as_ref().to_path_buf();
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(LOCK_WAIT)?;
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // IMMEDIATE: two processes starting at once on a new file seed it once.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version == 0 {
            tx.execute_batch(SCHEMA)?;
            seed::seed(&tx)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        tx.commit()?;
        let readers = (0..readers.get())
            .map(|_| {
                let reader = Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                // Readers wait only in the rare cases WAL makes them (while
                // another process recovers the log after a crash).
                reader.busy_timeout(LOCK_WAIT)?;
                Ok(reader)
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Db {
            writer: Pool::new(vec![conn]),
            readers: Pool::new(readers),
            path,
        })
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run the queries `f` of the call `ctx`, in one read transaction (one
    /// snapshot of the database for all of them).
    ///
    /// A panic in `f` or a database error becomes a private `server_error`.
    pub(crate) async fn read<T, F>(&self, ctx: &ToolContext, f: F) -> Result<T, McpError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, McpError> + Send + 'static,
    {
        let mut conn = self.readers.lease().await;
        ctx.run_blocking(move |_| {
            // Under the call's span, in traces and logs.
            let _span = tracing::info_span!("sqlite read", db.system.name = "sqlite").entered();
            let tx = conn.transaction()?;
            f(&tx)
        })
        .await
    }

    /// Run the write `f` of the call `ctx` in one IMMEDIATE transaction and
    /// commit it, unless the call was cancelled or timed out by then: then
    /// the transaction is rolled back and the call answers so. An `Err` of
    /// `f` rolls back too.
    ///
    /// IMMEDIATE takes the write lock at the start, so concurrent retries
    /// with one idempotency key, even from other processes, are serialized
    /// and the replay check inside `f` holds. While another connection holds
    /// the lock, the write waits up to `LOCK_WAIT`, and stops waiting as
    /// soon as the call is cancelled or times out.
    ///
    /// A panic in `f` or a database error becomes a private `server_error`.
    pub(crate) async fn write<T, F>(&self, ctx: &ToolContext, f: F) -> Result<T, McpError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, McpError> + Send + 'static,
    {
        let mut conn = self.writer.lease().await;
        ctx.run_blocking(move |interrupt| {
            let _span = tracing::info_span!("sqlite write", db.system.name = "sqlite").entered();
            conn.busy_handler(Some(wait_for_lock(interrupt.clone())))?;
            let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
                Ok(tx) => tx,
                Err(e) => {
                    interrupt.check()?;
                    return Err(e.into());
                }
            };
            let written = f(&tx)?;
            interrupt.check()?;
            tx.commit()?;
            Ok(written)
        })
        .await
    }
}

/// SQLite's busy handler for a write: while another connection holds the
/// write lock, sleep a little and try again, for up to `LOCK_WAIT`, but give
/// up at once when the call is cancelled or times out (SQLite's own busy
/// timeout cannot be told).
fn wait_for_lock(interrupt: Interrupt) -> impl FnMut(i32) -> bool + Send + 'static {
    const SLEEPS_MS: [u64; 6] = [1, 2, 5, 10, 20, 25];
    let deadline = Instant::now() + LOCK_WAIT;
    move |attempt| {
        if interrupt.is_cancelled() || Instant::now() >= deadline {
            return false;
        }
        let step = usize::try_from(attempt).unwrap_or(usize::MAX);
        let ms = SLEEPS_MS[step.min(SLEEPS_MS.len() - 1)];
        std::thread::sleep(Duration::from_millis(ms));
        true
    }
}

/// The kinds of records a tool looks up by identifier.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Record {
    Order,
    Customer,
    Product,
    Warehouse,
    Shipment,
}

impl Record {
    fn table_and_key(self) -> (&'static str, &'static str) {
        match self {
            Record::Order => ("orders", "number"),
            Record::Customer => ("customers", "id"),
            Record::Product => ("products", "id"),
            Record::Warehouse => ("warehouses", "id"),
            Record::Shipment => ("shipments", "tracking_number"),
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Record::Order => "order",
            Record::Customer => "customer",
            Record::Product => "product",
            Record::Warehouse => "warehouse",
            Record::Shipment => "shipment with tracking number",
        }
    }
}

/// Which tenant owns the record `id`, if it exists at all.
pub(crate) fn owner_of(
    conn: &Connection,
    record: Record,
    id: &str,
) -> rusqlite::Result<Option<String>> {
    let (table, key) = record.table_and_key();
    conn.query_row(
        &format!("SELECT tenant_id FROM {table} WHERE {key} = ?1"),
        params![id],
        |row| row.get(0),
    )
    .optional()
}

/// Check that `tenant` owns the record `id`.
///
/// Identifiers are unique across tenants, and the shop deliberately tells
/// "does not exist" (`not_found`) apart from "exists, but belongs to another
/// tenant" (`permission_denied`), as the product docs prescribe for these
/// error types: the agent then knows that retrying or searching elsewhere is
/// pointless, and the platform can surface a cross-tenant access attempt. It
/// reveals only that the identifier exists, never any of the record's data.
/// (A server whose identifiers are themselves sensitive would answer
/// `not_found` in both cases instead.)
pub(crate) fn ensure_owned(
    conn: &Connection,
    tenant: &str,
    record: Record,
    id: &str,
) -> Result<(), AccessError> {
    let noun = record.noun();
    match owner_of(conn, record, id)? {
        None => Err(AccessError::Missing {
            noun,
            id: id.to_owned(),
        }),
        Some(owner) if owner != tenant => Err(AccessError::Foreign {
            noun,
            id: id.to_owned(),
            tenant: tenant.to_owned(),
        }),
        Some(_) => Ok(()),
    }
}

/// Why a tenant may not use a record it named. Each variant carries its
/// wire kind (`#[derive(ToolError)]`), so `?` into `McpError` keeps it: an
/// agent sees `not_found` or `permission_denied`, never a generic error.
#[derive(Debug, thiserror::Error, ToolError)]
pub(crate) enum AccessError {
    /// No such record in any tenant.
    #[error("{noun} {id} does not exist")]
    #[tool_error(not_found)]
    Missing { noun: &'static str, id: String },
    /// The record exists but belongs to another tenant.
    #[error("{noun} {id} belongs to another tenant; tenant `{tenant}` may not access it")]
    #[tool_error(permission_denied)]
    Foreign {
        noun: &'static str,
        id: String,
        tenant: String,
    },
    /// The database failed: a private `server_error` (logged, not shown).
    #[error("database error: {0}")]
    #[tool_error(server_error)]
    Database(#[from] rusqlite::Error),
}

/// Check that `tenant` owns every record in `ids`; report all unknown ids at
/// once (`not_found`), else all foreign ones (`permission_denied`).
pub(crate) fn ensure_all_owned<'a>(
    conn: &Connection,
    tenant: &str,
    record: Record,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<(), McpError> {
    let mut unknown = Vec::new();
    let mut foreign = Vec::new();
    for id in ids {
        match owner_of(conn, record, id)? {
            None => unknown.push(id),
            Some(owner) if owner != tenant => foreign.push(id),
            Some(_) => {}
        }
    }
    let noun = record.noun();
    if !unknown.is_empty() {
        return Err(
            McpError::not_found(format!("{noun}(s) {} do not exist", unknown.join(", ")))
                .with_details(serde_json::json!({ "unknownIds": unknown })),
        );
    }
    if !foreign.is_empty() {
        return Err(McpError::permission_denied(format!(
            "{noun}(s) {} belong to another tenant; tenant `{tenant}` may not access them",
            foreign.join(", ")
        ))
        .with_details(serde_json::json!({ "forbiddenIds": foreign })));
    }
    Ok(())
}

/// The table of an idempotent write.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Idempotent {
    /// `create_quote`.
    Quote,
    /// `submit_return`.
    Return,
}

/// Replay check of an idempotent write, inside its IMMEDIATE transaction:
/// `Some(id)` when `key` was used before for this same request (a retry: answer
/// with the stored record), `None` for a new key, and a `validation_error`
/// when the key was used for a different request.
pub(crate) fn replayed(
    tx: &rusqlite::Transaction<'_>,
    table: Idempotent,
    tenant: &str,
    key: &str,
    fingerprint: &str,
) -> Result<Option<i64>, McpError> {
    let (sql, what) = match table {
        Idempotent::Quote => (
            "SELECT id, fingerprint FROM quotes WHERE tenant_id = ?1 AND idempotency_key = ?2",
            "quote",
        ),
        Idempotent::Return => (
            "SELECT id, fingerprint FROM returns WHERE tenant_id = ?1 AND idempotency_key = ?2",
            "return",
        ),
    };
    let existing: Option<(i64, String)> = tx
        .query_row(sql, params![tenant, key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match existing {
        Some((id, stored)) if stored == fingerprint => Ok(Some(id)),
        Some(_) => Err(McpError::validation(format!(
            "`idempotencyKey`: {key} was already used for a different {what} request; \
             send a new key for a new request, or repeat the original request exactly to get its result"
        ))),
        None => Ok(None),
    }
}

/// The tenant's currency and tax rate (basis points).
pub(crate) fn tenant_terms(conn: &Connection, tenant: &str) -> Result<(String, i64), McpError> {
    conn.query_row(
        "SELECT currency, tax_rate_bp FROM tenants WHERE id = ?1",
        params![tenant],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()?
    .ok_or_else(|| McpError::not_found(format!("tenant `{tenant}` has no shop")))
}

/// Store enums in TEXT columns under their serde names: the `snake_case`
/// strings the tools publish (`wrong_item` for `ReturnReason::WrongItem`), so
/// each enum's `#[serde(rename_all)]` is its only table of names.
/// `text_column!(ReturnReason);` implements rusqlite's `FromSql` and `ToSql`.
macro_rules! text_column {
    ($($enum:ty),+ $(,)?) => {$(
        impl ::rusqlite::types::FromSql for $enum {
            fn column_result(
                value: ::rusqlite::types::ValueRef<'_>,
            ) -> ::rusqlite::types::FromSqlResult<Self> {
                $crate::db::from_text(value)
            }
        }

        impl ::rusqlite::types::ToSql for $enum {
            fn to_sql(&self) -> ::rusqlite::Result<::rusqlite::types::ToSqlOutput<'_>> {
                $crate::db::to_text(self)
            }
        }
    )+};
}
pub(crate) use text_column;

/// A TEXT value read as the serde name of a `T`. A value the code does not
/// know is an error (and so a private `server_error`) naming the known ones.
pub(crate) fn from_text<T: DeserializeOwned>(value: ValueRef<'_>) -> FromSqlResult<T> {
    let name = value.as_str()?;
    T::deserialize(name.into_deserializer()).map_err(|e: serde::de::value::Error| {
        let what = std::any::type_name::<T>();
        FromSqlError::Other(format!("{what} in the database: {e}").into())
    })
}

/// `value`'s serde name, as TEXT.
pub(crate) fn to_text<T: Serialize>(value: &T) -> rusqlite::Result<ToSqlOutput<'static>> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Ok(ToSqlOutput::from(name)),
        other => Err(rusqlite::Error::ToSqlConversionFailure(
            format!("{} has no text form: {other:?}", std::any::type_name::<T>()).into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readers_are_read_only_and_see_what_the_writer_committed() {
        let dir = std::env::temp_dir().join(format!("shop-db-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::open_with(dir.join("shop.db"), NonZeroUsize::new(2).unwrap()).unwrap();
        assert_eq!(db.readers.size(), 2);
        let writer = db.writer.lease().await;
        writer
            .execute("UPDATE tenants SET name = 'Acme AG' WHERE id = 'acme'", [])
            .unwrap();
        let reader = db.readers.lease().await;
        let name: String = reader
            .query_row("SELECT name FROM tenants WHERE id = 'acme'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(name, "Acme AG");
        let refused = reader
            .execute("UPDATE tenants SET name = 'x'", [])
            .unwrap_err();
        assert!(refused.to_string().contains("readonly"), "{refused}");
        drop((writer, reader, db));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
