//! A long-lived SSE response read event by event over a raw socket (a
//! session's `GET` stream, a `POST` answered by SSE): every byte visible,
//! every wait bounded.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::Post;

/// One SSE event: its `id`, `retry` and `data` fields (data lines joined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `id:`, if any.
    pub id: Option<String>,
    /// `retry:`, if any.
    pub retry: Option<u64>,
    /// The `data:` lines, joined by `\n` (empty for a priming event).
    pub data: String,
}

/// An open SSE response.
pub struct SseStream {
    /// The response's status.
    pub status: u16,
    /// The response's headers, names lowercased.
    pub headers: Vec<(String, String)>,
    conn: TcpStream,
    /// Raw bytes after the head, not yet de-chunked.
    raw: Vec<u8>,
    /// De-chunked text not yet parsed into events.
    text: String,
    chunked: bool,
    ended: bool,
}

impl SseStream {
    /// Send `req` to `addr` and read the response head (within 10 s).
    pub async fn open(addr: SocketAddr, req: &Post) -> SseStream {
        let mut conn = TcpStream::connect(addr).await.expect("connect");
        conn.write_all(&req.to_bytes(&addr.to_string()))
            .await
            .expect("write request");
        let mut buf = Vec::new();
        let head_end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p;
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut chunk))
                .await
                .expect("response head within 10 s")
                .expect("read");
            assert!(n > 0, "connection closed before the response head");
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = crate::parse_response(&buf[..head_end + 4]);
        let chunked = head
            .header("transfer-encoding")
            .is_some_and(|v| v.contains("chunked"));
        let mut s = SseStream {
            status: head.status,
            headers: head.headers,
            conn,
            raw: buf[head_end + 4..].to_vec(),
            text: String::new(),
            chunked,
            ended: false,
        };
        s.dechunk();
        s
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn dechunk(&mut self) {
        if !self.chunked {
            self.text
                .push_str(&String::from_utf8_lossy(&std::mem::take(&mut self.raw)));
            return;
        }
        loop {
            let Some(line_end) = self.raw.windows(2).position(|w| w == b"\r\n") else {
                return;
            };
            let size_str = String::from_utf8_lossy(&self.raw[..line_end]).into_owned();
            let size = usize::from_str_radix(size_str.split(';').next().unwrap_or("").trim(), 16)
                .expect("chunk size");
            if size == 0 {
                self.ended = true;
                self.raw.clear();
                return;
            }
            if self.raw.len() < line_end + 2 + size + 2 {
                return;
            }
            let data = self.raw[line_end + 2..line_end + 2 + size].to_vec();
            self.text.push_str(&String::from_utf8_lossy(&data));
            self.raw.drain(..line_end + 2 + size + 2);
        }
    }

    /// The next event (comments skipped) within `wait`; `None` when the
    /// stream ended or nothing came in time.
    pub async fn next(&mut self, wait: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.text.find("\n\n") {
                let block: String = self.text.drain(..end + 2).collect();
                let mut ev = Event {
                    id: None,
                    retry: None,
                    data: String::new(),
                };
                let mut fields = false;
                let mut data = Vec::new();
                for line in block.lines() {
                    if line.starts_with(':') || line.is_empty() {
                        continue;
                    }
                    fields = true;
                    let (k, v) = line.split_once(':').unwrap_or((line, ""));
                    let v = v.strip_prefix(' ').unwrap_or(v);
                    match k {
                        "id" => ev.id = Some(v.to_owned()),
                        "retry" => ev.retry = v.parse().ok(),
                        "data" => data.push(v.to_owned()),
                        _ => {}
                    }
                }
                if fields {
                    ev.data = data.join("\n");
                    return Some(ev);
                }
            }
            if self.ended {
                return None;
            }
            let mut chunk = [0u8; 4096];
            let n = match tokio::time::timeout_at(deadline, self.conn.read(&mut chunk)).await {
                Err(_) => return None,
                Ok(r) => r.expect("read"),
            };
            if n == 0 {
                self.ended = true;
                self.dechunk();
                continue;
            }
            self.raw.extend_from_slice(&chunk[..n]);
            self.dechunk();
        }
    }

    /// Whether the server ended the stream within `wait` (no event before).
    pub async fn ends_within(&mut self, wait: Duration) -> bool {
        self.next(wait).await.is_none() && self.ended
    }
}
