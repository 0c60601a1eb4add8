use mcp_runtime::prelude::*;

/// A choice is a unit-only enum.
#[derive(Deserialize, JsonSchema, ElicitForm)]
enum Delivery {
    Pickup,
    Courier(String),
    Post { days: u32 },
}

fn main() {}
