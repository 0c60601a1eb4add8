use mcp_runtime::prelude::*;

/// Arguments with a bad example: schemars' derive refuses it.
#[derive(Deserialize, JsonSchema)]
struct Args {
    /// What to look for.
    #[schemars(example = "tent")]
    query: String,
}

/// Search.
#[mcp_tool]
async fn search(args: Args) -> String {
    args.query
}

fn main() {}
