//! The shop's MCP server.
//!
//! ```text
//! shop [--db PATH] [--db-readers N] [--stdio | --addr HOST:PORT] [--tenant ID] [--workspace ID]
//! ```
//!
//! - `--db PATH` (else `SHOP_DB`, else `shop.db` in the working directory):
//!   the SQLite database, created and seeded with demo data on first start.
//! - `--db-readers N` (else `SHOP_DB_READERS`, else 4): read-only database
//!   connections beside the one writer, 1 to 64; as many reads run at once.
//! - `--stdio`: serve MCP over stdin/stdout; otherwise Streamable HTTP on
//!   `--addr` (else `MCP_ADDR`, else 127.0.0.1:8080), path `/mcp`.
//! - `--tenant ID` (else `MCP_TENANT`), `--workspace ID` (else
//!   `MCP_WORKSPACE`): every call acts for this tenant and workspace, for a
//!   desktop agent over stdio, where no hub injects `tenantId` (HTTP:
//!   loopback only). A call naming another tenant is refused.
//! - `MCP_API_KEYS=name:secret[,…]`: the bearer keys HTTP callers must send.
//!   Unset on a loopback address, a key is generated and printed at start.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use mcp_runtime::server::{DEFAULT_ADDR, shutdown_signal};
use shop::db::DEFAULT_READERS;
use shop::{DEFAULT_DB, DEMO_TENANTS, Shop};

const USAGE: &str = "usage: shop [--db PATH] [--db-readers N] [--stdio | --addr HOST:PORT] [--tenant ID] [--workspace ID]
  --db PATH         SQLite database (env SHOP_DB; default shop.db), seeded on first start
  --db-readers N    read-only database connections, 1 to 64 (env SHOP_DB_READERS; default 4)
  --stdio           serve MCP over stdin/stdout
  --addr HOST:PORT  serve Streamable HTTP here (env MCP_ADDR; default 127.0.0.1:8080)
  --tenant ID       act for this tenant in every call (env MCP_TENANT), e.g. for a desktop agent
  --workspace ID    act for this workspace in every call (env MCP_WORKSPACE)
env: MCP_API_KEYS=name:secret[,...] (HTTP bearer keys), MCP_API_KEYS_FILE, MCP_LOG";

struct Options {
    db: PathBuf,
    readers: NonZeroUsize,
    stdio: bool,
    addr: String,
    tenant: Option<String>,
    workspace: Option<String>,
}

/// Parse the command line. `Server::run` would parse `--stdio`/`--addr`
/// itself, but it refuses options it does not know, such as `--db`; so the
/// shop parses all of them and calls `serve_stdio`/`serve_listener` directly.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut o = Options {
        db: std::env::var_os("SHOP_DB").map_or_else(|| DEFAULT_DB.into(), PathBuf::from),
        readers: match std::env::var("SHOP_DB_READERS") {
            Ok(n) => readers(&n).map_err(|e| format!("SHOP_DB_READERS: {e}"))?,
            Err(_) => DEFAULT_READERS,
        },
        stdio: false,
        addr: std::env::var("MCP_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned()),
        tenant: std::env::var("MCP_TENANT").ok().filter(|t| !t.is_empty()),
        workspace: std::env::var("MCP_WORKSPACE")
            .ok()
            .filter(|w| !w.is_empty()),
    };
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .filter(|v| !v.starts_with("--"))
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--db" => o.db = value()?.into(),
            "--db-readers" => o.readers = readers(&value()?).map_err(|e| format!("{name}: {e}"))?,
            "--addr" => o.addr = value()?,
            "--stdio" => o.stdio = true,
            "--tenant" => o.tenant = Some(value()?),
            "--workspace" => o.workspace = Some(value()?),
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(o))
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
    let options = match parse(std::env::args().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("shop: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    mcp_runtime::init_logging();
    match serve(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shop: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(o: Options) -> Result<(), Box<dyn std::error::Error>> {
    let shop = Shop::open_with(&o.db, o.readers)
        .map_err(|e| format!("cannot open the database {}: {e}", o.db.display()))?;
    let db = std::path::absolute(shop.db_path()).unwrap_or_else(|_| o.db.clone());
    let server = shop::server(shop)?.for_tenant(o.tenant.clone(), o.workspace.clone())?;
    eprintln!(
        "shop: {} tools over SQLite {}, one writer and {} reader connection(s) (demo tenants: {})",
        server.registry().len(),
        db.display(),
        o.readers,
        DEMO_TENANTS.join(", ")
    );
    if let Some(t) = &o.tenant {
        eprintln!("shop: every call acts for tenant {t}; a call naming another is refused");
    }
    if o.stdio {
        if o.tenant.is_none() {
            eprintln!(
                "shop: serving MCP over stdio; the platform injects tenantId into every call"
            );
        }
        server.serve_stdio().await?;
        return Ok(());
    }
    let listener = tokio::net::TcpListener::bind(&o.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", o.addr))?;
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

    fn options(args: &[&str]) -> Result<Options, String> {
        parse(args.iter().map(|a| a.to_string())).map(|o| o.expect("not --help"))
    }

    #[test]
    fn db_readers_from_1_to_64() {
        assert_eq!(options(&["--db-readers", "2"]).unwrap().readers.get(), 2);
        assert_eq!(options(&["--db-readers=64"]).unwrap().readers.get(), 64);
        for bad in ["0", "65", "-1", "four", ""] {
            let e = options(&["--db-readers", bad]).err().expect(bad);
            assert!(e.contains("--db-readers") && e.contains("1 to 64"), "{e}");
        }
    }
}
