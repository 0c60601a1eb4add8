//! Runs the contract check of its own tools against the lock file named by
//! its first argument, as a user's `cargo test` would; exits 0 when the check
//! passes (printing any note), 1 with the report when it fails. The
//! `contract_lock` test runs it with controlled environments.

use mcp_runtime::prelude::*;

/// Arguments of `lookup`.
#[derive(Deserialize, JsonSchema)]
struct LookupArgs {
    /// What to look up.
    key: String,
}

/// Look something up. Returns its value.
#[mcp_tool(read_only)]
async fn lookup(args: LookupArgs) -> String {
    args.key
}

fn main() -> std::process::ExitCode {
    let path = std::env::args()
        .nth(1)
        .expect("usage: contract-lock-child LOCK_PATH");
    let registry = match mcp_runtime::testing::check_contracts() {
        Ok(r) => r,
        Err(problems) => {
            eprintln!("{}", problems.join("\n"));
            return std::process::ExitCode::FAILURE;
        }
    };
    match mcp_runtime::testing::check_contract_lock(&registry, std::path::Path::new(&path)) {
        Ok(note) => {
            if let Some(n) = note {
                println!("{n}");
            }
            std::process::ExitCode::SUCCESS
        }
        Err(report) => {
            println!("{report}");
            std::process::ExitCode::FAILURE
        }
    }
}
