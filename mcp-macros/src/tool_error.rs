//! `#[derive(ToolError)]`: the error kind of each value of a domain error
//! type, registered so that converting the error into an `McpError` finds it.
//!
//! The same three steps as `#[mcp_tool]`: parse `#[tool_error(...)]`
//! ([`attr`]), check the type and build its model ([`valid`], [`ast`]),
//! generate code from the model ([`expand`]).

mod ast;
mod attr;
mod expand;
mod valid;

use proc_macro2::TokenStream;

/// The whole derive on `proc_macro2` tokens.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let out = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(input) => match ast::ErrorType::from_input(&input) {
            Ok(ty) => expand::expand(&ty),
            // A derive's input stays as it is: only the errors are emitted.
            Err(errors) => errors.into_compile_error(),
        },
        Err(e) => e.into_compile_error(),
    };
    if std::env::var_os("MCP_MACROS_DEBUG").is_some_and(|v| !v.is_empty() && v != "0") {
        eprintln!("#[derive(ToolError)] expansion:\n{out}\n");
    }
    out
}
