//! Quotes: `create_quote`.

use mcp_runtime::prelude::*;
use rusqlite::{Connection, Transaction, params};

use crate::Shop;
use crate::customers::Tier;
use crate::db::{Idempotent, Record, ensure_all_owned, ensure_owned, replayed, tenant_terms};
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
#[mcp_tool(idempotent, destructive = false, title = "Create quote")]
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
    db.write(&ctx, move |tx| insert_quote(tx, &tenant, &args))
        .await
}

fn insert_quote(
    tx: &Transaction<'_>,
    tenant: &str,
    args: &CreateQuoteArgs,
) -> Result<Quote, McpError> {
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

    // `Db::write` holds the write lock: of concurrent retries with one key,
    // only the first creates the quote.
    if let Some(id) = replayed(
        tx,
        Idempotent::Quote,
        tenant,
        &args.idempotency_key,
        &fingerprint,
    )? {
        return load_quote(tx, tenant, id);
    }

    ensure_owned(tx, tenant, Record::Customer, &args.customer_id)?;
    ensure_all_owned(
        tx,
        tenant,
        Record::Product,
        args.items.iter().map(|i| i.product_id.as_str()),
    )?;
    let (_, tax_rate) = tenant_terms(tx, tenant)?;
    let tier: Tier = tx.query_row(
        "SELECT tier FROM customers WHERE id = ?1",
        params![args.customer_id],
        |r| r.get(0),
    )?;
    let mut priced = Vec::with_capacity(args.items.len());
    for item in &args.items {
        let price: i64 = tx.query_row(
            "SELECT price_cents FROM products WHERE id = ?1 AND tenant_id = ?2",
            params![item.product_id, tenant],
            |r| r.get(0),
        )?;
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
    tx.execute(
        "INSERT INTO quotes (tenant_id, customer_id, idempotency_key, fingerprint, subtotal_cents,
                             discount_cents, tax_cents, created_at, valid_until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), date('now', '+30 days'))",
        params![
            tenant,
            args.customer_id,
            args.idempotency_key,
            fingerprint,
            subtotal,
            discount,
            tax
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE quotes SET number = printf('QUO-%06d', id) WHERE id = ?1",
        params![id],
    )?;
    for (line, (item, price)) in priced.iter().enumerate() {
        tx.execute(
            "INSERT INTO quote_lines (quote_id, line_no, product_id, quantity, unit_price_cents)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, line as i64 + 1, item.product_id, item.quantity, price],
        )?;
    }
    load_quote(tx, tenant, id)
}

fn load_quote(conn: &Connection, tenant: &str, id: i64) -> Result<Quote, McpError> {
    let (currency, _) = tenant_terms(conn, tenant)?;
    let money = |cents: i64| Money::from_cents(cents, &currency);
    let mut stmt = conn.prepare(
        "SELECT l.product_id, p.name, l.quantity, l.unit_price_cents
         FROM quote_lines l JOIN products p ON p.id = l.product_id
         WHERE l.quote_id = ?1 ORDER BY l.line_no",
    )?;
    let lines = stmt
        .query_map(params![id], |r| {
            let (quantity, unit): (u32, i64) = (r.get(2)?, r.get(3)?);
            Ok(QuoteLine {
                product_id: r.get(0)?,
                name: r.get(1)?,
                quantity,
                unit_price: money(unit),
                line_total: money(unit * i64::from(quantity)),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let quote = conn.query_row(
        "SELECT number, customer_id, subtotal_cents, discount_cents, tax_cents, created_at, valid_until
         FROM quotes WHERE id = ?1 AND tenant_id = ?2",
        params![id, tenant],
        |r| {
            let (subtotal, discount, tax): (i64, i64, i64) = (r.get(2)?, r.get(3)?, r.get(4)?);
            Ok(Quote {
                quote_number: r.get(0)?,
                customer_id: r.get(1)?,
                status: "open".to_owned(),
                lines,
                subtotal: money(subtotal),
                discount: money(discount),
                tax: money(tax),
                total: money(subtotal - discount + tax),
                created_at: r.get(5)?,
                valid_until: r.get(6)?,
            })
        },
    )?;
    Ok(quote)
}
