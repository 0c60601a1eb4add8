//! `export_invoices`: a long-running tool, run as a task (the tasks
//! extension of protocol 2026-07-28) for clients that support tasks: the
//! tenant's invoices, read a page at a time, written as one CSV document,
//! with progress after each page and cancellation honoured between pages.

use mcp_runtime::prelude::*;
use sqlx::Row;

use crate::Shop;
use crate::customers::InvoiceStatus;
use crate::db::{Conn, Failure, Record, ensure_owned};
use crate::model::CUSTOMER_ID;

/// Invoices read per page (and per progress report).
const PAGE: i64 = 200;

/// Arguments of `export_invoices`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportInvoicesArgs {
    /// Only this customer's invoices, e.g. `CUS-1001`; default: every customer.
    #[schemars(regex(pattern = CUSTOMER_ID), example = "CUS-1001")]
    pub customer_id: Option<String>,
    /// Only invoices with this status; default: any status.
    pub status: Option<InvoiceStatus>,
}

/// CSV field: quoted when it holds a comma, quote or line break.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn cents(c: i64) -> String {
    let sign = if c < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02}",
        c.unsigned_abs() / 100,
        c.unsigned_abs() % 100
    )
}

/// Export invoices as CSV (number, customer, order, status, issued, due,
/// paid, total, amount due), optionally for one customer and/or one status,
/// oldest first. Returns the CSV as an embedded resource
/// (`shop://exports/invoices.csv`) and a one-line summary. Use it when the
/// user wants a file of invoices rather than an answer about a few; with a
/// client that supports tasks it runs as one, reporting progress.
#[mcp_tool(read_only, scopes = ["shop:read"], title = "Export invoices", task = "optional")]
async fn export_invoices(
    args: ExportInvoicesArgs,
    ctx: ToolContext,
) -> Result<ToolOutput, McpError> {
    let tenant = ctx.require_tenant()?.to_owned();
    let db = ctx.state::<Shop>()?.db.clone();
    let filter = Filter {
        tenant,
        customer_id: args.customer_id,
        status: args.status,
    };
    let (filter, total) = db
        .read(&ctx, filter, |conn, f| {
            Box::pin(async move {
                let total = count(conn, f).await?;
                Ok((f.clone(), total))
            })
        })
        .await?;
    let mut csv = String::from(
        "invoice_number,customer_id,order_number,status,issued_on,due_on,paid_on,total,amount_due\n",
    );
    let mut after = String::new();
    let mut done: i64 = 0;
    ctx.progress(0.0, Some(total as f64), Some("exporting invoices"))
        .await;
    while done < total {
        if ctx.is_cancelled() {
            return Err(McpError::validation("the export was cancelled"));
        }
        let rows = db
            .read(&ctx, (filter.clone(), after.clone()), |conn, (f, after)| {
                Box::pin(page(conn, f, after))
            })
            .await?;
        let Some((last, _)) = rows.last() else {
            break; // invoices deleted meanwhile
        };
        after = last.clone();
        done += rows.len() as i64;
        for (_, line) in rows {
            csv.push_str(&line);
            csv.push('\n');
        }
        ctx.progress(
            done as f64,
            Some(total as f64),
            Some(&format!("exported {done} of {total} invoices")),
        )
        .await;
    }
    Ok(ToolOutput::new()
        .with(Content::text(format!("{done} invoices exported as CSV")))
        .with(Content::resource_text(
            "shop://exports/invoices.csv",
            "text/csv",
            csv,
        )))
}

/// Which invoices an export takes.
#[derive(Clone)]
struct Filter {
    tenant: String,
    customer_id: Option<String>,
    status: Option<InvoiceStatus>,
}

/// How many invoices `f` takes (its customer checked to be the tenant's).
async fn count(conn: &mut Conn, f: &Filter) -> Result<i64, Failure> {
    if let Some(c) = &f.customer_id {
        ensure_owned(conn, &f.tenant, Record::Customer, c).await?;
    }
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM invoices WHERE tenant_id = $1
           AND ($2 IS NULL OR customer_id = $2) AND ($3 IS NULL OR status = $3)",
    )
    .bind(&f.tenant)
    .bind(&f.customer_id)
    .bind(f.status)
    .fetch_one(&mut *conn)
    .await?)
}

/// The next page of `f`'s invoices after number `after`: (number, CSV line).
async fn page(conn: &mut Conn, f: &Filter, after: &str) -> Result<Vec<(String, String)>, Failure> {
    let rows = sqlx::query(
        "SELECT number, customer_id, COALESCE(order_number, ''), status, issued_on,
                due_on, COALESCE(paid_on, ''), total_cents, amount_due_cents
         FROM invoices WHERE tenant_id = $1
           AND ($2 IS NULL OR customer_id = $2) AND ($3 IS NULL OR status = $3)
           AND number > $4
         ORDER BY number LIMIT $5",
    )
    .bind(&f.tenant)
    .bind(&f.customer_id)
    .bind(f.status)
    .bind(after)
    .bind(PAGE)
    .fetch_all(&mut *conn)
    .await?;
    let lines = rows
        .iter()
        .map(|r| {
            let number: String = r.try_get(0)?;
            let status: InvoiceStatus = r.try_get(3)?;
            let status = serde_json::to_value(status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let line = [
                field(&number),
                field(&r.try_get::<String, _>(1)?),
                field(&r.try_get::<String, _>(2)?),
                status,
                field(&r.try_get::<String, _>(4)?),
                field(&r.try_get::<String, _>(5)?),
                field(&r.try_get::<String, _>(6)?),
                cents(r.try_get(7)?),
                cents(r.try_get(8)?),
            ]
            .join(",");
            Ok((number, line))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(lines)
}
