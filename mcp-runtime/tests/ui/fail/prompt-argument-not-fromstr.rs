use mcp_runtime::prelude::*;

struct Tone;

/// A reply.
#[mcp_prompt]
async fn reply(
    /// The tone.
    tone: Option<Tone>,
) -> String {
    let _ = tone;
    String::new()
}

fn main() {}
