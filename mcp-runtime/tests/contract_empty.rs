//! A test binary that links no tools: the contract check must fail, not pass vacuously.

#[test]
fn contract_check_of_no_tools_fails_and_says_how_to_link_them() {
    let problems = mcp_runtime::testing::check_contracts().unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("no MCP tools are registered in this test binary"),
        "{}",
        problems[0]
    );
    assert!(
        problems[0].contains("use your_crate as _;"),
        "{}",
        problems[0]
    );
}
