//! `tools/call` over HTTP: the framework's server against a bare axum floor.
//!
//! ```text
//! cargo run --release -p mcp-bench --bin http-bench -- [--rounds 5] [--secs 2]
//!     [--warmup 0.5] [--conc 1,8,32,128] [--pin | --server-cpus 0 --client-cpus 1]
//!     [--auth key|jwt] [--metrics] [--otel always_off|always_on|traceidratio:R]
//!     [--nginx] [--method tools/call|resources/read]
//! ```
//!
//! `--nginx`: instead of the floor, three framework servers ("replicas") and
//! nginx (one worker) with the shipped `deploy/nginx/mcp-locations.inc`: the
//! same load direct to replica 1, through nginx to replica 1 alone, and
//! through nginx round robin over the three, in the same rounds.
//!
//! `--method resources/read`: every request reads `bench://items/{id}` (a
//! template, its fn serializing the item as JSON) instead of calling `add`;
//! the floor's handler parses the URI and writes the same result bytes.
//!
//! `--auth jwt`: every request carries an RS256 access token instead of the
//! API key, and the framework verifies it (issuer's keys configured, the
//! verified-token cache on, as in production); the floor reads the same bytes.
//!
//! `--metrics` (build with `--features metrics`) starts the framework server
//! with its Prometheus listener (`MCP_METRICS_ADDR=127.0.0.1:0`, never
//! scraped): every call is counted and timed. `--otel SAMPLER` (build with
//! `--features otel`) starts it exporting traces over OTLP/HTTP to a sink
//! (this executable with `--sink`, answering `200` to everything) with
//! `OTEL_TRACES_SAMPLER` set to the sampler (`traceidratio:0.1` sets
//! `OTEL_TRACES_SAMPLER_ARG` too). The floor is always the bare axum handler.
//!
//! Both servers run in child processes (this executable with `--serve`); this
//! process is the load generator, on a single-threaded tokio runtime. By
//! default nothing is pinned: servers (tokio's default runtime, one worker
//! per CPU, as `#[tokio::main]` gives) and load generator share the machine's
//! CPUs. `--pin` puts the servers on CPU 0 (one worker) and the load
//! generator on CPU 1, with `taskset`.
//! Each concurrency level runs `rounds` rounds; a round runs floor and
//! framework back to back (the order alternates every round, to cancel
//! drift), each for `warmup` unrecorded then `secs` recorded seconds on fresh
//! keep-alive connections. The figures are medians over the rounds.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mcp_bench::read::{FLOOR_METHOD_ENV, write_read_request};
use mcp_bench::{Conn, Kind, ServerProcess, median, quantile, write_call_request};

/// Write request `id` (its `seq`-th on its connection) of the benchmark.
fn write_request(out: &mut Vec<u8>, addr: SocketAddr, read: bool, id: u64, seq: u64) {
    if read {
        write_read_request(out, addr, id, seq % 1000);
    } else {
        write_call_request(out, addr, id, seq as i64, 2);
    }
}

struct Opts {
    rounds: usize,
    secs: f64,
    warmup: f64,
    conc: Vec<usize>,
    server_cpus: Option<String>,
    client_cpus: Option<String>,
    /// Load an already running server (e.g. one under a profiler) instead.
    attach: Option<SocketAddr>,
    /// The framework server with its metrics listener.
    metrics: bool,
    /// The framework server exporting traces with this `OTEL_TRACES_SAMPLER`
    /// (and `OTEL_TRACES_SAMPLER_ARG`).
    otel: Option<(String, Option<String>)>,
    /// Direct against through nginx to one and to three replicas.
    nginx: bool,
    /// `resources/read` of a template instead of `tools/call`.
    read: bool,
}

fn opts() -> Opts {
    let mut o = Opts {
        rounds: 5,
        secs: 2.0,
        warmup: 0.5,
        conc: vec![1, 8, 32, 128],
        server_cpus: None,
        client_cpus: None,
        attach: None,
        metrics: false,
        otel: None,
        nginx: false,
        read: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--rounds" => o.rounds = val().parse().expect("--rounds N"),
            "--secs" => o.secs = val().parse().expect("--secs S"),
            "--warmup" => o.warmup = val().parse().expect("--warmup S"),
            "--conc" => {
                o.conc = val()
                    .split(',')
                    .map(|c| c.trim().parse().expect("--conc 1,8,32"))
                    .collect()
            }
            "--server-cpus" => o.server_cpus = Some(val()),
            "--client-cpus" => o.client_cpus = Some(val()),
            "--auth" => match val().as_str() {
                "key" => {}
                "jwt" => mcp_bench::use_jwt(),
                other => panic!("--auth key|jwt, not {other}"),
            },
            "--method" => match val().as_str() {
                "tools/call" => o.read = false,
                "resources/read" => o.read = true,
                other => panic!("--method tools/call|resources/read, not {other}"),
            },
            "--attach" => o.attach = Some(val().parse().expect("--attach 127.0.0.1:PORT")),
            "--metrics" => {
                if !cfg!(feature = "metrics") {
                    panic!("--metrics needs http-bench built with `--features metrics`");
                }
                o.metrics = true;
            }
            "--otel" => {
                if !cfg!(feature = "otel") {
                    panic!("--otel needs http-bench built with `--features otel`");
                }
                let v = val();
                o.otel = Some(match v.split_once(':') {
                    Some(("traceidratio", r)) => {
                        r.parse::<f64>()
                            .ok()
                            .filter(|r| (0.0..=1.0).contains(r))
                            .unwrap_or_else(|| {
                                panic!("--otel traceidratio:R needs R in 0..=1, not `{r}`")
                            });
                        ("traceidratio".to_owned(), Some(r.to_owned()))
                    }
                    None if v == "always_on" || v == "always_off" => (v, None),
                    _ => panic!("--otel always_off|always_on|traceidratio:R, not `{v}`"),
                });
            }
            "--nginx" => o.nginx = true,
            "--pin" => {
                o.server_cpus = Some("0".into());
                o.client_cpus = Some("1".into());
            }
            other => panic!("unknown option {other}"),
        }
    }
    o
}

/// Figures of one run of one server at one concurrency.
#[derive(Debug, Clone, Copy)]
struct Run {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    p999_us: f64,
    /// Server CPU time (user + system, all threads) per request, µs.
    cpu_us: f64,
    /// The user-space part of it (clock-tick resolution), µs.
    user_us: f64,
    errors: u64,
}

async fn connection(
    addr: SocketAddr,
    read: bool,
    idx: u64,
    measure_from: Instant,
    end: Instant,
) -> (Vec<u64>, u64) {
    let mut conn = Conn::connect(addr).await.expect("connect");
    let mut req = Vec::with_capacity(512);
    let mut lat = Vec::with_capacity(1 << 16);
    let mut errors = 0;
    let mut seq = 0u64;
    loop {
        let t0 = Instant::now();
        if t0 >= end {
            break;
        }
        seq += 1;
        write_request(&mut req, addr, read, (idx << 32) | seq, seq);
        match conn.roundtrip(&req).await {
            Ok(r) if r.status == 200 => {}
            Ok(_) => errors += 1,
            Err(_) => {
                errors += 1;
                conn = Conn::connect(addr).await.expect("reconnect");
                continue;
            }
        }
        let t1 = Instant::now();
        if t1 >= measure_from && t1 <= end {
            lat.push((t1 - t0).as_nanos() as u64);
        }
    }
    (lat, errors)
}

async fn run(
    addr: SocketAddr,
    read: bool,
    conc: usize,
    warmup: f64,
    secs: f64,
    pid: Option<u32>,
) -> Run {
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(warmup);
    let end = measure_from + Duration::from_secs_f64(secs);
    let tasks: Vec<_> = (0..conc)
        .map(|i| tokio::spawn(connection(addr, read, i as u64, measure_from, end)))
        .collect();
    // Server CPU over the recorded window (the connections are all busy then).
    let (mut cpu, mut user) = (0, 0);
    if let Some(pid) = pid {
        tokio::time::sleep_until(measure_from.into()).await;
        let before = mcp_bench::cpu_ns_of(pid);
        let (user_before, _) = mcp_bench::user_sys_ns_of(pid);
        tokio::time::sleep_until(end.into()).await;
        cpu = mcp_bench::cpu_ns_of(pid).saturating_sub(before);
        user = mcp_bench::user_sys_ns_of(pid).0.saturating_sub(user_before);
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("connection task");
        all.extend(lat);
        errors += e;
    }
    all.sort_unstable();
    let us = |q| quantile(&all, q) as f64 / 1000.0;
    Run {
        rps: all.len() as f64 / secs,
        p50_us: us(0.50),
        p99_us: us(0.99),
        p999_us: us(0.999),
        cpu_us: if all.is_empty() {
            0.0
        } else {
            cpu as f64 / 1000.0 / all.len() as f64
        },
        user_us: if all.is_empty() {
            0.0
        } else {
            user as f64 / 1000.0 / all.len() as f64
        },
        errors,
    }
}

/// One call to each server: both must answer 200 with the same result.
async fn sanity(floor: SocketAddr, framework: SocketAddr, read: bool) {
    let mut bodies = Vec::new();
    for addr in [floor, framework] {
        let mut c = Conn::connect(addr).await.expect("connect");
        let mut req = Vec::new();
        write_request(&mut req, addr, read, 7, 40);
        let r = c.roundtrip(&req).await.expect("round trip");
        let body = String::from_utf8_lossy(c.body(&r)).into_owned();
        assert_eq!(r.status, 200, "{addr}: {body}");
        bodies.push(body);
    }
    if bodies[0] != bodies[1] {
        eprintln!(
            "note: the responses differ:\n  floor:     {}\n  framework: {}",
            bodies[0], bodies[1]
        );
    } else {
        println!("response (both): {}", bodies[1]);
    }
    // A request without the key must be refused by the framework.
    let mut c = Conn::connect(framework).await.expect("connect");
    let mut req = Vec::new();
    write_call_request(&mut req, framework, 8, 1, 1);
    let s = String::from_utf8(req).expect("ascii");
    let unauth = s.replace(
        &format!("Authorization: Bearer {}\r\n", mcp_bench::bearer()),
        "",
    );
    let r = c.roundtrip(unauth.as_bytes()).await.expect("round trip");
    assert_eq!(r.status, 401, "the framework must require the key");
}

fn main() {
    mcp_bench::maybe_serve();
    mcp_bench::maybe_sink();
    let o = opts();
    if let Some(c) = &o.client_cpus
        && !mcp_bench::pin_self(c)
    {
        eprintln!("warning: could not pin the load generator to CPUs {c}");
    }
    if let Some(addr) = o.attach {
        // Drive an external server (e.g. `http-bench --serve framework` under
        // callgrind or perf): one run per concurrency, no servers spawned.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            for &c in &o.conc {
                let r = run(addr, o.read, c, o.warmup, o.secs, None).await;
                let total = (r.rps * o.secs).round();
                println!(
                    "conc {c}: {total} requests, {:.0} req/s, p50 {:.1} µs, p99 {:.1} µs, errors {}",
                    r.rps, r.p50_us, r.p99_us, r.errors
                );
            }
        });
        return;
    }
    let workers = o.server_cpus.as_deref().map_or(0, |c| c.split(',').count());
    if o.nginx {
        assert!(
            !o.read,
            "--nginx measures tools/call only: leave out --method resources/read"
        );
        through_nginx(&o, workers);
        return;
    }
    let mut env = Vec::new();
    if o.metrics {
        env.push(("MCP_METRICS_ADDR".to_owned(), "127.0.0.1:0".to_owned()));
    }
    let sink = o.otel.as_ref().map(|(sampler, arg)| {
        let sink = mcp_bench::Sink::spawn();
        env.push((
            "OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(),
            format!("http://{}", sink.addr),
        ));
        env.push(("OTEL_TRACES_SAMPLER".to_owned(), sampler.clone()));
        if let Some(a) = arg {
            env.push(("OTEL_TRACES_SAMPLER_ARG".to_owned(), a.clone()));
        }
        sink
    });
    let floor_env = [(
        FLOOR_METHOD_ENV.to_owned(),
        if o.read {
            "resources/read"
        } else {
            "tools/call"
        }
        .to_owned(),
    )];
    let floor =
        ServerProcess::spawn_with_env(Kind::Floor, o.server_cpus.as_deref(), workers, &floor_env);
    let framework =
        ServerProcess::spawn_with_env(Kind::Framework, o.server_cpus.as_deref(), workers, &env);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "# {} over HTTP/1.1 keep-alive: framework vs bare axum floor",
        if o.read {
            "resources/read of a template"
        } else {
            "tools/call"
        }
    );
    println!("machine: {}", mcp_bench::machine());
    println!(
        "servers: child processes, CPUs {}, {} tokio worker(s); load generator: this process, CPUs {}, 1 thread; auth: {}",
        o.server_cpus.as_deref().unwrap_or("any"),
        if workers == 0 {
            "default".to_owned()
        } else {
            workers.to_string()
        },
        o.client_cpus.as_deref().unwrap_or("any"),
        if mcp_bench::bearer() == mcp_bench::API_KEY {
            "API key"
        } else {
            "JWT access token (RS256, verified-token cache)"
        },
    );
    println!(
        "framework: metrics {}, traces {}",
        if o.metrics {
            "on (MCP_METRICS_ADDR, not scraped)"
        } else {
            "off"
        },
        match &o.otel {
            Some((s, Some(a))) => format!("exported to a sink, OTEL_TRACES_SAMPLER={s} ({a})"),
            Some((s, None)) => format!("exported to a sink, OTEL_TRACES_SAMPLER={s}"),
            None => "off".to_owned(),
        }
    );
    println!(
        "rounds: {}, {} s recorded after {} s warm-up per run, floor/framework alternating",
        o.rounds, o.secs, o.warmup
    );
    rt.block_on(async {
        sanity(floor.addr, framework.addr, o.read).await;
        // Global warm-up: fill caches, grow buffers, let the CPU clock settle.
        for s in [&floor, &framework] {
            run(s.addr, o.read, 32, 0.0, 1.0, None).await;
        }
        println!();
        println!(
            "| conc | server | req/s | p50 µs | p99 µs | p99.9 µs | server CPU µs/req | of which user | errors |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|"
        );
        let mut summary = Vec::new();
        for &c in &o.conc {
            let mut res: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
            for round in 0..o.rounds {
                let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
                for which in order {
                    let s = if which == 0 { &floor } else { &framework };
                    res[which].push(run(s.addr, o.read, c, o.warmup, o.secs, Some(s.pid())).await);
                }
            }
            let med = |runs: &[Run], f: fn(&Run) -> f64| {
                let mut v: Vec<f64> = runs.iter().map(f).collect();
                median(&mut v)
            };
            let mut row = Vec::new();
            for (which, name) in [(0, "floor"), (1, "framework")] {
                let r = Run {
                    rps: med(&res[which], |r| r.rps),
                    p50_us: med(&res[which], |r| r.p50_us),
                    p99_us: med(&res[which], |r| r.p99_us),
                    p999_us: med(&res[which], |r| r.p999_us),
                    cpu_us: med(&res[which], |r| r.cpu_us),
                    user_us: med(&res[which], |r| r.user_us),
                    errors: res[which].iter().map(|r| r.errors).sum(),
                };
                println!(
                    "| {c} | {name} | {:.0} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} | {} |",
                    r.rps, r.p50_us, r.p99_us, r.p999_us, r.cpu_us, r.user_us, r.errors
                );
                row.push(r);
            }
            // Ratio of medians, and the median of per-round ratios (paired).
            let paired = |f: fn(&Run) -> f64| {
                let mut v: Vec<f64> = res[1]
                    .iter()
                    .zip(&res[0])
                    .map(|(m, fl)| f(m) / f(fl))
                    .collect();
                median(&mut v)
            };
            summary.push((
                c,
                row[1].rps / row[0].rps,
                paired(|r| r.rps),
                row[1].p50_us / row[0].p50_us,
                row[1].p99_us / row[0].p99_us,
                row[1].p999_us / row[0].p999_us,
                row[1].cpu_us / row[0].cpu_us,
            ));
        }
        println!();
        println!(
            "| conc | throughput framework/floor | (median of paired rounds) | p50 ratio | p99 ratio | p99.9 ratio | server CPU/req ratio |\n|---:|---:|---:|---:|---:|---:|---:|"
        );
        for (c, t, tp, p50, p99, p999, cpu) in summary {
            println!("| {c} | {t:.3} | {tp:.3} | {p50:.3} | {p99:.3} | {p999:.3} | {cpu:.3} |");
        }
    });
    drop(floor);
    drop(framework);
    drop(sink);
}

/// `--nginx`: one replica direct, through nginx, and three through nginx.
fn through_nginx(o: &Opts, workers: usize) {
    let replicas: Vec<ServerProcess> = (0..3)
        .map(|_| ServerProcess::spawn(Kind::Framework, o.server_cpus.as_deref(), workers))
        .collect();
    let nginx = mcp_bench::nginx::Nginx::spawn(
        &[
            vec![replicas[0].addr],
            replicas.iter().map(|r| r.addr).collect(),
        ],
        1,
    );
    let paths = [
        ("direct, 1 replica", replicas[0].addr),
        ("nginx, 1 replica", nginx.addrs[0]),
        ("nginx, 3 replicas", nginx.addrs[1]),
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("# tools/call over HTTP/1.1 keep-alive: direct vs through nginx");
    println!("machine: {}", mcp_bench::machine());
    println!(
        "replicas: 3 framework servers (child processes, CPUs {}, {} tokio worker(s) each); nginx: 1 worker, \
         deploy/nginx/mcp-locations.inc, keep-alive to the replicas; load generator: this process, 1 thread",
        o.server_cpus.as_deref().unwrap_or("any"),
        if workers == 0 {
            "default".to_owned()
        } else {
            workers.to_string()
        },
    );
    println!(
        "rounds: {}, {} s recorded after {} s warm-up per run, the three paths in rotating order",
        o.rounds, o.secs, o.warmup
    );
    rt.block_on(async {
        // The same answer on every path.
        let mut bodies = Vec::new();
        for (name, addr) in paths {
            let mut c = Conn::connect(addr).await.expect("connect");
            let mut req = Vec::new();
            write_call_request(&mut req, addr, 7, 40, 2);
            let r = c.roundtrip(&req).await.expect("round trip");
            let body = String::from_utf8_lossy(c.body(&r)).into_owned();
            assert_eq!(r.status, 200, "{name}: {body}");
            bodies.push(body);
        }
        assert!(
            bodies.iter().all(|b| *b == bodies[0]),
            "the paths answer alike: {bodies:?}"
        );
        println!("response (every path): {}", bodies[0]);
        for (_, addr) in paths {
            run(addr, false, 32, 0.0, 1.0, None).await;
        }
        println!();
        println!(
            "| conc | path | req/s | p50 µs | p99 µs | p99.9 µs | errors |\n|---:|---|---:|---:|---:|---:|---:|"
        );
        let mut summary = Vec::new();
        for &c in &o.conc {
            let mut res: [Vec<Run>; 3] = [Vec::new(), Vec::new(), Vec::new()];
            for round in 0..o.rounds {
                for k in 0..3 {
                    let which = (round + k) % 3;
                    res[which].push(run(paths[which].1, false, c, o.warmup, o.secs, None).await);
                }
            }
            let med = |runs: &[Run], f: fn(&Run) -> f64| {
                let mut v: Vec<f64> = runs.iter().map(f).collect();
                median(&mut v)
            };
            let mut rows = Vec::new();
            for (which, (name, _)) in paths.iter().enumerate() {
                let r = &res[which];
                let (rps, p50, p99, p999) = (
                    med(r, |r| r.rps),
                    med(r, |r| r.p50_us),
                    med(r, |r| r.p99_us),
                    med(r, |r| r.p999_us),
                );
                let errors: u64 = r.iter().map(|r| r.errors).sum();
                println!("| {c} | {name} | {rps:.0} | {p50:.1} | {p99:.1} | {p999:.1} | {errors} |");
                rows.push((rps, p50, p99));
            }
            summary.push((c, rows));
        }
        println!();
        println!(
            "| conc | nginx 1 / direct: req/s | p50 | p99 | nginx 3 / direct: req/s | p50 | p99 |\n|---:|---:|---:|---:|---:|---:|---:|"
        );
        for (c, rows) in summary {
            let d = rows[0];
            let ratio = |r: (f64, f64, f64)| (r.0 / d.0, r.1 / d.1, r.2 / d.2);
            let (a, b) = (ratio(rows[1]), ratio(rows[2]));
            println!(
                "| {c} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                a.0, a.1, a.2, b.0, b.1, b.2
            );
        }
    });
    drop(nginx);
    drop(replicas);
}
