//! The registered descriptors carry what the attribute and the fn say.
use mcp_runtime::__private::{Annotations, StateKey, ToolDescriptor, inventory};
use mcp_runtime::prelude::*;
use mcp_runtime::schemars::generate::SchemaSettings;
use mcp_runtime::serde_json::json;

struct Db;

#[derive(Deserialize, JsonSchema)]
#[serde(crate = "mcp_runtime::serde")]
#[schemars(crate = "mcp_runtime::schemars")]
struct Args {
    n: u32,
}

/// First line.
///
/// Second paragraph.
#[mcp_tool(name = "first", title = "First", read_only, open_world = false, scopes = ["orders:write", "shop:read"])]
async fn first_tool(args: Args, ctx: ToolContext) -> Result<u32, McpError> {
    let _ = ctx.state::<Db>()?;
    Ok(args.n)
}

/// Inline.
#[mcp_tool]
async fn inline_tool(
    /// The order number.
    order_number: String,
    /// How many.
    max_items: Option<u32>,
) -> ToolOutput {
    let _ = (order_number, max_items);
    ToolOutput::new()
}

/// Nothing.
#[mcp_tool]
async fn nothing() {}

fn find(name: &str) -> &'static ToolDescriptor {
    inventory::iter::<ToolDescriptor>
        .into_iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("tool {name} not registered"))
}

fn main() {
    let settings = SchemaSettings::draft2020_12();

    let d = find("first");
    assert_eq!(d.title, Some("First"));
    assert_eq!(d.scopes, ["orders:write", "shop:read"]);
    assert!(find("nothing").scopes.is_empty());
    assert_eq!(d.description, "First line.\n\nSecond paragraph.");
    assert_eq!(
        d.annotations,
        Annotations {
            read_only: Some(true),
            destructive: None,
            idempotent: None,
            open_world: Some(false),
        }
    );
    assert_eq!(d.state.len(), 1);
    assert_eq!((d.state[0])(), StateKey::of::<Db>());
    assert_eq!(d.file, file!());
    assert_eq!(d.line, 20, "the line of the fn's name");
    assert_eq!(d.module_path, module_path!());
    assert_eq!(
        (d.input_schema)(&settings).get("type"),
        Some(&json!("object"))
    );
    assert!((d.output_schema)(&settings).is_some());

    let d = find("inline_tool");
    assert_eq!(d.title, None);
    assert_eq!(d.annotations, Annotations::default());
    assert!(d.state.is_empty());
    let schema = (d.input_schema)(&settings).to_value();
    assert_eq!(
        schema["properties"]["orderNumber"]["description"],
        json!("The order number.")
    );
    assert_eq!(
        schema["properties"]["maxItems"]["description"],
        json!("How many.")
    );
    assert_eq!(schema["required"], json!(["orderNumber"]));
    assert_eq!(schema["additionalProperties"], json!(false));
    assert!(
        (d.output_schema)(&settings).is_none(),
        "ToolOutput has no output schema"
    );

    let d = find("nothing");
    assert_eq!(
        (d.input_schema)(&settings).to_value(),
        json!({"type": "object", "additionalProperties": false})
    );
}
