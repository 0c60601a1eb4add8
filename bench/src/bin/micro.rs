//! Micro-benchmarks of the framework, in process: `tools/call` dispatch of a
//! trivial tool and of a 50-field tool, `tools/list` for 10/100/1000 tools,
//! registry build for 100 and 1000 tools.
//!
//! ```text
//! cargo run --release -p mcp-bench --bin micro -- [--batches 9] [--filter NAME]
//! ```
//!
//! A hand-rolled harness: each benchmark is calibrated to batches of about
//! 50 ms, runs `batches` batches, and reports the median (and the best) time
//! per operation. The synthetic tools `t000`…`t999` are registered with
//! `inventory` like `#[mcp_tool]` tools, share one realistic arguments type
//! (documented fields, bounds, an enum), and are selected with `tools_where`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use mcp_bench::{Sum, median};
use mcp_runtime::__private::{self as rt, Annotations, CallFuture, ToolDescriptor};
use mcp_runtime::prelude::*;
use mcp_runtime::{Registry, Server};
use serde_json::Value;

// ---------------------------------------------------------- synthetic tools

/// How to sort the orders.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum SortOrder {
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
    /// Largest total first.
    Largest,
}

/// Arguments of the synthetic tools.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SynthArgs {
    /// The customer whose orders to list, e.g. `CUST-1042`.
    #[schemars(length(min = 1, max = 32))]
    customer_id: String,
    /// How many orders to return, 1 to 100 (default 20).
    #[schemars(range(min = 1, max = 100))]
    limit: Option<u32>,
    /// Include cancelled orders.
    #[serde(default)]
    include_cancelled: bool,
    /// Sort order (default newest first).
    sort: Option<SortOrder>,
}

fn synth_call(v: Value, _ctx: ToolContext) -> CallFuture {
    Box::pin(async move {
        let a: SynthArgs = rt::parse_arguments(v)?;
        let _ = (a.limit, a.include_cancelled, a.sort);
        rt::finish_plain(Sum {
            sum: a.customer_id.len() as i64,
        })
    })
}

macro_rules! synth {
    ($name:expr) => {
        rt::inventory::submit! {
            ToolDescriptor {
                name: $name,
                title: None,
                description: concat!(
                    "List a customer's orders, newest first (synthetic tool ", $name,
                    "). Returns the number of orders. Use it when asked about order history."
                ),
                annotations: Annotations {
                    read_only: Some(true),
                    destructive: None,
                    idempotent: None,
                    open_world: None,
                },
                input_schema: rt::input_schema_for::<SynthArgs>,
                output_schema: rt::output_schema_for::<Sum>,
                call: synth_call,
                state: &[],
                scopes: &[],
                task: rt::TaskSupport::None,
                module_path: module_path!(),
                file: file!(),
                line: line!(),
            }
        }
    };
}

macro_rules! synth10 {
    ($p:expr) => {
        synth!(concat!($p, "0"));
        synth!(concat!($p, "1"));
        synth!(concat!($p, "2"));
        synth!(concat!($p, "3"));
        synth!(concat!($p, "4"));
        synth!(concat!($p, "5"));
        synth!(concat!($p, "6"));
        synth!(concat!($p, "7"));
        synth!(concat!($p, "8"));
        synth!(concat!($p, "9"));
    };
}

macro_rules! synth100 {
    ($p:expr) => {
        synth10!(concat!($p, "0"));
        synth10!(concat!($p, "1"));
        synth10!(concat!($p, "2"));
        synth10!(concat!($p, "3"));
        synth10!(concat!($p, "4"));
        synth10!(concat!($p, "5"));
        synth10!(concat!($p, "6"));
        synth10!(concat!($p, "7"));
        synth10!(concat!($p, "8"));
        synth10!(concat!($p, "9"));
    };
}

synth100!("t0");
synth100!("t1");
synth100!("t2");
synth100!("t3");
synth100!("t4");
synth100!("t5");
synth100!("t6");
synth100!("t7");
synth100!("t8");
synth100!("t9");

/// Whether `name` is one of the first `n` synthetic tools.
fn synthetic_below(name: &str, n: usize) -> bool {
    name.len() == 4
        && name
            .strip_prefix('t')
            .and_then(|d| d.parse::<usize>().ok())
            .is_some_and(|i| i < n)
}

// ------------------------------------------------------------ the wide tool

/// Fifty arguments of mixed types (most are only deserialized).
#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Wide50 {
    /// Field 0 of the wide arguments: a string the tool reads.
    #[schemars(length(min = 1, max = 64))]
    f00: String,
    /// Field 1 of the wide arguments: a i64 the tool reads.
    #[schemars(range(min = 0, max = 1000000))]
    f01: i64,
    /// Field 2 of the wide arguments: a bool the tool reads.
    f02: bool,
    /// Field 3 of the wide arguments: a option<string> the tool reads.
    f03: Option<String>,
    /// Field 4 of the wide arguments: a f64 the tool reads.
    #[schemars(range(min = 0.0))]
    f04: f64,
    /// Field 5 of the wide arguments: a string the tool reads.
    #[schemars(length(min = 1, max = 64))]
    f05: String,
    /// Field 6 of the wide arguments: a i64 the tool reads.
    #[schemars(range(min = 0, max = 1000000))]
    f06: i64,
    /// Field 7 of the wide arguments: a bool the tool reads.
    f07: bool,
    /// Field 8 of the wide arguments: a option<string> the tool reads.
    f08: Option<String>,
    /// Field 9 of the wide arguments: a f64 the tool reads.
    #[schemars(range(min = 0.0))]
    f09: f64,
    /// Field 10 of the wide arguments: a string the tool reads.
    #[schemars(length(min = 1, max = 64))]
    f10: String,
    /// Field 11 of the wide arguments: a i64 the tool reads.
    #[schemars(range(min = 0, max = 1000000))]
    f11: i64,
    /// Field 12 of the wide arguments: a bool the tool reads.
    f12: bool,
    /// Field 13 of the wide arguments: a option<string> the tool reads.
    f13: Option<String>,
    /// Field 14 of the wide arguments: a f64 the tool reads.
    #[schemars(range(min = 0.0))]
    f14: f64,
    /// Field 15 of the wide arguments: a string the tool reads.
    #[schemars(length(min = 1, max = 64))]
    f15: String,
    /// Field 16 of the wide arguments: a i64 the tool reads.
    #[schemars(range(min = 0, max = 1000000))]
    f16: i64,
    /// Field 17 of the wide arguments: a bool the tool reads.
    f17: bool,
    /// Field 18 of the wide arguments: a option<string> the tool reads.
    f18: Option<String>,
    /// Field 19 of the wide arguments: a f64 the tool reads.
    #[schemars(range(min = 0.0))]
    f19: f64,
    /// Field 20 of the wide arguments: a string the tool reads.
    #[schemars(length(min = 1, max = 64))]
    f20: String,
    /// Field 21 of the wide arguments: a i64 the tool reads.
    #[schemars(range(min = 0, max = 1000000))]
    f21: i64,
    /// Field 22 of the wide arguments: a bool the tool reads.
    f22: bool,
    /// Field 23 of the wide arguments: a option<string> the tool reads.
    f23: Option<String>,
    /// Field 24 of the wide arguments: a f64 the tool reads.
    #[schemars(range(min = 0.0))]
    f24: f64,
    /// Field 25 of the wide arguments: a string the tool reads.
    #[schemars(length(min = 1, max = 64))]
    f25: String,
    /// Field 26 of the wide arguments: a i64 the tool reads.
    #[schemars(range(min = 0, max = 1000000))]
    f26: i64,
    /// Field 27 of the wide arguments: a bool the tool reads.
    f27: bool,
    /// Field 28 of the wide arguments: a option<string> the tool reads.
    f28: Option<String>,
    /// Field 29 of the wide arguments: a f64 the tool reads.
    #[schemars(range(min = 0.0))]
    f29: f64,
    /// Field 30 of the wide arguments: a string the tool reads.
    #[schemars(length(min = 1, max = 64))]
    f30: String,
    /// Field 31 of the wide arguments: a i64 the tool reads.
    #[schemars(range(min = 0, max = 1000000))]
    f31: i64,
    /// Field 32 of the wide arguments: a bool the tool reads.
    f32: bool,
    /// Field 33 of the wide arguments: a option<string> the tool reads.
    f33: Option<String>,
    /// Field 34 of the wide arguments: a f64 the tool reads.
    #[schemars(range(min = 0.0))]
    f34: f64,
    /// Field 35 of the wide arguments: a string the tool reads.
    #[schemars(length(min = 1, max = 64))]
    f35: String,
    /// Field 36 of the wide arguments: a i64 the tool reads.
    #[schemars(range(min = 0, max = 1000000))]
    f36: i64,
    /// Field 37 of the wide arguments: a bool the tool reads.
    f37: bool,
    /// Field 38 of the wide arguments: a option<string> the tool reads.
    f38: Option<String>,
    /// Field 39 of the wide arguments: a f64 the tool reads.
    #[schemars(range(min = 0.0))]
    f39: f64,
    /// Field 40 of the wide arguments: a string the tool reads.
    #[schemars(length(min = 1, max = 64))]
    f40: String,
    /// Field 41 of the wide arguments: a i64 the tool reads.
    #[schemars(range(min = 0, max = 1000000))]
    f41: i64,
    /// Field 42 of the wide arguments: a bool the tool reads.
    f42: bool,
    /// Field 43 of the wide arguments: a option<string> the tool reads.
    f43: Option<String>,
    /// Field 44 of the wide arguments: a f64 the tool reads.
    #[schemars(range(min = 0.0))]
    f44: f64,
    /// Field 45 of the wide arguments: a string the tool reads.
    #[schemars(length(min = 1, max = 64))]
    f45: String,
    /// Field 46 of the wide arguments: a i64 the tool reads.
    #[schemars(range(min = 0, max = 1000000))]
    f46: i64,
    /// Field 47 of the wide arguments: a bool the tool reads.
    f47: bool,
    /// Field 48 of the wide arguments: a option<string> the tool reads.
    f48: Option<String>,
    /// Field 49 of the wide arguments: a f64 the tool reads.
    #[schemars(range(min = 0.0))]
    f49: f64,
}

/// Take fifty arguments and count the true flags. Use it to benchmark wide argument structs.
#[mcp_tool(read_only)]
async fn wide50(args: Wide50) -> Sum {
    Sum {
        sum: [args.f02, args.f07, args.f12, args.f47]
            .iter()
            .filter(|b| **b)
            .count() as i64
            + args.f01
            + args.f00.len() as i64
            + args.f03.map_or(0, |s| s.len() as i64)
            + args.f04 as i64,
    }
}

/// The answer to "go ahead?".
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct GoAhead {
    /// Tick to go ahead.
    ok: bool,
}

/// Add two numbers once the user says so: one question, then `add`'s work.
#[mcp_tool(read_only)]
async fn confirmed_add(
    /// First.
    a: i64,
    /// Second.
    b: i64,
    ctx: ToolContext,
) -> Result<Sum, McpError> {
    let go = ctx.elicit::<GoAhead>("Add them?").key("ok").await?;
    let ok = go.accepted().is_some_and(|g| g.ok);
    Ok(Sum {
        sum: if ok { a + b } else { 0 },
    })
}

/// A 2026-07-28 `tools/call` of `tool` with `params_extra` (`,"key":value…`).
fn stateless_message(tool: &str, args: &str, params_extra: &str) -> Vec<u8> {
    format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"{tool}","arguments":{args},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{{"name":"micro","version":"0"}},"io.modelcontextprotocol/clientCapabilities":{{"elicitation":{{}}}}}}{params_extra}}}}}"#
    )
    .into_bytes()
}

const WIDE_ARGS: &str = r#"{"f00":"value-0","f01":1,"f02":true,"f03":"opt-3","f04":4.5,"f05":"value-5","f06":6,"f07":true,"f08":"opt-8","f09":9.5,"f10":"value-10","f11":11,"f12":true,"f13":"opt-13","f14":14.5,"f15":"value-15","f16":16,"f17":true,"f18":"opt-18","f19":19.5,"f20":"value-20","f21":21,"f22":true,"f23":"opt-23","f24":24.5,"f25":"value-25","f26":26,"f27":true,"f28":"opt-28","f29":29.5,"f30":"value-30","f31":31,"f32":true,"f33":"opt-33","f34":34.5,"f35":"value-35","f36":36,"f37":true,"f38":"opt-38","f39":39.5,"f40":"value-40","f41":41,"f42":true,"f43":"opt-43","f44":44.5,"f45":"value-45","f46":46,"f47":true,"f48":"opt-48","f49":49.5}"#;

// ------------------------------------------------------------------ harness

struct Report {
    rows: Vec<(String, f64, f64, Option<f64>)>,
    batches: usize,
    filter: Option<String>,
    /// Fixed iterations per batch (no calibration), e.g. for callgrind.
    iters: Option<u64>,
}

impl Report {
    fn wants(&self, name: &str) -> bool {
        self.filter.as_deref().is_none_or(|p| name.contains(p))
    }

    /// Time `f(n)` (which runs the operation `n` times): calibrate `n` to a
    /// batch of about 50 ms, then take the median and best of the batches.
    fn bench(&mut self, name: &str, target_ns: Option<f64>, f: impl FnMut(u64)) {
        self.bench_then(name, target_ns, f, || {});
    }

    /// As [`Report::bench`], with `cleanup` run after every timed call
    /// (untimed): to drop what the operation built.
    fn bench_then(
        &mut self,
        name: &str,
        target_ns: Option<f64>,
        mut f: impl FnMut(u64),
        mut cleanup: impl FnMut(),
    ) {
        if !self.wants(name) {
            return;
        }
        f(1);
        cleanup();
        let mut n = self.iters.unwrap_or(1);
        while self.iters.is_none() {
            let t = Instant::now();
            f(n);
            let e = t.elapsed();
            cleanup();
            if e >= Duration::from_millis(20) || n >= 1 << 30 {
                let per = e.as_secs_f64() / n as f64;
                n = ((0.05 / per) as u64).max(1);
                break;
            }
            n *= 4;
        }
        let mut per_op: Vec<f64> = (0..self.batches)
            .map(|_| {
                let t = Instant::now();
                f(n);
                let e = t.elapsed();
                cleanup();
                e.as_secs_f64() * 1e9 / n as f64
            })
            .collect();
        let best = per_op.iter().copied().fold(f64::INFINITY, f64::min);
        let med = median(&mut per_op);
        println!(
            "{name:<58} {:>12} (best {:>10}){}",
            fmt_ns(med),
            fmt_ns(best),
            target_ns.map_or(String::new(), |t| format!(
                "  target ≤ {}: {}",
                fmt_ns(t),
                if med <= t { "ok" } else { "MISSED" }
            ))
        );
        self.rows.push((name.to_owned(), med, best, target_ns));
    }
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn call_message(tool: &str, args: &str) -> Vec<u8> {
    format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"{tool}","arguments":{args}}}}}"#
    )
    .into_bytes()
}

fn main() {
    let mut batches = 9;
    let mut filter = None;
    let mut iters = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--batches" => {
                batches = args
                    .next()
                    .and_then(|b| b.parse().ok())
                    .expect("--batches N")
            }
            "--filter" => filter = args.next(),
            "--iters" => iters = Some(args.next().and_then(|b| b.parse().ok()).expect("--iters N")),
            other => panic!("unknown option {other}"),
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("# micro-benchmarks (in process, one thread)");
    println!("machine: {}", mcp_bench::machine());
    // Start-up as a server sees it: the first registry of the process, with
    // the JSON Schema engine's meta-schemas still to be loaded and compiled.
    if filter
        .as_deref()
        .is_none_or(|p| "registry build, 1000 tools, first".contains(p))
    {
        let t = Instant::now();
        let reg = Registry::from_inventory_filtered(|name| synthetic_below(name, 1000))
            .expect("registry");
        let e = t.elapsed();
        assert_eq!(reg.len(), 1000);
        println!(
            "{:<58} {:>12} (one run, first in the process)",
            "registry build, 1000 tools, first in process",
            fmt_ns(e.as_secs_f64() * 1e9)
        );
        drop(reg);
    }
    let mut r = Report {
        rows: Vec::new(),
        batches,
        filter,
        iters,
    };

    // The floor's JSON work for one call, for scale.
    let add_msg = call_message("add", r#"{"a":2,"b":3}"#);
    r.bench(
        "floor JSON work of one add call (parse + serialize)",
        None,
        |n| {
            for _ in 0..n {
                black_box(mcp_bench::floor_call(black_box(&add_msg)));
            }
        },
    );

    // tools/call of the trivial tool through the dispatcher.
    let server = Server::builder("micro", "0")
        .tools_where(|n| n == "add" || n == "wide50" || n == "confirmed_add")
        .build()
        .expect("server");
    let client = server.client();
    let reply = rt
        .block_on(client.send_bytes(&add_msg))
        .expect("a response");
    assert!(
        String::from_utf8_lossy(&reply).contains(r#""structuredContent":{"sum":5}"#),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    r.bench(
        "tools/call add {a,b} (parse, validate, call, serialize)",
        Some(2_000.0),
        |n| {
            rt.block_on(async {
                for _ in 0..n {
                    black_box(client.send_bytes(black_box(&add_msg)).await);
                }
            })
        },
    );
    let tenant_msg = call_message(
        "add",
        r#"{"a":2,"b":3,"tenantId":"acme","workspaceId":"ws-1"}"#,
    );
    r.bench(
        "tools/call add with tenantId + workspaceId injected",
        None,
        |n| {
            rt.block_on(async {
                for _ in 0..n {
                    black_box(client.send_bytes(black_box(&tenant_msg)).await);
                }
            })
        },
    );
    let bad_msg = call_message("add", r#"{"a":"two","b":3}"#);
    r.bench(
        "tools/call add, invalid argument (validation_error result)",
        None,
        |n| {
            rt.block_on(async {
                for _ in 0..n {
                    black_box(client.send_bytes(black_box(&bad_msg)).await);
                }
            })
        },
    );
    let wide_msg = call_message("wide50", WIDE_ARGS);
    let reply = rt
        .block_on(client.send_bytes(&wide_msg))
        .expect("a response");
    assert!(
        !String::from_utf8_lossy(&reply).contains("isError"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    r.bench("tools/call wide50 (50-field argument struct)", None, |n| {
        rt.block_on(async {
            for _ in 0..n {
                black_box(client.send_bytes(black_box(&wide_msg)).await);
            }
        })
    });

    // One MRTR round trip (SEP-2322) against a plain call, both 2026-07-28.
    let plain = stateless_message("add", r#"{"a":2,"b":3}"#, "");
    let round1 = stateless_message("confirmed_add", r#"{"a":2,"b":3}"#, "");
    let first: Value =
        serde_json::from_slice(&rt.block_on(client.send_bytes(&round1)).expect("a response"))
            .expect("JSON");
    assert_eq!(first["result"]["resultType"], "input_required", "{first}");
    let state = first["result"]["requestState"].to_string();
    let round2 = stateless_message(
        "confirmed_add",
        r#"{"a":2,"b":3}"#,
        &format!(
            r#","inputResponses":{{"ok":{{"action":"accept","content":{{"ok":true}}}}}},"requestState":{state}"#
        ),
    );
    let second = String::from_utf8(rt.block_on(client.send_bytes(&round2)).expect("a response"))
        .expect("UTF-8");
    assert!(
        second.contains(r#""structuredContent":{"sum":5}"#),
        "{second}"
    );
    for (name, msg) in [
        ("2026-07-28 tools/call add (plain, for scale)", &plain),
        ("MRTR round 1: InputRequiredResult, state sealed", &round1),
        (
            "MRTR round 2: state opened, handler re-run, complete",
            &round2,
        ),
    ] {
        r.bench(name, None, |n| {
            rt.block_on(async {
                for _ in 0..n {
                    black_box(client.send_bytes(black_box(msg)).await);
                }
            })
        });
    }
    r.bench("MRTR round trip (round 1 + round 2)", None, |n| {
        rt.block_on(async {
            for _ in 0..n {
                black_box(client.send_bytes(black_box(&round1)).await);
                black_box(client.send_bytes(black_box(&round2)).await);
            }
        })
    });

    // tools/list, precomputed pages.
    let list_msg = br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    for (tools, page_size) in [(10, 100), (100, 100), (1000, 100), (1000, 1000)] {
        if !r.wants("tools/list") {
            break;
        }
        let server = Server::builder("micro", "0")
            .tools_where(move |n| synthetic_below(n, tools))
            .page_size(page_size)
            .build()
            .expect("server");
        assert_eq!(server.registry().len(), tools);
        let client = server.client();
        let bytes = rt
            .block_on(client.send_bytes(list_msg))
            .expect("a response")
            .len();
        let shown = tools.min(page_size);
        let name = if shown == tools {
            format!("tools/list, {tools} tools ({} KiB)", bytes / 1024)
        } else {
            format!(
                "tools/list, {tools} tools, first page of {shown} ({} KiB)",
                bytes / 1024
            )
        };
        r.bench(&name, (tools == 100).then_some(2_000.0), |n| {
            rt.block_on(async {
                for _ in 0..n {
                    black_box(client.send_bytes(black_box(list_msg)).await);
                }
            })
        });
    }

    // Registry build: every schema generated, inlined, checked against the
    // meta-schema, compiled into a validator; the list pages serialized.
    // What a build makes is dropped after the timing (not part of a build).
    let built = std::cell::RefCell::new(Vec::new());
    for (tools, target) in [(100, None), (1000, Some(100e6))] {
        r.bench_then(
            &format!("registry build, {tools} tools (schemas generated + checked)"),
            target,
            |n| {
                for _ in 0..n {
                    let reg =
                        Registry::from_inventory_filtered(|name| synthetic_below(name, tools))
                            .expect("registry");
                    assert_eq!(reg.len(), tools);
                    built.borrow_mut().push(reg);
                }
            },
            || built.borrow_mut().clear(),
        );
    }
    let servers = std::cell::RefCell::new(Vec::new());
    r.bench_then(
        "server build, 1000 tools (registry + list pages)",
        None,
        |n| {
            for _ in 0..n {
                servers.borrow_mut().push(
                    Server::builder("micro", "0")
                        .tools_where(|name| synthetic_below(name, 1000))
                        .build()
                        .expect("server"),
                );
            }
        },
        || servers.borrow_mut().clear(),
    );

    println!();
    println!("| benchmark | median | best | target |\n|---|---:|---:|---|");
    for (name, med, best, target) in &r.rows {
        println!(
            "| {name} | {} | {} | {} |",
            fmt_ns(*med),
            fmt_ns(*best),
            target.map_or("".into(), |t| format!(
                "≤ {} {}",
                fmt_ns(t),
                if *med <= t { "✓" } else { "✗" }
            ))
        );
    }
}
