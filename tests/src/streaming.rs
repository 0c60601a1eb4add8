//! A call whose response streams (SSE): read it as it arrives, to answer
//! the server's requests (a tool's questions) before the call ends. Read
//! with the one SSE reader, [`SseStream`].

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;

use crate::sse::SseStream;
use crate::{Post, Revision, assert_valid_message};

/// A call whose response streams: its SSE stream, and the messages read so far.
pub struct Streaming {
    sse: SseStream,
    messages: Vec<Value>,
}

impl Streaming {
    /// Send `post` to `addr` and keep the connection to read its response.
    pub async fn open(addr: SocketAddr, post: Post) -> Streaming {
        Streaming {
            sse: SseStream::open(addr, &post).await,
            messages: Vec::new(),
        }
    }

    /// The next message (events without data skipped) before `deadline`;
    /// `None` when the stream ended or nothing came in time.
    async fn next_message(&mut self, deadline: tokio::time::Instant) -> Option<Value> {
        loop {
            let wait = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.sse.next(wait).await?;
            if event.data.is_empty() {
                continue;
            }
            let message: Value = serde_json::from_str(&event.data)
                .unwrap_or_else(|e| panic!("SSE data is not JSON ({e}): {}", event.data));
            self.messages.push(message.clone());
            return Some(message);
        }
    }

    /// The id of the server's request that has arrived (at most 10 s).
    pub async fn request_id(&mut self) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let Some(m) = self.next_message(deadline).await else {
                panic!(
                    "no request from the server arrived; so far: {:?}",
                    self.messages
                );
            };
            if let Some(id) = m["id"].as_str().filter(|id| id.starts_with("srv-")) {
                return id.to_owned();
            }
        }
    }

    /// The whole response (its status and headers on the stream), every
    /// message validated against `rev`'s schema.
    pub async fn finish(mut self, rev: Revision) -> (SseStream, Vec<Value>) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.next_message(deadline).await.is_some() {}
        assert!(self.sse.ends_within(Duration::ZERO).await, "the call ends");
        for m in &self.messages {
            let def = m.get("result").map(|_| "CallToolResult");
            assert_valid_message(rev, m, def);
        }
        (self.sse, self.messages)
    }
}
