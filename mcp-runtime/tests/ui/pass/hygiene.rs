//! Generated code must not pick up the user's names for std or runtime items.
#![allow(
    dead_code,
    non_camel_case_types,
    non_upper_case_globals,
    unused_imports,
    unused_macros
)]

use ::mcp_runtime::prelude::{Deserialize, JsonSchema, McpError, Serialize, ToolContext, mcp_tool};

struct Result;
struct Ok;
struct Err;
struct Option;
struct Some;
struct None;
struct Box;
struct Vec;
struct String;
struct Value;
struct CallFuture;
struct ToolDescriptor;
struct StateKey;
fn drop() {}
// Names the generated code binds must not become constant patterns.
const v: () = ();
const e: () = ();
const value: () = ();
const settings: () = ();
const args: () = ();
const ctx: () = ();
mod serde {}
mod schemars {}
mod inventory {}
mod serde_json {}
mod core {}
mod std {}
mod mcp_runtime {}
mod __private {}
macro_rules! line {
    () => {
        "not a line"
    };
}
macro_rules! concat {
    () => {};
}

#[derive(Deserialize, JsonSchema)]
#[serde(crate = "::mcp_runtime::serde")]
#[schemars(crate = "::mcp_runtime::schemars")]
struct Args {
    text: ::std::string::String,
}

#[derive(Serialize, JsonSchema)]
#[serde(crate = "::mcp_runtime::serde")]
#[schemars(crate = "::mcp_runtime::schemars")]
struct Out {
    len: usize,
}

struct Db;

/// Arguments struct, context, `Result`, state.
#[mcp_tool(title = "Hygiene")]
async fn struct_args(
    arguments: Args,
    context: ToolContext,
) -> ::core::result::Result<Out, McpError> {
    let _db = context.state::<Db>()?;
    ::core::result::Result::Ok(Out {
        len: arguments.text.len(),
    })
}

/// Inline arguments, with an optional one.
#[mcp_tool]
async fn inline_args(
    /// Some text.
    text: ::std::string::String,
    /// How often.
    times: ::core::option::Option<u32>,
) -> ::std::vec::Vec<::std::string::String> {
    ::std::vec![text; times.unwrap_or(1) as usize]
}

/// No arguments, plain return.
#[mcp_tool]
async fn no_args() -> u8 {
    0
}

/// `#[doc]` attributes built by macros.
#[doc = ::core::concat!("Built ", "by a macro.")]
#[doc = "Second line."]
#[mcp_tool]
async fn doc_macro() {}

fn main() {}

/// Without the prelude at all. (Inline arguments are left out: schemars'
/// derive needs the prelude.)
mod no_prelude {
    #![no_implicit_prelude]

    use ::mcp_runtime::prelude::{McpError, ToolContext, mcp_tool};

    /// Arguments struct, context, `Result`, state.
    #[mcp_tool]
    async fn bare(
        args: super::Args,
        ctx: ToolContext,
    ) -> ::core::result::Result<super::Out, McpError> {
        let _db = ctx.state::<super::Db>()?;
        ::core::result::Result::Ok(super::Out {
            len: args.text.len(),
        })
    }

    /// Nothing.
    #[mcp_tool]
    async fn bare_nothing() {}
}
