//! Streamable HTTP: one POST per message, the answer as JSON or as an SSE
//! stream (notifications first, then the response), the session id of the
//! handshake era sent back, and the session ended with DELETE.

use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use mcp_runtime::client::{Outgoing, RpcErrorObject, SESSION_HEADER, ServerMessage, SseDecoder};
use serde_json::Value;
use ureq::http::{HeaderMap, Response};

use super::{OnNotification, Transport, matching};
use crate::error::{Error, excerpt};

/// The largest JSON answer read (a streamed one is read event by event).
const MAX_JSON_BYTES: u64 = 64 * 1024 * 1024;

pub(super) struct Http {
    agent: ureq::Agent,
    url: String,
    headers: Vec<(String, String)>,
    /// The `Mcp-Session-Id` the server gave (handshake era).
    session: Option<String>,
}

impl Http {
    pub(super) fn new(url: &str, headers: &[(String, String)], timeout: Duration) -> Http {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10).min(timeout)))
            .timeout_global(Some(timeout))
            .user_agent(concat!("mcp-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Http {
            agent,
            url: url.to_owned(),
            headers: headers.to_vec(),
            session: None,
        }
    }

    fn sends_authorization(&self) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
    }

    fn post(&mut self, out: &Outgoing) -> Result<Response<ureq::Body>, Error> {
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream");
        for (name, value) in self.headers.iter().chain(&out.headers) {
            req = req.header(name, value);
        }
        if let Some(s) = &self.session {
            req = req.header(SESSION_HEADER, s);
        }
        let resp = req
            .send(&out.body[..])
            .map_err(|e| unreachable(&self.url, &e))?;
        if let Some(s) = resp
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
        {
            self.session = Some(s.to_owned());
        }
        if resp.status() == 401 {
            return Err(self.unauthorized(resp.headers()));
        }
        Ok(resp)
    }

    /// What a 401 asks for, from `WWW-Authenticate`.
    fn unauthorized(&self, headers: &HeaderMap) -> Error {
        let challenge = headers
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let scheme = challenge.split_whitespace().next().unwrap_or("Bearer");
        let shown = if challenge.is_empty() {
            String::new()
        } else {
            format!(" (WWW-Authenticate: {})", excerpt(challenge, 200))
        };
        Error::Unauthorized(if self.sends_authorization() {
            format!(
                "{} refused the `Authorization` header sent (HTTP 401){shown}; check the key \
                 given with --bearer or MCP_BEARER",
                self.url
            )
        } else if scheme.eq_ignore_ascii_case("bearer") {
            format!(
                "{} requires an `Authorization: Bearer <key>` header, and none was sent (HTTP \
                 401){shown}; pass --bearer KEY or set MCP_BEARER",
                self.url
            )
        } else {
            format!(
                "{} requires an `Authorization: {scheme} …` header, and none was sent (HTTP \
                 401){shown}; pass it with --header 'Authorization: {scheme} …'",
                self.url
            )
        })
    }

    /// The answer to a non-MCP response.
    fn not_mcp(&self, status: u16, content_type: &str, body: &str) -> Error {
        let ct = if content_type.is_empty() {
            "no Content-Type".to_owned()
        } else {
            content_type.to_owned()
        };
        let body = if body.trim().is_empty() {
            String::new()
        } else {
            format!(": {}", excerpt(body, 120))
        };
        let reason = ureq::http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        Error::NotMcp(format!(
            "{} answered HTTP {status}{reason} with {ct}, not a JSON-RPC message{body}",
            self.url
        ))
    }

    /// Send the answer to a request the server made in a stream.
    fn answer(&mut self, id: &Value, method: &str) {
        let out = Outgoing {
            id: None,
            body: ServerMessage::answer(id, method),
            headers: Vec::new(),
        };
        let _ = self.post(&out);
    }
}

fn unreachable(url: &str, e: &ureq::Error) -> Error {
    let why = match e {
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        other => other.to_string(),
    };
    Error::Unreachable(format!("{url}: {why}"))
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

impl Transport for Http {
    fn request(
        &mut self,
        out: &Outgoing,
        method: &str,
        on_note: &mut OnNotification<'_>,
    ) -> Result<Result<Value, RpcErrorObject>, Error> {
        let resp = self.post(out)?;
        let status = resp.status().as_u16();
        let ct = content_type(resp.headers());
        let id = serde_json::json!(out.id);
        match media_type(&ct).as_str() {
            "text/event-stream" => {
                let reader = BufReader::new(resp.into_body().into_reader());
                self.read_stream(reader, &id, method, on_note)
            }
            "application/json" => {
                let mut text = String::new();
                resp.into_body()
                    .into_with_config()
                    .limit(MAX_JSON_BYTES)
                    .reader()
                    .read_to_string(&mut text)
                    .map_err(|e| {
                        Error::Unreachable(format!("{}: reading the answer: {e}", self.url))
                    })?;
                match ServerMessage::parse(text.as_bytes()) {
                    Ok(ServerMessage::Response { id: got, outcome }) => {
                        matching(&got, &id, method, outcome)
                    }
                    Ok(_) => Err(Error::Protocol(format!(
                        "{} answered `{method}` with a JSON-RPC message that is not a response",
                        self.url
                    ))),
                    Err(_) => Err(self.not_mcp(status, &ct, &text)),
                }
            }
            _ => {
                let mut text = String::new();
                let _ = resp
                    .into_body()
                    .into_with_config()
                    .limit(4096)
                    .lossy_utf8(true)
                    .reader()
                    .read_to_string(&mut text);
                if status == 202 {
                    return Err(Error::Protocol(format!(
                        "{} answered `{method}` with 202 Accepted and no response",
                        self.url
                    )));
                }
                Err(self.not_mcp(status, &ct, &text))
            }
        }
    }

    fn notify(&mut self, out: &Outgoing, method: &str) -> Result<(), Error> {
        let resp = self.post(out)?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(Error::Protocol(format!(
                "{} answered the notification `{method}` with HTTP {status}",
                self.url
            )))
        }
    }
}

impl Http {
    fn read_stream(
        &mut self,
        mut reader: impl BufRead,
        id: &Value,
        method: &str,
        on_note: &mut OnNotification<'_>,
    ) -> Result<Result<Value, RpcErrorObject>, Error> {
        let mut sse = SseDecoder::new();
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line).map_err(|e| {
                Error::Unreachable(format!("{}: reading the event stream: {e}", self.url))
            })?;
            let event = if n == 0 {
                sse.finish()
            } else {
                sse.line(&line)
            };
            if let Some(data) = event {
                match ServerMessage::parse(data.as_bytes()) {
                    Ok(ServerMessage::Response { id: got, outcome }) => {
                        return matching(&got, id, method, outcome);
                    }
                    Ok(ServerMessage::Notification { method, params }) => on_note(&method, &params),
                    Ok(ServerMessage::Request { id, method, .. }) => self.answer(&id, &method),
                    Err(why) => {
                        return Err(Error::Protocol(format!(
                            "{} sent an event that is not a JSON-RPC message ({why}): {}",
                            self.url,
                            excerpt(&data, 120)
                        )));
                    }
                }
            }
            if n == 0 {
                return Err(Error::Protocol(format!(
                    "{} ended the event stream without answering `{method}`",
                    self.url
                )));
            }
        }
    }
}

impl Drop for Http {
    /// End the session the server keeps (handshake era); a server that
    /// keeps none, or refuses, is left as it is.
    fn drop(&mut self) {
        if let Some(s) = self.session.take() {
            let mut req = self.agent.delete(&self.url).header(SESSION_HEADER, &s);
            for (name, value) in &self.headers {
                req = req.header(name, value);
            }
            let _ = req.call();
        }
    }
}
