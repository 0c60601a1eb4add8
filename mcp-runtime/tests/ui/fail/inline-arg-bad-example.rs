use mcp_runtime::prelude::*;

/// A bad example on an inline argument: schemars' derive refuses it, and
/// that is the only error (none follows from the hidden struct it left
/// without an impl).
#[mcp_tool]
async fn search(
    /// What to look for.
    #[schemars(example = "tent")]
    query: String,
    /// How many.
    limit: Option<u32>,
) -> Vec<String> {
    vec![query; limit.unwrap_or(1) as usize]
}

fn main() {}
