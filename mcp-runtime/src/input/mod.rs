//! What a tool asks its client while it runs: a form or URL elicitation
//! (`elicitation/create`), a completion by the client's model
//! (`sampling/createMessage`), its roots (`roots/list`). One handler API,
//! two protocol eras:
//!
//! - 2025-11-25: the request goes to the client on the call's SSE stream,
//!   and its answer comes back as a POST the dispatcher routes to the waiting
//!   call ([`stream`]).
//! - 2026-07-28 (SEP-2322): the call ends with an `InputRequiredResult`
//!   naming its questions and a sealed `requestState`; the client calls again
//!   with `inputResponses`, the handler runs again from the start, and each
//!   question already answered returns its answer at once ([`rounds`]).

pub(crate) mod form;
pub(crate) mod inbox;
pub(crate) mod rounds;
pub(crate) mod seal;
pub(crate) mod stream;

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::McpError;

pub use self::seal::{RequestStateKey, RequestStateKeys};

/// The user's answer to a form elicitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Elicitation<T> {
    /// The user submitted the form: its values.
    Accept(T),
    /// The user explicitly said no.
    Decline,
    /// The user dismissed the question without choosing.
    Cancel,
}

impl<T> Elicitation<T> {
    /// The values, when the user accepted.
    pub fn accepted(self) -> Option<T> {
        match self {
            Elicitation::Accept(v) => Some(v),
            _ => None,
        }
    }
}

/// The user's answer to a URL elicitation: whether they agreed to open it
/// (what happens there is out of band).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlElicitation {
    /// The user agreed to go to the URL.
    Accept,
    /// The user refused.
    Decline,
    /// The user dismissed the question.
    Cancel,
}

/// A `sampling/createMessage` request: messages for the client's model.
///
/// ```
/// use mcp_runtime::Sampling;
/// let s = Sampling::new(100).system_prompt("Answer in one word.").user("What is the capital of France?");
/// # let _ = s;
/// ```
#[derive(Debug, Clone)]
pub struct Sampling {
    params: serde_json::Map<String, Value>,
}

impl Sampling {
    /// A request for at most `max_tokens` tokens, with no messages yet.
    pub fn new(max_tokens: u32) -> Sampling {
        let mut params = serde_json::Map::new();
        params.insert("messages".into(), json!([]));
        params.insert("maxTokens".into(), json!(max_tokens));
        Sampling { params }
    }

    fn message(mut self, role: &str, text: &str) -> Sampling {
        if let Some(Value::Array(m)) = self.params.get_mut("messages") {
            m.push(json!({ "role": role, "content": { "type": "text", "text": text } }));
        }
        self
    }

    /// Add a user message.
    pub fn user(self, text: &str) -> Sampling {
        self.message("user", text)
    }

    /// Add an assistant message (an earlier turn).
    pub fn assistant(self, text: &str) -> Sampling {
        self.message("assistant", text)
    }

    /// The system prompt the client may use.
    pub fn system_prompt(mut self, text: &str) -> Sampling {
        self.params.insert("systemPrompt".into(), json!(text));
        self
    }

    pub(crate) fn into_params(self) -> Value {
        Value::Object(self.params)
    }

    /// Sampling temperature.
    pub fn temperature(mut self, t: f64) -> Sampling {
        self.params.insert("temperature".into(), json!(t));
        self
    }
}

/// The client model's answer (`CreateMessageResult`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SampledMessage {
    /// `assistant`, normally.
    pub role: String,
    /// The content block(s), as sent.
    pub content: Value,
    /// The model that answered.
    pub model: String,
    /// Why it stopped (`endTurn`, `maxTokens`, …), if known.
    #[serde(default)]
    pub stop_reason: Option<String>,
}

impl SampledMessage {
    /// The text of a text answer (the first text block of a list).
    pub fn text(&self) -> Option<&str> {
        let block = match &self.content {
            Value::Array(blocks) => blocks.iter().find(|b| b["type"] == "text")?,
            b => b,
        };
        (block["type"] == "text").then(|| block["text"].as_str())?
    }
}

/// One of the client's roots.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Root {
    /// A `file://` URI.
    pub uri: String,
    /// Its name, if the client gave one.
    #[serde(default)]
    pub name: Option<String>,
}

/// What a client must have declared to be asked `method`.
fn capability(method: &str, params: &Value) -> (&'static str, Option<&'static str>) {
    match method {
        "sampling/createMessage" => ("sampling", None),
        "roots/list" => ("roots", None),
        _ if params.get("mode") == Some(&json!("url")) => ("elicitation", Some("url")),
        _ => ("elicitation", Some("form")),
    }
}

/// Whether `caps` (a client's `capabilities`) allow asking `method`.
pub(crate) fn declared(caps: Option<&Value>, method: &str, params: &Value) -> bool {
    let (cap, mode) = capability(method, params);
    let Some(c) = caps.and_then(|c| c.get(cap)).filter(|c| c.is_object()) else {
        return false;
    };
    match mode {
        // An empty `elicitation: {}` is form mode (2025-06-18 clients).
        Some("form") => c.get("form").is_some() || c.get("url").is_none(),
        Some(m) => c.get(m).is_some(),
        None => true,
    }
}

/// How one call asks its client.
pub(crate) struct Input {
    pub(crate) channel: Channel,
    /// The capabilities the caller declared, as known for this request
    /// (shared with the caller's remembered `initialize`: no copy per call).
    pub(crate) capabilities: Option<Arc<Value>>,
}

/// The era's way of asking.
pub(crate) enum Channel {
    /// Nowhere to ask (stdio without a client that answers, in-process calls).
    None,
    /// 2026-07-28: answers from the request, questions end the round.
    Rounds(Arc<rounds::Round>),
    /// 2025-11-25: a request on the call's stream.
    Stream(stream::Stream),
    /// A handler running as a task: questions wait in the task for
    /// `tasks/update`; before the task exists, questions marked
    /// [`Ask::before_task`] go to the request's stateless round.
    Task(Arc<inbox::Inbox>, Option<Arc<rounds::Round>>),
}

impl Default for Input {
    fn default() -> Input {
        Input {
            channel: Channel::None,
            capabilities: None,
        }
    }
}

impl Input {
    /// Whether the client may be asked `method` (`params` tell form from URL mode).
    pub(crate) fn can_ask(&self, method: &str, params: &Value) -> bool {
        !matches!(self.channel, Channel::None)
            && declared(self.capabilities.as_deref(), method, params)
    }

    /// Ask the client; the answer's `result`.
    async fn ask(
        &self,
        key: Option<String>,
        method: &'static str,
        params: Value,
        before_task: bool,
    ) -> Result<Value, McpError> {
        if matches!(self.channel, Channel::None) {
            return Err(McpError::validation(format!(
                "this transport cannot send {method} to the client"
            )));
        }
        if !declared(self.capabilities.as_deref(), method, &params) {
            let (cap, mode) = capability(method, &params);
            let required = match mode {
                Some(m) => json!({ cap: { m: {} } }),
                None => json!({ cap: {} }),
            };
            return Err(McpError::missing_client_capability(required));
        }
        match &self.channel {
            Channel::None => unreachable!("refused above"),
            Channel::Rounds(round) => round.ask(key, method, params).await,
            Channel::Stream(stream) => stream.ask(method, params).await,
            Channel::Task(inbox, Some(round)) if before_task && !inbox.is_detached() => {
                round.ask(key, method, params).await
            }
            Channel::Task(inbox, _) => inbox.ask(key, method, params).await,
        }
    }
}

type Parse<R> = fn(Value) -> Result<R, McpError>;

/// A question for the client, built by [`ToolContext::elicit`](crate::ToolContext::elicit),
/// [`sample`](crate::ToolContext::sample) or [`roots`](crate::ToolContext::roots):
/// `.await` it for the answer.
///
/// In the stateless era a question has a key that names it in the
/// `InputRequiredResult` and in the client's `inputResponses`: by default
/// its place among the call's questions (`elicit-1`, `sample-2`, …), which
/// is stable across re-runs as long as the handler asks the same questions
/// in the same order; [`key`](Ask::key) names it explicitly.
#[must_use = "a question is asked when it is awaited"]
pub struct Ask<'c, R> {
    input: &'c Input,
    key: Option<String>,
    before_task: bool,
    method: &'static str,
    params: Result<Value, McpError>,
    parse: Parse<R>,
    _r: PhantomData<fn() -> R>,
}

impl<'c, R> Ask<'c, R> {
    pub(crate) fn new(
        input: &'c Input,
        method: &'static str,
        params: Result<Value, McpError>,
        parse: Parse<R>,
    ) -> Ask<'c, R> {
        Ask {
            input,
            key: None,
            before_task: false,
            method,
            params,
            parse,
            _r: PhantomData,
        }
    }

    /// Name the question (its key in `inputRequests`/`inputResponses`).
    pub fn key(mut self, key: impl Into<String>) -> Ask<'c, R> {
        self.key = Some(key.into());
        self
    }

    /// For a tool declared with `#[mcp_tool(task = ...)]`: ask before its
    /// task exists. While such a question has no answer, the `tools/call`
    /// ends with an `InputRequiredResult` (protocol 2026-07-28, SEP-2322)
    /// and the client calls again with the answer; the task is created on
    /// the round where the handler goes on without one (SEP-2663's MRTR
    /// composition). Once the task runs, or outside tasks, the question is
    /// asked as any other.
    pub fn before_task(mut self) -> Ask<'c, R> {
        self.before_task = true;
        self
    }
}

impl<'c, R: Send + 'c> IntoFuture for Ask<'c, R> {
    type Output = Result<R, McpError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<R, McpError>> + Send + 'c>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let params = self.params?;
            let answer = self
                .input
                .ask(self.key, self.method, params, self.before_task)
                .await?;
            (self.parse)(answer)
        })
    }
}

/// The `params` of a form elicitation of `T`.
pub(crate) fn form_params<T: schemars::JsonSchema + 'static>(
    message: &str,
) -> Result<Value, McpError> {
    let schema = form::requested_schema::<T>().map_err(McpError::internal)?;
    Ok(json!({ "mode": "form", "message": message, "requestedSchema": schema }))
}

#[derive(Deserialize)]
struct ElicitResult {
    action: String,
    #[serde(default)]
    content: Option<Value>,
}

fn elicit_result(answer: Value) -> Result<(String, Option<Value>), McpError> {
    let r: ElicitResult = serde_json::from_value(answer).map_err(|e| {
        McpError::validation(format!(
            "the client's answer to elicitation/create is not an ElicitResult: {e}"
        ))
    })?;
    Ok((r.action, r.content))
}

fn unknown_action(action: &str) -> McpError {
    McpError::validation(format!(
        "the client answered elicitation/create with action `{action}` (accept, decline or cancel)"
    ))
}

/// Parse a form elicitation's answer into `T`.
pub(crate) fn parse_form<T: DeserializeOwned>(answer: Value) -> Result<Elicitation<T>, McpError> {
    let (action, content) = elicit_result(answer)?;
    match action.as_str() {
        "accept" => {
            let content = content.unwrap_or_else(|| json!({}));
            serde_json::from_value(content)
                .map(Elicitation::Accept)
                .map_err(|e| {
                    McpError::validation(format!("the user's answer does not fit the form: {e}"))
                })
        }
        "decline" => Ok(Elicitation::Decline),
        "cancel" => Ok(Elicitation::Cancel),
        other => Err(unknown_action(other)),
    }
}

/// Parse a URL elicitation's answer.
pub(crate) fn parse_url(answer: Value) -> Result<UrlElicitation, McpError> {
    match elicit_result(answer)?.0.as_str() {
        "accept" => Ok(UrlElicitation::Accept),
        "decline" => Ok(UrlElicitation::Decline),
        "cancel" => Ok(UrlElicitation::Cancel),
        other => Err(unknown_action(other)),
    }
}

/// Parse a `CreateMessageResult`.
pub(crate) fn parse_sampled(answer: Value) -> Result<SampledMessage, McpError> {
    serde_json::from_value(answer).map_err(|e| {
        McpError::validation(format!(
            "the client's answer to sampling/createMessage is not a CreateMessageResult: {e}"
        ))
    })
}

/// Parse a `ListRootsResult`.
pub(crate) fn parse_roots(answer: Value) -> Result<Vec<Root>, McpError> {
    #[derive(Deserialize)]
    struct Roots {
        roots: Vec<Root>,
    }
    serde_json::from_value::<Roots>(answer)
        .map(|r| r.roots)
        .map_err(|e| {
            McpError::validation(format!(
                "the client's answer to roots/list is not a ListRootsResult: {e}"
            ))
        })
}
