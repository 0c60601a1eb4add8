//! Rate limits counted in a real Redis (`redis-server` on a loopback port of
//! its own, started here) by two servers that share it, as two replicas
//! behind a load balancer would: one tenant's budget is spent across both,
//! another tenant's is its own; with Redis gone a call is allowed or refused
//! as configured, never held up; once Redis is back the limits count again
//! without a restart of the servers.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_runtime::prelude::*;
use mcp_runtime::state::{RedisState, SharedState, Unreachable};
use mcp_runtime::{ErrorKind, Rate, Server};
use mcp_tests::redis::{Redis, free_port};
use serde_json::json;

/// The tenant the call acted for.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Acting {
    /// The tenant.
    tenant: Option<String>,
}

/// Answer which tenant the call acts for.
#[mcp_tool(read_only)]
async fn which_tenant(ctx: ToolContext) -> Acting {
    Acting {
        tenant: ctx.tenant_id().map(str::to_owned),
    }
}

/// A server ("replica") counting its limits in `state`.
fn replica(state: Arc<dyn SharedState>, per_tenant: Rate, policy: Unreachable) -> Server {
    Server::builder("shared-state-tests", "1.0.0")
        .keys_from_env(false)
        .tools_where(|n| n == "which_tenant")
        .rate_limit_per_tenant(per_tenant)
        .shared_state(state)
        .when_state_unreachable(policy)
        .build()
        .expect("server builds")
}

#[tokio::test]
async fn a_tenant_limit_holds_across_replicas_and_survives_a_redis_restart() {
    let port = free_port();
    let Some(redis) = Redis::start(port) else {
        return;
    };
    // One key prefix per run, as one server name would give.
    let prefix = format!("mcp:shared-state-test-{}:", std::process::id());
    let url = redis.url();
    let state = || -> Arc<dyn SharedState> {
        Arc::new(
            RedisState::new(&url, prefix.clone())
                .unwrap()
                .timeout(Duration::from_millis(300)),
        )
    };
    let rate = Rate::per_minute(10);
    let a = replica(state(), rate, Unreachable::Allow).client();
    let b = replica(state(), rate, Unreachable::Allow).client();

    // 15 calls for acme, alternating replicas: 10 served, then rate_limit.
    let mut served = 0;
    let mut limited = Vec::new();
    for i in 0..15 {
        let client = if i % 2 == 0 { &a } else { &b };
        let r = client
            .call("which_tenant", json!({ "tenantId": "acme" }))
            .await
            .expect("a tool result");
        if r.is_error() {
            limited.push(r);
        } else {
            served += 1;
        }
    }
    assert_eq!(
        served, 10,
        "the budget of 10/min is shared by both replicas"
    );
    assert_eq!(limited.len(), 5);
    for r in &limited {
        let e = r.json().expect("an error object")["error"].clone();
        assert_eq!(e["type"], "rate_limit", "{e}");
        let ms = e["retryAfterMs"].as_u64().expect("retryAfterMs");
        // One call's worth of a 10/min bucket: 6 s at most.
        assert!((1..=6_000).contains(&ms), "{e}");
        assert_eq!(
            e["message"],
            format!("too many calls for this tenant; retry in {ms} ms")
        );
    }
    // globex has its own budget, on either replica.
    for client in [&a, &b] {
        let r: Acting = client
            .call_ok("which_tenant", json!({ "tenantId": "globex" }))
            .await;
        assert_eq!(r.tenant.as_deref(), Some("globex"));
    }

    // Redis goes away: the replica allows (its policy), without waiting
    // for more than its timeout; one that refuses answers server_error.
    drop(redis);
    let refusing = replica(state(), rate, Unreachable::Refuse).client();
    let started = Instant::now();
    let r: Acting = a
        .call_ok("which_tenant", json!({ "tenantId": "initech" }))
        .await;
    assert_eq!(r.tenant.as_deref(), Some("initech"));
    let message = refusing
        .call_err(
            "which_tenant",
            json!({ "tenantId": "initech" }),
            ErrorKind::Server,
        )
        .await;
    assert_eq!(
        message,
        "the server cannot check its rate limits now (its shared state is unreachable); retry shortly"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "an unreachable Redis held calls for {:?}",
        started.elapsed()
    );

    // Redis is back on the same port (empty: a restart without persistence):
    // the same replicas count again, without being restarted.
    let _redis = Redis::start(port).expect("restarts");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut served = 0;
    loop {
        let r = b
            .call("which_tenant", json!({ "tenantId": "umbrella" }))
            .await
            .expect("a tool result");
        if r.is_error() {
            let e = r.json().expect("an error object")["error"].clone();
            assert_eq!(e["type"], "rate_limit", "{e}");
            break;
        }
        served += 1;
        assert!(
            Instant::now() < deadline,
            "no limit after Redis came back ({served} calls served)"
        );
        // While the connection comes back, calls are allowed (policy): wait
        // a little so that the reconnect happens within the deadline.
        if served > 10 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Counted in Redis again: after the reconnect exactly 10 were admitted in
    // a row before the refusal, or more while it reconnected (allowed).
    assert!(served >= 10, "{served}");
    let r = a
        .call("which_tenant", json!({ "tenantId": "umbrella" }))
        .await
        .expect("a tool result");
    assert!(
        r.is_error(),
        "the other replica sees the same spent budget: {r:?}"
    );
}

/// The README's `main` (`tests/src/bin/startup-errors.rs`) with `env`: a
/// refusal at start names the variable.
fn refused_at_start(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_startup-errors"));
    for var in [
        "MCP_STATE_URL",
        "MCP_STATE_UNREACHABLE",
        "MCP_STATE_TIMEOUT_MS",
        "MCP_API_KEYS",
        "MCP_API_KEYS_FILE",
        "STARTUP_ERRORS_CASE",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied()).stdin(Stdio::null());
    let out = cmd.output().expect("run startup-errors");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_shared_state_settings_are_refused_at_start_naming_the_variable() {
    for (env, message) in [
        (
            vec![("MCP_STATE_URL", "http://cache:6379")],
            "MCP_STATE_URL must be a redis:// URL (the only shared state there is)",
        ),
        (
            vec![("MCP_STATE_URL", "redis://[::1")],
            "MCP_STATE_URL: `redis://[::1` is not a Redis URL: Redis URL did not parse - InvalidClientConfig",
        ),
        (
            vec![
                ("MCP_STATE_URL", "redis://127.0.0.1:1/"),
                ("MCP_STATE_TIMEOUT_MS", "0"),
            ],
            "MCP_STATE_TIMEOUT_MS=0: a number of milliseconds above 0",
        ),
        (
            vec![("MCP_STATE_UNREACHABLE", "maybe")],
            "MCP_STATE_UNREACHABLE=maybe: `maybe` is neither `allow` nor `refuse`",
        ),
    ] {
        assert_eq!(
            refused_at_start(&env),
            (Some(1), format!("Error: shared state: {message}\n")),
            "{env:?}"
        );
    }
}
