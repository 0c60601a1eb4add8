//! The conformance fixture: every tool the official MCP conformance suite
//! calls, served on `MCP_ADDR` (default `127.0.0.1:8080`) **without
//! authentication**, since the suite sends no credentials. Loopback only:
//! the runtime refuses to serve unauthenticated anywhere else.

use std::borrow::Cow;
use std::time::Duration;

use mcp_runtime::prelude::*;
use mcp_runtime::schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value, json};

/// A 1x1 red PNG.
const IMAGE: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
/// A minimal WAV file.
const AUDIO: &str = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

/// Returns a simple text response.
#[mcp_tool(read_only)]
async fn test_simple_text() -> ToolOutput {
    ToolOutput::text("This is a simple text response for testing.")
}

/// Returns an image (a 1x1 red PNG).
#[mcp_tool(read_only)]
async fn test_image_content() -> Content {
    Content::image(IMAGE, "image/png")
}

/// Returns audio (a minimal WAV).
#[mcp_tool(read_only)]
async fn test_audio_content() -> Content {
    Content::audio(AUDIO, "audio/wav")
}

/// Returns an embedded text resource.
#[mcp_tool(read_only)]
async fn test_embedded_resource() -> Content {
    Content::resource_text(
        "test://embedded-resource",
        "text/plain",
        "This is an embedded resource content.",
    )
}

/// Returns text, an image and an embedded resource.
#[mcp_tool(read_only)]
async fn test_multiple_content_types() -> ToolOutput {
    ToolOutput::new()
        .with(Content::text("Multiple content types test:"))
        .with(Content::image(IMAGE, "image/png"))
        .with(Content::resource_text(
            "test://mixed-content-resource",
            "application/json",
            r#"{"test":"data","value":123}"#,
        ))
}

/// A static text resource.
#[mcp_resource(uri = "test://static-text", mime_type = "text/plain")]
async fn static_text() -> &'static str {
    "This is the content of the static text resource."
}

/// A static binary resource (a 1x1 red PNG).
#[mcp_resource(uri = "test://static-binary", mime_type = "image/png")]
async fn static_binary() -> Result<Vec<u8>, McpError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(IMAGE)
        .map_err(McpError::internal)
}

/// Data for one id, as JSON.
#[mcp_resource(
    uri_template = "test://template/{id}/data",
    mime_type = "application/json"
)]
async fn template_data(id: String) -> Value {
    json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") })
}

/// A simple prompt without arguments.
#[mcp_prompt]
async fn test_simple_prompt() -> &'static str {
    "This is a simple prompt for testing."
}

/// Suggestions for `arg1` of `test_prompt_with_arguments`: the words that
/// start with what was typed.
async fn complete_arg1(value: String, _: CompletionArguments, _: ToolContext) -> Vec<String> {
    ["paris", "park", "party", "test", "testing"]
        .into_iter()
        .filter(|w| w.starts_with(&value))
        .map(String::from)
        .collect()
}

/// A prompt with two required arguments.
#[mcp_prompt(complete(arg1 = complete_arg1))]
async fn test_prompt_with_arguments(
    /// First test argument
    arg1: String,
    /// Second test argument
    arg2: String,
) -> String {
    format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'")
}

/// A prompt that embeds a resource.
#[mcp_prompt]
async fn test_prompt_with_embedded_resource(
    /// URI of the resource to embed
    resource_uri: String,
) -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(Content::resource_text(
            resource_uri,
            "text/plain",
            "Embedded resource content for testing.",
        )),
        PromptMessage::user(Content::text("Please process the embedded resource above.")),
    ]
}

/// A prompt with an image.
#[mcp_prompt]
async fn test_prompt_with_image() -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(Content::image(IMAGE, "image/png")),
        PromptMessage::user(Content::text("Please analyze the image above.")),
    ]
}

/// Sends three log messages while it runs.
#[mcp_tool(read_only)]
async fn test_tool_with_logging(ctx: ToolContext) -> ToolOutput {
    for msg in [
        "Tool execution started",
        "Tool processing data",
        "Tool execution completed",
    ] {
        ctx.log(LogLevel::Info, msg).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ToolOutput::text("Tool with logging executed successfully")
}

/// Sends a log message (only when the client asked for a log level).
#[mcp_tool(read_only)]
async fn test_logging_tool(ctx: ToolContext) -> ToolOutput {
    ctx.log(LogLevel::Info, "test_logging_tool ran").await;
    ToolOutput::text("Logging tool executed")
}

/// Reports progress 0, 50 and 100 of 100.
#[mcp_tool(read_only)]
async fn test_tool_with_progress(ctx: ToolContext) -> ToolOutput {
    for p in [0.0, 50.0, 100.0] {
        ctx.progress(p, Some(100.0), Some(&format!("Completed step {p} of 100")))
            .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ToolOutput::text("Progress tool completed")
}

/// Always fails, as a tool-level error.
#[mcp_tool(read_only)]
async fn test_error_handling() -> Result<ToolOutput, McpError> {
    Err(McpError::server(
        "This tool intentionally returns an error for testing",
    ))
}

/// Needs the client's `sampling` capability.
#[mcp_tool(read_only)]
async fn test_missing_capability(ctx: ToolContext) -> Result<ToolOutput, McpError> {
    if let Some(caps) = ctx.client_capabilities()
        && caps.get("sampling").is_none()
    {
        return Err(McpError::missing_client_capability(
            json!({ "sampling": {} }),
        ));
    }
    Ok(ToolOutput::text("sampling is available"))
}

/// Streams nothing but its own result (a stateless server sends no requests to the client).
#[mcp_tool(read_only)]
async fn test_streaming_elicitation() -> ToolOutput {
    ToolOutput::text("No elicitation needed: this server never sends requests to the client.")
}

/// Returns text after a short pause (a stateless server has no stream to resume).
#[mcp_tool(read_only)]
async fn test_reconnection() -> ToolOutput {
    tokio::time::sleep(Duration::from_millis(50)).await;
    ToolOutput::text("Reconnection test completed successfully.")
}

/// Arguments mirrored into an HTTP header.
#[derive(Deserialize, JsonSchema)]
struct RegionArgs {
    /// The region; also sent as the `Mcp-Param-Region` header.
    #[schemars(extend("x-mcp-header" = "Region"))]
    region: String,
}

/// Echoes a region that is also carried in the `Mcp-Param-Region` header.
#[mcp_tool(read_only)]
async fn test_x_mcp_header(args: RegionArgs) -> ToolOutput {
    ToolOutput::text(format!("region: {}", args.region))
}

/// Contact details, with a hand-written JSON Schema 2020-12 published verbatim.
#[derive(Deserialize)]
struct ContactArgs(Map<String, Value>);

impl JsonSchema for ContactArgs {
    fn schema_name() -> Cow<'static, str> {
        "ContactArgs".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "$defs": {
                "address": {
                    "$anchor": "addressDef",
                    "type": "object",
                    "properties": { "street": { "type": "string" }, "city": { "type": "string" } }
                }
            },
            "properties": {
                "name": { "type": "string" },
                "address": { "$ref": "#/$defs/address" },
                "contactMethod": { "type": "string", "enum": ["phone", "email"] },
                "phone": { "type": "string" },
                "email": { "type": "string" }
            },
            "allOf": [ { "anyOf": [ { "required": ["phone"] }, { "required": ["email"] } ] } ],
            "if": { "properties": { "contactMethod": { "const": "phone" } }, "required": ["contactMethod"] },
            "then": { "required": ["phone"] },
            "else": { "required": ["email"] },
            "additionalProperties": false
        })
    }
}

/// Tool with JSON Schema 2020-12 features
#[mcp_tool(read_only)]
async fn json_schema_2020_12_tool(args: ContactArgs) -> ToolOutput {
    ToolOutput::text(format!("received {} fields", args.0.len()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = Server::builder("mcp-conformance-fixture", env!("CARGO_PKG_VERSION"))
        .instructions("Fixture tools for the MCP conformance suite.")
        .dangerously_serve_without_authentication()
        .build()?;
    // A failure prints `Error: <message>` and exits 1.
    server.run().await?;
    Ok(())
}
