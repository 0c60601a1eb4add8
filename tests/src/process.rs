//! Binaries run as real processes: servers, for tests of start-up, signals,
//! logs and memory ([`Proc`]); one-shot commands, waited for with a deadline
//! ([`run`]).

use std::io::Read;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A server binary running as a child process, its stderr collected.
pub struct Proc {
    /// The process.
    pub child: std::process::Child,
    stderr: Arc<Mutex<String>>,
}

impl Proc {
    /// Start `bin` (e.g. `env!("CARGO_BIN_EXE_secure-server")`) with a clean
    /// environment for keys plus `env`, logging at debug level to stderr.
    pub fn spawn(bin: &str, env: &[(&str, &str)]) -> Proc {
        let mut cmd = std::process::Command::new(bin);
        for var in [
            "MCP_API_KEYS",
            "MCP_API_KEYS_FILE",
            "MCP_ADDR",
            "MCP_LOG",
            "RUST_LOG",
            "SECURE_SERVER_NO_AUTH",
            "SHOP_DATABASE_URL",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("MCP_LOG", "debug").env("NO_COLOR", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{bin} starts: {e}"));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Proc { child, stderr }
    }

    /// Everything written to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Wait (up to 20 s) until stderr contains `what`; returns stderr.
    pub async fn wait_stderr(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.stderr();
            if text.contains(what) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "`{what}` not on stderr within 20 s:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The address from the "listening" log line.
    pub async fn addr(&self) -> SocketAddr {
        let text = self.wait_stderr("MCP server listening").await;
        let at = text.find("http://127.0.0.1:").expect("URL in the log") + "http://".len();
        let end = text[at..].find('/').unwrap() + at;
        text[at..end].parse().expect("socket address")
    }

    /// Send signal `sig` (e.g. `TERM`).
    pub fn signal(&self, sig: &str) {
        let status = std::process::Command::new("kill")
            .args([format!("-{sig}"), self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Wait for the process to exit, failing after `within`.
    pub async fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader thread take the last of stderr.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running after {within:?}:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Resident memory of the process, in KiB (Linux `/proc`).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the process is running");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc status")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One finished child process.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None`: killed by a signal, or by the deadline).
    pub code: Option<i32>,
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
}

impl Run {
    /// Panic, showing everything it printed, unless it exited with 0.
    pub fn assert_success(&self, what: &str) {
        assert_eq!(
            self.code,
            Some(0),
            "{what} failed\n--- stderr:\n{}\n--- stdout:\n{}",
            self.stderr,
            self.stdout
        );
    }
}

/// Run `cmd` (stdin closed, output captured) and wait for it; killed, and
/// the test failed, when it runs past `deadline`.
pub fn run(mut cmd: Command, deadline: Duration) -> Run {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("piped stdout")));
    let err = reader(Box::new(child.stderr.take().expect("piped stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for the child") {
            break Some(s);
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run {
        code: status.and_then(|s| s.code()),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    };
    assert!(
        status.is_some(),
        "{cmd:?} ran past {deadline:?}\n--- stderr:\n{}\n--- stdout:\n{}",
        run.stderr,
        run.stdout
    );
    run
}
