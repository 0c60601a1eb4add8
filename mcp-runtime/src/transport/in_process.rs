//! The in-process transport: a client that sends real JSON-RPC through the
//! server's dispatcher, with no network. For tests (`mcp_runtime::testing`).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{Map, Value, json};

use crate::auth::KeyIdentity;
use crate::dispatch::{Delivery, Dispatcher, new_scope};
use crate::error::ErrorKind;
use crate::jsonrpc::Reply;

/// An in-process MCP client: real JSON-RPC through the same dispatcher the
/// HTTP and stdio transports use, with no network.
///
/// Get one from [`Server::client`](crate::Server::client). By default it
/// injects nothing; [`Client::tenant`] makes it inject `tenantId` (and
/// [`Client::workspace`] `workspaceId`) into every call, as the hub does.
///
/// In tests, [`Client::call_ok`] (expect success, decode the value) and
/// [`Client::call_err`] (expect an error of one kind, get its message) are
/// one line each; [`Client::call`] gives the whole [`CallResult`].
#[derive(Clone)]
pub struct Client {
    dispatcher: Arc<Dispatcher>,
    next_id: Arc<AtomicI64>,
    tenant: Option<String>,
    workspace: Option<String>,
    key: Option<Arc<KeyIdentity>>,
    /// This client's calls, as one connection's (cancellation, log level).
    scope: u64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("tenant", &self.tenant)
            .field("workspace", &self.workspace)
            .finish_non_exhaustive()
    }
}

/// A JSON-RPC error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcErrorObject {
    /// The error code, e.g. -32602.
    pub code: i64,
    /// The message.
    pub message: String,
    /// Extra data.
    pub data: Option<Value>,
}

impl fmt::Display for RpcErrorObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JSON-RPC error {}: {}", self.code, self.message)
    }
}

impl std::error::Error for RpcErrorObject {}

/// The result of a `tools/call`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    /// The raw `CallToolResult` object.
    pub raw: Value,
}

impl CallResult {
    /// Whether the tool reported an error (`isError: true`).
    pub fn is_error(&self) -> bool {
        self.raw
            .get("isError")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The `structuredContent`, if any.
    pub fn structured(&self) -> Option<&Value> {
        self.raw.get("structuredContent")
    }

    /// The text of the first content block.
    pub fn text(&self) -> Option<&str> {
        self.raw.pointer("/content/0/text").and_then(Value::as_str)
    }

    /// The first text block parsed as JSON: the value for a success, the
    /// `{"error": {...}}` object for an error.
    pub fn json(&self) -> Option<Value> {
        self.text().and_then(|t| serde_json::from_str(t).ok())
    }

    /// For an error result: its kind.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        if !self.is_error() {
            return None;
        }
        self.json()?
            .pointer("/error/type")?
            .as_str()
            .and_then(ErrorKind::from_wire)
    }

    /// For an error result: its message.
    pub fn error_message(&self) -> Option<String> {
        if !self.is_error() {
            return None;
        }
        Some(self.json()?.pointer("/error/message")?.as_str()?.to_owned())
    }

    /// The success value deserialized, or a description of why not: the
    /// error's kind and message for an error result. The value is the
    /// `structuredContent` when there is one, else the first text block as
    /// JSON, else (for a plain-text result) that text as a JSON string, so
    /// `value::<String>()` reads a `ToolOutput::text` too.
    pub fn value<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        if self.is_error() {
            return Err(format!("the tool failed with {}", self.describe_error()));
        }
        let text = self.text();
        let candidates = match self.structured() {
            Some(s) => vec![s.clone()],
            None => self
                .json()
                .into_iter()
                .chain(text.map(|t| Value::String(t.to_owned())))
                .collect(),
        };
        let mut first_error = None;
        for v in candidates {
            match serde_json::from_value(v) {
                Ok(value) => return Ok(value),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(match first_error {
            Some(e) => format!(
                "the result does not decode as `{}`: {e}; the result: {}",
                std::any::type_name::<T>(),
                text.unwrap_or("")
            ),
            None => "the result has no structured or text content".to_owned(),
        })
    }

    /// The success value decoded as `T`, for a test that expects the call
    /// to succeed. Panics with the error's kind and message when the tool
    /// failed, or with why the value does not decode.
    ///
    /// ```standalone_crate
    /// # use mcp_runtime::prelude::*;
    /// /// Add two numbers.
    /// #[mcp_tool]
    /// async fn add(
    ///     /// First.
    ///     a: i64,
    ///     /// Second.
    ///     b: i64,
    /// ) -> i64 { a + b }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = Server::builder("test", "0").build().unwrap().client();
    /// let result = client.call("add", serde_json::json!({ "a": 2, "b": 3 })).await.unwrap();
    /// assert_eq!(result.expect_ok::<i64>(), 5);
    /// # }
    /// ```
    #[track_caller]
    pub fn expect_ok<T: serde::de::DeserializeOwned>(&self) -> T {
        self.value()
            .unwrap_or_else(|e| panic!("expected a successful result, but {e}"))
    }

    /// For an error result of `kind`: its message, for a test that expects
    /// the call to fail that way. Panics when the call succeeded or failed
    /// with another kind, saying what it returned.
    ///
    /// ```standalone_crate
    /// # use mcp_runtime::prelude::*;
    /// #[derive(Deserialize, JsonSchema)]
    /// struct GetOrder {
    ///     /// The order number.
    ///     number: String,
    /// }
    ///
    /// /// Look up an order.
    /// #[mcp_tool]
    /// async fn get_order(args: GetOrder) -> Result<String, McpError> {
    ///     Err(McpError::not_found(format!("no order {}", args.number)))
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = Server::builder("test", "0").build().unwrap().client();
    /// let result = client.call("get_order", serde_json::json!({ "number": "ORD-1" })).await.unwrap();
    /// assert_eq!(result.expect_error(ErrorKind::NotFound), "no order ORD-1");
    /// # }
    /// ```
    #[track_caller]
    pub fn expect_error(&self, kind: ErrorKind) -> String {
        self.error_of_kind(kind)
            .unwrap_or_else(|e| panic!("expected the call to fail with `{kind}`, but {e}"))
    }

    fn error_of_kind(&self, kind: ErrorKind) -> Result<String, String> {
        match (self.error_kind(), self.error_message()) {
            (Some(k), Some(message)) if k == kind => Ok(message),
            _ if !self.is_error() => {
                Err(format!("the call succeeded: {}", self.text().unwrap_or("")))
            }
            _ => Err(format!("the tool failed with {}", self.describe_error())),
        }
    }

    /// `not_found: no order ORD-1`, or (after `an error: `) the raw text of
    /// an error result whose text is not the runtime's `{"error": …}` object.
    fn describe_error(&self) -> String {
        match (self.error_kind(), self.error_message()) {
            (Some(k), Some(m)) => format!("{k}: {m}"),
            _ => format!("an error: {}", self.text().unwrap_or("")),
        }
    }
}

impl Client {
    pub(crate) fn new(dispatcher: Arc<Dispatcher>) -> Client {
        Client {
            dispatcher,
            next_id: Arc::new(AtomicI64::new(1)),
            tenant: None,
            workspace: None,
            key: None,
            scope: new_scope(),
        }
    }

    fn delivery(&self) -> Delivery {
        Delivery {
            key: self.key.clone(),
            scope: self.scope,
            ..Delivery::default()
        }
    }

    /// Inject this `tenantId` into every call, as the platform's hub does.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Client {
        self.tenant = Some(tenant.into());
        self
    }

    /// Inject this `workspaceId` into every call.
    pub fn workspace(mut self, workspace: impl Into<String>) -> Client {
        self.workspace = Some(workspace.into());
        self
    }

    /// Call as if authenticated by a key with this name, bound to `tenants`
    /// (`None`: any tenant).
    pub fn as_key(mut self, name: impl Into<String>, tenants: Option<Vec<String>>) -> Client {
        self.key = Some(Arc::new(KeyIdentity::api_key(name, tenants)));
        self
    }

    /// Call as this caller: a key's or a token's identity, with its tenants
    /// and scopes.
    pub fn as_caller(mut self, caller: KeyIdentity) -> Client {
        self.key = Some(Arc::new(caller));
        self
    }

    /// Send one raw JSON-RPC message; returns the response, or `None` for a
    /// notification.
    pub async fn send_raw(&self, message: &str) -> Option<Value> {
        match self
            .dispatcher
            .handle(message.as_bytes(), self.delivery())
            .await
        {
            Reply::Response { body, .. } => {
                Some(serde_json::from_slice(&body).expect("the server sends JSON"))
            }
            Reply::Accepted => None,
        }
    }

    /// Send one raw JSON-RPC message and return the response bytes as the
    /// transports would write them (`None` for a notification), unparsed.
    /// For benchmarks of the dispatcher.
    #[doc(hidden)]
    pub async fn send_bytes(&self, message: &[u8]) -> Option<Vec<u8>> {
        match self.dispatcher.handle(message, self.delivery()).await {
            Reply::Response { body, .. } => Some(body),
            Reply::Accepted => None,
        }
    }

    /// Send a request; `Ok(result)` or the JSON-RPC error.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, RpcErrorObject> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let msg = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let resp = self
            .send_raw(&msg.to_string())
            .await
            .expect("a request always gets a response");
        if let Some(e) = resp.get("error") {
            return Err(RpcErrorObject {
                code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: e
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                data: e.get("data").cloned(),
            });
        }
        Ok(resp.get("result").cloned().unwrap_or(Value::Null))
    }

    /// All tools, following `nextCursor` pages.
    pub async fn list_tools(&self) -> Result<Vec<Value>, RpcErrorObject> {
        self.list_all("tools/list", "tools").await
    }

    /// All static resources, following `nextCursor` pages.
    pub async fn list_resources(&self) -> Result<Vec<Value>, RpcErrorObject> {
        self.list_all("resources/list", "resources").await
    }

    /// All resource templates, following `nextCursor` pages.
    pub async fn list_resource_templates(&self) -> Result<Vec<Value>, RpcErrorObject> {
        self.list_all("resources/templates/list", "resourceTemplates")
            .await
    }

    async fn list_all(&self, method: &str, key: &str) -> Result<Vec<Value>, RpcErrorObject> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let params = match &cursor {
                Some(c) => json!({ "cursor": c }),
                None => json!({}),
            };
            let r = self.request(method, params).await?;
            if let Some(Value::Array(page)) = r.get(key) {
                items.extend(page.iter().cloned());
            }
            match r.get("nextCursor").and_then(Value::as_str) {
                Some(c) => cursor = Some(c.to_owned()),
                None => return Ok(items),
            }
        }
    }

    /// All prompts, following `nextCursor` pages.
    pub async fn list_prompts(&self) -> Result<Vec<Value>, RpcErrorObject> {
        self.list_all("prompts/list", "prompts").await
    }

    /// Get a prompt with `arguments` (an object of strings): the whole
    /// `GetPromptResult` (`messages`, and `description` if the prompt gave
    /// one), or the JSON-RPC error (`-32602` for an unknown prompt, an
    /// unknown or missing argument). A prompt acts for the tenant a read
    /// acts for (see [`read_resource`](Self::read_resource)).
    ///
    /// ```standalone_crate
    /// # use mcp_runtime::prelude::*;
    /// /// Draft a reply to a customer.
    /// #[mcp_prompt]
    /// async fn draft_reply(
    ///     /// The order number.
    ///     order_number: String,
    ///     /// `formal` or `friendly`.
    ///     tone: Option<String>,
    /// ) -> String {
    ///     format!("Reply about {order_number}, {}.", tone.as_deref().unwrap_or("friendly"))
    /// }
    ///
    /// /// Look up nothing.
    /// #[mcp_tool]
    /// async fn noop() {}
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = Server::builder("test", "0").build().unwrap().client();
    /// let got = client.get_prompt("draft_reply", serde_json::json!({ "orderNumber": "A-1" })).await.unwrap();
    /// assert_eq!(got["messages"][0]["content"]["text"], "Reply about A-1, friendly.");
    /// let missing = client.get_prompt("draft_reply", serde_json::json!({})).await.unwrap_err();
    /// assert_eq!(missing.message, "prompt `draft_reply` needs the argument `orderNumber`");
    /// # }
    /// ```
    pub async fn get_prompt(&self, name: &str, arguments: Value) -> Result<Value, RpcErrorObject> {
        self.request(
            "prompts/get",
            json!({ "name": name, "arguments": arguments }),
        )
        .await
    }

    /// Complete an argument: the `completion` of `completion/complete`
    /// (`values`, `total`, `hasMore`), or the JSON-RPC error (`-32602` for an
    /// unknown prompt or template, or an argument it does not have).
    /// `reference` is `{"type": "ref/prompt", "name": ...}` or
    /// `{"type": "ref/resource", "uri": <the template>}`; `filled` the other
    /// arguments already given (`context.arguments`), an object of strings.
    /// A completer acts for the tenant a read acts for (see
    /// [`read_resource`](Self::read_resource)).
    ///
    /// ```standalone_crate
    /// # use mcp_runtime::prelude::*;
    /// /// Suggest a tone.
    /// async fn tones(value: String, _: CompletionArguments, _: ToolContext) -> Vec<String> {
    ///     ["formal", "friendly"].into_iter().filter(|t| t.starts_with(&value)).map(String::from).collect()
    /// }
    ///
    /// /// Draft a reply to a customer.
    /// #[mcp_prompt(complete(tone = tones))]
    /// async fn draft_reply(
    ///     /// `formal` or `friendly`.
    ///     tone: String,
    /// ) -> String {
    ///     format!("Reply, {tone}.")
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = Server::builder("test", "0").build().unwrap().client();
    /// let prompt = serde_json::json!({ "type": "ref/prompt", "name": "draft_reply" });
    /// let got = client.complete(prompt.clone(), "tone", "fo", serde_json::json!({})).await.unwrap();
    /// assert_eq!(got, serde_json::json!({ "values": ["formal"], "total": 1, "hasMore": false }));
    /// let unknown = client.complete(prompt, "mood", "", serde_json::json!({})).await.unwrap_err();
    /// assert_eq!(unknown.message, "prompt `draft_reply` has no argument `mood`; its arguments are: `tone`");
    /// # }
    /// ```
    pub async fn complete(
        &self,
        reference: Value,
        argument: &str,
        value: &str,
        filled: Value,
    ) -> Result<Value, RpcErrorObject> {
        let r = self
            .request(
                "completion/complete",
                json!({
                    "ref": reference,
                    "argument": { "name": argument, "value": value },
                    "context": { "arguments": filled },
                }),
            )
            .await?;
        match r.get("completion") {
            Some(c) => Ok(c.clone()),
            None => Err(RpcErrorObject {
                code: 0,
                message: format!("completion/complete answered without `completion`: {r}"),
                data: None,
            }),
        }
    }

    /// Read a resource: its `contents` (each `uri`, `mimeType`, and `text`
    /// or base64 `blob`), or the JSON-RPC error (`-32602` for an unknown URI,
    /// with the URI in `data`).
    ///
    /// A read carries no `tenantId` (the one of [`tenant`](Self::tenant) is
    /// injected into tool calls only): it acts for the server's tenant, or
    /// for the key's when [`as_key`](Self::as_key) binds it to exactly one.
    ///
    /// ```standalone_crate
    /// # use mcp_runtime::prelude::*;
    /// /// The returns policy.
    /// #[mcp_resource(uri = "shop://policies/returns", mime_type = "text/markdown")]
    /// async fn returns_policy() -> &'static str {
    ///     "Returns within 30 days."
    /// }
    ///
    /// /// Look up nothing.
    /// #[mcp_tool]
    /// async fn noop() {}
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = Server::builder("test", "0").build().unwrap().client();
    /// let contents = client.read_resource("shop://policies/returns").await.unwrap();
    /// assert_eq!(contents[0]["text"], "Returns within 30 days.");
    /// assert_eq!(contents[0]["mimeType"], "text/markdown");
    /// let missing = client.read_resource("shop://nope").await.unwrap_err();
    /// assert_eq!((missing.code, missing.data.unwrap()["uri"].as_str()), (-32602, Some("shop://nope")));
    /// # }
    /// ```
    pub async fn read_resource(&self, uri: &str) -> Result<Vec<Value>, RpcErrorObject> {
        let r = self
            .request("resources/read", json!({ "uri": uri }))
            .await?;
        match r.get("contents") {
            Some(Value::Array(items)) => Ok(items.clone()),
            _ => Err(RpcErrorObject {
                code: 0,
                message: format!("resources/read of `{uri}` answered without `contents`: {r}"),
                data: None,
            }),
        }
    }

    /// Call a tool with `arguments` (plus the injected tenant/workspace).
    pub async fn call(&self, name: &str, arguments: Value) -> Result<CallResult, RpcErrorObject> {
        let mut args = match arguments {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            other => {
                return self
                    .request("tools/call", json!({ "name": name, "arguments": other }))
                    .await
                    .map(|raw| CallResult { raw });
            }
        };
        if let Some(t) = &self.tenant {
            args.insert("tenantId".into(), json!(t));
        }
        if let Some(w) = &self.workspace {
            args.insert("workspaceId".into(), json!(w));
        }
        let raw = self
            .request("tools/call", json!({ "name": name, "arguments": args }))
            .await?;
        Ok(CallResult { raw })
    }

    /// Call a tool that should succeed and decode its value: one line for
    /// [`call`](Client::call) then [`CallResult::expect_ok`]. Panics, naming
    /// the tool, on a JSON-RPC error, an error result (with its kind and
    /// message) or a value that does not decode as `T`.
    ///
    /// ```standalone_crate
    /// # use mcp_runtime::prelude::*;
    /// /// Add two numbers.
    /// #[mcp_tool]
    /// async fn add(
    ///     /// First.
    ///     a: i64,
    ///     /// Second.
    ///     b: i64,
    /// ) -> i64 { a + b }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = Server::builder("test", "0").build().unwrap().client();
    /// let sum: i64 = client.call_ok("add", serde_json::json!({ "a": 2, "b": 3 })).await;
    /// assert_eq!(sum, 5);
    /// # }
    /// ```
    pub async fn call_ok<T: serde::de::DeserializeOwned>(&self, name: &str, arguments: Value) -> T {
        let result = self.call_or_panic(name, arguments).await;
        result
            .value()
            .unwrap_or_else(|e| panic!("expected tool `{name}` to succeed, but {e}"))
    }

    /// Call a tool that should fail with `kind` and return the error's
    /// message: one line for [`call`](Client::call) then
    /// [`CallResult::expect_error`]. Panics, naming the tool, on a JSON-RPC
    /// error, a success, or an error of another kind (with its message).
    ///
    /// ```standalone_crate
    /// # use mcp_runtime::prelude::*;
    /// #[derive(Deserialize, JsonSchema)]
    /// struct GetOrder {
    ///     /// The order number.
    ///     number: String,
    /// }
    ///
    /// /// Look up an order.
    /// #[mcp_tool]
    /// async fn get_order(args: GetOrder) -> Result<String, McpError> {
    ///     Err(McpError::not_found(format!("no order {}", args.number)))
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = Server::builder("test", "0").build().unwrap().client();
    /// let args = serde_json::json!({ "number": "ORD-1" });
    /// assert_eq!(client.call_err("get_order", args, ErrorKind::NotFound).await, "no order ORD-1");
    /// // Arguments the schema refuses never reach the tool: a validation error.
    /// let message = client.call_err("get_order", serde_json::json!({}), ErrorKind::Validation).await;
    /// assert!(message.contains("number"), "{message}");
    /// # }
    /// ```
    pub async fn call_err(&self, name: &str, arguments: Value, kind: ErrorKind) -> String {
        let result = self.call_or_panic(name, arguments).await;
        result
            .error_of_kind(kind)
            .unwrap_or_else(|e| panic!("expected tool `{name}` to fail with `{kind}`, but {e}"))
    }

    async fn call_or_panic(&self, name: &str, arguments: Value) -> CallResult {
        self.call(name, arguments)
            .await
            .unwrap_or_else(|e| panic!("tools/call of `{name}` failed: {e}"))
    }
}
