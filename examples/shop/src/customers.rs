//! Customers and invoices: `get_customer`, `list_invoices`.

use mcp_runtime::prelude::*;
use sqlx::Row;

use crate::Shop;
use crate::db::{Conn, Failure, Record, ensure_owned, get_u32, tenant_terms, text_column};
use crate::model::{Address, CUSTOMER_ID, Money, Pagination, Window};
use crate::orders::OrderStatus;

// --------------------------------------------------------------- get_customer

/// Arguments of `get_customer`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetCustomerArgs {
    /// The customer's id: `CUS-` followed by four digits, e.g. `CUS-1001`.
    #[schemars(regex(pattern = CUSTOMER_ID), example = "CUS-1001")]
    pub customer_id: String,
    /// Also return the customer's orders, newest first. Default `false`.
    pub include_history: Option<bool>,
}

/// A customer's loyalty tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Regular customer.
    Standard,
    /// Gold member: 5 % off every quote.
    Gold,
}

text_column!(Tier);

/// One past order, in brief; `get_order` has the details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderSummary {
    /// The order number.
    pub order_number: String,
    /// When it was placed (ISO 8601, UTC).
    #[schemars(extend("format" = "date-time"))]
    pub placed_at: String,
    /// Where it is in its life.
    pub status: OrderStatus,
    /// Units ordered, over all lines.
    pub item_count: u32,
    /// Order total, tax and shipping included.
    pub total: Money,
}

/// A customer's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// The customer's id.
    pub customer_id: String,
    /// Full name of the customer or contact person.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Phone number, `null` if unknown.
    pub phone: Option<String>,
    /// Company, `null` for a private customer.
    pub company: Option<String>,
    /// Loyalty tier.
    pub tier: Tier,
    /// Date of the first purchase (ISO 8601).
    #[schemars(extend("format" = "date"))]
    pub customer_since: String,
    /// Billing address.
    pub address: Address,
    /// Number of orders placed, cancelled ones included.
    pub order_count: u32,
    /// Total of all orders that were not cancelled.
    pub lifetime_value: Money,
    /// Amount due on open and overdue invoices.
    pub open_balance: Money,
    /// Orders, newest first, when `includeHistory` was true; else `null`.
    pub order_history: Option<Vec<OrderSummary>>,
}

/// Look up a customer by id (`CUS-` and four digits). Returns the profile:
/// contact details, tier, billing address, order count, lifetime value and
/// open balance; with `includeHistory`, also a summary of every order.
#[mcp_tool(read_only, scopes = ["shop:read"], title = "Get customer")]
async fn get_customer(args: GetCustomerArgs, ctx: ToolContext) -> Result<Customer, McpError> {
    let tenant = ctx.require_tenant()?.to_owned();
    let db = ctx.state::<Shop>()?.db.clone();
    db.read(&ctx, (tenant, args), |conn, (tenant, args)| {
        Box::pin(load_customer(conn, tenant, args))
    })
    .await
}

async fn load_customer(
    conn: &mut Conn,
    tenant: &str,
    args: &GetCustomerArgs,
) -> Result<Customer, Failure> {
    ensure_owned(conn, tenant, Record::Customer, &args.customer_id).await?;
    let (currency, _) = tenant_terms(conn, tenant).await?;
    let money = |cents: i64| Money::from_cents(cents, &currency);
    // Every order's total, newest first: (number, placed, status, units, total).
    let rows = sqlx::query(
        "SELECT o.number, o.placed_at, o.status,
                CAST(SUM(i.quantity) AS BIGINT),
                CAST(SUM(i.quantity * i.unit_price_cents) + o.shipping_cents + o.tax_cents AS BIGINT)
         FROM orders o JOIN order_items i ON i.order_number = o.number
         WHERE o.tenant_id = $1 AND o.customer_id = $2
         GROUP BY o.number ORDER BY o.placed_at DESC",
    )
    .bind(tenant)
    .bind(&args.customer_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut orders = Vec::new();
    let mut lifetime = 0;
    for r in &rows {
        let total: i64 = r.try_get(4)?;
        let summary = OrderSummary {
            order_number: r.try_get(0)?,
            placed_at: r.try_get(1)?,
            status: r.try_get(2)?,
            item_count: get_u32(r, 3)?,
            total: money(total),
        };
        if summary.status != OrderStatus::Cancelled {
            lifetime += total;
        }
        orders.push(summary);
    }
    let open_balance: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount_due_cents), 0) AS BIGINT) FROM invoices
         WHERE tenant_id = $1 AND customer_id = $2 AND status IN ('open', 'overdue')",
    )
    .bind(tenant)
    .bind(&args.customer_id)
    .fetch_one(&mut *conn)
    .await?;
    let order_count = orders.len() as u32;
    let history = args.include_history.unwrap_or(false).then_some(orders);
    let r = sqlx::query(
        "SELECT id, name, email, phone, company, tier, customer_since,
                line1, line2, city, postal_code, region, country
         FROM customers WHERE id = $1 AND tenant_id = $2",
    )
    .bind(&args.customer_id)
    .bind(tenant)
    .fetch_one(&mut *conn)
    .await?;
    let name: String = r.try_get(1)?;
    let company: Option<String> = r.try_get(4)?;
    Ok(Customer {
        customer_id: r.try_get(0)?,
        address: Address {
            name: company.clone().unwrap_or_else(|| name.clone()),
            line1: r.try_get(7)?,
            line2: r.try_get(8)?,
            city: r.try_get(9)?,
            postal_code: r.try_get(10)?,
            region: r.try_get(11)?,
            country: r.try_get(12)?,
        },
        name,
        email: r.try_get(2)?,
        phone: r.try_get(3)?,
        company,
        tier: r.try_get(5)?,
        customer_since: r.try_get(6)?,
        order_count,
        lifetime_value: money(lifetime),
        open_balance: money(open_balance),
        order_history: history,
    })
}

// -------------------------------------------------------------- list_invoices

/// An invoice's payment status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Prepared, not yet sent.
    Draft,
    /// Sent, not yet due.
    Open,
    /// Paid in full.
    Paid,
    /// Past its due date and unpaid.
    Overdue,
    /// Cancelled; nothing is owed.
    Void,
}

text_column!(InvoiceStatus);

/// Arguments of `list_invoices`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListInvoicesArgs {
    /// Only this customer's invoices, e.g. `CUS-1001`; default: all customers.
    #[schemars(regex(pattern = CUSTOMER_ID), example = "CUS-1001")]
    pub customer_id: Option<String>,
    /// Only invoices with this status; default: any status.
    pub status: Option<InvoiceStatus>,
    /// Page to return, from 1. Default 1.
    #[schemars(range(min = 1, max = 10000))]
    pub page: Option<u32>,
    /// Invoices per page, 1 to 100. Default 20.
    #[schemars(range(min = 1, max = 100))]
    pub page_size: Option<u32>,
}

/// An invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    /// The invoice number, e.g. `INV-10001`.
    pub invoice_number: String,
    /// The customer billed.
    pub customer_id: String,
    /// The order invoiced, `null` for an invoice without order (e.g. services).
    pub order_number: Option<String>,
    /// Payment status.
    pub status: InvoiceStatus,
    /// Date of issue (ISO 8601).
    #[schemars(extend("format" = "date"))]
    pub issued_on: String,
    /// Payment due date (ISO 8601).
    #[schemars(extend("format" = "date"))]
    pub due_on: String,
    /// Date paid in full (ISO 8601), `null` while unpaid.
    #[schemars(extend("format" = "date"))]
    pub paid_on: Option<String>,
    /// Invoice total, tax included.
    pub total: Money,
    /// What is still to be paid.
    pub amount_due: Money,
}

/// One page of invoices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceList {
    /// The invoices on this page, newest first.
    pub invoices: Vec<Invoice>,
    /// Where this page sits in all results.
    pub pagination: Pagination,
}

/// List invoices, newest first, optionally for one customer and/or with one
/// status (draft, open, paid, overdue, void). Returns one page of invoices
/// (number, order, dates, total, amount due) with pagination. Use it for
/// billing questions such as "what does this customer still owe?".
#[mcp_tool(read_only, scopes = ["shop:read"], title = "List invoices")]
async fn list_invoices(args: ListInvoicesArgs, ctx: ToolContext) -> Result<InvoiceList, McpError> {
    let tenant = ctx.require_tenant()?.to_owned();
    let db = ctx.state::<Shop>()?.db.clone();
    let window = Window::new(args.page, args.page_size);
    db.read(
        &ctx,
        (tenant, args, window),
        |conn, (tenant, args, window)| Box::pin(invoices(conn, tenant, args, *window)),
    )
    .await
}

async fn invoices(
    conn: &mut Conn,
    tenant: &str,
    args: &ListInvoicesArgs,
    window: Window,
) -> Result<InvoiceList, Failure> {
    if let Some(c) = &args.customer_id {
        ensure_owned(conn, tenant, Record::Customer, c).await?;
    }
    let (currency, _) = tenant_terms(conn, tenant).await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invoices WHERE tenant_id = $1
           AND ($2 IS NULL OR customer_id = $2) AND ($3 IS NULL OR status = $3)",
    )
    .bind(tenant)
    .bind(&args.customer_id)
    .bind(args.status)
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query(
        "SELECT number, customer_id, order_number, status, issued_on, due_on, paid_on,
                total_cents, amount_due_cents
         FROM invoices WHERE tenant_id = $1
           AND ($2 IS NULL OR customer_id = $2) AND ($3 IS NULL OR status = $3)
         ORDER BY issued_on DESC, number DESC LIMIT $4 OFFSET $5",
    )
    .bind(tenant)
    .bind(&args.customer_id)
    .bind(args.status)
    .bind(window.limit())
    .bind(window.offset())
    .fetch_all(&mut *conn)
    .await?;
    let invoices = rows
        .iter()
        .map(|r| {
            Ok(Invoice {
                invoice_number: r.try_get(0)?,
                customer_id: r.try_get(1)?,
                order_number: r.try_get(2)?,
                status: r.try_get(3)?,
                issued_on: r.try_get(4)?,
                due_on: r.try_get(5)?,
                paid_on: r.try_get(6)?,
                total: Money::from_cents(r.try_get(7)?, &currency),
                amount_due: Money::from_cents(r.try_get(8)?, &currency),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(InvoiceList {
        invoices,
        pagination: window.pagination(total.max(0) as u64),
    })
}
