//! `export_invoices`: a long-running tool, run as a task (the tasks
//! extension of protocol 2026-07-28) for clients that support tasks: the
//! tenant's invoices, read a page at a time, written as one CSV document,
//! with progress after each page and cancellation honoured between pages.

use mcp_runtime::prelude::*;
use rusqlite::params;

use crate::Shop;
use crate::customers::InvoiceStatus;
use crate::db::{Record, ensure_owned};
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
    let (t, c, s) = (tenant.clone(), args.customer_id.clone(), args.status);
    let total: i64 = db
        .read(&ctx, move |conn| {
            if let Some(c) = &c {
                ensure_owned(conn, &t, Record::Customer, c)?;
            }
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM invoices WHERE tenant_id = ?1
                   AND (?2 IS NULL OR customer_id = ?2) AND (?3 IS NULL OR status = ?3)",
                params![t, c, s],
                |r| r.get(0),
            )?)
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
        let (t, c, s, a) = (
            tenant.clone(),
            args.customer_id.clone(),
            args.status,
            after.clone(),
        );
        let rows: Vec<(String, String)> = db
            .read(&ctx, move |conn| {
                let mut stmt = conn.prepare(
                    "SELECT number, customer_id, COALESCE(order_number, ''), status, issued_on,
                            due_on, COALESCE(paid_on, ''), total_cents, amount_due_cents
                     FROM invoices WHERE tenant_id = ?1
                       AND (?2 IS NULL OR customer_id = ?2) AND (?3 IS NULL OR status = ?3)
                       AND number > ?4
                     ORDER BY number LIMIT ?5",
                )?;
                let rows = stmt
                    .query_map(params![t, c, s, a, PAGE], |r| {
                        let number: String = r.get(0)?;
                        let status: InvoiceStatus = r.get(3)?;
                        let status = serde_json::to_value(status)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        let line = [
                            field(&number),
                            field(&r.get::<_, String>(1)?),
                            field(&r.get::<_, String>(2)?),
                            status,
                            field(&r.get::<_, String>(4)?),
                            field(&r.get::<_, String>(5)?),
                            field(&r.get::<_, String>(6)?),
                            cents(r.get(7)?),
                            cents(r.get(8)?),
                        ]
                        .join(",");
                        Ok((number, line))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
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
