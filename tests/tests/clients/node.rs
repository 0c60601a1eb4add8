//! Node 22 with the official MCP Inspector and TypeScript SDK at the versions
//! `scripts/js-clients.sh` pins, installed by it into the git-ignored
//! `.tools/js-clients/` on the first use in a test binary.
//!
//! **Without npm** (and nothing installed yet): when `CI` is set the tests
//! panic, since CI must run them; otherwise each test prints `SKIPPED: npm
//! not found ...` and returns early (it passes). Any other install failure
//! panics.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{Run, run};

/// Longest one Node client run may take.
const NODE_DEADLINE: Duration = Duration::from_secs(90);

/// Where `scripts/js-clients.sh` installs the packages; scripts run from
/// below it so that their imports resolve.
pub(crate) fn tools_dir() -> PathBuf {
    mcp_tests::repo_root().join(".tools/js-clients")
}

/// The Node 22 binary, or `None` when npm is missing outside CI and the tests
/// are to be skipped.
pub(crate) fn node() -> Option<&'static Path> {
    static NODE: OnceLock<Option<PathBuf>> = OnceLock::new();
    let node = NODE.get_or_init(|| {
        let started = Instant::now();
        let mut cmd = Command::new("bash");
        cmd.arg(mcp_tests::repo_root().join("scripts/js-clients.sh"))
            .current_dir(mcp_tests::repo_root());
        // A first install downloads Node and two packages.
        let out = run(cmd, Duration::from_secs(600));
        if out.code == Some(2) && out.stderr.contains("npm not found") {
            assert!(
                std::env::var_os("CI").is_none(),
                "npm not found; CI is set, so the Node client tests must run: install npm \
                 (any version: it installs Node 22 and the clients)\n{}",
                out.stderr
            );
            return None;
        }
        out.assert_success("scripts/js-clients.sh");
        let path = out
            .stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| PathBuf::from(l.trim()))
            .unwrap_or_else(|| panic!("scripts/js-clients.sh printed no Node path"));
        assert!(path.is_file(), "not a file: {}", path.display());
        eprintln!(
            "Node clients ready in {} ms: {}",
            started.elapsed().as_millis(),
            path.display()
        );
        Some(path)
    });
    if node.is_none() {
        eprintln!(
            "SKIPPED: npm not found; the MCP Inspector and TypeScript SDK tests did not run \
             (set CI=1 to make this an error)"
        );
    }
    node.as_deref()
}

/// A `node` command run from the tools directory, with this Node first on
/// `PATH` for anything it spawns.
pub(crate) fn node_command(node: &Path) -> Command {
    let dir = node.parent().expect("node is in a directory");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![dir.to_path_buf()];
    dirs.extend(std::env::split_paths(&path));
    let mut cmd = Command::new(node);
    cmd.current_dir(tools_dir())
        .env("PATH", std::env::join_paths(dirs).expect("a valid PATH"))
        .env("NO_COLOR", "1");
    cmd
}

/// Run the module `source` with `node`, saved as `file_name` (`.mjs`, or
/// `.mts`: Node 22 strips the types), with the environment `env`.
pub(crate) fn run_node_script(
    node: &Path,
    file_name: &str,
    source: &str,
    env: &[(&str, &str)],
) -> Run {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = tools_dir().join("scratch");
    std::fs::create_dir_all(&dir).expect("create .tools/js-clients/scratch");
    let file = dir.join(format!(
        "{}-{}-{file_name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&file, source).expect("write the script");
    let mut cmd = node_command(node);
    cmd.arg(&file);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(cmd, NODE_DEADLINE);
    let _ = std::fs::remove_file(&file);
    out
}
