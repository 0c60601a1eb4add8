//! The conformance fixture: every tool the official MCP conformance suite
//! calls, served on `MCP_ADDR` (default `127.0.0.1:8080`) **without
//! authentication**, since the suite sends no credentials. Loopback only:
//! the runtime refuses to serve unauthenticated anywhere else.

mod tasks;

use std::borrow::Cow;
use std::future::IntoFuture as _;
use std::time::Duration;

use mcp_runtime::prelude::*;
use mcp_runtime::schemars::{Schema, SchemaGenerator, json_schema};
use mcp_runtime::{Elicitation, Sampling};
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

/// A resource clients subscribe to (`resources/subscribe`, sessions on).
#[mcp_resource(uri = "test://watched-resource", mime_type = "text/plain")]
async fn watched_resource() -> &'static str {
    "This resource is watched for updates."
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

/// Streams nothing but its own result (a stateless call asks through an InputRequiredResult, never its stream).
#[mcp_tool(read_only)]
async fn test_streaming_elicitation() -> ToolOutput {
    ToolOutput::text("No elicitation needed: a stateless call never sends requests on its stream.")
}

/// Closes its SSE stream mid-call (SEP-1699 polling, in a session), then
/// returns text: the client resumes the stream with `Last-Event-ID`.
#[mcp_tool(read_only)]
async fn test_reconnection(ctx: ToolContext) -> ToolOutput {
    ctx.close_sse_stream().await;
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

// ---- Questions to the client: elicitation, sampling, roots (both eras).

/// A name, asked by form.
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct NameForm {
    name: String,
}

/// A colour, asked by form.
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct ColourForm {
    color: String,
}

/// A yes/no confirmation.
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct OkForm {
    ok: bool,
}

/// Arguments of `test_sampling`.
#[derive(Deserialize, JsonSchema)]
struct SamplingArgs {
    /// The prompt to send to the LLM.
    prompt: String,
}

/// Asks the client's model (`sampling/createMessage`) and returns its answer.
#[mcp_tool(read_only)]
async fn test_sampling(args: SamplingArgs, ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let answer = ctx.sample(Sampling::new(100).user(&args.prompt)).await?;
    Ok(ToolOutput::text(format!(
        "LLM response: {}",
        answer.text().unwrap_or("(no text)")
    )))
}

/// Arguments of `test_elicitation`.
#[derive(Deserialize, JsonSchema)]
struct ElicitationArgs {
    /// The message to show the user.
    message: String,
}

/// The user's details.
#[derive(Deserialize, Serialize, JsonSchema, ElicitForm)]
struct UserDetails {
    /// User's response
    username: String,
    /// User's email address
    email: String,
}

/// Asks the user for a username and email (`elicitation/create`).
#[mcp_tool(read_only)]
async fn test_elicitation(args: ElicitationArgs, ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let answer = match ctx.elicit::<UserDetails>(&args.message).await? {
        Elicitation::Accept(d) => format!("action: accept, content: {}", json!(d)),
        Elicitation::Decline => "action: decline".to_owned(),
        Elicitation::Cancel => "action: cancel".to_owned(),
    };
    Ok(ToolOutput::text(format!("User response: <{answer}>")))
}

/// A status.
#[derive(Deserialize, Serialize, JsonSchema, ElicitForm)]
#[serde(rename_all = "lowercase")]
enum Status {
    Active,
    Inactive,
    Pending,
}

/// A form whose every field has a default (SEP-1034).
#[derive(Deserialize, Serialize, JsonSchema, ElicitForm)]
struct Defaults {
    #[serde(default = "default_name")]
    name: String,
    #[serde(default = "default_age")]
    age: i64,
    #[serde(default = "default_score")]
    score: f64,
    #[serde(default = "default_status")]
    status: Status,
    #[serde(default = "default_verified")]
    verified: bool,
}

fn default_name() -> String {
    "John Doe".into()
}
fn default_age() -> i64 {
    30
}
fn default_score() -> f64 {
    95.5
}
fn default_status() -> Status {
    Status::Active
}
fn default_verified() -> bool {
    true
}

/// What an elicitation's answer was, as the SEP-1034 and SEP-1330 scenarios print it.
fn completed<T: Serialize>(answer: Elicitation<T>) -> ToolOutput {
    let (action, content) = match answer {
        Elicitation::Accept(v) => ("accept", json!(v)),
        Elicitation::Decline => ("decline", json!({})),
        Elicitation::Cancel => ("cancel", json!({})),
    };
    ToolOutput::text(format!(
        "Elicitation completed: action={action}, content={content}"
    ))
}

/// Asks a form with a default for every primitive type (SEP-1034).
#[mcp_tool(read_only)]
async fn test_elicitation_sep1034_defaults(ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let answer = ctx.elicit::<Defaults>("Please review your details").await?;
    Ok(completed(answer))
}

/// The five enum shapes of SEP-1330, typed; the schema is written by hand for
/// the titles and the legacy `enumNames`, which the scenario checks word for word.
#[derive(Deserialize, Serialize, ElicitForm)]
#[serde(rename_all = "camelCase")]
struct Enums {
    untitled_single: Choice,
    titled_single: TitledValue,
    legacy_enum: Legacy,
    untitled_multi: Vec<Choice>,
    titled_multi: Vec<TitledValue>,
}

/// `option1`..`option3`.
#[derive(Deserialize, Serialize, ElicitForm)]
#[serde(rename_all = "lowercase")]
enum Choice {
    Option1,
    Option2,
    Option3,
}

/// `value1`..`value3` (titled in the schema).
#[derive(Deserialize, Serialize, ElicitForm)]
#[serde(rename_all = "lowercase")]
enum TitledValue {
    Value1,
    Value2,
    Value3,
}

/// `opt1`..`opt3` (the legacy `enumNames` titles).
#[derive(Deserialize, Serialize, ElicitForm)]
#[serde(rename_all = "lowercase")]
enum Legacy {
    Opt1,
    Opt2,
    Opt3,
}

impl JsonSchema for Enums {
    fn schema_name() -> Cow<'static, str> {
        "Enums".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "properties": {
                "untitledSingle": { "type": "string", "enum": ["option1", "option2", "option3"] },
                "titledSingle": { "type": "string", "oneOf": [
                    { "const": "value1", "title": "First Option" },
                    { "const": "value2", "title": "Second Option" },
                    { "const": "value3", "title": "Third Option" }
                ] },
                "legacyEnum": { "type": "string", "enum": ["opt1", "opt2", "opt3"],
                    "enumNames": ["Option One", "Option Two", "Option Three"] },
                "untitledMulti": { "type": "array",
                    "items": { "type": "string", "enum": ["option1", "option2", "option3"] } },
                "titledMulti": { "type": "array", "items": { "anyOf": [
                    { "const": "value1", "title": "First Choice" },
                    { "const": "value2", "title": "Second Choice" },
                    { "const": "value3", "title": "Third Choice" }
                ] } }
            },
            "required": ["untitledSingle", "titledSingle", "legacyEnum", "untitledMulti", "titledMulti"]
        })
    }
}

/// Asks a form with every enum shape of SEP-1330.
#[mcp_tool(read_only)]
async fn test_elicitation_sep1330_enums(ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let answer = ctx.elicit::<Enums>("Please choose").await?;
    Ok(completed(answer))
}

/// "Hello, <name>!" once the user tells their name (SEP-2322, one round).
#[mcp_tool(read_only)]
async fn test_input_required_result_elicitation(ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let name = ctx
        .elicit::<NameForm>("What is your name?")
        .key("user_name")
        .await?;
    Ok(ToolOutput::text(match name {
        Elicitation::Accept(n) => format!("Hello, {}!", n.name),
        _ => "Hello, whoever you are!".to_owned(),
    }))
}

/// The client model's answer to a question (SEP-2322, sampling).
#[mcp_tool(read_only)]
async fn test_input_required_result_sampling(ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let answer = ctx
        .sample(Sampling::new(100).user("What is the capital of France?"))
        .key("capital_question")
        .await?;
    Ok(ToolOutput::text(
        answer.text().unwrap_or("(no text)").to_owned(),
    ))
}

/// The client's roots (SEP-2322, roots/list).
#[mcp_tool(read_only)]
async fn test_input_required_result_list_roots(ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let roots = ctx.roots().key("client_roots").await?;
    let uris: Vec<&str> = roots.iter().map(|r| r.uri.as_str()).collect();
    Ok(ToolOutput::text(format!("Roots: {}", uris.join(", "))))
}

/// A confirmation carried across rounds in the sealed requestState.
#[mcp_tool(read_only)]
async fn test_input_required_result_request_state(
    ctx: ToolContext,
) -> Result<ToolOutput, McpError> {
    let ok = ctx
        .elicit::<OkForm>("Please confirm")
        .key("confirm")
        .await?;
    let ok = ok.accepted().is_some_and(|f| f.ok);
    Ok(ToolOutput::text(format!("state-ok: confirmed={ok}")))
}

/// Three questions in one round: a form, the model and the roots.
#[mcp_tool(read_only)]
async fn test_input_required_result_multiple_inputs(
    ctx: ToolContext,
) -> Result<ToolOutput, McpError> {
    let (name, greeting, roots) = tokio::join!(
        ctx.elicit::<NameForm>("What is your name?")
            .key("user_name")
            .into_future(),
        ctx.sample(Sampling::new(50).user("Generate a greeting"))
            .key("greeting")
            .into_future(),
        ctx.roots().key("client_roots").into_future(),
    );
    let name = name?
        .accepted()
        .map_or_else(|| "stranger".to_owned(), |n| n.name);
    let greeting = greeting?.text().unwrap_or("Hello").to_owned();
    Ok(ToolOutput::text(format!(
        "{greeting}, {name} ({} roots)",
        roots?.len()
    )))
}

/// Two rounds of questions, the second asked once the first is answered.
#[mcp_tool(read_only)]
async fn test_input_required_result_multi_round(ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let name = ctx
        .elicit::<NameForm>("Step 1: What is your name?")
        .key("step1")
        .await?;
    let colour = ctx
        .elicit::<ColourForm>("Step 2: What is your favorite color?")
        .key("step2")
        .await?;
    let name = name.accepted().map_or_else(|| "?".to_owned(), |n| n.name);
    let colour = colour
        .accepted()
        .map_or_else(|| "?".to_owned(), |c| c.color);
    Ok(ToolOutput::text(format!("{name} likes {colour}")))
}

/// A confirmation whose requestState is refused once changed.
#[mcp_tool(read_only)]
async fn test_input_required_result_tampered_state(
    ctx: ToolContext,
) -> Result<ToolOutput, McpError> {
    let ok = ctx
        .elicit::<OkForm>("Please confirm")
        .key("confirm")
        .await?;
    Ok(ToolOutput::text(format!(
        "confirmed: {}",
        ok.accepted().is_some_and(|f| f.ok)
    )))
}

/// Asks only what the client declared it can answer.
#[mcp_tool(read_only)]
async fn test_input_required_result_capabilities(ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let mut parts = Vec::new();
    if ctx.can_sample() {
        let answer = ctx
            .sample(Sampling::new(50).user("Say hello"))
            .key("hello")
            .await?;
        parts.push(format!("model: {}", answer.text().unwrap_or("")));
    }
    if ctx.can_elicit() {
        let name = ctx
            .elicit::<NameForm>("What is your name?")
            .key("user_name")
            .await?;
        parts.push(format!(
            "name: {}",
            name.accepted().map_or_else(String::new, |n| n.name)
        ));
    }
    Ok(ToolOutput::text(format!(
        "asked what the client can answer: {}",
        parts.join("; ")
    )))
}

/// A context for the prompt, asked by form.
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct ContextForm {
    context: String,
}

/// A prompt that asks the user for its context first (SEP-2322 on prompts/get).
#[mcp_prompt]
async fn test_input_required_result_prompt(ctx: ToolContext) -> Result<String, McpError> {
    let answer = ctx
        .elicit::<ContextForm>("What context should the prompt use?")
        .key("user_context")
        .await?;
    let context = answer
        .accepted()
        .map_or_else(|| "none".to_owned(), |c| c.context);
    Ok(format!("Answer using this context: {context}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = Server::builder("mcp-conformance-fixture", env!("CARGO_PKG_VERSION"))
        .instructions("Fixture tools for the MCP conformance suite.")
        .dangerously_serve_without_authentication()
        // Sessions only change the handshake era (2025-11-25); the
        // 2026-07-28 run stays stateless.
        .sessions(true)
        .session_idle(Duration::from_secs(600))
        .build()?;
    // A failure prints `Error: <message>` and exits 1.
    server.run().await?;
    Ok(())
}
