//! What a user sees when a server does not start, from a real process whose
//! `main` is the README's (`tests/src/bin/startup-errors.rs`): `Error: ` and
//! the message on stderr (never the variant's `Debug`), every registry
//! problem on its own line, exit status 1; `--help` on stdout, exit 0.
//! Options that are not `Server::run`'s are left to the application. Every
//! variable's bad value is refused at start with a message naming it: one
//! test per family of variables.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_startup-errors");
const SOURCE: &str = include_str!("../src/bin/startup-errors.rs");

/// Every variable the runtime reads, removed from the child's environment.
const VARIABLES: [&str; 22] = [
    "MCP_ADDR",
    "MCP_TENANT",
    "MCP_WORKSPACE",
    "MCP_API_KEYS",
    "MCP_API_KEYS_FILE",
    "MCP_LOG",
    "RUST_LOG",
    "MCP_RATE_LIMIT_PER_KEY",
    "MCP_RATE_LIMIT_PER_TENANT",
    "MCP_CALL_TIMEOUT_SECS",
    "MCP_SHUTDOWN_TIMEOUT_SECS",
    "MCP_SESSIONS",
    "MCP_SESSION_IDLE_SECS",
    "MCP_METRICS_ADDR",
    "MCP_OAUTH_ISSUER",
    "MCP_OAUTH_AUDIENCE",
    "MCP_OAUTH_TENANT_CLAIM",
    "MCP_OAUTH_JWKS_URL",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_SDK_DISABLED",
    "STARTUP_ERRORS_CASE",
];

/// Run the binary with `args` and `STARTUP_ERRORS_CASE=case` (if any), in
/// an environment without the runtime's variables.
fn run(case: Option<&str>, args: &[&str]) -> Output {
    run_env(case, &[], args)
}

/// [`run`] with these variables set, stdin closed (a stdio server ends at once).
fn run_env(case: Option<&str>, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdin(std::process::Stdio::null());
    for var in VARIABLES {
        cmd.env_remove(var);
    }
    if let Some(c) = case {
        cmd.env("STARTUP_ERRORS_CASE", c);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run startup-errors")
}

/// Exit code, stdout, stderr.
fn outcome(out: &Output) -> (Option<i32>, String, String) {
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A refusal: exit 1, nothing on stdout, exactly `Error: {message}\n` on stderr.
fn assert_refused(out: &Output, message: &str) {
    assert_eq!(
        outcome(out),
        (Some(1), String::new(), format!("Error: {message}\n"))
    );
}

/// The line of `async fn {name}` in the binary's source.
fn line_of(name: &str) -> usize {
    SOURCE
        .lines()
        .position(|l| l.starts_with(&format!("async fn {name}(")))
        .expect("the tool is in the source")
        + 1
}

#[test]
fn options_it_does_not_know_are_left_to_the_application() {
    // `--db x.db` is the application's: `run` serves stdio (stdin is
    // closed, so it ends at once) and exits 0, saying nothing at `info`.
    assert_eq!(
        outcome(&run(
            None,
            &["--db", "x.db", "--port=8080", "-v", "--stdio"]
        )),
        (Some(0), String::new(), String::new())
    );
    // At debug it names each option it left alone.
    let (code, stdout, stderr) = outcome(&run_env(
        None,
        &[("MCP_LOG", "mcp_runtime=debug")],
        &["--db", "x.db", "--port=8080", "--stdio"],
    ));
    assert_eq!((code, stdout.as_str()), (Some(0), ""), "{stderr}");
    let left: Vec<&str> = stderr
        .lines()
        .filter_map(|l| {
            l.split_once(" DEBUG not an option of Server::run: left to the application ")
        })
        .map(|(_, option)| option)
        .collect();
    assert_eq!(
        left,
        ["option=\"--db\"", "option=\"--port=8080\""],
        "{stderr}"
    );
}

#[test]
fn a_missing_value_says_what_to_give() {
    assert_refused(
        &run(None, &["--addr"]),
        "--addr needs a value, e.g. --addr 127.0.0.1:8080",
    );
    // The next option is not taken for the value.
    assert_refused(
        &run(None, &["--addr", "--stdio"]),
        "--addr needs a value, e.g. --addr 127.0.0.1:8080",
    );
    assert_refused(
        &run(None, &["--stdio", "--tenant"]),
        "--tenant needs a value, e.g. --tenant acme",
    );
    assert_refused(
        &run(None, &["--workspace", "--db", "x.db"]),
        "--workspace needs a value, e.g. --workspace main",
    );
    assert_refused(
        &run(None, &["--stdio", "--tenant", ""]),
        "the tenant to act for must be a non-empty string of at most 256 bytes, not ``",
    );
    assert_refused(
        &run(None, &["--stdio=yes"]),
        "--stdio takes no value (not `--stdio=yes`)",
    );
}

#[test]
fn help_goes_to_stdout_and_exits_0() {
    let usage = "usage: startup-errors [--stdio] [--addr HOST:PORT] [--tenant ID] [--workspace ID]\n\
                 env: MCP_ADDR (default 127.0.0.1:8080), MCP_TENANT, MCP_WORKSPACE, MCP_API_KEYS, \
                 MCP_API_KEYS_FILE, MCP_LOG,\n     \
                 MCP_OAUTH_ISSUER, MCP_OAUTH_AUDIENCE, MCP_OAUTH_TENANT_CLAIM, MCP_OAUTH_JWKS_URL,\n     \
                 MCP_RATE_LIMIT_PER_KEY, MCP_RATE_LIMIT_PER_TENANT, MCP_CALL_TIMEOUT_SECS, \
                 MCP_SHUTDOWN_TIMEOUT_SECS, MCP_METRICS_ADDR\n\
                 other arguments are the program's own and are left to it\n";
    for flag in ["--help", "-h"] {
        assert_eq!(
            outcome(&run(None, &[flag])),
            (Some(0), usage.to_owned(), String::new()),
            "{flag}"
        );
    }
}

#[test]
fn registry_problems_are_listed_one_a_line() {
    let problem = |tool: &str, ty: &str| {
        format!(
            "  - tests/src/bin/startup-errors.rs:{}: tool `{tool}`: reads state \
             `startup_errors::{ty}` with `ctx.state::<startup_errors::{ty}>()`, but the server \
             builder was not given one: add `.state(...)` with a value of that type",
            line_of(tool)
        )
    };
    assert_refused(
        &run(Some("missing-state"), &[]),
        &format!(
            "the MCP tools have 2 problem(s):\n{}\n{}",
            problem("count_cached", "Cache"),
            problem("count_rows", "Db")
        ),
    );
}

#[test]
fn a_server_left_with_no_tools_does_not_start() {
    assert_refused(
        &run(Some("no-tools"), &["--stdio"]),
        "none of the 2 registered MCP tools passes `tools_where` and no resource or prompt is \
         registered, so the server would serve nothing: check the filter, or call \
         `.allow_no_tools()` on the builder if a server without tools is intended",
    );
}

#[test]
fn one_tenant_is_refused_on_a_public_address() {
    let (code, stdout, stderr) = outcome(&run(None, &["--tenant", "acme", "--addr", "0.0.0.0:0"]));
    assert_eq!((code, stdout.as_str()), (Some(1), ""), "{stderr}");
    let port = stderr
        .strip_prefix("Error: refusing to serve on 0.0.0.0:")
        .and_then(|rest| rest.split_once(' '))
        .map(|(port, _)| port)
        .unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(
        stderr,
        format!(
            "Error: refusing to serve on 0.0.0.0:{port} for one tenant (`--tenant`, \
             `MCP_TENANT`, `.tenant(..)`, or a workspace): acting for one tenant is allowed \
             over stdio and on loopback addresses only; a deployed server gets each call's \
             tenant from the hub\n"
        )
    );
}

#[test]
fn an_address_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = taken.local_addr().expect("local addr").to_string();
    // The operating system's own words, as the server gets them.
    let in_use = std::net::TcpListener::bind(&addr).expect_err("the address is taken");
    assert_refused(
        &run(None, &["--addr", &addr]),
        &format!("cannot listen on {addr}: {in_use}"),
    );
}

// ------------------------------------------ a bad variable, family by family

#[test]
fn a_bad_address_variable_is_named() {
    assert_refused(
        &run_env(None, &[("MCP_ADDR", "nonsense")], &[]),
        "cannot listen on nonsense (MCP_ADDR): invalid socket address",
    );
    // The flag wins over the variable.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = taken.local_addr().expect("local addr").to_string();
    let in_use = std::net::TcpListener::bind(&addr).expect_err("the address is taken");
    assert_refused(
        &run_env(None, &[("MCP_ADDR", "nonsense")], &["--addr", &addr]),
        &format!("cannot listen on {addr}: {in_use}"),
    );
}

#[test]
fn a_bad_log_filter_is_named() {
    let expected = |var: &str| {
        format!(
            "{var}: `mcp_runtime=loud` is not a log filter (error parsing level filter: \
             expected one of \"off\", \"error\", \"warn\", \"info\", \"debug\", \"trace\", or a \
             number 0-5); write e.g. `info` or `info,mcp_runtime=debug`"
        )
    };
    for var in ["MCP_LOG", "RUST_LOG"] {
        assert_refused(
            &run_env(None, &[(var, "mcp_runtime=loud")], &["--stdio"]),
            &expected(var),
        );
    }
}

#[test]
fn a_bad_tenant_or_workspace_variable_is_named() {
    let long = "t".repeat(300);
    assert_refused(
        &run_env(None, &[("MCP_TENANT", &long)], &["--stdio"]),
        &format!(
            "MCP_TENANT: the tenant to act for must be a non-empty string of at most 256 \
             bytes, not `{}…`",
            "t".repeat(64)
        ),
    );
    assert_refused(
        &run_env(None, &[("MCP_WORKSPACE", &long)], &["--stdio"]),
        &format!(
            "MCP_WORKSPACE: the workspace to act for must be a non-empty string of at most 256 \
             bytes, not `{}…`",
            "t".repeat(64)
        ),
    );
    // Empty counts as unset: the stdio server starts (and ends with stdin).
    assert_eq!(
        outcome(&run_env(
            None,
            &[("MCP_TENANT", ""), ("MCP_WORKSPACE", "")],
            &["--stdio"]
        )),
        (Some(0), String::new(), String::new())
    );
}

#[test]
fn a_bad_limit_variable_is_named() {
    for (var, value, message) in [
        (
            "MCP_RATE_LIMIT_PER_KEY",
            "6/week",
            "`week` in `6/week` is not a period: use s, min or h",
        ),
        (
            "MCP_RATE_LIMIT_PER_TENANT",
            "600",
            "`600` is not a rate: write calls/period, e.g. `600/min`",
        ),
        (
            "MCP_CALL_TIMEOUT_SECS",
            "soon",
            "`soon` is not a positive number of seconds",
        ),
        (
            "MCP_SHUTDOWN_TIMEOUT_SECS",
            "0",
            "`0` is not a positive number of seconds",
        ),
        (
            "MCP_SESSIONS",
            "sometimes",
            "`sometimes` is neither `on` nor `off`",
        ),
        (
            "MCP_SESSION_IDLE_SECS",
            "-5",
            "`-5` is not a positive number of seconds",
        ),
    ] {
        assert_refused(
            &run_env(None, &[(var, value)], &["--stdio"]),
            &format!("{var}: {message}"),
        );
    }
}

#[test]
fn a_bad_key_variable_is_named() {
    let env = Some("env");
    assert_refused(
        &run_env(
            env,
            &[("MCP_API_KEYS", "short")],
            &["--addr", "127.0.0.1:0"],
        ),
        "API keys: MCP_API_KEYS entry 1: a secret is shorter than 16 characters",
    );
    let missing = std::env::temp_dir().join(format!("no-such-dir-{}/keys", std::process::id()));
    let missing = missing.to_str().expect("utf-8 temp dir");
    let no_file = std::fs::read(missing).expect_err("the file does not exist");
    assert_refused(
        &run_env(
            env,
            &[("MCP_API_KEYS_FILE", missing)],
            &["--addr", "127.0.0.1:0"],
        ),
        &format!("API keys: MCP_API_KEYS_FILE: cannot read key file {missing}: {no_file}"),
    );
}

#[test]
fn an_incomplete_oauth_configuration_is_named() {
    let env = Some("env");
    assert_refused(
        &run_env(
            env,
            &[("MCP_OAUTH_ISSUER", "http://127.0.0.1:9/")],
            &["--addr", "127.0.0.1:0"],
        ),
        "OAuth: MCP_OAUTH_ISSUER (--oauth-issuer) is set but MCP_OAUTH_AUDIENCE \
         (--oauth-audience) is not: set it to this server's resource URI \
         (e.g. https://shop.example.com/mcp)",
    );
    assert_refused(
        &run_env(
            env,
            &[("MCP_OAUTH_AUDIENCE", "http://127.0.0.1/mcp")],
            &["--addr", "127.0.0.1:0"],
        ),
        "OAuth: MCP_OAUTH_AUDIENCE (--oauth-audience) is set but MCP_OAUTH_ISSUER \
         (--oauth-issuer) is not",
    );
    assert_refused(
        &run_env(
            env,
            &[("MCP_OAUTH_TENANT_CLAIM", "tenant")],
            &["--addr", "127.0.0.1:0"],
        ),
        "OAuth: MCP_OAUTH_TENANT_CLAIM or MCP_OAUTH_JWKS_URL (--oauth-tenant-claim, \
         --oauth-jwks-url) is set but MCP_OAUTH_ISSUER and MCP_OAUTH_AUDIENCE are not",
    );
}

#[test]
fn a_bad_metrics_address_is_named() {
    // A key, so that none is generated and announced before the refusal.
    assert_refused(
        &run_env(
            Some("env"),
            &[
                ("MCP_API_KEYS", "ci:0123456789abcdef0123"),
                ("MCP_METRICS_ADDR", "nonsense"),
            ],
            &["--addr", "127.0.0.1:0"],
        ),
        "cannot serve metrics on nonsense (MCP_METRICS_ADDR, `.metrics_addr`): invalid \
         socket address",
    );
}

#[test]
fn the_limit_variables_apply_without_serve_args() {
    use std::io::Write;
    // `MCP_RATE_LIMIT_PER_TENANT` read by the builder itself: one call an
    // hour for the process's tenant; the second is refused.
    let mut child = Command::new(BIN)
        .args(["--stdio", "--tenant", "acme"])
        .envs(VARIABLES.iter().map(|v| (v, "")))
        .env("MCP_RATE_LIMIT_PER_TENANT", "1/h")
        .env("MCP_LOG", "off")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run startup-errors");
    let call = |id: u32| {
        format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"count_rows","arguments":{{}}}}}}"#
        )
    };
    let input = [
        r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#.to_owned(),
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_owned(),
        call(1),
        call(2),
    ]
    .join("\n")
        + "\n";
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write the requests");
    let out = child
        .wait_with_output()
        .expect("the server ends with stdin");
    assert_eq!(out.status.code(), Some(0));
    let replies: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON-RPC line"))
        .collect();
    assert_eq!(replies.len(), 3, "{replies:?}");
    // The two calls run at once over stdio: whichever takes the hour's one
    // call is served, the other is refused, in either order.
    let mut calls: Vec<&serde_json::Value> = replies.iter().filter(|r| r["id"] != 0).collect();
    calls.sort_by_key(|r| r["result"]["isError"] == true);
    assert_eq!(
        calls[0]["result"],
        serde_json::json!({ "content": [{ "type": "text", "text": "0" }] }),
        "{replies:?}"
    );
    assert_eq!(calls[1]["result"]["isError"], true, "{replies:?}");
    let error: serde_json::Value = serde_json::from_str(
        calls[1]["result"]["content"][0]["text"]
            .as_str()
            .expect("the error as text"),
    )
    .expect("JSON text");
    let ms = error["error"]["retryAfterMs"]
        .as_u64()
        .expect("retryAfterMs");
    assert!((3_590_000..=3_600_000).contains(&ms), "{error}");
    assert_eq!(
        error["error"],
        serde_json::json!({
            "type": "rate_limit",
            "message": format!("too many calls for this tenant; retry in {ms} ms"),
            "retryAfterMs": ms
        })
    );
}
