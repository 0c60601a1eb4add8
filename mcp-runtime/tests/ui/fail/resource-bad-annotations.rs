use mcp_runtime::prelude::*;

/// Out of range, unknown, twice, not a MIME type, and a size on a template.
#[mcp_resource(
    uri_template = "shop://products/{id}",
    priority = 2,
    audience = ["user", "robot", "user"],
    mime_type = "markdown",
    size = 10
)]
async fn product(id: String) -> String {
    id
}

fn main() {}
