//! The shop's command line, from the built binary: its own options and the
//! server's (`mcp_runtime::cli::ServeArgs`) in one `--help`, and clap's
//! refusal of a bad value.

use std::process::{Command, Output};

fn shop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shop"))
        .args(args)
        .env_remove("SHOP_DB")
        .env_remove("SHOP_DATABASE_URL")
        .env_remove("SHOP_DB_POOL_SIZE")
        .env_remove("SHOP_DB_ACQUIRE_TIMEOUT_MS")
        .env_remove("SHOP_DB_STATEMENT_TIMEOUT_MS")
        .env_remove("MCP_LOG")
        .output()
        .expect("run the shop")
}

#[test]
fn help_lists_the_shops_options_and_the_servers_on_stdout() {
    let out = shop(&["--help"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let (own, server) = stdout
        .split_once("\nMCP server:\n")
        .unwrap_or_else(|| panic!("no `MCP server:` group:\n{stdout}"));
    for option in [
        "--db <PATH>",
        "[env: SHOP_DB=]",
        "--database-url <URL>",
        // The URL may hold a password: its value is never shown.
        "wins over --db [env: SHOP_DATABASE_URL]\n",
        "--db-pool-size <N>",
        "1 to 256, made on demand [env: SHOP_DB_POOL_SIZE=] [default: 5]",
        "--db-acquire-timeout-ms <MS>",
        "[env: SHOP_DB_ACQUIRE_TIMEOUT_MS=] [default: 3000]",
        "--db-statement-timeout-ms <MS>",
        "[env: SHOP_DB_STATEMENT_TIMEOUT_MS=] [default: 5000]",
        "-h, --help",
    ] {
        assert!(
            own.contains(option),
            "`{option}` among the shop's own:\n{own}"
        );
    }
    for option in [
        "--stdio",
        "--addr <HOST:PORT>",
        "[env: MCP_ADDR] [default: 127.0.0.1:8080]",
        "--tenant <ID>",
        "[env: MCP_TENANT]",
        "--workspace <ID>",
        "--log <FILTER>",
        "--api-keys-file <PATH>",
        "--rate-limit-per-key <RATE>",
        "--rate-limit-per-tenant <RATE>",
        "--call-timeout <SECS>",
        "--shutdown-timeout <SECS>",
        "--oauth-issuer <URL>",
        "--oauth-audience <URI>",
        "--oauth-tenant-claim <CLAIM>",
        "--oauth-jwks-url <URL>",
    ] {
        assert!(
            server.contains(option),
            "`{option}` among the server's:\n{server}"
        );
    }
}

#[test]
fn a_bad_pool_size_is_refused_by_name_with_exit_2() {
    let out = shop(&["--db-pool-size", "257"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(
            "error: invalid value '257' for '--db-pool-size <N>': `257` is not a number of \
             connections from 1 to 256\n"
        ),
        "{stderr}"
    );
}

#[test]
fn bad_database_settings_from_the_environment_are_refused_with_exit_2() {
    for (var, value, message) in [
        (
            "SHOP_DATABASE_URL",
            "mysql://db/shop",
            "error: invalid value 'mysql://db/shop' for '--database-url <URL>': has the scheme \
             `mysql`; the shop speaks postgres:// and sqlite: (or a file path)\n",
        ),
        (
            "SHOP_DB_ACQUIRE_TIMEOUT_MS",
            "0",
            "error: invalid value '0' for '--db-acquire-timeout-ms <MS>': `0` is not a number \
             of milliseconds from 1 to 600000\n",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_shop"))
            .env(var, value)
            .env_remove("SHOP_DB")
            .output()
            .expect("run the shop");
        assert_eq!(out.status.code(), Some(2), "{var}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with(message), "{var}: {stderr}");
    }
}

#[test]
fn an_unreachable_postgres_fails_the_start_without_its_password() {
    // A port nothing listens on: the start fails within the acquire
    // timeout, naming the database with the password masked.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_shop"))
        .env(
            "SHOP_DATABASE_URL",
            format!("postgres://shop:hunter2secret@127.0.0.1:{port}/shop"),
        )
        .env("SHOP_DB_ACQUIRE_TIMEOUT_MS", "500")
        .env("MCP_ADDR", "127.0.0.1:0")
        .env_remove("MCP_LOG")
        .output()
        .expect("run the shop");
    assert_eq!(out.status.code(), Some(1));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "shop: cannot open the database (Postgres postgres://shop:***@127.0.0.1:{port}/shop): "
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2secret"), "{stderr}");
}

#[test]
fn an_option_neither_knows_is_refused_with_exit_2() {
    let out = shop(&["--port", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: unexpected argument '--port' found\n"),
        "{stderr}"
    );
}

/// The shop's test binary has the `otel` feature (its dev-dependencies):
/// an OpenTelemetry value the SDK would silently replace stops the start,
/// naming the variable (the runtime's other families are checked in
/// tests/tests/startup_errors.rs, whose binary is built without `otel`).
#[test]
fn a_bad_opentelemetry_variable_stops_the_start() {
    for (var, value, message) in [
        (
            "OTEL_TRACES_SAMPLER",
            "sometimes",
            "OTEL_TRACES_SAMPLER=sometimes: not a sampler; use one of always_on, always_off, \
             traceidratio, parentbased_always_on, parentbased_always_off, \
             parentbased_traceidratio",
        ),
        (
            "OTEL_EXPORTER_OTLP_TIMEOUT",
            "10s",
            "OTEL_EXPORTER_OTLP_TIMEOUT=10s: not a number of milliseconds",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_shop"))
            .args(["--stdio", "--db", "unused.db"])
            .env_remove("MCP_LOG")
            .env_remove("RUST_LOG")
            .env_remove("OTEL_SDK_DISABLED")
            .env_remove("OTEL_TRACES_EXPORTER")
            .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .env_remove("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT")
            .env_remove("OTEL_TRACES_SAMPLER")
            .env_remove("OTEL_EXPORTER_OTLP_TIMEOUT")
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
            .env(var, value)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run the shop");
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned()
            ),
            (Some(1), String::new(), format!("shop: traces: {message}\n")),
            "{var}"
        );
    }
    let ratio = Command::new(env!("CARGO_BIN_EXE_shop"))
        .args(["--stdio", "--db", "unused.db"])
        .env_remove("MCP_LOG")
        .env_remove("RUST_LOG")
        .env_remove("OTEL_SDK_DISABLED")
        .env_remove("OTEL_TRACES_EXPORTER")
        .env_remove("OTEL_EXPORTER_OTLP_TIMEOUT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
        .env("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
        .env("OTEL_TRACES_SAMPLER_ARG", "10%")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the shop");
    assert_eq!(ratio.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&ratio.stderr),
        "shop: traces: OTEL_TRACES_SAMPLER_ARG=10%: the ratio of traces kept must be a number \
         from 0 to 1\n"
    );
}

#[test]
fn a_bad_limit_variable_is_refused_even_beside_its_flag() {
    let dir = std::env::temp_dir().join(format!("shop-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_shop"))
        .arg("--db")
        .arg(dir.join("shop.db"))
        .args(["--stdio", "--rate-limit-per-key", "5/min"])
        .env_remove("MCP_LOG")
        .env_remove("RUST_LOG")
        .env("MCP_RATE_LIMIT_PER_KEY", "6/week")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the shop");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned()
        ),
        (
            Some(1),
            String::new(),
            "shop: MCP_RATE_LIMIT_PER_KEY: `week` in `6/week` is not a period: use s, min or h\n"
                .to_owned()
        )
    );
}
