//! The transports: each turns its framing into messages for the dispatcher
//! and its replies back into frames. Streamable HTTP ([`http`]), stdio
//! ([`stdio`]), and the in-process test client ([`in_process`]).

pub(crate) mod conn;
pub(crate) mod http;
pub(crate) mod in_process;
pub(crate) mod ops;
pub(crate) mod stdio;
