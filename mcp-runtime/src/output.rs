//! What a tool returns: structured values, or content blocks (text, image,
//! audio, embedded resources, resource links).

use schemars::{JsonSchema, Schema};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::McpError;

/// One block of a tool result's `content`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Content {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// An image, base64-encoded.
    Image {
        /// Base64 data.
        data: String,
        /// MIME type, e.g. `image/png`.
        mime_type: String,
    },
    /// Audio, base64-encoded.
    Audio {
        /// Base64 data.
        data: String,
        /// MIME type, e.g. `audio/wav`.
        mime_type: String,
    },
    /// A resource embedded in the result.
    Resource {
        /// The resource's URI.
        uri: String,
        /// MIME type, if known.
        mime_type: Option<String>,
        /// Text or base64 blob body.
        body: ResourceBody,
    },
    /// A link to a resource the client may fetch.
    ResourceLink {
        /// The resource's URI.
        uri: String,
        /// Its name.
        name: String,
        /// MIME type, if known.
        mime_type: Option<String>,
        /// What it is.
        description: Option<String>,
    },
}

/// The body of an embedded resource.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceBody {
    /// UTF-8 text.
    Text(String),
    /// Binary data, base64-encoded.
    Blob(String),
}

impl Content {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Content::Text { text: text.into() }
    }

    /// An image block from base64 data.
    pub fn image(base64_data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Content::Image {
            data: base64_data.into(),
            mime_type: mime_type.into(),
        }
    }

    /// An audio block from base64 data.
    pub fn audio(base64_data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Content::Audio {
            data: base64_data.into(),
            mime_type: mime_type.into(),
        }
    }

    /// An embedded text resource.
    pub fn resource_text(
        uri: impl Into<String>,
        mime_type: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        Content::Resource {
            uri: uri.into(),
            mime_type: Some(mime_type.into()),
            body: ResourceBody::Text(text.into()),
        }
    }

    /// An embedded binary resource from base64 data.
    pub fn resource_blob(
        uri: impl Into<String>,
        mime_type: impl Into<String>,
        base64_blob: impl Into<String>,
    ) -> Self {
        Content::Resource {
            uri: uri.into(),
            mime_type: Some(mime_type.into()),
            body: ResourceBody::Blob(base64_blob.into()),
        }
    }

    /// A link to a resource.
    pub fn resource_link(uri: impl Into<String>, name: impl Into<String>) -> Self {
        Content::ResourceLink {
            uri: uri.into(),
            name: name.into(),
            mime_type: None,
            description: None,
        }
    }

    /// The block as MCP JSON (`{"type": "text", "text": ...}` and so on).
    pub fn to_json(&self) -> Value {
        let mut m = Map::with_capacity(4);
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        match self {
            Content::Text { text } => {
                put("type", "text".into());
                put("text", text.as_str().into());
            }
            Content::Image { data, mime_type } | Content::Audio { data, mime_type } => {
                let kind = if matches!(self, Content::Image { .. }) {
                    "image"
                } else {
                    "audio"
                };
                put("type", kind.into());
                put("data", data.as_str().into());
                put("mimeType", mime_type.as_str().into());
            }
            Content::Resource {
                uri,
                mime_type,
                body,
            } => {
                let mut r = Map::with_capacity(3);
                r.insert("uri".into(), uri.as_str().into());
                if let Some(mt) = mime_type {
                    r.insert("mimeType".into(), mt.as_str().into());
                }
                match body {
                    ResourceBody::Text(t) => r.insert("text".into(), t.as_str().into()),
                    ResourceBody::Blob(b) => r.insert("blob".into(), b.as_str().into()),
                };
                put("type", "resource".into());
                put("resource", Value::Object(r));
            }
            Content::ResourceLink {
                uri,
                name,
                mime_type,
                description,
            } => {
                put("type", "resource_link".into());
                put("uri", uri.as_str().into());
                put("name", name.as_str().into());
                if let Some(mt) = mime_type {
                    put("mimeType", mt.as_str().into());
                }
                if let Some(d) = description {
                    put("description", d.as_str().into());
                }
            }
        }
        Value::Object(m)
    }
}

/// A complete tool result: content blocks and, optionally, a structured value.
///
/// Return this from a tool to send images, audio or several blocks:
///
/// ```
/// use mcp_runtime::{Content, ToolOutput};
///
/// let out = ToolOutput::new()
///     .with(Content::text("Here is the chart"))
///     .with(Content::image("iVBORw0KGgo=", "image/png"));
/// assert_eq!(out.content().len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolOutput {
    content: Vec<Content>,
    structured: Option<Value>,
}

impl ToolOutput {
    /// An empty result.
    pub fn new() -> Self {
        Self::default()
    }

    /// A result of one text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new().with(Content::text(text))
    }

    /// Append a content block.
    pub fn with(mut self, block: Content) -> Self {
        self.content.push(block);
        self
    }

    /// Set the structured value (`structuredContent`).
    pub fn with_structured(mut self, value: Value) -> Self {
        self.structured = Some(value);
        self
    }

    /// The content blocks.
    pub fn content(&self) -> &[Content] {
        &self.content
    }

    /// The structured value, if any.
    pub fn structured(&self) -> Option<&Value> {
        self.structured.as_ref()
    }

    /// A structured result: the value's JSON text as the one content block,
    /// and the value itself as `structuredContent` when it is an object.
    pub(crate) fn from_value(value: Value) -> Self {
        // The bytes of `value.to_string()`, without the `fmt::Write` adapter.
        let text = serde_json::to_string(&value).expect("serializing a Value cannot fail");
        ToolOutput {
            content: vec![Content::Text { text }],
            structured: value.is_object().then_some(value),
        }
    }
}

/// A type a tool may return: any `Serialize + JsonSchema` value, or a [`ToolOutput`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned by an `#[mcp_tool]`",
    label = "this type must implement `serde::Serialize` and `schemars::JsonSchema`",
    note = "derive both on it (`#[derive(Serialize, JsonSchema)]`), or return `mcp_runtime::ToolOutput` for content blocks"
)]
pub trait ToolReturn: Send {
    /// The output schema this type publishes, if it has one.
    fn output_schema(settings: &schemars::generate::SchemaSettings) -> Option<Schema>;
    /// Turn the value into a tool result.
    fn into_output(self) -> Result<ToolOutput, McpError>;
}

impl<T: Serialize + JsonSchema + Send> ToolReturn for T {
    fn output_schema(settings: &schemars::generate::SchemaSettings) -> Option<Schema> {
        Some(
            settings
                .clone()
                .into_generator()
                .into_root_schema_for::<T>(),
        )
    }

    fn into_output(self) -> Result<ToolOutput, McpError> {
        let value = serde_json::to_value(&self)?;
        Ok(ToolOutput::from_value(value))
    }
}

impl ToolReturn for ToolOutput {
    fn output_schema(_: &schemars::generate::SchemaSettings) -> Option<Schema> {
        None
    }

    fn into_output(self) -> Result<ToolOutput, McpError> {
        Ok(self)
    }
}

impl ToolReturn for Content {
    fn output_schema(_: &schemars::generate::SchemaSettings) -> Option<Schema> {
        None
    }

    fn into_output(self) -> Result<ToolOutput, McpError> {
        Ok(ToolOutput::new().with(self))
    }
}

/// What a `#[mcp_resource]` fn returns: the contents of one read, one
/// item or several.
///
/// A `String` or `&'static str` is text, a `Vec<u8>` binary (sent as a
/// base64 `blob`), a `serde_json::Value` JSON text; [`ResourceContents::json`]
/// serialises any `Serialize` value. An item without a URI is the URI read;
/// one without a MIME type takes the resource's `mime_type`, else
/// `text/plain`, `application/json` or `application/octet-stream`.
///
/// ```
/// use mcp_runtime::output::{ResourceContent, ResourceContents};
///
/// let one: ResourceContents = "Returns within 30 days.".into();
/// assert_eq!(one.items().len(), 1);
/// let two = ResourceContents::from(vec![
///     ResourceContent::text("# Shipping"),
///     ResourceContent::blob(vec![0x89, b'P', b'N', b'G']).with_mime_type("image/png"),
/// ]);
/// assert_eq!(two.items().len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceContents {
    items: Vec<ResourceContent>,
}

/// One item of a resource read's `contents`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceContent {
    uri: Option<String>,
    mime_type: Option<String>,
    body: ContentBody,
}

/// The body of a [`ResourceContent`].
#[derive(Debug, Clone, PartialEq)]
enum ContentBody {
    Text(String),
    Json(String),
    Blob(Vec<u8>),
}

impl ResourceContent {
    /// A text item.
    pub fn text(text: impl Into<String>) -> Self {
        Self::of(ContentBody::Text(text.into()))
    }

    /// A binary item, sent base64-encoded as `blob`.
    pub fn blob(bytes: impl Into<Vec<u8>>) -> Self {
        Self::of(ContentBody::Blob(bytes.into()))
    }

    /// A JSON item: the value's JSON text.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, McpError> {
        Ok(Self::of(ContentBody::Json(serde_json::to_string(value)?)))
    }

    fn of(body: ContentBody) -> Self {
        ResourceContent {
            uri: None,
            mime_type: None,
            body,
        }
    }

    /// The item's URI, when it is not the URI read (a part of it).
    pub fn with_uri(mut self, uri: impl Into<String>) -> Self {
        self.uri = Some(uri.into());
        self
    }

    /// The item's MIME type.
    pub fn with_mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }

    /// The item as `TextResourceContents` or `BlobResourceContents`.
    pub(crate) fn to_json(&self, uri: &str, mime_type: Option<&str>) -> Value {
        use base64::Engine as _;
        let (key, body, fallback) = match &self.body {
            ContentBody::Text(t) => ("text", Value::from(t.as_str()), "text/plain"),
            ContentBody::Json(t) => ("text", Value::from(t.as_str()), "application/json"),
            ContentBody::Blob(b) => (
                "blob",
                Value::from(base64::engine::general_purpose::STANDARD.encode(b)),
                "application/octet-stream",
            ),
        };
        let mut m = Map::with_capacity(3);
        m.insert("uri".into(), self.uri.as_deref().unwrap_or(uri).into());
        let mime = self.mime_type.as_deref().or(mime_type).unwrap_or(fallback);
        m.insert("mimeType".into(), mime.into());
        m.insert(key.into(), body);
        Value::Object(m)
    }
}

impl ResourceContents {
    /// One JSON item: the value's JSON text.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, McpError> {
        Ok(ResourceContent::json(value)?.into())
    }

    /// Append an item.
    pub fn with(mut self, item: ResourceContent) -> Self {
        self.items.push(item);
        self
    }

    /// The items.
    pub fn items(&self) -> &[ResourceContent] {
        &self.items
    }
}

impl From<ResourceContent> for ResourceContents {
    fn from(item: ResourceContent) -> Self {
        ResourceContents { items: vec![item] }
    }
}

impl From<Vec<ResourceContent>> for ResourceContents {
    fn from(items: Vec<ResourceContent>) -> Self {
        ResourceContents { items }
    }
}

impl From<String> for ResourceContents {
    fn from(text: String) -> Self {
        ResourceContent::text(text).into()
    }
}

impl From<&'static str> for ResourceContents {
    fn from(text: &'static str) -> Self {
        ResourceContent::text(text).into()
    }
}

impl From<Vec<u8>> for ResourceContents {
    fn from(bytes: Vec<u8>) -> Self {
        ResourceContent::blob(bytes).into()
    }
}

impl From<Value> for ResourceContents {
    fn from(value: Value) -> Self {
        let text = serde_json::to_string(&value).expect("serializing a Value cannot fail");
        ResourceContent::of(ContentBody::Json(text)).into()
    }
}

/// Who a prompt message is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The user.
    User,
    /// The assistant.
    Assistant,
}

/// One message of a prompt: a role and a content block (text, image,
/// audio, embedded resource or resource link).
#[derive(Debug, Clone, PartialEq)]
pub struct PromptMessage {
    /// Who it is from.
    pub role: Role,
    /// What it says.
    pub content: Content,
}

impl PromptMessage {
    /// A message from the user.
    pub fn user(content: Content) -> Self {
        PromptMessage {
            role: Role::User,
            content,
        }
    }

    /// A message from the assistant.
    pub fn assistant(content: Content) -> Self {
        PromptMessage {
            role: Role::Assistant,
            content,
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        let role = match self.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        serde_json::json!({ "role": role, "content": self.content.to_json() })
    }
}

/// What a `#[mcp_prompt]` fn returns: its messages, and optionally a
/// description of this rendering. A `String` is one user text message.
///
/// ```
/// use mcp_runtime::Content;
/// use mcp_runtime::output::{PromptMessage, PromptMessages};
///
/// let m: PromptMessages = vec![
///     PromptMessage::user(Content::image("iVBORw0KGgo=", "image/png")),
///     PromptMessage::user(Content::text("What is in the image?")),
/// ]
/// .into();
/// assert_eq!(m.messages().len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PromptMessages {
    messages: Vec<PromptMessage>,
    description: Option<String>,
}

impl PromptMessages {
    /// Append a message.
    pub fn with(mut self, message: PromptMessage) -> Self {
        self.messages.push(message);
        self
    }

    /// The result's `description`.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The messages.
    pub fn messages(&self) -> &[PromptMessage] {
        &self.messages
    }

    /// The description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

impl From<Vec<PromptMessage>> for PromptMessages {
    fn from(messages: Vec<PromptMessage>) -> Self {
        PromptMessages {
            messages,
            description: None,
        }
    }
}

impl From<PromptMessage> for PromptMessages {
    fn from(message: PromptMessage) -> Self {
        vec![message].into()
    }
}

impl From<String> for PromptMessages {
    fn from(text: String) -> Self {
        PromptMessage::user(Content::text(text)).into()
    }
}

impl From<&'static str> for PromptMessages {
    fn from(text: &'static str) -> Self {
        PromptMessage::user(Content::text(text)).into()
    }
}
