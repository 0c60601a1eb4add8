//! What changed between two contracts, each change classed as breaking
//! (agents built against the old contract may fail) or compatible.

use std::fmt;

use serde_json::{Map, Value};

/// Changes between a locked contract and the current one.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ContractDiff {
    /// Changes that can break agents built against the lock.
    pub breaking: Vec<String>,
    /// Changes existing agents keep working with.
    pub compatible: Vec<String>,
}

impl ContractDiff {
    /// No change at all.
    pub fn is_empty(&self) -> bool {
        self.breaking.is_empty() && self.compatible.is_empty()
    }
}

impl fmt::Display for ContractDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.breaking.is_empty() {
            writeln!(
                f,
                "BREAKING changes (agents built against the lock may fail):"
            )?;
            for c in &self.breaking {
                writeln!(f, "  - {c}")?;
            }
        }
        if !self.compatible.is_empty() {
            writeln!(f, "non-breaking changes:")?;
            for c in &self.compatible {
                writeln!(f, "  + {c}")?;
            }
        }
        Ok(())
    }
}

/// Compare two contracts (as [`contract_of`] makes them).
pub fn compare_contracts(locked: &Value, current: &Value) -> ContractDiff {
    let mut d = ContractDiff::default();
    let empty = Map::new();
    let old = locked
        .get("tools")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let new = current
        .get("tools")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (name, o) in old {
        match new.get(name) {
            None => d
                .breaking
                .push(format!("tool `{name}` removed (or renamed)")),
            Some(n) => compare_tool(name, o, n, &mut d),
        }
    }
    for name in new.keys().filter(|n| !old.contains_key(*n)) {
        d.compatible.push(format!("tool `{name}` added"));
    }
    compare_served(locked, current, &mut d);
    d
}

/// Resources, templates and prompts: one removed (a template changed is
/// one removed) breaks the clients that read or get it; one added does not.
/// A resource's MIME type changed breaks its readers; a prompt's new
/// required argument, an argument removed (a get that sends it is refused)
/// or one made required break the callers; the rest is compatible.
fn compare_served(locked: &Value, current: &Value, d: &mut ContractDiff) {
    let empty = Map::new();
    for (section, what) in [
        ("resources", "resource"),
        ("resourceTemplates", "resource template"),
        ("prompts", "prompt"),
    ] {
        let old = locked
            .get(section)
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let new = current
            .get(section)
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (id, o) in old {
            let Some(n) = new.get(id) else {
                d.breaking
                    .push(format!("{what} `{id}` removed (or changed)"));
                continue;
            };
            for field in ["description", "title", "annotations", "size", "name"] {
                if o.get(field) != n.get(field) {
                    d.compatible.push(format!("{what} `{id}`: {field} changed"));
                }
            }
            if o.get("mimeType") != n.get("mimeType") {
                d.breaking.push(format!(
                    "{what} `{id}`: mimeType changed {}",
                    from_to(o.get("mimeType"), n.get("mimeType"))
                ));
            }
            compare_scopes_of(what, id, o, n, d);
            if section == "prompts" {
                compare_prompt_arguments(id, o, n, d);
            }
        }
        for id in new.keys().filter(|k| !old.contains_key(*k)) {
            d.compatible.push(format!("{what} `{id}` added"));
        }
    }
}

fn compare_prompt_arguments(prompt: &str, old: &Value, new: &Value, d: &mut ContractDiff) {
    let args = |v: &Value| -> Vec<(String, bool, Option<Value>)> {
        v.get("arguments")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|a| {
                        (
                            a["name"].as_str().unwrap_or_default().to_owned(),
                            a["required"].as_bool().unwrap_or(false),
                            a.get("description").cloned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old, new) = (args(old), args(new));
    for (name, required, description) in &old {
        match new.iter().find(|(n, ..)| n == name) {
            None => d.breaking.push(format!(
                "prompt `{prompt}`: argument `{name}` removed (a get that sends it is refused)"
            )),
            Some((_, now_required, now_description)) => {
                if !required && *now_required {
                    d.breaking.push(format!(
                        "prompt `{prompt}`: argument `{name}` is now required"
                    ));
                } else if *required && !now_required {
                    d.compatible.push(format!(
                        "prompt `{prompt}`: argument `{name}` is now optional"
                    ));
                }
                if description != now_description {
                    d.compatible.push(format!(
                        "prompt `{prompt}`: argument `{name}`: description changed"
                    ));
                }
            }
        }
    }
    for (name, required, _) in new
        .iter()
        .filter(|(n, ..)| !old.iter().any(|(o, ..)| o == n))
    {
        if *required {
            d.breaking
                .push(format!("prompt `{prompt}`: new required argument `{name}`"));
        } else {
            d.compatible
                .push(format!("prompt `{prompt}`: new optional argument `{name}`"));
        }
    }
}

fn compare_tool(tool: &str, old: &Value, new: &Value, d: &mut ContractDiff) {
    for field in ["description", "title", "annotations"] {
        if old.get(field) != new.get(field) {
            d.compatible.push(format!("tool `{tool}`: {field} changed"));
        }
    }
    compare_scopes(tool, old, new, d);
    let null = Value::Null;
    let before = d.breaking.len() + d.compatible.len();
    let (old_in, new_in) = (
        old.get("inputSchema").unwrap_or(&null),
        new.get("inputSchema").unwrap_or(&null),
    );
    compare_schema(
        &format!("tool `{tool}`: argument"),
        "",
        old_in,
        new_in,
        Direction::Input,
        d,
    );
    if old_in != new_in && d.breaking.len() + d.compatible.len() == before {
        // A change this comparison does not classify: flag it rather than let it pass unseen.
        d.breaking.push(format!(
            "tool `{tool}`: input schema changed in a way not classified; review it"
        ));
    }
    match (old.get("outputSchema"), new.get("outputSchema")) {
        (Some(o), Some(n)) => compare_schema(
            &format!("tool `{tool}`: result field"),
            "",
            o,
            n,
            Direction::Output,
            d,
        ),
        (Some(_), None) => d.breaking.push(format!(
            "tool `{tool}`: structured output (outputSchema) removed"
        )),
        (None, Some(_)) => d.compatible.push(format!(
            "tool `{tool}`: structured output (outputSchema) added"
        )),
        (None, None) => {}
    }
}

/// A scope a tool newly requires shuts out the callers without it:
/// breaking. A scope no longer required lets more callers in: compatible.
fn compare_scopes(tool: &str, old: &Value, new: &Value, d: &mut ContractDiff) {
    compare_scopes_of("tool", tool, old, new, d);
}

/// [`compare_scopes`] of a `what` (tool, resource, resource template, prompt).
fn compare_scopes_of(what: &str, id: &str, old: &Value, new: &Value, d: &mut ContractDiff) {
    let scopes = |v: &Value| -> Vec<String> {
        v.get("scopes")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (before, after) = (scopes(old), scopes(new));
    for s in after.iter().filter(|s| !before.contains(s)) {
        d.breaking.push(format!(
            "{what} `{id}`: now requires the scope `{s}` (callers without it are refused)"
        ));
    }
    for s in before.iter().filter(|s| !after.contains(s)) {
        d.compatible
            .push(format!("{what} `{id}`: no longer requires the scope `{s}`"));
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Agents send it: narrowing breaks them.
    Input,
    /// Agents read it: removing what they read breaks them.
    Output,
}

fn types_of(s: &Value) -> Vec<String> {
    match s.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn required_of(s: &Value) -> Vec<String> {
    s.get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn compare_schema(
    what: &str,
    path: &str,
    old: &Value,
    new: &Value,
    dir: Direction,
    d: &mut ContractDiff,
) {
    // A nullable value is published as `anyOf` branches; compare it whole.
    let (old, new) = (
        &*crate::schema::joined_type_union(old),
        &*crate::schema::joined_type_union(new),
    );
    let label = if path.is_empty() {
        "(root)".to_owned()
    } else {
        format!("`{path}`")
    };
    let (ot, nt) = (types_of(old), types_of(new));
    if ot != nt && !(ot.is_empty() && nt.is_empty()) {
        let widened = dir == Direction::Input
            && ot
                .iter()
                .all(|t| nt.contains(t) || (t == "integer" && nt.iter().any(|n| n == "number")));
        let msg = format!(
            "{what} {label} type changed: {} -> {}",
            ot.join("|"),
            nt.join("|")
        );
        if widened {
            d.compatible.push(msg)
        } else {
            d.breaking.push(msg)
        }
    }
    if old.get("description") != new.get("description") && !path.is_empty() {
        d.compatible
            .push(format!("{what} {label} description changed"));
    }
    compare_enums(what, &label, old, new, dir, d);
    if dir == Direction::Input {
        for (kw, tighter_if_greater) in [
            ("minimum", true),
            ("exclusiveMinimum", true),
            ("minLength", true),
            ("minItems", true),
            ("maximum", false),
            ("exclusiveMaximum", false),
            ("maxLength", false),
            ("maxItems", false),
        ] {
            let (o, n) = (
                old.get(kw).and_then(Value::as_f64),
                new.get(kw).and_then(Value::as_f64),
            );
            let tighter = match (o, n) {
                (None, Some(_)) => true,
                (Some(o), Some(n)) => {
                    if tighter_if_greater {
                        n > o
                    } else {
                        n < o
                    }
                }
                _ => false,
            };
            let change = from_to(old.get(kw), new.get(kw));
            if tighter {
                d.breaking.push(format!(
                    "{what} {label} constraint `{kw}` tightened: {change}"
                ));
            } else if o != n {
                d.compatible.push(format!(
                    "{what} {label} constraint `{kw}` relaxed: {change}"
                ));
            }
        }
        match (old.get("pattern"), new.get("pattern")) {
            (o, Some(n)) if o != Some(n) => d.breaking.push(format!(
                "{what} {label} pattern changed: {}",
                from_to(o, Some(n))
            )),
            (Some(o), None) => d.compatible.push(format!(
                "{what} {label} pattern removed: {}",
                from_to(Some(o), None)
            )),
            _ => {}
        }
        if old.get("additionalProperties") != Some(&Value::Bool(false))
            && new.get("additionalProperties") == Some(&Value::Bool(false))
            && old.get("properties").is_some()
        {
            d.breaking.push(format!(
                "{what} {label} no longer accepts unknown fields: `additionalProperties` {}",
                from_to(
                    old.get("additionalProperties"),
                    new.get("additionalProperties")
                )
            ));
        }
    }
    let empty = Map::new();
    let op = old
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let np = new
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let (or, nr) = (required_of(old), required_of(new));
    for (name, o) in op {
        let p = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        match np.get(name) {
            None => {
                let msg = format!("{what} `{p}` removed");
                // An agent still sending a removed argument is refused when
                // unknown fields are; a removed result field breaks readers.
                if dir == Direction::Output
                    || new.get("additionalProperties") == Some(&Value::Bool(false))
                {
                    d.breaking.push(msg)
                } else {
                    d.compatible.push(msg)
                }
            }
            Some(n) => {
                if dir == Direction::Input && nr.contains(name) && !or.contains(name) {
                    d.breaking.push(format!("{what} `{p}` is now required"));
                }
                if dir == Direction::Output && or.contains(name) && !nr.contains(name) {
                    d.breaking
                        .push(format!("{what} `{p}` is no longer always present"));
                }
                if dir == Direction::Input && or.contains(name) && !nr.contains(name) {
                    d.compatible.push(format!("{what} `{p}` is now optional"));
                }
                compare_schema(what, &p, o, n, dir, d);
            }
        }
    }
    for (name, _) in np.iter().filter(|(n, _)| !op.contains_key(*n)) {
        let p = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        if dir == Direction::Input && nr.contains(name) {
            d.breaking.push(format!("{what} `{p}` added as required"));
        } else {
            let kind = if dir == Direction::Input {
                "optional "
            } else {
                ""
            };
            d.compatible
                .push(format!("{what} `{p}` added ({kind}field)"));
        }
    }
    if let (Some(oi), Some(ni)) = (old.get("items"), new.get("items")) {
        compare_schema(what, &format!("{path}[]"), oi, ni, dir, d);
    }
}

/// `old → new`, each value as the schema writes it (`none` when absent):
/// `10000 → 100`, `none → 64`, `"^a$" → "^b$"`.
fn from_to(old: Option<&Value>, new: Option<&Value>) -> String {
    let shown = |v: Option<&Value>| v.map_or_else(|| "none".to_owned(), Value::to_string);
    format!("{} → {}", shown(old), shown(new))
}

/// The allowed values, as the schema lists them: `"a" | "b"`.
fn listed(values: &[&Value]) -> String {
    let shown: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    shown.join(" | ")
}

/// Enumeration changes, each naming the value and both lists of values.
/// Narrowing what agents may send, or widening what they may read, breaks them.
fn compare_enums(
    what: &str,
    label: &str,
    old: &Value,
    new: &Value,
    dir: Direction,
    d: &mut ContractDiff,
) {
    let (narrowed, widened) = match dir {
        Direction::Input => (&mut d.breaking, &mut d.compatible),
        Direction::Output => (&mut d.compatible, &mut d.breaking),
    };
    match (
        crate::schema::allowed_values(old),
        crate::schema::allowed_values(new),
    ) {
        (Some(oe), Some(ne)) if !ne.is_empty() => {
            let change = format!("{} → {}", listed(&oe), listed(&ne));
            for v in oe.iter().filter(|v| !ne.contains(v)) {
                narrowed.push(format!("{what} {label} enum value {v} removed ({change})"));
            }
            for v in ne.iter().filter(|v| !oe.contains(v)) {
                widened.push(format!("{what} {label} enum value {v} added ({change})"));
            }
        }
        (Some(oe), None) if !oe.is_empty() && unenumerated(new) => widened.push(format!(
            "{what} {label} enum constraint removed: {} → any value",
            listed(&oe)
        )),
        (None, Some(ne)) if !ne.is_empty() && unenumerated(old) => narrowed.push(format!(
            "{what} {label} enum constraint added: any value → {}",
            listed(&ne)
        )),
        _ => {}
    }
}

/// A schema with no enumeration keyword at all (any value of its type). A
/// `oneOf` of objects is not one: its change is left to the other checks.
fn unenumerated(schema: &Value) -> bool {
    ["enum", "const", "oneOf", "anyOf"]
        .iter()
        .all(|k| schema.get(*k).is_none())
}
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resources_templates_and_prompts_are_part_of_the_contract() {
        let locked = json!({
            "tools": {},
            "resources": { "x://a": { "name": "a", "mimeType": "text/plain" }, "x://b": { "name": "b" } },
            "resourceTemplates": { "x://t/{id}": { "name": "t" } },
            "prompts": { "p": { "name": "p", "arguments": [
                { "name": "kept", "required": false },
                { "name": "gone", "required": true }
            ] } }
        });
        let current = json!({
            "tools": {},
            "resources": { "x://a": { "name": "a", "mimeType": "text/markdown", "description": "A." }, "x://c": { "name": "c" } },
            "resourceTemplates": { "x://t/{key}": { "name": "t" } },
            "prompts": { "p": { "name": "p", "arguments": [
                { "name": "kept", "required": true },
                { "name": "new", "required": true },
                { "name": "extra", "required": false }
            ] } }
        });
        let d = compare_contracts(&locked, &current);
        assert_eq!(
            d.breaking,
            [
                "resource `x://a`: mimeType changed \"text/plain\" → \"text/markdown\"",
                "resource `x://b` removed (or changed)",
                "resource template `x://t/{id}` removed (or changed)",
                "prompt `p`: argument `kept` is now required",
                "prompt `p`: argument `gone` removed (a get that sends it is refused)",
                "prompt `p`: new required argument `new`",
            ]
        );
        assert_eq!(
            d.compatible,
            [
                "resource `x://a`: description changed",
                "resource `x://c` added",
                "resource template `x://t/{key}` added",
                "prompt `p`: new optional argument `extra`",
            ]
        );
    }

    #[test]
    fn a_scope_added_breaks_a_scope_removed_does_not() {
        let tool = |scopes: Value| json!({ "tools": { "t": { "description": "d", "inputSchema": {"type": "object"}, "scopes": scopes } } });
        let d = compare_contracts(&tool(json!(["shop:read"])), &tool(json!(["orders:write"])));
        assert_eq!(
            d.breaking,
            ["tool `t`: now requires the scope `orders:write` (callers without it are refused)"]
        );
        assert_eq!(
            d.compatible,
            ["tool `t`: no longer requires the scope `shop:read`"]
        );
        let none =
            json!({ "tools": { "t": { "description": "d", "inputSchema": {"type": "object"} } } });
        assert_eq!(
            compare_contracts(&none, &tool(json!(["a"]))).breaking.len(),
            1
        );
        assert!(
            compare_contracts(&tool(json!(["a"])), &none)
                .breaking
                .is_empty()
        );
    }
}
