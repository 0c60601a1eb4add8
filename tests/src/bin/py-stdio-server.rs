//! A stdio MCP server for `tests/python_sdk.rs`: the official Python SDK client
//! starts it as a real subprocess and talks newline-delimited JSON-RPC on its
//! stdin/stdout. It serves the same tools as the in-process HTTP server of that
//! test (`fixtures/py_sdk_tools.rs`). Exits when stdin ends.

#[path = "../../fixtures/py_sdk_tools.rs"]
mod tools;

use mcp_runtime::Server;

/// The `serverInfo` the tests expect.
const NAME: &str = "py-stdio-server";
const VERSION: &str = "2.7.1";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    mcp_runtime::init_logging();
    let server = match Server::builder(NAME, VERSION).build() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("py-stdio-server: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match server.serve_stdio().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("py-stdio-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
