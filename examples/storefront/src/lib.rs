//! A storefront's MCP server, mounted as a web application would mount it:
//! CORS for its browser front end and gzip around `/mcp`, its own `/status`
//! route, and a readiness check on its stock feed. Authentication, Host and
//! Origin checks, limits and the drain at shutdown stay the server's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::{HeaderName, HeaderValue, Method};
use axum::routing::get;
use mcp_runtime::ServerBuilder;
use mcp_runtime::prelude::*;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;

/// The browser front end allowed to call `/mcp`.
pub const FRONT_END: &str = "https://shop.example.com";

/// Whether the stock feed answers (a stand-in for a real dependency).
#[derive(Clone, Default)]
pub struct StockFeed(Arc<AtomicBool>);

impl StockFeed {
    /// A feed that is up.
    pub fn up() -> StockFeed {
        StockFeed(Arc::new(AtomicBool::new(true)))
    }

    /// Take the feed down or bring it back.
    pub fn set_up(&self, up: bool) {
        self.0.store(up, Ordering::SeqCst);
    }

    fn is_up(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Arguments of `stock_level`.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockArgs {
    /// The product's SKU, e.g. `SKU-1`.
    pub sku: String,
    /// Milliseconds to take (to keep a call in flight in tests).
    #[serde(default)]
    pub delay_ms: u64,
}

/// Units in stock for one SKU.
#[mcp_tool(read_only)]
async fn stock_level(args: StockArgs, ctx: ToolContext) -> Result<u32, McpError> {
    if !ctx.state::<StockFeed>()?.is_up() {
        return Err(McpError::server("the stock feed is down"));
    }
    tokio::time::sleep(std::time::Duration::from_millis(args.delay_ms.min(5_000))).await;
    Ok(args.sku.len() as u32 * 7)
}

/// The storefront's server: MCP inside CORS and compression, plus `/status`.
pub fn server(feed: StockFeed) -> ServerBuilder {
    let cors = CorsLayer::new()
        .allow_origin(HeaderValue::from_static(FRONT_END))
        .allow_methods([Method::POST])
        .allow_headers([
            axum::http::header::AUTHORIZATION,
            axum::http::header::CONTENT_TYPE,
            HeaderName::from_static("mcp-protocol-version"),
        ]);
    let status = axum::Router::new().route("/status", get(|| async { "storefront: open" }));
    let probe = feed.clone();
    Server::builder("storefront", env!("CARGO_PKG_VERSION"))
        .tools_where(|name| name == "stock_level")
        .state(feed)
        // The browser sends its Origin; the server's own check must allow it.
        .allowed_origins([FRONT_END])
        .layer(CompressionLayer::new())
        .layer(cors)
        .routes(status)
        .readiness_check("stock_feed", move || {
            let up = probe.is_up();
            async move {
                if up {
                    Ok(())
                } else {
                    Err("the stock feed does not answer".to_owned())
                }
            }
        })
}
