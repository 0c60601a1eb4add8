//! One session with a server: the transport (HTTP or a child process's
//! stdio), the era negotiated on it, and the requests the commands make.
//! Messages are written and read by `mcp_runtime::client`.

mod http;
mod stdio;

use std::time::Duration;

use mcp_runtime::client::{
    CallResult, Era, Outgoing, Progress, Requests, RpcErrorObject, speaks_stateless,
};
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::{Connection, EraChoice};

/// Where the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A Streamable HTTP endpoint.
    Http {
        /// Its URL.
        url: String,
        /// Headers sent with every request (`Authorization` among them).
        headers: Vec<(String, String)>,
    },
    /// A command serving MCP on its stdin and stdout.
    Stdio(Vec<String>),
}

impl Target {
    /// The target of a command line: a URL, or the command after `--`.
    pub(crate) fn new(url: Option<String>, c: &Connection) -> Result<Target, Error> {
        match (url, c.command.is_empty()) {
            (Some(url), true) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(Error::Usage(format!(
                        "`{url}` is not an http:// or https:// URL; to run a stdio server, give \
                         its command after `--`"
                    )));
                }
                let mut headers = Vec::new();
                if let Some(key) = &c.bearer {
                    headers.push(("Authorization".to_owned(), format!("Bearer {key}")));
                }
                for h in &c.headers {
                    let Some((name, value)) = h.split_once(':') else {
                        return Err(Error::Usage(format!("--header `{h}` is not `Name: value`")));
                    };
                    headers.push((name.trim().to_owned(), value.trim().to_owned()));
                }
                Ok(Target::Http { url, headers })
            }
            (None, false) => {
                if c.bearer.is_some() || !c.headers.is_empty() {
                    return Err(Error::Usage(
                        "--bearer and --header are for HTTP servers; a stdio server takes none"
                            .to_owned(),
                    ));
                }
                Ok(Target::Stdio(c.command.clone()))
            }
            (Some(url), false) => Err(Error::Usage(format!(
                "give either a URL or a command after `--`, not both (`{url}` and `{}`)",
                c.command.join(" ")
            ))),
            (None, true) => Err(Error::Usage(
                "which server? Give its URL, or the command that serves it over stdio after `--`"
                    .to_owned(),
            )),
        }
    }
}

/// Notifications and server requests that arrive while a request waits.
pub(crate) type OnNotification<'a> = dyn FnMut(&str, &Value) + 'a;

/// Moves messages to and from one server.
trait Transport {
    /// Send a request and wait for its answer; notifications arriving
    /// meanwhile go to `on_note`, requests from the server are answered.
    fn request(
        &mut self,
        out: &Outgoing,
        method: &str,
        on_note: &mut OnNotification<'_>,
    ) -> Result<Result<Value, RpcErrorObject>, Error>;

    /// Send a notification.
    fn notify(&mut self, out: &Outgoing, method: &str) -> Result<(), Error>;
}

/// A session with a server, its era negotiated.
pub(crate) struct Session {
    transport: Box<dyn Transport>,
    requests: Requests,
    /// The server's `capabilities`, from `server/discover` or `initialize`.
    capabilities: Value,
}

impl Session {
    /// Reach the server and negotiate the era.
    pub(crate) fn open(target: &Target, c: &Connection) -> Result<Session, Error> {
        let timeout = Duration::from_secs(c.timeout.max(1));
        let transport: Box<dyn Transport> = match target {
            Target::Http { url, headers } => Box::new(http::Http::new(url, headers, timeout)),
            Target::Stdio(command) => Box::new(stdio::Stdio::spawn(command, timeout, c.verbose)?),
        };
        let era = match c.era {
            EraChoice::Handshake => Era::Handshake,
            EraChoice::Stateless | EraChoice::Auto => Era::Stateless,
        };
        let mut session = Session {
            transport,
            requests: Requests::new(era, "mcp-cli", env!("CARGO_PKG_VERSION")),
            capabilities: Value::Null,
        };
        let server = session.negotiate(c.era, matches!(target, Target::Http { .. }))?;
        if c.verbose {
            eprintln!(
                "mcp: {} era, protocol version {}, server {}",
                match session.requests.era() {
                    Era::Stateless => "stateless",
                    Era::Handshake => "handshake",
                },
                session.requests.version(),
                server
            );
        }
        Ok(session)
    }

    /// Settle the era: `server/discover` first unless the handshake is
    /// asked for; `initialize` when the server does not offer the stateless
    /// revision (auto). Returns the server's name and version.
    fn negotiate(&mut self, choice: EraChoice, http: bool) -> Result<String, Error> {
        if choice != EraChoice::Handshake {
            let out = self.requests.discover();
            let answer = self
                .transport
                .request(&out, "server/discover", &mut |_, _| {});
            match (choice, answer) {
                (_, Ok(Ok(result))) if speaks_stateless(&result) => {
                    self.capabilities = result.get("capabilities").cloned().unwrap_or_default();
                    return Ok(server_name(
                        result.pointer("/_meta/io.modelcontextprotocol~1serverInfo"),
                    ));
                }
                (EraChoice::Stateless, Ok(Ok(result))) => {
                    return Err(Error::Protocol(format!(
                        "the server does not offer protocol version {} (it offers {}); try \
                         --era handshake",
                        mcp_runtime::client::STATELESS_VERSION,
                        result.get("supportedVersions").unwrap_or(&Value::Null)
                    )));
                }
                (EraChoice::Stateless, Ok(Err(e))) => {
                    return Err(rpc_failure("server/discover", &e, "; try --era handshake"));
                }
                (EraChoice::Stateless, Err(e)) => return Err(e),
                // Auto: a refusal of the probe means a server of the
                // handshake era, and so may an HTTP answer that is no
                // JSON-RPC (a 400 or 404 of a server that wants a session);
                // its `initialize` decides.
                (_, Ok(_) | Err(Error::Protocol(_))) => {}
                (_, Err(Error::NotMcp(_))) if http => {}
                (_, Err(e)) => return Err(e),
            }
        }
        self.requests
            .adopt(Era::Handshake, mcp_runtime::client::HANDSHAKE_VERSION)
            .expect("the handshake version is of the handshake era");
        let out = self.requests.initialize();
        let result = match self.transport.request(&out, "initialize", &mut |_, _| {})? {
            Ok(r) => r,
            Err(e) => return Err(rpc_failure("initialize", &e, "")),
        };
        let version = result
            .get("protocolVersion")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::Protocol("the `initialize` result has no `protocolVersion`".to_owned())
            })?;
        self.requests
            .adopt(Era::Handshake, version)
            .map_err(Error::Protocol)?;
        let out = self.requests.initialized();
        self.transport.notify(&out, "notifications/initialized")?;
        self.capabilities = result.get("capabilities").cloned().unwrap_or_default();
        Ok(server_name(result.get("serverInfo")))
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Value, Error> {
        let out = self.requests.request(method, params);
        match self.transport.request(&out, method, &mut |_, _| {})? {
            Ok(result) => Ok(result),
            Err(e) => Err(rpc_failure(method, &e, "")),
        }
    }

    /// Every tool, following `nextCursor`.
    pub(crate) fn list_tools(&mut self) -> Result<Vec<Value>, Error> {
        self.list_all("tools/list", "tools")
    }

    /// Every tool, resource, resource template and prompt the server lists
    /// (a list the server's capabilities do not offer is empty).
    pub(crate) fn list_everything(&mut self) -> Result<[Vec<Value>; 4], Error> {
        let offers = |c: &Value, what: &str| c.get(what).is_some();
        let caps = self.capabilities.clone();
        let tools = self.list_tools()?;
        let (resources, templates) = if offers(&caps, "resources") {
            (
                self.list_all("resources/list", "resources")?,
                self.list_all("resources/templates/list", "resourceTemplates")?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let prompts = if offers(&caps, "prompts") {
            self.list_all("prompts/list", "prompts")?
        } else {
            Vec::new()
        };
        Ok([tools, resources, templates, prompts])
    }

    /// Every entry of the list `method` (under `key`), following `nextCursor`.
    fn list_all(&mut self, method: &str, key: &str) -> Result<Vec<Value>, Error> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let params = match &cursor {
                Some(c) => json!({ "cursor": c }),
                None => json!({}),
            };
            let page = self.request(method, params)?;
            match page.get(key) {
                Some(Value::Array(list)) => items.extend(list.iter().cloned()),
                _ => {
                    return Err(Error::Protocol(format!(
                        "the `{method}` result has no `{key}` array"
                    )));
                }
            }
            match page.get("nextCursor").and_then(Value::as_str) {
                Some(c) if cursor.as_deref() != Some(c) => cursor = Some(c.to_owned()),
                Some(c) => {
                    return Err(Error::Protocol(format!(
                        "`{method}` returned the cursor `{c}` it was given"
                    )));
                }
                None => return Ok(items),
            }
        }
    }

    /// Call `tool` (its definition) with `arguments`, handing progress to
    /// `on_progress` as it comes.
    pub(crate) fn call_tool(
        &mut self,
        tool: &Value,
        arguments: Map<String, Value>,
        on_progress: &mut dyn FnMut(Progress),
    ) -> Result<CallResult, Error> {
        let token = json!("mcp-cli-progress");
        let out = self
            .requests
            .call_tool(tool, arguments, Some(token.clone()));
        let mut on_note = |method: &str, params: &Value| {
            if let Some(p) = Progress::of(method, params, &token) {
                on_progress(p);
            }
        };
        let name = tool.get("name").and_then(Value::as_str).unwrap_or_default();
        match self.transport.request(&out, "tools/call", &mut on_note)? {
            Ok(raw) if raw.is_object() => Ok(CallResult { raw }),
            Ok(other) => Err(Error::Protocol(format!(
                "the result of `tools/call` `{name}` is not an object: {}",
                crate::error::excerpt(&other.to_string(), 200)
            ))),
            Err(e) => Err(rpc_failure(&format!("tools/call `{name}`"), &e, "")),
        }
    }
}

/// The outcome of a response, if it answers the request `id`.
pub(super) fn matching(
    got: &Value,
    id: &Value,
    method: &str,
    outcome: Result<Value, RpcErrorObject>,
) -> Result<Result<Value, RpcErrorObject>, Error> {
    // A server that could not read the request answers its error with id null.
    if got == id || (got.is_null() && outcome.is_err()) {
        Ok(outcome)
    } else {
        Err(Error::Protocol(format!(
            "the answer to `{method}` (id {id}) came with id {got}"
        )))
    }
}

/// `name version` of a `serverInfo` object.
fn server_name(info: Option<&Value>) -> String {
    let field = |k: &str| info.and_then(|i| i.get(k)).and_then(Value::as_str);
    match (field("name"), field("version")) {
        (Some(n), Some(v)) => format!("{n} {v}"),
        (Some(n), None) => n.to_owned(),
        _ => "(unnamed)".to_owned(),
    }
}

/// A JSON-RPC error answer, as a one-line failure of `what`.
fn rpc_failure(what: &str, e: &RpcErrorObject, hint: &str) -> Error {
    Error::Protocol(format!(
        "the server refused {what}: JSON-RPC error {}: {}{hint}",
        e.code,
        crate::error::excerpt(&e.message, 300)
    ))
}
