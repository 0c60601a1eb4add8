use mcp_runtime::prelude::*;

#[derive(Deserialize, JsonSchema)]
struct Address {
    street: String,
}

/// A form may not nest another struct.
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct Shipping {
    name: String,
    address: Address,
}

fn main() {}
