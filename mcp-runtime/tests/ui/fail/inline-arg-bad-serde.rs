use mcp_runtime::prelude::*;

/// A bad `#[serde]` option on an inline argument: serde's derive refuses it,
/// and that is the only error.
#[mcp_tool]
async fn search(
    /// What to look for.
    #[serde(rename = 1)]
    query: String,
    /// How many.
    limit: Option<u32>,
) -> Vec<String> {
    vec![query; limit.unwrap_or(1) as usize]
}

fn main() {}
