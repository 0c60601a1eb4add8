//! `#[derive(ToolError)]` on every shape, used as a tool's error type and
//! with `?` into `McpError`; the generated code does not pick up the user's
//! names for std items.
#![allow(dead_code, non_camel_case_types, unused_imports)]

use std::time::Duration;

use ::mcp_runtime::prelude::*;

struct Result;
struct Option;
struct Some;
struct None;
struct u64;
mod core {}
mod mcp_runtime {}

macro_rules! error_impls {
    ($($t:ty),*) => {$(
        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(stringify!($t))
            }
        }
        impl ::std::error::Error for $t {}
    )*};
}

/// Unit, tuple and struct variants; every retry field type.
#[derive(Debug, ToolError)]
enum Every {
    #[tool_error(not_found)]
    Missing,
    #[tool_error(validation_error)]
    Bad(::std::string::String),
    #[tool_error(authentication_error)]
    Unauthenticated { key: ::std::string::String },
    #[tool_error(permission_denied)]
    Denied,
    #[tool_error(rate_limit)]
    BusyMs(#[tool_error(retry_after)] ::core::primitive::u64),
    #[tool_error(rate_limit)]
    BusyFor {
        #[tool_error(retry_after)]
        wait: Duration,
        why: &'static str,
    },
    #[tool_error(rate_limit)]
    BusyMaybe(::std::string::String, #[tool_error(retry_after)] ::std::option::Option<Duration>),
    #[tool_error(rate_limit)]
    BusyUnknown,
    #[tool_error(server_error)]
    Broken(::std::io::Error),
}

/// A default for the unmarked variants, several attributes.
#[derive(Debug, ToolError)]
#[tool_error(default = server_error)]
enum Defaulted {
    #[doc = "Marked."]
    #[tool_error(not_found)]
    Marked,
    Unmarked,
}

/// A struct, and a struct with a retry field.
#[derive(Debug, ToolError)]
#[tool_error(permission_denied)]
struct NotYours;

#[derive(Debug, ToolError)]
#[tool_error(rate_limit)]
struct SlowDown {
    #[tool_error(retry_after)]
    ms: ::core::primitive::u64,
}

/// Wrappers that map as the error they hold.
#[derive(Debug, ToolError)]
enum Wrapper {
    #[tool_error(transparent)]
    Every(Every),
    #[tool_error(transparent)]
    Io { source: ::std::io::Error },
    #[tool_error(not_found)]
    Own,
}

#[derive(Debug, ToolError)]
#[tool_error(transparent)]
struct Newtype(Wrapper);

/// No values at all.
#[derive(Debug, ToolError)]
enum Never {}

error_impls!(Every, Defaulted, NotYours, SlowDown, Never, Wrapper, Newtype);

/// The domain error as the tool's error type.
#[mcp_tool]
async fn declared() -> ::std::result::Result<::core::primitive::u32, Every> {
    ::std::result::Result::Err(Every::Missing)
}

fn fails() -> ::std::result::Result<(), SlowDown> {
    ::std::result::Result::Err(SlowDown { ms: 5 })
}

/// The domain error passed up with `?`.
#[mcp_tool]
async fn question_mark() -> ::std::result::Result<::core::primitive::u32, McpError> {
    fails()?;
    ::std::result::Result::Err(NotYours)?;
    ::std::result::Result::Ok(1)
}

fn main() {
    let e = McpError::from(Every::BusyFor {
        wait: Duration::from_secs(1),
        why: "busy",
    });
    assert_eq!(e.kind(), ErrorKind::RateLimit);
    assert_eq!(e.retry_after_ms(), ::std::option::Option::Some(1000));
    assert_eq!(McpError::from(Every::BusyUnknown).retry_after_ms(), ::std::option::Option::None);
    assert_eq!(McpError::from(Defaulted::Unmarked).kind(), ErrorKind::Server);
    assert_eq!(McpError::from(Defaulted::Marked).kind(), ErrorKind::NotFound);
    assert_eq!(McpError::from(NotYours).message(), "NotYours");
    let wrapped = McpError::from(Newtype(Wrapper::Every(Every::Denied)));
    assert_eq!(wrapped.kind(), ErrorKind::PermissionDenied);
    assert_eq!(wrapped.message(), "Every");
    assert_eq!(McpError::from(Newtype(Wrapper::Own)).kind(), ErrorKind::NotFound);
}
