use std::collections::HashMap;

use mcp_runtime::prelude::*;

/// A form has fixed fields, not a map.
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct Labels {
    labels: HashMap<String, String>,
}

fn main() {}
