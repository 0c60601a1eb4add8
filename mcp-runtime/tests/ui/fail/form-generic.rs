use mcp_runtime::prelude::*;

/// A form's field types are concrete.
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct Answer<T> {
    value: T,
}

fn main() {}
