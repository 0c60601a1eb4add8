//! The smallest complete MCP server: one tool over in-memory demo data.
//! Run: `cargo run -p shipping-tracker` (HTTP, 127.0.0.1:8080/mcp) or `... -- --stdio`.

// One import brings the attribute, the context, the error type and the derives.
use mcp_runtime::prelude::*;

/// Demo shipments: (tracking number, carrier, status, estimated delivery).
/// A real server would ask a database or the carrier's API instead.
#[rustfmt::skip]
const SHIPMENTS: &[(&str, &str, &str, Option<&str>)] = &[
    ("1Z999AA10123456784", "UPS", "in_transit", Some("2026-11-24")),
    ("JJD0099887766", "DHL", "out_for_delivery", Some("2026-11-21")),
    ("9400111899223197428490", "USPS", "delivered", None),
];

/// The tool's arguments. Each field's `///` comment becomes its description
/// in the JSON Schema the agent reads, so write it for the agent.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")] // on the wire: `trackingNumber`
struct TrackArgs {
    /// The carrier's tracking number, e.g. `1Z999AA10123456784`.
    #[schemars(length(min = 6, max = 40), example = "1Z999AA10123456784")]
    tracking_number: String,
}

/// What the tool returns; its schema becomes the tool's `outputSchema`.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Shipment {
    /// The tracking number that was looked up.
    tracking_number: String,
    /// Who carries the parcel.
    carrier: String,
    /// Where it is: `in_transit`, `out_for_delivery` or `delivered`.
    status: String,
    /// Estimated delivery date (ISO 8601), `null` once delivered.
    estimated_delivery: Option<String>,
}

/// Look up a parcel by tracking number. Returns the carrier, the delivery
/// status and the estimated delivery date. Use it when someone asks where
/// their parcel is.
// ^ That doc comment is the tool's description. The flags are MCP hints.
#[mcp_tool(read_only, idempotent)]
async fn get_shipping_status(args: TrackArgs) -> Result<Shipment, McpError> {
    let number = args.tracking_number;
    let Some(&(_, carrier, status, eta)) = SHIPMENTS.iter().find(|s| s.0 == number) else {
        // Errors are typed: the agent sees `not_found` and this message.
        let message = format!("no shipment with tracking number {number}");
        return Err(McpError::not_found(message));
    };
    Ok(Shipment {
        tracking_number: number,
        carrier: carrier.to_owned(),
        status: status.to_owned(),
        estimated_delivery: eta.map(str::to_owned),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // No registration: `build` collects every `#[mcp_tool]` in the binary and checks it.
    let server = Server::builder("shipping-tracker", env!("CARGO_PKG_VERSION"))
        .instructions("Track parcels by tracking number with get_shipping_status.")
        .build()?;
    // HTTP on --addr or MCP_ADDR (default 127.0.0.1:8080), or stdio with --stdio.
    Ok(server.run().await?)
}

#[cfg(test)]
mod tests; // `cargo test -p shipping-tracker`: the tool called in process.
