#![no_main]
//! Structured HTTP requests to a real server on a loopback socket (as
//! `http_raw`, which the oracle in `mcp_fuzz::http` is shared with): the
//! generator builds the request from parts biased towards what the rules
//! distinguish, and writes it as bytes.
//!
//! - any number of `Host` and `Origin` headers: loopback names in every
//!   case, with ports good and bad (`+80`, `99999`, empty), the forms the
//!   rules refuse (`[::1].evil`, `user@localhost`, zones, `evil.com:80:80`),
//!   non-text bytes, and origins by scheme, host and path;
//! - origin-form and absolute-form targets (`http://localhost:8080/mcp`),
//!   whose authority must agree with `Host`;
//! - bearer keys in every spelling, content types, `Accept` values;
//! - MCP headers: `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` right,
//!   wrong or missing, and `Mcp-Param-Region`/`-Zone`/`-Dry-Run` with the
//!   body's value plain or as `=?base64?…?=`, badly padded, non-canonical,
//!   URL-safe, not UTF-8, in another case, several times;
//! - bodies: `tools/call` of `echo`, `region` (header arguments) and
//!   `notify` (SSE), other methods, both eras' `_meta`, arrays near the
//!   100,000-value cap, padding past the 256 KiB large-message threshold
//!   and the 320 KiB limit, raw bytes;
//! - framing: `Content-Length`, none, chunked (sizes, extensions, trailers,
//!   upper-case hex), both, twice, too short, too long, truncated chunks,
//!   `Transfer-Encoding` that is not chunked, HTTP/1.0; `Connection: close`,
//!   `Expect: 100-continue`, big heads.

use std::fmt::Write as _;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mcp_fuzz::http::{MAX_BODY, MAX_VALUES, SECRET, Which, base64_encode, exchange};

include!("http_tools.rs");

// ------------------------------------------------------------------ the input

#[derive(Arbitrary, Debug)]
struct Input {
    any_host: bool,
    verb: Verb,
    version: Ver,
    target: Target,
    hosts: Headers<HostV>,
    origins: Headers<OriginV>,
    auth: Headers<Auth>,
    ctype: Headers<Ctype>,
    accept: Headers<AcceptV>,
    version_h: Headers<VersionV>,
    method_h: Headers<NameV>,
    name_h: Headers<NameV>,
    params: Headers<(ParamN, ParamV)>,
    extras: Vec<Extra>,
    shuffle: u32,
    body: Body,
    pad: Pad,
    framing: Frame,
}

/// The headers of one name. `Auto`, what an input short of bytes gets, is
/// what a well-behaved client sends (one `Host: localhost`, the key, JSON,
/// both media types, the MCP headers the body calls for, no `Origin`), so
/// that short inputs reach the dispatcher too; `None` sends none.
#[derive(Arbitrary, Debug)]
enum Headers<T> {
    Auto,
    None,
    List(Vec<T>),
}

#[derive(Arbitrary, Debug)]
enum Verb {
    Post,
    Post2,
    Post3,
    Get,
    Head,
    Put,
    Options,
    Lower,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Ver {
    V11,
    V11b,
    V11c,
    V10,
}

#[derive(Arbitrary, Debug)]
enum Target {
    Path(PathV),
    Path2(PathV),
    Absolute(Scheme, HostV, PathV),
    Star,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum PathV {
    Mcp,
    Mcp2,
    Mcp3,
    Mcp4,
    Mcp5,
    Query,
    Upper,
    Slash,
    Health,
    Root,
    Nope,
    Encoded,
    Double,
    Params,
}

#[derive(Arbitrary, Debug)]
enum Scheme {
    Http,
    Https,
    Upper,
    Ftp,
}

#[derive(Arbitrary, Debug)]
enum HostV {
    Name(Known),
    Port(Known, Port),
    Weird(u8),
    Raw(String),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Known {
    Localhost,
    Upper,
    V4,
    V6,
    Evil,
    App,
    Empty,
    Dot,
    Mapped,
}

#[derive(Arbitrary, Debug)]
enum Port {
    Num(u16),
    Odd(u8),
}

#[derive(Arbitrary, Debug)]
enum OriginV {
    Known(u8),
    Compose(u8, HostV, bool),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Auth {
    Good,
    Lower,
    Upper,
    Spaces,
    Tab,
    Wrong,
    Basic,
    Empty,
    BearerOnly,
    NotText,
}

#[derive(Arbitrary, Debug)]
enum Ctype {
    Json,
    Charset,
    Upper,
    Spaced,
    Plain,
    Patch,
    Jsonx,
    Empty,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum AcceptV {
    Both,
    Json,
    Sse,
    Any,
    AppAny,
    Mixed,
    Xml,
    Empty,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum VersionV {
    Stateless,
    Meta,
    Handshake(u8),
    Unknown,
    Spaced,
    NotText,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum NameV {
    Right,
    Right2,
    Upper,
    Spaced,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum ParamN {
    Region,
    Zone,
    DryRun,
    UpperRegion,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum ParamV {
    Plain,
    B64,
    Spaced,
    Other(Str),
    OtherB64(Str),
    BadPad,
    BadChar,
    NonCanonical,
    UrlSafe,
    NotUtf8,
    PrefixOnly,
    UpperPrefix,
    Empty,
    NotText,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Extra {
    Close,
    KeepAlive,
    Expect100,
    Bloat(u16),
    Many(u8),
    Junk(String, String),
}

#[derive(Arbitrary, Debug)]
enum Body {
    Call(Call),
    Call2(Call),
    Other(Option<Id>, MethodV, Meta),
    Raw(Vec<u8>),
    Empty,
}

#[derive(Arbitrary, Debug)]
struct Call {
    id: Id,
    tool: ToolV,
    args: Vec<Arg>,
    meta: Meta,
}

#[derive(Arbitrary, Debug)]
enum ToolV {
    Echo,
    Region,
    Region2,
    Notify,
    Unknown,
}

#[derive(Arbitrary, Debug)]
enum Arg {
    Text(Str),
    Times(i8),
    Region(Str),
    Zone(Zone),
    DryRun(Dry),
    Payload(Bulk),
    Junk(String, i64),
}

#[derive(Arbitrary, Debug)]
enum Zone {
    Int(i32),
    Big(i64),
    Float,
    Str(Str),
    Null,
}

#[derive(Arbitrary, Debug)]
enum Dry {
    True,
    False,
    Null,
    Str,
    One,
}

#[derive(Arbitrary, Debug)]
enum Bulk {
    Small(u8),
    NearCap(u8),
}

#[derive(Arbitrary, Debug)]
enum Id {
    Int(i64),
    Str(String),
    Small(u8),
    Null,
    Float,
}

#[derive(Arbitrary, Debug)]
enum MethodV {
    Ping,
    Initialize,
    List,
    Discover,
    SetLevel,
    Initialized,
    Cancelled,
    Bogus,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct Meta {
    version: MetaVersion,
    caps: Caps,
    progress: bool,
}

#[derive(Arbitrary, Debug)]
enum MetaVersion {
    None,
    None2,
    Stateless,
    Stateless2,
    Handshake,
    Unknown,
    Number,
}

#[derive(Arbitrary, Debug)]
enum Caps {
    Object,
    Missing,
    Array,
}

#[derive(Arbitrary, Debug)]
enum Str {
    Known(u8),
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum Pad {
    None,
    None2,
    None3,
    None4,
    Large(u16),
    Limit(i8),
    Over(u16),
}

#[derive(Arbitrary, Debug)]
enum Frame {
    Length,
    Length2,
    Length3,
    Absent,
    Chunked(Vec<u16>, bool, bool, bool),
    Both(bool),
    Twice,
    TwiceDiff,
    Short(u8),
    Long(u8),
    ChunkTruncated,
    ChunkBadSize,
    Gzip,
    GzipChunked,
    ChunkedGzip,
}

// ------------------------------------------------------------------ rendering

/// Keep only what hyper takes in a header value (no CR, LF, NUL, DEL, …).
fn value(s: &str) -> String {
    s.chars()
        .filter(|&c| c == '\t' || !(c.is_control() || c == '\u{7f}'))
        .collect()
}

/// A header name of token characters.
fn token(s: &str, default: &str) -> String {
    let t: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(*c))
        .collect();
    if t.is_empty() { default.to_owned() } else { t }
}

const STRINGS: &[&str] = &[
    "eu-west-1",
    "us",
    "",
    " padded ",
    "tab\there",
    "a=b",
    "=?base64?ZXU=?=",
    "ünïcödé",
    "日本",
    "emoji 😀",
    "line\nbreak",
    "?=",
    "=?base64?",
    "ab",
];

fn string(s: &Str) -> String {
    match s {
        Str::Known(i) => STRINGS[usize::from(*i) % STRINGS.len()].to_owned(),
        Str::Any(s) => s.clone(),
    }
}

fn known(k: Known) -> &'static str {
    match k {
        Known::Localhost => "localhost",
        Known::Upper => "LocalHost",
        Known::V4 => "127.0.0.1",
        Known::V6 => "[::1]",
        Known::Evil => "evil.example",
        Known::App => "app.example.com",
        Known::Empty => "",
        Known::Dot => "localhost.",
        Known::Mapped => "[::ffff:127.0.0.1]",
    }
}

const WEIRD_HOSTS: &[&str] = &[
    "[::1].evil",
    "[::1]@evil.com",
    "user@localhost",
    "localhost:80:80",
    "local host",
    "[zz::1]",
    "[::1",
    "::1",
    "[fe80::1%25eth0]",
    "localhost/",
    "localhost?",
    "localhost#",
    "127.1",
    "0x7f.0.0.1",
    "2130706433",
    "LOCALHOST:8080",
    "localhost:",
    "localhost:+80",
    "localhost:0080",
    "localhost:00000",
    "localhost:000000",
    "localhost:65536",
    "localhost:-1",
    "[::1]:",
    "[::1]:8080",
    "[::1]x",
    "[]",
    "[v1.x]",
    "localhost\u{e9}",
    "xn--localhost",
    "localhost_1",
    "127.0.0.1:8080",
];

const ODD_PORTS: &[&str] = &[
    "", "+80", "0080", "65535", "65536", "99999", "80x", "080000", "-0", "8_0",
];

fn host(h: &HostV) -> String {
    match h {
        HostV::Name(k) => known(*k).to_owned(),
        HostV::Port(k, Port::Num(n)) => format!("{}:{n}", known(*k)),
        HostV::Port(k, Port::Odd(i)) => format!(
            "{}:{}",
            known(*k),
            ODD_PORTS[usize::from(*i) % ODD_PORTS.len()]
        ),
        HostV::Weird(i) => WEIRD_HOSTS[usize::from(*i) % WEIRD_HOSTS.len()].to_owned(),
        HostV::Raw(s) => value(s),
    }
}

const ORIGINS: &[&str] = &[
    "https://app.example.com",
    "HTTPS://APP.EXAMPLE.COM",
    "https://app.example.com/",
    "http://localhost:3000",
    "http://LocalHost:3000",
    "null",
    "http://localhost",
    "http://127.0.0.1:5173",
    "http://[::1]:8080",
    "https://evil.example",
    "http://localhost.evil.example",
    "http://localhost@evil.example",
    "file://",
    "http://localhost:+80",
    "http:/localhost",
    "ws://localhost",
    "http://",
];

const SCHEMES: &[&str] = &["http", "https", "HTTP", "ftp", "", "http:", "moz-extension"];

fn origin(o: &OriginV) -> String {
    match o {
        OriginV::Known(i) => ORIGINS[usize::from(*i) % ORIGINS.len()].to_owned(),
        OriginV::Compose(s, h, slash) => format!(
            "{}://{}{}",
            SCHEMES[usize::from(*s) % SCHEMES.len()],
            host(h),
            if *slash { "/" } else { "" }
        ),
        OriginV::Raw(s) => value(s),
    }
}

fn path(p: &PathV) -> &'static str {
    match p {
        PathV::Mcp | PathV::Mcp2 | PathV::Mcp3 | PathV::Mcp4 | PathV::Mcp5 => "/mcp",
        PathV::Query => "/mcp?x=1",
        PathV::Upper => "/MCP",
        PathV::Slash => "/mcp/",
        PathV::Health => "/healthz",
        PathV::Root => "/",
        PathV::Nope => "/nope",
        PathV::Encoded => "/%6dcp",
        PathV::Double => "//mcp",
        PathV::Params => "/mcp;x",
    }
}

/// What the body says, for the headers that mirror it.
#[derive(Default)]
struct Facts {
    method: Option<String>,
    tool: Option<&'static str>,
    meta_version: Option<&'static str>,
    /// The header form of `region`, `zone`, `dry_run` (first occurrence).
    region: Option<String>,
    zone: Option<String>,
    dry_run: Option<String>,
}

fn push_json(out: &mut String, v: &str) {
    out.push_str(&serde_json::to_string(v).expect("a string"));
}

fn meta(m: &Meta, facts: &mut Facts) -> Option<String> {
    let mut out = String::new();
    let version = match m.version {
        MetaVersion::None | MetaVersion::None2 => None,
        MetaVersion::Stateless | MetaVersion::Stateless2 => Some("\"2026-07-28\""),
        MetaVersion::Handshake => Some("\"2025-11-25\""),
        MetaVersion::Unknown => Some("\"2099-01-01\""),
        MetaVersion::Number => Some("20260728"),
    };
    if let Some(v) = version {
        facts.meta_version =
            Some(v.trim_matches('"')).filter(|v| !v.starts_with('2') || v.contains('-'));
        let _ = write!(out, r#""io.modelcontextprotocol/protocolVersion":{v}"#);
    }
    let caps = match m.caps {
        Caps::Object => Some("{}"),
        Caps::Missing => None,
        Caps::Array => Some("[]"),
    };
    if let Some(c) = caps {
        if !out.is_empty() {
            out.push(',');
        }
        let _ = write!(out, r#""io.modelcontextprotocol/clientCapabilities":{c}"#);
    }
    if m.progress {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(r#""progressToken":"p-1""#);
    }
    (!out.is_empty()).then(|| format!(r#""_meta":{{{out}}}"#))
}

fn id(i: &Id) -> String {
    match i {
        Id::Int(n) => n.to_string(),
        Id::Str(s) => serde_json::to_string(s).expect("a string"),
        Id::Small(n) => n.to_string(),
        Id::Null => "null".into(),
        Id::Float => "1.5".into(),
    }
}

fn body(b: &Body, facts: &mut Facts) -> Vec<u8> {
    match b {
        Body::Call(c) | Body::Call2(c) => {
            let tool = match c.tool {
                ToolV::Echo => "echo",
                ToolV::Region | ToolV::Region2 => "region",
                ToolV::Notify => "notify",
                ToolV::Unknown => "nope",
            };
            facts.method = Some("tools/call".into());
            facts.tool = Some(tool);
            let mut args = String::from("{");
            for (i, a) in c.args.iter().enumerate() {
                if i > 0 {
                    args.push(',');
                }
                match a {
                    Arg::Text(s) => {
                        args.push_str(r#""text":"#);
                        push_json(&mut args, &string(s));
                    }
                    Arg::Times(n) => {
                        let _ = write!(args, r#""times":{n}"#);
                    }
                    Arg::Region(s) => {
                        let s = string(s);
                        args.push_str(r#""region":"#);
                        push_json(&mut args, &s);
                        facts.region.get_or_insert(s);
                    }
                    Arg::Zone(z) => {
                        let (text, header) = match z {
                            Zone::Int(n) => (n.to_string(), Some(n.to_string())),
                            Zone::Big(n) => (n.to_string(), Some(n.to_string())),
                            Zone::Float => ("2.5".to_owned(), Some("2.5".to_owned())),
                            Zone::Str(s) => {
                                let s = string(s);
                                (serde_json::to_string(&s).expect("a string"), Some(s))
                            }
                            Zone::Null => ("null".to_owned(), None),
                        };
                        let _ = write!(args, r#""zone":{text}"#);
                        if facts.zone.is_none() {
                            facts.zone = Some(header.unwrap_or_default());
                        }
                    }
                    Arg::DryRun(d) => {
                        let (text, header) = match d {
                            Dry::True => ("true", "true"),
                            Dry::False => ("false", "false"),
                            Dry::Null => ("null", ""),
                            Dry::Str => ("\"true\"", "true"),
                            Dry::One => ("1", "1"),
                        };
                        let _ = write!(args, r#""dry_run":{text}"#);
                        facts.dry_run.get_or_insert_with(|| header.to_owned());
                    }
                    Arg::Payload(b) => {
                        // Counted: the arguments object, `payload`, its items,
                        // and one value for each other argument.
                        let n = match b {
                            Bulk::Small(n) => usize::from(*n % 50),
                            Bulk::NearCap(n) => {
                                (MAX_VALUES - 8 + usize::from(*n % 16)).saturating_sub(c.args.len())
                            }
                        };
                        args.push_str(r#""payload":["#);
                        for i in 0..n {
                            args.push_str(if i == 0 { "0" } else { ",0" });
                        }
                        args.push(']');
                    }
                    Arg::Junk(k, v) => {
                        push_json(&mut args, k);
                        let _ = write!(args, ":{v}");
                    }
                }
            }
            args.push('}');
            let mut params = String::from(r#"{"name":""#);
            params.push_str(tool);
            params.push_str(r#"","arguments":"#);
            params.push_str(&args);
            if let Some(m) = meta(&c.meta, facts) {
                params.push(',');
                params.push_str(&m);
            }
            params.push('}');
            format!(
                r#"{{"jsonrpc":"2.0","id":{},"method":"tools/call","params":{params}}}"#,
                id(&c.id)
            )
            .into_bytes()
        }
        Body::Other(i, m, mt) => {
            let (method, params) = match m {
                MethodV::Ping => ("ping", String::new()),
                MethodV::Initialize => (
                    "initialize",
                    r#""protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}"#.to_owned(),
                ),
                MethodV::List => ("tools/list", String::new()),
                MethodV::Discover => ("server/discover", String::new()),
                MethodV::SetLevel => ("logging/setLevel", r#""level":"debug""#.to_owned()),
                MethodV::Initialized => ("notifications/initialized", String::new()),
                MethodV::Cancelled => ("notifications/cancelled", r#""requestId":1"#.to_owned()),
                MethodV::Bogus => ("bogus/method", String::new()),
                MethodV::Raw(s) => (s.as_str(), String::new()),
            };
            facts.method = Some(method.to_owned());
            let mut p = params;
            if let Some(m) = meta(mt, facts) {
                if !p.is_empty() {
                    p.push(',');
                }
                p.push_str(&m);
            }
            let mut out = String::from(r#"{"jsonrpc":"2.0","#);
            if let Some(i) = i {
                let _ = write!(out, r#""id":{},"#, id(i));
            }
            out.push_str(r#""method":"#);
            push_json(&mut out, method);
            if !p.is_empty() {
                let _ = write!(out, r#","params":{{{p}}}"#);
            }
            out.push('}');
            out.into_bytes()
        }
        Body::Raw(b) => b.clone(),
        Body::Empty => Vec::new(),
    }
}

fn param_value(v: &ParamV, mirrored: Option<&str>) -> String {
    let m = mirrored.unwrap_or("");
    let b64 = |s: &str| format!("=?base64?{}?=", base64_encode(s.as_bytes()));
    match v {
        ParamV::Plain => value(m),
        ParamV::B64 => b64(m),
        ParamV::Spaced => format!("  {}\t", value(m)),
        ParamV::Other(s) => value(&string(s)),
        ParamV::OtherB64(s) => b64(&string(s)),
        // The right value, spoiled.
        ParamV::BadPad => format!(
            "=?base64?{}?=",
            base64_encode(m.as_bytes()).trim_end_matches('=')
        ),
        ParamV::BadChar => format!("=?base64?{}!?=", base64_encode(m.as_bytes())),
        ParamV::NonCanonical => {
            let mut e = base64_encode(m.as_bytes());
            // The last data character before the padding, with unused bits set.
            if let Some(i) = e.rfind(|c| c != '=')
                && e.ends_with('=')
            {
                e.replace_range(i..=i, "/");
            }
            format!("=?base64?{e}?=")
        }
        ParamV::UrlSafe => b64(m).replace('+', "-").replace('/', "_"),
        ParamV::NotUtf8 => "=?base64?/w==?=".into(),
        ParamV::PrefixOnly => format!("=?base64?{}", base64_encode(m.as_bytes())),
        ParamV::UpperPrefix => format!("=?BASE64?{}?=", base64_encode(m.as_bytes())),
        ParamV::Empty => String::new(),
        ParamV::NotText => format!("{m}\u{e9}"),
        ParamV::Raw(s) => value(s),
    }
}

fn render(input: &Input) -> (Which, Vec<u8>) {
    let mut facts = Facts::default();
    let mut payload = body(&input.body, &mut facts);
    let target_len = match input.pad {
        Pad::None | Pad::None2 | Pad::None3 | Pad::None4 => 0,
        Pad::Large(n) => mcp_fuzz::http::LARGE_BODY + 1 + usize::from(n % 4096),
        Pad::Limit(n) => (MAX_BODY as isize + isize::from(n)) as usize,
        Pad::Over(n) => MAX_BODY + 1 + usize::from(n % 4096),
    };
    if payload.len() < target_len {
        payload.resize(target_len, b' ');
    }

    let mut headers: Vec<(String, String)> = Vec::new();
    let mut add = |n: &str, v: String| headers.push((n.to_owned(), v));
    // The value of each header in a list, or the automatic ones.
    fn each<T>(h: &Headers<T>, auto: Vec<String>, f: impl Fn(&T) -> String) -> Vec<String> {
        match h {
            Headers::Auto => auto,
            Headers::None => Vec::new(),
            Headers::List(l) => l.iter().map(f).collect(),
        }
    }
    let stateless = facts.meta_version == Some("2026-07-28");
    for v in each(&input.hosts, vec!["localhost".into()], host) {
        add("Host", v);
    }
    for v in each(&input.origins, Vec::new(), origin) {
        add("Origin", v);
    }
    let auth = |a: &Auth| match a {
        Auth::Good => format!("Bearer {SECRET}"),
        Auth::Lower => format!("bearer {SECRET}"),
        Auth::Upper => format!("BEARER {SECRET}"),
        Auth::Spaces => format!("Bearer    {SECRET}"),
        Auth::Tab => format!("Bearer\t{SECRET}"),
        Auth::Wrong => "Bearer not-the-key".into(),
        Auth::Basic => "Basic Zm9vOmJhcg==".into(),
        Auth::Empty => String::new(),
        Auth::BearerOnly => "Bearer".into(),
        Auth::NotText => format!("Bearer {SECRET}\u{e9}"),
    };
    for v in each(&input.auth, vec![auth(&Auth::Good)], auth) {
        add("Authorization", v);
    }
    let ctype = |c: &Ctype| match c {
        Ctype::Json => "application/json".into(),
        Ctype::Charset => "application/json; charset=utf-8".into(),
        Ctype::Upper => "APPLICATION/JSON".into(),
        Ctype::Spaced => "application/json ;x=1".into(),
        Ctype::Plain => "text/plain".into(),
        Ctype::Patch => "application/json-patch+json".into(),
        Ctype::Jsonx => "application/jsonx".into(),
        Ctype::Empty => String::new(),
        Ctype::Raw(s) => value(s),
    };
    for v in each(&input.ctype, vec![ctype(&Ctype::Json)], ctype) {
        add("Content-Type", v);
    }
    let accept = |a: &AcceptV| match a {
        AcceptV::Both => "application/json, text/event-stream".into(),
        AcceptV::Json => "application/json".into(),
        AcceptV::Sse => "text/event-stream".into(),
        AcceptV::Any => "*/*".into(),
        AcceptV::AppAny => "application/*".into(),
        AcceptV::Mixed => "text/*;q=0.5, APPLICATION/JSON;q=1".into(),
        AcceptV::Xml => "application/xml".into(),
        AcceptV::Empty => String::new(),
        AcceptV::Raw(s) => value(s),
    };
    for v in each(&input.accept, vec![accept(&AcceptV::Both)], accept) {
        add("Accept", v);
    }
    let version = |v: &VersionV| match v {
        VersionV::Stateless => "2026-07-28".into(),
        VersionV::Meta => facts.meta_version.unwrap_or("2026-07-28").into(),
        VersionV::Handshake(i) => {
            ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"][usize::from(*i) % 4].into()
        }
        VersionV::Unknown => "2099-01-01".into(),
        VersionV::Spaced => " 2026-07-28 ".into(),
        VersionV::NotText => "2026-07-28\u{e9}".into(),
        VersionV::Raw(s) => value(s),
    };
    let auto_version = facts
        .meta_version
        .map(|v| vec![v.to_owned()])
        .unwrap_or_default();
    for v in each(&input.version_h, auto_version, version) {
        add("MCP-Protocol-Version", v);
    }
    let right = |n: &NameV, v: Option<&str>| {
        let v = v.unwrap_or("");
        match n {
            NameV::Right | NameV::Right2 => value(v),
            NameV::Upper => v.to_ascii_uppercase(),
            NameV::Spaced => format!(" {} ", value(v)),
            NameV::Other(s) => value(s),
        }
    };
    let auto = |v: Option<&str>| {
        if stateless {
            v.map(|v| vec![value(v)]).unwrap_or_default()
        } else {
            Vec::new()
        }
    };
    for v in each(&input.method_h, auto(facts.method.as_deref()), |n| {
        right(n, facts.method.as_deref())
    }) {
        add("Mcp-Method", v);
    }
    let tool = if facts.method.as_deref() == Some("tools/call") {
        facts.tool
    } else {
        None
    };
    for v in each(&input.name_h, auto(tool), |n| right(n, facts.tool)) {
        add("Mcp-Name", v);
    }
    let param = |(n, v): &(ParamN, ParamV)| {
        let (name, mirrored) = match n {
            ParamN::Region => ("Mcp-Param-Region".to_owned(), facts.region.as_deref()),
            ParamN::Zone => ("Mcp-Param-Zone".to_owned(), facts.zone.as_deref()),
            ParamN::DryRun => ("Mcp-Param-Dry-Run".to_owned(), facts.dry_run.as_deref()),
            ParamN::UpperRegion => ("MCP-PARAM-REGION".to_owned(), facts.region.as_deref()),
            ParamN::Other(s) => (format!("Mcp-Param-{}", token(s, "")), None),
        };
        format!("{name}\0{}", param_value(v, mirrored))
    };
    // Automatic: each argument the body mirrors, as Base64.
    let auto_params = if tool == Some("region") {
        [
            ("Mcp-Param-Region", &facts.region),
            ("Mcp-Param-Zone", &facts.zone),
            ("Mcp-Param-Dry-Run", &facts.dry_run),
        ]
        .iter()
        .filter_map(|(n, v)| {
            // `null` arguments (mirrored as "") have no header.
            let v = v
                .as_deref()
                .filter(|v| !v.is_empty() || *n == "Mcp-Param-Region")?;
            Some(format!("{n}\0{}", param_value(&ParamV::B64, Some(v))))
        })
        .collect()
    } else {
        Vec::new()
    };
    for nv in each(&input.params, auto_params, param) {
        let (n, v) = nv.split_once('\0').expect("name and value");
        add(n, v.to_owned());
    }
    for e in &input.extras {
        match e {
            Extra::Close => add("Connection", "close".into()),
            Extra::KeepAlive => add("Connection", "keep-alive".into()),
            Extra::Expect100 => add("Expect", "100-continue".into()),
            Extra::Bloat(n) => add("X-Bloat", "b".repeat(usize::from(*n % 10_000))),
            Extra::Many(n) => {
                for i in 0..usize::from(*n % 110) {
                    add(&format!("X-Many-{i}"), "1".into());
                }
            }
            Extra::Junk(n, v) => add(&token(n, "X-Junk"), value(v)),
        }
    }

    // Framing.
    let len = payload.len();
    let mut framed = payload.clone();
    let chunk = |sizes: &[u16], ext: bool, trailer: bool, upper: bool| {
        let mut out = Vec::new();
        let mut rest = &payload[..];
        let mut i = 0;
        while !rest.is_empty() {
            let want = sizes
                .get(i % sizes.len().max(1))
                .map_or(rest.len(), |&n| usize::from(n).max(1));
            let n = want.max(rest.len() / 4096).min(rest.len());
            let size = if upper {
                format!("{n:X}")
            } else {
                format!("{n:x}")
            };
            out.extend_from_slice(size.as_bytes());
            if ext && i == 0 {
                out.extend_from_slice(b";name=value");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&rest[..n]);
            out.extend_from_slice(b"\r\n");
            rest = &rest[n..];
            i += 1;
        }
        out.extend_from_slice(b"0\r\n");
        if trailer {
            out.extend_from_slice(b"X-Trailer: 1\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    };
    match &input.framing {
        Frame::Length | Frame::Length2 | Frame::Length3 => {
            headers.push(("Content-Length".into(), len.to_string()))
        }
        Frame::Absent => {}
        Frame::Chunked(sizes, ext, trailer, upper) => {
            headers.push(("Transfer-Encoding".into(), "chunked".into()));
            framed = chunk(sizes, *ext, *trailer, *upper);
        }
        Frame::Both(cl_first) => {
            let cl = ("Content-Length".to_owned(), len.to_string());
            let te = ("Transfer-Encoding".to_owned(), "chunked".to_owned());
            if *cl_first {
                headers.extend([cl, te]);
            } else {
                headers.extend([te, cl]);
            }
            framed = chunk(&[], false, false, false);
        }
        Frame::Twice => {
            headers.push(("Content-Length".into(), len.to_string()));
            headers.push(("Content-Length".into(), len.to_string()));
        }
        Frame::TwiceDiff => {
            headers.push(("Content-Length".into(), len.to_string()));
            headers.push(("Content-Length".into(), (len + 1).to_string()));
        }
        Frame::Short(n) => headers.push((
            "Content-Length".into(),
            len.saturating_sub(1 + usize::from(*n % 8)).to_string(),
        )),
        Frame::Long(n) => headers.push((
            "Content-Length".into(),
            (len + 1 + usize::from(*n % 8)).to_string(),
        )),
        Frame::ChunkTruncated => {
            headers.push(("Transfer-Encoding".into(), "chunked".into()));
            framed = chunk(&[], false, false, false);
            framed.truncate(framed.len().saturating_sub(5));
        }
        Frame::ChunkBadSize => {
            headers.push(("Transfer-Encoding".into(), "chunked".into()));
            framed = format!("{:x}\r\n", len + 2).into_bytes();
            framed.extend_from_slice(&payload);
            framed.extend_from_slice(b"\r\n0\r\n\r\n");
        }
        Frame::Gzip => headers.push(("Transfer-Encoding".into(), "gzip".into())),
        Frame::GzipChunked => {
            headers.push(("Transfer-Encoding".into(), "gzip, chunked".into()));
            framed = chunk(&[], false, false, false);
        }
        Frame::ChunkedGzip => {
            headers.push(("Transfer-Encoding".into(), "chunked, gzip".into()));
            framed = chunk(&[], false, false, false);
        }
    }

    // Header order: a deterministic shuffle.
    let mut state = u64::from(input.shuffle) | 1;
    for i in (1..headers.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        headers.swap(i, (state % (i as u64 + 1)) as usize);
    }

    let verb = match &input.verb {
        Verb::Post | Verb::Post2 | Verb::Post3 => "POST".to_owned(),
        Verb::Get => "GET".into(),
        Verb::Head => "HEAD".into(),
        Verb::Put => "PUT".into(),
        Verb::Options => "OPTIONS".into(),
        Verb::Lower => "post".into(),
        Verb::Other(s) => token(s, "FOO"),
    };
    let target = match &input.target {
        Target::Path(p) | Target::Path2(p) => path(p).to_owned(),
        Target::Absolute(s, h, p) => format!(
            "{}://{}{}",
            ["http", "https", "HTTP", "ftp"][match s {
                Scheme::Http => 0,
                Scheme::Https => 1,
                Scheme::Upper => 2,
                Scheme::Ftp => 3,
            }],
            host(h),
            path(p)
        ),
        Target::Star => "*".into(),
        Target::Raw(s) => s.chars().filter(|c| c.is_ascii_graphic()).collect(),
    };
    let version = match input.version {
        Ver::V10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    };
    let mut out = format!("{verb} {target} {version}\r\n").into_bytes();
    for (n, v) in &headers {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&framed);
    let which = if input.any_host {
        Which::AnyHost
    } else {
        Which::Loopback
    };
    (which, out)
}

fuzz_target!(|input: Input| {
    let (which, bytes) = render(&input);
    exchange(&bytes, which);
});
