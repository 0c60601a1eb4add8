use mcp_runtime::prelude::*;

/// A chart, as an image block.
#[mcp_tool]
async fn chart() -> Result<ToolOutput, McpError> {
    Ok(ToolOutput::new()
        .with(Content::text("Here is the chart"))
        .with(Content::image("iVBORw0KGgo=", "image/png")))
}

/// Plain `ToolOutput`.
#[mcp_tool]
async fn hello() -> ToolOutput {
    ToolOutput::text("hello")
}

fn main() {}
