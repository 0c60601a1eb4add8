//! The shop's MCP server.
//!
//! ```text
//! shop [--database-url URL | --db PATH] [--db-pool-size N] [--db-acquire-timeout-ms MS]
//!      [--db-statement-timeout-ms MS] [MCP server options: --stdio | --addr HOST:PORT, --tenant ID, ...]
//! ```
//!
//! - `--database-url URL` (else `SHOP_DATABASE_URL`): `postgres://user:pass@host:port/db`
//!   for Postgres, or a SQLite file as `sqlite:PATH` or a plain path. When
//!   given, it wins over `--db`.
//! - `--db PATH` (else `SHOP_DB`, else `shop.db` in the working directory):
//!   the SQLite database, created and seeded with demo data on first start.
//! - `--db-pool-size N` (else `SHOP_DB_POOL_SIZE`, else 5): database
//!   connections, 1 to 256, made on demand.
//! - `--db-acquire-timeout-ms MS` (else `SHOP_DB_ACQUIRE_TIMEOUT_MS`, else
//!   3000): how long a call waits for a connection before it answers
//!   `server_error` (a database outage answers within it).
//! - `--db-statement-timeout-ms MS` (else `SHOP_DB_STATEMENT_TIMEOUT_MS`,
//!   else 5000): the longest one statement runs (Postgres
//!   `statement_timeout`; SQLite's wait for a lock).
//!
//! Migrations run at start (under an advisory lock on Postgres, so replicas
//! may start at once) and the demo data is seeded once.
//! - The server's options are the runtime's, `mcp_runtime::cli::ServeArgs`
//!   (`shop --help` lists them): `--stdio`, else Streamable HTTP on `--addr`
//!   (else `MCP_ADDR`, else 127.0.0.1:8080), path `/mcp`; `--tenant ID`
//!   (else `MCP_TENANT`) and `--workspace ID` (else `MCP_WORKSPACE`), for a
//!   desktop agent over stdio where no hub injects `tenantId` (HTTP: loopback
//!   only); the limits, the key file and the OAuth issuer. Keys come from
//!   `MCP_API_KEYS=name:secret[,…]` too (unset on a loopback address, a key
//!   is generated and printed at start; `name:secret:scopes=shop:read` gives
//!   a key only the read tools).

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use mcp_runtime::cli::ServeArgs;
use mcp_runtime::server::shutdown_signal;
use shop::db::{self, DbConfig, Target};
use shop::{DEFAULT_DB, DEMO_TENANTS, Shop};

/// The shop's MCP server: the eight shop tools over SQLite or Postgres, for two demo tenants.
#[derive(Debug, Parser)]
#[command(name = "shop", version)]
struct Cli {
    /// The database: postgres://user:pass@host:port/db, or a SQLite file (sqlite:PATH or PATH); wins over --db.
    #[arg(long, env = "SHOP_DATABASE_URL", value_name = "URL", value_parser = Target::parse, hide_env_values = true)]
    database_url: Option<Target>,

    /// SQLite database, created and seeded with demo data on first start.
    #[arg(long, env = "SHOP_DB", value_name = "PATH", default_value = DEFAULT_DB)]
    db: PathBuf,

    /// Database connections, 1 to 256, made on demand.
    #[arg(long, env = "SHOP_DB_POOL_SIZE", value_name = "N", default_value_t = db::DEFAULT_POOL_SIZE, value_parser = db::parse_pool_size)]
    db_pool_size: NonZeroU32,

    /// How long a call waits for a database connection before it fails, in ms.
    #[arg(long, env = "SHOP_DB_ACQUIRE_TIMEOUT_MS", value_name = "MS", default_value = "3000", value_parser = db::parse_millis)]
    db_acquire_timeout_ms: Duration,

    /// The longest one statement may run (or wait for a lock), in ms.
    #[arg(long, env = "SHOP_DB_STATEMENT_TIMEOUT_MS", value_name = "MS", default_value = "5000", value_parser = db::parse_millis)]
    db_statement_timeout_ms: Duration,

    #[command(flatten)]
    serve: ServeArgs,
}

impl Cli {
    fn db_config(&self) -> DbConfig {
        let target = self
            .database_url
            .clone()
            .unwrap_or_else(|| Target::Sqlite(self.db.clone()));
        DbConfig {
            target,
            pool_size: self.db_pool_size,
            acquire_timeout: self.db_acquire_timeout_ms,
            statement_timeout: self.db_statement_timeout_ms,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // A bad option or value: clap's message and usage on stderr, exit 2;
    // `--help`: stdout, exit 0.
    let cli = Cli::parse();
    match serve(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shop: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let args = &cli.serve;
    args.init_logging()?;
    let (tenant, workspace) = args.process_scope()?;
    let config = cli.db_config();
    let pool_size = config.pool_size;
    let shop = Shop::connect(config).await?;
    let target = match shop.db_path() {
        Some(path) => format!(
            "SQLite {}",
            std::path::absolute(path)
                .unwrap_or_else(|_| path.to_owned())
                .display()
        ),
        None => shop.db().config().target.to_string(),
    };
    let server = args
        .apply(shop::builder(shop))
        .build()?
        .for_tenant(tenant.clone(), workspace)?;
    eprintln!(
        "shop: {} tools over {target}, up to {pool_size} connection(s) (demo tenants: {})",
        server.registry().len(),
        DEMO_TENANTS.join(", ")
    );
    if let Some(t) = &tenant {
        eprintln!("shop: every call acts for tenant {t}; a call naming another is refused");
    }
    if args.stdio {
        if tenant.is_none() {
            eprintln!(
                "shop: serving MCP over stdio; the platform injects tenantId into every call"
            );
        }
        server.serve_stdio().await?;
        return Ok(());
    }
    let listener = args.listener().await?;
    let url = format!("http://{}/mcp", listener.local_addr()?);
    eprintln!(
        "shop: serving MCP (Streamable HTTP) at {url}\n\
         shop: try it (with the bearer key from MCP_API_KEYS, or the one printed below):\n  \
         curl -s {url} -H \"Authorization: Bearer $KEY\" -H 'Content-Type: application/json' \
         -H 'Accept: application/json, text/event-stream' \\\n    \
         -d '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{{\"name\":\"get_order\",\
         \"arguments\":{{\"tenantId\":\"acme\",\"orderNumber\":\"ORD-10001\"}}}}}}'"
    );
    server.serve_listener(listener, shutdown_signal()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Result<Cli, String> {
        Cli::try_parse_from(std::iter::once("shop").chain(args.iter().copied()))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn db_pool_size_from_1_to_256() {
        assert_eq!(cli(&["--db-pool-size", "2"]).unwrap().db_pool_size.get(), 2);
        assert_eq!(
            cli(&["--db-pool-size=256"]).unwrap().db_pool_size.get(),
            256
        );
        for bad in ["0", "257", "-1", "four", " ", ""] {
            let e = cli(&[&format!("--db-pool-size={bad}")]).expect_err(bad);
            assert!(
                e.starts_with(&format!(
                    "error: invalid value '{bad}' for '--db-pool-size <N>': `{bad}` is not a \
                     number of connections from 1 to 256"
                )),
                "{e}"
            );
        }
    }

    #[test]
    fn the_database_url_wins_over_db() {
        let c = cli(&["--db", "x.db"]).unwrap();
        assert_eq!(c.db_config().target, Target::Sqlite("x.db".into()));
        let c = cli(&["--db", "x.db", "--database-url", "postgres://u:p@h/shop"]).unwrap();
        assert_eq!(
            c.db_config().target,
            Target::Postgres("postgres://u:p@h/shop".into())
        );
        let c = cli(&[
            "--database-url",
            "sqlite:y.db",
            "--db-acquire-timeout-ms",
            "250",
        ])
        .unwrap();
        let config = c.db_config();
        assert_eq!(config.target, Target::Sqlite("y.db".into()));
        assert_eq!(config.acquire_timeout, Duration::from_millis(250));
        assert_eq!(config.statement_timeout, Duration::from_secs(5));
        let e = cli(&["--database-url", "mysql://h/db"]).unwrap_err();
        assert!(e.contains("has the scheme `mysql`"), "{e}");
    }

    #[test]
    fn the_servers_options_sit_beside_the_shops() {
        let c = cli(&["--db", "x.db", "--stdio", "--tenant", "acme"]).unwrap();
        assert_eq!(c.db, PathBuf::from("x.db"));
        assert!(c.serve.stdio);
        assert_eq!(c.serve.tenant.as_deref(), Some("acme"));
    }
}
