//! Quotes: `create_quote`.

use mcp_runtime::prelude::*;
use sqlx::Row;

use crate::Shop;
use crate::customers::Tier;
use crate::db::{
    Conn, Failure, Idempotent, Record, ensure_all_owned, ensure_owned, get_u32, inserted_or_winner,
    now_and_date_in, replayed, tenant_terms,
};
use crate::model::{CUSTOMER_ID, IDEMPOTENCY_KEY, Money, PRODUCT_ID, apply_rate};

/// Discount of gold-tier customers, in basis points (5 %).
const GOLD_DISCOUNT_BP: i64 = 500;

/// One product to quote.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteItemArgs {
    /// The product, e.g. `PRD-1001`; find ids with `search_products`.
    #[schemars(regex(pattern = PRODUCT_ID), example = "PRD-1001")]
    pub product_id: String,
    /// Units wanted, 1 to 1000.
    #[schemars(range(min = 1, max = 1000), example = 2)]
    pub quantity: u32,
}

/// Arguments of `create_quote`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateQuoteArgs {
    /// The customer the quote is for: `CUS-` followed by four digits, e.g. `CUS-1001`.
    #[schemars(regex(pattern = CUSTOMER_ID), example = "CUS-1001")]
    pub customer_id: String,
    /// The products and quantities to quote, each product at most once.
    #[schemars(length(min = 1, max = 50))]
    pub items: Vec<QuoteItemArgs>,
    /// A unique key for this quote request, e.g. a UUID. Retrying with the
    /// same key returns the same quote instead of creating a second; reusing
    /// a key for a different request is an error.
    #[schemars(
        length(min = 8, max = 100),
        regex(pattern = IDEMPOTENCY_KEY),
        example = "8d1e4c2b-7a9f-4b3e-a6d5-1c0f9e8b7a64"
    )]
    pub idempotency_key: String,
}

/// One line of a quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuoteLine {
    /// The product quoted.
    pub product_id: String,
    /// The product's name.
    pub name: String,
    /// Units quoted.
    pub quantity: u32,
    /// Price of one unit, before discount and tax.
    pub unit_price: Money,
    /// `unitPrice × quantity`.
    pub line_total: Money,
}

/// A price quote, binding until `validUntil`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// The quote number, e.g. `QUO-000001`.
    pub quote_number: String,
    /// The customer it is for.
    pub customer_id: String,
    /// Always `open` when created.
    pub status: String,
    /// The quoted lines, in the order requested.
    pub lines: Vec<QuoteLine>,
    /// Sum of the line totals.
    pub subtotal: Money,
    /// Loyalty discount (5 % for gold-tier customers), subtracted from the subtotal.
    pub discount: Money,
    /// Tax on `subtotal - discount` at the shop's rate.
    pub tax: Money,
    /// `subtotal - discount + tax`. Shipping is charged on the order.
    pub total: Money,
    /// When the quote was created (ISO 8601, UTC).
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    /// Last day the quoted prices hold (ISO 8601).
    #[schemars(extend("format" = "date"))]
    pub valid_until: String,
}

/// Create a price quote for a customer: current unit prices, line totals,
/// loyalty discount, tax and total, valid for 30 days. Stored in one
/// transaction. Pass a fresh `idempotencyKey` per quote; a retry with the
/// same key and the same content returns the same quote.
#[mcp_tool(idempotent, destructive = false, scopes = ["orders:write"], title = "Create quote")]
async fn create_quote(args: CreateQuoteArgs, ctx: ToolContext) -> Result<Quote, McpError> {
    let tenant = ctx.require_tenant()?.to_owned();
    let db = ctx.state::<Shop>()?.db.clone();
    for (i, item) in args.items.iter().enumerate() {
        if args.items[..i]
            .iter()
            .any(|prev| prev.product_id == item.product_id)
        {
            return Err(McpError::validation(format!(
                "`items[{i}].productId`: {} is listed twice; give each product once with the total quantity",
                item.product_id
            )));
        }
    }
    db.write(&ctx, (tenant, args), |tx, (tenant, args)| {
        Box::pin(insert_quote(tx, tenant, args))
    })
    .await
}

async fn insert_quote(
    tx: &mut Conn,
    tenant: &str,
    args: &CreateQuoteArgs,
) -> Result<Quote, Failure> {
    // The canonical request (key excluded, lines sorted), to tell a retry
    // from a reused key.
    let mut items: Vec<(&str, u32)> = args
        .items
        .iter()
        .map(|i| (i.product_id.as_str(), i.quantity))
        .collect();
    items.sort_unstable();
    let fingerprint =
        serde_json::json!({ "customerId": args.customer_id, "items": items }).to_string();
    let key = &args.idempotency_key;

    if let Some(id) = replayed(tx, Idempotent::Quote, tenant, key, &fingerprint).await? {
        return load_quote(tx, tenant, id).await;
    }

    ensure_owned(tx, tenant, Record::Customer, &args.customer_id).await?;
    let products: Vec<&str> = args.items.iter().map(|i| i.product_id.as_str()).collect();
    ensure_all_owned(tx, tenant, Record::Product, &products).await?;
    let (_, tax_rate) = tenant_terms(tx, tenant).await?;
    let tier: Tier = sqlx::query_scalar("SELECT tier FROM customers WHERE id = $1")
        .bind(&args.customer_id)
        .fetch_one(&mut *tx)
        .await?;
    let mut priced = Vec::with_capacity(args.items.len());
    for item in &args.items {
        let price: i64 =
            sqlx::query_scalar("SELECT price_cents FROM products WHERE id = $1 AND tenant_id = $2")
                .bind(&item.product_id)
                .bind(tenant)
                .fetch_one(&mut *tx)
                .await?;
        priced.push((item, price));
    }
    let subtotal: i64 = priced
        .iter()
        .map(|(item, price)| price * i64::from(item.quantity))
        .sum();
    let discount = if tier == Tier::Gold {
        apply_rate(subtotal, GOLD_DISCOUNT_BP)
    } else {
        0
    };
    let tax = apply_rate(subtotal - discount, tax_rate);
    let (now, valid_until) = now_and_date_in(30);
    // The unique (tenant, key) decides between concurrent requests with one
    // key, even on other replicas: one inserts, the others answer with its
    // quote (a racer with this key waits for the winner's INSERT, then
    // reads its row).
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO quotes (tenant_id, customer_id, idempotency_key, fingerprint, subtotal_cents,
                             discount_cents, tax_cents, created_at, valid_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(tenant)
    .bind(&args.customer_id)
    .bind(key)
    .bind(&fingerprint)
    .bind(subtotal)
    .bind(discount)
    .bind(tax)
    .bind(now)
    .bind(valid_until)
    .fetch_optional(&mut *tx)
    .await?;
    let id = match inserted_or_winner(tx, inserted, Idempotent::Quote, tenant, key, &fingerprint)
        .await?
    {
        Ok(id) => id,
        Err(winner) => return load_quote(tx, tenant, winner).await,
    };
    for (line, (item, price)) in priced.iter().enumerate() {
        sqlx::query(
            "INSERT INTO quote_lines (quote_id, line_no, product_id, quantity, unit_price_cents)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(line as i64 + 1)
        .bind(&item.product_id)
        .bind(i64::from(item.quantity))
        .bind(price)
        .execute(&mut *tx)
        .await?;
    }
    load_quote(tx, tenant, id).await
}

async fn load_quote(conn: &mut Conn, tenant: &str, id: i64) -> Result<Quote, Failure> {
    let (currency, _) = tenant_terms(conn, tenant).await?;
    let money = |cents: i64| Money::from_cents(cents, &currency);
    let rows = sqlx::query(
        "SELECT l.product_id, p.name, l.quantity, l.unit_price_cents
         FROM quote_lines l JOIN products p ON p.id = l.product_id
         WHERE l.quote_id = $1 ORDER BY l.line_no",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let lines = rows
        .iter()
        .map(|r| {
            let (quantity, unit): (u32, i64) = (get_u32(r, 2)?, r.try_get(3)?);
            Ok(QuoteLine {
                product_id: r.try_get(0)?,
                name: r.try_get(1)?,
                quantity,
                unit_price: money(unit),
                line_total: money(unit * i64::from(quantity)),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let r = sqlx::query(
        "SELECT number, customer_id, subtotal_cents, discount_cents, tax_cents, created_at, valid_until
         FROM quotes WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(tenant)
    .fetch_one(&mut *conn)
    .await?;
    let (subtotal, discount, tax): (i64, i64, i64) = (r.try_get(2)?, r.try_get(3)?, r.try_get(4)?);
    Ok(Quote {
        quote_number: r.try_get(0)?,
        customer_id: r.try_get(1)?,
        status: "open".to_owned(),
        lines,
        subtotal: money(subtotal),
        discount: money(discount),
        tax: money(tax),
        total: money(subtotal - discount + tax),
        created_at: r.try_get(5)?,
        valid_until: r.try_get(6)?,
    })
}
