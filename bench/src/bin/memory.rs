//! Resident memory and start-up of the server processes.
//!
//! ```text
//! cargo run --release -p mcp-bench --bin memory -- [--conns 1000] [--starts 5]
//! ```
//!
//! Spawns the framework server (and the bare axum floor, for scale) as a
//! child process: this executable with `--serve`, a multi-threaded tokio
//! runtime with the default worker count, `MCP_LOG=warn`. Reads `VmRSS` from
//! `/proc/<pid>/status` when idle (started, no request yet), after one
//! request, and with `--conns` keep-alive connections open that have each
//! sent one `tools/call` and read its answer. Start-up is measured from
//! spawn to the bound listener and to the first answered `tools/call`.

use std::time::{Duration, Instant};

use mcp_bench::{Conn, Kind, ServerProcess, median, write_call_request};

struct Figures {
    ready_ms: f64,
    first_call_ms: f64,
    idle_kib: u64,
    one_kib: u64,
    conns_kib: u64,
    hwm_kib: u64,
    /// Idle: executable pages, libraries, heap + anonymous, stacks (KiB).
    idle_parts: (u64, u64, u64, u64),
}

async fn call_once(conn: &mut Conn, addr: std::net::SocketAddr, id: u64) {
    let mut req = Vec::new();
    write_call_request(&mut req, addr, id, 1, 2);
    let r = conn.roundtrip(&req).await.expect("round trip");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(conn.body(&r)));
}

/// Spawn to the first answered call, in ms: (listener bound, first call).
async fn startup(kind: Kind) -> (f64, f64) {
    let t = Instant::now();
    let s = ServerProcess::spawn(kind, None, 0);
    let ready = s.ready_after.as_secs_f64() * 1e3;
    let mut c = Conn::connect(s.addr).await.expect("connect");
    call_once(&mut c, s.addr, 1).await;
    (ready, t.elapsed().as_secs_f64() * 1e3)
}

async fn measure(kind: Kind, conns: usize, starts: usize) -> Figures {
    let mut ready = Vec::new();
    let mut first = Vec::new();
    for _ in 0..starts {
        let (r, f) = startup(kind).await;
        ready.push(r);
        first.push(f);
    }
    let s = ServerProcess::spawn(kind, None, 0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (idle_kib, _) = s.rss_kib();
    let idle_parts = mcp_bench::rss_breakdown_of(s.pid());
    let mut c = Conn::connect(s.addr).await.expect("connect");
    call_once(&mut c, s.addr, 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (one_kib, _) = s.rss_kib();
    drop(c);
    // Open the connections in waves of 100 so the accept backlog never overflows.
    let mut open = Vec::with_capacity(conns);
    let addr = s.addr;
    for wave in 0..conns.div_ceil(100) {
        let n = (conns - wave * 100).min(100);
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                tokio::spawn(async move {
                    let mut c = Conn::connect(addr).await.expect("connect");
                    call_once(&mut c, addr, (wave * 100 + i) as u64).await;
                    c
                })
            })
            .collect();
        for t in tasks {
            open.push(t.await.expect("connection task"));
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (conns_kib, hwm_kib) = s.rss_kib();
    drop(open);
    Figures {
        ready_ms: median(&mut ready),
        first_call_ms: median(&mut first),
        idle_kib,
        one_kib,
        conns_kib,
        hwm_kib,
        idle_parts,
    }
}

fn main() {
    mcp_bench::maybe_serve();
    let mut conns = 1000;
    let mut starts = 5;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--conns" => conns = args.next().and_then(|v| v.parse().ok()).expect("--conns N"),
            "--starts" => {
                starts = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--starts N")
            }
            other => panic!("unknown option {other}"),
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("# memory and start-up of the server process");
    println!("machine: {}", mcp_bench::machine());
    println!(
        "server: child process, multi-threaded tokio runtime with default workers, MCP_LOG=warn"
    );
    println!();
    println!(
        "| server | start: listener bound | start: first call answered | RSS idle | RSS after 1 call | RSS with {conns} idle keep-alive conns | per conn | peak (VmHWM) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    rt.block_on(async {
        let mut parts = Vec::new();
        for kind in [Kind::Floor, Kind::Framework] {
            let f = measure(kind, conns, starts).await;
            parts.push((kind, f.idle_parts));
            let mib = |k: u64| format!("{:.2} MiB", k as f64 / 1024.0);
            println!(
                "| {} | {:.1} ms | {:.1} ms | {} | {} | {} | {:.1} KiB | {} |",
                kind.as_str(),
                f.ready_ms,
                f.first_call_ms,
                mib(f.idle_kib),
                mib(f.one_kib),
                mib(f.conns_kib),
                f.conns_kib.saturating_sub(f.one_kib) as f64 / conns as f64,
                mib(f.hwm_kib),
            );
        }
        println!();
        println!("| idle RSS by mapping | executable (code, data) | shared libraries | heap + anonymous | stacks |");
        println!("|---|---:|---:|---:|---:|");
        for (kind, (bin, libs, anon, stack)) in parts {
            let mib = |k: u64| format!("{:.2} MiB", k as f64 / 1024.0);
            println!(
                "| {} | {} | {} | {} | {} |",
                kind.as_str(),
                mib(bin),
                mib(libs),
                mib(anon),
                mib(stack)
            );
        }
    });
}
