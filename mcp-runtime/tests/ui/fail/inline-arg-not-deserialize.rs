use mcp_runtime::prelude::*;

struct Point {
    x: f64,
    y: f64,
}

/// An inline argument whose type is neither `Deserialize` nor `JsonSchema`.
#[mcp_tool]
async fn distance(from: Point, to: Point, scale: f64) -> f64 {
    ((to.x - from.x).powi(2) + (to.y - from.y).powi(2)).sqrt() * scale
}

fn main() {}
