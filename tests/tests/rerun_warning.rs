//! The re-run model's check (protocol 2026-07-28): a destructive tool that
//! runs blocking work (`ctx.run_blocking`, where writes go) before a question
//! that ends the round is warned about in the log, with its name; one that
//! asks first, and a read-only tool, are not. One test in this binary: it
//! owns the process's log subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};

use mcp_runtime::prelude::*;
use serde_json::{Value, json};

/// The answer to "go on?".
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct Go {
    /// Tick to go on.
    go: bool,
}

/// Writes, then asks: the write runs once per round.
#[mcp_tool(destructive)]
async fn writes_then_asks(ctx: ToolContext) -> Result<bool, McpError> {
    ctx.run_blocking(|_| Ok(())).await?;
    Ok(ctx
        .elicit::<Go>("Go on?")
        .await?
        .accepted()
        .is_some_and(|g| g.go))
}

/// Asks, then writes: the write runs once.
#[mcp_tool(destructive)]
async fn asks_then_writes(ctx: ToolContext) -> Result<bool, McpError> {
    let go = ctx
        .elicit::<Go>("Go on?")
        .await?
        .accepted()
        .is_some_and(|g| g.go);
    ctx.run_blocking(|_| Ok(())).await?;
    Ok(go)
}

/// Reads (blocking), then asks: nothing is destroyed by running it again.
#[mcp_tool(read_only)]
async fn reads_then_asks(ctx: ToolContext) -> Result<bool, McpError> {
    ctx.run_blocking(|_| Ok(())).await?;
    Ok(ctx
        .elicit::<Go>("Go on?")
        .await?
        .accepted()
        .is_some_and(|g| g.go))
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

#[tokio::test]
async fn a_destructive_write_before_a_question_is_warned_about() {
    let log = Log::default();
    let writer = log.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .finish(),
    )
    .unwrap();
    let server = Server::builder("rerun", "1").build().unwrap();
    let client = server.client();
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { "name": "t", "version": "1" },
        "io.modelcontextprotocol/clientCapabilities": { "elicitation": {} }
    });
    let round1 = async |tool: &str| -> Value {
        client
            .request(
                "tools/call",
                json!({ "name": tool, "arguments": {}, "_meta": meta }),
            )
            .await
            .unwrap()
    };
    for (tool, warned) in [
        ("writes_then_asks", true),
        ("asks_then_writes", false),
        ("reads_then_asks", false),
    ] {
        let r = round1(tool).await;
        assert_eq!(r["resultType"], "input_required", "{tool}: {r}");
        let text = log.take();
        assert_eq!(
            text.contains("ran blocking work (ctx.run_blocking) before a question"),
            warned,
            "{tool}: {text}"
        );
        if warned {
            assert!(
                text.contains("tool=\"writes_then_asks\"")
                    || text.contains("tool=writes_then_asks"),
                "{text}"
            );
        }
    }
}
