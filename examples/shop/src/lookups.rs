//! The small queries of the shop's resources, prompt and completers, each
//! scoped by the tenant it is given. Kept apart from the tools' queries so
//! that a change of database driver touches them in one place.

use mcp_runtime::{McpError, ToolContext};
use sqlx::Row;

use crate::Shop;
use crate::catalog::Product;
use crate::db::{Conn, Failure, Query, get_u32, tenant_terms};
use crate::model::Money;

/// Run the queries `f(conn, &(tenant, args))` for the caller's tenant
/// (`ctx.require_tenant()`), in one read transaction.
pub(crate) async fn for_caller<A, T, F>(ctx: &ToolContext, args: A, f: F) -> Result<T, McpError>
where
    F: for<'c> FnOnce(&'c mut Conn, &'c (String, A)) -> Query<'c, T>,
{
    let tenant = ctx.require_tenant()?.to_owned();
    let db = ctx.state::<Shop>()?.db.clone();
    db.read(ctx, (tenant, args), f).await
}

/// What the policies say per tenant: its currency, tax rate (basis points)
/// and where returns go.
pub(crate) struct Terms {
    pub(crate) currency: String,
    pub(crate) tax_rate_bp: i64,
    pub(crate) returns_address: String,
}

/// The tenant's terms.
pub(crate) async fn terms(conn: &mut Conn, tenant: &str) -> Result<Terms, Failure> {
    let (currency, tax_rate_bp) = tenant_terms(conn, tenant).await?;
    let returns_address: String = sqlx::query("SELECT returns_address FROM tenants WHERE id = $1")
        .bind(tenant)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(Terms {
        currency,
        tax_rate_bp,
        returns_address,
    })
}

/// The tenant's product `id` with its units available, `None` if the tenant
/// has no such product (another tenant's id included).
pub(crate) async fn product(
    conn: &mut Conn,
    tenant: &str,
    id: &str,
) -> Result<Option<Product>, Failure> {
    let (currency, _) = tenant_terms(conn, tenant).await?;
    let row = sqlx::query(
        "SELECT p.id, p.name, p.description, p.category, p.price_cents,
                (SELECT CAST(COALESCE(SUM(CASE WHEN s.on_hand > s.reserved
                                               THEN s.on_hand - s.reserved ELSE 0 END), 0) AS BIGINT)
                 FROM stock s WHERE s.product_id = p.id)
         FROM products p WHERE p.id = $1 AND p.tenant_id = $2",
    )
    .bind(id)
    .bind(tenant)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let available = get_u32(&r, 5)?;
    Ok(Some(Product {
        product_id: r.try_get(0)?,
        name: r.try_get(1)?,
        description: r.try_get(2)?,
        category: r.try_get(3)?,
        price: Money::from_cents(r.try_get(4)?, &currency),
        available_quantity: available,
        in_stock: available > 0,
    }))
}

/// The category of the tenant's product `id`, `None` if it has none such.
pub(crate) async fn product_category(
    conn: &mut Conn,
    tenant: &str,
    id: &str,
) -> Result<Option<String>, Failure> {
    let row = sqlx::query("SELECT category FROM products WHERE id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(tenant)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// Whether the tenant has the order `number`.
pub(crate) async fn has_order(
    conn: &mut Conn,
    tenant: &str,
    number: &str,
) -> Result<bool, Failure> {
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM orders WHERE number = $1 AND tenant_id = $2")
        .bind(number)
        .bind(tenant)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(n > 0)
}

/// At most this many suggestions are read for one completion.
const SUGGESTIONS: i64 = 1_000;

/// The tenant's product ids that start with `prefix` (any case), sorted.
pub(crate) async fn product_ids_starting(
    conn: &mut Conn,
    tenant: &str,
    prefix: &str,
) -> Result<Vec<String>, Failure> {
    starting(
        conn,
        "SELECT id FROM products WHERE tenant_id = $1
           AND substr(id, 1, length(CAST($2 AS TEXT))) = CAST($2 AS TEXT) ORDER BY id LIMIT $3",
        tenant,
        prefix,
    )
    .await
}

/// The tenant's order numbers that start with `prefix` (any case), sorted.
pub(crate) async fn order_numbers_starting(
    conn: &mut Conn,
    tenant: &str,
    prefix: &str,
) -> Result<Vec<String>, Failure> {
    starting(
        conn,
        "SELECT number FROM orders WHERE tenant_id = $1
           AND substr(number, 1, length(CAST($2 AS TEXT))) = CAST($2 AS TEXT) ORDER BY number LIMIT $3",
        tenant,
        prefix,
    )
    .await
}

async fn starting(
    conn: &mut Conn,
    sql: &'static str,
    tenant: &str,
    prefix: &str,
) -> Result<Vec<String>, Failure> {
    // Ids are upper case (`PRD-1001`); what is typed may not be.
    let prefix = prefix.to_ascii_uppercase();
    let rows = sqlx::query(sql)
        .bind(tenant)
        .bind(prefix)
        .bind(SUGGESTIONS)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<Vec<String>, sqlx::Error>>()?)
}
