#![no_main]
//! Structured fuzzing of `tools/call` arguments against a tool with a rich
//! schema (pattern, ranges, enums, nested objects, arrays, maps, optional
//! fields, unknown fields refused) and a tool without arguments.
//!
//! The fuzzer builds the arguments as a tree biased towards the schema's own
//! field names and valid values, with the hostile kinds mixed in: duplicate
//! keys, `tenantId` of every type (and twice), numbers beyond f64 and u64,
//! lone surrogates, NUL and control characters, `__proto__`, deep nesting.
//! The tree is written as JSON text by hand (so that duplicates and big
//! numbers can exist) and sent through the dispatcher. One execution
//! in 256 also gets an array of zeros sized to put the arguments within ±127
//! values of the 100,000-value cap (`max_argument_values`, counted while
//! read by both parses); one in 32 is sent again padded past the 256 KiB
//! large-message threshold, from a runtime worker, so that it is parsed and
//! validated off the async workers.
//!
//! Invariants, beyond `mcp_fuzz::check_reply` (one well-formed answer with
//! the request's id, valid against the official schema): the answer is a
//! tool result, never a JSON-RPC error; arguments with a duplicate key, a
//! number beyond f64 or a lone surrogate anywhere are refused with a
//! `validation_error`; any refusal is a `validation_error`; a success
//! reports exactly the tenant that was injected (never another), the `code`
//! and `note` strings exactly as sent, and the sum of the quantities sent;
//! arguments of more than 100,000 values are refused, and only those are
//! refused as too many; the padded message gets the same answer, byte for
//! byte.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mcp_runtime::prelude::*;
use mcp_runtime::testing::Client;
use serde_json::Value;

// ------------------------------------------------------------------ tools

/// How a line ships.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Kind {
    /// Standard.
    Standard,
    /// Express.
    Express,
    /// Bulk.
    Bulk,
}

/// A carrier mode.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Ground,
    Air,
}

/// One line.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // deserialized (that is the test), not all read
struct Line {
    /// `SKU-` and four digits.
    #[schemars(regex(pattern = r"^SKU-\d{4}$"))]
    sku: String,
    /// 1 to 99 units.
    #[schemars(range(min = 1, max = 99))]
    qty: u32,
    /// How it ships.
    kind: Kind,
}

/// Shipping.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // deserialized (that is the test), not all read
struct Shipping {
    /// Carrier mode.
    method: Mode,
    /// Up to three address lines.
    #[schemars(length(max = 3))]
    address: Vec<String>,
    /// Express.
    express: bool,
}

/// Arguments of `rich`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // deserialized (that is the test), not all read
struct RichArgs {
    /// Three capitals, a dash, two digits.
    #[schemars(regex(pattern = r"^[A-Z]{3}-\d{2}$"))]
    code: String,
    /// One to five lines.
    #[schemars(length(min = 1, max = 5))]
    items: Vec<Line>,
    /// A ratio in [-1000, 1000].
    #[schemars(range(min = -1000.0, max = 1000.0))]
    ratio: Option<f64>,
    /// Labels.
    labels: Option<BTreeMap<String, i32>>,
    /// Shipping.
    shipping: Option<Shipping>,
    /// Priority.
    priority: Option<u8>,
    /// Gift.
    gift: Option<bool>,
    /// A note of at most 100 characters.
    #[schemars(length(max = 100))]
    note: Option<String>,
}

/// What `rich` and `bare` saw.
#[derive(Debug, Serialize, JsonSchema)]
struct Summary {
    /// `code`.
    code: Option<String>,
    /// Number of lines.
    lines: usize,
    /// Sum of the quantities.
    total_qty: u64,
    /// `note`.
    note: Option<String>,
    /// The injected tenant.
    tenant: Option<String>,
    /// The injected workspace.
    workspace: Option<String>,
}

/// A tool with a rich schema.
#[mcp_tool]
async fn rich(args: RichArgs, ctx: ToolContext) -> Summary {
    Summary {
        code: Some(args.code),
        lines: args.items.len(),
        total_qty: args.items.iter().map(|l| u64::from(l.qty)).sum(),
        note: args.note,
        tenant: ctx.tenant_id().map(str::to_owned),
        workspace: ctx.workspace_id().map(str::to_owned),
    }
}

/// A tool without arguments.
#[mcp_tool(read_only)]
async fn bare(ctx: ToolContext) -> Summary {
    Summary {
        code: None,
        lines: 0,
        total_qty: 0,
        note: None,
        tenant: ctx.tenant_id().map(str::to_owned),
        workspace: ctx.workspace_id().map(str::to_owned),
    }
}

// ------------------------------------------------------------------ generator

#[derive(Arbitrary, Debug)]
struct Input {
    id: Id,
    bare: bool,
    tenant: TenantPick,
    args: Vec<(Key, J)>,
    bulk: BulkPick,
}

/// An array of zeros under `key`, sized so that the arguments hold the cap
/// of values plus `offset`. Used for one execution in 256, chosen by a hash
/// of the input's bytes (not by a field: an input that has the array would
/// keep it under most mutations, and such a call takes some 0.3 s under
/// AddressSanitizer and coverage tracing).
#[derive(Arbitrary, Debug)]
struct BulkPick {
    key: Key,
    offset: i8,
    first: bool,
}

/// `max_argument_values` (the default).
const MAX_VALUES: usize = 100_000;

/// The message of the refusal for more than `MAX_VALUES` values.
const TOO_MANY: &str = "invalid arguments: more than 100000 values (objects, arrays, their \
                        items and scalars together); send fewer items per call";

#[derive(Arbitrary, Debug)]
enum Id {
    Int(i64),
    Str(String),
}

#[derive(Arbitrary, Debug)]
enum TenantPick {
    None,
    First(J),
    Last(J),
    Twice(J, J),
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
enum Key {
    Code,
    Items,
    Ratio,
    Labels,
    Shipping,
    Priority,
    Gift,
    Note,
    Sku,
    Qty,
    Kind,
    Method,
    Address,
    Express,
    TenantId,
    WorkspaceId,
    Proto,
    Any(String),
}

impl Key {
    fn name(&self) -> &str {
        match self {
            Key::Code => "code",
            Key::Items => "items",
            Key::Ratio => "ratio",
            Key::Labels => "labels",
            Key::Shipping => "shipping",
            Key::Priority => "priority",
            Key::Gift => "gift",
            Key::Note => "note",
            Key::Sku => "sku",
            Key::Qty => "qty",
            Key::Kind => "kind",
            Key::Method => "method",
            Key::Address => "address",
            Key::Express => "express",
            Key::TenantId => "tenantId",
            Key::WorkspaceId => "workspaceId",
            Key::Proto => "__proto__",
            Key::Any(s) => s,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum J {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Big(Big),
    Str(S),
    Arr(Vec<J>),
    Obj(Vec<(Key, J)>),
    Deep(u8, Box<J>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Big {
    /// Beyond f64: refused.
    E400,
    NegE400,
    /// 2^64: parsed as a float.
    U64Plus,
    /// Underflows to 0.
    Tiny,
    NegZero,
    Half,
}

#[derive(Arbitrary, Debug)]
enum S {
    Any(String),
    Code(u8, u8, u8, u8, u8),
    Sku(u16),
    Kind(u8),
    Mode(u8),
    Tenant(u8),
    Escaped(Vec<Esc>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Esc {
    Char(char),
    Nul,
    Ctl(u8),
    LoneHigh,
    LoneLow,
    Pair,
    Quote,
    Backslash,
}

/// Past `LARGE_MESSAGE_BYTES` (256 KiB).
const LARGE: usize = 256 * 1024;

/// What the generator knows about the text it wrote.
#[derive(Default)]
struct Facts {
    duplicate_key: bool,
    beyond_f64: bool,
    lone_surrogate: bool,
    max_depth: usize,
    /// Values written (objects, arrays, their items, scalars), as the cap counts them.
    values: usize,
}

fn push_str_literal(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).expect("a string serializes"));
}

/// Writes a string; returns its decoded value (`None`: not valid Unicode).
fn write_s(s: &S, out: &mut String, facts: &mut Facts) -> Option<String> {
    let plain = |v: String, out: &mut String| {
        push_str_literal(out, &v);
        Some(v)
    };
    match s {
        S::Any(v) => plain(v.clone(), out),
        S::Code(a, b, c, d, e) => plain(
            format!(
                "{}{}{}-{}{}",
                char::from(b'A' + a % 26),
                char::from(b'A' + b % 26),
                char::from(b'A' + c % 27), // 27: sometimes not a capital
                d % 10,
                e % 11 // 10 and up: three digits
            ),
            out,
        ),
        S::Sku(n) => plain(format!("SKU-{:04}", n % 12000), out),
        S::Kind(n) => plain(
            ["standard", "express", "bulk", "Bulk", ""][*n as usize % 5].into(),
            out,
        ),
        S::Mode(n) => plain(["ground", "air", "sea"][*n as usize % 3].into(), out),
        S::Tenant(n) => plain(
            ["acme", "globex", "", "ACME", &"t".repeat(300)][*n as usize % 5].into(),
            out,
        ),
        S::Escaped(parts) => {
            let mut decoded = Some(String::new());
            out.push('"');
            for p in parts {
                match *p {
                    Esc::Char(c) => {
                        let mut lit = serde_json::to_string(&c.to_string()).expect("char");
                        lit.pop();
                        out.push_str(&lit[1..]);
                        if let Some(d) = decoded.as_mut() {
                            d.push(c);
                        }
                    }
                    Esc::Nul => {
                        out.push_str("\\u0000");
                        if let Some(d) = decoded.as_mut() {
                            d.push('\0');
                        }
                    }
                    Esc::Ctl(b) => {
                        let b = b % 0x20;
                        let _ = write!(out, "\\u{b:04x}");
                        if let Some(d) = decoded.as_mut() {
                            d.push(char::from(b));
                        }
                    }
                    Esc::LoneHigh => {
                        out.push_str("\\ud800x");
                        decoded = None;
                    }
                    Esc::LoneLow => {
                        out.push_str("\\udc00");
                        decoded = None;
                    }
                    Esc::Pair => {
                        out.push_str("\\ud83d\\ude00");
                        if let Some(d) = decoded.as_mut() {
                            d.push('\u{1F600}');
                        }
                    }
                    Esc::Quote => {
                        out.push_str("\\\"");
                        if let Some(d) = decoded.as_mut() {
                            d.push('"');
                        }
                    }
                    Esc::Backslash => {
                        out.push_str("\\\\");
                        if let Some(d) = decoded.as_mut() {
                            d.push('\\');
                        }
                    }
                }
            }
            out.push('"');
            if decoded.is_none() {
                facts.lone_surrogate = true;
            }
            decoded
        }
    }
}

fn write_pairs(pairs: &[(Key, J)], out: &mut String, facts: &mut Facts, depth: usize) {
    facts.values += 1;
    out.push('{');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(prev, _)| prev.name() == k.name()) {
            facts.duplicate_key = true;
        }
        if i > 0 {
            out.push(',');
        }
        push_str_literal(out, k.name());
        out.push(':');
        write_j(v, out, facts, depth);
    }
    out.push('}');
}

/// `depth`: the nesting of the containers around this value.
fn write_j(j: &J, out: &mut String, facts: &mut Facts, depth: usize) {
    facts.max_depth = facts.max_depth.max(depth);
    facts.values += match j {
        // The object counts itself in `write_pairs`.
        J::Obj(_) => 0,
        J::Deep(n, _) => 1 + usize::from(*n) % 200,
        _ => 1,
    };
    match j {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Int(i) => {
            let _ = write!(out, "{i}");
        }
        J::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        J::Float(f) => out.push_str(&Value::from(*f).to_string()),
        J::Big(b) => {
            if matches!(b, Big::E400 | Big::NegE400) {
                facts.beyond_f64 = true;
            }
            out.push_str(match b {
                Big::E400 => "1e400",
                Big::NegE400 => "-1E+400",
                Big::U64Plus => "18446744073709551616",
                Big::Tiny => "1e-400",
                Big::NegZero => "-0",
                Big::Half => "0.5",
            });
        }
        J::Str(s) => {
            write_s(s, out, facts);
        }
        J::Arr(items) => {
            facts.max_depth = facts.max_depth.max(depth + 1);
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_j(item, out, facts, depth + 1);
            }
            out.push(']');
        }
        J::Obj(pairs) => {
            facts.max_depth = facts.max_depth.max(depth + 1);
            write_pairs(pairs, out, facts, depth + 1);
        }
        J::Deep(n, inner) => {
            let levels = 1 + usize::from(*n) % 200;
            facts.max_depth = facts.max_depth.max(depth + levels);
            out.push_str(&"[".repeat(levels));
            write_j(inner, out, facts, depth + levels);
            out.push_str(&"]".repeat(levels));
        }
    }
}

/// The decoded value of a string node (`None` if not a string or not valid).
fn decoded(j: &J) -> Option<String> {
    match j {
        J::Str(s) => write_s(s, &mut String::new(), &mut Facts::default()),
        _ => None,
    }
}

/// Written as `null` (a non-finite float is written as `null` too).
fn is_null(j: &J) -> bool {
    match j {
        J::Null => true,
        J::Float(f) => !f.is_finite(),
        _ => false,
    }
}

fn field<'a>(pairs: &'a [(Key, J)], name: &str) -> Option<&'a J> {
    pairs.iter().find(|(k, _)| k.name() == name).map(|(_, v)| v)
}

/// The quantities of the `items` lines, as the tool must have summed them.
fn total_qty(items: &J) -> u64 {
    let J::Arr(lines) = items else {
        panic!("a success with `items` that is not an array: {items:?}");
    };
    lines
        .iter()
        .map(|line| {
            let J::Obj(pairs) = line else {
                panic!("a success with a line that is not an object: {line:?}");
            };
            match field(pairs, "qty") {
                Some(J::Int(i)) => u64::try_from(*i).expect("accepted a negative qty"),
                Some(J::UInt(u)) => *u,
                other => panic!("a success with qty {other:?}"),
            }
        })
        .sum()
}

// ------------------------------------------------------------------ target

/// With `MCP_FUZZ_STATS` set, each input's outcome is printed to stderr
/// (`outcome: ok|refused|rpc-error`), to see how deep a corpus reaches:
/// `MCP_FUZZ_STATS=1 cargo +nightly fuzz run call_arguments corpus/call_arguments -- -runs=0`.
fn stat(outcome: &str) {
    static ON: OnceLock<bool> = OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("MCP_FUZZ_STATS").is_some()) {
        eprintln!("outcome: {outcome}");
    }
}

struct Harness {
    rt: tokio::runtime::Runtime,
    client: Client,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = Server::builder("fuzz-args", "1.0.0")
            .build()
            .expect("server");
        Harness {
            rt,
            client: server.client(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    // As `fuzz_target!(|input: Input| …)` reads its input, plus a hash of
    // the bytes for the two costly variations: the near-cap array (one
    // execution in 256) and the padded resend (one in 32).
    let Ok(input) = Input::arbitrary_take_rest(arbitrary::Unstructured::new(data)) else {
        return;
    };
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |a, &b| {
        (a ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let with_bulk = hash % 256 == 255;
    let with_pad = (hash >> 8) % 32 == 31;
    let mut pairs: Vec<(Key, J)> = Vec::new();
    let mut args = input.args;
    match input.tenant {
        TenantPick::None => {}
        TenantPick::First(t) => pairs.push((Key::TenantId, t)),
        TenantPick::Last(t) => args.push((Key::TenantId, t)),
        TenantPick::Twice(a, b) => {
            pairs.push((Key::TenantId, a));
            args.push((Key::TenantId, b));
        }
    }
    pairs.extend(args);

    let mut facts = Facts::default();
    let mut rendered = String::new();
    write_pairs(&pairs, &mut rendered, &mut facts, 3);
    let b = &input.bulk;
    if with_bulk {
        let (key, offset, first) = (&b.key, &b.offset, &b.first);
        // `key: [0, …]`: one value for the array, one per zero.
        let zeros = (MAX_VALUES as isize + isize::from(*offset) - facts.values as isize - 1).max(0)
            as usize;
        facts.values += 1 + zeros;
        if pairs.iter().any(|(k, _)| k.name() == key.name()) {
            facts.duplicate_key = true;
        }
        let mut member = serde_json::to_string(key.name()).expect("a name");
        member.push_str(":[");
        member.push_str(&"0,".repeat(zeros));
        if zeros > 0 {
            member.pop();
        }
        member.push(']');
        if rendered == "{}" {
            rendered = format!("{{{member}}}");
        } else if *first {
            rendered.insert_str(1, &format!("{member},"));
        } else {
            rendered.insert_str(rendered.len() - 1, &format!(",{member}"));
        }
    }
    let tool = if input.bare { "bare" } else { "rich" };
    let mut request = String::from(r#"{"jsonrpc":"2.0","id":"#);
    match &input.id {
        Id::Int(i) => {
            let _ = write!(request, "{i}");
        }
        Id::Str(s) => push_str_literal(&mut request, s),
    }
    let _ = write!(
        request,
        r#","method":"tools/call","params":{{"name":"{tool}","arguments":{rendered}}}}}"#
    );

    let h = harness();
    let reply = h.rt.block_on(h.client.send_bytes(request.as_bytes()));
    mcp_fuzz::check_reply(request.as_bytes(), reply.as_deref());
    if with_pad && request.len() <= LARGE {
        // Past the threshold, the message is parsed and validated off the
        // async workers (from a task on a worker, so `block_in_place` hands
        // the worker over): the answer must be the same, byte for byte.
        let mut padded = request.clone().into_bytes();
        padded.resize(LARGE + 1 + request.len() % 512, b' ');
        let client = h.client.clone();
        let large =
            h.rt.block_on(h.rt.spawn(async move { client.send_bytes(&padded).await }))
                .expect("the task ends");
        assert_eq!(
            large.as_deref().map(mcp_fuzz::lossy),
            reply.as_deref().map(mcp_fuzz::lossy),
            "padded past 256 KiB, answered otherwise: {request}"
        );
        stat("padded");
    }
    let msg: Value = serde_json::from_slice(&reply.expect("a request is answered")).expect("JSON");
    if let Some(e) = msg.get("error") {
        // Only nesting beyond serde_json's recursion limit (128) may stop the
        // message before it reaches the tool.
        assert!(
            facts.max_depth >= 120,
            "a JSON-RPC error for arguments: {e}\n{request}"
        );
        stat("rpc-error");
        return;
    }
    let result = &msg["result"];
    let is_error = result.get("isError") == Some(&Value::Bool(true));
    let text = result["content"][0]["text"].as_str().expect("a text block");
    let body: Value = serde_json::from_str(text).expect("the text is JSON");
    let too_many = facts.values > MAX_VALUES;
    if is_error {
        let e = &body["error"];
        assert_eq!(e["type"], "validation_error", "{e}\n{request}");
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
        // The refusal for too many values by its whole message: a key the
        // fuzzer names `…more than 100000 values…` is quoted in other
        // refusals' messages.
        let said_too_many = e["message"] == TOO_MANY;
        assert!(
            !said_too_many || too_many,
            "refused {} values as too many: {e}",
            facts.values
        );
        if too_many {
            stat(if said_too_many {
                "refused-too-many"
            } else {
                "refused-over-cap-other"
            });
            return;
        }
        stat("refused");
        return;
    }
    assert!(!facts.duplicate_key, "accepted a duplicate key: {request}");
    assert!(!facts.beyond_f64, "accepted a number beyond f64: {request}");
    assert!(
        !facts.lone_surrogate,
        "accepted a lone surrogate: {request}"
    );
    assert!(
        !too_many,
        "accepted {} values (the cap is {MAX_VALUES})",
        facts.values
    );
    let summary = &result["structuredContent"];
    assert_eq!(summary, &body, "structuredContent and text differ");
    // The tenant the tool saw is exactly the one injected.
    let tenant = match field(&pairs, "tenantId") {
        None => None,
        Some(t) if is_null(t) => None,
        Some(t) => Some(decoded(t).unwrap_or_else(|| panic!("accepted tenantId {t:?}"))),
    };
    assert_eq!(summary["tenant"], serde_json::json!(tenant), "{request}");
    if let Some(t) = &tenant {
        assert!(!t.is_empty() && t.len() <= 256, "accepted tenantId {t:?}");
    }
    let workspace = match field(&pairs, "workspaceId") {
        None => None,
        Some(w) if is_null(w) => None,
        Some(w) => Some(decoded(w).unwrap_or_else(|| panic!("accepted workspaceId {w:?}"))),
    };
    assert_eq!(
        summary["workspace"],
        serde_json::json!(workspace),
        "{request}"
    );
    let rest: Vec<&(Key, J)> = pairs
        .iter()
        .filter(|(k, _)| !matches!(k.name(), "tenantId" | "workspaceId"))
        .collect();
    if input.bare {
        assert!(rest.is_empty(), "bare accepted arguments: {request}");
        stat("ok");
        return;
    }
    let code = field(&pairs, "code")
        .and_then(decoded)
        .expect("a success has a code");
    assert_eq!(summary["code"], serde_json::json!(code), "{request}");
    let note = match field(&pairs, "note") {
        None => None,
        Some(n) if is_null(n) => None,
        Some(n) => Some(decoded(n).expect("a success has a string note")),
    };
    assert_eq!(summary["note"], serde_json::json!(note), "{request}");
    let items = field(&pairs, "items").expect("a success has items");
    assert_eq!(
        summary["total_qty"],
        serde_json::json!(total_qty(items)),
        "{request}"
    );
    stat("ok");
});
