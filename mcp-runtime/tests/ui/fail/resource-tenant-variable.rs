use mcp_runtime::prelude::*;

/// A tenant's catalogue: the tenant must not come from the URI.
#[mcp_resource(uri_template = "shop://{tenantId}/catalogue")]
async fn catalogue(tenant_id: String) -> String {
    tenant_id
}

fn main() {}
