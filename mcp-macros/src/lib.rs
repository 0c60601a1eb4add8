//! Procedural macros of `mcp-runtime`. Depend on `mcp-runtime` and use its
//! re-export, `mcp_runtime::mcp_tool`; this crate is an implementation detail.

mod ast;
mod attr;
mod expand;
mod valid;

use proc_macro::TokenStream;

// The examples need `mcp-runtime`, so they are tested as its doc tests.
#[cfg_attr(not(doctest), doc = include_str!("mcp_tool.md"))]
#[proc_macro_attribute]
pub fn mcp_tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::mcp_tool(attr.into(), item.into()).into()
}
