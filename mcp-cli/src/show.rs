//! What a person reads: the tools table, a call's result (files for
//! images), progress on stderr.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine as _;
use mcp_runtime::client::{CallResult, Progress};
use serde_json::Value;

use crate::error::Error;

/// The tools as a table: name, title, annotations, required arguments.
pub(crate) fn tools_table(tools: &[Value]) -> String {
    let header = ["NAME", "TITLE", "ANNOTATIONS", "REQUIRED"].map(str::to_owned);
    let mut rows = vec![header];
    for t in tools {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let title = text(t.get("title"))
            .or_else(|| text(t.pointer("/annotations/title")))
            .unwrap_or_else(|| "-".to_owned());
        let required: Vec<&str> = t
            .pointer("/inputSchema/required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        rows.push([
            text(t.get("name")).unwrap_or_default(),
            title,
            or_dash(annotations(t.get("annotations")).join(", ")),
            or_dash(required.join(", ")),
        ]);
    }
    let widths: Vec<usize> = (0..4)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i == 3 {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn or_dash(s: String) -> String {
    if s.is_empty() { "-".to_owned() } else { s }
}

/// The hints of a tool's annotations, in words.
fn annotations(a: Option<&Value>) -> Vec<&'static str> {
    let hint = |k: &str| a.and_then(|a| a.get(k)).and_then(Value::as_bool);
    let mut out = Vec::new();
    if hint("readOnlyHint") == Some(true) {
        out.push("read-only");
    }
    match hint("destructiveHint") {
        Some(true) => out.push("destructive"),
        Some(false) => out.push("non-destructive"),
        None => {}
    }
    if hint("idempotentHint") == Some(true) {
        out.push("idempotent");
    }
    match hint("openWorldHint") {
        Some(true) => out.push("open-world"),
        Some(false) => out.push("closed-world"),
        None => {}
    }
    out
}

/// A call's result for a person: structured content as JSON when there is
/// some, else the text blocks; images, audio and binary resources saved
/// under `dir` (their lines say where).
pub(crate) fn call_result(
    tool: &str,
    result: &CallResult,
    dir: &Path,
    out: &mut impl Write,
) -> Result<(), Error> {
    let structured = result.structured();
    if let Some(s) = structured {
        writeln!(out, "{}", pretty(s)).map_err(stdout_error)?;
    }
    let blocks = result
        .raw
        .get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, block) in blocks.iter().enumerate() {
        let field = |k: &str| block.get(k).and_then(Value::as_str);
        let line = match field("type").unwrap_or_default() {
            // The text of a result with structured content repeats it.
            "text" if structured.is_some() => continue,
            "text" => field("text").unwrap_or_default().to_owned(),
            "image" | "audio" => {
                let mime = field("mimeType").unwrap_or("application/octet-stream");
                let path = save(dir, tool, i + 1, mime, field("data").unwrap_or_default())?;
                format!("[{mime} saved to {}]", path.display())
            }
            "resource" => {
                let r = block.get("resource").unwrap_or(&Value::Null);
                let uri = r.get("uri").and_then(Value::as_str).unwrap_or("?");
                match (
                    r.get("text").and_then(Value::as_str),
                    r.get("blob").and_then(Value::as_str),
                ) {
                    (Some(text), _) => format!("[resource {uri}]\n{text}"),
                    (None, Some(blob)) => {
                        let mime = r
                            .get("mimeType")
                            .and_then(Value::as_str)
                            .unwrap_or("application/octet-stream");
                        let path = save(dir, tool, i + 1, mime, blob)?;
                        format!("[resource {uri}, {mime} saved to {}]", path.display())
                    }
                    (None, None) => format!("[resource {uri}]"),
                }
            }
            "resource_link" => format!("[link {}]", field("uri").unwrap_or("?")),
            other => format!("[{other} content]\n{}", pretty(block)),
        };
        writeln!(out, "{line}").map_err(stdout_error)?;
    }
    Ok(())
}

fn stdout_error(e: std::io::Error) -> Error {
    Error::File(format!("cannot write to stdout: {e}"))
}

/// Pretty JSON.
pub(crate) fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("a Value serializes")
}

/// Save Base64 `data` of type `mime` as `dir/<tool>-<n>.<ext>` (`dir`
/// created if need be).
fn save(dir: &Path, tool: &str, n: usize, mime: &str, data: &str) -> Result<PathBuf, Error> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| {
            Error::Protocol(format!(
                "the {mime} content of the result is not Base64: {e}"
            ))
        })?;
    let ext = match mime {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/svg+xml" => "svg",
        "audio/wav" | "audio/x-wav" => "wav",
        "audio/mpeg" => "mp3",
        "audio/ogg" => "ogg",
        "application/pdf" => "pdf",
        _ => "bin",
    };
    let safe: String = tool
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::File(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(format!("{safe}-{n}.{ext}"));
    std::fs::write(&path, bytes)
        .map_err(|e| Error::File(format!("cannot save {}: {e}", path.display())))?;
    Ok(path)
}

/// Whether a progress bar is on the screen (to be cleared before other output).
static BAR_SHOWN: AtomicBool = AtomicBool::new(false);

/// Show one progress notification on stderr: a bar redrawn in place on a
/// terminal, a plain line otherwise.
pub(crate) fn progress(p: &Progress) {
    let mut err = std::io::stderr().lock();
    let amount = match p.total {
        Some(t) => format!("{}/{t}", p.progress),
        None => format!("{}", p.progress),
    };
    let message = p
        .message
        .as_deref()
        .map(|m| format!(" {m}"))
        .unwrap_or_default();
    if std::io::stderr().is_terminal() {
        let bar = match p.total {
            Some(t) if t > 0.0 => {
                let filled = ((p.progress / t).clamp(0.0, 1.0) * 30.0).round() as usize;
                format!("[{}{}] ", "#".repeat(filled), "-".repeat(30 - filled))
            }
            _ => String::new(),
        };
        let _ = write!(err, "\r\x1b[2K{bar}{amount}{message}");
        BAR_SHOWN.store(true, Ordering::Relaxed);
    } else {
        let _ = writeln!(err, "progress {amount}{message}");
    }
    let _ = err.flush();
}

/// Take the progress bar off the screen, if one is shown.
pub(crate) fn clear_progress() {
    if BAR_SHOWN.swap(false, Ordering::Relaxed) {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K");
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_table_lines_up() {
        let tools = [
            json!({ "name": "get_order", "title": "Get order",
                    "annotations": { "readOnlyHint": true, "openWorldHint": false },
                    "inputSchema": { "type": "object", "required": ["orderNumber"] } }),
            json!({ "name": "ping", "inputSchema": { "type": "object" } }),
        ];
        assert_eq!(
            tools_table(&tools),
            "NAME       TITLE      ANNOTATIONS              REQUIRED\n\
             get_order  Get order  read-only, closed-world  orderNumber\n\
             ping       -          -                        -\n"
        );
    }

    #[test]
    fn structured_content_stands_for_its_text_and_images_are_saved() {
        let dir = std::env::temp_dir().join(format!("mcp-cli-show-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let result = CallResult {
            raw: json!({
                "content": [
                    { "type": "text", "text": "{\"n\":1}" },
                    { "type": "image", "mimeType": "image/png", "data": "iVBORw==" }
                ],
                "structuredContent": { "n": 1 }
            }),
        };
        let mut out = Vec::new();
        call_result("pic", &result, &dir, &mut out).unwrap();
        let path = dir.join("pic-2.png");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "{{\n  \"n\": 1\n}}\n[image/png saved to {}]\n",
                path.display()
            )
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"\x89PNG");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
