use mcp_runtime::prelude::*;

/// One `String` parameter is taken as the arguments struct, whose schema
/// would not be an object.
#[mcp_tool]
async fn shout(text: String) -> String {
    text.to_uppercase()
}

fn main() {}
