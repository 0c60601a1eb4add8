//! The shop's MCP server.
//!
//! ```text
//! shop [--db PATH] [--db-readers N] [MCP server options: --stdio | --addr HOST:PORT, --tenant ID, ...]
//! ```
//!
//! - `--db PATH` (else `SHOP_DB`, else `shop.db` in the working directory):
//!   the SQLite database, created and seeded with demo data on first start.
//! - `--db-readers N` (else `SHOP_DB_READERS`, else 4): read-only database
//!   connections beside the one writer, 1 to 64; as many reads run at once.
//! - The server's options are the runtime's, `mcp_runtime::cli::ServeArgs`
//!   (`shop --help` lists them): `--stdio`, else Streamable HTTP on `--addr`
//!   (else `MCP_ADDR`, else 127.0.0.1:8080), path `/mcp`; `--tenant ID`
//!   (else `MCP_TENANT`) and `--workspace ID` (else `MCP_WORKSPACE`), for a
//!   desktop agent over stdio where no hub injects `tenantId` (HTTP: loopback
//!   only); the limits, the key file and the OAuth issuer. Keys come from
//!   `MCP_API_KEYS=name:secret[,…]` too (unset on a loopback address, a key
//!   is generated and printed at start; `name:secret:scopes=shop:read` gives
//!   a key only the read tools).

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mcp_runtime::cli::ServeArgs;
use mcp_runtime::server::shutdown_signal;
use shop::{DEFAULT_DB, DEMO_TENANTS, Shop};

/// The shop's MCP server: the eight shop tools over SQLite, for two demo tenants.
#[derive(Debug, Parser)]
#[command(name = "shop", version)]
struct Cli {
    /// SQLite database, created and seeded with demo data on first start.
    #[arg(long, env = "SHOP_DB", value_name = "PATH", default_value = DEFAULT_DB)]
    db: PathBuf,

    /// Read-only database connections beside the one writer, 1 to 64.
    #[arg(long, env = "SHOP_DB_READERS", value_name = "N", default_value_t = shop::db::DEFAULT_READERS, value_parser = readers)]
    db_readers: NonZeroUsize,

    #[command(flatten)]
    serve: ServeArgs,
}

/// A number of reader connections, 1 to 64.
fn readers(n: &str) -> Result<NonZeroUsize, String> {
    match n.trim().parse::<NonZeroUsize>() {
        Ok(n) if n.get() <= 64 => Ok(n),
        _ => Err(format!("`{n}` is not a number of connections from 1 to 64")),
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
    let shop = Shop::open_with(&cli.db, cli.db_readers)
        .map_err(|e| format!("cannot open the database {}: {e}", cli.db.display()))?;
    let db = std::path::absolute(shop.db_path()).unwrap_or_else(|_| cli.db.clone());
    let server = args
        .apply(shop::builder(shop))
        .build()?
        .for_tenant(tenant.clone(), workspace)?;
    eprintln!(
        "shop: {} tools over SQLite {}, one writer and {} reader connection(s) (demo tenants: {})",
        server.registry().len(),
        db.display(),
        cli.db_readers,
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
    fn db_readers_from_1_to_64() {
        assert_eq!(cli(&["--db-readers", "2"]).unwrap().db_readers.get(), 2);
        assert_eq!(cli(&["--db-readers=64"]).unwrap().db_readers.get(), 64);
        for bad in ["0", "65", "-1", "four", " ", ""] {
            let e = cli(&[&format!("--db-readers={bad}")]).expect_err(bad);
            assert!(
                e.starts_with(&format!(
                    "error: invalid value '{bad}' for '--db-readers <N>': `{bad}` is not a \
                     number of connections from 1 to 64"
                )),
                "{e}"
            );
        }
    }

    #[test]
    fn the_servers_options_sit_beside_the_shops() {
        let c = cli(&["--db", "x.db", "--stdio", "--tenant", "acme"]).unwrap();
        assert_eq!(c.db, PathBuf::from("x.db"));
        assert!(c.serve.stdio);
        assert_eq!(c.serve.tenant.as_deref(), Some("acme"));
    }
}
