//! Why a command could not do its job: one line each, no backtrace.

use std::fmt;

/// A failure of the command (exit 2), as one line for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Error {
    /// The command line, or the tool's arguments, are wrong.
    Usage(String),
    /// The server cannot be reached: connection, DNS, TLS, a process that
    /// does not start or ends early.
    Unreachable(String),
    /// HTTP 401: what the server asks for.
    Unauthorized(String),
    /// The server speaks MCP but refused a request or broke the protocol.
    Protocol(String),
    /// The answer is not MCP at all.
    NotMcp(String),
    /// A local file could not be read or written.
    File(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) | Error::File(m) => f.write_str(m),
            Error::Unreachable(m) => write!(f, "cannot reach the server: {m}"),
            Error::Unauthorized(m) => write!(f, "unauthorized: {m}"),
            Error::Protocol(m) => write!(f, "protocol error: {m}"),
            Error::NotMcp(m) => write!(f, "not an MCP server: {m}"),
        }
    }
}

/// Text from a server, cut to `max` bytes for a one-line message.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.len() <= max {
        return one_line;
    }
    let mut end = max;
    while !one_line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &one_line[..end])
}
