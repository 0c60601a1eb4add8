//! The shop's MCP server.
//!
//! ```text
//! shop [--db PATH] [--stdio | --addr HOST:PORT] [--tenant ID] [--workspace ID]
//! ```
//!
//! - `--db PATH` (else `SHOP_DB`, else `shop.db` in the working directory):
//!   the SQLite database, created and seeded with demo data on first start.
//! - `--stdio`: serve MCP over stdin/stdout; otherwise Streamable HTTP on
//!   `--addr` (else `MCP_ADDR`, else 127.0.0.1:8080), path `/mcp`.
//! - `--tenant ID` (else `MCP_TENANT`), `--workspace ID` (else
//!   `MCP_WORKSPACE`): every call acts for this tenant and workspace, for a
//!   desktop agent over stdio, where no hub injects `tenantId` (HTTP:
//!   loopback only). A call naming another tenant is refused.
//! - `MCP_API_KEYS=name:secret[,…]`: the bearer keys HTTP callers must send.
//!   Unset on a loopback address, a key is generated and printed at start.

use std::path::PathBuf;
use std::process::ExitCode;

use mcp_runtime::server::{DEFAULT_ADDR, shutdown_signal};
use shop::{DEFAULT_DB, DEMO_TENANTS, Shop};

const USAGE: &str =
    "usage: shop [--db PATH] [--stdio | --addr HOST:PORT] [--tenant ID] [--workspace ID]
  --db PATH         SQLite database (env SHOP_DB; default shop.db), seeded on first start
  --stdio           serve MCP over stdin/stdout
  --addr HOST:PORT  serve Streamable HTTP here (env MCP_ADDR; default 127.0.0.1:8080)
  --tenant ID       act for this tenant in every call (env MCP_TENANT), e.g. for a desktop agent
  --workspace ID    act for this workspace in every call (env MCP_WORKSPACE)
env: MCP_API_KEYS=name:secret[,...] (HTTP bearer keys), MCP_API_KEYS_FILE, MCP_LOG";

struct Options {
    db: PathBuf,
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
    let shop = Shop::open(&o.db)
        .map_err(|e| format!("cannot open the database {}: {e}", o.db.display()))?;
    let db = std::path::absolute(shop.db_path()).unwrap_or_else(|_| o.db.clone());
    let server = shop::server(shop)?.for_tenant(o.tenant.clone(), o.workspace.clone())?;
    eprintln!(
        "shop: {} tools over SQLite {} (demo tenants: {})",
        server.registry().len(),
        db.display(),
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
