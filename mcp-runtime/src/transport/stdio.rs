//! The stdio transport: newline-delimited JSON-RPC on stdin/stdout. Only
//! protocol messages go to stdout; logs go to stderr. Ends at EOF once the
//! calls in flight have answered.

use std::sync::Arc;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::dispatch::{Delivery, Dispatcher, new_scope};
use crate::jsonrpc::{Reply, RpcError, codes, error_body, to_bytes};
use crate::limits::{Limits, check_depth};
use crate::notify::notification_channel;

/// Serve `dispatcher` on a reader/writer pair until the reader ends.
pub(crate) async fn serve<R, W>(
    dispatcher: Arc<Dispatcher>,
    mut reader: R,
    mut writer: W,
    limits: Limits,
) -> std::io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (out_tx, mut out_rx) = mpsc::channel::<Vec<u8>>(256);
    let writer_task = tokio::spawn(async move {
        while let Some(mut msg) = out_rx.recv().await {
            msg.push(b'\n');
            writer.write_all(&msg).await?;
            writer.flush().await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let Limits {
        max_message_bytes,
        max_json_depth,
    } = limits;
    let scope = new_scope();
    let mut tasks = JoinSet::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = read_line_limited(&mut reader, &mut line, max_message_bytes).await?;
        if n == 0 {
            break;
        }
        if line.len() > max_message_bytes {
            let err = RpcError::new(
                codes::INVALID_REQUEST,
                format!("invalid request: message larger than {max_message_bytes} bytes"),
            );
            let _ = out_tx.send(error_body(None, &err)).await;
            continue;
        }
        let msg = std::mem::take(&mut line);
        if msg.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Err(err) = check_depth(&msg, max_json_depth) {
            let _ = out_tx.send(error_body(None, &err)).await;
            continue;
        }
        let d = dispatcher.clone();
        let out = out_tx.clone();
        tasks.spawn(async move {
            let (ntx, mut nrx) = notification_channel();
            let delivery = Delivery {
                notifier: Some(ntx),
                scope,
                ..Delivery::default()
            };
            let forward = async {
                while let Some(n) = nrx.recv().await {
                    if crate::notify::is_keep_alive(&n) {
                        continue;
                    }
                    let _ = out.send(to_bytes(&n)).await;
                }
            };
            let (reply, ()) = tokio::join!(d.handle(&msg, delivery), forward);
            if let Reply::Response { body, .. } = reply {
                let _ = out.send(body).await;
            }
        });
        while tasks.try_join_next().is_some() {}
    }
    // The client is gone: its `subscriptions/listen` streams end too.
    // (Again while waiting: one may have opened just after.)
    loop {
        dispatcher.listeners.close_scope(scope);
        tokio::select! {
            done = tasks.join_next() => if done.is_none() { break },
            () = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
        }
    }
    drop(out_tx);
    writer_task.await.map_err(std::io::Error::other)?
}

/// Read one `\n`-terminated line, keeping at most `max + 1` bytes of it (the
/// rest of an oversized line is consumed and dropped). Returns bytes consumed.
async fn read_line_limited<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    out: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(total);
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        if out.len() <= max {
            let room = max + 1 - out.len();
            out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        let used = done.unwrap_or(buf.len());
        reader.consume(used);
        total += used;
        if done.is_some() {
            return Ok(total);
        }
    }
}
