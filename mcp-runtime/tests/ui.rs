//! Compile tests of `#[mcp_tool]`, `#[mcp_resource]` (`resource-*`),
//! `#[derive(ElicitForm)]` (`form-*`) and
//! `#[mcp_prompt]` (`prompt-*`): every supported signature compiles (and
//! registers the expected descriptor), every misuse fails with its message.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
