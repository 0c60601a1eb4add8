//! Orders and returns: `get_order`, `submit_return`.

use mcp_runtime::prelude::*;
use sqlx::Row;

use crate::Shop;
use crate::db::{
    Conn, Failure, Idempotent, Record, ensure_owned, get_u32, inserted_or_winner, lock_order,
    now_and_date_in, replayed, tenant_terms, text_column,
};
use crate::model::{Address, IDEMPOTENCY_KEY, Money, ORDER_NUMBER, PRODUCT_ID};

// ------------------------------------------------------------------ get_order

/// Arguments of `get_order`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetOrderArgs {
    /// The order number: `ORD-` followed by five digits, e.g. `ORD-10001`.
    #[schemars(regex(pattern = ORDER_NUMBER), example = "ORD-10001")]
    pub order_number: String,
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, payment not yet confirmed.
    Pending,
    /// Paid; being picked and packed.
    Processing,
    /// Handed to the carrier.
    Shipped,
    /// Delivered to the customer.
    Delivered,
    /// Cancelled; nothing will be shipped.
    Cancelled,
}

text_column!(OrderStatus);

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    /// The product ordered.
    pub product_id: String,
    /// The product's name.
    pub name: String,
    /// Units ordered.
    pub quantity: u32,
    /// Price of one unit, before tax.
    pub unit_price: Money,
    /// `unitPrice × quantity`.
    pub line_total: Money,
}

/// An order with its lines, totals, shipping address and delivery estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// The order number.
    pub order_number: String,
    /// The customer who placed it.
    pub customer_id: String,
    /// Where the order is in its life.
    pub status: OrderStatus,
    /// When it was placed (ISO 8601, UTC).
    #[schemars(extend("format" = "date-time"))]
    pub placed_at: String,
    /// What was ordered.
    pub items: Vec<OrderLine>,
    /// Sum of the line totals.
    pub subtotal: Money,
    /// Shipping charged.
    pub shipping_cost: Money,
    /// Tax on subtotal and shipping.
    pub tax: Money,
    /// `subtotal + shippingCost + tax`.
    pub total: Money,
    /// Where it is delivered.
    pub shipping_address: Address,
    /// Estimated (or, once delivered, originally estimated) delivery date,
    /// ISO 8601; `null` for a cancelled order.
    #[schemars(extend("format" = "date"))]
    pub estimated_delivery: Option<String>,
    /// The carrier's tracking number once shipped, else `null`; look it up
    /// with `get_shipping_status`.
    pub tracking_number: Option<String>,
    /// The carrier once shipped, else `null`.
    pub carrier: Option<String>,
}

/// Look up one order by its order number (`ORD-` and five digits). Returns
/// its status, line items with quantities and prices, totals, shipping
/// address, estimated delivery date and tracking number. Use it when a
/// customer asks about an order; for parcel-level tracking events, pass the
/// tracking number to `get_shipping_status`.
#[mcp_tool(read_only, scopes = ["shop:read"], title = "Get order")]
async fn get_order(args: GetOrderArgs, ctx: ToolContext) -> Result<Order, McpError> {
    let tenant = ctx.require_tenant()?.to_owned();
    let db = ctx.state::<Shop>()?.db.clone();
    db.read(&ctx, (tenant, args), |conn, (tenant, args)| {
        Box::pin(load_order(conn, tenant, &args.order_number))
    })
    .await
}

/// The order `number` of `tenant`, or `not_found` / `permission_denied`.
pub(crate) async fn load_order(
    conn: &mut Conn,
    tenant: &str,
    number: &str,
) -> Result<Order, Failure> {
    ensure_owned(conn, tenant, Record::Order, number).await?;
    let (currency, _) = tenant_terms(conn, tenant).await?;
    let money = |cents: i64| Money::from_cents(cents, &currency);
    let r = sqlx::query(
        "SELECT o.number, o.customer_id, o.status, o.placed_at, o.shipping_cents, o.tax_cents,
                o.estimated_delivery, o.ship_name, o.ship_line1, o.ship_line2, o.ship_city,
                o.ship_postal_code, o.ship_region, o.ship_country, s.tracking_number, s.carrier
         FROM orders o LEFT JOIN shipments s ON s.order_number = o.number
         WHERE o.number = $1 AND o.tenant_id = $2",
    )
    .bind(number)
    .bind(tenant)
    .fetch_one(&mut *conn)
    .await?;
    let (shipping, tax): (i64, i64) = (r.try_get(4)?, r.try_get(5)?);
    let mut order = Order {
        order_number: r.try_get(0)?,
        customer_id: r.try_get(1)?,
        status: r.try_get(2)?,
        placed_at: r.try_get(3)?,
        items: Vec::new(),
        subtotal: money(0),
        shipping_cost: money(shipping),
        tax: money(tax),
        total: money(0),
        estimated_delivery: r.try_get(6)?,
        shipping_address: Address {
            name: r.try_get(7)?,
            line1: r.try_get(8)?,
            line2: r.try_get(9)?,
            city: r.try_get(10)?,
            postal_code: r.try_get(11)?,
            region: r.try_get(12)?,
            country: r.try_get(13)?,
        },
        tracking_number: r.try_get(14)?,
        carrier: r.try_get(15)?,
    };
    let charges = shipping + tax;
    let lines = sqlx::query(
        "SELECT i.product_id, p.name, i.quantity, i.unit_price_cents
         FROM order_items i JOIN products p ON p.id = i.product_id
         WHERE i.order_number = $1 ORDER BY i.line_no",
    )
    .bind(number)
    .fetch_all(&mut *conn)
    .await?;
    let mut subtotal = 0;
    for line in &lines {
        let (product_id, name, quantity, unit): (String, String, u32, i64) = (
            line.try_get(0)?,
            line.try_get(1)?,
            get_u32(line, 2)?,
            line.try_get(3)?,
        );
        let line_total = unit * i64::from(quantity);
        subtotal += line_total;
        order.items.push(OrderLine {
            product_id,
            name,
            quantity,
            unit_price: money(unit),
            line_total: money(line_total),
        });
    }
    order.subtotal = money(subtotal);
    order.total = money(subtotal + charges);
    Ok(order)
}

// -------------------------------------------------------------- submit_return

/// Why an item is returned.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    /// Arrived damaged.
    Damaged,
    /// Does not work as it should.
    Defective,
    /// Not the item that was ordered.
    WrongItem,
    /// Differs from its description.
    NotAsDescribed,
    /// Wrong size or fit.
    DoesNotFit,
    /// The customer changed their mind.
    NoLongerNeeded,
    /// Any other reason.
    Other,
}

text_column!(ReturnReason);

/// One product to return.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReturnItemArgs {
    /// The product to return; it must be a line of the order, e.g. `PRD-1001`.
    #[schemars(regex(pattern = PRODUCT_ID), example = "PRD-1001")]
    pub product_id: String,
    /// How many units to return; at most the units ordered minus those already returned.
    #[schemars(range(min = 1, max = 1000), example = 1)]
    pub quantity: u32,
    /// Why the units are returned.
    pub reason: ReturnReason,
}

/// Arguments of `submit_return`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmitReturnArgs {
    /// The order the items come from: `ORD-` followed by five digits. It must be delivered.
    #[schemars(regex(pattern = ORDER_NUMBER), example = "ORD-10001")]
    pub order_number: String,
    /// The products to return, each product at most once.
    #[schemars(length(min = 1, max = 50))]
    pub items: Vec<ReturnItemArgs>,
    /// A unique key for this return request, e.g. a UUID. Retrying with the
    /// same key returns the same authorization instead of creating a second;
    /// reusing a key for a different request is an error.
    #[schemars(
        length(min = 8, max = 100),
        regex(pattern = IDEMPOTENCY_KEY),
        example = "3f6c2a9e-5b1d-4e8a-9c7f-0d2b4a6e8f10"
    )]
    pub idempotency_key: String,
}

/// One authorized return line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReturnLine {
    /// The product returned.
    pub product_id: String,
    /// The product's name.
    pub name: String,
    /// Units returned.
    pub quantity: u32,
    /// Why.
    pub reason: ReturnReason,
    /// Refund for these units once received: unit price × quantity, before tax.
    pub refund_amount: Money,
}

/// Where a return is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    /// The customer may send the items back; the refund follows their receipt.
    Authorized,
}

text_column!(ReturnStatus);

/// A return merchandise authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReturnAuthorization {
    /// The RMA number to write on the parcel, e.g. `RMA-000001`.
    pub rma_number: String,
    /// The order the items come from.
    pub order_number: String,
    /// Always `authorized` when created.
    // Published as a plain string, as before it was an enum: a closed set of
    // one value would make each later status (received, refunded) a breaking
    // change for agents, and the field promises only the value at creation.
    #[schemars(with = "String")]
    pub status: ReturnStatus,
    /// The authorized lines.
    pub items: Vec<ReturnLine>,
    /// Sum of the lines' refunds, before tax.
    pub refund_total: Money,
    /// Where to send the items.
    pub return_address: String,
    /// The items must be sent by this date (ISO 8601).
    #[schemars(extend("format" = "date"))]
    pub ship_by: String,
    /// When the authorization was created (ISO 8601, UTC).
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
}

/// The customer's answer to "submit this return?".
#[derive(Debug, Deserialize, JsonSchema, ElicitForm)]
pub struct ConfirmReturn {
    /// Tick to submit the return.
    pub confirm: bool,
}

/// Request a return of items from a delivered order. Checks each quantity
/// against what was ordered and already returned, and creates a return
/// authorization (RMA number, refund amounts, return address, ship-by date)
/// in one transaction: either the whole return is authorized or nothing is.
/// Pass a fresh `idempotencyKey` per return; a retry with the same key and
/// the same items returns the same authorization. When the client can show
/// forms, the customer is asked to confirm first; a client that cannot is
/// taken to have the customer's consent already.
#[mcp_tool(destructive = false, idempotent, scopes = ["orders:write"], title = "Submit return")]
async fn submit_return(
    args: SubmitReturnArgs,
    ctx: ToolContext,
) -> Result<ReturnAuthorization, McpError> {
    let tenant = ctx.require_tenant()?.to_owned();
    let db = ctx.state::<Shop>()?.db.clone();
    // The question comes before the write: under protocol 2026-07-28 the
    // handler runs again from the top once the customer has answered, and
    // only the run that gets past the question writes.
    if ctx.can_elicit() {
        let units: u32 = args.items.iter().map(|i| i.quantity).sum();
        let question = format!(
            "Submit a return of {units} unit(s) from order {}?",
            args.order_number
        );
        match ctx
            .elicit::<ConfirmReturn>(&question)
            .key("confirm")
            .await?
        {
            Elicitation::Accept(ConfirmReturn { confirm: true }) => {}
            _ => {
                return Err(McpError::validation(format!(
                    "the customer did not confirm the return from order {}: nothing was submitted",
                    args.order_number
                ))
                .with_details(serde_json::json!({ "confirmed": false })));
            }
        }
    }
    db.write(&ctx, (tenant, args), |tx, (tenant, args)| {
        Box::pin(create_return(tx, tenant, args))
    })
    .await
}

async fn create_return(
    tx: &mut Conn,
    tenant: &str,
    args: &SubmitReturnArgs,
) -> Result<ReturnAuthorization, Failure> {
    // The canonical request (key excluded), to tell a retry from a reused key.
    let mut items: Vec<(&str, u32, ReturnReason)> = args
        .items
        .iter()
        .map(|i| (i.product_id.as_str(), i.quantity, i.reason))
        .collect();
    items.sort_unstable();
    let fingerprint =
        serde_json::json!({ "orderNumber": args.order_number, "items": items }).to_string();
    let key = &args.idempotency_key;

    ensure_owned(tx, tenant, Record::Order, &args.order_number).await?;
    // From here on the order's returns are ours: concurrent returns of it
    // wait, and what they returned is visible once we hold the lock. (The
    // replay check comes after it: a request with this key, of this order
    // by its fingerprint, may have committed while we waited.)
    let status = lock_order(tx, &args.order_number).await?;
    if let Some(id) = replayed(tx, Idempotent::Return, tenant, key, &fingerprint).await? {
        return load_return(tx, tenant, id).await;
    }
    if status != "delivered" {
        return Err(McpError::validation(format!(
            "order {} is {status}; only delivered orders can be returned",
            args.order_number
        ))
        .into());
    }

    // Every line is checked before anything is written, so that a refused
    // return takes no number (a Postgres sequence does not roll back).
    let mut lines = Vec::with_capacity(args.items.len());
    for (i, item) in args.items.iter().enumerate() {
        if args.items[..i]
            .iter()
            .any(|prev| prev.product_id == item.product_id)
        {
            return Err(McpError::validation(format!(
                "`items[{i}].productId`: {} is listed twice; give each product once with the total quantity",
                item.product_id
            ))
            .into());
        }
        let ordered: Option<(i64, i64)> = sqlx::query_as(
            "SELECT quantity, unit_price_cents FROM order_items
             WHERE order_number = $1 AND product_id = $2",
        )
        .bind(&args.order_number)
        .bind(&item.product_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((ordered, unit_price)) = ordered else {
            return Err(McpError::validation(format!(
                "`items[{i}].productId`: {} is not part of order {}",
                item.product_id, args.order_number
            ))
            .into());
        };
        let returned: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(ri.quantity), 0) AS BIGINT) FROM return_items ri
             JOIN returns r ON r.id = ri.return_id
             WHERE r.order_number = $1 AND ri.product_id = $2",
        )
        .bind(&args.order_number)
        .bind(&item.product_id)
        .fetch_one(&mut *tx)
        .await?;
        let returnable = ordered - returned;
        if i64::from(item.quantity) > returnable {
            return Err(McpError::validation(format!(
                "`items[{i}].quantity`: {} exceeds the {returnable} unit(s) of {} that can still be \
                 returned from order {} (ordered {ordered}, already returned {returned})",
                item.quantity, item.product_id, args.order_number
            ))
            .into());
        }
        lines.push((item, unit_price * i64::from(item.quantity)));
    }

    let (now, ship_by) = now_and_date_in(30);
    // The unique (tenant, key) decides between concurrent requests with one
    // key, even on other replicas: one inserts, the others answer with its
    // authorization (a racer of another order with this key waits for the
    // winner's INSERT, then reads its row). Two concurrent returns of the
    // same units with different keys take turns at the order's lock: the
    // second sums what the first returned.
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO returns (tenant_id, order_number, idempotency_key, fingerprint, status, created_at, ship_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(tenant)
    .bind(&args.order_number)
    .bind(key)
    .bind(&fingerprint)
    .bind(ReturnStatus::Authorized)
    .bind(now)
    .bind(ship_by)
    .fetch_optional(&mut *tx)
    .await?;
    let id = match inserted_or_winner(tx, inserted, Idempotent::Return, tenant, key, &fingerprint)
        .await?
    {
        Ok(id) => id,
        Err(winner) => return load_return(tx, tenant, winner).await,
    };
    for (line, (item, refund)) in lines.into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO return_items (return_id, line_no, product_id, quantity, reason, refund_cents)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(line as i64 + 1)
        .bind(&item.product_id)
        .bind(i64::from(item.quantity))
        .bind(item.reason)
        .bind(refund)
        .execute(&mut *tx)
        .await?;
    }
    load_return(tx, tenant, id).await
}

async fn load_return(
    conn: &mut Conn,
    tenant: &str,
    id: i64,
) -> Result<ReturnAuthorization, Failure> {
    let (currency, _) = tenant_terms(conn, tenant).await?;
    let return_address: String =
        sqlx::query_scalar("SELECT returns_address FROM tenants WHERE id = $1")
            .bind(tenant)
            .fetch_one(&mut *conn)
            .await?;
    let (rma_number, order_number, status, created_at, ship_by): (
        String,
        String,
        ReturnStatus,
        String,
        String,
    ) = sqlx::query_as(
        "SELECT rma_number, order_number, status, created_at, ship_by FROM returns
         WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(tenant)
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query(
        "SELECT ri.product_id, p.name, ri.quantity, ri.reason, ri.refund_cents
         FROM return_items ri JOIN products p ON p.id = ri.product_id
         WHERE ri.return_id = $1 ORDER BY ri.line_no",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut total = 0;
    let mut items = Vec::new();
    for r in &rows {
        let refund: i64 = r.try_get(4)?;
        total += refund;
        items.push(ReturnLine {
            product_id: r.try_get(0)?,
            name: r.try_get(1)?,
            quantity: get_u32(r, 2)?,
            reason: r.try_get(3)?,
            refund_amount: Money::from_cents(refund, &currency),
        });
    }
    Ok(ReturnAuthorization {
        rma_number,
        order_number,
        status,
        items,
        refund_total: Money::from_cents(total, &currency),
        return_address,
        ship_by,
        created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_are_stored_under_their_serde_names() {
        assert_eq!(
            crate::db::to_text(&ReturnReason::WrongItem).unwrap(),
            "wrong_item"
        );
        let read: ReturnReason = crate::db::from_text("no_longer_needed").unwrap();
        assert_eq!(read, ReturnReason::NoLongerNeeded);
        let unknown = crate::db::from_text::<ReturnReason>("lost").unwrap_err();
        assert!(
            unknown.to_string().contains("unknown variant `lost`"),
            "{unknown}"
        );
    }
}
