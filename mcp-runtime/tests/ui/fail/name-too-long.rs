use mcp_runtime::prelude::*;

/// 65 characters.
#[mcp_tool(name = "a2345678901234567890123456789012345678901234567890123456789012345")]
async fn long_name() -> u32 {
    1
}

/// A fn name of 65 characters, used as the tool's name.
#[mcp_tool]
async fn a_very_long_function_name_that_goes_on_and_on_and_on_and_on_12345() -> u32 {
    1
}

fn main() {}
