//! Every shape `#[derive(ElicitForm)]` accepts compiles, is asked by
//! `ctx.elicit`, and derives the `requestedSchema` the spec describes
//! (checked with `testing::check_form`); the derive leaves serde's and
//! schemars' attributes their meaning.
#![allow(dead_code)]

use mcp_runtime::prelude::*;
use serde_json::json;

/// A plain choice (an `enum` of strings).
#[derive(Deserialize, Serialize, JsonSchema, ElicitForm)]
#[serde(rename_all = "lowercase")]
enum Size {
    Small,
    Large,
}

/// A titled choice (SEP-1330 `oneOf` of `const`s with titles).
#[derive(Deserialize, Serialize, JsonSchema, ElicitForm)]
#[serde(rename_all = "snake_case")]
enum Colour {
    /// Bright red
    BrightRed,
    /// Deep blue
    DeepBlue,
}

fn medium() -> u32 {
    3
}

fn large() -> Size {
    Size::Large
}

/// Every field shape a form may hold.
#[derive(Deserialize, JsonSchema, ElicitForm)]
#[serde(rename_all = "camelCase")]
struct Everything {
    /// Your name.
    full_name: String,
    #[schemars(email)]
    email: String,
    #[schemars(url)]
    homepage: Option<String>,
    #[schemars(extend("format" = "date"))]
    birthday: String,
    #[schemars(extend("format" = "date-time"))]
    meet_at: Option<String>,
    #[schemars(range(min = 1, max = 9))]
    #[serde(default = "medium")]
    count: u32,
    small: i8,
    big: i64,
    unsigned: usize,
    ratio: f64,
    half: Option<f32>,
    agree: bool,
    #[serde(default)]
    newsletter: Option<bool>,
    #[serde(default = "large")]
    size: Size,
    colour: Colour,
    maybe_size: Option<Size>,
    #[schemars(length(max = 2))]
    extras: Vec<Size>,
    colours: Option<Vec<Colour>>,
    /// Not asked: serde skips it, so the derive does not check it.
    #[serde(skip)]
    cache: std::collections::HashMap<String, String>,
}

/// Asks every shape.
#[mcp_tool]
async fn ask(ctx: ToolContext) -> Result<String, McpError> {
    match ctx.elicit::<Everything>("All of it?").await? {
        Elicitation::Accept(e) => Ok(e.full_name),
        _ => Ok("no".into()),
    }
}

fn main() {
    let s = mcp_runtime::testing::check_form::<Everything>().unwrap();
    let p = &s["properties"];
    assert_eq!(p["fullName"], json!({"type": "string", "description": "Your name."}));
    assert_eq!(p["email"], json!({"type": "string", "format": "email"}));
    assert_eq!(p["homepage"], json!({"type": "string", "format": "uri"}));
    assert_eq!(p["birthday"], json!({"type": "string", "format": "date"}));
    assert_eq!(p["meetAt"], json!({"type": "string", "format": "date-time"}));
    assert_eq!(p["count"]["type"], "integer");
    assert_eq!(p["count"]["default"], 3);
    assert_eq!(p["count"]["minimum"], 1);
    assert_eq!(p["count"]["maximum"], 9);
    assert_eq!(p["ratio"]["type"], "number");
    assert_eq!(p["half"]["type"], "number");
    assert_eq!(p["agree"], json!({"type": "boolean"}));
    assert_eq!(p["newsletter"]["type"], "boolean");
    assert_eq!(p["size"]["enum"], json!(["small", "large"]));
    assert_eq!(p["size"]["default"], "large");
    assert_eq!(
        p["colour"]["oneOf"],
        json!([{"const": "bright_red", "title": "Bright red"}, {"const": "deep_blue", "title": "Deep blue"}])
    );
    assert_eq!(p["maybeSize"]["enum"], json!(["small", "large"]));
    assert_eq!(
        p["extras"],
        json!({"type": "array", "items": {"type": "string", "enum": ["small", "large"]}, "maxItems": 2})
    );
    assert_eq!(p["colours"]["type"], "array");
    assert_eq!(p["colours"]["items"]["anyOf"][1], json!({"const": "deep_blue", "title": "Deep blue"}));
    assert!(p.get("cache").is_none());
    let required: Vec<&str> = s["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for f in ["fullName", "email", "birthday", "agree", "colour", "extras"] {
        assert!(required.contains(&f), "{f} is required: {required:?}");
    }
    for f in ["homepage", "meetAt", "count", "newsletter", "size", "maybeSize", "colours"] {
        assert!(!required.contains(&f), "{f} is optional: {required:?}");
    }
}
