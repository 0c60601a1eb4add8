// The tools of the HTTP targets (`include!`d by `http_raw.rs` and
// `http_request.rs`: tools register per binary, so each target has its own).
// `region` mirrors three arguments into `Mcp-Param-*` headers
// (`mcp_fuzz::http::HEADER_PARAMS` lists them); `notify` sends a progress
// notification and a log message first, so its answer is SSE when the
// client accepts it.

use mcp_runtime::prelude::*;

/// Echo `text` `times` times (at most 3).
#[mcp_tool(read_only)]
async fn echo(
    /// Any text.
    text: String,
    /// How many times, 0 to 3.
    times: u8,
) -> String {
    text.repeat(usize::from(times.min(3)))
}

/// Arguments of `region`, three of them also sent as headers.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RegionArgs {
    /// The region; also the `Mcp-Param-Region` header.
    #[schemars(extend("x-mcp-header" = "Region"))]
    region: String,
    /// A zone number; also the `Mcp-Param-Zone` header.
    #[schemars(extend("x-mcp-header" = "Zone"))]
    zone: Option<i64>,
    /// A dry run; also the `Mcp-Param-Dry-Run` header.
    #[schemars(extend("x-mcp-header" = "Dry-Run"))]
    dry_run: Option<bool>,
    /// Anything, as many values as the caller likes.
    payload: Option<Vec<serde_json::Value>>,
}

/// Answer with what the arguments were.
#[mcp_tool(read_only)]
async fn region(args: RegionArgs) -> String {
    format!(
        "{} zone={:?} dry_run={:?} payload={}",
        args.region,
        args.zone,
        args.dry_run,
        args.payload.map_or(0, |p| p.len())
    )
}

/// Report progress `steps` times (at most 3) and log a line, then echo `text`.
#[mcp_tool(read_only)]
async fn notify(
    ctx: ToolContext,
    /// Any text.
    text: String,
    /// Progress notifications to send, 0 to 3.
    steps: Option<u8>,
) -> String {
    for i in 0..steps.unwrap_or(1).min(3) {
        ctx.progress(f64::from(i) + 1.0, Some(3.0), Some("step")).await;
    }
    ctx.log(LogLevel::Info, serde_json::json!({ "text": &text })).await;
    text
}
