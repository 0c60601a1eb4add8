//! The real `shop` binary as a child process, started over a fresh SQLite
//! file in a temp dir on `127.0.0.1:0` with the bearer keys given
//! (`MCP_API_KEYS` syntax, `name:secret`). Its address is read from the line
//! it prints; it is killed, and its temp dir removed, on drop.
//!
//! Used by the tests of clients written in other languages (this package's
//! `tests/clients/`) and of the `mcp` command (`mcp-cli/tests/`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::process::run;

/// How long the shop may take to announce its address.
const STARTUP_DEADLINE: Duration = Duration::from_secs(30);

/// The shop binary, as `cargo build -p shop --features otel` leaves it.
///
/// The feature matters: this writes `target/debug/shop`, the same file the
/// shop's own tests run as `CARGO_BIN_EXE_shop`, which `cargo test` builds
/// with the dev-dependency's `otel` (its `tests/otel.rs` needs the traces).
/// Built without it, a run of the workspace's tests that reaches this first
/// replaced that binary with one that exports nothing.
pub fn shop_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args([
            "build",
            "-p",
            "shop",
            "--bin",
            "shop",
            "--features",
            "otel",
            "--message-format=json",
        ])
        .current_dir(crate::repo_root());
        let out = run(cmd, Duration::from_secs(600));
        out.assert_success("cargo build -p shop");
        out.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "shop")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the shop executable")
    })
}

/// The shop, serving.
pub struct Shop {
    child: Child,
    binary: PathBuf,
    dir: PathBuf,
    log: Arc<Mutex<String>>,
    /// `http://127.0.0.1:<port>/mcp`.
    pub url: String,
}

impl Shop {
    /// Start `binary` with the bearer keys `keys`; returns once it announced
    /// its URL.
    pub fn start(binary: &Path, keys: &str) -> Shop {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shop-clients-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the temp dir");
        let mut child = Command::new(binary)
            .arg("--db")
            .arg(dir.join("shop.db"))
            .env("MCP_ADDR", "127.0.0.1:0")
            .env("MCP_API_KEYS", keys)
            .env("MCP_LOG", "info")
            .env_remove("MCP_API_KEYS_FILE")
            .env_remove("RUST_LOG")
            .env_remove("SHOP_DB")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the shop binary");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let sink = Arc::clone(&log);
        // Drain stderr for the life of the process (a full pipe would block
        // the shop), handing over the URL it announces.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split("serving MCP (Streamable HTTP) at ").nth(1) {
                    let _ = tx.send(url.trim().to_owned());
                }
                let mut log = sink.lock().unwrap_or_else(|e| e.into_inner());
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut shop = Shop {
            child,
            binary: binary.to_owned(),
            dir,
            log,
            url: String::new(),
        };
        let started = Instant::now();
        shop.url = loop {
            if let Ok(url) = rx.recv_timeout(Duration::from_millis(50)) {
                break url;
            }
            if let Some(status) = shop.child.try_wait().expect("poll the shop") {
                panic!("the shop exited at start ({status}):\n{}", shop.log());
            }
            assert!(
                started.elapsed() < STARTUP_DEADLINE,
                "the shop announced no address within {STARTUP_DEADLINE:?}:\n{}",
                shop.log()
            );
        };
        shop
    }

    /// Its SQLite database file, to check what a test's calls left there.
    pub fn db(&self) -> PathBuf {
        self.dir.join("shop.db")
    }

    /// The address, for raw requests.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.url
            .strip_prefix("http://")
            .and_then(|a| a.strip_suffix("/mcp"))
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected MCP URL `{}`", self.url))
    }

    /// The command line of the same shop serving stdio, over a database of
    /// its own in this shop's temp dir (seeded alike on first start).
    pub fn stdio_command(&self) -> Vec<String> {
        vec![
            self.binary.display().to_string(),
            "--stdio".to_owned(),
            "--db".to_owned(),
            self.dir.join("stdio.db").display().to_string(),
        ]
    }

    /// Everything it wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- the shop's stderr:\n{}", self.log());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
