//! The shop's tool contracts: every argument documented, every example
//! valid, and the published schemas equal to the committed lock file.
//! After a deliberate change: `MCP_UPDATE_CONTRACTS=1 cargo test -p shop --test contract`.

use shop as _; // link the crate whose tools are checked

#[test]
fn tool_contracts_match_the_lock() {
    mcp_runtime::testing::assert_contracts("tests/mcp-contract.lock.json");
}
