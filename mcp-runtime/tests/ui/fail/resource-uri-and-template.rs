use mcp_runtime::prelude::*;

/// Both.
#[mcp_resource(uri = "shop://a", uri_template = "shop://a/{id}")]
async fn both(id: String) -> String {
    id
}

/// Neither.
#[mcp_resource(mime_type = "text/plain")]
async fn neither() -> &'static str {
    ""
}

fn main() {}
