//! Publishing schemas in the portable spelling changes nothing about what a
//! call may send: for every argument value below, the server accepts it
//! exactly when the published `inputSchema` does, and what it returns
//! validates against the published `outputSchema`.

use mcp_runtime::prelude::*;
use serde_json::{Value, json};

/// Part of the arguments.
#[derive(Deserialize, Serialize, JsonSchema, Clone)]
struct Part {
    /// Its code.
    code: String,
    /// How many.
    count: u16,
}

/// Arguments with every integer width and nullable shape.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Widths {
    /// A byte.
    small: u8,
    /// Signed and small.
    signed: i8,
    /// A count.
    count: u32,
    /// A delta.
    delta: i32,
    /// Tags, some of them null.
    tags: Vec<Option<String>>,
    /// Optional.
    maybe: Option<u16>,
    /// An optional part.
    part: Option<Part>,
}

/// What `widths` returns: the same, nullable where the arguments were optional.
#[derive(Serialize, JsonSchema)]
struct Echo {
    /// The byte.
    small: u8,
    /// The count.
    count: u32,
    /// The tags.
    tags: Vec<Option<String>>,
    /// Optional, `null` when absent.
    maybe: Option<u16>,
    /// The part, `null` when absent.
    part: Option<Part>,
}

/// Echo integer widths. Returns them.
#[mcp_tool]
async fn widths(args: Widths) -> Echo {
    let _ = (args.signed, args.delta);
    Echo {
        small: args.small,
        count: args.count,
        tags: args.tags,
        maybe: args.maybe,
        part: args.part,
    }
}

fn base() -> Value {
    json!({ "small": 1, "signed": -1, "count": 1, "delta": 0, "tags": [] })
}

fn with(field: &str, value: Value) -> Value {
    let mut v = base();
    v[field] = value;
    v
}

#[tokio::test]
async fn the_server_accepts_exactly_what_the_published_schema_does() {
    let server = Server::builder("widths", "1").build().expect("valid tools");
    let client = server.client();
    let tools = client.list_tools().await.expect("tools/list");
    let input = &tools[0]["inputSchema"];
    let output = &tools[0]["outputSchema"];
    let published = input.to_string() + &output.to_string();
    assert!(
        !published.contains("\"format\"") && !published.contains("\"type\":["),
        "{published}"
    );
    assert_eq!(
        input["properties"]["signed"],
        json!({ "type": "integer", "minimum": -128, "maximum": 127, "description": "Signed and small." })
    );
    assert_eq!(
        input["properties"]["tags"]["items"],
        json!({ "anyOf": [{ "type": "string" }, { "type": "null" }] })
    );
    let inputs = jsonschema::draft202012::new(input).expect("the input schema compiles");
    let outputs = jsonschema::draft202012::new(output).expect("the output schema compiles");

    let values = [
        base(),
        with("small", json!(255)),
        with("small", json!(256)),
        with("small", json!(-1)),
        with("small", json!(1.5)),
        with("signed", json!(-128)),
        with("signed", json!(-129)),
        with("signed", json!(128)),
        with("count", json!(4_294_967_295_u64)),
        with("count", json!(4_294_967_296_u64)),
        with("count", json!(-1)),
        with("count", json!("1")),
        with("delta", json!(-2_147_483_648_i64)),
        with("delta", json!(2_147_483_648_i64)),
        with("tags", json!(["a", null, "b"])),
        with("tags", json!([1])),
        with("tags", json!(null)),
        with("maybe", json!(65535)),
        with("maybe", json!(65536)),
        with("part", json!({ "code": "x", "count": 2 })),
        with("part", json!({ "code": "x", "count": 70000 })),
        with("part", json!({ "code": "x" })),
        with("part", json!("x")),
        with("other", json!(1)),
        json!({ "small": 1 }),
    ];
    let mut accepted = 0;
    for args in values {
        let result = client.call("widths", args.clone()).await.expect("a result");
        let schema_says = inputs.is_valid(&args);
        assert_eq!(
            !result.is_error(),
            schema_says,
            "{args}: the server {} it, the published schema {} it ({:?})",
            if result.is_error() { "refused" } else { "took" },
            if schema_says { "allows" } else { "refuses" },
            result.error_message()
        );
        if result.is_error() {
            assert_eq!(result.error_kind(), Some(ErrorKind::Validation), "{args}");
        } else {
            accepted += 1;
            let structured = result.structured().expect("structured content");
            assert!(outputs.is_valid(structured), "{structured}");
        }
    }
    assert_eq!(accepted, 8);
}

#[tokio::test]
async fn null_for_an_optional_argument_is_still_taken() {
    // Published as the plain type (omitting it says "none"), accepted as
    // before when a client sends `null` anyway.
    let server = Server::builder("widths", "1").build().expect("valid tools");
    let result = server
        .client()
        .call("widths", with("maybe", Value::Null))
        .await
        .expect("a result");
    assert!(!result.is_error(), "{:?}", result.error_message());
    assert_eq!(
        result.structured().expect("structured")["maybe"],
        Value::Null
    );
}
