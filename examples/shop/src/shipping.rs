//! Parcel tracking: `get_shipping_status`.

use mcp_runtime::prelude::*;
use sqlx::Row;

use crate::Shop;
use crate::db::{Conn, Failure, Record, ensure_owned, text_column};
use crate::model::TRACKING_NUMBER;

/// Arguments of `get_shipping_status`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetShippingStatusArgs {
    /// The carrier's tracking number, 10 to 30 capital letters and digits,
    /// e.g. `JJD000390007718231`; `get_order` shows an order's tracking number.
    #[schemars(regex(pattern = TRACKING_NUMBER), example = &"JJD000390007718231")]
    pub tracking_number: String,
}

/// Where a parcel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentStatus {
    /// The label exists; the carrier does not have the parcel yet.
    LabelCreated,
    /// Moving through the carrier's network.
    InTransit,
    /// On the vehicle for delivery today.
    OutForDelivery,
    /// Delivered.
    Delivered,
    /// A problem, e.g. a failed delivery attempt; see the events.
    Exception,
}

text_column!(ShipmentStatus);

/// One scan or status change of a parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrackingEvent {
    /// When it happened (ISO 8601, UTC).
    #[schemars(extend("format" = "date-time"))]
    pub timestamp: String,
    /// Where: city and country.
    pub location: String,
    /// The parcel's status after this event.
    pub status: ShipmentStatus,
    /// The carrier's description.
    pub description: String,
}

/// A parcel's tracking status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShippingStatus {
    /// The tracking number.
    pub tracking_number: String,
    /// The order shipped in this parcel.
    pub order_number: String,
    /// The carrier, e.g. `DHL`.
    pub carrier: String,
    /// The carrier's service level, e.g. `UPS Ground`.
    pub service: String,
    /// Where the parcel is now.
    pub status: ShipmentStatus,
    /// When the carrier picked it up (ISO 8601, UTC), `null` before.
    #[schemars(extend("format" = "date-time"))]
    pub shipped_at: Option<String>,
    /// The carrier's estimated delivery date (ISO 8601), `null` if unknown.
    #[schemars(extend("format" = "date"))]
    pub estimated_delivery: Option<String>,
    /// When it was delivered (ISO 8601, UTC), `null` until then.
    #[schemars(extend("format" = "date-time"))]
    pub delivered_at: Option<String>,
    /// Every tracking event, newest first.
    pub events: Vec<TrackingEvent>,
}

/// Track a parcel by its carrier tracking number. Returns the carrier and
/// service, the current status, the estimated delivery date, and every
/// tracking event with its ISO 8601 timestamp and location, newest first.
/// Use it when a customer asks where their parcel is.
#[mcp_tool(read_only, scopes = ["shop:read"], title = "Get shipping status")]
async fn get_shipping_status(
    args: GetShippingStatusArgs,
    ctx: ToolContext,
) -> Result<ShippingStatus, McpError> {
    let tenant = ctx.require_tenant()?.to_owned();
    let db = ctx.state::<Shop>()?.db.clone();
    db.read(&ctx, (tenant, args), |conn, (tenant, args)| {
        Box::pin(load_shipment(conn, tenant, &args.tracking_number))
    })
    .await
}

async fn load_shipment(
    conn: &mut Conn,
    tenant: &str,
    number: &str,
) -> Result<ShippingStatus, Failure> {
    ensure_owned(conn, tenant, Record::Shipment, number).await?;
    let rows = sqlx::query(
        "SELECT occurred_at, location, status, description FROM shipment_events
         WHERE tracking_number = $1 ORDER BY seq DESC",
    )
    .bind(number)
    .fetch_all(&mut *conn)
    .await?;
    let events = rows
        .iter()
        .map(|r| {
            Ok(TrackingEvent {
                timestamp: r.try_get(0)?,
                location: r.try_get(1)?,
                status: r.try_get(2)?,
                description: r.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let r = sqlx::query(
        "SELECT tracking_number, order_number, carrier, service, status, shipped_at,
                estimated_delivery, delivered_at
         FROM shipments WHERE tracking_number = $1 AND tenant_id = $2",
    )
    .bind(number)
    .bind(tenant)
    .fetch_one(&mut *conn)
    .await?;
    Ok(ShippingStatus {
        tracking_number: r.try_get(0)?,
        order_number: r.try_get(1)?,
        carrier: r.try_get(2)?,
        service: r.try_get(3)?,
        status: r.try_get(4)?,
        shipped_at: r.try_get(5)?,
        estimated_delivery: r.try_get(6)?,
        delivered_at: r.try_get(7)?,
        events,
    })
}
