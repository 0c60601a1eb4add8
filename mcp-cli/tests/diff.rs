//! `mcp diff` fails for each class of breaking change and passes for
//! compatible ones: the shop's lock, as `mcp lock` writes it, edited as an
//! older release of the shop would have had it, then diffed against the
//! running shop. (`python_sdk.rs` diffs a real new release of a server.)

mod support;

use serde_json::{Value, json};
use support::{RunExt, TempDir, mcp_in};

const KEYS: &str = "hub:hub-5e8a1c3f7b9d2e4a6c8f0b1d3e5a";
const SECRET: &str = "hub-5e8a1c3f7b9d2e4a6c8f0b1d3e5a";

const BREAKING: &str = "BREAKING changes (agents built against the lock may fail):\n";

/// The same lock, edited by `edit`.
fn edited(lock: &Value, edit: impl FnOnce(&mut Value)) -> Value {
    let mut l = lock.clone();
    edit(&mut l);
    l
}

#[test]
fn each_breaking_change_fails_and_compatible_ones_pass() {
    let shop = mcp_tests::shop::Shop::start(mcp_tests::shop::shop_binary(), KEYS);
    let dir = TempDir::new("diff");
    let mcp = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--bearer", SECRET, &shop.url]);
        mcp_in(&all, Some(&dir.0))
    };
    let lock = mcp(&["lock"]).expect_code(0).json();
    let tool = |name: &str| format!("/tools/{name}/inputSchema/properties");

    let breaking: [(&str, Value, &str); 4] = [
        (
            "a tool removed",
            edited(&lock, |l| {
                let old = l["tools"]["get_order"].clone();
                l["tools"]["lookup_order"] = old;
            }),
            "  - tool `lookup_order` removed (or renamed)\n",
        ),
        (
            "a required argument added",
            edited(&lock, |l| {
                let s = &mut l["tools"]["get_order"]["inputSchema"];
                s["properties"]
                    .as_object_mut()
                    .unwrap()
                    .remove("orderNumber");
                s.as_object_mut().unwrap().remove("required");
            }),
            "  - tool `get_order`: argument `orderNumber` added as required\n",
        ),
        (
            "a type changed",
            edited(&lock, |l| {
                let p = l.pointer_mut(&tool("get_customer")).unwrap();
                p["includeHistory"]["type"] = json!("string");
            }),
            "  - tool `get_customer`: argument `includeHistory` type changed: string -> boolean\n",
        ),
        (
            "an enum value removed",
            edited(&lock, |l| {
                let p = l.pointer_mut(&tool("list_invoices")).unwrap();
                p["status"]["oneOf"].as_array_mut().unwrap().push(json!({
                    "const": "archived", "type": "string", "description": "Kept for the records."
                }));
            }),
            "  - tool `list_invoices`: argument `status` enum value \"archived\" removed \
             (\"draft\" | \"open\" | \"paid\" | \"overdue\" | \"void\" | \"archived\" → \
             \"draft\" | \"open\" | \"paid\" | \"overdue\" | \"void\")\n",
        ),
    ];
    let compatible: [(&str, Value, &str); 4] = [
        (
            "a new tool",
            edited(&lock, |l| {
                l["tools"].as_object_mut().unwrap().remove("submit_return");
            }),
            "  + tool `submit_return` added\n",
        ),
        (
            "a new optional argument",
            edited(&lock, |l| {
                let p = l.pointer_mut(&tool("check_inventory")).unwrap();
                p.as_object_mut().unwrap().remove("warehouseId");
            }),
            "  + tool `check_inventory`: argument `warehouseId` added (optional field)\n",
        ),
        (
            "a tool's description edited",
            edited(&lock, |l| {
                l["tools"]["search_products"]["description"] = json!("Search the catalog.");
            }),
            "  + tool `search_products`: description changed\n",
        ),
        (
            "an argument's description edited",
            edited(&lock, |l| {
                let p = l.pointer_mut(&tool("get_order")).unwrap();
                p["orderNumber"]["description"] = json!("The order's number.");
            }),
            "  + tool `get_order`: argument `orderNumber` description changed\n",
        ),
    ];
    let cases = breaking
        .into_iter()
        .map(|(what, old, line)| (what, old, 1, format!("{BREAKING}{line}")))
        .chain(
            compatible
                .into_iter()
                .map(|(what, old, line)| (what, old, 0, format!("non-breaking changes:\n{line}"))),
        );
    for (what, old, code, printed) in cases {
        std::fs::write(dir.0.join("old.lock.json"), old.to_string()).unwrap();
        let run = mcp(&["diff", "old.lock.json"]);
        assert_eq!(run.expect_code(code).stdout, printed, "{what}");
    }

    // Both kinds at once, as JSON: still a failure.
    let both = edited(&lock, |l| {
        let tools = l["tools"].as_object_mut().unwrap();
        tools.remove("submit_return");
        let old = tools["get_order"].clone();
        tools.insert("lookup_order".into(), old);
    });
    std::fs::write(dir.0.join("old.lock.json"), both.to_string()).unwrap();
    let run = mcp(&["diff", "old.lock.json", "--json"]);
    assert_eq!(
        run.expect_code(1).json(),
        json!({
            "breaking": ["tool `lookup_order` removed (or renamed)"],
            "compatible": ["tool `submit_return` added"]
        })
    );
}
