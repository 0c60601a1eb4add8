//! What `#[mcp_tool]` expands to refers to: not a public API, no stability promise.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use crate::task::TaskSupport;
pub use ::inventory;
pub use ::schemars;
pub use ::serde;
pub use ::serde_json;

pub use crate::completion::CompletionArguments;
pub use crate::context::{StateKey, ToolContext};
pub use crate::error::mapping::{
    ErrorMapping, ErrorType, Mapped, RetryAfter, ToolError, WrappedError, wrapped,
};
pub use crate::error::{ErrorKind, McpError};
pub use crate::input::form::{ElicitForm, FormEnum, FormField};
pub use crate::output::{PromptMessages, ResourceContents, ToolOutput, ToolReturn};

/// The future a tool's call shim returns.
pub type CallFuture = Pin<Box<dyn Future<Output = Result<ToolOutput, McpError>> + Send>>;

/// The MCP tool annotations; `None` leaves a hint out of the wire form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Annotations {
    /// `readOnlyHint`
    pub read_only: Option<bool>,
    /// `destructiveHint`
    pub destructive: Option<bool>,
    /// `idempotentHint`
    pub idempotent: Option<bool>,
    /// `openWorldHint`
    pub open_world: Option<bool>,
}

/// One tool, as `#[mcp_tool]` registers it with `inventory::submit!`.
#[derive(Debug)]
pub struct ToolDescriptor {
    /// Wire name.
    pub name: &'static str,
    /// Display name.
    pub title: Option<&'static str>,
    /// What the tool does, returns, and when to use it.
    pub description: &'static str,
    /// Behaviour hints.
    pub annotations: Annotations,
    /// The arguments' root schema, as schemars generates it.
    pub input_schema: fn(&SchemaSettings) -> Schema,
    /// The return type's schema, if it has one.
    pub output_schema: fn(&SchemaSettings) -> Option<Schema>,
    /// Deserializes the (already validated) arguments and runs the tool.
    pub call: fn(Value, ToolContext) -> CallFuture,
    /// State types the tool reads with `ctx.state::<T>()`.
    pub state: &'static [fn() -> StateKey],
    /// OAuth scopes a caller must hold, every one (`#[mcp_tool(scopes = [...])]`).
    pub scopes: &'static [&'static str],
    /// Whether calls run as tasks (`#[mcp_tool(task = ...)]`).
    pub task: TaskSupport,
    /// `module_path!()` of the tool's fn.
    pub module_path: &'static str,
    /// `file!()` of the tool's fn.
    pub file: &'static str,
    /// `line!()` of the tool's fn.
    pub line: u32,
}

inventory::collect!(ToolDescriptor);

/// Root schema of an arguments type.
pub fn input_schema_for<T: JsonSchema>(settings: &SchemaSettings) -> Schema {
    settings
        .clone()
        .into_generator()
        .into_root_schema_for::<T>()
}

/// Schema of a tool without arguments.
pub fn no_arguments_schema(_: &SchemaSettings) -> Schema {
    schemars::json_schema!({ "type": "object", "additionalProperties": false })
}

/// Output schema of a return type.
pub fn output_schema_for<T: ToolReturn>(settings: &SchemaSettings) -> Option<Schema> {
    T::output_schema(settings)
}

/// Deserialize validated arguments; a failure names the field path.
///
/// The arguments are deserialized by reference first: tracking the path
/// costs an allocation per field, so it is paid only to describe a failure.
pub fn parse_arguments<T: DeserializeOwned>(args: Value) -> Result<T, McpError> {
    if let Ok(v) = T::deserialize(&args) {
        return Ok(v);
    }
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path.is_empty() || path == "." {
            McpError::validation(format!("invalid arguments: {inner}"))
        } else {
            McpError::validation(format!("invalid argument `{path}`: {inner}"))
        }
    })
}

/// The result of a tool whose fn returns `Result<T, E>`.
pub fn finish<T: ToolReturn, E: Into<McpError>>(r: Result<T, E>) -> Result<ToolOutput, McpError> {
    match r {
        Ok(v) => v.into_output(),
        Err(e) => Err(e.into()),
    }
}

/// The result of a tool whose fn returns a plain `T`.
pub fn finish_plain<T: ToolReturn>(v: T) -> Result<ToolOutput, McpError> {
    v.into_output()
}

/// Bound check on the arguments struct, spanned on it by the macro.
pub const fn assert_arguments<T: ArgumentsDeserialize + ArgumentsSchema>() {}

/// Bound check on the return type, spanned on it by the macro.
pub const fn assert_return<T: ToolReturn>() {}

/// Bound check on the error type, spanned on it by the macro.
pub const fn assert_error<E: IntoMcpError>() {}

// The bound traits below are implemented through `do_not_recommend` impls,
// so that rustc reports them, with their messages, rather than the
// `Deserialize` or `JsonSchema` bound they stand for, with its list of the
// types that do implement it. (The macro declares the same pair for each
// inline argument, with messages that name it.)

/// An arguments struct that can be deserialized.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the arguments of an `#[mcp_tool]`: it does not implement `serde::Deserialize`",
    label = "this type must implement `serde::Deserialize`",
    note = "derive it on the type: `#[derive(Deserialize, JsonSchema)]`; where it does, the derive's own error, reported above, is the one to fix"
)]
pub trait ArgumentsDeserialize: DeserializeOwned {}
#[diagnostic::do_not_recommend]
impl<T: DeserializeOwned> ArgumentsDeserialize for T {}

/// An arguments struct with a JSON Schema.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the arguments of an `#[mcp_tool]`: it does not implement `schemars::JsonSchema`",
    label = "this type must implement `schemars::JsonSchema`",
    note = "derive it on the type: `#[derive(Deserialize, JsonSchema)]`; where it does, the derive's own error, reported above, is the one to fix"
)]
pub trait ArgumentsSchema: JsonSchema {}
#[diagnostic::do_not_recommend]
impl<T: JsonSchema> ArgumentsSchema for T {}

/// The hidden struct of a tool's inline arguments, reached by autoref: its
/// derived impls when they exist ([`ViaDerive`]), else a fallback that is
/// never called ([`DeriveFailed`]). Without the impls the build has failed
/// already, with the error that matters: serde's or schemars' derive
/// reported a bad attribute, or the bound check of an argument's type did.
/// The fallback only keeps a second, misleading error from following.
pub struct Hidden<T>(PhantomData<fn() -> T>);

impl<T> Hidden<T> {
    pub const NEW: Hidden<T> = Hidden(PhantomData);
}

pub trait ViaDerive<T> {
    fn input_schema(&self, settings: &SchemaSettings) -> Schema;
    fn parse(&self, args: Value) -> Result<T, McpError>;
}

impl<T: DeserializeOwned + JsonSchema> ViaDerive<T> for Hidden<T> {
    fn input_schema(&self, settings: &SchemaSettings) -> Schema {
        input_schema_for::<T>(settings)
    }
    fn parse(&self, args: Value) -> Result<T, McpError> {
        parse_arguments::<T>(args)
    }
}

pub trait DeriveFailed<T> {
    fn input_schema(&self, settings: &SchemaSettings) -> Schema;
    fn parse(&self, args: Value) -> Result<T, McpError>;
}

impl<T> DeriveFailed<T> for &Hidden<T> {
    fn input_schema(&self, _: &SchemaSettings) -> Schema {
        unreachable!("chosen only where the build fails")
    }
    fn parse(&self, _: Value) -> Result<T, McpError> {
        unreachable!("chosen only where the build fails")
    }
}

/// An error type a tool may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the error type of an `#[mcp_tool]`",
    label = "this type must convert into `mcp_runtime::McpError`",
    note = "return `McpError`, or make `{Self}` a `std::error::Error + Send + Sync + 'static` and choose its kinds with `#[derive(ToolError)]`"
)]
pub trait IntoMcpError: Into<McpError> {}
impl<E: Into<McpError>> IntoMcpError for E {}

/// The future a resource's read shim returns.
pub type ReadFuture = Pin<Box<dyn Future<Output = Result<ResourceContents, McpError>> + Send>>;

/// Whether a resource has one URI or a template of them.
#[derive(Debug, Clone, Copy)]
pub enum ResourceUri {
    /// `#[mcp_resource(uri = "...")]`
    Static(&'static str),
    /// `#[mcp_resource(uri_template = "...")]`
    Template(&'static str),
}

/// One resource or resource template, as `#[mcp_resource]` registers it.
#[derive(Debug)]
pub struct ResourceDescriptor {
    /// Its URI or URI template.
    pub uri: ResourceUri,
    /// Programmatic name.
    pub name: &'static str,
    /// Display name.
    pub title: Option<&'static str>,
    /// What it is.
    pub description: &'static str,
    /// The MIME type of its contents, if one.
    pub mime_type: Option<&'static str>,
    /// Its size in bytes, where known.
    pub size: Option<u64>,
    /// `annotations.audience`: `"user"`, `"assistant"`.
    pub audience: &'static [&'static str],
    /// `annotations.priority`, 0 to 1.
    pub priority: Option<f64>,
    /// The completers of its template variables (`complete(var = f)`).
    pub complete: &'static [(&'static str, CompleteFn)],
    /// OAuth scopes a caller must hold to see and read it, every one.
    pub scopes: &'static [&'static str],
    /// Reads it: the URI read, its template variables (name, value) in
    /// template order, and the context.
    pub read: fn(TemplateMatch, ToolContext) -> ReadFuture,
    /// `module_path!()` of the fn.
    pub module_path: &'static str,
    /// `file!()` of the fn.
    pub file: &'static str,
    /// `line!()` of the fn.
    pub line: u32,
}

inventory::collect!(ResourceDescriptor);

/// The variables of a URI matched by a template, percent-decoded, in
/// template order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TemplateMatch {
    pub vars: Vec<(&'static str, String)>,
}

impl TemplateMatch {
    /// The variable `name`, parsed into the parameter's type.
    pub fn var<T: TemplateVariable>(&self, name: &str) -> Result<T, McpError> {
        let raw = self
            .vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| {
                McpError::internal(format_args!("template variable `{name}` not matched"))
            })?;
        raw.parse::<T>().map_err(|e| {
            McpError::validation(format!("invalid resource URI: `{name}` = {raw:?}: {e}"))
        })
    }
}

/// A type a template variable may have: parsed from the URI's text.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a template variable of an `#[mcp_resource]`",
    label = "this type must implement `FromStr` with an error that implements `Display`",
    note = "template variables are text in the URI: take `String`, a number, or a type that implements `FromStr`"
)]
pub trait TemplateVariable: core::str::FromStr<Err: core::fmt::Display> {}
#[diagnostic::do_not_recommend]
impl<T: core::str::FromStr<Err: core::fmt::Display>> TemplateVariable for T {}

/// Bound check on a template variable's type, spanned on it by the macro.
pub const fn assert_template_variable<T: TemplateVariable>() {}

/// What a resource fn may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned by an `#[mcp_resource]`",
    label = "this type must convert into `mcp_runtime::output::ResourceContents`",
    note = "return a `String` (text), `Vec<u8>` (binary), a `serde_json::Value`, or `ResourceContents` (e.g. `ResourceContents::json(&value)?`)"
)]
pub trait ResourceReturn: Into<ResourceContents> {}
#[diagnostic::do_not_recommend]
impl<T: Into<ResourceContents>> ResourceReturn for T {}

/// Bound check on a resource fn's return type, spanned on it by the macro.
pub const fn assert_resource_return<T: ResourceReturn>() {}

/// The contents of a resource whose fn returns `Result<T, E>`.
pub fn finish_read<T: ResourceReturn, E: Into<McpError>>(
    r: Result<T, E>,
) -> Result<ResourceContents, McpError> {
    r.map(Into::into).map_err(Into::into)
}

/// The contents of a resource whose fn returns a plain `T`.
pub fn finish_read_plain<T: ResourceReturn>(v: T) -> Result<ResourceContents, McpError> {
    Ok(v.into())
}

/// The future a prompt's get shim returns.
pub type PromptFuture = Pin<Box<dyn Future<Output = Result<PromptMessages, McpError>> + Send>>;

/// One argument of a prompt.
#[derive(Debug, Clone, Copy)]
pub struct PromptArgument {
    /// Wire name (the parameter's, in camelCase).
    pub name: &'static str,
    /// From the parameter's doc comment.
    pub description: Option<&'static str>,
    /// Whether it must be given (a parameter that is not an `Option`).
    pub required: bool,
    /// Its completer (`#[mcp_prompt(complete(arg = f))]`).
    pub complete: Option<CompleteFn>,
}

/// One prompt, as `#[mcp_prompt]` registers it.
#[derive(Debug)]
pub struct PromptDescriptor {
    /// Wire name.
    pub name: &'static str,
    /// Display name.
    pub title: Option<&'static str>,
    /// What the prompt is for.
    pub description: &'static str,
    /// Its arguments, in declared order.
    pub arguments: &'static [PromptArgument],
    /// OAuth scopes a caller must hold to see and get it, every one.
    pub scopes: &'static [&'static str],
    /// Renders it from the (checked) arguments.
    pub get: fn(PromptArguments, ToolContext) -> PromptFuture,
    /// `module_path!()` of the fn.
    pub module_path: &'static str,
    /// `file!()` of the fn.
    pub file: &'static str,
    /// `line!()` of the fn.
    pub line: u32,
}

inventory::collect!(PromptDescriptor);

/// The arguments of a `prompts/get`: every required one present, none unknown.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PromptArguments {
    pub values: Vec<(String, String)>,
}

impl PromptArguments {
    fn raw(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn parse<T: PromptArgumentValue>(name: &str, raw: &str) -> Result<T, McpError> {
        raw.parse::<T>()
            .map_err(|e| McpError::validation(format!("invalid argument `{name}` = {raw:?}: {e}")))
    }

    /// A required argument, parsed.
    pub fn required<T: PromptArgumentValue>(&self, name: &str) -> Result<T, McpError> {
        let raw = self
            .raw(name)
            .ok_or_else(|| McpError::validation(format!("the argument `{name}` is required")))?;
        Self::parse(name, raw)
    }

    /// An optional argument, parsed if given.
    pub fn optional<T: PromptArgumentValue>(&self, name: &str) -> Result<Option<T>, McpError> {
        self.raw(name).map(|raw| Self::parse(name, raw)).transpose()
    }
}

/// A type a prompt argument may have: parsed from the argument's text.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an argument of an `#[mcp_prompt]`",
    label = "this type must implement `FromStr` with an error that implements `Display`",
    note = "prompt arguments are text: take `String`, a number, a type that implements `FromStr`, or an `Option` of one"
)]
pub trait PromptArgumentValue: core::str::FromStr<Err: core::fmt::Display> {}
#[diagnostic::do_not_recommend]
impl<T: core::str::FromStr<Err: core::fmt::Display>> PromptArgumentValue for T {}

/// Bound check on a prompt argument's type, spanned on it by the macro.
pub const fn assert_prompt_argument<T: PromptArgumentValue>() {}

/// What a prompt fn may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned by an `#[mcp_prompt]`",
    label = "this type must convert into `mcp_runtime::output::PromptMessages`",
    note = "return a `String` (one user message), `Vec<PromptMessage>`, or `PromptMessages`"
)]
pub trait PromptReturn: Into<PromptMessages> {}
#[diagnostic::do_not_recommend]
impl<T: Into<PromptMessages>> PromptReturn for T {}

/// Bound check on a prompt fn's return type, spanned on it by the macro.
pub const fn assert_prompt_return<T: PromptReturn>() {}

/// The messages of a prompt whose fn returns `Result<T, E>`.
pub fn finish_prompt<T: PromptReturn, E: Into<McpError>>(
    r: Result<T, E>,
) -> Result<PromptMessages, McpError> {
    r.map(Into::into).map_err(Into::into)
}

/// The messages of a prompt whose fn returns a plain `T`.
pub fn finish_prompt_plain<T: PromptReturn>(v: T) -> Result<PromptMessages, McpError> {
    Ok(v.into())
}

/// The future a completer's shim returns: every value it suggests.
pub type CompleteFuture = Pin<Box<dyn Future<Output = Result<Vec<String>, McpError>> + Send>>;

/// A completer as a descriptor holds it: the partial value, the other
/// arguments already given, and the caller's context.
pub type CompleteFn = fn(String, CompletionArguments, ToolContext) -> CompleteFuture;

/// What a completer fn may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned by a completer",
    label = "a completer returns its suggestions",
    note = "return `Vec<String>` or `Result<Vec<String>, E>` with `E: Into<McpError>`"
)]
pub trait CompletionReturn {
    /// The suggestions, or the completer's error.
    fn into_values(self) -> Result<Vec<String>, McpError>;
}

impl CompletionReturn for Vec<String> {
    fn into_values(self) -> Result<Vec<String>, McpError> {
        Ok(self)
    }
}

impl<E: Into<McpError>> CompletionReturn for Result<Vec<String>, E> {
    fn into_values(self) -> Result<Vec<String>, McpError> {
        self.map_err(Into::into)
    }
}

/// A fn that completes an argument: `async fn(String, CompletionArguments,
/// ToolContext) -> Vec<String>` (or a `Result` of it).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a completer",
    label = "named in `complete(...)` here",
    note = "a completer is `async fn(value: String, arguments: CompletionArguments, ctx: ToolContext) -> Result<Vec<String>, McpError>` (or `-> Vec<String>`)"
)]
pub trait Completer<Marker>: Copy + Send + Sync + 'static {
    /// Run it.
    fn complete(
        self,
        value: String,
        arguments: CompletionArguments,
        ctx: ToolContext,
    ) -> CompleteFuture;
}

#[diagnostic::do_not_recommend]
impl<F, Fut> Completer<Fut> for F
where
    F: Fn(String, CompletionArguments, ToolContext) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: CompletionReturn,
{
    fn complete(
        self,
        value: String,
        arguments: CompletionArguments,
        ctx: ToolContext,
    ) -> CompleteFuture {
        Box::pin(async move { self(value, arguments, ctx).await.into_values() })
    }
}

/// Run the completer `f`; the macro spans this call on the completer's path,
/// so a fn of the wrong shape is reported there.
pub fn run_completer<M, F: Completer<M>>(
    f: F,
    value: String,
    arguments: CompletionArguments,
    ctx: ToolContext,
) -> CompleteFuture {
    f.complete(value, arguments, ctx)
}
