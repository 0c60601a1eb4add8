//! Shared pieces of the benchmarks: the `add` tool, the bare axum "floor"
//! server, the framework server, child-process handling, a raw keep-alive
//! HTTP/1.1 client and statistics.
//!
//! The binaries are `http-bench`, `micro` and `memory`; see `BENCHMARKS.md`
//! at the repository root.

pub mod nginx;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use mcp_runtime::prelude::*;
use mcp_runtime::{ApiKey, OAuth, Server};
use serde_json::value::RawValue;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub mod read;

/// The bearer secret the framework server accepts and every request carries.
pub const API_KEY: &str = "bench-secret-0123456789abcdef";

// ------------------------------------------------------------------ the tool

/// The sum of two integers.
#[derive(Debug, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct Sum {
    /// `a + b`.
    pub sum: i64,
}

/// Add two integers. Returns their sum. Use it to benchmark the framework.
#[mcp_tool(read_only, idempotent)]
async fn add(
    /// The first addend.
    a: i64,
    /// The second addend.
    b: i64,
) -> Sum {
    Sum {
        sum: a.wrapping_add(b),
    }
}

/// The framework server of the benchmarks: the `add` tool only, bearer key
/// required, argument validation on (it always is), default limits.
pub fn framework_server() -> Server {
    framework_builder()
        .build()
        .expect("the bench server builds")
}

/// The builder of [`framework_server`].
fn framework_builder() -> mcp_runtime::ServerBuilder {
    Server::builder("mcp-bench", env!("CARGO_PKG_VERSION"))
        .api_key(ApiKey::new("bench", API_KEY).expect("the bench key is valid"))
        .keys_from_env(false)
        .tools_where(|n| n == "add")
}

// ------------------------------------------------- OAuth (http-bench --auth jwt)

/// The issuer of the benchmark's access tokens (never fetched: its keys are
/// given to the server).
const ISSUER: &str = "https://issuer.bench.example";
/// The framework server's resource URI, the tokens' audience.
const RESOURCE: &str = "http://127.0.0.1/mcp";
/// The RSA key the tokens are signed with (the runtime's test key `a`).
const SIGNING_PEM: &[u8] = include_bytes!("../../mcp-runtime/src/oauth/testdata/rsa-a.pem");
/// The public keys, as the issuer's JWKS would publish them.
const JWKS: &str = include_str!("../../mcp-runtime/src/oauth/testdata/jwks.json");

/// The bearer value every request carries: [`API_KEY`], or the access token
/// of [`use_jwt`].
static BEARER: OnceLock<String> = OnceLock::new();

/// The bearer value the load generator sends.
pub fn bearer() -> &'static str {
    BEARER.get_or_init(|| API_KEY.to_owned())
}

/// Whether the framework servers spawned from here verify JWT access tokens.
static JWT: OnceLock<()> = OnceLock::new();

/// Send a signed RS256 access token (valid two hours) instead of the API key,
/// and start framework servers that accept the issuer's tokens beside keys.
/// Call before the first request or spawn.
pub fn use_jwt() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    let claims = serde_json::json!({
        "iss": ISSUER, "aud": RESOURCE, "sub": "bench", "client_id": "http-bench",
        "iat": now, "exp": now + 7200,
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("key-a".into());
    let key = EncodingKey::from_rsa_pem(SIGNING_PEM).expect("the test key parses");
    let token = encode(&header, &claims, &key).expect("the token signs");
    assert!(
        BEARER.set(token).is_ok(),
        "use_jwt before the first request"
    );
    let _ = JWT.set(());
}

/// [`framework_server`], also verifying the bench issuer's access tokens.
pub fn framework_server_jwt() -> Server {
    let jwks: serde_json::Value = serde_json::from_str(JWKS).expect("the JWKS parses");
    framework_builder()
        .oauth(
            OAuth::new(ISSUER, RESOURCE).jwks(serde_json::json!({ "keys": [jwks["a"].clone()] })),
        )
        .build()
        .expect("the bench server builds")
}

// ----------------------------------------------------------------- the floor

#[derive(Deserialize)]
struct FloorRequest<'a> {
    #[serde(borrow)]
    jsonrpc: &'a str,
    #[serde(borrow)]
    id: &'a RawValue,
    #[serde(borrow)]
    method: &'a str,
    #[serde(borrow)]
    params: FloorParams<'a>,
}

#[derive(Deserialize)]
struct FloorParams<'a> {
    #[serde(borrow)]
    name: &'a str,
    arguments: FloorArgs,
}

#[derive(Deserialize)]
struct FloorArgs {
    a: i64,
    b: i64,
}

#[derive(Serialize)]
struct FloorResponse<'a> {
    jsonrpc: &'static str,
    id: &'a RawValue,
    result: FloorResult,
}

#[derive(Serialize)]
struct FloorResult {
    content: [FloorText; 1],
    #[serde(rename = "structuredContent")]
    structured_content: Sum,
}

#[derive(Serialize)]
struct FloorText {
    text: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// The least JSON work a `tools/call` of `add` needs: parse the envelope,
/// deserialize `{a, b}`, serialize the same result bytes the framework sends.
/// `None` for anything but a well-formed call of `add`.
pub fn floor_call(body: &[u8]) -> Option<Vec<u8>> {
    let req = serde_json::from_slice::<FloorRequest<'_>>(body).ok()?;
    if req.jsonrpc != "2.0" || req.method != "tools/call" || req.params.name != "add" {
        return None;
    }
    let sum = Sum {
        sum: req.params.arguments.a.wrapping_add(req.params.arguments.b),
    };
    let text = serde_json::to_string(&sum).ok()?;
    let resp = FloorResponse {
        jsonrpc: "2.0",
        id: req.id,
        result: FloorResult {
            content: [FloorText { text, kind: "text" }],
            structured_content: sum,
        },
    };
    serde_json::to_vec(&resp).ok()
}

async fn floor_handler(body: Bytes) -> Response {
    floor_response(floor_call(&body))
}

/// The floor's answer: the JSON bytes, or 400 for a request it does not serve.
pub(crate) fn floor_response(bytes: Option<Vec<u8>>) -> Response {
    let Some(bytes) = bytes else {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
    };
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// The floor's router: `POST /mcp` only.
pub fn floor_router() -> Router {
    Router::new().route("/mcp", axum::routing::post(floor_handler))
}

// ------------------------------------------------------- server child process

/// Which server a child process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The bare axum floor.
    Floor,
    /// The framework's server.
    Framework,
}

impl Kind {
    /// `floor` / `framework`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Floor => "floor",
            Kind::Framework => "framework",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        match s {
            "floor" => Some(Kind::Floor),
            "framework" => Some(Kind::Framework),
            _ => None,
        }
    }
}

/// If the process was started as `<exe> --sink`, answer every HTTP request
/// `200` with an empty body (an OTLP/HTTP collector that keeps nothing, for
/// `http-bench --otel`), on `127.0.0.1:0` with one tokio thread, printing
/// `PORT <n>` first; never return. Otherwise return.
pub fn maybe_sink() {
    if !std::env::args().skip(1).any(|a| a == "--sink") {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        println!("PORT {}", listener.local_addr().expect("addr").port());
        use std::io::Write;
        std::io::stdout().flush().expect("stdout");
        let app = Router::new().fallback(|| async { StatusCode::OK });
        axum::serve(listener, app).await.expect("sink serves");
    });
    std::process::exit(0);
}

/// A `<this exe> --sink` child process ([`maybe_sink`]); killed when dropped.
pub struct Sink {
    child: std::process::Child,
    /// Its loopback address.
    pub addr: SocketAddr,
}

impl Sink {
    /// Start the sink and wait for its `PORT` line.
    pub fn spawn() -> Sink {
        let exe = std::env::current_exe().expect("current exe");
        let mut child = Command::new(exe)
            .arg("--sink")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the sink");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("read the PORT line");
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the sink: {line:?}"));
        Sink {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// If the process was started as `<exe> --serve <floor|framework> [--workers N]`,
/// serve (forever) and never return; otherwise return.
///
/// The child binds `127.0.0.1:0`, prints `PORT <n>` on stdout, and serves on
/// a multi-threaded tokio runtime with `N` workers (0 = tokio's default, one
/// per CPU the process may run on).
pub fn maybe_serve() {
    let args: Vec<String> = std::env::args().collect();
    let Some(i) = args.iter().position(|a| a == "--serve") else {
        return;
    };
    let kind = args
        .get(i + 1)
        .and_then(|k| Kind::parse(k))
        .expect("--serve floor|framework");
    let workers: usize = args
        .iter()
        .position(|a| a == "--workers")
        .and_then(|j| args.get(j + 1))
        .map_or(0, |w| w.parse().expect("--workers N"));
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if workers > 0 {
        rt.worker_threads(workers);
    }
    let rt = rt.enable_all().build().expect("tokio runtime");
    rt.block_on(async move {
        if kind == Kind::Framework {
            // Honours MCP_LOG (the benchmarks set `warn`), as `Server::run` would.
            mcp_runtime::init_logging();
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        println!("PORT {port}");
        use std::io::Write;
        std::io::stdout().flush().expect("stdout");
        match kind {
            Kind::Floor
                if std::env::var(read::FLOOR_METHOD_ENV).as_deref() == Ok("resources/read") =>
            {
                axum::serve(listener, read::floor_read_router())
                    .await
                    .expect("floor serves")
            }
            Kind::Floor => axum::serve(listener, floor_router())
                .await
                .expect("floor serves"),
            Kind::Framework if args.iter().any(|a| a == "--jwt") => framework_server_jwt()
                .serve_listener(listener, std::future::pending())
                .await
                .expect("framework serves"),
            Kind::Framework => framework_server()
                .serve_listener(listener, std::future::pending())
                .await
                .expect("framework serves"),
        }
    });
    std::process::exit(0);
}

/// A server running in a child process; killed when dropped.
pub struct ServerProcess {
    child: std::process::Child,
    /// Its loopback address.
    pub addr: SocketAddr,
    /// Which server it is.
    pub kind: Kind,
    /// From spawn to the `PORT` line (the listener is bound).
    pub ready_after: Duration,
}

impl ServerProcess {
    /// Start `<this exe> --serve <kind>`, optionally pinned with
    /// `taskset -c <cpus>`, with `workers` runtime threads (0 = default).
    pub fn spawn(kind: Kind, cpus: Option<&str>, workers: usize) -> ServerProcess {
        Self::spawn_with_env(kind, cpus, workers, &[])
    }

    /// [`spawn`](Self::spawn) with extra environment variables for the child
    /// (e.g. `MCP_METRICS_ADDR`, `OTEL_*` for the framework server).
    pub fn spawn_with_env(
        kind: Kind,
        cpus: Option<&str>,
        workers: usize,
        env: &[(String, String)],
    ) -> ServerProcess {
        let exe = std::env::current_exe().expect("current exe");
        let mut cmd = match cpus {
            Some(c) => {
                let mut cmd = Command::new("taskset");
                cmd.arg("-c").arg(c).arg(&exe);
                cmd
            }
            None => Command::new(&exe),
        };
        cmd.args(["--serve", kind.as_str(), "--workers", &workers.to_string()]);
        if JWT.get().is_some() {
            cmd.arg("--jwt");
        }
        cmd.env("MCP_LOG", "warn")
            .env_remove("MCP_API_KEYS")
            .env_remove("MCP_API_KEYS_FILE")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let started = Instant::now();
        let mut child = cmd.spawn().expect("spawn the server process");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the PORT line");
        let ready_after = started.elapsed();
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the server: {line:?}"));
        ServerProcess {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            kind,
            ready_after,
        }
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `VmRSS` and `VmHWM` of the child, in KiB.
    pub fn rss_kib(&self) -> (u64, u64) {
        rss_of(self.pid())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time a process has used so far (all its threads, user + system), in
/// nanoseconds, from `/proc/<pid>/task/*/schedstat`.
pub fn cpu_ns_of(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// User and system CPU time of a process so far, in nanoseconds (from
/// `/proc/<pid>/stat`, clock-tick resolution).
pub fn user_sys_ns_of(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces) in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    let tick_ns = 1_000_000_000 / 100;
    (ticks(11) * tick_ns, ticks(12) * tick_ns)
}

/// Resident KiB of a process by kind of mapping, from `/proc/<pid>/smaps`:
/// (its executable's file pages, shared libraries, heap + anonymous memory, stacks).
pub fn rss_breakdown_of(pid: u32) -> (u64, u64, u64, u64) {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let (mut bin, mut libs, mut anon, mut stack) = (0, 0, 0, 0);
    let mut kind = 0;
    for line in smaps.lines() {
        let mut f = line.split_whitespace();
        let first = f.next().unwrap_or("");
        if first.contains('-') && first.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            let name = f.nth(4).unwrap_or("");
            kind = if !name.is_empty() && std::path::Path::new(name) == exe {
                0
            } else if name.starts_with('/') {
                1
            } else if name.starts_with("[stack") {
                3
            } else {
                2
            };
        } else if first == "Rss:" {
            let kib: u64 = f.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            match kind {
                0 => bin += kib,
                1 => libs += kib,
                2 => anon += kib,
                _ => stack += kib,
            }
        }
    }
    (bin, libs, anon, stack)
}

/// `VmRSS` and `VmHWM` of a process, in KiB (0 when unreadable).
pub fn rss_of(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Pin the calling process (its main thread, before any other thread
/// exists; threads created later inherit it) to `cpus` with `taskset -p`.
pub fn pin_self(cpus: &str) -> bool {
    Command::new("taskset")
        .args(["-p", "-c", cpus, &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

// --------------------------------------------------------- raw HTTP/1.1 client

/// Write a keep-alive `POST /mcp` carrying a `tools/call` of `add` into `out`.
pub fn write_call_request(out: &mut Vec<u8>, addr: SocketAddr, id: u64, a: i64, b: i64) {
    use std::io::Write;
    let mut body = [0u8; 160];
    let body_len = {
        let mut w = &mut body[..];
        write!(
            w,
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"add","arguments":{{"a":{a},"b":{b}}}}}}}"#
        )
        .expect("fits");
        160 - w.len()
    };
    out.clear();
    write!(
        out,
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
         MCP-Protocol-Version: 2025-11-25\r\nContent-Length: {body_len}\r\n\r\n",
        bearer()
    )
    .expect("write to a Vec");
    out.extend_from_slice(&body[..body_len]);
}

/// A keep-alive connection reading responses by `Content-Length`.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    filled: usize,
}

/// One response: status and the range of its body in [`Conn::body`].
#[derive(Debug, Clone, Copy)]
pub struct Resp {
    /// HTTP status.
    pub status: u16,
    body_start: usize,
    body_end: usize,
}

impl Conn {
    /// Connect (with `TCP_NODELAY`).
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: vec![0; 16 * 1024],
            filled: 0,
        })
    }

    /// Send one request and read its response.
    pub async fn roundtrip(&mut self, request: &[u8]) -> std::io::Result<Resp> {
        self.stream.write_all(request).await?;
        self.read_response().await
    }

    /// The body of `r` (valid until the next call).
    pub fn body(&self, r: &Resp) -> &[u8] {
        &self.buf[r.body_start..r.body_end]
    }

    async fn read_response(&mut self) -> std::io::Result<Resp> {
        // Closed loop: nothing of the previous response is left over.
        self.filled = 0;
        loop {
            if let Some(head_end) = find(&self.buf[..self.filled], b"\r\n\r\n") {
                let head = &self.buf[..head_end];
                let status = std::str::from_utf8(head.get(9..12).unwrap_or_default())
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let len = content_length(head).ok_or_else(|| {
                    std::io::Error::other("response without Content-Length (streamed?)")
                })?;
                let total = head_end + 4 + len;
                if self.buf.len() < total {
                    self.buf.resize(total, 0);
                }
                while self.filled < total {
                    self.fill().await?;
                }
                return Ok(Resp {
                    status,
                    body_start: head_end + 4,
                    body_end: total,
                });
            }
            if self.filled == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let n = self.stream.read(&mut self.buf[self.filled..]).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.filled += n;
        Ok(())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> Option<usize> {
    head.split(|&b| b == b'\n').find_map(|line| {
        let line = std::str::from_utf8(line).ok()?.trim_end();
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

// ------------------------------------------------------------------ statistics

/// The median of `xs` (sorted in place); 0 when empty.
pub fn median(xs: &mut [f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// The `q` quantile (0..=1) of sorted samples, nearest rank.
pub fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Machine description for reports: CPU model, CPUs, rustc.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!("{model}, {cpus} CPUs, {rustc}")
}
