//! The generated read shim must not pick up the user's names for std or
//! runtime items.
#![allow(dead_code, non_camel_case_types, non_upper_case_globals, unused_imports)]

use ::mcp_runtime::prelude::{McpError, ToolContext, mcp_resource, mcp_tool};

struct Result;
struct Ok;
struct Err;
struct Option;
struct Some;
struct None;
struct Box;
struct Vec;
struct String;
struct TemplateMatch;
struct ReadFuture;
struct ResourceDescriptor;
const id: () = ();
const ctx: () = ();
mod core {}
mod std {}
mod mcp_runtime {}
mod inventory {}
mod __private {}

/// A template.
#[mcp_resource(uri_template = "x://items/{itemId}")]
async fn item(item_id: u32, context: ToolContext) -> ::core::result::Result<::std::string::String, McpError> {
    let _ = context;
    ::core::result::Result::Ok(::std::format!("{item_id}"))
}

/// Nothing.
#[mcp_tool]
async fn noop() {}

fn main() {}
