mod tools {
    pub mod orders {
        use mcp_runtime::prelude::*;

        #[derive(Deserialize, JsonSchema)]
        #[serde(crate = "mcp_runtime::serde")]
        #[schemars(crate = "mcp_runtime::schemars")]
        pub struct Args {
            pub id: u64,
        }

        /// In a nested module.
        #[mcp_tool]
        pub async fn nested(args: Args, ctx: ToolContext) -> Result<u64, McpError> {
            let _ = ctx;
            Ok(args.id)
        }

        /// Inline arguments whose types come from a parent module.
        #[mcp_tool]
        pub(super) async fn nested_inline(a: super::Id, b: super::Id) -> u64 {
            a.0 + b.0
        }
    }

    #[derive(mcp_runtime::serde::Deserialize, mcp_runtime::schemars::JsonSchema)]
    #[serde(crate = "mcp_runtime::serde")]
    #[schemars(crate = "mcp_runtime::schemars")]
    pub struct Id(pub u64);
}

fn main() {
    let _ = tools::orders::nested;
}
