use mcp_runtime::prelude::*;

struct Service;

impl Service {
    /// A method.
    #[mcp_tool]
    async fn method(&self, ctx: ToolContext) -> u32 {
        let _ = ctx;
        1
    }
}

fn main() {}
