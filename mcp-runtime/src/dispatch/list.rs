//! Paginated lists, serialized once when the server is built: a list request
//! copies a finished page into its response. Cursors are opaque offsets.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::era::Era;
use crate::jsonrpc::{RpcError, to_bytes};

/// The pages of one list (`tools/list`, …), in both eras' forms.
pub(crate) struct Pages {
    page_size: usize,
    len: usize,
    handshake: Vec<Vec<u8>>,
    stateless: Vec<Vec<u8>>,
}

/// What the stateless era adds to every page.
pub(crate) struct StatelessExtras<'a> {
    pub(crate) ttl_ms: u64,
    pub(crate) server_meta: &'a Value,
}

impl Pages {
    /// Pages of `items` under `key` (e.g. `"tools"`), `page_size` per page;
    /// an empty list has one empty page.
    pub(crate) fn new(
        key: &str,
        items: &[Value],
        page_size: usize,
        extras: &StatelessExtras<'_>,
    ) -> Pages {
        let page_size = page_size.max(1);
        let chunks: Vec<&[Value]> = if items.is_empty() {
            vec![&[]]
        } else {
            items.chunks(page_size).collect()
        };
        let mut handshake = Vec::with_capacity(chunks.len());
        let mut stateless = Vec::with_capacity(chunks.len());
        for (i, chunk) in chunks.iter().enumerate() {
            let mut m = Map::new();
            m.insert(key.into(), Value::Array(chunk.to_vec()));
            if (i + 1) * page_size < items.len() {
                m.insert(
                    "nextCursor".into(),
                    json!(encode_cursor((i + 1) * page_size)),
                );
            }
            handshake.push(to_bytes(&m));
            m.insert("resultType".into(), json!("complete"));
            m.insert("ttlMs".into(), json!(extras.ttl_ms));
            m.insert("cacheScope".into(), json!("public"));
            m.insert("_meta".into(), extras.server_meta.clone());
            stateless.push(to_bytes(&m));
        }
        Pages {
            page_size,
            len: items.len(),
            handshake,
            stateless,
        }
    }

    /// The page a list request's `cursor` names.
    pub(crate) fn page(&self, params: Option<&RawValue>, era: Era) -> Result<&[u8], RpcError> {
        #[derive(Deserialize, Default)]
        struct ListParams {
            #[serde(default)]
            cursor: Option<Value>,
        }
        let p: ListParams = match params {
            Some(p) => serde_json::from_str(p.get()).unwrap_or_default(),
            None => ListParams::default(),
        };
        let page = match p.cursor {
            None | Some(Value::Null) => 0,
            Some(Value::String(c)) => decode_cursor(&c)
                .filter(|off| off % self.page_size == 0 && *off < self.len)
                .map(|off| off / self.page_size)
                .ok_or_else(|| RpcError::invalid_params("invalid cursor"))?,
            Some(_) => return Err(RpcError::invalid_params("invalid cursor: must be a string")),
        };
        let pages = match era {
            Era::Handshake => &self.handshake,
            Era::Stateless => &self.stateless,
        };
        pages
            .get(page)
            .map(Vec::as_slice)
            .ok_or_else(|| RpcError::invalid_params("invalid cursor"))
    }
}

fn encode_cursor(offset: usize) -> String {
    format!("o{offset}")
}

fn decode_cursor(c: &str) -> Option<usize> {
    let digits = c.strip_prefix('o')?;
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(200)), Some(200));
        for bad in ["", "o", "x1", "o-1", "o1a", "o99999999999999"] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }
}
