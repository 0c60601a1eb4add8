use mcp_runtime::prelude::*;

/// Deserialize and JsonSchema alone do not make a form.
#[derive(Deserialize, JsonSchema)]
struct Confirm {
    confirm: bool,
}

/// An enum used in a form must derive `ElicitForm` too.
#[derive(Deserialize, JsonSchema)]
enum Size {
    Small,
    Large,
}

#[derive(Deserialize, JsonSchema, ElicitForm)]
struct Order {
    sizes: Vec<Size>,
}

/// Asks a type that is not a form.
#[mcp_tool]
async fn ask(ctx: ToolContext) -> Result<String, McpError> {
    let _ = ctx.elicit::<Confirm>("Sure?").await?;
    Ok("asked".into())
}

fn main() {}
