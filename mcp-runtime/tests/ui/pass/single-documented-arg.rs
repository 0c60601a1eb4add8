use mcp_runtime::__private::{ToolDescriptor, inventory};
use mcp_runtime::prelude::*;
use mcp_runtime::schemars::generate::SchemaSettings;

/// One documented parameter after the context: an inline argument.
#[mcp_tool(read_only)]
async fn get_item(
    ctx: ToolContext,
    /// The SKU, e.g. SKU-1.
    sku: String,
) -> String {
    let _ = ctx;
    sku
}

/// A documented single parameter without a context, with a helper attribute.
#[mcp_tool]
async fn shout(
    /// The text to shout.
    #[serde(default)]
    text: String,
) -> String {
    text.to_uppercase()
}

#[derive(Deserialize, JsonSchema)]
#[serde(crate = "mcp_runtime::serde")]
#[schemars(crate = "mcp_runtime::schemars")]
struct Range {
    from: u32,
    to: u32,
}

/// A documented single parameter whose type is a struct: an inline
/// argument all the same (the field `range`), since it has a doc comment.
#[mcp_tool]
async fn span(
    /// The range.
    range: Range,
) -> u32 {
    range.to - range.from
}

fn main() {
    let settings = SchemaSettings::draft2020_12();
    for d in inventory::iter::<ToolDescriptor> {
        let schema = (d.input_schema)(&settings).to_value();
        assert_eq!(schema["type"], "object", "{}: {schema}", d.name);
        let property = match d.name {
            "get_item" => "sku",
            "shout" => "text",
            "span" => "range",
            other => panic!("unexpected tool {other}"),
        };
        assert!(
            schema["properties"][property].is_object(),
            "{}: {schema}",
            d.name
        );
    }
}
