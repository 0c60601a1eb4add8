use mcp_runtime::prelude::*;

/// No scheme.
#[mcp_resource(uri = "policies/returns")]
async fn returns() -> &'static str {
    ""
}

/// A space.
#[mcp_resource(uri = "shop://policies/returns policy")]
async fn returns_policy() -> &'static str {
    ""
}

/// Braces belong in a template.
#[mcp_resource(uri = "shop://products/{id}")]
async fn product() -> &'static str {
    ""
}

fn main() {}
