use mcp_runtime::prelude::*;

/// Through the full path of `Result`.
#[mcp_tool]
async fn full_path() -> std::result::Result<u32, McpError> {
    Ok(1)
}

/// `core`'s, with an error that converts into `McpError`.
#[mcp_tool]
async fn parse_number(
    text: String,
    radix: u32,
) -> ::core::result::Result<i64, std::num::ParseIntError> {
    i64::from_str_radix(&text, radix)
}

/// `io::Result<T>`: an alias with one argument.
#[mcp_tool]
async fn read_config() -> std::io::Result<String> {
    Ok(String::new())
}

/// A user error type with `From<UserError> for McpError`.
#[mcp_tool]
async fn custom_error() -> Result<(), UserError> {
    Err(UserError)
}

struct UserError;

impl From<UserError> for McpError {
    fn from(_: UserError) -> McpError {
        McpError::validation("user error")
    }
}

fn main() {}
