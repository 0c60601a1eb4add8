//! Typed tool errors: the six kinds an agent can tell apart.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

/// What went wrong in a tool call, as the agent sees it.
///
/// Each kind has a stable wire name (its `type`), given by [`ErrorKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The requested resource does not exist (`not_found`).
    NotFound,
    /// The inputs are malformed or out of range (`validation_error`).
    Validation,
    /// The request could not be authenticated (`authentication_error`).
    Authentication,
    /// The caller lacks access to this resource (`permission_denied`).
    PermissionDenied,
    /// Too many requests in a short period (`rate_limit`).
    RateLimit,
    /// An unexpected failure (`server_error`).
    Server,
}

impl ErrorKind {
    /// Every kind, in a stable order.
    pub const ALL: [ErrorKind; 6] = [
        ErrorKind::NotFound,
        ErrorKind::Validation,
        ErrorKind::Authentication,
        ErrorKind::PermissionDenied,
        ErrorKind::RateLimit,
        ErrorKind::Server,
    ];

    /// The wire name of the kind, e.g. `"not_found"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::Validation => "validation_error",
            ErrorKind::Authentication => "authentication_error",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::RateLimit => "rate_limit",
            ErrorKind::Server => "server_error",
        }
    }

    /// The kind with the given wire name.
    pub fn from_wire(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error a tool returns. The agent sees its kind and message; nothing else.
///
/// ```
/// use mcp_runtime::McpError;
///
/// let err = McpError::not_found("order ORD-1 does not exist")
///     .with_details(serde_json::json!({ "orderNumber": "ORD-1" }));
/// assert_eq!(err.kind().as_str(), "not_found");
/// ```
///
/// Any `std::error::Error` converts with `?` into a `server_error` whose message
/// is generic: the original error is written to the server log, never sent to
/// the caller, since it may carry SQL, file paths or credentials. A domain
/// error type that derives [`ToolError`](macro@crate::ToolError) converts into
/// the kinds it chooses instead.
#[derive(Clone, PartialEq)]
pub struct McpError {
    kind: ErrorKind,
    message: Cow<'static, str>,
    details: Option<Value>,
    retry_after_ms: Option<u64>,
    required_capabilities: Option<Value>,
}

/// The message an agent sees for any internal failure.
pub(crate) const INTERNAL_MESSAGE: &str = "internal server error";

impl McpError {
    /// An error of the given kind with a message for the agent.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        McpError {
            kind,
            message: message.into(),
            details: None,
            retry_after_ms: None,
            required_capabilities: None,
        }
    }

    /// `not_found`: the requested resource does not exist.
    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// `validation_error`: inputs malformed or out of range.
    pub fn validation(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    /// `authentication_error`: the request could not be authenticated.
    pub fn authentication(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Authentication, message)
    }

    /// `permission_denied`: the caller lacks access to this resource.
    pub fn permission_denied(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::PermissionDenied, message)
    }

    /// `rate_limit`: too many requests; `retry_after_ms` tells the agent when to retry.
    pub fn rate_limit(message: impl Into<Cow<'static, str>>, retry_after_ms: u64) -> Self {
        let mut e = Self::new(ErrorKind::RateLimit, message);
        e.retry_after_ms = Some(retry_after_ms);
        e
    }

    /// `server_error`: an unexpected failure. The message is shown to the agent
    /// as given; use [`McpError::internal`] for failures whose text must stay private.
    pub fn server(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Server, message)
    }

    /// `server_error` with a generic message; `detail` goes to the server log only.
    pub fn internal(detail: impl fmt::Display) -> Self {
        tracing::error!(error = %detail, "tool failed with an internal error");
        Self::new(ErrorKind::Server, INTERNAL_MESSAGE)
    }

    /// The call needs client capabilities the request did not declare (e.g.
    /// `{"sampling": {}}`). Under protocol 2026-07-28 this is answered as the
    /// JSON-RPC error -32021 (HTTP 400); earlier revisions get a
    /// `validation_error` result.
    pub fn missing_client_capability(required: Value) -> Self {
        let mut e = Self::new(
            ErrorKind::Validation,
            format!("this tool needs client capabilities the client did not declare: {required}"),
        );
        e.required_capabilities = Some(required);
        e
    }

    /// For [`McpError::missing_client_capability`]: the capabilities needed.
    pub fn required_capabilities(&self) -> Option<&Value> {
        self.required_capabilities.as_ref()
    }

    /// Attach structured details, shown to the agent beside the message.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message the agent sees.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Structured details, if any.
    pub fn details(&self) -> Option<&Value> {
        self.details.as_ref()
    }

    /// For `rate_limit`: milliseconds after which a retry may succeed.
    pub fn retry_after_ms(&self) -> Option<u64> {
        self.retry_after_ms
    }

    /// The structured form sent to the agent:
    /// `{"type": "...", "message": "...", "details"?: ..., "retryAfterMs"?: ...}`.
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::with_capacity(4);
        m.insert("type".into(), Value::String(self.kind.as_str().into()));
        m.insert("message".into(), Value::String(self.message.to_string()));
        if let Some(d) = &self.details {
            m.insert("details".into(), d.clone());
        }
        if let Some(ms) = self.retry_after_ms {
            m.insert("retryAfterMs".into(), Value::from(ms));
        }
        Value::Object(m)
    }
}

impl fmt::Debug for McpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("details", &self.details)
            .finish()
    }
}

impl fmt::Display for McpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// Lets `?` turn any error into an `McpError`.
///
/// An error whose type derives [`ToolError`](macro@crate::ToolError), or
/// that has one among its sources (`source()`, and the error inside an
/// `io::Error`), becomes the kind that type maps it to, with its `Display`
/// as the message. Anything else, and whatever maps to `server_error`,
/// becomes a private `server_error`: the error's text is logged at `error`
/// level and never reaches the caller, since it may carry SQL, file paths or
/// credentials. (This blanket conversion is why `McpError` does not itself
/// implement `std::error::Error`, as with `anyhow::Error`; it is also why a
/// `From<YourError> for McpError` impl conflicts with it, and the derive
/// exists.)
impl<E> From<E> for McpError
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn from(e: E) -> Self {
        match mapping::find(&e) {
            Some(mapped) if mapped.kind != ErrorKind::Server => mapped,
            _ => McpError::internal(&e),
        }
    }
}

/// What `#[derive(ToolError)]` expands to refers to, through `__private`:
/// each derived type registers an [`mapping::ErrorMapping`], which the
/// conversion above looks for only when an error is converted.
pub(crate) mod mapping {
    use std::error::Error;
    use std::time::Duration;

    use super::{ErrorKind, INTERNAL_MESSAGE, McpError};

    /// A type whose values map to error kinds; implemented by the derive.
    pub trait ToolError {
        /// What this value maps to.
        fn mapped(&self) -> Mapped<'_>;
    }

    /// What a value of a derived type maps to.
    pub enum Mapped<'a> {
        /// A kind; for `rate_limit`, the value of the `retry_after` field.
        Kind {
            /// The kind.
            kind: ErrorKind,
            /// For `rate_limit`: when the agent may retry.
            retry_after_ms: Option<u64>,
        },
        /// `transparent`: the mapping of the error it wraps.
        Transparent(&'a (dyn Error + 'static)),
    }

    /// The field of a `transparent` variant, as an error to map.
    pub fn wrapped<E: WrappedError>(e: &E) -> &(dyn Error + 'static) {
        e
    }

    /// The bound on the field of a `transparent` variant.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be the field of a `#[tool_error(transparent)]` variant",
        label = "this type must implement `std::error::Error` and own its data",
        note = "`transparent` maps the error that this field holds"
    )]
    pub trait WrappedError: Error + 'static {}
    impl<E: Error + 'static> WrappedError for E {}

    /// The bound on a type that derives `ToolError`, checked where its
    /// mapping is registered.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot derive `ToolError`: it is not a `std::error::Error + Send + Sync + 'static`",
        label = "this type must implement `std::error::Error`, `Send` and `Sync`, and own its data",
        note = "derive `thiserror::Error` on it, or implement `Display` and `std::error::Error` for it"
    )]
    pub trait ErrorType: Error + Send + Sync + 'static {}
    impl<E: Error + Send + Sync + 'static> ErrorType for E {}

    /// A `retry_after` field: milliseconds, or a `Duration`, or an `Option` of either.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be a `#[tool_error(retry_after)]` field",
        label = "the time after which the agent may retry",
        note = "use `u64` (milliseconds), `std::time::Duration`, or an `Option` of either"
    )]
    pub trait RetryAfter {
        /// In milliseconds.
        fn retry_after_ms(&self) -> Option<u64>;
    }

    impl RetryAfter for u64 {
        fn retry_after_ms(&self) -> Option<u64> {
            Some(*self)
        }
    }

    impl RetryAfter for Duration {
        fn retry_after_ms(&self) -> Option<u64> {
            Some(u64::try_from(self.as_millis()).unwrap_or(u64::MAX))
        }
    }

    impl<T: RetryAfter> RetryAfter for Option<T> {
        fn retry_after_ms(&self) -> Option<u64> {
            self.as_ref().and_then(T::retry_after_ms)
        }
    }

    /// One derived type, registered with `inventory::submit!`.
    pub struct ErrorMapping {
        map: fn(&(dyn Error + 'static)) -> Option<McpError>,
    }

    impl ErrorMapping {
        /// The mapping of `T`.
        pub const fn of<T: ToolError + ErrorType>() -> ErrorMapping {
            ErrorMapping { map: map_as::<T> }
        }
    }

    inventory::collect!(ErrorMapping);

    fn map_as<T: ToolError + ErrorType>(e: &(dyn Error + 'static)) -> Option<McpError> {
        let e = e.downcast_ref::<T>()?;
        match e.mapped() {
            Mapped::Transparent(inner) => find(inner),
            // Never shown: the conversion logs the whole error and answers
            // with the generic message.
            Mapped::Kind {
                kind: ErrorKind::Server,
                ..
            } => Some(McpError::new(ErrorKind::Server, INTERNAL_MESSAGE)),
            Mapped::Kind {
                kind,
                retry_after_ms,
            } => {
                let mut mapped = McpError::new(kind, e.to_string());
                mapped.retry_after_ms = retry_after_ms;
                Some(mapped)
            }
        }
    }

    /// The mapping of `e`, or of the first of its sources that has one.
    pub(super) fn find(e: &(dyn Error + 'static)) -> Option<McpError> {
        let mut next = Some(e);
        while let Some(e) = next {
            if let Some(mapped) = inventory::iter::<ErrorMapping>
                .into_iter()
                .find_map(|m| (m.map)(e))
            {
                return Some(mapped);
            }
            next = inner(e);
        }
        None
    }

    /// The error `e` wraps. `io::Error::other(e)` keeps `e` out of its
    /// `source()` (which is `e`'s own source), so it is read with `get_ref`.
    fn inner<'a>(e: &'a (dyn Error + 'static)) -> Option<&'a (dyn Error + 'static)> {
        match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(custom) => Some(custom),
            None => e.source(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_the_documented_ones() {
        let names: Vec<_> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "not_found",
                "validation_error",
                "authentication_error",
                "permission_denied",
                "rate_limit",
                "server_error"
            ]
        );
        for k in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_wire(k.as_str()), Some(k));
        }
        assert_eq!(ErrorKind::from_wire("nope"), None);
    }

    #[test]
    fn converted_errors_do_not_leak_their_text() {
        fn fails() -> Result<(), McpError> {
            let _f = std::fs::read("/secret/path/db-password.txt")?;
            Ok(())
        }
        let e = fails().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server);
        assert_eq!(e.message(), INTERNAL_MESSAGE);
        assert!(!e.to_json().to_string().contains("secret"));
    }

    #[test]
    fn structured_form() {
        let e = McpError::rate_limit("slow down", 1500).with_details(serde_json::json!({"n": 1}));
        assert_eq!(
            e.to_json(),
            serde_json::json!({"type": "rate_limit", "message": "slow down", "details": {"n": 1}, "retryAfterMs": 1500})
        );
    }
}
