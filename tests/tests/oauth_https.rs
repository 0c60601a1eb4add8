//! The built-in fetcher of the `oauth-https` feature: an issuer whose
//! metadata and keys are served over TLS (`openssl s_server -WWW` on
//! loopback, with a self-signed certificate made for the test) is trusted
//! when its certificate is among the roots (`SSL_CERT_FILE`), and not
//! otherwise.
//!
//! The roots are read from the environment when the server starts, so each
//! case runs in a child process of this test binary with its own
//! environment. Without the `openssl` command the test prints `SKIPPED`
//! and passes, unless `CI` is set.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use mcp_runtime::prelude::*;
use mcp_runtime::{OAuth, Server};
use mcp_tests::{Post, repo_root};
use serde_json::{Value, json};

const KEYS: &str = "mcp-runtime/src/oauth/testdata";
/// Set in the child: the directory of the certificate and the issuer's files.
const CHILD_DIR: &str = "MCP_TEST_HTTPS_DIR";
/// Set in the child: the status the token must get.
const CHILD_EXPECT: &str = "MCP_TEST_HTTPS_EXPECT";

/// Say hello. Returns a greeting.
#[mcp_tool(read_only)]
async fn hello() -> String {
    "hello".into()
}

fn openssl(dir: &Path, args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `openssl s_server` serving `dir`'s files over TLS on `port`; killed on drop.
struct TlsFiles(Child);

impl TlsFiles {
    fn start(dir: &Path, port: u16) -> TlsFiles {
        let child = Command::new("openssl")
            .args([
                "s_server", "-quiet", "-WWW", "-cert", "cert.pem", "-key", "key.pem",
            ])
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start openssl s_server");
        // Dropped (so killed and waited for) on every path, also a panic.
        let files = TlsFiles(child);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return files;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("openssl s_server did not listen on {port}");
    }
}

impl Drop for TlsFiles {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn an_issuer_over_https_is_trusted_through_the_system_roots() {
    if let Ok(dir) = std::env::var(CHILD_DIR) {
        let expect: u16 = std::env::var(CHILD_EXPECT).unwrap().parse().unwrap();
        return child(&PathBuf::from(dir), expect);
    }
    let dir = std::env::temp_dir().join(format!("mcp-oauth-https-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".well-known")).unwrap();
    // A CA of the test's own, and the server's certificate signed by it.
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let made = [
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=mcp-test-ca",
        ][..],
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
            "-out",
            "cert.pem",
        ],
    ]
    .iter()
    .all(|args| openssl(&dir, args));
    if !made {
        assert!(
            std::env::var_os("CI").is_none(),
            "the openssl command is needed to make the test's certificate"
        );
        eprintln!(
            "SKIPPED: no openssl command; the HTTPS fetch of an issuer's keys was not tested"
        );
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for (roots, expect) in [(Some(dir.join("ca.pem")), 200), (None, 503)] {
        let mut cmd = Command::new(&exe);
        cmd.args([
            "--exact",
            "an_issuer_over_https_is_trusted_through_the_system_roots",
        ])
        .args(["--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, &dir)
        .env(CHILD_EXPECT, expect.to_string());
        match &roots {
            // Only the test's CA is a root.
            Some(cert) => cmd.env("SSL_CERT_FILE", cert),
            // An empty set of roots: the certificate is not trusted.
            None => cmd.env("SSL_CERT_FILE", dir.join("no-roots.pem")),
        };
        std::fs::write(dir.join("no-roots.pem"), "").unwrap();
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "case expecting {expect}:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn child(dir: &Path, expect: u16) {
    let port = free_port();
    let issuer = format!("https://127.0.0.1:{port}");
    let jwks: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join(KEYS).join("jwks.json")).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join(".well-known/openid-configuration"),
        json!({ "issuer": issuer, "jwks_uri": format!("{issuer}/jwks.json") }).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.join("jwks.json"),
        json!({ "keys": [jwks["a"]] }).to_string(),
    )
    .unwrap();
    let _files = TlsFiles::start(dir, port);

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let resource = format!("http://{addr}/mcp");
        let server = Server::builder("https-issuer", "0.0.0")
            .keys_from_env(false)
            .oauth(OAuth::new(&issuer, &resource))
            .build()
            .unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.serve_listener(listener, async move {
            let _ = rx.await;
        }));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("key-a".into());
        let pem = std::fs::read(repo_root().join(KEYS).join("rsa-a.pem")).unwrap();
        let token = encode(
            &header,
            &json!({ "iss": issuer, "aud": resource, "sub": "svc", "exp": now + 300 }),
            &EncodingKey::from_rsa_pem(&pem).unwrap(),
        )
        .unwrap();
        let r =
            Post::json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {} }))
                .bearer(&token)
                .send(addr)
                .await;
        assert_eq!(r.status, expect, "{}", r.text());
        if expect == 200 {
            assert_eq!(r.json()["result"]["tools"][0]["name"], "hello");
        }
        let _ = tx.send(());
    });
}
