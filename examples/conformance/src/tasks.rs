//! The fixture tools of the tasks scenarios (SEP-2663): a synchronous
//! `greet`, and task tools that sleep, fail, panic and ask questions.

use std::future::IntoFuture as _;
use std::time::Duration;

use mcp_runtime::Elicitation;
use mcp_runtime::prelude::*;

/// Arguments of `greet`.
#[derive(Deserialize, JsonSchema)]
struct GreetArgs {
    /// Who to greet.
    name: String,
}

/// Greets someone; never a task.
#[mcp_tool(read_only)]
async fn greet(args: GreetArgs) -> ToolOutput {
    ToolOutput::text(format!("Hello, {}!", args.name))
}

/// Arguments of `slow_compute`.
#[derive(Deserialize, JsonSchema)]
struct SlowArgs {
    /// How long to work, in seconds (0: at once).
    seconds: u64,
    /// A label echoed in the result.
    #[serde(default)]
    label: Option<String>,
}

/// Works `seconds` seconds, reporting progress each second, then answers;
/// a task when the client supports tasks.
#[mcp_tool(read_only, task = "optional")]
async fn slow_compute(args: SlowArgs, ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let total = args.seconds.min(600);
    for done in 0..total {
        ctx.progress(done as f64, Some(total as f64), Some("computing"))
            .await;
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = ctx.cancelled() => return Err(McpError::validation("cancelled")),
        }
    }
    let label = args.label.unwrap_or_default();
    Ok(ToolOutput::text(format!(
        "computed {label} in {total} seconds"
    )))
}

/// Fails with a tool error after about a second; only as a task.
#[mcp_tool(read_only, task = "required")]
async fn failing_job() -> Result<ToolOutput, McpError> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    Err(McpError::validation("the job failed, as it always does"))
}

/// Panics: the task fails with a protocol error.
#[mcp_tool(read_only, task = "optional")]
async fn protocol_error_job() -> Result<ToolOutput, McpError> {
    tokio::time::sleep(Duration::from_millis(100)).await;
    panic!("protocol_error_job crashes on purpose")
}

/// Arguments of `confirm_delete`.
#[derive(Deserialize, JsonSchema)]
struct DeleteArgs {
    /// The file to delete.
    filename: String,
}

/// A yes or no.
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct Confirm {
    /// Whether to go ahead.
    confirm: bool,
}

/// Asks the user to confirm, then "deletes" the file (nothing is touched).
#[mcp_tool(idempotent, task = "optional")]
async fn confirm_delete(args: DeleteArgs, ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let answer = ctx
        .elicit::<Confirm>(&format!("Delete {}?", args.filename))
        .await?;
    Ok(ToolOutput::text(match answer {
        Elicitation::Accept(Confirm { confirm: true }) => format!("deleted {}", args.filename),
        _ => format!("kept {}", args.filename),
    }))
}

/// A name and a yes or no.
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct NamedConfirm {
    /// A name.
    name: String,
    /// Whether to go ahead.
    confirm: bool,
}

/// Asks two questions at once.
#[mcp_tool(read_only, task = "optional")]
async fn multi_input(ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let (a, b) = tokio::join!(
        ctx.elicit::<NamedConfirm>("First?")
            .key("first")
            .into_future(),
        ctx.elicit::<NamedConfirm>("Second?")
            .key("second")
            .into_future(),
    );
    let name = |e: Elicitation<NamedConfirm>| match e {
        Elicitation::Accept(n) if n.confirm => n.name,
        _ => "-".to_owned(),
    };
    Ok(ToolOutput::text(format!(
        "first: {}, second: {}",
        name(a?),
        name(b?)
    )))
}

/// Asks for the user's name in a stateless round (before any task), then
/// finishes the work as a task: the MRTR → tasks composition of SEP-2663.
#[mcp_tool(read_only, task = "required")]
async fn test_tool_with_task(ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let name = ctx
        .elicit::<super::NameForm>("What is your name?")
        .key("user_name")
        .before_task()
        .await?
        .accepted()
        .map_or_else(|| "stranger".to_owned(), |n| n.name);
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(ToolOutput::text(format!(
        "Hello, {name}! (finished as a task)"
    )))
}
