use mcp_runtime::prelude::*;

/// A level-2 operator.
#[mcp_resource(uri_template = "shop://files/{+path}")]
async fn file(path: String) -> String {
    path
}

/// Two variables with nothing between them.
#[mcp_resource(uri_template = "shop://x/{a}{b}")]
async fn pair(a: String, b: String) -> String {
    a + &b
}

/// No variable at all.
#[mcp_resource(uri_template = "shop://policies/returns")]
async fn returns() -> &'static str {
    ""
}

fn main() {}
