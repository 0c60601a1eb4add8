//! The HTTP half of the oracle, shared by `http_raw` and `http_request`: two
//! real servers on loopback sockets (the runtime's own accept loop, hyper's
//! HTTP/1.1 connection, the axum router), a client that sends one request as
//! raw bytes and reads every answer, and the rules that say what each answer
//! must be.
//!
//! What a request means is worked out here independently of the runtime:
//! the head is parsed with `httparse` (the parser hyper uses) and framed by
//! the rules hyper applies (`Transfer-Encoding` over `Content-Length`,
//! differing lengths refused, `chunked` last or 400), so the oracle knows
//! the header list and body the router sees. The router's rules are then
//! applied in the order `transport/http.rs` documents them: route, Host and
//! Origin (every one once; an absolute-form target must name the Host; the
//! host held to RFC 3986's forms; see [`rfc3986_host`]), method, bearer key,
//! content type, `Accept`, size, depth. A request refused by any of them
//! must get exactly that status and JSON-RPC error. One that passes must get
//! the answer the in-process dispatcher gives to the same body, except where
//! the MCP headers decide (`MCP-Protocol-Version`, `Mcp-Method`,
//! `Mcp-Name`, `Mcp-Param-*` with `=?base64?…?=` values, decoded here by a
//! decoder of its own), which is predicted from the body and the headers.
//! Every answer must be a well-formed HTTP/1.1 response; after one that
//! leaves the connection open a second request on the same connection must
//! get its own answer (nothing of the first request is left over).

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv6Addr, Shutdown, SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use mcp_runtime::testing::Client;
use mcp_runtime::{ApiKey, Server};
use serde_json::{Map, Value};

use crate::{check_reply, lossy};

/// The bearer secret both servers accept.
pub const SECRET: &str = "fuzz-secret-0123456789abcdef";
/// `max_body_bytes` of both servers: above the large-message threshold, so
/// bodies between the two are parsed and validated off the async workers.
pub const MAX_BODY: usize = 320 * 1024;
/// Bodies above this are parsed off the async workers (`LARGE_MESSAGE_BYTES`).
pub const LARGE_BODY: usize = 256 * 1024;
/// `max_header_bytes` of both servers (the least the builder allows).
pub const MAX_HEAD: usize = 8 * 1024;
/// The runtime's default `max_json_depth`.
pub const MAX_DEPTH: usize = 64;
/// The runtime's default `max_argument_values`.
pub const MAX_VALUES: usize = 100_000;
/// hyper's default limit on the number of request headers.
const MAX_HEADERS: usize = 100;

/// Which of the two servers a request goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// Loopback default: Host must be a loopback name; one extra origin.
    Loopback,
    /// `allowed_hosts([])`: any Host; Origin only the one configured.
    AnyHost,
}

/// The DNS-rebinding policy of a server, as configured.
pub struct Policy {
    pub allowed_hosts: &'static [&'static str],
    pub allowed_origins: &'static [&'static str],
}

impl Which {
    pub fn policy(self) -> Policy {
        match self {
            Which::Loopback => Policy {
                allowed_hosts: &["localhost", "127.0.0.1", "[::1]"],
                allowed_origins: &["https://app.example.com"],
            },
            Which::AnyHost => Policy {
                allowed_hosts: &[],
                allowed_origins: &["http://LocalHost:3000"],
            },
        }
    }
}

pub struct Harness {
    rt: tokio::runtime::Runtime,
    addrs: [SocketAddr; 2],
    /// The in-process client of the loopback server's dispatcher, with the
    /// key the HTTP requests authenticate as.
    client: Client,
}

/// Both servers, started once per process on a multi-threaded runtime (as
/// `#[tokio::main]` would run them), so large bodies really move off the
/// async workers.
pub fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let build = |which: Which| {
            let policy = which.policy();
            let mut b = Server::builder("fuzz-http", "1.0.0")
                .api_key(ApiKey::new("fuzz", SECRET).expect("key"))
                .keys_from_env(false)
                .max_body_bytes(MAX_BODY)
                .max_header_bytes(MAX_HEAD)
                .header_read_timeout(Duration::from_secs(3))
                .body_read_timeout(Duration::from_secs(3))
                .allowed_origins(policy.allowed_origins.iter().copied());
            if which == Which::AnyHost {
                b = b.allowed_hosts(Vec::<String>::new());
            }
            b.build().expect("server")
        };
        let loopback = build(Which::Loopback);
        let client = loopback.client().as_key("fuzz", None);
        let any_host = build(Which::AnyHost);
        let addrs = rt.block_on(async {
            let mut addrs = Vec::new();
            for server in [loopback, any_host] {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                addrs.push(listener.local_addr().expect("addr"));
                tokio::spawn(async move {
                    server
                        .serve_listener(listener, std::future::pending())
                        .await
                        .expect("serve");
                });
            }
            [addrs[0], addrs[1]]
        });
        Harness { rt, addrs, client }
    })
}

// ------------------------------------------------------------------ rules

/// The host of an authority (`host[:port]`) by RFC 3986, lowercased: an
/// IPv6 literal in brackets (no zone, no IPvFuture), or a name or IPv4
/// address of letters, digits, `-` and `.`; a port of one to five digits
/// up to 65535; no user info. `None` for anything else. Written apart from
/// the runtime's `authority_host`, from the rule its comment states.
pub fn rfc3986_host(authority: &str) -> Option<String> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let close = rest.find(']')?;
            rest[..close].parse::<Ipv6Addr>().ok()?;
            (&authority[..close + 2], &rest[close + 1..])
        }
        None => match authority.find(':') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        },
    };
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|p| {
            (1..=5).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 65535)
        });
    let name_ok = host.starts_with('[')
        || (!host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    (port_ok && name_ok).then(|| host.to_ascii_lowercase())
}

/// The host of an `Origin`: `http` or `https` (any case), `://`, an authority.
pub fn origin_host(origin: &str) -> Option<String> {
    let (scheme, authority) = origin.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    rfc3986_host(authority)
}

/// Standard Base64 (RFC 4648 §4) with the padding required and the unused
/// bits zero; `None` for anything else.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    }
    let b = s.as_bytes();
    if b.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (i, quad) in b.chunks(4).enumerate() {
        let last = i + 1 == b.len() / 4;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = n << 6 | value(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // The bits a padded quad does not carry must be zero.
        if pad == 1 && bytes[2] != 0 || pad == 2 && (bytes[1] != 0 || bytes[2] != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// Standard Base64 with padding, for the generators.
pub fn base64_encode(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An `Mcp-Param-*` value: `=?base64?…?=` decoded (to UTF-8), else literal.
pub fn decode_param(v: &str) -> Option<String> {
    match v
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(b64) => String::from_utf8(base64_decode(b64)?).ok(),
        None => Some(v.to_owned()),
    }
}

/// What a header value is to `HeaderValue::to_str`: text when every byte is
/// visible ASCII, space or tab.
fn text(v: &[u8]) -> Option<&str> {
    v.iter()
        .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
        .then(|| std::str::from_utf8(v).expect("ASCII"))
}

/// Whether an `Accept` value admits JSON (first) and SSE (second).
fn accepts(accept: &str) -> (bool, bool) {
    let mut json = false;
    let mut sse = false;
    for range in accept.split(',') {
        let range = range
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match range.as_str() {
            "*/*" => return (true, true),
            "application/json" | "application/*" => json = true,
            "text/event-stream" | "text/*" => sse = true,
            _ => {}
        }
    }
    (json, sse)
}

/// Whether JSON text nests arrays and objects deeper than `limit` (strings skipped).
pub fn deeper_than(bytes: &[u8], limit: usize) -> bool {
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for &b in bytes {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

// ------------------------------------------------------------------ the request

/// How the server will find the end of the request body.
#[derive(Debug)]
pub enum Framing {
    /// The body it reads in full, and how many bytes follow it (pipelined).
    Exact {
        body: Vec<u8>,
        rest: usize,
        chunked: bool,
    },
    /// Declared longer than what is sent: the body ends early (EOF).
    Truncated,
    /// A chunked body outside the strict grammar this oracle models.
    Unknown,
}

/// What hyper does with the request's head.
#[derive(Debug)]
pub enum Head {
    /// Parsed: the request the router sees.
    Request(Box<Request>),
    /// Refused by hyper: 400, or 431 for a big head (`too_large`: only 431;
    /// `near_limit`: a head around hyper's 8 KiB buffer, either).
    Refused { too_large: bool, near_limit: bool },
    /// The head is not complete: the server waits (until the client closes).
    Partial,
}

/// A request as the router sees it.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub http10: bool,
    pub uri: axum::http::Uri,
    /// Lowercased names and raw values, in order, as hyper hands them on.
    pub headers: Vec<(String, Vec<u8>)>,
    pub framing: Framing,
    /// Whether hyper keeps the connection open after the response.
    pub keep_alive: bool,
    /// An `Upgrade` header or `CONNECT`: not modelled.
    pub upgrade: bool,
}

impl Request {
    fn all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The first value of a header, if text (as `header_str` reads it).
    pub fn first_text<'a>(&'a self, name: &str) -> Option<&'a str> {
        self.all(name).next().and_then(text)
    }

    pub fn has(&self, name: &str) -> bool {
        self.all(name).next().is_some()
    }
}

/// Comma-separated tokens of a header value, trimmed.
fn tokens(v: &[u8]) -> impl Iterator<Item = String> + '_ {
    String::from_utf8_lossy(v)
        .split(',')
        .map(|t| t.trim().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .into_iter()
}

/// A chunked body by the strict grammar: `HEX[;ext]CRLF data CRLF … 0[;ext]CRLF
/// (name: value CRLF)* CRLF`, at most 8 hex digits and 64 bytes of extension
/// per line. `Ok(Some((body, used)))` complete, `Ok(None)` incomplete,
/// `Err(())` outside the grammar.
pub fn dechunk(mut b: &[u8]) -> Result<Option<(Vec<u8>, usize)>, ()> {
    let total = b.len();
    let mut body = Vec::new();
    let line = |b: &[u8]| -> Result<Option<usize>, ()> {
        match b.windows(2).position(|w| w == b"\r\n") {
            Some(i) => Ok(Some(i)),
            None if b.len() > 200 => Err(()),
            None => Ok(None),
        }
    };
    loop {
        let Some(end) = line(b)? else { return Ok(None) };
        let l = &b[..end];
        let (size, ext) = match l.iter().position(|&c| c == b';') {
            Some(i) => (&l[..i], &l[i..]),
            None => (l, &l[l.len()..]),
        };
        if size.is_empty()
            || size.len() > 8
            || !size.iter().all(u8::is_ascii_hexdigit)
            || ext.len() > 64
            || ext.iter().any(|&c| c < 0x21 && c != b' ' || c == 0x7f)
        {
            return Err(());
        }
        let n = usize::from_str_radix(std::str::from_utf8(size).expect("hex"), 16).expect("hex");
        b = &b[end + 2..];
        if n == 0 {
            // Trailers, then the empty line.
            let mut fields = 0;
            loop {
                let Some(end) = line(b)? else { return Ok(None) };
                if end == 0 {
                    return Ok(Some((body, total - b.len() + 2)));
                }
                fields += 1;
                let l = &b[..end];
                let Some(colon) = l.iter().position(|&c| c == b':') else {
                    return Err(());
                };
                let name_ok = colon > 0
                    && l[..colon]
                        .iter()
                        .all(|c| c.is_ascii_alphanumeric() || *c == b'-');
                let value_ok = l[colon + 1..]
                    .iter()
                    .all(|&c| c == b' ' || (0x21..0x7f).contains(&c));
                if fields > 8 || !name_ok || !value_ok {
                    return Err(());
                }
                b = &b[end + 2..];
            }
        }
        if b.len() < n + 2 {
            return if b.len() >= n && b.len() > n && b[n] != b'\r' {
                Err(())
            } else {
                Ok(None)
            };
        }
        if &b[n..n + 2] != b"\r\n" {
            return Err(());
        }
        body.extend_from_slice(&b[..n]);
        b = &b[n + 2..];
    }
}

/// The request hyper reads from `bytes`, or how it refuses them.
pub fn parse_request(bytes: &[u8]) -> Head {
    // As many slots as hyper has: past the 100th header it stops with
    // "too many headers" (431) whatever follows.
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut slots);
    let head_len = match req.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            return if bytes.len() > MAX_HEAD + 512 {
                Head::Refused {
                    too_large: true,
                    near_limit: false,
                }
            } else if bytes.len() > MAX_HEAD - 512 {
                Head::Refused {
                    too_large: false,
                    near_limit: true,
                }
            } else {
                Head::Partial
            };
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Head::Refused {
                too_large: true,
                near_limit: false,
            };
        }
        // hyper reads at most 8 KiB of head: an error beyond is a head too large.
        Err(_) => {
            return Head::Refused {
                too_large: false,
                near_limit: bytes.len() > MAX_HEAD - 512,
            };
        }
    };
    if head_len > MAX_HEAD + 512 {
        return Head::Refused {
            too_large: true,
            near_limit: false,
        };
    }
    if head_len > MAX_HEAD - 512 {
        return Head::Refused {
            too_large: false,
            near_limit: true,
        };
    }
    let Ok(uri) = req.path.expect("complete").parse::<axum::http::Uri>() else {
        return Head::Refused {
            too_large: false,
            near_limit: false,
        };
    };
    let method = req.method.expect("complete").to_owned();
    let http10 = req.version == Some(0);
    // hyper's framing: Transfer-Encoding wins over (and removes)
    // Content-Length; differing lengths are refused; chunked must be last.
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    let (mut te, mut chunked, mut cl, mut saw_cl) = (false, false, None::<u64>, false);
    let mut close = false;
    let mut upgrade = method == "CONNECT";
    for h in req.headers.iter() {
        let name = h.name.to_ascii_lowercase();
        match name.as_str() {
            "transfer-encoding" => {
                if http10 {
                    return Head::Refused {
                        too_large: false,
                        near_limit: false,
                    };
                }
                te = true;
                if saw_cl && cl.take().is_some() {
                    headers.retain(|(n, _)| n != "content-length");
                }
                chunked = std::str::from_utf8(h.value)
                    .ok()
                    .and_then(|s| s.rsplit(',').next())
                    .is_some_and(|e| e.trim().eq_ignore_ascii_case("chunked"));
            }
            "content-length" => {
                saw_cl = true;
                if te {
                    continue;
                }
                let digits = !h.value.is_empty() && h.value.iter().all(u8::is_ascii_digit);
                let Some(n) = digits
                    .then(|| std::str::from_utf8(h.value).ok()?.parse::<u64>().ok())
                    .flatten()
                    .filter(|&n| n < u64::MAX - 1)
                else {
                    return Head::Refused {
                        too_large: false,
                        near_limit: false,
                    };
                };
                match cl {
                    Some(prev) if prev != n => {
                        return Head::Refused {
                            too_large: false,
                            near_limit: false,
                        };
                    }
                    Some(_) => continue,
                    None => cl = Some(n),
                }
            }
            "connection" => close |= tokens(h.value).any(|t| t == "close"),
            "upgrade" => upgrade |= !http10,
            _ => {}
        }
        headers.push((name, h.value.to_vec()));
    }
    if te && !chunked {
        return Head::Refused {
            too_large: false,
            near_limit: false,
        };
    }
    let keep_alive = !close
        && !(te && saw_cl)
        && (!http10
            || headers
                .iter()
                .any(|(n, v)| n == "connection" && tokens(v).any(|t| t == "keep-alive")));
    let after = &bytes[head_len..];
    let framing = if chunked {
        match dechunk(after) {
            Ok(Some((body, used))) => Framing::Exact {
                body,
                rest: after.len() - used,
                chunked: true,
            },
            Ok(None) => Framing::Truncated,
            Err(()) => Framing::Unknown,
        }
    } else {
        let n = cl.unwrap_or(0);
        if (after.len() as u64) < n {
            Framing::Truncated
        } else {
            let n = n as usize;
            Framing::Exact {
                body: after[..n].to_vec(),
                rest: after.len() - n,
                chunked: false,
            }
        }
    };
    Head::Request(Box::new(Request {
        method,
        http10,
        uri,
        headers,
        framing,
        keep_alive,
        upgrade,
    }))
}

/// What the router must answer.
#[derive(Debug)]
pub enum Expect {
    /// A refusal of the transport: this status and JSON-RPC code, with a
    /// message containing the text.
    Refusal(u16, i64, &'static str),
    /// `/healthz`.
    Health,
    /// No route (404) or a method `/healthz` does not take (405): empty.
    Empty(u16),
    /// The body goes to the dispatcher; `sse`: the client accepts SSE.
    Dispatch { sse: bool },
}

/// What the rules in `transport/http.rs` say of a request.
pub fn expect(req: &Request, which: Which) -> Expect {
    let path = req.uri.path();
    if path == "/healthz" {
        return match req.method.as_str() {
            "GET" | "HEAD" => Expect::Health,
            _ => Expect::Empty(405),
        };
    }
    if path != "/mcp" {
        return Expect::Empty(404);
    }
    let policy = which.policy();
    // Host, then Origin: each at most once, and text.
    for name in ["host", "origin"] {
        let mut values = req.all(name);
        let first = values.next();
        if values.next().is_some() {
            return Expect::Refusal(400, -32600, "more than one");
        }
        if first.is_some_and(|v| text(v).is_none()) {
            return Expect::Refusal(400, -32600, "is not text");
        }
    }
    let host = req.first_text("host");
    let target = req.uri.authority().map(|a| a.as_str());
    if let (Some(h), Some(t)) = (host, target)
        && !h.eq_ignore_ascii_case(t)
    {
        return Expect::Refusal(400, -32600, "name different hosts");
    }
    let host = host.or(target);
    let allowed_host = |h: &str| {
        policy
            .allowed_hosts
            .iter()
            .any(|a| a.eq_ignore_ascii_case(h))
    };
    if !policy.allowed_hosts.is_empty()
        && !host
            .and_then(rfc3986_host)
            .is_some_and(|h| allowed_host(&h))
    {
        return Expect::Refusal(403, -32600, "Host header not allowed");
    }
    if let Some(o) = req.first_text("origin") {
        let allowed = policy
            .allowed_origins
            .iter()
            .any(|a| a.eq_ignore_ascii_case(o))
            || origin_host(o).is_some_and(|h| allowed_host(&h));
        if !allowed {
            return Expect::Refusal(403, -32600, "Origin not allowed");
        }
    }
    if req.method != "POST" {
        return Expect::Refusal(405, -32600, "method not allowed");
    }
    match req.all("authorization").next() {
        None => return Expect::Refusal(401, -32001, "send `Authorization"),
        Some(v) => match text(v) {
            None => return Expect::Refusal(401, -32001, "not valid"),
            Some(v) => match v.split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                    if token.trim() != SECRET {
                        return Expect::Refusal(401, -32001, "not valid");
                    }
                }
                _ => return Expect::Refusal(401, -32001, "send `Authorization"),
            },
        },
    }
    let ctype = req.first_text("content-type").unwrap_or("");
    if !ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/json")
    {
        return Expect::Refusal(415, -32600, "unsupported media type");
    }
    let (json, sse) = accepts(req.first_text("accept").unwrap_or("*/*"));
    if !json {
        return Expect::Refusal(406, -32600, "not acceptable");
    }
    if req
        .first_text("content-length")
        .and_then(|l| l.parse::<usize>().ok())
        .is_some_and(|l| l > MAX_BODY)
    {
        return Expect::Refusal(413, -32600, "payload too large");
    }
    match &req.framing {
        Framing::Exact { body, .. } if body.len() > MAX_BODY => {
            return Expect::Refusal(413, -32600, "payload too large");
        }
        Framing::Exact { body, .. } if deeper_than(body, MAX_DEPTH) => {
            return Expect::Refusal(400, -32600, "nested deeper than 64");
        }
        _ => {}
    }
    Expect::Dispatch { sse }
}

// ------------------------------------------------------------------ the MCP headers

/// The MCP headers as the transport reads them: the first value if text,
/// trimmed; every text `Mcp-Param-*` value, trimmed, in order.
struct Mcp<'r> {
    version: Option<&'r str>,
    method: Option<&'r str>,
    name: Option<&'r str>,
    params: Vec<(String, &'r str)>,
}

impl<'r> Mcp<'r> {
    fn of(req: &'r Request) -> Mcp<'r> {
        Mcp {
            version: req.first_text("mcp-protocol-version").map(str::trim),
            method: req.first_text("mcp-method").map(str::trim),
            name: req.first_text("mcp-name").map(str::trim),
            params: req
                .headers
                .iter()
                .filter_map(|(n, v)| {
                    Some((n.strip_prefix("mcp-param-")?.to_owned(), text(v)?.trim()))
                })
                .collect(),
        }
    }
}

const VERSIONS: [&str; 5] = [
    "2026-07-28",
    "2025-11-25",
    "2025-06-18",
    "2025-03-26",
    "2024-11-05",
];
const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPS: &str = "io.modelcontextprotocol/clientCapabilities";

/// The tools with `x-mcp-header` arguments: (tool, argument, header).
pub const HEADER_PARAMS: &[(&str, &str, &str)] = &[
    ("region", "dry_run", "Dry-Run"),
    ("region", "region", "Region"),
    ("region", "zone", "Zone"),
];

/// Whether a JSON text parses with no duplicate key in any object and
/// every string decodable: what this oracle reads exactly.
fn clean_json(text: &[u8]) -> bool {
    struct Strict;
    impl<'de> serde::Deserialize<'de> for Strict {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Strict;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("JSON")
                }
                fn visit_bool<E>(self, _: bool) -> Result<Strict, E> {
                    Ok(Strict)
                }
                fn visit_i64<E>(self, _: i64) -> Result<Strict, E> {
                    Ok(Strict)
                }
                fn visit_u64<E>(self, _: u64) -> Result<Strict, E> {
                    Ok(Strict)
                }
                fn visit_f64<E>(self, _: f64) -> Result<Strict, E> {
                    Ok(Strict)
                }
                fn visit_str<E>(self, _: &str) -> Result<Strict, E> {
                    Ok(Strict)
                }
                fn visit_unit<E>(self) -> Result<Strict, E> {
                    Ok(Strict)
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut s: A,
                ) -> Result<Strict, A::Error> {
                    while s.next_element::<Strict>()?.is_some() {}
                    Ok(Strict)
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut m: A,
                ) -> Result<Strict, A::Error> {
                    let mut seen = std::collections::HashSet::new();
                    while let Some(k) = m.next_key::<String>()? {
                        if !seen.insert(k) {
                            return Err(serde::de::Error::custom("duplicate key"));
                        }
                        m.next_value::<Strict>()?;
                    }
                    Ok(Strict)
                }
            }
            d.deserialize_any(V)
        }
    }
    serde_json::from_slice::<Strict>(text).is_ok()
}

/// The JSON-RPC error code the MCP headers must cause for a body, if any:
/// `Some(Some(code))` that error, `Some(None)` no error of theirs (the
/// answer is the dispatcher's to the body alone), `None` when the body is
/// not one this oracle reads exactly (duplicate keys, not an object, …).
fn header_error(body: &[u8], mcp: &Mcp<'_>) -> Option<Option<i64>> {
    if !clean_json(body) {
        return None;
    }
    let msg: Value = serde_json::from_slice(body).ok()?;
    let msg = msg.as_object()?;
    if msg.get("jsonrpc") != Some(&Value::from("2.0")) {
        return None;
    }
    let unknown_header = mcp.version.filter(|v| !VERSIONS.contains(v));
    let Some(method) = msg.get("method") else {
        // A client response: only an unknown version header is refused.
        let response = msg.contains_key("result") || msg.contains_key("error");
        return response.then_some(unknown_header.map(|_| -32022));
    };
    let method = method.as_str()?;
    let params = match msg.get("params") {
        None => None,
        Some(Value::Object(p)) => Some(p),
        Some(_) => return None,
    };
    let Some(id) = msg.get("id") else {
        return Some(unknown_header.map(|_| -32022));
    };
    if !(id.is_string() || id.is_i64() || id.is_u64()) {
        return None;
    }
    // The parse refuses a `tools/call` without params or a string `name`
    // before any header is looked at.
    if method == "tools/call"
        && !params
            .and_then(|p| p.get("name"))
            .is_some_and(Value::is_string)
    {
        return Some(None);
    }
    let meta = params.and_then(|p| p.get("_meta")).filter(|m| !m.is_null());
    let meta_get = |k: &str| meta.and_then(|m| m.get(k));
    // `era::negotiate`, in the order the 2026-07-28 revision gives.
    let meta_version = meta_get(META_VERSION);
    let stateless =
        meta_version.is_some() || mcp.version == Some(VERSIONS[0]) || method == "server/discover";
    if !stateless {
        return Some(unknown_header.map(|_| -32022));
    }
    let Some(Value::String(version)) = meta_version else {
        return Some(Some(-32602));
    };
    let handshake_in_meta = VERSIONS[1..].contains(&version.as_str());
    if !handshake_in_meta && !meta_get(META_CAPS).is_some_and(Value::is_object) {
        return Some(Some(-32602));
    }
    if mcp.version != Some(version.as_str()) {
        return Some(Some(-32020));
    }
    if !VERSIONS.contains(&version.as_str()) {
        return Some(Some(-32022));
    }
    if handshake_in_meta {
        return Some(None);
    }
    if mcp.method != Some(method) {
        return Some(Some(-32020));
    }
    if method != "tools/call" {
        return Some(None);
    }
    // `tools/call` in the stateless era: Mcp-Name, then (for a known tool with
    // arguments that are an object) the Mcp-Param-* headers.
    let Some(name) = params.and_then(|p| p.get("name")).and_then(Value::as_str) else {
        return Some(None);
    };
    if mcp.name != Some(name) {
        return Some(Some(-32020));
    }
    let empty = Map::new();
    let args = match params.and_then(|p| p.get("arguments")) {
        None => &empty,
        Some(Value::Object(a)) => a,
        Some(_) => return Some(None),
    };
    if serde_json::to_vec(&Value::Object(args.clone())).is_ok_and(|t| count_values(&t) > MAX_VALUES)
    {
        return Some(None);
    }
    for (_, prop, header) in HEADER_PARAMS.iter().filter(|(t, _, _)| *t == name) {
        let sent = mcp
            .params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(header))
            .map(|(_, v)| *v);
        let arg = match args.get(*prop) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
            Some(_) => None,
        };
        let ok = match (sent, arg) {
            (None, None) => true,
            (Some(h), Some(a)) => decode_param(h).is_some_and(|d| d == a),
            _ => false,
        };
        if !ok {
            return Some(Some(-32020));
        }
    }
    Some(None)
}

/// Values in a JSON text (objects, arrays, their items, scalars), as
/// `max_argument_values` counts them.
pub fn count_values(text: &[u8]) -> usize {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(m) => m.values().map(count).sum(),
            _ => 0,
        }
    }
    serde_json::from_slice::<Value>(text).map_or(0, |v| count(&v))
}

// ------------------------------------------------------------------ the wire

/// One HTTP response as read from the socket.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|c| tokens(c.as_bytes()).any(|t| t == "close"))
    }
}

/// What reading a response gave.
enum Read1 {
    Response(Response),
    /// The server closed (or reset) the connection before a response began.
    Closed,
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    eof: bool,
}

impl Conn {
    fn fill(&mut self) -> Result<bool, String> {
        if self.eof {
            return Ok(false);
        }
        let mut chunk = [0u8; 16384];
        // A signal (libFuzzer's timers) can interrupt the blocking read:
        // that is no answer from the server, read again.
        let got = loop {
            match self.stream.read(&mut chunk) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                got => break got,
            }
        };
        match got {
            Ok(0) => {
                self.eof = true;
                Ok(false)
            }
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(true)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                ) =>
            {
                self.eof = true;
                Ok(false)
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Err("no response within 10 s".to_owned())
            }
            Err(e) => Err(format!("read: {e}")),
        }
    }

    /// Read one response (1xx skipped); `head_only`: the request was HEAD.
    fn read(&mut self, head_only: bool) -> Result<Read1, String> {
        loop {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            let mut resp = httparse::Response::new(&mut slots);
            let parsed = resp
                .parse(&self.buf)
                .map_err(|e| format!("not an HTTP response ({e}): {}", lossy(&self.buf)))?;
            let httparse::Status::Complete(head_len) = parsed else {
                if !self.fill()? {
                    if self.buf.is_empty() {
                        return Ok(Read1::Closed);
                    }
                    return Err(format!("a response cut short: {}", lossy(&self.buf)));
                }
                continue;
            };
            let status = resp.code.expect("complete");
            let headers: Vec<(String, Vec<u8>)> = resp
                .headers
                .iter()
                .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
                .collect();
            let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
            if (100..200).contains(&status) {
                self.buf.drain(..head_len);
                continue;
            }
            let no_body = head_only || status == 204 || status == 304;
            let te = get("transfer-encoding");
            let cl = get("content-length");
            let body = if no_body {
                self.buf.drain(..head_len);
                Vec::new()
            } else if let Some(te) = te {
                if !tokens(&te).any(|t| t == "chunked") {
                    return Err(format!("response transfer-encoding {}", lossy(&te)));
                }
                loop {
                    match dechunk(&self.buf[head_len..]) {
                        Ok(Some((body, used))) => {
                            self.buf.drain(..head_len + used);
                            break body;
                        }
                        Ok(None) => {
                            if !self.fill()? {
                                return Err(format!(
                                    "a chunked response cut short: {}",
                                    lossy(&self.buf)
                                ));
                            }
                        }
                        Err(()) => {
                            return Err(format!("a bad chunked response: {}", lossy(&self.buf)));
                        }
                    }
                }
            } else if let Some(cl) = cl {
                let n: usize = std::str::from_utf8(&cl)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| format!("response content-length {}", lossy(&cl)))?;
                while self.buf.len() < head_len + n {
                    if !self.fill()? {
                        return Err(format!(
                            "a response shorter than its length: {}",
                            lossy(&self.buf)
                        ));
                    }
                }
                let body = self.buf[head_len..head_len + n].to_vec();
                self.buf.drain(..head_len + n);
                body
            } else {
                // Delimited by the end of the connection (HTTP/1.0).
                while self.fill()? {}
                let body = self.buf[head_len..].to_vec();
                self.buf.clear();
                body
            };
            return Ok(Read1::Response(Response {
                status,
                headers,
                body,
            }));
        }
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let mut tries = 0;
    loop {
        match TcpStream::connect(addr) {
            Ok(s) => {
                s.set_nodelay(true).expect("nodelay");
                s.set_read_timeout(Some(Duration::from_secs(10)))
                    .expect("timeout");
                s.set_write_timeout(Some(Duration::from_secs(10)))
                    .expect("timeout");
                return s;
            }
            // Out of ephemeral ports for a moment: wait and retry.
            Err(e) if tries < 100 && e.kind() == ErrorKind::AddrNotAvailable => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("connect to the server: {e}"),
        }
    }
}

/// A ping sent after the first answer on the same connection.
fn follow_up() -> Vec<u8> {
    let body = r#"{"jsonrpc":"2.0","id":"follow-up","method":"ping"}"#;
    format!(
        "POST /mcp HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {SECRET}\r\n\
         Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
const FOLLOW_UP_ANSWER: &[u8] = br#"{"jsonrpc":"2.0","id":"follow-up","result":{}}"#;

/// Statistics, with `MCP_FUZZ_STATS` set: one `outcome:` line per input.
pub fn stat(outcome: &str) {
    static ON: OnceLock<bool> = OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("MCP_FUZZ_STATS").is_some()) {
        eprintln!("outcome: {outcome}");
    }
}

/// Send `bytes` to a server as one connection's input and check every answer.
pub fn exchange(bytes: &[u8], which: Which) {
    let h = harness();
    let head = parse_request(bytes);
    if std::env::var_os("MCP_FUZZ_DEBUG").is_some() {
        eprintln!("parsed: {head:?}");
    }
    let addr = h.addrs[match which {
        Which::Loopback => 0,
        Which::AnyHost => 1,
    }];
    let mut conn = Conn {
        stream: connect(addr),
        buf: Vec::new(),
        eof: false,
    };
    let ctx = || format!("request ({which:?}): {}", lossy(bytes));
    // Answers to HEAD have no body.
    let heads = heads(bytes);
    // A server that answers before reading all of a big body may close the
    // connection meanwhile: a failed write is not an error, the answer is.
    let _ = conn.stream.write_all(bytes);
    let req = match head {
        Head::Refused {
            near_limit: true, ..
        } => {
            // Around hyper's 8 KiB head buffer: refused (400 or 431) or served.
            let _ = conn.stream.shutdown(Shutdown::Write);
            drain(&mut conn, &heads, &ctx);
            stat("head-near-limit");
            return;
        }
        Head::Refused { too_large, .. } => {
            let _ = conn.stream.shutdown(Shutdown::Write);
            match conn
                .read(false)
                .unwrap_or_else(|e| panic!("{e}\n{}", ctx()))
            {
                Read1::Closed => {}
                Read1::Response(r) => {
                    let ok = if too_large { 431 } else { 400 };
                    assert_eq!(r.status, ok, "hyper refused with {}: {}", r.status, ctx());
                    assert!(r.body.is_empty(), "a body in hyper's refusal: {}", ctx());
                }
            }
            stat(if too_large { "hyper-431" } else { "hyper-400" });
            return;
        }
        Head::Partial => {
            let _ = conn.stream.shutdown(Shutdown::Write);
            drain(&mut conn, &heads, &ctx);
            stat("partial-head");
            return;
        }
        Head::Request(req) => req,
    };
    if req.upgrade {
        let _ = conn.stream.shutdown(Shutdown::Write);
        drain(&mut conn, &heads, &ctx);
        stat("upgrade");
        return;
    }
    let expected = expect(&req, which);
    if std::env::var_os("MCP_FUZZ_STATS").is_some() {
        let tags = [
            (req.uri.authority().is_some(), "absolute-target"),
            (req.all("host").count() > 1, "hosts>1"),
            (req.all("origin").count() > 0, "origin"),
            (req.all("origin").count() > 1, "origins>1"),
            (
                matches!(req.framing, Framing::Exact { chunked: true, .. }),
                "chunked",
            ),
            (
                matches!(&req.framing, Framing::Exact { body, .. } if body.len() > LARGE_BODY),
                "body>256KiB",
            ),
            (
                req.headers
                    .iter()
                    .any(|(n, v)| n.starts_with("mcp-param-") && v.starts_with(b"=?base64?")),
                "param-base64",
            ),
        ];
        for (on, tag) in tags {
            if on {
                stat(&format!(
                    "{tag} {}",
                    match expected {
                        Expect::Dispatch { .. } => "dispatched",
                        _ => "refused",
                    }
                ));
            }
        }
    }
    let head_only = req.method == "HEAD";
    let (body, rest) = match &req.framing {
        Framing::Exact { body, rest, .. } => (Some(body), *rest),
        Framing::Unknown if matches!(expected, Expect::Dispatch { .. }) => {
            // hyper's chunked decoder is more lenient than the grammar here:
            // whatever it makes of the body, the answers must be well-formed.
            let _ = conn.stream.shutdown(Shutdown::Write);
            drain(&mut conn, &heads, &ctx);
            stat("chunked-unmodelled");
            return;
        }
        _ => {
            // The server sees the end of the input before the end of the body.
            let _ = conn.stream.shutdown(Shutdown::Write);
            (None, 0)
        }
    };
    let first = conn
        .read(head_only)
        .unwrap_or_else(|e| panic!("{e}\n{}", ctx()));
    let resp = match first {
        Read1::Response(r) => r,
        Read1::Closed => {
            // Only a body that never ended may go unanswered.
            assert!(
                body.is_none(),
                "the connection closed without an answer: {}",
                ctx()
            );
            stat("closed");
            return;
        }
    };
    let body_read = check_response(
        &req,
        &expected,
        body.map(Vec::as_slice),
        &resp,
        head_only,
        &ctx,
    );
    if body.is_none() || rest > 0 {
        // What follows is not a request this oracle models: any answers to
        // it must still be well-formed HTTP.
        let _ = conn.stream.shutdown(Shutdown::Write);
        drain(&mut conn, heads.get(1..).unwrap_or(&[]), &ctx);
        return;
    }
    // The same connection again: it must be ready for the next request
    // (unless either side said it closes, or the server left part of the
    // body unread and so may close).
    let _ = conn.stream.write_all(&follow_up());
    let must_answer = req.keep_alive && !resp.closes() && body_read;
    match conn
        .read(false)
        .unwrap_or_else(|e| panic!("follow-up: {e}\n{}", ctx()))
    {
        Read1::Closed => assert!(
            !must_answer,
            "closed instead of answering the next request: {}",
            ctx()
        ),
        Read1::Response(r) => {
            assert_eq!(r.status, 200, "follow-up: {}\n{}", lossy(&r.body), ctx());
            assert_eq!(
                r.body,
                FOLLOW_UP_ANSWER,
                "follow-up answer: {}\n{}",
                lossy(&r.body),
                ctx()
            );
        }
    }
}

/// Whether each request of an input is HEAD, in order, as far as they can be
/// told apart (requests pipelined after one whose end is known).
fn heads(bytes: &[u8]) -> Vec<bool> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() && out.len() < 64 {
        let Head::Request(req) = parse_request(rest) else {
            out.push(rest.starts_with(b"HEAD "));
            break;
        };
        out.push(req.method == "HEAD");
        match req.framing {
            Framing::Exact { rest: n, .. } if n < rest.len() => rest = &rest[rest.len() - n..],
            _ => break,
        }
    }
    out
}

/// Read (and check the form of) every further response until the server
/// closes; `heads`: whether the requests they answer are HEAD.
fn drain(conn: &mut Conn, heads: &[bool], ctx: &dyn Fn() -> String) {
    for i in 0..64 {
        match conn
            .read(heads.get(i).copied().unwrap_or(false))
            .unwrap_or_else(|e| panic!("{e}\n{}", ctx()))
        {
            Read1::Closed => return,
            Read1::Response(r) => assert!(
                (200..600).contains(&r.status),
                "status {}: {}",
                r.status,
                ctx()
            ),
        }
    }
    panic!("more than 64 answers: {}", ctx());
}

/// A JSON-RPC error with a null id (a transport refusal), valid by the schema.
fn check_refusal(body: &[u8], code: i64, needle: &str, ctx: &dyn Fn() -> String) {
    let v: Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("refusal not JSON ({e}): {}", ctx()));
    assert_eq!(v["jsonrpc"], "2.0", "{v}\n{}", ctx());
    assert!(
        v.get("id").is_some_and(Value::is_null),
        "refusal id: {v}\n{}",
        ctx()
    );
    assert_eq!(v["error"]["code"], code, "refusal code: {v}\n{}", ctx());
    let message = v["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains(needle),
        "refusal message, wanted `{needle}`: {v}\n{}",
        ctx()
    );
    crate::check_reply(b"null", Some(body));
}

/// Check the answer to a request the oracle models; returns whether the
/// server read the whole body (so the connection must stay usable).
fn check_response(
    req: &Request,
    expected: &Expect,
    body: Option<&[u8]>,
    resp: &Response,
    head_only: bool,
    ctx: &dyn Fn() -> String,
) -> bool {
    let ctype = resp.header("content-type").unwrap_or("");
    match (expected, body) {
        (Expect::Health, _) => {
            assert_eq!(resp.status, 200, "{}", ctx());
            if !head_only {
                assert_eq!(resp.body, br#"{"status":"ok"}"#, "{}", ctx());
            }
            stat("healthz");
            body.is_some_and(<[u8]>::is_empty)
        }
        (Expect::Empty(status), _) => {
            assert_eq!(resp.status, *status, "{}: {}", lossy(&resp.body), ctx());
            assert!(resp.body.is_empty(), "{}: {}", lossy(&resp.body), ctx());
            stat(&format!("route-{status}"));
            body.is_some_and(<[u8]>::is_empty)
        }
        (Expect::Refusal(status, code, needle), _) => {
            // Every refusal but size and depth comes before the body is read,
            // so it is the answer whether or not the body ever ends.
            assert_eq!(
                resp.status,
                *status,
                "wanted {status} `{needle}`, got: {}\n{}",
                lossy(&resp.body),
                ctx()
            );
            if !head_only {
                assert_eq!(ctype, "application/json", "{}", ctx());
                check_refusal(&resp.body, *code, needle, ctx);
            }
            match *status {
                401 => assert!(
                    resp.header("www-authenticate").is_some(),
                    "401 without WWW-Authenticate: {}",
                    ctx()
                ),
                405 => assert_eq!(
                    resp.header("allow"),
                    Some("POST"),
                    "405 without Allow: {}",
                    ctx()
                ),
                _ => {}
            }
            stat(&format!("refused-{status}"));
            body.is_some_and(<[u8]>::is_empty) || *needle == "nested deeper than 64"
        }
        (Expect::Dispatch { .. }, None) => {
            // The body never ended: 400 (could not be read in full), or 413
            // once more than the limit arrived.
            assert!(
                [400, 413].contains(&resp.status),
                "{} to a truncated body: {}",
                resp.status,
                ctx()
            );
            check_refusal(&resp.body, -32600, "", ctx);
            stat("truncated");
            false
        }
        (Expect::Dispatch { sse }, Some(body)) => {
            check_dispatch(req, body, *sse, resp, ctx);
            true
        }
    }
}

/// The events of an SSE answer: notifications, then the response last.
fn sse_messages(body: &[u8], ctx: &dyn Fn() -> String) -> Vec<Vec<u8>> {
    let text = std::str::from_utf8(body).unwrap_or_else(|_| panic!("SSE not UTF-8: {}", ctx()));
    let events: Vec<&str> = text.split("\n\n").collect();
    assert_eq!(
        events.last(),
        Some(&""),
        "SSE does not end with an empty line: {text}\n{}",
        ctx()
    );
    events[..events.len() - 1]
        .iter()
        .map(|ev| {
            let data = ev
                .strip_prefix("event: message\ndata: ")
                .unwrap_or_else(|| panic!("SSE event {ev:?}: {}", ctx()));
            assert!(
                !data.contains('\n'),
                "SSE data over lines: {ev:?}\n{}",
                ctx()
            );
            data.as_bytes().to_vec()
        })
        .collect()
}

fn check_dispatch(
    req: &Request,
    body: &[u8],
    sse: bool,
    resp: &Response,
    ctx: &dyn Fn() -> String,
) {
    let h = harness();
    let reference = h.rt.block_on(h.client.send_bytes(body));
    let mcp = Mcp::of(req);
    let predicted = header_error(body, &mcp);
    let ctype = resp.header("content-type").unwrap_or("");
    let answer: Option<Vec<u8>> = match resp.status {
        202 => {
            assert!(resp.body.is_empty(), "202 with a body: {}", ctx());
            None
        }
        _ if ctype == "text/event-stream" => {
            stat("sse");
            assert!(sse, "SSE to a client that does not accept it: {}", ctx());
            assert_eq!(resp.status, 200, "{}", ctx());
            let mut messages = sse_messages(&resp.body, ctx);
            let last = messages
                .pop()
                .unwrap_or_else(|| panic!("an empty SSE answer: {}", ctx()));
            for n in &messages {
                crate::check_notification(n);
            }
            Some(last)
        }
        _ => {
            assert_eq!(
                ctype,
                "application/json",
                "status {}: {}",
                resp.status,
                ctx()
            );
            Some(resp.body.clone())
        }
    };
    check_reply(body, answer.as_deref());
    let code = answer.as_deref().and_then(|a| {
        let v: Value = serde_json::from_slice(a).ok()?;
        v["error"]["code"].as_i64()
    });
    // The status goes with the answer.
    let statuses: &[u16] = match (&answer, code) {
        (None, _) => &[202],
        (Some(_), None) => &[200],
        (Some(_), Some(-32700 | -32600 | -32020 | -32021 | -32022)) => &[400],
        (Some(_), Some(-32603)) => &[500],
        (Some(_), Some(-32602)) => &[200, 400],
        (Some(_), Some(-32601)) => &[200, 404],
        (Some(_), Some(_)) => &[200],
    };
    assert!(
        statuses.contains(&resp.status),
        "status {} for error {code:?}: {}",
        resp.status,
        ctx()
    );
    let same = answer == reference;
    match predicted {
        Some(Some(want)) => {
            assert_eq!(
                code,
                Some(want),
                "the MCP headers must give {want}: {}\n{}",
                answer.as_deref().map(lossy).unwrap_or_default(),
                ctx()
            );
            stat(&format!("header-error-{want}"));
        }
        Some(None) => {
            assert!(
                same,
                "HTTP and in-process answers differ:\nHTTP:       {}\nin-process: {}\n{}",
                answer.as_deref().map(lossy).unwrap_or_default(),
                reference.as_deref().map(lossy).unwrap_or_default(),
                ctx()
            );
            stat(if answer.is_none() {
                "dispatch-accepted"
            } else if code.is_some() {
                "dispatch-error"
            } else {
                "dispatch-ok"
            });
        }
        None => {
            // A body read only in part by this oracle: the same answer, or one the headers caused.
            assert!(
                same
                    || matches!(code, Some(-32020 | -32022))
                    // The stateless version header alone calls for `_meta`.
                    || (code == Some(-32602) && mcp.version == Some(VERSIONS[0])),
                "HTTP and in-process answers differ:\nHTTP:       {}\nin-process: {}\n{}",
                answer.as_deref().map(lossy).unwrap_or_default(),
                reference.as_deref().map(lossy).unwrap_or_default(),
                ctx()
            );
            stat("dispatch-unmodelled");
        }
    }
}
