#![no_main]
//! Raw bytes as the input of one HTTP/1.1 connection to a real server on a
//! loopback socket: the runtime's accept loop (`transport/conn.rs`),
//! hyper's connection, the axum router, `mcp_endpoint` (Host/Origin, key,
//! content type, body read with its budget, depth) and the dispatcher.
//! See `mcp_fuzz::http` for what every answer must be.
//!
//! The input is sent as it is, but for a few directives that keep a mutated
//! input meaningful (the seeds in `fuzz/seeds/http_raw` use them):
//!
//! - a first line `@any` sends the rest to the server that allows any Host
//!   (else the loopback-only one);
//! - `Content-Length: *` is replaced by the length of the body as sent;
//! - `X-Fuzz-Chunked: 5,17,3` sends the body chunked in pieces of those
//!   sizes (cycled), ending with the last chunk;
//! - `X-Fuzz-Bulk: N` replaces the first `"@bulk"` in the body with an array
//!   of N zeros (up to 200,000: around the 100,000-value argument cap);
//! - `X-Fuzz-Pad: N` appends N KiB of spaces to the body (up to 400: past
//!   the 256 KiB large-message threshold and the 320 KiB body limit).
//!
//! The directives stay in the head the server sees (they are headers like
//! any other).

use libfuzzer_sys::fuzz_target;
use mcp_fuzz::http::{Which, exchange};

include!("http_tools.rs");

/// The value of the first header `name` (ASCII case-insensitive) in a head.
fn directive<'h>(head: &'h [u8], name: &str) -> Option<&'h [u8]> {
    head.split(|&b| b == b'\n').find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        line[..colon]
            .eq_ignore_ascii_case(name.as_bytes())
            .then(|| line[colon + 1..].trim_ascii())
    })
}

fn number(v: &[u8]) -> Option<usize> {
    std::str::from_utf8(v).ok()?.parse().ok()
}

fn prepare(data: &[u8]) -> (Which, Vec<u8>) {
    let (which, data) = match data.strip_prefix(b"@any\n") {
        Some(rest) => (Which::AnyHost, rest),
        None => (Which::Loopback, data),
    };
    let Some(split) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
        return (which, data.to_vec());
    };
    let head = &data[..split + 2];
    let mut body = data[split + 4..].to_vec();
    if let Some(n) = directive(head, "x-fuzz-bulk").and_then(number)
        && let Some(at) = body.windows(7).position(|w| w == b"\"@bulk\"")
    {
        let n = n.min(200_000);
        let mut bulk = Vec::with_capacity(2 * n + 2);
        bulk.push(b'[');
        for i in 0..n {
            if i > 0 {
                bulk.push(b',');
            }
            bulk.push(b'0');
        }
        bulk.push(b']');
        body.splice(at..at + 7, bulk);
    }
    if let Some(n) = directive(head, "x-fuzz-pad").and_then(number) {
        body.resize(body.len() + n.min(400) * 1024, b' ');
    }
    if let Some(sizes) = directive(head, "x-fuzz-chunked") {
        let sizes: Vec<usize> = sizes
            .split(|&b| b == b',')
            .filter_map(|s| number(s.trim_ascii()))
            .map(|n| n.clamp(1, 1 << 20))
            .collect();
        let sizes = if sizes.is_empty() {
            vec![body.len().max(1)]
        } else {
            sizes
        };
        let mut out = Vec::with_capacity(body.len() + 64);
        let mut rest = &body[..];
        for &n in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            // Many tiny chunks of a big body would only be slow.
            let n = n.max(rest.len() / 4096).min(rest.len());
            out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
            out.extend_from_slice(&rest[..n]);
            out.extend_from_slice(b"\r\n");
            rest = &rest[n..];
        }
        out.extend_from_slice(b"0\r\n\r\n");
        body = out;
    }
    let mut out = Vec::with_capacity(head.len() + body.len() + 16);
    for line in head.split_inclusive(|&b| b == b'\n') {
        let bare = line.strip_suffix(b"\r\n").unwrap_or(line);
        if bare.eq_ignore_ascii_case(b"content-length: *") {
            out.extend_from_slice(&bare[..16]);
            out.extend_from_slice(format!("{}\r\n", body.len()).as_bytes());
        } else {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    (which, out)
}

fuzz_target!(|data: &[u8]| {
    let (which, bytes) = prepare(data);
    exchange(&bytes, which);
});
