//! stdio: the server is a child process; newline-delimited JSON-RPC on its
//! stdin and stdout. Its stderr is kept (the last lines say why it died) or,
//! with `--verbose`, passed through.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio as Pipe};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcp_runtime::client::{Outgoing, RpcErrorObject, ServerMessage};
use serde_json::{Value, json};

use super::{OnNotification, Transport, matching};
use crate::error::{Error, excerpt};

/// Lines of the server's stderr kept for an error message.
const KEPT_STDERR_LINES: usize = 20;

pub(super) struct Stdio {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<std::io::Result<String>>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// The command, for messages.
    shown: String,
    timeout: Duration,
}

impl Stdio {
    pub(super) fn spawn(
        command: &[String],
        timeout: Duration,
        verbose: bool,
    ) -> Result<Stdio, Error> {
        let shown = command.join(" ");
        let (program, args) = command
            .split_first()
            .ok_or_else(|| Error::Usage("the stdio command after `--` is empty".to_owned()))?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Pipe::piped())
            .stdout(Pipe::piped())
            .stderr(if verbose {
                Pipe::inherit()
            } else {
                Pipe::piped()
            })
            .spawn()
            .map_err(|e| Error::Unreachable(format!("cannot start `{shown}`: {e}")))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let end = line.is_err();
                if tx.send(line).is_err() || end {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(pipe) = child.stderr.take() {
            let kept = Arc::clone(&stderr);
            std::thread::spawn(move || keep_last_lines(pipe, &kept));
        }
        Ok(Stdio {
            stdin: child.stdin.take(),
            child,
            lines,
            stderr,
            shown,
            timeout,
        })
    }

    fn write(&mut self, body: &[u8]) -> Result<(), ()> {
        let stdin = self.stdin.as_mut().ok_or(())?;
        stdin
            .write_all(body)
            .and_then(|()| stdin.write_all(b"\n"))
            .and_then(|()| stdin.flush())
            .map_err(|_| ())
    }

    /// Why the server stopped talking: its exit status and last stderr line.
    fn gone(&mut self, method: &str) -> Error {
        let deadline = Instant::now() + Duration::from_secs(2);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => break None,
            }
        };
        // Let the stderr reader take the last of it.
        std::thread::sleep(Duration::from_millis(50));
        let last = self
            .stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| format!("; its last words: {}", excerpt(l, 200)))
            .unwrap_or_default();
        let how = match status {
            Some(s) => format!("exited ({s})"),
            None => "closed its stdout".to_owned(),
        };
        Error::Unreachable(format!(
            "`{}` {how} before answering `{method}`{last}",
            self.shown
        ))
    }
}

fn keep_last_lines(pipe: impl Read, kept: &Mutex<VecDeque<String>>) {
    for line in BufReader::new(pipe).lines().map_while(Result::ok) {
        let mut k = kept.lock().unwrap_or_else(|e| e.into_inner());
        if k.len() == KEPT_STDERR_LINES {
            k.pop_front();
        }
        k.push_back(line);
    }
}

impl Transport for Stdio {
    fn request(
        &mut self,
        out: &Outgoing,
        method: &str,
        on_note: &mut OnNotification<'_>,
    ) -> Result<Result<Value, RpcErrorObject>, Error> {
        // A server that is gone may still have said something first (a
        // line that is not JSON-RPC): read what it wrote before saying so.
        let wrote = self.write(&out.body).is_ok();
        let id = json!(out.id);
        let deadline = Instant::now()
            + if wrote {
                self.timeout
            } else {
                Duration::from_secs(2)
            };
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(wait) {
                Ok(Ok(line)) => line,
                Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => return Err(self.gone(method)),
                Err(RecvTimeoutError::Timeout) if !wrote => return Err(self.gone(method)),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(Error::Unreachable(format!(
                        "`{}` did not answer `{method}` within {} s",
                        self.shown,
                        self.timeout.as_secs()
                    )));
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            match ServerMessage::parse(line.as_bytes()) {
                Ok(ServerMessage::Response { id: got, outcome }) => {
                    return matching(&got, &id, method, outcome);
                }
                Ok(ServerMessage::Notification { method, params }) => on_note(&method, &params),
                Ok(ServerMessage::Request { id, method, .. }) => {
                    let answer = ServerMessage::answer(&id, &method);
                    let _ = self.write(&answer);
                }
                Err(why) => {
                    return Err(Error::NotMcp(format!(
                        "`{}` wrote a line to stdout that is not a JSON-RPC message ({why}): {}",
                        self.shown,
                        excerpt(&line, 120)
                    )));
                }
            }
        }
    }

    fn notify(&mut self, out: &Outgoing, method: &str) -> Result<(), Error> {
        self.write(&out.body).map_err(|()| self.gone(method))
    }
}

impl Drop for Stdio {
    /// Close the server's stdin (a stdio server ends at EOF), give it a
    /// moment, then end it.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
