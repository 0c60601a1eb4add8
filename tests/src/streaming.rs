//! A call whose response streams (SSE): read it as it arrives, to answer
//! the server's requests (a tool's questions) before the call ends.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{HttpResponse, Post, Revision, assert_valid_message, parse_response};

/// A call whose response streams: the connection, and the bytes read so far.
pub struct Streaming {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Streaming {
    /// Send `post` to `addr` and keep the connection to read its response.
    pub async fn open(addr: SocketAddr, post: Post) -> Streaming {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(&post.to_bytes(&addr.to_string()))
            .await
            .expect("write");
        Streaming {
            stream,
            buf: Vec::new(),
        }
    }

    /// Read until `needle` has arrived (at most 10 s); the text so far.
    pub async fn until(&mut self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = String::from_utf8_lossy(&self.buf).into_owned();
            if text.contains(needle) {
                return text;
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk))
                .await
                .unwrap_or_else(|_| panic!("`{needle}` did not arrive; so far: {text}"))
                .expect("read");
            assert!(n > 0, "the stream ended before `{needle}`: {text}");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// The id of the server's request that has arrived.
    pub async fn request_id(&mut self) -> String {
        let text = self.until("\"id\":\"srv-").await;
        let at = text.find("\"id\":\"srv-").unwrap() + 6;
        text[at..at + 36].to_owned()
    }

    /// The whole response, every message validated against `rev`'s schema.
    pub async fn finish(mut self, rev: Revision) -> (HttpResponse, Vec<Value>) {
        tokio::time::timeout(
            Duration::from_secs(10),
            self.stream.read_to_end(&mut self.buf),
        )
        .await
        .expect("the call ends")
        .expect("read");
        let resp = parse_response(&self.buf);
        let messages = resp.messages();
        for m in &messages {
            let def = m.get("result").map(|_| "CallToolResult");
            assert_valid_message(rev, m, def);
        }
        (resp, messages)
    }
}
