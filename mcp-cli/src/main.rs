//! `mcp`: list, call, lint, lock and diff the tools of any MCP server, over
//! Streamable HTTP or stdio, in either protocol era. The wire format is
//! `mcp_runtime::client`'s; the contract checks are `mcp_runtime`'s own
//! (`schema_lint`, `testing::compare_to_lock`), so `mcp` judges a live
//! server exactly as `cargo test` judges a crate of tools.
//!
//! Exit codes: 0 done; 1 a negative answer (the tool returned `isError`,
//! the lint found errors, the diff found breaking changes); 2 the command
//! could not do its job (usage, arguments, an unreachable or refusing
//! server, a protocol error).

mod arguments;
mod commands;
mod connect;
mod error;
mod show;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
The server is an HTTP URL (Streamable HTTP), or a command after `--` that
serves MCP over stdio:
  mcp tools http://127.0.0.1:8080/mcp --bearer \"$KEY\"
  mcp tools -- ./target/release/shop --stdio

Exit codes: 0 done; 1 a negative answer (isError, lint errors, breaking
changes); 2 the command could not do its job.";

/// List, call, lint, lock and diff the tools of any MCP server.
#[derive(Debug, Parser)]
#[command(name = "mcp", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the server's tools: name, title, annotations, required arguments.
    #[command(after_help = AFTER_HELP)]
    Tools {
        /// Print the tool definitions as the server lists them, as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: Server,
    },
    /// Call a tool, checking its arguments against the published schema first.
    ///
    /// Arguments are one JSON object, or `key=value` words: a value is taken
    /// as the type its argument's schema names (`qty=3` is a number where
    /// the schema wants a number, `code=007` stays a string where it wants
    /// a string); JSON values (`items='[{"sku":"A"}]'`) for arrays and
    /// objects. The result is printed as structured content (JSON) when the
    /// tool returns some, else as its text; images and audio are saved to
    /// files. Progress is drawn on stderr.
    #[command(
        after_help = AFTER_HELP,
        override_usage = "mcp call [OPTIONS] <URL> <TOOL> [ARGUMENTS]...\n       \
                          mcp call [OPTIONS] <TOOL> [ARGUMENTS]... -- <COMMAND>..."
    )]
    Call {
        /// `[URL] TOOL [ARGUMENTS]...`: the URL unless a command follows `--`.
        #[arg(value_name = "URL|TOOL|ARGUMENT", required = true)]
        words: Vec<String>,
        /// Inject `tenantId` into the arguments, as a hub does.
        #[arg(long, value_name = "ID")]
        tenant: Option<String>,
        /// Inject `workspaceId` into the arguments, as a hub does.
        #[arg(long, value_name = "ID")]
        workspace: Option<String>,
        /// Print the whole `CallToolResult` as JSON.
        #[arg(long)]
        json: bool,
        /// Where images, audio and binary resources are saved (made if need be).
        #[arg(long, value_name = "DIR", default_value = ".")]
        save_dir: PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
    /// Lint every published schema for client portability, with a fix per finding.
    ///
    /// The rules are `mcp_runtime::schema_lint`'s, the ones `cargo test`
    /// checks a crate of tools with (they agree with the MCP Inspector's
    /// `--strict` lint where both have a rule). Each finding names the tool,
    /// the rule, the place in the schema and the fix. Exits 1 on errors;
    /// warnings alone exit 0.
    #[command(after_help = AFTER_HELP)]
    Lint {
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: Server,
    },
    /// Print the server's contract lock, as `cargo test` writes it.
    ///
    /// The same document as `mcp_runtime::testing::contract_of` writes to
    /// `mcp-contract.lock.json`: every tool's published definition under its
    /// name. `mcp lock URL > mcp-contract.lock.json`, then `mcp diff` it
    /// against the next release.
    #[command(after_help = AFTER_HELP)]
    Lock {
        #[command(flatten)]
        server: Server,
    },
    /// Compare the server's contract with a lock; exit 1 on breaking changes.
    ///
    /// Each change is classed as `cargo test`'s lock check classes it
    /// (`mcp_runtime::testing::compare_to_lock`): a removed tool, a new
    /// required argument, a changed type or a removed enum value breaks
    /// agents built against the lock; a new tool, a new optional argument
    /// or an edited description does not.
    #[command(
        after_help = AFTER_HELP,
        override_usage = "mcp diff [OPTIONS] <LOCK> <URL>\n       \
                          mcp diff [OPTIONS] <LOCK> -- <COMMAND>..."
    )]
    Diff {
        /// The lock file (from `mcp lock`, or a crate's `mcp-contract.lock.json`).
        lock: PathBuf,
        /// Print the changes as JSON: `{"breaking": [...], "compatible": [...]}`.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: Server,
    },
}

/// The server by its URL, or by the command after `--`.
#[derive(Debug, Clone, Args)]
struct Server {
    /// The MCP endpoint's URL (or give a stdio command after `--`).
    #[arg(value_name = "URL")]
    url: Option<String>,
    #[command(flatten)]
    connection: Connection,
}

/// How to reach the server and talk to it.
#[derive(Debug, Clone, Args)]
struct Connection {
    /// Send `Authorization: Bearer KEY` (HTTP).
    #[arg(long, env = "MCP_BEARER", value_name = "KEY", hide_env_values = true)]
    bearer: Option<String>,
    /// Send this HTTP header too; repeatable.
    #[arg(long = "header", value_name = "NAME:VALUE")]
    headers: Vec<String>,
    /// The protocol era: `handshake` (initialize first, 2025-11-25),
    /// `stateless` (2026-07-28), or `auto` (stateless if `server/discover`
    /// offers it, else handshake).
    #[arg(long, value_enum, default_value_t = EraChoice::Auto)]
    era: EraChoice,
    /// Seconds to wait for an answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    timeout: u64,
    /// Say which era was negotiated; show a stdio server's stderr.
    #[arg(long, short)]
    verbose: bool,
    /// A command that serves MCP over stdio, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// The `--era` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EraChoice {
    /// `initialize` first, then requests (2025-11-25).
    Handshake,
    /// Every request stands alone (2026-07-28).
    Stateless,
    /// Stateless if the server offers it, else handshake.
    Auto,
}

/// What a command found, when it could do its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Exit 0.
    Clean,
    /// Exit 1: the tool's error, lint errors, breaking changes.
    Negative,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli.command) {
        Ok(Verdict::Clean) => ExitCode::SUCCESS,
        Ok(Verdict::Negative) => ExitCode::from(1),
        Err(e) => {
            show::clear_progress();
            eprintln!("mcp: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_stdio_command_follows_the_double_dash() {
        let cli = Cli::try_parse_from(["mcp", "call", "get_order", "n=1", "--", "shop", "--stdio"])
            .unwrap();
        let Command::Call {
            words, connection, ..
        } = cli.command
        else {
            panic!("call")
        };
        assert_eq!(words, ["get_order", "n=1"]);
        assert_eq!(connection.command, ["shop", "--stdio"]);
    }
}
