//! A real OpenID provider on loopback (npm `oidc-provider`, started by
//! `scripts/oidc-provider.sh`) for the OAuth tests: client-credentials
//! tokens with resource indicators, key rotation, and tokens crafted and
//! signed by the provider's own keys (or deliberately by others) through its
//! `/_test` endpoints.
//!
//! The first start installs Node 22 and the package into `.tools/oidc-provider`
//! (`scripts/node22.sh`). **Without npm** and nothing installed yet, when `CI`
//! is unset, [`Provider::start`] prints `SKIPPED: ...` and returns `None`;
//! with `CI` set it panics.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::repo_root;

/// The provider's clients: (client id, secret). `acme-agent` may ask for
/// `shop:read orders:write`, `acme-reader` for `shop:read` only; both carry
/// `tenant: "acme"`, `globex-agent` carries `tenant: "globex"`.
pub const CLIENTS: [(&str, &str); 3] = [
    ("acme-agent", "acme-agent-secret-0123456789"),
    ("acme-reader", "acme-reader-secret-0123456789"),
    ("globex-agent", "globex-agent-secret-0123456789"),
];

/// The running provider; stopped on drop.
pub struct Provider {
    child: Child,
    /// Held open: the provider exits when it closes.
    _stdin: ChildStdin,
    /// Its issuer identifier, `http://127.0.0.1:<port>`.
    pub issuer: String,
    addr: String,
}

/// A raw HTTP/1.1 answer: status and body.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Body as text.
    pub body: String,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Provider {
    /// Start the provider (installing it on first use), or `None` to skip.
    pub fn start() -> Option<Provider> {
        let mut child = Command::new("bash")
            .arg(repo_root().join("scripts/oidc-provider.sh"))
            .current_dir(repo_root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run bash scripts/oidc-provider.sh");
        let stdin = child.stdin.take().expect("piped stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("read the provider's first line");
        if line.trim().is_empty() {
            let status = child.wait().expect("wait for the script");
            let no_npm = Command::new("npm").arg("--version").output().is_err();
            if status.code() == Some(2) && no_npm && std::env::var_os("CI").is_none() {
                eprintln!(
                    "SKIPPED: npm not found, so the OpenID provider could not be installed; \
                     the OAuth tests against it did not run (set CI=1 to make this an error)"
                );
                return None;
            }
            panic!("scripts/oidc-provider.sh exited ({status}) without starting the provider");
        }
        let started: Value = serde_json::from_str(line.trim())
            .unwrap_or_else(|e| panic!("the provider's first line is not JSON ({e}): {line}"));
        let issuer = started["issuer"].as_str().expect("issuer").to_owned();
        let addr = issuer.trim_start_matches("http://").to_owned();
        Some(Provider {
            child,
            _stdin: stdin,
            issuer,
            addr,
        })
    }

    /// One request to the provider.
    pub fn request(&self, method: &str, path: &str, content_type: &str, body: &str) -> Answer {
        let mut s = TcpStream::connect(&self.addr).expect("connect to the provider");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
             Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read the provider's answer");
        let r = crate::parse_response(&raw);
        Answer {
            status: r.status,
            body: String::from_utf8_lossy(&r.body).into_owned(),
        }
    }

    /// The token endpoint's answer to a client-credentials grant for
    /// `client` with `scope` and the resource indicator `resource`.
    pub fn token_response(&self, client: &str, scope: &str, resource: &str) -> Answer {
        let secret = CLIENTS
            .iter()
            .find(|(id, _)| *id == client)
            .map(|(_, s)| *s)
            .unwrap_or("wrong");
        let form = format!(
            "grant_type=client_credentials&client_id={client}&client_secret={secret}&scope={}&resource={}",
            form_encode(scope),
            form_encode(resource)
        );
        self.request("POST", "/token", "application/x-www-form-urlencoded", &form)
    }

    /// An access token for `client` with `scope`, for `resource`.
    pub fn token(&self, client: &str, scope: &str, resource: &str) -> String {
        let a = self.token_response(client, scope, resource);
        assert_eq!(a.status, 200, "token endpoint: {}", a.body);
        a.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Rotate the provider's signing key: the new key signs from now on and
    /// is published first. Returns its `kid`.
    pub fn rotate(&self) -> String {
        let a = self.request("POST", "/_test/rotate", "application/json", "{}");
        assert_eq!(a.status, 200, "{}", a.body);
        a.json()["kid"].as_str().expect("kid").to_owned()
    }

    /// A token of `header` and `payload` signed with `key`: `current` (the
    /// provider's signing key), `unpublished` (a key in no JWKS),
    /// `hs256-public` (HMAC keyed with the current public key's PEM) or
    /// `none` (no signature). A `kid` of `"$current"` in the header is
    /// replaced by the current key's id.
    pub fn sign(&self, mut header: Value, payload: Value, key: &str) -> String {
        if header["kid"] == "$current" {
            header["kid"] = json!(self.current_kid());
        }
        let spec = json!({ "header": header, "payload": payload, "key": key });
        let a = self.request("POST", "/_test/sign", "application/json", &spec.to_string());
        assert_eq!(a.status, 200, "{}", a.body);
        a.json()["token"].as_str().expect("token").to_owned()
    }

    /// How many times the provider's JWKS was fetched so far.
    pub fn jwks_fetches(&self) -> u64 {
        let a = self.request("GET", "/_test/stats", "text/plain", "");
        a.json()["jwksFetches"].as_u64().expect("jwksFetches")
    }

    /// The `kid` the provider signs with now.
    pub fn current_kid(&self) -> String {
        let spec = json!({ "header": {}, "payload": {}, "key": "none" });
        let a = self.request("POST", "/_test/sign", "application/json", &spec.to_string());
        a.json()["currentKid"]
            .as_str()
            .expect("currentKid")
            .to_owned()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The JOSE header of a JWT, decoded.
pub fn header_of(token: &str) -> Value {
    let part = token.split('.').next().expect("a JWT has a header");
    serde_json::from_slice(&base64url_decode(part)).expect("the header is JSON")
}

/// The payload of a JWT, decoded (no verification: for reading what a
/// provider put in a token).
pub fn payload_of(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&base64url_decode(part)).expect("the payload is JSON")
}

/// Base64url without padding, encoded.
pub fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn base64url_decode(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .expect("base64url")
}
