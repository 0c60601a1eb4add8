//! The small queries of the shop's resources, prompt and completers, each
//! scoped by the tenant it is given. Kept apart from the tools' queries so
//! that a change of database driver touches them in one place.

use mcp_runtime::{McpError, ToolContext};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Shop;
use crate::catalog::Product;
use crate::db::tenant_terms;
use crate::model::Money;

/// Run the queries `f` for the caller's tenant (`ctx.require_tenant()`),
/// in one read transaction.
pub(crate) async fn for_caller<T, F>(ctx: &ToolContext, f: F) -> Result<T, McpError>
where
    T: Send + 'static,
    F: FnOnce(&Connection, &str) -> Result<T, McpError> + Send + 'static,
{
    let tenant = ctx.require_tenant()?.to_owned();
    let db = ctx.state::<Shop>()?.db.clone();
    db.read(ctx, move |conn| f(conn, &tenant)).await
}

/// What the policies say per tenant: its currency, tax rate (basis points)
/// and where returns go.
pub(crate) struct Terms {
    pub(crate) currency: String,
    pub(crate) tax_rate_bp: i64,
    pub(crate) returns_address: String,
}

/// The tenant's terms.
pub(crate) fn terms(conn: &Connection, tenant: &str) -> Result<Terms, McpError> {
    let (currency, tax_rate_bp) = tenant_terms(conn, tenant)?;
    let returns_address = conn.query_row(
        "SELECT returns_address FROM tenants WHERE id = ?1",
        params![tenant],
        |r| r.get(0),
    )?;
    Ok(Terms {
        currency,
        tax_rate_bp,
        returns_address,
    })
}

/// The tenant's product `id` with its units available, `None` if the tenant
/// has no such product (another tenant's id included).
pub(crate) fn product(
    conn: &Connection,
    tenant: &str,
    id: &str,
) -> Result<Option<Product>, McpError> {
    let (currency, _) = tenant_terms(conn, tenant)?;
    Ok(conn
        .query_row(
            "SELECT p.id, p.name, p.description, p.category, p.price_cents,
                    (SELECT COALESCE(SUM(MAX(s.on_hand - s.reserved, 0)), 0)
                     FROM stock s WHERE s.product_id = p.id)
             FROM products p WHERE p.id = ?1 AND p.tenant_id = ?2",
            params![id, tenant],
            |r| {
                let available: u32 = r.get(5)?;
                Ok(Product {
                    product_id: r.get(0)?,
                    name: r.get(1)?,
                    description: r.get(2)?,
                    category: r.get(3)?,
                    price: Money::from_cents(r.get(4)?, &currency),
                    available_quantity: available,
                    in_stock: available > 0,
                })
            },
        )
        .optional()?)
}

/// The category of the tenant's product `id`, `None` if it has none such.
pub(crate) fn product_category(
    conn: &Connection,
    tenant: &str,
    id: &str,
) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT category FROM products WHERE id = ?1 AND tenant_id = ?2",
        params![id, tenant],
        |r| r.get(0),
    )
    .optional()
}

/// Whether the tenant has the order `number`.
pub(crate) fn has_order(conn: &Connection, tenant: &str, number: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM orders WHERE number = ?1 AND tenant_id = ?2)",
        params![number, tenant],
        |r| r.get(0),
    )
}

/// At most this many suggestions are read for one completion.
const SUGGESTIONS: i64 = 1_000;

/// The tenant's product ids that start with `prefix` (any case), sorted.
pub(crate) fn product_ids_starting(
    conn: &Connection,
    tenant: &str,
    prefix: &str,
) -> rusqlite::Result<Vec<String>> {
    starting(
        conn,
        "SELECT id FROM products WHERE tenant_id = ?1 AND substr(id, 1, length(?2)) = ?2 ORDER BY id LIMIT ?3",
        tenant,
        prefix,
    )
}

/// The tenant's order numbers that start with `prefix` (any case), sorted.
pub(crate) fn order_numbers_starting(
    conn: &Connection,
    tenant: &str,
    prefix: &str,
) -> rusqlite::Result<Vec<String>> {
    starting(
        conn,
        "SELECT number FROM orders WHERE tenant_id = ?1 AND substr(number, 1, length(?2)) = ?2 ORDER BY number LIMIT ?3",
        tenant,
        prefix,
    )
}

fn starting(
    conn: &Connection,
    sql: &str,
    tenant: &str,
    prefix: &str,
) -> rusqlite::Result<Vec<String>> {
    // Ids are upper case (`PRD-1001`); what is typed may not be.
    let prefix = prefix.to_ascii_uppercase();
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params![tenant, prefix, SUGGESTIONS], |r| r.get(0))?;
    rows.collect()
}
