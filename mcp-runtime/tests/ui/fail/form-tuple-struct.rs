use mcp_runtime::prelude::*;

/// A form's fields have names.
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct Pair(String, bool);

fn main() {}
