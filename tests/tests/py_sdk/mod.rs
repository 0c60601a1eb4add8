//! Running the official MCP Python SDK client (`tests/py/mcp_client_driver.py`)
//! from the tests of this package.
//!
//! The venv setup, the skip rule (no python3: `SKIPPED`, unless `CI` is set)
//! and one driver run live in [`driver`] (`py_sdk/driver.rs`), which the shop
//! example's test includes too; this module adds what only this package needs:
//! the test tools and a run off the async runtime of an in-process server.

mod driver;
pub(crate) mod tools;

use std::path::Path;

use serde_json::Value;

pub(crate) use driver::{DriverRun, Mode, run_driver, venv_python};

/// [`run_driver`] off the async runtime (the in-process server keeps running).
pub(crate) async fn run_driver_async(python: &Path, args: Vec<String>, script: Value) -> DriverRun {
    let python = python.to_owned();
    tokio::task::spawn_blocking(move || run_driver(&python, &args, &script))
        .await
        .expect("driver thread did not panic")
}
