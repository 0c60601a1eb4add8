//! The catalog: `search_products`, `check_inventory`.

use mcp_runtime::prelude::*;
use sqlx::any::AnyArguments;
use sqlx::{Any, Row};

use crate::Shop;
use crate::db::{Conn, Failure, Record, ensure_all_owned, ensure_owned, get_u32, tenant_terms};
use crate::model::{Money, PRODUCT_ID, Pagination, WAREHOUSE_ID, Window};

// ------------------------------------------------------------ search_products

/// Arguments of `search_products`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchProductsArgs {
    /// Words to look for in product names, descriptions, categories and ids;
    /// a product matches when it contains every word (case-insensitive).
    /// `*` matches every product.
    #[schemars(length(min = 1, max = 200), example = &"tent")]
    pub query: String,
    /// Only products of this category (case-insensitive), e.g. `Tents` or `Laptops`.
    #[schemars(length(min = 1, max = 50), example = &"Tents")]
    pub category: Option<String>,
    /// Lowest unit price, in the shop's currency, e.g. `50` or `19.99`.
    #[schemars(range(min = 0.0, max = 1000000.0), example = 50.0)]
    pub min_price: Option<f64>,
    /// Highest unit price, in the shop's currency; at least `minPrice`.
    #[schemars(range(min = 0.0, max = 1000000.0), example = 300.0)]
    pub max_price: Option<f64>,
    /// Only products with units available to ship now. Default `false`.
    pub in_stock_only: Option<bool>,
    /// Page to return, from 1. Default 1.
    #[schemars(range(min = 1, max = 10000))]
    pub page: Option<u32>,
    /// Results per page, 1 to 100. Default 20.
    #[schemars(range(min = 1, max = 100))]
    pub page_size: Option<u32>,
}

/// A product of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// The product's id.
    pub product_id: String,
    /// Its name.
    pub name: String,
    /// A one-sentence description.
    pub description: String,
    /// Its category.
    pub category: String,
    /// Price of one unit, before tax.
    pub price: Money,
    /// Units available to ship now, across all warehouses.
    pub available_quantity: u32,
    /// Whether any unit is available now.
    pub in_stock: bool,
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductSearch {
    /// The products on this page, by name.
    pub products: Vec<Product>,
    /// Where this page sits in all results.
    pub pagination: Pagination,
}

/// Search the product catalog by keywords, optionally filtered by category,
/// price range and availability. Returns one page of products (id, name,
/// description, category, price, units available) with pagination. Use it
/// to find product ids for `check_inventory` and `create_quote`.
#[mcp_tool(read_only, scopes = ["shop:read"], title = "Search products")]
async fn search_products(
    args: SearchProductsArgs,
    ctx: ToolContext,
) -> Result<ProductSearch, McpError> {
    let tenant = ctx.require_tenant()?.to_owned();
    let db = ctx.state::<Shop>()?.db.clone();
    plain_text("query", &args.query)?;
    if let Some(category) = &args.category {
        plain_text("category", category)?;
    }
    let to_cents = |p: Option<f64>| p.map(|p| (p * 100.0).round() as i64);
    let (min, max) = (to_cents(args.min_price), to_cents(args.max_price));
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        return Err(McpError::validation(
            "`minPrice` is greater than `maxPrice`; give a range with minPrice <= maxPrice",
        ));
    }
    let terms: Vec<String> = match args.query.trim() {
        "*" => Vec::new(),
        q => q.split_whitespace().take(10).map(like_pattern).collect(),
    };
    if terms.is_empty() && args.query.trim() != "*" {
        return Err(McpError::validation(
            "`query` has no words; give at least one word, or `*` for every product",
        ));
    }
    let window = Window::new(args.page, args.page_size);
    let category = args.category;
    let in_stock_only = args.in_stock_only.unwrap_or(false);
    let query = Search {
        tenant,
        category,
        min,
        max,
        terms,
        in_stock_only,
        window,
    };
    db.read(&ctx, query, |conn, query| Box::pin(search(conn, query)))
        .await
}

/// A `search_products` request, checked.
struct Search {
    tenant: String,
    category: Option<String>,
    min: Option<i64>,
    max: Option<i64>,
    /// `%word%` LIKE patterns; every one must match.
    terms: Vec<String>,
    in_stock_only: bool,
    window: Window,
}

/// A value bound to a query built at run time.
enum Value<'a> {
    Text(Option<&'a str>),
    Integer(Option<i64>),
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, Any, AnyArguments>,
    values: &'q [Value<'q>],
) -> sqlx::query::Query<'q, Any, AnyArguments> {
    for v in values {
        query = match v {
            Value::Text(t) => query.bind(*t),
            Value::Integer(n) => query.bind(*n),
        };
    }
    query
}

async fn search(conn: &mut Conn, q: &Search) -> Result<ProductSearch, Failure> {
    let (currency, _) = tenant_terms(conn, &q.tenant).await?;
    // Case-insensitive in both databases: both sides lowered by the
    // database's own `lower` (ASCII only in SQLite, as its LIKE was).
    let category = q.category.as_deref();
    let mut sql = String::from(
        "SELECT * FROM (
            SELECT p.id, p.name, p.description, p.category, p.price_cents,
                   (SELECT CAST(COALESCE(SUM(CASE WHEN s.on_hand > s.reserved
                                                  THEN s.on_hand - s.reserved ELSE 0 END), 0) AS BIGINT)
                    FROM stock s WHERE s.product_id = p.id) AS available
            FROM products p
            WHERE p.tenant_id = $1
              AND ($2 IS NULL OR lower(p.category) = lower($2))
              AND ($3 IS NULL OR p.price_cents >= $3)
              AND ($4 IS NULL OR p.price_cents <= $4)",
    );
    let mut values = vec![
        Value::Text(Some(&q.tenant)),
        Value::Text(category),
        Value::Integer(q.min),
        Value::Integer(q.max),
    ];
    for term in &q.terms {
        values.push(Value::Text(Some(term)));
        let n = values.len();
        sql.push_str(&format!(
            " AND (lower(p.name) LIKE lower(${n}) ESCAPE '\\' OR lower(p.description) LIKE lower(${n}) ESCAPE '\\'
                   OR lower(p.category) LIKE lower(${n}) ESCAPE '\\' OR lower(p.id) LIKE lower(${n}) ESCAPE '\\')"
        ));
    }
    sql.push_str(") AS found");
    if q.in_stock_only {
        sql.push_str(" WHERE available > 0");
    }
    let total: i64 = bind_all(
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM ({sql}) AS matches"
        ))),
        &values,
    )
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    let n = values.len();
    sql.push_str(&format!(
        " ORDER BY name, id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    ));
    values.push(Value::Integer(Some(q.window.limit())));
    values.push(Value::Integer(Some(q.window.offset())));
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &values)
        .fetch_all(&mut *conn)
        .await?;
    let products = rows
        .iter()
        .map(|r| {
            let available = get_u32(r, 5)?;
            Ok(Product {
                product_id: r.try_get(0)?,
                name: r.try_get(1)?,
                description: r.try_get(2)?,
                category: r.try_get(3)?,
                price: Money::from_cents(r.try_get(4)?, &currency),
                available_quantity: available,
                in_stock: available > 0,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(ProductSearch {
        products,
        pagination: q.window.pagination(total.max(0) as u64),
    })
}

/// Refuse search text with a control character in it. SQLite's LIKE reads
/// its pattern only up to a NUL, so `\u0000zzz` would match every product;
/// the other control characters never occur in the catalog.
fn plain_text(argument: &str, text: &str) -> Result<(), McpError> {
    match text.chars().enumerate().find(|(_, c)| c.is_control()) {
        None => Ok(()),
        Some((at, c)) => Err(McpError::validation(format!(
            "`{argument}` contains the control character U+{:04X} at character {}; \
             search text is words separated by spaces",
            u32::from(c),
            at + 1
        ))),
    }
}

/// `%word%` for LIKE, with LIKE's wildcards in the word escaped.
fn like_pattern(word: &str) -> String {
    let mut p = String::with_capacity(word.len() + 2);
    p.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

// ------------------------------------------------------------ check_inventory

/// Arguments of `check_inventory`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckInventoryArgs {
    /// The products to check, 1 to 50 ids such as `PRD-1001`.
    #[schemars(
        length(min = 1, max = 50),
        inner(regex(pattern = PRODUCT_ID)),
        example = ["PRD-1001", "PRD-1003"]
    )]
    pub product_ids: Vec<String>,
    /// Only this warehouse, e.g. `WH-BER`; default: every warehouse of the shop.
    #[schemars(regex(pattern = WAREHOUSE_ID), example = "WH-BER")]
    pub warehouse_id: Option<String>,
}

/// Stock of one product in one warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WarehouseStock {
    /// The warehouse's id.
    pub warehouse_id: String,
    /// The warehouse's name.
    pub name: String,
    /// Where it is.
    pub city: String,
    /// Units physically in the warehouse.
    pub on_hand: u32,
    /// Units held for open orders.
    pub reserved: u32,
    /// Units that can be sold now: `onHand - reserved`.
    pub available: u32,
}

/// Stock of one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductStock {
    /// The product's id.
    pub product_id: String,
    /// Its name.
    pub name: String,
    /// Units available across the warehouses listed.
    pub total_available: u32,
    /// Stock per warehouse, by warehouse id.
    pub warehouses: Vec<WarehouseStock>,
}

/// Stock levels of the products asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Inventory {
    /// One entry per product, in the order asked (duplicates once).
    pub products: Vec<ProductStock>,
}

/// Check current stock of up to 50 products, per warehouse: units on hand,
/// reserved for open orders, and available to sell. Optionally limited to
/// one warehouse. Use it before promising a delivery or quoting large
/// quantities.
#[mcp_tool(read_only, scopes = ["shop:read"], title = "Check inventory")]
async fn check_inventory(
    args: CheckInventoryArgs,
    ctx: ToolContext,
) -> Result<Inventory, McpError> {
    let tenant = ctx.require_tenant()?.to_owned();
    let db = ctx.state::<Shop>()?.db.clone();
    let mut ids: Vec<String> = Vec::with_capacity(args.product_ids.len());
    for id in args.product_ids {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let warehouse = args.warehouse_id;
    db.read(
        &ctx,
        (tenant, ids, warehouse),
        |conn, (tenant, ids, warehouse)| {
            Box::pin(inventory(conn, tenant, ids, warehouse.as_deref()))
        },
    )
    .await
}

async fn inventory(
    conn: &mut Conn,
    tenant: &str,
    ids: &[String],
    warehouse: Option<&str>,
) -> Result<Inventory, Failure> {
    let products: Vec<&str> = ids.iter().map(String::as_str).collect();
    ensure_all_owned(conn, tenant, Record::Product, &products).await?;
    if let Some(w) = warehouse {
        ensure_owned(conn, tenant, Record::Warehouse, w).await?;
    }
    let mut products = Vec::with_capacity(ids.len());
    for id in ids {
        let name: String =
            sqlx::query_scalar("SELECT name FROM products WHERE id = $1 AND tenant_id = $2")
                .bind(id)
                .bind(tenant)
                .fetch_one(&mut *conn)
                .await?;
        let rows = sqlx::query(
            "SELECT w.id, w.name, w.city, COALESCE(s.on_hand, 0), COALESCE(s.reserved, 0)
             FROM warehouses w
             LEFT JOIN stock s ON s.warehouse_id = w.id AND s.product_id = $1
             WHERE w.tenant_id = $2 AND ($3 IS NULL OR w.id = $3)
             ORDER BY w.id",
        )
        .bind(id)
        .bind(tenant)
        .bind(warehouse)
        .fetch_all(&mut *conn)
        .await?;
        let warehouses = rows
            .iter()
            .map(|r| {
                let (on_hand, reserved) = (get_u32(r, 3)?, get_u32(r, 4)?);
                Ok(WarehouseStock {
                    warehouse_id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    city: r.try_get(2)?,
                    on_hand,
                    reserved,
                    available: on_hand.saturating_sub(reserved),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        products.push(ProductStock {
            product_id: id.clone(),
            name,
            total_available: warehouses.iter().map(|w| w.available).sum(),
            warehouses,
        });
    }
    Ok(Inventory { products })
}
