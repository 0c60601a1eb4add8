//! Running the official MCP Python SDK client (`tests/py/mcp_client_driver.py`)
//! from a Rust test: venv setup, the skip rule, one driver run.
//!
//! Used by every test that drives a server with the Python client: this
//! package's `tests/python_sdk.rs` and the shop example's
//! `tests/python_client.rs` (a dev-dependency on `mcp-tests`).
//!
//! The first use in a test binary runs `bash scripts/py-venv.sh` (idempotent:
//! it creates `.tools/venv` with the pinned `mcp` package on the first run
//! only) and keeps the venv's python path for the rest of the binary.
//!
//! **Without python3** (`$PYTHON`, else `python3`, cannot be started): when the
//! `CI` environment variable is set the tests panic, since CI must run them;
//! otherwise each test prints `SKIPPED: python3 not found ...` to stderr and
//! returns early (it passes), so a machine without Python can still run
//! `cargo test`. Any other setup failure (e.g. pip cannot install) panics.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::repo_root;

/// Longest a driver run may take before it is killed and the test fails.
const DRIVER_DEADLINE: Duration = Duration::from_secs(120);

/// The venv's python, or `None` when python3 is absent and the tests are to be
/// skipped (never `None` when `CI` is set: that panics instead).
pub fn venv_python() -> Option<&'static Path> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    let python = PYTHON.get_or_init(|| {
        let interpreter = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let probe = Command::new(&interpreter)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Err(e) = probe {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "python3 not found (`{interpreter} --version`: {e}); CI is set, so the Python \
                     SDK tests must run: install python >= 3.10 (or set PYTHON)"
                );
            }
            return None;
        }
        let started = Instant::now();
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/py-venv.sh"))
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .output()
            .expect("run bash scripts/py-venv.sh");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "scripts/py-venv.sh failed ({}):\n{stderr}{stdout}",
            out.status
        );
        let path = stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| PathBuf::from(l.trim()))
            .unwrap_or_else(|| panic!("scripts/py-venv.sh printed no python path:\n{stderr}"));
        assert!(
            path.is_file(),
            "scripts/py-venv.sh printed `{}`, which is not a file",
            path.display()
        );
        eprintln!(
            "python SDK venv ready in {} ms: {}",
            started.elapsed().as_millis(),
            path.display()
        );
        Some(path)
    });
    if python.is_none() {
        eprintln!(
            "SKIPPED: python3 not found; the official MCP Python SDK tests did not run \
             (set CI=1 to make this an error)"
        );
    }
    python.as_deref()
}

/// The protocol era the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `initialize` handshake; the SDK offers 2025-11-25.
    Legacy,
    /// 2026-07-28: `server/discover`, then stateless requests.
    Stateless,
}

impl Mode {
    /// The protocol version the server should report for this mode.
    pub fn protocol_version(self) -> &'static str {
        match self {
            Mode::Legacy => "2025-11-25",
            Mode::Stateless => "2026-07-28",
        }
    }

    /// The driver's `--mode` value.
    pub fn flag(self) -> &'static str {
        match self {
            Mode::Legacy => "legacy",
            Mode::Stateless => "2026",
        }
    }
}

/// One run of the driver.
#[derive(Debug)]
pub struct DriverRun {
    /// Exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Everything it wrote to stdout: the result document of a successful run.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
    /// How long the python process ran.
    pub elapsed: Duration,
}

impl DriverRun {
    /// The JSON document of a successful run (panics with stderr otherwise).
    pub fn json(&self) -> Value {
        assert_eq!(
            self.code,
            Some(0),
            "driver failed\n--- stderr:\n{}\n--- stdout:\n{}",
            self.stderr,
            self.stdout
        );
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "driver stdout is not one JSON document ({e}):\n{}\n--- stderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Run the driver with `python` (from [`venv_python`]), CLI `args` and the step
/// `script`. Blocking: use [`run_driver_async`] when a server runs on the
/// same runtime.
pub fn run_driver(python: &Path, args: &[String], script: &Value) -> DriverRun {
    let mut cmd = Command::new(python);
    cmd.arg(repo_root().join("tests/py/mcp_client_driver.py"))
        .args(args)
        .arg(script.to_string())
        .current_dir(repo_root())
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let started = Instant::now();
    let out = crate::process::run(cmd, DRIVER_DEADLINE);
    let elapsed = started.elapsed();
    let run = DriverRun {
        code: out.code,
        stdout: out.stdout,
        stderr: out.stderr,
        elapsed,
    };
    eprintln!(
        "python driver {:?} exited {:?} after {} ms",
        args.iter().take(4).collect::<Vec<_>>(),
        run.code,
        elapsed.as_millis()
    );
    run
}

/// [`run_driver`] off the async runtime, so that an in-process server on the
/// same runtime keeps serving the driver.
pub async fn run_driver_async(python: &Path, args: Vec<String>, script: Value) -> DriverRun {
    let python = python.to_owned();
    tokio::task::spawn_blocking(move || run_driver(&python, &args, &script))
        .await
        .expect("driver thread did not panic")
}
