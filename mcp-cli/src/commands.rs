//! The subcommands: each reaches the server, asks, and prints.

use std::io::Write;
use std::path::Path;

use mcp_runtime::schema_lint::{Severity, lint_tool};
use mcp_runtime::testing::{Listed, compare_to_lock, contract_of_listed};
use serde_json::{Value, json};

use crate::connect::{Session, Target};
use crate::error::Error;
use crate::show::{self, pretty};
use crate::{Command, Server, Verdict};

pub(crate) fn run(command: Command) -> Result<Verdict, Error> {
    match command {
        Command::Tools { json, server } => {
            let tools = open(server)?.list_tools()?;
            if json {
                print(&format!("{}\n", pretty(&Value::Array(tools))))?;
            } else {
                print(&show::tools_table(&tools))?;
            }
            Ok(Verdict::Clean)
        }
        Command::Call {
            words,
            tenant,
            workspace,
            json,
            save_dir,
            connection,
        } => {
            // `[URL] TOOL [ARGUMENTS]`: the first word is the URL unless the
            // server is a command after `--`.
            let mut words = words.into_iter();
            let url = if connection.command.is_empty() {
                words.next()
            } else {
                None
            };
            let tool = words.next().ok_or_else(|| {
                Error::Usage("which tool? `mcp call [URL] TOOL [ARGUMENTS]...`".to_owned())
            })?;
            let rest: Vec<String> = words.collect();
            call(
                open(Server { url, connection })?,
                &tool,
                &rest,
                [("tenantId", tenant), ("workspaceId", workspace)],
                json,
                &save_dir,
            )
        }
        Command::Lint { json, server } => lint(&open(server)?.list_tools()?, json),
        Command::Lock { server } => {
            let lists = open(server)?.list_everything()?;
            print(&format!("{}\n", pretty(&contract(&lists))))?;
            Ok(Verdict::Clean)
        }
        Command::Diff { lock, json, server } => {
            let locked = read_lock(&lock)?;
            let lists = open(server)?.list_everything()?;
            let tools = &lists[0];
            let diff = compare_to_lock(&locked, &contract(&lists));
            if json {
                let doc = json!({ "breaking": diff.breaking, "compatible": diff.compatible });
                print(&format!("{}\n", pretty(&doc)))?;
            } else if diff.is_empty() {
                print(&format!(
                    "no changes: the {} tools match {}\n",
                    tools.len(),
                    lock.display()
                ))?;
            } else {
                print(&diff.to_string())?;
            }
            Ok(if diff.breaking.is_empty() {
                Verdict::Clean
            } else {
                Verdict::Negative
            })
        }
    }
}

/// The contract of the server's four lists, as `cargo test` locks it.
fn contract(lists: &[Vec<Value>; 4]) -> Value {
    let [tools, resources, resource_templates, prompts] = lists;
    contract_of_listed(Listed {
        tools,
        resources,
        resource_templates,
        prompts,
    })
}

fn open(server: Server) -> Result<Session, Error> {
    let target = Target::new(server.url, &server.connection)?;
    Session::open(&target, &server.connection)
}

fn print(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::File(format!("cannot write to stdout: {e}")))
}

fn call(
    mut session: Session,
    tool: &str,
    words: &[String],
    injected: [(&str, Option<String>); 2],
    json: bool,
    save_dir: &Path,
) -> Result<Verdict, Error> {
    let tools = session.list_tools()?;
    let Some(definition) = tools
        .iter()
        .find(|t| t.get("name").and_then(Value::as_str) == Some(tool))
    else {
        let names: Vec<&str> = tools
            .iter()
            .filter_map(|t| t.get("name").and_then(Value::as_str))
            .collect();
        return Err(Error::Usage(format!(
            "the server has no tool `{tool}` (it has: {})",
            names.join(", ")
        )));
    };
    let schema = definition.get("inputSchema").unwrap_or(&Value::Null);
    let mut arguments = crate::arguments::parse(words, schema)?;
    crate::arguments::check(tool, schema, &arguments)?;
    // Injected after the check: a hub adds them to any tool's arguments,
    // and the tool's schema does not declare them.
    for (name, value) in injected {
        if let Some(v) = value {
            arguments.insert(name.to_owned(), Value::String(v));
        }
    }
    let result = session.call_tool(definition, arguments, &mut |p| show::progress(&p));
    show::clear_progress();
    let result = result?;
    if json {
        print(&format!("{}\n", pretty(&result.raw)))?;
    } else {
        let mut out = Vec::new();
        show::call_result(tool, &result, save_dir, &mut out)?;
        print(&String::from_utf8_lossy(&out))?;
    }
    if result.is_error() {
        eprintln!("mcp: the tool `{tool}` returned an error (isError)");
        return Ok(Verdict::Negative);
    }
    Ok(Verdict::Clean)
}

fn lint(tools: &[Value], json: bool) -> Result<Verdict, Error> {
    let mut findings = Vec::new();
    for t in tools {
        let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
        for f in lint_tool(t) {
            findings.push((name, f));
        }
    }
    let errors = findings
        .iter()
        .filter(|(_, f)| f.severity == Severity::Error)
        .count();
    if json {
        let doc: Vec<Value> = findings
            .iter()
            .map(|(tool, f)| {
                json!({
                    "tool": tool,
                    "severity": f.severity.as_str(),
                    "rule": f.rule.id(),
                    "schema": f.schema.as_str(),
                    "path": f.path,
                    "pointer": f.pointer,
                    "issue": f.issue,
                    "suggestion": f.suggestion,
                })
            })
            .collect();
        print(&format!("{}\n", pretty(&Value::Array(doc))))?;
    } else {
        let mut text = String::new();
        for (tool, f) in &findings {
            text.push_str(&format!("{tool}: {f}\n"));
        }
        let warnings = findings.len() - errors;
        text.push_str(&if findings.is_empty() {
            format!("no findings in {} tools\n", tools.len())
        } else {
            format!(
                "{errors} error(s), {warnings} warning(s) in {} tools\n",
                tools.len()
            )
        });
        print(&text)?;
    }
    Ok(if errors > 0 {
        Verdict::Negative
    } else {
        Verdict::Clean
    })
}

fn read_lock(path: &Path) -> Result<Value, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::File(format!("cannot read the lock {}: {e}", path.display())))?;
    let lock: Value = serde_json::from_str(&text).map_err(|e| {
        Error::File(format!(
            "the lock {} is not valid JSON: {e}",
            path.display()
        ))
    })?;
    if !lock.get("tools").is_some_and(Value::is_object) {
        return Err(Error::File(format!(
            "{} is not a contract lock: it has no `tools` object",
            path.display()
        )));
    }
    Ok(lock)
}
