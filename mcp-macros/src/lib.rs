//! Procedural macros of `mcp-runtime`. Depend on `mcp-runtime` and use its
//! re-export, `mcp_runtime::mcp_tool`; this crate is an implementation detail.

mod ast;
mod attr;
mod complete;
mod diag;
mod elicit_form;
mod expand;
mod prompt;
mod resource;
mod tool_error;
mod valid;

use proc_macro::TokenStream;

// The examples need `mcp-runtime`, so they are tested as its doc tests.
#[cfg_attr(not(doctest), doc = include_str!("mcp_tool.md"))]
#[proc_macro_attribute]
pub fn mcp_tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::mcp_tool(attr.into(), item.into()).into()
}

#[cfg_attr(not(doctest), doc = include_str!("mcp_resource.md"))]
#[proc_macro_attribute]
pub fn mcp_resource(attr: TokenStream, item: TokenStream) -> TokenStream {
    resource::mcp_resource(attr.into(), item.into()).into()
}

#[cfg_attr(not(doctest), doc = include_str!("mcp_resource.md"))]
#[proc_macro_attribute]
pub fn mcp_prompt(attr: TokenStream, item: TokenStream) -> TokenStream {
    prompt::mcp_prompt(attr.into(), item.into()).into()
}

/// Maps each value of a domain error type to an MCP error kind, so that the
/// error keeps its kind when it reaches the agent: returned as a tool's
/// error type, passed up with `?` into `McpError`, or found in the
/// `source()` chain of another error.
///
/// `#[tool_error(KIND)]` on each variant (or on a struct), with KIND one of
/// `not_found`, `validation_error`, `authentication_error`,
/// `permission_denied`, `rate_limit`, `server_error`; or
/// `#[tool_error(default = KIND)]` on an enum for the variants without one;
/// or `#[tool_error(transparent)]` on a variant whose one field is an error
/// to map as that error. A `rate_limit` variant may mark a field
/// `#[tool_error(retry_after)]` (`u64` milliseconds or a `Duration`). The agent reads the error's
/// `Display` for every kind but `server_error`, which stays private and is
/// logged. The `#[mcp_tool]` guide's "Domain errors" section has examples.
#[proc_macro_derive(ToolError, attributes(tool_error))]
pub fn derive_tool_error(input: TokenStream) -> TokenStream {
    tool_error::derive(input.into()).into()
}

/// Makes a type something `ctx.elicit::<T>` may ask, checked as it compiles.
///
/// On a struct with named fields: the struct is a form (`ElicitForm`), and
/// every field must be one a client can render: `String` (schemars
/// `email`/`url` or `format` `date`/`date-time`), `bool`, an integer or
/// float type, a unit-only enum deriving `ElicitForm` (single-select; doc
/// comments on the variants make SEP-1330 titled options), `Vec` of such an
/// enum (multi-select), or `Option` of any of these. A field of any other
/// type (a nested struct, a map, a tuple, `Vec<String>`) is a compile error
/// on that field. On a unit-only enum: the enum is a choice a form may hold.
/// Derive `Deserialize` and `JsonSchema` next to it; serde and schemars
/// attributes (`rename_all`, `default`, ...) keep their meaning.
#[proc_macro_derive(ElicitForm)]
pub fn derive_elicit_form(input: TokenStream) -> TokenStream {
    elicit_form::derive(input.into()).into()
}
