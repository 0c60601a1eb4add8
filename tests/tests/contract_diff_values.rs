//! The contract diff names the values of what changed: each constraint from
//! what to what (`maximum` 10000 → 100), each pattern, each enumeration with
//! its values before and after; the report shows them as they were computed.

use mcp_runtime::testing::{ContractDiff, compare_contracts};
use serde_json::{Value, json};

/// A contract of one tool `t` whose argument `n` has the schema `arg`.
fn with_argument(arg: Value) -> Value {
    json!({ "tools": { "t": { "inputSchema": {
        "type": "object", "properties": { "n": arg }
    } } } })
}

/// A contract of one tool `t` whose result field `status` has the schema `field`.
fn with_result_field(field: Value) -> Value {
    json!({ "tools": { "t": {
        "inputSchema": { "type": "object" },
        "outputSchema": { "type": "object", "properties": { "status": field } }
    } } })
}

fn diff_of_argument(old: Value, new: Value) -> ContractDiff {
    compare_contracts(&with_argument(old), &with_argument(new))
}

#[test]
fn every_numeric_constraint_says_from_what_to_what() {
    // (keyword, looser value, tighter value)
    let cases = [
        ("minimum", json!(1), json!(5)),
        ("exclusiveMinimum", json!(0), json!(0.5)),
        ("minLength", json!(1), json!(3)),
        ("minItems", json!(0), json!(2)),
        ("maximum", json!(10000), json!(100)),
        ("exclusiveMaximum", json!(99.5), json!(10)),
        ("maxLength", json!(256), json!(64)),
        ("maxItems", json!(50), json!(10)),
    ];
    for (kw, loose, tight) in cases {
        let loose_schema = json!({ "type": "integer", "description": "d", kw: loose });
        let tight_schema = json!({ "type": "integer", "description": "d", kw: tight });

        let d = diff_of_argument(loose_schema.clone(), tight_schema.clone());
        assert_eq!(
            d.breaking,
            [format!(
                "tool `t`: argument `n` constraint `{kw}` tightened: {loose} → {tight}"
            )],
            "{kw}"
        );
        assert!(d.compatible.is_empty(), "{kw}: {d:?}");

        let d = diff_of_argument(tight_schema.clone(), loose_schema);
        assert_eq!(
            d.compatible,
            [format!(
                "tool `t`: argument `n` constraint `{kw}` relaxed: {tight} → {loose}"
            )],
            "{kw}"
        );
        assert!(d.breaking.is_empty(), "{kw}: {d:?}");

        // A constraint appearing or going away: `none` on the missing side.
        let bare = json!({ "type": "integer", "description": "d" });
        let d = diff_of_argument(bare.clone(), tight_schema.clone());
        assert_eq!(
            d.breaking,
            [format!(
                "tool `t`: argument `n` constraint `{kw}` tightened: none → {tight}"
            )]
        );
        let d = diff_of_argument(tight_schema, bare);
        assert_eq!(
            d.compatible,
            [format!(
                "tool `t`: argument `n` constraint `{kw}` relaxed: {tight} → none"
            )]
        );
    }
}

#[test]
fn the_report_shows_the_values() {
    let old = json!({ "type": "integer", "description": "d", "maximum": 10000, "minimum": 1 });
    let new = json!({ "type": "integer", "description": "d", "maximum": 100, "minimum": 0 });
    let report = diff_of_argument(old, new).to_string();
    assert_eq!(
        report,
        "BREAKING changes (agents built against the lock may fail):\n  \
         - tool `t`: argument `n` constraint `maximum` tightened: 10000 → 100\n\
         non-breaking changes:\n  \
         + tool `t`: argument `n` constraint `minimum` relaxed: 1 → 0\n"
    );
}

#[test]
fn pattern_changes_show_both_patterns() {
    let d = diff_of_argument(
        json!({ "type": "string", "description": "d", "pattern": "^ORD-\\d{5}$" }),
        json!({ "type": "string", "description": "d", "pattern": "^ORD-\\d{6}$" }),
    );
    assert_eq!(
        d.breaking,
        [r#"tool `t`: argument `n` pattern changed: "^ORD-\\d{5}$" → "^ORD-\\d{6}$""#]
    );
    let d = diff_of_argument(
        json!({ "type": "string", "description": "d" }),
        json!({ "type": "string", "description": "d", "pattern": "^[a-z]+$" }),
    );
    assert_eq!(
        d.breaking,
        [r#"tool `t`: argument `n` pattern changed: none → "^[a-z]+$""#]
    );
    // Any string where only some went before: compatible, not "unclassified".
    let d = diff_of_argument(
        json!({ "type": "string", "description": "d", "pattern": "^[a-z]+$" }),
        json!({ "type": "string", "description": "d" }),
    );
    assert!(d.breaking.is_empty(), "{d:?}");
    assert_eq!(
        d.compatible,
        [r#"tool `t`: argument `n` pattern removed: "^[a-z]+$" → none"#]
    );
}

#[test]
fn refusing_unknown_fields_shows_the_keyword_change() {
    for (before, shown) in [(None, "none"), (Some(json!(true)), "true")] {
        let mut old = with_argument(json!({ "type": "integer", "description": "d" }));
        if let Some(v) = before {
            old["tools"]["t"]["inputSchema"]["additionalProperties"] = v;
        }
        let mut new = old.clone();
        new["tools"]["t"]["inputSchema"]["additionalProperties"] = json!(false);
        assert_eq!(
            compare_contracts(&old, &new).breaking,
            [format!(
                "tool `t`: argument (root) no longer accepts unknown fields: \
                 `additionalProperties` {shown} → false"
            )]
        );
    }
}

#[test]
fn enum_changes_list_the_values_before_and_after() {
    // Documented Rust enum variants are published as a `oneOf` of consts.
    let speeds = |values: &[&str]| {
        let branches: Vec<Value> = values
            .iter()
            .map(|v| json!({ "type": "string", "const": v }))
            .collect();
        json!({ "description": "d", "oneOf": branches })
    };
    let d = diff_of_argument(
        speeds(&["standard", "express", "overnight"]),
        speeds(&["standard", "express", "same_day"]),
    );
    assert_eq!(
        d.breaking,
        ["tool `t`: argument `n` enum value \"overnight\" removed \
             (\"standard\" | \"express\" | \"overnight\" → \"standard\" | \"express\" | \"same_day\")"]
    );
    assert_eq!(
        d.compatible,
        ["tool `t`: argument `n` enum value \"same_day\" added \
             (\"standard\" | \"express\" | \"overnight\" → \"standard\" | \"express\" | \"same_day\")"]
    );
}

#[test]
fn an_enum_appearing_or_going_away_lists_its_values() {
    let free = json!({ "type": "string", "description": "d" });
    let closed = json!({ "type": "string", "description": "d", "enum": ["open", "closed"] });

    // Agents send it: an enum where any string went before narrows them.
    let d = diff_of_argument(free.clone(), closed.clone());
    assert_eq!(
        d.breaking,
        ["tool `t`: argument `n` enum constraint added: any value → \"open\" | \"closed\""]
    );
    assert!(d.compatible.is_empty(), "{d:?}");
    let d = diff_of_argument(closed.clone(), free.clone());
    assert_eq!(
        d.compatible,
        ["tool `t`: argument `n` enum constraint removed: \"open\" | \"closed\" → any value"]
    );
    assert!(d.breaking.is_empty(), "{d:?}");

    // Agents read it: any value where two went before can break a reader.
    let d = compare_contracts(&with_result_field(closed.clone()), &with_result_field(free));
    assert_eq!(
        d.breaking,
        [
            "tool `t`: result field `status` enum constraint removed: \"open\" | \"closed\" → any value"
        ]
    );
    let mut wider = closed.clone();
    wider["enum"] = json!(["open", "closed", "archived"]);
    let d = compare_contracts(&with_result_field(closed), &with_result_field(wider));
    assert_eq!(
        d.breaking,
        [
            "tool `t`: result field `status` enum value \"archived\" added \
             (\"open\" | \"closed\" → \"open\" | \"closed\" | \"archived\")"
        ]
    );
}

#[test]
fn an_enum_turned_into_variants_with_data_is_not_called_any_value() {
    // `b` may no longer be sent, but the new schema is not an enumeration:
    // the diff must not call this a compatible "any value".
    let old = json!({ "description": "d", "oneOf": [
        { "type": "string", "const": "a" }, { "type": "string", "const": "b" } ] });
    let new = json!({ "description": "d", "oneOf": [
        { "type": "string", "const": "a" },
        { "type": "object", "properties": { "b": { "type": "integer" } } } ] });
    let d = diff_of_argument(old, new);
    assert!(d.compatible.is_empty(), "{d:?}");
    assert_eq!(
        d.breaking,
        ["tool `t`: input schema changed in a way not classified; review it"]
    );
}
