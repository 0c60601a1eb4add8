use mcp_runtime::prelude::*;

/// An empty list.
#[mcp_resource(uri = "shop://a", scopes = [])]
async fn a() -> &'static str {
    "a"
}

/// A scope with a space, and one twice.
#[mcp_prompt(scopes = ["catalog read", "x", "x"])]
async fn b() -> &'static str {
    "b"
}

/// Not a list.
#[mcp_prompt(scopes = "catalog:read")]
async fn c() -> &'static str {
    "c"
}

fn main() {}
