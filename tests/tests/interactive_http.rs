//! A tool's questions to its client over real HTTP, in both eras (and over
//! stdio in the handshake era), every
//! server message validated against the official schema of its revision:
//!
//! - 2025-11-25: `elicitation/create` arrives on the call's SSE stream; the
//!   client's answer is a POST; another key's answer with the right id is
//!   ignored; an unanswered question times out and is withdrawn with
//!   `notifications/cancelled`, as it is when the call is cancelled; a client
//!   that did not declare the capability is refused.
//! - 2026-07-28: the call answers `InputRequiredResult` with a sealed
//!   `requestState`; the second round brings the answer; a state is refused
//!   when changed or presented by another key or for other arguments; a
//!   client without the capability gets `-32021`.

use std::net::SocketAddr;
use std::time::Duration;

use mcp_runtime::prelude::*;
use mcp_runtime::{ApiKey, Elicitation, Sampling};
use mcp_tests::streaming::Streaming;
use mcp_tests::{HttpResponse, Post, Revision, TestServer, assert_valid_message};
use serde_json::{Value, json};

const ALICE: &str = "interactive-alice-key-0123456789";
const MALLORY: &str = "interactive-mallory-key-01234567";

/// The answer to "are you sure?".
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct Confirm {
    /// Tick to confirm.
    confirm: bool,
}

/// Arguments of `delete_note`.
#[derive(Deserialize, JsonSchema)]
struct NoteId {
    /// The note.
    id: u64,
}

/// Delete a note once the user confirms.
#[mcp_tool(destructive)]
async fn delete_note(args: NoteId, ctx: ToolContext) -> Result<String, McpError> {
    let answer = ctx
        .elicit::<Confirm>(&format!("Delete note {}?", args.id))
        .key("confirm")
        .await?;
    Ok(match answer {
        Elicitation::Accept(Confirm { confirm: true }) => format!("deleted {}", args.id),
        Elicitation::Accept(_) => format!("kept {} (not ticked)", args.id),
        Elicitation::Decline => format!("kept {} (declined)", args.id),
        Elicitation::Cancel => format!("kept {} (cancelled)", args.id),
    })
}

/// Ask the client's model, without checking that it has one.
#[mcp_tool(read_only)]
async fn ask_model(ctx: ToolContext) -> Result<String, McpError> {
    let answer = ctx.sample(Sampling::new(10).user("Say hi")).await?;
    Ok(answer.text().unwrap_or_default().to_owned())
}

/// Send the user to a payment page (URL-mode elicitation).
#[mcp_tool(read_only)]
async fn open_payment(ctx: ToolContext) -> Result<String, McpError> {
    let answer = ctx
        .elicit_url("Pay for order 7", "https://pay.example.com/o/7")
        .key("pay")
        .await?;
    Ok(format!("{answer:?}"))
}

async fn start(input_timeout: Duration) -> TestServer {
    let server = Server::builder("interactive-http", "1.0.0")
        .api_key(ApiKey::new("alice", ALICE).unwrap())
        .api_key(ApiKey::new("mallory", MALLORY).unwrap())
        .keys_from_env(false)
        .input_timeout(input_timeout)
        .build()
        .expect("valid tools");
    TestServer::start(server).await
}

fn rpc(id: Value, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

// ------------------------------------------------------------ 2025-11-25

fn handshake(body: &Value, key: &str) -> Post {
    Post::json(body)
        .header("MCP-Protocol-Version", "2025-11-25")
        .bearer(key)
}

async fn initialize(addr: SocketAddr, key: &str, capabilities: Value) {
    let init = rpc(
        json!(0),
        "initialize",
        json!({ "protocolVersion": "2025-11-25", "capabilities": capabilities,
                "clientInfo": { "name": "interactive-test", "version": "1" } }),
    );
    let resp = Post::json(&init).bearer(key).send(addr).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
}

fn call(id: i64, tool: &str, arguments: Value) -> Value {
    rpc(
        json!(id),
        "tools/call",
        json!({ "name": tool, "arguments": arguments }),
    )
}

async fn answer(addr: SocketAddr, key: &str, id: &str, result: Value) -> HttpResponse {
    let body = json!({ "jsonrpc": "2.0", "id": id, "result": result });
    handshake(&body, key).send(addr).await
}

fn text_of(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn handshake_accept_decline_and_cancel_and_a_foreign_answer_is_ignored() {
    let server = start(Duration::from_secs(10)).await;
    initialize(server.addr, ALICE, json!({ "elicitation": {} })).await;
    let cases = [
        (
            json!({ "action": "accept", "content": { "confirm": true } }),
            "deleted 7",
        ),
        (json!({ "action": "decline" }), "kept 7 (declined)"),
        (json!({ "action": "cancel" }), "kept 7 (cancelled)"),
    ];
    for (i, (reply, expected)) in cases.into_iter().enumerate() {
        let mut s = Streaming::open(
            server.addr,
            handshake(
                &call(i as i64 + 1, "delete_note", json!({ "id": 7 })),
                ALICE,
            ),
        )
        .await;
        let id = s.request_id().await;
        // Mallory knows the id but is not the caller who was asked.
        let foreign = answer(
            server.addr,
            MALLORY,
            &id,
            json!({ "action": "accept", "content": { "confirm": true } }),
        )
        .await;
        assert_eq!(foreign.status, 202);
        let ours = answer(server.addr, ALICE, &id, reply).await;
        assert_eq!(ours.status, 202);
        let (resp, messages) = s.finish(Revision::R2025_11_25).await;
        assert!(
            resp.header("content-type")
                .unwrap()
                .starts_with("text/event-stream")
        );
        let request = &messages[0];
        assert_eq!(request["method"], "elicitation/create");
        assert_eq!(request["params"]["message"], "Delete note 7?");
        assert_eq!(
            request["params"]["requestedSchema"],
            json!({ "type": "object", "properties": { "confirm": { "type": "boolean", "description": "Tick to confirm." } }, "required": ["confirm"] })
        );
        let result = &messages.last().unwrap()["result"];
        assert_eq!(result["isError"], Value::Null, "{result}");
        assert_eq!(text_of(result), format!("\"{expected}\""), "{result}");
        // A second answer to the same id finds nothing waiting.
        let late = answer(server.addr, ALICE, &id, json!({ "action": "accept" })).await;
        assert_eq!(late.status, 202);
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn handshake_an_unanswered_question_times_out_and_is_withdrawn() {
    let server = start(Duration::from_millis(300)).await;
    initialize(server.addr, ALICE, json!({ "elicitation": {} })).await;
    let mut s = Streaming::open(
        server.addr,
        handshake(&call(1, "delete_note", json!({ "id": 3 })), ALICE),
    )
    .await;
    let id = s.request_id().await;
    let (_, messages) = s.finish(Revision::R2025_11_25).await;
    let cancelled = messages
        .iter()
        .find(|m| m["method"] == "notifications/cancelled")
        .expect("the question is withdrawn");
    assert_eq!(cancelled["params"]["requestId"], id);
    let result = &messages.last().unwrap()["result"];
    assert_eq!(result["isError"], true);
    assert!(
        text_of(result).contains("did not answer elicitation/create within 0.3 s"),
        "{result}"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn handshake_a_cancelled_call_withdraws_its_question() {
    let server = start(Duration::from_secs(10)).await;
    initialize(server.addr, ALICE, json!({ "elicitation": {} })).await;
    let mut s = Streaming::open(
        server.addr,
        handshake(&call(41, "delete_note", json!({ "id": 5 })), ALICE),
    )
    .await;
    let id = s.request_id().await;
    let cancel = json!({ "jsonrpc": "2.0", "method": "notifications/cancelled", "params": { "requestId": 41 } });
    assert_eq!(
        handshake(&cancel, ALICE).send(server.addr).await.status,
        202
    );
    let (_, messages) = s.finish(Revision::R2025_11_25).await;
    let withdrawn = messages
        .iter()
        .find(|m| m["method"] == "notifications/cancelled")
        .expect("the question is withdrawn");
    assert_eq!(withdrawn["params"]["requestId"], id);
    // The question is gone: a late answer finds nothing.
    let late = answer(
        server.addr,
        ALICE,
        &id,
        json!({ "action": "accept", "content": { "confirm": true } }),
    )
    .await;
    assert_eq!(late.status, 202);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn handshake_a_client_without_the_capability_is_refused() {
    let server = start(Duration::from_secs(10)).await;
    initialize(server.addr, MALLORY, json!({})).await;
    for (tool, args, cap) in [
        ("delete_note", json!({ "id": 1 }), "elicitation"),
        ("ask_model", json!({}), "sampling"),
    ] {
        let resp = handshake(&call(1, tool, args), MALLORY)
            .send(server.addr)
            .await;
        let msg = resp.json();
        assert_valid_message(Revision::R2025_11_25, &msg, Some("CallToolResult"));
        assert_eq!(msg["result"]["isError"], true, "{msg}");
        let text = text_of(&msg["result"]);
        assert!(
            text.contains("validation_error") && text.contains(cap),
            "{text}"
        );
    }
    server.stop().await.unwrap();
}

// ------------------------------------------------------------ 2026-07-28

fn meta(capabilities: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { "name": "interactive-test", "version": "1" },
        "io.modelcontextprotocol/clientCapabilities": capabilities
    })
}

async fn stateless_call(addr: SocketAddr, key: &str, tool: &str, mut params: Value) -> Value {
    params["name"] = json!(tool);
    if params.get("_meta").is_none() {
        params["_meta"] = meta(json!({ "elicitation": {} }));
    }
    let resp = Post::json(&rpc(json!(1), "tools/call", params))
        .stateless("tools/call", Some(tool))
        .bearer(key)
        .send(addr)
        .await;
    let msg = resp.json();
    let def = match msg["result"]["resultType"].as_str() {
        Some("input_required") => "InputRequiredResult",
        _ => "CallToolResult",
    };
    assert_valid_message(Revision::R2026_07_28, &msg, Some(def));
    msg
}

#[tokio::test]
async fn stateless_rounds_accept_decline_and_cancel() {
    let server = start(Duration::from_secs(10)).await;
    let cases = [
        (
            json!({ "action": "accept", "content": { "confirm": true } }),
            "deleted 9",
        ),
        (
            json!({ "action": "accept", "content": { "confirm": false } }),
            "kept 9 (not ticked)",
        ),
        (json!({ "action": "decline" }), "kept 9 (declined)"),
        (json!({ "action": "cancel" }), "kept 9 (cancelled)"),
    ];
    for (reply, expected) in cases {
        let first = stateless_call(
            server.addr,
            ALICE,
            "delete_note",
            json!({ "arguments": { "id": 9 } }),
        )
        .await;
        let r = &first["result"];
        assert_eq!(r["resultType"], "input_required");
        assert_eq!(
            r["inputRequests"]["confirm"]["method"],
            "elicitation/create"
        );
        assert_eq!(
            r["inputRequests"]["confirm"]["params"]["message"],
            "Delete note 9?"
        );
        let state = r["requestState"]
            .as_str()
            .expect("a sealed state")
            .to_owned();
        let second = stateless_call(
            server.addr,
            ALICE,
            "delete_note",
            json!({ "arguments": { "id": 9 }, "inputResponses": { "confirm": reply, "unasked": { "action": "accept" } }, "requestState": state }),
        )
        .await;
        assert_eq!(second["result"]["resultType"], "complete", "{second}");
        assert_eq!(text_of(&second["result"]), format!("\"{expected}\""));
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn stateless_a_state_is_refused_changed_or_elsewhere() {
    let server = start(Duration::from_secs(10)).await;
    let first = stateless_call(
        server.addr,
        ALICE,
        "delete_note",
        json!({ "arguments": { "id": 1 } }),
    )
    .await;
    let state = first["result"]["requestState"].as_str().unwrap().to_owned();
    let accept = json!({ "confirm": { "action": "accept", "content": { "confirm": true } } });
    let mut flipped = state.clone().into_bytes();
    let mid = flipped.len() / 2;
    flipped[mid] = if flipped[mid] == b'A' { b'B' } else { b'A' };
    let refusals = [
        (
            ALICE,
            json!({ "id": 1 }),
            format!("{state}-TAMPERED"),
            "changed or not issued",
        ),
        (
            ALICE,
            json!({ "id": 1 }),
            String::from_utf8(flipped).unwrap(),
            "changed or not issued",
        ),
        (ALICE, json!({ "id": 2 }), state.clone(), "another request"),
        (
            MALLORY,
            json!({ "id": 1 }),
            state.clone(),
            "another request",
        ),
    ];
    for (key, arguments, state, why) in refusals {
        let msg = stateless_call(
            server.addr,
            key,
            "delete_note",
            json!({ "arguments": arguments, "inputResponses": accept, "requestState": state }),
        )
        .await;
        assert_eq!(msg["error"]["code"], -32602, "{msg}");
        assert!(
            msg["error"]["message"].as_str().unwrap().contains(why),
            "{msg}"
        );
    }
    // Malformed answers are refused before the tool runs.
    let msg = stateless_call(
        server.addr,
        ALICE,
        "delete_note",
        json!({ "arguments": { "id": 1 }, "inputResponses": { "confirm": 12 } }),
    )
    .await;
    assert_eq!(msg["error"]["code"], -32602, "{msg}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn stateless_a_client_without_the_capability_gets_32021() {
    let server = start(Duration::from_secs(10)).await;
    for (tool, args, needed) in [
        (
            "delete_note",
            json!({ "id": 1 }),
            json!({ "elicitation": { "form": {} } }),
        ),
        ("ask_model", json!({}), json!({ "sampling": {} })),
    ] {
        let msg = stateless_call(
            server.addr,
            ALICE,
            tool,
            json!({ "arguments": args, "_meta": meta(json!({})) }),
        )
        .await;
        assert_eq!(msg["error"]["code"], -32021, "{msg}");
        assert_eq!(msg["error"]["data"]["requiredCapabilities"], needed);
    }
    server.stop().await.unwrap();
}

// ------------------------------------------------------------ 2025-11-25 over stdio

/// Over stdio the question is a line on stdout and the answer a line on
/// stdin; the connection is the caller.
#[tokio::test]
async fn stdio_a_question_and_its_answer_are_lines() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let server = Server::builder("interactive-stdio", "1.0.0")
        .keys_from_env(false)
        .build()
        .expect("valid tools");
    let (mut to_server, server_reads) = tokio::io::duplex(64 * 1024);
    let (server_writes, from_server) = tokio::io::duplex(64 * 1024);
    let task = tokio::spawn(server.serve_io(BufReader::new(server_reads), server_writes));
    let mut lines = BufReader::new(from_server).lines();
    let mut send = async |msg: Value| {
        to_server
            .write_all(format!("{msg}\n").as_bytes())
            .await
            .unwrap();
    };
    send(rpc(
        json!(0),
        "initialize",
        json!({ "protocolVersion": "2025-11-25", "capabilities": { "elicitation": {} },
                "clientInfo": { "name": "stdio-test", "version": "1" } }),
    ))
    .await;
    send(call(1, "delete_note", json!({ "id": 4 }))).await;
    let mut next = async || -> Value {
        let line = tokio::time::timeout(Duration::from_secs(5), lines.next_line())
            .await
            .expect("a line within 5 s")
            .unwrap()
            .expect("the server is writing");
        let msg: Value = serde_json::from_str(&line).unwrap();
        let def = msg
            .get("result")
            .and_then(|r| r.get("content"))
            .map(|_| "CallToolResult");
        assert_valid_message(Revision::R2025_11_25, &msg, def);
        msg
    };
    assert!(next().await["result"]["serverInfo"].is_object());
    let question = next().await;
    assert_eq!(question["method"], "elicitation/create");
    send(json!({ "jsonrpc": "2.0", "id": question["id"], "result": { "action": "accept", "content": { "confirm": true } } }))
        .await;
    let result = next().await;
    assert_eq!(result["id"], 1);
    assert_eq!(text_of(&result["result"]), "\"deleted 4\"");
    // EOF on stdin: the server returns once nothing is in flight.
    drop(to_server);
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn stateless_url_elicitation_needs_the_url_capability() {
    let server = start(Duration::from_secs(10)).await;
    let url_caps = meta(json!({ "elicitation": { "url": {} } }));
    let first = stateless_call(
        server.addr,
        ALICE,
        "open_payment",
        json!({ "arguments": {}, "_meta": url_caps }),
    )
    .await;
    let params = &first["result"]["inputRequests"]["pay"]["params"];
    assert_eq!(params["mode"], "url", "{first}");
    assert_eq!(params["url"], "https://pay.example.com/o/7");
    assert_eq!(
        params["elicitationId"].as_str().map(str::len),
        Some(24),
        "{params}"
    );
    let second = stateless_call(
        server.addr,
        ALICE,
        "open_payment",
        json!({ "arguments": {}, "_meta": url_caps, "inputResponses": { "pay": { "action": "decline" } },
                "requestState": first["result"]["requestState"] }),
    )
    .await;
    assert_eq!(text_of(&second["result"]), "\"Decline\"");
    // A client that declared form mode only is not sent a URL.
    let form_only = meta(json!({ "elicitation": { "form": {} } }));
    let refused = stateless_call(
        server.addr,
        ALICE,
        "open_payment",
        json!({ "arguments": {}, "_meta": form_only }),
    )
    .await;
    assert_eq!(refused["error"]["code"], -32021, "{refused}");
    assert_eq!(
        refused["error"]["data"]["requiredCapabilities"],
        json!({ "elicitation": { "url": {} } })
    );
    server.stop().await.unwrap();
}
