//! The shop's resources: its returns and shipping policies (Markdown), a
//! product (`shop://products/{productId}`, JSON) and its picture
//! (`shop://products/{productId}/image`, PNG), and an order
//! (`shop://orders/{orderNumber}`, JSON, as `get_order` returns it).
//!
//! A read acts for the caller's tenant as the runtime decides it (the
//! process's `--tenant`, or an API key bound to one tenant), never for a
//! tenant named in the URI: another tenant's product or order is "resource
//! not found", exactly as an id that does not exist, so a read tells
//! nothing of other tenants. Product ids and order numbers complete for the
//! caller's tenant only.

use mcp_runtime::prelude::*;

use crate::Shop;
use crate::lookups::{self, Terms};

/// The returns policy, with the caller's return address where its tenant
/// is known.
fn returns_policy_text(terms: Option<&Terms>) -> String {
    let address = match terms {
        Some(t) => format!("Send the items to: **{}**.", t.returns_address),
        None => "The return address is printed on each return authorization.".to_owned(),
    };
    format!(
        "# Returns policy

- Only **delivered** orders can be returned. Orders that are pending, processing, shipped or \
cancelled cannot be returned yet (or at all).
- Each product of an order can be returned up to the units ordered, less the units already \
returned from that order.
- Reasons: damaged, defective, wrong item, not as described, does not fit, no longer needed, \
or other.
- A return is authorized at once, with an RMA number (`RMA-000001`). The items must be sent \
within **30 days** of the authorization: its `shipBy` date.
- {address}
- The refund is the unit price paid times the units returned, before tax, in the order's \
currency.

Agents: authorize a return with `submit_return`, with a new `idempotencyKey` per return and the \
same key when retrying it.
"
    )
}

/// The shipping policy, with the caller's tax rate where its tenant is known.
fn shipping_policy_text(terms: Option<&Terms>) -> String {
    let tax = match terms {
        Some(t) => format!(
            "Tax ({} in {}) applies to the shipping cost as to the goods.",
            percent(t.tax_rate_bp),
            t.currency
        ),
        None => "Tax applies to the shipping cost as to the goods.".to_owned(),
    };
    format!(
        "# Shipping policy

- Shipping is charged per order: the order's `shippingCost`. A quote (`create_quote`) covers \
the goods only; shipping is added when the order is placed.
- {tax}
- Parcels travel with DHL, UPS or FedEx. Once an order ships it has a carrier and a tracking \
number; `get_shipping_status` shows the parcel's events, newest first.
- The order's `estimatedDelivery` is the carrier's estimate, `null` until it has one.
- A parcel is `label_created`, `in_transit`, `out_for_delivery`, `delivered`, or in \
`exception` (for example a failed delivery attempt: see its events).
"
    )
}

/// `1900` → `19 %`, `825` → `8.25 %`.
fn percent(bp: i64) -> String {
    let s = format!("{}.{:02}", bp / 100, bp % 100);
    format!("{} %", s.trim_end_matches('0').trim_end_matches('.'))
}

/// The caller's tenant's terms, when a tenant is known.
async fn caller_terms(ctx: &ToolContext) -> Result<Option<Terms>, McpError> {
    let Some(tenant) = ctx.tenant_id().map(str::to_owned) else {
        return Ok(None);
    };
    let db = ctx.state::<Shop>()?.db.clone();
    db.read(ctx, tenant, |conn, tenant| {
        Box::pin(async move { lookups::terms(conn, tenant).await.map(Some) })
    })
    .await
}

/// The shop's returns policy: which orders can be returned, how many units,
/// the 30 days to send them, the return address and the refund.
#[mcp_resource(
    uri = "shop://policies/returns",
    mime_type = "text/markdown",
    title = "Returns policy",
    audience = ["user", "assistant"]
)]
async fn returns_policy(ctx: ToolContext) -> Result<String, McpError> {
    Ok(returns_policy_text(caller_terms(&ctx).await?.as_ref()))
}

/// The shop's shipping policy: what shipping costs, its tax, the carriers
/// and how to track a parcel.
#[mcp_resource(
    uri = "shop://policies/shipping",
    mime_type = "text/markdown",
    title = "Shipping policy",
    audience = ["user", "assistant"]
)]
async fn shipping_policy(ctx: ToolContext) -> Result<String, McpError> {
    Ok(shipping_policy_text(caller_terms(&ctx).await?.as_ref()))
}

fn not_found(uri: String) -> McpError {
    McpError::not_found(format!("resource not found: {uri}"))
}

/// One product of the caller's tenant: id, name, description, category,
/// price and the units available now, as `search_products` lists it.
#[mcp_resource(
    uri_template = "shop://products/{productId}",
    mime_type = "application/json",
    title = "Product",
    scopes = ["shop:read"],
    complete(productId = complete_product_ids)
)]
async fn product(product_id: String, ctx: ToolContext) -> Result<ResourceContents, McpError> {
    match lookups::for_caller(&ctx, product_id.clone(), |conn, (tenant, id)| {
        Box::pin(lookups::product(conn, tenant, id))
    })
    .await?
    {
        Some(p) => ResourceContents::json(&p),
        None => Err(not_found(format!("shop://products/{product_id}"))),
    }
}

/// The picture of one product of the caller's tenant: a 48×48 PNG in the
/// colours of its category.
#[mcp_resource(
    uri_template = "shop://products/{productId}/image",
    mime_type = "image/png",
    title = "Product picture",
    scopes = ["shop:read"],
    complete(productId = complete_product_ids)
)]
async fn product_image(product_id: String, ctx: ToolContext) -> Result<Vec<u8>, McpError> {
    let category = lookups::for_caller(&ctx, product_id.clone(), |conn, (tenant, id)| {
        Box::pin(lookups::product_category(conn, tenant, id))
    })
    .await?;
    match category {
        Some(c) => Ok(crate::image::category_png(&c)),
        None => Err(not_found(format!("shop://products/{product_id}/image"))),
    }
}

/// One order of the caller's tenant, as `get_order` returns it: lines,
/// totals, status, shipping address and tracking.
#[mcp_resource(
    uri_template = "shop://orders/{orderNumber}",
    mime_type = "application/json",
    title = "Order",
    scopes = ["shop:read"],
    complete(orderNumber = complete_order_numbers)
)]
async fn order(order_number: String, ctx: ToolContext) -> Result<ResourceContents, McpError> {
    match crate::prompts::order_of_caller(&order_number, &ctx).await? {
        Some(o) => ResourceContents::json(&o),
        None => Err(not_found(format!("shop://orders/{order_number}"))),
    }
}

/// The caller's tenant's product ids that start with what was typed.
pub async fn complete_product_ids(
    value: String,
    _: CompletionArguments,
    ctx: ToolContext,
) -> Result<Vec<String>, McpError> {
    lookups::for_caller(&ctx, value, |conn, (tenant, value)| {
        Box::pin(lookups::product_ids_starting(conn, tenant, value))
    })
    .await
}

/// The caller's tenant's order numbers that start with what was typed.
pub async fn complete_order_numbers(
    value: String,
    _: CompletionArguments,
    ctx: ToolContext,
) -> Result<Vec<String>, McpError> {
    lookups::for_caller(&ctx, value, |conn, (tenant, value)| {
        Box::pin(lookups::order_numbers_starting(conn, tenant, value))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn tax_rates_read_as_percentages() {
        assert_eq!(percent(1_900), "19 %");
        assert_eq!(percent(825), "8.25 %");
        assert_eq!(percent(750), "7.5 %");
    }
}
