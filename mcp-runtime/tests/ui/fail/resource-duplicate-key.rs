use mcp_runtime::prelude::*;

/// Two MIME types and an unknown key.
#[mcp_resource(
    uri = "shop://policies/returns",
    mime_type = "text/plain",
    mime_type = "text/markdown",
    mimetype = "text/plain"
)]
async fn returns() -> &'static str {
    ""
}

fn main() {}
