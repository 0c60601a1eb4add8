//! The server's command-line options as a clap `Args` struct (feature
//! `clap`), to `#[command(flatten)]` into an application's own CLI. Every
//! option is also read from its `MCP_*` variable; a flag wins over the
//! variable, the variable over the builder's value.
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

use crate::limits::Rate;
use crate::server::{ServeError, Server, ServerBuilder};

/// The options of an MCP server's command line.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "MCP server")]
pub struct ServeArgs {
    /// Serve over stdin/stdout (for desktop agents) instead of HTTP.
    #[arg(long)]
    pub stdio: bool,

    /// HTTP address to listen on.
    #[arg(long, env = "MCP_ADDR", value_name = "HOST:PORT", default_value = crate::server::DEFAULT_ADDR)]
    pub addr: String,

    /// Log filter for stderr (e.g. `info`, `debug`, `mcp_runtime=debug`).
    #[arg(long, env = "MCP_LOG", value_name = "FILTER")]
    pub log: Option<String>,

    /// A key file (`name secret [tenants]` per line), re-read on SIGHUP and when it changes.
    #[arg(long, env = "MCP_API_KEYS_FILE", value_name = "PATH")]
    pub api_keys_file: Option<PathBuf>,

    /// Calls allowed per API key, e.g. `600/min` (`N/s`, `N/min`, `N/h`).
    #[arg(long, env = "MCP_RATE_LIMIT_PER_KEY", value_name = "RATE", value_parser = parse_rate)]
    pub rate_limit_per_key: Option<Rate>,

    /// Calls allowed per tenant, e.g. `600/min`.
    #[arg(long, env = "MCP_RATE_LIMIT_PER_TENANT", value_name = "RATE", value_parser = parse_rate)]
    pub rate_limit_per_tenant: Option<Rate>,

    /// Longest a tool may run, in seconds.
    #[arg(long, env = "MCP_CALL_TIMEOUT_SECS", value_name = "SECS", value_parser = parse_secs)]
    pub call_timeout: Option<Duration>,

    /// How long a shutdown waits for calls in flight, in seconds.
    #[arg(long, env = "MCP_SHUTDOWN_TIMEOUT_SECS", value_name = "SECS", value_parser = parse_secs)]
    pub shutdown_timeout: Option<Duration>,
}

impl ServeArgs {
    /// Apply the options that configure the server (keys file, limits,
    /// timeouts) to `builder`; `--stdio`, `--addr` and `--log` are used by
    /// [`Server::run_args`](crate::Server::run_args).
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
        if let Some(d) = self.call_timeout {
            builder = builder.call_timeout(d);
        }
        if let Some(d) = self.shutdown_timeout {
            builder = builder.shutdown_timeout(d);
        }
        builder
    }
}

impl Server {
    /// Run with the options of a clap command line ([`cli::ServeArgs`](ServeArgs),
    /// flattened into the application's own): logging from `--log`, then
    /// stdio with `--stdio`, else HTTP on `--addr`. Give the same args to
    /// [`ServeArgs::apply`](ServeArgs::apply) on the builder first.
    pub async fn run_args(self, args: &ServeArgs) -> Result<(), ServeError> {
        crate::init_logging_with(args.log.as_deref());
        if args.stdio {
            self.serve_stdio().await.map_err(ServeError::Io)
        } else {
            self.serve(args.addr.as_str()).await
        }
    }
}

/// `600/min`, `10/s`, `5000/h` (also `sec`, `second`, `minute`, `hour`).
pub fn parse_rate(s: &str) -> Result<Rate, String> {
    let (n, per) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not a rate: write calls/period, e.g. `600/min`"))?;
    let calls: u32 = n
        .trim()
        .parse()
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(|| format!("`{n}` in `{s}` is not a positive number of calls"))?;
    let per = match per.trim() {
        "s" | "sec" | "second" => Duration::from_secs(1),
        "m" | "min" | "minute" => Duration::from_secs(60),
        "h" | "hour" => Duration::from_secs(3600),
        other => {
            return Err(format!(
                "`{other}` in `{s}` is not a period: use s, min or h"
            ));
        }
    };
    Ok(Rate { calls, per })
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v < 1e9)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("`{s}` is not a positive number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_bad_ones_say_why() {
        assert_eq!(parse_rate("600/min"), Ok(Rate::per_minute(600)));
        assert_eq!(parse_rate("10/s"), Ok(Rate::per_second(10)));
        assert_eq!(
            parse_rate("5/h"),
            Ok(Rate {
                calls: 5,
                per: Duration::from_secs(3600)
            })
        );
        assert_eq!(
            parse_rate("600"),
            Err("`600` is not a rate: write calls/period, e.g. `600/min`".into())
        );
        assert_eq!(
            parse_rate("0/min"),
            Err("`0` in `0/min` is not a positive number of calls".into())
        );
        assert_eq!(
            parse_rate("6/week"),
            Err("`week` in `6/week` is not a period: use s, min or h".into())
        );
    }
}
