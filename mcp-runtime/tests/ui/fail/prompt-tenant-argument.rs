use mcp_runtime::prelude::*;

/// The tenant must not be the caller's to choose.
#[mcp_prompt]
async fn summary(
    /// The tenant.
    tenant_id: String,
) -> String {
    tenant_id
}

fn main() {}
