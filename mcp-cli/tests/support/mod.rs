//! Running the built `mcp` binary against real servers: the shop (its
//! binary, `mcp_tests::shop`), and `tests/py/notes_server.py`, a server
//! written with the official MCP Python SDK (`MCPServer`) from the pinned
//! venv (`mcp_tests::py_sdk::venv_python`).

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

pub use mcp_tests::process::Run;
use serde_json::Value;

/// Run `mcp` with `args`; stdin closed, no `MCP_BEARER` from the caller.
pub fn mcp<S: AsRef<str>>(args: &[S]) -> Run {
    mcp_in(args, None)
}

/// [`mcp`] in the working directory `dir`.
pub fn mcp_in<S: AsRef<str>>(args: &[S], dir: Option<&Path>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcp"));
    cmd.args(args.iter().map(AsRef::as_ref))
        .env_remove("MCP_BEARER")
        .env("NO_COLOR", "1");
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    mcp_tests::process::run(cmd, Duration::from_secs(120))
}

/// `args`, then `--`, then `command`: `mcp` against a stdio server.
pub fn with_command(args: &[&str], command: &[String]) -> Vec<String> {
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    all.push("--".to_owned());
    all.extend(command.iter().cloned());
    all
}

impl RunExt for Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n--- stderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "--- stdout:\n{}\n--- stderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Reading a run of `mcp`.
pub trait RunExt {
    /// stdout as one JSON document.
    fn json(&self) -> Value;
    /// Fails, showing the output, unless it exited with `code`.
    fn expect_code(&self, code: i32) -> &Run;
}

/// A fresh directory under the temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(what: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mcp-cli-{what}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The Python server's script.
pub fn notes_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/notes_server.py")
}

/// The command line of the Python server over stdio, as release `variant`
/// (`base`, `breaking`, `compatible`).
pub fn notes_stdio(python: &Path, variant: &str) -> Vec<String> {
    vec![
        python.display().to_string(),
        notes_script().display().to_string(),
        "--stdio".to_owned(),
        "--variant".to_owned(),
        variant.to_owned(),
    ]
}

/// The Python server over Streamable HTTP; killed on drop.
pub struct Notes {
    child: Child,
    /// `http://127.0.0.1:<port>/mcp`.
    pub url: String,
}

impl Notes {
    /// Start it with `args` (`--stateless`, `--variant V`); returns once it
    /// printed its URL.
    pub fn start(python: &Path, args: &[&str]) -> Notes {
        let mut child = Command::new(python)
            .arg(notes_script())
            .arg("--http")
            .args(args)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the Python server");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        // Drained for the life of the process, so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the Python server announces its URL within 60 s");
        Notes { child, url }
    }
}

impl Drop for Notes {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One way of reaching a server: by its URL with some options, or by the
/// command that serves it over stdio.
pub struct Way {
    /// For messages.
    pub name: String,
    /// Options before the subcommand's own arguments (`--era`, `--bearer`).
    pub options: Vec<String>,
    /// The URL, or `None` for the stdio `command`.
    pub url: Option<String>,
    pub command: Vec<String>,
    /// Whether the era negotiated is the stateless one.
    pub stateless: bool,
}

impl Way {
    /// Over HTTP.
    pub fn http(name: &str, url: &str, options: &[&str], stateless: bool) -> Way {
        Way {
            name: name.to_owned(),
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            url: Some(url.to_owned()),
            command: Vec::new(),
            stateless,
        }
    }

    /// Over stdio.
    pub fn stdio(name: &str, command: Vec<String>, options: &[&str], stateless: bool) -> Way {
        Way {
            name: name.to_owned(),
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            url: None,
            command,
            stateless,
        }
    }

    /// `mcp <sub> <options> <args> [URL | -- command]`; for `call` the URL
    /// goes before the tool.
    pub fn run(&self, sub: &str, args: &[&str]) -> Run {
        self.run_in(sub, args, None)
    }

    /// [`Way::run`] in the working directory `dir`.
    pub fn run_in(&self, sub: &str, args: &[&str], dir: Option<&Path>) -> Run {
        let mut all = vec![sub.to_owned()];
        all.extend(self.options.iter().cloned());
        let url_first = sub == "call";
        if url_first && let Some(u) = &self.url {
            all.push(u.clone());
        }
        all.extend(args.iter().map(|a| (*a).to_owned()));
        match &self.url {
            Some(u) if !url_first => all.push(u.clone()),
            Some(_) => {}
            None => {
                all.push("--".to_owned());
                all.extend(self.command.iter().cloned());
            }
        }
        mcp_in(&all, dir)
    }
}

/// `result` as the era carries it: in the stateless era with `resultType`
/// and the server's identity (`server_info`) in `_meta`.
pub fn in_era(stateless: bool, mut result: Value, server_info: Value) -> Value {
    if stateless {
        let o = result.as_object_mut().expect("a result object");
        o.insert("resultType".into(), serde_json::json!("complete"));
        o.insert(
            "_meta".into(),
            serde_json::json!({ "io.modelcontextprotocol/serverInfo": server_info }),
        );
    }
    result
}

/// A port on 127.0.0.1 that nothing listens on (bound, then let go).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    l.local_addr().expect("local addr").port()
}
