//! Procedural macros of `mcp-runtime`. Depend on `mcp-runtime` and use its
//! re-export, `mcp_runtime::mcp_tool`; this crate is an implementation detail.

mod attr;
mod expand;
mod valid;

use proc_macro::TokenStream;

/// Turns a free `async fn` into an MCP tool. See `mcp_runtime::mcp_tool` for
/// the documentation.
#[proc_macro_attribute]
pub fn mcp_tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::mcp_tool(attr.into(), item.into()).into()
}
