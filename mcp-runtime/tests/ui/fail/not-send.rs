use std::rc::Rc;

use mcp_runtime::prelude::*;

async fn yield_now() {}

/// Holds an `Rc` across an `.await`: the future is not `Send`.
#[mcp_tool]
async fn not_send() -> u32 {
    let rc = Rc::new(1);
    yield_now().await;
    *rc
}

fn main() {}
