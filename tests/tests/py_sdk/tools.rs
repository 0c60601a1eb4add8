//! The tools both Python SDK test servers serve: the in-process HTTP server of
//! `tests/python_sdk.rs` and the `py-stdio-server` binary (which includes this
//! file with `#[path]`). One definition, so both transports are held to the
//! same expectations.

use mcp_runtime::prelude::*;
use serde_json::json;

/// The result of `add`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Sum {
    /// `a + b`.
    pub(crate) sum: i64,
}

/// Add two integers. Returns their sum.
#[mcp_tool(read_only, title = "Add")]
async fn add(
    /// The first addend.
    a: i64,
    /// The second addend.
    b: i64,
) -> Sum {
    Sum { sum: a + b }
}

/// Arguments of `fail`.
#[derive(Deserialize, JsonSchema)]
pub(crate) struct FailArgs {
    /// What the error says.
    message: String,
}

/// Always fails with `not_found` and the given message.
#[mcp_tool(read_only)]
async fn fail(args: FailArgs) -> Result<Sum, McpError> {
    Err(McpError::not_found(args.message))
}

/// Arguments of `report_progress`.
#[derive(Deserialize, JsonSchema)]
pub(crate) struct ProgressArgs {
    /// How many steps to report.
    steps: u32,
}

/// Reports progress `1..=steps` of `steps`, each with a message.
#[mcp_tool(read_only)]
async fn report_progress(args: ProgressArgs, ctx: ToolContext) -> ToolOutput {
    let steps = args.steps;
    for i in 1..=steps {
        ctx.progress(
            f64::from(i),
            Some(f64::from(steps)),
            Some(&format!("step {i} of {steps}")),
        )
        .await;
    }
    ToolOutput::text(format!("reported {steps} steps"))
}

/// Logs one message at each of debug, info and warning.
#[mcp_tool(read_only)]
async fn emit_logs(ctx: ToolContext) -> ToolOutput {
    ctx.log(LogLevel::Debug, "debug message").await;
    ctx.log(LogLevel::Info, "info message").await;
    ctx.log(
        LogLevel::Warning,
        json!({ "detail": "disk almost full", "percent": 93 }),
    )
    .await;
    ToolOutput::text("logged")
}
