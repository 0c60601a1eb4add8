use mcp_runtime::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(crate = "mcp_runtime::serde")]
#[schemars(crate = "mcp_runtime::schemars")]
enum Sort {
    Newest,
    Oldest,
}

/// Search the catalogue.
#[mcp_tool(read_only)]
async fn search_products(
    /// Words to look for in the product name or description.
    query: String,
    ctx: ToolContext,
    /// At most this many results (default 10).
    limit: Option<u32>,
    /// Sort order.
    sort: Option<Sort>,
    #[serde(default)] in_stock_only: bool,
) -> Result<Vec<String>, McpError> {
    let _ = (ctx.tenant_id(), sort, in_stock_only);
    Ok(vec![query; limit.unwrap_or(10) as usize])
}

/// Inline arguments without a context, one of them `mut`.
#[mcp_tool]
async fn greet(mut name: String, times: u8) -> String {
    name.push('!');
    name.repeat(times.into())
}

// The hidden structs of several tools in one module don't collide.
/// Two more.
#[mcp_tool]
async fn pair(a: u8, b: u8) -> (u8, u8) {
    (a, b)
}

fn main() {}
