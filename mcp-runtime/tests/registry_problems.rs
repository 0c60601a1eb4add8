//! Tools with contract problems the macro cannot see: building the server
//! fails and lists every one of them, each with its source location.

use mcp_runtime::prelude::*;

/// A category tree: recursive, so it cannot be inlined.
#[derive(Deserialize, JsonSchema)]
struct Category {
    /// Name.
    name: String,
    /// Sub-categories.
    children: Vec<Category>,
}

/// Arguments with a recursive type.
#[derive(Deserialize, JsonSchema)]
struct TreeArgs {
    /// The tree.
    root: Category,
}

/// Takes a recursive tree.
#[mcp_tool]
async fn take_tree(args: TreeArgs) -> usize {
    args.root.children.len() + args.root.name.len()
}

/// Arguments declaring the injected tenant.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct SpoofArgs {
    /// Declared by mistake: the hub injects it.
    tenant_id: String,
}

/// Declares tenantId.
#[mcp_tool]
async fn declares_tenant(args: SpoofArgs) -> String {
    args.tenant_id
}

/// Not an object.
#[derive(Deserialize, JsonSchema)]
enum Choice {
    /// A.
    A,
    /// B.
    B,
}

/// Takes an enum as its whole arguments.
#[mcp_tool]
async fn takes_enum(args: Choice) -> bool {
    matches!(args, Choice::A)
}

/// First of two tools named `dup`.
#[mcp_tool(name = "dup")]
async fn dup_one() -> u8 {
    1
}

/// Second of two tools named `dup`.
#[mcp_tool(name = "dup")]
async fn dup_two() -> u8 {
    2
}

/// A fine tool: not reported.
#[mcp_tool]
async fn fine() -> u8 {
    0
}

#[test]
fn every_problem_is_reported_at_once_with_its_location() {
    let err = Server::builder("problems", "1").build().unwrap_err();
    let mcp_runtime::BuildError::Tools(e) = err else {
        panic!("tool problems expected")
    };
    let p = &e.problems;
    assert_eq!(p.len(), 4, "{p:#?}");
    let here = "tests/registry_problems.rs:";
    assert!(
        p.iter().all(|m| m.contains(here)),
        "each names its source location: {p:#?}"
    );
    let find = |needle: &str| {
        p.iter()
            .find(|m| m.contains(needle))
            .unwrap_or_else(|| panic!("no problem with {needle:?}: {p:#?}"))
    };
    assert!(find("tool `dup`: duplicate tool name; also defined at").contains(here));
    assert!(find("tool `take_tree`").contains("type `Category` is recursive"));
    assert!(
        find("tool `declares_tenant`").contains("declares `tenantId`, which the platform injects")
    );
    assert!(find("tool `takes_enum`").contains("the arguments schema must be an object"));
    assert!(!p.iter().any(|m| m.contains("`fine`")));
    let text = e.to_string();
    assert!(
        text.starts_with("the MCP tools have 4 problem(s):\n  - "),
        "{text}"
    );
}
