//! Sealed `requestState` of the stateless era: what a tool learnt in earlier
//! rounds (the client's answers), encrypted and authenticated with a server
//! key (XChaCha20-Poly1305, a random 24-byte nonce per state), so that the
//! client carries it without reading or changing it, and any replica holding
//! the key can open it.
//!
//! A state is bound to the call it was issued for: the tool, a digest of its
//! arguments, the tenant and the calling key are inside the sealed text and
//! compared when it is opened, and it expires. A key being rotated out stays
//! accepted until the end of its window, then is refused.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Format version, the first byte of every state (also authenticated).
const VERSION: u8 = 1;
const NONCE: usize = 24;
/// How long a state may be echoed back by default.
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(600);

/// A 256-bit key that seals `requestState`.
#[derive(Clone)]
pub struct RequestStateKey([u8; 32]);

impl RequestStateKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> RequestStateKey {
        RequestStateKey(bytes)
    }

    /// A key from its base64 text (standard or URL-safe alphabet, padded or
    /// not), as `MCP_REQUEST_STATE_KEY` holds it; it must decode to 32 bytes.
    ///
    /// ```
    /// use mcp_runtime::RequestStateKey;
    /// assert!(RequestStateKey::from_base64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").is_ok());
    /// assert!(RequestStateKey::from_base64("c2hvcnQ").is_err());
    /// ```
    pub fn from_base64(text: &str) -> Result<RequestStateKey, String> {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
        let t = text.trim();
        let bytes = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
            .iter()
            .find_map(|e| e.decode(t).ok())
            .ok_or_else(|| "a request-state key must be base64 text".to_owned())?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            format!(
                "a request-state key must be 32 bytes (44 base64 characters), not {}",
                b.len()
            )
        })?;
        Ok(RequestStateKey(bytes))
    }

    /// A random key from the operating system.
    pub fn random() -> RequestStateKey {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k).expect("the operating system's random source failed");
        RequestStateKey(k)
    }

    /// 4 bytes naming the key in every state it seals, so the right key is tried.
    fn id(&self) -> [u8; 4] {
        let d = Sha256::digest(self.0);
        [d[0], d[1], d[2], d[3]]
    }
}

impl std::fmt::Debug for RequestStateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RequestStateKey({:02x?})", self.id())
    }
}

/// The keys of `requestState`: the current one seals; previous ones, each
/// until the end of its window, still open states sealed before a rotation.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use mcp_runtime::{RequestStateKey, RequestStateKeys};
/// let keys = RequestStateKeys::new(RequestStateKey::random())
///     .with_previous(RequestStateKey::random(), SystemTime::now() + Duration::from_secs(600));
/// # let _ = keys;
/// ```
#[derive(Clone, Debug)]
pub struct RequestStateKeys {
    current: RequestStateKey,
    previous: Vec<(RequestStateKey, SystemTime)>,
    ttl: Duration,
}

impl RequestStateKeys {
    /// Seal with `current`; states live [`DEFAULT_TTL`] (10 minutes).
    pub fn new(current: RequestStateKey) -> RequestStateKeys {
        RequestStateKeys {
            current,
            previous: Vec::new(),
            ttl: DEFAULT_TTL,
        }
    }

    /// Also open states sealed with `key`, until `until` (then refused).
    pub fn with_previous(mut self, key: RequestStateKey, until: SystemTime) -> RequestStateKeys {
        self.previous.push((key, until));
        self
    }

    /// How long a state may be echoed back after it was issued.
    pub fn with_ttl(mut self, ttl: Duration) -> RequestStateKeys {
        self.ttl = ttl;
        self
    }
}

/// What a state is bound to: the call it was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Binding {
    /// The tool or prompt, with its kind (`tool:name`, `prompt:name`).
    pub(crate) target: String,
    /// SHA-256 of the arguments as parsed (keys sorted), hex.
    pub(crate) arguments: String,
    pub(crate) tenant: Option<String>,
    /// The calling key's name (or the token's subject); empty without one.
    pub(crate) caller: String,
}

impl Binding {
    pub(crate) fn new(
        target: String,
        arguments: &Value,
        tenant: Option<&str>,
        caller: &str,
    ) -> Binding {
        // serde_json's map is ordered (no `preserve_order`): one text per
        // value, written straight into the hash (no copy of the text).
        struct Hashing(Sha256);
        impl std::io::Write for Hashing {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.update(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut hashing = Hashing(Sha256::new());
        serde_json::to_writer(&mut hashing, arguments).expect("a Value always serializes");
        let digest = hashing.0.finalize();
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for b in digest {
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        Binding {
            target,
            arguments: hex,
            tenant: tenant.map(str::to_owned),
            caller: caller.to_owned(),
        }
    }
}

/// The sealed text.
#[derive(Serialize, Deserialize)]
struct Sealed {
    target: String,
    args: String,
    tenant: Option<String>,
    caller: String,
    /// Expiry, seconds since the epoch.
    exp: u64,
    /// The keys asked in the round that issued the state.
    asked: Vec<String>,
    /// The answers of every earlier round, by key.
    answers: Map<String, Value>,
}

/// What an opened state holds.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Opened {
    pub(crate) asked: Vec<String>,
    pub(crate) answers: Map<String, Value>,
}

/// Why a state was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not base64, too short, an unknown version or key, or it does not
    /// authenticate: changed, or sealed by another server.
    Invalid,
    /// Sealed with a previous key whose window has closed.
    RetiredKey,
    Expired,
    /// Issued for another tool, arguments, tenant or caller.
    Foreign,
}

impl Refusal {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Refusal::Invalid => {
                "requestState is not valid: it was changed or not issued by this server"
            }
            Refusal::RetiredKey => "requestState was sealed with a key that is no longer accepted",
            Refusal::Expired => "requestState has expired: call again without it",
            Refusal::Foreign => "requestState was issued for another request",
        }
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl RequestStateKeys {
    /// Seal `answers` and the keys `asked` for the call `binding`, at `now`.
    pub(crate) fn seal(
        &self,
        binding: &Binding,
        asked: Vec<String>,
        answers: Map<String, Value>,
        now: SystemTime,
    ) -> String {
        let plain = serde_json::to_vec(&Sealed {
            target: binding.target.clone(),
            args: binding.arguments.clone(),
            tenant: binding.tenant.clone(),
            caller: binding.caller.clone(),
            exp: unix(now + self.ttl),
            asked,
            answers,
        })
        .expect("a state serializes");
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).expect("the operating system's random source failed");
        let header = header(&self.current);
        let cipher = XChaCha20Poly1305::new((&self.current.0).into());
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &header,
                },
            )
            .expect("encryption of a bounded message does not fail");
        let mut out = Vec::with_capacity(header.len() + NONCE + sealed.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// Open `state` for the call `binding` at `now`.
    pub(crate) fn open(
        &self,
        state: &str,
        binding: &Binding,
        now: SystemTime,
    ) -> Result<Opened, Refusal> {
        let bytes = URL_SAFE_NO_PAD
            .decode(state)
            .map_err(|_| Refusal::Invalid)?;
        if bytes.len() < 5 + NONCE + 16 || bytes[0] != VERSION {
            return Err(Refusal::Invalid);
        }
        let (header, rest) = bytes.split_at(5);
        let (nonce, sealed) = rest.split_at(NONCE);
        let id = &header[1..5];
        let key = if self.current.id() == id {
            &self.current
        } else {
            let (key, until) = self
                .previous
                .iter()
                .find(|(k, _)| k.id() == id)
                .ok_or(Refusal::Invalid)?;
            if now > *until {
                return Err(Refusal::RetiredKey);
            }
            key
        };
        let plain = XChaCha20Poly1305::new((&key.0).into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: header,
                },
            )
            .map_err(|_| Refusal::Invalid)?;
        let s: Sealed = serde_json::from_slice(&plain).map_err(|_| Refusal::Invalid)?;
        if unix(now) > s.exp {
            return Err(Refusal::Expired);
        }
        let matches = s.target == binding.target
            && s.args == binding.arguments
            && s.tenant == binding.tenant
            && s.caller == binding.caller;
        if !matches {
            return Err(Refusal::Foreign);
        }
        Ok(Opened {
            asked: s.asked,
            answers: s.answers,
        })
    }
}

fn header(key: &RequestStateKey) -> [u8; 5] {
    let id = key.id();
    [VERSION, id[0], id[1], id[2], id[3]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn binding(target: &str, args: Value, tenant: Option<&str>, caller: &str) -> Binding {
        Binding::new(target.to_owned(), &args, tenant, caller)
    }

    fn call() -> Binding {
        binding(
            "tool:submit_return",
            json!({"orderId": "o-1"}),
            Some("acme"),
            "agent",
        )
    }

    fn answers() -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(
            "confirm".into(),
            json!({"action": "accept", "content": {"ok": true}}),
        );
        m
    }

    #[test]
    fn a_sealed_state_opens_for_its_own_call_only() {
        let keys = RequestStateKeys::new(RequestStateKey::random());
        let now = SystemTime::now();
        let state = keys.seal(&call(), vec!["confirm".into()], answers(), now);
        let opened = keys.open(&state, &call(), now).expect("opens");
        assert_eq!(opened.asked, vec!["confirm".to_owned()]);
        assert_eq!(opened.answers, answers());
        // The answers are not readable in the state.
        let raw = URL_SAFE_NO_PAD.decode(&state).unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("accept"));
        let foreign = [
            binding(
                "tool:other",
                json!({"orderId": "o-1"}),
                Some("acme"),
                "agent",
            ),
            binding(
                "prompt:submit_return",
                json!({"orderId": "o-1"}),
                Some("acme"),
                "agent",
            ),
            binding(
                "tool:submit_return",
                json!({"orderId": "o-2"}),
                Some("acme"),
                "agent",
            ),
            binding(
                "tool:submit_return",
                json!({"orderId": "o-1"}),
                Some("globex"),
                "agent",
            ),
            binding(
                "tool:submit_return",
                json!({"orderId": "o-1"}),
                None,
                "agent",
            ),
            binding(
                "tool:submit_return",
                json!({"orderId": "o-1"}),
                Some("acme"),
                "intruder",
            ),
        ];
        for b in foreign {
            assert_eq!(keys.open(&state, &b, now), Err(Refusal::Foreign), "{b:?}");
        }
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let keys = RequestStateKeys::new(RequestStateKey::random());
        let now = SystemTime::now();
        let state = keys.seal(&call(), vec!["confirm".into()], answers(), now);
        let raw = URL_SAFE_NO_PAD.decode(&state).unwrap();
        for i in 0..raw.len() {
            for bit in [0x01u8, 0x80] {
                let mut t = raw.clone();
                t[i] ^= bit;
                let tampered = URL_SAFE_NO_PAD.encode(&t);
                assert_eq!(
                    keys.open(&tampered, &call(), now),
                    Err(Refusal::Invalid),
                    "byte {i} bit {bit:#x}"
                );
            }
        }
        // Truncated, extended, or not base64 at all.
        for bad in [
            URL_SAFE_NO_PAD.encode(&raw[..raw.len() - 1]),
            format!("{state}A"),
            format!("{state}-TAMPERED"),
            "not a state!".to_owned(),
            String::new(),
        ] {
            assert_eq!(
                keys.open(&bad, &call(), now),
                Err(Refusal::Invalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_state_expires() {
        let keys =
            RequestStateKeys::new(RequestStateKey::random()).with_ttl(Duration::from_secs(60));
        let now = SystemTime::now();
        let state = keys.seal(&call(), vec![], answers(), now);
        assert!(
            keys.open(&state, &call(), now + Duration::from_secs(59))
                .is_ok()
        );
        assert_eq!(
            keys.open(&state, &call(), now + Duration::from_secs(62)),
            Err(Refusal::Expired)
        );
    }

    #[test]
    fn another_servers_key_does_not_open_it() {
        let now = SystemTime::now();
        let ours = RequestStateKeys::new(RequestStateKey::random());
        let theirs = RequestStateKeys::new(RequestStateKey::random());
        let state = theirs.seal(&call(), vec![], answers(), now);
        assert_eq!(ours.open(&state, &call(), now), Err(Refusal::Invalid));
    }

    #[test]
    fn a_rotated_key_is_accepted_in_its_window_then_refused() {
        let now = SystemTime::now();
        let old = RequestStateKey::random();
        let before = RequestStateKeys::new(old.clone());
        let state = before.seal(&call(), vec![], answers(), now);
        let after = RequestStateKeys::new(RequestStateKey::random())
            .with_previous(old, now + Duration::from_secs(30));
        assert_eq!(
            after.open(&state, &call(), now).map(|o| o.answers),
            Ok(answers())
        );
        assert_eq!(
            after.open(&state, &call(), now + Duration::from_secs(31)),
            Err(Refusal::RetiredKey)
        );
        // New states are sealed with the new key: the old replicas' keys alone do not open them.
        let fresh = after.seal(&call(), vec![], answers(), now);
        assert_eq!(before.open(&fresh, &call(), now), Err(Refusal::Invalid));
    }

    #[test]
    fn keys_parse_from_base64_of_32_bytes() {
        let k = RequestStateKey::random();
        let text = base64::engine::general_purpose::STANDARD.encode(k.0);
        assert_eq!(RequestStateKey::from_base64(&text).unwrap().0, k.0);
        assert_eq!(
            RequestStateKey::from_base64(&URL_SAFE_NO_PAD.encode(k.0))
                .unwrap()
                .0,
            k.0
        );
        assert!(
            RequestStateKey::from_base64("dG9vIHNob3J0")
                .unwrap_err()
                .contains("32 bytes")
        );
        assert!(
            RequestStateKey::from_base64("***")
                .unwrap_err()
                .contains("base64")
        );
    }
}
