//! The server's command-line options as a clap `Args` struct (feature
//! `clap`), to `#[command(flatten)]` into an application's own CLI.
//!
//! Each option has its `MCP_*` variable, which the runtime reads in one
//! place ([`config`](crate::config), the builder, [`Server::run`]); these are
//! flags only, and a flag wins over the variable. For the tenant and the
//! workspace the variable also wins over the builder's `.tenant(..)`; for
//! every other option the builder's value wins over the variable (see the
//! README's configuration reference).
//!
//! ```
//! use clap::Parser;
//!
//! /// My shop's MCP server.
//! #[derive(Parser)]
//! struct Cli {
//!     /// Where my database lives.
//!     #[arg(long, env = "SHOP_DB", default_value = "shop.db")]
//!     db: String,
//!     #[command(flatten)]
//!     serve: mcp_runtime::cli::ServeArgs,
//! }
//!
//! let cli = Cli::parse_from(["shop", "--db", "x.db", "--stdio", "--rate-limit-per-tenant", "600/min"]);
//! assert_eq!(cli.db, "x.db");
//! assert!(cli.serve.stdio);
//! assert_eq!(cli.serve.rate_limit_per_tenant, Some(mcp_runtime::Rate::per_minute(600)));
//! // then: server_builder = cli.serve.apply(server_builder); server.run_args(&cli.serve).await
//! ```

use std::path::PathBuf;
use std::time::Duration;

pub use crate::config::parse_rate;
use crate::config::parse_secs;
use crate::limits::Rate;
use crate::oauth::OAuthSettings;
use crate::server::{ServeError, Server, ServerBuilder};

/// The options of an MCP server's command line.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "MCP server")]
pub struct ServeArgs {
    /// Serve over stdin/stdout (for desktop agents) instead of HTTP.
    #[arg(long)]
    pub stdio: bool,

    /// HTTP address to listen on [env: MCP_ADDR] [default: 127.0.0.1:8080].
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<String>,

    /// Act for this tenant in every call, e.g. for a desktop agent over stdio
    /// (HTTP: loopback only) [env: MCP_TENANT].
    #[arg(long, value_name = "ID")]
    pub tenant: Option<String>,

    /// Act for this workspace in every call [env: MCP_WORKSPACE].
    #[arg(long, value_name = "ID")]
    pub workspace: Option<String>,

    /// Log filter for stderr (e.g. `info`, `debug`, `mcp_runtime=debug`)
    /// [env: MCP_LOG, else RUST_LOG] [default: info].
    #[arg(long, value_name = "FILTER")]
    pub log: Option<String>,

    /// A key file (`name secret [tenants]` per line), re-read on SIGHUP and
    /// when it changes [env: MCP_API_KEYS_FILE]. Keys also come from
    /// MCP_API_KEYS=name:secret[,...].
    #[arg(long, value_name = "PATH")]
    pub api_keys_file: Option<PathBuf>,

    /// Calls allowed per API key, e.g. `600/min` (`N/s`, `N/min`, `N/h`)
    /// [env: MCP_RATE_LIMIT_PER_KEY].
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub rate_limit_per_key: Option<Rate>,

    /// Calls allowed per tenant, e.g. `600/min` [env: MCP_RATE_LIMIT_PER_TENANT].
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub rate_limit_per_tenant: Option<Rate>,

    /// Longest a tool may run, in seconds [env: MCP_CALL_TIMEOUT_SECS] [default: 60].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub call_timeout: Option<Duration>,

    /// How long a shutdown waits for calls in flight, in seconds
    /// [env: MCP_SHUTDOWN_TIMEOUT_SECS] [default: 30].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub shutdown_timeout: Option<Duration>,

    /// Accept this issuer's OAuth access tokens (JWTs), compared with `iss`
    /// exactly [env: MCP_OAUTH_ISSUER].
    #[arg(long, value_name = "URL")]
    pub oauth_issuer: Option<String>,

    /// This server's resource URI, the `aud` tokens must carry
    /// [env: MCP_OAUTH_AUDIENCE].
    #[arg(long, value_name = "URI")]
    pub oauth_audience: Option<String>,

    /// The claim naming a token's tenant(s) [env: MCP_OAUTH_TENANT_CLAIM].
    #[arg(long, value_name = "CLAIM")]
    pub oauth_tenant_claim: Option<String>,

    /// The issuer's keys, if its metadata does not say [env: MCP_OAUTH_JWKS_URL].
    #[arg(long, value_name = "URL")]
    pub oauth_jwks_url: Option<String>,

    /// Keep handshake-era sessions (`Mcp-Session-Id`, GET streams, resource
    /// subscriptions) [env: MCP_SESSIONS=on].
    #[arg(long)]
    pub sessions: bool,

    /// How long an unused session lives [env: MCP_SESSION_IDLE_SECS].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub session_idle: Option<Duration>,
}

impl ServeArgs {
    /// Apply the options that configure the server (keys file, limits,
    /// timeouts, OAuth) to `builder`; `--stdio`, `--addr`, `--tenant`,
    /// `--workspace` and `--log` are used by
    /// [`Server::run_args`](crate::Server::run_args). The OAuth flags are
    /// combined with the `MCP_OAUTH_*` variables (a flag wins) and checked
    /// when the server starts, as the variables alone are.
    pub fn apply(&self, mut builder: ServerBuilder) -> ServerBuilder {
        if let Some(p) = &self.api_keys_file {
            builder = builder.key_file(p.clone());
        }
        if let Some(r) = self.rate_limit_per_key {
            builder = builder.rate_limit_per_key(r);
        }
        if let Some(r) = self.rate_limit_per_tenant {
            builder = builder.rate_limit_per_tenant(r);
        }
        if self.sessions {
            builder = builder.sessions(true);
        }
        if let Some(d) = self.session_idle {
            builder = builder.session_idle(d);
        }
        if let Some(d) = self.call_timeout {
            builder = builder.call_timeout(d);
        }
        if let Some(d) = self.shutdown_timeout {
            builder = builder.shutdown_timeout(d);
        }
        builder.oauth_flags(self.oauth_settings())
    }

    /// The OAuth flags, blank ones left out.
    pub fn oauth_settings(&self) -> OAuthSettings {
        let flag = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        OAuthSettings {
            issuer: flag(&self.oauth_issuer),
            audience: flag(&self.oauth_audience),
            tenant_claim: flag(&self.oauth_tenant_claim),
            jwks_url: flag(&self.oauth_jwks_url),
        }
    }
}

impl Server {
    /// Run with the options of a clap command line ([`cli::ServeArgs`](ServeArgs),
    /// flattened into the application's own), as [`Server::run`] runs with
    /// its own: logging from `--log` (else `MCP_LOG`, `RUST_LOG`; a filter
    /// that does not parse is refused), the tenant and workspace from
    /// `--tenant`/`--workspace` (else `MCP_TENANT`/`MCP_WORKSPACE`), then
    /// stdio with `--stdio`, else HTTP on `--addr` (else `MCP_ADDR`, else
    /// 127.0.0.1:8080). Give the same args to
    /// [`ServeArgs::apply`](ServeArgs::apply) on the builder first.
    pub async fn run_args(self, args: &ServeArgs) -> Result<(), ServeError> {
        crate::try_init_logging_with(args.log.as_deref()).map_err(ServeError::Refused)?;
        self.serve_args(args).await
    }

    /// [`run_args`](Server::run_args) without setting up logging, for a
    /// program that has set it up itself.
    pub async fn serve_args(self, args: &ServeArgs) -> Result<(), ServeError> {
        let (tenant, workspace) = args.process_scope()?;
        let server = self
            .for_tenant(tenant, workspace)
            .map_err(|e| ServeError::Refused(e.to_string()))?;
        if args.stdio {
            return server.serve_stdio().await.map_err(ServeError::Io);
        }
        let listener = args.listener().await?;
        server
            .serve_listener(listener, crate::server::shutdown_signal())
            .await
    }
}

impl ServeArgs {
    /// Set up logging to stderr as [`Server::run_args`] does: `--log`, else
    /// `MCP_LOG`, else `RUST_LOG`, else `info`; a filter that does not parse
    /// is refused, naming where it came from.
    pub fn init_logging(&self) -> Result<(), ServeError> {
        crate::try_init_logging_with(self.log.as_deref()).map_err(ServeError::Refused)
    }

    /// The tenant and workspace to act for: `--tenant`, else `MCP_TENANT`
    /// (an empty value counts as unset); the same for the workspace. A value
    /// that cannot be one is refused (naming the variable it came from).
    pub fn process_scope(&self) -> Result<(Option<String>, Option<String>), ServeError> {
        crate::server::process_scope(self.tenant.clone(), self.workspace.clone())
    }

    /// The HTTP address: `--addr`, else `MCP_ADDR`, else 127.0.0.1:8080.
    pub fn address(&self) -> String {
        self.address_and_source().0
    }

    fn address_and_source(&self) -> (String, bool) {
        crate::server::address(self.addr.clone())
    }

    /// Bind the [`address`](Self::address); the error names it (and
    /// `MCP_ADDR` when it came from there).
    pub async fn listener(&self) -> Result<tokio::net::TcpListener, ServeError> {
        let (addr, from_env) = self.address_and_source();
        crate::server::bind(&addr, from_env).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[arg(long)]
        db: Option<String>,
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn the_flags_parse_beside_the_applications() {
        let cli = Cli::parse_from([
            "app",
            "--db",
            "x.db",
            "--tenant",
            "acme",
            "--workspace=main",
            "--addr",
            "127.0.0.1:0",
            "--oauth-issuer",
            "https://id.example.com",
            "--oauth-audience",
            "https://shop.example.com/mcp",
            "--call-timeout",
            "1.5",
            "--sessions",
            "--session-idle",
            "90",
        ]);
        assert!(cli.serve.sessions);
        assert_eq!(cli.serve.session_idle, Some(Duration::from_secs(90)));
        assert_eq!(cli.db.as_deref(), Some("x.db"));
        assert_eq!(cli.serve.tenant.as_deref(), Some("acme"));
        assert_eq!(cli.serve.workspace.as_deref(), Some("main"));
        assert_eq!(cli.serve.addr.as_deref(), Some("127.0.0.1:0"));
        assert_eq!(cli.serve.call_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(
            cli.serve.oauth_settings(),
            OAuthSettings {
                issuer: Some("https://id.example.com".into()),
                audience: Some("https://shop.example.com/mcp".into()),
                tenant_claim: None,
                jwks_url: None,
            }
        );
    }

    #[test]
    fn a_bad_rate_is_refused_with_the_flag_and_the_reason() {
        let e = Cli::try_parse_from(["app", "--rate-limit-per-key", "6/week"])
            .err()
            .expect("refused")
            .to_string();
        assert!(
            e.starts_with(
                "error: invalid value '6/week' for '--rate-limit-per-key <RATE>': \
                 `week` in `6/week` is not a period: use s, min or h"
            ),
            "{e}"
        );
    }
}
