//! `resources/read` of a template: the framework's `bench://items/{id}` and
//! the floor's bare axum handler for the same reads (`http-bench --method
//! resources/read`).

use axum::Router;
use axum::body::Bytes;
use axum::response::Response;
use mcp_runtime::prelude::*;
use serde_json::value::RawValue;
use std::net::SocketAddr;

/// The variable the floor serves reads when set to `resources/read`.
pub const FLOOR_METHOD_ENV: &str = "MCP_BENCH_FLOOR_METHOD";

/// One item of the benchmark's catalogue.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Item {
    /// Its id, from the URI.
    pub id: u64,
    /// Its name.
    pub name: String,
}

fn item_of(id: u64) -> Item {
    Item {
        id,
        name: format!("item {id}"),
    }
}

/// One item, by id. Use it to benchmark `resources/read` of a template.
#[mcp_resource(uri_template = "bench://items/{id}", mime_type = "application/json")]
async fn item(id: u64) -> Result<ResourceContents, McpError> {
    ResourceContents::json(&item_of(id))
}

#[derive(Deserialize)]
struct ReadRequest<'a> {
    #[serde(borrow)]
    jsonrpc: &'a str,
    #[serde(borrow)]
    id: &'a RawValue,
    #[serde(borrow)]
    method: &'a str,
    #[serde(borrow)]
    params: ReadParams<'a>,
}

#[derive(Deserialize)]
struct ReadParams<'a> {
    #[serde(borrow)]
    uri: &'a str,
}

#[derive(Serialize)]
struct ReadResponse<'a> {
    jsonrpc: &'static str,
    id: &'a RawValue,
    result: ReadResult<'a>,
}

#[derive(Serialize)]
struct ReadResult<'a> {
    contents: [ReadContent<'a>; 1],
}

#[derive(Serialize)]
struct ReadContent<'a> {
    #[serde(rename = "mimeType")]
    mime_type: &'static str,
    text: String,
    uri: &'a str,
}

/// The least JSON work a `resources/read` of `bench://items/{id}` needs:
/// parse the envelope, the id from the URI, serialize the item and the
/// same result bytes the framework sends. `None` for anything else.
pub fn floor_read(body: &[u8]) -> Option<Vec<u8>> {
    let req = serde_json::from_slice::<ReadRequest<'_>>(body).ok()?;
    if req.jsonrpc != "2.0" || req.method != "resources/read" {
        return None;
    }
    let id: u64 = req
        .params
        .uri
        .strip_prefix("bench://items/")?
        .parse()
        .ok()?;
    let resp = ReadResponse {
        jsonrpc: "2.0",
        id: req.id,
        result: ReadResult {
            contents: [ReadContent {
                mime_type: "application/json",
                text: serde_json::to_string(&item_of(id)).ok()?,
                uri: req.params.uri,
            }],
        },
    };
    serde_json::to_vec(&resp).ok()
}

async fn floor_read_handler(body: Bytes) -> Response {
    crate::floor_response(floor_read(&body))
}

/// The floor's router for reads: `POST /mcp` only.
pub fn floor_read_router() -> Router {
    Router::new().route("/mcp", axum::routing::post(floor_read_handler))
}

/// Write a keep-alive `POST /mcp` carrying a `resources/read` of item `item`.
pub fn write_read_request(out: &mut Vec<u8>, addr: SocketAddr, id: u64, item: u64) {
    use std::io::Write;
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"resources/read","params":{{"uri":"bench://items/{item}"}}}}"#
    );
    out.clear();
    write!(
        out,
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
         MCP-Protocol-Version: 2025-11-25\r\nContent-Length: {}\r\n\r\n{body}",
        crate::bearer(),
        body.len()
    )
    .expect("write to a Vec");
}
