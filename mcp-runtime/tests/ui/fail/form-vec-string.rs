use mcp_runtime::prelude::*;

/// A list in a form is a multi-select of a choice enum, not free strings.
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct Tags {
    tags: Vec<String>,
    pairs: (u32, u32),
}

fn main() {}
