//! What a user sees when a server does not start, from a real process whose
//! `main` is the README's (`tests/src/bin/startup-errors.rs`): `Error: ` and
//! the message on stderr (never the variant's `Debug`), every registry
//! problem on its own line, exit status 1; `--help` on stdout, exit 0.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_startup-errors");
const SOURCE: &str = include_str!("../src/bin/startup-errors.rs");

/// Run the binary with `args` and `STARTUP_ERRORS_CASE=case` (if any), in
/// an environment without the runtime's variables.
fn run(case: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for var in [
        "MCP_ADDR",
        "MCP_TENANT",
        "MCP_WORKSPACE",
        "MCP_API_KEYS",
        "MCP_API_KEYS_FILE",
        "MCP_LOG",
        "RUST_LOG",
        "STARTUP_ERRORS_CASE",
    ] {
        cmd.env_remove(var);
    }
    if let Some(c) = case {
        cmd.env("STARTUP_ERRORS_CASE", c);
    }
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
fn an_unknown_option_prints_the_message_not_the_variant() {
    assert_refused(
        &run(None, &["--port", "8080"]),
        "unknown option `--port` (try --help)",
    );
}

#[test]
fn a_missing_value_says_what_to_give() {
    assert_refused(
        &run(None, &["--addr"]),
        "--addr needs a value, e.g. --addr 127.0.0.1:8080",
    );
    assert_refused(
        &run(None, &["--stdio", "--tenant"]),
        "--tenant needs a value, e.g. --tenant acme",
    );
    assert_refused(
        &run(None, &["--stdio", "--tenant", ""]),
        "the tenant to act for must be a non-empty string of at most 256 bytes, not ``",
    );
}

#[test]
fn help_goes_to_stdout_and_exits_0() {
    let usage = "usage: startup-errors [--stdio] [--addr HOST:PORT] [--tenant ID] [--workspace ID]\n\
                 env: MCP_ADDR (default 127.0.0.1:8080), MCP_TENANT, MCP_WORKSPACE, MCP_API_KEYS, \
                 MCP_API_KEYS_FILE, MCP_LOG\n";
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
        "none of the 2 registered MCP tools passes `tools_where`, so the server would serve \
         nothing: check the filter, or call `.allow_no_tools()` on the builder if a server \
         without tools is intended",
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
